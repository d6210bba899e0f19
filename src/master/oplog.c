/*
 * src/master/oplog.c -- the oplog table, its clock and its size cap.
 *
 * The clock hands out (seconds, increment) strictly increasing: the wall-clock second if it
 * moved forward, else the last second with increment + 1.  ms_oplog_commit holds the clock
 * mutex from taking the timestamp until the transaction has committed, so entries commit in
 * timestamp order; the published head is therefore always a point below which everything
 * has committed.  Every entry's timestamp is also its WiredTiger transaction's commit
 * timestamp, so a read at read_timestamp T sees exactly the writes of the entries up to T;
 * the tick keeps WiredTiger's oldest timestamp minSnapshotHistoryWindowInSeconds behind the
 * head (the history snapshot reads can reach) and its stable timestamp at the head.  The byte count of live entries is kept approximately (counted at open,
 * added on append, subtracted on trim) and drives the size cap.
 *
 * Invariants: oplog_clock protects clock_secs/clock_inc/oplog_bytes and the order of
 * commits; the global segment's oplog_head and oplog_wake are written only here, after a
 * commit, with that mutex held, and so is auth_version (bumped after a commit whose entries
 * touch the users or roles).  Trimming runs on the main thread only.
 */
#include "oplog.h"

#include "../common/sdb.h"
#include "csimages.h"
#include "records.h"
#include "store.h"
#include "storereq.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t oplog_clock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t clock_secs, clock_inc;
static uint64_t oplog_bytes;
static _Atomic uint64_t oplog_cap = MS_OPLOG_CAP_DEFAULT;
static _Atomic int64_t history_window_s = 300;
static _Atomic uint64_t oldest_ts;

#define TS_SECS(ts) ((uint32_t)((ts) >> 32))
#define TS_INC(ts) ((uint32_t)((ts)&0xffffffffu))

