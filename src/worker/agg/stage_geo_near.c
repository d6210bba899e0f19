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
    bson_t near;  /* {near: value} (owned) */
    bson_t query; /* owned; empty = all */
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
        BSON_APPEND_VALUE(&g->near, "near", bson_iter_value((bson_iter_t *)it));
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
        bson_destroy(&g->query);
        bson_copy_to(&view, &g->query);
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
    bson_destroy(&g->near);
    bson_destroy(&g->query);
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
    bson_init(&g->near);
    bson_init(&g->query);
    g->max = -1;
    g->mult = 1;
    while (bson_iter_next(&it))
        SDB_ERR(option(g, &it, err));
    if (bson_empty(&g->near))
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

/* emit -- one result: doc with the distance and the location set. */
static bson_t *
emit(const geo_near_t *g, const bson_t *doc, double d, const bson_value_t *loc)
{
    bson_value_t v = {.value_type = BSON_TYPE_DOUBLE};
    bson_t *out = bson_new(), tmp;

    v.value.v_double = d * g->mult;
    wk_agg_doc_set(doc, g->distance_field, &v, out);
    if (g->include_locs != NULL) {
        wk_agg_doc_set(out, g->include_locs, loc, &tmp);
        bson_destroy(out);
        out = bson_copy(&tmp);
        bson_destroy(&tmp);
    }
    return out;
}

int
wk_agg_run_geo_near(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                    sdb_error_t *err)
{
    const geo_near_t *g = priv;
    char ns[WK_NS_MAX];
    wk_geo_near_t *near = NULL;
    wk_agg_docs_t docs;
    bson_iter_t it;
    size_t i;
    int ret = 0;

    SDB_UNUSED(in);
    wk_agg_docs_init(&docs);
    snprintf(ns, sizeof(ns), "%s.%s", ctx->db, ctx->coll);
    if (!bson_iter_init_find(&it, &g->near, "near"))
        return SDB_ECORRUPT;
    SDB_ERR(wk_geo_near_new(g->key, &it, g->spherical, &near, err));
    SDB_ERR(wk_geo_near_index(near, ns, g->key != NULL, err));
    SDB_ERR(
        wk_agg_read(ns, &g->query, -1, ctx->collation, NULL, ctx->op, ctx->read_ts, &docs, err));
    SDB_ERR(wk_geo_near_order(near, docs.v, docs.n, ctx->op, err));
    for (i = 0; i < docs.n; i++) {
        bson_value_t loc;
        double d;

        if (!wk_geo_near_distance(near, docs.v[i], &d, &loc) || d < g->min ||
            (g->max >= 0 && d > g->max))
            continue;
        wk_agg_docs_push(out, emit(g, docs.v[i], d, &loc));
    }
err:
    wk_agg_docs_free(&docs);
    wk_geo_near_free(near);
    return ret;
}
