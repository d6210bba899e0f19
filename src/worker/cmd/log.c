/*
 * src/worker/cmd/log.c -- the log commands: getLog and logRotate.
 *
 * getLog reads the recent lines of every process from their rings in the global segment
 * (common/logring.h: each process writes its own ring; this worker merges them by time, so
 * the answer is the same from any worker): "global" holds the newest 1024 lines, as mongod's
 * RamLog does, "startupWarnings" the warnings the master logged while starting, "*" names
 * both.  Lines are our log's JSON lines.  logRotate asks the master (LOG_ROTATE), which
 * renames or reopens the file and makes every process reopen it.  wk_log_command is the
 * dispatcher's debug line for each command (logLevel 2, as mongod's).
 *
 * Invariants: event-loop thread; the rings are only read here.
 */
#include "log.h"

#include "../../common/global.h"
#include "../../common/log.h"
#include "../../common/logring.h"
#include "../../common/storeop.h"
#include "../command.h"
#include "../conn.h"
#include "../engine/exec.h"
#include "../worker.h"

#include <string.h>

#define GETLOG_MAX 1024 /* mongod's RamLog keeps 1024 lines */

/*
 * wk_cmd_get_log --
 *     {getLog: "global" | "startupWarnings" | "*"}.
 */
int
wk_cmd_get_log(wk_cmd_t *cmd)
{
    bson_iter_t it;
    const char *which;
    bson_t a;
    int64_t total;
    bool startup;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "Argument to getLog must be of type String; found %s", "another type");
    which = bson_iter_utf8(&it, NULL);
    if (strcmp(which, "*") == 0) {
        BSON_APPEND_ARRAY_BEGIN(cmd->reply, "names", &a);
        BSON_APPEND_UTF8(&a, "0", "global");
        BSON_APPEND_UTF8(&a, "1", "startupWarnings");
        bson_append_array_end(cmd->reply, &a);
        return 0;
    }
    startup = strcmp(which, "startupWarnings") == 0;
    if (!startup && strcmp(which, "global") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_OperationFailed, "No RamLog names: %s", which);
    bson_init(&a);
    sdb_logring_collect(wk_global->logring, SDB_MAX_WORKERS + 1, GETLOG_MAX, startup, &a, &total);
    if (startup)
        total = bson_count_keys(&a);
    BSON_APPEND_INT32(cmd->reply, "totalLinesWritten", (int32_t)total);
    BSON_APPEND_ARRAY(cmd->reply, "log", &a);
    bson_destroy(&a);
    return 0;
}

/*
 * wk_cmd_log_rotate --
 *     {logRotate: 1 | "server"}: rotate the server log now (the master does it).
 */
int
wk_cmd_log_rotate(wk_cmd_t *cmd)
{
    bson_iter_t it;
    bson_t req = BSON_INITIALIZER, reply;
    int ret;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "server") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_NoSuchKey, "Unknown log type for rotate: %s",
                             bson_iter_utf8(&it, NULL));
    ret = wk_cmdu_store(SDB_OP_LOG_ROTATE, &req, &reply, &cmd->err);
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/*
 * wk_log_command --
 *     The D2 line mongod writes before running a command.
 */
void
wk_log_command(const wk_cmd_t *cmd)
{
    bson_t attr;

    if (!sdb_log_debug_on(2, "COMMAND"))
        return;
    bson_init(&attr);
    BSON_APPEND_UTF8(&attr, "db", cmd->db != NULL ? cmd->db : "");
    BSON_APPEND_UTF8(&attr, "client", cmd->conn != NULL ? cmd->conn->peer : "");
    BSON_APPEND_DOCUMENT(&attr, "commandArgs", cmd->body);
    sdb_logd(2, "COMMAND", 21965, "About to run the command", &attr);
    bson_destroy(&attr);
}
