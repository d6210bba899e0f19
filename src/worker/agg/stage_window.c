/*
 * src/worker/agg/stage_window.c -- the $setWindowFields stage: partitionBy, sortBy, output
 * with `documents` and `range` windows (`unit` on dates).
 *
 * Running it is mongod's rewrite: order the documents by (partition key, sortBy) -- a stable
 * sort, so without sortBy a partition keeps its input order -- then walk one partition at a
 * time: each output's window function (window_ops.c) answers one value per document of the
 * partition, the documents get their new fields and move to the output, and the partition's
 * evaluated values are released before the next one starts.  The sort spills past the sort
 * limit (keysort.h) as the $sort mongod puts in front does, and a partition spills past
 * internalDocumentSourceSetWindowFieldsMaxMemoryBytes (wincache.h, mongod's SpillableCache),
 * so neither the input nor one partition is ever held whole; what a partition keeps in memory
 * is its evaluated values (one per document and output) and, with a single-field sortBy, its
 * sortBy values.  A partition key that is an array is 14 TypeMismatch; missing and null are
 * one partition, and keys equal under the command's collation are one partition.  Window
 * bounds follow mongod's window_bounds.cpp: document offsets count from the current document;
 * range offsets are added to its sortBy value (a number, or a date with `unit`), the window
 * being every document whose value lies within, except that 'current' means the current
 * document itself.
 *
 * Invariants: private states are immutable after parsing; event-loop thread.
 */
#include "keysort.h"
#include "wincache.h"
#include "window.h"

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../query/num.h"

#include <stdio.h>
#include <string.h>

typedef struct window_stage {
    wk_expr_t *partition;  /* NULL: one partition */
    wk_sort_t *sort;       /* NULL: input order */
    wk_expr_t *sort_field; /* "$<the single sortBy field>", or NULL */
    wk_win_out_t *outs;
    size_t nout;
} window_stage_t;

/* ---- bounds ------------------------------------------------------------------------------ */

static const char *const time_units[] = {"year", "quarter", "month",  "week",        "day",
                                         "hour", "minute",  "second", "millisecond", NULL};

/* parse_bound -- 'unbounded', 'current' or a constant number (integral for documents and for
 * time ranges). */
static int
parse_bound(const bson_iter_t *it, bool range, bool unit, wk_win_bound_t *b, sdb_error_t *err)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)it);

    memset(b, 0, sizeof(*b));
    if (v->value_type == BSON_TYPE_UTF8) {
        if (strcmp(v->value.v_utf8.str, "unbounded") == 0)
            b->unbounded = true;
        else if (strcmp(v->value.v_utf8.str, "current") == 0)
            b->current = true;
        else
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Window bounds must be 'unbounded', 'current', or a number.");
        return 0;
    }
    if (!wk_num_is(v)) {
        if (v->value_type == BSON_TYPE_DOCUMENT || v->value_type == BSON_TYPE_ARRAY)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Window bounds expression must be a constant.");
        if (range && !unit)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Range-based bounds expression must be a number");
    }
    if (!range || unit) {
        wk_dec_t d = wk_num_is(v) ? wk_dec_from_value(v) : wk_dec_from_int64(0);

        if (!wk_num_is(v) || !wk_dec_is_integral(d))
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 unit ? "With 'unit', range-based bounds must be an integer"
                                      : "Numeric document-based bounds must be an integer");
    }
    bson_value_copy(v, &b->off);
    return 0;
}

/* bound_le -- lower <= upper, 'current' counting as 0. */
static bool
bound_le(const wk_win_bound_t *lo, const wk_win_bound_t *hi)
{
    bson_value_t zero;

    if (lo->unbounded || hi->unbounded)
        return true;
    memset(&zero, 0, sizeof(zero));
    zero.value_type = BSON_TYPE_INT32;
    return sdb_bson_value_cmp(lo->current ? &zero : &lo->off, hi->current ? &zero : &hi->off) <= 0;
}

