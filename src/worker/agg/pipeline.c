/*
 * src/worker/agg/pipeline.c -- parse a pipeline against the stage table and run it.
 *
 * Parsing walks the array, looks each stage name up in stages.def (40324 for an unknown one),
 * enforces the position rules ($out/$merge last, sources first, {aggregate: 1} only with a
 * collection-less source) and keeps each stage's private state.  Running picks the source
 * (the caller's vector, a source stage, or the collection through the read executor with the
 * leading $match as its filter and, when only $skip/$limit follow it, a read limit) and then
 * hands the vector from stage to stage.
 *
 * Invariants: event-loop thread; a pipeline is immutable after wk_agg_parse.
 */
#include "agg_int.h"

#include "../../common/depth.h"

#include <stdio.h>
#include <string.h>

typedef struct agg_stage {
    const wk_agg_stage_def_t *def;
    void *priv;
    bson_t *spec; /* {<name>: <spec>} (heap: bson_t needs its 128-byte alignment) */
} agg_stage_t;

struct wk_agg_pipeline {
    agg_stage_t *st;
    size_t n;
    bson_t *lead; /* filter of a leading $match the collection source absorbs, or NULL */
};

static const wk_agg_stage_def_t stage_table[] = {
#define X(nm, stem, fl) {nm, wk_agg_parse_##stem, wk_agg_run_##stem, wk_agg_free_##stem, fl},
#include "stages.def"
#undef X
};

/* ---- document vectors ------------------------------------------------------------------ */

void
wk_agg_docs_init(wk_agg_docs_t *d)
{
    memset(d, 0, sizeof(*d));
}

void
wk_agg_docs_push(wk_agg_docs_t *d, bson_t *doc)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = bson_realloc(d->v, d->cap * sizeof(*d->v));
    }
    d->v[d->n++] = doc;
}

size_t
wk_agg_docs_bytes(const wk_agg_docs_t *d)
{
    size_t bytes = 0;

    for (size_t i = 0; i < d->n; i++)
        if (d->v[i] != NULL)
            bytes += d->v[i]->len;
    return bytes;
}

void
wk_agg_docs_free(wk_agg_docs_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i] != NULL)
            bson_destroy(d->v[i]);
    bson_free(d->v);
    wk_agg_docs_init(d);
}

/* ---- parsing --------------------------------------------------------------------------- */

static const wk_agg_stage_def_t *
find_stage(const char *name)
{
    for (size_t i = 0; i < sizeof(stage_table) / sizeof(stage_table[0]); i++)
        if (strcmp(stage_table[i].name, name) == 0)
            return &stage_table[i];
    return NULL;
}

/* check_position -- the placement rules of one stage. */
static int
check_position(const wk_agg_stage_def_t *def, size_t i, size_t n, const wk_agg_ctx_t *ctx,
               sdb_error_t *err)
{
    if ((def->flags & WK_AGG_F_LAST) && i + 1 != n)
        return sdb_error_set(err, SDB_CODE_Location40601,
                             "%s can only be the final stage in the pipeline", def->name);
    if ((def->flags & WK_AGG_F_FIRST) && i != 0)
        return sdb_error_set(err, SDB_CODE_Location40602,
                             "%s is only valid as the first stage in a pipeline", def->name);
    if ((def->flags & WK_AGG_F_NOTXN) && ctx->op != NULL && ctx->op->in_xact)
        return sdb_error_set(err, SDB_CODE_OperationNotSupportedInTransaction,
                             "Stage not supported inside of a multi-document transaction: %s",
                             def->name);
    if (i == 0 && ctx->coll == NULL && !(def->flags & WK_AGG_F_NOCOLL))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "{aggregate: 1} is not valid for '%s'; a collection is required.",
                             def->name);
    return 0;
}

/* parse_stage -- one {$name: spec} element. */
static int
parse_stage(const bson_iter_t *el, size_t i, size_t n, const wk_agg_ctx_t *ctx, agg_stage_t *st,
            sdb_error_t *err)
{
    bson_iter_t sit;
    const char *name;

    if (!BSON_ITER_HOLDS_DOCUMENT(el))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Each element of the 'pipeline' array must be an object");
    bson_iter_recurse(el, &sit);
    if (!bson_iter_next(&sit))
        return sdb_error_set(err, SDB_CODE_Location40323,
                             "A pipeline stage specification object must contain exactly one "
                             "field.");
    name = bson_iter_key(&sit);
    st->def = find_stage(name);
    if (st->def == NULL)
        return sdb_error_set(err, SDB_CODE_Location40324, "Unrecognized pipeline stage name: '%s'",
                             name);
    st->spec = bson_new();
    bson_append_value(st->spec, name, -1, bson_iter_value(&sit));
    {
        bson_iter_t more = sit;
        if (bson_iter_next(&more))
            return sdb_error_set(err, SDB_CODE_Location40323,
                                 "A pipeline stage specification object must contain exactly "
                                 "one field.");
    }
    SDB_RET(check_position(st->def, i, n, ctx, err));
    bson_iter_init(&sit, st->spec);
    bson_iter_next(&sit);
    return st->def->parse(&sit, ctx, &st->priv, err);
}

