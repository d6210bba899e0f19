/*
 * src/master/sessions_coll.c -- config.system.sessions: the session cache, persisted.
 *
 * mongod keeps its sessions in a local cache and writes them to config.system.sessions
 * ({_id: {id, uid}, lastUse}, with the TTL index lsidTTLIndex on lastUse) in a periodic
 * refresh (logicalSessionRefreshMillis, 5 minutes), which refreshLogicalSessionCacheNow
 * forces; $listSessions reads that collection.  Here the refresh (ms_sessions_persist) makes
 * the collection mirror the cache (sessions.c): a cached session missing from it is inserted,
 * one whose lastUse moved is updated, and a record of a session no longer cached (ended or
 * expired) is deleted, which is what mongod's refresh and TTL monitor do between them.  The
 * writes are ordinary storage operations (ms_ops_dispatch: records, indexes and oplog entries
 * as any client write), so the collection is a real one: listed, indexed, durable.
 *
 * Invariants: persist_mu serializes refreshes (the main thread's tick, a service thread's
 * SESSION_PERSIST); no other lock is held across the writes.  A write that loses a race with
 * a client's write (WriteConflict) is left for the next refresh.
 */
#include "sessions.h"

#include "../common/log.h"
#include "../common/lsid.h"
#include "../common/sdb.h"
#include "../common/storeop.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SESS_NS "config.system.sessions"
#define SESS_REFRESH_MS (5 * 60 * 1000) /* mongod's logicalSessionRefreshMillis */
#define SESS_SCAN_BYTES (1 << 30)

typedef struct row {
    sdb_lsid_t key;      /* the document's _id {id, uid} (common/lsid.h) */
    int64_t r;           /* record id (collection rows) */
    const uint8_t *data; /* the document inside a reply (no bson_t: a static one points at
                          * itself and cannot be copied) */
    uint32_t len;
} row_t;

/* view -- a row's document as a static bson_t. */
static const bson_t *
view(const row_t *row, bson_t *b)
{
    bson_init_static(b, row->data, row->len);
    return b;
}

typedef struct rows {
    row_t *v;
    size_t n;
} rows_t;

static pthread_mutex_t persist_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t next_refresh_ms;

static int
row_cmp(const void *a, const void *b)
{
    return memcmp(&((const row_t *)a)->key, &((const row_t *)b)->key, sizeof(sdb_lsid_t));
}

/* rows_of -- the session documents of reply's array `key`, sorted by {id, uid}; `wrapped`: each
 * element is {r, d: doc} (a SCAN reply), else the document itself (SESSION_LIST). */
static void
rows_of(const bson_t *reply, const char *key, bool wrapped, rows_t *out)
{
    bson_iter_t it, arr, e;
    const uint8_t *data;
    uint32_t len;

    memset(out, 0, sizeof(*out));
    if (!bson_iter_init_find(&it, reply, key) || !bson_iter_recurse(&it, &arr))
        return;
    while (bson_iter_next(&arr)) {
        row_t row;
        bson_t doc;

        memset(&row, 0, sizeof(row));
        e = arr;
        if (wrapped) {
            bson_iter_t f;

            if (!bson_iter_recurse(&arr, &f) || !bson_iter_find(&f, "r"))
                continue;
            row.r = bson_iter_as_int64(&f);
            if (!bson_iter_recurse(&arr, &e) || !bson_iter_find(&e, "d"))
                continue;
        }
        if (!BSON_ITER_HOLDS_DOCUMENT(&e))
            continue;
        bson_iter_document(&e, &len, &data);
        if (!bson_init_static(&doc, data, len) || !sdb_lsid_from_field(&doc, "_id", &row.key))
            continue;
        row.data = data;
        row.len = len;
        out->v = bson_realloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = row;
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), row_cmp);
}

/* write_one -- one UPDATE (new != NULL) or DELETE of record `old`; a lost race only logs. */
static void
write_one(ms_ctx_t *ctx, const row_t *old, const bson_t *new)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, b;
    sdb_error_t err;

    BSON_APPEND_UTF8(&req, "ns", SESS_NS);
    BSON_APPEND_INT64(&req, "r", old->r);
    BSON_APPEND_DOCUMENT(&req, "old", view(old, &b));
    if (new != NULL)
        BSON_APPEND_DOCUMENT(&req, "new", new);
    memset(&err, 0, sizeof(err));
    if (ms_ops_dispatch(ctx, new != NULL ? SDB_OP_UPDATE : SDB_OP_DELETE, &req, &reply, &err) != 0)
        sdb_logf(SDB_LOG_W, "CONTROL", 20714, "could not refresh config.system.sessions",
                 "code=%d error=%s", err.code, err.msg);
    bson_destroy(&req);
    bson_destroy(&reply);
}

/* run_op -- a storage operation whose reply is not needed. */
static int
run_op(ms_ctx_t *ctx, int op, const bson_t *req, sdb_error_t *err)
{
    bson_t reply = BSON_INITIALIZER;
    int ret = ms_ops_dispatch(ctx, op, req, &reply, err);

    bson_destroy(&reply);
    return ret;
}

