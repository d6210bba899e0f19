/*
 * src/worker/profiler.c -- the database profiler and the slow-operation log (profiler.h).
 *
 * The profile document is built only when something will use it: level 2, a filter, or an
 * operation over slowms.  Its fields are mongod 7.0's (op, ns, command, keysExamined,
 * docsExamined, nreturned, the write counts, numYield, locks, responseLength, protocol,
 * millis, planSummary, ts, client, appName, allUsers, user), plus an _id, which every stored
 * document here has (the master indexes _id).  The settings row of the database is read
 * under its seqlock (global.h), so a level and its filter are never torn apart.
 */
#include "profiler.h"

#include "../common/global.h"
#include "../common/log.h"
#include "../common/storeop.h"
#include "catalog_cache.h"
#include "conn.h"
#include "engine/args.h"
#include "engine/exec.h"
#include "op_registry.h"
#include "query/matcher.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define PROFILE_CAP_BYTES (1024 * 1024) /* mongod's system.profile: 1 MB capped */
#define PROFILE_CMD_MAX (50 * 1024)     /* a larger command is shown truncated, as mongod */

/* read_row -- a consistent copy of row i's level and filter; false when it is not db's. */
static bool
read_row(int i, const char *db, int *level, bson_t *filter)
{
    const sdb_profile_db_t *p = &wk_global->profile[i];
    static uint8_t buf[SDB_PROFILE_FILTER_MAX];

    for (int tries = 0; tries < 100; tries++) {
        uint32_t before = atomic_load(&p->seq), len;
        bool mine;

        if (before & 1u)
            continue;
        mine = p->used && strncmp(p->db, db, sizeof(p->db)) == 0;
        *level = p->level;
        len = p->filter_len <= SDB_PROFILE_FILTER_MAX ? p->filter_len : 0;
        if (mine && filter != NULL && len > 0)
            memcpy(buf, p->filter, len);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&p->seq) != before)
            continue;
        if (mine && filter != NULL && len > 0) {
            bson_t f;
            if (bson_init_static(&f, buf, len))
                bson_concat(filter, &f);
        }
        return mine;
    }
    return false;
}

int
wk_profiler_level(const char *db, bson_t *filter)
{
    int level;

    for (int i = 0; i < SDB_PROFILE_DBS; i++)
        if (read_row(i, db, &level, filter))
            return level;
    return atomic_load(&wk_global->profile_default_level);
}

/* append_writes -- an insert's ninserted, an update's nMatched / nModified / nUpserted, a
 * delete's ndeleted, from its reply. */
static void
append_writes(const wk_op_done_t *d, bson_t *doc)
{
    bson_iter_t it;
    int64_t n = 0, up = 0;

    if (d->def == NULL || d->ret != 0)
        return;
    if (bson_iter_init_find(&it, d->reply, "n") && BSON_ITER_HOLDS_NUMBER(&it))
        n = bson_iter_as_int64(&it);
    if (d->def->fn == wk_cmd_insert) {
        wk_exec_explain_num(doc, "ninserted", n);
    } else if (d->def->fn == wk_cmd_delete) {
        wk_exec_explain_num(doc, "ndeleted", n);
    } else if (d->def->fn == wk_cmd_update) {
        if (bson_iter_init_find(&it, d->reply, "upserted") && BSON_ITER_HOLDS_ARRAY(&it))
            for (bson_iter_recurse(&it, &it); bson_iter_next(&it);)
                up++;
        wk_exec_explain_num(doc, "nMatched", n - up);
        wk_exec_explain_num(
            doc, "nModified",
            bson_iter_init_find(&it, d->reply, "nModified") ? bson_iter_as_int64(&it) : 0);
        wk_exec_explain_num(doc, "nUpserted", up);
    }
}

/* client_ip -- the client's address without its port, as mongod's profiler shows it. */
static void
client_ip(const char *peer, char *out, size_t len)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

    snprintf(out, len, "%.*s", (int)n, peer);
}

