/*
 * src/master/records.c -- record writes and collection scans.
 *
 * Record ids come from the collection's atomic counter (catalog.c initializes it above the
 * largest stored id), so concurrent inserts never collide on a record key; an insert that
 * fails leaves a gap, which is harmless.  A write's transaction is: record change, index
 * changes (derived here from the stored and the new document), then ms_oplog_commit, which
 * appends the oplog entry and commits.  Retries start over from begin_transaction, with a
 * short growing pause.  Scans run in one snapshot per batch and return at least one document
 * whatever maxBytes says, so a 16 MiB document still makes progress.
 *
 * Every document written passes sdb_bson_check_stored first (mongod's 100-level storage limit,
 * 15 Overflow in its insert or update words), so index key encoding and comparison, which
 * recurse, only ever see bounded documents.
 *
 * Invariants: every handler holds the shared catalog lock while it touches a collection and
 * releases it before returning; WiredTiger cursors are opened and closed per operation (the
 * session caches them).  A write naming a retryable statement (`txn`, txns.h) first checks in
 * its transaction whether the statement already ran (then it writes nothing and replies the
 * record as `done`) and records it in the same transaction, just before the oplog entry.
 */
#include "records.h"

#include "../common/bsonvalid.h"
#include "../common/sdb.h"
#include "capped.h"
#include "csimages.h"
#include "failpoints.h"
#include "indexes.h"
#include "oplog.h"
#include "oplog_diff.h"
#include "store.h"
#include "storereq.h"
#include "txns.h"
#include "xact.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
ms_records_capped_in_xact(const ms_coll_t *c, sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_OperationNotSupportedInTransaction,
                         "Collection '%s' is a capped collection. Writes in transactions are not "
                         "allowed on capped collections.",
                         c->ns);
}

void
ms_records_append_doc(bson_t *arr, uint32_t i, int64_t rid, const void *data, size_t len)
{
    const char *key;
    char buf[16];
    bson_t e, d;

    bson_uint32_to_string(i, &key, buf, sizeof(buf));
    bson_append_document_begin(arr, key, -1, &e);
    BSON_APPEND_INT64(&e, "r", rid);
    if (bson_init_static(&d, data, len))
        BSON_APPEND_DOCUMENT(&e, "d", &d);
    bson_append_document_end(arr, &e);
}

static void
backoff(int attempt)
{
    if (attempt < 2)
        sched_yield();
    else
        usleep((useconds_t)(100 * attempt));
}

/* id_doc -- {_id: <doc's first field>} for oplog o/o2. */
static void
id_doc(const bson_t *doc, bson_t *out)
{
    bson_iter_t it;

    bson_init(out);
    if (bson_iter_init_find(&it, doc, "_id"))
        bson_append_iter(out, "_id", 3, &it);
}

/* ---- insert ---------------------------------------------------------------------------- */

/* A retryable statement a write belongs to (tx NULL: none), and what the request's
 * onPrimaryTransactionalWrite failpoint said (consulted once per request, txns.h). */
typedef struct stmt_ref {
    const ms_txn_ref_t *tx;
    int32_t stmt;
    bool fp_tried; /* the failpoint was consulted */
    bool hang_up;  /* ... and said to hang up after the reply */
    bool refused;  /* ... and refused the write: `refusal` fails the request's documents */
    sdb_error_t refusal;
} stmt_ref_t;

/* statement_fire -- the failpoint for a statement about to be written, once per request. */
static int
statement_fire(stmt_ref_t *st, sdb_error_t *err)
{
    int ret;

    if (st->fp_tried)
        return 0;
    st->fp_tried = true;
    if ((ret = ms_txns_fire(&st->hang_up, err)) == SDB_ECLIENT) {
        st->refused = true;
        st->refusal = *err;
    }
    return ret;
}

/* record_insert -- the statement record of an inserted document: {op: "i", id, post?}. */
static int
record_insert(WT_SESSION *s, const stmt_ref_t *st, const bson_t *doc, sdb_error_t *err)
{
    bson_t rec = BSON_INITIALIZER;
    bson_iter_t it;
    int ret;

    BSON_APPEND_UTF8(&rec, "op", "i");
    if (bson_iter_init_find(&it, doc, "_id"))
        bson_append_iter(&rec, "id", 2, &it);
    if (st->tx->images)
        BSON_APPEND_DOCUMENT(&rec, "post", doc);
    ret = ms_txns_record(s, st->tx, st->stmt, &rec, err);
    bson_destroy(&rec);
    return ret;
}

