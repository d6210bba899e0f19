/*
 * src/worker/op_registry.c -- the running operations for currentOp, and killOp
 * (op_registry.h).
 *
 * Besides every worker's rows it lists the index builds the master publishes (global.h's
 * ixbuilds, master/ixbuild.c) as mongod 7.0 shows its builder threads: desc
 * "IndexBuildsCoordinatorMongod-<N>", no client, command {createIndexes, indexes}, msg and
 * progress built as mongod's CurOp and ProgressMeter print them.
 */
#include "op_registry.h"

#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static uint32_t counter;

const char *
wk_opreg_kind(const char *name)
{
    static const char *const kinds[][2] = {
        {"find", "query"},    {"getMore", "getmore"}, {"insert", "insert"},
        {"update", "update"}, {"delete", "remove"},
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(name, kinds[i][0]) == 0)
            return kinds[i][1];
    return "command";
}

int
wk_opreg_begin(wk_op_t *op, int64_t conn_id, const char *client, const char *app, const char *name,
               const char *ns, const bson_t *body)
{
    sdb_op_slot_t *row = wk_global->ops[wk_slot];
    struct timeval tv;
    int i;

    op->opid = 0;
    op->op_kill_seq = atomic_load(&wk_global->op_kill_seq);
    for (i = 0; i < SDB_OPS_PER_WORKER && row[i].active; i++)
        ;
    if (i == SDB_OPS_PER_WORKER)
        return -1;
    counter = (counter + 1) & 0xFFFFFFu;
    if (counter == 0)
        counter = 1;
    op->opid = (int64_t)((uint32_t)wk_slot << 24 | counter);
    gettimeofday(&tv, NULL);
    atomic_fetch_add(&row[i].seq, 1); /* odd: being written */
    row[i].opid = op->opid;
    row[i].start_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    row[i].conn_id = conn_id;
    snprintf(row[i].client, sizeof(row[i].client), "%s", client != NULL ? client : "");
    snprintf(row[i].app, sizeof(row[i].app), "%s", app != NULL ? app : "");
    snprintf(row[i].ns, sizeof(row[i].ns), "%s", ns);
    snprintf(row[i].op, sizeof(row[i].op), "%s", wk_opreg_kind(name));
    row[i].cmd_len = body->len <= SDB_OP_CMD_MAX ? body->len : 0;
    if (row[i].cmd_len > 0)
        memcpy(row[i].cmd, bson_get_data(body), body->len);
    row[i].active = 1;
    atomic_fetch_add(&row[i].seq, 1);
    return i;
}

/* seq_clear -- mark a seqlocked slot free: *flag = 0 inside its seqlock. */
static void
seq_clear(_Atomic uint32_t *seq, uint32_t *flag)
{
    atomic_fetch_add(seq, 1);
    *flag = 0;
    atomic_fetch_add(seq, 1);
}

void
wk_opreg_end(int i)
{
    if (i >= 0)
        seq_clear(&wk_global->ops[wk_slot][i].seq, &wk_global->ops[wk_slot][i].active);
}

void
wk_opreg_kill(int64_t opid)
{
    uint64_t at = atomic_fetch_add(&wk_global->op_kill_seq, 1);

    atomic_store(&wk_global->op_killed[at % SDB_GLOBAL_KILL_RING], opid);
}

bool
wk_opreg_killed(const wk_op_t *op)
{
    return sdb_global_op_killed(wk_global, op->opid, op->op_kill_seq);
}

/* seq_read -- a consistent copy of a seqlocked slot (its first field is the _Atomic uint32_t
 * seq, odd while its writer writes); false when no stable copy came in 100 tries. */
static bool
seq_read(const void *slot, void *out, size_t size)
{
    const _Atomic uint32_t *seq = slot;

    for (int tries = 0; tries < 100; tries++) {
        uint32_t before = atomic_load(seq);

        if (before & 1u)
            continue;
        memcpy((char *)out + sizeof(*seq), (const char *)slot + sizeof(*seq), size - sizeof(*seq));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(seq) == before)
            return true;
    }
    return false;
}

/* opreg_read -- a consistent copy of worker w's slot i; false when it is not active. */
static bool
opreg_read(int w, int i, sdb_op_slot_t *out)
{
    return seq_read(&wk_global->ops[w][i], out, sizeof(*out)) && out->active != 0;
}

int
wk_opreg_conn_open(int64_t conn_id, const char *client)
{
    sdb_conn_slot_t *row = wk_global->conns[wk_slot];

    for (int i = 0; i < SDB_CONNS_LISTED; i++)
        if (!row[i].used) {
            atomic_fetch_add(&row[i].seq, 1); /* odd: being written */
            row[i].conn_id = conn_id;
            snprintf(row[i].client, sizeof(row[i].client), "%s", client);
            row[i].app[0] = '\0';
            row[i].used = 1;
            atomic_fetch_add(&row[i].seq, 1);
            return i;
        }
    return -1;
}

