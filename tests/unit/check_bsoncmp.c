/*
 * tests/unit/check_bsoncmp.c -- unit tests for src/common/bsoncmp.c (MongoDB sort order).
 *
 * A table of values across every type in strictly ascending order is compared pairwise
 * (i < j must give cmp < 0 and cmp > 0 the other way, and each value equals itself); groups
 * of values that must compare equal (numbers across types, zeros, NaNs) are checked apart.
 * Single-threaded; no server is started.
 */
#include "../../src/common/bsoncmp.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"
#include "order_table.h"

START_TEST(test_table_order)
{
    bson_t arr;
    bson_value_t vals[256];
    size_t n, i, j;

    build_table(&arr);
    n = table_values(&arr, vals, 256);
    ck_assert_uint_gt(n, 100);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            int c = sdb_bson_value_cmp(&vals[i], &vals[j]);
            int want = (i > j) - (i < j);

            ck_assert_msg(c == want, "cmp(#%zu, #%zu) = %d, want %d", i, j, c, want);
        }
    }
    bson_destroy(&arr);
}
END_TEST

/* check_all_equal -- every value of an array document compares equal to every other. */
static void
check_all_equal(const char *json)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_value_t vals[32];
    bson_iter_t it, sub;
    size_t n = 0;

    ck_assert_msg(doc != NULL, "bad json %s", json);
    ck_assert(bson_iter_init_find(&it, doc, "v") && bson_iter_recurse(&it, &sub));
    while (bson_iter_next(&sub))
        vals[n++] = *bson_iter_value(&sub);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            ck_assert_msg(sdb_bson_value_cmp(&vals[i], &vals[j]) == 0, "%s: #%zu != #%zu", json, i,
                          j);
    bson_destroy(doc);
}

START_TEST(test_numeric_equality)
{
    check_all_equal("{\"v\": [1, {\"$numberLong\": \"1\"}, 1.0, {\"$numberDecimal\": \"1\"},"
                    " {\"$numberDecimal\": \"1.000\"}, {\"$numberDecimal\": \"0.01E2\"}]}");
    check_all_equal("{\"v\": [0, {\"$numberLong\": \"0\"}, 0.0, -0.0,"
                    " {\"$numberDecimal\": \"0\"}, {\"$numberDecimal\": \"-0\"},"
                    " {\"$numberDecimal\": \"0E+300\"}, {\"$numberDecimal\": \"-0E-300\"}]}");
    check_all_equal("{\"v\": [{\"$numberDouble\": \"NaN\"}, {\"$numberDouble\": \"-NaN\"},"
                    " {\"$numberDecimal\": \"NaN\"}, {\"$numberDecimal\": \"-NaN\"}]}");
    check_all_equal("{\"v\": [{\"$numberDouble\": \"Infinity\"},"
                    " {\"$numberDecimal\": \"Infinity\"}]}");
    check_all_equal("{\"v\": [{\"$numberLong\": \"9007199254740992\"}, 9007199254740992.0,"
                    " {\"$numberDecimal\": \"9.007199254740992E15\"}]}");
    check_all_equal("{\"v\": [{\"$numberLong\": \"-9223372036854775808\"},"
                    " -9223372036854775808.0, {\"$numberDecimal\": \"-9223372036854775808\"}]}");
    check_all_equal(
        "{\"v\": [0.5, {\"$numberDecimal\": \"0.5\"}, {\"$numberDecimal\": \"5E-1\"}]}");
    check_all_equal("{\"v\": [0.375, {\"$numberDecimal\": \"0.3750000\"}]}");
    check_all_equal("{\"v\": [\"abc\", {\"$symbol\": \"abc\"}]}");
    check_all_equal("{\"v\": [null, null]}");
    check_all_equal("{\"v\": [[1, 2], [1.0, {\"$numberLong\": \"2\"}]]}");
    check_all_equal("{\"v\": [{\"a\": 1, \"b\": [0]}, {\"a\": 1.0, \"b\": [-0.0]}]}");
}
END_TEST

