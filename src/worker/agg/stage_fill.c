/*
 * src/worker/agg/stage_fill.c -- $fill: replace null and missing field values.
 *
 * {partitionBy? | partitionByFields?, sortBy?, output: {field: {method: "locf" | "linear"} |
 * {value: expr}}}.  mongod desugars $fill into $setWindowFields ($locf / $linearFill per
 * method field) followed by $addFields ({field: {$ifNull: ["$field", value]}} per value
 * field); this file runs the same two steps itself.  When a method is used and there is a
 * partitionBy (an expression; partitionByFields [f, ...] is {f: "$f", ...}) or a sortBy, the
 * documents are sorted by partition, then sortBy (stable).  Within a partition "locf" carries
 * the last non-null value forward (null until there is one) and "linear" interpolates between
 * the nearest non-null neighbours by the single sortBy field's value, numbers or dates
 * (y1 + (x - x1) * ((y2 - y1) / (x2 - x1)), a double, or a decimal when one is involved; null
 * where a neighbour is missing), with mongod's checks: numeric or nullish values, numeric or
 * date sort values of one kind, no repeated sort value in a partition.  A "value" is an
 * expression evaluated per document.  Errors are mongod's (IDL 40414/40415, 6050200-6050204,
 * 605001, 6050106, TypeMismatch).
 *
 * Invariants: the private state is immutable after parsing.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/dec.h"
#include "../query/num.h"
#include "../query/sort.h"

#include <string.h>

typedef enum method {
    M_LOCF,
    M_LINEAR,
    M_VALUE
} method_t;

typedef struct fill_out {
    char *field;
    method_t method;
    wk_expr_t *in;    /* "$field" */
    wk_expr_t *value; /* M_VALUE */
} fill_out_t;

typedef struct fill {
    wk_expr_t *partition; /* NULL: one partition */
    bson_t *sort_by;      /* NULL: none */
    wk_expr_t *sort_key;  /* "$<the single sortBy field>" (linear) */
    fill_out_t *outs;
    size_t nouts;
    bool window; /* a method field: the $setWindowFields step runs */
} fill_t;

static void
fill_free(fill_t *f)
{
    if (f == NULL)
        return;
    wk_expr_free(f->partition);
    if (f->sort_by != NULL)
        bson_destroy(f->sort_by);
    wk_expr_free(f->sort_key);
    for (size_t i = 0; i < f->nouts; i++) {
        bson_free(f->outs[i].field);
        wk_expr_free(f->outs[i].in);
        wk_expr_free(f->outs[i].value);
    }
    bson_free(f->outs);
    bson_free(f);
}

/* ---- parsing --------------------------------------------------------------------------- */

/* parse_path_expr -- the expression "$<path>". */
static int
parse_path_expr(const char *path, wk_expr_t **out, sdb_error_t *err)
{
    bson_t b = BSON_INITIALIZER;
    bson_iter_t it;
    char *s = bson_strdup_printf("$%s", path);
    int ret;

    BSON_APPEND_UTF8(&b, "e", s);
    bson_free(s);
    bson_iter_init(&it, &b);
    bson_iter_next(&it);
    ret = wk_expr_parse(&it, out, err);
    bson_destroy(&b);
    return ret;
}

/* parse_one_output -- {method} or {value} for field o->field. */
static int
parse_one_output(fill_out_t *o, const bson_iter_t *spec, sdb_error_t *err)
{
    bson_iter_t it;
    const char *method = NULL;
    bool has_value = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location6050200,
                             "Each fill output specification must be an object with exactly one "
                             "field");
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "method") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                     "BSON field '$fill.method' is the wrong type '%s', expected "
                                     "type 'string'",
                                     wk_agg_type_name(bson_iter_type(&it)));
            method = bson_iter_utf8(&it, NULL);
        } else if (strcmp(k, "value") == 0) {
            has_value = true;
            wk_expr_free(o->value);
            o->value = NULL;
            SDB_RET(wk_expr_parse(&it, &o->value, err));
        } else {
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '$fill.%s' is an unknown field.", k);
        }
    }
    o->method = M_VALUE;
    if (method != NULL) {
        if (has_value)
            return sdb_error_set(err, SDB_CODE_Location6050201,
                                 "Each fill output specification must have exactly one of "
                                 "'method' or 'value' fields, not both");
        if (strcmp(method, "locf") != 0 && strcmp(method, "linear") != 0)
            return sdb_error_set(err, SDB_CODE_Location6050202,
                                 "Method must be either locf or linear");
        o->method = method[0] == 'l' && method[1] == 'o' ? M_LOCF : M_LINEAR;
    }
    return parse_path_expr(o->field, &o->in, err);
}

