/*
 * tests/unit/check_expr.c -- aggregation expressions (src/worker/query/expr*.c): the command's
 * `let` variables and the builtins ($$NOW, $$REMOVE, undefined names), $getField, $setField,
 * $unsetField (fields named with '$' or '.') and $rand.
 *
 * Expressions are built with BCON (the JSON reader would take "$literal" keys for extended
 * JSON); results are compared as canonical extended JSON, errors by mongod's code.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/worker/query/expr.h"
#include "deep.h"

/* eval -- evaluate the expression held as field "e" of `spec` on `root` with `vars`; returns
 * the canonical JSON of {"v": result} (caller frees) or NULL with *code set. */
static char *
eval(bson_t *spec, const bson_t *root, const bson_t *vars, int *code)
{
    bson_iter_t it;
    wk_expr_t *e = NULL;
    sdb_error_t err = {0};
    bson_value_t v;
    bson_t out = BSON_INITIALIZER;
    char *s = NULL;

    *code = 0;
    ck_assert(bson_iter_init_find(&it, spec, "e"));
    if (wk_expr_parse(&it, &e, &err) != 0 || wk_expr_eval_vars(e, root, vars, &v, &err) != 0) {
        *code = err.code;
    } else {
        if (v.value_type != BSON_TYPE_EOD)
            bson_append_value(&out, "v", 1, &v);
        bson_value_destroy(&v);
        s = bson_as_canonical_extended_json(&out, NULL);
    }
    wk_expr_free(e);
    bson_destroy(&out);
    bson_destroy(spec);
    return s;
}

START_TEST(test_variables)
{
    bson_t *root = BCON_NEW("a", BCON_INT32(5));
    bson_t *vars = BCON_NEW("x", BCON_UTF8("foo"), "d", "{", "k", BCON_INT32(7), "}");
    bson_iter_t it;
    bson_t *spec;
    char *s;
    int code;

    s = eval(BCON_NEW("e", BCON_UTF8("$$x")), root, vars, &code);
    ck_assert_str_eq(s, "{ \"v\" : \"foo\" }");
    bson_free(s);
    s = eval(BCON_NEW("e", BCON_UTF8("$$d.k")), root, vars, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"$numberInt\" : \"7\" } }");
    bson_free(s);
    s = eval(BCON_NEW("e", BCON_UTF8("$$ROOT.a")), root, vars, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"$numberInt\" : \"5\" } }");
    bson_free(s);
    s = eval(BCON_NEW("e", BCON_UTF8("$$REMOVE")), root, vars, &code);
    ck_assert_str_eq(s, "{ }");
    bson_free(s);
    s = eval(BCON_NEW("e", BCON_UTF8("$$nope")), root, vars, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, 17276);
    s = eval(BCON_NEW("e", BCON_UTF8("$$x")), root, NULL, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, 17276);
    spec = BCON_NEW("e", "{", "$type", BCON_UTF8("$$NOW"), "}");
    s = eval(spec, root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : \"date\" }");
    bson_free(s);
    spec = BCON_NEW("e", "{", "$rand", "{", "}", "}");
    s = eval(spec, root, NULL, &code);
    ck_assert_ptr_nonnull(strstr(s, "$numberDouble"));
    bson_free(s);
    spec = BCON_NEW("e", "{", "$rand", "{", "a", BCON_INT32(1), "}", "}");
    ck_assert_ptr_null(eval(spec, root, NULL, &code));
    ck_assert_int_eq(code, 10065);
    (void)it;
    bson_destroy(root);
    bson_destroy(vars);
}
END_TEST

