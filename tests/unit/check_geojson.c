/*
 * tests/unit/check_geojson.c -- unit tests for src/common/geo (GeoJSON parsing and
 * validation, the S2 shim, geo index keys).
 *
 * Every GeoJSON type parses; each kind of invalid input is refused with mongod's reason
 * (out-of-bounds coordinates, unclosed and self-crossing loops, too few vertices, holes
 * outside their shell, unknown types, non-numeric positions); the shim's predicates answer
 * known cases (containment with a hole, a crossing line, the distance between two cities to
 * a meter); a 2dsphere key pattern keys a point as one leaf cell, a polygon as a covering,
 * nothing for a document without the field, and refuses invalid geometry with 16755; a 2d
 * pattern keys each point of a multi-location document; the 2d covering of a box holds the key
 * of every point of the box (its edges included) in few ranges on a coarse or fine grid.
 * Single-threaded; no server is started.
 */
#include "../../src/common/errors.h"
#include "../../src/common/geo/geo_keys.h"
#include "../../src/common/geo/geojson.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <math.h>
#include <string.h>

/* parse -- sdb_geo_parse of the value at "g" of a JSON document; msg receives the reason. */
static int
parse(const char *json, sdb_geo_t *g, char *msg)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it;
    int r;

    ck_assert_msg(doc != NULL && bson_iter_init_find(&it, doc, "g"), "%s", json);
    r = sdb_geo_parse(bson_iter_value(&it), g, msg);
    bson_destroy(doc);
    return r;
}

static void
ok(const char *json)
{
    char msg[SDB_GEO_MSG] = "";
    sdb_geo_t g;

    ck_assert_msg(parse(json, &g, msg) == 0, "%s: %s", json, msg);
    sdb_geo_free(&g);
}

static void
refused(const char *json, const char *reason)
{
    char msg[SDB_GEO_MSG] = "";
    sdb_geo_t g;

    ck_assert_msg(parse(json, &g, msg) != 0, "%s parsed", json);
    ck_assert_msg(strstr(msg, reason) != NULL, "%s: '%s' lacks '%s'", json, msg, reason);
}

START_TEST(test_types)
{
    ok("{\"g\": {\"type\": \"Point\", \"coordinates\": [2.35, 48.85]}}");
    ok("{\"g\": [2.35, 48.85]}");
    ok("{\"g\": {\"lng\": 2.35, \"lat\": 48.85}}");
    ok("{\"g\": {\"type\": \"LineString\", \"coordinates\": [[0, 0], [1, 1], [2, 0]]}}");
    ok("{\"g\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [4, 0], [4, 4], [0, 4], "
       "[0, 0]], [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]}}");
    ok("{\"g\": {\"type\": \"MultiPoint\", \"coordinates\": [[0, 0], [1, 1]]}}");
    ok("{\"g\": {\"type\": \"MultiLineString\", \"coordinates\": [[[0, 0], [1, 1]], [[2, 2], "
       "[3, 3]]]}}");
    ok("{\"g\": {\"type\": \"MultiPolygon\", \"coordinates\": [[[[0, 0], [1, 0], [1, 1], [0, "
       "0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]}}");
    ok("{\"g\": {\"type\": \"GeometryCollection\", \"geometries\": [{\"type\": \"Point\", "
       "\"coordinates\": [0, 0]}, {\"type\": \"LineString\", \"coordinates\": [[0, 0], [1, "
       "1]]}]}}");
}
END_TEST

START_TEST(test_invalid)
{
    refused("{\"g\": {\"type\": \"Point\", \"coordinates\": [200, 10]}}",
            "longitude/latitude is out of bounds, lng: 200 lat: 10");
    refused("{\"g\": [0, -91]}", "longitude/latitude is out of bounds");
    refused("{\"g\": {\"type\": \"Point\", \"coordinates\": [\"a\", 1]}}",
            "Point must only contain numeric elements");
    refused("{\"g\": {\"type\": \"LineString\", \"coordinates\": [[0, 0]]}}",
            "at least 2 vertices");
    refused("{\"g\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [1, 1], [0, "
            "2]]]}}",
            "Loop is not closed");
    refused("{\"g\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [0, 0]]]}}",
            "at least 4 vertices");
    refused("{\"g\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [2, 2], [2, 0], [0, "
            "2], [0, 0]]]}}",
            "Loop is not valid");
    refused("{\"g\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [1, 1], [0, "
            "1], [0, 0]], [[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]]}}",
            "Secondary loops not contained by first exterior loop");
    refused("{\"g\": {\"type\": \"Circle\", \"coordinates\": [0, 0]}}", "unknown GeoJSON type");
    refused("{\"g\": \"here\"}", "geo element must be an array or object");
}
END_TEST