/* corrupt_copy -- mongod's test failpoint corruptDocumentOnInsert: the bytes stored for the
 * document lose their terminating NUL, so validate (validate.h) finds a corrupt record; its
 * index entries and oplog entry are the good document's.  NULL while the failpoint is off. */
static uint8_t *
corrupt_copy(const bson_t *doc)
{
    bson_t data;
    uint8_t *bad = NULL;

    if (ms_failpoints_fire("corruptDocumentOnInsert", &data)) {
        bad = bson_malloc(doc->len);
        memcpy(bad, bson_get_data(doc), doc->len);
        bad[doc->len - 1] = 0xFF;
    }
    bson_destroy(&data);
    return bad;
}

/* insert_txn -- one attempt: record, index entries, statement record, oplog entry, commit.
 * A retryable statement that already ran writes nothing: *done, and *rec holds its record.
 * Inside a multi-document transaction (x): record and index entries only, the oplog entry
 * collected for its commit (xact.h). */
static int
insert_txn(WT_SESSION *s, ms_xact_t *x, const ms_coll_t *c, const bson_t *doc, int64_t rid,
           stmt_ref_t *st, bson_t *info, bson_t *rec, bool *done, sdb_error_t *err)
{
    ms_oplog_entry_t e = {"i", c->ns, c->uuid, doc, NULL, NULL};
    WT_CURSOR *cur = NULL;
    WT_ITEM v = {.data = bson_get_data(doc), .size = doc->len};
    uint8_t *bad = corrupt_copy(doc);
    bson_t o2;
    int ret = 0;

    if (bad != NULL)
        v.data = bad;
    id_doc(doc, &o2);
    e.o2 = &o2;
    if (x == NULL)
        SDB_ERR(s->begin_transaction(s, NULL));
    if (st->tx != NULL && (ret = ms_txns_check(s, st->tx, st->stmt, rec, done, err)) == 0 && !*done)
        ret = statement_fire(st, err);
    if (ret == 0 && !*done &&
        (ret = s->open_cursor(s, c->uri, NULL, "overwrite=false", &cur)) == 0) {
        cur->set_key(cur, rid);
        cur->set_value(cur, &v);
        ret = cur->insert(cur);
        SDB_TRET(cur->close(cur));
    }
    if (ret == 0 && !*done)
        ret = ms_indexes_insert_doc(s, c, doc, rid, info, err);
    if (ret == 0 && !*done && st->tx != NULL)
        ret = record_insert(s, st, doc, err);
    if (x != NULL) {
        if (ret == 0)
            ms_xact_add_op(x, &e);
    } else if (ret != 0 || *done)
        s->rollback_transaction(s, NULL);
    else if (c->capped != NULL)
        ret = ms_capped_commit_insert(s, c, rid, doc->len, &e, err);
    else
        ret = ms_oplog_commit(s, &e, NULL);
err:
    bson_destroy(&o2);
    bson_free(bad);
    return ret;
}

/* insert_one -- insert doc into ns (created if missing, outside any transaction), retrying
 * write conflicts unless in a transaction (whose conflict aborts it: xact.h); *done as
 * insert_txn says. */
static int
insert_one(ms_ctx_t *ctx, const char *ns, const bson_t *doc, stmt_ref_t *st, bson_t *info,
           bson_t *rec, bool *done, sdb_error_t *err)
{
    WT_SESSION *s = ctx->session;
    bson_iter_t it;
    ms_coll_t *c;
    int64_t rid;
    int ret = WT_ROLLBACK;

    SDB_RET(sdb_bson_check_stored(doc, false, err));
    if (!bson_iter_init(&it, doc) || !bson_iter_next(&it) || strcmp(bson_iter_key(&it), "_id") != 0)
        return sdb_error_set(err, SDB_CODE_BadValue, "document must have _id first");
    SDB_RET(ms_catalog_open_for_write(ctx->own != NULL ? ctx->own : s, ctx->xact, ns, &c, err));
    if (ctx->xact != NULL && c->capped != NULL)
        ret = ms_records_capped_in_xact(c, err);
    else
        ret = ms_capped_check_insert(c, doc, err);
    if (ret != 0) {
        ms_catalog_unlock();
        return ret;
    }
    ret = WT_ROLLBACK;
    ms_capped_lock(c); /* capped: writes take turns (capped.h) */
    rid = atomic_fetch_add(&c->next_rid, 1);
    for (int attempt = 0; attempt < MS_WRITE_RETRIES && ret == WT_ROLLBACK; attempt++) {
        if (attempt > 0 && ctx->xact != NULL)
            break; /* the transaction's conflict: it is aborted (xact.h) */
        if (attempt > 0)
            backoff(attempt);
        ret = insert_txn(s, ctx->xact, c, doc, rid, st, info, rec, done, err);
    }
    ms_capped_unlock(c);
    ms_catalog_unlock();
    return ret == WT_ROLLBACK && ctx->xact == NULL ? ms_store_write_conflict(err) : ret;
}