void
wk_opreg_conn_app(int i, const char *app)
{
    sdb_conn_slot_t *s;

    if (i < 0 || app[0] == '\0')
        return;
    s = &wk_global->conns[wk_slot][i];
    if (strcmp(s->app, app) == 0)
        return;
    atomic_fetch_add(&s->seq, 1);
    snprintf(s->app, sizeof(s->app), "%s", app);
    atomic_fetch_add(&s->seq, 1);
}

void
wk_opreg_conn_close(int i)
{
    if (i >= 0)
        seq_clear(&wk_global->conns[wk_slot][i].seq, &wk_global->conns[wk_slot][i].used);
}

/* conn_read -- a consistent copy of worker w's connection row i; false when unused. */
static bool
conn_read(int w, int i, sdb_conn_slot_t *out)
{
    return seq_read(&wk_global->conns[w][i], out, sizeof(*out)) && out->used != 0;
}

int
wk_opreg_running(int64_t except)
{
    uint32_t nworkers = wk_global->nworkers;
    int n = 0;

    for (uint32_t w = 0; w < nworkers && w < SDB_MAX_WORKERS; w++)
        for (int i = 0; i < SDB_OPS_PER_WORKER; i++) {
            sdb_op_slot_t s;

            if (opreg_read((int)w, i, &s) && s.opid != except)
                n++;
        }
    return n;
}

/* iso_now -- the current time as mongod's currentOpTime string. */
static void
iso_now(char *out, size_t len)
{
    struct timeval tv;
    struct tm tm;
    char date[24], zone[8];

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm); /* +hhmm: mongod writes +hh:mm */
    snprintf(out, len, "%.19s.%03d%.3s:%.2s", date, (int)(tv.tv_usec / 1000), zone, zone + 3);
}

/* conn_fields -- the fields every inprog entry opens with: its connection's. */
static void
conn_fields(int64_t conn_id, const char *client, const char *app, bool active, const char *now,
            bson_t *d)
{
    char desc[32];

    snprintf(desc, sizeof(desc), "conn%lld", (long long)conn_id);
    BSON_APPEND_UTF8(d, "type", "op");
    BSON_APPEND_UTF8(d, "host", wk_host_port());
    BSON_APPEND_UTF8(d, "desc", desc);
    BSON_APPEND_INT64(d, "connectionId", conn_id);
    BSON_APPEND_UTF8(d, "client", client);
    if (app[0] != '\0')
        BSON_APPEND_UTF8(d, "appName", app);
    BSON_APPEND_BOOL(d, "active", active);
    BSON_APPEND_UTF8(d, "currentOpTime", now);
}

/* lock_fields -- the fields every active entry closes with (we take no mongod locks). */
static void
lock_fields(bson_t *d)
{
    bson_t empty = BSON_INITIALIZER;

    BSON_APPEND_INT32(d, "numYields", 0);
    BSON_APPEND_DOCUMENT(d, "locks", &empty);
    BSON_APPEND_BOOL(d, "waitingForLock", false);
    BSON_APPEND_DOCUMENT(d, "lockStats", &empty);
    BSON_APPEND_BOOL(d, "waitingForFlowControl", false);
    BSON_APPEND_DOCUMENT(d, "flowControlStats", &empty);
}

/* op_doc -- slot s as a currentOp inprog entry. */
static void
op_doc(const sdb_op_slot_t *s, const char *now, int64_t now_us, bson_t *d)
{
    bson_t cmd;
    int64_t us = now_us - s->start_us;

    conn_fields(s->conn_id, s->client, s->app, true, now, d);
    BSON_APPEND_INT32(d, "opid", (int32_t)s->opid);
    BSON_APPEND_INT64(d, "secs_running", us / 1000000);
    BSON_APPEND_INT64(d, "microsecs_running", us);
    BSON_APPEND_UTF8(d, "op", s->op);
    BSON_APPEND_UTF8(d, "ns", s->ns);
    BSON_APPEND_BOOL(d, "redacted", false);
    if (s->cmd_len > 0 && bson_init_static(&cmd, s->cmd, s->cmd_len)) {
        BSON_APPEND_DOCUMENT(d, "command", &cmd);
    } else {
        bson_t t;
        BSON_APPEND_DOCUMENT_BEGIN(d, "command", &t);
        BSON_APPEND_UTF8(&t, "$truncated", "the command is larger than currentOp shows");
        bson_append_document_end(d, &t);
    }
    lock_fields(d);
}

/* progress_msg -- mongod's msg for a build in `phase`: the phase's message, then its progress
 * meter ("<message>: done/total pct%", or "<message>: not started" without a total). */
static void
progress_msg(const sdb_ixbuild_slot_t *s, char *out, size_t len)
{
    static const char *const phases[] = {
        [SDB_IXPHASE_SCAN] = "Index Build: scanning collection",
        [SDB_IXPHASE_DRAIN] = "Index Build: draining writes received during build",
    };
    const char *m = phases[s->phase == SDB_IXPHASE_DRAIN ? SDB_IXPHASE_DRAIN : SDB_IXPHASE_SCAN];

    if (s->total > 0)
        snprintf(out, len, "%s %s: %lld/%lld %lld%%", m, m, (long long)s->done, (long long)s->total,
                 (long long)(s->done * 100 / s->total));
    else
        snprintf(out, len, "%s %s: not started", m, m);
}

