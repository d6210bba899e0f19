/*
 * tests/integration/it_hostile_fairness.c -- one slow request never stalls its neighbours
 * (issue 7, "Fair sharing inside a worker").
 *
 * Every test starts its own server with --workers 1, so every connection shares the one
 * worker.  Cases: a pathological regex fails fast with mongod's regex execution error (51156)
 * instead of running for seconds, and a too long pattern is 2 BadValue; a bystander's pings
 * keep being answered (median under 50 ms, and many of them while one slow request is still
 * running) while a large $group and pathological regex finds run on other connections;
 * maxTimeMS ends a slow scan with 50 MaxTimeMSExpired for find, aggregate, count, distinct,
 * update, delete, findAndModify and a find's getMore (which inherits the find's leftover
 * time); a malformed maxTimeMS is 2 BadValue; SIGTERM interrupts a running scan with 11600
 * InterruptedAtShutdown; a scan whose client closed its connection stops (the worker's CPU
 * time stays flat afterwards: 279 ClientDisconnect has no one to be sent to); requests
 * pipelined behind a slow one on the same connection are answered in order.  Each case checks that the worker's pid did not change.
 *
 * Timing: the few bounds here are what the issue asks for (a regex must not run for seconds,
 * maxTimeMS must be honoured, pings must not wait for the slow request) and are generous
 * (several times the expected figure on a loaded 2-core machine); the latency check is on
 * the median of many pings plus a progress count, never on a single sample.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define DB "fair"
#define SLOW_DOCS 300   /* documents on which the slow regex takes a few ms each */
#define BIG_DOCS 24000  /* ~24 MB for the $group */
#define BIG_PAD 1000    /* bytes of padding per big document */
#define MAX_PINGS 20000 /* the bystander's samples */

/* the single worker's pid */
static pid_t
worker_pid(const fx_server_t *s)
{
    pid_t w[FX_MAX_WORKERS];
    ck_assert_msg(fx_wait_workers(s, 1, NULL, 0, 20), "the worker did not come up");
    ck_assert_int_eq(fx_worker_pids(s, w, FX_MAX_WORKERS), 1);
    return w[0];
}

/* insert_n -- insert docs {_id: first + i, s: str, g: (first + i) % groups, pad} in batches. */
static void
insert_n(mongoc_client_t *c, const char *coll, int first, int n, const char *str, int groups,
         int pad)
{
    char *padding = bson_malloc((size_t)pad + 1);
    memset(padding, 'p', (size_t)pad);
    padding[pad] = '\0';
    for (int done = 0; done < n;) {
        bson_t cmd = BSON_INITIALIZER, docs, reply;
        bson_error_t err;
        int batch = n - done < 1000 ? n - done : 1000;
        BSON_APPEND_UTF8(&cmd, "insert", coll);
        BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
        for (int i = 0; i < batch; i++) {
            bson_t d;
            char key[16];
            int id = first + done + i;
            snprintf(key, sizeof(key), "%d", i);
            BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
            BSON_APPEND_INT32(&d, "_id", id);
            BSON_APPEND_UTF8(&d, "s", str);
            BSON_APPEND_INT32(&d, "g", groups > 0 ? id % groups : 0);
            if (pad > 0)
                BSON_APPEND_UTF8(&d, "pad", padding);
            bson_append_document_end(&docs, &d);
        }
        bson_append_array_end(&cmd, &docs);
        ck_assert_msg(fx_cmd_bson(c, DB, &cmd, &reply, &err), "insert: %s %s", fx_to_json(&reply),
                      err.message);
        ASSERT_INT(&reply, "n", batch);
        bson_destroy(&reply);
        bson_destroy(&cmd);
        done += batch;
    }
    bson_free(padding);
}

/* a string of n 'a' then "b": (a+)+$ backtracks 2^n ways on it */
static char *
a_then_b(int n)
{
    char *s = bson_malloc((size_t)n + 2);
    memset(s, 'a', (size_t)n);
    s[n] = 'b';
    s[n + 1] = '\0';
    return s;
}

