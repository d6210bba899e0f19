/*
 * src/worker/agg/stage_write.c -- the writing stages: $out and $merge.
 *
 * $out writes the results into a temporary collection (created with the target's options
 * and its secondary indexes re-created on it), then renames it over the target with dropTarget, so readers see either
 * the old or the new contents.  $merge (on _id) looks each result up in the target through
 * the executor's _id lookup and replaces, merges into, keeps, fails on or runs its
 * whenMatched update pipeline over a match (with $$new, the result, and `let`'s variables
 * evaluated against the result), and inserts, discards or fails otherwise.  Both emit no documents.  Every document written
 * passes the target's validator (121 otherwise) unless the command set
 * bypassDocumentValidation, as for insert and update.
 *
 * Invariants: event-loop thread (store calls).  A failed $out drops its temporary
 * collection; a failed $merge leaves the writes done before the failure, as mongod does.
 */
#include "agg_int.h"

#include "../../common/bsonvalid.h"
#include "../../common/depth.h"
#include "../catalog_cache.h"
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/write.h"
#include "../store_client.h"
#include "../update/update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSERT_CHUNK_BYTES (8 * 1024 * 1024)

enum {
    WM_REPLACE,
    WM_KEEP,
    WM_MERGE,
    WM_FAIL,
    WM_PIPELINE
};
enum {
    WN_INSERT,
    WN_DISCARD,
    WN_FAIL
};

typedef struct target {
    char db[256], coll[256];
    int matched, not_matched; /* $merge: WM_*, WN_* */
    bson_t *pipeline;         /* WM_PIPELINE: {"p": <the whenMatched update pipeline>} */
    wk_agg_let_t let;         /* `let`: evaluated against each result document */
} target_t;

/* parse_ns -- "coll" or {db, coll} into t. */
static int
parse_ns(const char *stage, const bson_iter_t *it, const wk_agg_ctx_t *ctx, target_t *t,
         sdb_error_t *err)
{
    bson_iter_t c;
    const char *coll = "";
    uint32_t len = 0, dblen;
    char ns[WK_NS_MAX];

    snprintf(t->db, sizeof(t->db), "%s", ctx->db);
    if (BSON_ITER_HOLDS_UTF8(it)) {
        coll = bson_iter_utf8(it, &len);
    } else if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        bson_iter_recurse(it, &c);
        while (bson_iter_next(&c)) {
            if (strcmp(bson_iter_key(&c), "db") == 0 && BSON_ITER_HOLDS_UTF8(&c)) {
                const char *db = bson_iter_utf8(&c, &dblen);

                SDB_RET(wk_ns_db_check(db, dblen, err)); /* never folded: engine/namespace.h */
                snprintf(t->db, sizeof(t->db), "%s", db);
            } else if (strcmp(bson_iter_key(&c), "coll") == 0 && BSON_ITER_HOLDS_UTF8(&c)) {
                coll = bson_iter_utf8(&c, &len);
            }
        }
    } else {
        return sdb_error_set(err, SDB_CODE_Location16990,
                             "%s only supports a string or object argument, not %s", stage,
                             wk_agg_type_name(bson_iter_type(it)));
    }
    if (len == 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid %s target namespace", stage);
    SDB_RET(wk_ns_join(t->db, coll, len, ns, sizeof(ns), err));
    snprintf(t->coll, sizeof(t->coll), "%s", coll);
    return 0;
}

/* dup_key_extra -- copy keyPattern/keyValue of a write error into `extra` (may be NULL). */
static void
dup_key_extra(const bson_t *we, bson_t *extra)
{
    bson_iter_t it;

    if (extra == NULL)
        return;
    if (bson_iter_init_find(&it, we, "keyPattern"))
        wk_cmdu_append_iter_as(extra, "keyPattern", &it);
    if (bson_iter_init_find(&it, we, "keyValue"))
        wk_cmdu_append_iter_as(extra, "keyValue", &it);
}

/* insert_docs -- INSERT the documents (with _id) into ns in chunks; the first write error
 * becomes the stage's error (its keyPattern/keyValue go to `extra` when not NULL).  A
 * document the pipeline built past SDB_BSON_DEPTH_EVAL levels is 15 Overflow, never sent. */
