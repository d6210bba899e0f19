/*
 * src/worker/agg/agg.h -- the aggregation pipeline engine: parse a pipeline, run it.
 *
 * A pipeline is an array of stages ({$match: ...}, {$group: ...}, ...).  wk_agg_parse checks
 * every stage against the stage table (stages.def) and parses its specification once, with
 * mongod's error codes and messages.  wk_agg_run evaluates it, pushing the source through
 * the stages in chunks (pipeline.c); the result is one vector (the command spools what does
 * not fit in the first batch).
 * The source of a pipeline is the caller's vector, a leading $documents / $collStats /
 * $indexStats stage, or the collection named in the context, read through the shared read
 * executor (engine/exec.h) with a leading $match as its filter so that an _id lookup is used.
 *
 * Every stage is an interrupt point per document it handles (and per few hundred
 * comparisons while sorting or grouping): wk_op_check on ctx->op gives the worker's loop
 * its turns and stops the pipeline at maxTimeMS, shutdown or a gone client.
 *
 * Contract: event-loop thread only (stages such as $lookup, $out and $merge call the store).
 * A parsed pipeline is immutable and owns copies of everything it needs.  Every document in
 * a wk_agg_docs_t is owned by the vector.  On error, err holds the client error and the output
 * vector is left empty (but still needs wk_agg_docs_free).
 */
#ifndef SRC_WORKER_AGG_AGG_H
#define SRC_WORKER_AGG_AGG_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/errors.h"
#include "../op.h"

#define WK_AGG_MEM_MAX (100 * 1024 * 1024) /* per blocking stage without allowDiskUse */
#define WK_AGG_MAX_DEPTH 20                /* nested $lookup / $facet pipelines */
#define WK_AGG_CHUNK 128                   /* documents a chunk of a run holds at most */
#define WK_AGG_CHUNK_BYTES (1024 * 1024)   /* and bytes (read from the collection) */

/* wk_agg_docs_t -- a growable vector of owned documents (NULL slots are skipped). */
typedef struct wk_agg_docs {
    bson_t **v;
    size_t n, cap;
} wk_agg_docs_t;

/* wk_agg_ctx_t -- where a pipeline runs; owned by the caller, read by the stages. */
typedef struct wk_agg_ctx {
    const char *db;                        /* database of the command */
    const char *coll;                      /* source collection; NULL for {aggregate: 1} */
    bool allow_disk_use;                   /* lifts the 100 MiB limit of $sort and $group */
    int depth;                             /* nesting level of sub-pipelines */
    const struct sdb_collation *collation; /* the command's (borrowed); NULL = simple */
    bson_t *err_extra;        /* optional: a failing write stage appends mongod's extra error-reply
                        * fields here (keyPattern/keyValue of a DuplicateKey) */
    const wk_op_t *op;        /* the command's interrupt state (op.h); NULL = none */
    const bson_value_t *hint; /* the command's hint (borrowed; NULL = none): the plan, and so
                               * the order, of the top-level pipeline's collection read */
    bool bypass_validation;   /* bypassDocumentValidation: $out and $merge skip the target's
                               * validator */
    uint64_t read_ts;         /* readConcern snapshot: the time every collection read reads at (0 =
                       * the latest data; engine/read_concern.h) */
    int64_t source_want;      /* set by the pipeline for its source stage only: how many documents
                          * the stages after it can use ($skip/$limit); <= 0: all */
} wk_agg_ctx_t;

typedef struct wk_agg_pipeline wk_agg_pipeline_t;

/* wk_agg_docs_init -- an empty vector. */
void wk_agg_docs_init(wk_agg_docs_t *d);

/* wk_agg_docs_push -- append `doc`, taking ownership (a heap bson_t from bson_new/copy). */
void wk_agg_docs_push(wk_agg_docs_t *d, bson_t *doc);

/* wk_agg_docs_bytes -- total size of the documents. */
size_t wk_agg_docs_bytes(const wk_agg_docs_t *d);

/* wk_agg_docs_free -- destroy every document and the vector; leaves it empty. */
void wk_agg_docs_free(wk_agg_docs_t *d);

/* wk_agg_parse -- parse the pipeline array `it` points at (14 TypeMismatch otherwise).  `ctx`
 * tells which stages are allowed ({aggregate: 1} needs a collection-less first stage). */
int wk_agg_parse(const bson_iter_t *it, const wk_agg_ctx_t *ctx, wk_agg_pipeline_t **out,
                 sdb_error_t *err);

