/*
 * src/worker/query/dec.c -- exact Decimal128 arithmetic for expressions (see dec.h).
 *
 * GCC has the decimal type natively; clang (the fuzzing build) has no _Decimal128, so there the
 * same libgcc entry points are called with a 128-bit SSE vector, which the x86-64 ABI passes
 * exactly as it passes a _Decimal128.  Rounding to places decodes the BID fields (sign, 14-bit
 * exponent biased by 6176, 113-bit coefficient) and divides the coefficient by a power of ten.
 *
 * Invariants: pure functions; nothing allocates.
 */
#include "dec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEC_BIAS 6176
#define DEC_EXP_MAX 6111
#define DEC_EXP_MIN (-6176)
#define DEC_SIGN 0x8000000000000000ull
#define DEC_COEF_HI 0x1ffffffffffffull

typedef unsigned __int128 u128_t;

#ifdef __clang__
typedef float dec_m_t __attribute__((vector_size(16)));
dec_m_t __bid_addtd3(dec_m_t, dec_m_t);
dec_m_t __bid_subtd3(dec_m_t, dec_m_t);
dec_m_t __bid_multd3(dec_m_t, dec_m_t);
dec_m_t __bid_divtd3(dec_m_t, dec_m_t);
#define DEC_ADD(a, b) __bid_addtd3(a, b)
#define DEC_SUB(a, b) __bid_subtd3(a, b)
#define DEC_MUL(a, b) __bid_multd3(a, b)
#define DEC_DIV(a, b) __bid_divtd3(a, b)
#else
typedef _Decimal128 dec_m_t;
#define DEC_ADD(a, b) ((a) + (b))
#define DEC_SUB(a, b) ((a) - (b))
#define DEC_MUL(a, b) ((a) * (b))
#define DEC_DIV(a, b) ((a) / (b))
#endif

static dec_m_t
to_m(wk_dec_t d)
{
    dec_m_t m;

    memcpy(&m, &d, sizeof(m)); /* {low, high}: the little-endian BID layout */
    return m;
}

static wk_dec_t
from_m(dec_m_t m)
{
    wk_dec_t d;

    memcpy(&d, &m, sizeof(d));
    return d;
}

wk_dec_t
wk_dec_add(wk_dec_t a, wk_dec_t b)
{
    return from_m(DEC_ADD(to_m(a), to_m(b)));
}

wk_dec_t
wk_dec_sub(wk_dec_t a, wk_dec_t b)
{
    return from_m(DEC_SUB(to_m(a), to_m(b)));
}

wk_dec_t
wk_dec_mul(wk_dec_t a, wk_dec_t b)
{
    return from_m(DEC_MUL(to_m(a), to_m(b)));
}

wk_dec_t
wk_dec_div(wk_dec_t a, wk_dec_t b)
{
    return from_m(DEC_DIV(to_m(a), to_m(b)));
}

/* ---- fields -------------------------------------------------------------------------------- */

bool
wk_dec_is_nan(wk_dec_t d)
{
    return ((d.high >> 58) & 0x1f) == 0x1f;
}

bool
wk_dec_is_inf(wk_dec_t d)
{
    return ((d.high >> 58) & 0x1f) == 0x1e;
}

bool
wk_dec_is_neg(wk_dec_t d)
{
    return (d.high & DEC_SIGN) != 0;
}

/* fields -- exponent and coefficient of a finite decimal (a non-canonical one is zero). */
static void
fields(wk_dec_t d, int *exp, u128_t *coef)
{
    const u128_t max = (u128_t)100000000000000000ull * 100000000000000000ull;

    if (((d.high >> 61) & 3) == 3) { /* the large-coefficient form: always non-canonical */
        *exp = (int)((d.high >> 47) & 0x3fff) - DEC_BIAS;
        *coef = 0;
        return;
    }
    *exp = (int)((d.high >> 49) & 0x3fff) - DEC_BIAS;
    *coef = ((u128_t)(d.high & DEC_COEF_HI) << 64) | d.low;
    if (*coef >= max)
        *coef = 0;
}

