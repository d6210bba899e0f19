/*
 * src/common/wildcard.h -- the entries of a wildcard index ({"$**": 1}, {"a.$**": 1}).
 *
 * A wildcard index has one entry per leaf value of the document that its pattern and its
 * wildcardProjection select, keyed by (path, value) as mongod's WildcardKeyGenerator keys
 * them: documents are walked into (an empty one is a value), arrays are expanded (documents
 * inside are walked with the same path, nested arrays are values), _id is left out unless
 * the projection names it.  The key bytes are the encoded path string followed by the
 * encoded value (keyenc.h, in the index's collation), so equal (path, value) pairs meet.
 *
 * A compound wildcard pattern ({a: 1, "b.$**": 1}) puts the regular fields' encoded values
 * around each (path, value), in pattern order (wildcard.c has the layout).
 *
 * Pure functions; any thread.  The caller checked the pattern and the projection (the
 * worker's createIndexes); malformed ones give no entries rather than an error.
 */
#ifndef SDB_WILDCARD_H
#define SDB_WILDCARD_H

#include <bson/bson.h>
#include <stdbool.h>

#include "collation.h"
#include "errors.h"

/* sdb_wildcard_pattern -- has the key pattern a wildcard field ("$**" or "<path>.$**"),
 * alone or compound? */
bool sdb_wildcard_pattern(const bson_t *key_pattern);

/* sdb_wildcard_compound -- a compound wildcard pattern (a wildcard field and regular ones). */
bool sdb_wildcard_compound(const bson_t *key_pattern);

/* sdb_wildcard_keys -- call fn for every entry key of doc (projection may be NULL).
 * Returns 0, fn's first non-zero value, 15 Overflow (err) past SDB_BSON_DEPTH_EVAL, or 201
 * CannotBuildIndexKeys (err) for an array in a compound pattern's regular field. */
int sdb_wildcard_keys(const bson_t *doc, const bson_t *key_pattern, const bson_t *projection,
                      const sdb_collation_t *coll,
                      int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx,
                      sdb_error_t *err);

/* sdb_wildcard_path_indexed -- may the index (pattern and wildcardProjection, NULL = none)
 * hold entries at query path `path`?  As mongod's planner asks its projection of one field:
 * an inclusion holds the paths at or below an included one, an exclusion every path not at
 * or below an excluded one; _id (and below) only when the projection names it true. */
bool sdb_wildcard_path_indexed(const bson_t *key_pattern, const bson_t *projection,
                               const char *path);

#endif
