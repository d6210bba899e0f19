/*
 * src/worker/cmd/transaction.c -- multi-document transactions: statement admission,
 * commitTransaction, abortTransaction, and mongod's transaction error rules.
 *
 * Admission follows mongod 7.0's order: the session fields (autocommit only as false and with
 * a txnNumber, startTransaction only as true and with autocommit), then what may run inside
 * (xact_commands; aggregate without $out/$merge; never against admin, config or local), then
 * readConcern (first statement only, level local/majority/snapshot) and writeConcern (commit
 * and abort only), then XACT_BEGIN, where the master decides whether the statement's
 * transaction number starts, continues or is refused (251, 225, 256; master/xact.c).
 *
 * After the command: inside a transaction a write error fails the whole command (mongod
 * rethrows it there), a failed statement aborts its transaction (XACT_ABORT), and errors get
 * TransientTransactionError (retrying the whole transaction may succeed) or, for a commit
 * whose outcome is unknown, UnknownTransactionCommitResult.  The labels go on after
 * failCommand's (failpoint.h), unless the failpoint gave its own.
 *
 * Invariants: event-loop thread.  cmd->op carries the transaction (op.h) from admission to the
 * end of the command; nothing here outlives the command.
 */
#include "transaction.h"

#include "../../common/storeop.h"
#include "../engine/exec.h"
#include "../engine/session.h"
#include "../engine/write.h"

#include <string.h>

#define WK_CODE_TXN_NEEDS_AUTOCOMMIT 50768 /* "txnNumber may only be provided for ..." */

/* The commands mongod 7.0 runs inside a transaction (besides commit and abort). */
static const char *const xact_commands[] = {
    "aggregate",   "create",        "createIndexes", "delete",  "distinct",
    "find",        "findAndModify", "findandmodify", "getMore", "insert",
    "killCursors", "update",        "bulkWrite",     NULL,
};

/* The databases no transaction may touch. */
static const char *const xact_refused_dbs[] = {"admin", "config", "local", NULL};

/* The readConcern levels a transaction may start with. */
static const char *const xact_read_levels[] = {"local", "majority", "snapshot", NULL};

/* Codes that label an error TransientTransactionError (NoSuchTransaction: see label_error):
 * conflicts and snapshot errors; a statement also takes mongod's RetriableError category. */
static const int transient_codes[] = {
    SDB_CODE_WriteConflict,  SDB_CODE_LockTimeout,         SDB_CODE_PreparedTransactionInProgress,
    SDB_CODE_SnapshotTooOld, SDB_CODE_SnapshotUnavailable,
};

#define NCODES(a) (sizeof(a) / sizeof((a)[0]))

static bool
in_names(const char *name, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static bool
in_codes(int code, const int *codes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] == code)
            return true;
    return false;
}

static bool
is_ender(const wk_cmd_def_t *def)
{
    return def->fn == wk_cmd_commit_transaction || def->fn == wk_cmd_abort_transaction;
}

/* ---- admission ------------------------------------------------------------------------- */

/* The session fields of a command, as present. */
typedef struct fields {
    bson_iter_t lsid, txn, autocommit, start;
    bool has_lsid, has_txn, has_autocommit, has_start;
} fields_t;

static void
read_fields(const bson_t *body, fields_t *f)
{
    f->has_lsid = bson_iter_init_find(&f->lsid, body, "lsid");
    f->has_txn = bson_iter_init_find(&f->txn, body, "txnNumber");
    f->has_autocommit = bson_iter_init_find(&f->autocommit, body, "autocommit");
    f->has_start = bson_iter_init_find(&f->start, body, "startTransaction");
}

