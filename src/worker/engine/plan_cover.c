/*
 * src/worker/engine/plan_cover.c -- covered plans: when the index alone answers a find.
 *
 * mongod drops the FETCH of an index plan when every field the query reads is a key field
 * of a non-multikey index (PROJECTION_COVERED over IXSCAN).  The same test here: the
 * filter's fields (each an exact test of a key value: comparisons and $in over scalars; a
 * null, a document or an array would tell a missing field from a null key, or test a
 * structure the key does not keep), the sort's fields and an inclusion projection's fields
 * must all be key fields, _id excluded unless it is one.  The master returns the key values
 * exactly (master/ixcover.h), so the matcher, the sort and the projection run on them
 * unchanged.
 *
 * An $or planned as one scan per clause (OR, or SORT_MERGE) is covered the same way when
 * every clause's index passes that test for the whole filter (the $or's clauses included):
 * mongod needs only the projection's fields in each branch's index, but here a later
 * clause skips a record an earlier clause's ranges hold by computing that clause's entry
 * from the record it has (exec.c earlier_clause, exec_merge.c earlier), a key document
 * once covered, which must then hold every bounded field.  mongod shows such a plan as
 * PROJECTION_DEFAULT over the OR (its covered projection reads one index's keys only).
 *
 * Invariants: event-loop thread only; reads the plan, sets only ex->covered.
 */
#include "exec.h"
#include "exec_merge.h"

#include <string.h>

#define WK_COVER_DEPTH 8

/* key_field -- is `f` (len bytes, -1 = NUL-terminated) one of the plan's key fields? */
static bool
key_field(const wk_exec_plan_t *p, const char *f, int len)
{
    bson_iter_t kp;
    size_t n = len < 0 ? strlen(f) : (size_t)len;

    if (!bson_iter_init(&kp, &p->key))
        return false;
    while (bson_iter_next(&kp))
        if (strlen(bson_iter_key(&kp)) == n && strncmp(bson_iter_key(&kp), f, n) == 0)
            return true;
    return false;
}

/* scalar -- a value a key compares exactly: not null/undefined, a document, an array or a
 * regex (the executor would need the record to tell those apart). */
static bool
scalar(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
    case BSON_TYPE_REGEX:
    case BSON_TYPE_MINKEY:
    case BSON_TYPE_MAXKEY:
        return false;
    default:
        return true;
    }
}

/* exact_ops -- {$op: v...} with only comparisons and $in over scalars. */
static bool
exact_ops(const bson_iter_t *val)
{
    static const char *const ops[] = {"$eq", "$gt", "$gte", "$lt", "$lte", "$in", NULL};
    bson_iter_t o, e;
    bool any = false;

    if (!bson_iter_recurse(val, &o))
        return false;
    while (bson_iter_next(&o)) {
        const char *k = bson_iter_key(&o);
        size_t i;

        for (i = 0; ops[i] != NULL && strcmp(ops[i], k) != 0; i++)
            ;
        if (ops[i] == NULL)
            return false;
        if (strcmp(k, "$in") != 0) {
            if (!scalar(&o))
                return false;
        } else {
            if (!BSON_ITER_HOLDS_ARRAY(&o) || !bson_iter_recurse(&o, &e))
                return false;
            while (bson_iter_next(&e))
                if (!scalar(&e))
                    return false;
        }
        any = true;
    }
    return any;
}

/* filter_covered -- every predicate of f (and of its $and, and of its $or when `or`) tests
 * a key field exactly. */
static bool
filter_covered(const wk_exec_plan_t *p, const bson_t *f, bool or, int depth)
{
    bson_iter_t it, arr;

    if (f == NULL || depth > WK_COVER_DEPTH || !bson_iter_init(&it, f))
        return f == NULL;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$and") == 0 || (or &&strcmp(k, "$or") == 0)) {
            if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
                return false;
            while (bson_iter_next(&arr)) {
                const uint8_t *d;
                uint32_t len;
                bson_t sub;

                if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
                    return false;
                bson_iter_document(&arr, &len, &d);
                if (!bson_init_static(&sub, d, len) || !filter_covered(p, &sub, or, depth + 1))
                    return false;
            }
            continue;
        }
        if (!key_field(p, k, -1))
            return false;
        if (BSON_ITER_HOLDS_DOCUMENT(&it) ? !exact_ops(&it) : !scalar(&it))
            return false;
    }
    return true;
}

/* projection_covered -- an inclusion of key fields only, _id excluded or a key field. */
static bool
projection_covered(const wk_exec_plan_t *p, const bson_t *proj)
{
    bson_iter_t it;
    bool id_out = false, any = false;

    if (proj == NULL || bson_empty(proj) || !bson_iter_init(&it, proj))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool on;

        if (!(BSON_ITER_HOLDS_NUMBER(&it) || BSON_ITER_HOLDS_BOOL(&it)))
            return false;
        on = bson_iter_as_bool(&it);
        if (strcmp(k, "_id") == 0) {
            id_out = !on;
            if (on && !key_field(p, k, -1))
                return false;
            continue;
        }
        if (!on || !key_field(p, k, -1))
            return false;
        any = true;
    }
    return any && (id_out || key_field(p, "_id", -1));
}

/* sort_covered -- every sort field is a key field. */
static bool
sort_covered(const wk_exec_plan_t *p, const bson_t *sort)
{
    bson_iter_t it;

    if (sort == NULL || !bson_iter_init(&it, sort))
        return true;
    while (bson_iter_next(&it))
        if (!BSON_ITER_HOLDS_NUMBER(&it) || !key_field(p, bson_iter_key(&it), -1))
            return false;
    return true;
}

/* plain_keys -- a non-multikey index of plain fields (hashed, text and wildcard keys do not
 * hold the values). */
static bool
plain_keys(const wk_exec_plan_t *p)
{
    bson_iter_t kp;

    if (p->multikey || !bson_iter_init(&kp, &p->key))
        return false;
    while (bson_iter_next(&kp))
        if (!BSON_ITER_HOLDS_NUMBER(&kp) || bson_iter_key(&kp)[0] == '$')
            return false;
    return true;
}

/* plan_covers -- p's keys alone answer the read (or: the filter's $or clauses too). */
static bool
plan_covers(const wk_exec_plan_t *p, const bson_t *filter, const bson_t *projection,
            const bson_t *sort, bool or)
{
    return plain_keys(p) && filter_covered(p, filter, or, 0) && projection_covered(p, projection) &&
           sort_covered(p, sort);
}

void
wk_exec_cover(wk_exec_t *ex, const bson_t *filter, const bson_t *projection, const bson_t *sort)
{
    size_t n = ex->merge != NULL ? wk_exec_merge_count(ex) : ex->nor;

    if (ex->mode != WK_EXEC_SEC)
        return;
    if (n == 0) {
        ex->covered = plan_covers(&ex->plan, filter, projection, sort, false);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!plan_covers(ex->merge != NULL ? wk_exec_merge_plan(ex, i) : ex->ors[i], filter,
                         projection, sort, true))
            return;
    wk_exec_cover_set(ex, true);
}

void
wk_exec_cover_set(wk_exec_t *ex, bool covered)
{
    ex->covered = covered;
    for (size_t i = 0; i < wk_exec_merge_count(ex); i++)
        wk_exec_merge_sub(ex, i)->covered = covered;
}
