/*
 * src/worker/query/expr.h -- aggregation expressions: "$a.b", {$add: [...]}, {$cond: ...}.
 *
 * wk_expr_parse turns an expression (a value: field path string, literal, object of fields,
 * array, or a one-key {$op: args} document) into a tree; wk_expr_eval evaluates it against
 * a root document ($$ROOT and $$CURRENT) and, with wk_expr_eval_vars, the command's `let`
 * variables.  Shared by $expr in filters, expressions in find projections, pipeline-style
 * updates and the aggregation stages.  The operators are rows of per-family tables
 * (expr_arith.c, expr_compare.c, expr_strings.c, expr_regex.c, expr_arrays.c, expr_sets.c,
 * expr_types.c, expr_dates.c, expr_date_math.c, expr_objects.c; expr_ops.c walks them), each
 * with its arity, evaluator and an optional parse-time check of its named arguments, so a
 * malformed expression fails when parsed, as in mongod.  A missing value evaluates to a value
 * of type BSON_TYPE_EOD ("missing"), which callers treat as absent.
 *
 * Contract: the tree copies what it needs from the input; it is immutable after parsing.
 * wk_expr_eval's result is owned by the caller (bson_value_destroy); on error it is left
 * as missing.
 */
#ifndef SRC_WORKER_QUERY_EXPR_H
#define SRC_WORKER_QUERY_EXPR_H

#include <bson/bson.h>
#include <stdbool.h>

#include "../../common/errors.h"

typedef struct wk_expr wk_expr_t;

/* wk_expr_parse -- parse the expression `it` is positioned on. */
int wk_expr_parse(const bson_iter_t *it, wk_expr_t **out, sdb_error_t *err);

/* wk_expr_parse_at -- the same for an expression that is an element of a document nested
 * `depth` levels deep (a filter's $expr, say).  A tree nested past SDB_BSON_DEPTH_EVAL levels
 * in all is 15 Overflow, so evaluation (which recurses along the tree) is bounded too; a
 * value it builds nests at most as deep as the tree above the deepest value it reads. */
int wk_expr_parse_at(const bson_iter_t *it, int depth, wk_expr_t **out, sdb_error_t *err);

/* wk_expr_eval -- evaluate against `root`; *out is always set (missing = BSON_TYPE_EOD). */
int wk_expr_eval(const wk_expr_t *e, const bson_t *root, bson_value_t *out, sdb_error_t *err);

/* wk_expr_eval_vars -- the same with the command's `let` variables: `vars` (may be NULL) is a
 * document {name: value} the expression reads as $$name.  $$NOW, $$CLUSTER_TIME, $$ROOT,
 * $$CURRENT and $$REMOVE are always defined; any other name is 17276 "Use of undefined
 * variable". */
int wk_expr_eval_vars(const wk_expr_t *e, const bson_t *root, const bson_t *vars, bson_value_t *out,
                      sdb_error_t *err);

struct wk_op;

/* wk_expr_eval_op -- the same for the work of operation op (may be NULL): a $function script
 * stops at the operation's maxTimeMS, kill or shutdown (js.h). */
int wk_expr_eval_op(const wk_expr_t *e, const bson_t *root, const bson_t *vars,
                    const struct wk_op *op, bson_value_t *out, sdb_error_t *err);

/* wk_expr_date_add_utc -- $dateAdd in UTC: `start` (ms) plus `amount` of `unit` ("year" ...
 * "millisecond"; a month past a month's end clamps to its last day) into *out; false for an
 * unknown unit or an overflow.  For stages that step through dates ($densify). */
bool wk_expr_date_add_utc(int64_t start, const char *unit, int64_t amount, int64_t *out);

/* wk_expr_free -- release a tree (NULL is fine). */
void wk_expr_free(wk_expr_t *e);

/* wk_expr_truthy -- aggregation truthiness: false, null, missing, undefined and 0 are false. */
bool wk_expr_truthy(const bson_value_t *v);

#endif
