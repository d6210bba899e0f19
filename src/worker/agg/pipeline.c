/*
 * src/worker/agg/pipeline.c -- parse a pipeline against the stage table and run it.
 *
 * Parsing walks the array, looks each stage name up in stages.def (40324 for an unknown one),
 * enforces the position rules ($out/$merge last, sources first, {aggregate: 1} only with a
 * collection-less source) and keeps each stage's private state.  Running picks the source
 * (the caller's vector, a source stage, or the collection through the read executor with the
 * leading $match as its filter and, when only $skip/$limit follow it, a read limit) and pushes
 * it through the stages in chunks of at most WK_AGG_CHUNK documents: a streaming stage
 * ($match, $project, $unwind, ...) maps each chunk on, $skip and $limit count across chunks,
 * and the read stops as soon as a $limit with no blocking stage before it has had enough, so a
 * pipeline such as [$match, $project, $limit] reads only what it returns.  $sort and $group
 * (wk_agg_blocking_t) take chunks, hold at most their memory limit and spill past it
 * (spill.h); they hand their output on in chunks once their input ended.  Any other stage
 * collects its whole input and runs once over it.  A $sort followed by $skip/$limit keeps
 * only the top skip+limit documents.
 *
 * Invariants: event-loop thread; a pipeline is immutable after wk_agg_parse.
 */
#include "agg_int.h"

#include "../../common/depth.h"
#include "../engine/exec.h"
#include "../query/sort.h"

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
    bson_t *lead;      /* filter of a leading $match the collection source absorbs, or NULL */
    bson_t *lead_sort; /* spec of a $sort right after it (or first), which the read absorbs
                        * when the planner finds an index in its order; or NULL */
    size_t sort_at;    /* that $sort's position */
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

/* find_lead_sort -- note a $sort of plain fields (1 / -1 each) right after the leading $match. */
static void
find_lead_sort(wk_agg_pipeline_t *p)
{
    size_t at = p->lead != NULL ? 1 : 0;
    bson_iter_t it, k;

    if (at >= p->n || strcmp(p->st[at].def->name, "$sort") != 0)
        return;
    bson_iter_init(&it, p->st[at].spec);
    if (!bson_iter_next(&it) || !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &k))
        return;
    while (bson_iter_next(&k))
        if (!BSON_ITER_HOLDS_NUMBER(&k))
            return; /* {$meta: ...} */
    {
        const uint8_t *data;
        uint32_t len;

        bson_iter_document(&it, &len, &data);
        p->lead_sort = bson_new_from_data(data, len);
        p->sort_at = at;
    }
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
    find_lead_sort(p);
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
    if (p->lead_sort != NULL)
        bson_destroy(p->lead_sort);
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

/* The kinds of stage the chunked run (below) tells apart. */
enum {
    K_STREAM,
    K_SKIP,
    K_LIMIT,
    K_BLOCK,
    K_SINK,
    K_PASS /* a leading $sort the read absorbed: the documents already come in its order */
};

/* Stages that map each document on its own (0..n outputs): run per chunk. */
static const char *const streaming[] = {
    "$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$unwind",
};

/* Blocking stages that take chunks and may spill (agg_int.h wk_agg_blocking_t). */
static const struct {
    const char *name;
    const wk_agg_blocking_t *b;
} sinks[] = {
    {"$sort", &wk_agg_sort_blocking},
    {"$group", &wk_agg_group_blocking},
    {"$bucketAuto", &wk_agg_bucket_auto_blocking},
    {"$setWindowFields", &wk_agg_window_blocking},
    {"$facet", &wk_agg_facet_blocking},
};

/* xstage_t -- one stage's state during a run. */
typedef struct xstage {
    int kind;
    int64_t left;               /* K_SKIP: documents still to drop; K_LIMIT: still to pass */
    const wk_agg_blocking_t *b; /* K_SINK */
    void *state;                /* K_SINK: open state, or NULL */
    wk_agg_docs_t held;         /* K_BLOCK: its whole input */
} xstage_t;

typedef struct xrun {
    const wk_agg_pipeline_t *p;
    wk_agg_ctx_t *ctx;
    xstage_t *xs;
    wk_agg_docs_t *out;
    wk_agg_emit_fn emit; /* NULL: results collect in out */
    void *emit_arg;
} xrun_t;

