/*
 * src/worker/agg/window_ops.c -- the window functions of $setWindowFields, one table row per
 * function with its parser and evaluator.
 *
 * Accumulator-style functions ($sum $avg $min $max $count $push $addToSet $first $last
 * $stdDevPop $stdDevSamp $covariancePop $covarianceSamp $minN $maxN $firstN $lastN $topN
 * $bottomN $top $bottom $median $percentile) evaluate their input once per document, then
 * run accum.c's accumulator over each document's window: a window that only grows to the
 * right ([unbounded, current], or the whole partition) is extended step by step, any other is
 * recomputed from its first document.  The rest are positional: $rank $denseRank
 * $documentNumber (ties by the single sortBy field), $shift (the value `by` documents away),
 * $expMovingAvg (N or alpha), $derivative and $integral (over the sortBy field, with `unit` on
 * dates), $linearFill and $locf (filling null and missing).  Parse errors are mongod's
 * (window_function_expression.h): FailedToParse with its words unless mongod has a code.
 *
 * Invariants: the table is constant; an evaluator writes every res[i] it sets as an owned
 * value and leaves the others missing.
 */
#include "window.h"

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../query/num.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- accumulator-style functions ------------------------------------------------------ */

static int
parse_acc(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    const wk_acc_def_t *def = wk_acc_find(bson_iter_key(fn), WK_ACC_WINDOW);

    SDB_UNUSED(si);
    SDB_RET(wk_acc_parse_op(fn, def, true, &o->acc, err));
    /* mongod answers a window whose start moves with exact percentiles, a window from the
     * partition's start with its accumulator's t-digest. */
    o->acc.exact = !o->win.lo.unbounded;
    return 0;
}

/* eval_inputs -- the input of every document of the partition. */
static int
eval_inputs(const wk_expr_t *e, const wk_win_part_t *p, bson_value_t **vals, sdb_error_t *err)
{
    *vals = bson_malloc0((p->n ? p->n : 1) * sizeof(**vals));
    for (size_t i = 0; i < p->n; i++)
        SDB_RET(wk_agg_eval_op(e, p->docs[i], p->ctx->op, &(*vals)[i], err));
    return 0;
}

static void
free_vals(bson_value_t *vals, size_t n)
{
    for (size_t i = 0; vals != NULL && i < n; i++)
        wk_acc_val_clear(&vals[i]);
    bson_free(vals);
}

static int
step_range(const wk_acc_spec_t *a, wk_acc_state_t *st, const bson_value_t *vals, size_t from,
           size_t to, sdb_error_t *err)
{
    for (size_t j = from; j <= to; j++)
        SDB_RET(wk_acc_step(a, st, &vals[j], err));
    return 0;
}

/* slide -- take vals[from, to) out of the state; false when the accumulator cannot (the
 * state must then be started over). */
static bool
slide(const wk_acc_spec_t *a, wk_acc_state_t *st, const bson_value_t *vals, size_t from, size_t to)
{
    for (size_t j = from; j < to; j++)
        if (!wk_acc_remove(a, st, &vals[j]))
            return false;
    return true;
}

/* window_ranges -- every document's window; *suffix when all the non-empty ones end at the
 * same document (a [n, unbounded] window, whose start moves right). */
static int
window_ranges(const wk_win_out_t *o, const wk_win_part_t *p, size_t *los, size_t *his, bool *nones,
              bool *suffix, sdb_error_t *err)
{
    size_t end = SIZE_MAX;

    *suffix = true;
    for (size_t i = 0; i < p->n; i++) {
        SDB_RET(wk_win_range(&o->win, p, i, &los[i], &his[i], &nones[i], err));
        if (nones[i])
            continue;
        if (end != SIZE_MAX && his[i] != end)
            *suffix = false;
        end = his[i];
    }
    return 0;
}

/* eval_acc -- run the accumulator over each document's window.  A window that grows on the
 * right extends the previous state; a window that slides right takes its oldest values out
 * when the accumulator can ($sum $avg $count); an order-insensitive accumulator over suffix
 * windows is run from the last document backwards, so the window grows on the left instead;
 * any other window starts over. */
