/*
 * src/worker/agg/agg_int.h -- what the pipeline (pipeline.c), the stage files (stage_*.c),
 * the accumulators (accum.c, accum_n.c) and the document helpers (doc.c) share.
 *
 * A stage is a row of stages.def: name, parse function (spec -> private state), run function
 * (input vector -> output vector), free function and flags.  A run function owns `in` on entry
 * (it may move documents out of it, leaving NULL slots) and appends to `out`; the pipeline
 * frees whatever is left in `in`.  An accumulator is a row of accum.c's table: a step per
 * value and a value function that leaves the state as it was, so $group ($bucket) reads it
 * once per group and $setWindowFields (window.h) once per document of a growing window.
 *
 * Invariants: internal to src/worker/agg; private states are immutable after parsing.
 */
#ifndef SRC_WORKER_AGG_AGG_INT_H
#define SRC_WORKER_AGG_AGG_INT_H

#include "agg.h"

#include "../../common/path.h"
#include "../../common/sdb.h"
#include "../query/dec.h"
#include "../query/expr.h"
#include "../query/sort.h"
#include "../query/stats.h"

#define WK_AGG_F_FIRST 0x1u  /* must be the first stage */
#define WK_AGG_F_LAST 0x2u   /* must be the last stage ($out, $merge) */
#define WK_AGG_F_NOCOLL 0x4u /* a source that needs no collection ($documents) */
#define WK_AGG_F_SOURCE 0x8u /* produces its own documents (ignores the input) */
#define WK_AGG_F_NOTXN 0x10u /* refused inside a multi-document transaction (263) */

typedef int (*wk_agg_parse_fn)(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                               sdb_error_t *err);
typedef int (*wk_agg_run_fn)(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,
                             wk_agg_docs_t *out, sdb_error_t *err);
typedef void (*wk_agg_free_fn)(void *priv);

typedef struct wk_agg_stage_def {
    const char *name;
    wk_agg_parse_fn parse;
    wk_agg_run_fn run;
    wk_agg_free_fn free;
    unsigned flags;
} wk_agg_stage_def_t;

/* One parse/run/free prototype per stage, generated from the table. */
#define X(name, stem, flags)                                                                       \
    int wk_agg_parse_##stem(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,         \
                            sdb_error_t *err);                                                     \
    int wk_agg_run_##stem(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,                  \
                          wk_agg_docs_t *out, sdb_error_t *err);                                   \
    void wk_agg_free_##stem(void *priv);
#include "stages.def"
#undef X

/* wk_agg_explain_geo_near (stage_geo_near.c) -- the explain of a leading $geoNear (agg.h
 * wk_agg_explain_source), `want` documents used by the stages after it (<= 0: all). */
int wk_agg_explain_geo_near(const void *priv, const wk_agg_ctx_t *ctx, int64_t want, int verbosity,
                            bson_t *out, sdb_error_t *err);

/* A blocking stage that takes its input in chunks and may spill (spill.h): open its state,
 * push chunks (consumed), then pull the output in chunks of at most `max` documents until
 * *done.  `topk` > 0: only the first topk outputs will be used ($sort then $limit).  The
 * pipeline (pipeline.c) drives $sort and $group this way; their run functions are the same
 * three calls over one chunk. */
typedef struct wk_agg_blocking {
    int (*open)(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state);
    int (*push)(void *state, wk_agg_docs_t *in, sdb_error_t *err);
    int (*pull)(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err);
    void (*close)(void *state);
} wk_agg_blocking_t;

extern const wk_agg_blocking_t wk_agg_sort_blocking;        /* stage_order.c */
extern const wk_agg_blocking_t wk_agg_group_blocking;       /* stage_group.c */
extern const wk_agg_blocking_t wk_agg_bucket_auto_blocking; /* stage_bucket_auto.c */
extern const wk_agg_blocking_t wk_agg_window_blocking;      /* stage_window.c */
extern const wk_agg_blocking_t wk_agg_facet_blocking;       /* stage_lookup.c */
extern const wk_agg_blocking_t wk_agg_densify_blocking;     /* stage_densify.c */

/* wk_agg_blocking_run -- a blocking stage's run function: open, push `in`, pull everything. */
int wk_agg_blocking_run(const wk_agg_blocking_t *b, const void *priv, wk_agg_ctx_t *ctx,
                        wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err);

/* ---- document helpers (doc.c) ---------------------------------------------------------- */

/* wk_agg_doc_get -- the value at dotted `path` (no array traversal), copied; missing = EOD. */
void wk_agg_doc_get(const bson_t *doc, const char *path, bson_value_t *out);

