/*
 * tests/integration/it_changestream.c -- change streams through libmongoc.
 *
 * A stream on a collection, a database and the cluster returns insert, update (with mongod's
 * updateDescription read from the $v:2 oplog diff), replace, delete, drop, rename,
 * dropDatabase and invalidate events in oplog order; resumeAfter, startAfter (after an
 * invalidate) and startAtOperationTime continue exactly after their point (a token whose
 * event the oplog does not hold is ChangeStreamFatalError); every batch
 * carries a postBatchResumeToken that advances with the oplog head; pre- and post-images come
 * from the master when the collection keeps them; bad input answers mongod's codes and the
 * connection lives; an awaitData getMore parks without stopping its worker's other
 * connections; and a stream survives kill -9 of its worker by resuming elsewhere.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>

#define DB "cs"

/* token -- a copy of the resume token string at path (_id._data of an event). */
static char *
token(const bson_t *r, const char *path)
{
    const char *s = fx_str(r, path);

    ck_assert_msg(s != NULL, "no token at %s: %s", path, fx_to_json(r));
    return bson_strdup(s);
}

/* open_stream -- aggregate {$changeStream: spec} on db.coll (coll "1" = aggregate: 1);
 * returns the cursor id, reply in *r. */
static int64_t
open_stream(mongoc_client_t *c, const char *db, const char *coll, const char *spec, bson_t *r)
{
    char json[2048];

    if (strcmp(coll, "1") == 0)
        snprintf(json, sizeof(json),
                 "{'aggregate': 1, 'pipeline': [{'$changeStream': %s}], 'cursor': {}}", spec);
    else
        snprintf(json, sizeof(json),
                 "{'aggregate': '%s', 'pipeline': [{'$changeStream': %s}], 'cursor': {}}", coll,
                 spec);
    CMD_OK(c, db, json, r);
    ck_assert_msg(fx_int(r, "cursor.id") != 0, "no cursor: %s", fx_to_json(r));
    ASSERT_TYPE(r, "cursor.postBatchResumeToken._data", BSON_TYPE_UTF8);
    return fx_int(r, "cursor.id");
}

/* more -- getMore on a stream cursor (coll as the stream's namespace names it). */
static void
more(mongoc_client_t *c, const char *db, const char *coll, int64_t id, int max_ms, bson_t *r)
{
    char json[512];

    snprintf(json, sizeof(json),
             "{'getMore': {'$numberLong': '%lld'}, 'collection': '%s', 'maxTimeMS': %d}",
             (long long)id, coll, max_ms);
    CMD_OK(c, db, json, r);
    ASSERT_TYPE(r, "cursor.postBatchResumeToken._data", BSON_TYPE_UTF8);
}

static void collect(mongoc_client_t *c, const char *db, const char *coll, const bson_t *first,
                    int64_t id, int n, bson_t *all);

/* more_until -- getMore until at least n events arrived (each waits at most 5 s; a hang guard,
 * not a timing assertion); *all receives {e: [events...]} in order. */
static void
more_until(mongoc_client_t *c, const char *db, const char *coll, int64_t id, int n, bson_t *all)
{
    collect(c, db, coll, NULL, id, n, all);
}

/* collect -- more_until, starting with the firstBatch of the aggregate reply `first`. */
static void
collect(mongoc_client_t *c, const char *db, const char *coll, const bson_t *first, int64_t id,
        int n, bson_t *all)
{
    int got = 0;
    char key[16];

    bson_init(all);
    for (int tries = 0; got < n && tries < 40; tries++) {
        bson_t r, batch;
        bson_iter_t it;

        if (tries == 0 && first != NULL)
            bson_copy_to(first, &r);
        else
            more(c, db, coll, id, 500, &r);
        ck_assert(fx_sub(&r, tries == 0 && first != NULL ? "cursor.firstBatch" : "cursor.nextBatch",
                         &batch));
        bson_iter_init(&it, &batch);
        while (bson_iter_next(&it)) {
            snprintf(key, sizeof(key), "%d", got++);
            bson_append_iter(all, key, -1, &it);
        }
        bson_destroy(&batch);
        bson_destroy(&r);
    }
    ck_assert_msg(got == n, "want %d events, got %d: %s", n, got, fx_to_json(all));
}

