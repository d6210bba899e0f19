/*
 * src/worker/engine/plan_index.c -- index plans: candidates, compound ranges, sort, choice.
 *
 * For each eligible index (an ascending/descending/hashed key pattern, not hidden; sparse
 * only when the filter bounds one of its fields away from null or tests it with {$exists:
 * true}, partial only when every conjunct of its partialFilterExpression is implied by a
 * predicate of the filter whose intervals lie inside the conjunct's, as mongod's subset test
 * decides; any of them when hinted) every key field gets its intervals
 * (plan_bounds.h), intersected only on a field no array has reached (the catalog's
 * multikey paths).  A hashed field keeps only point intervals, turned into points on the
 * values' hashes.  An index whose collation is not the query's keeps no interval that
 * reaches a string, a document or an array (its keys order those otherwise) and gives no
 * sort; one whose collation is the query's encodes its bounds as that collation's keys.  A
 * wildcard index plans as {$_path: [p, p], p: intervals} for the filter's most selective path
 * p it holds (its wildcardProjection included) whose bounds exclude null (a missing field has
 * no entry), or, for {p: {$exists: true}}, as {$_path: [[p, p], [p., p/)], p: [MinKey,
 * MaxKey]} (every entry at or below p, as mongod bounds it).  The scan's ranges are the product of the leading point fields
 * (equalities and $in, at most WK_PLAN_MAX_POINTS combinations) times the intervals of the
 * first field that is not a point list; the fields after it are scanned whole, and explain
 * shows them so ([MinKey, MaxKey]): the plan reported is the one the master walks.  Each
 * range is given to the master with every field's value, the open fields padded so that an
 * exclusive end stays exclusive ((5, MaxKey) for a lo of (5, ...), encoded exactly as
 * ixscan.c encodes it), sorted and disjoint, so its resume token is exact.
 *
 * An index provides a sort when, after fields pinned to one point, its next fields are the
 * sort's fields with all directions equal to (forward scan) or all opposite to (backward
 * scan) the sort's; on a multikey index only when the sort fields are unbounded or points,
 * because the executor hands a record out at its first entry in scan order, which is its
 * sort key (the smallest element ascending, the largest descending) only then.
 *
 * The choice (no race yet): most leading point fields, then a bounded range field, then a
 * provided sort, then the first in catalog order.  An index that bounds nothing is a
 * candidate only when it provides the sort.
 *
 * A compound wildcard index ({t: 1, "a.$**": 1}, cwild_cand) plans as {t: intervals, $_path:
 * [p, p], p: intervals, <regular fields after>: intervals}, or, with no such path, on its
 * regular prefix alone as {t: intervals, $_path: [MinKey, MaxKey]} when some prefix bound
 * excludes null (a document with neither regular nor wildcard fields has no entry).
 *
 * Invariants: event-loop thread only; the plan owns copies of everything it keeps.
 */
#include "exec_plan.h"
#include "plan_bounds.h"

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../../common/errors.h"
#include "../../common/hash.h"
#include "../../common/path.h"
#include "../../common/sdb.h"
#include "../../common/wildcard.h"

#include <stdlib.h>
#include <string.h>

#define WK_PLAN_MAX_POINTS 200
#define WK_PLAN_MAX_FIELDS 32

typedef struct cand {
    bson_t spec, key; /* views into the catalog */
    const char *field[WK_PLAN_MAX_FIELDS];
    bool desc[WK_PLAN_MAX_FIELDS];
    bool hashed[WK_PLAN_MAX_FIELDS]; /* keyed by the value's hash: points only, no sort */
    size_t nf;
    bool multikey;
    bson_t *wkey; /* a wildcard index: its own pattern ({"w.$**": 1}); key is then the
                   * pattern explain shows, {$_path: 1, <path>: 1} (owned by `own`) */
    bson_t *own;
    struct sdb_collation *coll;   /* the index's collation (owned until use_cand moves it) */
    bool coll_match;              /* the index's collation is the query's: strings bounded */
    bool fmk[WK_PLAN_MAX_FIELDS]; /* field i's path held an array (its bounds not intersected) */
    bson_t mkpaths;               /* view: {field: [prefix...]} of a multikey index, or empty */
    wk_ivals_t iv[WK_PLAN_MAX_FIELDS];
    size_t npoint; /* leading point fields used */
    size_t rfield; /* the field whose intervals close the ranges (nf: none) */
    bool bounded;  /* rfield < nf and its intervals are not `all` */
    bool sorted;
    int dir;
    wk_plan_arena_t arena;
} cand_t;

typedef struct sortspec {
    const char *field[WK_PLAN_MAX_FIELDS];
    int dir[WK_PLAN_MAX_FIELDS];
    size_t n;
} sortspec_t;

static void
cand_free(cand_t *c)
{
    for (size_t i = 0; i < c->nf; i++)
        wk_plan_ivals_free(&c->iv[i]);
    wk_plan_arena_free(&c->arena);
    if (c->own != NULL)
        bson_destroy(c->own);
    if (c->wkey != NULL)
        bson_destroy(c->wkey);
    c->own = c->wkey = NULL;
    sdb_collation_free(c->coll);
    c->coll = NULL;
}

static bool
spec_flag(const bson_t *spec, const char *name)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, spec, name) && bson_iter_as_bool(&it);
}

/* key_fields -- the fields and directions of a plain ascending/descending key pattern. */
static bool
key_fields(cand_t *c)
{
    bson_iter_t kp;

    c->nf = 0;
    if (!bson_iter_init(&kp, &c->key))
        return false;
    while (bson_iter_next(&kp)) {
        const char *f = bson_iter_key(&kp);

        bool hashed = BSON_ITER_HOLDS_UTF8(&kp) && strcmp(bson_iter_utf8(&kp, NULL), "hashed") == 0;

        if (c->nf == WK_PLAN_MAX_FIELDS || (!BSON_ITER_HOLDS_NUMBER(&kp) && !hashed) ||
            (!hashed && bson_iter_as_double(&kp) == 0) || f[0] == '$' || strstr(f, "$") != NULL)
            return false;
        c->desc[c->nf] = !hashed && bson_iter_as_double(&kp) < 0;
        c->hashed[c->nf] = hashed;
        c->field[c->nf++] = f;
    }
    return c->nf > 0;
}

/* same_collation -- the index spec's collation (its full spec) is the query's (NULL =
 * simple, as an index without one). */
static bool
same_collation(const bson_t *spec, const struct sdb_collation *q)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;
    bson_t ic, qs = BSON_INITIALIZER;
    bool same;

    if (!bson_iter_init_find(&it, spec, "collation"))
        return q == NULL;
    if (q == NULL || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &d);
    sdb_collation_spec(q, &qs);
    same = bson_init_static(&ic, d, len) && sdb_bson_doc_cmp(&ic, &qs) == 0;
    bson_destroy(&qs);
    return same;
}

/* open_collation -- c->coll from the spec's collation (none: NULL); false when it cannot be
 * opened or the index also hashes (a hashed string is the hash of its collation key). */
