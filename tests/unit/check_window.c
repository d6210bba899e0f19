/*
 * tests/unit/check_window.c -- $setWindowFields, the $group accumulators and their arithmetic
 * (src/worker/agg/stage_window.c, window_ops.c, accum.c, accum_n.c, src/worker/query/stats.c,
 * expr_accum.c).
 *
 * Three tables: pipelines over in-memory inputs (agg_case.h) for the stage's edge cases (empty
 * input, empty windows, null and missing partition keys and values, wrong types, windows past
 * either end) and the accumulators' (overflow, decimals, ties, n per group); the accumulator
 * expressions in $project form (expr_case.h); and the sum/percentile/`n` arithmetic called
 * directly.
 */
#include "agg_case.h"
#include "expr_case.h"

#include "../../src/worker/query/stats.h"
#include "../../src/worker/query/tdigest.h"

#include <math.h>

#define SWF(spec) "[{'$setWindowFields': " spec "}]"

static const acase_t cases[] = {
    /* an empty input gives nothing; so does a partition nobody fills */
    {"[]", SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$rank': {}}}}"), "[]", 0},
    /* missing and null partition keys are one partition, before the numbers */
    {"[{'_id': 1, 'k': 1}, {'_id': 2}, {'_id': 3, 'k': null}]",
     SWF("{'partitionBy': '$k', 'output': {'n': {'$count': {}}}}"),
     "[{'_id': 2, 'n': 2}, {'_id': 3, 'k': null, 'n': 2}, {'_id': 1, 'k': 1, 'n': 1}]", 0},
    /* a constant partition is one partition; input order is kept without sortBy */
    {"[{'_id': 2, 'v': 1}, {'_id': 1, 'v': 2}]",
     SWF("{'partitionBy': 'c', 'output': {'p': {'$push': '$v'}}}"),
     "[{'_id': 2, 'v': 1, 'p': [1, 2]}, {'_id': 1, 'v': 2, 'p': [1, 2]}]", 0},
    /* windows entirely past either end of the partition are empty */
    {"[{'_id': 1, 'v': 1}, {'_id': 2, 'v': 2}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'s': {'$sum': '$v', 'window': {'documents': [5, "
         "9]}}, 'a': {'$avg': '$v', 'window': {'documents': [-9, -5]}}, 'm': {'$min': '$v', "
         "'window': {'documents': [2, 'unbounded']}}, 'p': {'$push': '$v', 'window': "
         "{'documents': [1, 1]}}, 'f': {'$first': '$v', 'window': {'documents': [1, 1]}}, "
         "'t': {'$topN': {'n': 1, 'sortBy': {'v': 1}, 'output': '$v'}, 'window': {'documents': "
         "[1, 1]}}, 'b': {'$bottom': {'sortBy': {'v': 1}, 'output': '$v'}, 'window': "
         "{'documents': [1, 1]}}, 'md': {'$median': {'input': '$v', 'method': 'approximate'}, "
         "'window': {'documents': [1, 1]}}}}"),
     "[{'_id': 1, 'v': 1, 's': 0, 'a': null, 'm': null, 'p': [2], 'f': 2, 't': [2], 'b': 2, "
     "'md': 2.0}, {'_id': 2, 'v': 2, 's': 0, 'a': null, 'm': null, 'p': [], 'f': null, 't': [], "
     "'b': null, 'md': null}]",
     0},
    /* sliding windows take their oldest values out: the type narrows again, a NaN leaves */
    {"[{'_id': 1, 'v': 1}, {'_id': 2, 'v': 2.5}, {'_id': 3, 'v': {'$numberLong': '3'}}, "
     "{'_id': 4, 'v': 4}, {'_id': 5, 'v': {'$numberDouble': 'NaN'}}, {'_id': 6, 'v': 1}, "
     "{'_id': 7, 'v': 1}]",
     "[{'$setWindowFields': {'sortBy': {'_id': 1}, 'output': {'s': {'$sum': '$v', 'window': "
     "{'documents': [-1, 0]}}, 'a': {'$avg': '$v', 'window': {'documents': [-1, 0]}}}}}, "
     "{'$project': {'s': 1, 'a': 1}}]",
     "[{'_id': 1, 's': 1, 'a': 1.0}, {'_id': 2, 's': 3.5, 'a': 1.75}, {'_id': 3, 's': 5.5, 'a': "
     "2.75}, {'_id': 4, 's': {'$numberLong': '7'}, 'a': 3.5}, {'_id': 5, 's': {'$numberDouble': "
     "'NaN'}, 'a': {'$numberDouble': 'NaN'}}, {'_id': 6, 's': {'$numberDouble': 'NaN'}, 'a': "
     "{'$numberDouble': 'NaN'}}, {'_id': 7, 's': 2, 'a': 1.0}]",
     0},
    /* suffix windows (run backwards for $sum, forwards for $push) */
    {"[{'_id': 1, 'v': 1}, {'_id': 2, 'v': 2}, {'_id': 3, 'v': 4}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'s': {'$sum': '$v', 'window': {'documents': "
         "['current', 'unbounded']}}, 'p': {'$push': '$v', 'window': {'documents': [1, "
         "'unbounded']}}}}"),
     "[{'_id': 1, 'v': 1, 's': 7, 'p': [2, 4]}, {'_id': 2, 'v': 2, 's': 6, 'p': [4]}, "
     "{'_id': 3, 'v': 4, 's': 4, 'p': []}]",
     0},
    /* range windows: 'current' is the current document, ties beyond it are not included */
    {"[{'_id': 1, 'x': 1}, {'_id': 2, 'x': 1}, {'_id': 3, 'x': 3}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'c': {'$push': '$_id', 'window': {'range': "
         "['current', 1]}}}}"),
     "[{'_id': 1, 'x': 1, 'c': [1, 2]}, {'_id': 2, 'x': 1, 'c': [2]}, {'_id': 3, 'x': 3, 'c': "
     "[3]}]",
     0},
    /* range with a decimal offset and mixed numeric types */
    {"[{'_id': 1, 'x': 1}, {'_id': 2, 'x': {'$numberLong': '2'}}, {'_id': 3, 'x': 2.5}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'c': {'$count': {}, 'window': {'range': "
         "[{'$numberDecimal': '-1.5'}, 0]}}}}"),
     "[{'_id': 1, 'x': 1, 'c': 1}, {'_id': 2, 'x': {'$numberLong': '2'}, 'c': 2}, "
     "{'_id': 3, 'x': 2.5, 'c': 3}]",
     0},
    /* the sum of a window widens as $group's does */
    {"[{'_id': 1, 'v': 2147483647}, {'_id': 2, 'v': 1}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'s': {'$sum': '$v', 'window': {'documents': "
         "['unbounded', 'current']}}}}"),
     "[{'_id': 1, 'v': 2147483647, 's': 2147483647}, {'_id': 2, 'v': 1, 's': {'$numberLong': "
     "'2147483648'}}]",
     0},
    /* $expMovingAvg turns decimal once a decimal comes in */
    {"[{'_id': 1, 'v': 2}, {'_id': 2, 'v': {'$numberDecimal': '4'}}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'e': {'$expMovingAvg': {'input': '$v', 'alpha': "
         "0.5}}}}"),
     "[{'_id': 1, 'v': 2, 'e': 2.0}, {'_id': 2, 'v': {'$numberDecimal': '4'}, 'e': "
     "{'$numberDecimal': '3.000000000000000'}}]",
     0},
    /* ranks treat null and missing as one value */
    {"[{'_id': 1}, {'_id': 2, 'x': null}, {'_id': 3, 'x': 1}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'r': {'$denseRank': {}}}}"),
     "[{'_id': 1, 'r': 1}, {'_id': 2, 'x': null, 'r': 1}, {'_id': 3, 'x': 1, 'r': 2}]", 0},
    /* $linearFill leaves the ends it cannot bracket null */
    {"[{'_id': 1, 'x': 1}, {'_id': 2, 'x': 2, 'y': 4}, {'_id': 3, 'x': 3}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'y': {'$linearFill': '$y'}}}"),
     "[{'_id': 1, 'x': 1, 'y': null}, {'_id': 2, 'x': 2, 'y': 4}, {'_id': 3, 'x': 3, 'y': "
     "null}]",
     0},
    /* a window's $first/$last answer a missing value as missing: the field is left out */
    {"[{'_id': 1}, {'_id': 2, 'v': 2}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'f': {'$first': '$v'}, 'l': {'$last': '$v', "
         "'window': {'documents': [0, 0]}}}}"),
     "[{'_id': 1}, {'_id': 2, 'v': 2, 'l': 2}]", 0},
    /* the output replaces an existing field in place */
    {"[{'_id': 1, 'r': 'old', 'z': 1}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'r': {'$documentNumber': {}}}}"),
     "[{'_id': 1, 'r': 1, 'z': 1}]", 0},
    /* decimal inputs: $derivative, $integral and $covariance* compute in decimal (mongod's Value
     * arithmetic), $stdDev* in double */
    {"[{'_id': 1, 'x': 1, 'y': {'$numberDecimal': '0.1'}}, {'_id': 2, 'x': 3, 'y': "
     "{'$numberDecimal': '0.4'}}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'d': {'$derivative': {'input': '$y'}, 'window': "
         "{'documents': [-1, 0]}}, 'i': {'$integral': {'input': '$y'}}, 'c': "
         "{'$covariancePop': ['$x', '$y']}, 's': {'$covarianceSamp': ['$x', '$y']}, 'sd': "
         "{'$stdDevPop': '$y'}}}"),
     "[{'_id': 1, 'x': 1, 'y': {'$numberDecimal': '0.1'}, 'd': null, 'i': {'$numberDecimal': "
     "'0.5'}, 'c': {'$numberDecimal': '0.15'}, 's': {'$numberDecimal': '0.30'}, 'sd': "
     "0.15000000000000002}, {'_id': 2, 'x': 3, 'y': {'$numberDecimal': '0.4'}, 'd': "
     "{'$numberDecimal': '0.15'}, 'i': {'$numberDecimal': '0.5'}, 'c': {'$numberDecimal': "
     "'0.15'}, 's': {'$numberDecimal': '0.30'}, 'sd': 0.15000000000000002}]",
     0},
    /* $min/$max over sliding windows (the deque): nulls and missing skipped, equal values of
     * other types keep the earliest, empty windows null */
    {"[{'_id': 1, 'v': 3}, {'_id': 2, 'v': null}, {'_id': 3, 'v': 1}, {'_id': 4, 'v': "
     "1.0}, {'_id': 5}, {'_id': 6, 'v': 5}, {'_id': 7, 'v': {'$numberLong': '1'}}]",
     SWF("{'sortBy': {'_id': 1}, 'output': {'m': {'$min': '$v', 'window': {'documents': [-1, 1]}}, "
         "'x': {'$max': '$v', 'window': {'documents': [-1, 1]}}, 'z': {'$min': '$v', 'window': "
         "{'documents': [0, 0]}}}}"),
     "[{'_id': 1, 'v': 3, 'm': 3, 'x': 3, 'z': 3}, {'_id': 2, 'v': null, 'm': 1, 'x': "
     "3, 'z': null}, {'_id': 3, 'v': 1, 'm': 1, 'x': 1, 'z': 1}, {'_id': 4, 'v': 1.0, "
     "'m': 1, 'x': 1, 'z': 1.0}, {'_id': 5, 'm': 1.0, 'x': 5, 'z': null}, {'_id': 6, '"
     "v': 5, 'm': {'$numberLong': '1'}, 'x': 5, 'z': 5}, {'_id': 7, 'v': {'$numberLong"
     "': '1'}, 'm': {'$numberLong': '1'}, 'x': 5, 'z': {'$numberLong': '1'}}]",
     0},
    /* errors raised while running */
    {"[{'_id': 1, 'k': [1]}]", SWF("{'partitionBy': '$k', 'output': {'n': {'$count': {}}}}"), NULL,
     14},
    {"[{'_id': 1, 'x': 'a'}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'n': {'$count': {}, 'window': {'range': [0, 1]}}}}"),
     NULL, 5429414},
    {"[{'_id': 1, 'x': 1}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'n': {'$integral': {'input': '$x', 'unit': "
         "'day'}}}}"),
     NULL, 5423901},
    {"[{'_id': 1, 'x': 'a', 'y': 1}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'n': {'$derivative': {'input': '$y'}, 'window': "
         "{'documents': [0, 0]}}}}"),
     NULL, 5624902},
    {"[{'_id': 1, 'x': 1, 'y': 'a'}]",
     SWF("{'sortBy': {'x': 1}, 'output': {'y': {'$linearFill': '$y'}}}"), NULL, 14},
    {"[{'_id': 1}]", SWF("{'output': {'n': {'$firstN': {'input': 1, 'n': 1.5}}}}"), NULL, 5787902},
    {"[]", SWF("{'output': {'$n': {'$count': {}}}}"), NULL, 16410},
    {"[]", SWF("{'output': {'n': 1}}"), NULL, 9},
    {"[]", SWF("{'output': {'n': {'$count': 1}}}"), NULL, 9},
    {"[]",
     SWF("{'sortBy': {'x': -1}, 'output': {'n': {'$count': {}, 'window': {'range': [0, "
         "1]}}}}"),
     NULL, 8947401},
    {"[]",
     SWF("{'sortBy': {'d': 1}, 'output': {'n': {'$count': {}, 'window': {'range': [0, 1], "
         "'unit': 'fortnight'}}}}"),
     NULL, 9},

    /* ---- $group ---- */
    /* int64 totals past int64 become a double; decimals stay exact */
    {"[{'v': {'$numberLong': '9223372036854775807'}}, {'v': 1}, {'v': -1}]",
     "[{'$group': {'_id': null, 's': {'$sum': '$v'}}}]",
     "[{'_id': null, 's': {'$numberLong': '9223372036854775807'}}]", 0},
    {"[{'v': {'$numberDecimal': '0.1'}}, {'v': {'$numberDecimal': '0.2'}}, {'v': 1}]",
     "[{'$group': {'_id': null, 's': {'$sum': '$v'}, 'a': {'$avg': '$v'}}}]",
     "[{'_id': null, 's': {'$numberDecimal': '1.3'}, 'a': {'$numberDecimal': "
     "'0.4333333333333333333333333333333333'}}]",
     0},
    {"[{'v': 1e308}, {'v': 1e308}, {'v': -1e308}]",
     "[{'$group': {'_id': null, 's': {'$sum': '$v'}}}]",
     "[{'_id': null, 's': {'$numberDouble': 'Infinity'}}]", 0},
    /* a NaN makes the sum NaN, while the percentile algorithms skip it (mongod's t-digest) */
    {"[{'v': {'$numberDouble': 'NaN'}}, {'v': 1}]",
     "[{'$group': {'_id': null, 's': {'$sum': '$v'}, 'm': {'$median': {'input': '$v', "
     "'method': 'approximate'}}}}]",
     "[{'_id': null, 's': {'$numberDouble': 'NaN'}, 'm': 1.0}]", 0},
    /* $maxN keeps the n largest, $minN ignores null and missing */
    {"[{'v': 3}, {'v': null}, {'v': 'a'}, {}, {'v': 1}]",
     "[{'$group': {'_id': null, 'mx': {'$maxN': {'n': 2, 'input': '$v'}}, 'mn': {'$minN': "
     "{'n': 5, 'input': '$v'}}}}]",
     "[{'_id': null, 'mx': ['a', 3], 'mn': [1, 3, 'a']}]", 0},
    /* ties keep the first value seen */
    {"[{'k': 1, 'v': 'a'}, {'k': 1, 'v': 'b'}, {'k': 0, 'v': 'c'}]",
     "[{'$group': {'_id': null, 't': {'$topN': {'n': 2, 'sortBy': {'k': -1}, 'output': "
     "'$v'}}, 'b': {'$bottom': {'sortBy': {'k': -1}, 'output': '$v'}}, 'o': {'$top': "
     "{'sortBy': {'k': 1}, 'output': '$nope'}}}}]",
     "[{'_id': null, 't': ['a', 'b'], 'b': 'c', 'o': null}]", 0},
    /* n differs per group: it sees the fields of an _id document (mongod's idDoc) */
    {"[{'g': 1, 'v': 1}, {'g': 1, 'v': 2}, {'g': 2, 'v': 3}, {'g': 2, 'v': 4}]",
     "[{'$group': {'_id': {'g': '$g'}, 'l': {'$lastN': {'n': '$g', 'input': '$v'}}}}]",
     "[{'_id': {'g': 1}, 'l': [2]}, {'_id': {'g': 2}, 'l': [3, 4]}]", 0},
    {"[{'g': 'x', 'v': 1}]",
     "[{'$group': {'_id': {'g': '$g'}, 'l': {'$lastN': {'n': '$g', 'input': "
     "'$v'}}}}]",
     NULL, 5787902},
    /* a scalar _id gives n an empty document: '$g' is missing there */
    {"[{'g': 1, 'v': 1}]",
     "[{'$group': {'_id': '$g', 'l': {'$lastN': {'n': '$g', 'input': '$v'}}}}]", NULL, 5787902},
    {"[{'a': {'x': 1, 'y': 1}}, {'a': null}, {'a': {'y': 2, 'z': 3}}]",
     "[{'$group': {'_id': null, 'm': {'$mergeObjects': '$a'}}}]",
     "[{'_id': null, 'm': {'x': 1, 'y': 2, 'z': 3}}]", 0},
    /* $bucket takes the new accumulators too */
    {"[{'v': 1}, {'v': 2}, {'v': 7}]",
     "[{'$bucket': {'groupBy': '$v', 'boundaries': [0, 5, 10], 'output': {'p': "
     "{'$percentile': {'input': '$v', 'p': [0, 1], 'method': 'approximate'}}}}}]",
     "[{'_id': 0, 'p': [1.0, 2.0]}, {'_id': 5, 'p': [7.0, 7.0]}]", 0},
};