static int
eval_acc(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    size_t n = p->n ? p->n : 1, *los = bson_malloc(n * sizeof(*los));
    size_t *his = bson_malloc(n * sizeof(*his)), plo = 0, phi = 0;
    bool *nones = bson_malloc(n * sizeof(*nones)), have = false, back;
    bson_t empty = BSON_INITIALIZER;
    bson_value_t *vals = NULL;
    wk_acc_state_t st;
    int ret = 0;

    memset(&st, 0, sizeof(st));
    st.op = p->ctx->op; /* $accumulator's scripts run for it */
    SDB_ERR(eval_inputs(wk_acc_input(&o->acc), p, &vals, err));
    SDB_ERR(window_ranges(o, p, los, his, nones, &back, err));
    back = back && (o->acc.def->flags & WK_ACC_ORDERLESS);
    for (size_t k = 0; k < p->n; k++) {
        size_t i = back ? p->n - 1 - k : k, lo = los[i], hi = his[i];

        if (nones[i]) {
            wk_acc_state_t fresh;

            memset(&fresh, 0, sizeof(fresh));
            fresh.op = p->ctx->op;
            SDB_ERR(wk_acc_start(&o->acc, &fresh, &empty, err));
            wk_acc_final(&o->acc, &fresh, &res[i]);
            continue;
        }
        if (have && lo == plo && hi >= phi) {
            if (hi > phi)
                SDB_ERR(step_range(&o->acc, &st, vals, phi + 1, hi, err));
        } else if (have && back && hi == phi && lo <= plo) {
            if (lo < plo)
                SDB_ERR(step_range(&o->acc, &st, vals, lo, plo - 1, err));
        } else if (have && !back && lo > plo && lo <= phi + 1 && hi >= phi &&
                   slide(&o->acc, &st, vals, plo, lo)) { /* the oldest values left */
            if (hi > phi)
                SDB_ERR(step_range(&o->acc, &st, vals, phi + 1, hi, err));
        } else {
            wk_acc_reset(&st);
            SDB_ERR(wk_acc_start(&o->acc, &st, &empty, err));
            SDB_ERR(step_range(&o->acc, &st, vals, lo, hi, err));
            have = true;
        }
        plo = lo, phi = hi;
        wk_acc_value(&o->acc, &st, &res[i]);
    }
err:
    wk_acc_reset(&st);
    free_vals(vals, p->n);
    bson_destroy(&empty);
    bson_free(los);
    bson_free(his);
    bson_free(nones);
    return ret;
}

/* ---- $min $max over sliding windows -------------------------------------------------------
 * When every window starts and ends at or after the previous one (documents windows with
 * fixed offsets, range windows over the sorted values), a monotonic deque of positions
 * answers each window in amortized O(1): values are pushed as the window's end passes them
 * (nulls and missing skipped, as $min/$max skip them), a pushed value first drops the ones at
 * the back it beats (strictly: among equal values the earliest stays in front, the one the
 * accumulator would keep), and positions before the window's start leave at the front.  The
 * front is the answer.  Other windows fall back to eval_acc. */

/* monotone -- whether the non-empty windows only move right. */
static bool
monotone(const size_t *los, const size_t *his, const bool *nones, size_t n)
{
    size_t plo = 0, phi = 0;

    for (size_t i = 0; i < n; i++) {
        if (nones[i])
            continue;
        if (los[i] < plo || his[i] < phi)
            return false;
        plo = los[i];
        phi = his[i];
    }
    return true;
}

/* minmax_deque -- the deque walk (see above) over vals; res as eval_acc's. */
static void
minmax_deque(bool min, const bson_value_t *vals, const size_t *los, const size_t *his,
             const bool *nones, size_t n, bson_value_t *res)
{
    size_t *dq = bson_malloc((n ? n : 1) * sizeof(*dq)), head = 0, tail = 0, next = 0;

    for (size_t i = 0; i < n; i++) {
        if (nones[i]) {
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
            continue;
        }
        for (; next <= his[i]; next++) {
            const bson_value_t *v = &vals[next];
            int sign = min ? 1 : -1;

            if (v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
                v->value_type == BSON_TYPE_UNDEFINED)
                continue;
            while (tail > head && sign * sdb_bson_value_cmp(&vals[dq[tail - 1]], v) > 0)
                tail--;
            dq[tail++] = next;
        }
        while (tail > head && dq[head] < los[i])
            head++;
        if (tail > head)
            bson_value_copy(&vals[dq[head]], &res[i]);
        else
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
    }
    bson_free(dq);
}

