/*
 * tests/unit/check_agg.c -- the pipeline engine's pure stages (src/worker/agg/).
 *
 * Each row runs a pipeline over an in-memory input (no collection, no store) and compares the
 * output documents exactly (field order and numeric types included) with the expected list,
 * or expects a parse/run error code.  JSON in the table uses single quotes (turned into
 * double quotes before parsing); {'$numberLong': '1'} pins a long.  Covered: $group and every
 * accumulator, _id expressions (null, documents, numeric equality across types), $unwind and
 * its options, $project/$addFields/$set/$unset/$replaceRoot, $sort/$limit/$skip/$count,
 * $sortByCount, $bucket, $facet, $documents, and the errors of malformed stages.
 */
#include "agg_case.h"
#include "deep.h"

static const acase_t cases[] = {
    /* $group and accumulators */
    {"[{'a': 1, 'v': 2}, {'a': 2, 'v': 3}, {'a': 1, 'v': 4}]",
     "[{'$group': {'_id': '$a', 's': {'$sum': '$v'}, 'n': {'$sum': 1}}}]",
     "[{'_id': 1, 's': 6, 'n': 2}, {'_id': 2, 's': 3, 'n': 1}]", 0},
    {"[{'a': 1, 'v': 2}, {'a': 1.0, 'v': {'$numberLong': '3'}}, {'v': 'x'}]",
     "[{'$group': {'_id': '$a', 's': {'$sum': '$v'}}}]",
     "[{'_id': null, 's': 0}, {'_id': 1, 's': {'$numberLong': '5'}}]", 0},
    {"[{'v': 1}, {'v': 2.5}]", "[{'$group': {'_id': null, 's': {'$sum': '$v'}}}]",
     "[{'_id': null, 's': 3.5}]", 0},
    {"[{'v': 2147483647}, {'v': 1}]", "[{'$group': {'_id': 0, 's': {'$sum': '$v'}}}]",
     "[{'_id': 0, 's': {'$numberLong': '2147483648'}}]", 0},
    {"[{'v': 1}, {'v': 2}, {'v': 'x'}, {}]",
     "[{'$group': {'_id': null, 'a': {'$avg': '$v'}, 'lo': {'$min': '$v'}, "
     "'hi': {'$max': '$v'}}}]",
     "[{'_id': null, 'a': 1.5, 'lo': 1, 'hi': 'x'}]", 0},
    {"[{'v': 'x'}]", "[{'$group': {'_id': null, 'a': {'$avg': '$v'}, 'm': {'$min': '$w'}}}]",
     "[{'_id': null, 'a': null, 'm': null}]", 0},
    {"[{'v': 1}, {}, {'v': 3}]",
     "[{'$group': {'_id': 1, 'f': {'$first': '$v'}, 'l': {'$last': '$v'}, "
     "'p': {'$push': '$v'}}}]",
     "[{'_id': 1, 'f': 1, 'l': 3, 'p': [1, 3]}]", 0},
    /* $firstN's n sees the _id's fields (the manual's computed-n example), never a member's */
    {"[{'g': 'G1', 'v': 3}, {'g': 'G1', 'v': 4}, {'g': 'G2', 'v': 5}, {'g': 'G2', 'v': 6}]",
     "[{'$group': {'_id': {'g': '$g'}, 'f': {'$firstN': {'input': '$v', 'n': {'$cond': "
     "[{'$eq': ['$g', 'G2']}, 1, 2]}}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': {'g': 'G1'}, 'f': [3, 4]}, {'_id': {'g': 'G2'}, 'f': [5]}]", 0},
    {"[{'g': 'G1', 'v': 3}]",
     "[{'$group': {'_id': '$g', 'f': {'$firstN': {'input': '$v', 'n': '$v'}}}}]", NULL, 5787902},
    {"[{}, {'v': 3}]", "[{'$group': {'_id': 1, 'f': {'$first': '$v'}, 'l': {'$last': '$w'}}}]",
     "[{'_id': 1, 'f': null, 'l': null}]", 0},
    {"[{'v': 1}, {'v': 1.0}, {'v': 2}, {'v': 1}]",
     "[{'$group': {'_id': 0, 's': {'$addToSet': '$v'}, 'c': {'$count': {}}}}]",
     "[{'_id': 0, 's': [1, 2], 'c': 4}]", 0},
    {"[{'a': 1, 'b': 2}, {'a': 1, 'b': 2}, {'a': 1}]",
     "[{'$group': {'_id': {'x': '$a', 'y': '$b'}, 'n': {'$sum': 1}}}]",
     "[{'_id': {'x': 1}, 'n': 1}, {'_id': {'x': 1, 'y': 2}, 'n': 2}]", 0},
    {"[]", "[{'$group': {'_id': null, 'n': {'$sum': 1}}}]", "[]", 0},
    /* an $expr error in a $match after another stage fails the pipeline (mongod) */
    {"[{'x': 0}]", "[{'$project': {'x': 1}}, {'$match': {'$expr': {'$divide': [1, '$x']}}}]", NULL,
     16608},
    {"[{'a': 1}]", "[{'$group': {'n': {'$sum': 1}}}]", NULL, 15955},
    {"[{'a': 1}]", "[{'$group': {'_id': 1, 'n': {'$bogus': 1}}}]", NULL, 15952},
    {"[{'a': 1}]", "[{'$group': {'_id': 1, 'n': 1}}]", NULL, 40234},
    {"[{'a': 1}]", "[{'$group': {'_id': 1, 'n': {'$sum': [1]}}}]", NULL, 40237},
    {"[{'a': 1}]", "[{'$group': {'_id': 1, 'n.x': {'$sum': 1}}}]", NULL, 40235},
    /* countDocuments' pipeline */
    {"[{'a': 1}, {'a': 2}, {'a': 1}, {'a': 1}]",
     "[{'$match': {'a': 1}}, {'$skip': 1}, {'$limit': 5}, "
     "{'$group': {'_id': 1, 'n': {'$sum': 1}}}]",
     "[{'_id': 1, 'n': 2}]", 0},
    /* $unwind */
    {"[{'_id': 1, 'a': [1, 2]}, {'_id': 2, 'a': []}, {'_id': 3}, {'_id': 4, 'a': 5}]",
     "[{'$unwind': '$a'}]", "[{'_id': 1, 'a': 1}, {'_id': 1, 'a': 2}, {'_id': 4, 'a': 5}]", 0},
    {"[{'_id': 1, 'a': [1, 2]}, {'_id': 2, 'a': []}, {'_id': 3, 'a': null}]",
     "[{'$unwind': {'path': '$a', 'includeArrayIndex': 'i', "
     "'preserveNullAndEmptyArrays': true}}]",
     "[{'_id': 1, 'a': 1, 'i': {'$numberLong': '0'}}, {'_id': 1, 'a': 2, 'i': {'$numberLong': "
     "'1'}}, {'_id': 2, 'i': null}, {'_id': 3, 'a': null, 'i': null}]",
     0},
    {"[{'_id': 1, 'x': {'a': [7, 8]}}]", "[{'$unwind': '$x.a'}]",
     "[{'_id': 1, 'x': {'a': 7}}, {'_id': 1, 'x': {'a': 8}}]", 0},
    {"[]", "[{'$unwind': 'a'}]", NULL, 28818},
    {"[]", "[{'$unwind': 5}]", NULL, 15981},
    {"[]", "[{'$unwind': {'path': '$a', 'x': 1}}]", NULL, 28811},
    {"[]", "[{'$unwind': {'includeArrayIndex': 'i'}}]", NULL, 28812},
    /* $project, $addFields/$set, $unset, $replaceRoot */
    {"[{'_id': 1, 'a': 1, 'b': {'c': 2, 'd': 3}}]", "[{'$project': {'b.c': 1}}]",
     "[{'_id': 1, 'b': {'c': 2}}]", 0},
    {"[{'_id': 1, 'a': 1, 'b': 2}]", "[{'$project': {'_id': 0, 'a': 0}}]", "[{'b': 2}]", 0},
    {"[{'_id': 1, 'a': 1, 'b': 2}]", "[{'$project': {'s': {'$add': ['$a', '$b']}}}]",
     "[{'_id': 1, 's': 3}]", 0},
    {"[]", "[{'$project': {}}]", NULL, 51272},
    {"[{'_id': 1, 'a': 1, 'x': {'y': 1}}]",
     "[{'$addFields': {'a': 5, 'b': '$a', 'x': {'z': 2}, 'm': '$nope'}}]",
     "[{'_id': 1, 'a': 5, 'x': {'y': 1, 'z': 2}, 'b': 1}]", 0},
    {"[{'_id': 1, 'a': 1}]", "[{'$set': {'c.d': {'$multiply': ['$a', 3]}}}]",
     "[{'_id': 1, 'a': 1, 'c': {'d': 3}}]", 0},
    {"[{'_id': 1, 'a': 1, 'b': {'c': 1, 'd': 2}}]", "[{'$unset': ['a', 'b.c']}]",
     "[{'_id': 1, 'b': {'d': 2}}]", 0},
    {"[{'_id': 1, 'a': 1}]", "[{'$unset': '_id'}]", "[{'a': 1}]", 0},
    {"[]", "[{'$unset': 1}]", NULL, 31002},
    {"[{'_id': 1, 'x': {'y': 2}}]", "[{'$replaceRoot': {'newRoot': '$x'}}]", "[{'y': 2}]", 0},
    {"[{'_id': 1, 'x': 3}]", "[{'$replaceWith': {'v': '$x'}}]", "[{'v': 3}]", 0},
    {"[{'_id': 1, 'x': 3}]", "[{'$replaceRoot': {'newRoot': '$x'}}]", NULL, 40228},
    /* $sort, $limit, $skip, $count */
    {"[{'_id': 1, 'a': 2}, {'_id': 2, 'a': 1}, {'_id': 3, 'a': 3}]",
     "[{'$sort': {'a': -1}}, {'$skip': 1}, {'$limit': 1}]", "[{'_id': 1, 'a': 2}]", 0},
    {"[{'_id': 1}, {'_id': 2}]", "[{'$limit': 5}, {'$skip': 2}]", "[]", 0},
    {"[{'_id': 1}, {'_id': 2}, {'_id': 3}]", "[{'$count': 'total'}]", "[{'total': 3}]", 0},
    {"[]", "[{'$count': 'total'}]", "[]", 0},
    {"[]", "[{'$limit': 0}]", NULL, 15958},
    {"[]", "[{'$limit': 'x'}]", NULL, 15957},
    {"[]", "[{'$skip': -1}]", NULL, 15956},
    {"[]", "[{'$sort': 1}]", NULL, 15973},
    {"[]", "[{'$count': '$x'}]", NULL, 40158},
    /* $sortByCount, $bucket, $facet, $documents */
    {"[{'a': 'x'}, {'a': 'y'}, {'a': 'y'}]", "[{'$sortByCount': '$a'}]",
     "[{'_id': 'y', 'count': 2}, {'_id': 'x', 'count': 1}]", 0},
    {"[{'v': 1}, {'v': 5}, {'v': 12}, {'v': 'z'}]",
     "[{'$bucket': {'groupBy': '$v', 'boundaries': [0, 5, 10], 'default': 'o', "
     "'output': {'t': {'$sum': '$v'}}}}]",
     "[{'_id': 0, 't': 1}, {'_id': 5, 't': 5}, {'_id': 'o', 't': 12}]", 0},
    {"[{'v': 12}]", "[{'$bucket': {'groupBy': '$v', 'boundaries': [0, 5]}}]", NULL, 40066},
    {"[]", "[{'$bucket': {'groupBy': '$v', 'boundaries': [5, 0]}}]", NULL, 40194},
    {"[{'_id': 1}, {'_id': 2}]", "[{'$facet': {'n': [{'$count': 'c'}], 'f': [{'$limit': 1}]}}]",
     "[{'n': [{'c': 2}], 'f': [{'_id': 1}]}]", 0},
    {"[]", "[{'$facet': {'n': [{'$out': 'x'}]}}]", NULL, 40600},
    {"[]", "[{'$documents': [{'a': 1}, {'a': 2}]}, {'$match': {'a': 2}}]", "[{'a': 2}]", 0},
    /* pipeline shape */
    {"[]", "[{'$foo': 1}]", NULL, 40324},
    {"[]", "[{'$match': {}, '$limit': 1}]", NULL, 40323},
    {"[]", "[{'$out': 'x'}, {'$limit': 1}]", NULL, 40601},
    {"[]", "[{'$limit': 1}, {'$documents': []}]", NULL, 40602},
};

