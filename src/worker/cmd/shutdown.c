/*
 * src/worker/cmd/shutdown.c -- {shutdown: 1, force, timeoutSecs}: stop the whole server.
 *
 * Test wrappers (mongodb-memory-server, testcontainers) stop mongod this way.  As mongod 7.0
 * does, the server first enters a quiesce period: without `force` it waits, up to timeoutSecs
 * (default 15), for the operations running on every worker to finish (currentOp's registry,
 * op_registry.h); with `force` it does not wait.  Then the worker asks the master to shut down
 * exactly as SIGTERM from systemd would: the master stops every worker (what still runs ends
 * with 11600 InterruptedAtShutdown), then closes WiredTiger cleanly.  mongod never answers a
 * shutdown that succeeds: its client sees the connection close, which is what drivers and
 * mongosh's db.shutdownServer() expect, so this connection is shut down instead of answered.
 * There is no replica-set secondary to step down to, so nothing else can refuse it.  Only
 * against the admin database.
 */
#include "../../common/log.h"
#include "../command.h"
#include "../conn.h"
#include "../coro.h"
#include "../engine/args.h"
#include "../op_registry.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define SHUTDOWN_TIMEOUT_DEFAULT_S 15 /* mongod 5.0+'s quiesce period */
#define QUIESCE_POLL_MS 20

/* options -- force and timeoutSecs, with mongod's type checks. */
static int
options(wk_cmd_t *cmd, bool *force, int64_t *timeout_s)
{
    static const char *const fields[] = {"force", "timeoutSecs", NULL};
    bson_iter_t it;

    SDB_RET(wk_cmdu_check_fields(cmd, fields));
    *force = bson_iter_init_find(&it, cmd->body, "force") && wk_cmdu_truthy(&it);
    *timeout_s = SHUTDOWN_TIMEOUT_DEFAULT_S;
    if (bson_iter_init_find(&it, cmd->body, "timeoutSecs")) {
        if (!BSON_ITER_HOLDS_NUMBER(&it))
            return wk_cmdu_type_error(cmd, "timeoutSecs", bson_iter_type(&it), "long");
        *timeout_s = bson_iter_as_int64(&it);
        if (*timeout_s < 0)
            *timeout_s = 0;
    }
    return 0;
}

/* quiesce -- wait until no other operation runs, at most timeout_s seconds. */
static void
quiesce(const wk_cmd_t *cmd, int64_t timeout_s)
{
    int64_t waited = 0;
    int n;

    while ((n = wk_opreg_running(cmd->op.opid)) > 0 && waited < timeout_s * 1000 &&
           !wk_coro_stopping()) {
        wk_coro_sleep_ms(QUIESCE_POLL_MS);
        waited += QUIESCE_POLL_MS;
    }
    if (n > 0)
        sdb_logf(SDB_LOG_I, "COMMAND", 4695102, "Quiesce period ended with operations running",
                 "%d still running after %lld s", n, (long long)timeout_s);
}

/*
 * wk_cmd_shutdown --
 *     Quiesce, then ask the master for an orderly shutdown; the client sees its connection
 *     close.
 */
int
wk_cmd_shutdown(wk_cmd_t *cmd)
{
    bool force;
    int64_t timeout_s;

    SDB_RET(options(cmd, &force, &timeout_s));
    sdb_logf(SDB_LOG_I, "COMMAND", 20466, "Terminating via shutdown command",
             "force: %s, "
             "timeoutSecs: %lld",
             force ? "true" : "false", (long long)timeout_s);
    if (!force)
        quiesce(cmd, timeout_s);
    if (kill(getppid(), SIGTERM) != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InternalError, "cannot signal the master");
    shutdown(cmd->conn->fd, SHUT_RDWR); /* no reply, as mongod: the loop sees EOF */
    return 0;
}
