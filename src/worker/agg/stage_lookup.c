/*
 * src/worker/agg/stage_lookup.c -- $lookup and $facet, the stages that run other pipelines,
 * and the collection reads they (and the pipeline source) share.
 *
 * $lookup's equality form reads the foreign documents whose foreignField equals the input's
 * localField (an array local value matches any of its elements, missing matches null): with
 * foreignField _id through the executor's _id lookup per input document, otherwise by
 * reading the foreign collection once and matching in memory.  The pipeline form runs its
 * pipeline per input document, over the foreign collection (the executor absorbs a leading
 * $match) or, combined with localField/foreignField, over the matched documents; `let`
 * variables are evaluated against the input document and substituted into the pipeline as
 * literals before it is parsed.  $facet runs each of its pipelines over a copy of the input.
 *
 * Invariants: event-loop thread (the store is called); private states are immutable.
 */
#include "agg_int.h"

#include "../engine/args.h"
#include "../engine/exec.h"
#include "../query/matcher.h"

#include <stdio.h>
#include <string.h>

int
wk_agg_read(const char *ns, const bson_t *filter, int64_t limit, const sdb_collation_t *coll,
            const bson_value_t *hint, const wk_op_t *op, uint64_t read_ts, wk_agg_docs_t *out,
            sdb_error_t *err)
{
    wk_match_opts_t mo = {NULL, coll};
    wk_exec_t ex;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = op;
    ex.read_ts = read_ts;
    SDB_ERR(wk_exec_open_hint(&ex, ns, filter, &mo, hint, err));
    while (limit < 0 || (int64_t)out->n < limit) {
        bson_t doc;
        int64_t r;
        bool found;

        SDB_ERR(wk_exec_next(&ex, &doc, &r, NULL, &found, err));
        if (!found)
            break;
        wk_agg_docs_push(out, bson_copy(&doc));
    }
err:
    wk_exec_close(&ex);
    return ret;
}

int
wk_agg_run_sub(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, const char *coll,
               wk_agg_docs_t *input, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_agg_ctx_t sub = *ctx;

    sub.coll = coll;
    sub.depth = ctx->depth + 1;
    return wk_agg_run(p, &sub, input, out, err);
}

/* ---- $lookup --------------------------------------------------------------------------- */

typedef struct lookup {
    char *from, *local, *foreign, *as;
    wk_agg_let_t let;
    bool has_pipeline;
    bson_t *pipeline;          /* the raw pipeline (substituted per document with let) */
    wk_agg_pipeline_t *parsed; /* parsed once when there is no let */
} lookup_t;

static void
lookup_free(lookup_t *l)
{
    if (l == NULL)
        return;
    bson_free(l->from);
    bson_free(l->local);
    bson_free(l->foreign);
    bson_free(l->as);
    wk_agg_let_free(&l->let);
    if (l->pipeline != NULL)
        bson_destroy(l->pipeline);
    wk_agg_free(l->parsed);
    bson_free(l);
}

static int
lookup_str(const bson_iter_t *it, char **out, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$lookup argument '%s' must be a string, is type %s",
                             bson_iter_key(it), wk_agg_type_name(bson_iter_type(it)));
    bson_free(*out);
    *out = bson_strdup(bson_iter_utf8(it, NULL));
    return 0;
}

static int
lookup_let(lookup_t *l, const bson_iter_t *it, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$lookup argument 'let' must be an object, is type %s",
                             wk_agg_type_name(bson_iter_type(it)));
    return wk_agg_let_parse(&l->let, it, err);
}

/* lookup_from -- from: "coll" or {coll}; a NUL inside the name is refused, never cut at. */
static int
lookup_from(lookup_t *l, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t c;
    uint32_t len;

    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &c) || !bson_iter_find(&c, "coll"))
        c = *it;
    SDB_RET(lookup_str(&c, &l->from, err));
    bson_iter_utf8(&c, &len);
    if (strlen(l->from) != len)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "namespaces cannot have embedded null characters");
    return 0;
}

