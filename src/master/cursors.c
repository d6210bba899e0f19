/*
 * src/master/cursors.c -- the cursor table: id -> {ns, state, spool, checkout}.
 *
 * A chained hash table of cursors keyed by a random positive non-zero int64 id.  A cursor's
 * spool (spool.h) holds the rest of a blocking plan's result, in the heap when small, else in
 * a temporary WiredTiger table.  CURSOR_GET returns at most n documents and at most
 * CURSOR_BATCH_BYTES (always one at least) and reports how many remain.  Idle cursors expire
 * after cursorTimeoutMillis (ms_cursors_set_timeout, default MS_CURSOR_IDLE_MS) unless created with
 * noTimeout; the table's counts are published in the global segment for serverStatus.
 *
 * Invariants: cur_mu guards the hash table, every cursor's fields and the counts; it is never
 * held across WiredTiger work.  The work is done by the thread that owns the cursor at the
 * moment: GET checks the cursor out under the lock and reads its spool after releasing it
 * (a checked-out cursor's ns, state and spool change only through its owner, and a checked-out
 * cursor is never freed by anyone else); a cursor leaving the table (done, killed, expired) is
 * unlinked under the lock and its spool released after (a table spool's drop is queued for
 * the housekeeping tick, spool.h).  CURSOR_KILL of a checked-out cursor
 * marks it killed: it no longer counts or answers, and its owner frees it at CURSOR_PUT
 * (answering CursorNotFound, as a killed cursor's getMore does in mongod) or when its channel
 * dies.
 */
#include "cursors.h"

#include "../common/sdb.h"
#include "spool.h"
#include "store.h"
#include "storereq.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define CURSOR_BUCKETS 256
#define CURSOR_BATCH_BYTES (16 * 1024 * 1024)

typedef struct cursor {
    struct cursor *next; /* hash chain, or a list of cursors being freed */
    int64_t id;
    char *ns;
    bson_t *state;
    ms_spool_t *spool; /* the rest of a blocking plan's result, or NULL */
    int out_slot;      /* checked out by this worker slot, -1 when in the table */
    bool killed;       /* killed while checked out: its owner frees it */
    bool no_timeout;   /* never expires */
    bool has_lsid;     /* created in a session: only that session may continue it */
    sdb_lsid_t lsid;   /* its key {id, uid} (common/lsid.h) */
    int64_t txn;       /* the transaction number it was created in (request `xact`), or -1 */
    char *owner;       /* "user@db" under --auth (request `owner`; "" for nobody), or NULL */
    int64_t last_used_ms;
} cursor_t;

static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static cursor_t *cur_buckets[CURSOR_BUCKETS];
static size_t cur_count, cur_no_timeout, cur_pinned; /* live (not killed) cursors */
static _Atomic int64_t cur_timeout_ms = MS_CURSOR_IDLE_MS;

