/*
 * src/worker/op_registry.h -- the running operations every worker lists for currentOp, and
 * killOp.
 *
 * Each worker owns one row of SDB_OPS_PER_WORKER slots in the global segment (global.h): the
 * dispatcher lists a command there while it runs (opid, client, connectionId, ns, the kind
 * of operation and the command's first SDB_OP_CMD_MAX bytes) and clears it when it ends.  Any
 * worker's currentOp reads every row (a seqlock per slot: a slot changing under the reader is
 * read again).  killOp writes the opid into the global kill ring; the operation with that
 * opid stops at its next interrupt point with 11601 Interrupted (op.h).  opids are positive
 * int32 values, unique per worker slot and counter: worker << 24 | counter.
 *
 * Contract: the event-loop thread of a worker writes only its own row.
 */
#ifndef SRC_WORKER_OP_REGISTRY_H
#define SRC_WORKER_OP_REGISTRY_H

#include "../common/global.h"
#include "op.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* wk_opreg_begin -- list an operation of connection (conn_id, client, app) running command
 * `name` with body `body` on `ns`; op->opid gets its opid.  Returns the slot index, or -1 when
 * the row is full (the operation then runs unlisted and cannot be killed by opid). */
int wk_opreg_begin(wk_op_t *op, int64_t conn_id, const char *client, const char *app,
                   const char *name, const char *ns, const bson_t *body);

/* wk_opreg_kind -- the `op` mongod's currentOp and profiler show for command `name`:
 * "query", "getmore", "insert", "update", "remove" or "command". */
const char *wk_opreg_kind(const char *name);

/* wk_opreg_end -- the operation in slot i ended (i < 0: nothing). */
void wk_opreg_end(int i);

/* wk_opreg_kill -- killOp: the operation opid stops at its next interrupt point. */
void wk_opreg_kill(int64_t opid);

/* wk_opreg_killed -- whether killOp named op since it began. */
bool wk_opreg_killed(const wk_op_t *op);

/* wk_opreg_conn_open -- list connection conn_id of client "ip:port" (accept); returns its row
 * or -1 when this worker's rows are full (it is then not listed). */
int wk_opreg_conn_open(int64_t conn_id, const char *client);

/* wk_opreg_conn_app -- row i's client named itself `app` (its hello's application.name). */
void wk_opreg_conn_app(int i, const char *app);

/* wk_opreg_conn_close -- row i's connection closed (i < 0: nothing). */
void wk_opreg_conn_close(int i);

/* wk_opreg_running -- operations running on every worker, but the one whose opid is
 * `except` (shutdown's quiesce period waits for them). */
int wk_opreg_running(int64_t except);

/* wk_opreg_each -- call fn with every running operation of every worker as a currentOp
 * inprog document (mongod's fields); with `idle`, then with every listed connection that
 * runs nothing (mongod's idle entry: active false).  The master's running index builds come
 * between the two, as mongod's IndexBuildsCoordinatorMongod entries. */
void wk_opreg_each(void (*fn)(const bson_t *doc, void *arg), void *arg, bool idle);

#endif
