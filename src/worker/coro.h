/*
 * src/worker/coro.h -- coroutines for command handlers, so one worker keeps many storage
 * requests in flight.
 *
 * Every client request runs on a coroutine of its own (a ucontext with a private 4 MiB
 * stack, lazily committed, from a reuse pool).  When a handler waits for the master
 * (store_client.c) its coroutine yields back to the event loop, which serves other
 * connections and resumes the coroutine when the reply with its request id arrives.  Handlers
 * therefore read as straight-line code, and a worker still has a single thread: nothing runs
 * concurrently, but anything a handler holds across a storage call may be changed by another
 * request meanwhile (the catalog cache defers freeing old snapshots for that reason).
 * Event-loop thread only.
 */
#ifndef WK_CORO_H
#define WK_CORO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct wk_coro wk_coro_t;

/* wk_coro_spawn -- run fn(arg) on a new coroutine until it yields or returns.  Returns 0 or
 * ENOMEM (then nothing ran). */
int wk_coro_spawn(void (*fn)(void *), void *arg);

/* wk_coro_self -- the running coroutine, or NULL on the event loop's own stack. */
wk_coro_t *wk_coro_self(void);

/* wk_coro_stack_low -- the lowest usable address of the running coroutine's stack (what an
 * embedded engine with its own recursion limit, SpiderMonkey, must stay above); 0 on the
 * loop's own stack. */
uintptr_t wk_coro_stack_low(void);

/* wk_coro_yield -- from a coroutine: give control back to whoever resumed it. */
void wk_coro_yield(void);

/* wk_coro_resume -- from the event loop: continue a yielded coroutine until it yields again
 * or returns (its stack then goes back to the pool). */
void wk_coro_resume(wk_coro_t *co);

/* wk_coro_checkpoint -- from a coroutine doing a long piece of work (a scan, a $group, a
 * sort): once it has held the loop for WK_CORO_SLICE_NS or been called WK_CORO_SLICE_CALLS
 * times since it last got the loop, give the loop one turn and continue after it: a
 * zero-delay timer resumes the coroutine after the loop has polled every socket and run what
 * was ready, so other connections of this worker are served in between.  Returns true when
 * it yielded (anything the caller borrowed from shared state may have changed).  A no-op on
 * the loop's own stack (start-up, unit tests). */
bool wk_coro_checkpoint(void);

#define WK_CORO_SLICE_NS 1000000 /* about a millisecond of work between turns */
#define WK_CORO_SLICE_CALLS 256  /* or a few hundred documents */

/* wk_coro_sleep_ms -- from a coroutine: suspend for ms milliseconds (a libevent timer resumes
 * it); a no-op on the loop's own stack. */
void wk_coro_sleep_ms(int64_t ms);

/* wk_coro_wake_sleepers -- orderly exit: wake every sleeping coroutine now; later sleeps
 * return at once. */
void wk_coro_wake_sleepers(void);

/* wk_coro_stopping -- whether wk_coro_wake_sleepers has run (the worker is exiting). */
bool wk_coro_stopping(void);

/* wk_coro_active -- coroutines started and not yet finished. */
int wk_coro_active(void);

/* wk_coro_free_pool -- release pooled stacks (orderly exit). */
void wk_coro_free_pool(void);

#endif
