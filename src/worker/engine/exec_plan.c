/*
 * src/worker/engine/exec_plan.c -- secondary-index plans: pick an index, build its key ranges.
 *
 * The planner is deliberately narrow (see exec_plan.h): it only needs a predicate every
 * matching document satisfies through some key of the index, because the executor re-runs
 * the full matcher on every fetched document.  Bounds respect type bracketing: a numeric
 * range runs from NaN (the lowest number) to "" (the first key above every number), a string
 * range from "" to {} (the first key above every string).  Ranges are built in index order
 * (a descending first field swaps lo and hi), encoded exactly as ixscan.c encodes them (the
 * other key fields padded with their open ends), sorted and de-duplicated, so they are
 * disjoint: the master's resume token is then exact.
 *
 * Invariants: event-loop thread only; a plan owns every byte it holds.
 */
#include "exec_plan.h"

#include "../../common/errors.h"
#include "../../common/sdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    PRED_NONE = 0,
    PRED_EQ,
    PRED_IN,
    PRED_GT,
    PRED_LT,
    PRED_ALL /* a hinted index without a usable predicate: every entry */
};

typedef struct pred {
    int kind;
    bool incl;
    bson_value_t v;   /* EQ/GT/LT: the value (a view into the filter) */
    bson_iter_t list; /* IN: the array */
} pred_t;

typedef struct bound {
    wk_exec_range_t enc;
    bson_value_t lo, hi; /* views of the bound values */
} bound_t;

static const uint8_t empty_doc[5] = {5, 0, 0, 0, 0};

void
wk_exec_plan_init(wk_exec_plan_t *p)
{
    memset(p, 0, sizeof(*p));
    bson_init(&p->key);
    bson_init(&p->ranges);
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
    wk_exec_plan_init(p);
}

int
wk_exec_plan_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);

    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

/* scalar_ok -- a value an equality may use: number (not NaN), string, ObjectId, date, bool. */
static bool
scalar_ok(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_UTF8:
    case BSON_TYPE_OID:
    case BSON_TYPE_DATE_TIME:
    case BSON_TYPE_BOOL:
        return true;
    case BSON_TYPE_DOUBLE:
        return !isnan(v->value.v_double);
    default:
        return false;
    }
}

static bool
range_value_ok(const bson_value_t *v)
{
    return scalar_ok(v) && (v->value_type == BSON_TYPE_INT32 || v->value_type == BSON_TYPE_INT64 ||
                            v->value_type == BSON_TYPE_DOUBLE || v->value_type == BSON_TYPE_UTF8);
}

static bool
in_list_ok(const bson_iter_t *it)
{
    bson_iter_t a;
    int n = 0;

    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &a))
        return false;
    while (bson_iter_next(&a)) {
        if (!scalar_ok(bson_iter_value(&a)))
            return false;
        n++;
    }
    return n > 0;
}

/* better -- keep cand in *best when it is a more selective kind. */
static void
better(pred_t *best, const pred_t *cand)
{
    if (cand->kind != PRED_NONE && (best->kind == PRED_NONE || cand->kind < best->kind))
        *best = *cand;
}

/* op_pred -- the usable predicate of one operator document {$op: v, ...}. */
static void
op_pred(const bson_iter_t *val, pred_t *best)
{
    bson_iter_t ops;
    pred_t c;

    if (!bson_iter_recurse(val, &ops))
        return;
    while (bson_iter_next(&ops)) {
        const char *op = bson_iter_key(&ops);
        const bson_value_t *v = bson_iter_value(&ops);

        memset(&c, 0, sizeof(c));
        if (op[0] != '$')
            return; /* an equality to a document */
        if (strcmp(op, "$eq") == 0 && scalar_ok(v)) {
            c.kind = PRED_EQ;
            c.v = *v;
        } else if (strcmp(op, "$in") == 0 && in_list_ok(&ops)) {
            c.kind = PRED_IN;
            bson_iter_recurse(&ops, &c.list);
        } else if ((strcmp(op, "$gt") == 0 || strcmp(op, "$gte") == 0) && range_value_ok(v)) {
            c.kind = PRED_GT;
            c.incl = op[3] == 'e';
            c.v = *v;
        } else if ((strcmp(op, "$lt") == 0 || strcmp(op, "$lte") == 0) && range_value_ok(v)) {
            c.kind = PRED_LT;
            c.incl = op[3] == 'e';
            c.v = *v;
        }
        better(best, &c);
    }
}