/* eval_minmax -- $min/$max: the deque when the windows slide, else eval_acc. */
static int
eval_minmax(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    size_t n = p->n ? p->n : 1, *los = bson_malloc(n * sizeof(*los));
    size_t *his = bson_malloc(n * sizeof(*his));
    bool *nones = bson_malloc(n * sizeof(*nones)), suffix;
    bson_value_t *vals = NULL;
    int ret = 0;

    SDB_ERR(window_ranges(o, p, los, his, nones, &suffix, err));
    if (!monotone(los, his, nones, p->n)) {
        ret = eval_acc(o, p, res, err);
        goto err;
    }
    SDB_ERR(eval_inputs(wk_acc_input(&o->acc), p, &vals, err));
    minmax_deque(strcmp(o->op->name, "$min") == 0, vals, los, his, nones, p->n, res);
err:
    free_vals(vals, p->n);
    bson_free(los);
    bson_free(his);
    bson_free(nones);
    return ret;
}

/* eval_endpoint -- $first/$last of a window: the input at its first/last document, as it is
 * (missing stays missing, leaving the field out); null for an empty window. */
static int
eval_endpoint(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bool last = strcmp(o->op->name, "$last") == 0, none;
    size_t lo, hi;

    for (size_t i = 0; i < p->n; i++) {
        SDB_RET(wk_win_range(&o->win, p, i, &lo, &hi, &none, err));
        if (none)
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
        else
            SDB_RET(wk_agg_eval_op(wk_acc_input(&o->acc), p->docs[last ? hi : lo], p->ctx->op,
                                   &res[i], err));
    }
    return 0;
}

/* ---- $rank $denseRank $documentNumber -------------------------------------------------- */

static int
parse_rank(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    const char *name = bson_iter_key(fn);
    bson_iter_t it;

    SDB_UNUSED(o);
    if (!BSON_ITER_HOLDS_DOCUMENT(fn) || !bson_iter_recurse(fn, &it) || bson_iter_next(&it))
        return sdb_error_set(err, SDB_CODE_Location5371603,
                             "%s must be specified with '{}' as the value", name);
    if (!si->present || si->nfields != 1)
        return sdb_error_set(err, SDB_CODE_Location5371602,
                             "%s must be specified with a top level sortBy expression with "
                             "exactly one element",
                             name);
    return 0;
}

static bool
nullish(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
           v->value_type == BSON_TYPE_UNDEFINED;
}

/* same_sort_value -- documents i-1 and i tie on the sortBy field. */
static bool
same_sort_value(const wk_win_part_t *p, size_t i)
{
    const bson_value_t *a = &p->sortv[i - 1], *b = &p->sortv[i];

    if (nullish(a) && nullish(b))
        return true;
    if (a->value_type == BSON_TYPE_ARRAY || b->value_type == BSON_TYPE_ARRAY)
        return wk_sort_cmp(p->sort, p->docs[i - 1], p->docs[i]) == 0;
    return sdb_collation_value_cmp(p->ctx->collation, a, b) == 0;
}

static void
int_or_long(bson_value_t *v, int64_t x)
{
    memset(v, 0, sizeof(*v));
    if (x <= INT32_MAX) {
        v->value_type = BSON_TYPE_INT32;
        v->value.v_int32 = (int32_t)x;
    } else {
        v->value_type = BSON_TYPE_INT64;
        v->value.v_int64 = x;
    }
}

static int
eval_rank(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    const char *name = o->op->name;
    int64_t rank = 0;

    SDB_UNUSED(err);
    for (size_t i = 0; i < p->n; i++) {
        bool tie = i > 0 && p->sortv != NULL && same_sort_value(p, i);

        if (strcmp(name, "$documentNumber") == 0)
            rank = (int64_t)i + 1;
        else if (strcmp(name, "$rank") == 0)
            rank = tie ? rank : (int64_t)i + 1;
        else
            rank = tie ? rank : rank + 1;
        int_or_long(&res[i], rank);
    }
    return 0;
}

/* ---- $shift ---------------------------------------------------------------------------- */

/* refers_to_fields -- an expression that reads a field or variable ("$x", "$$v") outside a
 * $literal: not the constant $shift's default must be. */
static bool
refers_to_fields(const bson_value_t *v)
{
    bson_iter_t it;
    bson_t view;

    if (v->value_type == BSON_TYPE_UTF8)
        return v->value.v_utf8.len > 0 && v->value.v_utf8.str[0] == '$';
    if (!wk_agg_value_doc(v, &view) || !bson_iter_init(&it, &view))
        return false;
    while (bson_iter_next(&it))
        if (strcmp(bson_iter_key(&it), "$literal") != 0 && refers_to_fields(bson_iter_value(&it)))
            return true;
    return false;
}

