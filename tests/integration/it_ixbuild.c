/*
 * tests/integration/it_ixbuild.c -- index builds over existing data, through libmongoc.
 *
 * A build runs off the channel and off the exclusive lock (src/master/ixbuild.c): while
 * mongod's hangIndexBuildDuringCollectionScanPhaseBeforeInsertion failpoint holds a build of
 * 200,000 documents (its index registered, its scan not finished), another connection
 * inserts, updates, deletes and reads, and each of those finishes before the createIndexes
 * reply arrives (ordering, not timing).  Afterwards the index holds exactly the right
 * entries: covered counts (no document fetched, so a stale entry would show) equal
 * collection-scan counts, and validate finds the index consistent.  A build that meets a duplicate key, whether in the data or
 * written during the build, fails with 11000 and leaves no index; dropping the collection
 * during a build aborts it with IndexBuildAborted.  One shared server.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define DB "ixbuild"
#define NDOCS 200000
#define FP "hangIndexBuildDuringCollectionScanPhaseBeforeInsertion"
#define WAIT_LINE "Too many index builds running simultaneously" /* mongod's log 4715500 */

/* A createIndexes run on its own connection and thread. */
typedef struct bg {
    fx_server_t *srv;
    char json[512];
    bson_t reply;
    bool ok;
    atomic_int done;
    pthread_t t;
} bg_t;

static void *
bg_main(void *arg)
{
    bg_t *b = arg;
    mongoc_client_t *c = fx_client(b->srv);
    bson_error_t e;

    b->ok = fx_cmd(c, DB, b->json, &b->reply, &e);
    atomic_store(&b->done, 1);
    mongoc_client_destroy(c);
    return NULL;
}

static void
bg_start(fx_server_t *srv, bg_t *b, const char *json)
{
    memset(b, 0, sizeof(*b));
    b->srv = srv;
    snprintf(b->json, sizeof(b->json), "%s", json);
    ck_assert_int_eq(pthread_create(&b->t, NULL, bg_main, b), 0);
}

static void
bg_join(bg_t *b)
{
    pthread_join(b->t, NULL);
}

/* fp_set -- configure the hang failpoint (mode as JSON); the times it was entered so far. */
static int64_t
fp_set(mongoc_client_t *c, const char *mode)
{
    char cmd[256];
    bson_t r;
    int64_t n;

    snprintf(cmd, sizeof(cmd), "{'configureFailPoint': '%s', 'mode': %s}", FP, mode);
    CMD_OK(c, "admin", cmd, &r);
    n = fx_int(&r, "count");
    bson_destroy(&r);
    return n;
}

/* hold_build -- turn the failpoint on and wait until a build has entered it: from then on
 * that build's index is registered and its scan waits. */
static void
hold_build_on(fx_server_t *srv, mongoc_client_t *c, bg_t *b, const char *json)
{
    int64_t before = fp_set(c, "'alwaysOn'");

    bg_start(srv, b, json);
    while (fp_set(c, "'alwaysOn'") == before)
        usleep(1000); /* polling, not a timing assertion: the tcase timeout guards */
}

static void
hold_build(mongoc_client_t *c, bg_t *b, const char *json)
{
    hold_build_on(&it_srv, c, b, json);
}

static void
fresh(mongoc_client_t *c, const char *coll)
{
    fx_drop(c, DB, coll);
}

/* fill -- NDOCS documents {_id: i, a: i % 5000}. */
static void
fill(mongoc_client_t *c, const char *coll)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    enum {
        BATCH = 10000
    };
    bson_t *docs[BATCH];
    bson_error_t e;

    for (int base = 0; base < NDOCS; base += BATCH) {
        for (int i = 0; i < BATCH; i++)
            docs[i] = BCON_NEW("_id", BCON_INT32(base + i), "a", BCON_INT32((base + i) % 5000));
        bool ok = mongoc_collection_insert_many(col, (const bson_t **)docs, BATCH, NULL, NULL, &e);
        for (int i = 0; i < BATCH; i++)
            bson_destroy(docs[i]);
        ck_assert_msg(ok, "insert_many: %s", e.message);
    }
    mongoc_collection_destroy(col);
}

/* fill_cmd -- n documents {_id: i, a: i} in one insert command (not a retryable write: the
 * session of the big fill has 200,000 statements behind it, each checked again). */