/* The path fx_* helpers cannot split ("o.k" is one field name): check it by hand. */
static void
assert_field(const bson_t *ev, const char *doc_path, const char *field, int64_t want)
{
    bson_t d;
    bson_iter_t it;

    ck_assert_msg(fx_sub(ev, doc_path, &d), "no %s in %s", doc_path, fx_to_json(ev));
    ck_assert_msg(bson_iter_init_find(&it, &d, field) && bson_iter_as_int64(&it) == want,
                  "%s.%s != %lld: %s", doc_path, field, (long long)want, fx_to_json(&d));
    bson_destroy(&d);
}

START_TEST(test_collection_events)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, ev;
    int64_t id;

    CMD_OK(c, DB, "{'insert': 'a', 'documents': [{'_id': 0}]}", &r);
    bson_destroy(&r);
    id = open_stream(c, DB, "a", "{}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    ASSERT_STR(&r, "cursor.ns", DB ".a");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'a', 'documents': [{'_id': 1, 'x': 1, 'arr': [1, 2, 3], "
           "'o': {'k': 1, 'm': 1}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'other', 'documents': [{'_id': 1}]}", &r); /* not watched */
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'update': 'a', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'x': 2, 'o.k': 5}, "
           "'$unset': {'o.m': 1}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'a', 'updates': [{'q': {'_id': 1}, 'u': [{'$set': {'arr': [1]}}]}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'a', 'updates': [{'q': {'_id': 1}, 'u': {'y': 1}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'a', 'deletes': [{'q': {'_id': 1}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    more_until(c, DB, "a", id, 5, &ev);
    ASSERT_STR(&ev, "0.operationType", "insert");
    ASSERT_INT(&ev, "0.fullDocument.x", 1);
    ASSERT_STR(&ev, "0.ns.db", DB);
    ASSERT_STR(&ev, "0.ns.coll", "a");
    ASSERT_INT(&ev, "0.documentKey._id", 1);
    ASSERT_TYPE(&ev, "0.clusterTime", BSON_TYPE_TIMESTAMP);
    ASSERT_TYPE(&ev, "0.wallTime", BSON_TYPE_DATE_TIME);
    ASSERT_STR(&ev, "1.operationType", "update");
    ASSERT_INT(&ev, "1.updateDescription.updatedFields.x", 2);
    assert_field(&ev, "1.updateDescription.updatedFields", "o.k", 5);
    ASSERT_STR(&ev, "1.updateDescription.removedFields.0", "o.m");
    ck_assert(!fx_has(&ev, "1.fullDocument"));
    ck_assert(!fx_has(&ev, "1.updateDescription.disambiguatedPaths"));
    ASSERT_STR(&ev, "2.operationType", "update");
    ASSERT_STR(&ev, "2.updateDescription.truncatedArrays.0.field", "arr");
    ASSERT_INT(&ev, "2.updateDescription.truncatedArrays.0.newSize", 1);
    ASSERT_STR(&ev, "3.operationType", "replace");
    ASSERT_INT(&ev, "3.fullDocument.y", 1);
    ASSERT_STR(&ev, "4.operationType", "delete");
    ASSERT_INT(&ev, "4.documentKey._id", 1);
    ck_assert(!fx_has(&ev, "4.fullDocument"));
    bson_destroy(&ev);

    /* drop: the drop event, then invalidate and the cursor is closed */
    CMD_OK(c, DB, "{'drop': 'a'}", &r);
    bson_destroy(&r);
    more(c, DB, "a", id, 2000, &r);
    ASSERT_STR(&r, "cursor.nextBatch.0.operationType", "drop");
    ASSERT_STR(&r, "cursor.nextBatch.1.operationType", "invalidate");
    ASSERT_INT(&r, "cursor.id", 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_resume_points)
{
    mongoc_client_t *c = IT_CLIENT();
    char spec[512], *t1, *t3, *pbrt, *pbrt2;
    uint32_t ot, oi;
    bson_t r, ev;
    bson_iter_t it;
    int64_t id;

    id = open_stream(c, DB, "b", "{}", &r);
    bson_destroy(&r);
    for (int i = 1; i <= 4; i++) {
        char json[128];
        snprintf(json, sizeof(json), "{'insert': 'b', 'documents': [{'_id': %d}]}", i);
        CMD_OK(c, DB, json, &r);
        if (i == 2) {
            ck_assert(bson_iter_init_find(&it, &r, "operationTime"));
            bson_iter_timestamp(&it, &ot, &oi);
        }
        bson_destroy(&r);
    }
    more_until(c, DB, "b", id, 4, &ev);
    t1 = token(&ev, "0._id._data");
    t3 = token(&ev, "2._id._data");
    ck_assert_msg(strcmp(t1, t3) < 0, "tokens must be ordered: %s %s", t1, t3);
    bson_destroy(&ev);

    /* resumeAfter the first: events 2, 3, 4 */
    snprintf(spec, sizeof(spec), "{'resumeAfter': {'_data': '%s'}}", t1);
    id = open_stream(c, DB, "b", spec, &r);
    collect(c, DB, "b", &r, id, 3, &ev);
    bson_destroy(&r);
    ASSERT_INT(&ev, "0.documentKey._id", 2);
    ASSERT_INT(&ev, "2.documentKey._id", 4);
    bson_destroy(&ev);
    /* startAfter the third: event 4 */
    snprintf(spec, sizeof(spec), "{'startAfter': {'_data': '%s'}}", t3);
    id = open_stream(c, DB, "b", spec, &r);
    collect(c, DB, "b", &r, id, 1, &ev);
    bson_destroy(&r);
    ASSERT_INT(&ev, "0.documentKey._id", 4);
    bson_destroy(&ev);
    /* a token of this oplog entry naming an event the stream never had: not found (280) */
    {
        char forged[128], json[512];
        snprintf(forged, sizeof(forged), "%s", t1);
        ck_assert(strlen(forged) > 48 && strncmp(forged + 38, "2B00000000", 10) == 0);
        memcpy(forged + 38, "2B00000005", 10);
        snprintf(json, sizeof(json),
                 "{'aggregate': 'b', 'pipeline': [{'$changeStream': {'resumeAfter': {'_data': "
                 "'%s'}}}], 'cursor': {}}",
                 forged);
        CMD_ERR(c, DB, json, &r, 280, "ChangeStreamFatalError");
        ASSERT_STR(&r, "errorLabels.0", "NonResumableChangeStreamError");
        bson_destroy(&r);
    }
    /* startAtOperationTime of the second insert: events 2, 3, 4 */
    snprintf(spec, sizeof(spec), "{'startAtOperationTime': {'$timestamp': {'t': %u, 'i': %u}}}", ot,
             oi);
    id = open_stream(c, DB, "b", spec, &r);
    collect(c, DB, "b", &r, id, 3, &ev);
    bson_destroy(&r);
    ASSERT_INT(&ev, "0.documentKey._id", 2);
    bson_destroy(&ev);

    /* an empty batch's postBatchResumeToken advances with writes elsewhere, and resuming
     * from it sees only what came after */
    id = open_stream(c, DB, "b", "{}", &r);
    pbrt = token(&r, "cursor.postBatchResumeToken._data");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'elsewhere', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'elsewhere', 'documents': [{'_id': 2}]}", &r);
    bson_destroy(&r);
    more(c, DB, "b", id, 100, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 0);
    pbrt2 = token(&r, "cursor.postBatchResumeToken._data");
    ck_assert_msg(strcmp(pbrt, pbrt2) < 0, "PBRT did not advance: %s %s", pbrt, pbrt2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'b', 'documents': [{'_id': 5}]}", &r);
    bson_destroy(&r);
    snprintf(spec, sizeof(spec), "{'resumeAfter': {'_data': '%s'}}", pbrt2);
    id = open_stream(c, DB, "b", spec, &r);
    collect(c, DB, "b", &r, id, 1, &ev);
    bson_destroy(&r);
    ASSERT_INT(&ev, "0.documentKey._id", 5);
    bson_destroy(&ev);
    /* an event that is the latest oplog entry: the batch's postBatchResumeToken is its token */
    CMD_OK(c, DB, "{'insert': 'b', 'documents': [{'_id': 6}]}", &r);
    bson_destroy(&r);
    more(c, DB, "b", id, 2000, &r);
    ASSERT_INT(&r, "cursor.nextBatch.0.documentKey._id", 6);
    ASSERT_STR(&r, "cursor.postBatchResumeToken._data", fx_str(&r, "cursor.nextBatch.0._id._data"));
    bson_destroy(&r);
    bson_free(t1);
    bson_free(t3);
    bson_free(pbrt);
    bson_free(pbrt2);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_db_and_cluster_streams)
{
    mongoc_client_t *c = IT_CLIENT();
    char spec[256], *inv;
    int64_t dbid, allid, id;
    bson_t r, ev;

    CMD_OK(c, "csd", "{'insert': 'x', 'documents': [{'_id': 0}]}", &r);
    bson_destroy(&r);
    dbid = open_stream(c, "csd", "1", "{'showExpandedEvents': true}", &r);
    ASSERT_STR(&r, "cursor.ns", "csd.$cmd.aggregate");
    bson_destroy(&r);
    allid = open_stream(c, "admin", "1", "{'allChangesForCluster': true}", &r);
    bson_destroy(&r);
    CMD_OK(c, "csd", "{'insert': 'y', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "other", "{'insert': 'z', 'documents': [{'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'renameCollection': 'csd.y', 'to': 'csd.y2'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "csd", "{'dropDatabase': 1}", &r);
    bson_destroy(&r);

    /* the database stream: create y (expanded), insert, rename, drops, dropDatabase,
     * invalidate */
    more_until(c, "csd", "$cmd.aggregate", dbid, 7, &ev);
    ASSERT_STR(&ev, "0.operationType", "create");
    ASSERT_STR(&ev, "1.operationType", "insert");
    ASSERT_STR(&ev, "1.ns.coll", "y");
    ASSERT_TYPE(&ev, "1.collectionUUID", BSON_TYPE_BINARY);
    ASSERT_STR(&ev, "2.operationType", "rename");
    ASSERT_STR(&ev, "2.to.coll", "y2");
    ASSERT_STR(&ev, "3.operationType", "drop");
    ASSERT_STR(&ev, "4.operationType", "drop");
    ASSERT_STR(&ev, "5.operationType", "dropDatabase");
    ASSERT_STR(&ev, "5.ns.db", "csd");
    ASSERT_STR(&ev, "6.operationType", "invalidate");
    inv = token(&ev, "6._id._data");
    bson_destroy(&ev);
    /* startAfter the invalidate opens a new stream; resumeAfter it is refused */
    snprintf(spec, sizeof(spec), "{'startAfter': {'_data': '%s'}}", inv);
    id = open_stream(c, "csd", "1", spec, &r);
    ck_assert(id != 0);
    bson_destroy(&r);
    snprintf(spec, sizeof(spec),
             "{'aggregate': 1, 'pipeline': [{'$changeStream': {'resumeAfter': {'_data': '%s'}}}], "
             "'cursor': {}}",
             inv);
    CMD_ERR(c, "csd", spec, &r, 260, "InvalidResumeToken");
    bson_destroy(&r);
    bson_free(inv);

    /* the cluster stream: every database's writes, no invalidate */
    more_until(c, "admin", "$cmd.aggregate", allid, 6, &ev);
    ASSERT_STR(&ev, "0.operationType", "insert");
    ASSERT_STR(&ev, "0.ns.db", "csd");
    ASSERT_STR(&ev, "1.operationType", "insert");
    ASSERT_STR(&ev, "1.ns.db", "other");
    ASSERT_STR(&ev, "2.operationType", "rename");
    ASSERT_STR(&ev, "5.operationType", "dropDatabase");
    bson_destroy(&ev);
    more(c, "admin", "$cmd.aggregate", allid, 50, &r);
    ck_assert(fx_int(&r, "cursor.id") == allid);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_images_and_pipeline)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, ev;
    int64_t id;

    CMD_OK(c, DB, "{'create': 'img', 'changeStreamPreAndPostImages': {'enabled': true}}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'img'}}", &r);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.options.changeStreamPreAndPostImages.enabled"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'img', 'documents': [{'_id': 1, 'v': 1}]}", &r);
    bson_destroy(&r);
    id = open_stream(c, DB, "img",
                     "{'fullDocument': 'required', 'fullDocumentBeforeChange': 'required'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'img', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'v': 1}}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'img', 'deletes': [{'q': {'_id': 1}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    more_until(c, DB, "img", id, 2, &ev);
    ASSERT_INT(&ev, "0.fullDocumentBeforeChange.v", 1);
    ASSERT_INT(&ev, "0.fullDocument.v", 2);
    ASSERT_INT(&ev, "1.fullDocumentBeforeChange.v", 2);
    bson_destroy(&ev);

    /* without images: whenAvailable gives null, required fails with 47 */
    CMD_OK(c, DB, "{'insert': 'noimg', 'documents': [{'_id': 1, 'v': 1}]}", &r);
    bson_destroy(&r);
    id = open_stream(c, DB, "noimg", "{'fullDocumentBeforeChange': 'whenAvailable'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'noimg', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'v': 1}}}]}",
           &r);
    bson_destroy(&r);
    more_until(c, DB, "noimg", id, 1, &ev);
    ASSERT_TYPE(&ev, "0.fullDocumentBeforeChange", BSON_TYPE_NULL);
    bson_destroy(&ev);
    id = open_stream(c, DB, "noimg", "{'fullDocument': 'required'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'update': 'noimg', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'v': 1}}}]}",
           &r);
    bson_destroy(&r);
    {
        char json[256];
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'noimg', 'maxTimeMS': 2000}",
                 (long long)id);
        CMD_ERR(c, DB, json, &r, 47, "NoMatchingDocument");
        bson_destroy(&r);
    }

    /* $match and $project after $changeStream; projecting _id away is fatal (280) */
    CMD_OK(c, DB,
           "{'aggregate': 'pm', 'pipeline': [{'$changeStream': {}}, {'$match': "
           "{'fullDocument.keep': true}}, {'$project': {'fullDocument': 1}}], 'cursor': {}}",
           &r);
    id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'pm', 'documents': [{'_id': 1}, {'_id': 2, 'keep': true}]}", &r);
    bson_destroy(&r);
    more_until(c, DB, "pm", id, 1, &ev);
    ASSERT_INT(&ev, "0.fullDocument._id", 2);
    ck_assert(!fx_has(&ev, "0.operationType") && fx_has(&ev, "0._id._data"));
    bson_destroy(&ev);
    CMD_OK(c, DB,
           "{'aggregate': 'pm', 'pipeline': [{'$changeStream': {}}, {'$project': {'_id': 0}}], "
           "'cursor': {}}",
           &r);
    id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'pm', 'documents': [{'_id': 3}]}", &r);
    bson_destroy(&r);
    {
        char json[256];
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'pm', 'maxTimeMS': 2000}",
                 (long long)id);
        CMD_ERR(c, DB, json, &r, 280, "ChangeStreamFatalError");
        ASSERT_STR(&r, "errorLabels.0", "NonResumableChangeStreamError");
        bson_destroy(&r);
        CMD_ERR(c, DB, json, &r, 43, "CursorNotFound"); /* the fatal error killed it */
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* bad -- aggregate `pipeline` on db.coll must fail with code/name. */
static void
bad(mongoc_client_t *c, const char *db, const char *coll, const char *pipeline, int code,
    const char *name)
{
    char json[1024];
    bson_t r;

    snprintf(json, sizeof(json), "{'aggregate': %s, 'pipeline': %s, 'cursor': {}}", coll, pipeline);
    CMD_ERR(c, db, json, &r, code, name);
    bson_destroy(&r);
}

