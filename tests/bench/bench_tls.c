/*
 * tests/bench/bench_tls.c -- `make bench`: what TLS costs, measured against plain TCP.
 *
 * One server runs --tlsMode preferTLS (plaintext and TLS on the same port) with certificates
 * made for the run by tests/tls_certs.sh.  Each round measures ping and find-by-_id (1,000
 * documents) throughput on 1 and 8 connections (one thread and one single-connection libmongoc
 * client each; connections and handshakes are made before the clock starts), once over plain
 * TCP and once over TLS, alternately, and takes the ratio TLS / plain of the same round.  The
 * report gives, over ROUNDS rounds, the median and the spread of every figure.  Numbers are
 * printed, never asserted.  Usage: bench_tls [--ops N] (operations per measurement)
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 3
#define MAX_CONNS 8
#define CAP_MS 4000.0 /* per measurement, a bound, not an assertion */

typedef struct round {
    double ping_1, ping_1_tls, ping_8, ping_8_tls; /* operations per second */
    double find_1, find_1_tls, find_8, find_8_tls;
    double r_ping_1, r_ping_8, r_find_1, r_find_8; /* TLS / plain */
} round_t;

typedef struct worker {
    mongoc_client_t *c;
    bool find;
    long ops, done;
    double deadline;
} worker_t;

static char certs[512];
static long ops_per_run = 8000;

static void
fill(bson_t *d, long id, long n, void *arg)
{
    (void)n;
    (void)arg;
    BSON_APPEND_UTF8(d, "s", "a short string field");
    BSON_APPEND_INT64(d, "v", id * 3);
}

static void *
run(void *arg)
{
    worker_t *w = arg;
    bson_t *cmd, reply;
    bson_error_t e;
    char json[128];

    for (w->done = 0; w->done < w->ops && fx_now_ms() < w->deadline; w->done++) {
        if (w->find)
            snprintf(json, sizeof(json), "{\"find\": \"t\", \"filter\": {\"_id\": %ld}}",
                     (w->done * 7919) % 1000);
        else
            snprintf(json, sizeof(json), "{\"ping\": 1}");
        cmd = fx_json(json);
        if (!mongoc_client_command_simple(w->c, "bench", cmd, NULL, &reply, &e)) {
            fprintf(stderr, "bench_tls: %s\n", e.message);
            bson_destroy(&reply);
            bson_destroy(cmd);
            break;
        }
        bson_destroy(&reply);
        bson_destroy(cmd);
    }
    return NULL;
}

/* measure -- operations per second of n connected clients running ping or find together. */
static double
measure(mongoc_client_t **clients, int n, bool find)
{
    worker_t w[MAX_CONNS];
    pthread_t th[MAX_CONNS];
    double t0 = fx_now_ms(), dt;
    long total = 0;

    for (int i = 0; i < n; i++) {
        w[i] = (worker_t){clients[i], find, ops_per_run / n, 0, t0 + CAP_MS};
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        total += w[i].done;
    }
    dt = fx_now_ms() - t0;
    return dt > 0 ? (double)total * 1000.0 / dt : 0;
}

/* connect_n -- n clients, plain or over TLS, each connected (handshake done) by a ping. */
static int
connect_n(const fx_server_t *s, bool tls, int n, mongoc_client_t **out)
{
    char uri[1024];
    bson_t reply;
    bson_error_t e;

    snprintf(uri, sizeof(uri), "mongodb://localhost:%d/?directConnection=true%s%s%s", s->port,
             tls ? "&tls=true&tlsCAFile=" : "", tls ? certs : "", tls ? "/ca.pem" : "");
    for (int i = 0; i < n; i++) {
        bson_t *ping = fx_json("{\"ping\": 1}");
        out[i] = mongoc_client_new(uri);
        if (out[i] == NULL ||
            !mongoc_client_command_simple(out[i], "admin", ping, NULL, &reply, &e)) {
            fprintf(stderr, "bench_tls: cannot connect (%s): %s\n", uri, e.message);
            bson_destroy(ping);
            return -1;
        }
        bson_destroy(&reply);
        bson_destroy(ping);
    }
    return 0;
}

static void
destroy_n(mongoc_client_t **c, int n)
{
    for (int i = 0; i < n; i++)
        mongoc_client_destroy(c[i]);
}

