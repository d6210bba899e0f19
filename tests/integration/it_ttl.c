/*
 * tests/integration/it_ttl.c -- TTL indexes: the monitor's deletes, collMod, parameters.
 *
 * The shared server runs with --setParameter ttlMonitorSleepSecs=1, so a pass comes every
 * second.  Every wait for something to happen is a bounded poll (up to WAIT_MS), and what a
 * pass kept is checked only once the same pass is known to have run over that index: a
 * document of the same collection that had to go is gone.  The one thing shown by waiting is
 * that a disabled monitor does nothing: a few of its intervals go by without a pass, which
 * cannot fail on a slow machine, only when the switch is ignored.  Covered: past dates
 * expire, future dates and non-dates stay, an array expires by its earliest date, descending
 * indexes, expiry in several batches, collMod's expireAfterSeconds (old and new values,
 * listIndexes, conversion of a plain index, mongod's errors, a restart keeps it),
 * createIndexes' checks, ttlMonitorSleepSecs / ttlMonitorEnabled through getParameter and
 * setParameter, serverStatus metrics.ttl, the deletes as "d" oplog entries a change
 * stream sees, and a clustered collection's expireAfterSeconds (expiry by _id).
 */
#include "harness.h"

#include <time.h>

#define DB "ttltest"
#define WAIT_MS 10000 /* a hang guard for each poll */

static const char *const ttl_args[] = {"--setParameter", "ttlMonitorSleepSecs=1", NULL};

/* ttl_up -- unchecked fixture: the shared server with a one-second monitor interval. */
static void
ttl_up(void)
{
    it_up = fx_server_init(&it_srv, 2) == 0;
    it_srv.extra = ttl_args;
    it_up = it_up && fx_server_start(&it_srv) == 0;
}

static int64_t
now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

