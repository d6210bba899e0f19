/*
 * src/common/hash.h -- mongod's 64-bit hash of a BSON value (hashed indexes).
 *
 * A hashed index keys a field by BSONElementHasher::hash64: the first 8 bytes (little
 * endian) of the MD5 of the seed (int32, 0 by default), the value's canonical type (int32),
 * and its bytes, where every number counts as the int64 it truncates to (NaN as 0, beyond
 * the int64 range clamped, 2^63 as -2^63) and documents and arrays as their elements with
 * field names, each closed by an end-of-object marker.  Drivers, mongosh's
 * convertShardKeyToHashed and mongod agree on these values, so the keys must be the same.
 *
 * Pure functions; any thread, any process.  MD5 comes from libbson (see hash.c).
 */
#ifndef SDB_HASH_H
#define SDB_HASH_H

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

/* sdb_hash_value -- the hash of value v (NULL hashes as null) with `seed`; SDB_ETOOBIG for
 * a value nested past SDB_BSON_DEPTH_EVAL levels, SDB_ECORRUPT for malformed BSON. */
int sdb_hash_value(const bson_value_t *v, int32_t seed, int64_t *out);

/* sdb_hash_md5_hex -- the MD5 of data..data+len as 32 lowercase hex digits and a NUL (mongod's
 * md5simpledigest). */
void sdb_hash_md5_hex(const void *data, size_t len, char out[33]);

#endif
