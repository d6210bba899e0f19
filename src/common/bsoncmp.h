/*
 * src/common/bsoncmp.h -- MongoDB's comparison and sort order for BSON values.
 *
 * Implements the manual's "Comparison/Sort Order": MinKey < null (and missing) < numbers
 * (int32, int64, double, decimal128 compared by value; NaN below every other number and equal
 * to NaN; -0 == 0) < symbol, string (binary byte order; no collation) < object < array <
 * binData (length, then subtype, then bytes) < ObjectId < bool < date < timestamp < regex <
 * MaxKey.  Objects compare field by field (type bracket, then name, then value); arrays
 * element by element.  Pure functions; any thread, any process.
 */
#ifndef SDB_BSONCMP_H
#define SDB_BSONCMP_H

#include <bson/bson.h>

/* sdb_bson_type_order -- the canonical type bracket of a BSON type (lower sorts first). */
int sdb_bson_type_order(bson_type_t t);

/* sdb_bson_value_cmp -- <0, 0, >0 comparing two values in MongoDB order. */
int sdb_bson_value_cmp(const bson_value_t *a, const bson_value_t *b);

/* sdb_bson_iter_cmp -- same for two iterators positioned on elements. */
int sdb_bson_iter_cmp(const bson_iter_t *a, const bson_iter_t *b);

/* sdb_bson_doc_cmp -- compare two documents as embedded-object values. */
int sdb_bson_doc_cmp(const bson_t *a, const bson_t *b);

#endif
