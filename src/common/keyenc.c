/*
 * src/common/keyenc.c -- order-preserving binary encoding of index keys.
 *
 * Every value encodes as a type byte followed by a body, chosen so that memcmp() of two
 * encodings orders them exactly as sdb_bson_value_cmp() does, and equal values (1, 1L, 1.0,
 * decimal 1.000) encode to identical bytes.  Type bytes rise with the type bracket; numbers
 * spread over six type bytes (NaN, -inf, negative, zero, positive, +inf) and a negative or
 * positive number continues with the canonical exact decimal form of bsoncmp.c: a 16-bit
 * biased decimal exponent, then the digits as nibbles (digit + 1) ended by a zero nibble,
 * all inverted for negatives.  Strings escape 0x00 as 0x00 0xFF and end with 0x00 0x00;
 * objects are [bracket byte, name, 0x00, value]... 0x00; arrays are [value]... 0x00;
 * fixed-size bodies (ObjectId, dates, ...) are big-endian with the sign bit flipped where
 * signed.  No encoding is a proper prefix of another, so inverting a field's bytes for a
 * descending index reverses its order even inside a compound key.
 *
 * sdb_keyenc_keys follows mongod's BtreeKeyGenerator: dotted paths walk sub-documents; the
 * first array met on any path is expanded one element at a time (fields sharing that array
 * advance together, element by element); a numeric path component indexes into an array;
 * a second, different array on another field is CannotIndexParallelArrays; a missing field
 * keys as null and an empty array as undefined.  Keys are deduplicated by their bytes and
 * handed out in ascending order.
 *
 * Invariants: pure functions; keybufs grow with bson_realloc (which aborts rather than fail),
 * so an encoder never leaves a half-written value except on an error return, when the
 * caller discards the buffer.  Any thread of any process may call these functions.
 * Limits: at most 32 fields in a key pattern; values nested deeper than KE_MAX_DEPTH
 * (SDB_BSON_DEPTH_EVAL) are refused: SDB_ETOOBIG from the value encoder and decoder, which
 * have no client error, and 15 Overflow from sdb_keyenc_keys.  Every recursion here carries
 * its depth, so no value reaches the end of the caller's stack.
 * Non-numeric pattern values ("text", "2dsphere") are treated as ascending.
 * A pattern with a "hashed" field follows mongod's hashed key generator instead: one key
 * per document, each field taken at its dotted path without traversing arrays (an array
 * anywhere on a path is 16766), the hashed field keyed by its 64-bit hash (hash.h) as a
 * long, a missing field as null.
 */
#include "keyenc.h"

#include "bsoncmp.h"
#include "collation.h"
#include "depth.h"
#include "errors.h"
#include "geo/geo_keys.h"
#include "hash.h"
#include "sdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type bytes, ascending with sdb_bson_type_order; 0x00 is the end of an object or array. */
#define KE_MINKEY 0x08
#define KE_UNDEFINED 0x0c
#define KE_NULL 0x10
#define KE_NUM 0x20 /* + SDB_NUM_* class: 0x20 NaN .. 0x25 +inf */
#define KE_STRING 0x30
#define KE_OBJECT 0x38
#define KE_ARRAY 0x40
#define KE_BINARY 0x48
#define KE_OID 0x50
#define KE_BOOL 0x58
#define KE_DATE 0x60
#define KE_TIMESTAMP 0x68
#define KE_REGEX 0x70
#define KE_DBPOINTER 0x78
#define KE_CODE 0x80
#define KE_CODEWSCOPE 0x88
#define KE_UNKNOWN 0xf0
#define KE_MAXKEY 0xf8

#define KE_EXP_BIAS 0x8000
#define KE_MAX_DEPTH SDB_BSON_DEPTH_EVAL /* depth.h: the bound of every recursive walk */
#define KE_MAX_FIELDS 32

/* ---- key buffers ----------------------------------------------------------------------- */

/*
 * sdb_keybuf_init -- an empty buffer that owns no memory yet.
 */
void
sdb_keybuf_init(sdb_keybuf_t *kb)
{
    kb->data = NULL;
    kb->len = kb->cap = 0;
}

/*
 * sdb_keybuf_reset -- forget the contents, keep the memory.
 */
void
sdb_keybuf_reset(sdb_keybuf_t *kb)
{
    kb->len = 0;
}

/*
 * sdb_keybuf_free -- release the memory; the buffer is empty and reusable afterwards.
 */
void
sdb_keybuf_free(sdb_keybuf_t *kb)
{
    bson_free(kb->data);
    sdb_keybuf_init(kb);
}

static void
kb_grow(sdb_keybuf_t *kb, size_t n)
{
    size_t cap;

    if (kb->len + n <= kb->cap)
        return;
    cap = kb->cap != 0 ? kb->cap : 64;
    while (cap < kb->len + n)
        cap *= 2;
    kb->data = bson_realloc(kb->data, cap);
    kb->cap = cap;
}

static void
kb_put(sdb_keybuf_t *kb, const void *p, size_t n)
{
    if (n == 0)
        return;
    kb_grow(kb, n);
    memcpy(kb->data + kb->len, p, n);
    kb->len += n;
}

static void
kb_byte(sdb_keybuf_t *kb, uint8_t b)
{
    kb_grow(kb, 1);
    kb->data[kb->len++] = b;
}

