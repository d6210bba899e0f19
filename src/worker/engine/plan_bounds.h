/*
 * src/worker/engine/plan_bounds.h -- index bounds of one key field, derived from a filter.
 *
 * wk_plan_bounds_field collects the predicates a filter puts on one path (at its top level
 * and inside top-level $and, recursively) and turns each into intervals of values, as mongod's
 * index bounds builder does: $eq and a scalar equality give a point, $in a point per element,
 * $gt/$gte/$lt/$lte a range closed by the end of the value's type bracket ({$gt: 5} ->
 * (5, inf.0], {$lt: "m"} -> ["", "m")), $type a whole bracket, an anchored regex without
 * flags its prefix range ["abc", "abd") (any other regex every string) plus the regex itself
 * as a point; null (equality, $in, $exists: false) the point null, which missing fields key
 * as; $ne, $nin and $not over one comparison or $in the complement of what they negate, from
 * MinKey to MaxKey; $elemMatch its operators (intersected: one element satisfies them all)
 * or, over documents, the predicates on the rest of the path.  A predicate that gives no
 * bounds (a document or array equality, $exists: true, $where, ...) is ignored: the executor re-runs the whole matcher on
 * every fetched document, so bounds only need to hold every matching document.  On a
 * non-multikey field the predicates' intervals are intersected; on a multikey field only one
 * predicate is used (the most selective), because {a: {$gt: 1, $lt: 3}} matches a: [0, 5]
 * through two different elements.
 *
 * Intervals are in ascending value order (sdb_bson_value_cmp), sorted and disjoint.  Values
 * are views into the filter or into the arena (the upper ends of regex prefixes), so they
 * live as long as both.  Event-loop thread only; pure (no store calls).
 */
#ifndef SRC_WORKER_ENGINE_PLAN_BOUNDS_H
#define SRC_WORKER_ENGINE_PLAN_BOUNDS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wk_ival {
    bson_value_t lo, hi; /* ascending value order */
    bool lo_incl, hi_incl;
} wk_ival_t;

typedef struct wk_ivals {
    wk_ival_t *v; /* bson_malloc'd */
    size_t n;
    bool all; /* no bounds: [MinKey, MaxKey] (v empty) */
} wk_ivals_t;

typedef struct wk_plan_arena {
    char **s; /* owned strings the intervals point into */
    size_t n;
} wk_plan_arena_t;

/* wk_plan_bounds_field -- the intervals of `path` under `filter` (see the banner); out->all
 * when nothing bounds it.  Release out with wk_plan_ivals_free, the arena with
 * wk_plan_arena_free (after every use of out). */
void wk_plan_bounds_field(const bson_t *filter, const char *path, bool multikey,
                          wk_plan_arena_t *arena, wk_ivals_t *out);

/* wk_plan_ivals_free -- release an interval list (leaves it empty, not `all`). */
void wk_plan_ivals_free(wk_ivals_t *iv);

/* wk_plan_arena_free -- release the arena's strings. */
void wk_plan_arena_free(wk_plan_arena_t *a);

/* wk_plan_ival_points -- whether every interval is a single point ([v, v]). */
bool wk_plan_ival_points(const wk_ivals_t *iv);

/* wk_plan_ival_format -- append mongod's text of one interval to s ("[5, 5]", "(3, inf.0]",
 * "[MinKey, MaxKey]"); `reverse` writes it from hi to lo (a descending field, or a backward
 * scan), as mongod's indexBounds show it. */
void wk_plan_ival_format(const wk_ival_t *iv, bool reverse, bson_string_t *s);

#endif
