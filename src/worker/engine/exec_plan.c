/*
 * src/worker/engine/exec_plan.c -- secondary-index plans: their life, hints, first entries.
 *
 * A plan (exec_plan.h) is built by plan_index.c; this file owns its memory, finds the index
 * a hint names, and answers for a fetched document the first index entry of it that the
 * scan visits (the lowest in-range entry of a forward scan, the highest of a backward one),
 * which is where the executor hands the document out, plus the set of records met.
 *
 * Invariants: event-loop thread only; a plan owns every byte it holds.
 */
#include "exec_plan.h"

#include "../../common/collation.h"
#include "../../common/wildcard.h"

#include "../../common/errors.h"
#include "../../common/fts/fts.h"
#include "../../common/sdb.h"

#include <stdlib.h>
#include <string.h>

void
wk_exec_plan_init(wk_exec_plan_t *p)
{
    memset(p, 0, sizeof(*p));
    bson_init(&p->key);
    bson_init(&p->ranges);
    bson_init(&p->bounds);
    bson_init(&p->mkpaths);
    bson_init(&p->wkey);
    bson_init(&p->wproj);
    bson_init(&p->text);
    p->dir = 1;
}

void
wk_exec_plan_free(wk_exec_plan_t *p)
{
    for (size_t i = 0; i < p->nr; i++) {
        sdb_keybuf_free(&p->r[i].lo);
        sdb_keybuf_free(&p->r[i].hi);
    }
    bson_free(p->r);
    bson_free(p->seen);
    bson_destroy(&p->key);
    bson_destroy(&p->ranges);
    bson_destroy(&p->bounds);
    bson_destroy(&p->mkpaths);
    bson_destroy(&p->wkey);
    bson_destroy(&p->wproj);
    sdb_collation_free(p->coll);
    bson_destroy(&p->text);
    wk_exec_plan_init(p);
}

void
wk_exec_plan_take(wk_exec_plan_t *dst, wk_exec_plan_t *src)
{
    wk_exec_plan_free(dst);
    bson_destroy(&dst->key);
    bson_destroy(&dst->ranges);
    bson_destroy(&dst->bounds);
    bson_destroy(&dst->mkpaths);
    bson_destroy(&dst->wkey);
    bson_destroy(&dst->wproj);
    bson_destroy(&dst->text);
    memcpy(dst, src, sizeof(*dst)); /* the bson_t members are copied properly below */
    bson_copy_to(&src->key, &dst->key);
    bson_copy_to(&src->ranges, &dst->ranges);
    bson_copy_to(&src->bounds, &dst->bounds);
    bson_copy_to(&src->mkpaths, &dst->mkpaths);
    bson_copy_to(&src->wkey, &dst->wkey);
    bson_copy_to(&src->wproj, &dst->wproj);
    bson_copy_to(&src->text, &dst->text);
    src->r = NULL;
    src->nr = 0;
    src->seen = NULL;
    src->nseen = src->seencap = 0;
    src->coll = NULL;
    wk_exec_plan_free(src);
}

int
wk_exec_plan_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);

    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

/* hint_names -- does index spec name the index `hint` asks for (its name, or its key pattern
 * byte for byte, as find's hint check compares them)? */
static bool
hint_names(const bson_t *spec, const bson_value_t *hint)
{
    bson_iter_t it;
    bson_t pat, want;
    const uint8_t *d;
    uint32_t len;

    if (hint->value_type == BSON_TYPE_UTF8)
        return bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
               strcmp(bson_iter_utf8(&it, NULL), hint->value.v_utf8.str) == 0;
    if (hint->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&want, hint->value.v_doc.data, hint->value.v_doc.data_len) ||
        !bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &d);
    return bson_init_static(&pat, d, len) && bson_equal(&pat, &want);
}

bool
wk_exec_plan_hinted_spec(const wk_coll_info_t *ci, const bson_value_t *hint, bson_t *spec)
{
    bson_iter_t it, h;

    if (!bson_iter_init(&it, &ci->indexes))
        return false;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (bson_init_static(spec, d, len) && hint_names(spec, hint))
            return !(bson_iter_init_find(&h, spec, "hidden") && bson_iter_as_bool(&h));
    }
    return false;
}

bool
wk_exec_plan_hint_exists(const wk_coll_info_t *ci, const bson_value_t *hint)
{
    bson_t spec;

    return wk_exec_plan_hinted_spec(ci, hint, &spec);
}

typedef struct first_ctx {
    const wk_exec_plan_t *p;
    sdb_keybuf_t rid, *out;
    bool *any;
} first_ctx_t;