/* append_number -- mongod's appendNumber: an int32 below 2^30 in magnitude, else an int64. */
static void
append_number(bson_t *d, const char *key, int64_t v)
{
    if (v > -(1LL << 30) && v < (1LL << 30))
        BSON_APPEND_INT32(d, key, (int32_t)v);
    else
        BSON_APPEND_INT64(d, key, v);
}

/* build_doc -- an index build of the master's pool as mongod's builder thread shows it. */
static void
build_doc(const sdb_ixbuild_slot_t *s, const char *now, int64_t now_us, bson_t *d)
{
    bson_t cmd, prog;
    int64_t us = now_us - s->start_us;
    char desc[48], msg[256];

    snprintf(desc, sizeof(desc), "IndexBuildsCoordinatorMongod-%d", s->thread);
    BSON_APPEND_UTF8(d, "type", "op");
    BSON_APPEND_UTF8(d, "host", wk_host_port());
    BSON_APPEND_UTF8(d, "desc", desc);
    BSON_APPEND_BOOL(d, "active", true);
    BSON_APPEND_UTF8(d, "currentOpTime", now);
    BSON_APPEND_INT32(d, "opid", (int32_t)s->opid);
    BSON_APPEND_INT64(d, "secs_running", us / 1000000);
    BSON_APPEND_INT64(d, "microsecs_running", us);
    BSON_APPEND_UTF8(d, "op", "command");
    BSON_APPEND_UTF8(d, "ns", s->ns);
    BSON_APPEND_BOOL(d, "redacted", false);
    if (s->cmd_len > 0 && bson_init_static(&cmd, s->cmd, s->cmd_len))
        BSON_APPEND_DOCUMENT(d, "command", &cmd);
    progress_msg(s, msg, sizeof(msg));
    BSON_APPEND_UTF8(d, "msg", msg);
    BSON_APPEND_DOCUMENT_BEGIN(d, "progress", &prog);
    append_number(&prog, "done", s->done);
    append_number(&prog, "total", s->total);
    bson_append_document_end(d, &prog);
    lock_fields(d);
}

/* each_build -- every index build the master lists (global.h's ixbuilds). */
static void
each_build(void (*fn)(const bson_t *doc, void *arg), void *arg, const char *now, int64_t now_us)
{
    for (int i = 0; i < SDB_IXBUILDS_LISTED; i++) {
        sdb_ixbuild_slot_t s;
        bson_t d = BSON_INITIALIZER;

        if (seq_read(&wk_global->ixbuilds[i], &s, sizeof(s)) && s.active) {
            build_doc(&s, now, now_us, &d);
            fn(&d, arg);
        }
        bson_destroy(&d);
    }
}

/* idle_doc -- an open connection with no operation running, as mongod's idle entry. */
static void
idle_doc(const sdb_conn_slot_t *s, const char *now, bson_t *d)
{
    conn_fields(s->conn_id, s->client, s->app, false, now, d);
}

/* busy -- whether connection id has an operation in the list of active ones. */
static bool
busy(int64_t id, const int64_t *active, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (active[i] == id)
            return true;
    return false;
}

/* each_idle -- every listed connection of every worker that runs nothing. */
static void
each_idle(void (*fn)(const bson_t *doc, void *arg), void *arg, const char *now,
          const int64_t *active, size_t nactive)
{
    uint32_t nworkers = wk_global->nworkers;

    for (uint32_t w = 0; w < nworkers && w < SDB_MAX_WORKERS; w++)
        for (int i = 0; i < SDB_CONNS_LISTED; i++) {
            sdb_conn_slot_t s;
            bson_t d = BSON_INITIALIZER;

            if (conn_read((int)w, i, &s) && !busy(s.conn_id, active, nactive)) {
                idle_doc(&s, now, &d);
                fn(&d, arg);
            }
            bson_destroy(&d);
        }
}

void
wk_opreg_each(void (*fn)(const bson_t *doc, void *arg), void *arg, bool idle)
{
    int64_t *active = bson_malloc(sizeof(*active) * SDB_MAX_WORKERS * SDB_OPS_PER_WORKER);
    size_t nactive = 0;
    uint32_t nworkers = wk_global->nworkers;
    struct timeval tv;
    char now[48];

    iso_now(now, sizeof(now));
    gettimeofday(&tv, NULL);
    for (uint32_t w = 0; w < nworkers && w < SDB_MAX_WORKERS; w++)
        for (int i = 0; i < SDB_OPS_PER_WORKER; i++) {
            sdb_op_slot_t s;
            bson_t d = BSON_INITIALIZER;

            if (opreg_read((int)w, i, &s)) {
                op_doc(&s, now, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec, &d);
                fn(&d, arg);
                active[nactive++] = s.conn_id;
            }
            bson_destroy(&d);
        }
    each_build(fn, arg, now, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
    if (idle)
        each_idle(fn, arg, now, active, nactive);
    bson_free(active);
}
