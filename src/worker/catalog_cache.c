/*
 * src/worker/catalog_cache.c -- the worker's copy of the catalog, refreshed by version.
 *
 * The master bumps catalog_version in the global segment after every catalog change; a
 * worker compares it with the version of its cached CATALOG reply before using the cache.
 * Entries are static views into the cached reply and die with the next refresh.
 * Event-loop thread only.
 */
#include "catalog_cache.h"

#include "../common/sdb.h"
#include "store_client.h"
#include "worker.h"

#include <string.h>

static bson_t cached;
static bool have_cache;
static uint64_t cached_version = UINT64_MAX;
static wk_coll_info_t *entries;
static size_t nentries;

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
parse_entries(void)
{
    bson_iter_t it, arr, coll;
    size_t cap = 16;

    while (nentries > 0)
        bson_destroy(&entries[--nentries].uuid_doc);
    entries = bson_realloc(entries, cap * sizeof(*entries));
    if (!bson_iter_init_find(&it, &cached, "collections") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return;
    while (bson_iter_next(&arr)) {
        wk_coll_info_t *e;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &coll))
            continue;
        if (nentries == cap) {
            cap *= 2;
            entries = bson_realloc(entries, cap * sizeof(*entries));
        }
        e = &entries[nentries];
        memset(e, 0, sizeof(*e));
        bson_init(&e->options);
        bson_init(&e->indexes);
        bson_init(&e->uuid_doc);
        while (bson_iter_next(&coll)) {
            const char *k = bson_iter_key(&coll);
            if (strcmp(k, "ns") == 0 && BSON_ITER_HOLDS_UTF8(&coll))
                e->ns = bson_iter_utf8(&coll, NULL);
            else if (strcmp(k, "options") == 0)
                view_of(&coll, &e->options);
            else if (strcmp(k, "indexes") == 0)
                view_of(&coll, &e->indexes);
            else if (strcmp(k, "uuid") == 0)
                bson_append_iter(&e->uuid_doc, "uuid", 4, &coll);
        }
        if (e->ns != NULL)
            nentries++;
    }
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
    int ret;

    if (have_cache && v == cached_version)
        return 0;
    bson_init(&req);
    ret = wk_store_call(SDB_OP_CATALOG, &req, &reply, &err);
    bson_destroy(&req);
    if (ret != 0) {
        bson_destroy(&reply);
        return ret;
    }
    if (have_cache)
        bson_destroy(&cached);
    bson_steal(&cached, &reply);
    have_cache = true;
    cached_version = v;
    parse_entries();
    return 0;
}

/*
 * wk_catalog_find --
 *     The cached entry for ns, or NULL.
 */
const wk_coll_info_t *
wk_catalog_find(const char *ns)
{
    size_t i;

    for (i = 0; i < nentries; i++)
        if (strcmp(entries[i].ns, ns) == 0)
            return &entries[i];
    return NULL;
}

/*
 * wk_catalog_list --
 *     Every cached entry.
 */
const wk_coll_info_t *
wk_catalog_list(size_t *n)
{
    *n = nentries;
    return entries;
}
