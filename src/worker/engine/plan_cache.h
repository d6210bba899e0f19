/*
 * src/worker/engine/plan_cache.h -- the winning index of a race, remembered per query shape.
 *
 * When several index plans compete (exec_race.c), the winner's index name is kept under the
 * namespace and the query's shape (wk_plan_cache_shape: the filter's paths and operators
 * without their values, and the sort), so the next query of that shape plans the same index
 * without racing, as mongod's plan cache does.  Any catalog change (an index built, dropped
 * or turned multikey) empties the cache; an entry whose index is not among the candidates is
 * ignored and replaced by the next race.  planCacheClear empties a namespace's
 * entries (or one shape's).
 *
 * The cache lives in each worker's memory: a worker's queries fill and use its own, and
 * planCacheClear clears the cache of the worker that runs it (the connection's); the
 * $planCacheStats stage (agg/stage_plan_cache.c) likewise lists only that worker's entries.  At most
 * WK_PLAN_CACHE_MAX entries; the oldest goes first.  Event-loop thread only.
 */
#ifndef SRC_WORKER_ENGINE_PLAN_CACHE_H
#define SRC_WORKER_ENGINE_PLAN_CACHE_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#define WK_PLAN_CACHE_MAX 1024

/* wk_plan_cache_shape -- append the shape of filter and sort (either may be NULL) to s. */
void wk_plan_cache_shape(const bson_t *filter, const bson_t *sort, bson_string_t *s);

/* wk_plan_cache_hash -- mongod-style 8 hex digit hash of a shape (explain's queryHash). */
void wk_plan_cache_hash(const char *shape, char out[9]);

/* wk_plan_cache_get -- the index name cached for (ns, shape), or NULL (valid until the next
 * put or clear). */
const char *wk_plan_cache_get(const char *ns, const char *shape);

/* wk_plan_cache_put -- remember `index` as the winner for (ns, shape). */
void wk_plan_cache_put(const char *ns, const char *shape, const char *index);

/* wk_plan_cache_clear -- forget ns's entries (shape NULL) or one shape's; the count removed. */
size_t wk_plan_cache_clear(const char *ns, const char *shape);

/* wk_plan_cache_note -- what created (ns, shape)'s entry, for $planCacheStats: the query's
 * filter and sort (copied; either may be NULL) and the winner's trial work. */
void wk_plan_cache_note(const char *ns, const char *shape, const bson_t *filter, const bson_t *sort,
                        int64_t works);

/* One entry as wk_plan_cache_each shows it (views valid during the call). */
typedef struct wk_plan_cache_entry {
    const char *shape, *index;
    const bson_t *query; /* {query, sort?} or NULL */
    int64_t works, created_ms;
} wk_plan_cache_entry_t;

typedef void (*wk_plan_cache_fn)(const wk_plan_cache_entry_t *e, void *arg);

/* wk_plan_cache_each -- call fn for each of ns's entries, oldest first. */
void wk_plan_cache_each(const char *ns, wk_plan_cache_fn fn, void *arg);

#endif
