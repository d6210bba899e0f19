/*
 * src/worker/query/stats.c -- the arithmetic of the accumulators (see stats.h).
 *
 * The double part of a sum is a double-double (Knuth's TwoSum keeps each addition's rounding
 * error in `lo`), so long runs of doubles lose nothing a double can show, as mongod's
 * DoubleDoubleSummation; integers stay exact in 128 bits until the result is built.
 *
 * Invariants: pure functions; nothing allocates but wk_percentile_of's in-place sort.
 */
#include "stats.h"

#include "expr_int.h"
#include "num.h"

#include "../../common/sdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wk_sum_init(wk_sum_t *s)
{
    memset(s, 0, sizeof(*s));
}

/* two_sum -- hi + x into (hi, lo) with the rounding error kept; a total that overflows stays
 * in hi as an infinity. */
static void
two_sum(double *hi, double *lo, double x)
{
    double s = *hi + x, bp, err;

    if (!isfinite(s)) {
        *hi = s;
        return;
    }
    bp = s - *hi;
    err = (*hi - (s - bp)) + (x - bp);
    *hi = s;
    *lo += err;
}

/* type_slot -- the widening order int32 < int64 < double < decimal; -1 for non-numbers. */
static int
type_slot(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_INT32:
        return 0;
    case BSON_TYPE_INT64:
        return 1;
    case BSON_TYPE_DOUBLE:
        return 2;
    case BSON_TYPE_DECIMAL128:
        return 3;
    default:
        return -1;
    }
}

/* add_double -- a double in (sign 1) or out (-1). */
static void
add_double(wk_sum_t *s, double x, int sign)
{
    if (isnan(x))
        s->nan += sign;
    else if (isinf(x))
        *(x > 0 ? &s->pinf : &s->ninf) += sign;
    else
        two_sum(&s->hi, &s->lo, sign * x);
}

/* fold -- v in (sign 1) or out (-1); false for a non-number. */
static bool
fold(wk_sum_t *s, const bson_value_t *v, int sign)
{
    int slot = type_slot(v->value_type);

    switch (slot) {
    case 0:
        s->i += sign * (__int128)v->value.v_int32;
        break;
    case 1:
        s->i += sign * (__int128)v->value.v_int64;
        break;
    case 2:
        add_double(s, v->value.v_double, sign);
        break;
    case 3:
        if (sign > 0)
            s->dec = s->ntype[3] == 0 ? v->value.v_decimal128
                                      : wk_dec_add(s->dec, v->value.v_decimal128);
        else
            s->dec =
                s->ntype[3] == 1 ? wk_dec_from_int64(0) : wk_dec_sub(s->dec, v->value.v_decimal128);
        break;
    default:
        return false;
    }
    s->ntype[slot] += sign;
    s->count += sign;
    return true;
}

bool
wk_sum_add(wk_sum_t *s, const bson_value_t *v)
{
    return fold(s, v, 1);
}

bool
wk_sum_remove(wk_sum_t *s, const bson_value_t *v)
{
    if (v->value_type == BSON_TYPE_DECIMAL128 &&
        (wk_dec_is_nan(v->value.v_decimal128) || wk_dec_is_inf(v->value.v_decimal128)))
        return false;
    fold(s, v, -1);
    return true;
}

/* widest -- the widest type now in the sum (int32 when empty). */
static bson_type_t
widest(const wk_sum_t *s)
{
    static const bson_type_t types[] = {BSON_TYPE_INT32, BSON_TYPE_INT64, BSON_TYPE_DOUBLE,
                                        BSON_TYPE_DECIMAL128};

    for (int k = 3; k > 0; k--)
        if (s->ntype[k] > 0)
            return types[k];
    return BSON_TYPE_INT32;
}

double
wk_sum_double(const wk_sum_t *s)
{
    double hi = s->hi, lo = s->lo, ih = (double)s->i;

    if (s->nan > 0 || (s->pinf > 0 && s->ninf > 0))
        return NAN;
    if (s->pinf > 0 || s->ninf > 0)
        return s->pinf > 0 ? INFINITY : -INFINITY;
    if (!isfinite(ih))
        return ih;
    two_sum(&hi, &lo, ih);
    two_sum(&hi, &lo, (double)(s->i - (__int128)ih));
    if (!isfinite(hi))
        return hi;
    return hi + lo;
}

/* dec_from_double34 -- a double as a decimal with 34 significant digits. */
static wk_dec_t
dec_from_double34(double x)
{
    char buf[64];
    bson_decimal128_t d;

    if (!isfinite(x))
        return wk_dec_from_double(x);
    snprintf(buf, sizeof(buf), "%.33e", x);
    bson_decimal128_from_string(buf, &d);
    return d;
}

