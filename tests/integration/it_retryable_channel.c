/*
 * tests/integration/it_retryable_channel.c -- what a retryable write costs on the channel, and
 * a journal flush that does not hold the channel.
 *
 * serverStatus storageOps counts the storage requests the master received, by operation: a
 * retryable insert costs one INSERT and nothing else, a retryable update by _id one IXSCAN and
 * one UPDATE (the statement identity travels in the write), and a statement that writes
 * nothing asks TXN_CHECK, which is how a retried update whose query no longer matches still
 * answers the first run's counts.  Each figure is the difference across the command, minus
 * what two back-to-back serverStatus calls cost by themselves.
 *
 * With mongod's pauseJournalFlusherThread failpoint on, a j:true insert waits for its flush;
 * a find on another connection of the same worker (--workers 1: one channel) must be answered
 * while that insert is still waiting.  Were FLUSH served on the channel's service thread, the
 * find would wait behind it (and hit its client's 10 s socket timeout).  Concurrent j:true
 * inserts are each answered once, and a FLUSH parked for a worker that died is not delivered to
 * its replacement.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define DB "rwc"
#define LSID "'lsid': {'id': {'$binary': {'base64': 'QEFCQ0RFRkdISUpLTE1OTw==', 'subType': '04'}}}"
#define NOPS 32

/* ops -- storageOps from serverStatus, indexed by position (names in `names`). */
typedef struct ops {
    int n;
    char names[NOPS][32];
    int64_t v[NOPS];
} ops_t;

static void
read_ops(mongoc_client_t *c, ops_t *o)
{
    bson_t r, sub;
    bson_iter_t it;

    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    ck_assert_msg(fx_sub(&r, "storageOps", &sub), "no storageOps: %s", fx_to_json(&r));
    memset(o, 0, sizeof(*o));
    bson_iter_init(&it, &sub);
    while (bson_iter_next(&it) && o->n < NOPS) {
        bson_strncpy(o->names[o->n], bson_iter_key(&it), sizeof(o->names[0]));
        o->v[o->n++] = bson_iter_as_int64(&it);
    }
    bson_destroy(&sub);
    bson_destroy(&r);
}

/* cost -- per operation, what `json` cost: (after - before) - (before - base), where base and
 * before are two serverStatus calls in a row.  *total is the sum. */
static void
cost(mongoc_client_t *c, const char *json, ops_t *d, int64_t *total)
{
    ops_t base, before, after;
    bson_t r;

    read_ops(c, &base);
    read_ops(c, &before);
    CMD_OK(c, DB, json, &r);
    ck_assert_msg(!fx_has(&r, "writeErrors"), "%s -> %s", json, fx_to_json(&r));
    bson_destroy(&r);
    read_ops(c, &after);
    *d = after;
    *total = 0;
    for (int i = 0; i < after.n; i++) {
        d->v[i] = (after.v[i] - before.v[i]) - (before.v[i] - base.v[i]);
        *total += d->v[i];
    }
}

static int64_t
op_of(const ops_t *d, const char *name)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->names[i], name) == 0)
            return d->v[i];
    ck_abort_msg("storageOps has no %s", name);
    return -1;
}

/* warm_server -- a --workers 1 server where `insert` (the lsid's first use, creating the
 * collection) and a find have run, so the worker's session note and catalog are current. */
static mongoc_client_t *
warm_server(fx_server_t *s, const char *insert, const char *find)
{
    mongoc_client_t *c;
    bson_t r;

    fx_server_up(s, 1);
    c = fx_client(s);
    CMD_OK(c, DB, insert, &r);
    bson_destroy(&r);
    CMD_OK(c, DB, find, &r);
    bson_destroy(&r);
    return c;
}

