/*
 * src/worker/engine/retry.c -- retryable writes: (lsid, txnNumber, stmtId) de-duplication.
 *
 * mongod de-duplicates a retried write by (lsid, txnNumber, stmtId): a statement that already
 * ran answers from its record instead of running again, and a txnNumber older than the
 * session's latest is refused.  The records live on the master (txns.c), written in the same
 * WiredTiger transaction as the statement's write.  Here a command reads its identity once
 * (wk_retry_parse) and each statement passes a wk_stmt_t to the write helpers, which send it
 * in their own request (wk_retry_store): no extra round trip, and nothing rewrites a request
 * on its way (STYLE.md rule 19).  The master's `done` answer carries the record the command
 * replays; a statement whose write never reached the master asks TXN_CHECK instead.
 *
 * The RetryableWriteError label: from wire version 9 mongod labels a retryable write's error
 * (or its writeConcernError) when the code is one of the retryable ones; the tables below
 * say which codes and which commands.
 *
 * Invariants: event-loop thread; a wk_stmt_t's record is owned by the statement and freed by
 * wk_retry_stmt_end.
 */
#include "retry.h"
#include "exec.h"

#include "../../common/storeop.h"
#include "../conn.h"

#include <string.h>
#include <sys/socket.h>

void
wk_retry_parse(wk_cmd_t *cmd, wk_retry_t *rt)
{
    bson_iter_t it;

    memset(rt, 0, sizeof(*rt));
    if (!bson_iter_init_find(&it, cmd->body, "txnNumber") || !BSON_ITER_HOLDS_NUMBER(&it))
        return;
    rt->n = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, cmd->body, "autocommit") || !cmd->op.has_lsid)
        return;
    rt->id = cmd->op.lsid; /* the session key {id, uid}: op.h */
    rt->cmd = cmd;
    if (bson_iter_init_find(&it, cmd->body, "stmtIds") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_recurse(&it, &rt->stmt_ids);
        rt->has_stmt_ids = true;
    }
    if (bson_iter_init_find(&it, cmd->body, "stmtId") && BSON_ITER_HOLDS_NUMBER(&it))
        rt->stmt_id = (int32_t)bson_iter_as_int64(&it);
    rt->on = true;
}

int32_t
wk_retry_stmt_id(const wk_retry_t *rt, int32_t index)
{
    bson_iter_t it = rt->stmt_ids;

    if (!rt->has_stmt_ids)
        return index;
    for (int32_t i = 0; bson_iter_next(&it); i++)
        if (i == index && BSON_ITER_HOLDS_NUMBER(&it))
            return (int32_t)bson_iter_as_int64(&it);
    return index;
}

wk_stmt_t *
wk_retry_stmt(wk_retry_t *rt, int32_t id, bool images, wk_stmt_t *st)
{
    if (!rt->on)
        return NULL;
    memset(st, 0, sizeof(*st));
    st->rt = rt;
    st->id = id;
    st->images = images;
    return st;
}

void
wk_retry_stmt_end(wk_stmt_t *st)
{
    if (st != NULL && st->done)
        bson_destroy(&st->rec);
    if (st != NULL)
        st->done = false;
}

void
wk_retry_append_txn(bson_t *req, const wk_retry_t *rt, int32_t stmt, const int32_t *stmts,
                    uint32_t nstmts, bool images)
{
    bson_t t, arr;
    char key[16];
    const char *k;

    BSON_APPEND_DOCUMENT_BEGIN(req, "txn", &t);
    sdb_lsid_append_fields(&t, &rt->id);
    BSON_APPEND_INT64(&t, "n", rt->n);
    if (stmt >= 0)
        BSON_APPEND_INT32(&t, "stmt", stmt);
    if (stmts != NULL) {
        BSON_APPEND_ARRAY_BEGIN(&t, "stmts", &arr);
        for (uint32_t i = 0; i < nstmts; i++) {
            bson_uint32_to_string(i, &k, key, sizeof(key));
            BSON_APPEND_INT32(&arr, k, stmts[i]);
        }
        bson_append_array_end(&t, &arr);
    }
    BSON_APPEND_BOOL(&t, "img", images);
    bson_append_document_end(req, &t);
}

/* take_done -- a `done` answer (a record, or INSERT's [{index, rec}]) into st->rec. */
static void
take_done(wk_stmt_t *st, const bson_t *reply)
{
    bson_iter_t it, e;
    const uint8_t *data;
    uint32_t len;
    bson_t view;

    if (!bson_iter_init_find(&it, reply, "done"))
        return;
    if (BSON_ITER_HOLDS_ARRAY(&it) &&
        (!bson_iter_recurse(&it, &e) || !bson_iter_next(&e) || !BSON_ITER_HOLDS_DOCUMENT(&e) ||
         !bson_iter_recurse(&e, &it) || !bson_iter_find(&it, "rec")))
        return;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return;
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&view, data, len))
        return;
    wk_retry_stmt_end(st);
    bson_copy_to(&view, &st->rec);
    st->done = true;
}

