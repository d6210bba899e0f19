/*
 * src/worker/catalog_cache.h -- the worker's cached copy of the master's catalog.
 *
 * Refreshed (SDB_OP_CATALOG) whenever the global segment's catalog_version differs from the
 * cached one.  Entries are read-only views that stay valid until the request that obtained
 * them finishes (older snapshots are freed by wk_catalog_gc only when no request is
 * running), but they may be stale after a storage call: refresh again to see changes.
 */
#ifndef WK_CATALOG_CACHE_H
#define WK_CATALOG_CACHE_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct wk_coll_info {
    const char *ns;  /* "db.coll" */
    bson_t options;  /* static view of the options document */
    bson_t indexes;  /* static view of the array of index specs */
    bson_t uuid_doc; /* static view of {uuid: binary} */
    bson_t multikey; /* static view of the array of multikey index names (master/catalog.h:
                      * an index whose entries came from an expanded array) */
    bson_t mkpaths;  /* static view of {index name: {field: [prefixes that hold arrays]}} for
                      * the multikey indexes (mongod's multiKeyPaths) */
    bool pending;    /* created by a transaction that has not committed (master/catalog.h):
                      * its statements use it, listCollections and listIndexes do not show it */
} wk_coll_info_t;

/* wk_catalog_refresh -- fetch the catalog if its version changed. */
int wk_catalog_refresh(void);

/* wk_catalog_find -- the entry for ns (after a refresh), or NULL. */
const wk_coll_info_t *wk_catalog_find(const char *ns);

/* wk_catalog_version -- the catalog version the cached copy reflects (UINT64_MAX: none yet);
 * it changes with every catalog change, an index turning multikey included. */
uint64_t wk_catalog_version(void);

/* wk_catalog_list -- all entries; *n receives the count. */
const wk_coll_info_t *wk_catalog_list(size_t *n);

/* wk_catalog_gc -- free retired snapshots when no request is running (called by conn.c). */
void wk_catalog_gc(void);

/* wk_catalog_free -- release everything (orderly worker exit). */
void wk_catalog_free(void);

#endif