/* run -- a command built with printf that must succeed. */
static void run(mongoc_client_t *c, const char *db, bson_t *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
run(mongoc_client_t *c, const char *db, bson_t *r, const char *fmt, ...)
{
    char json[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(json, sizeof(json), fmt, ap);
    va_end(ap);
    CMD_OK(c, db, json, r);
}

/* date -- extended JSON for the date `offset_s` seconds from now (in buf). */
static const char *
date(char *buf, size_t len, int64_t offset_s)
{
    snprintf(buf, len, "{'$date': {'$numberLong': '%lld'}}",
             (long long)(now_ms() + offset_s * 1000));
    return buf;
}

/* wait_count -- poll until db.coll holds `want` documents matching `filter`. */
static void
wait_count(mongoc_client_t *c, const char *coll, const char *filter, int64_t want)
{
    double end = fx_now_ms() + WAIT_MS;
    int64_t n;

    while ((n = fx_count(c, DB, coll, filter)) != want && fx_now_ms() < end)
        fx_sleep_ms(50);
    ck_assert_msg(n == want, "%s %s: %lld documents, want %lld within %d ms", coll, filter,
                  (long long)n, (long long)want, WAIT_MS);
}

/* metric -- serverStatus metrics.ttl.<name>. */
static int64_t
metric(mongoc_client_t *c, const char *name)
{
    char path[64];
    bson_t r;
    int64_t v;

    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    snprintf(path, sizeof(path), "metrics.ttl.%s", name);
    ASSERT_TYPE(&r, path, BSON_TYPE_INT64);
    v = fx_int(&r, path);
    bson_destroy(&r);
    return v;
}

/* wait_passes -- poll until metrics.ttl.passes reached `want`. */
static void
wait_passes(mongoc_client_t *c, int64_t want)
{
    double end = fx_now_ms() + WAIT_MS;

    while (metric(c, "passes") < want && fx_now_ms() < end)
        fx_sleep_ms(50);
    ck_assert_int_ge(metric(c, "passes"), want);
}

START_TEST(test_expiry)
{
    mongoc_client_t *c = IT_CLIENT();
    char p1[96], p2[96], f1[96], f2[96], r1[96], r2[96];
    bson_t r;

    run(c, DB, &r,
        "{'createIndexes': 'e', 'indexes': [{'key': {'at': 1}, 'name': 'at_1', "
        "'expireAfterSeconds': 3600}]}");
    bson_destroy(&r);
    run(c, DB, &r,
        "{'insert': 'e', 'documents': [{'_id': 1, 'at': %s}, {'_id': 2, 'at': %s}, "
        "{'_id': 3, 'at': [%s, %s]}, {'_id': 4, 'at': [%s, %s]}, {'_id': 5, 'at': "
        "'2000-01-01'}, {'_id': 6, 'at': 12345}, {'_id': 7}, {'_id': 8, 'at': %s}, "
        "{'_id': 9, 'at': {'$timestamp': {'t': 1, 'i': 1}}}, {'_id': 10, 'at': null}]}",
        date(p1, sizeof(p1), -7200), date(f1, sizeof(f1), 3600), date(f2, sizeof(f2), 7200),
        date(p2, sizeof(p2), -86400), f1, date(r1, sizeof(r1), -60), date(r2, sizeof(r2), -600));
    ASSERT_INT(&r, "n", 10);
    bson_destroy(&r);
    /* 1 (two hours ago) and 3 (an array whose earliest date is a day ago) expire; 4's earliest
     * date is a minute ago, 8 ten minutes ago: not yet */
    wait_count(c, "e", "{'_id': {'$in': [1, 3]}}", 0);
    /* the pass that deleted them kept the rest: future, recent, non-dates, missing */
    ck_assert_int_eq(fx_count(c, DB, "e", "{}"), 8);
    ck_assert_int_eq(fx_count(c, DB, "e", "{'_id': {'$in': [2, 4, 5, 6, 7, 8, 9, 10]}}"), 8);

    /* a descending index expires the same way */
    run(c, DB, &r,
        "{'createIndexes': 'd', 'indexes': [{'key': {'at': -1}, 'name': 'at_-1', "
        "'expireAfterSeconds': 0}]}");
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'd', 'documents': [{'_id': 1, 'at': %s}, {'_id': 2, 'at': %s}]}",
        date(p1, sizeof(p1), -5), date(f1, sizeof(f1), 3600));
    bson_destroy(&r);
    wait_count(c, "d", "{'_id': 1}", 0);
    ck_assert_int_eq(fx_count(c, DB, "d", "{'_id': 2}"), 1);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_many_batches)
{
    mongoc_client_t *c = IT_CLIENT();
    int64_t before = metric(c, "deletedDocuments");
    bson_t docs, r, cmd, *ins;
    char key[16];

    run(c, DB, &r,
        "{'createIndexes': 'big', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 0}]}");
    bson_destroy(&r);
    bson_init(&docs);
    for (int i = 0; i < 1300; i++) { /* three IXSCAN batches of the monitor */
        bson_t d;
        snprintf(key, sizeof(key), "%d", i);
        bson_append_document_begin(&docs, key, -1, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_DATE_TIME(&d, "t", now_ms() - 1000 - i);
        bson_append_document_end(&docs, &d);
    }
    ins = fx_json("{'insert': 'big'}");
    bson_init(&cmd);
    bson_concat(&cmd, ins);
    BSON_APPEND_ARRAY(&cmd, "documents", &docs);
    ck_assert(fx_cmd_bson(c, DB, &cmd, &r, NULL));
    ASSERT_INT(&r, "n", 1300);
    bson_destroy(&r);
    wait_count(c, "big", "{}", 0);
    ck_assert_int_ge(metric(c, "deletedDocuments"), before + 1300);
    bson_destroy(&cmd);
    bson_destroy(ins);
    bson_destroy(&docs);
    mongoc_client_destroy(c);
}
END_TEST

/* index_secs -- listIndexes' expireAfterSeconds of index `name` on coll (-1 when absent);
 * *type receives its BSON type. */
static int64_t
index_secs(mongoc_client_t *c, const char *coll, const char *name, bson_type_t *type)
{
    char json[128], path[96];
    bson_t r;
    int64_t v = -1;

    *type = BSON_TYPE_EOD;
    snprintf(json, sizeof(json), "{'listIndexes': '%s'}", coll);
    CMD_OK(c, DB, json, &r);
    for (int i = 0; i < fx_array_len(&r, "cursor.firstBatch"); i++) {
        snprintf(path, sizeof(path), "cursor.firstBatch.%d.name", i);
        if (strcmp(fx_str(&r, path), name) != 0)
            continue;
        snprintf(path, sizeof(path), "cursor.firstBatch.%d.expireAfterSeconds", i);
        *type = fx_type(&r, path);
        if (fx_has(&r, path))
            v = fx_int(&r, path);
    }
    bson_destroy(&r);
    return v;
}

/* collMod index changes mongod refuses, with its code and (when given) its words. */
static const struct {
    const char *index;
    int code;
    const char *name, *msg;
} refused[] = {
    {"{'name': 'pq', 'expireAfterSeconds': 5}", 72, "InvalidOptions",
     "TTL indexes are single-field indexes, compound indexes do not support TTL"},
    {"{'name': '_id_', 'expireAfterSeconds': 5}", 72, "InvalidOptions",
     "the _id field does not support TTL indexes"},
    {"{'name': 't_1', 'expireAfterSeconds': -1}", 72, "InvalidOptions",
     "TTL index 'expireAfterSeconds' option cannot be less than 0"},
    {"{'name': 't_1', 'expireAfterSeconds': {'$numberLong': '2147483648'}}", 72, "InvalidOptions",
     NULL},
    {"{'name': 't_1', 'expireAfterSeconds': 'x'}", 14, "TypeMismatch", NULL},
    {"{'name': 'nope', 'expireAfterSeconds': 5}", 27, "IndexNotFound", NULL},
    {"{'keyPattern': {'z': 1}, 'expireAfterSeconds': 5}", 27, "IndexNotFound", NULL},
    {"{'name': 't_1', 'keyPattern': {'t': 1}, 'expireAfterSeconds': 5}", 72, "InvalidOptions",
     "Cannot specify both key pattern and name."},
    {"{'expireAfterSeconds': 5}", 72, "InvalidOptions",
     "Must specify either index name or key pattern."},
    {"{'name': 't_1', 'bogus': 1}", 40415, "Location40415", NULL},
    {"5", 14, "TypeMismatch", NULL},
};

START_TEST(test_coll_mod)
{
    mongoc_client_t *c = IT_CLIENT();
    char old[96], recent[96], json[256];
    bson_type_t t;
    bson_t r;

    run(c, DB, &r,
        "{'createIndexes': 'm', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 3600}, {'key': {'u': 1}, 'name': 'u_1'}, "
        "{'key': {'p': 1, 'q': 1}, 'name': 'pq'}]}");
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'm', 'documents': [{'_id': 1, 't': %s}, {'_id': 2, 't': %s}]}",
        date(recent, sizeof(recent), -120), date(old, sizeof(old), -7200));
    bson_destroy(&r);
    wait_count(c, "m", "{'_id': 2}", 0);                     /* the pass ran over t_1 ... */
    ck_assert_int_eq(fx_count(c, DB, "m", "{'_id': 1}"), 1); /* ... and kept the recent one */

    /* lower it by key pattern: the recent document expires too */
    CMD_OK(c, DB, "{'collMod': 'm', 'index': {'keyPattern': {'t': 1}, 'expireAfterSeconds': 60}}",
           &r);
    ASSERT_INT(&r, "expireAfterSeconds_old", 3600);
    ASSERT_INT(&r, "expireAfterSeconds_new", 60);
    ASSERT_TYPE(&r, "expireAfterSeconds_new", BSON_TYPE_INT64);
    bson_destroy(&r);
    ck_assert_int_eq(index_secs(c, "m", "t_1", &t), 60);
    ck_assert_int_eq(t, BSON_TYPE_INT32);
    wait_count(c, "m", "{'_id': 1}", 0);

    /* a plain single-field index becomes a TTL index (by name): no _old in the reply */
    CMD_OK(c, DB, "{'collMod': 'm', 'index': {'name': 'u_1', 'expireAfterSeconds': 5.9}}", &r);
    ck_assert(!fx_has(&r, "expireAfterSeconds_old"));
    ASSERT_INT(&r, "expireAfterSeconds_new", 5);
    bson_destroy(&r);
    ck_assert_int_eq(index_secs(c, "m", "u_1", &t), 5);
    run(c, DB, &r, "{'insert': 'm', 'documents': [{'_id': 3, 'u': %s}]}",
        date(old, sizeof(old), -60));
    bson_destroy(&r);
    wait_count(c, "m", "{'_id': 3}", 0);

    /* mongod's refusals */
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(json, sizeof(json), "{'collMod': 'm', 'index': %s}", refused[i].index);
        CMD_ERR(c, DB, json, &r, refused[i].code, refused[i].name);
        if (refused[i].msg != NULL)
            ASSERT_STR(&r, "errmsg", refused[i].msg);
        bson_destroy(&r);
    }
    CMD_OK(c, DB, "{'create': 'capm', 'capped': true, 'size': 4096}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'createIndexes': 'capm', 'indexes': [{'key': {'t': 1}, 'name': 't_1'}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'capm', 'index': {'name': 't_1', 'expireAfterSeconds': 5}}", &r, 72,
            "InvalidOptions");
    ASSERT_STR(&r, "errmsg", "TTL indexes are not supported for capped collections.");
    bson_destroy(&r);
    ck_assert_int_eq(index_secs(c, "m", "t_1", &t), 60); /* nothing changed */
    ck_assert_int_eq(index_secs(c, "m", "pq", &t), -1);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_create_checks)
{
    static const struct {
        const char *spec;
        int code;
        const char *name;
    } bad[] = {
        {"{'key': {'a': 1}, 'name': 'a', 'expireAfterSeconds': -1}", 67, "CannotCreateIndex"},
        {"{'key': {'a': 1}, 'name': 'a', 'expireAfterSeconds': {'$numberDouble': 'NaN'}}", 67,
         "CannotCreateIndex"},
        {"{'key': {'a': 1}, 'name': 'a', 'expireAfterSeconds': '60'}", 67, "CannotCreateIndex"},
        {"{'key': {'a': 1}, 'name': 'a', 'expireAfterSeconds': 2147483648}", 67,
         "CannotCreateIndex"},
        {"{'key': {'a': 1, 'b': 1}, 'name': 'ab', 'expireAfterSeconds': 10}", 67,
         "CannotCreateIndex"},
        {"{'key': {'_id': 1}, 'name': 'id1', 'expireAfterSeconds': 10}", 197,
         "InvalidIndexSpecificationOption"},
    };
    mongoc_client_t *c = IT_CLIENT();
    char json[512];
    bson_type_t t;
    bson_t r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), "{'createIndexes': 'cc', 'indexes': [%s]}", bad[i].spec);
        CMD_ERR(c, DB, json, &r, bad[i].code, bad[i].name);
        bson_destroy(&r);
    }
    CMD_ERR(c, DB,
            "{'createIndexes': 'cc', 'indexes': [{'key': {'a': 1, 'b': 1}, 'name': 'ab', "
            "'expireAfterSeconds': 10}]}",
            &r, 67, "CannotCreateIndex");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "compound indexes do not support TTL") != NULL, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    /* the limits themselves are fine */
    CMD_OK(c, DB,
           "{'createIndexes': 'cc', 'indexes': [{'key': {'a': 1}, 'name': 'a', "
           "'expireAfterSeconds': 2147483647}, {'key': {'b': 1}, 'name': 'b', "
           "'expireAfterSeconds': 0}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(index_secs(c, "cc", "a", &t), 2147483647);
    ck_assert_int_eq(index_secs(c, "cc", "b", &t), 0);
    CMD_OK(c, DB, "{'create': 'capc', 'capped': true, 'size': 4096}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'capc', 'indexes': [{'key': {'a': 1}, 'name': 'a', "
            "'expireAfterSeconds': 10}]}",
            &r, 67, "CannotCreateIndex");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_parameters)
{
    mongoc_client_t *c = IT_CLIENT();
    char old[96];
    int64_t p0;
    bson_t r;

    CMD_OK(c, "admin", "{'getParameter': 1, 'ttlMonitorSleepSecs': 1, 'ttlMonitorEnabled': 1}", &r);
    ASSERT_INT(&r, "ttlMonitorSleepSecs", 1);
    ASSERT_TYPE(&r, "ttlMonitorSleepSecs", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "ttlMonitorEnabled", BSON_TYPE_BOOL);
    ck_assert(fx_bool(&r, "ttlMonitorEnabled"));
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_STR(&r, "parsed.setParameter.ttlMonitorSleepSecs", "1");
    bson_destroy(&r);

    /* refusals, as mongod words them */
    CMD_ERR(c, "admin", "{'setParameter': 1, 'noSuchParameter': 1}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'setParameter': 1, 'enableTestCommands': 0}", &r, 20, "IllegalOperation");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'setParameter': 1}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': 0}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': 'soon'}", &r, 2, "BadValue");
    ASSERT_STR(&r, "errmsg",
               "Invalid value for parameter ttlMonitorSleepSecs: ttlMonitorSleepSecs: \"soon\"");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': 5, 'ttlMonitorSleepSecs': 6}",
            &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'setParameter': 1, 'ttlMonitorSleepSecs': 5}", &r, 13, "Unauthorized");
    bson_destroy(&r);

    /* a new interval is read back on any worker, with the old value as `was` */
    CMD_OK(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': 7}", &r);
    ASSERT_INT(&r, "was", 1);
    ASSERT_TYPE(&r, "was", BSON_TYPE_INT32);
    bson_destroy(&r);
    mongoc_client_t *c2 = fx_client_other_worker(&it_srv, c);
    CMD_OK(c2, "admin", "{'getParameter': 1, 'ttlMonitorSleepSecs': 1}", &r);
    ASSERT_INT(&r, "ttlMonitorSleepSecs", 7);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': '1'}", &r);
    ASSERT_INT(&r, "was", 7);
    bson_destroy(&r);

    /* disabled: no pass runs (at most the one in flight ends) and nothing expires */
    CMD_OK(c, "admin", "{'setParameter': 1, 'ttlMonitorEnabled': false}", &r);
    ck_assert(fx_bool(&r, "was"));
    bson_destroy(&r);
    p0 = metric(c, "passes");
    fx_sleep_ms(2500); /* two intervals: a monitor that ignored the switch would pass twice */
    ck_assert_int_le(metric(c, "passes"), p0 + 1);
    p0 = metric(c, "passes");
    run(c, DB, &r,
        "{'createIndexes': 'off', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 0}]}");
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'off', 'documents': [{'_id': 1, 't': %s}]}",
        date(old, sizeof(old), -60));
    bson_destroy(&r);
    fx_sleep_ms(1500); /* no pass can be in flight now: none may start */
    ck_assert_int_eq(metric(c, "passes"), p0);
    ck_assert_int_eq(fx_count(c, DB, "off", "{}"), 1);
    /* enabled again: the next pass deletes it */
    CMD_OK(c2, "admin", "{'setParameter': 1, 'ttlMonitorEnabled': 1}", &r);
    ck_assert(!fx_bool(&r, "was"));
    bson_destroy(&r);
    wait_count(c, "off", "{}", 0);
    wait_passes(c, p0 + 1);
    mongoc_client_destroy(c2);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_metrics)
{
    mongoc_client_t *c = IT_CLIENT();
    int64_t deleted = metric(c, "deletedDocuments"), passes = metric(c, "passes");
    char old[96];
    bson_t r;

    run(c, DB, &r,
        "{'createIndexes': 'mt', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 0}]}");
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'mt', 'documents': [{'_id': 1, 't': %s}, {'_id': 2, 't': %s}]}",
        date(old, sizeof(old), -30), old);
    bson_destroy(&r);
    wait_count(c, "mt", "{}", 0);
    ck_assert_int_ge(metric(c, "deletedDocuments"), deleted + 2);
    wait_passes(c, passes + 1);
    ck_assert_int_ge(metric(c, "subPasses"), metric(c, "passes"));
    mongoc_client_destroy(c);
}
END_TEST

