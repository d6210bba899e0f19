/*
 * tests/integration/it_admin.c -- the diagnostic and session commands of issue 3.
 *
 * ping, buildInfo, getParameter, getCmdLineOpts, serverStatus (opcounters summed across
 * workers), hostInfo, whatsmyuri, connectionStatus, getLog, listCommands,
 * getFreeMonitoringStatus / atlasVersion as mongod answers mongosh, endSessions,
 * killAllSessions, logout, unknown commands (59), the generic fields every command accepts,
 * and $clusterTime / operationTime on replies; fsync, fsync lock and fsyncUnlock; dbHash; currentOp and killOp; top.  One shared
 * server.
 */
#include "harness.h"

#include <pthread.h>

#include <unistd.h>

START_TEST(test_ping)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "anydb", "{'ping': 1.0}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_unknown_command)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_ERR(c, "test", "{'x': 1}", &r, 59, "CommandNotFound");
    ASSERT_STR(&r, "errmsg", "no such command: 'x'");
    ASSERT_INT(&r, "ok", 0);
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'frobnicate': 1, 'extra': 'field'}", &r, 59, "CommandNotFound");
    ASSERT_STR(&r, "errmsg", "no such command: 'frobnicate'");
    bson_destroy(&r);
    /* the connection is still fine */
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_build_info)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'buildInfo': 1}", &r);
    char v[64];
    ck_assert_msg(fx_str(&r, "version") != NULL && strncmp(fx_str(&r, "version"), "7.0.", 4) == 0,
                  "version: %s", fx_to_json(&r));
    snprintf(v, sizeof(v), "%s", fx_str(&r, "version"));
    ck_assert_int_ge(fx_array_len(&r, "versionArray"), 4);
    ASSERT_INT(&r, "versionArray.0", 7);
    ASSERT_INT(&r, "versionArray.1", 0);
    ASSERT_TYPE(&r, "gitVersion", BSON_TYPE_UTF8);
    ASSERT_TYPE(&r, "modules", BSON_TYPE_ARRAY);
    ASSERT_TYPE(&r, "openssl", BSON_TYPE_DOCUMENT);
    ASSERT_TYPE(&r, "buildEnvironment", BSON_TYPE_DOCUMENT);
    ASSERT_INT(&r, "bits", 64);
    ASSERT_INT(&r, "maxBsonObjectSize", 16777216);
    bson_destroy(&r);
    /* also under its lower-case alias, on any database */
    CMD_OK(c, "test", "{'buildinfo': 1}", &r);
    ASSERT_STR(&r, "version", v);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_get_parameter)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'getParameter': 1, 'featureCompatibilityVersion': 1}", &r);
    ASSERT_STR(&r, "featureCompatibilityVersion.version", "7.0");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getParameter': '*'}", &r);
    ASSERT_STR(&r, "featureCompatibilityVersion.version", "7.0");
    bson_destroy(&r);
    /* admin-only, as in mongod */
    CMD_ERR(c, "test", "{'getParameter': 1, 'featureCompatibilityVersion': 1}", &r, 13,
            "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_get_cmd_line_opts)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_TYPE(&r, "argv", BSON_TYPE_ARRAY);
    ck_assert_int_ge(fx_array_len(&r, "argv"), 2);
    ASSERT_TYPE(&r, "parsed", BSON_TYPE_DOCUMENT);
    ASSERT_STR(&r, "parsed.storage.dbPath", it_srv.dbpath);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_server_status)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    ASSERT_TYPE(&r, "host", BSON_TYPE_UTF8);
    ck_assert_msg(strncmp(fx_str(&r, "version"), "7.0.", 4) == 0, "%s", fx_to_json(&r));
    ASSERT_TYPE(&r, "process", BSON_TYPE_UTF8);
    ck_assert_int_gt(fx_int(&r, "pid"), 0);
    ck_assert(fx_has(&r, "uptime") && fx_has(&r, "uptimeMillis"));
    ck_assert_int_ge(fx_int(&r, "uptimeMillis"), 0);
    ASSERT_TYPE(&r, "localTime", BSON_TYPE_DATE_TIME);
    ck_assert_int_ge(fx_int(&r, "connections.current"), 1);
    ck_assert(fx_has(&r, "connections.available"));
    ck_assert_int_ge(fx_int(&r, "connections.totalCreated"), fx_int(&r, "connections.current"));
    static const char *ops[] = {"insert", "query", "update", "delete", "getmore", "command"};
    for (int i = 0; i < 6; i++) {
        char path[64];
        snprintf(path, sizeof(path), "opcounters.%s", ops[i]);
        ck_assert_msg(fx_has(&r, path), "no %s: %s", path, fx_to_json(&r));
    }
    ck_assert(fx_has(&r, "mem.resident") && fx_has(&r, "mem.virtual") && fx_has(&r, "mem.bits"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_server_status_sums_workers)
{
    /* Counters live per worker and serverStatus sums them: inserts and connections made
     * through several connections (so, with 2 workers, most likely both) all show up. */
    mongoc_client_t *obs = IT_CLIENT();
    bson_t r0, r1;
    CMD_OK(obs, "admin", "{'serverStatus': 1}", &r0);
    enum {
        NCLIENTS = 6
    };
    mongoc_client_t *cl[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        bson_t r;
        cl[i] = fx_client(&it_srv);
        CMD_OK(cl[i], "ss", "{'insert': 'c', 'documents': [{'a': 1}, {'a': 2}]}", &r);
        ASSERT_INT(&r, "n", 2);
        bson_destroy(&r);
    }
    CMD_OK(obs, "admin", "{'serverStatus': 1}", &r1);
    ck_assert_msg(fx_int(&r1, "opcounters.insert") - fx_int(&r0, "opcounters.insert") ==
                      2 * NCLIENTS,
                  "opcounters.insert went %lld -> %lld after %d inserted documents",
                  (long long)fx_int(&r0, "opcounters.insert"),
                  (long long)fx_int(&r1, "opcounters.insert"), 2 * NCLIENTS);
    ck_assert_msg(fx_int(&r1, "connections.current") >=
                      fx_int(&r0, "connections.current") + NCLIENTS,
                  "connections.current %lld -> %lld with %d more open",
                  (long long)fx_int(&r0, "connections.current"),
                  (long long)fx_int(&r1, "connections.current"), NCLIENTS);
    ck_assert_int_ge(fx_int(&r1, "connections.totalCreated"),
                     fx_int(&r0, "connections.totalCreated") + NCLIENTS);
    ck_assert_int_gt(fx_int(&r1, "opcounters.command"), fx_int(&r0, "opcounters.command"));
    for (int i = 0; i < NCLIENTS; i++)
        mongoc_client_destroy(cl[i]);
    bson_destroy(&r0);
    bson_destroy(&r1);
    mongoc_client_destroy(obs);
}
END_TEST

START_TEST(test_host_info_whatsmyuri_connection_status)
{
    mongoc_client_t *c = IT_CLIENT();
    int port = fx_client_local_port(&it_srv, c);
    bson_t r;
    CMD_OK(c, "admin", "{'hostInfo': 1}", &r);
    ck_assert_int_gt(fx_int(&r, "system.numCores"), 0);
    ASSERT_TYPE(&r, "system.hostname", BSON_TYPE_UTF8);
    ASSERT_TYPE(&r, "os.type", BSON_TYPE_UTF8);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'whatsmyuri': 1}", &r);
    if (port > 0) {
        char want[64];
        snprintf(want, sizeof(want), "127.0.0.1:%d", port);
        ASSERT_STR(&r, "you", want);
    } else {
        ASSERT_TYPE(&r, "you", BSON_TYPE_UTF8);
    }
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'connectionStatus': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "authInfo.authenticatedUsers"), 0);
    ck_assert_int_eq(fx_array_len(&r, "authInfo.authenticatedUserRoles"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_get_log_and_list_commands)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'getLog': 'startupWarnings'}", &r);
    ck_assert(fx_has(&r, "totalLinesWritten"));
    ASSERT_TYPE(&r, "log", BSON_TYPE_ARRAY);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getLog': '*'}", &r);
    ASSERT_TYPE(&r, "names", BSON_TYPE_ARRAY);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listCommands': 1}", &r);
    static const char *must[] = {"find",  "insert", "update",          "delete",       "getMore",
                                 "hello", "ping",   "listCollections", "findAndModify"};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "commands.%s", must[i]);
        ASSERT_TYPE(&r, path, BSON_TYPE_DOCUMENT);
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_mongosh_startup_commands)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'getFreeMonitoringStatus': 1}", &r);
    ASSERT_TYPE(&r, "state", BSON_TYPE_UTF8);
    bson_destroy(&r);
    /* mongod (not Atlas) does not know atlasVersion */
    CMD_ERR(c, "admin", "{'atlasVersion': 1}", &r, 59, "CommandNotFound");
    ASSERT_STR(&r, "errmsg", "no such command: 'atlasVersion'");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_session_commands)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin",
           "{'endSessions': [{'id': {'$binary': {'base64': 'AAECAwQFBgcICQoLDA0ODw==',"
           " 'subType': '04'}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'killAllSessions': []}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'logout': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_generic_fields_accepted)
{
    /* Over a raw socket, so that the driver adds nothing of its own: every generic field a
     * driver may send, on a retryable insert and on a find. */
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t r;
    bson_t *hello = fx_json("{'hello': 1, '$db': 'admin'}");
    ck_assert_int_eq(rw_roundtrip(fd, hello, &r), 1);
    bson_t ct;
    bson_t *cmd = fx_json("{'insert': 'gen', 'documents': [{'_id': 1}], '$db': 'gen',"
                          " 'lsid': {'id': {'$binary': {'base64': 'EBESExQVFhcYGRobHB0eHw==',"
                          " 'subType': '04'}}}, 'txnNumber': {'$numberLong': '1'},"
                          " 'writeConcern': {'w': 1, 'j': true}, 'comment': 'generic',"
                          " 'apiVersion': '1', '$readPreference': {'mode': 'primary'}}");
    if (fx_sub(&r, "$clusterTime", &ct))
        BSON_APPEND_DOCUMENT(cmd, "$clusterTime", &ct);
    bson_t r2;
    ck_assert_int_eq(rw_roundtrip(fd, cmd, &r2), 1);
    ASSERT_INT(&r2, "ok", 1);
    ASSERT_INT(&r2, "n", 1);
    bson_destroy(&r2);
    bson_destroy(cmd);
    bson_destroy(&r);
    cmd = fx_json("{'find': 'gen', 'filter': {}, '$db': 'gen', 'readConcern': {'level': 'local'},"
                  " '$readPreference': {'mode': 'primaryPreferred'}, 'comment': {'any': 'thing'},"
                  " 'lsid': {'id': {'$binary': {'base64': 'EBESExQVFhcYGRobHB0eHw==',"
                  " 'subType': '04'}}}, 'apiVersion': '1', 'apiStrict': false}");
    ck_assert_int_eq(rw_roundtrip(fd, cmd, &r), 1);
    ASSERT_INT(&r, "ok", 1);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    bson_destroy(cmd);
    bson_destroy(hello);
    close(fd);
}
END_TEST

