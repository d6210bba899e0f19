/*
 * src/worker/agg/stage_densify.c -- $densify: create the documents missing from a sequence.
 *
 * {field, partitionByFields?, range: {step, unit?, bounds: "full" | "partition" | [lo, hi]}}.
 * The documents are sorted by the field (and first by the partition fields, unless bounds is
 * "full"), as mongod's desugaring does, then walked with one cursor per partition, each the
 * last value on the partition's step grid: a document whose value lies beyond cursor + step
 * gets the grid values in between generated before it (documents holding only the partition
 * fields and the field), and a document on the grid moves the cursor to itself.  The grid
 * starts at the smallest value of all ("full": every partition is densified over the global
 * range, up to the largest value, included when it is on the grid), at each partition's first
 * value ("partition"), or at lo ([lo, hi]: values in [lo, hi) are generated, hi excluded,
 * documents outside the range pass untouched, and the range is completed after the last
 * document of each partition -- or entirely when no document has a value).  Documents whose
 * field is null or missing pass unchanged.  Numbers step by adding `step` with mongod's type
 * widening; dates by $dateAdd in UTC with `unit`.  Like mongod, at most 500,000 documents are
 * generated (5897900).
 *
 * The sort in front spills as mongod's $sort does; the walk itself holds only its partition
 * table, at most internalDocumentSourceDensifyMaxMemoryBytes of it (6007200 past that, as
 * mongod, whatever allowDiskUse says).
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"
#include "keysort.h"

#include "../../common/bsoncmp.h"
#include "../query/num.h"
#include "../query/sort.h"

#include "../worker.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#define DENSIFY_MAX_DOCS 500000

typedef enum bounds_kind {
    B_FULL,
    B_PARTITION,
    B_EXPLICIT
} bounds_kind_t;

typedef struct densify {
    char *field;
    char **parts; /* partitionByFields */
    size_t nparts;
    bson_value_t step;
    char *unit; /* NULL: numbers */
    bounds_kind_t kind;
    bson_value_t lo, hi;
    bson_t *sort;      /* the sort desugared in front of the stage */
    wk_sort_t *sorter; /* ... compiled under the command's collation */
} densify_t;

static void
densify_free(densify_t *d)
{
    if (d == NULL)
        return;
    bson_free(d->field);
    for (size_t i = 0; i < d->nparts; i++)
        bson_free(d->parts[i]);
    bson_free(d->parts);
    bson_free(d->unit);
    if (d->sort != NULL)
        bson_destroy(d->sort);
    wk_sort_free(d->sorter);
    bson_free(d);
}

/* ---- parsing --------------------------------------------------------------------------- */

static int
wrong_type(const char *path, const bson_iter_t *it, const char *want, sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_TypeMismatch,
                         "BSON field '%s' is the wrong type '%s', expected type '%s'", path,
                         wk_agg_type_name(bson_iter_type(it)), want);
}

