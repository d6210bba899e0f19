/*
 * src/worker/engine/plan_geo.c -- index plans for $geoWithin and $geoIntersects over a
 * 2dsphere index.
 *
 * A top-level $geoWithin ($geometry or $centerSphere) or $geoIntersects on the leading field
 * of a 2dsphere index becomes an IXSCAN over the cell-id ranges of the region's covering
 * (s2_shim.h sdb_s2_query_ranges: each covering cell's descendants, and its ancestors down to
 * the index's coarsest level, which is where stored shapes that may reach the region are
 * keyed), the trailing fields unbounded.  Ranges are sorted and merged, so the scan walks
 * them once, in key order; the executor's FETCH applies the exact predicate.  The planner
 * prefers this plan whenever it applies (mongod's 2dsphere plan would win its race for any
 * selective region).
 *
 * Invariants: event-loop thread; the plan owns what it holds (exec_plan.h).
 */
#include "exec_plan.h"

#include "../../common/geo/geo_keys.h"
#include "../../common/sdb.h"
#include "../query/geoq.h"

#include <string.h>

#define PG_QUERY_CELLS 32

typedef struct pg_range {
    int64_t lo, hi;
} pg_range_t;

typedef struct pg_ranges {
    pg_range_t *v;
    size_t n, cap;
} pg_ranges_t;

static void
range_cb(uint64_t lo, uint64_t hi, void *ctx)
{
    pg_ranges_t *r = ctx;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = bson_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n].lo = (int64_t)lo; /* one cell's ids share a face: same sign, same order */
    r->v[r->n++].hi = (int64_t)hi;
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

/* near_region -- a spherical $near / $nearSphere with $maxDistance (in its object or beside
 * it, `ops` the operator document) as the cap it may reach; NULL otherwise. */
static wk_geoq_t *
near_region(wk_geoq_t *q, const bson_iter_t *field)
{
    sdb_error_t err;
    bson_iter_t ops;

    if (bson_iter_recurse(field, &ops))
        while (bson_iter_next(&ops))
            if (strcmp(bson_iter_key(&ops), "$maxDistance") == 0 &&
                wk_geoq_set_distance(q, "$maxDistance", &ops, &err) != 0)
                break;
    if (!q->sphere || q->max_dist < 0) {
        wk_geoq_free(q);
        return NULL;
    }
    sdb_geo_free(&q->geom);
    q->geom.s2 = sdb_s2_new();
    sdb_s2_set_cap(q->geom.s2, q->x, q->y,
                   q->max_dist / (q->meters ? SDB_GEO_EARTH_RADIUS_M : 1.0));
    return q;
}

/* geo_predicate -- the region of a top-level $geoWithin / $geoIntersects on some field, or
 * the cap of a $near within $maxDistance. */
