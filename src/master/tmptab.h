/*
 * src/master/tmptab.h -- temporary tables a worker fills and reads back while one operation
 * runs: the spill space of the aggregation stages that block ($sort, $group, ...).
 *
 * TMP_NEW gives the asking channel a table (a spool table, spool.h: record number -> bytes,
 * not logged) under a numeric id; TMP_APPEND adds documents at the next record numbers,
 * TMP_READ hands a range of them back, TMP_DROP ends it.  A table belongs to the channel that
 * made it: another channel's request finds no such table, and the channel's death drops them
 * all (ms_tmptab_channel_died), as DESIGN.md rule 4 asks of spool space.
 *
 * Ownership: the registry is private to tmptab.c, guarded by its own mutex, never held across
 * WiredTiger work.  Handlers run on service threads (ops.h); one table is used by one request
 * at a time (a worker's operation waits for each reply before its next request).
 */
#ifndef MS_TMPTAB_H
#define MS_TMPTAB_H

#include "ops.h"

/* ms_tmptab_op_new -- TMP_NEW {} -> {id: int64}. */
int ms_tmptab_op_new(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_tmptab_op_append -- TMP_APPEND {id, docs: [doc...]} -> {next: int64}. */
int ms_tmptab_op_append(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_tmptab_op_read -- TMP_READ {id, from: int64, n: int32, maxBytes?: int32} -> {docs}. */
int ms_tmptab_op_read(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_tmptab_op_drop -- TMP_DROP {id} -> {}. */
int ms_tmptab_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_tmptab_channel_died -- drop every table of the worker in `slot` (main thread). */
void ms_tmptab_channel_died(int slot);

/* ms_tmptab_count -- tables alive now (tests and serverStatus). */
size_t ms_tmptab_count(void);

#endif