static int
parse_output(fill_t *f, const bson_iter_t *spec, sdb_error_t *err)
{
    bson_iter_t it;

    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        fill_out_t *o;

        f->outs = bson_realloc(f->outs, (f->nouts + 1) * sizeof(*f->outs));
        o = &f->outs[f->nouts++];
        memset(o, 0, sizeof(*o));
        o->field = bson_strdup(bson_iter_key(&it));
        SDB_RET(parse_one_output(o, &it, err));
        f->window |= o->method != M_VALUE && o->value == NULL;
    }
    if (f->nouts == 0)
        return sdb_error_set(err, SDB_CODE_Location6050203,
                             "The output field in '$fill' must contain an object with at least one "
                             "element");
    return 0;
}

/* partition_fields -- partitionByFields [f, ...] as the expression {f: "$f", ...}. */
static int
partition_fields(fill_t *f, const bson_iter_t *arr, sdb_error_t *err)
{
    bson_t obj = BSON_INITIALIZER, wrap = BSON_INITIALIZER;
    bson_iter_t it;
    int ret = 0;

    bson_iter_recurse(arr, &it);
    while (bson_iter_next(&it)) {
        char *s;

        if (!BSON_ITER_HOLDS_UTF8(&it)) {
            ret = sdb_error_set(err, SDB_CODE_TypeMismatch,
                                "BSON field '$fill.partitionByFields.%s' is the wrong type '%s', "
                                "expected type 'string'",
                                bson_iter_key(&it), wk_agg_type_name(bson_iter_type(&it)));
            goto err;
        }
        s = bson_strdup_printf("$%s", bson_iter_utf8(&it, NULL));
        BSON_APPEND_UTF8(&obj, bson_iter_utf8(&it, NULL), s);
        bson_free(s);
    }
    BSON_APPEND_DOCUMENT(&wrap, "p", &obj);
    bson_iter_init(&it, &wrap);
    bson_iter_next(&it);
    SDB_ERR(wk_expr_parse(&it, &f->partition, err));
err:
    bson_destroy(&obj);
    bson_destroy(&wrap);
    return ret;
}

/* parse_field -- one top-level field; `seen` records partitionBy(Fields) and output. */
static int
parse_field(fill_t *f, const bson_iter_t *it, int *nparts, bool *has_output, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "sortBy") == 0) {
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$fill.sortBy' is the wrong type '%s', expected type "
                                 "'object'",
                                 wk_agg_type_name(bson_iter_type(it)));
        bson_iter_document(it, &len, &data);
        if (f->sort_by != NULL)
            bson_destroy(f->sort_by);
        f->sort_by = bson_new_from_data(data, len);
        return 0;
    }
    if (strcmp(k, "partitionBy") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it) && !BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$fill.partitionBy' is the wrong type '%s', expected "
                                 "types '[string, object]'",
                                 wk_agg_type_name(bson_iter_type(it)));
        (*nparts)++;
        wk_expr_free(f->partition);
        f->partition = NULL;
        return wk_expr_parse(it, &f->partition, err);
    }
    if (strcmp(k, "partitionByFields") == 0) {
        if (!BSON_ITER_HOLDS_ARRAY(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$fill.partitionByFields' is the wrong type '%s', "
                                 "expected type 'array'",
                                 wk_agg_type_name(bson_iter_type(it)));
        (*nparts)++;
        wk_expr_free(f->partition);
        f->partition = NULL;
        return partition_fields(f, it, err);
    }
    if (strcmp(k, "output") == 0) {
        if (!BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$fill.output' is the wrong type '%s', expected type "
                                 "'object'",
                                 wk_agg_type_name(bson_iter_type(it)));
        *has_output = true;
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_Location40415, "BSON field '$fill.%s' is an unknown field.",
                         k);
}

