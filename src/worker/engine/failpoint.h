/*
 * src/worker/engine/failpoint.h -- the failCommand failpoint as the dispatcher applies it.
 *
 * configureFailPoint (cmd/failpoint.c) stores a failpoint in the master (FAILPOINT_SET); every
 * worker keeps a cached copy of the master's table, refreshed when the global segment's
 * failpoint_version moves.  Around each command the dispatcher calls wk_failpoint_enter
 * (which may sleep, close the connection or fail the command) and then wk_failpoint_leave
 * (which adds the failpoint's writeConcernError and errorLabels; the RetryableWriteError rule
 * is retry.h's).  Event-loop thread, on the request's coroutine.
 */
#ifndef WK_ENGINE_FAILPOINT_H
#define WK_ENGINE_FAILPOINT_H

#include "../command.h"
#include "../conn.h"

#include <bson/bson.h>
#include <stdbool.h>

/* Modes, as numbered in storeop.def (FAILPOINT_SET). */
enum {
    WK_FP_OFF = 0,
    WK_FP_ALWAYS = 1,
    WK_FP_TIMES = 2,
    WK_FP_SKIP = 3,
    WK_FP_PROB = 4
};

/* What failCommand did to one command; filled by enter, released by leave. */
typedef struct wk_fp_hit {
    bool fired;           /* failCommand activated for this command */
    bool closed;          /* the connection was hung up on: the dispatcher sends no reply */
    bson_t *data;         /* owned copy of the failpoint's data while fired, else NULL */
    bool explicit_labels; /* set by leave: the failpoint gave the reply's errorLabels */
} wk_fp_hit_t;

/* wk_failpoint_enter -- before `def` runs: when failCommand fires for this command, sleep
 * blockTimeMS, then hang up (hit->closed) or fail it with errorCode (returns SDB_ECLIENT with
 * cmd->err set).  0 otherwise (run the command).  A refresh failure is returned as is. */
int wk_failpoint_enter(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_fp_hit_t *hit);

/* wk_failpoint_leave -- after the command (ret is its status): add the failpoint's
 * writeConcernError to a successful reply, its errorLabels to the error (replacing the
 * command's labels) or beside a writeConcernError, and release *hit.  Always call it once
 * after wk_failpoint_enter. */
void wk_failpoint_leave(wk_cmd_t *cmd, const wk_cmd_def_t *def, wk_fp_hit_t *hit, int ret);

/* wk_failpoint_getmore -- failGetMoreAfterCursorCheckout, once getMore holds its cursor: when
 * it fires, SDB_ECLIENT with data.errorCode (mongod's test failpoint for change-stream
 * resumption).  0 otherwise. */
int wk_failpoint_getmore(sdb_error_t *err);

/* wk_failpoint_note_client -- at a connection's first hello: remember its
 * client.application.name and whether it is an internal client (for appName and
 * failInternalCommands). */
void wk_failpoint_note_client(wk_conn_t *c, const bson_t *hello);

#endif
