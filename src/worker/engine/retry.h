/*
 * src/worker/engine/retry.h -- retryable writes: (lsid, txnNumber, stmtId) de-duplication.
 *
 * A write command (insert, update, delete, findAndModify) carrying lsid and txnNumber outside
 * a transaction is a retryable write.  wk_retry_parse reads its identity (no storage call).
 * Each single-document statement then names itself: the command fills a wk_stmt_t and passes
 * it explicitly to the write helpers (write.h), which send it inside their INSERT, UPDATE or
 * DELETE request through wk_retry_store.  The master checks the statement in the write's own
 * transaction (storeop.def): a statement that already ran writes nothing and comes back
 * `done` with its record, which the command turns into its reply.  A statement that ended
 * without its write reaching the master (nothing matched, or it failed first) asks with
 * wk_retry_check (TXN_CHECK).  So a retryable write costs the storage requests of the same
 * write without a session, and a retry answers from the record.
 *
 * The RetryableWriteError label rule (wk_retry_label) lives here too: which codes and which
 * commands are retryable is a fact about retryable writes.
 *
 * Contract: event-loop thread; a wk_retry_t lives on the command's stack, a wk_stmt_t on the
 * statement's; wk_retry_stmt_end frees what a statement holds.  Statements that write more than
 * one document (multi updates, deletes without limit 1) are not retryable: they get no
 * wk_stmt_t, and wk_retry_check_number applies the txnNumber rules before they run.
 */
#ifndef SRC_WORKER_ENGINE_RETRY_H
#define SRC_WORKER_ENGINE_RETRY_H

#include "../../common/lsid.h"
#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct wk_retry {
    bool on;              /* lsid + txnNumber outside a transaction */
    sdb_lsid_t id;        /* the session key {id, uid} */
    int64_t n;            /* txnNumber */
    bson_iter_t stmt_ids; /* the command's stmtIds (valid when has_stmt_ids) */
    bool has_stmt_ids;
    int32_t stmt_id; /* findAndModify's stmtId (0 when absent) */
    wk_cmd_t *cmd;   /* the command (its connection, for the failpoint) */
    bool seen;       /* the master applied the txnNumber rules to (id, n) already */
    bool closed;     /* onPrimaryTransactionalWrite hung up: write nothing more */
} wk_retry_t;

/* One statement of a retryable write, as the command hands it to the write helpers. */
typedef struct wk_stmt {
    wk_retry_t *rt;
    int32_t id;  /* stmtId */
    bool images; /* findAndModify: keep the pre/post images */
    bool sent;   /* a write carrying this statement was answered by the master */
    bool done;   /* the statement had already run: `rec` holds its record */
    bson_t rec;  /* {op: "i"|"u"|"d", id?, pre?, post?}, owned when done */
} wk_stmt_t;

/* wk_retry_parse -- read lsid/txnNumber/stmtIds/stmtId; rt->on for a retryable write.  No
 * storage call. */
void wk_retry_parse(wk_cmd_t *cmd, wk_retry_t *rt);

/* wk_retry_stmt_id -- the stmtId of the statement at `index` (stmtIds[index] or index). */
int32_t wk_retry_stmt_id(const wk_retry_t *rt, int32_t index);

/* wk_retry_stmt -- start statement `id`: fills *st and returns it, or NULL when the command is
 * not a retryable write (the helpers then write without identity). */
wk_stmt_t *wk_retry_stmt(wk_retry_t *rt, int32_t id, bool images, wk_stmt_t *st);

/* wk_retry_stmt_end -- free what a statement holds (NULL is fine). */
void wk_retry_stmt_end(wk_stmt_t *st);

/* wk_retry_append_txn -- append txn: {id, n, stmt?, stmts?, img} to a request (stmt < 0: no
 * stmt, as TXN_CHECK takes for the txnNumber rules alone); `stmts` (may be NULL) holds one
 * stmtId per INSERT document. */
void wk_retry_append_txn(bson_t *req, const wk_retry_t *rt, int32_t stmt, const int32_t *stmts,
                         uint32_t nstmts, bool images);

/* wk_retry_store -- send the write `op` with body `req`: without identity when st is NULL
 * (wk_cmdu_store); otherwise txn is appended to req first, the onPrimaryTransactionalWrite
 * failpoint applies around it, and a `done` reply (storeop.def) fills st->rec and sets
 * st->done.  *reply is always initialized. */
int wk_retry_store(wk_stmt_t *st, int op, bson_t *req, bson_t *reply, sdb_error_t *err);

/* wk_retry_check -- for a statement whose write never reached the master: TXN_CHECK, setting
 * st->done (and st->rec) when it had already run.  225 TransactionTooOld for an old
 * txnNumber. */
int wk_retry_check(wk_stmt_t *st, sdb_error_t *err);

/* wk_retry_settle -- after a statement ran with status `ret` (werr its error): when its
 * write never reached the master, wk_retry_check it.  Returns the statement's status: 0 when
 * it had already run (st->done: answer from st->rec), the check's error, or `ret`.  Nothing
 * for st NULL or an interruption. */
int wk_retry_settle(wk_stmt_t *st, int ret, sdb_error_t *werr);

/* wk_retry_check_number -- the txnNumber rules alone (TXN_CHECK without stmt), once per
 * command: before a statement that carries no identity, and at the end of a command none of
 * whose writes reached the master.  Nothing when rt is off or the master has seen (id, n). */
int wk_retry_check_number(wk_retry_t *rt, sdb_error_t *err);

/* wk_retry_fails_command -- whether a statement's error fails the whole command rather than
 * becoming a writeError (225 TransactionTooOld, as mongod). */
bool wk_retry_fails_command(const sdb_error_t *e);

/* wk_retry_before_write -- just before a recorded write is sent: refused (SDB_ECLIENT, err
 * set) once the onPrimaryTransactionalWrite failpoint has hung up the connection. */
int wk_retry_before_write(const wk_retry_t *rt, sdb_error_t *err);

/* wk_retry_after_write -- after the write's reply (`ret`, its status): the master has seen
 * (id, n) when it answered; a reply saying hangUp (the onPrimaryTransactionalWrite failpoint,
 * storeop.def) closes the connection now that the write is answered, so a retry on another
 * connection cannot overtake it. */
void wk_retry_after_write(wk_retry_t *rt, int ret, const bson_t *reply);

/* wk_retry_label -- the dispatcher, after a command (ret its status): mongod's
 * RetryableWriteError label on the error, or beside the writeConcernError of a successful
 * reply, when the code is a retryable one and the command a retryable write (a write with
 * txnNumber outside a transaction, or commit/abortTransaction); nothing where labels were
 * already given (the failCommand failpoint's errorLabels). */
void wk_retry_label(wk_cmd_t *cmd, const wk_cmd_def_t *def, int ret);

#endif
