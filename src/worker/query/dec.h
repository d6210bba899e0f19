/*
 * src/worker/query/dec.h -- exact Decimal128 arithmetic for expressions, the IEEE 754-2008 way.
 *
 * BSON's decimal128 is the BID encoding, which is also what the compiler's decimal floating
 * point uses on x86-64 (libgcc's BID library, the same Intel code mongod links): values move
 * between bson_decimal128_t and the machine type by bytes, and + - * / are libgcc's, correctly
 * rounded to 34 digits with ties to even.  Conversions follow mongod: an int32/int64 becomes
 * decimal exactly, a double through its 15 significant digits (0.1 -> 0.100000000000000).
 * Rounding to a number of places works on the coefficient itself, so it is exact too.
 * Transcendental functions ($exp, $ln, $log10, $pow, trigonometry) on decimals are computed
 * in long double (about 19 digits) and rounded to decimal: a known precision gap.
 *
 * Contract: pure functions of their arguments; any thread; nothing allocates.
 */
#ifndef SRC_WORKER_QUERY_DEC_H
#define SRC_WORKER_QUERY_DEC_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

typedef bson_decimal128_t wk_dec_t;

/* Rounding directions for wk_dec_round and wk_dec_to_int64. */
typedef enum wk_dec_mode {
    WK_DEC_HALF_EVEN, /* $round */
    WK_DEC_TRUNC,     /* $trunc, conversions */
    WK_DEC_FLOOR,     /* $floor */
    WK_DEC_CEIL,      /* $ceil */
} wk_dec_mode_t;

/* wk_dec_from_value -- any number (int32, int64, double, decimal) as a decimal. */
wk_dec_t wk_dec_from_value(const bson_value_t *v);
/* wk_dec_from_int64 / wk_dec_from_double -- exact; 15 significant digits (mongod's rule). */
wk_dec_t wk_dec_from_int64(int64_t x);
wk_dec_t wk_dec_from_double(double d);
/* wk_dec_from_long_double -- 19 significant digits (results of long double functions). */
wk_dec_t wk_dec_from_long_double(long double d);
/* wk_dec_value -- set *out to the decimal `d`. */
void wk_dec_value(bson_value_t *out, wk_dec_t d);

wk_dec_t wk_dec_add(wk_dec_t a, wk_dec_t b);
wk_dec_t wk_dec_sub(wk_dec_t a, wk_dec_t b);
wk_dec_t wk_dec_mul(wk_dec_t a, wk_dec_t b);
wk_dec_t wk_dec_div(wk_dec_t a, wk_dec_t b);
/* wk_dec_mod -- a - b * trunc(a / b), the sign of `a` (fmod's rule). */
wk_dec_t wk_dec_mod(wk_dec_t a, wk_dec_t b);
/* wk_dec_sqrt -- the square root of a non-negative decimal to 34 digits (Newton). */
wk_dec_t wk_dec_sqrt(wk_dec_t a);
/* wk_dec_cmp -- -1, 0, 1 (NaN compares below everything, equal to itself). */
int wk_dec_cmp(wk_dec_t a, wk_dec_t b);

bool wk_dec_is_nan(wk_dec_t d);
bool wk_dec_is_inf(wk_dec_t d);
bool wk_dec_is_zero(wk_dec_t d);
bool wk_dec_is_neg(wk_dec_t d); /* the sign bit (-0 too) */
/* wk_dec_negate / wk_dec_abs -- flip / clear the sign. */
wk_dec_t wk_dec_negate(wk_dec_t d);
wk_dec_t wk_dec_abs(wk_dec_t d);

/* wk_dec_round -- round to `places` digits after the point (negative: before it) in direction
 * `mode`.  With `quantize` the result carries exactly that exponent, as mongod's $round and
 * $trunc do (1.2 to 2 places is 1.20); without it a value already coarse enough is unchanged
 * ($floor, $ceil).  NaN and infinities pass through. */
wk_dec_t wk_dec_round(wk_dec_t d, int places, wk_dec_mode_t mode, bool quantize);

/* wk_dec_to_double -- the nearest double. */
double wk_dec_to_double(wk_dec_t d);
/* wk_dec_to_long_double -- the nearest long double (for the transcendental functions). */
long double wk_dec_to_long_double(wk_dec_t d);
/* wk_dec_to_int64 -- rounded in direction `mode`; false for NaN, infinity or out of range. */
bool wk_dec_to_int64(wk_dec_t d, wk_dec_mode_t mode, int64_t *out);
/* wk_dec_is_integral -- a finite value with no fractional part. */
bool wk_dec_is_integral(wk_dec_t d);

#endif
