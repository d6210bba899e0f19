/*
 * src/worker/query/stats.h -- the arithmetic of the accumulators: exact sums, averages,
 * standard deviations, percentiles and the `n` of the N-accumulators.
 *
 * One place computes what $group accumulators (agg/accum.c), window functions
 * (agg/window_ops.c) and the accumulator-style expressions ($sum, $avg, $stdDevPop,
 * $stdDevSamp, $median, $percentile in $project; query/expr_accum.c) all answer, so the three
 * agree to the last bit.  Semantics are mongod's:
 *  - $sum keeps an exact integer total (int32/int64 inputs, 128 bits wide), a double-double
 *    total of the doubles (infinities and NaN counted apart) and an exact decimal total, so a
 *    sliding window can take values out again; the result has the widest input type,
 *    an int32 total that outgrows int32 becomes int64, an int64 total that outgrows int64
 *    becomes a double; with any decimal input the result is the decimal sum of all three
 *    (the doubles converted with 34 digits, as mongod's Decimal128(double, kRoundTo34Digits)).
 *  - $avg is that sum over the count of numbers, a decimal when any input was one, else a
 *    double; null when no number was seen.
 *  - $stdDevPop/$stdDevSamp use Welford's running mean on doubles; null for fewer than one
 *    (two) numbers.
 *  - percentiles of the expressions and of sliding windows take the element of rank
 *    ceil(p * n) - 1 of the sorted numbers, as mongod's discrete percentile does; the
 *    accumulators read mongod's t-digest instead (tdigest.h).
 *
 * Contract: pure functions of their arguments; any thread; results are plain numbers.
 */
#ifndef SRC_WORKER_QUERY_STATS_H
#define SRC_WORKER_QUERY_STATS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/errors.h"
#include "dec.h"
#include "expr.h"

/* A running $sum / $avg; values can be taken out again (a sliding window). */
typedef struct wk_sum {
    __int128 i;              /* exact total of the int32/int64 inputs */
    double hi, lo;           /* double-double total of the finite double inputs */
    int64_t nan, pinf, ninf; /* non-finite double inputs, kept apart so they can leave */
    wk_dec_t dec;            /* exact total of the decimal inputs (valid when ntype[3] > 0) */
    int64_t ntype[4];        /* inputs now in the sum per type: int32, int64, double, decimal */
    int64_t count;           /* numeric inputs now in the sum */
} wk_sum_t;

/* wk_sum_init -- an empty sum. */
void wk_sum_init(wk_sum_t *s);

/* wk_sum_add -- add `v` when it is a number (false, and nothing changes, otherwise). */
bool wk_sum_add(wk_sum_t *s, const bson_value_t *v);

/* wk_sum_remove -- take out a number added before; false when it cannot be taken out exactly
 * (a decimal infinity or NaN), and the caller sums the window again. */
bool wk_sum_remove(wk_sum_t *s, const bson_value_t *v);

/* wk_sum_value -- the $sum result (0 as an int32 for no input). */
void wk_sum_value(const wk_sum_t *s, bson_value_t *out);

/* wk_sum_avg -- the $avg result (null for no input). */
void wk_sum_avg(const wk_sum_t *s, bson_value_t *out);

/* wk_sum_double -- the total as a double (for $expMovingAvg, $integral and friends). */
double wk_sum_double(const wk_sum_t *s);

/* A running standard deviation. */
typedef struct wk_stddev {
    int64_t n;
    double mean, m2;
} wk_stddev_t;

/* wk_stddev_add -- add `v` when it is a number (false otherwise). */
bool wk_stddev_add(wk_stddev_t *s, const bson_value_t *v);

/* wk_stddev_value -- population (samp false) or sample standard deviation, or null. */
void wk_stddev_value(const wk_stddev_t *s, bool samp, bson_value_t *out);

/* wk_percentile_of -- the discrete percentile `p` (0..1) of n numbers, sorted in place on the
 * first call (pass sorted = true afterwards); n must be > 0. */
double wk_percentile_of(double *vals, size_t n, double p, bool sorted);

/* wk_stats_check_n -- the `n` of $firstN, $topN and friends: a positive integral number, else
 * 5787902 (not a number, or not integral) or 5787908 (not positive) in mongod's words. */
int wk_stats_check_n(const bson_value_t *v, int64_t *n, sdb_error_t *err);

/* ---- $median and $percentile (expr_accum.c) ---- */

/* wk_quantile_parse -- parse {<name>: args} ($median or $percentile) with the expression's
 * checks (mongod's IDL words and codes, constant `p`, method 'approximate'); the tree is
 * freed with wk_expr_free. */
int wk_quantile_parse(const char *name, const bson_value_t *args, wk_expr_t **tree,
                      sdb_error_t *err);

/* wk_quantile_input -- the `input` expression of a parsed $median/$percentile tree. */
const wk_expr_t *wk_quantile_input(const wk_expr_t *tree);

/* wk_quantile_ps -- its percentiles into ps[0..max) (0.5 for $median); returns how many. */
size_t wk_quantile_ps(const wk_expr_t *tree, double *ps, size_t max);

/* wk_quantile_result -- the operator's exact result over the n numbers `vals` (reordered, NaN
 * left out): a double or null for $median, an array of doubles (or of nulls when no number
 * is left) for $percentile. */
void wk_quantile_result(const wk_expr_t *tree, double *vals, size_t n, bson_value_t *out);

struct wk_tdigest;

/* wk_quantile_digest_result -- the same result read from a t-digest (tdigest.h), as mongod's
 * accumulators answer method 'approximate'; reading merges the digest's buffer. */
void wk_quantile_digest_result(const wk_expr_t *tree, struct wk_tdigest *digest, bson_value_t *out);

#endif
