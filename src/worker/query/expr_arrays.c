/*
 * src/worker/query/expr_arrays.c -- array expression operators: $arrayElemAt $first $last
 * $concatArrays $filter $map $reduce $in $indexOfArray $isArray $range $reverseArray $size
 * $slice $zip $arrayToObject $objectToArray $sortArray $maxN $minN $firstN $lastN, and
 * $min/$max over their arguments or one array.
 *
 * Arrays are read in place: wk_array_items gives shallow views of the elements, valid while
 * the array value lives; results are built with wk_array_build (deep copies).  $filter, $map
 * and $reduce bind their variables ($$this or `as`, $$value) in frames on the C stack
 * (wk_expr_bind), so a variable lives exactly as long as the evaluation that sees it.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/sdb.h"

/* ---- helpers ------------------------------------------------------------------------------- */

size_t
wk_array_items(const bson_value_t *arr, bson_value_t **items)
{
    bson_iter_t it;
    bson_t view;
    size_t n = 0, cap = 8;

    *items = bson_malloc(sizeof(**items) * cap);
    if (!bson_init_static(&view, arr->value.v_doc.data, arr->value.v_doc.data_len) ||
        !bson_iter_init(&it, &view))
        return 0;
    while (bson_iter_next(&it)) {
        if (n == cap)
            *items = bson_realloc(*items, sizeof(**items) * (cap *= 2));
        (*items)[n++] = *bson_iter_value(&it);
    }
    return n;
}

void
wk_array_build(bson_value_t *out, const bson_value_t *items, size_t n)
{
    char key[16];
    const char *kp;
    bson_t b;
    size_t i;

    bson_init(&b);
    for (i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &kp, key, sizeof(key));
        if (items[i].value_type == BSON_TYPE_EOD)
            bson_append_null(&b, kp, -1);
        else
            bson_append_value(&b, kp, -1, &items[i]);
    }
    wk_value_from_bson(out, &b, BSON_TYPE_ARRAY);
}

/* int32_arg -- a number with an integral value that fits in int32. */
static bool
int32_arg(const bson_value_t *v, int64_t *out)
{
    wk_dec_t d;

    if (!wk_num_is(v))
        return false;
    d = wk_dec_from_value(v);
    return wk_dec_is_integral(d) && wk_dec_to_int64(d, WK_DEC_TRUNC, out) && *out >= INT32_MIN &&
           *out <= INT32_MAX;
}

static void
shown(const bson_value_t *v, char *buf, size_t len)
{
    if (wk_num_is(v))
        wk_double_string(wk_num_double(v), buf, len);
    else
        bson_strncpy(buf, wk_value_type_name(v), len);
}

/* ---- single values: $size $isArray $arrayElemAt $first $last $in ----------------------------- */

static int
op_size(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v, *items = NULL;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (v.value_type != BSON_TYPE_ARRAY)
        ret = sdb_error_set(err, SDB_CODE_Location17124,
                            "The argument to $size must be an array. Type of argument: %s",
                            wk_value_type_name(&v));
    else
        wk_value_int32(out, (int32_t)wk_array_items(&v, &items));
    bson_free(items);
    wk_value_clear(&v);
    return ret;
}

static int
op_is_array(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    wk_value_bool(out, v.value_type == BSON_TYPE_ARRAY);
    wk_value_clear(&v);
    return 0;
}

/* elem_at -- element idx (negative: from the end) of array `arr` into out (missing if none). */
static void
elem_at(const bson_value_t *arr, int64_t idx, bson_value_t *out)
{
    bson_value_t *items = NULL;
    size_t n = wk_array_items(arr, &items);

    if (idx < 0)
        idx += (int64_t)n;
    if (idx >= 0 && (size_t)idx < n)
        bson_value_copy(&items[idx], out);
    bson_free(items);
}

static int
op_array_elem_at(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    char buf[64];
    bson_value_t v[2];
    int64_t idx;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
    } else if (v[0].value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location28689,
                            "$arrayElemAt's first argument must be an array, but is %s",
                            wk_value_type_name(&v[0]));
    } else if (!wk_num_is(&v[1])) {
        ret = sdb_error_set(err, SDB_CODE_Location28690,
                            "$arrayElemAt's second argument must be a numeric value, but is %s",
                            wk_value_type_name(&v[1]));
    } else if (!int32_arg(&v[1], &idx)) {
        shown(&v[1], buf, sizeof(buf));
        ret = sdb_error_set(err, SDB_CODE_Location28691,
                            "$arrayElemAt's second argument must be representable as a 32-bit "
                            "integer: %s",
                            buf);
    } else {
        elem_at(&v[0], idx, out);
    }
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_first_last(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
        wk_value_null(out);
    else if (v.value_type != BSON_TYPE_ARRAY)
        ret =
            sdb_error_set(err, SDB_CODE_Location28689, "%s's argument must be an array, but is %s",
                          e->op->name, wk_value_type_name(&v));
    else
        elem_at(&v, strcmp(e->op->name, "$first") == 0 ? 0 : -1, out);
    wk_value_clear(&v);
    return ret;
}

