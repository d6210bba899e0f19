/*
 * src/worker/catalog_cache.c -- the worker's copy of the catalog, refreshed by version.
 *
 * The master bumps catalog_version in the global segment after every catalog change; a
 * worker compares it with the version of its cached CATALOG reply before using the cache.
 * Each refresh builds a new snapshot (the reply plus an index of entries pointing into it).
 * Because requests run on coroutines (coro.h), a handler suspended in a storage call may
 * still hold entries of an older snapshot, so replaced snapshots are retired, not freed, and
 * wk_catalog_gc frees them once no coroutine is running.  Event-loop thread only.
 */
#include "catalog_cache.h"

#include "../common/sdb.h"
#include "coro.h"
#include "store_client.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

typedef struct snapshot {
    bson_t *doc;             /* the CATALOG reply (heap: bson_t wants 128-byte alignment) */
    wk_coll_info_t *entries; /* views into doc */
    size_t n;
    struct snapshot *next; /* retired list */
} snapshot_t;

static snapshot_t *cur;
static snapshot_t *retired;
static uint64_t cached_version = UINT64_MAX;

static void
view_of(bson_iter_t *it, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;

    if (BSON_ITER_HOLDS_DOCUMENT(it))
        bson_iter_document(it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(it))
        bson_iter_array(it, &len, &data);
    else {
        bson_init(out);
        return;
    }
    bson_init_static(out, data, len);
}

static void
parse_entry(bson_iter_t *coll, wk_coll_info_t *e)
{
    memset(e, 0, sizeof(*e));
    bson_init(&e->options);
    bson_init(&e->indexes);
    bson_init(&e->uuid_doc);
    bson_init(&e->multikey);
    bson_init(&e->mkpaths);
    while (bson_iter_next(coll)) {
        const char *k = bson_iter_key(coll);
        if (strcmp(k, "ns") == 0 && BSON_ITER_HOLDS_UTF8(coll))
            e->ns = bson_iter_utf8(coll, NULL);
        else if (strcmp(k, "options") == 0)
            view_of(coll, &e->options);
        else if (strcmp(k, "indexes") == 0)
            view_of(coll, &e->indexes);
        else if (strcmp(k, "multikey") == 0)
            view_of(coll, &e->multikey);
        else if (strcmp(k, "multikeyPaths") == 0)
            view_of(coll, &e->mkpaths);
        else if (strcmp(k, "uuid") == 0)
            bson_append_iter(&e->uuid_doc, "uuid", 4, coll);
        else if (strcmp(k, "pending") == 0)
            e->pending = bson_iter_as_bool(coll);
    }
}

static void
parse_entries(snapshot_t *s)
{
    bson_iter_t it, arr, coll;
    size_t cap = 0;

    if (!bson_iter_init_find(&it, s->doc, "collections") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return;
    while (bson_iter_next(&arr))
        cap++;
    /* the entries embed bson_t, which needs its declared alignment */
    s->entries = aligned_alloc(BSON_ALIGNOF(wk_coll_info_t), (cap + 1) * sizeof(*s->entries));
    if (s->entries == NULL)
        return;
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr) && s->n < cap) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &coll))
            continue;
        parse_entry(&coll, &s->entries[s->n]);
        if (s->entries[s->n].ns != NULL)
            s->n++;
        else
            bson_destroy(&s->entries[s->n].uuid_doc);
    }
}

static void
snapshot_free(snapshot_t *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        bson_destroy(&s->entries[i].uuid_doc);
    free(s->entries);
    bson_destroy(s->doc);
    bson_free(s);
}

/*
 * wk_catalog_refresh --
 *     Re-fetch the catalog when the master's version moved.
 */
int
wk_catalog_refresh(void)
{
    uint64_t v = atomic_load(&wk_global->catalog_version);
    bson_t req, reply;
    sdb_error_t err;
    snapshot_t *s;
    int ret;

    if (cur != NULL && v == cached_version)
        return 0;
    bson_init(&req);
    ret = wk_store_call(SDB_OP_CATALOG, &req, &reply, &err);
    bson_destroy(&req);
    if (ret != 0) {
        bson_destroy(&reply);
        return ret;
    }
    s = bson_malloc0(sizeof(*s));
    s->doc = bson_copy(&reply);
    bson_destroy(&reply);
    parse_entries(s);
    if (cur != NULL) {
        cur->next = retired;
        retired = cur;
    }
    cur = s;
    cached_version = v;
    wk_catalog_gc();
    return 0;
}

uint64_t
wk_catalog_version(void)
{
    return cached_version;
}

/*
 * wk_catalog_gc --
 *     Free retired snapshots once no request can still hold their entries.
 */
void
wk_catalog_gc(void)
{
    if (wk_coro_active() > 0)
        return;
    while (retired != NULL) {
        snapshot_t *s = retired;
        retired = s->next;
        snapshot_free(s);
    }
}

/*
 * wk_catalog_find --
 *     The cached entry for ns, or NULL.
 */
const wk_coll_info_t *
wk_catalog_find(const char *ns)
{
    size_t i;

    if (cur == NULL)
        return NULL;
    for (i = 0; i < cur->n; i++)
        if (strcmp(cur->entries[i].ns, ns) == 0)
            return &cur->entries[i];
    return NULL;
}

/*
 * wk_catalog_list --
 *     Every cached entry.
 */
const wk_coll_info_t *
wk_catalog_list(size_t *n)
{
    *n = cur != NULL ? cur->n : 0;
    return cur != NULL ? cur->entries : NULL;
}

/*
 * wk_catalog_free --
 *     Release every snapshot (orderly exit).
 */
void
wk_catalog_free(void)
{
    if (cur != NULL) {
        cur->next = retired;
        retired = cur;
        cur = NULL;
    }
    while (retired != NULL) {
        snapshot_t *s = retired;
        retired = s->next;
        snapshot_free(s);
    }
}
