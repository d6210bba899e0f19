/*
 * src/worker/query/sort.c -- sort specifications and mongod's document order.
 *
 * For each sort field the document's key is computed the way mongod's sort key generator
 * does: the path is followed through documents and through arrays of documents; an array
 * at the end contributes each of its elements (an empty one sorts as undefined, below
 * null); a missing field or a non-document met mid-path counts as null.  Of all the values
 * so collected, the smallest is the key of an ascending field and the largest the key of a
 * descending one.  wk_sort_docs computes keys once per document and merge-sorts indexes,
 * which keeps it stable.  wk_sort_docs_op does the same with interrupt points (op.h) between
 * merges, so a large sort shares its worker's loop and honours maxTimeMS.
 *
 * Invariants: keys point into the documents being sorted (no copies); pure functions.
 */
#include "sort.h"

#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../../common/path.h"
#include "../../common/sdb.h"

typedef struct sort_field {
    sdb_path_t path;
    int dir;   /* 1 or -1 */
    bool meta; /* {$meta: ...}: all documents tie */
} sort_field_t;

struct wk_sort {
    sort_field_t *fields;
    size_t n;
    const sdb_collation_t *coll; /* string order (borrowed); NULL = binary */
};

static const bson_value_t null_value = {.value_type = BSON_TYPE_NULL};
static const bson_value_t undef_value = {.value_type = BSON_TYPE_UNDEFINED};

int
wk_sort_new(const bson_t *spec, wk_sort_t **out, sdb_error_t *err)
{
    return wk_sort_new_ex(spec, NULL, out, err);
}

int
wk_sort_new_ex(const bson_t *spec, const sdb_collation_t *coll, wk_sort_t **out, sdb_error_t *err)
{
    wk_sort_t *s = bson_malloc0(sizeof(*s));
    bson_iter_t it, sub;
    sort_field_t *f;
    int ret = 0;

    *out = NULL;
    if (spec != NULL && bson_iter_init(&it, spec)) {
        while (bson_iter_next(&it)) {
            s->fields = bson_realloc(s->fields, sizeof(*s->fields) * (s->n + 1));
            f = &s->fields[s->n++];
            memset(f, 0, sizeof(*f));
            SDB_ERR(sdb_path_parse(bson_iter_key(&it), bson_iter_key_len(&it), &f->path, err));
            if (sdb_path_has_empty(&f->path))
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location15998,
                                      "FieldPath field names may "
                                      "not be empty strings."));
            if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &sub) &&
                bson_iter_find(&sub, "$meta")) {
                f->meta = true;
                f->dir = -1; /* textScore: the best first */
                continue;
            }
            if (BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) == 1.0)
                f->dir = 1;
            else if (BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) == -1.0)
                f->dir = -1;
            else
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location15975,
                                      "$sort key ordering must be 1 "
                                      "(for ascending) or -1 (for descending)"));
        }
    }
    s->coll = coll;
    *out = s;
    return 0;
err:
    wk_sort_free(s);
    return ret;
}

void
wk_sort_free(wk_sort_t *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        sdb_path_destroy(&s->fields[i].path);
    bson_free(s->fields);
    bson_free(s);
}

typedef struct key_acc {
    const sdb_collation_t *coll;
    int dir;
    bson_value_t best; /* shallow: points into the document or a static */
    bool have;
} key_acc_t;

static void
offer(key_acc_t *acc, const bson_value_t *v)
{
    int c;

    if (acc->have) {
        c = sdb_collation_value_cmp(acc->coll, v, &acc->best);
        if ((acc->dir > 0 && c >= 0) || (acc->dir < 0 && c <= 0))
            return;
    }
    acc->best = *v;
    acc->have = true;
}

