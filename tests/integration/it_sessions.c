/*
 * tests/integration/it_sessions.c -- logical sessions against the real server (libmongoc).
 *
 * The session commands and their reply shapes and errors (startSession, refreshSessions,
 * endSessions, killSessions, killAllSessions, killAllSessionsByPattern), a session's end or
 * kill taking its cursors with it (and a kill interrupting its running operation), the binding of a cursor to the session that created it
 * (mongod's 50736/50737/50738 on getMore), afterClusterTime waiting for the oplog, and
 * config.system.sessions / $listSessions after the session cache's refresh.  The
 * expiry rule itself (logicalSessionTimeoutMinutes) is checked in tests/unit/check_store.c,
 * where the clock can be moved; here the timeout the server reports follows the parameter.
 */
#include "harness.h"

#include <time.h>

#define DB "sess"

#define LSID_JSON(b64) "{'id': {'$binary': {'base64': '" b64 "', 'subType': '04'}}}"
#define LSID_X LSID_JSON("q83vEjRWSJCrze8SNFZ4kA==")
#define LSID_Y LSID_JSON("ESIzRFVmR4iZqrvM3e7/AA==")

/* raw_cmd -- a command over a raw connection, so that no driver adds an lsid. */
static void
raw_cmd(const char *json, bson_t *reply)
{
    int fd = rw_connect(it_srv.host, it_srv.port);
    bson_t *cmd = fx_json(json);

    ck_assert_int_ge(fd, 0);
    if (!bson_has_field(cmd, "$db"))
        BSON_APPEND_UTF8(cmd, "$db", DB);
    ck_assert_int_eq(rw_roundtrip(fd, cmd, reply), 1);
    bson_destroy(cmd);
    close(fd);
}

/* seed_find -- 20 documents in coll, then a find (batch 2) in `lsid` (JSON or NULL: none,
 * over a raw connection); returns the cursor id. */
static int64_t
seed_find(mongoc_client_t *c, const char *coll, const char *lsid)
{
    char json[512];
    bson_t r;
    int64_t id;

    for (int i = 0; i < 20; i++) {
        snprintf(json, sizeof(json), "{'insert': '%s', 'documents': [{'_id': %d}]}", coll, i);
        CMD_OK(c, DB, json, &r);
        bson_destroy(&r);
    }
    if (lsid != NULL) {
        snprintf(json, sizeof(json), "{'find': '%s', 'batchSize': 2, 'lsid': %s}", coll, lsid);
        CMD_OK(c, DB, json, &r);
    } else {
        snprintf(json, sizeof(json), "{'find': '%s', 'batchSize': 2}", coll);
        raw_cmd(json, &r);
    }
    id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(&r));
    bson_destroy(&r);
    return id;
}

/* get_more -- getMore of id in `lsid` (JSON) through c; the reply stays in r. */
static bool
get_more(mongoc_client_t *c, int64_t id, const char *coll, const char *lsid, bson_t *r)
{
    char json[512];
    bson_error_t e;

    snprintf(json, sizeof(json),
             "{'getMore': {'$numberLong': '%lld'}, 'collection': '%s', 'batchSize': 2, "
             "'lsid': %s}",
             (long long)id, coll, lsid);
    return fx_cmd(c, DB, json, r, &e);
}

static void
assert_cursor_gone(mongoc_client_t *c, int64_t id, const char *coll, const char *lsid)
{
    bson_t r;

    ck_assert_msg(!get_more(c, id, coll, lsid, &r), "cursor still alive: %s", fx_to_json(&r));
    ASSERT_INT(&r, "code", 43);
    ASSERT_STR(&r, "codeName", "CursorNotFound");
    bson_destroy(&r);
}

static void
assert_cursor_alive(mongoc_client_t *c, int64_t id, const char *coll, const char *lsid)
{
    bson_t r;

    ck_assert_msg(get_more(c, id, coll, lsid, &r), "cursor gone: %s", fx_to_json(&r));
    bson_destroy(&r);
}

