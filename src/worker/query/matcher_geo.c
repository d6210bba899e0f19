/*
 * src/worker/query/matcher_geo.c -- $geoWithin, $geoIntersects, $near and $nearSphere.
 *
 * Parsing follows mongod's GeoExpression / GeoNearExpression: $geoWithin takes exactly one
 * of $geometry (Polygon or MultiPolygon), $box, $polygon, $center, $centerSphere;
 * $geoIntersects takes $geometry; $near / $nearSphere take a GeoJSON point in $geometry
 * (meters) or a legacy pair (planar, or radians for $nearSphere) with $maxDistance /
 * $minDistance inside the object or beside the operator.  Matching parses the stored value
 * (GeoJSON or legacy pair) and asks the S2 shim, GEOS for $polygon, plain arithmetic for
 * $box and $center (planar, as mongod's 2d).
 *
 * Invariants: a wk_geoq_t owns its geometry and its GEOS context; event-loop thread only.
 */
#include "geoq.h"

#include "../../common/sdb.h"

#include <geos_c.h>
#include <math.h>
#include <string.h>

typedef struct geos_poly {
    GEOSContextHandle_t h;
    GEOSGeometry *poly;
    const GEOSPreparedGeometry *prep;
} geos_poly_t;

static int
bad(sdb_error_t *err, const char *fmt, const char *arg)
{
    return sdb_error_set(err, SDB_CODE_BadValue, fmt, arg);
}

/* pair -- a legacy [x, y] (or {a: x, b: y}) at it. */
static bool
pair(const bson_iter_t *it, double *x, double *y)
{
    return sdb_geo_is_legacy_point(bson_iter_value((bson_iter_t *)it), x, y);
}

/* flat_points -- an array of legacy pairs into q->flat. */
static int
flat_points(wk_geoq_t *q, const bson_iter_t *arr, size_t min, const char *what, sdb_error_t *err)
{
    bson_iter_t it;
    double x, y;
    size_t cap = 0;

    if (!BSON_ITER_HOLDS_ARRAY(arr) || !bson_iter_recurse(arr, &it))
        return bad(err, "%s must be an array of points", what);
    while (bson_iter_next(&it)) {
        if (!pair(&it, &x, &y))
            return bad(err, "Point must only contain numeric elements (%s)", what);
        if (q->nflat + 2 > cap) {
            cap = cap ? cap * 2 : 16;
            q->flat = bson_realloc(q->flat, cap * sizeof(double));
        }
        q->flat[q->nflat++] = x;
        q->flat[q->nflat++] = y;
    }
    if (q->nflat / 2 < min)
        return sdb_error_set(err, SDB_CODE_BadValue, "%s must have at least %zu points", what, min);
    return 0;
}

/* geos_polygon -- the $polygon ring, closed, prepared for point tests. */
static int
geos_polygon(wk_geoq_t *q, sdb_error_t *err)
{
    geos_poly_t *g = bson_malloc0(sizeof(*g));
    size_t n = q->nflat / 2, i;
    GEOSCoordSequence *seq;
    GEOSGeometry *ring;

    q->geos = g;
    g->h = GEOS_init_r();
    seq = GEOSCoordSeq_create_r(g->h, (unsigned)(n + 1), 2);
    for (i = 0; i <= n; i++)
        GEOSCoordSeq_setXY_r(g->h, seq, (unsigned)i, q->flat[2 * (i % n)],
                             q->flat[2 * (i % n) + 1]);
    ring = GEOSGeom_createLinearRing_r(g->h, seq);
    if (ring != NULL)
        g->poly = GEOSGeom_createPolygon_r(g->h, ring, NULL, 0);
    if (g->poly != NULL)
        g->prep = GEOSPrepare_r(g->h, g->poly);
    if (g->prep == NULL)
        return bad(err, "%s", "Polygon must have at least 3 points");
    return 0;
}

