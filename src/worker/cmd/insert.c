/*
 * src/worker/cmd/insert.c -- the insert command.
 *
 * Each document gets its _id first (an ObjectId when it has none) and mongod's checks on _id
 * and size, then goes to the master in INSERT batches of at most WK_INSERT_BATCH_DOCS
 * documents or WK_INSERT_BATCH_BYTES bytes.  A document the worker rejects never reaches the
 * master: the pending batch is sent first, so write errors keep statement order.  The reply
 * is {n, writeErrors?}; an ordered insert stops at its first error.  A collection validator
 * (options.validator) is enforced here unless bypassDocumentValidation is set.
 *
 * Invariants: event-loop thread; the command owns every bson it builds and frees it on every
 * path.  writeErrors indexes are positions in the client's documents array.  A retryable
 * insert (retry.h) sends the stmtId of each document with its batch; the master skips the
 * documents whose statements already ran and counts them in n (storeop.def).
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/opcount.h"
#include "../engine/retry.h"
#include "../engine/validation.h"
#include "../engine/view.h"
#include "../engine/write.h"

#include "../store_client.h"

#include <stdio.h>
#include <string.h>

#define WK_INSERT_BATCH_DOCS 1000u
#define WK_INSERT_BATCH_BYTES (8u * 1024u * 1024u)

typedef struct insert_state {
    char ns[WK_NS_MAX];
    bool ordered;
    bool stop; /* an ordered insert met an error */
    wk_validator_t validator;
    bson_t batch; /* array being built */
    int32_t *map; /* batch position -> documents index */
    uint32_t nbatch, cap;
    uint32_t batch_bytes;
    int32_t n;     /* documents inserted */
    bson_t errors; /* writeErrors array */
    uint32_t nerr;
    wk_retry_t retry;
    const wk_op_t *op; /* the command's operation (its transaction) */
    int32_t *stmts;    /* batch position -> stmtId (retryable inserts) */
} insert_state_t;

static const char *const insert_fields[] = {
    "documents", "ordered", "bypassDocumentValidation", "stmtIds", "isTimeseriesNamespace", NULL,
};

/* batch_failed -- every document of the pending batch failed with `e` (an ordered insert:
 * the first, then it stops). */
static void
batch_failed(insert_state_t *st, const sdb_error_t *e)
{
    for (uint32_t i = 0; i < st->nbatch && !st->stop; i++) {
        wk_cmdu_write_error(&st->errors, st->nerr++, st->map[i], e, NULL);
        st->stop = st->ordered;
    }
}

/* keep_only -- shrink the pending batch to the positions marked in `keep` (in order). */
static void
keep_only(insert_state_t *st, const bool *keep)
{
    bson_t kept = BSON_INITIALIZER;
    bson_iter_t it;
    uint32_t pos = 0, n = 0;
    char key[16];

    bson_iter_init(&it, &st->batch);
    for (; bson_iter_next(&it); pos++)
        if (pos < st->nbatch && keep[pos]) {
            snprintf(key, sizeof(key), "%u", n);
            bson_append_iter(&kept, key, -1, &it);
            st->map[n++] = st->map[pos];
        }
    bson_destroy(&st->batch);
    bson_steal(&st->batch, &kept);
    st->nbatch = n;
}

/* send_batch -- send the pending batch once; maps its writeErrors back to documents indexes.  A
 * document that met a transaction's uncommitted write (112 outside a transaction) is marked in
 * `keep` to be sent again, with those an ordered insert did not reach after it. */
