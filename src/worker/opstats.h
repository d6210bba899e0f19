/*
 * src/worker/opstats.h -- what one finished command adds to serverStatus's counters.
 *
 * The dispatcher describes every finished command once (wk_op_done_t) and hands it to
 * wk_opstats_count (asserts, opLatencies, metrics.commands / document / queryExecutor /
 * operation / cursor) and to the profiler (profiler.h).  The counters live in this worker's
 * slot of the global segment (global.h: sdb_worker_diag_t), which serverStatus sums.
 *
 * Contract: event-loop thread only; this worker is the only writer of its slot.
 */
#ifndef WK_OPSTATS_H
#define WK_OPSTATS_H

#include "command.h"

#include <stddef.h>
#include <stdint.h>

/* One finished command. */
typedef struct wk_op_done {
    const wk_cmd_t *cmd;     /* the command (its err when ret != 0) */
    const wk_cmd_def_t *def; /* its table row; NULL for an unknown command */
    int ret;                 /* 0, or its failure */
    int64_t micros;          /* how long it ran */
    const bson_t *reply;     /* the reply document */
    size_t response_len;     /* bytes of the encoded reply (0 when none is sent) */
    const char *ns;          /* the namespace currentOp showed */
    const wk_op_stats_t *st; /* what its executors examined (op.h) */
    int64_t nreturned;       /* documents in its cursor batch, -1 when it has none */
} wk_op_done_t;

/* wk_opstats_nreturned -- documents in a reply's cursor.firstBatch / nextBatch, or -1. */
int64_t wk_opstats_nreturned(const bson_t *reply);

/* wk_opstats_count -- add one finished command to this worker's counters. */
void wk_opstats_count(const wk_op_done_t *d);

/* wk_opstats_compression -- a message went through compressor `id` (compressors.h): `in`
 * bytes in and `out` bytes out of its compressor (decompress false) or decompressor. */
void wk_opstats_compression(int id, bool decompress, size_t in, size_t out);

#endif