/* check_linear -- $linearFill needs a sortBy of exactly one field (read as "$field"). */
static int
check_linear(fill_t *f, sdb_error_t *err)
{
    bson_iter_t it;
    bool linear = false;

    for (size_t i = 0; i < f->nouts; i++)
        linear |= f->outs[i].method == M_LINEAR;
    if (!linear)
        return 0;
    if (f->sort_by == NULL || bson_count_keys(f->sort_by) != 1)
        return sdb_error_set(err, SDB_CODE_Location605001,
                             "$linearFill must be specified with a top level sortBy expression "
                             "with exactly one element");
    bson_iter_init(&it, f->sort_by);
    bson_iter_next(&it);
    return parse_path_expr(bson_iter_key(&it), &f->sort_key, err);
}

int
wk_agg_parse_fill(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    fill_t *f;
    bson_iter_t it, out;
    int nparts = 0, ret = 0;
    bool has_output = false;
    wk_sort_t *probe = NULL;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "The $fill stage specification must be an object, found %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    f = bson_malloc0(sizeof(*f));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it))
        SDB_ERR(parse_field(f, &it, &nparts, &has_output, err));
    if (!has_output)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40414,
                              "BSON field '$fill.output' is missing but a required field"));
    bson_iter_recurse(spec, &it);
    bson_iter_find(&it, "output");
    out = it;
    SDB_ERR(parse_output(f, &out, err));
    if (nparts > 1)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location6050204,
                              "Maximum one of 'partitionBy' and 'partitionByFields can be "
                              "specified in '$fill'"));
    if (f->window && f->sort_by != NULL)
        SDB_ERR(wk_sort_new(f->sort_by, &probe, err));
    if (f->window)
        SDB_ERR(check_linear(f, err));
    *priv = f;
    wk_sort_free(probe);
    return 0;
err:
    wk_sort_free(probe);
    fill_free(f);
    return ret;
}

/* ---- running --------------------------------------------------------------------------- */

typedef struct row {
    bson_value_t part; /* owned; missing as null */
    bson_t *doc;
} row_t;

typedef struct sort_arg {
    const wk_sort_t *sort;
} sort_arg_t;

static int
row_cmp(const void *a, const void *b, void *arg)
{
    const row_t *x = a, *y = b;
    const sort_arg_t *s = arg;
    int c = sdb_bson_value_cmp(&x->part, &y->part);

    if (c != 0 || s->sort == NULL)
        return c;
    return wk_sort_cmp(s->sort, x->doc, y->doc);
}

/* set_field -- doc's field set to v (a null for missing, as $setWindowFields sets it). */
static void
set_field(bson_t **doc, const char *field, const bson_value_t *v)
{
    bson_value_t null = {.value_type = BSON_TYPE_NULL};
    bson_t next;

    wk_agg_doc_set(*doc, field, v->value_type == BSON_TYPE_EOD ? &null : v, &next);
    bson_destroy(*doc);
    *doc = bson_copy(&next);
    bson_destroy(&next);
}

static bool
nullish(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
           v->value_type == BSON_TYPE_UNDEFINED;
}