static bool
open_collation(const bson_t *spec, cand_t *c)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;
    sdb_error_t e;
    bson_t cs;

    if (!bson_iter_init_find(&it, spec, "collation"))
        return true;
    for (size_t i = 0; i < c->nf; i++)
        if (c->hashed[i])
            return false;
    memset(&e, 0, sizeof(e));
    bson_iter_document(&it, &len, &d);
    return BSON_ITER_HOLDS_DOCUMENT(&it) && bson_init_static(&cs, d, len) &&
           sdb_collation_new(&cs, &c->coll, &e) == 0;
}

static bool has_null(const wk_ivals_t *iv);
static bool path_plain(const char *path);
static bool exists_true(const bson_t *filter, const char *path);

/* ivals_subset -- every value of a lies in b (each interval of a inside one of b's). */
static bool
ivals_subset(const wk_ivals_t *a, const wk_ivals_t *b)
{
    if (b->all)
        return true;
    if (a->all)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        bool in = false;

        for (size_t j = 0; j < b->n && !in; j++) {
            int lo = sdb_bson_value_cmp(&b->v[j].lo, &a->v[i].lo),
                hi = sdb_bson_value_cmp(&a->v[i].hi, &b->v[j].hi);

            in = (lo < 0 || (lo == 0 && (b->v[j].lo_incl || !a->v[i].lo_incl))) &&
                 (hi < 0 || (hi == 0 && (b->v[j].hi_incl || !a->v[i].hi_incl)));
        }
        if (!in)
            return false;
    }
    return true;
}

/* path_bounded -- the filter's intervals on path (one predicate's, as on a multikey field:
 * each holds every document that predicate matches) hold no null: a matching document has
 * the field.  {path: {$exists: true}} counts too. */
static bool
path_bounded(const bson_t *filter, const char *path)
{
    wk_plan_arena_t ar = {0};
    wk_ivals_t iv = {0};
    bool ok;

    if (filter == NULL)
        return false;
    if (exists_true(filter, path))
        return true;
    wk_plan_bounds_field(filter, path, true, &ar, &iv);
    ok = !has_null(&iv);
    wk_plan_ivals_free(&iv);
    wk_plan_arena_free(&ar);
    return ok;
}

/* pred_implied -- the filter implies the one predicate {path: {op: v}} (op NULL: equality):
 * some predicate of the filter on path matches only values the predicate's intervals hold.
 * Predicates whose intervals are not exact ($exists: true aside) are never implied. */
static bool
pred_implied(const bson_t *filter, const char *path, const char *op, const bson_iter_t *v)
{
    bson_t one = BSON_INITIALIZER, sub;
    wk_plan_arena_t ar = {0};
    wk_ivals_t fv = {0}, pv = {0};
    bool ok;

    if (op != NULL && strcmp(op, "$exists") == 0)
        return bson_iter_as_bool(v) && path_bounded(filter, path);
    if (op != NULL && strcmp(op, "$eq") != 0 && strcmp(op, "$gt") != 0 && strcmp(op, "$gte") != 0 &&
        strcmp(op, "$lt") != 0 && strcmp(op, "$lte") != 0 && strcmp(op, "$in") != 0 &&
        strcmp(op, "$type") != 0)
        return false;
    if (op == NULL) {
        bson_append_iter(&one, path, -1, v);
    } else {
        bson_append_document_begin(&one, path, -1, &sub);
        bson_append_iter(&sub, op, -1, v);
        bson_append_document_end(&one, &sub);
    }
    wk_plan_bounds_field(&one, path, true, &ar, &pv);
    wk_plan_bounds_field(filter, path, true, &ar, &fv);
    ok = !pv.all && ivals_subset(&fv, &pv);
    wk_plan_ivals_free(&fv);
    wk_plan_ivals_free(&pv);
    wk_plan_arena_free(&ar);
    bson_destroy(&one);
    return ok;
}

/* filter_implies -- the query filter implies every conjunct of the partial filter pf (its
 * top level and $and; $or is never implied): mongod uses a partial index only then. */
static bool
filter_implies(const bson_t *filter, const bson_t *pf, int depth)
{
    bson_iter_t it, ops, el;
    const uint8_t *d;
    uint32_t len;
    bson_t doc;

    if (filter == NULL || depth > 8 || !bson_iter_init(&it, pf))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool ok = true;

        if (strcmp(k, "$and") == 0 && bson_iter_recurse(&it, &el)) {
            while (ok && bson_iter_next(&el)) {
                if (!BSON_ITER_HOLDS_DOCUMENT(&el))
                    return false;
                bson_iter_document(&el, &len, &d);
                ok = bson_init_static(&doc, d, len) && filter_implies(filter, &doc, depth + 1);
            }
        } else if (k[0] == '$') {
            ok = false;
        } else if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &ops) &&
                   bson_iter_next(&ops) && bson_iter_key(&ops)[0] == '$') {
            do
                ok = pred_implied(filter, k, bson_iter_key(&ops), &ops);
            while (ok && bson_iter_next(&ops));
        } else {
            ok = pred_implied(filter, k, NULL, &it);
        }
        if (!ok)
            return false;
    }
    return true;
}

/* usable -- an unhinted sparse index serves a filter that bounds one of its fields away from
 * null (a matching document has an entry), a partial one a filter that implies its
 * partialFilterExpression (evaluated as the query's collation only when it is the index's). */
static bool
usable(const bson_t *spec, const bson_t *filter, const cand_t *c)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;
    bson_t pf;
    bool ok = !spec_flag(spec, "sparse");

    for (size_t i = 0; i < c->nf && !ok; i++)
        ok = path_plain(c->field[i]) && path_bounded(filter, c->field[i]);
    if (!ok || !bson_iter_init_find(&it, spec, "partialFilterExpression"))
        return ok;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !c->coll_match)
        return false;
    bson_iter_document(&it, &len, &d);
    return bson_init_static(&pf, d, len) && filter_implies(filter, &pf, 0);
}

/* eligible -- fill c's views from spec; hinted indexes may be sparse or partial (their scan
 * returns what their entries hold), never hidden or with a collation; unhinted ones only when
 * usable for `filter`.  `q` is the query's collation. */
static bool
eligible(const bson_t *spec, const bson_t *filter, bool hinted, const struct sdb_collation *q,
         cand_t *c)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;

    memset(c, 0, sizeof(*c));
    bson_init(&c->mkpaths);
    if (!bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&c->key, d, len) ||
        !bson_init_static(&c->spec, bson_get_data(spec), spec->len))
        return false;
    if (spec_flag(spec, "hidden") || (hinted && bson_has_field(spec, "collation")))
        return false;
    c->coll_match = same_collation(spec, q);
    return key_fields(c) && (hinted || usable(spec, filter, c)) && open_collation(spec, c);
}

/* path_plain -- no empty, numeric or $ component (positional paths are not bounded). */
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

