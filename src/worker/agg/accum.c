/*
 * src/worker/agg/accum.c -- the $group accumulators: $sum $avg $min $max $first $last $push
 * $addToSet $count.
 *
 * The accumulator table is data (acc_defs below): a name, a step function fed one evaluated
 * value per input document, and a final function producing the group's value.  Semantics are
 * mongod's: $sum and $avg ignore non-numbers ($sum of nothing is 0, $avg of nothing is null);
 * $sum keeps the narrowest type that holds the result (int -> long -> double on overflow);
 * $min/$max ignore null and missing; $first/$last turn missing into null; $push and $addToSet
 * skip missing values; $count is {$sum: 1}.  Decimal128 inputs are summed as doubles.
 *
 * Invariants: a state belongs to one group of one stage run; final releases it.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/num.h"

#include <stdlib.h>
#include <string.h>

typedef void (*acc_step_fn)(wk_acc_state_t *st, const bson_value_t *v);
typedef void (*acc_final_fn)(wk_acc_state_t *st, bson_value_t *out);

struct wk_acc_def {
    const char *name;
    acc_step_fn step;
    acc_final_fn final;
};

/* ---- owned values ---------------------------------------------------------------------- */

static void
val_set(bson_value_t *v, bson_type_t t)
{
    memset(v, 0, sizeof(*v));
    v->value_type = t;
}

static void
val_clear(bson_value_t *v)
{
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_destroy(v);
    memset(v, 0, sizeof(*v));
}

/* sum_step -- $sum keeps its integer and double totals apart (as mongod's does) and adds them
 * at the end, so it is not wk_num_fold: [1, 0.1, 0.2] sums to 1.3, not 1.3000000000000003. */
static void
sum_step(wk_acc_state_t *st, const bson_value_t *v)
{
    int64_t x, r;

    if (!wk_num_is(v))
        return;
    if (wk_num_is_fractional(v) || st->ntype == 2) {
        st->ntype = 2;
        st->d += wk_num_double(v);
        return;
    }
    x = wk_num_int64(v);
    if (v->value_type == BSON_TYPE_INT64 && st->ntype == 0)
        st->ntype = 1;
    if (__builtin_add_overflow(st->i, x, &r)) {
        st->ntype = 2;
        st->d += (double)st->i + (double)x;
        st->i = 0;
        return;
    }
    st->i = r;
    if (st->ntype == 0 && (r > INT32_MAX || r < INT32_MIN))
        st->ntype = 1;
}

static void
sum_final(wk_acc_state_t *st, bson_value_t *out)
{
    wk_num_result(out, st->ntype == 2, st->ntype == 1, st->i, st->d + (double)st->i);
}

static void
avg_step(wk_acc_state_t *st, const bson_value_t *v)
{
    if (!wk_num_is(v))
        return;
    st->d += wk_num_double(v);
    st->count++;
}

static void
avg_final(wk_acc_state_t *st, bson_value_t *out)
{
    if (st->count == 0) {
        val_set(out, BSON_TYPE_NULL);
        return;
    }
    val_set(out, BSON_TYPE_DOUBLE);
    out->value.v_double = st->d / (double)st->count;
}

static void
minmax_step(wk_acc_state_t *st, const bson_value_t *v, int sign)
{
    if (v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
        v->value_type == BSON_TYPE_UNDEFINED)
        return;
    if (st->seen && sign * sdb_bson_value_cmp(v, &st->v) >= 0)
        return;
    val_clear(&st->v);
    bson_value_copy(v, &st->v);
    st->seen = true;
}

static void
min_step(wk_acc_state_t *st, const bson_value_t *v)
{
    minmax_step(st, v, 1);
}

static void
max_step(wk_acc_state_t *st, const bson_value_t *v)
{
    minmax_step(st, v, -1);
}

/* value_final -- the kept value, null when none. */
static void
value_final(wk_acc_state_t *st, bson_value_t *out)
{
    if (st->v.value_type == BSON_TYPE_EOD) {
        val_set(out, BSON_TYPE_NULL);
        return;
    }
    *out = st->v;
    memset(&st->v, 0, sizeof(st->v));
}

static void
first_step(wk_acc_state_t *st, const bson_value_t *v)
{
    if (st->seen)
        return;
    st->seen = true;
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_copy(v, &st->v);
}

