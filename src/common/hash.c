/*
 * src/common/hash.c -- mongod's BSONElementHasher::hash64 (hash.h).
 *
 * The bytes fed to MD5 are those mongod feeds: little-endian int32 seed, then for the value
 * its canonical type as a little-endian int32 (the type bracket of bsoncmp.h) and then
 * either the int64 a number truncates to, or the BSON value bytes (a string as length,
 * bytes and NUL), or, for documents, arrays and a scope, each element as type, field name
 * with its NUL and value, then the end marker (type 0, an empty name).
 *
 * sdb_hash_md5_hex is the same MD5 over plain bytes, as hex (text index keys, fts/fts.h).
 *
 * MD5 is libbson's bson_md5_*, L. Peter Deutsch's implementation, the one mongod itself
 * hashes with (src/mongo/util/md5.cpp).  libbson marks it deprecated (drivers no longer need
 * it), hence the one pragma below; common code may not include OpenSSL (tests/lint.sh), and
 * a second MD5 would be hand-written.
 *
 * Invariants: no allocation; recursion bounded by SDB_BSON_DEPTH_EVAL.
 */
#include "hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bsoncmp.h"
#include "bsonvalid.h"
#include "sdb.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void
put32(bson_md5_t *md, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};

    bson_md5_append(md, (const uint8_t *)b, 4);
}

static void
put64(bson_md5_t *md, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (8 * i));
    bson_md5_append(md, (const uint8_t *)b, 8);
}

/* put_string -- a BSON string value: int32 length with the NUL, bytes, NUL. */
static void
put_string(bson_md5_t *md, const char *s, uint32_t len)
{
    put32(md, (int32_t)(len + 1));
    bson_md5_append(md, (const uint8_t *)s, len);
    bson_md5_append(md, (const uint8_t *)"", 1);
}