START_TEST(test_table)
{
    agg_case_run(&cases[_i], _i);
}
END_TEST

START_TEST(test_subst_vars)
{
    bson_t *pl = parse_json("[{'$match': {'$expr': {'$eq': ['$a', '$$x']}}}, "
                            "{'$set': {'y': '$$d.k', 'z': '$$nope'}}]");
    bson_t *vars =
        bson_new_from_json((const uint8_t *)"{\"x\": 5, \"d\": {\"k\": \"s\"}}", -1, NULL);
    bson_t out;
    sdb_error_t err;
    char *json;

    ck_assert_int_eq(wk_agg_subst_vars(pl, vars, &out, &err), 0);
    json = bson_as_relaxed_extended_json(&out, NULL);
    ck_assert_str_eq(json, "{ \"v\" : [ { \"$match\" : { \"$expr\" : { \"$eq\" : [ \"$a\", { "
                           "\"$literal\" : 5 } ] } } }, { \"$set\" : { \"y\" : { \"$literal\" : "
                           "\"s\" }, \"z\" : \"$$nope\" } } ] }");
    bson_free(json);
    bson_destroy(&out);
    bson_destroy(vars);
    bson_destroy(pl);
}
END_TEST

/* ---- depth ------------------------------------------------------------------------------- */

