/*
 * src/common/collation.h -- MongoDB collations ({locale, strength, caseLevel, ...}) on ICU.
 *
 * sdb_collation_new parses a collation document the way mongod does (locale required, the
 * other fields optional and typed) and opens an ICU collator configured from it; the
 * "simple" locale means binary comparison and yields NULL, so every user of a collation
 * treats NULL as "compare bytes".  sdb_collation_value_cmp is MongoDB's value order with
 * strings (and symbols) compared by the collator, also inside documents and arrays.
 *
 * Both sides use it: the worker to compare, the master to key collated indexes
 * (sdb_collation_key, ICU sort keys whose byte order is the collation's order) and to show
 * an index's collation in full (sdb_collation_spec).
 *
 * Contract: a collation is immutable after construction and its comparisons are
 * thread-safe; the caller owns it (sdb_collation_free) and keeps it alive while matchers,
 * sorts or updates built with it are in use.  On error *out is NULL and err holds the
 * client error.
 */
#ifndef SDB_COLLATION_H
#define SDB_COLLATION_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

typedef struct sdb_collation sdb_collation_t;

/* sdb_collation_new -- parse `spec` (a collation document); *out NULL for locale "simple". */
int sdb_collation_new(const bson_t *spec, sdb_collation_t **out, sdb_error_t *err);

/* sdb_collation_str_cmp -- <0, 0, >0 comparing two UTF-8 strings (binary when c is NULL). */
int sdb_collation_str_cmp(const sdb_collation_t *c, const char *a, size_t alen, const char *b,
                          size_t blen);

/* sdb_collation_value_cmp -- MongoDB's order of two values under the collation (NULL = the
 * binary order of src/common/bsoncmp.h). */
int sdb_collation_value_cmp(const sdb_collation_t *c, const bson_value_t *a, const bson_value_t *b);

/* The ICU version mongod 7.0 reports in every collation spec (it bundles ICU 57.1); shown
 * as is so that specs compare equal to mongod's. */
#define SDB_COLLATION_VERSION "57.1"

/* sdb_collation_spec -- append the full spec, every ICU default filled in, as mongod shows
 * it: {locale, caseLevel, caseFirst, strength, numericOrdering, alternate, maxVariable,
 * normalization, backwards, version}. */
void sdb_collation_spec(const sdb_collation_t *c, bson_t *out);

/* sdb_collation_full_spec -- check a collation document and append its full spec to `out`;
 * *simple is true (and nothing appended) for locale "simple". */
int sdb_collation_full_spec(const bson_t *spec, bson_t *out, bool *simple, sdb_error_t *err);

/* sdb_collation_key -- the ICU sort key of a UTF-8 string into *buf (grown with
 * bson_realloc, capacity *cap); returns its length without ICU's terminating 0 (the bytes
 * hold no 0).  memcmp order of keys is the collation's order; equal keys mean equal under
 * the collation. */
size_t sdb_collation_key(const sdb_collation_t *c, const char *s, size_t len, uint8_t **buf,
                         size_t *cap);

/* sdb_collation_free -- release a collation (NULL is fine). */
void sdb_collation_free(sdb_collation_t *c);

#endif
