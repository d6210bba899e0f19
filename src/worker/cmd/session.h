/*
 * src/worker/cmd/session.h -- logical sessions as the worker reports them to the master.
 *
 * Contract: event-loop thread.  wk_session_note may call the store (once per new session);
 * it never fails the command it is called for.  A session's lsid and uid themselves are
 * engine/session.h's.
 */
#ifndef WK_CMD_SESSION_H
#define WK_CMD_SESSION_H

#include "../op.h"

/* wk_session_note -- report the operation's session (its key {id, uid}, op.h) to the
 * master's session cache the first time this worker sees it, and again once its last report
 * is a minute old; nothing when the command names no session. */
void wk_session_note(const wk_op_t *op);

#endif
