/*
 * src/worker/agg/accum.c -- the accumulators of $group, $bucket and $setWindowFields: $sum
 * $avg $min $max $first $last $push $addToSet $count $mergeObjects $stdDevPop $stdDevSamp
 * $median $percentile, and the window-only $covariancePop $covarianceSamp.
 *
 * The accumulator table is data (acc_defs below): a name, a step function fed one evaluated
 * value per input document, a value function that reads the result without consuming the
 * state (a window asks again after each step), and flags saying where it may be used.  The
 * N-family ($firstN $lastN $minN $maxN $topN $bottomN $top $bottom) lives in accum_n.c and
 * plugs into the same table.  Semantics are mongod's: $sum/$avg/$stdDev* go through
 * query/stats.c (exact integers and decimals, int -> long -> double widening); $min/$max
 * ignore null and missing; $first/$last turn missing into null; $push and $addToSet skip
 * missing values; $count is {$sum: 1}; $mergeObjects skips null and missing and refuses other
 * non-documents (40400); $median/$percentile ignore non-numbers and NaN and answer from
 * mongod's t-digest (query/tdigest.c), except over a sliding window, where they are exact.
 *
 * Invariants: a state belongs to one group (or one window) of one stage run; wk_acc_reset
 * releases it; specs are immutable after parsing.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/num.h"
#include "../query/tdigest.h"

#include <stdlib.h>
#include <string.h>

/* ---- owned values ---------------------------------------------------------------------- */

void
wk_acc_val_set(bson_value_t *v, bson_type_t t)
{
    memset(v, 0, sizeof(*v));
    v->value_type = t;
}

void
wk_acc_val_clear(bson_value_t *v)
{
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_destroy(v);
    memset(v, 0, sizeof(*v));
}

void
wk_acc_push(wk_acc_state_t *st, const bson_value_t *v)
{
    if (st->nvals == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 8;
        st->vals = bson_realloc(st->vals, st->cap * sizeof(*st->vals));
    }
    bson_value_copy(v, &st->vals[st->nvals++]);
}

void
wk_acc_array(const bson_value_t *vals, size_t n, bson_value_t *out)
{
    bson_t arr = BSON_INITIALIZER;
    char buf[16];
    const char *k;
    uint32_t len = 0;

    for (size_t i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof(buf));
        bson_append_value(&arr, k, -1, &vals[i]);
    }
    wk_acc_val_set(out, BSON_TYPE_ARRAY);
    out->value.v_doc.data = bson_destroy_with_steal(&arr, true, &len);
    out->value.v_doc.data_len = len;
}

/* ---- $sum $avg $stdDevPop $stdDevSamp $count ------------------------------------------- */

static int
sum_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    wk_sum_add(&st->sum, v);
    return 0;
}

static void
sum_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    SDB_UNUSED(spec);
    wk_sum_value(&st->sum, out);
}

static bool
sum_remove(wk_acc_state_t *st, const bson_value_t *v)
{
    return !wk_num_is(v) || wk_sum_remove(&st->sum, v);
}

static void
avg_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    SDB_UNUSED(spec);
    wk_sum_avg(&st->sum, out);
}

static int
stddev_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    wk_stddev_add(&st->sd, v);
    return 0;
}

static void
stddev_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    wk_stddev_value(&st->sd, strcmp(spec->def->name, "$stdDevSamp") == 0, out);
}

/* ---- $min $max $first $last ------------------------------------------------------------ */

static int
minmax_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    int sign = strcmp(spec->def->name, "$min") == 0 ? 1 : -1;

    SDB_UNUSED(err);
    if (v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
        v->value_type == BSON_TYPE_UNDEFINED)
        return 0;
    if (st->seen && sign * sdb_bson_value_cmp(v, &st->v) >= 0)
        return 0;
    wk_acc_val_clear(&st->v);
    bson_value_copy(v, &st->v);
    st->seen = true;
    return 0;
}

/* value_final -- the kept value, null when none. */
static void
value_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    SDB_UNUSED(spec);
    if (st->v.value_type == BSON_TYPE_EOD)
        wk_acc_val_set(out, BSON_TYPE_NULL);
    else
        bson_value_copy(&st->v, out);
}

static int
first_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    if (st->seen)
        return 0;
    st->seen = true;
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_copy(v, &st->v);
    return 0;
}

static int
last_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    wk_acc_val_clear(&st->v);
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_copy(v, &st->v);
    return 0;
}

