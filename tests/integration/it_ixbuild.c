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
    char cmd[128];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'drop': '%s'}", coll);
    fx_cmd(c, DB, cmd, &r, NULL);
    bson_destroy(&r);
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
    CMD_OK(c, "admin", "{'currentOp': 1, 'command.createIndexes': 'k'}", &r);
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
    tc = it_tcase(s, "crash", false);
    tcase_add_test(tc, test_crash_during_build);
    return s;
}

int
main(void)
{
    return it_main(ixbuild_suite());
}