/* bound_text -- a bound as mongod prints it in 5339900. */
static void
bound_text(const wk_win_bound_t *b, char *buf, size_t len)
{
    if (b->current)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%g", wk_num_double(&b->off));
}

/* unpack -- a 2-element array [lower, upper]. */
static int
unpack(const bson_iter_t *it, bson_iter_t *lo, bson_iter_t *hi, sdb_error_t *err)
{
    bson_iter_t a;
    int n = 0;

    if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &a))
        while (bson_iter_next(&a)) {
            if (n == 0)
                *lo = a;
            else if (n == 1)
                *hi = a;
            n++;
        }
    if (n != 2)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Window bounds must be a 2-element array");
    return 0;
}

/* parse_unit -- the time unit of a range and the $dateAdd that shifts by it. */
static int
parse_unit(const bson_iter_t *unit, wk_win_bounds_t *b, sdb_error_t *err)
{
    bson_t doc = BSON_INITIALIZER, op, args;
    bson_iter_t it;
    size_t i;
    int ret;

    if (!BSON_ITER_HOLDS_UTF8(unit))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "'unit' must be a string");
    for (i = 0; time_units[i] != NULL; i++)
        if (strcmp(time_units[i], bson_iter_utf8(unit, NULL)) == 0)
            break;
    if (time_units[i] == NULL)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "unknown time unit value: %s",
                             bson_iter_utf8(unit, NULL));
    bson_strncpy(b->unit, time_units[i], sizeof(b->unit));
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "v", &op);
    BSON_APPEND_DOCUMENT_BEGIN(&op, "$dateAdd", &args);
    BSON_APPEND_UTF8(&args, "startDate", "$d");
    BSON_APPEND_UTF8(&args, "unit", b->unit);
    BSON_APPEND_UTF8(&args, "amount", "$n");
    bson_append_document_end(&op, &args);
    bson_append_document_end(&doc, &op);
    bson_iter_init(&it, &doc);
    bson_iter_next(&it);
    ret = wk_expr_parse(&it, &b->shift, err);
    bson_destroy(&doc);
    return ret;
}

/* check_window_keys -- the combinations of documents / range / unit mongod accepts. */
static int
check_window_keys(const bson_iter_t *it, bool *docs, bool *range, bool *unit, bson_iter_t *d,
                  bson_iter_t *r, bson_iter_t *u, sdb_error_t *err)
{
    bson_iter_t w;
    int n = 0;

    *docs = *range = *unit = false;
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "'window' field must be an object");
    bson_iter_recurse(it, &w);
    while (bson_iter_next(&w)) {
        n++;
        if (strcmp(bson_iter_key(&w), "documents") == 0)
            *docs = true, *d = w;
        else if (strcmp(bson_iter_key(&w), "range") == 0)
            *range = true, *r = w;
        else if (strcmp(bson_iter_key(&w), "unit") == 0)
            *unit = true, *u = w;
    }
    if (*docs && *range)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Window bounds can specify either 'documents' or 'unit', not both.");
    if (!*range && *unit)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Window bounds can only specify 'unit' with range-based bounds.");
    if (!*range && !*docs && n != 0)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "'window' field can only contain 'documents' as the only argument "
                             "or 'range' with an optional 'unit' field");
    if (*docs && n != 1)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "'window' field that specifies documents cannot have other fields");
    if (*range && n != (*unit ? 2 : 1))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             *unit ? "'window' field that specifies unit cannot have other fields "
                                     "besides 'range'"
                                   : "'window' field that specifies range cannot have other "
                                     "fields besides 'unit'");
    return 0;
}

