/*
 * src/worker/agg/accum_js.c -- $accumulator: a $group accumulator written in JavaScript.
 *
 * {$accumulator: {init, initArgs, accumulate, accumulateArgs, merge, finalize, lang: "js"}}
 * is checked when parsed with mongod's codes (4544701..4544710).  Per group, initArgs is
 * evaluated against the group's _id (when a document; else {}) and init(...initArgs) makes the state; per
 * document accumulate(state, ...accumulateArgs) replaces it; at the end finalize(state) (or
 * the state itself) is the result.  The state lives between calls as a BSON value, as
 * mongod's AccumulatorJs keeps it; merge is checked and compiled but, on one node without
 * spilled partial groups, never called.  Functions run through query/js.h, compiled once
 * per worker and kept by source.
 *
 * Invariants: the spec (wk_acc_spec_t.js) is immutable after parsing; the state's value
 * (wk_acc_state_t.v) is owned by the state and released by wk_acc_reset.
 */
#include "agg_int.h"

#include "../../common/sdb.h"
#include "../query/js.h"

#include <string.h>

struct wk_acc_js {
    char *fn[4];          /* init, accumulate, merge, finalize (NULL: none) */
    wk_expr_t *init_args; /* NULL: [] */
};

enum {
    JS_INIT,
    JS_ACCUMULATE,
    JS_MERGE,
    JS_FINALIZE
};
static const char *const fn_names[] = {"init", "accumulate", "merge", "finalize"};

/* parse_fn -- one of the four functions: a constant string or code. */
static int
parse_fn(const bson_iter_t *it, const char *name, char **out, sdb_error_t *err)
{
    uint32_t len;
    const char *s;

    if (BSON_ITER_HOLDS_CODE(it)) {
        s = bson_iter_code(it, &len);
    } else if (BSON_ITER_HOLDS_UTF8(it)) {
        s = bson_iter_utf8(it, &len);
        if (s[0] == '$') /* a field path or variable is not constant */
            return sdb_error_set(err, SDB_CODE_Location4544701,
                                 "$accumulator '%s' must be a constant expression", name);
    } else if (BSON_ITER_HOLDS_DOCUMENT(it) || BSON_ITER_HOLDS_ARRAY(it)) {
        return sdb_error_set(err, SDB_CODE_Location4544701,
                             "$accumulator '%s' must be a constant expression", name);
    } else {
        return sdb_error_set(err, SDB_CODE_Location4544702,
                             "$accumulator '%s' must be a String or Code", name);
    }
    bson_free(*out);
    *out = bson_strndup(s, len);
    return 0;
}

/* parse_field -- one field of the $accumulator document. */
static int
parse_field(const bson_iter_t *it, wk_acc_js_t *js, wk_acc_spec_t *spec, sdb_error_t *err)
{
    const char *key = bson_iter_key(it);

    for (int f = 0; f < 4; f++)
        if (strcmp(key, fn_names[f]) == 0)
            return parse_fn(it, key, &js->fn[f], err);
    if (strcmp(key, "initArgs") == 0) {
        wk_expr_free(js->init_args);
        js->init_args = NULL;
        return wk_expr_parse(it, &js->init_args, err);
    }
    if (strcmp(key, "accumulateArgs") == 0) {
        wk_expr_free(spec->arg);
        spec->arg = NULL;
        return wk_expr_parse(it, &spec->arg, err);
    }
    if (strcmp(key, "lang") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it))
            return sdb_error_set(err, SDB_CODE_Location4544704,
                                 "$accumulator lang must be a string; found: %s",
                                 wk_agg_type_name(bson_iter_type(it)));
        if (strcmp(bson_iter_utf8(it, NULL), "js") != 0)
            return sdb_error_set(err, SDB_CODE_Location4544705,
                                 "$accumulator only supports lang: 'js'");
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_Location4544706, "$accumulator got an unexpected field: %s",
                         key);
}

