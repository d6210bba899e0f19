/*
 * src/worker/agg/stage_bucket.c -- $bucket: group documents into ranges of a value.
 *
 * {groupBy: expr, boundaries: [b0, b1, ...], default?: v, output?: {field: {$acc: expr}}}.
 * A document whose groupBy value v satisfies b[i] <= v < b[i+1] goes to the bucket with _id
 * b[i]; any other goes to the default bucket (40066 when there is none).  Output defaults to
 * {count: {$sum: 1}}.  Buckets come out in _id order (the grouping engine's key order).
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"

#include <string.h>

typedef struct bucket {
    wk_expr_t *by;
    bson_value_t *bounds;
    size_t nb;
    bool has_default;
    bson_value_t def;
    wk_acc_spec_t *accs;
    size_t nacc;
} bucket_t;

static void
bucket_free(bucket_t *b)
{
    if (b == NULL)
        return;
    wk_expr_free(b->by);
    for (size_t i = 0; i < b->nb; i++)
        bson_value_destroy(&b->bounds[i]);
    bson_free(b->bounds);
    if (b->has_default)
        bson_value_destroy(&b->def);
    for (size_t i = 0; i < b->nacc; i++)
        wk_acc_spec_destroy(&b->accs[i]);
    bson_free(b->accs);
    bson_free(b);
}

/* same_bracket -- numbers share a type for boundaries; otherwise the BSON type. */
static bool
same_bracket(const bson_value_t *a, const bson_value_t *b)
{
    return sdb_bson_type_order(a->value_type) == sdb_bson_type_order(b->value_type);
}

static int
parse_bounds(bucket_t *b, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t el;

    if (!BSON_ITER_HOLDS_ARRAY(it))
        return sdb_error_set(err, SDB_CODE_Location40200,
                             "The $bucket 'boundaries' field must be an array, but found type: %s",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_recurse(it, &el);
    while (bson_iter_next(&el)) {
        b->bounds = bson_realloc(b->bounds, (b->nb + 1) * sizeof(*b->bounds));
        bson_value_copy(bson_iter_value(&el), &b->bounds[b->nb++]);
    }
    if (b->nb < 2)
        return sdb_error_set(err, SDB_CODE_Location40192,
                             "The $bucket 'boundaries' field must have at least 2 values, but "
                             "found %zu value(s).",
                             b->nb);
    for (size_t i = 1; i < b->nb; i++) {
        if (!same_bracket(&b->bounds[i - 1], &b->bounds[i]))
            return sdb_error_set(err, SDB_CODE_Location40193,
                                 "All values in the the 'boundaries' option to $bucket must have "
                                 "the same type. Found conflicting types %s and %s.",
                                 wk_agg_type_name(b->bounds[i - 1].value_type),
                                 wk_agg_type_name(b->bounds[i].value_type));
        if (sdb_bson_value_cmp(&b->bounds[i - 1], &b->bounds[i]) >= 0)
            return sdb_error_set(err, SDB_CODE_Location40194,
                                 "The 'boundaries' option to $bucket must be sorted in ascending "
                                 "order, but elements %zu and %zu are not in ascending order.",
                                 i - 1, i);
    }
    return 0;
}

/* parse_field -- one option of the $bucket spec. */
static int
parse_field(bucket_t *b, bson_iter_t *it, bool *has_output, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);
    bson_iter_t out;

    if (strcmp(k, "groupBy") == 0) {
        if (!(BSON_ITER_HOLDS_UTF8(it) && bson_iter_utf8(it, NULL)[0] == '$') &&
            !BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_Location40202,
                                 "The $bucket 'groupBy' field must be defined as a $-prefixed "
                                 "path or an expression, but found: %s",
                                 wk_agg_type_name(bson_iter_type(it)));
        return wk_expr_parse(it, &b->by, err);
    }
    if (strcmp(k, "boundaries") == 0)
        return parse_bounds(b, it, err);
    if (strcmp(k, "default") == 0) {
        b->has_default = true;
        bson_value_copy(bson_iter_value(it), &b->def);
        return 0;
    }
    if (strcmp(k, "output") != 0)
        return sdb_error_set(err, SDB_CODE_Location40197, "Unrecognized option to $bucket: %s.", k);
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_Location40196,
                             "The $bucket 'output' field must be an object, but found type: %s",
                             wk_agg_type_name(bson_iter_type(it)));
    *has_output = true;
    bson_iter_recurse(it, &out);
    while (bson_iter_next(&out)) {
        b->accs = bson_realloc(b->accs, (b->nacc + 1) * sizeof(*b->accs));
        SDB_RET(wk_acc_parse("$bucket", &out, &b->accs[b->nacc], err));
        b->nacc++;
    }
    return 0;
}