static int
insert_docs(const char *ns, const wk_validator_t *v, bson_t **docs, size_t n, bson_t *extra,
            sdb_error_t *err)
{
    size_t i = 0;
    int ret = 0;

    while (i < n) {
        bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, arr;
        bson_iter_t it, we;
        size_t bytes = 0;
        uint32_t k = 0;

        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_ARRAY_BEGIN(&req, "docs", &arr);
        for (; i < n && (k == 0 || bytes + docs[i]->len < INSERT_CHUNK_BYTES); i++, k++) {
            bson_t withid;
            char buf[16];
            const char *key;

            if (!sdb_bson_depth_ok(docs[i], SDB_BSON_DEPTH_EVAL)) { /* built past the bound */
                ret = sdb_depth_doc_error(err);
                break;
            }
            ret = wk_cmdu_ensure_id(docs[i], &withid, err);
            if (ret == 0)
                ret = wk_cmdu_validate(v, NULL, &withid, err);
            bson_uint32_to_string(k, &key, buf, sizeof(buf));
            if (ret == 0)
                BSON_APPEND_DOCUMENT(&arr, key, &withid);
            bytes += withid.len;
            bson_destroy(&withid);
            if (ret != 0)
                break;
        }
        bson_append_array_end(&req, &arr);
        BSON_APPEND_BOOL(&req, "ordered", true);
        if (ret == 0)
            ret = wk_cmdu_store(SDB_OP_INSERT, &req, &reply, err);
        if (ret == 0 && bson_iter_init_find(&it, &reply, "writeErrors") &&
            bson_iter_recurse(&it, &we) && bson_iter_next(&we) && BSON_ITER_HOLDS_DOCUMENT(&we)) {
            const uint8_t *data;
            uint32_t len;
            bson_t e;

            bson_iter_document(&we, &len, &data);
            bson_init_static(&e, data, len);
            sdb_error_from_bson(&e, err);
            dup_key_extra(&e, extra);
            ret = SDB_ECLIENT;
        }
        bson_destroy(&req);
        bson_destroy(&reply);
        SDB_RET(ret);
    }
    return 0;
}

/* simple_op -- a store call whose reply is not needed. */
static int
simple_op(int op, const bson_t *req, sdb_error_t *err)
{
    bson_t reply;
    int ret = wk_cmdu_store(op, req, &reply, err);

    bson_destroy(&reply);
    return ret;
}

/* copy_indexes -- re-create target's secondary indexes on tmp. */
static int
copy_indexes(const char *target, const char *tmp, sdb_error_t *err)
{
    const wk_coll_info_t *ci;
    bson_t req = BSON_INITIALIZER, arr;
    bson_iter_t it, f;
    uint32_t n = 0;
    int ret = 0;

    SDB_RET(wk_cmdu_refresh(err));
    ci = wk_catalog_find(target);
    BSON_APPEND_UTF8(&req, "ns", tmp);
    BSON_APPEND_ARRAY_BEGIN(&req, "indexes", &arr);
    if (ci != NULL && bson_iter_init(&it, &ci->indexes)) {
        while (bson_iter_next(&it)) {
            char buf[16];
            const char *k;

            if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &f) ||
                !bson_iter_find(&f, "name") || !BSON_ITER_HOLDS_UTF8(&f) ||
                strcmp(bson_iter_utf8(&f, NULL), "_id_") == 0)
                continue;
            bson_uint32_to_string(n++, &k, buf, sizeof(buf));
            bson_append_iter(&arr, k, -1, &it);
        }
    }
    bson_append_array_end(&req, &arr);
    if (n > 0)
        ret = simple_op(SDB_OP_CREATE_INDEXES, &req, err);
    else
        ret = 0;
    bson_destroy(&req);
    return ret;
}

/* ---- $out ------------------------------------------------------------------------------ */

/* target_options -- the replaced collection's options (validator, collation ...) for the
 * temporary one, so that $out keeps them as mongod does; the catalog cache is fresh (the
 * validator load refreshed it). */
static void
target_options(const char *ns, bson_t *req)
{
    const wk_coll_info_t *ci = wk_catalog_find(ns);

    if (ci != NULL && !bson_empty(&ci->options))
        BSON_APPEND_DOCUMENT(req, "options", &ci->options);
}

int
wk_agg_parse_out(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    target_t *t = bson_malloc0(sizeof(*t));
    int ret = parse_ns("$out", spec, ctx, t, err);

    if (ret != 0) {
        bson_free(t);
        return ret;
    }
    *priv = t;
    return 0;
}