static void
kb_be32(sdb_keybuf_t *kb, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    kb_put(kb, b, 4);
}

static void
kb_be64(sdb_keybuf_t *kb, uint64_t v)
{
    kb_be32(kb, (uint32_t)(v >> 32));
    kb_be32(kb, (uint32_t)v);
}

/* kb_escaped -- bytes with 0x00 -> 0x00 0xFF, then the terminator 0x00 0x00. */
static void
kb_escaped(sdb_keybuf_t *kb, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i, start = 0;

    for (i = 0; i < n; i++) {
        if (p[i] != 0)
            continue;
        kb_put(kb, p + start, i + 1 - start);
        kb_byte(kb, 0xff);
        start = i + 1;
    }
    kb_put(kb, p + start, n - start);
    kb_byte(kb, 0);
    kb_byte(kb, 0);
}

/* kb_cstr -- a string without NULs (field name, regex) and its NUL terminator. */
static void
kb_cstr(sdb_keybuf_t *kb, const char *s)
{
    kb_put(kb, s, strlen(s) + 1);
}

static void
kb_invert(sdb_keybuf_t *kb, size_t from)
{
    size_t i;

    for (i = from; i < kb->len; i++)
        kb->data[i] = (uint8_t)~kb->data[i];
}

/* ---- encoding -------------------------------------------------------------------------- */

/* type_byte -- the leading byte of a value's encoding (numbers: see enc_number). */
static uint8_t
type_byte(bson_type_t t)
{
    switch (sdb_bson_type_order(t)) {
    case -1:
        return KE_MINKEY;
    case 0:
        return KE_UNDEFINED;
    case 5:
        return KE_NULL;
    case 10:
        return KE_NUM;
    case 15:
        return KE_STRING;
    case 20:
        return KE_OBJECT;
    case 25:
        return KE_ARRAY;
    case 30:
        return KE_BINARY;
    case 35:
        return KE_OID;
    case 40:
        return KE_BOOL;
    case 45:
        return KE_DATE;
    case 47:
        return KE_TIMESTAMP;
    case 50:
        return KE_REGEX;
    case 55:
        return KE_DBPOINTER;
    case 60:
        return KE_CODE;
    case 65:
        return KE_CODEWSCOPE;
    case 127:
        return KE_MAXKEY;
    default:
        return KE_UNKNOWN;
    }
}

static void
enc_number(sdb_keybuf_t *kb, const bson_value_t *v)
{
    sdb_num_t n;
    size_t start, i;
    uint32_t e;

    sdb_num_from_value(v, &n);
    kb_byte(kb, (uint8_t)(KE_NUM + n.cls));
    if (n.cls != SDB_NUM_NEG && n.cls != SDB_NUM_POS)
        return;
    start = kb->len;
    e = (uint32_t)(n.exp10 + KE_EXP_BIAS);
    kb_byte(kb, (uint8_t)(e >> 8));
    kb_byte(kb, (uint8_t)e);
    for (i = 0; i < n.ndigits; i += 2) {
        uint8_t hi = (uint8_t)(n.digits[i] + 1);
        uint8_t lo = i + 1 < n.ndigits ? (uint8_t)(n.digits[i + 1] + 1) : 0;

        kb_byte(kb, (uint8_t)(hi << 4 | lo));
    }
    if (n.ndigits % 2 == 0)
        kb_byte(kb, 0); /* the terminator nibble, padded */
    if (n.cls == SDB_NUM_NEG)
        kb_invert(kb, start);
}

static int enc_value(sdb_keybuf_t *kb, const bson_value_t *v, const sdb_collation_t *coll,
                     int depth);

/* enc_body -- the elements of an object (with names) or array (without), then 0x00. */
static int
enc_body(sdb_keybuf_t *kb, const uint8_t *data, uint32_t len, int names,
         const sdb_collation_t *coll, int depth)
{
    bson_iter_t it;

    if (depth > KE_MAX_DEPTH)
        return SDB_ETOOBIG;
    if (!bson_iter_init_from_data(&it, data, len))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        if (names) {
            kb_byte(kb, type_byte(bson_iter_type(&it)));
            kb_cstr(kb, bson_iter_key(&it));
        }
        SDB_RET(enc_value(kb, bson_iter_value(&it), coll, depth + 1));
    }
    kb_byte(kb, 0);
    return 0;
}

/* enc_rare -- timestamp, regex, DBPointer, code, CodeWScope (type byte already out). */
static int
enc_rare(sdb_keybuf_t *kb, const bson_value_t *v, int depth)
{
    switch (v->value_type) {
    case BSON_TYPE_TIMESTAMP:
        kb_be32(kb, v->value.v_timestamp.timestamp);
        kb_be32(kb, v->value.v_timestamp.increment);
        return 0;
    case BSON_TYPE_REGEX:
        kb_cstr(kb, v->value.v_regex.regex);
        kb_cstr(kb, v->value.v_regex.options != NULL ? v->value.v_regex.options : "");
        return 0;
    case BSON_TYPE_DBPOINTER:
        kb_be32(kb, v->value.v_dbpointer.collection_len);
        kb_put(kb, v->value.v_dbpointer.collection, v->value.v_dbpointer.collection_len);
        kb_put(kb, v->value.v_dbpointer.oid.bytes, 12);
        return 0;
    case BSON_TYPE_CODE:
        kb_escaped(kb, v->value.v_code.code, v->value.v_code.code_len);
        return 0;
    case BSON_TYPE_CODEWSCOPE:
        kb_escaped(kb, v->value.v_codewscope.code, v->value.v_codewscope.code_len);
        return enc_body(kb, v->value.v_codewscope.scope_data, v->value.v_codewscope.scope_len, 1,
                        NULL, depth);
    default:
        return 0; /* MinKey, MaxKey, undefined, null, unknown types: the type byte alone */
    }
}

