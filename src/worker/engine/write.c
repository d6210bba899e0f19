/*
 * src/worker/engine/write.c -- write plumbing: write concern, writeErrors, validators, CAS writes.
 *
 * A write reads a record, computes the new bytes here (the worker owns update semantics) and
 * asks the master to replace the record only if it still holds the bytes that were read.  A
 * WriteConflict means another worker got there first: the record is re-read, re-matched and
 * the write retried; one that keeps conflicting waits (conflict_wait) for the transaction
 * holding the record, as mongod does, until the operation's maxTimeMS.  A one-member replica set can honour only
 * w <= 1 and "majority"; other concerns get the writeConcernError mongod reports.
 *
 * Every document about to be stored is checked against mongod's storage nesting limit here,
 * before any check that recurses over it (validators): wk_cmdu_ensure_id for inserts (insert,
 * $out, $merge) in mongod's insert words, try_update and wk_cmdu_upsert for the results of
 * updates, replacements and upserts in its update words.  The master checks again (records.c).
 *
 * Invariants: event-loop thread only.  The validator's spec points into the catalog cache
 * and is valid until the next refresh; wk_cmdu_validator_load refreshes first.
 */
#include "write.h"
#include "exec.h"
#include "retry.h"
#include "validation.h"

#include "../../common/bsoncmp.h"
#include "../../common/bsonvalid.h"
#include "../catalog_cache.h"
#include "../coro.h"
#include "../store_client.h"

#include <stdio.h>
#include <string.h>

int
wk_cmdu_write_concern(wk_cmd_t *cmd, wk_write_concern_t *wc)
{
    bson_iter_t it, sub;

    memset(wc, 0, sizeof(*wc));
    if (!bson_iter_init_find(&it, cmd->body, "writeConcern") || BSON_ITER_HOLDS_NULL(&it))
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return wk_cmdu_type_error(cmd, "writeConcern", bson_iter_type(&it), "object");
    bson_iter_recurse(&it, &sub);
    while (bson_iter_next(&sub)) {
        const char *k = bson_iter_key(&sub);

        if (strcmp(k, "j") == 0 || strcmp(k, "fsync") == 0) {
            if (wk_cmdu_truthy(&sub))
                wc->journal = true;
        } else if (strcmp(k, "w") == 0) {
            if (BSON_ITER_HOLDS_UTF8(&sub) && strcmp(bson_iter_utf8(&sub, NULL), "majority") == 0)
                wc->journal = true;
            else if (BSON_ITER_HOLDS_UTF8(&sub))
                bson_strncpy(wc->tag, bson_iter_utf8(&sub, NULL), sizeof(wc->tag));
            else if (BSON_ITER_HOLDS_NUMBER(&sub))
                wc->w = bson_iter_as_int64(&sub);
            else
                return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                                     "w has to be a number or string");
        }
    }
    return 0;
}

int
wk_cmdu_write_concern_finish(wk_cmd_t *cmd, const wk_write_concern_t *wc)
{
    bson_t req = BSON_INITIALIZER, reply, wce;
    int ret = 0;

    if (wc->journal) {
        ret = wk_cmdu_store(SDB_OP_FLUSH, &req, &reply, &cmd->err);
        bson_destroy(&reply);
    }
    bson_destroy(&req);
    if (ret != 0 || (wc->w <= 1 && wc->tag[0] == '\0'))
        return ret;
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "writeConcernError", &wce);
    if (wc->w > 1) {
        BSON_APPEND_INT32(&wce, "code", WK_CODE_UNSATISFIABLE_WC);
        BSON_APPEND_UTF8(&wce, "codeName", "UnsatisfiableWriteConcern");
        BSON_APPEND_UTF8(&wce, "errmsg", "Not enough data-bearing nodes");
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "No write concern mode named '%s' found in replica set configuration", wc->tag);
        BSON_APPEND_INT32(&wce, "code", WK_CODE_UNKNOWN_REPL_WC);
        BSON_APPEND_UTF8(&wce, "codeName", "UnknownReplWriteConcern");
        BSON_APPEND_UTF8(&wce, "errmsg", msg);
    }
    bson_append_document_end(cmd->reply, &wce);
    return 0;
}

