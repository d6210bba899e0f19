/*
 * tests/bench/bench_fair.c -- `make bench`: head-of-line blocking inside one worker, measured.
 *
 * A server with --workers 1 holds N documents (default 1,000,000).  One connection runs a
 * collection scan whose regex matches nothing ({s: {$regex: "nomatch$"}}), while a bystander
 * connection pings in a loop: the bystander's ping latency (median, p99, max) during the scan
 * shows whether the scan lets the worker serve anyone else.  The scan's own time, run alone
 * after one warm-up scan, and the worker's CPU time for it show what the yields cost.  With --base PATH the same figures are taken for a second
 * binary (the server before a change) on the same data directory, alternating base and new
 * binary for several rounds in one run; the report gives each binary's median over the
 * rounds, the spread (min..max), and the ratio of the scan throughputs (new / base).
 * Numbers are printed, never asserted.  Every loop is bounded (a time cap per scan).
 * Usage: bench_fair --server PATH [--base PATH] [--docs N] [--rounds N]
 */
#include "../integration/fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PINGS 200000
#define MAX_ROUNDS 9
#define SCAN_CAP_MS 120000 /* hang guard for one scan */

static const char *const quiet[] = {"--quiet", NULL};

typedef struct figures {
    double p50, p99, max; /* bystander ping latency during the scan, ms */
    int pings;
    double scan_ms;      /* the scan alone */
    double scan_cpu_ms;  /* the worker's CPU time for it (less sensitive to a busy machine) */
    double scan_busy_ms; /* the scan with the bystander pinging */
} figures_t;

/* load -- N documents {_id: i, s: "value <i> ..."} in batches of 1000. */
static int
load(mongoc_client_t *c, long n)
{
    for (long done = 0; done < n;) {
        bson_t cmd = BSON_INITIALIZER, docs, reply;
        bson_error_t err;
        long batch = n - done < 1000 ? n - done : 1000;
        BSON_APPEND_UTF8(&cmd, "insert", "scan");
        BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
        for (long i = 0; i < batch; i++) {
            char key[16], val[64];
            bson_t d;
            snprintf(key, sizeof(key), "%ld", i);
            snprintf(val, sizeof(val), "value %ld of the benchmark collection", done + i);
            BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
            BSON_APPEND_INT64(&d, "_id", done + i);
            BSON_APPEND_UTF8(&d, "s", val);
            bson_append_document_end(&docs, &d);
        }
        bson_append_array_end(&cmd, &docs);
        bool ok = fx_cmd_bson(c, "bench", &cmd, &reply, &err);
        bson_destroy(&cmd);
        bson_destroy(&reply);
        if (!ok) {
            fprintf(stderr, "bench_fair: insert failed: %s\n", err.message);
            return -1;
        }
        done += batch;
    }
    return 0;
}

/* scan -- the non-matching regex scan; returns its time in ms (< 0 on error). */
static double
scan(mongoc_client_t *c)
{
    bson_t reply;
    bson_error_t err;
    double t0 = fx_now_ms();
    bool ok =
        fx_cmd(c, "bench",
               "{'find': 'scan', 'filter': {'s': {'$regex': 'nomatch$'}}, 'maxTimeMS': 120000}",
               &reply, &err);
    double el = fx_now_ms() - t0;
    if (!ok || fx_array_len(&reply, "cursor.firstBatch") != 0)
        fprintf(stderr, "bench_fair: scan failed: %s %s\n", fx_to_json(&reply), err.message);
    bson_destroy(&reply);
    return ok ? el : -1;
}

typedef struct scan_job {
    mongoc_client_t *c;
    double ms;
    atomic_int done;
} scan_job_t;

static void *
scan_thread(void *arg)
{
    scan_job_t *j = arg;
    j->ms = scan(j->c);
    atomic_store(&j->done, 1);
    return NULL;
}

/* one_round -- the scan alone, then the scan with a bystander pinging. */
static int
one_round(fx_server_t *s, figures_t *f)
{
    static double lat[MAX_PINGS];
    mongoc_client_t *c = fx_client(s), *b = fx_client(s);
    scan_job_t j = {c, 0, 0};
    pthread_t t;
    int n = 0;
    bson_t r;
    bson_error_t err;

    fx_cmd(b, "admin", "{'ping': 1}", &r, &err); /* both connections open before timing */
    bson_destroy(&r);
    pid_t w[FX_MAX_WORKERS];
    double cpu0;
    if (fx_worker_pids(s, w, FX_MAX_WORKERS) != 1)
        return -1;
    scan(c); /* warm: the server was just restarted on this data */
    cpu0 = fx_cpu_ms(w[0]);
    f->scan_ms = scan(c);
    f->scan_cpu_ms = fx_cpu_ms(w[0]) - cpu0;
    if (pthread_create(&t, NULL, scan_thread, &j) != 0)
        return -1;
    fx_sleep_ms(5); /* let the scan start first */
    while (!atomic_load(&j.done) && n < MAX_PINGS) {
        double t0 = fx_now_ms();
        bool ok = fx_cmd(b, "admin", "{'ping': 1}", &r, &err);
        bson_destroy(&r);
        if (!ok)
            break;
        lat[n++] = fx_now_ms() - t0;
    }
    pthread_join(t, NULL);
    f->scan_busy_ms = j.ms;
    mongoc_client_destroy(c);
    mongoc_client_destroy(b);
    if (n == 0 || f->scan_ms < 0 || j.ms < 0)
        return -1;
    fx_sort_doubles(lat, (size_t)n);
    f->pings = n;
    f->p50 = lat[n / 2];
    f->p99 = lat[(n * 99) / 100];
    f->max = lat[n - 1];
    return 0;
}