/* stage_kind -- how the chunked run drives stage i. */
static int
stage_kind(const wk_agg_pipeline_t *p, size_t i, const wk_agg_blocking_t **b)
{
    const char *name = p->st[i].def->name;

    if (strcmp(name, "$skip") == 0)
        return K_SKIP;
    if (strcmp(name, "$limit") == 0)
        return K_LIMIT;
    for (size_t k = 0; k < sizeof(streaming) / sizeof(streaming[0]); k++)
        if (strcmp(name, streaming[k]) == 0)
            return K_STREAM;
    for (size_t k = 0; k < sizeof(sinks) / sizeof(sinks[0]); k++) {
        if (strcmp(name, sinks[k].name) == 0) {
            *b = sinks[k].b;
            return K_SINK;
        }
    }
    return K_BLOCK;
}

/* take -- move the first `n` documents of chunk (NULL slots skipped) to dst and free the
 * rest; returns how many moved. */
static int64_t
take(wk_agg_docs_t *chunk, int64_t n, wk_agg_docs_t *dst)
{
    int64_t moved = 0;

    for (size_t i = 0; i < chunk->n; i++) {
        if (chunk->v[i] == NULL)
            continue;
        if (moved < n && dst != NULL)
            wk_agg_docs_push(dst, chunk->v[i]);
        else
            bson_destroy(chunk->v[i]);
        chunk->v[i] = NULL;
        moved += moved < n;
    }
    return moved;
}

/* with_score -- a copy of a document the executor matched; a $text match keeps its score
 * beside it (WK_SORT_TEXT_SCORE) for {$meta: "textScore"} in $sort and expressions, until
 * strip_scores takes it off the pipeline's output. */
static bson_t *
with_score(const bson_t *doc, const wk_match_details_t *det)
{
    bson_t *c = bson_copy(doc);

    if (det->has_text_score)
        BSON_APPEND_DOUBLE(c, WK_SORT_TEXT_SCORE, det->text_score);
    return c;
}

/* strip_scores -- the output documents without the text score kept beside them. */
static void
strip_scores(wk_agg_docs_t *out)
{
    for (size_t i = 0; i < out->n; i++) {
        bson_t *clean;

        if (out->v[i] == NULL || !bson_has_field(out->v[i], WK_SORT_TEXT_SCORE))
            continue;
        clean = bson_new();
        bson_copy_to_excluding_noinit(out->v[i], clean, WK_SORT_TEXT_SCORE, NULL);
        bson_destroy(out->v[i]);
        out->v[i] = clean;
    }
}

/* push -- feed `chunk` (consumed) into stage i and on down the streaming stages after it. */
static int
push(xrun_t *r, size_t i, wk_agg_docs_t *chunk, sdb_error_t *err)
{
    wk_agg_docs_t next;
    int ret = 0;

    wk_agg_docs_init(&next);
    for (; i < r->p->n && chunk->n > 0; i++) {
        xstage_t *x = &r->xs[i];

        SDB_ERR(wk_op_check(r->ctx->op, err));
        switch (x->kind) {
        case K_STREAM:
            SDB_ERR(r->p->st[i].def->run(r->p->st[i].priv, r->ctx, chunk, &next, err));
            break;
        case K_SKIP:
            for (size_t k = 0; k < chunk->n && x->left > 0; k++) {
                if (chunk->v[k] != NULL) {
                    bson_destroy(chunk->v[k]);
                    chunk->v[k] = NULL;
                    x->left--;
                }
            }
            take(chunk, INT64_MAX, &next);
            break;
        case K_LIMIT:
            x->left -= take(chunk, x->left, &next);
            break;
        case K_BLOCK:
            take(chunk, INT64_MAX, &x->held);
            break;
        case K_PASS:
            take(chunk, INT64_MAX, &next);
            break;
        default:
            SDB_ERR(x->b->push(x->state, chunk, err));
            break;
        }
        wk_agg_docs_free(chunk);
        *chunk = next;
        wk_agg_docs_init(&next);
        if (x->kind == K_BLOCK || x->kind == K_SINK)
            break;
    }
    if (i >= r->p->n) {
        take(chunk, INT64_MAX, r->out);
        if (r->emit != NULL && r->out->n > 0) {
            strip_scores(r->out);
            SDB_ERR(r->emit(r->emit_arg, r->out, err));
        }
    }
err:
    wk_agg_docs_free(&next);
    wk_agg_docs_free(chunk);
    return ret;
}