START_TEST(test_start_and_refresh)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "admin", "{'startSession': 1}", &r);
    ASSERT_TYPE(&r, "id.id", BSON_TYPE_BINARY);
    ASSERT_INT(&r, "timeoutMinutes", 30);
    const bson_value_t *v = NULL;
    bson_iter_t it;
    ck_assert(bson_iter_init(&it, &r) && bson_iter_find_descendant(&it, "id.id", &it));
    v = bson_iter_value(&it);
    ck_assert_int_eq(v->value.v_binary.subtype, BSON_SUBTYPE_UUID);
    ck_assert_int_eq(v->value.v_binary.data_len, 16);
    bson_t *match = bson_new();
    BSON_APPEND_VALUE(match, "_id.id", v);
    char *mj = bson_as_relaxed_extended_json(match, NULL);
    char json[512];
    snprintf(json, sizeof(json),
             "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {}}, {'$match': %s}], "
             "'cursor': {}}",
             mj);
    bson_free(mj);
    bson_destroy(match);
    bson_destroy(&r);
    CMD_OK(c, "admin", json, &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.lastUse", BSON_TYPE_DATE_TIME);
    ASSERT_TYPE(&r, "cursor.firstBatch.0._id.uid", BSON_TYPE_BINARY);
    bson_destroy(&r);

    CMD_OK(c, "admin", "{'refreshSessions': [" LSID_Y "]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {}}, {'$match': {'_id.id': "
           "{'$binary': {'base64': 'ESIzRFVmR4iZqrvM3e7/AA==', 'subType': '04'}}}}], "
           "'cursor': {}}",
           &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.lastUse", BSON_TYPE_DATE_TIME);
    bson_destroy(&r);

    CMD_ERR(c, "admin", "{'refreshSessions': 1}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'killSessions': {}}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'killAllSessions': [{'user': 'u'}]}", &r, 40414, "Location40414");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'killAllSessionsByPattern': [{'bogus': 1}]}", &r, 40415, "Location40415");
    bson_destroy(&r);
    /* hello reports the timeout sessions expire after */
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    ASSERT_INT(&r, "logicalSessionTimeoutMinutes", 30);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_end_and_kill_take_cursors)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    /* endSessions: the cursor dies with its session */
    int64_t id = seed_find(c, "e", LSID_X);
    assert_cursor_alive(c, id, "e", LSID_X);
    CMD_OK(c, "admin", "{'endSessions': [" LSID_X "]}", &r);
    bson_destroy(&r);
    assert_cursor_gone(c, id, "e", LSID_X);

    /* killSessions of another session leaves it; of its own kills it; still listed */
    id = seed_find(c, "k", LSID_X);
    CMD_OK(c, "admin", "{'killSessions': [" LSID_Y "]}", &r);
    bson_destroy(&r);
    assert_cursor_alive(c, id, "k", LSID_X);
    CMD_OK(c, "admin", "{'killSessions': [" LSID_X "]}", &r);
    bson_destroy(&r);
    assert_cursor_gone(c, id, "k", LSID_X);
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {}}, {'$match': {'_id.id': "
           "{'$binary': {'base64': 'q83vEjRWSJCrze8SNFZ4kA==', 'subType': '04'}}}}], "
           "'cursor': {}}",
           &r);
    ck_assert_msg(fx_has(&r, "cursor.firstBatch.0"), "killed session not listed: %s",
                  fx_to_json(&r));
    bson_destroy(&r);

    /* killAllSessions for another user leaves it; [] kills every session's cursors */
    id = seed_find(c, "a", LSID_X);
    CMD_OK(c, "admin", "{'killAllSessions': [{'user': 'nobody', 'db': 'admin'}]}", &r);
    bson_destroy(&r);
    assert_cursor_alive(c, id, "a", LSID_X);
    CMD_OK(c, "admin", "{'killAllSessions': []}", &r);
    bson_destroy(&r);
    assert_cursor_gone(c, id, "a", LSID_X);

    /* killAllSessionsByPattern: roles match no session here; an lsid or the uid does */
    id = seed_find(c, "p", LSID_X);
    CMD_OK(c, "admin", "{'killAllSessionsByPattern': [{'roles': [{'role': 'r', 'db': 'admin'}]}]}",
           &r);
    bson_destroy(&r);
    assert_cursor_alive(c, id, "p", LSID_X);
    CMD_OK(c, "admin", "{'killAllSessionsByPattern': [{'lsid': " LSID_X "}]}", &r);
    bson_destroy(&r);
    assert_cursor_gone(c, id, "p", LSID_X);
    id = seed_find(c, "u", LSID_X);
    CMD_OK(c, "admin",
           "{'killAllSessionsByPattern': [{'uid': {'$binary': {'base64': "
           "'47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'subType': '00'}}}]}",
           &r);
    bson_destroy(&r);
    assert_cursor_gone(c, id, "u", LSID_X);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_cursor_session_binding)
{
    mongoc_client_t *c = IT_CLIENT();
    char json[512];
    bson_t r;

    /* created in X: Y may not continue it, nor a command without an lsid */
    int64_t id = seed_find(c, "b", LSID_X);
    ck_assert(!get_more(c, id, "b", LSID_Y, &r));
    ASSERT_INT(&r, "code", 50738);
    ASSERT_STR(&r, "codeName", "Location50738");
    snprintf(json, sizeof(json),
             "Cannot run getMore on cursor %lld, which was created in session "
             "abcdef12-3456-4890-abcd-ef1234567890 - 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= "
             "-  - , in session 11223344-5566-4788-99aa-bbccddeeff00 - "
             "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= -  - ",
             (long long)id);
    ASSERT_STR(&r, "errmsg", json);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'getMore': {'$numberLong': '%lld'}, 'collection': 'b'}",
             (long long)id);
    raw_cmd(json, &r);
    ASSERT_INT(&r, "code", 50737);
    ASSERT_STR(&r, "codeName", "Location50737");
    bson_destroy(&r);
    /* the refusals did not disturb it: its own session continues it */
    assert_cursor_alive(c, id, "b", LSID_X);

    /* created without a session: a getMore in one is refused, one without continues */
    id = seed_find(c, "n", NULL);
    ck_assert(!get_more(c, id, "n", LSID_X, &r));
    ASSERT_INT(&r, "code", 50736);
    ASSERT_STR(&r, "codeName", "Location50736");
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'getMore': {'$numberLong': '%lld'}, 'collection': 'n'}",
             (long long)id);
    raw_cmd(json, &r);
    ASSERT_INT(&r, "ok", 1);
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 18);
    bson_destroy(&r);

    /* killCursors is not bound to the session (as in mongod): another session may kill it */
    id = seed_find(c, "kc", LSID_X);
    snprintf(json, sizeof(json),
             "{'killCursors': 'kc', 'cursors': [{'$numberLong': '%lld'}], 'lsid': " LSID_Y "}",
             (long long)id);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursorsKilled.0", id);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* list_sessions -- $listSessions over config.system.sessions (options JSON), matching X. */