/* run `json` and require it to fail with code/codeName within max_ms; returns elapsed ms */
static double
expect_err_within(mongoc_client_t *c, const char *json, int code, const char *name,
                  const char *msg_part, double max_ms)
{
    bson_t r;
    double t0 = fx_now_ms(), el;
    CMD_ERR(c, DB, json, &r, code, name);
    el = fx_now_ms() - t0;
    if (msg_part != NULL)
        ck_assert_msg(strstr(fx_str(&r, "errmsg"), msg_part) != NULL, "%s: want \"%s\" in %s", json,
                      msg_part, fx_to_json(&r));
    ck_assert_msg(el < max_ms, "%s took %.0f ms (bound %.0f ms)", json, el, max_ms);
    bson_destroy(&r);
    return el;
}

/* up_with_bad_docs -- a 1-worker server (its worker's pid in *w) holding collection "re":
 * 50 documents of "a" * 28 + "b", the pathological input for (a+)+$. */
static mongoc_client_t *
up_with_bad_docs(fx_server_t *s, pid_t *w)
{
    char *bad = a_then_b(28);
    mongoc_client_t *c;

    fx_server_up(s, 1);
    *w = worker_pid(s);
    c = fx_client(s);
    insert_n(c, "re", 0, 50, bad, 0, 0);
    bson_free(bad);
    return c;
}

/* down_same_worker -- the worker still answers and is the one the test started with; stop. */
static void
down_same_worker(fx_server_t *s, pid_t w, mongoc_client_t *c)
{
    bson_t r;

    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(worker_pid(s), w);
    mongoc_client_destroy(c);
    fx_server_cleanup(s);
}

START_TEST(test_pathological_regex_fails_fast)
{
    fx_server_t s;
    pid_t w;
    mongoc_client_t *c = up_with_bad_docs(&s, &w);
    bson_t r;

    /* today: 50 matches of ~120 ms each, 6 s; now the first match hits the limit */
    double el = expect_err_within(c, "{'find': 're', 'filter': {'s': {'$regex': '(a+)+$'}}}", 51156,
                                  "Location51156",
                                  "Error occurred while executing the regular expression in "
                                  "$regex. Result code: match limit exceeded",
                                  2000);
    fprintf(stderr, "pathological regex failed after %.1f ms\n", el);
    expect_err_within(c,
                      "{'find': 're', 'filter': {'s': {'$in': [{'$regularExpression': {'pattern': "
                      "'(a+)+$', 'options': ''}}]}}}",
                      51156, "Location51156", "match limit exceeded", 2000);
    expect_err_within(c,
                      "{'aggregate': 're', 'pipeline': [{'$match': {'s': {'$regex': '(a+)+$'}}}], "
                      "'cursor': {}}",
                      51156, "Location51156", "match limit exceeded", 2000);
    expect_err_within(c, "{'count': 're', 'query': {'s': {'$regex': '(a+)+$'}}}", 51156,
                      "Location51156", NULL, 2000);
    /* the same strings under a well-behaved pattern still match, so no answer is lost */
    CMD_OK(c, DB, "{'count': 're', 'query': {'s': {'$regex': '^a+b$'}}}", &r);
    ASSERT_INT(&r, "n", 50);
    bson_destroy(&r);
    /* mongod's pattern size limit: 32764 bytes */
    {
        size_t len = 32765;
        char *pat = bson_malloc(len + 1);
        bson_t cmd = BSON_INITIALIZER, filter, sv;
        bson_error_t err;
        memset(pat, 'x', len);
        pat[len] = '\0';
        BSON_APPEND_UTF8(&cmd, "find", "re");
        BSON_APPEND_DOCUMENT_BEGIN(&cmd, "filter", &filter);
        BSON_APPEND_DOCUMENT_BEGIN(&filter, "s", &sv);
        BSON_APPEND_UTF8(&sv, "$regex", pat);
        bson_append_document_end(&filter, &sv);
        bson_append_document_end(&cmd, &filter);
        ck_assert(!fx_cmd_bson(c, DB, &cmd, &r, &err));
        ASSERT_INT(&r, "code", 2);
        ASSERT_STR(&r, "codeName", "BadValue");
        ASSERT_STR(&r, "errmsg", "Regular expression is too long");
        bson_destroy(&r);
        bson_destroy(&cmd);
        bson_free(pat);
    }
    down_same_worker(&s, w, c);
}
END_TEST

/* ---- head of line ------------------------------------------------------------------------ */

