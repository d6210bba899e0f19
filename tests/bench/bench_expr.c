/*
 * tests/bench/bench_expr.c -- `make bench`: what aggregation expressions cost, measured.
 *
 * Loads N small orders {_id, at: date, amt: int, cat: string} and times, in the same run and
 * on the same collection: a plain find scan of every document (the baseline), the 5-stage
 * reporting pipeline of issue 9 ($match, $group by month, $sort, $project with $dateToString,
 * $limit), the same group by month in an Olson time zone (ICU offsets per document), and a
 * $project of arithmetic and string operators over every document with exact decimals, and two
 * $setWindowFields (a running sum with a rank; a sliding average with a time-range count).  Each
 * figure is the median of ROUNDS runs, printed with its ratio to the find scan.  Numbers are
 * printed, never asserted.  Usage: bench_expr [--docs N]
 */
#include "../integration/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 5

static const char *const quiet[] = {"--quiet", NULL};

/* load -- n orders in batches of 1000. */
static void
fill(bson_t *d, long id, long n, void *arg)
{
    (void)arg;
    (void)n;
    BSON_APPEND_DATE_TIME(d, "at", 1704067200000LL + id * 311000LL); /* from 2024 */
    BSON_APPEND_INT32(d, "amt", (int32_t)(id % 9973));
    BSON_APPEND_UTF8(d, "cat", id % 3 == 0 ? "books" : id % 3 == 1 ? "games" : "tools");
}

static int
load(mongoc_client_t *c, long n)
{
    return fx_load(c, "bench", "orders", n, fill, NULL);
}

static const struct {
    const char *name;
    const char *pipeline;
} figures[] = {
    {"find scan (baseline)", NULL},
    {"report: match, group by month, sort, project $dateToString, limit",
     "[{'$match': {'amt': {'$gte': 0}}}, {'$group': {'_id': {'y': {'$year': '$at'}, 'm': "
     "{'$month': '$at'}}, 'first': {'$min': '$at'}, 'total': {'$sum': '$amt'}}}, {'$sort': "
     "{'_id': 1}}, {'$project': {'month': {'$dateToString': {'format': '%Y-%m', 'date': "
     "'$first'}}, 'total': 1}}, {'$limit': 12}]"},
    {"group by month in Europe/Berlin ($dateToString with timezone)",
     "[{'$group': {'_id': {'$dateToString': {'format': '%Y-%m', 'date': '$at', 'timezone': "
     "'Europe/Berlin'}}, 'n': {'$sum': 1}}}]"},
    {"project arithmetic, decimal and strings over every document",
     "[{'$project': {'x': {'$multiply': ['$amt', {'$numberDecimal': '1.07'}]}, 'y': "
     "{'$round': [{'$divide': ['$amt', 7]}, 2]}, 'z': {'$concat': ['$cat', '-', {'$toString': "
     "'$amt'}]}, 'w': {'$substrCP': ['$cat', 1, 3]}}}]"},
    {"$setWindowFields: running sum and rank per category",
     "[{'$setWindowFields': {'partitionBy': '$cat', 'sortBy': {'at': 1}, 'output': {'run': "
     "{'$sum': '$amt', 'window': {'documents': ['unbounded', 'current']}}, 'r': {'$rank': "
     "{}}}}}]"},
    {"$setWindowFields: 7-document moving average and 1-day range count",
     "[{'$setWindowFields': {'partitionBy': '$cat', 'sortBy': {'at': 1}, 'output': {'avg': "
     "{'$avg': '$amt', 'window': {'documents': [-3, 3]}}, 'day': {'$count': {}, 'window': "
     "{'range': [-1, 0], 'unit': 'day'}}}}}]"},
};

int
main(int argc, char **argv)
{
    long docs = 200000, count = 0;
    double base = 0, ms;
    mongoc_client_t *c;
    fx_server_t s;

    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--docs") == 0)
            docs = atol(argv[++i]);
    mongoc_init();
    if (fx_server_init(&s, 1) != 0)
        return 1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0)
        return 1;
    c = fx_client(&s);
    if (load(c, docs) != 0)
        return 1;
    printf("bench_expr: %ld documents, median of %d runs each\n", docs, ROUNDS);
    for (size_t f = 0; f < sizeof(figures) / sizeof(figures[0]); f++) {
        ms = fx_median_ms(c, "bench", "orders", figures[f].pipeline, ROUNDS, &count);
        if (f == 0)
            base = ms;
        printf("  %-66s %9.1f ms  %7ld results  ratio %.2f\n", figures[f].name, ms, count,
               base > 0 ? ms / base : 0);
    }
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
