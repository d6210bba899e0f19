/*
 * src/worker/engine/capped.h -- capped collection options in mongod's words.
 *
 * create reads {capped, size, max} here: mongod 7.0's IDL types (safeBool, safeInt64), its
 * validators (size in [1, 1 PB], max < 2^31: 51024) and its rules (size required when
 * capped, capped required with size or max: 72 InvalidOptions), and stores the options as
 * mongod's catalog shows them: {capped: true, size: rounded up to a multiple of 256, max}
 * with max <= 0 meaning 2^31 - 1.  convertToCapped and cloneCollectionAsCapped use the same
 * size rule.  The master enforces the limits (master/capped.h).
 *
 * Contract: event-loop thread; errors go to cmd->err (SDB_ECLIENT).
 */
#ifndef SRC_WORKER_ENGINE_CAPPED_H
#define SRC_WORKER_ENGINE_CAPPED_H

#include "../catalog_cache.h"
#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>

/* wk_capped_is_option -- capped, size or max: the fields wk_capped_options reads. */
bool wk_capped_is_option(const char *field);

/* wk_capped_options -- check create's capped, size and max and append the stored form
 * ({capped: true, size, max?} or nothing) to opts. */
int wk_capped_options(wk_cmd_t *cmd, bson_t *opts);

/* wk_capped_is -- whether a catalog entry is a capped collection. */
bool wk_capped_is(const wk_coll_info_t *ci);

/* wk_capped_check_ttl -- 67 CannotCreateIndex when ns is capped and a spec of the array
 * `specs` has expireAfterSeconds (mongod 7.0: no TTL index on a capped collection). */
int wk_capped_check_ttl(wk_cmd_t *cmd, const char *ns, const bson_t *specs);

/* wk_capped_coll_mod -- collMod's cappedSize or cappedMax (it points at it) on collection ci:
 * 72 "Collection must be capped." otherwise; appends the new size or max to `set` adjusted
 * as create adjusts them.  The next insert trims to the new limits, as in mongod. */
int wk_capped_coll_mod(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *it, bson_t *set);

/* wk_capped_refuse_out -- 17152 when $out's target ns is an existing capped collection. */
int wk_capped_refuse_out(const char *ns, sdb_error_t *err);

/* wk_capped_stats -- collStats' capped, max and maxSize (scaled) of ns, appended to out. */
void wk_capped_stats(const char *ns, bson_t *out, int64_t scale);

#endif
