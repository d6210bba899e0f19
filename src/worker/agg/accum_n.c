/*
 * src/worker/agg/accum_n.c -- the N-family of accumulators: $firstN $lastN $minN $maxN $topN
 * $bottomN $top $bottom, for $group, $bucket and $setWindowFields.
 *
 * A state keeps at most n values, so memory follows n, not the group: $firstN stops taking
 * values at n, $lastN drops its oldest, $minN/$maxN keep the n best in order (null and
 * missing ignored), $topN/$bottomN keep the n first/last by their own sortBy.  As mongod does,
 * $topN's value per document is {output: <output>, sortFields0: "$f0", ...}, ordered by a
 * sort {sortFields0: dir, ...} (so the sort keys follow find's array rules); ties keep the
 * value seen first.  `n` is an expression evaluated once per group against the group's _id when
 * that is a document, else {}, as mongod (for a window, against an empty document: it must be constant) and must be a
 * positive integer (stats.h wk_stats_check_n).  Missing outputs become null.
 *
 * Invariants: vals[] is kept in result order; nvals <= want after every step.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"

#include <stdio.h>
#include <string.h>

/* n_kind -- which member of the family a spec is. */
static bool
is(const wk_acc_spec_t *spec, const char *name)
{
    return strcmp(spec->def->name, name) == 0;
}

/* parse_plain -- {n, input} of $firstN $lastN $minN $maxN. */
static int
parse_plain(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err)
{
    bool minmax = is(spec, "$minN") || is(spec, "$maxN");
    bson_iter_t it;

    if (!BSON_ITER_HOLDS_DOCUMENT(op))
        return sdb_error_set(err, minmax ? SDB_CODE_Location5787900 : SDB_CODE_Location5787801,
                             "specification must be an object; found %s",
                             wk_agg_type_name(bson_iter_type(op)));
    bson_iter_recurse(op, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        wk_expr_t **slot = strcmp(k, "input") == 0 ? &spec->arg
                           : strcmp(k, "n") == 0   ? &spec->n
                                                   : NULL;
        if (slot == NULL)
            return sdb_error_set(err, SDB_CODE_Location5787901,
                                 "Unknown argument for 'n' operator: %s", k);
        wk_expr_free(*slot);
        *slot = NULL;
        SDB_RET(wk_expr_parse(&it, slot, err));
    }
    if (spec->n == NULL)
        return sdb_error_set(err, SDB_CODE_Location5787906, "Missing value for 'n'");
    if (spec->arg == NULL)
        return sdb_error_set(err, SDB_CODE_Location5787907, "Missing value for 'input'");
    return 0;
}

/* build_sorted -- the per-document expression {output, sortFields<i>: "$<field i>"} and the
 * sort over it, from sortBy. */
static int
build_sorted(const bson_iter_t *output, const bson_iter_t *sort_by, wk_acc_spec_t *spec,
             sdb_error_t *err)
{
    bson_t arg = BSON_INITIALIZER, sort = BSON_INITIALIZER, user, wrap = BSON_INITIALIZER;
    const uint8_t *data;
    uint32_t len;
    bson_iter_t it;
    char key[32], path[1024];
    int i = 0, ret = 0;
    wk_sort_t *check = NULL;

    bson_iter_document(sort_by, &len, &data);
    bson_init_static(&user, data, len);
    SDB_ERR(wk_sort_new(&user, &check, err)); /* mongod's checks of the pattern */
    bson_append_iter(&arg, "output", 6, output);
    bson_iter_init(&it, &user);
    while (bson_iter_next(&it)) {
        snprintf(key, sizeof(key), "sortFields%d", i++);
        snprintf(path, sizeof(path), "$%s", bson_iter_key(&it));
        BSON_APPEND_UTF8(&arg, key, path);
        bson_append_value(&sort, key, -1, bson_iter_value(&it));
    }
    SDB_ERR(wk_sort_new(&sort, &spec->sort, err));
    BSON_APPEND_DOCUMENT(&wrap, "v", &arg);
    bson_iter_init(&it, &wrap);
    bson_iter_next(&it);
    SDB_ERR(wk_expr_parse(&it, &spec->arg, err));
err:
    wk_sort_free(check);
    bson_destroy(&arg);
    bson_destroy(&sort);
    bson_destroy(&wrap);
    return ret;
}

/* parse_sorted -- {n, output, sortBy} of $topN $bottomN, {output, sortBy} of $top $bottom. */
static int
parse_sorted(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err)
{
    const char *name = spec->def->name;
    bool single = (spec->def->flags & WK_ACC_SINGLE) != 0;
    bson_iter_t it, output, sort_by;
    bool have_out = false, have_sort = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(op))
        return sdb_error_set(err, SDB_CODE_Location5788001,
                             "specification must be an object; found %s",
                             wk_agg_type_name(bson_iter_type(op)));
    bson_iter_recurse(op, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (!single && strcmp(k, "n") == 0) {
            wk_expr_free(spec->n);
            spec->n = NULL;
            SDB_RET(wk_expr_parse(&it, &spec->n, err));
        } else if (strcmp(k, "output") == 0) {
            output = it;
            have_out = true;
        } else if (strcmp(k, "sortBy") == 0) {
            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                return sdb_error_set(err, SDB_CODE_FailedToParse, "sortBy of %s must be an object",
                                     name);
            sort_by = it;
            have_sort = true;
        } else {
            return sdb_error_set(err, SDB_CODE_Location5788002, "Unknown argument to %s '%s'", name,
                                 k);
        }
    }
    if (!single && spec->n == NULL)
        return sdb_error_set(err, SDB_CODE_Location5788003, "Missing value for 'n'");
    if (!have_out)
        return sdb_error_set(err, SDB_CODE_Location5788004, "Missing value for 'output'");
    if (!have_sort)
        return sdb_error_set(err, SDB_CODE_Location5788005, "Missing value for 'sortBy'");
    return build_sorted(&output, &sort_by, spec, err);
}