/* satisfied -- whether stages from `i` on want no more input: a $limit reached before any
 * blocking stage. */
static bool
satisfied(const xrun_t *r, size_t i)
{
    for (; i < r->p->n; i++) {
        if (r->xs[i].kind == K_LIMIT && r->xs[i].left <= 0)
            return true;
        if (r->xs[i].kind == K_BLOCK || r->xs[i].kind == K_SINK)
            return false;
    }
    return false;
}

/* drain -- stage i has all its input: hand its output on, chunk by chunk. */
static int
drain(xrun_t *r, size_t i, sdb_error_t *err)
{
    xstage_t *x = &r->xs[i];
    wk_agg_docs_t chunk;
    bool done = false;
    int ret = 0;

    wk_agg_docs_init(&chunk);
    if (x->kind == K_BLOCK) {
        ret = r->p->st[i].def->run(r->p->st[i].priv, r->ctx, &x->held, &chunk, err);
        wk_agg_docs_free(&x->held);
        if (ret != 0) {
            wk_agg_docs_free(&chunk);
            return ret;
        }
        return push(r, i + 1, &chunk, err);
    }
    while (!done && !satisfied(r, i + 1) && ret == 0) {
        ret = x->b->pull(x->state, &chunk, WK_AGG_CHUNK, &done, err);
        if (ret == 0)
            ret = push(r, i + 1, &chunk, err); /* consumes the chunk */
    }
    wk_agg_docs_free(&chunk);
    return ret;
}

/* open_read -- open the collection read of stage `from`: with the leading $sort, so that the
 * planner may pick an index in its order (the same planner as find's, exec.h). */
static int
open_read(const wk_agg_pipeline_t *p, wk_exec_t *ex, const char *ns, const wk_match_opts_t *mo,
          const bson_value_t *hint, sdb_error_t *err)
{
    if (p->lead_sort != NULL)
        return wk_exec_open_sorted(ex, ns, p->lead, mo, hint, p->lead_sort, err);
    return wk_exec_open_hint(ex, ns, p->lead, mo, hint, err);
}

/* absorb_sort -- when the read yields the leading $sort's order, that $sort passes documents
 * on as they come (no top-k, no spill: a $limit after it stops the read); true if so. */
static bool
absorb_sort(xrun_t *r, const wk_exec_t *ex)
{
    xstage_t *x;

    if (r->p->lead_sort == NULL || !wk_exec_sorted(ex))
        return false;
    x = &r->xs[r->p->sort_at];
    if (x->state != NULL)
        x->b->close(x->state);
    x->state = NULL;
    x->kind = K_PASS;
    return true;
}

/* read_source -- the collection, read chunk by chunk into stage `from` until it ends or the
 * stages want no more. */
static int
read_source(xrun_t *r, size_t from, sdb_error_t *err)
{
    const wk_agg_pipeline_t *p = r->p;
    wk_agg_ctx_t *ctx = r->ctx;
    wk_match_opts_t mo = {NULL, ctx->collation};
    int64_t limit, got = 0;
    wk_agg_docs_t chunk;
    bool found = true;
    char ns[512];
    wk_exec_t ex;
    int ret = 0;

    if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    wk_agg_docs_init(&chunk);
    wk_exec_init(&ex);
    ex.op = ctx->op;
    ex.read_ts = ctx->read_ts;
    SDB_ERR(open_read(p, &ex, ns, &mo, ctx->depth == 0 ? ctx->hint : NULL, err));
    limit = read_limit(p, absorb_sort(r, &ex) ? from + 1 : from);
    while (found && (limit < 0 || got < limit) && !satisfied(r, from)) {
        size_t bytes = 0;

        while (chunk.n < WK_AGG_CHUNK && bytes < WK_AGG_CHUNK_BYTES && (limit < 0 || got < limit)) {
            wk_match_details_t det;
            bson_t doc;
            int64_t rec;

            SDB_ERR(wk_exec_next(&ex, &doc, &rec, &det, &found, err));
            if (!found)
                break;
            wk_agg_docs_push(&chunk, with_score(&doc, &det));
            bytes += doc.len;
            got++;
        }
        SDB_ERR(push(r, from, &chunk, err));
    }
err:
    wk_agg_docs_free(&chunk);
    wk_exec_close(&ex);
    return ret;
}

