/*
 * tests/unit/check_js.c -- the JavaScript gate and conversion (src/worker/query/js.c and
 * js_shim.cpp) without a server: compile and call on the test's own stack, values across the
 * BSON <-> JS boundary as mongod converts them, script errors as 139, deep recursion as a
 * script error (never a crash), $where's truthiness.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/sdb.h"
#include "../../src/worker/query/js.h"

/* call_src -- fn(args) for the function of `src`; the result value in *out. */
static int
call_src(const char *src, const char *args_json, bson_value_t *out, sdb_error_t *err)
{
    bson_error_t e;
    bson_t *args = bson_new_from_json((const uint8_t *)args_json, -1, &e);
    int ret;

    ck_assert_msg(args != NULL, "%s", e.message);
    ret = wk_js_call_source(src, strlen(src), NULL, args, out, err);
    bson_destroy(args);
    return ret;
}

START_TEST(test_values)
{
    bson_value_t v;
    sdb_error_t err;

    /* args is a BSON array of arguments; {"$numberLong"} reads as NumberLong */
    ck_assert_int_eq(call_src("function(a, b) { return a + b.floatApprox }",
                              "{\"0\": 1, \"1\": {\"$numberLong\": \"41\"}}", &v, &err),
                     0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DOUBLE);
    ck_assert(v.value.v_double == 42.0);
    bson_value_destroy(&v);
    ck_assert_int_eq(call_src("function(s) { return s.toUpperCase() + '\\u00e9' }",
                              "{\"0\": \"abc\"}", &v, &err),
                     0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_UTF8);
    ck_assert_str_eq(v.value.v_utf8.str, "ABC\xc3\xa9");
    bson_value_destroy(&v);
    ck_assert_int_eq(call_src("function(d) { return new Date(d.getTime() + 1000) }",
                              "{\"0\": {\"$date\": {\"$numberLong\": \"5000\"}}}", &v, &err),
                     0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DATE_TIME);
    ck_assert_int_eq(v.value.v_datetime, 6000);
    bson_value_destroy(&v);
    ck_assert_int_eq(
        call_src("function() { return NumberLong('-9223372036854775808') }", "{}", &v, &err), 0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_INT64);
    ck_assert(v.value.v_int64 == INT64_MIN);
    bson_value_destroy(&v);
    /* a sparse array still has consecutive keys: the holes are undefined */
    ck_assert_int_eq(call_src("function() { var a = []; a[2] = 7; return a }", "{}", &v, &err), 0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_ARRAY);
    {
        bson_t arr;
        bson_iter_t it;
        ck_assert(bson_init_static(&arr, v.value.v_doc.data, v.value.v_doc.data_len));
        ck_assert_int_eq(bson_count_keys(&arr), 3);
        ck_assert(bson_iter_init_find(&it, &arr, "1") && BSON_ITER_HOLDS_UNDEFINED(&it));
        ck_assert(bson_iter_init_find(&it, &arr, "2") && bson_iter_double(&it) == 7.0);
    }
    bson_value_destroy(&v);
    ck_assert_int_eq(call_src("function() { return NumberDecimal('1.10') }", "{}", &v, &err), 0);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DECIMAL128);
    bson_value_destroy(&v);
}
END_TEST

START_TEST(test_errors)
{
    bson_value_t v;
    sdb_error_t err;

    ck_assert_int_ne(call_src("function() { return nope.x }", "{}", &v, &err), 0);
    ck_assert_int_eq(err.code, SDB_CODE_JSInterpreterFailure);
    ck_assert_msg(strstr(err.msg, "ReferenceError") != NULL, "%s", err.msg);
    ck_assert_int_ne(call_src("function( {", "{}", &v, &err), 0);
    ck_assert_int_eq(err.code, SDB_CODE_JSInterpreterFailure);
    ck_assert_int_ne(
        call_src("function() { function f() { return f() + 1 } return f() }", "{}", &v, &err), 0);
    ck_assert_msg(strstr(err.msg, "too much recursion") != NULL, "%s", err.msg);
    /* a symbol cannot become BSON: a clear error, not a crash */
    ck_assert_int_ne(call_src("function() { return Symbol('x') }", "{}", &v, &err), 0);
    ck_assert_int_eq(err.code, SDB_CODE_JSInterpreterFailure);
}
END_TEST

START_TEST(test_where)
{
    bson_value_t code = {.value_type = BSON_TYPE_UTF8};
    wk_js_where_t *w = NULL;
    sdb_error_t err;
    bson_t *doc = BCON_NEW("a", BCON_INT32(3), "s", BCON_UTF8(""));
    bool m = false;

    code.value.v_utf8.str = (char *)"this.a == 3 && obj.a == 3";
    code.value.v_utf8.len = (uint32_t)strlen(code.value.v_utf8.str);
    ck_assert_int_eq(wk_js_where_new(&code, NULL, &w, &err), 0);
    ck_assert_int_eq(wk_js_where_match(w, doc, &m, &err), 0);
    ck_assert(m);
    wk_js_where_free(w);
    /* JavaScript truthiness: "" is false */
    code.value.v_utf8.str = (char *)"function() { return this.s }";
    code.value.v_utf8.len = (uint32_t)strlen(code.value.v_utf8.str);
    ck_assert_int_eq(wk_js_where_new(&code, NULL, &w, &err), 0);
    ck_assert_int_eq(wk_js_where_match(w, doc, &m, &err), 0);
    ck_assert(!m);
    wk_js_where_free(w);
    code.value_type = BSON_TYPE_INT32;
    ck_assert_int_ne(wk_js_where_new(&code, NULL, &w, &err), 0);
    ck_assert_int_eq(err.code, SDB_CODE_BadValue);
    bson_destroy(doc);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("js");
    TCase *tc = tcase_create("js");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, wk_js_shutdown);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_where);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