/* locf -- rows [from, to) of one partition. */
static int
locf(const fill_out_t *o, row_t *rows, size_t from, size_t to, sdb_error_t *err)
{
    bson_value_t last = {.value_type = BSON_TYPE_NULL};
    int ret = 0;

    for (size_t i = from; i < to; i++) {
        bson_value_t v;

        SDB_ERR(wk_agg_eval(o->in, rows[i].doc, &v, err));
        if (!nullish(&v)) {
            bson_value_destroy(&last);
            bson_value_copy(&v, &last);
        }
        set_field(&rows[i].doc, o->field, &last);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
err:
    bson_value_destroy(&last);
    return ret;
}

/* A point of the linear fill: the sort value (x) and the value (y), as numbers. */
typedef struct point {
    bson_value_t x, y; /* y missing when nullish */
} point_t;

/* as_number -- a date as its milliseconds (a long); numbers as they are. */
static bson_value_t
as_number(const bson_value_t *v)
{
    bson_value_t n = *v;

    if (v->value_type == BSON_TYPE_DATE_TIME) {
        n.value_type = BSON_TYPE_INT64;
        n.value.v_int64 = v->value.v_datetime;
    }
    return n;
}

/* interpolate -- y1 + (x - x1) * ((y2 - y1) / (x2 - x1)): a double, or a decimal when a
 * decimal takes part. */
static void
interpolate(const point_t *p1, const point_t *p2, const bson_value_t *xv, bson_value_t *out)
{
    bson_value_t x = as_number(xv), x1 = as_number(&p1->x), x2 = as_number(&p2->x);

    if (x.value_type == BSON_TYPE_DECIMAL128 || x1.value_type == BSON_TYPE_DECIMAL128 ||
        x2.value_type == BSON_TYPE_DECIMAL128 || p1->y.value_type == BSON_TYPE_DECIMAL128 ||
        p2->y.value_type == BSON_TYPE_DECIMAL128) {
        wk_dec_t y1 = wk_dec_from_value(&p1->y), y2 = wk_dec_from_value(&p2->y);
        wk_dec_t dx = wk_dec_sub(wk_dec_from_value(&x), wk_dec_from_value(&x1));
        wk_dec_t slope = wk_dec_div(wk_dec_sub(y2, y1),
                                    wk_dec_sub(wk_dec_from_value(&x2), wk_dec_from_value(&x1)));

        wk_dec_value(out, wk_dec_add(y1, wk_dec_mul(dx, slope)));
        return;
    }
    memset(out, 0, sizeof(*out));
    out->value_type = BSON_TYPE_DOUBLE;
    out->value.v_double =
        wk_num_double(&p1->y) + (wk_num_double(&x) - wk_num_double(&x1)) *
                                    ((wk_num_double(&p2->y) - wk_num_double(&p1->y)) /
                                     (wk_num_double(&x2) - wk_num_double(&x1)));
}

/* linear_point -- row i's point, with mongod's checks against the previous sort value. */
static int
linear_point(const fill_t *f, const fill_out_t *o, const row_t *row, const point_t *prev,
             point_t *p, sdb_error_t *err)
{
    memset(p, 0, sizeof(*p));
    SDB_RET(wk_agg_eval(o->in, row->doc, &p->y, err));
    SDB_RET(wk_agg_eval(f->sort_key, row->doc, &p->x, err));
    if (!nullish(&p->y) && !wk_num_is(&p->y))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Value to be filled must be numeric or nullish, but found %s",
                             wk_agg_type_name(p->y.value_type));
    if (!wk_num_is(&p->x) && p->x.value_type != BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Value of the sortBy field must be numeric or a date, but found %s",
                             wk_agg_type_name(p->x.value_type));
    if (prev != NULL && sdb_bson_value_cmp(&prev->x, &p->x) == 0)
        return sdb_error_set(err, SDB_CODE_Location6050106,
                             "There can be no repeated values in the sort field in the same "
                             "partition");
    if (prev != NULL &&
        (prev->x.value_type == BSON_TYPE_DATE_TIME) != (p->x.value_type == BSON_TYPE_DATE_TIME))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "Conflicting sort value types, previously received type %s, but "
                             "found %s",
                             wk_agg_type_name(prev->x.value_type),
                             wk_agg_type_name(p->x.value_type));
    if (nullish(&p->y)) {
        bson_value_destroy(&p->y);
        memset(&p->y, 0, sizeof(p->y));
    }
    return 0;
}

/* linear -- rows [from, to) of one partition. */
static int
linear(const fill_t *f, const fill_out_t *o, row_t *rows, size_t from, size_t to, sdb_error_t *err)
{
    size_t n = to - from;
    point_t *pts = bson_malloc0((n ? n : 1) * sizeof(*pts));
    int ret = 0;

    for (size_t i = 0; i < n; i++)
        SDB_ERR(linear_point(f, o, &rows[from + i], i > 0 ? &pts[i - 1] : NULL, &pts[i], err));
    for (size_t i = 0, left = SIZE_MAX, right = 0; i < n; i++) {
        bson_value_t v = {.value_type = BSON_TYPE_NULL};

        if (pts[i].y.value_type != BSON_TYPE_EOD) {
            left = i;
            continue; /* a known value stays as it is */
        }
        if (right <= i)
            for (right = i + 1; right < n && pts[right].y.value_type == BSON_TYPE_EOD; right++)
                ;
        if (left != SIZE_MAX && right < n)
            interpolate(&pts[left], &pts[right], &pts[i].x, &v);
        set_field(&rows[from + i].doc, o->field, &v);
    }
err:
    for (size_t i = 0; i < n; i++) {
        if (pts[i].x.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&pts[i].x);
        if (pts[i].y.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&pts[i].y);
    }
    bson_free(pts);
    return ret;
}

