/*
 * src/worker/engine/plan_bounds.c -- index bounds of one key field, derived from a filter.
 *
 * Each predicate on the path becomes a sorted, disjoint interval list (see plan_bounds.h);
 * a collector then intersects them (non-multikey) or keeps the most selective one (multikey:
 * fewest points, a range last).  Type brackets follow MongoDB's order: numbers run from NaN
 * (below every number) through -inf.0 to inf.0, strings from "" to {} (the first value above
 * every string), dates and ObjectIds between their smallest and largest values.
 *
 * Invariants: event-loop thread only; intervals point into the filter or the arena.
 */
#include "plan_bounds.h"

#include "../../common/bsoncmp.h"
#include "../../common/bsontext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t empty_doc[5] = {5, 0, 0, 0, 0};
static const uint8_t oid_lo[12] = {0};
static const uint8_t oid_hi[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

typedef struct collect {
    bool multikey;
    bool any;       /* some predicate gave bounds */
    wk_ivals_t acc; /* the intersection so far, or the best single predicate */
    int rank;       /* multikey: the rank of acc (lower is more selective) */
    wk_plan_arena_t *arena;
} collect_t;

void
wk_plan_ivals_free(wk_ivals_t *iv)
{
    bson_free(iv->v);
    iv->v = NULL;
    iv->n = 0;
    iv->all = false;
}

void
wk_plan_arena_free(wk_plan_arena_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        bson_free(a->s[i]);
    bson_free(a->s);
    a->s = NULL;
    a->n = 0;
}

bool
wk_plan_ival_points(const wk_ivals_t *iv)
{
    if (iv->all || iv->n == 0)
        return false;
    for (size_t i = 0; i < iv->n; i++)
        if (sdb_bson_value_cmp(&iv->v[i].lo, &iv->v[i].hi) != 0)
            return false;
    return true;
}

static void
push(wk_ivals_t *iv, const bson_value_t *lo, bool lo_incl, const bson_value_t *hi, bool hi_incl)
{
    iv->v = bson_realloc(iv->v, (iv->n + 1) * sizeof(*iv->v));
    iv->v[iv->n].lo = *lo;
    iv->v[iv->n].hi = *hi;
    iv->v[iv->n].lo_incl = lo_incl;
    iv->v[iv->n].hi_incl = hi_incl;
    iv->n++;
}

static void
set_double(bson_value_t *v, double d)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_DOUBLE;
    v->value.v_double = d;
}

static void
set_utf8(bson_value_t *v, const char *s, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_UTF8;
    v->value.v_utf8.str = (char *)s;
    v->value.v_utf8.len = (uint32_t)len;
}

/* bracket -- the lowest (end 0) or highest/first-above (end 1) bound of v's type bracket;
 * *incl whether the bound itself belongs to the bracket.  False for unsupported types. */
static bool
bracket(bson_type_t t, int end, bson_value_t *out, bool *incl)
{
    memset(out, 0, sizeof(*out));
    *incl = true;
    switch (t) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
        set_double(out, end ? INFINITY : NAN);
        return true;
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
        if (end) {
            out->value_type = BSON_TYPE_DOCUMENT;
            out->value.v_doc.data = (uint8_t *)empty_doc;
            out->value.v_doc.data_len = sizeof(empty_doc);
            *incl = false;
        } else {
            set_utf8(out, "", 0);
        }
        return true;
    case BSON_TYPE_DATE_TIME:
        out->value_type = BSON_TYPE_DATE_TIME;
        out->value.v_datetime = end ? INT64_MAX : INT64_MIN;
        return true;
    case BSON_TYPE_OID:
        out->value_type = BSON_TYPE_OID;
        memcpy(out->value.v_oid.bytes, end ? oid_hi : oid_lo, 12);
        return true;
    case BSON_TYPE_BOOL:
        out->value_type = BSON_TYPE_BOOL;
        out->value.v_bool = end != 0;
        return true;
    default:
        return false;
    }
}