/* shares_root -- two dotted paths under the same top-level field (one array may hold both:
 * their bounds cannot be compounded on a multikey index). */
static bool
shares_root(const char *a, const char *b)
{
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");

    return la == lb && strncmp(a, b, la) == 0 && (a[la] == '.' || b[lb] == '.');
}

static bool
is_multikey(const wk_coll_info_t *ci, const char *name)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, &ci->multikey))
        return false;
    while (bson_iter_next(&it))
        if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), name) == 0)
            return true;
    return false;
}

/* multikey_fields -- which fields of multikey index `name` held an array (all of them when the
 * catalog has no paths for it), and the paths' view for explain. */
static void
multikey_fields(const wk_coll_info_t *ci, const char *name, cand_t *c)
{
    bson_iter_t it, f;
    const uint8_t *d;
    uint32_t len;

    bson_init(&c->mkpaths);
    for (size_t i = 0; i < c->nf; i++)
        c->fmk[i] = true;
    if (!bson_iter_init_find(&it, &ci->mkpaths, name) || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return;
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&c->mkpaths, d, len))
        return;
    for (size_t i = 0; i < c->nf; i++)
        c->fmk[i] = !bson_iter_init_find(&f, &c->mkpaths, c->field[i]) ||
                    !BSON_ITER_HOLDS_ARRAY(&f) || sdb_iter_count(&f) > 0;
}

/* touches_strings -- some interval reaches a string, a document or an array (values a
 * collation orders: bounds on them need the index's collation to be the query's). */
static bool
touches_strings(const wk_ivals_t *iv)
{
    static const bson_type_t coll_types[] = {BSON_TYPE_UTF8, BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY};

    for (size_t i = 0; i < iv->n; i++) {
        int lo = sdb_bson_type_order(iv->v[i].lo.value_type);
        int hi = sdb_bson_type_order(iv->v[i].hi.value_type);

        for (size_t t = 0; t < sizeof(coll_types) / sizeof(coll_types[0]); t++) {
            int o = sdb_bson_type_order(coll_types[t]);

            if (lo <= o && o <= hi)
                return true;
        }
    }
    return false;
}

static int
int64_order(const void *a, const void *b)
{
    const wk_ival_t *x = a, *y = b;

    return (x->lo.value.v_int64 > y->lo.value.v_int64) -
           (x->lo.value.v_int64 < y->lo.value.v_int64);
}

/* hash_points -- a hashed field: its value points become points on their hashes (sorted,
 * de-duplicated), as mongod's hashed bounds; anything else scans the field whole. */
static void
hash_points(wk_ivals_t *iv)
{
    size_t out = 0;

    if (!wk_plan_ival_points(iv)) {
        wk_plan_ivals_free(iv);
        iv->all = true;
        return;
    }
    for (size_t k = 0; k < iv->n; k++) {
        int64_t h;

        if (iv->v[k].lo.value_type == BSON_TYPE_REGEX || sdb_hash_value(&iv->v[k].lo, 0, &h) != 0) {
            wk_plan_ivals_free(iv);
            iv->all = true;
            return;
        }
        memset(&iv->v[k], 0, sizeof(iv->v[k]));
        iv->v[k].lo.value_type = iv->v[k].hi.value_type = BSON_TYPE_INT64;
        iv->v[k].lo.value.v_int64 = iv->v[k].hi.value.v_int64 = h;
        iv->v[k].lo_incl = iv->v[k].hi_incl = true;
    }
    qsort(iv->v, iv->n, sizeof(*iv->v), int64_order);
    for (size_t k = 0; k < iv->n; k++)
        if (out == 0 || iv->v[k].lo.value.v_int64 != iv->v[out - 1].lo.value.v_int64)
            iv->v[out++] = iv->v[k];
    iv->n = out;
}

/* field_bounds -- every field's intervals, the leading points and the closing field. */
static void close_fields(cand_t *c);

static void
field_bounds(const bson_t *filter, cand_t *c, bool bounds)
{
    for (size_t i = 0; i < c->nf; i++) {
        bool shared = false;

        for (size_t j = 0; j < i && c->multikey; j++)
            shared = shared || shares_root(c->field[j], c->field[i]);
        if (bounds && !shared && path_plain(c->field[i]))
            wk_plan_bounds_field(filter, c->field[i], c->fmk[i], &c->arena, &c->iv[i]);
        else
            c->iv[i].all = true;
        if (!c->coll_match && !c->iv[i].all && touches_strings(&c->iv[i])) {
            wk_plan_ivals_free(&c->iv[i]); /* the index orders strings otherwise */
            c->iv[i].all = true;
        }
        if (c->hashed[i] && !c->iv[i].all)
            hash_points(&c->iv[i]);
    }
    close_fields(c);
}

/* close_fields -- the leading point fields and the field whose intervals close the ranges. */
static void
close_fields(cand_t *c)
{
    size_t combos = 1;

    c->npoint = 0;
    c->rfield = c->nf;
    for (size_t i = 0; i < c->nf; i++) {
        if (wk_plan_ival_points(&c->iv[i]) && combos * c->iv[i].n <= WK_PLAN_MAX_POINTS) {
            combos *= c->iv[i].n;
            c->npoint++;
            continue;
        }
        c->rfield = i;
        c->bounded = !c->iv[i].all && c->iv[i].n > 0;
        break;
    }
}

/* sort_parse -- a sort of plain fields with directions 1/-1; false otherwise. */
static bool
sort_parse(const bson_t *sort, sortspec_t *ss)
{
    bson_iter_t it;

    ss->n = 0;
    if (sort == NULL || bson_empty(sort) || !bson_iter_init(&it, sort))
        return false;
    while (bson_iter_next(&it)) {
        if (ss->n == WK_PLAN_MAX_FIELDS || !BSON_ITER_HOLDS_NUMBER(&it))
            return false;
        ss->field[ss->n] = bson_iter_key(&it);
        ss->dir[ss->n++] = bson_iter_as_double(&it) < 0 ? -1 : 1;
    }
    return ss->n > 0;
}

/* one_point -- field i is pinned to one value by the scanned ranges. */
static bool
one_point(const cand_t *c, size_t i)
{
    return i < c->npoint && c->iv[i].n == 1;
}

/* provides_sort -- see the banner; sets c->sorted and c->dir. */
static void
provides_sort(const sortspec_t *ss, cand_t *c)
{
    size_t si = 0;
    int dir = 0;

    c->dir = 1;
    if (!c->coll_match) /* strings in another order than the query's */
        return;
    for (size_t i = 0; i < c->nf && si < ss->n; i++) {
        int d;

        if (strcmp(c->field[i], ss->field[si]) != 0) {
            if (!one_point(c, i))
                return;
            continue;
        }
        if (c->hashed[i]) /* hash order is no value order */
            return;
        if (c->multikey && !c->iv[i].all && !one_point(c, i))
            return;
        if (i > c->rfield && !c->iv[i].all)
            return;
        if (i < c->npoint && !one_point(c, i))
            return;
        d = ss->dir[si] * (c->desc[i] ? -1 : 1);
        if (dir != 0 && d != dir)
            return;
        dir = d;
        si++;
    }
    if (si < ss->n)
        return;
    c->sorted = true;
    c->dir = dir;
}