/* shim -- containment with a hole, a crossing line, and a known distance. */
START_TEST(test_shim)
{
    const double shell[] = {0, 0, 4, 0, 4, 4, 0, 4, 0, 0}, hole[] = {1, 1, 2, 1, 2, 2, 1, 2, 1, 1};
    const double *rings[] = {shell, hole}, line[] = {-1, 3, 5, 3};
    const size_t counts[] = {5, 5};
    char msg[SDB_S2_MSG];
    sdb_s2_t *poly = sdb_s2_new(), *in = sdb_s2_new(), *hollow = sdb_s2_new(),
             *cross = sdb_s2_new(), *paris = sdb_s2_new();
    double d, r = M_PI / 180, dlat = (52.52 - 48.8566) * r, dlng = (13.405 - 2.3522) * r, a;

    ck_assert_int_eq(sdb_s2_add_polygon(poly, rings, counts, 2, 0, msg), 0);
    sdb_s2_add_point(in, 3, 3);
    sdb_s2_add_point(hollow, 1.5, 1.5);
    ck_assert_int_eq(sdb_s2_add_line(cross, line, 2, msg), 0);
    ck_assert(sdb_s2_within(in, poly));
    ck_assert(!sdb_s2_within(hollow, poly));
    ck_assert(sdb_s2_intersects(cross, poly));
    ck_assert(!sdb_s2_within(cross, poly));
    /* Paris to Berlin on a sphere of 6378100 m, against the haversine formula */
    sdb_s2_add_point(paris, 2.3522, 48.8566);
    d = sdb_s2_distance(paris, 13.405, 52.52) * SDB_GEO_EARTH_RADIUS_M;
    a = sin(dlat / 2) * sin(dlat / 2) +
        cos(48.8566 * r) * cos(52.52 * r) * sin(dlng / 2) * sin(dlng / 2);
    ck_assert_msg(fabs(d - 2 * SDB_GEO_EARTH_RADIUS_M * asin(sqrt(a))) < 1.0, "%f", d);
    ck_assert(sdb_s2_distance(poly, 3, 3) == 0);
    sdb_s2_free(poly);
    /* the same shell clockwise with strict winding is everything but the square */
    {
        const double cw[] = {0, 0, 0, 4, 4, 4, 4, 0, 0, 0};
        const double *big_rings[] = {cw};
        sdb_s2_t *big = sdb_s2_new(), *far = sdb_s2_new();

        ck_assert_int_eq(sdb_s2_add_polygon(big, big_rings, counts, 1, 1, msg), 0);
        sdb_s2_add_point(far, 100, 50);
        ck_assert(sdb_s2_within(far, big));
        ck_assert(!sdb_s2_within(in, big));
        sdb_s2_free(big);
        sdb_s2_free(far);
    }
    sdb_s2_free(in);
    sdb_s2_free(hollow);
    sdb_s2_free(cross);
    sdb_s2_free(paris);
}
END_TEST

static int
count_cb(const uint8_t *key, size_t len, void *ctx)
{
    (void)key;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

/* keys -- how many keys doc has under pattern (-1 with *code set on error). */
static int
keys(const char *doc_json, const char *pattern_json, int *code)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)doc_json, -1, NULL);
    bson_t *pat = bson_new_from_json((const uint8_t *)pattern_json, -1, NULL);
    sdb_error_t err;
    int n = 0, mk = 0, r;

    memset(&err, 0, sizeof(err));
    r = sdb_geo_keys(doc, pat, NULL, count_cb, &n, &mk, &err);
    *code = r != 0 ? err.code : 0;
    bson_destroy(doc);
    bson_destroy(pat);
    return r != 0 ? -1 : n;
}

