/*
 * src/common/geo/geo_keys.c -- the keys of a document in a 2dsphere or 2d index.
 *
 * Each field of the pattern yields a list of values: a geo field the int64 cells (or 2d
 * hash) of its geometries, another field its value at the dotted path (an array: each
 * element, multikey; empty: undefined; missing: null).  The keys are the cross product of
 * the lists, each encoded with keyenc.h field by field, then sorted and de-duplicated.
 *
 * Invariants: pure; the lists own copies of nothing (values point into doc); a key count
 * past GK_MAX_KEYS is refused rather than built.
 */
#include "geo_keys.h"

#include "../keyenc.h"
#include "../sdb.h"
#include "geojson.h"

#include <math.h>
#include <string.h>

#define GK_MAX_FIELDS 32
#define GK_MAX_KEYS 100000

typedef struct gk_list {
    bson_value_t *v;
    size_t n, cap;
} gk_list_t;

static void
list_push(gk_list_t *l, const bson_value_t *v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = bson_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = *v;
}

static void
push_int64(gk_list_t *l, int64_t x)
{
    bson_value_t v;

    v.value_type = BSON_TYPE_INT64;
    v.value.v_int64 = x;
    list_push(l, &v);
}

int
sdb_geo_pattern_kind(const bson_t *key_pattern, int *field)
{
    bson_iter_t it;
    int i = 0;

    if (!bson_iter_init(&it, key_pattern))
        return SDB_GEO_NONE;
    for (; bson_iter_next(&it); i++) {
        const char *s;

        if (!BSON_ITER_HOLDS_UTF8(&it))
            continue;
        s = bson_iter_utf8(&it, NULL);
        if (strcmp(s, "2dsphere") == 0 || strcmp(s, "2d") == 0) {
            if (field != NULL)
                *field = i;
            return s[2] == 's' ? SDB_GEO_2DSPHERE : SDB_GEO_2D;
        }
    }
    return SDB_GEO_NONE;
}

int
sdb_geo_coarsest(void)
{
    return sdb_s2_cell_level(2000 * 1000.0 / SDB_GEO_EARTH_RADIUS_M);
}

int
sdb_geo_finest(void)
{
    return sdb_s2_cell_level(110.0 / SDB_GEO_EARTH_RADIUS_M);
}

int64_t
sdb_geo_hash2d(double x, double y, double min, double max, int bits)
{
    uint64_t h = 0, scale = 1ull << bits;
    uint64_t ix, iy;

    if (!(x >= min && x < max && y >= min && y < max))
        return -1;
    ix = (uint64_t)((x - min) / (max - min) * (double)scale);
    iy = (uint64_t)((y - min) / (max - min) * (double)scale);
    for (int b = bits - 1; b >= 0; b--)
        h = (h << 2) | (((ix >> b) & 1) << 1) | ((iy >> b) & 1);
    return (int64_t)h;
}

static void
cell_cb(uint64_t cell, void *ctx)
{
    push_int64(ctx, (int64_t)cell);
}

/* refuse -- 16755 with the document and mongod's reason. */
static int
refuse(const bson_t *doc, const char *reason, sdb_error_t *err)
{
    char *json = bson_as_relaxed_extended_json(doc, NULL);
    int ret = sdb_error_set(err, SDB_CODE_Location16755, "Can't extract geo keys: %.300s  %s",
                            json != NULL ? json : "{}", reason);

    bson_free(json);
    return ret;
}

/* sphere_field -- the cells of every geometry at `path` (none: the list stays empty). */
static int
sphere_field(const bson_t *doc, const char *path, gk_list_t *l, sdb_error_t *err)
{
    char msg[SDB_GEO_MSG];
    bson_iter_t it, f;
    sdb_geo_t g;
    int r;

    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f))
        return 0;
    r = sdb_geo_parse_all(bson_iter_value(&f), &g, msg);
    if (r < 0)
        return refuse(doc, msg, err);
    if (r == 0)
        return 0;
    sdb_s2_index_cells(g.s2, sdb_geo_coarsest(), sdb_geo_finest(), SDB_GEO_MAX_CELLS, cell_cb, l);
    sdb_geo_free(&g);
    return 0;
}

