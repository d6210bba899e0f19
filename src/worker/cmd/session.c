/*
 * src/worker/cmd/session.c -- logical sessions: reporting lsids to the master's session cache
 * ($listLocalSessions), and the commands startSession, refreshSessions, endSessions,
 * killSessions, killAllSessions, killAllSessionsByPattern (logout is cmd/auth.c's).
 *
 * The dispatcher calls wk_session_note for every command.  A direct-mapped table of
 * SESS_SLOTS entries remembers which lsids this worker has reported and when, so the master
 * hears of a session once per worker (SESSION_NOTE), and again after refresh_ms() so that
 * its lastUse stays roughly current; a collision only costs an extra report.  A session is
 * keyed by its id and its user's uid (common/lsid.h; the operation's key, op.h), so
 * endSessions, refreshSessions and killSessions reach only the caller's own sessions, as
 * mongod's makeLogicalSessionId makes them.  startSession and refreshSessions record
 * sessions (SESSION_NOTE); endSessions forgets them (SESSION_END) and killSessions,
 * killAllSessions and killAllSessionsByPattern kill them (SESSION_KILL): either way the
 * master kills their cursors and aborts their open transactions.  A cursor remembers its
 * session (wk_session_append_lsid on CURSOR_NEW and CURSOR_GET); the lsid and uid helpers
 * are engine/session.c's, since reads and aggregation use them too.
 * refreshLogicalSessionCacheNow (a test command) makes the master write its cache to
 * config.system.sessions at once (SESSION_PERSIST) instead of at its periodic refresh.
 *
 * Invariants: event-loop thread only (the table is this process's, unshared).
 */
#include "session.h"

#include "../../common/storeop.h"
#include "../command.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/session.h"
#include "../worker.h"

#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#define SESS_SLOTS 4096
#define SESS_REFRESH_MS 60000

typedef struct sess_slot {
    sdb_lsid_t key;
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

static sess_slot_t *
slot_of(const sdb_lsid_t *key)
{
    return &sess_seen[sdb_lsid_hash(key) % SESS_SLOTS];
}

/* refresh_ms -- how old a report may get: SESS_REFRESH_MS, or a quarter of a shorter
 * logicalSessionTimeoutMinutes, so a session in use never expires. */
static int64_t
refresh_ms(void)
{
    int64_t quarter = wk_cfg->session_timeout_min * 60000 / 4;

    return quarter > 0 && quarter < SESS_REFRESH_MS ? quarter : SESS_REFRESH_MS;
}

void
wk_session_note(const wk_op_t *op)
{
    bson_t req = BSON_INITIALIZER, reply, arr;
    sess_slot_t *slot;
    sdb_error_t err;
    int64_t now = mono_ms();

    if (!op->has_lsid)
        return;
    slot = slot_of(&op->lsid);
    if (slot->reported_ms != 0 && sdb_lsid_eq(&slot->key, &op->lsid) &&
        now - slot->reported_ms < refresh_ms())
        return;
    BSON_APPEND_ARRAY_BEGIN(&req, "sessions", &arr);
    sdb_lsid_append(&arr, "0", &op->lsid);
    bson_append_array_end(&req, &arr);
    if (wk_cmdu_store(SDB_OP_SESSION_NOTE, &req, &reply, &err) == 0) {
        slot->key = op->lsid;
        slot->reported_ms = now;
    }
    bson_destroy(&reply);
    bson_destroy(&req);
}

/* array_len -- elements of the command's first field (an array, expect_array). */
static uint32_t
array_len(const wk_cmd_t *cmd)
{
    bson_iter_t it, l;
    uint32_t n = 0;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &l);
    while (bson_iter_next(&l))
        n++;
    return n;
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

/* lsid_list -- append the command's array of lsids ({id: UUID}) to req as an array `key` of
 * session keys {id, uid}, uid the caller's (mongod's makeLogicalSessionId: a user names only
 * its own sessions); *n receives how many.  Elements that are not an lsid are skipped.
 * forget: this worker reports the sessions again when it next sees them. */
static void
lsid_list(wk_cmd_t *cmd, bson_t *req, const char *key, bool forget, uint32_t *n)
{
    bson_iter_t it, l;
    const uint8_t *id;
    sdb_lsid_t sk;
    bson_t arr;
    char kb[16];
    const char *k;

    *n = 0;
    memcpy(sk.uid, cmd->op.uid, sizeof(sk.uid));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &l);
    bson_append_array_begin(req, key, -1, &arr);
    while (bson_iter_next(&l)) {
        sess_slot_t *slot;

        if ((id = wk_session_lsid_id(&l)) == NULL)
            continue;
        memcpy(sk.id, id, sizeof(sk.id));
        slot = slot_of(&sk);
        if (forget && sdb_lsid_eq(&slot->key, &sk))
            slot->reported_ms = 0;
        bson_uint32_to_string((*n)++, &k, kb, sizeof(kb));
        sdb_lsid_append(&arr, k, &sk);
    }
    bson_append_array_end(req, &arr);
}

