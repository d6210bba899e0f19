/*
 * src/worker/agg/stage_group.c -- grouping stages: $group, $sortByCount, $bucket.
 *
 * All three compute a key per input document and hand the keys to one grouping engine
 * (wk_agg_group_docs): the documents are ordered by (key, input position) -- keys compare in
 * MongoDB order, so 1, 1.0 and NumberLong(1) are one group -- and each run of equal keys is
 * fed, in input order, to the accumulators.  Groups come out in key order.  A missing _id
 * becomes null.  $group takes its input in chunks (wk_agg_blocking_t) and spills past
 * internalDocumentSourceGroupMaxMemoryBytes: runs ordered by key, merged back and grouped as
 * they stream by (group_state_t), or 292 without allowDiskUse.  $sortByCount is $group {_id: expr, count: {$sum: 1}} then $sort {count: -1};
 * $bucket's key is the lower boundary of the bucket a value falls in, or the default.
 *
 * Invariants: private states are immutable after parsing; the engine consumes its keys.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/sort.h"
#include "spill.h"

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

/* acc_begin -- start the states of a group whose first document is `first`. */
static int
acc_begin(const wk_acc_spec_t *accs, size_t nacc, wk_acc_state_t *st, const bson_t *first,
          sdb_error_t *err)
{
    memset(st, 0, (nacc ? nacc : 1) * sizeof(*st));
    for (size_t a = 0; a < nacc; a++)
        SDB_RET(wk_acc_start(&accs[a], &st[a], first, err));
    return 0;
}