/* append_entry -- element n of arr for document `index`: a writeError {index, code, errmsg,
 * ...doc} when e is given, else the record of a statement that had already run {index, rec}. */
static void
append_entry(bson_t *arr, uint32_t n, int32_t index, const sdb_error_t *e, const bson_t *doc)
{
    const char *key;
    char buf[16];
    bson_t we;

    bson_uint32_to_string(n, &key, buf, sizeof(buf));
    bson_append_document_begin(arr, key, -1, &we);
    BSON_APPEND_INT32(&we, "index", index);
    if (e != NULL) {
        BSON_APPEND_INT32(&we, "code", e->code);
        BSON_APPEND_UTF8(&we, "errmsg", e->msg);
        bson_concat(&we, doc);
    } else {
        BSON_APPEND_DOCUMENT(&we, "rec", doc);
    }
    bson_append_document_end(arr, &we);
}

int
ms_records_op_insert(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t errs = BSON_INITIALIZER, dones = BSON_INITIALIZER, doc, info, rec;
    const char *ns;
    bson_iter_t docs;
    ms_txn_ref_t tx;
    stmt_ref_t st;
    bool ordered, have_tx, done;
    int32_t n = 0, index = 0;
    uint32_t nerr = 0, ndone = 0;
    int ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_array(req, "docs", false, &docs, NULL, err));
    SDB_RET(ms_req_bool(req, "ordered", true, &ordered, err));
    SDB_RET(ms_txns_parse(req, &tx, &have_tx, err));
    memset(&st, 0, sizeof(st));
    st.tx = have_tx ? &tx : NULL;
    for (; bson_iter_next(&docs); index++) {
        sdb_error_t e = {0};
        bson_init(&info);
        done = false;
        st.stmt = tx.stmt + index;
        if (have_tx && tx.has_stmts && bson_iter_next(&tx.stmts))
            st.stmt = (int32_t)bson_iter_as_int64(&tx.stmts);
        ret = ms_req_iter_doc(&docs, "docs", &doc, &e);
        if (ret == 0 && st.refused) {
            e = st.refusal;
            ret = SDB_ECLIENT;
        } else if (ret == 0) {
            ret = insert_one(ctx, ns, &doc, &st, &info, &rec, &done, &e);
        }
        if (ret == 0)
            n++;
        if (ret == 0 && done) {
            append_entry(&dones, ndone++, index, NULL, &rec);
            bson_destroy(&rec);
        }
        if (ret == SDB_ECLIENT && e.code == SDB_CODE_TransactionTooOld)
            *err = e; /* the whole request is refused, not one document */
        else if (ret == SDB_ECLIENT)
            append_entry(&errs, nerr++, index, &e, &info);
        bson_destroy(&info);
        if (ret != 0 && (ret != SDB_ECLIENT || ordered || e.code == SDB_CODE_TransactionTooOld))
            break;
    }
    if (st.hang_up)
        BSON_APPEND_BOOL(reply, "hangUp", true);
    if (ret != 0 && (ret != SDB_ECLIENT || err->code == SDB_CODE_TransactionTooOld)) {
        bson_destroy(&errs);
        bson_destroy(&dones);
        return ret;
    }
    BSON_APPEND_INT32(reply, "n", n);
    if (nerr > 0)
        BSON_APPEND_ARRAY(reply, "writeErrors", &errs);
    if (ndone > 0)
        BSON_APPEND_ARRAY(reply, "done", &dones);
    bson_destroy(&errs);
    bson_destroy(&dones);
    return 0;
}