static int
listed_x(mongoc_client_t *c, const char *opts)
{
    char json[512];
    bson_t r;
    int n;

    snprintf(json, sizeof(json),
             "{'aggregate': 'system.sessions', 'pipeline': [{'$listSessions': %s}, {'$match': "
             "{'_id.id': {'$binary': {'base64': 'q83vEjRWSJCrze8SNFZ4kA==', 'subType': '04'}}}}], "
             "'cursor': {}}",
             opts);
    CMD_OK(c, "config", json, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    if (n > 0) {
        ASSERT_TYPE(&r, "cursor.firstBatch.0.lastUse", BSON_TYPE_DATE_TIME);
        ASSERT_TYPE(&r, "cursor.firstBatch.0._id.uid", BSON_TYPE_BINARY);
    }
    bson_destroy(&r);
    return n;
}

START_TEST(test_list_sessions)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB, "{'ping': 1, 'lsid': " LSID_X "}", &r);
    bson_destroy(&r);
    /* the periodic refresh writes the cache to config.system.sessions; forced here */
    CMD_OK(c, "admin", "{'refreshLogicalSessionCacheNow': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(listed_x(c, "{}"), 1);
    ck_assert_int_eq(listed_x(c, "{'allUsers': true}"), 1);
    ck_assert_int_eq(listed_x(c, "{'users': [{'user': 'other', 'db': 'admin'}]}"), 0);
    CMD_OK(c, "config", "{'count': 'system.sessions', 'query': {'lastUse': {'$gt': {'$date': 0}}}}",
           &r);
    ck_assert_int_ge(fx_int(&r, "n"), 1);
    bson_destroy(&r);
    CMD_OK(c, "config", "{'listIndexes': 'system.sessions'}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.1.name", "lsidTTLIndex");
    ASSERT_INT(&r, "cursor.firstBatch.1.key.lastUse", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1.expireAfterSeconds", 1800);
    bson_destroy(&r);
    /* an ended session leaves the collection at the next refresh */
    CMD_OK(c, "admin", "{'endSessions': [" LSID_X "]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'refreshLogicalSessionCacheNow': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(listed_x(c, "{'allUsers': true}"), 0);
    /* only on config.system.sessions */
    CMD_ERR(c, DB, "{'aggregate': 'x', 'pipeline': [{'$listSessions': {}}], 'cursor': {}}", &r, 73,
            "InvalidNamespace");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* after_cluster_time -- a find with readConcern {afterClusterTime: ts} on a raw connection,
 * sent without waiting for its reply; returns the fd. */
/* send_after -- a find with afterClusterTime {t, i} (and maxTimeMS, and session lsid when
 * not NULL) on a raw connection, not waiting for the reply; returns the socket. */
static int
send_after(uint32_t t, uint32_t i, int max_ms, const char *lsid)
{
    int fd = rw_connect(it_srv.host, it_srv.port);
    bson_t cmd = BSON_INITIALIZER, rc, ct;
    uint32_t len;

    ck_assert_int_ge(fd, 0);
    BSON_APPEND_UTF8(&cmd, "find", "act");
    BSON_APPEND_DOCUMENT_BEGIN(&cmd, "readConcern", &rc);
    BSON_APPEND_TIMESTAMP(&rc, "afterClusterTime", t, i);
    bson_append_document_end(&cmd, &rc);
    BSON_APPEND_DOCUMENT_BEGIN(&cmd, "$clusterTime", &ct); /* gossip: the time is known */
    BSON_APPEND_TIMESTAMP(&ct, "clusterTime", t, i);
    bson_append_document_end(&cmd, &ct);
    if (max_ms > 0)
        BSON_APPEND_INT32(&cmd, "maxTimeMS", max_ms);
    if (lsid != NULL) {
        bson_t *l = fx_json(lsid);
        BSON_APPEND_DOCUMENT(&cmd, "lsid", l);
        bson_destroy(l);
    }
    BSON_APPEND_UTF8(&cmd, "$db", DB);
    uint8_t *msg = rw_opmsg(1, 0, &cmd, NULL, NULL, 0, &len);
    ck_assert_int_eq(rw_send(fd, msg, len), 0);
    free(msg);
    bson_destroy(&cmd);
    return fd;
}

static void
recv_reply(int fd, bson_t *reply)
{
    uint8_t *msg;
    uint32_t len;
    bson_t body;

    ck_assert_int_eq(rw_recv(fd, 60000, &msg, &len), 1);
    ck_assert(rw_opmsg_body(msg, len, &body, NULL));
    bson_copy_to(&body, reply);
    free(msg);
    close(fd);
}

START_TEST(test_after_cluster_time)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    uint32_t t, i;

    CMD_OK(c, DB, "{'insert': 'act', 'documents': [{'_id': 1}]}", &r);
    bson_iter_t it;
    ck_assert(bson_iter_init_find(&it, &r, "operationTime") && BSON_ITER_HOLDS_TIMESTAMP(&it));
    bson_iter_timestamp(&it, &t, &i);
    bson_destroy(&r);
    /* a time already reached: answered at once, with the write */
    int fd = send_after(t, i, 0, NULL);
    recv_reply(fd, &r);
    ASSERT_INT(&r, "ok", 1);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    bson_destroy(&r);
    /* a later time (gossiped by the client): the read waits until no write at or before it
     * can still appear, so it sees the write another connection makes meanwhile */
    fd = send_after((uint32_t)time(NULL) + 4, 0, 0, NULL);
    CMD_OK(c, DB, "{'insert': 'act', 'documents': [{'_id': 2}]}", &r);
    bson_destroy(&r);
    recv_reply(fd, &r);
    ASSERT_INT(&r, "ok", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 2);
    bson_destroy(&r);
    /* nothing reaches it within maxTimeMS: MaxTimeMSExpired */
    fd = send_after((uint32_t)time(NULL) + 3600, 0, 200, NULL);
    recv_reply(fd, &r);
    ASSERT_INT(&r, "code", 50);
    ASSERT_STR(&r, "codeName", "MaxTimeMSExpired");
    bson_destroy(&r);
    /* killSessions interrupts the session's running operation: 11601 Interrupted */
    fd = send_after((uint32_t)time(NULL) + 3600, 0, 30000, LSID_Y);
    fx_sleep_ms(300);
    CMD_OK(c, "admin", "{'killSessions': [" LSID_Y "]}", &r);
    bson_destroy(&r);
    recv_reply(fd, &r);
    ASSERT_INT(&r, "code", 11601);
    ASSERT_STR(&r, "codeName", "Interrupted");
    bson_destroy(&r);
    /* beyond the current cluster time (nobody gossiped it): InvalidOptions */
    char json[256];
    snprintf(json, sizeof(json),
             "{'find': 'act', 'readConcern': {'afterClusterTime': {'$timestamp': {'t': %u, 'i': "
             "1}}}}",
             (unsigned)time(NULL) + 3600);
    raw_cmd(json, &r);
    ASSERT_INT(&r, "code", 72);
    ASSERT_STR(&r, "codeName", "InvalidOptions");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_timeout_parameter)
{
    /* logicalSessionTimeoutMinutes is the timeout every session reply reports */
    static const char *const extra[] = {"--setParameter", "logicalSessionTimeoutMinutes=7", NULL};
    fx_server_t s;
    bson_t r;

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = extra;
    ck_assert_msg(fx_server_start(&s) == 0, "the server did not start");
    mongoc_client_t *c = fx_client(&s);
    CMD_OK(c, "admin", "{'startSession': 1}", &r);
    ASSERT_INT(&r, "timeoutMinutes", 7);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    ASSERT_INT(&r, "logicalSessionTimeoutMinutes", 7);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'refreshLogicalSessionCacheNow': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "config", "{'listIndexes': 'system.sessions'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.1.expireAfterSeconds", 7 * 60);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    int st = fx_server_stop(&s);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = it_tcase(s, "sessions", true);
    tcase_add_test(tc, test_start_and_refresh);
    tcase_add_test(tc, test_end_and_kill_take_cursors);
    tcase_add_test(tc, test_cursor_session_binding);
    tcase_add_test(tc, test_after_cluster_time);
    tcase_add_test(tc, test_list_sessions);
    TCase *own = it_tcase(s, "own server", false);
    tcase_add_test(own, test_timeout_parameter);
    return it_main(s);
}