START_TEST(test_keys)
{
    const char *sphere = "{\"loc\": \"2dsphere\"}";
    bson_t *pat = bson_new_from_json((const uint8_t *)sphere, -1, NULL);
    int code, n, field = -1;

    ck_assert_int_eq(sdb_geo_pattern_kind(pat, &field), SDB_GEO_2DSPHERE);
    ck_assert_int_eq(field, 0);
    bson_destroy(pat);
    ck_assert_int_eq(keys("{\"loc\": [2.35, 48.85]}", sphere, &code), 1);
    ck_assert_int_eq(keys("{\"other\": 1}", sphere, &code), 0); /* sparse */
    n = keys("{\"loc\": {\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [10, 0], [10, 10], "
             "[0, 10], [0, 0]]]}}",
             sphere, &code);
    ck_assert_msg(n > 1 && n <= SDB_GEO_MAX_CELLS, "%d", n);
    /* compound: one key per cell and value of the other field */
    ck_assert_int_eq(keys("{\"loc\": [1, 1], \"tag\": [\"a\", \"b\"]}",
                          "{\"loc\": \"2dsphere\", \"tag\": 1}", &code),
                     2);
    ck_assert_int_eq(keys("{\"loc\": [1, 100]}", sphere, &code), -1);
    ck_assert_int_eq(code, 16755);
    ck_assert_int_eq(keys("{\"p\": [1, 2]}", "{\"p\": \"2d\"}", &code), 1);
    ck_assert_int_eq(keys("{\"p\": [181, 2]}", "{\"p\": \"2d\"}", &code), -1);
    ck_assert_int_eq(code, 13027);
    ck_assert_int_eq(keys("{\"p\": [[1, 2], [3, 4], [1, 2]]}", "{\"p\": \"2d\"}", &code), 2);
    ck_assert_int_eq(
        keys("{\"p\": {\"a\": {\"x\": 1, \"y\": 2}, \"b\": [5, 6]}}", "{\"p\": \"2d\"}", &code), 2);
    /* 2d hashes keep planar order along each axis' top bit */
    ck_assert(sdb_geo_hash2d(-90, -90, -180, 180, 26) < sdb_geo_hash2d(90, 90, -180, 180, 26));
}
END_TEST

typedef struct flat_ranges {
    int64_t lo[64], hi[64];
    int n;
} flat_ranges_t;

static void
flat_cb(int64_t lo, int64_t hi, void *ctx)
{
    flat_ranges_t *r = ctx;

    ck_assert_int_lt(r->n, 64);
    ck_assert(lo <= hi && (r->n == 0 || lo > r->hi[r->n - 1])); /* ascending, disjoint */
    r->lo[r->n] = lo;
    r->hi[r->n++] = hi;
}

/* covered -- every point of a 41 x 41 lattice over the box (edges included) has its key in
 * one of the box's ranges on the grid. */
static void
covered(const sdb_geo_flat_t *fp, double x1, double y1, double x2, double y2)
{
    flat_ranges_t r = {.n = 0};

    sdb_geo_flat_ranges(fp, x1, y1, x2, y2, 32, flat_cb, &r);
    ck_assert_int_gt(r.n, 0);
    for (int i = 0; i <= 40; i++) {
        for (int j = 0; j <= 40; j++) {
            double x = x1 + (x2 - x1) * i / 40, y = y1 + (y2 - y1) * j / 40;
            int64_t h = sdb_geo_hash2d(x, y, fp->min, fp->max, fp->bits);
            bool in = false;

            for (int k = 0; k < r.n && !in; k++)
                in = h >= r.lo[k] && h <= r.hi[k];
            ck_assert_msg(in, "(%g, %g) key %lld outside the covering", x, y, (long long)h);
        }
    }
}

START_TEST(test_flat_ranges)
{
    sdb_geo_flat_t dflt = sdb_geo_flat_params(NULL), coarse = {4, 0, 1000}, fine = {32, -1, 1};
    flat_ranges_t r = {.n = 0};

    ck_assert_int_eq(dflt.bits, 26);
    covered(&dflt, 0, 0, 10, 10);
    covered(&dflt, -179.5, -3, -170.25, 89.9);
    covered(&dflt, 1.1, 2.3, 1.1, 2.3); /* a point */
    covered(&coarse, 100, 100, 900, 333);
    covered(&fine, -0.5, -0.25, 0.75, 0.5); /* 64-bit keys: negative hashes */
    /* a small box: few ranges, all in a narrow stretch of the keys */
    sdb_geo_flat_ranges(&dflt, 10.01, 10.01, 10.02, 10.02, 32, flat_cb, &r);
    ck_assert_int_le(r.n, 32);
    ck_assert_msg(r.hi[r.n - 1] - r.lo[0] < (int64_t)1 << 36, "%lld", /* of 2^52 keys */
                  (long long)(r.hi[r.n - 1] - r.lo[0]));
}
END_TEST

static Suite *
geo_suite(void)
{
    Suite *s = suite_create("geojson");
    TCase *tc = tcase_create("geojson");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_shim);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_flat_ranges);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(geo_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