static int
op_in(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2], *items = NULL;
    size_t n, i;
    bool found = false;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (v[1].value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location40081,
                            "$in requires an array as a second argument, found: %s",
                            wk_value_type_name(&v[1]));
    } else {
        n = wk_array_items(&v[1], &items);
        for (i = 0; i < n && !found; i++)
            found = wk_value_cmp(&v[0], &items[i]) == 0;
        wk_value_bool(out, found);
    }
    bson_free(items);
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_index_of_array(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static const char *const what[2] = {"starting", "ending"};
    bson_value_t v[4], *items = NULL;
    int64_t b[2] = {0, -1};
    char buf[64];
    size_t n, i, k;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0])) {
        wk_value_null(out);
        goto err;
    }
    if (v[0].value_type != BSON_TYPE_ARRAY)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40090,
                              "$indexOfArray requires an array as a first argument, found: %s",
                              wk_value_type_name(&v[0])));
    for (k = 0; k + 2 < e->n && k < 2; k++) {
        shown(&v[k + 2], buf, sizeof(buf));
        if (!int32_arg(&v[k + 2], &b[k]))
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location40096,
                                  "$indexOfArray requires an integral %s index, found a value of "
                                  "type: %s, with value: %s",
                                  what[k], wk_value_type_name(&v[k + 2]), buf));
        if (b[k] < 0)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location40097,
                                  "$indexOfArray requires a nonnegative %s index, found: %lld",
                                  what[k], (long long)b[k]));
    }
    n = wk_array_items(&v[0], &items);
    if (b[1] >= 0 && (size_t)b[1] < n)
        n = (size_t)b[1];
    wk_value_int32(out, -1);
    for (i = (size_t)b[0]; i < n; i++)
        if (wk_value_cmp(&items[i], &v[1]) == 0) {
            wk_value_int32(out, (int32_t)i);
            break;
        }
err:
    bson_free(items);
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- building arrays: $concatArrays $reverseArray $slice $range ------------------------------ */

static int
op_concat_arrays(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v, *items = NULL, *all = NULL;
    size_t n, total = 0, i, k;
    bool null = false;
    int ret = 0;

    for (i = 0; i < e->n; i++) {
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        if (wk_value_nullish(&v)) {
            null = true;
        } else if (v.value_type != BSON_TYPE_ARRAY) {
            ret =
                sdb_error_set(err, SDB_CODE_Location28664,
                              "$concatArrays only supports arrays, not %s", wk_value_type_name(&v));
        } else if (!null) {
            n = wk_array_items(&v, &items);
            all = bson_realloc(all, sizeof(*all) * (total + n + 1));
            for (k = 0; k < n; k++)
                bson_value_copy(&items[k], &all[total++]);
        }
        bson_free(items);
        items = NULL;
        wk_value_clear(&v);
        SDB_ERR(ret);
    }
    if (null)
        wk_value_null(out);
    else
        wk_array_build(out, all, total);
err:
    for (i = 0; i < total; i++)
        bson_value_destroy(&all[i]);
    bson_free(all);
    return ret;
}

static int
op_reverse_array(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v, *items = NULL, tmp;
    size_t n, i;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v)) {
        wk_value_null(out);
    } else if (v.value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location34435,
                            "The argument to $reverseArray must be an array, but was of type: %s",
                            wk_value_type_name(&v));
    } else {
        n = wk_array_items(&v, &items);
        for (i = 0; i < n / 2; i++) {
            tmp = items[i];
            items[i] = items[n - 1 - i];
            items[n - 1 - i] = tmp;
        }
        wk_array_build(out, items, n);
    }
    bson_free(items);
    wk_value_clear(&v);
    return ret;
}

/* slice_bounds -- $slice's [from, to) over n elements for (pos, count) or (count). */
static void
slice_bounds(size_t n, bool has_pos, int64_t pos, int64_t count, size_t *from, size_t *to)
{
    int64_t f, t;

    if (!has_pos) {
        f = count >= 0 ? 0 : (int64_t)n + count;
        t = count >= 0 ? count : (int64_t)n;
    } else {
        f = pos >= 0 ? pos : (int64_t)n + pos;
        if (f < 0)
            f = 0;
        t = f + count;
    }
    if (f < 0)
        f = 0;
    if (f > (int64_t)n)
        f = (int64_t)n;
    if (t > (int64_t)n)
        t = (int64_t)n;
    *from = (size_t)f;
    *to = (size_t)(t < f ? f : t);
}