/* wk_agg_doc_set -- copy `doc` into `out` (initialized here) with dotted `path` set to `v`
 * (created at the end when absent; removed when v is missing).  A non-document on the way is
 * replaced by a document.  It recurses once per component: stages pass only paths that
 * passed sdb_path_check when they were parsed (15 Overflow "FieldPath is too long"). */
void wk_agg_doc_set(const bson_t *doc, const char *path, const bson_value_t *v, bson_t *out);

/* wk_agg_value_doc -- a static bson_t view of a document or array value. */
bool wk_agg_value_doc(const bson_value_t *v, bson_t *view);

/* wk_agg_let_t -- a stage's `let` ($lookup, $merge): variable names and their expressions,
 * evaluated against one document at a time. */
typedef struct wk_agg_let {
    char **names;
    wk_expr_t **exprs;
    size_t n;
} wk_agg_let_t;

/* wk_agg_let_parse -- append the {name: expression} fields of the document `it` holds (the
 * caller checked its type); on error what was parsed stays for wk_agg_let_free. */
int wk_agg_let_parse(wk_agg_let_t *l, const bson_iter_t *it, sdb_error_t *err);

/* wk_agg_let_eval -- append each variable's value against `doc` to `vars` (missing as null). */
int wk_agg_let_eval(const wk_agg_let_t *l, const bson_t *doc, const wk_op_t *op, bson_t *vars,
                    sdb_error_t *err);

/* wk_agg_let_free -- release the names and expressions (the struct itself is the caller's). */
void wk_agg_let_free(wk_agg_let_t *l);

/* wk_agg_append_value -- append v under key unless it is missing. */
void wk_agg_append_value(bson_t *b, const char *key, const bson_value_t *v);

/* wk_agg_type_name -- mongod's type name of a value ("missing" for missing). */
const char *wk_agg_type_name(bson_type_t t);

/* wk_agg_eval -- evaluate e on doc; a failure leaves *out missing. */
int wk_agg_eval(const wk_expr_t *e, const bson_t *doc, bson_value_t *out, sdb_error_t *err);

/* wk_agg_eval_op -- wk_agg_eval for the work of op: a $function script stops at its maxTimeMS
 * (the stages that run user expressions per document pass the command's). */
int wk_agg_eval_op(const wk_expr_t *e, const bson_t *doc, const wk_op_t *op, bson_value_t *out,
                   sdb_error_t *err);

/* wk_agg_value_text -- a value as the text mongod's messages print it ("abc" quoted, numbers
 * bare, MISSING for missing), cut to fit buf. */
void wk_agg_value_text(const bson_value_t *v, char *buf, size_t len);

/* wk_agg_field_path -- check `s` as mongod's FieldPath: non-empty (40352), no empty
 * component (15998), no component starting with '$' (16410), not too long (15 Overflow). */
int wk_agg_field_path(const char *s, sdb_error_t *err);

/* wk_agg_check_mem -- 292 when `bytes` passes the limit (internalDocumentSourceGroupMax-
 * MemoryBytes; the $sort one for "$sort") and allowDiskUse is off (spill.h wk_spill_over).
 * The stages that call it ($bucket, $setWindowFields) do not spill: with allowDiskUse they
 * go on in memory. */
int wk_agg_check_mem(const wk_agg_ctx_t *ctx, size_t bytes, const char *what, sdb_error_t *err);

/* ---- accumulators (accum.c) and grouping (stage_group.c) ------------------------------- */

typedef struct wk_acc_def wk_acc_def_t;
typedef struct wk_acc_js wk_acc_js_t; /* $accumulator's functions (accum_js.c) */

/* One accumulator: {name: {$op: args}} of $group / $bucket, or the function of one output
 * field of $setWindowFields. */
typedef struct wk_acc_spec {
    char *field;
    const wk_acc_def_t *def;
    wk_expr_t *arg;       /* the value fed per document ($topN: {output, sortFields0, ...}) */
    wk_expr_t *n;         /* the N-family's `n`, evaluated per group (per partition) */
    wk_expr_t *quant;     /* $median / $percentile: the parsed operator (stats.h) */
    struct wk_sort *sort; /* $topN and friends: {sortFields0: dir, ...} over `arg`'s value */
    bool window;          /* parsed for $setWindowFields */
    bool exact;           /* $median/$percentile over a sliding window: exact, not a t-digest */
    wk_acc_js_t *js;      /* $accumulator: its functions and initArgs; `arg` is accumulateArgs */
} wk_acc_spec_t;

