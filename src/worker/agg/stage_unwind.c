/*
 * src/worker/agg/stage_unwind.c -- $unwind: one output document per array element.
 *
 * "$path" or {path, includeArrayIndex?, preserveNullAndEmptyArrays?}.  A non-empty array at
 * the path yields one document per element with the path set to it (includeArrayIndex gets
 * the position as a long); a non-array, non-null value passes through as is (index null);
 * null, missing and [] are dropped unless preserveNullAndEmptyArrays keeps the document
 * (index null): unchanged for null and missing, without the field for [] (as mongod's
 * unwinder removes an empty array's field).  The path does not traverse arrays on its way.
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"

#include <string.h>

typedef struct unwind {
    char *path;  /* without the '$' */
    char *index; /* includeArrayIndex or NULL */
    bool preserve;
} unwind_t;

static void
unwind_free(unwind_t *u)
{
    if (u == NULL)
        return;
    bson_free(u->path);
    bson_free(u->index);
    bson_free(u);
}

static int
set_path(unwind_t *u, const bson_iter_t *it, sdb_error_t *err)
{
    const char *s;

    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, SDB_CODE_Location28808,
                             "expected a string as the path for $unwind stage, got %s",
                             wk_agg_type_name(bson_iter_type(it)));
    s = bson_iter_utf8(it, NULL);
    if (s[0] == '\0')
        return sdb_error_set(err, SDB_CODE_Location28808,
                             "expected a non-empty string for the path for $unwind stage");
    if (s[0] != '$')
        return sdb_error_set(err, SDB_CODE_Location28818,
                             "path option to $unwind stage should be prefixed with a '$': %s", s);
    bson_free(u->path);
    u->path = bson_strdup(s + 1);
    return sdb_path_check(u->path, strlen(u->path), err);
}

/* parse_option -- one field of the object form. */
static int
parse_option(unwind_t *u, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "path") == 0)
        return set_path(u, it, err);
    if (strcmp(k, "preserveNullAndEmptyArrays") == 0) {
        if (!BSON_ITER_HOLDS_BOOL(it))
            return sdb_error_set(err, SDB_CODE_Location28809,
                                 "expected a boolean for the preserveNullAndEmptyArrays option to "
                                 "$unwind stage, got %s",
                                 wk_agg_type_name(bson_iter_type(it)));
        u->preserve = bson_iter_bool(it);
        return 0;
    }
    if (strcmp(k, "includeArrayIndex") == 0) {
        const char *s;

        if (!BSON_ITER_HOLDS_UTF8(it) || bson_iter_utf8(it, NULL)[0] == '\0')
            return sdb_error_set(err, SDB_CODE_Location28810,
                                 "expected a non-empty string for the includeArrayIndex option to "
                                 "$unwind stage");
        s = bson_iter_utf8(it, NULL);
        if (s[0] == '$')
            return sdb_error_set(err, SDB_CODE_Location28822,
                                 "includeArrayIndex option to $unwind stage should not be "
                                 "prefixed with a '$': %s",
                                 s);
        bson_free(u->index);
        u->index = bson_strdup(s);
        return sdb_path_check(u->index, strlen(u->index), err);
    }
    return sdb_error_set(err, SDB_CODE_Location28811, "unrecognized option to $unwind stage: %s",
                         k);
}

int
wk_agg_parse_unwind(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    unwind_t *u = bson_malloc0(sizeof(*u));
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (BSON_ITER_HOLDS_UTF8(spec)) {
        SDB_ERR(set_path(u, spec, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(spec)) {
        bson_iter_recurse(spec, &it);
        while (bson_iter_next(&it))
            SDB_ERR(parse_option(u, &it, err));
        if (u->path == NULL)
            SDB_ERR(
                sdb_error_set(err, SDB_CODE_Location28812, "no path specified to $unwind stage"));
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location15981,
                              "expected either a string or an object as specification for "
                              "$unwind stage, got %s",
                              wk_agg_type_name(bson_iter_type(spec))));
    }
    *priv = u;
    return 0;
err:
    unwind_free(u);
    return ret;
}

/* emit -- doc with path = v (NULL: unchanged) and the index field (-1: null). */
static void
emit(const unwind_t *u, const bson_t *doc, const bson_value_t *v, int64_t idx, wk_agg_docs_t *out)
{
    bson_t a, b;
    bson_value_t iv;

    if (v != NULL)
        wk_agg_doc_set(doc, u->path, v, &a);
    else
        bson_copy_to(doc, &a);
    if (u->index != NULL) {
        memset(&iv, 0, sizeof(iv));
        iv.value_type = idx < 0 ? BSON_TYPE_NULL : BSON_TYPE_INT64;
        iv.value.v_int64 = idx;
        wk_agg_doc_set(&a, u->index, &iv, &b);
        bson_destroy(&a);
        wk_agg_docs_push(out, bson_copy(&b));
        bson_destroy(&b);
        return;
    }
    wk_agg_docs_push(out, bson_copy(&a));
    bson_destroy(&a);
}

/* unwind_one -- the documents one input yields. */
static void
unwind_one(const unwind_t *u, const bson_t *doc, wk_agg_docs_t *out)
{
    bson_value_t v;
    bson_t arr;
    bson_iter_t it;
    int64_t i = 0;

    wk_agg_doc_get(doc, u->path, &v);
    if (v.value_type == BSON_TYPE_ARRAY && wk_agg_value_doc(&v, &arr) && !bson_empty(&arr)) {
        bson_iter_init(&it, &arr);
        while (bson_iter_next(&it))
            emit(u, doc, bson_iter_value(&it), i++, out);
    } else if (v.value_type == BSON_TYPE_ARRAY) {
        bson_value_t gone = {.value_type = BSON_TYPE_EOD};

        if (u->preserve)
            emit(u, doc, &gone, -1, out);
    } else if (v.value_type == BSON_TYPE_EOD || v.value_type == BSON_TYPE_NULL ||
               v.value_type == BSON_TYPE_UNDEFINED) {
        if (u->preserve)
            emit(u, doc, NULL, -1, out);
    } else {
        emit(u, doc, NULL, -1, out);
    }
    if (v.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&v);
}

int
wk_agg_run_unwind(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                  sdb_error_t *err)
{
    for (size_t i = 0; i < in->n; i++) {
        SDB_RET(wk_op_check(ctx->op, err));
        if (in->v[i] != NULL)
            unwind_one(priv, in->v[i], out);
    }
    return 0;
}

void
wk_agg_free_unwind(void *priv)
{
    unwind_free(priv);
}