/* session_fields -- mongod's checks of autocommit and startTransaction. */
static int
session_fields(wk_cmd_t *cmd, const wk_cmd_def_t *def, const fields_t *f)
{
    if (!f->has_autocommit) {
        if (f->has_start)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "'startTransaction' field requires 'autocommit' field to also "
                                 "be specified");
        if (!is_ender(def))
            return 0;
        if (!f->has_txn)
            return sdb_error_set(&cmd->err, SDB_CODE_CommandFailed,
                                 "%s must be run within a transaction", def->name);
        return sdb_error_set(&cmd->err, WK_CODE_TXN_NEEDS_AUTOCOMMIT,
                             "txnNumber may only be provided for multi-document transactions "
                             "and retryable write commands. autocommit:false was not provided, "
                             "and %s is not a retryable write command.",
                             def->name);
    }
    if (!BSON_ITER_HOLDS_BOOL(&f->autocommit))
        return wk_cmdu_type_error(cmd, "autocommit", bson_iter_type(&f->autocommit), "bool");
    if (bson_iter_bool(&f->autocommit))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Specifying autocommit=true is not allowed.");
    if (!f->has_txn)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "'autocommit' field requires a transaction number to also be "
                             "specified");
    if (!BSON_ITER_HOLDS_INT64(&f->txn) && !BSON_ITER_HOLDS_INT32(&f->txn))
        return wk_cmdu_type_error(cmd, "txnNumber", bson_iter_type(&f->txn), "long");
    if (!cmd->op.has_lsid) /* op.h: its lsid.id, read at admission */
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Transaction number requires a session ID to also be specified");
    if (f->has_start && !BSON_ITER_HOLDS_BOOL(&f->start))
        return wk_cmdu_type_error(cmd, "startTransaction", bson_iter_type(&f->start), "bool");
    if (f->has_start && !bson_iter_bool(&f->start))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Specifying startTransaction=false is not allowed.");
    return 0;
}

/* writes_out -- an aggregate pipeline that ends in $out or $merge. */
static bool
writes_out(const bson_t *body)
{
    bson_iter_t it, stages, stage;
    bool found = false;

    if (!bson_iter_init_find(&it, body, "pipeline") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &stages))
        return false;
    while (bson_iter_next(&stages))
        if (BSON_ITER_HOLDS_DOCUMENT(&stages) && bson_iter_recurse(&stages, &stage) &&
            bson_iter_next(&stage))
            found = strcmp(bson_iter_key(&stage), "$out") == 0 ||
                    strcmp(bson_iter_key(&stage), "$merge") == 0;
    return found;
}

/* allowed -- what may run inside a transaction (263 otherwise). */
static int
allowed(wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    if (!in_names(def->name, xact_commands))
        return sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                             "Cannot run '%s' in a multi-document transaction.", def->name);
    if (in_names(cmd->db, xact_refused_dbs))
        return sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                             "Cannot run command against the '%s' database in a transaction.",
                             cmd->db);
    if (def->fn == wk_cmd_aggregate && writes_out(cmd->body))
        return sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                             "$out and $merge cannot be used in a transaction");
    return 0;
}

int
wk_xact_check_create(wk_cmd_t *cmd, const char *ns, const bson_t *options)
{
    const char *coll = strchr(ns, '.');

    if (bson_has_field(options, "viewOn"))
        return sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                             "Cannot create a view in a multi-document transaction.");
    if (coll != NULL && strncmp(coll + 1, "system.", 7) == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                             "Cannot create system collection %s within a transaction.", ns);
    return 0;
}

/* concerns -- readConcern on the first statement only (and a level a transaction can read
 * at); writeConcern never on a statement. */
static int
concerns(wk_cmd_t *cmd, bool start)
{
    bson_iter_t it, level;

    if (bson_iter_init_find(&it, cmd->body, "writeConcern"))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "writeConcern is not allowed within a multi-statement transaction");
    if (!bson_iter_init_find(&it, cmd->body, "readConcern"))
        return 0;
    if (!start)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Only the first command in a transaction may specify a readConcern");
    if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &level) &&
        bson_iter_find(&level, "level") &&
        (!BSON_ITER_HOLDS_UTF8(&level) ||
         !in_names(bson_iter_utf8(&level, NULL), xact_read_levels)))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "The readConcern level must be either 'local' (default), "
                             "'majority' or 'snapshot' in order to run in a transaction");
    return 0;
}

