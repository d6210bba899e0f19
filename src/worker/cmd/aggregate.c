/*
 * src/worker/cmd/aggregate.c -- the aggregate command.
 *
 * {aggregate: <coll> | 1, pipeline: [...], cursor: {batchSize}, explain, allowDiskUse, let,
 * hint, collation, comment, ...} -> {cursor: {firstBatch, id, ns}}.  The pipeline is parsed
 * and run by the engine in src/worker/agg/ (the command's `let` variables are substituted
 * into it first).  A pipeline that only maps and counts documents (agg.h wk_agg_streamable)
 * runs only as far as its first batch needs, and its cursor ("aggstream", below) continues
 * from the saved read position on any worker's getMore.  Any other pipeline's whole result
 * runs to its end, its results streamed as they come: the first batch (batchSize, default
 * 101, at most 16 MiB) is returned and the rest is spooled into the master piece by piece
 * as a "spool" cursor (CURSOR_NEW {state: {kind: "spool", remaining}, docs}, CURSOR_APPEND),
 * the same state find's blocking plan uses, so getMore (find.c) continues it on any worker.  {aggregate: 1} cursors live on the
 * namespace "<db>.$cmd.aggregate".  With explain the pipeline is parsed, not run.  On a view
 * (view.h) the view's pipeline runs first, on the collection it is defined on.
 *
 * Invariants: event-loop thread.  A cursor is only created once its first batch exists, so
 * an error in the aggregate command never leaves a cursor behind (a streaming cursor's later
 * error fails its getMore, as a find's does).
 */
#include "aggregate.h"

#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/opcount.h"
#include "../engine/read_concern.h"
#include "../engine/session.h"

#include "../../common/collation.h"

#include "../agg/agg.h"
#include "../agg/stage_changestream.h"
#include "../auth/authz.h"
#include "../engine/namespace.h"
#include "../engine/view.h"
#include "../query/expr.h"
#include "../store_client.h"
#include "../worker.h"

#include <stdio.h>
#include <string.h>

#define WK_AGG_DEFAULT_BATCH 101

typedef struct agg_args {
    const char *coll; /* NULL for {aggregate: 1} */
    bson_iter_t pipeline;
    bool has_pipeline, has_cursor, explain, allow_disk_use;
    int64_t batch_size; /* default 101 */
    bson_t let;         /* static view; empty when absent */
    bson_iter_t collation, hint;
    bool has_collation, has_hint, bypass;
    int64_t now_ms;      /* $$NOW: fixed when the command starts, kept by its cursor */
    uint32_t ct_t, ct_i; /* $$CLUSTER_TIME, likewise */
} agg_args_t;

static const char *const agg_fields[] = {
    "pipeline",
    "cursor",
    "explain",
    "allowDiskUse",
    "hint",
    "let",
    "collation",
    "bypassDocumentValidation",
    "fromMongos",
    "needsMerge",
    "isMapReduceCommand",
    "collectionUUID",
    "encryptionInformation",
    "exchange",
    "runtimeConstants",
    "$_requestReshardingResumeToken",
    "$_isTimeseriesNamespace",
    NULL,
};

/* Known to mongod, refused here (mongos-to-shard internals, Queryable Encryption, time
 * series): never accepted and ignored. */
static const char *const agg_unsupported[] = {
    "fromMongos",
    "needsMerge",
    "exchange",
    "runtimeConstants",
    "$_requestReshardingResumeToken",
    "encryptionInformation",
    "$_isTimeseriesNamespace",
    NULL,
};

/* parse_target -- the aggregate field: a collection name or 1. */
static int
parse_target(wk_cmd_t *cmd, const bson_iter_t *it, agg_args_t *a)
{
    if (BSON_ITER_HOLDS_UTF8(it) && bson_iter_utf8(it, NULL)[0] != '\0') {
        char ns[WK_NS_MAX];
        uint32_t len;

        a->coll = bson_iter_utf8(it, &len);
        return wk_ns_join(cmd->db, a->coll, len, ns, sizeof(ns), &cmd->err);
    }
    if ((BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it) || BSON_ITER_HOLDS_DOUBLE(it)) &&
        bson_iter_as_double(it) == 1.0) {
        a->coll = NULL;
        return 0;
    }
    if (BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                             "Invalid namespace specified '%s.'", cmd->db);
    return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                         "Invalid command format: the 'aggregate' field must specify a "
                         "collection name or 1");
}

/* clock_vars -- $$NOW and $$CLUSTER_TIME for the command: a cursor's state `st` keeps those
 * its command started with (mongod fixes both for the whole command, getMores included);
 * without one (st NULL or not saying), the time now. */
