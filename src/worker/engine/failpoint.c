/*
 * src/worker/engine/failpoint.c -- the failCommand failpoint, as commands meet it.
 *
 * configureFailPoint (cmd/failpoint.c) stores a failpoint in the master (FAILPOINT_SET).
 * The master's table is the truth, so a failpoint set on one connection fires on any
 * worker: this worker caches the table (FAILPOINT_GET) and re-reads it whenever the global
 * failpoint_version moved, so an idle failpoint costs one atomic load per command.  When
 * failCommand is on and a command matches its data (failCommands, appName, namespace,
 * failInternalCommands), the worker asks the master to consume one activation
 * (FAILPOINT_FIRE) and, if granted, applies it in mongod's order: blockConnection sleeps on
 * the request's coroutine, closeConnection hangs up without a reply, errorCode fails the
 * command, writeConcernError is added to the command's reply.
 * configureFailPoint itself is never failed; hello is, when listed (drivers' SDAM tests).
 *
 * onPrimaryTransactionalWrite is applied by the master inside a retryable write (txns.h);
 * configureFailPoint sets it like any other.  failGetMoreAfterCursorCheckout
 * (wk_failpoint_getmore) fails a getMore with data.errorCode once its cursor is checked out.
 *
 * The failpoint's own errorLabels replace the labels of the command's error (or go beside its
 * writeConcernError); the RetryableWriteError rule for everything else lives with retryable
 * writes (retry.h) and runs after wk_failpoint_leave.
 *
 * Invariants: the cache (`cache`) is replaced only by a FAILPOINT_GET reply whose version is
 * newer than the cached one; a request never keeps a pointer into it across a storage call
 * (it copies the data first).  Event-loop thread, on request coroutines.
 */
#include "failpoint.h"

#include "../coro.h"
#include "../store_client.h"
#include "../worker.h"

#include <string.h>
#include <sys/socket.h>

#define FP_NAME "failCommand"
#define FP_GMC_NAME "failGetMoreAfterCursorCheckout"
#define FP_ERRMSG "Failing command via 'failCommand' failpoint"
#define FP_FIRE_TRIES 4

/* This worker's copy of the master's failCommand row. */
static struct {
    uint64_t version; /* the table version it was read at (0: the master's initial table) */
    bool active;      /* a mode that can still fire */
    bson_t *data;     /* owned, or NULL */
} cache;

/* This worker's copy of the failGetMoreAfterCursorCheckout row (same table version). */
static struct {
    bool active;
    bson_t *data; /* owned, or NULL */
} gmc;

/* Commands besides the WK_CMD_F_WRITE ones that take a write concern. */
static const char *const wc_commands[] = {"commitTransaction", "abortTransaction", "bulkWrite"};

/* ---- the cache -------------------------------------------------------------------------- */

/* read_row -- mode, count and a copy of the data of one FAILPOINT_GET row. */
static void
read_row(const bson_t *row, bool *active, bson_t **data)
{
    bson_iter_t one;
    const uint8_t *buf;
    uint32_t len;
    int32_t mode = WK_FP_OFF;
    int64_t n = 0;

    if (bson_iter_init_find(&one, row, "mode") && BSON_ITER_HOLDS_INT32(&one))
        mode = bson_iter_int32(&one);
    if (bson_iter_init_find(&one, row, "n") && BSON_ITER_HOLDS_INT64(&one))
        n = bson_iter_int64(&one);
    if (*data != NULL)
        bson_destroy(*data);
    *data = NULL;
    if (bson_iter_init_find(&one, row, "data") && BSON_ITER_HOLDS_DOCUMENT(&one)) {
        bson_iter_document(&one, &len, &buf);
        *data = bson_new_from_data(buf, len);
    }
    *active = mode != WK_FP_OFF && !(mode == WK_FP_TIMES && n <= 0);
}