/* lookup_field -- one option of $lookup. */
static int
lookup_field(lookup_t *l, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "from") == 0)
        return lookup_from(l, it, err);
    if (strcmp(k, "localField") == 0)
        return lookup_str(it, &l->local, err);
    if (strcmp(k, "foreignField") == 0)
        return lookup_str(it, &l->foreign, err);
    if (strcmp(k, "as") == 0) {
        SDB_RET(lookup_str(it, &l->as, err));
        return sdb_path_check(l->as, strlen(l->as), err);
    }
    if (strcmp(k, "let") == 0)
        return lookup_let(l, it, err);
    if (strcmp(k, "pipeline") == 0) {
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_ARRAY(it))
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "$lookup argument 'pipeline' must be an array, is type %s",
                                 wk_agg_type_name(bson_iter_type(it)));
        bson_iter_array(it, &len, &data);
        if (l->pipeline != NULL)
            bson_destroy(l->pipeline);
        l->pipeline = bson_new_from_data(data, len);
        l->has_pipeline = l->pipeline != NULL;
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_FailedToParse, "unknown argument to $lookup: %s", k);
}

int
wk_agg_parse_lookup(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    lookup_t *l;
    bson_iter_t it;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "the $lookup specification must be an Object, but found %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    l = bson_malloc0(sizeof(*l));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it))
        SDB_ERR(lookup_field(l, &it, err));
    if (l->as == NULL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "must specify 'as' field for a "
                              "$lookup"));
    if (!l->has_pipeline && (l->local == NULL || l->foreign == NULL || l->from == NULL))
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "$lookup requires either 'pipeline' or both 'localField' and "
                              "'foreignField' to be specified"));
    if ((l->local == NULL) != (l->foreign == NULL))
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "$lookup requires both or neither of 'localField' and "
                              "'foreignField' to be specified"));
    if (l->has_pipeline && l->let.n == 0) {
        wk_agg_ctx_t sub = *ctx;

        sub.coll = l->from != NULL ? l->from : (l->local != NULL ? "" : NULL);
        sub.depth = ctx->depth + 1;
        SDB_ERR(wk_agg_parse_doc(l->pipeline, &sub, &l->parsed, err));
    }
    *priv = l;
    return 0;
err:
    lookup_free(l);
    return ret;
}

