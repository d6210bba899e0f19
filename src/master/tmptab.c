/*
 * src/master/tmptab.c -- temporary tables for the spilling aggregation stages (tmptab.h).
 *
 * A registry entry ties an id to its channel's slot, its table URI and the next record number
 * to write.  A table comes from the spool's supply (ms_spool_table_take: usually one the
 * housekeeping tick created ahead, so TMP_NEW costs no create) and goes back to the spool's
 * drop queue (ms_spool_table_release), so a drop never runs on a service thread and a table
 * left by a crash of the master is swept at the next start-up with the spool tables.
 * TMP_APPEND writes through an ordinary cursor (records keep arriving over many requests, so
 * a bulk load is not possible), in one transaction per request so a run's chunk commits once; TMP_READ opens a cursor, positions on `from` and walks.
 *
 * Invariants: tmp_mu guards the list and every entry's fields; it is released before any
 * WiredTiger call (the entry's URI is copied out first).  `busy` marks an entry a request is
 * using, so a concurrent TMP_DROP or channel death only unlinks it and the user releases the
 * table when it finishes.
 */
#include "tmptab.h"

#include "../common/sdb.h"
#include "disk.h"
#include "spool.h"
#include "store.h"
#include "storereq.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define TMP_READ_MAX (16 * 1024 * 1024) /* a TMP_READ reply's documents at most */

typedef struct tmp {
    int64_t id;
    int slot;
    int64_t next_rec; /* record number the next appended document gets (from 1) */
    bool busy;        /* a request is using the table */
    bool dead;        /* unlinked while busy: its user releases the table */
    char uri[40];
    struct tmp *next;
} tmp_t;

static pthread_mutex_t tmp_mu = PTHREAD_MUTEX_INITIALIZER;
static tmp_t *tmp_list;
static int64_t tmp_ids;
static size_t tmp_n;

/* unlink_locked -- take t out of the list. */
static void
unlink_locked(tmp_t *t)
{
    for (tmp_t **pp = &tmp_list; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            tmp_n--;
            return;
        }
    }
}

/* checkout -- the channel's table `id` of the request, marked busy. */
static int
checkout(const ms_ctx_t *ctx, const bson_t *req, tmp_t **out, sdb_error_t *err)
{
    int64_t id;
    tmp_t *t;

    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    pthread_mutex_lock(&tmp_mu);
    for (t = tmp_list; t != NULL; t = t->next)
        if (t->id == id && t->slot == ctx->slot && !t->busy)
            break;
    if (t != NULL)
        t->busy = true;
    pthread_mutex_unlock(&tmp_mu);
    if (t == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "no temporary table %lld", (long long)id);
    *out = t;
    return 0;
}

/* checkin -- the request is done with t; release its table if it was dropped meanwhile. */
static void
checkin(tmp_t *t)
{
    bool dead;

    pthread_mutex_lock(&tmp_mu);
    t->busy = false;
    dead = t->dead;
    pthread_mutex_unlock(&tmp_mu);
    if (dead) {
        ms_spool_table_release(t->uri);
        bson_free(t);
    }
}

/* retire -- unlink t (lock held by the caller) and release it now unless a request uses it. */
static bool
retire_locked(tmp_t *t)
{
    unlink_locked(t);
    if (t->busy) {
        t->dead = true;
        return false;
    }
    return true;
}

int
ms_tmptab_op_new(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    tmp_t *t = bson_malloc0(sizeof(*t));

    SDB_UNUSED(req);
    SDB_UNUSED(err);
    if (ms_spool_table_take(ctx->own != NULL ? ctx->own : ctx->session, t->uri, sizeof(t->uri)) !=
        0) {
        bson_free(t);
        return sdb_error_set(err, SDB_CODE_InternalError, "cannot create a temporary table");
    }
    t->slot = ctx->slot;
    t->next_rec = 1;
    pthread_mutex_lock(&tmp_mu);
    t->id = ++tmp_ids;
    t->next = tmp_list;
    tmp_list = t;
    tmp_n++;
    pthread_mutex_unlock(&tmp_mu);
    BSON_APPEND_INT64(reply, "id", t->id);
    return 0;
}

