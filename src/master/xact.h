/*
 * src/master/xact.h -- multi-document transactions: the master's table of open transactions.
 *
 * A transaction is a WiredTiger snapshot transaction on a WT_SESSION of its own, looked up by
 * (session key {id, uid}, txnNumber), so any worker's channel may carry its next statement (DESIGN.md,
 * "Sessions and transactions"); it belongs to the client, not to a channel (rule 4), and ends
 * by commit, abort, a newer txnNumber on its session, transactionLifetimeLimitSeconds, or the
 * end of its session.
 *
 * A statement's storage operations name the transaction in their request (`xact: {id, n}`,
 * storeop.def); ms_ops_dispatch checks it out (ms_xact_checkout) for the duration of one
 * operation, during which the handler runs on the transaction's session: writes neither begin
 * nor commit a WiredTiger transaction of their own and write no oplog entry; they hand their
 * entry to ms_xact_add_op instead, and XACT_COMMIT writes all of them as one applyOps entry in
 * the transaction's own WiredTiger transaction (oplog.h).
 *
 * Contract: callable from any service thread and from the main thread; the module takes its
 * own locks and never holds them across a call out of this file, except a checked-out
 * transaction's own mutex, which its holder keeps until ms_xact_checkin.
 */
#ifndef MS_XACT_H
#define MS_XACT_H

#include "../common/errors.h"
#include "../common/lsid.h"
#include "oplog.h"
#include "ops.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

typedef struct ms_xact ms_xact_t;

/* ms_xact_end_session -- abort the open transaction of session `key` (if any) and forget the
 * session: it ended, expired or was killed.  Returns how many transactions were aborted. */
int ms_xact_end_session(const sdb_lsid_t *key);

/* ms_xact_clear -- abort every open transaction and forget every session: the store is about
 * to close (no service thread runs any more). */
void ms_xact_clear(void);

/* ms_xact_set_lifetime -- transactionLifetimeLimitSeconds (start-up). */
void ms_xact_set_lifetime(int64_t secs);

/* ms_xact_checkout -- the transaction a request names in `xact`, checked out (its session is
 * then this thread's until ms_xact_checkin): *x is NULL when the request names none.  251
 * NoSuchTransaction when it is not open (any more). */
int ms_xact_checkout(const bson_t *req, ms_xact_t **x, sdb_error_t *err);

/* ms_xact_session -- a checked-out transaction's WiredTiger session. */
WT_SESSION *ms_xact_session(ms_xact_t *x);

/* ms_xact_checkin -- give a checked-out transaction back after one operation that returned
 * `ret`; a write conflict (WT_ROLLBACK) aborts the transaction and becomes 112 WriteConflict
 * in *err.  Returns the operation's status as the client should see it. */
int ms_xact_checkin(ms_xact_t *x, int ret, sdb_error_t *err);

/* ms_xact_add_op -- record one write of a checked-out transaction for its applyOps entry. */
void ms_xact_add_op(ms_xact_t *x, const ms_oplog_entry_t *e);

/* ms_xact_retryable_write -- a request naming a retryable write (`txn: {id, n}`, txns.h) on a
 * session that ran transactions: a newer n aborts the open transaction (mongod's
 * beginOrContinue); the number of a transaction is 72, an older one 225. */
int ms_xact_retryable_write(const bson_t *req, sdb_error_t *err);

/* ms_xact_abort_writers -- abort the open transactions that wrote to collection `ns` (every
 * collection of database `ns` when is_db): a schema change is about to pull its tables from
 * under them.  Call without holding any lock.  Returns how many were aborted. */
int ms_xact_abort_writers(const char *ns, bool is_db);

/* ms_xact_tick -- abort the transactions older than transactionLifetimeLimitSeconds (main
 * thread).  Returns how many were aborted. */
int ms_xact_tick(int64_t now_ms);

/* ms_xact_count -- open transactions (serverStatus, tests). */
size_t ms_xact_count(void);

int ms_xact_op_begin(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_xact_op_commit(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_xact_op_abort(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