static int
parse_shift(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    bson_iter_t it;
    bool have_by = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(fn))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "Argument to $shift must be an object");
    bson_iter_recurse(fn, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "output") == 0) {
            SDB_RET(wk_expr_parse(&it, &o->input, err));
        } else if (strcmp(k, "by") == 0) {
            const bson_value_t *v = bson_iter_value(&it);

            if (!wk_num_is(v) || !wk_dec_is_integral(wk_dec_from_value(v)) ||
                fabs(wk_num_double(v)) > INT32_MAX) {
                char shown[64];

                if (wk_num_is(v))
                    snprintf(shown, sizeof(shown), "%g", wk_num_double(v));
                else
                    bson_strncpy(shown, wk_agg_type_name(v->value_type), sizeof(shown));
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'$shift:by' field must be an integer, but found  by: %s",
                                     shown);
            }
            o->by = (int64_t)wk_num_double(v);
            have_by = true;
        } else if (strcmp(k, "default") == 0) {
            SDB_RET(wk_expr_parse(&it, &o->dflt, err));
            if (refers_to_fields(bson_iter_value(&it)))
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'$shift:default' expression must yield a constant value.");
        } else {
            return sdb_error_set(err, SDB_CODE_FailedToParse, "Unknown argument in $shift");
        }
    }
    if (o->input == NULL)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$shift requires an 'output' expression.");
    if (!have_by)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$shift requires 'by' as an integer value.");
    if (!si->present)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "'$shift' requires a sortBy");
    return 0;
}

static int
eval_shift(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bson_t empty = BSON_INITIALIZER;
    int ret = 0;

    for (size_t i = 0; i < p->n; i++) {
        int64_t j = (int64_t)i + o->by;

        if (j >= 0 && j < (int64_t)p->n)
            SDB_ERR(wk_agg_eval_op(o->input, p->docs[j], p->ctx->op, &res[i], err));
        else if (o->dflt != NULL)
            SDB_ERR(wk_agg_eval_op(o->dflt, &empty, p->ctx->op, &res[i], err));
        else
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
    }
err:
    bson_destroy(&empty);
    return ret;
}

/* ---- $expMovingAvg --------------------------------------------------------------------- */

static int
parse_ema(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    bson_iter_t it;
    bool have_n = false, have_alpha = false;
    int nf = 0;
    static const char two[] = "$expMovingAvg sub object must have exactly two fields: An 'input' "
                              "field, and either an 'N' field or an 'alpha' field";

    if (!BSON_ITER_HOLDS_DOCUMENT(fn))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$expMovingAvg must have exactly one argument that is an object");
    bson_iter_recurse(fn, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        const bson_value_t *v = bson_iter_value(&it);

        nf++;
        if (strcmp(k, "input") == 0) {
            wk_expr_free(o->input);
            o->input = NULL;
            SDB_RET(wk_expr_parse(&it, &o->input, err));
        } else if (strcmp(k, "N") == 0) {
            if (!wk_num_is(v))
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'N' field must be an integer, but found type %s",
                                     wk_agg_type_name(v->value_type));
            if (wk_num_double(v) != floor(wk_num_double(v)))
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'N' field must be an integer, but found  N: %g. To use a "
                                     "non-integer, use the 'alpha' argument instead",
                                     wk_num_double(v));
            if (wk_num_double(v) <= 0)
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'N' must be greater than zero. Got %lld",
                                     (long long)wk_num_double(v));
            o->alpha_dec =
                wk_dec_div(wk_dec_from_int64(2), wk_dec_from_int64((int64_t)wk_num_double(v) + 1));
            have_n = true;
        } else if (strcmp(k, "alpha") == 0) {
            if (!wk_num_is(v))
                return sdb_error_set(err, SDB_CODE_FailedToParse, "'alpha' must be a number");
            o->alpha_dec = wk_dec_from_value(v);
            if (wk_num_double(v) <= 0 || wk_num_double(v) >= 1)
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "'alpha' must be between 0 and 1 (exclusive), found alpha: "
                                     "%g",
                                     wk_num_double(v));
            have_alpha = true;
        }
    }
    if (nf != 2 || o->input == NULL)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s", two);
    if (!si->present)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$expMovingAvg requires an explicit 'sortBy'");
    if (!have_n && !have_alpha)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Got unrecognized field in $expMovingAvg%s", two);
    return 0;
}

/* eval_ema -- mongod's arithmetic: every step in decimal, answered as a double unless a
 * decimal came in; non-numbers leave the average as it was (null before the first number). */
