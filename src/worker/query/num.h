/*
 * src/worker/query/num.h -- numbers across int32, int64, double and decimal128, the mongod way.
 *
 * Expressions ($add, $subtract, $multiply, ...), accumulators ($sum, $avg) and update
 * operators ($inc, $mul) all read numbers of any BSON numeric type and widen their results
 * as mongod does: int32 op int32 stays int32 while it fits, becomes int64 when it does not or
 * when an operand is int64; an int64 overflow, or any double operand, makes the result a
 * double; any decimal operand makes it an exact decimal (dec.h), the total so far converted
 * as mongod converts it (an integer exactly, a double through 15 significant digits).
 *
 * Contract: pure functions of their arguments; any thread.  Values written to `out` are
 * plain numbers (nothing to free), written whole.
 */
#ifndef SRC_WORKER_QUERY_NUM_H
#define SRC_WORKER_QUERY_NUM_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dec.h"

typedef enum wk_num_op {
    WK_NUM_ADD,
    WK_NUM_SUB,
    WK_NUM_MUL
} wk_num_op_t;

/* A left fold of numbers with one operator ($add and $multiply over their arguments).  The
 * integer total is exact until it overflows or meets a double, and then continues as a double
 * (a product keeps its double alongside from the start, as mongod's does); a decimal operand
 * turns the total so far into a decimal, exact from then on. */
typedef struct wk_num_fold {
    wk_num_op_t op;
    size_t n;   /* operands folded so far */
    int64_t i;  /* exact integer total (meaningless once dbl) */
    double d;   /* the double total (once dbl; always, for a product) */
    wk_dec_t x; /* the decimal total (once dec) */
    bool dbl;   /* an operand was a double, or the integer total overflowed */
    bool dec;   /* an operand was a decimal */
    bool lng;   /* an operand was an int64 */
    bool ovf;   /* the integer total overflowed int64 */
} wk_num_fold_t;

/* wk_num_is -- true for int32, int64, double and decimal128. */
bool wk_num_is(const bson_value_t *v);

/* wk_num_is_fractional -- true for double and decimal128 (they make a result non-integer). */
bool wk_num_is_fractional(const bson_value_t *v);

/* wk_num_double -- a number (or a date, as its milliseconds) as a double; 0 for other types.
 * A decimal128 rounds to the nearest double. */
double wk_num_double(const bson_value_t *v);

/* wk_num_int64 -- an int32 or int64 as int64 (callers check the type first). */
int64_t wk_num_int64(const bson_value_t *v);

/* wk_num_result -- `d` as a double when `dbl`; else `i` as the narrowest of int32/int64 that
 * holds it, int64 regardless when `lng`. */
void wk_num_result(bson_value_t *out, bool dbl, bool lng, int64_t i, double d);

/* wk_num_fold_init -- an empty fold: the identity of ADD/MUL (0/1); SUB starts from its first
 * operand. */
void wk_num_fold_init(wk_num_fold_t *f, wk_num_op_t op);

/* wk_num_fold_step -- fold in number `v` (wk_num_is must hold). */
void wk_num_fold_step(wk_num_fold_t *f, const bson_value_t *v);

/* wk_num_fold_result -- the fold's value with mongod's widening (see wk_num_result). */
void wk_num_fold_result(const wk_num_fold_t *f, bson_value_t *out);

/* wk_num_arith -- x op y for numbers x and y with mongod's widening into *out; false when the
 * integer result overflowed int64 (*out is then the double result, which $add and $subtract
 * answer and $inc/$mul refuse). */
bool wk_num_arith(wk_num_op_t op, const bson_value_t *x, const bson_value_t *y, bson_value_t *out);

#endif