START_TEST(test_int_double_exact)
{
    bson_value_t a, b;

    a.value_type = BSON_TYPE_INT64;
    b.value_type = BSON_TYPE_DOUBLE;
    a.value.v_int64 = INT64_MAX;
    b.value.v_double = 9223372036854775807.0; /* rounds to 2^63 */
    ck_assert_int_lt(sdb_bson_value_cmp(&a, &b), 0);
    ck_assert_int_gt(sdb_bson_value_cmp(&b, &a), 0);
    a.value.v_int64 = (1LL << 53) + 1;
    b.value.v_double = 9007199254740992.0;
    ck_assert_int_gt(sdb_bson_value_cmp(&a, &b), 0);
    b.value.v_double = 9007199254740994.0;
    ck_assert_int_lt(sdb_bson_value_cmp(&a, &b), 0);
    a.value.v_int64 = -3;
    b.value.v_double = -2.5;
    ck_assert_int_lt(sdb_bson_value_cmp(&a, &b), 0);
    b.value.v_double = -3.5;
    ck_assert_int_gt(sdb_bson_value_cmp(&a, &b), 0);
    b.value.v_double = NAN;
    ck_assert_int_gt(sdb_bson_value_cmp(&a, &b), 0);
    a.value.v_int64 = INT64_MIN;
    b.value.v_double = -INFINITY;
    ck_assert_int_gt(sdb_bson_value_cmp(&a, &b), 0);
}
END_TEST

START_TEST(test_num_canonical)
{
    sdb_num_t n;

    sdb_num_from_double(0.1, &n);
    ck_assert_int_eq(n.cls, SDB_NUM_POS);
    ck_assert_int_eq(n.exp10, 0);
    ck_assert_int_eq(n.ndigits, 55);
    sdb_num_from_double(1000.0, &n);
    ck_assert_int_eq(n.exp10, 4);
    ck_assert_int_eq(n.ndigits, 1);
    sdb_num_from_double(5e-324, &n);
    ck_assert_int_eq(n.exp10, -323);
    ck_assert_int_eq(n.ndigits, 751);
    sdb_num_from_double(1.7976931348623157e308, &n);
    ck_assert_int_eq(n.exp10, 309);
    ck_assert_int_eq(n.ndigits, 309); /* (2^53-1) * 2^971: no factor 5, no trailing 0 */
    sdb_num_from_int64(INT64_MIN, &n);
    ck_assert_int_eq(n.cls, SDB_NUM_NEG);
    ck_assert_int_eq(n.exp10, 19);
    ck_assert_int_eq(n.digits[18], 8);
}
END_TEST

START_TEST(test_doc_and_iter)
{
    bson_t *a = bson_new_from_json((const uint8_t *)"{\"x\": 1, \"y\": [1, 2]}", -1, NULL);
    bson_t *b = bson_new_from_json((const uint8_t *)"{\"x\": 1, \"y\": [1, 3]}", -1, NULL);
    bson_iter_t ia, ib;

    ck_assert_int_lt(sdb_bson_doc_cmp(a, b), 0);
    ck_assert_int_gt(sdb_bson_doc_cmp(b, a), 0);
    ck_assert_int_eq(sdb_bson_doc_cmp(a, a), 0);
    ck_assert(bson_iter_init_find(&ia, a, "x") && bson_iter_init_find(&ib, b, "y"));
    ck_assert_int_lt(sdb_bson_iter_cmp(&ia, &ib), 0); /* number < array */
    ck_assert_int_lt(sdb_bson_type_order(BSON_TYPE_MINKEY),
                     sdb_bson_type_order(BSON_TYPE_UNDEFINED));
    ck_assert_int_eq(sdb_bson_type_order(BSON_TYPE_EOD), sdb_bson_type_order(BSON_TYPE_NULL));
    ck_assert_int_eq(sdb_bson_type_order(BSON_TYPE_SYMBOL), sdb_bson_type_order(BSON_TYPE_UTF8));
    bson_destroy(a);
    bson_destroy(b);
}
END_TEST

/* as_long_double -- a correctly rounded long double for v (exact unless decimal). */
static long double
as_long_double(const bson_value_t *v)
{
    char text[BSON_DECIMAL128_STRING];

    switch (v->value_type) {
    case BSON_TYPE_INT32:
        return v->value.v_int32;
    case BSON_TYPE_INT64:
        return (long double)v->value.v_int64;
    case BSON_TYPE_DOUBLE:
        return v->value.v_double;
    default:
        bson_decimal128_to_string(&v->value.v_decimal128, text);
        return strtold(text, NULL);
    }
}

