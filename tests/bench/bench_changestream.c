/*
 * tests/bench/bench_changestream.c -- `make bench`: change-stream lag, measured.
 *
 * One writer connection inserts documents one at a time; a second connection (on another
 * worker when one turns up) holds a change stream on the collection and keeps an awaitData
 * getMore outstanding.  For every insert the lag is the time from the insert's
 * acknowledgement (its reply reaching the writer) to the event's arrival at the reader, both
 * on this process's monotonic clock.  Beside it, in the same run, the insert's own round trip
 * (request sent to reply received) is the baseline: the ratio lag / round trip says how many
 * round trips an event takes to arrive.  Median and p99 are printed, never asserted.
 * Usage: bench_changestream --server PATH [--ops N] [--workers N]
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 200000

static const char *const quiet[] = {"--quiet", NULL};

typedef struct bench {
    fx_server_t *srv;
    int ops;
    double *acked;     /* acknowledgement time of insert i (ms), 0 until then */
    double *delivered; /* arrival time of its event */
    int64_t cursor;
    volatile int ready;
    int got;
} bench_t;

static void *
reader(void *arg)
{
    bench_t *b = arg;
    mongoc_client_t *c = fx_client(b->srv);
    char json[256];
    bson_error_t e;
    double limit = fx_now_ms() + 120000; /* hang guard */
    bson_t r0;

    /* the stream belongs to this client's session: open it here */
    if (!fx_cmd(c, "bench",
                "{'aggregate': 'lag', 'pipeline': [{'$changeStream': {}}], 'cursor': {}}", &r0,
                &e)) {
        fprintf(stderr, "bench_changestream: aggregate: %s\n", fx_to_json(&r0));
        limit = 0;
    }
    b->cursor = fx_int(&r0, "cursor.id");
    bson_destroy(&r0);
    __atomic_store_n(&b->ready, 1, __ATOMIC_SEQ_CST);
    while (b->got < b->ops && fx_now_ms() < limit) {
        bson_t r, batch;
        bson_iter_t it, f;

        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'lag', 'maxTimeMS': 1000}",
                 (long long)b->cursor);
        if (!fx_cmd(c, "bench", json, &r, &e)) {
            fprintf(stderr, "bench_changestream: getMore: %s\n", fx_to_json(&r));
            bson_destroy(&r);
            break;
        }
        double now = fx_now_ms();
        if (fx_sub(&r, "cursor.nextBatch", &batch) && bson_iter_init(&it, &batch))
            while (bson_iter_next(&it)) {
                bson_iter_t doc;
                if (bson_iter_recurse(&it, &doc) &&
                    bson_iter_find_descendant(&doc, "documentKey._id", &f)) {
                    int i = (int)bson_iter_as_int64(&f);
                    if (i >= 0 && i < b->ops) {
                        b->delivered[i] = now;
                        b->got++;
                    }
                }
            }
        bson_destroy(&batch);
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
    return NULL;
}

static double
pct(double *v, int n, double p)
{
    fx_sort_doubles(v, (size_t)n);
    return n > 0 ? v[(int)((n - 1) * p)] : 0;
}

int
main(int argc, char **argv)
{
    const char *bin = NULL;
    int ops = 2000, workers = 2;
    fx_server_t s;
    bench_t b = {0};
    pthread_t th;
    mongoc_client_t *w;
    bson_t r;
    bson_error_t e;
    double *lag, *rtt;
    int n = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            bin = argv[++i];
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s --server PATH [--ops N] [--workers N]\n", argv[0]);
            return 2;
        }
    }
    if (bin == NULL || ops <= 0 || ops > MAX_OPS || workers < 1) {
        fprintf(stderr, "bench_changestream: --server is required; 1 <= ops <= %d\n", MAX_OPS);
        return 2;
    }
    mongoc_init();
    setenv("SDB_BINARY", bin, 1);
    if (fx_server_init(&s, workers) != 0)
        return 1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0)
        return 1;
    w = fx_client(&s);
    b.srv = &s;
    b.ops = ops;
    b.acked = calloc((size_t)ops, sizeof(double));
    b.delivered = calloc((size_t)ops, sizeof(double));
    lag = calloc((size_t)ops, sizeof(double));
    rtt = calloc((size_t)ops, sizeof(double));
    pthread_create(&th, NULL, reader, &b);
    while (!__atomic_load_n(&b.ready, __ATOMIC_SEQ_CST))
        fx_sleep_ms(1);
    fx_sleep_ms(200); /* the reader's getMore is parked before the first insert */
    for (int i = 0; i < ops; i++) {
        char json[128];
        double t0 = fx_now_ms();

        snprintf(json, sizeof(json), "{'insert': 'lag', 'documents': [{'_id': %d}]}", i);
        if (!fx_cmd(w, "bench", json, &r, &e)) {
            fprintf(stderr, "bench_changestream: insert: %s\n", fx_to_json(&r));
            bson_destroy(&r);
            break;
        }
        b.acked[i] = fx_now_ms();
        rtt[i] = b.acked[i] - t0;
        bson_destroy(&r);
    }
    pthread_join(th, NULL);
    for (int i = 0; i < ops; i++)
        if (b.acked[i] > 0 && b.delivered[i] > 0)
            lag[n++] = b.delivered[i] > b.acked[i] ? b.delivered[i] - b.acked[i] : 0;
    double lag50 = pct(lag, n, 0.5), lag99 = pct(lag, n, 0.99);
    double rtt50 = pct(rtt, ops, 0.5), rtt99 = pct(rtt, ops, 0.99);
    printf("bench_changestream: %d inserts, %d events, --workers %d\n", ops, n, workers);
    printf("  lag insert-ack -> event: median %.3f ms, p99 %.3f ms\n", lag50, lag99);
    printf("  insert round trip (baseline, same run): median %.3f ms, p99 %.3f ms\n", rtt50, rtt99);
    printf("  lag / round trip: median %.2f, p99 %.2f\n", rtt50 > 0 ? lag50 / rtt50 : 0,
           rtt99 > 0 ? lag99 / rtt99 : 0);
    mongoc_client_destroy(w);
    fx_server_cleanup(&s);
    mongoc_cleanup();
    return n == ops ? 0 : 1;
}
