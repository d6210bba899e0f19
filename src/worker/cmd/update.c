/*
 * src/worker/cmd/update.c -- the update command.
 *
 * Each statement {q, u, upsert, multi, arrayFilters} runs the shared executor over q and
 * hands every match to wk_cmdu_update_one, which applies the update and writes the record
 * with compare-and-swap (re-reading and re-matching on WriteConflict).  A collection scan
 * visits each record once and UPDATE keeps the record id, so an updateMany never applies
 * twice to one document; an _id lookup yields each _id once.  multi: false stops after the
 * first match.  When nothing matched and upsert is set, the upsert document is built from
 * the query's equality fields and inserted (with upsertSupplied, the statement's constant
 * `c.new` is inserted as it stands).  A statement's constants `c` are variables of its
 * pipeline update, and an error on any other update (51198).  Statement failures become writeErrors
 * ({index, code, errmsg}); an ordered update stops at the first.  Reply: {n, nModified,
 * upserted?, writeErrors?}.
 *
 * A retryable update (retry.h) passes each single-document statement to the write helpers,
 * which send its stmtId with the write; a statement the master says already ran (or, when it
 * wrote nothing, TXN_CHECK says so) is answered from its record.  Multi statements are not
 * retryable and run without identity.
 *
 * Invariants: event-loop thread; n counts matched plus upserted documents, nModified only
 * documents whose bytes changed.
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/opcount.h"
#include "../engine/retry.h"
#include "../engine/view.h"
#include "../engine/write.h"

#include "../../common/collation.h"
#include "../store_client.h"

#include <string.h>

#define WK_CODE_CONSTANTS_NOT_PIPELINE 51198 /* "Constant values may only be ... pipeline" */

typedef struct upd_ctx {
    char ns[WK_NS_MAX];
    bool ordered;
    wk_validator_t validator;
    int64_t n, nmod;
    bson_t upserted; /* [{index, _id}] */
    uint32_t nups;
    bson_t errors; /* writeErrors */
    uint32_t nerr;
    bson_t *vars;      /* the command's let variables (bson_new) or NULL */
    const wk_op_t *op; /* the command's interrupt state */
} upd_ctx_t;

typedef struct upd_stmt {
    bson_t q;
    bson_iter_t u;
    bson_t array_filters;
    bson_iter_t collation;
    bson_iter_t hint;
    bson_t c; /* constants: variables of a pipeline update ($$name) */
    bool has_q, has_u, has_af, has_coll, has_hint, has_c, upsert, multi, supplied;
} upd_stmt_t;

static const char *const update_fields[] = {
    "updates",
    "ordered",
    "bypassDocumentValidation",
    "let",
    "stmtIds",
    "isTimeseriesNamespace",
    "$_allowShardKeyUpdatesWithoutFullShardKeyInQuery",
    NULL,
};

static const char *const stmt_fields[] = {
    "q",
    "u",
    "upsert",
    "multi",
    "arrayFilters",
    "hint",
    "collation",
    "c",
    "upsertSupplied",
    "$_allowShardKeyUpdatesWithoutFullShardKeyInQuery",
    NULL, /* no "sort": that is 8.0 */
};

/* stmt_field -- one field of an update statement. */
static int
stmt_field(wk_cmd_t *cmd, upd_stmt_t *st, const bson_iter_t *it)
{
    const char *k = bson_iter_key(it);
    bool known = false;

    for (size_t i = 0; stmt_fields[i] != NULL && !known; i++)
        known = strcmp(stmt_fields[i], k) == 0;
    if (!known)
        return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                             "BSON field 'update.updates.%s' is an unknown field.", k);
    if (strcmp(k, "q") == 0) {
        st->has_q = true;
        return wk_cmdu_get_doc(cmd, it, "updates.q", &st->q);
    }
    if (strcmp(k, "u") == 0) {
        if (!BSON_ITER_HOLDS_DOCUMENT(it) && !BSON_ITER_HOLDS_ARRAY(it))
            return wk_cmdu_type_error(cmd, "updates.u", bson_iter_type(it), "[object, array]");
        st->has_u = true;
        st->u = *it;
    } else if (strcmp(k, "upsert") == 0) {
        st->upsert = wk_cmdu_truthy(it);
    } else if (strcmp(k, "multi") == 0) {
        st->multi = wk_cmdu_truthy(it);
    } else if (strcmp(k, "arrayFilters") == 0) {
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_ARRAY(it))
            return wk_cmdu_type_error(cmd, "updates.arrayFilters", bson_iter_type(it), "array");
        bson_iter_array(it, &len, &data);
        st->has_af = bson_init_static(&st->array_filters, data, len);
    } else if (strcmp(k, "collation") == 0) {
        st->has_coll = true;
        st->collation = *it;
    } else if (strcmp(k, "hint") == 0) {
        st->has_hint = true;
        st->hint = *it;
    } else if (strcmp(k, "c") == 0) {
        st->has_c = true;
        return wk_cmdu_get_doc(cmd, it, "updates.c", &st->c);
    } else if (strcmp(k, "upsertSupplied") == 0) {
        st->supplied = wk_cmdu_truthy(it);
    }
    return 0;
}

