/*
 * src/worker/agg/stage_bucket_auto.c -- $bucketAuto: group documents into `buckets` ranges of
 * about equal size.
 *
 * {groupBy: "$path" | {expr}, buckets: n, output?: {field: {$acc: expr}}, granularity?}.
 * The documents are sorted by their groupBy value (missing counts as null; equal values keep
 * their input order) and dealt out as mongod deals them: each bucket takes round(N / buckets)
 * documents (at least one; the last bucket takes the rest), then every following document with
 * the same value (so equal values never straddle two buckets), and its max boundary is the
 * next bucket's first value (the last bucket's max is its own largest value).  With a
 * granularity (granularity.c) the values must be non-negative numbers; a bucket's max is its
 * largest value rounded up, which may swallow following documents below it, and each min is
 * the previous bucket's max (the first: its smallest value rounded down; a max of 0 becomes
 * the next value rounded down).  There may be fewer buckets than asked.  Output documents are
 * {_id: {min, max}, <output fields>} (default {count: {$sum: 1}}); a missing accumulator result
 * is null.  The input is held in memory (100 MiB without allowDiskUse, 292).
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/num.h"
#include "../query/sort.h"

#include <math.h>
#include <string.h>

typedef struct bucket_auto {
    wk_expr_t *by;
    int32_t buckets; /* 0: not given */
    const wk_gran_t *gran;
    wk_acc_spec_t *accs;
    size_t nacc;
} bucket_auto_t;

static void
bucket_auto_free(bucket_auto_t *b)
{
    if (b == NULL)
        return;
    wk_expr_free(b->by);
    for (size_t i = 0; i < b->nacc; i++)
        wk_acc_spec_destroy(&b->accs[i]);
    bson_free(b->accs);
    bson_free(b);
}

/* parse_group_by -- a $-prefixed path or an operator object. */
static int
parse_group_by(bucket_auto_t *b, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t probe;
    uint32_t len = 0;

    if ((BSON_ITER_HOLDS_UTF8(it) && bson_iter_utf8(it, &len)[0] == '$' && len > 1) ||
        (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &probe) && bson_iter_next(&probe) &&
         bson_iter_key(&probe)[0] == '$')) {
        wk_expr_free(b->by);
        b->by = NULL;
        return wk_expr_parse(it, &b->by, err);
    }
    {
        char text[256];

        wk_agg_value_text(bson_iter_value((bson_iter_t *)it), text, sizeof(text));
        return sdb_error_set(err, SDB_CODE_Location40239,
                             "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path "
                             "or an expression object, but found: %s",
                             text);
    }
}

/* parse_buckets -- a number representable as a positive 32-bit integer. */
static int
parse_buckets(bucket_auto_t *b, const bson_iter_t *it, sdb_error_t *err)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)it);
    double d;

    if (!wk_num_is(v))
        return sdb_error_set(err, SDB_CODE_Location40241,
                             "The $bucketAuto 'buckets' field must be a numeric value, but found "
                             "type: %s",
                             wk_agg_type_name(v->value_type));
    d = v->value_type == BSON_TYPE_DECIMAL128 ? bson_iter_as_double(it) : wk_num_double(v);
    if (!(d >= INT32_MIN && d <= INT32_MAX && d == floor(d))) {
        char buf[64];

        snprintf(buf, sizeof(buf), "%.17g", d);
        return sdb_error_set(err, SDB_CODE_Location40242,
                             "The $bucketAuto 'buckets' field must be representable as a 32-bit "
                             "integer, but found %s",
                             buf);
    }
    b->buckets = (int32_t)d;
    if (b->buckets <= 0)
        return sdb_error_set(
            err, SDB_CODE_Location40243,
            "The $bucketAuto 'buckets' field must be greater than 0, but found: %d", b->buckets);
    return 0;
}

/* parse_output -- {field: {$acc: expr}, ...}. */
static int
parse_output(bucket_auto_t *b, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t out;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_Location40244,
                             "The $bucketAuto 'output' field must be an object, but found type: %s",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_recurse(it, &out);
    while (bson_iter_next(&out)) {
        b->accs = bson_realloc(b->accs, (b->nacc + 1) * sizeof(*b->accs));
        memset(&b->accs[b->nacc], 0, sizeof(b->accs[b->nacc]));
        SDB_RET(wk_acc_parse("$bucketAuto", &out, &b->accs[b->nacc], err));
        b->nacc++;
    }
    return 0;
}

