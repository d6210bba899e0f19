/*
 * src/master/txns.c -- retryable write records: `table:txns`.
 *
 * Key: the session key (the lsid's 16-byte id and 32-byte uid, common/lsid.h: two users'
 * sessions with one id keep apart), the txnNumber and the stmtId, each big-endian with its sign bit
 * flipped so byte order is numeric order; value: a BSON summary of what the statement did
 * ({op: "i"|"u"|"d", id?, pre?, post?}: the worker turns it back into its command's reply).
 * Statement -1 is a marker that says "txnNumber n has started on this session", so an older
 * txnNumber is refused even when the newer one has recorded nothing.  A session keeps the rows
 * of one txnNumber only: the first statement of a newer number (a write's ms_txns_check, or
 * TXN_CHECK) deletes the older rows in its own transaction.
 *
 * A write learns everything about its statement inside its own WiredTiger transaction
 * (ms_txns_check, then ms_txns_record), so a retryable write costs the worker one storage
 * request, and a retry racing the original write meets a write conflict instead of a
 * duplicate.
 *
 * Invariants: rows are written only inside a write's own transaction (ms_txns_check,
 * ms_txns_record) or by TXN_CHECK / ms_txns_forget in theirs; a WT_ROLLBACK is retried
 * MS_TXNS_RETRIES times.
 */
#include "txns.h"

#include "../common/sdb.h"
#include "failpoints.h"
#include "records.h"
#include "store.h"
#include "storereq.h"

#include <stdio.h>
#include <string.h>

#define TXN_PREFIX_ID ((int)sizeof(sdb_lsid_t))
#define TXN_KEY_LEN (TXN_PREFIX_ID + 12)
#define MS_TXNS_RETRIES 8

int
ms_txns_open(WT_SESSION *s)
{
    return ms_store_wt_error(s->create(s, MS_TXNS_URI, "key_format=u,value_format=u"),
                             "create txns");
}

/* key_make -- the row key of (session key, n, stmt); rows of the 16-byte-id layout of older
 * versions are shorter, so no lookup ever matches them. */
static void
key_make(uint8_t k[TXN_KEY_LEN], const sdb_lsid_t *id, int64_t n, int32_t stmt)
{
    uint64_t un = (uint64_t)n ^ (1ull << 63);
    uint32_t us = (uint32_t)stmt ^ (1u << 31);

    memcpy(k, id->id, SDB_LSID_ID_LEN);
    memcpy(k + SDB_LSID_ID_LEN, id->uid, SDB_LSID_UID_LEN);
    for (int i = 0; i < 8; i++)
        k[TXN_PREFIX_ID + i] = (uint8_t)(un >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        k[TXN_PREFIX_ID + 8 + i] = (uint8_t)(us >> (24 - 8 * i));
}

/* key_split -- txnNumber and stmtId of a row key. */
static void
key_split(const uint8_t *k, int64_t *n, int32_t *stmt)
{
    uint64_t un = 0;
    uint32_t us = 0;

    for (int i = 0; i < 8; i++)
        un = (un << 8) | k[TXN_PREFIX_ID + i];
    for (int i = 0; i < 4; i++)
        us = (us << 8) | k[TXN_PREFIX_ID + 8 + i];
    *n = (int64_t)(un ^ (1ull << 63));
    *stmt = (int32_t)(us ^ (1u << 31));
}

int
ms_txns_parse(const bson_t *req, ms_txn_ref_t *tx, bool *have, sdb_error_t *err)
{
    bson_t t;
    int64_t v;
    bool present;

    memset(tx, 0, sizeof(*tx));
    SDB_RET(ms_req_doc(req, "txn", true, &t, have, err));
    if (!*have)
        return 0;
    if (!sdb_lsid_from_doc(&t, &tx->id))
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "txn.id must be a 16-byte binary and txn.uid a 32-byte one");
    SDB_RET(ms_req_int64(&t, "n", 0, &tx->n, NULL, err));
    SDB_RET(ms_req_int64(&t, "stmt", 0, &v, &tx->has_stmt, err));
    tx->stmt = (int32_t)v;
    SDB_RET(ms_req_bool(&t, "img", false, &tx->images, err));
    SDB_RET(ms_req_array(&t, "stmts", true, &tx->stmts, &present, err));
    tx->has_stmts = present;
    /* the iterator borrows the request's bytes, which outlive the handler */
    return 0;
}