int
wk_win_parse_bounds(const bson_iter_t *it, const wk_win_sort_info_t *si, wk_win_bounds_t *b,
                    sdb_error_t *err)
{
    bson_iter_t d, r, u, lo, hi;
    bool docs, range, unit;
    char l[64], h[64];

    memset(b, 0, sizeof(*b));
    b->lo.unbounded = b->hi.unbounded = true;
    SDB_RET(check_window_keys(it, &docs, &range, &unit, &d, &r, &u, err));
    if (!docs && !range)
        return 0;
    b->range = range;
    if (unit)
        SDB_RET(parse_unit(&u, b, err));
    SDB_RET(unpack(range ? &r : &d, &lo, &hi, err));
    SDB_RET(parse_bound(&lo, range, unit, &b->lo, err));
    SDB_RET(parse_bound(&hi, range, unit, &b->hi, err));
    if (!bound_le(&b->lo, &b->hi)) {
        bound_text(&b->lo, l, sizeof(l));
        bound_text(&b->hi, h, sizeof(h));
        return sdb_error_set(err, SDB_CODE_Location5339900,
                             "Lower bound must not exceed upper bound: [%s, %s]", l, h);
    }
    if (docs && !(b->lo.unbounded && b->hi.unbounded) && !si->present)
        return sdb_error_set(err, SDB_CODE_Location5339901,
                             "Document-based bounds require a sortBy");
    if (range && (!si->present || si->nfields != 1))
        return sdb_error_set(err, SDB_CODE_Location5339902,
                             "Range-based bounds require sortBy a single field");
    if (range && !si->ascending)
        return sdb_error_set(err, SDB_CODE_Location8947401,
                             "Range-based bounds require an ascending sortBy");
    return 0;
}

/* ---- window endpoints -------------------------------------------------------------------- */

static bool
expected_type(const wk_win_bounds_t *b, const bson_value_t *v)
{
    return b->unit[0] ? v->value_type == BSON_TYPE_DATE_TIME : wk_num_is(v);
}

/* threshold -- base + delta: a number, or a date moved by delta units. */
static int
threshold(const wk_win_bounds_t *b, const bson_value_t *base, const bson_value_t *delta,
          bson_value_t *out, sdb_error_t *err)
{
    bson_t root = BSON_INITIALIZER;
    int ret;

    if (b->unit[0] == '\0') {
        if (base->value_type == BSON_TYPE_DECIMAL128 || delta->value_type == BSON_TYPE_DECIMAL128)
            wk_dec_value(out, wk_dec_add(wk_dec_from_value(base), wk_dec_from_value(delta)));
        else
            wk_num_arith(WK_NUM_ADD, base, delta, out);
        bson_destroy(&root);
        return 0;
    }
    bson_append_value(&root, "d", 1, base);
    BSON_APPEND_INT64(&root, "n", (int64_t)wk_num_double(delta));
    ret = wk_agg_eval(b->shift, &root, out, err);
    bson_destroy(&root);
    return ret;
}

/* The sortBy values of a partition are in ascending order, and values of one type sit
 * together (numbers, then strings, ...; dates together), so every search below is a binary
 * search over a monotonic predicate: a range window costs O(log n) per document. */

/* first_at_least -- the first j in [from, to) with sortv[j] >= t (to when none). */
static size_t
first_at_least(const wk_win_part_t *p, size_t from, size_t to, const bson_value_t *t)
{
    while (from < to) {
        size_t mid = from + (to - from) / 2;

        if (sdb_bson_value_cmp(&p->sortv[mid], t) >= 0)
            to = mid;
        else
            from = mid + 1;
    }
    return from;
}

/* first_above -- the first j in [from, to) with sortv[j] > t (to when none). */
static size_t
first_above(const wk_win_part_t *p, size_t from, size_t to, const bson_value_t *t)
{
    while (from < to) {
        size_t mid = from + (to - from) / 2;

        if (sdb_bson_value_cmp(&p->sortv[mid], t) > 0)
            to = mid;
        else
            from = mid + 1;
    }
    return from;
}

