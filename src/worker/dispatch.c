/*
 * src/worker/dispatch.c -- run one decoded request through the command table.
 *
 * Rules applied here, once, for every command: OP_QUERY is accepted only for the
 * handshake commands (352 UnsupportedOpQueryCommand otherwise, as mongod 6.0+); the command
 * name is the first field, looked up case-sensitively (59 CommandNotFound); OP_MSG needs
 * `$db` (40571), and the database name (`$db` or OP_QUERY's) passes engine/namespace.h by its
 * BSON length (73 InvalidNamespace), so no name is ever folded into another; admin-only commands check the database (13 Unauthorized); under --auth the
 * authorization check (auth/authz.h) runs before anything else of the command; `writeConcern:
 * {w: 0}` and the moreToCome flag make the command unacknowledged (run, no reply); the
 * failCommand failpoint (engine/failpoint.h) and the RetryableWriteError label rule
 * (engine/retry.h) wrap every handler.  The reply is the handler's fields, then ok, then $clusterTime and
 * operationTime.
 * Event-loop thread only.
 */
#include "dispatch.h"

#include "../common/compressors.h"
#include "../common/errors.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "auth/authz.h"
#include "cmd/fsync.h"
#include "cmd/log.h"
#include "cmd/session.h"
#include "cmd/transaction.h"
#include "command.h"
#include "engine/args.h"
#include "engine/failpoint.h"
#include "engine/namespace.h"
#include "engine/read_concern.h"
#include "engine/retry.h"
#include "op_registry.h"
#include "opstats.h"
#include "profiler.h"
#include "top.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const wk_cmd_def_t table[] = {
#define X(name, fn, flags) {#name, fn, flags},
#include "commands.def"
#undef X
};

/*
 * wk_command_enabled --
 *     Test-only commands exist only while enableTestCommands is on.
 */
bool
wk_command_enabled(const wk_cmd_def_t *def)
{
    return !(def->flags & WK_CMD_F_TEST_ONLY) || wk_cfg->enable_test_commands;
}

/*
 * wk_command_lookup --
 *     The table entry for a command name (exact case) that exists on this server, or NULL.
 */
const wk_cmd_def_t *
wk_command_lookup(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return wk_command_enabled(&table[i]) ? &table[i] : NULL;
    return NULL;
}

/*
 * wk_command_table --
 *     The whole command table.
 */
const wk_cmd_def_t *
wk_command_table(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

/*
 * wk_command_name --
 *     The table's first name for def's handler.
 */
const char *
wk_command_name(const wk_cmd_def_t *def)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].fn == def->fn)
            return table[i].name;
    return def->name;
}

static void
append_times(bson_t *reply)
{
    bson_t ct, sig;
    uint32_t t, i;
    uint8_t zero[20];

    memset(zero, 0, sizeof(zero));
    wk_cluster_time(&t, &i);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "$clusterTime", &ct);
    BSON_APPEND_TIMESTAMP(&ct, "clusterTime", t, i);
    BSON_APPEND_DOCUMENT_BEGIN(&ct, "signature", &sig);
    BSON_APPEND_BINARY(&sig, "hash", BSON_SUBTYPE_BINARY, zero, sizeof(zero));
    BSON_APPEND_INT64(&sig, "keyId", 0);
    bson_append_document_end(&ct, &sig);
    bson_append_document_end(reply, &ct);
    BSON_APPEND_TIMESTAMP(reply, "operationTime", t, i);
}

static void
encode(const bson_t *doc, int32_t request_id, int32_t opcode, uint32_t req_flags, uint8_t **out,
       size_t *outlen)
{
    static int32_t next_id = 1;

    if (opcode == WK_WIRE_OP_QUERY)
        wk_wire_encode_reply(doc, next_id++, request_id, out, outlen);
    else
        wk_wire_encode_msg(doc, next_id++, request_id, req_flags, out, outlen);
}

/*
 * wk_dispatch_error_reply --
 *     Encode {ok: 0, errmsg, code, codeName} for a request that failed to decode.
 */