static wk_dec_t
make(bool neg, int exp, u128_t coef)
{
    wk_dec_t d;

    d.low = (uint64_t)coef;
    d.high = ((uint64_t)(coef >> 64) & DEC_COEF_HI) | ((uint64_t)(exp + DEC_BIAS) << 49) |
             (neg ? DEC_SIGN : 0);
    return d;
}

bool
wk_dec_is_zero(wk_dec_t d)
{
    int exp;
    u128_t coef;

    if (wk_dec_is_nan(d) || wk_dec_is_inf(d))
        return false;
    fields(d, &exp, &coef);
    return coef == 0;
}

wk_dec_t
wk_dec_negate(wk_dec_t d)
{
    d.high ^= DEC_SIGN;
    return d;
}

wk_dec_t
wk_dec_abs(wk_dec_t d)
{
    d.high &= ~DEC_SIGN;
    return d;
}

/* ---- conversions --------------------------------------------------------------------------- */

static wk_dec_t
from_string(const char *s)
{
    wk_dec_t d;

    bson_decimal128_from_string(s, &d);
    return d;
}

wk_dec_t
wk_dec_from_int64(int64_t x)
{
    u128_t c = x < 0 ? (u128_t)(-(x + 1)) + 1 : (u128_t)x;

    return make(x < 0, 0, c);
}

wk_dec_t
wk_dec_from_double(double x)
{
    char buf[64];

    if (isnan(x))
        return from_string("NaN");
    if (isinf(x))
        return from_string(x < 0 ? "-Infinity" : "Infinity");
    snprintf(buf, sizeof(buf), "%.14e", x);
    return from_string(buf);
}

wk_dec_t
wk_dec_from_long_double(long double x)
{
    char buf[64];

    if (isnan(x))
        return from_string("NaN");
    if (isinf(x))
        return from_string(x < 0 ? "-Infinity" : "Infinity");
    snprintf(buf, sizeof(buf), "%.18Le", x);
    return from_string(buf);
}

wk_dec_t
wk_dec_from_value(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
        return wk_dec_from_int64(v->value.v_int32);
    case BSON_TYPE_INT64:
        return wk_dec_from_int64(v->value.v_int64);
    case BSON_TYPE_DOUBLE:
        return wk_dec_from_double(v->value.v_double);
    case BSON_TYPE_DECIMAL128:
        return v->value.v_decimal128;
    default:
        return wk_dec_from_int64(0);
    }
}

void
wk_dec_value(bson_value_t *out, wk_dec_t d)
{
    memset(out, 0, sizeof(*out));
    out->value_type = BSON_TYPE_DECIMAL128;
    out->value.v_decimal128 = d;
}

double
wk_dec_to_double(wk_dec_t d)
{
    char buf[BSON_DECIMAL128_STRING];

    bson_decimal128_to_string(&d, buf);
    if (wk_dec_is_nan(d))
        return NAN;
    return strtod(buf, NULL); /* "Infinity" and "-Infinity" parse too */
}

long double
wk_dec_to_long_double(wk_dec_t d)
{
    char buf[BSON_DECIMAL128_STRING];

    bson_decimal128_to_string(&d, buf);
    if (wk_dec_is_nan(d))
        return NAN;
    return strtold(buf, NULL);
}

/* ---- rounding ------------------------------------------------------------------------------ */

static u128_t
pow10_u128(int n)
{
    u128_t p = 1;

    while (n-- > 0)
        p *= 10;
    return p;
}

/* round_div -- coef / 10^k rounded in `mode` for a value of sign `neg`. */
static u128_t
round_div(u128_t coef, int k, bool neg, wk_dec_mode_t mode)
{
    u128_t p, q, r;

    if (k > 38)
        return mode == WK_DEC_FLOOR && neg && coef != 0   ? 1
               : mode == WK_DEC_CEIL && !neg && coef != 0 ? 1
                                                          : 0;
    p = pow10_u128(k);
    q = coef / p;
    r = coef % p;
    if (r == 0)
        return q;
    switch (mode) {
    case WK_DEC_HALF_EVEN:
        if (r * 2 > p || (r * 2 == p && (q & 1)))
            q++;
        break;
    case WK_DEC_FLOOR:
        q += neg ? 1 : 0;
        break;
    case WK_DEC_CEIL:
        q += neg ? 0 : 1;
        break;
    case WK_DEC_TRUNC:
        break;
    }
    return q;
}

