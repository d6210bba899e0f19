/*
 * src/common/geo/geojson.h -- GeoJSON and legacy coordinate values as S2 geometries.
 *
 * geojson.c reads a BSON value the way mongod's GeoParser does: a GeoJSON object ({type:
 * "Point" | "LineString" | "Polygon" | "MultiPoint" | "MultiLineString" | "MultiPolygon" |
 * "GeometryCollection", coordinates or geometries}) or a legacy point ([x, y] or {a: x, b:
 * y}), checks it (numbers only, longitude/latitude in bounds, rings closed, enough
 * vertices) and hands the parts to the S2 shim (s2_shim.h), which checks the rest (loops
 * that cross themselves, holes outside their shell).  Errors are mongod's reason texts; the
 * caller adds the prefix ("Can't extract geo keys: ...").
 *
 * Contract: pure functions, any thread; an sdb_geo_t owns its S2 geometry (sdb_geo_free).
 * On error nothing is allocated and msg holds the reason (SDB_GEO_MSG bytes).
 */
#ifndef SDB_GEO_GEOJSON_H
#define SDB_GEO_GEOJSON_H

#include "s2_shim.h"

#include <bson/bson.h>
#include <stdbool.h>

#define SDB_GEO_MSG 512

/* mongod's kRadiusOfEarthInMeters: distances of GeoJSON points are radians times this. */
#define SDB_GEO_EARTH_RADIUS_M 6378100.0

typedef struct sdb_geo {
    sdb_s2_t *s2;
    bool legacy; /* a legacy coordinate pair (planar or radians), not GeoJSON */
    bool point;  /* exactly one point: x, y */
    double x, y; /* the point's longitude and latitude (or planar x, y) */
} sdb_geo_t;

/* sdb_geo_is_legacy_point -- is v a legacy pair ([x, y, ...] or {a: x, b: y, ...}, the first
 * two numeric)? *x, *y receive it. */
bool sdb_geo_is_legacy_point(const bson_value_t *v, double *x, double *y);

/* sdb_geo_parse -- a stored or queried geometry (GeoJSON object or legacy point) into *out.
 * 0, or -1 with the reason in msg. */
int sdb_geo_parse(const bson_value_t *v, sdb_geo_t *out, char *msg);

/* sdb_geo_parse_all -- the geometries of one indexed field: a legacy point, a GeoJSON
 * object, or an array of those (every element one geometry); all go into one S2 geometry.
 * 1 when there was at least one, 0 when none (missing, null, empty array), -1 on error. */
int sdb_geo_parse_all(const bson_value_t *v, sdb_geo_t *out, char *msg);

/* sdb_geo_free -- release what a successful parse built. */
void sdb_geo_free(sdb_geo_t *g);

#endif
