/*
 * tests/bench/bench_xact.c -- `make bench`: multi-document transactions, measured.
 *
 * One server (--workers 2, a temporary dbpath, the log on by default).  On 1 and on 8
 * connections (one thread and one single-connection libmongoc client each) it measures, in the
 * same run and alternately for ROUNDS rounds: single inserts per second (insert of one
 * document, w:1), and committed transactions per second where each transaction is two
 * statements (two inserts) and a commitTransaction (w:1) -- three round trips.  It prints the
 * medians, the spread and the ratio transactions/inserts; a transaction costs at least three
 * inserts' round trips, so about 1/3 is the ceiling.  Numbers are printed, never asserted;
 * every loop is bounded by an operation count and a time cap.
 * Usage: bench_xact --server PATH [--ops N] [--rounds N]
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 8
#define MAX_ROUNDS 9
#define CAP_MS 5000.0

static const char *const quiet[] = {"--quiet", NULL};

typedef struct job {
    fx_server_t *s;
    int id;      /* thread number: its documents' _id prefix and its session */
    bool xact;   /* transactions, else single inserts */
    long ops;    /* inserts or transactions to run */
    int run;     /* the measurement: keeps _ids distinct across measurements */
    long done;   /* out */
    long errors; /* out */
} job_t;

/* session_fields -- lsid (a per-thread UUID), txnNumber and autocommit: false. */
static void
session_fields(bson_t *cmd, int id, int64_t n, bool start)
{
    uint8_t uuid[16] = {0x5e, 0xc4, 0x00, 0x00, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
    bson_t lsid;

    uuid[15] = (uint8_t)id;
    BSON_APPEND_DOCUMENT_BEGIN(cmd, "lsid", &lsid);
    BSON_APPEND_BINARY(&lsid, "id", BSON_SUBTYPE_UUID, uuid, 16);
    bson_append_document_end(cmd, &lsid);
    BSON_APPEND_INT64(cmd, "txnNumber", n);
    BSON_APPEND_BOOL(cmd, "autocommit", false);
    if (start)
        BSON_APPEND_BOOL(cmd, "startTransaction", true);
}

/* run_cmd -- one command; true when ok. */
static bool
run_cmd(mongoc_client_t *c, const char *db, const bson_t *cmd)
{
    bson_t reply;
    bson_error_t e;
    bool ok = mongoc_client_command_simple(c, db, cmd, NULL, &reply, &e);
    if (!ok && getenv("BENCH_XACT_VERBOSE") != NULL)
        fprintf(stderr, "%s\n", e.message);
    bson_destroy(&reply);
    return ok;
}

static bool
insert(mongoc_client_t *c, const job_t *j, long i, int stmt, int64_t txn)
{
    char id[64];
    bson_t cmd = BSON_INITIALIZER, docs, doc;
    bool ok;

    snprintf(id, sizeof(id), "%d-%d-%ld-%d", j->run, j->id, i, stmt);
    BSON_APPEND_UTF8(&cmd, "insert", "b");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    BSON_APPEND_DOCUMENT_BEGIN(&docs, "0", &doc);
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_INT64(&doc, "v", i);
    bson_append_document_end(&docs, &doc);
    bson_append_array_end(&cmd, &docs);
    if (txn > 0)
        session_fields(&cmd, j->id, txn, stmt == 0);
    ok = run_cmd(c, "bench", &cmd);
    bson_destroy(&cmd);
    return ok;
}

static bool
commit(mongoc_client_t *c, const job_t *j, int64_t txn)
{
    bson_t cmd = BSON_INITIALIZER;
    bool ok;

    BSON_APPEND_INT32(&cmd, "commitTransaction", 1);
    session_fields(&cmd, j->id, txn, false);
    ok = run_cmd(c, "admin", &cmd);
    bson_destroy(&cmd);
    return ok;
}

static void *
worker(void *arg)
{
    job_t *j = arg;
    mongoc_client_t *c = fx_client(j->s);
    double t0 = fx_now_ms();
    static _Atomic int64_t txn_base = 1;
    int64_t txn = atomic_fetch_add(&txn_base, 1000000);

    for (long i = 0; i < j->ops && fx_now_ms() - t0 < CAP_MS; i++) {
        bool ok;
        if (j->xact) {
            txn++;
            ok = insert(c, j, i, 0, txn) && insert(c, j, i, 1, txn) && commit(c, j, txn);
        } else {
            ok = insert(c, j, i, 0, 0);
        }
        if (ok)
            j->done++;
        else
            j->errors++;
    }
    mongoc_client_destroy(c);
    return NULL;
}

/* measure -- operations per second over `threads` connections. */
static double
measure(fx_server_t *s, int threads, bool xact, long ops, long *errors)
{
    static int runs;
    pthread_t t[MAX_THREADS];
    job_t jobs[MAX_THREADS];
    long done = 0;
    double t0 = fx_now_ms(), ms;

    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){s, i + 1, xact, ops / threads, runs, 0, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    runs++;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        done += jobs[i].done;
        *errors += jobs[i].errors;
    }
    ms = fx_now_ms() - t0;
    return ms > 0 ? (double)done * 1000.0 / ms : 0;
}

int
main(int argc, char **argv)
{
    const char *bin = NULL;
    long ops = 4000;
    int rounds = 3;
    static const int conns[] = {1, 8};

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            bin = argv[++i];
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s --server PATH [--ops N] [--rounds N]\n", argv[0]);
            return 2;
        }
    }
    if (bin == NULL || ops < 8 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_xact: --server is required; ops >= 8; 1 <= rounds <= %d\n",
                MAX_ROUNDS);
        return 2;
    }
    mongoc_init();
    setenv("SDB_BINARY", bin, 1);
    fx_server_t s;
    if (fx_server_init(&s, 2) != 0)
        return 1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0)
        return 1;
    printf("transactions of 2 inserts + commit vs single inserts, %d rounds, %ld ops each\n",
           rounds, ops);
    for (size_t k = 0; k < sizeof(conns) / sizeof(conns[0]); k++) {
        double ins[MAX_ROUNDS], txn[MAX_ROUNDS];
        long errors = 0;
        for (int r = 0; r < rounds; r++) {
            ins[r] = measure(&s, conns[k], false, ops, &errors);
            txn[r] = measure(&s, conns[k], true, ops / 3, &errors);
        }
        fx_sort_doubles(ins, (size_t)rounds);
        fx_sort_doubles(txn, (size_t)rounds);
        double mi = ins[rounds / 2], mt = txn[rounds / 2];
        printf("%d connection(s): inserts/s %.0f (%.0f..%.0f), commits/s %.0f (%.0f..%.0f), "
               "commits/inserts %.3f (ceiling ~0.33), errors %ld\n",
               conns[k], mi, ins[0], ins[rounds - 1], mt, txn[0], txn[rounds - 1],
               mi > 0 ? mt / mi : 0, errors);
    }
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