void
wk_dispatch_error_reply(const sdb_error_t *err, int32_t request_id, int32_t opcode, uint8_t **out,
                        size_t *outlen)
{
    bson_t reply;

    bson_init(&reply);
    BSON_APPEND_DOUBLE(&reply, "ok", 0.0);
    sdb_error_append(err, &reply);
    encode(&reply, request_id, opcode == WK_WIRE_OP_QUERY ? WK_WIRE_OP_QUERY : WK_WIRE_OP_MSG, 0,
           out, outlen);
    bson_destroy(&reply);
}

static bool
is_unacknowledged(const bson_t *body)
{
    bson_iter_t it, wc;

    if (bson_iter_init_find(&it, body, "writeConcern") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &wc) && bson_iter_find(&wc, "w") && BSON_ITER_HOLDS_NUMBER(&wc))
        return bson_iter_as_int64(&wc) == 0;
    return false;
}

/*
 * mongod's NotPrimaryError and ShutdownError categories: their error replies carry the
 * topologyVersion, so a driver that already knows it treats the error as stale (no pool
 * clear, no wait for the monitor) and retries at once, as against mongod.
 */
static bool
state_change_error(int code)
{
    switch (code) {
    case SDB_CODE_NotWritablePrimary:
    case SDB_CODE_NotPrimaryNoSecondaryOk:
    case SDB_CODE_NotPrimaryOrSecondary:
    case SDB_CODE_InterruptedDueToReplStateChange:
    case SDB_CODE_PrimarySteppedDown:
    case SDB_CODE_ShutdownInProgress:
    case SDB_CODE_InterruptedAtShutdown:
        return true;
    default:
        return false;
    }
}

/* api_check -- the Stable API fields as mongod checks them: apiVersion "1" only (322), apiStrict
 * and apiDeprecationErrors only with it (4886600), and under apiStrict only the commands of
 * version 1 (323; WK_CMD_F_API_V1 in commands.def). */
static int
api_check(const bson_t *body, const wk_cmd_def_t *def, sdb_error_t *err)
{
    bson_iter_t it;
    bool has_version = bson_iter_init_find(&it, body, "apiVersion");

    if (has_version && (!BSON_ITER_HOLDS_UTF8(&it) || strcmp(bson_iter_utf8(&it, NULL), "1") != 0))
        return sdb_error_set(err, SDB_CODE_APIVersionError, "API version must be \"1\"");
    for (int i = 0; i < 2; i++) {
        const char *field = i == 0 ? "apiStrict" : "apiDeprecationErrors";
        if (!has_version && bson_iter_init_find(&it, body, field))
            return sdb_error_set(err, SDB_CODE_Location4886600,
                                 "Cannot pass in API parameter field %s without apiVersion", field);
    }
    if (has_version && bson_iter_init_find(&it, body, "apiStrict") && bson_iter_as_bool(&it) &&
        !(def->flags & WK_CMD_F_API_V1))
        return sdb_error_set(err, SDB_CODE_APIStrictError,
                             "Provided apiStrict:true, but the command %s is not in API Version 1. "
                             "Information on supported commands and migrations in API Version 1 "
                             "can be found at https://dochub.mongodb.org/core/manual-versioned-api",
                             def->name);
    return 0;
}

/* read_pref_check -- $readPreference as mongod's ReadPreferenceSetting::fromInnerBSON reads
 * it for every command: an object with a known string mode, tags only beyond primary, a
 * maxStalenessSeconds of 0 or at least 90 and never with primary.  Every valid mode reads
 * this node, as on a standalone mongod. */