/* enc_collated -- a string under a collation: its ICU sort key, escaped like a string. */
static void
enc_collated(sdb_keybuf_t *kb, const sdb_collation_t *coll, const char *s, size_t len)
{
    size_t cap = 128, n;
    uint8_t *buf = bson_malloc(cap);

    n = sdb_collation_key(coll, s, len, &buf, &cap);
    kb_escaped(kb, (const char *)buf, n);
    bson_free(buf);
}

static int
enc_value(sdb_keybuf_t *kb, const bson_value_t *v, const sdb_collation_t *coll, int depth)
{
    uint8_t t = type_byte(v->value_type);

    if (t == KE_NUM) {
        enc_number(kb, v);
        return 0;
    }
    kb_byte(kb, t);
    switch (v->value_type) {
    case BSON_TYPE_UTF8:
        if (coll != NULL)
            enc_collated(kb, coll, v->value.v_utf8.str, v->value.v_utf8.len);
        else
            kb_escaped(kb, v->value.v_utf8.str, v->value.v_utf8.len);
        return 0;
    case BSON_TYPE_SYMBOL:
        kb_escaped(kb, v->value.v_symbol.symbol, v->value.v_symbol.len);
        return 0;
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        return enc_body(kb, v->value.v_doc.data, v->value.v_doc.data_len,
                        v->value_type == BSON_TYPE_DOCUMENT, coll, depth);
    case BSON_TYPE_BINARY:
        kb_be32(kb, v->value.v_binary.data_len);
        kb_byte(kb, (uint8_t)v->value.v_binary.subtype);
        kb_put(kb, v->value.v_binary.data, v->value.v_binary.data_len);
        return 0;
    case BSON_TYPE_OID:
        kb_put(kb, v->value.v_oid.bytes, 12);
        return 0;
    case BSON_TYPE_BOOL:
        kb_byte(kb, v->value.v_bool ? 1 : 0);
        return 0;
    case BSON_TYPE_DATE_TIME:
        kb_be64(kb, (uint64_t)v->value.v_datetime ^ (1ull << 63));
        return 0;
    default:
        return enc_rare(kb, v, depth);
    }
}

/*
 * sdb_keyenc_value -- append one value's encoding; a descending field inverts every byte.
 * On error (SDB_ECORRUPT for a malformed embedded document, SDB_ETOOBIG for nesting past
 * KE_MAX_DEPTH) the buffer holds a partial value and must be discarded.
 */
int
sdb_keyenc_value(sdb_keybuf_t *kb, const bson_value_t *v, int descending)
{
    return sdb_keyenc_value_coll(kb, v, descending, NULL);
}

int
sdb_keyenc_value_coll(sdb_keybuf_t *kb, const bson_value_t *v, int descending,
                      const sdb_collation_t *coll)
{
    size_t start = kb->len;

    SDB_RET(enc_value(kb, v, coll, 0));
    if (descending)
        kb_invert(kb, start);
    return 0;
}

/*
 * sdb_keyenc_rid -- eight bytes, big-endian with the sign bit flipped.
 */
void
sdb_keyenc_rid(sdb_keybuf_t *kb, int64_t rid)
{
    kb_be64(kb, (uint64_t)rid ^ (1ull << 63));
}

/*
 * sdb_keyenc_decode_rid -- the record id in the last eight bytes (0 if the entry is short).
 */
int64_t
sdb_keyenc_decode_rid(const uint8_t *entry, size_t len)
{
    uint64_t v = 0;
    size_t i;

    if (len < 8)
        return 0;
    for (i = len - 8; i < len; i++)
        v = v << 8 | entry[i];
    return (int64_t)(v ^ (1ull << 63));
}

/*
 * sdb_keyenc_bracket -- a sentinel byte at the start or past the end of a type bracket.
 */
void
sdb_keyenc_bracket(sdb_keybuf_t *kb, bson_type_t t, int end, int descending)
{
    uint8_t b = type_byte(t);

    if (end)
        b = (uint8_t)(b == KE_NUM ? KE_NUM + SDB_NUM_POSINF + 1 : b + 1);
    kb_byte(kb, descending ? (uint8_t)~b : b);
}

/* ---- decoding -------------------------------------------------------------------------- */

/* A reader over an encoding; every byte read is XORed with x (0xff inside a descending field
 * or the body of a negative number). */
typedef struct rd {
    const uint8_t *buf;
    size_t len, pos;
    uint8_t x;
} rd_t;

static int
rd_byte(rd_t *r, uint8_t *b)
{
    if (r->pos >= r->len)
        return SDB_ECORRUPT;
    *b = r->buf[r->pos++] ^ r->x;
    return 0;
}

static int
rd_bytes(rd_t *r, uint8_t *out, size_t n)
{
    size_t i;

    if (n > r->len - r->pos)
        return SDB_ECORRUPT;
    for (i = 0; i < n; i++)
        out[i] = r->buf[r->pos + i] ^ r->x;
    r->pos += n;
    return 0;
}

