/*
 * tests/integration/it_crud.c -- every CRUD command of issue 3 through libmongoc.
 *
 * insert (ordered / unordered, duplicate _id errors with keyPattern and keyValue, generated
 * ObjectId placed first, document sequences), find (filters, dotted paths, arrays,
 * projection, sort, skip, limit, batchSize, singleBatch), getMore (also on a second
 * connection, preferably one served by the other worker), killCursors, update (n,
 * nModified, upsert, replacement, $set/$unset/$inc), delete (limit 0/1), findAndModify,
 * count, distinct, and w:0 writes.  One shared server; each test its own collection.
 */
#include "harness.h"

#define DB "crud"

/* seed -- insert n documents {_id: i, a: i % 5, b: {c: i}, tags: ["t<i%3>", "all"],
 * s: "s<i>"} into coll. */
static void
seed(mongoc_client_t *c, const char *coll, int n)
{
    bson_t cmd = BSON_INITIALIZER, docs, r;
    BSON_APPEND_UTF8(&cmd, "insert", coll);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < n; i++) {
        char key[16], tag[8], s[16];
        bson_t d, b, tags;
        snprintf(key, sizeof(key), "%d", i);
        snprintf(tag, sizeof(tag), "t%d", i % 3);
        snprintf(s, sizeof(s), "s%02d", i);
        BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_INT32(&d, "a", i % 5);
        BSON_APPEND_DOCUMENT_BEGIN(&d, "b", &b);
        BSON_APPEND_INT32(&b, "c", i);
        bson_append_document_end(&d, &b);
        BSON_APPEND_ARRAY_BEGIN(&d, "tags", &tags);
        BSON_APPEND_UTF8(&tags, "0", tag);
        BSON_APPEND_UTF8(&tags, "1", "all");
        bson_append_array_end(&d, &tags);
        BSON_APPEND_UTF8(&d, "s", s);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    bson_error_t err;
    ck_assert_msg(fx_cmd_bson(c, DB, &cmd, &r, &err), "seed: %s", fx_to_json(&r));
    ASSERT_INT(&r, "n", n);
    bson_destroy(&r);
    bson_destroy(&cmd);
}

/* batch_ids -- the int _ids of the array at path, in order; returns how many. */
static int
batch_ids(const bson_t *reply, const char *path, int *ids, int max)
{
    bson_t arr;
    bson_iter_t it;
    int n = 0;
    if (!fx_sub(reply, path, &arr))
        return -1;
    bson_iter_init(&it, &arr);
    while (bson_iter_next(&it) && n < max) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;
        ck_assert(BSON_ITER_HOLDS_DOCUMENT(&it));
        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        ids[n++] = (int)fx_int(&d, "_id");
    }
    return n;
}

/* find_count -- number of documents a filter (JSON) matches, via find (one batch). */
static int
find_count(mongoc_client_t *c, const char *coll, const char *filter_json)
{
    char json[1024];
    bson_t r;
    snprintf(json, sizeof(json), "{'find': '%s', 'filter': %s, 'batchSize': 1000}", coll,
             filter_json);
    CMD_OK(c, DB, json, &r);
    ASSERT_INT(&r, "cursor.id", 0);
    int n = fx_array_len(&r, "cursor.firstBatch");
    bson_destroy(&r);
    return n;
}

static bson_t *
get_more_cmd(int64_t id, const char *coll, int batch)
{
    bson_t *cmd = bson_new();
    BSON_APPEND_INT64(cmd, "getMore", id);
    BSON_APPEND_UTF8(cmd, "collection", coll);
    if (batch > 0)
        BSON_APPEND_INT32(cmd, "batchSize", batch);
    return cmd;
}