/* score -- the choice order of the banner. */
static int
score(const cand_t *c)
{
    return (int)c->npoint * 4 + (c->bounded ? 2 : 0) + (c->sorted ? 1 : 0);
}

/* wildcard_proj -- the spec's wildcardProjection (a view), or NULL. */
static const bson_t *
wildcard_proj(const bson_t *spec, bson_t *view)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;

    if (!bson_iter_init_find(&it, spec, "wildcardProjection") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return NULL;
    bson_iter_document(&it, &len, &d);
    return bson_init_static(view, d, len) ? view : NULL;
}

/* ---- ranges ------------------------------------------------------------------------------ */

/* pad_value -- MinKey or MaxKey, the lowest (!high) or highest end of a field in index order. */
static void
pad_value(bool desc, bool high, bson_value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->value_type = (high != desc) ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
}

typedef struct rbuild {
    const cand_t *c;
    bson_value_t lo[WK_PLAN_MAX_FIELDS], hi[WK_PLAN_MAX_FIELDS];
    bool lo_incl, hi_incl;
    struct pending {
        wk_exec_range_t enc;
        bson_t *lo, *hi; /* (no bson_t inside a realloc'd array: its alignment is 128) */
    } * out;
    size_t n;
} rbuild_t;

/* emit_range -- one range from the chosen intervals of fields 0..rfield. */
static int
emit_range(rbuild_t *b)
{
    const cand_t *c = b->c;
    struct pending *pr;

    b->out = bson_realloc(b->out, (b->n + 1) * sizeof(*b->out));
    pr = &b->out[b->n++];
    sdb_keybuf_init(&pr->enc.lo);
    sdb_keybuf_init(&pr->enc.hi);
    pr->lo = bson_new();
    pr->hi = bson_new();
    pr->enc.lo_incl = b->lo_incl;
    pr->enc.hi_incl = b->hi_incl;
    for (size_t i = 0; i < c->nf; i++) {
        bson_value_t lo = b->lo[i], hi = b->hi[i];

        if (i > c->rfield || (i == c->rfield && c->iv[i].all)) {
            pad_value(c->desc[i], !b->lo_incl, &lo);
            pad_value(c->desc[i], b->hi_incl, &hi);
        }
        BSON_APPEND_VALUE(pr->lo, c->field[i], &lo);
        BSON_APPEND_VALUE(pr->hi, c->field[i], &hi);
        SDB_RET(sdb_keyenc_value_coll(&pr->enc.lo, &lo, c->desc[i], c->coll));
        SDB_RET(sdb_keyenc_value_coll(&pr->enc.hi, &hi, c->desc[i], c->coll));
    }
    return 0;
}

/* product -- every combination of the point fields, then the closing field's intervals. */
static int
product(rbuild_t *b, size_t i)
{
    const cand_t *c = b->c;

    if (i >= c->nf || i > c->rfield || (i == c->rfield && c->iv[i].all)) {
        b->lo_incl = b->hi_incl = true;
        return emit_range(b);
    }
    for (size_t k = 0; k < c->iv[i].n; k++) {
        const wk_ival_t *iv = &c->iv[i].v[k];

        b->lo[i] = c->desc[i] ? iv->hi : iv->lo;
        b->hi[i] = c->desc[i] ? iv->lo : iv->hi;
        if (i == c->rfield) {
            b->lo_incl = c->desc[i] ? iv->hi_incl : iv->lo_incl;
            b->hi_incl = c->desc[i] ? iv->lo_incl : iv->hi_incl;
            SDB_RET(emit_range(b));
        } else {
            SDB_RET(product(b, i + 1));
        }
    }
    return 0;
}

static int
pending_order(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;

    return wk_exec_plan_keycmp(x->enc.lo.data, x->enc.lo.len, y->enc.lo.data, y->enc.lo.len);
}

/* take_ranges -- move the sorted ranges into the plan and its IXSCAN request array. */
static void
take_ranges(wk_exec_plan_t *p, rbuild_t *b)
{
    bson_t range;

    if (b->n > 1)
        qsort(b->out, b->n, sizeof(*b->out), pending_order);
    p->r = bson_malloc0((b->n ? b->n : 1) * sizeof(*p->r));
    for (size_t i = 0; i < b->n; i++) {
        char k[16];

        bson_snprintf(k, sizeof(k), "%zu", p->nr);
        p->r[p->nr++] = b->out[i].enc;
        bson_append_document_begin(&p->ranges, k, -1, &range);
        BSON_APPEND_DOCUMENT(&range, "lo", b->out[i].lo);
        BSON_APPEND_DOCUMENT(&range, "hi", b->out[i].hi);
        BSON_APPEND_BOOL(&range, "loIncl", b->out[i].enc.lo_incl);
        BSON_APPEND_BOOL(&range, "hiIncl", b->out[i].enc.hi_incl);
        bson_append_document_end(&p->ranges, &range);
        bson_destroy(b->out[i].lo);
        bson_destroy(b->out[i].hi);
    }
    bson_free(b->out);
    b->out = NULL;
    b->n = 0;
}

static void
rbuild_free(rbuild_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        sdb_keybuf_free(&b->out[i].enc.lo);
        sdb_keybuf_free(&b->out[i].enc.hi);
        bson_destroy(b->out[i].lo);
        bson_destroy(b->out[i].hi);
    }
    bson_free(b->out);
}

/* explain_bounds -- {field: [interval text...]} in scan order, as mongod's indexBounds. */
static void
explain_bounds(const cand_t *c, bson_t *out)
{
    for (size_t i = 0; i < c->nf; i++) {
        bool reverse = c->desc[i] != (c->dir < 0), all = i > c->rfield || c->iv[i].all;
        wk_ival_t whole;
        bson_t arr;
        size_t n = all ? 1 : c->iv[i].n;

        memset(&whole, 0, sizeof(whole));
        whole.lo.value_type = BSON_TYPE_MINKEY;
        whole.hi.value_type = BSON_TYPE_MAXKEY;
        whole.lo_incl = whole.hi_incl = true;
        BSON_APPEND_ARRAY_BEGIN(out, c->field[i], &arr);
        for (size_t k = 0; k < n; k++) {
            const wk_ival_t *iv = all ? &whole : &c->iv[i].v[reverse ? n - 1 - k : k];
            bson_string_t *s = bson_string_new(NULL);
            char key[16];

            wk_plan_ival_format(iv, reverse, s);
            bson_snprintf(key, sizeof(key), "%zu", k);
            BSON_APPEND_UTF8(&arr, key, s->str);
            bson_string_free(s, true);
        }
        bson_append_array_end(out, &arr);
    }
}