START_TEST(test_fields)
{
    bson_t *root = BCON_NEW("_id", BCON_INT32(1), "foo", "{", "b", BCON_INT32(2), "}");
    char *s;
    int code;

    s = eval(BCON_NEW("e", "{", "$setField", "{", "field", "{", "$literal", BCON_UTF8("$a"), "}",
                      "value", BCON_INT32(1), "input", BCON_UTF8("$$ROOT"), "}", "}"),
             root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"_id\" : { \"$numberInt\" : \"1\" }, \"foo\" : { \"b\" : "
                        "{ \"$numberInt\" : \"2\" } }, \"$a\" : { \"$numberInt\" : \"1\" } } }");
    bson_free(s);
    s = eval(BCON_NEW("e", "{", "$setField", "{", "field", BCON_UTF8("a.b"), "value", BCON_INT32(3),
                      "input", BCON_UTF8("$foo"), "}", "}"),
             root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"b\" : { \"$numberInt\" : \"2\" }, \"a.b\" : { "
                        "\"$numberInt\" : \"3\" } } }");
    bson_free(s);
    /* replaced in place; null input gives null */
    s = eval(BCON_NEW("e", "{", "$setField", "{", "field", BCON_UTF8("b"), "value", BCON_UTF8("x"),
                      "input", BCON_UTF8("$foo"), "}", "}"),
             root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"b\" : \"x\" } }");
    bson_free(s);
    s = eval(BCON_NEW("e", "{", "$setField", "{", "field", BCON_UTF8("b"), "value", BCON_INT32(1),
                      "input", BCON_UTF8("$missing"), "}", "}"),
             root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : null }");
    bson_free(s);
    s = eval(BCON_NEW("e", "{", "$unsetField", "{", "field", BCON_UTF8("b"), "input",
                      BCON_UTF8("$foo"), "}", "}"),
             root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : {  } }");
    bson_free(s);
    s = eval(BCON_NEW("e", "{", "$getField", BCON_UTF8("foo"), "}"), root, NULL, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"b\" : { \"$numberInt\" : \"2\" } } }");
    bson_free(s);
    /* errors: a non-document input, a field that is not a constant string */
    ck_assert_ptr_null(eval(BCON_NEW("e", "{", "$setField", "{", "field", BCON_UTF8("b"), "value",
                                     BCON_INT32(1), "input", BCON_INT32(3), "}", "}"),
                            root, NULL, &code));
    ck_assert_int_eq(code, 4161109);
    ck_assert_ptr_null(
        eval(BCON_NEW("e", "{", "$setField", "{", "field", BCON_UTF8("$foo"), "value",
                      BCON_INT32(1), "input", BCON_UTF8("$$ROOT"), "}", "}"),
             root, NULL, &code));
    ck_assert_int_eq(code, 4161106);
    ck_assert_ptr_null(eval(BCON_NEW("e", "{", "$getField", "{", "field", BCON_UTF8("b"), "input",
                                     BCON_INT32(3), "}", "}"),
                            root, NULL, &code));
    ck_assert_int_eq(code, 3041705);
    bson_destroy(root);
}
END_TEST

/* ---- depth bound: nesting past SDB_BSON_DEPTH_EVAL (400) is 15 Overflow, never the stack --- */

/* deep_eval -- {e: <levels of pattern around leaf>} evaluated on root. */
static char *
deep_eval(const deep_level_t *pat, size_t np, int levels, bson_t *leaf, const bson_t *root,
          int *code)
{
    bson_t *deep = deep_build(pat, np, levels, leaf), *spec = bson_new();

    bson_concat(spec, deep);
    bson_destroy(deep);
    bson_destroy(leaf);
    return eval(spec, root, NULL, code);
}

START_TEST(test_depth_operators)
{
    static const deep_level_t add[] = {{BSON_TYPE_DOCUMENT, "e"}, {BSON_TYPE_ARRAY, "$add"}};
    static const deep_level_t obj[] = {{BSON_TYPE_DOCUMENT, "e"}};
    bson_t *root = BCON_NEW("a", BCON_INT32(5));
    char *s;
    int code;

    /* 5,000 nested $add, and one level past the bound */
    s = deep_eval(add, 2, 10000, BCON_NEW("0", BCON_INT32(1)), root, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    s = deep_eval(add, 2, 401, BCON_NEW("0", BCON_INT32(1)), root, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    /* at the bound: the innermost array at level 400 evaluates */
    s = deep_eval(add, 2, 400, BCON_NEW("0", "$a"), root, &code);
    ck_assert_str_eq(s, "{ \"v\" : { \"$numberInt\" : \"5\" } }");
    bson_free(s);
    /* object literals nesting a field: over, and at the bound (a value 400 levels deep) */
    s = deep_eval(obj, 1, 5000, BCON_NEW("x", "$a"), root, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    s = deep_eval(obj, 1, 400, BCON_NEW("x", "$a"), root, &code);
    ck_assert_ptr_nonnull(s);
    bson_free(s);
    bson_destroy(root);
}
END_TEST

/* "$a.a.a..." over arrays nested 10,000 deep, and a path of 5,000 components. */
START_TEST(test_depth_paths)
{
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    bson_t *leaf = BCON_NEW("b", BCON_INT32(1));
    bson_t *inner = deep_build(arrs, 1, 10000, leaf), *root = bson_new();
    char path[2 * 5000 + 1];
    char *s;
    int code, i;

    /* root = {a: [[[...[1]...]]]}: "$a.b" maps over arrays in arrays */
    bson_append_array(root, "a", 1, inner);
    s = eval(BCON_NEW("e", "$a.b"), root, NULL, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    path[0] = '$';
    for (i = 0; i < 5000; i++)
        memcpy(path + 1 + 2 * i, "a.", 2);
    path[2 * 5000] = '\0';
    s = eval(BCON_NEW("e", path), root, NULL, &code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    bson_destroy(leaf);
    bson_destroy(inner);
    bson_destroy(root);
}
END_TEST

static Suite *
expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_variables);
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_depth_operators);
    tcase_add_test(tc, test_depth_paths);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(expr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
