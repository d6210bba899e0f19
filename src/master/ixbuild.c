/*
 * src/master/ixbuild.c -- index builds over existing data, off the channel and the lock.
 *
 * ms_ixbuild_start (a service thread, exclusive lock) creates each new index's table and its
 * side-writes table (`table:ixside-<n>`, record number -> change), registers the index in
 * c->bld, parks the request and queues the build on the bounded pool (ixpool.h: at most
 * maxNumActiveUserIndexBuilds run, the others wait for a slot and say so in mongod's log
 * line 4715500).  From then on every writer
 * (indexes.c, shared lock) appends its entry changes for a building index to the side table
 * inside its own transaction, so a change is logged exactly when it commits, and two changes
 * of one record are logged in their commit order (a record's writers conflict in WiredTiger,
 * so the later one starts after the earlier commits and takes a larger record number).
 *
 * The pool thread counts the collection's records (the progress meter's total), then scans
 * it in record-id order, BUILD_BATCH records per snapshot
 * transaction under the shared lock (writers run between batches), writing each record's
 * entries straight into the index table.  Then, under the exclusive lock, it replays the
 * side table in order over them.  Replaying is correct whatever snapshot a record was
 * scanned at: each side change sets one entry present or absent, and the last change of an
 * entry wins; an entry with no change kept its presence since registration, which is what
 * the scan saw.  A unique index refuses a replayed key another record holds (11000).  Then
 * the index joins c->idx, the catalog row and the oplog entry are written and the catalog
 * version is bumped; on any failure the tables are dropped and nothing is recorded.
 *
 * The build looks its collection up again (by namespace and UUID) at every batch: a dropped
 * collection aborts it (IndexBuildAborted); killOp of the createIndexes operation (or of the
 * build's own opid), read from the global segment's kill ring, interrupts it (Interrupted),
 * as shutdown does (InterruptedAtShutdown).  dropIndexes of a building index, dropIndexes
 * "*", drop and dropDatabase mark the build aborted (ms_ixbuild_abort_*), as mongod 7.0
 * does: its indexes leave c->bld at once and the build, even one a failpoint holds, stops at
 * its next check with IndexBuildAborted and the aborting command's reason.
 *
 * currentOp: a running build owns a row of the global segment's ixbuilds (global.h) and
 * rewrites its phase (scan, drain of the side writes) and progress {done, total} after
 * every batch; workers show it as mongod's IndexBuildsCoordinatorMongod-<thread> entry.
 *
 * Invariants: c->bld changes under the exclusive lock; a build owns its ms_index_t structs
 * until they join c->idx; `builds`, `stopping`, the claiming of rows and `self_counter` under
 * `lock` (taken after the catalog lock, never before); `aborted` is set once, after
 * abort_msg, and read without a lock.  A side record is
 * [op 1][rid 8][key length 4][key][value], native byte order (it never leaves this process's
 * lifetime: a restart drops orphaned tables, catalog.c).
 */
#include "ixbuild.h"

#include "../common/global.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "failpoints.h"
#include "indexes.h"
#include "ixpool.h"
#include "service.h"
#include "store.h"
#include "storereq.h"
#include "tablecfg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define BUILD_BATCH 500
#define SIDE_HDR 13
#define HANG_FAILPOINT "hangIndexBuildDuringCollectionScanPhaseBeforeInsertion"
#define HANG_PAUSE_US 10000
#define ABORT_MSG_MAX 256
#define SELF_OPID_TAG 0x7F /* a build's own opids: above every worker slot (op_registry.h) */

typedef struct build {
    char *ns;
    uint8_t uuid[16];
    ms_index_t **ix; /* owned until published */
    size_t n;
    ms_later_t *p;
    WT_SESSION *s;
    int64_t last;      /* record id scanned last */
    int64_t opid;      /* the createIndexes operation (killOp names it), 0 if none */
    uint64_t kill_seq; /* the global kill ring's position when it started */
    bool started;      /* a record was scanned */
    int64_t self_opid; /* the build's own operation (currentOp, killOp), 0 before it runs */
    uint64_t self_kill_seq;
    int slot;            /* its row in the global segment's ixbuilds, or -1 */
    int64_t done, total; /* progress of the phase running */
    _Atomic int aborted; /* 1 once abort_msg is set: dropIndexes, dropDatabase, drop */
    char abort_msg[ABORT_MSG_MAX];
    struct build *next; /* in `builds`, under `lock` */
} build_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static build_t *builds; /* every build from start to end, under `lock` */
static bool stopping;
static uint32_t self_counter;

