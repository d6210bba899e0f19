/*
 * tests/unit/check_ttl.c -- unit tests for mongod's TTL index rules (common/ttl.c).
 *
 * sdb_bson_safe_long (bsoncmp.h) reads values as safeNumberLong does (truncation,
 * saturation, NaN told apart), sdb_ttl_check_secs bounds them to [0, 2^31 - 1], sdb_ttl_check_key refuses compound
 * patterns, and sdb_ttl_spec_secs picks exactly the specs the TTL monitor deletes by.
 */
#include "../../src/common/bsoncmp.h"
#include "../../src/common/ttl.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

/* number -- sdb_ttl_number of the first value of a JSON document. */
static bool
number(const char *json, int64_t *v, bool *nan)
{
    bson_t *d = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it;
    bool ok;

    ck_assert(d != NULL && bson_iter_init(&it, d) && bson_iter_next(&it));
    ok = sdb_bson_safe_long(&it, v, nan);
    bson_destroy(d);
    return ok;
}

START_TEST(test_number)
{
    int64_t v;
    bool nan;

    ck_assert(number("{\"a\": 60}", &v, &nan) && v == 60 && !nan);
    ck_assert(number("{\"a\": {\"$numberLong\": \"-5\"}}", &v, &nan) && v == -5);
    ck_assert(number("{\"a\": 5.9}", &v, &nan) && v == 5);
    ck_assert(number("{\"a\": -5.9}", &v, &nan) && v == -5);
    ck_assert(number("{\"a\": 1e300}", &v, &nan) && v == INT64_MAX);
    ck_assert(number("{\"a\": {\"$numberDouble\": \"NaN\"}}", &v, &nan) && nan && v == 0);
    ck_assert(number("{\"a\": {\"$numberDecimal\": \"12.5\"}}", &v, &nan) && v == 12);
    ck_assert(!number("{\"a\": \"60\"}", &v, &nan));
    ck_assert(!number("{\"a\": true}", &v, &nan));
}
END_TEST

START_TEST(test_bounds)
{
    bson_t *one = BCON_NEW("a", BCON_INT32(1)),
           *two = BCON_NEW("a", BCON_INT32(1), "b", BCON_INT32(1));

    ck_assert(sdb_ttl_check_secs(0) == NULL);
    ck_assert(sdb_ttl_check_secs(INT32_MAX) == NULL);
    ck_assert_str_eq(sdb_ttl_check_secs(-1),
                     "TTL index 'expireAfterSeconds' option cannot be less than 0");
    ck_assert(sdb_ttl_check_secs((int64_t)INT32_MAX + 1) != NULL);
    ck_assert(sdb_ttl_check_key(one) == NULL);
    ck_assert(sdb_ttl_check_key(two) != NULL);
    bson_destroy(one);
    bson_destroy(two);
}
END_TEST

/* spec -- sdb_ttl_spec_secs of a JSON spec; *secs only when it returned true. */
static bool
spec(const char *json, int64_t *secs)
{
    bson_t *d = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bool ok;

    ck_assert(d != NULL);
    ok = sdb_ttl_spec_secs(d, secs);
    bson_destroy(d);
    return ok;
}

START_TEST(test_spec)
{
    int64_t s;

    ck_assert(spec("{\"key\": {\"t\": 1}, \"name\": \"t_1\", \"expireAfterSeconds\": 30}", &s) &&
              s == 30);
    ck_assert(spec("{\"key\": {\"t\": -1}, \"name\": \"t\", \"expireAfterSeconds\": 0}", &s) &&
              s == 0);
    ck_assert(!spec("{\"key\": {\"t\": 1}, \"name\": \"t_1\"}", &s));
    ck_assert(
        !spec("{\"key\": {\"t\": 1, \"u\": 1}, \"name\": \"x\", \"expireAfterSeconds\": 1}", &s));
    ck_assert(
        !spec("{\"key\": {\"t\": \"hashed\"}, \"name\": \"x\", \"expireAfterSeconds\": 1}", &s));
    ck_assert(!spec("{\"key\": {\"$**\": 1}, \"name\": \"x\", \"expireAfterSeconds\": 1}", &s));
    ck_assert(!spec("{\"key\": {\"_id\": 1}, \"name\": \"x\", \"expireAfterSeconds\": 1}", &s));
    ck_assert(!spec("{\"key\": {\"t\": 1}, \"name\": \"x\", \"expireAfterSeconds\": -1}", &s));
    ck_assert(!spec("{\"key\": {\"t\": 1}, \"name\": \"x\", \"expireAfterSeconds\": "
                    "{\"$numberDouble\": \"NaN\"}}",
                    &s));
    ck_assert(!spec("{\"key\": {\"t\": 1}, \"name\": \"x\", \"expireAfterSeconds\": \"1\"}", &s));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("ttl");
    TCase *tc = tcase_create("ttl");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_spec);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
