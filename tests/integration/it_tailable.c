/*
 * tests/integration/it_tailable.c -- tailable and awaitData cursors.
 *
 * A tailable find on a capped collection keeps its cursor open at the end of the data (id
 * non-zero, empty batch) and a getMore, on another worker too, returns what was inserted
 * since; an awaitData getMore parks until an insert from another connection wakes it (well
 * before its maxTimeMS, a generous bound) or returns an empty batch when maxTimeMS runs out,
 * and killCursors interrupts it (237 CursorKilled);
 * local.oplog.rs can be tailed the same way; a cursor whose position was deleted by capping
 * answers 136 CappedPositionLost and dies; mongod's errors for tailable on a collection that
 * is not capped, awaitData without tailable, a sort, singleBatch, and maxTimeMS on a getMore
 * of a cursor without awaitData.  One shared server with 2 workers.
 */
#include "harness.h"

#include <pthread.h>

#define DB "tailtest"
/* One explicit session for every find and getMore: a cursor continues only in its session,
 * and the clients of these tests (other connections, other workers) share this one. */
#define LSID "'lsid': {'id': {'$binary': {'base64': 'q83vEjRWeJCrze8SNFZ4kQ==', 'subType': '04'}}}"

static void
make_capped(mongoc_client_t *c, const char *coll, int max)
{
    char cmd[160];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'drop': '%s'}", coll);
    fx_cmd(c, DB, cmd, &r, NULL);
    bson_destroy(&r);
    snprintf(cmd, sizeof(cmd), "{'create': '%s', 'capped': true, 'size': 100000, 'max': %d}", coll,
             max);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
}

static void
insert_one(mongoc_client_t *c, const char *coll, int id)
{
    char cmd[160];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'insert': '%s', 'documents': [{'_id': %d}]}", coll, id);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
}

/* get_more -- {getMore: id, collection, maxTimeMS?}; the reply in *r; returns ok. */
static bool
get_more(mongoc_client_t *c, const char *db, int64_t id, const char *coll, int max_ms, bson_t *r)
{
    bson_t *cmd = BCON_NEW("getMore", BCON_INT64(id), "collection", BCON_UTF8(coll));
    bson_t *lsid = fx_json("{" LSID "}");
    bson_error_t e;
    bool ok;

    bson_concat(cmd, lsid);
    bson_destroy(lsid);
    if (max_ms > 0)
        BSON_APPEND_INT32(cmd, "maxTimeMS", max_ms);
    ok = fx_cmd_bson(c, db, cmd, r, &e);
    bson_destroy(cmd);
    return ok;
}

START_TEST(test_tailable_sees_inserts)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client_other_worker(&it_srv, a);
    int64_t id;
    bson_t r;

    make_capped(a, "t1", 100);
    insert_one(a, "t1", 1);
    insert_one(a, "t1", 2);
    CMD_OK(a, DB, "{'find': 't1', " LSID ", 'tailable': true}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 2);
    id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "a tailable cursor stays open: %s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert(get_more(b, DB, id, "t1", 0, &r)); /* end of data: empty, still open */
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 0);
    ck_assert_int_eq(fx_int(&r, "cursor.id"), id);
    bson_destroy(&r);
    insert_one(b, "t1", 3);
    insert_one(a, "t1", 4);
    ck_assert(get_more(b, DB, id, "t1", 0, &r));
    ASSERT_INT(&r, "cursor.nextBatch.0._id", 3);
    ASSERT_INT(&r, "cursor.nextBatch.1._id", 4);
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 2);
    ck_assert_int_eq(fx_int(&r, "cursor.id"), id);
    bson_destroy(&r);
    /* a filter applies to what arrives later too */
    CMD_OK(a, DB, "{'find': 't1', " LSID ", 'tailable': true, 'filter': {'_id': {'$gt': 4}}}", &r);
    id = fx_int(&r, "cursor.id");
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    ck_assert(id != 0);
    bson_destroy(&r);
    insert_one(b, "t1", 5);
    ck_assert(get_more(a, DB, id, "t1", 0, &r));
    ASSERT_INT(&r, "cursor.nextBatch.0._id", 5);
    bson_destroy(&r);
    CMD_OK(a, DB, "{'find': 'nosuch', 'tailable': true}", &r); /* no collection: closed */
    ASSERT_INT(&r, "cursor.id", 0);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

typedef struct waiter {
    const char *coll;
    int64_t id;
    double took_ms;
    bson_t reply;
    bool ok;
} waiter_t;

