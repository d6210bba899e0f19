/*
 * tests/unit/check_projection.c -- find() projection semantics (src/worker/query/projection.c).
 *
 * Table-driven: projection, filter, document, and the exact output (relaxed extended JSON)
 * or mongod's error code.  Keys written "$$x" in the JSON become "$x".
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/sdb.h"
#include "../../src/worker/query/matcher.h"
#include "../../src/worker/query/projection.h"
#include "deep.h"
#include "stackmeter.h"

#include "json_case.h"

typedef struct pcase {
    const char *proj;
    const char *filter;
    const char *doc;
    const char *expect; /* NULL: error `code` */
    int code;
} pcase_t;

#define DOC "{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": [1, 2, 3, 4, 5]}"

static const pcase_t cases[] = {
    {"{}", "{}", DOC,
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 2, \"d\" : 3 }, \"e\" : [ 1, 2, 3, 4, 5 ] }", 0},
    {"{\"a\": 1}", "{}", DOC, "{ \"_id\" : 1, \"a\" : 1 }", 0},
    {"{\"a\": 1, \"_id\": 0}", "{}", DOC, "{ \"a\" : 1 }", 0},
    {"{\"a\": 0}", "{}", DOC,
     "{ \"_id\" : 1, \"b\" : { \"c\" : 2, \"d\" : 3 }, \"e\" : [ 1, 2, 3, 4, 5 ] }", 0},
    {"{\"_id\": 0}", "{}", "{\"_id\": 1, \"a\": 1}", "{ \"a\" : 1 }", 0},
    {"{\"_id\": 1}", "{}", "{\"_id\": 1, \"a\": 1}", "{ \"_id\" : 1 }", 0},
    {"{\"b.c\": 1}", "{}", DOC, "{ \"_id\" : 1, \"b\" : { \"c\" : 2 } }", 0},
    {"{\"b\": {\"c\": 1}}", "{}", DOC, "{ \"_id\" : 1, \"b\" : { \"c\" : 2 } }", 0},
    {"{\"b.c\": 0, \"e\": 0}", "{}", DOC, "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"d\" : 3 } }", 0},
    {"{\"x.y\": 1}", "{}", "{\"_id\": 1, \"x\": [{\"y\": 1, \"z\": 2}, 5, {\"z\": 3}]}",
     "{ \"_id\" : 1, \"x\" : [ { \"y\" : 1 }, {  } ] }", 0},
    {"{\"x.y\": 0}", "{}", "{\"_id\": 1, \"x\": [{\"y\": 1, \"z\": 2}, 5]}",
     "{ \"_id\" : 1, \"x\" : [ { \"z\" : 2 }, 5 ] }", 0},
    {"{\"a\": 1, \"b\": 0}", "{}", DOC, NULL, 31254},
    {"{\"a\": 0, \"b\": 1}", "{}", DOC, NULL, 31253},
    {"{\"b\": 1, \"b.c\": 1}", "{}", DOC, NULL, 31249},
    {"{\"e\": {\"$$slice\": 2}}", "{}", DOC,
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 2, \"d\" : 3 }, \"e\" : [ 1, 2 ] }", 0},
    {"{\"e\": {\"$$slice\": -2}, \"a\": 1}", "{}", DOC,
     "{ \"_id\" : 1, \"a\" : 1, \"e\" : [ 4, 5 ] }", 0},
    {"{\"e\": {\"$$slice\": [1, 2]}, \"_id\": 0, \"a\": 1}", "{}", DOC,
     "{ \"a\" : 1, \"e\" : [ 2, 3 ] }", 0},
    {"{\"e\": {\"$$slice\": [-2, 5]}, \"_id\": 1}", "{}", DOC, "{ \"_id\" : 1, \"e\" : [ 4, 5 ] }",
     0},
    {"{\"e\": {\"$$slice\": [1, 0]}}", "{}", DOC, NULL, 28724},
    {"{\"s\": {\"$$elemMatch\": {\"k\": 2}}}", "{}",
     "{\"_id\": 1, \"z\": 0, \"s\": [{\"k\": 1}, {\"k\": 2, \"v\": 1}, {\"k\": 2}]}",
     "{ \"_id\" : 1, \"s\" : [ { \"k\" : 2, \"v\" : 1 } ] }", 0},
    {"{\"s\": {\"$$elemMatch\": {\"k\": 9}}}", "{}", "{\"_id\": 1, \"s\": [{\"k\": 1}]}",
     "{ \"_id\" : 1 }", 0},
    {"{\"sum\": {\"$$add\": [\"$a\", 10]}, \"a\": 1}", "{}", DOC,
     "{ \"_id\" : 1, \"a\" : 1, \"sum\" : 11 }", 0},
    {"{\"n\": \"$b.c\", \"_id\": 0}", "{}", DOC, "{ \"n\" : 2 }", 0},
    {"{\"lit\": \"hello\", \"_id\": 0}", "{}", DOC, "{ \"lit\" : \"hello\" }", 0},
    {"{\"p.q\": {\"$$literal\": 1}, \"_id\": 0}", "{}", DOC, "{ \"p\" : { \"q\" : 1 } }", 0},
    {"{\"x\": {\"$$foo\": 1}}", "{}", DOC, NULL, 168},
    {"{\"$$a\": 1}", "{}", DOC, NULL, 16410},
    /* computed fields are refused in exclusion projections, and make a projection inclusive */
    {"{\"a\": 0, \"x\": {\"$$add\": [1, 2]}}", "{}", DOC, NULL, 31252},
    {"{\"a\": 0, \"x\": \"lit\"}", "{}", DOC, NULL, 31310},
    {"{\"x\": {\"$$add\": [1, 2]}, \"a\": 0}", "{}", DOC, NULL, 31254},
    {"{\"_id\": 0, \"x\": {\"$$add\": [1, 2]}}", "{}", DOC, "{ \"x\" : 3 }", 0},
    /* one positional projection, and never with $elemMatch */
    {"{\"e.$\": 1, \"a.$\": 1}", "{\"e\": 3}", DOC, NULL, 31276},
    {"{\"e.$\": 1, \"f\": {\"$$elemMatch\": {\"x\": 1}}}", "{\"e\": 3}", DOC, NULL, 31255},
    {"{\"f\": {\"$$elemMatch\": {\"x\": 1}}, \"e.$\": 1}", "{\"e\": 3}", DOC, NULL, 31256},
};