/* oplog_deletes -- "d" entries of ns in the oplog with o._id == id. */
static int64_t
oplog_deletes(mongoc_client_t *c, const char *ns, int id)
{
    char json[256];

    snprintf(json, sizeof(json), "{'op': 'd', 'ns': '%s', 'o._id': %d}", ns, id);
    return fx_count(c, "local", "oplog.rs", json);
}

START_TEST(test_oplog_and_change_stream)
{
    mongoc_client_t *c = IT_CLIENT();
    char old[96], json[256];
    double end = fx_now_ms() + WAIT_MS;
    bool seen = false;
    int64_t id;
    bson_t r;

    run(c, DB, &r,
        "{'createIndexes': 'cs', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 0}]}");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'aggregate': 'cs', 'pipeline': [{'$changeStream': {}}], 'cursor': {}}", &r);
    id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "%s", fx_to_json(&r));
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'cs', 'documents': [{'_id': 41, 't': %s}]}",
        date(old, sizeof(old), -10));
    bson_destroy(&r);
    /* the stream shows the insert, then the monitor's delete */
    while (!seen && fx_now_ms() < end) {
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'cs', 'maxTimeMS': 500}",
                 (long long)id);
        CMD_OK(c, DB, json, &r);
        for (int i = 0; i < fx_array_len(&r, "cursor.nextBatch"); i++) {
            char path[64];
            snprintf(path, sizeof(path), "cursor.nextBatch.%d.operationType", i);
            if (strcmp(fx_str(&r, path), "delete") != 0)
                continue;
            snprintf(path, sizeof(path), "cursor.nextBatch.%d.documentKey._id", i);
            ASSERT_INT(&r, path, 41);
            seen = true;
        }
        bson_destroy(&r);
    }
    ck_assert_msg(seen, "no delete event within %d ms", WAIT_MS);
    ck_assert_int_eq(fx_count(c, DB, "cs", "{}"), 0);
    ck_assert_int_eq(oplog_deletes(c, DB ".cs", 41), 1);
    mongoc_client_destroy(c);
}
END_TEST

