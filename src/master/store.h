/*
 * src/master/store.h -- the master's WiredTiger connection and its lifetime.
 *
 * ms_store_open opens (creating if needed) the WiredTiger home at cfg->dbpath (in-memory
 * for ":memory:"), with the log enabled, an explicit cache size and snapshot isolation, and
 * loads the catalog and the oplog position.  Called once from the master's main thread before
 * any service thread starts; ms_store_close runs after every service thread has stopped and
 * leaves a clean checkpoint so the next start needs no recovery.
 */
#ifndef MS_STORE_H
#define MS_STORE_H

#include "../common/config.h"
#include "../common/errors.h"
#include "../common/global.h"

#include <wiredtiger.h>

/* ms_store_open -- open WiredTiger and the catalog; publishes into g (catalog version, oplog
 * head). Returns 0 or an error already logged. */
int ms_store_open(const sdb_config_t *cfg, sdb_global_t *g);

/* ms_store_session_open -- a new WT_SESSION (snapshot isolation) for one service thread. */
int ms_store_session_open(WT_SESSION **s);

/* ms_store_close -- checkpoint and close the connection. */
int ms_store_close(void);

/* Accessors for the storage modules (valid between open and close). */
WT_CONNECTION *ms_store_conn(void);
sdb_global_t *ms_store_global(void);
int ms_store_in_memory(void);

/* ms_store_house_session -- the housekeeping session owned by the master's main thread (used
 * by open, ms_ops_tick and ms_ops_channel_died only; never by a service thread). */
WT_SESSION *ms_store_house_session(void);

/* ms_store_bump_catalog -- publish a new catalog version (after every catalog change). */
void ms_store_bump_catalog(void);

/* ms_store_write_conflict -- set mongod's WriteConflict (112) error: what a WiredTiger
 * conflict (WT_ROLLBACK) or an uncommitted transaction in the way answers. */
int ms_store_write_conflict(sdb_error_t *err);

/* ms_store_wt_error -- log a WiredTiger failure (op names the call) and return ret. */
int ms_store_wt_error(int ret, const char *op);

/* ms_store_batch_begin -- start one transaction for a batch of writes to a private table (a
 * spool or a temporary table, log off) so they commit once, not once each; *began false when
 * the session already runs one (the writes then join it).  ms_store_batch_end commits it, or
 * rolls it back when ret is not 0, and returns the first error. */
int ms_store_batch_begin(WT_SESSION *s, bool *began);
int ms_store_batch_end(WT_SESSION *s, bool began, int ret);

#endif