/* ---- update and delete ----------------------------------------------------------------- */

typedef struct change {
    const ms_coll_t *c;
    int64_t rid;
    const bson_t *old;      /* expected stored bytes, or NULL (DELETE without old) */
    const bson_t *new;      /* replacement, or NULL for a delete */
    const ms_txn_ref_t *tx; /* the retryable statement this write is, or NULL */
    bool diff;              /* an operator or pipeline update: log a $v:2 diff, not `new` */
    stmt_ref_t fp;          /* its failpoint state */
    ms_xact_t *xact;        /* the multi-document transaction it joins, or NULL */
    int n;                  /* out: records changed */
    bool done;              /* out: the statement had already run (nothing written) */
    bson_t rec;             /* out: its record, when done */
    int64_t dbytes;         /* out: data size change (capped accounting) */
} change_t;

static int
same_bytes(const WT_ITEM *v, const bson_t *doc)
{
    return v->size == doc->len && memcmp(v->data, bson_get_data(doc), v->size) == 0;
}

/* record_change -- the statement record of an update or delete: {op: "u"|"d", pre?, post?}. */
static int
record_change(WT_SESSION *s, const change_t *ch, const bson_t *stored, sdb_error_t *err)
{
    bson_t rec = BSON_INITIALIZER;
    int ret;

    BSON_APPEND_UTF8(&rec, "op", ch->new != NULL ? "u" : "d");
    if (ch->tx->images) {
        BSON_APPEND_DOCUMENT(&rec, "pre", stored);
        if (ch->new != NULL)
            BSON_APPEND_DOCUMENT(&rec, "post", ch->new);
    }
    ret = ms_txns_record(s, ch->tx, ch->tx->stmt, &rec, err);
    bson_destroy(&rec);
    return ret;
}

/* change_txn -- one attempt of an update or delete of record ch->rid. */
static int
change_txn(WT_SESSION *s, change_t *ch, bson_t *info, sdb_error_t *err)
{
    const ms_coll_t *c = ch->c;
    WT_CURSOR *cur = NULL;
    ms_oplog_entry_t e = {ch->new != NULL ? "u" : "d", c->ns, c->uuid, NULL, NULL};
    bson_t stored, idd, o = BSON_INITIALIZER, *pre = NULL;
    WT_ITEM v;
    int ret = 0;

    bson_init(&idd);
    if (ch->xact == NULL)
        SDB_ERR(s->begin_transaction(s, NULL));
    if (ch->tx != NULL &&
        ((ret = ms_txns_check(s, ch->tx, ch->tx->stmt, &ch->rec, &ch->done, err)) != 0 ||
         ch->done || (ret = statement_fire(&ch->fp, err)) != 0))
        goto rollback;
    if ((ret = s->open_cursor(s, c->uri, NULL, NULL, &cur)) != 0)
        goto rollback;
    cur->set_key(cur, ch->rid);
    if ((ret = cur->search(cur)) != 0 || (ret = cur->get_value(cur, &v)) != 0)
        goto rollback;
    if (ch->old != NULL && !same_bytes(&v, ch->old)) {
        ret = ms_store_write_conflict(err);
        goto rollback;
    }
    if (!bson_init_static(&stored, v.data, v.size)) {
        ret = SDB_ECORRUPT;
        goto rollback;
    }
    ch->dbytes = (ch->new != NULL ? (int64_t)ch->new->len : 0) - (int64_t)v.size;
    bson_destroy(&idd);
    id_doc(ch->new != NULL ? ch->new : &stored, &idd);
    if (ch->new != NULL && ch->diff) {
        bson_destroy(&o);
        ms_oplog_update_o(&stored, ch->new, &o); /* before `stored` changes */
    }
    if (ms_csimages_enabled(c->options)) {
        pre = bson_copy(&stored); /* change-stream images, kept with the oplog entry */
        e.pre = pre;
        e.post = ch->new;
    }
    if (ch->tx != NULL && (ret = record_change(s, ch, &stored, err)) != 0)
        goto rollback;
    /* Index entries first: `stored` points into the cursor's value until it changes. */
    if ((ret = ms_indexes_remove_doc(s, c, &stored, ch->rid, err)) != 0)
        goto rollback;
    if (ch->new != NULL) {
        if ((ret = ms_indexes_update_doc(s, c, &stored, ch->new, ch->rid, info, err)) != 0)
            goto rollback;
        v.data = bson_get_data(ch->new);
        v.size = ch->new->len;
        cur->set_value(cur, &v);
        ret = cur->update(cur);
        e.o = ch->diff ? &o : ch->new;
        e.o2 = &idd;
    } else {
        ret = cur->remove(cur);
        e.o = &idd;
    }
    if (ret != 0)
        goto rollback;
    SDB_TRET(cur->close(cur));
    cur = NULL;
    if (ret == 0 && ch->xact != NULL) {
        ms_xact_add_op(ch->xact, &e);
        ch->n = 1;
    } else if (ret == 0 && (ret = ms_oplog_commit(s, &e, NULL)) == 0) {
        ch->n = 1;
    }
    goto err;
rollback:
    if (cur != NULL)
        cur->close(cur);
    if (ch->xact == NULL)
        s->rollback_transaction(s, NULL);
    if (ret == WT_NOTFOUND)
        ret = 0; /* the record is gone: n = 0 */
err:
    bson_destroy(&idd);
    bson_destroy(&o);
    if (pre != NULL)
        bson_destroy(pre);
    return ret;
}