/* store_if -- send op unless `skip` (nothing to do). */
static int
store_if(wk_cmd_t *cmd, bool skip, int op, const bson_t *req)
{
    bson_t reply;
    int ret;

    if (skip)
        return 0;
    ret = wk_cmdu_store(op, req, &reply, &cmd->err);
    bson_destroy(&reply);
    return ret;
}

/* lsid_op -- the command's lsids as SESSION_NOTE / SESSION_END {sessions} (lsid_list). */
static int
lsid_op(wk_cmd_t *cmd, int op, bool forget)
{
    bson_t req = BSON_INITIALIZER;
    uint32_t n;
    int ret = 0;

    SDB_ERR(expect_array(cmd));
    lsid_list(cmd, &req, "sessions", forget, &n);
    SDB_ERR(store_if(cmd, n == 0, op, &req));
err:
    bson_destroy(&req);
    return ret;
}

/*
 * wk_cmd_end_sessions --
 *     {endSessions: [lsid...]}: forget them, with their cursors and open transactions.
 */
int
wk_cmd_end_sessions(wk_cmd_t *cmd)
{
    return lsid_op(cmd, SDB_OP_SESSION_END, true);
}

/*
 * wk_cmd_refresh_sessions --
 *     {refreshSessions: [lsid...]}: record them, or move their lastUse to now.
 */
int
wk_cmd_refresh_sessions(wk_cmd_t *cmd)
{
    return lsid_op(cmd, SDB_OP_SESSION_NOTE, false);
}

/*
 * wk_cmd_start_session --
 *     {startSession: 1} -> {id: {id: UUID}, timeoutMinutes}: a new session in the cache.
 */
int
wk_cmd_start_session(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, arr, lsid;
    uint8_t *id;
    sdb_lsid_t sk;
    int ret = 0;

    id = sk.id;
    if (RAND_bytes(id, sizeof(sk.id)) != 1)
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InternalError, "no random bytes for a session"));
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* a version 4 UUID, as mongod's */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    memcpy(sk.uid, cmd->op.uid, sizeof(sk.uid)); /* the caller's session */
    BSON_APPEND_ARRAY_BEGIN(&req, "sessions", &arr);
    sdb_lsid_append(&arr, "0", &sk);
    bson_append_array_end(&req, &arr);
    SDB_ERR(store_if(cmd, false, SDB_OP_SESSION_NOTE, &req));
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "id", &lsid);
    BSON_APPEND_BINARY(&lsid, "id", BSON_SUBTYPE_UUID, id, sizeof(sk.id));
    bson_append_document_end(cmd->reply, &lsid);
    BSON_APPEND_INT32(cmd->reply, "timeoutMinutes", (int32_t)wk_cfg->session_timeout_min);
err:
    bson_destroy(&req);
    return ret;
}

