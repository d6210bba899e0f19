/*
 * tests/bench/bench_capped.c -- `make bench`: what capping and tailing cost, measured.
 *
 * Against one server (--workers 2, fresh dbpath) it measures, alternately for ROUNDS rounds:
 * insertOne throughput into a plain collection and into a full capped collection (max 1,000:
 * every insert also removes the oldest document and logs the removal), printed as medians and
 * the ratio capped / plain; then the wake-up latency of a tailable awaitData cursor: from the
 * acknowledgement of an insert on one connection to the return of the getMore parked on
 * another (median and p99 over SAMPLES inserts).  Numbers are printed, never asserted.
 * Usage: bench_capped --server PATH [--ops N]
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 5
#define SAMPLES 200
/* the tailing cursor's session: its getMores come from another connection */
#define LSID "'lsid': {'id': {'$binary': {'base64': 'q83vEjRWeJCrze8SNFZ4kg==', 'subType': '04'}}}"

static long ops = 3000;

static void
cmd_or_die(mongoc_client_t *c, const char *json)
{
    bson_error_t e;
    bson_t r;

    if (!fx_cmd(c, "bench", json, &r, &e)) {
        fprintf(stderr, "bench_capped: %s -> %s %s\n", json, fx_to_json(&r), e.message);
        exit(1);
    }
    bson_destroy(&r);
}

/* insert_rate -- insertOne per second into coll, ids from *next on. */
static double
insert_rate(mongoc_client_t *c, const char *coll, long *next)
{
    char json[256];
    double t0 = fx_now_ms();

    for (long i = 0; i < ops; i++, (*next)++) {
        snprintf(json, sizeof(json),
                 "{'insert': '%s', 'documents': [{'_id': %ld, 'v': 'a value of some length'}]}",
                 coll, *next);
        cmd_or_die(c, json);
    }
    return (double)ops * 1000.0 / (fx_now_ms() - t0);
}

static double
median(double *v, int n)
{
    fx_sort_doubles(v, (size_t)n);
    return v[n / 2];
}

typedef struct tail {
    const fx_server_t *s;
    int64_t id;
    double got_ms[SAMPLES];
    int n;
} tail_t;

/* tail_loop -- getMore until SAMPLES documents came back, noting when each batch returned. */
static void *
tail_loop(void *arg)
{
    tail_t *t = arg;
    mongoc_client_t *c = fx_client(t->s);

    while (t->n < SAMPLES) {
        bson_t *gm = BCON_NEW("getMore", BCON_INT64(t->id), "collection", BCON_UTF8("tail"),
                              "maxTimeMS", BCON_INT32(5000));
        bson_t *lsid = fx_json("{" LSID "}");
        bson_error_t e;
        bson_t r;
        int k;

        bson_concat(gm, lsid);
        bson_destroy(lsid);
        if (!fx_cmd_bson(c, "bench", gm, &r, &e)) {
            fprintf(stderr, "bench_capped: getMore %s\n", fx_to_json(&r));
            exit(1);
        }
        k = fx_array_len(&r, "cursor.nextBatch");
        for (int i = 0; i < k && t->n < SAMPLES; i++)
            t->got_ms[t->n++] = fx_now_ms();
        bson_destroy(&r);
        bson_destroy(gm);
    }
    mongoc_client_destroy(c);
    return NULL;
}

static void
bench_wake(const fx_server_t *s, mongoc_client_t *c)
{
    double acked[SAMPLES], lag[SAMPLES];
    tail_t t = {.s = s};
    pthread_t th;
    char json[160];
    bson_t r;

    cmd_or_die(c, "{'create': 'tail', 'capped': true, 'size': 1048576}");
    cmd_or_die(c, "{'insert': 'tail', 'documents': [{'_id': -1}]}");
    fx_cmd(c, "bench", "{'find': 'tail', " LSID ", 'tailable': true, 'awaitData': true}", &r, NULL);
    t.id = fx_int(&r, "cursor.id");
    bson_destroy(&r);
    pthread_create(&th, NULL, tail_loop, &t);
    for (int i = 0; i < SAMPLES; i++) {
        fx_sleep_ms(5); /* let the getMore park again */
        snprintf(json, sizeof(json), "{'insert': 'tail', 'documents': [{'_id': %d}]}", i);
        cmd_or_die(c, json);
        acked[i] = fx_now_ms();
        while (t.n <= i)
            fx_sleep_ms(1);
    }
    pthread_join(th, NULL);
    for (int i = 0; i < SAMPLES; i++)
        lag[i] = t.got_ms[i] - acked[i];
    fx_sort_doubles(lag, SAMPLES);
    printf("awaitData wake-up, insert acknowledged -> getMore returned (%d samples): median "
           "%.2f ms, p99 %.2f ms\n",
           SAMPLES, lag[SAMPLES / 2], lag[SAMPLES * 99 / 100]);
}

int
main(int argc, char **argv)
{
    double plain[ROUNDS], capped[ROUNDS];
    long next = 0;
    fx_server_t s;
    mongoc_client_t *c;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            setenv("SDB_BINARY", argv[++i], 1);
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops = strtol(argv[++i], NULL, 10);
    }
    mongoc_init();
    fx_server_up(&s, 2);
    c = fx_client(&s);
    cmd_or_die(c, "{'create': 'ring', 'capped': true, 'size': 1048576, 'max': 1000}");
    insert_rate(c, "ring", &next); /* fill it: from here on every insert evicts one */
    for (int r = 0; r < ROUNDS; r++) {
        plain[r] = insert_rate(c, "plain", &next);
        capped[r] = insert_rate(c, "ring", &next);
    }
    printf("bench_capped: insertOne, %ld per round, %d rounds (medians):\n", ops, ROUNDS);
    printf("  plain collection        %8.0f /s\n", median(plain, ROUNDS));
    printf("  full capped (max 1000)  %8.0f /s  ratio capped/plain %.3f\n", median(capped, ROUNDS),
           median(capped, ROUNDS) / median(plain, ROUNDS));
    bench_wake(&s, c);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return 0;
}