static void
clock_vars(agg_args_t *a, const bson_t *st)
{
    bson_iter_t it;
    struct timeval tv;

    bson_gettimeofday(&tv);
    a->now_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    wk_cluster_time(&a->ct_t, &a->ct_i);
    if (st != NULL && bson_iter_init_find(&it, st, "now") && BSON_ITER_HOLDS_DATE_TIME(&it))
        a->now_ms = bson_iter_date_time(&it);
    if (st != NULL && bson_iter_init_find(&it, st, "clusterTime") && BSON_ITER_HOLDS_TIMESTAMP(&it))
        bson_iter_timestamp(&it, &a->ct_t, &a->ct_i);
}

/* parse_cursor -- {batchSize}. */
static int
parse_cursor(wk_cmd_t *cmd, const bson_iter_t *it, agg_args_t *a)
{
    bson_iter_t c;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, "cursor", bson_iter_type(it), "object");
    a->has_cursor = true;
    bson_iter_recurse(it, &c);
    while (bson_iter_next(&c)) {
        if (strcmp(bson_iter_key(&c), "batchSize") != 0)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'aggregate.cursor.%s' is an unknown field.",
                                 bson_iter_key(&c));
        SDB_RET(wk_cmdu_get_i64(cmd, &c, "cursor.batchSize", &a->batch_size));
        if (a->batch_size < 0)
            return sdb_error_set(&cmd->err, WK_CODE_BAD_LIMIT,
                                 "BSON field 'batchSize' value must be >= 0, actual value "
                                 "'%lld'",
                                 (long long)a->batch_size);
    }
    return 0;
}

static int
parse_args(wk_cmd_t *cmd, agg_args_t *a)
{
    bson_iter_t it;

    memset(a, 0, sizeof(*a));
    a->allow_disk_use = atomic_load(&wk_global->allow_disk_default) != 0; /* allowDiskUseBy-
                                                                             * Default (live) */
    bson_init(&a->let);
    a->batch_size = WK_AGG_DEFAULT_BATCH;
    clock_vars(a, NULL);
    SDB_RET(wk_cmdu_check_fields(cmd, agg_fields));
    SDB_RET(wk_cmdu_check_unsupported(cmd, agg_unsupported));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    SDB_RET(parse_target(cmd, &it, a));
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "pipeline") == 0) {
            a->pipeline = it;
            a->has_pipeline = true;
        } else if (strcmp(k, "cursor") == 0) {
            SDB_RET(parse_cursor(cmd, &it, a));
        } else if (strcmp(k, "explain") == 0) {
            if (!BSON_ITER_HOLDS_BOOL(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "bool");
            a->explain = bson_iter_bool(&it);
        } else if (strcmp(k, "allowDiskUse") == 0) {
            if (!BSON_ITER_HOLDS_BOOL(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "bool");
            a->allow_disk_use = bson_iter_bool(&it);
        } else if (strcmp(k, "let") == 0) {
            SDB_RET(wk_cmdu_get_doc(cmd, &it, k, &a->let));
        } else if (strcmp(k, "collation") == 0) {
            a->collation = it;
            a->has_collation = true;
        } else if (strcmp(k, "hint") == 0) {
            a->hint = it;
            a->has_hint = true;
        } else if (strcmp(k, "bypassDocumentValidation") == 0) {
            a->bypass = wk_cmdu_truthy(&it);
        }
    }
    if (!a->has_pipeline)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'aggregate.pipeline' is missing but a required field");
    if (!BSON_ITER_HOLDS_ARRAY(&a->pipeline))
        return wk_cmdu_type_error(cmd, "pipeline", bson_iter_type(&a->pipeline), "array");
    if (!a->has_cursor && !a->explain)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "The 'cursor' option is required, except for aggregate with the "
                             "explain argument");
    return 0;
}

/* let_vars -- evaluate the command's let expressions (against an empty document). */
static int
let_vars(wk_cmd_t *cmd, const bson_t *let, bson_t *vars)
{
    bson_t empty = BSON_INITIALIZER;
    bson_iter_t it;
    int ret = 0;

    bson_iter_init(&it, let);
    while (bson_iter_next(&it)) {
        wk_expr_t *e = NULL;
        bson_value_t v;

        SDB_ERR(wk_expr_parse(&it, &e, &cmd->err));
        ret = wk_expr_eval(e, &empty, &v, &cmd->err);
        wk_expr_free(e);
        if (ret != 0)
            goto err;
        if (v.value_type != BSON_TYPE_EOD) {
            bson_append_value(vars, bson_iter_key(&it), -1, &v);
            bson_value_destroy(&v);
        }
    }
err:
    bson_destroy(&empty);
    return ret;
}

/* pipeline_array -- the stages to run: those of the view(s) a.coll resolves to (ctx->coll
 * then names the backing collection, `src` holding it) followed by the command's own; `arr`
 * is an initialized empty document. */
