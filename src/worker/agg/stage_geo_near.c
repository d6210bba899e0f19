/*
 * src/worker/agg/stage_geo_near.c -- the $geoNear stage.
 *
 * $geoNear is a source (it must come first): it picks the collection's geo index (the one on
 * `key`, or the only one), reads the documents `query` matches, measures each one's least
 * distance from `near` (engine/geo_near.h: meters for a GeoJSON point, radians for a legacy
 * pair with spherical or a 2dsphere index, planar units on a 2d index), keeps those within
 * minDistance..maxDistance, and hands them out nearest first with the distance (times
 * distanceMultiplier) at distanceField and the geometry that gave it at includeLocs.
 *
 * Invariants: the private state is immutable after parsing; event-loop thread.
 */
#include "agg_int.h"

#include "../engine/args.h"
#include "../engine/geo_near.h"

#include <math.h>
#include <string.h>

typedef struct geo_near {
    bson_t *near;  /* {near: value} (owned; a pointer: bson_t's alignment exceeds malloc's) */
    bson_t *query; /* owned; empty = all */
    char *distance_field, *include_locs, *key;
    bool spherical;
    double min, max, mult; /* max < 0: none */
} geo_near_t;

/* string_opt -- a non-empty string option that is a field path. */
static int
string_opt(const bson_iter_t *it, int code, const char *what, char **out, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, code, "%s", what);
    SDB_RET(wk_agg_field_path(bson_iter_utf8(it, NULL), err));
    *out = bson_strdup(bson_iter_utf8(it, NULL));
    return 0;
}

/* number_opt -- a non-negative number option. */
static int
number_opt(const bson_iter_t *it, const char *k, double *out, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_NUMBER(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "%s must be a number", k);
    *out = bson_iter_as_double((bson_iter_t *)it);
    if (!(*out >= 0))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s must be nonnegative", k);
    return 0;
}

/* option -- one field of the stage's specification. */
static int
option(geo_near_t *g, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "near") == 0) {
        if (!BSON_ITER_HOLDS_ARRAY(it) && !BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_Location16605,
                                 "$geoNear requires a 'near' option as an Array");
        BSON_APPEND_VALUE(g->near, "near", bson_iter_value((bson_iter_t *)it));
        return 0;
    }
    if (strcmp(k, "distanceField") == 0)
        return string_opt(it, SDB_CODE_Location16606,
                          "$geoNear requires a 'distanceField' option as a String",
                          &g->distance_field, err);
    if (strcmp(k, "includeLocs") == 0)
        return string_opt(it, SDB_CODE_Location16607,
                          "$geoNear requires that 'includeLocs' option is a String",
                          &g->include_locs, err);
    if (strcmp(k, "key") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "$geoNear parameter 'key' must be of type string but found type: "
                                 "%s",
                                 wk_agg_type_name(bson_iter_type(it)));
        if (bson_iter_utf8(it, NULL)[0] == '\0')
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "$geoNear parameter 'key' cannot be the empty string");
        g->key = bson_strdup(bson_iter_utf8(it, NULL));
        return 0;
    }
    if (strcmp(k, "query") == 0) {
        const uint8_t *d;
        uint32_t l;
        bson_t view;

        if (!BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch, "query must be an object");
        bson_iter_document(it, &l, &d);
        if (!bson_init_static(&view, d, l))
            return SDB_ECORRUPT;
        bson_destroy(g->query);
        g->query = bson_copy(&view);
        return 0;
    }
    if (strcmp(k, "spherical") == 0) {
        g->spherical = bson_iter_as_bool(it);
        return 0;
    }
    if (strcmp(k, "maxDistance") == 0)
        return number_opt(it, k, &g->max, err);
    if (strcmp(k, "minDistance") == 0)
        return number_opt(it, k, &g->min, err);
    if (strcmp(k, "distanceMultiplier") == 0)
        return number_opt(it, k, &g->mult, err);
    return sdb_error_set(err, SDB_CODE_BadValue, "Unknown argument to $geoNear: %s", k);
}

void
wk_agg_free_geo_near(void *priv)
{
    geo_near_t *g = priv;

    if (g == NULL)
        return;
    bson_destroy(g->near);
    bson_destroy(g->query);
    bson_free(g->distance_field);
    bson_free(g->include_locs);
    bson_free(g->key);
    bson_free(g);
}

