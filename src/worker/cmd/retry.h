/*
 * src/worker/cmd/retry.h -- retryable writes: (lsid, txnNumber, stmtId) de-duplication.
 *
 * A write command (insert, update, delete, findAndModify) carrying lsid and txnNumber outside
 * a transaction is a retryable write.  wk_retry_begin asks the master (TXN_BEGIN) which of
 * its statements already ran; the command answers those from their records without writing
 * and runs the others "tagged": while a tag is set on the running coroutine, every INSERT,
 * UPDATE and DELETE it sends carries txn: {id, n, stmt}, so the master records the statement
 * in the write's own transaction (storeop.def).
 *
 * Contract: event-loop thread; a wk_retry_t lives on the command's stack from
 * wk_retry_begin to wk_retry_end (always call it, even after a failed begin); a tag is
 * cleared by wk_retry_untag or wk_retry_end.  Statements that write more than one document
 * (multi updates, deletes without limit 1) are not tagged: they are not retryable.
 */
#ifndef SRC_WORKER_CMD_RETRY_H
#define SRC_WORKER_CMD_RETRY_H

#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct wk_retry {
    bool on;              /* lsid + txnNumber outside a transaction */
    uint8_t id[16];       /* the lsid's id */
    int64_t n;            /* txnNumber */
    bson_t done;          /* TXN_BEGIN's reply {done: [{stmt, rec}]} */
    bson_iter_t stmt_ids; /* the command's stmtIds (valid when has_stmt_ids) */
    bool has_stmt_ids;
    int32_t stmt_id; /* findAndModify's stmtId (0 when absent) */
    wk_cmd_t *cmd;   /* the command (its connection, for the failpoint) */
    bool closed;     /* onPrimaryTransactionalWrite hung up: write nothing more */
    bool hang_up;    /* ... and will, once the write in flight has committed */
} wk_retry_t;

/* The statement that the writes of the running coroutine belong to. */
typedef struct wk_retry_tag {
    wk_retry_t *rt;
    int32_t stmt;
    bool images; /* findAndModify: keep the pre/post images */
} wk_retry_tag_t;

/* wk_retry_begin -- parse lsid/txnNumber/stmtIds and, for a retryable write, learn the
 * executed statements; 225 TransactionTooOld for an old txnNumber. */
int wk_retry_begin(wk_cmd_t *cmd, wk_retry_t *rt);

/* wk_retry_stmt_id -- the stmtId of the statement at `index` (stmtIds[index] or index). */
int32_t wk_retry_stmt_id(const wk_retry_t *rt, int32_t index);

/* wk_retry_done -- whether statement `stmt` already ran; `rec` (may be NULL) then views its
 * record {op: "i"|"u"|"d", id?, pre?, post?}, valid until wk_retry_end. */
bool wk_retry_done(const wk_retry_t *rt, int32_t stmt, bson_t *rec);

/* wk_retry_tag -- tag the coroutine's following writes with statement `stmt` (`tag` is the
 * caller's storage and must outlive the tag); nothing when rt is not on. */
void wk_retry_tag(wk_retry_t *rt, int32_t stmt, bool images, wk_retry_tag_t *tag);

/* wk_retry_untag -- clear the coroutine's tag. */
void wk_retry_untag(void);

/* wk_retry_append_txn -- append txn: {id, n, stmt, stmts?, img} to a write request; `stmts`
 * (may be NULL) holds one stmtId per INSERT document. */
void wk_retry_append_txn(bson_t *req, const wk_retry_t *rt, int32_t stmt, const int32_t *stmts,
                         uint32_t nstmts, bool images);

/* wk_retry_before_write -- just before a recorded write is sent: the onPrimaryTransactionalWrite
 * failpoint (failpoint.h), and a refusal once it has hung up the connection.  SDB_ECLIENT
 * (err set): do not send the write. */
int wk_retry_before_write(wk_retry_t *rt, sdb_error_t *err);

/* wk_retry_after_write -- after the write's reply: hang up when the failpoint said so (a
 * retry on another connection must not overtake the write). */
void wk_retry_after_write(wk_retry_t *rt);

/* wk_retry_tag_request -- for wk_cmdu_store: when the coroutine is tagged and `op` is a write
 * without its own txn, *out receives a copy of req with the tag appended and *tagged is set
 * (wk_retry_before_write ran; call wk_retry_tagged_done once the write returned).  On error
 * *out is not initialized. */
int wk_retry_tag_request(int op, const bson_t *req, bson_t *out, bool *tagged, sdb_error_t *err);

/* wk_retry_tagged_done -- wk_retry_after_write for the coroutine's tag (if any). */
void wk_retry_tagged_done(void);

/* wk_retry_end -- clear the tag and free what wk_retry_begin built. */
void wk_retry_end(wk_retry_t *rt);

#endif
