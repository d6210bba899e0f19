/*
 * src/worker/op.h -- the running operation: its time limit and what interrupts it.
 *
 * Every command runs with a wk_op_t (the dispatcher fills cmd->op from the command's
 * `maxTimeMS` and its connection).  Code that evaluates many documents -- the read executor,
 * count, distinct, update and delete scans, the aggregation stages, sorts -- calls
 * wk_op_check at bounded intervals (once per document or per few hundred comparisons).  A
 * check is where the coroutine gives the worker's loop a turn when its time slice is used up
 * (wk_coro_checkpoint), so other connections keep being served, and where the operation
 * stops, as mongod's interrupt points do: 11600 InterruptedAtShutdown once the worker is
 * stopping, 279 ClientDisconnect when its client has gone, 50 MaxTimeMSExpired past its
 * deadline, 237 CursorKilled when killCursors killed the cursor a getMore holds, 11601
 * Interrupted when killSessions killed the operation's session or killOp named it.  The operation travels explicitly (cmd->op, wk_exec_t.op, wk_agg_ctx_t.op); NULL
 * means "no time limit, no client": the check still yields and still stops at shutdown.
 *
 * Contract: event-loop thread only.  A wk_op_t is plain data owned by the command; it holds
 * no resources.  After a check that yielded, anything borrowed from shared worker state (the
 * catalog cache) may have changed, exactly as across a storage call.
 */
#ifndef WK_OP_H
#define WK_OP_H

#include "../common/errors.h"
#include "../common/lsid.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

struct wk_conn;

/* What an operation did, for the profiler and serverStatus (worker/profiler.h): the read
 * executors add to it when they close (engine/exec.h); the dispatcher owns it. */
typedef struct wk_op_stats {
    uint64_t keys_examined;   /* index entries the master looked at */
    uint64_t docs_examined;   /* documents looked at */
    bool blocking_sort;       /* a sort was done in memory (metrics.operation.scanAndOrder) */
    uint64_t write_conflicts; /* writes retried after a WriteConflict (engine/write.c) */
    char plan_summary[128];   /* the last plan that ran: "COLLSCAN", "IXSCAN { a: 1 }", ... */
} wk_op_stats_t;

typedef struct wk_op {
    int64_t deadline_ns;           /* CLOCK_MONOTONIC; 0 = no time limit */
    const struct wk_conn *conn;    /* the client; NULL for none */
    bool in_xact;                  /* a statement of a multi-document transaction (of `lsid`): */
    int64_t xact_n;                /*   and txnNumber (cmd/transaction.h) */
    int64_t cursor_id;             /* the cursor a getMore has checked out, 0 for none: */
    uint64_t kill_seq;             /*   the global kill ring's sequence before it did */
    uint8_t uid[SDB_LSID_UID_LEN]; /* the caller's uid (its user's digest; of "" for nobody) */
    bool has_lsid;                 /* the command names a session (lsid.id): */
    sdb_lsid_t lsid;               /*   its key: lsid.id, and lsid.uid or else `uid` */
    bool kill_watch;               /*   killSessions of it interrupts the operation, */
    uint64_t session_kill_seq;     /*   from the session kill ring's sequence at its start */
    int64_t opid;                  /* its currentOp/killOp id (op_registry.h), 0 when unlisted, */
    uint64_t op_kill_seq;          /*   and the killOp ring's sequence at its start */
    wk_op_stats_t *stats;          /* where its executors count what they examined; NULL: none */
} wk_op_t;

/* wk_op_set_session -- op is run by the user whose digest is uid, in the session `body`
 * names, if any: {lsid.id, lsid.uid}, the uid being the caller's unless the lsid carries one
 * (auth/authz.c has checked that it may).  With kill_watch, killSessions of the session from
 * now on interrupts op with 11601 Interrupted, as mongod kills a killed session's operations. */
void wk_op_set_session(wk_op_t *op, const bson_t *body, const uint8_t uid[SDB_LSID_UID_LEN],
                       bool kill_watch);

/* wk_op_pin_cursor -- op (a getMore) is about to check out cursor id (0: none any more): a
 * killCursors of it from now on interrupts op with 237 CursorKilled, as mongod interrupts the
 * operation holding a killed cursor. */
void wk_op_pin_cursor(wk_op_t *op, int64_t id);

/* wk_op_parse_max_time -- read the generic `maxTimeMS` argument of `body` as mongod does (a
 * number, integral, 0..INT32_MAX; 2 BadValue otherwise): *ms is 0 when absent (no limit). */
int wk_op_parse_max_time(const bson_t *body, int64_t *ms, sdb_error_t *err);

/* wk_op_init -- an operation of `conn` (may be NULL) with a limit of max_time_ms from now
 * (0 = none). */
void wk_op_init(wk_op_t *op, const struct wk_conn *conn, int64_t max_time_ms);

/* wk_op_set_time_limit -- op's limit becomes max_time_ms from now (0 = none); the rest of op
 * (client, transaction, session, pinned cursor) stays. */
void wk_op_set_time_limit(wk_op_t *op, int64_t max_time_ms);

/* wk_op_remaining_ms -- milliseconds left before the deadline (at least 1), 0 without one:
 * what a cursor keeps for its getMores. */
int64_t wk_op_remaining_ms(const wk_op_t *op);

/* wk_op_append_xact -- a storage request made for `op` (may be NULL) names op's transaction:
 * append xact: {id, n} (storeop.def) when op is a transaction's statement. */
void wk_op_append_xact(const wk_op_t *op, bson_t *req);

/* wk_op_check -- an interrupt point (see above; `op` may be NULL): 0 to go on, else
 * SDB_ECLIENT with err set. */
int wk_op_check(const wk_op_t *op, sdb_error_t *err);

/* wk_op_interrupted -- the same checks without giving the loop a turn. */
int wk_op_interrupted(const wk_op_t *op, sdb_error_t *err);

/* wk_op_is_interruption -- a code of mongod's Interruption category: such an error fails the
 * whole command, never one statement of a write (mongod's write path rethrows it). */
bool wk_op_is_interruption(int code);

#endif
