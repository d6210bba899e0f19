/*
 * src/worker/cmd/transaction.h -- multi-document transactions as the worker sees them:
 * statement admission, commitTransaction, abortTransaction and the transaction error rules.
 *
 * A command carrying `autocommit: false` (with lsid and txnNumber) is a statement of a
 * transaction.  The dispatcher calls wk_xact_prepare before it runs (mongod's session-field
 * checks, the commands allowed inside, readConcern only on the first statement, writeConcern
 * only on commit and abort, then XACT_BEGIN, which starts or continues the transaction in the
 * master) and wk_xact_finish after it (in a transaction a write error fails the command, any
 * failure aborts the transaction, and the error gets mongod's labels:
 * TransientTransactionError, UnknownTransactionCommitResult).  While the statement runs,
 * cmd->op names the transaction, so every storage request built for it carries `xact`
 * (op.h, wk_op_append_xact): the master runs it on the transaction's WiredTiger session.
 *
 * Contract: event-loop thread, on the request's coroutine.  A wk_xact_stmt_t lives on the
 * dispatcher's stack for one command and holds no resources.
 */
#ifndef WK_CMD_TRANSACTION_H
#define WK_CMD_TRANSACTION_H

#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct wk_xact_stmt {
    bool on;    /* the command is a statement of a transaction (autocommit: false) */
    bool ender; /* ... and it is commitTransaction or abortTransaction */
    bool start; /* ... with startTransaction: true */
    bool begun; /* XACT_BEGIN accepted it: a failure of the command aborts the transaction */
} wk_xact_stmt_t;

/* wk_xact_prepare -- the transaction rules for a command about to run (after the generic
 * checks; cmd->op initialized): the session fields, what may run inside, read and write
 * concerns.  Fills *st; SDB_ECLIENT with cmd->err set to refuse it. */
int wk_xact_prepare(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_xact_stmt_t *st);

/* wk_xact_begin -- once failCommand has let the command through (its errors leave the
 * transaction as it was, as in mongod): start or continue the statement's transaction in the
 * master (XACT_BEGIN: 251, 225, 256, 117).  Nothing for a command outside one. */
int wk_xact_begin(wk_cmd_t *cmd, wk_xact_stmt_t *st);

/* wk_xact_finish -- after the command (and the failpoint's labels: `explicit_labels` when
 * failCommand gave its own): write errors become the command's error, a failed statement
 * aborts its transaction, and errors and commit writeConcernErrors get their labels.  *ret
 * may change from 0 to SDB_ECLIENT. */
void wk_xact_finish(wk_cmd_t *cmd, const wk_xact_stmt_t *st, int *ret, bool explicit_labels);

/* wk_xact_check_create -- what create may make inside a transaction (mongod 7.0): a plain
 * collection, not a view nor a system collection (263). */
int wk_xact_check_create(wk_cmd_t *cmd, const char *ns, const bson_t *options);

#endif
