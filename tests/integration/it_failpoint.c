/*
 * tests/integration/it_failpoint.c -- configureFailPoint and the failCommand failpoint.
 *
 * A failpoint set on one connection fires for commands arriving on any worker ({times: n}
 * counts down once across both workers), alwaysOn / off, skip and activationProbability,
 * the error reply's shape (code, codeName, errmsg, errorLabels), closeConnection (the
 * client sees a network error, the next connection works), writeConcernError added to a
 * successful write, blockConnection (the command completes; durations are never asserted),
 * appName matching, the RetryableWriteError label rule, and configureFailPoint's own errors.
 * One shared server (2 workers); every test turns the failpoint off when it ends, and
 * counts are compared to the count read at the start, since the server outlives each test.
 */
#include "harness.h"

#define DB "fptest"

/* fp -- run a configureFailPoint JSON document that must succeed; returns its count. */
static int64_t
fp(mongoc_client_t *c, const char *json)
{
    bson_t r;
    CMD_OK(c, "admin", json, &r);
    ck_assert_msg(fx_has(&r, "count"), "no count in %s", fx_to_json(&r));
    int64_t n = fx_int(&r, "count");
    bson_destroy(&r);
    return n;
}

/* fp_off -- turn failCommand off; returns how often it had fired. */
static int64_t
fp_off(mongoc_client_t *c)
{
    return fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'off'}");
}

/* ping_code -- 0 when ping succeeded, else the error code of its reply (-1: no reply). */
static int
ping_code(mongoc_client_t *c)
{
    bson_t r;
    bson_error_t e;
    bool ok = fx_cmd(c, DB, "{'ping': 1}", &r, &e);
    int code = ok ? 0 : fx_has(&r, "ok") ? (int)fx_int(&r, "code") : -1;
    bson_destroy(&r);
    return code;
}

START_TEST(test_times_across_workers)
{
    mongoc_client_t *a = IT_CLIENT();
    mongoc_client_t *b = fx_client_other_worker(&it_srv, a);
    int64_t c0 = fp_off(a);
    ck_assert_int_eq(fp(a, "{'configureFailPoint': 'failCommand', 'mode': {'times': 2}, "
                           "'data': {'failCommands': ['ping'], 'errorCode': 2}}"),
                     c0);
    /* one activation on each worker, then the failpoint is spent everywhere */
    ck_assert_int_eq(ping_code(b), 2);
    ck_assert_int_eq(ping_code(a), 2);
    ck_assert_int_eq(ping_code(b), 0);
    ck_assert_int_eq(ping_code(a), 0);
    ck_assert_int_eq(fp_off(b), c0 + 2);
    mongoc_client_destroy(b);
    mongoc_client_destroy(a);
}
END_TEST

