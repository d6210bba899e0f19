/*
 * src/worker/query/expr_strings.c -- string expression operators: $concat $toUpper $toLower.
 *
 * Strings are UTF-8; null or missing operands make $concat null and the case operators "".
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
op_concat(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[WK_EXPR_MAX_ARGS];
    bson_string_t *s;
    bool null = false;
    size_t i;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    s = bson_string_new(NULL);
    for (i = 0; i < e->n && i < WK_EXPR_MAX_ARGS; i++) {
        if (wk_value_nullish(&v[i]))
            null = true;
        else if (v[i].value_type != BSON_TYPE_UTF8)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location16702,
                                  "$concat only supports strings, "
                                  "not %s",
                                  wk_value_type_name(&v[i])));
        else
            bson_string_append(s, v[i].value.v_utf8.str);
    }
    if (null)
        wk_value_null(out);
    else
        wk_value_utf8(out, s->str, s->len);
err:
    bson_string_free(s, true);
    wk_expr_args_free(e, v);
    return ret;
}

static int
op_case(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool upper = strcmp(e->op->name, "$toUpper") == 0;
    bson_value_t v;
    uint32_t i;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v)) {
        wk_value_utf8(out, "", 0);
    } else if (v.value_type == BSON_TYPE_UTF8) {
        wk_value_utf8(out, v.value.v_utf8.str, v.value.v_utf8.len);
        for (i = 0; i < out->value.v_utf8.len; i++) {
            char c = out->value.v_utf8.str[i];
            if (upper && c >= 'a' && c <= 'z')
                out->value.v_utf8.str[i] = (char)(c - 32);
            else if (!upper && c >= 'A' && c <= 'Z')
                out->value.v_utf8.str[i] = (char)(c + 32);
        }
    } else {
        wk_value_clear(&v);
        return sdb_error_set(err, SDB_CODE_Location16007, "can't convert to string");
    }
    wk_value_clear(&v);
    return 0;
}

const wk_expr_op_t wk_expr_ops_strings[] = {
    {"$concat", 0, -1, op_concat},
    {"$toUpper", 1, 1, op_case},
    {"$toLower", 1, 1, op_case},
    {NULL, 0, 0, NULL},
};