typedef struct wk_acc_state {
    bson_value_t v;     /* $min $max $first $last $mergeObjects */
    bool seen;          /* $first: a value was taken; $min/$max: v holds one */
    wk_sum_t sum;       /* $sum $avg $count; sum.count: $covariance* pairs */
    wk_stddev_t sd;     /* $stdDevPop $stdDevSamp */
    double mx, my, cxy; /* $covariance*: running means and co-moment */
    wk_dec_t *dcov;     /* $covariance*: [mx, my, cxy] exactly once a decimal came in (heap) */
    int64_t want;       /* the N-family's n */
    bson_value_t *vals; /* $push $addToSet and the N-family */
    size_t nvals, cap;
    double *dbls; /* $median $percentile in sliding windows (exact) */
    size_t ndbl, dcap;
    struct wk_tdigest *digest; /* $median $percentile otherwise (heap) */
    const wk_op_t *op;         /* $accumulator: the operation its scripts run for (may be NULL) */
} wk_acc_state_t;

#define WK_ACC_GROUP 0x1u      /* allowed in $group and $bucket */
#define WK_ACC_WINDOW 0x2u     /* allowed in $setWindowFields */
#define WK_ACC_N 0x4u          /* takes {n, input} / {n, output, sortBy} (accum_n.c) */
#define WK_ACC_SORT 0x8u       /* takes sortBy ($top $bottom $topN $bottomN) */
#define WK_ACC_SINGLE 0x10u    /* $top/$bottom: one value, not an array */
#define WK_ACC_QUANTILE 0x20u  /* $median / $percentile */
#define WK_ACC_ORDERLESS 0x40u /* the result does not depend on the order of the values */

typedef int (*wk_acc_step_fn)(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
                              sdb_error_t *err);
typedef void (*wk_acc_value_fn)(const wk_acc_spec_t *spec, const wk_acc_state_t *st,
                                bson_value_t *out);
typedef bool (*wk_acc_remove_fn)(wk_acc_state_t *st, const bson_value_t *v);

struct wk_acc_def {
    const char *name;
    wk_acc_step_fn step;     /* feed one value (may be missing) */
    wk_acc_value_fn value;   /* the result so far, owned by the caller; the state is unchanged */
    unsigned flags;          /* WK_ACC_* */
    wk_acc_remove_fn remove; /* take a value out again (sliding windows); NULL: cannot */
};

/* wk_acc_find -- the accumulator `name` allowed `where` (WK_ACC_GROUP/WINDOW), or NULL. */
const wk_acc_def_t *wk_acc_find(const char *name, unsigned where);

/* wk_acc_parse -- parse {$op: expr} for output field `field` of `stage`. */
int wk_acc_parse(const char *stage, const bson_iter_t *it, wk_acc_spec_t *spec, sdb_error_t *err);

/* wk_acc_parse_count -- the default output of $bucket and $bucketAuto, {count: {$sum: 1}},
 * as the only accumulator: *accs (heap) and *nacc (1, or 0 on error). */
int wk_acc_parse_count(const char *stage, wk_acc_spec_t **accs, size_t *nacc, sdb_error_t *err);

/* wk_acc_parse_op -- parse the arguments of accumulator `def` (`op` on its element) into spec
 * (zeroed by the caller); `window` for $setWindowFields. */
int wk_acc_parse_op(const bson_iter_t *op, const wk_acc_def_t *def, bool window,
                    wk_acc_spec_t *spec, sdb_error_t *err);

/* wk_acc_input -- the expression evaluated per document. */
const wk_expr_t *wk_acc_input(const wk_acc_spec_t *spec);

/* wk_acc_start -- initialize a state (keeping its `op`: zero it first, or set op); the N-family evaluates and checks `n` against `doc` (the
 * group's _id when it is a document, else {}, as mongod; {} for a window). */
int wk_acc_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc,
                 sdb_error_t *err);

/* wk_acc_step -- feed one value (owned by the caller; may be missing). */
int wk_acc_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
                sdb_error_t *err);

/* wk_acc_value -- the result so far (owned by the caller); the state is unchanged. */
void wk_acc_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out);

/* wk_acc_remove -- take out a value stepped in before (the oldest of a sliding window); false
 * when the accumulator cannot, and the caller starts the window over. */
bool wk_acc_remove(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v);

/* wk_acc_reset -- release what the state holds and empty it (n is kept by the caller). */
void wk_acc_reset(wk_acc_state_t *st);

/* wk_acc_final -- wk_acc_value, then wk_acc_reset. */
void wk_acc_final(const wk_acc_spec_t *spec, wk_acc_state_t *st, bson_value_t *out);

/* wk_acc_finish -- the group's result, which for $accumulator runs finalize and may fail. */
int wk_acc_finish(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out,
                  sdb_error_t *err);

/* $accumulator (accum_js.c): parse its document; start a group with init(...initArgs evaluated
 * against the group's _id document); feed accumulateArgs' array; the result through finalize. */
int wk_acc_js_parse(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err);
void wk_acc_js_free(wk_acc_js_t *js);
int wk_acc_js_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc,
                    sdb_error_t *err);
