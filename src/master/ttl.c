/*
 * src/master/ttl.c -- the TTL monitor thread, and collMod's expireAfterSeconds.
 *
 * The thread sleeps ttlMonitorSleepSecs (its deadline is recomputed whenever ms_ttl_wake says
 * a parameter changed, so a new interval takes effect at once), then runs a pass unless
 * ttlMonitorEnabled is off.  A pass fixes `at`, the wall clock, and runs sub-passes as mongod
 * 7.0 does: each takes a fresh list of TTL indexes (sdb_ttl_spec_secs, and the _id index of a
 * clustered collection created with expireAfterSeconds; capped collections and
 * collections an open transaction is creating are skipped) and, per index, scans the dates
 * from the smallest one up to at - expireAfterSeconds (inclusive) with IXSCAN in batches of
 * TTL_BATCH_DOCS, and deletes each document found with DELETE.  These are the storage
 * operations a worker sends, dispatched on the monitor's own session: every delete is its own
 * transaction with its "d" oplog entry (change streams see it), and the catalog lock is held
 * for one batch or one delete at a time, never for a whole pass.  The DELETE carries the
 * document as scanned, so one updated since (a refreshed date) is left alone (112, skipped;
 * the next sub-pass scans it again).  An array holding an expired date has an index entry in
 * the range, so its earliest date decides; a value that is not a date has no entry there.
 * An index whose sub-pass deletes TTL_TARGET_DOCS documents, or deletes for TTL_TARGET_MS,
 * yields to the others: another sub-pass follows, so one huge expiry does not starve the
 * rest (mongod's ttlIndexDeleteTargetDocs and ttlIndexDeleteTargetTimeMS defaults).
 *
 * Invariants: `stop` under `lock`; the session and the job list are the thread's own; the
 * counters in the global segment (passes, subPasses, deletedDocuments) have this thread as
 * their only writer.
 */
#include "ttl.h"

#include "../common/bsoncmp.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "../common/storeop.h"
#include "../common/ttl.h"
#include "ops.h"
#include "store.h"
#include "storereq.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define TTL_BATCH_DOCS 500    /* documents per IXSCAN */
#define TTL_TARGET_DOCS 50000 /* per index and sub-pass, then the others get a turn */
#define TTL_TARGET_MS 1000    /* likewise, in time */

/* One TTL index to delete by, copied out of the catalog for one sub-pass. */
typedef struct job {
    char *ns, *index;
    int64_t secs;
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond; /* on CLOCK_MONOTONIC: made by ms_ttl_start */
static bool running, stop;
static pthread_t thread;
static WT_SESSION *session;

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
stopping(void)
{
    bool s;

    pthread_mutex_lock(&lock);
    s = stop;
    pthread_mutex_unlock(&lock);
    return s;
}

/* wait_interval -- sleep until start + ttlMonitorSleepSecs (read again on every wake-up);
 * false when the monitor is stopping. */
static bool
wait_interval(int64_t start)
{
    sdb_global_t *g = ms_store_global();
    struct timespec ts;
    int64_t deadline;
    bool go_on;

    pthread_mutex_lock(&lock);
    for (;;) {
        deadline = start + atomic_load(&g->ttl_sleep_secs) * 1000;
        if (stop || mono_ms() >= deadline)
            break;
        ts.tv_sec = deadline / 1000;
        ts.tv_nsec = (deadline % 1000) * 1000000;
        pthread_cond_timedwait(&cond, &lock, &ts);
    }
    go_on = !stop;
    pthread_mutex_unlock(&lock);
    return go_on;
}

/* ---- one sub-pass ---------------------------------------------------------------------- */

/* collect_jobs -- every TTL index the monitor deletes by, copied (caller frees). */
static job_t *
collect_jobs(size_t *n)
{
    job_t *jobs = NULL;
    size_t i, k, cap = 0;
    int64_t secs;

    *n = 0;
    ms_catalog_rdlock();
    for (i = 0; i < ms_catalog_count_locked(); i++) {
        const ms_coll_t *c = ms_catalog_at_locked(i);
        if (c->capped != NULL || c->creator != NULL)
            continue;
        for (k = 0; k < c->nidx; k++) {
            if (k == 0 ? !sdb_ttl_clustered_secs(c->idx[0].spec, &secs)
                       : !sdb_ttl_spec_secs(c->idx[k].spec, &secs))
                continue;
            if (*n == cap) {
                cap = cap == 0 ? 8 : cap * 2;
                jobs = bson_realloc(jobs, cap * sizeof(*jobs));
            }
            jobs[*n].ns = bson_strdup(c->ns);
            jobs[*n].index = bson_strdup(c->idx[k].name);
            jobs[(*n)++].secs = secs;
        }
    }
    ms_catalog_unlock();
    return jobs;
}

static void
free_jobs(job_t *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bson_free(jobs[i].ns);
        bson_free(jobs[i].index);
    }
    bson_free(jobs);
}

