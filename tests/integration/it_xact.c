/*
 * tests/integration/it_xact.c -- multi-document transactions through libmongoc.
 *
 * Commands carry lsid, txnNumber, autocommit: false and startTransaction as a driver sends
 * them.  A transaction's statements go to two different workers and commit from a third
 * connection; nothing is visible outside before the commit and everything after it; abort
 * leaves nothing; the errors and labels are mongod's (251, 256, 225, 117, 263, 72, 112, 11000,
 * 125); bad input keeps the connection; a write outside meeting a transaction's uncommitted
 * write waits for it (bounded by its maxTimeMS).  Cleanup scope: kill -9 of the worker that ran the
 * statements leaves the transaction open, and another connection commits it;
 * transactionLifetimeLimitSeconds aborts a stale one; kill -9 of the whole server keeps every
 * transaction acknowledged with j:true whole and leaves no part of an open one.  create and
 * createIndexes inside a transaction (a new collection, its indexes built over the
 * transaction's own documents) show outside only after the commit and vanish with an abort.
 * A cursor opened in a transaction continues only in it (50739/50740/50741) and ends with it.
 * serverStatus counts transactions started, committed, aborted, open, active and inactive.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>

#define DB "xt"
#define LSID_A                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'AAECAwQFBgcICQoLDA0ODw==', 'subType': '04'}}}"
#define LSID_B                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'EBESExQVFhcYGRobHB0eHw==', 'subType': '04'}}}"

/* stmt -- a statement of transaction n of session `lsid`: body + session fields. */
static void
stmt(char *out, size_t len, const char *lsid, int n, bool start, const char *body)
{
    snprintf(out, len, "{%s, %s, 'txnNumber': {'$numberLong': '%d'}, 'autocommit': false%s}", body,
             lsid, n, start ? ", 'startTransaction': true" : "");
}

static void
ok_stmt(mongoc_client_t *c, const char *db, const char *lsid, int n, bool start, const char *body)
{
    char json[1024];
    bson_t r;

    stmt(json, sizeof(json), lsid, n, start, body);
    CMD_OK(c, db, json, &r);
    ck_assert_msg(!fx_has(&r, "writeErrors"), "%s -> %s", json, fx_to_json(&r));
    bson_destroy(&r);
}

static void
err_stmt(mongoc_client_t *c, const char *db, const char *lsid, int n, bool start, const char *body,
         int code, const char *name)
{
    char json[1024];
    bson_t r;

    stmt(json, sizeof(json), lsid, n, start, body);
    CMD_ERR(c, db, json, &r, code, name);
    bson_destroy(&r);
}

/* has_label -- the reply's errorLabels hold `label`. */
static bool
has_label(const bson_t *r, const char *label)
{
    bson_iter_t it, a;

    if (!bson_iter_init_find(&it, r, "errorLabels") || !bson_iter_recurse(&it, &a))
        return false;
    while (bson_iter_next(&a))
        if (BSON_ITER_HOLDS_UTF8(&a) && strcmp(bson_iter_utf8(&a, NULL), label) == 0)
            return true;
    return false;
}

/* end_err -- commit or abort (`what`) that must fail with code, with or without the
 * TransientTransactionError label. */
static void
end_err(mongoc_client_t *c, const char *lsid, int n, const char *what, int code, const char *name,
        bool transient)
{
    char body[64], json[512];
    bson_t r;

    snprintf(body, sizeof(body), "'%s': 1", what);
    stmt(json, sizeof(json), lsid, n, false, body);
    CMD_ERR(c, "admin", json, &r, code, name);
    ck_assert_msg(has_label(&r, "TransientTransactionError") == transient, "%s -> %s", json,
                  fx_to_json(&r));
    bson_destroy(&r);
}

static void
ping(mongoc_client_t *c)
{
    bson_t r;

    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
}

