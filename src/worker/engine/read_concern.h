/*
 * src/worker/engine/read_concern.h -- a command's readConcern: afterClusterTime and snapshot.
 *
 * The dispatcher calls wk_rc_check before every handler: it checks the readConcern as mongod
 * does for this command (level "snapshot" outside a transaction only on find, aggregate and
 * distinct; atClusterTime only with it; neither time beyond the current cluster time) and
 * parks the request until the oplog has reached afterClusterTime (causal consistency).  The
 * read commands then ask wk_rc_snapshot_ts for the time a snapshot read reads at, which
 * travels in their SCAN / IXSCAN requests (storeop.def readTs) and in their cursor state.
 *
 * Contract: event-loop thread, inside the command's coroutine (wk_rc_check may park it).
 * Errors are client errors in cmd->err (SDB_ECLIENT).
 */
#ifndef WK_ENGINE_READ_CONCERN_H
#define WK_ENGINE_READ_CONCERN_H

#include "../command.h"

#include <stdint.h>

/* wk_rc_check -- validate the command's readConcern and wait for its afterClusterTime. */
int wk_rc_check(wk_cmd_t *cmd);

/* wk_rc_snapshot_ts -- the oplog time (secs << 32 | inc) a readConcern "snapshot" command
 * reads at: its atClusterTime, else the latest committed write; 0 when the command is not a
 * snapshot read.  Call after wk_rc_check succeeded. */
uint64_t wk_rc_snapshot_ts(const wk_cmd_t *cmd);

/* wk_rc_append_ts -- append ts as a BSON Timestamp named `key`. */
void wk_rc_append_ts(bson_t *doc, const char *key, uint64_t ts);

#endif