int
wk_agg_parse_bucket(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    bool has_output = false;
    bson_iter_t it;
    bucket_t *b;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location40201,
                             "Argument to $bucket stage must be an object, but found type: %s.",
                             wk_agg_type_name(bson_iter_type(spec)));
    b = bson_malloc0(sizeof(*b));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it))
        SDB_ERR(parse_field(b, &it, &has_output, err));
    if (b->by == NULL || b->nb == 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40198,
                              "$bucket requires 'groupBy' and 'boundaries' to be specified."));
    if (b->has_default && same_bracket(&b->def, &b->bounds[0]) &&
        sdb_bson_value_cmp(&b->def, &b->bounds[0]) >= 0 &&
        sdb_bson_value_cmp(&b->def, &b->bounds[b->nb - 1]) < 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40199,
                              "The $bucket 'default' field must be less than the lowest boundary "
                              "or greater than or equal to the highest boundary."));
    if (!has_output)
        SDB_ERR(wk_acc_parse_count("$bucket", &b->accs, &b->nacc, err));
    *priv = b;
    return 0;
err:
    bucket_free(b);
    return ret;
}

/* bucket_key -- the _id of the bucket holding v. */
static int
bucket_key(const bucket_t *b, const bson_value_t *v, bson_value_t *key, sdb_error_t *err)
{
    if (v->value_type != BSON_TYPE_EOD && same_bracket(v, &b->bounds[0]) &&
        sdb_bson_value_cmp(v, &b->bounds[0]) >= 0 &&
        sdb_bson_value_cmp(v, &b->bounds[b->nb - 1]) < 0) {
        for (size_t i = 1; i < b->nb; i++) {
            if (sdb_bson_value_cmp(v, &b->bounds[i]) < 0) {
                bson_value_copy(&b->bounds[i - 1], key);
                return 0;
            }
        }
    }
    if (!b->has_default)
        return sdb_error_set(err, SDB_CODE_Location40066,
                             "$switch could not find a matching branch for an input, and no "
                             "default was specified.");
    bson_value_copy(&b->def, key);
    return 0;
}

int
wk_agg_run_bucket(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                  sdb_error_t *err)
{
    const bucket_t *b = priv;
    bson_value_t *keys;
    int ret = 0;

    SDB_RET(wk_agg_check_mem(ctx, wk_agg_docs_bytes(in), "$bucket", err));
    keys = bson_malloc0((in->n ? in->n : 1) * sizeof(*keys));
    for (size_t i = 0; i < in->n; i++) {
        bson_value_t v;

        SDB_ERR(wk_op_check(ctx->op, err));
        if (in->v[i] == NULL)
            continue;
        SDB_ERR(wk_agg_eval_op(b->by, in->v[i], ctx->op, &v, err));
        ret = bucket_key(b, &v, &keys[i], err);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
        if (ret != 0)
            goto err;
    }
    ret = wk_agg_group_docs(ctx, b->accs, b->nacc, keys, in, out, err);
    bson_free(keys);
    return ret;
err:
    for (size_t i = 0; i < in->n; i++)
        if (keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&keys[i]);
    bson_free(keys);
    return ret;
}

void
wk_agg_free_bucket(void *priv)
{
    bucket_free(priv);
}
