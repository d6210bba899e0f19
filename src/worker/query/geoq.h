/*
 * src/worker/query/geoq.h -- geospatial query predicates: $geoWithin, $geoIntersects, $near,
 * $nearSphere (matcher_geo.c).
 *
 * A geo predicate is parsed once into a wk_geoq_t: the region ($geometry through the S2 shim,
 * $centerSphere as an S2 cap, $box / $center / $polygon as planar shapes -- $polygon through
 * GEOS), or the near point with its units and distance bounds.  The matcher calls
 * wk_geoq_match on each value its path reaches (arrays at the leaf are not expanded: [x, y]
 * is one legacy point, as in mongod).  A $near predicate also answers the distance of a
 * document (wk_geoq_distance), which the executor sorts by.
 *
 * Units, as mongod: a GeoJSON near point measures meters on a sphere of SDB_GEO_EARTH_RADIUS_M;
 * legacy $nearSphere (or spherical $geoNear) radians; legacy $near planar units.
 *
 * Contract: event-loop thread (GEOS's context is the predicate's own); a wk_geoq_t is
 * immutable after parsing except for its shim's lazily built shape index; owned by its
 * matcher node.
 */
#ifndef SRC_WORKER_QUERY_GEOQ_H
#define SRC_WORKER_QUERY_GEOQ_H

#include "../../common/errors.h"
#include "../../common/geo/geojson.h"
#include "../../common/path.h"

#include <bson/bson.h>
#include <stdbool.h>

typedef enum wk_geo_op {
    WK_GEO_WITHIN,
    WK_GEO_INTERSECTS,
    WK_GEO_NEAR
} wk_geo_op_t;

typedef enum wk_geo_shape {
    WK_GEO_S2,      /* $geometry (GeoJSON), $centerSphere (cap), a near point */
    WK_GEO_BOX,     /* flat[0..3]: x1, y1, x2, y2 (normalized: x1 <= x2, y1 <= y2) */
    WK_GEO_CENTER,  /* flat[0..2]: x, y, radius */
    WK_GEO_POLYGON, /* flat: n x, y pairs; geos: the prepared polygon */
} wk_geo_shape_t;

typedef struct wk_geoq {
    wk_geo_op_t op;
    wk_geo_shape_t shape;
    sdb_geo_t geom; /* WK_GEO_S2: the region, or the near point */
    double *flat;
    size_t nflat;
    void *geos;                /* WK_GEO_POLYGON: GEOS context, polygon, prepared polygon */
    bool legacy;               /* the query gave legacy coordinates ($near [x, y], $box, ...) */
    bool sphere;               /* near: distances on the sphere ($nearSphere or a GeoJSON point) */
    bool meters;               /* near: distances in meters (GeoJSON point) */
    double x, y;               /* near: the point */
    double min_dist, max_dist; /* near: bounds in the query's units; max < 0: none */
} wk_geoq_t;

/* wk_geoq_parse -- the argument of op ("$geoWithin", "$within", "$geoIntersects", "$near",
 * "$nearSphere") into a new predicate; BadValue (mongod's texts) on malformed input. */
int wk_geoq_parse(const char *op, const bson_iter_t *arg, wk_geoq_t **out, sdb_error_t *err);

/* wk_geoq_set_distance -- a sibling $maxDistance / $minDistance of a legacy $near. */
int wk_geoq_set_distance(wk_geoq_t *q, const char *op, const bson_iter_t *arg, sdb_error_t *err);

/* wk_geoq_match -- does one value (it; NULL = missing) satisfy the predicate? */
bool wk_geoq_match(const wk_geoq_t *q, const bson_iter_t *it);

/* wk_geoq_value_distance -- the distance of one value from the near point in the query's
 * units; false when the value is no geometry of the right kind. */
bool wk_geoq_value_distance(const wk_geoq_t *q, const bson_value_t *v, double *d);

/* wk_geoq_free -- release a predicate (NULL is fine). */
void wk_geoq_free(wk_geoq_t *q);

#endif
