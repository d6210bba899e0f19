/*
 * src/common/geo/geojson.c -- GeoJSON and legacy points, read and checked as mongod does.
 *
 * A value is walked once: its structure (type names, coordinate nesting, numbers, bounds,
 * closed rings, minimum vertex counts) is checked here with mongod's reason texts, and each
 * part is handed to the S2 shim, which validates what needs spherical geometry.  Coordinate
 * arrays are gathered into a growing double array (x, y pairs) per line or ring.
 *
 * Invariants: pure; nothing logs; an error leaves *out untouched and frees what was built.
 */
#include "geojson.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct xy {
    double *v; /* x, y pairs */
    size_t n, cap;
} xy_t;

static void
xy_push(xy_t *a, double x, double y)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = bson_realloc(a->v, a->cap * 2 * sizeof(double));
    }
    a->v[2 * a->n] = x;
    a->v[2 * a->n + 1] = y;
    a->n++;
}

static bool
num(const bson_iter_t *it, double *d)
{
    if (!BSON_ITER_HOLDS_NUMBER(it))
        return false;
    *d = bson_iter_as_double(it);
    return true;
}

bool
sdb_geo_is_legacy_point(const bson_value_t *v, double *x, double *y)
{
    bson_iter_t it;

    if ((v->value_type != BSON_TYPE_ARRAY && v->value_type != BSON_TYPE_DOCUMENT) ||
        !bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
        return false;
    return bson_iter_next(&it) && num(&it, x) && bson_iter_next(&it) && num(&it, y);
}

/* position -- one GeoJSON position [lng, lat, ...] appended to a; bounds checked. */
static int
position(const bson_iter_t *pos, xy_t *a, char *msg)
{
    bson_iter_t it;
    double x, y;

    if (!BSON_ITER_HOLDS_ARRAY(pos) || !bson_iter_recurse(pos, &it) || !bson_iter_next(&it) ||
        !num(&it, &x) || !bson_iter_next(&it) || !num(&it, &y)) {
        snprintf(msg, SDB_GEO_MSG, "Point must only contain numeric elements");
        return -1;
    }
    while (bson_iter_next(&it))
        if (!BSON_ITER_HOLDS_NUMBER(&it)) {
            snprintf(msg, SDB_GEO_MSG, "Point must only contain numeric elements");
            return -1;
        }
    if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90)) {
        snprintf(msg, SDB_GEO_MSG, "longitude/latitude is out of bounds, lng: %g lat: %g", x, y);
        return -1;
    }
    xy_push(a, x, y);
    return 0;
}

/* positions -- an array of positions into a. */
static int
positions(const bson_iter_t *arr, xy_t *a, const char *what, char *msg)
{
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_ARRAY(arr) || !bson_iter_recurse(arr, &it)) {
        snprintf(msg, SDB_GEO_MSG, "%s coordinates must be an array", what);
        return -1;
    }
    while (bson_iter_next(&it))
        if (position(&it, a, msg) != 0)
            return -1;
    return 0;
}

static int
line(sdb_s2_t *s2, const bson_iter_t *coords, char *msg)
{
    xy_t a = {0};
    int ret = -1;

    if (positions(coords, &a, "LineString", msg) != 0)
        goto done;
    if (a.n < 2) {
        snprintf(msg, SDB_GEO_MSG, "GeoJSON LineString must have at least 2 vertices");
        goto done;
    }
    ret = sdb_s2_add_line(s2, a.v, a.n, msg);
done:
    bson_free(a.v);
    return ret;
}

/* polygon_ex -- rings (closed, at least four positions each) into one S2 polygon; `strict`:
 * the big-polygon winding (one ring, interior on its left). */