START_TEST(test_statements_on_two_workers_commit_from_a_third)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client_other_worker(&it_srv, a);
    mongoc_client_t *c = fx_client(&it_srv);
    bson_t r;

    CMD_OK(a, DB, "{'insert': 'two', 'documents': [{'_id': 0, 'v': 0}]}", &r);
    bson_destroy(&r);
    ok_stmt(a, DB, LSID_A, 1, true, "'insert': 'two', 'documents': [{'_id': 1}]");
    ok_stmt(b, DB, LSID_A, 1, false,
            "'update': 'two', 'updates': [{'q': {'_id': 0}, 'u': {'$set': {'v': 1}}}]");
    /* the transaction reads its own writes, on either worker */
    {
        char json[512];
        stmt(json, sizeof(json), LSID_A, 1, false, "'find': 'two', 'filter': {'v': 1}");
        CMD_OK(a, DB, json, &r);
        ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
        bson_destroy(&r);
        stmt(json, sizeof(json), LSID_A, 1, false, "'find': 'two', 'filter': {}");
        CMD_OK(b, DB, json, &r);
        ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
        bson_destroy(&r);
    }
    /* everyone else sees the snapshot before the commit */
    ck_assert_int_eq(fx_count(c, DB, "two", "{}"), 1);
    ck_assert_int_eq(fx_count(c, DB, "two", "{'v': 1}"), 0);
    ok_stmt(c, "admin", LSID_A, 1, false, "'commitTransaction': 1");
    ck_assert_int_eq(fx_count(c, DB, "two", "{}"), 2);
    ck_assert_int_eq(fx_count(c, DB, "two", "{'v': 1}"), 1);
    /* ONE applyOps oplog entry, with the lsid and txnNumber, holds both writes in order */
    CMD_OK(c, "local",
           "{'find': 'oplog.rs', 'filter': {'op': 'c', 'ns': 'admin.$cmd', 'txnNumber': 1, "
           "'lsid.id': {'$binary': {'base64': 'AAECAwQFBgcICQoLDA0ODw==', 'subType': '04'}}}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch.0.o.applyOps"), 2);
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.0.op", "i");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.0.ns", DB ".two");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.1.op", "u");
    ASSERT_INT(&r, "cursor.firstBatch.0.o.applyOps.1.o.diff.u.v", 1); /* mongod $v:2 diff */
    ASSERT_TYPE(&r, "cursor.firstBatch.0.ts", BSON_TYPE_TIMESTAMP);
    bson_destroy(&r);
    /* a retried commit answers ok; abort after commit and a new statement are 256 */
    ok_stmt(b, "admin", LSID_A, 1, false, "'commitTransaction': 1");
    end_err(a, LSID_A, 1, "abortTransaction", 256, "TransactionCommitted", false);
    err_stmt(a, DB, LSID_A, 1, false, "'find': 'two'", 256, "TransactionCommitted");
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_abort_leaves_nothing)
{
    mongoc_client_t *a = IT_CLIENT();

    ok_stmt(a, DB, LSID_B, 1, true, "'insert': 'ab', 'documents': [{'_id': 1}, {'_id': 2}]");
    ok_stmt(a, DB, LSID_B, 1, false, "'delete': 'ab', 'deletes': [{'q': {'_id': 1}, 'limit': 1}]");
    ok_stmt(a, "admin", LSID_B, 1, false, "'abortTransaction': 1");
    ck_assert_int_eq(fx_count(a, DB, "ab", "{}"), 0);
    end_err(a, LSID_B, 1, "commitTransaction", 251, "NoSuchTransaction", true);
    end_err(a, LSID_B, 1, "abortTransaction", 251, "NoSuchTransaction", true);
    /* a newer txnNumber aborts the open one; the older one is then too old */
    ok_stmt(a, DB, LSID_B, 2, true, "'insert': 'ab', 'documents': [{'_id': 3}]");
    ok_stmt(a, DB, LSID_B, 3, true, "'insert': 'ab', 'documents': [{'_id': 4}]");
    end_err(a, LSID_B, 2, "commitTransaction", 225, "TransactionTooOld", false);
    ok_stmt(a, "admin", LSID_B, 3, false, "'commitTransaction': 1");
    ck_assert_int_eq(fx_count(a, DB, "ab", "{}"), 1);
    ck_assert_int_eq(fx_count(a, DB, "ab", "{'_id': 4}"), 1);
    mongoc_client_destroy(a);
}
END_TEST

/* Statements of session LSID_C, in order: mongod's refusals (code 0: must succeed). */
typedef struct refusal {
    int n;
    bool start;
    const char *body;
    int code;
    const char *name;
} refusal_t;

