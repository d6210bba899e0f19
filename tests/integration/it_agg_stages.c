/*
 * tests/integration/it_agg_stages.c -- the aggregation stages added for issue 9, end to end
 * through libmongoc: $unionWith, $graphLookup, $bucketAuto, $redact, $densify, $fill, the
 * Atlas Search stages, $unwind's preserveNullAndEmptyArrays and $merge's whenMatched pipeline.
 *
 * Each stage runs the MongoDB manual's examples (expected outputs compared byte for byte,
 * types included, through agg_is) plus edge cases and its errors with mongod's codes.  One
 * shared server with 2 workers; every test seeds the collections it reads.
 */
#include "harness.h"

#include <math.h>

#define DB "stagestest"

/* seed -- drop `coll` and insert the documents of the JSON array `docs`. */
static void
seed(mongoc_client_t *c, const char *coll, const char *docs)
{
    char *cmd = bson_strdup_printf("{'insert': '%s', 'documents': %s}", coll, docs);
    char *drop = bson_strdup_printf("{'drop': '%s'}", coll);
    bson_t r;

    fx_cmd(c, DB, drop, &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
    bson_free(cmd);
    bson_free(drop);
}

/* agg -- run {aggregate: coll, pipeline, cursor: {}} (coll NULL: {aggregate: 1}); the reply
 * stays in *r. */
static bool
agg(mongoc_client_t *c, const char *coll, const char *pipeline, bson_t *r)
{
    char *cmd = coll != NULL ? bson_strdup_printf("{'aggregate': '%s', 'cursor': {}, "
                                                  "'pipeline': %s}",
                                                  coll, pipeline)
                             : bson_strdup_printf("{'aggregate': 1, 'cursor': {}, 'pipeline': %s}",
                                                  pipeline);
    bson_error_t e;
    bool ok = fx_cmd(c, DB, cmd, r, &e);

    bson_free(cmd);
    return ok;
}

/* agg_is -- the pipeline's results equal the JSON array `want`, byte for byte. */
static void
agg_is(mongoc_client_t *c, const char *coll, const char *pipeline, const char *want)
{
    bson_t r, batch, got = BSON_INITIALIZER;
    char *wjson = bson_strdup_printf("{'r': %s}", want);
    bson_t *w = fx_json(wjson);
    char *gs, *ws;
    bool ok = agg(c, coll, pipeline, &r);

    ck_assert_msg(ok, "%s -> %s", pipeline, fx_to_json(&r));
    ck_assert(fx_sub(&r, "cursor.firstBatch", &batch));
    BSON_APPEND_ARRAY(&got, "r", &batch);
    gs = bson_as_relaxed_extended_json(&got, NULL);
    ws = bson_as_relaxed_extended_json(w, NULL);
    ck_assert_msg(got.len == w->len && memcmp(bson_get_data(&got), bson_get_data(w), w->len) == 0,
                  "%s\n got  %s\n want %s", pipeline, gs, ws);
    bson_free(gs);
    bson_free(ws);
    bson_destroy(w);
    bson_free(wjson);
    bson_destroy(&got);
    bson_destroy(&r);
}

/* agg_err -- the pipeline fails with `code` / `code_name`; `words` (may be NULL) is in the
 * message. */
static void
agg_err(mongoc_client_t *c, const char *coll, const char *pipeline, int code, const char *code_name,
        const char *words)
{
    bson_t r;
    bool ok = agg(c, coll, pipeline, &r);

    ck_assert_msg(!ok && fx_int(&r, "code") == code, "%s: want %d, got %s", pipeline, code,
                  fx_to_json(&r));
    ck_assert_msg(fx_str(&r, "codeName") != NULL && strcmp(fx_str(&r, "codeName"), code_name) == 0,
                  "%s: want %s, got %s", pipeline, code_name, fx_to_json(&r));
    ck_assert_msg(words == NULL || strstr(fx_str(&r, "errmsg"), words) != NULL,
                  "%s: want \"%s\" in %s", pipeline, words, fx_to_json(&r));
    bson_destroy(&r);
}

/* ---- $unwind ---------------------------------------------------------------------------- */

START_TEST(test_unwind_preserve)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "inventory",
         "[{'_id': 1, 'item': 'ABC', 'sizes': ['S', 'M', 'L']}, {'_id': 2, 'item': 'EFG', "
         "'sizes': []}, {'_id': 3, 'item': 'IJK', 'sizes': 'M'}, {'_id': 4, 'item': 'LMN'}, "
         "{'_id': 5, 'item': 'XYZ', 'sizes': null}]");
    /* the manual: [] loses its field, null stays null, missing stays missing */
    agg_is(c, "inventory", "[{'$unwind': {'path': '$sizes', 'preserveNullAndEmptyArrays': true}}]",
           "[{'_id': 1, 'item': 'ABC', 'sizes': 'S'}, {'_id': 1, 'item': 'ABC', 'sizes': 'M'}, "
           "{'_id': 1, 'item': 'ABC', 'sizes': 'L'}, {'_id': 2, 'item': 'EFG'}, "
           "{'_id': 3, 'item': 'IJK', 'sizes': 'M'}, {'_id': 4, 'item': 'LMN'}, "
           "{'_id': 5, 'item': 'XYZ', 'sizes': null}]");
    agg_is(c, "inventory",
           "[{'$match': {'_id': {'$gte': 2}}}, {'$unwind': {'path': '$sizes', "
           "'includeArrayIndex': 'i', 'preserveNullAndEmptyArrays': true}}]",
           "[{'_id': 2, 'item': 'EFG', 'i': null}, {'_id': 3, 'item': 'IJK', 'sizes': 'M', 'i': "
           "null}, {'_id': 4, 'item': 'LMN', 'i': null}, {'_id': 5, 'item': 'XYZ', 'sizes': null, "
           "'i': null}]");
    agg_is(c, "inventory", "[{'$match': {'_id': {'$gte': 2}}}, {'$unwind': '$sizes'}]",
           "[{'_id': 3, 'item': 'IJK', 'sizes': 'M'}]");
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $unionWith ------------------------------------------------------------------------- */

static void
seed_union(mongoc_client_t *c)
{
    seed(c, "suppliers",
         "[{'_id': 1, 'supplier': 'Aardvark and Sons', 'state': 'Texas'}, {'_id': 2, 'supplier': "
         "'Bears Run', 'state': 'Delaware'}, {'_id': 3, 'supplier': 'Squid Mark', 'state': "
         "'Ohio'}]");
    seed(c, "warehouses",
         "[{'_id': 1, 'warehouse': 'A', 'region': 'West', 'state': 'California'}, {'_id': 2, "
         "'warehouse': 'B', 'region': 'Central', 'state': 'Colorado'}, {'_id': 3, 'warehouse': "
         "'C', 'region': 'East', 'state': 'Florida'}]");
}