START_TEST(test_table)
{
    agg_case_run(&cases[_i], _i);
}
END_TEST

static const expr_case_t expr_cases[] = {
    {"{}", "{\"$$sum\": [1, {\"$numberLong\": \"2\"}]}", "{\"v\": {\"$numberLong\": \"3\"}}", 0},
    {"{\"a\": [1, 2.5]}", "{\"$$sum\": \"$a\"}", "{\"v\": 3.5}", 0},
    {"{\"a\": [1, 2]}", "{\"$$sum\": [\"$a\", 1]}", "{\"v\": 1}", 0},
    {"{}", "{\"$$sum\": \"$nope\"}", "{\"v\": 0}", 0},
    {"{}", "{\"$$avg\": [1, 2, \"x\"]}", "{\"v\": 1.5}", 0},
    {"{}", "{\"$$avg\": \"x\"}", "{\"v\": null}", 0},
    {"{}", "{\"$$stdDevSamp\": [[1, 3]]}", "{\"v\": 1.4142135623730951}", 0},
    {"{}", "{\"$$stdDevPop\": []}", "{\"v\": null}", 0},
    {"{\"a\": 5}",
     "{\"$$percentile\": {\"input\": \"$a\", \"p\": [0, 0.5], \"method\": \"approximate\"}}",
     "{\"v\": [5.0, 5.0]}", 0},
    {"{}",
     "{\"$$percentile\": {\"input\": [4, 1, 3, 2], \"p\": [0.25, 0.5, 0.75, 1], \"method\": "
     "\"approximate\"}}",
     "{\"v\": [1.0, 2.0, 3.0, 4.0]}", 0},
    {"{}", "{\"$$median\": {\"input\": \"x\", \"method\": \"approximate\"}}", "{\"v\": null}", 0},
    {"{}", "{\"$$median\": 5}", NULL, 7436201},
    {"{}",
     "{\"$$percentile\": {\"input\": [1, 2], \"p\": [{\"$$divide\": [1, 2]}], \"method\": "
     "\"approximate\"}}",
     "{\"v\": [1.0]}", 0},
    {"{}", "{\"$$percentile\": {\"input\": [1, 2], \"p\": \"$p\", \"method\": \"approximate\"}}",
     NULL, 7750300},
    {"{}", "{\"$$percentile\": [1]}", NULL, 7436200},
    {"{}", "{\"$$percentile\": {\"input\": 1, \"p\": [], \"method\": \"approximate\"}}", NULL,
     7750301},
    {"{}", "{\"$$percentile\": {\"input\": 1, \"p\": [0.5], \"p\": [0.5], \"method\": \"a\"}}",
     NULL, 40413},
    {"{}", "{\"$$median\": {\"method\": \"approximate\"}}", NULL, 40414},
    {"{}", "{\"$$minN\": {\"input\": [3, 1], \"n\": 1}}", "{\"v\": [1]}", 0},
};

