/*
 * src/worker/query/expr_ops.c -- the registry of aggregation expression operators and the
 * helpers their families share.
 *
 * Each family of operators lives in its own file and contributes one table (expr_int.h:
 * name, arity, evaluator), terminated by a NULL name: expr_arith.c, expr_compare.c,
 * expr_strings.c, expr_arrays.c, expr_types.c, expr_objects.c.  wk_expr_find_op walks the
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
    wk_expr_ops_compare, wk_expr_ops_arith, wk_expr_ops_strings,
    wk_expr_ops_arrays,  wk_expr_ops_types, wk_expr_ops_objects,
};

int
wk_expr_args(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *vals, sdb_error_t *err)
{
    size_t i;
    int ret = 0;

    memset(vals, 0, sizeof(*vals) * (e->n < WK_EXPR_MAX_ARGS ? e->n : WK_EXPR_MAX_ARGS));
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
