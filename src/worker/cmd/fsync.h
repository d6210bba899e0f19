/*
 * src/worker/cmd/fsync.h -- fsync, fsync lock and fsyncUnlock.
 *
 * {fsync: 1} answers once a WiredTiger checkpoint has written every table (and the log): the
 * data files on disk are then complete.  {fsync: 1, lock: true} does the same and then holds
 * every write (the WK_CMD_F_WRITE commands) of every worker until as many fsyncUnlock as
 * locks (mongod's lockCount), so the files can be copied as a backup; reads go on.  The count
 * lives in the global segment (fsync_locks), so any worker's connection may unlock it.
 */
#ifndef SRC_WORKER_CMD_FSYNC_H
#define SRC_WORKER_CMD_FSYNC_H

#include "../command.h"

/* wk_fsync_wait -- a write waits here while the server is fsync-locked (bounded by its
 * maxTimeMS, its client and shutdown: op.h). */
int wk_fsync_wait(wk_cmd_t *cmd);

#endif