static const refusal_t refusals[] = {
    {6, true, "'count': 'r'", 263, "OperationNotSupportedInTransaction"},
    {7, true, "'insert': 'r', 'documents': [{}], 'writeConcern': {'w': 1}", 72, "InvalidOptions"},
    {8, true, "'find': 'r', 'readConcern': {'level': 'snapshot'}", 0, NULL},
    {8, false, "'find': 'r', 'readConcern': {'level': 'snapshot'}", 72, "InvalidOptions"},
    {8, true, "'find': 'r'", 117, "ConflictingOperationInProgress"},
    {7, true, "'find': 'r'", 225, "TransactionTooOld"},
    {9, true, "'aggregate': 'r', 'pipeline': [{'$out': 'o'}], 'cursor': {}", 263,
     "OperationNotSupportedInTransaction"},
    {9, true, "'aggregate': 'r', 'pipeline': [{'$unionWith': 'o'}], 'cursor': {}", 263,
     "OperationNotSupportedInTransaction"},
};

START_TEST(test_refusals_keep_the_connection)
{
    mongoc_client_t *a = IT_CLIENT();
    bson_t r;

#define LSID_C                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'ICEiIyQlJicoKSorLC0uLw==', 'subType': '04'}}}"
    CMD_ERR(a, "admin", "{'commitTransaction': 1}", &r, 125, "CommandFailed");
    bson_destroy(&r);
    ping(a);
    end_err(a, LSID_C, 5, "commitTransaction", 251, "NoSuchTransaction", true);
    err_stmt(a, DB, LSID_C, 5, false, "'find': 'r'", 251, "NoSuchTransaction");
    for (int i = 0; i < 2; i++) { /* autocommit: true, startTransaction: false */
        CMD_ERR(a, DB,
                i == 0 ? "{'find': 'r', " LSID_C ", 'txnNumber': {'$numberLong': '1'}, "
                         "'autocommit': true}"
                       : "{'find': 'r', " LSID_C ", 'txnNumber': {'$numberLong': '1'}, "
                         "'autocommit': false, 'startTransaction': false}",
                &r, 72, "InvalidOptions");
        bson_destroy(&r);
    }
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const refusal_t *f = &refusals[i];
        if (f->code == 0)
            ok_stmt(a, DB, LSID_C, f->n, f->start, f->body);
        else
            err_stmt(a, DB, LSID_C, f->n, f->start, f->body, f->code, f->name);
    }
    /* a duplicate key fails the statement (not a writeErrors entry) and aborts the transaction */
    ok_stmt(a, DB, LSID_C, 10, true, "'insert': 'r', 'documents': [{'_id': 1}]");
    err_stmt(a, DB, LSID_C, 10, false, "'insert': 'r', 'documents': [{'_id': 1}]", 11000,
             "DuplicateKey");
    end_err(a, LSID_C, 10, "commitTransaction", 251, "NoSuchTransaction", true);
    ck_assert_int_eq(fx_count(a, DB, "r", "{}"), 0);
    /* a retryable write may not reuse an open transaction's number; a newer one aborts it */
    ok_stmt(a, DB, LSID_C, 20, true, "'insert': 'r', 'documents': [{'_id': 20}]");
    CMD_ERR(a, DB,
            "{'insert': 'r', 'documents': [{'_id': 21}], " LSID_C
            ", 'txnNumber': {'$numberLong': '20'}}",
            &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_OK(a, DB,
           "{'insert': 'r', 'documents': [{'_id': 21}], " LSID_C
           ", 'txnNumber': {'$numberLong': '21'}}",
           &r);
    bson_destroy(&r);
    end_err(a, LSID_C, 20, "commitTransaction", 225, "TransactionTooOld", false);
    ck_assert_int_eq(fx_count(a, DB, "r", "{}"), 1);
    ping(a);
    mongoc_client_destroy(a);
}
END_TEST

/* hold -- {_id: 1, v: 0, w: 0} in coll, then transaction 1 of `lsid` sets v: 1 in it (open). */
static void
hold(mongoc_client_t *a, const char *coll, const char *lsid)
{
    char body[256], json[256];
    bson_t r;

    snprintf(json, sizeof(json), "{'insert': '%s', 'documents': [{'_id': 1, 'v': 0, 'w': 0}]}",
             coll);
    CMD_OK(a, DB, json, &r);
    bson_destroy(&r);
    snprintf(body, sizeof(body),
             "'update': '%s', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'v': 1}}}]", coll);
    ok_stmt(a, DB, lsid, 1, true, body);
}