/* parse_bounds_array -- [lo, hi]: two ascending numbers of the step's type, or two dates. */
static int
parse_bounds_array(densify_t *d, const bson_iter_t *it, sdb_error_t *err)
{
    bson_iter_t el;
    bson_value_t v[2];
    int n = 0;

    bson_iter_recurse(it, &el);
    while (bson_iter_next(&el)) {
        if (n < 2)
            v[n] = *bson_iter_value(&el);
        n++;
    }
    if (n != 2)
        return sdb_error_set(err, SDB_CODE_Location5733403,
                             "A bounding array in a range statement must have exactly two "
                             "elements");
    if (sdb_bson_value_cmp(&v[0], &v[1]) > 0)
        return sdb_error_set(err, SDB_CODE_Location5733402,
                             "A bounding array must be an ascending array of either two dates or "
                             "two numbers");
    if (wk_num_is(&v[0])) {
        if (d->unit != NULL)
            return sdb_error_set(err, SDB_CODE_Location5733409,
                                 "Numeric bounds may not have unit parameter");
        if (!wk_num_is(&v[1]))
            return sdb_error_set(err, SDB_CODE_Location5733406,
                                 "A bounding array must contain either both dates or both numeric "
                                 "types");
        if (v[0].value_type != v[1].value_type || v[0].value_type != d->step.value_type)
            return sdb_error_set(err, SDB_CODE_Location5876900,
                                 "Upper bound, lower bound, and step must all have the same type");
    } else if (v[0].value_type == BSON_TYPE_DATE_TIME) {
        if (v[1].value_type != BSON_TYPE_DATE_TIME)
            return sdb_error_set(err, SDB_CODE_Location5733405,
                                 "A bounding array must contain either both dates or both numeric "
                                 "types");
        if (d->unit == NULL)
            return sdb_error_set(err, SDB_CODE_Location5733410,
                                 "A bounding array of dates must specify a unit");
    } else {
        return sdb_error_set(err, SDB_CODE_Location5946800,
                             "Explicit bounds must be numeric or dates");
    }
    d->kind = B_EXPLICIT;
    d->lo = v[0]; /* numbers and dates: no storage to own */
    d->hi = v[1];
    return 0;
}

static int
parse_bounds(densify_t *d, const bson_iter_t *it, sdb_error_t *err)
{
    if (BSON_ITER_HOLDS_ARRAY(it))
        return parse_bounds_array(d, it, err);
    if (BSON_ITER_HOLDS_UTF8(it)) {
        const char *s = bson_iter_utf8(it, NULL);

        if (strcmp(s, "full") == 0) {
            d->kind = B_FULL;
            return 0;
        }
        if (strcmp(s, "partition") == 0) {
            d->kind = B_PARTITION;
            return 0;
        }
        return sdb_error_set(err, SDB_CODE_Location5946802,
                             "Bounds string must either be 'full' or 'partition'");
    }
    return sdb_error_set(err, SDB_CODE_Location5733404,
                         "The bounds in a range statement must be the string 'full', "
                         "'partition', or an ascending array of two numbers or two dates");
}

/* parse_range -- {step, unit?, bounds}. */
static int
parse_range(densify_t *d, const bson_iter_t *range, sdb_error_t *err)
{
    bson_iter_t it, bounds;
    bool has_step = false, has_bounds = false;
    bson_value_t zero = {.value_type = BSON_TYPE_INT32};

    bson_iter_recurse(range, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "step") == 0) {
            d->step = *bson_iter_value(&it);
            has_step = true;
        } else if (strcmp(k, "unit") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return wrong_type("$densify.range.unit", &it, "string", err);
            bson_free(d->unit);
            d->unit = bson_strdup(bson_iter_utf8(&it, NULL));
        } else if (strcmp(k, "bounds") == 0) {
            bounds = it;
            has_bounds = true;
        } else {
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '$densify.range.%s' is an unknown field.", k);
        }
    }
    if (!has_step || !has_bounds)
        return sdb_error_set(err, SDB_CODE_Location40414,
                             "BSON field '$densify.range.%s' is missing but a required field",
                             has_step ? "bounds" : "step");
    if (!wk_num_is(&d->step) || sdb_bson_value_cmp(&d->step, &zero) <= 0)
        return sdb_error_set(err, SDB_CODE_Location5733401,
                             "The step parameter in a range statement must be a strictly positive "
                             "numeric value");
    if (d->unit != NULL) {
        int64_t ignored;

        if (wk_num_double(&d->step) != floor(wk_num_double(&d->step)) ||
            fabs(wk_num_double(&d->step)) >= 9.2e18)
            return sdb_error_set(err, SDB_CODE_Location6586400,
                                 "The step parameter in a range statement must be a whole number "
                                 "when densifying a date range");
        if (!wk_expr_date_add_utc(0, d->unit, 0, &ignored))
            return sdb_error_set(err, SDB_CODE_FailedToParse, "unknown time unit value: %s",
                                 d->unit);
    }
    return parse_bounds(d, &bounds, err);
}

