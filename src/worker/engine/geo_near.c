/*
 * src/worker/engine/geo_near.c -- proximity reads: finding the near predicate and its index,
 * measuring documents, ordering them by distance.
 *
 * The near predicate is the matcher's own (geoq.h), found again here at the top level of the
 * filter so that the executor can order by it; the geo index is looked up in the cached
 * catalog by its key pattern.  Ordering computes every document's distance once and sorts
 * (distance, position) pairs, so equal distances keep the scan's order.
 *
 * Invariants: event-loop thread; nothing here calls the store except the catalog refresh.
 */
#include "geo_near.h"

#include "../../common/geo/geo_keys.h"
#include "../../common/sdb.h"
#include "../catalog_cache.h"
#include "../query/sort.h"

#include <math.h>
#include <string.h>

static wk_geo_near_t *
near_alloc(const char *path, sdb_error_t *err)
{
    wk_geo_near_t *g = bson_malloc0(sizeof(*g));

    g->key = bson_new();
    if (sdb_path_parse(path, strlen(path), &g->path, err) != 0) {
        wk_geo_near_free(g);
        return NULL;
    }
    return g;
}

/* near_field -- a field's {$near | $nearSphere: ..., $maxDistance?, $minDistance?}. */
static int
near_field(const char *path, const bson_iter_t *field, wk_geo_near_t **out, sdb_error_t *err)
{
    bson_iter_t it, op;
    wk_geo_near_t *g;
    bool hit = false;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(field) || !bson_iter_recurse(field, &it))
        return 0;
    op = it;
    while (!hit && bson_iter_next(&op))
        hit = strcmp(bson_iter_key(&op), "$near") == 0 ||
              strcmp(bson_iter_key(&op), "$nearSphere") == 0;
    if (!hit)
        return 0;
    if ((g = near_alloc(path, err)) == NULL)
        return SDB_ECLIENT;
    SDB_ERR(wk_geoq_parse(bson_iter_key(&op), &op, &g->q, err));
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$maxDistance") == 0 || strcmp(k, "$minDistance") == 0)
            SDB_ERR(wk_geoq_set_distance(g->q, k, &it, err));
    }
    *out = g;
    return 0;
err:
    wk_geo_near_free(g);
    return ret;
}

int
wk_geo_near_from_filter(const bson_t *filter, wk_geo_near_t **out, sdb_error_t *err)
{
    bson_iter_t it;

    *out = NULL;
    if (!bson_iter_init(&it, filter))
        return 0;
    while (bson_iter_next(&it) && *out == NULL)
        if (bson_iter_key(&it)[0] != '$')
            SDB_RET(near_field(bson_iter_key(&it), &it, out, err));
    return 0;
}

int
wk_geo_near_new(const char *path, const bson_iter_t *near, bool spherical, wk_geo_near_t **out,
                sdb_error_t *err)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)near);
    wk_geo_near_t *g = near_alloc(path != NULL ? path : "", err);
    bson_t outer = BSON_INITIALIZER, geometry = BSON_INITIALIZER;
    bson_iter_t it;
    double x, y;
    int ret = 0;

    if (g == NULL)
        return SDB_ECLIENT;
    if (v->value_type == BSON_TYPE_DOCUMENT && !sdb_geo_is_legacy_point(v, &x, &y)) {
        BSON_APPEND_VALUE(&geometry, "$geometry", v); /* GeoJSON: as {$near: {$geometry}} */
        BSON_APPEND_DOCUMENT(&outer, "n", &geometry);
        if (bson_iter_init(&it, &outer) && bson_iter_next(&it))
            ret = wk_geoq_parse("$near", &it, &g->q, err);
    } else {
        ret = wk_geoq_parse(spherical ? "$nearSphere" : "$near", near, &g->q, err);
    }
    bson_destroy(&outer);
    bson_destroy(&geometry);
    if (ret != 0) {
        wk_geo_near_free(g);
        return ret;
    }
    *out = g;
    return 0;
}

/* geo_field -- the geo field of an index key pattern and its kind (SDB_GEO_NONE: none). */
static int
geo_field(const bson_t *key, const char **field)
{
    int pos = -1, kind = sdb_geo_pattern_kind(key, &pos);
    bson_iter_t it;

    if (kind == SDB_GEO_NONE || !bson_iter_init(&it, key))
        return SDB_GEO_NONE;
    for (int i = 0; bson_iter_next(&it); i++)
        if (i == pos)
            *field = bson_iter_key(&it);
    return kind;
}

/* take -- use this index for the read. */
static void
take(wk_geo_near_t *g, const bson_t *spec, const bson_t *key, int kind)
{
    bson_iter_t it;

    g->kind = kind;
    bson_destroy(g->key);
    g->key = bson_copy(key);
    if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(g->index, bson_iter_utf8(&it, NULL), sizeof(g->index));
    g->flat = sdb_geo_flat_params(spec);
    if (kind == SDB_GEO_2DSPHERE && g->q->legacy && !g->q->sphere) {
        g->q->sphere = true; /* a legacy point on a sphere: radians */
        g->resphered = true;
    }
}