/* A collMod'ed expireAfterSeconds is in the catalog row: it survives a restart, and the monitor
 * of the restarted server deletes by it; a runtime parameter starts over from its start-up
 * value, as in mongod. */
START_TEST(test_restart)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_type_t t;
    char old[96];
    bson_t r;

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = ttl_args;
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    run(c, DB, &r,
        "{'createIndexes': 'rs', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
        "'expireAfterSeconds': 86400}]}");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'rs', 'index': {'name': 't_1', 'expireAfterSeconds': 60}}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'setParameter': 1, 'ttlMonitorSleepSecs': 9}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    ck_assert_int_eq(WEXITSTATUS(fx_server_stop(&s)), 0);
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    ck_assert_int_eq(index_secs(c, "rs", "t_1", &t), 60);
    CMD_OK(c, "admin", "{'getParameter': 1, 'ttlMonitorSleepSecs': 1}", &r);
    ASSERT_INT(&r, "ttlMonitorSleepSecs", 1);
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'rs', 'documents': [{'_id': 1, 't': %s}]}",
        date(old, sizeof(old), -3600));
    bson_destroy(&r);
    wait_count(c, "rs", "{}", 0);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* A clustered collection created with expireAfterSeconds expires by its _id dates (mongod's
 * clustered TTL): an _id older than the limit goes, a future date and a non-date stay; the
 * clustered index shows expireAfterSeconds in listIndexes, the collection in listCollections. */
