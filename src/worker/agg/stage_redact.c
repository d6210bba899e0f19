/*
 * src/worker/agg/stage_redact.c -- $redact: keep, prune or descend into each (sub)document.
 *
 * The expression is evaluated on the document: $$KEEP keeps it whole, $$PRUNE drops it and
 * $$DESCEND keeps its scalar fields and applies the same verdict to every embedded document,
 * including documents inside arrays (at any depth of nested arrays); anything else is 17053.
 * The evaluator gives $$KEEP, $$PRUNE and $$DESCEND the strings "keep", "prune" and "descend"
 * (query/expr.c), which is what mongod compares the result with too.  Field paths read the
 * (sub)document being judged ($$CURRENT); $$ROOT stays the top-level document, passed to the
 * evaluator as a variable.
 *
 * Invariants: the private state (the expression) is immutable after parsing; recursion is
 * bounded by the nesting of the input documents, which libbson caps.
 */
#include "agg_int.h"

#include <string.h>

typedef enum verdict {
    V_KEEP,
    V_PRUNE,
    V_DESCEND
} verdict_t;

int
wk_agg_parse_redact(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    wk_expr_t *e = NULL;

    SDB_UNUSED(ctx);
    SDB_RET(wk_expr_parse(spec, &e, err));
    *priv = e;
    return 0;
}

/* judge -- evaluate the expression on `cur` (with $$ROOT bound to the top document). */
static int
judge(const wk_expr_t *e, const bson_t *cur, const bson_t *vars, const wk_op_t *op, verdict_t *v,
      sdb_error_t *err)
{
    bson_value_t r;
    int ret = 0;

    SDB_RET(wk_expr_eval_op(e, cur, vars, op, &r, err));
    if (r.value_type == BSON_TYPE_UTF8 && strcmp(r.value.v_utf8.str, "keep") == 0) {
        *v = V_KEEP;
    } else if (r.value_type == BSON_TYPE_UTF8 && strcmp(r.value.v_utf8.str, "prune") == 0) {
        *v = V_PRUNE;
    } else if (r.value_type == BSON_TYPE_UTF8 && strcmp(r.value.v_utf8.str, "descend") == 0) {
        *v = V_DESCEND;
    } else {
        char text[256];

        wk_agg_value_text(&r, text, sizeof(text));
        ret = sdb_error_set(err, SDB_CODE_Location17053,
                            "$redact's expression should not return anything aside from the "
                            "variables $$KEEP, $$DESCEND, and $$PRUNE, but returned %s",
                            text);
    }
    if (r.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&r);
    return ret;
}

static int redact_doc(const wk_expr_t *e, const bson_t *cur, const bson_t *vars, const wk_op_t *op,
                      bson_t *out, bool *kept, sdb_error_t *err);

/* redact_array -- the elements of an array a descending document holds. */
static int
redact_array(const wk_expr_t *e, bson_iter_t *it, const bson_t *vars, const wk_op_t *op,
             bson_t *out, sdb_error_t *err)
{
    uint32_t n = 0;
    char buf[16];
    const char *k;

    while (bson_iter_next(it)) {
        bson_iter_t child;
        bson_t sub, view;
        const uint8_t *data;
        uint32_t len;
        bool kept = false;

        bson_uint32_to_string(n, &k, buf, sizeof(buf));
        if (BSON_ITER_HOLDS_DOCUMENT(it)) {
            bson_iter_document(it, &len, &data);
            bson_init_static(&view, data, len);
            int ret = redact_doc(e, &view, vars, op, &sub, &kept, err);

            if (ret == 0 && kept) {
                BSON_APPEND_DOCUMENT(out, k, &sub);
                n++;
            }
            bson_destroy(&sub);
            SDB_RET(ret);
        } else if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
            int ret;

            BSON_APPEND_ARRAY_BEGIN(out, k, &sub);
            ret = redact_array(e, &child, vars, op, &sub, err);
            bson_append_array_end(out, &sub);
            SDB_RET(ret);
            n++;
        } else {
            bson_append_iter(out, k, -1, it);
            n++;
        }
    }
    return 0;
}

/* redact_doc -- `out` (always initialized, for the caller to destroy) receives what is left
 * of `cur`; *kept false when it is pruned. */
static int
redact_doc(const wk_expr_t *e, const bson_t *cur, const bson_t *vars, const wk_op_t *op,
           bson_t *out, bool *kept, sdb_error_t *err)
{
    verdict_t v = V_PRUNE;
    bson_iter_t it;

    bson_init(out);
    *kept = false;
    SDB_RET(judge(e, cur, vars, op, &v, err));
    if (v == V_PRUNE)
        return 0;
    *kept = true;
    if (v == V_KEEP) {
        bson_concat(out, cur);
        return 0;
    }
    bson_iter_init(&it, cur);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bson_iter_t child;
        bson_t sub, view;
        const uint8_t *data;
        uint32_t len;
        bool sub_kept;

        if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
            bson_iter_document(&it, &len, &data);
            bson_init_static(&view, data, len);
            int ret = redact_doc(e, &view, vars, op, &sub, &sub_kept, err);

            if (ret == 0 && sub_kept)
                BSON_APPEND_DOCUMENT(out, k, &sub);
            bson_destroy(&sub);
            SDB_RET(ret);
        } else if (BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &child)) {
            int ret;

            BSON_APPEND_ARRAY_BEGIN(out, k, &sub);
            ret = redact_array(e, &child, vars, op, &sub, err);
            bson_append_array_end(out, &sub);
            if (ret != 0) {
                bson_reinit(out);
                return ret;
            }
        } else {
            bson_append_iter(out, k, -1, &it);
        }
    }
    return 0;
}

int
wk_agg_run_redact(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                  sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        bson_t vars = BSON_INITIALIZER, res;
        bool kept = false;
        int ret;

        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_op_check(ctx->op, err));
        BSON_APPEND_DOCUMENT(&vars, "ROOT", in->v[i]);
        ret = redact_doc(priv, in->v[i], &vars, ctx->op, &res, &kept, err);
        bson_destroy(&vars);
        if (ret == 0 && kept)
            wk_agg_docs_push(out, bson_copy(&res));
        bson_destroy(&res);
        SDB_RET(ret);
    }
    return 0;
}

void
wk_agg_free_redact(void *priv)
{
    wk_expr_free(priv);
}