static wk_geoq_t *
geo_predicate(const bson_t *filter, const char **field)
{
    bson_iter_t it, ops;
    sdb_error_t err;
    wk_geoq_t *q;

    if (!bson_iter_init(&it, filter))
        return NULL;
    while (bson_iter_next(&it)) {
        if (bson_iter_key(&it)[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
            !bson_iter_recurse(&it, &ops))
            continue;
        while (bson_iter_next(&ops)) {
            const char *op = bson_iter_key(&ops);

            if ((strcmp(op, "$near") == 0 || strcmp(op, "$nearSphere") == 0) &&
                wk_geoq_parse(op, &ops, &q, &err) == 0) {
                *field = bson_iter_key(&it);
                return near_region(q, &it);
            }
            if (strcmp(op, "$geoWithin") != 0 && strcmp(op, "$within") != 0 &&
                strcmp(op, "$geoIntersects") != 0)
                continue;
            if (wk_geoq_parse(op, &ops, &q, &err) != 0)
                return NULL;
            if (q->shape == WK_GEO_S2) {
                *field = bson_iter_key(&it);
                return q;
            }
            wk_geoq_free(q);
        }
    }
    return NULL;
}

/* leading_2dsphere -- an index spec whose key starts with field: "2dsphere" (no partial
 * filter, not hidden); its key pattern to *key. */
static bool
leading_2dsphere(const bson_t *spec, const char *field, bson_t *key)
{
    bson_iter_t it, k;
    const uint8_t *d;
    uint32_t l;

    if (bson_has_field(spec, "partialFilterExpression") ||
        (bson_iter_init_find(&it, spec, "hidden") && bson_iter_as_bool(&it)) ||
        !bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &l, &d);
    if (!bson_init_static(key, d, l) || !bson_iter_init(&k, key) || !bson_iter_next(&k))
        return false;
    return strcmp(bson_iter_key(&k), field) == 0 && BSON_ITER_HOLDS_UTF8(&k) &&
           strcmp(bson_iter_utf8(&k, NULL), "2dsphere") == 0;
}

/* append_range -- one range {lo, hi, loIncl, hiIncl} over the key, cells lo..hi first. */
static void
append_range(wk_exec_plan_t *p, const pg_range_t *r, size_t i)
{
    wk_exec_range_t *er = &p->r[i];
    bson_t range, lo, hi;
    bson_iter_t k;
    char key[16];
    bool first = true;

    sdb_keybuf_init(&er->lo);
    sdb_keybuf_init(&er->hi);
    er->lo_incl = er->hi_incl = true;
    bson_init(&lo);
    bson_init(&hi);
    bson_iter_init(&k, &p->key);
    while (bson_iter_next(&k)) {
        bool desc = BSON_ITER_HOLDS_NUMBER(&k) && bson_iter_as_double(&k) < 0;
        bson_value_t a = {0}, b = {0};

        if (first) {
            a.value_type = b.value_type = BSON_TYPE_INT64;
            a.value.v_int64 = r->lo;
            b.value.v_int64 = r->hi;
        } else {
            a.value_type = desc ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
            b.value_type = desc ? BSON_TYPE_MINKEY : BSON_TYPE_MAXKEY;
        }
        first = false;
        BSON_APPEND_VALUE(&lo, bson_iter_key(&k), &a);
        BSON_APPEND_VALUE(&hi, bson_iter_key(&k), &b);
        if (sdb_keyenc_value(&er->lo, &a, desc) != 0 || sdb_keyenc_value(&er->hi, &b, desc) != 0)
            break; /* int64 and MinKey/MaxKey always encode */
    }
    bson_snprintf(key, sizeof(key), "%zu", i);
    bson_append_document_begin(&p->ranges, key, -1, &range);
    BSON_APPEND_DOCUMENT(&range, "lo", &lo);
    BSON_APPEND_DOCUMENT(&range, "hi", &hi);
    bson_destroy(&lo);
    bson_destroy(&hi);
    BSON_APPEND_BOOL(&range, "loIncl", true);
    BSON_APPEND_BOOL(&range, "hiIncl", true);
    bson_append_document_end(&p->ranges, &range);
    p->nr = i + 1;
}

/* explain_bounds -- mongod's indexBounds: the cell ranges, then [MinKey, MaxKey]. */
static void
explain_bounds(wk_exec_plan_t *p, const pg_ranges_t *r)
{
    bson_iter_t k;
    bson_t arr;
    bool first = true;

    bson_iter_init(&k, &p->key);
    while (bson_iter_next(&k)) {
        BSON_APPEND_ARRAY_BEGIN(&p->bounds, bson_iter_key(&k), &arr);
        for (size_t i = 0; first && i < r->n; i++) {
            char key[16], text[64];

            bson_snprintf(key, sizeof(key), "%zu", i);
            bson_snprintf(text, sizeof(text), "[%" PRId64 ", %" PRId64 "]", r->v[i].lo, r->v[i].hi);
            BSON_APPEND_UTF8(&arr, key, text);
        }
        if (!first)
            BSON_APPEND_UTF8(&arr, "0", "[MinKey, MaxKey]");
        bson_append_array_end(&p->bounds, &arr);
        first = false;
    }
}

/* build -- fill p for index spec over the region's ranges. */
static int
build(wk_exec_plan_t *p, const wk_coll_info_t *ci, const bson_t *spec, const bson_t *key,
      wk_geoq_t *q)
{
    pg_ranges_t r = {0};
    bson_iter_t it;

    sdb_s2_query_ranges(q->geom.s2, sdb_geo_coarsest(), PG_QUERY_CELLS, range_cb, &r);
    merge(&r);
    wk_exec_plan_free(p);
    if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(p->name, bson_iter_utf8(&it, NULL), sizeof(p->name));
    bson_destroy(&p->key);
    bson_copy_to(key, &p->key);
    p->sparse = bson_iter_init_find(&it, spec, "sparse") && bson_iter_as_bool(&it);
    p->bounded = true;
    p->dir = 1;
    if (bson_iter_init(&it, &ci->multikey))
        while (bson_iter_next(&it))
            if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), p->name) == 0)
                p->multikey = true;
    p->r = bson_malloc0((r.n ? r.n : 1) * sizeof(*p->r));
    for (size_t i = 0; i < r.n; i++)
        append_range(p, &r.v[i], i);
    explain_bounds(p, &r);
    bson_free(r.v);
    return 0;
}

/*
 * wk_exec_plan_geo -- the 2dsphere plan of a filter, when one applies (*ok).
 */
int
wk_exec_plan_geo(const wk_coll_info_t *ci, const bson_t *filter, wk_exec_plan_t *p, bool *ok)
{
    const char *field = NULL;
    wk_geoq_t *q;
    bson_iter_t it;
    int ret = 0;

    *ok = false;
    if (filter == NULL || (q = geo_predicate(filter, &field)) == NULL)
        return 0;
    if (bson_iter_init(&it, &ci->indexes)) {
        while (!*ok && bson_iter_next(&it)) {
            const uint8_t *d;
            uint32_t l;
            bson_t spec, key;

            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                continue;
            bson_iter_document(&it, &l, &d);
            if (!bson_init_static(&spec, d, l) || !leading_2dsphere(&spec, field, &key))
                continue;
            SDB_ERR(build(p, ci, &spec, &key, q));
            *ok = true;
        }
    }
err:
    wk_geoq_free(q);
    return ret;
}