int
wk_retry_store(wk_stmt_t *st, int op, bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int ret;

    if (st == NULL)
        return wk_cmdu_store(op, req, reply, err);
    bson_init(reply);
    SDB_RET(wk_retry_before_write(st->rt, err));
    wk_retry_append_txn(req, st->rt, st->id, NULL, 0, st->images);
    bson_destroy(reply);
    ret = wk_cmdu_store(op, req, reply, err);
    wk_retry_after_write(st->rt, ret, reply);
    if (ret == 0) {
        st->sent = true;
        take_done(st, reply);
    }
    return ret;
}

/* check -- TXN_CHECK for statement `stmt` (-1: none); the reply into *reply. */
static int
check(wk_retry_t *rt, int32_t stmt, bson_t *reply, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER;
    int ret;

    wk_retry_append_txn(&req, rt, stmt, NULL, 0, false);
    ret = wk_cmdu_store(SDB_OP_TXN_CHECK, &req, reply, err);
    bson_destroy(&req);
    if (ret == 0)
        rt->seen = true;
    return ret;
}

int
wk_retry_check(wk_stmt_t *st, sdb_error_t *err)
{
    bson_t reply;
    int ret;

    ret = check(st->rt, st->id, &reply, err);
    if (ret == 0)
        take_done(st, &reply);
    bson_destroy(&reply);
    return ret;
}

int
wk_retry_settle(wk_stmt_t *st, int ret, sdb_error_t *werr)
{
    sdb_error_t cerr;
    int cret;

    if (st == NULL || st->sent || (ret != 0 && ret != SDB_ECLIENT) ||
        (ret != 0 && wk_op_is_interruption(werr->code)))
        return ret;
    memset(&cerr, 0, sizeof(cerr));
    if ((cret = wk_retry_check(st, &cerr)) != 0) {
        *werr = cerr;
        return cret;
    }
    return st->done ? 0 : ret;
}

int
wk_retry_check_number(wk_retry_t *rt, sdb_error_t *err)
{
    bson_t reply;
    int ret;

    if (!rt->on || rt->seen)
        return 0;
    ret = check(rt, -1, &reply, err);
    bson_destroy(&reply);
    return ret;
}

bool
wk_retry_fails_command(const sdb_error_t *e)
{
    return e->code == SDB_CODE_TransactionTooOld;
}

int
wk_retry_before_write(const wk_retry_t *rt, sdb_error_t *err)
{
    if (rt->closed)
        return sdb_error_set(err, SDB_CODE_HostUnreachable, "connection closed by a failpoint");
    return 0;
}

void
wk_retry_after_write(wk_retry_t *rt, int ret, const bson_t *reply)
{
    bson_iter_t it;

    if (ret == 0)
        rt->seen = true;
    if (!bson_iter_init_find(&it, reply, "hangUp") || !bson_iter_as_bool(&it))
        return;
    rt->closed = true;
    shutdown(rt->cmd->conn->fd, SHUT_RDWR); /* the loop sees EOF and closes it */
}

/* ---- the RetryableWriteError label --------------------------------------------------------- */

/* Commands that are retryable writes when they carry a txnNumber outside a transaction
 * (always false), and those that always are (they end a transaction). */
static const struct {
    const char *name;
    bool always;
} retryable_cmds[] = {
    {"insert", false},          {"update", false},    {"delete", false},
    {"findAndModify", false},   {"bulkWrite", false}, {"commitTransaction", true},
    {"abortTransaction", true},
};

/* Codes mongod labels RetryableWriteError on a retryable write: its RetriableError category. */
static bool
retryable_code(int code)
{
    return sdb_error_is_retriable(code);
}

/* retryable_write -- a write with txnNumber outside a transaction, or commit/abort. */
static bool
retryable_write(const wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    const char *name = wk_command_name(def);
    bson_iter_t it;

    for (size_t i = 0; i < sizeof(retryable_cmds) / sizeof(retryable_cmds[0]); i++)
        if (strcmp(name, retryable_cmds[i].name) == 0)
            return retryable_cmds[i].always || (bson_iter_init_find(&it, cmd->body, "txnNumber") &&
                                                !bson_iter_init_find(&it, cmd->body, "autocommit"));
    return false;
}

/* wce_code -- the code of the reply's writeConcernError (0 when none). */
static int
wce_code(const bson_t *reply)
{
    bson_iter_t it, wce;

    if (!bson_iter_init_find(&it, reply, "writeConcernError") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &wce) || !bson_iter_find(&wce, "code") ||
        !BSON_ITER_HOLDS_NUMBER(&wce))
        return 0;
    return (int)bson_iter_as_int64(&wce);
}

void
wk_retry_label(wk_cmd_t *cmd, const wk_cmd_def_t *def, int ret)
{
    bson_iter_t it;
    bson_t arr;

    if (ret == SDB_ECLIENT) {
        if ((cmd->err_extra == NULL || !bson_iter_init_find(&it, cmd->err_extra, "errorLabels")) &&
            retryable_code(cmd->err.code) && retryable_write(cmd, def))
            cmd->err.labels |= SDB_LABEL_RETRYABLE_WRITE;
        return;
    }
    if (ret != 0 || bson_iter_init_find(&it, cmd->reply, "errorLabels") ||
        !retryable_code(wce_code(cmd->reply)) || !retryable_write(cmd, def))
        return;
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "errorLabels", &arr);
    BSON_APPEND_UTF8(&arr, "0", "RetryableWriteError");
    bson_append_array_end(cmd->reply, &arr);
}
