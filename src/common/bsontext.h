/*
 * src/common/bsontext.h -- mongod's text of BSON values (BSONElement/BSONObj::toString).
 *
 * Appends to a bson_string_t (which owns its memory); nothing fails.  Pure; any thread.
 */
#ifndef SDB_BSONTEXT_H
#define SDB_BSONTEXT_H

#include <bson/bson.h>
#include <stdbool.h>

/* sdb_bson_text_value -- append mongod's text of one value ("5", "2.5", "\"a\"", "inf.0"). */
void sdb_bson_text_value(bson_string_t *s, const bson_value_t *v);

/* sdb_bson_text_doc -- append mongod's text of a document ({ a: 1 }) or an array ([ 1 ]). */
void sdb_bson_text_doc(bson_string_t *s, const bson_t *d, bool array);

/* sdb_bson_text_new -- a document's text in a new string (bson_free it). */
char *sdb_bson_text_new(const bson_t *d);

#endif
