/*
 * src/master/wtstats.h -- WT_STATS (storeop.def): WiredTiger's connection statistics for
 * serverStatus.wiredTiger.
 *
 * Any service thread; read-only (a statistics cursor on the service session).
 */
#ifndef MS_WTSTATS_H
#define MS_WTSTATS_H

#include "ops.h"

/* ms_wtstats_op -- WT_STATS {} -> {<category>: {<description>: int64}}: every connection
 * statistic, grouped as mongod's serverStatus groups them ("cache: pages read into cache" is
 * cache["pages read into cache"]). */
int ms_wtstats_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
