/*
 * src/master/cursors.h -- the master's cursor table (CURSOR_NEW/GET/PUT/KILL).
 *
 * A cursor outlives the request and the connection that made it: any worker may continue
 * it.  It holds its namespace, the worker's opaque state document (how to resume a
 * streaming plan) and an optional spool of remaining documents (a blocking plan's result).
 * CURSOR_GET checks a cursor out to the calling worker slot until CURSOR_PUT; a cursor
 * checked out elsewhere answers 143 CursorInUse.  Idle cursors (not checked out, not created
 * with noTimeout) expire after the cursor timeout (MS_CURSOR_IDLE_MS unless set); a dead
 * worker's checked-out cursors are checked back in.  A spool larger than a small threshold
 * lives in a temporary WiredTiger table (spool.h), so the heap holds at most
 * MS_SPOOL_HEAP_CAP bytes of spooled documents over all cursors.
 *
 * Thread safety: every function may be called from any thread (one internal mutex).
 */
#ifndef MS_CURSORS_H
#define MS_CURSORS_H

#include "../common/lsid.h"
#include "ops.h"

#include <stdint.h>

#define MS_CURSOR_IDLE_MS (10 * 60 * 1000)

int ms_cursors_op_new(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_cursors_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_cursors_op_append(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_cursors_op_put(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_cursors_op_kill(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_cursors_expire -- drop cursors idle since before now_ms - the timeout; returns how many
 * were dropped (counted in metrics.cursor.timedOut).  Main thread (housekeeping session). */
size_t ms_cursors_expire(int64_t now_ms);

/* ms_cursors_set_timeout -- the idle timeout in ms (cursorTimeoutMillis); < 0: the default.
 * Checked by ms_cursors_expire, which the master's one-second tick calls. */
void ms_cursors_set_timeout(int64_t ms);

/* ms_cursors_kill_session -- kill every cursor created in session key (NULL: in any session),
 * as killCursors does (a checked-out one is freed by its owner); returns how many.  The end,
 * expiry or kill of a session takes its cursors with it. */
size_t ms_cursors_kill_session(const sdb_lsid_t *key);

/* ms_cursors_kill_xact -- kill the cursors created in transaction n of session key: they end
 * with it, as in mongod. */
size_t ms_cursors_kill_xact(const sdb_lsid_t *key, int64_t n);

/* ms_cursors_channel_died -- check in every cursor worker `slot` had checked out (and free
 * the ones killed meanwhile).  Main thread. */
void ms_cursors_channel_died(int slot);

/* ms_cursors_count -- cursors in the table (tests, serverStatus). */
size_t ms_cursors_count(void);

/* ms_cursors_clear -- drop every cursor and its spool, tables included (at close, main
 * thread, before the housekeeping session closes). */
void ms_cursors_clear(void);

#endif