static int
read_pref_check(const bson_t *body, sdb_error_t *err)
{
    static const char *const modes[] = {
        "primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest", NULL};
    bson_iter_t it, f;
    const char *mode;
    bool primary;
    size_t i;

    if (!bson_iter_init_find(&it, body, "$readPreference"))
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "$readPreference has incorrect type: expected object but got %s",
                             wk_cmdu_type_name(bson_iter_type(&it)));
    if (!bson_iter_recurse(&it, &f) || !bson_iter_find(&f, "mode"))
        return sdb_error_set(err, SDB_CODE_NoSuchKey, "Missing expected field \"mode\"");
    if (!BSON_ITER_HOLDS_UTF8(&f))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "\"mode\" had the wrong type. Expected string, found %s",
                             wk_cmdu_type_name(bson_iter_type(&f)));
    mode = bson_iter_utf8(&f, NULL);
    for (i = 0; modes[i] != NULL && strcmp(modes[i], mode) != 0; i++)
        ;
    if (modes[i] == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Could not parse $readPreference mode '%s'. Only the modes "
                             "'primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', "
                             "and 'nearest' are supported. :: caused by :: Enumeration value "
                             "'%s' for field 'mode' is not a valid value.",
                             mode, mode);
    primary = i == 0;
    bson_iter_recurse(&it, &f);
    if (primary && bson_iter_find(&f, "tags") && BSON_ITER_HOLDS_ARRAY(&f)) {
        bson_iter_t t, e;

        /* [] and [{}] are the default tag set */
        bson_iter_recurse(&f, &t);
        if (bson_iter_next(&t) && (!BSON_ITER_HOLDS_DOCUMENT(&t) || !bson_iter_recurse(&t, &e) ||
                                   bson_iter_next(&e) || bson_iter_next(&t)))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "Only empty tags are allowed with primary read preference");
    }
    bson_iter_recurse(&it, &f);
    if (bson_iter_find(&f, "maxStalenessSeconds") && BSON_ITER_HOLDS_NUMBER(&f) &&
        bson_iter_as_int64(&f) != 0) {
        int64_t s = bson_iter_as_int64(&f);

        if (s < 0)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "maxStalenessSeconds must be a non-negative integer");
        if (s < 90)
            return sdb_error_set(err, SDB_CODE_MaxStalenessOutOfRange,
                                 "maxStalenessSeconds value can not be less than 90");
        if (primary)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "maxStalenessSeconds can not be set for the primary mode");
    }
    return 0;
}

