/*
 * tests/unit/check_update.c -- update semantics (src/worker/update/).
 *
 * Table-driven: an update ({"u": ..., "f": arrayFilters}), a document, and the exact
 * result (relaxed extended JSON) or mongod's error code.  Keys written "$$x" in the JSON
 * become "$x" (libbson's JSON reader would otherwise take some of them as extended JSON).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/worker/query/matcher.h"
#include "../../src/worker/update/update.h"

#include "../../src/common/bsoncmp.h"
#include "../../src/common/sdb.h"
#include "deep.h"
#include "json_case.h"
#include "stackmeter.h"

typedef struct ucase {
    const char *update; /* {"u": <update>} */
    const char *doc;
    const char *expect; /* canonical extended JSON, or NULL when an error is expected */
    int code;           /* expected error code (0 = none) */
} ucase_t;

static const ucase_t cases[] = {
    /* $set / $unset, field order */
    {"{\"u\": {\"$$set\": {\"a\": 2}}}", "{\"_id\": 1, \"a\": 1, \"b\": 1}",
     "{ \"_id\" : 1, \"a\" : 2, \"b\" : 1 }", 0},
    {"{\"u\": {\"$$set\": {\"z\": 1, \"c\": 2}}}", "{\"_id\": 1, \"a\": 1}",
     "{ \"_id\" : 1, \"a\" : 1, \"c\" : 2, \"z\" : 1 }", 0},
    {"{\"u\": {\"$$set\": {\"a.b.c\": 1}}}", "{\"_id\": 1}",
     "{ \"_id\" : 1, \"a\" : { \"b\" : { \"c\" : 1 } } }", 0},
    {"{\"u\": {\"$$set\": {\"a.2\": 9}}}", "{\"_id\": 1, \"a\": [1]}",
     "{ \"_id\" : 1, \"a\" : [ 1, null, 9 ] }", 0},
    {"{\"u\": {\"$$set\": {\"a.b\": 1}}}", "{\"_id\": 1, \"a\": 5}", NULL, 28},
    {"{\"u\": {\"$$set\": {\"a.b\": 1}}}", "{\"_id\": 1, \"a\": [1]}", NULL, 28},
    {"{\"u\": {\"$$unset\": {\"a\": \"\"}}}", "{\"_id\": 1, \"a\": 1, \"b\": 2}",
     "{ \"_id\" : 1, \"b\" : 2 }", 0},
    {"{\"u\": {\"$$unset\": {\"a.1\": 1}}}", "{\"_id\": 1, \"a\": [1, 2, 3]}",
     "{ \"_id\" : 1, \"a\" : [ 1, null, 3 ] }", 0},
    {"{\"u\": {\"$$unset\": {\"x.y\": 1}}}", "{\"_id\": 1}", "{ \"_id\" : 1 }", 0},
    /* top-level $-prefixed fields: not created or changed in an existing document (52);
     * nested ones and untouched ones are fine */
    {"{\"u\": {\"$$set\": {\"$$x\": 1}}}", "{\"_id\": 1}", NULL, 52},
    {"{\"u\": {\"$$push\": {\"$$each\": [1]}}}", "{\"_id\": 1}", NULL, 52},
    {"{\"u\": {\"$$set\": {\"a.$x\": 1}}}", "{\"_id\": 1}",
     "{ \"_id\" : 1, \"a\" : { \"$x\" : 1 } }", 0},
    {"{\"u\": {\"$$set\": {\"b\": 2}}}", "{\"_id\": 1, \"$$x\": 1}",
     "{ \"_id\" : 1, \"$x\" : 1, \"b\" : 2 }", 0},
    /* arithmetic */
    {"{\"u\": {\"$$inc\": {\"a\": 1}}}", "{\"_id\": 1, \"a\": 1}", "{ \"_id\" : 1, \"a\" : 2 }", 0},
    {"{\"u\": {\"$$inc\": {\"a\": 1.5}}}", "{\"_id\": 1}", "{ \"_id\" : 1, \"a\" : 1.5 }", 0},
    {"{\"u\": {\"$$inc\": {\"a\": 1}}}", "{\"_id\": 1, \"a\": 2147483647}",
     "{ \"_id\" : 1, \"a\" : 2147483648 }", 0},
    {"{\"u\": {\"$$inc\": {\"a\": 1}}}", "{\"_id\": 1, \"a\": \"x\"}", NULL, 14},
    {"{\"u\": {\"$$inc\": {\"a\": \"x\"}}}", "{\"_id\": 1}", NULL, 14},
    {"{\"u\": {\"$$mul\": {\"a\": 3}}}", "{\"_id\": 1, \"a\": 2}", "{ \"_id\" : 1, \"a\" : 6 }", 0},
    {"{\"u\": {\"$$mul\": {\"a\": 3}}}", "{\"_id\": 1}", "{ \"_id\" : 1, \"a\" : 0 }", 0},
    {"{\"u\": {\"$$min\": {\"a\": 3}}}", "{\"_id\": 1, \"a\": 5}", "{ \"_id\" : 1, \"a\" : 3 }", 0},
    {"{\"u\": {\"$$min\": {\"a\": 7}}}", "{\"_id\": 1, \"a\": 5}", "{ \"_id\" : 1, \"a\" : 5 }", 0},
    {"{\"u\": {\"$$max\": {\"a\": 7}}}", "{\"_id\": 1, \"a\": 5}", "{ \"_id\" : 1, \"a\" : 7 }", 0},
    {"{\"u\": {\"$$max\": {\"a\": \"s\"}}}", "{\"_id\": 1, \"a\": 5}",
     "{ \"_id\" : 1, \"a\" : \"s\" }", 0},
    {"{\"u\": {\"$$bit\": {\"a\": {\"and\": 10}}}}", "{\"_id\": 1, \"a\": 13}",
     "{ \"_id\" : 1, \"a\" : 8 }", 0},
    {"{\"u\": {\"$$bit\": {\"a\": {\"or\": 5, \"xor\": 1}}}}", "{\"_id\": 1, \"a\": 8}",
     "{ \"_id\" : 1, \"a\" : 12 }", 0},
    {"{\"u\": {\"$$bit\": {\"a\": {\"and\": 1.5}}}}", "{\"_id\": 1}", NULL, 2},
    /* $rename */
    {"{\"u\": {\"$$rename\": {\"a\": \"z\"}}}", "{\"_id\": 1, \"a\": 1, \"b\": 2}",
     "{ \"_id\" : 1, \"b\" : 2, \"z\" : 1 }", 0},
    {"{\"u\": {\"$$rename\": {\"a.b\": \"c\"}}}", "{\"_id\": 1, \"a\": {\"b\": 1}}",
     "{ \"_id\" : 1, \"a\" : {  }, \"c\" : 1 }", 0},
    {"{\"u\": {\"$$rename\": {\"q\": \"z\"}}}", "{\"_id\": 1}", "{ \"_id\" : 1 }", 0},
    {"{\"u\": {\"$$rename\": {\"a\": \"a\"}}}", "{\"_id\": 1}", NULL, 2},
    {"{\"u\": {\"$$rename\": {\"a\": 5}}}", "{\"_id\": 1}", NULL, 2},
    /* arrays */
    {"{\"u\": {\"$$push\": {\"a\": 3}}}", "{\"_id\": 1, \"a\": [1]}",
     "{ \"_id\" : 1, \"a\" : [ 1, 3 ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": 3}}}", "{\"_id\": 1}", "{ \"_id\" : 1, \"a\" : [ 3 ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": 3}}}", "{\"_id\": 1, \"a\": 2}", NULL, 2},
    {"{\"u\": {\"$$push\": {\"a\": {\"$$each\": [5, 1, 4], \"$$sort\": 1, \"$$slice\": 3}}}}",
     "{\"_id\": 1, \"a\": [3, 2]}", "{ \"_id\" : 1, \"a\" : [ 1, 2, 3 ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": {\"$$each\": [5, 6], \"$$position\": 0}}}}",
     "{\"_id\": 1, \"a\": [1]}", "{ \"_id\" : 1, \"a\" : [ 5, 6, 1 ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": {\"$$each\": [9], \"$$slice\": -2}}}}",
     "{\"_id\": 1, \"a\": [1, 2, 3]}", "{ \"_id\" : 1, \"a\" : [ 3, 9 ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": {\"$$each\": [{\"s\": 2}], \"$$sort\": {\"s\": -1}}}}}",
     "{\"_id\": 1, \"a\": [{\"s\": 1}, {\"s\": 3}]}",
     "{ \"_id\" : 1, \"a\" : [ { \"s\" : 3 }, { \"s\" : 2 }, { \"s\" : 1 } ] }", 0},
    {"{\"u\": {\"$$push\": {\"a\": {\"$$each\": 1}}}}", "{\"_id\": 1}", NULL, 2},
    {"{\"u\": {\"$$addToSet\": {\"a\": 2}}}", "{\"_id\": 1, \"a\": [1, 2]}",
     "{ \"_id\" : 1, \"a\" : [ 1, 2 ] }", 0},
    {"{\"u\": {\"$$addToSet\": {\"a\": {\"$$each\": [2, 3, 3]}}}}", "{\"_id\": 1, \"a\": [1, 2]}",
     "{ \"_id\" : 1, \"a\" : [ 1, 2, 3 ] }", 0},
    {"{\"u\": {\"$$pop\": {\"a\": 1}}}", "{\"_id\": 1, \"a\": [1, 2, 3]}",
     "{ \"_id\" : 1, \"a\" : [ 1, 2 ] }", 0},
    {"{\"u\": {\"$$pop\": {\"a\": -1}}}", "{\"_id\": 1, \"a\": [1, 2, 3]}",
     "{ \"_id\" : 1, \"a\" : [ 2, 3 ] }", 0},
    {"{\"u\": {\"$$pop\": {\"a\": 2}}}", "{\"_id\": 1}", NULL, 9},
    {"{\"u\": {\"$$pull\": {\"a\": {\"$$gte\": 6}}}}", "{\"_id\": 1, \"a\": [1, 6, 7, 2]}",
     "{ \"_id\" : 1, \"a\" : [ 1, 2 ] }", 0},
    {"{\"u\": {\"$$pull\": {\"a\": 2}}}", "{\"_id\": 1, \"a\": [2, 1, 2]}",
     "{ \"_id\" : 1, \"a\" : [ 1 ] }", 0},
    {"{\"u\": {\"$$pull\": {\"a\": {\"s\": 8}}}}",
     "{\"_id\": 1, \"a\": [{\"s\": 8, \"i\": 1}, {\"s\": 7}]}",
     "{ \"_id\" : 1, \"a\" : [ { \"s\" : 7 } ] }", 0},
    {"{\"u\": {\"$$pullAll\": {\"a\": [0, 5]}}}", "{\"_id\": 1, \"a\": [0, 2, 5, 5, 1]}",
     "{ \"_id\" : 1, \"a\" : [ 2, 1 ] }", 0},
    /* positional and filtered positional */
    {"{\"u\": {\"$$set\": {\"a.$.b.$\": 1}}}", "{\"_id\": 1}", NULL, 2},
    {"{\"u\": {\"$$inc\": {\"$$.b\": 1}}}", "{\"_id\": 1}", NULL, 2},
    {"{\"u\": {\"$$set\": {\"a.$[]\": 0}}}", "{\"_id\": 1, \"a\": [1, 2]}",
     "{ \"_id\" : 1, \"a\" : [ 0, 0 ] }", 0},
    {"{\"u\": {\"$$inc\": {\"a.$[].n\": 1}}}", "{\"_id\": 1, \"a\": [{\"n\": 1}, {\"n\": 5}]}",
     "{ \"_id\" : 1, \"a\" : [ { \"n\" : 2 }, { \"n\" : 6 } ] }", 0},
    {"{\"u\": {\"$$set\": {\"a.$[x]\": 100}}, \"f\": [{\"x\": {\"$$gte\": 100}}]}",
     "{\"_id\": 1, \"a\": [95, 102, 90, 150]}", "{ \"_id\" : 1, \"a\" : [ 95, 100, 90, 100 ] }", 0},
    {"{\"u\": {\"$$set\": {\"a.$[e].g\": 1}}, \"f\": [{\"e.s\": 2}]}",
     "{\"_id\": 1, \"a\": [{\"s\": 1}, {\"s\": 2}]}",
     "{ \"_id\" : 1, \"a\" : [ { \"s\" : 1 }, { \"s\" : 2, \"g\" : 1 } ] }", 0},
    {"{\"u\": {\"$$set\": {\"a.$[y]\": 1}}, \"f\": [{\"x\": 1}]}", "{\"_id\": 1}", NULL, 2},
    {"{\"u\": {\"$$set\": {\"a\": 1}}, \"f\": [{\"x\": 1}]}", "{\"_id\": 1}", NULL, 9},
    {"{\"u\": {\"$$set\": {\"a.$\": 1}}}", "{\"_id\": 1, \"a\": [1]}", NULL, 2},
    /* conflicts, _id, parse errors */
    {"{\"u\": {\"$$set\": {\"a\": 1}, \"$$inc\": {\"a\": 1}}}", "{\"_id\": 1}", NULL, 40},
    {"{\"u\": {\"$$set\": {\"a.b\": 1, \"a\": 1}}}", "{\"_id\": 1}", NULL, 40},
    {"{\"u\": {\"$$set\": {\"_id\": 2}}}", "{\"_id\": 1}", NULL, 66},
    {"{\"u\": {\"$$set\": {\"_id\": 1}}}", "{\"_id\": 1}", "{ \"_id\" : 1 }", 0},
    {"{\"u\": {\"$$foo\": {\"a\": 1}}}", "{\"_id\": 1}", NULL, 9},
    {"{\"u\": {\"$$set\": 5}}", "{\"_id\": 1}", NULL, 9},
    {"{\"u\": {\"$$set\": {\"a..b\": 5}}}", "{\"_id\": 1}", NULL, 56},
    {"{\"u\": {\"$$setOnInsert\": {\"a\": 1}}}", "{\"_id\": 1}", "{ \"_id\" : 1 }", 0},
    {"{\"u\": {\"$$currentDate\": {\"a\": {\"$$type\": \"x\"}}}}", "{\"_id\": 1}", NULL, 2},
    /* replacement */
    {"{\"u\": {\"x\": 1}}", "{\"_id\": 1, \"a\": 1}", "{ \"_id\" : 1, \"x\" : 1 }", 0},
    {"{\"u\": {}}", "{\"_id\": 1, \"a\": 1}", "{ \"_id\" : 1 }", 0},
    {"{\"u\": {\"_id\": 2, \"x\": 1}}", "{\"_id\": 1}", NULL, 66},
    {"{\"u\": {\"x\": 1, \"$$set\": {\"a\": 1}}}", "{\"_id\": 1}", NULL, 52},
    /* pipelines */
    {"{\"u\": [{\"$$set\": {\"t\": {\"$$add\": [\"$a\", \"$b\"]}}}]}",
     "{\"_id\": 1, \"a\": 1, \"b\": 2}", "{ \"_id\" : 1, \"a\" : 1, \"b\" : 2, \"t\" : 3 }", 0},
    {"{\"u\": [{\"$$set\": {\"s.x\": 1}}, {\"$$unset\": [\"a\"]}]}",
     "{\"_id\": 1, \"a\": 1, \"s\": {\"y\": 2}}",
     "{ \"_id\" : 1, \"s\" : { \"y\" : 2, \"x\" : 1 } }", 0},
    {"{\"u\": [{\"$$replaceWith\": {\"n\": \"$a\"}}]}", "{\"_id\": 1, \"a\": 5}",
     "{ \"_id\" : 1, \"n\" : 5 }", 0},
    {"{\"u\": [{\"$$project\": {\"a\": 1}}]}", "{\"_id\": 1, \"a\": 5, \"b\": 1}",
     "{ \"_id\" : 1, \"a\" : 5 }", 0},
    {"{\"u\": [{\"$$set\": {\"_id\": 3}}]}", "{\"_id\": 1}", NULL, 66},
    {"{\"u\": [{\"$$group\": {}}]}", "{\"_id\": 1}", NULL, 72},
};

static char *
canon(const bson_t *b)
{
    return bson_as_relaxed_extended_json(b, NULL);
}

START_TEST(test_table)
{
    const ucase_t *c = &cases[_i];
    bson_t *spec = json(c->update), *doc = json(c->doc), out, filters;
    bson_iter_t u, f;
    wk_update_t *up = NULL;
    sdb_error_t err = {0};
    bool changed = false, have_filters = false;
    char *s;
    int rc;

    ck_assert(bson_iter_init_find(&u, spec, "u"));
    if (bson_iter_init_find(&f, spec, "f")) {
        const uint8_t *data;
        uint32_t len;
        bson_iter_array(&f, &len, &data);
        bson_init_static(&filters, data, len);
        have_filters = true;
    }
    rc = wk_update_new(&u, have_filters ? &filters : NULL, &up, &err);
    if (rc == 0) {
        rc = wk_update_apply(up, doc, NULL, false, &out, &changed, &err);
        if (rc == 0 && c->expect != NULL) {
            s = canon(&out);
            ck_assert_msg(strcmp(s, c->expect) == 0, "%s on %s:\n got %s\nwant %s", c->update,
                          c->doc, s, c->expect);
            bson_free(s);
        }
        bson_destroy(&out);
    }
    if (c->expect == NULL)
        ck_assert_msg(rc != 0 && err.code == c->code, "%s on %s: rc %d code %d (%s), want %d",
                      c->update, c->doc, rc, err.code, err.msg, c->code);
    else
        ck_assert_msg(rc == 0, "%s: error %d %s", c->update, err.code, err.msg);
    wk_update_free(up);
    bson_destroy(spec);
    bson_destroy(doc);
}
END_TEST

/* apply_one -- parse and apply an update given as {"u": ...}, return the relaxed JSON. */
static char *
apply_one(const char *spec_json, const char *doc_json, const wk_match_details_t *d, bool ins,
          sdb_error_t *err)
{
    bson_t *spec = json(spec_json), *doc = json(doc_json), out;
    bson_iter_t u;
    wk_update_t *up = NULL;
    bool changed;
    char *s = NULL;

    bson_iter_init_find(&u, spec, "u");
    if (wk_update_new(&u, NULL, &up, err) == 0) {
        if (wk_update_apply(up, doc, d, ins, &out, &changed, err) == 0)
            s = canon(&out);
        bson_destroy(&out);
    }
    wk_update_free(up);
    bson_destroy(spec);
    bson_destroy(doc);
    return s;
}

START_TEST(test_positional_and_upsert)
{
    wk_match_details_t d = {1, true};
    sdb_error_t err = {0};
    bson_t *q, seed;
    char *s;

    s = apply_one("{\"u\": {\"$$set\": {\"a.$\": 9}}}", "{\"_id\": 1, \"a\": [1, 2, 3]}", &d, false,
                  &err);
    ck_assert_str_eq(s, "{ \"_id\" : 1, \"a\" : [ 1, 9, 3 ] }");
    bson_free(s);
    s = apply_one("{\"u\": {\"$$setOnInsert\": {\"x\": 1}, \"$$set\": {\"y\": 2}}}", "{\"_id\": 1}",
                  NULL, true, &err);
    ck_assert_str_eq(s, "{ \"_id\" : 1, \"x\" : 1, \"y\" : 2 }");
    bson_free(s);

    q = json("{\"a\": 1, \"b.c\": {\"$$eq\": 2}, \"d\": {\"$$gt\": 1}, \"_id\": 5, "
             "\"$$and\": [{\"e\": \"x\"}]}");
    ck_assert_int_eq(wk_update_upsert_seed(q, &seed, &err), 0);
    s = canon(&seed);
    ck_assert_str_eq(s, "{ \"_id\" : 5, \"a\" : 1, \"b\" : { \"c\" : 2 }, \"e\" : \"x\" }");
    bson_free(s);
    bson_destroy(&seed);
    bson_destroy(q);
}
END_TEST

/* The positional $ takes the element the filter's match recorded (matcher.h details). */
typedef struct poscase {
    const char *filter;
    const char *update;
    const char *doc;
    const char *expect; /* NULL: 2 BadValue, no element recorded */
} poscase_t;

static const poscase_t pos_cases[] = {
    {"{\"a\": {\"$$elemMatch\": {\"k\": 1, \"v\": 2}}}", "{\"u\": {\"$$set\": {\"a.$.v\": 3}}}",
     "{\"_id\": 1, \"a\": [{\"k\": 1, \"v\": 1}, {\"k\": 1, \"v\": 2}]}",
     "{ \"_id\" : 1, \"a\" : [ { \"k\" : 1, \"v\" : 1 }, { \"k\" : 1, \"v\" : 3 } ] }"},
    {"{\"a\": {\"$$elemMatch\": {\"$$gt\": 2}}}", "{\"u\": {\"$$inc\": {\"a.$\": 10}}}",
     "{\"_id\": 1, \"a\": [1, 2, 3]}", "{ \"_id\" : 1, \"a\" : [ 1, 2, 13 ] }"},
    {"{\"a\": {\"$$in\": [2, 3]}}", "{\"u\": {\"$$unset\": {\"a.$\": 1}}}",
     "{\"_id\": 1, \"a\": [1, 2, 3]}", "{ \"_id\" : 1, \"a\" : [ 1, null, 3 ] }"},
    {"{\"b.c\": 5}", "{\"u\": {\"$$set\": {\"b.$.d\": true}}}",
     "{\"_id\": 1, \"b\": [{\"c\": [4]}, {\"c\": [6, 5]}]}",
     "{ \"_id\" : 1, \"b\" : [ { \"c\" : [ 4 ] }, { \"c\" : [ 6, 5 ], \"d\" : true } ] }"},
    {"{\"$$or\": [{\"a\": 3}, {\"x\": 1}]}", "{\"u\": {\"$$set\": {\"a.$\": 0}}}",
     "{\"_id\": 1, \"a\": [1, 2, 3]}", NULL},
    {"{\"a\": {\"$$nin\": [7]}}", "{\"u\": {\"$$set\": {\"a.$\": 0}}}",
     "{\"_id\": 1, \"a\": [1, 2, 3]}", NULL},
};

START_TEST(test_positional_after_match)
{
    const poscase_t *c = &pos_cases[_i];
    bson_t *f = json(c->filter), *d = json(c->doc);
    wk_match_details_t det;
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};
    char *s;

    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    ck_assert(wk_matcher_matches(m, d, &det));
    s = apply_one(c->update, c->doc, &det, false, &err);
    if (c->expect == NULL) {
        ck_assert_ptr_null(s);
        ck_assert_int_eq(err.code, 2);
        ck_assert_str_eq(err.msg, "The positional operator did not find the match needed from "
                                  "the query.");
    } else {
        ck_assert_msg(s != NULL && strcmp(s, c->expect) == 0, "%s: got %s", c->filter, s);
    }
    bson_free(s);
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

START_TEST(test_messages)
{
    sdb_error_t err = {0};
    char *s;

    s = apply_one("{\"u\": {\"$$inc\": {\"a\": 1}}}", "{\"_id\": 1, \"a\": \"x\"}", NULL, false,
                  &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, "Cannot apply $inc to a value of non-numeric type. {_id: 1} has "
                              "the field 'a' of non-numeric type string");
    s = apply_one("{\"u\": {\"$$set\": {\"a\": 1}, \"$$unset\": {\"a\": 1}}}", "{}", NULL, false,
                  &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, "Updating the path 'a' would create a conflict at 'a'");
    s = apply_one("{\"u\": {\"$$set\": {\"_id\": 2}}}", "{\"_id\": 1}", NULL, false, &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, "Performing an update on the path '_id' would modify the "
                              "immutable field '_id'");
    s = apply_one("{\"u\": {\"$$set\": {\"a.b\": 1}}}", "{\"_id\": 1, \"a\": 5}", NULL, false,
                  &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, "Cannot create field 'b' in element {a: 5}");
    s = apply_one("{\"u\": {\"$$set\": {\"a.$.b.$\": 1}}}", "{\"_id\": 1}", NULL, false, &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, "Too many positional (i.e. '$') elements found in path 'a.$.b.$'");
    s = apply_one("{\"u\": {\"$$unset\": {\"$$.b\": 1}}}", "{\"_id\": 1}", NULL, false, &err);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(
        err.msg, "Cannot have positional (i.e. '$') element in the first position in path '$.b'");
}
END_TEST

/* ---- depth: documents of any depth load and serialize; nesting past 400 is 15 Overflow ---- */

/* apply_doc -- parse the update {"u": ...} (spec) and apply it to doc; the status. */
static int
apply_doc(bson_t *spec, const bson_t *doc, bson_t *out, sdb_error_t *err)
{
    bson_iter_t u;
    wk_update_t *up = NULL;
    bool changed;
    int rc;

    memset(err, 0, sizeof(*err));
    bson_init(out);
    ck_assert(bson_iter_init_find(&u, spec, "u"));
    rc = wk_update_new(&u, NULL, &up, err);
    if (rc == 0) {
        bson_destroy(out);
        rc = wk_update_apply(up, doc, NULL, false, out, &changed, err);
    }
    wk_update_free(up);
    bson_destroy(spec);
    return rc;
}

START_TEST(test_depth_documents)
{
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    bson_t *leaf = BCON_NEW("x", BCON_INT32(1)), *deep = deep_build(docs, 1, 10000, leaf);
    bson_t *arr = deep_build(arrs, 1, 10000, leaf), *at = deep_build(docs, 1, 399, leaf);
    bson_t *want, *spec, doc, out, u, set;
    bson_value_t dv;
    sdb_error_t err;

    /* {$set: {b: 1}} on a document 400 levels deep (x at level 400): written back with b */
    ck_assert_int_eq(
        apply_doc(BCON_NEW("u", "{", "$set", "{", "b", BCON_INT32(1), "}", "}"), at, &out, &err),
        0);
    want = bson_copy(at);
    BSON_APPEND_INT32(want, "b", 1);
    ck_assert_int_eq(sdb_bson_doc_cmp(&out, want), 0);
    bson_destroy(&out);
    bson_destroy(want);
    /* ... and on one 10,000 levels deep: loaded and serialized without recursion, then refused
     * as a result no store may take */
    ck_assert_int_eq(
        apply_doc(BCON_NEW("u", "{", "$set", "{", "b", BCON_INT32(1), "}", "}"), deep, &out, &err),
        SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&out);
    /* a value 10,000 levels deep as $set's argument: the same */
    deep_value(deep, &dv);
    spec = bson_new();
    bson_append_document_begin(spec, "u", 1, &u);
    bson_append_document_begin(&u, "$set", 4, &set);
    bson_append_value(&set, "c", 1, &dv);
    bson_append_document_end(&u, &set);
    bson_append_document_end(spec, &u);
    ck_assert_int_eq(apply_doc(spec, leaf, &out, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&out);
    /* a mongod message formatting the deep value (levels past 400 print as "...") */
    bson_init(&doc);
    bson_append_array(&doc, "a", 1, arr);
    ck_assert_int_ne(apply_doc(BCON_NEW("u", "{", "$set", "{", "a.y", BCON_INT32(1), "}", "}"),
                               &doc, &out, &err),
                     0);
    ck_assert_int_eq(err.code, SDB_CODE_PathNotViable);
    ck_assert(strncmp(err.msg, "Cannot create field 'y' in element {a: [ [ [", 39) == 0);
    bson_destroy(&out);
    /* a pipeline update mapping over arrays nested 10,000 deep: 15 Overflow */
    ck_assert_int_eq(
        apply_doc(BCON_NEW("u", "[", "{", "$set", "{", "a.y", BCON_INT32(1), "}", "}", "]"), &doc,
                  &out, &err),
        SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&out);
    bson_destroy(&doc);
    bson_destroy(leaf);
    bson_destroy(deep);
    bson_destroy(arr);
    bson_destroy(at);
}
END_TEST

/* Update specs nested past the bound: $pull's condition, a pipeline $set's nested fields, an
 * upsert's filter. */
START_TEST(test_depth_specs)
{
    static const deep_level_t elem[] = {{BSON_TYPE_DOCUMENT, "$elemMatch"}};
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t and_levels[] = {{BSON_TYPE_ARRAY, "$and"}, {BSON_TYPE_DOCUMENT, "0"}};
    bson_t *one = BCON_NEW("$eq", BCON_INT32(1)), *x = BCON_NEW("x", BCON_INT32(1));
    bson_t *cond = deep_build(elem, 1, 5000, one), *fields = deep_build(docs, 1, 5000, x);
    bson_t *filter = deep_build(and_levels, 2, 10000, x), *spec, u, arr, st, pull, out;
    sdb_error_t err;

    spec = bson_new(); /* {u: {$pull: {a: {$elemMatch: {$elemMatch: ... {$eq: 1}}}}}} */
    bson_append_document_begin(spec, "u", 1, &u);
    bson_append_document_begin(&u, "$pull", 5, &pull);
    bson_append_document(&pull, "a", 1, cond);
    bson_append_document_end(&u, &pull);
    bson_append_document_end(spec, &u);
    ck_assert_int_eq(apply_doc(spec, x, &out, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&out);
    spec = bson_new(); /* {u: [{$set: {a: {a: ... {x: 1}}}}]} */
    bson_append_array_begin(spec, "u", 1, &arr);
    bson_append_document_begin(&arr, "0", 1, &st);
    bson_append_document(&st, "$set", 4, fields);
    bson_append_document_end(&arr, &st);
    bson_append_array_end(spec, &arr);
    ck_assert_int_eq(apply_doc(spec, x, &out, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&out);
    ck_assert_int_eq(wk_update_upsert_seed(filter, &out, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(one);
    bson_destroy(x);
    bson_destroy(cond);
    bson_destroy(fields);
    bson_destroy(filter);
}
END_TEST

/* A pipeline update whose 1,000 stages each wrap the document stops with 15 Overflow once
 * the result passes 400 levels (mongod: "cannot convert document to BSON ..."); 300 pass. */
START_TEST(test_depth_built_result)
{
    bson_t *doc = BCON_NEW("_id", BCON_INT32(1), "a", BCON_INT32(1)), out, arr, st;
    sdb_error_t err;
    char key[16];
    const char *kp;
    int stages[] = {300, 1000};

    for (int k = 0; k < 2; k++) {
        bson_t *spec = bson_new();

        bson_append_array_begin(spec, "u", 1, &arr);
        for (uint32_t i = 0; i < (uint32_t)stages[k]; i++) {
            bson_uint32_to_string(i, &kp, key, sizeof(key));
            bson_append_document_begin(&arr, kp, -1, &st);
            BCON_APPEND(&st, "$set", "{", "a", "{", "w", "$a", "}", "}");
            bson_append_document_end(&arr, &st);
        }
        bson_append_array_end(spec, &arr);
        if (k == 0) {
            ck_assert_int_eq(apply_doc(spec, doc, &out, &err), 0);
        } else {
            ck_assert_int_eq(apply_doc(spec, doc, &out, &err), SDB_ECLIENT);
            ck_assert_int_eq(err.code, SDB_CODE_Overflow);
            ck_assert_str_eq(err.msg, "cannot convert document to BSON because it exceeds the "
                                      "limit of 400 levels of nesting");
        }
        bson_destroy(&out);
    }
    bson_destroy(doc);
}
END_TEST

static void
pipeline_at_bound(void *arg)
{
    bson_t out;
    sdb_error_t err;
    int rc = apply_doc(BCON_NEW("u", "[", "{", "$set", "{", "a.y", BCON_INT32(1), "}", "}", "]"),
                       arg, &out, &err);

    ck_assert_msg(rc == 0, "%d %s", err.code, err.msg);
    bson_destroy(&out);
}

/* The stack a pipeline update takes mapping over arrays nested 398 deep (the innermost holds
 * [1]; its 1 becomes {y: 1}, whose field is at level 400, the deepest accepted). */
START_TEST(test_depth_stack)
{
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    bson_t *leaf = BCON_NEW("x", BCON_INT32(1)), *at = deep_build(arrs, 1, 397, leaf);
    bson_t *doc = bson_new();

    bson_append_array(doc, "a", 1, at);
    ck_assert_uint_lt(
        stackmeter_run("pipeline update through arrays to level 400", pipeline_at_bound, doc),
        STACKMETER_BUDGET);
    bson_destroy(leaf);
    bson_destroy(at);
    bson_destroy(doc);
}
END_TEST

static Suite *
update_suite(void)
{
    Suite *s = suite_create("update");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_positional_and_upsert);
    tcase_add_loop_test(tc, test_positional_after_match, 0,
                        (int)(sizeof(pos_cases) / sizeof(pos_cases[0])));
    tcase_add_test(tc, test_messages);
    tcase_add_test(tc, test_depth_documents);
    tcase_add_test(tc, test_depth_specs);
    tcase_add_test(tc, test_depth_stack);
    tcase_add_test(tc, test_depth_built_result);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(update_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
