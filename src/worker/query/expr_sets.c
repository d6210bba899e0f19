/*
 * src/worker/query/expr_sets.c -- set expression operators: $setEquals $setIntersection
 * $setUnion $setDifference $setIsSubset $anyElementTrue $allElementsTrue.
 *
 * Arrays are sets: duplicates (by the aggregation comparison, so 1 and 1.0 are one element)
 * count once and order does not matter.  mongod leaves the order of a result unspecified; here
 * a result lists its elements in the comparison order, so it is deterministic.  A null or
 * missing operand makes $setIntersection, $setUnion and $setDifference null; the predicates
 * refuse it like any other non-array.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

typedef struct set {
    bson_value_t *items; /* views into the argument's array, sorted, unique */
    size_t n;
} set_t;

static int
cmp_values(const void *a, const void *b)
{
    return wk_value_cmp(a, b);
}

/* set_of -- the distinct elements of array `v`, sorted. */
static void
set_of(const bson_value_t *v, set_t *s)
{
    size_t i, k = 0;

    s->n = wk_array_items(v, &s->items);
    qsort(s->items, s->n, sizeof(*s->items), cmp_values);
    for (i = 0; i < s->n; i++)
        if (k == 0 || wk_value_cmp(&s->items[k - 1], &s->items[i]) != 0)
            s->items[k++] = s->items[i];
    s->n = k;
}

static bool
set_has(const set_t *s, const bson_value_t *v)
{
    return bsearch(v, s->items, s->n, sizeof(*s->items), cmp_values) != NULL;
}

/* set_args -- evaluate every argument as a set; *null when one is nullish and `nullable`. */
static int
set_args(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *v, set_t *sets, bool nullable,
         bool *null, sdb_error_t *err)
{
    static const struct {
        const char *name;
        int code;
        const char *fmt;
    } msgs[] = {
        {"$setEquals", SDB_CODE_Location17044,
         "All operands of $setEquals must be arrays. One argument is of type: %s"},
        {"$setIntersection", SDB_CODE_Location17047,
         "All operands of $setIntersection must be arrays. One argument is of type: %s"},
        {"$setUnion", SDB_CODE_Location17043,
         "All operands of $setUnion must be arrays. One argument is of type: %s"},
    };
    size_t i, m;

    *null = false;
    SDB_RET(wk_expr_args(e, ctx, v, err));
    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++) {
        if (nullable && wk_value_nullish(&v[i])) {
            *null = true;
            continue;
        }
        if (v[i].value_type == BSON_TYPE_ARRAY) {
            set_of(&v[i], &sets[i]);
            continue;
        }
        for (m = 0; strcmp(msgs[m].name, e->op->name) != 0; m++)
            ;
        return sdb_error_set(err, msgs[m].code, msgs[m].fmt, wk_value_type_name(&v[i]));
    }
    return 0;
}

static void
sets_free(const wk_expr_t *e, bson_value_t *v, set_t *sets)
{
    size_t i;

    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++)
        bson_free(sets[i].items);
    wk_expr_args_free(e, v);
}

static int
op_set_equals(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[WK_EXPR_MAX_ARGS];
    set_t sets[WK_EXPR_MAX_ARGS];
    bool null, eq = true;
    size_t i, k;
    int ret;

    memset(sets, 0, sizeof(sets));
    if (e->n < 2)
        return sdb_error_set(err, SDB_CODE_Location17045,
                             "$setEquals needs at least two arguments had: %zu", e->n);
    ret = set_args(e, ctx, v, sets, false, &null, err);
    for (i = 1; ret == 0 && i < e->n && eq; i++) {
        eq = sets[i].n == sets[0].n;
        for (k = 0; eq && k < sets[i].n; k++)
            eq = wk_value_cmp(&sets[i].items[k], &sets[0].items[k]) == 0;
    }
    if (ret == 0)
        wk_value_bool(out, eq);
    sets_free(e, v, sets);
    return ret;
}

