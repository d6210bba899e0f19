/*
 * src/worker/query/expr_arith.c -- arithmetic expression operators: $add $subtract $multiply
 * $divide $mod $abs $ceil $floor $round $trunc $exp $ln $log $log10 $pow $sqrt and the
 * trigonometric ones ($sin ... $atan2, $degreesToRadians, $radiansToDegrees).
 *
 * Types promote as mongod's do (num.h): int32 -> int64 on overflow or an int64 operand ->
 * double on an int64 overflow or a double operand -> decimal on any decimal operand, and a
 * decimal result is exact (dec.h).  $add adds milliseconds to one date; $subtract takes a
 * date from a date (milliseconds) or milliseconds from a date.  Operands are evaluated left to
 * right and the first null or missing one makes the result null, before later operands are
 * type-checked.  The one-argument functions are rows of a table (name, double function,
 * domain); results are double for integral and double inputs, decimal for decimal ones.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

/* ---- $add $multiply $subtract -------------------------------------------------------------- */

static void
value_date(bson_value_t *out, int64_t ms)
{
    memset(out, 0, sizeof(*out));
    out->value_type = BSON_TYPE_DATE_TIME;
    out->value.v_datetime = ms;
}

/* date_offset -- a number as whole milliseconds to add to a date; false when out of range. */
static bool
date_offset(const bson_value_t *v, int64_t *ms)
{
    double d;

    if (v->value_type == BSON_TYPE_DECIMAL128)
        return wk_dec_to_int64(v->value.v_decimal128, WK_DEC_HALF_EVEN, ms);
    if (v->value_type != BSON_TYPE_DOUBLE) {
        *ms = wk_num_int64(v);
        return true;
    }
    d = v->value.v_double;
    if (!(d >= (double)INT64_MIN && d < (double)INT64_MAX))
        return false;
    *ms = llround(d);
    return true;
}

static int
op_add_mul(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool add = strcmp(e->op->name, "$add") == 0, have_date = false;
    bson_value_t v;
    wk_num_fold_t f;
    int64_t date = 0, ms;
    size_t i;

    wk_num_fold_init(&f, add ? WK_NUM_ADD : WK_NUM_MUL);
    for (i = 0; i < e->n; i++) {
        SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        if (wk_value_nullish(&v)) {
            wk_value_clear(&v);
            wk_value_null(out);
            return 0;
        }
        if (add && v.value_type == BSON_TYPE_DATE_TIME) {
            if (have_date)
                return sdb_error_set(err, SDB_CODE_Location16612,
                                     "only one date allowed in an $add expression");
            have_date = true;
            date = v.value.v_datetime;
            continue;
        }
        if (!wk_num_is(&v)) {
            sdb_error_set(err, add ? SDB_CODE_Location16554 : SDB_CODE_Location16555,
                          "%s only supports numeric%s types, not %s", e->op->name,
                          add ? " or date" : "", wk_value_type_name(&v));
            wk_value_clear(&v);
            return SDB_ECLIENT;
        }
        wk_num_fold_step(&f, &v);
        wk_value_clear(&v);
    }
    wk_num_fold_result(&f, out);
    if (!have_date)
        return 0;
    if (!date_offset(out, &ms) || __builtin_add_overflow(date, ms, &date))
        return sdb_error_set(err, SDB_CODE_Overflow, "date overflow");
    value_date(out, date);
    return 0;
}

static int
op_subtract(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    int64_t ms;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_num_is(&v[0]) && wk_num_is(&v[1])) {
        (void)wk_num_arith(WK_NUM_SUB, &v[0], &v[1], out); /* an overflow answers a double */
    } else if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME && v[1].value_type == BSON_TYPE_DATE_TIME) {
        wk_value_int64(out, v[0].value.v_datetime - v[1].value.v_datetime);
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME && wk_num_is(&v[1])) {
        if (!date_offset(&v[1], &ms) || __builtin_sub_overflow(v[0].value.v_datetime, ms, &ms))
            ret = sdb_error_set(err, SDB_CODE_Overflow, "date overflow");
        else
            value_date(out, ms);
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME) {
        ret = sdb_error_set(err, SDB_CODE_Location16613, "can't $subtract %s from Date",
                            wk_value_type_name(&v[1]));
    } else {
        ret = sdb_error_set(err, SDB_CODE_Location16556, "can't $subtract %s from %s",
                            wk_value_type_name(&v[1]), wk_value_type_name(&v[0]));
    }
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- $divide $mod -------------------------------------------------------------------------- */

static bool
is_zero(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_DECIMAL128 ? wk_dec_is_zero(v->value.v_decimal128)
                                                 : wk_num_double(v) == 0;
}