START_TEST(test_union_with)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed_union(c);
    agg_is(c, "suppliers",
           "[{'$project': {'state': 1, '_id': 0}}, {'$unionWith': {'coll': 'warehouses', "
           "'pipeline': [{'$project': {'state': 1, '_id': 0}}]}}]",
           "[{'state': 'Texas'}, {'state': 'Delaware'}, {'state': 'Ohio'}, {'state': "
           "'California'}, {'state': 'Colorado'}, {'state': 'Florida'}]");
    /* the string form, then stages after the union see both sides */
    agg_is(c, "suppliers",
           "[{'$unionWith': 'warehouses'}, {'$group': {'_id': null, 'n': {'$sum': 1}}}]",
           "[{'_id': null, 'n': 6}]");
    /* a missing collection adds nothing; a collection-less union reads $documents */
    agg_is(c, "suppliers",
           "[{'$match': {'_id': 1}}, {'$project': {'_id': 1}}, {'$unionWith': 'nosuch'}]",
           "[{'_id': 1}]");
    agg_is(c, NULL,
           "[{'$documents': [{'x': 1}]}, {'$unionWith': {'pipeline': [{'$documents': "
           "[{'x': 2}, {'x': 3}]}, {'$match': {'x': {'$gt': 2}}}]}}]",
           "[{'x': 1}, {'x': 3}]");
    /* a view as the foreign collection runs its pipeline first */
    fx_cmd(c, DB, "{'drop': 'west'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'create': 'west', 'viewOn': 'warehouses', 'pipeline': [{'$match': {'region': "
           "'West'}}]}",
           &r);
    bson_destroy(&r);
    agg_is(c, "suppliers",
           "[{'$match': {'_id': 3}}, {'$unionWith': {'coll': 'west', 'pipeline': [{'$project': "
           "{'_id': 0, 'warehouse': 1}}]}}]",
           "[{'_id': 3, 'supplier': 'Squid Mark', 'state': 'Ohio'}, {'warehouse': 'A'}]");
    /* nested in $lookup and in itself */
    agg_is(c, "suppliers",
           "[{'$match': {'_id': 1}}, {'$lookup': {'from': 'warehouses', 'pipeline': [{'$match': "
           "{'_id': 1}}, {'$unionWith': {'coll': 'warehouses', 'pipeline': [{'$match': {'_id': "
           "3}}, {'$unionWith': {'coll': 'suppliers', 'pipeline': [{'$match': {'_id': 2}}]}}]}}, "
           "{'$project': {'_id': 1}}], 'as': 'w'}}, {'$project': {'w': 1}}]",
           "[{'_id': 1, 'w': [{'_id': 1}, {'_id': 3}, {'_id': 2}]}]");
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_union_with_errors)
{
    mongoc_client_t *c = IT_CLIENT();

    seed_union(c);
    agg_err(c, "suppliers", "[{'$unionWith': 1}]", 9, "FailedToParse",
            "must be an object or string");
    agg_err(c, "suppliers", "[{'$unionWith': {'pipeline': [{'$match': {}}]}}]", 9, "FailedToParse",
            "$documents as first stage");
    agg_err(c, "suppliers", "[{'$unionWith': {}}]", 9, "FailedToParse", NULL);
    agg_err(c, "suppliers", "[{'$unionWith': {'coll': 'warehouses', 'other': 1}}]", 40415,
            "Location40415", "'$unionWith.other' is an unknown field");
    agg_err(c, "suppliers", "[{'$unionWith': {'coll': 5}}]", 14, "TypeMismatch", NULL);
    agg_err(c, "suppliers", "[{'$unionWith': {'coll': 'w', 'pipeline': {}}}]", 14, "TypeMismatch",
            NULL);
    agg_err(c, "suppliers", "[{'$unionWith': {'coll': 'warehouses', 'pipeline': [{'$out': 'x'}]}}]",
            31441, "Location31441", "$out is not allowed within a $unionWith's sub-pipeline");
    agg_err(c, "suppliers", "[{'$unionWith': {'coll': 'warehouses', 'pipeline': [{'$bad': 1}]}}]",
            40324, "Location40324", NULL);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $graphLookup ----------------------------------------------------------------------- */

static void
seed_graph(mongoc_client_t *c)
{
    seed(c, "employees",
         "[{'_id': 1, 'name': 'Dev'}, {'_id': 2, 'name': 'Eliot', 'reportsTo': 'Dev'}, "
         "{'_id': 3, 'name': 'Ron', 'reportsTo': 'Eliot'}, {'_id': 4, 'name': 'Andrew', "
         "'reportsTo': 'Eliot'}, {'_id': 5, 'name': 'Asya', 'reportsTo': 'Ron'}, {'_id': 6, "
         "'name': 'Dan', 'reportsTo': 'Andrew'}]");
    seed(c, "airports",
         "[{'_id': 0, 'airport': 'JFK', 'connects': ['BOS', 'ORD']}, {'_id': 1, 'airport': "
         "'BOS', 'connects': ['JFK', 'PWM']}, {'_id': 2, 'airport': 'ORD', 'connects': ['JFK']}, "
         "{'_id': 3, 'airport': 'PWM', 'connects': ['BOS', 'LHR']}, {'_id': 4, 'airport': "
         "'LHR', 'connects': ['PWM']}]");
    seed(c, "travelers",
         "[{'_id': 1, 'name': 'Dev', 'nearestAirport': 'JFK'}, {'_id': 2, 'name': 'Eliot', "
         "'nearestAirport': 'JFK'}, {'_id': 3, 'name': 'Jeff', 'nearestAirport': 'BOS'}]");
}

START_TEST(test_graph_lookup)
{
    mongoc_client_t *c = IT_CLIENT();

    seed_graph(c);
    /* the manual's reporting hierarchy, flattened and ordered by depth */
    agg_is(c, "employees",
           "[{'$match': {'_id': 5}}, {'$graphLookup': {'from': 'employees', 'startWith': "
           "'$reportsTo', 'connectFromField': 'reportsTo', 'connectToField': 'name', 'as': "
           "'h', 'depthField': 'd'}}, {'$unwind': '$h'}, {'$sort': {'h.d': 1}}, {'$project': "
           "{'_id': 0, 'n': '$h.name', 'd': '$h.d'}}]",
           "[{'n': 'Ron', 'd': {'$numberLong': '0'}}, {'n': 'Eliot', 'd': {'$numberLong': '1'}}, "
           "{'n': 'Dev', 'd': {'$numberLong': '2'}}]");
    /* the top of the tree: no startWith value, an empty result */
    agg_is(c, "employees",
           "[{'$match': {'_id': 1}}, {'$graphLookup': {'from': 'employees', 'startWith': "
           "'$reportsTo', 'connectFromField': 'reportsTo', 'connectToField': 'name', 'as': "
           "'h'}}]",
           "[{'_id': 1, 'name': 'Dev', 'h': []}]");
    /* maxDepth 0: only the direct match */
    agg_is(c, "employees",
           "[{'$match': {'_id': 6}}, {'$graphLookup': {'from': 'employees', 'startWith': "
           "'$reportsTo', 'connectFromField': 'reportsTo', 'connectToField': 'name', 'as': "
           "'h', 'maxDepth': 0}}, {'$project': {'_id': 0, 'h': '$h.name'}}]",
           "[{'h': ['Andrew']}]");
    /* the airports: arrays on the connectFrom side, a cycle, maxDepth and depthField */
    agg_is(c, "travelers",
           "[{'$match': {'_id': 1}}, {'$graphLookup': {'from': 'airports', 'startWith': "
           "'$nearestAirport', 'connectFromField': 'connects', 'connectToField': 'airport', "
           "'maxDepth': 2, 'depthField': 'n', 'as': 'dest'}}, {'$unwind': '$dest'}, {'$sort': "
           "{'dest.n': 1, 'dest.airport': 1}}, {'$project': {'_id': 0, 'a': '$dest.airport', "
           "'n': '$dest.n'}}]",
           "[{'a': 'JFK', 'n': {'$numberLong': '0'}}, {'a': 'BOS', 'n': {'$numberLong': '1'}}, "
           "{'a': 'ORD', 'n': {'$numberLong': '1'}}, {'a': 'PWM', 'n': {'$numberLong': '2'}}]");
    /* no maxDepth: the whole component, each airport once */
    agg_is(c, "travelers",
           "[{'$match': {'_id': 3}}, {'$graphLookup': {'from': 'airports', 'startWith': "
           "'$nearestAirport', 'connectFromField': 'connects', 'connectToField': 'airport', "
           "'as': 'd'}}, {'$project': {'_id': 0, 'n': {'$size': '$d'}, 'all': {'$setEquals': "
           "['$d.airport', ['JFK', 'BOS', 'ORD', 'PWM', 'LHR']]}}}]",
           "[{'n': 5, 'all': true}]");
    /* restrictSearchWithMatch cuts the graph at BOS */
    agg_is(c, "travelers",
           "[{'$match': {'_id': 1}}, {'$graphLookup': {'from': 'airports', 'startWith': "
           "'$nearestAirport', 'connectFromField': 'connects', 'connectToField': 'airport', "
           "'as': 'd', 'restrictSearchWithMatch': {'airport': {'$ne': 'BOS'}}}}, {'$project': "
           "{'_id': 0, 'a': {'$sortArray': {'input': '$d.airport', 'sortBy': 1}}}}]",
           "[{'a': ['JFK', 'ORD']}]");
    /* arrays on the connectTo side match by element; an array startWith starts from each */
    seed(c, "tags",
         "[{'_id': 1, 'names': ['a', 'b'], 'next': 'c'}, {'_id': 2, 'names': ['c'], 'next': "
         "null}, {'_id': 3, 'names': ['z']}]");
    agg_is(c, NULL,
           "[{'$documents': [{'s': ['b', 'z']}]}, {'$graphLookup': {'from': 'tags', 'startWith': "
           "'$s', 'connectFromField': 'next', 'connectToField': 'names', 'as': 'r'}}, "
           "{'$project': {'ids': {'$sortArray': {'input': '$r._id', 'sortBy': 1}}}}]",
           "[{'ids': [1, 2, 3]}]");
    /* numbers of different types are equal values */
    seed(c, "nums", "[{'_id': 1, 'k': 1.0, 'to': 2}, {'_id': 2, 'k': {'$numberLong': '2'}}]");
    agg_is(c, NULL,
           "[{'$documents': [{'s': 1}]}, {'$graphLookup': {'from': 'nums', 'startWith': '$s', "
           "'connectFromField': 'to', 'connectToField': 'k', 'as': 'r'}}, {'$project': {'n': "
           "{'$size': '$r'}}}]",
           "[{'n': 2}]");
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_graph_lookup_errors)
{
    mongoc_client_t *c = IT_CLIENT();
#define GL(extra)                                                                                  \
    "[{'$graphLookup': {'from': 'employees', 'startWith': '$reportsTo', 'connectFromField': "      \
    "'reportsTo', 'connectToField': 'name', 'as': 'h'" extra "}}]"

    seed_graph(c);
    agg_err(c, "employees", GL(", 'maxDepth': -1"), 40101, "Location40101", NULL);
    agg_err(c, "employees", GL(", 'maxDepth': 'x'"), 40100, "Location40100", NULL);
    agg_err(c, "employees", GL(", 'maxDepth': 1.5"), 40102, "Location40102", NULL);
    agg_err(c, "employees", GL(", 'other': 1"), 40104, "Location40104", NULL);
    agg_err(c, "employees", GL(", 'depthField': 1"), 40103, "Location40103", NULL);
    agg_err(c, "employees", GL(", 'restrictSearchWithMatch': 1"), 40185, "Location40185", NULL);
    agg_err(c, "employees", GL(", 'restrictSearchWithMatch': {'$bad': 1}"), 2, "BadValue",
            "Failed to parse 'restrictSearchWithMatch' option to $graphLookup");
    agg_err(c, "employees", GL(", 'depthField': '$d'"), 16410, "Location16410", NULL);
    agg_err(c, "employees",
            "[{'$graphLookup': {'from': 'employees', 'startWith': '$x', 'connectFromField': 'a', "
            "'as': 'h'}}]",
            40105, "Location40105", NULL);
    agg_err(c, "employees", "[{'$graphLookup': {'startWith': 1}}]", 9, "FailedToParse", NULL);
    agg_err(c, "employees", "[{'$graphLookup': 1}]", 9, "FailedToParse", NULL);
    agg_err(c, "employees",
            "[{'$graphLookup': {'from': {'db': 'x', 'coll': 'y'}, 'startWith': 1, "
            "'connectFromField': 'a', 'connectToField': 'b', 'as': 'c'}}]",
            9, "FailedToParse", "not supported for db: x and coll: y");
#undef GL
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $bucketAuto ------------------------------------------------------------------------ */

static void
seed_artwork(mongoc_client_t *c)
{
    seed(c, "artwork",
         "[{'_id': 1, 'title': 'The Pillars of Society', 'year': 1926, 'price': "
         "{'$numberDecimal': '199.99'}, 'dimensions': {'height': 39, 'width': 21}},"
         "{'_id': 2, 'title': 'Melancholy III', 'year': 1902, 'price': {'$numberDecimal': "
         "'280.00'}, 'dimensions': {'height': 49, 'width': 32}},"
         "{'_id': 3, 'title': 'Dancer', 'year': 1925, 'price': {'$numberDecimal': '76.04'}, "
         "'dimensions': {'height': 25, 'width': 20}},"
         "{'_id': 4, 'title': 'The Great Wave off Kanagawa', 'price': {'$numberDecimal': "
         "'167.30'}, 'dimensions': {'height': 24, 'width': 36}},"
         "{'_id': 5, 'title': 'The Persistence of Memory', 'year': 1931, 'price': "
         "{'$numberDecimal': '483.00'}, 'dimensions': {'height': 20, 'width': 24}},"
         "{'_id': 6, 'title': 'Composition VII', 'year': 1913, 'price': {'$numberDecimal': "
         "'385.00'}, 'dimensions': {'height': 30, 'width': 46}},"
         "{'_id': 7, 'title': 'The Scream', 'price': {'$numberDecimal': '159.00'}, "
         "'dimensions': {'height': 24, 'width': 18}},"
         "{'_id': 8, 'title': 'Blue Flower', 'year': 1918, 'price': {'$numberDecimal': "
         "'118.42'}, 'dimensions': {'height': 24, 'width': 20}}]");
}

START_TEST(test_bucket_auto)
{
    mongoc_client_t *c = IT_CLIENT();

    seed_artwork(c);
    agg_is(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 4}}]",
           "[{'_id': {'min': {'$numberDecimal': '76.04'}, 'max': {'$numberDecimal': '159.00'}}, "
           "'count': 2}, {'_id': {'min': {'$numberDecimal': '159.00'}, 'max': {'$numberDecimal': "
           "'199.99'}}, 'count': 2}, {'_id': {'min': {'$numberDecimal': '199.99'}, 'max': "
           "{'$numberDecimal': '385.00'}}, 'count': 2}, {'_id': {'min': {'$numberDecimal': "
           "'385.00'}, 'max': {'$numberDecimal': '483.00'}}, 'count': 2}]");
    /* output accumulators; the manual's year buckets (missing years group as null first) */
    agg_is(c, "artwork",
           "[{'$bucketAuto': {'groupBy': '$year', 'buckets': 3, 'output': {'n': {'$sum': 1}, "
           "'titles': {'$push': '$_id'}}}}]",
           "[{'_id': {'min': null, 'max': 1913}, 'n': 3, 'titles': [4, 7, 2]}, {'_id': {'min': "
           "1913, 'max': 1926}, 'n': 3, 'titles': [6, 8, 3]}, {'_id': {'min': 1926, 'max': "
           "1931}, 'n': 2, 'titles': [1, 5]}]");
    /* more buckets than documents; equal values never straddle two buckets */
    seed(c, "vals", "[{'v': 1}, {'v': 1}, {'v': 1}, {'v': 2}, {'v': 3}]");
    agg_is(c, "vals", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 4}}]",
           "[{'_id': {'min': 1, 'max': 2}, 'count': 3}, {'_id': {'min': 2, 'max': 3}, 'count': "
           "1}, {'_id': {'min': 3, 'max': 3}, 'count': 1}]");
    agg_is(c, "vals", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 1}}]",
           "[{'_id': {'min': 1, 'max': 3}, 'count': 5}]");
    /* the 7.0 accumulators work per bucket too */
    agg_is(c, "vals",
           "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 2, 'output': {'top': {'$maxN': {'n': "
           "2, 'input': '$v'}}, 'sd': {'$stdDevPop': '$v'}}}}]",
           "[{'_id': {'min': 1, 'max': 2}, 'top': [1, 1], 'sd': 0.0}, {'_id': {'min': 2, "
           "'max': 3}, 'top': [3, 2], 'sd': 0.5}]");
    agg_is(c, "nosuch", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 2}}]", "[]");
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_bucket_auto_granularity)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "g", "[{'v': 11}, {'v': 12}, {'v': 17}, {'v': 30}, {'v': 45}, {'v': 50}]");
    agg_is(c, "g", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 3, 'granularity': 'R5'}}]",
           "[{'_id': {'min': 10.0, 'max': 16.0}, 'count': 2}, {'_id': {'min': 16.0, 'max': "
           "40.0}, 'count': 2}, {'_id': {'min': 40.0, 'max': 63.0}, 'count': 2}]");
    /* the rounded max swallows the values below it */
    agg_is(c, "g", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 6, 'granularity': 'E6'}}]",
           "[{'_id': {'min': 10.0, 'max': 15.0}, 'count': 2}, {'_id': {'min': 15.0, 'max': "
           "22.0}, 'count': 1}, {'_id': {'min': 22.0, 'max': 33.0}, 'count': 1}, {'_id': {'min': "
           "33.0, 'max': 47.0}, 'count': 1}, {'_id': {'min': 47.0, 'max': 68.0}, 'count': 1}]");
    seed(c, "p2", "[{'v': 3}, {'v': 5}, {'v': 9}]");
    agg_is(c, "p2",
           "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 3, 'granularity': 'POWERSOF2'}}]",
           "[{'_id': {'min': 2, 'max': 4}, 'count': 1}, {'_id': {'min': 4, 'max': 8}, 'count': "
           "1}, {'_id': {'min': 8, 'max': 16}, 'count': 1}]");
    /* a zero max becomes the next value rounded down */
    seed(c, "z", "[{'v': 0}, {'v': 0}, {'v': 5}, {'v': 7}]");
    agg_is(c, "z", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 2, 'granularity': '1-2-5'}}]",
           "[{'_id': {'min': 0, 'max': 2.0}, 'count': 2}, {'_id': {'min': 2.0, 'max': 10.0}, "
           "'count': 2}]");
    seed(c, "neg", "[{'v': -1}]");
    agg_err(c, "neg", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 2, 'granularity': 'R5'}}]",
            40260, "Location40260", NULL);
    seed(c, "str", "[{'v': 'a'}]");
    agg_err(c, "str", "[{'$bucketAuto': {'groupBy': '$v', 'buckets': 2, 'granularity': 'R5'}}]",
            40258, "Location40258", NULL);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_bucket_auto_errors)
{
    mongoc_client_t *c = IT_CLIENT();

    seed_artwork(c);
    agg_err(c, "artwork", "[{'$bucketAuto': 1}]", 40240, "Location40240", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': 'price', 'buckets': 2}}]", 40239,
            "Location40239", "but found: \"price\"");
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 'a'}}]", 40241,
            "Location40241", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 2.5}}]", 40242,
            "Location40242", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 0}}]", 40243,
            "Location40243", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 2, 'output': 1}}]",
            40244, "Location40244", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 2, 'x': 1}}]", 40245,
            "Location40245", NULL);
    agg_err(c, "artwork", "[{'$bucketAuto': {'groupBy': '$price'}}]", 40246, "Location40246", NULL);
    agg_err(c, "artwork",
            "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 2, 'granularity': 'R7'}}]", 40257,
            "Location40257", "Unknown rounding granularity 'R7'");
    agg_err(c, "artwork",
            "[{'$bucketAuto': {'groupBy': '$price', 'buckets': 2, 'granularity': 5}}]", 40261,
            "Location40261", NULL);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $redact ---------------------------------------------------------------------------- */

