/*
 * src/master/ixcover.c -- exact values of index entries (ixcover.h).
 *
 * A tag is decided when an entry is written: the document's values at the key paths are
 * compared, byte for byte as BSON, with what the key bytes decode to; equal is the one-byte
 * EXACT tag, different stores the values themselves.  A covered scan (ixscan.c) rebuilds the
 * document from the key and the tag, nesting dotted paths.
 *
 * Invariants: pure; no WiredTiger call; every length read from a tag is checked.
 */
#include "ixcover.h"

#include "../common/path.h"
#include "../common/wildcard.h"

#include <string.h>

/* plain_pattern -- ascending/descending numbers only, no field a prefix of another. */
static bool
plain_pattern(const ms_index_t *ix)
{
    bson_iter_t it, other;

    if (ix->coll != NULL || sdb_wildcard_pattern(ix->key) || !bson_iter_init(&it, ix->key))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        size_t n = strlen(k);

        if (!BSON_ITER_HOLDS_NUMBER(&it) || !bson_iter_init(&other, ix->key))
            return false;
        while (bson_iter_next(&other)) {
            const char *o = bson_iter_key(&other);

            if (strncmp(o, k, n) == 0 && o[n] == '.')
                return false;
        }
    }
    return true;
}

bool
ms_ixcover_values(const ms_index_t *ix, const bson_t *doc, bson_t *out)
{
    bson_iter_t kp, v;

    bson_init(out);
    if (!plain_pattern(ix) || !bson_iter_init(&kp, ix->key))
        return false;
    while (bson_iter_next(&kp)) {
        const char *path = bson_iter_key(&kp);

        if (sdb_path_array_prefixes(doc, path) != 0) {
            bson_reinit(out);
            return false;
        }
        if (sdb_path_lookup(doc, path, &v))
            bson_append_iter(out, path, -1, &v);
        else
            bson_append_null(out, path, -1);
    }
    return true;
}

void
ms_ixcover_tag(const ms_index_t *ix, const bson_t *values, const uint8_t *key, size_t len,
               sdb_keybuf_t *tag)
{
    bson_t dec = BSON_INITIALIZER;
    uint8_t t = MS_IXCOVER_VALUES;

    if (sdb_keyenc_decode_key(key, len, ix->key, &dec) == 0 && dec.len == values->len &&
        memcmp(bson_get_data(&dec), bson_get_data(values), dec.len) == 0)
        t = MS_IXCOVER_EXACT;
    bson_destroy(&dec);
    if (tag->cap < tag->len + 1 + values->len) {
        tag->cap = (tag->len + 1 + values->len) * 2;
        tag->data = bson_realloc(tag->data, tag->cap);
    }
    tag->data[tag->len++] = t;
    if (t == MS_IXCOVER_VALUES) {
        memcpy(tag->data + tag->len, bson_get_data(values), values->len);
        tag->len += values->len;
    }
}

/* emitted -- whether an earlier field of flat (before `upto`) already opened component
 * [c, c + n) under prefix p. */
static bool
emitted(const bson_t *flat, const char *upto, const char *p, size_t pn, const char *c, size_t n)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, flat))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (k == upto)
            return false;
        if (strncmp(k, p, pn) == 0 && strncmp(k + pn, c, n) == 0 &&
            (k[pn + n] == '.' || k[pn + n] == '\0'))
            return true;
    }
    return false;
}

/* nest -- the fields of flat under prefix p (pn bytes, "" or ending in '.'), nested. */
static void
nest(const bson_t *flat, const char *p, size_t pn, bson_t *out, int depth)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, flat) || depth > 32)
        return;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it), *rest = k + pn, *dot;
        char sub[512];
        bson_t child;
        size_t n;

        if (strncmp(k, p, pn) != 0)
            continue;
        if ((dot = strchr(rest, '.')) == NULL) {
            bson_append_iter(out, rest, -1, &it);
            continue;
        }
        n = (size_t)(dot - rest);
        if (pn + n + 1 >= sizeof(sub) || emitted(flat, k, p, pn, rest, n))
            continue;
        memcpy(sub, k, pn + n + 1);
        sub[pn + n + 1] = '\0';
        bson_append_document_begin(out, rest, (int)n, &child);
        nest(flat, sub, pn + n + 1, &child, depth + 1);
        bson_append_document_end(out, &child);
    }
}

bool
ms_ixcover_doc(const ms_index_t *ix, const uint8_t *key, size_t len, const uint8_t *tag,
               size_t tlen, bson_t *out)
{
    bson_t flat;
    bool ok = false;

    bson_init(out);
    if (tlen == 0)
        return false;
    if (tag[0] == MS_IXCOVER_EXACT) {
        bson_init(&flat);
        ok = sdb_keyenc_decode_key(key, len, ix->key, &flat) == 0;
    } else if (tag[0] == MS_IXCOVER_VALUES) {
        ok = bson_init_static(&flat, tag + 1, tlen - 1);
    }
    if (ok)
        nest(&flat, "", 0, out, 0);
    if (tag[0] == MS_IXCOVER_EXACT)
        bson_destroy(&flat);
    return ok;
}
