/*
 * src/worker/query/sort.h -- sort specifications ({a: 1, "b.c": -1}) and document ordering.
 *
 * A sort key for each field is taken mongod's way: an array contributes its smallest element
 * to an ascending sort and its largest to a descending one, an empty array sorts before
 * null, a missing field sorts as null, and different types follow MongoDB's comparison
 * order (src/common/bsoncmp.h).  wk_sort_docs is stable.
 *
 * Contract: the sort is immutable after construction; documents stay caller-owned.
 */
#ifndef SRC_WORKER_QUERY_SORT_H
#define SRC_WORKER_QUERY_SORT_H

#include <bson/bson.h>
#include <stddef.h>

#include "../../common/errors.h"
#include "../op.h"

typedef struct wk_sort wk_sort_t;

/* A document being sorted carries its text score in this field ({$meta: "textScore"}). */
#define WK_SORT_TEXT_SCORE "$textScore"
typedef struct sdb_collation sdb_collation_t; /* collation.h */

/* wk_sort_new -- parse a sort spec (values 1/-1, or {$meta: ...}); mongod's errors. */
int wk_sort_new(const bson_t *spec, wk_sort_t **out, sdb_error_t *err);

/* wk_sort_new_ex -- the same, comparing strings under `coll` (borrowed: it must outlive the
 * sort; NULL = binary). */
int wk_sort_new_ex(const bson_t *spec, const sdb_collation_t *coll, wk_sort_t **out,
                   sdb_error_t *err);

/* wk_sort_cmp -- <0, 0, >0: the order of a and b under the sort. */
int wk_sort_cmp(const wk_sort_t *s, const bson_t *a, const bson_t *b);

/* wk_sort_docs -- stable sort of n document pointers in place. */
void wk_sort_docs(const wk_sort_t *s, bson_t **docs, size_t n);

/* wk_sort_docs_op -- the same as an operation's work (op.h): an interrupt point every
 * WK_SORT_CHECK_EVERY comparisons, so a large sort gives the worker's loop its turns.  On an
 * interrupt the documents are left in some order (none lost) and err is set. */
int wk_sort_docs_op(const wk_sort_t *s, bson_t **docs, size_t n, const wk_op_t *op,
                    sdb_error_t *err);

#define WK_SORT_CHECK_EVERY 256

/* wk_sort_array_op -- stable sort of n elements of `size` bytes at `base` by cmp(a, b, arg),
 * with the interrupt points of wk_sort_docs_op (for the sorts that are not of documents: group
 * keys, distinct values).  On an interrupt `base` holds its elements in some order. */
int wk_sort_array_op(void *base, size_t n, size_t size,
                     int (*cmp)(const void *, const void *, void *), void *arg, const wk_op_t *op,
                     sdb_error_t *err);

/* wk_sort_free -- release a sort (NULL is fine). */
void wk_sort_free(wk_sort_t *s);

#endif
