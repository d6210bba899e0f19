/*
 * src/worker/cmd/current_op.c -- currentOp and killOp.
 *
 * currentOp reads every worker's row of running operations in the global segment
 * (op_registry.h) and answers {inprog: [...]} with mongod 7.0's fields for each (type, host,
 * desc, connectionId, client, appName, active, currentOpTime, opid, secs_running,
 * microsecs_running, op, ns, command, numYields, locks, waitingForLock ...); the command's
 * fields other than $all, $ownOps and the generic arguments are a filter on those documents
 * (mongod's matcher).  $all: true (or idleConnections: true) also lists every open
 * connection that runs nothing, as mongod's idle entries (active: false, client, connectionId,
 * appName, desc "conn<N>"; op_registry.h lists up to SDB_CONNS_LISTED per worker).  killOp {op: opid} makes that
 * operation stop at its next interrupt point with 11601 Interrupted.
 */
#include "../../common/global.h"
#include "../command.h"
#include "../engine/args.h"
#include "../op_registry.h"
#include "../query/matcher.h"
#include "../worker.h"

#include <string.h>

/* filter_of -- the command's filter: every field but the command, $all, $ownOps and the
 * generic arguments. */
static void
filter_of(const wk_cmd_t *cmd, bson_t *f)
{
    bson_iter_t it;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "$all") != 0 && strcmp(k, "$ownOps") != 0 &&
            strcmp(k, "idleConnections") != 0 && !wk_cmdu_is_generic(k))
            bson_append_iter(f, k, -1, &it);
    }
}

/* idle_wanted -- $all: true (mongosh's db.currentOp(true)) or idleConnections: true lists
 * the idle connections too, as mongod does. */
static bool
idle_wanted(const wk_cmd_t *cmd)
{
    bson_iter_t it;

    return (bson_iter_init_find(&it, cmd->body, "$all") && bson_iter_as_bool(&it)) ||
           (bson_iter_init_find(&it, cmd->body, "idleConnections") && bson_iter_as_bool(&it));
}

/* The operations the filter selects, appended to an array. */
typedef struct select {
    wk_matcher_t *m;
    bson_t *arr;
    uint32_t n;
} select_t;

static void
select_op(const bson_t *doc, void *arg)
{
    select_t *sel = arg;
    char key[16];
    const char *k;

    if (!wk_matcher_matches(sel->m, doc, NULL))
        return;
    bson_uint32_to_string(sel->n++, &k, key, sizeof(key));
    BSON_APPEND_DOCUMENT(sel->arr, k, doc);
}

/*
 * wk_cmd_current_op --
 *     {currentOp: 1, $all?, $ownOps?, <filter>...} -> {inprog: [...]}.
 */
int
wk_cmd_current_op(wk_cmd_t *cmd)
{
    bson_t filter = BSON_INITIALIZER, arr;
    select_t sel = {NULL, &arr, 0};
    int ret = 0;

    filter_of(cmd, &filter);
    SDB_ERR(wk_matcher_new(&filter, &sel.m, &cmd->err));
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "inprog", &arr);
    wk_opreg_each(select_op, &sel, idle_wanted(cmd));
    bson_append_array_end(cmd->reply, &arr);
err:
    wk_matcher_free(sel.m);
    bson_destroy(&filter);
    return ret;
}

/*
 * wk_cmd_kill_op --
 *     {killOp: 1, op: opid} -> {info: "attempting to kill op"}.
 */
int
wk_cmd_kill_op(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"op", NULL};
    bson_iter_t it;

    SDB_RET(wk_cmdu_check_fields(cmd, fields));
    if (!bson_iter_init_find(&it, cmd->body, "op"))
        return sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                             "BSON field 'killOp.op' is missing but a required field");
    if (!BSON_ITER_HOLDS_NUMBER(&it))
        return wk_cmdu_type_error(cmd, "op", bson_iter_type(&it), "long");
    wk_opreg_kill(bson_iter_as_int64(&it));
    BSON_APPEND_UTF8(cmd->reply, "info", "attempting to kill op");
    return 0;
}