static int
op_div_mod(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool div = strcmp(e->op->name, "$divide") == 0;
    bson_value_t v[2];
    bool dec, dbl, lng;
    int64_t a, b;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    dec = v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128;
    dbl = v[0].value_type == BSON_TYPE_DOUBLE || v[1].value_type == BSON_TYPE_DOUBLE;
    lng = v[0].value_type == BSON_TYPE_INT64 || v[1].value_type == BSON_TYPE_INT64;
    if (!wk_num_is(&v[0]) || !wk_num_is(&v[1])) {
        if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1]))
            wk_value_null(out);
        else
            ret = sdb_error_set(err, div ? SDB_CODE_Location16609 : SDB_CODE_Location16611,
                                "%s only supports numeric types, not %s and %s", e->op->name,
                                wk_value_type_name(&v[0]), wk_value_type_name(&v[1]));
    } else if (is_zero(&v[1])) {
        ret = sdb_error_set(err, div ? SDB_CODE_Location16608 : SDB_CODE_Location16610,
                            "can't %s by zero", e->op->name);
    } else if (dec) {
        wk_dec_t x = wk_dec_from_value(&v[0]), y = wk_dec_from_value(&v[1]);
        wk_dec_value(out, div ? wk_dec_div(x, y) : wk_dec_mod(x, y));
    } else if (div) {
        wk_value_double(out, wk_num_double(&v[0]) / wk_num_double(&v[1]));
    } else if (dbl) {
        wk_value_double(out, fmod(wk_num_double(&v[0]), wk_num_double(&v[1])));
    } else {
        a = wk_num_int64(&v[0]);
        b = wk_num_int64(&v[1]);
        wk_num_result(out, false, lng, b == -1 ? 0 : a % b, 0);
    }
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- one numeric argument ------------------------------------------------------------------ */

/* eval_number -- evaluate the only argument: *null when nullish, else a number or 28765. */
static int
eval_number(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *v, bool *null, sdb_error_t *err)
{
    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, v, err));
    *null = wk_value_nullish(v);
    if (*null || wk_num_is(v))
        return 0;
    sdb_error_set(err, SDB_CODE_Location28765, "%s only supports numeric types, not %s",
                  e->op->name, wk_value_type_name(v));
    wk_value_clear(v);
    return SDB_ECLIENT;
}

static int
op_abs(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    bool null;
    int ret = 0;

    SDB_RET(eval_number(e, ctx, &v, &null, err));
    if (null)
        wk_value_null(out);
    else if (v.value_type == BSON_TYPE_INT32)
        wk_num_result(out, false, false, llabs((int64_t)v.value.v_int32), 0);
    else if (v.value_type == BSON_TYPE_INT64 && v.value.v_int64 == INT64_MIN)
        ret = sdb_error_set(err, SDB_CODE_Location28680, "can't take $abs of long long min");
    else if (v.value_type == BSON_TYPE_INT64)
        wk_value_int64(out, llabs(v.value.v_int64));
    else if (v.value_type == BSON_TYPE_DECIMAL128)
        wk_dec_value(out, wk_dec_abs(v.value.v_decimal128));
    else
        wk_value_double(out, fabs(v.value.v_double));
    wk_value_clear(&v);
    return ret;
}

/* op_ceil_floor -- integers are their own ceiling and floor. */
static int
op_ceil_floor(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool ceil_ = strcmp(e->op->name, "$ceil") == 0;
    bson_value_t v;
    bool null;

    SDB_RET(eval_number(e, ctx, &v, &null, err));
    if (null)
        wk_value_null(out);
    else if (v.value_type == BSON_TYPE_DOUBLE)
        wk_value_double(out, ceil_ ? ceil(v.value.v_double) : floor(v.value.v_double));
    else if (v.value_type == BSON_TYPE_DECIMAL128)
        wk_dec_value(
            out, wk_dec_round(v.value.v_decimal128, 0, ceil_ ? WK_DEC_CEIL : WK_DEC_FLOOR, false));
    else
        bson_value_copy(&v, out);
    wk_value_clear(&v);
    return 0;
}

/* round_value -- $round/$trunc of number `v` to `place`, through decimal as mongod does: a
 * double by its 15 digits (so 2.5 rounds to 2 and 1.005 to 1.0 at 2 places), an integer
 * exactly, keeping its type unless the result needs a wider one. */
