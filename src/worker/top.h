/*
 * src/worker/top.h -- the per-namespace usage counters of the top command.
 *
 * Every command a worker finishes is counted for its namespace (the one currentOp shows) in
 * the worker's row of the global segment: total, readLock or writeLock by its kind, and one
 * of queries, getmore, insert, update, remove, commands, each as {time (microseconds),
 * count}, as mongod's top reports them.  top (cmd/top.c) sums every worker's rows.  A row
 * holds SDB_TOP_NS namespaces; past that, new namespaces are not counted.
 *
 * Contract: the event-loop thread of a worker writes only its own row.
 */
#ifndef SRC_WORKER_TOP_H
#define SRC_WORKER_TOP_H

#include <stdbool.h>
#include <stdint.h>

/* wk_top_count -- command `name` (writes: `write`) on ns took `us` microseconds. */
void wk_top_count(const char *ns, const char *name, bool write, int64_t us);

#endif