static void
report(const char *label, const char *path, const figures_t *rs, int n, long docs, double *scan_med,
       double *scan_cpu)
{
    static const fx_row_t rows[] = {
        {"ping p50 ms", offsetof(figures_t, p50)},
        {"ping p99 ms", offsetof(figures_t, p99)},
        {"ping max ms", offsetof(figures_t, max)},
        {"scan alone ms", offsetof(figures_t, scan_ms)},
        {"worker CPU ms", offsetof(figures_t, scan_cpu_ms)},
        {"scan + pings ms", offsetof(figures_t, scan_busy_ms)},
    };
    double lo, hi;

    printf("%s (%s), %d rounds, median [min..max]:\n", label, path, n);
    fx_print_spread(rows, sizeof(rows) / sizeof(rows[0]), rs, sizeof(*rs), n);
    fx_field_spread(rs, sizeof(*rs), n, offsetof(figures_t, scan_ms), scan_med, &lo, &hi);
    fx_field_spread(rs, sizeof(*rs), n, offsetof(figures_t, scan_cpu_ms), scan_cpu, &lo, &hi);
    int pings = 0;
    for (int i = 0; i < n; i++)
        pings += rs[i].pings;
    printf("  %-16s %10.0f docs/s; %d pings answered during the scans\n", "scan throughput",
           *scan_med > 0 ? docs / (*scan_med / 1e3) : 0, pings);
}

int
main(int argc, char **argv)
{
    const char *bins[2] = {NULL, NULL}; /* new, base */
    long docs = 1000000;
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            bins[0] = argv[++i];
        else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
            bins[1] = argv[++i];
        else if (strcmp(argv[i], "--docs") == 0 && i + 1 < argc)
            docs = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s --server PATH [--base PATH] [--docs N] [--rounds N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (bins[0] == NULL || docs <= 0 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_fair: --server is required; 1 <= rounds <= %d\n", MAX_ROUNDS);
        return 2;
    }
    mongoc_init();
    fx_server_t s;
    figures_t res[2][MAX_ROUNDS];
    int nb = bins[1] != NULL ? 2 : 1;
    if (fx_server_init(&s, 1) != 0)
        return 1;
    s.extra = quiet;
    setenv("SDB_BINARY", bins[0], 1);
    if (fx_server_start(&s) != 0)
        return 1;
    mongoc_client_t *c = fx_client(&s);
    double t0 = fx_now_ms();
    int bad = load(c, docs);
    mongoc_client_destroy(c);
    printf("bench_fair: %ld documents loaded in %.1f s; --workers 1; a bystander pings while "
           "{s: {$regex: \"nomatch$\"}} scans them\n",
           docs, (fx_now_ms() - t0) / 1e3);
    for (int r = 0; r < rounds && bad == 0; r++) {
        for (int k = 0; k < nb && bad == 0; k++) {
            fx_server_stop(&s); /* same data directory, the other binary */
            setenv("SDB_BINARY", bins[k], 1);
            if (fx_server_start(&s) != 0 || one_round(&s, &res[k][r]) != 0)
                bad = 1;
        }
    }
    fx_server_cleanup(&s);
    if (bad) {
        fprintf(stderr, "bench_fair: a round failed\n");
        return 1;
    }
    double scan_new = 0, scan_base = 0, cpu_new = 0, cpu_base = 0;
    report("new", bins[0], res[0], rounds, docs, &scan_new, &cpu_new);
    if (nb == 2) {
        report("base", bins[1], res[1], rounds, docs, &scan_base, &cpu_base);
        printf("scan throughput new / base: %.3f by wall time, %.3f by the worker's CPU time "
               "(medians; the cost of the yields; 1.0 = none)\n",
               scan_new > 0 ? scan_base / scan_new : 0, cpu_new > 0 ? cpu_base / cpu_new : 0);
    }
    mongoc_cleanup();
    return 0;
}
