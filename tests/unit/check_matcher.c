/*
 * tests/unit/check_matcher.c -- query filter semantics (src/worker/query/matcher.c).
 *
 * Table-driven: each row is a filter, a document and the expected outcome (match, no
 * match, or a parse error code), mirroring the manual's examples and mongod's edge cases
 * (null vs missing, arrays, type bracketing, regex options, $mod errors, ...).
 */
#include <check.h>
#include <stdlib.h>

#include "../../src/common/sdb.h"
#include "../../src/worker/query/matcher.h"

#include "deep.h"
#include "json_case.h"
#include "stackmeter.h"

#define ERR_NONE 0

typedef struct mcase {
    const char *filter;
    const char *doc;
    int expect; /* 1 match, 0 no match, or -code for a parse error */
} mcase_t;

static const mcase_t cases[] = {
    /* equality, null and missing */
    {"{\"a\": 1}", "{\"a\": 1}", 1},
    {"{\"a\": 1}", "{\"a\": 1.0}", 1},
    {"{\"a\": 1}", "{\"a\": \"1\"}", 0},
    {"{\"a\": 1}", "{\"a\": [2, 1]}", 1},
    {"{\"a\": [1, 2]}", "{\"a\": [1, 2]}", 1},
    {"{\"a\": [1, 2]}", "{\"a\": [[1, 2], 3]}", 1},
    {"{\"a\": [1, 2]}", "{\"a\": [2, 1]}", 0},
    {"{\"a\": null}", "{}", 1},
    {"{\"a\": null}", "{\"a\": null}", 1},
    {"{\"a\": null}", "{\"a\": 0}", 0},
    {"{\"a\": null}", "{\"a\": []}", 0},
    {"{\"a.b\": null}", "{\"a\": [{\"b\": 5}]}", 0},
    {"{\"a.b\": null}", "{\"a\": [{}]}", 1},
    {"{\"a.b\": null}", "{\"a\": []}", 0},
    {"{\"a.b\": null}", "{\"a\": [5, {\"b\": 5}]}", 0},
    {"{\"a.b\": null}", "{\"a\": 4}", 1},
    {"{\"a\": {\"$ne\": null}}", "{\"a\": 1}", 1},
    {"{\"a\": {\"$ne\": null}}", "{}", 0},
    {"{\"a\": {\"b\": 1}}", "{\"a\": {\"b\": 1}}", 1},
    {"{\"a\": {\"b\": 1}}", "{\"a\": {\"b\": 1, \"c\": 2}}", 0},
    {"{\"a\": {\"b\": 1, \"c\": 2}}", "{\"a\": {\"c\": 2, \"b\": 1}}", 0},
    /* dotted paths */
    {"{\"a.b\": 2}", "{\"a\": {\"b\": 2}}", 1},
    {"{\"a.b\": 2}", "{\"a\": [{\"b\": 1}, {\"b\": 2}]}", 1},
    {"{\"a.b.c\": 3}", "{\"a\": [{\"b\": [{\"c\": 3}]}]}", 1},
    {"{\"a.1\": 5}", "{\"a\": [4, 5]}", 1},
    {"{\"a.0\": 5}", "{\"a\": [4, 5]}", 0},
    {"{\"a.0.b\": 1}", "{\"a\": [{\"b\": 1}]}", 1},
    {"{\"a.1\": 5}", "{\"a\": {\"1\": 5}}", 1},
    /* comparison, type bracketing */
    {"{\"a\": {\"$gt\": 1}}", "{\"a\": 2}", 1},
    {"{\"a\": {\"$gt\": 1}}", "{\"a\": \"2\"}", 0},
    {"{\"a\": {\"$gt\": 1}}", "{\"a\": [0, 5]}", 1},
    {"{\"a\": {\"$gt\": 1, \"$lt\": 3}}", "{\"a\": [0, 5]}", 1},
    {"{\"a\": {\"$elemMatch\": {\"$gt\": 1, \"$lt\": 3}}}", "{\"a\": [0, 5]}", 0},
    {"{\"a\": {\"$elemMatch\": {\"$gt\": 1, \"$lt\": 3}}}", "{\"a\": [0, 2]}", 1},
    {"{\"a\": {\"$gte\": null}}", "{}", 1},
    {"{\"a\": {\"$gt\": null}}", "{\"a\": null}", 0},
    {"{\"a\": {\"$lt\": \"b\"}}", "{\"a\": \"a\"}", 1},
    {"{\"a\": {\"$gt\": {\"$minKey\": 1}}}", "{\"a\": \"x\"}", 1},
    {"{\"a\": {\"$lt\": {\"$maxKey\": 1}}}", "{\"a\": 5}", 1},
    {"{\"a\": {\"$gt\": [1]}}", "{\"a\": [2]}", 1},
    {"{\"a\": {\"$lte\": 5}}", "{\"a\": {\"$numberLong\": \"5\"}}", 1},
    {"{\"a\": {\"$eq\": NaN}}", "{\"a\": NaN}", 1},
    {"{\"a\": {\"$gt\": NaN}}", "{\"a\": 1}", 0},
    {"{\"a\": {\"$lt\": 1}}", "{\"a\": NaN}", 0},
    {"{\"a\": {\"$gte\": {\"$date\": \"2020-01-01T00:00:00Z\"}}}",
     "{\"a\": {\"$date\": \"2021-01-01T00:00:00Z\"}}", 1},
    /* $in / $nin */
    {"{\"a\": {\"$in\": [1, 2]}}", "{\"a\": 2}", 1},
    {"{\"a\": {\"$in\": [1, 2]}}", "{\"a\": [3, 2]}", 1},
    {"{\"a\": {\"$in\": [null]}}", "{}", 1},
    {"{\"a\": {\"$in\": [{\"$regex\": \"^x\"}]}}", "{\"a\": \"xy\"}", 1},
    {"{\"a\": {\"$nin\": [1, 2]}}", "{\"a\": 3}", 1},
    {"{\"a\": {\"$nin\": [1, 2]}}", "{}", 1},
    {"{\"a\": {\"$nin\": [1, 2]}}", "{\"a\": [3, 1]}", 0},
    {"{\"a\": {\"$in\": 1}}", "{}", -2},
    /* logical */
    {"{\"$and\": [{\"a\": 1}, {\"b\": 2}]}", "{\"a\": 1, \"b\": 2}", 1},
    {"{\"$or\": [{\"a\": 1}, {\"b\": 2}]}", "{\"b\": 2}", 1},
    {"{\"$or\": [{\"a\": 1}, {\"b\": 2}]}", "{\"b\": 3}", 0},
    {"{\"$nor\": [{\"a\": 1}, {\"b\": 2}]}", "{\"b\": 3}", 1},
    {"{\"$and\": []}", "{}", -2},
    {"{\"$or\": [1]}", "{}", -2},
    {"{\"a\": {\"$not\": {\"$gt\": 5}}}", "{\"a\": 3}", 1},
    {"{\"a\": {\"$not\": {\"$gt\": 5}}}", "{}", 1},
    {"{\"a\": {\"$not\": {\"$gt\": 5}}}", "{\"a\": 7}", 0},
    {"{\"a\": {\"$not\": {\"$regex\": \"^p\"}}}", "{\"a\": \"pq\"}", 0},
    {"{\"a\": {\"$not\": 5}}", "{}", -2},
    {"{\"a\": {\"$not\": {}}}", "{}", -2},
    /* $exists, $type */
    {"{\"a\": {\"$exists\": true}}", "{\"a\": null}", 1},
    {"{\"a\": {\"$exists\": false}}", "{\"a\": null}", 0},
    {"{\"a.b\": {\"$exists\": false}}", "{\"a\": [1, 2]}", 1},
    {"{\"a.b\": {\"$exists\": true}}", "{\"a\": [{\"b\": 1}, {}]}", 1},
    {"{\"a\": {\"$$type\": \"string\"}}", "{\"a\": \"x\"}", 1},
    {"{\"a\": {\"$$type\": 2}}", "{\"a\": \"x\"}", 1},
    {"{\"a\": {\"$$type\": \"number\"}}", "{\"a\": {\"$numberLong\": \"4\"}}", 1},
    {"{\"a\": {\"$$type\": [\"string\", \"int\"]}}", "{\"a\": 4}", 1},
    {"{\"a\": {\"$$type\": \"array\"}}", "{\"a\": []}", 1},
    {"{\"a\": {\"$$type\": \"int\"}}", "{\"a\": [1.5, 2]}", 1},
    {"{\"a\": {\"$$type\": \"null\"}}", "{}", 0},
    {"{\"a\": {\"$$type\": \"foo\"}}", "{}", -2},
    {"{\"a\": {\"$$type\": 99}}", "{}", -2},
    /* $regex */
    {"{\"a\": {\"$regex\": \"^ab\"}}", "{\"a\": \"abc\"}", 1},
    {"{\"a\": {\"$$regex\": \"^AB\", \"$$options\": \"i\"}}", "{\"a\": \"abc\"}", 1},
    {"{\"a\": {\"$$regex\": \"^b\", \"$$options\": \"m\"}}", "{\"a\": \"a\\nb\"}", 1},
    {"{\"a\": {\"$regex\": \"^b\"}}", "{\"a\": \"a\\nb\"}", 0},
    {"{\"a\": {\"$$regex\": \"a.b\", \"$$options\": \"s\"}}", "{\"a\": \"a\\nb\"}", 1},
    {"{\"a\": {\"$$regex\": \"a b # c\", \"$$options\": \"x\"}}", "{\"a\": \"ab\"}", 1},
    {"{\"a\": {\"$regularExpression\": {\"pattern\": \"B\", \"options\": \"i\"}}}",
     "{\"a\": [\"x\", \"abc\"]}", 1},
    {"{\"a\": {\"$regex\": \"x\"}}", "{\"a\": 5}", 0},
    {"{\"a\": {\"$$regex\": \"x\", \"$$options\": \"z\"}}", "{}", -51108},
    {"{\"a\": {\"$regex\": \"(\"}}", "{}", -51091},
    {"{\"a\": {\"$$options\": \"i\"}}", "{}", -2},
    /* $mod */
    {"{\"a\": {\"$mod\": [4, 0]}}", "{\"a\": 8}", 1},
    {"{\"a\": {\"$mod\": [4, 0]}}", "{\"a\": 8.9}", 1},
    {"{\"a\": {\"$mod\": [4, 1]}}", "{\"a\": -7}", 0},
    {"{\"a\": {\"$mod\": [4, -3]}}", "{\"a\": -7}", 1},
    {"{\"a\": {\"$mod\": [4]}}", "{}", -2},
    {"{\"a\": {\"$mod\": [4, 1, 2]}}", "{}", -2},
    {"{\"a\": {\"$mod\": [0, 1]}}", "{}", -2},
    {"{\"a\": {\"$mod\": 4}}", "{}", -2},
    {"{\"a\": {\"$mod\": [\"x\", 1]}}", "{}", -2},
    /* $all, $size, $elemMatch */
    {"{\"a\": {\"$all\": [1, 2]}}", "{\"a\": [2, 3, 1]}", 1},
    {"{\"a\": {\"$all\": [1, 2]}}", "{\"a\": [2, 3]}", 0},
    {"{\"a\": {\"$all\": []}}", "{\"a\": [1]}", 0},
    {"{\"a\": {\"$all\": [[1, 2]]}}", "{\"a\": [1, 2]}", 1},
    {"{\"a\": {\"$all\": [{\"$elemMatch\": {\"b\": 1}}]}}", "{\"a\": [{\"b\": 1}]}", 1},
    {"{\"a\": {\"$size\": 2}}", "{\"a\": [1, 2]}", 1},
    {"{\"a\": {\"$size\": 1}}", "{\"a\": [[1, 2]]}", 1},
    {"{\"a\": {\"$size\": 0}}", "{}", 0},
    {"{\"a\": {\"$size\": -1}}", "{}", -2},
    {"{\"a\": {\"$size\": 1.5}}", "{}", -2},
    {"{\"a\": {\"$elemMatch\": {\"b\": 1, \"c\": 2}}}", "{\"a\": [{\"b\": 1}, {\"c\": 2}]}", 0},
    {"{\"a\": {\"$elemMatch\": {\"b\": 1, \"c\": 2}}}", "{\"a\": [{\"b\": 1, \"c\": 2}]}", 1},
    {"{\"a.b\": 1, \"a.c\": 2}", "{\"a\": [{\"b\": 1}, {\"c\": 2}]}", 1},
    {"{\"a\": {\"$elemMatch\": {\"$or\": [{\"b\": 1}, {\"c\": 3}]}}}", "{\"a\": [{\"c\": 3}]}", 1},
    {"{\"a\": {\"$elemMatch\": 1}}", "{}", -2},
    /* $bits */
    {"{\"a\": {\"$bitsAllSet\": [1, 5]}}", "{\"a\": 54}", 1},
    {"{\"a\": {\"$bitsAllSet\": 35}}", "{\"a\": 54}", 0},
    {"{\"a\": {\"$bitsAnySet\": 35}}", "{\"a\": 54}", 1},
    {"{\"a\": {\"$bitsAllClear\": [0, 3]}}", "{\"a\": 54}", 1},
    {"{\"a\": {\"$bitsAnyClear\": [1, 5]}}", "{\"a\": 54}", 0},
    {"{\"a\": {\"$bitsAllSet\": [70]}}", "{\"a\": -1}", 1},
    {"{\"a\": {\"$bitsAllSet\": 1}}", "{\"a\": 1.5}", 0},
    {"{\"a\": {\"$bitsAllSet\": -1}}", "{}", -2},
    /* $expr */
    {"{\"$expr\": {\"$gt\": [\"$a\", \"$b\"]}}", "{\"a\": 3, \"b\": 2}", 1},
    {"{\"$expr\": {\"$gt\": [\"$a\", \"$b\"]}}", "{\"a\": 1, \"b\": 2}", 0},
    {"{\"$expr\": {\"$eq\": [{\"$add\": [\"$a\", 1]}, 4]}}", "{\"a\": 3}", 1},
    {"{\"$expr\": {\"$lt\": [\"$missing\", null]}}", "{}", 1},
    {"{\"$expr\": {\"$foo\": 1}}", "{}", -168},
    /* $jsonSchema */
    {"{\"$$jsonSchema\": {\"required\": [\"a\"], \"properties\": {\"a\": {\"bsonType\": \"int\", "
     "\"minimum\": 1}}}}",
     "{\"a\": 5}", 1},
    {"{\"$$jsonSchema\": {\"required\": [\"a\"]}}", "{\"b\": 5}", 0},
    {"{\"$$jsonSchema\": {\"properties\": {\"a\": {\"bsonType\": \"int\", \"minimum\": 10}}}}",
     "{\"a\": 5}", 0},
    {"{\"$$jsonSchema\": {\"properties\": {\"a\": {\"minimum\": 10}}}}", "{\"a\": \"x\"}", 1},
    {"{\"$$jsonSchema\": {\"properties\": {\"s\": {\"type\": \"string\", \"maxLength\": 3, "
     "\"pattern\": \"^a\"}}}}",
     "{\"s\": \"abc\"}", 1},
    {"{\"$$jsonSchema\": {\"properties\": {\"s\": {\"maxLength\": 2}}}}", "{\"s\": \"abc\"}", 0},
    {"{\"$$jsonSchema\": {\"properties\": {\"s\": {\"pattern\": \"^b\"}}}}", "{\"s\": \"abc\"}", 0},
    {"{\"$$jsonSchema\": {\"properties\": {\"e\": {\"enum\": [1, \"x\"]}}}}", "{\"e\": \"x\"}", 1},
    {"{\"$$jsonSchema\": {\"properties\": {\"e\": {\"enum\": [1, \"x\"]}}}}", "{\"e\": 2}", 0},
    {"{\"$$jsonSchema\": {\"additionalProperties\": false, \"properties\": {\"_id\": {}}}}",
     "{\"_id\": 1, \"z\": 1}", 0},
    {"{\"$$jsonSchema\": {\"properties\": {\"l\": {\"items\": {\"type\": \"number\"}, "
     "\"minItems\": 1, \"uniqueItems\": true}}}}",
     "{\"l\": [1, 2.5]}", 1},
    {"{\"$$jsonSchema\": {\"properties\": {\"l\": {\"uniqueItems\": true}}}}", "{\"l\": [1, 1]}",
     0},
    {"{\"$$jsonSchema\": {\"properties\": {\"l\": {\"items\": {\"type\": \"number\"}}}}}",
     "{\"l\": [1, \"x\"]}", 0},
    {"{\"$$jsonSchema\": {\"foo\": 1}}", "{}", -9},
    {"{\"$$jsonSchema\": {\"type\": \"integer\"}}", "{}", -9},
    /* misc */
    {"{\"a\": 1, \"$comment\": \"hi\"}", "{\"a\": 1}", 1},
    {"{\"a\": {\"$eq\": 1, \"$comment\": \"x\"}}", "{\"a\": 1}", 1},
    {"{\"a\": {\"$foo\": 1}}", "{}", -2},
    {"{\"$foo\": 1}", "{}", -2},
    {"{\"$alwaysFalse\": 1}", "{}", 0},
    {"{}", "{\"x\": 1}", 1},
    /* DBRef fields are field names, not operators */
    {"{\"r\": {\"$$ref\": \"x\", \"$$id\": 1}}", "{\"r\": {\"$$ref\": \"x\", \"$$id\": 1}}", 1},
    {"{\"r\": {\"$$ref\": \"x\", \"$$id\": 1}}", "{\"r\": {\"$$ref\": \"x\", \"$$id\": 2}}", 0},
    {"{\"r\": {\"$$ref\": \"x\"}}", "{}", -2},
    {"{\"r.$id\": 1}", "{\"r\": {\"$$ref\": \"x\", \"$$id\": 1}}", 1},
    {"{\"$$ref\": \"x\"}", "{\"$$ref\": \"x\", \"$$id\": 1}", 1},
    {"{\"$$id\": 2}", "{\"$$ref\": \"x\", \"$$id\": 1}", 0},
    {"{\"r\": {\"$$elemMatch\": {\"$$ref\": \"x\", \"$$id\": 1}}}",
     "{\"r\": [{\"$$ref\": \"y\", \"$$id\": 1}, {\"$$ref\": \"x\", \"$$id\": 1}]}", 1},
    {"{\"r\": {\"$$elemMatch\": {\"$$ref\": \"x\", \"$$id\": 1}}}",
     "{\"r\": [{\"$$ref\": \"y\", \"$$id\": 1}, {\"$$ref\": \"x\", \"$$id\": 2}]}", 0},
    {"{\"r\": {\"$$elemMatch\": {\"$$id\": 1}}}", "{\"r\": [{\"$$ref\": \"y\", \"$$id\": 1}]}", 1},
    {"{\"r\": {\"$$elemMatch\": {\"$$db\": \"d\", \"$$id\": {\"$$gt\": 0}}}}",
     "{\"r\": [{\"$$ref\": \"y\", \"$$id\": 1, \"$$db\": \"d\"}]}", 0},
    {"{\"r\": {\"$$elemMatch\": {\"$$db\": \"d\", \"$$id\": 1}}}",
     "{\"r\": [{\"$$ref\": \"y\", \"$$id\": 1, \"$$db\": \"d\"}]}", 1},
    {"{\"r\": {\"$$in\": [{\"$$ref\": \"x\", \"$$id\": 1}]}}",
     "{\"r\": [{\"$$ref\": \"x\", \"$$id\": 1}]}", 1},
    /* $or branches on one path become an $in, with the same answers */
    {"{\"$or\": [{\"a\": 1}, {\"a\": {\"$regex\": \"^x\"}}, {\"b\": 2}]}", "{\"a\": \"xy\"}", 1},
    {"{\"$or\": [{\"a\": 1}, {\"a\": null}]}", "{}", 1},
    {"{\"$or\": [{\"a\": 1}, {\"a\": [2, 3]}]}", "{\"a\": [2, 3]}", 1},
    {"{\"$or\": [{\"a\": 1}, {\"a\": {\"$eq\": {\"$regex\": \"^x\"}}}]}", "{\"a\": \"xy\"}", 0},
    {"{\"$or\": [{\"$or\": [{\"a\": 1}, {\"c\": 1}]}, {\"a\": 4}]}", "{\"a\": 4}", 1},
};