/* build -- the profile document of a finished command. */
static void
build(const wk_op_done_t *d, int64_t millis, bson_t *doc)
{
    const wk_cmd_t *cmd = d->cmd;
    bson_t empty = BSON_INITIALIZER, t;
    bson_oid_t oid;
    struct timeval tv;
    char ip[64];

    bson_oid_init(&oid, NULL);
    BSON_APPEND_OID(doc, "_id", &oid);
    BSON_APPEND_UTF8(doc, "op", wk_opreg_kind(cmd->name));
    BSON_APPEND_UTF8(doc, "ns", d->ns);
    if (cmd->body->len <= PROFILE_CMD_MAX) {
        BSON_APPEND_DOCUMENT(doc, "command", cmd->body);
    } else {
        BSON_APPEND_DOCUMENT_BEGIN(doc, "command", &t);
        BSON_APPEND_UTF8(&t, "$truncated", "the command is larger than the profiler keeps");
        bson_append_document_end(doc, &t);
    }
    wk_exec_explain_num(doc, "keysExamined", (int64_t)d->st->keys_examined);
    wk_exec_explain_num(doc, "docsExamined", (int64_t)d->st->docs_examined);
    if (d->st->blocking_sort)
        BSON_APPEND_BOOL(doc, "hasSortStage", true);
    append_writes(d, doc);
    BSON_APPEND_INT32(doc, "numYield", 0);
    if (d->nreturned >= 0)
        wk_exec_explain_num(doc, "nreturned", d->nreturned);
    if (d->ret != 0) {
        char name[64];

        BSON_APPEND_DOUBLE(doc, "ok", 0.0);
        BSON_APPEND_UTF8(doc, "errMsg", cmd->err.msg);
        BSON_APPEND_UTF8(doc, "errName", sdb_error_codename(cmd->err.code, name, sizeof(name)));
        BSON_APPEND_INT32(doc, "errCode", cmd->err.code);
    }
    BSON_APPEND_DOCUMENT(doc, "locks", &empty);
    BSON_APPEND_DOCUMENT(doc, "flowControl", &empty);
    wk_exec_explain_num(doc, "responseLength", (int64_t)d->response_len);
    BSON_APPEND_UTF8(doc, "protocol", cmd->opcode == 2004 ? "op_query" : "op_msg");
    wk_exec_explain_num(doc, "millis", millis);
    if (d->st->plan_summary[0] != '\0')
        BSON_APPEND_UTF8(doc, "planSummary", d->st->plan_summary);
    gettimeofday(&tv, NULL);
    BSON_APPEND_DATE_TIME(doc, "ts", (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    client_ip(cmd->conn->peer, ip, sizeof(ip));
    BSON_APPEND_UTF8(doc, "client", ip);
    if (cmd->conn->app_name[0] != '\0')
        BSON_APPEND_UTF8(doc, "appName", cmd->conn->app_name);
    BSON_APPEND_ARRAY(doc, "allUsers", &empty);
    BSON_APPEND_UTF8(doc, "user", "");
    bson_destroy(&empty);
}

/* log_slow -- mongod's "Slow query" line (id 51803). */
static void
log_slow(const wk_op_done_t *d, const bson_t *doc, int64_t millis)
{
    bson_t attr = BSON_INITIALIZER;
    bson_iter_t it;
    static const char *const copied[] = {"command",   "planSummary", "keysExamined", "docsExamined",
                                         "nreturned", "ninserted",   "nModified",    "ndeleted",
                                         "errMsg",    "errName",     "errCode"};

    BSON_APPEND_UTF8(&attr, "type", "command");
    BSON_APPEND_UTF8(&attr, "ns", d->ns);
    if (d->cmd->conn->app_name[0] != '\0')
        BSON_APPEND_UTF8(&attr, "appName", d->cmd->conn->app_name);
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
        if (bson_iter_init_find(&it, doc, copied[i]))
            bson_append_iter(&attr, copied[i], -1, &it);
    wk_exec_explain_num(&attr, "reslen", (int64_t)d->response_len);
    BSON_APPEND_UTF8(&attr, "protocol", d->cmd->opcode == 2004 ? "op_query" : "op_msg");
    wk_exec_explain_num(&attr, "durationMillis", millis);
    sdb_log(SDB_LOG_I, "COMMAND", 51803, "Slow query", &attr);
    bson_destroy(&attr);
}

/* store -- append doc to <db>.system.profile, creating it (capped, 1 MB) on first use. */
static int
store(const char *db, const bson_t *doc, sdb_error_t *err)
{
    char ns[256];
    bson_t req = BSON_INITIALIZER, reply, opts, docs;
    int ret = 0;

    snprintf(ns, sizeof(ns), "%s.system.profile", db);
    SDB_ERR(wk_cmdu_refresh(err)); /* a dropped system.profile is created capped again */
    if (wk_catalog_find(ns) == NULL) {
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_DOCUMENT_BEGIN(&req, "options", &opts);
        BSON_APPEND_BOOL(&opts, "capped", true);
        BSON_APPEND_INT64(&opts, "size", PROFILE_CAP_BYTES);
        bson_append_document_end(&req, &opts);
        BSON_APPEND_BOOL(&req, "ifNotExists", true);
        ret = wk_cmdu_store(SDB_OP_CREATE, &req, &reply, err);
        bson_destroy(&reply);
        bson_reinit(&req);
        SDB_ERR(ret);
    }
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_ARRAY_BEGIN(&req, "docs", &docs);
    BSON_APPEND_DOCUMENT(&docs, "0", doc);
    bson_append_array_end(&req, &docs);
    BSON_APPEND_BOOL(&req, "ordered", true);
    ret = wk_cmdu_store(SDB_OP_INSERT, &req, &reply, err);
    bson_destroy(&reply);
err:
    bson_destroy(&req);
    return ret;
}

/* filter_matches -- the database's profile filter selects doc. */
static bool
filter_matches(const bson_t *filter, const bson_t *doc)
{
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    bool yes = false;

    if (wk_matcher_new(filter, &m, &err) == 0)
        yes = wk_matcher_matches(m, doc, NULL);
    wk_matcher_free(m);
    return yes;
}

/* run -- decide, build, log and store for one command of a database at `level`. */
static void
run(const wk_op_done_t *d, const bson_t *filter, int level)
{
    int64_t millis = d->micros / 1000, ppm = atomic_load(&wk_global->profile_sample_ppm);
    bson_t doc = BSON_INITIALIZER;
    bool slow, profile, filtered = !bson_empty(filter);
    sdb_error_t err;

    slow = millis > atomic_load(&wk_global->profile_slowms) &&
           (ppm >= 1000000 || random() % 1000000 < ppm);
    if (!filtered && !slow && level < 2) {
        bson_destroy(&doc);
        return; /* the common case: nothing to build */
    }
    build(d, millis, &doc);
    if (filtered) /* a filter replaces slowms and sampleRate, for the log too */
        slow = filter_matches(filter, &doc);
    profile = filtered ? level >= 1 && slow : level == 2 || (level == 1 && slow);
    if (slow)
        log_slow(d, &doc, millis);
    if (profile && store(d->cmd->db, &doc, &err) != 0)
        sdb_logf(SDB_LOG_W, "COMMAND", 20701, "Failed to write a profile entry", "%s: %s", d->ns,
                 err.msg);
    bson_destroy(&doc);
}

void
wk_profiler_after(const wk_op_done_t *d)
{
    bson_t filter = BSON_INITIALIZER;

    if (d->cmd->db != NULL && d->cmd->db[0] != '\0' && d->cmd->conn != NULL)
        run(d, &filter, wk_profiler_level(d->cmd->db, &filter));
    bson_destroy(&filter);
}