static int
polygon_ex(sdb_s2_t *s2, const bson_iter_t *coords, int strict, char *msg)
{
    xy_t rings[64];
    const double *ptrs[64];
    size_t counts[64], n = 0, i;
    bson_iter_t it;
    int ret = -1;

    if (!BSON_ITER_HOLDS_ARRAY(coords) || !bson_iter_recurse(coords, &it)) {
        snprintf(msg, SDB_GEO_MSG, "Polygon coordinates must be an array");
        return -1;
    }
    while (bson_iter_next(&it)) {
        xy_t *r;

        if (n == 64) {
            snprintf(msg, SDB_GEO_MSG, "Polygon has too many rings");
            goto done;
        }
        r = &rings[n++];
        memset(r, 0, sizeof(*r));
        if (positions(&it, r, "Polygon", msg) != 0)
            goto done;
        if (r->n < 4) {
            snprintf(msg, SDB_GEO_MSG,
                     "Loop must have at least 4 vertices (the first and last the same)");
            goto done;
        }
        if (r->v[0] != r->v[2 * (r->n - 1)] || r->v[1] != r->v[2 * (r->n - 1) + 1]) {
            snprintf(msg, SDB_GEO_MSG,
                     "Loop is not closed, first vertex does not equal last vertex: [ %g, %g ] "
                     "[ %g, %g ]",
                     r->v[0], r->v[1], r->v[2 * (r->n - 1)], r->v[2 * (r->n - 1) + 1]);
            goto done;
        }
        ptrs[n - 1] = r->v;
        counts[n - 1] = r->n;
    }
    if (n == 0) {
        snprintf(msg, SDB_GEO_MSG, "Polygon has no loops.");
        goto done;
    }
    if (strict && n > 1) {
        snprintf(msg, SDB_GEO_MSG, "Only one loop is allowed in a strict winding polygon");
        goto done;
    }
    ret = sdb_s2_add_polygon(s2, ptrs, counts, n, strict, msg);
done:
    for (i = 0; i < n; i++)
        bson_free(rings[i].v);
    return ret;
}

static int
polygon(sdb_s2_t *s2, const bson_iter_t *coords, char *msg)
{
    return polygon_ex(s2, coords, 0, msg);
}

/* crs -- the coordinate system of a GeoJSON object: 0 the default (EPSG:4326 or CRS84), 1
 * mongod's strict winding; -1 an unknown one. */
static int
crs(const bson_t *obj, char *msg)
{
    bson_iter_t it, name;
    const char *s;

    if (!bson_iter_init_find(&it, obj, "crs"))
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &name) ||
        !bson_iter_find_descendant(&name, "properties.name", &name) ||
        !BSON_ITER_HOLDS_UTF8(&name)) {
        snprintf(msg, SDB_GEO_MSG, "GeoJSON CRS must have a name");
        return -1;
    }
    s = bson_iter_utf8(&name, NULL);
    if (strcmp(s, "urn:x-mongodb:crs:strictwinding:EPSG:4326") == 0)
        return 1;
    if (strcmp(s, "EPSG:4326") == 0 || strcmp(s, "urn:ogc:def:crs:OGC:1.3:CRS84") == 0)
        return 0;
    snprintf(msg, SDB_GEO_MSG, "Unknown CRS name: %s", s);
    return -1;
}

/* each -- call part() on every element of a Multi* coordinates array. */
static int
each(sdb_s2_t *s2, const bson_iter_t *coords, int (*part)(sdb_s2_t *, const bson_iter_t *, char *),
     const char *what, char *msg)
{
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_ARRAY(coords) || !bson_iter_recurse(coords, &it)) {
        snprintf(msg, SDB_GEO_MSG, "%s coordinates must be an array", what);
        return -1;
    }
    while (bson_iter_next(&it))
        if (part(s2, &it, msg) != 0)
            return -1;
    return 0;
}

static int
point(sdb_s2_t *s2, const bson_iter_t *coords, char *msg)
{
    xy_t a = {0};

    if (position(coords, &a, msg) != 0) {
        bson_free(a.v);
        return -1;
    }
    sdb_s2_add_point(s2, a.v[0], a.v[1]);
    bson_free(a.v);
    return 0;
}

static int geojson(sdb_s2_t *s2, const bson_t *obj, sdb_geo_t *info, int depth, char *msg);

static int
collection(sdb_s2_t *s2, const bson_iter_t *geoms, int depth, char *msg)
{
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_ARRAY(geoms) || !bson_iter_recurse(geoms, &it)) {
        snprintf(msg, SDB_GEO_MSG, "GeometryCollection geometries must be an array");
        return -1;
    }
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t l;
        bson_t sub;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
            snprintf(msg, SDB_GEO_MSG, "Element %s of \"geometries\" is not an object",
                     bson_iter_key(&it));
            return -1;
        }
        bson_iter_document(&it, &l, &d);
        if (!bson_init_static(&sub, d, l) || geojson(s2, &sub, NULL, depth + 1, msg) != 0)
            return -1;
    }
    return 0;
}