/* local_filter -- {foreign: {$in: [values of localField]}} for one input document. */
static int
local_filter(const lookup_t *l, const bson_t *doc, bson_t *filter, sdb_error_t *err)
{
    bson_t src = BSON_INITIALIZER, in, arr, view;
    bson_iter_t it;
    bson_value_t v;
    wk_expr_t *e = NULL;
    uint32_t n = 0;
    char buf[16];
    const char *k;
    char *path = bson_strdup_printf("$%s", l->local);
    int ret = 0;

    bson_init(filter);
    BSON_APPEND_UTF8(&src, "p", path);
    bson_free(path);
    bson_iter_init(&it, &src);
    bson_iter_next(&it);
    SDB_ERR(wk_expr_parse(&it, &e, err));
    SDB_ERR(wk_agg_eval(e, doc, &v, err));
    BSON_APPEND_DOCUMENT_BEGIN(filter, l->foreign, &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
    if (v.value_type == BSON_TYPE_ARRAY && wk_agg_value_doc(&v, &view)) {
        bson_iter_init(&it, &view);
        while (bson_iter_next(&it)) {
            bson_uint32_to_string(n++, &k, buf, sizeof(buf));
            bson_append_iter(&arr, k, -1, &it);
        }
    }
    if (v.value_type == BSON_TYPE_EOD || v.value_type == BSON_TYPE_UNDEFINED)
        BSON_APPEND_NULL(&arr, "0");
    else if (v.value_type != BSON_TYPE_ARRAY)
        bson_append_value(&arr, "0", 1, &v);
    bson_append_array_end(&in, &arr);
    bson_append_document_end(filter, &in);
    if (v.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&v);
err:
    wk_expr_free(e);
    bson_destroy(&src);
    return ret;
}

/* matched -- the foreign documents of one input for the equality part. */
static int
matched(const lookup_t *l, const wk_agg_ctx_t *ctx, const char *ns, const bson_t *doc,
        const wk_agg_docs_t *cache, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_matcher_t *m = NULL;
    bson_t filter;
    int ret = 0;

    SDB_ERR(local_filter(l, doc, &filter, err));
    if (strcmp(l->foreign, "_id") == 0) {
        SDB_ERR(wk_agg_read(ns, &filter, -1, NULL, NULL, ctx->op, ctx->read_ts, out, err));
    } else {
        SDB_ERR(wk_matcher_new(&filter, &m, err));
        for (size_t i = 0; i < cache->n; i++) {
            SDB_ERR(wk_op_check(ctx->op, err));
            if (wk_matcher_matches(m, cache->v[i], NULL))
                wk_agg_docs_push(out, bson_copy(cache->v[i]));
        }
    }
err:
    wk_matcher_free(m);
    bson_destroy(&filter);
    return ret;
}

/* run_pipeline -- the pipeline part for one input (input docs consumed, may be NULL). */
static int
run_pipeline(const lookup_t *l, wk_agg_ctx_t *ctx, const bson_t *doc, wk_agg_docs_t *input,
             wk_agg_docs_t *out, sdb_error_t *err)
{
    bson_t vars = BSON_INITIALIZER, subst = BSON_INITIALIZER;
    wk_agg_pipeline_t *p = NULL;
    const char *coll = l->from != NULL ? l->from : (input != NULL ? "" : NULL);
    int ret = 0;

    if (l->parsed != NULL)
        return wk_agg_run_sub(l->parsed, ctx, coll, input, out, err);
    SDB_ERR(wk_agg_let_eval(&l->let, doc, ctx->op, &vars, err));
    bson_destroy(&subst);
    SDB_ERR(wk_agg_subst_vars(l->pipeline, &vars, &subst, err));
    {
        wk_agg_ctx_t sub = *ctx;
        sub.coll = coll;
        sub.depth = ctx->depth + 1;
        SDB_ERR(wk_agg_parse_doc(&subst, &sub, &p, err));
    }
    SDB_ERR(wk_agg_run_sub(p, ctx, coll, input, out, err));
err:
    wk_agg_free(p);
    bson_destroy(&vars);
    bson_destroy(&subst);
    return ret;
}

/* move_all -- move every document of `from` to `to`. */
static int
move_all(wk_agg_docs_t *from, wk_agg_docs_t *to)
{
    for (size_t i = 0; i < from->n; i++) {
        if (from->v[i] != NULL)
            wk_agg_docs_push(to, from->v[i]);
        from->v[i] = NULL;
    }
    return 0;
}

/* lookup_one -- the output document for one input. */
static int
lookup_one(const lookup_t *l, wk_agg_ctx_t *ctx, const char *ns, const bson_t *doc,
           const wk_agg_docs_t *cache, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_agg_docs_t got, res;
    bson_t arr = BSON_INITIALIZER, next;
    bson_value_t av;
    char buf[16];
    const char *k;
    int ret = 0;

    wk_agg_docs_init(&got);
    wk_agg_docs_init(&res);
    if (l->local != NULL)
        SDB_ERR(matched(l, ctx, ns, doc, cache, &got, err));
    if (l->has_pipeline)
        SDB_ERR(run_pipeline(l, ctx, doc, l->local != NULL ? &got : NULL, &res, err));
    else
        SDB_ERR(move_all(&got, &res));
    for (size_t i = 0; i < res.n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof(buf));
        BSON_APPEND_DOCUMENT(&arr, k, res.v[i]);
    }
    memset(&av, 0, sizeof(av));
    av.value_type = BSON_TYPE_ARRAY;
    av.value.v_doc.data = (uint8_t *)bson_get_data(&arr);
    av.value.v_doc.data_len = arr.len;
    wk_agg_doc_set(doc, l->as, &av, &next);
    wk_agg_docs_push(out, bson_copy(&next));
    bson_destroy(&next);
err:
    bson_destroy(&arr);
    wk_agg_docs_free(&got);
    wk_agg_docs_free(&res);
    return ret;
}

