/*
 * tests/integration/it_handshake.c -- hello / isMaster as drivers see them.
 *
 * The fields of issue 3 and ../shared/CLIENTS.md: limits, wire versions 0..21, Int64
 * connectionId and topologyVersion.counter, the one-member replica-set fields (so a driver
 * given replicaSet=<setName> discovers and selects this server as primary), the legacy
 * OP_QUERY isMaster answered with OP_REPLY, other casings and OP_QUERY commands refused,
 * awaitable hello.  One shared server.
 */
#include "harness.h"

#include <unistd.h>

static void
check_common_fields(const bson_t *r)
{
    ASSERT_INT(r, "ok", 1);
    ASSERT_INT(r, "maxBsonObjectSize", 16777216);
    ASSERT_INT(r, "maxMessageSizeBytes", 48000000);
    ASSERT_INT(r, "maxWriteBatchSize", 100000);
    ASSERT_TYPE(r, "localTime", BSON_TYPE_DATE_TIME);
    ASSERT_INT(r, "logicalSessionTimeoutMinutes", 30);
    ASSERT_TYPE(r, "connectionId", BSON_TYPE_INT64);
    ck_assert_int_gt(fx_int(r, "connectionId"), 0);
    ASSERT_INT(r, "minWireVersion", 0);
    ASSERT_INT(r, "maxWireVersion", 21);
    ASSERT_TYPE(r, "readOnly", BSON_TYPE_BOOL);
    ck_assert(!fx_bool(r, "readOnly"));
    /* one-member replica set */
    ASSERT_TYPE(r, "setName", BSON_TYPE_UTF8);
    ck_assert_int_gt(strlen(fx_str(r, "setName")), 0);
    ASSERT_TYPE(r, "me", BSON_TYPE_UTF8);
    char port_suffix[16];
    snprintf(port_suffix, sizeof(port_suffix), ":%d", it_srv.port);
    const char *me = fx_str(r, "me");
    ck_assert_msg(strlen(me) > strlen(port_suffix) &&
                      strcmp(me + strlen(me) - strlen(port_suffix), port_suffix) == 0,
                  "me (%s) must carry the real port %d", me, it_srv.port);
    ck_assert_int_eq(fx_array_len(r, "hosts"), 1);
    ASSERT_STR(r, "hosts.0", me);
    ASSERT_STR(r, "primary", me);
    ASSERT_TYPE(r, "secondary", BSON_TYPE_BOOL);
    ck_assert(!fx_bool(r, "secondary"));
    ck_assert_msg(fx_type(r, "setVersion") == BSON_TYPE_INT32 ||
                      fx_type(r, "setVersion") == BSON_TYPE_INT64,
                  "setVersion: %s", fx_to_json(r));
    ASSERT_TYPE(r, "electionId", BSON_TYPE_OID);
    ASSERT_TYPE(r, "topologyVersion", BSON_TYPE_DOCUMENT);
    ASSERT_TYPE(r, "topologyVersion.processId", BSON_TYPE_OID);
    ASSERT_TYPE(r, "topologyVersion.counter", BSON_TYPE_INT64);
    ASSERT_TYPE(r, "lastWrite", BSON_TYPE_DOCUMENT);
    ASSERT_TYPE(r, "lastWrite.lastWriteDate", BSON_TYPE_DATE_TIME);
    ASSERT_TYPE(r, "lastWrite.opTime", BSON_TYPE_DOCUMENT);
}