static int
op_slice(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[3], *items = NULL;
    int64_t a = 0, b = 0;
    size_t n, from, to, i;
    char buf[64];
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    for (i = 0; i < e->n; i++)
        if (wk_value_nullish(&v[i])) {
            wk_value_null(out);
            goto err;
        }
    if (v[0].value_type != BSON_TYPE_ARRAY)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28724,
                              "First argument to $slice must be an array, but is of type: %s",
                              wk_value_type_name(&v[0])));
    if (!wk_num_is(&v[1]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28725,
                              "Second argument to $slice must be a numeric value, but is of type: "
                              "%s",
                              wk_value_type_name(&v[1])));
    shown(&v[1], buf, sizeof(buf));
    if (!int32_arg(&v[1], &a))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28726,
                              "Second argument to $slice can't be represented as a 32-bit "
                              "integer: %s",
                              buf));
    if (e->n == 3) {
        if (!wk_num_is(&v[2]))
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location28727,
                                  "Third argument to $slice must be numeric, but is of type: %s",
                                  wk_value_type_name(&v[2])));
        shown(&v[2], buf, sizeof(buf));
        if (!int32_arg(&v[2], &b))
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location28728,
                                  "Third argument to $slice can't be represented as a 32-bit "
                                  "integer: %s",
                                  buf));
        if (b <= 0)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location28729,
                                  "Third argument to $slice must be positive: %s", buf));
    }
    n = wk_array_items(&v[0], &items);
    if (e->n == 3)
        slice_bounds(n, true, a, b, &from, &to);
    else
        slice_bounds(n, false, 0, a, &from, &to);
    wk_array_build(out, items + from, to - from);
err:
    bson_free(items);
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_range(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static const char *const what[3] = {"starting value", "ending value", "step value"};
    static const int codes[3][2] = {{SDB_CODE_Location34443, SDB_CODE_Location34444},
                                    {SDB_CODE_Location34445, SDB_CODE_Location34446},
                                    {SDB_CODE_Location34447, SDB_CODE_Location34448}};
    bson_value_t v[3];
    int64_t x[3] = {0, 0, 1}, i;
    char key[16], buf[64];
    const char *kp;
    uint32_t k = 0;
    size_t a;
    bson_t arr;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    for (a = 0; a < e->n; a++) {
        if (!wk_num_is(&v[a]))
            SDB_ERR(sdb_error_set(err, codes[a][0],
                                  "$range requires a numeric %s, found value of "
                                  "type: %s",
                                  what[a], wk_value_type_name(&v[a])));
        shown(&v[a], buf, sizeof(buf));
        if (!int32_arg(&v[a], &x[a]))
            SDB_ERR(sdb_error_set(err, codes[a][1],
                                  "$range requires a %s that can be represented as a 32-bit "
                                  "integer, found value: %s",
                                  what[a], buf));
    }
    if (x[2] == 0)
        SDB_ERR(
            sdb_error_set(err, SDB_CODE_Location34449, "$range requires a non-zero step value"));
    bson_init(&arr);
    for (i = x[0]; x[2] > 0 ? i < x[1] : i > x[1]; i += x[2]) {
        bson_uint32_to_string(k++, &kp, key, sizeof(key));
        bson_append_int32(&arr, kp, -1, (int32_t)i);
    }
    wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
err:
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- $filter $map $reduce ------------------------------------------------------------------ */

static const char *const filter_args[] = {"input", "as", "cond", "limit", NULL};
static const char *const filter_req[] = {"input", "cond", NULL};
static const int filter_missing[] = {SDB_CODE_Location28648, SDB_CODE_Location28650};
static const char *const map_args[] = {"input", "as", "in", NULL};
static const char *const map_req[] = {"input", "in", NULL};
static const int map_missing[] = {SDB_CODE_Location16880, SDB_CODE_Location16882};
static const char *const reduce_args[] = {"input", "initialValue", "in", NULL};
static const int reduce_missing[] = {SDB_CODE_Location40077, SDB_CODE_Location40078,
                                     SDB_CODE_Location40079};

/* check_as -- `as`, when given, is a constant string naming a valid variable. */
static int
check_as(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *as = wk_expr_kid(e, "as");

    if (as == NULL)
        return 0;
    if (as->kind != WK_EX_CONST || as->cst.value_type != BSON_TYPE_UTF8)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s 'as' must be a string", e->op->name);
    return wk_expr_check_var_name(as->cst.value.v_utf8.str, err);
}

static int
check_filter(const wk_expr_t *e, sdb_error_t *err)
{
    SDB_RET(wk_expr_check_named(e, filter_args, filter_req, SDB_CODE_Location28646,
                                SDB_CODE_Location28647, filter_missing, err));
    return check_as(e, err);
}

static int
check_map(const wk_expr_t *e, sdb_error_t *err)
{
    SDB_RET(wk_expr_check_named(e, map_args, map_req, SDB_CODE_Location16878,
                                SDB_CODE_Location16879, map_missing, err));
    return check_as(e, err);
}

static int
check_reduce(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, reduce_args, reduce_args, SDB_CODE_Location40075,
                               SDB_CODE_Location40076, reduce_missing, err);
}

static const char *
as_name(const wk_expr_t *e)
{
    const wk_expr_t *as = wk_expr_kid(e, "as");

    return as != NULL ? as->cst.value.v_utf8.str : "this";
}

