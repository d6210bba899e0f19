/*
 * src/worker/query/expr_objects.c -- object and variable expression operators: $getField,
 * $setField, $unsetField and $rand.
 *
 * $getField and $setField reach fields whose names a field path cannot express (names that
 * start with '$' or contain '.'), so `field` is a constant string, never a path: it must
 * be a literal string or {$literal: "..."}.  $setField copies `input` with that one field
 * replaced in place or appended at the end, or removed when `value` is $$REMOVE (missing);
 * $unsetField is $setField with value $$REMOVE.  An `input` that is null or missing makes
 * the result null; any other non-document is an error (mongod's codes and wording).
 * $rand draws a double in [0, 1) from the C library's generator seeded once per process.
 *
 * Invariants: every value produced is owned by the caller; the parsed tree is not modified.
 */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../common/sdb.h"

/* field_name -- the constant string of the `field` argument of `opname`. */
static int
field_name(const wk_expr_t *e, const char *opname, int code, const char **name, sdb_error_t *err)
{
    const wk_expr_t *f = wk_expr_kid(e, "field");

    if (f == NULL && e->n == 1 && e->keys[0] == NULL && strcmp(opname, "$getField") == 0)
        f = e->kids[0]; /* {$getField: "name"} */
    if (f == NULL)
        return sdb_error_set(err, SDB_CODE_Location4161103, "%s requires 'field' to be specified",
                             opname);
    if (f->kind != WK_EX_CONST || f->cst.value_type != BSON_TYPE_UTF8)
        return sdb_error_set(err, code, "%s requires 'field' to evaluate to type String", opname);
    *name = f->cst.value.v_utf8.str;
    return 0;
}

/* eval_input -- evaluate `input` ($$CURRENT when absent and `dflt_current`). */
static int
eval_input(const wk_expr_t *e, wk_eval_ctx_t *ctx, bool dflt_current, bson_value_t *in,
           sdb_error_t *err)
{
    const wk_expr_t *i = wk_expr_kid(e, "input");

    memset(in, 0, sizeof(*in));
    if (i != NULL)
        return wk_expr_eval_ctx(i, ctx, in, err);
    if (!dflt_current)
        return sdb_error_set(err, SDB_CODE_Location4161104,
                             "$setField requires 'input' to be "
                             "specified");
    in->value_type = BSON_TYPE_DOCUMENT;
    in->value.v_doc.data = bson_malloc(ctx->root->len);
    memcpy(in->value.v_doc.data, bson_get_data(ctx->root), ctx->root->len);
    in->value.v_doc.data_len = ctx->root->len;
    return 0;
}

static int
op_get_field(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const char *name = NULL;
    bson_value_t in;
    bson_iter_t it;
    bson_t view;
    int ret = 0;

    memset(&in, 0, sizeof(in));
    SDB_RET(field_name(e, "$getField", SDB_CODE_Location5654602, &name, err));
    SDB_RET(eval_input(e, ctx, true, &in, err));
    if (wk_value_nullish(&in)) {
        if (in.value_type != BSON_TYPE_EOD)
            wk_value_null(out);
        goto done;
    }
    if (in.value_type != BSON_TYPE_DOCUMENT)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location3041705,
                              "$getField requires 'input' to evaluate to type Object, but got %s",
                              wk_value_type_name(&in)));
    if (bson_init_static(&view, in.value.v_doc.data, in.value.v_doc.data_len) &&
        bson_iter_init_find(&it, &view, name))
        bson_value_copy(bson_iter_value(&it), out);
done:
err:
    wk_value_clear(&in);
    return ret;
}

/* set_in -- copy document `in` into `b` with field `name` set to `v` (removed when missing). */
static void
set_in(const bson_value_t *in, const char *name, const bson_value_t *v, bson_t *b)
{
    bson_iter_t it;
    bson_t view;
    bool done = false;

    if (bson_init_static(&view, in->value.v_doc.data, in->value.v_doc.data_len) &&
        bson_iter_init(&it, &view))
        while (bson_iter_next(&it)) {
            if (strcmp(bson_iter_key(&it), name) != 0) {
                bson_append_iter(b, bson_iter_key(&it), -1, &it);
                continue;
            }
            if (v->value_type != BSON_TYPE_EOD && !done)
                bson_append_value(b, name, -1, v);
            done = true;
        }
    if (!done && v->value_type != BSON_TYPE_EOD)
        bson_append_value(b, name, -1, v);
}

static int
op_set_field(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool unset = wk_expr_kid(e, "value") == NULL;
    const char *opname = unset ? "$unsetField" : "$setField";
    const char *name = NULL;
    bson_value_t in, v;
    bson_t b;
    int ret = 0;

    memset(&in, 0, sizeof(in));
    memset(&v, 0, sizeof(v));
    SDB_RET(field_name(e, opname, SDB_CODE_Location4161106, &name, err));
    SDB_RET(eval_input(e, ctx, false, &in, err));
    if (wk_value_nullish(&in)) {
        wk_value_null(out);
        goto done;
    }
    if (in.value_type != BSON_TYPE_DOCUMENT)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location4161109,
                              "%s requires 'input' to evaluate to type Object", opname));
    if (!unset)
        SDB_ERR(wk_expr_eval_ctx(wk_expr_kid(e, "value"), ctx, &v, err));
    bson_init(&b);
    set_in(&in, name, &v, &b);
    wk_value_from_bson(out, &b, BSON_TYPE_DOCUMENT);
done:
err:
    wk_value_clear(&v);
    wk_value_clear(&in);
    return ret;
}

static int
op_rand(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static bool seeded;
    struct timeval tv;

    (void)ctx;
    if (e->n != 0) /* {$rand: {}} parses to no named arguments */
        return sdb_error_set(err, SDB_CODE_Location10065,
                             "invalid parameter: expected an object ($rand)");
    if (!seeded) {
        bson_gettimeofday(&tv);
        srand48((long)tv.tv_usec ^ (long)tv.tv_sec ^ (long)getpid());
        seeded = true;
    }
    wk_value_double(out, drand48());
    return 0;
}

const wk_expr_op_t wk_expr_ops_objects[] = {
    {"$getField", 1, -2, op_get_field},
    {"$setField", 0, -2, op_set_field},
    {"$unsetField", 0, -2, op_set_field},
    {"$rand", 0, -2, op_rand},
    {NULL, 0, 0, NULL},
};
