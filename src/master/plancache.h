/*
 * src/master/plancache.h -- the plan cache: one per collection, shared by every worker.
 *
 * mongod keeps one plan cache per collection, so a plan chosen for a query shape serves the
 * next query of that shape whatever connection sends it.  Workers plan (they own query
 * semantics); the master only keeps what they decided: per (ns, plan cache key) the winning
 * index, the catalog version it was chosen at, mongod's activation state (isActive, works)
 * and the $planCacheStats document the worker built (createdFromQuery, cachedPlan,
 * creationExecStats, candidatePlanScores ...), which the master never interprets.
 *
 * Contract: the three handlers run on any service thread (a mutex orders them); nothing
 * survives a restart.  Storage operations PLAN_CACHE_GET, PLAN_CACHE_PUT, PLAN_CACHE
 * (storeop.def).
 */
#ifndef MS_PLANCACHE_H
#define MS_PLANCACHE_H

#include "ops.h"

/* ms_plancache_op_get -- PLAN_CACHE_GET: the active entry's index, if any. */
int ms_plancache_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_plancache_op_put -- PLAN_CACHE_PUT: a race's outcome (creates, activates or replaces). */
int ms_plancache_op_put(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_plancache_op -- PLAN_CACHE: list a collection's entries, or clear them (or one). */
int ms_plancache_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
