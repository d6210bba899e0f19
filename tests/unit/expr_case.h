/*
 * tests/unit/expr_case.h -- the table-driven harness of the expression operator tests
 * (check_expr_<family>.c).
 *
 * A row is an input document, an expression and either the expected value or mongod's error
 * code.  All three are JSON; keys written "$$x" become "$x" (json_case.h) where libbson's
 * reader would take "$x" for extended JSON ({"$$date": ...}, {"$$literal": ...}).  The
 * expected value is written as {"v": <value>} in extended JSON (so {"$numberLong": "5"} is an
 * int64 and 5 an int32) and compared byte for byte, types included; "{}" means missing.
 */
#ifndef TESTS_UNIT_EXPR_CASE_H
#define TESTS_UNIT_EXPR_CASE_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/worker/query/expr.h"
#include "json_case.h"

typedef struct expr_case {
    const char *doc;  /* the input document ($$ROOT) */
    const char *expr; /* the expression */
    const char *want; /* {"v": <value>} or "{}" for missing; NULL when an error is expected */
    int code;         /* the expected error code when want is NULL */
} expr_case_t;

/* expr_case_run -- evaluate one row; false (and the row's text on stderr) on a mismatch. */
static inline bool
expr_case_run(const expr_case_t *c, size_t row)
{
    char *spec_json = bson_strdup_printf("{\"e\": %s}", c->expr);
    bson_t *doc = json(c->doc), *spec = json(spec_json), *want = NULL, got = BSON_INITIALIZER;
    sdb_error_t err = {0};
    wk_expr_t *e = NULL;
    bson_value_t v;
    bson_iter_t it;
    char *gs = NULL, *ws = NULL;
    bool ok = false;
    int rc;

    ck_assert(bson_iter_init_find(&it, spec, "e"));
    rc = wk_expr_parse(&it, &e, &err);
    if (rc == 0)
        rc = wk_expr_eval(e, doc, &v, &err);
    if (c->want == NULL) {
        ok = rc != 0 && err.code == c->code;
        if (rc == 0)
            bson_value_destroy(&v);
        if (!ok)
            fprintf(stderr, "row %zu %s: expected error %d, got %d (%s)\n", row, c->expr, c->code,
                    err.code, err.msg);
    } else if (rc != 0) {
        fprintf(stderr, "row %zu %s: unexpected error %d (%s)\n", row, c->expr, err.code, err.msg);
    } else {
        if (v.value_type != BSON_TYPE_EOD)
            bson_append_value(&got, "v", 1, &v);
        bson_value_destroy(&v);
        want = json(c->want);
        ok = bson_equal(&got, want);
        gs = bson_as_canonical_extended_json(&got, NULL);
        ws = bson_as_canonical_extended_json(want, NULL);
        if (!ok)
            fprintf(stderr, "row %zu %s: got %s, want %s\n", row, c->expr, gs, ws);
        bson_free(gs);
        bson_free(ws);
        bson_destroy(want);
    }
    wk_expr_free(e);
    bson_destroy(&got);
    bson_destroy(doc);
    bson_destroy(spec);
    bson_free(spec_json);
    return ok;
}

/* expr_cases_run -- every row of a table; the test fails if any row does. */
static inline void
expr_cases_run(const expr_case_t *cases, size_t n)
{
    size_t i, failed = 0;

    for (i = 0; i < n; i++)
        failed += expr_case_run(&cases[i], i) ? 0 : 1;
    ck_assert_msg(failed == 0, "%zu of %zu rows failed", failed, n);
}

/* EXPR_CASE_MAIN -- the main() of a family's test: one test case that runs `table`. */
#define EXPR_CASE_MAIN(family, table)                                                              \
    START_TEST(test_##family)                                                                      \
    {                                                                                              \
        expr_cases_run(table, sizeof(table) / sizeof(table[0]));                                   \
    }                                                                                              \
    END_TEST                                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        Suite *s = suite_create("expr_" #family);                                                  \
        TCase *tc = tcase_create(#family);                                                         \
        SRunner *sr;                                                                               \
        int failed;                                                                                \
        tcase_set_timeout(tc, 20);                                                                 \
        tcase_add_test(tc, test_##family);                                                         \
        suite_add_tcase(s, tc);                                                                    \
        sr = srunner_create(s);                                                                    \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        failed = srunner_ntests_failed(sr);                                                        \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