/* run_stages -- run the pipeline array `pl` over {a: 1}; the status, outputs in *out. */
static int
run_stages(const bson_t *pl, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_agg_ctx_t ctx = {.db = "test", .coll = "c"};
    wk_agg_pipeline_t *p = NULL;
    wk_agg_docs_t in;
    int ret;

    memset(err, 0, sizeof(*err));
    wk_agg_docs_init(&in);
    wk_agg_docs_init(out);
    wk_agg_docs_push(&in, BCON_NEW("a", BCON_INT32(1)));
    ret = wk_agg_parse_doc(pl, &ctx, &p, err);
    if (ret == 0)
        ret = wk_agg_run(p, &ctx, &in, out, err);
    wk_agg_free(p);
    wk_agg_docs_free(&in);
    return ret;
}

/* A pipeline whose stages wrap the document 1,000 times builds a value far deeper than the
 * evaluation bound; $sort, $group and $match then compare it without recursion. */
START_TEST(test_depth_built_values)
{
    bson_t pl = BSON_INITIALIZER, st;
    wk_agg_docs_t out;
    sdb_error_t err;
    char key[16];
    const char *kp;
    uint32_t i, n = 0;
    bson_iter_t it;
    int depth = 0;

    for (i = 0; i < 1000; i++) { /* {$set: {a: {w: "$a"}}} */
        bson_uint32_to_string(n++, &kp, key, sizeof(key));
        BSON_APPEND_DOCUMENT_BEGIN(&pl, kp, &st);
        BCON_APPEND(&st, "$set", "{", "a", "{", "w", "$a", "}", "}");
        bson_append_document_end(&pl, &st);
    }
    bson_uint32_to_string(n++, &kp, key, sizeof(key));
    BSON_APPEND_DOCUMENT_BEGIN(&pl, kp, &st);
    BCON_APPEND(&st, "$sort", "{", "a", BCON_INT32(1), "}");
    bson_append_document_end(&pl, &st);
    bson_uint32_to_string(n++, &kp, key, sizeof(key));
    BSON_APPEND_DOCUMENT_BEGIN(&pl, kp, &st);
    BCON_APPEND(&st, "$group", "{", "_id", "$a", "n", "{", "$sum", BCON_INT32(1), "}", "}");
    bson_append_document_end(&pl, &st);
    bson_uint32_to_string(n++, &kp, key, sizeof(key));
    BSON_APPEND_DOCUMENT_BEGIN(&pl, kp, &st);
    BCON_APPEND(&st, "$match", "{", "_id", "{", "$gt", "{", "}", "}", "}");
    bson_append_document_end(&pl, &st);
    ck_assert_int_eq(run_stages(&pl, &out, &err), 0);
    ck_assert_uint_eq(out.n, 1);
    /* _id is {w: {w: ... 1}} 1,000 levels deep */
    ck_assert(bson_iter_init_find(&it, out.v[0], "_id"));
    while (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_t child;

        ck_assert(bson_iter_recurse(&it, &child) && bson_iter_find(&child, "w"));
        it = child;
        depth++;
    }
    ck_assert_int_eq(depth, 1000);
    ck_assert_int_eq(bson_iter_as_int64(&it), 1);
    wk_agg_docs_free(&out);
    bson_destroy(&pl);
}
END_TEST