/* ---- currentOp: the build's row in the global segment ---------------------------------- */

/* slot_write -- rewrite b's row under its seqlock: phase, done, total (b->done, b->total). */
static void
slot_write(const build_t *b, int phase)
{
    sdb_global_t *g = ms_store_global();
    sdb_ixbuild_slot_t *r;

    if (b->slot < 0 || g == NULL)
        return;
    r = &g->ixbuilds[b->slot];
    atomic_fetch_add(&r->seq, 1); /* odd: being written */
    r->phase = phase;
    r->done = b->done;
    r->total = b->total;
    atomic_fetch_add(&r->seq, 1);
}

/* slot_cmd -- the build's command as mongod's builder shows it: {createIndexes, indexes}. */
static void
slot_cmd(const build_t *b, bson_t *cmd)
{
    const char *dot = strchr(b->ns, '.');
    bson_t arr;
    char key[16];
    const char *k;

    BSON_APPEND_UTF8(cmd, "createIndexes", dot != NULL ? dot + 1 : b->ns);
    BSON_APPEND_ARRAY_BEGIN(cmd, "indexes", &arr);
    for (size_t i = 0; i < b->n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT(&arr, k, b->ix[i]->spec);
    }
    bson_append_array_end(cmd, &arr);
}

/* slot_open -- give the build, now running on pool thread `thread`, its own opid and a row
 * (none when every row is taken: it then runs unlisted). */
static void
slot_open(build_t *b, int thread)
{
    sdb_global_t *g = ms_store_global();
    bson_t cmd = BSON_INITIALIZER;
    sdb_ixbuild_slot_t *r;
    struct timeval tv;

    pthread_mutex_lock(&lock);
    self_counter = (self_counter + 1) & 0xFFFFFFu;
    b->self_opid = (int64_t)((uint32_t)SELF_OPID_TAG << 24 | self_counter);
    b->slot = -1;
    for (int i = 0; g != NULL && i < SDB_IXBUILDS_LISTED && b->slot < 0; i++)
        if (!g->ixbuilds[i].active)
            b->slot = i;
    if (g != NULL)
        b->self_kill_seq = atomic_load(&g->op_kill_seq);
    if (b->slot < 0) {
        pthread_mutex_unlock(&lock);
        return;
    }
    r = &g->ixbuilds[b->slot];
    slot_cmd(b, &cmd);
    gettimeofday(&tv, NULL);
    atomic_fetch_add(&r->seq, 1);
    r->opid = b->self_opid;
    r->start_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    r->thread = thread;
    r->phase = SDB_IXPHASE_SCAN;
    r->done = r->total = 0;
    snprintf(r->ns, sizeof(r->ns), "%s", b->ns);
    r->cmd_len = cmd.len <= SDB_OP_CMD_MAX ? cmd.len : 0;
    if (r->cmd_len > 0)
        memcpy(r->cmd, bson_get_data(&cmd), cmd.len);
    r->active = 1;
    atomic_fetch_add(&r->seq, 1);
    pthread_mutex_unlock(&lock);
    bson_destroy(&cmd);
}

/* slot_close -- the build ended: free its row. */
static void
slot_close(build_t *b)
{
    sdb_global_t *g = ms_store_global();
    sdb_ixbuild_slot_t *r;

    if (b->slot < 0 || g == NULL)
        return;
    r = &g->ixbuilds[b->slot];
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&r->seq, 1);
    r->active = 0;
    atomic_fetch_add(&r->seq, 1);
    pthread_mutex_unlock(&lock);
    b->slot = -1;
}

/* count_table -- the records of table uri (a snapshot walk; the progress meter's total). */
static int
count_table(WT_SESSION *s, const char *uri, int64_t *n)
{
    WT_CURSOR *cur = NULL;
    int ret;

    *n = 0;
    SDB_RET(s->open_cursor(s, uri, NULL, NULL, &cur));
    while ((ret = cur->next(cur)) == 0)
        (*n)++;
    if (ret == WT_NOTFOUND)
        ret = 0;
    SDB_TRET(cur->close(cur));
    return ret;
}

