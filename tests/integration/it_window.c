/*
 * tests/integration/it_window.c -- $setWindowFields, the $group accumulators and the
 * accumulator expressions end to end through libmongoc.
 *
 * Table-driven: each case is a pipeline over one of three seeded collections (the manual's
 * cakeSales and gamescores examples, and a small series `pts` with ties, nulls, missing
 * values and dates) and the exact first batch it must return, compared as BSON so that types
 * count (1 is an int32, 1.0 a double, {"$numberLong": "1"} an int64).  Floating results are
 * rounded by a trailing $project where the last bits are not mongod's contract.  Then every
 * error the stage and the accumulators raise, with mongod's code and codeName.  One shared
 * server with 2 workers.
 */
#include "harness.h"

#define DB "windowtest"

static void
seed(mongoc_client_t *c)
{
    bson_t r;

    fx_cmd(c, DB, "{'dropDatabase': 1}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'cakes', 'documents': ["
           "{'_id': 0, 'type': 'chocolate', 'orderDate': {'$date': '2020-05-18T14:10:30Z'}, "
           "'state': 'CA', 'price': 13, 'quantity': 120},"
           "{'_id': 1, 'type': 'chocolate', 'orderDate': {'$date': '2021-03-20T11:30:05Z'}, "
           "'state': 'WA', 'price': 14, 'quantity': 140},"
           "{'_id': 2, 'type': 'vanilla', 'orderDate': {'$date': '2021-01-11T06:31:15Z'}, "
           "'state': 'CA', 'price': 12, 'quantity': 145},"
           "{'_id': 3, 'type': 'vanilla', 'orderDate': {'$date': '2020-02-08T13:13:23Z'}, "
           "'state': 'WA', 'price': 13, 'quantity': 104},"
           "{'_id': 4, 'type': 'strawberry', 'orderDate': {'$date': '2019-05-18T16:09:01Z'}, "
           "'state': 'CA', 'price': 41, 'quantity': 162},"
           "{'_id': 5, 'type': 'strawberry', 'orderDate': {'$date': '2019-01-08T06:12:03Z'}, "
           "'state': 'WA', 'price': 43, 'quantity': 134}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'games', 'documents': ["
           "{'_id': 1, 'playerId': 'PlayerA', 'gameId': 'G1', 'score': 31},"
           "{'_id': 2, 'playerId': 'PlayerB', 'gameId': 'G1', 'score': 33},"
           "{'_id': 3, 'playerId': 'PlayerC', 'gameId': 'G1', 'score': 99},"
           "{'_id': 4, 'playerId': 'PlayerD', 'gameId': 'G1', 'score': 1},"
           "{'_id': 5, 'playerId': 'PlayerA', 'gameId': 'G2', 'score': 10},"
           "{'_id': 6, 'playerId': 'PlayerB', 'gameId': 'G2', 'score': 14},"
           "{'_id': 7, 'playerId': 'PlayerC', 'gameId': 'G2', 'score': 66},"
           "{'_id': 8, 'playerId': 'PlayerD', 'gameId': 'G2', 'score': 80}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'pts', 'documents': ["
           "{'_id': 1, 'g': 'a', 'x': 1, 'y': 10, 'd': {'$date': '2020-01-01T00:00:00Z'}},"
           "{'_id': 2, 'g': 'a', 'x': 2, 'y': null, 'd': {'$date': '2020-01-02T00:00:00Z'}},"
           "{'_id': 3, 'g': 'a', 'x': 2, 'y': 30, 'd': {'$date': '2020-01-03T00:00:00Z'}},"
           "{'_id': 4, 'g': 'a', 'x': 4, 'd': {'$date': '2020-01-05T00:00:00Z'}},"
           "{'_id': 5, 'g': 'a', 'x': 7, 'y': 80, 'd': {'$date': '2020-01-07T00:00:00Z'}},"
           "{'_id': 6, 'g': 'b', 'x': 1, 'y': 5, 'd': {'$date': '2020-01-01T00:00:00Z'}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'nums', 'documents': ["
           "{'_id': 1, 'i': 2147483647, 'l': {'$numberLong': '9223372036854775807'}, "
           "'m': {'$numberDecimal': '0.1'}, 'f': 0.1},"
           "{'_id': 2, 'i': 2147483647, 'l': {'$numberLong': '9223372036854775807'}, "
           "'m': {'$numberDecimal': '0.2'}, 'f': 0.2},"
           "{'_id': 3, 'i': 1, 'l': 1, 'm': 3, 'f': 'x'}]}",
           &r);
    bson_destroy(&r);
}

typedef struct agg_case {
    const char *coll;
    const char *pipeline; /* JSON array */
    const char *want;     /* JSON array: the first batch */
} agg_case_t;

/* A window over `pts` projected to {_id, r}. */
#define PTS(sort, out)                                                                             \
    "[{'$setWindowFields': {'partitionBy': '$g', 'sortBy': " sort ", 'output': {'r': " out         \
    "}}}, {'$project': {'_id': 1, 'r': 1}}]"
#define PTS_ROUND(sort, out)                                                                       \
    "[{'$setWindowFields': {'partitionBy': '$g', 'sortBy': " sort ", 'output': {'r': " out         \
    "}}}, {'$project': {'_id': 1, 'r': {'$round': ['$r', 6]}}}]"

