/*
 * src/worker/agg/stage_group.c -- grouping stages: $group, $sortByCount, $bucket.
 *
 * All three compute a key per input document and hand the keys to one grouping engine
 * (wk_agg_group_docs): the documents are ordered by (key, input position) -- keys compare in
 * MongoDB order, so 1, 1.0 and NumberLong(1) are one group -- and each run of equal keys is
 * fed, in input order, to the accumulators.  Groups come out in key order.  A missing _id
 * becomes null.  $sortByCount is $group {_id: expr, count: {$sum: 1}} then $sort {count: -1};
 * $bucket's key is the lower boundary of the bucket a value falls in, or the default.
 *
 * Invariants: private states are immutable after parsing; the engine consumes its keys.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/sort.h"

#include <stdlib.h>
#include <string.h>

typedef struct group {
    wk_expr_t *id;
    wk_acc_spec_t *accs;
    size_t nacc;
    wk_sort_t *sort; /* $sortByCount: {count: -1} */
} group_t;

typedef struct keyed {
    const bson_value_t *key;
    size_t idx;
} keyed_t;

/* keyed_cmp -- by key only: the sort is stable, so equal keys keep their input order. */
static int
keyed_cmp(const void *a, const void *b, void *arg)
{
    const keyed_t *x = a, *y = b;

    SDB_UNUSED(arg);
    return sdb_bson_value_cmp(x->key, y->key);
}

/* emit_group -- accumulate docs order[from, to) and append the group's document. */
static int
emit_group(const wk_acc_spec_t *accs, size_t nacc, const keyed_t *order, size_t from, size_t to,
           wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_acc_state_t *st = bson_malloc0((nacc ? nacc : 1) * sizeof(*st));
    bson_t *doc = bson_new();
    int ret = 0;

    for (size_t a = 0; a < nacc; a++)
        SDB_ERR(wk_acc_start(&accs[a], &st[a], in->v[order[from].idx], err));
    for (size_t i = from; i < to; i++) {
        for (size_t a = 0; a < nacc; a++) {
            bson_value_t v;

            SDB_ERR(wk_agg_eval(wk_acc_input(&accs[a]), in->v[order[i].idx], &v, err));
            ret = wk_acc_step(&accs[a], &st[a], &v, err);
            if (v.value_type != BSON_TYPE_EOD)
                bson_value_destroy(&v);
            SDB_ERR(ret);
        }
    }
    bson_append_value(doc, "_id", 3, order[from].key);
    for (size_t a = 0; a < nacc; a++) {
        bson_value_t v;

        SDB_ERR(wk_acc_finish(&accs[a], &st[a], &v, err));
        wk_agg_append_value(doc, accs[a].field, &v);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    wk_agg_docs_push(out, doc);
    doc = NULL;
err:
    for (size_t a = 0; a < nacc; a++)
        wk_acc_reset(&st[a]);
    if (doc != NULL)
        bson_destroy(doc);
    bson_free(st);
    return ret;
}

int
wk_agg_group_docs(const wk_agg_ctx_t *ctx, const wk_acc_spec_t *accs, size_t nacc,
                  bson_value_t *keys, wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    keyed_t *order = bson_malloc0((in->n ? in->n : 1) * sizeof(*order));
    size_t n = 0, from = 0;
    int ret = 0;

    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] == NULL)
            continue;
        if (keys[i].value_type == BSON_TYPE_EOD)
            keys[i].value_type = BSON_TYPE_NULL;
        order[n].key = &keys[i];
        order[n++].idx = i;
    }
    SDB_ERR(wk_sort_array_op(order, n, sizeof(*order), keyed_cmp, NULL, ctx->op, err));
    for (size_t i = 1; i <= n; i++) {
        if (i < n && sdb_bson_value_cmp(order[i].key, order[from].key) == 0)
            continue;
        SDB_ERR(wk_op_check(ctx->op, err));
        SDB_ERR(emit_group(accs, nacc, order, from, i, in, out, err));
        from = i;
    }
err:
    for (size_t i = 0; i < in->n; i++)
        if (keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&keys[i]);
    bson_free(order);
    return ret;
}

