/*
 * src/worker/engine/exec_merge.h -- SORT_MERGE of an $or's sorted index scans (exec_merge.c).
 *
 * Used by exec.c and exec_explain.c only.  An executor in merge mode has ex->merge set, its
 * $or plans moved into sub-executors, ex->nor 0.  Event-loop thread only.
 */
#ifndef SRC_WORKER_ENGINE_EXEC_MERGE_H
#define SRC_WORKER_ENGINE_EXEC_MERGE_H

#include "exec.h"

/* wk_exec_merge_possible -- ex has an $or plan of two or more clauses, each of whose scans
 * gives the requested sort (non-multikey, not wildcard). */
bool wk_exec_merge_possible(const wk_exec_t *ex);

/* wk_exec_merge_open -- move ex's $or plans into a merge under the query's collation. */
void wk_exec_merge_open(wk_exec_t *ex, const struct sdb_collation *coll);

/* wk_exec_merge_free -- release the merge (safe without one). */
void wk_exec_merge_free(wk_exec_t *ex);

/* wk_exec_merge_next -- the next document of the merge (wk_exec_next's contract). */
int wk_exec_merge_next(wk_exec_t *ex, bson_t *doc, int64_t *r, bool *found, sdb_error_t *err);

/* wk_exec_merge_unget -- push back the document the last wk_exec_merge_next returned. */
void wk_exec_merge_unget(wk_exec_t *ex);

/* wk_exec_merge_count / wk_exec_merge_plan / wk_exec_merge_sub -- the merged scans (explain,
 * and limit hints, which each scan takes). */
size_t wk_exec_merge_count(const wk_exec_t *ex);
wk_exec_t *wk_exec_merge_sub(wk_exec_t *ex, size_t i);
const wk_exec_plan_t *wk_exec_merge_plan(const wk_exec_t *ex, size_t i);

/* wk_exec_merge_last_plan -- the scan that gave the last document handed out (returnKey). */
const wk_exec_plan_t *wk_exec_merge_last_plan(const wk_exec_t *ex);

/* wk_exec_merge_save -- append {merge: [each scan's position]} to a saved position. */
void wk_exec_merge_save(const wk_exec_t *ex, bson_t *pos);

/* wk_exec_merge_restore -- resume each scan from a saved position; false when the saved
 * scans are not this merge's (the plan changed). */
bool wk_exec_merge_restore(wk_exec_t *ex, const bson_t *pos);

#endif