static int
rd_be32(rd_t *r, uint32_t *v)
{
    uint8_t b[4];

    SDB_RET(rd_bytes(r, b, 4));
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* rd_string -- read into `out` (NUL-terminated, owned by the caller) either an escaped
 * string (escaped != 0) or a plain C string ending in a single 0x00. */
static int
rd_string(rd_t *r, sdb_keybuf_t *out, int escaped)
{
    uint8_t b, next;

    sdb_keybuf_reset(out);
    for (;;) {
        SDB_RET(rd_byte(r, &b));
        if (b == 0) {
            if (!escaped)
                break;
            SDB_RET(rd_byte(r, &next));
            if (next == 0)
                break;
            if (next != 0xff)
                return SDB_ECORRUPT;
        }
        kb_byte(out, b);
    }
    kb_byte(out, 0);
    out->len--; /* the NUL is there but not counted */
    return 0;
}

/* dec_integer -- append digits * 10^(exp10 - ndigits) as int32 or int64 when it fits. */
static int
dec_integer(const sdb_num_t *n, int neg, bson_t *out, const char *name)
{
    unsigned __int128 mag = 0;
    int32_t i;

    if (n->exp10 < n->ndigits || n->exp10 > 19)
        return 0;
    for (i = 0; i < n->exp10; i++)
        mag = mag * 10 + (i < n->ndigits ? n->digits[i] : 0);
    if (mag <= (neg ? 2147483648u : 2147483647u)) {
        bson_append_int32(out, name, -1, (int32_t)(neg ? -(int64_t)mag : (int64_t)mag));
        return 1;
    }
    if (mag <= (neg ? (unsigned __int128)1 << 63 : ((unsigned __int128)1 << 63) - 1)) {
        bson_append_int64(out, name, -1,
                          neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)(uint64_t)mag);
        return 1;
    }
    return 0;
}

static int
dec_number(rd_t *r, int cls, bson_t *out, const char *name)
{
    sdb_num_t n;
    uint8_t b[2], saved = r->x;
    char text[SDB_NUM_MAXDIG + 32];
    size_t off;
    int ret = 0;

    if (cls != SDB_NUM_NEG && cls != SDB_NUM_POS) {
        if (cls == SDB_NUM_ZERO)
            bson_append_int32(out, name, -1, 0);
        else
            bson_append_double(out, name, -1,
                               cls == SDB_NUM_NAN ? NAN
                                                  : (cls == SDB_NUM_NEGINF ? -INFINITY : INFINITY));
        return 0;
    }
    if (cls == SDB_NUM_NEG)
        r->x ^= 0xff;
    SDB_ERR(rd_bytes(r, b, 2));
    n.exp10 = (int32_t)((uint32_t)b[0] << 8 | b[1]) - KE_EXP_BIAS;
    n.ndigits = 0;
    for (;;) {
        SDB_ERR(rd_bytes(r, b, 1));
        if ((b[0] >> 4) == 0 || (b[0] >> 4) > 10 || n.ndigits >= SDB_NUM_MAXDIG - 1)
            SDB_ERR(SDB_ECORRUPT);
        n.digits[n.ndigits++] = (uint8_t)((b[0] >> 4) - 1);
        if ((b[0] & 0xf) == 0)
            break;
        if ((b[0] & 0xf) > 10)
            SDB_ERR(SDB_ECORRUPT);
        n.digits[n.ndigits++] = (uint8_t)((b[0] & 0xf) - 1);
        if (n.ndigits % 2 == 0 && r->pos < r->len && (r->buf[r->pos] ^ r->x) == 0) {
            r->pos++; /* the padded terminator after an even count */
            break;
        }
    }
    if (dec_integer(&n, cls == SDB_NUM_NEG, out, name))
        goto err;
    off = 0;
    text[off++] = cls == SDB_NUM_NEG ? '-' : '+';
    text[off++] = '0';
    text[off++] = '.';
    for (int i = 0; i < n.ndigits; i++)
        text[off++] = (char)('0' + n.digits[i]);
    snprintf(text + off, sizeof(text) - off, "e%d", (int)n.exp10);
    bson_append_double(out, name, -1, strtod(text, NULL));
err:
    r->x = saved;
    return ret;
}

static int dec_value(rd_t *r, bson_t *out, const char *name, int depth);

/* dec_body -- elements up to the 0x00 that ends an object (names) or array. */
static int
dec_body(rd_t *r, bson_t *out, int names, int depth)
{
    sdb_keybuf_t key;
    char idx[16];
    const char *k;
    uint8_t b;
    uint32_t i = 0;
    int ret = 0;

    sdb_keybuf_init(&key);
    if (depth > KE_MAX_DEPTH)
        return SDB_ETOOBIG;
    for (;; i++) {
        SDB_ERR(rd_byte(r, &b));
        if (b == 0)
            break;
        if (names) {
            SDB_ERR(rd_string(r, &key, 0));
            k = (const char *)key.data;
        } else {
            r->pos--; /* the byte was the element's type byte */
            bson_uint32_to_string(i, &k, idx, sizeof(idx));
        }
        SDB_ERR(dec_value(r, out, k, depth + 1));
    }
err:
    sdb_keybuf_free(&key);
    return ret;
}

