/*
 * src/worker/update/update_int.h -- the parsed update shared by update.c (parsing and the
 * public API), update_apply.c (field operators), update_arrays.c (array operators) and
 * update_pipeline.c (aggregation-pipeline updates).
 *
 * An operator update is a list of actions, one per (operator, path), sorted by path the
 * way mongod applies them (so new fields appear in name order).  Paths may hold "$"
 * (the query's matched array position), "$[]" (every element) and "$[id]" (elements
 * passing arrayFilters' `id`).  Applying loads the document into a wk_unode_t tree.
 *
 * Invariants: internal to src/worker/update; everything is immutable after parsing.
 */
#ifndef SRC_WORKER_UPDATE_UPDATE_INT_H
#define SRC_WORKER_UPDATE_UPDATE_INT_H

#include "../../common/path.h"
#include "../query/expr.h"
#include "../query/matcher_int.h"
#include "../query/sort.h"
#include "udoc.h"
#include "update.h"

typedef enum wk_upop {
    WK_UP_SET,
    WK_UP_SET_ON_INSERT,
    WK_UP_UNSET,
    WK_UP_INC,
    WK_UP_MUL,
    WK_UP_MIN,
    WK_UP_MAX,
    WK_UP_RENAME,
    WK_UP_CURRENT_DATE,
    WK_UP_PUSH,
    WK_UP_ADD_TO_SET,
    WK_UP_POP,
    WK_UP_PULL,
    WK_UP_PULL_ALL,
    WK_UP_BIT,
} wk_upop_t;

typedef struct wk_bitop {
    int kind; /* 0 and, 1 or, 2 xor */
    int64_t v;
    bool is64;
} wk_bitop_t;

typedef struct wk_uaction {
    wk_upop_t op;
    const char *opname;
    sdb_path_t path;
    bson_value_t arg;   /* owned copy of the operand */
    sdb_path_t to;      /* $rename destination */
    bool ts;            /* $currentDate: timestamp rather than date */
    bson_value_t *each; /* $push/$addToSet values */
    size_t n_each;
    bool has_slice, has_position;
    int64_t slice, position;
    int sort_dir;     /* $push $sort on values: 1/-1, 0 = none */
    wk_sort_t *sort;  /* $push $sort on documents */
    wk_mnode_t *pull; /* $pull condition (NULL: equality with arg) */
    bool pull_query;  /* pull: kids match elements as documents */
    wk_bitop_t *bits;
    size_t n_bits;
} wk_uaction_t;

typedef struct wk_afilter {
    char *id;
    wk_matcher_t *m;
} wk_afilter_t;

typedef enum wk_pstage_kind {
    WK_PS_ADD_FIELDS,
    WK_PS_UNSET,
    WK_PS_PROJECT,
    WK_PS_REPLACE_ROOT,
} wk_pstage_kind_t;

typedef struct wk_pstage {
    wk_pstage_kind_t kind;
    sdb_path_t *paths; /* ADD_FIELDS / UNSET */
    wk_expr_t **exprs; /* ADD_FIELDS; REPLACE_ROOT uses exprs[0] */
    size_t n;
    struct wk_projection *proj; /* PROJECT */
} wk_pstage_t;

typedef enum wk_ukind {
    WK_UK_OPS,
    WK_UK_REPLACE,
    WK_UK_PIPELINE
} wk_ukind_t;

struct wk_update {
    wk_ukind_t kind;
    bson_t *replacement; /* WK_UK_REPLACE (heap: bson_t needs 128-byte alignment) */
    wk_uaction_t *acts;
    size_t n_acts;
    wk_afilter_t *filters;
    size_t n_filters;
    wk_pstage_t *stages;
    size_t n_stages;
    bson_t *vars;                /* the command's let variables (owned copy) or NULL */
    const sdb_collation_t *coll; /* arrayFilters' collation (borrowed) or NULL */
    const struct wk_op *op;      /* a pipeline's $function stops at its maxTimeMS; may be NULL */
};

typedef struct wk_uctx {
    const wk_update_t *u;
    const bson_t *orig;
    const wk_match_details_t *details;
    bool upsert_insert;
    sdb_error_t *err;
} wk_uctx_t;

/* wk_upd_apply_ops -- apply an operator update to the tree. */
int wk_upd_apply_ops(const wk_uctx_t *c, wk_unode_t *root);

/* wk_upd_leaf_array -- the array operators on one resolved slot (update_arrays.c). */
int wk_upd_leaf_array(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *container,
                      wk_unode_t *cur, size_t pos, const char *key);

/* wk_upd_parse_array_op -- parse the operand of $push/$addToSet/$pull/$pullAll/$pop. */
int wk_upd_parse_array_op(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err);

/* wk_upd_set_slot -- put `nn` at (container, key/pos): replace cur or create. */
void wk_upd_set_slot(wk_unode_t *container, wk_unode_t *cur, size_t pos, const char *key,
                     wk_unode_t *nn);

/* wk_upd_fmt_id -- "{_id: 1}" (mongod's wording in error messages). */
void wk_upd_fmt_elem(const char *key, const bson_value_t *v, bson_string_t *s);
char *wk_upd_fmt_id(const bson_t *doc);

/* pipeline updates (update_pipeline.c) */
int wk_upd_parse_pipeline(wk_update_t *u, const bson_iter_t *arr, sdb_error_t *err);
int wk_upd_apply_pipeline(const wk_uctx_t *c, bson_t *out);
void wk_upd_free_pipeline(wk_update_t *u);

#endif
