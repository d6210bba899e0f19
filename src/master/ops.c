/*
 * src/master/ops.c -- the storage operation table and the master's storage housekeeping.
 *
 * ops_table maps each SDB_OP_* number (storeop.def) to its handler in the module that owns
 * the data (catalog, indexes, records, cursors, stats, failpoints, parameters); ms_ops_dispatch
 * is a bounds check, the free-space guard for operations that make the data grow (disk.h),
 * and an indexed call (from a service thread, or from the TTL monitor's thread, ttl.h).
 * ms_ops_tick expires idle cursors and sessions, drops freed cursor spools, retries deferred
 * table drops and trims the oplog; ms_ops_channel_died checks a dead worker's cursors back in.
 *
 * Invariants: the table is constant; dispatch is reentrant (handlers take their own locks).
 * ms_ops_tick and ms_ops_channel_died run on the master's main thread (they use the
 * housekeeping session).
 */
#include "ops.h"
#include "server.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "../common/storeop.h"
#include "catalog.h"
#include "csimages.h"
#include "cursors.h"
#include "disk.h"
#include "failpoints.h"
#include "flush.h"
#include "indexes.h"
#include "logrotate.h"
#include "oplog.h"
#include "params.h"
#include "plancache.h"
#include "profile.h"
#include "records.h"
#include "service.h"
#include "sessions.h"
#include "spool.h"
#include "stats.h"
#include "store.h"
#include "storereq.h"
#include "tmptab.h"
#include "txns.h"
#include "validate.h"
#include "wtstats.h"
#include "xact.h"

#include <errno.h>

