/*
 * src/common/predicate.h -- the leaf predicates of MongoDB query filters, on one value.
 *
 * What a comparison ($eq, $lt, $lte, $gt, $gte) and a $type test mean for one value reached
 * by a path, as mongod 7.0 defines them: values compare only inside one canonical type
 * bracket (MinKey and MaxKey operands excepted), null also matches missing and undefined,
 * NaN equals only NaN, strings compare by an optional collation.  The worker's matcher
 * (src/worker/query/) and the master's partial-index filters (pfilter.h) both evaluate with
 * these, so a document is in a partial index exactly when a query with the same filter
 * matches it.
 *
 * Pure functions over caller-owned values; any thread, any process.
 */
#ifndef SDB_PREDICATE_H
#define SDB_PREDICATE_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bsoncmp.h"
#include "errors.h"

typedef enum sdb_cmp_op {
    SDB_CMP_EQ,
    SDB_CMP_LT,
    SDB_CMP_LTE,
    SDB_CMP_GT,
    SDB_CMP_GTE,
} sdb_cmp_op_t;

/* sdb_pred_cmp -- does value v (NULL = missing) satisfy {op: rhs}?  sc compares strings (a
 * collation); NULL compares bytes. */
bool sdb_pred_cmp(sdb_cmp_op_t op, const bson_value_t *v, const bson_value_t *rhs,
                  const sdb_bson_str_cmp_t *sc);

/* A $type operand: the set of BSON types it accepts. */
typedef struct sdb_typeset {
    uint64_t mask; /* bit per bson_type_t (0x01..0x13) */
    bool number, minkey, maxkey;
} sdb_typeset_t;

/* sdb_typeset_add -- add one $type operand (an alias such as "string" or "number", or a
 * numeric code); mongod's errors: 2 BadValue for an unknown alias or code, 14 TypeMismatch
 * for another type. */
int sdb_typeset_add(sdb_typeset_t *ts, const bson_iter_t *t, sdb_error_t *err);

/* sdb_typeset_has -- does the set accept type t? */
bool sdb_typeset_has(const sdb_typeset_t *ts, bson_type_t t);

#endif
