/*
 * src/worker/engine/ttl.h -- TTL index options in mongod 7.0's words.
 *
 * createIndexes: every spec with expireAfterSeconds is checked as mongod's
 * validateIndexSpecTTL does (a number, not NaN, 0 to 2^31 - 1, a single-field key: 67
 * CannotCreateIndex), and an _id index may not carry it (197).  collMod's `index` option:
 * {name | keyPattern, expireAfterSeconds} is checked (IDL types, 72 InvalidOptions, capped
 * collections refused) and resolved to the index's name against the catalog cache; the
 * master checks it again against its own catalog and makes the change (COLL_MOD in
 * storeop.def, master/ttl.h), answering expireAfterSeconds_old and _new.  The rules shared
 * with the master are common/ttl.h's.
 *
 * Contract: event-loop thread; errors go to cmd->err (SDB_ECLIENT).
 */
#ifndef SRC_WORKER_ENGINE_TTL_H
#define SRC_WORKER_ENGINE_TTL_H

#include "../catalog_cache.h"
#include "../command.h"

#include <bson/bson.h>

/* wk_ttl_check_specs -- the TTL options of createIndexes' client specs (cmd->body.indexes,
 * whose shapes the caller has checked). */
int wk_ttl_check_specs(wk_cmd_t *cmd);

/* wk_ttl_check_coll_mod_secs -- collMod's index.expireAfterSeconds (at it) for collection ci:
 * a number (IDL's safeInt64: 14 otherwise), not on a capped collection, 0 to 2^31 - 1 (72);
 * *secs receives it. */
int wk_ttl_check_coll_mod_secs(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *it,
                               int64_t *secs);

#endif
