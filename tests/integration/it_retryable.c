/*
 * tests/integration/it_retryable.c -- retryable writes: (lsid, txnNumber, stmtId).
 *
 * A write sent twice with the same lsid and txnNumber (a driver retrying after a network
 * error) answers the second time with the first time's result and changes the data once:
 * insert, update with $inc, upsert, delete and findAndModify.  An older txnNumber is 225
 * TransactionTooOld, and the records survive a clean restart.  Commands carry explicit
 * lsid and txnNumber fields, as a driver sends them.
 */
#include "harness.h"

#include <sys/wait.h>

#define DB "rw"
#define LSID "'lsid': {'id': {'$binary': {'base64': 'AAECAwQFBgcICQoLDA0ODw==', 'subType': '04'}}}"
#define LSID2 "'lsid': {'id': {'$binary': {'base64': 'EBESExQVFhcYGRobHB0eHw==', 'subType': '04'}}}"

/* twice -- run json twice; both succeed with the same reply fields at `paths`. */
static void
twice(mongoc_client_t *c, const char *json, const char *const *paths)
{
    bson_t a, b;

    CMD_OK(c, DB, json, &a);
    CMD_OK(c, DB, json, &b);
    ck_assert_msg(!fx_has(&a, "writeErrors") && !fx_has(&b, "writeErrors"), "%s -> %s", json,
                  fx_to_json(&b));
    for (int i = 0; paths[i] != NULL; i++) {
        char ja[512];
        bson_t sa, sb;

        if (fx_type(&a, paths[i]) == BSON_TYPE_DOCUMENT ||
            fx_type(&a, paths[i]) == BSON_TYPE_ARRAY) {
            ck_assert(fx_sub(&a, paths[i], &sa));
            ck_assert_msg(fx_sub(&b, paths[i], &sb), "%s missing in %s", paths[i], fx_to_json(&b));
            snprintf(ja, sizeof(ja), "%s", fx_to_json(&sa));
            ck_assert_msg(bson_equal(&sa, &sb), "%s: first %s, retry %s", paths[i], ja,
                          fx_to_json(&sb));
            bson_destroy(&sa);
            bson_destroy(&sb);
        } else {
            ck_assert_msg(fx_int(&a, paths[i]) == fx_int(&b, paths[i]), "%s: %lld vs %lld",
                          paths[i], (long long)fx_int(&a, paths[i]),
                          (long long)fx_int(&b, paths[i]));
        }
    }
    bson_destroy(&a);
    bson_destroy(&b);
}

static int64_t
field_of(mongoc_client_t *c, const char *coll, int id, const char *field)
{
    char json[256], path[64];
    bson_t r;
    int64_t v;

    snprintf(json, sizeof(json), "{'find': '%s', 'filter': {'_id': %d}}", coll, id);
    snprintf(path, sizeof(path), "cursor.firstBatch.0.%s", field);
    CMD_OK(c, DB, json, &r);
    v = fx_int(&r, path);
    bson_destroy(&r);
    return v;
}

static int64_t
count(mongoc_client_t *c, const char *coll)
{
    char json[128];
    bson_t r;
    int64_t n;

    snprintf(json, sizeof(json), "{'count': '%s'}", coll);
    CMD_OK(c, DB, json, &r);
    n = fx_int(&r, "n");
    bson_destroy(&r);
    return n;
}

