/*
 * src/worker/cmd/cmd_util.h -- helpers shared by the data commands (insert, find, update, ...).
 *
 * Three groups of helpers live here:
 *  - argument checking in mongod's words: unknown fields (40415), wrong types (14), numbers
 *    and booleans read the way mongod's IDL reads them;
 *  - the read executor (wk_exec_t): it plans a read of one namespace -- an _id index lookup
 *    (IXSCAN on "_id_") when the filter pins _id to equality/$in values, a collection scan
 *    (SCAN in growing batches) otherwise -- applies the matcher and yields matching documents
 *    with their record ids.  Its position can be saved into a cursor state document and
 *    restored by any worker (wk_exec_save / wk_exec_restore);
 *  - write plumbing: write concern, writeErrors entries, re-reading one record, opcounters.
 *
 * Invariants: event-loop thread only (these call wk_store_call).  A document yielded by
 * wk_exec_next is a read-only view that stays valid until the next wk_exec_next,
 * wk_exec_unget-then-next, or wk_exec_close; copy it to keep it.  Every function returning int
 * returns 0 or SDB_ECLIENT with *err set (or a negative SDB_E* for internal failures).
 */
#ifndef SRC_WORKER_CMD_CMD_UTIL_H
#define SRC_WORKER_CMD_CMD_UTIL_H

#include "../../common/errors.h"
#include "../../common/sdb.h"
#include "../command.h"
#include "../query/matcher.h"
#include "../update/update.h"

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

/* ---- argument checking ----------------------------------------------------------------- */

/* wk_cmdu_type_name -- mongod's name for a BSON type ("int", "string", "object", ...). */
const char *wk_cmdu_type_name(bson_type_t t);

/* wk_cmdu_is_generic -- true for the generic command arguments every command accepts
 * ($db, lsid, txnNumber, writeConcern, readConcern, comment, maxTimeMS, ...). */
bool wk_cmdu_is_generic(const char *field);

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

/* ---- the read executor ----------------------------------------------------------------- */

/* wk_cmdu_store -- wk_store_call with *reply always initialized (destroy it in every case). */
int wk_cmdu_store(int op, const bson_t *req, bson_t *reply, sdb_error_t *err);

enum {
    WK_EXEC_EMPTY = 0,
    WK_EXEC_SCAN = 1,
    WK_EXEC_IX = 2
};

typedef struct wk_exec_item {
    int64_t r;           /* record id */
    const uint8_t *data; /* the document's bytes inside the current store reply */
    uint32_t len;
} wk_exec_item_t; /* no bson_t inside: heap arrays of it stay properly aligned */

typedef struct wk_exec {
    char ns[WK_NS_MAX];
    wk_matcher_t *matcher; /* owned */
    int mode;              /* WK_EXEC_* */
    bson_t ids;            /* IX: the _id values to look up, sorted, de-duplicated */
    bool has_after;        /* SCAN: resume after record id `after` */
    int64_t after;
    bool has_last_id;     /* IX: resume after _id value last_id */
    bson_value_t last_id; /* owned copy */
    bson_t reply;         /* the current store reply (items point into it) */
    bool has_reply;
    wk_exec_item_t *items;
    size_t nitems, cap, idx; /* idx: next item to examine */
    bool eof;                /* the store has nothing after the current reply */
    uint32_t fetch_limit;    /* SCAN batch size; grows up to WK_EXEC_FETCH_MAX */
    uint64_t docs_examined;
} wk_exec_t;

/* wk_exec_init -- make `ex` an empty, closed executor (wk_exec_close is then safe). */
void wk_exec_init(wk_exec_t *ex);

/* wk_exec_open -- plan a read of ns with `filter` (NULL = everything).  Parses the filter
 * (its errors come back in err).  The catalog is refreshed here.  `ex` must be initialized or
 * closed; after a failure it still needs wk_exec_close. */
int wk_exec_open(wk_exec_t *ex, const char *ns, const bson_t *filter, sdb_error_t *err);