static void
round_value(const bson_value_t *v, int place, wk_dec_mode_t mode, bson_value_t *out)
{
    wk_dec_t r = wk_dec_round(wk_dec_from_value(v), place, mode, true);
    int64_t i = 0;

    if (v->value_type == BSON_TYPE_DECIMAL128) {
        wk_dec_value(out, r);
    } else if (v->value_type == BSON_TYPE_DOUBLE) {
        if (isnan(v->value.v_double) || isinf(v->value.v_double))
            wk_value_double(out, v->value.v_double);
        else
            wk_value_double(out, copysign(wk_dec_to_double(r), v->value.v_double));
    } else if (wk_dec_to_int64(r, WK_DEC_TRUNC, &i)) {
        wk_num_result(out, false, v->value_type == BSON_TYPE_INT64, i, 0);
    } else {
        wk_value_double(out, wk_dec_to_double(r));
    }
}

static int
op_round_trunc(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool round_ = strcmp(e->op->name, "$round") == 0;
    bson_value_t v[2];
    int64_t place = 0;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0])) {
        wk_value_null(out);
    } else if (!wk_num_is(&v[0])) {
        ret = sdb_error_set(err, SDB_CODE_Location51081, "%s only supports numeric types, not %s",
                            e->op->name, wk_value_type_name(&v[0]));
    } else if (e->n > 1 && wk_value_nullish(&v[1])) {
        wk_value_null(out);
    } else if (e->n > 1 && (!wk_num_is(&v[1]) ||
                            !wk_dec_to_int64(wk_dec_from_value(&v[1]), WK_DEC_TRUNC, &place) ||
                            !wk_dec_is_integral(wk_dec_from_value(&v[1])))) {
        ret = sdb_error_set(err, SDB_CODE_Location51082,
                            "precision argument to  %s must be a integral value", e->op->name);
    } else if (place < -20 || place > 100) {
        ret = sdb_error_set(err, SDB_CODE_Location51083,
                            "cannot apply %s with precision value %lld value must be in [-20, "
                            "100]",
                            e->op->name, (long long)place);
    } else {
        round_value(&v[0], (int)place, round_ ? WK_DEC_HALF_EVEN : WK_DEC_TRUNC, out);
    }
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- functions of one number: a table ------------------------------------------------------ */

typedef struct math_fn {
    const char *name;
    long double (*fn)(long double);
    double lo, hi;   /* the domain; NaN passes through */
    bool lo_open;    /* lo excluded ($ln, $log10) */
    bool finite;     /* infinities are outside the domain (sin, cos, tan) */
    int code;        /* the domain error: 50989, or the operator's own */
    const char *msg; /* its message when it has its own */
} math_fn_t;

static long double
deg_to_rad(long double x)
{
    return x * 3.14159265358979323846264338327950288L / 180.0L;
}

static long double
rad_to_deg(long double x)
{
    return x * 180.0L / 3.14159265358979323846264338327950288L;
}

static const math_fn_t math_fns[] = {
    {"$exp", expl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$ln", logl, 0, INFINITY, true, false, SDB_CODE_Location28766,
     "$ln's argument must be a positive number, but is %s"},
    {"$log10", log10l, 0, INFINITY, true, false, SDB_CODE_Location28761,
     "$log10's argument must be a positive number, but is %s"},
    {"$sqrt", sqrtl, 0, INFINITY, false, false, SDB_CODE_Location28714,
     "$sqrt's argument must be greater than or equal to 0"},
    {"$sin", sinl, -INFINITY, INFINITY, false, true, SDB_CODE_Location50989, NULL},
    {"$cos", cosl, -INFINITY, INFINITY, false, true, SDB_CODE_Location50989, NULL},
    {"$tan", tanl, -INFINITY, INFINITY, false, true, SDB_CODE_Location50989, NULL},
    {"$asin", asinl, -1, 1, false, false, SDB_CODE_Location50989, NULL},
    {"$acos", acosl, -1, 1, false, false, SDB_CODE_Location50989, NULL},
    {"$atan", atanl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$sinh", sinhl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$cosh", coshl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$tanh", tanhl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$asinh", asinhl, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$acosh", acoshl, 1, INFINITY, false, false, SDB_CODE_Location50989, NULL},
    {"$atanh", atanhl, -1, 1, false, false, SDB_CODE_Location50989, NULL},
    {"$degreesToRadians", deg_to_rad, -INFINITY, INFINITY, false, false, 0, NULL},
    {"$radiansToDegrees", rad_to_deg, -INFINITY, INFINITY, false, false, 0, NULL},
};

static const math_fn_t *
math_fn(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(math_fns) / sizeof(math_fns[0]); i++)
        if (strcmp(math_fns[i].name, name) == 0)
            return &math_fns[i];
    return NULL;
}