/* eval_input -- `input` as an array; *null when nullish; `code` when another type. */
static int
eval_input(const wk_expr_t *e, wk_eval_ctx_t *ctx, int code, const char *fmt, bson_value_t *in,
           bool *null, sdb_error_t *err)
{
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "input"), ctx, in, err));
    *null = wk_value_nullish(in);
    if (*null || in->value_type == BSON_TYPE_ARRAY)
        return 0;
    sdb_error_set(err, code, fmt, wk_value_type_name(in));
    wk_value_clear(in);
    return SDB_ECLIENT;
}

/* filter_limit -- the `limit` of $filter: a positive int32, or -1 when absent or null. */
static int
filter_limit(const wk_expr_t *e, wk_eval_ctx_t *ctx, int64_t *limit, sdb_error_t *err)
{
    bson_value_t v;
    char buf[64];
    int ret = 0;

    *limit = -1;
    if (wk_expr_kid(e, "limit") == NULL)
        return 0;
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "limit"), ctx, &v, err));
    shown(&v, buf, sizeof(buf));
    if (wk_value_nullish(&v))
        ret = 0;
    else if (!int32_arg(&v, limit))
        ret =
            sdb_error_set(err, SDB_CODE_Location327391,
                          "$filter: limit must be represented as a 32-bit integral value: %s", buf);
    else if (*limit < 1)
        ret = sdb_error_set(err, SDB_CODE_Location327392,
                            "$filter: limit must be greater than 0: %s", buf);
    wk_value_clear(&v);
    return ret;
}

static int
op_filter(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, c, *items = NULL, *keep = NULL;
    wk_var_frame_t f = {as_name(e), NULL, ctx->frames};
    size_t n, i, k = 0;
    int64_t limit;
    bool null, t;
    int ret = 0;

    SDB_RET(eval_input(e, ctx, SDB_CODE_Location28651, "input to $filter must be an array not %s",
                       &in, &null, err));
    SDB_ERR(filter_limit(e, ctx, &limit, err));
    if (null) {
        wk_value_null(out);
        goto err;
    }
    n = wk_array_items(&in, &items);
    keep = bson_malloc(sizeof(*keep) * (n + 1));
    ctx->frames = &f;
    for (i = 0; i < n && (limit < 0 || (int64_t)k < limit); i++) {
        f.val = &items[i];
        ret = wk_expr_eval_ctx(wk_expr_kid(e, "cond"), ctx, &c, err);
        if (ret != 0)
            break;
        t = wk_expr_truthy(&c);
        wk_value_clear(&c);
        if (t)
            keep[k++] = items[i];
    }
    ctx->frames = f.up;
    if (ret == 0)
        wk_array_build(out, keep, k);
err:
    bson_free(keep);
    bson_free(items);
    wk_value_clear(&in);
    return ret;
}

static int
op_map(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, *items = NULL, *res = NULL;
    wk_var_frame_t f = {as_name(e), NULL, ctx->frames};
    size_t n = 0, i, done = 0;
    bool null;
    int ret = 0;

    SDB_RET(eval_input(e, ctx, SDB_CODE_Location16883, "input to $map must be an array not %s", &in,
                       &null, err));
    if (null) {
        wk_value_null(out);
        goto err;
    }
    n = wk_array_items(&in, &items);
    res = bson_malloc0(sizeof(*res) * (n + 1));
    ctx->frames = &f;
    for (i = 0; i < n && ret == 0; i++, done++) {
        f.val = &items[i];
        ret = wk_expr_eval_ctx(wk_expr_kid(e, "in"), ctx, &res[i], err);
    }
    ctx->frames = f.up;
    if (ret == 0)
        wk_array_build(out, res, n);
err:
    for (i = 0; i < done; i++)
        wk_value_clear(&res[i]);
    bson_free(res);
    bson_free(items);
    wk_value_clear(&in);
    return ret;
}

static int
op_reduce(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, acc, next, *items = NULL;
    wk_var_frame_t fv = {"value", &acc, ctx->frames}, ft = {"this", NULL, &fv};
    size_t n, i;
    bool null;
    int ret = 0;

    SDB_RET(eval_input(e, ctx, SDB_CODE_Location40080,
                       "$reduce requires that 'input' be an array, found: %s", &in, &null, err));
    if (null) {
        wk_value_null(out);
        wk_value_clear(&in);
        return 0;
    }
    SDB_ERR(wk_expr_eval_ctx(wk_expr_kid(e, "initialValue"), ctx, &acc, err));
    n = wk_array_items(&in, &items);
    ctx->frames = &ft;
    for (i = 0; i < n && ret == 0; i++) {
        ft.val = &items[i];
        ret = wk_expr_eval_ctx(wk_expr_kid(e, "in"), ctx, &next, err);
        wk_value_clear(&acc);
        acc = next;
    }
    ctx->frames = fv.up;
    if (ret == 0) {
        *out = acc;
        memset(&acc, 0, sizeof(acc));
    }
    wk_value_clear(&acc);
err:
    bson_free(items);
    wk_value_clear(&in);
    return ret;
}

