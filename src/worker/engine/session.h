/*
 * src/worker/engine/session.h -- a request's logical session: its lsid and its user's uid.
 *
 * Contract: pure functions of their arguments, any thread; nothing is allocated.  The session
 * commands and the reports to the master's session cache are in cmd/session.h.
 */
#ifndef WK_ENGINE_SESSION_H
#define WK_ENGINE_SESSION_H

#include "../../common/lsid.h"
#include "../op.h"

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

#define WK_SESSION_UID_LEN SDB_LSID_UID_LEN /* SHA-256 */

/* wk_session_lsid_id -- the 16-byte id of an lsid document's `id` field (an iterator on the
 * lsid), or NULL when it is not {id: <16-byte binary>}. */
const uint8_t *wk_session_lsid_id(const bson_iter_t *lsid);

/* wk_session_append_lsid -- append the operation's session key as `lsid` ({id, uid}) to a
 * storage request (CURSOR_NEW, CURSOR_GET: a cursor belongs to its session); nothing when the
 * command has no lsid.  Returns whether it appended. */
bool wk_session_append_lsid(const wk_op_t *op, bson_t *req);

/* wk_session_lsid_string -- mongod's display of a session, "<id> - <uid base64> -  - ", into
 * buf. */
void wk_session_lsid_string(const sdb_lsid_t *key, char *buf, size_t len);

/* wk_session_uid -- mongod's uid of a user: SHA-256 of "user@db"; with user NULL the uid of
 * an unauthenticated client, SHA-256 of the empty string. */
void wk_session_uid(const char *user, const char *db, uint8_t out[WK_SESSION_UID_LEN]);

#endif
