/*
 * src/worker/engine/geo_near.h -- proximity reads: find's $near / $nearSphere and the
 * $geoNear stage, ordered by distance.
 *
 * A near read names one geo field and one point.  It needs a geo index on that field, as
 * mongod's GEO_NEAR plans do (291 NoQueryExecutionPlans "unable to find index for $geoNear
 * query" without one): a GeoJSON point needs a 2dsphere index; a legacy pair takes a 2d
 * index (planar distances) or a 2dsphere one (then radians).  The read itself collects the
 * documents the filter matches (the filter's own $near keeps only those within
 * $minDistance..$maxDistance), and orders them by the least distance of any geometry at
 * the path (wk_geo_near_order).
 *
 * Contract: event-loop thread; a wk_geo_near_t owns its predicate and path; documents are
 * caller-owned.  Errors are client errors in *err.
 */
#ifndef SRC_WORKER_ENGINE_GEO_NEAR_H
#define SRC_WORKER_ENGINE_GEO_NEAR_H

#include "../../common/errors.h"
#include "../../common/path.h"
#include "../op.h"
#include "../query/geoq.h"
#include "exec.h"
#include "exec_plan.h"

#include <bson/bson.h>

typedef struct wk_geo_near {
    sdb_path_t path;
    wk_geoq_t *q;   /* owned */
    int kind;       /* the index's SDB_GEO_2DSPHERE or SDB_GEO_2D */
    bool resphered; /* a legacy $near on a 2dsphere index: measured in radians here only */
    char index[WK_EXEC_IXNAME_MAX]; /* its name */
    bson_t *key; /* its key pattern (owned copy; a pointer: bson_t's alignment exceeds malloc's) */
    sdb_geo_flat_t flat; /* a 2d index's grid */
} wk_geo_near_t;

/* What a near read found: copies of the matching documents, nearest first, and what its
 * index scans examined in all (explain's totalKeysExamined / totalDocsExamined). */
typedef struct wk_geo_near_hits {
    bson_t **docs;
    size_t n;
    uint64_t keys, examined;
} wk_geo_near_hits_t;

/* wk_geo_near_from_filter -- the top-level $near / $nearSphere of a filter, or *out NULL when
 * it has none. */
int wk_geo_near_from_filter(const bson_t *filter, wk_geo_near_t **out, sdb_error_t *err);

/* wk_geo_near_new -- a near read of `path` around `near` (a GeoJSON point or a legacy pair;
 * spherical: legacy distances in radians), for the $geoNear stage; no distance bounds. */
int wk_geo_near_new(const char *path, const bson_iter_t *near, bool spherical, wk_geo_near_t **out,
                    sdb_error_t *err);

/* wk_geo_near_index -- pick the geo index of ns the read uses: on path when path is set
 * (else the only geo index, filling the path: 27 IndexNotFound when there are none or
 * several, as mongod's $geoNear), 291 when none on the path fits.  Also fixes the units of a legacy point on a 2dsphere index. */
int wk_geo_near_index(wk_geo_near_t *g, const char *ns, bool need_path, sdb_error_t *err);

/* wk_geo_near_distance -- the least distance of doc's geometries at the path (and the one
 * value that gave it, a view into doc, when loc is not NULL); false when none. */
bool wk_geo_near_distance(const wk_geo_near_t *g, const bson_t *doc, double *d, bson_value_t *loc);

/* wk_geo_near_order -- sort n documents by distance, nearest first (stable). */
int wk_geo_near_order(const wk_geo_near_t *g, bson_t **docs, size_t n, const wk_op_t *op,
                      sdb_error_t *err);

/* wk_geo_near_explain -- the plan stage of a near read: GEO_NEAR_2DSPHERE or GEO_NEAR_2D on
 * its index (with stats: nReturned). */
void wk_geo_near_explain(const wk_geo_near_t *g, bool stats, uint64_t nret, bson_t *out);

/* wk_geo_near_bounded -- filter with the near operator of g's field bounded by a sibling
 * $maxDistance r (in the query's units), into out (initialized here): a read of the disc r. */
void wk_geo_near_bounded(const wk_geo_near_t *g, const bson_t *filter, double r, bson_t *out);

/* wk_geo_near_grows -- whether the read of g can grow discs (wk_geo_near_read): no
 * $maxDistance, and distances in the units of its index's keys (not a planar $near measured on
 * a 2dsphere index). */
bool wk_geo_near_grows(const wk_geo_near_t *g);

/* wk_geo_near_read -- the documents of ns that filter matches (filter holds g's near operator
 * at the top level; mo allows it), nearest first, into out.  With want > 0 and
 * wk_geo_near_grows, it reads discs of growing radius (each a bounded $near, which the planner
 * scans through the geo index: plan_geo.c) until one holds `want` matches or covers every
 * point: every match outside a disc is farther than every one inside, so the disc's nearest
 * `want` are the answer (mongod's growing annulus search, one step per radius, the radius
 * doubling), as long as the planner scans a geo index for a disc (a compound one whose prefix
 * the filter does not bound would not).  Otherwise one
 * read of filter.  ex (initialized, its op and read_ts set) is opened here; the caller closes
 * it.  rid: each copy also carries its record id as "$recordId" (find's convention). */
int wk_geo_near_read(const wk_geo_near_t *g, wk_exec_t *ex, const char *ns, const bson_t *filter,
                     const wk_match_opts_t *mo, size_t want, bool rid, wk_geo_near_hits_t *out,
                     sdb_error_t *err);

/* wk_geo_near_hits_free -- release what a near read found (leaves it empty). */
void wk_geo_near_hits_free(wk_geo_near_hits_t *h);

/* wk_geo_near_free -- release a near read (NULL is fine). */
void wk_geo_near_free(wk_geo_near_t *g);

#endif