/* xrun_init -- the run states of every stage; sinks open with their top-k. */
static int
xrun_init(xrun_t *r, sdb_error_t *err)
{
    const wk_agg_pipeline_t *p = r->p;

    SDB_UNUSED(err);
    r->xs = bson_malloc0((p->n ? p->n : 1) * sizeof(*r->xs));
    for (size_t i = 0; i < p->n; i++) {
        xstage_t *x = &r->xs[i];

        wk_agg_docs_init(&x->held);
        x->kind = stage_kind(p, i, &x->b);
        if (x->kind == K_SKIP || x->kind == K_LIMIT)
            x->left = stage_num(&p->st[i]);
        if (x->kind == K_SINK)
            SDB_RET(x->b->open(p->st[i].priv, r->ctx, read_limit(p, i + 1), &x->state));
    }
    return 0;
}

static void
xrun_free(xrun_t *r)
{
    if (r->xs == NULL)
        return;
    for (size_t i = 0; i < r->p->n; i++) {
        if (r->xs[i].state != NULL)
            r->xs[i].b->close(r->xs[i].state);
        wk_agg_docs_free(&r->xs[i].held);
    }
    bson_free(r->xs);
}

/* run -- wk_agg_run and wk_agg_run_emit. */
static int
run(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_docs_t *input, wk_agg_docs_t *out,
    wk_agg_emit_fn emit, void *arg, sdb_error_t *err)
{
    xrun_t r = {p, ctx, NULL, out, emit, arg};
    wk_agg_docs_t chunk;
    size_t from = 0;
    int ret = 0;

    wk_agg_docs_init(&chunk);
    SDB_ERR(xrun_init(&r, err));
    if (input != NULL) {
        chunk = *input;
        wk_agg_docs_init(input);
        SDB_ERR(push(&r, 0, &chunk, err));
    } else if (p->n > 0 && (p->st[0].def->flags & WK_AGG_F_SOURCE)) {
        wk_agg_docs_t none;

        wk_agg_ctx_t sctx = *ctx;

        sctx.source_want = read_limit(p, 1); /* a $geoNear reads no farther than needed */
        wk_agg_docs_init(&none);
        ret = p->st[0].def->run(p->st[0].priv, &sctx, &none, &chunk, err);
        wk_agg_docs_free(&none);
        SDB_ERR(ret);
        from = 1;
        SDB_ERR(push(&r, 1, &chunk, err));
    } else {
        if (ctx->coll == NULL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_InvalidNamespace,
                                  "{aggregate: 1} is not valid for an empty pipeline."));
        from = p->lead != NULL ? 1 : 0;
        SDB_ERR(read_source(&r, from, err));
    }
    for (size_t i = from; i < p->n; i++)
        if (r.xs[i].kind == K_BLOCK || r.xs[i].kind == K_SINK)
            SDB_ERR(drain(&r, i, err));
    strip_scores(out);
err:
    if (ret != 0)
        wk_agg_docs_free(out);
    wk_agg_docs_free(&chunk);
    xrun_free(&r);
    return ret;
}

/* ---- feeding a sub-pipeline chunk by chunk (agg_int.h wk_agg_feed_*) --------------------- */

struct wk_agg_feed {
    xrun_t r;
    wk_agg_ctx_t ctx; /* the caller's, one level deeper */
};

int
wk_agg_feed_open(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx, wk_agg_docs_t *out,
                 wk_agg_feed_t **f, sdb_error_t *err)
{
    wk_agg_feed_t *x = bson_malloc0(sizeof(*x));

    x->ctx = *ctx;
    x->ctx.depth = ctx->depth + 1;
    x->r.p = p;
    x->r.ctx = &x->ctx;
    x->r.out = out;
    *f = x;
    return xrun_init(&x->r, err);
}

