/*
 * tests/unit/deep.h -- build deeply nested BSON for the depth-bound tests, without recursion.
 *
 * deep_build writes the bytes of a document nested `levels` elements deep in one pass: a
 * pattern of (type, key) pairs is repeated from the outside in (each element holds the next
 * level: 0x03 a document, 0x04 an array), and the innermost element holds `leaf`.  libbson's
 * builders and JSON reader cannot make such documents (they recurse or stop at 100 levels),
 * and the depth tests need thousands of levels, far past the bound, in a few microseconds.
 *
 * Test-only header: static inline functions, included by the Check suites that need it.
 */
#ifndef TESTS_UNIT_DEEP_H
#define TESTS_UNIT_DEEP_H

#include <bson/bson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct deep_level {
    uint8_t type;    /* BSON_TYPE_DOCUMENT or BSON_TYPE_ARRAY: the element's value */
    const char *key; /* the element's name ("0" inside arrays) */
} deep_level_t;

static inline void
deep_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* deep_build -- a new bson_t: `levels` nested elements following pattern[0..np) cyclically
 * (pattern[i % np] is the i-th level's element), the innermost one holding a copy of leaf.
 * The caller destroys it. */
static inline bson_t *
deep_build(const deep_level_t *pattern, size_t np, int levels, const bson_t *leaf)
{
    size_t *len = malloc(sizeof(size_t) * ((size_t)levels + 1));
    size_t total, pos = 0;
    uint8_t *buf;
    bson_t *out;
    int i;

    /* len[i]: bytes of the document at level i (level `levels` is the leaf) */
    len[levels] = leaf->len;
    for (i = levels - 1; i >= 0; i--)
        len[i] = 4 + 1 + strlen(pattern[(size_t)i % np].key) + 1 + len[i + 1] + 1;
    total = len[0];
    buf = malloc(total);
    for (i = 0; i < levels; i++) {
        const deep_level_t *l = &pattern[(size_t)i % np];
        size_t klen = strlen(l->key);

        deep_le32(buf + pos, (uint32_t)len[i]);
        buf[pos + 4] = l->type;
        memcpy(buf + pos + 5, l->key, klen + 1);
        pos += 5 + klen + 1;
    }
    memcpy(buf + pos, bson_get_data(leaf), leaf->len);
    pos += leaf->len;
    for (i = levels - 1; i >= 0; i--)
        buf[pos++] = 0; /* each level's terminating NUL */
    out = bson_new_from_data(buf, total);
    free(buf);
    free(len);
    return out;
}

/* deep_value -- view the first element of `doc` as a value (valid while doc lives). */
static inline void
deep_value(const bson_t *doc, bson_value_t *v)
{
    bson_iter_t it;

    memset(v, 0, sizeof(*v));
    if (bson_iter_init(&it, doc) && bson_iter_next(&it))
        *v = *bson_iter_value(&it);
}

#endif