/* in_domain -- x within f's domain (NaN always is: it passes through). */
static bool
in_domain(const math_fn_t *f, long double x)
{
    if (isnan(x))
        return true;
    if (f->finite && isinf(x))
        return false;
    return (f->lo_open ? x > f->lo : x >= f->lo) && x <= f->hi;
}

/* domain_error -- mongod's message for x outside f's domain. */
static int
domain_error(const math_fn_t *f, const char *shown, sdb_error_t *err)
{
    if (f->msg != NULL)
        return sdb_error_set(err, f->code, f->msg, shown);
    if (f->finite)
        return sdb_error_set(err, f->code, "cannot apply %s to %s, value must be in (-inf,inf)",
                             f->name, shown);
    return sdb_error_set(err, f->code, "cannot apply %s to %s, value must be in [%g,%g]", f->name,
                         shown, f->lo, f->hi);
}

static void
shown_number(const bson_value_t *v, char *buf, size_t len)
{
    if (v->value_type == BSON_TYPE_DECIMAL128)
        bson_decimal128_to_string(&v->value.v_decimal128, buf);
    else if (v->value_type == BSON_TYPE_DOUBLE)
        snprintf(buf, len, "%g", v->value.v_double);
    else
        snprintf(buf, len, "%lld", (long long)wk_num_int64(v));
}

static int
op_math(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const math_fn_t *f = math_fn(e->op->name);
    char shown[BSON_DECIMAL128_STRING + 32];
    bson_value_t v;
    long double x;
    bool null, dec;
    int ret = 0;

    SDB_RET(eval_number(e, ctx, &v, &null, err));
    if (null) {
        wk_value_null(out);
        return 0;
    }
    dec = v.value_type == BSON_TYPE_DECIMAL128;
    x = dec ? wk_dec_to_long_double(v.value.v_decimal128) : (long double)wk_num_double(&v);
    if (!in_domain(f, x)) {
        shown_number(&v, shown, sizeof(shown));
        ret = domain_error(f, shown, err);
    } else if (dec && f->fn == sqrtl) {
        wk_dec_value(out, wk_dec_sqrt(v.value.v_decimal128));
    } else if (dec) {
        wk_dec_value(out, wk_dec_from_long_double(f->fn(x)));
    } else {
        wk_value_double(out, (double)f->fn(x));
    }
    wk_value_clear(&v);
    return ret;
}

/* ---- $log $pow $atan2 ---------------------------------------------------------------------- */

static int
op_log(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    char shown[BSON_DECIMAL128_STRING + 32];
    bson_value_t v[2];
    long double x, b;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
        goto done;
    }
    if (!wk_num_is(&v[0]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28756,
                              "$log's argument must be numeric, not %s",
                              wk_value_type_name(&v[0])));
    if (!wk_num_is(&v[1]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28757, "$log's base must be numeric, not %s",
                              wk_value_type_name(&v[1])));
    x = v[0].value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_long_double(v[0].value.v_decimal128)
                                                : wk_num_double(&v[0]);
    b = v[1].value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_long_double(v[1].value.v_decimal128)
                                                : wk_num_double(&v[1]);
    if (!(x > 0) && !isnan(x)) {
        shown_number(&v[0], shown, sizeof(shown));
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28758,
                              "$log's argument must be a positive number, but is %s", shown));
    }
    if (!(b > 0 && b != 1) && !isnan(b)) {
        shown_number(&v[1], shown, sizeof(shown));
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28759,
                              "$log's base must be a positive number not equal to 1, but is %s",
                              shown));
    }
    if (v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128)
        wk_dec_value(out, wk_dec_from_long_double(logl(x) / logl(b)));
    else
        wk_value_double(out, (double)(logl(x) / logl(b)));
done:
err:
    wk_expr_args_free(e, v);
    return ret;
}

/* int_pow -- b^x for integers with x >= 0; false on overflow. */
static bool
int_pow(int64_t b, int64_t x, int64_t *r)
{
    int64_t acc = 1;

    if (b == 0 || b == 1) {
        *r = x == 0 ? 1 : b;
        return true;
    }
    if (b == -1) {
        *r = (x & 1) ? -1 : 1;
        return true;
    }
    while (x-- > 0)
        if (__builtin_mul_overflow(acc, b, &acc))
            return false;
    *r = acc;
    return true;
}

