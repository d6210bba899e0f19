/*
 * src/worker/agg/stage_shape.c -- stages that filter or reshape one document at a time:
 * $match, $project, $addFields/$set, $unset, $replaceRoot/$replaceWith.
 *
 * $match uses the query matcher, $project and $unset the find projection (an $unset is the
 * exclusion projection of its paths), $addFields evaluates every expression against the input
 * document and then writes the results (nested objects of a spec are flattened into dotted
 * paths, so {a: {b: 1}} adds a.b and keeps a's other fields), $replaceRoot evaluates its
 * expression and requires a document.
 *
 * Invariants: private states are immutable after parsing; documents move from `in` to `out`
 * or are replaced by new ones.
 */
#include "agg_int.h"

#include "../engine/args.h"
#include "../engine/text.h"
#include "../query/matcher.h"
#include "../query/projection.h"

#include <string.h>

/* spec_doc -- a static view of a document-valued stage spec. */
static bool
spec_doc(const bson_iter_t *spec, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return false;
    bson_iter_document(spec, &len, &data);
    return bson_init_static(out, data, len);
}

/* ---- $match ---------------------------------------------------------------------------- */

int
wk_agg_parse_match(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    wk_match_opts_t mo = {NULL, ctx->collation, false, ctx->op}; /* $function in $expr */
    bson_t filter;
    wk_matcher_t *m = NULL;

    if (!spec_doc(spec, &filter))
        return sdb_error_set(err, SDB_CODE_Location15959,
                             "the match filter must be an expression in an object");
    if (wk_text_in_filter(&filter)) { /* only as the leading $match, which the executor runs */
        *priv = NULL;
        return 0;
    }
    SDB_RET(wk_matcher_new_ex(&filter, &mo, &m, err));
    *priv = m;
    return 0;
}

int
wk_agg_run_match(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    bool matched;

    if (priv == NULL) /* a $text filter met here: not the leading stage (wk_agg_parse_match) */
        return sdb_error_set(err, SDB_CODE_Location17313,
                             "$match with $text is only allowed as the first pipeline stage");
    for (size_t i = 0; i < in->n; i++) {
        SDB_RET(wk_op_check(ctx->op, err));
        if (in->v[i] == NULL)
            continue;
        /* an evaluation error ($expr) fails the whole aggregate, as in mongod */
        SDB_RET(wk_matcher_match(priv, in->v[i], NULL, &matched, err));
        if (matched) {
            wk_agg_docs_push(out, in->v[i]);
            in->v[i] = NULL;
        }
    }
    return 0;
}

void
wk_agg_free_match(void *priv)
{
    wk_matcher_free(priv);
}

/* ---- $project and $unset ---------------------------------------------------------------- */

int
wk_agg_parse_project(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                     sdb_error_t *err)
{
    wk_projection_t *p = NULL;
    bson_t doc;

    SDB_UNUSED(ctx);
    if (!spec_doc(spec, &doc))
        return sdb_error_set(err, SDB_CODE_Location15969,
                             "$project specification must be an object");
    if (bson_empty(&doc))
        return sdb_error_set(err, SDB_CODE_Location51272,
                             "Invalid $project :: caused by :: projection specification must "
                             "have at least one field");
    SDB_RET(wk_projection_new(&doc, NULL, &p, err));
    *priv = p;
    return 0;
}

int
wk_agg_run_project(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                   sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        SDB_RET(wk_op_check(ctx->op, err));
        bson_t res, *copy;

        if (in->v[i] == NULL)
            continue;
        if (wk_projection_apply_op(priv, in->v[i], NULL, NULL, ctx->op, &res, err) != 0) {
            bson_destroy(&res);
            return SDB_ECLIENT;
        }
        copy = bson_copy(&res);
        bson_destroy(&res);
        wk_agg_docs_push(out, copy);
    }
    return 0;
}

void
wk_agg_free_project(void *priv)
{
    wk_projection_free(priv);
}