/* point_ok -- a value an equality or $in may bound with a point: not null, undefined,
 * NaN, a document, an array or a regex (those match more than their own key). */
static bool
point_ok(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_UTF8:
    case BSON_TYPE_OID:
    case BSON_TYPE_DATE_TIME:
    case BSON_TYPE_BOOL:
    case BSON_TYPE_TIMESTAMP:
        return true;
    case BSON_TYPE_DOUBLE:
        return !isnan(v->value.v_double);
    default:
        return false;
    }
}

static bool
range_ok(const bson_value_t *v)
{
    bson_value_t b;
    bool incl;

    return point_ok(v) && v->value_type != BSON_TYPE_TIMESTAMP &&
           bracket(v->value_type, 0, &b, &incl);
}

/* regex_prefix -- the literal prefix of an anchored, flag-free pattern; *len 0 when none. */
static void
regex_prefix(const char *re, const char *opts, size_t *len)
{
    size_t i = 0;

    *len = 0;
    if (re[0] != '^' || strpbrk(opts, "imx") != NULL || strchr(re, '|') != NULL)
        return;
    for (i = 1; re[i] != '\0' && strchr("\\^$.[]()?*+{}", re[i]) == NULL; i++)
        ;
    *len = i - 1;
    if (*len > 0 && re[i] != '\0' && strchr("?*{", re[i]) != NULL)
        (*len)--;
}

/* regex_ivals -- the string range a regex can match plus the regex value itself. */
static void
regex_ivals(const char *re, const char *opts, wk_plan_arena_t *a, wk_ivals_t *out)
{
    bson_value_t lo, hi, rv;
    bool incl;
    size_t n;

    regex_prefix(re, opts, &n);
    bracket(BSON_TYPE_UTF8, 0, &lo, &incl);
    bracket(BSON_TYPE_UTF8, 1, &hi, &incl);
    if (n > 0) {
        char *p = bson_strndup(re + 1, n), *q = bson_strndup(re + 1, n);
        size_t qn = n;

        while (qn > 0 && (uint8_t)q[qn - 1] == 0xff)
            qn--;
        a->s = bson_realloc(a->s, (a->n + 2) * sizeof(*a->s));
        a->s[a->n++] = p;
        a->s[a->n++] = q;
        set_utf8(&lo, p, n);
        if (qn > 0) {
            q[qn - 1] = (char)((uint8_t)q[qn - 1] + 1);
            set_utf8(&hi, q, qn);
        }
    }
    push(out, &lo, true, &hi, false);
    memset(&rv, 0, sizeof(rv));
    rv.value_type = BSON_TYPE_REGEX;
    rv.value.v_regex.regex = (char *)re;
    rv.value.v_regex.options = (char *)opts;
    push(out, &rv, true, &rv, true);
}

static int
ival_lo_cmp(const void *a, const void *b)
{
    const wk_ival_t *x = a, *y = b;
    int c = sdb_bson_value_cmp(&x->lo, &y->lo);

    return c != 0 ? c : (int)y->lo_incl - (int)x->lo_incl;
}

/* normalize -- sort by low end and merge overlapping or touching intervals. */
static void
normalize(wk_ivals_t *iv)
{
    size_t out = 0;

    if (iv->n < 2)
        return;
    qsort(iv->v, iv->n, sizeof(*iv->v), ival_lo_cmp);
    for (size_t i = 1; i < iv->n; i++) {
        wk_ival_t *last = &iv->v[out];
        int c = sdb_bson_value_cmp(&iv->v[i].lo, &last->hi);

        if (c < 0 || (c == 0 && (iv->v[i].lo_incl || last->hi_incl))) {
            int h = sdb_bson_value_cmp(&iv->v[i].hi, &last->hi);

            if (h > 0 || (h == 0 && iv->v[i].hi_incl)) {
                last->hi = iv->v[i].hi;
                last->hi_incl = iv->v[i].hi_incl || (h == 0 && last->hi_incl);
            }
        } else {
            iv->v[++out] = iv->v[i];
        }
    }
    iv->n = out + 1;
}