/* ---- $zip ---------------------------------------------------------------------------------- */

static const char *const zip_args[] = {"inputs", "useLongestLength", "defaults", NULL};
static const char *const zip_req[] = {"inputs", NULL};
static const int zip_missing[] = {SDB_CODE_Location34465};

static int
check_zip(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *in, *lon, *def;

    SDB_RET(wk_expr_check_named(e, zip_args, zip_req, SDB_CODE_Location34460,
                                SDB_CODE_Location34464, zip_missing, err));
    in = wk_expr_kid(e, "inputs");
    lon = wk_expr_kid(e, "useLongestLength");
    def = wk_expr_kid(e, "defaults");
    if (in->kind != WK_EX_ARRAY)
        return sdb_error_set(err, SDB_CODE_Location34461,
                             "inputs must be an array of expressions, found %s",
                             wk_value_type_name(&in->cst));
    if (lon != NULL && (lon->kind != WK_EX_CONST || lon->cst.value_type != BSON_TYPE_BOOL))
        return sdb_error_set(err, SDB_CODE_Location34463,
                             "useLongestLength must be a bool, found %s",
                             wk_value_type_name(&lon->cst));
    if (def == NULL)
        return 0;
    if (def->kind != WK_EX_ARRAY)
        return sdb_error_set(err, SDB_CODE_Location34462,
                             "defaults must be an array of expressions, found %s",
                             wk_value_type_name(&def->cst));
    if (lon == NULL || !lon->cst.value.v_bool)
        return sdb_error_set(err, SDB_CODE_Location34466,
                             "cannot specify defaults unless useLongestLength is true");
    if (def->n != in->n)
        return sdb_error_set(err, SDB_CODE_Location34467,
                             "inputs and defaults must be the same length");
    return 0;
}

/* zip_build -- the zipped rows of m arrays (items[j], lens[j]) with defaults `dv`. */
static void
zip_build(bson_value_t **items, size_t *lens, size_t m, size_t rows, const bson_value_t *dv,
          bson_value_t *out)
{
    bson_value_t *row = bson_malloc0(sizeof(*row) * (m + 1)), *all;
    size_t i, j;

    all = bson_malloc0(sizeof(*all) * (rows + 1));
    for (i = 0; i < rows; i++) {
        for (j = 0; j < m; j++) {
            if (i < lens[j])
                row[j] = items[j][i];
            else if (dv != NULL && dv[j].value_type != BSON_TYPE_EOD)
                row[j] = dv[j];
            else
                wk_value_null(&row[j]);
        }
        wk_array_build(&all[i], row, m);
    }
    wk_array_build(out, all, rows);
    for (i = 0; i < rows; i++)
        bson_value_destroy(&all[i]);
    bson_free(all);
    bson_free(row);
}

static int
op_zip(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *in = wk_expr_kid(e, "inputs"), *lon = wk_expr_kid(e, "useLongestLength"),
                    *def = wk_expr_kid(e, "defaults");
    bool longest = lon != NULL && lon->cst.value.v_bool, null = false;
    bson_value_t *arrs = bson_malloc0(sizeof(*arrs) * (in->n + 1)), *dv = NULL;
    bson_value_t **items = bson_malloc0(sizeof(*items) * (in->n + 1));
    size_t *lens = bson_malloc0(sizeof(*lens) * (in->n + 1)), j, rows = 0;
    int ret = 0;

    for (j = 0; j < in->n; j++) {
        SDB_ERR(wk_expr_eval_ctx(in->kids[j], ctx, &arrs[j], err));
        if (wk_value_nullish(&arrs[j])) {
            null = true;
            continue;
        }
        if (arrs[j].value_type != BSON_TYPE_ARRAY)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location34468,
                                  "$zip found a non-array expression in input: %s",
                                  wk_value_type_name(&arrs[j])));
        lens[j] = wk_array_items(&arrs[j], &items[j]);
        rows = j == 0    ? lens[j]
               : longest ? (lens[j] > rows ? lens[j] : rows)
                         : (lens[j] < rows ? lens[j] : rows);
    }
    if (null) {
        wk_value_null(out);
        goto err;
    }
    if (def != NULL) {
        dv = bson_malloc0(sizeof(*dv) * (def->n + 1));
        for (j = 0; j < def->n; j++)
            SDB_ERR(wk_expr_eval_ctx(def->kids[j], ctx, &dv[j], err));
    }
    zip_build(items, lens, in->n, rows, dv, out);
err:
    for (j = 0; j < in->n; j++) {
        wk_value_clear(&arrs[j]);
        bson_free(items[j]);
        if (dv != NULL)
            wk_value_clear(&dv[j]);
    }
    bson_free(dv);
    bson_free(arrs);
    bson_free(items);
    bson_free(lens);
    return ret;
}

/* ---- $arrayToObject $objectToArray --------------------------------------------------------- */

