/*
 * tests/unit/check_hash.c -- mongod's 64-bit BSON value hash (src/common/hash.c).
 *
 * The fixed point mongod itself checks at start-up (hash64 of 42 with seed 0 is
 * -944302157085130861), numbers hashing by the int64 they truncate to (so 42, 42L, 42.0,
 * 42.9 and decimal 42 collide, as in mongod), NaN as 0, and distinct values of other types
 * hashing apart.
 */
#include "../../src/common/hash.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int64_t
hash_of(const bson_value_t *v)
{
    int64_t h = 0;

    ck_assert_int_eq(sdb_hash_value(v, 0, &h), 0);
    return h;
}

static bson_value_t
num_int32(int32_t i)
{
    bson_value_t v;

    v.value_type = BSON_TYPE_INT32;
    v.value.v_int32 = i;
    return v;
}

START_TEST(test_mongod_fixed_point)
{
    bson_value_t v = num_int32(42);

    ck_assert(hash_of(&v) == INT64_C(-944302157085130861));
}
END_TEST

START_TEST(test_numbers_truncate)
{
    bson_value_t i = num_int32(42), l, d, d2, dec, nan, zero = num_int32(0);

    l.value_type = BSON_TYPE_INT64;
    l.value.v_int64 = 42;
    d.value_type = BSON_TYPE_DOUBLE;
    d.value.v_double = 42.0;
    d2.value_type = BSON_TYPE_DOUBLE;
    d2.value.v_double = 42.9;
    dec.value_type = BSON_TYPE_DECIMAL128;
    ck_assert(bson_decimal128_from_string("42", &dec.value.v_decimal128));
    nan.value_type = BSON_TYPE_DOUBLE;
    nan.value.v_double = NAN;
    ck_assert(hash_of(&i) == hash_of(&l));
    ck_assert(hash_of(&i) == hash_of(&d));
    ck_assert(hash_of(&i) == hash_of(&d2));
    ck_assert(hash_of(&i) == hash_of(&dec));
    ck_assert(hash_of(&nan) == hash_of(&zero));
}
END_TEST

START_TEST(test_types_apart)
{
    bson_value_t s, s2, n = num_int32(1), null_v, doc;
    bson_t *d = BCON_NEW("a", BCON_INT32(1));

    s.value_type = s2.value_type = BSON_TYPE_UTF8;
    s.value.v_utf8.str = (char *)"1";
    s.value.v_utf8.len = 1;
    s2.value.v_utf8.str = (char *)"2";
    s2.value.v_utf8.len = 1;
    null_v.value_type = BSON_TYPE_NULL;
    doc.value_type = BSON_TYPE_DOCUMENT;
    doc.value.v_doc.data = (uint8_t *)bson_get_data(d);
    doc.value.v_doc.data_len = d->len;
    ck_assert(hash_of(&s) != hash_of(&s2));
    ck_assert(hash_of(&s) != hash_of(&n));
    ck_assert(hash_of(&null_v) != hash_of(&n));
    ck_assert(hash_of(&doc) != hash_of(&n));
    ck_assert(hash_of(NULL) == hash_of(&null_v)); /* a missing field hashes as null */
    bson_destroy(d);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("hash64");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_mongod_fixed_point);
    tcase_add_test(tc, test_numbers_truncate);
    tcase_add_test(tc, test_types_apart);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
