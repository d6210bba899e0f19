/*
 * src/worker/engine/plan_geo.c -- index plans for $geoWithin, $geoIntersects and bounded
 * $near over a 2dsphere or 2d index, compound ones included.
 *
 * A top-level geo predicate on the geo field of a 2dsphere or 2d index becomes an IXSCAN:
 * - 2dsphere: $geoWithin ($geometry, $centerSphere), $geoIntersects, and a spherical $near /
 *   $nearSphere with $maxDistance (its cap) scan the cell-id ranges of the region's covering
 *   (s2_shim.h sdb_s2_query_ranges: each covering cell's descendants, and its ancestors down
 *   to the index's coarsest level, where stored shapes that may reach the region are keyed);
 * - 2d: $geoWithin $box, $center, $polygon, $centerSphere and a $near (planar) or
 *   $nearSphere (radians on longitude/latitude) with $maxDistance scan the geohash ranges of the grid cells covering
 *   the region's bounding box (geo_keys.h sdb_geo_flat_ranges).
 * The fields before the geo field must each be bounded by points ($eq, $in: mongod's
 * compound geo plans use the prefix's equality bounds), at most PG_MAX_PREFIXES combinations;
 * the scan then walks, for each combination in index order, the geo ranges; the fields after
 * it are unbounded.  Ranges are sorted and merged, so the scan walks them once, in key order;
 * the executor's FETCH applies the exact predicate.  The planner prefers this plan whenever
 * it applies (mongod's geo plan would win its race for any selective region).
 *
 * Invariants: event-loop thread; the plan owns what it holds (exec_plan.h); prefix values
 * are views into the filter and the bounds arena while the plan is built.
 */
#include "exec_plan.h"

#include "../../common/geo/geo_keys.h"
#include "../../common/sdb.h"
#include "../query/geoq.h"
#include "plan_bounds.h"

#include <math.h>
#include <string.h>

#define PG_QUERY_CELLS 32
#define PG_FLAT_CELLS 32
#define PG_MAX_PREFIXES 64
#define PG_MAX_FIELDS 32

typedef struct pg_range {
    int64_t lo, hi;
} pg_range_t;

typedef struct pg_ranges {
    pg_range_t *v;
    size_t n, cap;
} pg_ranges_t;

/* The region of a geo predicate, as each index kind can scan it. */
typedef struct pg_query {
    wk_geoq_t *q;
    const char *field;
    bool sphere_ok; /* a 2dsphere index can serve it: q->geom.s2 is the region */
    bool flat_ok;   /* a 2d index can serve it: box is its bounding box */
    double box[4];  /* x1, y1, x2, y2 */
} pg_query_t;

/* The equality prefix of a compound geo index: every combination of its fields' points. */
typedef struct pg_prefix {
    const bson_value_t **vals; /* n x nf values, one row per combination, in index order */
    size_t n, nf;
    bson_t bounds; /* explain's bounds of the prefix fields */
} pg_prefix_t;

static void
range_push(pg_ranges_t *r, int64_t lo, int64_t hi)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = bson_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n].lo = lo;
    r->v[r->n++].hi = hi;
}

static void
range_cb(uint64_t lo, uint64_t hi, void *ctx)
{
    range_push(ctx, (int64_t)lo, (int64_t)hi); /* one cell's ids share a face: same order */
}

static void
flat_cb(int64_t lo, int64_t hi, void *ctx)
{
    range_push(ctx, lo, hi);
}

