/*
 * src/worker/engine/exec_plan.h -- secondary-index plans of the read executor.
 *
 * wk_exec_plan_index (plan_index.c) picks a non-sparse, non-partial, non-hidden ascending,
 * descending, hashed or wildcard index (one with a collation under the rules of
 * wk_exec_plan_candidates) that bounds the filter
 * (compound bounds: leading equalities and $in points, then one field's intervals, from
 * plan_bounds.h; bounds on a multikey field are never intersected) or provides the sort, and
 * builds the disjoint key ranges an IXSCAN walks, forward or backward.  The plan also
 * answers, for a fetched document, the first index entry of that document the scan visits
 * (wk_exec_plan_first_entry): the executor hands a document out only at that entry, which
 * makes a resumed scan skip records it already met and gives a provided sort its order.
 *
 * Ownership: a plan owns copies of everything it holds; wk_exec_plan_free releases it.
 * Event-loop thread only; nothing here calls the store.
 */
#ifndef SRC_WORKER_ENGINE_EXEC_PLAN_H
#define SRC_WORKER_ENGINE_EXEC_PLAN_H

#include "../../common/errors.h"
#include "../../common/geo/geo_keys.h"
#include "../../common/keyenc.h"
#include "../catalog_cache.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define WK_EXEC_IXNAME_MAX 256
#define WK_EXEC_MAX_CANDIDATES 16 /* index plans raced at most (mongod: 64 solutions) */

typedef struct wk_exec_range {
    sdb_keybuf_t lo, hi; /* encoded bounds, in index order */
    bool lo_incl, hi_incl;
} wk_exec_range_t;

typedef struct wk_exec_plan {
    char name[WK_EXEC_IXNAME_MAX];
    bson_t key;  /* owned copy of the key pattern */
    bool unique; /* entries are key bytes only (the record id lives in the value) */
    bool sparse, partial, multikey; /* the index's kind, for explain */
    bool sorted;                    /* the scan yields the sort the plan was asked for */
    bool bounded;   /* the filter bounds the scan (else it only gives the sort, or is hinted) */
    uint64_t keys;  /* entries the master looked at for this plan (explain) */
    int score, ord; /* the planner's rank of it, and its index's place in the catalog */
    struct {        /* its trial in a race (exec_race.c) */
        uint64_t keys, docs, advanced;
        bool eof, ran;
    } trial;
    int dir;        /* 1 forward, -1 backward (IXSCAN dir) */
    bson_t ranges;  /* the IXSCAN request's ranges array */
    bson_t bounds;  /* explain's indexBounds: {field: ["[5, 5]", ...]} in scan order */
    bson_t mkpaths; /* explain's multiKeyPaths of a multikey index: {field: [prefix...]} */
    struct sdb_collation *coll; /* the index's collation (owned; keys and bounds are its ICU
                                 * sort keys), NULL = simple */
    bson_t wkey;  /* a wildcard index's own pattern (key is then {$_path: 1, path: 1}, as
                     * explain shows it); empty otherwise */
    bson_t wproj; /* that wildcard index's wildcardProjection (empty: none) */
    bson_t text;  /* a text index's spec when the plan scans its terms (text.h); else empty */
    sdb_geo_flat_t flat; /* a 2d index's grid when the plan scans one (bits 0: none) */
    wk_exec_range_t *r;
    size_t nr;
    int64_t *seen; /* open-addressing set of record ids already met by this executor */
    size_t nseen, seencap;
} wk_exec_plan_t;

/* wk_exec_plan_init -- an empty plan (wk_exec_plan_free is then safe). */
void wk_exec_plan_init(wk_exec_plan_t *p);

/* wk_exec_plan_free -- release everything; leaves the plan as wk_exec_plan_init does. */
void wk_exec_plan_free(wk_exec_plan_t *p);

/* wk_exec_plan_index -- plan an index scan of ci for filter (NULL = none) and sort (NULL or
 * {} = none; p->sorted says whether the scan provides it); *ok false (plan untouched) when no
 * index applies.  Returns 0 or a negative SDB_E* (encoding failure). */
int wk_exec_plan_index(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                       const struct sdb_collation *coll, wk_exec_plan_t *p, bool *ok);

