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

#include "../../common/path.h"
#include "expr.h"

typedef enum wk_ekind {
    WK_EX_CONST,
    WK_EX_FIELD,  /* "$a.b" or "$$var.a" */
    WK_EX_OBJECT, /* {a: <expr>, ...} */
    WK_EX_ARRAY,  /* [<expr>, ...] */
    WK_EX_OP,
} wk_ekind_t;

/* A variable bound by $let, $map, $filter or $reduce: a frame on the C stack of the operator
 * that binds it, linked to the frames outside it; the value is borrowed from that operator. */
typedef struct wk_var_frame {
    const char *name;
    const bson_value_t *val;
    const struct wk_var_frame *up;
} wk_var_frame_t;

typedef struct wk_eval_ctx {
    const bson_t *root;
    const wk_var_frame_t *frames; /* innermost first; NULL for none */
    const bson_t *vars;           /* the command's `let` variables {name: value}; NULL for none */
    const struct wk_op *op;       /* the operation ($function's scripts stop at its maxTimeMS) */
} wk_eval_ctx_t;

struct wk_expr;
typedef int (*wk_expr_op_fn)(const struct wk_expr *e, wk_eval_ctx_t *ctx, bson_value_t *out,
                             sdb_error_t *err);

/* A parse-time check of an operator's arguments (named arguments known, constants valid),
 * so that a malformed expression fails as mongod's does even when nothing is evaluated. */
typedef int (*wk_expr_check_fn)(const struct wk_expr *e, sdb_error_t *err);

typedef struct wk_expr_op {
    const char *name;
    int min_args, max_args; /* -1 = unbounded; -2 = named arguments {name: expr, ...} */
    wk_expr_op_fn fn;
    wk_expr_check_fn check; /* NULL: the arity is the whole check */
} wk_expr_op_t;

