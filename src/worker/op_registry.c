/*
 * src/worker/op_registry.c -- the running operations for currentOp, and killOp
 * (op_registry.h).
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

void
wk_opreg_end(int i)
{
    sdb_op_slot_t *s;

    if (i < 0)
        return;
    s = &wk_global->ops[wk_slot][i];
    atomic_fetch_add(&s->seq, 1);
    s->active = 0;
    atomic_fetch_add(&s->seq, 1);
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
    uint64_t seq, from = op->op_kill_seq;

    if (op->opid == 0 || (seq = atomic_load(&wk_global->op_kill_seq)) == from)
        return false;
    if (seq - from > SDB_GLOBAL_KILL_RING)
        from = seq - SDB_GLOBAL_KILL_RING;
    for (; from < seq; from++)
        if (atomic_load(&wk_global->op_killed[from % SDB_GLOBAL_KILL_RING]) == op->opid)
            return true;
    return false;
}

/* opreg_read -- a consistent copy of worker w's slot i; false when it is not active. */
static bool
opreg_read(int w, int i, sdb_op_slot_t *out)
{
    const sdb_op_slot_t *s = &wk_global->ops[w][i];

    for (int tries = 0; tries < 100; tries++) {
        uint32_t before = atomic_load(&s->seq);

        if (before & 1u)
            continue;
        memcpy((char *)out + sizeof(out->seq), (const char *)s + sizeof(s->seq),
               sizeof(*out) - sizeof(out->seq));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&s->seq) == before)
            return out->active != 0;
    }
    return false;
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

/* op_doc -- slot s as a currentOp inprog entry. */
static void
op_doc(const sdb_op_slot_t *s, const char *now, int64_t now_us, bson_t *d)
{
    char desc[32];
    bson_t cmd, empty = BSON_INITIALIZER;
    int64_t us = now_us - s->start_us;

    snprintf(desc, sizeof(desc), "conn%lld", (long long)s->conn_id);
    BSON_APPEND_UTF8(d, "type", "op");
    BSON_APPEND_UTF8(d, "host", wk_host_port());
    BSON_APPEND_UTF8(d, "desc", desc);
    BSON_APPEND_INT64(d, "connectionId", s->conn_id);
    BSON_APPEND_UTF8(d, "client", s->client);
    if (s->app[0] != '\0')
        BSON_APPEND_UTF8(d, "appName", s->app);
    BSON_APPEND_BOOL(d, "active", true);
    BSON_APPEND_UTF8(d, "currentOpTime", now);
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
    BSON_APPEND_INT32(d, "numYields", 0);
    BSON_APPEND_DOCUMENT(d, "locks", &empty);
    BSON_APPEND_BOOL(d, "waitingForLock", false);
    BSON_APPEND_DOCUMENT(d, "lockStats", &empty);
    BSON_APPEND_BOOL(d, "waitingForFlowControl", false);
    BSON_APPEND_DOCUMENT(d, "flowControlStats", &empty);
}

void
wk_opreg_each(void (*fn)(const bson_t *doc, void *arg), void *arg)
{
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
            }
            bson_destroy(&d);
        }
}