static int
dec_nested(rd_t *r, bson_t *out, const char *name, int is_array, int depth)
{
    bson_t child;
    int ret;

    if (is_array)
        bson_append_array_begin(out, name, -1, &child);
    else
        bson_append_document_begin(out, name, -1, &child);
    ret = dec_body(r, &child, !is_array, depth);
    if (is_array)
        bson_append_array_end(out, &child);
    else
        bson_append_document_end(out, &child);
    return ret;
}

/* dec_rare -- timestamp, regex, DBPointer, code, CodeWScope, binary, ObjectId. */
static int
dec_rare(rd_t *r, uint8_t t, bson_t *out, const char *name, sdb_keybuf_t *s1, sdb_keybuf_t *s2,
         int depth)
{
    uint32_t a, b;
    bson_oid_t oid;
    bson_t scope;
    uint8_t sub;
    int ret = 0;

    switch (t) {
    case KE_TIMESTAMP:
        SDB_RET(rd_be32(r, &a));
        SDB_RET(rd_be32(r, &b));
        bson_append_timestamp(out, name, -1, a, b);
        return 0;
    case KE_REGEX:
        SDB_RET(rd_string(r, s1, 0));
        SDB_RET(rd_string(r, s2, 0));
        bson_append_regex(out, name, -1, (const char *)s1->data, (const char *)s2->data);
        return 0;
    case KE_DBPOINTER:
        SDB_RET(rd_be32(r, &a));
        kb_grow(s1, (size_t)a + 1);
        SDB_RET(rd_bytes(r, s1->data, a));
        s1->data[a] = 0;
        SDB_RET(rd_bytes(r, oid.bytes, 12));
        bson_append_dbpointer(out, name, -1, (const char *)s1->data, &oid);
        return 0;
    case KE_CODE:
        SDB_RET(rd_string(r, s1, 1));
        bson_append_code(out, name, -1, (const char *)s1->data);
        return 0;
    case KE_CODEWSCOPE:
        SDB_RET(rd_string(r, s1, 1));
        bson_init(&scope);
        ret = dec_body(r, &scope, 1, depth);
        if (ret == 0)
            bson_append_code_with_scope(out, name, -1, (const char *)s1->data, &scope);
        bson_destroy(&scope);
        return ret;
    case KE_BINARY:
        SDB_RET(rd_be32(r, &a));
        SDB_RET(rd_bytes(r, &sub, 1));
        if (a > r->len - r->pos)
            return SDB_ECORRUPT;
        kb_grow(s1, (size_t)a + 1);
        SDB_RET(rd_bytes(r, s1->data, a));
        bson_append_binary(out, name, -1, (bson_subtype_t)sub, s1->data, a);
        return 0;
    case KE_OID:
        SDB_RET(rd_bytes(r, oid.bytes, 12));
        bson_append_oid(out, name, -1, &oid);
        return 0;
    case KE_UNKNOWN:
        bson_append_null(out, name, -1);
        return 0;
    default:
        return SDB_ECORRUPT;
    }
}

static int
dec_value(rd_t *r, bson_t *out, const char *name, int depth)
{
    sdb_keybuf_t s1, s2;
    uint8_t t, b[8];
    uint64_t u;
    int ret = 0, i;

    SDB_RET(rd_byte(r, &t));
    if (t >= KE_NUM && t <= KE_NUM + SDB_NUM_POSINF)
        return dec_number(r, t - KE_NUM, out, name);
    sdb_keybuf_init(&s1);
    sdb_keybuf_init(&s2);
    switch (t) {
    case KE_MINKEY:
        bson_append_minkey(out, name, -1);
        break;
    case KE_UNDEFINED:
        bson_append_undefined(out, name, -1);
        break;
    case KE_NULL:
        bson_append_null(out, name, -1);
        break;
    case KE_MAXKEY:
        bson_append_maxkey(out, name, -1);
        break;
    case KE_STRING:
        SDB_ERR(rd_string(r, &s1, 1));
        bson_append_utf8(out, name, -1, (const char *)s1.data, (int)s1.len);
        break;
    case KE_OBJECT:
    case KE_ARRAY:
        SDB_ERR(dec_nested(r, out, name, t == KE_ARRAY, depth));
        break;
    case KE_BOOL:
        SDB_ERR(rd_bytes(r, b, 1));
        bson_append_bool(out, name, -1, b[0] != 0);
        break;
    case KE_DATE:
        SDB_ERR(rd_bytes(r, b, 8));
        for (u = 0, i = 0; i < 8; i++)
            u = u << 8 | b[i];
        bson_append_date_time(out, name, -1, (int64_t)(u ^ (1ull << 63)));
        break;
    default:
        SDB_ERR(dec_rare(r, t, out, name, &s1, &s2, depth));
    }
err:
    sdb_keybuf_free(&s1);
    sdb_keybuf_free(&s2);
    return ret;
}

/*
 * sdb_keyenc_decode_value -- decode the value at *pos into field `name` of `out`.  On
 * SDB_ECORRUPT (truncated or invalid bytes) *pos is unchanged and `out` may hold a partial
 * field (or partial sub-document) that the caller should discard.
 */
int
sdb_keyenc_decode_value(const uint8_t *buf, size_t len, size_t *pos, int descending, bson_t *out,
                        const char *name)
{
    rd_t r = {buf, len, *pos, descending ? 0xff : 0};

    if (*pos > len)
        return SDB_ECORRUPT;
    SDB_RET(dec_value(&r, out, name, 0));
    *pos = r.pos;
    return 0;
}