void
wk_cmdu_write_error(bson_t *arr, uint32_t nerr, int32_t index, const sdb_error_t *e,
                    const bson_t *detail)
{
    bson_t we;
    bson_iter_t it;
    char key[16];

    bson_snprintf(key, sizeof(key), "%u", nerr);
    bson_append_document_begin(arr, key, -1, &we);
    BSON_APPEND_INT32(&we, "index", index);
    BSON_APPEND_INT32(&we, "code", e->code);
    if (detail != NULL) {
        if (bson_iter_init_find(&it, detail, "keyPattern"))
            wk_cmdu_append_iter_as(&we, "keyPattern", &it);
        if (bson_iter_init_find(&it, detail, "keyValue"))
            wk_cmdu_append_iter_as(&we, "keyValue", &it);
        if (bson_iter_init_find(&it, detail, "errInfo"))
            wk_cmdu_append_iter_as(&we, "errInfo", &it);
    }
    BSON_APPEND_UTF8(&we, "errmsg", e->msg);
    bson_append_document_end(arr, &we);
}

/* check_id -- mongod's storage checks on an _id value. */
static int
check_id(const bson_iter_t *id, sdb_error_t *err)
{
    bson_iter_t sub;

    switch (bson_iter_type(id)) {
    case BSON_TYPE_ARRAY:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use an array for _id");
    case BSON_TYPE_REGEX:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use a regex for _id");
    case BSON_TYPE_UNDEFINED:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use a undefined for _id");
    case BSON_TYPE_DOCUMENT:
        bson_iter_recurse(id, &sub);
        while (bson_iter_next(&sub))
            if (bson_iter_key(&sub)[0] == '$')
                return sdb_error_set(err, SDB_CODE_DollarPrefixedFieldName,
                                     "_id fields may not contain '$'-prefixed fields: %s is not "
                                     "valid for storage.",
                                     bson_iter_key(&sub));
        return 0;
    default:
        return 0;
    }
}

int
wk_cmdu_ensure_id(const bson_t *doc, bson_t *out, sdb_error_t *err)
{
    bson_iter_t it;
    bson_oid_t oid;
    bool have_id;

    bson_init(out);
    SDB_RET(sdb_bson_check_stored(doc, false, err)); /* before any check that recurses */
    have_id = bson_iter_init_find(&it, doc, "_id");
    if (have_id) {
        SDB_RET(check_id(&it, err));
        wk_cmdu_append_iter_as(out, "_id", &it);
    } else {
        bson_oid_init(&oid, NULL);
        BSON_APPEND_OID(out, "_id", &oid);
    }
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "_id") == 0)
            continue;
        bson_append_iter(out, bson_iter_key(&it), (int)bson_iter_key_len(&it), &it);
    }
    if (out->len > WK_BSON_MAX)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "object to insert too large. size in bytes: %u, max size: %d",
                             out->len, WK_BSON_MAX);
    return 0;
}

int
wk_cmdu_validator_load(wk_cmd_t *cmd, const char *ns, bool bypass, wk_validator_t *v)
{
    const wk_coll_info_t *ci;
    bson_iter_t it;
    bson_t doc;

    memset(v, 0, sizeof(*v));
    if (bypass)
        return 0;
    SDB_RET(wk_cmdu_refresh(&cmd->err));
    ci = wk_catalog_find(ns);
    if (ci == NULL || !bson_iter_init_find(&it, &ci->options, "validator") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    if (wk_cmdu_get_doc(cmd, &it, "validator", &doc) != 0 || bson_empty(&doc))
        return 0;
    if (bson_iter_init_find(&it, &ci->options, "validationLevel") && BSON_ITER_HOLDS_UTF8(&it)) {
        if (strcmp(bson_iter_utf8(&it, NULL), "off") == 0)
            return 0;
        v->moderate = strcmp(bson_iter_utf8(&it, NULL), "moderate") == 0;
    }
    if (bson_iter_init_find(&it, &ci->options, "validationAction") && BSON_ITER_HOLDS_UTF8(&it))
        v->warn = strcmp(bson_iter_utf8(&it, NULL), "warn") == 0;
    v->spec = bson_get_data(&doc);
    v->spec_len = doc.len;
    return wk_matcher_new(&doc, &v->m, &cmd->err);
}

int
wk_cmdu_validate(const wk_validator_t *v, const bson_t *old, const bson_t *doc, sdb_error_t *err)
{
    if (v == NULL || v->m == NULL || v->warn || wk_matcher_matches(v->m, doc, NULL))
        return 0;
    if (old != NULL && v->moderate && !wk_matcher_matches(v->m, old, NULL))
        return 0;
    return sdb_error_set(err, SDB_CODE_DocumentValidationFailure, "Document failed validation");
}

void
wk_cmdu_validator_free(wk_validator_t *v)
{
    wk_matcher_free(v->m);
    v->m = NULL;
}

int
wk_cmdu_check_batch(wk_cmd_t *cmd, uint32_t n)
{
    if (n >= 1 && n <= 100000)
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidLength,
                         "Write batch sizes must be between 1 and 100000. Got %u operations.", n);
}