/* collect -- offer every sort-key value under `it` for path components from `i`. */
static void
collect(const bson_iter_t *it, const sdb_path_t *p, int i, key_acc_t *acc)
{
    bson_iter_t child;
    bool any = false;

    if (i >= p->n) {
        if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
            while (bson_iter_next(&child)) {
                offer(acc, bson_iter_value(&child));
                any = true;
            }
            if (!any)
                offer(acc, &undef_value);
            return;
        }
        offer(acc, bson_iter_value((bson_iter_t *)it));
        return;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        if (bson_iter_recurse(it, &child) && bson_iter_find(&child, p->parts[i]))
            collect(&child, p, i + 1, acc);
        else
            offer(acc, &null_value);
        return;
    }
    if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
        while (bson_iter_next(&child)) {
            any = true;
            if (BSON_ITER_HOLDS_DOCUMENT(&child))
                collect(&child, p, i, acc);
            else if (p->index[i] < 0)
                offer(acc, &null_value);
        }
        if (p->index[i] >= 0 && bson_iter_recurse(it, &child) &&
            sdb_iter_find_index(&child, p->index[i]))
            collect(&child, p, i + 1, acc);
        if (!any)
            offer(acc, &null_value);
        return;
    }
    offer(acc, &null_value);
}

/* doc_key -- the key of one document for one field (a shallow value). */
static bson_value_t
doc_key(const wk_sort_t *s, const sort_field_t *f, const bson_t *doc)
{
    key_acc_t acc = {s->coll, f->dir, {0}, false};
    bson_iter_t it;

    if (f->meta) /* the text score find keeps beside a sorted document (WK_SORT_TEXT_SCORE) */
        return bson_iter_init_find(&it, doc, WK_SORT_TEXT_SCORE) ? *bson_iter_value(&it)
                                                                 : null_value;
    if (bson_iter_init_find(&it, doc, f->path.parts[0]))
        collect(&it, &f->path, 1, &acc);
    else
        offer(&acc, &null_value);
    return acc.best;
}

int
wk_sort_cmp(const wk_sort_t *s, const bson_t *a, const bson_t *b)
{
    bson_value_t ka, kb;
    size_t i;
    int c;

    for (i = 0; i < s->n; i++) {
        ka = doc_key(s, &s->fields[i], a);
        kb = doc_key(s, &s->fields[i], b);
        c = sdb_collation_value_cmp(s->coll, &ka, &kb);
        if (c != 0)
            return s->fields[i].dir * (c < 0 ? -1 : 1);
    }
    return 0;
}

typedef struct sort_run {
    const wk_sort_t *s;
    bson_value_t *keys; /* n docs x s->n fields */
    bool checked;       /* wk_sort_docs_op: interrupt points on */
    const wk_op_t *op;
    sdb_error_t *err;
    size_t since; /* comparisons since the last interrupt point */
} sort_run_t;

static int
keys_cmp(const sort_run_t *r, size_t a, size_t b)
{
    size_t i, nf = r->s->n;
    int c;

    for (i = 0; i < nf; i++) {
        c = sdb_collation_value_cmp(r->s->coll, &r->keys[a * nf + i], &r->keys[b * nf + i]);
        if (c != 0)
            return r->s->fields[i].dir * (c < 0 ? -1 : 1);
    }
    return 0;
}

/* tick -- count one step of work; an interrupt point every WK_SORT_CHECK_EVERY steps. */
static int
tick(sort_run_t *r)
{
    if (!r->checked || ++r->since < WK_SORT_CHECK_EVERY)
        return 0;
    r->since = 0;
    return wk_op_check(r->op, r->err);
}

/* merge_sort -- stable sort of idx[lo, hi) using tmp.  On an interrupt idx[lo, hi) still
 * holds each index once. */