int
wk_agg_parse_unset(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    bson_t proj = BSON_INITIALIZER;
    wk_projection_t *p = NULL;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (BSON_ITER_HOLDS_UTF8(spec)) {
        BSON_APPEND_INT32(&proj, bson_iter_utf8(spec, NULL), 0);
    } else if (BSON_ITER_HOLDS_ARRAY(spec)) {
        bson_iter_recurse(spec, &it);
        while (bson_iter_next(&it)) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location31120,
                                      "$unset specification must be a string or an array "
                                      "containing only string values"));
            BSON_APPEND_INT32(&proj, bson_iter_utf8(&it, NULL), 0);
        }
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location31002,
                              "$unset specification must be a string or an array"));
    }
    if (bson_empty(&proj))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location31119,
                              "$unset specification must be a string or an array with at least "
                              "one field"));
    SDB_ERR(wk_projection_new(&proj, NULL, &p, err));
    *priv = p;
err:
    bson_destroy(&proj);
    return ret;
}

int
wk_agg_run_unset(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    return wk_agg_run_project(priv, ctx, in, out, err);
}

void
wk_agg_free_unset(void *priv)
{
    wk_projection_free(priv);
}

/* ---- $addFields / $set ------------------------------------------------------------------ */

typedef struct add_fields {
    char **paths;
    wk_expr_t **exprs;
    size_t n;
} add_fields_t;

static void
add_fields_free(add_fields_t *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++) {
        bson_free(a->paths[i]);
        wk_expr_free(a->exprs[i]);
    }
    bson_free(a->paths);
    bson_free(a->exprs);
    bson_free(a);
}

/* add_spec -- the fields of one (nested) spec object, under `prefix`. */
static int
add_spec(add_fields_t *a, const char *prefix, bson_iter_t *it, sdb_error_t *err)
{
    while (bson_iter_next(it)) {
        const char *k = bson_iter_key(it);
        char *path = prefix[0] ? bson_strdup_printf("%s.%s", prefix, k) : bson_strdup(k);
        bson_iter_t child, probe;
        wk_expr_t *e = NULL;
        int ret = 0;

        if (k[0] == '$' || k[0] == '\0') {
            bson_free(path);
            return sdb_error_set(err, SDB_CODE_Location16410,
                                 "FieldPath field names may not start with '$'. Consider using "
                                 "$getField or $setField.");
        }
        if ((ret = sdb_path_check(path, strlen(path), err)) != 0) { /* bounds the nesting too */
            bson_free(path);
            return ret;
        }
        if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &probe) &&
            bson_iter_next(&probe) && bson_iter_key(&probe)[0] != '$') {
            bson_iter_recurse(it, &child);
            ret = add_spec(a, path, &child, err);
            bson_free(path);
            SDB_RET(ret);
            continue;
        }
        ret = wk_expr_parse(it, &e, err);
        if (ret != 0) {
            bson_free(path);
            return ret;
        }
        a->paths = bson_realloc(a->paths, (a->n + 1) * sizeof(*a->paths));
        a->exprs = bson_realloc(a->exprs, (a->n + 1) * sizeof(*a->exprs));
        a->paths[a->n] = path;
        a->exprs[a->n++] = e;
    }
    return 0;
}

int
wk_agg_parse_add_fields(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                        sdb_error_t *err)
{
    const char *name = bson_iter_key(spec);
    add_fields_t *a;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location40272,
                             "%s specification stage must be an object, got %s", name,
                             wk_agg_type_name(bson_iter_type(spec)));
    a = bson_malloc0(sizeof(*a));
    bson_iter_recurse(spec, &it);
    SDB_ERR(add_spec(a, "", &it, err));
    if (a->n == 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40177,
                              "Invalid %s :: caused by :: specification must have at least one "
                              "field",
                              name));
    *priv = a;
    return 0;
err:
    add_fields_free(a);
    return ret;
}