/* use_cand -- fill the plan from the chosen candidate. */
static int
use_cand(cand_t *c, wk_exec_plan_t *p)
{
    rbuild_t b;
    bson_iter_t it;
    int ret;

    memset(&b, 0, sizeof(b));
    b.c = c;
    if ((ret = product(&b, 0)) != 0) {
        rbuild_free(&b);
        return ret;
    }
    wk_exec_plan_free(p);
    if (bson_iter_init_find(&it, &c->spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
        bson_strncpy(p->name, bson_iter_utf8(&it, NULL), sizeof(p->name));
    p->unique = strcmp(p->name, "_id_") == 0 || spec_flag(&c->spec, "unique");
    p->sparse = spec_flag(&c->spec, "sparse");
    p->partial = bson_has_field(&c->spec, "partialFilterExpression");
    p->multikey = c->multikey;
    bson_destroy(&p->mkpaths);
    bson_copy_to(&c->mkpaths, &p->mkpaths);
    p->sorted = c->sorted;
    p->bounded = c->npoint > 0 || c->bounded;
    p->dir = c->dir;
    bson_destroy(&p->key);
    bson_copy_to(&c->key, &p->key);
    if (c->wkey != NULL) {
        bson_t pv;
        const bson_t *proj = wildcard_proj(&c->spec, &pv);

        bson_destroy(&p->wkey);
        bson_copy_to(c->wkey, &p->wkey);
        if (proj != NULL) {
            bson_destroy(&p->wproj);
            bson_copy_to(proj, &p->wproj);
        }
    }
    p->coll = c->coll; /* moved */
    c->coll = NULL;
    take_ranges(p, &b);
    explain_bounds(c, &p->bounds);
    return 0;
}

/* plan_cand -- bounds and sort of one candidate. */
static void
plan_cand(const wk_coll_info_t *ci, const bson_t *filter, const sortspec_t *ss, bool bounds,
          cand_t *c)
{
    bson_iter_t it;

    c->multikey = bson_iter_init_find(&it, &c->spec, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
                  is_multikey(ci, bson_iter_utf8(&it, NULL));
    if (c->multikey)
        multikey_fields(ci, bson_iter_utf8(&it, NULL), c);
    field_bounds(filter, c, bounds && filter != NULL);
    c->dir = 1;
    if (ss != NULL)
        provides_sort(ss, c);
}

/* ---- wildcard indexes ---------------------------------------------------------------- */

/* has_null -- an interval list that holds null (or undefined): a missing field, which a
 * wildcard index has no entry for. */
static bool
has_null(const wk_ivals_t *iv)
{
    bson_value_t null = {.value_type = BSON_TYPE_NULL};

    for (size_t i = 0; i < iv->n; i++) {
        int lo = sdb_bson_value_cmp(&iv->v[i].lo, &null),
            hi = sdb_bson_value_cmp(&null, &iv->v[i].hi);

        if ((lo < 0 || (lo == 0 && iv->v[i].lo_incl)) && (hi < 0 || (hi == 0 && iv->v[i].hi_incl)))
            return true;
        if (iv->v[i].lo.value_type == BSON_TYPE_UNDEFINED)
            return true;
    }
    return iv->all;
}

/* exists_true -- does filter (top level or in $and) test `path` with {$exists: true}? */
static bool
exists_true(const bson_t *filter, const char *path)
{
    bson_iter_t it, sub;

    if (filter == NULL || !bson_iter_init(&it, filter))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$and") == 0 && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &sub)) {
            while (bson_iter_next(&sub)) {
                const uint8_t *d;
                uint32_t len;
                bson_t clause;

                bson_iter_document(&sub, &len, &d);
                if (BSON_ITER_HOLDS_DOCUMENT(&sub) && bson_init_static(&clause, d, len) &&
                    exists_true(&clause, path))
                    return true;
            }
            continue;
        }
        if (strcmp(k, path) == 0 && BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &sub) &&
            bson_iter_find(&sub, "$exists") && bson_iter_as_bool(&sub))
            return true;
    }
    return false;
}

/* wildcard_path -- the filter path (top level or in $and) a wildcard index (pattern `wk`,
 * wildcardProjection `proj` or NULL) bounds best: points before ranges before an
 * {$exists: true} (only on a path whose whole subtree the index holds: an entry below it may
 * be the only one its document has), then filter order; false when none. */
static bool
wildcard_path(const bson_t *filter, const bson_t *top, const bson_t *wk, const bson_t *proj,
              wk_plan_arena_t *a, char *out, size_t cap, int *best)
{
    bson_iter_t it, arr;

    if (filter == NULL || !bson_iter_init(&it, filter))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        wk_ivals_t iv;
        int q;

        if (strcmp(k, "$and") == 0 && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr)) {
            while (bson_iter_next(&arr)) {
                const uint8_t *d;
                uint32_t len;
                bson_t sub;

                bson_iter_document(&arr, &len, &d);
                if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_init_static(&sub, d, len))
                    wildcard_path(&sub, top, wk, proj, a, out, cap, best);
            }
            continue;
        }
        if (k[0] == '$' || !path_plain(k) || !sdb_wildcard_path_indexed(wk, proj, k, false) ||
            strlen(k) >= cap)
            continue;
        wk_plan_bounds_field(top, k, true, a, &iv);
        q = !has_null(&iv) ? (wk_plan_ival_points(&iv) ? 3 : 2)
            : exists_true(top, k) && sdb_wildcard_path_indexed(wk, proj, k, true) ? 1
                                                                                  : 0;
        wk_plan_ivals_free(&iv);
        if (q > *best) {
            *best = q;
            bson_strncpy(out, k, cap);
        }
    }
    return *best > 0;
}

/* arena_str -- a copy of s..s+n with `last` appended, owned by the arena. */
static const char *
arena_str(wk_plan_arena_t *a, const char *s, char last)
{
    a->s = bson_realloc(a->s, (a->n + 1) * sizeof(*a->s));
    a->s[a->n] = bson_strdup_printf("%s%c", s, last);
    return a->s[a->n++];
}

/* path_ival -- the $_path interval [lo, hi] (hi exclusive when !hi_incl). */
static void
path_ival(wk_ival_t *iv, const char *lo, const char *hi, bool hi_incl)
{
    memset(iv, 0, sizeof(*iv));
    iv->lo.value_type = iv->hi.value_type = BSON_TYPE_UTF8;
    iv->lo.value.v_utf8.str = (char *)lo;
    iv->lo.value.v_utf8.len = (uint32_t)strlen(lo);
    iv->hi.value.v_utf8.str = (char *)hi;
    iv->hi.value.v_utf8.len = (uint32_t)strlen(hi);
    iv->lo_incl = true;
    iv->hi_incl = hi_incl;
}

/* wildcard_cand -- a wildcard index ({"$**": 1}, {"a.$**": 1}, with or without a
 * wildcardProjection) as mongod plans it: one path's entries, a compound scan of {$_path:
 * [path, path], path: intervals}; the path is the filter's most selective one the index holds
 * (sdb_wildcard_path_indexed), and its bounds never hold null (a missing field has no entry)
 * unless the filter asks {$exists: true} of it: then every entry at or below the path,
 * {$_path: [[path, path], [path., path/)], path: [MinKey, MaxKey]}.  Fills c; false when the
 * index cannot serve the filter. */
