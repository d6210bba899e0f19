/*
 * src/worker/agg/doc.c -- document helpers of the stages: read and write dotted paths,
 * append values, evaluate expressions, check the memory limit.
 *
 * wk_agg_field_path validates a stage's path argument as mongod's FieldPath does.
 * Paths here are the stages' plain dotted paths: reading does not traverse arrays (as
 * $unwind's path does not), writing creates missing documents on the way and replaces a
 * non-document in the way, keeping the position of an existing field and appending new ones.
 *
 * A stage's `let` (wk_agg_let_t) is parsed and evaluated here for $lookup and $merge alike.
 *
 * Invariants: pure functions over caller-owned documents; results are owned by the caller.
 */
#include "agg_int.h"
#include "spill.h"

#include <stdio.h>
#include <string.h>

void
wk_agg_doc_get(const bson_t *doc, const char *path, bson_value_t *out)
{
    bson_iter_t it, found;

    memset(out, 0, sizeof(*out));
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &found))
        bson_value_copy(bson_iter_value(&found), out);
}

bool
wk_agg_value_doc(const bson_value_t *v, bson_t *view)
{
    if (v->value_type != BSON_TYPE_DOCUMENT && v->value_type != BSON_TYPE_ARRAY)
        return false;
    return bson_init_static(view, v->value.v_doc.data, v->value.v_doc.data_len);
}

void
wk_agg_append_value(bson_t *b, const char *key, const bson_value_t *v)
{
    if (v->value_type != BSON_TYPE_EOD)
        bson_append_value(b, key, -1, v);
}

/* set_rest -- append under `key` a document built from `sub` (may be NULL) with `rest` set. */
static void
set_rest(bson_t *b, const char *key, const bson_t *sub, const char *rest, const bson_value_t *v)
{
    bson_t empty = BSON_INITIALIZER, built;

    wk_agg_doc_set(sub != NULL ? sub : &empty, rest, v, &built);
    if (!bson_empty(&built) || v->value_type != BSON_TYPE_EOD || sub != NULL)
        BSON_APPEND_DOCUMENT(b, key, &built);
    bson_destroy(&built);
    bson_destroy(&empty);
}

void
wk_agg_doc_set(const bson_t *doc, const char *path, const bson_value_t *v, bson_t *out)
{
    const char *dot = strchr(path, '.');
    size_t hlen = dot ? (size_t)(dot - path) : strlen(path);
    bool done = false;
    bson_iter_t it;
    char head[512];

    bson_init(out);
    if (hlen >= sizeof(head))
        hlen = sizeof(head) - 1;
    memcpy(head, path, hlen);
    head[hlen] = '\0';
    if (bson_iter_init(&it, doc)) {
        while (bson_iter_next(&it)) {
            const char *k = bson_iter_key(&it);

            if (done || strcmp(k, head) != 0) {
                bson_append_iter(out, k, -1, &it);
                continue;
            }
            done = true;
            if (dot == NULL) {
                wk_agg_append_value(out, k, v);
            } else if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
                bson_t sub;
                bson_value_t sv;

                bson_value_copy(bson_iter_value(&it), &sv);
                wk_agg_value_doc(&sv, &sub);
                set_rest(out, k, &sub, dot + 1, v);
                bson_value_destroy(&sv);
            } else if (v->value_type != BSON_TYPE_EOD) {
                set_rest(out, k, NULL, dot + 1, v);
            } else {
                bson_append_iter(out, k, -1, &it);
            }
        }
    }
    if (!done && v->value_type != BSON_TYPE_EOD) {
        if (dot == NULL)
            bson_append_value(out, head, -1, v);
        else
            set_rest(out, head, NULL, dot + 1, v);
    }
}

