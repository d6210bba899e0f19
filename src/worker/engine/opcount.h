/*
 * src/worker/engine/opcount.h -- this worker's opcounters (serverStatus.opcounters).
 *
 * Invariants: event-loop thread; the counters live in shared memory, one slot per worker,
 * written only by that worker (atomic adds) and read by the master for serverStatus.
 */
#ifndef SRC_WORKER_ENGINE_OPCOUNT_H
#define SRC_WORKER_ENGINE_OPCOUNT_H

#include <stdint.h>

enum {
    WK_OPC_INSERT,
    WK_OPC_QUERY,
    WK_OPC_UPDATE,
    WK_OPC_DELETE,
    WK_OPC_GETMORE
};

/* wk_cmdu_opcount -- add n to this worker's opcounter `which` (WK_OPC_*). */
void wk_cmdu_opcount(int which, uint64_t n);

#endif
