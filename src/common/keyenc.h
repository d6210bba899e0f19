/*
 * src/common/keyenc.h -- order-preserving binary encoding of index keys.
 *
 * memcmp() order of two encoded keys equals sdb_bson_value_cmp() order of the values
 * (field by field for compound keys, each field optionally descending).  Numbers of every
 * type that are equal encode equally (1, 1L, 1.0, decimal 1 -> same bytes).  An index entry
 * in WiredTiger is encoded key bytes followed by the record id (big-endian, sign-flipped) so
 * entries are unique and ordered by (key, record id).  Pure functions; any thread.
 *
 * Encoding (details in keyenc.c): a type byte rising with the type bracket, then a body;
 * numbers are exact (every int64, double and decimal128 keeps its full value, so equal keys
 * mean equal values); strings escape NUL; objects and arrays nest with terminators so no
 * encoding is a prefix of another, which is what lets a descending field simply invert its
 * bytes.  Undefined has its own bracket below null, as in mongod; missing fields key as null;
 * an empty array keys as undefined.
 *
 * Ownership: a keybuf owns its data (bson_realloc; growth aborts on OOM rather than fail);
 * sdb_keybuf_free releases it.  After an error return a keybuf may hold a partial value:
 * reset or free it.  Nothing here logs.
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

/* sdb_keyenc_value -- append the encoding of one value; descending inverts its bytes.
 * SDB_ETOOBIG for a value nested past SDB_BSON_DEPTH_EVAL levels (the encoder carries its
 * depth), SDB_ECORRUPT for malformed BSON; the buffer then holds a partial value. */
int sdb_keyenc_value(sdb_keybuf_t *kb, const bson_value_t *v, int descending);

/* sdb_keyenc_value_coll -- the same with a collation (NULL = none): strings, also inside
 * documents and arrays, encode as their ICU sort keys (collation.h), so values the collation
 * calls equal encode equally and the byte order is the collation's. */
struct sdb_collation;
int sdb_keyenc_value_coll(sdb_keybuf_t *kb, const bson_value_t *v, int descending,
                          const struct sdb_collation *coll);

/* sdb_keyenc_rid -- append a record id so that memcmp order equals numeric order. */
void sdb_keyenc_rid(sdb_keybuf_t *kb, int64_t rid);

/* sdb_keyenc_decode_rid -- read the record id from the last 8 bytes of an index entry. */
int64_t sdb_keyenc_decode_rid(const uint8_t *entry, size_t len);

/* sdb_keyenc_decode_value -- decode one value written by sdb_keyenc_value at *pos, advance
 * *pos; fills a bson document field named `name` in `out` (numbers decode as double unless
 * exactly an int64/int32 value; used for keyValue in error messages and for debugging). */
int sdb_keyenc_decode_value(const uint8_t *buf, size_t len, size_t *pos, int descending,
                            bson_t *out, const char *name);

/* sdb_keyenc_decode_key -- decode a whole compound key (as produced by sdb_keyenc_keys, with
 * or without a trailing record id) into {field: value, ...} named by key_pattern: mongod's
 * keyValue for DuplicateKey errors.  SDB_ECORRUPT on malformed bytes. */
int sdb_keyenc_decode_key(const uint8_t *key, size_t len, const bson_t *key_pattern, bson_t *out);

/* sdb_keyenc_bracket -- append a one-byte bound for one key field: with end == 0 it sorts at
 * or before every value of t's type bracket (equal only to one-byte values such as NaN or
 * null), with end != 0 after every value of it and before the next bracket.  Index scans use
 * it for type-bracketed bounds such as {$gt: 5} -> (5, end of numbers).  descending inverts
 * it like a value, so the order of the two sentinels flips too. */
void sdb_keyenc_bracket(sdb_keybuf_t *kb, bson_type_t t, int end, int descending);

/* sdb_keyenc_keys -- derive every index key of a document for a key pattern
 * ({a: 1, "b.c": -1}): dotted paths descend through sub-documents and arrays; an array
 * value makes one key per element (multikey; an empty array keys as undefined; a missing
 * field keys as null).  Calls fn(key_bytes, len, ctx) for each distinct key; `*multikey` is
 * set when an array was expanded.  Returns 0 or the first non-zero value fn returned,
 * or SDB_ECLIENT with err set (code 171 CannotIndexParallelArrays for two array fields,
 * 15 Overflow for a value nested past SDB_BSON_DEPTH_EVAL levels). */
struct sdb_error;
int sdb_keyenc_keys(const bson_t *doc, const bson_t *key_pattern,
                    int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, int *multikey,
                    struct sdb_error *err);

/* sdb_keyenc_keys_coll -- sdb_keyenc_keys for an index with a collation (NULL = none): string
 * values key as their collation keys (sdb_keyenc_value_coll; a hashed string field hashes its
 * collation key, as mongod does). */
int sdb_keyenc_keys_coll(const bson_t *doc, const bson_t *key_pattern,
                         const struct sdb_collation *coll,
                         int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx,
                         int *multikey, struct sdb_error *err);

#endif