/* value_text -- a value as mongod prints it in messages (relaxed extended JSON). */
static void
value_text(const bson_value_t *v, char *buf, size_t len)
{
    bson_t tmp = BSON_INITIALIZER;
    char *json, *p;
    size_t n;

    BSON_APPEND_VALUE(&tmp, "v", v);
    json = bson_as_relaxed_extended_json(&tmp, NULL);
    p = json != NULL ? strstr(json, " : ") : NULL;
    if (p == NULL) {
        bson_strncpy(buf, "?", len);
    } else {
        p += 3;
        n = strlen(p);
        if (n >= 2 && strcmp(p + n - 2, " }") == 0)
            p[n - 2] = '\0';
        bson_strncpy(buf, p, len);
    }
    bson_free(json);
    bson_destroy(&tmp);
}

/* fix_id -- the updated document with the original _id first; 66 if the update changed it. */
static int
fix_id(const bson_t *cur, const bson_t *out, bson_t *fixed, sdb_error_t *err)
{
    bson_iter_t cid, oid, it;
    char text[256];

    bson_init(fixed);
    if (!bson_iter_init_find(&cid, cur, "_id")) {
        bson_concat(fixed, out);
        return 0;
    }
    if (bson_iter_init_find(&oid, out, "_id") &&
        (bson_iter_type(&oid) != bson_iter_type(&cid) || sdb_bson_iter_cmp(&oid, &cid) != 0)) {
        value_text(bson_iter_value(&oid), text, sizeof(text));
        return sdb_error_set(err, SDB_CODE_ImmutableField,
                             "After applying the update, the (immutable) field '_id' was found "
                             "to have been altered to _id: %s",
                             text);
    }
    wk_cmdu_append_iter_as(fixed, "_id", &cid);
    bson_iter_init(&it, out);
    while (bson_iter_next(&it))
        if (strcmp(bson_iter_key(&it), "_id") != 0)
            bson_append_iter(fixed, bson_iter_key(&it), (int)bson_iter_key_len(&it), &it);
    if (fixed->len > WK_BSON_MAX)
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge,
                             "Resulting document after update is larger than %d", WK_BSON_MAX);
    return 0;
}

/* in_xact -- a transaction's write conflict aborted it: no retry (write.h). */
static bool
in_xact(const wk_op_t *op)
{
    return op != NULL && op->in_xact;
}