static void
fill_cmd(mongoc_client_t *c, const char *coll, int n)
{
    bson_t cmd = BSON_INITIALIZER, docs, r;
    bson_error_t e;
    char key[16];
    const char *k;

    BSON_APPEND_UTF8(&cmd, "insert", coll);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < n; i++) {
        bson_t d;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT_BEGIN(&docs, k, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_INT32(&d, "a", i);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    ck_assert_msg(fx_cmd_bson(c, DB, &cmd, &r, &e), "insert: %s", e.message);
    ASSERT_INT(&r, "n", n);
    bson_destroy(&r);
    bson_destroy(&cmd);
}

/* count_with -- documents a find of `filter` returns with find options `opts` (JSON). */
static int64_t
count_with(mongoc_client_t *c, const char *coll, const char *filter, const char *opts)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_t *f = fx_json(filter), *o = fx_json(opts);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, f, o, NULL);
    const bson_t *doc;
    bson_error_t e;
    int64_t n = 0;

    while (mongoc_cursor_next(cur, &doc))
        n++;
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "find %s %s: %s", filter, opts, e.message);
    mongoc_cursor_destroy(cur);
    bson_destroy(f);
    bson_destroy(o);
    mongoc_collection_destroy(col);
    return n;
}

/* same_counts -- the covered a_1 count of filter equals the collection scan's, and is want. */
static void
same_counts(mongoc_client_t *c, const char *filter, int64_t want)
{
    int64_t ix = count_with(
        c, "big", filter, "{'hint': 'a_1', 'projection': {'_id': 0, 'a': 1}, 'batchSize': 50000}");
    int64_t scan = count_with(c, "big", filter, "{'hint': {'$natural': 1}, 'batchSize': 50000}");

    ck_assert_msg(ix == scan && scan == want, "%s: index %lld, scan %lld, want %lld", filter,
                  (long long)ix, (long long)scan, (long long)want);
}

/* step -- one write or read on the other connection while the build is held; it must finish
 * before the build answers. */
static void
step(mongoc_client_t *c, bg_t *b, const char *json, const char *field, int64_t want)
{
    bson_t r;

    CMD_OK(c, DB, json, &r);
    if (field != NULL)
        ASSERT_INT(&r, field, want);
    bson_destroy(&r);
    ck_assert_msg(!atomic_load(&b->done), "createIndexes answered before %s finished", json);
}

START_TEST(test_build_while_others_work)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bg_t b;

    fresh(c, "big");
    fill(c, "big");
    hold_build(c, &b, "{'createIndexes': 'big', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}");
    /* new documents, keys moved (out of 0..4999), documents deleted, and reads */
    step(c, &b,
         "{'insert': 'big', 'documents': [{'_id': 300000, 'a': 7}, {'_id': 300001, 'a': 7}, "
         "{'_id': 300002, 'a': 1500}]}",
         "n", 3);
    step(c, &b,
         "{'update': 'big', 'updates': [{'q': {'_id': {'$lt': 1000}}, "
         "'u': {'$set': {'a': 9000}}, 'multi': true}]}",
         "nModified", 1000);
    step(c, &b,
         "{'delete': 'big', 'deletes': [{'q': {'_id': {'$gte': 1000, '$lt': 2000}}, "
         "'limit': 0}]}",
         "n", 1000);
    step(c, &b, "{'update': 'big', 'updates': [{'q': {'_id': 300001}, 'u': {'$set': {'a': 8}}}]}",
         "nModified", 1);
    step(c, &b, "{'count': 'big', 'query': {'a': 9000}}", "n", 1000);
    step(c, &b, "{'listIndexes': 'big'}", NULL, 0);
    fp_set(c, "'off'");
    bg_join(&b);
    ck_assert_msg(b.ok, "createIndexes: %s", fx_to_json(&b.reply));
    ASSERT_INT(&b.reply, "numIndexesBefore", 1);
    ASSERT_INT(&b.reply, "numIndexesAfter", 2);
    bson_destroy(&b.reply);
    /* a = 7: 40 originals less _id 7 (moved), plus _id 300000 */
    same_counts(c, "{'a': 7}", 40);
    same_counts(c, "{'a': 8}", 40);
    same_counts(c, "{'a': 9000}", 1000);
    same_counts(c, "{'a': 1500}", 40); /* _id 1500 deleted, _id 300002 added */
    same_counts(c, "{'a': 1000}", 39); /* _id 1000 deleted */
    same_counts(c, "{'a': {'$gte': 0}}", NDOCS + 3 - 1000);
    /* the covered count fetched no document: it counted index entries */
    CMD_OK(c, DB,
           "{'explain': {'find': 'big', 'filter': {'a': 7}, 'hint': 'a_1', "
           "'projection': {'_id': 0, 'a': 1}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_INT(&r, "executionStats.totalDocsExamined", 0);
    ASSERT_INT(&r, "executionStats.totalKeysExamined", 41); /* and the one past, as mongod */
    bson_destroy(&r);
    /* validate compares every record's entries with the index table: none missing or extra */
    CMD_OK(c, DB, "{'validate': 'big', 'full': true}", &r);
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* later writes maintain it as any index */
    CMD_OK(c, DB, "{'insert': 'big', 'documents': [{'_id': 400000, 'a': 7}]}", &r);
    bson_destroy(&r);
    same_counts(c, "{'a': 7}", 41);
    mongoc_client_destroy(c);
}
END_TEST