/* wk_exec_plan_candidates -- every index plan for filter and sort that is bounded or gives
 * the sort, under the query's collation `coll` (NULL = simple): an index whose collation is
 * the query's is used in full; any other only for bounds that hold no string, document or
 * array and never for the sort (mongod's rule: their keys order strings differently), best score first (ties in catalog order), at most WK_EXEC_MAX_CANDIDATES: the
 * race's entrants.  *out: bson_malloc'd array of bson_malloc'd plans (wk_exec_plan_list_free). */
int wk_exec_plan_candidates(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                            const struct sdb_collation *coll, wk_exec_plan_t ***out, size_t *n);

/* wk_exec_plan_list_free -- free an array of heap plans (NULL entries allowed) and it. */
void wk_exec_plan_list_free(wk_exec_plan_t **v, size_t n);

/* wk_exec_plan_take -- move src into dst (dst's old contents freed; src left empty). */
void wk_exec_plan_take(wk_exec_plan_t *dst, wk_exec_plan_t *src);

/* wk_exec_plan_or -- one bounded index plan per clause of filter's top-level $or (each
 * clause planned as a filter of its own, preferring among equals a scan that gives `sort`,
 * which a SORT_MERGE needs), as mongod's OR stage; *n 0 (nothing allocated) when
 * there is no $or or a clause has no bounded plan.  *out: bson_malloc'd array of bson_malloc'd
 * plans, the caller frees each (wk_exec_plan_free) and them. */
int wk_exec_plan_or(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                    const struct sdb_collation *coll, wk_exec_plan_t ***out, size_t *n);

/* wk_exec_plan_hinted -- plan a scan of the index `hint` names (its name, or its key pattern),
 * as mongod runs a hinted find: over the filter's bounds when `bounds` (no collation), else
 * over every entry, backward when that provides the sort.  *ok false (plan untouched) when no
 * such index exists or it is not a plain ascending/descending one. */
int wk_exec_plan_hinted(const wk_coll_info_t *ci, const bson_t *filter, const bson_value_t *hint,
                        bool bounds, const bson_t *sort, wk_exec_plan_t *p, bool *ok);

/* wk_exec_plan_minmax -- replace a hinted plan's ranges by find's [min, max) (empty = open
 * end) in index order: 51174 when min or max does not name the key pattern's fields in
 * order, 51175 when min does not come before max (err set, SDB_ECLIENT). */
int wk_exec_plan_minmax(wk_exec_plan_t *p, const bson_t *min, const bson_t *max, sdb_error_t *err);

/* wk_exec_plan_hinted_spec -- the spec (a view into ci) of the index `hint` names; a hidden
 * index cannot be hinted (it is not there for the planner). */
bool wk_exec_plan_hinted_spec(const wk_coll_info_t *ci, const bson_value_t *hint, bson_t *spec);

/* wk_exec_plan_explain -- append mongod's IXSCAN stage fields (stage, keyPattern, indexName,
 * isMultiKey, multiKeyPaths, isUnique, isSparse, isPartial, indexVersion, direction,
 * indexBounds) of the plan to `stage`. */
void wk_exec_plan_explain(const wk_exec_plan_t *p, bson_t *stage);

/* wk_exec_plan_hint_exists -- does ci have the index `hint` names (by name or key pattern)? */
bool wk_exec_plan_hint_exists(const wk_coll_info_t *ci, const bson_value_t *hint);

/* wk_exec_plan_first_entry -- the first index entry in scan order (key bytes, plus the record
 * id for a non-unique index) of doc/rid inside the plan's ranges; *any false when none. */
int wk_exec_plan_first_entry(const wk_exec_plan_t *p, const bson_t *doc, int64_t rid,
                             sdb_keybuf_t *out, bool *any);

/* wk_exec_plan_seen -- record rid in the seen set; true when it was already there. */
bool wk_exec_plan_seen(wk_exec_plan_t *p, int64_t rid);

/* wk_exec_plan_keycmp -- memcmp order of two entry keys (a shorter prefix sorts first). */
int wk_exec_plan_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);

/* wk_exec_plan_geo (plan_geo.c) -- the plan of a top-level $geoWithin / $geoIntersects /
 * bounded $near over a 2dsphere or 2d index with that geo field (the fields before it bounded
 * by points; strings only under the simple collation, `coll` the query's): the region's key
 * ranges; *ok false when none applies (the plan is then untouched). */
int wk_exec_plan_geo(const wk_coll_info_t *ci, const bson_t *filter,
                     const struct sdb_collation *coll, wk_exec_plan_t *p, bool *ok);

#endif
