/*
 * src/worker/query/expr_compare.c -- comparison, boolean and conditional expression operators:
 * $eq $ne $gt $gte $lt $lte $cmp, $and $or $not, $cond $ifNull $switch.
 *
 * Comparisons use the aggregation order (wk_value_cmp: missing and undefined sort below
 * null).  $and, $or, $cond, $ifNull and $switch evaluate their arguments lazily, left to
 * right, and stop as soon as the answer is known, as mongod does.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

static int
op_cmp_common(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    const char *n = e->op->name;
    int c;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    c = wk_value_cmp(&v[0], &v[1]);
    wk_expr_args_free(e, v);
    if (strcmp(n, "$cmp") == 0) {
        wk_value_int32(out, c < 0 ? -1 : c > 0 ? 1 : 0);
        return 0;
    }
    wk_value_bool(out, strcmp(n, "$eq") == 0    ? c == 0
                       : strcmp(n, "$ne") == 0  ? c != 0
                       : strcmp(n, "$gt") == 0  ? c > 0
                       : strcmp(n, "$gte") == 0 ? c >= 0
                       : strcmp(n, "$lt") == 0  ? c < 0
                                                : c <= 0);
    return 0;
}

static int
op_and_or(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool is_and = strcmp(e->op->name, "$and") == 0, t;
    bson_value_t v;
    size_t i;

    for (i = 0; i < e->n; i++) {
        SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        t = wk_expr_truthy(&v);
        wk_value_clear(&v);
        if (t != is_and) {
            wk_value_bool(out, t);
            return 0;
        }
    }
    wk_value_bool(out, is_and);
    return 0;
}

static int
op_not(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    wk_value_bool(out, !wk_expr_truthy(&v));
    wk_value_clear(&v);
    return 0;
}

static int
op_cond(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *parts[3] = {NULL, NULL, NULL};
    static const char *names[3] = {"if", "then", "else"};
    bson_value_t v;
    size_t i, k;
    bool t;

    if (e->n > 0 && e->keys[0] != NULL) {
        for (i = 0; i < e->n; i++) {
            for (k = 0; k < 3 && strcmp(e->keys[i], names[k]) != 0; k++)
                ;
            if (k == 3)
                return sdb_error_set(err, SDB_CODE_Location17083,
                                     "Unrecognized parameter to $cond: %s", e->keys[i]);
            parts[k] = e->kids[i];
        }
        for (k = 0; k < 3; k++)
            if (parts[k] == NULL)
                return sdb_error_set(err, SDB_CODE_Location17080 + (int)k,
                                     "Missing '%s' parameter to $cond", names[k]);
    } else {
        if (e->n != 3)
            return sdb_error_set(err, SDB_CODE_Location16020,
                                 "Expression $cond takes exactly 3 "
                                 "arguments. %d were passed in.",
                                 (int)e->n);
        for (k = 0; k < 3; k++)
            parts[k] = e->kids[k];
    }
    SDB_RET(wk_expr_eval_ctx(parts[0], ctx, &v, err));
    t = wk_expr_truthy(&v);
    wk_value_clear(&v);
    return wk_expr_eval_ctx(parts[t ? 1 : 2], ctx, out, err);
}

static int
op_if_null(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    size_t i;

    for (i = 0; i < e->n; i++) { /* the last argument is the answer as it is, even missing */
        SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, out, err));
        if (!wk_value_nullish(out) || i + 1 == e->n)
            return 0;
        wk_value_clear(out);
    }
    return 0;
}

/* ---- $switch ------------------------------------------------------------------------------- */

static const char *const switch_args[] = {"branches", "default", NULL};
static const char *const switch_req[] = {"branches", NULL};
static const int switch_missing[] = {SDB_CODE_Location40068};

/* check_branch -- one branch: an object with exactly `case` and `then`. */
static int
check_branch(const wk_expr_t *b, sdb_error_t *err)
{
    size_t i;

    if (b->kind != WK_EX_OBJECT)
        return sdb_error_set(err, SDB_CODE_Location40062,
                             "$switch expected each branch to be an object, found: %s",
                             wk_value_type_name(&b->cst));
    for (i = 0; i < b->n; i++)
        if (strcmp(b->keys[i], "case") != 0 && strcmp(b->keys[i], "then") != 0)
            return sdb_error_set(err, SDB_CODE_Location40063,
                                 "$switch found an unknown argument to a branch: %s", b->keys[i]);
    if (wk_expr_kid(b, "case") == NULL)
        return sdb_error_set(err, SDB_CODE_Location40064,
                             "$switch requires each branch have a 'case' expression");
    if (wk_expr_kid(b, "then") == NULL)
        return sdb_error_set(err, SDB_CODE_Location40065,
                             "$switch requires each branch have a 'then' expression.");
    return 0;
}

static int
check_switch(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *br;
    size_t i;

    SDB_RET(wk_expr_check_named(e, switch_args, switch_req, SDB_CODE_Location40060,
                                SDB_CODE_Location40067, switch_missing, err));
    br = wk_expr_kid(e, "branches");
    if (br->kind != WK_EX_ARRAY)
        return sdb_error_set(err, SDB_CODE_Location40061,
                             "$switch expected an array for 'branches', found: %s",
                             wk_value_type_name(&br->cst));
    if (br->n == 0)
        return sdb_error_set(err, SDB_CODE_Location40068, "$switch requires at least one branch.");
    for (i = 0; i < br->n; i++)
        SDB_RET(check_branch(br->kids[i], err));
    return 0;
}

static int
op_switch(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *br = wk_expr_kid(e, "branches"), *dflt = wk_expr_kid(e, "default");
    bson_value_t v;
    size_t i;
    bool t;

    for (i = 0; i < br->n; i++) {
        SDB_RET(wk_expr_eval_ctx(wk_expr_kid(br->kids[i], "case"), ctx, &v, err));
        t = wk_expr_truthy(&v);
        wk_value_clear(&v);
        if (t)
            return wk_expr_eval_ctx(wk_expr_kid(br->kids[i], "then"), ctx, out, err);
    }
    if (dflt == NULL)
        return sdb_error_set(err, SDB_CODE_Location40066,
                             "$switch could not find a matching branch for an input, and no "
                             "default was specified.");
    return wk_expr_eval_ctx(dflt, ctx, out, err);
}

const wk_expr_op_t wk_expr_ops_compare[] = {
    {"$eq", 2, 2, op_cmp_common},
    {"$ne", 2, 2, op_cmp_common},
    {"$gt", 2, 2, op_cmp_common},
    {"$gte", 2, 2, op_cmp_common},
    {"$lt", 2, 2, op_cmp_common},
    {"$lte", 2, 2, op_cmp_common},
    {"$cmp", 2, 2, op_cmp_common},
    {"$and", 0, -1, op_and_or},
    {"$or", 0, -1, op_and_or},
    {"$not", 1, 1, op_not},
    {"$cond", 0, -2, op_cond},
    {"$ifNull", 2, -1, op_if_null},
    {"$switch", 0, -2, op_switch, check_switch},
    {NULL, 0, 0, NULL},
};
