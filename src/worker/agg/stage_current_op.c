/*
 * src/worker/agg/stage_current_op.c -- $currentOp: the running operations of every worker.
 *
 * {$currentOp: {allUsers?, idleConnections?, idleCursors?, idleSessions?, localOps?,
 * truncateOps?}} must open an {aggregate: 1} pipeline on admin.  It emits the same inprog
 * documents as the currentOp command (worker/op_registry.h).  Without authentication every
 * operation is the user's own, so allUsers changes nothing; idleConnections: true also lists
 * the idle connections (op_registry.h); this server keeps no table of idle cursors or
 * sessions, so those options list the same active operations.
 */
#include "agg_int.h"

#include "../op_registry.h"

#include <string.h>

static const char *const options[] = {
    "allUsers", "idleConnections", "idleCursors", "idleSessions", "localOps", "truncateOps", NULL,
};

int
wk_agg_parse_current_op(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                        sdb_error_t *err)
{
    bson_iter_t it;

    *priv = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$currentOp options must be specified in an object, but found: %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    if (strcmp(ctx->db, "admin") != 0 || ctx->coll != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$currentOp must be run against the 'admin' database with "
                             "{aggregate: 1}");
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool known = false;

        for (int i = 0; options[i] != NULL; i++)
            known = known || strcmp(k, options[i]) == 0;
        if (!known)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Unrecognized option '%s' in $currentOp stage.", k);
        if (!BSON_ITER_HOLDS_BOOL(&it))
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "The '%s' parameter of the $currentOp stage must be a boolean "
                                 "value, but found: %s",
                                 k, wk_agg_type_name(bson_iter_type(&it)));
        if (strcmp(k, "idleConnections") == 0 && bson_iter_as_bool(&it))
            *priv = (void *)1; /* no allocation: the one option that changes the output */
    }
    return 0;
}

static void
emit(const bson_t *doc, void *arg)
{
    wk_agg_docs_push(arg, bson_copy(doc));
}

int
wk_agg_run_current_op(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                      sdb_error_t *err)
{
    SDB_UNUSED(ctx);
    SDB_UNUSED(in);
    SDB_UNUSED(err);
    wk_opreg_each(emit, out, priv != NULL);
    return 0;
}

void
wk_agg_free_current_op(void *priv)
{
    SDB_UNUSED(priv);
}