static cursor_t **
slot_of_locked(int64_t id)
{
    cursor_t **p = &cur_buckets[(uint64_t)id % CURSOR_BUCKETS];

    while (*p != NULL && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

/* publish_locked -- the counts, for serverStatus metrics.cursor. */
static void
publish_locked(void)
{
    sdb_global_t *g = ms_store_global();

    atomic_store(&g->cursor_open, cur_count);
    atomic_store(&g->cursor_no_timeout, cur_no_timeout);
    atomic_store(&g->cursor_pinned, cur_pinned);
}

/* count_locked -- add (sign 1) or remove (sign -1) c's share of the counts. */
static void
count_locked(const cursor_t *c, int sign)
{
    if (c->killed)
        return;
    cur_count += (size_t)sign;
    if (c->no_timeout)
        cur_no_timeout += (size_t)sign;
    if (c->out_slot >= 0)
        cur_pinned += (size_t)sign;
}

/* unlink_locked -- take the cursor at *p out of the table. */
static cursor_t *
unlink_locked(cursor_t **p)
{
    cursor_t *c = *p;

    count_locked(c, -1);
    *p = c->next;
    c->next = NULL;
    return c;
}

/* set_out_locked -- check c out to slot (or back in with -1). */
static void
set_out_locked(cursor_t *c, int slot)
{
    count_locked(c, -1);
    c->out_slot = slot;
    c->last_used_ms = ms_now_ms();
    count_locked(c, 1);
}

/* free_list -- free a list of unlinked cursors and their spools (no lock held). */
static void
free_list(cursor_t *c)
{
    while (c != NULL) {
        cursor_t *next = c->next;
        ms_spool_free(c->spool);
        bson_free(c->ns);
        bson_free(c->owner);
        if (c->state != NULL)
            bson_destroy(c->state);
        bson_free(c);
        c = next;
    }
}

static int64_t
new_id_locked(void)
{
    int64_t id;

    do {
        uint64_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint64_t)ms_now_ms() * 6364136223846793005ull + cur_count;
        id = (int64_t)(r & INT64_MAX);
    } while (id == 0 || *slot_of_locked(id) != NULL);
    return id;
}

/* lsid_of -- the request's `lsid` ({id, uid}) into key; false when absent. */
static bool
lsid_of(const bson_t *req, sdb_lsid_t *key)
{
    return sdb_lsid_from_field(req, "lsid", key);
}

/* txn_of -- the transaction number a request names in `xact: {id, n}`, or -1. */
static int64_t
txn_of(const bson_t *req)
{
    bson_iter_t it, x;

    if (!bson_iter_init_find(&it, req, "xact") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &x) || !bson_iter_find(&x, "n") || !BSON_ITER_HOLDS_INT64(&x))
        return -1;
    return bson_iter_int64(&x);
}

/* session_check_locked -- a cursor made in a session continues only in that session, and one
 * made outside any only outside (mongod's 50736/50737/50738), errmsg the cursor's session key
 * (id then uid) in hex; one made in a transaction only in that transaction, and one made outside any only
 * outside (50739/50740/50741), errmsg the cursor's transaction number.  The worker turns
 * errmsg into mongod's message. */
static int
session_check_locked(const cursor_t *c, const bson_t *req, sdb_error_t *err)
{
    sdb_lsid_t key;
    bool has = lsid_of(req, &key);
    int64_t txn = txn_of(req);
    const uint8_t *k = (const uint8_t *)&c->lsid;
    char hex[2 * sizeof(sdb_lsid_t) + 1] = "";
    int code;

    if (has == c->has_lsid && (!has || sdb_lsid_eq(&key, &c->lsid))) {
        if (txn == c->txn)
            return 0;
        code = c->txn < 0 ? SDB_CODE_Location50739
                          : (txn < 0 ? SDB_CODE_Location50740 : SDB_CODE_Location50741);
        return sdb_error_set(err, code, "%" PRId64, c->txn);
    }
    code = !c->has_lsid ? SDB_CODE_Location50736
                        : (!has ? SDB_CODE_Location50737 : SDB_CODE_Location50738);
    for (size_t i = 0; c->has_lsid && i < sizeof(sdb_lsid_t); i++)
        snprintf(hex + 2 * i, 3, "%02x", k[i]);
    return sdb_error_set(err, code, "%s", hex);
}

/* owner_check_locked -- under --auth (the request names an `owner`) a cursor serves only the
 * user that created it, as mongod's cursor manager: 13 Unauthorized otherwise.  A request
 * without `owner` (no --auth, or a killer holding killAnyCursor) passes. */
static int
owner_check_locked(const cursor_t *c, const bson_t *req, sdb_error_t *err)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, req, "owner") || !BSON_ITER_HOLDS_UTF8(&it) ||
        strcmp(bson_iter_utf8(&it, NULL), c->owner != NULL ? c->owner : "") == 0)
        return 0;
    return sdb_error_set(err, SDB_CODE_Unauthorized,
                         "cursor id %" PRId64 " was not created by the authenticated user", c->id);
}