/* find_pred -- the best predicate on `path` at the top level of doc (and of a top $and). */
static void
find_pred(const bson_t *doc, const char *path, bool top, pred_t *best)
{
    bson_iter_t it, arr;

    if (!bson_iter_init(&it, doc))
        return;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (top && strcmp(k, "$and") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
            bson_iter_recurse(&it, &arr)) {
            while (bson_iter_next(&arr)) {
                const uint8_t *d;
                uint32_t len;
                bson_t sub;

                if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
                    continue;
                bson_iter_document(&arr, &len, &d);
                if (bson_init_static(&sub, d, len))
                    find_pred(&sub, path, false, best);
            }
        } else if (strcmp(k, path) == 0) {
            pred_t c;

            memset(&c, 0, sizeof(c));
            if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
                op_pred(&it, best);
            } else if (scalar_ok(bson_iter_value(&it))) {
                c.kind = PRED_EQ;
                c.v = *bson_iter_value(&it);
                better(best, &c);
            }
        }
    }
}

/* encode_bound -- as ixscan.c: first field v, the others padded with the `high` open end. */
static int
encode_bound(const bson_t *key, const bson_value_t *v, int high, sdb_keybuf_t *kb)
{
    bson_iter_t kp;
    bson_value_t ext;
    bool first = true;

    memset(&ext, 0, sizeof(ext));
    if (!bson_iter_init(&kp, key))
        return SDB_ECORRUPT;
    while (bson_iter_next(&kp)) {
        int desc = BSON_ITER_HOLDS_NUMBER(&kp) && bson_iter_as_double(&kp) < 0;

        if (first) {
            SDB_RET(sdb_keyenc_value(kb, v, desc));
            first = false;
            continue;
        }
        ext.value_type = (high != desc) ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
        SDB_RET(sdb_keyenc_value(kb, &ext, desc));
    }
    return 0;
}

/* bracket_value -- the first key above v's type bracket (end) or its lowest value (!end). */
static void
bracket_value(const bson_value_t *v, int end, bson_value_t *out)
{
    memset(out, 0, sizeof(*out));
    if (v->value_type == BSON_TYPE_UTF8 && end) {
        out->value_type = BSON_TYPE_DOCUMENT;
        out->value.v_doc.data = (uint8_t *)empty_doc;
        out->value.v_doc.data_len = sizeof(empty_doc);
    } else if (v->value_type == BSON_TYPE_UTF8 || end) {
        out->value_type = BSON_TYPE_UTF8;
        out->value.v_utf8.str = (char *)"";
        out->value.v_utf8.len = 0;
    } else {
        out->value_type = BSON_TYPE_DOUBLE;
        out->value.v_double = NAN;
    }
}

/* make_bound -- one range [lo, hi] given in ascending value order, put in index order. */
static int
make_bound(const bson_t *key, bool desc, const bson_value_t *lo, bool lo_incl,
           const bson_value_t *hi, bool hi_incl, bound_t *b)
{
    sdb_keybuf_init(&b->enc.lo);
    sdb_keybuf_init(&b->enc.hi);
    b->lo = desc ? *hi : *lo;
    b->hi = desc ? *lo : *hi;
    b->enc.lo_incl = desc ? hi_incl : lo_incl;
    b->enc.hi_incl = desc ? lo_incl : hi_incl;
    SDB_RET(encode_bound(key, &b->lo, 0, &b->enc.lo));
    return encode_bound(key, &b->hi, 1, &b->enc.hi);
}

static int
bound_order(const void *a, const void *b)
{
    const bound_t *x = a, *y = b;

    return wk_exec_plan_keycmp(x->enc.lo.data, x->enc.lo.len, y->enc.lo.data, y->enc.lo.len);
}