START_TEST(test_table)
{
    const mcase_t *c = &cases[_i];
    bson_t *f = json(c->filter), *d = json(c->doc);
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};
    int rc = wk_matcher_new(f, &m, &err);

    if (c->expect < 0) {
        ck_assert_msg(rc != 0, "%s: expected error %d", c->filter, -c->expect);
        ck_assert_msg(err.code == -c->expect, "%s: code %d (%s), want %d", c->filter, err.code,
                      err.msg, -c->expect);
        ck_assert_ptr_null(m);
    } else {
        ck_assert_msg(rc == 0, "%s: parse error %d %s", c->filter, err.code, err.msg);
        ck_assert_msg(wk_matcher_matches(m, d, NULL) == (c->expect == 1), "%s on %s: want %d",
                      c->filter, c->doc, c->expect);
    }
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

START_TEST(test_messages)
{
    bson_t *f = json("{\"a\": {\"$foo\": 1}}");
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};

    ck_assert_int_ne(wk_matcher_new(f, &m, &err), 0);
    ck_assert_str_eq(err.msg, "unknown operator: $foo");
    bson_destroy(f);
    f = json("{\"a\": {\"$mod\": [4]}}");
    ck_assert_int_ne(wk_matcher_new(f, &m, &err), 0);
    ck_assert_str_eq(err.msg, "malformed mod, not enough elements");
    bson_destroy(f);
    f = json("{\"$bar\": 1}");
    ck_assert_int_ne(wk_matcher_new(f, &m, &err), 0);
    ck_assert_str_eq(err.msg, "unknown top level operator: $bar");
    bson_destroy(f);
    f = json("{\"s\": {\"$regex\": \"(a+)+$\"}}");
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    {
        bson_t *d = json("{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}");
        bool matched = true;
        ck_assert_int_ne(wk_matcher_match(m, d, NULL, &matched, &err), 0);
        ck_assert_str_eq(err.msg, "Error occurred while executing the regular expression in "
                                  "$regex. Result code: match limit exceeded");
        bson_destroy(d);
    }
    wk_matcher_free(m);
    bson_destroy(f);
}
END_TEST