static bool
wildcard_cand(const bson_t *spec, const bson_t *filter, const struct sdb_collation *q, cand_t *c)
{
    bson_iter_t it, kp;
    const uint8_t *d;
    uint32_t len;
    char path[256];
    int best = 0;
    bson_t pv;
    const bson_t *proj = wildcard_proj(spec, &pv);

    memset(c, 0, sizeof(*c));
    bson_init(&c->mkpaths);
    if (q != NULL || !bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        spec_flag(spec, "hidden") || bson_has_field(spec, "collation") ||
        bson_has_field(spec, "partialFilterExpression"))
        return false;
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&c->spec, bson_get_data(spec), spec->len) ||
        !bson_init_static(&c->key, d, len) || !sdb_wildcard_pattern(&c->key) ||
        sdb_wildcard_compound(&c->key) || !bson_iter_init(&kp, &c->key) || !bson_iter_next(&kp) ||
        !BSON_ITER_HOLDS_NUMBER(&kp) || bson_iter_as_double(&kp) <= 0 ||
        !wildcard_path(filter, filter, &c->key, proj, &c->arena, path, sizeof(path), &best))
        return false;
    c->wkey = bson_copy(&c->key);
    c->own = bson_new();
    BSON_APPEND_INT32(c->own, "$_path", 1);
    BSON_APPEND_INT32(c->own, path, 1);
    bson_init_static(&c->key, bson_get_data(c->own), c->own->len);
    bson_iter_init(&kp, &c->key);
    for (c->nf = 0; bson_iter_next(&kp); c->nf++)
        c->field[c->nf] = bson_iter_key(&kp);
    c->iv[0].v = bson_malloc0(2 * sizeof(wk_ival_t));
    c->iv[0].n = 1;
    path_ival(&c->iv[0].v[0], c->field[1], c->field[1], true);
    wk_plan_bounds_field(filter, c->field[1], true, &c->arena, &c->iv[1]);
    if (has_null(&c->iv[1])) {
        if (!exists_true(filter, c->field[1])) {
            cand_free(c);
            return false;
        }
        wk_plan_ivals_free(&c->iv[1]); /* every value at the path and below it */
        c->iv[1].all = true;
        path_ival(&c->iv[0].v[c->iv[0].n++], arena_str(&c->arena, c->field[1], '.'),
                  arena_str(&c->arena, c->field[1], '/'), false);
    }
    close_fields(c);
    c->dir = 1;
    return true;
}

/* ---- compound wildcard indexes ------------------------------------------------------- */

/* cwild_fields -- c's expanded key pattern from the compound wildcard pattern `key`: the
 * regular fields before the wildcard, $_path, and, with a wildcard path, that path (in the
 * wildcard's direction) and the regular fields after it, as mongod's explain shows it. */
static void
cwild_fields(const bson_t *key, const char *path, cand_t *c)
{
    bson_iter_t kp;

    c->own = bson_new();
    bson_iter_init(&kp, key);
    while (bson_iter_next(&kp)) {
        const char *k = bson_iter_key(&kp);
        size_t n = strlen(k);

        if (n >= 3 && strcmp(k + n - 3, "$**") == 0) {
            BSON_APPEND_INT32(c->own, "$_path", 1);
            if (path == NULL)
                break;
            BSON_APPEND_INT32(c->own, path, bson_iter_as_double(&kp) < 0 ? -1 : 1);
            continue;
        }
        BSON_APPEND_INT32(c->own, k, bson_iter_as_double(&kp) < 0 ? -1 : 1);
    }
    bson_init_static(&c->key, bson_get_data(c->own), c->own->len);
    bson_iter_init(&kp, &c->key);
    for (c->nf = 0; bson_iter_next(&kp) && c->nf < WK_PLAN_MAX_FIELDS; c->nf++) {
        c->field[c->nf] = bson_iter_key(&kp);
        c->desc[c->nf] = bson_iter_as_double(&kp) < 0;
    }
}

/* cwild_bounds -- every field's intervals: the regular ones as a plain index's (never
 * arrays), $_path the path's point (or everything), the path's values as wildcard_cand's.
 * False when the plan would miss documents: a path bound holding null, or, with no path,
 * no regular bound that excludes null (a document with neither regular nor wildcard
 * fields has no entry). */
static bool
cwild_bounds(const bson_t *filter, const char *path, cand_t *c)
{
    bool some = false;

    for (size_t i = 0; i < c->nf; i++) {
        if (strcmp(c->field[i], "$_path") == 0) {
            c->iv[i].all = path == NULL;
            if (path != NULL) { /* (the name in c->own: `path` is the caller's buffer) */
                c->iv[i].v = bson_malloc0(2 * sizeof(wk_ival_t));
                c->iv[i].n = 1;
                path_ival(&c->iv[i].v[0], c->field[i + 1], c->field[i + 1], true);
            }
            continue;
        }
        if (path != NULL && strcmp(c->field[i], path) == 0) {
            wk_plan_bounds_field(filter, path, true, &c->arena, &c->iv[i]);
            if (!has_null(&c->iv[i]))
                continue;
            if (!exists_true(filter, path))
                return false;
            wk_plan_ivals_free(&c->iv[i]); /* every value at the path and below it */
            c->iv[i].all = true;
            path_ival(&c->iv[i - 1].v[c->iv[i - 1].n++], arena_str(&c->arena, path, '.'),
                      arena_str(&c->arena, path, '/'), false);
            continue;
        }
        if (path_plain(c->field[i]))
            wk_plan_bounds_field(filter, c->field[i], false, &c->arena, &c->iv[i]);
        else
            c->iv[i].all = true;
        some = some || (!c->iv[i].all && !has_null(&c->iv[i]));
    }
    return path != NULL || some;
}

/* cwild_sort_regular -- every sort field is a regular field of compound wildcard pattern
 * `key` (single-valued: the index order is theirs; a wildcard path may hold arrays, whose
 * sort key an entry in the scanned range need not be). */
static bool
cwild_sort_regular(const sortspec_t *ss, const bson_t *key)
{
    for (size_t i = 0; i < ss->n; i++) {
        size_t n = strlen(ss->field[i]);

        if (!bson_has_field(key, ss->field[i]) ||
            (n >= 3 && strcmp(ss->field[i] + n - 3, "$**") == 0))
            return false;
    }
    return true;
}

/* cwild_cand -- a compound wildcard index ({tenant: 1, "attrs.$**": 1}, {"$**": 1, x: 1}
 * with its wildcardProjection; mongod 7.0) as mongod plans it: with a filter path the
 * wildcard holds (wildcard_path), {<regular before>, $_path: [p, p], p: intervals, <regular
 * after>}; with none, on its regular prefix alone, {<regular before>, $_path: [MinKey,
 * MaxKey]} (every entry of the prefix; the executor meets each record once).  It gives a sort
 * (ss, NULL: none) on its regular fields as a plain index would.  Fills c; false when the
 * index cannot serve the filter. */