/*
 * wk_cmd_kill_sessions --
 *     {killSessions: [lsid...]}: kill the caller's sessions of those ids (their cursors, their
 *     open transactions); [] kills every session of the caller under --auth, every session
 *     without.  They stay listed, as in mongod.
 */
int
wk_cmd_kill_sessions(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, uids;
    uint32_t n;
    int ret = 0;

    SDB_ERR(expect_array(cmd));
    lsid_list(cmd, &req, "ids", false, &n);
    if (n == 0 && array_len(cmd) == 0 && wk_cfg->auth) { /* the authenticated user's */
        BSON_APPEND_ARRAY_BEGIN(&req, "uids", &uids);
        bson_append_binary(&uids, "0", 1, BSON_SUBTYPE_BINARY, cmd->op.uid, WK_SESSION_UID_LEN);
        bson_append_array_end(&req, &uids);
    } else if (n == 0 && array_len(cmd) == 0) {
        BSON_APPEND_BOOL(&req, "all", true);
    }
    SDB_ERR(store_if(cmd, n == 0 && array_len(cmd) > 0, SDB_OP_SESSION_KILL, &req));
err:
    bson_destroy(&req);
    return ret;
}

/* user_uid -- the uid of a {user, db} document (40414 / 14 as mongod's IDL). */
static int
user_uid(wk_cmd_t *cmd, const char *what, const bson_iter_t *el, uint8_t uid[WK_SESSION_UID_LEN])
{
    const char *user = NULL, *db = NULL;
    bson_iter_t f;

    if (!BSON_ITER_HOLDS_DOCUMENT(el))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s' is the wrong type '%s', expected type 'object'", what,
                             wk_cmdu_type_name(bson_iter_type(el)));
    bson_iter_recurse(el, &f);
    while (bson_iter_next(&f)) {
        if (!BSON_ITER_HOLDS_UTF8(&f))
            return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                                 "BSON field '%s.%s' is the wrong type '%s', expected type "
                                 "'string'",
                                 what, bson_iter_key(&f), wk_cmdu_type_name(bson_iter_type(&f)));
        if (strcmp(bson_iter_key(&f), "user") == 0)
            user = bson_iter_utf8(&f, NULL);
        else if (strcmp(bson_iter_key(&f), "db") == 0)
            db = bson_iter_utf8(&f, NULL);
    }
    if (user == NULL || db == NULL)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field '%s.%s' is missing but a required field", what,
                             user == NULL ? "user" : "db");
    wk_session_uid(user, db, uid);
    return 0;
}

/* append_uid -- one more binary to the uids array under construction. */
static void
append_uid(bson_t *uids, uint32_t *n, const uint8_t uid[WK_SESSION_UID_LEN])
{
    char kb[16];
    const char *k;

    bson_uint32_to_string((*n)++, &k, kb, sizeof(kb));
    bson_append_binary(uids, k, -1, BSON_SUBTYPE_BINARY, uid, WK_SESSION_UID_LEN);
}

/*
 * wk_cmd_kill_all_sessions --
 *     {killAllSessions: [{user, db}...]}: kill those users' sessions; [] kills every one.
 */
int
wk_cmd_kill_all_sessions(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, uids;
    uint8_t uid[WK_SESSION_UID_LEN];
    bson_iter_t it, l;
    uint32_t n = 0;
    int ret = 0;

    SDB_ERR(expect_array(cmd));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &l);
    BSON_APPEND_ARRAY_BEGIN(&req, "uids", &uids);
    while (bson_iter_next(&l)) {
        if ((ret = user_uid(cmd, "KillAllSessionsUser", &l, uid)) != 0)
            break;
        append_uid(&uids, &n, uid);
    }
    bson_append_array_end(&req, &uids);
    SDB_ERR(ret);
    if (n == 0)
        BSON_APPEND_BOOL(&req, "all", true);
    SDB_ERR(store_if(cmd, false, SDB_OP_SESSION_KILL, &req));