int
ms_oplog_open(WT_SESSION *s)
{
    WT_CURSOR *c = NULL;
    uint64_t ts = 0, bytes = 0;
    WT_ITEM v;
    int ret = 0, r;

    SDB_ERR(ms_store_wt_error(s->create(s, MS_OPLOG_URI, "key_format=Q,value_format=u"),
                              "create oplog"));
    SDB_ERR(ms_csimages_open(s));
    SDB_ERR(ms_store_wt_error(s->open_cursor(s, MS_OPLOG_URI, NULL, NULL, &c), "open oplog"));
    while ((r = c->next(c)) == 0) {
        SDB_ERR(c->get_key(c, &ts));
        SDB_ERR(c->get_value(c, &v));
        bytes += v.size;
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(ms_store_wt_error(r, "scan oplog"));
    pthread_mutex_lock(&oplog_clock);
    clock_secs = TS_SECS(ts);
    clock_inc = TS_INC(ts);
    oplog_bytes = bytes;
    atomic_store(&ms_store_global()->oplog_head, ts);
    pthread_mutex_unlock(&oplog_clock);
err:
    if (c != NULL)
        SDB_TRET(c->close(c));
    return ret;
}

/* next_ts_locked -- the next timestamp (oplog_clock held). */
static uint64_t
next_ts_locked(void)
{
    uint32_t now = (uint32_t)(ms_now_ms() / 1000);

    if (now > clock_secs) {
        clock_secs = now;
        clock_inc = 1;
    } else if (++clock_inc == 0) {
        clock_secs++;
        clock_inc = 1;
    }
    return ((uint64_t)clock_secs << 32) | clock_inc;
}

/* build_entry -- e as stored at ts; prev is the timestamp of the entry before it in the same
 * batch (e->chained). */
static void
build_entry(const ms_oplog_entry_t *e, uint64_t ts, uint64_t prev, bson_t *b)
{
    bson_t pt;

    bson_init(b);
    BSON_APPEND_UTF8(b, "op", e->op);
    BSON_APPEND_UTF8(b, "ns", e->ns);
    if (e->uuid != NULL)
        BSON_APPEND_BINARY(b, "ui", BSON_SUBTYPE_UUID, e->uuid, 16);
    BSON_APPEND_DOCUMENT(b, "o", e->o);
    if (e->o2 != NULL)
        BSON_APPEND_DOCUMENT(b, "o2", e->o2);
    if (e->extra != NULL)
        bson_concat(b, e->extra);
    if (e->chained) {
        BSON_APPEND_DOCUMENT_BEGIN(b, "prevOpTime", &pt);
        BSON_APPEND_TIMESTAMP(&pt, "ts", TS_SECS(prev), TS_INC(prev));
        BSON_APPEND_INT64(&pt, "t", 1);
        bson_append_document_end(b, &pt);
    }
    BSON_APPEND_TIMESTAMP(b, "ts", TS_SECS(ts), TS_INC(ts));
    BSON_APPEND_INT64(b, "t", 1);
    BSON_APPEND_INT64(b, "v", 2);
    BSON_APPEND_DATE_TIME(b, "wall", ms_now_ms());
}

int
ms_oplog_commit(WT_SESSION *s, const ms_oplog_entry_t *e, uint64_t *ts_out)
{
    return ms_oplog_commit_n(s, e, 1, ts_out);
}

/* put_images -- the images of an applyOps entry at ts: [{op, pre?, post?}] (built by the
 * master itself, xact.c). */
static int
put_images(WT_SESSION *s, uint64_t ts, const bson_t *images)
{
    bson_iter_t it, f;
    sdb_error_t err;
    int ret = 0;

    if (!bson_iter_init(&it, images))
        return SDB_ECORRUPT;
    while (ret == 0 && bson_iter_next(&it)) {
        bson_t img, pre, post;
        bool has_pre = false, has_post = false;
        int32_t op = 0;

        if (ms_req_iter_doc(&it, "image", &img, &err) != 0)
            return SDB_ECORRUPT;
        if (bson_iter_init_find(&f, &img, "op") && BSON_ITER_HOLDS_INT32(&f))
            op = bson_iter_int32(&f);
        if (bson_iter_init_find(&f, &img, "pre"))
            has_pre = ms_req_iter_doc(&f, "pre", &pre, &err) == 0;
        if (bson_iter_init_find(&f, &img, "post"))
            has_post = ms_req_iter_doc(&f, "post", &post, &err) == 0;
        ret = ms_csimages_put(s, ts, (uint32_t)op, has_pre ? &pre : NULL, has_post ? &post : NULL);
    }
    return ret;
}

/* append_locked -- insert e[0..n) under consecutive timestamps from the clock (oplog_clock
 * held), with their change-stream images (csimages.h); *first receives the first one, *bytes
 * their size. */
static int
append_locked(WT_SESSION *s, WT_CURSOR *c, const ms_oplog_entry_t *e, size_t n, uint64_t *first,
              uint64_t *bytes)
{
    uint64_t prev = 0;
    int ret = 0;

    *bytes = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        uint64_t ts = next_ts_locked();
        WT_ITEM v;
        bson_t b;

        if (i == 0)
            *first = ts;
        build_entry(&e[i], ts, prev, &b);
        prev = ts;
        v.data = bson_get_data(&b);
        v.size = b.len;
        c->set_key(c, ts);
        c->set_value(c, &v);
        ret = c->insert(c);
        if (ret == 0 && (e[i].pre != NULL || e[i].post != NULL))
            ret = ms_csimages_put(s, ts, 0, e[i].pre, e[i].post);
        if (ret == 0 && e[i].images != NULL)
            ret = put_images(s, ts, e[i].images);
        *bytes += v.size;
        bson_destroy(&b);
    }
    return ret;
}

/* Whether entry e may change a user or a role (workers re-resolve privileges then). */
static bool
touches_auth(const ms_oplog_entry_t *e)
{
    return e->ns != NULL &&
           (strcmp(e->ns, "admin.system.users") == 0 || strcmp(e->ns, "admin.system.roles") == 0 ||
            (e->op != NULL && e->op[0] == 'c' && strncmp(e->ns, "admin.", 6) == 0));
}