START_TEST(test_details_and_ids)
{
    bson_t *f = json("{\"a.b\": 5}"), *d = json("{\"a\": [{\"b\": 1}, {\"b\": 5}]}");
    wk_matcher_t *m = NULL;
    wk_match_details_t det;
    sdb_error_t err = {0};
    bson_t ids;
    char *s;

    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    ck_assert(wk_matcher_matches(m, d, &det));
    ck_assert(det.has_elem_index);
    ck_assert_int_eq(det.elem_index, 1);
    bson_init(&ids);
    ck_assert(!wk_matcher_id_values(m, &ids));
    bson_destroy(&ids);
    wk_matcher_free(m);
    bson_destroy(f);

    f = json("{\"_id\": {\"$in\": [1, \"x\"]}, \"b\": 2}");
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    bson_init(&ids);
    ck_assert(wk_matcher_id_values(m, &ids));
    s = bson_as_canonical_extended_json(&ids, NULL);
    ck_assert_str_eq(s, "{ \"0\" : { \"$numberInt\" : \"1\" }, \"1\" : \"x\" }");
    bson_free(s);
    bson_destroy(&ids);
    wk_matcher_free(m);
    bson_destroy(f);

    f = json("{\"_id\": 7}");
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    bson_init(&ids);
    ck_assert(wk_matcher_id_values(m, &ids));
    ck_assert_int_eq(bson_count_keys(&ids), 1);
    bson_destroy(&ids);
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

/* The array position a match records for the positional $ (mongod's elemMatchKey): the
 * element matched in the outermost array the path traverses, or the one $elemMatch picked;
 * none (-1) under $or, $not, $ne, $nin, for a whole-array match or an index the path names. */
typedef struct pcase {
    const char *filter;
    const char *doc;
    int idx;
} pcase_t;

static const pcase_t pos_cases[] = {
    {"{\"a\": {\"$elemMatch\": {\"k\": 1, \"v\": 2}}}",
     "{\"a\": [{\"k\": 1, \"v\": 1}, {\"k\": 1, \"v\": 2}, {\"k\": 1, \"v\": 2}]}", 1},
    {"{\"a\": {\"$elemMatch\": {\"$gt\": 5, \"$lt\": 9}}}", "{\"a\": [1, 9, 7, 8]}", 2},
    {"{\"a\": {\"$elemMatch\": {\"$ne\": 1}}}", "{\"a\": [1, 1, 2]}", 2},
    {"{\"a\": {\"$elemMatch\": {\"$elemMatch\": {\"$gt\": 4}}}}", "{\"a\": [[1], [2, 5]]}", 1},
    {"{\"a.b\": {\"$elemMatch\": {\"$gt\": 4}}}",
     "{\"a\": [{\"b\": [1]}, {\"b\": [2]}, {\"b\": [3, 5]}]}", 2},
    {"{\"a\": {\"$in\": [3, 9]}}", "{\"a\": [1, 9, 3]}", 1},
    {"{\"a\": {\"$all\": [9]}}", "{\"a\": [1, 9, 3]}", 1},
    {"{\"a\": {\"$all\": [{\"$elemMatch\": {\"k\": 2}}]}}", "{\"a\": [{\"k\": 1}, {\"k\": 2}]}", 1},
    {"{\"a.k\": 2}", "{\"a\": [{\"k\": 1}, {\"k\": 2}]}", 1},
    {"{\"a.b.c\": 3}", "{\"a\": [{\"b\": [{\"c\": 1}]}, {\"b\": [{\"c\": 2}, {\"c\": 3}]}]}", 1},
    {"{\"a.b\": 5}", "{\"a\": [{\"b\": [1]}, {\"b\": [2, 5]}]}", 1},
    {"{\"a.1.b\": 5}", "{\"a\": [{\"b\": [0]}, {\"b\": [5, 6]}]}", 0},
    {"{\"a.1\": 5}", "{\"a\": [4, 5]}", -1},
    {"{\"a\": {\"$gte\": 5}}", "{\"a\": [1, 6, 7]}", 1},
    {"{\"a\": {\"$regex\": \"^x\"}}", "{\"a\": [\"y\", \"xz\"]}", 1},
    {"{\"a\": {\"$exists\": true}}", "{\"a\": [4, 5]}", 0},
    {"{\"a\": {\"$$type\": \"string\"}}", "{\"a\": [4, \"s\"]}", 1},
    {"{\"a\": [1, 2]}", "{\"a\": [1, 2]}", -1},
    {"{\"a\": [1, 2]}", "{\"a\": [3, [1, 2]]}", 1},
    {"{\"a\": {\"$ne\": 1}}", "{\"a\": [2, 3]}", -1},
    {"{\"a\": {\"$nin\": [1]}}", "{\"a\": [2, 3]}", -1},
    {"{\"a\": {\"$not\": {\"$lt\": 2}}}", "{\"a\": [2, 3]}", -1},
    {"{\"$or\": [{\"a\": 5}, {\"b\": 1}]}", "{\"a\": [4, 5]}", -1},
    {"{\"$or\": [{\"a\": 5}, {\"a\": 4}]}", "{\"a\": [3, 4, 5]}", 1},
    {"{\"$or\": [{\"a\": {\"$regex\": \"^x\"}}, {\"a\": \"q\"}]}", "{\"a\": [\"q\", \"xa\"]}", 0},
    {"{\"$or\": [{\"a.k\": 2}]}", "{\"a\": [{\"k\": 1}, {\"k\": 2}]}", 1},
    {"{\"$or\": [{\"a\": {\"$gt\": 3}}, {\"a\": {\"$lt\": 1}}]}", "{\"a\": [2, 4]}", -1},
    {"{\"$and\": [{\"a\": {\"$elemMatch\": {\"k\": 2}}}]}", "{\"a\": [{\"k\": 1}, {\"k\": 2}]}", 1},
    {"{\"$nor\": [{\"a\": 1}]}", "{\"a\": [2, 3]}", -1},
    {"{\"a\": {\"$size\": 2}}", "{\"a\": [2, 3]}", -1},
    {"{\"_id\": 1, \"a\": {\"$elemMatch\": {\"$$ref\": \"x\"}}}",
     "{\"_id\": 1, \"a\": [{\"$$ref\": \"y\", \"$$id\": 1}, {\"$$ref\": \"x\", \"$$id\": 1}]}", 1},
};

START_TEST(test_positional)
{
    const pcase_t *c = &pos_cases[_i];
    bson_t *f = json(c->filter), *d = json(c->doc);
    wk_matcher_t *m = NULL;
    wk_match_details_t det;
    sdb_error_t err = {0};

    ck_assert_msg(wk_matcher_new(f, &m, &err) == 0, "%s: %s", c->filter, err.msg);
    ck_assert_msg(wk_matcher_matches(m, d, &det), "%s does not match %s", c->filter, c->doc);
    ck_assert_msg(det.has_elem_index == (c->idx >= 0) && (c->idx < 0 || det.elem_index == c->idx),
                  "%s on %s: position %d (%d), want %d", c->filter, c->doc, det.elem_index,
                  det.has_elem_index, c->idx);
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

/* Errors raised while evaluating fail the whole query in mongod, wherever $expr sits. */
typedef struct ecase {
    const char *filter;
    const char *doc;
    int code; /* 0: no error, then `match` is the outcome */
    int match;
} ecase_t;

static const ecase_t eval_cases[] = {
    {"{\"$expr\": {\"$divide\": [\"$a\", \"$b\"]}}", "{\"a\": 1, \"b\": 0}", 16608, 0},
    {"{\"$expr\": {\"$divide\": [\"$a\", \"$b\"]}}", "{\"a\": 1, \"b\": 2}", 0, 1},
    {"{\"$expr\": {\"$eq\": [\"$$nope\", 1]}}", "{}", 17276, 0},
    {"{\"$expr\": {\"$add\": [\"$a\", \"x\"]}}", "{\"a\": 1}", 16554, 0},
    {"{\"$nor\": [{\"$expr\": {\"$divide\": [1, 0]}}]}", "{}", 16608, 0},
    {"{\"$or\": [{\"b\": 1}, {\"$expr\": {\"$divide\": [1, 0]}}]}", "{}", 16608, 0},
    {"{\"$or\": [{\"b\": 1}, {\"$expr\": {\"$divide\": [1, 0]}}]}", "{\"b\": 1}", 0, 1},
    {"{\"b\": 2, \"$expr\": {\"$divide\": [1, 0]}}", "{\"b\": 1}", 0, 0},
    /* a regex match that hits its PCRE2 limit (matcher_int.h): mongod's execution error */
    {"{\"s\": {\"$regex\": \"(a+)+$\"}}", "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}", 51156, 0},
    {"{\"s\": {\"$in\": [{\"$regularExpression\": {\"pattern\": \"(a+)+$\", \"options\": \"\"}}]}}",
     "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}", 51156, 0},
    {"{\"s\": {\"$elemMatch\": {\"t\": {\"$regex\": \"(a+)+$\"}}}}",
     "{\"s\": [{\"t\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}]}", 51156, 0},
    {"{\"s\": {\"$not\": {\"$regex\": \"(a+)+$\"}}}", "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}",
     51156, 0},
    {"{\"s\": {\"$regex\": \"^a+b$\"}}", "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}", 0, 1},
};

START_TEST(test_eval_errors)
{
    const ecase_t *c = &eval_cases[_i];
    bson_t *f = json(c->filter), *d = json(c->doc);
    wk_matcher_t *m = NULL;
    sdb_error_t err = {0};
    bool matched = true;
    int rc;

    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    rc = wk_matcher_match(m, d, NULL, &matched, &err);
    if (c->code != 0) {
        ck_assert_msg(rc != 0 && err.code == c->code, "%s on %s: rc %d code %d, want %d", c->filter,
                      c->doc, rc, err.code, c->code);
        ck_assert(!matched);
    } else {
        ck_assert_msg(rc == 0, "%s on %s: error %d %s", c->filter, c->doc, err.code, err.msg);
        ck_assert_int_eq(matched, c->match);
    }
    wk_matcher_free(m);
    bson_destroy(f);
    bson_destroy(d);
}
END_TEST

/* ---- depth bound: nesting past SDB_BSON_DEPTH_EVAL (400) is 15 Overflow, never the stack --- */

static const deep_level_t and_levels[] = {{BSON_TYPE_ARRAY, "$and"}, {BSON_TYPE_DOCUMENT, "0"}};
static const deep_level_t or_levels[] = {{BSON_TYPE_ARRAY, "$or"}, {BSON_TYPE_DOCUMENT, "0"}};
static const deep_level_t nor_levels[] = {{BSON_TYPE_ARRAY, "$nor"}, {BSON_TYPE_DOCUMENT, "0"}};
static const deep_level_t not_levels[] = {{BSON_TYPE_DOCUMENT, "$not"}};
static const deep_level_t elem_levels[] = {{BSON_TYPE_DOCUMENT, "a"},
                                           {BSON_TYPE_DOCUMENT, "$elemMatch"}};

/* deep_parse -- wk_matcher_new on a filter of `levels` nested pattern elements around leaf
 * (under field `field` when non-NULL); the status, with the matcher in *m on success. */
static int
deep_parse(const deep_level_t *pat, size_t np, int levels, const char *leaf_json, const char *field,
           wk_matcher_t **m, sdb_error_t *err)
{
    bson_t *leaf = bson_new_from_json((const uint8_t *)leaf_json, -1, NULL);
    bson_t *deep = deep_build(pat, np, levels, leaf), filter = BSON_INITIALIZER;
    int ret;

    if (field != NULL)
        bson_append_document(&filter, field, -1, deep);
    else
        bson_concat(&filter, deep);
    memset(err, 0, sizeof(*err));
    ret = wk_matcher_new(&filter, m, err);
    bson_destroy(&filter);
    bson_destroy(deep);
    bson_destroy(leaf);
    return ret;
}

static void
assert_overflow(const deep_level_t *pat, size_t np, int levels, const char *leaf, const char *field)
{
    wk_matcher_t *m = NULL;
    sdb_error_t err;

    ck_assert_int_eq(deep_parse(pat, np, levels, leaf, field, &m, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_str_eq(err.msg, "query exceeds the limit of 400 levels of nesting");
    ck_assert_ptr_null(m);
}

/* matches_json -- does the parsed matcher match the document? */
static bool
matches_json(const wk_matcher_t *m, const char *json)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bool r = wk_matcher_matches(m, doc, NULL);

    bson_destroy(doc);
    return r;
}

START_TEST(test_depth_logical)
{
    const deep_level_t *pats[] = {and_levels, or_levels, nor_levels};
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    int i;

    for (i = 0; i < 3; i++) {
        /* far over: 5,000 nested operators (10,000 BSON levels) */
        assert_overflow(pats[i], 2, 10000, "{\"x\": 1}", NULL);
        /* just over: the innermost filter document at level 401 */
        assert_overflow(pats[i], 2, 400, "{\"x\": 1}", NULL);
        /* at the bound: level 399 parses and evaluates ($nor twice 199 times is $nor once) */
        ck_assert_int_eq(deep_parse(pats[i], 2, 398, "{\"x\": 1}", NULL, &m, &err), 0);
        ck_assert(matches_json(m, "{\"x\": 1}") == (i != 2));
        ck_assert(matches_json(m, "{\"x\": 2}") == (i == 2));
        wk_matcher_free(m);
    }
}
END_TEST

START_TEST(test_depth_not_elem_match)
{
    wk_matcher_t *m = NULL;
    sdb_error_t err;

    assert_overflow(not_levels, 1, 5000, "{\"$eq\": 1}", "x");
    assert_overflow(not_levels, 1, 399, "{\"$eq\": 1}", "x");
    /* {x: {$not: ... {$eq: 1}}}: 398 $not (an even number) around the operators at level 400 */
    ck_assert_int_eq(deep_parse(not_levels, 1, 398, "{\"$eq\": 1}", "x", &m, &err), 0);
    ck_assert(matches_json(m, "{\"x\": 1}"));
    ck_assert(!matches_json(m, "{\"x\": 2}"));
    wk_matcher_free(m);

    assert_overflow(elem_levels, 2, 10000, "{\"b\": 1}", NULL);
    assert_overflow(elem_levels, 2, 400, "{\"b\": 1}", NULL);
    /* {a: {$elemMatch: {a: {$elemMatch: ... {b: 1}}}}} with the last filter at level 399 */
    ck_assert_int_eq(deep_parse(elem_levels, 2, 398, "{\"b\": 1}", NULL, &m, &err), 0);
    ck_assert(!matches_json(m, "{\"a\": [{\"b\": 1}]}"));
    wk_matcher_free(m);
}
END_TEST

/* A document 10,000 levels deep is compared, walked and matched without recursion limits. */
START_TEST(test_depth_document)
{
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    bson_t *leaf = BCON_NEW("x", BCON_INT32(1));
    bson_t *doc = deep_build(docs, 1, 10000, leaf);
    bson_t *f1 = BCON_NEW("a", "{", "$gt", "{", "}", "}");
    bson_t *f2 = BCON_NEW("a.a.a.x", BCON_INT32(1));
    wk_matcher_t *m1 = NULL, *m2 = NULL;
    sdb_error_t err;

    ck_assert_int_eq(wk_matcher_new(f1, &m1, &err), 0);
    ck_assert_int_eq(wk_matcher_new(f2, &m2, &err), 0);
    ck_assert(wk_matcher_matches(m1, doc, NULL));
    ck_assert(!wk_matcher_matches(m2, doc, NULL));
    wk_matcher_free(m1);
    wk_matcher_free(m2);
    bson_destroy(f1);
    bson_destroy(f2);
    bson_destroy(doc);
    bson_destroy(leaf);
}
END_TEST

/* A filter path of more than 100 components (what a stored document may nest) is mongod's
 * 5729100 "FieldPath is too long". */
START_TEST(test_depth_path)
{
    char path[2 * 5000];
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    bson_t *f;
    int i;

    for (i = 0; i < 5000; i++)
        memcpy(path + 2 * i, "a.", 2);
    path[2 * 5000 - 1] = '\0';
    f = BCON_NEW(path, BCON_INT32(1));
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Location5729100);
    ck_assert_str_eq(err.msg, "FieldPath is too long");
    bson_destroy(f);
    path[2 * 101 - 1] = '\0'; /* 101 components */
    f = BCON_NEW("$and", "[", "{", path, BCON_INT32(1), "}", "]");
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Location5729100);
    bson_destroy(f);
    path[2 * 100 - 1] = '\0'; /* 100 components: allowed */
    f = BCON_NEW(path, BCON_INT32(1));
    ck_assert_int_eq(wk_matcher_new(f, &m, &err), 0);
    wk_matcher_free(m);
    bson_destroy(f);
}
END_TEST

/* ---- stack use at the bound: parse and evaluate the deepest filters that are accepted ---- */

typedef struct stack_case {
    bson_t *filter, *doc;
    bool want;
} stack_case_t;

static void
parse_and_match(void *arg)
{
    stack_case_t *c = arg;
    wk_matcher_t *m = NULL;
    sdb_error_t err;

    ck_assert_int_eq(wk_matcher_new(c->filter, &m, &err), 0);
    ck_assert(wk_matcher_matches(m, c->doc, NULL) == c->want);
    wk_matcher_free(m);
}

/* measure -- the stack one case takes; every case must fit the budget (a quarter of the
 * coroutine stack) in the plain and the sanitizer builds. */
static void
measure(const char *what, bson_t *filter, bson_t *doc, bool want)
{
    stack_case_t c = {filter, doc, want};
    size_t used = stackmeter_run(what, parse_and_match, &c);

    ck_assert_msg(used < STACKMETER_BUDGET, "%s: %zu bytes of stack", what, used);
    bson_destroy(filter);
    bson_destroy(doc);
}

/* wrap -- {key: inner} (consumes inner). */
static bson_t *
wrap(const char *key, bson_t *inner)
{
    bson_t *b = bson_new();

    bson_append_document(b, key, -1, inner);
    bson_destroy(inner);
    return b;
}

START_TEST(test_depth_stack)
{
    static const deep_level_t elem_doc[] = {{BSON_TYPE_ARRAY, "a"}, {BSON_TYPE_DOCUMENT, "0"}};
    static const deep_level_t add[] = {{BSON_TYPE_ARRAY, "$add"}, {BSON_TYPE_DOCUMENT, "0"}};
    static const deep_level_t schema[] = {{BSON_TYPE_DOCUMENT, "properties"},
                                          {BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    bson_t *x1 = BCON_NEW("x", BCON_INT32(1)), *eq = BCON_NEW("$eq", BCON_INT32(1));
    bson_t *b1 = BCON_NEW("b", BCON_INT32(1)), *one = BCON_NEW("$literal", BCON_INT32(1));
    bson_t *inty = BCON_NEW("bsonType", "object"), *v1 = BCON_NEW("v", BCON_INT32(1));

    measure("$and nested to level 399", deep_build(and_levels, 2, 398, x1),
            BCON_NEW("x", BCON_INT32(1)), true);
    measure("$or nested to level 399", deep_build(or_levels, 2, 398, x1),
            BCON_NEW("x", BCON_INT32(1)), true);
    measure("$not nested to level 400", wrap("x", deep_build(not_levels, 1, 398, eq)),
            BCON_NEW("x", BCON_INT32(1)), true);
    /* $elemMatch 199 deep over a document nesting {a: [{a: [...]}]} as deep: every level is
     * evaluated */
    measure("$elemMatch nested to level 399, matched", deep_build(elem_levels, 2, 398, b1),
            deep_build(elem_doc, 2, 398, b1), true);
    /* {$expr: {$add: [{$add: [... {$literal: 1}]}]}} with the innermost document at level 400 */
    measure("$expr of $add nested to level 400", wrap("$expr", deep_build(add, 2, 398, one)),
            BCON_NEW("x", BCON_INT32(1)), true);
    /* {$jsonSchema: {properties: {a: {properties: ... {bsonType: "object"}}}}} on {a: {a: ...}} */
    measure("$jsonSchema nested to level 400",
            wrap("$jsonSchema", deep_build(schema, 2, 398, inty)), deep_build(docs, 1, 199, v1),
            true);
    bson_destroy(x1);
    bson_destroy(eq);
    bson_destroy(b1);
    bson_destroy(one);
    bson_destroy(inty);
    bson_destroy(v1);
}
END_TEST

static Suite *
matcher_suite(void)
{
    Suite *s = suite_create("matcher");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_messages);
    tcase_add_loop_test(tc, test_eval_errors, 0, (int)(sizeof(eval_cases) / sizeof(eval_cases[0])));
    tcase_add_test(tc, test_details_and_ids);
    tcase_add_loop_test(tc, test_positional, 0, (int)(sizeof(pos_cases) / sizeof(pos_cases[0])));
    tcase_add_test(tc, test_depth_logical);
    tcase_add_test(tc, test_depth_not_elem_match);
    tcase_add_test(tc, test_depth_document);
    tcase_add_test(tc, test_depth_path);
    tcase_add_test(tc, test_depth_stack);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(matcher_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
