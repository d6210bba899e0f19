/*
 * src/worker/update/update_arrays.c -- the array update operators: $push (with $each,
 * $position, $sort, $slice), $addToSet, $pop, $pull, $pullAll, and $bit's operand parsing.
 *
 * $push inserts its values (at $position, else at the end), then sorts ($sort 1/-1 on
 * whole elements, or a sort document on embedded fields), then trims ($slice n keeps the
 * first n, -n the last n).  $addToSet appends values not already present (by MongoDB
 * equality).  $pull removes elements matching a condition: operator form ({$gte: 6}) tests
 * each element's value, a plain document is a query on document elements, anything else is
 * equality.  A missing field is created by $push/$addToSet and ignored by the removers.
 *
 * Invariants: operate on the wk_unode_t tree only; operands were validated at parse time.
 */
#include "update_int.h"

#include <math.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/sdb.h"
#include "../query/expr_int.h"
#include "../query/num.h"

static const char *
iter_type_name(const bson_iter_t *it)
{
    return wk_value_type_name(bson_iter_value((bson_iter_t *)it));
}

static void
add_each(wk_uaction_t *a, const bson_value_t *v)
{
    a->each = bson_realloc(a->each, sizeof(*a->each) * (a->n_each + 1));
    bson_value_copy(v, &a->each[a->n_each++]);
}

/* int_modifier -- an integral number for $slice / $position. */
static int
int_modifier(const bson_iter_t *it, const char *what, int64_t *out, sdb_error_t *err)
{
    double d;

    if (!BSON_ITER_HOLDS_NUMBER(it))
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "The value for %s must be an integer value "
                             "but was given type: %s",
                             what, iter_type_name(it));
    d = bson_iter_as_double(it);
    if (d != floor(d))
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "The value for %s must be an integer value "
                             "but was given %g",
                             what, d);
    *out = bson_iter_as_int64(it);
    return 0;
}

static int
parse_push_sort(wk_uaction_t *a, const bson_iter_t *it, sdb_error_t *err)
{
    bson_t spec;
    const uint8_t *data;
    uint32_t len;

    if (BSON_ITER_HOLDS_NUMBER(it) &&
        (bson_iter_as_double(it) == 1.0 || bson_iter_as_double(it) == -1.0)) {
        a->sort_dir = bson_iter_as_double(it) > 0 ? 1 : -1;
        return 0;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        bson_iter_document(it, &len, &data);
        bson_init_static(&spec, data, len);
        if (bson_empty(&spec))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The $sort pattern is empty when it "
                                 "should be a set of fields.");
        return wk_sort_new(&spec, &a->sort, err) == 0
                   ? 0
                   : sdb_error_set(err, SDB_CODE_BadValue,
                                   "The $sort element value must be "
                                   "either 1 or -1");
    }
    return sdb_error_set(err, SDB_CODE_BadValue,
                         "The $sort is invalid: use 1/-1 to sort the "
                         "whole element, or {field:1/-1} to sort embedded fields");
}

/* parse_each -- {$each: [...], $slice, $sort, $position} for $push / $addToSet. */
static int
parse_each(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t it, el;
    const char *k;

    bson_iter_recurse(arg, &it);
    while (bson_iter_next(&it)) {
        k = bson_iter_key(&it);
        if (strcmp(k, "$each") == 0) {
            if (!BSON_ITER_HOLDS_ARRAY(&it))
                return sdb_error_set(err, SDB_CODE_BadValue,
                                     "The argument to $each in %s must "
                                     "be an array but it was of type: %s",
                                     a->opname, iter_type_name(&it));
            bson_iter_recurse(&it, &el);
            while (bson_iter_next(&el))
                add_each(a, bson_iter_value(&el));
        } else if (a->op == WK_UP_ADD_TO_SET) {
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "Found unexpected fields after $each in "
                                 "$addToSet: %s",
                                 k);
        } else if (strcmp(k, "$slice") == 0) {
            a->has_slice = true;
            SDB_RET(int_modifier(&it, "$slice", &a->slice, err));
        } else if (strcmp(k, "$position") == 0) {
            a->has_position = true;
            SDB_RET(int_modifier(&it, "$position", &a->position, err));
        } else if (strcmp(k, "$sort") == 0) {
            SDB_RET(parse_push_sort(a, &it, err));
        } else {
            return sdb_error_set(err, SDB_CODE_BadValue, "Unrecognized clause in $push: %s", k);
        }
    }
    return 0;
}