typedef struct slow_ctx {
    fx_server_t *s;
    volatile int stop;
    int runs;           /* slow requests completed */
    double t_start[64]; /* their spans (group thread only) */
    double t_end[64];
    int failures; /* replies that were not what the thread expected */
    char last_err[1024];
} slow_ctx_t;

static void *
group_loop(void *arg)
{
    slow_ctx_t *x = arg;
    mongoc_client_t *c = fx_client(x->s);
    while (!x->stop && x->runs < 64) {
        bson_t r;
        bson_error_t err;
        double t0 = fx_now_ms();
        bool ok = fx_cmd(c, DB,
                         "{'aggregate': 'big', 'pipeline': [{'$group': {'_id': '$g', "
                         "'n': {'$sum': 1}, 'm': {'$max': '$pad'}}}, {'$count': 'groups'}], "
                         "'cursor': {}, 'allowDiskUse': true}",
                         &r, &err);
        double t1 = fx_now_ms();
        if (!ok || fx_int(&r, "cursor.firstBatch.0.groups") != 4000) {
            x->failures++;
            snprintf(x->last_err, sizeof(x->last_err), "%.700s %.200s", fx_to_json(&r),
                     err.message);
        }
        x->t_start[x->runs] = t0;
        x->t_end[x->runs] = t1;
        x->runs++;
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
    return NULL;
}

static void *
regex_loop(void *arg)
{
    slow_ctx_t *x = arg;
    mongoc_client_t *c = fx_client(x->s);
    while (!x->stop) {
        bson_t r;
        bson_error_t err;
        bool ok = fx_cmd(c, DB, "{'find': 're', 'filter': {'s': {'$regex': '(a+)+$'}}}", &r, &err);
        if (ok || fx_int(&r, "code") != 51156) {
            x->failures++;
            snprintf(x->last_err, sizeof(x->last_err), "%.700s %.200s", fx_to_json(&r),
                     err.message);
        }
        x->runs++;
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
    return NULL;
}

START_TEST(test_bystander_ping_during_slow_work)
{
    fx_server_t s;
    pid_t w;
    mongoc_client_t *c = up_with_bad_docs(&s, &w);
    insert_n(c, "big", 0, BIG_DOCS, "x", 4000, BIG_PAD);

    slow_ctx_t g, rx;
    memset(&g, 0, sizeof(g));
    memset(&rx, 0, sizeof(rx));
    g.s = rx.s = &s;
    pthread_t tg, tr;
    ck_assert_int_eq(pthread_create(&tg, NULL, group_loop, &g), 0);
    ck_assert_int_eq(pthread_create(&tr, NULL, regex_loop, &rx), 0);

    /* ping while at least 3 $group runs complete (hang guard 60 s) */
    static double lat[MAX_PINGS], done_at[MAX_PINGS];
    int n = 0;
    double t_begin = fx_now_ms();
    while (n < MAX_PINGS && g.runs < 3 && fx_now_ms() - t_begin < 60000) {
        bson_t r;
        bson_error_t err;
        double t0 = fx_now_ms();
        ck_assert_msg(fx_cmd(c, "admin", "{'ping': 1}", &r, &err), "ping: %s", err.message);
        done_at[n] = fx_now_ms();
        lat[n] = done_at[n] - t0;
        n++;
        bson_destroy(&r);
    }
    g.stop = rx.stop = 1;
    pthread_join(tg, NULL);
    pthread_join(tr, NULL);
    ck_assert_msg(g.failures == 0, "$group: %d failures, last %s", g.failures, g.last_err);
    ck_assert_msg(rx.failures == 0, "regex find: %d failures, last %s", rx.failures, rx.last_err);
    ck_assert_msg(g.runs >= 3, "only %d $group runs completed", g.runs);

    /* pings answered while a $group was running (strictly inside its span, first run
     * excluded: the pings of a worker that waits for the slow request land after it) */
    int inside_best = 0;
    double longest = 0;
    for (int k = 0; k < g.runs; k++) {
        int inside = 0;
        for (int i = 0; i < n; i++)
            inside += done_at[i] > g.t_start[k] + 1 && done_at[i] < g.t_end[k] - 1;
        if (inside > inside_best)
            inside_best = inside;
        if (g.t_end[k] - g.t_start[k] > longest)
            longest = g.t_end[k] - g.t_start[k];
    }
    fx_sort_doubles(lat, (size_t)n);
    double p50 = lat[n / 2], p99 = lat[(n * 99) / 100], max = lat[n - 1];
    fprintf(stderr,
            "bystander: %d pings, p50 %.2f ms, p99 %.2f ms, max %.2f ms; $group runs %d "
            "(longest %.0f ms, %d pings inside one); regex finds %d\n",
            n, p50, p99, max, g.runs, longest, inside_best, rx.runs);
    ck_assert_msg(p50 < 50.0, "bystander ping median %.2f ms (want < 50 ms)", p50);
    ck_assert_msg(max < 2000.0, "bystander ping max %.2f ms (hang guard 2 s)", max);
    ck_assert_msg(inside_best >= 5,
                  "only %d pings were answered during one $group run of up to %.0f ms: the "
                  "worker did not serve the bystander while it ran",
                  inside_best, longest);
    ck_assert_int_eq(worker_pid(&s), w);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* ---- maxTimeMS --------------------------------------------------------------------------- */

/* slow data: 3 matching documents first ("aaab"), then SLOW_DOCS on which (a+)+$ takes a
 * few ms each without reaching the match limit */
static void
slow_data(mongoc_client_t *c)
{
    char *slow = a_then_b(15);
    insert_n(c, "slow", 0, 3, "aaaa", 0, 0);
    insert_n(c, "slow", 3, SLOW_DOCS, slow, 0, 0);
    bson_free(slow);
}

START_TEST(test_max_time_ms)
{
    fx_server_t s;
    fx_server_up(&s, 1);
    pid_t w = worker_pid(&s);
    mongoc_client_t *c = fx_client(&s);
    bson_t r;
    slow_data(c);

    /* without a limit the scan takes long enough for a 50 ms limit to matter */
    double t0 = fx_now_ms();
    CMD_OK(c, DB, "{'count': 'slow', 'query': {'s': {'$regex': '(a+)+$'}}}", &r);
    double full = fx_now_ms() - t0;
    ASSERT_INT(&r, "n", 3);
    bson_destroy(&r);
    fprintf(stderr, "the slow scan takes %.0f ms without maxTimeMS\n", full);
    ck_assert_msg(full > 300, "the slow scan took only %.0f ms: the test needs a slower one", full);

    static const char *const cmds[] = {
        "{'find': 'slow', 'filter': {'s': {'$regex': '(a+)+$'}}, 'sort': {'s': -1}, "
        "'maxTimeMS': 50}",
        "{'find': 'slow', 'filter': {'s': {'$regex': '(a+)+$'}, '_id': {'$gte': 3}}, "
        "'maxTimeMS': 50}",
        "{'aggregate': 'slow', 'pipeline': [{'$match': {'s': {'$regex': '(a+)+$'}}}], 'cursor': "
        "{}, "
        "'maxTimeMS': 50}",
        "{'count': 'slow', 'query': {'s': {'$regex': '(a+)+$'}}, 'maxTimeMS': 50}",
        "{'distinct': 'slow', 'key': 's', 'query': {'s': {'$regex': '(a+)+$'}}, 'maxTimeMS': 50}",
        "{'update': 'slow', 'updates': [{'q': {'s': {'$regex': '(a+)+$'}, '_id': {'$gte': 3}}, "
        "'u': {'$set': {'x': 1}}, 'multi': true}], 'maxTimeMS': 50}",
        "{'delete': 'slow', 'deletes': [{'q': {'s': {'$regex': '(a+)+$'}, '_id': {'$gte': 3}}, "
        "'limit': 0}], 'maxTimeMS': 50}",
        "{'findAndModify': 'slow', 'query': {'s': {'$regex': '(a+)+$'}, '_id': {'$gte': 3}}, "
        "'update': {'$set': {'x': 1}}, 'maxTimeMS': 50}",
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        bson_t q;
        double el = expect_err_within(c, cmds[i], 50, "MaxTimeMSExpired",
                                      "operation exceeded time limit", full / 2 + 200);
        fprintf(stderr, "maxTimeMS 50 answered after %.0f ms: %.40s...\n", el, cmds[i]);
        /* nothing was changed by the interrupted writes beyond what they reached */
        CMD_OK(c, DB, "{'count': 'slow'}", &q);
        ASSERT_INT(&q, "n", SLOW_DOCS + 3);
        bson_destroy(&q);
    }

    /* a getMore inherits the find's leftover time: the first batch is quick (a match comes
     * first), the getMore meets the slow documents and runs out of the 300 ms */
    CMD_OK(c, DB,
           "{'find': 'slow', 'filter': {'s': {'$regex': '(a+)+$'}}, 'batchSize': 1, "
           "'maxTimeMS': 300}",
           &r);
    int64_t id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(&r));
    bson_destroy(&r);
    {
        char json[256];
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'slow', 'batchSize': 100}",
                 (long long)id);
        expect_err_within(c, json, 50, "MaxTimeMSExpired", "operation exceeded time limit",
                          full / 2 + 500);
        /* its own maxTimeMS is refused on a cursor that is not awaitData */
        CMD_OK(c, DB, "{'find': 'slow', 'filter': {}, 'batchSize': 1}", &r);
        id = fx_int(&r, "cursor.id");
        bson_destroy(&r);
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'slow', 'maxTimeMS': 10}",
                 (long long)id);
        expect_err_within(c, json, 2, "BadValue",
                          "cannot set maxTimeMS on getMore command for a non-awaitData cursor",
                          10000);
    }

    /* a limit the work fits in changes nothing */
    CMD_OK(c, DB, "{'count': 'slow', 'query': {'_id': {'$lt': 3}}, 'maxTimeMS': 60000}", &r);
    ASSERT_INT(&r, "n", 3);
    bson_destroy(&r);
    /* mongod's argument checks */
    expect_err_within(c, "{'find': 'slow', 'maxTimeMS': 'x'}", 2, "BadValue",
                      "maxTimeMS must be a number", 10000);
    expect_err_within(c, "{'find': 'slow', 'maxTimeMS': -1}", 2, "BadValue",
                      "-1 value for maxTimeMS is out of range [0, 2147483647]", 10000);
    expect_err_within(c, "{'find': 'slow', 'maxTimeMS': 1.5}", 2, "BadValue",
                      "maxTimeMS has non-integral value", 10000);
    down_same_worker(&s, w, c);
}
END_TEST

