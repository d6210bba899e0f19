/*
 * src/worker/agg/agg_int.h -- what the pipeline (pipeline.c), the stage files (stage_*.c),
 * the accumulators (accum.c) and the document helpers (doc.c) share.
 *
 * A stage is a row of stages.def: name, parse function (spec -> private state), run function
 * (input vector -> output vector), free function and flags.  A run function owns `in` on entry
 * (it may move documents out of it, leaving NULL slots) and appends to `out`; the pipeline
 * frees whatever is left in `in`.
 *
 * Invariants: internal to src/worker/agg; private states are immutable after parsing.
 */
#ifndef SRC_WORKER_AGG_AGG_INT_H
#define SRC_WORKER_AGG_AGG_INT_H

#include "agg.h"

#include "../../common/path.h"
#include "../../common/sdb.h"
#include "../query/expr.h"

#define WK_AGG_F_FIRST 0x1u  /* must be the first stage */
#define WK_AGG_F_LAST 0x2u   /* must be the last stage ($out, $merge) */
#define WK_AGG_F_NOCOLL 0x4u /* a source that needs no collection ($documents) */
#define WK_AGG_F_SOURCE 0x8u /* produces its own documents (ignores the input) */

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

/* wk_agg_append_value -- append v under key unless it is missing. */
void wk_agg_append_value(bson_t *b, const char *key, const bson_value_t *v);

/* wk_agg_type_name -- mongod's type name of a value ("missing" for missing). */
const char *wk_agg_type_name(bson_type_t t);

/* wk_agg_eval -- evaluate e on doc; a failure leaves *out missing. */
int wk_agg_eval(const wk_expr_t *e, const bson_t *doc, bson_value_t *out, sdb_error_t *err);

/* wk_agg_check_mem -- 292 when `bytes` passes the limit and allowDiskUse is off. */
int wk_agg_check_mem(const wk_agg_ctx_t *ctx, size_t bytes, const char *what, sdb_error_t *err);

/* ---- accumulators (accum.c) and grouping (stage_group.c) ------------------------------- */

typedef struct wk_acc_def wk_acc_def_t;

/* One named accumulator of $group / $bucket: {name: {$op: expr}}. */
typedef struct wk_acc_spec {
    char *field;
    const wk_acc_def_t *def;
    wk_expr_t *arg;
} wk_acc_spec_t;

typedef struct wk_acc_state {
    bson_value_t v;     /* $min $max $first $last */
    bool seen;          /* $first: a value was taken */
    int ntype;          /* $sum: 0 int32, 1 int64, 2 double */
    int64_t i;          /* $sum integer part */
    double d;           /* $sum / $avg double part */
    int64_t count;      /* $avg: numbers seen */
    bson_value_t *vals; /* $push / $addToSet */
    size_t nvals, cap;
} wk_acc_state_t;

/* wk_acc_parse -- parse {$op: expr} for output field `field` of `stage`. */
int wk_acc_parse(const char *stage, const bson_iter_t *it, wk_acc_spec_t *spec, sdb_error_t *err);

/* wk_acc_step -- feed one value (owned by the caller; may be missing). */
void wk_acc_step(const wk_acc_spec_t *spec, wk_acc_state_t *st, const bson_value_t *v);

/* wk_acc_final -- the result (owned by the caller); also releases the state. */
void wk_acc_final(const wk_acc_spec_t *spec, wk_acc_state_t *st, bson_value_t *out);

/* wk_acc_spec_destroy -- release one spec. */
void wk_acc_spec_destroy(wk_acc_spec_t *spec);

/* wk_agg_group_docs -- the grouping engine of $group and $bucket: docs with equal keys[i]
 * (owned values, consumed) form one output {_id: key, <acc fields>}, in key order. */
int wk_agg_group_docs(const wk_agg_ctx_t *ctx, const wk_acc_spec_t *accs, size_t nacc,
                      bson_value_t *keys, wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err);

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

#endif