static int
merge_sort(sort_run_t *r, size_t *idx, size_t *tmp, size_t lo, size_t hi)
{
    size_t mid, i, j, k;

    if (hi - lo < 2)
        return 0;
    mid = lo + (hi - lo) / 2;
    SDB_RET(merge_sort(r, idx, tmp, lo, mid));
    SDB_RET(merge_sort(r, idx, tmp, mid, hi));
    for (i = lo, j = mid, k = lo; k < hi; k++) {
        if (i < mid && (j >= hi || keys_cmp(r, idx[i], idx[j]) <= 0))
            tmp[k] = idx[i++];
        else
            tmp[k] = idx[j++];
    }
    memcpy(idx + lo, tmp + lo, (hi - lo) * sizeof(*idx));
    for (k = lo; k < hi; k++) /* a merge's work as ticks, outside the loop that must finish */
        SDB_RET(tick(r));
    return 0;
}

/* sort_run -- compute the keys, sort the indexes, apply the order. */
static int
sort_run(sort_run_t *r, bson_t **docs, size_t n)
{
    const wk_sort_t *s = r->s;
    size_t *idx, *tmp, i, f;
    bson_t **copy;
    int ret = 0;

    if (n < 2 || s->n == 0)
        return 0;
    r->keys = bson_malloc(sizeof(*r->keys) * n * s->n);
    idx = bson_malloc(sizeof(*idx) * n);
    tmp = bson_malloc(sizeof(*tmp) * n);
    copy = bson_malloc(sizeof(*copy) * n);
    for (i = 0; i < n; i++) {
        idx[i] = i;
        copy[i] = docs[i];
    }
    for (i = 0; i < n; i++) {
        for (f = 0; f < s->n; f++)
            r->keys[i * s->n + f] = doc_key(s, &s->fields[f], docs[i]);
        SDB_ERR(tick(r));
    }
    SDB_ERR(merge_sort(r, idx, tmp, 0, n));
    for (i = 0; i < n; i++)
        docs[i] = copy[idx[i]];
err:
    bson_free(copy);
    bson_free(tmp);
    bson_free(idx);
    bson_free(r->keys);
    return ret;
}

/* An array sort: elements of `size` bytes compared by cmp. */
typedef struct array_run {
    char *base, *tmp;
    size_t size;
    int (*cmp)(const void *, const void *, void *);
    void *arg;
    sort_run_t ticks; /* only its interrupt fields are used */
} array_run_t;

static int
array_merge_sort(array_run_t *a, size_t lo, size_t hi)
{
    size_t mid, i, j, k, sz = a->size;

    if (hi - lo < 2)
        return 0;
    mid = lo + (hi - lo) / 2;
    SDB_RET(array_merge_sort(a, lo, mid));
    SDB_RET(array_merge_sort(a, mid, hi));
    for (i = lo, j = mid, k = lo; k < hi; k++) {
        if (i < mid && (j >= hi || a->cmp(a->base + i * sz, a->base + j * sz, a->arg) <= 0))
            memcpy(a->tmp + k * sz, a->base + sz * i++, sz);
        else
            memcpy(a->tmp + k * sz, a->base + sz * j++, sz);
    }
    memcpy(a->base + lo * sz, a->tmp + lo * sz, (hi - lo) * sz);
    for (k = lo; k < hi; k++)
        SDB_RET(tick(&a->ticks));
    return 0;
}

int
wk_sort_array_op(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
                 void *arg, const wk_op_t *op, sdb_error_t *err)
{
    array_run_t a = {base, NULL, size, cmp, arg, {NULL, NULL, true, op, err, 0}};
    int ret;

    if (n < 2)
        return 0;
    a.tmp = bson_malloc(n * size);
    ret = array_merge_sort(&a, 0, n);
    bson_free(a.tmp);
    return ret;
}

void
wk_sort_docs(const wk_sort_t *s, bson_t **docs, size_t n)
{
    sort_run_t r = {s, NULL, false, NULL, NULL, 0};

    (void)sort_run(&r, docs, n); /* without interrupt points it cannot fail */
}

int
wk_sort_docs_op(const wk_sort_t *s, bson_t **docs, size_t n, const wk_op_t *op, sdb_error_t *err)
{
    sort_run_t r = {s, NULL, true, op, err, 0};

    return sort_run(&r, docs, n);
}