int
ms_oplog_commit_n(WT_SESSION *s, const ms_oplog_entry_t *e, size_t n, uint64_t *ts_out)
{
    WT_CURSOR *c = NULL;
    sdb_global_t *g = ms_store_global();
    uint64_t first = 0, bytes = 0;
    int ret;

    ret = s->open_cursor(s, MS_OPLOG_URI, NULL, "overwrite=false", &c);
    if (ret != 0) {
        s->rollback_transaction(s, NULL);
        return ret;
    }
    pthread_mutex_lock(&oplog_clock);
    ret = append_locked(s, c, e, n, &first, &bytes);
    if (ret == 0)
        ret = c->close(c);
    else
        c->close(c);
    if (ret == 0)
        ret = ms_oplog_commit_at(s, first);
    else
        s->rollback_transaction(s, NULL);
    if (ret == 0) {
        oplog_bytes += bytes;
        atomic_store(&g->oplog_head, ((uint64_t)clock_secs << 32) | clock_inc);
        atomic_fetch_add(&g->oplog_wake, 1);
        for (size_t i = 0; i < n; i++)
            if (touches_auth(&e[i]))
                atomic_fetch_add(&g->auth_version, 1);
        if (ts_out != NULL)
            *ts_out = first;
    }
    pthread_mutex_unlock(&oplog_clock);
    return ret;
}

int
ms_oplog_commit_at(WT_SESSION *s, uint64_t ts)
{
    char conf[64];

    snprintf(conf, sizeof(conf), "commit_timestamp=%" PRIx64, ts);
    return s->commit_transaction(s, conf);
}

void
ms_oplog_set_history_window(int64_t secs)
{
    atomic_store(&history_window_s, secs);
}

uint64_t
ms_oplog_oldest(void)
{
    return atomic_load(&oldest_ts);
}

/*
 * advance_timestamps --
 *     Move WiredTiger's stable timestamp to the head and its oldest timestamp to the head
 *     minus the history window, so snapshot reads can reach that far back and no further.
 *     Under oplog_clock, so no commit with a smaller timestamp is still in flight.
 */
static void
advance_timestamps(void)
{
    uint64_t head, oldest, window = (uint64_t)atomic_load(&history_window_s);
    char conf[96];

    pthread_mutex_lock(&oplog_clock);
    head = atomic_load(&ms_store_global()->oplog_head);
    if (head != 0) {
        oldest = TS_SECS(head) > window ? (uint64_t)(TS_SECS(head) - window) << 32 : 1;
        if (oldest > head)
            oldest = head;
        if (oldest < atomic_load(&oldest_ts))
            oldest = atomic_load(&oldest_ts);
        snprintf(conf, sizeof(conf), "stable_timestamp=%" PRIx64 ",oldest_timestamp=%" PRIx64, head,
                 oldest);
        if (ms_store_conn()->set_timestamp(ms_store_conn(), conf) == 0)
            atomic_store(&oldest_ts, oldest);
    }
    pthread_mutex_unlock(&oplog_clock);
}

uint64_t
ms_oplog_head(void)
{
    return atomic_load(&ms_store_global()->oplog_head);
}

void
ms_oplog_set_cap(uint64_t bytes)
{
    atomic_store(&oplog_cap, bytes != 0 ? bytes : MS_OPLOG_CAP_DEFAULT);
}

/* trim_batch -- delete up to 1000 oldest entries while over `target`; returns the count. */
static uint64_t
trim_batch(WT_SESSION *s, uint64_t target, int *more)
{
    WT_CURSOR *c = NULL;
    uint64_t n = 0, removed = 0, bytes, last = 0;
    WT_ITEM v;

    *more = 0;
    pthread_mutex_lock(&oplog_clock);
    bytes = oplog_bytes;
    pthread_mutex_unlock(&oplog_clock);
    if (bytes <= target || s->open_cursor(s, MS_OPLOG_URI, NULL, NULL, &c) != 0)
        return 0;
    s->begin_transaction(s, NULL);
    while (n < 1000 && bytes - removed > target && c->next(c) == 0) {
        if (c->get_key(c, &last) != 0 || c->get_value(c, &v) != 0 || c->remove(c) != 0)
            break;
        removed += v.size;
        n++;
    }
    c->close(c);
    if (n > 0 && ms_csimages_trim(s, last) != 0) {
        s->rollback_transaction(s, NULL);
        return 0;
    }
    if (s->commit_transaction(s, NULL) != 0)
        return 0;
    pthread_mutex_lock(&oplog_clock);
    oplog_bytes = oplog_bytes > removed ? oplog_bytes - removed : 0;
    *more = n == 1000 && oplog_bytes > target;
    pthread_mutex_unlock(&oplog_clock);
    return n;
}

