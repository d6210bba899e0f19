/*
 * src/master/xact.c -- multi-document transactions: the master's table of open transactions.
 *
 * One entry per logical session that ever started a transaction, in a hash table keyed by the
 * session key {id, uid} (common/lsid.h: two users' sessions with one id are two entries): the session's latest transaction number, that transaction's state (open,
 * committed, aborted) and, while it is open, the WiredTiger session its snapshot transaction
 * runs on and the oplog operations its writes collected.  The entry outlives the transaction,
 * so a retried commit answers ok, a statement of an aborted one 251, an older number 225
 * TransactionTooOld; it is freed when the session ends (ms_xact_end_session).  A transaction
 * opens its WiredTiger session (without cursor caching) when it starts and closes it when it
 * ends.  A schema change that would pull a table from under a transaction's uncommitted writes
 * (dropping or renaming the collection or its database, building or dropping one of its
 * indexes) first aborts the open transactions that wrote to that namespace
 * (ms_xact_abort_writers): mongod makes such a change wait for the transaction instead.
 *
 * mongod's rules (TransactionParticipant::beginOrContinue): a statement with startTransaction
 * starts number n (a newer n aborts the open one; the same n is 117; an older one 225);
 * any other statement continues n only while it is the session's open transaction.  Commit
 * writes the collected operations as ONE applyOps oplog entry, in the transaction's own
 * WiredTiger transaction, under the oplog clock (ms_oplog_commit, commit_timestamp = its ts);
 * a transaction that wrote nothing commits without an entry.
 *
 * Invariants: `table_mu` guards the buckets, every entry's `refs` and `dead`; an entry's `mu` guards everything else in it and is held by whoever uses its
 * WiredTiger session (one thread at a time: a statement's storage operation, commit, abort,
 * the tick).  Lock order: mu before table_mu is never taken; table_mu is never held while
 * waiting for mu.  An entry is freed by the release that drops refs to 0 after it is dead.
 */
#include "xact.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "catalog.h"
#include "cursors.h"
#include "records.h"
#include "store.h"
#include "storereq.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define XACT_BUCKETS 1024

enum {
    XS_NONE = 0,
    XS_OPEN,
    XS_COMMITTED,
    XS_ABORTED
};

