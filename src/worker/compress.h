/*
 * src/worker/compress.h -- OP_COMPRESSED payloads: snappy, zlib and zstd, as mongod uses them.
 *
 * mongod's MessageCompressors: snappy's raw format, zlib's compress2/uncompress (zlib
 * format), zstd's single-frame ZSTD_compress/ZSTD_decompress; noop copies.  Decompression
 * writes into a buffer of exactly the size the message declares (the caller has checked it
 * against the message size limit before allocating) and must produce exactly that many bytes:
 * a payload that would grow past it, or falls short, is refused (a decompression bomb costs
 * at most the declared size, never more).  Pure functions, any thread.
 */
#ifndef SRC_WORKER_COMPRESS_H
#define SRC_WORKER_COMPRESS_H

#include "../common/compressors.h"
#include "../common/errors.h"

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

/* wk_compress_inflate -- decompress `in` with compressor id into out[0..outlen), which it must
 * fill exactly.  0, or SDB_ECLIENT with *err (ProtocolError) for a bad or lying payload. */
int wk_compress_inflate(int id, const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen,
                        sdb_error_t *err);

/* wk_compress_deflate -- compress in[0..inlen) with compressor id into a bson_malloc'd *out.
 * 0, or -1 (unknown id or a library failure: send the message uncompressed). */
int wk_compress_deflate(int id, const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen);

/* wk_compress_negotiate -- hello's `compression`: the client's list (body.compression, names)
 * kept in its order where `enabled` (--networkMessageCompressors) has them; appended to reply
 * as mongod does, only when the client asked. */
void wk_compress_negotiate(const char *enabled, const bson_t *body, bson_t *reply);

#endif