/* geojson -- one GeoJSON object (its type and coordinates) into s2. */
static int
geojson(sdb_s2_t *s2, const bson_t *obj, sdb_geo_t *info, int depth, char *msg)
{
    bson_iter_t t, c;
    const char *type;

    if (depth > 16) {
        snprintf(msg, SDB_GEO_MSG, "GeometryCollection nested too deeply");
        return -1;
    }
    if (!bson_iter_init_find(&t, obj, "type") || !BSON_ITER_HOLDS_UTF8(&t)) {
        snprintf(msg, SDB_GEO_MSG, "unknown GeoJSON type");
        return -1;
    }
    type = bson_iter_utf8(&t, NULL);
    if (strcmp(type, "GeometryCollection") == 0) {
        if (!bson_iter_init_find(&c, obj, "geometries")) {
            snprintf(msg, SDB_GEO_MSG, "GeometryCollection must contain \"geometries\"");
            return -1;
        }
        return collection(s2, &c, depth, msg);
    }
    if (!bson_iter_init_find(&c, obj, "coordinates")) {
        snprintf(msg, SDB_GEO_MSG, "coordinates not found");
        return -1;
    }
    if (strcmp(type, "Point") == 0) {
        if (point(s2, &c, msg) != 0)
            return -1;
        if (info != NULL)
            info->point = sdb_s2_is_point(s2, &info->x, &info->y);
        return 0;
    }
    if (strcmp(type, "LineString") == 0)
        return line(s2, &c, msg);
    if (strcmp(type, "Polygon") == 0) {
        int strict = crs(obj, msg);

        return strict < 0 ? -1 : polygon_ex(s2, &c, strict, msg);
    }
    if (strcmp(type, "MultiPoint") == 0)
        return each(s2, &c, point, "MultiPoint", msg);
    if (strcmp(type, "MultiLineString") == 0)
        return each(s2, &c, line, "MultiLineString", msg);
    if (strcmp(type, "MultiPolygon") == 0)
        return each(s2, &c, polygon, "MultiPolygon", msg);
    snprintf(msg, SDB_GEO_MSG, "unknown GeoJSON type: %s", type);
    return -1;
}

/* one -- a legacy point or a GeoJSON object into s2 (info: the first's flags). */
static int
one(sdb_s2_t *s2, const bson_value_t *v, sdb_geo_t *info, char *msg)
{
    double x, y;
    bson_t obj;

    if (sdb_geo_is_legacy_point(v, &x, &y)) {
        if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90)) {
            snprintf(msg, SDB_GEO_MSG, "longitude/latitude is out of bounds, lng: %g lat: %g", x,
                     y);
            return -1;
        }
        sdb_s2_add_point(s2, x, y);
        if (info != NULL) {
            info->legacy = info->point = true;
            info->x = x;
            info->y = y;
        }
        return 0;
    }
    if (v->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&obj, v->value.v_doc.data, v->value.v_doc.data_len)) {
        snprintf(msg, SDB_GEO_MSG, "geo element must be an array or object");
        return -1;
    }
    return geojson(s2, &obj, info, 0, msg);
}

int
sdb_geo_parse(const bson_value_t *v, sdb_geo_t *out, char *msg)
{
    sdb_geo_t g = {0};

    g.s2 = sdb_s2_new();
    if (one(g.s2, v, &g, msg) != 0) {
        sdb_s2_free(g.s2);
        return -1;
    }
    *out = g;
    return 0;
}

int
sdb_geo_parse_all(const bson_value_t *v, sdb_geo_t *out, char *msg)
{
    sdb_geo_t g = {0};
    bson_iter_t it;
    double x, y;
    int n = 0;

    if (v->value_type == BSON_TYPE_NULL || v->value_type == BSON_TYPE_EOD ||
        v->value_type == BSON_TYPE_UNDEFINED)
        return 0;
    if (v->value_type != BSON_TYPE_ARRAY || sdb_geo_is_legacy_point(v, &x, &y))
        return sdb_geo_parse(v, out, msg) == 0 ? 1 : -1;
    if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
        return 0;
    g.s2 = sdb_s2_new();
    while (bson_iter_next(&it)) {
        if (one(g.s2, bson_iter_value(&it), NULL, msg) != 0) {
            sdb_s2_free(g.s2);
            return -1;
        }
        n++;
    }
    if (n == 0) {
        sdb_s2_free(g.s2);
        return 0;
    }
    *out = g;
    return 1;
}

void
sdb_geo_free(sdb_geo_t *g)
{
    sdb_s2_free(g->s2);
    g->s2 = NULL;
}