/* op_set_inter_union -- the intersection or union of every argument. */
static int
op_set_inter_union(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool inter = strcmp(e->op->name, "$setIntersection") == 0, null, in_all;
    bson_value_t v[WK_EXPR_MAX_ARGS], *res = NULL;
    set_t sets[WK_EXPR_MAX_ARGS], u = {NULL, 0};
    size_t i, k, total = 0, n = 0;
    int ret;

    memset(sets, 0, sizeof(sets));
    ret = set_args(e, ctx, v, sets, true, &null, err);
    if (ret == 0 && null)
        wk_value_null(out);
    if (ret != 0 || null)
        goto done;
    for (i = 0; i < e->n; i++)
        total += sets[i].n;
    u.items = bson_malloc(sizeof(*u.items) * (total + 1));
    for (i = 0; i < e->n; i++)
        for (k = 0; k < sets[i].n; k++)
            u.items[u.n++] = sets[i].items[k];
    qsort(u.items, u.n, sizeof(*u.items), cmp_values);
    res = bson_malloc(sizeof(*res) * (u.n + 1));
    for (k = 0; k < u.n; k++) {
        if (n > 0 && wk_value_cmp(&res[n - 1], &u.items[k]) == 0)
            continue;
        for (i = 0, in_all = true; inter && i < e->n && in_all; i++)
            in_all = set_has(&sets[i], &u.items[k]);
        if (in_all)
            res[n++] = u.items[k];
    }
    wk_array_build(out, res, n);
done:
    bson_free(res);
    bson_free(u.items);
    sets_free(e, v, sets);
    return ret;
}

/* two_sets -- $setDifference and $setIsSubset: both operands arrays (codes per side). */
static int
two_sets(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *v, set_t *s, bool *null,
         sdb_error_t *err)
{
    bool diff = strcmp(e->op->name, "$setDifference") == 0;
    static const char *const side[2] = {"First", "Second"};
    int codes[2] = {diff ? SDB_CODE_Location17048 : SDB_CODE_Location17046,
                    diff ? SDB_CODE_Location17049 : SDB_CODE_Location17042};
    size_t i;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    *null = diff && (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1]));
    for (i = 0; i < 2 && !*null; i++) {
        if (v[i].value_type != BSON_TYPE_ARRAY)
            return sdb_error_set(err, codes[i],
                                 "both operands of %s must be arrays. %s argument is of type: %s",
                                 e->op->name, side[i], wk_value_type_name(&v[i]));
        set_of(&v[i], &s[i]);
    }
    return 0;
}

static int
op_set_difference_subset(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out,
                         sdb_error_t *err)
{
    bool diff = strcmp(e->op->name, "$setDifference") == 0, null = false;
    bson_value_t v[2], *res = NULL;
    set_t s[2] = {{NULL, 0}, {NULL, 0}};
    size_t k, n = 0;
    int ret;

    ret = two_sets(e, ctx, v, s, &null, err);
    if (ret == 0 && null) {
        wk_value_null(out);
    } else if (ret == 0) {
        res = bson_malloc(sizeof(*res) * (s[0].n + 1));
        for (k = 0; k < s[0].n; k++)
            if (!set_has(&s[1], &s[0].items[k]))
                res[n++] = s[0].items[k];
        if (diff)
            wk_array_build(out, res, n);
        else
            wk_value_bool(out, n == 0);
    }
    bson_free(res);
    bson_free(s[0].items);
    bson_free(s[1].items);
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_any_all(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool any = strcmp(e->op->name, "$anyElementTrue") == 0, r = !any;
    bson_value_t v, *items = NULL;
    size_t n, i;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (v.value_type != BSON_TYPE_ARRAY) {
        ret = sdb_error_set(err, any ? SDB_CODE_Location17041 : SDB_CODE_Location17040,
                            "%s's argument must be an array, but is %s", e->op->name,
                            wk_value_type_name(&v));
    } else {
        n = wk_array_items(&v, &items);
        for (i = 0; i < n && r != any; i++)
            r = wk_expr_truthy(&items[i]) == any ? any : r;
        wk_value_bool(out, r);
    }
    bson_free(items);
    wk_value_clear(&v);
    return ret;
}

const wk_expr_op_t wk_expr_ops_sets[] = {
    {"$setEquals", 0, -1, op_set_equals, NULL},
    {"$setIntersection", 0, -1, op_set_inter_union, NULL},
    {"$setUnion", 0, -1, op_set_inter_union, NULL},
    {"$setDifference", 2, 2, op_set_difference_subset, NULL},
    {"$setIsSubset", 2, 2, op_set_difference_subset, NULL},
    {"$anyElementTrue", 1, 1, op_any_all, NULL},
    {"$allElementsTrue", 1, 1, op_any_all, NULL},
    {NULL, 0, 0, NULL, NULL},
};
