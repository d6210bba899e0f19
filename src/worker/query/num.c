/*
 * src/worker/query/num.c -- numbers across int32, int64, double and decimal128, the mongod way.
 *
 * Integer arithmetic is checked with the compiler's overflow builtins; an overflow or a double
 * operand switches the fold to a double total, a decimal operand to an exact decimal one
 * (dec.c).  Results are built with memset
 * first so that no byte of a bson_value_t is left uninitialized.
 *
 * Invariants: pure functions; nothing here allocates.
 */
#include "num.h"

#include <stdlib.h>
#include <string.h>

bool
wk_num_is(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_INT32 || v->value_type == BSON_TYPE_INT64 ||
           v->value_type == BSON_TYPE_DOUBLE || v->value_type == BSON_TYPE_DECIMAL128;
}

bool
wk_num_is_fractional(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_DOUBLE || v->value_type == BSON_TYPE_DECIMAL128;
}

double
wk_num_double(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
        return v->value.v_int32;
    case BSON_TYPE_INT64:
        return (double)v->value.v_int64;
    case BSON_TYPE_DOUBLE:
        return v->value.v_double;
    case BSON_TYPE_DECIMAL128:
        return wk_dec_to_double(v->value.v_decimal128);
    case BSON_TYPE_DATE_TIME:
        return (double)v->value.v_datetime;
    default:
        return 0;
    }
}

int64_t
wk_num_int64(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_INT32 ? v->value.v_int32 : v->value.v_int64;
}

void
wk_num_result(bson_value_t *out, bool dbl, bool lng, int64_t i, double d)
{
    memset(out, 0, sizeof(*out));
    if (dbl) {
        out->value_type = BSON_TYPE_DOUBLE;
        out->value.v_double = d;
    } else if (lng || i > INT32_MAX || i < INT32_MIN) {
        out->value_type = BSON_TYPE_INT64;
        out->value.v_int64 = i;
    } else {
        out->value_type = BSON_TYPE_INT32;
        out->value.v_int32 = (int32_t)i;
    }
}

void
wk_num_fold_init(wk_num_fold_t *f, wk_num_op_t op)
{
    memset(f, 0, sizeof(*f));
    f->op = op;
    f->i = op == WK_NUM_MUL ? 1 : 0;
    f->d = op == WK_NUM_MUL ? 1 : 0;
}

/* op_double / op_dec -- one step of the fold's operator. */
static double
op_double(wk_num_op_t op, double a, double b)
{
    return op == WK_NUM_ADD ? a + b : op == WK_NUM_SUB ? a - b : a * b;
}

static wk_dec_t
op_dec(wk_num_op_t op, wk_dec_t a, wk_dec_t b)
{
    return op == WK_NUM_ADD   ? wk_dec_add(a, b)
           : op == WK_NUM_SUB ? wk_dec_sub(a, b)
                              : wk_dec_mul(a, b);
}

/* op_int -- one integer step; true on overflow. */
static bool
op_int(wk_num_op_t op, int64_t a, int64_t b, int64_t *r)
{
    return op == WK_NUM_ADD   ? __builtin_add_overflow(a, b, r)
           : op == WK_NUM_SUB ? __builtin_sub_overflow(a, b, r)
                              : __builtin_mul_overflow(a, b, r);
}

/* fold_first -- take `v` as the total (no identity: -0.0 stays -0.0). */
static void
fold_first(wk_num_fold_t *f, const bson_value_t *v)
{
    f->dec = v->value_type == BSON_TYPE_DECIMAL128;
    f->dbl = v->value_type == BSON_TYPE_DOUBLE;
    f->lng = v->value_type == BSON_TYPE_INT64;
    f->x = wk_dec_from_value(v);
    f->d = wk_num_double(v);
    f->i = wk_num_is_fractional(v) ? 0 : wk_num_int64(v);
}

/* fold -- fold in `v`; `first` takes it as the total. */
static void
fold(wk_num_fold_t *f, const bson_value_t *v, bool first)
{
    int64_t r;

    f->n++;
    if (first) {
        fold_first(f, v);
        return;
    }
    f->lng = f->lng || v->value_type == BSON_TYPE_INT64;
    if (v->value_type == BSON_TYPE_DECIMAL128 && !f->dec) {
        f->x = f->dbl ? wk_dec_from_double(f->d) : wk_dec_from_int64(f->i);
        f->dec = true;
    }
    if (f->dec) {
        f->x = op_dec(f->op, f->x, wk_dec_from_value(v));
        return;
    }
    if (f->op != WK_NUM_MUL && !f->dbl && v->value_type == BSON_TYPE_DOUBLE)
        f->d = (double)f->i; /* the exact integer total continues as a double */
    if (f->op == WK_NUM_MUL || f->dbl || v->value_type == BSON_TYPE_DOUBLE)
        f->d = op_double(f->op, f->d, wk_num_double(v));
    if (f->dbl || v->value_type == BSON_TYPE_DOUBLE) {
        f->dbl = true;
        return;
    }
    if (op_int(f->op, f->i, wk_num_int64(v), &r)) {
        f->ovf = f->dbl = true;
        if (f->op != WK_NUM_MUL)
            f->d = op_double(f->op, (double)f->i, wk_num_double(v));
        return;
    }
    f->i = r;
}

void
wk_num_fold_step(wk_num_fold_t *f, const bson_value_t *v)
{
    fold(f, v, f->op == WK_NUM_SUB && f->n == 0);
}

void
wk_num_fold_result(const wk_num_fold_t *f, bson_value_t *out)
{
    if (f->dec)
        wk_dec_value(out, f->x);
    else
        wk_num_result(out, f->dbl, f->lng, f->i, f->d);
}

bool
wk_num_arith(wk_num_op_t op, const bson_value_t *x, const bson_value_t *y, bson_value_t *out)
{
    wk_num_fold_t f;

    wk_num_fold_init(&f, op);
    fold(&f, x, true);
    fold(&f, y, false);
    wk_num_fold_result(&f, out);
    return !f.ovf;
}