int
ms_txns_record(WT_SESSION *s, const ms_txn_ref_t *tx, int32_t stmt, const bson_t *rec,
               sdb_error_t *err)
{
    uint8_t k[TXN_KEY_LEN];
    WT_ITEM key = {.data = k, .size = sizeof(k)};
    WT_ITEM v = {.data = bson_get_data(rec), .size = rec->len};
    WT_CURSOR *c = NULL;
    int ret;

    key_make(k, &tx->id, tx->n, stmt);
    SDB_RET(s->open_cursor(s, MS_TXNS_URI, NULL, "overwrite=false", &c));
    c->set_key(c, &key);
    c->set_value(c, &v);
    ret = c->insert(c);
    SDB_TRET(c->close(c));
    if (ret == WT_DUPLICATE_KEY)
        ret = ms_store_write_conflict(err);
    return ret;
}

/* remove_session -- remove every row of `id` from txnNumber `from` up to below `below`
 * (inside a txn).  The walk starts at `from`, the session's highest number, and not at its
 * first possible key: the rows of older numbers were removed before, and their deleted
 * entries stay in the tree until WiredTiger discards them, so walking over them again at
 * every new txnNumber would cost each write as many steps as the session ever wrote. */
static int
remove_session(WT_CURSOR *c, const sdb_lsid_t *id, int64_t from, int64_t below)
{
    uint8_t k[TXN_KEY_LEN];
    WT_ITEM key = {.data = k, .size = sizeof(k)}, got;
    int ret, exact;
    int64_t n;
    int32_t stmt;

    key_make(k, id, from, INT32_MIN);
    c->set_key(c, &key);
    ret = c->search_near(c, &exact);
    if (ret == 0 && exact < 0)
        ret = c->next(c);
    for (; ret == 0; ret = c->next(c)) {
        SDB_RET(c->get_key(c, &got));
        if (got.size != TXN_KEY_LEN || memcmp(got.data, k, TXN_PREFIX_ID) != 0)
            break;
        key_split(got.data, &n, &stmt);
        if (n >= below)
            break;
        SDB_RET(c->remove(c));
    }
    return ret == WT_NOTFOUND ? 0 : ret;
}

/* highest -- the session's highest txnNumber (*found false when it has no rows). */
static int
highest(WT_CURSOR *c, const sdb_lsid_t *id, int64_t *n, bool *found)
{
    uint8_t k[TXN_KEY_LEN];
    WT_ITEM key = {.data = k, .size = sizeof(k)}, got;
    int32_t stmt;
    int ret, exact;

    *found = false;
    key_make(k, id, INT64_MAX, INT32_MAX);
    c->set_key(c, &key);
    ret = c->search_near(c, &exact);
    if (ret == 0 && exact > 0)
        ret = c->prev(c);
    if (ret == WT_NOTFOUND)
        return 0;
    SDB_RET(ret);
    SDB_RET(c->get_key(c, &got));
    if (got.size == TXN_KEY_LEN && memcmp(got.data, k, TXN_PREFIX_ID) == 0) {
        key_split(got.data, n, &stmt);
        *found = true;
    }
    return 0;
}

/* lookup -- the record of (id, n, stmt): *done and a copy in *rec (initialized then). */
static int
lookup(WT_CURSOR *c, const sdb_lsid_t *id, int64_t n, int32_t stmt, bson_t *rec, bool *done)
{
    uint8_t k[TXN_KEY_LEN];
    WT_ITEM key = {.data = k, .size = sizeof(k)}, v;
    bson_t view;
    int ret;

    *done = false;
    key_make(k, id, n, stmt);
    c->set_key(c, &key);
    if ((ret = c->search(c)) == WT_NOTFOUND)
        return 0;
    SDB_RET(ret);
    SDB_RET(c->get_value(c, &v));
    if (!bson_init_static(&view, v.data, v.size))
        return SDB_ECORRUPT;
    bson_copy_to(&view, rec);
    *done = true;
    return 0;
}

/* too_old -- mongod's 225 TransactionTooOld for a retry below the session's txnNumber. */
static int
too_old(const sdb_lsid_t *id, int64_t n, int64_t hi, sdb_error_t *err)
{
    const uint8_t *u = id->id;

    return sdb_error_set(err, SDB_CODE_TransactionTooOld,
                         "Retryable write with txnNumber %lld is prohibited on session "
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x "
                         "because a newer retryable write with txnNumber %lld has already "
                         "started on this session.",
                         (long long)n, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
                         u[10], u[11], u[12], u[13], u[14], u[15], (long long)hi);
}

/* session_at -- inside a transaction: move session `id` to txnNumber n.  An older n is 225;
 * *current says n had already started (its records stand); otherwise the older rows go and,
 * with `mark`, the marker of n is written. */