static bool
in_ranges(const wk_exec_plan_t *p, const uint8_t *k, size_t len)
{
    for (size_t i = 0; i < p->nr; i++) {
        const wk_exec_range_t *r = &p->r[i];
        int c = wk_exec_plan_keycmp(k, len, r->lo.data, r->lo.len);

        if (c < 0 || (c == 0 && !r->lo_incl))
            continue;
        c = wk_exec_plan_keycmp(k, len, r->hi.data, r->hi.len);
        if (c > 0 || (c == 0 && !r->hi_incl))
            continue;
        return true;
    }
    return false;
}

static int
first_cb(const uint8_t *key, size_t len, void *arg)
{
    first_ctx_t *fc = arg;
    sdb_keybuf_t *out = fc->out;
    size_t n = len + (fc->p->unique ? 0 : fc->rid.len);
    uint8_t *e;

    if (!in_ranges(fc->p, key, len))
        return 0;
    e = bson_malloc(n);
    memcpy(e, key, len);
    if (!fc->p->unique)
        memcpy(e + len, fc->rid.data, fc->rid.len);
    if (!*fc->any || wk_exec_plan_keycmp(e, n, out->data, out->len) * fc->p->dir < 0) {
        sdb_keybuf_reset(out);
        if (out->cap < n) {
            out->data = bson_realloc(out->data, n);
            out->cap = n;
        }
        memcpy(out->data, e, n);
        out->len = n;
        *fc->any = true;
    }
    bson_free(e);
    return 0;
}

/* flat_keys -- a 2d index's keys of doc, on the plan's grid, to first_cb. */
static int
flat_keys(const wk_exec_plan_t *p, const bson_t *doc, first_ctx_t *fc, sdb_error_t *err)
{
    bson_t grid = BSON_INITIALIZER;
    int multikey = 0, ret;

    BSON_APPEND_INT32(&grid, "bits", p->flat.bits);
    BSON_APPEND_DOUBLE(&grid, "min", p->flat.min);
    BSON_APPEND_DOUBLE(&grid, "max", p->flat.max);
    ret = sdb_geo_keys_spec(doc, &p->key, &grid, p->coll, first_cb, fc, &multikey, err);
    bson_destroy(&grid);
    return ret;
}

int
wk_exec_plan_first_entry(const wk_exec_plan_t *p, const bson_t *doc, int64_t rid, sdb_keybuf_t *out,
                         bool *any)
{
    first_ctx_t fc = {.p = p, .out = out, .any = any};
    sdb_error_t err;
    int multikey = 0, ret;

    *any = false;
    sdb_keybuf_init(&fc.rid);
    sdb_keyenc_rid(&fc.rid, rid);
    memset(&err, 0, sizeof(err));
    if (!bson_empty(&p->text)) /* a text index: its keys are terms (fts/fts.h) */
        ret = sdb_fts_keys(doc, &p->text, first_cb, &fc, &err);
    else if (!bson_empty(&p->wkey)) /* a wildcard index: its entries, of every path */
        ret = sdb_wildcard_keys(doc, &p->wkey, bson_empty(&p->wproj) ? NULL : &p->wproj, p->coll,
                                first_cb, &fc, &err);
    else if (p->flat.bits != 0) /* a 2d index: its keys on its own grid */
        ret = flat_keys(p, doc, &fc, &err);
    else
        ret = sdb_keyenc_keys_coll(doc, &p->key, p->coll, first_cb, &fc, &multikey, &err);
    sdb_keybuf_free(&fc.rid);
    return ret < 0 ? ret : 0;
}

static size_t
rid_hash(int64_t rid, size_t cap)
{
    return (size_t)(((uint64_t)rid * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

bool
wk_exec_plan_seen(wk_exec_plan_t *p, int64_t rid)
{
    size_t h;

    if (p->nseen * 2 >= p->seencap) {
        size_t ocap = p->seencap, ncap = ocap ? ocap * 2 : 256;
        int64_t *old = p->seen;

        p->seen = bson_malloc(ncap * sizeof(*p->seen));
        for (size_t i = 0; i < ncap; i++)
            p->seen[i] = INT64_MIN;
        p->seencap = ncap;
        p->nseen = 0;
        for (size_t i = 0; i < ocap; i++)
            if (old[i] != INT64_MIN)
                wk_exec_plan_seen(p, old[i]);
        bson_free(old);
    }
    for (h = rid_hash(rid, p->seencap); p->seen[h] != INT64_MIN; h = (h + 1) & (p->seencap - 1))
        if (p->seen[h] == rid)
            return true;
    p->seen[h] = rid;
    p->nseen++;
    return false;
}