/* typed_edge -- with `before`, the first j in [0, i] of the expected type; else the first j
 * in (i, n) past the expected type's block (n when none). */
static size_t
typed_edge(const wk_win_bounds_t *b, const wk_win_part_t *p, size_t i, bool before)
{
    size_t from = before ? 0 : i + 1, to = before ? i : p->n;

    while (from < to) {
        size_t mid = from + (to - from) / 2;

        if (expected_type(b, &p->sortv[mid]) == before)
            to = mid;
        else
            from = mid + 1;
    }
    return from;
}

/* range_lower -- the first document at or past the lower bound (false: none). */
static int
range_lower(const wk_win_bounds_t *b, const wk_win_part_t *p, size_t i, size_t *lo, bool *found,
            sdb_error_t *err)
{
    bson_value_t t;

    *found = true;
    if (b->lo.current) {
        *lo = i;
        return 0;
    }
    if (b->lo.unbounded) {
        *lo = typed_edge(b, p, i, true);
        return 0;
    }
    SDB_RET(threshold(b, &p->sortv[i], &b->lo.off, &t, err));
    *lo = first_at_least(p, 0, p->n, &t);
    *found = *lo < p->n;
    wk_acc_val_clear(&t);
    return 0;
}

/* range_upper -- the last document within the upper bound, at or after lo. */
static int
range_upper(const wk_win_bounds_t *b, const wk_win_part_t *p, size_t i, size_t lo, size_t *hi,
            bool *found, sdb_error_t *err)
{
    bson_value_t t;
    size_t j;

    *found = true;
    if (b->hi.current) {
        *hi = i;
        return 0;
    }
    if (b->hi.unbounded) {
        *hi = typed_edge(b, p, i, false) - 1;
        return 0;
    }
    SDB_RET(threshold(b, &p->sortv[i], &b->hi.off, &t, err));
    j = first_above(p, lo, p->n, &t);
    *found = j > lo;
    *hi = j - 1;
    wk_acc_val_clear(&t);
    return 0;
}

int
wk_win_range(const wk_win_bounds_t *b, const wk_win_part_t *p, size_t i, size_t *lo, size_t *hi,
             bool *empty, sdb_error_t *err)
{
    const bson_value_t *base;
    bool found;

    *empty = true;
    if (!b->range) {
        int64_t l = b->lo.unbounded ? 0
                    : b->lo.current ? (int64_t)i
                                    : (int64_t)i + (int64_t)wk_num_double(&b->lo.off);
        int64_t h = b->hi.unbounded ? (int64_t)p->n - 1
                    : b->hi.current ? (int64_t)i
                                    : (int64_t)i + (int64_t)wk_num_double(&b->hi.off);
        l = l < 0 ? 0 : l;
        h = h > (int64_t)p->n - 1 ? (int64_t)p->n - 1 : h;
        if (l <= h)
            *lo = (size_t)l, *hi = (size_t)h, *empty = false;
        return 0;
    }
    base = &p->sortv[i];
    if (b->unit[0] && base->value_type != BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location5429513,
                             "Invalid range: Expected the sortBy field to be a Date, but it was %s",
                             wk_agg_type_name(base->value_type));
    if (!b->unit[0] && base->value_type == BSON_TYPE_DATE_TIME)
        return sdb_error_set(err, SDB_CODE_Location5429413,
                             "Invalid range: For windows that involve date or time ranges, a unit "
                             "must be provided.");
    if (!b->unit[0] && !wk_num_is(base))
        return sdb_error_set(err, SDB_CODE_Location5429414,
                             "Invalid range: Expected the sortBy field to be a number, but it was "
                             "%s",
                             wk_agg_type_name(base->value_type));
    SDB_RET(range_lower(b, p, i, lo, &found, err));
    if (!found)
        return 0;
    SDB_RET(range_upper(b, p, i, *lo, hi, &found, err));
    *empty = !found || *hi < *lo;
    return 0;
}