/* parse_partitions -- an array of field paths. */
static int
parse_partitions(densify_t *d, const bson_iter_t *arr, sdb_error_t *err)
{
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_ARRAY(arr))
        return wrong_type("$densify.partitionByFields", arr, "array", err);
    bson_iter_recurse(arr, &it);
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_UTF8(&it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$densify.partitionByFields.%s' is the wrong type "
                                 "'%s', expected type 'string'",
                                 bson_iter_key(&it), wk_agg_type_name(bson_iter_type(&it)));
        d->parts = bson_realloc(d->parts, (d->nparts + 1) * sizeof(char *));
        d->parts[d->nparts++] = bson_strdup(bson_iter_utf8(&it, NULL));
        SDB_RET(wk_agg_field_path(d->parts[d->nparts - 1], err));
    }
    return 0;
}

/* parse_spec -- the top-level fields, with the IDL parser's errors. */
static int
parse_spec(densify_t *d, const bson_iter_t *spec, sdb_error_t *err)
{
    bson_iter_t it, range;
    bool has_range = false;

    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "field") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return wrong_type("$densify.field", &it, "string", err);
            bson_free(d->field);
            d->field = bson_strdup(bson_iter_utf8(&it, NULL));
        } else if (strcmp(k, "partitionByFields") == 0) {
            SDB_RET(parse_partitions(d, &it, err));
        } else if (strcmp(k, "range") == 0) {
            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                return wrong_type("$densify.range", &it, "object", err);
            range = it;
            has_range = true;
        } else {
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '$densify.%s' is an unknown field.", k);
        }
    }
    if (d->field == NULL || !has_range)
        return sdb_error_set(err, SDB_CODE_Location40414,
                             "BSON field '$densify.%s' is missing but a required field",
                             d->field == NULL ? "field" : "range");
    SDB_RET(parse_range(d, &range, err));
    SDB_RET(wk_agg_field_path(d->field, err));
    if (d->kind == B_PARTITION && d->nparts == 0)
        return sdb_error_set(err, SDB_CODE_Location5733408,
                             "One cannot specify the bounds as 'partition' without specifying a "
                             "non-empty array of partitionByFields. You may have meant to specify "
                             "'full' bounds.");
    return 0;
}

int
wk_agg_parse_densify(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                     sdb_error_t *err)
{
    densify_t *d;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "The $densify stage specification must be an object, found %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    d = bson_malloc0(sizeof(*d));
    SDB_ERR(parse_spec(d, spec, err));
    d->sort = bson_new();
    for (size_t i = 0; d->kind != B_FULL && i < d->nparts; i++)
        BSON_APPEND_INT32(d->sort, d->parts[i], 1);
    BSON_APPEND_INT32(d->sort, d->field, 1);
    SDB_ERR(wk_sort_new_ex(d->sort, ctx->collation, &d->sorter, err));
    *priv = d;
    return 0;
err:
    densify_free(d);
    return ret;
}

/* ---- running --------------------------------------------------------------------------- */

/* One partition: its key (the partition fields of its first document) and its cursor. */
typedef struct part {
    bson_t *key; /* heap: a bson_t needs its 128-byte alignment, which an array slot lacks */
    bool has_cur;
    bson_value_t cur; /* a number or a date: nothing owned */
} part_t;

typedef struct run {
    const densify_t *d;
    const wk_agg_ctx_t *ctx;
    part_t *parts;
    size_t nparts;
    size_t generated;
    size_t mem; /* the partition table's bytes (partitionByFields only) */
    bool has_global;
    bson_value_t gmin, gmax; /* "full": the smallest and largest values */
    wk_agg_docs_t *out;
} run_t;