/* append_docs -- insert the documents of `docs` at t's next record numbers. */
static int
append_docs(WT_SESSION *s, tmp_t *t, bson_iter_t *docs, sdb_error_t *err)
{
    WT_CURSOR *cur = NULL;
    bool began = false;
    WT_ITEM v;
    bson_t d;
    int ret = 0;

    SDB_RET(ms_store_wt_error(s->open_cursor(s, t->uri, NULL, "overwrite=false", &cur),
                              "open temporary table"));
    SDB_ERR(ms_store_batch_begin(s, &began));
    memset(&v, 0, sizeof(v));
    while (bson_iter_next(docs)) {
        SDB_ERR(ms_req_iter_doc(docs, "docs", &d, err));
        v.data = bson_get_data(&d);
        v.size = d.len;
        cur->set_key(cur, t->next_rec);
        cur->set_value(cur, &v);
        SDB_ERR(ms_store_wt_error(cur->insert(cur), "write temporary table"));
        t->next_rec++;
    }
err:
    SDB_TRET(cur->close(cur));
    return ms_store_batch_end(s, began, ret);
}

int
ms_tmptab_op_append(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_iter_t docs;
    tmp_t *t;
    int ret;

    SDB_RET(ms_req_array(req, "docs", false, &docs, NULL, err));
    SDB_RET(checkout(ctx, req, &t, err));
    if ((ret = ms_disk_check(ctx->session, req->len, err)) == 0)
        ret = append_docs(ctx->session, t, &docs, err);
    if (ret == 0)
        BSON_APPEND_INT64(reply, "next", t->next_rec);
    checkin(t);
    return ret;
}

/* read_docs -- documents from record `from` on into array `arr`: at most n (<= 0: any) and
 * max_bytes (at least one when one remains). */
static int
read_docs(WT_SESSION *s, const tmp_t *t, int64_t from, int64_t n, size_t max_bytes, bson_t *arr)
{
    WT_CURSOR *cur = NULL;
    size_t bytes = 0;
    int64_t i = 0;
    WT_ITEM v;
    int ret;

    SDB_RET(ms_store_wt_error(s->open_cursor(s, t->uri, NULL, NULL, &cur), "open temporary table"));
    cur->set_key(cur, from);
    ret = from < t->next_rec ? cur->search(cur) : WT_NOTFOUND;
    while (ret == 0 && (n <= 0 || i < n)) {
        char key[24];
        const char *k;
        bson_t d;

        SDB_ERR(cur->get_value(cur, &v));
        if ((i > 0 && bytes + v.size > max_bytes) || !bson_init_static(&d, v.data, v.size))
            break;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        bson_append_document(arr, k, -1, &d);
        bytes += v.size;
        i++;
        ret = cur->next(cur);
    }
    if (ret == WT_NOTFOUND)
        ret = 0;
err:
    SDB_TRET(cur->close(cur));
    return ms_store_wt_error(ret, "read temporary table");
}

int
ms_tmptab_op_read(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int64_t from, n, max_bytes;
    bson_t arr;
    tmp_t *t;
    int ret;

    SDB_RET(ms_req_int64(req, "from", 1, &from, NULL, err));
    SDB_RET(ms_req_int64(req, "n", 0, &n, NULL, err));
    SDB_RET(ms_req_int64(req, "maxBytes", TMP_READ_MAX, &max_bytes, NULL, err));
    if (max_bytes <= 0 || max_bytes > TMP_READ_MAX)
        max_bytes = TMP_READ_MAX;
    SDB_RET(checkout(ctx, req, &t, err));
    BSON_APPEND_ARRAY_BEGIN(reply, "docs", &arr);
    ret = read_docs(ctx->session, t, from, n, (size_t)max_bytes, &arr);
    bson_append_array_end(reply, &arr);
    checkin(t);
    return ret;
}

int
ms_tmptab_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bool now = false;
    int64_t id;
    tmp_t *t;

    SDB_UNUSED(reply);
    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    pthread_mutex_lock(&tmp_mu);
    for (t = tmp_list; t != NULL; t = t->next)
        if (t->id == id && t->slot == ctx->slot)
            break;
    if (t != NULL)
        now = retire_locked(t);
    pthread_mutex_unlock(&tmp_mu);
    if (now) {
        ms_spool_table_release(t->uri);
        bson_free(t);
    }
    return 0;
}

void
ms_tmptab_channel_died(int slot)
{
    tmp_t *gone = NULL, *t, *next;

    pthread_mutex_lock(&tmp_mu);
    for (t = tmp_list; t != NULL; t = next) {
        next = t->next;
        if (t->slot == slot && retire_locked(t)) {
            t->next = gone;
            gone = t;
        }
    }
    pthread_mutex_unlock(&tmp_mu);
    for (t = gone; t != NULL; t = next) {
        next = t->next;
        ms_spool_table_release(t->uri);
        bson_free(t);
    }
}

size_t
ms_tmptab_count(void)
{
    size_t n;

    pthread_mutex_lock(&tmp_mu);
    n = tmp_n;
    pthread_mutex_unlock(&tmp_mu);
    return n;
}
