/*
 * src/worker/agg/wincache.h -- one partition of $setWindowFields, held in memory up to the
 * stage's limit and spilled past it, read back by position (mongod's SpillableCache).
 *
 * Documents are added in the partition's order and numbered from 0.  The cache holds them
 * until their bytes reach internalDocumentSourceSetWindowFieldsMaxMemoryBytes; then, with
 * allowDiskUse, it writes all it holds to a temporary table as one run (spill.h) and lets them
 * go, so documents [0, spilled) live in the table and [spilled, count) in memory.  Without
 * allowDiskUse that add fails with mongod's 5643011.  wk_wincache_get reads a spilled document
 * through a block of neighbours read in one TMP_READ (window functions walk the partition
 * forward), two blocks at a time.
 *
 * Contract: event-loop thread, one coroutine.  Documents added are taken.  A document from
 * wk_wincache_get is a view that stays valid until the second get after it (so a caller may
 * hold the previous one while it reads the next), and until the cache is freed.  An error
 * leaves the cache usable only for wk_wincache_free.
 */
#ifndef SRC_WORKER_AGG_WINCACHE_H
#define SRC_WORKER_AGG_WINCACHE_H

#include "agg.h"

typedef struct wk_wincache wk_wincache_t;

/* wk_wincache_limit -- internalDocumentSourceSetWindowFieldsMaxMemoryBytes (live). */
size_t wk_wincache_limit(void);

/* wk_wincache_new -- an empty cache for one partition of ctx's aggregate. */
wk_wincache_t *wk_wincache_new(const wk_agg_ctx_t *ctx);

/* wk_wincache_add -- append `doc` (taken, freed on error too) as the next position. */
int wk_wincache_add(wk_wincache_t *c, bson_t *doc, sdb_error_t *err);

/* wk_wincache_count -- how many documents were added. */
size_t wk_wincache_count(const wk_wincache_t *c);

/* wk_wincache_spilled -- whether any document went to the temporary table. */
bool wk_wincache_spilled(const wk_wincache_t *c);

/* wk_wincache_get -- the document at position i (< count), a view (see the contract). */
int wk_wincache_get(wk_wincache_t *c, size_t i, const bson_t **doc, sdb_error_t *err);

/* wk_wincache_free -- release everything, the temporary table too (NULL is fine). */
void wk_wincache_free(wk_wincache_t *c);

#endif