int
ms_cursors_op_new(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *owner;
    bson_t state;
    bson_iter_t docs;
    bool has_docs, no_timeout, out;
    cursor_t *c;
    int ret = 0;

    SDB_RET(ms_req_bool(req, "out", false, &out, err));
    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_doc(req, "state", false, &state, NULL, err));
    SDB_RET(ms_req_array(req, "docs", true, &docs, &has_docs, err));
    SDB_RET(ms_req_bool(req, "noTimeout", false, &no_timeout, err));
    SDB_RET(ms_req_str(req, "owner", true, &owner, err));
    c = bson_malloc0(sizeof(*c));
    c->owner = owner != NULL ? bson_strdup(owner) : NULL;
    c->ns = bson_strdup(ns);
    c->state = bson_copy(&state);
    c->out_slot = -1;
    c->no_timeout = no_timeout;
    c->last_used_ms = ms_now_ms();
    c->has_lsid = lsid_of(req, &c->lsid);
    c->txn = txn_of(req);
    if (has_docs)
        SDB_ERR(ms_spool_new(ctx->session, &docs, &c->spool, err));
    pthread_mutex_lock(&cur_mu);
    c->id = new_id_locked();
    c->next = cur_buckets[(uint64_t)c->id % CURSOR_BUCKETS];
    cur_buckets[(uint64_t)c->id % CURSOR_BUCKETS] = c;
    count_locked(c, 1);
    if (out) /* its creator goes on filling it (CURSOR_APPEND) until CURSOR_PUT */
        set_out_locked(c, ctx->slot);
    publish_locked();
    BSON_APPEND_INT64(reply, "id", c->id);
    pthread_mutex_unlock(&cur_mu);
    return 0;
err:
    free_list(c);
    return ret;
}

static int
not_found(sdb_error_t *err, int64_t id)
{
    return sdb_error_set(err, SDB_CODE_CursorNotFound, "cursor id %" PRId64 " not found", id);
}

/* check_out -- take cursor id for slot on behalf of request req (its session must match);
 * *out is the cursor, which the caller now owns. */
static int
check_out(int64_t id, int slot, const bson_t *req, cursor_t **out, sdb_error_t *err)
{
    cursor_t *c;
    int ret = 0;

    pthread_mutex_lock(&cur_mu);
    if ((c = *slot_of_locked(id)) == NULL || c->killed)
        SDB_ERR(not_found(err, id));
    SDB_ERR(owner_check_locked(c, req, err));
    SDB_ERR(session_check_locked(c, req, err));
    if (c->out_slot >= 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_CursorInUse, "cursor id %" PRId64 " is already in use",
                              id));
    set_out_locked(c, slot);
    publish_locked();
    *out = c;
err:
    pthread_mutex_unlock(&cur_mu);
    return ret;
}

/* check_in -- return a checked-out cursor to the table (or free it when it was killed). */
static void
check_in(cursor_t *c)
{
    cursor_t *dead = NULL;

    pthread_mutex_lock(&cur_mu);
    if (c->killed)
        dead = unlink_locked(slot_of_locked(c->id));
    else
        set_out_locked(c, -1);
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
}

int
ms_cursors_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int64_t id, n;
    cursor_t *c;
    bson_t arr;
    int ret;

    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    SDB_RET(ms_req_int64(req, "n", 0, &n, NULL, err));
    SDB_RET(check_out(id, ctx->slot, req, &c, err));
    BSON_APPEND_UTF8(reply, "ns", c->ns);
    BSON_APPEND_DOCUMENT(reply, "state", c->state);
    BSON_APPEND_ARRAY_BEGIN(reply, "docs", &arr);
    ret = ms_spool_out(ctx->session, c->spool, n, CURSOR_BATCH_BYTES, &arr);
    bson_append_array_end(reply, &arr);
    BSON_APPEND_INT64(reply, "remaining", ms_spool_left(c->spool));
    if (ret != 0) /* the worker does not check in after a failed GET */
        check_in(c);
    return ret;
}

