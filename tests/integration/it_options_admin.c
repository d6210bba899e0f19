/*
 * tests/integration/it_options_admin.c -- options that act across a restart or at start-up.
 *
 * Issue 10, "nothing accepted that is not honoured", for what it_options' shared server
 * cannot show: create's temp (and cloneCollectionAsCapped's) drops the collection at the next
 * start, renameCollection's stayTemp keeps the flag, and --oplogSize caps the oplog.  Each
 * test starts its own server.
 *
 * Invariants: every server here is the test's own child; polls are bounded (hang guards).
 */
#include "harness.h"

#define DB "opts"
#define ROWS(t) (sizeof(t) / sizeof((t)[0]))

/* has_coll -- whether db has a collection `name` (listCollections; temp: whether its options
 * say temp: true). */
static bool
has_coll(mongoc_client_t *c, const char *db, const char *name, bool *temp)
{
    char cmd[160];
    bson_t r;
    bool found;

    snprintf(cmd, sizeof(cmd), "{'listCollections': 1, 'filter': {'name': '%s'}}", name);
    CMD_OK(c, db, cmd, &r);
    found = fx_array_len(&r, "cursor.firstBatch") == 1;
    if (temp != NULL)
        *temp = fx_has(&r, "cursor.firstBatch.0.options.temp");
    bson_destroy(&r);
    return found;
}

/* temp: create's temp: true (and cloneCollectionAsCapped's) makes a collection that the next
 * start drops, outside the local database (mongod drops them on becoming primary);
 * renameCollection clears the flag unless stayTemp is given. */
static const char *const temp_setup[] = {
    "{'create': 't1', 'temp': true}",
    "{'create': 't2'}",
    "{'cloneCollectionAsCapped': 't2', 'toCollection': 't3', 'size': 4096, 'temp': true}",
    "{'cloneCollectionAsCapped': 't2', 'toCollection': 't8', 'size': 4096}",
    "{'create': 't4', 'temp': true}",
    "{'renameCollection': 'opts.t4', 'to': 'opts.t5'}",
    "{'create': 't6', 'temp': true}",
    "{'renameCollection': 'opts.t6', 'to': 'opts.t7', 'stayTemp': true}",
};

START_TEST(test_temp)
{
    fx_server_t srv;
    mongoc_client_t *c;
    bool temp;
    bson_t r;

    fx_server_up(&srv, 1);
    c = fx_client(&srv);
    for (size_t i = 0; i < ROWS(temp_setup); i++) {
        CMD_OK(c, i == 5 || i == 7 ? "admin" : DB, temp_setup[i], &r);
        bson_destroy(&r);
    }
    CMD_OK(c, "local", "{'create': 'lt', 'temp': true}", &r);
    bson_destroy(&r);
    ck_assert(has_coll(c, DB, "t1", &temp) && temp);
    ck_assert(has_coll(c, DB, "t2", &temp) && !temp);
    ck_assert(has_coll(c, DB, "t3", &temp) && temp);
    ck_assert(has_coll(c, DB, "t8", &temp) && !temp);
    ck_assert(has_coll(c, DB, "t5", &temp) && !temp); /* renamed without stayTemp */
    ck_assert(has_coll(c, DB, "t7", &temp) && temp);
    mongoc_client_destroy(c);
    ck_assert_int_eq(WEXITSTATUS(fx_server_stop(&srv)), 0);
    ck_assert_int_eq(fx_server_start(&srv), 0);
    c = fx_client(&srv);
    ck_assert(!has_coll(c, DB, "t1", NULL));
    ck_assert(has_coll(c, DB, "t2", NULL));
    ck_assert(!has_coll(c, DB, "t3", NULL));
    ck_assert(has_coll(c, DB, "t8", NULL));
    ck_assert(has_coll(c, DB, "t5", NULL));
    ck_assert(!has_coll(c, DB, "t7", NULL));
    ck_assert(has_coll(c, "local", "lt", NULL));
    mongoc_client_destroy(c);
    fx_server_cleanup(&srv);
}
END_TEST

/* --oplogSize: the oplog is capped at that many MB (1 here), so after 3 MB of inserts the first
 * insert's entry is trimmed (the default cap, 256 MB, keeps it); a bounded poll waits for the
 * master's housekeeping tick. */
static const char *const oplog_args[] = {"--oplogSize", "1", NULL};

START_TEST(test_oplog_size)
{
    static char big[100 * 1024];
    fx_server_t srv;
    mongoc_client_t *c;
    mongoc_collection_t *coll;
    bson_error_t e;
    double end;

    memset(big, 'x', sizeof(big) - 1);
    ck_assert_int_eq(fx_server_init(&srv, 1), 0);
    srv.extra = oplog_args;
    ck_assert_int_eq(fx_server_start(&srv), 0);
    c = fx_client(&srv);
    coll = mongoc_client_get_collection(c, DB, "big");
    for (int i = 0; i < 30; i++) {
        bson_t doc = BSON_INITIALIZER;

        BSON_APPEND_INT32(&doc, "_id", i);
        BSON_APPEND_UTF8(&doc, "s", big);
        ck_assert_msg(mongoc_collection_insert_one(coll, &doc, NULL, NULL, &e), "%s", e.message);
        bson_destroy(&doc);
    }
    end = fx_now_ms() + 10000;
    while (fx_count(c, "local", "oplog.rs", "{'ns': 'opts.big', 'o._id': 0}") != 0 &&
           fx_now_ms() < end)
        fx_sleep_ms(50);
    ck_assert_int_eq(fx_count(c, "local", "oplog.rs", "{'ns': 'opts.big', 'o._id': 0}"), 0);
    ck_assert_int_eq(fx_count(c, "local", "oplog.rs", "{'ns': 'opts.big', 'o._id': 29}"), 1);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
    fx_server_cleanup(&srv);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("options_admin");
    TCase *tc = it_tcase(s, "options_admin", false);

    tcase_add_test(tc, test_temp);
    tcase_add_test(tc, test_oplog_size);
    return it_main(s);
}