sdb_geo_flat_t
sdb_geo_flat_params(const bson_t *spec)
{
    sdb_geo_flat_t f = {SDB_GEO_2D_BITS, -180, 180};
    bson_iter_t it;

    if (spec == NULL)
        return f;
    if (bson_iter_init_find(&it, spec, "bits") && BSON_ITER_HOLDS_NUMBER(&it))
        f.bits = (int)bson_iter_as_double(&it);
    if (bson_iter_init_find(&it, spec, "min") && BSON_ITER_HOLDS_NUMBER(&it))
        f.min = bson_iter_as_double(&it);
    if (bson_iter_init_find(&it, spec, "max") && BSON_ITER_HOLDS_NUMBER(&it))
        f.max = bson_iter_as_double(&it);
    if (f.bits < 1 || f.bits > 32)
        f.bits = SDB_GEO_2D_BITS;
    return f;
}

/* A grid cell of a 2d covering: `level` bits per axis fixed, its hash prefix and x/y index. */
typedef struct gk_cell {
    int level;
    uint64_t ix, iy;
} gk_cell_t;

/* cell_box -- does cell c of fp meet the box (edges included)?  *inside: wholly within it. */
static bool
cell_box(const sdb_geo_flat_t *fp, const gk_cell_t *c, const double *box, bool *inside)
{
    double w = (fp->max - fp->min) / (double)(1ull << c->level);
    double x0 = fp->min + (double)c->ix * w, y0 = fp->min + (double)c->iy * w;

    *inside = x0 >= box[0] && x0 + w <= box[2] && y0 >= box[1] && y0 + w <= box[3];
    return !(x0 > box[2] || x0 + w < box[0] || y0 > box[3] || y0 + w < box[1]);
}

/* cell_range -- the keys of every point in cell c: its hash prefix, all lower bits free. */
static void
cell_range(const sdb_geo_flat_t *fp, const gk_cell_t *c, int64_t *lo, int64_t *hi)
{
    uint64_t h = 0;
    int shift = 2 * (fp->bits - c->level);

    if (shift >= 64) { /* the whole grid (32 bits: the hashes fill every int64) */
        *lo = INT64_MIN;
        *hi = INT64_MAX;
        return;
    }
    for (int b = c->level - 1; b >= 0; b--)
        h = (h << 2) | (((c->ix >> b) & 1) << 1) | ((c->iy >> b) & 1);
    *lo = (int64_t)(h << shift);
    *hi = (int64_t)((h << shift) | ((1ull << shift) - 1));
}

/* split -- replace the partial cells of v[0..*n) by their four children where they meet the
 * box; false (v untouched) when that would pass max cells. */
static bool
split(const sdb_geo_flat_t *fp, const double *box, gk_cell_t **v, size_t *n, int max_cells)
{
    gk_cell_t *out = bson_malloc(4 * (*n ? *n : 1) * sizeof(*out));
    size_t k = 0;

    for (size_t i = 0; i < *n; i++) {
        bool inside;

        if ((*v)[i].level == fp->bits || (cell_box(fp, &(*v)[i], box, &inside) && inside)) {
            out[k++] = (*v)[i];
            continue;
        }
        for (uint64_t q = 0; q < 4; q++) {
            gk_cell_t c = {(*v)[i].level + 1, (*v)[i].ix * 2 + (q >> 1), (*v)[i].iy * 2 + (q & 1)};

            if (cell_box(fp, &c, box, &inside))
                out[k++] = c;
        }
    }
    if (k > (size_t)max_cells) {
        bson_free(out);
        return false;
    }
    bson_free(*v);
    *v = out;
    *n = k;
    return true;
}

static int
range_cmp(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;

    return (x[0] > y[0]) - (x[0] < y[0]);
}

