/*
 * src/worker/cmd/find_and_modify.c -- the findAndModify command.
 *
 * Picks one document -- the first match, or the smallest under `sort` -- and removes or
 * updates it with the compare-and-swap helpers of write.h.  If the chosen document
 * changed or vanished underneath (the helper re-reads it on WriteConflict and reports it
 * no longer matches), the choice is made again, so the command acts atomically on a document
 * that matched at the moment it was written.  Nothing matched plus upsert inserts the upsert
 * document.  Reply: {lastErrorObject: {n, updatedExisting?, upserted?}, value}, `value` being
 * the document before or (new: true) after the change, shaped by `fields`.  A retryable
 * findAndModify (retry.h) sends its stmtId with its write, keeping the images; when the
 * statement had already run its reply is rebuilt from the recorded images.
 *
 * Invariants: event-loop thread; the chosen candidate is an owned copy, never an executor
 * view, since the executor may fetch again before it is written.
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/opcount.h"
#include "../engine/retry.h"
#include "../engine/view.h"
#include "../engine/write.h"

#include "../../common/collation.h"
#include "../query/projection.h"
#include "../query/sort.h"

#include <string.h>

#define WK_FAM_RETRIES 100

typedef struct fam_args {
    bson_t query, sort, fields, array_filters;
    bson_iter_t update, let, collation, hint;
    bool has_update, has_af, has_let, has_coll, has_hint, remove, return_new, upsert, bypass;
} fam_args_t;

typedef struct fam_plan {
    char ns[WK_NS_MAX];
    wk_projection_t *proj;
    wk_sort_t *sort;
    wk_update_t *upd;
    wk_validator_t validator;
    bson_t *vars;          /* the command's let variables (bson_new) or NULL */
    sdb_collation_t *coll; /* NULL = simple */
    wk_match_opts_t mo;    /* {vars, coll} */
} fam_plan_t;

static const char *const fam_fields[] = {
    "query",     "sort",
    "remove",    "update",
    "new",       "fields",
    "upsert",    "bypassDocumentValidation",
    "collation", "arrayFilters",
    "hint",      "let",
    "stmtId",    "$_requestResumeToken",
    NULL,
};

/* fam_field -- one field of the command. */
static int
fam_field(wk_cmd_t *cmd, fam_args_t *a, const bson_iter_t *it)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "query") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->query);
    if (strcmp(k, "sort") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->sort);
    if (strcmp(k, "fields") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->fields);
    if (strcmp(k, "remove") == 0)
        a->remove = wk_cmdu_truthy(it);
    else if (strcmp(k, "new") == 0)
        a->return_new = wk_cmdu_truthy(it);
    else if (strcmp(k, "upsert") == 0)
        a->upsert = wk_cmdu_truthy(it);
    else if (strcmp(k, "bypassDocumentValidation") == 0)
        a->bypass = wk_cmdu_truthy(it);
    else if (strcmp(k, "update") == 0 && !BSON_ITER_HOLDS_NULL(it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(it) && !BSON_ITER_HOLDS_ARRAY(it))
            return wk_cmdu_type_error(cmd, k, bson_iter_type(it), "[object, array]");
        a->update = *it;
        a->has_update = true;
    } else if (strcmp(k, "let") == 0) {
        a->let = *it;
        a->has_let = true;
    } else if (strcmp(k, "collation") == 0) {
        a->collation = *it;
        a->has_coll = true;
    } else if (strcmp(k, "hint") == 0) {
        a->hint = *it;
        a->has_hint = true;
    } else if (strcmp(k, "arrayFilters") == 0 && !BSON_ITER_HOLDS_NULL(it)) {
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_ARRAY(it))
            return wk_cmdu_type_error(cmd, k, bson_iter_type(it), "array");
        bson_iter_array(it, &len, &data);
        a->has_af = bson_init_static(&a->array_filters, data, len);
    }
    return 0;
}