struct ms_xact {
    sdb_lsid_t key; /* {id, uid}: the lookup key, and the applyOps entry's lsid */
    pthread_mutex_t mu;
    int64_t n;        /* the session's latest transaction number (-1: none yet) */
    int state;        /* XS_*, of transaction n */
    WT_SESSION *s;    /* while XS_OPEN */
    int64_t start_ms; /* monotonic, when n started */
    bson_t *ops;      /* applyOps array being built (heap: a bson_t wants 128-byte alignment) */
    uint32_t nops;
    bson_t *images; /* their change-stream images: [{op: index in ops, pre?, post?}] */
    uint32_t nimages;
    bool ddl;  /* it created a collection or index (catalog.h: settled when it ends) */
    int refs;  /* table_mu */
    bool dead; /* unlinked (table_mu) */
    struct ms_xact *next;
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static ms_xact_t *buckets[XACT_BUCKETS];
static _Atomic int64_t lifetime_ms = 60000;
#define XACT_STAT (ms_store_global()) /* serverStatus transactions (global.h) */

void
ms_xact_set_lifetime(int64_t secs)
{
    atomic_store(&lifetime_ms, secs * 1000);
}

size_t
ms_xact_count(void)
{
    return (size_t)atomic_load(&XACT_STAT->xact_open);
}

/* ---- the table ------------------------------------------------------------------------- */

static size_t
bucket_of(const sdb_lsid_t *key)
{
    return (size_t)(sdb_lsid_hash(key) % XACT_BUCKETS);
}

/* find_locked -- the entry of key, or NULL (table_mu held). */
static ms_xact_t *
find_locked(const sdb_lsid_t *key)
{
    ms_xact_t *x;

    for (x = buckets[bucket_of(key)]; x != NULL; x = x->next)
        if (sdb_lsid_eq(&x->key, key))
            return x;
    return NULL;
}

/* acquire -- a reference to key's entry, created when `create`; NULL when there is none. */
static ms_xact_t *
acquire(const sdb_lsid_t *key, bool create)
{
    ms_xact_t *x;
    size_t b = bucket_of(key);

    pthread_mutex_lock(&table_mu);
    if ((x = find_locked(key)) == NULL && create) {
        x = bson_malloc0(sizeof(*x));
        x->key = *key;
        pthread_mutex_init(&x->mu, NULL);
        x->n = -1;
        x->ops = bson_new();
        x->images = bson_new();
        x->next = buckets[b];
        buckets[b] = x;
    }
    if (x != NULL)
        x->refs++;
    pthread_mutex_unlock(&table_mu);
    return x;
}

/* release -- drop a reference; the last one of a dead entry frees it. */
static void
release(ms_xact_t *x)
{
    bool free_it;

    pthread_mutex_lock(&table_mu);
    free_it = --x->refs == 0 && x->dead;
    pthread_mutex_unlock(&table_mu);
    if (free_it) {
        bson_destroy(x->ops);
        bson_destroy(x->images);
        pthread_mutex_destroy(&x->mu);
        bson_free(x);
    }
}

/* unlink_locked -- take x out of its bucket (table_mu held). */
static void
unlink_locked(ms_xact_t *x)
{
    ms_xact_t **p;

    for (p = &buckets[bucket_of(&x->key)]; *p != NULL; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            x->dead = true;
            return;
        }
}

/* ---- transaction states ---------------------------------------------------------------- */

/* finish_locked -- end the open transaction as `state` (its WT transaction already committed
 * or to be rolled back here) and give its session back (x->mu held). */
static void
finish_locked(ms_xact_t *x, int state, bool rollback)
{
    if (x->state != XS_OPEN)
        return;
    if (rollback)
        x->s->rollback_transaction(x->s, NULL);
    if (x->ddl)
        ms_catalog_settle(x->s, x, state == XS_COMMITTED);
    ms_cursors_kill_xact(&x->key, x->n); /* its cursors end with it */
    x->ddl = false;
    x->s->close(x->s, NULL);
    x->s = NULL;
    x->state = state;
    bson_reinit(x->ops);
    x->nops = 0;
    bson_reinit(x->images);
    x->nimages = 0;
    atomic_fetch_sub(&XACT_STAT->xact_open, 1);
    atomic_fetch_add(state == XS_COMMITTED ? &XACT_STAT->xact_committed : &XACT_STAT->xact_aborted,
                     1);
}

static int
start_locked(ms_xact_t *x, int64_t n)
{
    WT_SESSION *s;
    int ret;

    finish_locked(x, XS_ABORTED, true); /* a newer txnNumber aborts the open one */
    x->n = n;
    x->state = XS_NONE;
    /* No cursor caching: a cached cursor must not outlive a table dropped under it. */
    ret = ms_store_conn()->open_session(ms_store_conn(), NULL,
                                        "isolation=snapshot,cache_cursors=false", &s);
    SDB_RET(ms_store_wt_error(ret, "open_session"));
    if ((ret = s->begin_transaction(s, "isolation=snapshot")) != 0) {
        s->close(s, NULL);
        return ret;
    }
    x->s = s;
    x->state = XS_OPEN;
    x->start_ms = sdb_mono_ms();
    atomic_fetch_add(&XACT_STAT->xact_open, 1);
    atomic_fetch_add(&XACT_STAT->xact_started, 1);
    return 0;
}

static int
too_old(const ms_xact_t *x, int64_t n, sdb_error_t *err)
{
    char uuid[37];

    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", x->key.id[0],
             x->key.id[1], x->key.id[2], x->key.id[3], x->key.id[4], x->key.id[5], x->key.id[6],
             x->key.id[7], x->key.id[8], x->key.id[9], x->key.id[10], x->key.id[11], x->key.id[12],
             x->key.id[13], x->key.id[14], x->key.id[15]);
    return sdb_error_set(err, SDB_CODE_TransactionTooOld,
                         "Cannot start transaction %" PRId64 " on session %s - because a newer "
                         "transaction %" PRId64 " has already started.",
                         n, uuid, x->n);
}

