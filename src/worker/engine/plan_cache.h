/*
 * src/worker/engine/plan_cache.h -- the winning index of a race, remembered per query shape.
 *
 * When several index plans compete (exec_race.c), the winner's index name is kept under the
 * namespace and the query's plan cache key (wk_plan_cache_shape: the filter's paths and
 * operators without their values, and the sort; the collation added when there is one), so
 * a later query of that shape plans the same index without racing, as mongod's plan cache
 * does (with its activation: an entry serves only once a second race confirmed it).  Any
 * catalog change (an index built, dropped or turned multikey) empties the cache; an entry
 * whose index is not among the candidates is ignored and replaced by the next race.
 * planCacheClear empties a namespace's entries (or one shape's).
 *
 * The cache is one per collection for the whole server, as mongod's: the master keeps it
 * (master/plancache.h, storage operations PLAN_CACHE_GET / _PUT / PLAN_CACHE), so a plan
 * chosen on one worker serves every connection, planCacheClear clears it for all and
 * $planCacheStats (agg/stage_plan_cache.c) lists every entry.  Each call is one store round
 * trip, made only when several candidates compete.  Event-loop thread only.
 */
#ifndef SRC_WORKER_ENGINE_PLAN_CACHE_H
#define SRC_WORKER_ENGINE_PLAN_CACHE_H

#include "../../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* wk_plan_cache_shape -- append the shape of filter and sort (either may be NULL) to s. */
void wk_plan_cache_shape(const bson_t *filter, const bson_t *sort, bson_string_t *s);

/* wk_plan_cache_key -- the shape of filter and sort appended to `shape`, and the plan cache
 * key to `key`: the shape, then the collation's spec when there is one (coll NULL: simple),
 * since the plan depends on it too.  explain's queryHash and planCacheKey hash these. */
struct sdb_collation;
void wk_plan_cache_key(const bson_t *filter, const bson_t *sort, const struct sdb_collation *coll,
                       bson_string_t *shape, bson_string_t *key);

/* wk_plan_cache_hash -- mongod-style 8 hex digit hash of a shape (explain's queryHash). */
void wk_plan_cache_hash(const char *shape, char out[9]);

/* wk_plan_cache_get -- the index of the active entry for (ns, key) into index (cap bytes);
 * *hit false when there is none.  Returns 0 or an error (err set) from the store. */
int wk_plan_cache_get(const char *ns, const char *key, char *index, size_t cap, bool *hit,
                      sdb_error_t *err);

/* wk_plan_cache_put -- a race's winner `index` for (ns, key), its trial works and its
 * $planCacheStats document (without isActive and works: the master keeps those). */
int wk_plan_cache_put(const char *ns, const char *key, const char *index, int64_t works,
                      const bson_t *entry, sdb_error_t *err);

/* wk_plan_cache_clear -- forget ns's entries (key NULL) or one key's; *n the count removed. */
int wk_plan_cache_clear(const char *ns, const char *key, int64_t *n, sdb_error_t *err);

/* wk_plan_cache_list -- ns's entries, oldest first: `reply` (initialized here, the caller
 * destroys it) is {entries: [{entry, isActive, works}]}. */
int wk_plan_cache_list(const char *ns, bson_t *reply, sdb_error_t *err);

#endif