int
wk_agg_run_out(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
               sdb_error_t *err)
{
    const target_t *t = priv;
    bson_t req = BSON_INITIALIZER;
    char ns[WK_NS_MAX], tmp[WK_NS_MAX];
    sdb_error_t ignored;
    wk_validator_t v;
    bool created = false;
    int ret = 0;

    SDB_UNUSED(out);
    memset(&v, 0, sizeof(v));
    snprintf(ns, sizeof(ns), "%s.%s", t->db, t->coll);
    SDB_ERR(wk_capped_refuse_out(ns, err));
    SDB_ERR(wk_cmdu_validator_load_ns(ns, ctx->bypass_validation, &v, err));
    snprintf(tmp, sizeof(tmp), "%s.tmp.agg_out.%08lx%08lx", t->db, (unsigned long)random(),
             (unsigned long)random());
    BSON_APPEND_UTF8(&req, "ns", tmp);
    target_options(ns, &req);
    SDB_ERR(simple_op(SDB_OP_CREATE, &req, err));
    created = true;
    SDB_ERR(copy_indexes(ns, tmp, err));
    SDB_ERR(insert_docs(tmp, &v, in->v, in->n, ctx->err_extra, err));
    bson_reinit(&req);
    BSON_APPEND_UTF8(&req, "from", tmp);
    BSON_APPEND_UTF8(&req, "to", ns);
    BSON_APPEND_BOOL(&req, "dropTarget", true);
    SDB_ERR(simple_op(SDB_OP_RENAME, &req, err));
    created = false;
err:
    if (created) {
        bson_reinit(&req);
        BSON_APPEND_UTF8(&req, "ns", tmp);
        simple_op(SDB_OP_DROP, &req, &ignored);
    }
    wk_cmdu_validator_free(&v);
    bson_destroy(&req);
    return ret;
}

void
wk_agg_free_out(void *priv)
{
    bson_free(priv);
}

/* ---- $merge ---------------------------------------------------------------------------- */

static int
merge_mode(const bson_iter_t *it, const char *const *names, int *out, sdb_error_t *err)
{
    const char *s = BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "";

    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    return sdb_error_set(err, SDB_CODE_BadValue,
                         "Enumeration value '%s' for field '$merge.%s' is not a valid value.", s,
                         bson_iter_key(it));
}

/* merge_let -- `let`: {name: expression}, evaluated per result document for the pipeline. */
static int
merge_let(target_t *t, const bson_iter_t *it, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '$merge.let' is the wrong type '%s', expected type "
                             "'object'",
                             wk_agg_type_name(bson_iter_type(it)));
    return wk_agg_let_parse(&t->let, it, err);
}

/* merge_vars -- the pipeline's variables for one result `doc`: each `let` evaluated against
 * it (missing as null) and $$new, the result itself (doc NULL: nulls and {}, to parse). */
static int
merge_vars(const target_t *t, const bson_t *doc, const wk_op_t *op, bson_t *vars, sdb_error_t *err)
{
    bson_t empty = BSON_INITIALIZER;
    int ret = 0;

    bson_init(vars);
    if (doc != NULL)
        SDB_ERR(wk_agg_let_eval(&t->let, doc, op, vars, err));
    else
        for (size_t i = 0; i < t->let.n; i++)
            BSON_APPEND_NULL(vars, t->let.names[i]);
    if (!bson_has_field(vars, "new"))
        BSON_APPEND_DOCUMENT(vars, "new", doc != NULL ? doc : &empty);
err:
    bson_destroy(&empty);
    return ret;
}

/* merge_update -- the whenMatched pipeline as an update with one result's variables. */
static int
merge_update(const target_t *t, const bson_t *doc, const wk_op_t *op, wk_update_t **u,
             sdb_error_t *err)
{
    wk_match_opts_t opts = {0};
    bson_t vars;
    bson_iter_t it;
    int ret;

    *u = NULL;
    ret = merge_vars(t, doc, op, &vars, err);
    opts.vars = &vars;
    opts.op = op;
    if (ret == 0 && bson_iter_init_find(&it, t->pipeline, "p"))
        ret = wk_update_new_ex(&it, NULL, &opts, u, err);
    bson_destroy(&vars);
    return ret;
}