static int
send_batch(insert_state_t *st, bool *keep, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, we, f;
    bool waits = !st->op->in_xact;
    int ret = 0;

    memset(keep, 0, st->nbatch * sizeof(*keep));
    BSON_APPEND_UTF8(&req, "ns", st->ns);
    BSON_APPEND_ARRAY(&req, "docs", &st->batch);
    BSON_APPEND_BOOL(&req, "ordered", st->ordered);
    if (st->retry.on) {
        if ((ret = wk_retry_before_write(&st->retry, err)) == SDB_ECLIENT) {
            ret = 0;
            batch_failed(st, err); /* the failpoint hung up: writeErrors, as mongod */
            goto err;
        }
        st->stmts = bson_realloc(st->stmts, st->cap * sizeof(*st->stmts));
        for (uint32_t i = 0; i < st->nbatch; i++)
            st->stmts[i] = wk_retry_stmt_id(&st->retry, st->map[i]);
        wk_retry_append_txn(&req, &st->retry, 0, st->stmts, st->nbatch, false);
    }
    wk_op_append_xact(st->op, &req);
    ret = wk_cmdu_store(SDB_OP_INSERT, &req, &reply, err);
    if (st->retry.on)
        wk_retry_after_write(&st->retry, ret, &reply);
    SDB_ERR(ret);
    if (bson_iter_init_find(&it, &reply, "n"))
        st->n += (int32_t)bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, &reply, "writeErrors") && bson_iter_recurse(&it, &we)) {
        while (bson_iter_next(&we)) {
            const uint8_t *data;
            uint32_t len;
            bson_t e;
            sdb_error_t werr;
            int64_t idx = 0;

            if (!BSON_ITER_HOLDS_DOCUMENT(&we))
                continue;
            bson_iter_document(&we, &len, &data);
            if (!bson_init_static(&e, data, len))
                continue;
            sdb_error_from_bson(&e, &werr);
            if (bson_iter_init_find(&f, &e, "index"))
                idx = bson_iter_as_int64(&f);
            if (idx < 0 || idx >= (int64_t)st->nbatch)
                idx = 0;
            if (waits && werr.code == SDB_CODE_WriteConflict) {
                for (uint32_t i = (uint32_t)idx; i < (st->ordered ? st->nbatch : idx + 1); i++)
                    keep[i] = true;
                continue;
            }
            wk_cmdu_write_error(&st->errors, st->nerr++, st->map[idx], &werr, &e);
            if (st->ordered)
                st->stop = true;
        }
    }
err:
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* flush -- send the pending batch until no document of it waits for a transaction (as mongod's
 * insert retries its WriteConflict: write.h). */
static int
flush(insert_state_t *st, sdb_error_t *err)
{
    bool *keep = bson_malloc0((st->nbatch > 0 ? st->nbatch : 1) * sizeof(*keep));
    int ret = 0;

    for (int i = 0; ret == 0 && st->nbatch > 0; i++) {
        if (i > 0)
            ret = wk_cmdu_conflict_pause(st->op, i, err);
        if (ret == 0)
            ret = send_batch(st, keep, err);
        if (ret == 0)
            keep_only(st, keep);
    }
    bson_free(keep);
    bson_reinit(&st->batch);
    st->nbatch = 0;
    st->batch_bytes = 0;
    return ret;
}

/* add_one -- check one document and queue it (or record its write error). */
static int
add_one(insert_state_t *st, const bson_iter_t *it, int32_t index, sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t view, doc;
    sdb_error_t werr;
    char key[16];
    const char *k;
    int ret = 0;

    memset(&werr, 0, sizeof(werr));
    bson_init(&doc);
    if (!BSON_ITER_HOLDS_DOCUMENT(it)) {
        sdb_error_set(&werr, SDB_CODE_TypeMismatch,
                      "BSON field 'insert.documents.%d' is the wrong type '%s', expected type "
                      "'object'",
                      index, wk_cmdu_type_name(bson_iter_type(it)));
        goto rejected;
    }
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(&view, data, len)) {
        sdb_error_set(&werr, SDB_CODE_InvalidBSON, "invalid BSON document");
        goto rejected;
    }
    bson_destroy(&doc);
    if (wk_cmdu_ensure_id(&view, &doc, &werr) != 0 ||
        wk_cmdu_validate(&st->validator, NULL, &doc, &werr) != 0)
        goto rejected;
    if (st->nbatch > 0 &&
        (st->nbatch >= WK_INSERT_BATCH_DOCS || st->batch_bytes + doc.len > WK_INSERT_BATCH_BYTES))
        SDB_ERR(flush(st, err));
    if (st->stop)
        goto err;
    if (st->nbatch == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->map = bson_realloc(st->map, st->cap * sizeof(*st->map));
    }
    bson_uint32_to_string(st->nbatch, &k, key, sizeof(key));
    BSON_APPEND_DOCUMENT(&st->batch, k, &doc);
    st->map[st->nbatch++] = index;
    st->batch_bytes += doc.len;
    goto err;
