/*
 * src/worker/engine/opcount.c -- counting operations into this worker's shared-memory slot.
 *
 * Each worker adds to its own sdb_worker_counters_t in the global segment; serverStatus sums
 * the slots.  Outside a worker (unit tests, no global segment) counting is a no-op.
 *
 * Invariants: event-loop thread; wk_slot's counters are written only by this worker, with
 * atomic_fetch_add so readers in other processes see whole values.
 */
#include "opcount.h"

#include "../../common/global.h"
#include "../worker.h"

void
wk_cmdu_opcount(int which, uint64_t n)
{
    sdb_worker_counters_t *c;

    if (wk_global == NULL || wk_slot < 0 || wk_slot >= SDB_MAX_WORKERS || n == 0)
        return;
    c = &wk_global->workers[wk_slot];
    switch (which) {
    case WK_OPC_INSERT:
        atomic_fetch_add(&c->op_insert, n);
        break;
    case WK_OPC_QUERY:
        atomic_fetch_add(&c->op_query, n);
        break;
    case WK_OPC_UPDATE:
        atomic_fetch_add(&c->op_update, n);
        break;
    case WK_OPC_DELETE:
        atomic_fetch_add(&c->op_delete, n);
        break;
    case WK_OPC_GETMORE:
        atomic_fetch_add(&c->op_getmore, n);
        break;
    default:
        break;
    }
}