/* sum_decimal -- the whole total as a decimal. */
static wk_dec_t
sum_decimal(const wk_sum_t *s)
{
    wk_dec_t t = wk_dec_from_int64(0);

    if (s->i >= INT64_MIN && s->i <= INT64_MAX) {
        t = wk_dec_from_int64((int64_t)s->i);
    } else { /* beyond int64: high and low 62-bit halves, exactly */
        __int128 high = s->i / ((__int128)1 << 62), low = s->i % ((__int128)1 << 62);
        t = wk_dec_add(
            wk_dec_mul(wk_dec_from_int64((int64_t)high), wk_dec_from_int64((int64_t)1 << 62)),
            wk_dec_from_int64((int64_t)low));
    }
    if (s->nan > 0 || s->pinf > 0 || s->ninf > 0)
        t = wk_dec_add(t, wk_dec_from_double(wk_sum_double(s)));
    if (s->hi != 0)
        t = wk_dec_add(t, dec_from_double34(s->hi));
    if (s->lo != 0)
        t = wk_dec_add(t, dec_from_double34(s->lo));
    if (s->ntype[3] > 0)
        t = wk_dec_add(t, s->dec);
    return t;
}

void
wk_sum_value(const wk_sum_t *s, bson_value_t *out)
{
    bool fits = s->i >= INT64_MIN && s->i <= INT64_MAX;

    switch (widest(s)) {
    case BSON_TYPE_DECIMAL128:
        wk_dec_value(out, sum_decimal(s));
        return;
    case BSON_TYPE_INT32:
        if (fits && s->i >= INT32_MIN && s->i <= INT32_MAX) {
            wk_value_int32(out, (int32_t)s->i);
            return;
        }
        /* fall through */
    case BSON_TYPE_INT64:
        if (fits) {
            wk_value_int64(out, (int64_t)s->i);
            return;
        }
        /* fall through */
    default:
        wk_value_double(out, wk_sum_double(s));
    }
}

void
wk_sum_avg(const wk_sum_t *s, bson_value_t *out)
{
    if (s->count == 0)
        wk_value_null(out);
    else if (s->ntype[3] > 0)
        wk_dec_value(out, wk_dec_div(sum_decimal(s), wk_dec_from_int64(s->count)));
    else
        wk_value_double(out, wk_sum_double(s) / (double)s->count);
}

bool
wk_stddev_add(wk_stddev_t *s, const bson_value_t *v)
{
    double x, delta;

    if (!wk_num_is(v))
        return false;
    x = wk_num_double(v);
    s->n++;
    delta = x - s->mean;
    if (delta != 0) {
        s->mean += delta / (double)s->n;
        s->m2 += delta * (x - s->mean);
    }
    return true;
}

void
wk_stddev_value(const wk_stddev_t *s, bool samp, bson_value_t *out)
{
    int64_t n = samp ? s->n - 1 : s->n;

    if (n <= 0)
        wk_value_null(out);
    else
        wk_value_double(out, sqrt(s->m2 / (double)n));
}

static int
double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    if (isnan(x) || isnan(y)) /* NaN first, as MongoDB orders numbers */
        return isnan(y) - isnan(x);
    return (x > y) - (x < y);
}

double
wk_percentile_of(double *vals, size_t n, double p, bool sorted)
{
    double rank;
    size_t k;

    if (!sorted)
        qsort(vals, n, sizeof(*vals), double_cmp);
    if (p <= 0)
        return vals[0];
    if (p >= 1)
        return vals[n - 1];
    rank = ceil(p * (double)n) - 1;
    k = rank < 0 ? 0 : (size_t)rank;
    return vals[k < n ? k : n - 1];
}

int
wk_stats_check_n(const bson_value_t *v, int64_t *n, sdb_error_t *err)
{
    char buf[64];
    wk_dec_t d;

    if (wk_num_is(v))
        wk_double_string(wk_num_double(v), buf, sizeof(buf));
    else
        bson_strncpy(buf, wk_value_type_name(v), sizeof(buf));
    d = wk_num_is(v) ? wk_dec_from_value(v) : wk_dec_from_int64(0);
    if (!wk_num_is(v) || !wk_dec_is_integral(d) || !wk_dec_to_int64(d, WK_DEC_TRUNC, n))
        return sdb_error_set(err, SDB_CODE_Location5787902,
                             "Value for 'n' must be of integral type, but found %s", buf);
    if (*n <= 0)
        return sdb_error_set(err, SDB_CODE_Location5787908, "'n' must be greater than 0, found %s",
                             buf);
    return 0;
}
