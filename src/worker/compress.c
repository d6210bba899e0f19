/*
 * src/worker/compress.c -- OP_COMPRESSED payloads with snappy, zlib and zstd.
 */
#include "compress.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static int
bad_payload(const char *name, sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_ProtocolError,
                         "Cannot decompress message: %s payload is invalid or does not match its "
                         "uncompressedSize",
                         name);
}

int
wk_compress_inflate(int id, const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen,
                    sdb_error_t *err)
{
    size_t n = 0;
    uLongf zn = (uLongf)outlen;

    switch (id) {
    case SDB_COMPRESSOR_NOOP:
        if (inlen != outlen)
            return bad_payload("noop", err);
        if (outlen > 0)
            memcpy(out, in, outlen);
        return 0;
    case SDB_COMPRESSOR_SNAPPY:
        if (snappy_uncompressed_length((const char *)in, inlen, &n) != SNAPPY_OK || n != outlen ||
            snappy_uncompress((const char *)in, inlen, (char *)out, &n) != SNAPPY_OK || n != outlen)
            return bad_payload("snappy", err);
        return 0;
    case SDB_COMPRESSOR_ZLIB:
        if (uncompress(out, &zn, in, (uLong)inlen) != Z_OK || zn != (uLongf)outlen)
            return bad_payload("zlib", err);
        return 0;
    case SDB_COMPRESSOR_ZSTD:
        n = ZSTD_decompress(out, outlen, in, inlen);
        if (ZSTD_isError(n) || n != outlen)
            return bad_payload("zstd", err);
        return 0;
    default:
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Cannot decompress message: unsupported compressor id %d", id);
    }
}

int
wk_compress_deflate(int id, const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
    size_t cap, n;
    uLongf zn;
    uint8_t *buf;
    int ok;

    switch (id) {
    case SDB_COMPRESSOR_NOOP:
        cap = inlen;
        break;
    case SDB_COMPRESSOR_SNAPPY:
        cap = snappy_max_compressed_length(inlen);
        break;
    case SDB_COMPRESSOR_ZLIB:
        cap = compressBound((uLong)inlen);
        break;
    case SDB_COMPRESSOR_ZSTD:
        cap = ZSTD_compressBound(inlen);
        break;
    default:
        return -1;
    }
    buf = bson_malloc(cap > 0 ? cap : 1);
    n = cap;
    switch (id) {
    case SDB_COMPRESSOR_NOOP:
        if (inlen > 0)
            memcpy(buf, in, inlen);
        ok = 1;
        break;
    case SDB_COMPRESSOR_SNAPPY:
        ok = snappy_compress((const char *)in, inlen, (char *)buf, &n) == SNAPPY_OK;
        break;
    case SDB_COMPRESSOR_ZLIB:
        zn = (uLongf)cap;
        ok = compress2(buf, &zn, in, (uLong)inlen, Z_DEFAULT_COMPRESSION) == Z_OK;
        n = (size_t)zn;
        break;
    default:
        n = ZSTD_compress(buf, cap, in, inlen, ZSTD_CLEVEL_DEFAULT);
        ok = !ZSTD_isError(n);
        break;
    }
    if (!ok) {
        bson_free(buf);
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

void
wk_compress_negotiate(const char *enabled, const bson_t *body, bson_t *reply)
{
    bson_iter_t it, names;
    bson_t arr;
    uint32_t n = 0;
    char key[16];
    const char *k;

    if (!bson_iter_init_find(&it, body, "compression") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &names))
        return;
    BSON_APPEND_ARRAY_BEGIN(reply, "compression", &arr);
    while (bson_iter_next(&names)) {
        const char *name;
        uint32_t len;
        int id;

        if (!BSON_ITER_HOLDS_UTF8(&names))
            continue;
        name = bson_iter_utf8(&names, &len);
        id = sdb_compressor_id(name, (int)len);
        if (id > SDB_COMPRESSOR_NOOP && sdb_compressors_has(enabled, id)) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            BSON_APPEND_UTF8(&arr, k, name);
        }
    }
    bson_append_array_end(reply, &arr);
}