typedef int (*ops_handler_t)(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* op_flush -- FLUSH: answer once the WiredTiger log is on disk.  The request parks and the
 * flusher (flush.h) answers it, so the channel's other requests go on meanwhile. */
static int
op_flush(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    ms_later_t *p;
    bool checkpoint;

    SDB_RET(ms_req_bool(req, "checkpoint", false, &checkpoint, err));
    if (ms_store_in_memory())
        return 0;
    if ((p = ms_service_later(ctx)) == NULL)
        return checkpoint ? ctx->session->checkpoint(ctx->session, NULL)
                          : ctx->session->log_flush(ctx->session, "sync=on");
    ms_flush_request(p, ctx->session, checkpoint);
    return 0;
}

static const ops_handler_t ops_table[SDB_OP__MAX] = {
    [SDB_OP_CATALOG] = ms_catalog_op_catalog,
    [SDB_OP_CREATE] = ms_catalog_op_create,
    [SDB_OP_DROP] = ms_catalog_op_drop,
    [SDB_OP_DROP_DB] = ms_catalog_op_drop_db,
    [SDB_OP_RENAME] = ms_catalog_op_rename,
    [SDB_OP_CREATE_INDEXES] = ms_indexes_op_create,
    [SDB_OP_DROP_INDEXES] = ms_indexes_op_drop,
    [SDB_OP_INSERT] = ms_records_op_insert,
    [SDB_OP_SCAN] = ms_records_op_scan,
    [SDB_OP_IXSCAN] = ms_indexes_op_ixscan,
    [SDB_OP_UPDATE] = ms_records_op_update,
    [SDB_OP_DELETE] = ms_records_op_delete,
    [SDB_OP_CURSOR_NEW] = ms_cursors_op_new,
    [SDB_OP_CURSOR_GET] = ms_cursors_op_get,
    [SDB_OP_CURSOR_PUT] = ms_cursors_op_put,
    [SDB_OP_CURSOR_KILL] = ms_cursors_op_kill,
    [SDB_OP_STATS] = ms_stats_op_stats,
    [SDB_OP_FLUSH] = op_flush,
    [SDB_OP_FAILPOINT_SET] = ms_failpoints_op_set,
    [SDB_OP_FAILPOINT_GET] = ms_failpoints_op_get,
    [SDB_OP_FAILPOINT_FIRE] = ms_failpoints_op_fire,
    [SDB_OP_COLL_MOD] = ms_catalog_op_coll_mod,
    [SDB_OP_SESSION_NOTE] = ms_sessions_op_note,
    [SDB_OP_SESSION_END] = ms_sessions_op_end,
    [SDB_OP_SESSION_LIST] = ms_sessions_op_list,
    [SDB_OP_TXN_CHECK] = ms_txns_op_check,
    [SDB_OP_SESSION_KILL] = ms_sessions_op_kill,
    [SDB_OP_SESSION_PERSIST] = ms_sessions_op_persist,
    [SDB_OP_CS_IMAGES] = ms_csimages_op_get,
    [SDB_OP_XACT_BEGIN] = ms_xact_op_begin,
    [SDB_OP_XACT_COMMIT] = ms_xact_op_commit,
    [SDB_OP_XACT_ABORT] = ms_xact_op_abort,
    [SDB_OP_SET_PARAMETER] = ms_params_op_set,
    [SDB_OP_VALIDATE] = ms_validate_op,
    [SDB_OP_WT_STATS] = ms_wtstats_op,
    [SDB_OP_PROFILE_SET] = ms_profile_op_set,
    [SDB_OP_TMP_NEW] = ms_tmptab_op_new,
    [SDB_OP_TMP_APPEND] = ms_tmptab_op_append,
    [SDB_OP_TMP_READ] = ms_tmptab_op_read,
    [SDB_OP_TMP_DROP] = ms_tmptab_op_drop,
    [SDB_OP_CURSOR_APPEND] = ms_cursors_op_append,
    [SDB_OP_LOG_ROTATE] = ms_logrotate_op,
    [SDB_OP_PLAN_CACHE_GET] = ms_plancache_op_get,
    [SDB_OP_PLAN_CACHE_PUT] = ms_plancache_op_put,
    [SDB_OP_PLAN_CACHE] = ms_plancache_op,
};

/* Operations a transaction's statement may run inside it (request field `xact`); CREATE and
 * CREATE_INDEXES make the transaction's own new collection (catalog.h). */
static const bool ops_xact[SDB_OP__MAX] = {
    [SDB_OP_INSERT] = true,         [SDB_OP_UPDATE] = true, [SDB_OP_DELETE] = true,
    [SDB_OP_SCAN] = true,           [SDB_OP_IXSCAN] = true, [SDB_OP_CREATE] = true,
    [SDB_OP_CREATE_INDEXES] = true,
};

/* Operations that make the data grow: refused while the disk is (nearly) full (disk.h).
 * Deletes and drops still run, so a user can make room. */
static const bool ops_grow[SDB_OP__MAX] = {
    [SDB_OP_CREATE] = true, [SDB_OP_RENAME] = true, [SDB_OP_CREATE_INDEXES] = true,
    [SDB_OP_INSERT] = true, [SDB_OP_UPDATE] = true, [SDB_OP_COLL_MOD] = true,
};

/* Operations that may name a retryable write (`txn`): its number ends the session's
 * transaction (ms_xact_retryable_write). */
static const bool ops_retryable[SDB_OP__MAX] = {
    [SDB_OP_INSERT] = true,
    [SDB_OP_UPDATE] = true,
    [SDB_OP_DELETE] = true,
    [SDB_OP_TXN_CHECK] = true,
};

/* The request field naming what a schema change pulls tables from under (ms_xact_abort_writers):
 * a collection's ns, or a database. */
static const char *const ops_schema_ns[SDB_OP__MAX] = {
    [SDB_OP_DROP] = "ns",           [SDB_OP_DROP_DB] = "db",      [SDB_OP_RENAME] = "from",
    [SDB_OP_CREATE_INDEXES] = "ns", [SDB_OP_DROP_INDEXES] = "ns",
};

/* before_schema_change -- abort the transactions whose uncommitted writes it would strand
 * (not for a transaction's own change: only its new collection, catalog.h). */
static void
before_schema_change(int op, const bson_t *req)
{
    bson_iter_t it;

    if (ops_schema_ns[op] != NULL && !bson_has_field(req, "xact") &&
        bson_iter_init_find(&it, req, ops_schema_ns[op]) && BSON_ITER_HOLDS_UTF8(&it))
        ms_xact_abort_writers(bson_iter_utf8(&it, NULL), op == SDB_OP_DROP_DB);
}

/* run -- the handler, on the transaction's session when the request names one (xact.h). */
static int
run(ms_ctx_t *ctx, int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *own = ctx->session;
    int ret;

    ctx->own = own;
    ctx->xact = NULL;
    before_schema_change(op, req);
    if (ops_retryable[op])
        SDB_RET(ms_xact_retryable_write(req, err));
    if (ops_xact[op])
        SDB_RET(ms_xact_checkout(req, &ctx->xact, err));
    if (ctx->xact == NULL)
        return ops_table[op](ctx, req, reply, err);
    ctx->session = ms_xact_session(ctx->xact);
    ret = ops_table[op](ctx, req, reply, err);
    ctx->session = own;
    ret = ms_xact_checkin(ctx->xact, ret, err);
    ctx->xact = NULL;
    return ret;
}

int
ms_ops_dispatch(ms_ctx_t *ctx, int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int ret;

    if (op <= 0 || op >= SDB_OP__MAX || ops_table[op] == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "unknown storage operation %d", op);
    if (ctx == NULL || ctx->session == NULL || req == NULL || reply == NULL)
        return EINVAL;
    if (ops_grow[op])
        SDB_RET(ms_disk_check(ctx->session, req->len, err));
    ret = run(ctx, op, req, reply, err);
    if (ret == ENOSPC) /* past the guard (disk.h): still the client's error, not a crash */
        return sdb_error_set(err, SDB_CODE_OutOfDiskSpace, "%s: No space left on device",
                             sdb_storeop_name(op));
    if (ret == WT_CACHE_FULL) /* :memory: holds everything, spilled cursor spools too */
        return sdb_error_set(err, SDB_CODE_ExceededMemoryLimit,
                             "WT_CACHE_FULL: operation would overflow cache");
    if (ret == WT_PANIC)
        ms_server_panic(sdb_storeop_name(op));
    else if (ret != 0 && ret != SDB_ECLIENT && (ret > 0 || ret <= WT_ROLLBACK))
        ms_store_wt_error(ret, sdb_storeop_name(op)); /* WiredTiger/errno: name it in the log */
    return ret;
}

void
ms_ops_channel_died(int slot)
{
    ms_cursors_channel_died(slot);
    ms_tmptab_channel_died(slot);
}

void
ms_ops_tick(void)
{
    WT_SESSION *s = ms_store_house_session();

    ms_cursors_expire(ms_now_ms());
    ms_sessions_expire(ms_now_ms());
    ms_xact_tick(ms_now_ms());
    if (s != NULL) {
        ms_spool_tick(s, MS_SPOOL_TICK_MS);
        ms_catalog_tick(s);
        ms_oplog_tick(s);
        ms_sessions_persist_tick(s, ms_now_ms());
    }
}