int
wk_geo_near_index(wk_geo_near_t *g, const char *ns, bool need_path, sdb_error_t *err)
{
    const wk_coll_info_t *ci;
    bson_iter_t it, f;
    int found = 0;

    SDB_RET(wk_catalog_refresh());
    ci = wk_catalog_find(ns);
    if (ci != NULL && bson_iter_init(&it, &ci->indexes)) {
        while (bson_iter_next(&it)) {
            const uint8_t *d;
            uint32_t l;
            bson_t spec, key;
            const char *field = NULL;
            int kind;

            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                continue;
            bson_iter_document(&it, &l, &d);
            if (!bson_init_static(&spec, d, l) || !bson_iter_init_find(&f, &spec, "key") ||
                !BSON_ITER_HOLDS_DOCUMENT(&f))
                continue;
            bson_iter_document(&f, &l, &d);
            if (!bson_init_static(&key, d, l) || (kind = geo_field(&key, &field)) == 0)
                continue;
            if (kind == SDB_GEO_2D && !g->q->legacy)
                continue; /* a GeoJSON point needs a 2dsphere index */
            if (need_path && strcmp(field, g->path.dotted) != 0)
                continue;
            if (found++ == 0 || (need_path && kind == SDB_GEO_2D)) {
                take(g, &spec, &key, kind);
                if (!need_path) {
                    sdb_path_destroy(&g->path);
                    SDB_RET(sdb_path_parse(field, strlen(field), &g->path, err));
                }
            }
        }
    }
    if (found == 0 && !need_path) /* the $geoNear stage without key */
        return sdb_error_set(err, SDB_CODE_IndexNotFound,
                             "$geoNear requires a 2d or 2dsphere index, but none were found");
    if (found == 0)
        return sdb_error_set(err, SDB_CODE_NoQueryExecutionPlans,
                             "error processing query: ns=%s planner returned error :: caused by "
                             ":: unable to find index for $geoNear query",
                             ns);
    if (found > 1 && !need_path)
        return sdb_error_set(err, SDB_CODE_IndexNotFound,
                             "There is more than one 2dsphere index on %s; unsure which to use "
                             "for $geoNear",
                             ns);
    return 0;
}

typedef struct dist_ctx {
    const wk_geo_near_t *g;
    double best;
    bson_value_t loc;
    bool any;
} dist_ctx_t;

static bool
dist_visit(void *vctx, const bson_iter_t *it, int32_t arr_idx)
{
    dist_ctx_t *c = vctx;
    double d;

    (void)arr_idx;
    if (it == NULL || !wk_geoq_value_distance(c->g->q, bson_iter_value((bson_iter_t *)it), &d))
        return false;
    if (!c->any || d < c->best) {
        c->best = d;
        c->loc = *bson_iter_value((bson_iter_t *)it);
        c->any = true;
    }
    return false;
}

bool
wk_geo_near_distance(const wk_geo_near_t *g, const bson_t *doc, double *d, bson_value_t *loc)
{
    dist_ctx_t c = {g, 0, {0}, false};

    sdb_path_walk(doc, &g->path, 0, false, dist_visit, &c);
    if (!c.any)
        return false;
    *d = c.best;
    if (loc != NULL)
        *loc = c.loc;
    return true;
}

typedef struct ranked {
    double d;
    size_t pos;
    bson_t *doc;
} ranked_t;

static int
ranked_cmp(const void *a, const void *b, void *arg)
{
    const ranked_t *x = a, *y = b;

    (void)arg;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

int
wk_geo_near_order(const wk_geo_near_t *g, bson_t **docs, size_t n, const wk_op_t *op,
                  sdb_error_t *err)
{
    ranked_t *r = bson_malloc((n ? n : 1) * sizeof(*r));
    int ret;

    for (size_t i = 0; i < n; i++) {
        r[i].pos = i;
        r[i].doc = docs[i];
        if (!wk_geo_near_distance(g, docs[i], &r[i].d, NULL))
            r[i].d = INFINITY;
    }
    ret = wk_sort_array_op(r, n, sizeof(*r), ranked_cmp, NULL, op, err);
    for (size_t i = 0; i < n; i++)
        docs[i] = r[i].doc;
    bson_free(r);
    return ret;
}

/* near_op -- a field whose operators hold $near or $nearSphere. */
static bool
near_op(const bson_iter_t *field)
{
    bson_iter_t op;

    if (!BSON_ITER_HOLDS_DOCUMENT(field) || !bson_iter_recurse(field, &op))
        return false;
    while (bson_iter_next(&op))
        if (strcmp(bson_iter_key(&op), "$near") == 0 ||
            strcmp(bson_iter_key(&op), "$nearSphere") == 0)
            return true;
    return false;
}

void
wk_geo_near_bounded(const wk_geo_near_t *g, const bson_t *filter, double r, bson_t *out)
{
    bson_iter_t it, op;
    bson_t ops;

    bson_init(out);
    if (!bson_iter_init(&it, filter))
        return;
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), g->path.dotted) != 0 || !near_op(&it) ||
            !bson_iter_recurse(&it, &op)) {
            bson_append_iter(out, NULL, 0, &it);
            continue;
        }
        bson_append_document_begin(out, bson_iter_key(&it), -1, &ops);
        while (bson_iter_next(&op))
            bson_append_iter(&ops, NULL, 0, &op);
        BSON_APPEND_DOUBLE(&ops, "$maxDistance", r);
        bson_append_document_end(out, &ops);
    }
}

