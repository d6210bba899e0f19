/*
 * tests/unit/check_collation.c -- collations (src/worker/query/collation.c) and their use by
 * the matcher and sorts (wk_matcher_new_ex, wk_sort_new_ex), plus the matcher's `let`
 * variables for $expr.
 *
 * Exact outcomes: which documents match, the order of a sort, and mongod's error codes for
 * malformed collation documents.
 */
#include <check.h>
#include <stdlib.h>

#include "../../src/common/collation.h"
#include "../../src/worker/query/matcher.h"
#include "../../src/worker/query/sort.h"

static bson_t *
json(const char *s)
{
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)s, -1, &e);

    ck_assert_msg(b != NULL, "bad json %s: %s", s, e.message);
    return b;
}

/* coll_err -- the error code of sdb_collation_new on `spec` (0 when it parses). */
static int
coll_err(const char *spec)
{
    bson_t *b = json(spec);
    sdb_collation_t *c = NULL;
    sdb_error_t err = {0};
    int ret = sdb_collation_new(b, &c, &err);

    sdb_collation_free(c);
    bson_destroy(b);
    return ret == 0 ? 0 : err.code;
}

START_TEST(test_parse_errors)
{
    ck_assert_int_eq(coll_err("{\"locale\": \"en_US\", \"strength\": 2}"), 0);
    ck_assert_int_eq(coll_err("{\"locale\": \"fr\", \"caseLevel\": true, \"caseFirst\": \"upper\","
                              " \"numericOrdering\": true, \"alternate\": \"shifted\","
                              " \"maxVariable\": \"space\", \"backwards\": true}"),
                     0);
    ck_assert_int_eq(coll_err("{\"locale\": \"simple\"}"), 0);
    ck_assert_int_eq(coll_err("{}"), 40414);
    ck_assert_int_eq(coll_err("{\"strength\": 2}"), 40414);
    ck_assert_int_eq(coll_err("{\"locale\": \"zz_bogus\"}"), 2);
    ck_assert_int_eq(coll_err("{\"locale\": \"en\", \"strength\": 6}"), 2);
    ck_assert_int_eq(coll_err("{\"locale\": 1}"), 14);
    ck_assert_int_eq(coll_err("{\"locale\": \"en\", \"caseLevel\": 1}"), 14);
    ck_assert_int_eq(coll_err("{\"locale\": \"en\", \"foo\": 1}"), 40415);
    ck_assert_int_eq(coll_err("{\"locale\": \"en\", \"caseFirst\": \"sideways\"}"), 9);
}
END_TEST

static sdb_collation_t *
coll_new(const char *spec)
{
    bson_t *b = json(spec);
    sdb_collation_t *c = NULL;
    sdb_error_t err = {0};

    ck_assert_int_eq(sdb_collation_new(b, &c, &err), 0);
    bson_destroy(b);
    return c;
}

START_TEST(test_compare)
{
    sdb_collation_t *s2 = coll_new("{\"locale\": \"en_US\", \"strength\": 2}");
    sdb_collation_t *s3 = coll_new("{\"locale\": \"en_US\"}");
    sdb_collation_t *num = coll_new("{\"locale\": \"en\", \"numericOrdering\": true}");
    sdb_collation_t *simple = coll_new("{\"locale\": \"simple\"}");

    ck_assert_ptr_null(simple);
    ck_assert_int_eq(sdb_collation_str_cmp(s2, "ping", 4, "PING", 4), 0);
    ck_assert_int_ne(sdb_collation_str_cmp(s3, "ping", 4, "PING", 4), 0);
    ck_assert_int_lt(sdb_collation_str_cmp(s3, "b", 1, "C", 1), 0);
    ck_assert_int_gt(sdb_collation_str_cmp(NULL, "b", 1, "C", 1), 0);
    ck_assert_int_gt(sdb_collation_str_cmp(num, "10", 2, "9", 1), 0);
    ck_assert_int_lt(sdb_collation_str_cmp(s3, "10", 2, "9", 1), 0);
    sdb_collation_free(s2);
    sdb_collation_free(s3);
    sdb_collation_free(num);
}
END_TEST