START_TEST(test_expressions)
{
    expr_cases_run(expr_cases, sizeof(expr_cases) / sizeof(expr_cases[0]));
}
END_TEST

/* sum_of -- the $sum of values given as an extended-JSON array. */
static void
sum_of(const char *arr, bool avg, bson_value_t *out)
{
    char *j = bson_strdup_printf("{\"v\": %s}", arr);
    bson_t *b = bson_new_from_json((const uint8_t *)j, -1, NULL);
    bson_iter_t it, a;
    wk_sum_t s;

    ck_assert(b != NULL && bson_iter_init_find(&it, b, "v") && bson_iter_recurse(&it, &a));
    wk_sum_init(&s);
    while (bson_iter_next(&a))
        wk_sum_add(&s, bson_iter_value(&a));
    if (avg)
        wk_sum_avg(&s, out);
    else
        wk_sum_value(&s, out);
    bson_destroy(b);
    bson_free(j);
}

START_TEST(test_sum_arithmetic)
{
    bson_value_t v;

    /* a long run of doubles keeps what a double can show (double-double total) */
    {
        wk_sum_t s;
        bson_value_t x = {.value_type = BSON_TYPE_DOUBLE};

        wk_sum_init(&s);
        for (int i = 0; i < 10; i++) {
            x.value.v_double = 0.1;
            wk_sum_add(&s, &x);
        }
        wk_sum_value(&s, &v);
        ck_assert_int_eq(v.value_type, BSON_TYPE_DOUBLE);
        ck_assert(v.value.v_double == 1.0);
    }
    sum_of("[{\"$numberLong\": \"-9223372036854775808\"}, -1]", false, &v);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DOUBLE);
    ck_assert(v.value.v_double == -9223372036854775809.0);
    sum_of("[-2147483648, -1, 1]", false, &v);
    ck_assert_int_eq(v.value_type, BSON_TYPE_INT32);
    ck_assert_int_eq(v.value.v_int32, -2147483648);
    sum_of("[\"x\", null, true]", false, &v);
    ck_assert_int_eq(v.value_type, BSON_TYPE_INT32);
    ck_assert_int_eq(v.value.v_int32, 0);
    sum_of("[1, 2]", true, &v);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DOUBLE);
    ck_assert(v.value.v_double == 1.5);
    sum_of("[{\"$numberLong\": \"9223372036854775807\"}, {\"$numberLong\": "
           "\"9223372036854775807\"}, {\"$numberDecimal\": \"0\"}]",
           false, &v);
    ck_assert_int_eq(v.value_type, BSON_TYPE_DECIMAL128);
    {
        char buf[BSON_DECIMAL128_STRING];

        bson_decimal128_to_string(&v.value.v_decimal128, buf);
        ck_assert_str_eq(buf, "18446744073709551614");
    }
}
END_TEST