static int
parse_bit(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t it;
    const char *k;
    int kind;

    if (!BSON_ITER_HOLDS_DOCUMENT(arg))
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "The $bit modifier is not compatible with a "
                             "%s. You must pass in an embedded document: {$bit: {field: "
                             "{and/or/xor: #}}",
                             iter_type_name(arg));
    bson_iter_recurse(arg, &it);
    while (bson_iter_next(&it)) {
        k = bson_iter_key(&it);
        kind = strcmp(k, "and") == 0   ? 0
               : strcmp(k, "or") == 0  ? 1
               : strcmp(k, "xor") == 0 ? 2
                                       : -1;
        if (kind < 0)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The $bit modifier only supports 'and', "
                                 "'or', and 'xor', not '%s' which is an unknown operator",
                                 k);
        if (!BSON_ITER_HOLDS_INT32(&it) && !BSON_ITER_HOLDS_INT64(&it))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The $bit modifier field must be an "
                                 "Integer(32/64 bit); a '%s' is not supported here",
                                 iter_type_name(&it));
        a->bits = bson_realloc(a->bits, sizeof(*a->bits) * (a->n_bits + 1));
        a->bits[a->n_bits].kind = kind;
        a->bits[a->n_bits].v = bson_iter_as_int64(&it);
        a->bits[a->n_bits].is64 = BSON_ITER_HOLDS_INT64(&it);
        a->n_bits++;
    }
    return 0;
}

static int
parse_pull(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t it;
    bson_t q;
    const uint8_t *data;
    uint32_t len;
    const char *k;

    if (BSON_ITER_HOLDS_REGEX(arg))
        return wk_mparse_field("", 0, arg, 0, &a->pull, err);
    if (!BSON_ITER_HOLDS_DOCUMENT(arg))
        return 0;
    bson_iter_recurse(arg, &it);
    if (bson_iter_next(&it)) {
        k = bson_iter_key(&it);
        if (k[0] == '$' && strcmp(k, "$and") != 0 && strcmp(k, "$or") != 0 &&
            strcmp(k, "$nor") != 0 && strcmp(k, "$expr") != 0)
            return wk_mparse_ops("", 0, arg, 1, &a->pull, err);
    }
    bson_iter_document(arg, &len, &data);
    bson_init_static(&q, data, len);
    a->pull_query = true;
    return wk_mparse_doc(&q, 1, &a->pull, err);
}

int
wk_upd_parse_array_op(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t it;
    double d;

    switch (a->op) {
    case WK_UP_PUSH:
    case WK_UP_ADD_TO_SET:
        if (BSON_ITER_HOLDS_DOCUMENT(arg) && bson_iter_recurse(arg, &it) &&
            bson_iter_find(&it, "$each"))
            return parse_each(a, arg, err);
        add_each(a, bson_iter_value((bson_iter_t *)arg));
        return 0;
    case WK_UP_POP:
        d = BSON_ITER_HOLDS_NUMBER(arg) ? bson_iter_as_double(arg) : 0;
        if (d != 1.0 && d != -1.0)
            return sdb_error_set(err, SDB_CODE_FailedToParse, "$pop expects 1 or -1, found: %s",
                                 BSON_ITER_HOLDS_NUMBER(arg) ? "a number" : iter_type_name(arg));
        return 0;
    case WK_UP_PULL:
        return parse_pull(a, arg, err);
    case WK_UP_PULL_ALL:
        if (!BSON_ITER_HOLDS_ARRAY(arg))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "$pullAll requires an array argument "
                                 "but was given a %s",
                                 iter_type_name(arg));
        bson_iter_recurse(arg, &it);
        while (bson_iter_next(&it))
            add_each(a, bson_iter_value(&it));
        return 0;
    case WK_UP_BIT:
        return parse_bit(a, arg, err);
    default:
        return 0;
    }
}

/* ---- applying ------------------------------------------------------------------------------ */

static int
node_cmp_value(const wk_unode_t *n, const bson_value_t *v)
{
    bson_value_t nv;
    int c;

    wk_unode_to_value(n, &nv);
    c = sdb_bson_value_cmp(&nv, v);
    bson_value_destroy(&nv);
    return c;
}

/* elem_cmp -- $push $sort order of two elements. */
static int
elem_cmp(const wk_uaction_t *a, const wk_unode_t *x, const wk_unode_t *y)
{
    bson_value_t xv, yv;
    bson_t xd, yd;
    int c;

    wk_unode_to_value(x, &xv);
    wk_unode_to_value(y, &yv);
    if (a->sort != NULL) {
        bson_init(&xd);
        bson_init(&yd);
        if (x->type == BSON_TYPE_DOCUMENT)
            wk_unode_to_bson(x, &xd);
        if (y->type == BSON_TYPE_DOCUMENT)
            wk_unode_to_bson(y, &yd);
        c = wk_sort_cmp(a->sort, &xd, &yd);
        bson_destroy(&xd);
        bson_destroy(&yd);
    } else {
        c = a->sort_dir * sdb_bson_value_cmp(&xv, &yv);
    }
    bson_value_destroy(&xv);
    bson_value_destroy(&yv);
    return c;
}