/* parse_fam -- fields and mongod's combination rules. */
static int
parse_fam(wk_cmd_t *cmd, fam_args_t *a)
{
    bson_iter_t it;

    memset(a, 0, sizeof(*a));
    bson_init(&a->query);
    bson_init(&a->sort);
    bson_init(&a->fields);
    SDB_RET(wk_cmdu_check_fields(cmd, fam_fields));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it))
        SDB_RET(fam_field(cmd, a, &it));
    if (a->remove && a->has_update)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Cannot specify both an update and remove=true");
    if (!a->remove && !a->has_update)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Either an update or remove=true must be specified");
    if (a->remove && a->upsert)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Cannot specify both upsert=true and remove=true ");
    if (a->remove && a->return_new)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Cannot specify both new=true and remove=true; 'remove' always "
                             "returns the deleted document");
    if (a->remove && a->has_af)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Cannot specify arrayFilters and remove=true");
    return 0;
}

/* choose -- the document to modify: the first match, or the least under the sort.
 * *doc (initialized when *found) is an owned copy. */
static int
choose(const fam_plan_t *p, const fam_args_t *a, wk_exec_t *ex, bson_t *doc, int64_t *r,
       bool *found, sdb_error_t *err)
{
    *found = false;
    SDB_RET(wk_exec_open_hint(ex, p->ns, &a->query, &p->mo,
                              a->has_hint ? bson_iter_value((bson_iter_t *)&a->hint) : NULL, err));
    for (;;) {
        bson_t cand;
        int64_t cr;
        bool more;

        SDB_RET(wk_exec_next(ex, &cand, &cr, NULL, &more, err));
        if (!more)
            return 0;
        if (*found && (p->sort == NULL || wk_sort_cmp(p->sort, &cand, doc) >= 0))
            continue;
        if (*found)
            bson_destroy(doc);
        bson_copy_to(&cand, doc);
        *r = cr;
        *found = true;
        if (p->sort == NULL)
            return 0;
    }
}

/* append_value -- `value`: the document shaped by `fields`, or null. */
static int
append_value(wk_cmd_t *cmd, const fam_plan_t *p, const wk_matcher_t *m, const bson_t *doc)
{
    wk_match_details_t det;
    bson_t out;
    int ret;

    if (doc == NULL || bson_empty(doc)) {
        BSON_APPEND_NULL(cmd->reply, "value");
        return 0;
    }
    if (p->proj == NULL) {
        BSON_APPEND_DOCUMENT(cmd->reply, "value", doc);
        return 0;
    }
    memset(&det, 0, sizeof(det));
    if (m != NULL)
        wk_matcher_matches(m, doc, &det);
    ret = wk_projection_apply_op(p->proj, doc, &det, p->vars, &cmd->op, &out, &cmd->err);
    if (ret == 0)
        BSON_APPEND_DOCUMENT(cmd->reply, "value", &out);
    bson_destroy(&out);
    return ret;
}

/* last_error -- lastErrorObject {n, updatedExisting?, upserted?}. */
static void
last_error(wk_cmd_t *cmd, const fam_args_t *a, int n, bool existing, const bson_t *upserted)
{
    bson_t le;
    bson_iter_t id;

    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "lastErrorObject", &le);
    BSON_APPEND_INT32(&le, "n", n);
    if (!a->remove)
        BSON_APPEND_BOOL(&le, "updatedExisting", existing);
    if (upserted != NULL && bson_iter_init_find(&id, upserted, "_id"))
        wk_cmdu_append_iter_as(&le, "upserted", &id);
    bson_append_document_end(cmd->reply, &le);
}

/* dup_key_extra -- a DuplicateKey error reply carries keyPattern and keyValue, a
 * DocumentValidationFailure its errInfo, as mongod's. */
static void
dup_key_extra(wk_cmd_t *cmd, const bson_t *detail)
{
    bson_iter_t it;

    if ((cmd->err.code != SDB_CODE_DuplicateKey &&
         cmd->err.code != SDB_CODE_DocumentValidationFailure) ||
        cmd->err_extra != NULL)
        return;
    cmd->err_extra = bson_new();
    if (bson_iter_init_find(&it, detail, "errInfo"))
        wk_cmdu_append_iter_as(cmd->err_extra, "errInfo", &it);
    if (bson_iter_init_find(&it, detail, "keyPattern"))
        wk_cmdu_append_iter_as(cmd->err_extra, "keyPattern", &it);
    if (bson_iter_init_find(&it, detail, "keyValue"))
        wk_cmdu_append_iter_as(cmd->err_extra, "keyValue", &it);
}