/* parse_stmt -- a statement's fields; problems here fail the whole command, as in mongod. */
static int
parse_stmt(wk_cmd_t *cmd, const bson_iter_t *elem, upd_stmt_t *st)
{
    bson_iter_t it;

    memset(st, 0, sizeof(*st));
    bson_init(&st->q);
    if (!BSON_ITER_HOLDS_DOCUMENT(elem))
        return wk_cmdu_type_error(cmd, "updates.0", bson_iter_type(elem), "object");
    bson_iter_recurse(elem, &it);
    while (bson_iter_next(&it))
        SDB_RET(stmt_field(cmd, st, &it));
    if (!st->has_q)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'update.updates.q' is missing but a required field");
    if (!st->has_u)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'update.updates.u' is missing but a required field");
    return 0;
}

/* upserted_add -- record {index, _id} of an upserted document. */
static void
upserted_add(upd_ctx_t *c, int32_t index, const bson_t *doc)
{
    bson_t e;
    bson_iter_t id;
    char key[16];
    const char *k;

    bson_uint32_to_string(c->nups++, &k, key, sizeof(key));
    bson_append_document_begin(&c->upserted, k, -1, &e);
    BSON_APPEND_INT32(&e, "index", index);
    if (bson_iter_init_find(&id, doc, "_id"))
        wk_cmdu_append_iter_as(&e, "_id", &id);
    bson_append_document_end(&c->upserted, &e);
}

/* replay_stmt -- the counts of a statement that already ran, from its record. */
static void
replay_stmt(upd_ctx_t *c, int32_t index, const bson_t *rec)
{
    bson_iter_t it;
    bson_t id = BSON_INITIALIZER;

    c->n++;
    if (bson_iter_init_find(&it, rec, "op") && BSON_ITER_HOLDS_UTF8(&it) &&
        strcmp(bson_iter_utf8(&it, NULL), "i") == 0) {
        if (bson_iter_init_find(&it, rec, "id"))
            bson_append_iter(&id, "_id", 3, &it);
        upserted_add(c, index, &id);
    } else {
        c->nmod++;
    }
    bson_destroy(&id);
}

/* check_constants -- mongod's errors for constants (`c`) outside a pipeline update and for
 * upsertSupplied without an upsert or without the document `c.new` to insert. */
