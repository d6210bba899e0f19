/*
 * src/common/geo/s2_shim.h -- the C face of the S2 geometry shim (s2_shim.cpp).
 *
 * s2_shim.cpp is the only place that speaks to Google's S2 library (libs2, the library
 * mongod's 2dsphere index is built on).  A geometry (sdb_s2_t) is a bag of parts on the unit
 * sphere: points, polylines, polygons (with holes), and at most one cap (a $centerSphere or
 * a $near disc).  Callers build one part by part from longitude/latitude degrees -- GeoJSON
 * parsing and its error messages are geojson.c's, in C -- and then ask for index cells,
 * query ranges, containment, intersection and distance.  Spherical geometry is S2's; nothing
 * here hand-computes it.
 *
 * Contract: pure functions on caller-owned objects; any thread, no global state, nothing
 * logs.  Every int function returns 0, or -1 with a NUL-terminated reason in msg (mongod's
 * wording where S2 gives one).  A geometry is immutable once queried (the shim caches a shape
 * index inside it on first use).
 */
#ifndef SDB_GEO_S2_SHIM_H
#define SDB_GEO_S2_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdb_s2 sdb_s2_t;

#define SDB_S2_MSG 256

/* sdb_s2_new / sdb_s2_free -- an empty geometry; free releases it (NULL is fine). */
sdb_s2_t *sdb_s2_new(void);
void sdb_s2_free(sdb_s2_t *g);

/* sdb_s2_add_point -- a point at (lng, lat) degrees. */
void sdb_s2_add_point(sdb_s2_t *g, double lng, double lat);

/* sdb_s2_add_line -- a polyline through n (lng, lat) pairs (xy[2i], xy[2i+1]). */
int sdb_s2_add_line(sdb_s2_t *g, const double *xy, size_t n, char *msg);

/* sdb_s2_add_polygon -- a polygon from closed rings (ring i: counts[i] pairs at rings[i], last
 * equal to first): ring 0 the shell (taken as the smaller of the two areas it bounds, or with
 * `strict` the area to the left of its edges: mongod's strict-winding "big polygon"), the
 * others holes inside it. */
int sdb_s2_add_polygon(sdb_s2_t *g, const double *const *rings, const size_t *counts, size_t nrings,
                       int strict, char *msg);

/* sdb_s2_set_cap -- the disc of `radians` around (lng, lat). */
void sdb_s2_set_cap(sdb_s2_t *g, double lng, double lat, double radians);

/* sdb_s2_is_point -- is the geometry exactly one point?  Its coordinates go to *lng, *lat. */
int sdb_s2_is_point(const sdb_s2_t *g, double *lng, double *lat);

/* sdb_s2_index_cells -- the index keys of a stored geometry: the leaf cell of every point,
 * and for other parts a covering between levels [coarsest, finest] of at most max_cells
 * cells (mongod's S2IndexingParams).  fn(cell id, ctx) for each; duplicates possible. */
int sdb_s2_index_cells(sdb_s2_t *g, int coarsest, int finest, int max_cells,
                       void (*fn)(uint64_t cell, void *ctx), void *ctx);

/* sdb_s2_query_ranges -- the cell-id ranges an index scan must visit to find every stored
 * geometry indexed with sdb_s2_index_cells(coarsest..) that may intersect this query region:
 * each covering cell as [range_min, range_max] and each of its ancestors down to `coarsest`
 * as one id.  fn(lo, hi, ctx) for each; ranges may overlap. */
int sdb_s2_query_ranges(sdb_s2_t *g, int coarsest, int max_cells,
                        void (*fn)(uint64_t lo, uint64_t hi, void *ctx), void *ctx);

/* sdb_s2_within -- does `region` (polygons, or a cap) contain every part of `doc`? */
int sdb_s2_within(sdb_s2_t *doc, sdb_s2_t *region);

/* sdb_s2_intersects -- do the two geometries share a point? */
int sdb_s2_intersects(sdb_s2_t *a, sdb_s2_t *b);

/* sdb_s2_distance -- the least distance in radians from (lng, lat) to the geometry (0 inside
 * one of its polygons). */
double sdb_s2_distance(sdb_s2_t *g, double lng, double lat);

/* sdb_s2_cell_level -- mongod's S2::kAvgEdge.GetClosestLevel(radians). */
int sdb_s2_cell_level(double radians);

#ifdef __cplusplus
}
#endif

#endif