/* step_from -- v + step (sign -1: v - step). */
static int
step_from(const densify_t *d, const bson_value_t *v, int sign, bson_value_t *out, sdb_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (v->value_type == BSON_TYPE_DATE_TIME) {
        int64_t ms;

        out->value_type = BSON_TYPE_DATE_TIME;
        if (!wk_expr_date_add_utc(v->value.v_datetime, d->unit,
                                  sign * (int64_t)wk_num_double(&d->step), &ms))
            return sdb_error_set(err, SDB_CODE_Location5166406, "$dateAdd overflowed");
        out->value.v_datetime = ms;
        return 0;
    }
    if (!wk_num_arith(sign > 0 ? WK_NUM_ADD : WK_NUM_SUB, v, &d->step, out))
        return sdb_error_set(err, SDB_CODE_Overflow, "$densify step overflowed");
    if (out->value_type == BSON_TYPE_DECIMAL128 || out->value_type == BSON_TYPE_DOUBLE ||
        out->value_type == BSON_TYPE_INT32 || out->value_type == BSON_TYPE_INT64)
        return 0;
    return sdb_error_set(err, SDB_CODE_Overflow, "$densify step overflowed");
}

/* value_of -- the field's value in doc; *skip when it is null or missing; mongod's type
 * errors otherwise. */
static int
value_of(const densify_t *d, const bson_t *doc, bson_value_t *v, bool *skip, sdb_error_t *err)
{
    wk_agg_doc_get(doc, d->field, v);
    *skip = v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
            v->value_type == BSON_TYPE_UNDEFINED;
    if (*skip)
        return 0;
    if (!wk_num_is(v) && v->value_type != BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location5733201,
                             "Densify field type must be numeric or a date");
    if (d->unit != NULL && v->value_type != BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location6053600,
                             "Encountered numeric densify value in collection when step has a "
                             "date unit.");
    if (d->unit == NULL && v->value_type == BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location6053600,
                             "Encountered date densify value in collection when step does not "
                             "have a date unit.");
    return 0;
}

/* part_of -- the partition of doc (created on first sight; past internalDocumentSource-
 * DensifyMaxMemoryBytes of partition table, mongod's 6007200, whatever allowDiskUse says). */
