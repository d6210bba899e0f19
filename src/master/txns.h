/*
 * src/master/txns.h -- retryable write records: `table:txns`.
 *
 * A write carrying {txn: {id, n, stmt}} (lsid id, txnNumber, stmtId) first asks, inside its
 * own WiredTiger transaction, whether its statement already ran (ms_txns_check: then it
 * answers the record instead of writing) and whether n is older than the session's latest
 * (225 TransactionTooOld); otherwise it stores what the statement did (ms_txns_record) in the
 * same transaction, so a retry of the same (lsid, txnNumber, stmtId) finds it after a crash as
 * surely as the write.  TXN_CHECK (storeop.def) asks the same for a statement that writes
 * nothing (its query matched nothing, or it failed before its write).  The
 * onPrimaryTransactionalWrite failpoint applies here too (ms_txns_fire), where mongod applies
 * it: to a statement that is really written, never to one answered from its record.
 *
 * Contract: handlers are storage operations (ops.h), callable from any service thread; the
 * table's rows are the only shared state and WiredTiger isolates them.  ms_txns_check and
 * ms_txns_record run inside the caller's transaction and leave commit or rollback to it.
 */
#ifndef MS_TXNS_H
#define MS_TXNS_H

#include "../common/lsid.h"
#include "ops.h"

#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_TXNS_URI "table:txns"
#define MS_TXNS_FAILPOINT "onPrimaryTransactionalWrite"

/* One statement of a retryable write, as a write request names it (views into the request). */
typedef struct ms_txn_ref {
    sdb_lsid_t id;     /* the session key {id, uid} */
    int64_t n;         /* txnNumber */
    int32_t stmt;      /* stmtId (for INSERT: the first document's, see `stmts`) */
    bool has_stmt;     /* stmt was given (TXN_CHECK may omit it) */
    bool images;       /* keep the pre/post images (findAndModify) */
    bson_iter_t stmts; /* INSERT: stmtIds, one per document (valid when has_stmts) */
    bool has_stmts;
} ms_txn_ref_t;

/* ms_txns_open -- create the table if missing.  Main thread, at open. */
int ms_txns_open(WT_SESSION *s);

/* ms_txns_parse -- the request's optional `txn` field; *have is false when it is absent. */
int ms_txns_parse(const bson_t *req, ms_txn_ref_t *tx, bool *have, sdb_error_t *err);

/* ms_txns_record -- inside the session's running transaction: store `rec` for (id, n, stmt).
 * A statement already recorded (a concurrent retry won) is 112 WriteConflict. */
int ms_txns_record(WT_SESSION *s, const ms_txn_ref_t *tx, int32_t stmt, const bson_t *rec,
                   sdb_error_t *err);

/* ms_txns_check -- inside the session's running transaction: 225 TransactionTooOld when
 * tx->n is older than the session's latest; else *done tells whether (id, n, stmt) is
 * recorded, and *rec is then initialized with a copy of its record.  A newer n drops the
 * session's older rows (in this transaction). */
int ms_txns_check(WT_SESSION *s, const ms_txn_ref_t *tx, int32_t stmt, bson_t *rec, bool *done,
                  sdb_error_t *err);

/* ms_txns_fire -- onPrimaryTransactionalWrite, once per write request of a retryable
 * statement that has not run yet, inside its transaction: when it fires, *hang_up (the worker
 * closes the connection once the reply is in, unless data.closeConnection is false: the reply
 * says hangUp: true), and with data.failBeforeCommitExceptionCode SDB_ECLIENT with that code
 * (the caller rolls back). */
int ms_txns_fire(bool *hang_up, sdb_error_t *err);

/* ms_txns_forget -- drop every record of session `id` (endSessions).  Own transaction. */
int ms_txns_forget(WT_SESSION *s, const sdb_lsid_t *id);

/* ms_txns_op_check -- TXN_CHECK: whether txn.stmt of (txn.id, txn.n) already ran; marks n
 * started on the session. */
int ms_txns_op_check(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
