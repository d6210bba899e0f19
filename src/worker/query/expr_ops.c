/*
 * src/worker/query/expr_ops.c -- aggregation expression operators: the table and their code.
 *
 * Each operator receives its parsed argument expressions and evaluates them itself (so
 * $cond, $and, $or and $ifNull can short-circuit).  Arithmetic (num.h) follows mongod's numeric
 * widening: int + int stays int until it overflows to long, long overflows to double, any
 * double makes the result double; dates add milliseconds.  null or missing operands make
 * most operators return null.  Errors carry mongod's codes and wording.  Decimal128 operands
 * are computed in double precision (a known gap).
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

#define MAX_ARGS 64

/* eval_args -- evaluate every argument into vals (caller frees with free_args). */
static int
eval_args(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *vals, sdb_error_t *err)
{
    size_t i;
    int ret = 0;

    memset(vals, 0, sizeof(*vals) * e->n);
    for (i = 0; i < e->n && i < MAX_ARGS; i++)
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &vals[i], err));
    return 0;
err:
    for (i = 0; i < e->n && i < MAX_ARGS; i++)
        wk_value_clear(&vals[i]);
    return ret;
}

static void
free_args(const wk_expr_t *e, bson_value_t *vals)
{
    size_t i;

    for (i = 0; i < e->n && i < MAX_ARGS; i++)
        wk_value_clear(&vals[i]);
}

static bool
is_nullish(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
           v->value_type == BSON_TYPE_UNDEFINED;
}

/* ---- comparison and logic ------------------------------------------------------------------ */

static int
op_cmp_common(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    const char *n = e->op->name;
    int c;

    SDB_RET(eval_args(e, ctx, v, err));
    c = wk_value_cmp(&v[0], &v[1]);
    free_args(e, v);
    if (strcmp(n, "$cmp") == 0) {
        wk_value_int32(out, c < 0 ? -1 : c > 0 ? 1 : 0);
        return 0;
    }
    wk_value_bool(out, strcmp(n, "$eq") == 0    ? c == 0
                       : strcmp(n, "$ne") == 0  ? c != 0
                       : strcmp(n, "$gt") == 0  ? c > 0
                       : strcmp(n, "$gte") == 0 ? c >= 0
                       : strcmp(n, "$lt") == 0  ? c < 0
                                                : c <= 0);
    return 0;
}

static int
op_and_or(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool is_and = strcmp(e->op->name, "$and") == 0, t;
    bson_value_t v;
    size_t i;

    for (i = 0; i < e->n; i++) {
        SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        t = wk_expr_truthy(&v);
        wk_value_clear(&v);
        if (t != is_and) {
            wk_value_bool(out, t);
            return 0;
        }
    }
    wk_value_bool(out, is_and);
    return 0;
}

static int
op_not(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    wk_value_bool(out, !wk_expr_truthy(&v));
    wk_value_clear(&v);
    return 0;
}

static int
op_cond(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *parts[3] = {NULL, NULL, NULL};
    static const char *names[3] = {"if", "then", "else"};
    bson_value_t v;
    size_t i, k;
    bool t;

    if (e->n > 0 && e->keys[0] != NULL) {
        for (i = 0; i < e->n; i++) {
            for (k = 0; k < 3 && strcmp(e->keys[i], names[k]) != 0; k++)
                ;
            if (k == 3)
                return sdb_error_set(err, SDB_CODE_Location17083,
                                     "Unrecognized parameter to $cond: %s", e->keys[i]);
            parts[k] = e->kids[i];
        }
        for (k = 0; k < 3; k++)
            if (parts[k] == NULL)
                return sdb_error_set(err, SDB_CODE_Location17080 + (int)k,
                                     "Missing '%s' parameter to $cond", names[k]);
    } else {
        if (e->n != 3)
            return sdb_error_set(err, SDB_CODE_Location16020,
                                 "Expression $cond takes exactly 3 "
                                 "arguments. %d were passed in.",
                                 (int)e->n);
        for (k = 0; k < 3; k++)
            parts[k] = e->kids[k];
    }
    SDB_RET(wk_expr_eval_ctx(parts[0], ctx, &v, err));
    t = wk_expr_truthy(&v);
    wk_value_clear(&v);
    return wk_expr_eval_ctx(parts[t ? 1 : 2], ctx, out, err);
}

