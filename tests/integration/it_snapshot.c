/*
 * tests/integration/it_snapshot.c -- readConcern "snapshot" outside transactions (libmongoc).
 *
 * find, aggregate and distinct read at atClusterTime (or the latest write when none is given)
 * on WiredTiger read timestamps: they see the old value while a newer write exists, through a
 * collection scan, an _id lookup and a secondary index alike; the reply carries atClusterTime;
 * getMores read at the cursor's time (local.oplog.rs too); a time past the history window is
 * SnapshotTooOld (239),
 * one in the future InvalidOptions (72); other commands refuse snapshot (72).
 */
#include "harness.h"

#include <time.h>

#define DB "snap"

/* op_time -- the reply's operationTime. */
static void
op_time(const bson_t *r, uint32_t *t, uint32_t *i)
{
    bson_iter_t it;

    ck_assert_msg(bson_iter_init_find(&it, r, "operationTime") && BSON_ITER_HOLDS_TIMESTAMP(&it),
                  "no operationTime: %s", fx_to_json(r));
    bson_iter_timestamp(&it, t, i);
}

/* ts_at -- the Timestamp at path. */
static void
ts_at(const bson_t *r, const char *path, uint32_t *t, uint32_t *i)
{
    bson_iter_t it;

    ck_assert_msg(bson_iter_init(&it, r) && bson_iter_find_descendant(&it, path, &it) &&
                      BSON_ITER_HOLDS_TIMESTAMP(&it),
                  "no Timestamp %s: %s", path, fx_to_json(r));
    bson_iter_timestamp(&it, t, i);
}

/* at_json -- a readConcern snapshot at (t, i) as JSON. */
static const char *
at_json(char *buf, size_t len, uint32_t t, uint32_t i)
{
    snprintf(buf, len, "{'level': 'snapshot', 'atClusterTime': {'$timestamp': {'t': %u, 'i': %u}}}",
             t, i);
    return buf;
}

