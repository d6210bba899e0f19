/*
 * tests/bench/bench_retry.c -- `make bench`: the channel under j:true writes, and what a
 * retryable write costs, measured.
 *
 * Two figures, each taken on a server started with --workers 1 (so every connection shares
 * one worker and one channel to the master):
 *   (a) finds by _id on one connection, alone and then while a second connection runs j:true
 *       insertOnes (each waits for the WiredTiger log flush); the ratio busy / alone says
 *       whether the flush stalls the channel's other requests (goal: >= 0.8).
 *   (b) insertOne with retryable writes (lsid + txnNumber, as a driver sends them) on one
 *       connection, beside ping on one connection in the same run: the ratio insert / ping
 *       is the write's cost in units of a bare round trip; the server's CPU time (master and
 *       worker, /proc) per insert is beside it, steadier than wall time on a shared machine.
 * With --base PATH the same figures are taken for a second binary (the server before a
 * change), alternating base and new binary for several rounds, each on a fresh dbpath; the
 * report gives each binary's median over the rounds and the spread (min..max).  Numbers are
 * printed, never asserted.  Every loop is bounded by time.
 * Usage: bench_retry --server PATH [--base PATH] [--rounds N] [--ms N]
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 9
#define NDOCS 1000

static const char *const quiet[] = {"--quiet", NULL};
static long run_ms = 2000; /* per measurement */

typedef struct figures {
    double find_alone, find_busy, find_ratio, jinserts; /* (a), ops/s */
    double ping, rinsert, rinsert_ratio;                /* (b), ops/s */
    double rinsert_cpu_us; /* (b): server CPU (master + worker) per retryable insert, us */
} figures_t;

/* load -- NDOCS documents {_id: i, x: i} in one insert. */
static int
load(mongoc_client_t *c)
{
    bson_t cmd = BSON_INITIALIZER, docs, d, reply;
    bson_error_t err;
    char key[16];
    bool ok;

    BSON_APPEND_UTF8(&cmd, "insert", "r");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < NDOCS; i++) {
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_INT32(&d, "x", i);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    ok = fx_cmd_bson(c, "bench", &cmd, &reply, &err);
    bson_destroy(&cmd);
    bson_destroy(&reply);
    return ok ? 0 : -1;
}

/* finds -- finds by _id for run_ms; ops/s (< 0 on error). */
static double
finds(mongoc_client_t *c)
{
    double t0 = fx_now_ms(), el;
    long n = 0;

    while ((el = fx_now_ms() - t0) < run_ms) {
        char json[96];
        bson_t r;
        bson_error_t err;
        snprintf(json, sizeof(json), "{'find': 'r', 'filter': {'_id': %ld}}", n % NDOCS);
        bool ok = fx_cmd(c, "bench", json, &r, &err);
        bson_destroy(&r);
        if (!ok)
            return -1;
        n++;
    }
    return n / (el / 1e3);
}

/* A loop of j:true inserts on its own connection, until told to stop. */
typedef struct jloop {
    mongoc_client_t *c;
    atomic_int stop;
    long n;
    double ms;
    bool failed;
} jloop_t;

static void *
jloop_main(void *arg)
{
    jloop_t *j = arg;
    double t0 = fx_now_ms();

    while (!atomic_load(&j->stop)) {
        bson_t r;
        bson_error_t err;
        if (!fx_cmd(j->c, "bench",
                    "{'insert': 'j', 'documents': [{'x': 1}], 'writeConcern': {'j': true}}", &r,
                    &err))
            j->failed = true;
        bson_destroy(&r);
        if (j->failed)
            break;
        j->n++;
    }
    j->ms = fx_now_ms() - t0;
    return NULL;
}

/* pings -- ping for run_ms; ops/s. */
static double
pings(mongoc_client_t *c)
{
    double t0 = fx_now_ms(), el;
    long n = 0;

    while ((el = fx_now_ms() - t0) < run_ms) {
        bson_t r;
        bson_error_t err;
        bool ok = fx_cmd(c, "admin", "{'ping': 1}", &r, &err);
        bson_destroy(&r);
        if (!ok)
            return -1;
        n++;
    }
    return n / (el / 1e3);
}

/* server_cpu_ms -- CPU time of the master and its worker so far. */
static double
server_cpu_ms(const fx_server_t *s)
{
    pid_t w[FX_MAX_WORKERS];
    int n = fx_worker_pids(s, w, FX_MAX_WORKERS);
    double ms = fx_cpu_ms(s->pid);

    for (int i = 0; i < n; i++)
        ms += fx_cpu_ms(w[i]);
    return ms;
}

/* retryable_inserts -- insertOne through the driver's retryable-write path (a session, so
 * lsid and txnNumber travel with every insert) for run_ms; ops/s, and in *cpu_us the server's
 * CPU time per insert (less sensitive than wall time to a busy machine). */