static void *
wait_thread(void *arg)
{
    waiter_t *w = arg;
    mongoc_client_t *c = fx_client(&it_srv);
    double t0 = fx_now_ms();

    w->ok = get_more(c, DB, w->id, w->coll, 20000, &w->reply);
    w->took_ms = fx_now_ms() - t0;
    mongoc_client_destroy(c);
    return NULL;
}

START_TEST(test_await_data_wakes)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client(&it_srv);
    waiter_t w = {"t2", 0, 0, {0}, false};
    pthread_t th;
    bson_t r;

    make_capped(a, "t2", 100);
    insert_one(a, "t2", 1);
    CMD_OK(a, DB, "{'find': 't2', " LSID ", 'tailable': true, 'awaitData': true}", &r);
    w.id = fx_int(&r, "cursor.id");
    ck_assert(w.id != 0);
    bson_destroy(&r);
    /* maxTimeMS runs out: an empty batch, the cursor lives */
    ck_assert(get_more(a, DB, w.id, "t2", 200, &r));
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 0);
    ck_assert_int_eq(fx_int(&r, "cursor.id"), w.id);
    bson_destroy(&r);
    /* an insert from another connection wakes a parked getMore */
    ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &w), 0);
    fx_sleep_ms(300);
    CMD_OK(b, DB, "{'ping': 1}", &r); /* b's worker still serves while the getMore waits */
    bson_destroy(&r);
    insert_one(b, "t2", 2);
    pthread_join(th, NULL);
    ck_assert_msg(w.ok, "%s", fx_to_json(&w.reply));
    ASSERT_INT(&w.reply, "cursor.nextBatch.0._id", 2);
    ck_assert_int_eq(fx_int(&w.reply, "cursor.id"), w.id);
    ck_assert_msg(w.took_ms < 10000, "woke after %.0f ms of a 20000 ms wait", w.took_ms);
    bson_destroy(&w.reply);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

/* killCursors of a cursor whose awaitData getMore is parked interrupts that getMore with
 * 237 CursorKilled (mongod interrupts the operation holding a killed cursor), not at the end
 * of its maxTimeMS; the cursor is gone afterwards. */
START_TEST(test_kill_interrupts_parked_get_more)
{
    mongoc_client_t *a = IT_CLIENT();
    waiter_t w = {"t5", 0, 0, {0}, false};
    pthread_t th;
    char json[256];
    bson_t r;

    make_capped(a, "t5", 100);
    insert_one(a, "t5", 1);
    CMD_OK(a, DB, "{'find': 't5', " LSID ", 'tailable': true, 'awaitData': true}", &r);
    w.id = fx_int(&r, "cursor.id");
    ck_assert(w.id != 0);
    bson_destroy(&r);
    ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &w), 0);
    fx_sleep_ms(300);
    snprintf(json, sizeof(json), "{'killCursors': 't5', 'cursors': [{'$numberLong': '%lld'}], %s}",
             (long long)w.id, LSID);
    CMD_OK(a, DB, json, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursorsKilled"), 1);
    bson_destroy(&r);
    pthread_join(th, NULL);
    ck_assert_msg(!w.ok, "the parked getMore was not interrupted: %s", fx_to_json(&w.reply));
    ASSERT_INT(&w.reply, "code", 237);
    ASSERT_STR(&w.reply, "codeName", "CursorKilled");
    bson_destroy(&w.reply);
    ck_assert(!get_more(a, DB, w.id, "t5", 0, &r));
    ASSERT_INT(&r, "code", 43);
    bson_destroy(&r);
    mongoc_client_destroy(a);
}
END_TEST

START_TEST(test_tail_oplog)
{
    mongoc_client_t *a = IT_CLIENT();
    int64_t id;
    bson_t r;

    make_capped(a, "t3", 100);
    CMD_OK(a, "local",
           "{'find': 'oplog.rs', " LSID
           ", 'filter': {'ns': 'tailtest.t3', 'op': 'i'}, 'tailable': true, "
           "'awaitData': true}",
           &r);
    id = fx_int(&r, "cursor.id");
    ck_assert(id != 0);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    insert_one(a, "t3", 7);
    ck_assert(get_more(a, "local", id, "oplog.rs", 5000, &r));
    ASSERT_STR(&r, "cursor.nextBatch.0.op", "i");
    ASSERT_INT(&r, "cursor.nextBatch.0.o._id", 7);
    ASSERT_TYPE(&r, "cursor.nextBatch.0.ts", BSON_TYPE_TIMESTAMP);
    bson_destroy(&r);
    mongoc_client_destroy(a);
}
END_TEST