static bool
cwild_cand(const bson_t *spec, const bson_t *filter, const struct sdb_collation *q,
           const sortspec_t *ss, cand_t *c)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;
    char path[256];
    int best = 0;
    bson_t pv, key;
    const bson_t *proj = wildcard_proj(spec, &pv);
    bool have;

    memset(c, 0, sizeof(*c));
    bson_init(&c->mkpaths);
    if (q != NULL || filter == NULL || !bson_iter_init_find(&it, spec, "key") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it) || spec_flag(spec, "hidden") ||
        bson_has_field(spec, "collation") || bson_has_field(spec, "partialFilterExpression"))
        return false;
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&c->spec, bson_get_data(spec), spec->len) ||
        !bson_init_static(&key, d, len) || !sdb_wildcard_compound(&key))
        return false;
    have = wildcard_path(filter, filter, &key, proj, &c->arena, path, sizeof(path), &best);
    c->wkey = bson_copy(&key);
    cwild_fields(&key, have ? path : NULL, c);
    if (!cwild_bounds(filter, have ? path : NULL, c)) {
        cand_free(c);
        return false;
    }
    close_fields(c);
    c->dir = 1;
    if (c->npoint == 0 && !c->bounded) {
        cand_free(c);
        return false;
    }
    if (ss != NULL && cwild_sort_regular(ss, &key)) {
        c->coll_match = true; /* (neither the query nor the index has a collation) */
        provides_sort(ss, c);
    }
    return true;
}

static int
cand_order(const void *a, const void *b)
{
    const wk_exec_plan_t *x = *(wk_exec_plan_t *const *)a, *y = *(wk_exec_plan_t *const *)b;

    if (x->score != y->score)
        return y->score - x->score;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* sparse_exists -- a sparse index serves {f: {$exists: true}} on its first field with the
 * whole scan [MinKey, MaxKey], as mongod plans it: its entries are the documents that match. */
static bool
sparse_exists(const bson_t *spec, const bson_t *filter, const cand_t *c)
{
    return filter != NULL && spec_flag(spec, "sparse") && c->nf > 0 &&
           exists_true(filter, c->field[0]);
}

int
wk_exec_plan_candidates(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                        const struct sdb_collation *coll, wk_exec_plan_t ***out, size_t *n)
{
    bson_iter_t it;
    sortspec_t ss;
    bool has_sort = sort_parse(sort, &ss);
    cand_t *c = BSON_ALIGNED_ALLOC0(cand_t); /* bson_t views inside: aligned, never copied */
    wk_exec_plan_t **v = NULL;
    size_t k = 0;
    int ret = 0, ord = 0;

    *out = NULL;
    *n = 0;
    if (!bson_iter_init(&it, &ci->indexes)) {
        bson_free(c);
        return 0;
    }
    while (ret == 0 && bson_iter_next(&it) && k < WK_EXEC_MAX_CANDIDATES) {
        const uint8_t *d;
        uint32_t len;
        bson_t spec;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (!bson_init_static(&spec, d, len))
            continue;
        if (wildcard_cand(&spec, filter, coll, c) ||
            cwild_cand(&spec, filter, coll, has_sort ? &ss : NULL, c) ||
            (eligible(&spec, filter, false, coll, c) &&
             (plan_cand(ci, filter, has_sort ? &ss : NULL, true, c),
              c->npoint > 0 || c->bounded || c->sorted || sparse_exists(&spec, filter, c)))) {
            v = bson_realloc(v, (k + 1) * sizeof(*v));
            v[k] = BSON_ALIGNED_ALLOC0(wk_exec_plan_t); /* bson_t inside */
            wk_exec_plan_init(v[k]);
            if ((ret = use_cand(c, v[k])) == 0) {
                v[k]->score = score(c);
                v[k]->ord = ord;
            }
            k++;
        }
        ord++;
        cand_free(c);
    }
    bson_free(c);
    if (k > 1)
        qsort(v, k, sizeof(*v), cand_order);
    *out = v;
    *n = k;
    return ret;
}

void
wk_exec_plan_list_free(wk_exec_plan_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] != NULL)
            wk_exec_plan_free(v[i]);
        bson_free(v[i]);
    }
    bson_free(v);
}

int
wk_exec_plan_index(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                   const struct sdb_collation *coll, wk_exec_plan_t *p, bool *ok)
{
    wk_exec_plan_t **v;
    size_t n;
    int ret = wk_exec_plan_candidates(ci, filter, sort, coll, &v, &n);

    *ok = ret == 0 && n > 0;
    if (*ok)
        wk_exec_plan_take(p, v[0]);
    wk_exec_plan_list_free(v, n);
    return ret;
}

#define WK_PLAN_MAX_OR 64

int
wk_exec_plan_or(const wk_coll_info_t *ci, const bson_t *filter, const bson_t *sort,
                const struct sdb_collation *coll, wk_exec_plan_t ***out, size_t *n)
{
    bson_iter_t it, cl;
    wk_exec_plan_t **v = NULL;
    size_t k = 0;
    int ret = 0;
    bool ok = true;

    *out = NULL;
    *n = 0;
    if (filter == NULL || !bson_iter_init_find(&it, filter, "$or") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &cl))
        return 0;
    while (ok && ret == 0 && bson_iter_next(&cl)) {
        const uint8_t *d;
        uint32_t len;
        bson_t clause;
        bool sec = false;

        if (!BSON_ITER_HOLDS_DOCUMENT(&cl) || k == WK_PLAN_MAX_OR) {
            ok = false;
            break;
        }
        bson_iter_document(&cl, &len, &d);
        v = bson_realloc(v, (k + 1) * sizeof(*v));
        v[k] = BSON_ALIGNED_ALLOC0(wk_exec_plan_t); /* bson_t inside */
        wk_exec_plan_init(v[k++]);
        ok = bson_init_static(&clause, d, len) &&
             (ret = wk_exec_plan_index(ci, &clause, sort, coll, v[k - 1], &sec)) == 0 && sec &&
             v[k - 1]->bounded;
    }
    if (ok && ret == 0 && k > 0) {
        *out = v;
        *n = k;
        return 0;
    }
    wk_exec_plan_list_free(v, k);
    return ret;
}

int
wk_exec_plan_hinted(const wk_coll_info_t *ci, const bson_t *filter, const bson_value_t *hint,
                    bool bounds, const bson_t *sort, wk_exec_plan_t *p, bool *ok)
{
    bson_t spec;
    sortspec_t ss;
    bool has_sort = sort_parse(sort, &ss);
    cand_t c;
    int ret;

    *ok = false;
    if (!wk_exec_plan_hinted_spec(ci, hint, &spec))
        return 0;
    if (!cwild_cand(&spec, bounds ? filter : NULL, NULL, has_sort ? &ss : NULL, &c)) {
        if (!eligible(&spec, NULL, true, NULL, &c))
            return 0;
        plan_cand(ci, filter, has_sort ? &ss : NULL, bounds, &c);
    }
    ret = use_cand(&c, p);
    cand_free(&c);
    *ok = ret == 0 && p->name[0] != '\0';
    return ret;
}