START_TEST(test_write_conflict_aborts)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client(&it_srv);
    char json[512];
    bson_t r;

#define LSID_D                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'MDEyMzQ1Njc4OTo7PD0+Pw==', 'subType': '04'}}}"
#define LSID_E                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'QEFCQ0RFRkdISUpLTE1OTw==', 'subType': '04'}}}"
    hold(a, "wc", LSID_D);
    stmt(json, sizeof(json), LSID_E, 1, true,
         "'update': 'wc', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'v': 2}}}]");
    CMD_ERR(b, DB, json, &r, 112, "WriteConflict");
    ck_assert_msg(has_label(&r, "TransientTransactionError"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    end_err(b, LSID_E, 1, "commitTransaction", 251, "NoSuchTransaction", true);
    ok_stmt(a, "admin", LSID_D, 1, false, "'commitTransaction': 1");
    ck_assert_int_eq(fx_count(b, DB, "wc", "{'v': 1}"), 1);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

/* A non-transactional update of a document a transaction holds, run on its own client. */
typedef struct waiter {
    bool ok;
    bson_t reply;
} waiter_t;

static void *
update_outside(void *arg)
{
    waiter_t *w = arg;
    mongoc_client_t *c = fx_client(&it_srv);
    bson_error_t e;

    w->ok =
        fx_cmd(c, DB, "{'update': 'wait', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'w': 1}}}]}",
               &w->reply, &e);
    mongoc_client_destroy(c);
    return NULL;
}

START_TEST(test_outside_write_waits_for_the_transaction)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client(&it_srv);
    pthread_t t;
    waiter_t w;
    bson_t r;

#define LSID_F                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'UFFSU1RVVldYWVpbXF1eXw==', 'subType': '04'}}}"
    hold(a, "wait", LSID_F);
    /* bounded by its maxTimeMS, the outside write gives up with 50, not 112 */
    CMD_ERR(b, DB,
            "{'update': 'wait', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'w': 1}}}], "
            "'maxTimeMS': 200}",
            &r, 50, "MaxTimeMSExpired");
    bson_destroy(&r);
    ok_stmt(a, DB, LSID_F, 1, false, "'insert': 'wait', 'documents': [{'_id': 2}]");
    CMD_ERR(b, DB, "{'insert': 'wait', 'documents': [{'_id': 2}], 'maxTimeMS': 200}", &r, 50,
            "MaxTimeMSExpired");
    bson_destroy(&r);
    /* without one it waits for the commit, then applies on top of it */
    ck_assert_int_eq(pthread_create(&t, NULL, update_outside, &w), 0);
    fx_sleep_ms(300);
    ok_stmt(a, "admin", LSID_F, 1, false, "'commitTransaction': 1");
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(w.ok, "%s", fx_to_json(&w.reply));
    ASSERT_INT(&w.reply, "nModified", 1);
    bson_destroy(&w.reply);
    ck_assert_int_eq(fx_count(b, DB, "wait", "{'v': 1, 'w': 1}"), 1);
    CMD_OK(b, DB, "{'insert': 'wait', 'documents': [{'_id': 2}]}", &r); /* committed: a dup */
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

/* listed -- how many collections named `coll` listCollections shows in DB. */
static int
listed(mongoc_client_t *c, const char *coll)
{
    char json[256];
    bson_t r;
    int n;

    snprintf(json, sizeof(json), "{'listCollections': 1, 'filter': {'name': '%s'}}", coll);
    CMD_OK(c, DB, json, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    bson_destroy(&r);
    return n;
}

#define LSID_G                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'YGFiY2RlZmdoaWprbG1ubw==', 'subType': '04'}}}"

START_TEST(test_create_commits_with_the_transaction)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client(&it_srv);
    char json[512];
    bson_t r;

    fx_cmd(a, DB, "{'drop': 'made'}", &r, NULL);
    bson_destroy(&r);
    ok_stmt(a, DB, LSID_G, 1, true, "'create': 'made'");
    ok_stmt(a, DB, LSID_G, 1, false, "'insert': 'made', 'documents': [{'_id': 1, 'x': 5}]");
    stmt(json, sizeof(json), LSID_G, 1, false,
         "'createIndexes': 'made', 'indexes': [{'key': {'x': 1}, 'name': 'x_1'}]");
    CMD_OK(a, DB, json, &r);
    ASSERT_INT(&r, "numIndexesBefore", 1);
    ASSERT_INT(&r, "numIndexesAfter", 2);
    bson_destroy(&r);
    /* the index holds the transaction's own uncommitted document */
    stmt(json, sizeof(json), LSID_G, 1, false, "'find': 'made', 'filter': {'x': 5}, 'hint': 'x_1'");
    CMD_OK(a, DB, json, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    /* outside, neither the collection nor its indexes exist before the commit */
    ck_assert_int_eq(listed(b, "made"), 0);
    CMD_ERR(b, DB, "{'listIndexes': 'made'}", &r, 26, "NamespaceNotFound");
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(b, DB, "made", "{}"), 0);
    /* an outside write waits for the transaction (here: until its maxTimeMS) */
    CMD_ERR(b, DB, "{'insert': 'made', 'documents': [{'_id': 2}], 'maxTimeMS': 200}", &r, 50,
            "MaxTimeMSExpired");
    bson_destroy(&r);
    ok_stmt(b, "admin", LSID_G, 1, false, "'commitTransaction': 1");
    ck_assert_int_eq(listed(b, "made"), 1);
    CMD_OK(b, DB, "{'listIndexes': 'made'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(b, DB, "made", "{'x': 5}"), 1);
    /* one applyOps entry: create, insert, createIndexes */
    CMD_OK(b, "local",
           "{'find': 'oplog.rs', 'filter': {'op': 'c', 'ns': 'admin.$cmd', 'txnNumber': 1, "
           "'lsid.id': {'$binary': {'base64': 'YGFiY2RlZmdoaWprbG1ubw==', 'subType': '04'}}}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch.0.o.applyOps"), 3);
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.0.op", "c");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.0.ns", DB ".$cmd");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.0.o.create", "made");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.1.op", "i");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.2.o.createIndexes", "made");
    ASSERT_STR(&r, "cursor.firstBatch.0.o.applyOps.2.o.name", "x_1");
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

#define LSID_H                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'cHFyc3R1dnd4eXp7fH1+fw==', 'subType': '04'}}}"

START_TEST(test_create_aborts_with_the_transaction)
{
    mongoc_client_t *a = IT_CLIENT();
    char json[512];
    bson_t r;

    fx_cmd(a, DB, "{'drop': 'gone'}", &r, NULL);
    bson_destroy(&r);
    fx_cmd(a, DB, "{'drop': 'gone2'}", &r, NULL);
    bson_destroy(&r);
    fx_cmd(a, DB, "{'drop': 'dupx'}", &r, NULL);
    bson_destroy(&r);
    /* explicit create, then abort: nothing is left, and the name is free */
    ok_stmt(a, DB, LSID_H, 1, true, "'create': 'gone'");
    ok_stmt(a, DB, LSID_H, 1, false, "'insert': 'gone', 'documents': [{'_id': 1}]");
    ok_stmt(a, "admin", LSID_H, 1, false, "'abortTransaction': 1");
    ck_assert_int_eq(listed(a, "gone"), 0);
    /* implicit create by insert, aborted by a newer txnNumber */
    ok_stmt(a, DB, LSID_H, 2, true, "'insert': 'gone2', 'documents': [{'_id': 1}]");
    ok_stmt(a, DB, LSID_H, 3, true, "'find': 'gone', 'filter': {}");
    ck_assert_int_eq(listed(a, "gone2"), 0);
    ok_stmt(a, "admin", LSID_H, 3, false, "'commitTransaction': 1");
    CMD_OK(a, DB, "{'create': 'gone'}", &r);
    bson_destroy(&r);
    /* a new index on a collection that existed before: 263, the transaction is aborted */
    err_stmt(a, DB, LSID_H, 4, true,
             "'createIndexes': 'gone', 'indexes': [{'key': {'y': 1}, 'name': 'y_1'}]", 263,
             "OperationNotSupportedInTransaction");
    end_err(a, LSID_H, 4, "commitTransaction", 251, "NoSuchTransaction", true);
    /* an index it already has is fine; a view is refused */
    stmt(json, sizeof(json), LSID_H, 5, true,
         "'createIndexes': 'gone', 'indexes': [{'key': {'_id': 1}, 'name': '_id_'}]");
    CMD_OK(a, DB, json, &r);
    ASSERT_STR(&r, "note", "all indexes already exist");
    bson_destroy(&r);
    err_stmt(a, DB, LSID_H, 5, false, "'create': 'v', 'viewOn': 'gone', 'pipeline': []", 263,
             "OperationNotSupportedInTransaction");
    /* a unique index over the transaction's own duplicates fails and takes the collection */
    ok_stmt(a, DB, LSID_H, 6, true,
            "'insert': 'dupx', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, 'x': 1}]");
    err_stmt(a, DB, LSID_H, 6, false,
             "'createIndexes': 'dupx', 'indexes': [{'key': {'x': 1}, 'name': 'x_1', "
             "'unique': true}]",
             11000, "DuplicateKey");
    end_err(a, LSID_H, 6, "commitTransaction", 251, "NoSuchTransaction", true);
    ck_assert_int_eq(listed(a, "dupx"), 0);
    ck_assert_int_eq(fx_count(a, DB, "dupx", "{}"), 0);
    ping(a);
    mongoc_client_destroy(a);
}
END_TEST

#define LSID_I                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'gIGCg4SFhoeIiYqLjI2Ojw==', 'subType': '04'}}}"

/* cursor_of -- the id of the cursor a find or aggregate reply opened (never 0 here). */
static int64_t
cursor_of(const bson_t *r)
{
    int64_t id = fx_int(r, "cursor.id");

    ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(r));
    return id;
}