/* add_one -- the fields of one document. */
static int
add_one(const add_fields_t *a, const bson_t *doc, const wk_op_t *op, bson_t **res, sdb_error_t *err)
{
    bson_value_t *vals = bson_malloc0(a->n * sizeof(*vals));
    bson_t cur, next;
    int ret = 0;

    for (size_t i = 0; i < a->n; i++)
        SDB_ERR(wk_agg_eval_op(a->exprs[i], doc, op, &vals[i], err));
    bson_copy_to(doc, &cur);
    for (size_t i = 0; i < a->n; i++) {
        wk_agg_doc_set(&cur, a->paths[i], &vals[i], &next);
        bson_destroy(&cur);
        bson_copy_to(&next, &cur);
        bson_destroy(&next);
    }
    *res = bson_copy(&cur);
    bson_destroy(&cur);
err:
    for (size_t i = 0; i < a->n; i++)
        if (vals[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&vals[i]);
    bson_free(vals);
    return ret;
}

int
wk_agg_run_add_fields(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                      sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        SDB_RET(wk_op_check(ctx->op, err));
        bson_t *res = NULL;

        if (in->v[i] == NULL)
            continue;
        SDB_RET(add_one(priv, in->v[i], ctx->op, &res, err));
        wk_agg_docs_push(out, res);
    }
    return 0;
}

void
wk_agg_free_add_fields(void *priv)
{
    add_fields_free(priv);
}

/* ---- $replaceRoot / $replaceWith -------------------------------------------------------- */

int
wk_agg_parse_replace_root(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                          sdb_error_t *err)
{
    bson_iter_t it;
    bool found = false;
    wk_expr_t *e = NULL;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location40229,
                             "expected an object as specification for $replaceRoot stage, got %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "newRoot") != 0) {
            wk_expr_free(e);
            return sdb_error_set(err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field '$replaceRoot.%s' is an unknown field.",
                                 bson_iter_key(&it));
        }
        found = true;
        SDB_RET(wk_expr_parse(&it, &e, err));
    }
    if (!found)
        return sdb_error_set(err, SDB_CODE_Location40231,
                             "no newRoot specified for the $replaceRoot stage");
    *priv = e;
    return 0;
}

int
wk_agg_run_replace_root(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                        sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        SDB_RET(wk_op_check(ctx->op, err));
        bson_value_t v;
        bson_t view;

        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_agg_eval_op(priv, in->v[i], ctx->op, &v, err));
        if (v.value_type != BSON_TYPE_DOCUMENT || !wk_agg_value_doc(&v, &view)) {
            const char *t = wk_agg_type_name(v.value_type);
            char *json = bson_as_relaxed_extended_json(in->v[i], NULL);

            sdb_error_set(err, SDB_CODE_Location40228,
                          "'replacement document' must evaluate to an object, but resulting "
                          "value was: %s. Type of resulting value: '%s'. Input document: %s",
                          v.value_type == BSON_TYPE_EOD ? "MISSING" : t, t, json);
            bson_free(json);
            if (v.value_type != BSON_TYPE_EOD)
                bson_value_destroy(&v);
            return SDB_ECLIENT;
        }
        wk_agg_docs_push(out, bson_copy(&view));
        bson_value_destroy(&v);
    }
    return 0;
}

void
wk_agg_free_replace_root(void *priv)
{
    wk_expr_free(priv);
}

int
wk_agg_parse_replace_with(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                          sdb_error_t *err)
{
    wk_expr_t *e = NULL;

    SDB_UNUSED(ctx);
    SDB_RET(wk_expr_parse(spec, &e, err));
    *priv = e;
    return 0;
}

int
wk_agg_run_replace_with(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                        sdb_error_t *err)
{
    return wk_agg_run_replace_root(priv, ctx, in, out, err);
}

void
wk_agg_free_replace_with(void *priv)
{
    wk_expr_free(priv);
}
