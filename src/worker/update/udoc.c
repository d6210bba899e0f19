/*
 * src/worker/update/udoc.c -- the mutable document tree behind update application.
 *
 * Loading copies every scalar out of the BSON (so the source may be freed); serializing
 * walks the tree and renumbers array members "0", "1", ...  Children live in a growable
 * pointer array, so insertions and removals keep the order of the others.
 *
 * Invariants: every node owns its key, value and children; no sharing between trees.
 */
#include "udoc.h"

#include <string.h>

static wk_unode_t *
unode_new(const char *key, bson_type_t type)
{
    wk_unode_t *n = bson_malloc0(sizeof(*n));

    n->key = key != NULL ? bson_strdup(key) : NULL;
    n->type = type;
    return n;
}

wk_unode_t *
wk_unode_new_doc(const char *key)
{
    return unode_new(key, BSON_TYPE_DOCUMENT);
}

wk_unode_t *
wk_unode_new_array(const char *key)
{
    return unode_new(key, BSON_TYPE_ARRAY);
}

bool
wk_unode_is_container(const wk_unode_t *n)
{
    return n->type == BSON_TYPE_DOCUMENT || n->type == BSON_TYPE_ARRAY;
}

void
wk_unode_insert(wk_unode_t *n, size_t pos, wk_unode_t *kid)
{
    if (n->n == n->cap) {
        n->cap = n->cap == 0 ? 4 : n->cap * 2;
        n->kids = bson_realloc(n->kids, sizeof(*n->kids) * n->cap);
    }
    if (pos > n->n)
        pos = n->n;
    memmove(n->kids + pos + 1, n->kids + pos, sizeof(*n->kids) * (n->n - pos));
    n->kids[pos] = kid;
    n->n++;
}

/* load_children -- append the members of a document/array to container n. */
static void
load_children(wk_unode_t *n, const uint8_t *data, uint32_t len)
{
    bson_t b;
    bson_iter_t it;

    if (!bson_init_static(&b, data, len) || !bson_iter_init(&it, &b))
        return;
    while (bson_iter_next(&it))
        wk_unode_insert(n, n->n,
                        wk_unode_from_value(n->type == BSON_TYPE_ARRAY ? NULL : bson_iter_key(&it),
                                            bson_iter_value(&it)));
}

wk_unode_t *
wk_unode_from_value(const char *key, const bson_value_t *v)
{
    wk_unode_t *n;

    if (v->value_type == BSON_TYPE_DOCUMENT || v->value_type == BSON_TYPE_ARRAY) {
        n = unode_new(key, v->value_type);
        load_children(n, v->value.v_doc.data, v->value.v_doc.data_len);
        return n;
    }
    n = unode_new(key, v->value_type);
    bson_value_copy(v, &n->v);
    return n;
}

wk_unode_t *
wk_unode_from_bson(const bson_t *doc)
{
    wk_unode_t *n = unode_new(NULL, BSON_TYPE_DOCUMENT);

    load_children(n, bson_get_data(doc), doc->len);
    return n;
}

void
wk_unode_free(wk_unode_t *n)
{
    size_t i;

    if (n == NULL)
        return;
    for (i = 0; i < n->n; i++)
        wk_unode_free(n->kids[i]);
    bson_free(n->kids);
    if (!wk_unode_is_container(n) && n->type != BSON_TYPE_EOD)
        bson_value_destroy(&n->v);
    bson_free(n->key);
    bson_free(n);
}

/* append_node -- append one node under `key` to out. */
static void
append_node(const wk_unode_t *n, const char *key, bson_t *out)
{
    bson_t sub;

    if (n->type == BSON_TYPE_DOCUMENT) {
        bson_append_document_begin(out, key, -1, &sub);
        wk_unode_to_bson(n, &sub);
        bson_append_document_end(out, &sub);
    } else if (n->type == BSON_TYPE_ARRAY) {
        bson_append_array_begin(out, key, -1, &sub);
        wk_unode_to_bson(n, &sub);
        bson_append_array_end(out, &sub);
    } else {
        bson_append_value(out, key, -1, &n->v);
    }
}

void
wk_unode_to_bson(const wk_unode_t *n, bson_t *out)
{
    char buf[16];
    const char *kp;
    size_t i;

    for (i = 0; i < n->n; i++) {
        if (n->type == BSON_TYPE_ARRAY) {
            bson_uint32_to_string((uint32_t)i, &kp, buf, sizeof(buf));
            append_node(n->kids[i], kp, out);
        } else {
            append_node(n->kids[i], n->kids[i]->key, out);
        }
    }
}

void
wk_unode_to_value(const wk_unode_t *n, bson_value_t *out)
{
    bson_t b;
    uint32_t len = 0;

    memset(out, 0, sizeof(*out));
    if (!wk_unode_is_container(n)) {
        bson_value_copy(&n->v, out);
        return;
    }
    bson_init(&b);
    wk_unode_to_bson(n, &b);
    out->value_type = n->type;
    out->value.v_doc.data = bson_destroy_with_steal(&b, true, &len);
    out->value.v_doc.data_len = len;
}

wk_unode_t *
wk_unode_find(const wk_unode_t *n, const char *key, size_t *pos)
{
    size_t i;

    for (i = 0; i < n->n; i++)
        if (n->kids[i]->key != NULL && strcmp(n->kids[i]->key, key) == 0) {
            if (pos != NULL)
                *pos = i;
            return n->kids[i];
        }
    return NULL;
}

void
wk_unode_remove(wk_unode_t *n, size_t pos)
{
    wk_unode_free(n->kids[pos]);
    memmove(n->kids + pos, n->kids + pos + 1, sizeof(*n->kids) * (n->n - pos - 1));
    n->n--;
}

void
wk_unode_set_key(wk_unode_t *n, const char *key)
{
    bson_free(n->key);
    n->key = key != NULL ? bson_strdup(key) : NULL;
}

void
wk_unode_replace(wk_unode_t *n, size_t pos, wk_unode_t *kid)
{
    wk_unode_set_key(kid, n->kids[pos]->key);
    wk_unode_free(n->kids[pos]);
    n->kids[pos] = kid;
}
