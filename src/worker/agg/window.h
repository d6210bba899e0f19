/*
 * src/worker/agg/window.h -- what the $setWindowFields stage (stage_window.c) and its window
 * function table (window_ops.c) share.
 *
 * The stage hands each function one partition at a time, already in sortBy order: the
 * documents (read by position, wk_win_doc: the partition may be spilled past its memory limit),
 * and (when sortBy has one field) each document's sortBy value.  A function
 * answers one value per document (missing removes the output field).  Accumulator-style
 * functions ($sum ... $percentile) run the accumulators of accum.c over each document's
 * window; the others ($rank, $shift, $expMovingAvg, $derivative, $integral, $linearFill,
 * $locf, ...) have their own evaluator.
 *
 * Invariants: internal to src/worker/agg; parsed outputs are immutable.
 */
#ifndef SRC_WORKER_AGG_WINDOW_H
#define SRC_WORKER_AGG_WINDOW_H

#include "agg_int.h"

/* One end of a window: unbounded, the current document, or an offset (a document count for
 * `documents`, a number for `range`, an integer count of `unit` for a time range). */
typedef struct wk_win_bound {
    bool unbounded, current;
    bson_value_t off;
} wk_win_bound_t;

typedef struct wk_win_bounds {
    bool range; /* range-based (else document-based) */
    wk_win_bound_t lo, hi;
    char unit[16];    /* time unit of a range on dates ("" = none) */
    wk_expr_t *shift; /* with a unit: {$dateAdd: {startDate: "$d", unit, amount: "$n"}} */
} wk_win_bounds_t;

/* What the stage knows about its own sortBy when a function is parsed. */
typedef struct wk_win_sort_info {
    bool present;   /* sortBy was given */
    size_t nfields; /* how many fields it has */
    bool ascending; /* direction of its first field */
} wk_win_sort_info_t;

struct wk_win_op;

/* One output field: {field: {$fn: args, window: {...}}}. */
typedef struct wk_win_out {
    char *field;
    const struct wk_win_op *op;
    wk_acc_spec_t acc;  /* accumulator-style functions */
    wk_expr_t *input;   /* input/output of the others */
    wk_expr_t *dflt;    /* $shift default (constant) */
    int64_t by;         /* $shift by */
    double alpha;       /* $expMovingAvg */
    wk_dec_t alpha_dec; /* $expMovingAvg, exact */
    int64_t unit_ms;    /* $derivative/$integral unit (0 = none) */
    bool has_window;
    wk_win_bounds_t win;
} wk_win_out_t;

/* One partition, in order. */
typedef struct wk_win_part {
    struct wk_wincache *cache; /* its documents by position (wincache.h): read with wk_win_doc */
    size_t n;
    const bson_value_t *sortv; /* the single sortBy field's value per document, or NULL */
    const wk_sort_t *sort;     /* the stage's sortBy (NULL when none) */
    const wk_agg_ctx_t *ctx;
} wk_win_part_t;

typedef int (*wk_win_parse_fn)(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o,
                               sdb_error_t *err);
typedef int (*wk_win_eval_fn)(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res,
                              sdb_error_t *err);

typedef struct wk_win_op {
    const char *name;
    wk_win_parse_fn parse; /* the function's own arguments (`fn` on its element) */
    wk_win_eval_fn eval;   /* res[0..p->n), zeroed by the caller */
    unsigned flags;        /* WK_WIN_* */
    const char *no_window; /* mongod's words when `window` is given but refused (NULL: generic) */
} wk_win_op_t;

#define WK_WIN_BOUNDS 0x1u /* takes `window` (else refuses it) */
#define WK_WIN_RANK 0x2u   /* $rank $denseRank $documentNumber: nothing but {} */

/* wk_win_doc -- document i (< n) of the partition: a view that stays valid until the second
 * call after this one (the partition may be spilled, wincache.h). */
int wk_win_doc(const wk_win_part_t *p, size_t i, const bson_t **doc, sdb_error_t *err);

/* wk_win_find_op -- the window function `name`, or NULL. */
const wk_win_op_t *wk_win_find_op(const char *name);

/* wk_win_parse_bounds -- parse a `window` object. */
int wk_win_parse_bounds(const bson_iter_t *it, const wk_win_sort_info_t *si, wk_win_bounds_t *b,
                        sdb_error_t *err);

/* wk_win_range -- the window [*lo, *hi] of document i (false: empty). */
int wk_win_range(const wk_win_bounds_t *b, const wk_win_part_t *p, size_t i, size_t *lo, size_t *hi,
                 bool *empty, sdb_error_t *err);

/* wk_win_out_destroy -- release one parsed output. */
void wk_win_out_destroy(wk_win_out_t *o);

#endif