/* Install a FAILPOINT_GET reply when it is newer than the cache. */
static void
install(const bson_t *reply)
{
    bson_iter_t it, arr, one;
    uint64_t v;
    bool active = false;
    bson_t *data = NULL, tmp;
    const uint8_t *buf;
    uint32_t len;

    if (!bson_iter_init_find(&it, reply, "version") || !BSON_ITER_HOLDS_INT64(&it))
        return;
    v = (uint64_t)bson_iter_int64(&it);
    if (cache.version != 0 && v <= cache.version)
        return;
    if (!bson_iter_init_find(&arr, reply, "failpoints") || !BSON_ITER_HOLDS_ARRAY(&arr) ||
        !bson_iter_recurse(&arr, &it))
        return;
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &buf);
        if (!bson_init_static(&tmp, buf, len) || !bson_iter_init_find(&one, &tmp, "name") ||
            !BSON_ITER_HOLDS_UTF8(&one))
            continue;
        if (strcmp(bson_iter_utf8(&one, NULL), FP_NAME) == 0)
            read_row(&tmp, &active, &data);
        else if (strcmp(bson_iter_utf8(&one, NULL), FP_GMC_NAME) == 0)
            read_row(&tmp, &gmc.active, &gmc.data);
    }
    if (cache.data != NULL)
        bson_destroy(cache.data);
    cache.version = v;
    cache.data = data;
    cache.active = active;
}

/* Re-read the master's table when the published version moved. */
static int
refresh(void)
{
    bson_t req = BSON_INITIALIZER, reply;
    sdb_error_t err;
    int ret;

    if (atomic_load(&wk_global->failpoint_version) == cache.version)
        return 0;
    ret = wk_store_call(SDB_OP_FAILPOINT_GET, &req, &reply, &err);
    if (ret == 0)
        install(&reply);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* ---- matching ----------------------------------------------------------------------------- */

static bool
data_bool(const bson_t *data, const char *key)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, data, key) && bson_iter_as_bool(&it);
}

static bool
data_has(const bson_t *data, const char *key)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, data, key);
}