/* no_match -- nothing matched: upsert or report n: 0. */
static int
no_match(wk_cmd_t *cmd, const fam_plan_t *p, const fam_args_t *a, const wk_matcher_t *m,
         wk_stmt_t *stmt)
{
    bson_t up = BSON_INITIALIZER, detail = BSON_INITIALIZER;
    int ret = 0;

    if (!a->upsert) {
        last_error(cmd, a, 0, false, NULL);
        BSON_APPEND_NULL(cmd->reply, "value");
        goto err;
    }
    bson_destroy(&up);
    SDB_ERR(wk_cmdu_upsert(&cmd->op, p->ns, &p->validator, &a->query, p->upd, stmt, &up, &detail,
                           &cmd->err));
    if (stmt != NULL && stmt->done)
        goto err; /* it had already run: the caller replays its record */
    last_error(cmd, a, 1, false, &up);
    SDB_ERR(append_value(cmd, p, m, a->return_new ? &up : NULL));
err:
    if (ret == SDB_ECLIENT)
        dup_key_extra(cmd, &detail);
    bson_destroy(&up);
    bson_destroy(&detail);
    return ret;
}

/* modify -- one attempt on the chosen document; *gone when it changed underneath. */
static int
modify(wk_cmd_t *cmd, const fam_plan_t *p, const fam_args_t *a, const wk_exec_t *ex,
       const bson_t *doc, int64_t r, wk_stmt_t *stmt, bool *gone)
{
    bson_t before = BSON_INITIALIZER, after = BSON_INITIALIZER, detail = BSON_INITIALIZER;
    wk_match_details_t det;
    bool done = false, modified;
    int ret = 0;

    memset(&det, 0, sizeof(det));
    wk_matcher_matches(ex->matcher, doc, &det);
    if (a->remove)
        SDB_ERR(wk_cmdu_delete_one(&cmd->op, p->ns, ex->matcher, r, doc, stmt, &done, &before,
                                   &cmd->err));
    else
        SDB_ERR(wk_cmdu_update_one(&cmd->op, p->ns, &p->validator, ex->matcher, p->upd, r, doc,
                                   &det, stmt, &done, &modified, &before, &after, &detail,
                                   &cmd->err));
    *gone = !done && (stmt == NULL || !stmt->done);
    if (done) {
        last_error(cmd, a, 1, true, NULL);
        SDB_ERR(append_value(cmd, p, ex->matcher, a->return_new ? &after : &before));
    }
err:
    if (ret == SDB_ECLIENT)
        dup_key_extra(cmd, &detail);
    bson_destroy(&before);
    bson_destroy(&after);
    bson_destroy(&detail);
    return ret;
}

/* run -- choose and modify, choosing again while the candidate slips away.  `stmt` (may be
 * NULL): the retryable statement; when it had already run the reply is left to the caller. */
static int
run(wk_cmd_t *cmd, const fam_plan_t *p, const fam_args_t *a, wk_stmt_t *stmt)
{
    wk_exec_t ex;
    bson_t doc;
    int64_t r = 0;
    bool found = false, gone = true;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = &cmd->op;
    for (int i = 0; i < WK_FAM_RETRIES && gone; i++) {
        SDB_ERR(choose(p, a, &ex, &doc, &r, &found, &cmd->err));
        if (!found) {
            SDB_ERR(no_match(cmd, p, a, ex.matcher, stmt));
            gone = false;
            break;
        }
        ret = modify(cmd, p, a, &ex, &doc, r, stmt, &gone);
        bson_destroy(&doc);
        found = false;
        SDB_ERR(ret);
    }
    if (gone)
        ret = sdb_error_set(&cmd->err, SDB_CODE_WriteConflict,
                            "Write conflict during plan execution");
err:
    if (found)
        bson_destroy(&doc);
    wk_exec_close(&ex);
    return ret;
}

/* replay -- the reply of a retried findAndModify whose write is recorded: lastErrorObject and
 * the recorded pre- or post-image (shaped by `fields`, without positional match details). */