/* scan_request -- IXSCAN of j's index over the dates up to `cutoff`, after `resume`. */
static void
scan_request(const job_t *j, int64_t cutoff, const bson_value_t *resume, bson_t *req)
{
    bson_t ranges, r, b;

    BSON_APPEND_UTF8(req, "ns", j->ns);
    BSON_APPEND_UTF8(req, "index", j->index);
    BSON_APPEND_ARRAY_BEGIN(req, "ranges", &ranges);
    BSON_APPEND_DOCUMENT_BEGIN(&ranges, "0", &r);
    BSON_APPEND_DOCUMENT_BEGIN(&r, "lo", &b);
    BSON_APPEND_DATE_TIME(&b, "0", INT64_MIN); /* mongod's kDawnOfTime */
    bson_append_document_end(&r, &b);
    BSON_APPEND_DOCUMENT_BEGIN(&r, "hi", &b);
    BSON_APPEND_DATE_TIME(&b, "0", cutoff);
    bson_append_document_end(&r, &b);
    BSON_APPEND_BOOL(&r, "loIncl", true);
    BSON_APPEND_BOOL(&r, "hiIncl", true);
    bson_append_document_end(&ranges, &r);
    bson_append_array_end(req, &ranges);
    BSON_APPEND_INT32(req, "dir", 1);
    BSON_APPEND_INT64(req, "limit", TTL_BATCH_DOCS);
    if (resume->value_type != BSON_TYPE_EOD)
        BSON_APPEND_VALUE(req, "after", resume);
}

/* delete_one -- DELETE the scanned entry {r, d} if the record still holds d; *n counts. */
static int
delete_one(ms_ctx_t *ctx, const char *ns, const bson_iter_t *entry, int64_t *n)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    sdb_error_t err = {0};
    bson_iter_t e, it;
    int ret = 0;

    if (!bson_iter_recurse(entry, &e))
        return SDB_ECORRUPT;
    BSON_APPEND_UTF8(&req, "ns", ns);
    while (bson_iter_next(&e))
        bson_append_iter(&req, strcmp(bson_iter_key(&e), "d") == 0 ? "old" : "r", -1, &e);
    ret = ms_ops_dispatch(ctx, SDB_OP_DELETE, &req, &reply, &err);
    if (ret == SDB_ECLIENT)
        ret = 0; /* changed since the scan (112): the next sub-pass looks again */
    else if (ret == 0 && bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) > 0) {
        (*n)++;
        atomic_fetch_add(&ms_store_global()->ttl_deleted, 1);
    }
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* delete_batch -- one IXSCAN batch and its deletes; *eof at the end of the range, *resume the
 * position after the batch (caller destroys). */
static int
delete_batch(ms_ctx_t *ctx, const job_t *j, int64_t cutoff, bson_value_t *resume, int64_t *n,
             bool *eof)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    sdb_error_t err = {0};
    bson_iter_t it, docs;
    int ret;

    scan_request(j, cutoff, resume, &req);
    ret = ms_ops_dispatch(ctx, SDB_OP_IXSCAN, &req, &reply, &err);
    *eof = true;
    if (ret == SDB_ECLIENT)
        ret = 0; /* the index is gone (27): nothing left to do */
    if (ret == 0 && bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &docs))
        while (ret == 0 && bson_iter_next(&docs))
            ret = delete_one(ctx, j->ns, &docs, n);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "eof"))
        *eof = bson_iter_as_bool(&it);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "resume")) {
        bson_value_destroy(resume);
        bson_value_copy(bson_iter_value(&it), resume);
    }
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* expire_index -- delete what j's index says expired at `at`; *more when it yielded with
 * documents left (it deleted its share of the sub-pass). */
static int
expire_index(ms_ctx_t *ctx, const job_t *j, int64_t at, bool *more)
{
    bson_value_t resume = {.value_type = BSON_TYPE_EOD};
    int64_t start = mono_ms(), n = 0;
    bool eof = false;
    int ret = 0;

    while (ret == 0 && !eof && !stopping()) {
        ret = delete_batch(ctx, j, at - j->secs * 1000, &resume, &n, &eof);
        if (!eof && (n >= TTL_TARGET_DOCS || (n > 0 && mono_ms() - start >= TTL_TARGET_MS))) {
            *more = true;
            break;
        }
    }
    bson_value_destroy(&resume);
    return ret;
}

/* sub_pass -- every TTL index once; true when one of them yielded with work left. */
static bool
sub_pass(ms_ctx_t *ctx, int64_t at)
{
    size_t i, n;
    job_t *jobs = collect_jobs(&n);
    bool more = false;
    int ret;

    for (i = 0; i < n && !stopping(); i++)
        if ((ret = expire_index(ctx, &jobs[i], at, &more)) != 0)
            sdb_logf(SDB_LOG_W, "INDEX", 22537, "TTL deletes stopped for an index", "%s %s: %s",
                     jobs[i].ns, jobs[i].index, sdb_strerror(ret));
    free_jobs(jobs, n);
    atomic_fetch_add(&ms_store_global()->ttl_sub_passes, 1);
    return more;
}