static int
no_match(int64_t n, int64_t active, sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_NoSuchTransaction,
                         "Given transaction number %" PRId64 " does not match any in-progress "
                         "transactions. The active transaction number is %" PRId64,
                         n, active);
}

/* state_error -- transaction n (the session's latest) is not open: 251 or 256. */
static int
state_error(const ms_xact_t *x, sdb_error_t *err)
{
    if (x->state == XS_COMMITTED)
        return sdb_error_set(err, SDB_CODE_TransactionCommitted,
                             "Transaction with { txnNumber: %" PRId64 " } has been committed.",
                             x->n);
    if (x->state == XS_ABORTED)
        return sdb_error_set(err, SDB_CODE_NoSuchTransaction,
                             "Transaction with { txnNumber: %" PRId64 " } has been aborted.", x->n);
    return no_match(x->n, x->n, err);
}

/* ---- requests -------------------------------------------------------------------------- */

typedef struct xref {
    sdb_lsid_t key;
    int64_t n;
} xref_t;

/* parse_ref -- {id, uid, n} (the session key and the transaction number). */
static int
parse_ref(const bson_t *doc, xref_t *r, sdb_error_t *err)
{
    if (!sdb_lsid_from_doc(doc, &r->key))
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "xact: id must be 16 bytes and uid 32 bytes of binary");
    return ms_req_int64(doc, "n", 0, &r->n, NULL, err);
}

/* lookup -- the entry a request names, checked out (mu held); 251 when there is none. */
static int
lookup(const xref_t *r, ms_xact_t **out, sdb_error_t *err)
{
    ms_xact_t *x = acquire(&r->key, false);

    *out = NULL;
    if (x == NULL)
        return no_match(r->n, -1, err);
    pthread_mutex_lock(&x->mu);
    *out = x;
    return 0;
}

static void
unlock_release(ms_xact_t *x)
{
    pthread_mutex_unlock(&x->mu);
    release(x);
}

int
ms_xact_checkout(const bson_t *req, ms_xact_t **x, sdb_error_t *err)
{
    bson_t sub;
    bool has;
    xref_t r;

    *x = NULL;
    SDB_RET(ms_req_doc(req, "xact", true, &sub, &has, err));
    if (!has)
        return 0;
    SDB_RET(parse_ref(&sub, &r, err));
    SDB_RET(lookup(&r, x, err));
    if ((*x)->n == r.n && (*x)->state == XS_OPEN) {
        atomic_fetch_add(&XACT_STAT->xact_active, 1);
        return 0;
    }
    if ((*x)->n == r.n)
        state_error(*x, err);
    else
        no_match(r.n, (*x)->n, err);
    unlock_release(*x);
    *x = NULL;
    return SDB_ECLIENT;
}

WT_SESSION *
ms_xact_session(ms_xact_t *x)
{
    return x->s;
}

int
ms_xact_checkin(ms_xact_t *x, int ret, sdb_error_t *err)
{
    atomic_fetch_sub(&XACT_STAT->xact_active, 1);
    if (ret == WT_ROLLBACK) {
        finish_locked(x, XS_ABORTED, true);
        ret = ms_store_write_conflict(err);
    }
    unlock_release(x);
    return ret;
}

/* add_images -- keep e's change-stream images for operation `index` of the applyOps entry. */
static void
add_images(ms_xact_t *x, uint32_t index, const ms_oplog_entry_t *e)
{
    const char *key;
    char buf[16];
    bson_t img;

    bson_uint32_to_string(x->nimages++, &key, buf, sizeof(buf));
    bson_append_document_begin(x->images, key, -1, &img);
    BSON_APPEND_INT32(&img, "op", (int32_t)index);
    if (e->pre != NULL)
        BSON_APPEND_DOCUMENT(&img, "pre", e->pre);
    if (e->post != NULL)
        BSON_APPEND_DOCUMENT(&img, "post", e->post);
    bson_append_document_end(x->images, &img);
}