START_TEST(test_redact)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "forecasts",
         "[{'_id': 1, 'title': '123 Department Report', 'tags': ['G', 'STLW'], 'year': 2014, "
         "'subsections': [{'subtitle': 'Section 1: Overview', 'tags': ['SI', 'G'], 'content': "
         "'Section 1'}, {'subtitle': 'Section 2: Analysis', 'tags': ['STLW'], 'content': "
         "'Section 2'}, {'subtitle': 'Section 3: Budgeting', 'tags': ['TK'], 'content': "
         "{'text': 'Section 3', 'tags': ['HCS']}}]}]");
    agg_is(c, "forecasts",
           "[{'$match': {'year': 2014}}, {'$redact': {'$cond': {'if': {'$gt': [{'$size': "
           "{'$setIntersection': ['$tags', ['STLW', 'G']]}}, 0]}, 'then': '$$DESCEND', 'else': "
           "'$$PRUNE'}}}]",
           "[{'_id': 1, 'title': '123 Department Report', 'tags': ['G', 'STLW'], 'year': 2014, "
           "'subsections': [{'subtitle': 'Section 1: Overview', 'tags': ['SI', 'G'], 'content': "
           "'Section 1'}, {'subtitle': 'Section 2: Analysis', 'tags': ['STLW'], 'content': "
           "'Section 2'}]}]");
    seed(c, "accounts",
         "[{'_id': 1, 'level': 1, 'acct_id': 'xyz123', 'cc': {'level': 5, 'type': 'yy', "
         "'billing_addr': {'level': 5, 'addr1': '123 ABC Street'}, 'shipping_addr': [{'level': "
         "3, 'addr1': '987 XYZ Ave'}, {'level': 3, 'addr1': 'PO Box 0123'}]}, 'status': 'A'}, "
         "{'_id': 2, 'level': 3, 'acct_id': 'xyz456', 'cc': {'level': 3, 'type': 'yy', "
         "'billing_addr': {'level': 5, 'addr1': '1'}, 'shipping_addr': [{'level': 5, 'addr1': "
         "'2'}, {'level': 3, 'addr1': '3'}, [{'level': 5}, {'level': 4}]]}, 'status': 'A'}, "
         "{'_id': 3, 'level': 5, 'status': 'A'}]");
    agg_is(c, "accounts",
           "[{'$match': {'status': 'A'}}, {'$redact': {'$cond': {'if': {'$eq': ['$level', 5]}, "
           "'then': '$$PRUNE', 'else': '$$DESCEND'}}}]",
           "[{'_id': 1, 'level': 1, 'acct_id': 'xyz123', 'status': 'A'}, {'_id': 2, 'level': 3, "
           "'acct_id': 'xyz456', 'cc': {'level': 3, 'type': 'yy', 'shipping_addr': [{'level': "
           "3, 'addr1': '3'}, [{'level': 4}]]}, 'status': 'A'}]");
    /* $$KEEP keeps whole documents; $$ROOT is the top-level document at every level */
    agg_is(c, "accounts", "[{'$match': {'_id': 3}}, {'$redact': '$$KEEP'}]",
           "[{'_id': 3, 'level': 5, 'status': 'A'}]");
    agg_is(c, "accounts",
           "[{'$match': {'_id': 1}}, {'$redact': {'$cond': [{'$eq': ['$$ROOT._id', 1]}, "
           "'$$DESCEND', '$$PRUNE']}}, {'$project': {'n': {'$size': '$cc.shipping_addr'}}}]",
           "[{'_id': 1, 'n': 2}]");
    agg_err(c, "accounts", "[{'$redact': 'keepit'}]", 17053, "Location17053",
            "$$KEEP, $$DESCEND, and $$PRUNE, but returned \"keepit\"");
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $densify --------------------------------------------------------------------------- */