/* pow_numbers -- $pow of two non-null numbers (0 to a negative power already refused). */
static void
pow_numbers(const bson_value_t *b, const bson_value_t *x, bson_value_t *out)
{
    bool lng = b->value_type == BSON_TYPE_INT64 || x->value_type == BSON_TYPE_INT64;
    int64_t bi, xi, r;

    if (b->value_type == BSON_TYPE_DECIMAL128 || x->value_type == BSON_TYPE_DECIMAL128) {
        long double bb = b->value_type == BSON_TYPE_DECIMAL128
                             ? wk_dec_to_long_double(b->value.v_decimal128)
                             : wk_num_double(b);
        long double xx = x->value_type == BSON_TYPE_DECIMAL128
                             ? wk_dec_to_long_double(x->value.v_decimal128)
                             : wk_num_double(x);
        wk_dec_value(out, wk_dec_from_long_double(powl(bb, xx)));
        return;
    }
    if (wk_num_is_fractional(b) || wk_num_is_fractional(x)) {
        wk_value_double(out, pow(wk_num_double(b), wk_num_double(x)));
        return;
    }
    bi = wk_num_int64(b);
    xi = wk_num_int64(x);
    if (xi < 0 && bi != 1 && bi != -1) {
        wk_value_double(out, pow((double)bi, (double)xi));
        return;
    }
    if (xi < 0)
        xi = -xi; /* 1 and -1 to a negative power: their reciprocal is themselves */
    if (!int_pow(bi, xi, &r)) {
        wk_value_double(out, pow((double)bi, (double)wk_num_int64(x)));
        return;
    }
    wk_num_result(out, false, lng, r, 0);
}

static int
op_pow(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1]))
        wk_value_null(out);
    else if (!wk_num_is(&v[0]))
        ret = sdb_error_set(err, SDB_CODE_Location28762, "$pow's base must be numeric, not %s",
                            wk_value_type_name(&v[0]));
    else if (!wk_num_is(&v[1]))
        ret = sdb_error_set(err, SDB_CODE_Location28763, "$pow's exponent must be numeric, not %s",
                            wk_value_type_name(&v[1]));
    else if (is_zero(&v[0]) && wk_num_double(&v[1]) < 0)
        ret = sdb_error_set(err, SDB_CODE_Location28764,
                            "$pow cannot take a base of 0 and a negative exponent");
    else
        pow_numbers(&v[0], &v[1], out);
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_atan2(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    long double y, x;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
    } else if (!wk_num_is(&v[0]) || !wk_num_is(&v[1])) {
        ret = sdb_error_set(err, SDB_CODE_Location51044,
                            "$atan2 only supports numeric types, not %s and %s",
                            wk_value_type_name(&v[0]), wk_value_type_name(&v[1]));
    } else {
        y = v[0].value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_long_double(v[0].value.v_decimal128)
                                                    : wk_num_double(&v[0]);
        x = v[1].value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_long_double(v[1].value.v_decimal128)
                                                    : wk_num_double(&v[1]);
        if (v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128)
            wk_dec_value(out, wk_dec_from_long_double(atan2l(y, x)));
        else
            wk_value_double(out, (double)atan2l(y, x));
    }
    wk_expr_args_free(e, v);
    return ret;
}

const wk_expr_op_t wk_expr_ops_arith[] = {
    {"$add", 0, -1, op_add_mul},
    {"$multiply", 0, -1, op_add_mul},
    {"$subtract", 2, 2, op_subtract},
    {"$divide", 2, 2, op_div_mod},
    {"$mod", 2, 2, op_div_mod},
    {"$abs", 1, 1, op_abs},
    {"$ceil", 1, 1, op_ceil_floor},
    {"$floor", 1, 1, op_ceil_floor},
    {"$round", 1, 2, op_round_trunc},
    {"$trunc", 1, 2, op_round_trunc},
    {"$log", 2, 2, op_log},
    {"$pow", 2, 2, op_pow},
    {"$atan2", 2, 2, op_atan2},
    {"$exp", 1, 1, op_math},
    {"$ln", 1, 1, op_math},
    {"$log10", 1, 1, op_math},
    {"$sqrt", 1, 1, op_math},
    {"$sin", 1, 1, op_math},
    {"$cos", 1, 1, op_math},
    {"$tan", 1, 1, op_math},
    {"$asin", 1, 1, op_math},
    {"$acos", 1, 1, op_math},
    {"$atan", 1, 1, op_math},
    {"$sinh", 1, 1, op_math},
    {"$cosh", 1, 1, op_math},
    {"$tanh", 1, 1, op_math},
    {"$asinh", 1, 1, op_math},
    {"$acosh", 1, 1, op_math},
    {"$atanh", 1, 1, op_math},
    {"$degreesToRadians", 1, 1, op_math},
    {"$radiansToDegrees", 1, 1, op_math},
    {NULL, 0, 0, NULL},
};