void
ms_xact_add_op(ms_xact_t *x, const ms_oplog_entry_t *e)
{
    const char *key;
    char buf[16];
    bson_t op;

    if (e->pre != NULL || e->post != NULL)
        add_images(x, x->nops, e);
    x->ddl = x->ddl || e->op[0] == 'c';
    bson_uint32_to_string(x->nops++, &key, buf, sizeof(buf));
    bson_append_document_begin(x->ops, key, -1, &op);
    BSON_APPEND_UTF8(&op, "op", e->op);
    BSON_APPEND_UTF8(&op, "ns", e->ns);
    if (e->uuid != NULL)
        BSON_APPEND_BINARY(&op, "ui", BSON_SUBTYPE_UUID, e->uuid, 16);
    BSON_APPEND_DOCUMENT(&op, "o", e->o);
    if (e->o2 != NULL)
        BSON_APPEND_DOCUMENT(&op, "o2", e->o2);
    bson_append_document_end(x->ops, &op);
}

/*
 * XACT_BEGIN {id, uid, n, start: bool} -> {}: a statement of transaction n is
 * about to run: start it (start) or check that it is the session's open transaction.
 */
int
ms_xact_op_begin(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    ms_xact_t *x;
    bool start;
    xref_t r;
    int ret = 0;

    (void)ctx;
    (void)reply;
    SDB_RET(parse_ref(req, &r, err));
    SDB_RET(ms_req_bool(req, "start", false, &start, err));
    if ((x = acquire(&r.key, start)) == NULL)
        return no_match(r.n, -1, err);
    pthread_mutex_lock(&x->mu);
    if (r.n < x->n)
        ret = too_old(x, r.n, err);
    else if (start && r.n == x->n)
        ret = sdb_error_set(err, SDB_CODE_ConflictingOperationInProgress,
                            "Only servers in a sharded cluster can start a new transaction at "
                            "the active transaction number");
    else if (start)
        ret = start_locked(x, r.n);
    else if (r.n > x->n)
        ret = no_match(r.n, x->n, err);
    else if (x->state != XS_OPEN)
        ret = state_error(x, err);
    unlock_release(x);
    return ret;
}

/* One applyOps entry holds operations up to this size; a larger transaction is split over
 * several entries, as mongod splits past its 16 MB document limit (oplog.h). */
#define XACT_ENTRY_BYTES (16 * 1024 * 1024 - 64 * 1024)

/* txn_fields -- what every applyOps entry of x carries after o: lsid, txnNumber, and for
 * the first entry of a chain (or the only one) prevOpTime {ts: Timestamp(0, 0), t: -1L}. */
static void
txn_fields(const ms_xact_t *x, bool first, bson_t *extra)
{
    bson_t prev;

    bson_init(extra);
    sdb_lsid_append(extra, "lsid", &x->key);
    BSON_APPEND_INT64(extra, "txnNumber", x->n);
    if (!first)
        return;
    BSON_APPEND_DOCUMENT_BEGIN(extra, "prevOpTime", &prev);
    BSON_APPEND_TIMESTAMP(&prev, "ts", 0, 0);
    BSON_APPEND_INT64(&prev, "t", -1);
    bson_append_document_end(extra, &prev);
}

/* A piece of a transaction's oplog: operations [from, to) of x->ops as one entry. */
typedef struct piece {
    bson_t o, extra, images;
    uint32_t from, to;
} piece_t;

/* piece_build -- entry `k` of `n` for ops [from, to): o {applyOps, partialTxn | count} and its
 * images, their op indexes counted from `from`. */
