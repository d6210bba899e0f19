/*
 * tests/bench/bench_geo.c -- `make bench`: what a 2dsphere index buys geo queries, measured.
 *
 * Loads N GeoJSON points on a grid over Europe into two collections, one with a 2dsphere
 * index, and times in the same run: a $geoWithin $centerSphere of 20 km on the indexed
 * collection against the same on the unindexed one (a collection scan), and a $near with a
 * 20 km $maxDistance and limit 10 (the index scans the disc's cells) against a $near with no
 * bound and limit 10 (discs of growing radius until one holds 10 points).  The same points as
 * legacy pairs in two more collections, one with a 2d index: a $geoWithin $center of the same
 * radius in degrees with the index and by a collection scan, and an unbounded $near with limit
 * 10 on the 2d index, each printed as a ratio to that collection scan.  For each, explain's
 * executionStats gives the documents examined.  Each time is the mean over QUERIES queries on one connection.
 * Numbers are printed, never asserted.  Usage: bench_geo [--docs N]
 */
#include "../integration/fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERIES 50
#define RADIUS_M 20000.0
#define EARTH_M 6378100.0

static const char *const quiet[] = {"--quiet", NULL};

/* fill -- point id of a sqrt(n) x sqrt(n) grid over [-10, 30] x [35, 60]. */
static void
fill(bson_t *d, long id, long n, void *arg)
{
    long side = 1;
    bson_t loc, coords;

    (void)arg;
    while (side * side < n)
        side++;
    BSON_APPEND_DOCUMENT_BEGIN(d, "loc", &loc);
    BSON_APPEND_UTF8(&loc, "type", "Point");
    BSON_APPEND_ARRAY_BEGIN(&loc, "coordinates", &coords);
    BSON_APPEND_DOUBLE(&coords, "0", -10.0 + 40.0 * (double)(id % side) / (double)side);
    BSON_APPEND_DOUBLE(&coords, "1", 35.0 + 25.0 * (double)(id / side) / (double)side);
    bson_append_array_end(&loc, &coords);
    bson_append_document_end(d, &loc);
}

/* fill_flat -- the same point as a legacy pair p: [lng, lat] (for a 2d index). */
static void
fill_flat(bson_t *d, long id, long n, void *arg)
{
    long side = 1;
    bson_t p;

    (void)arg;
    while (side * side < n)
        side++;
    BSON_APPEND_ARRAY_BEGIN(d, "p", &p);
    BSON_APPEND_DOUBLE(&p, "0", -10.0 + 40.0 * (double)(id % side) / (double)side);
    BSON_APPEND_DOUBLE(&p, "1", 35.0 + 25.0 * (double)(id / side) / (double)side);
    bson_append_array_end(d, &p);
}

/* query -- the JSON of one query around the q-th center (fmt: coll, lng, lat, then the
 * radius in radians for $centerSphere, in degrees for $center, in meters otherwise). */
static void
query(char *json, size_t len, const char *fmt, const char *coll, long q)
{
    double lng = -5.0 + (double)((q * 7) % 30), lat = 40.0 + (double)((q * 3) % 15);
    double r = strstr(fmt, "$centerSphere") != NULL ? RADIUS_M / EARTH_M
               : strstr(fmt, "$center'") != NULL    ? RADIUS_M / EARTH_M * 180.0 / M_PI
                                                    : RADIUS_M;

    snprintf(json, len, fmt, coll, lng, lat, r);
}

/* mean_ms -- the mean time of QUERIES commands; *docs the documents of the last. */
static double
mean_ms(mongoc_client_t *c, const char *fmt, const char *coll, long *docs)
{
    char json[512];
    bson_t reply;
    bson_error_t err;
    double t0 = fx_now_ms();

    for (long q = 0; q < QUERIES; q++) {
        query(json, sizeof(json), fmt, coll, q);
        if (!fx_cmd(c, "bench", json, &reply, &err)) {
            fprintf(stderr, "bench_geo: %s: %s\n", json, err.message);
            bson_destroy(&reply);
            return -1;
        }
        *docs = fx_array_len(&reply, "cursor.firstBatch");
        bson_destroy(&reply);
    }
    return (fx_now_ms() - t0) / QUERIES;
}