/* digest_feed -- n values of a fixed permutation of 0.5 .. 10006.5 (each once per 10007). */
static void
digest_feed(wk_tdigest_t *d, int from, int to)
{
    for (int i = from; i < to; i++)
        wk_tdigest_add(d, (double)((i * 7919) % 10007) + 0.5);
}

/* The expected numbers were computed by an independent transcription of mongod's t-digest
 * (k2, delta 1000, buffer 5000): below ~1000 inputs the digest is exact, above it the
 * centroids merge and the answers interpolate, and reading mid-way (a window growing by one
 * document) merges the buffer early, which changes later answers as it does in mongod. */
START_TEST(test_tdigest)
{
    static const double ps[] = {0.01, 0.25, 0.5, 0.9, 0.999};
    static const double at800[] = {86.5, 2501.5, 5003.5, 9006.5, 9997.5};
    static const double at20000[] = {99.900000000000006, 2501.5051020408164, 5003.6198198198199,
                                     9006.6400735294137, 9996.5};
    wk_tdigest_t d;
    double v, vals[800];

    wk_tdigest_init(&d);
    ck_assert(!wk_tdigest_percentile(&d, 0.5, &v));
    digest_feed(&d, 0, 800);
    for (int i = 0; i < 800; i++)
        vals[i] = (double)((i * 7919) % 10007) + 0.5;
    for (int k = 0; k < 5; k++) {
        ck_assert(wk_tdigest_percentile(&d, ps[k], &v));
        ck_assert_double_eq(v, at800[k]);
        ck_assert_double_eq(v, wk_percentile_of(vals, 800, ps[k], k > 0)); /* exact here */
    }
    wk_tdigest_free(&d);

    digest_feed(&d, 0, 20000);
    for (int k = 0; k < 5; k++) {
        ck_assert(wk_tdigest_percentile(&d, ps[k], &v));
        ck_assert_double_eq(v, at20000[k]);
    }
    ck_assert_int_le((long)d.ncen, 2000);
    wk_tdigest_free(&d);

    for (int i = 0; i < 12000; i++) { /* read every 997 inputs, as a growing window does */
        digest_feed(&d, i, i + 1);
        if (i % 997 == 0)
            ck_assert(wk_tdigest_percentile(&d, 0.5, &v));
    }
    ck_assert_double_eq(v, 5004.6055363321802);
    ck_assert(wk_tdigest_percentile(&d, 0.5, &v));
    ck_assert_double_eq(v, 5003.3235294117649);
    wk_tdigest_free(&d);

    /* NaN is no input; infinities are answered, never interpolated with. */
    wk_tdigest_add(&d, NAN);
    ck_assert(!wk_tdigest_percentile(&d, 0.5, &v));
    wk_tdigest_add(&d, -INFINITY);
    wk_tdigest_add(&d, 1);
    wk_tdigest_add(&d, 2);
    wk_tdigest_add(&d, INFINITY);
    ck_assert_int_eq(wk_tdigest_count(&d), 4);
    ck_assert(wk_tdigest_percentile(&d, 0.25, &v) && isinf(v) && v < 0);
    ck_assert(wk_tdigest_percentile(&d, 0.5, &v) && v == 1);
    ck_assert(wk_tdigest_percentile(&d, 0.75, &v) && v == 2);
    ck_assert(wk_tdigest_percentile(&d, 1, &v) && isinf(v) && v > 0);
    wk_tdigest_free(&d);
    wk_tdigest_add(&d, -5); /* the maximum of negative inputs is negative */
    wk_tdigest_add(&d, -3);
    ck_assert(wk_tdigest_percentile(&d, 1, &v) && v == -3);
    ck_assert(wk_tdigest_percentile(&d, 0, &v) && v == -5);
    wk_tdigest_free(&d);
}
END_TEST

