/*
 * tests/bench/bench_planner.c -- `make bench`: what the planner's index plans cost, measured.
 *
 * Loads N documents {_id, k: a unique secondary value, g: i % 100, u: i} with indexes {k: 1},
 * {u: 1} and {g: 1, u: -1}, then times, in the same run: find by _id equality (the
 * baseline), find by secondary-index equality on k (ratio to _id), a range on u returning 100
 * documents, and {g: 7} sorted by u with limit 10 (the compound index gives the order).  For
 * the last two explain's executionStats says how many keys and documents the read examined.
 * Then the same 100-document range projected to {u, _id: 0} (covered: PROJECTION_COVERED, no
 * document read) against {u} (_id kept: FETCH), in three interleaved rounds, with the ratio of
 * their medians.
 * Each time is the mean over QUERIES queries on one connection.  Numbers are printed, never
 * asserted.  Usage: bench_planner [--docs N]
 */
#include "../integration/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERIES 2000

static const char *const quiet[] = {"--quiet", NULL};

/* load -- n documents in batches of 1000. */
static void
fill(bson_t *d, long id, long n, void *arg)
{
    (void)arg;
    BSON_APPEND_INT64(d, "k", (id * 7919) % n); /* a permutation when n is not 7919k */
    BSON_APPEND_INT32(d, "g", (int32_t)(id % 100));
    BSON_APPEND_INT64(d, "u", id);
}

static int
load(mongoc_client_t *c, long n)
{
    return fx_load(c, "bench", "p", n, fill, NULL);
}

/* run_find -- one find command (JSON with one or two %ld: v, then v + 100); its documents
 * or < 0. */
static long
run_find(mongoc_client_t *c, const char *fmt, long v)
{
    char json[512];
    bson_t reply;
    bson_error_t err;
    bson_iter_t it, arr;
    long n = 0;

    snprintf(json, sizeof(json), fmt, v, v + 100);
    if (!fx_cmd(c, "bench", json, &reply, &err)) {
        fprintf(stderr, "bench_planner: %s: %s\n", json, err.message);
        bson_destroy(&reply);
        return -1;
    }
    if (bson_iter_init_find(&it, &reply, "cursor") && bson_iter_recurse(&it, &arr) &&
        bson_iter_find(&arr, "firstBatch") && bson_iter_recurse(&arr, &it))
        while (bson_iter_next(&it))
            n++;
    bson_destroy(&reply);
    return n;
}

/* mean_us -- the mean time of QUERIES finds over values spread through [0, n). */
static double
mean_us(mongoc_client_t *c, const char *fmt, long n, long *docs)
{
    double t0 = fx_now_ms();

    *docs = 0;
    for (long q = 0; q < QUERIES; q++) {
        long got = run_find(c, fmt, (q * 7877) % n);
        if (got < 0)
            return -1;
        *docs += got;
    }
    return (fx_now_ms() - t0) * 1000.0 / QUERIES;
}

/* examined -- explain's totalKeysExamined and totalDocsExamined of one find. */
static void
examined(mongoc_client_t *c, const char *find_json, long *keys, long *docs)
{
    char json[640];
    bson_t reply;
    bson_error_t err;

    snprintf(json, sizeof(json), "{'explain': %s, 'verbosity': 'executionStats'}", find_json);
    *keys = *docs = -1;
    if (fx_cmd(c, "bench", json, &reply, &err)) {
        *keys = (long)fx_int(&reply, "executionStats.totalKeysExamined");
        *docs = (long)fx_int(&reply, "executionStats.totalDocsExamined");
    } else {
        fprintf(stderr, "bench_planner: explain: %s\n", err.message);
    }
    bson_destroy(&reply);
}