int
wk_agg_parse_doc(const bson_t *arr, const wk_agg_ctx_t *ctx, wk_agg_pipeline_t **out,
                 sdb_error_t *err)
{
    wk_agg_pipeline_t *p;
    bson_iter_t it;
    size_t n = 0, i = 0;
    int ret = 0;

    *out = NULL;
    if (ctx->depth > WK_AGG_MAX_DEPTH)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Maximum number of nested sub-pipelines exceeded. Limit is %d",
                             WK_AGG_MAX_DEPTH);
    bson_iter_init(&it, arr);
    while (bson_iter_next(&it))
        n++;
    if (n == 0 && ctx->coll == NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "{aggregate: 1} is not valid for an empty pipeline.");
    p = bson_malloc0(sizeof(*p));
    p->st = bson_malloc0((n ? n : 1) * sizeof(*p->st));
    bson_iter_init(&it, arr);
    while (bson_iter_next(&it)) {
        p->n = i + 1;
        SDB_ERR(parse_stage(&it, i, n, ctx, &p->st[i], err));
        i++;
    }
    if (n > 0 && strcmp(p->st[0].def->name, "$match") == 0) {
        bson_iter_t m;
        const uint8_t *data;
        uint32_t len;

        bson_iter_init(&m, p->st[0].spec);
        bson_iter_next(&m);
        bson_iter_document(&m, &len, &data);
        p->lead = bson_new_from_data(data, len);
    }
    *out = p;
    return 0;
err:
    wk_agg_free(p);
    return ret;
}

int
wk_agg_parse(const bson_iter_t *it, const wk_agg_ctx_t *ctx, wk_agg_pipeline_t **out,
             sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t arr;

    *out = NULL;
    if (!BSON_ITER_HOLDS_ARRAY(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field 'aggregate.pipeline' is the wrong type '%s', expected "
                             "type 'array'",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_array(it, &len, &data);
    if (!bson_init_static(&arr, data, len))
        return sdb_error_set(err, SDB_CODE_InvalidBSON, "invalid pipeline");
    return wk_agg_parse_doc(&arr, ctx, out, err);
}

void
wk_agg_free(wk_agg_pipeline_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        if (p->st[i].def != NULL) {
            p->st[i].def->free(p->st[i].priv);
            bson_destroy(p->st[i].spec);
        }
    }
    if (p->lead != NULL)
        bson_destroy(p->lead);
    bson_free(p->st);
    bson_free(p);
}

/* ---- running --------------------------------------------------------------------------- */

/* stage_num -- the integer spec of a $skip/$limit stage. */
static int64_t
stage_num(const agg_stage_t *st)
{
    bson_iter_t it;

    bson_iter_init(&it, st->spec);
    bson_iter_next(&it);
    return bson_iter_as_int64(&it);
}

/* read_limit -- how many source documents the stages after `from` can use (-1: all). */
static int64_t
read_limit(const wk_agg_pipeline_t *p, size_t from)
{
    int64_t offset = 0, need = -1;

    for (size_t i = from; i < p->n; i++) {
        int64_t v = stage_num(&p->st[i]);

        if (strcmp(p->st[i].def->name, "$skip") == 0) {
            offset = offset > INT64_MAX - v ? INT64_MAX : offset + v;
        } else if (strcmp(p->st[i].def->name, "$limit") == 0) {
            int64_t cand = offset > INT64_MAX - v ? INT64_MAX : offset + v;
            need = need < 0 || cand < need ? cand : need;
        } else {
            break;
        }
    }
    return need;
}

int
wk_agg_run(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_docs_t *input, wk_agg_docs_t *out,
           sdb_error_t *err)
{
    wk_agg_docs_t cur, next;
    size_t from = 0;
    int ret = 0;

    wk_agg_docs_init(&cur);
    wk_agg_docs_init(&next);
    if (input != NULL) {
        cur = *input;
        wk_agg_docs_init(input);
    } else if (p->n == 0 || !(p->st[0].def->flags & WK_AGG_F_SOURCE)) {
        char ns[512];

        if (ctx->coll == NULL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_InvalidNamespace,
                                  "{aggregate: 1} is not valid for an empty pipeline."));
        if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
            SDB_ERR(sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace"));
        from = p->lead != NULL ? 1 : 0;
        SDB_ERR(wk_agg_read(ns, p->lead, read_limit(p, from), ctx->collation,
                            ctx->depth == 0 ? ctx->hint : NULL, ctx->op, ctx->read_ts, &cur, err));
    }
    for (size_t i = from; i < p->n; i++) {
        SDB_ERR(wk_op_check(ctx->op, err));
        SDB_ERR(p->st[i].def->run(p->st[i].priv, ctx, &cur, &next, err));
        wk_agg_docs_free(&cur);
        cur = next;
        wk_agg_docs_init(&next);
    }
    for (size_t i = 0; i < cur.n; i++)
        if (cur.v[i] != NULL)
            wk_agg_docs_push(out, cur.v[i]);
    bson_free(cur.v);
    return 0;
err:
    wk_agg_docs_free(&cur);
    wk_agg_docs_free(&next);
    return ret;
}

void
wk_agg_leading_filter(const wk_agg_pipeline_t *p, bson_t *out)
{
    if (p->lead != NULL)
        bson_init_static(out, bson_get_data(p->lead), p->lead->len);
    else
        bson_init(out);
}

bool
wk_agg_writes(const wk_agg_pipeline_t *p)
{
    return p->n > 0 && (p->st[p->n - 1].def->flags & WK_AGG_F_LAST);
}

const char *
wk_agg_last_stage_name(const wk_agg_pipeline_t *p)
{
    return p->n > 0 ? p->st[p->n - 1].def->name : "";
}

void
wk_agg_append_stages(const wk_agg_pipeline_t *p, bson_t *b, const char *key)
{
    bson_t arr;
    char buf[16];
    const char *k;

    BSON_APPEND_ARRAY_BEGIN(b, key, &arr);
    for (size_t i = 0; i < p->n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof(buf));
        BSON_APPEND_DOCUMENT(&arr, k, p->st[i].spec);
    }
    bson_append_array_end(b, &arr);
}

