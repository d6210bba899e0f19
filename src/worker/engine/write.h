/*
 * src/worker/engine/write.h -- write plumbing shared by the write commands.
 *
 * Write concern (parsed before the writes, honoured after them), writeErrors entries in
 * mongod's shape, _id checks for new documents, collection validators, and the
 * compare-and-swap helpers that update, delete or upsert one record: the store replaces a
 * record only if it still holds the bytes the worker read, and on WriteConflict the helper
 * re-reads, re-matches and retries.
 *
 * Invariants: event-loop thread only (these call wk_store_call).  Every function returning
 * int returns 0 or SDB_ECLIENT with the error set (or a negative SDB_E* for internal
 * failures); output documents are initialized even on error, as each comment says.
 */
#ifndef SRC_WORKER_ENGINE_WRITE_H
#define SRC_WORKER_ENGINE_WRITE_H

#include "../../common/errors.h"
#include "../command.h"
#include "../query/matcher.h"
#include "../update/update.h"
#include "args.h"
#include "retry.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

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
 * none; mongod's checks on nesting depth (15 Overflow, insert words), on _id (no arrays,
 * regexes, undefined, $-prefixed sub-fields) and on size.  `out` is always initialized. */
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

/* wk_cmdu_validator_load_ns -- the same for a caller without a command (the writing stages
 * $out and $merge), its error in *err. */
int wk_cmdu_validator_load_ns(const char *ns, bool bypass, wk_validator_t *v, sdb_error_t *err);

/* wk_cmdu_validate -- 121 DocumentValidationFailure unless `doc` passes; `old` is the
 * document an update replaces (NULL for an insert). */
int wk_cmdu_validate(const wk_validator_t *v, const bson_t *old, const bson_t *doc,
                     sdb_error_t *err);

/* wk_cmdu_validator_free -- release what wk_cmdu_validator_load built. */
void wk_cmdu_validator_free(wk_validator_t *v);

/* wk_cmdu_check_batch -- 16 InvalidLength unless 1 <= n <= 100000 write statements. */
int wk_cmdu_check_batch(wk_cmd_t *cmd, uint32_t n);

/* wk_cmdu_conflict_pause -- the n-th wait (n >= 1) of a write outside a transaction whose
 * document a transaction holds (its WriteConflict persists): sleep a little longer each time,
 * then stop with the operation's interrupt error (maxTimeMS, client, shutdown) if any. */
int wk_cmdu_conflict_pause(const wk_op_t *op, int n, sdb_error_t *err);

/* The writes below run for operation `op` (op.h; may be NULL): inside a transaction they join it
 * and a WriteConflict is returned at once (the transaction is aborted), never retried. */

/* wk_cmdu_update_one -- apply `u` to record r (checking the result against validator `v`, which
 * may be NULL) (current bytes `doc`, matched with `details`)
 * and write it with compare-and-swap: on WriteConflict the record is re-read, re-matched
 * against `m` and the update re-applied.  `stmt` (may be NULL) is the retryable statement the
 * write belongs to (retry.h): when it had already run nothing is written, stmt->done is set
 * and *matched is false.  *matched and *modified say what happened (both false
 * when the record vanished or stopped matching); `after` (may be NULL) receives a copy of the
 * document as written (or as found, when unchanged), `before` (may be NULL) the document the
 * update was applied to.  On a store error `detail` (may be NULL) receives its body.  before,
 * after and detail, when given, are initialized empty documents that get appended to. */
int wk_cmdu_update_one(const wk_op_t *op, const char *ns, const wk_validator_t *v,
                       const wk_matcher_t *m, const wk_update_t *u, int64_t r, const bson_t *doc,
                       const wk_match_details_t *details, wk_stmt_t *stmt, bool *matched,
                       bool *modified, bson_t *before, bson_t *after, bson_t *detail,
                       sdb_error_t *err);

/* wk_cmdu_upsert -- insert the document an upsert builds from filter `q` and update `u`;
 * `out` (always initialized) receives it; `stmt` and `detail` as for wk_cmdu_update_one. */
int wk_cmdu_upsert(const wk_op_t *op, const char *ns, const wk_validator_t *v, const bson_t *q,
                   const wk_update_t *u, wk_stmt_t *stmt, bson_t *out, bson_t *detail,
                   sdb_error_t *err);

/* wk_cmdu_delete_one -- delete record r if it still holds `doc`; on WriteConflict re-read
 * and re-match against `m`.  *deleted tells whether it went; `old` (may be NULL) receives a
 * copy of the deleted document; `stmt` as for wk_cmdu_update_one (*deleted false when done). */
int wk_cmdu_delete_one(const wk_op_t *op, const char *ns, const wk_matcher_t *m, int64_t r,
                       const bson_t *doc, wk_stmt_t *stmt, bool *deleted, bson_t *old,
                       sdb_error_t *err);

#endif