static int
check_constants(const upd_stmt_t *st, sdb_error_t *werr)
{
    bson_iter_t it;

    if (st->has_c && !BSON_ITER_HOLDS_ARRAY(&st->u))
        return sdb_error_set(werr, WK_CODE_CONSTANTS_NOT_PIPELINE,
                             "Constant values may only be specified for pipeline updates");
    if (!st->supplied)
        return 0;
    if (!st->upsert)
        return sdb_error_set(werr, SDB_CODE_FailedToParse,
                             "cannot specify 'upsertSupplied: true' for a non-upsert operation");
    if (!st->has_c || !bson_iter_init_find(&it, &st->c, "new") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(werr, SDB_CODE_FailedToParse,
                             "the parameter 'upsertSupplied' is set to 'true', but no document "
                             "was supplied");
    return 0;
}

/* upsert_supplied -- an upsert with upsertSupplied inserts `c.new` as it stands (the filter
 * contributes nothing): an upsert of that document as a replacement under an empty filter. */
static int
upsert_supplied(upd_ctx_t *c, const upd_stmt_t *st, wk_stmt_t *stmt, bson_t *up, bson_t *detail,
                sdb_error_t *werr)
{
    wk_update_t *repl = NULL;
    bson_iter_t it;
    bson_t none = BSON_INITIALIZER;
    int ret = 0;

    bson_iter_init_find(&it, &st->c, "new"); /* checked by check_constants */
    SDB_ERR(wk_update_new_ex(&it, NULL, NULL, &repl, werr));
    bson_destroy(up);
    ret = wk_cmdu_upsert(c->op, c->ns, &c->validator, &none, repl, stmt, up, detail, werr);
err:
    wk_update_free(repl);
    bson_destroy(&none);
    return ret;
}

/* run_stmt -- execute one statement (`stmt`: its retryable identity or NULL); failures go to
 * werr (and detail).  Counts nothing for a statement that had already run (stmt->done). */
static int
run_stmt(upd_ctx_t *c, const upd_stmt_t *st, int32_t index, wk_stmt_t *stmt, bson_t *detail,
         sdb_error_t *werr)
{
    wk_update_t *upd = NULL;
    wk_match_opts_t mo = {c->vars, NULL}, umo = {c->vars, NULL};
    sdb_collation_t *coll = NULL;
    wk_exec_t ex;
    bson_t up = BSON_INITIALIZER, uvars = BSON_INITIALIZER;
    int64_t n = 0;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = c->op;
    SDB_ERR(check_constants(st, werr));
    if (st->has_coll)
        SDB_ERR(wk_cmdu_collation_new(&st->collation, "update.updates.collation", &coll, werr));
    else /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(c->ns, &coll, NULL, werr));
    mo.coll = coll;
    if (st->has_c) { /* the statement's constants beside the command's let */
        if (c->vars != NULL)
            bson_concat(&uvars, c->vars);
        bson_concat(&uvars, &st->c);
        umo.vars = &uvars;
    }
    umo.coll = coll;
    umo.op = c->op; /* a pipeline update's $function stops at maxTimeMS */
    SDB_ERR(wk_update_new_ex(&st->u, st->has_af ? &st->array_filters : NULL, &umo, &upd, werr));
    if (st->multi && wk_update_is_replacement(upd))
        SDB_ERR(sdb_error_set(werr, SDB_CODE_FailedToParse,
                              "multi update is not supported for replacement-style update"));
    SDB_ERR(wk_exec_open_hint(&ex, c->ns, &st->q, &mo,
                              st->has_hint ? bson_iter_value((bson_iter_t *)&st->hint) : NULL,
                              werr));
    for (;;) {
        wk_match_details_t det;
        bson_t doc;
        int64_t r;
        bool found, matched, modified;

        SDB_ERR(wk_exec_next(&ex, &doc, &r, &det, &found, werr));
        if (!found)
            break;
        SDB_ERR(wk_cmdu_update_one(c->op, c->ns, &c->validator, ex.matcher, upd, r, &doc, &det,
                                   stmt, &matched, &modified, NULL, NULL, detail, werr));
        if (stmt != NULL && stmt->done)
            goto err;
        if (!matched)
            continue;
        n++;
        c->n++;
        c->nmod += modified ? 1 : 0;
        if (!st->multi)
            break;
    }
    if (n == 0 && st->upsert) {
        bson_destroy(&up);
        if (st->supplied)
            SDB_ERR(upsert_supplied(c, st, stmt, &up, detail, werr));
        else
            SDB_ERR(
                wk_cmdu_upsert(c->op, c->ns, &c->validator, &st->q, upd, stmt, &up, detail, werr));
        if (stmt != NULL && stmt->done)
            goto err;
        upserted_add(c, index, &up);
        c->n++;
    }
err:
    bson_destroy(&up);
    bson_destroy(&uvars);
    wk_exec_close(&ex);
    wk_update_free(upd);
    sdb_collation_free(coll);
    return ret;
}

/* parse_update -- updates array and ordered. */
static int
parse_update(wk_cmd_t *cmd, upd_ctx_t *c, bson_iter_t *updates, bool *bypass)
{
    bson_iter_t it;
    bool have = false;
    uint32_t count = 0;

    c->ordered = true;
    SDB_RET(wk_cmdu_check_fields(cmd, update_fields));
    SDB_RET(wk_cmdu_check_timeseries_ns(cmd));
    bson_iter_init(&it, cmd->body);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "updates") == 0) {
            if (!BSON_ITER_HOLDS_ARRAY(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "array");
            bson_iter_recurse(&it, updates);
            have = true;
        } else if (strcmp(k, "ordered") == 0) {
            c->ordered = wk_cmdu_truthy(&it);
        } else if (strcmp(k, "bypassDocumentValidation") == 0) {
            *bypass = wk_cmdu_truthy(&it);
        } else if (strcmp(k, "let") == 0) {
            SDB_RET(wk_cmdu_let_vars(cmd, &it, &c->vars));
        }
    }
    if (!have)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'update.updates' is missing but a required field");
    it = *updates;
    while (bson_iter_next(&it))
        count++;
    return wk_cmdu_check_batch(cmd, count);
}