/* ---- parsing the stage ------------------------------------------------------------------- */

void
wk_win_out_destroy(wk_win_out_t *o)
{
    bson_free(o->field);
    wk_acc_spec_destroy(&o->acc);
    wk_expr_free(o->input);
    wk_expr_free(o->dflt);
    wk_acc_val_clear(&o->win.lo.off);
    wk_acc_val_clear(&o->win.hi.off);
    wk_expr_free(o->win.shift);
    memset(o, 0, sizeof(*o));
}

static void
window_free(window_stage_t *w)
{
    if (w == NULL)
        return;
    wk_expr_free(w->partition);
    wk_sort_free(w->sort);
    wk_expr_free(w->sort_field);
    for (size_t i = 0; i < w->nout; i++)
        wk_win_out_destroy(&w->outs[i]);
    bson_free(w->outs);
    bson_free(w);
}

/* paths_conflict -- one output path equals or prefixes another. */
static bool
paths_conflict(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

    return strncmp(a, b, n) == 0 && (la == lb || (la < lb ? b[n] : a[n]) == '.');
}

/* parse_output -- one {field: {$fn: ..., window: ...}}. */
static int
parse_output(const bson_iter_t *it, const wk_win_sort_info_t *si, wk_win_out_t *o, sdb_error_t *err)
{
    const char *field = bson_iter_key(it);
    bson_iter_t f, fn, win;
    bool have_fn = false, have_win = false;

    if (field[0] == '$')
        return sdb_error_set(err, SDB_CODE_Location16410,
                             "FieldPath field names may not start with '$'.");
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "The field '%s' must be an object",
                             field);
    o->field = bson_strdup(field);
    bson_iter_recurse(it, &f);
    while (bson_iter_next(&f)) {
        const char *k = bson_iter_key(&f);

        if (strcmp(k, "window") == 0) {
            win = f;
            have_win = true;
        } else if (k[0] == '$') {
            if (wk_win_find_op(k) == NULL)
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "Unrecognized window function, %s", k);
            if (have_fn)
                return sdb_error_set(err, SDB_CODE_FailedToParse,
                                     "Cannot specify two functions in window function spec");
            fn = f;
            have_fn = true;
        } else {
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Window function found an unknown argument: %s", k);
        }
    }
    if (!have_fn)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "Expected a $-prefixed window function");
    o->op = wk_win_find_op(bson_iter_key(&fn));
    o->win.lo.unbounded = o->win.hi.unbounded = true;
    if (have_win && (o->op->flags & WK_WIN_RANK))
        return sdb_error_set(err, SDB_CODE_Location5371601,
                             "Rank style window functions take no other arguments");
    if (have_win && !(o->op->flags & WK_WIN_BOUNDS) && o->op->no_window != NULL)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "%s", o->op->no_window);
    if (have_win && !(o->op->flags & WK_WIN_BOUNDS))
        return sdb_error_set(err, SDB_CODE_FailedToParse, "'window' field is not allowed in %s",
                             o->op->name);
    if (have_win)
        SDB_RET(wk_win_parse_bounds(&win, si, &o->win, err));
    o->has_window = have_win;
    return o->op->parse(&fn, si, o, err);
}

/* parse_outputs -- the `output` document. */
static int
parse_outputs(const bson_iter_t *it, const wk_win_sort_info_t *si, window_stage_t *w,
              sdb_error_t *err)
{
    bson_iter_t o;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '$setWindowFields.output' is the wrong type '%s', "
                             "expected type 'object'",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_recurse(it, &o);
    while (bson_iter_next(&o)) {
        for (size_t i = 0; i < w->nout; i++)
            if (paths_conflict(w->outs[i].field, bson_iter_key(&o)))
                return sdb_error_set(err, SDB_CODE_Location6307900,
                                     "$setWindowFields 'output' specification contains two "
                                     "conflicting paths");
        w->outs = bson_realloc(w->outs, (w->nout + 1) * sizeof(*w->outs));
        memset(&w->outs[w->nout], 0, sizeof(w->outs[0]));
        w->nout++;
        SDB_RET(parse_output(&o, si, &w->outs[w->nout - 1], err));
    }
    return 0;
}

