/*
 * src/worker/engine/tablecfg.h -- the shape of a storageEngine option, checked in mongod's words.
 *
 * create's storageEngine, indexOptionDefaults.storageEngine and an index spec's storageEngine
 * are {<engine>: {configString: <string>}} documents; the only engine is "wiredTiger".  This
 * checks their shape as mongod's validateStorageOptions and WiredTiger's parseOptionsField do;
 * the master then has WiredTiger validate the string itself and creates the tables with it
 * (src/master/tablecfg.h).
 *
 * Contract: event-loop thread; stateless; an error is left in *err.
 */
#ifndef WK_TABLECFG_H
#define WK_TABLECFG_H

#include "../../common/errors.h"

#include <bson/bson.h>

/* wk_tablecfg_check -- the storageEngine document `se` (its fields: engines). */
int wk_tablecfg_check(const bson_t *se, sdb_error_t *err);

#endif
