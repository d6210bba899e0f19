/*
 * src/master/indexes.h -- index entries, index builds and index scans.
 *
 * The master derives every index entry itself from the stored document and the index key
 * pattern (sdb_keyenc_keys), never from the worker.  Entry layout in `table:index-<n>`:
 *   non-unique: key = encoded key bytes + encoded record id, value = cover tag;
 *   unique:     key = encoded key bytes,                      value = cover tag + record id,
 * where the cover tag (ixcover.h; empty in entries written before it existed) says how to
 * rebuild the document's exact key values without reading it; so a unique violation is WiredTiger's duplicate-key answer to an overwrite=false insert.
 * Entry writers run inside the caller's transaction and under the shared catalog lock.
 */
#ifndef MS_INDEXES_H
#define MS_INDEXES_H

#include "catalog.h"
#include "ops.h"

#include <bson/bson.h>
#include <stdint.h>
#include <wiredtiger.h>

/* ms_indexes_insert_doc -- add every index entry of doc (record rid) in the running
 * transaction.  A unique violation returns SDB_ECLIENT with err = 11000 DuplicateKey in
 * mongod's wording and appends keyPattern and keyValue to `info` (may be NULL). */
int ms_indexes_insert_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid,
                          bson_t *info, sdb_error_t *err);

/* ms_indexes_update_doc -- ms_indexes_insert_doc for the new image of an updated document
 * whose old image's entries were just removed: a prepareUnique index then checks for
 * duplicates only the keys the old image did not have (an unchanged key is left alone). */
int ms_indexes_update_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *old, const bson_t *doc,
                          int64_t rid, bson_t *info, sdb_error_t *err);

/* ms_indexes_remove_doc -- remove every index entry of doc (record rid). */
int ms_indexes_remove_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid,
                          sdb_error_t *err);

/* ms_indexes_build_doc -- add doc's entries to ix itself, also while ix builds (ixbuild.c). */
int ms_indexes_build_doc(WT_SESSION *s, const ms_coll_t *c, const ms_index_t *ix, const bson_t *doc,
                         int64_t rid, bson_t *info, sdb_error_t *err);

/* ms_indexes_dup_error -- the 11000 error for encoded key `key` of ix (keyPattern and keyValue
 * appended to info, may be NULL). */
int ms_indexes_dup_error(const ms_coll_t *c, const ms_index_t *ix, const uint8_t *key, size_t len,
                         bson_t *info, sdb_error_t *err);

/* ms_indexes_entry_fn -- receives one index entry, key and value exactly as stored (valid
 * only during the call); a non-zero return stops the walk and is returned. */
typedef int (*ms_indexes_entry_fn)(const WT_ITEM *key, const WT_ITEM *value, void *arg);

/* ms_indexes_doc_entries -- hand fn every entry doc (record rid) has in index ix (none when a
 * sparse or partial index skips it), writing nothing: validate (validate.h) compares them with
 * the index table.  Needs no transaction. */
int ms_indexes_doc_entries(const ms_index_t *ix, const bson_t *doc, int64_t rid,
                           ms_indexes_entry_fn fn, void *arg, sdb_error_t *err);

/* ms_indexes_table_size -- bytes WiredTiger reports for a table (0 if unknown). */
int64_t ms_indexes_table_size(WT_SESSION *s, const char *uri);

/* Operation handlers (storeop.def). */
int ms_indexes_op_create(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_indexes_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_indexes_op_ixscan(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
