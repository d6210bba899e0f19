/*
 * src/worker/coro.c -- ucontext coroutines with pooled, guard-paged stacks.
 *
 * A coroutine is created by wk_coro_spawn and runs at once; wk_coro_yield swaps back to the
 * context that last resumed it (always the event loop's stack: coroutines never resume each
 * other).  Stacks are 1 MiB mmap regions with a PROT_NONE guard page below, so an overflow is
 * a clean SIGSEGV; pages are committed only when touched, so idle stacks cost address space,
 * not RSS.  Finished coroutines return their stack to a small pool.  Under AddressSanitizer
 * every switch is announced with __sanitizer_start/finish_switch_fiber.
 * Event-loop thread only; no locks.
 */
#include "coro.h"

#include "../common/sdb.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
#else
#define CORO_ASAN 0
#endif

#define CORO_STACK (1024 * 1024)
#define CORO_POOL_MAX 64

struct wk_coro {
    ucontext_t ctx;
    ucontext_t *caller; /* where wk_coro_yield returns to */
    void *stack;        /* base of the mapping (guard page first) */
    size_t stack_len;
    void (*fn)(void *);
    void *arg;
    bool done;
    wk_coro_t *next_free;
};

static wk_coro_t *current;
static ucontext_t loop_ctx;
static wk_coro_t *pool;
static int pool_len;
static int active;
#if CORO_ASAN
static const void *loop_stack_bottom;
static size_t loop_stack_size;
#endif

static void
switch_to(ucontext_t *from, ucontext_t *to, const void *to_bottom, size_t to_size)
{
#if CORO_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, to_bottom, to_size);
    swapcontext(from, to);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    SDB_UNUSED(to_bottom);
    SDB_UNUSED(to_size);
    swapcontext(from, to);
#endif
}

static void
trampoline(unsigned hi, unsigned lo)
{
    wk_coro_t *co = (wk_coro_t *)(((uintptr_t)hi << 32) | (uintptr_t)lo);

#if CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop_stack_bottom, &loop_stack_size);
#endif
    co->fn(co->arg);
    co->done = true;
    /* Return to the loop for good; the loop recycles this stack. */
#if CORO_ASAN
    __sanitizer_start_switch_fiber(NULL, loop_stack_bottom, loop_stack_size);
#endif
    setcontext(co->caller);
}

static wk_coro_t *
coro_alloc(void)
{
    wk_coro_t *co;
    long page = sysconf(_SC_PAGESIZE);

    if (pool != NULL) {
        co = pool;
        pool = co->next_free;
        pool_len--;
        return co;
    }
    co = calloc(1, sizeof(*co));
    if (co == NULL)
        return NULL;
    co->stack_len = CORO_STACK + (size_t)page;
    co->stack = mmap(NULL, co->stack_len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->stack == MAP_FAILED) {
        free(co);
        return NULL;
    }
    mprotect(co->stack, (size_t)page, PROT_NONE);
    return co;
}

static void
coro_release(wk_coro_t *co)
{
    active--;
    if (pool_len < CORO_POOL_MAX) {
        co->next_free = pool;
        pool = co;
        pool_len++;
        return;
    }
    munmap(co->stack, co->stack_len);
    free(co);
}

/* Run co until it yields or finishes; recycle it when finished. */
static void
run(wk_coro_t *co)
{
    wk_coro_t *prev = current;

    SDB_ASSERT(prev == NULL); /* coroutines are only resumed from the loop */
    current = co;
    co->caller = &loop_ctx;
    switch_to(&loop_ctx, &co->ctx, (char *)co->stack + (co->stack_len - CORO_STACK), CORO_STACK);
    current = prev;
    if (co->done)
        coro_release(co);
}

/*
 * wk_coro_spawn --
 *     Start fn(arg) on a new coroutine and run it until it yields or returns.
 */
int
wk_coro_spawn(void (*fn)(void *), void *arg)
{
    /* getcontext returns twice in principle: keep what lives across it in volatile storage */
    wk_coro_t *volatile co = coro_alloc();
    uintptr_t p;

    if (co == NULL)
        return ENOMEM;
    co->fn = fn;
    co->arg = arg;
    co->done = false;
    getcontext(&co->ctx);
    co->ctx.uc_stack.ss_sp = (char *)co->stack + (co->stack_len - CORO_STACK);
    co->ctx.uc_stack.ss_size = CORO_STACK;
    co->ctx.uc_link = NULL;
    p = (uintptr_t)co;
    makecontext(&co->ctx, (void (*)(void))trampoline, 2, (unsigned)(p >> 32),
                (unsigned)(p & 0xffffffffu));
    active++;
    run(co);
    return 0;
}

/*
 * wk_coro_self --
 *     The running coroutine, or NULL on the loop's stack.
 */
wk_coro_t *
wk_coro_self(void)
{
    return current;
}

/*
 * wk_coro_yield --
 *     Give control back to the event loop.
 */
void
wk_coro_yield(void)
{
    wk_coro_t *co = current;

    SDB_ASSERT(co != NULL);
#if CORO_ASAN
    switch_to(&co->ctx, co->caller, loop_stack_bottom, loop_stack_size);
#else
    switch_to(&co->ctx, co->caller, NULL, 0);
#endif
}

/*
 * wk_coro_resume --
 *     Continue a yielded coroutine.
 */
void
wk_coro_resume(wk_coro_t *co)
{
    run(co);
}

/*
 * wk_coro_active --
 *     Coroutines started and not finished.
 */
int
wk_coro_active(void)
{
    return active;
}

/*
 * wk_coro_free_pool --
 *     Release pooled stacks.
 */
void
wk_coro_free_pool(void)
{
    while (pool != NULL) {
        wk_coro_t *co = pool;
        pool = co->next_free;
        munmap(co->stack, co->stack_len);
        free(co);
    }
    pool_len = 0;
}

static void
on_sleep_timer(evutil_socket_t fd, short what, void *arg)
{
    wk_coro_resume(arg);
}

/*
 * wk_coro_sleep_ms --
 *     Suspend the running coroutine for ms milliseconds; the loop serves others meanwhile.
 */
void
wk_coro_sleep_ms(int64_t ms)
{
    struct event *ev;
    struct timeval tv;
    wk_coro_t *co = current;

    if (co == NULL || ms <= 0)
        return;
    ev = evtimer_new(wk_base, on_sleep_timer, co);
    if (ev == NULL)
        return;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(ev, &tv);
    wk_coro_yield();
    event_free(ev);
}
