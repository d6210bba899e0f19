/*
 * src/worker/agg/stage_source.c -- stages that produce documents instead of reading the
 * collection: $documents, $collStats (count and storageStats), $indexStats.
 *
 * $documents evaluates its expression once (against an empty document) and requires an array
 * of documents; it is the one stage {aggregate: 1} accepts first.  $collStats asks the store
 * for the collection's statistics (STATS); $indexStats lists the catalog's index specs with
 * zero access counters (SecantusDB does not count index accesses).
 *
 * Invariants: event-loop thread (store and catalog cache); private states are immutable.
 */
#include "agg_int.h"

#include "../catalog_cache.h"
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../store_client.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- $documents ------------------------------------------------------------------------ */

int
wk_agg_parse_documents(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                       sdb_error_t *err)
{
    wk_expr_t *e = NULL;

    SDB_UNUSED(ctx);
    SDB_RET(wk_expr_parse(spec, &e, err));
    *priv = e;
    return 0;
}

int
wk_agg_run_documents(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                     sdb_error_t *err)
{
    bson_t empty = BSON_INITIALIZER, arr, doc;
    bson_value_t v;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(in);
    SDB_ERR(wk_agg_eval_op(priv, &empty, ctx->op, &v, err));
    if (v.value_type != BSON_TYPE_ARRAY || !wk_agg_value_doc(&v, &arr)) {
        ret = sdb_error_set(err, SDB_CODE_Location5858203, "an array is expected");
    } else {
        bson_iter_init(&it, &arr);
        while (ret == 0 && bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;

            if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
                ret = sdb_error_set(err, SDB_CODE_TypeMismatch,
                                    "Each element of the 'documents' array must be an object");
                break;
            }
            bson_iter_document(&it, &len, &data);
            bson_init_static(&doc, data, len);
            wk_agg_docs_push(out, bson_copy(&doc));
        }
    }
    if (v.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&v);
err:
    bson_destroy(&empty);
    return ret;
}

void
wk_agg_free_documents(void *priv)
{
    wk_expr_free(priv);
}

/* ---- $collStats ------------------------------------------------------------------------ */

typedef struct coll_stats {
    bool count, storage;
} coll_stats_t;

int
wk_agg_parse_coll_stats(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                        sdb_error_t *err)
{
    coll_stats_t *c;
    bson_iter_t it;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$collStats must take a nested object but found: %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    c = bson_malloc0(sizeof(*c));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "count") == 0)
            c->count = true;
        else if (strcmp(k, "storageStats") == 0)
            c->storage = true;
        else if (strcmp(k, "latencyStats") != 0 && strcmp(k, "queryExecStats") != 0) {
            bson_free(c);
            return sdb_error_set(err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field '$collStats.%s' is an unknown field.", k);
        }
    }
    *priv = c;
    return 0;
}

/* header -- {ns, host, localTime} of a stats document. */
static void
header(bson_t *doc, const char *ns)
{
    char host[256] = "localhost";
    struct timeval tv;

    gethostname(host, sizeof(host) - 1);
    gettimeofday(&tv, NULL);
    if (ns != NULL)
        BSON_APPEND_UTF8(doc, "ns", ns);
    BSON_APPEND_UTF8(doc, "host", host);
    if (ns != NULL)
        BSON_APPEND_DATE_TIME(doc, "localTime", (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

int
wk_agg_run_coll_stats(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                      sdb_error_t *err)
{
    const coll_stats_t *c = priv;
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, *doc = bson_new(), st;
    bson_iter_t it, coll, f;
    char ns[WK_NS_MAX];
    int64_t count = 0;
    int ret = 0;

    SDB_UNUSED(in);
    snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll);
    BSON_APPEND_UTF8(&req, "ns", ns);
    SDB_ERR(wk_cmdu_store(SDB_OP_STATS, &req, &reply, err));
    header(doc, ns);
    if (bson_iter_init_find(&it, &reply, "collections") && bson_iter_recurse(&it, &coll) &&
        bson_iter_next(&coll) && bson_iter_recurse(&coll, &f) && bson_iter_find(&f, "count"))
        count = bson_iter_as_int64(&f);
    if (c->storage) {
        BSON_APPEND_DOCUMENT_BEGIN(doc, "storageStats", &st);
        if (bson_iter_init_find(&it, &reply, "collections") && bson_iter_recurse(&it, &coll) &&
            bson_iter_next(&coll) && bson_iter_recurse(&coll, &f))
            while (bson_iter_next(&f))
                if (strcmp(bson_iter_key(&f), "ns") != 0)
                    bson_append_iter(&st, bson_iter_key(&f), -1, &f);
        wk_capped_stats(ns, &st, 1);
        bson_append_document_end(doc, &st);
    }
    if (c->count)
        BSON_APPEND_INT64(doc, "count", count);
    wk_agg_docs_push(out, doc);
    doc = NULL;
err:
    if (doc != NULL)
        bson_destroy(doc);
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

void
wk_agg_free_coll_stats(void *priv)
{
    bson_free(priv);
}

/* ---- $indexStats ----------------------------------------------------------------------- */

int
wk_agg_parse_index_stats(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                         sdb_error_t *err)
{
    bson_iter_t it;

    SDB_UNUSED(ctx);
    *priv = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(spec) || !bson_iter_recurse(spec, &it) || bson_iter_next(&it))
        return sdb_error_set(err, SDB_CODE_Location28803,
                             "The $indexStats stage specification must be an empty object");
    return 0;
}

/* index_doc -- one {name, key, host, accesses, spec} document. */
static bson_t *
index_doc(const bson_t *spec)
{
    bson_t *doc = bson_new(), acc;
    bson_iter_t it;
    struct timeval tv;

    gettimeofday(&tv, NULL);
    if (bson_iter_init_find(&it, spec, "name"))
        bson_append_iter(doc, "name", 4, &it);
    if (bson_iter_init_find(&it, spec, "key"))
        bson_append_iter(doc, "key", 3, &it);
    header(doc, NULL);
    BSON_APPEND_DOCUMENT_BEGIN(doc, "accesses", &acc);
    BSON_APPEND_INT64(&acc, "ops", 0);
    BSON_APPEND_DATE_TIME(&acc, "since", (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    bson_append_document_end(doc, &acc);
    BSON_APPEND_DOCUMENT(doc, "spec", spec);
    return doc;
}

int
wk_agg_run_index_stats(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                       sdb_error_t *err)
{
    const wk_coll_info_t *ci;
    char ns[WK_NS_MAX];
    bson_iter_t it;

    SDB_UNUSED(priv);
    SDB_UNUSED(in);
    snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll);
    SDB_RET(wk_cmdu_refresh(err));
    ci = wk_catalog_find(ns);
    if (ci == NULL || !bson_iter_init(&it, &ci->indexes))
        return 0;
    while (bson_iter_next(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t spec;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &data);
        if (bson_init_static(&spec, data, len))
            wk_agg_docs_push(out, index_doc(&spec));
    }
    return 0;
}

void
wk_agg_free_index_stats(void *priv)
{
    SDB_UNUSED(priv);
}