static int
pipeline_array(wk_cmd_t *cmd, const agg_args_t *a, wk_agg_ctx_t *ctx, char *src, size_t srclen,
               bson_t *arr)
{
    bson_iter_t it;
    bool is_view = false;
    uint32_t n;
    char key[16];
    const char *k;

    if (a->coll != NULL)
        SDB_RET(wk_view_resolve(cmd->db, a->coll, src, srclen, arr, &is_view, &cmd->err));
    if (is_view)
        ctx->coll = src;
    n = (uint32_t)bson_count_keys(arr);
    bson_iter_recurse(&a->pipeline, &it);
    while (bson_iter_next(&it)) {
        bson_uint32_to_string(n++, &k, key, sizeof(key));
        bson_append_iter(arr, k, -1, &it);
    }
    return 0;
}

/* parse_pipeline -- the pipeline array, with the command's let variables and its fixed $$NOW
 * and $$CLUSTER_TIME substituted. */
static int
parse_pipeline(wk_cmd_t *cmd, const agg_args_t *a, const bson_t *raw, const wk_agg_ctx_t *ctx,
               wk_agg_pipeline_t **p)
{
    bson_t vars = BSON_INITIALIZER, subst = BSON_INITIALIZER;
    int ret = 0;

    if (!bson_empty(&a->let))
        SDB_ERR(let_vars(cmd, &a->let, &vars));
    BSON_APPEND_DATE_TIME(&vars, "NOW", a->now_ms);
    BSON_APPEND_TIMESTAMP(&vars, "CLUSTER_TIME", a->ct_t, a->ct_i);
    bson_destroy(&subst);
    SDB_ERR(wk_agg_subst_vars(raw, &vars, &subst, &cmd->err));
    SDB_ERR(wk_agg_parse_doc(&subst, ctx, p, &cmd->err));
err:
    bson_destroy(&vars);
    bson_destroy(&subst);
    return ret;
}

/* explain_stages -- the pipeline's stages after the `skip` its read absorbs (a leading $match,
 * a $sort an index provides); *n their count. */
static void
explain_stages(const wk_agg_pipeline_t *p, uint32_t skip, bson_t *arr, uint32_t *n)
{
    bson_t all = BSON_INITIALIZER;
    bson_iter_t it, st;
    uint32_t seen = 0;

    *n = 1; /* after {$cursor} */
    wk_agg_append_stages(p, &all, "s");
    if (bson_iter_init_find(&it, &all, "s") && bson_iter_recurse(&it, &st)) {
        while (bson_iter_next(&st)) {
            char key[16];

            if (seen++ < skip)
                continue;
            bson_snprintf(key, sizeof(key), "%u", (*n)++);
            bson_append_iter(arr, key, -1, &st);
        }
    }
    bson_destroy(&all);
}

/* explain_run -- at executionStats and above, run the read to its end; its stats into out. */
static int
explain_run(wk_cmd_t *cmd, wk_exec_t *ex, const bson_t *filter, int verbosity, int64_t t0,
            bson_t *out)
{
    uint64_t n = 0;

    if (verbosity < WK_EXPLAIN_EXEC_STATS)
        return 0;
    SDB_RET(wk_exec_explain_run(ex, 0, 0, false, &n, &cmd->err));
    wk_exec_explain_stats(ex, filter, (int64_t)n, t0, verbosity, NULL, out);
    return 0;
}

/* explain_geo_near -- a pipeline that starts with $geoNear: {explainVersion, stages:
 * [{$geoNearCursor: ...}, the other stages], command}, its near read as the run reads it;
 * *done false (reply untouched) for any other pipeline. */
static int
explain_geo_near(wk_cmd_t *cmd, const wk_agg_ctx_t *ctx, const wk_agg_pipeline_t *p, int verbosity,
                 bool *done)
{
    bson_t first = BSON_INITIALIZER, rest = BSON_INITIALIZER, arr;
    int ret = wk_agg_explain_source(p, ctx, verbosity, &first, &rest, done, &cmd->err);

    if (ret == 0 && *done) {
        BSON_APPEND_UTF8(cmd->reply, "explainVersion", "1");
        BSON_APPEND_ARRAY_BEGIN(cmd->reply, "stages", &arr);
        BSON_APPEND_DOCUMENT(&arr, "0", &first);
        bson_concat(&arr, &rest);
        bson_append_array_end(cmd->reply, &arr);
        BSON_APPEND_DOCUMENT(cmd->reply, "command", cmd->body);
    }
    bson_destroy(&first);
    bson_destroy(&rest);
    return ret;
}