START_TEST(test_cursors_belong_to_their_transaction)
{
    mongoc_client_t *a = IT_CLIENT(), *b = fx_client_other_worker(&it_srv, a);
    char body[256], json[512], more[512];
    int64_t in_txn, outside, left;
    bson_t r;

    CMD_OK(a, DB, "{'insert': 'cur', 'documents': [{'_id': 1}, {'_id': 2}, {'_id': 3}]}", &r);
    bson_destroy(&r);
    /* a cursor of the session made outside any transaction continues only outside one */
    CMD_OK(a, DB, "{'find': 'cur', 'batchSize': 1, " LSID_I "}", &r);
    outside = cursor_of(&r);
    bson_destroy(&r);
    stmt(json, sizeof(json), LSID_I, 1, true, "'find': 'cur', 'batchSize': 1");
    CMD_OK(a, DB, json, &r);
    in_txn = cursor_of(&r);
    bson_destroy(&r);
    snprintf(body, sizeof(body), "'getMore': {'$numberLong': '%lld'}, 'collection': 'cur'",
             (long long)outside);
    err_stmt(b, DB, LSID_I, 1, false, body, 50739, "Location50739");
    /* that failed statement aborted transaction 1; the next one gets its own cursor */
    stmt(json, sizeof(json), LSID_I, 2, true, "'find': 'cur', 'batchSize': 1");
    CMD_OK(a, DB, json, &r);
    in_txn = cursor_of(&r);
    bson_destroy(&r);
    snprintf(json, sizeof(json),
             "{'getMore': {'$numberLong': '%lld'}, 'collection': 'cur', 'batchSize': 1, %s}",
             (long long)in_txn, LSID_I);
    CMD_ERR(b, DB, json, &r, 50740, "Location50740");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "created in transaction 2") != NULL, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    snprintf(body, sizeof(body),
             "'getMore': {'$numberLong': '%lld'}, 'collection': 'cur', 'batchSize': 1",
             (long long)in_txn);
    ok_stmt(b, DB, LSID_I, 2, false, body); /* in its transaction, on another worker */
    /* a cursor with the find's leftover maxTimeMS still reads the transaction's snapshot */
    stmt(more, sizeof(more), LSID_I, 2, false, "'find': 'cur', 'batchSize': 1, 'maxTimeMS': 60000");
    CMD_OK(a, DB, more, &r);
    left = cursor_of(&r);
    bson_destroy(&r);
    CMD_OK(b, DB, "{'insert': 'cur', 'documents': [{'_id': 4}]}", &r); /* outside, committed */
    bson_destroy(&r);
    snprintf(body, sizeof(body), "'getMore': {'$numberLong': '%lld'}, 'collection': 'cur'",
             (long long)left);
    stmt(more, sizeof(more), LSID_I, 2, false, body);
    CMD_OK(b, DB, more, &r);
    ck_assert_msg(fx_array_len(&r, "cursor.nextBatch") == 2, "%s",
                  fx_to_json(&r)); /* 2, 3: not 4 */
    bson_destroy(&r);
    ok_stmt(a, "admin", LSID_I, 2, false, "'commitTransaction': 1");
    /* the commit ended it */
    CMD_ERR(b, DB, json, &r, 43, "CursorNotFound");
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'getMore': {'$numberLong': '%lld'}, 'collection': 'cur', %s}",
             (long long)outside, LSID_I);
    CMD_OK(a, DB, json, &r); /* the one made outside lives on (and reads what is committed) */
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 3);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
}
END_TEST

