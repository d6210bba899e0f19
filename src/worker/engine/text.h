/*
 * src/worker/engine/text.h -- text indexes as the read and index commands meet them.
 *
 * The executor finds the collection's text index for a filter with $text (the matcher parses
 * $text against it); createIndexes normalises text index specs (fts/fts.h) and keeps to one
 * text index per collection (67 CannotCreateIndex, in mongod's words).
 *
 * Invariants: event-loop thread; specs handed out are views into the catalog cache, valid
 * until the next catalog refresh.
 */
#ifndef SRC_WORKER_ENGINE_TEXT_H
#define SRC_WORKER_ENGINE_TEXT_H

#include "../../common/errors.h"
#include "../catalog_cache.h"
#include "exec.h"

#include <bson/bson.h>
#include <stdbool.h>

/* wk_text_in_filter -- does the filter hold $text (at its top or inside $and/$or/$nor)? */
bool wk_text_in_filter(const bson_t *filter);

/* wk_text_plan -- for a filter with $text at its top: the scan of ci's text index over each
 * term of the query (prefix equalities first), as mongod's TEXT_OR; *ok false (plan
 * untouched) when $text sits deeper (the collection is then scanned and matched).  27 when
 * ci has no text index, 291 when a compound index's prefix fields lack equalities or when
 * $text is a clause of the top-level $or whose other clauses are not all indexed. */
int wk_text_plan(const wk_coll_info_t *ci, const bson_t *filter, wk_exec_plan_t *p, bool *ok,
                 sdb_error_t *err);

/* wk_text_explain -- mongod's TEXT_MATCH {indexPrefix, indexName, parsedTextQuery,
 * textIndexVersion} over TEXT_OR over one IXSCAN per term. */
void wk_text_explain(const wk_exec_t *ex, const bson_t *filter, bool with_stats, bson_t *out);

/* wk_text_index -- the spec (a view into ci) of ci's text index; false when it has none. */
bool wk_text_index(const wk_coll_info_t *ci, bson_t *spec);

/* wk_text_fix_spec -- a normalised createIndexes spec whose key has "text" fields rewritten as
 * mongod stores it (sdb_fts_fix_spec) in place; other specs are left alone. */
int wk_text_fix_spec(bson_t *spec, sdb_error_t *err);

/* wk_text_check_one -- the normalised specs array of a createIndexes on ci (NULL: a new
 * collection) adds at most one text index, and none beside an existing one of another name. */
int wk_text_check_one(const wk_coll_info_t *ci, const bson_t *specs, sdb_error_t *err);

#endif