static void
piece_build(const ms_xact_t *x, piece_t *p, size_t k, size_t n)
{
    bson_iter_t it;
    uint32_t i = 0, nimg = 0;
    bson_t arr;
    char key[16];
    const char *kk;

    bson_init(&p->o);
    bson_init(&p->images);
    BSON_APPEND_ARRAY_BEGIN(&p->o, "applyOps", &arr);
    for (bson_iter_init(&it, x->ops); bson_iter_next(&it); i++)
        if (i >= p->from && i < p->to) {
            bson_uint32_to_string(i - p->from, &kk, key, sizeof(key));
            bson_append_iter(&arr, kk, -1, &it);
        }
    bson_append_array_end(&p->o, &arr);
    if (n > 1 && k + 1 < n)
        BSON_APPEND_BOOL(&p->o, "partialTxn", true);
    else if (n > 1)
        BSON_APPEND_INT64(&p->o, "count", x->nops);
    for (bson_iter_init(&it, x->images); bson_iter_next(&it);) {
        bson_iter_t f, img;
        bson_t d;
        int32_t op;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &f) ||
            !bson_iter_find(&f, "op") || (op = bson_iter_int32(&f)) < (int32_t)p->from ||
            op >= (int32_t)p->to)
            continue;
        bson_uint32_to_string(nimg++, &kk, key, sizeof(key));
        bson_append_document_begin(&p->images, kk, -1, &d);
        BSON_APPEND_INT32(&d, "op", op - (int32_t)p->from);
        bson_iter_recurse(&it, &img);
        while (bson_iter_next(&img))
            if (strcmp(bson_iter_key(&img), "op") != 0)
                bson_append_iter(&d, NULL, 0, &img);
        bson_append_document_end(&p->images, &d);
    }
    txn_fields(x, k == 0, &p->extra);
}

/* split -- cut x's operations into pieces of at most XACT_ENTRY_BYTES (an operation larger
 * than that alone); returns how many, pieces in *out (heap). */
static size_t
split(const ms_xact_t *x, piece_t **out)
{
    piece_t *p = bson_malloc0(sizeof(*p) * (x->nops > 0 ? x->nops : 1));
    size_t n = 0, bytes = 0;
    bson_iter_t it;
    uint32_t i = 0;

    for (bson_iter_init(&it, x->ops); bson_iter_next(&it); i++) {
        uint32_t len = bson_iter_value(&it)->value.v_doc.data_len;

        if (n == 0 || (bytes + len > XACT_ENTRY_BYTES && p[n - 1].to > p[n - 1].from)) {
            p[n].from = p[n].to = i;
            n++;
            bytes = 0;
        }
        p[n - 1].to = i + 1;
        bytes += len;
    }
    *out = p;
    return n;
}

static int
commit_locked(ms_xact_t *x)
{
    ms_oplog_entry_t *e;
    piece_t *p = NULL;
    size_t n;
    int ret;

    if (x->nops == 0) { /* read-only: nothing to log */
        ret = x->s->commit_transaction(x->s, NULL);
        finish_locked(x, ret == 0 ? XS_COMMITTED : XS_ABORTED, false);
        return ret;
    }
    n = split(x, &p);
    e = bson_malloc0(sizeof(*e) * n);
    for (size_t k = 0; k < n; k++) {
        piece_build(x, &p[k], k, n);
        e[k].op = "c";
        e[k].ns = "admin.$cmd";
        e[k].o = &p[k].o;
        e[k].extra = &p[k].extra;
        e[k].images = bson_empty(&p[k].images) ? NULL : &p[k].images;
        e[k].chained = k > 0;
    }
    ret = ms_oplog_commit_n(x->s, e, n, NULL); /* rolls back on failure */
    for (size_t k = 0; k < n; k++) {
        bson_destroy(&p[k].o);
        bson_destroy(&p[k].extra);
        bson_destroy(&p[k].images);
    }
    bson_free(p);
    bson_free(e);
    finish_locked(x, ret == 0 ? XS_COMMITTED : XS_ABORTED, false);
    return ret;
}