void
wk_exec_plan_explain(const wk_exec_plan_t *p, bson_t *stage)
{
    bson_iter_t kp;
    bson_t paths, arr;

    BSON_APPEND_UTF8(stage, "stage", "IXSCAN");
    BSON_APPEND_DOCUMENT(stage, "keyPattern", &p->key);
    BSON_APPEND_UTF8(stage, "indexName", p->name);
    BSON_APPEND_BOOL(stage, "isMultiKey", p->multikey);
    BSON_APPEND_DOCUMENT_BEGIN(stage, "multiKeyPaths", &paths);
    if (bson_iter_init(&kp, &p->key)) {
        while (bson_iter_next(&kp)) {
            bson_iter_t f;

            if (bson_iter_init_find(&f, &p->mkpaths, bson_iter_key(&kp)) &&
                BSON_ITER_HOLDS_ARRAY(&f)) {
                bson_append_iter(&paths, NULL, 0, &f);
                continue;
            }
            BSON_APPEND_ARRAY_BEGIN(&paths, bson_iter_key(&kp), &arr);
            if (p->multikey) /* the catalog did not say which: every path may */
                BSON_APPEND_UTF8(&arr, "0", bson_iter_key(&kp));
            bson_append_array_end(&paths, &arr);
        }
    }
    bson_append_document_end(stage, &paths);
    BSON_APPEND_BOOL(stage, "isUnique", p->unique);
    BSON_APPEND_BOOL(stage, "isSparse", p->sparse);
    BSON_APPEND_BOOL(stage, "isPartial", p->partial);
    BSON_APPEND_INT32(stage, "indexVersion", 2);
    if (p->coll != NULL) {
        bson_t cs;

        BSON_APPEND_DOCUMENT_BEGIN(stage, "collation", &cs);
        sdb_collation_spec(p->coll, &cs);
        bson_append_document_end(stage, &cs);
    }
    BSON_APPEND_UTF8(stage, "direction", p->dir < 0 ? "backward" : "forward");
    BSON_APPEND_DOCUMENT(stage, "indexBounds", &p->bounds);
}

/* minmax_compatible -- a min/max document names the key pattern's fields, in order. */
static bool
minmax_compatible(const bson_t *b, const bson_t *key)
{
    bson_iter_t x, k;

    if (!bson_iter_init(&x, b) || !bson_iter_init(&k, key))
        return false;
    while (bson_iter_next(&k))
        if (!bson_iter_next(&x) || strcmp(bson_iter_key(&x), bson_iter_key(&k)) != 0)
            return false;
    return !bson_iter_next(&x);
}

/* minmax_bound -- the request bound and its encoding: b's values, or every field's open end
 * (the lowest in index order for lo, the highest for hi) when b is empty. */
static int
minmax_bound(const bson_t *b, const bson_t *key, bool high, bson_t *req, sdb_keybuf_t *enc)
{
    bson_iter_t k, x;
    bool have = bson_iter_init(&x, b) && !bson_empty(b);

    if (!bson_iter_init(&k, key))
        return SDB_ECORRUPT;
    while (bson_iter_next(&k)) {
        bool desc = bson_iter_as_double(&k) < 0;
        bson_value_t v;

        if (have && bson_iter_next(&x))
            v = *bson_iter_value(&x);
        else
            pad_value(desc, high, &v);
        BSON_APPEND_VALUE(req, bson_iter_key(&k), &v);
        SDB_RET(sdb_keyenc_value(enc, &v, desc));
    }
    return 0;
}

int
wk_exec_plan_minmax(wk_exec_plan_t *p, const bson_t *min, const bson_t *max, sdb_error_t *err)
{
    bson_t lo = BSON_INITIALIZER, hi = BSON_INITIALIZER, range, arr;
    bson_iter_t lk, hk;
    sdb_keybuf_t elo, ehi;
    int ret = 0;

    sdb_keybuf_init(&elo);
    sdb_keybuf_init(&ehi);
    if ((!bson_empty(min) && !minmax_compatible(min, &p->key)) ||
        (!bson_empty(max) && !minmax_compatible(max, &p->key)))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location51174,
                              "The index chosen is not compatible with min/max"));
    SDB_ERR(minmax_bound(min, &p->key, false, &lo, &elo));
    SDB_ERR(minmax_bound(max, &p->key, true, &hi, &ehi));
    if (wk_exec_plan_keycmp(elo.data, elo.len, ehi.data, ehi.len) >= 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location51175,
                              "The value provided for min() does not come before the value "
                              "provided for max() in the hinted index"));
    for (size_t i = 0; i < p->nr; i++) {
        sdb_keybuf_free(&p->r[i].lo);
        sdb_keybuf_free(&p->r[i].hi);
    }
    p->r = bson_realloc(p->r, sizeof(*p->r));
    p->nr = 1;
    p->r[0].lo = elo;
    p->r[0].hi = ehi;
    p->r[0].lo_incl = true;
    p->r[0].hi_incl = bson_empty(max); /* max is exclusive */
    sdb_keybuf_init(&elo);
    sdb_keybuf_init(&ehi);
    bson_reinit(&p->ranges);
    BSON_APPEND_DOCUMENT_BEGIN(&p->ranges, "0", &range);
    BSON_APPEND_DOCUMENT(&range, "lo", &lo);
    BSON_APPEND_DOCUMENT(&range, "hi", &hi);
    BSON_APPEND_BOOL(&range, "loIncl", true);
    BSON_APPEND_BOOL(&range, "hiIncl", p->r[0].hi_incl);
    bson_append_document_end(&p->ranges, &range);
    p->sorted = p->sorted && p->dir > 0;
    p->dir = 1;
    bson_reinit(&p->bounds); /* per field, from min's value to max's, as mongod prints them */
    if (bson_iter_init(&lk, &lo) && bson_iter_init(&hk, &hi)) {
        while (bson_iter_next(&lk) && bson_iter_next(&hk)) {
            wk_ival_t iv = {.lo = *bson_iter_value(&lk), .hi = *bson_iter_value(&hk)};
            bson_string_t *s = bson_string_new(NULL);

            iv.lo_incl = true;
            iv.hi_incl = p->r[0].hi_incl;
            wk_plan_ival_format(&iv, false, s);
            BSON_APPEND_ARRAY_BEGIN(&p->bounds, bson_iter_key(&lk), &arr);
            BSON_APPEND_UTF8(&arr, "0", s->str);
            bson_append_array_end(&p->bounds, &arr);
            bson_string_free(s, true);
        }
    }
err:
    sdb_keybuf_free(&elo);
    sdb_keybuf_free(&ehi);
    bson_destroy(&lo);
    bson_destroy(&hi);
    return ret;
}
