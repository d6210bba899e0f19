/*
 * src/master/sessions.h -- the logical session cache ($listLocalSessions, endSessions).
 *
 * The master keeps every logical session id (lsid) a worker has reported, with its uid and
 * last use, in private memory; sessions idle for logicalSessionTimeoutMinutes (default 30)
 * are dropped by ms_sessions_expire, taking their cursors and open transaction with them.
 *
 * Contract: the handlers are storage operations (ops.h), called from any service thread
 * concurrently; they take the module's mutex.  A malformed entry in a request is skipped.
 */
#ifndef MS_SESSIONS_H
#define MS_SESSIONS_H

#include "ops.h"

#include <stddef.h>
#include <stdint.h>

/* ms_sessions_op_note -- SESSION_NOTE (storeop.def): record or refresh sessions. */
int ms_sessions_op_note(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_sessions_op_end -- SESSION_END: forget sessions (endSessions). */
int ms_sessions_op_end(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_sessions_op_list -- SESSION_LIST: every cached session. */
int ms_sessions_op_list(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_sessions_op_kill -- SESSION_KILL: kill sessions (their cursors and open transaction);
 * they stay in the cache. */
int ms_sessions_op_kill(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_sessions_expire -- drop sessions idle since before now_ms - the timeout, with their
 * cursors and open transactions (main thread, the one-second tick); returns how many. */
size_t ms_sessions_expire(int64_t now_ms);

/* ms_sessions_set_timeout -- logicalSessionTimeoutMinutes (start-up; <= 0: the default 30). */
void ms_sessions_set_timeout(int64_t minutes);

/* ms_sessions_timeout_ms -- the session timeout in milliseconds. */
int64_t ms_sessions_timeout_ms(void);

/* ---- config.system.sessions (sessions_coll.c) ---- */

/* ms_sessions_persist -- refresh config.system.sessions from the cache now (mongod's
 * periodic refresh): insert, update and delete records until it mirrors the cache. */
int ms_sessions_persist(ms_ctx_t *ctx, sdb_error_t *err);

/* ms_sessions_op_persist -- SESSION_PERSIST (refreshLogicalSessionCacheNow). */
int ms_sessions_op_persist(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_sessions_persist_tick -- the periodic refresh, every logicalSessionRefreshMillis (5
 * minutes); main thread, housekeeping session. */
void ms_sessions_persist_tick(WT_SESSION *s, int64_t now_ms);

#endif