/* end_op -- COMMIT and ABORT: the checks they share, then `end` on the open transaction. */
static int
end_op(const bson_t *req, bool commit, sdb_error_t *err)
{
    ms_xact_t *x;
    xref_t r;
    int ret = 0;

    SDB_RET(parse_ref(req, &r, err));
    SDB_RET(lookup(&r, &x, err));
    if (r.n < x->n)
        ret = too_old(x, r.n, err);
    else if (r.n > x->n || x->state == XS_NONE)
        ret = no_match(r.n, x->n, err);
    else if (x->state == XS_OPEN)
        ret = commit ? commit_locked(x) : (finish_locked(x, XS_ABORTED, true), 0);
    else if (!(commit && x->state == XS_COMMITTED)) /* a retried commit answers ok */
        ret = state_error(x, err);
    if (ret == WT_ROLLBACK)
        ret = ms_store_write_conflict(err);
    unlock_release(x);
    return ret;
}

/* XACT_COMMIT {id, n} -> {} */
int
ms_xact_op_commit(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    (void)ctx;
    (void)reply;
    return end_op(req, true, err);
}

/* XACT_ABORT {id, n} -> {} */
int
ms_xact_op_abort(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    (void)ctx;
    (void)reply;
    return end_op(req, false, err);
}

/* ---- retryable writes ------------------------------------------------------------------ */

int
ms_xact_retryable_write(const bson_t *req, sdb_error_t *err)
{
    bson_t sub;
    bool has;
    xref_t r;
    ms_xact_t *x;
    int ret = 0;

    SDB_RET(ms_req_doc(req, "txn", true, &sub, &has, err));
    if (!has || parse_ref(&sub, &r, err) != 0 || (x = acquire(&r.key, false)) == NULL)
        return 0; /* a malformed txn is the retryable-write code's to refuse */
    pthread_mutex_lock(&x->mu);
    if (r.n < x->n)
        ret = too_old(x, r.n, err);
    else if (r.n == x->n && x->state != XS_NONE)
        ret = sdb_error_set(err, SDB_CODE_InvalidOptions,
                            "Must specify autocommit=false on all operations of a "
                            "multi-statement transaction.");
    else if (r.n > x->n) {
        finish_locked(x, XS_ABORTED, true); /* a newer txnNumber aborts the open transaction */
        x->n = r.n;
        x->state = XS_NONE;
    }
    unlock_release(x);
    return ret;
}

/* ---- schema changes ------------------------------------------------------------------ */

/* op_ns -- the collection an operation of x's writes is about: its ns, or for a "c"
 * operation (create, createIndexes) "<db>.<o's first value>". */
static bool
op_ns(bson_iter_t *op, char *buf, size_t len)
{
    bson_iter_t f, o;
    const char *ns = NULL, *kind = "";
    bool has_o = false;

    for (f = *op; bson_iter_next(&f);) {
        if (strcmp(bson_iter_key(&f), "ns") == 0 && BSON_ITER_HOLDS_UTF8(&f))
            ns = bson_iter_utf8(&f, NULL);
        else if (strcmp(bson_iter_key(&f), "op") == 0 && BSON_ITER_HOLDS_UTF8(&f))
            kind = bson_iter_utf8(&f, NULL);
        else if (strcmp(bson_iter_key(&f), "o") == 0 && BSON_ITER_HOLDS_DOCUMENT(&f))
            has_o = bson_iter_recurse(&f, &o);
    }
    if (ns == NULL)
        return false;
    if (strcmp(kind, "c") != 0 || strchr(ns, '.') == NULL)
        return bson_snprintf(buf, len, "%s", ns) > 0;
    if (!has_o || !bson_iter_next(&o) || !BSON_ITER_HOLDS_UTF8(&o))
        return false;
    return bson_snprintf(buf, len, "%.*s.%s", (int)(strchr(ns, '.') - ns), ns,
                         bson_iter_utf8(&o, NULL)) > 0;
}

