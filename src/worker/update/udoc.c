/*
 * src/worker/update/udoc.c -- the mutable document tree behind update application.
 *
 * Loading copies every scalar out of the BSON (so the source may be freed); serializing
 * walks the tree and renumbers array members "0", "1", ...  Children live in a growable
 * pointer array, so insertions and removals keep the order of the others.
 *
 * Depth: loading, serializing and freeing visit every level of a document, and a document
 * may nest deeper than any bound (one stored before limits existed, or one built by a
 * pipeline of stages), so they walk with an explicit heap stack (ustack_t) rather than by
 * recursion: no tree reaches the end of the C stack; a result nested past
 * SDB_BSON_DEPTH_EVAL is refused by wk_update_apply (15 Overflow), not here.  The operators that descend the tree follow an
 * update's path, which sdb_path_parse bounds.
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

/* ---- the explicit stack of the walks ----------------------------------------------------- */

typedef struct uframe {
    wk_unode_t *node;  /* the container being filled or written */
    bson_iter_t it;    /* loading: its members still to read */
    size_t next;       /* serializing: the next child to write */
    bson_t *out;       /* serializing: where its children go */
    bson_t *child_out; /* serializing: the builder of the child being written (owned) */
} uframe_t;

typedef struct ustack {
    uframe_t *f;
    size_t n, cap;
} ustack_t;

static uframe_t *
ustack_push(ustack_t *st, wk_unode_t *node)
{
    uframe_t *f;

    if (st->n == st->cap) {
        st->cap = st->cap != 0 ? st->cap * 2 : 16;
        st->f = bson_realloc(st->f, sizeof(*st->f) * st->cap);
    }
    f = &st->f[st->n++];
    memset(f, 0, sizeof(*f));
    f->node = node;
    return f;
}

/* ---- loading ------------------------------------------------------------------------------ */

static wk_unode_t *
scalar_node(const char *key, const bson_value_t *v)
{
    wk_unode_t *n = unode_new(key, v->value_type);

    bson_value_copy(v, &n->v);
    return n;
}

/* load -- fill container `top` from the members of its BSON (data, len), every level. */
static void
load(wk_unode_t *top, const uint8_t *data, uint32_t len)
{
    ustack_t st = {NULL, 0, 0};
    uframe_t *f = ustack_push(&st, top);

    if (!bson_iter_init_from_data(&f->it, data, len))
        st.n = 0;
    while (st.n > 0) {
        const bson_value_t *v;
        wk_unode_t *n, *kid;
        const char *key;

        f = &st.f[st.n - 1];
        if (!bson_iter_next(&f->it)) {
            st.n--;
            continue;
        }
        n = f->node;
        key = n->type == BSON_TYPE_ARRAY ? NULL : bson_iter_key(&f->it);
        v = bson_iter_value(&f->it);
        if (v->value_type != BSON_TYPE_DOCUMENT && v->value_type != BSON_TYPE_ARRAY) {
            wk_unode_insert(n, n->n, scalar_node(key, v));
            continue;
        }
        kid = unode_new(key, v->value_type);
        wk_unode_insert(n, n->n, kid);
        data = v->value.v_doc.data; /* v lives in the frame, which the push may move */
        len = v->value.v_doc.data_len;
        f = ustack_push(&st, kid);
        if (!bson_iter_init_from_data(&f->it, data, len))
            st.n--;
    }
    bson_free(st.f);
}

wk_unode_t *
wk_unode_from_value(const char *key, const bson_value_t *v)
{
    wk_unode_t *n;

    if (v->value_type == BSON_TYPE_DOCUMENT || v->value_type == BSON_TYPE_ARRAY) {
        n = unode_new(key, v->value_type);
        load(n, v->value.v_doc.data, v->value.v_doc.data_len);
        return n;
    }
    return scalar_node(key, v);
}

wk_unode_t *
wk_unode_from_bson(const bson_t *doc)
{
    wk_unode_t *n = unode_new(NULL, BSON_TYPE_DOCUMENT);

    load(n, bson_get_data(doc), doc->len);
    return n;
}

/* ---- freeing ------------------------------------------------------------------------------ */

/* node_release -- free one node's own memory (not its children). */
static void
node_release(wk_unode_t *n)
{
    bson_free(n->kids);
    if (!wk_unode_is_container(n) && n->type != BSON_TYPE_EOD)
        bson_value_destroy(&n->v);
    bson_free(n->key);
    bson_free(n);
}

void
wk_unode_free(wk_unode_t *n)
{
    wk_unode_t **todo;
    size_t ntodo = 0, cap = 16, i;

    if (n == NULL)
        return;
    todo = bson_malloc(sizeof(*todo) * cap);
    todo[ntodo++] = n;
    while (ntodo > 0) {
        n = todo[--ntodo];
        if (ntodo + n->n > cap) {
            while (ntodo + n->n > cap)
                cap *= 2;
            todo = bson_realloc(todo, sizeof(*todo) * cap);
        }
        for (i = 0; i < n->n; i++)
            todo[ntodo++] = n->kids[i];
        node_release(n);
    }
    bson_free(todo);
}

/* ---- serializing -------------------------------------------------------------------------- */

/* open_child -- begin the container kid (named key) inside out; its builder is owned by f. */
static void
open_child(uframe_t *f, const wk_unode_t *kid, const char *key)
{
    f->child_out = bson_malloc(sizeof(bson_t));
    if (kid->type == BSON_TYPE_DOCUMENT)
        bson_append_document_begin(f->out, key, -1, f->child_out);
    else
        bson_append_array_begin(f->out, key, -1, f->child_out);
}

/* close_child -- end the child builder f opened. */
static void
close_child(uframe_t *f)
{
    if (f->node->kids[f->next - 1]->type == BSON_TYPE_DOCUMENT)
        bson_append_document_end(f->out, f->child_out);
    else
        bson_append_array_end(f->out, f->child_out);
    bson_free(f->child_out);
    f->child_out = NULL;
}

void
wk_unode_to_bson(const wk_unode_t *n, bson_t *out)
{
    ustack_t st = {NULL, 0, 0};
    uframe_t *f = ustack_push(&st, (wk_unode_t *)n);
    char buf[16];

    f->out = out;
    while (st.n > 0) {
        const wk_unode_t *kid;
        const char *key;
        bson_t *child_out;

        f = &st.f[st.n - 1];
        if (f->child_out != NULL)
            close_child(f); /* the child pushed last time is complete */
        if (f->next == f->node->n) {
            st.n--;
            continue;
        }
        kid = f->node->kids[f->next++];
        key = kid->key;
        if (f->node->type == BSON_TYPE_ARRAY)
            bson_uint32_to_string((uint32_t)(f->next - 1), &key, buf, sizeof(buf));
        if (!wk_unode_is_container(kid)) {
            bson_append_value(f->out, key, -1, &kid->v);
            continue;
        }
        open_child(f, kid, key);
        child_out = f->child_out;
        f = ustack_push(&st, (wk_unode_t *)kid);
        f->out = child_out;
    }
    bson_free(st.f);
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
