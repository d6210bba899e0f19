/*
 * tests/bench/bench_auth.c -- `make bench`: SCRAM authentications per second.
 *
 * One server (--workers 2, a temporary dbpath, --quiet) started with the Docker-style root
 * user.  A round opens N connections one after the other, each a fresh single-connection
 * libmongoc client that authenticates as root (SCRAM-SHA-256 at mongod's default 15000
 * iterations, SCRAM-SHA-1 at 10000) and runs one ping; the same loop without credentials is
 * the baseline of the same run.  It prints the medians of ROUNDS rounds (3 by default) and the
 * iteration counts beside them.  SCRAM is slow by design: the client derives the salted
 * password (PBKDF2 at the iteration count) on each new connection, the server only checks the
 * proof against the stored keys.  Then the cost of authorization on every command: find by
 * _id on one connection, as root on this server and unauthenticated on a second server without
 * --auth, alternately, as a ratio.  Numbers are printed, never asserted; every loop is bounded
 * by a count and a time cap.
 * Usage: bench_auth [--server PATH] [--n N] [--rounds N]
 */
#include "../integration/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 9
#define CAP_MS 20000.0

static const char *const args[] = {
    "--quiet", "--initdbRootUsername", "root", "--initdbRootPassword", "secret", NULL};

/* CPU time of the server's processes (master and workers), in ms. */
static double
server_cpu_ms(const fx_server_t *s)
{
    pid_t pids[16];
    int n = fx_worker_pids(s, pids, 16);
    double total = fx_cpu_ms(s->pid);

    for (int i = 0; i < n; i++)
        total += fx_cpu_ms(pids[i]);
    return total;
}

/* One round: n connections, each authenticated with mech (NULL: none) and pinged; the rate. */
static double
round_rate(const fx_server_t *s, const char *mech, int n, int *errors)
{
    char uri[512];
    double t0 = fx_now_ms(), ms;
    int done = 0;

    if (mech != NULL)
        snprintf(uri, sizeof(uri),
                 "mongodb://root:secret@%s:%d/?authSource=admin&authMechanism=%s&"
                 "directConnection=true",
                 s->host, s->port, mech);
    else
        snprintf(uri, sizeof(uri), "mongodb://%s:%d/?directConnection=true", s->host, s->port);
    while (done < n && fx_now_ms() - t0 < CAP_MS) {
        mongoc_client_t *c = mongoc_client_new(uri);
        bson_t reply;
        bson_error_t e;
        if (c == NULL || !fx_cmd(c, "admin", "{'ping': 1}", &reply, &e))
            (*errors)++;
        bson_destroy(&reply);
        mongoc_client_destroy(c);
        done++;
    }
    ms = fx_now_ms() - t0;
    return ms > 0 ? done * 1000.0 / ms : 0;
}

/* Finds by _id per second on c (n of them). */
static double
find_rate(mongoc_client_t *c, int n, int *errors)
{
    double t0 = fx_now_ms(), ms;
    int done = 0;

    while (done < n && fx_now_ms() - t0 < CAP_MS) {
        bson_t reply;
        bson_error_t e;
        if (!fx_cmd(c, "bench", "{'find': 'c', 'filter': {'_id': 1}}", &reply, &e))
            (*errors)++;
        bson_destroy(&reply);
        done++;
    }
    ms = fx_now_ms() - t0;
    return ms > 0 ? done * 1000.0 / ms : 0;
}

/* Authorization's cost per command: finds as root under --auth against finds without it. */
static void
authz_cost(const fx_server_t *s, int rounds)
{
    static const char *const plain_args[] = {"--quiet", NULL};
    fx_server_t plain;
    char uri[512];
    double with[MAX_ROUNDS], without[MAX_ROUNDS];
    int errors = 0;
    bson_t reply;
    bson_error_t e;

    if (fx_server_init(&plain, 2) != 0)
        return;
    plain.extra = plain_args;
    if (fx_server_start(&plain) != 0) {
        fx_server_cleanup(&plain);
        return;
    }
    snprintf(uri, sizeof(uri),
             "mongodb://root:secret@%s:%d/?authSource=admin&directConnection=true", s->host,
             s->port);
    mongoc_client_t *a = mongoc_client_new(uri);
    mongoc_client_t *b = fx_client(&plain);
    fx_cmd(a, "bench", "{'insert': 'c', 'documents': [{'_id': 1}]}", &reply, &e);
    bson_destroy(&reply);
    fx_cmd(b, "bench", "{'insert': 'c', 'documents': [{'_id': 1}]}", &reply, &e);
    bson_destroy(&reply);
    for (int k = 0; k < rounds; k++) {
        with[k] = find_rate(a, 2000, &errors);
        without[k] = find_rate(b, 2000, &errors);
    }
    fx_sort_doubles(with, (size_t)rounds);
    fx_sort_doubles(without, (size_t)rounds);
    printf("  find by _id, 1 connection: %.0f/s as root under --auth, %.0f/s without --auth "
           "(ratio %.3f)%s\n",
           with[rounds / 2], without[rounds / 2],
           without[rounds / 2] > 0 ? with[rounds / 2] / without[rounds / 2] : 0,
           errors ? "  ERRORS" : "");
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    fx_server_stop(&plain);
    fx_server_cleanup(&plain);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *mech, *label;
        int iterations;
    } runs[] = {{"SCRAM-SHA-256", "SCRAM-SHA-256", 15000},
                {"SCRAM-SHA-1", "SCRAM-SHA-1", 10000},
                {NULL, "no authentication", 0}};
    int n = 40, rounds = 3;
    fx_server_t s;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            setenv("SDB_BINARY", argv[++i], 1);
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
    }
    if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: %s [--server PATH] [--n N] [--rounds 1..%d]\n", argv[0],
                MAX_ROUNDS);
        return 2;
    }
    mongoc_init();
    mongoc_log_set_handler(NULL, NULL); /* the unauthenticated clients' endSessions is refused,
                                         * as mongod refuses it: no warning per connection */
    if (fx_server_init(&s, 2) != 0)
        return 1;
    s.extra = args;
    if (fx_server_start(&s) != 0) {
        fx_server_cleanup(&s);
        return 1;
    }
    printf("bench_auth: %d connections per round, median of %d rounds, each connection "
           "authenticated then pinged once\n",
           n, rounds);
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        double rates[MAX_ROUNDS], cpu = 0;
        int errors = 0;
        for (int k = 0; k < rounds; k++) {
            double c0 = server_cpu_ms(&s);
            rates[k] = round_rate(&s, runs[r].mech, n, &errors);
            cpu += server_cpu_ms(&s) - c0;
        }
        fx_sort_doubles(rates, (size_t)rounds);
        if (runs[r].iterations > 0)
            printf("  %-18s %6d iterations: %8.1f authentications/s (min %.1f, max %.1f), "
                   "server CPU %.2f ms each%s\n",
                   runs[r].label, runs[r].iterations, rates[rounds / 2], rates[0],
                   rates[rounds - 1], cpu / (rounds * n), errors ? "  ERRORS" : "");
        else
            printf("  %-18s                   %8.1f connections/s (min %.1f, max %.1f), "
                   "server CPU %.2f ms each%s\n",
                   runs[r].label, rates[rounds / 2], rates[0], rates[rounds - 1],
                   cpu / (rounds * n), errors ? "  ERRORS" : "");
    }
    authz_cost(&s, rounds);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