static int
parse_option(bucket_auto_t *b, const bson_iter_t *it, bool *has_buckets, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "groupBy") == 0)
        return parse_group_by(b, it, err);
    if (strcmp(k, "buckets") == 0) {
        *has_buckets = true;
        return parse_buckets(b, it, err);
    }
    if (strcmp(k, "output") == 0)
        return parse_output(b, it, err);
    if (strcmp(k, "granularity") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it))
            return sdb_error_set(err, SDB_CODE_Location40261,
                                 "The $bucketAuto 'granularity' field must be a string, but found "
                                 "type: %s",
                                 wk_agg_type_name(bson_iter_type(it)));
        b->gran = wk_gran_find(bson_iter_utf8(it, NULL));
        if (b->gran == NULL)
            return sdb_error_set(err, SDB_CODE_Location40257, "Unknown rounding granularity '%s'",
                                 bson_iter_utf8(it, NULL));
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_Location40245, "Unrecognized option to $bucketAuto: %s.", k);
}

int
wk_agg_parse_bucket_auto(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                         sdb_error_t *err)
{
    bucket_auto_t *b;
    bool has_buckets = false;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location40240,
                             "The argument to $bucketAuto must be an object, but found type: %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    b = bson_malloc0(sizeof(*b));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it))
        SDB_ERR(parse_option(b, &it, &has_buckets, err));
    if (b->by == NULL || !has_buckets)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40246,
                              "$bucketAuto requires 'groupBy' and 'buckets' to be specified"));
    if (b->nacc == 0)
        SDB_ERR(wk_acc_parse_count("$bucketAuto", &b->accs, &b->nacc, err));
    *priv = b;
    return 0;
err:
    bucket_auto_free(b);
    return ret;
}

/* ---- running --------------------------------------------------------------------------- */

typedef struct keyed {
    bson_value_t key; /* owned */
    size_t idx;
} keyed_t;

/* keyed_cmp -- by value; the sort is stable, so equal values keep their input order. */
static int
keyed_cmp(const void *a, const void *b, void *arg)
{
    SDB_UNUSED(arg);
    return sdb_bson_value_cmp(&((const keyed_t *)a)->key, &((const keyed_t *)b)->key);
}

/* The bucket being filled. */
typedef struct fill {
    const bucket_auto_t *b;
    wk_agg_docs_t *in;
    const keyed_t *order;
    size_t n, pos; /* next sorted document to take */
    wk_acc_state_t *st;
    bson_value_t min, max; /* views of keys or rounded numbers (never owned) */
} fill_t;

/* take -- add sorted document `pos` to the bucket. */
static int
take(fill_t *f, sdb_error_t *err)
{
    const keyed_t *k = &f->order[f->pos++];

    f->max = k->key;
    for (size_t a = 0; a < f->b->nacc; a++) {
        bson_value_t v;

        int ret;

        SDB_RET(wk_agg_eval(wk_acc_input(&f->b->accs[a]), f->in->v[k->idx], &v, err));
        ret = wk_acc_step(&f->b->accs[a], &f->st[a], &v, err);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
        SDB_RET(ret);
    }
    return 0;
}

/* close_bucket -- absorb the values the boundary covers and settle the max boundary. */
static int
close_bucket(fill_t *f, sdb_error_t *err)
{
    if (f->b->gran != NULL) {
        bson_value_t bound;

        SDB_RET(wk_gran_round(f->b->gran, &f->max, true, &bound, err));
        while (f->pos < f->n && (sdb_bson_value_cmp(&bound, &f->order[f->pos].key) > 0 ||
                                 sdb_bson_value_cmp(&f->max, &f->order[f->pos].key) == 0))
            SDB_RET(take(f, err));
        if (wk_num_double(&bound) == 0.0 && f->pos < f->n)
            return wk_gran_round(f->b->gran, &f->order[f->pos].key, false, &f->max, err);
        f->max = bound;
        return 0;
    }
    while (f->pos < f->n && sdb_bson_value_cmp(&f->max, &f->order[f->pos].key) == 0)
        SDB_RET(take(f, err));
    if (f->pos < f->n)
        f->max = f->order[f->pos].key;
    return 0;
}