/* parse_sort -- sortBy: the sort, and its single field as an expression. */
static int
parse_sort(const bson_iter_t *it, const wk_agg_ctx_t *ctx, window_stage_t *w,
           wk_win_sort_info_t *si, sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t doc, path = BSON_INITIALIZER;
    bson_iter_t f;
    char buf[1024];
    int ret;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '$setWindowFields.sortBy' is the wrong type '%s', "
                             "expected type 'object'",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_document(it, &len, &data);
    bson_init_static(&doc, data, len);
    SDB_RET(wk_sort_new_ex(&doc, ctx->collation, &w->sort, err));
    si->present = true;
    si->nfields = bson_count_keys(&doc);
    bson_iter_init(&f, &doc);
    if (!bson_iter_next(&f))
        return 0;
    si->ascending = !(wk_num_is(bson_iter_value(&f)) && wk_num_double(bson_iter_value(&f)) < 0);
    snprintf(buf, sizeof(buf), "$%s", bson_iter_key(&f));
    BSON_APPEND_UTF8(&path, "p", buf);
    bson_iter_init(&f, &path);
    bson_iter_next(&f);
    ret = wk_expr_parse(&f, &w->sort_field, err);
    bson_destroy(&path);
    return ret;
}

int
wk_agg_parse_set_window_fields(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                               sdb_error_t *err)
{
    wk_win_sort_info_t si = {false, 0, true};
    bson_iter_t it, out, sort, part;
    bool have_out = false, have_sort = false, have_part = false;
    window_stage_t *w;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "the $setWindowFields stage specification must be an object, found %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "output") == 0)
            out = it, have_out = true;
        else if (strcmp(k, "sortBy") == 0)
            sort = it, have_sort = true;
        else if (strcmp(k, "partitionBy") == 0)
            part = it, have_part = true;
        else
            return sdb_error_set(err, SDB_CODE_Location40415,
                                 "BSON field '$setWindowFields.%s' is an unknown field.", k);
    }
    if (!have_out)
        return sdb_error_set(err, SDB_CODE_Location40414,
                             "BSON field '$setWindowFields.output' is missing but a required "
                             "field");
    w = bson_malloc0(sizeof(*w));
    if (have_part)
        SDB_ERR(wk_expr_parse(&part, &w->partition, err));
    if (have_sort)
        SDB_ERR(parse_sort(&sort, ctx, w, &si, err));
    SDB_ERR(parse_outputs(&out, &si, w, err));
    *priv = w;
    return 0;
err:
    window_free(w);
    return ret;
}

void
wk_agg_free_set_window_fields(void *priv)
{
    window_free(priv);
}

/* ---- running -----------------------------------------------------------------------------
 * The stage takes its input in chunks (agg_int.h wk_agg_blocking_t).  With partitionBy or
 * sortBy it sorts it by (partition key, sortBy) (keysort.h), spilling past internalQueryMax-
 * BlockingSortMemoryUsageBytes as the $sort mongod puts in front of it does (292 in its words
 * without allowDiskUse); without either the input goes straight into the one partition.  pull
 * reads one partition at a time into a wincache.h (spilled past internalDocumentSource-
 * SetWindowFieldsMaxMemoryBytes, 5643011 without allowDiskUse), evaluates every output over
 * it, then hands its documents out with their new fields a chunk at a time. */

int
wk_win_doc(const wk_win_part_t *p, size_t i, const bson_t **doc, sdb_error_t *err)
{
    return wk_wincache_get(p->cache, i, doc, err);
}

