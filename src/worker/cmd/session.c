/*
 * src/worker/cmd/session.c -- logical sessions: reporting lsids to the master's session cache
 * ($listLocalSessions), and the commands endSessions, killAllSessions, logout.
 *
 * The dispatcher calls wk_session_note for every command.  A direct-mapped table of
 * SESS_SLOTS entries remembers which lsids this worker has reported and when, so the master
 * hears of a session once per worker (SESSION_NOTE), and again after SESS_REFRESH_MS so that
 * its lastUse stays roughly current; a collision only costs an extra report.  The uid is the
 * unauthenticated one (no authentication yet).  endSessions removes the sessions from the
 * master (SESSION_END) and from this worker's table; killAllSessions and logout validate
 * their arguments as mongod does and have nothing further to release.
 *
 * Invariants: event-loop thread only (the table is this process's, unshared).
 */
#include "session.h"

#include "../../common/storeop.h"
#include "../command.h"
#include "exec.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <time.h>

#define SESS_SLOTS 4096
#define SESS_REFRESH_MS 60000

typedef struct sess_slot {
    uint8_t id[16];
    int64_t reported_ms; /* monotonic; 0 = empty */
} sess_slot_t;

static sess_slot_t sess_seen[SESS_SLOTS];

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
}

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

/* lsid_id -- the 16-byte id of an lsid document's `id` field. */
static const uint8_t *
lsid_id(const bson_iter_t *lsid)
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

    if (!bson_iter_init_find(&it, body, "lsid") || (id = lsid_id(&it)) == NULL)
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

static sess_slot_t *
slot_of(const uint8_t id[16])
{
    uint64_t h;

    memcpy(&h, id + 8, sizeof(h));
    return &sess_seen[h % SESS_SLOTS];
}

void
wk_session_note(const bson_t *body)
{
    bson_t req = BSON_INITIALIZER, reply, arr, one;
    uint8_t uid[WK_SESSION_UID_LEN];
    const uint8_t *id;
    sess_slot_t *slot;
    sdb_error_t err;
    bson_iter_t it;
    int64_t now = mono_ms();

    if (!bson_iter_init_find(&it, body, "lsid") || (id = lsid_id(&it)) == NULL)
        return;
    slot = slot_of(id);
    if (slot->reported_ms != 0 && memcmp(slot->id, id, 16) == 0 &&
        now - slot->reported_ms < SESS_REFRESH_MS)
        return;
    wk_session_uid(NULL, NULL, uid);
    BSON_APPEND_ARRAY_BEGIN(&req, "sessions", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &one);
    BSON_APPEND_BINARY(&one, "id", BSON_SUBTYPE_UUID, id, 16);
    BSON_APPEND_BINARY(&one, "uid", BSON_SUBTYPE_BINARY, uid, sizeof(uid));
    bson_append_document_end(&arr, &one);
    bson_append_array_end(&req, &arr);
    if (wk_cmdu_store(SDB_OP_SESSION_NOTE, &req, &reply, &err) == 0) {
        memcpy(slot->id, id, 16);
        slot->reported_ms = now;
    }
    bson_destroy(&reply);
    bson_destroy(&req);
}

static int
expect_array(wk_cmd_t *cmd)
{
    bson_iter_t it;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_ARRAY(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.%s' is the wrong type, expected type 'array'",
                             cmd->name, cmd->name);
    return 0;
}

/*
 * wk_cmd_end_sessions --
 *     {endSessions: [lsid...]}.
 */
int
wk_cmd_end_sessions(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, arr, one;
    bson_iter_t it, l;
    const uint8_t *id;
    uint32_t n = 0;
    char key[16];
    const char *k;
    int ret = 0;

    SDB_ERR(expect_array(cmd));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &l);
    BSON_APPEND_ARRAY_BEGIN(&req, "sessions", &arr);
    while (bson_iter_next(&l)) {
        sess_slot_t *slot;

        if ((id = lsid_id(&l)) == NULL)
            continue;
        slot = slot_of(id);
        if (memcmp(slot->id, id, 16) == 0)
            slot->reported_ms = 0;
        bson_uint32_to_string(n++, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &one);
        BSON_APPEND_BINARY(&one, "id", BSON_SUBTYPE_UUID, id, 16);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(&req, &arr);
    bson_destroy(&reply);
    if (n > 0)
        SDB_ERR(wk_cmdu_store(SDB_OP_SESSION_END, &req, &reply, &cmd->err));
    else
        bson_init(&reply);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/*
 * wk_cmd_kill_all_sessions --
 *     {killAllSessions: [{user, db}...]}.
 */
int
wk_cmd_kill_all_sessions(wk_cmd_t *cmd)
{
    return expect_array(cmd);
}

/*
 * wk_cmd_logout --
 *     Nothing is authenticated, so nothing to log out of.
 */
int
wk_cmd_logout(wk_cmd_t *cmd)
{
    return 0;
}