/* emit -- {_id: {min, max}, <output fields>}. */
static void
emit(fill_t *f, wk_agg_docs_t *out)
{
    bson_t *doc = bson_new(), id;

    BSON_APPEND_DOCUMENT_BEGIN(doc, "_id", &id);
    bson_append_value(&id, "min", 3, &f->min);
    bson_append_value(&id, "max", 3, &f->max);
    bson_append_document_end(doc, &id);
    for (size_t a = 0; a < f->b->nacc; a++) {
        bson_value_t v;

        wk_acc_value(&f->b->accs[a], &f->st[a], &v);
        if (v.value_type == BSON_TYPE_EOD)
            BSON_APPEND_NULL(doc, f->b->accs[a].field);
        else
            bson_append_value(doc, f->b->accs[a].field, -1, &v);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    wk_agg_docs_push(out, doc);
}

/* one_bucket -- fill and emit bucket number `num` (1-based); *prev holds the previous max. */
static int
one_bucket(fill_t *f, int32_t num, bson_value_t *prev, bool *has_prev, wk_agg_docs_t *out,
           sdb_error_t *err)
{
    int64_t approx = llround((double)f->n / (double)f->b->buckets);
    bool last = num == f->b->buckets;
    bson_t empty = BSON_INITIALIZER;
    int ret = 0;

    if (approx < 1)
        approx = 1;
    f->st = bson_malloc0((f->b->nacc ? f->b->nacc : 1) * sizeof(*f->st));
    for (size_t a = 0; a < f->b->nacc; a++) /* no group key: `n` is read from {} */
        SDB_ERR(wk_acc_start(&f->b->accs[a], &f->st[a], &empty, err));
    f->min = f->order[f->pos].key;
    if (f->b->gran != NULL) {
        if (*has_prev)
            f->min = *prev;
        else
            SDB_ERR(wk_gran_round(f->b->gran, &f->order[f->pos].key, false, &f->min, err));
    }
    SDB_ERR(take(f, err));
    for (int64_t i = 1; f->pos < f->n && (i < approx || last); i++)
        SDB_ERR(take(f, err));
    SDB_ERR(close_bucket(f, err));
    *prev = f->max;
    *has_prev = true;
    emit(f, out);
err:
    for (size_t a = 0; a < f->b->nacc; a++)
        wk_acc_reset(&f->st[a]);
    bson_free(f->st);
    f->st = NULL;
    return ret;
}

/* keys -- the sort keys (groupBy values, missing as null), checked against the granularity. */
static int
keys(const bucket_auto_t *b, const wk_agg_ctx_t *ctx, wk_agg_docs_t *in, keyed_t *order, size_t *n,
     sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        bson_value_t *v;

        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_op_check(ctx->op, err));
        v = &order[*n].key;
        SDB_RET(wk_agg_eval(b->by, in->v[i], v, err));
        order[*n].idx = i;
        (*n)++;
        if (v->value_type == BSON_TYPE_EOD)
            v->value_type = BSON_TYPE_NULL;
        if (b->gran != NULL && !wk_num_is(v))
            return sdb_error_set(err, SDB_CODE_Location40258,
                                 "$bucketAuto can specify a 'granularity' with numeric boundaries "
                                 "only, but found a value with type: %s",
                                 wk_agg_type_name(v->value_type));
        if (b->gran != NULL) {
            double d = v->value_type == BSON_TYPE_DECIMAL128
                           ? wk_dec_to_double(v->value.v_decimal128)
                           : wk_num_double(v);

            if (isnan(d))
                return sdb_error_set(err, SDB_CODE_Location40259,
                                     "$bucketAuto can specify a 'granularity' with numeric "
                                     "boundaries only, but found a NaN");
            if (d < 0.0)
                return sdb_error_set(err, SDB_CODE_Location40260,
                                     "$bucketAuto can specify a 'granularity' with non-negative "
                                     "numbers only, but found a negative number");
        }
    }
    return 0;
}

int
wk_agg_run_bucket_auto(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                       sdb_error_t *err)
{
    const bucket_auto_t *b = priv;
    keyed_t *order = bson_malloc0((in->n ? in->n : 1) * sizeof(*order));
    bson_value_t prev;
    bool has_prev = false;
    fill_t f;
    size_t n = 0;
    int ret = 0;

    SDB_ERR(wk_agg_check_mem(ctx, wk_agg_docs_bytes(in), "$bucketAuto", err));
    SDB_ERR(keys(b, ctx, in, order, &n, err));
    SDB_ERR(wk_sort_array_op(order, n, sizeof(*order), keyed_cmp, NULL, ctx->op, err));
    memset(&f, 0, sizeof(f));
    f.b = b;
    f.in = in;
    f.order = order;
    f.n = n;
    for (int32_t num = 1; num <= b->buckets && f.pos < f.n; num++) {
        SDB_ERR(wk_op_check(ctx->op, err));
        SDB_ERR(one_bucket(&f, num, &prev, &has_prev, out, err));
    }
err:
    for (size_t i = 0; i < n; i++)
        if (order[i].key.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&order[i].key);
    bson_free(order);
    return ret;
}

void
wk_agg_free_bucket_auto(void *priv)
{
    bucket_auto_t *b = priv;

    bucket_auto_free(b);
}
