/*
 * src/worker/cmd/session.h -- logical sessions as the worker reports them to the master.
 *
 * Contract: event-loop thread.  wk_session_note may call the store (once per new session);
 * it never fails the command it is called for.
 */
#ifndef WK_CMD_SESSION_H
#define WK_CMD_SESSION_H

#include <bson/bson.h>
#include <stdint.h>

#define WK_SESSION_UID_LEN 32 /* SHA-256 */

/* wk_session_note -- report the command's lsid ({id: UUID}) to the master's session cache
 * the first time this worker sees it, and again once its last report is a minute old. */
void wk_session_note(const bson_t *body);

/* wk_session_append_lsid -- append the command's session id as `lsid` (binary 16 bytes) to a
 * storage request (CURSOR_NEW, CURSOR_GET: a cursor belongs to its session); nothing when the
 * command has no lsid.  Returns whether it appended. */
bool wk_session_append_lsid(const bson_t *body, bson_t *req);

/* wk_session_lsid_string -- mongod's display of a session, "<id> - <uid base64> -  - ", of a
 * 16-byte id and this server's (unauthenticated) uid, into buf. */
void wk_session_lsid_string(const uint8_t id[16], char *buf, size_t len);

/* wk_session_uid -- mongod's uid of a user: SHA-256 of "user@db"; with user NULL the uid of
 * an unauthenticated client, SHA-256 of the empty string. */
void wk_session_uid(const char *user, const char *db, uint8_t out[WK_SESSION_UID_LEN]);

#endif
