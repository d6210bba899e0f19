/*
 * src/worker/agg/stage_order.c -- stages that order, cut or count the whole stream:
 * $sort, $limit, $skip, $count, $sample.
 *
 * $sort is the find sort (stable), fed in chunks (wk_agg_blocking_t): past its memory limit
 * (internalQueryMaxBlockingSortMemoryUsageBytes) it writes what it holds as a sorted run and
 * merges the runs at the end (spill.h), or fails with 292 without allowDiskUse; followed by
 * $limit it keeps only the top k (held up to 2k, then cut back to k).  $limit/$skip take a
 * positive/non-negative integral number; $count emits {<field>: n} (nothing for an empty
 * input, as mongod); $sample takes a uniformly random subset (partial Fisher-Yates with
 * random(3)), in random order.
 *
 * Invariants: private states are immutable after parsing.
 */
#include "agg_int.h"

#include "../query/sort.h"
#include "spill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* move_range -- move in->v[from, to) to out. */
static void
move_range(wk_agg_docs_t *in, size_t from, size_t to, wk_agg_docs_t *out)
{
    for (size_t i = from; i < to && i < in->n; i++) {
        if (in->v[i] != NULL) {
            wk_agg_docs_push(out, in->v[i]);
            in->v[i] = NULL;
        }
    }
}

/* compact -- drop NULL slots so positions count documents. */
static void
compact(wk_agg_docs_t *d)
{
    size_t j = 0;

    for (size_t i = 0; i < d->n; i++)
        if (d->v[i] != NULL)
            d->v[j++] = d->v[i];
    d->n = j;
}

/* ---- $sort ----------------------------------------------------------------------------- */

int
wk_agg_parse_sort(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t doc;
    wk_sort_t *s = NULL;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location15973,
                             "the $sort key specification must be an object");
    bson_iter_document(spec, &len, &data);
    bson_init_static(&doc, data, len);
    if (bson_empty(&doc))
        return sdb_error_set(err, SDB_CODE_Location15976,
                             "$sort stage must have at least one sort key");
    SDB_RET(wk_sort_new_ex(&doc, ctx->collation, &s, err));
    *priv = s;
    return 0;
}

/* sort_state_t -- a $sort taking its input in chunks (wk_agg_blocking_t). */
typedef struct sort_state {
    const wk_sort_t *s;
    wk_agg_ctx_t *ctx;
    wk_agg_docs_t held; /* documents not spilled yet (no NULL slots) */
    size_t bytes;       /* their size */
    int64_t topk;       /* > 0: only the first topk are wanted */
    wk_spill_t *spill;  /* NULL until the first run is written */
    bool sorted;        /* held is sorted and the last run written: pulling */
    size_t pos;         /* next of held to hand out (no spill) */
    int64_t given;      /* documents handed out */
} sort_state_t;

static int
spill_cmp(const bson_t *a, const bson_t *b, void *arg)
{
    return wk_sort_cmp(arg, a, b);
}

/* sort_open -- an empty $sort state. */
static int
sort_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    sort_state_t *st = bson_malloc0(sizeof(*st));

    st->s = priv;
    st->ctx = ctx;
    st->topk = topk;
    wk_agg_docs_init(&st->held);
    *state = st;
    return 0;
}

/* keep_top -- sort what is held and keep only the first topk. */
static int
keep_top(sort_state_t *st, sdb_error_t *err)
{
    SDB_RET(wk_sort_docs_op(st->s, st->held.v, st->held.n, st->ctx->op, err));
    for (size_t i = (size_t)st->topk; i < st->held.n; i++) {
        st->bytes -= st->held.v[i]->len;
        bson_destroy(st->held.v[i]);
    }
    st->held.n = (size_t)st->topk;
    return 0;
}

/* spill_held -- sort what is held, write it as a run and let it go. */
static int
spill_held(sort_state_t *st, sdb_error_t *err)
{
    SDB_RET(wk_sort_docs_op(st->s, st->held.v, st->held.n, st->ctx->op, err));
    if (st->spill == NULL)
        st->spill = wk_spill_new(st->ctx->op);
    SDB_RET(wk_spill_run(st->spill, st->held.v, st->held.n, err));
    wk_agg_docs_free(&st->held);
    st->bytes = 0;
    return 0;
}