static int
eval_ema(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    wk_dec_t cur = wk_dec_from_int64(0), one = wk_dec_from_int64(1);
    bool init = false, dec = false;
    bson_value_t v;
    int ret = 0;

    for (size_t i = 0; i < p->n; i++) {
        SDB_RET(wk_agg_eval_op(o->input, p->docs[i], p->ctx->op, &v, err));
        if (wk_num_is(&v)) {
            wk_dec_t x = wk_dec_from_value(&v);

            dec = dec || v.value_type == BSON_TYPE_DECIMAL128;
            cur = !init ? x
                        : wk_dec_add(wk_dec_mul(x, o->alpha_dec),
                                     wk_dec_mul(cur, wk_dec_sub(one, o->alpha_dec)));
            init = true;
        }
        wk_acc_val_clear(&v);
        if (!init) {
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
        } else if (dec) {
            wk_dec_value(&res[i], cur);
        } else {
            wk_acc_val_set(&res[i], BSON_TYPE_DOUBLE);
            res[i].value.v_double = wk_dec_to_double(cur);
        }
    }
    return ret;
}

/* ---- $derivative $integral ------------------------------------------------------------- */

static const struct {
    const char *name;
    int64_t ms;
} unit_ms[] = {
    {"week", 604800000}, {"day", 86400000}, {"hour", 3600000}, {"minute", 60000}, {"second", 1000},
    {"millisecond", 1},  {"year", -1},      {"quarter", -1},   {"month", -1},
};

static int
parse_time_unit(const bson_iter_t *it, int64_t *ms, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "unit' must be a string, but got %s",
                             wk_agg_type_name(bson_iter_type(it)));
    for (size_t i = 0; i < sizeof(unit_ms) / sizeof(unit_ms[0]); i++)
        if (strcmp(unit_ms[i].name, bson_iter_utf8(it, NULL)) == 0) {
            if (unit_ms[i].ms < 0)
                return sdb_error_set(err, SDB_CODE_Location5490710,
                                     "unit must be 'week' or smaller");
            *ms = unit_ms[i].ms;
            return 0;
        }
    return sdb_error_set(err, SDB_CODE_FailedToParse, "unknown time unit value: %s",
                         bson_iter_utf8(it, NULL));
}

/* parse_calculus -- {input, unit} of $derivative and $integral, after their sortBy rules. */
static int
parse_calculus(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o,
               sdb_error_t *err)
{
    const char *name = bson_iter_key(fn);
    bson_iter_t it;

    if (!si->present)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s requires a sortBy", name);
    if (si->nfields != 1)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s requires a non-compound sortBy",
                             name);
    if (!BSON_ITER_HOLDS_DOCUMENT(fn))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s expects an object, but got a %s",
                             name, wk_agg_type_name(bson_iter_type(fn)));
    bson_iter_recurse(fn, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "input") == 0)
            SDB_RET(wk_expr_parse(&it, &o->input, err));
        else if (strcmp(bson_iter_key(&it), "unit") == 0)
            SDB_RET(parse_time_unit(&it, &o->unit_ms, err));
        else
            return sdb_error_set(err, SDB_CODE_FailedToParse, "%s got unexpected argument: %s",
                                 name, bson_iter_key(&it));
    }
    if (o->input == NULL)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s requires an 'input' expression",
                             name);
    if (strcmp(name, "$derivative") == 0 && !o->has_window)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$derivative requires explicit window bounds");
    return 0;
}

/* x_of -- a sortBy value as milliseconds (a date, with a unit) or a number (without), with
 * mongod's checks: $derivative's 5624900..5624902, $integral's 5423901..5423902. */
static int
x_of(const wk_win_out_t *o, const bson_value_t *x, double *out, sdb_error_t *err)
{
    bool deriv = strcmp(o->op->name, "$derivative") == 0;

    if (o->unit_ms > 0) {
        if (x->value_type != BSON_TYPE_DATE_TIME)
            return deriv ? sdb_error_set(err, SDB_CODE_Location5624900,
                                         "$derivative with 'unit' expects the sortBy field to be "
                                         "a Date")
                         : sdb_error_set(err, SDB_CODE_Location5423901,
                                         "$integral with 'outputUnit' expects the sortBy field to "
                                         "be a Date");
        *out = (double)x->value.v_datetime;
        return 0;
    }
    if (deriv && x->value_type == BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location5624901,
                             "$derivative where the sortBy is a Date requires an 'unit'");
    if (!wk_num_is(x))
        return deriv ? sdb_error_set(err, SDB_CODE_Location5624902,
                                     "$derivative (with no 'unit') expects the sortBy field to be "
                                     "numeric")
                     : sdb_error_set(err, SDB_CODE_Location5423902,
                                     "$integral (with no 'outputUnit') expects the sortBy field "
                                     "to be numeric");
    *out = wk_num_double(x);
    return 0;
}

