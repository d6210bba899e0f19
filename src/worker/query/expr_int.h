/*
 * src/worker/query/expr_int.h -- the expression tree shared by expr.c (parse, eval, variables)
 * and the operator files (expr_ops.c, the registry, and one file per family).
 *
 * A node is a constant, a field path on a variable ($$ROOT/$$CURRENT or a bound name), an
 * object or array of sub-expressions, or an operator with arguments.  Values produced during
 * evaluation are owned bson_value_t; "missing" is value_type 0 (BSON_TYPE_EOD).
 *
 * Invariants: internal to src/worker/query; trees are immutable after parsing.
 */
#ifndef SRC_WORKER_QUERY_EXPR_INT_H
#define SRC_WORKER_QUERY_EXPR_INT_H

#include "expr.h"
#include "path.h"

typedef enum wk_ekind {
    WK_EX_CONST,
    WK_EX_FIELD,  /* "$a.b" or "$$var.a" */
    WK_EX_OBJECT, /* {a: <expr>, ...} */
    WK_EX_ARRAY,  /* [<expr>, ...] */
    WK_EX_OP,
} wk_ekind_t;

typedef struct wk_eval_ctx {
    const bson_t *root;
    const char **var_names; /* bound by $let/$map/$filter etc. */
    bson_value_t *var_vals;
    size_t n_vars;
    const bson_t *vars; /* the command's `let` variables {name: value}; NULL for none */
} wk_eval_ctx_t;

struct wk_expr;
typedef int (*wk_expr_op_fn)(const struct wk_expr *e, wk_eval_ctx_t *ctx, bson_value_t *out,
                             sdb_error_t *err);

typedef struct wk_expr_op {
    const char *name;
    int min_args, max_args; /* -1 = unbounded */
    wk_expr_op_fn fn;
} wk_expr_op_t;

struct wk_expr {
    wk_ekind_t kind;
    bson_value_t cst;      /* CONST */
    char *var;             /* FIELD: variable name (ROOT, CURRENT, or bound) */
    wk_path_t path;        /* FIELD: path under the variable (n may be 0) */
    char **keys;           /* OBJECT: field names; OP: named arguments ($cond object form) */
    struct wk_expr **kids; /* OBJECT/ARRAY members, OP arguments */
    size_t n;
    const wk_expr_op_t *op;
};

/* wk_expr_eval_ctx -- evaluate with variables. */
int wk_expr_eval_ctx(const struct wk_expr *e, wk_eval_ctx_t *ctx, bson_value_t *out,
                     sdb_error_t *err);

/* wk_expr_find_op -- the operator named `name`, or NULL. */
const wk_expr_op_t *wk_expr_find_op(const char *name);

/* wk_expr_kid -- the named argument `name` of an operator with named arguments, or NULL. */
const struct wk_expr *wk_expr_kid(const struct wk_expr *e, const char *name);

/* The operator tables, one per family, each ending with a NULL name (expr_ops.c walks them). */
extern const wk_expr_op_t wk_expr_ops_arith[];   /* expr_arith.c */
extern const wk_expr_op_t wk_expr_ops_compare[]; /* expr_compare.c */
extern const wk_expr_op_t wk_expr_ops_strings[]; /* expr_strings.c */
extern const wk_expr_op_t wk_expr_ops_arrays[];  /* expr_arrays.c */
extern const wk_expr_op_t wk_expr_ops_types[];   /* expr_types.c */
extern const wk_expr_op_t wk_expr_ops_objects[]; /* expr_objects.c */

/* The most arguments an operator evaluates at once with wk_expr_args. */
#define WK_EXPR_MAX_ARGS 64

/* wk_expr_args -- evaluate every argument of `e` into vals[0..n) (at most WK_EXPR_MAX_ARGS);
 * on error nothing is left to free, else the caller frees with wk_expr_args_free. */
int wk_expr_args(const struct wk_expr *e, wk_eval_ctx_t *ctx, bson_value_t *vals, sdb_error_t *err);

/* wk_expr_args_free -- clear the values wk_expr_args produced. */
void wk_expr_args_free(const struct wk_expr *e, bson_value_t *vals);

/* wk_value_nullish -- missing, null or undefined (most operators answer null for them). */
bool wk_value_nullish(const bson_value_t *v);

/* wk_value_* -- owned-value helpers. */
void wk_value_null(bson_value_t *v);
void wk_value_int32(bson_value_t *v, int32_t x);
void wk_value_int64(bson_value_t *v, int64_t x);
void wk_value_double(bson_value_t *v, double x);
void wk_value_bool(bson_value_t *v, bool x);
void wk_value_utf8(bson_value_t *v, const char *s, size_t len);
/* wk_value_from_bson -- steal a built document/array into an owned value. */
void wk_value_from_bson(bson_value_t *v, bson_t *b, bson_type_t type);
/* wk_value_clear -- destroy and reset to missing. */
void wk_value_clear(bson_value_t *v);
/* wk_value_cmp -- aggregation comparison (missing and undefined below null). */
int wk_value_cmp(const bson_value_t *a, const bson_value_t *b);
/* wk_value_type_name -- $type's name for a value ("missing" for missing). */
const char *wk_value_type_name(const bson_value_t *v);

#endif
