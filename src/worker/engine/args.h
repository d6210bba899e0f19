/*
 * src/worker/engine/args.h -- checking a command's arguments in mongod's words.
 *
 * The data commands read their fields the way mongod's IDL does: unknown fields are 40415,
 * wrong types 14 with mongod's type names, numbers and booleans read as mongod reads them.
 * The limits arguments are checked against (namespace length, BSON size, batch and sort
 * memory) and the mongod codes that have no codeName yet live here too, as do the helpers
 * that turn an argument into something richer: the namespace, `let` variables, a collation.
 *
 * Invariants: event-loop thread only (wk_cmdu_refresh and wk_cmdu_let_vars may call the
 * store).  Every function returning int returns 0 or SDB_ECLIENT with the error set (in
 * cmd->err or *err), or a negative SDB_E* for internal failures.
 */
#ifndef SRC_WORKER_ENGINE_ARGS_H
#define SRC_WORKER_ENGINE_ARGS_H

#include "../../common/collation.h"
#include "../../common/errors.h"
#include "../../common/sdb.h"
#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define WK_NS_MAX 512                       /* longest "db.collection" we accept */
#define WK_BSON_MAX (16 * 1024 * 1024)      /* BSONObjMaxUserSize */
#define WK_BATCH_MAX_BYTES WK_BSON_MAX      /* a reply batch stops growing at 16 MiB */
#define WK_SORT_MEM_MAX (100 * 1024 * 1024) /* in-memory sort limit without allowDiskUse */

/* mongod codes that have no codeName yet (error_codes.def answers "Location<code>"). */
#define WK_CODE_UNKNOWN_FIELD 40415    /* IDL: "BSON field 'x.y' is an unknown field." */
#define WK_CODE_MISSING_FIELD 40414    /* IDL: "BSON field 'x.y' is missing but ..." */
#define WK_CODE_UPDATE_TOO_LARGE 17419 /* "Resulting document after update is larger..." */
#define WK_CODE_BAD_LIMIT 51024        /* find: "BSON field 'limit' value must be >= 0" */
#define WK_CODE_UNKNOWN_REPL_WC 79     /* UnknownReplWriteConcern */
#define WK_CODE_UNSATISFIABLE_WC 100   /* UnsatisfiableWriteConcern */

/* wk_cmdu_type_name -- mongod's name for a BSON type ("int", "string", "object", ...). */
const char *wk_cmdu_type_name(bson_type_t t);

/* wk_cmdu_is_generic -- true for the generic command arguments every command accepts
 * ($db, lsid, txnNumber, writeConcern, readConcern, comment, maxTimeMS, ...). */
bool wk_cmdu_is_generic(const char *field);

/* wk_cmdu_check_uuid -- with a `collectionUUID` argument, 361 CollectionUUIDMismatch (with
 * mongod's db, collectionUUID, expectedCollection, actualCollection in cmd->err_extra) unless
 * ns exists with that UUID; refreshes the catalog cache. */
int wk_cmdu_check_uuid(wk_cmd_t *cmd, const char *ns);

/* wk_cmdu_check_uuid_field -- wk_cmdu_check_uuid with the UUID in body field `field`
 * (renameCollection's dropTarget: <uuid> names the target's). */
int wk_cmdu_check_uuid_field(wk_cmd_t *cmd, const char *ns, const char *field);

/* wk_cmdu_check_unsupported -- 115 CommandNotSupported "<x> is not supported by this server"
 * for the first field of the NULL-terminated `fields` that the body sets (present and truthy):
 * options mongod knows (sharding internals, Queryable Encryption, time series) that this
 * server refuses rather than accepts and ignores. */
int wk_cmdu_check_unsupported(wk_cmd_t *cmd, const char *const *fields);

/* wk_cmdu_check_timeseries_ns -- wk_cmdu_check_unsupported for isTimeseriesNamespace (what
 * mongos sends a shard for a time-series collection's buckets; time series are refused). */
int wk_cmdu_check_timeseries_ns(wk_cmd_t *cmd);

/* wk_cmdu_check_fields -- 40415 "BSON field '<cmd>.<x>' is an unknown field." for the first
 * body field (after the command name) that is neither generic nor in the NULL-terminated
 * `known` list. */
int wk_cmdu_check_fields(wk_cmd_t *cmd, const char *const *known);

/* wk_cmdu_type_error -- 14 "BSON field '<cmd>.<field>' is the wrong type '<t>', expected
 * type '<expected>'"; returns SDB_ECLIENT. */
int wk_cmdu_type_error(wk_cmd_t *cmd, const char *field, bson_type_t got, const char *expected);

/* wk_cmdu_get_doc -- read the document-valued field `it` points at into a static view of
 * `out` (null -> empty document); 14 TypeMismatch for any other type. */
int wk_cmdu_get_doc(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, bson_t *out);

/* wk_cmdu_get_i64 -- a number (int, long, or integral double) as int64; 14 otherwise. */
int wk_cmdu_get_i64(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, int64_t *out);

/* wk_cmdu_truthy -- mongod's trueValue(): numbers non-zero, bool, everything else true
 * except null/undefined/EOO. */
bool wk_cmdu_truthy(const bson_iter_t *it);

/* wk_cmdu_refresh -- refresh the catalog cache; a failure becomes InternalError in err. */
int wk_cmdu_refresh(sdb_error_t *err);

/* wk_cmdu_append_iter_as -- append the value `it` points at to `b` under `key`. */
void wk_cmdu_append_iter_as(bson_t *b, const char *key, const bson_iter_t *it);

/* wk_cmdu_let_vars -- evaluate the command's `let` document (`let` points at it; 14 unless a
 * document) into *vars, a bson_new() document {name: value} the caller destroys (also on
 * error).  Each expression sees the variables defined before it. */
int wk_cmdu_let_vars(wk_cmd_t *cmd, const bson_iter_t *let, bson_t **vars);

/* wk_cmdu_clock_vars -- give the command's variables (*vars, bson_new()ed when NULL) its fixed
 * $$NOW and $$CLUSTER_TIME, unless they have them: mongod reads both once per command, so
 * every document of a multi-update and every getMore batch of a find see the same values
 * (a cursor keeps its variables).  wk_cmdu_let_vars starts with them. */
void wk_cmdu_clock_vars(bson_t **vars);

/* wk_cmdu_default_collation -- the default collation of collection ns (its create option), for
 * a command that names none: *out NULL when it has none (or is a view or does not exist);
 * its spec is appended to `spec` when not NULL (for a cursor's saved state). */
int wk_cmdu_default_collation(const char *ns, sdb_collation_t **out, bson_t *spec,
                              sdb_error_t *err);

/* wk_cmdu_collation_new -- the collation document `it` points at (option `field`, for the
 * 14 TypeMismatch message) as a collation (*out NULL for "simple"; sdb_collation_free). */
int wk_cmdu_collation_new(const bson_iter_t *it, const char *field, sdb_collation_t **out,
                          sdb_error_t *err);

#endif
