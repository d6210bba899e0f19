/*
 * src/master/plancache.c -- the shared plan cache (plancache.h).
 *
 * A flat array of entries searched linearly (at most MS_PLANCACHE_MAX; a lookup is far
 * cheaper than the race it saves).  The whole cache belongs to one catalog version: a
 * request naming a newer one empties it first (any catalog change -- an index built,
 * dropped or turned multikey, a collection dropped -- invalidates plans, as mongod clears a
 * collection's cache), and a request naming an older one (a worker whose catalog copy lags)
 * finds nothing and stores nothing.
 *
 * Activation, as mongod's: a race's first outcome for a key is stored inactive with its
 * winner's works; GET answers only active entries, so the next query of the shape races
 * again, and its outcome activates the entry when its works is at most the stored one
 * (the entry then takes the new outcome), else doubles the stored works (mongod's
 * internalQueryCacheWorksGrowthCoefficient) and stays inactive.  An outcome for an active
 * entry (the worker raced because the cached index was no candidate) replaces it, inactive.
 *
 * Invariants: every field is read and written under `lock`; entries own their strings and
 * documents; service threads, concurrently.
 */
#include "plancache.h"

#include "../common/sdb.h"
#include "storereq.h"

#include <pthread.h>
#include <string.h>

#define MS_PLANCACHE_MAX 4096

typedef struct entry {
    char *ns, *key, *index;
    bson_t *doc; /* the worker's $planCacheStats document, without isActive and works */
    int64_t works;
    bool active;
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *cache;
static size_t ncache;
static int64_t cache_cv = -1; /* the catalog version every entry belongs to */

static void
drop_at_locked(size_t i)
{
    bson_free(cache[i].ns);
    bson_free(cache[i].key);
    bson_free(cache[i].index);
    bson_destroy(cache[i].doc);
    memmove(&cache[i], &cache[i + 1], (ncache - i - 1) * sizeof(*cache));
    ncache--;
}

/* current_locked -- bring the cache to catalog version cv; false when cv is older. */
static bool
current_locked(int64_t cv)
{
    if (cv < cache_cv)
        return false;
    if (cv > cache_cv) {
        while (ncache > 0)
            drop_at_locked(ncache - 1);
        cache_cv = cv;
    }
    return true;
}

static entry_t *
find_locked(const char *ns, const char *key)
{
    for (size_t i = 0; i < ncache; i++)
        if (strcmp(cache[i].ns, ns) == 0 && strcmp(cache[i].key, key) == 0)
            return &cache[i];
    return NULL;
}

/* take -- ns, key and cv of a request. */
static int
take(const bson_t *req, const char **ns, const char **key, int64_t *cv, sdb_error_t *err)
{
    SDB_RET(ms_req_str(req, "ns", false, ns, err));
    SDB_RET(ms_req_str(req, "key", true, key, err));
    return ms_req_int64(req, "cv", 0, cv, NULL, err);
}

int
ms_plancache_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *key;
    int64_t cv;
    entry_t *e;

    SDB_UNUSED(ctx);
    SDB_RET(take(req, &ns, &key, &cv, err));
    if (key == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "PLAN_CACHE_GET without a key");
    pthread_mutex_lock(&lock);
    if (current_locked(cv) && (e = find_locked(ns, key)) != NULL && e->active)
        BSON_APPEND_UTF8(reply, "index", e->index);
    pthread_mutex_unlock(&lock);
    return 0;
}

/* set_locked -- e takes the outcome (index, doc, works), active or not. */
static void
set_locked(entry_t *e, const char *index, const bson_t *doc, int64_t works, bool active)
{
    bson_free(e->index);
    if (e->doc != NULL)
        bson_destroy(e->doc);
    e->index = bson_strdup(index);
    e->doc = bson_copy(doc);
    e->works = works;
    e->active = active;
}

int
ms_plancache_op_put(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *key, *index;
    int64_t cv, works;
    bson_t doc;
    entry_t *e;

    SDB_UNUSED(ctx);
    SDB_UNUSED(reply);
    SDB_RET(take(req, &ns, &key, &cv, err));
    SDB_RET(ms_req_str(req, "index", false, &index, err));
    SDB_RET(ms_req_int64(req, "works", 0, &works, NULL, err));
    SDB_RET(ms_req_doc(req, "entry", false, &doc, NULL, err));
    if (key == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "PLAN_CACHE_PUT without a key");
    if (works < 1) /* (a plan that ended at once still worked once: doubling must grow it) */
        works = 1;
    pthread_mutex_lock(&lock);
    if (!current_locked(cv)) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    e = find_locked(ns, key);
    if (e != NULL && !e->active && works > e->works) {
        e->works *= 2; /* not good enough to trust yet */
    } else if (e != NULL) {
        set_locked(e, index, &doc, works, !e->active);
    } else {
        if (ncache == MS_PLANCACHE_MAX)
            drop_at_locked(0);
        cache = bson_realloc(cache, (ncache + 1) * sizeof(*cache));
        e = &cache[ncache++];
        memset(e, 0, sizeof(*e));
        e->ns = bson_strdup(ns);
        e->key = bson_strdup(key);
        set_locked(e, index, &doc, works, false);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

/* list_locked -- {entries: [{entry, isActive, works}...]} of ns, oldest first. */
static void
list_locked(const char *ns, bson_t *reply)
{
    bson_t arr, one;
    uint32_t n = 0;

    BSON_APPEND_ARRAY_BEGIN(reply, "entries", &arr);
    for (size_t i = 0; i < ncache; i++) {
        char k[16];

        if (strcmp(cache[i].ns, ns) != 0)
            continue;
        bson_snprintf(k, sizeof(k), "%u", n++);
        bson_append_document_begin(&arr, k, -1, &one);
        BSON_APPEND_DOCUMENT(&one, "entry", cache[i].doc);
        BSON_APPEND_BOOL(&one, "isActive", cache[i].active);
        BSON_APPEND_INT64(&one, "works", cache[i].works);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(reply, &arr);
}

int
ms_plancache_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *key;
    int64_t cv, n = 0;
    bool clear;

    SDB_UNUSED(ctx);
    SDB_RET(take(req, &ns, &key, &cv, err));
    SDB_RET(ms_req_bool(req, "clear", false, &clear, err));
    pthread_mutex_lock(&lock);
    if (!current_locked(cv)) {
        pthread_mutex_unlock(&lock);
        if (!clear) {
            bson_t arr;

            BSON_APPEND_ARRAY_BEGIN(reply, "entries", &arr);
            bson_append_array_end(reply, &arr);
        }
        return 0;
    }
    if (!clear) {
        list_locked(ns, reply);
        pthread_mutex_unlock(&lock);
        return 0;
    }
    for (size_t i = ncache; i > 0; i--)
        if (strcmp(cache[i - 1].ns, ns) == 0 &&
            (key == NULL || strcmp(cache[i - 1].key, key) == 0)) {
            drop_at_locked(i - 1);
            n++;
        }
    pthread_mutex_unlock(&lock);
    BSON_APPEND_INT64(reply, "n", n);
    return 0;
}