/* sort_push -- take a chunk; keep the top k, or spill past the memory limit. */
static int
sort_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    sort_state_t *st = state;
    bool over;

    st->bytes += wk_agg_docs_bytes(in);
    move_range(in, 0, in->n, &st->held); /* held gets no NULL slots */
    if (st->topk > 0 && st->held.n >= 2 * (size_t)st->topk && st->held.n >= WK_AGG_CHUNK)
        SDB_RET(keep_top(st, err));
    SDB_RET(wk_spill_over(st->ctx, st->bytes, "$sort", &over, err));
    if (over)
        SDB_RET(spill_held(st, err));
    return 0;
}

/* sort_pull -- the sorted output, up to max documents per call (0: all). */
static int
sort_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    sort_state_t *st = state;
    size_t n = 0;

    if (!st->sorted) {
        st->sorted = true;
        if (st->spill != NULL && st->held.n > 0)
            SDB_RET(spill_held(st, err));
        else if (st->topk > 0 && st->held.n > (size_t)st->topk)
            SDB_RET(keep_top(st, err));
        else if (st->spill == NULL)
            SDB_RET(wk_sort_docs_op(st->s, st->held.v, st->held.n, st->ctx->op, err));
    }
    *done = false;
    while ((max == 0 || n < max) && (st->topk <= 0 || st->given < st->topk)) {
        bson_t *doc = NULL;

        if (st->spill != NULL) {
            SDB_RET(wk_spill_merge_next(st->spill, spill_cmp, (void *)st->s, &doc, err));
        } else if (st->pos < st->held.n) {
            doc = st->held.v[st->pos];
            st->held.v[st->pos++] = NULL;
        }
        if (doc == NULL)
            break;
        wk_agg_docs_push(out, doc);
        st->given++;
        n++;
    }
    *done = max == 0 || n < max || (st->topk > 0 && st->given >= st->topk);
    return 0;
}

static void
sort_close(void *state)
{
    sort_state_t *st = state;

    wk_agg_docs_free(&st->held);
    wk_spill_free(st->spill);
    bson_free(st);
}

const wk_agg_blocking_t wk_agg_sort_blocking = {sort_open, sort_push, sort_pull, sort_close};

int
wk_agg_run_sort(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_sort_blocking, priv, ctx, in, out, err);
}

void
wk_agg_free_sort(void *priv)
{
    wk_sort_free(priv);
}

/* ---- $limit and $skip ------------------------------------------------------------------ */

