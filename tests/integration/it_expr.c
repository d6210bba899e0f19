/*
 * tests/integration/it_expr.c -- aggregation expressions end to end through libmongoc.
 *
 * A typical reporting pipeline over orders: $match with $expr, $group by the month of a date
 * with $dateToString in a time zone, $sort, and a $project that merges the group's objects
 * ($reduce over $mergeObjects) and formats with $concat, $toString, $divide and $switch; the same expressions in a find projection, in
 * $expr and in a pipeline-style update (one evaluator behind all four); and an expression
 * error reaching the client with mongod's code.  One shared server with 2 workers.
 */
#include "harness.h"

#define DB "exprtest"

static void
seed(mongoc_client_t *c)
{
    bson_t r;

    fx_cmd(c, DB, "{'drop': 'orders'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(
        c, DB,
        "{'insert': 'orders', 'documents': ["
        "{'_id': 1, 'at': {'$date': '2024-01-15T10:00:00Z'}, 'amt': 1010, 'meta': {'src': 'web'}},"
        "{'_id': 2, 'at': {'$date': '2024-01-31T23:30:00Z'}, 'amt': 505, 'meta': {'coupon': true}},"
        "{'_id': 3, 'at': {'$date': '2024-02-03T08:00:00Z'}, 'amt': 700, 'meta': {'src': 'app'}},"
        "{'_id': 4, 'at': {'$date': '2023-12-31T12:00:00Z'}, 'amt': 9900, 'meta': {}}]}",
        &r);
    bson_destroy(&r);
}

START_TEST(test_reporting_pipeline)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    /* 2024-01-31T23:30Z is February 1st in Berlin: it groups with February there */
    CMD_OK(c, DB,
           "{'aggregate': 'orders', 'cursor': {}, 'pipeline': ["
           "{'$match': {'$expr': {'$gte': [{'$year': '$at'}, 2024]}}},"
           "{'$group': {'_id': {'$dateToString': {'format': '%Y-%m', 'date': '$at', "
           "'timezone': 'Europe/Berlin'}}, 'total': {'$sum': '$amt'}, 'n': {'$sum': 1}, "
           "'metas': {'$push': '$meta'}}},"
           "{'$sort': {'_id': 1}},"
           "{'$project': {'_id': 0, 'month': '$_id', 'total': 1, "
           "'meta': {'$reduce': {'input': '$metas', 'initialValue': {}, "
           "'in': {'$mergeObjects': ['$$value', '$$this']}}}, "
           "'label': {'$concat': ['$_id', ': ', {'$toString': {'$divide': ['$total', 100]}}]}, "
           "'size': {'$switch': {'branches': [{'case': {'$gte': ['$n', 2]}, 'then': 'multi'}], "
           "'default': 'single'}}}}]}",
           &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.month", "2024-01");
    ASSERT_STR(&r, "cursor.firstBatch.0.label", "2024-01: 10.1");
    ASSERT_STR(&r, "cursor.firstBatch.0.size", "single");
    ASSERT_STR(&r, "cursor.firstBatch.0.meta.src", "web");
    ASSERT_STR(&r, "cursor.firstBatch.1.month", "2024-02");
    ASSERT_STR(&r, "cursor.firstBatch.1.label", "2024-02: 12.05");
    ASSERT_STR(&r, "cursor.firstBatch.1.size", "multi");
    ASSERT_STR(&r, "cursor.firstBatch.1.meta.src", "app");
    ck_assert(fx_bool(&r, "cursor.firstBatch.1.meta.coupon"));
    ASSERT_INT(&r, "cursor.firstBatch.1.total", 1205);
    ck_assert(!fx_has(&r, "cursor.firstBatch.2"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_one_evaluator_everywhere)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    /* a find projection */
    CMD_OK(c, DB,
           "{'find': 'orders', 'filter': {'_id': 3}, 'projection': {'_id': 0, "
           "'d': {'$dateToParts': {'date': '$at', 'iso8601': true}}, "
           "'r': {'$round': [{'$divide': ['$amt', 100]}, 0]}}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.d.isoWeekYear", 2024);
    ASSERT_INT(&r, "cursor.firstBatch.0.d.isoWeek", 5);
    ASSERT_INT(&r, "cursor.firstBatch.0.d.isoDayOfWeek", 6);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.r", BSON_TYPE_DOUBLE);
    ck_assert(fx_double(&r, "cursor.firstBatch.0.r") == 7.0);
    bson_destroy(&r);
    /* $expr in a filter, with $let */
    CMD_OK(c, DB,
           "{'count': 'orders', 'query': {'$expr': {'$let': {'vars': {'m': {'$month': '$at'}}, "
           "'in': {'$eq': ['$$m', 1]}}}}}",
           &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    /* a pipeline-style update */
    CMD_OK(c, DB,
           "{'update': 'orders', 'updates': [{'q': {'_id': 1}, 'u': [{'$set': {'due': "
           "{'$dateAdd': {'startDate': '$at', 'unit': 'month', 'amount': 1}}, 'tax': "
           "{'$multiply': ['$amt', {'$numberDecimal': '0.2'}]}}}]}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'orders', 'filter': {'_id': 1}}", &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.due", BSON_TYPE_DATE_TIME);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.tax", BSON_TYPE_DECIMAL128);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'orders', 'cursor': {}, 'pipeline': [{'$match': {'_id': 1}}, "
           "{'$project': {'t': {'$toString': '$tax'}, 'due': {'$toLong': '$due'}}}]}",
           &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.t", "202.0");
    ck_assert_int_eq(fx_int(&r, "cursor.firstBatch.0.due"), 1707991200000LL); /* 2024-02-15 */
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_errors_reach_the_client)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    CMD_ERR(c, DB,
            "{'aggregate': 'orders', 'cursor': {}, 'pipeline': [{'$project': {'x': "
            "{'$divide': ['$_id', 0]}}}]}",
            &r, 16608, "Location16608");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'orders', 'cursor': {}, 'pipeline': [{'$project': {'x': "
            "{'$toInt': 'abc'}}}]}",
            &r, 241, "ConversionFailure");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'orders', 'cursor': {}, 'pipeline': [{'$project': {'x': "
            "{'$year': {'date': '$at', 'timezone': 'Nowhere/Town'}}}}]}",
            &r, 40485, "Location40485");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = it_tcase(s, "expr", true);
    tcase_add_test(tc, test_reporting_pipeline);
    tcase_add_test(tc, test_one_evaluator_everywhere);
    tcase_add_test(tc, test_errors_reach_the_client);
    return it_main(s);
}
