/*
 * tests/integration/it_durability.c -- what survives a restart and what survives kill -9.
 *
 * Acknowledged writes (inserts, updates, deletes, created collections, the _id index)
 * survive a clean SIGTERM + restart on the same dbpath; writes acknowledged with j:true or
 * w:"majority" survive kill -9 of the whole process group (WiredTiger recovers from its
 * log at the next start).  Each test starts its own server (it must be its child).
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>

#define DB "dur"

static void
insert_one_json(mongoc_client_t *c, const char *json)
{
    bson_t r;
    CMD_OK(c, DB, json, &r);
    ck_assert_msg(fx_int(&r, "n") >= 1 && !fx_has(&r, "writeErrors"), "%s -> %s", json,
                  fx_to_json(&r));
    bson_destroy(&r);
}

START_TEST(test_clean_restart_keeps_acknowledged_writes)
{
    fx_server_t s;
    fx_server_up(&s, 2);
    mongoc_client_t *c = fx_client(&s);
    bson_t r;
    for (int i = 0; i < 100; i += 10) {
        char json[1024];
        int n = snprintf(json, sizeof(json), "{'insert': 'p', 'documents': [");
        for (int j = i; j < i + 10; j++)
            n += snprintf(json + n, sizeof(json) - (size_t)n, "%s{'_id': %d, 'v': 'value-%d'}",
                          j > i ? ", " : "", j, j);
        snprintf(json + n, sizeof(json) - (size_t)n, "]}");
        insert_one_json(c, json);
    }
    CMD_OK(c, DB,
           "{'update': 'p', 'updates': [{'q': {'_id': 5}, 'u': {'$set': {'changed': true}}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'p', 'deletes': [{'q': {'_id': 6}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'create': 'empty_but_created'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);

    int st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM exit status 0x%x", st);

    for (int round = 0; round < 2; round++) {
        ck_assert_msg(fx_server_start(&s) == 0, "restart %d on the same dbpath failed", round);
        c = fx_client(&s);
        ck_assert_int_eq(fx_count(c, DB, "p", "{}"), 99);
        ck_assert_int_eq(fx_count(c, DB, "p", "{'_id': 5, 'changed': true}"), 1);
        ck_assert_int_eq(fx_count(c, DB, "p", "{'_id': 6}"), 0);
        ck_assert_int_eq(fx_count(c, DB, "p", "{'v': 'value-99'}"), 1);
        CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'empty_but_created'}}", &r);
        ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
        bson_destroy(&r);
        /* the _id index came back with the records */
        CMD_OK(c, DB, "{'insert': 'p', 'documents': [{'_id': 1}]}", &r);
        ASSERT_INT(&r, "writeErrors.0.code", 11000);
        bson_destroy(&r);
        mongoc_client_destroy(c);
        st = fx_server_stop(&s);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    }
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_journaled_writes_survive_kill9)
{
    fx_server_t s;
    fx_server_up(&s, 2);
    mongoc_client_t *c = fx_client(&s);
    for (int i = 0; i < 40; i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{'insert': 'j', 'documents': [{'_id': %d, 'how': 'j'}],"
                 " 'writeConcern': {'w': 1, 'j': true}}",
                 i);
        insert_one_json(c, json);
    }
    insert_one_json(c, "{'insert': 'j', 'documents': [{'_id': 100, 'how': 'majority'},"
                       " {'_id': 101, 'how': 'majority'}], 'writeConcern': {'w': 'majority'}}");
    bson_t r;
    CMD_OK(c, DB,
           "{'update': 'j', 'updates': [{'q': {'_id': 0}, 'u': {'$set': {'updated': 1}}}],"
           " 'writeConcern': {'j': true}}",
           &r);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    CMD_OK(
        c, DB,
        "{'delete': 'j', 'deletes': [{'q': {'_id': 1}, 'limit': 1}], 'writeConcern': {'j': true}}",
        &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    /* through the driver's API as well */
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "j");
    mongoc_write_concern_t *wc = mongoc_write_concern_new();
    mongoc_write_concern_set_journal(wc, true);
    bson_t opts = BSON_INITIALIZER;
    mongoc_write_concern_append(wc, &opts);
    bson_t *doc = BCON_NEW("_id", BCON_INT32(200), "how", BCON_UTF8("driver"));
    bson_error_t err;
    ck_assert_msg(mongoc_collection_insert_one(coll, doc, &opts, NULL, &err), "%s", err.message);
    bson_destroy(doc);
    bson_destroy(&opts);
    mongoc_write_concern_destroy(wc);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);

    pid_t master = s.pid;
    fx_server_kill9(&s);
    ck_assert_msg(WIFSIGNALED(s.last_status) && WTERMSIG(s.last_status) == SIGKILL,
                  "master %d status 0x%x", (int)master, s.last_status);

    ck_assert_msg(fx_server_start(&s) == 0, "restart after kill -9 failed (recovery)");
    c = fx_client(&s);
    ck_assert_int_eq(fx_count(c, DB, "j", "{'how': 'j'}"), 39);
    ck_assert_int_eq(fx_count(c, DB, "j", "{'_id': 0, 'updated': 1}"), 1);
    ck_assert_int_eq(fx_count(c, DB, "j", "{'_id': 1}"), 0);
    ck_assert_int_eq(fx_count(c, DB, "j", "{'how': 'majority'}"), 2);
    ck_assert_int_eq(fx_count(c, DB, "j", "{'_id': 200}"), 1);
    /* and the recovered server takes writes */
    insert_one_json(c, "{'insert': 'j', 'documents': [{'_id': 300}]}");
    mongoc_client_destroy(c);
    int st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_kill9_under_unjournaled_load_recovers)
{
    /* w:1 writes without j may be lost by kill -9, but the store must come back consistent:
     * the server restarts, every surviving document is whole, and the _id index agrees. */
    fx_server_t s;
    fx_server_up(&s, 2);
    mongoc_client_t *c = fx_client(&s);
    insert_one_json(c, "{'insert': 'u', 'documents': [{'_id': 'anchor'}],"
                       " 'writeConcern': {'j': true}}");
    for (int i = 0; i < 200; i++) {
        char json[256];
        snprintf(json, sizeof(json), "{'insert': 'u', 'documents': [{'_id': %d, 'sq': %d}]}", i,
                 i * i);
        insert_one_json(c, json);
    }
    mongoc_client_destroy(c);
    fx_server_kill9(&s);
    ck_assert_msg(fx_server_start(&s) == 0, "restart after kill -9 failed (recovery)");
    c = fx_client(&s);
    ck_assert_int_eq(fx_count(c, DB, "u", "{'_id': 'anchor'}"), 1);
    int64_t n = fx_count(c, DB, "u", "{'sq': {'$exists': true}}");
    ck_assert_int_le(n, 200);
    bson_t r;
    CMD_OK(c, DB, "{'find': 'u', 'filter': {'sq': {'$exists': true}}, 'batchSize': 1000}", &r);
    bson_t batch;
    bson_iter_t it;
    ck_assert(fx_sub(&r, "cursor.firstBatch", &batch));
    bson_iter_init(&it, &batch);
    while (bson_iter_next(&it)) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;
        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        int64_t id = fx_int(&d, "_id");
        ck_assert_int_eq(fx_int(&d, "sq"), id * id);
        /* re-inserting a surviving _id must collide */
        char json[128];
        bson_t r2;
        snprintf(json, sizeof(json), "{'insert': 'u', 'documents': [{'_id': %lld}]}",
                 (long long)id);
        CMD_OK(c, DB, json, &r2);
        ASSERT_INT(&r2, "writeErrors.0.code", 11000);
        bson_destroy(&r2);
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("durability");
    TCase *tc = it_tcase(s, "durability", false);
    tcase_add_test(tc, test_clean_restart_keeps_acknowledged_writes);
    tcase_add_test(tc, test_journaled_writes_survive_kill9);
    tcase_add_test(tc, test_kill9_under_unjournaled_load_recovers);
    return it_main(s);
}
