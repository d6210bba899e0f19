/*
 * src/master/profile.c -- PROFILE_SET: change the profiler's level, slowms, sampleRate and
 * filter.
 *
 * The worker's profile command checks the client's values; this handler applies them: the
 * database's row of the global segment's profile table (claimed on first use; a row is never
 * given back, so a reader's index stays valid) is rewritten under its seqlock, so a worker
 * never reads a torn level-and-filter pair.  The reply carries the settings it replaced, which
 * are what mongod's profile command answers (`was`, slowms, sampleRate, filter).
 *
 * Invariants: the master is the only writer of every profile_* field; `lock` orders service
 * threads that change them at once.
 */
#include "profile.h"

#include "../common/sdb.h"
#include "store.h"
#include "storereq.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void
ms_profile_publish(const sdb_config_t *cfg, sdb_global_t *g)
{
    atomic_store(&g->profile_slowms, cfg->slow_ms);
    atomic_store(&g->profile_sample_ppm, 1000000);
    atomic_store(&g->profile_default_level, cfg->profile);
}

/* row_locked -- db's row, claimed when `claim` and it has none; NULL when the table is full
 * (or db has no row and claim is false). */
static sdb_profile_db_t *
row_locked(sdb_global_t *g, const char *db, bool claim)
{
    for (int i = 0; i < SDB_PROFILE_DBS; i++) {
        sdb_profile_db_t *p = &g->profile[i];

        if (p->used && strcmp(p->db, db) == 0)
            return p;
        if (!p->used && claim) {
            atomic_fetch_add(&p->seq, 1);
            snprintf(p->db, sizeof(p->db), "%s", db);
            p->level = atomic_load(&g->profile_default_level);
            p->filter_len = 0;
            p->used = 1;
            atomic_fetch_add(&p->seq, 1);
            return p;
        }
    }
    return NULL;
}

/* append_was -- the settings in force before the change. */
static void
append_was(sdb_global_t *g, const sdb_profile_db_t *p, bson_t *reply)
{
    bson_t f;

    BSON_APPEND_INT32(reply, "was", p != NULL ? p->level : atomic_load(&g->profile_default_level));
    BSON_APPEND_INT64(reply, "slowms", atomic_load(&g->profile_slowms));
    BSON_APPEND_DOUBLE(reply, "sampleRate", (double)atomic_load(&g->profile_sample_ppm) / 1e6);
    if (p != NULL && p->filter_len > 0 && bson_init_static(&f, p->filter, p->filter_len))
        BSON_APPEND_DOCUMENT(reply, "filter", &f);
}

/* apply_locked -- write the new level and filter into db's row. */
static int
apply_locked(sdb_profile_db_t *p, int64_t level, const bson_t *req, sdb_error_t *err)
{
    bson_iter_t it;
    const uint8_t *data = NULL;
    uint32_t len = 0;
    bool set_filter = bson_iter_init_find(&it, req, "filter");

    if (set_filter && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        if (len > SDB_PROFILE_FILTER_MAX)
            return sdb_error_set(err, SDB_CODE_BadValue, "profile filter is larger than %d bytes",
                                 SDB_PROFILE_FILTER_MAX);
    }
    atomic_fetch_add(&p->seq, 1);
    if (level >= 0)
        p->level = (int32_t)level;
    if (set_filter) { /* a document sets it, anything else ("unset") clears it */
        p->filter_len = len;
        if (len > 0)
            memcpy(p->filter, data, len);
    }
    atomic_fetch_add(&p->seq, 1);
    return 0;
}

int
ms_profile_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    sdb_global_t *g = ms_store_global();
    sdb_profile_db_t *p;
    const char *db;
    int64_t level, slowms, ppm;
    bool has_slowms, has_ppm, change;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    SDB_RET(ms_req_str(req, "db", false, &db, err));
    SDB_RET(ms_req_int64(req, "level", -1, &level, NULL, err));
    SDB_RET(ms_req_int64(req, "slowms", 0, &slowms, &has_slowms, err));
    SDB_RET(ms_req_int64(req, "samplePpm", 0, &ppm, &has_ppm, err));
    change = level >= 0 || bson_iter_init_find(&it, req, "filter");
    pthread_mutex_lock(&lock);
    p = row_locked(g, db, change);
    append_was(g, p, reply);
    if (change && p == NULL)
        ret = sdb_error_set(err, SDB_CODE_BadValue, "profiling is set on too many databases (%d)",
                            SDB_PROFILE_DBS);
    else if (change)
        ret = apply_locked(p, level, req, err);
    if (ret == 0 && has_slowms)
        atomic_store(&g->profile_slowms, slowms);
    if (ret == 0 && has_ppm)
        atomic_store(&g->profile_sample_ppm, ppm);
    pthread_mutex_unlock(&lock);
    return ret;
}
