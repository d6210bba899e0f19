/*
 * tests/integration/it_geo.c -- geospatial indexes and queries through libmongoc.
 *
 * Known coordinates (five cities, [longitude, latitude]) in a collection with a 2dsphere
 * index: invalid GeoJSON is refused with 16755 and not stored (insert, update, index build
 * over existing data); $near orders by distance and each distance agrees with the haversine
 * value on mongod's earth radius (6378100 m) to within a meter; $maxDistance and
 * $minDistance cut; $geoWithin (polygon, $centerSphere) with and without the index;
 * $geoIntersects with a line crossing a stored polygon; a 2d index with $near (planar),
 * $box, $center and $polygon; the $geoNear stage; the errors for a missing index.  One
 * shared server.
 */
#include "harness.h"

#include <math.h>

#define DB "geo"
#define EARTH_M 6378100.0

static const struct {
    const char *name;
    double lng, lat;
} cities[] = {
    {"paris", 2.3522, 48.8566},   {"london", -0.1276, 51.5072},   {"berlin", 13.4050, 52.5200},
    {"madrid", -3.7038, 40.4168}, {"newyork", -74.0060, 40.7128},
};
#define NCITIES (sizeof(cities) / sizeof(cities[0]))

/* haversine -- great-circle meters on a sphere of EARTH_M (the test's own reference). */
static double
haversine(double lng1, double lat1, double lng2, double lat2)
{
    double r = M_PI / 180, dlat = (lat2 - lat1) * r, dlng = (lng2 - lng1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * r) * cos(lat2 * r) * sin(dlng / 2) * sin(dlng / 2);

    return 2 * EARTH_M * asin(sqrt(a));
}

static void
fresh(mongoc_client_t *c, const char *coll)
{
    fx_drop(c, DB, coll);
}

/* write_code -- 0 when the write succeeded, else its first error's code. */
static int64_t
write_code(mongoc_client_t *c, const char *json, bson_t *r)
{
    bson_error_t e;
    bool ok = fx_cmd(c, DB, json, r, &e);

    ck_assert_msg(ok || fx_has(r, "code"), "%s -> %s (%s)", json, fx_to_json(r), e.message);
    return !ok ? fx_int(r, "code") : fx_int(r, "writeErrors.0.code");
}

/* load_cities -- the five cities in coll as {_id: name, loc: GeoJSON point}. */
static void
load_cities(mongoc_client_t *c, const char *coll, bool index)
{
    char cmd[256];
    bson_t r;

    fresh(c, coll);
    if (index) {
        snprintf(cmd, sizeof(cmd),
                 "{'createIndexes': '%s', 'indexes': [{'key': {'loc': '2dsphere'}, "
                 "'name': 'loc_2dsphere'}]}",
                 coll);
        CMD_OK(c, DB, cmd, &r);
        bson_destroy(&r);
    }
    for (size_t i = 0; i < NCITIES; i++) {
        snprintf(cmd, sizeof(cmd),
                 "{'insert': '%s', 'documents': [{'_id': '%s', 'loc': {'type': 'Point', "
                 "'coordinates': [%.4f, %.4f]}}]}",
                 coll, cities[i].name, cities[i].lng, cities[i].lat);
        ck_assert_int_eq(write_code(c, cmd, &r), 0);
        bson_destroy(&r);
    }
}

/* ids_into -- the _ids (strings or integers) of a command's first batch, comma-separated, in
 * order, into out (`size` bytes). */
static const char *
ids_into(mongoc_client_t *c, const char *json, char *out, size_t size)
{
    bson_t r, batch;
    bson_iter_t it;
    size_t n = 0;

    CMD_OK(c, DB, json, &r);
    out[0] = '\0';
    ck_assert(fx_sub(&r, "cursor.firstBatch", &batch));
    bson_iter_init(&it, &batch);
    while (bson_iter_next(&it)) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;

        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        if (fx_type(&d, "_id") == BSON_TYPE_UTF8)
            n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "", fx_str(&d, "_id"));
        else
            n += (size_t)snprintf(out + n, size - n, "%s%lld", n ? "," : "",
                                  (long long)fx_int(&d, "_id"));
        ck_assert(n < size);
    }
    bson_destroy(&batch);
    bson_destroy(&r);
    return out;
}

/* ids -- the same into a buffer of its own (valid until the next call). */
static const char *
ids(mongoc_client_t *c, const char *json)
{
    static char out[512];

    return ids_into(c, json, out, sizeof(out));
}

