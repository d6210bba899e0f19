/*
 * src/worker/cmd/status.c -- serverStatus sections: network, asserts, opLatencies, metrics
 * (document, operation, queryExecutor, commands, cursor.totalOpened), wiredTiger,
 * logicalSessionRecordCache and our own `secantusdb` (status.h).
 *
 * Counters are summed over every worker's slot (global.h sdb_worker_diag_t) at the moment of
 * the call; a worker's slot survives its respawn, so totals never go backwards.  network's
 * physicalBytesIn/Out are the bytes on the wire, bytesIn/Out the same after decompression
 * (mongod's distinction), from the compressors' own counts.
 */
#include "status.h"

#include "../../common/channel.h"
#include "../../common/compressors.h"
#include "../../common/global.h"
#include "../../common/storeop.h"
#include "../engine/exec.h"
#include "../worker.h"

#include <string.h>

#define SUM(field, out)                                                                            \
    do {                                                                                           \
        (out) = 0;                                                                                 \
        for (uint32_t w_ = 0; w_ < wk_global->nworkers && w_ < SDB_MAX_WORKERS; w_++)              \
            (out) += atomic_load(&wk_global->diag[w_].field);                                      \
    } while (0)

bool
wk_status_wanted(const wk_cmd_t *cmd, const char *name)
{
    bson_iter_t it;

    return !bson_iter_init_find(&it, cmd->body, name) || bson_iter_as_bool(&it);
}

/* compression -- network.compression: {snappy, zstd, zlib: {compressor, decompressor:
 * {bytesIn, bytesOut}}}; *saved_in / *saved_out: what decompression added to the bytes
 * received and compression took from the bytes sent. */
static void
compression(bson_t *net, int64_t *grown_in, int64_t *shrunk_out)
{
    static const int ids[] = {1, 3, 2}; /* snappy, zstd, zlib: mongod's order */
    static const char *const sides[] = {"compressor", "decompressor"};
    bson_t comp, one, side;

    *grown_in = *shrunk_out = 0;
    BSON_APPEND_DOCUMENT_BEGIN(net, "compression", &comp);
    for (size_t i = 0; i < 3; i++) {
        bson_append_document_begin(&comp, sdb_compressor_name(ids[i]), -1, &one);
        for (int d = 0; d < 2; d++) {
            uint64_t in, out;

            SUM(comp[ids[i]][d][0], in);
            SUM(comp[ids[i]][d][1], out);
            if (d == 1)
                *grown_in += (int64_t)out - (int64_t)in;
            else
                *shrunk_out += (int64_t)in - (int64_t)out;
            bson_append_document_begin(&one, sides[d], -1, &side);
            BSON_APPEND_INT64(&side, "bytesIn", (int64_t)in);
            BSON_APPEND_INT64(&side, "bytesOut", (int64_t)out);
            bson_append_document_end(&one, &side);
        }
        bson_append_document_end(&comp, &one);
    }
    bson_append_document_end(net, &comp);
}

void
wk_status_network(bson_t *r)
{
    uint64_t in = 0, out = 0, reqs = 0;
    int64_t grown_in, shrunk_out;
    bson_t net, tmp = BSON_INITIALIZER;

    for (uint32_t i = 0; i < wk_global->nworkers && i < SDB_MAX_WORKERS; i++) {
        in += atomic_load(&wk_global->workers[i].bytes_in);
        out += atomic_load(&wk_global->workers[i].bytes_out);
        reqs += atomic_load(&wk_global->workers[i].requests);
    }
    compression(&tmp, &grown_in, &shrunk_out);
    BSON_APPEND_DOCUMENT_BEGIN(r, "network", &net);
    BSON_APPEND_INT64(&net, "bytesIn", (int64_t)in + grown_in);
    BSON_APPEND_INT64(&net, "bytesOut", (int64_t)out + shrunk_out);
    BSON_APPEND_INT64(&net, "physicalBytesIn", (int64_t)in);
    BSON_APPEND_INT64(&net, "physicalBytesOut", (int64_t)out);
    BSON_APPEND_INT64(&net, "numSlowDNSOperations", 0);
    BSON_APPEND_INT64(&net, "numSlowSSLOperations", 0);
    BSON_APPEND_INT64(&net, "numRequests", (int64_t)reqs);
    BSON_APPEND_INT64(&net, "tcpFastOpen", 0);
    bson_concat(&net, &tmp);
    bson_append_document_end(r, &net);
    bson_destroy(&tmp);
}