/* within_arg -- {$geometry | $box | $polygon | $center | $centerSphere: ...}. */
static int
within_arg(wk_geoq_t *q, const bson_iter_t *spec, sdb_error_t *err)
{
    char msg[SDB_GEO_MSG];
    const char *k = bson_iter_key(spec);
    bson_iter_t it, c;
    double x, y, r;

    if (strcmp(k, "$geometry") == 0) {
        if (sdb_geo_parse(bson_iter_value((bson_iter_t *)spec), &q->geom, msg) != 0)
            return bad(err, "%s", msg);
        return 0;
    }
    if (strcmp(k, "$box") == 0) {
        SDB_RET(flat_points(q, spec, 2, "$box", err));
        if (q->nflat != 4)
            return bad(err, "%s", "$box must have exactly 2 points");
        q->shape = WK_GEO_BOX;
        if (q->flat[0] > q->flat[2]) {
            x = q->flat[0], q->flat[0] = q->flat[2], q->flat[2] = x;
        }
        if (q->flat[1] > q->flat[3]) {
            y = q->flat[1], q->flat[1] = q->flat[3], q->flat[3] = y;
        }
        return 0;
    }
    if (strcmp(k, "$polygon") == 0) {
        SDB_RET(flat_points(q, spec, 3, "Polygon", err));
        q->shape = WK_GEO_POLYGON;
        return geos_polygon(q, err);
    }
    if (strcmp(k, "$center") != 0 && strcmp(k, "$centerSphere") != 0)
        return bad(err, "unknown geo specifier: %s", k);
    if (!BSON_ITER_HOLDS_ARRAY(spec) || !bson_iter_recurse(spec, &it) || !bson_iter_next(&it) ||
        !pair(&it, &x, &y) || !bson_iter_next(&it) || !BSON_ITER_HOLDS_NUMBER(&it))
        return bad(err, "%s must be an array of [center, radius]", k);
    r = bson_iter_as_double(&it);
    c = it;
    if (bson_iter_next(&c) || !(r >= 0))
        return bad(err, "%s", "radius must be a non-negative number");
    if (strcmp(k, "$center") == 0) {
        q->shape = WK_GEO_CENTER;
        q->flat = bson_malloc(3 * sizeof(double));
        q->flat[0] = x, q->flat[1] = y, q->flat[2] = r;
        q->nflat = 3;
        return 0;
    }
    if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90))
        return bad(err, "%s", "Spherical MaxDistance > PI. Are you sure you are using radians?");
    q->geom.s2 = sdb_s2_new();
    sdb_s2_set_cap(q->geom.s2, x, y, r);
    return 0;
}

/* near_distance_opt -- a number >= 0 for $maxDistance / $minDistance. */
static int
near_distance_opt(wk_geoq_t *q, const char *k, const bson_iter_t *it, sdb_error_t *err)
{
    double d;

    if (!BSON_ITER_HOLDS_NUMBER(it))
        return bad(err, "%s must be a number", k);
    d = bson_iter_as_double((bson_iter_t *)it);
    if (!(d >= 0))
        return bad(err, "%s must be non-negative", k);
    if (strcmp(k, "$maxDistance") == 0)
        q->max_dist = d;
    else
        q->min_dist = d;
    return 0;
}

int
wk_geoq_set_distance(wk_geoq_t *q, const char *op, const bson_iter_t *arg, sdb_error_t *err)
{
    if (q->op != WK_GEO_NEAR)
        return bad(err, "%s can only be used with $near or $nearSphere", op);
    return near_distance_opt(q, op, arg, err);
}

/* near_arg -- $near / $nearSphere: {$geometry: Point, $maxDistance, $minDistance} or a pair. */
static int
near_arg(wk_geoq_t *q, bool sphere, const bson_iter_t *arg, sdb_error_t *err)
{
    char msg[SDB_GEO_MSG];
    bson_iter_t it;
    bool geometry = false;

    q->sphere = sphere;
    if (pair(arg, &q->x, &q->y)) {
        q->legacy = true;
        if (sphere && !(q->x >= -180 && q->x <= 180 && q->y >= -90 && q->y <= 90))
            return bad(err, "%s", "longitude/latitude is out of bounds");
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(arg) || !bson_iter_recurse(arg, &it))
        return bad(err, "%s", "near must be first in: { $near: ... }");
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$geometry") == 0) {
            if (sdb_geo_parse(bson_iter_value(&it), &q->geom, msg) != 0 || !q->geom.point)
                return bad(err, "invalid point in geo near query $geometry argument: %s",
                           q->geom.s2 != NULL ? "not a Point" : msg);
            geometry = true;
        } else if (strcmp(k, "$maxDistance") == 0 || strcmp(k, "$minDistance") == 0) {
            SDB_RET(near_distance_opt(q, k, &it, err));
        } else {
            return bad(err, "invalid argument in geo near query: %s", k);
        }
    }
    if (!geometry)
        return bad(err, "%s", "$geometry is required for geo near query");
    q->x = q->geom.x, q->y = q->geom.y;
    q->sphere = true;
    q->meters = !q->geom.legacy;
    return 0;
}