static const agg_case_t cases[] = {
    /* the manual's cumulative quantity per state */
    {"cakes",
     "[{'$setWindowFields': {'partitionBy': '$state', 'sortBy': {'orderDate': 1}, 'output': "
     "{'s': {'$sum': '$quantity', 'window': {'documents': ['unbounded', 'current']}}}}}, "
     "{'$project': {'_id': 1, 's': 1}}]",
     "[{'_id': 4, 's': 162}, {'_id': 0, 's': 282}, {'_id': 2, 's': 427}, "
     "{'_id': 5, 's': 134}, {'_id': 3, 's': 238}, {'_id': 1, 's': 378}]"},
    /* the manual's moving average of the previous, current and next document */
    {"cakes",
     "[{'$setWindowFields': {'partitionBy': '$state', 'sortBy': {'orderDate': 1}, 'output': "
     "{'a': {'$avg': '$quantity', 'window': {'documents': [-1, 0]}}}}}, "
     "{'$project': {'_id': 1, 'a': 1}}]",
     "[{'_id': 4, 'a': 162.0}, {'_id': 0, 'a': 141.0}, {'_id': 2, 'a': 132.5}, "
     "{'_id': 5, 'a': 134.0}, {'_id': 3, 'a': 119.0}, {'_id': 1, 'a': 122.0}]"},
    /* range over dates with a unit: orders within a year before each one */
    {"cakes",
     "[{'$setWindowFields': {'partitionBy': '$state', 'sortBy': {'orderDate': 1}, 'output': "
     "{'s': {'$sum': '$price', 'window': {'range': [-1, 0], 'unit': 'year'}}}}}, "
     "{'$project': {'_id': 1, 's': 1}}]",
     "[{'_id': 4, 's': 41}, {'_id': 0, 's': 54}, {'_id': 2, 's': 25}, "
     "{'_id': 5, 's': 43}, {'_id': 3, 's': 13}, {'_id': 1, 's': 14}]"},
    /* no partition, no sort: one partition in input order */
    {"cakes",
     "[{'$setWindowFields': {'output': {'n': {'$count': {}}, 'q': {'$max': '$quantity'}}}}, "
     "{'$project': {'_id': 1, 'n': 1, 'q': 1}}, {'$limit': 2}]",
     "[{'_id': 0, 'n': 6, 'q': 162}, {'_id': 1, 'n': 6, 'q': 162}]"},
    /* ranks with ties */
    {"pts", PTS("{'x': 1}", "{'$rank': {}}"),
     "[{'_id': 1, 'r': 1}, {'_id': 2, 'r': 2}, {'_id': 3, 'r': 2}, {'_id': 4, 'r': 4}, "
     "{'_id': 5, 'r': 5}, {'_id': 6, 'r': 1}]"},
    {"pts", PTS("{'x': 1}", "{'$denseRank': {}}"),
     "[{'_id': 1, 'r': 1}, {'_id': 2, 'r': 2}, {'_id': 3, 'r': 2}, {'_id': 4, 'r': 3}, "
     "{'_id': 5, 'r': 4}, {'_id': 6, 'r': 1}]"},
    {"pts", PTS("{'x': 1}", "{'$documentNumber': {}}"),
     "[{'_id': 1, 'r': 1}, {'_id': 2, 'r': 2}, {'_id': 3, 'r': 3}, {'_id': 4, 'r': 4}, "
     "{'_id': 5, 'r': 5}, {'_id': 6, 'r': 1}]"},
    /* sliding document windows skip null and missing values */
    {"pts", PTS("{'x': 1}", "{'$sum': '$y', 'window': {'documents': [-1, 1]}}"),
     "[{'_id': 1, 'r': 10}, {'_id': 2, 'r': 40}, {'_id': 3, 'r': 30}, {'_id': 4, 'r': 110}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    {"pts", PTS("{'x': 1}", "{'$avg': '$y'}"),
     "[{'_id': 1, 'r': 40.0}, {'_id': 2, 'r': 40.0}, {'_id': 3, 'r': 40.0}, "
     "{'_id': 4, 'r': 40.0}, {'_id': 5, 'r': 40.0}, {'_id': 6, 'r': 5.0}]"},
    /* numeric ranges: every document whose x lies within [x - 1, x + 1] */
    {"pts", PTS("{'x': 1}", "{'$min': '$y', 'window': {'range': [-1, 1]}}"),
     "[{'_id': 1, 'r': 10}, {'_id': 2, 'r': 10}, {'_id': 3, 'r': 10}, {'_id': 4, 'r': null}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    {"pts", PTS("{'x': 1}", "{'$max': '$y', 'window': {'range': [-1, 1]}}"),
     "[{'_id': 1, 'r': 30}, {'_id': 2, 'r': 30}, {'_id': 3, 'r': 30}, {'_id': 4, 'r': null}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    {"pts", PTS("{'x': 1}", "{'$count': {}, 'window': {'range': [-1, 1]}}"),
     "[{'_id': 1, 'r': 3}, {'_id': 2, 'r': 3}, {'_id': 3, 'r': 3}, {'_id': 4, 'r': 1}, "
     "{'_id': 5, 'r': 1}, {'_id': 6, 'r': 1}]"},
    {"pts", PTS("{'x': 1}", "{'$count': {}, 'window': {'range': [1, 'unbounded']}}"),
     "[{'_id': 1, 'r': 4}, {'_id': 2, 'r': 2}, {'_id': 3, 'r': 2}, {'_id': 4, 'r': 1}, "
     "{'_id': 5, 'r': 0}, {'_id': 6, 'r': 0}]"},
    {"pts", PTS("{'x': 1}", "{'$push': '$y', 'window': {'documents': ['unbounded', 'current']}}"),
     "[{'_id': 1, 'r': [10]}, {'_id': 2, 'r': [10, null]}, {'_id': 3, 'r': [10, null, 30]}, "
     "{'_id': 4, 'r': [10, null, 30]}, {'_id': 5, 'r': [10, null, 30, 80]}, "
     "{'_id': 6, 'r': [5]}]"},
    {"pts", PTS("{'x': -1}", "{'$addToSet': '$x'}"),
     "[{'_id': 5, 'r': [1, 2, 4, 7]}, {'_id': 4, 'r': [1, 2, 4, 7]}, "
     "{'_id': 2, 'r': [1, 2, 4, 7]}, {'_id': 3, 'r': [1, 2, 4, 7]}, "
     "{'_id': 1, 'r': [1, 2, 4, 7]}, {'_id': 6, 'r': [1]}]"},
    {"pts", PTS("{'x': 1}", "{'$first': '$y'}"),
     "[{'_id': 1, 'r': 10}, {'_id': 2, 'r': 10}, {'_id': 3, 'r': 10}, {'_id': 4, 'r': 10}, "
     "{'_id': 5, 'r': 10}, {'_id': 6, 'r': 5}]"},
    {"pts", PTS("{'x': 1}", "{'$last': '$y', 'window': {'documents': [-3, -2]}}"),
     "[{'_id': 1, 'r': null}, {'_id': 2, 'r': null}, {'_id': 3, 'r': 10}, "
     "{'_id': 4, 'r': null}, {'_id': 5, 'r': 30}, {'_id': 6, 'r': null}]"},
    /* $shift: missing output leaves the field out; out of range takes the default */
    {"pts", PTS("{'x': 1}", "{'$shift': {'output': '$y', 'by': 1, 'default': 'none'}}"),
     "[{'_id': 1, 'r': null}, {'_id': 2, 'r': 30}, {'_id': 3}, {'_id': 4, 'r': 80}, "
     "{'_id': 5, 'r': 'none'}, {'_id': 6, 'r': 'none'}]"},
    {"pts", PTS("{'x': 1}", "{'$shift': {'output': '$_id', 'by': -2}}"),
     "[{'_id': 1, 'r': null}, {'_id': 2, 'r': null}, {'_id': 3, 'r': 1}, {'_id': 4, 'r': 2}, "
     "{'_id': 5, 'r': 3}, {'_id': 6, 'r': null}]"},
    {"pts", PTS("{'x': 1}", "{'$locf': '$y'}"),
     "[{'_id': 1, 'r': 10}, {'_id': 2, 'r': 10}, {'_id': 3, 'r': 30}, {'_id': 4, 'r': 30}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    {"pts", PTS("{'d': 1}", "{'$linearFill': '$y'}"),
     "[{'_id': 1, 'r': 10}, {'_id': 2, 'r': 20.0}, {'_id': 3, 'r': 30}, {'_id': 4, 'r': 55.0}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    {"pts",
     PTS("{'d': 1}",
         "{'$derivative': {'input': '$x', 'unit': 'day'}, 'window': {'documents': [-1, 0]}}"),
     "[{'_id': 1, 'r': null}, {'_id': 2, 'r': 1.0}, {'_id': 3, 'r': 0.0}, {'_id': 4, 'r': 1.0}, "
     "{'_id': 5, 'r': 1.5}, {'_id': 6, 'r': null}]"},
    {"pts", PTS("{'d': 1}", "{'$integral': {'input': '$x', 'unit': 'day'}}"),
     "[{'_id': 1, 'r': 20.5}, {'_id': 2, 'r': 20.5}, {'_id': 3, 'r': 20.5}, "
     "{'_id': 4, 'r': 20.5}, {'_id': 5, 'r': 20.5}, {'_id': 6, 'r': 0.0}]"},
    {"pts",
     PTS("{'x': 1}", "{'$integral': {'input': '$x'}, 'window': {'documents': ['unbounded', "
                     "'current']}}"),
     "[{'_id': 1, 'r': 0}, {'_id': 2, 'r': 1.5}, {'_id': 3, 'r': 1.5}, {'_id': 4, 'r': 7.5}, "
     "{'_id': 5, 'r': 24.0}, {'_id': 6, 'r': 0}]"},
    {"pts", PTS("{'x': 1}", "{'$expMovingAvg': {'input': '$x', 'N': 3}}"),
     "[{'_id': 1, 'r': 1.0}, {'_id': 2, 'r': 1.5}, {'_id': 3, 'r': 1.75}, {'_id': 4, 'r': 2.875}, "
     "{'_id': 5, 'r': 4.9375}, {'_id': 6, 'r': 1.0}]"},
    {"pts", PTS("{'x': 1}", "{'$expMovingAvg': {'input': '$y', 'alpha': 0.25}}"),
     "[{'_id': 1, 'r': 10.0}, {'_id': 2, 'r': 10.0}, {'_id': 3, 'r': 15.0}, {'_id': 4, 'r': 15.0}, "
     "{'_id': 5, 'r': 31.25}, {'_id': 6, 'r': 5.0}]"},
    {"pts", PTS_ROUND("{'x': 1}", "{'$stdDevPop': '$x'}"),
     "[{'_id': 1, 'r': 2.135416}, {'_id': 2, 'r': 2.135416}, {'_id': 3, 'r': 2.135416}, "
     "{'_id': 4, 'r': 2.135416}, {'_id': 5, 'r': 2.135416}, {'_id': 6, 'r': 0.0}]"},
    {"pts", PTS_ROUND("{'x': 1}", "{'$stdDevSamp': '$x', 'window': {'documents': [0, 1]}}"),
     "[{'_id': 1, 'r': 0.707107}, {'_id': 2, 'r': 0.0}, {'_id': 3, 'r': 1.414214}, "
     "{'_id': 4, 'r': 2.12132}, {'_id': 5, 'r': null}, {'_id': 6, 'r': null}]"},
    {"pts", PTS_ROUND("{'x': 1}", "{'$covariancePop': ['$x', '$x']}"),
     "[{'_id': 1, 'r': 4.56}, {'_id': 2, 'r': 4.56}, {'_id': 3, 'r': 4.56}, {'_id': 4, 'r': 4.56}, "
     "{'_id': 5, 'r': 4.56}, {'_id': 6, 'r': 0.0}]"},
    {"pts", PTS_ROUND("{'x': 1}", "{'$covarianceSamp': ['$x', '$y']}"),
     "[{'_id': 1, 'r': 115.0}, {'_id': 2, 'r': 115.0}, {'_id': 3, 'r': 115.0}, "
     "{'_id': 4, 'r': 115.0}, {'_id': 5, 'r': 115.0}, {'_id': 6, 'r': null}]"},
    {"pts", PTS("{'x': 1}", "{'$median': {'input': '$x', 'method': 'approximate'}}"),
     "[{'_id': 1, 'r': 2.0}, {'_id': 2, 'r': 2.0}, {'_id': 3, 'r': 2.0}, {'_id': 4, 'r': 2.0}, "
     "{'_id': 5, 'r': 2.0}, {'_id': 6, 'r': 1.0}]"},
    {"pts",
     PTS("{'x': 1}", "{'$percentile': {'input': '$y', 'p': [0.25, 0.9], 'method': "
                     "'approximate'}, 'window': {'documents': [0, 0]}}"),
     "[{'_id': 1, 'r': [10.0, 10.0]}, {'_id': 2, 'r': [null, null]}, "
     "{'_id': 3, 'r': [30.0, 30.0]}, {'_id': 4, 'r': [null, null]}, "
     "{'_id': 5, 'r': [80.0, 80.0]}, {'_id': 6, 'r': [5.0, 5.0]}]"},
    {"pts", PTS("{'x': 1}", "{'$minN': {'input': '$x', 'n': 2}}"),
     "[{'_id': 1, 'r': [1, 2]}, {'_id': 2, 'r': [1, 2]}, {'_id': 3, 'r': [1, 2]}, "
     "{'_id': 4, 'r': [1, 2]}, {'_id': 5, 'r': [1, 2]}, {'_id': 6, 'r': [1]}]"},
    {"pts", PTS("{'x': 1}", "{'$maxN': {'input': '$y', 'n': 2}, 'window': {'documents': [-1, 0]}}"),
     "[{'_id': 1, 'r': [10]}, {'_id': 2, 'r': [10]}, {'_id': 3, 'r': [30]}, {'_id': 4, 'r': [30]}, "
     "{'_id': 5, 'r': [80]}, {'_id': 6, 'r': [5]}]"},
    {"pts", PTS("{'x': 1}", "{'$firstN': {'input': '$y', 'n': 2}}"),
     "[{'_id': 1, 'r': [10, null]}, {'_id': 2, 'r': [10, null]}, {'_id': 3, 'r': [10, null]}, "
     "{'_id': 4, 'r': [10, null]}, {'_id': 5, 'r': [10, null]}, {'_id': 6, 'r': [5]}]"},
    {"pts", PTS("{'x': 1}", "{'$lastN': {'input': '$y', 'n': 2}}"),
     "[{'_id': 1, 'r': [null, 80]}, {'_id': 2, 'r': [null, 80]}, {'_id': 3, 'r': [null, 80]}, "
     "{'_id': 4, 'r': [null, 80]}, {'_id': 5, 'r': [null, 80]}, {'_id': 6, 'r': [5]}]"},
    {"pts", PTS("{'x': 1}", "{'$topN': {'n': 2, 'sortBy': {'x': -1}, 'output': '$_id'}}"),
     "[{'_id': 1, 'r': [5, 4]}, {'_id': 2, 'r': [5, 4]}, {'_id': 3, 'r': [5, 4]}, "
     "{'_id': 4, 'r': [5, 4]}, {'_id': 5, 'r': [5, 4]}, {'_id': 6, 'r': [6]}]"},
    {"pts", PTS("{'x': 1}", "{'$bottomN': {'n': 2, 'sortBy': {'x': -1}, 'output': '$_id'}}"),
     "[{'_id': 1, 'r': [2, 1]}, {'_id': 2, 'r': [2, 1]}, {'_id': 3, 'r': [2, 1]}, "
     "{'_id': 4, 'r': [2, 1]}, {'_id': 5, 'r': [2, 1]}, {'_id': 6, 'r': [6]}]"},
    {"pts",
     PTS("{'x': 1}", "{'$top': {'sortBy': {'y': 1}, 'output': '$_id'}, 'window': {'documents': "
                     "[1, 2]}}"),
     "[{'_id': 1, 'r': 2}, {'_id': 2, 'r': 4}, {'_id': 3, 'r': 4}, {'_id': 4, 'r': 5}, "
     "{'_id': 5, 'r': null}, {'_id': 6, 'r': null}]"},
    {"pts", PTS("{'x': 1}", "{'$bottom': {'sortBy': {'y': 1}, 'output': '$y'}}"),
     "[{'_id': 1, 'r': 80}, {'_id': 2, 'r': 80}, {'_id': 3, 'r': 80}, {'_id': 4, 'r': 80}, "
     "{'_id': 5, 'r': 80}, {'_id': 6, 'r': 5}]"},
    /* an output into a nested path, and a computed partition key */
    {"pts",
     "[{'$setWindowFields': {'partitionBy': {'$gt': ['$x', 1]}, 'sortBy': {'_id': 1}, "
     "'output': {'w.n': {'$documentNumber': {}}}}}, {'$project': {'_id': 1, 'w': 1}}]",
     "[{'_id': 1, 'w': {'n': 1}}, {'_id': 6, 'w': {'n': 2}}, {'_id': 2, 'w': {'n': 1}}, "
     "{'_id': 3, 'w': {'n': 2}}, {'_id': 4, 'w': {'n': 3}}, {'_id': 5, 'w': {'n': 4}}]"},

    /* ---- $group accumulators (the manual's gamescores) ---- */
    {"games",
     "[{'$group': {'_id': '$gameId', 'p': {'$top': {'output': ['$playerId', '$score'], "
     "'sortBy': {'score': -1}}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'p': ['PlayerC', 99]}, {'_id': 'G2', 'p': ['PlayerD', 80]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'p': {'$topN': {'n': 3, 'output': ['$playerId', '$score'], "
     "'sortBy': {'score': -1}}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'p': [['PlayerC', 99], ['PlayerB', 33], ['PlayerA', 31]]}, "
     "{'_id': 'G2', 'p': [['PlayerD', 80], ['PlayerC', 66], ['PlayerB', 14]]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'p': {'$bottomN': {'n': 3, 'output': ['$playerId', "
     "'$score'], 'sortBy': {'score': -1}}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'p': [['PlayerB', 33], ['PlayerA', 31], ['PlayerD', 1]]}, "
     "{'_id': 'G2', 'p': [['PlayerC', 66], ['PlayerB', 14], ['PlayerA', 10]]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'p': {'$bottom': {'output': '$playerId', "
     "'sortBy': {'score': -1}}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'p': 'PlayerD'}, {'_id': 'G2', 'p': 'PlayerA'}]"},
    /* n evaluated per group, against the group's first document */
    {"games",
     "[{'$group': {'_id': {'gameId': '$gameId'}, 's': {'$firstN': {'input': '$score', "
     "'n': {'$cond': {'if': {'$eq': ['$gameId', 'G2']}, 'then': 1, 'else': 3}}}}}}, "
     "{'$sort': {'_id.gameId': 1}}]",
     "[{'_id': {'gameId': 'G1'}, 's': [31, 33, 99]}, {'_id': {'gameId': 'G2'}, 's': [10]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'mx': {'$maxN': {'input': '$score', 'n': 2}}, "
     "'mn': {'$minN': {'input': '$score', 'n': 2}}, 'l': {'$lastN': {'input': '$score', "
     "'n': 2}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'mx': [99, 33], 'mn': [1, 31], 'l': [99, 1]}, "
     "{'_id': 'G2', 'mx': [80, 66], 'mn': [10, 14], 'l': [66, 80]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'm': {'$median': {'input': '$score', 'method': "
     "'approximate'}}, 'p': {'$percentile': {'input': '$score', 'p': [0.5, 1], 'method': "
     "'approximate'}}}}, {'$sort': {'_id': 1}}]",
     "[{'_id': 'G1', 'm': 31.0, 'p': [31.0, 99.0]}, {'_id': 'G2', 'm': 14.0, 'p': [14.0, 80.0]}]"},
    {"games",
     "[{'$group': {'_id': '$gameId', 'p': {'$stdDevPop': '$score'}, 's': {'$stdDevSamp': "
     "'$score'}, 'one': {'$stdDevSamp': 1}}}, {'$sort': {'_id': 1}}, {'$limit': 1}, "
     "{'$project': {'p': {'$round': ['$p', 6]}, 's': {'$round': ['$s', 6]}, 'one': 1}}]",
     "[{'_id': 'G1', 'one': 0.0, 'p': 35.805028, 's': 41.344085}]"},
    {"games",
     "[{'$group': {'_id': null, 'm': {'$mergeObjects': {'$arrayToObject': [[['$playerId', "
     "'$score']]]}}, 'e': {'$mergeObjects': '$nothing'}}}]",
     "[{'_id': null, 'm': {'PlayerA': 10, 'PlayerB': 14, 'PlayerC': 66, 'PlayerD': 80}, "
     "'e': {}}]"},
    /* $sum and $avg widen int -> long -> double and add decimals exactly */
    {"nums",
     "[{'$group': {'_id': null, 'i': {'$sum': '$i'}, 'l': {'$sum': '$l'}, 'm': {'$sum': '$m'}, "
     "'f': {'$sum': '$f'}, 'am': {'$avg': '$m'}, 'ai': {'$avg': '$i'}, 'n': {'$sum': 'x'}}}]",
     "[{'_id': null, 'i': {'$numberLong': '4294967295'}, 'l': 1.8446744073709552e+19, "
     "'m': {'$numberDecimal': '3.3'}, 'f': 0.30000000000000004, "
     "'am': {'$numberDecimal': '1.1'}, 'ai': 1431655765.0, 'n': 0}]"},

    /* ---- the same accumulators as expressions ---- */
    {"nums",
     "[{'$match': {'_id': 1}}, {'$project': {'_id': 0, 's': {'$sum': [1, 2.5, 'x']}, "
     "'a': {'$avg': [[1, 2, 3, 4]]}, 'n': {'$avg': []}, 'z': {'$sum': []}, "
     "'sd': {'$stdDevPop': [[2, 4, 4, 4, 5, 5, 7, 9]]}, 'ss': {'$stdDevSamp': [1]}, "
     "'m': {'$median': {'input': [3, 1, 2], 'method': 'approximate'}}, "
     "'p': {'$percentile': {'input': [], 'p': [0.5], 'method': 'approximate'}}, "
     "'dec': {'$sum': ['$m', '$f']}}}]",
     "[{'s': 3.5, 'a': 2.5, 'n': null, 'z': 0, 'sd': 2.0, 'ss': null, 'm': 2.0, 'p': [null], "
     "'dec': {'$numberDecimal': '0.2000000000000000055511151231257827'}}]"},
};