uint64_t
ms_oplog_tick(WT_SESSION *s)
{
    uint64_t cap = atomic_load(&oplog_cap), total = 0;
    int more = 1;

    if (s == NULL)
        return 0;
    advance_timestamps();
    pthread_mutex_lock(&oplog_clock);
    more = oplog_bytes > cap;
    pthread_mutex_unlock(&oplog_clock);
    /* Trim to 90% of the cap so that trimming is not needed on every tick. */
    while (more)
        total += trim_batch(s, cap - cap / 10, &more);
    return total;
}

/* position -- put c on the first entry a walk in direction dir from `from` returns: forward,
 * the first after `from`; backward, the last below `from` (0: from the head), never above
 * the head. */
static int
position(WT_CURSOR *c, uint64_t from, uint64_t head, int dir)
{
    uint64_t key = dir > 0 ? from : (from != 0 && from - 1 < head ? from - 1 : head);
    int ret, exact;

    c->set_key(c, key);
    ret = c->search_near(c, &exact);
    if (ret == 0 && dir > 0 && exact <= 0)
        ret = c->next(c);
    else if (ret == 0 && dir < 0 && exact > 0)
        ret = c->prev(c);
    return ret;
}

/* walk -- append the entries from `from` in direction dir, never past the published head,
 * within the limit and maxBytes rules of a collection scan; *eof when none remain. */
static int
walk(WT_CURSOR *c, uint64_t from, uint64_t head, int dir, int64_t limit, int64_t max_bytes,
     bson_t *arr, bool *eof)
{
    int (*step)(WT_CURSOR *) = dir < 0 ? c->prev : c->next;
    int64_t n = 0, bytes = 0;
    uint64_t ts;
    WT_ITEM v;
    int ret;

    *eof = false;
    for (ret = position(c, from, head, dir); ret == 0; ret = step(c)) {
        SDB_RET(c->get_key(c, &ts));
        if (ts > head)
            break;
        if ((limit > 0 && n >= limit) || (n > 0 && bytes >= max_bytes))
            return 0;
        SDB_RET(c->get_value(c, &v));
        ms_records_append_doc(arr, (uint32_t)n++, (int64_t)ts, v.data, v.size);
        bytes += (int64_t)v.size;
    }
    if (ret != 0 && ret != WT_NOTFOUND)
        return ret;
    *eof = true;
    return 0;
}

/* scan -- ms_oplog_scan (dir 1) and ms_oplog_scan_back (dir -1) in a transaction of their own. */
static int
scan(WT_SESSION *s, uint64_t from, int dir, int64_t limit, int64_t max_bytes, bson_t *arr,
     bool *eof)
{
    uint64_t head = ms_oplog_head();
    WT_CURSOR *c = NULL;
    int ret = 0;

    *eof = true;
    if (head == 0)
        return 0;
    SDB_RET(s->begin_transaction(s, NULL));
    SDB_ERR(s->open_cursor(s, MS_OPLOG_URI, NULL, NULL, &c));
    ret = walk(c, from, head, dir, limit, max_bytes, arr, eof);
err:
    if (c != NULL)
        SDB_TRET(c->close(c));
    SDB_TRET(s->rollback_transaction(s, NULL));
    return ret;
}

int
ms_oplog_scan_back(WT_SESSION *s, uint64_t before, int64_t limit, int64_t max_bytes, bson_t *arr,
                   bool *eof)
{
    return scan(s, before, -1, limit, max_bytes, arr, eof);
}

int
ms_oplog_scan(WT_SESSION *s, uint64_t after, int64_t limit, int64_t max_bytes, bson_t *arr,
              bool *eof)
{
    return scan(s, after, 1, limit, max_bytes, arr, eof);
}