/* batched -- how many documents a find returns through batches of one and getMores. */
static int
batched(mongoc_client_t *c, const char *coll, const char *find_json)
{
    char more[160];
    bson_t r;
    int64_t id;
    int n;

    CMD_OK(c, DB, find_json, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    while (id != 0) {
        snprintf(more, sizeof(more),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': '%s', "
                 "'batchSize': 1}",
                 (long long)id, coll);
        CMD_OK(c, DB, more, &r);
        n += fx_array_len(&r, "cursor.nextBatch");
        id = fx_int(&r, "cursor.id");
        bson_destroy(&r);
    }
    return n;
}

/* Invalid GeoJSON never reaches a 2dsphere index: 16755 with mongod's reason, nothing
 * stored, on insert and on update. */
START_TEST(test_invalid_refused)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load_cities(c, "bad", true);
    ck_assert_int_eq(write_code(c,
                                "{'insert': 'bad', 'documents': [{'_id': 'x', 'loc': {'type': "
                                "'Point', 'coordinates': [200, 10]}}]}",
                                &r),
                     16755);
    ck_assert_msg(strstr(fx_str(&r, "writeErrors.0.errmsg"), "Can't extract geo keys") != NULL &&
                      strstr(fx_str(&r, "writeErrors.0.errmsg"),
                             "longitude/latitude is out of bounds") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c,
                                "{'insert': 'bad', 'documents': [{'_id': 'y', 'loc': {'type': "
                                "'Polygon', 'coordinates': [[[0, 0], [1, 0], [1, 1], [0, 2]]]}}]}",
                                &r),
                     16755);
    ck_assert_msg(strstr(fx_str(&r, "writeErrors.0.errmsg"), "Loop is not closed") != NULL, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c,
                                "{'insert': 'bad', 'documents': [{'_id': 'z', 'loc': {'type': "
                                "'Polygon', 'coordinates': [[[0, 0], [1, 1], [1, 0], [0, 1], "
                                "[0, 0]]]}}]}",
                                &r),
                     16755);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c,
                                "{'update': 'bad', 'updates': [{'q': {'_id': 'paris'}, 'u': "
                                "{'$set': {'loc.coordinates': [2, 95]}}}]}",
                                &r),
                     16755);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(c, DB, "bad", "{}"), (int64_t)NCITIES);
    ck_assert_int_eq(fx_count(c, DB, "bad", "{'loc.coordinates': [2.3522, 48.8566]}"), 1);
    /* a document without the field is fine (the index is sparse) */
    ck_assert_int_eq(write_code(c, "{'insert': 'bad', 'documents': [{'_id': 'none'}]}", &r), 0);
    bson_destroy(&r);
    /* a multi-location document is keyed and matched by each of its locations */
    ck_assert_int_eq(write_code(c,
                                "{'insert': 'bad', 'documents': [{'_id': 'both', 'loc': [[100, "
                                "10], {'type': 'Point', 'coordinates': [-100, -10]}]}]}",
                                &r),
                     0);
    bson_destroy(&r);
    ck_assert_int_eq(
        fx_count(c, DB, "bad", "{'loc': {'$geoWithin': {'$centerSphere': [[-100, -10], 0.01]}}}"),
        1);
    mongoc_client_destroy(c);
}
END_TEST

/* An index built over existing data refuses invalid geometry and leaves nothing behind. */
START_TEST(test_build_over_data)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load_cities(c, "build", false);
    CMD_OK(c, DB,
           "{'insert': 'build', 'documents': [{'_id': 'bad', 'loc': {'type': 'Point', "
           "'coordinates': [0, 100]}}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'build', 'indexes': [{'key': {'loc': '2dsphere'}, 'name': 'g'}]}",
            &r, 16755, "Location16755");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'build', 'deletes': [{'q': {'_id': 'bad'}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'build', 'indexes': [{'key': {'loc': '2dsphere'}, 'name': 'g'}]}",
           &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'build', 'filter': {'loc': {'$near': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [2.35, 48.85]}, "
                            "'$maxDistance': 400000}}}}"),
                     "paris,london");
    mongoc_client_destroy(c);
}
END_TEST

/* $near orders by distance; distanceField-free check of the order, then the cut-offs. */
START_TEST(test_near)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load_cities(c, "near", true);
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$near': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [2.35, 48.85]}}}}}"),
                     "paris,london,berlin,madrid,newyork");
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$nearSphere': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [-3.7, 40.4]}}}}, 'limit': 3}"),
                     "madrid,paris,london");
    /* Paris-London is about 344 km, Paris-Berlin about 878 km */
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$near': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [2.3522, 48.8566]}, "
                            "'$minDistance': 1000, '$maxDistance': 900000}}}}"),
                     "london,berlin");
    /* a limit without a bound grows a disc until it holds enough: the same answers */
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$near': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [2.35, 48.85]}}}}, 'limit': 3, "
                            "'skip': 1}"),
                     "london,berlin,madrid");
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$nearSphere': [-74, 40.7]}}, "
                            "'limit': 1}"),
                     "newyork");
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$near': {'$geometry': "
                            "{'type': 'Point', 'coordinates': [150, -30]}}}}, 'limit': 10}"),
                     "berlin,newyork,paris,london,madrid");
    /* legacy $nearSphere on a 2dsphere index: radians */
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'loc': {'$nearSphere': [2.3522, "
                            "48.8566], '$maxDistance': 0.1}}}"),
                     "paris,london");
    /* other predicates combine with $near */
    ck_assert_str_eq(ids(c, "{'find': 'near', 'filter': {'_id': {'$ne': 'paris'}, 'loc': "
                            "{'$near': {'$geometry': {'type': 'Point', 'coordinates': [2.35, "
                            "48.85]}}}}, 'limit': 2}"),
                     "london,berlin");
    /* $near only where a find orders by it, once, at the top level */
    CMD_ERR(c, DB,
            "{'count': 'near', 'query': {'loc': {'$near': {'$geometry': {'type': 'Point', "
            "'coordinates': [0, 0]}}}}}",
            &r, 5626500, "Location5626500");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'near', 'pipeline': [{'$match': {'loc': {'$near': [0, 0]}}}], "
            "'cursor': {}}",
            &r, 5626500, "Location5626500");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'near', 'filter': {'$or': [{'loc': {'$near': [0, 0]}}, {'a': 1}]}}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    fresh(c, "noix");
    CMD_OK(c, DB, "{'insert': 'noix', 'documents': [{'loc': [1, 2]}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'find': 'noix', 'filter': {'loc': {'$near': {'$geometry': {'type': 'Point', "
            "'coordinates': [0, 0]}}}}}",
            &r, 291, "NoQueryExecutionPlans");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "unable to find index for $geoNear query") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* $geoWithin with a polygon and with $centerSphere, with and without an index: the same
 * answers; $geoIntersects with a line crossing a stored polygon. */
