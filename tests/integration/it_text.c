/*
 * tests/integration/it_text.c -- text indexes and $text through libmongoc.
 *
 * One shared server.  A text index is created over existing documents and then maintained
 * on insert, update and delete; $text finds single words, stemmed forms ("running" finds
 * "run"), ignores stop words, honours phrases, negations, per-document language overrides,
 * $language, $caseSensitive and $diacriticSensitive, compound prefixes and weights; the
 * textScore of a projection and of a sort is mongod's formula, checked against hand-computed
 * values; listIndexes shows the spec as mongod stores it; the errors are mongod's.
 */
#include "harness.h"

#include <math.h>

#define DB "textdb"

/* ids -- the _id values a find returns (first batch), comma separated, in order. */
static void
ids(mongoc_client_t *c, const char *json, char *out, size_t cap)
{
    bson_t r, doc;
    int n;

    CMD_OK(c, DB, json, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        char path[64];

        snprintf(path, sizeof(path), "cursor.firstBatch.%d", i);
        ck_assert(fx_sub(&r, path, &doc));
        snprintf(out + strlen(out), cap - strlen(out), "%s%lld", i ? "," : "",
                 (long long)fx_int(&doc, "_id"));
        bson_destroy(&doc);
    }
    bson_destroy(&r);
}