void
sdb_geo_flat_ranges(const sdb_geo_flat_t *fp, double x1, double y1, double x2, double y2,
                    int max_cells, void (*fn)(int64_t lo, int64_t hi, void *ctx), void *ctx)
{
    double pad = (fp->max - fp->min) / (double)(1ull << fp->bits);
    double box[4] = {x1 - pad, y1 - pad, x2 + pad, y2 + pad}; /* rounding stays inside */
    gk_cell_t *v = bson_malloc(sizeof(*v));
    int64_t(*r)[2];
    size_t n = 1, k = 0;

    v[0] = (gk_cell_t){0, 0, 0};
    for (int level = 0; level < fp->bits && split(fp, box, &v, &n, max_cells); level++)
        ;
    r = bson_malloc(n * sizeof(*r));
    for (size_t i = 0; i < n; i++)
        cell_range(fp, &v[i], &r[i][0], &r[i][1]);
    qsort(r, n, sizeof(*r), range_cmp); /* a 32-bit grid's upper half keys negative */
    for (size_t i = 1; i <= n; i++) {   /* fuse adjacent cells into one range */
        if (i < n && r[k][1] != INT64_MAX && r[i][0] == r[k][1] + 1) {
            r[k][1] = r[i][1];
            continue;
        }
        fn(r[k][0], r[k][1], ctx);
        k = i;
    }
    bson_free(r);
    bson_free(v);
}

/* flat_point -- the 2d hash of one legacy point into the list (13027 outside the grid). */
static int
flat_point(const char *path, const sdb_geo_flat_t *fp, double x, double y, gk_list_t *l,
           sdb_error_t *err)
{
    int64_t h = sdb_geo_hash2d(x, y, fp->min, fp->max, fp->bits);

    if (h < 0)
        return sdb_error_set(err, SDB_CODE_Location13027,
                             "point not in interval of [ %g, %g ) :: caused by :: { %s: [ %g, "
                             "%g ] }",
                             fp->min, fp->max, path, x, y);
    push_int64(l, h);
    return 0;
}

/* flat_field -- the 2d hashes of the legacy point at `path`, or of each point of an array or
 * object of them (a multi-location document, as mongod's 2d keys); none: the list stays
 * empty. */
static int
flat_field(const bson_t *doc, const char *path, const sdb_geo_flat_t *fp, gk_list_t *l,
           sdb_error_t *err)
{
    bson_iter_t it, f, e;
    double x, y;

    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f) ||
        BSON_ITER_HOLDS_NULL(&f))
        return 0;
    if (sdb_geo_is_legacy_point(bson_iter_value(&f), &x, &y))
        return flat_point(path, fp, x, y, l, err);
    if (!BSON_ITER_HOLDS_ARRAY(&f) && !BSON_ITER_HOLDS_DOCUMENT(&f))
        return sdb_error_set(err, SDB_CODE_Location16755,
                             "Can't extract geo keys: geo field is not an array or object");
    if (!bson_iter_recurse(&f, &e))
        return 0;
    while (bson_iter_next(&e)) /* what is not a point pair is skipped, as before */
        if (sdb_geo_is_legacy_point(bson_iter_value(&e), &x, &y))
            SDB_RET(flat_point(path, fp, x, y, l, err));
    return 0;
}

/* plain_field -- the values of an ordinary field of the pattern. */
static void
plain_field(const bson_t *doc, const char *path, gk_list_t *l, int *multikey)
{
    bson_iter_t it, f, a;
    bson_value_t v;

    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f)) {
        v.value_type = BSON_TYPE_NULL;
        list_push(l, &v);
        return;
    }
    if (!BSON_ITER_HOLDS_ARRAY(&f) || !bson_iter_recurse(&f, &a)) {
        list_push(l, bson_iter_value(&f));
        return;
    }
    *multikey = 1;
    while (bson_iter_next(&a))
        list_push(l, bson_iter_value(&a));
    if (l->n == 0) {
        v.value_type = BSON_TYPE_UNDEFINED;
        list_push(l, &v);
    }
}

typedef struct gk_key {
    size_t off, len;
} gk_key_t;

typedef struct gk_gen {
    size_t n;
    int desc[GK_MAX_FIELDS];
    gk_list_t lists[GK_MAX_FIELDS];
    const sdb_collation_t *coll;
    sdb_keybuf_t all;
    gk_key_t *keys;
    size_t nkeys, cap;
} gk_gen_t;