int
wk_acc_js_parse(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err)
{
    static const int missing[] = {SDB_CODE_Location4544707, SDB_CODE_Location4544708,
                                  SDB_CODE_Location4544709};
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_DOCUMENT(op))
        return sdb_error_set(err, SDB_CODE_Location4544703,
                             "$accumulator expects an object as an argument; found: %s",
                             wk_agg_type_name(bson_iter_type(op)));
    spec->js = bson_malloc0(sizeof(*spec->js));
    if (bson_iter_recurse(op, &it))
        while (bson_iter_next(&it))
            SDB_RET(parse_field(&it, spec->js, spec, err));
    for (int f = JS_INIT; f <= JS_MERGE; f++)
        if (spec->js->fn[f] == NULL || spec->js->fn[f][0] == '\0')
            return sdb_error_set(err, missing[f], "$accumulator missing required argument '%s'",
                                 fn_names[f]);
    if (spec->arg == NULL)
        return sdb_error_set(err, SDB_CODE_Location4544710,
                             "$accumulator missing required argument 'accumulateArgs'");
    return 0;
}

void
wk_acc_js_free(wk_acc_js_t *js)
{
    if (js == NULL)
        return;
    for (int f = 0; f < 4; f++)
        bson_free(js->fn[f]);
    wk_expr_free(js->init_args);
    bson_free(js);
}

/* call -- st->v := fn(first (may be NULL), ...rest's elements (an array value, may be NULL)). */
static int
call(const char *fn, wk_acc_state_t *st, const bson_value_t *first, const bson_value_t *rest,
     sdb_error_t *err)
{
    bson_t args = BSON_INITIALIZER, more;
    bson_iter_t it;
    bson_value_t out;
    char key[16];
    uint32_t i = 0;
    int ret;

    if (!wk_js_enabled())
        return sdb_error_set(err, SDB_CODE_Location31264,
                             "Cannot run server-side javascript without the javascript engine "
                             "enabled");
    if (first != NULL)
        bson_append_value(&args, "0", 1, first), i++;
    if (rest != NULL &&
        bson_init_static(&more, rest->value.v_doc.data, rest->value.v_doc.data_len) &&
        bson_iter_init(&it, &more))
        while (bson_iter_next(&it)) {
            snprintf(key, sizeof(key), "%u", i++);
            bson_append_value(&args, key, -1, bson_iter_value(&it));
        }
    ret = wk_js_call_source(fn, strlen(fn), st->op, &args, &out, err);
    bson_destroy(&args);
    if (ret == 0) {
        wk_acc_val_clear(&st->v);
        st->v = out;
    }
    return ret;
}

int
wk_acc_js_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc, sdb_error_t *err)
{
    bson_value_t args;
    int ret;

    memset(&args, 0, sizeof(args));
    if (spec->js->init_args != NULL)
        SDB_RET(wk_agg_eval(spec->js->init_args, doc, &args, err));
    else
        args.value_type = BSON_TYPE_EOD;
    if (args.value_type != BSON_TYPE_ARRAY && spec->js->init_args != NULL) {
        wk_acc_val_clear(&args);
        return sdb_error_set(err, SDB_CODE_Location4544711,
                             "$accumulator initArgs must evaluate to an array");
    }
    ret = call(spec->js->fn[JS_INIT], st, NULL, spec->js->init_args != NULL ? &args : NULL, err);
    wk_acc_val_clear(&args);
    return ret;
}

int
wk_acc_js_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
               sdb_error_t *err)
{
    bson_value_t state = st->v;
    int ret;

    if (v->value_type != BSON_TYPE_ARRAY)
        return sdb_error_set(err, SDB_CODE_Location4544712,
                             "$accumulator accumulateArgs must evaluate to an array");
    memset(&st->v, 0, sizeof(st->v));
    ret = call(spec->js->fn[JS_ACCUMULATE], st, &state, v, err);
    if (ret != 0)
        st->v = state;
    else
        wk_acc_val_clear(&state);
    return ret;
}

int
wk_acc_js_finish(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out,
                 sdb_error_t *err)
{
    wk_acc_state_t fin;

    memset(out, 0, sizeof(*out));
    if (spec->js->fn[JS_FINALIZE] == NULL) {
        bson_value_copy(&st->v, out);
        return 0;
    }
    memset(&fin, 0, sizeof(fin));
    fin.op = st->op;
    SDB_RET(call(spec->js->fn[JS_FINALIZE], &fin, &st->v, NULL, err));
    *out = fin.v;
    return 0;
}
