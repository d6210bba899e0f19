/*
 * src/worker/engine/session.c -- a request's logical session as reads and writes name it.
 *
 * An lsid is {id: UUID}; a cursor belongs to its session, so the requests that make or
 * continue one (CURSOR_NEW, CURSOR_GET) carry the 16-byte id (wk_session_append_lsid).  A
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
wk_session_append_lsid(const bson_t *body, bson_t *req)
{
    const uint8_t *id;
    bson_iter_t it;

    if (!bson_iter_init_find(&it, body, "lsid") || (id = wk_session_lsid_id(&it)) == NULL)
        return false;
    BSON_APPEND_BINARY(req, "lsid", BSON_SUBTYPE_UUID, id, 16);
    return true;
}

void
wk_session_lsid_string(const uint8_t id[16], char *buf, size_t len)
{
    uint8_t uid[WK_SESSION_UID_LEN];
    unsigned char b64[4 * ((WK_SESSION_UID_LEN + 2) / 3) + 1];

    wk_session_uid(NULL, NULL, uid);
    EVP_EncodeBlock(b64, uid, WK_SESSION_UID_LEN);
    snprintf(buf, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x - %s -  - ",
             id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10], id[11],
             id[12], id[13], id[14], id[15], (const char *)b64);
}
