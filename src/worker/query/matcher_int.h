/*
 * src/worker/query/matcher_int.h -- the matcher's predicate tree, shared by its parser
 * (matcher.c, matcher_ops.c), its evaluator (matcher_eval.c) and $jsonSchema (jsonschema.c).
 *
 * A filter becomes a tree of wk_mnode_t.  Logical nodes (AND, OR, NOR, NOT) combine
 * children; a path node holds one predicate on the values reached by its path (an empty
 * path, n == 0, means "the value under test", as inside value-$elemMatch).  Every node is
 * immutable after parsing and owns everything it points to.
 *
 * Invariants: internal to src/worker/query; not part of any exported contract.
 */
#ifndef SRC_WORKER_QUERY_MATCHER_INT_H
#define SRC_WORKER_QUERY_MATCHER_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../common/collation.h"
#include "../../common/path.h"
#include "../../common/predicate.h"
#include "expr.h"
#include "geoq.h"
#include "js.h"
#include "matcher.h"

typedef enum wk_mkind {
    WK_MN_AND,
    WK_MN_OR,
    WK_MN_NOR,
    WK_MN_NOT,
    WK_MN_TRUE,
    WK_MN_FALSE,
    WK_MN_EXPR,   /* $expr: expression truthiness on the whole document */
    WK_MN_SCHEMA, /* $jsonSchema: validator on the whole document */
    WK_MN_WHERE,  /* $where: JavaScript on the whole document (val: the code; js.h) */
    WK_MN_EQ,
    WK_MN_LT,
    WK_MN_LTE,
    WK_MN_GT,
    WK_MN_GTE,
    WK_MN_IN,
    WK_MN_EXISTS,
    WK_MN_TYPE,
    WK_MN_REGEX,
    WK_MN_MOD,
    WK_MN_SIZE,
    WK_MN_ALL_EMPTY, /* $all: [] matches nothing */
    WK_MN_ELEM_OBJ,  /* $elemMatch with a query on documents: kids[0] */
    WK_MN_ELEM_VAL,  /* $elemMatch with operators on values: kids, all must hold */
    WK_MN_BITS_ALL_SET,
    WK_MN_BITS_ALL_CLEAR,
    WK_MN_BITS_ANY_SET,
    WK_MN_BITS_ANY_CLEAR,
    WK_MN_TEXT, /* $text (val: the operand; text: parsed by matcher_text.c) */
    WK_MN_GEO,  /* $geoWithin, $geoIntersects, $near, $nearSphere (geo: geoq.h) */
} wk_mkind_t;

typedef struct wk_regex {
    pcre2_code *code;
    pcre2_match_context *limits; /* WK_REGEX_MATCH_LIMIT, WK_REGEX_HEAP_LIMIT_KB */
    char *pattern;
    char *options; /* normalized flags as given */
} wk_regex_t;

/* One regex match is bounded, so no single document can hold a worker's loop for long (its
 * backtracking and its memory); past a limit the match fails and so does the command (51156,
 * see wk_regex_exec).  mongod 7.0 leaves PCRE2's defaults (10,000,000 steps, about 150 ms
 * here) and silently treats a match that hits them as no match; this limit is ten times
 * lower (about 20 ms) and is an error, never a silent wrong answer. */
#define WK_REGEX_MATCH_LIMIT 1000000
#define WK_REGEX_HEAP_LIMIT_KB (64 * 1024)
#define WK_REGEX_MAX_PATTERN 32764 /* mongod's kMaxPatternSize: 2 BadValue above it */

typedef struct wk_schema wk_schema_t;

typedef struct wk_mnode {
    wk_mkind_t kind;
    sdb_path_t path;       /* path nodes; n == 0 for "the value itself" */
    bson_value_t val;      /* comparison operand (EQ..GTE) */
    wk_regex_t re;         /* REGEX */
    bson_value_t *in_vals; /* IN: plain values */
    size_t n_in;
    wk_regex_t *in_res; /* IN: regexes */
    size_t n_in_res;
    bool in_has_null;
    int64_t mod_div, mod_rem; /* MOD */
    int64_t size;             /* SIZE */
    sdb_typeset_t types;      /* TYPE */
    uint32_t *bits;           /* BITS*: bit positions */
    size_t n_bits;
    wk_expr_t *expr;             /* EXPR */
    const bson_t *vars;          /* EXPR: the matcher's let variables (owned by the matcher) */
    const struct wk_op *op;      /* EXPR: the operation its scripts run for (may be NULL) */
    wk_schema_t *schema;         /* SCHEMA */
    struct wk_js_where *where;   /* WHERE: compiled when the matcher is made */
    struct wk_mtext *text;       /* TEXT: the index spec and the parsed query */
    struct wk_geoq *geo;         /* GEO */
    const sdb_collation_t *coll; /* string comparisons (borrowed; NULL = binary) */
    struct wk_mnode **kids;
    size_t n_kids;
} wk_mnode_t;