int
ms_cursors_op_append(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_iter_t docs;
    cursor_t *c;
    int64_t id;
    int ret = 0;

    SDB_UNUSED(reply);
    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    SDB_RET(ms_req_array(req, "docs", false, &docs, NULL, err));
    pthread_mutex_lock(&cur_mu);
    c = *slot_of_locked(id);
    if (c == NULL || c->killed)
        ret = not_found(err, id);
    else if (c->out_slot != ctx->slot)
        ret =
            sdb_error_set(err, SDB_CODE_CursorInUse, "cursor id %" PRId64 " is already in use", id);
    pthread_mutex_unlock(&cur_mu);
    SDB_RET(ret);
    /* checked out to this channel: its spool changes only here (the banner's rule) */
    return ms_spool_append(ctx->session, &c->spool, &docs, err);
}

int
ms_cursors_op_put(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    cursor_t **p, *c, *dead = NULL;
    bool has_state, done;
    bson_t state;
    int64_t id;
    int ret = 0;

    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    SDB_RET(ms_req_doc(req, "state", true, &state, &has_state, err));
    SDB_RET(ms_req_bool(req, "done", false, &done, err));
    pthread_mutex_lock(&cur_mu);
    p = slot_of_locked(id);
    if ((c = *p) == NULL) {
        ret = not_found(err, id);
    } else if (c->out_slot >= 0 && c->out_slot != ctx->slot) {
        ret =
            sdb_error_set(err, SDB_CODE_CursorInUse, "cursor id %" PRId64 " is already in use", id);
    } else if (done || c->killed) {
        if (c->killed)
            ret = not_found(err, id);
        dead = unlink_locked(p);
    } else {
        if (has_state) {
            bson_destroy(c->state);
            c->state = bson_copy(&state);
        }
        set_out_locked(c, -1);
    }
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
    return ret;
}

/* kill_at_locked -- kill the live cursor at *p: onto *dead, or marked when checked out (its
 * owner frees it); returns whether it stayed linked at *p. */
static bool
kill_at_locked(cursor_t **p, cursor_t **dead)
{
    cursor_t *c = *p;

    if (c->out_slot >= 0) {
        sdb_global_t *g = ms_store_global();
        uint64_t seq = atomic_load(&g->cursor_kill_seq);

        count_locked(c, -1);
        c->killed = true;
        atomic_store(&g->cursor_killed[seq % SDB_GLOBAL_KILL_RING], c->id);
        atomic_store(&g->cursor_kill_seq, seq + 1); /* its getMore stops (global.h) */
        return true;
    }
    c = unlink_locked(p);
    c->next = *dead;
    *dead = c;
    return false;
}

/* kill_one_locked -- kill cursor id; 1 if it existed. */
static int
kill_one_locked(int64_t id, cursor_t **dead)
{
    cursor_t **p = slot_of_locked(id);

    if (*p == NULL || (*p)->killed)
        return 0;
    kill_at_locked(p, dead);
    return 1;
}

int
ms_cursors_op_kill(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t killed = BSON_INITIALIZER, missing = BSON_INITIALIZER;
    cursor_t *dead = NULL;
    bson_iter_t ids, scan;
    uint32_t nk = 0, nm = 0;
    char k[24];

    SDB_RET(ms_req_array(req, "ids", false, &ids, NULL, err));
    scan = ids;
    pthread_mutex_lock(&cur_mu);
    while (bson_iter_next(&scan)) { /* another user's cursor refuses the whole kill, as mongod */
        cursor_t *c =
            *slot_of_locked(BSON_ITER_HOLDS_NUMBER(&scan) ? bson_iter_as_int64(&scan) : 0);
        if (c != NULL && !c->killed && owner_check_locked(c, req, err) != 0) {
            pthread_mutex_unlock(&cur_mu);
            return SDB_ECLIENT;
        }
    }
    while (bson_iter_next(&ids)) {
        int64_t id = BSON_ITER_HOLDS_NUMBER(&ids) ? bson_iter_as_int64(&ids) : 0;
        if (kill_one_locked(id, &dead)) {
            snprintf(k, sizeof(k), "%" PRIu32, nk++);
            bson_append_int64(&killed, k, -1, id);
        } else {
            snprintf(k, sizeof(k), "%" PRIu32, nm++);
            bson_append_int64(&missing, k, -1, id);
        }
    }
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
    BSON_APPEND_ARRAY(reply, "killed", &killed);
    BSON_APPEND_ARRAY(reply, "notFound", &missing);
    bson_destroy(&killed);
    bson_destroy(&missing);
    return 0;
}