#define IDS(c, json, want)                                                                         \
    do {                                                                                           \
        char got_[256];                                                                            \
        ids((c), (json), got_, sizeof(got_));                                                      \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s: got [%s], want [%s]", (json), got_, (want)); \
    } while (0)

static void
drop(mongoc_client_t *c, const char *coll)
{
    fx_drop(c, DB, coll);
}

static void
load(mongoc_client_t *c)
{
    bson_t r;

    drop(c, "articles");
    CMD_OK(c, DB,
           "{'insert': 'articles', 'documents': ["
           "{'_id': 1, 'subject': 'coffee', 'author': 'xyz', 'views': 50},"
           "{'_id': 2, 'subject': 'Coffee Shopping', 'author': 'efg', 'views': 5},"
           "{'_id': 3, 'subject': 'Baking a cake', 'author': 'abc', 'views': 90},"
           "{'_id': 4, 'subject': 'baking', 'author': 'xyz', 'views': 100},"
           "{'_id': 5, 'subject': 'Café Con Leche', 'author': 'abc', 'views': 200},"
           "{'_id': 6, 'subject': 'Сырники', 'author': 'jkl', 'views': 80},"
           "{'_id': 7, 'subject': 'coffee and cream', 'author': 'efg', 'views': 10},"
           "{'_id': 8, 'subject': 'Cafe con Leche', 'author': 'xyz', 'views': 10},"
           "{'_id': 9, 'subject': 'He is running to the shop', 'author': 'q', 'views': 1},"
           "{'_id': 10, 'subject': 'el café', 'language': 'es', 'author': 'q', 'views': 1}]}",
           &r);
    bson_destroy(&r);
}

/* subject_index -- {subject: "text"} on articles (again: nothing to do). */
static void
subject_index(mongoc_client_t *c)
{
    bson_t r;

    CMD_OK(c, DB,
           "{'createIndexes': 'articles', 'indexes': [{'key': {'subject': 'text'}, "
           "'name': 'subject_text'}]}",
           &r);
    bson_destroy(&r);
}

/* Built over existing data; listIndexes shows mongod's stored form. */
START_TEST(test_index_spec)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;

    load(c);
    subject_index(c);
    CMD_OK(c, DB, "{'listIndexes': 'articles'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.1", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'_fts': 'text', '_ftsx': 1}, "
                                    "'name': 'subject_text', 'weights': {'subject': 1}, "
                                    "'default_language': 'english', "
                                    "'language_override': 'language', 'textIndexVersion': 3}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    /* a second text index: 67; the same one again: nothing to do */
    CMD_ERR(c, DB,
            "{'createIndexes': 'articles', 'indexes': [{'key': {'author': 'text'}, "
            "'name': 'author_text'}]}",
            &r, 67, "CannotCreateIndex");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "only one text index per collection allowed") !=
                      NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    subject_index(c);
    CMD_ERR(c, DB,
            "{'createIndexes': 'x', 'indexes': [{'key': {'a': 'text'}, 'name': 'a', "
            "'default_language': 'klingon'}]}",
            &r, 17264, "Location17264");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'x', 'indexes': [{'key': {'a': 'text', 'b': 1, 'c': 'text'}, "
            "'name': 'a'}]}",
            &r, 17389, "Location17389");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Words, stems, stop words, phrases, negations, case and diacritics. */
START_TEST(test_search)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load(c);
    subject_index(c);
#define Q(s) "{'find': 'articles', 'filter': {'$text': " s "}, 'sort': {'_id': 1}}"
    IDS(c, Q("{'$search': 'coffee'}"), "1,2,7");
    IDS(c, Q("{'$search': 'bake coffee'}"), "1,2,3,4,7");
    IDS(c, Q("{'$search': 'run'}"), "9");     /* "running" stems to "run" */
    IDS(c, Q("{'$search': 'shops'}"), "2,9"); /* "Shopping" and "shop" stem to "shop" */
    IDS(c, Q("{'$search': 'the'}"), "");      /* a stop word matches nothing */
    IDS(c, Q("{'$search': '\\\"coffee shop\\\"'}"), "2");
    IDS(c, Q("{'$search': 'coffee -shop'}"), "1,7");
    IDS(c, Q("{'$search': 'coffee -\\\"and cream\\\"'}"), "1,2");
    IDS(c, Q("{'$search': 'Coffee', '$caseSensitive': true}"), "2");
    IDS(c, Q("{'$search': 'cafe'}"), "5,8");
    IDS(c, Q("{'$search': 'CAFÉ', '$diacriticSensitive': true}"), "5");
    IDS(c, Q("{'$search': 'сырники'}"), "6");
    IDS(c, Q("{'$search': 'leche', '$language': 'es'}"), "5,8");
    /* document 10 is Spanish (its "language" field): its "café" stems as Spanish does, like
     * the query's, while the English documents keep "cafe" */
    IDS(c, Q("{'$search': 'café', '$language': 'spanish'}"), "10");
    /* maintenance: insert, update, delete */
    CMD_OK(c, DB, "{'insert': 'articles', 'documents': [{'_id': 11, 'subject': 'more coffee'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'update': 'articles', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'subject': "
           "'tea'}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'articles', 'deletes': [{'q': {'_id': 7}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    IDS(c, Q("{'$search': 'coffee'}"), "2,11");
    /* a cursor over the index scan: each getMore resumes after the last entry */
    CMD_OK(c, DB,
           "{'find': 'articles', 'filter': {'$text': {'$search': 'coffee cafe bake'}}, "
           "'batchSize': 1}",
           &r);
    {
        int64_t id = fx_int(&r, "cursor.id");
        int total = fx_array_len(&r, "cursor.firstBatch");
        char more[128];

        bson_destroy(&r);
        while (id != 0) {
            snprintf(more, sizeof(more),
                     "{'getMore': %lld, 'collection': 'articles', "
                     "'batchSize': 1}",
                     (long long)id);
            CMD_OK(c, DB, more, &r);
            total += fx_array_len(&r, "cursor.nextBatch");
            id = fx_int(&r, "cursor.id");
            bson_destroy(&r);
        }
        ck_assert_int_eq(total, 6); /* 2, 11 (coffee); 5, 8 (cafe); 3, 4 (bake) */
    }
    IDS(c, Q("{'$search': 'tea'}"), "1");
#undef Q
    mongoc_client_destroy(c);
}
END_TEST

/* Scores: mongod's formula, by hand. */
START_TEST(test_scores)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, d;

    drop(c, "scored");
    CMD_OK(c, DB,
           "{'insert': 'scored', 'documents': ["
           "{'_id': 1, 'title': 'coffee', 'body': 'tea'},"
           "{'_id': 2, 'title': 'tea', 'body': 'coffee cake'},"
           "{'_id': 3, 'title': 'shop', 'body': 'coffee coffee coffee shop'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'scored', 'indexes': [{'key': {'title': 'text', 'body': 'text'}, "
           "'name': 'tb', 'weights': {'title': 10}}]}",
           &r);
    bson_destroy(&r);
    /* 1: title "coffee": one token, 10 * 1 * 1.0 = 10.
     * 2: body "coffee cake": 1 * 1 * (0.5 * 1/2 + 0.5) = 0.75.
     * 3: body "coffee coffee coffee shop": freq 1 + 1/2 + 1/4 = 1.75, count 3 of 4 tokens:
     *    1.75 * (0.5 * 3/4 + 0.5) = 1.53125. */
    CMD_OK(c, DB,
           "{'find': 'scored', 'filter': {'$text': {'$search': 'coffee'}}, "
           "'projection': {'score': {'$meta': 'textScore'}}, "
           "'sort': {'score': {'$meta': 'textScore'}}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 3);
    ASSERT_INT(&r, "cursor.firstBatch.2._id", 2);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.0.score") - 10.0) < 1e-12);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.1.score") - 1.53125) < 1e-12);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.2.score") - 0.75) < 1e-12);
    ASSERT_STR(&r, "cursor.firstBatch.0.title", "coffee"); /* $meta alone keeps the fields */
    bson_destroy(&r);
    /* "shop" alone in a title: the whole string is the term, 10 * 1.1; plus the body's
     * 1 * 1 * (0.5 * 1/4 + 0.5) = 0.625 */
    CMD_OK(c, DB,
           "{'find': 'scored', 'filter': {'$text': {'$search': 'shop'}}, "
           "'projection': {'_id': 0, 's': {'$meta': 'textScore'}}}",
           &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fabs(fx_double(&d, "s") - 11.625) < 1e-9, "%s", fx_to_json(&d));
    bson_destroy(&d);
    bson_destroy(&r);
    /* aggregate: $meta in $addFields and $sort, the score never leaks into the output */
    CMD_OK(c, DB,
           "{'aggregate': 'scored', 'pipeline': [{'$match': {'$text': {'$search': 'coffee'}}}, "
           "{'$addFields': {'s': {'$meta': 'textScore'}}}, "
           "{'$sort': {'score': {'$meta': 'textScore'}}}, {'$project': {'title': 0}}], "
           "'cursor': {}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    ASSERT_INT(&r, "cursor.firstBatch.2._id", 2);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.1.s") - 1.53125) < 1e-12);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 1, 'body': 'tea', 's': 10.0}"), "%s", fx_to_json(&d));
    bson_destroy(&d);
    bson_destroy(&r);
    /* an inclusion $project keeps the score for a later $sort and $meta */
    CMD_OK(c, DB,
           "{'aggregate': 'scored', 'pipeline': [{'$match': {'$text': {'$search': 'coffee'}}}, "
           "{'$project': {'title': 1}}, {'$sort': {'x': {'$meta': 'textScore'}}}, "
           "{'$project': {'title': 1, 'score': {'$meta': 'textScore'}}}], 'cursor': {}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 3);
    ck_assert(fx_sub(&r, "cursor.firstBatch.2", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 2, 'title': 'tea', 'score': 0.75}"), "%s",
                  fx_to_json(&d));
    bson_destroy(&d);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'scored', 'pipeline': [{'$project': {'s': {'$meta': 'textScore'}}}], "
            "'cursor': {}}",
            &r, 40218, "Location40218");
    bson_destroy(&r);
    /* no $text: no score */
    CMD_ERR(c, DB, "{'find': 'scored', 'projection': {'s': {'$meta': 'textScore'}}}", &r, 40218,
            "Location40218");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Compound prefix, language override field, errors. */