/* try_update -- one compare-and-swap attempt; *conflict on WriteConflict. */
static int
try_update(const wk_op_t *op, const char *ns, const wk_validator_t *v, const wk_update_t *u,
           int64_t r, const bson_t *cur, const wk_match_details_t *det, wk_stmt_t *stmt,
           bool *conflict, bool *matched, bool *modified, bson_t *after, bson_t *detail,
           sdb_error_t *err)
{
    bson_t out, fixed = BSON_INITIALIZER, req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it;
    bool changed = false;
    int ret = 0;

    *conflict = false;
    ret = wk_update_apply(u, cur, det, false, &out, &changed, err);
    if (ret != 0) {
        bson_destroy(&out);
        goto err;
    }
    bson_destroy(&fixed);
    ret = fix_id(cur, &out, &fixed, err);
    bson_destroy(&out);
    SDB_ERR(ret);
    if (changed)
        SDB_ERR(sdb_bson_check_stored(&fixed, true, err));
    if (changed && (ret = wk_cmdu_validate(v, cur, &fixed, err)) != 0 && detail != NULL)
        wk_validation_info(v->spec, v->spec_len, &fixed, detail);
    SDB_ERR(ret);
    *matched = true;
    if (changed) {
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_INT64(&req, "r", r);
        BSON_APPEND_DOCUMENT(&req, "old", cur);
        BSON_APPEND_DOCUMENT(&req, "new", &fixed);
        wk_op_append_xact(op, &req);
        if (!wk_update_is_replacement(u))
            BSON_APPEND_BOOL(&req, "diff", true); /* the oplog logs mongod's $v:2 diff */
        bson_destroy(&reply);
        ret = wk_retry_store(stmt, SDB_OP_UPDATE, &req, &reply, err);
        if (ret != 0 && err->code == SDB_CODE_WriteConflict && !in_xact(op)) {
            *conflict = true;
            if (op != NULL && op->stats != NULL)
                op->stats->write_conflicts++; /* serverStatus metrics.operation */
            ret = 0;
            goto err;
        }
        if (ret != 0 && detail != NULL)
            bson_concat(detail, &reply);
        SDB_ERR(ret);
        *matched = bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) > 0;
        if (stmt != NULL && stmt->done)
            goto err; /* it had already run: nothing was written (retry.h) */
        *modified = *matched;
    }
    if (after != NULL && *matched)
        bson_concat(after, changed ? &fixed : cur);
err:
    bson_destroy(&fixed);
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* reread -- after a conflict: the record's current bytes, if it still exists and matches. */
static int
reread(const wk_op_t *op, const char *ns, const wk_matcher_t *m, int64_t r, bson_t *cur,
       wk_match_details_t *det, bool *still, sdb_error_t *err)
{
    bool found = false;
    int ret;

    memset(det, 0, sizeof(*det));
    *still = false;
    bson_destroy(cur);
    ret = wk_cmdu_read_record(op, ns, r, cur, &found, err);
    if (!found)
        bson_init(cur);
    SDB_RET(ret);
    if (found)
        SDB_RET(wk_matcher_match(m, cur, det, still, err));
    return 0;
}

#define WK_CAS_QUICK 8        /* conflicts retried at once; then the write waits between tries */
#define WK_CAS_WAIT_MAX_MS 20 /* the longest pause between two tries */

/* conflict_wait -- the i-th conflict on the same record in a row.  A record that keeps
 * conflicting is held by a multi-document transaction's uncommitted write: wait for it to
 * commit or abort (it lives at most transactionLifetimeLimitSeconds), as mongod's write
 * retries its WriteConflict, pausing a little longer each time, bounded by the operation's
 * maxTimeMS, the client and shutdown (op.h).  SDB_ECLIENT once the operation must stop. */
static int
conflict_wait(const wk_op_t *op, int i, sdb_error_t *err)
{
    return i < WK_CAS_QUICK ? 0 : wk_cmdu_conflict_pause(op, i - WK_CAS_QUICK + 1, err);
}

int
wk_cmdu_conflict_pause(const wk_op_t *op, int n, sdb_error_t *err)
{
    wk_coro_sleep_ms(n < WK_CAS_WAIT_MAX_MS ? n : WK_CAS_WAIT_MAX_MS);
    return wk_op_interrupted(op, err);
}

int
wk_cmdu_update_one(const wk_op_t *op, const char *ns, const wk_validator_t *v,
                   const wk_matcher_t *m, const wk_update_t *u, int64_t r, const bson_t *doc,
                   const wk_match_details_t *details, wk_stmt_t *stmt, bool *matched,
                   bool *modified, bson_t *before, bson_t *after, bson_t *detail, sdb_error_t *err)
{
    wk_match_details_t det;
    bson_t cur;
    bool conflict = false, still;
    int ret = 0;

    *matched = *modified = false;
    memset(&det, 0, sizeof(det));
    if (details != NULL)
        det = *details;
    bson_copy_to(doc, &cur);
    for (int i = 0;; i++) {
        SDB_ERR(try_update(op, ns, v, u, r, &cur, &det, stmt, &conflict, matched, modified, after,
                           detail, err));
        if (!conflict) {
            if (before != NULL && *matched)
                bson_concat(before, &cur);
            goto err;
        }
        *matched = false;
        SDB_ERR(conflict_wait(op, i, err));
        SDB_ERR(reread(op, ns, m, r, &cur, &det, &still, err));
        if (!still)
            goto err;
    }
err:
    bson_destroy(&cur);
    return ret;
}