/* reply_explain -- {explainVersion, queryPlanner: {namespace, parsedQuery, winningPlan},
 * executionStats?, ...} when the read is the whole pipeline, else {explainVersion, stages:
 * [{$cursor: {queryPlanner, executionStats?}}, the other stages], ...}: the plan is the
 * executor's (exec.h), the one the pipeline's read runs, and at executionStats it runs. */
static int
reply_explain(wk_cmd_t *cmd, const char *ns, const agg_args_t *a, const wk_agg_ctx_t *ctx,
              const wk_agg_pipeline_t *p, int verbosity)
{
    bson_t filter, qp, plan, arr, rest = BSON_INITIALIZER, cur, c, stats = BSON_INITIALIZER, sort;
    wk_match_opts_t mo = {NULL, ctx->collation}; /* let is substituted into the pipeline */
    char src[WK_NS_MAX];
    int64_t t0 = bson_get_monotonic_time();
    wk_exec_t ex;
    uint32_t n;
    bool done = false;
    int ret = 0;

    SDB_UNUSED(a);
    SDB_RET(explain_geo_near(cmd, ctx, p, verbosity, &done));
    if (done)
        return 0;
    if (ctx->coll != NULL) /* a view's backing collection (pipeline_array) */
        bson_snprintf(src, sizeof(src), "%s.%s", cmd->db, ctx->coll);
    else
        bson_strncpy(src, ns, sizeof(src));
    wk_agg_leading_filter(p, &filter);
    wk_exec_init(&ex);
    ex.op = &cmd->op;
    ex.read_ts = ctx->read_ts;
    if (wk_agg_leading_sort(p, &sort)) /* an index in its order absorbs the $sort */
        SDB_ERR(wk_exec_open_sorted(&ex, src, &filter, &mo, ctx->hint, &sort, &cmd->err));
    else
        SDB_ERR(wk_exec_open_hint(&ex, src, &filter, &mo, ctx->hint, &cmd->err));
    BSON_APPEND_UTF8(cmd->reply, "explainVersion", "1");
    bson_init(&qp);
    BSON_APPEND_UTF8(&qp, "namespace", src);
    BSON_APPEND_BOOL(&qp, "indexFilterSet", false);
    BSON_APPEND_DOCUMENT(&qp, "parsedQuery", &filter);
    BSON_APPEND_DOCUMENT_BEGIN(&qp, "winningPlan", &plan);
    wk_exec_explain(&ex, &filter, false, &plan);
    bson_append_document_end(&qp, &plan);
    BSON_APPEND_ARRAY_BEGIN(&qp, "rejectedPlans", &arr);
    wk_exec_explain_rejected(&ex, &filter, &arr);
    bson_append_array_end(&qp, &arr);
    ret = explain_run(cmd, &ex, &filter, verbosity, t0, &stats);
    if (ret != 0) {
        bson_destroy(&qp);
        goto err;
    }
    explain_stages(p, (bson_empty(&filter) ? 0 : 1) + (wk_exec_sorted(&ex) ? 1 : 0), &rest, &n);
    if (n == 1) {
        BSON_APPEND_DOCUMENT(cmd->reply, "queryPlanner", &qp);
        bson_concat(cmd->reply, &stats);
    } else {
        BSON_APPEND_ARRAY_BEGIN(cmd->reply, "stages", &arr);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &cur);
        BSON_APPEND_DOCUMENT_BEGIN(&cur, "$cursor", &c);
        BSON_APPEND_DOCUMENT(&c, "queryPlanner", &qp);
        bson_concat(&c, &stats);
        bson_append_document_end(&cur, &c);
        bson_append_document_end(&arr, &cur);
        bson_concat(&arr, &rest);
        bson_append_array_end(cmd->reply, &arr);
    }
    bson_destroy(&qp);
    BSON_APPEND_DOCUMENT(cmd->reply, "command", cmd->body);
err:
    bson_destroy(&stats);
    bson_destroy(&rest);
    wk_exec_close(&ex);
    return ret;
}

/* cut -- move res's documents into the batch array while it has room (want: < 0 any), the
 * others into `pending` (an array under construction). */
