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
 * is null.  The sort spills past internalDocumentSourceGroupMaxMemoryBytes (keysort.h; 292
 * in mongod's sorter words without allowDiskUse).
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"
#include "keysort.h"

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

/* ---- running ---------------------------------------------------------------------------
 * A sink (agg_int.h wk_agg_blocking_t): push sorts each document by its groupBy value
 * (keysort.h: held, or spilled past internalDocumentSourceGroupMaxMemoryBytes); pull reads
 * them back in order, one record ahead, and deals out the buckets. */

typedef struct ba_state {
    const bucket_auto_t *b;
    wk_agg_ctx_t *ctx;
    wk_keysort_t *ks;
    bool started;
    bson_t *cur;                 /* the next sorted record to take ({k, d}); NULL at the end */
    size_t n;                    /* documents in all */
    int32_t num;                 /* buckets emitted */
    wk_acc_state_t *st;          /* the bucket being filled */
    bson_value_t min, max, prev; /* owned copies (EOD: none) */
} ba_state_t;

/* val_set -- replace the owned *dst with a copy of src. */
static void
val_set(bson_value_t *dst, const bson_value_t *src)
{
    wk_acc_val_clear(dst);
    bson_value_copy(src, dst);
}

/* cur_key -- the key of the next record (a view). */
static void
cur_key(const ba_state_t *f, bson_value_t *k)
{
    wk_keysort_key(f->cur, k);
}

/* take -- add the next sorted document to the bucket and read the one after it. */
static int
take(ba_state_t *f, sdb_error_t *err)
{
    bson_value_t key;
    bson_t doc;
    bson_t *rec = f->cur;

    cur_key(f, &key);
    val_set(&f->max, &key);
    wk_keysort_doc(rec, &doc);
    for (size_t a = 0; a < f->b->nacc; a++) {
        bson_value_t v;
        int ret;

        SDB_RET(wk_agg_eval_op(wk_acc_input(&f->b->accs[a]), &doc, f->ctx->op, &v, err));
        ret = wk_acc_step(&f->b->accs[a], &f->st[a], &v, err);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
        SDB_RET(ret);
    }
    f->cur = NULL;
    bson_destroy(rec);
    return wk_keysort_next(f->ks, &f->cur, err);
}

/* close_bucket -- absorb the values the boundary covers and settle the max boundary. */
static int
close_bucket(ba_state_t *f, sdb_error_t *err)
{
    bson_value_t k;

    if (f->b->gran != NULL) {
        bson_value_t bound;

        SDB_RET(wk_gran_round(f->b->gran, &f->max, true, &bound, err));
        while (f->cur != NULL) {
            cur_key(f, &k);
            if (sdb_bson_value_cmp(&bound, &k) <= 0 && sdb_bson_value_cmp(&f->max, &k) != 0)
                break;
            SDB_RET(take(f, err));
        }
        if (wk_num_double(&bound) == 0.0 && f->cur != NULL) {
            cur_key(f, &k);
            SDB_RET(wk_gran_round(f->b->gran, &k, false, &bound, err));
        }
        val_set(&f->max, &bound);
        return 0;
    }
    while (f->cur != NULL) {
        cur_key(f, &k);
        if (sdb_bson_value_cmp(&f->max, &k) != 0)
            break;
        SDB_RET(take(f, err));
    }
    if (f->cur != NULL) {
        cur_key(f, &k);
        val_set(&f->max, &k);
    }
    return 0;
}

/* emit -- {_id: {min, max}, <output fields>}. */
static void
emit(ba_state_t *f, wk_agg_docs_t *out)
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

/* one_bucket -- fill and emit bucket number f->num + 1; f->prev holds the previous max. */
static int
one_bucket(ba_state_t *f, wk_agg_docs_t *out, sdb_error_t *err)
{
    int64_t approx = llround((double)f->n / (double)f->b->buckets);
    bool last = ++f->num == f->b->buckets;
    bson_t empty = BSON_INITIALIZER;
    bson_value_t k;
    int ret = 0;

    if (approx < 1)
        approx = 1;
    f->st = bson_malloc0((f->b->nacc ? f->b->nacc : 1) * sizeof(*f->st));
    for (size_t a = 0; a < f->b->nacc; a++) { /* no group key: `n` is read from {} */
        f->st[a].op = f->ctx->op;             /* $accumulator's scripts run for it */
        SDB_ERR(wk_acc_start(&f->b->accs[a], &f->st[a], &empty, err));
    }
    cur_key(f, &k);
    if (f->b->gran == NULL) {
        val_set(&f->min, &k);
    } else if (f->prev.value_type != BSON_TYPE_EOD) {
        val_set(&f->min, &f->prev);
    } else {
        bson_value_t lo;

        SDB_ERR(wk_gran_round(f->b->gran, &k, false, &lo, err));
        val_set(&f->min, &lo);
    }
    SDB_ERR(take(f, err));
    for (int64_t i = 1; f->cur != NULL && (i < approx || last); i++)
        SDB_ERR(take(f, err));
    SDB_ERR(close_bucket(f, err));
    val_set(&f->prev, &f->max);
    emit(f, out);
err:
    for (size_t a = 0; a < f->b->nacc; a++)
        wk_acc_reset(&f->st[a]);
    bson_free(f->st);
    f->st = NULL;
    return ret;
}

/* check_key -- a groupBy value against the granularity. */
static int
check_key(const bucket_auto_t *b, const bson_value_t *v, sdb_error_t *err)
{
    double d;

    if (b->gran == NULL)
        return 0;
    if (!wk_num_is(v))
        return sdb_error_set(err, SDB_CODE_Location40258,
                             "$bucketAuto can specify a 'granularity' with numeric boundaries "
                             "only, but found a value with type: %s",
                             wk_agg_type_name(v->value_type));
    d = v->value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_double(v->value.v_decimal128)
                                              : wk_num_double(v);
    if (isnan(d))
        return sdb_error_set(err, SDB_CODE_Location40259,
                             "$bucketAuto can specify a 'granularity' with numeric "
                             "boundaries only, but found a NaN");
    if (d < 0.0)
        return sdb_error_set(err, SDB_CODE_Location40260,
                             "$bucketAuto can specify a 'granularity' with non-negative "
                             "numbers only, but found a negative number");
    return 0;
}

static int
ba_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    ba_state_t *f = bson_malloc0(sizeof(*f));

    SDB_UNUSED(topk);
    f->b = priv;
    f->ctx = ctx;
    f->ks = wk_keysort_new(ctx, "$bucketAuto");
    *state = f;
    return 0;
}