/* Resolve the command, its database and the generic rules; 0 or SDB_ECLIENT. */
static int
prepare(wk_wire_req_t *req, wk_cmd_t *cmd, const wk_cmd_def_t **def, char *db, size_t dblen,
        wk_xact_stmt_t *xs)
{
    uint8_t uid[SDB_LSID_UID_LEN];
    bson_iter_t it;
    const char *dot, *name;
    int64_t max_time_ms;
    uint32_t len;

    if (!bson_iter_init(&it, &req->cmd) || !bson_iter_next(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidBSON, "Empty command object");
    cmd->name = bson_iter_key(&it);
    *def = wk_command_lookup(cmd->name);
    if (req->opcode == WK_WIRE_OP_QUERY) {
        if (*def == NULL || !((*def)->flags & WK_CMD_F_HANDSHAKE))
            return sdb_error_set(&cmd->err, SDB_CODE_UnsupportedOpQueryCommand,
                                 "Unsupported OP_QUERY command: %s. The client driver may "
                                 "require an upgrade. For more details see "
                                 "https://dochub.mongodb.org/core/legacy-opcode-removal",
                                 cmd->name);
        dot = strchr(req->ns, '.');
        name = req->ns;
        len = dot ? (uint32_t)(dot - req->ns) : (uint32_t)strlen(req->ns);
    } else {
        if (!bson_iter_init_find(&it, &req->cmd, "$db") || !BSON_ITER_HOLDS_UTF8(&it))
            return sdb_error_set(&cmd->err, 40571, "OP_MSG requests require a $db argument");
        name = bson_iter_utf8(&it, &len);
    }
    SDB_RET(wk_ns_db_check(name, len, &cmd->err)); /* engine/namespace.h: never folded */
    snprintf(db, dblen, "%.*s", (int)len, name);
    if (*def == NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_CommandNotFound, "no such command: '%s'",
                             cmd->name);
    SDB_RET(api_check(&req->cmd, *def, &cmd->err));
    if (((*def)->flags & WK_CMD_F_ADMIN_ONLY) && strcmp(db, "admin") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_Unauthorized,
                             "%s may only be run against the admin database.", cmd->name);
    cmd->db = db;
    SDB_RET(wk_authz_check(cmd, *def)); /* under --auth: auth/authz.h */
    SDB_RET(read_pref_check(&req->cmd, &cmd->err));
    SDB_RET(wk_op_parse_max_time(&req->cmd, &max_time_ms, &cmd->err));
    wk_op_init(&cmd->op, cmd->conn, max_time_ms);
    wk_authz_uid(cmd->conn, uid); /* the session is (lsid.id, this user): common/lsid.h */
    wk_op_set_session(&cmd->op, &req->cmd, uid, /* never interrupted by its own work */
                      ((*def)->flags & WK_CMD_F_KILLS_SESSIONS) == 0);
    cmd->db = db;
    return wk_xact_prepare(cmd, *def, xs); /* a transaction's statement: cmd/transaction.h */
}

static void
count_command(const wk_cmd_def_t *def)
{
    /* CRUD commands count themselves in their own opcounters; the rest are commands. */
    if (def == NULL ||
        (def->fn != wk_cmd_insert && def->fn != wk_cmd_find && def->fn != wk_cmd_update &&
         def->fn != wk_cmd_delete && def->fn != wk_cmd_get_more))
        atomic_fetch_add(&wk_counters()->op_command, 1);
}

/*
 * Rewrite an exhaust request for its next iteration: the same command with the
 * topologyVersion the reply reported (so the next one waits for a change), answering the
 * reply just encoded.
 */
static void
exhaust_next(wk_wire_req_t *req, const bson_t *reply, const uint8_t *out)
{
    bson_iter_t it;
    bson_t next;
    int32_t reply_id;

    bson_init(&next);
    bson_copy_to_excluding_noinit(&req->cmd, &next, "topologyVersion", NULL);
    if (bson_iter_init_find(&it, reply, "topologyVersion"))
        bson_append_iter(&next, "topologyVersion", -1, &it);
    bson_destroy(&req->cmd);
    bson_steal(&req->cmd, &next); /* never copy a bson_t by value: a heap one points at itself */
    memcpy(&reply_id, out + 4, sizeof(reply_id));
    req->request_id = (int32_t)BSON_UINT32_FROM_LE((uint32_t)reply_id);
}

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* op_ns -- the namespace currentOp shows for cmd: "db.<first field>" when that is a
 * collection name, else "db.$cmd". */
static void
op_ns(const wk_cmd_t *cmd, char *out, size_t len)
{
    bson_iter_t it;

    if (bson_iter_init(&it, cmd->body) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(out, len, "%s.%s", cmd->db, bson_iter_utf8(&it, NULL));
    else
        snprintf(out, len, "%s.$cmd", cmd->db);
}

/* finished -- serverStatus's counters and the profiler (opstats.h, profiler.h) for one
 * command, once its reply is encoded (responseLength). */
static void
finished(const wk_cmd_t *cmd, const wk_cmd_def_t *def, int ret, int64_t started_us,
         const bson_t *reply, size_t outlen, const char *ns)
{
    wk_op_done_t d = {cmd,
                      def,
                      ret,
                      started_us != 0 ? now_us() - started_us : 0,
                      reply,
                      outlen,
                      ns,
                      cmd->op.stats,
                      wk_opstats_nreturned(reply)};

    wk_opstats_count(&d);
    if (started_us != 0)
        wk_profiler_after(&d);
}

/*
 * wk_dispatch_request --
 *     Run one request and encode its reply (or none); true when the reply streams.
 */
bool
wk_dispatch_request(wk_conn_t *c, wk_wire_req_t *req, uint8_t **out, size_t *outlen)
{
    bool stream;
    const wk_cmd_def_t *def = NULL;
    wk_fp_hit_t fp = {false, false, NULL, false};
    wk_xact_stmt_t xs = {false, false, false, false};
    wk_op_stats_t st;
    wk_cmd_t cmd;
    bson_t reply;
    char db[128], ns[SDB_NS_LEN_MAX + 1];
    int64_t started_us = 0;
    int ret, listed = -1;

    *out = NULL;
    *outlen = 0;
    memset(&cmd, 0, sizeof(cmd));
    bson_init(&reply);
    cmd.conn = c;
    cmd.body = &req->cmd;
    cmd.reply = &reply;
    cmd.opcode = req->opcode;
    cmd.unacknowledged = (req->flags & WK_WIRE_MSG_MORE_TO_COME) || is_unacknowledged(&req->cmd);
    db[0] = ns[0] = '\0';
    ret = prepare(req, &cmd, &def, db, sizeof(db), &xs);
    memset(&st, 0, sizeof(st));
    cmd.op.stats = &st; /* what its executors examine (op.h) */
    count_command(def);
    if (ret == 0) {
        cmd.db = db;
        op_ns(&cmd, ns, sizeof(ns));
        wk_opreg_conn_app(c->opreg_row, c->app_name); /* known once hello ran */
        listed = wk_opreg_begin(&cmd.op, c->id, c->peer, c->app_name, cmd.name, ns, cmd.body);
        started_us = now_us();
        sdb_log_set_inflight(cmd.name);
        wk_log_command(&cmd);                     /* logLevel 2: cmd/log.h */
        wk_session_note(&cmd.op);                 /* the master's session cache: cmd/session.h */
        ret = wk_failpoint_enter(&cmd, def, &fp); /* failCommand: engine/failpoint.h */
        if (ret == 0 && !fp.closed)
            ret = wk_rc_check(&cmd); /* readConcern: engine/read_concern.h */
        if (ret == 0 && !fp.closed)
            ret = wk_xact_begin(&cmd, &xs); /* the statement's transaction */
        if (ret == 0 && !fp.closed && (def->flags & WK_CMD_F_WRITE))
            ret = wk_fsync_wait(&cmd); /* held while fsync-locked: cmd/fsync.h */
        if (ret == 0 && !fp.closed)
            ret = def->fn(&cmd);
        wk_failpoint_leave(&cmd, def, &fp, ret);
        if (!fp.closed)
            wk_retry_label(&cmd, def, ret); /* RetryableWriteError: engine/retry.h */
        sdb_log_set_inflight(NULL);
    }
    wk_xact_finish(&cmd, &xs, &ret, fp.explicit_labels);
    if (ret != 0) {
        if (ret != SDB_ECLIENT)
            sdb_error_set(&cmd.err, SDB_CODE_InternalError, "internal error: %s",
                          sdb_strerror(ret));
        bson_reinit(&reply);
        BSON_APPEND_DOUBLE(&reply, "ok", 0.0);
        sdb_error_append(&cmd.err, &reply);
        if (cmd.err_extra != NULL)
            bson_concat(&reply, cmd.err_extra);
        if (state_change_error(cmd.err.code))
            wk_topology_version_append(&reply);
    } else {
        BSON_APPEND_DOUBLE(&reply, "ok", 1.0);
    }
    wk_opreg_end(listed); /* currentOp no longer shows it */
    if (started_us != 0)  /* top: worker/top.h */
        wk_top_count(ns, cmd.name, (def->flags & WK_CMD_F_WRITE) != 0, now_us() - started_us);
    if (cmd.err_extra != NULL)
        bson_destroy(cmd.err_extra);
    append_times(&reply);
    stream = ret == 0 && cmd.streamable && req->opcode == WK_WIRE_OP_MSG &&
             (req->flags & WK_WIRE_MSG_EXHAUST) && !(req->flags & WK_WIRE_MSG_MORE_TO_COME);
    if (!(req->flags & WK_WIRE_MSG_MORE_TO_COME) && !fp.closed)
        encode(&reply, req->request_id, req->opcode,
               (req->flags & WK_WIRE_MSG_CHECKSUM) | (stream ? WK_WIRE_MSG_MORE_TO_COME : 0), out,
               outlen);
    stream = stream && *out != NULL;
    if (*out != NULL && req->compressor >= 0 &&
        sdb_compressors_has(wk_cfg->compressors, req->compressor) &&
        !(def != NULL && (def->flags & WK_CMD_F_HANDSHAKE)))
        wk_wire_compress(req->compressor, out, outlen); /* as the request came (wire.h) */
    finished(&cmd, def, ret, started_us, &reply, *outlen, ns);
    /* last: the rewrite frees the request's command, which cmd.name and cmd.body point into
     * (the compressed reply keeps the request id exhaust_next reads) */
    if (stream)
        exhaust_next(req, &reply, *out);
    bson_destroy(&reply);
    return stream;
}