/* xact_call -- one XACT_* storage operation for cmd's transaction. */
static int
xact_call(wk_cmd_t *cmd, int op, bool start, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    int ret;

    sdb_lsid_append_fields(&req, &cmd->op.lsid); /* the session key {id, uid}: op.h */
    BSON_APPEND_INT64(&req, "n", cmd->op.xact_n);
    if (op == SDB_OP_XACT_BEGIN)
        BSON_APPEND_BOOL(&req, "start", start);
    ret = wk_cmdu_store(op, &req, &reply, err);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

int
wk_xact_prepare(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_xact_stmt_t *st)
{
    fields_t f;

    memset(st, 0, sizeof(*st));
    read_fields(cmd->body, &f);
    SDB_RET(session_fields(cmd, def, &f));
    if (!f.has_autocommit)
        return 0;
    st->on = true;
    st->ender = is_ender(def);
    cmd->op.in_xact = true;
    cmd->op.xact_n = bson_iter_as_int64(&f.txn);
    st->start = f.has_start;
    if (st->ender)
        return st->start ? sdb_error_set(&cmd->err, SDB_CODE_OperationNotSupportedInTransaction,
                                         "Cannot start a transaction with %s", def->name)
                         : 0;
    SDB_RET(allowed(cmd, def));
    return concerns(cmd, st->start);
}

int
wk_xact_begin(wk_cmd_t *cmd, wk_xact_stmt_t *st)
{
    if (!st->on || st->ender)
        return 0;
    SDB_RET(xact_call(cmd, SDB_OP_XACT_BEGIN, st->start, &cmd->err));
    st->begun = true;
    return 0;
}

/* ---- after the command ----------------------------------------------------------------- */

/* write_error_fails -- inside a transaction the first writeError is the command's error. */
static int
write_error_fails(wk_cmd_t *cmd)
{
    bson_iter_t it, we;
    const uint8_t *data;
    uint32_t len;
    bson_t e;

    if (!bson_iter_init_find(&it, cmd->reply, "writeErrors") || !bson_iter_recurse(&it, &we) ||
        !bson_iter_next(&we) || !BSON_ITER_HOLDS_DOCUMENT(&we))
        return 0;
    bson_iter_document(&we, &len, &data);
    if (!bson_init_static(&e, data, len))
        return 0;
    sdb_error_from_bson(&e, &cmd->err);
    if (cmd->err_extra == NULL)
        cmd->err_extra = bson_new();
    bson_copy_to_excluding_noinit(&e, cmd->err_extra, "index", "code", "codeName", "errmsg", NULL);
    return SDB_ECLIENT;
}

/* commit_wce_label -- a commit acknowledged with a writeConcernError: its outcome is unknown
 * (unless the concern can never be satisfied), so add UnknownTransactionCommitResult to the
 * reply's errorLabels. */
static void
commit_wce_label(wk_cmd_t *cmd)
{
    bson_iter_t it, wce, labels;
    bson_t copy = BSON_INITIALIZER, arr;
    uint32_t n = 0;
    int code = 0;
    char key[16];

    if (!bson_iter_init_find(&it, cmd->reply, "writeConcernError") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &wce))
        return;
    if (bson_iter_find(&wce, "code") && BSON_ITER_HOLDS_NUMBER(&wce))
        code = (int)bson_iter_as_int64(&wce);
    if (code == WK_CODE_UNSATISFIABLE_WC || code == WK_CODE_UNKNOWN_REPL_WC)
        return;
    bson_copy_to_excluding_noinit(cmd->reply, &copy, "errorLabels", NULL);
    BSON_APPEND_ARRAY_BEGIN(&copy, "errorLabels", &arr);
    if (bson_iter_init_find(&it, cmd->reply, "errorLabels") && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &labels))
        while (bson_iter_next(&labels))
            if (BSON_ITER_HOLDS_UTF8(&labels) &&
                strcmp(bson_iter_utf8(&labels, NULL), "UnknownTransactionCommitResult") != 0) {
                snprintf(key, sizeof(key), "%u", n++);
                BSON_APPEND_UTF8(&arr, key, bson_iter_utf8(&labels, NULL));
            }
    snprintf(key, sizeof(key), "%u", n);
    BSON_APPEND_UTF8(&arr, key, "UnknownTransactionCommitResult");
    bson_append_array_end(&copy, &arr);
    bson_reinit(cmd->reply);
    bson_concat(cmd->reply, &copy);
    bson_destroy(&copy);
}