/* retry_stmt -- one statement of a retryable update: run it, and answer from its record when
 * it had already run (told by its write, or by TXN_CHECK when it wrote nothing). */
static int
retry_stmt(upd_ctx_t *c, const upd_stmt_t *st, int32_t index, wk_retry_t *rt, bson_t *detail,
           sdb_error_t *werr)
{
    wk_stmt_t sst, *stmt = NULL;
    int64_t n = c->n, nmod = c->nmod;
    int ret;

    if (!st->multi)
        stmt = wk_retry_stmt(rt, wk_retry_stmt_id(rt, index), false, &sst);
    else
        SDB_RET(wk_retry_check_number(rt, werr));
    ret = wk_retry_settle(stmt, run_stmt(c, st, index, stmt, detail, werr), werr);
    if (stmt != NULL && stmt->done) {
        c->n = n; /* what the retry saw does not count: the record does */
        c->nmod = nmod;
        bson_reinit(detail);
        replay_stmt(c, index, &stmt->rec);
    }
    wk_retry_stmt_end(stmt);
    return ret;
}

/* wk_cmd_update -- {update, updates: [{q, u, upsert, multi, arrayFilters}], ordered} ->
 * {n, nModified, upserted?, writeErrors?}. */
int
wk_cmd_update(wk_cmd_t *cmd)
{
    upd_ctx_t c;
    wk_write_concern_t wc;
    bson_iter_t updates, chk;
    upd_stmt_t st;
    wk_retry_t rt;
    int32_t index = 0;
    bool bypass = false;
    int ret = 0;

    memset(&c, 0, sizeof(c));
    bson_init(&c.upserted);
    bson_init(&c.errors);
    c.op = &cmd->op;
    SDB_ERR(wk_cmd_ns(cmd, c.ns, sizeof(c.ns)));
    SDB_ERR(wk_ns_write_check(c.ns, &cmd->err));
    SDB_ERR(wk_view_refuse_write(cmd, c.ns));
    SDB_ERR(parse_update(cmd, &c, &updates, &bypass));
    wk_cmdu_clock_vars(&c.vars); /* one $$NOW for every document it updates */
    chk = updates;
    while (bson_iter_next(&chk))
        SDB_ERR(parse_stmt(cmd, &chk, &st));
    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    SDB_ERR(wk_cmdu_validator_load(cmd, c.ns, bypass, &c.validator));
    wk_retry_parse(cmd, &rt);
    while (bson_iter_next(&updates)) {
        bson_t detail = BSON_INITIALIZER;
        sdb_error_t werr;

        memset(&werr, 0, sizeof(werr));
        SDB_ERR(parse_stmt(cmd, &updates, &st));
        wk_cmdu_opcount(WK_OPC_UPDATE, 1);
        ret = retry_stmt(&c, &st, index, &rt, &detail, &werr);
        if (ret == SDB_ECLIENT &&
            (wk_op_is_interruption(werr.code) || wk_retry_fails_command(&werr))) {
            bson_destroy(&detail);
            cmd->err = werr; /* an interruption fails the whole command, as in mongod */
            goto err;
        }
        if (ret == SDB_ECLIENT)
            wk_cmdu_write_error(&c.errors, c.nerr++, index, &werr, &detail);
        bson_destroy(&detail);
        if (ret != 0 && ret != SDB_ECLIENT)
            goto err;
        index++;
        if (ret != 0 && c.ordered) {
            ret = 0;
            break;
        }
        ret = 0;
    }
    BSON_APPEND_INT32(cmd->reply, "n", (int32_t)c.n);
    BSON_APPEND_INT32(cmd->reply, "nModified", (int32_t)c.nmod);
    if (c.nups > 0)
        BSON_APPEND_ARRAY(cmd->reply, "upserted", &c.upserted);
    if (c.nerr > 0)
        BSON_APPEND_ARRAY(cmd->reply, "writeErrors", &c.errors);
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    wk_cmdu_validator_free(&c.validator);
    bson_destroy(&c.upserted);
    bson_destroy(&c.errors);
    if (c.vars != NULL)
        bson_destroy(c.vars);
    return ret;
}