int wk_acc_js_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
                   sdb_error_t *err);
int wk_acc_js_finish(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out,
                     sdb_error_t *err);

/* wk_acc_spec_destroy -- release one spec. */
void wk_acc_spec_destroy(wk_acc_spec_t *spec);

/* Helpers the accumulator files share (accum.c). */
void wk_acc_val_set(bson_value_t *v, bson_type_t t);
void wk_acc_val_clear(bson_value_t *v);
void wk_acc_push(wk_acc_state_t *st, const bson_value_t *v);
void wk_acc_array(const bson_value_t *vals, size_t n, bson_value_t *out);

/* The N-family (accum_n.c). */
int wk_acc_n_parse(const bson_iter_t *op, wk_acc_spec_t *spec, sdb_error_t *err);
int wk_acc_n_start(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_t *doc,
                   sdb_error_t *err);
int wk_acc_n_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v,
                  sdb_error_t *err);
void wk_acc_n_value(const wk_acc_spec_t *spec, const wk_acc_state_t *st, bson_value_t *out);

/* wk_agg_group_docs -- the grouping engine of $group and $bucket: docs with equal keys[i]
 * (owned values, consumed) form one output {_id: key, <acc fields>}, in key order. */
int wk_agg_group_docs(const wk_agg_ctx_t *ctx, const wk_acc_spec_t *accs, size_t nacc,
                      bson_value_t *keys, wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err);

/* ---- $bucketAuto's granularity (granularity.c) ------------------------------------------- */

/* A rounder: a preferred-number series (one decade of base values) or, with series NULL,
 * POWERSOF2. */
typedef struct wk_gran {
    const char *name;
    const double *series;
    size_t n;
} wk_gran_t;

/* wk_gran_find -- the rounder named `name` ("R5" ... "E192", "1-2-5", "POWERSOF2"); NULL for
 * an unknown name. */
const wk_gran_t *wk_gran_find(const char *name);

/* wk_gran_round -- round number v up (or down) to the rounder's next value strictly above
 * (below) it, typed as mongod types it; 0 rounds to itself.  Non-numbers, NaN and negative
 * numbers are mongod's errors.  *out needs no release (it is never a string or document). */
int wk_gran_round(const wk_gran_t *g, const bson_value_t *v, bool up, bson_value_t *out,
                  sdb_error_t *err);

/* ---- collection access (stage_io.c) ---------------------------------------------------- */

/* wk_agg_read -- copies of the documents of ns matching `filter` (NULL = all) under collation
 * `coll` (NULL = simple), at most `limit` of them (< 0 = no limit), read as `hint` (NULL =
 * none) plans it (exec.h wk_exec_open_hint), as work of `op`, at snapshot time read_ts (0 =
 * the latest data; exec.h). */
int wk_agg_read(const char *ns, const bson_t *filter, int64_t limit,
                const struct sdb_collation *coll, const bson_value_t *hint, const wk_op_t *op,
                uint64_t read_ts, wk_agg_docs_t *out, sdb_error_t *err);

/* wk_agg_run_sub -- run a parsed sub-pipeline over collection `coll` of ctx's db, or over
 * `input` when not NULL (consumed), one level deeper. */
int wk_agg_run_sub(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx, const char *coll,
                   wk_agg_docs_t *input, wk_agg_docs_t *out, sdb_error_t *err);

/* wk_agg_feed_* -- run a parsed sub-pipeline one level deeper over input pushed chunk by chunk
 * (each consumed), its results appended to `out` as they come (the caller's vector, which
 * must outlive the feed): open, push chunks, end (its blocking stages hand out their output),
 * free.  Its blocking stages spill on their own ($facet's sub-pipelines). */
typedef struct wk_agg_feed wk_agg_feed_t;
int wk_agg_feed_open(const wk_agg_pipeline_t *p, const wk_agg_ctx_t *ctx, wk_agg_docs_t *out,
                     wk_agg_feed_t **f, sdb_error_t *err);
int wk_agg_feed_push(wk_agg_feed_t *f, wk_agg_docs_t *chunk, sdb_error_t *err);
int wk_agg_feed_end(wk_agg_feed_t *f, sdb_error_t *err);
void wk_agg_feed_free(wk_agg_feed_t *f);

/* wk_agg_run_foreign -- run `pipeline` (an array document; NULL = none) over collection
 * `coll` of ctx's db (NULL: collection-less, the pipeline starts with $documents), one level
 * deeper, resolving a view into its backing collection and stages (stage_union.c). */
int wk_agg_run_foreign(wk_agg_ctx_t *ctx, const char *coll, const bson_t *pipeline,
                       wk_agg_docs_t *out, sdb_error_t *err);

#endif