err:
    bson_destroy(&req);
    return ret;
}

/* pattern -- one killAllSessionsByPattern element into ids / uids; *any: it matches every
 * session ({}).  A pattern naming only roles matches nothing: no session has a role here. */
static int
pattern(wk_cmd_t *cmd, const bson_iter_t *el, bson_t *ids, uint32_t *ni, bson_t *uids, uint32_t *nu,
        bool *any)
{
    uint8_t uid[WK_SESSION_UID_LEN];
    bson_iter_t f, u;
    bool empty = true;

    if (!BSON_ITER_HOLDS_DOCUMENT(el))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field 'KillAllSessionsByPattern' is the wrong type '%s', "
                             "expected type 'object'",
                             wk_cmdu_type_name(bson_iter_type(el)));
    bson_iter_recurse(el, &f);
    while (bson_iter_next(&f)) {
        const char *k = bson_iter_key(&f);
        const uint8_t *id;

        empty = false;
        if (strcmp(k, "lsid") == 0 && (id = wk_session_lsid_id(&f)) != NULL) {
            char kb[16];
            const char *key;
            sdb_lsid_t sk;

            memcpy(sk.id, id, sizeof(sk.id)); /* {id, uid}: uid the caller's unless given */
            if (!sdb_lsid_from_iter(&f, &sk))
                memcpy(sk.uid, cmd->op.uid, sizeof(sk.uid));
            bson_uint32_to_string((*ni)++, &key, kb, sizeof(kb));
            sdb_lsid_append(ids, key, &sk);
        } else if (strcmp(k, "uid") == 0 && BSON_ITER_HOLDS_BINARY(&f)) {
            bson_subtype_t st;
            uint32_t len;

            bson_iter_binary(&f, &st, &len, &id);
            if (len == WK_SESSION_UID_LEN)
                append_uid(uids, nu, id);
        } else if (strcmp(k, "users") == 0 && BSON_ITER_HOLDS_ARRAY(&f)) {
            bson_iter_recurse(&f, &u);
            while (bson_iter_next(&u)) {
                SDB_RET(user_uid(cmd, "KillAllSessionsUser", &u, uid));
                append_uid(uids, nu, uid);
            }
        } else if (strcmp(k, "roles") != 0) {
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'KillAllSessionsByPattern.%s' is an unknown field.",
                                 k);
        }
    }
    *any = *any || empty;
    return 0;
}

/*
 * wk_cmd_kill_all_sessions_by_pattern --
 *     {killAllSessionsByPattern: [{lsid?, uid?, users?, roles?}...]}: kill the sessions any
 *     pattern matches; [] or a pattern {} kills every one.
 */
int
wk_cmd_kill_all_sessions_by_pattern(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, ids = BSON_INITIALIZER, uids = BSON_INITIALIZER;
    uint32_t ni = 0, nu = 0;
    bson_iter_t it, l;
    bool any = false;
    int ret = 0;

    SDB_ERR(expect_array(cmd));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &l);
    while (bson_iter_next(&l))
        SDB_ERR(pattern(cmd, &l, &ids, &ni, &uids, &nu, &any));
    if (any || array_len(cmd) == 0)
        BSON_APPEND_BOOL(&req, "all", true);
    BSON_APPEND_ARRAY(&req, "ids", &ids);
    BSON_APPEND_ARRAY(&req, "uids", &uids);
    SDB_ERR(store_if(cmd, false, SDB_OP_SESSION_KILL, &req));
err:
    bson_destroy(&req);
    bson_destroy(&ids);
    bson_destroy(&uids);
    return ret;
}

/*
 * wk_cmd_refresh_logical_session_cache_now --
 *     Write the session cache to config.system.sessions now (the periodic refresh).
 */
int
wk_cmd_refresh_logical_session_cache_now(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER;
    int ret = store_if(cmd, false, SDB_OP_SESSION_PERSIST, &req);

    bson_destroy(&req);
    return ret;
}