/* ---- $push $addToSet $mergeObjects ------------------------------------------------------ */

static int
push_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    if (v->value_type != BSON_TYPE_EOD)
        wk_acc_push(st, v);
    return 0;
}

static int
add_to_set_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
                sdb_error_t *err)
{
    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    if (v->value_type == BSON_TYPE_EOD)
        return 0;
    for (size_t i = 0; i < st->nvals; i++)
        if (sdb_bson_value_cmp(&st->vals[i], v) == 0)
            return 0;
    wk_acc_push(st, v);
    return 0;
}

static void
array_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    SDB_UNUSED(spec);
    wk_acc_array(st->vals, st->nvals, out);
}

static int
value_cmp(const void *a, const void *b)
{
    return sdb_bson_value_cmp(a, b);
}

/* set_final -- a window's $addToSet answers its values in value order, as mongod's does. */
static void
set_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    bson_value_t *tmp;

    if (!spec->window) {
        array_final(spec, st, out);
        return;
    }
    tmp = bson_malloc((st->nvals ? st->nvals : 1) * sizeof(*tmp));
    if (st->nvals > 0)
        memcpy(tmp, st->vals, st->nvals * sizeof(*tmp));
    qsort(tmp, st->nvals, sizeof(*tmp), value_cmp);
    wk_acc_array(tmp, st->nvals, out);
    bson_free(tmp);
}

static int
merge_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    bson_t acc = BSON_INITIALIZER, view, old;
    bson_iter_t it, f;
    uint32_t len = 0;

    SDB_UNUSED(spec);
    if (v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
        v->value_type == BSON_TYPE_UNDEFINED) {
        bson_destroy(&acc);
        return 0;
    }
    if (v->value_type != BSON_TYPE_DOCUMENT) {
        bson_destroy(&acc);
        return sdb_error_set(err, SDB_CODE_Location40400,
                             "$mergeObjects requires object inputs, but input is of type %s",
                             wk_agg_type_name(v->value_type));
    }
    bson_init_static(&view, v->value.v_doc.data, v->value.v_doc.data_len);
    if (st->v.value_type == BSON_TYPE_DOCUMENT) { /* earlier fields keep their place */
        bson_init_static(&old, st->v.value.v_doc.data, st->v.value.v_doc.data_len);
        bson_iter_init(&it, &old);
        while (bson_iter_next(&it)) {
            if (bson_iter_init_find(&f, &view, bson_iter_key(&it)))
                bson_append_iter(&acc, NULL, 0, &f);
            else
                bson_append_iter(&acc, NULL, 0, &it);
        }
        bson_iter_init(&it, &view);
        while (bson_iter_next(&it))
            if (!bson_iter_init_find(&f, &old, bson_iter_key(&it)))
                bson_append_iter(&acc, NULL, 0, &it);
    } else {
        bson_concat(&acc, &view);
    }
    wk_acc_val_clear(&st->v);
    wk_acc_val_set(&st->v, BSON_TYPE_DOCUMENT);
    st->v.value.v_doc.data = bson_destroy_with_steal(&acc, true, &len);
    st->v.value.v_doc.data_len = len;
    return 0;
}

static void
merge_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    bson_t empty = BSON_INITIALIZER;
    uint32_t len = 0;

    SDB_UNUSED(spec);
    if (st->v.value_type == BSON_TYPE_DOCUMENT) {
        bson_value_copy(&st->v, out);
        bson_destroy(&empty);
        return;
    }
    wk_acc_val_set(out, BSON_TYPE_DOCUMENT);
    out->value.v_doc.data = bson_destroy_with_steal(&empty, true, &len);
    out->value.v_doc.data_len = len;
}

/* ---- $median $percentile ---------------------------------------------------------------- */

/* The accumulators feed mongod's t-digest; over a sliding window (whose values leave
 * again) mongod keeps the values and answers exactly, and so does this. */
static int
quantile_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
              sdb_error_t *err)
{
    SDB_UNUSED(err);
    if (!wk_num_is(v))
        return 0;
    if (!spec->exact) {
        if (st->digest == NULL) {
            st->digest = bson_malloc(sizeof(*st->digest));
            wk_tdigest_init(st->digest);
        }
        wk_tdigest_add(st->digest, wk_num_double(v));
        return 0;
    }
    if (st->ndbl == st->dcap) {
        st->dcap = st->dcap ? st->dcap * 2 : 16;
        st->dbls = bson_realloc(st->dbls, st->dcap * sizeof(*st->dbls));
    }
    st->dbls[st->ndbl++] = wk_num_double(v);
    return 0;
}