START_TEST(test_densify_time_series)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "weather",
         "[{'metadata': {'sensorId': 5578}, 'timestamp': {'$date': '2021-05-18T00:00:00Z'}, "
         "'temp': 12}, {'metadata': {'sensorId': 5578}, 'timestamp': {'$date': "
         "'2021-05-18T04:00:00Z'}, 'temp': 11}, {'metadata': {'sensorId': 5578}, 'timestamp': "
         "{'$date': '2021-05-18T08:00:00Z'}, 'temp': 11}, {'metadata': {'sensorId': 5578}, "
         "'timestamp': {'$date': '2021-05-18T12:00:00Z'}, 'temp': 12}]");
    agg_is(c, "weather",
           "[{'$densify': {'field': 'timestamp', 'range': {'step': 1, 'unit': 'hour', 'bounds': "
           "[{'$date': '2021-05-18T00:00:00Z'}, {'$date': '2021-05-18T08:00:00Z'}]}}}, "
           "{'$project': {'_id': 0, 'h': {'$hour': '$timestamp'}, 'temp': 1}}]",
           "[{'temp': 12, 'h': 0}, {'h': 1}, {'h': 2}, {'h': 3}, {'temp': 11, 'h': 4}, {'h': 5}, "
           "{'h': 6}, {'h': 7}, {'temp': 11, 'h': 8}, {'temp': 12, 'h': 12}]");
    /* months step through the calendar */
    seed(c, "months", "[{'t': {'$date': '2021-01-31T00:00:00Z'}}]");
    agg_is(c, "months",
           "[{'$densify': {'field': 't', 'range': {'step': 1, 'unit': 'month', 'bounds': "
           "[{'$date': '2021-01-31T00:00:00Z'}, {'$date': '2021-04-01T00:00:00Z'}]}}}, "
           "{'$project': {'_id': 0, 'd': {'$dateToString': {'date': '$t', 'format': "
           "'%Y-%m-%d'}}}}]",
           "[{'d': '2021-01-31'}, {'d': '2021-02-28'}, {'d': '2021-03-28'}]");
    agg_err(c, "months", "[{'$densify': {'field': 't', 'range': {'step': 1, 'bounds': 'full'}}}]",
            6053600, "Location6053600", NULL);
    mongoc_client_destroy(c);
}
END_TEST