START_TEST(test_insert_retried)
{
    static const char *const p[] = {"n", NULL};
    mongoc_client_t *c = IT_CLIENT();

    twice(c, "{'insert': 'ins', 'documents': [{'_id': 1}, {'_id': 2}], " LSID ", 'txnNumber': 1}",
          p);
    ck_assert_int_eq(count(c, "ins"), 2);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_update_inc_retried)
{
    static const char *const p[] = {"n", "nModified", NULL};
    static const char *const pu[] = {"n", "upserted", NULL};
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB, "{'insert': 'upd', 'documents': [{'_id': 1, 'x': 0}]}", &r);
    bson_destroy(&r);
    twice(c,
          "{'update': 'upd', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'x': 1}}}], " LSID
          ", 'txnNumber': 2}",
          p);
    ck_assert_int_eq(field_of(c, "upd", 1, "x"), 1);
    twice(c,
          "{'update': 'upd', 'updates': [{'q': {'_id': 9}, 'u': {'$inc': {'x': 1}}, 'upsert': "
          "true}], " LSID ", 'txnNumber': 3}",
          pu);
    ck_assert_int_eq(field_of(c, "upd", 9, "x"), 1);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_delete_and_fam_retried)
{
    static const char *const pd[] = {"n", NULL};
    static const char *const pf[] = {"lastErrorObject", "value", NULL};
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB, "{'insert': 'del', 'documents': [{'_id': 1, 'x': 0}, {'_id': 2, 'x': 0}]}", &r);
    bson_destroy(&r);
    twice(c, "{'delete': 'del', 'deletes': [{'q': {}, 'limit': 1}], " LSID2 ", 'txnNumber': 1}",
          pd);
    ck_assert_int_eq(count(c, "del"), 1);
    twice(c,
          "{'findAndModify': 'del', 'query': {}, 'update': {'$inc': {'x': 5}}, 'new': true, " LSID2
          ", 'txnNumber': 2}",
          pf);
    ck_assert_int_eq(field_of(c, "del", 2, "x"), 5);
    twice(c, "{'findAndModify': 'del', 'query': {}, 'remove': true, " LSID2 ", 'txnNumber': 3}",
          pf);
    ck_assert_int_eq(count(c, "del"), 0);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_older_txn_number_refused)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB,
           "{'insert': 'old', 'documents': [{'_id': 1}], 'lsid': {'id': {'$binary': {'base64': "
           "'ICEiIyQlJicoKSorLC0uLw==', 'subType': '04'}}}, 'txnNumber': 7}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'insert': 'old', 'documents': [{'_id': 2}], 'lsid': {'id': {'$binary': {'base64': "
            "'ICEiIyQlJicoKSorLC0uLw==', 'subType': '04'}}}, 'txnNumber': 6}",
            &r, 225, "TransactionTooOld");
    bson_destroy(&r);
    ck_assert_int_eq(count(c, "old"), 1);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_failpoint_closes_after_commit)
{
    /* onPrimaryTransactionalWrite: the write commits, the connection drops before the reply;
     * the retry (same lsid + txnNumber, new connection) finds it recorded. */
    const char *ins = "{'insert': 'fp', 'documents': [{'_id': 1}], " LSID2 ", 'txnNumber': 40}";
    mongoc_client_t *c = IT_CLIENT(), *c2;
    bson_error_t err;
    bson_t r;

    CMD_OK(c, "admin",
           "{'configureFailPoint': 'onPrimaryTransactionalWrite', 'mode': {'times': 1}}", &r);
    bson_destroy(&r);
    ck_assert_msg(!fx_cmd(c, DB, ins, &r, &err), "first attempt answered: %s", fx_to_json(&r));
    bson_destroy(&r);
    c2 = IT_CLIENT();
    CMD_OK(c2, DB, ins, &r);
    ck_assert_msg(fx_int(&r, "n") == 1 && !fx_has(&r, "writeErrors"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(count(c2, "fp"), 1);
    CMD_OK(c2, "admin",
           "{'configureFailPoint': 'onPrimaryTransactionalWrite', 'mode': {'times': 1}, 'data': "
           "{'failBeforeCommitExceptionCode': 1, 'closeConnection': false}}",
           &r);
    bson_destroy(&r);
    CMD_OK(c2, DB, "{'insert': 'fp', 'documents': [{'_id': 2}], " LSID2 ", 'txnNumber': 41}", &r);
    ck_assert_msg(fx_has(&r, "writeErrors") || fx_int(&r, "n") == 0, "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(count(c2, "fp"), 1);
    mongoc_client_destroy(c);
    mongoc_client_destroy(c2);
}
END_TEST

START_TEST(test_records_survive_restart)
{
    const char *json = "{'update': 'rs', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'x': 1}}}], "
                       "'lsid': {'id': {'$binary': {'base64': 'MDEyMzQ1Njc4OTo7PD0+Pw==', "
                       "'subType': '04'}}}, 'txnNumber': 4}";
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;
    int st;

    fx_server_up(&s, 2);
    c = fx_client(&s);
    CMD_OK(c, DB, "{'insert': 'rs', 'documents': [{'_id': 1, 'x': 0}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, json, &r);
    ck_assert_int_eq(fx_int(&r, "nModified"), 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM exit status 0x%x", st);
    ck_assert_msg(fx_server_start(&s) == 0, "restart failed");
    c = fx_client(&s);
    CMD_OK(c, DB, json, &r);
    ck_assert_msg(fx_int(&r, "n") == 1 && fx_int(&r, "nModified") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(field_of(c, "rs", 1, "x"), 1);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("retryable");
    TCase *tc = it_tcase(s, "retryable", true);
    tcase_add_test(tc, test_insert_retried);
    tcase_add_test(tc, test_update_inc_retried);
    tcase_add_test(tc, test_delete_and_fam_retried);
    tcase_add_test(tc, test_older_txn_number_refused);
    tcase_add_test(tc, test_failpoint_closes_after_commit);
    TCase *tr = it_tcase(s, "restart", false);
    tcase_add_test(tr, test_records_survive_restart);
    return it_main(s);
}