static void
cut(const wk_agg_docs_t *res, int64_t want, bson_t *arr, uint32_t *n, size_t *bytes,
    bson_t *pending, uint32_t *npend)
{
    for (size_t i = 0; i < res->n; i++) {
        char key[16];
        const char *k;

        if (res->v[i] == NULL)
            continue;
        if (*npend == 0 && (want < 0 || (int64_t)*n < want) &&
            (*n == 0 || *bytes + res->v[i]->len <= WK_BATCH_MAX_BYTES)) {
            bson_uint32_to_string((*n)++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(arr, k, res->v[i]);
            *bytes += res->v[i]->len;
        } else {
            bson_uint32_to_string((*npend)++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(pending, k, res->v[i]);
        }
    }
}

/* cursor_new_out -- park a cursor with `state` (and the spooled `docs`, may be NULL) in this
 * command's session and transaction; *id its id.  `out`: it stays checked out to this worker,
 * which appends to its spool and checks it in (CURSOR_APPEND, CURSOR_PUT). */
static int
cursor_new_out(wk_cmd_t *cmd, const char *ns, const bson_t *state, const bson_t *docs, bool out,
               int64_t *id)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it;
    int ret;

    if (out)
        BSON_APPEND_BOOL(&req, "out", true);
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_DOCUMENT(&req, "state", state);
    if (docs != NULL)
        BSON_APPEND_ARRAY(&req, "docs", docs);
    wk_session_append_lsid(&cmd->op, &req); /* the cursor's session: engine/session.h */
    wk_op_append_xact(&cmd->op, &req);      /* and transaction */
    wk_authz_append_owner(cmd->conn, &req); /* and user (auth/authz.h) */
    ret = wk_cmdu_store(SDB_OP_CURSOR_NEW, &req, &reply, &cmd->err);
    *id = ret == 0 && bson_iter_init_find(&it, &reply, "id") ? bson_iter_as_int64(&it) : 0;
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* cursor_new -- cursor_new_out, checked in. */
static int
cursor_new(wk_cmd_t *cmd, const char *ns, const bson_t *state, const bson_t *docs, int64_t *id)
{
    return cursor_new_out(cmd, ns, state, docs, false, id);
}

/* ---- blocking results, streamed into the spool -------------------------------------------
 * The pipeline hands its results over chunk by chunk (agg.h wk_agg_run_emit).  The first
 * batch is cut from the first of them; the rest gathers in `pend` and goes to the master in
 * pieces of about SPOOL_PIECE bytes: the first piece creates the cursor checked out to this
 * worker (CURSOR_NEW out: true), the next ones CURSOR_APPEND to its spool, and once the
 * pipeline ended CURSOR_PUT checks it in as {kind: "spool", remaining}.  A rest that fits in
 * one piece is one plain CURSOR_NEW.  So beside what its stages hold (a spilled $sort: its
 * limit and the merge's reads) the worker holds at most a piece of the result.  An error drops
 * a cursor already created, so a failed aggregate leaves none behind. */

#define SPOOL_PIECE (4 * 1024 * 1024)

typedef struct spooler {
    wk_cmd_t *cmd;
    const char *ns;
    int64_t want; /* the first batch's size (< 0: any) */
    bson_t first, pend;
    uint32_t nfirst, npend;
    size_t bytes, pend_bytes;
    bool first_full; /* a result went past the first batch: the rest is spooled */
    int64_t id;      /* the cursor once a piece was sent, else 0 */
    int64_t spooled; /* documents sent */
} spooler_t;

/* spool_piece -- send what is pending: the cursor's first piece or the next one. */
static int
spool_piece(spooler_t *sp, bool last)
{
    bson_t req = BSON_INITIALIZER, reply, state = BSON_INITIALIZER;
    int ret = 0;

    if (sp->npend == 0)
        return 0;
    if (sp->id == 0) {
        BSON_APPEND_UTF8(&state, "kind", "spool");
        BSON_APPEND_INT64(&state, "remaining", last ? (int64_t)sp->npend : 0);
        ret = cursor_new_out(sp->cmd, sp->ns, &state, &sp->pend, !last, &sp->id);
    } else {
        BSON_APPEND_INT64(&req, "id", sp->id);
        BSON_APPEND_ARRAY(&req, "docs", &sp->pend);
        ret = wk_cmdu_store(SDB_OP_CURSOR_APPEND, &req, &reply, &sp->cmd->err);
        bson_destroy(&reply);
    }
    bson_destroy(&req);
    bson_destroy(&state);
    sp->spooled += sp->npend;
    bson_reinit(&sp->pend);
    sp->npend = 0;
    sp->pend_bytes = 0;
    return ret;
}

/* spool_emit -- take a chunk of results (wk_agg_emit_fn). */
static int
spool_emit(void *arg, wk_agg_docs_t *out, sdb_error_t *err)
{
    spooler_t *sp = arg;

    SDB_UNUSED(err);
    for (size_t i = 0; i < out->n; i++) {
        bson_t *d = out->v[i];
        char key[16];
        const char *k;

        if (d == NULL)
            continue;
        if (!sp->first_full && (sp->want < 0 || (int64_t)sp->nfirst < sp->want) &&
            (sp->nfirst == 0 || sp->bytes + d->len <= WK_BATCH_MAX_BYTES)) {
            bson_uint32_to_string(sp->nfirst++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&sp->first, k, d);
            sp->bytes += d->len;
        } else {
            sp->first_full = true;
            bson_uint32_to_string(sp->npend++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&sp->pend, k, d);
            sp->pend_bytes += d->len;
        }
    }
    wk_agg_docs_free(out);
    if (sp->pend_bytes >= SPOOL_PIECE)
        return spool_piece(sp, false);
    return 0;
}

/* spool_end -- the last piece, and check the cursor in with its count. */
static int
spool_end(spooler_t *sp)
{
    bson_t state = BSON_INITIALIZER;
    int ret;

    if (sp->id == 0)
        return spool_piece(sp, true);
    SDB_RET(spool_piece(sp, false));
    BSON_APPEND_UTF8(&state, "kind", "spool");
    BSON_APPEND_INT64(&state, "remaining", sp->spooled);
    ret = wk_cmdu_cursor_put(sp->id, &state, false, &sp->cmd->err);
    bson_destroy(&state);
    return ret;
}

/* reply_blocking -- run a pipeline that must run to its end, its results streamed into the
 * first batch and the spool; `at` is a snapshot read's time (0 = none). */
static int
reply_blocking(wk_cmd_t *cmd, const char *ns, const agg_args_t *a, const wk_agg_pipeline_t *p,
               wk_agg_ctx_t *ctx, uint64_t at)
{
    spooler_t sp;
    bson_t cur;
    int ret = 0;

    memset(&sp, 0, sizeof(sp));
    sp.cmd = cmd;
    sp.ns = ns;
    sp.want = a->batch_size;
    bson_init(&sp.first);
    bson_init(&sp.pend);
    SDB_ERR(wk_agg_run_emit(p, ctx, spool_emit, &sp, &cmd->err));
    SDB_ERR(spool_end(&sp));
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "cursor", &cur);
    BSON_APPEND_ARRAY(&cur, "firstBatch", &sp.first);
    BSON_APPEND_INT64(&cur, "id", sp.id);
    BSON_APPEND_UTF8(&cur, "ns", ns);
    if (at != 0)
        wk_rc_append_ts(&cur, "atClusterTime", at);
    bson_append_document_end(cmd->reply, &cur);
err:
    if (ret != 0 && sp.id != 0) {
        sdb_error_t ignore;

        memset(&ignore, 0, sizeof(ignore));
        (void)wk_cmdu_cursor_put(sp.id, NULL, true, &ignore);
    }
    bson_destroy(&sp.first);
    bson_destroy(&sp.pend);
    return ret;
}

/* ---- streaming cursors ------------------------------------------------------------------
 * A pipeline that only maps and counts documents (wk_agg_streamable) is not run to its end:
 * the first batch reads only what it needs (wk_agg_run_batch) and the cursor keeps
 * {kind: "aggstream", coll, pipeline, let?, collation?, allowDiskUse, pos, left, eof,
 * pending?}: the read position, the $skip/$limit counts, and the results of the last batch
 * that did not fit in it.  Any worker's getMore (wk_cmd_aggregate_more) parses the pipeline
 * again and continues from there. */

/* stream_state -- the cursor state: the pipeline's facts (copied from `facts`, the fields that
 * do not change between batches), the position, and the pending results. */
static void
stream_state(const bson_t *facts, const bson_t *pos, bool eof, const bson_t *pending,
             uint32_t npend, bson_t *st)
{
    bson_iter_t it;

    bson_iter_init(&it, facts);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "pos") != 0 && strcmp(k, "left") != 0 && strcmp(k, "eof") != 0 &&
            strcmp(k, "pending") != 0)
            bson_append_iter(st, k, -1, &it);
    }
    bson_iter_init(&it, pos);
    while (bson_iter_next(&it))
        bson_append_iter(st, bson_iter_key(&it), -1, &it);
    BSON_APPEND_BOOL(st, "eof", eof);
    if (npend > 0)
        BSON_APPEND_ARRAY(st, "pending", pending);
}