int
wk_agg_feed_push(wk_agg_feed_t *f, wk_agg_docs_t *chunk, sdb_error_t *err)
{
    return push(&f->r, 0, chunk, err);
}

int
wk_agg_feed_end(wk_agg_feed_t *f, sdb_error_t *err)
{
    for (size_t i = 0; i < f->r.p->n; i++)
        if (f->r.xs[i].kind == K_BLOCK || f->r.xs[i].kind == K_SINK)
            SDB_RET(drain(&f->r, i, err));
    return 0;
}

void
wk_agg_feed_free(wk_agg_feed_t *f)
{
    if (f == NULL)
        return;
    xrun_free(&f->r);
    bson_free(f);
}

int
wk_agg_explain_source(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx, int verbosity,
                      bson_t *out, bson_t *rest, bool *done, sdb_error_t *err)
{
    *done = p->n > 0 && strcmp(p->st[0].def->name, "$geoNear") == 0;
    if (!*done)
        return 0;
    for (size_t i = 1; i < p->n; i++) {
        char key[16];

        bson_snprintf(key, sizeof(key), "%zu", i);
        BSON_APPEND_DOCUMENT(rest, key, p->st[i].spec);
    }
    return wk_agg_explain_geo_near(p->st[0].priv, ctx, read_limit(p, 1), verbosity, out, err);
}

int
wk_agg_run(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_docs_t *input, wk_agg_docs_t *out,
           sdb_error_t *err)
{
    return run(p, ctx, input, out, NULL, NULL, err);
}

int
wk_agg_run_emit(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_emit_fn emit, void *arg,
                sdb_error_t *err)
{
    wk_agg_docs_t out;
    int ret;

    wk_agg_docs_init(&out);
    ret = run(p, ctx, NULL, &out, emit, arg, err);
    wk_agg_docs_free(&out);
    return ret;
}

/* streamable -- wk_agg_streamable, the leading $sort counted as absorbed when `sorted`. */
static bool
streamable(const wk_agg_pipeline_t *p, bool sorted)
{
    const wk_agg_blocking_t *b;

    if (p->n > 0 && (p->st[0].def->flags & WK_AGG_F_SOURCE))
        return false;
    for (size_t i = 0; i < p->n; i++) {
        int kind = stage_kind(p, i, &b);

        if (sorted && p->lead_sort != NULL && i == p->sort_at)
            continue;
        if (kind == K_BLOCK || kind == K_SINK)
            return false;
    }
    return true;
}

bool
wk_agg_streamable(const wk_agg_pipeline_t *p)
{
    return streamable(p, false);
}