static void
quantile_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    double *tmp;

    if (!spec->exact) {
        wk_tdigest_t empty;

        /* Reading merges the digest's buffer, as mongod's does at every read: the state's
         * digest is the caller's heap object, changed only in how it holds the same inputs. */
        wk_tdigest_init(&empty);
        wk_quantile_digest_result(spec->quant, st->digest != NULL ? st->digest : &empty, out);
        return;
    }
    tmp = bson_malloc((st->ndbl ? st->ndbl : 1) * sizeof(*tmp));
    if (st->ndbl > 0)
        memcpy(tmp, st->dbls, st->ndbl * sizeof(*tmp));
    wk_quantile_result(spec->quant, tmp, st->ndbl, out);
    bson_free(tmp);
}

/* ---- $covariancePop $covarianceSamp (windows only) ------------------------------------- */

static int
cov_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    bson_value_t xy[2];
    bson_iter_t it;
    bson_t view;
    double x, y, dx;
    int k = 0;

    SDB_UNUSED(spec);
    SDB_UNUSED(err);
    if (v->value_type != BSON_TYPE_ARRAY || !wk_agg_value_doc(v, &view))
        return 0;
    bson_iter_init(&it, &view);
    while (bson_iter_next(&it) && k < 3)
        if (k++ < 2)
            xy[k - 1] = *bson_iter_value(&it);
    if (k != 2 || !wk_num_is(&xy[0]) || !wk_num_is(&xy[1]))
        return 0;
    if (st->dcov == NULL && (xy[0].value_type == BSON_TYPE_DECIMAL128 ||
                             xy[1].value_type == BSON_TYPE_DECIMAL128)) { /* mongod's means go
                                                                           * decimal */
        st->dcov = bson_malloc(3 * sizeof(*st->dcov));
        st->dcov[0] = st->sum.count ? wk_dec_from_double(st->mx) : wk_dec_from_int64(0);
        st->dcov[1] = st->sum.count ? wk_dec_from_double(st->my) : wk_dec_from_int64(0);
        st->dcov[2] = st->sum.count ? wk_dec_from_double(st->cxy) : wk_dec_from_int64(0);
    }
    st->sum.count++;
    if (st->dcov != NULL) {
        wk_dec_t n = wk_dec_from_int64(st->sum.count), ddx, ddy;

        ddx = wk_dec_sub(wk_dec_from_value(&xy[0]), st->dcov[0]);
        st->dcov[0] = wk_dec_add(st->dcov[0], wk_dec_div(ddx, n));
        st->dcov[1] = wk_dec_add(st->dcov[1],
                                 wk_dec_div(wk_dec_sub(wk_dec_from_value(&xy[1]), st->dcov[1]), n));
        ddy = wk_dec_sub(wk_dec_from_value(&xy[1]), st->dcov[1]);
        st->dcov[2] = wk_dec_add(st->dcov[2], wk_dec_mul(ddx, ddy));
        return 0;
    }
    x = wk_num_double(&xy[0]);
    y = wk_num_double(&xy[1]);
    dx = x - st->mx;
    st->mx += dx / (double)st->sum.count;
    st->my += (y - st->my) / (double)st->sum.count;
    st->cxy += dx * (y - st->my);
    return 0;
}

static void
cov_final(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    bool samp = strcmp(spec->def->name, "$covarianceSamp") == 0;
    int64_t n = st->sum.count - (samp ? 1 : 0);

    if (st->sum.count == 0 || n <= 0) {
        wk_acc_val_set(out, BSON_TYPE_NULL);
        return;
    }
    if (st->dcov != NULL &&
        !(st->sum.count == 1 && !samp)) { /* mongod: one point's 0 stays a double */
        wk_dec_value(out, wk_dec_div(st->dcov[2], wk_dec_from_int64(n)));
        return;
    }
    wk_acc_val_set(out, BSON_TYPE_DOUBLE);
    out->value.v_double = st->dcov != NULL ? 0.0 : st->cxy / (double)n;
}

/* ---- the table --------------------------------------------------------------------------- */