/* reply_stream -- the first batch of a streamable pipeline; a cursor when more may come. */
static int
reply_stream(wk_cmd_t *cmd, const char *ns, const agg_args_t *a, const wk_agg_pipeline_t *p,
             wk_agg_ctx_t *ctx, const bson_t *stages)
{
    bson_t first = BSON_INITIALIZER, pending = BSON_INITIALIZER, pos = BSON_INITIALIZER;
    bson_t facts = BSON_INITIALIZER, state = BSON_INITIALIZER, cur;
    wk_agg_docs_t res;
    uint32_t n = 0, npend = 0;
    size_t bytes = 0;
    int64_t id = 0;
    bool eof = true;
    int ret = 0;

    wk_agg_docs_init(&res);
    SDB_ERR(wk_agg_run_batch(p, ctx, NULL, a->batch_size, &res, &pos, &eof, &cmd->err));
    cut(&res, a->batch_size, &first, &n, &bytes, &pending, &npend);
    if (!eof || npend > 0) {
        BSON_APPEND_UTF8(&facts, "kind", "aggstream");
        BSON_APPEND_UTF8(&facts, "coll", ctx->coll);
        BSON_APPEND_ARRAY(&facts, "pipeline", stages);
        if (!bson_empty(&a->let))
            BSON_APPEND_DOCUMENT(&facts, "let", &a->let);
        if (a->has_collation)
            bson_append_iter(&facts, "collation", -1, &a->collation);
        BSON_APPEND_BOOL(&facts, "allowDiskUse", a->allow_disk_use);
        BSON_APPEND_DATE_TIME(&facts, "now", a->now_ms);
        BSON_APPEND_TIMESTAMP(&facts, "clusterTime", a->ct_t, a->ct_i);
        stream_state(&facts, &pos, eof, &pending, npend, &state);
        SDB_ERR(cursor_new(cmd, ns, &state, NULL, &id));
    }
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "cursor", &cur);
    BSON_APPEND_ARRAY(&cur, "firstBatch", &first);
    BSON_APPEND_INT64(&cur, "id", id);
    BSON_APPEND_UTF8(&cur, "ns", ns);
    bson_append_document_end(cmd->reply, &cur);
