/*
 * src/master/failpoints.c -- FAILPOINT_SET / _GET / _FIRE: the failpoint table and its count-down.
 *
 * The table is data: one row per failpoint this server implements (failCommand, which the
 * worker's dispatcher evaluates, and onPrimaryTransactionalWrite, which retryable writes
 * evaluate before each recorded write: worker/engine/retry.c).  A row holds the mode (the numbers documented
 * in storeop.def), the remaining count of a times/skip mode, the activation probability,
 * the data document as the client gave it and how often the failpoint fired.  SET replaces a
 * row's mode and data (the fire count survives, as mongod's timesEntered does) and bumps
 * the global failpoint_version; FIRE decides one activation and counts it; a times mode that
 * reaches zero turns itself off and bumps the version too, so every worker's cache sees it.
 *
 * Invariants: the table and the failpoint_version word change only under `lock`, so a GET
 * returns a table together with the version it belongs to, and a FIRE naming an older
 * version is answered stale without touching anything.  The master never interprets the
 * data document; it only checks that it is one.  Service threads, concurrently.
 */
#include "failpoints.h"

#include "../common/sdb.h"
#include "store.h"
#include "storereq.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Modes, as numbered in storeop.def (FAILPOINT_SET). */
enum {
    FP_OFF = 0,
    FP_ALWAYS = 1,
    FP_TIMES = 2,
    FP_SKIP = 3,
    FP_PROB = 4,
    FP_MODE_MAX = 4
};

typedef struct fp {
    const char *name;
    int mode;
    int64_t n;    /* FP_TIMES: activations left; FP_SKIP: passes still to skip */
    double p;     /* FP_PROB: activation probability in [0, 1] */
    bson_t *data; /* the client's data document, or NULL */
    int64_t count;
} fp_t;

/* The failpoints this server implements. */
static fp_t table[] = {
    {"failCommand", FP_OFF, 0, 0.0, NULL, 0},
    {"onPrimaryTransactionalWrite", FP_OFF, 0, 0.0, NULL, 0},
    {"pauseJournalFlusherThread", FP_OFF, 0, 0.0, NULL, 0},
    {"failGetMoreAfterCursorCheckout", FP_OFF, 0, 0.0, NULL, 0},
    {"hangIndexBuildDuringCollectionScanPhaseBeforeInsertion", FP_OFF, 0, 0.0, NULL, 0},
    {"skipIndexNewRecords", FP_OFF, 0, 0.0, NULL, 0},               /* indexes.c: validate tests */
    {"skipUnindexingDocumentWhenDeleted", FP_OFF, 0, 0.0, NULL, 0}, /* indexes.c */
    {"corruptDocumentOnInsert", FP_OFF, 0, 0.0, NULL, 0},           /* records.c */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int seed; /* rand_r state for FP_PROB, under lock */

static fp_t *
find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* bump_locked -- publish a new table version. */
static void
bump_locked(void)
{
    atomic_fetch_add(&ms_store_global()->failpoint_version, 1);
}

/* Read {name} of a request, or set a BadValue error. */
static int
req_name(const bson_t *req, const char **name, sdb_error_t *err)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, req, "name") || !BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(err, SDB_CODE_BadValue, "failpoint request without a name");
    *name = bson_iter_utf8(&it, NULL);
    return 0;
}

/*
 * ms_failpoints_op_set --
 *     Configure one failpoint; reply with how often it had fired.
 */
int
ms_failpoints_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *name;
    bson_iter_t it;
    int64_t n = 0;
    double p = 0.0;
    int32_t mode;
    bson_t *data = NULL;
    const uint8_t *buf;
    uint32_t len;
    fp_t *fp;

    SDB_RET(req_name(req, &name, err));
    if ((fp = find(name)) == NULL)
        return sdb_error_set(err, SDB_CODE_FailPointSetFailed, "%s not found", name);
    if (!bson_iter_init_find(&it, req, "mode") || !BSON_ITER_HOLDS_INT32(&it) ||
        (mode = bson_iter_int32(&it)) < FP_OFF || mode > FP_MODE_MAX)
        return sdb_error_set(err, SDB_CODE_BadValue, "bad failpoint mode");
    if (bson_iter_init_find(&it, req, "n") && BSON_ITER_HOLDS_INT64(&it))
        n = bson_iter_int64(&it);
    if (bson_iter_init_find(&it, req, "p") && BSON_ITER_HOLDS_DOUBLE(&it))
        p = bson_iter_double(&it);
    if (n < 0 || !(p >= 0.0 && p <= 1.0))
        return sdb_error_set(err, SDB_CODE_BadValue, "bad failpoint count or probability");
    if (bson_iter_init_find(&it, req, "data")) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch, "failpoint data must be an object");
        bson_iter_document(&it, &len, &buf);
        if ((data = bson_new_from_data(buf, len)) == NULL)
            return sdb_error_set(err, SDB_CODE_InvalidBSON, "failpoint data is not valid BSON");
    }
    pthread_mutex_lock(&lock);
    BSON_APPEND_INT64(reply, "count", fp->count);
    if (fp->data != NULL)
        bson_destroy(fp->data);
    fp->mode = mode;
    fp->n = n;
    fp->p = p;
    fp->data = data;
    bump_locked();
    pthread_mutex_unlock(&lock);
    return 0;
}