/* change_op -- the common part of UPDATE and DELETE. */
static int
change_op(ms_ctx_t *ctx, const bson_t *req, int is_update, bson_t *reply, sdb_error_t *err)
{
    bson_t old, new;
    bool has_old, has_new;
    const char *ns;
    change_t ch = {0};
    ms_txn_ref_t tx;
    bool have_tx;
    int ret = WT_ROLLBACK;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_int64(req, "r", 0, &ch.rid, NULL, err));
    SDB_RET(ms_req_doc(req, "old", !is_update, &old, &has_old, err));
    SDB_RET(ms_req_doc(req, "new", !is_update, &new, &has_new, err));
    if (is_update)
        SDB_RET(sdb_bson_check_stored(&new, true, err));
    SDB_RET(ms_req_bool(req, "diff", false, &ch.diff, err));
    SDB_RET(ms_txns_parse(req, &tx, &have_tx, err));
    ch.tx = have_tx ? &tx : NULL;
    ch.old = has_old ? &old : NULL;
    ch.new = is_update ? &new : NULL;
    ch.xact = ctx->xact;
    ms_catalog_rdlock();
    if ((ch.c = ms_catalog_find_locked(ns)) == NULL) {
        ret = 0;
    } else if (ch.xact != NULL && ch.c->capped != NULL) {
        ret = ms_records_capped_in_xact(ch.c, err);
        ms_catalog_unlock();
        return ret;
    } else {
        ms_capped_lock(ch.c);
    }
    for (int attempt = 0; ch.c != NULL && attempt < MS_WRITE_RETRIES && ret == WT_ROLLBACK;
         attempt++) {
        if (attempt > 0 && ch.xact != NULL)
            break; /* the transaction's conflict: it is aborted (xact.h) */
        if (attempt > 0)
            backoff(attempt);
        ret = change_txn(ctx->session, &ch, reply, err);
    }
    if (ch.c != NULL && ret == 0 && ch.n > 0)
        ms_capped_committed(ch.c, ch.dbytes, is_update ? 0 : -1);
    if (ch.c != NULL)
        ms_capped_unlock(ch.c);
    ms_catalog_unlock();
    if (ret == WT_ROLLBACK && ch.xact == NULL)
        ret = ms_store_write_conflict(err);
    if (ret == 0)
        BSON_APPEND_INT32(reply, "n", ch.n);
    if (ch.fp.hang_up)
        BSON_APPEND_BOOL(reply, "hangUp", true);
    if (ch.done) {
        if (ret == 0)
            BSON_APPEND_DOCUMENT(reply, "done", &ch.rec);
        bson_destroy(&ch.rec);
    }
    return ret;
}

int
ms_records_op_update(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    return change_op(ctx, req, 1, reply, err);
}

int
ms_records_op_delete(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    return change_op(ctx, req, 0, reply, err);
}

/* ---- scan ------------------------------------------------------------------------------ */

/* scan_batch -- fill arr from cur in record-id order (dir 1) or its reverse (dir -1), starting
 * strictly after `after` in that order when have_after. */