err:
    wk_agg_docs_free(&res);
    bson_destroy(&first);
    bson_destroy(&pending);
    bson_destroy(&pos);
    bson_destroy(&facts);
    bson_destroy(&state);
    return ret;
}

/* pending_docs -- the state's pending results, copied into res. */
static void
pending_docs(const bson_t *st, wk_agg_docs_t *res)
{
    bson_iter_t it, a;

    if (!bson_iter_init_find(&it, st, "pending") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &a))
        return;
    while (bson_iter_next(&a)) {
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&a))
            continue;
        bson_iter_document(&a, &len, &data);
        wk_agg_docs_push(res, bson_new_from_data(data, len));
    }
}

/* doc_field -- the document field `key` of st as a static view (empty when absent). */
static void
doc_field(const bson_t *st, const char *key, bson_t *out)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    bson_init(out);
    if (bson_iter_init_find(&it, st, key) &&
        (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it))) {
        if (BSON_ITER_HOLDS_DOCUMENT(&it))
            bson_iter_document(&it, &len, &data);
        else
            bson_iter_array(&it, &len, &data);
        bson_init_static(out, data, len);
    }
}

/* more_run -- parse the state's pipeline again and run the next stretch of it. */
static int
more_run(wk_cmd_t *cmd, const bson_t *st, int64_t want, wk_agg_docs_t *res, bson_t *pos, bool *eof)
{
    wk_agg_pipeline_t *p = NULL;
    sdb_collation_t *coll = NULL;
    bson_t stages, collation;
    wk_agg_ctx_t ctx;
    agg_args_t a;
    bson_iter_t it;
    int ret = 0;

    memset(&ctx, 0, sizeof(ctx));
    memset(&a, 0, sizeof(a));
    ctx.db = cmd->db;
    ctx.coll = bson_iter_init_find(&it, st, "coll") && BSON_ITER_HOLDS_UTF8(&it)
                   ? bson_iter_utf8(&it, NULL)
                   : NULL;
    ctx.op = &cmd->op;
    ctx.allow_disk_use = bson_iter_init_find(&it, st, "allowDiskUse") && bson_iter_as_bool(&it);
    doc_field(st, "let", &a.let);
    clock_vars(&a, st);
    doc_field(st, "pipeline", &stages);
    doc_field(st, "collation", &collation);
    if (!bson_empty(&collation))
        SDB_ERR(sdb_collation_new(&collation, &coll, &cmd->err));
    ctx.collation = coll;
    SDB_ERR(parse_pipeline(cmd, &a, &stages, &ctx, &p));
    SDB_ERR(wk_agg_run_batch(p, &ctx, st, want, res, pos, eof, &cmd->err));
err:
    wk_agg_free(p);
    sdb_collation_free(coll);
    return ret;
}

int
wk_cmd_aggregate_more(wk_cmd_t *cmd, const bson_t *st, int64_t want, bson_t *arr, uint32_t *n,
                      size_t *bytes, bson_t *next, bool *done)
{
    bson_t pending = BSON_INITIALIZER, pos = BSON_INITIALIZER;
    wk_agg_docs_t res;
    uint32_t npend = 0;
    bson_iter_t it;
    bool eof = bson_iter_init_find(&it, st, "eof") && bson_iter_as_bool(&it);
    int ret = 0;

    wk_agg_docs_init(&res);
    pending_docs(st, &res);
    if (!eof && (want <= 0 || (int64_t)res.n < want))
        SDB_ERR(more_run(cmd, st, want > 0 ? want - (int64_t)res.n : 0, &res, &pos, &eof));
    else if (!eof) { /* the pending results are enough: the position stays */
        bson_iter_init(&it, st);
        while (bson_iter_next(&it))
            if (strcmp(bson_iter_key(&it), "pos") == 0 || strcmp(bson_iter_key(&it), "left") == 0)
                bson_append_iter(&pos, bson_iter_key(&it), -1, &it);
    }
    cut(&res, want > 0 ? want : -1, arr, n, bytes, &pending, &npend);
    *done = eof && npend == 0;
    if (!*done)
        stream_state(st, &pos, eof, &pending, npend, next);
err:
    wk_agg_docs_free(&res);
    bson_destroy(&pending);
    bson_destroy(&pos);
    return ret;
}