/* intersect -- a := a n b (both sorted and disjoint). */
static void
intersect(wk_ivals_t *a, const wk_ivals_t *b)
{
    wk_ivals_t r = {0};
    size_t i = 0, j = 0;

    while (i < a->n && j < b->n) {
        const wk_ival_t *x = &a->v[i], *y = &b->v[j];
        int cl = sdb_bson_value_cmp(&x->lo, &y->lo), ch = sdb_bson_value_cmp(&x->hi, &y->hi), c;
        const bson_value_t *lo = cl >= 0 ? &x->lo : &y->lo, *hi = ch <= 0 ? &x->hi : &y->hi;
        bool li = cl > 0 ? x->lo_incl : cl < 0 ? y->lo_incl : x->lo_incl && y->lo_incl;
        bool hj = ch < 0 ? x->hi_incl : ch > 0 ? y->hi_incl : x->hi_incl && y->hi_incl;

        c = sdb_bson_value_cmp(lo, hi);
        if (c < 0 || (c == 0 && li && hj))
            push(&r, lo, li, hi, hj);
        if (ch <= 0)
            i++;
        else
            j++;
    }
    bson_free(a->v);
    *a = r;
}

/* rank -- how selective a predicate's intervals are (lower is better). */
static int
rank(const wk_ivals_t *iv)
{
    if (wk_plan_ival_points(iv))
        return iv->n < 1000 ? (int)iv->n : 1000;
    return 1001;
}

/* add -- hand one predicate's intervals to the collector (takes them). */
static void
add(collect_t *c, wk_ivals_t *iv)
{
    normalize(iv);
    if (!c->any) {
        c->acc = *iv;
        c->rank = rank(iv);
        c->any = true;
    } else if (!c->multikey) {
        intersect(&c->acc, iv);
        wk_plan_ivals_free(iv);
    } else if (rank(iv) < c->rank) {
        wk_plan_ivals_free(&c->acc);
        c->acc = *iv;
        c->rank = rank(iv);
    } else {
        wk_plan_ivals_free(iv);
    }
    memset(iv, 0, sizeof(*iv));
}

/* in_ivals -- $in: a point per element (regexes as regex_ivals); false when one element
 * cannot be bounded. */
static bool
in_ivals(const bson_iter_t *arr_it, wk_plan_arena_t *a, wk_ivals_t *out)
{
    bson_iter_t e;

    if (!BSON_ITER_HOLDS_ARRAY(arr_it) || !bson_iter_recurse(arr_it, &e))
        return false;
    while (bson_iter_next(&e)) {
        const bson_value_t *v = bson_iter_value(&e);

        if (BSON_ITER_HOLDS_REGEX(&e)) {
            const char *opts, *re = bson_iter_regex(&e, &opts);

            regex_ivals(re, opts, a, out);
        } else if (point_ok(v) || v->value_type == BSON_TYPE_NULL) {
            push(out, v, true, v, true); /* null: missing fields key as null too */
        } else {
            return false;
        }
    }
    return out->n > 0;
}