static int
key_cmp(const void *a, const void *b, void *base)
{
    const gk_key_t *x = a, *y = b;
    const uint8_t *gk_base = base;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(gk_base + x->off, gk_base + y->off, m);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* product -- encode every combination of one value per field. */
static int
product(gk_gen_t *g)
{
    size_t idx[GK_MAX_FIELDS] = {0}, total = 1, k, i;

    for (i = 0; i < g->n; i++)
        total *= g->lists[i].n;
    if (total > GK_MAX_KEYS)
        return SDB_ETOOBIG;
    for (k = 0; k < total; k++) {
        size_t rem = k;

        if (g->nkeys == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 16;
            g->keys = bson_realloc(g->keys, g->cap * sizeof(*g->keys));
        }
        g->keys[g->nkeys].off = g->all.len;
        for (i = g->n; i-- > 0;) {
            idx[i] = rem % g->lists[i].n;
            rem /= g->lists[i].n;
        }
        for (i = 0; i < g->n; i++)
            SDB_RET(sdb_keyenc_value_coll(&g->all, &g->lists[i].v[idx[i]], g->desc[i], g->coll));
        g->keys[g->nkeys].len = g->all.len - g->keys[g->nkeys].off;
        g->nkeys++;
    }
    return 0;
}

/* fields -- the value list of every field; *any: a geo field had a geometry. */
static int
fields(gk_gen_t *g, const bson_t *doc, const bson_t *key_pattern, const bson_t *spec, int *any,
       int *multikey, sdb_error_t *err)
{
    sdb_geo_flat_t fp = sdb_geo_flat_params(spec);
    bson_iter_t it;

    if (!bson_iter_init(&it, key_pattern))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        const char *path = bson_iter_key(&it), *s = NULL;
        gk_list_t *l;

        if (g->n == GK_MAX_FIELDS)
            return sdb_error_set(err, SDB_CODE_CannotCreateIndex, "Index key pattern too large");
        l = &g->lists[g->n];
        g->desc[g->n++] = BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0;
        if (BSON_ITER_HOLDS_UTF8(&it))
            s = bson_iter_utf8(&it, NULL);
        if (s != NULL && strcmp(s, "2dsphere") == 0) {
            SDB_RET(sphere_field(doc, path, l, err));
        } else if (s != NULL && strcmp(s, "2d") == 0) {
            SDB_RET(flat_field(doc, path, &fp, l, err));
        } else {
            plain_field(doc, path, l, multikey);
            continue;
        }
        if (l->n > 0)
            *any = 1;
        if (l->n > 1)
            *multikey = 1;
        if (l->n == 0) { /* a compound key with a missing geo field keys it as null */
            bson_value_t v = {.value_type = BSON_TYPE_NULL};
            list_push(l, &v);
        }
    }
    return 0;
}

int
sdb_geo_keys(const bson_t *doc, const bson_t *key_pattern, const sdb_collation_t *coll,
             int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, int *multikey,
             sdb_error_t *err)
{
    return sdb_geo_keys_spec(doc, key_pattern, NULL, coll, fn, ctx, multikey, err);
}

int
sdb_geo_keys_spec(const bson_t *doc, const bson_t *key_pattern, const bson_t *spec,
                  const sdb_collation_t *coll, int (*fn)(const uint8_t *key, size_t len, void *ctx),
                  void *ctx, int *multikey, sdb_error_t *err)
{
    gk_gen_t *g = bson_malloc0(sizeof(*g));
    sdb_error_t local;
    int any = 0, mk = 0, ret = 0;
    size_t i;

    if (err == NULL)
        err = &local;
    g->coll = coll;
    sdb_keybuf_init(&g->all);
    SDB_ERR(fields(g, doc, key_pattern, spec, &any, &mk, err));
    if (any) {
        SDB_ERR(product(g));
        qsort_r(g->keys, g->nkeys, sizeof(*g->keys), key_cmp, g->all.data);
        for (i = 0; i < g->nkeys; i++) {
            if (i > 0 && key_cmp(&g->keys[i - 1], &g->keys[i], g->all.data) == 0)
                continue;
            SDB_ERR(fn(g->all.data + g->keys[i].off, g->keys[i].len, ctx));
        }
    }
    if (multikey != NULL)
        *multikey = mk;
err:
    for (i = 0; i < g->n; i++)
        bson_free(g->lists[i].v);
    sdb_keybuf_free(&g->all);
    bson_free(g->keys);
    bson_free(g);
    return ret;
}