/* ba_push -- sort each document by its groupBy value (missing as null). */
static int
ba_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    ba_state_t *f = state;

    for (size_t i = 0; i < in->n; i++) {
        bson_value_t v;
        int ret;

        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_op_check(f->ctx->op, err));
        SDB_RET(wk_agg_eval_op(f->b->by, in->v[i], f->ctx->op, &v, err));
        if (v.value_type == BSON_TYPE_EOD)
            v.value_type = BSON_TYPE_NULL;
        ret = check_key(f->b, &v, err);
        if (ret == 0)
            ret = wk_keysort_add(f->ks, &v, in->v[i], err);
        wk_acc_val_clear(&v);
        SDB_RET(ret);
        bson_destroy(in->v[i]);
        in->v[i] = NULL;
    }
    return 0;
}

/* ba_pull -- the buckets, up to max per call (0: all). */
static int
ba_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    ba_state_t *f = state;
    size_t got = 0;

    if (!f->started) {
        f->started = true;
        f->n = wk_keysort_count(f->ks);
        SDB_RET(wk_keysort_next(f->ks, &f->cur, err));
    }
    while (f->cur != NULL && f->num < f->b->buckets && (max == 0 || got < max)) {
        SDB_RET(wk_op_check(f->ctx->op, err));
        SDB_RET(one_bucket(f, out, err));
        got++;
    }
    *done = f->cur == NULL || f->num >= f->b->buckets;
    return 0;
}

static void
ba_close(void *state)
{
    ba_state_t *f = state;

    if (f->cur != NULL)
        bson_destroy(f->cur);
    wk_keysort_free(f->ks);
    wk_acc_val_clear(&f->min);
    wk_acc_val_clear(&f->max);
    wk_acc_val_clear(&f->prev);
    bson_free(f);
}

const wk_agg_blocking_t wk_agg_bucket_auto_blocking = {ba_open, ba_push, ba_pull, ba_close};

int
wk_agg_run_bucket_auto(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                       sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_bucket_auto_blocking, priv, ctx, in, out, err);
}

void
wk_agg_free_bucket_auto(void *priv)
{
    bucket_auto_t *b = priv;

    bucket_auto_free(b);
}
