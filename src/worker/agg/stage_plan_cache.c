/*
 * src/worker/agg/stage_plan_cache.c -- $planCacheStats: the plan cache's entries for the
 * pipeline's collection.
 *
 * {$planCacheStats: {}} must be the first stage of an aggregate on a collection.  The plan
 * cache (engine/plan_cache.h) lives in each worker's memory, so the stage lists the entries of
 * the worker that runs it (the connection's), as planCacheClear clears only those.  Each entry
 * becomes mongod's document: {version: "1", queryHash, planCacheKey, isActive: true, works,
 * timeOfCreation, createdFromQuery: {query, sort, projection: {}}, cachedPlan: {stage: "FETCH",
 * inputStage: {stage: "IXSCAN", indexName}}, indexFilterSet: false}.  queryHash and
 * planCacheKey are explain's hash of the query shape (one cache per collection here, so the
 * two name the same entry).
 *
 * Invariants: event-loop thread; no private state.
 */
#include "agg_int.h"

#include "../engine/plan_cache.h"

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

/* empty_doc -- {} under key. */
static void
empty_doc(bson_t *b, const char *key)
{
    bson_t none;

    BSON_APPEND_DOCUMENT_BEGIN(b, key, &none);
    bson_append_document_end(b, &none);
}

/* emit -- one entry as mongod shows it. */
static void
emit(const wk_plan_cache_entry_t *e, void *arg)
{
    wk_agg_docs_t *out = arg;
    bson_t *d = bson_new(), q, plan, in;
    char hash[9];
    bson_iter_t it;

    wk_plan_cache_hash(e->shape, hash);
    BSON_APPEND_UTF8(d, "version", "1");
    BSON_APPEND_UTF8(d, "queryHash", hash);
    BSON_APPEND_UTF8(d, "planCacheKey", hash);
    BSON_APPEND_BOOL(d, "isActive", true);
    BSON_APPEND_INT64(d, "works", e->works);
    BSON_APPEND_DATE_TIME(d, "timeOfCreation", e->created_ms);
    BSON_APPEND_DOCUMENT_BEGIN(d, "createdFromQuery", &q);
    if (e->query != NULL && bson_iter_init_find(&it, e->query, "query"))
        bson_append_iter(&q, "query", -1, &it);
    else
        empty_doc(&q, "query");
    if (e->query != NULL && bson_iter_init_find(&it, e->query, "sort"))
        bson_append_iter(&q, "sort", -1, &it);
    else
        empty_doc(&q, "sort");
    empty_doc(&q, "projection");
    bson_append_document_end(d, &q);
    BSON_APPEND_DOCUMENT_BEGIN(d, "cachedPlan", &plan);
    BSON_APPEND_UTF8(&plan, "stage", "FETCH");
    BSON_APPEND_DOCUMENT_BEGIN(&plan, "inputStage", &in);
    BSON_APPEND_UTF8(&in, "stage", "IXSCAN");
    BSON_APPEND_UTF8(&in, "indexName", e->index);
    bson_append_document_end(&plan, &in);
    bson_append_document_end(d, &plan);
    BSON_APPEND_BOOL(d, "indexFilterSet", false);
    wk_agg_docs_push(out, d);
}

int
wk_agg_run_plan_cache_stats(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,
                            wk_agg_docs_t *out, sdb_error_t *err)
{
    char ns[512];

    SDB_UNUSED(priv);
    SDB_UNUSED(in);
    if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    wk_plan_cache_each(ns, emit, out);
    return 0;
}

void
wk_agg_free_plan_cache_stats(void *priv)
{
    SDB_UNUSED(priv);
}