/* txn_stat -- serverStatus transactions.<name>. */
static int64_t
txn_stat(mongoc_client_t *c, const char *name)
{
    char path[64];
    bson_t r;
    int64_t v;

    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    snprintf(path, sizeof(path), "transactions.%s", name);
    ck_assert_msg(fx_has(&r, path), "no %s in serverStatus", path);
    v = fx_int(&r, path);
    bson_destroy(&r);
    return v;
}

#define LSID_J                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'kJGSk5SVlpeYmZqbnJ2enw==', 'subType': '04'}}}"

START_TEST(test_server_status_counts_transactions)
{
    mongoc_client_t *a = IT_CLIENT();
    int64_t started = txn_stat(a, "totalStarted"), committed = txn_stat(a, "totalCommitted");
    int64_t aborted = txn_stat(a, "totalAborted"), open = txn_stat(a, "currentOpen");

    ok_stmt(a, DB, LSID_J, 1, true, "'insert': 'stat', 'documents': [{'_id': 1}]");
    ck_assert_int_eq(txn_stat(a, "currentOpen"), open + 1);
    ck_assert_int_eq(txn_stat(a, "currentInactive"), open + 1); /* no statement running */
    ck_assert_int_eq(txn_stat(a, "currentActive"), 0);
    ok_stmt(a, "admin", LSID_J, 1, false, "'commitTransaction': 1");
    ok_stmt(a, DB, LSID_J, 2, true, "'insert': 'stat', 'documents': [{'_id': 2}]");
    ok_stmt(a, "admin", LSID_J, 2, false, "'abortTransaction': 1");
    ck_assert_int_eq(txn_stat(a, "totalStarted"), started + 2);
    ck_assert_int_eq(txn_stat(a, "totalCommitted"), committed + 1);
    ck_assert_int_eq(txn_stat(a, "totalAborted"), aborted + 1);
    ck_assert_int_eq(txn_stat(a, "currentOpen"), open);
    mongoc_client_destroy(a);
}
END_TEST

