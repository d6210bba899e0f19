/*
 * src/master/txns.h -- retryable write records: `table:txns`.
 *
 * A write carrying {txn: {id, n, stmt}} (lsid id, txnNumber, stmtId) stores what its
 * statement did in the same WiredTiger transaction as the write itself, so a retry of the
 * same (lsid, txnNumber, stmtId) finds it after a crash as surely as the write.  TXN_BEGIN
 * (storeop.def) tells a worker which statements of a txnNumber already ran, refuses an older
 * txnNumber with 225 TransactionTooOld, and on a newer one drops the session's older records.
 *
 * Contract: handlers are storage operations (ops.h), callable from any service thread; the
 * table's rows are the only shared state and WiredTiger isolates them.  ms_txns_record runs
 * inside the caller's transaction and leaves commit or rollback to it.
 */
#ifndef MS_TXNS_H
#define MS_TXNS_H

#include "ops.h"

#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_TXNS_URI "table:txns"

/* One statement of a retryable write, as a write request names it (views into the request). */
typedef struct ms_txn_ref {
    const uint8_t *id; /* the lsid's 16-byte id */
    int64_t n;         /* txnNumber */
    int32_t stmt;      /* stmtId (for INSERT: the first document's, see `stmts`) */
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

/* ms_txns_forget -- drop every record of session `id` (endSessions).  Own transaction. */
int ms_txns_forget(WT_SESSION *s, const uint8_t id[16]);

/* ms_txns_op_begin -- TXN_BEGIN: the statements of (id, n) already executed. */
int ms_txns_op_begin(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