/* dec_of -- a distance on the x axis as a decimal: exact for whole numbers (dates are). */
static wk_dec_t
dec_of(double d)
{
    if (d == trunc(d) && fabs(d) < 9007199254740992.0)
        return wk_dec_from_int64((int64_t)d);
    return wk_dec_from_double(d);
}

/* rise -- y1 - y0 of $derivative: 5624903 for null or missing, $subtract's 16556 for other
 * non-numbers. */
static int
rise(const bson_value_t *y0, const bson_value_t *y1, double *out, sdb_error_t *err)
{
    if (nullish(y0) || nullish(y1))
        return sdb_error_set(err, SDB_CODE_Location5624903,
                             "$derivative input must not be null or missing");
    if (!wk_num_is(y0) || !wk_num_is(y1))
        return sdb_error_set(err, SDB_CODE_Location16556, "can't $subtract %s from %s",
                             wk_agg_type_name(y0->value_type), wk_agg_type_name(y1->value_type));
    *out = wk_num_double(y1) - wk_num_double(y0);
    return 0;
}

static int
eval_derivative(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bson_value_t *ys = NULL;
    size_t lo, hi;
    bool none;
    double x0, x1, dy = 0;
    int ret = 0;

    SDB_ERR(eval_inputs(o->input, p, &ys, err));
    for (size_t i = 0; i < p->n; i++) {
        SDB_ERR(wk_win_range(&o->win, p, i, &lo, &hi, &none, err));
        wk_acc_val_set(&res[i], BSON_TYPE_NULL);
        if (none)
            continue;
        SDB_ERR(x_of(o, &p->sortv[lo], &x0, err));
        SDB_ERR(x_of(o, &p->sortv[hi], &x1, err));
        SDB_ERR(rise(&ys[lo], &ys[hi], &dy, err));
        if (x1 == x0) /* one document, or no time between them: no slope */
            continue;
        if (ys[lo].value_type == BSON_TYPE_DECIMAL128 ||
            ys[hi].value_type == BSON_TYPE_DECIMAL128) { /* mongod's $subtract/$divide: decimal */
            wk_dec_t d =
                wk_dec_div(wk_dec_sub(wk_dec_from_value(&ys[hi]), wk_dec_from_value(&ys[lo])),
                           dec_of(x1 - x0));

            if (o->unit_ms > 0)
                d = wk_dec_mul(d, wk_dec_from_int64(o->unit_ms));
            wk_dec_value(&res[i], d);
            continue;
        }
        wk_acc_val_set(&res[i], BSON_TYPE_DOUBLE);
        res[i].value.v_double = dy / (x1 - x0) * (o->unit_ms > 0 ? (double)o->unit_ms : 1);
    }
err:
    free_vals(ys, p->n);
    return ret;
}

/* A running trapezoid sum over the points of [lo, hi] (x in milliseconds for dates). */
typedef struct integral {
    size_t lo, hi;
    int64_t points;
    double sum, xa, ya;
    bool nan, valid;
    bool dec;           /* a decimal came in: the result is decimal (mongod's Value arithmetic) */
    wk_dec_t dsum, dya; /* the same sum and last y, exactly */
} integral_t;

static int
integral_extend(const wk_win_out_t *o, const wk_win_part_t *p, const bson_value_t *ys,
                integral_t *t, size_t from, size_t to, sdb_error_t *err)
{
    double xb, yb;

    for (size_t j = from; j <= to; j++) {
        if (!wk_num_is(&ys[j]) ||
            !(wk_num_is(&p->sortv[j]) || p->sortv[j].value_type == BSON_TYPE_DATE_TIME))
            return sdb_error_set(err, SDB_CODE_Location5423900,
                                 "The input value of $integral window function must be a vector "
                                 "of 2 value, the first value must be numeric or date type and "
                                 "the second must be numeric.");
        SDB_RET(x_of(o, &p->sortv[j], &xb, err));
        yb = wk_num_double(&ys[j]);
        t->nan = t->nan || isnan(xb) || isnan(yb);
        t->dec = t->dec || ys[j].value_type == BSON_TYPE_DECIMAL128;
        if (t->points == 0)
            t->dsum = wk_dec_from_int64(0);
        if (t->points++ > 0) {
            t->sum += (yb + t->ya) * (xb - t->xa) / 2.0;
            t->dsum = wk_dec_add(
                t->dsum, wk_dec_div(wk_dec_mul(wk_dec_add(wk_dec_from_value(&ys[j]), t->dya),
                                               dec_of(xb - t->xa)),
                                    wk_dec_from_int64(2)));
        }
        t->dya = wk_dec_from_value(&ys[j]);
        t->xa = xb;
        t->ya = yb;
    }
    t->hi = to;
    return 0;
}