static void
last_step(wk_acc_state_t *st, const bson_value_t *v)
{
    val_clear(&st->v);
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_copy(v, &st->v);
}

static void
push_value(wk_acc_state_t *st, const bson_value_t *v)
{
    if (st->nvals == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 8;
        st->vals = bson_realloc(st->vals, st->cap * sizeof(*st->vals));
    }
    bson_value_copy(v, &st->vals[st->nvals++]);
}

static void
push_step(wk_acc_state_t *st, const bson_value_t *v)
{
    if (v->value_type != BSON_TYPE_EOD)
        push_value(st, v);
}

static void
add_to_set_step(wk_acc_state_t *st, const bson_value_t *v)
{
    if (v->value_type == BSON_TYPE_EOD)
        return;
    for (size_t i = 0; i < st->nvals; i++)
        if (sdb_bson_value_cmp(&st->vals[i], v) == 0)
            return;
    push_value(st, v);
}

static void
array_final(wk_acc_state_t *st, bson_value_t *out)
{
    bson_t arr = BSON_INITIALIZER;
    char buf[16];
    const char *k;

    for (size_t i = 0; i < st->nvals; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof(buf));
        bson_append_value(&arr, k, -1, &st->vals[i]);
    }
    uint32_t len = 0;

    val_set(out, BSON_TYPE_ARRAY);
    out->value.v_doc.data = bson_destroy_with_steal(&arr, true, &len);
    out->value.v_doc.data_len = len;
}

static const wk_acc_def_t acc_defs[] = {
    {"$sum", sum_step, sum_final},       {"$avg", avg_step, avg_final},
    {"$min", min_step, value_final},     {"$max", max_step, value_final},
    {"$first", first_step, value_final}, {"$last", last_step, value_final},
    {"$push", push_step, array_final},   {"$addToSet", add_to_set_step, array_final},
    {"$count", sum_step, sum_final},
};

int
wk_acc_parse(const char *stage, const bson_iter_t *it, wk_acc_spec_t *spec, sdb_error_t *err)
{
    const char *field = bson_iter_key(it);
    bson_iter_t op, more;
    const char *name;

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
    for (size_t i = 0; i < sizeof(acc_defs) / sizeof(acc_defs[0]); i++)
        if (strcmp(acc_defs[i].name, name) == 0)
            spec->def = &acc_defs[i];
    if (spec->def == NULL)
        return sdb_error_set(err, SDB_CODE_Location15952, "unknown group operator '%s'", name);
    if (BSON_ITER_HOLDS_ARRAY(&op))
        return sdb_error_set(err, SDB_CODE_Location40237, "The %s accumulator is a unary operator",
                             name);
    if (strcmp(name, "$count") == 0) {
        bson_t one = BSON_INITIALIZER;
        bson_iter_t oit;

        if (!BSON_ITER_HOLDS_DOCUMENT(&op) || !bson_iter_recurse(&op, &oit) ||
            bson_iter_next(&oit)) {
            bson_destroy(&one);
            return sdb_error_set(err, SDB_CODE_Location15952,
                                 "$count takes no arguments, i.e. $count:{}");
        }
        BSON_APPEND_INT32(&one, "v", 1);
        bson_iter_init(&oit, &one);
        bson_iter_next(&oit);
        wk_expr_parse(&oit, &spec->arg, err);
        bson_destroy(&one);
    } else {
        SDB_RET(wk_expr_parse(&op, &spec->arg, err));
    }
    spec->field = bson_strdup(field);
    return 0;
}

void
wk_acc_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v)
{
    spec->def->step(st, v);
}

void
wk_acc_final(const wk_acc_spec_t *spec, wk_acc_state_t *st, bson_value_t *out)
{
    memset(out, 0, sizeof(*out));
    spec->def->final(st, out);
    val_clear(&st->v);
    for (size_t i = 0; i < st->nvals; i++)
        bson_value_destroy(&st->vals[i]);
    bson_free(st->vals);
    memset(st, 0, sizeof(*st));
}

void
wk_acc_spec_destroy(wk_acc_spec_t *spec)
{
    bson_free(spec->field);
    wk_expr_free(spec->arg);
    memset(spec, 0, sizeof(*spec));
}
