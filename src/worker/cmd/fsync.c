/*
 * src/worker/cmd/fsync.c -- fsync, fsync lock and fsyncUnlock (fsync.h).
 */
#include "fsync.h"

#include "../../common/global.h"
#include "../../common/storeop.h"
#include "../coro.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../worker.h"

#define FSYNC_WAIT_MS 10 /* a held write looks at the lock this often */

/* checkpoint -- FLUSH {checkpoint: true}: every table on disk. */
static int
checkpoint(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, reply;
    int ret;

    BSON_APPEND_BOOL(&req, "checkpoint", true);
    ret = wk_cmdu_store(SDB_OP_FLUSH, &req, &reply, &cmd->err);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/*
 * wk_cmd_fsync --
 *     {fsync: 1, lock?: bool} -> {numFiles: 1} or, locked, {info, lockCount, seeAlso}.
 */
int
wk_cmd_fsync(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"lock", NULL};
    bson_iter_t it;
    bool lock = false;
    uint64_t n;

    SDB_RET(wk_cmdu_check_fields(cmd, fields));
    if (bson_iter_init_find(&it, cmd->body, "lock"))
        lock = bson_iter_as_bool(&it);
    SDB_RET(checkpoint(cmd));
    if (!lock) {
        BSON_APPEND_INT32(cmd->reply, "numFiles", 1);
        return 0;
    }
    n = atomic_fetch_add(&wk_global->fsync_locks, 1) + 1;
    BSON_APPEND_UTF8(cmd->reply, "info",
                     "now locked against writes, use db.fsyncUnlock() to unlock");
    BSON_APPEND_INT64(cmd->reply, "lockCount", (int64_t)n);
    BSON_APPEND_UTF8(cmd->reply, "seeAlso", "http://dochub.mongodb.org/core/fsynccommand");
    return 0;
}

/*
 * wk_cmd_fsync_unlock --
 *     {fsyncUnlock: 1} -> {info, lockCount}; 20 IllegalOperation when not locked.
 */
int
wk_cmd_fsync_unlock(wk_cmd_t *cmd)
{
    uint64_t n = atomic_load(&wk_global->fsync_locks);

    do {
        if (n == 0)
            return sdb_error_set(&cmd->err, SDB_CODE_IllegalOperation,
                                 "fsyncUnlock called when not locked");
    } while (!atomic_compare_exchange_weak(&wk_global->fsync_locks, &n, n - 1));
    BSON_APPEND_UTF8(cmd->reply, "info", "fsyncUnlock completed");
    BSON_APPEND_INT64(cmd->reply, "lockCount", (int64_t)(n - 1));
    return 0;
}

int
wk_fsync_wait(wk_cmd_t *cmd)
{
    while (atomic_load(&wk_global->fsync_locks) > 0) {
        SDB_RET(wk_op_interrupted(&cmd->op, &cmd->err));
        wk_coro_sleep_ms(FSYNC_WAIT_MS);
    }
    return 0;
}