static int
op_if_null(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    size_t i;

    for (i = 0; i < e->n; i++) {
        SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, out, err));
        if (!is_nullish(out) || i + 1 == e->n) {
            if (out->value_type == BSON_TYPE_EOD)
                wk_value_null(out);
            return 0;
        }
        wk_value_clear(out);
    }
    return 0;
}

/* ---- arithmetic ---------------------------------------------------------------------------- */

static int
op_add_mul(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool add = strcmp(e->op->name, "$add") == 0;
    bson_value_t v[MAX_ARGS];
    wk_num_fold_t f;
    int64_t date = 0;
    bool have_date = false, have_null = false;
    size_t i;
    int ret = 0;

    SDB_RET(eval_args(e, ctx, v, err));
    wk_num_fold_init(&f, add ? WK_NUM_ADD : WK_NUM_MUL);
    for (i = 0; i < e->n && i < MAX_ARGS; i++) {
        if (is_nullish(&v[i])) {
            have_null = true;
        } else if (add && v[i].value_type == BSON_TYPE_DATE_TIME) {
            if (have_date)
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location16612,
                                      "only one date allowed in an $add expression"));
            have_date = true;
            date = v[i].value.v_datetime;
        } else if (!wk_num_is(&v[i])) {
            SDB_ERR(sdb_error_set(err, add ? SDB_CODE_Location16554 : SDB_CODE_Location16555,
                                  "%s only supports numeric%s types, not %s", e->op->name,
                                  add ? " or date" : "", wk_value_type_name(&v[i])));
        } else {
            wk_num_fold_step(&f, &v[i]);
        }
    }
    if (have_null)
        wk_value_null(out);
    else if (have_date) {
        memset(out, 0, sizeof(*out));
        out->value_type = BSON_TYPE_DATE_TIME;
        out->value.v_datetime = f.dbl ? date + llround(f.d) : date + f.i;
    } else
        wk_num_fold_result(&f, out);
err:
    free_args(e, v);
    return ret;
}

static int
op_subtract(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    int ret = 0;

    SDB_RET(eval_args(e, ctx, v, err));
    if (is_nullish(&v[0]) || is_nullish(&v[1])) {
        wk_value_null(out);
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME && v[1].value_type == BSON_TYPE_DATE_TIME) {
        wk_value_int64(out, v[0].value.v_datetime - v[1].value.v_datetime);
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME && wk_num_is(&v[1])) {
        memset(out, 0, sizeof(*out));
        out->value_type = BSON_TYPE_DATE_TIME;
        out->value.v_datetime = v[0].value.v_datetime - (int64_t)llround(wk_num_double(&v[1]));
    } else if (wk_num_is(&v[0]) && wk_num_is(&v[1])) {
        (void)wk_num_arith(WK_NUM_SUB, &v[0], &v[1], out); /* an overflow answers a double */
    } else {
        ret = sdb_error_set(err, SDB_CODE_Location16556, "cant $subtract a %s from a %s",
                            wk_value_type_name(&v[1]), wk_value_type_name(&v[0]));
    }
    free_args(e, v);
    return ret;
}