/* integral_value -- mongod's result: NaN once a NaN came in, an int 0 for a single point
 * without a unit, else the sum (per unit). */
static void
integral_value(const wk_win_out_t *o, const integral_t *t, bson_value_t *out)
{
    if (t->points == 1 && o->unit_ms == 0 && !t->nan) {
        wk_acc_val_set(out, BSON_TYPE_INT32);
        return;
    }
    if (t->dec && !t->nan) {
        wk_dec_value(out,
                     o->unit_ms > 0 ? wk_dec_div(t->dsum, wk_dec_from_int64(o->unit_ms)) : t->dsum);
        return;
    }
    wk_acc_val_set(out, BSON_TYPE_DOUBLE);
    out->value.v_double = t->nan ? NAN : t->sum / (o->unit_ms > 0 ? (double)o->unit_ms : 1);
}

static int
eval_integral(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bson_value_t *ys = NULL;
    integral_t t = {0};
    size_t lo, hi;
    bool none;
    int ret = 0;

    SDB_ERR(eval_inputs(o->input, p, &ys, err));
    for (size_t i = 0; i < p->n; i++) {
        SDB_ERR(wk_win_range(&o->win, p, i, &lo, &hi, &none, err));
        if (none) {
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
            continue;
        }
        if (t.valid && t.lo == lo && hi >= t.hi) { /* the window only grew to the right */
            if (hi > t.hi)
                SDB_ERR(integral_extend(o, p, ys, &t, t.hi + 1, hi, err));
        } else {
            memset(&t, 0, sizeof(t));
            t.lo = lo;
            t.valid = true;
            SDB_ERR(integral_extend(o, p, ys, &t, lo, hi, err));
        }
        integral_value(o, &t, &res[i]);
    }
err:
    free_vals(ys, p->n);
    return ret;
}

/* ---- $linearFill $locf ----------------------------------------------------------------- */

/* date_or_num -- a number, or a date as milliseconds. */
static bool
date_or_num(const bson_value_t *v, double *out)
{
    if (v->value_type == BSON_TYPE_DATE_TIME) {
        *out = (double)v->value.v_datetime;
        return true;
    }
    *out = wk_num_double(v);
    return wk_num_is(v);
}

static int
parse_input(const bson_iter_t *fn, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    if (strcmp(bson_iter_key(fn), "$linearFill") == 0 && (!si->present || si->nfields != 1))
        return sdb_error_set(err, SDB_CODE_Location605001,
                             "$linearFill must be specified with a top level sortBy expression "
                             "with exactly one element");
    return wk_expr_parse(fn, &o->input, err);
}

static int
eval_locf(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bson_value_t *ys = NULL;
    const bson_value_t *last = NULL;
    int ret = 0;

    SDB_ERR(eval_inputs(o->input, p, &ys, err));
    for (size_t i = 0; i < p->n; i++) {
        if (!nullish(&ys[i]))
            last = &ys[i];
        if (last != NULL)
            bson_value_copy(last, &res[i]);
        else
            wk_acc_val_set(&res[i], BSON_TYPE_NULL);
    }
err:
    free_vals(ys, p->n);
    return ret;
}

/* fill_check -- mongod's checks of document i for $linearFill (all TypeMismatch but the
 * repeated sort value, 6050106). */
static int
fill_check(const wk_win_part_t *p, const bson_value_t *ys, size_t i, sdb_error_t *err)
{
    const bson_value_t *x = &p->sortv[i], *prev = i > 0 ? &p->sortv[i - 1] : NULL;
    bool date = x->value_type == BSON_TYPE_DATE_TIME;

    if (!wk_num_is(&ys[i]) && !nullish(&ys[i]))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Value to be filled must be numeric or nullish, but found %s",
                             wk_agg_type_name(ys[i].value_type));
    if (!wk_num_is(x) && !date)
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Value of the sortBy field must be numeric or a date, but found %s",
                             wk_agg_type_name(x->value_type));
    if (prev != NULL && sdb_bson_value_cmp(prev, x) == 0)
        return sdb_error_set(err, SDB_CODE_Location6050106,
                             "There can be no repeated values in the sort field");
    if (prev != NULL && (prev->value_type == BSON_TYPE_DATE_TIME) != date)
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Conflicting sort value types, previously received type %s, but "
                             "found %s",
                             wk_agg_type_name(prev->value_type), wk_agg_type_name(x->value_type));
    return 0;
}