rejected:
    SDB_ERR(flush(st, err));
    if (st->stop)
        goto err;
    if (werr.code == SDB_CODE_DocumentValidationFailure && st->validator.m != NULL) {
        bson_t detail = BSON_INITIALIZER;
        wk_validation_info(st->validator.spec, st->validator.spec_len, &doc, &detail);
        wk_cmdu_write_error(&st->errors, st->nerr++, index, &werr, &detail);
        bson_destroy(&detail);
    } else {
        wk_cmdu_write_error(&st->errors, st->nerr++, index, &werr, NULL);
    }
    if (st->ordered)
        st->stop = true;
err:
    bson_destroy(&doc);
    return ret;
}

/* parse_args -- documents, ordered, bypassDocumentValidation. */
static int
parse_args(wk_cmd_t *cmd, insert_state_t *st, bson_iter_t *docs, bool *bypass)
{
    bson_iter_t it;
    bool have_docs = false;

    st->ordered = true;
    SDB_RET(wk_cmdu_check_fields(cmd, insert_fields));
    SDB_RET(wk_cmdu_check_timeseries_ns(cmd));
    bson_iter_init(&it, cmd->body);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "documents") == 0) {
            if (!BSON_ITER_HOLDS_ARRAY(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "array");
            bson_iter_recurse(&it, docs);
            have_docs = true;
        } else if (strcmp(k, "ordered") == 0) {
            st->ordered = wk_cmdu_truthy(&it);
        } else if (strcmp(k, "bypassDocumentValidation") == 0) {
            *bypass = wk_cmdu_truthy(&it);
        }
    }
    if (!have_docs)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'insert.documents' is missing but a required field");
    return 0;
}

/* wk_cmd_insert -- {insert, documents, ordered} -> {n, writeErrors?}. */
int
wk_cmd_insert(wk_cmd_t *cmd)
{
    insert_state_t st;
    wk_write_concern_t wc;
    bson_iter_t docs;
    bool bypass = false;
    int32_t index = 0;
    int ret = 0;

    memset(&st, 0, sizeof(st));
    bson_init(&st.batch);
    bson_init(&st.errors);
    st.op = &cmd->op;
    SDB_ERR(wk_cmd_ns(cmd, st.ns, sizeof(st.ns)));
    SDB_ERR(wk_ns_write_check(st.ns, &cmd->err));
    SDB_ERR(wk_view_refuse_write(cmd, st.ns));
    SDB_ERR(parse_args(cmd, &st, &docs, &bypass));
    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    SDB_ERR(wk_cmdu_validator_load(cmd, st.ns, bypass, &st.validator));
    wk_retry_parse(cmd, &st.retry);
    while (!st.stop && bson_iter_next(&docs))
        SDB_ERR(add_one(&st, &docs, index++, &cmd->err));
    if (!st.stop)
        SDB_ERR(flush(&st, &cmd->err));
    SDB_ERR(wk_retry_check_number(&st.retry, &cmd->err)); /* when no batch reached the master */
    wk_cmdu_opcount(WK_OPC_INSERT, (uint64_t)index);
    BSON_APPEND_INT32(cmd->reply, "n", st.n);
    if (st.nerr > 0)
        BSON_APPEND_ARRAY(cmd->reply, "writeErrors", &st.errors);
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    wk_cmdu_validator_free(&st.validator);
    bson_free(st.stmts);
    bson_free(st.map);
    bson_destroy(&st.batch);
    bson_destroy(&st.errors);
    return ret;
}
