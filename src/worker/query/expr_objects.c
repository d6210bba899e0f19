/*
 * src/worker/query/expr_objects.c -- object and variable expression operators: $getField,
 * $setField, $unsetField, $mergeObjects, $let, $rand, $binarySize, $bsonSize, $tsSecond and
 * $tsIncrement.
 *
 * $getField and $setField reach fields whose names a field path cannot express (names that
 * start with '$' or contain '.'), so `field` is a constant string, never a path: it must
 * be a literal string or {$literal: "..."}.  $setField copies `input` with that one field
 * replaced in place or appended at the end, or removed when `value` is $$REMOVE (missing);
 * $unsetField is $setField with value $$REMOVE.  An `input` that is null or missing makes
 * the result null; any other non-document is an error (mongod's codes and wording).
 * $rand draws a double in [0, 1) from the C library's generator seeded once per process.
 * $mergeObjects keeps the first place of a field and its last value, skipping null and missing
 * inputs.  $let evaluates each variable once, in the scope outside it, and binds them all in
 * frames on the C stack for `in` (a variable may rebind CURRENT, as in mongod).
 *
 * Invariants: every value produced is owned by the caller; the parsed tree is not modified.
 */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../common/sdb.h"
#include "sort.h"

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

/* ---- $mergeObjects $let -------------------------------------------------------------------- */

static int
op_merge_objects(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_t acc = BSON_INITIALIZER, next, view;
    bson_value_t v;
    bson_iter_t it;
    size_t i;
    int ret = 0;

    for (i = 0; i < e->n; i++) {
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        if (v.value_type == BSON_TYPE_DOCUMENT) {
            bson_init(&next);
            bson_init_static(&view, v.value.v_doc.data, v.value.v_doc.data_len);
            bson_iter_init(&it, &acc);
            while (bson_iter_next(&it)) { /* earlier fields keep their place, take new values */
                bson_iter_t f;
                if (bson_iter_init_find(&f, &view, bson_iter_key(&it)))
                    bson_append_iter(&next, NULL, 0, &f);
                else
                    bson_append_iter(&next, NULL, 0, &it);
            }
            bson_iter_init(&it, &view);
            while (bson_iter_next(&it)) {
                bson_iter_t f;
                if (!bson_iter_init_find(&f, &acc, bson_iter_key(&it)))
                    bson_append_iter(&next, NULL, 0, &it);
            }
            bson_destroy(&acc);
            bson_steal(&acc, &next);
        } else if (!wk_value_nullish(&v)) {
            ret = sdb_error_set(err, SDB_CODE_Location40400,
                                "$mergeObjects requires object inputs, but input is of type %s",
                                wk_value_type_name(&v));
        }
        wk_value_clear(&v);
        SDB_ERR(ret);
    }
    wk_value_from_bson(out, &acc, BSON_TYPE_DOCUMENT);
    return 0;
err:
    bson_destroy(&acc);
    return ret;
}

static const char *const let_args[] = {"vars", "in", NULL};
static const int let_missing[] = {SDB_CODE_Location16876, SDB_CODE_Location16877};

static int
check_let(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *vars;
    size_t i;

    if (e->n > 0 && e->keys[0] == NULL)
        return sdb_error_set(err, SDB_CODE_Location16874,
                             "$let only supports an object as its argument");
    for (i = 0; i < e->n; i++)
        if (strcmp(e->keys[i], "vars") != 0 && strcmp(e->keys[i], "in") != 0)
            return sdb_error_set(err, SDB_CODE_Location16875, "Unrecognized parameter to $let: %s",
                                 e->keys[i]);
    for (i = 0; i < 2; i++)
        if (wk_expr_kid(e, let_args[i]) == NULL)
            return sdb_error_set(err, let_missing[i], "Missing '%s' parameter to $let",
                                 let_args[i]);
    vars = wk_expr_kid(e, "vars");
    if (vars->kind != WK_EX_OBJECT)
        return sdb_error_set(err, SDB_CODE_Location10065,
                             "invalid parameter: expected an object "
                             "(vars)");
    for (i = 0; i < vars->n; i++)
        if (strcmp(vars->keys[i], "CURRENT") != 0)
            SDB_RET(wk_expr_check_var_name(vars->keys[i], err));
    return 0;
}

/* op_let -- every variable is evaluated once, in the scope outside the $let, then `in` sees
 * them all. */