struct wk_matcher {
    wk_mnode_t *root;
    bson_t *vars; /* copy of the options' vars, or NULL */
};

/* wk_mnode_new -- a zeroed node of `kind`. */
wk_mnode_t *wk_mnode_new(wk_mkind_t kind);

/* wk_mtext_setup -- parse every $text of the tree against opts' text index (matcher_text.c):
 * 27 without one, 2 BadValue for two, for one under $nor or below the top-level document. */
int wk_mtext_setup(wk_mnode_t *root, const wk_match_opts_t *opts, sdb_error_t *err);

/* wk_mtext_match -- does doc satisfy the TEXT node n?  Sets d's text score when it does. */
bool wk_mtext_match(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d, int *ret,
                    sdb_error_t *err);

/* wk_mtext_free -- release a TEXT node's parsed query. */
void wk_mtext_free(struct wk_mtext *t);

/* wk_mnode_free -- release a node and its subtree. */
void wk_mnode_free(wk_mnode_t *n);

/* wk_mnode_add -- append a child. */
void wk_mnode_add(wk_mnode_t *parent, wk_mnode_t *kid);

/* Parsing depth: every wk_mparse_* takes `depth`, the BSON nesting level of the document it
 * reads (a filter's own fields are at 1; pass 0 at an entry point).  Past SDB_BSON_DEPTH_EVAL
 * parsing fails with 15 Overflow (depth.h), so every tree is at most that deep and the
 * recursive evaluation, binding and freeing below are bounded by the parse. */

/* wk_mparse_doc -- parse a filter document into an AND node (top-level operators allowed). */
int wk_mparse_doc(const bson_t *filter, int depth, wk_mnode_t **out, sdb_error_t *err);

/* wk_mparse_field -- parse the predicate(s) for one field value `it` on `path` (len bytes);
 * `depth` is the level of the document holding the field. */
int wk_mparse_field(const char *path, size_t len, const bson_iter_t *it, int depth,
                    wk_mnode_t **out, sdb_error_t *err);

/* wk_mparse_ops -- parse an operator document ({$gt: 1, $lt: 5}) for `path` (may be "" for
 * value-$elemMatch) into an AND node; `depth` is the operator document's level. */
int wk_mparse_ops(const char *path, size_t len, const bson_iter_t *ops, int depth, wk_mnode_t **out,
                  sdb_error_t *err);

/* wk_mparse_op -- parse one operator `op` with argument `arg` (an element of a document at
 * level `depth`) into a node on `path`. */
int wk_mparse_op(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
                 wk_mnode_t **out, sdb_error_t *err);

/* wk_regex_compile -- compile a pattern with MongoDB options (i m s x u). */
int wk_regex_compile(const char *pattern, const char *options, wk_regex_t *re, sdb_error_t *err);

/* wk_regex_destroy -- release a compiled regex. */
void wk_regex_destroy(wk_regex_t *re);

/* wk_regex_match -- does the string (len bytes) match?  A match that hits a limit is no
 * match (for the callers that cannot report errors: $jsonSchema's pattern). */
bool wk_regex_match(const wk_regex_t *re, const char *s, size_t len);

/* wk_regex_exec -- 1 match, 0 no match, or a negative PCRE2 error (a limit was hit). */
int wk_regex_exec(const wk_regex_t *re, const char *s, size_t len);

/* Evaluation errors ($expr's: undefined variables, $divide by zero, type errors): the first
 * one is kept, and the logical nodes above it stop evaluating. */
typedef struct wk_meval {
    int ret;          /* 0, or the first error's status */
    sdb_error_t *err; /* receives that error (NULL: only `ret` is kept) */
} wk_meval_t;

/* wk_mnode_match_doc -- evaluate a node against a document; errors go to `ev` (may be NULL,
 * when an error only makes the document not match). */
bool wk_mnode_match_doc(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d,
                        wk_meval_t *ev);

/* wk_mnode_matches_doc -- wk_mnode_match_doc ignoring evaluation errors. */
bool wk_mnode_matches_doc(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d);

/* wk_mnode_matches_value -- evaluate a node's predicate on one value (NULL = missing). */
bool wk_mnode_matches_value(const wk_mnode_t *n, const bson_iter_t *it);

/* wk_value_eq_match -- equality as a query predicate: same type bracket and equal. */
bool wk_value_eq_match(const bson_value_t *a, const bson_value_t *b);

/* wk_schema_parse / wk_schema_matches / wk_schema_free -- $jsonSchema (jsonschema.c); `depth`
 * is the level of the schema document `it` is positioned on, bounded as above. */
int wk_schema_parse(const bson_iter_t *it, int depth, wk_schema_t **out, sdb_error_t *err);
bool wk_schema_matches(const wk_schema_t *s, const bson_t *doc);
void wk_schema_free(wk_schema_t *s);

#endif