static int
part_of(run_t *r, const bson_t *doc, part_t **out, sdb_error_t *err)
{
    size_t limit =
        wk_global != NULL ? (size_t)atomic_load(&wk_global->densify_mem_max) : WK_AGG_MEM_MAX;

    bson_t key = BSON_INITIALIZER;

    for (size_t i = 0; i < r->d->nparts; i++) {
        bson_value_t v;
        bson_t next;

        wk_agg_doc_get(doc, r->d->parts[i], &v);
        wk_agg_doc_set(&key, r->d->parts[i], &v, &next);
        bson_destroy(&key);
        key = next;
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    for (size_t i = 0; i < r->nparts; i++)
        if (r->parts[i].key->len == key.len &&
            memcmp(bson_get_data(r->parts[i].key), bson_get_data(&key), key.len) == 0) {
            bson_destroy(&key);
            *out = &r->parts[i];
            return 0;
        }
    if (r->d->nparts > 0) { /* mongod counts the key and the last value of each partition */
        r->mem += key.len + sizeof(bson_value_t);
        if (r->mem > limit) {
            bson_destroy(&key);
            return sdb_error_set(err, SDB_CODE_Location6007200,
                                 "$densify exceeded memory limit of %zu", limit);
        }
    }
    r->parts = bson_realloc(r->parts, (r->nparts + 1) * sizeof(*r->parts));
    memset(&r->parts[r->nparts], 0, sizeof(r->parts[r->nparts]));
    r->parts[r->nparts].key = bson_copy(&key);
    bson_destroy(&key);
    *out = &r->parts[r->nparts++];
    return 0;
}

/* generate -- emit the partition's documents for the grid values below `upper` after its
 * cursor, moving the cursor along. */
static int
generate(run_t *r, part_t *p, const bson_value_t *upper, sdb_error_t *err)
{
    bson_value_t next;

    for (;;) {
        bson_t doc;

        SDB_RET(step_from(r->d, &p->cur, 1, &next, err));
        if (sdb_bson_value_cmp(&next, upper) >= 0)
            return 0;
        if (++r->generated > DENSIFY_MAX_DOCS)
            return sdb_error_set(err, SDB_CODE_Location5897900,
                                 "Generated %zu documents in $densify, which is over the limit of "
                                 "%d. Increase the 'internalQueryMaxAllowedDensifyDocs' parameter "
                                 "to allow more generated documents",
                                 r->generated, DENSIFY_MAX_DOCS);
        if (r->generated % 256 == 0)
            SDB_RET(wk_op_check(r->ctx->op, err));
        wk_agg_doc_set(p->key, r->d->field, &next, &doc);
        wk_agg_docs_push(r->out, bson_copy(&doc));
        bson_destroy(&doc);
        p->cur = next;
    }
}

/* advance -- after generating up to v: the cursor moves to v when v is its next step. */
static int
advance(run_t *r, part_t *p, const bson_value_t *v, sdb_error_t *err)
{
    bson_value_t next;

    SDB_RET(step_from(r->d, &p->cur, 1, &next, err));
    if (sdb_bson_value_cmp(&next, v) == 0)
        p->cur = *v;
    return 0;
}

/* one_doc -- the generated documents a valued document brings, then the document. */
static int
one_doc(run_t *r, const bson_t *doc, const bson_value_t *v, sdb_error_t *err)
{
    const densify_t *d = r->d;
    part_t *p;

    SDB_RET(part_of(r, doc, &p, err));
    if (d->kind == B_EXPLICIT) {
        if (!p->has_cur) {
            SDB_RET(step_from(d, &d->lo, -1, &p->cur, err));
            p->has_cur = true;
        }
        if (sdb_bson_value_cmp(v, &d->lo) == 0) {
            p->cur = *v;
        } else if (sdb_bson_value_cmp(v, &d->lo) > 0) {
            SDB_RET(generate(r, p, sdb_bson_value_cmp(v, &d->hi) < 0 ? v : &d->hi, err));
            SDB_RET(advance(r, p, v, err));
        }
        return 0;
    }
    if (!r->has_global) {
        r->gmin = *v;
        r->has_global = true;
    }
    r->gmax = *v;
    if (!p->has_cur) {
        p->has_cur = true;
        if (d->kind == B_PARTITION || d->nparts == 0) {
            p->cur = *v;
            return 0;
        }
        SDB_RET(step_from(d, &r->gmin, -1, &p->cur, err));
    }
    SDB_RET(generate(r, p, v, err));
    return advance(r, p, v, err);
}

/* on_grid -- is v a whole number of steps above base? */
static bool
on_grid(const densify_t *d, const bson_value_t *base, const bson_value_t *v)
{
    if (v->value_type == BSON_TYPE_DATE_TIME) {
        int64_t t = base->value.v_datetime, ms = 0;
        int64_t step = (int64_t)wk_num_double(&d->step);

        if (strcmp(d->unit, "month") == 0 || strcmp(d->unit, "quarter") == 0 ||
            strcmp(d->unit, "year") == 0) {
            while (t < v->value.v_datetime && wk_expr_date_add_utc(t, d->unit, step, &t))
                ;
            return t == v->value.v_datetime;
        }
        if (!wk_expr_date_add_utc(0, d->unit, step, &ms) || ms == 0)
            return false;
        return (v->value.v_datetime - base->value.v_datetime) % ms == 0;
    }
    if (!wk_num_is_fractional(v) && !wk_num_is_fractional(base) && !wk_num_is_fractional(&d->step))
        return (wk_num_int64(v) - wk_num_int64(base)) % wk_num_int64(&d->step) == 0;
    return fmod(wk_num_double(v) - wk_num_double(base), wk_num_double(&d->step)) == 0.0;
}

/* finish -- the generation after the last document. */
static int
finish(run_t *r, sdb_error_t *err)
{
    const densify_t *d = r->d;

    if (d->kind == B_EXPLICIT) {
        bson_value_t before;

        SDB_RET(step_from(d, &d->lo, -1, &before, err));
        if (d->nparts == 0 && r->nparts == 0) {
            bson_t none = BSON_INITIALIZER;
            part_t *p;
            int ret = part_of(r, &none, &p, err);

            bson_destroy(&none);
            SDB_RET(ret);
            p->cur = before;
            p->has_cur = true;
        }
        for (size_t i = 0; i < r->nparts; i++) {
            part_t *p = &r->parts[i];

            if (!p->has_cur || sdb_bson_value_cmp(&p->cur, &before) < 0)
                p->cur = before;
            SDB_RET(generate(r, p, &d->hi, err));
        }
        return 0;
    }
    if (d->kind == B_FULL && d->nparts > 0 && r->has_global) {
        bson_value_t max = r->gmax;

        if (on_grid(d, &r->gmin, &r->gmax))
            SDB_RET(step_from(d, &r->gmax, 1, &max, err));
        for (size_t i = 0; i < r->nparts; i++)
            SDB_RET(generate(r, &r->parts[i], &max, err));
    }
    return 0;
}

/* ---- the sink ----------------------------------------------------------------------------
 * As mongod desugars $densify into a $sort and a streaming stage: the input is sorted by the
 * desugared sort (keysort.h with one key for all, spilling past internalQueryMaxBlockingSort-
 * MemoryUsageBytes, 292 without allowDiskUse as mongod's $sort), then walked in that order,
 * the generated documents going out before the document that brings them.  What the walk
 * holds is the partition table (6007200 past its own limit, part_of). */

typedef struct densify_state {
    run_t r;
    wk_keysort_t *ks;
    bool finished;
} densify_state_t;

static int
densify_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    densify_state_t *st = bson_malloc0(sizeof(*st));

    SDB_UNUSED(topk);
    st->r.d = priv;
    st->r.ctx = ctx;
    st->ks = wk_keysort_new_then(ctx, "$sort", st->r.d->sorter);
    *state = st;
    return 0;
}