/* label_error -- mongod's transaction labels for a failed statement, commit or abort
 * (isTransientTransactionError, isUnknownTransactionCommitResult in its error_labels). */
static void
label_error(wk_cmd_t *cmd, const wk_xact_stmt_t *st)
{
    int code = cmd->err.code;
    bool retriable = sdb_error_is_retriable(code);

    if (in_codes(code, transient_codes, NCODES(transient_codes)) ||
        code == SDB_CODE_NoSuchTransaction || (retriable && !st->ender))
        cmd->err.labels |= SDB_LABEL_TRANSIENT_TXN;
    if (st->ender && strcmp(cmd->name, "commitTransaction") == 0 &&
        (retriable || code == SDB_CODE_MaxTimeMSExpired))
        cmd->err.labels |= SDB_LABEL_UNKNOWN_COMMIT;
}

void
wk_xact_finish(wk_cmd_t *cmd, const wk_xact_stmt_t *st, int *ret, bool explicit_labels)
{
    sdb_error_t ignored;

    if (!st->on)
        return;
    if (*ret == 0 && !st->ender)
        *ret = write_error_fails(cmd);
    if (*ret != 0 && st->begun)
        xact_call(cmd, SDB_OP_XACT_ABORT, false, &ignored); /* a failed statement ends it */
    if (explicit_labels)
        return;
    if (*ret == SDB_ECLIENT)
        label_error(cmd, st);
    else if (*ret == 0 && st->ender && strcmp(cmd->name, "commitTransaction") == 0)
        commit_wce_label(cmd);
}

/* ---- commitTransaction, abortTransaction ----------------------------------------------- */

static const char *const ender_fields[] = {"recoveryToken", NULL};

/* end -- commit or abort cmd's transaction, then its write concern. */
static int
end(wk_cmd_t *cmd, int op)
{
    wk_write_concern_t wc;

    SDB_RET(wk_cmdu_check_fields(cmd, ender_fields));
    SDB_RET(wk_cmdu_write_concern(cmd, &wc));
    if (!cmd->op.in_xact) /* wk_xact_prepare refused it already */
        return sdb_error_set(&cmd->err, SDB_CODE_CommandFailed,
                             "%s must be run within a transaction", cmd->name);
    SDB_RET(wk_op_interrupted(&cmd->op, &cmd->err)); /* maxTimeMS (maxCommitTimeMS) */
    SDB_RET(xact_call(cmd, op, false, &cmd->err));
    return wk_cmdu_write_concern_finish(cmd, &wc);
}

/* wk_cmd_commit_transaction -- {commitTransaction: 1} on admin. */
int
wk_cmd_commit_transaction(wk_cmd_t *cmd)
{
    return end(cmd, SDB_OP_XACT_COMMIT);
}

/* wk_cmd_abort_transaction -- {abortTransaction: 1} on admin. */
int
wk_cmd_abort_transaction(wk_cmd_t *cmd)
{
    return end(cmd, SDB_OP_XACT_ABORT);
}