int
wk_agg_parse_geo_near(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                      sdb_error_t *err)
{
    geo_near_t *g;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec) || !bson_iter_recurse(spec, &it))
        return sdb_error_set(err, SDB_CODE_Location10065,
                             "invalid parameter: expected an object ($geoNear)");
    g = bson_malloc0(sizeof(*g));
    g->near = bson_new();
    g->query = bson_new();
    g->max = -1;
    g->mult = 1;
    while (bson_iter_next(&it))
        SDB_ERR(option(g, &it, err));
    if (bson_empty(g->near))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16605,
                              "$geoNear requires a 'near' option as an Array"));
    if (g->distance_field == NULL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16606,
                              "$geoNear requires a 'distanceField' option as a String"));
    *priv = g;
    return 0;
err:
    wk_agg_free_geo_near(g);
    return ret;
}

/* emit -- one result: doc with the distance and the location set (a heap copy). */
static bson_t *
emit(const geo_near_t *g, const bson_t *doc, double d, const bson_value_t *loc)
{
    bson_value_t v = {.value_type = BSON_TYPE_DOUBLE};
    bson_t with_d, with_loc, *out;

    v.value.v_double = d * g->mult;
    wk_agg_doc_set(doc, g->distance_field, &v, &with_d);
    if (g->include_locs == NULL) {
        out = bson_copy(&with_d);
    } else {
        wk_agg_doc_set(&with_d, g->include_locs, loc, &with_loc);
        out = bson_copy(&with_loc);
        bson_destroy(&with_loc);
    }
    bson_destroy(&with_d);
    return out;
}

/* near_filter -- query with the near predicate of g (the index's field, the stage's units and
 * distance bounds) first: {path: {$near | $nearSphere: point, $minDistance?, $maxDistance?},
 * ...query}, the filter of a find's $near, into out (initialized here). */
static void
near_filter(const geo_near_t *g, const wk_geo_near_t *near, bson_t *out)
{
    bson_iter_t it;
    bson_t ops, geometry;

    bson_init(out);
    bson_iter_init_find(&it, g->near, "near");
    bson_append_document_begin(out, near->path.dotted, -1, &ops);
    if (near->q->legacy) {
        bson_append_iter(&ops, near->q->sphere ? "$nearSphere" : "$near", -1, &it);
    } else { /* GeoJSON: meters */
        BSON_APPEND_DOCUMENT_BEGIN(&ops, "$near", &geometry);
        bson_append_iter(&geometry, "$geometry", -1, &it);
        bson_append_document_end(&ops, &geometry);
    }
    if (g->min > 0)
        BSON_APPEND_DOUBLE(&ops, "$minDistance", g->min);
    if (g->max >= 0)
        BSON_APPEND_DOUBLE(&ops, "$maxDistance", g->max);
    bson_append_document_end(out, &ops);
    if (bson_iter_init(&it, g->query))
        while (bson_iter_next(&it))
            bson_append_iter(out, NULL, 0, &it);
}

/* plan -- the near read of the stage: its index and its filter (*filter initialized here). */
static int
plan(const geo_near_t *g, const char *ns, wk_geo_near_t **out, bson_t *filter, sdb_error_t *err)
{
    wk_geo_near_t *near = NULL;
    bson_iter_t it;
    int ret = 0;

    bson_init(filter);
    *out = NULL;
    if (!bson_iter_init_find(&it, g->near, "near"))
        return SDB_ECORRUPT;
    SDB_ERR(wk_geo_near_new(g->key, &it, g->spherical, &near, err));
    SDB_ERR(wk_geo_near_index(near, ns, g->key != NULL, err)); /* the path and the units */
    bson_destroy(filter);
    near_filter(g, near, filter);
    wk_geo_near_free(near);
    near = NULL;
    SDB_ERR(wk_geo_near_from_filter(filter, out, err)); /* the read of that filter */
    if (*out == NULL)
        SDB_ERR(SDB_ECORRUPT);
    SDB_ERR(wk_geo_near_index(*out, ns, true, err));
    return 0;
err:
    wk_geo_near_free(near);
    wk_geo_near_free(*out);
    *out = NULL;
    return ret;
}

