/*
 * src/worker/query/expr_js.c -- $function: a JavaScript function as an expression.
 *
 * {$function: {body: <code or string>, args: <array expression>, lang: "js"}} checks its
 * arguments when parsed, with mongod's codes (31260..31263, 31418, 31419, 31432), and per
 * document evaluates args and calls the body through js.h (compiled once per worker, kept by
 * source).  Without the engine (--noscripting) evaluation fails with 31264, as mongod's does.
 * The return value converts as mongod's: a JS number is a double, NumberInt an int32,
 * NumberLong an int64.
 *
 * Invariants: a row of the expression table (expr_ops.c walks it); loop thread only.
 */
#include "expr_int.h"
#include "js.h"

#include <string.h>

#include "../../common/sdb.h"

/* body_source -- the constant body's text (string or code), or NULL. */
static const char *
body_source(const wk_expr_t *body, size_t *len)
{
    if (body == NULL || body->kind != WK_EX_CONST)
        return NULL;
    if (body->cst.value_type == BSON_TYPE_UTF8) {
        *len = body->cst.value.v_utf8.len;
        return body->cst.value.v_utf8.str;
    }
    if (body->cst.value_type == BSON_TYPE_CODE) {
        *len = body->cst.value.v_code.code_len;
        return body->cst.value.v_code.code;
    }
    return NULL;
}

/* check_function -- mongod's ExpressionFunction::parse checks, in its order. */
static int
check_function(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *body, *lang;
    size_t len;

    if (e->n > 0 && e->keys[0] == NULL)
        return sdb_error_set(err, SDB_CODE_Location31260,
                             "$function requires an object as an argument, found: %s",
                             e->n == 1 ? wk_value_type_name(&e->kids[0]->cst) : "array");
    if ((body = wk_expr_kid(e, "body")) == NULL)
        return sdb_error_set(err, SDB_CODE_Location31261, "The body function must be specified.");
    if (body->kind != WK_EX_CONST)
        return sdb_error_set(err, SDB_CODE_Location31432,
                             "The body function must be a constant expression");
    if (body_source(body, &len) == NULL)
        return sdb_error_set(err, SDB_CODE_Location31262,
                             "The body function must evaluate to type string or code");
    if (wk_expr_kid(e, "args") == NULL)
        return sdb_error_set(err, SDB_CODE_Location31263, "The args field must be specified.");
    if ((lang = wk_expr_kid(e, "lang")) == NULL)
        return sdb_error_set(err, SDB_CODE_Location31418, "The lang field must be specified.");
    if (lang->kind != WK_EX_CONST || lang->cst.value_type != BSON_TYPE_UTF8 ||
        strcmp(lang->cst.value.v_utf8.str, "js") != 0)
        return sdb_error_set(err, SDB_CODE_Location31419,
                             "Currently the only supported language specifier is 'js'.");
    return 0;
}

/* eval_function -- body(...args). */
static int
eval_function(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t args;
    bson_t arr;
    const char *src;
    size_t len = 0;
    int ret = 0;

    wk_value_clear(out);
    if (!wk_js_enabled())
        return sdb_error_set(err, SDB_CODE_Location31264,
                             "Cannot run server-side javascript without the javascript engine "
                             "enabled");
    src = body_source(wk_expr_kid(e, "body"), &len);
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "args"), ctx, &args, err));
    if (args.value_type != BSON_TYPE_ARRAY) {
        wk_value_clear(&args);
        return sdb_error_set(err, SDB_CODE_Location31266, "The args field must be of type array");
    }
    if (bson_init_static(&arr, args.value.v_doc.data, args.value.v_doc.data_len))
        ret = wk_js_call_source(src, len, ctx->op, &arr, out, err);
    wk_value_clear(&args);
    return ret;
}

const wk_expr_op_t wk_expr_ops_js[] = {
    {"$function", -2, -2, eval_function, check_function},
    {NULL, 0, 0, NULL, NULL},
};
