/*
 * src/worker/cmd/top.c -- top: every worker's per-namespace usage counters, summed
 * (worker/top.h), in mongod's shape {totals: {note, <ns>: {total, readLock, writeLock,
 * queries, getmore, insert, update, remove, commands}}}, each {time, count}.
 */
#include "../../common/global.h"
#include "../command.h"
#include "../worker.h"

#include <string.h>

static const char *const kind_names[SDB_TOP__N] = {
    [SDB_TOP_TOTAL] = "total",     [SDB_TOP_READ] = "readLock",   [SDB_TOP_WRITE] = "writeLock",
    [SDB_TOP_QUERIES] = "queries", [SDB_TOP_GETMORE] = "getmore", [SDB_TOP_INSERT] = "insert",
    [SDB_TOP_UPDATE] = "update",   [SDB_TOP_REMOVE] = "remove",   [SDB_TOP_COMMANDS] = "commands",
};

/* One namespace's sums across workers. */
typedef struct sum {
    char ns[124];
    uint64_t time[SDB_TOP__N], count[SDB_TOP__N];
} sum_t;

static int
cmp_ns(const void *a, const void *b)
{
    return strcmp(((const sum_t *)a)->ns, ((const sum_t *)b)->ns);
}

/* add -- e's counters onto the sum of its namespace (a new one when not yet met). */
static void
add(sum_t **sums, size_t *n, const sdb_top_entry_t *e)
{
    size_t i;

    for (i = 0; i < *n && strcmp((*sums)[i].ns, e->ns) != 0; i++)
        ;
    if (i == *n) {
        *sums = bson_realloc(*sums, (*n + 1) * sizeof(**sums));
        memset(&(*sums)[i], 0, sizeof(**sums));
        snprintf((*sums)[i].ns, sizeof((*sums)[i].ns), "%s", e->ns);
        (*n)++;
    }
    for (int k = 0; k < SDB_TOP__N; k++) {
        (*sums)[i].time[k] += atomic_load(&e->time[k]);
        (*sums)[i].count[k] += atomic_load(&e->count[k]);
    }
}

/*
 * wk_cmd_top --
 *     {top: 1} -> {totals: {note, <ns>: {<kind>: {time, count}}}}.
 */
int
wk_cmd_top(wk_cmd_t *cmd)
{
    sum_t *sums = NULL;
    size_t n = 0;
    bson_t totals, d, k;

    for (uint32_t w = 0; w < wk_global->nworkers && w < SDB_MAX_WORKERS; w++)
        for (int i = 0; i < SDB_TOP_NS; i++)
            if (atomic_load(&wk_global->top[w][i].used))
                add(&sums, &n, &wk_global->top[w][i]);
    if (n > 1)
        qsort(sums, n, sizeof(*sums), cmp_ns);
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "totals", &totals);
    BSON_APPEND_UTF8(&totals, "note", "all times in microseconds");
    for (size_t i = 0; i < n; i++) {
        bson_append_document_begin(&totals, sums[i].ns, -1, &d);
        for (int j = 0; j < SDB_TOP__N; j++) {
            bson_append_document_begin(&d, kind_names[j], -1, &k);
            BSON_APPEND_INT64(&k, "time", (int64_t)sums[i].time[j]);
            BSON_APPEND_INT64(&k, "count", (int64_t)sums[i].count[j]);
            bson_append_document_end(&d, &k);
        }
        bson_append_document_end(&totals, &d);
    }
    bson_append_document_end(cmd->reply, &totals);
    bson_free(sums);
    return 0;
}