/* get_count -- an integral number (int, long, or a double with no fraction). */
static bool
get_count(const bson_iter_t *spec, int64_t *out)
{
    double d;

    if (BSON_ITER_HOLDS_INT32(spec) || BSON_ITER_HOLDS_INT64(spec)) {
        *out = bson_iter_as_int64(spec);
        return true;
    }
    if (BSON_ITER_HOLDS_DOUBLE(spec)) {
        d = bson_iter_double(spec);
        if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (BSON_ITER_HOLDS_DECIMAL128(spec)) {
        *out = bson_iter_as_int64(spec);
        return true;
    }
    return false;
}

/* count_new / count_of -- the int64 a $limit, $skip or $sample stage keeps as its state. */
static void *
count_new(int64_t n)
{
    int64_t *p = bson_malloc(sizeof(*p));

    *p = n;
    return p;
}

static int64_t
count_of(const void *priv)
{
    int64_t n;

    memcpy(&n, priv, sizeof(n));
    return n;
}

int
wk_agg_parse_limit(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    int64_t n;

    SDB_UNUSED(ctx);
    if (!get_count(spec, &n))
        return sdb_error_set(err, SDB_CODE_Location15957,
                             "the limit must be specified as a number");
    if (n <= 0)
        return sdb_error_set(err, SDB_CODE_Location15958, "the limit must be positive");
    *priv = count_new(n);
    return 0;
}

int
wk_agg_run_limit(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    int64_t n = count_of(priv);

    SDB_UNUSED(ctx);
    SDB_UNUSED(err);
    compact(in);
    move_range(in, 0, (uint64_t)n < in->n ? (size_t)n : in->n, out);
    return 0;
}

void
wk_agg_free_limit(void *priv)
{
    bson_free(priv);
}

int
wk_agg_parse_skip(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    int64_t n;

    SDB_UNUSED(ctx);
    if (!get_count(spec, &n))
        return sdb_error_set(err, SDB_CODE_Location15972, "Argument to $skip must be a number");
    if (n < 0)
        return sdb_error_set(err, SDB_CODE_Location15956, "Argument to $skip cannot be negative");
    *priv = count_new(n);
    return 0;
}

int
wk_agg_run_skip(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                sdb_error_t *err)
{
    int64_t n = count_of(priv);

    SDB_UNUSED(ctx);
    SDB_UNUSED(err);
    compact(in);
    if ((uint64_t)n < in->n)
        move_range(in, (size_t)n, in->n, out);
    return 0;
}

void
wk_agg_free_skip(void *priv)
{
    bson_free(priv);
}

/* ---- $count ---------------------------------------------------------------------------- */

int
wk_agg_parse_count(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    const char *s;
    uint32_t len;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_UTF8(spec))
        return sdb_error_set(err, SDB_CODE_Location40156,
                             "the count field must be a non-empty string");
    s = bson_iter_utf8(spec, &len);
    if (len == 0)
        return sdb_error_set(err, SDB_CODE_Location40157,
                             "the count field must be a non-empty string");
    if (s[0] == '$')
        return sdb_error_set(err, SDB_CODE_Location40158,
                             "the count field cannot be a $-prefixed path");
    if (strchr(s, '.') != NULL)
        return sdb_error_set(err, SDB_CODE_Location40160, "the count field cannot contain '.'");
    *priv = bson_strdup(s);
    return 0;
}

int
wk_agg_run_count(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    int64_t n = 0;
    bson_t *doc;

    SDB_UNUSED(ctx);
    SDB_UNUSED(err);
    for (size_t i = 0; i < in->n; i++)
        n += in->v[i] != NULL;
    if (n == 0)
        return 0;
    doc = bson_new();
    if (n <= INT32_MAX)
        BSON_APPEND_INT32(doc, priv, (int32_t)n);
    else
        BSON_APPEND_INT64(doc, priv, n);
    wk_agg_docs_push(out, doc);
    return 0;
}

void
wk_agg_free_count(void *priv)
{
    bson_free(priv);
}

/* ---- $sample --------------------------------------------------------------------------- */

int
wk_agg_parse_sample(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    bson_iter_t it;
    int64_t n = -1;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location28745,
                             "the $sample stage specification must be an object");
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "size") != 0)
            return sdb_error_set(err, SDB_CODE_Location28748, "unrecognized option to $sample: %s",
                                 bson_iter_key(&it));
        if (!get_count(&it, &n) && !BSON_ITER_HOLDS_DOUBLE(&it))
            return sdb_error_set(err, SDB_CODE_Location28746,
                                 "size argument to $sample must be a number");
        if (BSON_ITER_HOLDS_DOUBLE(&it))
            n = (int64_t)bson_iter_double(&it);
        if (n < 0)
            return sdb_error_set(err, SDB_CODE_Location28747,
                                 "size argument to $sample must not be negative");
    }
    if (n < 0)
        return sdb_error_set(err, SDB_CODE_Location28749, "$sample stage must specify a size");
    *priv = count_new(n);
    return 0;
}

int
wk_agg_run_sample(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                  sdb_error_t *err)
{
    int64_t n = count_of(priv);
    size_t take;

    SDB_UNUSED(ctx);
    SDB_UNUSED(err);
    compact(in);
    take = (uint64_t)n < in->n ? (size_t)n : in->n;
    for (size_t i = 0; i < take; i++) {
        size_t j = i + (size_t)random() % (in->n - i);
        bson_t *t = in->v[i];

        in->v[i] = in->v[j];
        in->v[j] = t;
    }
    move_range(in, 0, take, out);
    return 0;
}

void
wk_agg_free_sample(void *priv)
{
    bson_free(priv);
}