/* type_ivals -- $type with one alias or number code: its whole bracket. */
static bool
type_ivals(const bson_iter_t *it, wk_ivals_t *out)
{
    bson_type_t t = BSON_TYPE_EOD;
    bson_value_t lo, hi;
    bool li, hi_incl;

    if (BSON_ITER_HOLDS_UTF8(it)) {
        const char *s = bson_iter_utf8(it, NULL);

        if (strcmp(s, "string") == 0)
            t = BSON_TYPE_UTF8;
        else if (strcmp(s, "number") == 0 || strcmp(s, "double") == 0 || strcmp(s, "int") == 0 ||
                 strcmp(s, "long") == 0 || strcmp(s, "decimal") == 0)
            t = BSON_TYPE_DOUBLE;
        else if (strcmp(s, "date") == 0)
            t = BSON_TYPE_DATE_TIME;
        else if (strcmp(s, "objectId") == 0)
            t = BSON_TYPE_OID;
        else if (strcmp(s, "bool") == 0)
            t = BSON_TYPE_BOOL;
    } else if (BSON_ITER_HOLDS_NUMBER(it)) {
        int64_t code = bson_iter_as_int64(it);

        if (code == 1 || code == 16 || code == 18 || code == 19)
            t = BSON_TYPE_DOUBLE;
        else if (code == 2 || code == 7 || code == 8 || code == 9)
            t = (bson_type_t)code;
    }
    if (!bracket(t, 0, &lo, &li) || !bracket(t, 1, &hi, &hi_incl))
        return false;
    push(out, &lo, li, &hi, hi_incl);
    return true;
}

/* range_ivals -- $gt/$gte/$lt/$lte v: v to the end of its type bracket. */
static bool
range_ivals(const char *op, const bson_value_t *v, wk_ivals_t *out)
{
    bson_value_t e;
    bool ei, incl = op[3] == 'e';

    if (!range_ok(v))
        return false;
    if (op[1] == 'g') {
        bracket(v->value_type, 1, &e, &ei);
        if (v->value_type == BSON_TYPE_DOUBLE || v->value_type == BSON_TYPE_INT32 ||
            v->value_type == BSON_TYPE_INT64)
            ei = true;
        push(out, v, incl, &e, ei);
    } else {
        bracket(v->value_type, 0, &e, &ei);
        if (e.value_type == BSON_TYPE_DOUBLE)
            set_double(&e, -INFINITY);
        push(out, &e, ei, v, incl);
    }
    return true;
}

/* complement -- out := every value outside iv (sorted and disjoint), from MinKey to MaxKey:
 * the bounds of a negation ($ne, $nin, $not), which the FETCH filter then narrows. */
static void
complement(const wk_ivals_t *iv, wk_ivals_t *out)
{
    bson_value_t lo, hi;
    bool lo_incl = true;

    memset(&lo, 0, sizeof(lo));
    memset(&hi, 0, sizeof(hi));
    lo.value_type = BSON_TYPE_MINKEY;
    hi.value_type = BSON_TYPE_MAXKEY;
    for (size_t i = 0; i < iv->n; i++) {
        int c = sdb_bson_value_cmp(&lo, &iv->v[i].lo);

        if (c < 0 || (c == 0 && lo_incl && !iv->v[i].lo_incl))
            push(out, &lo, lo_incl, &iv->v[i].lo, !iv->v[i].lo_incl);
        lo = iv->v[i].hi;
        lo_incl = !iv->v[i].hi_incl;
    }
    if (sdb_bson_value_cmp(&lo, &hi) < 0 || lo_incl)
        push(out, &lo, lo_incl, &hi, true);
}

/* negated -- the complement of what `op` (a $not's operator, or the operator $ne/$nin
 * negate: $eq/$in) bounds; false when it bounds nothing (a regex under $not, a document). */
static bool
negated(const char *op, const bson_iter_t *it, wk_plan_arena_t *a, wk_ivals_t *out)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)it);
    wk_ivals_t iv = {0};
    bool ok = false;

    if (strcmp(op, "$eq") == 0 && (point_ok(v) || v->value_type == BSON_TYPE_NULL)) {
        push(&iv, v, true, v, true);
        ok = true;
    } else if (strcmp(op, "$in") == 0) {
        ok = in_ivals(it, a, &iv);
        for (size_t i = 0; ok && i < iv.n; i++) /* a regex's strings are no single points */
            ok = iv.v[i].lo.value_type != BSON_TYPE_REGEX;
    } else if (strcmp(op, "$gt") == 0 || strcmp(op, "$gte") == 0 || strcmp(op, "$lt") == 0 ||
               strcmp(op, "$lte") == 0) {
        ok = range_ivals(op, v, &iv);
    }
    if (ok) {
        normalize(&iv);
        complement(&iv, out);
    }
    wk_plan_ivals_free(&iv);
    return ok;
}