START_TEST(test_clustered)
{
    mongoc_client_t *c = IT_CLIENT();
    char p1[96], f1[96];
    bson_t r;

    run(c, DB, &r,
        "{'create': 'cl', 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}, "
        "'expireAfterSeconds': 3600}");
    bson_destroy(&r);
    run(c, DB, &r, "{'insert': 'cl', 'documents': [{'_id': %s}, {'_id': %s}, {'_id': 5}]}",
        date(p1, sizeof(p1), -7200), date(f1, sizeof(f1), 3600));
    ASSERT_INT(&r, "n", 3);
    bson_destroy(&r);
    wait_count(c, "cl", "{}", 2);
    ck_assert_int_eq(fx_count(c, DB, "cl", "{'_id': 5}"), 1);
    run(c, DB, &r, "{'listIndexes': 'cl'}");
    ASSERT_INT(&r, "cursor.firstBatch.0.expireAfterSeconds", 3600);
    bson_destroy(&r);
    run(c, DB, &r, "{'listCollections': 1, 'filter': {'name': 'cl'}}");
    ASSERT_INT(&r, "cursor.firstBatch.0.options.expireAfterSeconds", 3600);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("ttl");
    TCase *tc = it_tcase(s, "ttl", false);

    tcase_add_unchecked_fixture(tc, ttl_up, it_shared_down);
    tcase_add_test(tc, test_expiry);
    tcase_add_test(tc, test_many_batches);
    tcase_add_test(tc, test_coll_mod);
    tcase_add_test(tc, test_create_checks);
    tcase_add_test(tc, test_parameters);
    tcase_add_test(tc, test_metrics);
    tcase_add_test(tc, test_oplog_and_change_stream);
    tcase_add_test(tc, test_restart);
    tcase_add_test(tc, test_clustered);
    return it_main(s);
}