static void *
monitor_main(void *arg)
{
    sdb_global_t *g = ms_store_global();
    ms_ctx_t ctx;
    int64_t at;

    SDB_UNUSED(arg);
    memset(&ctx, 0, sizeof(ctx));
    ctx.session = session;
    ctx.slot = -1;
    while (wait_interval(mono_ms())) {
        if (atomic_load(&g->ttl_monitor_enabled) == 0)
            continue;
        at = ms_now_ms();
        while (sub_pass(&ctx, at) && !stopping())
            ;
        atomic_fetch_add(&g->ttl_passes, 1);
    }
    return NULL;
}

int
ms_ttl_start(void)
{
    pthread_condattr_t ca;
    int ret;

    SDB_RET(ms_store_session_open(&session));
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &ca);
    pthread_condattr_destroy(&ca);
    stop = false;
    if ((ret = pthread_create(&thread, NULL, monitor_main, NULL)) != 0) {
        session->close(session, NULL);
        pthread_cond_destroy(&cond);
        return ret;
    }
    running = true;
    return 0;
}

void
ms_ttl_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stop = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    session->close(session, NULL);
    pthread_cond_destroy(&cond);
    running = false;
}

void
ms_ttl_wake(void)
{
    pthread_mutex_lock(&lock);
    if (running)
        pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* ---- collMod --------------------------------------------------------------------------- */

/* with_secs -- spec with expireAfterSeconds set to secs (in place, or appended), as int32. */
static bson_t *
with_secs(const bson_t *spec, int64_t secs)
{
    bson_t *out = bson_new();
    bson_iter_t it;
    bool set = false;

    bson_iter_init(&it, spec);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), SDB_TTL_FIELD) != 0) {
            bson_append_iter(out, bson_iter_key(&it), -1, &it);
        } else if (!set) {
            BSON_APPEND_INT32(out, SDB_TTL_FIELD, (int32_t)secs);
            set = true;
        }
    }
    if (!set)
        BSON_APPEND_INT32(out, SDB_TTL_FIELD, (int32_t)secs);
    return out;
}

/* old_secs -- what an existing TTL index expires after, for the reply: an invalid stored
 * value reads as 0 (mongod's collMod does the same). */
static int
old_secs(const ms_index_t *ix, ms_ttl_mod_t *mod, sdb_error_t *err)
{
    bson_iter_t it;
    bool nan;

    if (!bson_iter_init_find(&it, ix->spec, SDB_TTL_FIELD))
        return 0;
    if (!sdb_bson_safe_long(&it, &mod->old_secs, &nan))
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "existing expireAfterSeconds field is not a number");
    if (nan || sdb_ttl_check_secs(mod->old_secs) != NULL)
        mod->old_secs = 0;
    mod->had_old = true;
    return 0;
}

int
ms_ttl_index_mod_locked(const ms_coll_t *c, size_t pos, const bson_iter_t *secs, ms_ttl_mod_t *mod,
                        sdb_error_t *err)
{
    const char *why;
    bool nan;

    memset(mod, 0, sizeof(*mod));
    mod->pos = pos;
    if (!sdb_bson_safe_long(secs, &mod->new_secs, &nan))
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "expireAfterSeconds field must be a number");
    if (c->capped != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "TTL indexes are not supported for capped collections.");
    if ((why = sdb_ttl_check_secs(mod->new_secs)) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidOptions, "%s", why);
    SDB_RET(old_secs(&c->idx[pos], mod, err));
    if (!mod->had_old && pos == 0)
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "the _id field does not support TTL indexes");
    if (!mod->had_old && (why = sdb_ttl_check_key(c->idx[pos].key)) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidOptions, "%s", why);
    mod->spec = with_secs(c->idx[pos].spec, mod->new_secs);
    return 0;
}

int
ms_ttl_coll_mod_locked(const ms_coll_t *c, const bson_t *index, ms_ttl_mod_t *mod, sdb_error_t *err)
{
    const char *name;
    bson_iter_t secs;
    size_t pos;

    memset(mod, 0, sizeof(*mod));
    SDB_RET(ms_req_str(index, "name", false, &name, err));
    for (pos = 0; pos < c->nidx && strcmp(c->idx[pos].name, name) != 0; pos++)
        ;
    if (pos == c->nidx)
        return sdb_error_set(err, SDB_CODE_IndexNotFound, "cannot find index %s for ns %s", name,
                             c->ns);
    if (!bson_iter_init_find(&secs, index, SDB_TTL_FIELD))
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "expireAfterSeconds field must be a number");
    return ms_ttl_index_mod_locked(c, pos, &secs, mod, err);
}