/* take_if_locked -- unlink every cursor `pick` selects onto a list; returns how many. */
static size_t
take_if_locked(bool (*pick)(const cursor_t *c, int64_t arg), int64_t arg, cursor_t **list)
{
    size_t n = 0;

    for (size_t b = 0; b < CURSOR_BUCKETS; b++) {
        cursor_t **p = &cur_buckets[b];
        while (*p != NULL) {
            if (!pick(*p, arg)) {
                p = &(*p)->next;
                continue;
            }
            cursor_t *c = unlink_locked(p);
            c->next = *list;
            *list = c;
            n++;
        }
    }
    return n;
}

/* idle_since -- an expirable cursor last used before arg. */
static bool
idle_since(const cursor_t *c, int64_t arg)
{
    return c->out_slot < 0 && !c->no_timeout && c->last_used_ms < arg;
}

size_t
ms_cursors_expire(int64_t now_ms)
{
    cursor_t *dead = NULL;
    size_t n;

    pthread_mutex_lock(&cur_mu);
    n = take_if_locked(idle_since, now_ms - atomic_load(&cur_timeout_ms), &dead);
    atomic_fetch_add(&ms_store_global()->cursor_timed_out, n);
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
    return n;
}

/* kill_matching -- kill the cursors of session key (NULL: any session) created in transaction
 * txn (INT64_MIN: in any or none). */
static size_t
kill_matching(const sdb_lsid_t *key, int64_t txn)
{
    cursor_t *dead = NULL;
    size_t n = 0;

    pthread_mutex_lock(&cur_mu);
    for (size_t b = 0; b < CURSOR_BUCKETS; b++) {
        cursor_t **p = &cur_buckets[b];

        while (*p != NULL) {
            cursor_t *c = *p;

            if (c->killed || !c->has_lsid || (key != NULL && !sdb_lsid_eq(&c->lsid, key)) ||
                (txn != INT64_MIN && c->txn != txn)) {
                p = &c->next;
                continue;
            }
            n++;
            if (kill_at_locked(p, &dead))
                p = &c->next;
        }
    }
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
    return n;
}

size_t
ms_cursors_kill_session(const sdb_lsid_t *key)
{
    return kill_matching(key, INT64_MIN);
}

size_t
ms_cursors_kill_xact(const sdb_lsid_t *key, int64_t n)
{
    return kill_matching(key, n);
}

/* killed_on -- a killed cursor checked out by worker slot arg. */
static bool
killed_on(const cursor_t *c, int64_t arg)
{
    return c->killed && c->out_slot == arg;
}

void
ms_cursors_channel_died(int slot)
{
    cursor_t *dead = NULL;

    pthread_mutex_lock(&cur_mu);
    take_if_locked(killed_on, slot, &dead);
    for (size_t b = 0; b < CURSOR_BUCKETS; b++)
        for (cursor_t *c = cur_buckets[b]; c != NULL; c = c->next)
            if (c->out_slot == slot)
                set_out_locked(c, -1);
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
}

void
ms_cursors_set_timeout(int64_t ms)
{
    atomic_store(&cur_timeout_ms, ms >= 0 ? ms : MS_CURSOR_IDLE_MS);
}

size_t
ms_cursors_count(void)
{
    size_t n;

    pthread_mutex_lock(&cur_mu);
    n = cur_count;
    pthread_mutex_unlock(&cur_mu);
    return n;
}

/* any -- every cursor. */
static bool
any(const cursor_t *c, int64_t arg)
{
    SDB_UNUSED(c);
    SDB_UNUSED(arg);
    return true;
}

void
ms_cursors_clear(void)
{
    cursor_t *dead = NULL;

    pthread_mutex_lock(&cur_mu);
    take_if_locked(any, 0, &dead);
    publish_locked();
    pthread_mutex_unlock(&cur_mu);
    free_list(dead);
    ms_spool_close(ms_store_house_session()); /* no spool table left on disk */
}