START_TEST(test_cluster_time_on_replies)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "ct", "{'insert': 'c', 'documents': [{'x': 1}]}", &r);
    ASSERT_TYPE(&r, "operationTime", BSON_TYPE_TIMESTAMP);
    ASSERT_TYPE(&r, "$clusterTime.clusterTime", BSON_TYPE_TIMESTAMP);
    ASSERT_TYPE(&r, "$clusterTime.signature.hash", BSON_TYPE_BINARY);
    ASSERT_TYPE(&r, "$clusterTime.signature.keyId", BSON_TYPE_INT64);
    bson_destroy(&r);
    CMD_OK(c, "ct", "{'find': 'c'}", &r);
    ASSERT_TYPE(&r, "operationTime", BSON_TYPE_TIMESTAMP);
    ASSERT_TYPE(&r, "$clusterTime.clusterTime", BSON_TYPE_TIMESTAMP);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* fsync checkpoints; fsync lock holds every write (here: until its maxTimeMS) but not reads,
 * on any worker, until fsyncUnlock; mongod's errors. */
START_TEST(test_fsync_and_lock)
{
    mongoc_client_t *c = IT_CLIENT(), *o = fx_client_other_worker(&it_srv, c);
    bson_t r;

    CMD_OK(c, "admin", "{'fsync': 1}", &r);
    ASSERT_INT(&r, "numFiles", 1);
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'fsync': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'fsync': 1, 'bogus': 1}", &r, 40415, "Location40415");
    bson_destroy(&r);
    CMD_OK(c, "fsynctest", "{'insert': 'f', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'fsync': 1, 'lock': true}", &r);
    ASSERT_INT(&r, "lockCount", 1);
    ASSERT_STR(&r, "info", "now locked against writes, use db.fsyncUnlock() to unlock");
    bson_destroy(&r);
    CMD_ERR(o, "fsynctest", "{'insert': 'f', 'documents': [{'_id': 2}], 'maxTimeMS': 300}", &r, 50,
            "MaxTimeMSExpired");
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(o, "fsynctest", "f", "{}"), 1); /* reads go on */
    CMD_OK(o, "admin", "{'fsyncUnlock': 1}", &r);             /* from another worker */
    ASSERT_INT(&r, "lockCount", 0);
    bson_destroy(&r);
    CMD_OK(c, "fsynctest", "{'insert': 'f', 'documents': [{'_id': 2}]}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(o, "fsynctest", "f", "{}"), 2);
    CMD_ERR(c, "admin", "{'fsyncUnlock': 1}", &r, 20, "IllegalOperation");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    mongoc_client_destroy(o);
}
END_TEST