/* A transaction's updates and deletes keep their images too: one applyOps entry, an image
 * per operation, found by the operation's index. */
START_TEST(test_images_in_transaction)
{
    mongoc_client_t *c = IT_CLIENT();
    const char *txn = "'lsid': {'id': {'$binary': {'base64': 'ICEiIyQlJicoKSorLC0uLw==', "
                      "'subType': '04'}}}, 'txnNumber': {'$numberLong': '1'}, 'autocommit': false";
    char json[1024];
    bson_t r, ev;
    int64_t id;

    CMD_OK(c, DB, "{'create': 'imgtx', 'changeStreamPreAndPostImages': {'enabled': true}}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'imgtx', 'documents': [{'_id': 1, 'v': 1}, {'_id': 2, 'v': 5}]}", &r);
    bson_destroy(&r);
    id = open_stream(c, DB, "imgtx",
                     "{'fullDocument': 'required', 'fullDocumentBeforeChange': 'required'}", &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json),
             "{'update': 'imgtx', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'v': 1}}}], %s, "
             "'startTransaction': true}",
             txn);
    CMD_OK(c, DB, json, &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json),
             "{'delete': 'imgtx', 'deletes': [{'q': {'_id': 2}, 'limit': 1}], %s}", txn);
    CMD_OK(c, DB, json, &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'commitTransaction': 1, %s}", txn);
    CMD_OK(c, "admin", json, &r);
    bson_destroy(&r);
    more_until(c, DB, "imgtx", id, 2, &ev);
    ASSERT_STR(&ev, "0.operationType", "update");
    ASSERT_INT(&ev, "0.fullDocumentBeforeChange.v", 1);
    ASSERT_INT(&ev, "0.fullDocument.v", 2);
    ASSERT_INT(&ev, "0.txnNumber", 1);
    ASSERT_STR(&ev, "1.operationType", "delete");
    ASSERT_INT(&ev, "1.fullDocumentBeforeChange.v", 5);
    ASSERT_INT(&ev, "1.txnNumber", 1);
    bson_destroy(&ev);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_bad_input)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    bad(c, DB, "'e'", "[{'$changeStream': {'resumeAfter': {'_data': 'zz'}}}]", 9, "FailedToParse");
    bad(c, DB, "'e'", "[{'$changeStream': {'resumeAfter': {'_data': ''}}}]", 40649,
        "Location40649");
    bad(c, DB, "'e'", "[{'$changeStream': {'resumeAfter': {'_data': '0102'}}}]", 50811,
        "Location50811");
    bad(c, DB, "'e'", "[{'$changeStream': {'resumeAfter': {'x': 1}}}]", 40647, "Location40647");
    bad(c, DB, "'e'",
        "[{'$changeStream': {'resumeAfter': {'_data': '00'}, 'startAfter': {'_data': '00'}}}]",
        50865, "Location50865");
    bad(c, DB, "'e'", "[{'$changeStream': {'bogus': 1}}]", 40415, "Location40415");
    bad(c, DB, "'e'", "[{'$changeStream': {'fullDocument': 'sometimes'}}]", 2, "BadValue");
    bad(c, DB, "'e'", "[{'$changeStream': {}}, {'$group': {'_id': 1}}]", 20, "IllegalOperation");
    /* $redact is one of the stages mongod allows after $changeStream */
    CMD_OK(c, DB,
           "{'aggregate': 'e', 'pipeline': [{'$changeStream': {}}, {'$redact': '$$KEEP'}], "
           "'cursor': {}}",
           &r);
    bson_destroy(&r);
    bad(c, DB, "'e'", "[{'$changeStream': {}}, {'$bogus': {}}]", 40324, "Location40324");
    bad(c, DB, "'e'", "[{'$match': {}}, {'$changeStream': {}}]", 40602, "Location40602");
    bad(c, DB, "'e'", "[{'$changeStream': {}}, {'$changeStream': {}}]", 40602, "Location40602");
    bad(c, DB, "'system.profile'", "[{'$changeStream': {}}]", 73, "InvalidNamespace");
    bad(c, "local", "'e'", "[{'$changeStream': {}}]", 73, "InvalidNamespace");
    bad(c, "admin", "1", "[{'$changeStream': {}}]", 73, "InvalidNamespace");
    bad(c, DB, "1", "[{'$changeStream': {'allChangesForCluster': true}}]", 72, "InvalidOptions");
    /* a time before the oldest oplog entry: the history is gone */
    CMD_OK(c, DB, "{'insert': 'e', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    bad(c, DB, "'e'",
        "[{'$changeStream': {'startAtOperationTime': {'$timestamp': {'t': 1, "
        "'i': 1}}}}]",
        286, "ChangeStreamHistoryLost");
    /* a view */
    CMD_OK(c, DB, "{'create': 'v', 'viewOn': 'e', 'pipeline': []}", &r);
    bson_destroy(&r);
    bad(c, DB, "'v'", "[{'$changeStream': {}}]", 166, "CommandNotSupportedOnView");
    /* the connection lives */
    CMD_OK(c, DB, "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- awaitData parks on the worker ------------------------------------------------------ */

typedef struct waiter {
    const fx_server_t *srv;
    mongoc_client_t *c;
    int64_t id;
    volatile int done;
    bson_t reply;
} waiter_t;

static void *
wait_more(void *arg)
{
    waiter_t *w = arg;
    char json[256];
    bson_error_t e;

    snprintf(json, sizeof(json),
             "{'getMore': {'$numberLong': '%lld'}, 'collection': 'aw', 'maxTimeMS': 60000}",
             (long long)w->id);
    fx_cmd(w->c, DB, json, &w->reply, &e);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

START_TEST(test_await_parks_request)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    waiter_t w = {0};
    pthread_t th;
    bson_t r;

    fx_server_up(&s, 1); /* one worker: both connections share it */
    a = fx_client(&s);
    b = fx_client(&s);
    w.srv = &s;
    w.c = a;
    w.id = open_stream(a, DB, "aw", "{}", &r);
    bson_destroy(&r);
    ck_assert(pthread_create(&th, NULL, wait_more, &w) == 0);
    fx_sleep_ms(300);
    /* the parked getMore does not hold the worker: b is served meanwhile */
    for (int i = 0; i < 20; i++) {
        CMD_OK(b, DB, "{'find': 'aw', 'filter': {}}", &r);
        bson_destroy(&r);
    }
    ck_assert_msg(!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), "the getMore returned early: %s",
                  fx_to_json(&w.reply));
    /* the write wakes it with the event */
    CMD_OK(b, DB, "{'insert': 'aw', 'documents': [{'_id': 7}]}", &r);
    bson_destroy(&r);
    pthread_join(th, NULL);
    ASSERT_STR(&w.reply, "cursor.nextBatch.0.operationType", "insert");
    ASSERT_INT(&w.reply, "cursor.nextBatch.0.documentKey._id", 7);
    bson_destroy(&w.reply);
    /* killCursors interrupts a parked getMore: 237 CursorKilled, as mongod */
    w.done = 0;
    ck_assert(pthread_create(&th, NULL, wait_more, &w) == 0);
    fx_sleep_ms(300);
    {
        char json[256];
        snprintf(json, sizeof(json), "{'killCursors': 'aw', 'cursors': [{'$numberLong': '%lld'}]}",
                 (long long)w.id);
        CMD_OK(b, DB, json, &r);
        ck_assert_int_eq(fx_array_len(&r, "cursorsKilled"), 1);
        bson_destroy(&r);
    }
    pthread_join(th, NULL);
    ASSERT_INT(&w.reply, "code", 237);
    bson_destroy(&w.reply);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    fx_server_cleanup(&s);
}
END_TEST

