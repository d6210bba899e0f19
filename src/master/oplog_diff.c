/*
 * src/master/oplog_diff.c -- compute mongod's $v:2 update diff from two documents.
 *
 * Fields of the new document are matched in order with the old one's (fields the new one
 * drops may lie between): a field whose bytes differ becomes a sub-diff (both documents sharing a field name, or both arrays sharing an
 * element, so that $set of "a.b" logs a.b and $set of a whole new value logs a) or an update.  A field that is new, or that would break the old order, is an insert (it lands at
 * the end, where mongod's diff applier puts it), and so is every field after it; a field of
 * the old document that the new one lacks is a delete.  Arrays are compared
 * index by index; a shorter new array records its new length ("l").  Pure functions; the
 * recursion is bounded by the stored documents' depth (100, bsonvalid.h).
 */
#include "oplog_diff.h"

#include <stdio.h>
#include <string.h>

static void diff_doc(const bson_t *pre, const bson_t *post, bson_t *out);

/* same_value -- the two elements have the same type and the same value bytes. */
static bool
same_value(const bson_iter_t *a, const bson_iter_t *b)
{
    uint32_t la = a->next_off - a->d1, lb = b->next_off - b->d1;

    return bson_iter_type(a) == bson_iter_type(b) && la == lb &&
           memcmp(a->raw + a->d1, b->raw + b->d1, la) == 0;
}

static bool
view(const bson_iter_t *it, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;

    if (BSON_ITER_HOLDS_DOCUMENT(it))
        bson_iter_document(it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(it))
        bson_iter_array(it, &len, &data);
    else
        return false;
    return bson_init_static(out, data, len);
}

/* related -- whether a sub-diff describes the change better than the whole new value, as
 * mongod's update log does: documents sharing a field name, arrays of the same length or
 * sharing an element at the same index.  Otherwise the new value replaces the old one whole. */
static bool
related(const bson_t *pre, const bson_t *post, bool array)
{
    bson_iter_t a, b;

    if (array && bson_count_keys(pre) == bson_count_keys(post))
        return true; /* an element changed in place */
    bson_iter_init(&a, pre);
    while (bson_iter_next(&a)) {
        if (!bson_iter_init_find(&b, post, bson_iter_key(&a)))
            continue;
        if (!array || same_value(&a, &b))
            return true;
    }
    return false;
}

/* diff_array -- {a: true, l?: newSize, u<k>/s<k>...}. */
static void
diff_array(const bson_t *pre, const bson_t *post, bson_t *out)
{
    uint32_t npre = bson_count_keys(pre), npost = bson_count_keys(post), k = 0;
    bson_iter_t a, b;
    char key[24];
    bool more_a;

    bson_init(out);
    BSON_APPEND_BOOL(out, "a", true);
    if (npost < npre)
        BSON_APPEND_INT32(out, "l", (int32_t)npost);
    bson_iter_init(&a, pre);
    bson_iter_init(&b, post);
    more_a = bson_iter_next(&a);
    for (; bson_iter_next(&b); k++) {
        bson_t va, vb, sub;

        if (more_a && same_value(&a, &b)) {
            more_a = bson_iter_next(&a);
            continue;
        }
        if (more_a && bson_iter_type(&a) == bson_iter_type(&b) && view(&a, &va) && view(&b, &vb) &&
            related(&va, &vb, BSON_ITER_HOLDS_ARRAY(&b))) {
            if (BSON_ITER_HOLDS_ARRAY(&b))
                diff_array(&va, &vb, &sub);
            else
                diff_doc(&va, &vb, &sub);
            snprintf(key, sizeof(key), "s%u", k);
            BSON_APPEND_DOCUMENT(out, key, &sub);
            bson_destroy(&sub);
            more_a = bson_iter_next(&a);
            continue;
        }
        snprintf(key, sizeof(key), "u%u", k);
        bson_append_iter(out, key, -1, &b);
        if (more_a)
            more_a = bson_iter_next(&a);
    }
}

/* field_diff -- a field present in both with different bytes: s<f> or u.f. */
static void
field_diff(const bson_iter_t *a, const bson_iter_t *b, bson_t *u, bson_t *subs)
{
    bson_t va, vb, sub;
    char key[1100];

    if (bson_iter_type(a) == bson_iter_type(b) && view(a, &va) && view(b, &vb) &&
        related(&va, &vb, BSON_ITER_HOLDS_ARRAY(b))) {
        if (BSON_ITER_HOLDS_ARRAY(b))
            diff_array(&va, &vb, &sub);
        else
            diff_doc(&va, &vb, &sub);
        if ((size_t)snprintf(key, sizeof(key), "s%s", bson_iter_key(b)) < sizeof(key)) {
            BSON_APPEND_DOCUMENT(subs, key, &sub);
            bson_destroy(&sub);
            return;
        }
        bson_destroy(&sub);
    }
    bson_append_iter(u, bson_iter_key(b), -1, b);
}

/* seek_in_order -- move *a forward to the field named like *b when only fields that `post`
 * drops lie in between (so the new document keeps the old order): true when found there. */
static bool
seek_in_order(bson_iter_t *a, const bson_iter_t *b, const bson_t *post)
{
    bson_iter_t c = *a, probe;

    do {
        if (strcmp(bson_iter_key(&c), bson_iter_key(b)) == 0) {
            *a = c;
            return true;
        }
        if (bson_iter_init_find(&probe, post, bson_iter_key(&c)))
            return false; /* a field the new document keeps comes first: the order changed */
    } while (bson_iter_next(&c));
    return false;
}

static void
diff_doc(const bson_t *pre, const bson_t *post, bson_t *out)
{
    bson_t d = BSON_INITIALIZER, u = BSON_INITIALIZER, ins = BSON_INITIALIZER;
    bson_t subs = BSON_INITIALIZER;
    bson_iter_t a, b, probe;
    bool more_a, inserting = false;

    bson_iter_init(&a, pre);
    bson_iter_init(&b, post);
    more_a = bson_iter_next(&a);
    while (bson_iter_next(&b)) {
        if (!inserting && more_a && seek_in_order(&a, &b, post)) {
            if (!same_value(&a, &b))
                field_diff(&a, &b, &u, &subs);
            more_a = bson_iter_next(&a);
            continue;
        }
        inserting = true; /* an insert lands at the end: so must every field after it */
        bson_append_iter(&ins, bson_iter_key(&b), -1, &b);
    }
    bson_iter_init(&a, pre);
    while (bson_iter_next(&a))
        if (!bson_iter_init_find(&probe, post, bson_iter_key(&a)))
            bson_append_bool(&d, bson_iter_key(&a), -1, false);
    bson_init(out);
    if (!bson_empty(&d))
        BSON_APPEND_DOCUMENT(out, "d", &d);
    if (!bson_empty(&u))
        BSON_APPEND_DOCUMENT(out, "u", &u);
    if (!bson_empty(&ins))
        BSON_APPEND_DOCUMENT(out, "i", &ins);
    bson_concat(out, &subs);
    bson_destroy(&d);
    bson_destroy(&u);
    bson_destroy(&ins);
    bson_destroy(&subs);
}

void
ms_oplog_update_o(const bson_t *old, const bson_t *new, bson_t *out)
{
    bson_t diff;

    diff_doc(old, new, &diff);
    bson_init(out);
    BSON_APPEND_INT32(out, "$v", 2);
    BSON_APPEND_DOCUMENT(out, "diff", &diff);
    bson_destroy(&diff);
}