static int
op_div_mod(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool div = strcmp(e->op->name, "$divide") == 0;
    bson_value_t v[2];
    int ret = 0;

    SDB_RET(eval_args(e, ctx, v, err));
    if (is_nullish(&v[0]) || is_nullish(&v[1])) {
        wk_value_null(out);
    } else if (!wk_num_is(&v[0]) || !wk_num_is(&v[1])) {
        ret = sdb_error_set(err, div ? SDB_CODE_Location16609 : SDB_CODE_Location16611,
                            "%s only supports numeric types, not %s and %s", e->op->name,
                            wk_value_type_name(&v[0]), wk_value_type_name(&v[1]));
    } else if (wk_num_double(&v[1]) == 0) {
        ret = sdb_error_set(err, div ? SDB_CODE_Location16608 : SDB_CODE_Location16610,
                            "can't %s by zero", e->op->name);
    } else if (div) {
        wk_value_double(out, wk_num_double(&v[0]) / wk_num_double(&v[1]));
    } else if (wk_num_is_fractional(&v[0]) || wk_num_is_fractional(&v[1])) {
        wk_value_double(out, fmod(wk_num_double(&v[0]), wk_num_double(&v[1])));
    } else {
        int64_t a = (int64_t)wk_num_double(&v[0]), b = (int64_t)wk_num_double(&v[1]);
        if (v[0].value_type == BSON_TYPE_INT64)
            a = v[0].value.v_int64;
        if (v[1].value_type == BSON_TYPE_INT64)
            b = v[1].value.v_int64;
        wk_num_result(out, false,
                      v[0].value_type == BSON_TYPE_INT64 || v[1].value_type == BSON_TYPE_INT64,
                      b == -1 ? 0 : a % b, 0);
    }
    free_args(e, v);
    return ret;
}

static int
op_abs(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (is_nullish(&v))
        wk_value_null(out);
    else if (!wk_num_is(&v))
        ret = sdb_error_set(err, SDB_CODE_Location28765,
                            "$abs only supports numeric types, not "
                            "%s",
                            wk_value_type_name(&v));
    else if (v.value_type == BSON_TYPE_INT32)
        wk_num_result(out, false, false, llabs((int64_t)v.value.v_int32), 0);
    else if (v.value_type == BSON_TYPE_INT64 && v.value.v_int64 == INT64_MIN)
        ret = sdb_error_set(err, SDB_CODE_Location28680, "can't take $abs of long long min");
    else if (v.value_type == BSON_TYPE_INT64)
        wk_value_int64(out, llabs(v.value.v_int64));
    else
        wk_value_double(out, fabs(wk_num_double(&v)));
    wk_value_clear(&v);
    return ret;
}

/* ---- strings, arrays, types ---------------------------------------------------------------- */

static int
op_concat(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[MAX_ARGS];
    bson_string_t *s;
    bool null = false;
    size_t i;
    int ret = 0;

    SDB_RET(eval_args(e, ctx, v, err));
    s = bson_string_new(NULL);
    for (i = 0; i < e->n && i < MAX_ARGS; i++) {
        if (is_nullish(&v[i]))
            null = true;
        else if (v[i].value_type != BSON_TYPE_UTF8)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location16702,
                                  "$concat only supports strings, "
                                  "not %s",
                                  wk_value_type_name(&v[i])));
        else
            bson_string_append(s, v[i].value.v_utf8.str);
    }
    if (null)
        wk_value_null(out);
    else
        wk_value_utf8(out, s->str, s->len);
err:
    bson_string_free(s, true);
    free_args(e, v);
    return ret;
}

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

    SDB_RET(eval_args(e, ctx, v, err));
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
    free_args(e, v);
    return ret;
}