/* ---- kill -9 of the stream's worker ---------------------------------------------------- */

START_TEST(test_resume_after_worker_kill9)
{
    fx_server_t s;
    mongoc_client_t *a, *w, *n;
    pid_t dead[1];
    char spec[256], *tok;
    bson_t r, ev;
    int64_t id;
    pid_t owner;

    fx_server_up(&s, 2);
    a = fx_client(&s);
    w = fx_client(&s);
    id = open_stream(a, DB, "k9", "{}", &r);
    bson_destroy(&r);
    CMD_OK(w, DB, "{'insert': 'k9', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    more_until(a, DB, "k9", id, 1, &ev);
    tok = token(&ev, "0._id._data");
    bson_destroy(&ev);
    owner = fx_conn_owner(&s, fx_client_local_port(&s, a));
    ck_assert_msg(owner > 0, "cannot find the stream's worker");
    ck_assert(kill(owner, SIGKILL) == 0);
    dead[0] = owner;
    ck_assert(fx_wait_workers(&s, 2, dead, 1, 30));
    mongoc_client_destroy(w);
    w = fx_client(&s); /* the writer's connection may have died with the worker */
    /* writes go on */
    for (int i = 2; i <= 4; i++) {
        char json[128];
        snprintf(json, sizeof(json), "{'insert': 'k9', 'documents': [{'_id': %d}]}", i);
        CMD_OK(w, DB, json, &r);
        bson_destroy(&r);
    }
    /* the driver's resume: a new connection, the last token */
    n = fx_client(&s);
    snprintf(spec, sizeof(spec), "{'resumeAfter': {'_data': '%s'}}", tok);
    id = open_stream(n, DB, "k9", spec, &r);
    collect(n, DB, "k9", &r, id, 3, &ev);
    bson_destroy(&r);
    ASSERT_INT(&ev, "0.documentKey._id", 2);
    ASSERT_INT(&ev, "1.documentKey._id", 3);
    ASSERT_INT(&ev, "2.documentKey._id", 4);
    bson_destroy(&ev);
    bson_free(tok);
    mongoc_client_destroy(a);
    mongoc_client_destroy(w);
    mongoc_client_destroy(n);
    fx_server_cleanup(&s);
}
END_TEST

#define BIG_LSID                                                                                   \
    "'lsid': {'id': {'$binary': {'base64': 'oKGio6SlpqeoqaqrrK2urw==', 'subType': '04'}}}"
#define BIG_DOCS 20

/* A transaction of 20 MB enters the oplog as mongod splits it (oplog.h): two applyOps entries
 * chained by prevOpTime, partialTxn then count; a stream sees every insert once, in order. */
START_TEST(test_large_transaction)
{
    mongoc_client_t *c = IT_CLIENT();
    size_t len = (size_t)1 << 20;
    char *big = bson_malloc(len + 512), head[256];
    bson_t r, all, ev;
    int64_t id;

    CMD_OK(c, DB, "{'insert': 'big', 'documents': [{'_id': 'seed'}]}", &r);
    bson_destroy(&r);
    id = open_stream(c, DB, "big", "{}", &r);
    bson_destroy(&r);
    for (int i = 0; i < BIG_DOCS; i++) {
        int n =
            snprintf(head, sizeof(head), "{'insert': 'big', 'documents': [{'_id': %d, 's': '", i);
        memcpy(big, head, (size_t)n);
        memset(big + n, 'x', len);
        snprintf(big + n + len, 512,
                 "'}], %s, 'txnNumber': {'$numberLong': '1'}, "
                 "'autocommit': false%s}",
                 BIG_LSID, i == 0 ? ", 'startTransaction': true" : "");
        CMD_OK(c, DB, big, &r);
        bson_destroy(&r);
    }
    CMD_OK(c, "admin",
           "{'commitTransaction': 1, " BIG_LSID ", 'txnNumber': {'$numberLong': '1'}, "
           "'autocommit': false}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "local",
           "{'find': 'oplog.rs', 'filter': {'op': 'c', 'txnNumber': 1, 'lsid.id': "
           "{'$binary': {'base64': 'oKGio6SlpqeoqaqrrK2urw==', 'subType': '04'}}}, "
           "'projection': {'o.partialTxn': 1, 'o.count': 1, 'prevOpTime': 1, 'ts': 1, "
           "'n': {'$size': '$o.applyOps'}}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.o.partialTxn", BSON_TYPE_BOOL);
    ASSERT_INT(&r, "cursor.firstBatch.0.prevOpTime.t", -1);
    ck_assert(!fx_has(&r, "cursor.firstBatch.1.o.partialTxn"));
    ASSERT_INT(&r, "cursor.firstBatch.1.o.count", BIG_DOCS);
    ASSERT_INT(&r, "cursor.firstBatch.1.prevOpTime.t", 1);
    ck_assert_int_eq(fx_int(&r, "cursor.firstBatch.0.n") + fx_int(&r, "cursor.firstBatch.1.n"),
                     BIG_DOCS);
    {
        bson_iter_t a, b;
        ck_assert(bson_iter_init(&a, &r) &&
                  bson_iter_find_descendant(&a, "cursor.firstBatch.0.ts", &b));
        ck_assert(fx_sub(&r, "cursor.firstBatch.1.prevOpTime", &ev));
        ck_assert(bson_iter_init(&a, &ev) && bson_iter_find(&a, "ts"));
        ck_assert(bson_iter_value(&a)->value.v_timestamp.timestamp ==
                      bson_iter_value(&b)->value.v_timestamp.timestamp &&
                  bson_iter_value(&a)->value.v_timestamp.increment ==
                      bson_iter_value(&b)->value.v_timestamp.increment);
        bson_destroy(&ev);
    }
    bson_destroy(&r);
    more_until(c, DB, "big", id, BIG_DOCS, &all);
    for (int i = 0; i < BIG_DOCS; i++) {
        char path[32];

        snprintf(path, sizeof(path), "%d", i);
        ck_assert(fx_sub(&all, path, &ev));
        ASSERT_STR(&ev, "operationType", "insert");
        ASSERT_INT(&ev, "documentKey._id", i);
        ASSERT_INT(&ev, "txnNumber", 1);
        bson_destroy(&ev);
    }
    bson_destroy(&all);
    bson_free(big);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("changestream");
    TCase *tc = it_tcase(s, "changestream", true);
    TCase *own = it_tcase(s, "changestream_own_server", false);

    tcase_add_test(tc, test_collection_events);
    tcase_add_test(tc, test_resume_points);
    tcase_add_test(tc, test_db_and_cluster_streams);
    tcase_add_test(tc, test_images_and_pipeline);
    tcase_add_test(tc, test_images_in_transaction);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_large_transaction);
    tcase_add_test(own, test_await_parks_request);
    tcase_add_test(own, test_resume_after_worker_kill9);
    return it_main(s);
}