/* dbHash: one MD5 per collection over its documents in _id order (so insertion order does
 * not matter), views and system.profile left out, capped listed, `collections` limiting. */
START_TEST(test_db_hash)
{
    mongoc_client_t *c = IT_CLIENT();
    char a1[40], a2[40], b1[40], md1[40];
    bson_t r;

    CMD_OK(c, "hash1", "{'insert': 'a', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, 'x': 2}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "hash2", "{'insert': 'a', 'documents': [{'_id': 2, 'x': 2}, {'_id': 1, 'x': 1}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'insert': 'b', 'documents': [{'_id': 'k'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'create': 'c', 'capped': true, 'size': 4096}", &r);
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'create': 'v', 'viewOn': 'a', 'pipeline': []}", &r);
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'dbHash': 1}", &r);
    ck_assert_int_eq(bson_count_keys(&r) > 0, 1);
    ck_assert(fx_has(&r, "collections.a") && fx_has(&r, "collections.b") &&
              fx_has(&r, "collections.c") && !fx_has(&r, "collections.v"));
    ASSERT_STR(&r, "capped.0", "c");
    ASSERT_TYPE(&r, "uuids.a", BSON_TYPE_BINARY);
    ck_assert_int_eq(strlen(fx_str(&r, "md5")), 32);
    snprintf(a1, sizeof(a1), "%s", fx_str(&r, "collections.a"));
    snprintf(b1, sizeof(b1), "%s", fx_str(&r, "collections.b"));
    snprintf(md1, sizeof(md1), "%s", fx_str(&r, "md5"));
    bson_destroy(&r);
    CMD_OK(c, "hash2", "{'dbHash': 1}", &r);
    ASSERT_STR(&r, "collections.a", a1); /* same documents, other insertion order */
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'dbHash': 1}", &r);
    ASSERT_STR(&r, "md5", md1); /* nothing changed: the same */
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'update': 'a', 'updates': [{'q': {'_id': 2}, 'u': {'$set': {'x': 3}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "hash1", "{'dbHash': 1, 'collections': ['a', 'b']}", &r);
    snprintf(a2, sizeof(a2), "%s", fx_str(&r, "collections.a"));
    ck_assert_str_ne(a2, a1);
    ASSERT_STR(&r, "collections.b", b1);
    ck_assert(!fx_has(&r, "collections.c"));
    ck_assert_str_ne(fx_str(&r, "md5"), md1);
    bson_destroy(&r);
    CMD_ERR(c, "hash1", "{'dbHash': 1, 'collections': 'a'}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* A write held by fsync lock, run on its own client, for currentOp and killOp to find. */
typedef struct held {
    bool ok;
    bson_t reply;
} held_t;

static void *
held_insert(void *arg)
{
    held_t *h = arg;
    mongoc_client_t *c = fx_client(&it_srv);
    bson_error_t e;

    h->ok = fx_cmd(c, "optest", "{'insert': 'held', 'documents': [{'_id': 1}], 'maxTimeMS': 30000}",
                   &h->reply, &e);
    mongoc_client_destroy(c);
    return NULL;
}

/* currentOp lists running operations of every worker with mongod's fields (itself too),
 * filtered like a query; killOp stops one with 11601 Interrupted. */
START_TEST(test_current_op_and_kill_op)
{
    mongoc_client_t *c = IT_CLIENT();
    held_t h;
    pthread_t t;
    int64_t opid = 0;
    char json[128];
    bson_t r;

    CMD_OK(c, "admin", "{'currentOp': 1, 'command.currentOp': {'$exists': true}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "inprog"), 1);
    ASSERT_STR(&r, "inprog.0.op", "command");
    ASSERT_STR(&r, "inprog.0.ns", "admin.$cmd");
    ASSERT_TYPE(&r, "inprog.0.opid", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "inprog.0.secs_running", BSON_TYPE_INT64);
    ck_assert(fx_has(&r, "inprog.0.client") && fx_has(&r, "inprog.0.connectionId"));
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'currentOp': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    /* the $currentOp stage lists the same documents (here: the aggregate itself) */
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$currentOp': {'allUsers': true}}, "
           "{'$match': {'command.aggregate': 1}}], 'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.type", "op");
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'aggregate': 1, 'pipeline': [{'$currentOp': {}}], 'cursor': {}}", &r, 73,
            "InvalidNamespace");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'fsync': 1, 'lock': true}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(pthread_create(&t, NULL, held_insert, &h), 0);
    for (int tries = 0; tries < 200 && opid == 0; tries++) { /* until it is listed */
        CMD_OK(c, "admin", "{'currentOp': 1, 'ns': 'optest.held'}", &r);
        if (fx_array_len(&r, "inprog") == 1) {
            opid = fx_int(&r, "inprog.0.opid");
            ASSERT_STR(&r, "inprog.0.op", "insert");
            ASSERT_STR(&r, "inprog.0.command.insert", "held");
        }
        bson_destroy(&r);
        if (opid == 0)
            fx_sleep_ms(50);
    }
    ck_assert_msg(opid != 0, "the held insert never showed in currentOp");
    snprintf(json, sizeof(json), "{'killOp': 1, 'op': %lld}", (long long)opid);
    CMD_OK(c, "admin", json, &r);
    ASSERT_STR(&r, "info", "attempting to kill op");
    bson_destroy(&r);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert(!h.ok);
    ASSERT_INT(&h.reply, "code", 11601);
    ASSERT_STR(&h.reply, "codeName", "Interrupted");
    bson_destroy(&h.reply);
    CMD_OK(c, "admin", "{'fsyncUnlock': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(c, "optest", "held", "{}"), 0);
    CMD_ERR(c, "admin", "{'killOp': 1}", &r, 40414, "Location40414");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* top sums every worker's per-namespace counters, in mongod's shape. */
START_TEST(test_top)
{
    mongoc_client_t *c = IT_CLIENT(), *o = fx_client_other_worker(&it_srv, c);
    bson_t r;

    CMD_OK(c, "toptest", "{'insert': 't', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(o, "toptest", "{'insert': 't', 'documents': [{'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(o, "toptest", "{'find': 't', 'filter': {}}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'top': 1}", &r);
    ASSERT_STR(&r, "totals.note", "all times in microseconds");
    {
        bson_t t;
        ck_assert(fx_sub(&r, "totals", &t));
        bson_iter_t it, d;
        ck_assert(bson_iter_init_find(&it, &t, "toptest.t") && bson_iter_recurse(&it, &d));
        bson_t ns;
        const uint8_t *data;
        uint32_t len;
        bson_iter_document(&it, &len, &data);
        bson_init_static(&ns, data, len);
        ASSERT_INT(&ns, "insert.count", 2);
        ASSERT_INT(&ns, "queries.count", 1);
        ASSERT_INT(&ns, "writeLock.count", 2);
        ASSERT_INT(&ns, "readLock.count", 1);
        ASSERT_INT(&ns, "total.count", 3);
        ASSERT_TYPE(&ns, "total.time", BSON_TYPE_INT64);
        bson_destroy(&t);
    }
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'top': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    mongoc_client_destroy(o);
}
END_TEST

/* The Stable API fields are checked as mongod does: apiVersion "1" only, apiStrict only with
 * it, and under apiStrict only version 1's commands. */
START_TEST(test_api_version)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "apitest", "{'find': 'x', 'apiVersion': '1', 'apiStrict': true}", &r);
    bson_destroy(&r);
    CMD_OK(c, "apitest", "{'distinct': 'x', 'key': 'a', 'apiVersion': '1'}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "apitest", "{'distinct': 'x', 'key': 'a', 'apiVersion': '1', 'apiStrict': true}", &r,
            323, "APIStrictError");
    bson_destroy(&r);
    CMD_ERR(c, "apitest", "{'find': 'x', 'apiVersion': '2'}", &r, 322, "APIVersionError");
    bson_destroy(&r);
    CMD_ERR(c, "apitest", "{'find': 'x', 'apiStrict': true}", &r, 4886600, "Location4886600");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = it_tcase(s, "diagnostics", true);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_unknown_command);
    tcase_add_test(tc, test_build_info);
    tcase_add_test(tc, test_get_parameter);
    tcase_add_test(tc, test_get_cmd_line_opts);
    tcase_add_test(tc, test_server_status);
    tcase_add_test(tc, test_server_status_sums_workers);
    tcase_add_test(tc, test_host_info_whatsmyuri_connection_status);
    tcase_add_test(tc, test_get_log_and_list_commands);
    tcase_add_test(tc, test_mongosh_startup_commands);
    tcase_add_test(tc, test_session_commands);
    tcase_add_test(tc, test_generic_fields_accepted);
    tcase_add_test(tc, test_cluster_time_on_replies);
    tcase_add_test(tc, test_fsync_and_lock);
    tcase_add_test(tc, test_db_hash);
    tcase_add_test(tc, test_current_op_and_kill_op);
    tcase_add_test(tc, test_top);
    tcase_add_test(tc, test_api_version);
    return it_main(s);
}