/* An oracle: rounding to long double is monotonic, so ld(a) < ld(b) implies a < b. */
START_TEST(test_random_numbers)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    bson_value_t a, b;
    int i, checked = 0;

    for (i = 0; i < 200000; i++) {
        long double la, lb;
        int c;

        random_number(&seed, &a);
        random_number(&seed, &b);
        c = sdb_bson_value_cmp(&a, &b);
        ck_assert_int_eq(c, -sdb_bson_value_cmp(&b, &a));
        la = as_long_double(&a);
        lb = as_long_double(&b);
        if (isnan(la) || isnan(lb)) {
            ck_assert_int_eq(c, isnan(la) && isnan(lb) ? 0 : (isnan(la) ? -1 : 1));
            continue;
        }
        if (la != lb) {
            ck_assert_msg(c == (la < lb ? -1 : 1), "random pair %d: cmp %d", i, c);
            checked++;
        } else if (a.value_type != BSON_TYPE_DECIMAL128 && b.value_type != BSON_TYPE_DECIMAL128) {
            ck_assert_int_eq(c, 0); /* both exact in long double */
        }
    }
    ck_assert_int_gt(checked, 100000);
}
END_TEST

/* Values 10,000 levels deep (far past any depth bound) compare correctly, without recursion:
 * documents, arrays, and CodeWScope scopes; equal, differing at the bottom, and by shape. */
START_TEST(test_deep_values)
{
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}, {BSON_TYPE_DOCUMENT, "0"}};
    bson_t *l1 = BCON_NEW("x", BCON_INT32(1)), *l2 = BCON_NEW("x", BCON_INT32(2));
    bson_t *a = deep_build(docs, 1, 10000, l1), *a2 = deep_build(docs, 1, 10000, l1);
    bson_t *b = deep_build(docs, 1, 10000, l2), *c = deep_build(docs, 1, 9999, l2);
    bson_t *ra = deep_build(arrs, 2, 10000, l1), *rb = deep_build(arrs, 2, 10000, l2);
    bson_value_t va, va2, vb, vc, vra, vrb, wa, wb;

    deep_value(a, &va);
    deep_value(a2, &va2);
    deep_value(b, &vb);
    deep_value(c, &vc);
    deep_value(ra, &vra);
    deep_value(rb, &vrb);
    ck_assert_int_eq(sdb_bson_value_cmp(&va, &va2), 0);
    ck_assert_int_eq(sdb_bson_value_cmp(&va, &vb), -1);
    ck_assert_int_eq(sdb_bson_value_cmp(&vb, &va), 1);
    ck_assert_int_eq(sdb_bson_doc_cmp(a, b), -1);
    /* at level 9,999 c holds {x: 2} where b holds {a: ...}: a number sorts below an object */
    ck_assert_int_eq(sdb_bson_value_cmp(&vb, &vc), 1);
    ck_assert_int_eq(sdb_bson_value_cmp(&vra, &vrb), -1);
    ck_assert_int_eq(sdb_bson_value_cmp(&vrb, &vrb), 0);
    /* the same values as CodeWScope scopes: code first, then the scope documents */
    memset(&wa, 0, sizeof(wa));
    wa.value_type = BSON_TYPE_CODEWSCOPE;
    wa.value.v_codewscope.code = "f";
    wa.value.v_codewscope.code_len = 1;
    wb = wa;
    wa.value.v_codewscope.scope_data = (uint8_t *)bson_get_data(a);
    wa.value.v_codewscope.scope_len = a->len;
    wb.value.v_codewscope.scope_data = (uint8_t *)bson_get_data(b);
    wb.value.v_codewscope.scope_len = b->len;
    ck_assert_int_eq(sdb_bson_value_cmp(&wa, &wb), -1);
    ck_assert_int_eq(sdb_bson_value_cmp(&wb, &wb), 0);
    bson_destroy(l1);
    bson_destroy(l2);
    bson_destroy(a);
    bson_destroy(a2);
    bson_destroy(b);
    bson_destroy(c);
    bson_destroy(ra);
    bson_destroy(rb);
}
END_TEST

static Suite *
bsoncmp_suite(void)
{
    Suite *s = suite_create("bsoncmp");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_table_order);
    tcase_add_test(tc, test_numeric_equality);
    tcase_add_test(tc, test_int_double_exact);
    tcase_add_test(tc, test_num_canonical);
    tcase_add_test(tc, test_doc_and_iter);
    tcase_add_test(tc, test_random_numbers);
    tcase_add_test(tc, test_deep_values);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(bsoncmp_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