/* wk_agg_parse_doc -- the same for a pipeline held in a bson_t array. */
int wk_agg_parse_doc(const bson_t *arr, const wk_agg_ctx_t *ctx, wk_agg_pipeline_t **out,
                     sdb_error_t *err);

/* wk_agg_run -- run the pipeline.  `input` (may be NULL) replaces the collection source and is
 * consumed (left empty); `out` must be initialized and receives the results. */
int wk_agg_run(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_docs_t *input,
               wk_agg_docs_t *out, sdb_error_t *err);

/* wk_agg_emit_fn -- takes the results so far: moves (or frees) every document of `out`. */
typedef int (*wk_agg_emit_fn)(void *arg, wk_agg_docs_t *out, sdb_error_t *err);

/* wk_agg_run_emit -- run the pipeline over its collection or source stage, handing the results
 * to `emit` chunk by chunk as they come instead of collecting them, so a caller that writes
 * them on (a cursor's spool) never holds the whole result; an error from emit stops the run. */
int wk_agg_run_emit(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, wk_agg_emit_fn emit, void *arg,
                    sdb_error_t *err);

/* wk_agg_streamable -- whether the pipeline reads a collection through stages that each map
 * a document on its own ($match, $project, $unwind, ...) or count ($skip, $limit) only, so
 * that a cursor can stop after a batch and continue later (wk_agg_run_batch). */
bool wk_agg_streamable(const wk_agg_pipeline_t *p);

/* wk_agg_streamable_sorted -- whether the pipeline is streamable once its leading $sort (right
 * after the leading $match, or first) is absorbed by the read: the planner (exec.h) finds an
 * index that yields its order for the collection of ctx.  It plans the read to tell. */
bool wk_agg_streamable_sorted(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx);

/* wk_agg_leading_sort -- the spec of the $sort the read may absorb (a static view valid while
 * the pipeline lives), false when there is none; for explain. */
bool wk_agg_leading_sort(const wk_agg_pipeline_t *p, bson_t *out);

/* wk_agg_run_batch -- run a streamable pipeline from its start (resume NULL) or from a state a
 * previous call saved, until at least `want` results (<= 0: all) are in `out` or the input
 * ends.  A run can overshoot `want` ($unwind: the results of the last document read).  *eof
 * tells that nothing more can come; otherwise `state` receives {pos, left}: the read position
 * and the $skip/$limit counts to resume from. */
int wk_agg_run_batch(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, const bson_t *resume,
                     int64_t want, wk_agg_docs_t *out, bson_t *state, bool *eof, sdb_error_t *err);

/* wk_agg_leading_filter -- the filter of a leading $match (empty when there is none), a
 * static view valid while the pipeline lives; for explain. */
void wk_agg_leading_filter(const wk_agg_pipeline_t *p, bson_t *out);

/* wk_agg_writes -- true when the pipeline ends in $out or $merge. */
bool wk_agg_writes(const wk_agg_pipeline_t *p);

/* wk_agg_last_stage_name -- the name of the last stage ("$out"), "" for an empty pipeline. */
const char *wk_agg_last_stage_name(const wk_agg_pipeline_t *p);

/* wk_agg_append_stages -- append the stage specifications as an array named `key` (explain). */
void wk_agg_append_stages(const wk_agg_pipeline_t *p, bson_t *b, const char *key);

/* wk_agg_explain_source -- a pipeline that starts with $geoNear: its read planned (and at
 * executionStats and above run, as the pipeline would run it) as mongod's
 * {$geoNearCursor: {queryPlanner, executionStats?}} into out (an array element being
 * built), the stages after it into rest ("1", ...); *done false (nothing written) for any other
 * pipeline.  verbosity: exec.h WK_EXPLAIN_*. */
int wk_agg_explain_source(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx, int verbosity,
                          bson_t *out, bson_t *rest, bool *done, sdb_error_t *err);

/* wk_agg_free -- release a pipeline (NULL is fine). */
void wk_agg_free(wk_agg_pipeline_t *p);

/* wk_agg_subst_vars -- copy the pipeline array `in` into `out` (initialized here), replacing
 * every string "$$name" or "$$name.path" whose name is a field of `vars` with {$literal: v}:
 * how $lookup's `let` and the command's `let` reach the stages.  Nesting past
 * SDB_BSON_DEPTH_EVAL is 15 Overflow (out is still initialized). */
int wk_agg_subst_vars(const bson_t *in, const bson_t *vars, bson_t *out, sdb_error_t *err);

#endif