/*
 * ms_failpoints_op_get --
 *     The whole table with the version it belongs to.
 */
int
ms_failpoints_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t arr, one;
    char key[16];
    size_t i;

    pthread_mutex_lock(&lock);
    BSON_APPEND_INT64(reply, "version",
                      (int64_t)atomic_load(&ms_store_global()->failpoint_version));
    BSON_APPEND_ARRAY_BEGIN(reply, "failpoints", &arr);
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        snprintf(key, sizeof(key), "%zu", i);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &one);
        BSON_APPEND_UTF8(&one, "name", table[i].name);
        BSON_APPEND_INT32(&one, "mode", table[i].mode);
        BSON_APPEND_INT64(&one, "n", table[i].n);
        BSON_APPEND_DOUBLE(&one, "p", table[i].p);
        if (table[i].data != NULL)
            BSON_APPEND_DOCUMENT(&one, "data", table[i].data);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(reply, &arr);
    pthread_mutex_unlock(&lock);
    return 0;
}

/* decide_locked -- whether this pass activates fp; counts it down. */
static bool
decide_locked(fp_t *fp)
{
    switch (fp->mode) {
    case FP_ALWAYS:
        return true;
    case FP_TIMES:
        if (fp->n <= 0)
            return false;
        if (--fp->n == 0) {
            fp->mode = FP_OFF;
            bump_locked();
        }
        return true;
    case FP_SKIP:
        if (fp->n <= 0)
            return true;
        fp->n--;
        return false;
    case FP_PROB:
        if (seed == 0)
            seed = (unsigned int)ms_now_ms() ^ (unsigned int)getpid();
        return (double)rand_r(&seed) / ((double)RAND_MAX + 1.0) < fp->p;
    default:
        return false;
    }
}

/*
 * ms_failpoints_op_fire --
 *     Decide one activation of a failpoint for a worker whose table is at `version`.
 */
int
ms_failpoints_op_fire(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *name;
    bson_iter_t it;
    bool stale, fire = false;
    fp_t *fp;

    SDB_RET(req_name(req, &name, err));
    if ((fp = find(name)) == NULL)
        return sdb_error_set(err, SDB_CODE_FailPointSetFailed, "%s not found", name);
    if (!bson_iter_init_find(&it, req, "version") || !BSON_ITER_HOLDS_INT64(&it))
        return sdb_error_set(err, SDB_CODE_BadValue, "FAILPOINT_FIRE without a version");
    pthread_mutex_lock(&lock);
    stale = (uint64_t)bson_iter_int64(&it) != atomic_load(&ms_store_global()->failpoint_version);
    if (!stale && (fire = decide_locked(fp)))
        fp->count++;
    pthread_mutex_unlock(&lock);
    BSON_APPEND_BOOL(reply, "fire", fire);
    BSON_APPEND_BOOL(reply, "stale", stale);
    return 0;
}

/*
 * ms_failpoints_fire --
 *     Decide one activation of a failpoint the master itself applies.
 */
bool
ms_failpoints_fire(const char *name, bson_t *data)
{
    fp_t *fp = find(name);
    bool fire = false;

    bson_init(data);
    /* off is the common case on every write path: no lock for it (a change racing this read
     * is seen by the next call) */
    if (fp == NULL || __atomic_load_n(&fp->mode, __ATOMIC_RELAXED) == FP_OFF)
        return false;
    pthread_mutex_lock(&lock);
    if ((fire = decide_locked(fp))) {
        fp->count++;
        if (fp->data != NULL)
            bson_concat(data, fp->data);
    }
    pthread_mutex_unlock(&lock);
    return fire;
}
