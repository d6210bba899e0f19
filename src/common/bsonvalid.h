/*
 * src/common/bsonvalid.h -- the one complete check of untrusted BSON, and the nesting limits.
 *
 * Every document that enters the server (each section of a wire message, every document
 * sequence entry, every document the master is asked to store) passes sdb_bson_check once,
 * at the door.  It walks the bytes without recursion (an explicit stack bounded by
 * max_depth), so no input can exhaust a stack: every length is checked against what remains,
 * every document and array ends with its terminating NUL exactly where its length says,
 * every element type is known, keys and strings are NUL-terminated inside their bounds,
 * string lengths are at least 1 and end in NUL, code-with-scope, binary (subtype 2's inner
 * length), regex, DBPointer and decimal128 are sized as the spec says.  Past this point code
 * may iterate the bytes without re-checking them.
 *
 * Depth: a top-level document's fields are at depth 1; each nested document or array adds
 * one (a code-with-scope's scope two).  mongod refuses commands nested more than
 * SDB_BSON_DEPTH_COMMAND levels below the top-level document (so at most
 * SDB_BSON_LEVELS_COMMAND levels in this count) and stored documents deeper than
 * SDB_BSON_DEPTH_STORED levels with 15 Overflow.  Recursive parsers and
 * evaluators (matcher, expressions, projection, update, key encoding, comparison) bound their
 * own recursion by SDB_BSON_DEPTH_EVAL, which is above both: a value built during evaluation
 * may nest a little deeper than its input, never without limit.
 *
 * Pure functions; any thread, either process.  On failure err is set (22 InvalidBSON or
 * 15 Overflow, mongod's wording) and SDB_ECLIENT is returned; the input is untouched.
 */
#ifndef SDB_BSONVALID_H
#define SDB_BSONVALID_H

#include "errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SDB_BSON_DEPTH_COMMAND 200 /* mongod's maxBSONDepth: a command document */
#define SDB_BSON_DEPTH_STORED 100  /* a document written to a collection */
#define SDB_BSON_DEPTH_EVAL 400    /* bound of every recursive parser and evaluator */
/* mongod's maxBSONDepth counts levels below the top-level document: the limit to pass */
#define SDB_BSON_LEVELS_COMMAND (SDB_BSON_DEPTH_COMMAND + 1)

/* sdb_le32 -- the little-endian uint32 at p (BSON lengths, wire headers); p need not be aligned. */
static inline uint32_t
sdb_le32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return BSON_UINT32_FROM_LE(v);
}

/* sdb_bson_check -- 0 when data[0..len) is one well-formed BSON document of exactly len
 * bytes nested at most max_depth levels; SDB_ECLIENT with err set otherwise. */
int sdb_bson_check(const uint8_t *data, size_t len, int max_depth, sdb_error_t *err);

/* sdb_bson_depth_ok -- true when an already-checked document nests at most max_depth
 * levels (for documents built by the server itself, e.g. an update's result). */
bool sdb_bson_depth_ok(const bson_t *doc, int max_depth);

/* sdb_bson_check_stored -- 0 when doc may be stored (well-formed, at most SDB_BSON_DEPTH_STORED
 * levels); otherwise SDB_ECLIENT with 15 Overflow in mongod's words for an insert ("cannot
 * insert document because it exceeds 100 levels of nesting") or, with `update`, for the
 * result of an update, replacement or upsert ("Document exceeds maximum nesting depth of
 * 100"), or 22 InvalidBSON. */
int sdb_bson_check_stored(const bson_t *doc, bool update, sdb_error_t *err);

#endif