/* matches -- does `doc` satisfy `filter` with the given options? */
static bool
matches(const char *filter, const char *doc, const wk_match_opts_t *mo)
{
    bson_t *f = json(filter), *d = json(doc);
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};
    bool r;

    ck_assert_int_eq(wk_matcher_new_ex(f, mo, &m, &err), 0);
    r = wk_matcher_matches(m, d, NULL);
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
    return r;
}

START_TEST(test_matcher_collation)
{
    sdb_collation_t *s2 = coll_new("{\"locale\": \"en_US\", \"strength\": 2}");
    wk_match_opts_t mo = {NULL, s2};

    ck_assert(matches("{\"x\": \"PING\"}", "{\"x\": \"ping\"}", &mo));
    ck_assert(!matches("{\"x\": \"PING\"}", "{\"x\": \"ping\"}", NULL));
    ck_assert(matches("{\"x\": {\"$in\": [\"A\", \"PING\"]}}", "{\"x\": [\"pInG\"]}", &mo));
    ck_assert(matches("{\"x\": {\"$gt\": \"B\"}}", "{\"x\": \"c\"}", &mo));
    ck_assert(!matches("{\"x\": {\"$gt\": \"B\"}}", "{\"x\": \"b\"}", &mo));
    ck_assert(matches("{\"x\": {\"a\": \"Q\"}}", "{\"x\": {\"a\": \"q\"}}", &mo));
    ck_assert(!matches("{\"x\": \"1\"}", "{\"x\": 1}", &mo));
    ck_assert(!matches("{\"x\": \"pong\"}", "{\"x\": \"ping\"}", &mo));
    sdb_collation_free(s2);
}
END_TEST

START_TEST(test_matcher_let)
{
    bson_t *vars = json("{\"id\": 1, \"name\": \"n\"}");
    wk_match_opts_t mo = {vars, NULL};

    ck_assert(matches("{\"$expr\": {\"$eq\": [\"$_id\", \"$$id\"]}}", "{\"_id\": 1}", &mo));
    ck_assert(!matches("{\"$expr\": {\"$eq\": [\"$_id\", \"$$id\"]}}", "{\"_id\": 2}", &mo));
    ck_assert(matches("{\"$expr\": {\"$eq\": [\"$name\", \"$$name\"]}}", "{\"name\": \"n\"}", &mo));
    /* an undefined variable is an evaluation error: nothing matches */
    ck_assert(!matches("{\"$expr\": {\"$eq\": [\"$_id\", \"$$id\"]}}", "{\"_id\": 1}", NULL));
    /* outside $expr, "$$id" is a plain string */
    ck_assert(matches("{\"a\": \"$$id\"}", "{\"a\": \"$$id\"}", &mo));
    bson_destroy(vars);
}
END_TEST

START_TEST(test_sort_collation)
{
    sdb_collation_t *s2 = coll_new("{\"locale\": \"en\"}");
    bson_t *docs[3] = {json("{\"x\": \"b\"}"), json("{\"x\": \"C\"}"), json("{\"x\": \"a\"}")};
    bson_t *spec = json("{\"x\": 1}");
    wk_sort_t *so = NULL;
    sdb_error_t err = {0};
    bson_iter_t it;

    ck_assert_int_eq(wk_sort_new_ex(spec, s2, &so, &err), 0);
    wk_sort_docs(so, docs, 3);
    ck_assert(bson_iter_init_find(&it, docs[0], "x"));
    ck_assert_str_eq(bson_iter_utf8(&it, NULL), "a");
    ck_assert(bson_iter_init_find(&it, docs[2], "x"));
    ck_assert_str_eq(bson_iter_utf8(&it, NULL), "C");
    wk_sort_free(so);
    so = NULL;
    ck_assert_int_eq(wk_sort_new(spec, &so, &err), 0);
    wk_sort_docs(so, docs, 3);
    ck_assert(bson_iter_init_find(&it, docs[0], "x"));
    ck_assert_str_eq(bson_iter_utf8(&it, NULL), "C"); /* binary: upper case first */
    wk_sort_free(so);
    for (int i = 0; i < 3; i++)
        bson_destroy(docs[i]);
    bson_destroy(spec);
    sdb_collation_free(s2);
}
END_TEST

static Suite *
collation_suite(void)
{
    Suite *s = suite_create("collation");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_matcher_collation);
    tcase_add_test(tc, test_matcher_let);
    tcase_add_test(tc, test_sort_collation);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(collation_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