START_TEST(test_within_intersects)
{
    mongoc_client_t *c = IT_CLIENT();
    const char *colls[] = {"within_ix", "within_scan"};
    bson_t r;

    for (int k = 0; k < 2; k++) {
        char q[512];

        load_cities(c, colls[k], k == 0);
        /* a box over western Europe holds Paris, London and Madrid, not Berlin or New York */
        snprintf(q, sizeof(q),
                 "{'find': '%s', 'filter': {'loc': {'$geoWithin': {'$geometry': {'type': "
                 "'Polygon', 'coordinates': [[[-10, 35], [5, 35], [5, 55], [-10, 55], "
                 "[-10, 35]]]}}}}, 'sort': {'_id': 1}}",
                 colls[k]);
        ck_assert_str_eq(ids(c, q), "london,madrid,paris");
        /* 1000 km around Paris: London, Berlin, Paris (Madrid is about 1053 km away) */
        snprintf(q, sizeof(q),
                 "{'find': '%s', 'filter': {'loc': {'$geoWithin': {'$centerSphere': [[2.3522, "
                 "48.8566], %.10f]}}}, 'sort': {'_id': 1}}",
                 colls[k], 1000000.0 / EARTH_M);
        ck_assert_str_eq(ids(c, q), "berlin,london,paris");
        snprintf(q, sizeof(q),
                 "{'find': '%s', 'filter': {'loc': {'$geoIntersects': {'$geometry': {'type': "
                 "'LineString', 'coordinates': [[2.3522, 48.8566], [13.4050, 52.5200]]}}}}, "
                 "'sort': {'_id': 1}}",
                 colls[k]);
        ck_assert_str_eq(ids(c, q), "berlin,paris");
        /* a strict-winding "big polygon": clockwise around Europe is the rest of the world */
        snprintf(q, sizeof(q),
                 "{'find': '%s', 'filter': {'loc': {'$geoWithin': {'$geometry': {'type': "
                 "'Polygon', 'coordinates': [[[-10, 35], [-10, 55], [15, 55], [15, 35], [-10, "
                 "35]]], 'crs': {'type': 'name', 'properties': {'name': "
                 "'urn:x-mongodb:crs:strictwinding:EPSG:4326'}}}}}}}",
                 colls[k]);
        ck_assert_str_eq(ids(c, q), "newyork");
    }
    /* the index scan resumes across getMore */
    ck_assert_int_eq(batched(c, "within_ix",
                             "{'find': 'within_ix', 'filter': {'loc': {'$geoWithin': "
                             "{'$centerSphere': [[2.3522, 48.8566], 0.5]}}}, 'batchSize': 1}"),
                     4);
    ck_assert_int_eq(batched(c, "within_ix",
                             "{'find': 'within_ix', 'filter': {'loc': {'$near': {'$geometry': "
                             "{'type': 'Point', 'coordinates': [0, 0]}}}}, 'batchSize': 1}"),
                     5);
    fresh(c, "zones");
    CMD_OK(c, DB,
           "{'createIndexes': 'zones', 'indexes': [{'key': {'area': '2dsphere'}, 'name': 'a'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'zones', 'documents': [{'_id': 'square', 'area': {'type': 'Polygon', "
           "'coordinates': [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}}, {'_id': 'far', "
           "'area': {'type': 'Polygon', 'coordinates': [[[50, 50], [51, 50], [51, 51], [50, 51], "
           "[50, 50]]]}}, {'_id': 'holed', 'area': {'type': 'Polygon', 'coordinates': [[[20, 0], "
           "[30, 0], [30, 10], [20, 10], [20, 0]], [[22, 2], [28, 2], [28, 8], [22, 8], [22, "
           "2]]]}}]}",
           &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'zones', 'filter': {'area': {'$geoIntersects': "
                            "{'$geometry': {'type': 'LineString', 'coordinates': [[-5, 5], "
                            "[15, 5]]}}}}}"),
                     "square");
    /* a point in the hole is outside the holed polygon */
    ck_assert_str_eq(ids(c, "{'find': 'zones', 'filter': {'area': {'$geoIntersects': "
                            "{'$geometry': {'type': 'Point', 'coordinates': [25, 5]}}}}}"),
                     "");
    ck_assert_str_eq(ids(c, "{'find': 'zones', 'filter': {'area': {'$geoIntersects': "
                            "{'$geometry': {'type': 'Point', 'coordinates': [21, 5]}}}}}"),
                     "holed");
    mongoc_client_destroy(c);
}
END_TEST

/* A 2d index: legacy pairs, planar $near, $box, $center, $polygon. */
START_TEST(test_2d)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "flat");
    CMD_OK(c, DB,
           "{'createIndexes': 'flat', 'indexes': [{'key': {'p': '2d'}, 'name': 'p_2d', 'bits': "
           "20}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'flat', 'documents': [{'_id': 'a', 'p': [0, 0]}, {'_id': 'b', 'p': [3, "
           "4]}, {'_id': 'c', 'p': [10, 10]}, {'_id': 'd', 'p': [-5, 1]}]}",
           &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'flat', 'filter': {'p': {'$near': [1, 1]}}}"), "a,b,d,c");
    ck_assert_str_eq(ids(c, "{'find': 'flat', 'filter': {'p': {'$near': [0, 0], "
                            "'$maxDistance': 5}}}"),
                     "a,b");
    ck_assert_str_eq(ids(c, "{'find': 'flat', 'filter': {'p': {'$geoWithin': {'$box': [[0, 0], "
                            "[5, 5]]}}}, 'sort': {'_id': 1}}"),
                     "a,b");
    ck_assert_str_eq(ids(c, "{'find': 'flat', 'filter': {'p': {'$geoWithin': {'$center': [[0, "
                            "0], 5.1]}}}, 'sort': {'_id': 1}}"),
                     "a,b,d");
    ck_assert_str_eq(ids(c, "{'find': 'flat', 'filter': {'p': {'$geoWithin': {'$polygon': [[-1, "
                            "-1], [11, -1], [11, 11], [-1, 11]]}}}, 'sort': {'_id': 1}}"),
                     "a,b,c");
    ck_assert_int_eq(write_code(c, "{'insert': 'flat', 'documents': [{'p': [200, 0]}]}", &r),
                     13027);
    bson_destroy(&r);
    /* min and max bound the grid */
    fresh(c, "grid");
    CMD_OK(c, DB,
           "{'createIndexes': 'grid', 'indexes': [{'key': {'p': '2d'}, 'name': 'p', 'min': 0, "
           "'max': 1000}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'grid', 'documents': [{'p': [500, 999]}]}", &r), 0);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'grid', 'documents': [{'p': [-1, 5]}]}", &r), 13027);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'flat'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.1.bits", 20);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'flat', 'indexes': [{'key': {'q': '2d'}, 'name': 'q', 'bits': 33}]}",
            &r, 16803, "Location16803");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'flat', 'indexes': [{'key': {'a': 1, 'q': '2d'}, 'name': 'q'}]}", &r,
            16801, "Location16801");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'near'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.1.2dsphereIndexVersion", 3);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* The $geoNear stage: distances in meters within a meter of the haversine value, nearest
 * first, with query, includeLocs, maxDistance, distanceMultiplier, and its errors. */