/* Duplicate keys in the data: 11000 in mongod's words, and no index is left behind. */
START_TEST(test_duplicate_leaves_nothing)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "d");
    CMD_OK(c, DB,
           "{'insert': 'd', 'documents': [{'_id': 1, 'u': 1}, {'_id': 2, 'u': 2}, "
           "{'_id': 3, 'u': 1}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'd', 'indexes': [{'key': {'v': 1}, 'name': 'v_1'}, "
            "{'key': {'u': 1}, 'name': 'u_1', 'unique': true}]}",
            &r, 11000, "DuplicateKey");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "E11000 duplicate key error collection: ixbuild.d "
                                               "index: u_1 dup key: { u: 1 }") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'd'}", &r);
    ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* the names are free again: a non-unique u_1 and v_1 build */
    CMD_OK(c, DB,
           "{'createIndexes': 'd', 'indexes': [{'key': {'v': 1}, 'name': 'v_1'}, "
           "{'key': {'u': 1}, 'name': 'u_1'}]}",
           &r);
    ASSERT_INT(&r, "numIndexesAfter", 3);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* A duplicate written while a unique index builds fails the build at its end. */
START_TEST(test_duplicate_during_build)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bg_t b;

    fresh(c, "e");
    CMD_OK(c, DB, "{'insert': 'e', 'documents': [{'_id': 1, 'u': 1}, {'_id': 2, 'u': 2}]}", &r);
    bson_destroy(&r);
    hold_build(c, &b,
               "{'createIndexes': 'e', 'indexes': [{'key': {'u': 1}, 'name': 'u_1', "
               "'unique': true}]}");
    CMD_OK(c, DB, "{'insert': 'e', 'documents': [{'_id': 3, 'u': 2}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    /* a key that moves away and back is no duplicate */
    CMD_OK(c, DB, "{'update': 'e', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'u': 5}}}]}", &r);
    bson_destroy(&r);
    fp_set(c, "'off'");
    bg_join(&b);
    ck_assert_msg(!b.ok && fx_int(&b.reply, "code") == 11000, "%s", fx_to_json(&b.reply));
    bson_destroy(&b.reply);
    CMD_OK(c, DB, "{'listIndexes': 'e'}", &r);
    ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* without the duplicate the same build succeeds */
    CMD_OK(c, DB, "{'delete': 'e', 'deletes': [{'q': {'_id': 3}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'e', 'indexes': [{'key': {'u': 1}, 'name': 'u_1', "
           "'unique': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'e', 'documents': [{'_id': 4, 'u': 5}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Dropping the collection during a build aborts the build. */
START_TEST(test_drop_aborts_build)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bg_t b;

    fresh(c, "f");
    CMD_OK(c, DB, "{'insert': 'f', 'documents': [{'_id': 1, 'u': 1}]}", &r);
    bson_destroy(&r);
    hold_build(c, &b, "{'createIndexes': 'f', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}");
    CMD_OK(c, DB, "{'drop': 'f'}", &r);
    bson_destroy(&r);
    fp_set(c, "'off'");
    bg_join(&b);
    ck_assert_msg(!b.ok && fx_int(&b.reply, "code") == 276 &&
                      strcmp(fx_str(&b.reply, "codeName"), "IndexBuildAborted") == 0,
                  "%s", fx_to_json(&b.reply));
    bson_destroy(&b.reply);
    mongoc_client_destroy(c);
}
END_TEST

/* Renaming the collection during a build aborts the build, and the renamed collection's
 * writers no longer log to it. */
START_TEST(test_rename_aborts_build)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bg_t b;

    fresh(c, "r");
    fresh(c, "r2");
    CMD_OK(c, DB, "{'insert': 'r', 'documents': [{'_id': 1, 'u': 1}]}", &r);
    bson_destroy(&r);
    hold_build(c, &b, "{'createIndexes': 'r', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}");
    CMD_OK(c, "admin", "{'renameCollection': 'ixbuild.r', 'to': 'ixbuild.r2'}", &r);
    bson_destroy(&r);
    fp_set(c, "'off'");
    bg_join(&b);
    ck_assert_msg(!b.ok && fx_int(&b.reply, "code") == 276, "%s", fx_to_json(&b.reply));
    bson_destroy(&b.reply);
    CMD_OK(c, DB, "{'insert': 'r2', 'documents': [{'_id': 2, 'u': 2}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'r2'}", &r);
    ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* currentOp lists the running build's createIndexes; killOp of it interrupts the build with
 * 11601 and leaves no index. */
START_TEST(test_killop_interrupts_build)
{
    mongoc_client_t *c = IT_CLIENT();
    char cmd[128];
    bson_t r;
    bg_t b;

    fresh(c, "k");
    CMD_OK(c, DB, "{'insert': 'k', 'documents': [{'_id': 1, 'u': 1}]}", &r);
    bson_destroy(&r);
    hold_build(c, &b, "{'createIndexes': 'k', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}");
    CMD_OK(c, "admin",
           "{'currentOp': 1, 'command.createIndexes': 'k', 'connectionId': {'$exists': true}}", &r);
    ck_assert_msg(fx_array_len(&r, "inprog") == 1, "%s", fx_to_json(&r));
    snprintf(cmd, sizeof(cmd), "{'killOp': 1, 'op': %lld}", (long long)fx_int(&r, "inprog.0.opid"));
    bson_destroy(&r);
    CMD_OK(c, "admin", cmd, &r);
    bson_destroy(&r);
    bg_join(&b);
    fp_set(c, "'off'");
    ck_assert_msg(!b.ok && fx_int(&b.reply, "code") == 11601 &&
                      strcmp(fx_str(&b.reply, "codeName"), "Interrupted") == 0,
                  "%s", fx_to_json(&b.reply));
    bson_destroy(&b.reply);
    CMD_OK(c, DB, "{'listIndexes': 'k'}", &r);
    ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* builders -- the currentOp entries of index builds on ixbuild.<coll> (mongod's builder
 * threads, not the clients' createIndexes): *r gets the reply. */
static int64_t
builders(mongoc_client_t *c, const char *coll, bson_t *r)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd),
             "{'currentOp': 1, 'ns': '" DB ".%s', "
             "'desc': {'$regex': '^IndexBuildsCoordinatorMongod-[0-9]+$'}}",
             coll);
    CMD_OK(c, "admin", cmd, r);
    return fx_array_len(r, "inprog");
}