/* not_ivals -- {$not: {$op: v}} with one operator mongod builds bounds for. */
static bool
not_ivals(const bson_iter_t *val, wk_plan_arena_t *a, wk_ivals_t *out)
{
    bson_iter_t ops;

    if (!BSON_ITER_HOLDS_DOCUMENT(val) || !bson_iter_recurse(val, &ops) || !bson_iter_next(&ops))
        return false;
    if (bson_iter_key(&ops)[0] != '$' || strcmp(bson_iter_key(&ops), "$options") == 0)
        return false;
    {
        bson_iter_t more = ops;

        if (bson_iter_next(&more)) /* several operators: their negated AND is a union */
            return false;
    }
    return negated(bson_iter_key(&ops), &ops, a, out);
}

static void op_ivals(const bson_iter_t *val, collect_t *c);

/* elem_ivals -- {$elemMatch: {$op: v...}} on the path: its operators hold for one element,
 * so they intersect even on a multikey field. */
static void
elem_ivals(const bson_iter_t *val, collect_t *c)
{
    collect_t one;

    memset(&one, 0, sizeof(one));
    one.arena = c->arena;
    op_ivals(val, &one);
    if (one.any)
        add(c, &one.acc);
    wk_plan_ivals_free(&one.acc);
}

/* op_ivals -- the operators of {$op: v, ...} on the path, each its own predicate. */
static void
op_ivals(const bson_iter_t *val, collect_t *c)
{
    bson_iter_t ops, o;
    const char *re = NULL, *opts = "";

    if (!bson_iter_recurse(val, &ops) || !bson_iter_next(&ops) || bson_iter_key(&ops)[0] != '$')
        return; /* an equality to a document (or {}) */
    bson_iter_recurse(val, &ops);
    while (bson_iter_next(&ops)) {
        const char *op = bson_iter_key(&ops);
        const bson_value_t *v = bson_iter_value(&ops);
        wk_ivals_t iv = {0};
        bool ok = false;

        if (strcmp(op, "$eq") == 0 && (point_ok(v) || v->value_type == BSON_TYPE_NULL)) {
            push(&iv, v, true, v, true);
            ok = true;
        } else if (strcmp(op, "$exists") == 0 && !bson_iter_as_bool(&ops)) {
            bson_value_t null = {.value_type = BSON_TYPE_NULL};

            push(&iv, &null, true, &null, true); /* missing fields key as null */
            ok = true;
        } else if (strcmp(op, "$ne") == 0 || strcmp(op, "$nin") == 0) {
            ok = negated(op[2] == 'e' ? "$eq" : "$in", &ops, c->arena, &iv);
        } else if (strcmp(op, "$not") == 0) {
            ok = not_ivals(&ops, c->arena, &iv);
        } else if (strcmp(op, "$elemMatch") == 0 && BSON_ITER_HOLDS_DOCUMENT(&ops)) {
            bson_iter_t first;

            if (bson_iter_recurse(&ops, &first) && bson_iter_next(&first) &&
                bson_iter_key(&first)[0] == '$')
                elem_ivals(&ops, c);
        } else if (strcmp(op, "$in") == 0) {
            ok = in_ivals(&ops, c->arena, &iv);
        } else if (strcmp(op, "$gt") == 0 || strcmp(op, "$gte") == 0 || strcmp(op, "$lt") == 0 ||
                   strcmp(op, "$lte") == 0) {
            ok = range_ivals(op, v, &iv);
        } else if (strcmp(op, "$type") == 0) {
            ok = type_ivals(&ops, &iv);
        } else if (strcmp(op, "$regex") == 0) {
            if (BSON_ITER_HOLDS_UTF8(&ops))
                re = bson_iter_utf8(&ops, NULL);
            else if (BSON_ITER_HOLDS_REGEX(&ops))
                re = bson_iter_regex(&ops, &opts);
        } else if (strcmp(op, "$options") == 0 && BSON_ITER_HOLDS_UTF8(&ops)) {
            opts = bson_iter_utf8(&ops, NULL);
        }
        if (ok)
            add(c, &iv);
        wk_plan_ivals_free(&iv);
    }
    if (re != NULL && bson_iter_recurse(val, &o)) {
        wk_ivals_t iv = {0};

        regex_ivals(re, opts, c->arena, &iv);
        add(c, &iv);
    }
}