/* acc_feed -- step every accumulator with one document. */
static int
acc_feed(const wk_acc_spec_t *accs, size_t nacc, wk_acc_state_t *st, const bson_t *doc,
         sdb_error_t *err)
{
    int ret = 0;

    for (size_t a = 0; a < nacc && ret == 0; a++) {
        bson_value_t v;

        SDB_RET(wk_agg_eval(wk_acc_input(&accs[a]), doc, &v, err));
        ret = wk_acc_step(&accs[a], &st[a], &v, err);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    return ret;
}

/* acc_emit -- append the group's document {_id: key, <fields>} to out. */
static void
acc_emit(const wk_acc_spec_t *accs, size_t nacc, const wk_acc_state_t *st, const bson_value_t *key,
         wk_agg_docs_t *out)
{
    bson_t *doc = bson_new();

    bson_append_value(doc, "_id", 3, key);
    for (size_t a = 0; a < nacc; a++) {
        bson_value_t v;

        wk_acc_value(&accs[a], &st[a], &v);
        wk_agg_append_value(doc, accs[a].field, &v);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    wk_agg_docs_push(out, doc);
}

/* acc_end -- release the states. */
static void
acc_end(size_t nacc, wk_acc_state_t *st)
{
    for (size_t a = 0; a < nacc; a++)
        wk_acc_reset(&st[a]);
}

/* emit_group -- accumulate docs order[from, to) and append the group's document. */
static int
emit_group(const wk_acc_spec_t *accs, size_t nacc, const keyed_t *order, size_t from, size_t to,
           wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_acc_state_t *st = bson_malloc0((nacc ? nacc : 1) * sizeof(*st));
    int ret = 0;

    SDB_ERR(acc_begin(accs, nacc, st, in->v[order[from].idx], err));
    for (size_t i = from; i < to; i++)
        SDB_ERR(acc_feed(accs, nacc, st, in->v[order[i].idx], err));
    acc_emit(accs, nacc, st, order[from].key, out);
err:
    acc_end(nacc, st);
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

/* group_state_t -- a $group taking its input in chunks (wk_agg_blocking_t).  Documents and
 * their keys are held until the memory limit; past it they are ordered by key (stably) and
 * written as a run of {k: key, d: document} (spill.h).  At the end an unspilled group runs
 * wk_agg_group_docs over what it holds; a spilled one merges the runs by key (ties in input
 * order, as the in-memory sort) and accumulates each run of equal keys as it streams by, so
 * both give the same groups, fed in the same order. */
typedef struct group_state {
    const group_t *g;
    wk_agg_ctx_t *ctx;
    wk_agg_docs_t docs; /* held documents */
    bson_value_t *keys; /* their keys (missing -> null) */
    size_t cap, bytes;
    wk_spill_t *spill;
    bool ended;        /* input ended: pulling */
    wk_agg_docs_t res; /* unspilled: every group, handed out from pos */
    size_t pos;
    bson_t *pend;       /* spilled: the merged record that starts the next group */
    wk_acc_state_t *st; /* spilled: states of the group being accumulated */
} group_state_t;

static int
group_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    group_state_t *gs = bson_malloc0(sizeof(*gs));
    const group_t *g = priv;

    SDB_UNUSED(topk);
    gs->g = g;
    gs->ctx = ctx;
    gs->st = bson_malloc0((g->nacc ? g->nacc : 1) * sizeof(*gs->st));
    *state = gs;
    return 0;
}

/* free_keys -- destroy the held keys. */
static void
free_keys(group_state_t *gs)
{
    for (size_t i = 0; i < gs->docs.n; i++)
        if (gs->keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&gs->keys[i]);
}

/* group_spill -- order the held documents by key and write them as one run. */
static int
group_spill(group_state_t *gs, sdb_error_t *err)
{
    size_t n = gs->docs.n;
    keyed_t *order = bson_malloc0((n ? n : 1) * sizeof(*order));
    bson_t **recs = bson_malloc0((n ? n : 1) * sizeof(*recs));
    int ret = 0;

    for (size_t i = 0; i < gs->docs.n; i++) {
        order[i].key = &gs->keys[i];
        order[i].idx = i;
    }
    SDB_ERR(wk_sort_array_op(order, gs->docs.n, sizeof(*order), keyed_cmp, NULL, gs->ctx->op, err));
    for (size_t i = 0; i < gs->docs.n; i++) {
        recs[i] = bson_new();
        bson_append_value(recs[i], "k", 1, order[i].key);
        bson_append_document(recs[i], "d", 1, gs->docs.v[order[i].idx]);
    }
    if (gs->spill == NULL)
        gs->spill = wk_spill_new(gs->ctx->op);
    SDB_ERR(wk_spill_run(gs->spill, recs, n, err));
    free_keys(gs);
    wk_agg_docs_free(&gs->docs);
    gs->bytes = 0;
err:
    for (size_t i = 0; i < n; i++)
        if (recs[i] != NULL)
            bson_destroy(recs[i]);
    bson_free(recs);
    bson_free(order);
    return ret;
}

/* group_push -- take a chunk: evaluate each document's key and hold both. */
static int
group_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    group_state_t *gs = state;
    bool over;

    for (size_t i = 0; i < in->n; i++) {
        bson_value_t key;

        SDB_RET(wk_op_check(gs->ctx->op, err));
        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_agg_eval(gs->g->id, in->v[i], &key, err));
        if (key.value_type == BSON_TYPE_EOD)
            key.value_type = BSON_TYPE_NULL;
        if (gs->docs.n == gs->cap) {
            gs->cap = gs->cap ? gs->cap * 2 : 64;
            gs->keys = bson_realloc(gs->keys, gs->cap * sizeof(*gs->keys));
        }
        gs->keys[gs->docs.n] = key;
        gs->bytes += in->v[i]->len;
        wk_agg_docs_push(&gs->docs, in->v[i]);
        in->v[i] = NULL;
    }
    SDB_RET(wk_spill_over(gs->ctx, gs->bytes, "$group", &over, err));
    if (over)
        SDB_RET(group_spill(gs, err));
    return 0;
}