/* currentOp shows a running build as mongod's builder thread: desc, command, msg and real
 * progress numbers (held after two scan batches of 500 by the failpoint's skip mode). */
START_TEST(test_current_op_progress)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    bg_t b;

    fresh(c, "p");
    fill_cmd(c, "p", 1200);
    fp_set(c, "{'skip': 2}");
    bg_start(&it_srv, &b, "{'createIndexes': 'p', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}");
    for (;;) { /* polling, not a timing assertion: the tcase timeout guards */
        if (builders(c, "p", &r) == 1 && fx_int(&r, "inprog.0.progress.done") == 1000)
            break;
        bson_destroy(&r);
        usleep(1000);
    }
    ASSERT_STR(&r, "inprog.0.msg",
               "Index Build: scanning collection Index Build: scanning collection: 1000/1200 83%");
    ASSERT_TYPE(&r, "inprog.0.progress.done", BSON_TYPE_INT32);
    ASSERT_INT(&r, "inprog.0.progress.total", 1200);
    ASSERT_STR(&r, "inprog.0.type", "op");
    ASSERT_STR(&r, "inprog.0.op", "command");
    ASSERT_STR(&r, "inprog.0.command.createIndexes", "p");
    ASSERT_STR(&r, "inprog.0.command.indexes.0.name", "a_1");
    ck_assert_msg(fx_bool(&r, "inprog.0.active"), "%s", fx_to_json(&r));
    ck_assert_msg(!fx_has(&r, "inprog.0.connectionId"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* the client's createIndexes is listed too, as its own operation */
    CMD_OK(c, "admin",
           "{'currentOp': 1, 'command.createIndexes': 'p', 'connectionId': {'$exists': true}}", &r);
    ck_assert_msg(fx_array_len(&r, "inprog") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    fp_set(c, "'off'");
    bg_join(&b);
    ck_assert_msg(b.ok, "createIndexes: %s", fx_to_json(&b.reply));
    ASSERT_INT(&b.reply, "numIndexesAfter", 2);
    bson_destroy(&b.reply);
    ck_assert_int_eq(builders(c, "p", &r), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* abort_held -- hold a build of `spec` on coll, run `drop` (JSON, on db), and check that the
 * build answers IndexBuildAborted with errmsg `why` while the failpoint still holds it (the
 * abort wakes it), then that no index but _id_ is left. */
static void
abort_held(mongoc_client_t *c, const char *coll, const char *spec, const char *drop,
           const char *why)
{
    char cmd[512];
    bson_t r;
    bg_t b;

    fresh(c, coll);
    fill_cmd(c, coll, 10);
    snprintf(cmd, sizeof(cmd), "{'createIndexes': '%s', 'indexes': [%s]}", coll, spec);
    hold_build(c, &b, cmd);
    CMD_OK(c, DB, drop, &r);
    bson_destroy(&r);
    bg_join(&b);
    fp_set(c, "'off'");
    ck_assert_msg(!b.ok && fx_int(&b.reply, "code") == 276 &&
                      strcmp(fx_str(&b.reply, "codeName"), "IndexBuildAborted") == 0 &&
                      strcmp(fx_str(&b.reply, "errmsg"), why) == 0,
                  "%s: %s", drop, fx_to_json(&b.reply));
    bson_destroy(&b.reply);
    ck_assert_int_eq(builders(c, coll, &r), 0);
    bson_destroy(&r);
    snprintf(cmd, sizeof(cmd), "{'listIndexes': '%s'}", coll);
    if (fx_cmd(c, DB, cmd, &r, NULL))
        ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
}

/* dropIndexes of an index still building aborts the build (by name, by key pattern, "*"), as
 * dropDatabase does; the index is gone and its name free. */
START_TEST(test_drop_indexes_aborts_build)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    abort_held(c, "x", "{'key': {'a': 1}, 'name': 'a_1'}", "{'dropIndexes': 'x', 'index': 'a_1'}",
               "dropIndexes command");
    abort_held(c, "x", "{'key': {'a': -1}, 'name': 'a_m'}",
               "{'dropIndexes': 'x', 'index': {'a': -1}}", "dropIndexes command");
    abort_held(c, "x", "{'key': {'a': 1}, 'name': 'a_1'}", "{'dropIndexes': 'x', 'index': '*'}",
               "dropIndexes command");
    /* the name is free again: the same index builds to the end */
    CMD_OK(c, DB, "{'createIndexes': 'x', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}", &r);
    ASSERT_INT(&r, "numIndexesAfter", 2);
    bson_destroy(&r);
    abort_held(c, "y", "{'key': {'a': 1}, 'name': 'a_1'}", "{'dropDatabase': 1}",
               "dropDatabase command");
    mongoc_client_destroy(c);
}
END_TEST

/* log_count -- lines of getLog global containing needle. */
static int
log_count(mongoc_client_t *c, const char *needle)
{
    bson_t r, log;
    bson_iter_t it;
    int n = 0;

    CMD_OK(c, "admin", "{'getLog': 'global'}", &r);
    ck_assert(fx_sub(&r, "log", &log));
    bson_iter_init(&it, &log);
    while (bson_iter_next(&it))
        n += BSON_ITER_HOLDS_UTF8(&it) && strstr(bson_iter_utf8(&it, NULL), needle) != NULL;
    bson_destroy(&log);
    bson_destroy(&r);
    return n;
}

/* maxNumActiveUserIndexBuilds 1: a second build waits for the slot the held first one has
 * (mongod's log line 4715500 says so, and no builder runs for it), then both finish. */
START_TEST(test_max_active_builds)
{
    mongoc_client_t *c = IT_CLIENT();
    int before = log_count(c, WAIT_LINE);
    bson_t r;
    bg_t b1, b2;

    CMD_OK(c, "admin", "{'setParameter': 1, 'maxNumActiveUserIndexBuilds': 1}", &r);
    ASSERT_INT(&r, "was", 3);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getParameter': 1, 'maxNumActiveUserIndexBuilds': 1}", &r);
    ASSERT_INT(&r, "maxNumActiveUserIndexBuilds", 1);
    bson_destroy(&r);
    fresh(c, "m1");
    fresh(c, "m2");
    fill_cmd(c, "m1", 10);
    fill_cmd(c, "m2", 10);
    hold_build(c, &b1, "{'createIndexes': 'm1', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}");
    bg_start(&it_srv, &b2,
             "{'createIndexes': 'm2', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}");
    while (log_count(c, WAIT_LINE) == before)
        usleep(1000); /* polling, not a timing assertion: the tcase timeout guards */
    ck_assert_int_eq(builders(c, "m1", &r), 1);
    bson_destroy(&r);
    ck_assert_int_eq(builders(c, "m2", &r), 0);
    bson_destroy(&r);
    ck_assert_msg(!atomic_load(&b2.done), "the second build ran past the limit");
    fp_set(c, "'off'");
    bg_join(&b1);
    bg_join(&b2);
    ck_assert_msg(b1.ok && b2.ok, "%s %s", fx_to_json(&b1.reply), fx_to_json(&b2.reply));
    ASSERT_INT(&b2.reply, "numIndexesAfter", 2);
    bson_destroy(&b1.reply);
    bson_destroy(&b2.reply);
    CMD_OK(c, "admin", "{'setParameter': 1, 'maxNumActiveUserIndexBuilds': 3}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* kill -9 during a build (with side writes logged): at restart the collection is as before
 * the build, and the build can run again. */
START_TEST(test_crash_during_build)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;
    bg_t b;

    fx_server_up(&s, 2);
    c = fx_client(&s);
    CMD_OK(c, DB, "{'insert': 'g', 'documents': [{'_id': 1, 'u': 1}, {'_id': 2, 'u': 2}]}", &r);
    bson_destroy(&r);
    hold_build_on(&s, c, &b,
                  "{'createIndexes': 'g', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}");
    CMD_OK(c, DB, "{'insert': 'g', 'documents': [{'_id': 3, 'u': 3}], 'writeConcern': {'j': true}}",
           &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_kill9(&s);
    bg_join(&b);
    ck_assert_msg(!b.ok, "createIndexes answered across a kill -9");
    bson_destroy(&b.reply);
    ck_assert_msg(fx_server_start(&s) == 0, "restart after kill -9 failed");
    c = fx_client(&s);
    CMD_OK(c, DB, "{'listIndexes': 'g'}", &r);
    ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == 1, "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(c, DB, "g", "{}"), 3);
    CMD_OK(c, DB, "{'createIndexes': 'g', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}", &r);
    ASSERT_INT(&r, "numIndexesAfter", 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    int st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    fx_server_cleanup(&s);
}
END_TEST

static Suite *
ixbuild_suite(void)
{
    Suite *s = suite_create("ixbuild");
    TCase *tc = it_tcase(s, "ixbuild", true);

    tcase_add_test(tc, test_build_while_others_work);
    tcase_add_test(tc, test_duplicate_leaves_nothing);
    tcase_add_test(tc, test_duplicate_during_build);
    tcase_add_test(tc, test_drop_aborts_build);
    tcase_add_test(tc, test_killop_interrupts_build);
    tcase_add_test(tc, test_rename_aborts_build);
    tcase_add_test(tc, test_current_op_progress);
    tcase_add_test(tc, test_drop_indexes_aborts_build);
    tcase_add_test(tc, test_max_active_builds);
    tc = it_tcase(s, "crash", false);
    tcase_add_test(tc, test_crash_during_build);
    return s;
}

int
main(void)
{
    return it_main(ixbuild_suite());
}