static int
range_cmp(const void *a, const void *b)
{
    const pg_range_t *x = a, *y = b;

    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* merge -- sort and fuse overlapping ranges. */
static void
merge(pg_ranges_t *r)
{
    size_t k = 0;

    qsort(r->v, r->n, sizeof(*r->v), range_cmp);
    for (size_t i = 0; i < r->n; i++) {
        if (k > 0 && r->v[i].lo <= r->v[k - 1].hi) {
            if (r->v[i].hi > r->v[k - 1].hi)
                r->v[k - 1].hi = r->v[i].hi;
        } else {
            r->v[k++] = r->v[i];
        }
    }
    r->n = k;
}

/* cap_box -- the longitude/latitude box around the cap of `r` radians at (x, y) in degrees:
 * every longitude when it reaches a pole or the antimeridian. */
static void
cap_box(double x, double y, double r, double *box)
{
    double rd = r * 180.0 / M_PI, s = sin(r) / cos(y * M_PI / 180.0);

    box[1] = y - rd;
    box[3] = y + rd;
    box[0] = -180;
    box[2] = 180;
    if (box[1] <= -90 || box[3] >= 90 || r >= M_PI / 2 || s >= 1)
        return;
    rd = asin(s) * 180.0 / M_PI * (1 + 1e-9);
    if (x - rd > -180 && x + rd < 180) {
        box[0] = x - rd;
        box[2] = x + rd;
    }
}

/* near_query -- a $near / $nearSphere with $maxDistance (in its object or beside it) as the
 * region it may reach: a spherical one as a cap (2dsphere) and, with a legacy point, the box
 * around it (2d); a planar one as the box around its disc (2d). */
static void
near_query(pg_query_t *pq, const bson_iter_t *field)
{
    wk_geoq_t *q = pq->q;
    sdb_error_t err;
    bson_iter_t ops;

    if (bson_iter_recurse(field, &ops))
        while (bson_iter_next(&ops))
            if (strcmp(bson_iter_key(&ops), "$maxDistance") == 0 &&
                wk_geoq_set_distance(q, "$maxDistance", &ops, &err) != 0)
                break;
    if (q->max_dist < 0)
        return;
    if (!q->sphere) {
        pq->flat_ok = true;
        pq->box[0] = q->x - q->max_dist;
        pq->box[1] = q->y - q->max_dist;
        pq->box[2] = q->x + q->max_dist;
        pq->box[3] = q->y + q->max_dist;
        return;
    }
    if (!q->meters) {
        pq->flat_ok = true;
        cap_box(q->x, q->y, q->max_dist, pq->box);
    }
    sdb_geo_free(&q->geom);
    q->geom.s2 = sdb_s2_new();
    sdb_s2_set_cap(q->geom.s2, q->x, q->y,
                   q->max_dist / (q->meters ? SDB_GEO_EARTH_RADIUS_M : 1.0));
    pq->sphere_ok = true;
}

/* flat_query -- the bounding box of a $box, $center or $polygon. */
static void
flat_query(pg_query_t *pq)
{
    const wk_geoq_t *q = pq->q;

    pq->flat_ok = true;
    if (q->shape == WK_GEO_BOX) {
        memcpy(pq->box, q->flat, sizeof(pq->box));
    } else if (q->shape == WK_GEO_CENTER) {
        pq->box[0] = q->flat[0] - q->flat[2];
        pq->box[1] = q->flat[1] - q->flat[2];
        pq->box[2] = q->flat[0] + q->flat[2];
        pq->box[3] = q->flat[1] + q->flat[2];
    } else {
        pq->box[0] = pq->box[2] = q->flat[0];
        pq->box[1] = pq->box[3] = q->flat[1];
        for (size_t i = 0; i + 1 < q->nflat; i += 2) {
            pq->box[0] = fmin(pq->box[0], q->flat[i]);
            pq->box[2] = fmax(pq->box[2], q->flat[i]);
            pq->box[1] = fmin(pq->box[1], q->flat[i + 1]);
            pq->box[3] = fmax(pq->box[3], q->flat[i + 1]);
        }
    }
}

/* center_sphere -- the box of a $geoWithin {$centerSphere: [[x, y], r]} (parsed already, so
 * well formed); false for any other region. */
static bool
center_sphere(const bson_iter_t *within, double *box)
{
    bson_iter_t it, a, p;
    double xy[2];
    int i = 0;

    if (!bson_iter_recurse(within, &it) || !bson_iter_find(&it, "$centerSphere") ||
        !bson_iter_recurse(&it, &a) || !bson_iter_next(&a) || !bson_iter_recurse(&a, &p))
        return false;
    while (i < 2 && bson_iter_next(&p))
        xy[i++] = bson_iter_as_double(&p);
    if (i < 2 || !bson_iter_next(&a))
        return false;
    cap_box(xy[0], xy[1], bson_iter_as_double(&a), box);
    return true;
}

/* geo_predicate -- the region of the first top-level geo predicate of filter; false when
 * there is none an index can serve. */
static bool
geo_predicate(const bson_t *filter, pg_query_t *pq)
{
    bson_iter_t it, ops;
    sdb_error_t err;

    if (!bson_iter_init(&it, filter))
        return false;
    while (bson_iter_next(&it)) {
        if (bson_iter_key(&it)[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
            !bson_iter_recurse(&it, &ops))
            continue;
        while (bson_iter_next(&ops)) {
            const char *op = bson_iter_key(&ops);
            bool near = strcmp(op, "$near") == 0 || strcmp(op, "$nearSphere") == 0;

            if (!near && strcmp(op, "$geoWithin") != 0 && strcmp(op, "$within") != 0 &&
                strcmp(op, "$geoIntersects") != 0)
                continue;
            if (wk_geoq_parse(op, &ops, &pq->q, &err) != 0)
                return false;
            pq->field = bson_iter_key(&it);
            if (near) {
                near_query(pq, &it);
            } else if (pq->q->shape != WK_GEO_S2) {
                flat_query(pq);
            } else {
                pq->sphere_ok = true;
                pq->flat_ok = center_sphere(&ops, pq->box);
            }
            return pq->sphere_ok || pq->flat_ok;
        }
    }
    return false;
}

/* geo_index -- an index spec (no partial filter, not hidden) with a geo field named
 * pq->field of a kind that can serve the region: its key pattern to *key, that field's
 * position to *pos, its kind to *kind. */
static bool
geo_index(const bson_t *spec, const pg_query_t *pq, bson_t *key, int *pos, int *kind)
{
    bson_iter_t it, k;
    const uint8_t *d;
    uint32_t l;

    if (bson_has_field(spec, "partialFilterExpression") ||
        (bson_iter_init_find(&it, spec, "hidden") && bson_iter_as_bool(&it)) ||
        !bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &l, &d);
    if (!bson_init_static(key, d, l) || !bson_iter_init(&k, key))
        return false;
    for (*pos = 0; bson_iter_next(&k); (*pos)++) {
        const char *s = BSON_ITER_HOLDS_UTF8(&k) ? bson_iter_utf8(&k, NULL) : "";

        if (strcmp(bson_iter_key(&k), pq->field) != 0)
            continue;
        *kind = strcmp(s, "2dsphere") == 0 ? SDB_GEO_2DSPHERE
                : strcmp(s, "2d") == 0     ? SDB_GEO_2D
                                           : SDB_GEO_NONE;
        return (*kind == SDB_GEO_2DSPHERE && pq->sphere_ok) || (*kind == SDB_GEO_2D && pq->flat_ok);
    }
    return false;
}

/* string_like -- a value whose key depends on a collation. */
static bool
string_like(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_UTF8 || v->value_type == BSON_TYPE_SYMBOL ||
           v->value_type == BSON_TYPE_DOCUMENT || v->value_type == BSON_TYPE_ARRAY;
}

/* prefix_field -- cross the combinations so far with the points of one prefix field; false
 * when the field is not bounded by points (or by strings a collation would key otherwise),
 * or the combinations would pass PG_MAX_PREFIXES. */
static bool
prefix_field(pg_prefix_t *pre, const wk_ivals_t *iv, bool strings_ok)
{
    const bson_value_t **v;
    size_t n = 0;

    if (iv->all || iv->n == 0 || !wk_plan_ival_points(iv) || pre->n * iv->n > PG_MAX_PREFIXES)
        return false;
    for (size_t j = 0; j < iv->n; j++)
        if (!strings_ok && string_like(&iv->v[j].lo))
            return false;
    v = bson_malloc((pre->n * iv->n * (pre->nf + 1) + 1) * sizeof(*v));
    for (size_t i = 0; i < pre->n; i++) {
        for (size_t j = 0; j < iv->n; j++, n++) {
            if (pre->nf > 0)
                memcpy(&v[n * (pre->nf + 1)], &pre->vals[i * pre->nf], pre->nf * sizeof(*v));
            v[n * (pre->nf + 1) + pre->nf] = &iv->v[j].lo;
        }
    }
    bson_free(pre->vals);
    pre->vals = v;
    pre->n = n;
    pre->nf++;
    return true;
}

/* prefix_bounds -- explain's bounds of one prefix field: its points. */
static void
prefix_bounds(pg_prefix_t *pre, const char *path, const wk_ivals_t *iv, bool desc)
{
    bson_t arr;

    BSON_APPEND_ARRAY_BEGIN(&pre->bounds, path, &arr);
    for (size_t j = 0; j < iv->n; j++) {
        bson_string_t *s = bson_string_new(NULL);
        char key[16];

        bson_snprintf(key, sizeof(key), "%zu", j);
        wk_plan_ival_format(&iv->v[desc ? iv->n - 1 - j : j], desc, s);
        BSON_APPEND_UTF8(&arr, key, s->str);
        bson_string_free(s, true);
    }
    bson_append_array_end(&pre->bounds, &arr);
}

/* prefix -- the equality prefix of the fields of key before position pos (ivs: their
 * intervals, kept alive by the caller); false when one is not bounded by points. */
static bool
prefix(const bson_t *filter, const bson_t *key, int pos, bool multikey, bool strings_ok,
       wk_plan_arena_t *arena, wk_ivals_t *ivs, pg_prefix_t *pre)
{
    bson_iter_t k;

    pre->n = 1;
    if (!bson_iter_init(&k, key))
        return false;
    for (int i = 0; i < pos && bson_iter_next(&k); i++) {
        wk_plan_bounds_field(filter, bson_iter_key(&k), multikey, arena, &ivs[i]);
        if (!prefix_field(pre, &ivs[i], strings_ok))
            return false;
        prefix_bounds(pre, bson_iter_key(&k), &ivs[i],
                      BSON_ITER_HOLDS_NUMBER(&k) && bson_iter_as_double(&k) < 0);
    }
    return true;
}

/* bound -- the bound document and its encoding of one end of a range: the prefix row, the
 * geo value, then MinKey or MaxKey (in index order) on the fields after it. */
static int
bound(const bson_t *key, const bson_value_t *const *row, size_t nf, int64_t cell, bool high,
      bson_t *doc, sdb_keybuf_t *kb)
{
    bson_iter_t k;
    size_t i = 0;

    bson_iter_init(&k, key);
    for (; bson_iter_next(&k); i++) {
        bool desc = BSON_ITER_HOLDS_NUMBER(&k) && bson_iter_as_double(&k) < 0;
        bson_value_t v = {0};

        if (i < nf) {
            v = *row[i];
        } else if (i == nf) {
            v.value_type = BSON_TYPE_INT64;
            v.value.v_int64 = cell;
        } else {
            v.value_type = (high != desc) ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
        }
        BSON_APPEND_VALUE(doc, bson_iter_key(&k), &v);
        SDB_RET(sdb_keyenc_value(kb, &v, desc));
    }
    return 0;
}

/* append_range -- the plan's next range over row x [r.lo, r.hi]. */
static int
append_range(wk_exec_plan_t *p, const bson_value_t *const *row, size_t nf, const pg_range_t *r)
{
    wk_exec_range_t *er = &p->r[p->nr];
    bson_t range, lo, hi;
    char key[16];
    int ret = 0;

    sdb_keybuf_init(&er->lo);
    sdb_keybuf_init(&er->hi);
    er->lo_incl = er->hi_incl = true;
    bson_snprintf(key, sizeof(key), "%zu", p->nr++);
    bson_append_document_begin(&p->ranges, key, -1, &range);
    BSON_APPEND_DOCUMENT_BEGIN(&range, "lo", &lo);
    ret = bound(&p->key, row, nf, r->lo, false, &lo, &er->lo);
    bson_append_document_end(&range, &lo);
    BSON_APPEND_DOCUMENT_BEGIN(&range, "hi", &hi);
    if (ret == 0)
        ret = bound(&p->key, row, nf, r->hi, true, &hi, &er->hi);
    bson_append_document_end(&range, &hi);
    BSON_APPEND_BOOL(&range, "loIncl", true);
    BSON_APPEND_BOOL(&range, "hiIncl", true);
    bson_append_document_end(&p->ranges, &range);
    return ret;
}

/* explain_bounds -- mongod's indexBounds: the prefix's points, the geo ranges, then
 * [MinKey, MaxKey]. */
static void
explain_bounds(wk_exec_plan_t *p, const pg_prefix_t *pre, const pg_ranges_t *r)
{
    bson_iter_t k;
    bson_t arr;
    size_t i = 0;

    bson_concat(&p->bounds, &pre->bounds);
    bson_iter_init(&k, &p->key);
    for (; bson_iter_next(&k); i++) {
        if (i < pre->nf)
            continue;
        BSON_APPEND_ARRAY_BEGIN(&p->bounds, bson_iter_key(&k), &arr);
        for (size_t j = 0; i == pre->nf && j < r->n; j++) {
            char key[16], text[64];

            bson_snprintf(key, sizeof(key), "%zu", j);
            bson_snprintf(text, sizeof(text), "[%" PRId64 ", %" PRId64 "]", r->v[j].lo, r->v[j].hi);
            BSON_APPEND_UTF8(&arr, key, text);
        }
        if (i > pre->nf)
            BSON_APPEND_UTF8(&arr, "0", "[MinKey, MaxKey]");
        bson_append_array_end(&p->bounds, &arr);
    }
}

/* geo_ranges -- the ranges of the geo field's keys a scan of an index of `kind` visits. */
static void
geo_ranges(const pg_query_t *pq, int kind, const bson_t *spec, pg_ranges_t *r)
{
    if (kind == SDB_GEO_2DSPHERE) {
        sdb_s2_query_ranges(pq->q->geom.s2, sdb_geo_coarsest(), PG_QUERY_CELLS, range_cb, r);
    } else {
        sdb_geo_flat_t fp = sdb_geo_flat_params(spec);

        sdb_geo_flat_ranges(&fp, pq->box[0], pq->box[1], pq->box[2], pq->box[3], PG_FLAT_CELLS,
                            flat_cb, r);
    }
    merge(r);
}

/* multikey_index -- whether the catalog marks index spec multikey. */
static bool
multikey_index(const wk_coll_info_t *ci, const bson_t *spec)
{
    bson_iter_t it, n;

    if (!bson_iter_init_find(&n, spec, "name") || !BSON_ITER_HOLDS_UTF8(&n) ||
        !bson_iter_init(&it, &ci->multikey))
        return false;
    while (bson_iter_next(&it))
        if (BSON_ITER_HOLDS_UTF8(&it) &&
            strcmp(bson_iter_utf8(&it, NULL), bson_iter_utf8(&n, NULL)) == 0)
            return true;
    return false;
}

/* build -- fill p for index spec over the prefix rows and the region's ranges. */
static int
build(wk_exec_plan_t *p, const wk_coll_info_t *ci, const bson_t *spec, const bson_t *key, int kind,
      const pg_query_t *pq, const pg_prefix_t *pre)
{
    pg_ranges_t r = {0};
    bson_iter_t it;
    int ret = 0;

    geo_ranges(pq, kind, spec, &r);
    wk_exec_plan_free(p);
    if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(p->name, bson_iter_utf8(&it, NULL), sizeof(p->name));
    bson_destroy(&p->key);
    bson_copy_to(key, &p->key);
    p->sparse = bson_iter_init_find(&it, spec, "sparse") && bson_iter_as_bool(&it);
    p->bounded = true;
    p->dir = 1;
    if (kind == SDB_GEO_2D) /* its keys depend on the grid (first_entry) */
        p->flat = sdb_geo_flat_params(spec);
    p->multikey = multikey_index(ci, spec);
    p->r = bson_malloc0((pre->n * r.n + 1) * sizeof(*p->r));
    for (size_t i = 0; i < pre->n; i++)
        for (size_t j = 0; j < r.n; j++)
            SDB_ERR(
                append_range(p, pre->nf > 0 ? &pre->vals[i * pre->nf] : NULL, pre->nf, &r.v[j]));
    explain_bounds(p, pre, &r);
err:
    bson_free(r.v);
    return ret;
}

/* try_index -- plan the scan of one index spec when it serves the region (*ok). */
static int
try_index(wk_exec_plan_t *p, const wk_coll_info_t *ci, const bson_t *filter,
          const struct sdb_collation *coll, const bson_t *spec, const pg_query_t *pq, bool *ok)
{
    wk_ivals_t ivs[PG_MAX_FIELDS];
    wk_plan_arena_t arena = {0};
    pg_prefix_t pre = {0};
    bson_t key;
    int pos = 0, kind = 0, ret = 0;

    if (!geo_index(spec, pq, &key, &pos, &kind) || pos >= PG_MAX_FIELDS)
        return 0;
    memset(ivs, 0, sizeof(ivs));
    bson_init(&pre.bounds);
    if (prefix(filter, &key, pos, multikey_index(ci, spec),
               coll == NULL && !bson_has_field(spec, "collation"), &arena, ivs, &pre)) {
        SDB_ERR(build(p, ci, spec, &key, kind, pq, &pre));
        *ok = true;
    }
err:
    for (int i = 0; i < pos; i++)
        wk_plan_ivals_free(&ivs[i]);
    wk_plan_arena_free(&arena);
    bson_free(pre.vals);
    bson_destroy(&pre.bounds);
    return ret;
}

/*
 * wk_exec_plan_geo -- the geo plan of a filter, when one applies (*ok).
 */
int
wk_exec_plan_geo(const wk_coll_info_t *ci, const bson_t *filter, const struct sdb_collation *coll,
                 wk_exec_plan_t *p, bool *ok)
{
    pg_query_t pq;
    bson_iter_t it;
    int ret = 0;

    *ok = false;
    memset(&pq, 0, sizeof(pq));
    if (filter == NULL || !geo_predicate(filter, &pq) || !bson_iter_init(&it, &ci->indexes)) {
        wk_geoq_free(pq.q);
        return 0;
    }
    while (!*ok && bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t l;
        bson_t spec;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &l, &d);
        if (bson_init_static(&spec, d, l))
            SDB_ERR(try_index(p, ci, filter, coll, &spec, &pq, ok));
    }
err:
    wk_geoq_free(pq.q);
    return ret;
}