/* pattern_desc -- a key pattern field is descending when its value is a negative number
 * ("hashed", "text" and other strings count as ascending). */
static int
pattern_desc(const bson_iter_t *it)
{
    bson_decimal128_t d;

    if (BSON_ITER_HOLDS_DECIMAL128(it)) {
        bson_iter_decimal128(it, &d);
        return (d.high >> 63) != 0 && (d.high & (0x1full << 58)) != (0x1full << 58);
    }
    return BSON_ITER_HOLDS_NUMBER(it) && bson_iter_as_double(it) < 0;
}

/*
 * sdb_keyenc_decode_key -- every field of a compound key, named and directed by the pattern.
 */
int
sdb_keyenc_decode_key(const uint8_t *key, size_t len, const bson_t *key_pattern, bson_t *out)
{
    bson_iter_t it;
    size_t pos = 0;

    if (!bson_iter_init(&it, key_pattern))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        SDB_RET(
            sdb_keyenc_decode_value(key, len, &pos, pattern_desc(&it), out, bson_iter_key(&it)));
    }
    return 0;
}

/* ---- index key generation -------------------------------------------------------------- */

/* The generator: the key pattern, and every key produced so far (concatenated in `all`,
 * each starting at offs[i]). */
typedef struct kgen {
    size_t n;
    const char *names[KE_MAX_FIELDS];
    int desc[KE_MAX_FIELDS];
    sdb_keybuf_t all;
    size_t *offs;
    size_t noffs, capoffs;
    int multikey;
    int hashed;                  /* the position of the "hashed" field, or -1 */
    const sdb_collation_t *coll; /* the index's collation, or NULL */
    sdb_error_t *err;
} kgen_t;

/* What is left to do for each field at one level of the walk: the rest of its path ("" when
 * it is resolved) and its value so far (null until found). */
typedef struct kstate {
    const char *paths[KE_MAX_FIELDS];
    bson_value_t fixed[KE_MAX_FIELDS];
} kstate_t;

typedef struct kentry {
    const uint8_t *p;
    size_t len;
} kentry_t;

/* path_extract -- mongod's extractElementAtPathOrArrayAlongPath: follow *path through
 * sub-documents until it ends or meets an array; *path is left after the consumed part. */
static int
path_extract(const bson_t *doc, const char **path, bson_value_t *v, const char **key)
{
    bson_t sub;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    for (;;) {
        const char *dot = strchr(*path, '.');
        size_t n = dot != NULL ? (size_t)(dot - *path) : strlen(*path);
        bool found = bson_iter_init_find_w_len(&it, doc, *path, (int)n);

        *path += dot != NULL ? n + 1 : n;
        if (!found)
            return 0;
        if (BSON_ITER_HOLDS_ARRAY(&it) || **path == '\0') {
            *v = *bson_iter_value(&it);
            *key = bson_iter_key(&it);
            return 1;
        }
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return 0;
        bson_iter_document(&it, &len, &data);
        if (!bson_init_static(&sub, data, len))
            return 0;
        doc = &sub;
    }
}

/* next_element -- the next element of a path from the current object, or, for a numeric
 * component, from the array being expanded (positional: "a.0.b"). */
static int
next_element(kgen_t *g, const bson_t *obj, const bson_t *arr, const char **path, bson_value_t *v,
             const char **key, int *nested)
{
    const char *dot = strchr(*path, '.');
    int n = dot != NULL ? (int)(dot - *path) : (int)strlen(*path);
    bson_iter_t it, ait;
    bool have_obj = bson_iter_init_find_w_len(&it, obj, *path, n);
    bool have_arr = arr != NULL && bson_iter_init_find_w_len(&ait, arr, *path, n);

    *nested = 0;
    if (have_obj && have_arr)
        return sdb_error_set(g->err, SDB_CODE_BadValue,
                             "Ambiguous field name found in array (do not use numeric field "
                             "names in embedded elements in an array), field: '%.*s'",
                             n, *path);
    if (have_obj)
        return path_extract(obj, path, v, key);
    if (have_arr) {
        *nested = BSON_ITER_HOLDS_ARRAY(&ait);
        return path_extract(arr, path, v, key);
    }
    return 0;
}

/* emit -- encode one complete key and remember it. */
static int
emit(kgen_t *g, const kstate_t *st)
{
    size_t i;

    if (g->noffs == g->capoffs) {
        g->capoffs = g->capoffs != 0 ? g->capoffs * 2 : 16;
        g->offs = bson_realloc(g->offs, g->capoffs * sizeof(*g->offs));
    }
    g->offs[g->noffs++] = g->all.len;
    for (i = 0; i < g->n; i++) {
        int ret = sdb_keyenc_value_coll(&g->all, &st->fixed[i], g->desc[i], g->coll);

        if (ret == SDB_ETOOBIG)
            return sdb_depth_error(g->err, "index key");
        SDB_RET(ret);
    }
    return 0;
}

static int keys_impl(kgen_t *g, kstate_t *st, const bson_t *obj, const bson_t *arr, int depth);

/* arr_elt_fixed -- mongod's _getKeysArrEltFixed: fields that end at the array take this
 * element (or the whole array when it may not be expanded); the rest walk on inside it. */