static int
op_type(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    const char *name;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    name = wk_value_type_name(&v);
    wk_value_utf8(out, name, strlen(name));
    wk_value_clear(&v);
    return 0;
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
op_case(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool upper = strcmp(e->op->name, "$toUpper") == 0;
    bson_value_t v;
    uint32_t i;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (is_nullish(&v)) {
        wk_value_utf8(out, "", 0);
    } else if (v.value_type == BSON_TYPE_UTF8) {
        wk_value_utf8(out, v.value.v_utf8.str, v.value.v_utf8.len);
        for (i = 0; i < out->value.v_utf8.len; i++) {
            char c = out->value.v_utf8.str[i];
            if (upper && c >= 'a' && c <= 'z')
                out->value.v_utf8.str[i] = (char)(c - 32);
            else if (!upper && c >= 'A' && c <= 'Z')
                out->value.v_utf8.str[i] = (char)(c + 32);
        }
    } else {
        wk_value_clear(&v);
        return sdb_error_set(err, SDB_CODE_Location16007, "can't convert to string");
    }
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

    SDB_RET(eval_args(e, ctx, v, err));
    if (is_nullish(&v[0]) || is_nullish(&v[1])) {
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
    free_args(e, v);
    return ret;
}

static int
op_min_max(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool max = strcmp(e->op->name, "$max") == 0;
    bson_value_t v[MAX_ARGS];
    bson_iter_t it;
    bson_t arr;
    const bson_value_t *best = NULL;
    size_t i;

    SDB_RET(eval_args(e, ctx, v, err));
    if (e->n == 1 && v[0].value_type == BSON_TYPE_ARRAY) {
        if (bson_init_static(&arr, v[0].value.v_doc.data, v[0].value.v_doc.data_len) &&
            bson_iter_init(&it, &arr))
            while (bson_iter_next(&it)) {
                const bson_value_t *x = bson_iter_value(&it);
                if (!is_nullish(x) &&
                    (out->value_type == BSON_TYPE_EOD || (wk_value_cmp(x, out) > 0) == max)) {
                    wk_value_clear(out);
                    bson_value_copy(x, out);
                }
            }
    } else {
        for (i = 0; i < e->n && i < MAX_ARGS; i++)
            if (!is_nullish(&v[i]) && (best == NULL || (wk_value_cmp(&v[i], best) > 0) == max))
                best = &v[i];
        if (best != NULL)
            bson_value_copy(best, out);
    }
    if (out->value_type == BSON_TYPE_EOD)
        wk_value_null(out);
    free_args(e, v);
    return 0;
}

static const wk_expr_op_t expr_ops[] = {
    {"$eq", 2, 2, op_cmp_common},
    {"$ne", 2, 2, op_cmp_common},
    {"$gt", 2, 2, op_cmp_common},
    {"$gte", 2, 2, op_cmp_common},
    {"$lt", 2, 2, op_cmp_common},
    {"$lte", 2, 2, op_cmp_common},
    {"$cmp", 2, 2, op_cmp_common},
    {"$and", 0, -1, op_and_or},
    {"$or", 0, -1, op_and_or},
    {"$not", 1, 1, op_not},
    {"$cond", 0, -2, op_cond},
    {"$ifNull", 2, -1, op_if_null},
    {"$add", 0, -1, op_add_mul},
    {"$multiply", 0, -1, op_add_mul},
    {"$subtract", 2, 2, op_subtract},
    {"$divide", 2, 2, op_div_mod},
    {"$mod", 2, 2, op_div_mod},
    {"$abs", 1, 1, op_abs},
    {"$concat", 0, -1, op_concat},
    {"$size", 1, 1, op_size},
    {"$in", 2, 2, op_in},
    {"$type", 1, 1, op_type},
    {"$isArray", 1, 1, op_is_array},
    {"$toUpper", 1, 1, op_case},
    {"$toLower", 1, 1, op_case},
    {"$arrayElemAt", 2, 2, op_array_elem_at},
    {"$min", 1, -1, op_min_max},
    {"$max", 1, -1, op_min_max},
    {"$getField", 1, -2, wk_expr_op_get_field},
    {"$setField", 0, -2, wk_expr_op_set_field},
    {"$unsetField", 0, -2, wk_expr_op_set_field},
    {"$rand", 0, -2, wk_expr_op_rand},
};

const wk_expr_op_t *
wk_expr_find_op(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(expr_ops) / sizeof(expr_ops[0]); i++)
        if (strcmp(expr_ops[i].name, name) == 0)
            return &expr_ops[i];
    return NULL;
}
