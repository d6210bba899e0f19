/*
 * src/common/path.h -- dotted-path helpers: parse "a.b.0.c" and walk it through documents.
 *
 * A sdb_path_t is a parsed dotted path (its components, and which of them are array indexes).
 * sdb_path_walk is mongod's ElementPath traversal used by query predicates: a component is
 * looked up in a document; an array met in the middle of a path is traversed element by
 * element (each embedded document continues the same component; a numeric component also
 * selects that element by position); at the end of the path an array may be expanded into
 * its elements (and the array itself is offered last).  A component missing along a branch
 * yields one "missing" visit (it == NULL), which is what makes {x: null} match missing
 * fields.  sdb_path_lookup is the simple non-traversing lookup (numeric components index
 * arrays) used by projection, sort and update.
 *
 * Invariants: pure functions over caller-owned BSON; iterators passed to a visitor are only
 * valid during the call.  Any thread.
 */
#ifndef SDB_PATH_H
#define SDB_PATH_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "errors.h"

typedef struct sdb_path {
    char *dotted;   /* the whole path, NUL-terminated */
    char **parts;   /* n components, each NUL-terminated (owned) */
    int32_t *index; /* per component: its value as an array index, or -1 */
    int n;
} sdb_path_t;

/* sdb_path_parse -- split `dotted` (len bytes) into components.  Empty components are kept
 * (queries may name a field ""); callers that forbid them check sdb_path_has_empty.  More
 * than SDB_DEPTH_PATH_MAX components is 15 Overflow "FieldPath is too long" (SDB_ETOOBIG
 * when err is NULL); *out is then zeroed, an empty path.  Every walk along a
 * path recurses at most twice per component, so this bounds them all. */
int sdb_path_parse(const char *dotted, size_t len, sdb_path_t *out, sdb_error_t *err);

/* sdb_path_check -- sdb_path_parse's bound alone: 0, or 15 Overflow (SDB_ETOOBIG without err). */
int sdb_path_check(const char *dotted, size_t len, sdb_error_t *err);

/* sdb_path_has_empty -- true if some component is empty ("a..b", ".a", "a."). */
bool sdb_path_has_empty(const sdb_path_t *p);

/* sdb_path_destroy -- release what sdb_path_parse allocated (safe on a zeroed path). */
void sdb_path_destroy(sdb_path_t *p);

/* sdb_path_index -- the array index a component names ("0", "12"; not "01", "-1"), or -1. */
int32_t sdb_path_index(const char *part);

/* Visitor for sdb_path_walk: `it` is the value reached (NULL = missing along this branch),
 * `arr_idx` the position taken in the first array traversed along the path (an element a numeric
 * component selects is not traversed; -1 = none).  Return
 * true to stop the walk (a match was found). */
typedef bool (*sdb_path_visit_fn)(void *ctx, const bson_iter_t *it, int32_t arr_idx);

/* sdb_path_walk -- mongod's ElementPath traversal of `path` from `start` (components from
 * `from`), calling `fn` for every value reached; with expand_leaf the elements of an array at
 * the end of the path are visited, then the array itself.  Returns true if fn stopped it. */
bool sdb_path_walk(const bson_t *doc, const sdb_path_t *path, int from, bool expand_leaf,
                   sdb_path_visit_fn fn, void *ctx);

/* sdb_path_walk_iter -- the same, starting at a value rather than a document. */
bool sdb_path_walk_iter(const bson_iter_t *start, const sdb_path_t *path, int from,
                        bool expand_leaf, int32_t arr_idx, sdb_path_visit_fn fn, void *ctx);

/* sdb_path_lookup -- find the value at a dotted path, descending documents and (for numeric
 * components) arrays by position, without traversing arrays.  False when absent. */
bool sdb_path_lookup(const bson_t *doc, const char *dotted, bson_iter_t *out);

/* sdb_path_array_prefixes -- which prefixes of `dotted` hold an array in doc, on any branch
 * (arrays met along the path are traversed element by element): bit i set when the value
 * at components 0..i is an array (components past 63 are folded into bit 63).  This is
 * mongod's multikey path set of one index field ({a: [{b: 1}]}, "a.b" -> bit 0: "a"). */
uint64_t sdb_path_array_prefixes(const bson_t *doc, const char *dotted);

/* sdb_iter_count -- number of elements in the array or document `it` is positioned on. */
uint32_t sdb_iter_count(const bson_iter_t *it);

/* sdb_iter_find_index -- position `it` (recursed into an array or document) on element `idx`. */
bool sdb_iter_find_index(bson_iter_t *child, int32_t idx);

#endif
