/*
 * src/common/bsonstr.h -- BSON as mongod prints it in messages (BSONObj::toString).
 *
 * E11000 duplicate-key messages, "Error in specification" and the partial-filter debug
 * strings quote documents and values in this form: { a: 1, s: "x", d: new Date(0) }.
 * Pure functions; the caller owns the bson_string_t; any thread, any process.
 */
#ifndef SDB_BSONSTR_H
#define SDB_BSONSTR_H

#include <bson/bson.h>
#include <stdbool.h>

/* sdb_bson_str_value -- append the value `it` is positioned on. */
void sdb_bson_str_value(bson_string_t *s, const bson_iter_t *it);

/* sdb_bson_str_doc -- append a document ({ ... }), or its elements as an array ([ ... ]). */
void sdb_bson_str_doc(bson_string_t *s, const bson_t *d, bool array);

/* sdb_bson_str -- a document's form in a new string (bson_free it). */
char *sdb_bson_str(const bson_t *d);

#endif
