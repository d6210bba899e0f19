/*
 * src/worker/cmd/session.c -- session bookkeeping commands: endSessions, killAllSessions,
 * logout.
 *
 * Logical sessions carry no server-side state yet beyond what cursors reference, so ending
 * or killing sessions has nothing further to release; the commands validate their
 * arguments as mongod does.  logout is a no-op without authentication (mongod 7.0 also
 * accepts it).
 */
#include "../command.h"

#include <string.h>

static int
expect_array(wk_cmd_t *cmd)
{
    bson_iter_t it;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_ARRAY(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.%s' is the wrong type, expected type 'array'",
                             cmd->name, cmd->name);
    return 0;
}

/*
 * wk_cmd_end_sessions --
 *     {endSessions: [lsid...]}.
 */
int
wk_cmd_end_sessions(wk_cmd_t *cmd)
{
    return expect_array(cmd);
}

/*
 * wk_cmd_kill_all_sessions --
 *     {killAllSessions: [{user, db}...]}.
 */
int
wk_cmd_kill_all_sessions(wk_cmd_t *cmd)
{
    return expect_array(cmd);
}

/*
 * wk_cmd_logout --
 *     Nothing is authenticated, so nothing to log out of.
 */
int
wk_cmd_logout(wk_cmd_t *cmd)
{
    return 0;
}