struct wk_expr {
    wk_ekind_t kind;
    bson_value_t cst;      /* CONST */
    char *var;             /* FIELD: variable name (ROOT, CURRENT, or bound) */
    sdb_path_t path;       /* FIELD: path under the variable (n may be 0) */
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
extern const wk_expr_op_t wk_expr_ops_arith[];     /* expr_arith.c */
extern const wk_expr_op_t wk_expr_ops_compare[];   /* expr_compare.c */
extern const wk_expr_op_t wk_expr_ops_strings[];   /* expr_strings.c */
extern const wk_expr_op_t wk_expr_ops_regex[];     /* expr_regex.c */
extern const wk_expr_op_t wk_expr_ops_arrays[];    /* expr_arrays.c */
extern const wk_expr_op_t wk_expr_ops_sets[];      /* expr_sets.c */
extern const wk_expr_op_t wk_expr_ops_types[];     /* expr_types.c */
extern const wk_expr_op_t wk_expr_ops_dates[];     /* expr_dates.c */
extern const wk_expr_op_t wk_expr_ops_date_math[]; /* expr_date_math.c */
extern const wk_expr_op_t wk_expr_ops_objects[];   /* expr_objects.c */
extern const wk_expr_op_t wk_expr_ops_accum[];     /* expr_accum.c */
extern const wk_expr_op_t wk_expr_ops_js[];        /* expr_js.c */

/* The most arguments an operator evaluates at once with wk_expr_args. */
#define WK_EXPR_MAX_ARGS 64

/* wk_expr_args -- evaluate every argument of `e` into vals[0..n) (at most WK_EXPR_MAX_ARGS);
 * on error nothing is left to free, else the caller frees with wk_expr_args_free. */
int wk_expr_args(const struct wk_expr *e, wk_eval_ctx_t *ctx, bson_value_t *vals, sdb_error_t *err);

/* wk_expr_args_free -- clear the values wk_expr_args produced. */
void wk_expr_args_free(const struct wk_expr *e, bson_value_t *vals);

/* wk_value_nullish -- missing, null or undefined (most operators answer null for them). */
bool wk_value_nullish(const bson_value_t *v);

/* wk_expr_check_named -- the named arguments of `e` are among `allowed` (NULL-terminated) and
 * include `required` (NULL-terminated, may be NULL); e's arguments must be a document.
 * Codes: not a document `code_obj`, an unknown name `code_unknown`, a missing one
 * `code_missing[i]`; messages in mongod's words for `e->op->name`. */
int wk_expr_check_named(const struct wk_expr *e, const char *const *allowed,
                        const char *const *required, int code_obj, int code_unknown,
                        const int *code_missing, sdb_error_t *err);

/* wk_expr_check_var_name -- a user variable name as mongod allows it: a lowercase ASCII
 * letter or a non-ASCII byte first, then letters, digits, '_' and non-ASCII bytes. */
int wk_expr_check_var_name(const char *name, sdb_error_t *err);

/* wk_array_items -- shallow views of the elements of array value `arr` into a new array
 * (*items, freed with bson_free even when the count is 0), valid while `arr` lives. */
size_t wk_array_items(const bson_value_t *arr, bson_value_t **items);

/* wk_array_build -- an owned array value of copies of items[0..n) (missing becomes null). */
void wk_array_build(bson_value_t *out, const bson_value_t *items, size_t n);

/* wk_value_coerce_string -- mongod's coerceToString: strings, symbols and code as they are,
 * numbers in their shortest form, dates as ISO-8601 in UTC, timestamps as
 * "Timestamp(s, i)", null and missing as "".  Other types are 16007. */
int wk_value_coerce_string(const bson_value_t *v, bson_string_t *s, sdb_error_t *err);

/* wk_double_string -- a double as mongod prints it (shortest round-trip, "%g" style). */
void wk_double_string(double d, char *buf, size_t len);

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

/* wk_value_convert -- $convert of a non-null value to `to` (241 ConversionFailure when it
 * cannot; *out is then missing). */
int wk_value_convert(const bson_value_t *v, bson_type_t to, bson_value_t *out, sdb_error_t *err);

/* ---- dates (expr_dates.c) ---- */

/* Calendar fields of a local time (proleptic Gregorian). */
typedef struct wk_date_parts {
    int64_t year, iso_year;
    int month, day, hour, minute, second, millisecond;
    int day_of_week;     /* 1 = Sunday .. 7 */
    int day_of_year;     /* 1 .. 366 */
    int week;            /* 0 .. 53, weeks starting on Sunday (%U) */
    int iso_week;        /* 1 .. 53 */
    int iso_day_of_week; /* 1 = Monday .. 7 */
} wk_date_parts_t;

/* A time zone: a fixed offset, or an ICU calendar of an Olson zone (cached per process; owned
 * only when the cache is full). */
typedef struct wk_tz {
    int32_t offset_ms;
    void *cal;  /* UCalendar *, NULL for a fixed offset */
    bool owned; /* wk_tz_close closes cal */
} wk_tz_t;

/* wk_days_from_civil / wk_civil_from_days -- day numbers since 1970-01-01 and back. */
int64_t wk_days_from_civil(int64_t y, int64_t m, int64_t d);
void wk_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* wk_date_parts -- the fields of local time `local_ms`. */
void wk_date_parts(int64_t local_ms, wk_date_parts_t *p);
/* wk_tz_open -- an Olson name, "UTC"/"GMT" or a "+HH[[:]MM]" offset; 40485 otherwise. */
int wk_tz_open(const char *name, wk_tz_t *tz, sdb_error_t *err);
void wk_tz_close(wk_tz_t *tz);
/* wk_tz_offset -- the zone's offset from UTC in force at `utc_ms`. */
int32_t wk_tz_offset(const wk_tz_t *tz, int64_t utc_ms);
/* wk_tz_to_utc -- the UTC instant of local time `local_ms`. */
int64_t wk_tz_to_utc(const wk_tz_t *tz, int64_t local_ms);
/* wk_tz_eval -- evaluate a `timezone` argument (NULL: UTC); *null when it is null/missing. */
int wk_tz_eval(const struct wk_expr *tzx, wk_eval_ctx_t *ctx, wk_tz_t *tz, bool *null,
               sdb_error_t *err);
/* wk_value_date_ms -- a date, timestamp or ObjectId as milliseconds; false for other types. */
bool wk_value_date_ms(const bson_value_t *v, int64_t *ms);
/* wk_value_date -- set *out to the date `ms`. */
void wk_value_date(bson_value_t *out, int64_t ms);
/* wk_date_parse_iso -- "YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM]" as UTC milliseconds (241
 * ConversionFailure otherwise). */
int wk_date_parse_iso(const char *s, int64_t *ms, sdb_error_t *err);

#endif