/* ensure_coll -- the collection and its TTL index (mongod's lsidTTLIndex). */
static void
ensure_coll(ms_ctx_t *ctx)
{
    bson_t req = BSON_INITIALIZER, arr, spec, key;
    sdb_error_t err;

    BSON_APPEND_UTF8(&req, "ns", SESS_NS);
    BSON_APPEND_ARRAY_BEGIN(&req, "indexes", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &spec);
    BSON_APPEND_INT32(&spec, "v", 2);
    BSON_APPEND_DOCUMENT_BEGIN(&spec, "key", &key);
    BSON_APPEND_INT32(&key, "lastUse", 1);
    bson_append_document_end(&spec, &key);
    BSON_APPEND_UTF8(&spec, "name", "lsidTTLIndex");
    BSON_APPEND_INT32(&spec, "expireAfterSeconds", (int32_t)(ms_sessions_timeout_ms() / 1000));
    bson_append_document_end(&arr, &spec);
    bson_append_array_end(&req, &arr);
    memset(&err, 0, sizeof(err));
    if (run_op(ctx, SDB_OP_CREATE_INDEXES, &req, &err) != 0) /* e.g. another timeout before */
        sdb_logf(SDB_LOG_W, "CONTROL", 20714, "config.system.sessions index", "code=%d error=%s",
                 err.code, err.msg);
    bson_destroy(&req);
}

/* apply -- merge the sorted cache rows `c` into the collection rows `d` (see the banner). */
static int
apply(ms_ctx_t *ctx, const rows_t *c, const rows_t *d, sdb_error_t *err)
{
    bson_t ins = BSON_INITIALIZER, docs, b;
    size_t i = 0, j = 0;
    uint32_t n = 0;
    int ret = 0;

    BSON_APPEND_UTF8(&ins, "ns", SESS_NS);
    BSON_APPEND_ARRAY_BEGIN(&ins, "docs", &docs);
    while (i < c->n || j < d->n) {
        int cmp = i < c->n && j < d->n ? row_cmp(&c->v[i], &d->v[j]) : (i < c->n ? -1 : 1);
        char key[16];
        const char *k;

        if (cmp < 0) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&docs, k, view(&c->v[i++], &b));
        } else if (cmp > 0) {
            write_one(ctx, &d->v[j++], NULL);
        } else {
            if (c->v[i].len != d->v[j].len || memcmp(c->v[i].data, d->v[j].data, c->v[i].len) != 0)
                write_one(ctx, &d->v[j], view(&c->v[i], &b));
            i++;
            j++;
        }
    }
    bson_append_array_end(&ins, &docs);
    BSON_APPEND_BOOL(&ins, "ordered", false);
    if (n > 0)
        ret = run_op(ctx, SDB_OP_INSERT, &ins, err);
    bson_destroy(&ins);
    return ret;
}

int
ms_sessions_persist(ms_ctx_t *ctx, sdb_error_t *err)
{
    bson_t empty = BSON_INITIALIZER, scan = BSON_INITIALIZER, cache = BSON_INITIALIZER;
    bson_t coll = BSON_INITIALIZER;
    rows_t c = {NULL, 0}, d = {NULL, 0};
    int ret = 0;

    pthread_mutex_lock(&persist_mu);
    ensure_coll(ctx);
    SDB_ERR(ms_sessions_op_list(ctx, &empty, &cache, err));
    BSON_APPEND_UTF8(&scan, "ns", SESS_NS);
    BSON_APPEND_INT32(&scan, "limit", 0);
    BSON_APPEND_INT64(&scan, "maxBytes", SESS_SCAN_BYTES);
    SDB_ERR(ms_ops_dispatch(ctx, SDB_OP_SCAN, &scan, &coll, err));
    rows_of(&cache, "sessions", false, &c);
    rows_of(&coll, "docs", true, &d);
    ret = apply(ctx, &c, &d, err);
err:
    pthread_mutex_unlock(&persist_mu);
    bson_free(c.v);
    bson_free(d.v);
    bson_destroy(&empty);
    bson_destroy(&scan);
    bson_destroy(&cache);
    bson_destroy(&coll);
    return ret;
}

int
ms_sessions_op_persist(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    SDB_UNUSED(req);
    SDB_UNUSED(reply);
    return ms_sessions_persist(ctx, err);
}

void
ms_sessions_persist_tick(WT_SESSION *s, int64_t now_ms)
{
    ms_ctx_t ctx = {s, -1};
    sdb_error_t err;

    if (next_refresh_ms == 0)
        next_refresh_ms = now_ms + SESS_REFRESH_MS;
    if (now_ms < next_refresh_ms)
        return;
    next_refresh_ms = now_ms + SESS_REFRESH_MS;
    memset(&err, 0, sizeof(err));
    if (ms_sessions_persist(&ctx, &err) != 0)
        sdb_logf(SDB_LOG_W, "CONTROL", 20714, "Failed to refresh session cache", "code=%d error=%s",
                 err.code, err.msg);
}