/* run_case -- the first batch of the pipeline equals the expected array, types included. */
static void
run_case(mongoc_client_t *c, const agg_case_t *tc)
{
    char *cmd = bson_strdup_printf("{'aggregate': '%s', 'cursor': {}, 'pipeline': %s}", tc->coll,
                                   tc->pipeline);
    char *wrap = bson_strdup_printf("{\"v\": %s}", tc->want);
    bson_t r, got, *want;
    bson_iter_t it;
    bson_error_t e;
    const uint8_t *data;
    uint32_t len;

    for (char *p = wrap; *p; p++)
        if (*p == '\'')
            *p = '"';
    want = bson_new_from_json((const uint8_t *)wrap, -1, &e);
    ck_assert_msg(want != NULL, "bad expected JSON %s: %s", wrap, e.message);
    CMD_OK(c, DB, cmd, &r);
    ck_assert(bson_iter_init(&it, &r) && bson_iter_find_descendant(&it, "cursor.firstBatch", &it));
    bson_iter_array(&it, &len, &data);
    bson_init_static(&got, data, len);
    {
        bson_t wv;
        bson_iter_t wi;

        ck_assert(bson_iter_init_find(&wi, want, "v"));
        bson_iter_array(&wi, &len, &data);
        bson_init_static(&wv, data, len);
        char *gj = bson_as_canonical_extended_json(&got, NULL);
        char *wj = bson_as_canonical_extended_json(&wv, NULL);
        ck_assert_msg(bson_equal(&got, &wv), "%s\n got  %s\n want %s", tc->pipeline, gj, wj);
        bson_free(gj);
        bson_free(wj);
    }
    bson_destroy(want);
    bson_destroy(&r);
    bson_free(wrap);
    bson_free(cmd);
}