static int
dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* covered_vs_fetch -- the range on u, covered and with FETCH: medians of 3 rounds. */
static void
covered_vs_fetch(mongoc_client_t *c, long n)
{
    static const char *const fmt[2] = {
        "{'find': 'p', 'filter': {'u': {'$gte': %ld, '$lt': %ld}}, "
        "'projection': {'u': 1, '_id': 0}}",
        "{'find': 'p', 'filter': {'u': {'$gte': %ld, '$lt': %ld}}, 'projection': {'u': 1}}",
    };
    static const char *const name[2] = {"covered range, 100 docs ({u: 1, _id: 0})",
                                        "same range with FETCH ({u: 1})"};
    double t[2][3], med[2];
    long docs, keys, kd;
    char json[256];

    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 2; k++)
            t[k][r] = mean_us(c, fmt[k], n - 100, &docs);
    for (int k = 0; k < 2; k++) {
        qsort(t[k], 3, sizeof(double), dbl_cmp);
        med[k] = t[k][1];
        snprintf(json, sizeof(json), fmt[k], 5000L, 5100L);
        examined(c, json, &keys, &kd);
        printf("  %-52s %8.1f us  (median of 3: %.1f %.1f %.1f)  keys %ld, docs %ld\n", name[k],
               med[k], t[k][0], t[k][1], t[k][2], keys, kd);
    }
    printf("  %-52s %8.2f\n", "covered / FETCH (medians)", med[1] > 0 ? med[0] / med[1] : 0);
}

int
main(int argc, char **argv)
{
    long n = 100000, docs, keys, kd;
    double id_us, us;
    mongoc_client_t *c;
    fx_server_t s;
    bson_t reply;
    bson_error_t err;
    char json[256];

    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--docs") == 0)
            n = atol(argv[++i]);
    mongoc_init();
    if (fx_server_init(&s, 1) != 0)
        return 1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0)
        return 1;
    c = fx_client(&s);
    if (load(c, n) != 0)
        return 1;
    if (!fx_cmd(c, "bench",
                "{'createIndexes': 'p', 'indexes': [{'key': {'k': 1}, 'name': 'k_1'}, "
                "{'key': {'u': 1}, 'name': 'u_1'}, {'key': {'g': 1, 'u': -1}, 'name': 'g_u'}]}",
                &reply, &err)) {
        fprintf(stderr, "bench_planner: createIndexes: %s\n", err.message);
        return 1;
    }
    bson_destroy(&reply);
    printf("bench_planner: %ld documents, mean of %d queries each\n", n, QUERIES);
    id_us = mean_us(c, "{'find': 'p', 'filter': {'_id': %ld}}", n, &docs);
    printf("  %-52s %8.1f us  %7ld docs\n", "find by _id equality (baseline)", id_us, docs);
    us = mean_us(c, "{'find': 'p', 'filter': {'k': %ld}}", n, &docs);
    printf("  %-52s %8.1f us  %7ld docs  ratio %.2f\n", "find by secondary-index equality (k_1)",
           us, docs, id_us > 0 ? us / id_us : 0);
    snprintf(json, sizeof(json), "{'find': 'p', 'filter': {'u': {'$gte': 5000, '$lt': 5100}}}");
    us = mean_us(c, "{'find': 'p', 'filter': {'u': {'$gte': %ld, '$lt': %ld}}}", n - 100, &docs);
    examined(c, json, &keys, &kd);
    printf("  %-52s %8.1f us  %7ld docs  keys examined %ld, docs %ld\n",
           "range on u returning 100 documents", us, docs / QUERIES, keys, kd);
    us = mean_us(c, "{'find': 'p', 'filter': {'g': %ld}, 'sort': {'u': -1}, 'limit': 10}", 100,
                 &docs);
    examined(c, "{'find': 'p', 'filter': {'g': 7}, 'sort': {'u': -1}, 'limit': 10}", &keys, &kd);
    printf("  %-52s %8.1f us  %7ld docs  keys examined %ld, docs %ld\n",
           "compound index sort + limit 10 ({g: 1, u: -1})", us, docs / QUERIES, keys, kd);
    covered_vs_fetch(c, n);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