int
wk_agg_run_lookup(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                  sdb_error_t *err)
{
    const lookup_t *l = priv;
    wk_agg_docs_t cache;
    char ns[WK_NS_MAX];
    int ret = 0;

    wk_agg_docs_init(&cache);
    snprintf(ns, sizeof(ns), "%s.%s", ctx->db, l->from != NULL ? l->from : "");
    if (l->local != NULL && strcmp(l->foreign, "_id") != 0)
        SDB_ERR(
            wk_agg_read(ns, NULL, -1, ctx->collation, NULL, ctx->op, ctx->read_ts, &cache, err));
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i] != NULL)
            SDB_ERR(lookup_one(l, ctx, ns, in->v[i], &cache, out, err));
err:
    wk_agg_docs_free(&cache);
    return ret;
}

void
wk_agg_free_lookup(void *priv)
{
    lookup_free(priv);
}

/* ---- $facet ---------------------------------------------------------------------------- */

typedef struct facet {
    char **names;
    wk_agg_pipeline_t **pipes;
    size_t n;
} facet_t;

static void
facet_free(facet_t *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        bson_free(f->names[i]);
        wk_agg_free(f->pipes[i]);
    }
    bson_free(f->names);
    bson_free(f->pipes);
    bson_free(f);
}

/* facet_check -- stages a facet may not hold. */
static int
facet_check(const bson_iter_t *arr, sdb_error_t *err)
{
    static const char *const banned[] = {"$out",        "$merge",     "$facet", "$collStats",
                                         "$indexStats", "$documents", NULL};
    bson_iter_t el, st;

    bson_iter_recurse(arr, &el);
    while (bson_iter_next(&el)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&el) || !bson_iter_recurse(&el, &st) || !bson_iter_next(&st))
            continue;
        for (size_t i = 0; banned[i] != NULL; i++)
            if (strcmp(bson_iter_key(&st), banned[i]) == 0)
                return sdb_error_set(err, SDB_CODE_Location40600,
                                     "%s is not allowed to be used within a $facet stage",
                                     banned[i]);
    }
    return 0;
}

int
wk_agg_parse_facet(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    wk_agg_ctx_t sub = *ctx;
    bson_iter_t it;
    facet_t *f;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location15947,
                             "a facet's fields must be specified in an object");
    sub.coll = ctx->coll != NULL ? ctx->coll : "";
    sub.depth = ctx->depth + 1;
    f = bson_malloc0(sizeof(*f));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_ARRAY(&it))
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location40170,
                                  "arguments to $facet must be arrays, %s is type %s",
                                  bson_iter_key(&it), wk_agg_type_name(bson_iter_type(&it))));
        SDB_ERR(facet_check(&it, err));
        f->names = bson_realloc(f->names, (f->n + 1) * sizeof(char *));
        f->pipes = bson_realloc(f->pipes, (f->n + 1) * sizeof(wk_agg_pipeline_t *));
        f->names[f->n] = bson_strdup(bson_iter_key(&it));
        f->pipes[f->n] = NULL;
        f->n++;
        SDB_ERR(wk_agg_parse(&it, &sub, &f->pipes[f->n - 1], err));
    }
    if (f->n == 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40169,
                              "the $facet specification must be a non-empty object"));
    *priv = f;
    return 0;
err:
    facet_free(f);
    return ret;
}

/* The $facet sink (agg_int.h wk_agg_blocking_t): each chunk is copied into every
 * sub-pipeline as it comes (wk_agg_feed_*), whose blocking stages hold or spill it on their
 * own, so $facet itself holds only the sub-pipelines' results: the one output document, at
 * most internalQueryFacetMaxOutputDocSizeBytes (100 MiB, 4031700 as mongod says it). */

#define FACET_MAX_OUTPUT_BYTES ((size_t)100 * 1024 * 1024)

