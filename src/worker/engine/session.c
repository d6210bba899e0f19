/*
 * src/worker/engine/session.c -- a request's logical session as reads and writes name it.
 *
 * An lsid is {id: UUID[, uid]}; a session is keyed by the id and its user's uid (the
 * operation's, op.h); a cursor belongs to its session, so the requests that make or continue
 * one (CURSOR_NEW, CURSOR_GET) carry both (wk_session_append_lsid).  A
 * user's uid is mongod's SHA-256 of "user@db" (of "" while nothing is authenticated).  The
 * session commands and the reports to the master's session cache are cmd/session.c's.
 *
 * Invariants: pure functions of their arguments; any thread.
 */
#include "session.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

void
wk_session_uid(const char *user, const char *db, uint8_t out[WK_SESSION_UID_LEN])
{
    char buf[512] = "";
    int n = 0;

    if (user != NULL)
        n = snprintf(buf, sizeof(buf), "%s@%s", user, db != NULL ? db : "");
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = 0;
    SHA256((const unsigned char *)buf, (size_t)n, out);
}

const uint8_t *
wk_session_lsid_id(const bson_iter_t *lsid)
{
    bson_iter_t it;
    bson_subtype_t st;
    const uint8_t *data;
    uint32_t len;

    if (!BSON_ITER_HOLDS_DOCUMENT(lsid) || !bson_iter_recurse(lsid, &it) ||
        !bson_iter_find(&it, "id") || !BSON_ITER_HOLDS_BINARY(&it))
        return NULL;
    bson_iter_binary(&it, &st, &len, &data);
    return len == 16 ? data : NULL;
}

bool
wk_session_append_lsid(const wk_op_t *op, bson_t *req)
{
    if (op == NULL || !op->has_lsid)
        return false;
    sdb_lsid_append(req, "lsid", &op->lsid);
    return true;
}

void
wk_session_lsid_string(const sdb_lsid_t *key, char *buf, size_t len)
{
    const uint8_t *id = key->id;
    unsigned char b64[4 * ((WK_SESSION_UID_LEN + 2) / 3) + 1];

    EVP_EncodeBlock(b64, key->uid, WK_SESSION_UID_LEN);
    snprintf(buf, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x - %s -  - ",
             id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10], id[11],
             id[12], id[13], id[14], id[15], (const char *)b64);
}