int
wk_cmdu_upsert(const wk_op_t *op, const char *ns, const wk_validator_t *v, const bson_t *q,
               const wk_update_t *u, wk_stmt_t *stmt, bson_t *out, bson_t *detail, sdb_error_t *err)
{
    bson_t seed, applied, req = BSON_INITIALIZER, reply = BSON_INITIALIZER, arr;
    bson_iter_t it, we;
    bool changed;
    int ret = 0;

    bson_init(out);
    /* zeroed so that we can tell whether the seed was initialized on a failure */
    memset(&seed, 0, sizeof(seed));
    ret = wk_update_upsert_seed(q, &seed, err);
    if (ret != 0) {
        if (seed.flags != 0)
            bson_destroy(&seed);
        goto err;
    }
    ret = wk_update_apply(u, &seed, NULL, true, &applied, &changed, err);
    bson_destroy(&seed);
    if (ret == 0)
        ret = sdb_bson_check_stored(&applied, true, err); /* mongod's update words */
    if (ret == 0) {
        bson_destroy(out);
        ret = wk_cmdu_ensure_id(&applied, out, err);
    }
    bson_destroy(&applied);
    SDB_ERR(ret);
    if ((ret = wk_cmdu_validate(v, NULL, out, err)) != 0 && detail != NULL)
        wk_validation_info(v->spec, v->spec_len, out, detail);
    SDB_ERR(ret);
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_ARRAY_BEGIN(&req, "docs", &arr);
    BSON_APPEND_DOCUMENT(&arr, "0", out);
    bson_append_array_end(&req, &arr);
    BSON_APPEND_BOOL(&req, "ordered", true);
    wk_op_append_xact(op, &req);
    bson_destroy(&reply);
    SDB_ERR(wk_retry_store(stmt, SDB_OP_INSERT, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "writeErrors") && bson_iter_recurse(&it, &we) &&
        bson_iter_next(&we) && BSON_ITER_HOLDS_DOCUMENT(&we)) {
        const uint8_t *data;
        uint32_t len;
        bson_t e;

        bson_iter_document(&we, &len, &data);
        if (bson_init_static(&e, data, len)) {
            sdb_error_from_bson(&e, err);
            if (detail != NULL)
                bson_concat(detail, &e);
        }
        ret = SDB_ECLIENT;
    }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

int
wk_cmdu_delete_one(const wk_op_t *op, const char *ns, const wk_matcher_t *m, int64_t r,
                   const bson_t *doc, wk_stmt_t *stmt, bool *deleted, bson_t *old, sdb_error_t *err)
{
    wk_match_details_t det;
    bson_t cur, req, reply = BSON_INITIALIZER;
    bson_iter_t it;
    bool still;
    int ret = 0;

    *deleted = false;
    bson_copy_to(doc, &cur);
    for (int i = 0;; i++) {
        bson_init(&req);
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_INT64(&req, "r", r);
        BSON_APPEND_DOCUMENT(&req, "old", &cur);
        wk_op_append_xact(op, &req);
        bson_destroy(&reply);
        ret = wk_retry_store(stmt, SDB_OP_DELETE, &req, &reply, err);
        bson_destroy(&req);
        if (ret == 0) {
            *deleted = bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) > 0;
            if (stmt != NULL && stmt->done)
                goto err; /* it had already run (retry.h) */
            if (*deleted && old != NULL)
                bson_concat(old, &cur);
            goto err;
        }
        if (err->code != SDB_CODE_WriteConflict || in_xact(op))
            goto err;
        ret = 0;
        if (op != NULL && op->stats != NULL)
            op->stats->write_conflicts++; /* serverStatus metrics.operation */
        SDB_ERR(conflict_wait(op, i, err));
        SDB_ERR(reread(op, ns, m, r, &cur, &det, &still, err));
        if (!still)
            goto err;
    }
err:
    bson_destroy(&reply);
    bson_destroy(&cur);
    return ret;
}