/* ---- side writes ----------------------------------------------------------------------- */

int
ms_ixbuild_side_put(WT_CURSOR *side, sdb_keybuf_t *rec, int remove, int64_t rid, const WT_ITEM *k,
                    const WT_ITEM *v)
{
    uint32_t klen = (uint32_t)k->size;
    size_t need = SIDE_HDR + k->size + v->size;
    WT_ITEM r;

    if (rec->cap < need) {
        rec->cap = need * 2;
        rec->data = bson_realloc(rec->data, rec->cap);
    }
    rec->data[0] = remove ? 1 : 0;
    memcpy(rec->data + 1, &rid, 8);
    memcpy(rec->data + 9, &klen, 4);
    memcpy(rec->data + SIDE_HDR, k->data, k->size);
    if (v->size > 0)
        memcpy(rec->data + SIDE_HDR + k->size, v->data, v->size);
    rec->len = need;
    r.data = rec->data;
    r.size = need;
    side->set_value(side, &r);
    return side->insert(side);
}

/* replay_unique -- one side change on a unique index (cursor overwrite=false): a removal
 * removes the key only while it still names rid; an insertion of a key another record holds
 * is a duplicate. */
static int
replay_unique(WT_CURSOR *cur, const ms_coll_t *c, const ms_index_t *ix, int remove, int64_t rid,
              WT_ITEM *k, WT_ITEM *v, bson_t *info, sdb_error_t *err)
{
    WT_ITEM old;
    int ret;

    cur->set_key(cur, k);
    if (!remove) {
        cur->set_value(cur, v);
        if ((ret = cur->insert(cur)) != WT_DUPLICATE_KEY)
            return ret;
        cur->set_key(cur, k);
    }
    if ((ret = cur->search(cur)) != 0)
        return ret == WT_NOTFOUND && remove ? 0 : ret;
    SDB_RET(cur->get_value(cur, &old));
    if (old.size < 8 || sdb_keyenc_decode_rid(old.data, old.size) != rid)
        return remove ? 0 : ms_indexes_dup_error(c, ix, k->data, k->size, info, err);
    if (remove)
        return cur->remove(cur);
    cur->set_value(cur, v);
    return cur->update(cur);
}

/* replay_one -- apply side record `r` to ix through cur. */
static int
replay_one(WT_CURSOR *cur, const ms_coll_t *c, const ms_index_t *ix, const WT_ITEM *r, bson_t *info,
           sdb_error_t *err)
{
    const uint8_t *d = r->data;
    uint32_t klen;
    int64_t rid;
    WT_ITEM k, v;
    int ret;

    if (r->size < SIDE_HDR)
        return SDB_ECORRUPT;
    memcpy(&rid, d + 1, 8);
    memcpy(&klen, d + 9, 4);
    if (klen > r->size - SIDE_HDR)
        return SDB_ECORRUPT;
    k.data = d + SIDE_HDR;
    k.size = klen;
    v.data = d + SIDE_HDR + klen;
    v.size = r->size - SIDE_HDR - klen;
    if (ix->unique)
        return replay_unique(cur, c, ix, d[0], rid, &k, &v, info, err);
    cur->set_key(cur, &k);
    if (d[0]) {
        ret = cur->remove(cur);
        return ret == WT_NOTFOUND ? 0 : ret;
    }
    cur->set_value(cur, &v);
    return cur->insert(cur);
}

/* replay -- apply ix's side table in order, in transactions of BUILD_BATCH changes
 * (exclusive lock held: no writer appends meanwhile). */
