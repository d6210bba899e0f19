/*
 * tests/bench/bench_agg_spill.c -- `make bench`: what the blocking aggregation stages cost,
 * in memory and spilled.
 *
 * Two servers (one worker each) hold the same N small documents {_id, k: 1,000 distinct
 * values, v, s: short string}: one with the default 100 MiB limits, one with
 * internalQueryMaxBlockingSortMemoryUsageBytes at 4 MiB and
 * internalDocumentSourceGroupMaxMemoryBytes at 256 KiB (the 1,000 groups' states take about
 * 1 MB), so its $sort and $group spill to the master's temporary tables.  On each: a
 * plain find scan of every document (the baseline), $group by k ($sum, $avg, $max), and a
 * $sort of every document by k read to the end.  Each figure is the median of ROUNDS runs with
 * its ratio to that server's find scan, and the peak RSS of its worker and of its master
 * during those runs (VmHWM, reset through /proc/<pid>/clear_refs before each figure), and the
 * CPU time per run of each process (steadier than wall time on a loaded machine).
 * Numbers are printed, never asserted.  Usage: bench_agg_spill [--docs N] (default 200,000).
 */
#include "../integration/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 3

static const char *const quiet[] = {"--quiet", NULL};
static const char *const spilling[] = {"--quiet",
                                       "--setParameter",
                                       "internalQueryMaxBlockingSortMemoryUsageBytes=4194304",
                                       "--setParameter",
                                       "internalDocumentSourceGroupMaxMemoryBytes=262144",
                                       NULL};

/* load -- n documents in batches of 1000. */
static void
fill(bson_t *d, long id, long n, void *arg)
{
    (void)arg;
    (void)n;
    BSON_APPEND_INT32(d, "k", (int32_t)((id * 7919) % 1000));
    BSON_APPEND_INT32(d, "v", (int32_t)(id % 9973));
    BSON_APPEND_UTF8(d, "s", id % 2 ? "odd" : "even");
}

static int
load(mongoc_client_t *c, long n)
{
    return fx_load(c, "bench", "docs", n, fill, NULL);
}

/* peak_kb -- VmHWM of pid; reset_peak -- start a new peak (clear_refs 5). */
static long
peak_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static void
reset_peak(pid_t pid)
{
    char path[64];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
    if ((f = fopen(path, "w")) != NULL) {
        fputs("5", f);
        fclose(f);
    }
}

static const struct {
    const char *name;
    const char *pipeline;
} figures[] = {
    {"find scan (baseline)", NULL},
    {"$group by k (1,000 groups): $sum $avg $max",
     "[{'$group': {'_id': '$k', 'n': {'$sum': 1}, 'avg': {'$avg': '$v'}, 'mx': {'$max': "
     "'$v'}}}]"},
    {"$sort by k, every document", "[{'$sort': {'k': 1}}]"},
    {"$sort by k then $limit 10 (top-k)", "[{'$sort': {'k': 1}}, {'$limit': 10}]"},
};

/* run_server -- load and measure on one server. */
static int
run_server(const char *label, const char *const *extra, long docs)
{
    double base = 0, ms;
    long count = 0;
    mongoc_client_t *c;
    pid_t worker = 0;
    fx_server_t s;

    if (fx_server_init(&s, 1) != 0)
        return 1;
    s.extra = extra;
    if (fx_server_start(&s) != 0)
        return 1;
    c = fx_client(&s);
    if (load(c, docs) != 0)
        return 1;
    fx_worker_pids(&s, &worker, 1);
    printf("bench_agg_spill: %s, %ld documents, median of %d runs each\n", label, docs, ROUNDS);
    for (size_t f = 0; f < sizeof(figures) / sizeof(figures[0]); f++) {
        double wcpu = fx_cpu_ms(worker), mcpu = fx_cpu_ms(s.pid);

        reset_peak(worker);
        reset_peak(s.pid);
        if ((ms = fx_median_ms(c, "bench", "docs", figures[f].pipeline, ROUNDS, &count)) < 0)
            return 1;
        if (f == 0)
            base = ms;
        wcpu = (fx_cpu_ms(worker) - wcpu) / ROUNDS;
        mcpu = (fx_cpu_ms(s.pid) - mcpu) / ROUNDS;
        printf("  %-44s %9.1f ms %8ld results  ratio %5.2f  CPU/run worker %7.1f ms, master "
               "%7.1f ms  peak RSS worker %6ld MB, master %6ld MB\n",
               figures[f].name, ms, count, base > 0 ? ms / base : 0, wcpu, mcpu,
               peak_kb(worker) / 1024, peak_kb(s.pid) / 1024);
    }
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    return 0;
}

int
main(int argc, char **argv)
{
    long docs = 200000;

    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--docs") == 0)
            docs = atol(argv[++i]);
    mongoc_init();
    if (run_server("in memory (100 MiB limits)", quiet, docs) != 0 ||
        run_server("spilling (4 MiB sort, 256 KiB group limits)", spilling, docs) != 0)
        return 1;
    mongoc_cleanup();
    return 0;
}
