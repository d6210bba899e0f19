/*
 * src/worker/query/expr_arith.c -- arithmetic expression operators: $add $subtract $multiply
 * $divide $mod $abs.
 *
 * Arithmetic (num.h) follows mongod's numeric widening: int + int stays int until it
 * overflows to long, long overflows to double, any double makes the result double; dates add
 * milliseconds.  null or missing operands make the result null.  Errors carry mongod's codes
 * and wording.
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
op_add_mul(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool add = strcmp(e->op->name, "$add") == 0;
    bson_value_t v[WK_EXPR_MAX_ARGS];
    wk_num_fold_t f;
    int64_t date = 0;
    bool have_date = false, have_null = false;
    size_t i;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    wk_num_fold_init(&f, add ? WK_NUM_ADD : WK_NUM_MUL);
    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++) {
        if (wk_value_nullish(&v[i])) {
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
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_subtract(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
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
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_div_mod(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool div = strcmp(e->op->name, "$divide") == 0;
    bson_value_t v[2];
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
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
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_abs(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
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

const wk_expr_op_t wk_expr_ops_arith[] = {
    {"$add", 0, -1, op_add_mul},
    {"$multiply", 0, -1, op_add_mul},
    {"$subtract", 2, 2, op_subtract},
    {"$divide", 2, 2, op_div_mod},
    {"$mod", 2, 2, op_div_mod},
    {"$abs", 1, 1, op_abs},
    {NULL, 0, 0, NULL},
};
