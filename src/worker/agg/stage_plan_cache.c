/*
 * src/worker/agg/stage_plan_cache.c -- $planCacheStats: the plan cache's entries for the
 * pipeline's collection.
 *
 * {$planCacheStats: {}} must be the first stage of an aggregate on a collection.  The plan
 * cache (engine/plan_cache.h) is the server's, one per collection, kept by the master: the
 * stage lists every entry, whichever worker planned it.  Each entry is mongod 7.0's classic
 * document: {version: "1", createdFromQuery: {query, sort, projection}, queryHash,
 * planCacheKey, isActive, works, cachedPlan (the winner's FETCH > IXSCAN tree),
 * timeOfCreation, creationExecStats (every candidate's trial, winner first),
 * candidatePlanScores, indexFilterSet: false, estimatedSizeBytes, host}, built by the worker
 * that raced (engine/exec_explain.c) but for isActive and works, which the master keeps.
 *
 * Invariants: event-loop thread; no private state.
 */
#include "agg_int.h"

#include "../engine/args.h"
#include "../engine/plan_cache.h"
#include "../worker.h"

#include <stdio.h>
#include <string.h>

int
wk_agg_parse_plan_cache_stats(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                              sdb_error_t *err)
{
    bson_iter_t it;

    *priv = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$planCacheStats value must be an object. Found: %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    if (ctx->coll == NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$planCacheStats must be run against a collection");
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "allHosts") == 0 && BSON_ITER_HOLDS_BOOL(&it))
            continue;
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$planCacheStats received unknown field: %s", bson_iter_key(&it));
    }
    return 0;
}

/* emit -- one entry as mongod shows it: the worker-built document with isActive and works
 * after planCacheKey, and the host at the end. */
static void
emit(const bson_t *one, wk_agg_docs_t *out)
{
    bson_t *d = bson_new(), e;
    bson_iter_t it, f;
    const uint8_t *data;
    uint32_t len;

    if (!bson_iter_init_find(&it, one, "entry") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_destroy(d);
        return;
    }
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&e, data, len) || !bson_iter_init(&f, &e)) {
        bson_destroy(d);
        return;
    }
    while (bson_iter_next(&f)) {
        bson_append_iter(d, NULL, 0, &f);
        if (strcmp(bson_iter_key(&f), "planCacheKey") != 0)
            continue;
        BSON_APPEND_BOOL(d, "isActive",
                         bson_iter_init_find(&it, one, "isActive") && bson_iter_as_bool(&it));
        BSON_APPEND_INT64(d, "works",
                          bson_iter_init_find(&it, one, "works") ? bson_iter_as_int64(&it) : 0);
    }
    BSON_APPEND_UTF8(d, "host", wk_host_port());
    wk_agg_docs_push(out, d);
}

int
wk_agg_run_plan_cache_stats(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,
                            wk_agg_docs_t *out, sdb_error_t *err)
{
    char ns[512];
    bson_t reply;
    bson_iter_t it, arr;
    int ret;

    SDB_UNUSED(priv);
    SDB_UNUSED(in);
    if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    SDB_RET(wk_cmdu_refresh(err)); /* the cache answers the current catalog only */
    ret = wk_plan_cache_list(ns, &reply, err);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "entries") && bson_iter_recurse(&it, &arr))
        while (bson_iter_next(&arr)) {
            const uint8_t *data;
            uint32_t len;
            bson_t one;

            bson_iter_document(&arr, &len, &data);
            if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_init_static(&one, data, len))
                emit(&one, out);
        }
    bson_destroy(&reply);
    return ret;
}

void
wk_agg_free_plan_cache_stats(void *priv)
{
    SDB_UNUSED(priv);
}
