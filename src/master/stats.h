/*
 * src/master/stats.h -- STATS: per-collection counts and sizes for collStats/dbStats.
 *
 * count and size (sum of stored BSON sizes) come from a cursor walk of the collection in
 * one snapshot (exact, O(n)).  storageSize and indexSizes are WiredTiger's "block-manager:
 * file size in bytes" statistic for each table on disk; in memory (":memory:") they are
 * estimates: the bytes of the stored values (collection) and of the entry keys and values
 * (indexes).  Runs under the shared catalog lock; any service thread.
 */
#ifndef MS_STATS_H
#define MS_STATS_H

#include "ops.h"

/* ms_stats_walk -- entries and value bytes of a table (plus key bytes when with_keys), read
 * in the session's running transaction or its own snapshot. */
int ms_stats_walk(WT_SESSION *s, const char *uri, int with_keys, int64_t *count, int64_t *bytes);

/* ms_stats_each -- call fn with the cursor on each entry of a table, in order (validate.c);
 * a non-zero return from fn stops the walk and is returned. */
int ms_stats_each(WT_SESSION *s, const char *uri, int (*fn)(WT_CURSOR *cur, void *arg), void *arg);

int ms_stats_op_stats(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