static int
replay(build_t *b, const ms_coll_t *c, const ms_index_t *ix, bson_t *info, sdb_error_t *err)
{
    WT_SESSION *s = b->s;
    WT_CURSOR *side = NULL, *cur = NULL;
    WT_ITEM r;
    int ret = 0, n = 0, in_txn = 0;

    SDB_ERR(count_table(s, ix->side, &b->total));
    b->done = 0;
    slot_write(b, SDB_IXPHASE_DRAIN);
    SDB_ERR(s->open_cursor(s, ix->side, NULL, NULL, &side));
    SDB_ERR(s->open_cursor(s, ix->uri, NULL, ix->unique ? "overwrite=false" : NULL, &cur));
    while ((ret = side->next(side)) == 0) {
        if (!in_txn) {
            SDB_ERR(s->begin_transaction(s, NULL));
            in_txn = 1;
        }
        SDB_ERR(side->get_value(side, &r));
        SDB_ERR(replay_one(cur, c, ix, &r, info, err));
        b->done++;
        if (++n % BUILD_BATCH == 0) {
            in_txn = 0;
            SDB_ERR(s->commit_transaction(s, NULL));
            slot_write(b, SDB_IXPHASE_DRAIN);
        }
    }
    if (ret == WT_NOTFOUND)
        ret = 0;
    if (ret == 0 && in_txn) {
        in_txn = 0;
        ret = s->commit_transaction(s, NULL);
    }
err:
    if (in_txn)
        s->rollback_transaction(s, NULL);
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    if (side != NULL)
        SDB_TRET(side->close(side));
    return ret;
}

/* ---- the scan -------------------------------------------------------------------------- */

/* find_locked -- b's collection, unless dropped (or dropped and created again). */
static ms_coll_t *
find_locked(const build_t *b)
{
    ms_coll_t *c = ms_catalog_find_locked(b->ns);

    return c != NULL && memcmp(c->uuid, b->uuid, 16) == 0 ? c : NULL;
}

/* is_stopping -- ms_ixbuild_stop was called. */
static bool
is_stopping(void)
{
    bool stop;

    pthread_mutex_lock(&lock);
    stop = stopping;
    pthread_mutex_unlock(&lock);
    return stop;
}

/* killed -- killOp named b's operation (the global segment's kill ring, global.h). */
static bool
killed(const build_t *b)
{
    sdb_global_t *g = ms_store_global();

    return sdb_global_op_killed(g, b->opid, b->kill_seq) ||
           sdb_global_op_killed(g, b->self_opid, b->self_kill_seq);
}

/* hang -- mongod's hangIndexBuildDuringCollectionScanPhaseBeforeInsertion, before a batch
 * (no lock held): wait while it fires (tests hold a build mid-scan with it). */
static void
hang(const build_t *b)
{
    bson_t data;
    bool on;

    do {
        on = ms_failpoints_fire(HANG_FAILPOINT, &data);
        bson_destroy(&data);
        if (on)
            usleep(HANG_PAUSE_US);
    } while (on && !is_stopping() && !killed(b) && !atomic_load(&b->aborted));
}

/* interrupted -- the reason the build must stop now, as a client error, or 0. */
static int
interrupted(const build_t *b, const ms_coll_t *c, sdb_error_t *err)
{
    if (atomic_load(&b->aborted))
        return sdb_error_set(err, SDB_CODE_IndexBuildAborted, "%s", b->abort_msg);
    if (killed(b))
        return sdb_error_set(err, SDB_CODE_Interrupted, "operation was interrupted");
    if (is_stopping())
        return sdb_error_set(err, SDB_CODE_InterruptedAtShutdown, "interrupted at shutdown");
    if (c == NULL)
        return sdb_error_set(err, SDB_CODE_IndexBuildAborted,
                             "Index build aborted: collection %s dropped", b->ns);
    return 0;
}

/* scan_batch_locked -- index the next BUILD_BATCH records after b->last in one snapshot
 * transaction (shared lock held); *done when the collection ends. */
static int
scan_batch_locked(build_t *b, const ms_coll_t *c, bool *done, bson_t *info, sdb_error_t *err)
{
    WT_SESSION *s = b->s;
    WT_CURSOR *cur = NULL;
    WT_ITEM v;
    bson_t doc;
    int64_t rid;
    int ret = 0, exact = 0, n = 0;

    SDB_ERR(s->open_cursor(s, c->uri, NULL, NULL, &cur));
    SDB_ERR(s->begin_transaction(s, "isolation=snapshot"));
    if (b->started) {
        cur->set_key(cur, b->last);
        ret = cur->search_near(cur, &exact);
        if (ret == 0 && exact <= 0)
            ret = cur->next(cur);
    } else {
        ret = cur->next(cur);
    }
    for (; ret == 0 && n < BUILD_BATCH; n++) {
        SDB_ERR(cur->get_key(cur, &rid));
        SDB_ERR(cur->get_value(cur, &v));
        if (!bson_init_static(&doc, v.data, v.size))
            SDB_ERR(SDB_ECORRUPT);
        for (size_t i = 0; i < b->n; i++)
            SDB_ERR(ms_indexes_build_doc(s, c, b->ix[i], &doc, rid, info, err));
        b->last = rid;
        b->started = true;
        b->done++;
        if (n + 1 < BUILD_BATCH)
            ret = cur->next(cur);
    }
    *done = ret == WT_NOTFOUND;
    if (ret == WT_NOTFOUND)
        ret = 0;
    SDB_ERR(ret);
    ret = s->commit_transaction(s, NULL);
    SDB_TRET(cur->close(cur));
    return ret;
err:
    s->rollback_transaction(s, NULL);
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    return ret;
}