/* eval_linear_fill -- y1 + (x - x1) * ((y2 - y1) / (x2 - x1)) between the nearest non-null
 * values on either side; null where one side has none. */
static int
eval_linear_fill(const wk_win_out_t *o, const wk_win_part_t *p, bson_value_t *res, sdb_error_t *err)
{
    bson_value_t *ys = NULL;
    size_t prev = SIZE_MAX, next = 0;
    int ret = 0;

    SDB_ERR(eval_inputs(o->input, p, &ys, err));
    for (size_t i = 0; i < p->n; i++) {
        double xa, xb, xi, ya, yb;

        SDB_ERR(fill_check(p, ys, i, err));
        if (!nullish(&ys[i])) {
            bson_value_copy(&ys[i], &res[i]);
            prev = i;
            continue;
        }
        wk_acc_val_set(&res[i], BSON_TYPE_NULL);
        for (next = next > i ? next : i; next < p->n && nullish(&ys[next]); next++)
            ;
        if (prev == SIZE_MAX || next >= p->n || !wk_num_is(&ys[next]))
            continue;
        date_or_num(&p->sortv[prev], &xa);
        date_or_num(&p->sortv[next], &xb);
        date_or_num(&p->sortv[i], &xi);
        ya = wk_num_double(&ys[prev]);
        yb = wk_num_double(&ys[next]);
        wk_acc_val_set(&res[i], BSON_TYPE_DOUBLE);
        res[i].value.v_double = ya + (xi - xa) * ((yb - ya) / (xb - xa));
    }
err:
    free_vals(ys, p->n);
    return ret;
}

/* ---- the table ------------------------------------------------------------------------- */

#define B WK_WIN_BOUNDS
static const wk_win_op_t win_ops[] = {
    {"$sum", parse_acc, eval_acc, B},
    {"$avg", parse_acc, eval_acc, B},
    {"$min", parse_acc, eval_minmax, B},
    {"$max", parse_acc, eval_minmax, B},
    {"$count", parse_acc, eval_acc, B},
    {"$push", parse_acc, eval_acc, B},
    {"$addToSet", parse_acc, eval_acc, B},
    {"$first", parse_acc, eval_endpoint, B},
    {"$last", parse_acc, eval_endpoint, B},
    {"$stdDevPop", parse_acc, eval_acc, B},
    {"$stdDevSamp", parse_acc, eval_acc, B},
    {"$covariancePop", parse_acc, eval_acc, B},
    {"$covarianceSamp", parse_acc, eval_acc, B},
    {"$minN", parse_acc, eval_acc, B},
    {"$maxN", parse_acc, eval_acc, B},
    {"$firstN", parse_acc, eval_acc, B},
    {"$lastN", parse_acc, eval_acc, B},
    {"$topN", parse_acc, eval_acc, B},
    {"$bottomN", parse_acc, eval_acc, B},
    {"$top", parse_acc, eval_acc, B},
    {"$bottom", parse_acc, eval_acc, B},
    {"$median", parse_acc, eval_acc, B},
    {"$percentile", parse_acc, eval_acc, B},
    {"$rank", parse_rank, eval_rank, WK_WIN_RANK},
    {"$denseRank", parse_rank, eval_rank, WK_WIN_RANK},
    {"$documentNumber", parse_rank, eval_rank, WK_WIN_RANK},
    {"$shift", parse_shift, eval_shift, 0, "$shift does not accept a 'window' field"},
    {"$expMovingAvg", parse_ema, eval_ema, 0,
     "$expMovingAvg must have exactly one argument that is an object"},
    {"$derivative", parse_calculus, eval_derivative, B},
    {"$integral", parse_calculus, eval_integral, B},
    {"$linearFill", parse_input, eval_linear_fill, 0},
    {"$locf", parse_input, eval_locf, 0},
};
#undef B

const wk_win_op_t *
wk_win_find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(win_ops) / sizeof(win_ops[0]); i++)
        if (strcmp(win_ops[i].name, name) == 0)
            return &win_ops[i];
    return NULL;
}