static int
arr_elt_fixed(kgen_t *g, const kstate_t *st, const bson_value_t *entry, const bson_value_t *arr_elt,
              const bson_t *arrdoc, uint32_t arr_idx, int may_expand, int depth)
{
    kstate_t sub = *st;
    bson_t objdoc, empty;
    const bson_t *obj = &empty;
    size_t i;

    for (i = 0; i < g->n; i++)
        if ((arr_idx & (1u << i)) && sub.paths[i][0] == '\0')
            sub.fixed[i] = may_expand ? *entry : *arr_elt;
    bson_init(&empty);
    if (entry->value_type == BSON_TYPE_DOCUMENT &&
        bson_init_static(&objdoc, entry->value.v_doc.data, entry->value.v_doc.data_len))
        obj = &objdoc;
    return keys_impl(g, &sub, obj, arrdoc, depth + 1);
}

/* mark_multikey -- an array counts as expanded unless every field through it is positional
 * or ends on it unexpanded (mongod's multikey-path rule). */
static void
mark_multikey(kgen_t *g, const kstate_t *st, const bson_t *arrdoc, uint32_t arr_idx, int may_expand)
{
    bson_iter_t it;
    size_t i;

    for (i = 0; i < g->n && !g->multikey; i++) {
        const char *p = st->paths[i], *dot;

        if (!(arr_idx & (1u << i)))
            continue;
        if (p[0] == '\0') {
            g->multikey = may_expand;
            continue;
        }
        dot = strchr(p, '.');
        if (!bson_iter_init_find_w_len(&it, arrdoc, p, dot ? (int)(dot - p) : (int)strlen(p)))
            g->multikey = 1;
    }
}

/* keys_impl -- mongod's getKeysImpl: resolve every field as far as the first array, then
 * emit one key, or recurse once per element of that array. */
static int
keys_impl(kgen_t *g, kstate_t *st, const bson_t *obj, const bson_t *arr, int depth)
{
    bson_value_t arr_elt, e, undef;
    const char *arr_name = NULL, *key = NULL;
    uint32_t arr_idx = 0;
    int may_expand = 1, nested, r;
    bson_t arrdoc;
    bson_iter_t it;
    size_t i;

    SDB_DEPTH_CHECK(depth, g->err, "index key");
    arr_elt.value_type = BSON_TYPE_EOD;
    for (i = 0; i < g->n; i++) {
        if (st->paths[i][0] == '\0')
            continue;
        if ((r = next_element(g, obj, arr, &st->paths[i], &e, &key, &nested)) < 0)
            return r;
        if (r == 0) {
            st->fixed[i].value_type = BSON_TYPE_NULL;
            st->paths[i] = "";
        } else if (e.value_type == BSON_TYPE_ARRAY) {
            arr_idx |= 1u << i;
            if (arr_elt.value_type == BSON_TYPE_EOD) {
                arr_elt = e;
                arr_name = key;
            } else if (e.value.v_doc.data != arr_elt.value.v_doc.data) {
                return sdb_error_set(g->err, SDB_CODE_CannotIndexParallelArrays,
                                     "cannot index parallel arrays [%s] [%s]", key, arr_name);
            }
            if (nested)
                may_expand = 0;
        } else {
            st->fixed[i] = e;
        }
    }
    if (arr_elt.value_type == BSON_TYPE_EOD)
        return emit(g, st);
    if (!bson_init_static(&arrdoc, arr_elt.value.v_doc.data, arr_elt.value.v_doc.data_len) ||
        !bson_iter_init(&it, &arrdoc))
        return SDB_ECORRUPT;
    if (!bson_iter_next(&it)) {
        g->multikey = 1;
        undef.value_type = BSON_TYPE_UNDEFINED;
        return arr_elt_fixed(g, st, &undef, &arr_elt, &arrdoc, arr_idx, 1, depth);
    }
    mark_multikey(g, st, &arrdoc, arr_idx, may_expand);
    do {
        SDB_RET(arr_elt_fixed(g, st, bson_iter_value(&it), &arr_elt, &arrdoc, arr_idx, may_expand,
                              depth));
    } while (bson_iter_next(&it));
    return 0;
}

static int
kentry_cmp(const void *a, const void *b)
{
    const kentry_t *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = m > 0 ? memcmp(x->p, y->p, m) : 0;

    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* gen_pattern -- read the key pattern: field names and directions. */
static int
gen_pattern(kgen_t *g, const bson_t *key_pattern)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, key_pattern))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        if (g->n == KE_MAX_FIELDS)
            return sdb_error_set(g->err, SDB_CODE_CannotCreateIndex,
                                 "Index key pattern too large: more than %d fields", KE_MAX_FIELDS);
        if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "hashed") == 0)
            g->hashed = (int)g->n;
        g->names[g->n] = bson_iter_key(&it);
        g->desc[g->n++] = pattern_desc(&it);
    }
    if (g->n == 0)
        return sdb_error_set(g->err, SDB_CODE_CannotCreateIndex, "Index keys cannot be empty.");
    return 0;
}