START_TEST(test_retryable_insert_one_round_trip)
{
    const char *ins =
        "{'insert': 'c', 'documents': [{'_id': 1, 'x': 1}], " LSID ", 'txnNumber': 2}";
    fx_server_t s;
    mongoc_client_t *c =
        warm_server(&s, "{'insert': 'c', 'documents': [{'_id': 0}], " LSID ", 'txnNumber': 1}",
                    "{'find': 'c'}");
    ops_t d;
    int64_t total;
    bson_t r;

    cost(c, ins, &d, &total);
    ck_assert_int_eq(op_of(&d, "INSERT"), 1);
    ck_assert_int_eq(total, 1);
    /* the retry answers from the record, still in one request */
    cost(c, ins, &d, &total);
    ck_assert_int_eq(op_of(&d, "INSERT"), 1);
    ck_assert_int_eq(total, 1);
    CMD_OK(c, DB, "{'count': 'c'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_retryable_update_costs_its_read_and_write)
{
    const char *upd =
        "{'update': 'u', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'x': 1}}}], " LSID
        ", 'txnNumber': 7}";
    const char *moved =
        "{'update': 'u', 'updates': [{'q': {'y': 1}, 'u': {'$set': {'y': 2}}}], " LSID
        ", 'txnNumber': 8}";
    fx_server_t s;
    mongoc_client_t *c = warm_server(
        &s, "{'insert': 'u', 'documents': [{'_id': 1, 'x': 0, 'y': 1}], " LSID ", 'txnNumber': 6}",
        "{'find': 'u'}");
    ops_t d;
    int64_t total;
    bson_t r;

    cost(c, upd, &d, &total);
    ck_assert_int_eq(op_of(&d, "IXSCAN"), 1);
    ck_assert_int_eq(op_of(&d, "UPDATE"), 1);
    ck_assert_int_eq(op_of(&d, "TXN_CHECK"), 0);
    ck_assert_int_eq(total, 2);
    /* the retry reads and sends the write, which the master answers from the record */
    CMD_OK(c, DB, upd, &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'u', 'filter': {'_id': 1}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 1);
    bson_destroy(&r);
    /* a statement whose query no longer matches on the retry writes nothing: TXN_CHECK says it
     * ran, and the retry answers the first run's counts */
    CMD_OK(c, DB, moved, &r);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    cost(c, moved, &d, &total);
    ck_assert_int_eq(op_of(&d, "TXN_CHECK"), 1);
    ck_assert_int_eq(op_of(&d, "UPDATE"), 0);
    CMD_OK(c, DB, moved, &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* A j:true insert on its own connection; `done` once it answered. */
typedef struct jwrite {
    mongoc_client_t *c;
    atomic_int done;
    bool ok;
    bson_t reply;
} jwrite_t;

static void *
jwrite_main(void *arg)
{
    jwrite_t *j = arg;
    bson_error_t err;

    j->ok =
        fx_cmd(j->c, DB, "{'insert': 'j', 'documents': [{'_id': 1}], 'writeConcern': {'j': true}}",
               &j->reply, &err);
    atomic_store(&j->done, 1);
    return NULL;
}

/* flushes -- FLUSH requests the master has received so far. */
static int64_t
flushes(mongoc_client_t *c)
{
    ops_t o;

    read_ops(c, &o);
    return op_of(&o, "FLUSH");
}

START_TEST(test_flush_does_not_hold_the_channel)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    mongoc_uri_t *uri;
    jwrite_t j;
    pthread_t t;
    int64_t f0;
    bson_t r;

    fx_server_up(&s, 1);
    a = fx_client(&s);
    uri = mongoc_uri_new(s.uri);
    ck_assert(uri != NULL);
    mongoc_uri_set_option_as_bool(uri, MONGOC_URI_DIRECTCONNECTION, true);
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, 10000);
    b = mongoc_client_new_from_uri(uri);
    mongoc_uri_destroy(uri);
    CMD_OK(b, DB, "{'insert': 'k', 'documents': [{'_id': 1, 'v': 'kept'}]}", &r);
    bson_destroy(&r);
    CMD_OK(a, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    f0 = flushes(b);
    CMD_OK(b, "admin", "{'configureFailPoint': 'pauseJournalFlusherThread', 'mode': 'alwaysOn'}",
           &r);
    bson_destroy(&r);
    memset(&j, 0, sizeof(j));
    j.c = a;
    ck_assert_int_eq(pthread_create(&t, NULL, jwrite_main, &j), 0);
    /* wait (bounded) until the insert's FLUSH has reached the master */
    for (int i = 0; i < 1000 && flushes(b) == f0; i++)
        fx_sleep_ms(10);
    ck_assert_msg(flushes(b) > f0, "the j:true insert never sent its FLUSH");
    CMD_OK(b, DB, "{'find': 'k', 'filter': {'_id': 1}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.v", "kept");
    bson_destroy(&r);
    ck_assert_msg(!atomic_load(&j.done), "the j:true insert answered while its flush was paused");
    CMD_OK(b, "admin", "{'configureFailPoint': 'pauseJournalFlusherThread', 'mode': 'off'}", &r);
    bson_destroy(&r);
    pthread_join(t, NULL);
    ck_assert_msg(j.ok, "j:true insert failed: %s", fx_to_json(&j.reply));
    ASSERT_INT(&j.reply, "n", 1);
    bson_destroy(&j.reply);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    fx_server_cleanup(&s);
}
END_TEST

/* A loop of j:true inserts with ids base .. base + JN - 1 on its own connection. */
#define JN 25
typedef struct jloop {
    mongoc_client_t *c;
    int base;
    int ok;
} jloop_t;

static void *
jloop_main(void *arg)
{
    jloop_t *j = arg;

    for (int i = 0; i < JN; i++) {
        char json[160];
        bson_t r;
        bson_error_t err;
        snprintf(json, sizeof(json),
                 "{'insert': 'g', 'documents': [{'_id': %d}], 'writeConcern': {'j': true}}",
                 j->base + i);
        if (fx_cmd(j->c, DB, json, &r, &err) && fx_int(&r, "n") == 1)
            j->ok++;
        bson_destroy(&r);
    }
    return NULL;
}

START_TEST(test_concurrent_j_writes_all_answered)
{
    /* four connections of one worker share the flusher: every j:true insert is answered once,
     * on its own request, whatever batch its flush fell into */
    fx_server_t s;
    jloop_t j[4];
    pthread_t t[4];
    mongoc_client_t *c;
    bson_t r;

    fx_server_up(&s, 1);
    for (int i = 0; i < 4; i++) {
        j[i] = (jloop_t){fx_client(&s), i * JN, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, jloop_main, &j[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(j[i].ok, JN);
        mongoc_client_destroy(j[i].c);
    }
    c = fx_client(&s);
    CMD_OK(c, DB, "{'count': 'g'}", &r);
    ASSERT_INT(&r, "n", 4 * JN);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_parked_flush_of_a_dead_worker_is_dropped)
{
    /* a FLUSH parked for a worker that died is answered after its replacement attached: the
     * answer must not reach the new worker's channel (a reply it never asked for) */
    fx_server_t s;
    mongoc_client_t *a, *c;
    pid_t w[FX_MAX_WORKERS], victim, now[FX_MAX_WORKERS];
    jwrite_t j;
    pthread_t t;
    int64_t f0;
    bson_t r;

    fx_server_up(&s, 1);
    ck_assert(fx_wait_workers(&s, 1, NULL, 0, 20));
    ck_assert_int_eq(fx_worker_pids(&s, w, FX_MAX_WORKERS), 1);
    victim = w[0];
    a = fx_client(&s);
    c = fx_client(&s);
    f0 = flushes(c);
    CMD_OK(c, "admin", "{'configureFailPoint': 'pauseJournalFlusherThread', 'mode': 'alwaysOn'}",
           &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    memset(&j, 0, sizeof(j));
    j.c = a;
    ck_assert_int_eq(pthread_create(&t, NULL, jwrite_main, &j), 0);
    c = fx_client(&s);
    for (int i = 0; i < 1000 && flushes(c) == f0; i++)
        fx_sleep_ms(10);
    ck_assert_msg(flushes(c) > f0, "the j:true insert never sent its FLUSH");
    mongoc_client_destroy(c);
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
    pthread_join(t, NULL);
    ck_assert_msg(!j.ok, "the insert of a killed worker answered: %s", fx_to_json(&j.reply));
    bson_destroy(&j.reply);
    mongoc_client_destroy(a);
    ck_assert_msg(fx_wait_workers(&s, 1, &victim, 1, 30), "no replacement worker");
    ck_assert_int_eq(fx_worker_pids(&s, w, FX_MAX_WORKERS), 1);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{'configureFailPoint': 'pauseJournalFlusherThread', 'mode': 'off'}", &r);
    bson_destroy(&r);
    /* this flush is queued after the dead one: once it is answered, so was that one */
    CMD_OK(c, DB, "{'insert': 'j', 'documents': [{'_id': 2}], 'writeConcern': {'j': true}}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'j', 'filter': {'_id': 2}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 2);
    bson_destroy(&r);
    ck_assert_int_eq(fx_worker_pids(&s, now, FX_MAX_WORKERS), 1);
    ck_assert_msg(now[0] == w[0], "the replacement worker %d died (now %d)", (int)w[0],
                  (int)now[0]);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("retryable_channel");
    TCase *tc = it_tcase(s, "channel", false);
    tcase_add_test(tc, test_retryable_insert_one_round_trip);
    tcase_add_test(tc, test_retryable_update_costs_its_read_and_write);
    tcase_add_test(tc, test_flush_does_not_hold_the_channel);
    tcase_add_test(tc, test_concurrent_j_writes_all_answered);
    tcase_add_test(tc, test_parked_flush_of_a_dead_worker_is_dropped);
    return it_main(s);
}