typedef struct win_state {
    const window_stage_t *w;
    wk_agg_ctx_t *ctx;
    wk_keysort_t *ks;    /* partitionBy or sortBy: the sort; NULL: input order into `part` */
    wk_wincache_t *part; /* the partition being filled or handed out */
    bool started, last;  /* the sort is being read; `part` is the last partition */
    bson_t *cur;         /* the first record of the next partition; NULL at the end */
    bson_value_t *res;   /* res[o * n + i]: output o of document i of `part` (NULL: none) */
    size_t n, next;      /* `part`'s documents, and the next to hand out */
} win_state_t;

/* partition_key -- a document's partition key (null for missing); an array is 14. */
static int
partition_key(const window_stage_t *w, const bson_t *doc, const wk_agg_ctx_t *ctx,
              bson_value_t *key, sdb_error_t *err)
{
    memset(key, 0, sizeof(*key));
    if (w->partition != NULL)
        SDB_RET(wk_agg_eval_op(w->partition, doc, ctx->op, key, err));
    if (key->value_type == BSON_TYPE_ARRAY)
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "An expression used to partition cannot evaluate to value of "
                             "type array");
    if (key->value_type == BSON_TYPE_EOD)
        key->value_type = BSON_TYPE_NULL;
    return 0;
}

static int
win_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    win_state_t *st = bson_malloc0(sizeof(*st));

    SDB_UNUSED(topk);
    st->w = priv;
    st->ctx = ctx;
    if (st->w->partition != NULL || st->w->sort != NULL)
        st->ks = wk_keysort_new_then(ctx, "$sort", st->w->sort);
    else
        st->part = wk_wincache_new(ctx);
    *state = st;
    return 0;
}

/* win_push -- sort each document by (partition key, sortBy), or add it to the partition. */
static int
win_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    win_state_t *st = state;

    for (size_t i = 0; i < in->n; i++) {
        bson_value_t key;
        bson_t *doc = in->v[i];
        int ret;

        if (doc == NULL)
            continue;
        in->v[i] = NULL;
        if (st->ks == NULL) {
            SDB_RET(wk_wincache_add(st->part, doc, err));
            continue;
        }
        ret = partition_key(st->w, doc, st->ctx, &key, err);
        if (ret == 0)
            ret = wk_keysort_add(st->ks, &key, doc, err);
        wk_acc_val_clear(&key);
        bson_destroy(doc);
        SDB_RET(ret);
    }
    return 0;
}

/* next_partition -- read the next partition's documents out of the sorted records. */
static int
next_partition(win_state_t *st, sdb_error_t *err)
{
    bson_t *first = st->cur, doc;
    bson_value_t k0, k;
    int ret = 0;

    st->part = wk_wincache_new(st->ctx);
    wk_keysort_key(first, &k0); /* a view into `first`, kept until the partition ends */
    for (;;) {
        wk_keysort_doc(st->cur, &doc);
        SDB_ERR(wk_wincache_add(st->part, bson_copy(&doc), err));
        if (st->cur != first)
            bson_destroy(st->cur);
        st->cur = NULL;
        SDB_ERR(wk_keysort_next(st->ks, &st->cur, err));
        if (st->cur == NULL)
            break;
        wk_keysort_key(st->cur, &k);
        if (sdb_collation_value_cmp(st->ctx->collation, &k, &k0) != 0)
            break;
    }
err:
    if (st->cur == first)
        st->cur = NULL;
    bson_destroy(first);
    return ret;
}