/* merge_option -- one field of the $merge object form. */
static int
merge_option(const bson_iter_t *it, const wk_agg_ctx_t *ctx, target_t *t, sdb_error_t *err)
{
    static const char *const matched[] = {"replace", "keepExisting", "merge", "fail", NULL};
    static const char *const not_matched[] = {"insert", "discard", "fail", NULL};
    const char *k = bson_iter_key(it);
    bson_iter_t on;

    if (strcmp(k, "into") == 0)
        return parse_ns("$merge", it, ctx, t, err);
    if (strcmp(k, "whenMatched") == 0 && BSON_ITER_HOLDS_ARRAY(it)) {
        t->matched = WM_PIPELINE;
        if (t->pipeline == NULL)
            t->pipeline = bson_new();
        return bson_append_iter(t->pipeline, "p", 1, it) ? 0 : sdb_depth_doc_error(err);
    }
    if (strcmp(k, "whenMatched") == 0)
        return merge_mode(it, matched, &t->matched, err);
    if (strcmp(k, "whenNotMatched") == 0)
        return merge_mode(it, not_matched, &t->not_matched, err);
    if (strcmp(k, "let") == 0)
        return merge_let(t, it, err);
    if (strcmp(k, "on") == 0) {
        if (BSON_ITER_HOLDS_UTF8(it) && strcmp(bson_iter_utf8(it, NULL), "_id") == 0)
            return 0;
        if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &on) && bson_iter_next(&on) &&
            BSON_ITER_HOLDS_UTF8(&on) && strcmp(bson_iter_utf8(&on, NULL), "_id") == 0 &&
            !bson_iter_next(&on))
            return 0;
        return sdb_error_set(err, SDB_CODE_Location51183,
                             "Cannot find index to verify that join fields will be unique");
    }
    return sdb_error_set(err, WK_CODE_UNKNOWN_FIELD, "BSON field '$merge.%s' is an unknown field.",
                         k);
}

int
wk_agg_parse_merge(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    target_t *t = bson_malloc0(sizeof(*t));
    bson_iter_t it;
    int ret = 0;

    t->matched = WM_MERGE;
    t->not_matched = WN_INSERT;
    if (BSON_ITER_HOLDS_UTF8(spec)) {
        SDB_ERR(parse_ns("$merge", spec, ctx, t, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(spec)) {
        bson_iter_recurse(spec, &it);
        while (bson_iter_next(&it))
            SDB_ERR(merge_option(&it, ctx, t, err));
        if (t->coll[0] == '\0')
            SDB_ERR(sdb_error_set(err, WK_CODE_MISSING_FIELD,
                                  "BSON field '$merge.into' is missing but a required field"));
        if (t->matched == WM_PIPELINE) { /* its stages and expressions fail at parse time */
            wk_update_t *u = NULL;

            ret = merge_update(t, NULL, ctx->op, &u, err);
            wk_update_free(u);
            SDB_ERR(ret);
        }
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location51182,
                              "$merge only supports a string or object argument, not %s",
                              wk_agg_type_name(bson_iter_type(spec))));
    }
    *priv = t;
    return 0;
err:
    wk_agg_free_merge(t);
    return ret;
}

/* merged -- old with every top-level field of doc set (the "merge" mode). */
static void
merged(const bson_t *old, const bson_t *doc, bson_t *out)
{
    bson_iter_t c, it;

    bson_init(out);
    bson_iter_init(&c, old);
    while (bson_iter_next(&c)) {
        if (bson_iter_init_find(&it, doc, bson_iter_key(&c)))
            bson_append_iter(out, bson_iter_key(&c), -1, &it);
        else
            bson_append_iter(out, bson_iter_key(&c), -1, &c);
    }
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it))
        if (!bson_has_field(old, bson_iter_key(&it)))
            bson_append_iter(out, bson_iter_key(&it), -1, &it);
}

/* merge_piped -- `nu` (initialized here on success) is `old` through the whenMatched pipeline
 * with $$new = doc; a changed _id is 66 in $merge's words, as mongod. */
static int
merge_piped(const target_t *t, const wk_op_t *op, const bson_t *old, const bson_t *doc, bson_t *nu,
            sdb_error_t *err)
{
    wk_update_t *u = NULL;
    bool changed = false;
    int ret;

    SDB_RET(merge_update(t, doc, op, &u, err));
    ret = wk_update_apply(u, old, NULL, false, nu, &changed, err);
    wk_update_free(u);
    if (ret != 0) {
        bson_destroy(nu);
        if (err->code == SDB_CODE_ImmutableField)
            sdb_error_set(err, SDB_CODE_ImmutableField,
                          "$merge failed to update the matching document, did you attempt to "
                          "modify the _id or the shard key?");
    }
    return ret;
}