/* scan -- every record's entries into the new tables, batch by batch. */
static int
scan(build_t *b, bson_t *info, sdb_error_t *err)
{
    bool done = false;
    ms_coll_t *c;
    int ret = 0;

    ms_catalog_rdlock();
    c = find_locked(b);
    if ((ret = interrupted(b, c, err)) == 0 && (ret = b->s->begin_transaction(b->s, NULL)) == 0) {
        ret = count_table(b->s, c->uri, &b->total);
        b->s->rollback_transaction(b->s, NULL);
    }
    ms_catalog_unlock();
    slot_write(b, SDB_IXPHASE_SCAN);
    while (!done && ret == 0) {
        hang(b);
        ms_catalog_rdlock();
        c = find_locked(b);
        if ((ret = interrupted(b, c, err)) == 0)
            ret = scan_batch_locked(b, c, &done, info, err);
        ms_catalog_unlock();
        if (b->done > b->total) /* records inserted meanwhile */
            b->total = b->done;
        slot_write(b, SDB_IXPHASE_SCAN);
    }
    return ret;
}

/* ---- end of a build -------------------------------------------------------------------- */

/* unregister_locked -- take b's indexes out of c->bld. */
static void
unregister_locked(const build_t *b, ms_coll_t *c)
{
    size_t kept = 0;

    for (size_t i = 0; i < c->nbld; i++) {
        bool ours = false;
        for (size_t j = 0; j < b->n; j++)
            ours = ours || c->bld[i] == b->ix[j];
        if (!ours)
            c->bld[kept++] = c->bld[i];
    }
    c->nbld = kept;
}

/* publish_locked -- replay the side tables, move the indexes into c->idx and record them
 * (catalog row, one oplog entry each); on failure c->idx is as before. */
static int
publish_locked(build_t *b, ms_coll_t *c, bson_t *reply, sdb_error_t *err)
{
    size_t before = c->nidx;
    const char *coll = strchr(c->ns, '.') + 1;
    bson_t o;
    int ret = 0;

    for (size_t i = 0; i < b->n; i++)
        SDB_RET(replay(b, c, b->ix[i], reply, err));
    unregister_locked(b, c);
    c->idx = bson_realloc(c->idx, (c->nidx + b->n) * sizeof(*c->idx));
    for (size_t i = 0; i < b->n; i++) {
        ms_catalog_drop_table(b->s, b->ix[i]->side);
        b->ix[i]->side[0] = '\0';
        c->idx[c->nidx++] = *b->ix[i];
    }
    for (size_t i = before; i < c->nidx && ret == 0; i++) {
        bson_init(&o);
        BSON_APPEND_UTF8(&o, "createIndexes", coll);
        bson_concat(&o, c->idx[i].spec);
        ret = ms_catalog_log_ddl_locked(b->s, NULL, c, i == before, &o);
        bson_destroy(&o);
    }
    if (ret != 0) {
        c->nidx = before; /* back to b, which drops them */
        return ret;
    }
    for (size_t i = 0; i < b->n; i++) {
        bson_free(b->ix[i]);
        b->ix[i] = NULL;
    }
    b->n = 0;
    ms_store_bump_catalog();
    BSON_APPEND_INT32(reply, "numIndexesBefore", (int32_t)before);
    BSON_APPEND_INT32(reply, "numIndexesAfter", (int32_t)c->nidx);
    BSON_APPEND_BOOL(reply, "createdCollectionAutomatically", false);
    return 0;
}

