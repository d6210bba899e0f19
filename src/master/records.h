/*
 * src/master/records.h -- record writes and collection scans (INSERT, UPDATE, DELETE, SCAN).
 *
 * Each document write is one WiredTiger transaction holding the record, every index entry
 * (indexes.c) and the oplog entry (oplog.c), taken under the shared catalog lock.  A write
 * conflict (WT_ROLLBACK) is retried internally MS_WRITE_RETRIES times; UPDATE and DELETE
 * compare the stored bytes with the request's `old` and answer 112 WriteConflict when they
 * differ, so the worker re-reads and re-applies.  Handlers may run concurrently on any
 * service thread.
 */
#ifndef MS_RECORDS_H
#define MS_RECORDS_H

#include "catalog.h"
#include "ops.h"

#define MS_WRITE_RETRIES 8
#define MS_BATCH_BYTES_DEFAULT (8 * 1024 * 1024)

/* ms_records_capped_in_xact -- 263: a transaction may not write to capped collection c. */
int ms_records_capped_in_xact(const ms_coll_t *c, sdb_error_t *err);

/* ms_records_append_doc -- append {r, d} as element `i` of a reply's docs array. */
void ms_records_append_doc(bson_t *arr, uint32_t i, int64_t rid, const void *data, size_t len);

int ms_records_op_insert(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_records_op_update(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_records_op_delete(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
/* ms_records_begin_read -- begin the WiredTiger transaction of a SCAN or IXSCAN: at the
 * request's `readTs` (a BSON Timestamp: a snapshot read, readConcern "snapshot") when present,
 * else at the latest committed data.  A readTs older than ms_oplog_oldest() (the history
 * window) is 239 SnapshotTooOld, and nothing is begun. */
int ms_records_begin_read(WT_SESSION *s, const bson_t *req, sdb_error_t *err);

int ms_records_op_scan(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
