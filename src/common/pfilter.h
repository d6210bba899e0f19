/*
 * src/common/pfilter.h -- partial-index filters (an index's partialFilterExpression).
 *
 * A partial index holds entries only for the documents its filter matches, and its unique
 * constraint holds only among them.  The master derives every index entry itself, also when
 * it builds an index over existing records, so it evaluates the filter: sdb_pfilter_new
 * compiles the subset of the query language mongod 7.0 accepts there (equality, $eq, $gt,
 * $gte, $lt, $lte, $in of plain values, $exists: true, $type, $all of plain values, and
 * $and / $or up to four levels deep) and refuses the rest with mongod's 67
 * CannotCreateIndex "Expression not supported in partial index: <tree>".  Evaluation uses
 * the query predicates of predicate.h and the path traversal of path.h, the same code the
 * worker's matcher runs, so "in the index" and "matches the filter as a query" agree.
 *
 * Contract: the filter copies what it needs from its source document; it is immutable after
 * construction and may be shared by threads.  On error *out is NULL and err holds the client
 * error.  The worker parses a filter with its matcher first (for the generic parse errors),
 * so the errors here are those about operators a partial index cannot hold.
 */
#ifndef SDB_PFILTER_H
#define SDB_PFILTER_H

#include <bson/bson.h>
#include <stdbool.h>

#include "bsoncmp.h"
#include "errors.h"

typedef struct sdb_pfilter sdb_pfilter_t;

/* sdb_pfilter_new -- compile a partialFilterExpression document. */
int sdb_pfilter_new(const bson_t *filter, sdb_pfilter_t **out, sdb_error_t *err);

/* sdb_pfilter_matches -- does doc match?  sc compares strings (the index's collation; NULL
 * compares bytes). */
bool sdb_pfilter_matches(const sdb_pfilter_t *f, const bson_t *doc, const sdb_bson_str_cmp_t *sc);

/* sdb_pfilter_free -- release a filter (NULL is fine). */
void sdb_pfilter_free(sdb_pfilter_t *f);

#endif
