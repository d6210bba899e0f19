/*
 * src/worker/agg/spill.h -- spilling for the blocking stages: sorted runs written to a
 * temporary table in the master and merged back in order (an external merge sort).
 *
 * A stage that holds more than its memory limit (wk_spill_limit) sorts what it holds, writes
 * it as one run (wk_spill_run) and frees it; at the end it writes the rest as the last run and
 * reads everything back through wk_spill_merge_next, which yields the documents of all runs
 * in order: by the stage's comparison, and on ties by run, then by position in the run, so a
 * stable in-memory sort of each run gives exactly the order a stable sort of the whole input
 * would.  The runs live in one temporary table (TMP_* operations, storeop.def) that
 * wk_spill_free drops; if the worker dies the master drops it.
 *
 * Contract: event-loop thread, one coroutine per spill.  Documents handed to wk_spill_run stay
 * the caller's; those from wk_spill_merge_next are the caller's to destroy.  An error leaves
 * the spill usable only for wk_spill_free.
 */
#ifndef SRC_WORKER_AGG_SPILL_H
#define SRC_WORKER_AGG_SPILL_H

#include "agg.h"

typedef struct wk_spill wk_spill_t;

/* wk_spill_cmp_fn -- the order of two spilled documents (<0, 0, >0). */
typedef int (*wk_spill_cmp_fn)(const bson_t *a, const bson_t *b, void *arg);

/* wk_spill_limit -- the bytes a blocking stage may hold: internalQueryMaxBlockingSortMemoryUsage-
 * Bytes for $sort (`sort`), internalDocumentSourceGroupMaxMemoryBytes for the others. */
size_t wk_spill_limit(bool sort);

/* wk_spill_over -- whether `bytes` passes the stage's limit: 0 when not (*over false) or
 * when it may spill (*over true); 292 QueryExceededMemoryLimitNoDiskUseAllowed in mongod's
 * words when allowDiskUse is off (its sorter's for $sort and $bucketAuto, its $group's for the
 * others). */
int wk_spill_over(const wk_agg_ctx_t *ctx, size_t bytes, const char *what, bool *over,
                  sdb_error_t *err);

/* wk_spill_new -- an empty spill for the work of `op` (no table until the first run). */
wk_spill_t *wk_spill_new(const wk_op_t *op);

/* wk_spill_run -- write docs[0, n) (already in order; NULL slots skipped) as the next run. */
int wk_spill_run(wk_spill_t *sp, bson_t *const *docs, size_t n, sdb_error_t *err);

/* wk_spill_runs -- how many runs were written. */
size_t wk_spill_runs(const wk_spill_t *sp);

/* wk_spill_run_first -- the number of run `run`'s first record: its records are numbered
 * [first, first + its document count), the runs one after the other. */
int64_t wk_spill_run_first(const wk_spill_t *sp, size_t run);

/* Records read back in one TMP_READ: the reply and its documents (pointers into it; no
 * bson_iter_t here: blocks live in plain heap arrays and bson_iter_t wants 128-byte alignment). */
typedef struct wk_spill_block {
    bson_t *reply; /* NULL: nothing read (heap: bson_t's alignment) */
    const uint8_t **data;
    uint32_t *lens;
    size_t n, cap;
} wk_spill_block_t;

/* wk_spill_read -- the records numbered [from, end), as many as fit in about max_bytes (at
 * least one; none past the table's end), into b (zeroed or read into before; what it held
 * is released). */
int wk_spill_read(wk_spill_t *sp, int64_t from, int64_t end, size_t max_bytes, wk_spill_block_t *b,
                  sdb_error_t *err);

/* wk_spill_block_free -- release a block (it is left zeroed). */
void wk_spill_block_free(wk_spill_block_t *b);

/* wk_spill_merge_next -- the next document of the merge of every run under cmp (the same
 * cmp on every call); *out NULL at the end. */
int wk_spill_merge_next(wk_spill_t *sp, wk_spill_cmp_fn cmp, void *arg, bson_t **out,
                        sdb_error_t *err);

/* wk_spill_free -- drop the table and release everything (NULL is fine). */
void wk_spill_free(wk_spill_t *sp);

#endif