#define G WK_ACC_GROUP
#define W WK_ACC_WINDOW
#define O WK_ACC_ORDERLESS
static const wk_acc_def_t acc_defs[] = {
    {"$sum", sum_step, sum_value, G | W | O, sum_remove},
    {"$avg", sum_step, avg_value, G | W | O, sum_remove},
    {"$min", minmax_step, value_final, G | W, NULL},
    {"$max", minmax_step, value_final, G | W, NULL},
    {"$first", first_step, value_final, G | W, NULL},
    {"$last", last_step, value_final, G | W, NULL},
    {"$push", push_step, array_final, G | W, NULL},
    {"$addToSet", add_to_set_step, set_final, G | W, NULL},
    {"$count", sum_step, sum_value, G | W | O, sum_remove},
    {"$mergeObjects", merge_step, merge_final, G, NULL},
    {"$stdDevPop", stddev_step, stddev_value, G | W | O, NULL},
    {"$stdDevSamp", stddev_step, stddev_value, G | W | O, NULL},
    {"$median", quantile_step, quantile_final, G | W | O | WK_ACC_QUANTILE, NULL},
    {"$percentile", quantile_step, quantile_final, G | W | O | WK_ACC_QUANTILE, NULL},
    {"$covariancePop", cov_step, cov_final, W | O, NULL},
    {"$covarianceSamp", cov_step, cov_final, W | O, NULL},
    {"$firstN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N, NULL},
    {"$lastN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N, NULL},
    {"$minN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N, NULL},
    {"$maxN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N, NULL},
    {"$topN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N | WK_ACC_SORT, NULL},
    {"$bottomN", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N | WK_ACC_SORT, NULL},
    {"$top", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N | WK_ACC_SORT | WK_ACC_SINGLE, NULL},
    {"$bottom", wk_acc_n_step, wk_acc_n_value, G | W | WK_ACC_N | WK_ACC_SORT | WK_ACC_SINGLE,
     NULL},
    {"$accumulator", wk_acc_js_step, value_final, G, NULL}, /* accum_js.c; wk_acc_finish */
};
#undef G
#undef W
#undef O

const wk_acc_def_t *
wk_acc_find(const char *name, unsigned where)
{
    for (size_t i = 0; i < sizeof(acc_defs) / sizeof(acc_defs[0]); i++)
        if (strcmp(acc_defs[i].name, name) == 0 && (acc_defs[i].flags & where))
            return &acc_defs[i];
    return NULL;
}

/* parse_count -- {$count: {}} is {$sum: 1}. */
static int
parse_count(const bson_iter_t *op, bool window, wk_acc_spec_t *spec, sdb_error_t *err)
{
    bson_t one = BSON_INITIALIZER;
    bson_iter_t oit;
    int ret;

    if (!BSON_ITER_HOLDS_DOCUMENT(op) || !bson_iter_recurse(op, &oit) || bson_iter_next(&oit)) {
        bson_destroy(&one);
        if (window)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "$count only accepts an empty object as input");
        return sdb_error_set(err, SDB_CODE_Location15952,
                             "$count takes no arguments, i.e. $count:{}");
    }
    BSON_APPEND_INT32(&one, "v", 1);
    bson_iter_init(&oit, &one);
    bson_iter_next(&oit);
    ret = wk_expr_parse(&oit, &spec->arg, err);
    bson_destroy(&one);
    return ret;
}

int
wk_acc_parse_op(const bson_iter_t *op, const wk_acc_def_t *def, bool window, wk_acc_spec_t *spec,
                sdb_error_t *err)
{
    const char *name = bson_iter_key(op);

    spec->def = def;
    spec->window = window;
    if (def->step == wk_acc_js_step)
        return wk_acc_js_parse(op, spec, err);
    if (def->flags & WK_ACC_N)
        return wk_acc_n_parse(op, spec, err);
    if (def->flags & WK_ACC_QUANTILE) {
        SDB_RET(wk_quantile_parse(name, bson_iter_value((bson_iter_t *)op), &spec->quant, err));
        return 0;
    }
    if (BSON_ITER_HOLDS_ARRAY(op) && !window) /* a window takes [a, b] as an array expression */
        return sdb_error_set(err, SDB_CODE_Location40237, "The %s accumulator is a unary operator",
                             name);
    if (strcmp(name, "$count") == 0)
        return parse_count(op, window, spec, err);
    return wk_expr_parse(op, &spec->arg, err);
}

int
wk_acc_parse(const char *stage, const bson_iter_t *it, wk_acc_spec_t *spec, sdb_error_t *err)
{
    const char *field = bson_iter_key(it);
    const wk_acc_def_t *def;
    bson_iter_t op, more;
    const char *name;
    int ret;

    memset(spec, 0, sizeof(*spec));
    SDB_UNUSED(stage);
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_Location40234,
                             "The field '%s' must be an accumulator object", field);
    bson_iter_recurse(it, &op);
    if (!bson_iter_next(&op))
        return sdb_error_set(err, SDB_CODE_Location40234,
                             "The field '%s' must be an accumulator object", field);
    more = op;
    if (bson_iter_next(&more))
        return sdb_error_set(err, SDB_CODE_Location40238,
                             "The field '%s' must specify one accumulator", field);
    name = bson_iter_key(&op);
    def = wk_acc_find(name, WK_ACC_GROUP);
    if (def == NULL)
        return sdb_error_set(err, SDB_CODE_Location15952, "unknown group operator '%s'", name);
    ret = wk_acc_parse_op(&op, def, false, spec, err);
    if (ret != 0) {
        wk_acc_spec_destroy(spec); /* a half-parsed spec frees what it took */
        return ret;
    }
    spec->field = bson_strdup(field);
    return 0;
}

const wk_expr_t *
wk_acc_input(const wk_acc_spec_t *spec)
{
    return spec->quant != NULL ? wk_quantile_input(spec->quant) : spec->arg;
}

int
wk_acc_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc, sdb_error_t *err)
{
    const wk_op_t *op = st->op; /* the caller's (agg_int.h) */

    memset(st, 0, sizeof(*st));
    wk_sum_init(&st->sum);
    st->op = op;
    if (spec->def->flags & WK_ACC_N)
        return wk_acc_n_start(spec, st, doc, err);
    if (spec->js != NULL)
        return wk_acc_js_start(spec, st, doc, err);
    return 0;
}

int
wk_acc_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v, sdb_error_t *err)
{
    return spec->def->step(spec, st, v, err);
}

void
wk_acc_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    memset(out, 0, sizeof(*out));
    spec->def->value(spec, st, out);
}