/* pred_bounds -- the ranges of pred for an index whose first field is desc or not. */
static int
pred_bounds(const bson_t *key, bool desc, const pred_t *pr, bound_t **out, size_t *nout)
{
    bound_t *b = NULL;
    size_t n = 0;
    bson_iter_t it = pr->list;
    bson_value_t ext;
    int ret = 0;

    if (pr->kind == PRED_IN) {
        while (ret == 0 && bson_iter_next(&it)) {
            b = bson_realloc(b, (n + 1) * sizeof(*b));
            ret = make_bound(key, desc, bson_iter_value(&it), true, bson_iter_value(&it), true,
                             &b[n++]);
        }
    } else {
        b = bson_malloc(sizeof(*b));
        n = 1;
        if (pr->kind == PRED_ALL) {
            bson_value_t lo = {.value_type = BSON_TYPE_MINKEY},
                         hi = {.value_type = BSON_TYPE_MAXKEY};
            ret = make_bound(key, desc, &lo, true, &hi, true, b);
        } else if (pr->kind == PRED_EQ) {
            ret = make_bound(key, desc, &pr->v, true, &pr->v, true, b);
        } else if (pr->kind == PRED_GT) {
            bracket_value(&pr->v, 1, &ext);
            ret = make_bound(key, desc, &pr->v, pr->incl, &ext, false, b);
        } else {
            bracket_value(&pr->v, 0, &ext);
            ret = make_bound(key, desc, &ext, true, &pr->v, pr->incl, b);
        }
    }
    if (n > 1)
        qsort(b, n, sizeof(*b), bound_order);
    *out = b;
    *nout = n;
    return ret;
}

/* take_bounds -- move the de-duplicated bounds into the plan and its request array. */
static void
take_bounds(wk_exec_plan_t *p, const char *field, bound_t *b, size_t n)
{
    bson_t range, lo, hi;

    p->r = bson_malloc0((n ? n : 1) * sizeof(*p->r));
    for (size_t i = 0; i < n; i++) {
        char k[16];

        if (p->nr > 0 &&
            wk_exec_plan_keycmp(b[i].enc.lo.data, b[i].enc.lo.len, p->r[p->nr - 1].lo.data,
                                p->r[p->nr - 1].lo.len) == 0) {
            sdb_keybuf_free(&b[i].enc.lo);
            sdb_keybuf_free(&b[i].enc.hi);
            continue;
        }
        bson_snprintf(k, sizeof(k), "%zu", p->nr);
        p->r[p->nr++] = b[i].enc;
        bson_append_document_begin(&p->ranges, k, -1, &range);
        BSON_APPEND_DOCUMENT_BEGIN(&range, "lo", &lo);
        BSON_APPEND_VALUE(&lo, field, &b[i].lo);
        bson_append_document_end(&range, &lo);
        BSON_APPEND_DOCUMENT_BEGIN(&range, "hi", &hi);
        BSON_APPEND_VALUE(&hi, field, &b[i].hi);
        bson_append_document_end(&range, &hi);
        BSON_APPEND_BOOL(&range, "loIncl", b[i].enc.lo_incl);
        BSON_APPEND_BOOL(&range, "hiIncl", b[i].enc.hi_incl);
        bson_append_document_end(&p->ranges, &range);
    }
}

/* index_usable -- a plain ascending/descending index whose first field is a plain path;
 * *first receives that field and *desc its direction.  A hinted index may also be sparse or
 * partial (its scan returns what its entries hold); never one with a collation, whose keys
 * the executor cannot recompute. */
static bool
index_usable(const bson_t *spec, bool hinted, bson_t *key, const char **first, bool *desc)
{
    bson_iter_t it, kp;
    const uint8_t *d;
    uint32_t len;

    *first = NULL;
    if (!bson_iter_init(&it, spec))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "key") == 0 && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            bson_iter_document(&it, &len, &d);
            if (!bson_init_static(key, d, len))
                return false;
        } else if (((strcmp(k, "sparse") == 0 && !hinted) || strcmp(k, "hidden") == 0) &&
                   bson_iter_as_bool(&it)) {
            return false;
        } else if ((strcmp(k, "partialFilterExpression") == 0 && !hinted) ||
                   strcmp(k, "collation") == 0) {
            return false;
        }
    }
    if (!bson_iter_init(&kp, key))
        return false;
    while (bson_iter_next(&kp)) {
        if (!BSON_ITER_HOLDS_NUMBER(&kp) || bson_iter_as_double(&kp) == 0)
            return false;
        if (*first == NULL) {
            *first = bson_iter_key(&kp);
            *desc = bson_iter_as_double(&kp) < 0;
        }
    }
    return *first != NULL && **first != '$' && strstr(*first, "$") == NULL;
}

