/*
 * src/worker/oplog_wait.c -- park a request until the oplog head moves.
 *
 * The waiting coroutine sleeps in steps of WAIT_STEP_MS on the worker's event loop and looks
 * at the global segment's oplog_head after each step, so a wait costs a timer per step and
 * nothing on the channel; the master never learns that anybody waits.
 *
 * Invariants: event-loop thread, coroutines only; oplog_head is read with an atomic load
 * (the master is its only writer).
 */
#include "oplog_wait.h"

#include "../common/global.h"
#include "../common/sdb.h"
#include "coro.h"
#include "worker.h"

#define WAIT_STEP_MS 1

uint64_t
wk_oplog_head(void)
{
    return atomic_load(&wk_global->oplog_head);
}

/* wait_for -- sleep in steps until done(head, arg) or the deadline or the worker stops. */
static bool
wait_for(bool (*done)(uint64_t head, uint64_t arg), uint64_t arg, int64_t max_ms)
{
    int64_t deadline = sdb_mono_ms() + (max_ms > 0 ? max_ms : 0);

    for (;;) {
        if (done(wk_oplog_head(), arg))
            return true;
        if (sdb_mono_ms() >= deadline || wk_coro_stopping() || wk_coro_self() == NULL)
            return false;
        wk_coro_sleep_ms(WAIT_STEP_MS);
    }
}

static bool
head_moved(uint64_t head, uint64_t seen)
{
    return head != seen;
}

static bool
head_reached(uint64_t head, uint64_t ts)
{
    return head >= ts;
}

bool
wk_oplog_wait(uint64_t seen, int64_t max_ms)
{
    return wait_for(head_moved, seen, max_ms);
}

bool
wk_oplog_wait_until(uint64_t ts, int64_t max_ms)
{
    return wait_for(head_reached, ts, max_ms);
}
