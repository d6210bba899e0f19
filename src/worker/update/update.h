/*
 * src/worker/update/update.h -- update specifications: operators, replacements, pipelines.
 *
 * wk_update_new parses the `u` of an update statement: a document of update operators
 * ({$set: {...}, $inc: {...}}), a replacement document, or an aggregation pipeline array
 * ($set/$addFields/$unset/$project/$replaceRoot/$replaceWith).  It reports mongod's parse
 * errors (conflicting paths 40, unknown modifiers 9, ...).  wk_update_apply produces the
 * new document and mongod's apply errors (ImmutableField 66, TypeMismatch 14,
 * PathNotViable 28, ...).  Field order follows mongod: existing fields keep their place and
 * new fields are appended.
 *
 * Contract: the update is immutable after construction and may be applied many times; `out`
 * is initialized by wk_update_apply even on failure (the caller always bson_destroy()s it).
 */
#ifndef SRC_WORKER_UPDATE_UPDATE_H
#define SRC_WORKER_UPDATE_UPDATE_H

#include <bson/bson.h>
#include <stdbool.h>

#include "../../common/errors.h"
#include "../query/matcher.h"

typedef struct wk_update wk_update_t;

/* wk_update_new -- parse the update; `array_filters` (may be NULL) is the arrayFilters list. */
int wk_update_new(const bson_iter_t *u, const bson_t *array_filters, wk_update_t **out,
                  sdb_error_t *err);

/* wk_update_new_ex -- the same with the command's `let` variables (read by pipeline updates,
 * copied) and collation (for arrayFilters, borrowed: it must outlive the update); opts may
 * be NULL. */
int wk_update_new_ex(const bson_iter_t *u, const bson_t *array_filters, const wk_match_opts_t *opts,
                     wk_update_t **out, sdb_error_t *err);

/* wk_update_is_replacement -- true for a replacement document (no operators). */
bool wk_update_is_replacement(const wk_update_t *u);

/* wk_update_apply -- apply to `doc` (details: the positional $ match, may be NULL);
 * upsert_insert makes $setOnInsert apply.  *changed tells whether out differs from doc.  A
 * result nested past SDB_BSON_DEPTH_EVAL levels (a pipeline's stages can wrap it without
 * limit) is 15 Overflow, so nothing that deep is ever sent to be stored. */
int wk_update_apply(const wk_update_t *u, const bson_t *doc, const wk_match_details_t *details,
                    bool upsert_insert, bson_t *out, bool *changed, sdb_error_t *err);

/* wk_update_upsert_seed -- the document mongod starts an upsert from: the query's equality
 * fields ({a: 1}, {a: {$eq: 1}}, $and of those), dotted paths expanded. */
int wk_update_upsert_seed(const bson_t *filter, bson_t *out, sdb_error_t *err);

/* wk_update_free -- release an update (NULL is fine). */
void wk_update_free(wk_update_t *u);

#endif
