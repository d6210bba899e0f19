/*
 * src/worker/cmd/retry.c -- retryable writes: (lsid, txnNumber, stmtId) de-duplication.
 *
 * mongod de-duplicates a retried write by (lsid, txnNumber, stmtId): a statement that already
 * ran answers from its record instead of running again, and a txnNumber older than the
 * session's latest is refused.  The records live on the master (txns.c) and are written in
 * the same WiredTiger transaction as the statement's write; here a command learns which of
 * its statements ran (TXN_BEGIN) and tags the writes of the others.  The tag travels as the
 * coroutine's local pointer, so the shared CAS helpers (write.c) need not know about it.
 *
 * Invariants: event-loop thread; the tag points into the command's stack and is cleared
 * before the command returns (wk_retry_end).
 */
#include "retry.h"
#include "exec.h"
#include "failpoint.h"

#include "../../common/storeop.h"
#include "../conn.h"
#include "../coro.h"

#include <string.h>
#include <sys/socket.h>

int
wk_retry_begin(wk_cmd_t *cmd, wk_retry_t *rt)
{
    bson_t req = BSON_INITIALIZER;
    bson_iter_t it, sub;
    bson_subtype_t st;
    const uint8_t *data;
    uint32_t len = 0;
    int ret = 0;

    memset(rt, 0, sizeof(*rt));
    bson_init(&rt->done);
    if (!bson_iter_init_find(&it, cmd->body, "txnNumber") || !BSON_ITER_HOLDS_NUMBER(&it))
        goto err;
    rt->n = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, cmd->body, "autocommit") ||
        !bson_iter_init_find(&it, cmd->body, "lsid") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &sub) || !bson_iter_find(&sub, "id") ||
        !BSON_ITER_HOLDS_BINARY(&sub))
        goto err;
    bson_iter_binary(&sub, &st, &len, &data);
    if (len != 16)
        goto err;
    memcpy(rt->id, data, 16);
    rt->cmd = cmd;
    if (bson_iter_init_find(&it, cmd->body, "stmtIds") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_recurse(&it, &rt->stmt_ids);
        rt->has_stmt_ids = true;
    }
    if (bson_iter_init_find(&it, cmd->body, "stmtId") && BSON_ITER_HOLDS_NUMBER(&it))
        rt->stmt_id = (int32_t)bson_iter_as_int64(&it);
    BSON_APPEND_BINARY(&req, "id", BSON_SUBTYPE_UUID, rt->id, 16);
    BSON_APPEND_INT64(&req, "n", rt->n);
    bson_destroy(&rt->done);
    SDB_ERR(wk_cmdu_store(SDB_OP_TXN_BEGIN, &req, &rt->done, &cmd->err));
    rt->on = true;
err:
    bson_destroy(&req);
    return ret;
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

bool
wk_retry_done(const wk_retry_t *rt, int32_t stmt, bson_t *rec)
{
    bson_iter_t it, arr, e;
    const uint8_t *data;
    uint32_t len;

    if (!rt->on || !bson_iter_init_find(&it, &rt->done, "done") || !bson_iter_recurse(&it, &arr))
        return false;
    while (bson_iter_next(&arr)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &e) ||
            !bson_iter_find(&e, "stmt") || bson_iter_as_int64(&e) != stmt)
            continue;
        if (rec != NULL) {
            bson_init(rec);
            if (bson_iter_recurse(&arr, &e) && bson_iter_find(&e, "rec") &&
                BSON_ITER_HOLDS_DOCUMENT(&e)) {
                bson_iter_document(&e, &len, &data);
                if (!bson_init_static(rec, data, len))
                    bson_init(rec);
            }
        }
        return true;
    }
    return false;
}

void
wk_retry_tag(wk_retry_t *rt, int32_t stmt, bool images, wk_retry_tag_t *tag)
{
    if (!rt->on)
        return;
    tag->rt = rt;
    tag->stmt = stmt;
    tag->images = images;
    wk_coro_set_local(tag);
}

void
wk_retry_untag(void)
{
    wk_coro_set_local(NULL);
}

void
wk_retry_append_txn(bson_t *req, const wk_retry_t *rt, int32_t stmt, const int32_t *stmts,
                    uint32_t nstmts, bool images)
{
    bson_t t, arr;
    char key[16];
    const char *k;

    BSON_APPEND_DOCUMENT_BEGIN(req, "txn", &t);
    BSON_APPEND_BINARY(&t, "id", BSON_SUBTYPE_UUID, rt->id, 16);
    BSON_APPEND_INT64(&t, "n", rt->n);
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

int
wk_retry_before_write(wk_retry_t *rt, sdb_error_t *err)
{
    bool hang_up = false;
    int ret;

    if (rt->closed)
        return sdb_error_set(err, SDB_CODE_HostUnreachable, "connection closed by a failpoint");
    ret = wk_failpoint_txn_write(&hang_up, err);
    rt->hang_up = hang_up;
    if (ret != 0)
        wk_retry_after_write(rt); /* no write follows: hang up now */
    return ret;
}

void
wk_retry_after_write(wk_retry_t *rt)
{
    if (!rt->hang_up)
        return;
    rt->hang_up = false;
    rt->closed = true;
    shutdown(rt->cmd->conn->fd, SHUT_RDWR); /* the loop sees EOF and closes it */
}

void
wk_retry_tagged_done(void)
{
    wk_retry_tag_t *tag = wk_coro_local();

    if (tag != NULL)
        wk_retry_after_write(tag->rt);
}

int
wk_retry_tag_request(int op, const bson_t *req, bson_t *out, bool *tagged, sdb_error_t *err)
{
    wk_retry_tag_t *tag = wk_coro_local();
    bson_iter_t it;

    *tagged = false;
    if (tag == NULL || (op != SDB_OP_INSERT && op != SDB_OP_UPDATE && op != SDB_OP_DELETE) ||
        bson_iter_init_find(&it, req, "txn"))
        return 0;
    SDB_RET(wk_retry_before_write(tag->rt, err));
    bson_copy_to(req, out);
    wk_retry_append_txn(out, tag->rt, tag->stmt, NULL, 0, tag->images);
    *tagged = true;
    return 0;
}

void
wk_retry_end(wk_retry_t *rt)
{
    wk_retry_untag();
    bson_destroy(&rt->done);
}