/* kv_pair -- the key and value of one element of $arrayToObject's input. */
static int
kv_pair(const bson_value_t *el, bool docs, bson_value_t *k, bson_value_t *v, sdb_error_t *err)
{
    bson_value_t *items = NULL;
    bson_iter_t it;
    bson_t view;
    size_t n;
    int ret = 0;

    memset(k, 0, sizeof(*k));
    memset(v, 0, sizeof(*v));
    if (docs) {
        if (el->value_type != BSON_TYPE_DOCUMENT)
            return sdb_error_set(err, SDB_CODE_Location40391,
                                 "$arrayToObject requires a consistent input format. Elements "
                                 "must all be arrays or all be objects. Object was detected, now "
                                 "found: %s",
                                 wk_value_type_name(el));
        bson_init_static(&view, el->value.v_doc.data, el->value.v_doc.data_len);
        if (bson_count_keys(&view) != 2)
            return sdb_error_set(err, SDB_CODE_Location40392,
                                 "$arrayToObject requires an object keys of 'k' and 'v'. Found "
                                 "incorrect number of keys:%u",
                                 bson_count_keys(&view));
        if (bson_iter_init_find(&it, &view, "k"))
            *k = *bson_iter_value(&it);
        if (bson_iter_init_find(&it, &view, "v"))
            *v = *bson_iter_value(&it);
        if (k->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_EOD)
            return sdb_error_set(err, SDB_CODE_Location40393,
                                 "$arrayToObject requires an object with keys 'k' and 'v'. "
                                 "Missing either or both keys from the input");
        if (k->value_type != BSON_TYPE_UTF8)
            return sdb_error_set(err, SDB_CODE_Location40394,
                                 "$arrayToObject requires an object with keys 'k' and 'v', where "
                                 "the value of 'k' must be of type string. Found type: %s",
                                 wk_value_type_name(k));
    } else {
        if (el->value_type != BSON_TYPE_ARRAY)
            return sdb_error_set(err, SDB_CODE_Location40398,
                                 "Unrecognised input type format for $arrayToObject: %s",
                                 wk_value_type_name(el));
        n = wk_array_items(el, &items);
        if (n != 2)
            ret = sdb_error_set(err, SDB_CODE_Location40396,
                                "$arrayToObject requires an array of size 2 arrays,found array of "
                                "size: %zu",
                                n);
        else if (items[0].value_type != BSON_TYPE_UTF8)
            ret = sdb_error_set(err, SDB_CODE_Location40395,
                                "$arrayToObject requires an array of key-value pairs, where the "
                                "key must be of type string. Found key type: %s",
                                wk_value_type_name(&items[0]));
        if (ret == 0) {
            *k = items[0];
            *v = items[1];
        }
        bson_free(items);
        SDB_RET(ret);
    }
    if (strlen(k->value.v_utf8.str) != k->value.v_utf8.len)
        return sdb_error_set(err, SDB_CODE_Location4940400,
                             "Key field cannot contain an embedded null byte");
    return 0;
}

/* set_key -- b with key k set to v: a repeated key keeps its first place, takes the last value. */
static void
set_key(bson_t *b, const char *k, const bson_value_t *v)
{
    bson_t copy;
    bson_iter_t it;
    bool found = bson_iter_init_find(&it, b, k);

    if (!found) {
        bson_append_value(b, k, -1, v);
        return;
    }
    bson_init(&copy);
    bson_iter_init(&it, b);
    while (bson_iter_next(&it))
        if (strcmp(bson_iter_key(&it), k) == 0)
            bson_append_value(&copy, k, -1, v);
        else
            bson_append_iter(&copy, NULL, 0, &it);
    bson_reinit(b);
    bson_concat(b, &copy);
    bson_destroy(&copy);
}

static int
op_array_to_object(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, *items = NULL, k, v;
    size_t n, i;
    bson_t b = BSON_INITIALIZER;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &in, err));
    if (wk_value_nullish(&in)) {
        wk_value_null(out);
        goto err;
    }
    if (in.value_type != BSON_TYPE_ARRAY)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40386,
                              "$arrayToObject requires an array input, found: %s",
                              wk_value_type_name(&in)));
    n = wk_array_items(&in, &items);
    for (i = 0; i < n; i++) {
        SDB_ERR(kv_pair(&items[i], items[0].value_type == BSON_TYPE_DOCUMENT, &k, &v, err));
        set_key(&b, k.value.v_utf8.str, &v);
    }
    wk_value_from_bson(out, &b, BSON_TYPE_DOCUMENT);
    bson_init(&b);
err:
    bson_destroy(&b);
    bson_free(items);
    wk_value_clear(&in);
    return ret;
}