/* check_read_concern -- mongod refuses $out and $merge under a linearizable read concern. */
static int
check_read_concern(wk_cmd_t *cmd, const wk_agg_pipeline_t *p)
{
    bson_iter_t it, lv;

    if (!wk_agg_writes(p) || !bson_iter_init_find(&it, cmd->body, "readConcern") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &lv) ||
        !bson_iter_find(&lv, "level") || !BSON_ITER_HOLDS_UTF8(&lv) ||
        strcmp(bson_iter_utf8(&lv, NULL), "linearizable") != 0)
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                         "%s cannot be used with a 'linearizable' read concern level",
                         wk_agg_last_stage_name(p));
}

/* aggregate -- the command; `verbosity` the explain command's (exec.h WK_EXPLAIN_*), or -1:
 * the body's own explain: true means queryPlanner. */
static int
aggregate(wk_cmd_t *cmd, int verbosity)
{
    wk_agg_pipeline_t *p = NULL;
    wk_agg_ctx_t ctx;
    agg_args_t a;
    sdb_collation_t *coll = NULL;
    char ns[WK_NS_MAX], src[WK_NS_MAX];
    bson_t stages = BSON_INITIALIZER;
    int ret = 0;

    SDB_ERR(parse_args(cmd, &a));
    SDB_ERR(wk_cs_check_position(&a.pipeline, &cmd->err));
    if (!a.explain && wk_cs_first_stage(&a.pipeline)) /* a change stream (stage_changestream.h) */
        return wk_cs_aggregate(cmd, a.coll, &a.pipeline, a.batch_size);
    if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", cmd->db,
                         a.coll != NULL ? a.coll : "$cmd.aggregate") >= sizeof(ns))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid namespace"));
    if (a.coll != NULL)
        SDB_ERR(wk_cmdu_check_uuid(cmd, ns));
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = cmd->db;
    ctx.coll = a.coll;
    ctx.op = &cmd->op;
    ctx.read_ts = wk_rc_snapshot_ts(cmd); /* readConcern snapshot: engine/read_concern.h */
    ctx.allow_disk_use = a.allow_disk_use;
    ctx.hint = a.has_hint ? bson_iter_value(&a.hint) : NULL;
    ctx.bypass_validation = a.bypass;
    if (a.has_collation)
        SDB_ERR(wk_cmdu_collation_new(&a.collation, "collation", &coll, &cmd->err));
    else if (a.coll != NULL) /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(ns, &coll, NULL, &cmd->err));
    ctx.collation = coll;
    SDB_ERR(pipeline_array(cmd, &a, &ctx, src, sizeof(src), &stages));
    SDB_ERR(parse_pipeline(cmd, &a, &stages, &ctx, &p));
    SDB_ERR(check_read_concern(cmd, p));
    if (cmd->err_extra == NULL)
        cmd->err_extra = bson_new();
    ctx.err_extra = cmd->err_extra;
    if (a.explain)
        SDB_ERR(reply_explain(cmd, ns, &a, &ctx, p, verbosity < 0 ? 0 : verbosity));
    else {
        wk_cmdu_opcount(WK_OPC_QUERY, 1);
        if (a.batch_size > 0 && ctx.read_ts == 0 && cmd->op.xact_n == 0 &&
            (wk_agg_streamable(p) || wk_agg_streamable_sorted(p, &ctx)))
            SDB_ERR(reply_stream(cmd, ns, &a, p, &ctx, &stages));
        else
            SDB_ERR(reply_blocking(cmd, ns, &a, p, &ctx, ctx.read_ts));
    }
err:
    bson_destroy(&stages);
    wk_agg_free(p);
    sdb_collation_free(coll);
    return ret;
}

/* wk_cmd_aggregate -- {aggregate, pipeline, cursor, ...} -> {cursor: {firstBatch, id, ns}}. */
int
wk_cmd_aggregate(wk_cmd_t *cmd)
{
    return aggregate(cmd, -1);
}

int
wk_cmd_aggregate_explain(wk_cmd_t *cmd, int verbosity)
{
    return aggregate(cmd, verbosity);
}