/* wait_busy -- poll until worker w has used another 100 ms of CPU since cpu0 (the slow
 * request is running); hang guard 20 s. */
static void
wait_busy(pid_t w, double cpu0)
{
    for (int i = 0; i < 2000 && fx_cpu_ms(w) - cpu0 < 100; i++)
        fx_sleep_ms(10);
    ck_assert_msg(fx_cpu_ms(w) - cpu0 >= 100, "the slow request did not start");
}

/* ---- shutdown ---------------------------------------------------------------------------- */

typedef struct shut_ctx {
    fx_server_t *s;
    bson_t reply;
    bool ok;
    double took;
} shut_ctx_t;

static void *
slow_count(void *arg)
{
    shut_ctx_t *x = arg;
    mongoc_client_t *c = fx_client(x->s);
    bson_error_t err;
    double t0 = fx_now_ms();
    x->ok =
        fx_cmd(c, DB, "{'count': 'slow', 'query': {'s': {'$regex': '(a+)+$'}}}", &x->reply, &err);
    x->took = fx_now_ms() - t0;
    mongoc_client_destroy(c);
    return NULL;
}

START_TEST(test_sigterm_interrupts_scan)
{
    fx_server_t s;
    fx_server_up(&s, 1);
    pid_t w = worker_pid(&s);
    mongoc_client_t *c = fx_client(&s);
    slow_data(c);
    mongoc_client_destroy(c);

    shut_ctx_t x;
    memset(&x, 0, sizeof(x));
    x.s = &s;
    pthread_t t;
    double cpu0 = fx_cpu_ms(w);
    ck_assert_int_eq(pthread_create(&t, NULL, slow_count, &x), 0);
    wait_busy(w, cpu0);
    int st = fx_server_stop(&s);
    pthread_join(t, NULL);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM exit status 0x%x", st);
    ck_assert_msg(!x.ok && fx_int(&x.reply, "code") == 11600,
                  "the scan running at SIGTERM: want 11600 InterruptedAtShutdown, got %s",
                  fx_to_json(&x.reply));
    ASSERT_STR(&x.reply, "codeName", "InterruptedAtShutdown");
    bson_destroy(&x.reply);
    fx_server_cleanup(&s);
}
END_TEST

