/*
 * src/worker/query/expr_accum.c -- the accumulators mongod also accepts as expressions:
 * $sum $avg $stdDevPop $stdDevSamp $median $percentile (in $project, $addFields, $expr...).
 *
 * With one argument that evaluates to an array, the operator folds the array's elements; with
 * several arguments (or one that is not an array) it folds the arguments' values, arrays among
 * them ignored as non-numbers.  The arithmetic is stats.c's, shared with $group and
 * $setWindowFields, so the three answer the same.  $median and $percentile take named
 * arguments {input, p, method}; their checks follow mongod's IDL parser (40413 duplicate,
 * 40414 missing, 40415 unknown, 14 wrong type) and its `p` rules (7750300..7750303), and
 * wk_quantile_parse lets the accumulator and window forms parse through the same code.
 *
 * Invariants: the table is constant; evaluation allocates only its result.
 */
#include "expr_int.h"
#include "num.h"
#include "stats.h"
#include "tdigest.h"

#include "../../common/sdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- $sum $avg $stdDevPop $stdDevSamp ---------------------------------------------------- */

/* fold_kind -- what an operator accumulates. */
enum {
    FOLD_SUM,
    FOLD_AVG,
    FOLD_POP,
    FOLD_SAMP
};

static void
fold_one(int kind, wk_sum_t *s, wk_stddev_t *sd, const bson_value_t *v)
{
    if (kind == FOLD_SUM || kind == FOLD_AVG)
        wk_sum_add(s, v);
    else
        wk_stddev_add(sd, v);
}

static int
op_fold(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const char *name = e->op->name;
    int kind = strcmp(name, "$sum") == 0         ? FOLD_SUM
               : strcmp(name, "$avg") == 0       ? FOLD_AVG
               : strcmp(name, "$stdDevPop") == 0 ? FOLD_POP
                                                 : FOLD_SAMP;
    bson_value_t v[WK_EXPR_MAX_ARGS], *items = NULL;
    wk_stddev_t sd;
    wk_sum_t s;
    size_t n;

    wk_sum_init(&s);
    memset(&sd, 0, sizeof(sd));
    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (e->n == 1 && v[0].value_type == BSON_TYPE_ARRAY) {
        n = wk_array_items(&v[0], &items);
        for (size_t i = 0; i < n; i++)
            fold_one(kind, &s, &sd, &items[i]);
        bson_free(items);
    } else {
        for (size_t i = 0; i < e->n; i++)
            fold_one(kind, &s, &sd, &v[i]);
    }
    if (kind == FOLD_SUM)
        wk_sum_value(&s, out);
    else if (kind == FOLD_AVG)
        wk_sum_avg(&s, out);
    else
        wk_stddev_value(&sd, kind == FOLD_SAMP, out);
    wk_expr_args_free(e, v);
    return 0;
}

/* ---- $median $percentile ------------------------------------------------------------------ */

/* constant_tree -- an expression that reads no field or variable and is not $rand: what
 * mongod's optimize() folds into a constant. */
static bool
constant_tree(const wk_expr_t *e)
{
    if (e->kind == WK_EX_FIELD || (e->kind == WK_EX_OP && strcmp(e->op->name, "$rand") == 0))
        return false;
    for (size_t i = 0; i < e->n; i++)
        if (!constant_tree(e->kids[i]))
            return false;
    return true;
}

/* p_value -- the value of a constant `p` (owned by the caller); false when `p` is not
 * constant or fails to evaluate. */
static bool
p_value(const wk_expr_t *p, bson_value_t *out)
{
    bson_t empty = BSON_INITIALIZER;
    sdb_error_t err = {0};
    bool ok;

    memset(out, 0, sizeof(*out));
    ok = constant_tree(p) && wk_expr_eval(p, &empty, out, &err) == 0;
    bson_destroy(&empty);
    return ok;
}

