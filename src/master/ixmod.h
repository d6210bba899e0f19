/*
 * src/master/ixmod.h -- collMod's `index` option (hidden, prepareUnique, unique).
 *
 * Called by catalog.c's collMod handler with the exclusive catalog lock held; it changes the
 * index's spec and flags in the catalog cache, the caller persists the row and logs the
 * command.  On error nothing in the cache has changed except what a reply says.
 */
#ifndef MS_IXMOD_H
#define MS_IXMOD_H

#include "catalog.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <wiredtiger.h>

/* ms_ixmod_apply_locked -- apply `req` ({name | keyPattern, hidden, prepareUnique, unique})
 * to c's index; mongod's <option>_old / _new go to `reply`, the changed options (with the
 * index name) to `logged` for the oplog entry, and *changed says whether anything changed.
 * With dry_run only the checks run (unique: the violations).  A unique conversion with
 * duplicates is 359 with `violations` appended to reply. */
int ms_ixmod_apply_locked(WT_SESSION *s, ms_coll_t *c, const bson_t *req, bool dry_run,
                          bson_t *reply, bson_t *logged, bool *changed, sdb_error_t *err);

#endif