/* path_plain -- no empty, numeric or $ component (positional paths keep today's plan). */
static bool
path_plain(const char *path)
{
    const char *c = path;

    while (*c != '\0') {
        const char *e = strchr(c, '.');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        bool digits = n > 0;

        for (size_t i = 0; i < n; i++)
            digits = digits && c[i] >= '0' && c[i] <= '9';
        if (n == 0 || digits || c[0] == '$')
            return false;
        c += n + (e ? 1 : 0);
    }
    return path[0] != '\0';
}

/* use_index -- fill the plan for spec with predicate pr. */
static int
use_index(const bson_t *spec, const bson_t *key, const char *first, bool desc, const pred_t *pr,
          wk_exec_plan_t *p)
{
    bson_iter_t it;
    bound_t *b = NULL;
    size_t n = 0;
    int ret;

    ret = pred_bounds(key, desc, pr, &b, &n);
    if (ret != 0) {
        for (size_t i = 0; i < n; i++) {
            sdb_keybuf_free(&b[i].enc.lo);
            sdb_keybuf_free(&b[i].enc.hi);
        }
        bson_free(b);
        return ret;
    }
    wk_exec_plan_free(p);
    if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(p->name, bson_iter_utf8(&it, NULL), sizeof(p->name));
    p->unique = bson_iter_init_find(&it, spec, "unique") && bson_iter_as_bool(&it);
    bson_destroy(&p->key);
    bson_copy_to(key, &p->key);
    take_bounds(p, first, b, n);
    bson_free(b);
    return 0;
}

int
wk_exec_plan_index(const wk_coll_info_t *ci, const bson_t *filter, wk_exec_plan_t *p, bool *ok)
{
    bson_iter_t it;
    bson_t spec, key;
    const uint8_t *best_spec = NULL, *best_key = NULL; /* bson_t views must not be copied */
    uint32_t best_spec_len = 0, best_key_len = 0;
    const char *best_first = NULL;
    bool best_desc = false;
    pred_t best;

    *ok = false;
    memset(&best, 0, sizeof(best));
    if (filter == NULL || !bson_iter_init(&it, &ci->indexes))
        return 0;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;
        const char *first;
        bool desc;
        pred_t pr;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (!bson_init_static(&spec, d, len) || !index_usable(&spec, false, &key, &first, &desc) ||
            !path_plain(first) || strcmp(first, "_id") == 0)
            continue;
        memset(&pr, 0, sizeof(pr));
        find_pred(filter, first, true, &pr);
        if (pr.kind == PRED_NONE || (best.kind != PRED_NONE && pr.kind >= best.kind))
            continue;
        best = pr;
        best_spec = bson_get_data(&spec);
        best_spec_len = spec.len;
        best_key = bson_get_data(&key);
        best_key_len = key.len;
        best_first = first;
        best_desc = desc;
    }
    if (best.kind == PRED_NONE || best_first == NULL ||
        !bson_init_static(&spec, best_spec, best_spec_len) ||
        !bson_init_static(&key, best_key, best_key_len))
        return 0;
    SDB_RET(use_index(&spec, &key, best_first, best_desc, &best, p));
    *ok = p->name[0] != '\0';
    return 0;
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

/* hinted_spec -- the spec (a view into ci) of the index `hint` names; a hidden index cannot
 * be hinted (it is not there for the planner). */
static bool
hinted_spec(const wk_coll_info_t *ci, const bson_value_t *hint, bson_t *spec)
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

    return hinted_spec(ci, hint, &spec);
}

int
wk_exec_plan_hinted(const wk_coll_info_t *ci, const bson_t *filter, const bson_value_t *hint,
                    bool bounds, wk_exec_plan_t *p, bool *ok)
{
    bson_t spec, key;
    const char *first;
    bool desc;
    pred_t pr;

    *ok = false;
    if (!hinted_spec(ci, hint, &spec) || !index_usable(&spec, true, &key, &first, &desc))
        return 0;
    memset(&pr, 0, sizeof(pr));
    if (bounds && filter != NULL && path_plain(first))
        find_pred(filter, first, true, &pr);
    if (pr.kind == PRED_NONE)
        pr.kind = PRED_ALL;
    SDB_RET(use_index(&spec, &key, first, desc, &pr, p));
    *ok = p->name[0] != '\0';
    return 0;
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
    if (!*fc->any || wk_exec_plan_keycmp(e, n, out->data, out->len) < 0) {
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
    ret = sdb_keyenc_keys(doc, &p->key, first_cb, &fc, &multikey, &err);
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