/* wk_exec_open_ex -- the same with the command's let variables and collation (opts may be
 * NULL; the collation must outlive the executor).  A collation turns off the _id lookup. */
int wk_exec_open_ex(wk_exec_t *ex, const char *ns, const bson_t *filter,
                    const wk_match_opts_t *opts, sdb_error_t *err);

/* wk_exec_next -- the next matching document: *found false at the end.  `details` may be
 * NULL.  `doc` becomes a static view (see the header invariants). */
int wk_exec_next(wk_exec_t *ex, bson_t *doc, int64_t *r, wk_match_details_t *details, bool *found,
                 sdb_error_t *err);

/* wk_exec_unget -- push back the document the last wk_exec_next returned (it will be
 * returned again; its view stays valid). */
void wk_exec_unget(wk_exec_t *ex);

/* wk_exec_save -- append the executor's position as a sub-document {mode, after?, lastId?}
 * named `key` to `state`. */
void wk_exec_save(const wk_exec_t *ex, bson_t *state, const char *key);

/* wk_exec_restore -- open (as wk_exec_open) and move to a position saved by wk_exec_save. */
int wk_exec_restore(wk_exec_t *ex, const char *ns, const bson_t *filter, const bson_t *pos,
                    sdb_error_t *err);

/* wk_exec_restore_ex -- wk_exec_restore with options, as wk_exec_open_ex. */
int wk_exec_restore_ex(wk_exec_t *ex, const char *ns, const bson_t *filter,
                       const wk_match_opts_t *opts, const bson_t *pos, sdb_error_t *err);

/* wk_exec_close -- release everything; leaves `ex` as wk_exec_init does (idempotent). */
void wk_exec_close(wk_exec_t *ex);

/* wk_cmdu_read_record -- re-read record r of ns into *out (a copy, initialized when *found);
 * used after a WriteConflict. */
int wk_cmdu_read_record(const char *ns, int64_t r, bson_t *out, bool *found, sdb_error_t *err);

/* ---- writes ---------------------------------------------------------------------------- */

typedef struct wk_write_concern {
    bool journal; /* j: true or w: "majority": FLUSH after the writes */
    int64_t w;    /* a numeric w (1 when absent or a string) */
    char tag[64]; /* a w naming a tag set other than "majority" ("" when none) */
} wk_write_concern_t;

/* wk_cmdu_write_concern -- parse the writeConcern field of the command (absent is fine). */
int wk_cmdu_write_concern(wk_cmd_t *cmd, wk_write_concern_t *wc);

/* wk_cmdu_write_concern_finish -- after the writes: FLUSH when the concern asks for it; a
 * concern a one-member set cannot satisfy (w > 1, an unknown tag) adds the writeConcernError
 * mongod reports (100 UnsatisfiableWriteConcern, 79 UnknownReplWriteConcern). */
int wk_cmdu_write_concern_finish(wk_cmd_t *cmd, const wk_write_concern_t *wc);

/* wk_cmdu_write_error -- append {index, code, errmsg[, errInfo|keyPattern, keyValue]} to the
 * writeErrors array being built in `arr` (element `nerr`); `detail` (may be NULL) is the
 * store's error body, from which keyPattern and keyValue are copied. */
void wk_cmdu_write_error(bson_t *arr, uint32_t nerr, int32_t index, const sdb_error_t *e,
                         const bson_t *detail);

/* wk_cmdu_ensure_id -- copy `doc` into `out` with _id first, adding an ObjectId when it has
 * none; mongod's checks on _id (no arrays, regexes, undefined, $-prefixed sub-fields) and on
 * size.  `out` is always initialized. */
int wk_cmdu_ensure_id(const bson_t *doc, bson_t *out, sdb_error_t *err);

/* A collection validator (options.validator) as it applies to one write command. */
typedef struct wk_validator {
    wk_matcher_t *m;     /* NULL: nothing to check (none, validationLevel off, or bypassed) */
    bool moderate;       /* validationLevel "moderate": updates of invalid documents pass */
    bool warn;           /* validationAction "warn": log instead of rejecting */
    const uint8_t *spec; /* the validator's bytes (catalog cache) when m is set */
    uint32_t spec_len;
} wk_validator_t;

