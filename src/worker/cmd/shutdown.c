/*
 * src/worker/cmd/shutdown.c -- {shutdown: 1, force, timeoutSecs}: stop the whole server.
 *
 * Test wrappers (mongodb-memory-server, testcontainers) stop mongod this way.  The worker
 * asks the master to shut down exactly as SIGTERM from systemd would: the master stops every
 * worker, then closes WiredTiger cleanly.  Only against the admin database.
 */
#include "../command.h"

#include <signal.h>
#include <unistd.h>

/*
 * wk_cmd_shutdown --
 *     Ask the master for an orderly shutdown.
 */
int
wk_cmd_shutdown(wk_cmd_t *cmd)
{
    if (kill(getppid(), SIGTERM) != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InternalError, "cannot signal the master");
    return 0;
}
