/*
 * src/worker/query/matcher.h -- MongoDB query filters ({a: 1, b: {$gt: 2}}) over BSON documents.
 *
 * wk_matcher_new parses a filter into a tree of predicates once (reporting mongod's parse
 * errors: BadValue "unknown operator: $foo", malformed $mod, bad $regex options, ...);
 * wk_matcher_matches evaluates it against documents.  Semantics are mongod 7.0's: type
 * bracketing, null matches missing, arrays match element-wise and as a whole, dotted paths
 * traverse arrays, numeric components index them.
 *
 * Contract: the matcher copies what it needs from `filter`; the caller keeps ownership of
 * its documents.  A matcher is immutable after construction, so it may be shared by
 * threads.  On error nothing is allocated (*out is NULL) and err holds the client error.
 */
#ifndef SRC_WORKER_QUERY_MATCHER_H
#define SRC_WORKER_QUERY_MATCHER_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../common/errors.h"

/* The array position that satisfied the filter, for the positional $ operator. */
typedef struct wk_match_details {
    int32_t elem_index;
    bool has_elem_index;
    bool has_text_score; /* a $text matched: its textScore (matcher_text.c) */
    double text_score;
} wk_match_details_t;

typedef struct wk_matcher wk_matcher_t;
typedef struct sdb_collation sdb_collation_t; /* collation.h */

/* What a command adds to its filters: its `let` variables and its collation; a read or write
 * of a collection also allows $where and names the operation its JavaScript runs for. */
typedef struct wk_match_opts {
    const bson_t *vars;          /* {name: value} read by $expr as $$name; NULL for none */
    const sdb_collation_t *coll; /* string comparisons; NULL = simple (binary) */
    bool allow_where;            /* $where may appear (else 2 "not allowed in this context") */
    const struct wk_op *op;      /* $where's operation (maxTimeMS, interrupts); may be NULL */
    const bson_t *text_index;    /* the collection's text index spec, for $text (borrowed for
                                  * the construction only); NULL: $text is 27 IndexNotFound */
    bool allow_near;             /* $near / $nearSphere may appear (find: it orders by them) */
} wk_match_opts_t;

/* wk_matcher_new -- parse `filter` (NULL or empty matches everything). */
int wk_matcher_new(const bson_t *filter, wk_matcher_t **out, sdb_error_t *err);

/* wk_matcher_new_ex -- the same with options (NULL = none).  The matcher copies `vars`; the
 * collation is borrowed and must outlive the matcher. */
int wk_matcher_new_ex(const bson_t *filter, const wk_match_opts_t *opts, wk_matcher_t **out,
                      sdb_error_t *err);

/* wk_matcher_matches -- does `doc` satisfy the filter?  Fills details when non-NULL.  An
 * evaluation error makes the document not match (validators, listCollections filters). */
bool wk_matcher_matches(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *details);

/* wk_matcher_match -- the same, reporting errors raised while evaluating (by $expr: 17276
 * undefined variable, $divide by zero, type errors), which mongod returns for the whole
 * command.  On error *matched is false and err holds the client error. */
int wk_matcher_match(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *details,
                     bool *matched, sdb_error_t *err);

/* wk_matcher_free -- release a matcher (NULL is fine). */
void wk_matcher_free(wk_matcher_t *m);

/* wk_matcher_id_values -- true, with the values appended to `values_array_out` (an
 * initialized, empty bson_t filled as an array "0", "1", ...), when the filter pins `_id` to
 * one equality value or an $in list of plain values, for the planner's _id index lookup. */
bool wk_matcher_id_values(const wk_matcher_t *m, bson_t *values_array_out);

#endif
