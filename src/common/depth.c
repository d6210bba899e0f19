/*
 * src/common/depth.c -- how deep a document nests, measured without recursion.
 *
 * sdb_depth_doc_ok walks a document's embedded documents and arrays (and CodeWScope scopes)
 * with an explicit stack of iterators that never holds more than max_depth of them, so the
 * walk itself is bounded whatever the input: it stops at the first level past the bound.
 * The evaluators use it on what they built before it leaves them (an update's result, a
 * document $out or $merge writes), so no value deeper than SDB_BSON_DEPTH_EVAL reaches the
 * master, whose own checks recurse.
 *
 * Pure function; any thread, either process.  Input must be well-formed BSON (an embedded
 * document that fails to iterate counts as empty).
 */
#include "depth.h"

#include <string.h>

/* nested_bytes -- the bytes of a nested document the iterator is on, or false. */
static bool
nested_bytes(const bson_iter_t *it, const uint8_t **data, uint32_t *len)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)it);

    if (v->value_type == BSON_TYPE_DOCUMENT || v->value_type == BSON_TYPE_ARRAY) {
        *data = v->value.v_doc.data;
        *len = v->value.v_doc.data_len;
        return true;
    }
    if (v->value_type == BSON_TYPE_CODEWSCOPE) {
        *data = v->value.v_codewscope.scope_data;
        *len = v->value.v_codewscope.scope_len;
        return true;
    }
    return false;
}

bool
sdb_depth_doc_ok(const bson_t *doc, int max_depth)
{
    bson_iter_t *stack;
    const uint8_t *data;
    uint32_t len;
    int n = 0;
    bool ok = true;

    if (max_depth < 1)
        return false;
    stack = bson_malloc(sizeof(*stack) * (size_t)max_depth);
    if (bson_iter_init(&stack[0], doc))
        n = 1; /* a document's own fields are at level 1 */
    while (n > 0) {
        if (!bson_iter_next(&stack[n - 1])) {
            n--;
            continue;
        }
        if (!nested_bytes(&stack[n - 1], &data, &len))
            continue;
        if (n == max_depth) {
            ok = false;
            break;
        }
        if (bson_iter_init_from_data(&stack[n], data, len))
            n++;
    }
    bson_free(stack);
    return ok;
}