/* run_keyed -- evaluate key expression `id` per document and group. */
static int
run_keyed(const group_t *g, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
          sdb_error_t *err)
{
    bson_value_t *keys;
    int ret = 0;

    SDB_RET(wk_agg_check_mem(ctx, wk_agg_docs_bytes(in), "$group", err));
    keys = bson_malloc0((in->n ? in->n : 1) * sizeof(*keys));
    for (size_t i = 0; i < in->n; i++) {
        if ((ret = wk_op_check(ctx->op, err)) != 0)
            break;
        if (in->v[i] == NULL)
            continue;
        ret = wk_agg_eval(g->id, in->v[i], &keys[i], err);
        if (ret != 0)
            break;
    }
    if (ret == 0) {
        ret = wk_agg_group_docs(ctx, g->accs, g->nacc, keys, in, out, err);
        bson_free(keys);
        return ret;
    }
    for (size_t i = 0; i < in->n; i++)
        if (keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&keys[i]);
    bson_free(keys);
    return ret;
}

static void
group_free(group_t *g)
{
    if (g == NULL)
        return;
    wk_expr_free(g->id);
    for (size_t i = 0; i < g->nacc; i++)
        wk_acc_spec_destroy(&g->accs[i]);
    bson_free(g->accs);
    wk_sort_free(g->sort);
    bson_free(g);
}

/* add_acc -- parse one output field of $group or $bucket. */
static int
add_acc(group_t *g, const char *stage, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strchr(k, '.') != NULL)
        return sdb_error_set(err, SDB_CODE_Location40235, "The field name '%s' cannot contain '.'",
                             k);
    if (k[0] == '$')
        return sdb_error_set(err, SDB_CODE_Location40236,
                             "The field name '%s' cannot be an operator name", k);
    g->accs = bson_realloc(g->accs, (g->nacc + 1) * sizeof(*g->accs));
    SDB_RET(wk_acc_parse(stage, it, &g->accs[g->nacc], err));
    g->nacc++;
    return 0;
}

/* ---- $group ---------------------------------------------------------------------------- */

int
wk_agg_parse_group(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    group_t *g;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location15947,
                             "a group's fields must be specified in an object");
    g = bson_malloc0(sizeof(*g));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "_id") == 0) {
            if (g->id != NULL)
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location15948,
                                      "a group's _id may only be specified once"));
            SDB_ERR(wk_expr_parse(&it, &g->id, err));
        } else {
            SDB_ERR(add_acc(g, "$group", &it, err));
        }
    }
    if (g->id == NULL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location15955,
                              "a group specification must include an _id"));
    *priv = g;
    return 0;
err:
    group_free(g);
    return ret;
}

int
wk_agg_run_group(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    return run_keyed(priv, ctx, in, out, err);
}

void
wk_agg_free_group(void *priv)
{
    group_free(priv);
}

/* ---- $sortByCount ---------------------------------------------------------------------- */

int
wk_agg_parse_sort_by_count(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                           sdb_error_t *err)
{
    bson_t acc = BSON_INITIALIZER, sort = BSON_INITIALIZER, one;
    bson_iter_t it, probe;
    group_t *g;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!(BSON_ITER_HOLDS_UTF8(spec) && bson_iter_utf8(spec, NULL)[0] == '$') &&
        !(BSON_ITER_HOLDS_DOCUMENT(spec) && bson_iter_recurse(spec, &probe) &&
          bson_iter_next(&probe) && bson_iter_key(&probe)[0] == '$'))
        return sdb_error_set(err, SDB_CODE_Location40147,
                             "the sortByCount field must be defined as a $-prefixed path or an "
                             "expression");
    g = bson_malloc0(sizeof(*g));
    SDB_ERR(wk_expr_parse(spec, &g->id, err));
    BSON_APPEND_DOCUMENT_BEGIN(&acc, "count", &one);
    BSON_APPEND_INT32(&one, "$sum", 1);
    bson_append_document_end(&acc, &one);
    bson_iter_init(&it, &acc);
    bson_iter_next(&it);
    SDB_ERR(add_acc(g, "$sortByCount", &it, err));
    BSON_APPEND_INT32(&sort, "count", -1);
    SDB_ERR(wk_sort_new(&sort, &g->sort, err));
    *priv = g;
    g = NULL;
err:
    group_free(g);
    bson_destroy(&acc);
    bson_destroy(&sort);
    return ret;
}

int
wk_agg_run_sort_by_count(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                         sdb_error_t *err)
{
    const group_t *g = priv;

    SDB_RET(run_keyed(g, ctx, in, out, err));
    return wk_sort_docs_op(g->sort, out->v, out->n, ctx->op, err);
}

void
wk_agg_free_sort_by_count(void *priv)
{
    group_free(priv);
}