/* wrote_to_locked -- x's collected operations touch `ns` (db prefix "db." when is_db). */
static bool
wrote_to_locked(const ms_xact_t *x, const char *ns, bool is_db)
{
    bson_iter_t it, op;
    size_t len = strlen(ns);
    char o[SDB_NS_LEN_MAX + 8];

    if (x->state != XS_OPEN || !bson_iter_init(&it, x->ops))
        return false;
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &op) ||
            !op_ns(&op, o, sizeof(o)))
            continue;
        if (is_db ? strncmp(o, ns, len) == 0 && o[len] == '.' : strcmp(o, ns) == 0)
            return true;
    }
    return false;
}

int
ms_xact_abort_writers(const char *ns, bool is_db)
{
    ms_xact_t *batch[64];
    size_t n = 0;
    int aborted = 0;

    if (ms_xact_count() == 0)
        return 0;
    pthread_mutex_lock(&table_mu);
    for (size_t b = 0; b < XACT_BUCKETS && n < 64; b++)
        for (ms_xact_t *x = buckets[b]; x != NULL && n < 64; x = x->next)
            if (x->state == XS_OPEN) {
                x->refs++;
                batch[n++] = x;
            }
    pthread_mutex_unlock(&table_mu);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&batch[i]->mu);
        if (wrote_to_locked(batch[i], ns, is_db)) {
            finish_locked(batch[i], XS_ABORTED, true);
            aborted++;
        }
        unlock_release(batch[i]);
    }
    return aborted;
}

/* ---- lifetimes ------------------------------------------------------------------------- */

void
ms_xact_clear(void)
{
    for (size_t b = 0; b < XACT_BUCKETS; b++) {
        sdb_lsid_t key;

        pthread_mutex_lock(&table_mu);
        while (buckets[b] != NULL) {
            key = buckets[b]->key;
            pthread_mutex_unlock(&table_mu);
            ms_xact_end_session(&key);
            pthread_mutex_lock(&table_mu);
        }
        pthread_mutex_unlock(&table_mu);
    }
}

int
ms_xact_end_session(const sdb_lsid_t *key)
{
    ms_xact_t *x;
    int aborted = 0;

    pthread_mutex_lock(&table_mu);
    if ((x = find_locked(key)) != NULL) {
        unlink_locked(x);
        x->refs++;
    }
    pthread_mutex_unlock(&table_mu);
    if (x == NULL)
        return 0;
    pthread_mutex_lock(&x->mu);
    aborted = x->state == XS_OPEN;
    finish_locked(x, XS_ABORTED, true);
    unlock_release(x);
    return aborted;
}

/* expired -- collect up to `max` referenced entries whose open transaction is too old. */
static size_t
expired(int64_t now, ms_xact_t **out, size_t max)
{
    int64_t limit = atomic_load(&lifetime_ms);
    size_t n = 0;

    pthread_mutex_lock(&table_mu);
    for (size_t b = 0; b < XACT_BUCKETS && n < max; b++)
        for (ms_xact_t *x = buckets[b]; x != NULL && n < max; x = x->next)
            if (x->state == XS_OPEN && now - x->start_ms > limit) {
                x->refs++;
                out[n++] = x;
            }
    pthread_mutex_unlock(&table_mu);
    return n;
}

int
ms_xact_tick(int64_t now_ms)
{
    ms_xact_t *batch[64];
    size_t n;
    int aborted = 0;

    (void)now_ms;
    if (ms_xact_count() == 0)
        return 0;
    n = expired(sdb_mono_ms(), batch, sizeof(batch) / sizeof(batch[0]));
    for (size_t i = 0; i < n; i++) {
        ms_xact_t *x = batch[i];
        if (pthread_mutex_trylock(&x->mu) == 0) { /* in use: the next tick */
            if (x->state == XS_OPEN) {
                sdb_logf(SDB_LOG_I, "TXN", 20707, "Aborting transaction past its lifetime",
                         "txnNumber=%" PRId64, x->n);
                finish_locked(x, XS_ABORTED, true);
                aborted++;
            }
            pthread_mutex_unlock(&x->mu);
        }
        release(x);
    }
    return aborted;
}