START_TEST(test_percentile_and_n)
{
    double vals[] = {5, 1, 4, 2, 3};
    bson_value_t v = {.value_type = BSON_TYPE_DOUBLE};
    sdb_error_t err = {0};
    int64_t n = 0;

    ck_assert(wk_percentile_of(vals, 5, 0, false) == 1);
    ck_assert(wk_percentile_of(vals, 5, 0.2, true) == 1);
    ck_assert(wk_percentile_of(vals, 5, 0.21, true) == 2);
    ck_assert(wk_percentile_of(vals, 5, 0.5, true) == 3);
    ck_assert(wk_percentile_of(vals, 5, 1, true) == 5);
    v.value.v_double = 3.0;
    ck_assert_int_eq(wk_stats_check_n(&v, &n, &err), 0);
    ck_assert_int_eq(n, 3);
    v.value.v_double = 3.5;
    ck_assert_int_ne(wk_stats_check_n(&v, &n, &err), 0);
    ck_assert_int_eq(err.code, 5787902);
    v.value.v_double = -1;
    ck_assert_int_ne(wk_stats_check_n(&v, &n, &err), 0);
    ck_assert_int_eq(err.code, 5787908);
    v.value.v_double = NAN;
    ck_assert_int_ne(wk_stats_check_n(&v, &n, &err), 0);
    ck_assert_int_eq(err.code, 5787902);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_expressions);
    tcase_add_test(tc, test_sum_arithmetic);
    tcase_add_test(tc, test_percentile_and_n);
    tcase_add_test(tc, test_tdigest);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