/* gen_deliver -- sort the keys, drop duplicates, hand each to fn. */
static int
gen_deliver(kgen_t *g, int (*fn)(const uint8_t *, size_t, void *), void *ctx)
{
    kentry_t *v = bson_malloc(g->noffs * sizeof(*v));
    size_t i;
    int ret = 0;

    for (i = 0; i < g->noffs; i++) {
        size_t end = i + 1 < g->noffs ? g->offs[i + 1] : g->all.len;

        v[i].p = g->all.data + g->offs[i];
        v[i].len = end - g->offs[i];
    }
    qsort(v, g->noffs, sizeof(*v), kentry_cmp);
    for (i = 0; i < g->noffs; i++) {
        if (i > 0 && kentry_cmp(&v[i - 1], &v[i]) == 0)
            continue;
        SDB_ERR(fn(v[i].p, v[i].len, ctx));
    }
err:
    bson_free(v);
    return ret;
}

/* hashed_field -- mongod's extractElementAtPathOrArrayAlongPath for a hashed index: the value
 * at `path` through sub-documents (missing: *v is EOD); an array on the way is 16766. */
static int
hashed_field(kgen_t *g, const bson_t *doc, const char *path, bson_value_t *v)
{
    const char *rest = path, *key;
    int r = path_extract(doc, &rest, v, &key);

    if (r == 0) {
        v->value_type = BSON_TYPE_EOD;
        return 0;
    }
    if (v->value_type != BSON_TYPE_ARRAY)
        return 0;
    return sdb_error_set(g->err, SDB_CODE_Location16766,
                         "Error: hashed indexes do not currently support array values. Found "
                         "array at path: %.*s",
                         (int)(strlen(path) - strlen(rest) - (rest[0] != '\0' ? 1 : 0)), path);
}

/* hashed_key -- the one key of a document in a hashed index. */
static int
hashed_key(kgen_t *g, kstate_t *st, const bson_t *doc)
{
    bson_value_t v;
    int64_t h;
    int ret;

    for (size_t i = 0; i < g->n; i++) {
        SDB_RET(hashed_field(g, doc, g->names[i], &v));
        if (v.value_type == BSON_TYPE_EOD)
            v.value_type = BSON_TYPE_NULL;
        if ((int)i == g->hashed) {
            if (g->coll != NULL && v.value_type == BSON_TYPE_UTF8) {
                /* mongod hashes the string of the value's collation key */
                size_t cap = 64, n;
                uint8_t *k = bson_malloc(cap);

                n = sdb_collation_key(g->coll, v.value.v_utf8.str, v.value.v_utf8.len, &k, &cap);
                v.value.v_utf8.str = (char *)k;
                v.value.v_utf8.len = (uint32_t)n;
                ret = sdb_hash_value(&v, 0, &h);
                bson_free(k);
                SDB_RET(ret);
                v.value_type = BSON_TYPE_INT64;
                v.value.v_int64 = h;
                st->fixed[i] = v;
                continue;
            }
            if ((ret = sdb_hash_value(&v, 0, &h)) == SDB_ETOOBIG)
                return sdb_depth_error(g->err, "index key");
            SDB_RET(ret);
            v.value_type = BSON_TYPE_INT64;
            v.value.v_int64 = h;
        }
        st->fixed[i] = v;
    }
    return emit(g, st);
}

/*
 * sdb_keyenc_keys -- every distinct index key of `doc` under `key_pattern`, ascending.
 * Errors: SDB_ECLIENT with *err set (CannotIndexParallelArrays; BadValue for a numeric field
 * name that is ambiguous with an array position; CannotCreateIndex for an empty or oversized
 * pattern; 15 Overflow for values or arrays nested past KE_MAX_DEPTH), SDB_ECORRUPT for
 * malformed BSON, or the first non-zero value fn returned.  No key is delivered unless generation succeeded.
 */
int
sdb_keyenc_keys(const bson_t *doc, const bson_t *key_pattern,
                int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, int *multikey,
                struct sdb_error *err)
{
    return sdb_keyenc_keys_coll(doc, key_pattern, NULL, fn, ctx, multikey, err);
}

int
sdb_keyenc_keys_coll(const bson_t *doc, const bson_t *key_pattern, const sdb_collation_t *coll,
                     int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, int *multikey,
                     struct sdb_error *err)
{
    kgen_t *g = bson_malloc0(sizeof(*g));
    kstate_t *st = bson_malloc0(sizeof(*st));
    sdb_error_t local;
    size_t i;
    int ret = 0;

    if (sdb_geo_pattern_kind(key_pattern, NULL) != SDB_GEO_NONE) { /* geo/geo_keys.h */
        bson_free(st);
        bson_free(g);
        return sdb_geo_keys(doc, key_pattern, coll, fn, ctx, multikey, err);
    }
    g->err = err != NULL ? err : &local;
    g->hashed = -1;
    g->coll = coll;
    sdb_keybuf_init(&g->all);
    SDB_ERR(gen_pattern(g, key_pattern));
    if (g->hashed >= 0) {
        SDB_ERR(hashed_key(g, st, doc));
        SDB_ERR(gen_deliver(g, fn, ctx));
        if (multikey != NULL)
            *multikey = 0;
        goto err;
    }
    for (i = 0; i < g->n; i++) {
        st->paths[i] = g->names[i];
        st->fixed[i].value_type = BSON_TYPE_NULL;
    }
    SDB_ERR(keys_impl(g, st, doc, NULL, 0));
    SDB_ERR(gen_deliver(g, fn, ctx));
    if (multikey != NULL)
        *multikey = g->multikey;
err:
    sdb_keybuf_free(&g->all);
    bson_free(g->offs);
    bson_free(st);
    bson_free(g);
    return ret;
}