/* window -- the $setWindowFields step over rows (sorted here). */
static int
window(const fill_t *f, wk_agg_ctx_t *ctx, row_t *rows, size_t n, sdb_error_t *err)
{
    sort_arg_t arg = {NULL};
    wk_sort_t *sort = NULL;
    int ret = 0;

    if (f->sort_by != NULL)
        SDB_ERR(wk_sort_new_ex(f->sort_by, ctx->collation, &sort, err));
    arg.sort = sort;
    if (f->partition != NULL || sort != NULL)
        SDB_ERR(wk_sort_array_op(rows, n, sizeof(*rows), row_cmp, &arg, ctx->op, err));
    for (size_t from = 0, to; from < n; from = to) {
        for (to = from + 1; to < n && sdb_bson_value_cmp(&rows[from].part, &rows[to].part) == 0;
             to++)
            ;
        SDB_ERR(wk_op_check(ctx->op, err));
        for (size_t k = 0; k < f->nouts; k++) {
            if (f->outs[k].method == M_LOCF)
                SDB_ERR(locf(&f->outs[k], rows, from, to, err));
            else if (f->outs[k].method == M_LINEAR)
                SDB_ERR(linear(f, &f->outs[k], rows, from, to, err));
        }
    }
err:
    wk_sort_free(sort);
    return ret;
}

/* values -- the $addFields step: {field: {$ifNull: ["$field", value]}}. */
static int
values(const fill_t *f, row_t *row, const wk_op_t *op, sdb_error_t *err)
{
    for (size_t k = 0; k < f->nouts; k++) {
        const fill_out_t *o = &f->outs[k];
        bson_value_t cur, v;
        bson_t next;

        if (o->value == NULL)
            continue;
        SDB_RET(wk_agg_eval(o->in, row->doc, &cur, err));
        if (!nullish(&cur)) {
            bson_value_destroy(&cur);
            continue;
        }
        if (cur.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&cur);
        SDB_RET(wk_agg_eval_op(o->value, row->doc, op, &v, err));
        wk_agg_doc_set(row->doc, o->field, &v, &next);
        bson_destroy(row->doc);
        row->doc = bson_copy(&next);
        bson_destroy(&next);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    return 0;
}

int
wk_agg_run_fill(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                sdb_error_t *err)
{
    const fill_t *f = priv;
    row_t *rows = bson_malloc0((in->n ? in->n : 1) * sizeof(*rows));
    size_t n = 0;
    int ret = 0;

    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] == NULL)
            continue;
        rows[n].doc = in->v[i];
        in->v[i] = NULL;
        rows[n].part.value_type = BSON_TYPE_NULL;
        if (f->window && f->partition != NULL) {
            SDB_ERR(wk_agg_eval_op(f->partition, rows[n].doc, ctx->op, &rows[n].part, err));
            if (rows[n].part.value_type == BSON_TYPE_EOD)
                rows[n].part.value_type = BSON_TYPE_NULL;
        }
        n++;
    }
    if (f->window)
        SDB_ERR(window(f, ctx, rows, n, err));
    for (size_t i = 0; i < n; i++) {
        SDB_ERR(values(f, &rows[i], ctx->op, err));
        wk_agg_docs_push(out, rows[i].doc);
        rows[i].doc = NULL;
    }
err:
    for (size_t i = 0; i < in->n; i++) {
        if (rows[i].doc != NULL)
            bson_destroy(rows[i].doc);
        bson_value_destroy(&rows[i].part);
    }
    bson_free(rows);
    return ret;
}

void
wk_agg_free_fill(void *priv)
{
    fill_free(priv);
}