/* build_free -- drop what b still owns (tables of an unpublished build, its structs). */
static void
build_free(build_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->s != NULL) {
            if (b->ix[i]->side[0] != '\0')
                ms_catalog_drop_table(b->s, b->ix[i]->side);
            ms_catalog_drop_table(b->s, b->ix[i]->uri); /* never created: ENOENT, ignored */
        }
        ms_catalog_index_free(b->ix[i]);
        bson_free(b->ix[i]);
    }
    bson_free(b->ix);
    bson_free(b->ns);
    if (b->s != NULL)
        b->s->close(b->s, NULL);
    bson_free(b);
}

/* unlink -- take b out of `builds`. */
static void
unlink_build(build_t *b)
{
    pthread_mutex_lock(&lock);
    for (build_t **pp = &builds; *pp != NULL; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    pthread_mutex_unlock(&lock);
}

/* build_run -- the pool job: scan, publish or fail, answer the request. */
static void
build_run(void *arg, int thread)
{
    build_t *b = arg;
    sdb_error_t err;
    bson_t reply = BSON_INITIALIZER;
    ms_later_t *p = b->p;
    ms_coll_t *c;
    int ret;

    memset(&err, 0, sizeof(err));
    slot_open(b, thread);
    ret = scan(b, &reply, &err);
    ms_catalog_wrlock();
    c = find_locked(b);
    if (ret == 0)
        ret = interrupted(b, c, &err);
    if (ret == 0)
        ret = publish_locked(b, c, &reply, &err);
    if (ret != 0 && c != NULL)
        unregister_locked(b, c);
    else if (ret != 0) /* renamed: the collection under another name may still hold them */
        for (size_t i = 0; i < ms_catalog_count_locked(); i++)
            unregister_locked(b, ms_catalog_at_locked(i));
    slot_close(b);
    unlink_build(b);
    build_free(b); /* drops the tables of a failed build, under the lock as drops run */
    ms_catalog_unlock();
    if (ret != 0 && ret != SDB_ECLIENT)
        sdb_logf(SDB_LOG_W, "INDEX", 20649, "Index build failed", "%s",
                 ret < -31000 ? wiredtiger_strerror(ret) : sdb_strerror(ret));
    ms_service_answer(p, ret, &reply, &err);
    bson_destroy(&reply);
}

/* ---- start and stop -------------------------------------------------------------------- */

/* register_locked -- create the tables of b's indexes and register them on c. */
static int
register_locked(build_t *b, ms_coll_t *c, const bson_t *specs, size_t n, sdb_error_t *err)
{
    char uri[MS_URI_MAX], side[MS_URI_MAX];

    for (size_t i = 0; i < n; i++) {
        ms_index_t *ix = bson_malloc0(sizeof(*ix));
        int ret;

        ms_catalog_new_uri("index", uri, sizeof(uri));
        ms_catalog_new_uri("ixside", side, sizeof(side));
        if ((ret = ms_catalog_index_init(ix, &specs[i], uri)) != 0) {
            bson_free(ix);
            return ret;
        }
        b->ix[b->n++] = ix; /* from here build_free drops what exists */
        SDB_RET(ms_tablecfg_create_index(b->s, uri, c->options, &specs[i], err));
        SDB_RET(b->s->create(b->s, side, "key_format=r,value_format=u"));
        snprintf(ix->side, sizeof(ix->side), "%s", side);
    }
    c->bld = bson_realloc(c->bld, (c->nbld + b->n) * sizeof(*c->bld));
    for (size_t i = 0; i < b->n; i++)
        c->bld[c->nbld++] = b->ix[i];
    return 0;
}

/* log_waiting -- mongod's line for a build that waits for a slot (maxNumActiveUserIndexBuilds). */
static void
log_waiting(const ms_coll_t *c, const bson_t *specs, size_t n, int busy)
{
    sdb_global_t *g = ms_store_global();
    bson_t attr = BSON_INITIALIZER, arr;
    char key[16];
    const char *k;

    BSON_APPEND_INT32(&attr, "numActiveIndexBuilds", busy);
    BSON_APPEND_INT32(&attr, "maxNumActiveUserIndexBuilds",
                      g != NULL ? (int32_t)atomic_load(&g->ix_max_active) : 0);
    BSON_APPEND_ARRAY_BEGIN(&attr, "indexSpecs", &arr);
    for (size_t i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT(&arr, k, &specs[i]);
    }
    bson_append_array_end(&attr, &arr);
    BSON_APPEND_BINARY(&attr, "collectionUUID", BSON_SUBTYPE_UUID, c->uuid, 16);
    sdb_log(SDB_LOG_I, "INDEX", 4715500,
            "Too many index builds running simultaneously, waiting until the number of active "
            "index builds is below the threshold",
            &attr);
    bson_destroy(&attr);
}

int
ms_ixbuild_start(ms_ctx_t *ctx, const bson_t *req, ms_coll_t *c, const bson_t *specs, size_t n,
                 sdb_error_t *err)
{
    int64_t opid, seq;
    WT_CONNECTION *conn = ms_store_conn();
    build_t *b;
    int ret, busy;

    if (ctx->svc == NULL || ctx->xact != NULL)
        return SDB_EAGAIN;
    SDB_RET(ms_req_int64(req, "opid", 0, &opid, NULL, err));
    SDB_RET(ms_req_int64(req, "killSeq", 0, &seq, NULL, err));
    b = bson_malloc0(sizeof(*b));
    b->opid = opid;
    b->kill_seq = (uint64_t)seq;
    b->slot = -1;
    b->ns = bson_strdup(c->ns);
    memcpy(b->uuid, c->uuid, 16);
    b->ix = bson_malloc0(n * sizeof(*b->ix));
    SDB_ERR(conn->open_session(conn, NULL, "isolation=snapshot", &b->s));
    SDB_ERR(register_locked(b, c, specs, n, err));
    if ((b->p = ms_service_later(ctx)) == NULL)
        SDB_ERR(SDB_EAGAIN);
    pthread_mutex_lock(&lock);
    b->next = builds;
    builds = b;
    pthread_mutex_unlock(&lock);
    if ((ret = ms_ixpool_submit(build_run, b, &busy)) != 0) {
        unlink_build(b);
        unregister_locked(b, c);
        memset(err, 0, sizeof(*err));
        ms_service_answer(b->p, ret, NULL, err);
        build_free(b);
    } else if (busy >= 0) {
        log_waiting(c, specs, n, busy);
    }
    return 0; /* answered, now or by the build */
err:
    unregister_locked(b, c);
    build_free(b);
    return ret;
}

/* abort_locked -- b stops at its next check with IndexBuildAborted and `msg`; its indexes
 * leave c->bld now (c NULL: the collection goes away anyway).  `lock` held. */
static void
abort_locked(build_t *b, ms_coll_t *c, const char *msg)
{
    if (atomic_load(&b->aborted))
        return;
    snprintf(b->abort_msg, sizeof(b->abort_msg), "%s", msg);
    atomic_store(&b->aborted, 1);
    if (c != NULL)
        unregister_locked(b, c);
}

/* builds_ix -- whether b builds the index named `name` (NULL: any). */
static bool
builds_ix(const build_t *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (name == NULL || strcmp(b->ix[i]->name, name) == 0)
            return true;
    return false;
}

int
ms_ixbuild_abort_locked(ms_coll_t *c, const char *name, const char *msg)
{
    int n = 0;

    pthread_mutex_lock(&lock);
    for (build_t *b = builds; b != NULL; b = b->next)
        if (!atomic_load(&b->aborted) && strcmp(b->ns, c->ns) == 0 &&
            memcmp(b->uuid, c->uuid, 16) == 0 && builds_ix(b, name)) {
            abort_locked(b, c, msg);
            n++;
        }
    pthread_mutex_unlock(&lock);
    return n;
}

void
ms_ixbuild_abort_ns(const char *ns, bool whole_db, const char *msg)
{
    size_t len = strlen(ns);

    pthread_mutex_lock(&lock);
    for (build_t *b = builds; b != NULL; b = b->next)
        if (whole_db ? strncmp(b->ns, ns, len) == 0 && b->ns[len] == '.' : strcmp(b->ns, ns) == 0)
            abort_locked(b, NULL, msg);
    pthread_mutex_unlock(&lock);
}

const ms_index_t *
ms_ixbuild_building(const ms_coll_t *c, const char *name)
{
    for (size_t i = 0; i < c->nbld; i++)
        if (strcmp(c->bld[i]->name, name) == 0)
            return c->bld[i];
    return NULL;
}

void
ms_ixbuild_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_mutex_unlock(&lock);
    ms_ixpool_stop();
}
