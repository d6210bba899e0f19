/*
 * src/common/keyenc.h -- order-preserving binary encoding of index keys.
 *
 * memcmp() order of two encoded keys equals sdb_bson_value_cmp() order of the values
 * (field by field for compound keys, each field optionally descending).  Numbers of every
 * type that are equal encode equally (1, 1L, 1.0, decimal 1 -> same bytes).  An index entry
 * in WiredTiger is encoded key bytes followed by the record id (big-endian, sign-flipped) so
 * entries are unique and ordered by (key, record id).  Pure functions; any thread.
 */
#ifndef SDB_KEYENC_H
#define SDB_KEYENC_H

#include <bson/bson.h>
#include <stdint.h>

typedef struct sdb_keybuf {
    uint8_t *data;
    size_t len, cap;
} sdb_keybuf_t;

void sdb_keybuf_init(sdb_keybuf_t *kb);
void sdb_keybuf_reset(sdb_keybuf_t *kb);
void sdb_keybuf_free(sdb_keybuf_t *kb);

/* sdb_keyenc_value -- append the encoding of one value; descending inverts its bytes. */
int sdb_keyenc_value(sdb_keybuf_t *kb, const bson_value_t *v, int descending);

/* sdb_keyenc_rid -- append a record id so that memcmp order equals numeric order. */
void sdb_keyenc_rid(sdb_keybuf_t *kb, int64_t rid);

/* sdb_keyenc_decode_rid -- read the record id from the last 8 bytes of an index entry. */
int64_t sdb_keyenc_decode_rid(const uint8_t *entry, size_t len);

/* sdb_keyenc_decode_value -- decode one value written by sdb_keyenc_value at *pos, advance
 * *pos; fills a bson document field named `name` in `out` (numbers decode as double unless
 * exactly an int64/int32 value; used for keyValue in error messages and for debugging). */
int sdb_keyenc_decode_value(const uint8_t *buf, size_t len, size_t *pos, int descending,
                            bson_t *out, const char *name);

/* sdb_keyenc_keys -- derive every index key of a document for a key pattern
 * ({a: 1, "b.c": -1}): dotted paths descend through sub-documents and arrays; an array
 * value makes one key per element (multikey; an empty array keys as undefined; a missing
 * field keys as null).  Calls fn(key_bytes, len, ctx) for each distinct key; `*multikey` is
 * set when an array was expanded.  Returns 0 or the first non-zero value fn returned,
 * or SDB_ECLIENT with err set (code 171 CannotIndexParallelArrays) for two array fields. */
struct sdb_error;
int sdb_keyenc_keys(const bson_t *doc, const bson_t *key_pattern,
                    int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx,
                    int *multikey, struct sdb_error *err);

#endif