bool
wk_agg_streamable_sorted(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx)
{
    wk_match_opts_t mo = {NULL, ctx->collation};
    sdb_error_t e;
    char ns[512];
    wk_exec_t ex;
    bool sorted;

    if (p->lead_sort == NULL || ctx->coll == NULL || !streamable(p, true) ||
        (size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
        return false;
    memset(&e, 0, sizeof(e));
    wk_exec_init(&ex);
    ex.op = ctx->op;
    ex.read_ts = ctx->read_ts;
    sorted = open_read(p, &ex, ns, &mo, ctx->hint, &e) == 0 && wk_exec_sorted(&ex);
    wk_exec_close(&ex);
    return sorted;
}

bool
wk_agg_leading_sort(const wk_agg_pipeline_t *p, bson_t *out)
{
    if (p->lead_sort == NULL)
        return false;
    bson_init_static(out, bson_get_data(p->lead_sort), p->lead_sort->len);
    return true;
}

/* restore_counts -- the $skip/$limit counts a batch left ({left: [per stage]}). */
static void
restore_counts(xrun_t *r, const bson_t *resume)
{
    bson_iter_t it, a;

    if (!bson_iter_init_find(&it, resume, "left") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &a))
        return;
    for (size_t i = 0; i < r->p->n && bson_iter_next(&a); i++)
        if (r->xs[i].kind == K_SKIP || r->xs[i].kind == K_LIMIT)
            r->xs[i].left = bson_iter_as_int64(&a);
}

/* save_counts -- {left: [per stage]} into state. */
static void
save_counts(const xrun_t *r, bson_t *state)
{
    bson_t arr;

    BSON_APPEND_ARRAY_BEGIN(state, "left", &arr);
    for (size_t i = 0; i < r->p->n; i++) {
        char key[16];
        const char *k;

        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_INT64(&arr, k, r->xs[i].left);
    }
    bson_append_array_end(state, &arr);
}

/* batch_fill -- read and push source documents until `want` results or the end. */
static int
batch_fill(xrun_t *r, wk_exec_t *ex, size_t from, int64_t want, bool *eof, sdb_error_t *err)
{
    wk_agg_docs_t chunk;
    bool found = true;
    int ret = 0;

    wk_agg_docs_init(&chunk);
    while (found && (int64_t)r->out->n < want && !satisfied(r, from)) {
        int64_t room = want - (int64_t)r->out->n;

        while (chunk.n < WK_AGG_CHUNK && (int64_t)chunk.n < room) {
            wk_match_details_t det;
            bson_t doc;
            int64_t rec;

            SDB_ERR(wk_exec_next(ex, &doc, &rec, &det, &found, err));
            if (!found)
                break;
            wk_agg_docs_push(&chunk, with_score(&doc, &det));
        }
        SDB_ERR(push(r, from, &chunk, err));
    }
    if (found && !satisfied(r, from)) { /* peek: is there more? */
        bson_t doc;
        int64_t rec;

        SDB_ERR(wk_exec_next(ex, &doc, &rec, NULL, &found, err));
        if (found)
            wk_exec_unget(ex);
    }
    *eof = !found || satisfied(r, from);
err:
    wk_agg_docs_free(&chunk);
    return ret;
}

int
wk_agg_run_batch(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, const bson_t *resume, int64_t want,
                 wk_agg_docs_t *out, bson_t *state, bool *eof, sdb_error_t *err)
{
    xrun_t r = {p, ctx, NULL, out, NULL, NULL};
    wk_match_opts_t mo = {NULL, ctx->collation};
    size_t from = p->lead != NULL ? 1 : 0;
    bson_iter_t it;
    char ns[512];
    wk_exec_t ex;
    int ret = 0;

    *eof = true;
    wk_exec_init(&ex);
    ex.op = ctx->op;
    ex.read_ts = ctx->read_ts;
    if (want <= 0)
        want = INT64_MAX;
    if (ctx->coll == NULL ||
        (size_t)snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll) >= sizeof(ns))
        SDB_ERR(sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace"));
    SDB_ERR(xrun_init(&r, err));
    if (resume != NULL && bson_iter_init_find(&it, resume, "pos") &&
        BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t pos;

        restore_counts(&r, resume);
        bson_iter_document(&it, &len, &data);
        bson_init_static(&pos, data, len);
        SDB_ERR(wk_exec_restore_ex(&ex, ns, p->lead, &mo, &pos, err));
    } else {
        SDB_ERR(open_read(p, &ex, ns, &mo, ctx->hint, err));
    }
    if (p->lead_sort != NULL && !absorb_sort(&r, &ex)) /* the index went away between batches */
        SDB_ERR(sdb_error_set(err, SDB_CODE_QueryPlanKilled,
                              "the index that provided the sort order is gone"));
    SDB_ERR(batch_fill(&r, &ex, from, want, eof, err));
    strip_scores(out);
    if (!*eof) {
        wk_exec_save(&ex, state, "pos");
        save_counts(&r, state);
    }
err:
    wk_exec_close(&ex);
    xrun_free(&r);
    return ret;
}

int
wk_agg_blocking_run(const wk_agg_blocking_t *b, const void *priv, wk_agg_ctx_t *ctx,
                    wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    void *state = NULL;
    bool done = false;
    int ret = 0;

    SDB_ERR(b->open(priv, ctx, -1, &state));
    SDB_ERR(b->push(state, in, err));
    while (!done)
        SDB_ERR(b->pull(state, out, 0, &done, err));
err:
    if (state != NULL)
        b->close(state);
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
