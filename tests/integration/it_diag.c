/*
 * tests/integration/it_diag.c -- the admin and diagnostic commands of issue 11: validate
 * (clean, and an index corrupted on purpose with mongod's failpoints
 * skipUnindexingDocumentWhenDeleted / skipIndexNewRecords), the database profiler
 * (profile, <db>.system.profile, slowms, filter), serverStatus's sections, currentOp's idle
 * connections, and shutdown's force / timeoutSecs.  One shared server, plus private ones for
 * the shutdown and start-up flag tests.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/wait.h>

/* fp -- turn one failpoint on ({indexName}) or off. */
static void
fp(mongoc_client_t *c, const char *name, const char *index)
{
    char json[256];
    bson_t r;

    if (index != NULL)
        snprintf(json, sizeof(json),
                 "{'configureFailPoint': '%s', 'mode': 'alwaysOn', 'data': {'indexName': '%s'}}",
                 name, index);
    else
        snprintf(json, sizeof(json), "{'configureFailPoint': '%s', 'mode': 'off'}", name);
    CMD_OK(c, "admin", json, &r);
    bson_destroy(&r);
}

START_TEST(test_validate_clean)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "vdb",
           "{'insert': 'clean', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2, 'a': [2, 3]}, "
           "{'_id': 3}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb",
           "{'createIndexes': 'clean', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}, "
           "{'key': {'a': 1, 'b': 1}, 'name': 'ab_sparse', 'sparse': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'clean'}", &r);
    ASSERT_STR(&r, "ns", "vdb.clean");
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ASSERT_TYPE(&r, "uuid", BSON_TYPE_BINARY);
    ASSERT_INT(&r, "nrecords", 3);
    ASSERT_TYPE(&r, "nrecords", BSON_TYPE_INT32);
    ASSERT_INT(&r, "nInvalidDocuments", 0);
    ASSERT_INT(&r, "nIndexes", 3);
    ASSERT_INT(&r, "keysPerIndex._id_", 3);
    ASSERT_INT(&r, "keysPerIndex.a_1", 4); /* {a: [2, 3]} is two keys; {_id: 3} is null */
    ASSERT_INT(&r, "keysPerIndex.ab_sparse", 3);
    ck_assert(fx_bool(&r, "indexDetails.a_1.valid"));
    ck_assert(!fx_bool(&r, "repaired"));
    ck_assert_int_eq(fx_array_len(&r, "errors"), 0);
    ck_assert_int_eq(fx_array_len(&r, "warnings"), 0);
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 0);
    ck_assert_int_eq(fx_array_len(&r, "extraIndexEntries"), 0);
    ck_assert_int_eq(fx_array_len(&r, "corruptRecords"), 0);
    ck_assert(!fx_has(&r, "advice"));
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'clean', 'full': true, 'checkBSONConformance': true}", &r);
    ck_assert(fx_bool(&r, "valid"));
    bson_destroy(&r);
    /* every kind of index derives the entries the writers wrote */
    CMD_OK(c, "vdb",
           "{'insert': 'kinds', 'documents': ["
           "{'_id': 1, 't': 'running runners ran', 's': 'Abc', 'h': 5, 'w': {'x': [1, 2]}, "
           "'loc': {'type': 'Point', 'coordinates': [2.35, 48.85]}, 'xy': [1, 2], 'p': 1}, "
           "{'_id': 2, 't': 'quick brown fox', 's': 'abc', 'h': 'five', 'w': {'y': 'z'}, "
           "'loc': {'type': 'Point', 'coordinates': [-0.12, 51.5]}, 'xy': [3, 4], 'p': -1}, "
           "{'_id': 3}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb",
           "{'createIndexes': 'kinds', 'indexes': ["
           "{'key': {'t': 'text'}, 'name': 'text'}, {'key': {'h': 'hashed'}, 'name': 'hashed'}, "
           "{'key': {'w.$**': 1}, 'name': 'wild'}, {'key': {'loc': '2dsphere'}, 'name': 'geo'}, "
           "{'key': {'xy': '2d'}, 'name': 'flat'}, "
           "{'key': {'s': 1}, 'name': 'ci', 'collation': {'locale': 'en', 'strength': 2}}, "
           "{'key': {'p': 1}, 'name': 'part', 'partialFilterExpression': {'p': {'$gt': 0}}}, "
           "{'key': {'s': 1, 'h': 1}, 'name': 'uniq', 'unique': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'kinds', 'full': true}", &r);
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ASSERT_INT(&r, "nIndexes", 9);
    ASSERT_INT(&r, "keysPerIndex.part", 1);
    bson_destroy(&r);
    /* mongod's refusals */
    CMD_ERR(c, "vdb", "{'validate': 'nope'}", &r, 26, "NamespaceNotFound");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'repair': true}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'fixMultikey': true}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'clean', 'fixMultikey': false}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'full': true, 'background': true}", &r, 115,
            "CommandNotSupported");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'bogus': 1}", &r, 40415, "Location40415");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_validate_corrupted)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "vdb",
           "{'insert': 'bad', 'documents': [{'_id': 1, 'a': 10}, {'_id': 2, 'a': 20}, "
           "{'_id': 3, 'a': 30}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'createIndexes': 'bad', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}", &r);
    bson_destroy(&r);
    /* a delete that leaves its a_1 entry behind: an extra entry */
    fp(c, "skipUnindexingDocumentWhenDeleted", "a_1");
    CMD_OK(c, "vdb", "{'delete': 'bad', 'deletes': [{'q': {'_id': 2}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    fp(c, "skipUnindexingDocumentWhenDeleted", NULL);
    CMD_OK(c, "vdb", "{'validate': 'bad'}", &r);
    ck_assert_msg(!fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ck_assert(fx_bool(&r, "indexDetails._id_.valid"));
    ck_assert(!fx_bool(&r, "indexDetails.a_1.valid"));
    ASSERT_INT(&r, "keysPerIndex.a_1", 3);
    ASSERT_INT(&r, "keysPerIndex._id_", 2);
    ck_assert_int_eq(fx_array_len(&r, "extraIndexEntries"), 1);
    ASSERT_STR(&r, "extraIndexEntries.0.indexName", "a_1");
    ASSERT_INT(&r, "extraIndexEntries.0.indexKey.a", 20);
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 0);
    ASSERT_STR(&r, "errors.0", "Detected 1 extra index entries.");
    ck_assert(fx_str(&r, "advice") != NULL);
    bson_destroy(&r);
    /* an insert that writes no a_1 entry: a missing one as well */
    fp(c, "skipIndexNewRecords", "a_1");
    CMD_OK(c, "vdb", "{'insert': 'bad', 'documents': [{'_id': 4, 'a': 40}]}", &r);
    bson_destroy(&r);
    fp(c, "skipIndexNewRecords", NULL);
    CMD_OK(c, "vdb", "{'validate': 'bad', 'full': true}", &r);
    ck_assert(!fx_bool(&r, "valid"));
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 1);
    ASSERT_STR(&r, "missingIndexEntries.0.indexName", "a_1");
    ASSERT_INT(&r, "missingIndexEntries.0.indexKey.a", 40);
    ck_assert_int_eq(fx_array_len(&r, "errors"), 2);
    bson_destroy(&r);
    /* a record stored corrupt (mongod's corruptDocumentOnInsert) */
    CMD_OK(c, "admin", "{'configureFailPoint': 'corruptDocumentOnInsert', 'mode': 'alwaysOn'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'insert': 'rot', 'documents': [{'_id': 1, 'a': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'configureFailPoint': 'corruptDocumentOnInsert', 'mode': 'off'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'insert': 'rot', 'documents': [{'_id': 2, 'a': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'rot'}", &r);
    ck_assert_msg(!fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ASSERT_INT(&r, "nInvalidDocuments", 1);
    ASSERT_INT(&r, "nrecords", 2);
    ck_assert_int_eq(fx_array_len(&r, "corruptRecords"), 1);
    ck_assert_int_eq(fx_array_len(&r, "extraIndexEntries"), 0);
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 0);
    ASSERT_STR(&r, "errors.0", "Detected 1 invalid documents. See logs.");
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'drop': 'rot'}", &r);
    bson_destroy(&r);
    /* the other collections are untouched */
    CMD_OK(c, "vdb", "{'insert': 'fine', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'fine'}", &r);
    ck_assert(fx_bool(&r, "valid"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* profile_count -- documents in db.system.profile matching filter (JSON). */
static int64_t
profile_count(mongoc_client_t *c, const char *db, const char *filter)
{
    return fx_count(c, db, "system.profile", filter);
}

START_TEST(test_profiler_levels)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    int64_t n;

    CMD_OK(c, "prof", "{'profile': -1}", &r);
    ASSERT_INT(&r, "was", 0);
    ASSERT_TYPE(&r, "was", BSON_TYPE_INT32);
    ASSERT_INT(&r, "slowms", 100);
    ASSERT_TYPE(&r, "sampleRate", BSON_TYPE_DOUBLE);
    ck_assert(fx_double(&r, "sampleRate") == 1.0);
    bson_destroy(&r);
    CMD_OK(c, "prof", "{'insert': 'c', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2, 'a': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "prof", "{'profile': 2}", &r);
    ASSERT_INT(&r, "was", 0);
    bson_destroy(&r);
    CMD_OK(c, "prof", "{'find': 'c', 'filter': {'a': 2}}", &r);
    bson_destroy(&r);
    CMD_OK(c, "prof", "{'update': 'c', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'b': 1}}}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, "prof", "{'find': 'c', 'filter': {'$bogus': 1}}", &r, 2, "BadValue");
    bson_destroy(&r);
    /* the find's entry, with mongod's fields */
    {
        mongoc_collection_t *coll = mongoc_client_get_collection(c, "prof", "system.profile");
        bson_t *q = fx_json("{'op': 'query', 'command.filter': {'a': 2}}");
        mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, q, NULL, NULL);
        const bson_t *doc;
        ck_assert_msg(mongoc_cursor_next(cur, &doc), "no profile entry for the find");
        ASSERT_STR(doc, "ns", "prof.c");
        ASSERT_STR(doc, "command.find", "c");
        ASSERT_INT(doc, "docsExamined", 2);
        ASSERT_INT(doc, "keysExamined", 0);
        ASSERT_INT(doc, "nreturned", 1);
        ASSERT_STR(doc, "planSummary", "COLLSCAN");
        ASSERT_STR(doc, "protocol", "op_msg");
        ASSERT_STR(doc, "client", "127.0.0.1");
        ASSERT_TYPE(doc, "ts", BSON_TYPE_DATE_TIME);
        ASSERT_TYPE(doc, "millis", BSON_TYPE_INT32);
        ck_assert_int_gt(fx_int(doc, "responseLength"), 0);
        ASSERT_TYPE(doc, "allUsers", BSON_TYPE_ARRAY);
        mongoc_cursor_destroy(cur);
        bson_destroy(q);
        mongoc_collection_destroy(coll);
    }
    ck_assert_int_eq(profile_count(c, "prof", "{'op': 'update', 'nModified': 1, 'nMatched': 1}"),
                     1);
    ck_assert_int_eq(profile_count(c, "prof", "{'errName': 'BadValue', 'errCode': 2}"), 1);
    /* system.profile is mongod's 1 MB capped collection */
    CMD_OK(c, "prof", "{'listCollections': 1, 'filter': {'name': 'system.profile'}}", &r);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.options.capped"));
    ASSERT_INT(&r, "cursor.firstBatch.0.options.size", 1048576);
    bson_destroy(&r);
    /* level 0: nothing more is written */
    CMD_OK(c, "prof", "{'profile': 0}", &r);
    ASSERT_INT(&r, "was", 2);
    bson_destroy(&r);
    n = profile_count(c, "prof", "{}");
    CMD_OK(c, "prof", "{'find': 'c'}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(profile_count(c, "prof", "{}"), n);
    /* another database is not profiled by this one's level */
    CMD_OK(c, "prof2", "{'profile': -1}", &r);
    ASSERT_INT(&r, "was", 0);
    bson_destroy(&r);
    /* mongod's refusals */
    CMD_ERR(c, "prof", "{'profile': 3}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "prof", "{'profile': 1, 'sampleRate': 2}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "prof", "{'profile': 1, 'filter': 5}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "prof", "{'profile': 'x'}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* logged -- a line of the shared server's log holds both a and b. */
static bool
logged(const char *a, const char *b)
{
    FILE *f = fopen(it_srv.out_path, "r");
    char line[8192];
    bool found = false;

    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, a) != NULL && strstr(line, b) != NULL;
    if (f != NULL)
        fclose(f);
    return found;
}

START_TEST(test_profiler_filter_and_slowms)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "pf", "{'insert': 'c', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    /* level 1 with slowms -1: every operation is slow */
    CMD_OK(c, "pf", "{'profile': 1, 'slowms': -1}", &r);
    ASSERT_INT(&r, "slowms", 100);
    bson_destroy(&r);
    CMD_OK(c, "pf", "{'count': 'c'}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(profile_count(c, "pf", "{'command.count': 'c'}"), 1);
    /* and logged as mongod logs a slow operation */
    ck_assert_msg(logged("\"Slow query\"", "\"pf.c\""), "no Slow query line for pf.c");
    /* a filter replaces slowms: only the operations it selects */
    CMD_OK(c, "pf", "{'profile': 1, 'slowms': 100, 'filter': {'op': 'query'}}", &r);
    ASSERT_INT(&r, "slowms", -1);
    ck_assert(fx_str(&r, "note") != NULL);
    bson_destroy(&r);
    CMD_OK(c, "pf", "{'count': 'c', 'query': {'x': 1}}", &r);
    bson_destroy(&r);
    CMD_OK(c, "pf", "{'find': 'c', 'filter': {'_id': 1}}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(profile_count(c, "pf", "{'command.query': {'x': 1}}"), 0);
    ck_assert_int_eq(profile_count(c, "pf", "{'op': 'query', 'planSummary': 'IDHACK'}"), 1);
    CMD_OK(c, "pf", "{'profile': -1}", &r);
    ASSERT_INT(&r, "was", 1);
    ASSERT_STR(&r, "filter.op", "query");
    bson_destroy(&r);
    CMD_OK(c, "pf", "{'profile': 0, 'filter': 'unset'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "pf", "{'profile': -1}", &r);
    ck_assert(!fx_has(&r, "filter"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_profile_start_flags)
{
    static const char *const extra[] = {"--profile", "2", "--slowms", "7", NULL};
    fx_server_t srv;
    mongoc_client_t *c;
    bson_t r;

    ck_assert_int_eq(fx_server_init(&srv, 1), 0);
    srv.extra = extra;
    ck_assert_int_eq(fx_server_start(&srv), 0);
    c = fx_client(&srv);
    CMD_OK(c, "any", "{'profile': -1}", &r);
    ASSERT_INT(&r, "was", 2);
    ASSERT_INT(&r, "slowms", 7);
    bson_destroy(&r);
    CMD_OK(c, "any", "{'insert': 'c', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    ck_assert_int_ge(fx_count(c, "any", "system.profile", "{'op': 'insert', 'ninserted': 1}"), 1);
    mongoc_client_destroy(c);
    ck_assert_int_eq(fx_server_stop(&srv), 0);
    fx_server_cleanup(&srv);
}
END_TEST

/* status -- serverStatus with extra fields (JSON object body without braces, or ""). */
static void
status(mongoc_client_t *c, const char *extra, bson_t *r)
{
    char json[256];

    snprintf(json, sizeof(json), "{'serverStatus': 1%s%s}", extra[0] ? ", " : "", extra);
    CMD_OK(c, "admin", json, r);
}

START_TEST(test_server_status_sections)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t a, b, r;

    status(c, "", &a);
    ASSERT_TYPE(&a, "network.bytesIn", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "network.physicalBytesOut", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "network.numRequests", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "network.compression.snappy.compressor.bytesIn", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "network.compression.zstd.decompressor.bytesOut", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "asserts.user", BSON_TYPE_INT32);
    ASSERT_TYPE(&a, "asserts.rollovers", BSON_TYPE_INT32);
    ASSERT_TYPE(&a, "opLatencies.reads.latency", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "opLatencies.transactions.ops", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "metrics.document.inserted", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "metrics.operation.scanAndOrder", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "metrics.queryExecutor.scannedObjects", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "metrics.cursor.totalOpened", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "metrics.commands.serverStatus.total", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.cache.bytes currently in the cache", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.cache.maximum bytes configured", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.cache.tracked dirty bytes in the cache", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.cache.pages read into cache", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.cache.pages written from cache", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "wiredTiger.transaction.transaction checkpoints", BSON_TYPE_INT64);
    ASSERT_TYPE(&a, "logicalSessionRecordCache.activeSessionsCount", BSON_TYPE_INT32);
    {
        /* WiredTiger's categories, each once */
        bson_t wt;
        bson_iter_t i, j;
        ck_assert(fx_sub(&a, "wiredTiger", &wt));
        ck_assert(bson_iter_init(&i, &wt));
        while (bson_iter_next(&i)) {
            int same = 0;
            bson_iter_init(&j, &wt);
            while (bson_iter_next(&j))
                same += strcmp(bson_iter_key(&i), bson_iter_key(&j)) == 0;
            ck_assert_msg(same == 1, "wiredTiger.%s appears %d times", bson_iter_key(&i), same);
        }
        bson_destroy(&wt);
    }
    ASSERT_INT(&a, "secantusdb.workers.count", 2);
    ck_assert_int_eq(fx_array_len(&a, "secantusdb.workers.list"), 2);
    ck_assert_int_gt(fx_int(&a, "secantusdb.workers.list.0.pid"), 0);
    ck_assert_int_gt(fx_int(&a, "secantusdb.workers.list.1.channel.capacity"), 0);
    ASSERT_TYPE(&a, "secantusdb.respawns", BSON_TYPE_INT64);
    /* counters move */
    CMD_OK(c, "ss", "{'insert': 'c', 'documents': [{'_id': 1}, {'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "ss", "{'find': 'c', 'batchSize': 1, 'sort': {'x': 1}}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "ss", "{'find': 5}", &r, 73, "InvalidNamespace");
    bson_destroy(&r);
    CMD_ERR(c, "ss", "{'noSuchCommand': 1}", &r, 59, "CommandNotFound");
    bson_destroy(&r);
    status(c, "", &b);
    ck_assert_int_gt(fx_int(&b, "network.bytesIn"), fx_int(&a, "network.bytesIn"));
    ck_assert_int_gt(fx_int(&b, "network.numRequests"), fx_int(&a, "network.numRequests"));
    ck_assert_int_ge(fx_int(&b, "asserts.user"), fx_int(&a, "asserts.user") + 2);
    ck_assert_int_ge(fx_int(&b, "opLatencies.reads.ops"), fx_int(&a, "opLatencies.reads.ops") + 1);
    ck_assert_int_ge(fx_int(&b, "opLatencies.writes.ops"),
                     fx_int(&a, "opLatencies.writes.ops") + 1);
    ck_assert_int_ge(fx_int(&b, "metrics.document.inserted"),
                     fx_int(&a, "metrics.document.inserted") + 2);
    ck_assert_int_ge(fx_int(&b, "metrics.document.returned"),
                     fx_int(&a, "metrics.document.returned") + 1);
    ck_assert_int_ge(fx_int(&b, "metrics.queryExecutor.scannedObjects"),
                     fx_int(&a, "metrics.queryExecutor.scannedObjects") + 1);
    ck_assert_int_ge(fx_int(&b, "metrics.operation.scanAndOrder"),
                     fx_int(&a, "metrics.operation.scanAndOrder") + 1);
    ck_assert_int_ge(fx_int(&b, "metrics.cursor.totalOpened"),
                     fx_int(&a, "metrics.cursor.totalOpened") + 1);
    ck_assert_int_ge(fx_int(&b, "metrics.commands.find.failed"), 1);
    ck_assert_int_ge(fx_int(&b, "metrics.commands.<UNKNOWN>"), 1);
    ck_assert_int_ge(fx_int(&b, "metrics.commands.insert.total"), 1);
    bson_destroy(&a);
    bson_destroy(&b);
    /* {<section>: 0} leaves it out */
    status(c, "'metrics': 0, 'wiredTiger': 0, 'network': false", &r);
    ck_assert(!fx_has(&r, "metrics"));
    ck_assert(!fx_has(&r, "wiredTiger"));
    ck_assert(!fx_has(&r, "network"));
    ck_assert(fx_has(&r, "opcounters"));
    ck_assert(fx_has(&r, "asserts"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_server_status_compression)
{
    fx_server_t *srv = &it_srv;
    char uri[1400];
    mongoc_client_t *c;
    bson_t a, b, r;

    ck_assert(it_up);
    snprintf(uri, sizeof(uri), "%s%scompressors=zlib", srv->uri, strchr(srv->uri, '?') ? "&" : "?");
    c = mongoc_client_new(uri);
    ck_assert(c != NULL);
    status(c, "", &a);
    CMD_OK(c, "ss", "{'ping': 1}", &r);
    bson_destroy(&r);
    status(c, "", &b);
    ck_assert_int_gt(fx_int(&b, "network.compression.zlib.decompressor.bytesOut"),
                     fx_int(&a, "network.compression.zlib.decompressor.bytesOut"));
    ck_assert_int_gt(fx_int(&b, "network.compression.zlib.compressor.bytesIn"),
                     fx_int(&a, "network.compression.zlib.compressor.bytesIn"));
    ck_assert_int_ne(fx_int(&b, "network.bytesIn"), fx_int(&b, "network.physicalBytesIn"));
    bson_destroy(&a);
    bson_destroy(&b);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_current_op_idle_connections)
{
    mongoc_client_t *c = IT_CLIENT(), *idle = IT_CLIENT();
    bson_t r;
    char json[256];

    CMD_OK(idle, "admin", "{'ping': 1}", &r); /* connected, its hello named it */
    bson_destroy(&r);
    /* without $all only active operations: this currentOp itself */
    CMD_OK(c, "admin", "{'currentOp': 1, 'active': false}", &r);
    ck_assert_int_eq(fx_array_len(&r, "inprog"), 0);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'currentOp': 1, '$all': true, 'active': false}", &r);
    ck_assert_msg(fx_array_len(&r, "inprog") >= 1, "%s", fx_to_json(&r));
    ASSERT_STR(&r, "inprog.0.type", "op");
    ASSERT_STR(&r, "inprog.0.appName", "secantusdb-it");
    ASSERT_TYPE(&r, "inprog.0.connectionId", BSON_TYPE_INT64);
    ASSERT_TYPE(&r, "inprog.0.client", BSON_TYPE_UTF8);
    snprintf(json, sizeof(json), "conn%lld", (long long)fx_int(&r, "inprog.0.connectionId"));
    ASSERT_STR(&r, "inprog.0.desc", json);
    ck_assert(!fx_has(&r, "inprog.0.opid"));
    bson_destroy(&r);
    /* the active entries are still there, once each */
    CMD_OK(c, "admin", "{'currentOp': 1, '$all': true, 'active': true, 'command.currentOp': 1}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "inprog"), 1);
    bson_destroy(&r);
    /* $currentOp's idleConnections */
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$currentOp': {'idleConnections': true}}, "
           "{'$match': {'active': false}}], 'cursor': {}}",
           &r);
    ck_assert_int_ge(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$currentOp': {}}, {'$match': {'active': false}}], "
           "'cursor': {}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(idle);
    mongoc_client_destroy(c);
}
END_TEST

/* A command run on its own thread (the operation a shutdown waits for or not). */
typedef struct bg {
    fx_server_t *srv; /* its client is named "slow" (appName) */
    const char *json;
    bool ok;
    pthread_t t;
} bg_t;

static void *
bg_run(void *arg)
{
    bg_t *b = arg;
    mongoc_uri_t *u = mongoc_uri_new(b->srv->uri);
    mongoc_client_t *c;
    bson_error_t e;
    bson_t r;

    mongoc_uri_set_option_as_bool(u, MONGOC_URI_DIRECTCONNECTION, true);
    mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, 90000);
    mongoc_uri_set_appname(u, "slow");
    c = mongoc_client_new_from_uri(u);
    mongoc_uri_destroy(u);

    b->ok = fx_cmd(c, "admin", b->json, &r, &e);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    return NULL;
}

/* block_pings -- failCommand holds every ping of appName "slow" for ms milliseconds. */
static void
block_pings(mongoc_client_t *c, int ms)
{
    char json[512];
    bson_t r;

    snprintf(json, sizeof(json),
             "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', 'data': "
             "{'failCommands': ['ping'], 'blockConnection': true, 'blockTimeMS': %d, "
             "'appName': 'slow'}}",
             ms);
    CMD_OK(c, "admin", json, &r);
    bson_destroy(&r);
}

/* wait_running -- until currentOp lists an operation of appName "slow". */
static void
wait_running(mongoc_client_t *c)
{
    for (int i = 0; i < 500; i++) {
        bson_t r;
        CMD_OK(c, "admin", "{'currentOp': 1, 'appName': 'slow'}", &r);
        int n = fx_array_len(&r, "inprog");
        bson_destroy(&r);
        if (n > 0)
            return;
        fx_sleep_ms(10);
    }
    ck_abort_msg("the blocked ping never showed in currentOp");
}

/* shutdown_cmd -- run shutdown: mongod never answers it, the connection closes. */
static void
shutdown_cmd(mongoc_client_t *c, const char *json)
{
    bson_error_t e;
    bson_t r;

    ck_assert_msg(!fx_cmd(c, "admin", json, &r, &e), "shutdown answered: %s", fx_to_json(&r));
    ck_assert_msg(!fx_has(&r, "ok"), "shutdown answered: %s", fx_to_json(&r));
    bson_destroy(&r);
}

/* start_private -- a private server of 2 workers. */
static void
start_private(fx_server_t *srv)
{
    ck_assert_int_eq(fx_server_init(srv, 2), 0);
    ck_assert_int_eq(fx_server_start(srv), 0);
}

START_TEST(test_shutdown_waits_for_operations)
{
    fx_server_t srv;
    mongoc_client_t *c;
    bg_t b;
    bson_t r;

    start_private(&srv);
    c = fx_client(&srv);
    CMD_ERR(c, "test", "{'shutdown': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'shutdown': 1, 'timeoutSecs': 'x'}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    block_pings(c, 1500);
    memset(&b, 0, sizeof(b));
    b.json = "{'ping': 1}";
    b.srv = &srv;
    ck_assert_int_eq(pthread_create(&b.t, NULL, bg_run, &b), 0);
    wait_running(c);
    /* the quiesce period lets the running ping finish before the server stops */
    shutdown_cmd(c, "{'shutdown': 1, 'timeoutSecs': 30}");
    pthread_join(b.t, NULL);
    ck_assert_msg(b.ok, "the running ping was cut off by a shutdown without force");
    mongoc_client_destroy(c);
    ck_assert_int_eq(fx_server_stop(&srv), 0);
    fx_server_cleanup(&srv);
}
END_TEST

START_TEST(test_shutdown_force)
{
    fx_server_t srv;
    mongoc_client_t *c;
    bg_t b;
    double t0;

    start_private(&srv);
    c = fx_client(&srv);
    block_pings(c, 60000);
    memset(&b, 0, sizeof(b));
    b.srv = &srv;
    b.json = "{'ping': 1}";
    ck_assert_int_eq(pthread_create(&b.t, NULL, bg_run, &b), 0);
    wait_running(c);
    /* force: no quiesce period; the server stops with the ping still blocked */
    t0 = fx_now_ms();
    shutdown_cmd(c, "{'shutdown': 1, 'force': true}");
    ck_assert_int_eq(fx_server_stop(&srv), 0);
    ck_assert_msg(fx_now_ms() - t0 < 50000, "a forced shutdown waited for the blocked ping");
    pthread_join(b.t, NULL);
    mongoc_client_destroy(c);
    fx_server_cleanup(&srv);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("diag");
    TCase *tc = it_tcase(s, "diag", true);
    tcase_add_test(tc, test_validate_clean);
    tcase_add_test(tc, test_validate_corrupted);
    tcase_add_test(tc, test_profiler_levels);
    tcase_add_test(tc, test_profiler_filter_and_slowms);
    tcase_add_test(tc, test_server_status_sections);
    tcase_add_test(tc, test_server_status_compression);
    tcase_add_test(tc, test_current_op_idle_connections);
    tc = it_tcase(s, "private", false);
    tcase_add_test(tc, test_profile_start_flags);
    tcase_add_test(tc, test_shutdown_waits_for_operations);
    tcase_add_test(tc, test_shutdown_force);
    return it_main(s);
}