static int
scan_batch(WT_CURSOR *cur, int dir, int64_t after, int have_after, int64_t limit, int64_t max_bytes,
           bson_t *arr, bool *eof)
{
    int (*step)(WT_CURSOR *) = dir < 0 ? cur->prev : cur->next;
    int64_t rid, n = 0, bytes = 0;
    int ret, exact;
    WT_ITEM v;

    *eof = false;
    if (have_after) {
        cur->set_key(cur, after);
        ret = cur->search_near(cur, &exact);
        if (ret == 0 && (dir < 0 ? exact >= 0 : exact <= 0))
            ret = step(cur);
    } else {
        ret = step(cur);
    }
    for (; ret == 0; ret = step(cur)) {
        if ((limit > 0 && n >= limit) || (n > 0 && bytes >= max_bytes))
            return 0;
        SDB_RET(cur->get_key(cur, &rid));
        SDB_RET(cur->get_value(cur, &v));
        ms_records_append_doc(arr, (uint32_t)n++, rid, v.data, v.size);
        bytes += (int64_t)v.size;
    }
    if (ret == WT_NOTFOUND) {
        *eof = true;
        ret = 0;
    }
    return ret;
}

static int
too_old(sdb_error_t *err, uint32_t t, uint32_t i)
{
    return sdb_error_set(err, SDB_CODE_SnapshotTooOld,
                         "Read timestamp Timestamp(%" PRIu32 ", %" PRIu32
                         ") is older than the oldest available timestamp.",
                         t, i);
}

int
ms_records_begin_read(WT_SESSION *s, const bson_t *req, sdb_error_t *err)
{
    char conf[64];
    bson_iter_t it;
    uint32_t t, i;
    uint64_t ts;
    int ret;

    if (!bson_iter_init_find(&it, req, "readTs"))
        return s->begin_transaction(s, NULL);
    if (!BSON_ITER_HOLDS_TIMESTAMP(&it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "field 'readTs' must be a timestamp");
    bson_iter_timestamp(&it, &t, &i);
    ts = (uint64_t)t << 32 | i;
    if (ts < ms_oplog_oldest())
        return too_old(err, t, i);
    snprintf(conf, sizeof(conf), "read_timestamp=%" PRIx64, ts);
    ret = s->begin_transaction(s, conf);
    /* the tick moved the oldest timestamp past ts since the check above */
    return ret == EINVAL ? too_old(err, t, i) : ret;
}

int
ms_records_op_scan(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *s = ctx->session;
    WT_CURSOR *cur = NULL;
    int64_t after, limit, max_bytes, dir;
    bool have_after, eof = true;
    const char *ns;
    ms_coll_t *c;
    bson_t arr;
    int ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_int64(req, "after", 0, &after, &have_after, err));
    SDB_RET(ms_req_int64(req, "limit", 0, &limit, NULL, err));
    SDB_RET(ms_req_int64(req, "maxBytes", MS_BATCH_BYTES_DEFAULT, &max_bytes, NULL, err));
    SDB_RET(ms_req_int64(req, "dir", 1, &dir, NULL, err));
    BSON_APPEND_ARRAY_BEGIN(reply, "docs", &arr);
    if (strcmp(ns, MS_OPLOG_NS) == 0) {
        if (dir < 0) /* {$natural: -1} */
            ret = ms_oplog_scan_back(s, have_after ? (uint64_t)after : 0, limit, max_bytes, &arr,
                                     &eof);
        else
            ret = ms_oplog_scan(s, have_after ? (uint64_t)after : 0, limit, max_bytes, &arr, &eof);
        bson_append_array_end(reply, &arr);
        BSON_APPEND_BOOL(reply, "eof", eof);
        return ret;
    }
    ms_catalog_rdlock();
    if ((c = ms_catalog_find_locked(ns)) != NULL) {
        if (ctx->xact == NULL) /* else: the transaction's snapshot */
            SDB_ERR(ms_records_begin_read(s, req, err));
        if ((ret = s->open_cursor(s, c->uri, NULL, NULL, &cur)) == 0) {
            ret =
                scan_batch(cur, dir < 0 ? -1 : 1, after, have_after, limit, max_bytes, &arr, &eof);
            SDB_TRET(cur->close(cur));
        }
        if (ctx->xact == NULL)
            SDB_TRET(s->rollback_transaction(s, NULL));
    }
err:
    ms_catalog_unlock();
    bson_append_array_end(reply, &arr);
    BSON_APPEND_BOOL(reply, "eof", eof);
    return ret;
}