static void walk(const bson_t *doc, const char *path, collect_t *c);

/* elem_walk -- {prefix: {$elemMatch: {rest: ...}}}: the predicates on `rest` inside it. */
static void
elem_walk(const bson_iter_t *val, const char *rest, collect_t *c)
{
    bson_iter_t em;
    const uint8_t *d;
    uint32_t len;
    bson_t sub;

    if (!bson_iter_recurse(val, &em) || !bson_iter_find(&em, "$elemMatch") ||
        !BSON_ITER_HOLDS_DOCUMENT(&em))
        return;
    bson_iter_document(&em, &len, &d);
    if (bson_init_static(&sub, d, len))
        walk(&sub, rest, c);
}

/* walk -- every predicate on path at the top of doc and inside its $and arrays. */
static void
walk(const bson_t *doc, const char *path, collect_t *c)
{
    bson_iter_t it, arr;

    if (!bson_iter_init(&it, doc))
        return;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$and") == 0 && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr)) {
            while (bson_iter_next(&arr)) {
                const uint8_t *d;
                uint32_t len;
                bson_t sub;

                if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
                    continue;
                bson_iter_document(&arr, &len, &d);
                if (bson_init_static(&sub, d, len))
                    walk(&sub, path, c);
            }
        } else if (strcmp(k, path) == 0) {
            wk_ivals_t iv = {0};

            if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
                op_ivals(&it, c);
            } else if (BSON_ITER_HOLDS_REGEX(&it)) {
                const char *opts, *re = bson_iter_regex(&it, &opts);

                regex_ivals(re, opts, c->arena, &iv);
                add(c, &iv);
            } else if (point_ok(bson_iter_value(&it)) || BSON_ITER_HOLDS_NULL(&it)) {
                push(&iv, bson_iter_value(&it), true, bson_iter_value(&it), true);
                add(c, &iv);
            }
        } else if (strncmp(path, k, strlen(k)) == 0 && path[strlen(k)] == '.' &&
                   BSON_ITER_HOLDS_DOCUMENT(&it)) {
            elem_walk(&it, path + strlen(k) + 1, c);
        }
    }
}

void
wk_plan_bounds_field(const bson_t *filter, const char *path, bool multikey, wk_plan_arena_t *arena,
                     wk_ivals_t *out)
{
    collect_t c;

    memset(&c, 0, sizeof(c));
    c.multikey = multikey;
    c.arena = arena;
    if (filter != NULL)
        walk(filter, path, &c);
    *out = c.acc;
    out->all = !c.any;
}

void
wk_plan_ival_format(const wk_ival_t *iv, bool reverse, bson_string_t *s)
{
    bson_string_append(s, (reverse ? iv->hi_incl : iv->lo_incl) ? "[" : "(");
    sdb_bson_text_value(s, reverse ? &iv->hi : &iv->lo);
    bson_string_append(s, ", ");
    sdb_bson_text_value(s, reverse ? &iv->lo : &iv->hi);
    bson_string_append(s, (reverse ? iv->lo_incl : iv->hi_incl) ? "]" : ")");
}