START_TEST(test_hello_fields)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    check_common_fields(&r);
    ASSERT_TYPE(&r, "isWritablePrimary", BSON_TYPE_BOOL);
    ck_assert(fx_bool(&r, "isWritablePrimary"));
    ck_assert_msg(!fx_has(&r, "ismaster"), "hello answers isWritablePrimary, not ismaster");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_ismaster_both_spellings)
{
    static const char *cmds[] = {"{'isMaster': 1, 'helloOk': true}",
                                 "{'ismaster': 1, 'helloOk': true}"};
    mongoc_client_t *c = IT_CLIENT();
    for (int i = 0; i < 2; i++) {
        bson_t r;
        CMD_OK(c, "admin", cmds[i], &r);
        check_common_fields(&r);
        ASSERT_TYPE(&r, "ismaster", BSON_TYPE_BOOL);
        ck_assert(fx_bool(&r, "ismaster"));
        ck_assert(fx_bool(&r, "helloOk"));
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_other_casings_not_found)
{
    static const char *names[] = {"Hello", "HELLO", "IsMaster", "ISMASTER"};
    mongoc_client_t *c = IT_CLIENT();
    for (int i = 0; i < 4; i++) {
        char json[64], msg[96];
        bson_t r;
        snprintf(json, sizeof(json), "{'%s': 1}", names[i]);
        CMD_ERR(c, "admin", json, &r, 59, "CommandNotFound");
        snprintf(msg, sizeof(msg), "no such command: '%s'", names[i]);
        ASSERT_STR(&r, "errmsg", msg);
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_connection_ids_distinct)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client(&it_srv);
    bson_t ra, rb;
    CMD_OK(a, "admin", "{'hello': 1}", &ra);
    CMD_OK(b, "admin", "{'hello': 1}", &rb);
    ck_assert_int_ne(fx_int(&ra, "connectionId"), fx_int(&rb, "connectionId"));
    bson_destroy(&ra);
    bson_destroy(&rb);
    /* the same connection keeps its id */
    CMD_OK(a, "admin", "{'hello': 1}", &rb);
    bson_t ra2;
    CMD_OK(a, "admin", "{'hello': 1}", &ra2);
    ck_assert_int_eq(fx_int(&rb, "connectionId"), fx_int(&ra2, "connectionId"));
    bson_destroy(&rb);
    bson_destroy(&ra2);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

START_TEST(test_handshake_extras_accepted)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin",
           "{'hello': 1, 'helloOk': true, 'client': {'driver': {'name': 'x', 'version': '1'},"
           " 'os': {'type': 'Linux'}, 'platform': 'test', 'application': {'name': 'it'},"
           " 'env': {'name': 'none'}}, 'compression': ['snappy', 'zlib', 'zstd'],"
           " 'saslSupportedMechs': 'admin.nobody', 'loadBalanced': false,"
           " 'backpressure': true}",
           &r);
    ck_assert(fx_bool(&r, "isWritablePrimary"));
    if (fx_has(&r, "compression")) {
        bson_t comp;
        bson_iter_t it;
        ck_assert(fx_sub(&r, "compression", &comp));
        bson_iter_init(&it, &comp);
        while (bson_iter_next(&it)) {
            const char *name = bson_iter_utf8(&it, NULL);
            ck_assert_msg(name != NULL && (strcmp(name, "snappy") == 0 ||
                                           strcmp(name, "zlib") == 0 || strcmp(name, "zstd") == 0),
                          "answered a compressor the client did not offer: %s", fx_to_json(&r));
        }
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_awaitable_hello)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    bson_t tv;
    ck_assert(fx_sub(&r, "topologyVersion", &tv));
    bson_t *cmd = fx_json("{'hello': 1, 'maxAwaitTimeMS': 200}");
    BSON_APPEND_DOCUMENT(cmd, "topologyVersion", &tv);
    bson_t r2;
    bson_error_t err;
    /* nothing changes, so the server answers when maxAwaitTimeMS has passed */
    ck_assert_msg(fx_cmd_bson(c, "admin", cmd, &r2, &err), "awaitable hello: %s %s",
                  fx_to_json(&r2), err.message);
    ck_assert(fx_bool(&r2, "isWritablePrimary"));
    ASSERT_TYPE(&r2, "topologyVersion.counter", BSON_TYPE_INT64);
    bson_destroy(&r2);
    bson_destroy(cmd);
    /* topologyVersion without maxAwaitTimeMS is an error, and so is the reverse */
    cmd = fx_json("{'hello': 1}");
    BSON_APPEND_DOCUMENT(cmd, "topologyVersion", &tv);
    ck_assert_msg(!fx_cmd_bson(c, "admin", cmd, &r2, &err) && fx_has(&r2, "code"),
                  "topologyVersion alone must fail: %s", fx_to_json(&r2));
    bson_destroy(&r2);
    bson_destroy(cmd);
    ck_assert_msg(!fx_cmd(c, "admin", "{'hello': 1, 'maxAwaitTimeMS': 100}", &r2, &err) &&
                      fx_has(&r2, "code"),
                  "maxAwaitTimeMS alone must fail: %s", fx_to_json(&r2));
    bson_destroy(&r2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_opquery_ismaster_gets_opreply)
{
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t *q = fx_json("{'isMaster': 1, 'helloOk': true, 'client': {'driver': {'name': 'nodejs',"
                        " 'version': '6.0'}}, 'compression': ['none']}");
    uint32_t len;
    uint8_t *m = rw_opquery(77, "admin.$cmd", q, &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    uint8_t *reply;
    uint32_t rlen;
    ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
    int32_t opcode, response_to;
    rw_header(reply, NULL, NULL, &response_to, &opcode);
    ck_assert_int_eq(opcode, RW_OP_REPLY);
    ck_assert_int_eq(response_to, 77);
    bson_t doc;
    int32_t nret;
    ck_assert(rw_opreply_doc(reply, rlen, &doc, &nret));
    ck_assert_int_eq(nret, 1);
    ASSERT_INT(&doc, "ok", 1);
    ck_assert(fx_bool(&doc, "ismaster"));
    ck_assert(fx_bool(&doc, "helloOk"));
    ASSERT_INT(&doc, "maxWireVersion", 21);
    free(reply);

    /* after the handshake, the same connection speaks OP_MSG */
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}"), r;
    ck_assert_int_eq(rw_roundtrip(fd, ping, &r), 1);
    ASSERT_INT(&r, "ok", 1);
    bson_destroy(&r);

    /* OP_QUERY is for the handshake only: any other command is 352 */
    bson_t *pq = fx_json("{'ping': 1}");
    m = rw_opquery(78, "admin.$cmd", pq, &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
    rw_header(reply, NULL, NULL, &response_to, &opcode);
    ck_assert_int_eq(opcode, RW_OP_REPLY);
    ck_assert_int_eq(response_to, 78);
    ck_assert(rw_opreply_doc(reply, rlen, &doc, &nret));
    ASSERT_INT(&doc, "ok", 0);
    ASSERT_INT(&doc, "code", 352);
    ASSERT_STR(&doc, "codeName", "UnsupportedOpQueryCommand");
    free(reply);
    bson_destroy(pq);
    bson_destroy(ping);
    bson_destroy(q);
    close(fd);
}
END_TEST

START_TEST(test_replica_set_discovery)
{
    /* A driver given only the seed and replicaSet=<setName> (no directConnection) must
     * discover the set from hello and select this server as its primary. */
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    char uri[1024];
    snprintf(uri, sizeof(uri), "mongodb://%s:%d/?replicaSet=%s&serverSelectionTimeoutMS=10000",
             it_srv.host, it_srv.port, fx_str(&r, "setName"));
    bson_destroy(&r);
    mongoc_client_destroy(c);

    mongoc_client_t *rs = mongoc_client_new(uri);
    ck_assert_ptr_nonnull(rs);
    mongoc_collection_t *coll = mongoc_client_get_collection(rs, "hs", "rsdisc");
    bson_t *doc = fx_json("{'_id': 1, 'via': 'replicaSet'}");
    bson_error_t err;
    ck_assert_msg(mongoc_collection_insert_one(coll, doc, NULL, NULL, &err),
                  "insert through replica-set discovery: %s", err.message);
    mongoc_server_description_t *sd = mongoc_client_select_server(rs, true, NULL, &err);
    ck_assert_msg(sd != NULL, "no writable server selected: %s", err.message);
    ck_assert_str_eq(mongoc_server_description_type(sd), "RSPrimary");
    mongoc_server_description_destroy(sd);
    bson_destroy(doc);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(rs);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("handshake");
    TCase *tc = it_tcase(s, "hello", true);
    tcase_add_test(tc, test_hello_fields);
    tcase_add_test(tc, test_ismaster_both_spellings);
    tcase_add_test(tc, test_other_casings_not_found);
    tcase_add_test(tc, test_connection_ids_distinct);
    tcase_add_test(tc, test_handshake_extras_accepted);
    tcase_add_test(tc, test_awaitable_hello);
    tcase_add_test(tc, test_opquery_ismaster_gets_opreply);
    tcase_add_test(tc, test_replica_set_discovery);
    return it_main(s);
}