static int
replay(wk_cmd_t *cmd, const fam_plan_t *p, const fam_args_t *a, const bson_t *rec)
{
    bson_t pre = BSON_INITIALIZER, post = BSON_INITIALIZER, id = BSON_INITIALIZER;
    const uint8_t *data;
    uint32_t len;
    bson_iter_t it;
    bool inserted;
    int ret;

    inserted = bson_iter_init_find(&it, rec, "op") && BSON_ITER_HOLDS_UTF8(&it) &&
               strcmp(bson_iter_utf8(&it, NULL), "i") == 0;
    if (bson_iter_init_find(&it, rec, "pre") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_destroy(&pre);
        bson_init_static(&pre, data, len);
    }
    if (bson_iter_init_find(&it, rec, "post") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_destroy(&post);
        bson_init_static(&post, data, len);
    }
    if (inserted && bson_iter_init_find(&it, rec, "id"))
        bson_append_iter(&id, "_id", 3, &it);
    last_error(cmd, a, 1, !inserted, inserted ? &id : NULL);
    ret = append_value(cmd, p, NULL, a->return_new ? &post : (inserted ? NULL : &pre));
    bson_destroy(&id);
    return ret;
}

/* wk_cmd_find_and_modify -- {findAndModify, query, sort, remove, update, new, fields, upsert}
 * -> {lastErrorObject, value}. */
int
wk_cmd_find_and_modify(wk_cmd_t *cmd)
{
    fam_plan_t p;
    fam_args_t a;
    wk_write_concern_t wc;
    wk_retry_t rt;
    wk_stmt_t sst, *stmt = NULL;
    int ret = 0;

    memset(&p, 0, sizeof(p));
    SDB_ERR(wk_cmd_ns(cmd, p.ns, sizeof(p.ns)));
    SDB_ERR(wk_ns_write_check(p.ns, &cmd->err));
    SDB_ERR(wk_view_refuse_write(cmd, p.ns));
    SDB_ERR(parse_fam(cmd, &a));
    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    if (a.has_let)
        SDB_ERR(wk_cmdu_let_vars(cmd, &a.let, &p.vars));
    if (a.has_coll)
        SDB_ERR(wk_cmdu_collation_new(&a.collation, "collation", &p.coll, &cmd->err));
    else /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(p.ns, &p.coll, NULL, &cmd->err));
    wk_cmdu_clock_vars(&p.vars); /* $$NOW, $$CLUSTER_TIME fixed for the command */
    p.mo.vars = p.vars;
    p.mo.coll = p.coll;
    p.mo.op = &cmd->op; /* a pipeline update's $function stops at maxTimeMS */
    if (!bson_empty(&a.fields))
        SDB_ERR(wk_projection_new(&a.fields, &a.query, &p.proj, &cmd->err));
    if (!bson_empty(&a.sort))
        SDB_ERR(wk_sort_new_ex(&a.sort, p.coll, &p.sort, &cmd->err));
    if (a.has_update)
        SDB_ERR(wk_update_new_ex(&a.update, a.has_af ? &a.array_filters : NULL, &p.mo, &p.upd,
                                 &cmd->err));
    if (!a.remove)
        SDB_ERR(wk_cmdu_validator_load(cmd, p.ns, a.bypass, &p.validator));
    wk_cmdu_opcount(a.remove ? WK_OPC_DELETE : WK_OPC_UPDATE, 1);
    wk_retry_parse(cmd, &rt);
    stmt = wk_retry_stmt(&rt, rt.stmt_id, true, &sst);
    ret = wk_retry_settle(stmt, run(cmd, &p, &a, stmt), &cmd->err);
    if (stmt != NULL && stmt->done) {
        bson_reinit(cmd->reply); /* what the retry saw does not count: the record does */
        SDB_ERR(replay(cmd, &p, &a, &stmt->rec));
    }
    SDB_ERR(ret);
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    wk_retry_stmt_end(stmt);
    wk_cmdu_validator_free(&p.validator);
    wk_projection_free(p.proj);
    wk_sort_free(p.sort);
    wk_update_free(p.upd);
    sdb_collation_free(p.coll);
    if (p.vars != NULL)
        bson_destroy(p.vars);
    return ret;
}