int
wk_acc_n_parse(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err)
{
    if (spec->def->flags & WK_ACC_SORT)
        return parse_sorted(op, spec, err);
    return parse_plain(op, spec, err);
}

int
wk_acc_n_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc, sdb_error_t *err)
{
    bson_value_t v;
    int ret;

    if (spec->n == NULL) {
        st->want = 1;
        return 0;
    }
    SDB_RET(wk_agg_eval_op(spec->n, doc, st->op, &v, err));
    ret = wk_stats_check_n(&v, &st->want, err);
    wk_acc_val_clear(&v);
    return ret;
}

/* cmp_sorted -- order of two {output, sortFields...} documents under the spec's sort. */
static int
cmp_sorted(const wk_acc_spec_t *spec, const bson_value_t *a, const bson_value_t *b)
{
    bson_t x, y;

    if (!wk_agg_value_doc(a, &x) || !wk_agg_value_doc(b, &y))
        return 0;
    return wk_sort_cmp(spec->sort, &x, &y);
}

/* order -- <0 when a goes before b in the result. */
static int
order(const wk_acc_spec_t *spec, const bson_value_t *a, const bson_value_t *b)
{
    if (spec->sort != NULL)
        return cmp_sorted(spec, a, b);
    if (is(spec, "$maxN"))
        return -sdb_bson_value_cmp(a, b);
    return sdb_bson_value_cmp(a, b);
}

/* insert_at -- put a copy of v at position pos of vals. */
static void
insert_at(wk_acc_state_t *st, size_t pos, const bson_value_t *v)
{
    wk_acc_push(st, v);
    if (pos + 1 < st->nvals) {
        bson_value_t tmp = st->vals[st->nvals - 1];

        memmove(&st->vals[pos + 1], &st->vals[pos], (st->nvals - 1 - pos) * sizeof(tmp));
        st->vals[pos] = tmp;
    }
}

static void
drop_at(wk_acc_state_t *st, size_t pos)
{
    bson_value_destroy(&st->vals[pos]);
    memmove(&st->vals[pos], &st->vals[pos + 1], (st->nvals - pos - 1) * sizeof(st->vals[0]));
    st->nvals--;
}

/* keep_best -- $minN $maxN $topN: keep the `want` first in order, ties by arrival. */
static void
keep_best(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v)
{
    size_t pos = st->nvals;

    if ((int64_t)st->nvals == st->want && order(spec, v, &st->vals[st->nvals - 1]) >= 0)
        return;
    while (pos > 0 && order(spec, v, &st->vals[pos - 1]) < 0)
        pos--;
    insert_at(st, pos, v);
    if ((int64_t)st->nvals > st->want)
        drop_at(st, st->nvals - 1);
}

/* keep_last -- $bottomN: keep the `want` last in order, the earliest of a tie kept. */
static void
keep_last(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v)
{
    size_t pos = st->nvals;

    if ((int64_t)st->nvals == st->want && order(spec, v, &st->vals[0]) <= 0)
        return;
    while (pos > 0 && order(spec, v, &st->vals[pos - 1]) < 0)
        pos--;
    insert_at(st, pos, v);
    if ((int64_t)st->nvals > st->want)
        drop_at(st, 0);
}

int
wk_acc_n_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
              sdb_error_t *err)
{
    bson_value_t null;

    SDB_UNUSED(err);
    wk_acc_val_set(&null, BSON_TYPE_NULL);
    if (is(spec, "$firstN")) {
        if ((int64_t)st->nvals < st->want)
            wk_acc_push(st, v->value_type == BSON_TYPE_EOD ? &null : v);
    } else if (is(spec, "$lastN")) {
        wk_acc_push(st, v->value_type == BSON_TYPE_EOD ? &null : v);
        if ((int64_t)st->nvals > st->want)
            drop_at(st, 0);
    } else if (spec->sort == NULL) { /* $minN $maxN */
        if (v->value_type != BSON_TYPE_EOD && v->value_type != BSON_TYPE_NULL &&
            v->value_type != BSON_TYPE_UNDEFINED)
            keep_best(spec, st, v);
    } else if (v->value_type == BSON_TYPE_DOCUMENT) {
        if (is(spec, "$bottomN") || is(spec, "$bottom"))
            keep_last(spec, st, v);
        else
            keep_best(spec, st, v);
    }
    return 0;
}

void
wk_acc_n_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out)
{
    bson_value_t *outs;
    bson_t doc;
    bson_iter_t it;

    if (spec->sort == NULL) {
        wk_acc_array(st->vals, st->nvals, out);
        return;
    }
    outs = bson_malloc0((st->nvals ? st->nvals : 1) * sizeof(*outs));
    for (size_t i = 0; i < st->nvals; i++) {
        wk_acc_val_set(&outs[i], BSON_TYPE_NULL);
        if (wk_agg_value_doc(&st->vals[i], &doc) && bson_iter_init_find(&it, &doc, "output"))
            outs[i] = *bson_iter_value(&it);
    }
    if (!(spec->def->flags & WK_ACC_SINGLE))
        wk_acc_array(outs, st->nvals, out);
    else if (st->nvals == 0)
        wk_acc_val_set(out, BSON_TYPE_NULL);
    else
        bson_value_copy(&outs[0], out);
    bson_free(outs);
}
