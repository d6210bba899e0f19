/*
 * src/master/ixbuild.h -- index builds over existing data, off the channel and the lock.
 *
 * CREATE_INDEXES on an existing collection (outside a transaction) registers each new index
 * as building (ms_coll_t.bld) under the exclusive catalog lock, parks its request
 * (service.h) and hands the build to the bounded pool (ixpool.h); the service thread goes
 * on serving its channel.  While an index builds, every writer logs its entry changes (insert or remove
 * of one WiredTiger entry) to the index's side-writes table, in the writer's transaction; the
 * build scans the collection in snapshot batches under the shared lock, writing entries
 * directly, then, under the exclusive lock, replays the side table in order over them,
 * checks uniqueness, and publishes the index (catalog row, oplog entry, catalog version).
 * Contract: the functions run on a service thread under the exclusive lock
 * (ms_ixbuild_start), on a writer's thread under the shared lock (ms_ixbuild_side_put), or
 * on the main thread at shutdown (ms_ixbuild_stop); ms_ixbuild_abort_ns on a service thread
 * with or without the catalog lock.  A failed build leaves no table, no
 * catalog row and no oplog entry.
 */
#ifndef MS_IXBUILD_H
#define MS_IXBUILD_H

#include "../common/keyenc.h"
#include "catalog.h"
#include "ops.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <wiredtiger.h>

/* ms_ixbuild_start -- exclusive lock held: register the n specs (checked, new) of
 * CREATE_INDEXES `req` (whose opid and killSeq say what killOp names: storeop.def) as indexes
 * building on c and start their build; the request is answered when it ends.  SDB_EAGAIN
 * (nothing done) when the request cannot be parked: then build it in place. */
int ms_ixbuild_start(ms_ctx_t *ctx, const bson_t *req, ms_coll_t *c, const bson_t *specs, size_t n,
                     sdb_error_t *err);

/* ms_ixbuild_building -- the index named `name` that c builds, or NULL (lock held). */
const ms_index_t *ms_ixbuild_building(const ms_coll_t *c, const char *name);

/* ms_ixbuild_side_put -- log one entry change (remove or insert of entry key k, value v, of
 * record rid) on `side`, an append cursor on a side-writes table; rec is scratch space. */
int ms_ixbuild_side_put(WT_CURSOR *side, sdb_keybuf_t *rec, int remove, int64_t rid,
                        const WT_ITEM *k, const WT_ITEM *v);

/* ms_ixbuild_abort_locked -- exclusive lock held: abort every build on c of the index named
 * `name` (NULL: every build on c), as mongod's dropIndexes does: each leaves c->bld now and
 * its createIndexes fails with IndexBuildAborted and `msg`.  Returns how many. */
int ms_ixbuild_abort_locked(ms_coll_t *c, const char *name, const char *msg);

/* ms_ixbuild_abort_ns -- abort every build on collection ns (whole_db: on every collection of
 * database ns) with IndexBuildAborted and `msg`: a drop that follows removes the indexes. */
void ms_ixbuild_abort_ns(const char *ns, bool whole_db, const char *msg);

/* ms_ixbuild_stop -- interrupt every running build (InterruptedAtShutdown) and wait for it
 * to end; main thread, before the store closes. */
void ms_ixbuild_stop(void);

#endif
