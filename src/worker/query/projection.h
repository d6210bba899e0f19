/*
 * src/worker/query/projection.h -- find()'s projection: {a: 1}, {a: 0}, $slice, $elemMatch, $.
 *
 * wk_projection_new parses the projection document (with the query filter, which $elemMatch
 * and positional projection need) and reports mongod's errors (31254 exclusion in an
 * inclusion projection, 31253 the reverse, ...).  wk_projection_apply shapes one document.
 * Inclusion keeps _id unless {_id: 0}; exclusion drops the listed paths; dotted paths apply
 * to every document in an array; values that are not numbers or booleans are aggregation
 * expressions evaluated against the document.
 *
 * Contract: the projection is immutable after construction; `out` is initialized by
 * wk_projection_apply even when it fails (the caller always bson_destroy()s it).
 */
#ifndef SRC_WORKER_QUERY_PROJECTION_H
#define SRC_WORKER_QUERY_PROJECTION_H

#include <bson/bson.h>

#include "../../common/errors.h"
#include "matcher.h"

typedef struct wk_projection wk_projection_t;

/* wk_projection_new -- parse `spec`; `filter` may be NULL. */
int wk_projection_new(const bson_t *spec, const bson_t *filter, wk_projection_t **out,
                      sdb_error_t *err);

/* wk_projection_apply -- write the projection of `doc` into `out` (initialized here);
 * `details` (may be NULL) carries the matched array position for positional projection. */
int wk_projection_apply(const wk_projection_t *p, const bson_t *doc,
                        const wk_match_details_t *details, bson_t *out, sdb_error_t *err);

struct wk_op;

/* wk_projection_apply_op -- the same with the command's variables `vars` ({name: value}, its
 * let and fixed $$NOW; may be NULL) for the work of operation op (may be NULL): a $function
 * in a computed field stops at the operation's maxTimeMS, kill or shutdown (js.h). */
int wk_projection_apply_op(const wk_projection_t *p, const bson_t *doc,
                           const wk_match_details_t *details, const bson_t *vars,
                           const struct wk_op *op, bson_t *out, sdb_error_t *err);

/* wk_projection_free -- release a projection (NULL is fine). */
void wk_projection_free(wk_projection_t *p);

#endif