START_TEST(test_insert_ordered_duplicate)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, DB, "{'insert': 'ins_o', 'documents': [{'_id': 1}, {'_id': 2}]}", &r);
    ASSERT_INT(&r, "n", 2);
    ck_assert(!fx_has(&r, "writeErrors"));
    bson_destroy(&r);
    /* ordered: stops at the first error; ok is still 1 */
    CMD_OK(c, DB, "{'insert': 'ins_o', 'documents': [{'_id': 3}, {'_id': 1, 'x': 1}, {'_id': 4}]}",
           &r);
    ASSERT_INT(&r, "n", 1);
    ck_assert_int_eq(fx_array_len(&r, "writeErrors"), 1);
    ASSERT_INT(&r, "writeErrors.0.index", 1);
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    const char *msg = fx_str(&r, "writeErrors.0.errmsg");
    ck_assert_msg(msg != NULL && strncmp(msg, "E11000 duplicate key error", 26) == 0 &&
                      strstr(msg, "index: _id_") != NULL && strstr(msg, "crud.ins_o") != NULL,
                  "errmsg: %s", fx_to_json(&r));
    bson_t kp, kv;
    ck_assert_msg(fx_sub(&r, "writeErrors.0.keyPattern", &kp), "no keyPattern: %s", fx_to_json(&r));
    ck_assert(fx_eq_json(&kp, "{'_id': 1}"));
    ck_assert(fx_sub(&r, "writeErrors.0.keyValue", &kv));
    ck_assert_msg(fx_eq_json(&kv, "{'_id': 1}"), "keyValue: %s", fx_to_json(&kv));
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "ins_o", "{'_id': 3}"), 1);
    ck_assert_int_eq(find_count(c, "ins_o", "{'_id': 4}"), 0);
    ck_assert_int_eq(find_count(c, "ins_o", "{'x': 1}"), 0);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_insert_unordered_duplicates)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, DB, "{'insert': 'ins_u', 'documents': [{'_id': 1}, {'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'ins_u', 'ordered': false, 'documents': [{'_id': 5}, {'_id': 1},"
           " {'_id': 6}, {'_id': 2}, {'_id': 'k'}]}",
           &r);
    ASSERT_INT(&r, "n", 3);
    ck_assert_int_eq(fx_array_len(&r, "writeErrors"), 2);
    ASSERT_INT(&r, "writeErrors.0.index", 1);
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    ASSERT_INT(&r, "writeErrors.1.index", 3);
    ASSERT_INT(&r, "writeErrors.1.code", 11000);
    bson_t kv;
    ck_assert(fx_sub(&r, "writeErrors.1.keyValue", &kv));
    ck_assert(fx_eq_json(&kv, "{'_id': 2}"));
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "ins_u", "{}"), 5);
    /* numbers are one key space: 1.0 and NumberLong(2) collide with 1 and 2 */
    CMD_OK(c, DB,
           "{'insert': 'ins_u', 'ordered': false, 'documents': [{'_id': 1.0},"
           " {'_id': {'$numberLong': '2'}}]}",
           &r);
    ASSERT_INT(&r, "n", 0);
    ck_assert_int_eq(fx_array_len(&r, "writeErrors"), 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_insert_generates_objectid_first)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, DB, "{'insert': 'ins_id', 'documents': [{'a': 1, 'b': 'x'}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'ins_id', 'filter': {'a': 1}}", &r);
    bson_t doc;
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &doc));
    bson_iter_t it;
    ck_assert(bson_iter_init(&it, &doc) && bson_iter_next(&it));
    ck_assert_str_eq(bson_iter_key(&it), "_id");
    ck_assert_int_eq(bson_iter_type(&it), BSON_TYPE_OID);
    ck_assert(bson_iter_next(&it));
    ck_assert_str_eq(bson_iter_key(&it), "a");
    bson_destroy(&r);
    /* a given _id that is not first is moved first */
    CMD_OK(c, DB, "{'insert': 'ins_id', 'documents': [{'z': 1, '_id': 'given'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'ins_id', 'filter': {'z': 1}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &doc));
    ck_assert_msg(fx_eq_json(&doc, "{'_id': 'given', 'z': 1}"), "%s", fx_to_json(&doc));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_insert_many_document_sequence)
{
    /* libmongoc sends insert_many as an OP_MSG kind-1 "documents" sequence */
    mongoc_client_t *c = IT_CLIENT();
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "ins_seq");
    enum {
        N = 500
    };
    bson_t *docs[N];
    for (int i = 0; i < N; i++) {
        docs[i] = bson_new();
        BSON_APPEND_INT32(docs[i], "_id", i);
        BSON_APPEND_UTF8(docs[i], "pad", "0123456789abcdef0123456789abcdef");
    }
    bson_t reply;
    bson_error_t err;
    ck_assert_msg(mongoc_collection_insert_many(coll, (const bson_t **)docs, N, NULL, &reply, &err),
                  "insert_many: %s %s", err.message, fx_to_json(&reply));
    ASSERT_INT(&reply, "insertedCount", N);
    bson_destroy(&reply);
    /* count_documents would need aggregate (not in this scope): ask count */
    CMD_OK(c, DB, "{'count': 'ins_seq'}", &reply);
    ASSERT_INT(&reply, "n", N);
    bson_destroy(&reply);
    for (int i = 0; i < N; i++)
        bson_destroy(docs[i]);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_filters)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "filt", 20);
    ck_assert_int_eq(find_count(c, "filt", "{}"), 20);
    ck_assert_int_eq(find_count(c, "filt", "{'a': 2}"), 4);
    ck_assert_int_eq(find_count(c, "filt", "{'a': {'$eq': 2}}"), 4);
    ck_assert_int_eq(find_count(c, "filt", "{'a': {'$ne': 2}}"), 16);
    ck_assert_int_eq(find_count(c, "filt", "{'_id': {'$gte': 5, '$lt': 10}}"), 5);
    ck_assert_int_eq(find_count(c, "filt", "{'_id': {'$gt': 5, '$lte': 10}}"), 5);
    ck_assert_int_eq(find_count(c, "filt", "{'_id': {'$gt': 4.5}}"), 15);
    ck_assert_int_eq(find_count(c, "filt", "{'a': {'$in': [0, 1]}}"), 8);
    ck_assert_int_eq(find_count(c, "filt", "{'a': {'$nin': [0, 1]}}"), 12);
    ck_assert_int_eq(find_count(c, "filt", "{'b.c': {'$gte': 15}}"), 5);
    ck_assert_int_eq(find_count(c, "filt", "{'b.c': 3}"), 1);
    ck_assert_int_eq(find_count(c, "filt", "{'tags': 't1'}"), 7);
    ck_assert_int_eq(find_count(c, "filt", "{'tags': 'all'}"), 20);
    ck_assert_int_eq(find_count(c, "filt", "{'tags.0': 't2'}"), 6);
    ck_assert_int_eq(find_count(c, "filt", "{'b': {'c': 4}}"), 1);
    ck_assert_int_eq(find_count(c, "filt", "{'s': 's07'}"), 1);
    ck_assert_int_eq(find_count(c, "filt", "{'missing': {'$exists': true}}"), 0);
    ck_assert_int_eq(find_count(c, "filt", "{'missing': {'$exists': false}}"), 20);
    ck_assert_int_eq(find_count(c, "filt", "{'missing': null}"), 20);
    ck_assert_int_eq(find_count(c, "filt", "{'$and': [{'a': 1}, {'_id': {'$gt': 5}}]}"), 3);
    ck_assert_int_eq(find_count(c, "filt", "{'$or': [{'a': 1}, {'_id': 0}]}"), 5);
    ck_assert_int_eq(find_count(c, "filt", "{'a': 1, '_id': {'$lt': 10}}"), 2);
    ck_assert_int_eq(find_count(c, "filt", "{'a': '1'}"), 0);
    ck_assert_int_eq(find_count(c, "filt", "{'a': {'$numberLong': '3'}}"), 4);
    ck_assert_int_eq(find_count(c, "filt", "{'a': 3.0}"), 4);
    /* a missing collection is an empty result, not an error */
    ck_assert_int_eq(find_count(c, "no_such_collection", "{}"), 0);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_projection_sort_skip_limit)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "proj", 20);
    bson_t r, d;
    CMD_OK(c, DB, "{'find': 'proj', 'filter': {'_id': 7}, 'projection': {'a': 1}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 7, 'a': 2}"), "inclusion: %s", fx_to_json(&d));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'proj', 'filter': {'_id': 7}, 'projection': {'a': 1, '_id': 0}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'a': 2}"), "inclusion without _id: %s", fx_to_json(&d));
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'find': 'proj', 'filter': {'_id': 7}, 'projection': {'tags': 0, 's': 0, 'b': 0}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 7, 'a': 2}"), "exclusion: %s", fx_to_json(&d));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'proj', 'filter': {'_id': 7}, 'projection': {'b.c': 1}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 7, 'b': {'c': 7}}"), "dotted: %s", fx_to_json(&d));
    bson_destroy(&r);

    int ids[32], n;
    CMD_OK(c, DB, "{'find': 'proj', 'sort': {'a': -1, '_id': 1}, 'limit': 6}", &r);
    n = batch_ids(&r, "cursor.firstBatch", ids, 32);
    int want_sort[] = {4, 9, 14, 19, 3, 8};
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(ids[i] == want_sort[i], "sort position %d: %d, want %d", i, ids[i],
                      want_sort[i]);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'proj', 'sort': {'_id': 1}, 'skip': 3, 'limit': 4}", &r);
    n = batch_ids(&r, "cursor.firstBatch", ids, 32);
    ck_assert_int_eq(n, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ids[i], 3 + i);
    ASSERT_INT(&r, "cursor.id", 0);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'proj', 'sort': {'s': -1}, 'skip': 18}", &r);
    n = batch_ids(&r, "cursor.firstBatch", ids, 32);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], 0);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'proj', 'skip': 25}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_batches_and_get_more)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "batches", 23);
    bson_t r;
    CMD_OK(c, DB, "{'find': 'batches', 'sort': {'_id': 1}, 'batchSize': 5}", &r);
    ASSERT_STR(&r, "cursor.ns", DB ".batches");
    ASSERT_TYPE(&r, "cursor.id", BSON_TYPE_INT64);
    int64_t id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "batchSize 5 of 23 must leave a cursor open: %s", fx_to_json(&r));
    int ids[64], seen = batch_ids(&r, "cursor.firstBatch", ids, 64);
    ck_assert_int_eq(seen, 5);
    bson_destroy(&r);
    int rounds = 0;
    while (id != 0 && rounds++ < 10) {
        bson_t *gm = get_more_cmd(id, "batches", 5);
        bson_error_t err;
        ck_assert_msg(fx_cmd_bson(c, DB, gm, &r, &err), "getMore: %s", fx_to_json(&r));
        ASSERT_STR(&r, "cursor.ns", DB ".batches");
        ASSERT_TYPE(&r, "cursor.nextBatch", BSON_TYPE_ARRAY);
        int n = batch_ids(&r, "cursor.nextBatch", ids + seen, 64 - seen);
        ck_assert_int_le(n, 5);
        seen += n;
        int64_t next = fx_int(&r, "cursor.id");
        ck_assert_msg(next == 0 || next == id, "cursor id changed: %lld -> %lld", (long long)id,
                      (long long)next);
        id = next;
        bson_destroy(&r);
        bson_destroy(gm);
    }
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(seen, 23);
    for (int i = 0; i < 23; i++)
        ck_assert_int_eq(ids[i], i);
    /* singleBatch closes the cursor after the first batch */
    CMD_OK(c, DB, "{'find': 'batches', 'batchSize': 3, 'singleBatch': true}", &r);
    ASSERT_INT(&r, "cursor.id", 0);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    bson_destroy(&r);
    /* limit smaller than the batch closes it too */
    CMD_OK(c, DB, "{'find': 'batches', 'batchSize': 10, 'limit': 4}", &r);
    ASSERT_INT(&r, "cursor.id", 0);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 4);
    bson_destroy(&r);
    /* batchSize 0: an empty first batch and an open cursor */
    CMD_OK(c, DB, "{'find': 'batches', 'batchSize': 0}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    id = fx_int(&r, "cursor.id");
    ck_assert_int_ne(id, 0);
    bson_destroy(&r);
    bson_t *gm = get_more_cmd(id, "batches", 0);
    bson_error_t err;
    ck_assert(fx_cmd_bson(c, DB, gm, &r, &err));
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 23);
    ASSERT_INT(&r, "cursor.id", 0);
    bson_destroy(&r);
    bson_destroy(gm);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_get_more_on_second_connection)
{
    /* DESIGN.md: cursors live in the master, so a getMore may come on any connection and
     * so any worker.  Prefer a second connection that another worker serves. */
    mongoc_client_t *a = IT_CLIENT();
    int pa = fx_client_local_port(&it_srv, a);
    seed(a, "twoconn", 30);
    pid_t wa = pa > 0 ? fx_conn_owner(&it_srv, pa) : 0;
    mongoc_client_t *b = NULL;
    pid_t wb = 0;
    for (int tries = 0; tries < 40; tries++) {
        b = fx_client(&it_srv);
        int pb = fx_client_local_port(&it_srv, b);
        wb = pb > 0 ? fx_conn_owner(&it_srv, pb) : 0;
        if (wa == 0 || wb == 0 || wb != wa)
            break;
        mongoc_client_destroy(b);
        b = NULL;
    }
    if (b == NULL)
        b = fx_client(&it_srv);
    if (wa != 0 && wb != 0 && wa == wb)
        fprintf(stderr, "note: both connections landed on worker %d\n", (int)wa);
    bson_t r;
    bson_error_t ferr;
    bson_t *find = fx_json("{'find': 'twoconn', 'sort': {'_id': 1}, 'batchSize': 7}");
    fx_append_lsid(find, 1); /* one session on both connections: the cursor is bound to it */
    ck_assert_msg(fx_cmd_bson(a, DB, find, &r, &ferr), "find: %s", fx_to_json(&r));
    bson_destroy(find);
    int64_t id = fx_int(&r, "cursor.id");
    ck_assert_int_ne(id, 0);
    bson_destroy(&r);
    int ids[64], seen = 7, rounds = 0;
    while (id != 0 && rounds++ < 10) {
        bson_t *gm = get_more_cmd(id, "twoconn", 7);
        bson_error_t err;
        fx_append_lsid(gm, 1);
        /* alternate: b, a, b, ... */
        mongoc_client_t *on = (rounds % 2) ? b : a;
        ck_assert_msg(fx_cmd_bson(on, DB, gm, &r, &err), "getMore on %s: %s",
                      on == b ? "second connection" : "first connection", fx_to_json(&r));
        int n = batch_ids(&r, "cursor.nextBatch", ids, 64);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(ids[i], seen + i);
        seen += n;
        id = fx_int(&r, "cursor.id");
        bson_destroy(&r);
        bson_destroy(gm);
    }
    ck_assert_int_eq(seen, 30);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

START_TEST(test_kill_cursors)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "kc", 10);
    bson_t r;
    CMD_OK(c, DB, "{'find': 'kc', 'batchSize': 1}", &r);
    int64_t id = fx_int(&r, "cursor.id");
    ck_assert_int_ne(id, 0);
    bson_destroy(&r);
    bson_t *kc = bson_new(), arr;
    BSON_APPEND_UTF8(kc, "killCursors", "kc");
    BSON_APPEND_ARRAY_BEGIN(kc, "cursors", &arr);
    BSON_APPEND_INT64(&arr, "0", id);
    BSON_APPEND_INT64(&arr, "1", 123456789);
    bson_append_array_end(kc, &arr);
    bson_error_t err;
    ck_assert_msg(fx_cmd_bson(c, DB, kc, &r, &err), "killCursors: %s", fx_to_json(&r));
    ck_assert_int_eq(fx_array_len(&r, "cursorsKilled"), 1);
    ASSERT_INT(&r, "cursorsKilled.0", id);
    ck_assert_int_eq(fx_array_len(&r, "cursorsNotFound"), 1);
    ASSERT_INT(&r, "cursorsNotFound.0", 123456789);
    ck_assert_int_eq(fx_array_len(&r, "cursorsAlive"), 0);
    bson_destroy(&r);
    bson_destroy(kc);
    bson_t *gm = get_more_cmd(id, "kc", 1);
    ck_assert(!fx_cmd_bson(c, DB, gm, &r, &err));
    ASSERT_INT(&r, "code", 43);
    ASSERT_STR(&r, "codeName", "CursorNotFound");
    bson_destroy(&r);
    bson_destroy(gm);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_update)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "upd", 10);
    bson_t r, d;
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'x': 5}}}]}", &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    /* the same $set again matches but modifies nothing */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'x': 5}}}]}", &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 0);
    bson_destroy(&r);
    /* multi with $inc */
    CMD_OK(c, DB,
           "{'update': 'upd', 'updates': [{'q': {'a': 1}, 'u': {'$inc': {'b.c': 100}},"
           " 'multi': true}]}",
           &r);
    ASSERT_INT(&r, "n", 2);
    ASSERT_INT(&r, "nModified", 2);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "upd", "{'b.c': {'$gte': 100}}"), 2);
    /* without multi only one document changes */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {}, 'u': {'$set': {'one': true}}}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "upd", "{'one': true}"), 1);
    /* $unset */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 1}, 'u': {'$unset': {'s': ''}}}]}",
           &r);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "upd", "{'_id': 1, 's': {'$exists': false}}"), 1);
    /* replacement keeps _id and drops the other fields */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 2}, 'u': {'only': 'this'}}]}", &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'upd', 'filter': {'_id': 2}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 2, 'only': 'this'}"), "replaced: %s", fx_to_json(&d));
    bson_destroy(&r);
    /* no match, no upsert */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 99}, 'u': {'$set': {'x': 1}}}]}",
           &r);
    ASSERT_INT(&r, "n", 0);
    ASSERT_INT(&r, "nModified", 0);
    ck_assert(!fx_has(&r, "upserted"));
    bson_destroy(&r);
    /* upsert: the equality fields of the query seed the new document */
    CMD_OK(c, DB,
           "{'update': 'upd', 'updates': [{'q': {'_id': 99, 'k': 'v'},"
           " 'u': {'$set': {'x': 1}}, 'upsert': true}]}",
           &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 0);
    ck_assert_int_eq(fx_array_len(&r, "upserted"), 1);
    ASSERT_INT(&r, "upserted.0.index", 0);
    ASSERT_INT(&r, "upserted.0._id", 99);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'upd', 'filter': {'_id': 99}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_eq_json(&d, "{'_id': 99, 'k': 'v', 'x': 1}"), "upserted: %s", fx_to_json(&d));
    bson_destroy(&r);
    /* upsert without _id in the query generates an ObjectId */
    CMD_OK(c, DB,
           "{'update': 'upd', 'updates': [{'q': {'name': 'new'}, 'u': {'$inc': {'n': 1}},"
           " 'upsert': true}]}",
           &r);
    ASSERT_TYPE(&r, "upserted.0._id", BSON_TYPE_OID);
    bson_destroy(&r);
    /* several statements in one command */
    CMD_OK(c, DB,
           "{'update': 'upd', 'updates': [{'q': {'_id': 3}, 'u': {'$set': {'m': 1}}},"
           " {'q': {'_id': 4}, 'u': {'$set': {'m': 1}}}]}",
           &r);
    ASSERT_INT(&r, "n", 2);
    ASSERT_INT(&r, "nModified", 2);
    bson_destroy(&r);
    /* changing _id is an error (ImmutableField, 66) reported as a write error */
    CMD_OK(c, DB, "{'update': 'upd', 'updates': [{'q': {'_id': 3}, 'u': {'$set': {'_id': 33}}}]}",
           &r);
    ASSERT_INT(&r, "writeErrors.0.code", 66);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_delete)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "del", 10);
    bson_t r;
    CMD_OK(c, DB, "{'delete': 'del', 'deletes': [{'q': {'a': 1}, 'limit': 1}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "del", "{'a': 1}"), 1);
    CMD_OK(c, DB, "{'delete': 'del', 'deletes': [{'q': {'_id': {'$gte': 5}}, 'limit': 0}]}", &r);
    ck_assert_int_ge(fx_int(&r, "n"), 4);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "del", "{'_id': {'$gte': 5}}"), 0);
    CMD_OK(c, DB, "{'delete': 'del', 'deletes': [{'q': {'_id': 1000}, 'limit': 1}]}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'del', 'deletes': [{'q': {}, 'limit': 0}]}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "del", "{}"), 0);
    /* deleted _ids can be inserted again */
    CMD_OK(c, DB, "{'insert': 'del', 'documents': [{'_id': 1}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_and_modify)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "fam", 10);
    bson_t r, v;
    /* default: the document before the change */
    CMD_OK(c, DB, "{'findAndModify': 'fam', 'query': {'_id': 3}, 'update': {'$inc': {'a': 10}}}",
           &r);
    ASSERT_INT(&r, "value._id", 3);
    ASSERT_INT(&r, "value.a", 3);
    ASSERT_INT(&r, "lastErrorObject.n", 1);
    ck_assert(fx_bool(&r, "lastErrorObject.updatedExisting"));
    bson_destroy(&r);
    /* new: true: after, with a projection */
    CMD_OK(c, DB,
           "{'findAndModify': 'fam', 'query': {'_id': 3}, 'update': {'$inc': {'a': 10}},"
           " 'new': true, 'fields': {'a': 1, '_id': 0}}",
           &r);
    ck_assert(fx_sub(&r, "value", &v));
    ck_assert_msg(fx_eq_json(&v, "{'a': 23}"), "value: %s", fx_to_json(&r));
    bson_destroy(&r);
    /* sort picks which of several */
    CMD_OK(c, DB,
           "{'findAndModify': 'fam', 'query': {'a': {'$lt': 5}}, 'sort': {'_id': -1},"
           " 'update': {'$set': {'picked': true}}, 'new': true}",
           &r);
    ASSERT_INT(&r, "value._id", 9);
    ck_assert(fx_bool(&r, "value.picked"));
    bson_destroy(&r);
    /* upsert + new */
    CMD_OK(c, DB,
           "{'findAndModify': 'fam', 'query': {'_id': 50}, 'update': {'$set': {'u': 1}},"
           " 'upsert': true, 'new': true}",
           &r);
    ck_assert(fx_sub(&r, "value", &v));
    ck_assert_msg(fx_eq_json(&v, "{'_id': 50, 'u': 1}"), "upserted value: %s", fx_to_json(&r));
    ck_assert(!fx_bool(&r, "lastErrorObject.updatedExisting"));
    ASSERT_INT(&r, "lastErrorObject.upserted", 50);
    bson_destroy(&r);
    /* replacement */
    CMD_OK(c, DB, "{'findAndModify': 'fam', 'query': {'_id': 4}, 'update': {'r': 1}, 'new': true}",
           &r);
    ck_assert(fx_sub(&r, "value", &v));
    ck_assert(fx_eq_json(&v, "{'_id': 4, 'r': 1}"));
    bson_destroy(&r);
    /* remove */
    CMD_OK(c, DB, "{'findAndModify': 'fam', 'query': {'_id': 5}, 'remove': true}", &r);
    ASSERT_INT(&r, "value._id", 5);
    ASSERT_INT(&r, "lastErrorObject.n", 1);
    bson_destroy(&r);
    ck_assert_int_eq(find_count(c, "fam", "{'_id': 5}"), 0);
    /* no match: value null */
    CMD_OK(c, DB, "{'findAndModify': 'fam', 'query': {'_id': 777}, 'update': {'$set': {'x': 1}}}",
           &r);
    ASSERT_TYPE(&r, "value", BSON_TYPE_NULL);
    ASSERT_INT(&r, "lastErrorObject.n", 0);
    bson_destroy(&r);
    /* also spelled findandmodify */
    CMD_OK(c, DB, "{'findandmodify': 'fam', 'query': {'_id': 6}, 'remove': true}", &r);
    ASSERT_INT(&r, "value._id", 6);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_count_and_distinct)
{
    mongoc_client_t *c = IT_CLIENT();
    seed(c, "cnt", 20);
    bson_t r;
    CMD_OK(c, DB, "{'count': 'cnt'}", &r);
    ASSERT_INT(&r, "n", 20);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'cnt', 'query': {'a': 2}}", &r);
    ASSERT_INT(&r, "n", 4);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'cnt', 'query': {}, 'skip': 15, 'limit': 3}", &r);
    ASSERT_INT(&r, "n", 3);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'nothing_here'}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);

    CMD_OK(c, DB, "{'distinct': 'cnt', 'key': 'a'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 5);
    bson_t vals;
    bson_iter_t it;
    int seen = 0;
    ck_assert(fx_sub(&r, "values", &vals));
    bson_iter_init(&it, &vals);
    while (bson_iter_next(&it)) {
        ck_assert(BSON_ITER_HOLDS_NUMBER(&it));
        int v = (int)bson_iter_as_int64(&it);
        ck_assert(v >= 0 && v < 5 && !(seen & (1 << v)));
        seen |= 1 << v;
    }
    bson_destroy(&r);
    CMD_OK(c, DB, "{'distinct': 'cnt', 'key': 'a', 'query': {'_id': {'$lt': 3}}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 3);
    bson_destroy(&r);
    /* arrays are unwound */
    CMD_OK(c, DB, "{'distinct': 'cnt', 'key': 'tags'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 4);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'distinct': 'cnt', 'key': 'b.c', 'query': {'_id': {'$gte': 18}}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_unacknowledged_writes)
{
    /* w:0: libmongoc sends the insert with moreToCome and reads no reply */
    mongoc_client_t *c = IT_CLIENT();
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "w0");
    mongoc_write_concern_t *wc = mongoc_write_concern_new();
    mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED);
    bson_t opts = BSON_INITIALIZER;
    mongoc_write_concern_append(wc, &opts);
    bson_error_t err;
    for (int i = 0; i < 20; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i));
        ck_assert_msg(mongoc_collection_insert_one(coll, doc, &opts, NULL, &err), "%s",
                      err.message);
        bson_destroy(doc);
    }
    /* a later acknowledged command on the same connection sees them all (in order) */
    bson_t r;
    CMD_OK(c, DB, "{'count': 'w0'}", &r);
    ASSERT_INT(&r, "n", 20);
    bson_destroy(&r);
    bson_destroy(&opts);
    mongoc_write_concern_destroy(wc);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_cursor_api_many_batches)
{
    /* the driver's own cursor: find with batchSize over 1000 documents */
    mongoc_client_t *c = IT_CLIENT();
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "many");
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
    for (int i = 0; i < 1000; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i), "sq", BCON_INT64((int64_t)i * i));
        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
    }
    bson_t reply;
    bson_error_t err;
    ck_assert_msg(mongoc_bulk_operation_execute(bulk, &reply, &err), "bulk: %s", err.message);
    ASSERT_INT(&reply, "nInserted", 1000);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    bson_t *filter = fx_json("{'_id': {'$gte': 100}}");
    bson_t *opts = fx_json("{'batchSize': 10, 'sort': {'_id': 1}}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
    const bson_t *doc;
    int n = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        ck_assert_int_eq(fx_int(doc, "_id"), 100 + n);
        ck_assert_int_eq(fx_int(doc, "sq"), (int64_t)(100 + n) * (100 + n));
        n++;
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &err), "cursor: %s", err.message);
    ck_assert_int_eq(n, 900);
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    bson_destroy(opts);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("crud");
    TCase *tc = it_tcase(s, "crud", true);
    tcase_add_test(tc, test_insert_ordered_duplicate);
    tcase_add_test(tc, test_insert_unordered_duplicates);
    tcase_add_test(tc, test_insert_generates_objectid_first);
    tcase_add_test(tc, test_insert_many_document_sequence);
    tcase_add_test(tc, test_find_filters);
    tcase_add_test(tc, test_find_projection_sort_skip_limit);
    tcase_add_test(tc, test_find_batches_and_get_more);
    tcase_add_test(tc, test_get_more_on_second_connection);
    tcase_add_test(tc, test_kill_cursors);
    tcase_add_test(tc, test_update);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_find_and_modify);
    tcase_add_test(tc, test_count_and_distinct);
    tcase_add_test(tc, test_unacknowledged_writes);
    tcase_add_test(tc, test_cursor_api_many_batches);
    return it_main(s);
}
