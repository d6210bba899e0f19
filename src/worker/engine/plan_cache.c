/*
 * src/worker/engine/plan_cache.c -- the winning index of a race, remembered per query shape.
 *
 * A flat array of entries {ns, shape, index} searched linearly (a worker holds at most
 * WK_PLAN_CACHE_MAX; a lookup costs far less than the race it saves, which is one store
 * round trip per candidate).  Shapes are text: for each predicate its path and operator
 * names, nested operators and $and/$or/$nor clauses in order, then the sort's fields and
 * directions; values never enter them, so {a: 5} and {a: 7} share an entry.
 *
 * Entries hold only while the catalog version they were made at is current (catalog_cache.h):
 * any catalog change empties the cache.
 *
 * Invariants: event-loop thread only; the array and its strings are owned here.
 */
#include "plan_cache.h"

#include "../catalog_cache.h"

#include <stdio.h>
#include <string.h>

typedef struct entry {
    char *ns, *shape, *index;
    bson_t *query;      /* {query, sort} that created it ($planCacheStats), or NULL */
    int64_t works;      /* the winner's trial work */
    int64_t created_ms; /* when (wall clock) */
} entry_t;

static entry_t *cache;
static size_t ncache;
static uint64_t cache_version = UINT64_MAX; /* the catalog version the entries were made at */

static void shape_doc(const bson_t *d, bson_string_t *s, int depth);

/* shape_value -- the shape of one predicate's value. */
static void
shape_value(const bson_iter_t *it, bson_string_t *s, int depth)
{
    bson_iter_t sub;
    const uint8_t *d;
    uint32_t len;
    bson_t doc;

    if (depth > 8) {
        bson_string_append(s, "...");
        return;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &sub) && bson_iter_next(&sub) &&
        bson_iter_key(&sub)[0] == '$') {
        bson_iter_document(it, &len, &d);
        if (bson_init_static(&doc, d, len))
            shape_doc(&doc, s, depth + 1);
    } else if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &sub)) {
        bson_string_append(s, "[");
        while (bson_iter_next(&sub)) {
            if (BSON_ITER_HOLDS_DOCUMENT(&sub)) {
                bson_iter_document(&sub, &len, &d);
                if (bson_init_static(&doc, d, len))
                    shape_doc(&doc, s, depth + 1);
            }
            bson_string_append(s, ",");
        }
        bson_string_append(s, "]");
    } else {
        bson_string_append_printf(s, "?%d", (int)bson_iter_type(it));
    }
}

static void
shape_doc(const bson_t *d, bson_string_t *s, int depth)
{
    bson_iter_t it;

    bson_string_append(s, "{");
    if (bson_iter_init(&it, d)) {
        while (bson_iter_next(&it)) {
            bson_string_append_printf(s, "%s:", bson_iter_key(&it));
            if (strcmp(bson_iter_key(&it), "$in") == 0 || strcmp(bson_iter_key(&it), "$nin") == 0)
                bson_string_append(s, "[]"); /* the number of values is not the shape */
            else
                shape_value(&it, s, depth);
            bson_string_append(s, ";");
        }
    }
    bson_string_append(s, "}");
}

void
wk_plan_cache_shape(const bson_t *filter, const bson_t *sort, bson_string_t *s)
{
    bson_iter_t it;

    if (filter != NULL)
        shape_doc(filter, s, 0);
    bson_string_append(s, "|");
    if (sort != NULL && bson_iter_init(&it, sort))
        while (bson_iter_next(&it))
            bson_string_append_printf(
                s, "%s:%d,", bson_iter_key(&it),
                BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0 ? -1 : 1);
}

void
wk_plan_cache_hash(const char *shape, char out[9])
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (const char *c = shape; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    snprintf(out, 9, "%08X", h);
}

static void drop_at(size_t i);

/* now_ms -- the wall clock in ms (an entry's timeOfCreation). */
static int64_t
now_ms(void)
{
    struct timeval tv;

    bson_gettimeofday(&tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* current -- empty the cache when the catalog changed since its entries were made (an index
 * built or dropped, an index turned multikey), as mongod clears a collection's plan cache. */
static void
current(void)
{
    uint64_t v = wk_catalog_version();

    if (v == cache_version)
        return;
    while (ncache > 0)
        drop_at(ncache - 1);
    cache_version = v;
}

static entry_t *
find(const char *ns, const char *shape)
{
    for (size_t i = 0; i < ncache; i++)
        if (strcmp(cache[i].ns, ns) == 0 && strcmp(cache[i].shape, shape) == 0)
            return &cache[i];
    return NULL;
}

const char *
wk_plan_cache_get(const char *ns, const char *shape)
{
    entry_t *e;

    current();
    e = find(ns, shape);
    return e != NULL ? e->index : NULL;
}

static void
drop_at(size_t i)
{
    bson_free(cache[i].ns);
    bson_free(cache[i].shape);
    bson_free(cache[i].index);
    if (cache[i].query != NULL)
        bson_destroy(cache[i].query);
    memmove(&cache[i], &cache[i + 1], (ncache - i - 1) * sizeof(*cache));
    ncache--;
}

void
wk_plan_cache_put(const char *ns, const char *shape, const char *index)
{
    entry_t *e;

    current();
    e = find(ns, shape);
    if (e != NULL) {
        bson_free(e->index);
        e->index = bson_strdup(index);
        e->created_ms = now_ms();
        return;
    }
    if (ncache == WK_PLAN_CACHE_MAX)
        drop_at(0);
    cache = bson_realloc(cache, (ncache + 1) * sizeof(*cache));
    memset(&cache[ncache], 0, sizeof(cache[ncache]));
    cache[ncache].created_ms = now_ms();
    cache[ncache].ns = bson_strdup(ns);
    cache[ncache].shape = bson_strdup(shape);
    cache[ncache].index = bson_strdup(index);
    ncache++;
}

size_t
wk_plan_cache_clear(const char *ns, const char *shape)
{
    size_t n = 0;

    for (size_t i = ncache; i > 0; i--) {
        if (strcmp(cache[i - 1].ns, ns) == 0 &&
            (shape == NULL || strcmp(cache[i - 1].shape, shape) == 0)) {
            drop_at(i - 1);
            n++;
        }
    }
    return n;
}

void
wk_plan_cache_note(const char *ns, const char *shape, const bson_t *filter, const bson_t *sort,
                   int64_t works)
{
    entry_t *e = find(ns, shape);

    if (e == NULL)
        return;
    if (e->query != NULL)
        bson_destroy(e->query);
    e->query = bson_new();
    if (filter != NULL) {
        BSON_APPEND_DOCUMENT(e->query, "query", filter);
    } else {
        bson_t q;

        BSON_APPEND_DOCUMENT_BEGIN(e->query, "query", &q);
        bson_append_document_end(e->query, &q);
    }
    if (sort != NULL)
        BSON_APPEND_DOCUMENT(e->query, "sort", sort);
    e->works = works;
}

void
wk_plan_cache_each(const char *ns, wk_plan_cache_fn fn, void *arg)
{
    current();
    for (size_t i = 0; i < ncache; i++) {
        wk_plan_cache_entry_t pe;

        if (strcmp(cache[i].ns, ns) != 0)
            continue;
        pe.shape = cache[i].shape;
        pe.index = cache[i].index;
        pe.query = cache[i].query;
        pe.works = cache[i].works;
        pe.created_ms = cache[i].created_ms;
        fn(&pe, arg);
    }
}