/* clamp_double -- mongod's safeNumberLongForHash for a double. */
static int64_t
clamp_double(double d)
{
    if (isnan(d))
        return 0;
    if (d == 9223372036854775808.0)
        return INT64_MIN;
    if (!(d < 9223372036854775808.0))
        return INT64_MAX;
    if (d < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/* decimal_long -- a decimal128 as mongod's safeNumberLong: NaN 0, clamped, rounded to the
 * nearest integer (ties to even). */
static int64_t
decimal_long(const bson_decimal128_t *dec)
{
    char s[BSON_DECIMAL128_STRING];
    long double d;

    bson_decimal128_to_string(dec, s);
    if (strstr(s, "NaN") != NULL)
        return 0;
    d = strtold(s, NULL);
    if (!(d < 9223372036854775807.0L))
        return INT64_MAX;
    if (d < -9223372036854775808.0L)
        return INT64_MIN;
    return (int64_t)nearbyintl(d);
}

static int hash_value(bson_md5_t *md, const bson_value_t *v, int depth);

/* hash_elements -- each element of a document (type, name, value), then the end marker. */
static int
hash_elements(bson_md5_t *md, const uint8_t *data, uint32_t len, int depth)
{
    bson_iter_t it;
    bson_t d;

    if (depth > SDB_BSON_DEPTH_EVAL)
        return SDB_ETOOBIG;
    if (!bson_init_static(&d, data, len) || !bson_iter_init(&it, &d))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        put32(md, sdb_bson_type_order(bson_iter_type(&it)));
        bson_md5_append(md, (const uint8_t *)bson_iter_key(&it), bson_iter_key_len(&it) + 1);
        SDB_RET(hash_value(md, bson_iter_value(&it), depth + 1));
    }
    put32(md, 0);
    bson_md5_append(md, (const uint8_t *)"", 1);
    return 0;
}

/* hash_value -- a value's bytes after its type (see the banner). */
static int
hash_value(bson_md5_t *md, const bson_value_t *v, int depth)
{
    uint8_t b;

    switch (v->value_type) {
    case BSON_TYPE_DOUBLE:
        put64(md, clamp_double(v->value.v_double));
        return 0;
    case BSON_TYPE_INT32:
        put64(md, v->value.v_int32);
        return 0;
    case BSON_TYPE_INT64:
        put64(md, v->value.v_int64);
        return 0;
    case BSON_TYPE_DECIMAL128:
        put64(md, decimal_long(&v->value.v_decimal128));
        return 0;
    case BSON_TYPE_UTF8:
        put_string(md, v->value.v_utf8.str, v->value.v_utf8.len);
        return 0;
    case BSON_TYPE_SYMBOL:
        put_string(md, v->value.v_symbol.symbol, v->value.v_symbol.len);
        return 0;
    case BSON_TYPE_CODE:
        put_string(md, v->value.v_code.code, v->value.v_code.code_len);
        return 0;
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        return hash_elements(md, v->value.v_doc.data, v->value.v_doc.data_len, depth);
    case BSON_TYPE_CODEWSCOPE:
        bson_md5_append(md, (const uint8_t *)v->value.v_codewscope.code,
                        v->value.v_codewscope.code_len + 1);
        return hash_elements(md, v->value.v_codewscope.scope_data, v->value.v_codewscope.scope_len,
                             depth);
    case BSON_TYPE_BINARY:
        put32(md, (int32_t)v->value.v_binary.data_len);
        b = (uint8_t)v->value.v_binary.subtype;
        bson_md5_append(md, (const uint8_t *)&b, 1);
        bson_md5_append(md, (const uint8_t *)v->value.v_binary.data, v->value.v_binary.data_len);
        return 0;
    case BSON_TYPE_OID:
        bson_md5_append(md, (const uint8_t *)v->value.v_oid.bytes, 12);
        return 0;
    case BSON_TYPE_BOOL:
        b = v->value.v_bool ? 1 : 0;
        bson_md5_append(md, (const uint8_t *)&b, 1);
        return 0;
    case BSON_TYPE_DATE_TIME:
        put64(md, v->value.v_datetime);
        return 0;
    case BSON_TYPE_TIMESTAMP:
        put32(md, (int32_t)v->value.v_timestamp.increment);
        put32(md, (int32_t)v->value.v_timestamp.timestamp);
        return 0;
    case BSON_TYPE_REGEX:
        bson_md5_append(md, (const uint8_t *)v->value.v_regex.regex,
                        strlen(v->value.v_regex.regex) + 1);
        bson_md5_append(md, (const uint8_t *)v->value.v_regex.options,
                        strlen(v->value.v_regex.options) + 1);
        return 0;
    case BSON_TYPE_DBPOINTER:
        put_string(md, v->value.v_dbpointer.collection, v->value.v_dbpointer.collection_len);
        bson_md5_append(md, (const uint8_t *)v->value.v_dbpointer.oid.bytes, 12);
        return 0;
    default: /* null, undefined, MinKey, MaxKey: no bytes */
        return 0;
    }
}

int
sdb_hash_value(const bson_value_t *v, int32_t seed, int64_t *out)
{
    bson_value_t null_value;
    uint8_t digest[16];
    uint64_t u = 0;
    bson_md5_t md;

    if (v == NULL) {
        null_value.value_type = BSON_TYPE_NULL;
        v = &null_value;
    }
    bson_md5_init(&md);
    put32(&md, seed);
    put32(&md, sdb_bson_type_order(v->value_type));
    SDB_RET(hash_value(&md, v, 0));
    bson_md5_finish(&md, digest);
    for (int i = 7; i >= 0; i--)
        u = u << 8 | digest[i];
    *out = (int64_t)u;
    return 0;
}

void
sdb_hash_md5_hex(const void *data, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    bson_md5_t md;
    uint8_t digest[16];

    bson_md5_init(&md);
    bson_md5_append(&md, data, (uint32_t)len);
    bson_md5_finish(&md, digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[32] = '\0';
}