static int
check_p(const wk_expr_t *p, sdb_error_t *err)
{
    static const char msg[] =
        "The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: %s";
    bson_value_t v, *items = NULL;
    char buf[64];
    size_t n;
    int ret = 0;

    if (!p_value(p, &v))
        return sdb_error_set(err, SDB_CODE_Location7750300,
                             "The $percentile 'p' field must be an array of constant values");
    if (v.value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, SDB_CODE_Location7750301, msg, wk_value_type_name(&v));
        wk_value_clear(&v);
        return ret;
    }
    n = wk_array_items(&v, &items);
    if (n == 0)
        ret = sdb_error_set(err, SDB_CODE_Location7750301, msg, "[]");
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (!wk_num_is(&items[i])) {
            ret = sdb_error_set(err, SDB_CODE_Location7750302, msg, wk_value_type_name(&items[i]));
        } else if (wk_num_double(&items[i]) < 0 || wk_num_double(&items[i]) > 1) {
            wk_double_string(wk_num_double(&items[i]), buf, sizeof(buf));
            ret = sdb_error_set(err, SDB_CODE_Location7750303, msg, buf);
        }
    }
    bson_free(items);
    wk_value_clear(&v);
    return ret;
}

/* check_quantile -- mongod's IDL rules for {input, p, method}, then p, then method. */
static int
check_quantile(const wk_expr_t *e, sdb_error_t *err)
{
    const char *name = e->op->name;
    bool median = strcmp(name, "$median") == 0;
    const char *const fields[] = {"input", "p", "method"};
    const wk_expr_t *m;

    if (e->n == 0 || e->keys[0] == NULL)
        return sdb_error_set(err, median ? SDB_CODE_Location7436201 : SDB_CODE_Location7436200,
                             "specification must be an object; found %s",
                             e->n == 0 ? "[]" : "a non-object");
    for (size_t i = 0; i < e->n; i++) {
        bool known = strcmp(e->keys[i], "input") == 0 || strcmp(e->keys[i], "method") == 0 ||
                     (!median && strcmp(e->keys[i], "p") == 0);
        if (!known)
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '%s.%s' is an unknown field.", name, e->keys[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(e->keys[i], e->keys[j]) == 0)
                return sdb_error_set(err, SDB_CODE_Location40413,
                                     "BSON field '%s.%s' is a duplicate field", name, e->keys[i]);
        if (strcmp(e->keys[i], "method") == 0 &&
            (e->kids[i]->kind != WK_EX_CONST || e->kids[i]->cst.value_type != BSON_TYPE_UTF8))
            return sdb_error_set(
                err, SDB_CODE_TypeMismatch,
                "BSON field '%s.method' is the wrong type '%s', expected type "
                "'string'",
                name,
                e->kids[i]->kind == WK_EX_CONST ? wk_value_type_name(&e->kids[i]->cst) : "object");
    }
    for (size_t f = 0; f < 3; f++)
        if ((!median || f != 1) && wk_expr_kid(e, fields[f]) == NULL)
            return sdb_error_set(err, SDB_CODE_Location40414,
                                 "BSON field '%s.%s' is missing but a required field", name,
                                 fields[f]);
    if (!median)
        SDB_RET(check_p(wk_expr_kid(e, "p"), err));
    m = wk_expr_kid(e, "method");
    if (strcmp(m->cst.value.v_utf8.str, "approximate") != 0)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Currently only 'approximate' can be used as a percentile 'method'.");
    return 0;
}

size_t
wk_quantile_ps(const wk_expr_t *tree, double *ps, size_t max)
{
    const wk_expr_t *p = wk_expr_kid(tree, "p");
    bson_value_t v, *items = NULL;
    size_t n;

    if (p == NULL) { /* $median */
        if (max > 0)
            ps[0] = 0.5;
        return 1;
    }
    p_value(p, &v); /* checked when parsed: a constant array of numbers */
    n = wk_array_items(&v, &items);
    for (size_t i = 0; i < n && i < max; i++)
        ps[i] = wk_num_double(&items[i]);
    bson_free(items);
    wk_value_clear(&v);
    return n;
}

const wk_expr_t *
wk_quantile_input(const wk_expr_t *tree)
{
    return wk_expr_kid(tree, "input");
}