START_TEST(test_position_lost)
{
    mongoc_client_t *a = IT_CLIENT();
    int64_t id;
    bson_t r;

    make_capped(a, "t4", 2);
    insert_one(a, "t4", 1);
    insert_one(a, "t4", 2);
    CMD_OK(a, DB, "{'find': 't4', " LSID ", 'tailable': true}", &r);
    id = fx_int(&r, "cursor.id");
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_destroy(&r);
    insert_one(a, "t4", 3);
    insert_one(a, "t4", 4); /* evicts 2, where the cursor stands */
    ck_assert(!get_more(a, DB, id, "t4", 0, &r));
    ASSERT_INT(&r, "code", 136);
    ASSERT_STR(&r, "codeName", "CappedPositionLost");
    bson_destroy(&r);
    ck_assert(!get_more(a, DB, id, "t4", 0, &r)); /* the cursor died */
    ASSERT_INT(&r, "code", 43);
    bson_destroy(&r);
    CMD_OK(a, DB, "{'find': 't4', " LSID ", 'tailable': true}", &r);
    id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    CMD_OK(a, DB, "{'drop': 't4'}", &r);
    bson_destroy(&r);
    ck_assert(!get_more(a, DB, id, "t4", 0, &r));
    ASSERT_STR(&r, "codeName", "QueryPlanKilled");
    bson_destroy(&r);
    mongoc_client_destroy(a);
}
END_TEST

START_TEST(test_errors)
{
    mongoc_client_t *a = IT_CLIENT();
    int64_t id;
    bson_t r;

    CMD_OK(a, DB, "{'insert': 'plain', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_ERR(a, DB, "{'find': 'plain', 'tailable': true}", &r, 2, "BadValue");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "error processing query") != NULL &&
                      strstr(fx_str(&r, "errmsg"),
                             "tailable cursor requested on non capped collection") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    make_capped(a, "t5", 10);
    insert_one(a, "t5", 1);
    CMD_ERR(a, DB, "{'find': 't5', 'awaitData': true}", &r, 9, "FailedToParse");
    ASSERT_STR(&r, "errmsg", "Cannot set 'awaitData' without also setting 'tailable'");
    bson_destroy(&r);
    CMD_ERR(a, DB, "{'find': 't5', " LSID ", 'tailable': true, 'sort': {'_id': 1}}", &r, 2,
            "BadValue");
    ASSERT_STR(&r, "errmsg", "cannot use tailable option with a sort other than {$natural: 1}");
    bson_destroy(&r);
    CMD_ERR(a, DB, "{'find': 't5', " LSID ", 'tailable': true, 'sort': {'$natural': -1}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(a, DB, "{'find': 't5', " LSID ", 'tailable': true, 'singleBatch': true}", &r, 2,
            "BadValue");
    ASSERT_STR(&r, "errmsg", "cannot use tailable option with the 'singleBatch' option");
    bson_destroy(&r);
    CMD_OK(a, DB, "{'create': 'v5', 'viewOn': 't5', 'pipeline': []}", &r);
    bson_destroy(&r);
    CMD_ERR(a, DB, "{'find': 'v5', 'tailable': true}", &r, 168, "InvalidPipelineOperator");
    ASSERT_STR(&r, "errmsg", "Tailable cursors are not supported in aggregation.");
    bson_destroy(&r);
    CMD_OK(a, DB, "{'find': 't5', " LSID ", 'tailable': true, 'sort': {'$natural': 1}}", &r);
    id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    ck_assert(!get_more(a, DB, id, "t5", 100, &r));
    ASSERT_INT(&r, "code", 2);
    ASSERT_STR(&r, "errmsg", "cannot set maxTimeMS on getMore command for a non-awaitData cursor");
    bson_destroy(&r);
    mongoc_client_destroy(a);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("tailable");
    TCase *tc = it_tcase(s, "tailable", true);
    tcase_add_test(tc, test_tailable_sees_inserts);
    tcase_add_test(tc, test_await_data_wakes);
    tcase_add_test(tc, test_kill_interrupts_parked_get_more);
    tcase_add_test(tc, test_tail_oplog);
    tcase_add_test(tc, test_position_lost);
    tcase_add_test(tc, test_errors);
    return it_main(s);
}
