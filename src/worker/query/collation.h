/*
 * src/worker/query/collation.h -- MongoDB collations ({locale, strength, caseLevel, ...}) on ICU.
 *
 * wk_collation_new parses a collation document the way mongod does (locale required, the
 * other fields optional and typed) and opens an ICU collator configured from it; the
 * "simple" locale means binary comparison and yields NULL, so every user of a collation
 * treats NULL as "compare bytes".  wk_collation_value_cmp is MongoDB's value order with
 * strings (and symbols) compared by the collator, also inside documents and arrays.
 *
 * Contract: a collation is immutable after construction and its comparisons are
 * thread-safe; the caller owns it (wk_collation_free) and keeps it alive while matchers,
 * sorts or updates built with it are in use.  On error *out is NULL and err holds the
 * client error.
 */
#ifndef SRC_WORKER_QUERY_COLLATION_H
#define SRC_WORKER_QUERY_COLLATION_H

#include <bson/bson.h>
#include <stddef.h>

#include "../../common/errors.h"

typedef struct wk_collation wk_collation_t;

/* wk_collation_new -- parse `spec` (a collation document); *out NULL for locale "simple". */
int wk_collation_new(const bson_t *spec, wk_collation_t **out, sdb_error_t *err);

/* wk_collation_str_cmp -- <0, 0, >0 comparing two UTF-8 strings (binary when c is NULL). */
int wk_collation_str_cmp(const wk_collation_t *c, const char *a, size_t alen, const char *b,
                         size_t blen);

/* wk_collation_value_cmp -- MongoDB's order of two values under the collation (NULL = the
 * binary order of src/common/bsoncmp.h). */
int wk_collation_value_cmp(const wk_collation_t *c, const bson_value_t *a, const bson_value_t *b);

/* wk_collation_free -- release a collation (NULL is fine). */
void wk_collation_free(wk_collation_t *c);

#endif