/* evaluate -- every output over the partition in `part`. */
static int
evaluate(win_state_t *st, sdb_error_t *err)
{
    const window_stage_t *w = st->w;
    size_t n = wk_wincache_count(st->part);
    wk_win_part_t p = {st->part, n, NULL, w->sort, st->ctx};
    bson_value_t *sortv = NULL;
    int ret = 0;

    st->n = n;
    st->next = 0;
    if (w->sort_field != NULL) {
        sortv = bson_malloc0((n ? n : 1) * sizeof(*sortv));
        for (size_t i = 0; i < n; i++) {
            const bson_t *doc;

            SDB_ERR(wk_win_doc(&p, i, &doc, err));
            SDB_ERR(wk_agg_eval(w->sort_field, doc, &sortv[i], err));
        }
        p.sortv = sortv;
    }
    st->res = bson_malloc0((n ? n : 1) * w->nout * sizeof(*st->res));
    for (size_t o = 0; o < w->nout; o++) {
        SDB_ERR(wk_op_check(st->ctx->op, err));
        SDB_ERR(w->outs[o].op->eval(&w->outs[o], &p, st->res + o * n, err));
    }
err:
    for (size_t i = 0; sortv != NULL && i < n; i++)
        wk_acc_val_clear(&sortv[i]);
    bson_free(sortv);
    return ret;
}

/* drop_partition -- release the partition handed out. */
static void
drop_partition(win_state_t *st)
{
    for (size_t i = 0; st->res != NULL && i < st->n * st->w->nout; i++)
        wk_acc_val_clear(&st->res[i]);
    bson_free(st->res);
    st->res = NULL;
    wk_wincache_free(st->part);
    st->part = NULL;
    st->n = st->next = 0;
}

/* hand_out -- the partition's next documents with their new fields, up to `room`. */
static int
hand_out(win_state_t *st, wk_agg_docs_t *out, size_t room, sdb_error_t *err)
{
    const window_stage_t *w = st->w;

    for (; st->next < st->n && room > 0; st->next++, room--) {
        const bson_t *doc;
        bson_t cur, next;

        if (st->next % 256 == 0)
            SDB_RET(wk_op_check(st->ctx->op, err));
        SDB_RET(wk_wincache_get(st->part, st->next, &doc, err));
        bson_copy_to(doc, &cur);
        for (size_t o = 0; o < w->nout; o++) {
            wk_agg_doc_set(&cur, w->outs[o].field, &st->res[o * st->n + st->next], &next);
            bson_destroy(&cur);
            bson_steal(&cur, &next);
        }
        wk_agg_docs_push(out, bson_copy(&cur));
        bson_destroy(&cur);
    }
    return 0;
}

/* load_partition -- make the next partition `part`, evaluated (*none: there is no next). */
static int
load_partition(win_state_t *st, bool *none, sdb_error_t *err)
{
    *none = false;
    if (st->ks == NULL) { /* one partition, already filled */
        if (st->last)
            return *none = true, 0;
        st->last = true;
        return evaluate(st, err);
    }
    if (!st->started) {
        st->started = true;
        SDB_RET(wk_keysort_next(st->ks, &st->cur, err));
    }
    if (st->cur == NULL)
        return *none = true, 0;
    SDB_RET(next_partition(st, err));
    return evaluate(st, err);
}

/* win_pull -- the output, until at least max documents (0: all). */
static int
win_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    win_state_t *st = state;
    size_t before = out->n;

    *done = false;
    while (max == 0 || out->n - before < max) {
        bool none;

        if (st->res != NULL && st->next < st->n) {
            SDB_RET(hand_out(st, out, max == 0 ? SIZE_MAX : max - (out->n - before), err));
            continue;
        }
        if (st->res != NULL)
            drop_partition(st);
        SDB_RET(load_partition(st, &none, err));
        if (none) {
            *done = true;
            return 0;
        }
    }
    return 0;
}

static void
win_close(void *state)
{
    win_state_t *st = state;

    if (st->cur != NULL)
        bson_destroy(st->cur);
    drop_partition(st);
    wk_keysort_free(st->ks);
    bson_free(st);
}

const wk_agg_blocking_t wk_agg_window_blocking = {win_open, win_push, win_pull, win_close};

int
wk_agg_run_set_window_fields(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,
                             wk_agg_docs_t *out, sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_window_blocking, priv, ctx, in, out, err);
}