/* ---- variables ------------------------------------------------------------------------- */

/* subst_string -- append the replacement of "$$name[.path]" when name is bound. */
static bool
subst_string(bson_t *b, const char *key, const char *s, const bson_t *vars)
{
    const char *dot;
    char name[256];
    size_t len;
    bson_iter_t it;
    bson_value_t v;
    bson_t lit;

    if (strncmp(s, "$$", 2) != 0)
        return false;
    dot = strchr(s + 2, '.');
    len = dot ? (size_t)(dot - (s + 2)) : strlen(s + 2);
    if (len == 0 || len >= sizeof(name))
        return false;
    memcpy(name, s + 2, len);
    name[len] = '\0';
    if (!bson_iter_init_find(&it, vars, name))
        return false;
    memset(&v, 0, sizeof(v));
    if (dot != NULL) {
        bson_t view;
        if (BSON_ITER_HOLDS_DOCUMENT(&it) && wk_agg_value_doc(bson_iter_value(&it), &view))
            wk_agg_doc_get(&view, dot + 1, &v);
    } else {
        bson_value_copy(bson_iter_value(&it), &v);
    }
    if (v.value_type == BSON_TYPE_EOD) {
        BSON_APPEND_UTF8(b, key, "$$REMOVE");
        return true;
    }
    BSON_APPEND_DOCUMENT_BEGIN(b, key, &lit);
    bson_append_value(&lit, "$literal", -1, &v);
    bson_append_document_end(b, &lit);
    bson_value_destroy(&v);
    return true;
}

/* subst_into -- copy the members of `it`'s container (at level `depth`) into b,
 * substituting; 15 Overflow past SDB_BSON_DEPTH_EVAL. */
static int
subst_into(bson_iter_t *it, bson_t *b, const bson_t *vars, int depth, sdb_error_t *err)
{
    int ret = 0;

    SDB_DEPTH_CHECK(depth, err, "pipeline");
    while (bson_iter_next(it) && ret == 0) {
        const char *k = bson_iter_key(it);
        bson_iter_t child;
        bson_t sub;

        if (BSON_ITER_HOLDS_UTF8(it) && subst_string(b, k, bson_iter_utf8(it, NULL), vars))
            continue;
        if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child)) {
            BSON_APPEND_DOCUMENT_BEGIN(b, k, &sub);
            ret = subst_into(&child, &sub, vars, depth + 1, err);
            bson_append_document_end(b, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
            BSON_APPEND_ARRAY_BEGIN(b, k, &sub);
            ret = subst_into(&child, &sub, vars, depth + 1, err);
            bson_append_array_end(b, &sub);
        } else {
            bson_append_value(b, k, -1, bson_iter_value(it));
        }
    }
    return ret;
}

int
wk_agg_subst_vars(const bson_t *in, const bson_t *vars, bson_t *out, sdb_error_t *err)
{
    bson_iter_t it;

    bson_init(out);
    if (bson_iter_init(&it, in))
        return subst_into(&it, out, vars, 1, err);
    return 0;
}