static int
rec_cmp(const bson_t *a, const bson_t *b, void *arg)
{
    bson_iter_t x, y;

    SDB_UNUSED(arg);
    bson_iter_init_find(&x, a, "k");
    bson_iter_init_find(&y, b, "k");
    return sdb_bson_value_cmp(bson_iter_value(&x), bson_iter_value(&y));
}

/* rec_parts -- the key and document of a merged record (views into it). */
static void
rec_parts(const bson_t *rec, bson_value_t *key, bson_t *doc)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    bson_iter_init_find(&it, rec, "k");
    *key = *bson_iter_value(&it);
    bson_iter_init_find(&it, rec, "d");
    bson_iter_document(&it, &len, &data);
    bson_init_static(doc, data, len);
}

/* next_group -- accumulate the next group of the merge into out; false at the end. */
static int
next_group(group_state_t *gs, wk_agg_docs_t *out, bool *got, sdb_error_t *err)
{
    const group_t *g = gs->g;
    bson_value_t key, k2;
    bson_t doc, *rec = NULL;
    int ret = 0;

    *got = false;
    if (gs->pend == NULL)
        SDB_RET(wk_spill_merge_next(gs->spill, rec_cmp, NULL, &gs->pend, err));
    if (gs->pend == NULL)
        return 0;
    rec_parts(gs->pend, &key, &doc);
    SDB_ERR(acc_begin(g->accs, g->nacc, gs->st, &doc, err));
    SDB_ERR(acc_feed(g->accs, g->nacc, gs->st, &doc, err));
    for (;;) {
        SDB_ERR(wk_op_check(gs->ctx->op, err));
        SDB_ERR(wk_spill_merge_next(gs->spill, rec_cmp, NULL, &rec, err));
        if (rec == NULL)
            break;
        rec_parts(rec, &k2, &doc);
        if (sdb_bson_value_cmp(&key, &k2) != 0)
            break;
        SDB_ERR(acc_feed(g->accs, g->nacc, gs->st, &doc, err));
        bson_destroy(rec);
        rec = NULL;
    }
    acc_emit(g->accs, g->nacc, gs->st, &key, out);
    *got = true;
err:
    acc_end(g->nacc, gs->st);
    bson_destroy(gs->pend);
    gs->pend = rec;
    return ret;
}

static int
group_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    group_state_t *gs = state;
    size_t n = 0;
    bool got = true;

    if (!gs->ended) {
        gs->ended = true;
        if (gs->spill != NULL && gs->docs.n > 0)
            SDB_RET(group_spill(gs, err));
        if (gs->spill == NULL) {
            int ret;

            wk_agg_docs_init(&gs->res);
            ret = wk_agg_group_docs(gs->ctx, gs->g->accs, gs->g->nacc, gs->keys, &gs->docs,
                                    &gs->res, err);
            wk_agg_docs_free(&gs->docs); /* the keys went with wk_agg_group_docs */
            SDB_RET(ret);
        }
    }
    while ((max == 0 || n < max) && got) {
        if (gs->spill != NULL) {
            SDB_RET(next_group(gs, out, &got, err));
        } else if ((got = gs->pos < gs->res.n)) {
            wk_agg_docs_push(out, gs->res.v[gs->pos]);
            gs->res.v[gs->pos++] = NULL;
        }
        n += got;
    }
    *done = !got;
    return 0;
}

static void
group_close(void *state)
{
    group_state_t *gs = state;

    free_keys(gs);
    wk_agg_docs_free(&gs->docs);
    bson_free(gs->keys);
    wk_agg_docs_free(&gs->res);
    if (gs->pend != NULL)
        bson_destroy(gs->pend);
    wk_spill_free(gs->spill);
    bson_free(gs->st);
    bson_free(gs);
}

const wk_agg_blocking_t wk_agg_group_blocking = {group_open, group_push, group_pull, group_close};

/* run_keyed -- group `in` by g's key expression. */
static int
run_keyed(const group_t *g, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
          sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_group_blocking, g, ctx, in, out, err);
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