static int
densify_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    densify_state_t *st = state;

    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] == NULL)
            continue;
        SDB_RET(wk_keysort_add(st->ks, NULL, in->v[i], err));
        bson_destroy(in->v[i]);
        in->v[i] = NULL;
    }
    return 0;
}

/* one_sorted -- the documents one sorted record brings, then its document. */
static int
one_sorted(densify_state_t *st, const bson_t *rec, sdb_error_t *err)
{
    bson_value_t v;
    bson_t doc;
    bool skip;
    int ret;

    wk_keysort_doc(rec, &doc);
    ret = value_of(st->r.d, &doc, &v, &skip, err);
    if (ret == 0 && !skip)
        ret = one_doc(&st->r, &doc, &v, err);
    if (v.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&v);
    SDB_RET(ret);
    wk_agg_docs_push(st->r.out, bson_copy(&doc));
    return 0;
}

static int
densify_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    densify_state_t *st = state;
    size_t before = out->n;

    st->r.out = out;
    *done = false;
    while (!st->finished && (max == 0 || out->n - before < max)) {
        bson_t *rec;
        int ret;

        SDB_RET(wk_keysort_next(st->ks, &rec, err));
        if (rec == NULL) {
            st->finished = true;
            SDB_RET(finish(&st->r, err));
            break;
        }
        ret = one_sorted(st, rec, err);
        bson_destroy(rec);
        SDB_RET(ret);
    }
    *done = st->finished;
    return 0;
}

static void
densify_close(void *state)
{
    densify_state_t *st = state;

    for (size_t i = 0; i < st->r.nparts; i++)
        bson_destroy(st->r.parts[i].key);
    bson_free(st->r.parts);
    wk_keysort_free(st->ks);
    bson_free(st);
}

const wk_agg_blocking_t wk_agg_densify_blocking = {densify_open, densify_push, densify_pull,
                                                   densify_close};

int
wk_agg_run_densify(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                   sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_densify_blocking, priv, ctx, in, out, err);
}

void
wk_agg_free_densify(void *priv)
{
    densify_free(priv);
}