/* ---- a client that goes away --------------------------------------------------------- */

START_TEST(test_client_gone_stops_its_scan)
{
    fx_server_t s;
    fx_server_up(&s, 1);
    pid_t w = worker_pid(&s);
    mongoc_client_t *c = fx_client(&s);
    bson_t *body =
        fx_json("{'count': 'slow', 'query': {'s': {'$regex': '(a+)+$'}}, '$db': '" DB "'}");
    uint32_t len;
    slow_data(c);

    /* the scan (over a second of CPU) is sent on a raw connection that then closes */
    int fd = rw_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    uint8_t *msg = rw_opmsg(1, 0, body, NULL, NULL, 0, &len);
    double cpu0 = fx_cpu_ms(w);
    ck_assert_int_eq(rw_send(fd, msg, len), 0);
    wait_busy(w, cpu0);
    close(fd);
    fx_sleep_ms(100); /* the worker notices the close at its next turn */
    double before = fx_cpu_ms(w);
    fx_sleep_ms(600);
    double used = fx_cpu_ms(w) - before;
    fprintf(stderr, "worker CPU in the 600 ms after the client left: %.0f ms\n", used);
    ck_assert_msg(used < 200,
                  "the worker used %.0f ms of CPU in 600 ms after the client of the "
                  "scan left: the scan went on (want it interrupted, 279 ClientDisconnect)",
                  used);
    bson_free(msg);
    bson_destroy(body);
    down_same_worker(&s, w, c);
}
END_TEST