static int
op_let(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *vars = wk_expr_kid(e, "vars");
    wk_var_frame_t *frames = bson_malloc0(sizeof(*frames) * (vars->n + 1));
    bson_value_t *vals = bson_malloc0(sizeof(*vals) * (vars->n + 1));
    const wk_var_frame_t *outer = ctx->frames;
    size_t i, done = 0;
    int ret = 0;

    for (i = 0; i < vars->n; i++, done++) {
        SDB_ERR(wk_expr_eval_ctx(vars->kids[i], ctx, &vals[i], err));
        frames[i].name = vars->keys[i];
        frames[i].val = &vals[i];
        frames[i].up = i == 0 ? outer : &frames[i - 1];
    }
    if (vars->n > 0)
        ctx->frames = &frames[vars->n - 1];
    ret = wk_expr_eval_ctx(wk_expr_kid(e, "in"), ctx, out, err);
    ctx->frames = outer;
err:
    for (i = 0; i < done; i++)
        wk_value_clear(&vals[i]);
    bson_free(vals);
    bson_free(frames);
    return ret;
}

/* ---- sizes and timestamps ------------------------------------------------------------------ */

static int
op_binary_size(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
        wk_value_null(out);
    else if (v.value_type == BSON_TYPE_UTF8)
        wk_value_int32(out, (int32_t)v.value.v_utf8.len);
    else if (v.value_type == BSON_TYPE_BINARY)
        wk_value_int32(out, (int32_t)v.value.v_binary.data_len);
    else
        ret = sdb_error_set(err, SDB_CODE_Location5155800,
                            "$binarySize requires a string or BinData argument, found: %s",
                            wk_value_type_name(&v));
    wk_value_clear(&v);
    return ret;
}

static int
op_bson_size(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
        wk_value_null(out);
    else if (v.value_type == BSON_TYPE_DOCUMENT)
        wk_value_int32(out, (int32_t)v.value.v_doc.data_len);
    else
        ret =
            sdb_error_set(err, SDB_CODE_Location31393,
                          "$bsonSize requires a document input, found: %s", wk_value_type_name(&v));
    wk_value_clear(&v);
    return ret;
}

static int
op_ts_part(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool secs = strcmp(e->op->name, "$tsSecond") == 0;
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
        wk_value_null(out);
    else if (v.value_type == BSON_TYPE_TIMESTAMP)
        wk_value_int64(out, secs ? v.value.v_timestamp.timestamp : v.value.v_timestamp.increment);
    else
        ret = sdb_error_set(err, secs ? SDB_CODE_Location5687301 : SDB_CODE_Location5687302,
                            "%s expects argument of type timestamp, got %s", e->op->name,
                            wk_value_type_name(&v));
    wk_value_clear(&v);
    return ret;
}

/* op_meta -- {$meta: "textScore"}: the $text score kept beside the document (sort.h). */
static int
op_meta(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    bson_iter_t it;
    bool text;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    text = v.value_type == BSON_TYPE_UTF8 && strcmp(v.value.v_utf8.str, "textScore") == 0;
    wk_value_clear(&v);
    if (!text)
        return sdb_error_set(err, SDB_CODE_Location17308, "Unsupported argument to $meta");
    if (ctx->root == NULL || !bson_iter_init_find(&it, ctx->root, WK_SORT_TEXT_SCORE))
        return sdb_error_set(err, SDB_CODE_Location40218,
                             "query requires text score metadata, but it is not available");
    wk_value_double(out, bson_iter_as_double(&it));
    return 0;
}

const wk_expr_op_t wk_expr_ops_objects[] = {
    {"$meta", 1, 1, op_meta, NULL},
    {"$getField", 1, -2, op_get_field},
    {"$setField", 0, -2, op_set_field},
    {"$unsetField", 0, -2, op_set_field},
    {"$rand", 0, -2, op_rand},
    {"$mergeObjects", 0, -1, op_merge_objects, NULL},
    {"$let", 0, -2, op_let, check_let},
    {"$binarySize", 1, 1, op_binary_size, NULL},
    {"$bsonSize", 1, 1, op_bson_size, NULL},
    {"$tsSecond", 1, 1, op_ts_part, NULL},
    {"$tsIncrement", 1, 1, op_ts_part, NULL},
    {NULL, 0, 0, NULL},
};
