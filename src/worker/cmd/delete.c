/*
 * src/worker/cmd/delete.c -- the delete command.
 *
 * Each statement {q, limit: 0|1} runs the shared executor over q and deletes every match
 * (limit 0) or the first one that is still there (limit 1) with DELETE's compare rule: the
 * master removes record r only if its bytes are those we matched; on WriteConflict the
 * record is re-read and re-matched.  Statement failures become writeErrors; an ordered
 * delete stops at the first.  Reply: {n, writeErrors?}.  A retryable delete (retry.h) passes
 * each limit-1 statement to wk_cmdu_delete_one, which sends its stmtId with the write; one
 * that had already run counts the document its record says it removed.
 *
 * Invariants: event-loop thread; n counts documents actually removed.
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/opcount.h"
#include "../engine/retry.h"
#include "../engine/view.h"
#include "../engine/write.h"

#include "../../common/collation.h"

#include <string.h>

typedef struct del_stmt {
    bson_t q;
    int64_t limit;
    bson_iter_t collation;
    bson_iter_t hint;
    bool has_q, has_limit, has_coll, has_hint;
} del_stmt_t;

static const char *const delete_fields[] = {
    "deletes", "ordered", "let", "stmtIds", "isTimeseriesNamespace", NULL,
};

static const char *const stmt_fields[] = {"q", "limit", "hint", "collation", NULL};

/* parse_stmt -- {q, limit}; problems fail the whole command, as in mongod. */
static int
parse_stmt(wk_cmd_t *cmd, const bson_iter_t *elem, del_stmt_t *st)
{
    bson_iter_t it;

    memset(st, 0, sizeof(*st));
    bson_init(&st->q);
    if (!BSON_ITER_HOLDS_DOCUMENT(elem))
        return wk_cmdu_type_error(cmd, "deletes.0", bson_iter_type(elem), "object");
    bson_iter_recurse(elem, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool known = false;

        for (size_t i = 0; stmt_fields[i] != NULL && !known; i++)
            known = strcmp(stmt_fields[i], k) == 0;
        if (!known)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'delete.deletes.%s' is an unknown field.", k);
        if (strcmp(k, "q") == 0) {
            st->has_q = true;
            SDB_RET(wk_cmdu_get_doc(cmd, &it, "deletes.q", &st->q));
        } else if (strcmp(k, "limit") == 0) {
            st->has_limit = true;
            SDB_RET(wk_cmdu_get_i64(cmd, &it, "deletes.limit", &st->limit));
        } else if (strcmp(k, "collation") == 0) {
            st->has_coll = true;
            st->collation = it;
        } else if (strcmp(k, "hint") == 0) {
            st->has_hint = true;
            st->hint = it;
        }
    }
    if (!st->has_q)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'delete.deletes.q' is missing but a required field");
    if (!st->has_limit)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'delete.deletes.limit' is missing but a required field");
    if (st->limit != 0 && st->limit != 1)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "The limit field in delete objects must be 0 or 1. Got %lld",
                             (long long)st->limit);
    return 0;
}

/* run_stmt -- delete what one statement matches (`stmt`: its retryable identity or NULL); *n
 * grows by the documents removed. */
static int
run_stmt(const wk_cmd_t *cmd, const char *ns, const del_stmt_t *st, const bson_t *vars,
         wk_stmt_t *stmt, int64_t *n, sdb_error_t *werr)
{
    wk_match_opts_t mo = {vars, NULL};
    sdb_collation_t *coll = NULL;
    wk_exec_t ex;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = &cmd->op;
    if (st->has_coll)
        SDB_ERR(wk_cmdu_collation_new(&st->collation, "delete.deletes.collation", &coll, werr));
    else /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(ns, &coll, NULL, werr));
    mo.coll = coll;
    SDB_ERR(wk_exec_open_hint(&ex, ns, &st->q, &mo,
                              st->has_hint ? bson_iter_value((bson_iter_t *)&st->hint) : NULL,
                              werr));
    for (;;) {
        bson_t doc;
        int64_t r;
        bool found, deleted;

        SDB_ERR(wk_exec_next(&ex, &doc, &r, NULL, &found, werr));
        if (!found)
            break;
        SDB_ERR(wk_cmdu_delete_one(&cmd->op, ns, ex.matcher, r, &doc, stmt, &deleted, NULL, werr));
        if (stmt != NULL && stmt->done)
            break;
        if (!deleted)
            continue;
        (*n)++;
        if (st->limit == 1)
            break;
    }