static void
seed_coffee(mongoc_client_t *c)
{
    seed(c, "coffee",
         "[{'altitude': 600, 'variety': 'Arabica Typica', 'score': 68.3}, {'altitude': 750, "
         "'variety': 'Arabica Typica', 'score': 69.5}, {'altitude': 950, 'variety': 'Arabica "
         "Typica', 'score': 70.5}, {'altitude': 1250, 'variety': 'Gesha', 'score': 88.15}, "
         "{'altitude': 1700, 'variety': 'Gesha', 'score': 85.5}, {'altitude': 1600, 'variety': "
         "'Gesha', 'score': 88.15}]");
}

#define COFFEE_VIEW                                                                                \
    "{'$sort': {'variety': 1, 'altitude': 1}}, {'$replaceWith': {'a': '$altitude', 'v': "          \
    "{'$substrCP': ['$variety', 0, 1]}, 's': '$score'}}"

START_TEST(test_densify_partitions)
{
    mongoc_client_t *c = IT_CLIENT();

    seed_coffee(c);
    agg_is(c, "coffee",
           "[{'$densify': {'field': 'altitude', 'partitionByFields': ['variety'], 'range': "
           "{'bounds': 'full', 'step': 200}}}, " COFFEE_VIEW "]",
           "[{'a': 600, 'v': 'A', 's': 68.3}, {'a': 750, 'v': 'A', 's': 69.5}, {'a': 800, 'v': "
           "'A'}, {'a': 950, 'v': 'A', 's': 70.5}, {'a': 1000, 'v': 'A'}, {'a': 1200, 'v': 'A'}, "
           "{'a': 1400, 'v': 'A'}, {'a': 1600, 'v': 'A'}, {'a': 600, 'v': 'G'}, {'a': 800, 'v': "
           "'G'}, {'a': 1000, 'v': 'G'}, {'a': 1200, 'v': 'G'}, {'a': 1250, 'v': 'G', 's': "
           "88.15}, {'a': 1400, 'v': 'G'}, {'a': 1600, 'v': 'G', 's': 88.15}, {'a': 1700, 'v': "
           "'G', 's': 85.5}]");
    agg_is(c, "coffee",
           "[{'$densify': {'field': 'altitude', 'partitionByFields': ['variety'], 'range': "
           "{'bounds': 'partition', 'step': 200}}}, " COFFEE_VIEW "]",
           "[{'a': 600, 'v': 'A', 's': 68.3}, {'a': 750, 'v': 'A', 's': 69.5}, {'a': 800, 'v': "
           "'A'}, {'a': 950, 'v': 'A', 's': 70.5}, {'a': 1250, 'v': 'G', 's': 88.15}, {'a': "
           "1450, 'v': 'G'}, {'a': 1600, 'v': 'G', 's': 88.15}, {'a': 1650, 'v': 'G'}, {'a': "
           "1700, 'v': 'G', 's': 85.5}]");
    /* generated documents hold the partition fields, then the field */
    agg_is(c, "coffee",
           "[{'$match': {'variety': 'Gesha'}}, {'$densify': {'field': 'altitude', "
           "'partitionByFields': ['variety'], 'range': {'bounds': 'partition', 'step': 200}}}, "
           "{'$match': {'score': {'$exists': false}}}, {'$project': {'_id': 0}}]",
           "[{'variety': 'Gesha', 'altitude': 1450}, {'variety': 'Gesha', 'altitude': 1650}]");
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_densify_numbers)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "n", "[{'_id': 1, 'x': 2}, {'_id': 2, 'x': null}, {'_id': 3}, {'_id': 4, 'x': 9}]");
    /* explicit bounds: [0, 5) filled around x = 2; outside values and nulls pass */
    agg_is(c, "n",
           "[{'$densify': {'field': 'x', 'range': {'step': 1, 'bounds': [0, 5]}}}, {'$project': "
           "{'_id': 1, 'x': 1}}]",
           "[{'_id': 2, 'x': null}, {'_id': 3}, {'x': 0}, {'x': 1}, {'_id': 1, 'x': 2}, {'x': 3}, "
           "{'x': 4}, {'_id': 4, 'x': 9}]");
    /* full without partitions fills between the values only; a double step widens */
    agg_is(c, "n",
           "[{'$match': {'x': {'$type': 'number'}}}, {'$densify': {'field': 'x', 'range': "
           "{'step': 2.5, 'bounds': 'full'}}}, {'$project': {'_id': 0}}]",
           "[{'x': 2}, {'x': 4.5}, {'x': 7.0}, {'x': 9}]");
    /* no document in range: the whole range */
    agg_is(c, "nosuch", "[{'$densify': {'field': 'x', 'range': {'step': 2, 'bounds': [0, 5]}}}]",
           "[{'x': 0}, {'x': 2}, {'x': 4}]");
    seed(c, "s", "[{'x': 'a'}]");
    agg_err(c, "s", "[{'$densify': {'field': 'x', 'range': {'step': 1, 'bounds': 'full'}}}]",
            5733201, "Location5733201", NULL);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_densify_errors)
{
    mongoc_client_t *c = IT_CLIENT();
#define DS(range) "[{'$densify': {'field': 'x', 'range': " range "}}]"

    agg_err(c, "n", DS("{'step': 0, 'bounds': 'full'}"), 5733401, "Location5733401", NULL);
    agg_err(c, "n", DS("{'step': 'a', 'bounds': 'full'}"), 5733401, "Location5733401", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': 'all'}"), 5946802, "Location5946802", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': 5}"), 5733404, "Location5733404", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': [5, 1]}"), 5733402, "Location5733402", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': [1]}"), 5733403, "Location5733403", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': [1.0, 2.0]}"), 5876900, "Location5876900", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': ['a', 'b']}"), 5946800, "Location5946800", NULL);
    agg_err(c, "n", DS("{'step': 1, 'unit': 'day', 'bounds': [1, 2]}"), 5733409, "Location5733409",
            NULL);
    agg_err(c, "n", DS("{'step': 1.5, 'unit': 'day', 'bounds': 'full'}"), 6586400,
            "Location6586400", NULL);
    agg_err(c, "n", DS("{'step': 1, 'unit': 'fortnight', 'bounds': 'full'}"), 9, "FailedToParse",
            NULL);
    agg_err(c, "n",
            DS("{'step': 1, 'unit': 'day', 'bounds': [{'$date': '2021-01-01T00:00:00Z'}, 5]}"),
            5733402, "Location5733402", NULL); /* a date sorts above a number */
    agg_err(c, "n",
            DS("{'step': 1, 'unit': 'day', 'bounds': [{'$date': '2021-01-01T00:00:00Z'}, "
               "{'$timestamp': {'t': 1, 'i': 1}}]}"),
            5733405, "Location5733405", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': 'partition'}"), 5733408, "Location5733408", NULL);
    agg_err(c, "n", DS("{'step': 1}"), 40414, "Location40414", NULL);
    agg_err(c, "n", DS("{'step': 1, 'bounds': 'full', 'x': 1}"), 40415, "Location40415", NULL);
    agg_err(c, "n", "[{'$densify': {'range': {'step': 1, 'bounds': 'full'}}}]", 40414,
            "Location40414", "'$densify.field' is missing");
    agg_err(c, "n", "[{'$densify': 1}]", 9, "FailedToParse", NULL);
#undef DS
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $fill ------------------------------------------------------------------------------ */

START_TEST(test_fill)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c, "dailySales",
         "[{'_id': 1, 'bootsSold': 10, 'sandalsSold': 20, 'sneakersSold': 12}, {'_id': 2, "
         "'bootsSold': 7, 'sneakersSold': 18}, {'_id': 3, 'sneakersSold': 5}]");
    agg_is(c, "dailySales",
           "[{'$fill': {'output': {'bootsSold': {'value': 0}, 'sandalsSold': {'value': 0}, "
           "'sneakersSold': {'value': 0}}}}]",
           "[{'_id': 1, 'bootsSold': 10, 'sandalsSold': 20, 'sneakersSold': 12}, {'_id': 2, "
           "'bootsSold': 7, 'sneakersSold': 18, 'sandalsSold': 0}, {'_id': 3, 'sneakersSold': 5, "
           "'bootsSold': 0, 'sandalsSold': 0}]");
    /* locf carries forward, null before the first value */
    seed(c, "reviews",
         "[{'_id': 1, 'd': 8, 'score': 90}, {'_id': 2, 'd': 9, 'score': 92}, {'_id': 3, 'd': "
         "10}, {'_id': 4, 'd': 11, 'score': null}, {'_id': 5, 'd': 12, 'score': 85}, {'_id': 6, "
         "'d': 13}, {'_id': 0, 'd': 7}]");
    agg_is(c, "reviews",
           "[{'$fill': {'sortBy': {'d': 1}, 'output': {'score': {'method': 'locf'}}}}, "
           "{'$project': {'_id': 0, 'd': 0}}]",
           "[{'score': null}, {'score': 90}, {'score': 92}, {'score': 92}, {'score': 92}, "
           "{'score': 85}, {'score': 85}]");
    /* linear on dates: the manual's stock prices */
    seed(c, "stock",
         "[{'time': {'$date': '2021-03-08T09:00:00Z'}, 'price': 500}, {'time': {'$date': "
         "'2021-03-08T10:00:00Z'}}, {'time': {'$date': '2021-03-08T11:00:00Z'}, 'price': 515}, "
         "{'time': {'$date': '2021-03-08T12:00:00Z'}}, {'time': {'$date': "
         "'2021-03-08T13:00:00Z'}}, {'time': {'$date': '2021-03-08T14:00:00Z'}, 'price': 485}, "
         "{'time': {'$date': '2021-03-08T15:00:00Z'}}]");
    ck_assert(agg(c, "stock",
                  "[{'$fill': {'sortBy': {'time': 1}, 'output': {'price': {'method': 'linear'}}}}]",
                  &r));
    ASSERT_INT(&r, "cursor.firstBatch.0.price", 500);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.price", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "cursor.firstBatch.1.price", BSON_TYPE_DOUBLE);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.1.price") - 507.5) < 1e-9);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.3.price") - 505) < 1e-9);
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.4.price") - 495) < 1e-9);
    ASSERT_TYPE(&r, "cursor.firstBatch.6.price", BSON_TYPE_NULL); /* no right neighbour */
    bson_destroy(&r);
    /* partitions: each restaurant on its own, sorted by partition then sortBy */
    seed(c, "multi",
         "[{'r': 'Joe', 'd': 2, 'score': 5}, {'r': 'Ann', 'd': 1, 'score': 1}, {'r': 'Joe', "
         "'d': 3}, {'r': 'Ann', 'd': 2}, {'r': 'Joe', 'd': 1}]");
    agg_is(c, "multi",
           "[{'$fill': {'partitionByFields': ['r'], 'sortBy': {'d': 1}, 'output': {'score': "
           "{'method': 'locf'}}}}, {'$project': {'_id': 0}}]",
           "[{'r': 'Ann', 'd': 1, 'score': 1}, {'r': 'Ann', 'd': 2, 'score': 1}, {'r': 'Joe', "
           "'d': 1, 'score': null}, {'r': 'Joe', 'd': 2, 'score': 5}, {'r': 'Joe', 'd': 3, "
           "'score': 5}]");
    agg_is(c, "multi",
           "[{'$fill': {'partitionBy': {'$toUpper': '$r'}, 'sortBy': {'d': -1}, 'output': "
           "{'score': {'method': 'linear'}, 'x': {'value': '$d'}}}}, {'$project': {'_id': 0}}]",
           "[{'r': 'Ann', 'd': 2, 'score': null, 'x': 2}, {'r': 'Ann', 'd': 1, 'score': 1, 'x': "
           "1}, {'r': 'Joe', 'd': 3, 'score': null, 'x': 3}, {'r': 'Joe', 'd': 2, 'score': 5, "
           "'x': 2}, {'r': 'Joe', 'd': 1, 'score': null, 'x': 1}]");
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_fill_errors)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "fe", "[{'d': 1, 'v': 'a'}, {'d': 1, 'v': 2}]");
    agg_err(c, "fe", "[{'$fill': {'output': {'v': {'method': 'locf', 'value': 1}}}}]", 6050201,
            "Location6050201", NULL);
    agg_err(c, "fe", "[{'$fill': {'output': {'v': {'method': 'mean'}}}}]", 6050202,
            "Location6050202", NULL);
    agg_err(c, "fe", "[{'$fill': {'output': {}}}]", 6050203, "Location6050203", NULL);
    agg_err(c, "fe", "[{'$fill': {'output': {'v': 1}}}]", 6050200, "Location6050200", NULL);
    agg_err(c, "fe", "[{'$fill': {'output': {'v': {'method': 'linear'}}}}]", 605001,
            "Location605001", NULL);
    agg_err(c, "fe",
            "[{'$fill': {'partitionBy': '$d', 'partitionByFields': ['d'], 'output': {'v': "
            "{'value': 1}}}}]",
            6050204, "Location6050204", NULL);
    agg_err(c, "fe", "[{'$fill': {'sortBy': {'d': 1}}}]", 40414, "Location40414", NULL);
    agg_err(c, "fe", "[{'$fill': {'output': {'v': {'value': 1}}, 'x': 1}}]", 40415, "Location40415",
            NULL);
    agg_err(c, "fe", "[{'$fill': 1}]", 9, "FailedToParse", NULL);
    agg_err(c, "fe",
            "[{'$match': {'v': 2}}, {'$unionWith': {'coll': 'fe', 'pipeline': [{'$match': {'v': "
            "2}}]}}, {'$fill': {'sortBy': {'d': 1}, 'output': {'v': {'method': 'linear'}}}}]",
            6050106, "Location6050106", NULL);
    agg_err(c, "fe", "[{'$fill': {'sortBy': {'d': 1}, 'output': {'v': {'method': 'linear'}}}}]", 14,
            "TypeMismatch", "must be numeric or nullish");
    mongoc_client_destroy(c);
}
END_TEST

