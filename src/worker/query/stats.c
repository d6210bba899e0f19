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
    s->type = BSON_TYPE_INT32;
}

/* two_sum -- hi + x into (hi, lo), the rounding error kept; infinities and NaN stay in hi. */
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

/* type_rank -- the widening order int32 < int64 < double < decimal. */
static int
type_rank(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_INT64:
        return 1;
    case BSON_TYPE_DOUBLE:
        return 2;
    case BSON_TYPE_DECIMAL128:
        return 3;
    default:
        return 0;
    }
}

bool
wk_sum_add(wk_sum_t *s, const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
        s->i += v->value.v_int32;
        break;
    case BSON_TYPE_INT64:
        s->i += v->value.v_int64;
        break;
    case BSON_TYPE_DOUBLE:
        two_sum(&s->hi, &s->lo, v->value.v_double);
        break;
    case BSON_TYPE_DECIMAL128:
        s->dec = s->ndec++ == 0 ? v->value.v_decimal128 : wk_dec_add(s->dec, v->value.v_decimal128);
        break;
    default:
        return false;
    }
    if (type_rank(v->value_type) > type_rank(s->type))
        s->type = v->value_type;
    s->count++;
    return true;
}

double
wk_sum_double(const wk_sum_t *s)
{
    double hi = s->hi, lo = s->lo, ih = (double)s->i;

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
    if (s->hi != 0)
        t = wk_dec_add(t, dec_from_double34(s->hi));
    if (s->lo != 0)
        t = wk_dec_add(t, dec_from_double34(s->lo));
    if (s->ndec > 0)
        t = wk_dec_add(t, s->dec);
    return t;
}

void
wk_sum_value(const wk_sum_t *s, bson_value_t *out)
{
    bool fits = s->i >= INT64_MIN && s->i <= INT64_MAX;

    switch (s->type) {
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
    else if (s->ndec > 0)
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