START_TEST(test_compound_and_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    drop(c, "posts");
    CMD_OK(c, DB,
           "{'createIndexes': 'posts', 'indexes': [{'key': {'kind': 1, 'body': 'text'}, "
           "'name': 'kb', 'language_override': 'idioma'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'posts', 'documents': ["
           "{'_id': 1, 'kind': 'a', 'body': 'running dogs'},"
           "{'_id': 2, 'kind': 'b', 'body': 'running cats'},"
           "{'_id': 3, 'kind': 'a', 'body': 'las casas', 'idioma': 'spanish'}]}",
           &r);
    bson_destroy(&r);
    IDS(c, "{'find': 'posts', 'filter': {'kind': 'a', '$text': {'$search': 'run'}}}", "1");
    /* document 3 is Spanish through the index's language_override field "idioma" */
    IDS(c, "{'find': 'posts', 'filter': {'kind': 'a', '$text': {'$search': 'casa'}}}", "");
    IDS(c,
        "{'find': 'posts', 'filter': {'kind': 'a', '$text': {'$search': 'casa', "
        "'$language': 'es'}}}",
        "3");
    CMD_OK(c, DB, "{'insert': 'posts', 'documents': [{'_id': 4, 'body': 'x', 'idioma': 'xx'}]}",
           &r);
    ASSERT_INT(&r, "writeErrors.0.code", 17262);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'posts', 'documents': [{'_id': 5, 'kind': [1], 'body': 'x'}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 201);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(c, DB, "posts", "{}"), 3); /* neither was written */
    CMD_ERR(c, DB, "{'find': 'nope', 'filter': {'$text': {'$search': 'x'}}}", &r, 27,
            "IndexNotFound");
    ASSERT_STR(&r, "errmsg",
               "text index required for $text query (no such collection "
               "'textdb.nope')");
    bson_destroy(&r);
    /* $text under $or: the other clauses must be indexed */
    drop(c, "orc");
    CMD_OK(c, DB,
           "{'insert': 'orc', 'documents': [{'_id': 1, 't': 'running'}, {'_id': 2, 'n': 1}, "
           "{'_id': 3, 'm': 1}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'orc', 'indexes': [{'key': {'t': 'text'}, 'name': 't'}, "
           "{'key': {'n': 1}, 'name': 'n_1'}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'orc', 'filter': {'$or': [{'$text': {'$search': 'run'}}, {'m': 1}]}}",
            &r, 291, "NoQueryExecutionPlans");
    bson_destroy(&r);
    IDS(c,
        "{'find': 'orc', 'filter': {'$or': [{'$text': {'$search': 'run'}}, {'n': 1}]}, "
        "'sort': {'_id': 1}}",
        "1,2");
    /* "$**": every string, nested ones too; the language field is not text */
    drop(c, "wild");
    CMD_OK(c, DB,
           "{'insert': 'wild', 'documents': [{'_id': 1, 'a': {'b': ['blue sky']}}, "
           "{'_id': 2, 'c': 'sky', 'language': 'english'}, {'_id': 3, 'd': 'english'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'createIndexes': 'wild', 'indexes': [{'key': {'$**': 'text'}, 'name': 'all'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'wild'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.1.weights.$**", 1);
    bson_destroy(&r);
    IDS(c, "{'find': 'wild', 'filter': {'$text': {'$search': 'sky'}}, 'sort': {'_id': 1}}", "1,2");
    IDS(c, "{'find': 'wild', 'filter': {'$text': {'$search': 'english'}}}", "3");
    /* a compound text index needs its prefix's equality */
    CMD_ERR(c, DB, "{'find': 'posts', 'filter': {'$text': {'$search': 'run'}}}", &r, 291,
            "NoQueryExecutionPlans");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'plain', 'documents': [{'a': 'x'}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'plain', 'filter': {'$text': {'$search': 'x'}}}", &r, 27,
            "IndexNotFound");
    ASSERT_STR(&r, "errmsg", "text index required for $text query");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'find': 'posts', 'filter': {'$and': [{'$text': {'$search': 'x'}}, "
            "{'$text': {'$search': 'y'}}]}}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'posts', 'filter': {'$nor': [{'$text': {'$search': 'x'}}]}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'posts', 'filter': {'$text': {'$search': 'x', '$language': 'xx'}}}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'posts', 'filter': {'$text': {'$search': 1}}}", &r, 2, "BadValue");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* explain: TEXT_MATCH over TEXT_OR over one IXSCAN per term when the score is wanted, else
 * (mongod's plan without a score) over FETCH over OR, or over FETCH over the one IXSCAN; the
 * index is what is read. */
START_TEST(test_explain_and_aggregate)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load(c);
    subject_index(c);
    CMD_OK(c, DB,
           "{'explain': {'find': 'articles', 'filter': {'$text': {'$search': 'coffee -shop "
           "bake'}}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "TEXT_MATCH");
    ASSERT_STR(&r, "queryPlanner.winningPlan.indexName", "subject_text");
    ASSERT_STR(&r, "queryPlanner.winningPlan.parsedTextQuery.terms.0", "bake");
    ASSERT_STR(&r, "queryPlanner.winningPlan.parsedTextQuery.terms.1", "coffe");
    ASSERT_STR(&r, "queryPlanner.winningPlan.parsedTextQuery.negatedTerms.0", "shop");
    ASSERT_INT(&r, "queryPlanner.winningPlan.textIndexVersion", 3);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "FETCH");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.stage", "OR");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.inputStages.0.stage", "IXSCAN");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.inputStages.0.indexName",
               "subject_text");
    ck_assert_int_eq(fx_array_len(&r, "queryPlanner.winningPlan.inputStage.inputStage.inputStages"),
                     2);
    /* documents 1, 2, 7 hold "coffee", 3 and 4 "bake": only those five are read */
    ASSERT_INT(&r, "executionStats.nReturned", 4);
    ASSERT_INT(&r, "executionStats.totalDocsExamined", 5);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'articles', 'filter': {'$text': {'$search': 'coffee -shop "
           "bake'}}, 'projection': {'score': {'$meta': 'textScore'}}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "TEXT_MATCH");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.stage", "TEXT_OR");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.inputStages.0.indexName",
               "subject_text");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'articles', 'filter': {'$text': {'$search': 'coffee'}}, 'sort': "
           "{'s': {'$meta': 'textScore'}}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.stage", "TEXT_OR");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'explain': {'find': 'articles', 'filter': {'$text': {'$search': 'coffee'}}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "FETCH");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.stage", "IXSCAN");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.indexName", "subject_text");
    bson_destroy(&r);
    /* aggregate: $match $text first, then the score */
    CMD_OK(c, DB,
           "{'aggregate': 'articles', 'pipeline': [{'$match': {'$text': {'$search': 'coffee'}}}, "
           "{'$sort': {'_id': 1}}, {'$project': {'_id': 1}}], 'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    ASSERT_INT(&r, "cursor.firstBatch.2._id", 7);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'articles', 'pipeline': [{'$sort': {'_id': 1}}, "
            "{'$match': {'$text': {'$search': 'coffee'}}}], 'cursor': {}}",
            &r, 17313, "Location17313");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Terms longer than 224 bytes are keyed as mongod keys them (their first 224 bytes and the
 * MD5 of the whole): two long words sharing those 224 bytes stay apart in the index (one key,
 * one document examined each), a search finds each, and validate agrees with the keys. */