const char *
wk_agg_type_name(bson_type_t t)
{
    static const char *names[] = {"missing",   "double",     "string",    "object",
                                  "array",     "binData",    "undefined", "objectId",
                                  "bool",      "date",       "null",      "regex",
                                  "dbPointer", "javascript", "symbol",    "javascriptWithScope",
                                  "int",       "timestamp",  "long",      "decimal"};

    if (t == BSON_TYPE_MINKEY)
        return "minKey";
    if (t == BSON_TYPE_MAXKEY)
        return "maxKey";
    if ((unsigned)t < sizeof(names) / sizeof(names[0]))
        return names[t];
    return "unknown";
}

int
wk_agg_eval(const wk_expr_t *e, const bson_t *doc, bson_value_t *out, sdb_error_t *err)
{
    int ret = wk_expr_eval(e, doc, out, err);

    if (ret != 0)
        memset(out, 0, sizeof(*out));
    return ret;
}

int
wk_agg_eval_op(const wk_expr_t *e, const bson_t *doc, const wk_op_t *op, bson_value_t *out,
               sdb_error_t *err)
{
    int ret = wk_expr_eval_op(e, doc, NULL, op, out, err);

    if (ret != 0)
        memset(out, 0, sizeof(*out));
    return ret;
}

void
wk_agg_value_text(const bson_value_t *v, char *buf, size_t len)
{
    bson_t wrap = BSON_INITIALIZER;
    char *json;
    size_t n;

    bson_append_value(&wrap, "", 0, v);
    json = bson_as_relaxed_extended_json(&wrap, NULL);
    n = json != NULL ? strlen(json) : 0;
    if (v->value_type == BSON_TYPE_EOD)
        snprintf(buf, len, "MISSING");
    else if (n >= 9) /* { "" : v } */
        snprintf(buf, len, "%.*s", (int)(n - 9), json + 7);
    else
        snprintf(buf, len, "?");
    bson_free(json);
    bson_destroy(&wrap);
}

int
wk_agg_field_path(const char *s, sdb_error_t *err)
{
    const char *p = s;

    if (s[0] == '\0')
        return sdb_error_set(err, SDB_CODE_Location40352,
                             "FieldPath cannot be constructed with empty string");
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

        if (len == 0)
            return sdb_error_set(err, SDB_CODE_Location15998,
                                 "FieldPath field names may not be empty strings.");
        if (p[0] == '$')
            return sdb_error_set(err, SDB_CODE_Location16410,
                                 "FieldPath field names may not start with '$'. Consider using "
                                 "$getField or $setField.");
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    return sdb_path_check(s, strlen(s), err);
}

int
wk_agg_check_mem(const wk_agg_ctx_t *ctx, size_t bytes, const char *what, sdb_error_t *err)
{
    bool over;

    return wk_spill_over(ctx, bytes, what, &over, err);
}

int
wk_agg_let_parse(wk_agg_let_t *l, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t v;

    bson_iter_recurse(it, &v);
    while (bson_iter_next(&v)) {
        l->names = bson_realloc(l->names, (l->n + 1) * sizeof(char *));
        l->exprs = bson_realloc(l->exprs, (l->n + 1) * sizeof(wk_expr_t *));
        l->names[l->n] = bson_strdup(bson_iter_key(&v));
        l->exprs[l->n] = NULL;
        l->n++;
        SDB_RET(wk_expr_parse(&v, &l->exprs[l->n - 1], err));
    }
    return 0;
}

int
wk_agg_let_eval(const wk_agg_let_t *l, const bson_t *doc, const wk_op_t *op, bson_t *vars,
                sdb_error_t *err)
{
    for (size_t i = 0; i < l->n; i++) {
        bson_value_t v;

        SDB_RET(wk_agg_eval_op(l->exprs[i], doc, op, &v, err));
        if (v.value_type == BSON_TYPE_EOD) {
            BSON_APPEND_NULL(vars, l->names[i]);
        } else {
            bson_append_value(vars, l->names[i], -1, &v);
            bson_value_destroy(&v);
        }
    }
    return 0;
}

void
wk_agg_let_free(wk_agg_let_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        bson_free(l->names[i]);
        wk_expr_free(l->exprs[i]);
    }
    bson_free(l->names);
    bson_free(l->exprs);
    memset(l, 0, sizeof(*l));
}