START_TEST(test_cases)
{
    mongoc_client_t *c = IT_CLIENT();

    seed(c);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(c, &cases[i]);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_collation)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    CMD_OK(c, DB,
           "{'insert': 'names', 'documents': [{'_id': 1, 'n': 'a'}, {'_id': 2, 'n': 'A'}, "
           "{'_id': 3, 'n': 'b'}]}",
           &r);
    bson_destroy(&r);
    /* under a case-insensitive collation "a" and "A" are one partition */
    CMD_OK(c, DB,
           "{'aggregate': 'names', 'cursor': {}, 'collation': {'locale': 'en', 'strength': 2}, "
           "'pipeline': [{'$setWindowFields': {'partitionBy': '$n', 'sortBy': {'_id': 1}, "
           "'output': {'c': {'$count': {}}, 'r': {'$documentNumber': {}}}}}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.c", 2);
    ASSERT_INT(&r, "cursor.firstBatch.1.c", 2);
    ASSERT_INT(&r, "cursor.firstBatch.1.r", 2);
    ASSERT_INT(&r, "cursor.firstBatch.2.c", 1);
    bson_destroy(&r);
    /* and two without it */
    CMD_OK(c, DB,
           "{'aggregate': 'names', 'cursor': {}, 'pipeline': [{'$setWindowFields': "
           "{'partitionBy': '$n', 'output': {'c': {'$count': {}}}}}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.c", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1.c", 1);
    ASSERT_INT(&r, "cursor.firstBatch.2.c", 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

typedef struct err_case {
    const char *coll;
    const char *pipeline;
    int code;
    const char *code_name;
} err_case_t;

#define SWF(spec) "[{'$setWindowFields': " spec "}]"

static const err_case_t errors[] = {
    {"pts", SWF("5"), 9, "FailedToParse"},
    {"pts", SWF("{'output': {}, 'bogus': 1}"), 40415, "Location40415"},
    {"pts", SWF("{'sortBy': {'x': 1}}"), 40414, "Location40414"},
    {"pts", SWF("{'sortBy': 1, 'output': {}}"), 14, "TypeMismatch"},
    {"pts", SWF("{'output': {'r': {'$summ': '$x'}}}"), 9, "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'foo': '$x'}}}"), 9, "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'$sum': '$x', '$max': '$x'}}}"), 9, "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'$sum': '$x', 'window': {'documents': [-1, 0]}}}}"), 5339901,
     "Location5339901"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$sum': '$x', 'window': {'documents': "
         "[1, 0]}}}}"),
     5339900, "Location5339900"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$sum': '$x', 'window': {'documents': "
         "[0.5, 1]}}}}"),
     9, "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$sum': '$x', 'window': {'documents': "
         "['current', 'x']}}}}"),
     9, "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$sum': '$x', 'window': {'documents': "
         "[0, 1], 'range': [0, 1]}}}}"),
     9, "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'x': 1, 'y': 1}, 'output': {'r': {'$sum': '$x', 'window': "
         "{'range': [0, 1]}}}}"),
     5339902, "Location5339902"},
    {"pts", SWF("{'output': {'r': {'$rank': {}}}}"), 5371602, "Location5371602"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$rank': 1}}}"), 5371603, "Location5371603"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$denseRank': {}, 'window': {}}}}"), 5371601,
     "Location5371601"},
    {"pts", SWF("{'output': {'a': {'$sum': 1}, 'a.b': {'$sum': 1}}}"), 6307900, "Location6307900"},
    {"pts", SWF("{'partitionBy': '$arr', 'output': {'r': {'$sum': 1}}}"), 0, NULL},
    {"pts", SWF("{'partitionBy': ['$x'], 'output': {'r': {'$sum': 1}}}"), 14, "TypeMismatch"},
    {"pts",
     SWF("{'sortBy': {'g': 1}, 'output': {'r': {'$sum': 1, 'window': {'range': [0, "
         "1]}}}}"),
     5429414, "Location5429414"},
    {"pts",
     SWF("{'sortBy': {'d': 1}, 'output': {'r': {'$sum': 1, 'window': {'range': [0, "
         "1]}}}}"),
     5429413, "Location5429413"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$sum': 1, 'window': {'range': [0, 1], "
         "'unit': 'day'}}}}"),
     5429513, "Location5429513"},
    {"pts", SWF("{'sortBy': {'d': 1}, 'output': {'r': {'$derivative': {'input': '$x'}}}}"), 9,
     "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'d': 1}, 'output': {'r': {'$derivative': {'input': '$x', 'unit': "
         "'month'}, 'window': {'documents': [-1, 0]}}}}"),
     5490710, "Location5490710"},
    {"pts", SWF("{'output': {'r': {'$integral': {'input': '$x'}}}}"), 9, "FailedToParse"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$integral': {'input': '$y'}}}}"), 5423900,
     "Location5423900"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$derivative': {'input': '$y'}, 'window': "
         "{'documents': [-1, 0]}}}}"),
     5624903, "Location5624903"},
    {"pts",
     SWF("{'sortBy': {'d': 1}, 'output': {'r': {'$derivative': {'input': '$x'}, 'window': "
         "{'documents': [-1, 0]}}}}"),
     5624901, "Location5624901"},
    {"pts", SWF("{'output': {'r': {'$linearFill': '$y'}}}"), 605001, "Location605001"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$linearFill': '$y'}}}"), 6050106,
     "Location6050106"},
    {"pts", SWF("{'sortBy': {'g': 1}, 'output': {'r': {'$linearFill': '$y'}}}"), 14,
     "TypeMismatch"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$locf': '$y', 'window': {}}}}"), 9,
     "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'$shift': {'output': '$y', 'by': 1}}}}"), 9, "FailedToParse"},
    {"pts", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$shift': {'output': '$y', 'by': 1.5}}}}"),
     9, "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$shift': {'output': '$y', 'by': 1, "
         "'default': '$x'}}}}"),
     9, "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'$expMovingAvg': {'input': '$x', 'N': 2}}}}"), 9,
     "FailedToParse"},
    {"pts",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$expMovingAvg': {'input': '$x', "
         "'alpha': 1}}}}"),
     9, "FailedToParse"},
    {"pts", SWF("{'output': {'r': {'$minN': {'input': '$x', 'n': 0}}}}"), 5787908,
     "Location5787908"},
    {"pts", SWF("{'output': {'r': {'$minN': {'input': '$x', 'n': '$x'}}}}"), 5787902,
     "Location5787902"},
    {"pts", SWF("{'output': {'r': {'$topN': {'n': 1, 'output': '$x'}}}}"), 5788005,
     "Location5788005"},
    {"pts", SWF("{'output': {'r': {'$covariancePop': '$x'}}}"), 0, NULL},
    /* the accumulators in $group */
    {"games",
     "[{'$group': {'_id': null, 'p': {'$percentile': {'input': '$score', 'p': [2], "
     "'method': 'approximate'}}}}]",
     7750303, "Location7750303"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$percentile': {'input': '$score', 'p': 0.5, "
     "'method': 'approximate'}}}}]",
     7750301, "Location7750301"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$percentile': {'input': '$score', 'p': ['$x'], "
     "'method': 'approximate'}}}}]",
     7750300, "Location7750300"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$percentile': {'input': '$score', 'p': ['a'], "
     "'method': 'approximate'}}}}]",
     7750302, "Location7750302"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$median': {'input': '$score', 'method': "
     "'exact'}}}}]",
     2, "BadValue"},
    {"games", "[{'$group': {'_id': null, 'p': {'$median': {'input': '$score'}}}}]", 40414,
     "Location40414"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$median': {'input': '$score', 'p': [0.5], "
     "'method': 'approximate'}}}}]",
     40415, "Location40415"},
    {"games", "[{'$group': {'_id': null, 'p': {'$median': {'input': '$score', 'method': 1}}}}]", 14,
     "TypeMismatch"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$top': {'n': 1, 'output': '$score', 'sortBy': "
     "{'score': 1}}}}}]",
     5788002, "Location5788002"},
    {"games",
     "[{'$group': {'_id': null, 'p': {'$topN': {'output': '$score', 'sortBy': "
     "{'score': 1}}}}}]",
     5788003, "Location5788003"},
    {"games", "[{'$group': {'_id': null, 'p': {'$topN': {'n': 1, 'sortBy': {'score': 1}}}}}]",
     5788004, "Location5788004"},
    {"games", "[{'$group': {'_id': null, 'p': {'$topN': 1}}}]", 5788001, "Location5788001"},
    {"games", "[{'$group': {'_id': null, 'p': {'$firstN': 1}}}]", 5787801, "Location5787801"},
    {"games", "[{'$group': {'_id': null, 'p': {'$maxN': 1}}}]", 5787900, "Location5787900"},
    {"games", "[{'$group': {'_id': null, 'p': {'$maxN': {'n': 1, 'input': 1, 'x': 1}}}}]", 5787901,
     "Location5787901"},
    {"games", "[{'$group': {'_id': null, 'p': {'$maxN': {'input': 1}}}}]", 5787906,
     "Location5787906"},
    {"games", "[{'$group': {'_id': null, 'p': {'$maxN': {'n': 1}}}}]", 5787907, "Location5787907"},
    {"games", "[{'$group': {'_id': '$gameId', 'p': {'$firstN': {'n': -1, 'input': 1}}}}]", 5787908,
     "Location5787908"},
    {"games", "[{'$group': {'_id': null, 'p': {'$mergeObjects': '$score'}}}]", 40400,
     "Location40400"},
    {"games", "[{'$group': {'_id': null, 'p': {'$covariancePop': ['$score', '$score']}}}]", 15952,
     "Location15952"},
    {"games", "[{'$group': {'_id': null, 'p': {'$stdDevPop': ['$score']}}}]", 40237,
     "Location40237"},
};

