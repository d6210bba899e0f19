/*
 * src/worker/agg/stage_union.c -- $unionWith: the input followed by another collection's
 * documents, through an optional pipeline.
 *
 * "coll" or {coll?, pipeline?}.  Without coll the pipeline must start with $documents (a
 * collection-less union, as in mongod 7.0).  The sub-pipeline is parsed with the stage, for
 * its errors, and may not hold $out, $merge or $changeStream (31441).  When it runs, the
 * input documents pass first, unchanged and in order, then the sub-pipeline's results.
 * wk_agg_run_foreign (shared with $graphLookup) resolves the foreign collection when the
 * stage runs: a view's stages go before the sub-pipeline (so a view created after parsing is
 * honoured), and a missing collection contributes nothing.
 *
 * Invariants: event-loop thread (the store and the catalog cache are read); the private state
 * is immutable after parsing.
 */
#include "agg_int.h"

#include "../engine/args.h"
#include "../engine/view.h"

#include <stdio.h>
#include <string.h>

typedef struct union_with {
    char *coll;       /* NULL: collection-less ($documents first) */
    bson_t *pipeline; /* the raw sub-pipeline (an array document, maybe empty) */
} union_with_t;

static void
union_free(union_with_t *u)
{
    if (u == NULL)
        return;
    bson_free(u->coll);
    if (u->pipeline != NULL)
        bson_destroy(u->pipeline);
    bson_free(u);
}

/* set_coll -- the foreign collection's name (a NUL inside it is refused, never cut at). */
static int
set_coll(union_with_t *u, const bson_iter_t *it, const char *db, sdb_error_t *err)
{
    uint32_t len;
    const char *s = bson_iter_utf8(it, &len);

    if (strlen(s) != len)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "namespaces cannot have embedded null characters");
    if (len == 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace specified '%s.'",
                             db != NULL ? db : "");
    bson_free(u->coll);
    u->coll = bson_strdup(s);
    return 0;
}

/* parse_object -- {coll?, pipeline?} with the IDL parser's errors. */
static int
parse_object(union_with_t *u, const bson_iter_t *spec, const char *db, sdb_error_t *err)
{
    bson_iter_t it;

    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "coll") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                     "BSON field '$unionWith.coll' is the wrong type '%s', "
                                     "expected type 'string'",
                                     wk_agg_type_name(bson_iter_type(&it)));
            SDB_RET(set_coll(u, &it, db, err));
        } else if (strcmp(k, "pipeline") == 0) {
            const uint8_t *data;
            uint32_t len;

            if (!BSON_ITER_HOLDS_ARRAY(&it))
                return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                     "BSON field '$unionWith.pipeline' is the wrong type '%s', "
                                     "expected type 'array'",
                                     wk_agg_type_name(bson_iter_type(&it)));
            bson_iter_array(&it, &len, &data);
            bson_destroy(u->pipeline);
            u->pipeline = bson_new_from_data(data, len);
        } else {
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '$unionWith.%s' is an unknown field.", k);
        }
    }
    return 0;
}

/* first_stage_is -- does the pipeline's first stage have the name `name`? */
static bool
first_stage_is(const bson_t *pipeline, const char *name)
{
    bson_iter_t it, st;

    return bson_iter_init(&it, pipeline) && bson_iter_next(&it) && BSON_ITER_HOLDS_DOCUMENT(&it) &&
           bson_iter_recurse(&it, &st) && bson_iter_next(&st) &&
           strcmp(bson_iter_key(&st), name) == 0;
}

/* check_stages -- the stages a union's sub-pipeline may not hold. */
static int
check_stages(const bson_t *pipeline, sdb_error_t *err)
{
    static const char *const banned[] = {"$out", "$merge", "$changeStream", NULL};
    bson_iter_t it, st;

    bson_iter_init(&it, pipeline);
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &st) || !bson_iter_next(&st))
            continue;
        for (size_t i = 0; banned[i] != NULL; i++)
            if (strcmp(bson_iter_key(&st), banned[i]) == 0)
                return sdb_error_set(err, SDB_CODE_Location31441,
                                     "%s is not allowed within a $unionWith's sub-pipeline",
                                     banned[i]);
    }
    return 0;
}

int
wk_agg_parse_union_with(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                        sdb_error_t *err)
{
    union_with_t *u = bson_malloc0(sizeof(*u));
    wk_agg_ctx_t sub = *ctx;
    wk_agg_pipeline_t *parsed = NULL;
    int ret = 0;

    u->pipeline = bson_new();
    if (BSON_ITER_HOLDS_UTF8(spec)) {
        SDB_ERR(set_coll(u, spec, ctx->db, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(spec)) {
        SDB_ERR(parse_object(u, spec, ctx->db, err));
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "the $unionWith stage specification must be an object or string, "
                              "but found %s",
                              wk_agg_type_name(bson_iter_type(spec))));
    }
    if (u->coll == NULL && !first_stage_is(u->pipeline, "$documents"))
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "$unionWith stage without explicit collection must have a pipeline "
                              "with $documents as first stage"));
    SDB_ERR(check_stages(u->pipeline, err));
    sub.coll = u->coll;
    sub.depth = ctx->depth + 1;
    SDB_ERR(wk_agg_parse_doc(u->pipeline, &sub, &parsed, err));
    wk_agg_free(parsed);
    *priv = u;
    return 0;
err:
    union_free(u);
    return ret;
}

int
wk_agg_run_foreign(wk_agg_ctx_t *ctx, const char *coll, const bson_t *pipeline, wk_agg_docs_t *out,
                   sdb_error_t *err)
{
    wk_agg_ctx_t sub = *ctx;
    wk_agg_pipeline_t *p = NULL;
    bson_t stages = BSON_INITIALIZER;
    char src[WK_NS_MAX];
    bool is_view = false;
    uint32_t n;
    bson_iter_t it;
    char key[16];
    const char *k;
    int ret = 0;

    snprintf(src, sizeof(src), "%s", coll != NULL ? coll : "");
    if (coll != NULL)
        SDB_ERR(wk_view_resolve(ctx->db, coll, src, sizeof(src), &stages, &is_view, err));
    n = (uint32_t)bson_count_keys(&stages);
    if (pipeline != NULL && bson_iter_init(&it, pipeline))
        while (bson_iter_next(&it)) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            bson_append_iter(&stages, k, -1, &it);
        }
    sub.coll = coll != NULL ? src : NULL;
    sub.depth = ctx->depth + 1;
    SDB_ERR(wk_agg_parse_doc(&stages, &sub, &p, err));
    SDB_ERR(wk_agg_run_sub(p, ctx, sub.coll, NULL, out, err));
err:
    wk_agg_free(p);
    bson_destroy(&stages);
    return ret;
}

int
wk_agg_run_union_with(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                      sdb_error_t *err)
{
    const union_with_t *u = priv;

    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] != NULL)
            wk_agg_docs_push(out, in->v[i]);
        in->v[i] = NULL;
    }
    return wk_agg_run_foreign(ctx, u->coll, u->pipeline, out, err);
}

void
wk_agg_free_union_with(void *priv)
{
    union_free(priv);
}