int
wk_quantile_parse(const char *name, const bson_value_t *args, wk_expr_t **tree, sdb_error_t *err)
{
    bson_t doc = BSON_INITIALIZER, op;
    bson_iter_t it;
    int ret;

    BSON_APPEND_DOCUMENT_BEGIN(&doc, "v", &op);
    bson_append_value(&op, name, -1, args);
    bson_append_document_end(&doc, &op);
    bson_iter_init(&it, &doc);
    bson_iter_next(&it);
    ret = wk_expr_parse(&it, tree, err);
    bson_destroy(&doc);
    return ret;
}

/* A source of percentiles: pick answers percentile p, the i-th asked; false when empty. */
typedef bool (*quantile_pick_fn)(void *src, double p, size_t i, double *v);

/* quantile_out -- the operator's result shape around its source: a double (or null) for
 * $median, an array of doubles (or of nulls) for $percentile. */
static void
quantile_out(const wk_expr_t *tree, quantile_pick_fn pick, void *src, bson_value_t *out)
{
    size_t np = wk_quantile_ps(tree, NULL, 0);
    double *ps = bson_malloc(np * sizeof(*ps)), v;
    bson_t arr = BSON_INITIALIZER;
    char key[16];
    const char *k;

    if (wk_expr_kid(tree, "p") == NULL) { /* $median */
        if (pick(src, 0.5, 0, &v))
            wk_value_double(out, v);
        else
            wk_value_null(out);
        bson_destroy(&arr);
        bson_free(ps);
        return;
    }
    wk_quantile_ps(tree, ps, np);
    for (size_t i = 0; i < np; i++) {
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        if (pick(src, ps[i], i, &v))
            bson_append_double(&arr, k, -1, v);
        else
            bson_append_null(&arr, k, -1);
    }
    wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
    bson_free(ps);
}

typedef struct exact_src {
    double *vals;
    size_t n;
} exact_src_t;

static bool
pick_exact(void *src, double p, size_t i, double *v)
{
    exact_src_t *e = src;

    if (e->n == 0)
        return false;
    *v = wk_percentile_of(e->vals, e->n, p, i > 0);
    return true;
}

void
wk_quantile_result(const wk_expr_t *tree, double *vals, size_t n, bson_value_t *out)
{
    exact_src_t src = {vals, 0};

    for (size_t i = 0; i < n; i++) /* NaN is no input to a percentile, as in mongod */
        if (!isnan(vals[i]))
            vals[src.n++] = vals[i];
    quantile_out(tree, pick_exact, &src, out);
}

static bool
pick_digest(void *src, double p, size_t i, double *v)
{
    SDB_UNUSED(i);
    return wk_tdigest_percentile(src, p, v);
}

void
wk_quantile_digest_result(const wk_expr_t *tree, wk_tdigest_t *digest, bson_value_t *out)
{
    quantile_out(tree, pick_digest, digest, out);
}

static int
op_quantile(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t in, *items = NULL;
    double *vals;
    size_t n, k = 0;

    SDB_RET(wk_expr_eval_ctx(wk_quantile_input(e), ctx, &in, err));
    if (in.value_type == BSON_TYPE_ARRAY) {
        n = wk_array_items(&in, &items);
    } else {
        n = 1;
        items = bson_malloc(sizeof(*items));
        items[0] = in;
    }
    vals = bson_malloc((n ? n : 1) * sizeof(*vals));
    for (size_t i = 0; i < n; i++)
        if (wk_num_is(&items[i]))
            vals[k++] = wk_num_double(&items[i]);
    wk_quantile_result(e, vals, k, out);
    bson_free(vals);
    bson_free(items);
    wk_value_clear(&in);
    return 0;
}

const wk_expr_op_t wk_expr_ops_accum[] = {
    {"$sum", 0, -1, op_fold, NULL},
    {"$avg", 0, -1, op_fold, NULL},
    {"$stdDevPop", 0, -1, op_fold, NULL},
    {"$stdDevSamp", 0, -1, op_fold, NULL},
    {"$median", 0, -2, op_quantile, check_quantile},
    {"$percentile", 0, -2, op_quantile, check_quantile},
    {NULL, 0, 0, NULL, NULL},
};