wk_dec_t
wk_dec_round(wk_dec_t d, int places, wk_dec_mode_t mode, bool quantize)
{
    const u128_t max = pow10_u128(34);
    bool neg = wk_dec_is_neg(d);
    int exp, target = -places;
    u128_t coef;

    if (wk_dec_is_nan(d) || wk_dec_is_inf(d))
        return d;
    fields(d, &exp, &coef);
    if (exp < target) {
        coef = round_div(coef, target - exp, neg, mode);
        return make(neg, target, coef);
    }
    if (!quantize)
        return d;
    while (exp > target && coef * 10 < max) { /* add trailing zeros down to the quantum */
        coef *= 10;
        exp--;
    }
    return make(neg, exp, coef);
}

bool
wk_dec_to_int64(wk_dec_t d, wk_dec_mode_t mode, int64_t *out)
{
    bool neg = wk_dec_is_neg(d);
    int exp;
    u128_t coef;

    if (wk_dec_is_nan(d) || wk_dec_is_inf(d))
        return false;
    fields(d, &exp, &coef);
    if (exp < 0)
        coef = round_div(coef, -exp, neg, mode);
    else if (coef != 0 && exp > 19)
        return false;
    else
        coef *= pow10_u128(exp);
    if (coef > (u128_t)INT64_MAX + (neg ? 1 : 0))
        return false;
    *out = neg ? (int64_t)(0 - (uint64_t)coef) : (int64_t)coef;
    return true;
}

bool
wk_dec_is_integral(wk_dec_t d)
{
    int exp;
    u128_t coef;

    if (wk_dec_is_nan(d) || wk_dec_is_inf(d))
        return false;
    fields(d, &exp, &coef);
    return exp >= 0 || coef % pow10_u128(-exp > 38 ? 38 : -exp) == 0;
}

/* ---- comparison and derived operations ------------------------------------------------------- */

int
wk_dec_cmp(wk_dec_t a, wk_dec_t b)
{
    wk_dec_t diff;

    if (wk_dec_is_nan(a) || wk_dec_is_nan(b))
        return wk_dec_is_nan(a) == wk_dec_is_nan(b) ? 0 : wk_dec_is_nan(a) ? -1 : 1;
    if (wk_dec_is_inf(a) || wk_dec_is_inf(b)) {
        double x = wk_dec_to_double(a), y = wk_dec_to_double(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    diff = wk_dec_sub(a, b);
    if (wk_dec_is_zero(diff))
        return 0;
    return wk_dec_is_neg(diff) ? -1 : 1;
}

wk_dec_t
wk_dec_mod(wk_dec_t a, wk_dec_t b)
{
    wk_dec_t q = wk_dec_round(wk_dec_div(a, b), 0, WK_DEC_TRUNC, false);

    if (wk_dec_is_nan(a) || wk_dec_is_inf(a) || wk_dec_is_nan(b))
        return from_string("NaN");
    if (wk_dec_is_inf(b))
        return a;
    return wk_dec_sub(a, wk_dec_mul(b, q));
}

wk_dec_t
wk_dec_sqrt(wk_dec_t a)
{
    wk_dec_t x, half = from_string("0.5"), prev;
    int i;

    if (wk_dec_is_zero(a) || wk_dec_is_nan(a) || wk_dec_is_inf(a))
        return a;
    x = wk_dec_from_long_double(sqrtl(wk_dec_to_long_double(a)));
    for (i = 0; i < 8; i++) { /* each step doubles the correct digits: 19 -> 34 in one or two */
        prev = x;
        x = wk_dec_mul(half, wk_dec_add(x, wk_dec_div(a, x)));
        if (memcmp(&prev, &x, sizeof(x)) == 0)
            break;
    }
    return x;
}
