/*
 * src/common/path.c -- dotted-path parsing and mongod's ElementPath traversal.
 *
 * sdb_path_walk follows a parsed path through a document.  In a document the component is
 * looked up by name; a missing name ends the branch with one "missing" visit.  In an array
 * met before the last component, every element that is a document continues with the same
 * component, and a numeric component additionally continues with the element at that
 * position; non-document elements yield no visit (so {"a.b": null} does not match
 * {a: [5]} nor {a: []}).  At the end of the path the value is visited;
 * with expand_leaf an array's elements are visited first, then the array itself.
 *
 * Invariants: no allocation during a walk; iterators handed to visitors live on this stack.
 */
#include "path.h"

#include <stdlib.h>
#include <string.h>

#include "depth.h"
#include "sdb.h"

int32_t
sdb_path_index(const char *part)
{
    int64_t v = 0;
    size_t i, len = strlen(part);

    if (len == 0 || len > 9 || (len > 1 && part[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (part[i] < '0' || part[i] > '9')
            return -1;
        v = v * 10 + (part[i] - '0');
    }
    return (int32_t)v;
}

int
sdb_path_check(const char *dotted, size_t len, sdb_error_t *err)
{
    const char *p = dotted, *end = dotted + len;
    int n = 1;

    while ((p = memchr(p, '.', (size_t)(end - p))) != NULL) {
        if (++n > SDB_DEPTH_PATH_MAX)
            return err != NULL ? sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long")
                               : SDB_ETOOBIG;
        p++;
    }
    return 0;
}

int
sdb_path_parse(const char *dotted, size_t len, sdb_path_t *out, sdb_error_t *err)
{
    size_t i, start = 0;
    int n = 1, k = 0;

    memset(out, 0, sizeof(*out));
    SDB_RET(sdb_path_check(dotted, len, err));
    for (i = 0; i < len; i++)
        if (dotted[i] == '.')
            n++;
    out->dotted = bson_strndup(dotted, len);
    out->parts = bson_malloc0(sizeof(char *) * (size_t)n);
    out->index = bson_malloc0(sizeof(int32_t) * (size_t)n);
    out->n = n;
    for (i = 0; i <= len; i++) {
        if (i < len && dotted[i] != '.')
            continue;
        out->parts[k] = bson_strndup(dotted + start, i - start);
        out->index[k] = sdb_path_index(out->parts[k]);
        k++;
        start = i + 1;
    }
    return 0;
}

void
sdb_path_destroy(sdb_path_t *p)
{
    int i;

    if (p->parts != NULL)
        for (i = 0; i < p->n; i++)
            bson_free(p->parts[i]);
    bson_free(p->parts);
    bson_free(p->index);
    bson_free(p->dotted);
    memset(p, 0, sizeof(*p));
}

bool
sdb_iter_find_index(bson_iter_t *child, int32_t idx)
{
    int32_t i = 0;

    while (bson_iter_next(child)) {
        if (i == idx)
            return true;
        i++;
    }
    return false;
}

/* walk_array_mid -- an array met before the end of the path (component `from`). */
static bool
walk_array_mid(const bson_iter_t *arr, const sdb_path_t *path, int from, bool expand_leaf,
               int32_t arr_idx, sdb_path_visit_fn fn, void *ctx)
{
    bson_iter_t child;
    int32_t i = 0, want = path->index[from];

    if (!bson_iter_recurse(arr, &child))
        return false;
    while (bson_iter_next(&child)) {
        if (want == i) {
            /* selected by position, not traversed: it records no position of its own */
            if (sdb_path_walk_iter(&child, path, from + 1, expand_leaf, arr_idx, fn, ctx))
                return true;
        } else if (BSON_ITER_HOLDS_DOCUMENT(&child)) {
            if (sdb_path_walk_iter(&child, path, from, expand_leaf, arr_idx >= 0 ? arr_idx : i, fn,
                                   ctx))
                return true;
        }
        i++;
    }
    return false;
}

bool
sdb_path_walk_iter(const bson_iter_t *start, const sdb_path_t *path, int from, bool expand_leaf,
                   int32_t arr_idx, sdb_path_visit_fn fn, void *ctx)
{
    bson_iter_t child;
    int32_t i = 0;

    if (from >= path->n) {
        if (expand_leaf && BSON_ITER_HOLDS_ARRAY(start) && bson_iter_recurse(start, &child)) {
            while (bson_iter_next(&child)) {
                if (fn(ctx, &child, arr_idx >= 0 ? arr_idx : i))
                    return true;
                i++;
            }
        }
        return fn(ctx, start, arr_idx);
    }
    if (BSON_ITER_HOLDS_DOCUMENT(start)) {
        if (!bson_iter_recurse(start, &child))
            return false;
        if (!bson_iter_find(&child, path->parts[from]))
            return fn(ctx, NULL, arr_idx);
        return sdb_path_walk_iter(&child, path, from + 1, expand_leaf, arr_idx, fn, ctx);
    }
    if (BSON_ITER_HOLDS_ARRAY(start))
        return walk_array_mid(start, path, from, expand_leaf, arr_idx, fn, ctx);
    return fn(ctx, NULL, arr_idx);
}

bool
sdb_path_walk(const bson_t *doc, const sdb_path_t *path, int from, bool expand_leaf,
              sdb_path_visit_fn fn, void *ctx)
{
    bson_iter_t it;

    if (from >= path->n)
        return false;
    if (!bson_iter_init_find(&it, doc, path->parts[from]))
        return fn(ctx, NULL, -1);
    return sdb_path_walk_iter(&it, path, from + 1, expand_leaf, -1, fn, ctx);
}

bool
sdb_path_lookup(const bson_t *doc, const char *dotted, bson_iter_t *out)
{
    bson_iter_t it, child;
    const char *p = dotted, *dot;
    char part[256];
    bool first = true;

    for (;;) {
        size_t len;
        dot = strchr(p, '.');
        len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof(part))
            return false;
        memcpy(part, p, len);
        part[len] = '\0';
        if (first) {
            if (!bson_iter_init_find(&it, doc, part))
                return false;
            first = false;
        } else if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
            if (!bson_iter_recurse(&it, &child) || !bson_iter_find(&child, part))
                return false;
            it = child;
        } else if (BSON_ITER_HOLDS_ARRAY(&it) && sdb_path_index(part) >= 0) {
            if (!bson_iter_recurse(&it, &child) ||
                !sdb_iter_find_index(&child, sdb_path_index(part)))
                return false;
            it = child;
        } else {
            return false;
        }
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    *out = it;
    return true;
}

/* prefixes_at -- the array bits of the components from `dotted` on, below document d, where
 * component `depth` is the first of `dotted`. */
static uint64_t
prefixes_at(const bson_t *d, const char *dotted, int depth)
{
    const char *dot = strchr(dotted, '.');
    size_t len = dot != NULL ? (size_t)(dot - dotted) : strlen(dotted);
    uint64_t bit = (uint64_t)1 << (depth < 63 ? depth : 63), mask = 0;
    bson_iter_t it, el;
    char part[256];

    if (len >= sizeof(part) || depth >= SDB_DEPTH_PATH_MAX)
        return 0;
    memcpy(part, dotted, len);
    part[len] = '\0';
    if (!bson_iter_init_find(&it, d, part))
        return 0;
    if (BSON_ITER_HOLDS_ARRAY(&it))
        mask |= bit;
    if (dot == NULL)
        return mask;
    if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
        bool arr = BSON_ITER_HOLDS_ARRAY(&it);

        if (!bson_iter_recurse(&it, &el))
            return mask;
        if (!arr) {
            bson_t sub;
            const uint8_t *data;
            uint32_t n;

            bson_iter_document(&it, &n, &data);
            return bson_init_static(&sub, data, n) ? mask | prefixes_at(&sub, dot + 1, depth + 1)
                                                   : mask;
        }
        while (bson_iter_next(&el)) { /* each embedded document continues the path */
            bson_t sub;
            const uint8_t *data;
            uint32_t n;

            if (!BSON_ITER_HOLDS_DOCUMENT(&el))
                continue;
            bson_iter_document(&el, &n, &data);
            if (bson_init_static(&sub, data, n))
                mask |= prefixes_at(&sub, dot + 1, depth + 1);
        }
    }
    return mask;
}

uint64_t
sdb_path_array_prefixes(const bson_t *doc, const char *dotted)
{
    return prefixes_at(doc, dotted, 0);
}

bool
sdb_path_has_empty(const sdb_path_t *p)
{
    int i;

    for (i = 0; i < p->n; i++)
        if (p->parts[i][0] == '\0')
            return true;
    return false;
}

uint32_t
sdb_iter_count(const bson_iter_t *it)
{
    bson_iter_t child;
    uint32_t n = 0;

    if (!bson_iter_recurse(it, &child))
        return 0;
    while (bson_iter_next(&child))
        n++;
    return n;
}