/* Pipelined requests on one connection are answered in order even when the first one gives
 * the loop away many times: a slow count, a ping, a find, sent in one write. */
START_TEST(test_pipelined_order_kept)
{
    fx_server_t s;
    fx_server_up(&s, 1);
    pid_t w = worker_pid(&s);
    mongoc_client_t *c = fx_client(&s);
    static const char *const cmds[] = {
        "{'count': 'slow', 'query': {'s': {'$regex': '(a+)+$'}}, '$db': '" DB "'}",
        "{'ping': 1, '$db': 'admin'}",
        "{'find': 'slow', 'filter': {'_id': 1}, '$db': '" DB "'}",
    };
    uint8_t *all = NULL;
    size_t total = 0;
    slow_data(c);
    for (int i = 0; i < 3; i++) {
        bson_t *b = fx_json(cmds[i]);
        uint32_t len;
        uint8_t *m = rw_opmsg(100 + i, 0, b, NULL, NULL, 0, &len);
        all = bson_realloc(all, total + len);
        memcpy(all + total, m, len);
        total += len;
        bson_free(m);
        bson_destroy(b);
    }
    int fd = rw_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rw_send(fd, all, total), 0);
    for (int i = 0; i < 3; i++) {
        uint8_t *msg;
        uint32_t len;
        int32_t mlen, rid, to, op;
        bson_t body;
        ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &msg, &len), 1);
        rw_header(msg, &mlen, &rid, &to, &op);
        ck_assert_msg(to == 100 + i, "reply %d answers request %d", i, to);
        ck_assert(rw_opmsg_body(msg, len, &body, NULL));
        ASSERT_INT(&body, "ok", 1);
        if (i == 0)
            ASSERT_INT(&body, "n", 3);
        if (i == 2)
            ASSERT_INT(&body, "cursor.firstBatch.0._id", 1);
        free(msg);
    }
    close(fd);
    bson_free(all);
    down_same_worker(&s, w, c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("hostile_fairness");
    TCase *tc = it_tcase(s, "fairness", false);
    tcase_add_test(tc, test_pathological_regex_fails_fast);
    tcase_add_test(tc, test_bystander_ping_during_slow_work);
    tcase_add_test(tc, test_max_time_ms);
    tcase_add_test(tc, test_sigterm_interrupts_scan);
    tcase_add_test(tc, test_client_gone_stops_its_scan);
    tcase_add_test(tc, test_pipelined_order_kept);
    return it_main(s);
}