int
wk_geoq_parse(const char *op, const bson_iter_t *arg, wk_geoq_t **out, sdb_error_t *err)
{
    wk_geoq_t *q = bson_malloc0(sizeof(*q));
    bson_iter_t it;
    int ret = 0;

    q->max_dist = -1;
    if (strcmp(op, "$near") == 0 || strcmp(op, "$nearSphere") == 0) {
        q->op = WK_GEO_NEAR;
        SDB_ERR(near_arg(q, op[5] == 'S', arg, err));
        *out = q;
        return 0;
    }
    q->op = strcmp(op, "$geoIntersects") == 0 ? WK_GEO_INTERSECTS : WK_GEO_WITHIN;
    if (!BSON_ITER_HOLDS_DOCUMENT(arg) || !bson_iter_recurse(arg, &it) || !bson_iter_next(&it))
        SDB_ERR(bad(err, "%s must be an object", op));
    if (q->op == WK_GEO_INTERSECTS && strcmp(bson_iter_key(&it), "$geometry") != 0)
        SDB_ERR(bad(err, "%s", "$geoIntersects not supported with provided geometry"));
    SDB_ERR(within_arg(q, &it, err));
    if (q->op == WK_GEO_WITHIN && q->shape == WK_GEO_S2 && q->geom.point)
        SDB_ERR(bad(err, "%s", "$geoWithin not supported with provided geometry: a Point"));
    *out = q;
    return 0;
err:
    wk_geoq_free(q);
    return ret;
}

/* flat_match -- a legacy point inside a $box, $center or $polygon (boundaries included). */
static bool
flat_match(const wk_geoq_t *q, double x, double y)
{
    const geos_poly_t *g = q->geos;
    GEOSGeometry *pt;
    bool in;

    switch (q->shape) {
    case WK_GEO_BOX:
        return x >= q->flat[0] && x <= q->flat[2] && y >= q->flat[1] && y <= q->flat[3];
    case WK_GEO_CENTER:
        return hypot(x - q->flat[0], y - q->flat[1]) <= q->flat[2];
    case WK_GEO_POLYGON:
        pt = GEOSGeom_createPointFromXY_r(g->h, x, y);
        in = pt != NULL && GEOSPreparedCovers_r(g->h, g->prep, pt) == 1;
        GEOSGeom_destroy_r(g->h, pt);
        return in;
    default:
        return false;
    }
}

/* locations -- a multi-location value: an array of geometries (not itself a legacy pair);
 * its elements to *it. */
static bool
locations(const bson_value_t *v, bson_iter_t *it)
{
    double x, y;

    return v->value_type == BSON_TYPE_ARRAY && !sdb_geo_is_legacy_point(v, &x, &y) &&
           bson_iter_init_from_data(it, v->value.v_doc.data, v->value.v_doc.data_len);
}

bool
wk_geoq_value_distance(const wk_geoq_t *q, const bson_value_t *v, double *d)
{
    char msg[SDB_GEO_MSG];
    sdb_geo_t g;
    double x, y, e;
    bson_iter_t it;
    bool any = false;

    if (locations(v, &it)) { /* the nearest of several locations */
        while (bson_iter_next(&it))
            if (wk_geoq_value_distance(q, bson_iter_value(&it), &e) && (!any || e < *d)) {
                *d = e;
                any = true;
            }
        return any;
    }
    if (!q->sphere) {
        if (!sdb_geo_is_legacy_point(v, &x, &y))
            return false;
        *d = hypot(x - q->x, y - q->y);
        return true;
    }
    if (sdb_geo_parse(v, &g, msg) != 0)
        return false;
    *d = sdb_s2_distance(g.s2, q->x, q->y) * (q->meters ? SDB_GEO_EARTH_RADIUS_M : 1.0);
    sdb_geo_free(&g);
    return true;
}

bool
wk_geoq_match(const wk_geoq_t *q, const bson_iter_t *it)
{
    char msg[SDB_GEO_MSG];
    const bson_value_t *v;
    sdb_geo_t g;
    double x, y, d;
    bson_iter_t loc;
    bool r;

    if (it == NULL)
        return false;
    v = bson_iter_value((bson_iter_t *)it);
    if (q->op != WK_GEO_NEAR && locations(v, &loc)) { /* any of several locations */
        while (bson_iter_next(&loc))
            if (wk_geoq_match(q, &loc))
                return true;
        return false;
    }
    if (q->op == WK_GEO_NEAR)
        return wk_geoq_value_distance(q, v, &d) && d >= q->min_dist &&
               (q->max_dist < 0 || d <= q->max_dist);
    if (q->shape != WK_GEO_S2)
        return sdb_geo_is_legacy_point(v, &x, &y) && flat_match(q, x, y);
    if (sdb_geo_parse(v, &g, msg) != 0)
        return false;
    r = q->op == WK_GEO_WITHIN ? sdb_s2_within(g.s2, q->geom.s2) != 0
                               : sdb_s2_intersects(g.s2, q->geom.s2) != 0;
    sdb_geo_free(&g);
    return r;
}

void
wk_geoq_free(wk_geoq_t *q)
{
    geos_poly_t *g;

    if (q == NULL)
        return;
    sdb_geo_free(&q->geom);
    bson_free(q->flat);
    if ((g = q->geos) != NULL) {
        if (g->prep != NULL)
            GEOSPreparedGeom_destroy_r(g->h, g->prep);
        if (g->poly != NULL)
            GEOSGeom_destroy_r(g->h, g->poly);
        GEOS_finish_r(g->h);
        bson_free(g);
    }
    bson_free(q);
}
