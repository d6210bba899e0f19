/*
 * src/common/ttl.h -- what a TTL index is: mongod 7.0's rules for expireAfterSeconds.
 *
 * The worker applies them when it checks createIndexes and collMod; the master applies them
 * again when it changes an index (COLL_MOD) and when its TTL monitor picks the indexes it
 * deletes by (master/ttl.c).  One definition, so the two sides cannot drift apart.
 * Pure functions; any thread, either process.
 */
#ifndef SDB_TTL_H
#define SDB_TTL_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define SDB_TTL_FIELD "expireAfterSeconds"

/* sdb_ttl_check_secs -- NULL when a secondary TTL index may expire after `secs` seconds
 * (0 to 2^31 - 1), else mongod's reason. */
const char *sdb_ttl_check_secs(int64_t secs);

/* sdb_ttl_check_key -- NULL when key pattern `key` may carry a TTL, else mongod's reason
 * (compound patterns). */
const char *sdb_ttl_check_key(const bson_t *key);

/* sdb_ttl_spec_secs -- whether the TTL monitor deletes by index `spec` ({key, name,
 * expireAfterSeconds, ...}): a valid expireAfterSeconds on a single-field ascending or
 * descending (btree) key other than _id.  *secs receives it. */
bool sdb_ttl_spec_secs(const bson_t *spec, int64_t *secs);

/* sdb_ttl_clustered_secs -- whether the TTL monitor deletes by the clustered _id index
 * `spec` (a clustered collection created with expireAfterSeconds: the id index carries it, as
 * mongod's listIndexes shows it).  *secs receives it. */
bool sdb_ttl_clustered_secs(const bson_t *spec, int64_t *secs);

#endif