/* other_worker -- a client whose connection a live worker other than `victim` serves. */
static mongoc_client_t *
other_worker(fx_server_t *s, pid_t victim)
{
    for (int i = 0; i < 40; i++) {
        mongoc_client_t *b = fx_client(s);
        pid_t owner = fx_conn_owner(s, fx_client_local_port(s, b)); /* connects b */
        if (owner > 0 && owner != victim)
            return b;
        mongoc_client_destroy(b);
    }
    ck_abort_msg("every connection landed on worker %d", (int)victim);
    return NULL;
}

START_TEST(test_worker_kill9_leaves_the_transaction_open)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    pid_t victim;

    fx_server_up(&s, 2);
    a = fx_client(&s);
    victim = fx_conn_owner(&s, fx_client_local_port(&s, a)); /* connects a */
    ck_assert_msg(victim > 0, "the worker of connection a is unknown");
    b = other_worker(&s, victim);
    ok_stmt(a, DB, LSID_A, 1, true, "'insert': 'k', 'documents': [{'_id': 1}, {'_id': 2}]");
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
    ck_assert(fx_wait_workers(&s, 2, &victim, 1, 30));
    ok_stmt(b, DB, LSID_A, 1, false, "'insert': 'k', 'documents': [{'_id': 3}]");
    ck_assert_int_eq(fx_count(b, DB, "k", "{}"), 0);
    ok_stmt(b, "admin", LSID_A, 1, false, "'commitTransaction': 1");
    ck_assert_int_eq(fx_count(b, DB, "k", "{}"), 3);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_lifetime_limit_aborts)
{
    static const char *const extra[] = {"--setParameter", "transactionLifetimeLimitSeconds=1",
                                        NULL};
    fx_server_t s;
    mongoc_client_t *a;
    bson_t r;
    bson_error_t e;
    char json[512];
    bool aborted = false;

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    a = fx_client(&s);
    ok_stmt(a, DB, LSID_A, 1, true, "'insert': 'life', 'documents': [{'_id': 1}]");
    /* the master's tick aborts it once it is a second old (hang guard: 30 s) */
    for (int i = 0; i < 300 && !aborted; i++) {
        fx_sleep_ms(100);
        stmt(json, sizeof(json), LSID_A, 1, false, "'find': 'life'");
        aborted = !fx_cmd(a, DB, json, &r, &e) && fx_int(&r, "code") == 251;
        bson_destroy(&r);
    }
    ck_assert_msg(aborted, "the transaction outlived transactionLifetimeLimitSeconds");
    end_err(a, LSID_A, 1, "commitTransaction", 251, "NoSuchTransaction", true);
    ck_assert_int_eq(fx_count(a, DB, "life", "{}"), 0);
    mongoc_client_destroy(a);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_server_kill9_all_or_nothing)
{
    fx_server_t s;
    mongoc_client_t *a;
    char body[256], json[512];
    bson_t r;
    const int ntx = 20;

    fx_server_up(&s, 2);
    a = fx_client(&s);
    for (int t = 1; t <= ntx; t++) {
        snprintf(body, sizeof(body), "'insert': 'dur', 'documents': [{'_id': %d, 't': %d}]", t * 10,
                 t);
        ok_stmt(a, DB, LSID_A, t, true, body);
        snprintf(body, sizeof(body), "'insert': 'dur', 'documents': [{'_id': %d, 't': %d}]",
                 t * 10 + 1, t);
        ok_stmt(a, DB, LSID_A, t, false, body);
        stmt(json, sizeof(json), LSID_A, t, false,
             "'commitTransaction': 1, 'writeConcern': {'j': true}");
        CMD_OK(a, "admin", json, &r);
        bson_destroy(&r);
    }
    /* one more, open (never committed) when the server dies */
    ok_stmt(a, DB, LSID_A, ntx + 1, true, "'insert': 'dur', 'documents': [{'_id': 1, 't': 0}]");
    mongoc_client_destroy(a);
    fx_server_kill9(&s);
    ck_assert_msg(fx_server_start(&s) == 0, "restart after kill -9 failed (recovery)");
    a = fx_client(&s);
    for (int t = 1; t <= ntx; t++) {
        snprintf(json, sizeof(json), "{'t': %d}", t);
        ck_assert_int_eq(fx_count(a, DB, "dur", json), 2);
    }
    ck_assert_int_eq(fx_count(a, DB, "dur", "{'t': 0}"), 0);
    mongoc_client_destroy(a);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("xact");
    TCase *tc = it_tcase(s, "shared", true);
    tcase_add_test(tc, test_statements_on_two_workers_commit_from_a_third);
    tcase_add_test(tc, test_abort_leaves_nothing);
    tcase_add_test(tc, test_refusals_keep_the_connection);
    tcase_add_test(tc, test_write_conflict_aborts);
    tcase_add_test(tc, test_outside_write_waits_for_the_transaction);
    tcase_add_test(tc, test_create_commits_with_the_transaction);
    tcase_add_test(tc, test_create_aborts_with_the_transaction);
    tcase_add_test(tc, test_cursors_belong_to_their_transaction);
    tcase_add_test(tc, test_server_status_counts_transactions);
    tc = it_tcase(s, "own", false);
    tcase_add_test(tc, test_worker_kill9_leaves_the_transaction_open);
    tcase_add_test(tc, test_lifetime_limit_aborts);
    tcase_add_test(tc, test_server_kill9_all_or_nothing);
    return it_main(s);
}