static void
push_into(const wk_uaction_t *a, wk_unode_t *arr)
{
    size_t i, j, pos = arr->n;
    wk_unode_t *t;
    int64_t keep;

    if (a->has_position) {
        if (a->position < 0)
            pos = (int64_t)arr->n + a->position < 0 ? 0 : (size_t)((int64_t)arr->n + a->position);
        else if ((uint64_t)a->position < arr->n)
            pos = (size_t)a->position;
    }
    for (i = 0; i < a->n_each; i++)
        wk_unode_insert(arr, pos + i, wk_unode_from_value(NULL, &a->each[i]));
    if (a->sort != NULL || a->sort_dir != 0) /* stable insertion sort */
        for (i = 1; i < arr->n; i++)
            for (j = i; j > 0 && elem_cmp(a, arr->kids[j - 1], arr->kids[j]) > 0; j--) {
                t = arr->kids[j];
                arr->kids[j] = arr->kids[j - 1];
                arr->kids[j - 1] = t;
            }
    if (!a->has_slice)
        return;
    keep = a->slice < 0 ? -a->slice : a->slice;
    while ((int64_t)arr->n > keep)
        wk_unode_remove(arr, a->slice < 0 ? 0 : arr->n - 1);
}

static void
add_to_set(const wk_uaction_t *a, wk_unode_t *arr)
{
    size_t i, k;

    for (i = 0; i < a->n_each; i++) {
        for (k = 0; k < arr->n; k++)
            if (node_cmp_value(arr->kids[k], &a->each[i]) == 0)
                break;
        if (k == arr->n)
            wk_unode_insert(arr, arr->n, wk_unode_from_value(NULL, &a->each[i]));
    }
}

/* pull_matches -- does element n satisfy the $pull condition / $pullAll list? */
static bool
pull_matches(const wk_uaction_t *a, const wk_unode_t *n)
{
    bson_value_t v;
    bson_iter_t it;
    bson_t doc;
    size_t i;
    bool r = false;

    if (a->op == WK_UP_PULL_ALL) {
        for (i = 0; i < a->n_each && !r; i++)
            r = node_cmp_value(n, &a->each[i]) == 0;
        return r;
    }
    if (a->pull == NULL)
        return node_cmp_value(n, &a->arg) == 0;
    if (a->pull_query) {
        if (n->type != BSON_TYPE_DOCUMENT)
            return false;
        bson_init(&doc);
        wk_unode_to_bson(n, &doc);
        r = wk_mnode_matches_doc(a->pull, &doc, NULL);
        bson_destroy(&doc);
        return r;
    }
    wk_unode_to_value(n, &v);
    bson_init(&doc);
    bson_append_value(&doc, "v", 1, &v);
    if (bson_iter_init_find(&it, &doc, "v"))
        r = wk_mnode_matches_value(a->pull, &it);
    bson_destroy(&doc);
    bson_value_destroy(&v);
    return r;
}

static int
not_array(const wk_uctx_t *c, const wk_uaction_t *a, const wk_unode_t *cur, const char *key)
{
    const char *tn = wk_value_type_name(&(bson_value_t){.value_type = cur->type});
    char *id;

    switch (a->op) {
    case WK_UP_PUSH:
        id = wk_upd_fmt_id(c->orig);
        sdb_error_set(c->err, SDB_CODE_BadValue,
                      "The field '%s' must be an array but is of "
                      "type %s in document %s",
                      key, tn, id);
        bson_free(id);
        return SDB_ECLIENT;
    case WK_UP_ADD_TO_SET:
        return sdb_error_set(c->err, SDB_CODE_BadValue,
                             "Cannot apply $addToSet to non-array "
                             "field. Field named '%s' has non-array type %s",
                             key, tn);
    case WK_UP_POP:
        return sdb_error_set(c->err, SDB_CODE_TypeMismatch,
                             "Path '%s' contains an element of "
                             "non-array type '%s'",
                             key, tn);
    case WK_UP_PULL:
        return sdb_error_set(c->err, SDB_CODE_BadValue,
                             "Cannot apply $pull to a "
                             "non-array value");
    default:
        return sdb_error_set(c->err, SDB_CODE_BadValue,
                             "$pullAll can only be applied to "
                             "an array");
    }
}

int
wk_upd_leaf_array(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *cont, wk_unode_t *cur,
                  size_t pos, const char *key)
{
    wk_unode_t *arr;
    size_t k;

    if (cur == NULL) {
        if (a->op != WK_UP_PUSH && a->op != WK_UP_ADD_TO_SET)
            return 0;
        arr = wk_unode_new_array(key);
        if (a->op == WK_UP_PUSH)
            push_into(a, arr);
        else
            add_to_set(a, arr);
        wk_upd_set_slot(cont, NULL, pos, key, arr);
        return 0;
    }
    if (cur->type != BSON_TYPE_ARRAY)
        return not_array(c, a, cur, key);
    switch (a->op) {
    case WK_UP_PUSH:
        push_into(a, cur);
        break;
    case WK_UP_ADD_TO_SET:
        add_to_set(a, cur);
        break;
    case WK_UP_POP:
        if (cur->n > 0)
            wk_unode_remove(cur, wk_num_double(&a->arg) < 0 ? 0 : cur->n - 1);
        break;
    default:
        for (k = cur->n; k > 0; k--)
            if (pull_matches(a, cur->kids[k - 1]))
                wk_unode_remove(cur, k - 1);
        break;
    }
    return 0;
}
