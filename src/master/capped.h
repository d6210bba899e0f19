/*
 * src/master/capped.h -- capped collections: the size and document limits of a collection
 * created with {capped: true, size, max}, enforced at insert time.
 *
 * A capped collection's ms_coll_t carries an ms_capped_t (catalog.c attaches it when the
 * options say capped).  Every write to such a collection (insert, update, delete) runs under
 * the collection's capped mutex, as mongod serializes writes to a capped collection, so the
 * committed data size and record count kept here are exact.  An insert removes the oldest
 * records (lowest record ids: insertion order) in its own transaction until the collection
 * holds at most `size` bytes and `max` documents, never the record just inserted; each
 * removal is a "d" oplog entry after the insert's "i" entry, as mongod 7.0 writes capped
 * deletes on a primary.
 *
 * Contract: functions taking an ms_coll_t expect the catalog lock held (either mode, see
 * catalog.h); ms_capped_lock/unlock nest inside it and are no-ops for other collections.
 * The capped counters are read and written only with the capped mutex held.
 */
#ifndef MS_CAPPED_H
#define MS_CAPPED_H

#include "../common/errors.h"
#include "oplog.h"

#include <bson/bson.h>
#include <pthread.h>
#include <stdint.h>
#include <wiredtiger.h>

struct ms_coll;

typedef struct ms_capped {
    int64_t max_size;   /* options.size (bytes, rounded as mongod does) */
    int64_t max_docs;   /* options.max; 0 = no document limit */
    pthread_mutex_t mu; /* serializes writes to the collection */
    int64_t bytes;      /* committed data size (sum of BSON sizes); mu held */
    int64_t count;      /* committed record count; mu held */
    int64_t oldest;     /* no live record id is below it (trims start here); mu held */
} ms_capped_t;

/* ms_capped_attach -- give c its ms_capped_t when c->options say capped (else NULL); with a
 * session, count the records already stored (catalog load).  When c already has one (collMod
 * changed the options; exclusive catalog lock held) only the limits change. */
int ms_capped_attach(WT_SESSION *s, struct ms_coll *c);

/* ms_capped_free -- release what ms_capped_attach made (NULL is fine). */
void ms_capped_free(ms_capped_t *cp);

/* ms_capped_lock / ms_capped_unlock -- take and release c's capped mutex (no-op when c is not
 * capped); held across a write's retries. */
void ms_capped_lock(const struct ms_coll *c);
void ms_capped_unlock(const struct ms_coll *c);

/* ms_capped_check_insert -- BadValue when doc alone is larger than the collection's size. */
int ms_capped_check_insert(const struct ms_coll *c, const bson_t *doc, sdb_error_t *err);

/* ms_capped_commit_insert -- inside the running transaction that inserted record rid (len
 * bytes): remove the oldest records until both limits hold, then commit with the insert's
 * oplog entry `e` followed by one delete entry per removed record (ms_oplog_commit_n), and
 * account for it.  On failure the transaction is rolled back (WT_ROLLBACK may be retried). */
int ms_capped_commit_insert(WT_SESSION *s, const struct ms_coll *c, int64_t rid, int64_t len,
                            const ms_oplog_entry_t *e, sdb_error_t *err);

/* ms_capped_committed -- account for a committed update or delete of a capped collection
 * (dbytes: size change; dcount: -1 for a delete).  Capped mutex held. */
void ms_capped_committed(const struct ms_coll *c, int64_t dbytes, int64_t dcount);

#endif