/* wk_cmdu_validator_load -- the validator of ns unless `bypass` (bypassDocumentValidation). */
int wk_cmdu_validator_load(wk_cmd_t *cmd, const char *ns, bool bypass, wk_validator_t *v);

/* wk_cmdu_validate -- 121 DocumentValidationFailure unless `doc` passes; `old` is the
 * document an update replaces (NULL for an insert). */
int wk_cmdu_validate(const wk_validator_t *v, const bson_t *old, const bson_t *doc,
                     sdb_error_t *err);

/* wk_cmdu_validator_free -- release what wk_cmdu_validator_load built. */
void wk_cmdu_validator_free(wk_validator_t *v);

/* wk_cmdu_check_batch -- 16 InvalidLength unless 1 <= n <= 100000 write statements. */
int wk_cmdu_check_batch(wk_cmd_t *cmd, uint32_t n);

/* wk_cmdu_update_one -- apply `u` to record r (checking the result against validator `v`, which
 * may be NULL) (current bytes `doc`, matched with `details`)
 * and write it with compare-and-swap: on WriteConflict the record is re-read, re-matched
 * against `m` and the update re-applied.  *matched and *modified say what happened (both false
 * when the record vanished or stopped matching); `after` (may be NULL) receives a copy of the
 * document as written (or as found, when unchanged), `before` (may be NULL) the document the
 * update was applied to.  On a store error `detail` (may be NULL) receives its body.  before,
 * after and detail, when given, are initialized empty documents that get appended to. */
int wk_cmdu_update_one(const char *ns, const wk_validator_t *v, const wk_matcher_t *m,
                       const wk_update_t *u, int64_t r, const bson_t *doc,
                       const wk_match_details_t *details, bool *matched, bool *modified,
                       bson_t *before, bson_t *after, bson_t *detail, sdb_error_t *err);

/* wk_cmdu_upsert -- insert the document an upsert builds from filter `q` and update `u`;
 * `out` (always initialized) receives it; `detail` as for wk_cmdu_update_one. */
int wk_cmdu_upsert(const char *ns, const wk_validator_t *v, const bson_t *q, const wk_update_t *u,
                   bson_t *out, bson_t *detail, sdb_error_t *err);

/* wk_cmdu_delete_one -- delete record r if it still holds `doc`; on WriteConflict re-read
 * and re-match against `m`.  *deleted tells whether it went; `old` (may be NULL) receives a
 * copy of the deleted document. */
int wk_cmdu_delete_one(const char *ns, const wk_matcher_t *m, int64_t r, const bson_t *doc,
                       bool *deleted, bson_t *old, sdb_error_t *err);

/* wk_cmdu_let_vars -- evaluate the command's `let` document (`let` points at it; 14 unless a
 * document) into *vars, a bson_new() document {name: value} the caller destroys (also on
 * error).  Each expression sees the variables defined before it. */
int wk_cmdu_let_vars(wk_cmd_t *cmd, const bson_iter_t *let, bson_t **vars);

/* wk_cmdu_collation_new -- the collation document `it` points at (option `field`, for the
 * 14 TypeMismatch message) as a collation (*out NULL for "simple"; wk_collation_free). */
int wk_cmdu_collation_new(const bson_iter_t *it, const char *field, wk_collation_t **out,
                          sdb_error_t *err);

/* ---- opcounters ------------------------------------------------------------------------ */

enum {
    WK_OPC_INSERT,
    WK_OPC_QUERY,
    WK_OPC_UPDATE,
    WK_OPC_DELETE,
    WK_OPC_GETMORE
};

/* wk_cmdu_opcount -- add n to this worker's opcounter `which` (WK_OPC_*). */
void wk_cmdu_opcount(int which, uint64_t n);

/* wk_cmdu_append_iter_as -- append the value `it` points at to `b` under `key`. */
void wk_cmdu_append_iter_as(bson_t *b, const char *key, const bson_iter_t *it);

#endif