START_TEST(test_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        char *cmd = bson_strdup_printf("{'aggregate': '%s', 'cursor': {}, 'pipeline': %s}",
                                       errors[i].coll, errors[i].pipeline);
        if (errors[i].code == 0)
            CMD_OK(c, DB, cmd, &r); /* accepted: the contrast to its neighbours */
        else
            CMD_ERR(c, DB, cmd, &r, errors[i].code, errors[i].code_name);
        bson_destroy(&r);
        bson_free(cmd);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* batch_double -- the double at `path` (under cursor.firstBatch) of an aggregate on `coll`. */
static double
batch_double(mongoc_client_t *c, const char *coll, const char *pipeline, const char *path)
{
    char *cmd =
        bson_strdup_printf("{'aggregate': '%s', 'cursor': {}, 'pipeline': %s}", coll, pipeline);
    char *full = bson_strdup_printf("cursor.firstBatch.%s", path);
    bson_iter_t it;
    bson_t r;
    double v;

    CMD_OK(c, DB, cmd, &r);
    ck_assert_msg(bson_iter_init(&it, &r) && bson_iter_find_descendant(&it, full, &it) &&
                      BSON_ITER_HOLDS_DOUBLE(&it),
                  "no double at %s", full);
    v = bson_iter_double(&it);
    bson_destroy(&r);
    bson_free(full);
    bson_free(cmd);
    return v;
}

/* The accumulators answer method 'approximate' with mongod's t-digest: past about a thousand
 * values its centroids merge and the answers interpolate (the numbers below come from an
 * independent transcription of mongod's algorithm, see check_window's test_tdigest); a window
 * growing from the partition's start reads the digest at every document, as mongod's does;
 * a sliding window is exact. */
START_TEST(test_tdigest)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t cmd = BSON_INITIALIZER, docs, r;
    char key[16];
    const char *k;

    seed(c);
    BSON_APPEND_UTF8(&cmd, "insert", "digest");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < 3000; i++) {
        bson_t d;

        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT_BEGIN(&docs, k, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_DOUBLE(&d, "v", (double)((i * 7919) % 10007) + 0.5);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    ck_assert(fx_cmd_bson(c, DB, &cmd, &r, NULL));
    bson_destroy(&r);
    bson_destroy(&cmd);
    ck_assert_double_eq(batch_double(c, "digest",
                                     "[{'$sort': {'_id': 1}}, {'$group': {'_id': null, 'p': "
                                     "{'$percentile': {'input': '$v', 'p': [0.5, 0.9], "
                                     "'method': 'approximate'}}}}]",
                                     "0.p.0"),
                        5003.86);
    ck_assert_double_eq(batch_double(c, "digest",
                                     "[{'$sort': {'_id': 1}}, {'$group': {'_id': null, 'p': "
                                     "{'$percentile': {'input': '$v', 'p': [0.5, 0.9], "
                                     "'method': 'approximate'}}}}]",
                                     "0.p.1"),
                        9005.0);
    ck_assert_double_eq(batch_double(c, "digest",
                                     "[{'$setWindowFields': {'sortBy': {'_id': 1}, 'output': "
                                     "{'m': {'$median': {'input': '$v', 'method': 'approximate'}, "
                                     "'window': {'documents': ['unbounded', 'current']}}}}}, "
                                     "{'$sort': {'_id': -1}}, {'$limit': 1}]",
                                     "0.m"),
                        5004.04);
    ck_assert_double_eq(batch_double(c, "digest",
                                     "[{'$setWindowFields': {'sortBy': {'_id': 1}, 'output': "
                                     "{'m': {'$median': {'input': '$v', 'method': 'approximate'}, "
                                     "'window': {'documents': [-2, 0]}}}}}, "
                                     "{'$sort': {'_id': -1}}, {'$limit': 1}]",
                                     "0.m"),
                        4558.5);
    /* the expression form is exact: the true median of the 3000 values */
    ck_assert_double_eq(batch_double(c, "digest",
                                     "[{'$group': {'_id': null, 'a': {'$push': '$v'}}}, "
                                     "{'$project': {'m': {'$median': {'input': '$a', "
                                     "'method': 'approximate'}}}}]",
                                     "0.m"),
                        5002.5);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("window");
    TCase *tc = it_tcase(s, "window", true);
    tcase_add_test(tc, test_cases);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_collation);
    tcase_add_test(tc, test_tdigest);
    return it_main(s);
}