int
wk_acc_finish(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out,
              sdb_error_t *err)
{
    if (spec->js != NULL)
        return wk_acc_js_finish(spec, st, out, err);
    wk_acc_value(spec, st, out);
    return 0;
}

bool
wk_acc_remove(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v)
{
    return spec->def->remove != NULL && spec->def->remove(st, v);
}

void
wk_acc_reset(wk_acc_state_t *st)
{
    const wk_op_t *op = st->op;

    wk_acc_val_clear(&st->v);
    for (size_t i = 0; i < st->nvals; i++)
        bson_value_destroy(&st->vals[i]);
    bson_free(st->vals);
    bson_free(st->dbls);
    if (st->digest != NULL)
        wk_tdigest_free(st->digest);
    bson_free(st->digest);
    bson_free(st->dcov);
    memset(st, 0, sizeof(*st));
    wk_sum_init(&st->sum);
    st->op = op;
}

void
wk_acc_final(const wk_acc_spec_t *spec, wk_acc_state_t *st, bson_value_t *out)
{
    wk_acc_value(spec, st, out);
    wk_acc_reset(st);
}

void
wk_acc_spec_destroy(wk_acc_spec_t *spec)
{
    bson_free(spec->field);
    wk_expr_free(spec->arg);
    wk_expr_free(spec->n);
    wk_expr_free(spec->quant);
    wk_sort_free(spec->sort);
    wk_acc_js_free(spec->js);
    memset(spec, 0, sizeof(*spec));
}

int
wk_acc_parse_count(const char *stage, wk_acc_spec_t **accs, size_t *nacc, sdb_error_t *err)
{
    bson_t acc = BSON_INITIALIZER, one;
    bson_iter_t it;
    int ret;

    BSON_APPEND_DOCUMENT_BEGIN(&acc, "count", &one);
    BSON_APPEND_INT32(&one, "$sum", 1);
    bson_append_document_end(&acc, &one);
    bson_iter_init(&it, &acc);
    bson_iter_next(&it);
    *accs = bson_malloc0(sizeof(**accs));
    ret = wk_acc_parse(stage, &it, &(*accs)[0], err);
    *nacc = ret == 0;
    bson_destroy(&acc);
    return ret;
}
