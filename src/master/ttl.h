/*
 * src/master/ttl.h -- the TTL monitor: deletes the documents TTL indexes say have expired.
 *
 * A thread of its own (started and stopped by server.c, like the journal flusher), so a long
 * expiry never holds a service thread or the main loop.  Every ttlMonitorSleepSecs seconds
 * (a runtime-settable parameter, params.h), unless ttlMonitorEnabled is off, it makes one pass
 * over every TTL index and deletes, through the storage operations a worker would send
 * (IXSCAN, DELETE), the documents whose indexed date is older than now - expireAfterSeconds.
 * serverStatus reads its counts in the global segment (metrics.ttl).
 */
#ifndef MS_TTL_H
#define MS_TTL_H

#include "../common/errors.h"
#include "catalog.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* ms_ttl_start -- start the monitor thread (main thread, after the store is open). */
int ms_ttl_start(void);

/* ms_ttl_stop -- stop it and wait for it (main thread, before the store closes); a pass in
 * progress ends after its current batch. */
void ms_ttl_stop(void);

/* ms_ttl_wake -- a parameter of the monitor changed: recompute its wait now.  Any thread. */
void ms_ttl_wake(void);

/* The change collMod's `index: {name, expireAfterSeconds}` makes to c (lock held): which
 * index, its new spec, and the values for the reply. */
typedef struct ms_ttl_mod {
    size_t pos;       /* c->idx[pos] */
    bson_t *spec;     /* its spec with the new expireAfterSeconds (caller destroys) */
    bool had_old;     /* it was a TTL index already ... */
    int64_t old_secs; /* ... expiring after this */
    int64_t new_secs;
} ms_ttl_mod_t;

/* ms_ttl_index_mod_locked -- check that index c->idx[pos] may expire after the value at
 * `secs` (collMod's index.expireAfterSeconds) as mongod 7.0 does (a number; not on a capped
 * collection; 0 to 2^31 - 1; a plain index becoming TTL must not be _id or compound: 72) and
 * build its new spec in *mod; nothing changes yet.  Catalog lock held. */
int ms_ttl_index_mod_locked(const ms_coll_t *c, size_t pos, const bson_iter_t *secs,
                            ms_ttl_mod_t *mod, sdb_error_t *err);

/* ms_ttl_coll_mod_locked -- the same for collMod's request `index` ({name,
 * expireAfterSeconds}: the worker resolved a keyPattern to the name); 27 when the index is
 * gone.  Catalog lock held. */
int ms_ttl_coll_mod_locked(const ms_coll_t *c, const bson_t *index, ms_ttl_mod_t *mod,
                           sdb_error_t *err);

#endif
