/*
 * src/worker/oplog_wait.h -- park a request until the oplog head moves.
 *
 * Every write the master commits appends an oplog entry and publishes its timestamp as the
 * global segment's oplog_head (master/oplog.c).  A request that waits for new data (an
 * awaitData getMore on a change stream, a tailable cursor on a capped collection or on
 * local.oplog.rs, an afterClusterTime read) parks its coroutine here: the worker keeps
 * serving its other connections and the master's service thread is not involved at all.
 *
 * Contract: call from a coroutine on the event loop thread only.
 */
#ifndef SRC_WORKER_OPLOG_WAIT_H
#define SRC_WORKER_OPLOG_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/* wk_oplog_head -- the last committed oplog timestamp (secs << 32 | inc), 0 before any. */
uint64_t wk_oplog_head(void);

/* wk_oplog_wait -- suspend the running coroutine until the oplog head differs from `seen`,
 * at most max_ms milliseconds (the worker exiting ends the wait too).  Returns whether the
 * head moved.  Wakes within about a millisecond of the commit. */
bool wk_oplog_wait(uint64_t seen, int64_t max_ms);

/* wk_oplog_wait_until -- the same, until the head reaches at least `ts`. */
bool wk_oplog_wait_until(uint64_t ts, int64_t max_ms);

#endif