START_TEST(test_long_terms)
{
    mongoc_client_t *c = IT_CLIENT();
    char q[241], cmd[1024];
    bson_t r;

    memset(q, 'q', 240);
    q[240] = '\0';
    drop(c, "longterms");
    bson_snprintf(cmd, sizeof(cmd),
                  "{'insert': 'longterms', 'documents': [{'_id': 1, 't': '%salpha'}, {'_id': 2, "
                  "'t': '%somega'}, {'_id': 3, 't': 'short %s'}]}",
                  q, q, q);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'longterms', 'indexes': [{'key': {'t': 'text'}, 'name': 't_text', "
           "'default_language': 'none'}]}",
           &r);
    bson_destroy(&r);
    bson_snprintf(cmd, sizeof(cmd),
                  "{'explain': {'find': 'longterms', 'filter': {'$text': {'$search': '%salpha'}}}, "
                  "'verbosity': 'executionStats'}",
                  q);
    CMD_OK(c, DB, cmd, &r);
    ASSERT_INT(&r, "executionStats.nReturned", 1);
    ck_assert_msg(fx_int(&r, "executionStats.totalKeysExamined") <= 2, "%s", fx_to_json(&r));
    ASSERT_INT(&r, "executionStats.totalDocsExamined", 1); /* not the other long word's */
    bson_destroy(&r);
    bson_snprintf(cmd, sizeof(cmd),
                  "{'find': 'longterms', 'filter': {'$text': {'$search': '%somega'}}}", q);
    IDS(c, cmd, "2");
    bson_snprintf(cmd, sizeof(cmd), "{'find': 'longterms', 'filter': {'$text': {'$search': '%s'}}}",
                  q);
    IDS(c, cmd, "3");
    bson_snprintf(cmd, sizeof(cmd),
                  "{'find': 'longterms', 'filter': {'$text': {'$search': '%sALPHA short'}}, "
                  "'sort': {'_id': 1}}",
                  q);
    IDS(c, cmd, "1,3");
    CMD_OK(c, DB, "{'validate': 'longterms', 'full': true}", &r);
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = it_tcase(s, "text", true);

    tcase_add_test(tc, test_index_spec);
    tcase_add_test(tc, test_search);
    tcase_add_test(tc, test_scores);
    tcase_add_test(tc, test_compound_and_errors);
    tcase_add_test(tc, test_explain_and_aggregate);
    tcase_add_test(tc, test_long_terms);
    return it_main(s);
}
