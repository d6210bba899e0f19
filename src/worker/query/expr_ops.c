/*
 * src/worker/query/expr_ops.c -- the registry of aggregation expression operators and the
 * helpers their families share.
 *
 * Each family of operators lives in its own file and contributes one table (expr_int.h:
 * name, arity, evaluator), terminated by a NULL name: expr_arith.c, expr_compare.c,
 * expr_strings.c, expr_regex.c, expr_arrays.c, expr_sets.c, expr_types.c, expr_dates.c, expr_date_math.c, expr_objects.c, expr_accum.c.  wk_expr_find_op walks the
 * families in order; a name appears in exactly one table.  Each operator receives its parsed
 * argument expressions and evaluates them itself (so $cond, $and, $or and $ifNull can
 * short-circuit); wk_expr_args evaluates them all for the operators that need every value.
 *
 * Invariants: the tables are constant; lookup happens at parse time only.
 */
#include "expr_int.h"

#include <string.h>

#include "../../common/sdb.h"

static const wk_expr_op_t *const expr_families[] = {
    wk_expr_ops_compare,   wk_expr_ops_arith,   wk_expr_ops_strings, wk_expr_ops_regex,
    wk_expr_ops_arrays,    wk_expr_ops_sets,    wk_expr_ops_types,   wk_expr_ops_dates,
    wk_expr_ops_date_math, wk_expr_ops_objects, wk_expr_ops_accum,   wk_expr_ops_js,
};

int
wk_expr_args(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *vals, sdb_error_t *err)
{
    size_t i;
    int ret = 0;

    memset(vals, 0, sizeof(*vals) * (e->n < WK_EXPR_MAX_ARGS ? e->n : WK_EXPR_MAX_ARGS));
    if (e->n > WK_EXPR_MAX_ARGS) /* refused, never silently cut short */
        return sdb_error_set(err, SDB_CODE_Location16020,
                             "Expression %s takes at most %d arguments. %zu were passed in.",
                             e->op->name, WK_EXPR_MAX_ARGS, e->n);
    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++)
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &vals[i], err));
    return 0;
err:
    wk_expr_args_free(e, vals);
    return ret;
}

void
wk_expr_args_free(const wk_expr_t *e, bson_value_t *vals)
{
    size_t i;

    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++)
        wk_value_clear(&vals[i]);
}

bool
wk_value_nullish(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
           v->value_type == BSON_TYPE_UNDEFINED;
}

int
wk_expr_check_named(const wk_expr_t *e, const char *const *allowed, const char *const *required,
                    int code_obj, int code_unknown, const int *code_missing, sdb_error_t *err)
{
    size_t i, k;

    if (e->n > 0 && e->keys[0] == NULL)
        return sdb_error_set(err, code_obj, "%s requires an object as an argument, found: %s",
                             e->op->name,
                             e->n == 1 ? wk_value_type_name(&e->kids[0]->cst) : "array");
    for (i = 0; i < e->n; i++) {
        for (k = 0; allowed[k] != NULL && strcmp(allowed[k], e->keys[i]) != 0; k++)
            ;
        if (allowed[k] == NULL)
            return sdb_error_set(err, code_unknown, "%s found an unknown argument: %s", e->op->name,
                                 e->keys[i]);
    }
    for (k = 0; required != NULL && required[k] != NULL; k++)
        if (wk_expr_kid(e, required[k]) == NULL)
            return sdb_error_set(err, code_missing[k], "%s requires '%s' to be specified",
                                 e->op->name, required[k]);
    return 0;
}

const wk_expr_op_t *
wk_expr_find_op(const char *name)
{
    const wk_expr_op_t *op;
    size_t f;

    for (f = 0; f < sizeof(expr_families) / sizeof(expr_families[0]); f++)
        for (op = expr_families[f]; op->name != NULL; op++)
            if (strcmp(op->name, name) == 0)
                return op;
    return NULL;
}