/* ---- $merge whenMatched pipeline ----------------------------------------------------------- */

START_TEST(test_merge_pipeline)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    /* the manual's monthlytotals example: the new day's votes added to the month's totals */
    seed(c, "votes",
         "[{'date': {'$date': '2019-05-07T00:00:00Z'}, 'thumbsup': 14, 'thumbsdown': 10}]");
    seed(c, "monthlytotals", "[{'_id': '2019-05', 'thumbsup': 26, 'thumbsdown': 31}]");
    agg_is(c, "votes",
           "[{'$project': {'_id': {'$dateToString': {'format': '%Y-%m', 'date': '$date'}}, "
           "'thumbsup': 1, 'thumbsdown': 1}}, {'$merge': {'into': 'monthlytotals', 'on': '_id', "
           "'whenMatched': [{'$addFields': {'thumbsup': {'$add': ['$thumbsup', "
           "'$$new.thumbsup']}, 'thumbsdown': {'$add': ['$thumbsdown', '$$new.thumbsdown']}}}], "
           "'whenNotMatched': 'insert'}}]",
           "[]");
    agg_is(c, "monthlytotals", "[{'$match': {}}]",
           "[{'_id': '2019-05', 'thumbsup': 40, 'thumbsdown': 41}]");
    /* let's variables are evaluated against the result; $$new stays defined */
    seed(c, "cakes", "[{'_id': 1, 'flavor': 'chocolate', 'n': 3}]");
    agg_is(c, "cakes",
           "[{'$merge': {'into': 'cakes', 'let': {'year': '2020', 'twice': {'$multiply': ['$n', "
           "2]}}, 'whenMatched': [{'$set': {'salesYear': '$$year', 'm': '$$twice', 'f': "
           "'$$new.flavor'}}]}}]",
           "[]");
    agg_is(c, "cakes", "[{'$match': {}}]",
           "[{'_id': 1, 'flavor': 'chocolate', 'n': 3, 'salesYear': '2020', 'm': 6, 'f': "
           "'chocolate'}]");
    /* only update stages; _id may not change */
    agg_err(c, "cakes", "[{'$merge': {'into': 'cakes', 'whenMatched': [{'$match': {}}]}}]", 72,
            "InvalidOptions", "$match is not allowed to be used within an update");
    agg_err(c, "cakes", "[{'$merge': {'into': 'cakes', 'whenMatched': [{'$set': {'_id': 2}}]}}]",
            66, "ImmutableField", "$merge failed to update the matching document");
    CMD_OK(c, DB, "{'find': 'cakes'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- Atlas Search ----------------------------------------------------------------------- */

START_TEST(test_search_stages)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c, "docs", "[{'_id': 1}]");
    agg_err(c, "docs", "[{'$search': {'text': {'query': 'x', 'path': 'a'}}}]", 31082,
            "SearchNotEnabled", "Atlas");
    agg_err(c, "docs", "[{'$searchMeta': {}}]", 31082, "SearchNotEnabled", "Atlas");
    agg_err(c, "docs", "[{'$vectorSearch': {}}]", 31082, "SearchNotEnabled", "Atlas");
    agg_err(c, "docs", "[{'$listSearchIndexes': {}}]", 31082, "SearchNotEnabled",
            "$listSearchIndexes aggregation stage requires additional configuration");
    agg_err(c, "nosuch", "[{'$listSearchIndexes': {'name': 'x'}}]", 31082, "SearchNotEnabled",
            "Atlas");
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("agg_stages");
    TCase *tc = it_tcase(s, "agg_stages", true);
    tcase_add_test(tc, test_unwind_preserve);
    tcase_add_test(tc, test_union_with);
    tcase_add_test(tc, test_union_with_errors);
    tcase_add_test(tc, test_graph_lookup);
    tcase_add_test(tc, test_graph_lookup_errors);
    tcase_add_test(tc, test_bucket_auto);
    tcase_add_test(tc, test_bucket_auto_granularity);
    tcase_add_test(tc, test_bucket_auto_errors);
    tcase_add_test(tc, test_redact);
    tcase_add_test(tc, test_densify_time_series);
    tcase_add_test(tc, test_densify_partitions);
    tcase_add_test(tc, test_densify_numbers);
    tcase_add_test(tc, test_densify_errors);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_fill_errors);
    tcase_add_test(tc, test_search_stages);
    tcase_add_test(tc, test_merge_pipeline);
    return it_main(s);
}