static int
session_at(WT_CURSOR *c, const sdb_lsid_t *id, int64_t n, bool mark, bool *current,
           sdb_error_t *err)
{
    uint8_t k[TXN_KEY_LEN];
    WT_ITEM key = {.data = k, .size = sizeof(k)}, v;
    bson_t empty = BSON_INITIALIZER;
    int64_t hi = 0;
    bool found;

    *current = false;
    SDB_RET(highest(c, id, &hi, &found));
    if (found && hi > n)
        return too_old(id, n, hi, err);
    if ((*current = found && hi == n))
        return 0;
    if (found)
        SDB_RET(remove_session(c, id, hi, n));
    if (!mark)
        return 0;
    key_make(k, id, n, -1);
    v.data = bson_get_data(&empty);
    v.size = empty.len;
    c->set_key(c, &key);
    c->set_value(c, &v);
    return c->insert(c);
}

int
ms_txns_check(WT_SESSION *s, const ms_txn_ref_t *tx, int32_t stmt, bson_t *rec, bool *done,
              sdb_error_t *err)
{
    WT_CURSOR *c = NULL;
    bool current;
    int ret;

    *done = false;
    SDB_RET(s->open_cursor(s, MS_TXNS_URI, NULL, NULL, &c));
    ret = session_at(c, &tx->id, tx->n, false, &current, err);
    if (ret == 0 && current)
        ret = lookup(c, &tx->id, tx->n, stmt, rec, done);
    SDB_TRET(c->close(c));
    return ret;
}

int
ms_txns_fire(bool *hang_up, sdb_error_t *err)
{
    bson_t data;
    bson_iter_t it;
    int ret = 0;

    *hang_up = false;
    if (!ms_failpoints_fire(MS_TXNS_FAILPOINT, &data))
        goto err;
    /* mongod's default: closeConnection unless the data says false */
    *hang_up = !bson_iter_init_find(&it, &data, "closeConnection") || bson_iter_as_bool(&it);
    if (bson_iter_init_find(&it, &data, "failBeforeCommitExceptionCode") &&
        BSON_ITER_HOLDS_NUMBER(&it))
        ret = sdb_error_set(err, (int)bson_iter_as_int64(&it),
                            "Failing write due to failpoint. The write must not be reflected.");
err:
    bson_destroy(&data);
    return ret;
}

/* check_txn -- one attempt of TXN_CHECK; commits or rolls back. */
static int
check_txn(WT_SESSION *s, const ms_txn_ref_t *tx, bson_t *reply, sdb_error_t *err)
{
    WT_CURSOR *c = NULL;
    bson_t rec;
    bool current, done = false;
    int ret;

    SDB_RET(s->begin_transaction(s, NULL));
    SDB_ERR(s->open_cursor(s, MS_TXNS_URI, NULL, NULL, &c));
    SDB_ERR(session_at(c, &tx->id, tx->n, true, &current, err));
    if (current && tx->has_stmt)
        SDB_ERR(lookup(c, &tx->id, tx->n, tx->stmt, &rec, &done));
    if (done) {
        BSON_APPEND_DOCUMENT(reply, "done", &rec);
        bson_destroy(&rec);
    }
    SDB_ERR(c->close(c));
    c = NULL;
    return s->commit_transaction(s, NULL);
err:
    if (c != NULL)
        c->close(c);
    s->rollback_transaction(s, NULL);
    return ret;
}

int
ms_txns_op_check(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    ms_txn_ref_t tx;
    bool have;
    int ret;

    SDB_RET(ms_txns_parse(req, &tx, &have, err));
    if (!have)
        return sdb_error_set(err, SDB_CODE_BadValue, "txn is required");
    ret = WT_ROLLBACK;
    for (int attempt = 0; ret == WT_ROLLBACK && attempt < MS_TXNS_RETRIES; attempt++) {
        bson_reinit(reply);
        ret = check_txn(ctx->session, &tx, reply, err);
    }
    return ret == WT_ROLLBACK ? ms_store_write_conflict(err) : ret;
}

int
ms_txns_forget(WT_SESSION *s, const sdb_lsid_t *id)
{
    WT_CURSOR *c = NULL;
    int ret;

    SDB_RET(s->begin_transaction(s, NULL));
    if ((ret = s->open_cursor(s, MS_TXNS_URI, NULL, NULL, &c)) == 0) {
        int64_t hi = 0;
        bool found;

        ret = highest(c, id, &hi, &found);
        if (ret == 0 && found)
            ret = remove_session(c, id, hi, INT64_MAX);
        SDB_TRET(c->close(c));
    }
    if (ret == 0)
        return s->commit_transaction(s, NULL);
    s->rollback_transaction(s, NULL);
    return ret;
}
