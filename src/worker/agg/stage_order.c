/*
 * src/worker/agg/stage_order.c -- stages that order, cut or count the whole stream:
 * $sort, $limit, $skip, $count, $sample.
 *
 * $sort is the find sort (stable; 292 past 100 MiB without allowDiskUse); $limit/$skip take a
 * positive/non-negative integral number; $count emits {<field>: n} (nothing for an empty
 * input, as mongod); $sample takes a uniformly random subset (partial Fisher-Yates with
 * random(3)), in random order.
 *
 * Invariants: private states are immutable after parsing.
 */
#include "agg_int.h"

#include "../query/sort.h"

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

int
wk_agg_run_sort(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                sdb_error_t *err)
{
    SDB_RET(wk_agg_check_mem(ctx, wk_agg_docs_bytes(in), "$sort", err));
    compact(in);
    SDB_RET(wk_sort_docs_op(priv, in->v, in->n, ctx->op, err));
    move_range(in, 0, in->n, out);
    return 0;
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