START_TEST(test_geonear_stage)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, batch;
    bson_iter_t it;
    int n = 0;
    double last = -1;

    load_cities(c, "gn", true);
    CMD_OK(c, DB,
           "{'aggregate': 'gn', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [2.3522, 48.8566]}, 'distanceField': 'dist.m', 'includeLocs': "
           "'where', 'spherical': true}}], 'cursor': {}}",
           &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch", &batch));
    bson_iter_init(&it, &batch);
    while (bson_iter_next(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t d;
        size_t i;

        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        for (i = 0; i < NCITIES && strcmp(cities[i].name, fx_str(&d, "_id")) != 0; i++)
            ;
        ck_assert_msg(i < NCITIES, "%s", fx_to_json(&d));
        ck_assert_msg(fabs(fx_double(&d, "dist.m") -
                           haversine(2.3522, 48.8566, cities[i].lng, cities[i].lat)) < 1.0,
                      "%s: %f vs %f", fx_to_json(&d), fx_double(&d, "dist.m"),
                      haversine(2.3522, 48.8566, cities[i].lng, cities[i].lat));
        ck_assert(fx_double(&d, "dist.m") >= last);
        last = fx_double(&d, "dist.m");
        ASSERT_STR(&d, "where.type", "Point");
        n++;
    }
    ck_assert_int_eq(n, (int)NCITIES);
    bson_destroy(&batch);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'gn', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [2.3522, 48.8566]}, 'distanceField': 'd', 'maxDistance': 900000, "
           "'query': {'_id': {'$ne': 'london'}}, 'distanceMultiplier': 0.001, 'key': 'loc'}}, "
           "{'$project': {'d': 1}}], 'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "paris");
    ASSERT_STR(&r, "cursor.firstBatch.1._id", "berlin");
    ck_assert(fabs(fx_double(&r, "cursor.firstBatch.1.d") -
                   haversine(2.3522, 48.8566, 13.4050, 52.5200) / 1000) < 0.001);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'gn', 'pipeline': [{'$match': {}}, {'$geoNear': {'near': [0, 0], "
            "'distanceField': 'd'}}], 'cursor': {}}",
            &r, 40602, "Location40602");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'gn', 'pipeline': [{'$geoNear': {'near': [0, 0]}}], 'cursor': {}}", &r,
            16606, "Location16606");
    bson_destroy(&r);
    fresh(c, "gn_noix");
    CMD_OK(c, DB, "{'insert': 'gn_noix', 'documents': [{'loc': [1, 2]}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'gn_noix', 'pipeline': [{'$geoNear': {'near': [0, 0], 'distanceField': "
            "'d'}}], 'cursor': {}}",
            &r, 27, "IndexNotFound");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'gn', 'indexes': [{'key': {'other': '2dsphere'}, 'name': 'o'}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'gn', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
            "'coordinates': [0, 0]}, 'distanceField': 'd'}}], 'cursor': {}}",
            &r, 27, "IndexNotFound");
    bson_destroy(&r);
    /* the manual's $geoNear examples (places): mongod's distances to the last digit, its
     * S2Distance being the angle between the points (atan2), not a chord angle */
    CMD_OK(c, DB,
           "{'insert': 'places', 'documents': [{'name': 'Central Park', 'location': {'type': "
           "'Point', 'coordinates': [-73.97, 40.77]}, 'category': 'Parks'}, {'name': 'Sara D. "
           "Roosevelt Park', 'location': {'type': 'Point', 'coordinates': [-73.9928, 40.7193]}, "
           "'category': 'Parks'}, {'name': 'Polo Grounds', 'location': {'type': 'Point', "
           "'coordinates': [-73.9375, 40.8303]}, 'category': 'Stadiums'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'places', 'indexes': [{'key': {'location': '2dsphere'}, 'name': "
           "'location_2dsphere'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'places', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [-73.99279, 40.719296]}, 'distanceField': 'dist.calculated', "
           "'maxDistance': 2, 'query': {'category': 'Parks'}, 'includeLocs': 'dist.location', "
           "'spherical': true}}], 'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.name", "Sara D. Roosevelt Park");
    ck_assert_msg(fx_double(&r, "cursor.firstBatch.0.dist.calculated") == 0.9539931676365992, "%s",
                  fx_to_json(&r));
    ASSERT_STR(&r, "cursor.firstBatch.0.dist.location.type", "Point");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'places', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [-73.98142, 40.71782]}, 'key': 'location', 'distanceField': "
           "'dist.calculated', 'query': {'category': 'Parks'}}}, {'$limit': 5}], 'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ASSERT_STR(&r, "cursor.firstBatch.1.name", "Central Park");
    ck_assert_msg(fx_double(&r, "cursor.firstBatch.0.dist.calculated") == 974.175764916902, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* explain: a $geoWithin over the 2dsphere index is FETCH over IXSCAN on it and examines
 * fewer documents than the collection holds; $near is GEO_NEAR_2DSPHERE. */
START_TEST(test_explain)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    load_cities(c, "ex", true);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ex', 'filter': {'loc': {'$geoWithin': {'$centerSphere': "
           "[[2.3522, 48.8566], 0.01]}}}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "FETCH");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "loc_2dsphere");
    ASSERT_INT(&r, "executionStats.nReturned", 1);
    ck_assert_msg(fx_int(&r, "executionStats.totalDocsExamined") < (int64_t)NCITIES, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ex', 'filter': {'loc': {'$near': {'$geometry': {'type': "
           "'Point', 'coordinates': [0, 0]}}}}}, 'verbosity': 'queryPlanner'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "GEO_NEAR_2DSPHERE");
    ASSERT_STR(&r, "queryPlanner.winningPlan.indexName", "loc_2dsphere");
    bson_destroy(&r);
    /* a $maxDistance bounds the index scan to the cells of its disc */
    CMD_OK(c, DB,
           "{'explain': {'find': 'ex', 'filter': {'loc': {'$near': {'$geometry': {'type': "
           "'Point', 'coordinates': [2.3522, 48.8566]}, '$maxDistance': 400000}}}}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_INT(&r, "executionStats.nReturned", 2);
    ck_assert_msg(fx_int(&r, "executionStats.totalDocsExamined") < (int64_t)NCITIES, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- the index scans: the same answers as without the index, far fewer reads ------------ */

#define GRID_STEP 5 /* planar grid: x, y in [-100, 100) every GRID_STEP */
#define GRID_N ((200 / GRID_STEP) * (200 / GRID_STEP))
#define SPHERE_N (41 * 33) /* lng -50..50, lat -40..40 every 2.5 degrees */

/* grid_doc -- planar point i: {_id: i, p: [x, y], tag: i % 3}, x, y in [-100, 100). */
static void
grid_doc(int i, bson_t *d)
{
    bson_t p;

    BSON_APPEND_ARRAY_BEGIN(d, "p", &p);
    BSON_APPEND_DOUBLE(&p, "0", -100 + GRID_STEP * (i / (200 / GRID_STEP)));
    BSON_APPEND_DOUBLE(&p, "1", -100 + GRID_STEP * (i % (200 / GRID_STEP)));
    bson_append_array_end(d, &p);
    BSON_APPEND_INT32(d, "tag", i % 3);
}

/* sphere_doc -- GeoJSON point i: {_id: i, loc, cat: i % 4}, lng -50..50, lat -40..40. */
static void
sphere_doc(int i, bson_t *d)
{
    bson_t loc, co;

    BSON_APPEND_DOCUMENT_BEGIN(d, "loc", &loc);
    BSON_APPEND_UTF8(&loc, "type", "Point");
    BSON_APPEND_ARRAY_BEGIN(&loc, "coordinates", &co);
    BSON_APPEND_DOUBLE(&co, "0", -50 + 2.5 * (i / 33));
    BSON_APPEND_DOUBLE(&co, "1", -40 + 2.5 * (i % 33));
    bson_append_array_end(&loc, &co);
    bson_append_document_end(d, &loc);
    BSON_APPEND_INT32(d, "cat", i % 4);
}

/* load -- n documents {_id: i, ...fill(i)} in one insert, after `index` (JSON createIndexes
 * indexes array; NULL: none). */
static void
load(mongoc_client_t *c, const char *coll, const char *index, int n, void (*fill)(int, bson_t *))
{
    bson_t cmd = BSON_INITIALIZER, docs, d, r;
    char key[16], json[256];
    bson_error_t e;

    fresh(c, coll);
    if (index != NULL) {
        snprintf(json, sizeof(json), "{'createIndexes': '%s', 'indexes': %s}", coll, index);
        CMD_OK(c, DB, json, &r);
        bson_destroy(&r);
    }
    BSON_APPEND_UTF8(&cmd, "insert", coll);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        fill(i, &d);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    ck_assert_msg(fx_cmd_bson(c, DB, &cmd, &r, &e), "%s", e.message);
    ASSERT_INT(&r, "n", n);
    bson_destroy(&r);
    bson_destroy(&cmd);
}

static void
load_grid(mongoc_client_t *c, const char *coll, const char *index)
{
    load(c, coll, index, GRID_N, grid_doc);
}

static void
load_sphere(mongoc_client_t *c, const char *coll, const char *index)
{
    load(c, coll, index, SPHERE_N, sphere_doc);
}

/* same_answer -- the query gives the same _ids, in the same order, on coll (indexed) and on
 * plain (the same documents, no index); fmt has two %s for the collection; the answer is not
 * empty. */
static void
same_answer(mongoc_client_t *c, const char *fmt, const char *coll, const char *plain)
{
    static char a[16384], b[16384];
    char json[1024];

    snprintf(json, sizeof(json), fmt, coll);
    ids_into(c, json, a, sizeof(a));
    snprintf(json, sizeof(json), fmt, plain);
    ids_into(c, json, b, sizeof(b));
    ck_assert_msg(strcmp(a, b) == 0, "%s: indexed %s, plain %s", json, a, b);
    ck_assert_msg(a[0] != '\0', "%s: empty", json);
}

/* explain_scan -- explain (executionStats) of a find's filter on coll: FETCH over IXSCAN on
 * index `ix`, with keys and documents examined below a tenth of the `n` documents; the
 * reply stays in *r. */
static void
explain_scan(mongoc_client_t *c, const char *coll, const char *filter, const char *ix, int n,
             bson_t *r)
{
    char json[1024];

    snprintf(json, sizeof(json),
             "{'explain': {'find': '%s', 'filter': %s}, 'verbosity': 'executionStats'}", coll,
             filter);
    CMD_OK(c, DB, json, r);
    ASSERT_STR(r, "queryPlanner.winningPlan.stage", "FETCH");
    ASSERT_STR(r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
    ASSERT_STR(r, "queryPlanner.winningPlan.inputStage.indexName", ix);
    ck_assert_msg(fx_int(r, "executionStats.totalKeysExamined") < n / 10 &&
                      fx_int(r, "executionStats.totalDocsExamined") < n / 10,
                  "%s: %s", filter, fx_to_json(r));
    ck_assert_msg(fx_int(r, "executionStats.nReturned") > 0, "%s: %s", filter, fx_to_json(r));
}

/* nearest_grid -- the _ids of the k grid points nearest (x, y), nearest first (a reference
 * computed here; the query point is chosen so no two distances tie). */
static const char *
nearest_grid(double x, double y, int k, char *out, size_t size)
{
    double best[GRID_N];
    int id[GRID_N], i = 0;
    size_t n = 0;

    for (int gx = -100; gx < 100; gx += GRID_STEP)
        for (int gy = -100; gy < 100; gy += GRID_STEP, i++) {
            best[i] = hypot(gx - x, gy - y);
            id[i] = i;
        }
    for (int a = 0; a < k; a++) { /* selection: the k smallest in order */
        int m = a;

        for (int b = a + 1; b < GRID_N; b++)
            if (best[b] < best[m])
                m = b;
        double t = best[a];
        int ti = id[a];
        best[a] = best[m];
        id[a] = id[m];
        best[m] = t;
        id[m] = ti;
        n += (size_t)snprintf(out + n, size - n, "%s%d", a ? "," : "", id[a]);
    }
    return out;
}

/* A 2d index serves $geoWithin ($box, $center, $polygon) as IXSCAN + FETCH and $near as
 * GEO_NEAR_2D reading a small disc: the same answers as the unindexed copy, or as the
 * distances computed here, with a tenth of the collection examined at most. */
START_TEST(test_2d_scans)
{
    mongoc_client_t *c = IT_CLIENT();
    char want[256], got[16384];
    bson_t r;

    load_grid(c, "g2", "[{'key': {'p': '2d'}, 'name': 'p_2d'}]");
    load_grid(c, "g2plain", NULL);
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$box': [[0, 0], [10, 10]]}}}, "
                "'sort': {'_id': 1}}",
                "g2", "g2plain");
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$center': [[-52, 33], 11]}}}, "
                "'sort': {'_id': 1}}",
                "g2", "g2plain");
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$polygon': [[60, 60], [99, "
                "60], [80, 95]]}}}, 'sort': {'_id': 1}}",
                "g2", "g2plain");
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$box': [[-100, -100], [-96, "
                "99]]}}, 'tag': 1}, 'sort': {'_id': 1}}",
                "g2", "g2plain");
    /* multi-location documents: every point is keyed */
    for (int i = 0; i < 2; i++) {
        snprintf(
            got, sizeof(got),
            "{'insert': '%s', 'documents': [{'_id': -1, 'p': [[1, 1], [-99, 12]]}, {'_id': "
            "-2, 'p': [{'x': 1.5, 'y': 2}, {'x': 70, 'y': 71}]}, {'_id': -3, 'p': {'x': 3, 'y': "
            "3}}]}",
            i == 0 ? "g2" : "g2plain");
        CMD_OK(c, DB, got, &r);
        bson_destroy(&r);
    }
    ck_assert_str_eq(ids_into(c,
                              "{'find': 'g2plain', 'filter': {'p': {'$geoWithin': {'$box': [[0.5, "
                              "0.5], [4, 4]]}}}, 'sort': {'_id': 1}}",
                              got, sizeof(got)),
                     "-3,-2,-1");
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$box': [[0.5, 0.5], [4, 4]]}}}, "
                "'sort': {'_id': 1}}",
                "g2", "g2plain");
    same_answer(
        c,
        "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$box': [[-100, 10], [-98, 13]]}}}, "
        "'sort': {'_id': 1}}",
        "g2", "g2plain");
    CMD_OK(c, DB, "{'delete': 'g2', 'deletes': [{'q': {'_id': {'$lt': 0}}, 'limit': 0}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'g2plain', 'deletes': [{'q': {'_id': {'$lt': 0}}, 'limit': 0}]}", &r);
    bson_destroy(&r);
    explain_scan(c, "g2", "{'p': {'$geoWithin': {'$box': [[0, 0], [10, 10]]}}}", "p_2d", GRID_N,
                 &r);
    ASSERT_INT(&r, "executionStats.nReturned", 9);
    bson_destroy(&r);
    explain_scan(c, "g2", "{'p': {'$geoWithin': {'$center': [[-52, 33], 11]}}}", "p_2d", GRID_N,
                 &r);
    bson_destroy(&r);
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$centerSphere': [[20, -30], "
                "0.2]}}}, 'sort': {'_id': 1}}",
                "g2", "g2plain");
    explain_scan(c, "g2", "{'p': {'$geoWithin': {'$centerSphere': [[20, -30], 0.2]}}}", "p_2d",
                 GRID_N, &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'g2', 'filter': {'p': {'$near': [1.1, 2.3], '$maxDistance': "
           "12}}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "GEO_NEAR_2D");
    ck_assert_msg(fx_int(&r, "executionStats.totalDocsExamined") < GRID_N / 10 &&
                      fx_int(&r, "executionStats.nReturned") > 0,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* $near with a limit: the nearest, in order, reading a small disc */
    ck_assert_str_eq(ids_into(c,
                              "{'find': 'g2', 'filter': {'p': {'$near': [1.1, 2.3]}}, 'limit': 7}",
                              got, sizeof(got)),
                     nearest_grid(1.1, 2.3, 7, want, sizeof(want)));
    ck_assert_str_eq(
        ids_into(c,
                 "{'find': 'g2', 'filter': {'p': {'$near': [-99.3, 97.9]}}, 'limit': "
                 "4, 'skip': 2}",
                 got, sizeof(got)),
        strchr(strchr(nearest_grid(-99.3, 97.9, 6, want, sizeof(want)), ',') + 1, ',') + 1);
    CMD_OK(c, DB,
           "{'explain': {'find': 'g2', 'filter': {'p': {'$near': [1.1, 2.3]}}, 'limit': 7}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "LIMIT");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "GEO_NEAR_2D");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "p_2d");
    ASSERT_INT(&r, "executionStats.nReturned", 7);
    ck_assert_msg(fx_int(&r, "executionStats.totalDocsExamined") < GRID_N / 10 &&
                      fx_int(&r, "executionStats.totalKeysExamined") < GRID_N / 10,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* a grid of its own (bits, min, max): the keys the scan meets are that grid's */
    fresh(c, "g2grid");
    CMD_OK(c, DB,
           "{'createIndexes': 'g2grid', 'indexes': [{'key': {'p': '2d'}, 'name': 'pg', 'min': 0, "
           "'max': 1000, 'bits': 12}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'g2grid', 'documents': [{'_id': 1, 'p': [10, 10]}, {'_id': 2, 'p': [500, "
           "500]}, {'_id': 3, 'p': [999, 0]}, {'_id': 4, 'p': [505, 497]}]}",
           &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids_into(c,
                              "{'find': 'g2grid', 'filter': {'p': {'$geoWithin': {'$box': [[490, "
                              "490], [510, 510]]}}}, 'sort': {'_id': 1}}",
                              got, sizeof(got)),
                     "2,4");
    ck_assert_str_eq(ids_into(c,
                              "{'find': 'g2grid', 'filter': {'p': {'$near': [990, 5]}}, 'limit': "
                              "2}",
                              got, sizeof(got)),
                     "3,4");
    mongoc_client_destroy(c);
}
END_TEST

/* The $geoNear stage reads through the index as find's $near does: nearest first, the same
 * order as find, and its explain is GEO_NEAR_2DSPHERE / GEO_NEAR_2D examining a small disc. */
START_TEST(test_geonear_index)
{
    mongoc_client_t *c = IT_CLIENT();
    char a[4096], b[4096], want[256];
    bson_t r;

    load_sphere(c, "gs", "[{'key': {'loc': '2dsphere'}, 'name': 'loc_2dsphere'}]");
    ids_into(c,
             "{'aggregate': 'gs', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
             "'coordinates': [1.1, 2.3]}, 'distanceField': 'd'}}, {'$limit': 6}], 'cursor': {}}",
             a, sizeof(a));
    ids_into(c,
             "{'find': 'gs', 'filter': {'loc': {'$near': {'$geometry': {'type': 'Point', "
             "'coordinates': [1.1, 2.3]}}}}, 'limit': 6}",
             b, sizeof(b));
    ck_assert_str_eq(a, b);
    ck_assert_int_eq((int)strlen(a) > 0, 1);
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'gs', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [1.1, 2.3]}, 'distanceField': 'd'}}, {'$limit': 6}], 'cursor': {}}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "stages.0.$geoNearCursor.queryPlanner.winningPlan.stage", "GEO_NEAR_2DSPHERE");
    ASSERT_STR(&r, "stages.0.$geoNearCursor.queryPlanner.winningPlan.indexName", "loc_2dsphere");
    ASSERT_INT(&r, "stages.0.$geoNearCursor.executionStats.nReturned", 6);
    ck_assert_msg(fx_int(&r, "stages.0.$geoNearCursor.executionStats.totalDocsExamined") <
                      SPHERE_N / 10,
                  "%s", fx_to_json(&r));
    ASSERT_INT(&r, "stages.1.$limit", 6);
    bson_destroy(&r);
    /* with a query and maxDistance: the same documents as the find */
    ids_into(c,
             "{'aggregate': 'gs', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
             "'coordinates': [10, -10]}, 'distanceField': 'd', 'maxDistance': 800000, 'query': "
             "{'cat': 1}}}], 'cursor': {}}",
             a, sizeof(a));
    ids_into(c,
             "{'find': 'gs', 'filter': {'loc': {'$near': {'$geometry': {'type': 'Point', "
             "'coordinates': [10, -10]}, '$maxDistance': 800000}}, 'cat': 1}}",
             b, sizeof(b));
    ck_assert_str_eq(a, b);
    /* a legacy point on the 2dsphere index (radians), and a query on the geo field itself */
    ids_into(c,
             "{'aggregate': 'gs', 'pipeline': [{'$geoNear': {'near': [1.1, 2.3], 'distanceField': "
             "'d', 'query': {'loc': {'$exists': true}}}}, {'$limit': 6}], 'cursor': {}}",
             a, sizeof(a));
    ids_into(c,
             "{'find': 'gs', 'filter': {'loc': {'$near': {'$geometry': {'type': 'Point', "
             "'coordinates': [1.1, 2.3]}}}}, 'limit': 6}",
             b, sizeof(b));
    ck_assert_str_eq(a, b);
    /* a 2d index: planar distances */
    load_grid(c, "gn2", "[{'key': {'p': '2d'}, 'name': 'p_2d'}]");
    /* $nearSphere on it: radians on longitude/latitude, read through the index as well */
    ids_into(c, "{'find': 'gn2', 'filter': {'p': {'$nearSphere': [31.1, 62.3]}}, 'limit': 5}", a,
             sizeof(a));
    ids_into(c,
             "{'aggregate': 'gn2', 'pipeline': [{'$geoNear': {'near': [31.1, 62.3], "
             "'distanceField': 'd', 'spherical': true}}], 'cursor': {'batchSize': 5}}",
             b, sizeof(b));
    ck_assert_str_eq(a, b);
    CMD_OK(c, DB,
           "{'explain': {'find': 'gn2', 'filter': {'p': {'$nearSphere': [31.1, 62.3]}}, 'limit': "
           "5}, 'verbosity': 'executionStats'}",
           &r);
    ck_assert_msg(fx_int(&r, "executionStats.totalDocsExamined") < GRID_N / 10, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_str_eq(ids_into(c,
                              "{'aggregate': 'gn2', 'pipeline': [{'$geoNear': {'near': [1.1, "
                              "2.3], 'distanceField': 'd'}}, {'$limit': 5}], 'cursor': {}}",
                              a, sizeof(a)),
                     nearest_grid(1.1, 2.3, 5, want, sizeof(want)));
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'gn2', 'pipeline': [{'$geoNear': {'near': [1.1, 2.3], "
           "'distanceField': 'd'}}, {'$limit': 5}], 'cursor': {}}, 'verbosity': "
           "'executionStats'}",
           &r);
    ASSERT_STR(&r, "stages.0.$geoNearCursor.queryPlanner.winningPlan.stage", "GEO_NEAR_2D");
    ck_assert_msg(fx_int(&r, "stages.0.$geoNearCursor.executionStats.totalDocsExamined") <
                      GRID_N / 10,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Compound geo indexes: {cat: 1, loc: '2dsphere'} with an equality (or $in) on cat and a
 * region on loc scans only that category's cells; {p: '2d', tag: 1} scans the box's cells;
 * the answers are those of the unindexed copies. */
START_TEST(test_compound_geo)
{
    mongoc_client_t *c = IT_CLIENT();
    char a[4096], b[4096];
    bson_t r;

    load_sphere(c, "gc", "[{'key': {'cat': 1, 'loc': '2dsphere'}, 'name': 'cat_loc'}]");
    load_sphere(c, "gcplain", NULL);
    same_answer(c,
                "{'find': '%s', 'filter': {'cat': 2, 'loc': {'$geoWithin': {'$centerSphere': "
                "[[0, 0], 0.1]}}}, 'sort': {'_id': 1}}",
                "gc", "gcplain");
    same_answer(c,
                "{'find': '%s', 'filter': {'cat': {'$in': [0, 3]}, 'loc': {'$geoIntersects': "
                "{'$geometry': {'type': 'Polygon', 'coordinates': [[[20, 20], [30, 20], [30, 30], "
                "[20, 30], [20, 20]]]}}}}, 'sort': {'_id': 1}}",
                "gc", "gcplain");
    explain_scan(c, "gc", "{'cat': 2, 'loc': {'$geoWithin': {'$centerSphere': [[0, 0], 0.1]}}}",
                 "cat_loc", SPHERE_N, &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.cat.0", "[2, 2]");
    bson_destroy(&r);
    /* without the prefix's equality the index does not bound the scan */
    CMD_OK(c, DB,
           "{'explain': {'find': 'gc', 'filter': {'loc': {'$geoWithin': {'$centerSphere': [[0, "
           "0], 0.1]}}}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "COLLSCAN");
    bson_destroy(&r);
    /* $near with the prefix: nearest of that category */
    CMD_OK(c, DB,
           "{'find': 'gc', 'filter': {'cat': 3, 'loc': {'$near': {'$geometry': {'type': "
           "'Point', 'coordinates': [0, 0]}}}}, 'limit': 3}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.cat", 3);
    ASSERT_INT(&r, "cursor.firstBatch.2.cat", 3);
    bson_destroy(&r);
    /* $geoNear without the prefix: one read of the collection, not one per disc */
    load_sphere(c, "gcs", "[{'key': {'loc': '2dsphere'}, 'name': 'loc'}]");
    ck_assert_str_eq(ids_into(c,
                              "{'aggregate': 'gc', 'pipeline': [{'$geoNear': {'near': {'type': "
                              "'Point', 'coordinates': [7.3, 8.1]}, 'distanceField': 'd'}}, "
                              "{'$limit': 4}], 'cursor': {}}",
                              a, sizeof(a)),
                     ids_into(c,
                              "{'aggregate': 'gcs', 'pipeline': [{'$geoNear': {'near': {'type': "
                              "'Point', 'coordinates': [7.3, 8.1]}, 'distanceField': 'd'}}, "
                              "{'$limit': 4}], 'cursor': {}}",
                              b, sizeof(b)));
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'gc', 'pipeline': [{'$geoNear': {'near': {'type': 'Point', "
           "'coordinates': [7.3, 8.1]}, 'distanceField': 'd'}}, {'$limit': 4}], 'cursor': {}}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_INT(&r, "stages.0.$geoNearCursor.executionStats.totalDocsExamined", SPHERE_N);
    bson_destroy(&r);
    load_grid(c, "gc2", "[{'key': {'p': '2d', 'tag': 1}, 'name': 'p_tag'}]");
    load_grid(c, "gc2plain", NULL);
    same_answer(c,
                "{'find': '%s', 'filter': {'p': {'$geoWithin': {'$box': [[0, 0], [20, 20]]}}, "
                "'tag': 2}, 'sort': {'_id': 1}}",
                "gc2", "gc2plain");
    explain_scan(c, "gc2", "{'p': {'$geoWithin': {'$box': [[0, 0], [20, 20]]}}, 'tag': 2}", "p_tag",
                 GRID_N, &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("geo");
    TCase *tc = it_tcase(s, "geo", true);

    tcase_add_test(tc, test_invalid_refused);
    tcase_add_test(tc, test_build_over_data);
    tcase_add_test(tc, test_near);
    tcase_add_test(tc, test_within_intersects);
    tcase_add_test(tc, test_2d);
    tcase_add_test(tc, test_geonear_stage);
    tcase_add_test(tc, test_explain);
    tcase_add_test(tc, test_2d_scans);
    tcase_add_test(tc, test_geonear_index);
    tcase_add_test(tc, test_compound_geo);
    return it_main(s);
}
