/*
 * src/worker/engine/namespace.h -- the one place a request's names become a namespace.
 *
 * mongod's rules for what a client may name: a database name from `$db`, an OP_QUERY's
 * namespace or a stage's {db, coll} (no `.`, no NUL, at most 63 bytes, none of `/ \ space "`,
 * not empty), and a collection name joined to it (no NUL, not empty, the namespace fits).
 * Names are taken with their BSON lengths, so a NUL inside a string is seen, never cut at.
 * Because a database name can hold no `.`, "db.coll" splits back at its first `.` into
 * exactly the names the client gave: nothing is ever folded into another name.  What a
 * namespace may be created as (`$` in a database name, `system.` collections, the 255-byte
 * limit) is the master's check at creation (src/master/catalog.c).
 *
 * Pure functions; any thread.  Each returns 0 or SDB_ECLIENT with 73 InvalidNamespace in
 * mongod's words in *err.
 */
#ifndef SRC_WORKER_ENGINE_NAMESPACE_H
#define SRC_WORKER_ENGINE_NAMESPACE_H

#include "../../common/errors.h"

#include <stddef.h>

/* wk_ns_db_check -- a database name of `len` bytes (its BSON length) as a request gives it. */
int wk_ns_db_check(const char *db, size_t len, sdb_error_t *err);

/* wk_ns_join -- ns = "db.coll" for a checked db and a collection name of `len` bytes. */
int wk_ns_join(const char *db, const char *coll, size_t len, char *ns, size_t nslen,
               sdb_error_t *err);

/* wk_ns_full_check -- a full "db.coll" namespace of `len` bytes given as one string (e.g.
 * renameCollection's arguments); `which` names it in the message ("source", "target"). */
int wk_ns_full_check(const char *ns, size_t len, const char *which, sdb_error_t *err);

/* wk_ns_write_check -- mongod's userAllowedWriteNS before a user write (insert, update,
 * delete, findAndModify): system.profile and system.views belong to the server. */
int wk_ns_write_check(const char *ns, sdb_error_t *err);

#endif