/* Stage specs nested or pathed past the bounds: 15 Overflow at parse time. */
START_TEST(test_depth_specs)
{
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    bson_t *one = BCON_NEW("x", BCON_INT32(1)), *fields = deep_build(docs, 1, 5000, one);
    bson_t pl, st, *pls[3];
    wk_agg_docs_t out;
    sdb_error_t err;
    char path[2 * 5000 + 1];
    int i;

    path[0] = '$';
    for (i = 0; i < 5000; i++)
        memcpy(path + 1 + 2 * i, "a.", 2);
    path[2 * 5000] = '\0';
    bson_init(&pl); /* [{$addFields: {a: {a: ... {x: 1}}}}] */
    BSON_APPEND_DOCUMENT_BEGIN(&pl, "0", &st);
    BSON_APPEND_DOCUMENT(&st, "$addFields", fields);
    bson_append_document_end(&pl, &st);
    pls[0] = &pl;
    pls[1] = BCON_NEW("0", "{", "$unwind", path, "}");
    pls[2] = BCON_NEW("0", "{", "$set", "{", path + 1, BCON_INT32(1), "}", "}");
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(run_stages(pls[i], &out, &err), SDB_ECLIENT);
        ck_assert_int_eq(err.code, SDB_CODE_Overflow);
        ck_assert_str_eq(err.msg, "FieldPath is too long");
        wk_agg_docs_free(&out);
        bson_destroy(pls[i]);
    }
    /* $$variable substitution into a pipeline nested 5,000 levels */
    ck_assert_int_eq(wk_agg_subst_vars(fields, one, &pl, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&pl);
    bson_destroy(one);
    bson_destroy(fields);
}
END_TEST

static Suite *
agg_suite(void)
{
    Suite *s = suite_create("agg");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_subst_vars);
    tcase_add_test(tc, test_depth_built_values);
    tcase_add_test(tc, test_depth_specs);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(agg_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
