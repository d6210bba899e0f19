/*
 * src/worker/query/expr_arrays.c -- array expression operators: $size $in $isArray
 * $arrayElemAt, and $min/$max over their arguments or one array.
 *
 * Arrays are read in place through bson iterators; an element copied into a result is a
 * deep copy.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

static int
op_size(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    bson_t arr;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (v.value_type != BSON_TYPE_ARRAY)
        ret = sdb_error_set(err, SDB_CODE_Location17124,
                            "The argument to $size must be an "
                            "array. Type of argument: %s",
                            wk_value_type_name(&v));
    else if (bson_init_static(&arr, v.value.v_doc.data, v.value.v_doc.data_len))
        wk_value_int32(out, (int32_t)bson_count_keys(&arr));
    wk_value_clear(&v);
    return ret;
}

static int
op_in(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    bson_iter_t it;
    bson_t arr;
    bool found = false;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (v[1].value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location40081,
                            "$in requires an array as a second "
                            "argument, found: %s",
                            wk_value_type_name(&v[1]));
    } else {
        if (bson_init_static(&arr, v[1].value.v_doc.data, v[1].value.v_doc.data_len) &&
            bson_iter_init(&it, &arr))
            while (!found && bson_iter_next(&it))
                found = wk_value_cmp(&v[0], bson_iter_value(&it)) == 0;
        wk_value_bool(out, found);
    }
    wk_expr_args_free(e, v);
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

static int
op_array_elem_at(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    bson_iter_t it;
    bson_t arr;
    int64_t idx, n;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
    } else if (v[0].value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location28689,
                            "$arrayElemAt's first argument must be "
                            "an array, but is %s",
                            wk_value_type_name(&v[0]));
    } else if (!wk_num_is(&v[1]) || wk_num_double(&v[1]) != floor(wk_num_double(&v[1]))) {
        ret = sdb_error_set(err, SDB_CODE_Location28691,
                            "$arrayElemAt's second argument must "
                            "be representable as a 32-bit integer: %g",
                            wk_num_double(&v[1]));
    } else if (bson_init_static(&arr, v[0].value.v_doc.data, v[0].value.v_doc.data_len)) {
        n = bson_count_keys(&arr);
        idx = (int64_t)wk_num_double(&v[1]);
        if (idx < 0)
            idx += n;
        if (idx >= 0 && idx < n && bson_iter_init(&it, &arr) &&
            wk_iter_find_index(&it, (int32_t)idx))
            bson_value_copy(bson_iter_value(&it), out);
    }
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_min_max(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool max = strcmp(e->op->name, "$max") == 0;
    bson_value_t v[WK_EXPR_MAX_ARGS];
    bson_iter_t it;
    bson_t arr;
    const bson_value_t *best = NULL;
    size_t i;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (e->n == 1 && v[0].value_type == BSON_TYPE_ARRAY) {
        if (bson_init_static(&arr, v[0].value.v_doc.data, v[0].value.v_doc.data_len) &&
            bson_iter_init(&it, &arr))
            while (bson_iter_next(&it)) {
                const bson_value_t *x = bson_iter_value(&it);
                if (!wk_value_nullish(x) &&
                    (out->value_type == BSON_TYPE_EOD || (wk_value_cmp(x, out) > 0) == max)) {
                    wk_value_clear(out);
                    bson_value_copy(x, out);
                }
            }
    } else {
        for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++)
            if (!wk_value_nullish(&v[i]) &&
                (best == NULL || (wk_value_cmp(&v[i], best) > 0) == max))
                best = &v[i];
        if (best != NULL)
            bson_value_copy(best, out);
    }
    if (out->value_type == BSON_TYPE_EOD)
        wk_value_null(out);
    wk_expr_args_free(e, v);
    return 0;
}

const wk_expr_op_t wk_expr_ops_arrays[] = {
    {"$size", 1, 1, op_size},
    {"$in", 2, 2, op_in},
    {"$isArray", 1, 1, op_is_array},
    {"$arrayElemAt", 2, 2, op_array_elem_at},
    {"$min", 1, -1, op_min_max},
    {"$max", 1, -1, op_min_max},
    {NULL, 0, 0, NULL},
};
