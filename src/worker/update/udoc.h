/*
 * src/worker/update/udoc.h -- a mutable document tree for applying updates in place.
 *
 * Updates insert, remove and rewrite fields deep inside a document while keeping every
 * other field where it was; BSON is immutable, so the update engine loads the document
 * into this tree, edits it, and serializes it back.  A node is a scalar (an owned
 * bson_value_t), a document (named children, in order) or an array (unnamed children,
 * renumbered on output).
 *
 * Contract: a node owns its key, value and children; wk_unode_free releases a subtree.
 * Single-threaded use; nothing here is shared.
 */
#ifndef SRC_WORKER_UPDATE_UDOC_H
#define SRC_WORKER_UPDATE_UDOC_H

#include <bson/bson.h>
#include <stdbool.h>

typedef struct wk_unode {
    char *key;        /* field name (documents); NULL in arrays and at the root */
    bson_type_t type; /* DOCUMENT and ARRAY use kids; other types use v */
    bson_value_t v;   /* owned scalar value */
    struct wk_unode **kids;
    size_t n, cap;
} wk_unode_t;

/* wk_unode_new_doc / wk_unode_new_array -- an empty container named key (may be NULL). */
wk_unode_t *wk_unode_new_doc(const char *key);
wk_unode_t *wk_unode_new_array(const char *key);

/* wk_unode_from_value -- a tree copied from a value (documents and arrays expanded). */
wk_unode_t *wk_unode_from_value(const char *key, const bson_value_t *v);

/* wk_unode_from_bson -- the root of a tree copied from a document. */
wk_unode_t *wk_unode_from_bson(const bson_t *doc);

/* wk_unode_free -- release a subtree (NULL is fine). */
void wk_unode_free(wk_unode_t *n);

/* wk_unode_to_bson -- append the children of container `n` to `out`. */
void wk_unode_to_bson(const wk_unode_t *n, bson_t *out);

/* wk_unode_to_value -- the node as an owned value (caller bson_value_destroy). */
void wk_unode_to_value(const wk_unode_t *n, bson_value_t *out);

/* wk_unode_find -- the child named key of a document node, with its position. */
wk_unode_t *wk_unode_find(const wk_unode_t *n, const char *key, size_t *pos);

/* wk_unode_insert -- insert kid at position pos (n->n appends); takes ownership. */
void wk_unode_insert(wk_unode_t *n, size_t pos, wk_unode_t *kid);

/* wk_unode_remove -- remove and free the child at pos. */
void wk_unode_remove(wk_unode_t *n, size_t pos);

/* wk_unode_replace -- replace the child at pos with kid (keeping the old key). */
void wk_unode_replace(wk_unode_t *n, size_t pos, wk_unode_t *kid);

/* wk_unode_set_key -- rename a node. */
void wk_unode_set_key(wk_unode_t *n, const char *key);

/* wk_unode_is_container -- document or array. */
bool wk_unode_is_container(const wk_unode_t *n);

#endif