START_TEST(test_snapshot_sees_old_value)
{
    mongoc_client_t *c = IT_CLIENT();
    char json[512], rc[160];
    uint32_t t, i, at, ai;
    bson_t r;

    CMD_OK(c, DB, "{'createIndexes': 'v', 'indexes': [{'key': {'x': 1}, 'name': 'x_1'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'v', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, 'x': 1}]}", &r);
    op_time(&r, &t, &i);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'v', 'updates': [{'q': {}, 'u': {'$set': {'x': 2}}, 'multi': true}]}",
           &r);
    ASSERT_INT(&r, "nModified", 2);
    bson_destroy(&r);
    at_json(rc, sizeof(rc), t, i);

    /* a collection scan, an _id lookup and an index scan, all at t */
    snprintf(json, sizeof(json), "{'find': 'v', 'sort': {'_id': 1}, 'readConcern': %s}", rc);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 1);
    ASSERT_INT(&r, "cursor.firstBatch.1.x", 1);
    ts_at(&r, "cursor.atClusterTime", &at, &ai);
    ck_assert(at == t && ai == i);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'find': 'v', 'filter': {'_id': 2}, 'readConcern': %s}", rc);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 1);
    bson_destroy(&r);
    snprintf(json, sizeof(json),
             "{'find': 'v', 'filter': {'x': 1}, 'hint': 'x_1', 'readConcern': %s}", rc);
    CMD_OK(c, DB, json, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_destroy(&r);

    /* aggregate and distinct at t */
    snprintf(json, sizeof(json),
             "{'aggregate': 'v', 'pipeline': [{'$group': {'_id': '$x', 'n': {'$sum': 1}}}], "
             "'cursor': {}, 'readConcern': %s}",
             rc);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", 2);
    ts_at(&r, "cursor.atClusterTime", &at, &ai);
    ck_assert(at == t && ai == i);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'distinct': 'v', 'key': 'x', 'readConcern': %s}", rc);
    CMD_OK(c, DB, json, &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 1);
    ASSERT_INT(&r, "values.0", 1);
    ts_at(&r, "atClusterTime", &at, &ai);
    ck_assert(at == t && ai == i);
    bson_destroy(&r);

    /* a view reads its collection at the same time */
    CMD_OK(c, DB, "{'create': 'vv', 'viewOn': 'v', 'pipeline': [{'$match': {'_id': 1}}]}", &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'find': 'vv', 'readConcern': %s}", rc);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 1);
    ts_at(&r, "cursor.atClusterTime", &at, &ai);
    ck_assert(at == t && ai == i);
    bson_destroy(&r);

    /* without atClusterTime: the latest write, and the time it read at */
    CMD_OK(c, DB, "{'find': 'v', 'readConcern': {'level': 'snapshot'}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 2);
    ts_at(&r, "cursor.atClusterTime", &at, &ai);
    ck_assert(at > t || (at == t && ai > i));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_get_more_same_time)
{
    mongoc_client_t *c = IT_CLIENT();
    char json[512];
    uint32_t t, i;
    bson_t r;

    for (int k = 0; k < 10; k++) {
        snprintf(json, sizeof(json), "{'insert': 'g', 'documents': [{'_id': %d, 'x': 'old'}]}", k);
        CMD_OK(c, DB, json, &r);
        bson_destroy(&r);
    }
    bson_t *find = fx_json("{'find': 'g', 'batchSize': 3, 'readConcern': {'level': 'snapshot'}}");
    fx_append_lsid(find, 7);
    bson_error_t e;
    ck_assert_msg(fx_cmd_bson(c, DB, find, &r, &e), "%s", fx_to_json(&r));
    bson_destroy(find);
    int64_t id = fx_int(&r, "cursor.id");
    ts_at(&r, "cursor.atClusterTime", &t, &i);
    ck_assert_int_ne(id, 0);
    bson_destroy(&r);
    /* newer writes: every document changes, one more appears */
    CMD_OK(c, DB,
           "{'update': 'g', 'updates': [{'q': {}, 'u': {'$set': {'x': 'new'}}, 'multi': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'g', 'documents': [{'_id': 99, 'x': 'new'}]}", &r);
    bson_destroy(&r);
    /* the getMores still read at the cursor's time */
    int seen = 3, rounds = 0;
    while (id != 0 && rounds++ < 10) {
        bson_t *gm = bson_new();
        BSON_APPEND_INT64(gm, "getMore", id);
        BSON_APPEND_UTF8(gm, "collection", "g");
        BSON_APPEND_INT32(gm, "batchSize", 3);
        fx_append_lsid(gm, 7);
        if (rounds % 2) { /* drivers repeat a snapshot session's readConcern: accepted */
            bson_t rcd;
            BSON_APPEND_DOCUMENT_BEGIN(gm, "readConcern", &rcd);
            BSON_APPEND_UTF8(&rcd, "level", "snapshot");
            bson_append_document_end(gm, &rcd);
        }
        ck_assert_msg(fx_cmd_bson(c, DB, gm, &r, &e), "getMore: %s", fx_to_json(&r));
        bson_destroy(gm);
        int n = fx_array_len(&r, "cursor.nextBatch");
        for (int k = 0; k < n; k++) {
            char path[64];
            snprintf(path, sizeof(path), "cursor.nextBatch.%d.x", k);
            ASSERT_STR(&r, path, "old");
        }
        seen += n;
        id = fx_int(&r, "cursor.id");
        bson_destroy(&r);
    }
    ck_assert_int_eq(seen, 10); /* not the document inserted later */
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_snapshot_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    char json[512], rc[160];
    bson_t r;
    int code = 0;

    CMD_OK(c, DB, "{'insert': 'e', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    /* older than the history window (minSnapshotHistoryWindowInSeconds): SnapshotTooOld, once
     * the master's tick has moved the oldest timestamp after the first write */
    snprintf(json, sizeof(json), "{'find': 'e', 'readConcern': %s}", at_json(rc, sizeof(rc), 1, 1));
    for (int tries = 0; tries < 50 && code != 239; tries++) {
        bson_error_t e;
        if (tries > 0)
            usleep(100 * 1000);
        if (!fx_cmd(c, DB, json, &r, &e))
            code = (int)fx_int(&r, "code");
        if (code != 239)
            bson_destroy(&r);
    }
    ck_assert_int_eq(code, 239);
    ASSERT_STR(&r, "codeName", "SnapshotTooOld");
    bson_destroy(&r);
    /* in the future */
    snprintf(json, sizeof(json), "{'find': 'e', 'readConcern': %s}",
             at_json(rc, sizeof(rc), (uint32_t)time(NULL) + 3600, 1));
    CMD_ERR(c, DB, json, &r, 72, "InvalidOptions");
    bson_destroy(&r);
    /* atClusterTime needs level snapshot; other commands refuse snapshot */
    CMD_ERR(c, DB,
            "{'find': 'e', 'readConcern': {'level': 'local', 'atClusterTime': {'$timestamp': "
            "{'t': 1, 'i': 1}}}}",
            &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'insert': 'e', 'documents': [{'_id': 2}], 'readConcern': {'level': 'snapshot'}}", &r,
            72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'count': 'e', 'readConcern': {'level': 'snapshot'}}", &r, 72,
            "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'listCollections': 1, 'readConcern': {'level': 'snapshot'}}", &r, 72,
            "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'e', 'readConcern': {'level': 'snapshot', 'atClusterTime': 'x'}}", &r,
            14, "TypeMismatch");
    bson_destroy(&r);
    /* the refused insert did nothing, the connection lives */
    CMD_OK(c, DB, "{'count': 'e'}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_oplog_at_snapshot)
{
    mongoc_client_t *c = IT_CLIENT();
    char json[512], rc[160];
    uint32_t t, i;
    bson_t r;

    CMD_OK(c, DB, "{'insert': 'o', 'documents': [{'_id': 'a'}]}", &r);
    op_time(&r, &t, &i);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'o', 'documents': [{'_id': 'b'}]}", &r);
    bson_destroy(&r);
    at_json(rc, sizeof(rc), t, i);
    /* the oplog read at t holds the first insert, not the later one, either way round */
    snprintf(json, sizeof(json),
             "{'find': 'oplog.rs', 'filter': {'ns': 'snap.o'}, 'readConcern': %s}", rc);
    CMD_OK(c, "local", json, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.o._id", "a");
    bson_destroy(&r);
    snprintf(json, sizeof(json),
             "{'find': 'oplog.rs', 'filter': {'ns': 'snap.o'}, 'sort': {'$natural': -1}, "
             "'readConcern': %s}",
             rc);
    CMD_OK(c, "local", json, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.o._id", "a");
    bson_destroy(&r);
    CMD_OK(c, "local", "{'find': 'oplog.rs', 'filter': {'ns': 'snap.o'}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = it_tcase(s, "snapshot", true);
    tcase_add_test(tc, test_snapshot_sees_old_value);
    tcase_add_test(tc, test_get_more_same_time);
    tcase_add_test(tc, test_snapshot_errors);
    tcase_add_test(tc, test_oplog_at_snapshot);
    return it_main(s);
}