/* merge_lookup -- apply one result (`doc` has its _id) by looking its _id up in the target. */
static int
merge_lookup(const target_t *t, const char *ns, const wk_validator_t *v, bson_t *doc, bson_t *extra,
             const wk_op_t *op, sdb_error_t *err)
{
    bson_t filter = BSON_INITIALIZER, req = BSON_INITIALIZER, nu, old;
    bson_iter_t id;
    wk_exec_t ex;
    int64_t r;
    bool found = false;
    int ret = 0;

    wk_exec_init(&ex);
    bson_iter_init_find(&id, doc, "_id");
    bson_append_iter(&filter, "_id", 3, &id);
    SDB_ERR(wk_exec_open(&ex, ns, &filter, err));
    SDB_ERR(wk_exec_next(&ex, &old, &r, NULL, &found, err));
    if (!found) {
        if (t->not_matched == WN_FAIL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_MergeStageNoMatchingDocument,
                                  "$merge could not find a matching document in the target "
                                  "collection for at least one document in the source "
                                  "collection"));
        if (t->not_matched == WN_INSERT)
            SDB_ERR(insert_docs(ns, v, &doc, 1, extra, err));
    } else if (t->matched == WM_FAIL) {
        if (extra != NULL) {
            BSON_APPEND_DOCUMENT_BEGIN(extra, "keyPattern", &nu);
            BSON_APPEND_INT32(&nu, "_id", 1);
            bson_append_document_end(extra, &nu);
            BSON_APPEND_DOCUMENT(extra, "keyValue", &filter);
        }
        SDB_ERR(sdb_error_set(err, SDB_CODE_DuplicateKey,
                              "$merge failed to update the matching document, did you attempt "
                              "to modify the _id or the shard key?"));
    } else if (t->matched != WM_KEEP) {
        if (t->matched == WM_PIPELINE)
            SDB_ERR(merge_piped(t, op, &old, doc, &nu, err));
        else if (t->matched == WM_MERGE)
            merged(&old, doc, &nu);
        else
            bson_copy_to(doc, &nu);
        if (!sdb_bson_depth_ok(&nu, SDB_BSON_DEPTH_EVAL)) /* built past the bound */
            ret = sdb_depth_doc_error(err);
        else
            ret = wk_cmdu_validate(v, &old, &nu, err);
        if (ret != 0) {
            bson_destroy(&nu);
            goto err;
        }
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_INT64(&req, "r", r);
        BSON_APPEND_DOCUMENT(&req, "old", &old);
        BSON_APPEND_DOCUMENT(&req, "new", &nu);
        bson_destroy(&nu);
        SDB_ERR(simple_op(SDB_OP_UPDATE, &req, err));
    }
err:
    wk_exec_close(&ex);
    bson_destroy(&filter);
    bson_destroy(&req);
    return ret;
}

/* merge_one -- apply one result to the target.  whenMatched "fail" with whenNotMatched
 * "insert" is a plain insert, as in mongod: its DuplicateKey (with keyPattern/keyValue) is
 * the stage's error. */
static int
merge_one(const target_t *t, const char *ns, const wk_validator_t *v, const bson_t *src,
          bson_t *extra, const wk_op_t *op, sdb_error_t *err)
{
    bson_t doc, *one = &doc;
    bool insert = t->matched == WM_FAIL && t->not_matched == WN_INSERT;
    int ret = insert ? 0 : sdb_bson_check_stored(src, true, err); /* an upsert, as in mongod */

    if (ret == 0)
        ret = wk_cmdu_ensure_id(src, &doc, err); /* `doc` is initialized even on error */
    else
        bson_init(&doc);
    if (ret == 0 && insert)
        ret = insert_docs(ns, v, &one, 1, extra, err);
    else if (ret == 0)
        ret = merge_lookup(t, ns, v, &doc, extra, op, err);
    bson_destroy(&doc);
    return ret;
}

int
wk_agg_run_merge(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    const target_t *t = priv;
    char ns[WK_NS_MAX];
    wk_validator_t v;
    int ret = 0;

    SDB_UNUSED(out);
    snprintf(ns, sizeof(ns), "%s.%s", t->db, t->coll);
    SDB_RET(wk_cmdu_validator_load_ns(ns, ctx->bypass_validation, &v, err));
    for (size_t i = 0; i < in->n; i++) {
        SDB_ERR(wk_op_check(ctx->op, err));
        if (in->v[i] != NULL)
            SDB_ERR(merge_one(t, ns, &v, in->v[i], ctx->err_extra, ctx->op, err));
    }
err:
    wk_cmdu_validator_free(&v);
    return ret;
}

void
wk_agg_free_merge(void *priv)
{
    target_t *t = priv;

    if (t == NULL)
        return;
    wk_agg_let_free(&t->let);
    if (t->pipeline != NULL)
        bson_destroy(t->pipeline);
    bson_free(t);
}