START_TEST(test_table)
{
    const pcase_t *c = &cases[_i];
    bson_t *p = json(c->proj), *f = json(c->filter), *d = json(c->doc), out;
    wk_projection_t *pr = NULL;
    sdb_error_t err = {0};
    char *s;
    int rc = wk_projection_new(p, f, &pr, &err);

    if (rc == 0) {
        rc = wk_projection_apply(pr, d, NULL, &out, &err);
        if (rc == 0 && c->expect != NULL) {
            s = bson_as_relaxed_extended_json(&out, NULL);
            ck_assert_msg(strcmp(s, c->expect) == 0, "%s:\n got %s\nwant %s", c->proj, s,
                          c->expect);
            bson_free(s);
        }
        bson_destroy(&out);
    }
    if (c->expect == NULL)
        ck_assert_msg(rc != 0 && err.code == c->code, "%s: code %d (%s), want %d", c->proj,
                      err.code, err.msg, c->code);
    else
        ck_assert_msg(rc == 0, "%s: error %d %s", c->proj, err.code, err.msg);
    wk_projection_free(pr);
    bson_destroy(p);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

START_TEST(test_positional)
{
    bson_t *p = json("{\"g.$\": 1}"), *d = json("{\"_id\": 1, \"g\": [80, 85, 90]}"), out;
    wk_match_details_t det = {2, true};
    wk_projection_t *pr = NULL;
    sdb_error_t err = {0};
    char *s;

    ck_assert_int_eq(wk_projection_new(p, NULL, &pr, &err), 0);
    ck_assert_int_eq(wk_projection_apply(pr, d, &det, &out, &err), 0);
    s = bson_as_relaxed_extended_json(&out, NULL);
    ck_assert_str_eq(s, "{ \"_id\" : 1, \"g\" : [ 90 ] }");
    bson_free(s);
    bson_destroy(&out);
    ck_assert_int_ne(wk_projection_apply(pr, d, NULL, &out, &err), 0);
    bson_destroy(&out);
    wk_projection_free(pr);
    bson_destroy(p);
    bson_destroy(d);
    p = json("{\"a\": 1, \"b\": 0}");
    ck_assert_int_ne(wk_projection_new(p, NULL, &pr, &err), 0);
    ck_assert_str_eq(err.msg, "Cannot do exclusion on field b in inclusion projection");
    bson_destroy(p);
}
END_TEST

/* "a.$" shows the element the filter's match recorded, taken from the first array on its path
 * as projected; 51246 when the match recorded none, 51247 when the array has no such element. */
typedef struct poscase {
    const char *filter;
    const char *proj;
    const char *expect; /* NULL: the error `code` */
    const char *doc;    /* NULL: PDOC */
    int code;
} poscase_t;

#define PDOC "{\"_id\": 1, \"a\": [{\"k\": 1}, {\"k\": 2, \"v\": 1}], \"n\": [5, 9, 7]}"

static const poscase_t pos_cases[] = {
    {"{\"a\": {\"$$elemMatch\": {\"k\": 2}}}", "{\"a.$\": 1}",
     "{ \"_id\" : 1, \"a\" : [ { \"k\" : 2, \"v\" : 1 } ] }"},
    {"{\"n\": {\"$$elemMatch\": {\"$$gt\": 6, \"$$lt\": 9}}}", "{\"n.$\": 1, \"_id\": 0}",
     "{ \"n\" : [ 7 ] }"},
    {"{\"n\": {\"$$all\": [9]}}", "{\"n.$\": 1}", "{ \"_id\" : 1, \"n\" : [ 9 ] }"},
    {"{\"a.v\": {\"$$exists\": true}}", "{\"a.$\": 1}",
     "{ \"_id\" : 1, \"a\" : [ { \"k\" : 2, \"v\" : 1 } ] }"},
    {"{\"$$or\": [{\"n\": 7}, {\"n\": 9}]}", "{\"n.$\": 1}", "{ \"_id\" : 1, \"n\" : [ 9 ] }"},
    {"{\"$$or\": [{\"n\": 7}, {\"a.k\": 9}]}", "{\"n.$\": 1}", NULL, NULL, 51246},
    {"{\"n\": {\"$$not\": {\"$$gt\": 10}}}", "{\"n.$\": 1}", NULL, NULL, 51246},
    /* a path below the array: the element of the projected array */
    {"{\"a.b\": 2}", "{\"a.b.$\": 1}", "{ \"_id\" : 1, \"a\" : [ { \"b\" : 2 } ] }",
     "{\"_id\": 1, \"a\": [{\"b\": 1, \"c\": 1}, {\"b\": 2, \"c\": 2}]}"},
    {"{\"x.a.b\": 2}", "{\"x.a.b.$\": 1, \"_id\": 0}",
     "{ \"x\" : { \"a\" : [ { \"b\" : [ 3, 2 ] } ] } }",
     "{\"x\": {\"a\": [{\"b\": [1], \"c\": 1}, {\"b\": [3, 2], \"c\": 2}]}}"},
    {"{\"s\": 1}", "{\"a.b.$\": 1, \"_id\": 0}", "{ \"a\" : { \"b\" : 5 } }",
     "{\"s\": 1, \"a\": {\"b\": 5}}"},
    /* the projected array is shorter than the recorded position */
    {"{\"a.c\": 3}", "{\"a.b.$\": 1}", NULL, "{\"_id\": 1, \"a\": [5, 6, {\"c\": 3}]}", 51247},
};

START_TEST(test_positional_after_match)
{
    const poscase_t *c = &pos_cases[_i];
    bson_t *p = json(c->proj), *f = json(c->filter), *d = json(c->doc ? c->doc : PDOC), out;
    wk_match_details_t det;
    wk_projection_t *pr = NULL;
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};
    char *s;
    int rc;

    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    ck_assert(wk_matcher_matches(m, d, &det));
    ck_assert_int_eq(wk_projection_new(p, f, &pr, &err), 0);
    rc = wk_projection_apply(pr, d, &det, &out, &err);
    if (c->expect == NULL) {
        ck_assert_msg(rc != 0 && err.code == c->code, "%s: rc %d code %d", c->filter, rc, err.code);
    } else {
        ck_assert_msg(rc == 0, "%s: error %d %s", c->filter, err.code, err.msg);
        s = bson_as_relaxed_extended_json(&out, NULL);
        ck_assert_msg(strcmp(s, c->expect) == 0, "%s: got %s", c->filter, s);
        bson_free(s);
    }
    bson_destroy(&out);
    wk_projection_free(pr);
    wk_matcher_free(m);
    bson_destroy(p);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

/* project -- parse spec and apply it to doc; the status, with the error code in *code. */
static int
project(const bson_t *spec, const bson_t *doc, int *code)
{
    wk_projection_t *pr = NULL;
    sdb_error_t err = {0};
    bson_t out;
    int rc = wk_projection_new(spec, NULL, &pr, &err);

    if (rc == 0) {
        rc = wk_projection_apply(pr, doc, NULL, &out, &err);
        bson_destroy(&out);
    }
    *code = err.code;
    wk_projection_free(pr);
    return rc;
}

/* Depth: arrays nested in a document past 400 levels and specs nested past the path bound
 * are 15 Overflow, never a stack overflow; at the bound the projection applies. */
START_TEST(test_depth)
{
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t elem[] = {{BSON_TYPE_DOCUMENT, "a"},
                                        {BSON_TYPE_DOCUMENT, "$elemMatch"}};
    bson_t *leaf = BCON_NEW("b", BCON_INT32(1), "c", BCON_INT32(2)), *one = BCON_NEW("x", "1");
    bson_t *excl = BCON_NEW("a.b", BCON_INT32(0)), *spec = bson_new(), *doc;
    bson_t *far = deep_build(arrs, 1, 10000, leaf), *at = deep_build(arrs, 1, 398, leaf);
    bson_t *deep_spec = deep_build(docs, 1, 5000, one), *deep_elem;
    int code;

    doc = bson_new();
    bson_append_array(doc, "a", 1, far); /* {a: [[...[1, 2]...]]} */
    ck_assert_int_eq(project(excl, doc, &code), SDB_ECLIENT);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    bson_destroy(doc);
    doc = bson_new();
    bson_append_array(doc, "a", 1, at); /* the innermost array's members [1, 2] at level 400 */
    ck_assert_int_eq(project(excl, doc, &code), 0);
    bson_destroy(doc);
    ck_assert_int_eq(project(deep_spec, leaf, &code), SDB_ECLIENT);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    bson_destroy(one);
    one = BCON_NEW("b", BCON_INT32(1));
    deep_elem = deep_build(elem, 2, 10000, one);
    bson_concat(spec, deep_elem);
    ck_assert_int_eq(project(spec, leaf, &code), SDB_ECLIENT);
    ck_assert_int_eq(code, SDB_CODE_Overflow);
    bson_destroy(leaf);
    bson_destroy(one);
    bson_destroy(excl);
    bson_destroy(spec);
    bson_destroy(far);
    bson_destroy(at);
    bson_destroy(deep_spec);
    bson_destroy(deep_elem);
}
END_TEST

typedef struct pcase_stack {
    const bson_t *spec, *doc;
} pcase_stack_t;

static void
project_at_bound(void *arg)
{
    pcase_stack_t *c = arg;
    int code;

    ck_assert_int_eq(project(c->spec, c->doc, &code), 0);
}

/* The stack an exclusion takes through arrays nested to level 400 (the deepest accepted; the
 * innermost array holds the leaf's values [1, 2]). */
START_TEST(test_depth_stack)
{
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    bson_t *leaf = BCON_NEW("b", BCON_INT32(1), "c", BCON_INT32(2));
    bson_t *at = deep_build(arrs, 1, 398, leaf), *doc = bson_new();
    bson_t *excl = BCON_NEW("a.b", BCON_INT32(0));
    pcase_stack_t c = {excl, doc};

    bson_append_array(doc, "a", 1, at);
    ck_assert_uint_lt(
        stackmeter_run("projection through arrays to level 400", project_at_bound, &c),
        STACKMETER_BUDGET);
    bson_destroy(leaf);
    bson_destroy(at);
    bson_destroy(doc);
    bson_destroy(excl);
}
END_TEST

static Suite *
projection_suite(void)
{
    Suite *s = suite_create("projection");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_positional);
    tcase_add_loop_test(tc, test_positional_after_match, 0,
                        (int)(sizeof(pos_cases) / sizeof(pos_cases[0])));
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_depth_stack);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(projection_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