static int
op_object_to_array(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in;
    bson_iter_t it;
    bson_t view, arr, kv;
    char key[16];
    const char *kp;
    uint32_t k = 0;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &in, err));
    if (wk_value_nullish(&in)) {
        wk_value_null(out);
    } else if (in.value_type != BSON_TYPE_DOCUMENT) {
        ret = sdb_error_set(err, SDB_CODE_Location40390,
                            "$objectToArray requires a document input, found: %s",
                            wk_value_type_name(&in));
    } else {
        bson_init(&arr);
        bson_init_static(&view, in.value.v_doc.data, in.value.v_doc.data_len);
        bson_iter_init(&it, &view);
        while (bson_iter_next(&it)) {
            bson_uint32_to_string(k++, &kp, key, sizeof(key));
            bson_append_document_begin(&arr, kp, -1, &kv);
            bson_append_utf8(&kv, "k", 1, bson_iter_key(&it), -1);
            bson_append_iter(&kv, "v", 1, &it);
            bson_append_document_end(&arr, &kv);
        }
        wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
    }
    wk_value_clear(&in);
    return ret;
}

/* ---- ordering: $sortArray $maxN $minN $firstN $lastN $min $max ------------------------------- */

static int
sort_dir(const bson_value_t *v)
{
    return wk_num_is(v) && wk_num_double(v) < 0 ? -1 : 1;
}

/* field_of -- the value at dotted `path` inside a document value (missing when absent). */
static void
field_of(const bson_value_t *v, const char *path, bson_value_t *out)
{
    bson_iter_t it, f;
    bson_t view;

    memset(out, 0, sizeof(*out));
    if (v->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&view, v->value.v_doc.data, v->value.v_doc.data_len) ||
        !bson_iter_init(&it, &view) || !bson_iter_find_descendant(&it, path, &f))
        return;
    *out = *bson_iter_value(&f);
}

/* sort_cmp -- compare a and b by the sort specification (whole values or fields). */
static int
sort_cmp(const bson_value_t *a, const bson_value_t *b, const bson_value_t *spec)
{
    bson_value_t fa, fb;
    bson_iter_t it;
    bson_t view;
    int c;

    if (spec->value_type != BSON_TYPE_DOCUMENT)
        return sort_dir(spec) * wk_value_cmp(a, b);
    bson_init_static(&view, spec->value.v_doc.data, spec->value.v_doc.data_len);
    bson_iter_init(&it, &view);
    while (bson_iter_next(&it)) {
        field_of(a, bson_iter_key(&it), &fa);
        field_of(b, bson_iter_key(&it), &fb);
        c = wk_value_cmp(&fa, &fb);
        if (c != 0)
            return sort_dir(bson_iter_value(&it)) * c;
    }
    return 0;
}

/* stable_sort -- insertion-merge sort that keeps equal elements in input order. */
static void
stable_sort(bson_value_t *items, size_t n, const bson_value_t *spec)
{
    bson_value_t *tmp;
    size_t w, i, l, r, m, e, m2;

    if (n < 2)
        return;
    tmp = bson_malloc(sizeof(*tmp) * n);
    for (w = 1; w < n; w *= 2) {
        for (i = 0; i < n; i += 2 * w) {
            l = i;
            m = i + w < n ? i + w : n;
            e = i + 2 * w < n ? i + 2 * w : n;
            r = m;
            for (m2 = i; m2 < e; m2++)
                tmp[m2] = (l < m && (r >= e || sort_cmp(&items[l], &items[r], spec) <= 0))
                              ? items[l++]
                              : items[r++];
        }
        memcpy(items, tmp, sizeof(*tmp) * n);
    }
    bson_free(tmp);
}

static const char *const sort_args[] = {"input", "sortBy", NULL};
static const int sort_missing[] = {SDB_CODE_Location2942502, SDB_CODE_Location2942503};

/* valid_sort_spec -- 1, -1, or a non-empty document of 1/-1 (a sort pattern, parsed as a
 * literal: dotted paths allowed). */
static bool
valid_sort_spec(const wk_expr_t *s)
{
    bson_iter_t it;
    int n = 0;

    if (s->kind == WK_EX_CONST && wk_num_is(&s->cst))
        return wk_num_double(&s->cst) == 1 || wk_num_double(&s->cst) == -1;
    if (s->kind != WK_EX_CONST || s->cst.value_type != BSON_TYPE_DOCUMENT ||
        !bson_iter_init_from_data(&it, s->cst.value.v_doc.data, s->cst.value.v_doc.data_len))
        return false;
    while (bson_iter_next(&it)) {
        const bson_value_t *v = bson_iter_value(&it);

        if (!wk_num_is(v) || (wk_num_double(v) != 1 && wk_num_double(v) != -1))
            return false;
        n++;
    }
    return n > 0;
}

static int
check_sort_array(const wk_expr_t *e, sdb_error_t *err)
{
    SDB_RET(wk_expr_check_named(e, sort_args, sort_args, SDB_CODE_Location2942500,
                                SDB_CODE_Location2942501, sort_missing, err));
    if (!valid_sort_spec(wk_expr_kid(e, "sortBy")))
        return sdb_error_set(err, SDB_CODE_Location2942504,
                             "$sortArray requires sortBy to be 1, -1 or a document of them");
    return 0;
}