/* one_round -- every figure once, plain then TLS for each. */
static int
one_round(const fx_server_t *s, round_t *r)
{
    mongoc_client_t *plain[MAX_CONNS], *tls[MAX_CONNS];
    double *fig[2][2][2] = {{{&r->ping_1, &r->ping_1_tls}, {&r->find_1, &r->find_1_tls}},
                            {{&r->ping_8, &r->ping_8_tls}, {&r->find_8, &r->find_8_tls}}};
    static const int conns[2] = {1, MAX_CONNS};

    for (int k = 0; k < 2; k++) {
        if (connect_n(s, false, conns[k], plain) != 0 || connect_n(s, true, conns[k], tls) != 0)
            return -1;
        for (int op = 0; op < 2; op++) {
            *fig[k][op][0] = measure(plain, conns[k], op == 1);
            *fig[k][op][1] = measure(tls, conns[k], op == 1);
        }
        destroy_n(plain, conns[k]);
        destroy_n(tls, conns[k]);
    }
    r->r_ping_1 = r->ping_1_tls / r->ping_1;
    r->r_ping_8 = r->ping_8_tls / r->ping_8;
    r->r_find_1 = r->find_1_tls / r->find_1;
    r->r_find_8 = r->find_8_tls / r->find_8;
    return 0;
}

#define ROW(name, f)                                                                               \
    {                                                                                              \
        name, offsetof(round_t, f)                                                                 \
    }

int
main(int argc, char **argv)
{
    static const fx_row_t rows[] = {
        ROW("ping, 1 conn, plain (ops/s)", ping_1),
        ROW("ping, 1 conn, TLS (ops/s)", ping_1_tls),
        ROW("ping, 8 conns, plain (ops/s)", ping_8),
        ROW("ping, 8 conns, TLS (ops/s)", ping_8_tls),
        ROW("find _id, 1 conn, plain", find_1),
        ROW("find _id, 1 conn, TLS", find_1_tls),
        ROW("find _id, 8 conns, plain", find_8),
        ROW("find _id, 8 conns, TLS", find_8_tls),
        ROW("ratio TLS/plain ping, 1 conn", r_ping_1),
        ROW("ratio TLS/plain ping, 8 conns", r_ping_8),
        ROW("ratio TLS/plain find, 1 conn", r_find_1),
        ROW("ratio TLS/plain find, 8 conns", r_find_8),
    };
    const char *src = getenv("SDB_SRCDIR");
    char cmd[1400], pem[700];
    const char *extra[] = {"--quiet", "--tlsMode", "preferTLS", "--tlsCertificateKeyFile",
                           pem,       NULL};
    round_t rounds[ROUNDS];
    fx_server_t s;
    mongoc_client_t *c;
    int rc = 1;

    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--ops") == 0)
            ops_per_run = strtol(argv[i + 1], NULL, 10);
    mongoc_init();
    if (fx_mkdtemp(certs, sizeof(certs), "sdb-bench-tls") != 0)
        return 1;
    snprintf(cmd, sizeof(cmd), "'%s/tests/tls_certs.sh' '%s'", src != NULL ? src : ".", certs);
    snprintf(pem, sizeof(pem), "%s/server.pem", certs);
    if (system(cmd) != 0 || fx_server_init(&s, 2) != 0)
        goto out;
    s.extra = extra;
    if (fx_server_start(&s) != 0)
        goto out;
    c = fx_client(&s);
    if (c != NULL && fx_load(c, "bench", "t", 1000, fill, NULL) == 0) {
        rc = 0;
        for (int r = 0; r < ROUNDS && rc == 0; r++)
            rc = one_round(&s, &rounds[r]);
    }
    if (c != NULL)
        mongoc_client_destroy(c);
    if (rc == 0) {
        printf("bench_tls: TLS against plain TCP, same server and run, %d workers, %ld ops per "
               "figure, median [min .. max] of %d rounds\n",
               s.workers, ops_per_run, ROUNDS);
        fx_print_spread(rows, sizeof(rows) / sizeof(rows[0]), rounds, sizeof(round_t), ROUNDS);
    }
    fx_server_stop(&s);
    fx_server_cleanup(&s);
out:
    fx_rm_rf(certs);
    mongoc_cleanup();
    return rc;
}
