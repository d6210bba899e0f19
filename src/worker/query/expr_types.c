/*
 * src/worker/query/expr_types.c -- type expression operators: $type.
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
op_type(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    const char *name;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    name = wk_value_type_name(&v);
    wk_value_utf8(out, name, strlen(name));
    wk_value_clear(&v);
    return 0;
}

const wk_expr_op_t wk_expr_ops_types[] = {
    {"$type", 1, 1, op_type},
    {NULL, 0, 0, NULL},
};