bool
wk_geo_near_grows(const wk_geo_near_t *g)
{
    if (g->q->max_dist >= 0 || g->resphered)
        return false;
    return g->kind == SDB_GEO_2D || (g->kind == SDB_GEO_2DSPHERE && g->q->sphere);
}

/* collect -- every match of one read into out (copies). */
static int
collect(wk_exec_t *ex, bool rid, wk_geo_near_hits_t *out, sdb_error_t *err)
{
    size_t cap = 0;

    for (;;) {
        bson_t doc;
        int64_t r;
        bool found;

        SDB_RET(wk_exec_next(ex, &doc, &r, NULL, &found, err));
        if (!found)
            break;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->docs = bson_realloc(out->docs, cap * sizeof(*out->docs));
        }
        out->docs[out->n] = bson_copy(&doc);
        if (rid)
            BSON_APPEND_INT64(out->docs[out->n], "$recordId", r);
        out->n++;
    }
    return 0;
}

/* geo_scan -- whether the executor scans a geo index (plan_geo.c), as a disc's read should. */
static bool
geo_scan(const wk_exec_t *ex)
{
    return ex->mode == WK_EXEC_SEC && ex->nor == 0 &&
           sdb_geo_pattern_kind(&ex->plan.key, NULL) != SDB_GEO_NONE;
}

/* first_radius -- the first disc's radius in the query's units, and the one that covers
 * every point: 1 km and half the sphere on a sphere (radians below meters for a legacy
 * point), a 4096th of the grid and past its diagonal on a plane. */
static void
first_radius(const wk_geo_near_t *g, double *r, double *all)
{
    double span = g->flat.max - g->flat.min;

    if (g->q->sphere) {
        *r = 1000.0 / SDB_GEO_EARTH_RADIUS_M * (g->q->meters ? SDB_GEO_EARTH_RADIUS_M : 1.0);
        *all = M_PI * (g->q->meters ? SDB_GEO_EARTH_RADIUS_M : 1.0);
    } else {
        *r = span / 4096;
        *all = span * 1.5;
    }
}

int
wk_geo_near_read(const wk_geo_near_t *g, wk_exec_t *ex, const char *ns, const bson_t *filter,
                 const wk_match_opts_t *mo, size_t want, bool rid, wk_geo_near_hits_t *out,
                 sdb_error_t *err)
{
    double r, all;
    bool grow = want > 0 && wk_geo_near_grows(g);
    int ret = 0;

    memset(out, 0, sizeof(*out));
    first_radius(g, &r, &all);
    for (;;) {
        bson_t f;

        if (grow)
            wk_geo_near_bounded(g, filter, r, &f);
        else
            bson_copy_to(filter, &f);
        ret = wk_exec_open_find(ex, ns, &f, mo, NULL, NULL, NULL, err);
        bson_destroy(&f);
        if (ret == 0 && grow && !geo_scan(ex)) {
            grow = false; /* each disc would read the whole collection: read it once */
            continue;
        }
        if (ret == 0)
            ret = collect(ex, rid, out, err);
        out->keys += ex->keys_examined;
        out->examined += ex->docs_examined;
        if (ret != 0)
            return ret;
        if (!grow || out->n >= want || r >= all)
            break;
        for (size_t i = 0; i < out->n; i++)
            bson_destroy(out->docs[i]);
        out->n = 0;
        r *= 2; /* a disc 4 times larger: every read together costs 4/3 of the last */
    }
    return wk_geo_near_order(g, out->docs, out->n, ex->op, err);
}

void
wk_geo_near_hits_free(wk_geo_near_hits_t *h)
{
    for (size_t i = 0; i < h->n; i++)
        bson_destroy(h->docs[i]);
    bson_free(h->docs);
    memset(h, 0, sizeof(*h));
}

void
wk_geo_near_explain(const wk_geo_near_t *g, bool stats, uint64_t nret, bson_t *out)
{
    BSON_APPEND_UTF8(out, "stage", g->kind == SDB_GEO_2D ? "GEO_NEAR_2D" : "GEO_NEAR_2DSPHERE");
    if (stats)
        BSON_APPEND_INT64(out, "nReturned", (int64_t)nret);
    BSON_APPEND_DOCUMENT(out, "keyPattern", g->key);
    BSON_APPEND_UTF8(out, "indexName", g->index);
    BSON_APPEND_INT32(out, "indexVersion", 2);
}

void
wk_geo_near_free(wk_geo_near_t *g)
{
    if (g == NULL)
        return;
    sdb_path_destroy(&g->path);
    wk_geoq_free(g->q);
    bson_destroy(g->key);
    bson_free(g);
}