static int
op_sort_array(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, spec, *items = NULL;
    size_t n;
    bool null;
    int ret = 0;

    memset(&spec, 0, sizeof(spec));
    SDB_RET(eval_input(e, ctx, SDB_CODE_Location2942505,
                       "The input argument to $sortArray must be an array, but was of type: %s",
                       &in, &null, err));
    if (null) {
        wk_value_null(out);
        goto err;
    }
    SDB_ERR(wk_expr_eval_ctx(wk_expr_kid(e, "sortBy"), ctx, &spec, err));
    n = wk_array_items(&in, &items);
    stable_sort(items, n, &spec);
    wk_array_build(out, items, n);
err:
    bson_free(items);
    wk_value_clear(&spec);
    wk_value_clear(&in);
    return ret;
}

static const char *const n_args[] = {"input", "n", NULL};
static const char *const n_req[] = {"n", "input", NULL};
static const int n_missing[] = {SDB_CODE_Location5787906, SDB_CODE_Location5787907};

static int
check_n(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, n_args, n_req, SDB_CODE_Location5787900, SDB_CODE_Location5787901,
                               n_missing, err);
}

/* eval_n -- the `n` of $maxN and friends: a positive integer (stats.h). */
static int
eval_n(const wk_expr_t *e, wk_eval_ctx_t *ctx, int64_t *n, sdb_error_t *err)
{
    bson_value_t v;
    int ret;

    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "n"), ctx, &v, err));
    ret = wk_stats_check_n(&v, n, err);
    wk_value_clear(&v);
    return ret;
}

static int
op_n(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const char *name = e->op->name;
    bool first = strcmp(name, "$firstN") == 0, last = strcmp(name, "$lastN") == 0;
    bson_value_t in, *items = NULL, dir;
    size_t n, i, k = 0;
    int64_t want;
    int ret = 0;

    memset(&in, 0, sizeof(in));
    SDB_RET(eval_n(e, ctx, &want, err));
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "input"), ctx, &in, err));
    if (in.value_type != BSON_TYPE_ARRAY)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location5788200, "Input must be an array, but found %s",
                              wk_value_type_name(&in)));
    n = wk_array_items(&in, &items);
    if (!first && !last) { /* $maxN/$minN: drop null and missing, order by value */
        for (i = 0; i < n; i++)
            if (!wk_value_nullish(&items[i]))
                items[k++] = items[i];
        n = k;
        wk_value_int32(&dir, strcmp(name, "$maxN") == 0 ? -1 : 1);
        stable_sort(items, n, &dir);
    }
    if ((int64_t)n > want && last)
        wk_array_build(out, items + n - want, (size_t)want);
    else
        wk_array_build(out, items, (int64_t)n > want ? (size_t)want : n);
err:
    bson_free(items);
    wk_value_clear(&in);
    return ret;
}

static int
op_min_max(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool max = strcmp(e->op->name, "$max") == 0;
    bson_value_t v[WK_EXPR_MAX_ARGS], *items = NULL, *all = v;
    const bson_value_t *best = NULL;
    size_t n = e->n, i;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (e->n == 1 && v[0].value_type == BSON_TYPE_ARRAY) {
        n = wk_array_items(&v[0], &items);
        all = items;
    }
    for (i = 0; i < n; i++)
        if (!wk_value_nullish(&all[i]) &&
            (best == NULL || (wk_value_cmp(&all[i], best) > 0) == max))
            best = &all[i];
    if (best != NULL)
        bson_value_copy(best, out);
    else
        wk_value_null(out);
    bson_free(items);
    wk_expr_args_free(e, v);
    return 0;
}

const wk_expr_op_t wk_expr_ops_arrays[] = {
    {"$size", 1, 1, op_size, NULL},
    {"$isArray", 1, 1, op_is_array, NULL},
    {"$arrayElemAt", 2, 2, op_array_elem_at, NULL},
    {"$first", 1, 1, op_first_last, NULL},
    {"$last", 1, 1, op_first_last, NULL},
    {"$in", 2, 2, op_in, NULL},
    {"$indexOfArray", 2, 4, op_index_of_array, NULL},
    {"$concatArrays", 0, -1, op_concat_arrays, NULL},
    {"$reverseArray", 1, 1, op_reverse_array, NULL},
    {"$slice", 2, 3, op_slice, NULL},
    {"$range", 2, 3, op_range, NULL},
    {"$filter", 0, -2, op_filter, check_filter},
    {"$map", 0, -2, op_map, check_map},
    {"$reduce", 0, -2, op_reduce, check_reduce},
    {"$zip", 0, -2, op_zip, check_zip},
    {"$arrayToObject", 1, 1, op_array_to_object, NULL},
    {"$objectToArray", 1, 1, op_object_to_array, NULL},
    {"$sortArray", 0, -2, op_sort_array, check_sort_array},
    {"$maxN", 0, -2, op_n, check_n},
    {"$minN", 0, -2, op_n, check_n},
    {"$firstN", 0, -2, op_n, check_n},
    {"$lastN", 0, -2, op_n, check_n},
    {"$min", 1, -1, op_min_max, NULL},
    {"$max", 1, -1, op_min_max, NULL},
    {NULL, 0, 0, NULL, NULL},
};