static double
retryable_inserts(const fx_server_t *s, double *cpu_us)
{
    double cpu0 = server_cpu_ms(s);
    char uri[1200];
    mongoc_client_t *c;
    mongoc_collection_t *coll;
    mongoc_client_session_t *cs;
    bson_t opts = BSON_INITIALIZER;
    bson_error_t err;
    double t0, el;
    long n = 0;

    snprintf(uri, sizeof(uri), "%s%sdirectConnection=true&retryWrites=true", s->uri,
             strchr(s->uri, '?') != NULL ? "&" : "?");
    c = mongoc_client_new(uri);
    if (c == NULL)
        return -1;
    coll = mongoc_client_get_collection(c, "bench", "ri");
    cs = mongoc_client_start_session(c, NULL, &err);
    if (cs == NULL || !mongoc_client_session_append(cs, &opts, &err))
        n = -1;
    t0 = fx_now_ms();
    while (n >= 0 && (el = fx_now_ms() - t0) < run_ms) {
        bson_t doc = BSON_INITIALIZER;
        BSON_APPEND_INT64(&doc, "i", n);
        bool ok = mongoc_collection_insert_one(coll, &doc, &opts, NULL, &err);
        bson_destroy(&doc);
        if (!ok) {
            fprintf(stderr, "bench_retry: insert: %s\n", err.message);
            n = -1;
            break;
        }
        n++;
    }
    bson_destroy(&opts);
    if (cs != NULL)
        mongoc_client_session_destroy(cs);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
    *cpu_us = n > 0 ? (server_cpu_ms(s) - cpu0) * 1e3 / n : 0;
    return n < 0 ? -1 : n / (el / 1e3);
}

/* one_round -- both figures on a fresh server of binary `bin`. */
static int
one_round(const char *bin, figures_t *f)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    jloop_t j;
    pthread_t t;
    int bad = 0;

    setenv("SDB_BINARY", bin, 1);
    if (fx_server_init(&s, 1) != 0)
        return -1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0) {
        fx_server_cleanup(&s);
        return -1;
    }
    a = fx_client(&s);
    b = fx_client(&s);
    memset(&j, 0, sizeof(j));
    j.c = b;
    bad = load(a);
    f->find_alone = bad ? -1 : finds(a);
    if (!bad && pthread_create(&t, NULL, jloop_main, &j) == 0) {
        fx_sleep_ms(50);
        f->find_busy = finds(a);
        atomic_store(&j.stop, 1);
        pthread_join(t, NULL);
        f->jinserts = j.ms > 0 ? j.n / (j.ms / 1e3) : 0;
    } else {
        bad = 1;
    }
    f->ping = pings(a);
    f->rinsert = retryable_inserts(&s, &f->rinsert_cpu_us);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    if (bad || j.failed || f->find_alone <= 0 || f->find_busy < 0 || f->ping <= 0 ||
        f->rinsert <= 0)
        return -1;
    f->find_ratio = f->find_busy / f->find_alone;
    f->rinsert_ratio = f->rinsert / f->ping;
    return 0;
}

static void
report(const char *label, const char *path, const figures_t *rs, int n)
{
    static const fx_row_t rows[] = {
        {"find alone /s", offsetof(figures_t, find_alone)},
        {"find + j:true /s", offsetof(figures_t, find_busy)},
        {"  ratio (>= 0.8)", offsetof(figures_t, find_ratio)},
        {"j:true inserts /s", offsetof(figures_t, jinserts)},
        {"ping /s", offsetof(figures_t, ping)},
        {"retryable ins /s", offsetof(figures_t, rinsert)},
        {"  ratio to ping", offsetof(figures_t, rinsert_ratio)},
        {"  server CPU us/ins", offsetof(figures_t, rinsert_cpu_us)},
    };

    printf("%s (%s), %d rounds, median [min..max]:\n", label, path, n);
    fx_print_spread(rows, sizeof(rows) / sizeof(rows[0]), rs, sizeof(*rs), n);
}

int
main(int argc, char **argv)
{
    const char *bins[2] = {NULL, NULL}; /* new, base */
    figures_t res[2][MAX_ROUNDS];
    int rounds = 3;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            bins[0] = argv[++i];
        else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
            bins[1] = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc)
            run_ms = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s --server PATH [--base PATH] [--rounds N] [--ms N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (bins[0] == NULL || rounds < 1 || rounds > MAX_ROUNDS || run_ms <= 0) {
        fprintf(stderr, "bench_retry: --server is required; 1 <= rounds <= %d\n", MAX_ROUNDS);
        return 2;
    }
    mongoc_init();
    int nb = bins[1] != NULL ? 2 : 1;
    printf("bench_retry: --workers 1; (a) finds by _id alone and beside a j:true insert loop "
           "on the same worker, (b) retryable insertOne beside ping, %ld ms each\n",
           run_ms);
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nb; k++)
            if (one_round(bins[k], &res[k][r]) != 0) {
                fprintf(stderr, "bench_retry: a round of %s failed\n", bins[k]);
                return 1;
            }
    report("new", bins[0], res[0], rounds);
    if (nb == 2)
        report("base", bins[1], res[1], rounds);
    mongoc_cleanup();
    return 0;
}