/* examined -- explain's totalDocsExamined of the first query. */
static long
examined(mongoc_client_t *c, const char *fmt, const char *coll)
{
    char q[512], json[640];
    bson_t reply;
    bson_error_t err;
    long docs = -1;

    query(q, sizeof(q), fmt, coll, 0);
    snprintf(json, sizeof(json), "{'explain': %s, 'verbosity': 'executionStats'}", q);
    if (fx_cmd(c, "bench", json, &reply, &err))
        docs = (long)fx_int(&reply, "executionStats.totalDocsExamined");
    bson_destroy(&reply);
    return docs;
}

/* report -- one line: mean time, documents returned and examined, and the ratio of the time
 * to `base` ms when base > 0; returns the time. */
static double
report(mongoc_client_t *c, const char *what, const char *fmt, const char *coll, double base)
{
    long docs = 0;
    double ms = mean_ms(c, fmt, coll, &docs);

    printf("  %-50s %8.2f ms  %5ld docs  examined %ld", what, ms, docs, examined(c, fmt, coll));
    if (base > 0)
        printf("  (%.3fx the scan)", ms / base);
    printf("\n");
    return ms;
}

int
main(int argc, char **argv)
{
    const char *within = "{'find': '%s', 'filter': {'loc': {'$geoWithin': {'$centerSphere': "
                         "[[%f, %f], %.9f]}}}}",
               *near = "{'find': '%s', 'filter': {'loc': {'$near': {'$geometry': {'type': "
                       "'Point', 'coordinates': [%f, %f]}, '$maxDistance': %.0f}}}, 'limit': 10}",
               *near_all = "{'find': '%s', 'filter': {'loc': {'$near': {'$geometry': {'type': "
                           "'Point', 'coordinates': [%f, %f]}}}}, 'limit': 10}",
               *flat_within = "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$center': [[%f, "
                              "%f], %.9f]}}}}",
               *flat_near = "{'find': '%s', 'filter': {'p': {'$near': [%f, %f]}}, 'limit': 10}";
    long n = 50000;
    double scan;
    mongoc_client_t *c;
    fx_server_t s;
    bson_t reply;
    bson_error_t err;

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
    if (fx_load(c, "bench", "ix", n, fill, NULL) != 0 ||
        fx_load(c, "bench", "plain", n, fill, NULL) != 0 ||
        fx_load(c, "bench", "flat", n, fill_flat, NULL) != 0 ||
        fx_load(c, "bench", "flatplain", n, fill_flat, NULL) != 0)
        return 1;
    if (!fx_cmd(c, "bench",
                "{'createIndexes': 'ix', 'indexes': [{'key': {'loc': '2dsphere'}, 'name': 'g'}]}",
                &reply, &err)) {
        fprintf(stderr, "bench_geo: createIndexes: %s\n", err.message);
        return 1;
    }
    bson_destroy(&reply);
    if (!fx_cmd(c, "bench",
                "{'createIndexes': 'flat', 'indexes': [{'key': {'p': '2d'}, 'name': 'f'}]}", &reply,
                &err)) {
        fprintf(stderr, "bench_geo: createIndexes: %s\n", err.message);
        return 1;
    }
    bson_destroy(&reply);
    printf("bench_geo: %ld points, mean of %d queries each, 20 km radius\n", n, QUERIES);
    scan = report(c, "$geoWithin $centerSphere, collection scan", within, "plain", 0);
    report(c, "$geoWithin $centerSphere, 2dsphere index", within, "ix", scan);
    report(c, "$near $maxDistance limit 10, 2dsphere index", near, "ix", scan);
    report(c, "$near unbounded limit 10 (growing discs)", near_all, "ix", scan);
    scan = report(c, "$geoWithin $center, collection scan", flat_within, "flatplain", 0);
    report(c, "$geoWithin $center, 2d index", flat_within, "flat", scan);
    report(c, "$near unbounded limit 10, 2d index (growing discs)", flat_near, "flat", scan);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