/* near_read -- plan the stage's read and, when `run`, read its documents nearest first as a
 * find's $near reads them (at most the first `want` of them matter; <= 0: all). */
static int
near_read(const geo_near_t *g, const wk_agg_ctx_t *ctx, bool run, int64_t want, wk_exec_t *ex,
          wk_geo_near_t **near, bson_t *filter, wk_geo_near_hits_t *hits, sdb_error_t *err)
{
    wk_match_opts_t mo = {NULL, ctx->collation};
    char ns[WK_NS_MAX];

    memset(hits, 0, sizeof(*hits));
    bson_snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll);
    SDB_RET(plan(g, ns, near, filter, err));
    if (!run)
        return 0;
    mo.allow_near = true;
    ex->op = ctx->op;
    ex->read_ts = ctx->read_ts;
    return wk_geo_near_read(*near, ex, ns, filter, &mo, want > 0 ? (size_t)want : 0, false, hits,
                            err);
}

int
wk_agg_run_geo_near(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                    sdb_error_t *err)
{
    const geo_near_t *g = priv;
    wk_geo_near_t *near = NULL;
    wk_geo_near_hits_t hits;
    bson_t filter;
    wk_exec_t ex;
    int ret = 0;

    SDB_UNUSED(in);
    wk_exec_init(&ex);
    SDB_ERR(near_read(g, ctx, true, ctx->source_want, &ex, &near, &filter, &hits, err));
    for (size_t i = 0; i < hits.n; i++) {
        bson_value_t loc;
        double d;

        if (wk_geo_near_distance(near, hits.docs[i], &d, &loc))
            wk_agg_docs_push(out, emit(g, hits.docs[i], d, &loc));
    }
err:
    wk_exec_close(&ex);
    wk_geo_near_hits_free(&hits);
    bson_destroy(&filter);
    wk_geo_near_free(near);
    return ret;
}

int
wk_agg_explain_geo_near(const void *priv, const wk_agg_ctx_t *ctx, int64_t want, int verbosity,
                        bson_t *out, sdb_error_t *err)
{
    const geo_near_t *g = priv;
    int64_t t0 = bson_get_monotonic_time();
    bool stats = verbosity >= WK_EXPLAIN_EXEC_STATS;
    wk_geo_near_t *near = NULL;
    wk_geo_near_hits_t hits;
    bson_t filter, cur, qp, plan_doc, arr, tree = BSON_INITIALIZER;
    char ns[WK_NS_MAX];
    size_t nret;
    wk_exec_t ex;
    int ret = 0;

    wk_exec_init(&ex);
    SDB_ERR(near_read(g, ctx, stats, want, &ex, &near, &filter, &hits, err));
    ex.keys_examined = hits.keys;
    ex.docs_examined = hits.examined;
    nret = want > 0 && hits.n > (size_t)want ? (size_t)want : hits.n; /* what the rest takes */
    bson_snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$geoNearCursor", &cur);
    BSON_APPEND_DOCUMENT_BEGIN(&cur, "queryPlanner", &qp);
    BSON_APPEND_UTF8(&qp, "namespace", ns);
    BSON_APPEND_BOOL(&qp, "indexFilterSet", false);
    BSON_APPEND_DOCUMENT(&qp, "parsedQuery", &filter);
    BSON_APPEND_DOCUMENT_BEGIN(&qp, "winningPlan", &plan_doc);
    wk_geo_near_explain(near, false, 0, &plan_doc);
    bson_append_document_end(&qp, &plan_doc);
    BSON_APPEND_ARRAY_BEGIN(&qp, "rejectedPlans", &arr);
    bson_append_array_end(&qp, &arr);
    bson_append_document_end(&cur, &qp);
    if (stats) {
        wk_geo_near_explain(near, true, nret, &tree);
        wk_exec_explain_stats(&ex, &filter, (int64_t)nret, t0, verbosity, &tree, &cur);
    }
    bson_append_document_end(out, &cur);
err:
    bson_destroy(&tree);
    wk_exec_close(&ex);
    wk_geo_near_hits_free(&hits);
    bson_destroy(&filter);
    wk_geo_near_free(near);
    return ret;
}
