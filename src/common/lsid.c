/*
 * src/common/lsid.c -- a logical session's key {id, uid}: parse, append, compare, hash.
 *
 * The one place that knows how a session key travels in a storage request (lsid.h): a
 * document with a 16-byte `id` and a 32-byte `uid`.  Lengths are checked before anything is
 * copied, so a malformed request never reads past its field.
 *
 * Invariants: pure functions of their arguments; any thread, any process.
 */
#include "lsid.h"

#include <string.h>

bool
sdb_lsid_binary_field(const bson_t *doc, const char *key, uint32_t len, uint8_t *out)
{
    bson_iter_t it;
    bson_subtype_t st;
    const uint8_t *data;
    uint32_t n;

    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_BINARY(&it))
        return false;
    bson_iter_binary(&it, &st, &n, &data);
    if (n != len)
        return false;
    memcpy(out, data, len);
    return true;
}

bool
sdb_lsid_from_doc(const bson_t *doc, sdb_lsid_t *out)
{
    return sdb_lsid_binary_field(doc, "id", SDB_LSID_ID_LEN, out->id) &&
           sdb_lsid_binary_field(doc, "uid", SDB_LSID_UID_LEN, out->uid);
}

bool
sdb_lsid_from_iter(const bson_iter_t *it, sdb_lsid_t *out)
{
    const uint8_t *data;
    uint32_t len;
    bson_t doc;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return false;
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(&doc, data, len))
        return false;
    return sdb_lsid_from_doc(&doc, out);
}

bool
sdb_lsid_from_field(const bson_t *doc, const char *key, sdb_lsid_t *out)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, doc, key) && sdb_lsid_from_iter(&it, out);
}

void
sdb_lsid_append_fields(bson_t *doc, const sdb_lsid_t *l)
{
    BSON_APPEND_BINARY(doc, "id", BSON_SUBTYPE_UUID, l->id, SDB_LSID_ID_LEN);
    BSON_APPEND_BINARY(doc, "uid", BSON_SUBTYPE_BINARY, l->uid, SDB_LSID_UID_LEN);
}

void
sdb_lsid_append(bson_t *b, const char *key, const sdb_lsid_t *l)
{
    bson_t d;

    bson_append_document_begin(b, key, -1, &d);
    sdb_lsid_append_fields(&d, l);
    bson_append_document_end(b, &d);
}

bool
sdb_lsid_eq(const sdb_lsid_t *a, const sdb_lsid_t *b)
{
    return memcmp(a->id, b->id, SDB_LSID_ID_LEN) == 0 &&
           memcmp(a->uid, b->uid, SDB_LSID_UID_LEN) == 0;
}

uint64_t
sdb_lsid_hash(const sdb_lsid_t *l)
{
    uint64_t h, u;

    memcpy(&h, l->id + 8, sizeof(h)); /* random bits of a v4 UUID */
    memcpy(&u, l->uid, sizeof(u));    /* a SHA-256: random-looking too */
    return h ^ (u * 0x9e3779b97f4a7c15ull);
}

void
sdb_lsid_words(const sdb_lsid_t *key, uint64_t out[SDB_LSID_WORDS])
{
    memcpy(out, key->id, SDB_LSID_ID_LEN);
    memcpy(out + SDB_LSID_ID_LEN / 8, key->uid, SDB_LSID_UID_LEN);
}