/* The failCommands array lists the command under the name it was sent or its table name. */
static bool
listed(const bson_t *data, const wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    bson_iter_t it, arr;
    const char *canon = wk_command_name(def), *s;

    if (!bson_iter_init_find(&it, data, "failCommands") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return false;
    while (bson_iter_next(&arr)) {
        if (!BSON_ITER_HOLDS_UTF8(&arr))
            continue;
        s = bson_iter_utf8(&arr, NULL);
        if (strcmp(s, cmd->name) == 0 || strcmp(s, canon) == 0)
            return true;
    }
    return false;
}

/* The client's application name: the connection's, or this very hello's before it ran. */
static const char *
app_name(const wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    bson_iter_t it, f;

    if (cmd->conn->hello_done || !(def->flags & WK_CMD_F_HANDSHAKE))
        return cmd->conn->app_name;
    if (bson_iter_init_find(&it, cmd->body, "client") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &f) && bson_iter_find_descendant(&f, "application.name", &it) &&
        BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "";
}

/* data.namespace ("db.coll") against the command's database and first-field collection. */
static bool
namespace_matches(const bson_t *data, const wk_cmd_t *cmd)
{
    bson_iter_t it, first;
    const char *ns, *coll;
    size_t dblen = strlen(cmd->db);

    if (!bson_iter_init_find(&it, data, "namespace") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    ns = bson_iter_utf8(&it, NULL);
    if (!bson_iter_init(&first, cmd->body) || !bson_iter_next(&first) ||
        !BSON_ITER_HOLDS_UTF8(&first))
        return false;
    coll = bson_iter_utf8(&first, NULL);
    return strncmp(ns, cmd->db, dblen) == 0 && ns[dblen] == '.' &&
           strcmp(ns + dblen + 1, coll) == 0;
}

/* A command that takes a write concern (writeConcernError applies only to those). */
static bool
takes_write_concern(const wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    if (def->flags & WK_CMD_F_WRITE)
        return true;
    for (size_t i = 0; i < sizeof(wc_commands) / sizeof(wc_commands[0]); i++)
        if (strcmp(cmd->name, wc_commands[i]) == 0)
            return true;
    return false;
}

/* Whether failCommand, with this data, applies to this command (before asking the master). */
static bool
matches(const bson_t *data, const wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    bson_iter_t it;
    bool acts;

    if (strcmp(wk_command_name(def), "configureFailPoint") == 0 || !listed(data, cmd, def))
        return false;
    if (cmd->conn->internal_client && !data_bool(data, "failInternalCommands"))
        return false;
    if (bson_iter_init_find(&it, data, "appName") && BSON_ITER_HOLDS_UTF8(&it) &&
        strcmp(bson_iter_utf8(&it, NULL), app_name(cmd, def)) != 0)
        return false;
    if (!namespace_matches(data, cmd))
        return false;
    /* mongod enters failCommand only when it has an effect on this command */
    acts = data_bool(data, "closeConnection") || data_has(data, "errorCode") ||
           data_bool(data, "blockConnection");
    return acts || (data_has(data, "writeConcernError") && takes_write_concern(cmd, def));
}

/* Ask the master for one activation of the data in *snap (re-read and re-matched when the
 * table changed meanwhile); *fire_out is the answer. */
static int
fire(const wk_cmd_t *cmd, const wk_cmd_def_t *def, bson_t **snap, bool *fire_out)
{
    bson_t req, reply;
    bson_iter_t it;
    sdb_error_t err;
    int tries, ret = 0;

    *fire_out = false;
    for (tries = 0; tries < FP_FIRE_TRIES && cache.active && *snap != NULL; tries++) {
        bson_init(&req);
        BSON_APPEND_UTF8(&req, "name", FP_NAME);
        BSON_APPEND_INT64(&req, "version", (int64_t)cache.version);
        ret = wk_store_call(SDB_OP_FAILPOINT_FIRE, &req, &reply, &err);
        bson_destroy(&req);
        if (ret == 0 && bson_iter_init_find(&it, &reply, "fire"))
            *fire_out = bson_iter_as_bool(&it);
        if (ret == 0 && !*fire_out && bson_iter_init_find(&it, &reply, "stale") &&
            bson_iter_as_bool(&it)) {
            bson_destroy(&reply);
            bson_destroy(*snap);
            *snap = NULL;
            SDB_RET(refresh());
            if (cache.data != NULL && matches(cache.data, cmd, def))
                *snap = bson_copy(cache.data);
            continue;
        }
        bson_destroy(&reply);
        break;
    }
    return ret;
}

/* ---- the hook ------------------------------------------------------------------------------ */

/*
 * wk_failpoint_enter --
 *     Apply failCommand to a command about to run.
 */
int
wk_failpoint_enter(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_fp_hit_t *hit)
{
    bson_t *snap;
    bson_iter_t it;
    bool granted;
    int ret;

    memset(hit, 0, sizeof(*hit));
    SDB_RET(refresh());
    if (!cache.active || cache.data == NULL || !matches(cache.data, cmd, def))
        return 0;
    snap = bson_copy(cache.data); /* the cache may be replaced while FIRE waits */
    ret = fire(cmd, def, &snap, &granted);
    if (ret != 0 || !granted || snap == NULL) {
        if (snap != NULL)
            bson_destroy(snap);
        return ret;
    }
    hit->fired = true;
    hit->data = snap;
    if (data_bool(snap, "blockConnection") && bson_iter_init_find(&it, snap, "blockTimeMS") &&
        BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_int64(&it) > 0)
        wk_coro_sleep_ms(bson_iter_as_int64(&it));
    if (data_bool(snap, "closeConnection")) {
        shutdown(cmd->conn->fd, SHUT_RDWR); /* the loop sees EOF and closes it */
        hit->closed = true;
        return 0;
    }
    if (bson_iter_init_find(&it, snap, "errorCode") && BSON_ITER_HOLDS_NUMBER(&it))
        return sdb_error_set(&cmd->err, (int)bson_iter_as_int64(&it), FP_ERRMSG);
    return 0;
}

/* Append the failpoint's errorLabels array to doc. */
static void
append_labels(bson_t *doc, const bson_t *data)
{
    bson_iter_t it;
    const uint8_t *buf;
    uint32_t len;
    bson_t arr;

    if (bson_iter_init_find(&it, data, "errorLabels") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_array(&it, &len, &buf);
        if (bson_init_static(&arr, buf, len))
            BSON_APPEND_ARRAY(doc, "errorLabels", &arr);
    }
}

/* A successful reply: the failpoint's writeConcernError (replacing the command's), and its
 * errorLabels beside any writeConcernError. */
static void
fired_success(wk_cmd_t *cmd, const wk_cmd_def_t *def, const wk_fp_hit_t *hit)
{
    bson_iter_t it, wce;
    bson_t copy;

    if (bson_iter_init_find(&it, hit->data, "writeConcernError") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        takes_write_concern(cmd, def)) {
        bson_init(&copy);
        bson_copy_to_excluding_noinit(cmd->reply, &copy, "writeConcernError", "errorLabels", NULL);
        bson_reinit(cmd->reply);
        bson_concat(cmd->reply, &copy);
        bson_destroy(&copy);
        bson_append_iter(cmd->reply, "writeConcernError", -1, &it);
    }
    if (data_has(hit->data, "errorLabels") &&
        bson_iter_init_find(&it, cmd->reply, "writeConcernError") &&
        !bson_iter_init_find(&wce, cmd->reply, "errorLabels"))
        append_labels(cmd->reply, hit->data);
}

/*
 * wk_failpoint_leave --
 *     The failpoint's writeConcernError and errorLabels on a command's reply; release the hit.
 */
void
wk_failpoint_leave(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_fp_hit_t *hit, int ret)
{
    hit->explicit_labels = hit->fired && data_has(hit->data, "errorLabels");
    if (hit->fired && ret == SDB_ECLIENT && data_has(hit->data, "errorLabels")) {
        cmd->err.labels = 0;
        if (cmd->err_extra == NULL)
            cmd->err_extra = bson_new();
        append_labels(cmd->err_extra, hit->data);
    } else if (hit->fired && ret == 0 && !hit->closed) {
        fired_success(cmd, def, hit);
    }
    if (hit->data != NULL)
        bson_destroy(hit->data);
    hit->data = NULL;
}

/*
 * wk_failpoint_note_client --
 *     Remember the first hello's application name and internalClient flag.
 */
void
wk_failpoint_note_client(wk_conn_t *c, const bson_t *hello)
{
    bson_iter_t it, f;

    if (c->hello_done)
        return;
    c->internal_client = bson_iter_init_find(&it, hello, "internalClient");
    if (bson_iter_init_find(&it, hello, "client") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &f) && bson_iter_find_descendant(&f, "application.name", &it) &&
        BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(c->app_name, bson_iter_utf8(&it, NULL), sizeof(c->app_name));
}

/*
 * wk_failpoint_getmore --
 *     failGetMoreAfterCursorCheckout: consume one activation (re-read when the table changed
 *     meanwhile) and fail with its errorCode.
 */
int
wk_failpoint_getmore(sdb_error_t *err)
{
    bson_t req, reply;
    bson_iter_t it;
    sdb_error_t ferr;
    int64_t code = 0;
    bool fired = false, stale = true;

    SDB_RET(refresh());
    for (int tries = 0; tries < FP_FIRE_TRIES && gmc.active && stale; tries++) {
        code = gmc.data != NULL && bson_iter_init_find(&it, gmc.data, "errorCode")
                   ? bson_iter_as_int64(&it)
                   : 0;
        bson_init(&req);
        BSON_APPEND_UTF8(&req, "name", FP_GMC_NAME);
        BSON_APPEND_INT64(&req, "version", (int64_t)cache.version);
        SDB_RET(wk_store_call(SDB_OP_FAILPOINT_FIRE, &req, &reply, &ferr));
        bson_destroy(&req);
        fired = bson_iter_init_find(&it, &reply, "fire") && bson_iter_as_bool(&it);
        stale = !fired && bson_iter_init_find(&it, &reply, "stale") && bson_iter_as_bool(&it);
        bson_destroy(&reply);
        if (stale)
            SDB_RET(refresh());
    }
    if (!fired || code == 0)
        return 0;
    return sdb_error_set(err, (int)code,
                         "Failing command via 'failGetMoreAfterCursorCheckout' failpoint");
}
