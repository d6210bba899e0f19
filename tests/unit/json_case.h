/*
 * tests/unit/json_case.h -- reading the JSON of the engine test tables (matcher,
 * projection, update).
 *
 * The tables write operator keys as "$$x" so that libbson's JSON reader does not take
 * {"$type": ...} or {"$regex": ..., "$options": ...} for extended JSON; json() parses a
 * table string and renames those keys back to "$x".  Static inline helpers, shared by the
 * unit tables and tests/integration/it_query.c.
 */
#ifndef TESTS_UNIT_JSON_CASE_H
#define TESTS_UNIT_JSON_CASE_H

#include <bson/bson.h>
#include <check.h>
#include <stdbool.h>

/* unescape -- copy `in`, renaming keys "$$x" to "$x" (libbson's JSON reader would take
 * {"$type": ...} and {"$regex": ..., "$options": ...} as extended JSON). */
static inline void
unescape(const bson_t *in, bson_t *out)
{
    bson_iter_t it;
    bson_t sub, child;
    const uint8_t *data;
    uint32_t len;
    const char *k;

    bson_iter_init(&it, in);
    while (bson_iter_next(&it)) {
        k = bson_iter_key(&it);
        if (k[0] == '$' && k[1] == '$')
            k++;
        if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            bool arr = BSON_ITER_HOLDS_ARRAY(&it);
            if (arr)
                bson_iter_array(&it, &len, &data);
            else
                bson_iter_document(&it, &len, &data);
            bson_init_static(&sub, data, len);
            if (arr)
                bson_append_array_begin(out, k, -1, &child);
            else
                bson_append_document_begin(out, k, -1, &child);
            unescape(&sub, &child);
            if (arr)
                bson_append_array_end(out, &child);
            else
                bson_append_document_end(out, &child);
        } else {
            bson_append_value(out, k, -1, bson_iter_value(&it));
        }
    }
}

static inline bson_t *
json(const char *s)
{
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)s, -1, &e), *r;

    ck_assert_msg(b != NULL, "bad json %s: %s", s, e.message);
    r = bson_new();
    unescape(b, r);
    bson_destroy(b);
    return r;
}

#endif