err:
    wk_exec_close(&ex);
    sdb_collation_free(coll);
    return ret;
}

/* parse_delete -- deletes array and ordered. */
static int
parse_delete(wk_cmd_t *cmd, bson_iter_t *deletes, bool *ordered, bson_t **vars)
{
    bson_iter_t it;
    bool have = false;
    uint32_t count = 0;
    del_stmt_t st;

    *ordered = true;
    SDB_RET(wk_cmdu_check_fields(cmd, delete_fields));
    SDB_RET(wk_cmdu_check_timeseries_ns(cmd));
    bson_iter_init(&it, cmd->body);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "deletes") == 0) {
            if (!BSON_ITER_HOLDS_ARRAY(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "array");
            bson_iter_recurse(&it, deletes);
            have = true;
        } else if (strcmp(k, "ordered") == 0) {
            *ordered = wk_cmdu_truthy(&it);
        } else if (strcmp(k, "let") == 0) {
            SDB_RET(wk_cmdu_let_vars(cmd, &it, vars));
        }
    }
    if (!have)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'delete.deletes' is missing but a required field");
    it = *deletes;
    while (bson_iter_next(&it)) {
        SDB_RET(parse_stmt(cmd, &it, &st));
        count++;
    }
    return wk_cmdu_check_batch(cmd, count);
}

/* wk_cmd_delete -- {delete, deletes: [{q, limit}], ordered} -> {n, writeErrors?}. */
int
wk_cmd_delete(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];
    wk_write_concern_t wc;
    bson_iter_t deletes;
    bson_t errors = BSON_INITIALIZER;
    uint32_t nerr = 0;
    int32_t index = 0;
    int64_t n = 0;
    bool ordered;
    del_stmt_t st;
    bson_t *vars = NULL;
    wk_retry_t rt;
    wk_stmt_t sst, *stmt;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_ns_write_check(ns, &cmd->err));
    SDB_ERR(wk_view_refuse_write(cmd, ns));
    SDB_ERR(parse_delete(cmd, &deletes, &ordered, &vars));
    wk_cmdu_clock_vars(&vars); /* one $$NOW / $$CLUSTER_TIME for every statement, let or not */
    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    wk_retry_parse(cmd, &rt);
    while (bson_iter_next(&deletes)) {
        sdb_error_t werr;

        memset(&werr, 0, sizeof(werr));
        SDB_ERR(parse_stmt(cmd, &deletes, &st));
        wk_cmdu_opcount(WK_OPC_DELETE, 1);
        stmt = NULL;
        if (st.limit == 1)
            stmt = wk_retry_stmt(&rt, wk_retry_stmt_id(&rt, index), false, &sst);
        ret = stmt != NULL ? 0 : wk_retry_check_number(&rt, &werr);
        if (ret == 0)
            ret = wk_retry_settle(stmt, run_stmt(cmd, ns, &st, vars, stmt, &n, &werr), &werr);
        if (stmt != NULL && stmt->done)
            n++; /* a recorded delete removed one document */
        wk_retry_stmt_end(stmt);
        if (ret == SDB_ECLIENT &&
            (wk_op_is_interruption(werr.code) || wk_retry_fails_command(&werr))) {
            cmd->err = werr; /* an interruption fails the whole command, as in mongod */
            goto err;
        }
        if (ret == SDB_ECLIENT)
            wk_cmdu_write_error(&errors, nerr++, index, &werr, NULL);
        else if (ret != 0)
            goto err;
        index++;
        if (ret != 0 && ordered) {
            ret = 0;
            break;
        }
        ret = 0;
    }
    BSON_APPEND_INT32(cmd->reply, "n", (int32_t)n);
    if (nerr > 0)
        BSON_APPEND_ARRAY(cmd->reply, "writeErrors", &errors);
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    bson_destroy(&errors);
    if (vars != NULL)
        bson_destroy(vars);
    return ret;
}
