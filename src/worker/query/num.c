/*
 * src/worker/query/num.c -- numbers across int32, int64, double and decimal128, the mongod way.
 *
 * Integer arithmetic is checked with the compiler's overflow builtins; the double total of a
 * fold is kept alongside the exact integer one so that an overflow (or a later fractional
 * operand) can switch to it without re-reading the operands.  Results are built with memset
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
    char buf[BSON_DECIMAL128_STRING];

    switch (v->value_type) {
    case BSON_TYPE_INT32:
        return v->value.v_int32;
    case BSON_TYPE_INT64:
        return (double)v->value.v_int64;
    case BSON_TYPE_DOUBLE:
        return v->value.v_double;
    case BSON_TYPE_DECIMAL128:
        bson_decimal128_to_string(&v->value.v_decimal128, buf);
        return strtod(buf, NULL);
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

/* fold -- fold in `v`; `first` takes it as the total (no identity: -0.0 stays -0.0). */
static void
fold(wk_num_fold_t *f, const bson_value_t *v, bool first)
{
    bool frac = wk_num_is_fractional(v);
    int64_t x = frac ? 0 : wk_num_int64(v);
    double d = wk_num_double(v);

    f->dbl = f->dbl || frac;
    f->lng = f->lng || v->value_type == BSON_TYPE_INT64;
    if (first) {
        f->i = x;
        f->d = d;
    } else if (f->op == WK_NUM_ADD) {
        f->d += d;
        if (!f->ovf && !frac)
            f->ovf = __builtin_add_overflow(f->i, x, &f->i);
    } else if (f->op == WK_NUM_SUB) {
        f->d -= d;
        if (!f->ovf && !frac)
            f->ovf = __builtin_sub_overflow(f->i, x, &f->i);
    } else {
        f->d *= d;
        if (!f->ovf && !frac)
            f->ovf = __builtin_mul_overflow(f->i, x, &f->i);
    }
    f->n++;
}

void
wk_num_fold_step(wk_num_fold_t *f, const bson_value_t *v)
{
    fold(f, v, f->op == WK_NUM_SUB && f->n == 0);
}

void
wk_num_fold_result(const wk_num_fold_t *f, bson_value_t *out)
{
    wk_num_result(out, f->dbl || f->ovf, f->lng, f->i, f->d);
}

bool
wk_num_arith(wk_num_op_t op, const bson_value_t *x, const bson_value_t *y, bson_value_t *out)
{
    wk_num_fold_t f;

    wk_num_fold_init(&f, op);
    fold(&f, x, true);
    fold(&f, y, false);
    wk_num_fold_result(&f, out);
    return !f.ovf || f.dbl;
}