START_TEST(test_always_on_and_off)
{
    mongoc_client_t *c = IT_CLIENT();
    mongoc_client_t *d = fx_client_other_worker(&it_srv, c);
    bson_t r;
    int64_t c0 = fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', "
          "'data': {'failCommands': ['insert', 'find'], 'errorCode': 91}}");
    for (int i = 0; i < 3; i++) {
        CMD_ERR(i % 2 ? c : d, DB, "{'insert': 'aon', 'documents': [{'x': 1}]}", &r, 91,
                "ShutdownInProgress");
        ASSERT_STR(&r, "errmsg", "Failing command via 'failCommand' failpoint");
        ASSERT_INT(&r, "ok", 0);
        ck_assert_msg(!fx_has(&r, "errorLabels"), "no retryable write: %s", fx_to_json(&r));
        bson_destroy(&r);
    }
    CMD_ERR(d, DB, "{'find': 'aon'}", &r, 91, "ShutdownInProgress");
    bson_destroy(&r);
    /* commands not listed run normally */
    CMD_OK(d, DB, "{'count': 'aon'}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    ck_assert_int_eq(fp_off(d), c0 + 4);
    CMD_OK(c, DB, "{'insert': 'aon', 'documents': [{'x': 1}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    mongoc_client_destroy(d);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_skip_and_probability)
{
    mongoc_client_t *c = IT_CLIENT();
    int64_t c0 = fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'skip': 1}, "
          "'data': {'failCommands': ['ping'], 'errorCode': 2}}");
    ck_assert_int_eq(ping_code(c), 0);
    ck_assert_int_eq(ping_code(c), 2);
    ck_assert_int_eq(ping_code(c), 2);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'activationProbability': 1.0}, "
          "'data': {'failCommands': ['ping'], 'errorCode': 2}}");
    ck_assert_int_eq(ping_code(c), 2);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'activationProbability': 0}, "
          "'data': {'failCommands': ['ping'], 'errorCode': 2}}");
    ck_assert_int_eq(ping_code(c), 0);
    ck_assert_int_eq(fp_off(c), c0 + 3);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_error_labels)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    fp_off(c);
    /* explicit errorLabels are returned as given */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['ping'], 'errorCode': 8, 'errorLabels': ['Foo', 'Bar']}}");
    CMD_ERR(c, DB, "{'ping': 1}", &r, 8, "UnknownError");
    ck_assert_msg(fx_array_len(&r, "errorLabels") == 2, "labels: %s", fx_to_json(&r));
    ASSERT_STR(&r, "errorLabels.0", "Foo");
    ASSERT_STR(&r, "errorLabels.1", "Bar");
    bson_destroy(&r);
    /* a retryable code on a retryable write (txnNumber) gets RetryableWriteError */
    const char *retryable =
        "{'insert': 'lbl', 'documents': [{'x': 1}], 'txnNumber': {'$numberLong': "
        "'1'}, 'lsid': {'id': {'$binary': {'base64': "
        "'AAAAAAAAAAAAAAAAAAAAAA==', 'subType': '04'}}}}";
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['insert'], 'errorCode': 91}}");
    CMD_ERR(c, DB, retryable, &r, 91, "ShutdownInProgress");
    ck_assert_msg(fx_array_len(&r, "errorLabels") == 1, "labels: %s", fx_to_json(&r));
    ASSERT_STR(&r, "errorLabels.0", "RetryableWriteError");
    bson_destroy(&r);
    /* ... unless the failpoint names the labels, even none */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['insert'], 'errorCode': 91, 'errorLabels': []}}");
    CMD_ERR(c, DB, retryable, &r, 91, "ShutdownInProgress");
    ck_assert_msg(fx_array_len(&r, "errorLabels") <= 0, "labels: %s", fx_to_json(&r));
    bson_destroy(&r);
    /* a code that is not retryable gets none (and no topologyVersion) */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['insert'], 'errorCode': 8}}");
    CMD_ERR(c, DB, retryable, &r, 8, "UnknownError");
    ck_assert_msg(!fx_has(&r, "errorLabels"), "labels: %s", fx_to_json(&r));
    ck_assert_msg(!fx_has(&r, "topologyVersion"), "reply: %s", fx_to_json(&r));
    bson_destroy(&r);
    /* a state-change error carries the current topologyVersion, as mongod's do, so drivers
     * take it as stale and retry at once instead of waiting for their monitor */
    bson_t hello;
    CMD_OK(c, "admin", "{'hello': 1}", &hello);
    for (int i = 0; i < 2; i++) {
        fp(c, i == 0 ? "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
                       "'data': {'failCommands': ['ping'], 'errorCode': 91}}"
                     : "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
                       "'data': {'failCommands': ['ping'], 'errorCode': 10107}}");
        CMD_ERR(c, DB, "{'ping': 1}", &r, i == 0 ? 91 : 10107,
                i == 0 ? "ShutdownInProgress" : "NotWritablePrimary");
        ck_assert_msg(fx_has(&r, "topologyVersion.processId"), "reply: %s", fx_to_json(&r));
        ck_assert_int_eq(fx_int(&r, "topologyVersion.counter"),
                         fx_int(&hello, "topologyVersion.counter"));
        bson_destroy(&r);
    }
    bson_destroy(&hello);
    fp_off(c);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_close_connection)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bson_error_t e;
    int64_t c0 = fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['find'], 'closeConnection': true}}");
    bool ok = fx_cmd(c, DB, "{'find': 'closed'}", &r, &e);
    ck_assert_msg(!ok && !fx_has(&r, "ok"), "want a network error, got %s", fx_to_json(&r));
    bson_destroy(&r);
    /* a new connection is fine, and so is the same client once it reconnects */
    mongoc_client_t *d = IT_CLIENT();
    CMD_OK(d, DB, "{'find': 'closed'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'closed'}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(fp_off(d), c0 + 1);
    mongoc_client_destroy(d);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_write_concern_error)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bson_error_t e;
    fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 2}, "
          "'data': {'failCommands': ['insert'], 'writeConcernError': {'code': 91, "
          "'codeName': 'ShutdownInProgress', 'errmsg': 'Replication is being shut down'}}}");
    fx_cmd(c, DB, "{'insert': 'wce', 'documents': [{'_id': 1}]}", &r, &e);
    ASSERT_INT(&r, "ok", 1);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "writeConcernError.code", 91);
    ASSERT_STR(&r, "writeConcernError.errmsg", "Replication is being shut down");
    ck_assert_msg(!fx_has(&r, "errorLabels"), "no retryable write: %s", fx_to_json(&r));
    bson_destroy(&r);
    /* on a retryable write the retryable code also labels the reply */
    fx_cmd(c, DB,
           "{'insert': 'wce', 'documents': [{'_id': 2}], 'txnNumber': {'$numberLong': '7'}, "
           "'lsid': {'id': {'$binary': {'base64': 'AQAAAAAAAAAAAAAAAAAAAA==', 'subType': "
           "'04'}}}}",
           &r, &e);
    ASSERT_INT(&r, "ok", 1);
    ASSERT_INT(&r, "writeConcernError.code", 91);
    ASSERT_STR(&r, "errorLabels.0", "RetryableWriteError");
    bson_destroy(&r);
    /* the writes happened */
    CMD_OK(c, DB, "{'count': 'wce'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    /* a writeConcernError failpoint does not enter for commands without a write concern */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['find'], 'writeConcernError': {'code': 91, "
          "'errmsg': 'x'}}}");
    CMD_OK(c, DB, "{'find': 'wce'}", &r);
    ck_assert_msg(!fx_has(&r, "writeConcernError"), "find: %s", fx_to_json(&r));
    bson_destroy(&r);
    fp_off(c);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_block_connection)
{
    mongoc_client_t *c = IT_CLIENT();
    mongoc_client_t *d = IT_CLIENT();
    bson_t r;
    int64_t c0 = fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['count'], 'blockConnection': true, 'blockTimeMS': 200}}");
    CMD_OK(c, DB, "{'count': 'blk'}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    /* blocked and then failed */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, "
          "'data': {'failCommands': ['count'], 'blockConnection': true, 'blockTimeMS': 50, "
          "'errorCode': 2}}");
    CMD_ERR(d, DB, "{'count': 'blk'}", &r, 2, "BadValue");
    bson_destroy(&r);
    ck_assert_int_eq(fp_off(d), c0 + 2);
    mongoc_client_destroy(d);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_app_name_and_namespace)
{
    mongoc_client_t *c = IT_CLIENT(); /* appname "secantusdb-it" (fixture.c) */
    bson_t r;
    fp_off(c);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', "
          "'data': {'failCommands': ['ping'], 'errorCode': 2, 'appName': 'someone-else'}}");
    ck_assert_int_eq(ping_code(c), 0);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', "
          "'data': {'failCommands': ['ping'], 'errorCode': 2, 'appName': 'secantusdb-it'}}");
    ck_assert_int_eq(ping_code(c), 2);
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', "
          "'data': {'failCommands': ['find'], 'errorCode': 2, 'namespace': '" DB ".ns1'}}");
    CMD_OK(c, DB, "{'find': 'ns2'}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'ns1'}", &r, 2, "BadValue");
    bson_destroy(&r);
    fp_off(c);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_configure_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_ERR(c, "admin", "{'configureFailPoint': 'noSuchFailPoint', 'mode': 'off'}", &r, 266,
            "FailPointSetFailed");
    ASSERT_STR(&r, "errmsg", "noSuchFailPoint not found");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'configureFailPoint': 'failCommand', 'mode': 'off'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'configureFailPoint': 'failCommand', 'mode': 'sometimes'}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "admin",
            "{'configureFailPoint': 'failCommand', 'mode': {'activationProbability': 2}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'configureFailPoint': 'failCommand', 'mode': {'often': 2}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    /* configureFailPoint is never failed by failCommand, even when listed */
    fp(c, "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', "
          "'data': {'failCommands': ['configureFailPoint'], 'errorCode': 2}}");
    fp_off(c);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("failpoint");
    TCase *tc = it_tcase(s, "failCommand", true);
    tcase_add_test(tc, test_times_across_workers);
    tcase_add_test(tc, test_always_on_and_off);
    tcase_add_test(tc, test_skip_and_probability);
    tcase_add_test(tc, test_error_labels);
    tcase_add_test(tc, test_close_connection);
    tcase_add_test(tc, test_write_concern_error);
    tcase_add_test(tc, test_block_connection);
    tcase_add_test(tc, test_app_name_and_namespace);
    tcase_add_test(tc, test_configure_errors);
    return it_main(s);
}