typedef struct facet_state {
    const facet_t *f;
    wk_agg_ctx_t *ctx;
    wk_agg_feed_t **feeds;
    wk_agg_docs_t *res;
    bool ended;
} facet_state_t;

static void
facet_close(void *state)
{
    facet_state_t *st = state;

    for (size_t i = 0; i < st->f->n; i++) {
        wk_agg_feed_free(st->feeds[i]);
        wk_agg_docs_free(&st->res[i]);
    }
    bson_free(st->feeds);
    bson_free(st->res);
    bson_free(st);
}

static int
facet_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    facet_state_t *st = bson_malloc0(sizeof(*st));
    const facet_t *f = priv;

    SDB_UNUSED(topk);
    st->f = f;
    st->ctx = ctx;
    st->feeds = bson_malloc0(f->n * sizeof(*st->feeds));
    st->res = bson_malloc0(f->n * sizeof(*st->res));
    *state = st;
    return 0;
}

/* facet_size -- 4031700 once the results pass the output limit. */
static int
facet_size(const facet_state_t *st, sdb_error_t *err)
{
    size_t bytes = 0;

    for (size_t i = 0; i < st->f->n; i++)
        bytes += wk_agg_docs_bytes(&st->res[i]);
    if (bytes <= FACET_MAX_OUTPUT_BYTES)
        return 0;
    return sdb_error_set(err, SDB_CODE_Location4031700,
                         "document constructed by $facet is %zu bytes, which exceeds the limit of "
                         "%zu bytes",
                         bytes, FACET_MAX_OUTPUT_BYTES);
}

/* facet_push -- a copy of the chunk into every sub-pipeline (the last one takes it). */
static int
facet_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    facet_state_t *st = state;
    wk_agg_ctx_t sub = *st->ctx;

    sub.coll = st->ctx->coll != NULL ? st->ctx->coll : "";
    for (size_t i = 0; i < st->f->n; i++) {
        wk_agg_docs_t copy;

        if (st->feeds[i] == NULL)
            SDB_RET(wk_agg_feed_open(st->f->pipes[i], &sub, &st->res[i], &st->feeds[i], err));
        wk_agg_docs_init(&copy);
        for (size_t j = 0; j < in->n; j++)
            if (in->v[j] != NULL)
                wk_agg_docs_push(&copy, bson_copy(in->v[j]));
        SDB_RET(wk_agg_feed_push(st->feeds[i], &copy, err));
    }
    return facet_size(st, err);
}

/* facet_pull -- end every sub-pipeline and build the one output document. */
static int
facet_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    facet_state_t *st = state;
    wk_agg_docs_t none;
    bson_t *doc;

    SDB_UNUSED(max);
    *done = true;
    if (st->ended)
        return 0;
    st->ended = true;
    wk_agg_docs_init(&none);
    SDB_RET(facet_push(st, &none, err)); /* opens the sub-pipelines of an empty input */
    for (size_t i = 0; i < st->f->n; i++) {
        SDB_RET(wk_agg_feed_end(st->feeds[i], err));
        SDB_RET(facet_size(st, err));
    }
    doc = bson_new();
    for (size_t i = 0; i < st->f->n; i++) {
        bson_t arr;
        uint32_t k = 0;

        BSON_APPEND_ARRAY_BEGIN(doc, st->f->names[i], &arr);
        for (size_t j = 0; j < st->res[i].n; j++) {
            char buf[16];
            const char *key;

            if (st->res[i].v[j] == NULL)
                continue;
            bson_uint32_to_string(k++, &key, buf, sizeof(buf));
            BSON_APPEND_DOCUMENT(&arr, key, st->res[i].v[j]);
        }
        bson_append_array_end(doc, &arr);
        wk_agg_docs_free(&st->res[i]);
    }
    wk_agg_docs_push(out, doc);
    return 0;
}

const wk_agg_blocking_t wk_agg_facet_blocking = {facet_open, facet_push, facet_pull, facet_close};

int
wk_agg_run_facet(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_facet_blocking, priv, ctx, in, out, err);
}

void
wk_agg_free_facet(void *priv)
{
    facet_free(priv);
}