void
wk_status_asserts(bson_t *r)
{
    uint64_t regular, warning, msg, user, tripwire;
    bson_t a;

    SUM(asserts_regular, regular);
    SUM(asserts_warning, warning);
    SUM(asserts_msg, msg);
    SUM(asserts_user, user);
    SUM(asserts_tripwire, tripwire);
    BSON_APPEND_DOCUMENT_BEGIN(r, "asserts", &a);
    BSON_APPEND_INT32(&a, "regular", (int32_t)regular);
    BSON_APPEND_INT32(&a, "warning", (int32_t)warning);
    BSON_APPEND_INT32(&a, "msg", (int32_t)msg);
    BSON_APPEND_INT32(&a, "user", (int32_t)user);
    BSON_APPEND_INT32(&a, "tripwire", (int32_t)tripwire);
    BSON_APPEND_INT32(&a, "rollovers", 0);
    bson_append_document_end(r, &a);
}

void
wk_status_op_latencies(bson_t *r)
{
    static const char *const names[SDB_LAT__N] = {"reads", "writes", "commands", "transactions"};
    bson_t l, one;

    BSON_APPEND_DOCUMENT_BEGIN(r, "opLatencies", &l);
    for (int k = 0; k < SDB_LAT__N; k++) {
        uint64_t us, ops;

        SUM(lat_us[k], us);
        SUM(lat_ops[k], ops);
        bson_append_document_begin(&l, names[k], -1, &one);
        BSON_APPEND_INT64(&one, "latency", (int64_t)us);
        BSON_APPEND_INT64(&one, "ops", (int64_t)ops);
        bson_append_document_end(&l, &one);
    }
    bson_append_document_end(r, &l);
}

/* commands -- metrics.commands: {<name>: {failed, total}} for every command of the table (an
 * alias counts under the name the table first lists for its handler), and <UNKNOWN> for
 * names that are no command. */
static void
commands(bson_t *m)
{
    size_t n;
    const wk_cmd_def_t *t = wk_command_table(&n);
    uint64_t total, failed;
    bson_t all, one;

    BSON_APPEND_DOCUMENT_BEGIN(m, "commands", &all);
    SUM(cmd_total[SDB_DIAG_COMMANDS - 1], total);
    BSON_APPEND_INT64(&all, "<UNKNOWN>", (int64_t)total);
    for (size_t i = 0; i < n && i < SDB_DIAG_COMMANDS - 1; i++) {
        if (strcmp(wk_command_name(&t[i]), t[i].name) != 0 || !wk_command_enabled(&t[i]))
            continue; /* an alias, or a test command that is off */
        SUM(cmd_total[i], total);
        SUM(cmd_failed[i], failed);
        bson_append_document_begin(&all, t[i].name, -1, &one);
        BSON_APPEND_INT64(&one, "failed", (int64_t)failed);
        BSON_APPEND_INT64(&one, "total", (int64_t)total);
        bson_append_document_end(&all, &one);
    }
    bson_append_document_end(m, &all);
}

void
wk_status_metrics(bson_t *m)
{
    uint64_t del, ins, ret, upd, sao, wc, keys, docs;
    bson_t d;

    commands(m);
    SUM(doc_deleted, del);
    SUM(doc_inserted, ins);
    SUM(doc_returned, ret);
    SUM(doc_updated, upd);
    BSON_APPEND_DOCUMENT_BEGIN(m, "document", &d);
    BSON_APPEND_INT64(&d, "deleted", (int64_t)del);
    BSON_APPEND_INT64(&d, "inserted", (int64_t)ins);
    BSON_APPEND_INT64(&d, "returned", (int64_t)ret);
    BSON_APPEND_INT64(&d, "updated", (int64_t)upd);
    bson_append_document_end(m, &d);
    SUM(scan_and_order, sao);
    SUM(write_conflicts, wc);
    BSON_APPEND_DOCUMENT_BEGIN(m, "operation", &d);
    BSON_APPEND_INT64(&d, "scanAndOrder", (int64_t)sao);
    BSON_APPEND_INT64(&d, "writeConflicts", (int64_t)wc);
    bson_append_document_end(m, &d);
    SUM(keys_scanned, keys);
    SUM(docs_scanned, docs);
    BSON_APPEND_DOCUMENT_BEGIN(m, "queryExecutor", &d);
    BSON_APPEND_INT64(&d, "scanned", (int64_t)keys);
    BSON_APPEND_INT64(&d, "scannedObjects", (int64_t)docs);
    bson_append_document_end(m, &d);
}

void
wk_status_metrics_cursor(bson_t *cursor)
{
    uint64_t opened;

    SUM(cursors_opened, opened);
    BSON_APPEND_INT64(cursor, "totalOpened", (int64_t)opened);
}

