/*
 * src/common/compressors.h -- the wire compressors mongod knows: ids, names, lists.
 *
 * OP_COMPRESSED names its compressor by a one-byte id (noop 0, snappy 1, zlib 2, zstd 3);
 * hello negotiates by name; --networkMessageCompressors takes a comma-separated list of names
 * or "disabled".  The master checks the flag at start-up (config.c), the worker decodes and
 * negotiates with the same table (worker/compress.h).  Pure functions, any thread.
 */
#ifndef SDB_COMMON_COMPRESSORS_H
#define SDB_COMMON_COMPRESSORS_H

#include <stdbool.h>

#define SDB_COMPRESSOR_NOOP 0
#define SDB_COMPRESSOR_SNAPPY 1
#define SDB_COMPRESSOR_ZLIB 2
#define SDB_COMPRESSOR_ZSTD 3
#define SDB_COMPRESSORS_DEFAULT "snappy,zstd,zlib" /* mongod 7.0's default */

/* sdb_compressor_name -- the name of compressor id, or NULL for an unknown id. */
const char *sdb_compressor_name(int id);

/* sdb_compressor_id -- the id of a compressor name (snappy, zlib, zstd, noop), or -1. */
int sdb_compressor_id(const char *name, int len);

/* sdb_compressors_check -- whether `list` is "disabled" or a comma-separated list of known
 * names (what --networkMessageCompressors accepts); *bad (may be NULL) gets the first unknown
 * name's offset. */
bool sdb_compressors_check(const char *list, int *bad);

/* sdb_compressors_has -- whether compressor id is enabled by `list` (noop always is). */
bool sdb_compressors_has(const char *list, int id);

#endif