int
wk_status_wired_tiger(bson_t *r, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, stats;
    int ret;

    ret = wk_cmdu_store(SDB_OP_WT_STATS, &req, &stats, err);
    if (ret == 0)
        BSON_APPEND_DOCUMENT(r, "wiredTiger", &stats);
    bson_destroy(&req);
    bson_destroy(&stats);
    return ret;
}

int
wk_status_sessions(bson_t *r, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, list, s;
    bson_iter_t it, arr;
    int32_t n = 0;
    int ret;

    ret = wk_cmdu_store(SDB_OP_SESSION_LIST, &req, &list, err);
    if (ret == 0 && bson_iter_init_find(&it, &list, "sessions") && bson_iter_recurse(&it, &arr))
        while (bson_iter_next(&arr))
            n++;
    if (ret == 0) {
        BSON_APPEND_DOCUMENT_BEGIN(r, "logicalSessionRecordCache", &s);
        BSON_APPEND_INT32(&s, "activeSessionsCount", n);
        BSON_APPEND_INT32(&s, "sessionsCollectionJobCount", 0);
        BSON_APPEND_INT32(&s, "lastSessionsCollectionJobDurationMillis", 0);
        BSON_APPEND_DATE_TIME(&s, "lastSessionsCollectionJobTimestamp", wk_global->start_time_ms);
        BSON_APPEND_INT32(&s, "lastSessionsCollectionJobEntriesRefreshed", 0);
        BSON_APPEND_INT32(&s, "lastSessionsCollectionJobEntriesEnded", 0);
        BSON_APPEND_INT32(&s, "lastSessionsCollectionJobCursorsClosed", 0);
        BSON_APPEND_INT32(&s, "transactionReaperJobCount", 0);
        BSON_APPEND_INT32(&s, "lastTransactionReaperJobDurationMillis", 0);
        BSON_APPEND_DATE_TIME(&s, "lastTransactionReaperJobTimestamp", wk_global->start_time_ms);
        BSON_APPEND_INT32(&s, "lastTransactionReaperJobEntriesCleanedUp", 0);
        BSON_APPEND_INT32(&s, "sessionCatalogSize", n);
        bson_append_document_end(r, &s);
    }
    bson_destroy(&req);
    bson_destroy(&list);
    return ret;
}

/* worker_entry -- secantusdb.workers.list[i]. */
static void
worker_entry(bson_t *list, uint32_t i)
{
    const sdb_worker_counters_t *c = &wk_global->workers[i];
    const sdb_worker_diag_t *d = &wk_global->diag[i];
    char buf[16];
    const char *k;
    bson_t w, ch;

    bson_uint32_to_string(i, &k, buf, sizeof(buf));
    BSON_APPEND_DOCUMENT_BEGIN(list, k, &w);
    BSON_APPEND_INT32(&w, "slot", (int32_t)i);
    BSON_APPEND_INT64(&w, "pid", atomic_load(&d->pid));
    BSON_APPEND_INT64(&w, "connections", (int64_t)atomic_load(&c->conn_current));
    BSON_APPEND_INT64(&w, "requests", (int64_t)atomic_load(&c->requests));
    BSON_APPEND_DOCUMENT_BEGIN(&w, "channel", &ch);
    BSON_APPEND_INT64(&ch, "depth", (int64_t)atomic_load(&d->chan_inflight));
    BSON_APPEND_INT64(&ch, "capacity", (int64_t)SDB_CHAN_RING_SIZE);
    BSON_APPEND_INT64(&ch, "requests", (int64_t)atomic_load(&d->chan_requests));
    bson_append_document_end(&w, &ch);
    bson_append_document_end(list, &w);
}

void
wk_status_secantusdb(bson_t *r)
{
    uint32_t n = wk_global->nworkers < SDB_MAX_WORKERS ? wk_global->nworkers : SDB_MAX_WORKERS;
    bson_t s, workers, list;

    BSON_APPEND_DOCUMENT_BEGIN(r, "secantusdb", &s);
    BSON_APPEND_DOCUMENT_BEGIN(&s, "workers", &workers);
    BSON_APPEND_INT32(&workers, "count", (int32_t)n);
    BSON_APPEND_INT32(&workers, "this", wk_slot);
    BSON_APPEND_ARRAY_BEGIN(&workers, "list", &list);
    for (uint32_t i = 0; i < n; i++)
        worker_entry(&list, i);
    bson_append_array_end(&workers, &list);
    bson_append_document_end(&s, &workers);
    BSON_APPEND_INT64(&s, "respawns", (int64_t)atomic_load(&wk_global->respawns));
    bson_append_document_end(r, &s);
}
