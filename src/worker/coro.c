/*
 * src/worker/coro.c -- coroutines with pooled, guard-paged stacks.
 *
 * A coroutine is created by wk_coro_spawn and runs at once; wk_coro_yield swaps back to the
 * context that last resumed it (always the event loop's stack: coroutines never resume each
 * other).  Stacks are 4 MiB mmap regions with a PROT_NONE guard page below, so an overflow is
 * a clean SIGSEGV; pages are committed only when touched, so idle stacks cost address space,
 * not RSS.  The size is set by the depth bound (depth.h): the deepest parse or evaluation
 * accepted at SDB_BSON_DEPTH_EVAL levels, measured by the unit suites (stackmeter.h), takes
 * up to 460 KB of stack in the plain build and 790 KB under AddressSanitizer, which would
 * leave no margin in 1 MiB once a request's own frames are added; 4 MiB keeps it under a
 * fifth.  Finished coroutines return their stack to a small pool.  Under AddressSanitizer
 * every switch is announced with __sanitizer_start/finish_switch_fiber.
 *
 * Switching.  On x86-64 a switch is coro_swap (below): push the callee-saved registers and
 * the SSE/x87 control words, store the stack pointer, load the other one, pop, return.  No
 * system call: glibc's swapcontext saves and restores the signal mask with rt_sigprocmask
 * on every switch, five system calls per request that waits for the master once (measured).
 * Nothing here changes the signal mask, so there is none to save.  A new coroutine's stack
 * is prepared so that the first switch "returns" into coro_entry.  Other architectures use
 * ucontext.  Not compatible with hardware shadow stacks (CET SHSTK is off by default).
 * Fair turns.  A coroutine that computes for long (wk_coro_checkpoint) gives the loop a turn
 * after a time slice: run() stamps the start of every slice, the checkpoint yields through a
 * zero-delay timer of the coroutine's own (libevent runs due timers after it has polled the
 * sockets, so what became ready meanwhile is served first) and the timer resumes it.
 * Event-loop thread only; no locks.
 */
#include "coro.h"

#include "../common/sdb.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#else
#define CORO_ASAN 0
#endif

#define CORO_STACK (4 * 1024 * 1024) /* see the banner: the depth bound sets it */
#define CORO_POOL_MAX 64

#if defined(__x86_64__)
#define CORO_ASM 1
/* coro_swap(&from->sp, to->sp): see the banner.  The frame it pops: the MXCSR and x87
 * control words (8 bytes), r15, r14, r13, r12, rbx, rbp, then the return address. */
void wk_coro_swap_(void **from_sp, void *to_sp);
__asm__(".text\n"
        ".globl wk_coro_swap_\n"
        ".hidden wk_coro_swap_\n"
        ".type wk_coro_swap_, @function\n"
        "wk_coro_swap_:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size wk_coro_swap_, .-wk_coro_swap_\n");
typedef struct coro_ctx {
    void *sp;
} coro_ctx_t;
#else
#define CORO_ASM 0
typedef ucontext_t coro_ctx_t;
#endif

struct wk_coro {
    coro_ctx_t ctx;
    coro_ctx_t *caller; /* where wk_coro_yield returns to */
    void *stack;        /* base of the mapping (guard page first) */
    size_t stack_len;
    void (*fn)(void *);
    void *arg;
    bool done;
    struct event *ev_turn; /* wk_coro_checkpoint's zero-delay timer (created on first use) */
    wk_coro_t *next_free;
};

static wk_coro_t *current;
static coro_ctx_t loop_ctx;
static wk_coro_t *pool;
static int pool_len;
static int active;
static int64_t slice_start;  /* CLOCK_MONOTONIC ns when the running coroutine got the loop */
static uint32_t slice_calls; /* wk_coro_checkpoint calls since then */
#if CORO_ASAN
static const void *loop_stack_bottom;
static size_t loop_stack_size;
#endif

static void
ctx_swap(coro_ctx_t *from, coro_ctx_t *to)
{
#if CORO_ASM
    wk_coro_swap_(&from->sp, to->sp);
#else
    swapcontext(from, to);
#endif
}

static void
switch_to(coro_ctx_t *from, coro_ctx_t *to, const void *to_bottom, size_t to_size)
{
#if CORO_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, to_bottom, to_size);
    ctx_swap(from, to);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    SDB_UNUSED(to_bottom);
    SDB_UNUSED(to_size);
    ctx_swap(from, to);
#endif
}

/* The first frame of every coroutine; `current` names it (run sets it before switching). */
static void
coro_entry(void)
{
    wk_coro_t *co = current;
    coro_ctx_t scratch;

#if CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop_stack_bottom, &loop_stack_size);
#endif
    co->fn(co->arg);
    co->done = true;
    /* Return to the loop for good; the loop recycles this stack. */
#if CORO_ASAN
    __sanitizer_start_switch_fiber(NULL, loop_stack_bottom, loop_stack_size);
#endif
    ctx_swap(&scratch, co->caller);
    abort(); /* never resumed */
}

#if !CORO_ASM
static void
trampoline(void)
{
    coro_entry();
}
#endif

/* ctx_init -- make co->ctx start coro_entry on co's stack at the first switch. */
static void
ctx_init(wk_coro_t *co)
{
    char *base = (char *)co->stack + (co->stack_len - CORO_STACK);
#if CORO_ASAN
    /* A pooled stack keeps the redzones of the frames its last coroutine never unwound. */
    __asan_unpoison_memory_region(base, CORO_STACK);
#endif
#if CORO_ASM
    uintptr_t top = ((uintptr_t)base + CORO_STACK) & ~(uintptr_t)15;
    uint64_t *f = (uint64_t *)(top - 16) - 7; /* ret slot 16-aligned: entry sees rsp % 16 == 8 */

    memset(f, 0, 9 * sizeof(*f));
    f[0] = 0x1F80 | ((uint64_t)0x037F << 32); /* default MXCSR, x87 control word */
    f[7] = (uint64_t)(uintptr_t)coro_entry;
    co->ctx.sp = f;
#else
    getcontext(&co->ctx);
    co->ctx.uc_stack.ss_sp = base;
    co->ctx.uc_stack.ss_size = CORO_STACK;
    co->ctx.uc_link = NULL;
    makecontext(&co->ctx, trampoline, 0);
#endif
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
coro_destroy(wk_coro_t *co)
{
    if (co->ev_turn != NULL)
        event_free(co->ev_turn);
    munmap(co->stack, co->stack_len);
    free(co);
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
    coro_destroy(co);
}

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Run co until it yields or finishes; recycle it when finished. */
static void
run(wk_coro_t *co)
{
    wk_coro_t *prev = current;

    SDB_ASSERT(prev == NULL); /* coroutines are only resumed from the loop */
    current = co;
    slice_start = now_ns();
    slice_calls = 0;
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
    wk_coro_t *co = coro_alloc();

    if (co == NULL)
        return ENOMEM;
    co->fn = fn;
    co->arg = arg;
    co->done = false;
    ctx_init(co);
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
 * wk_coro_stack_low --
 *     The lowest usable byte of the running coroutine's stack (just above its guard page).
 */
uintptr_t
wk_coro_stack_low(void)
{
    if (current == NULL)
        return 0;
    return (uintptr_t)current->stack + (current->stack_len - CORO_STACK);
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
        coro_destroy(co);
    }
    pool_len = 0;
}

static void
on_turn(evutil_socket_t fd, short what, void *arg)
{
    wk_coro_resume(arg);
}

/*
 * wk_coro_checkpoint --
 *     Give the loop a turn when the running coroutine's slice is used up.
 */
bool
wk_coro_checkpoint(void)
{
    static const struct timeval zero = {0, 0};
    wk_coro_t *co = current;

    if (co == NULL || wk_base == NULL)
        return false;
    if (++slice_calls < WK_CORO_SLICE_CALLS && now_ns() - slice_start < WK_CORO_SLICE_NS)
        return false;
    if (co->ev_turn == NULL && (co->ev_turn = evtimer_new(wk_base, on_turn, co)) == NULL)
        return false; /* no memory for the timer: keep the loop rather than fail the work */
    evtimer_add(co->ev_turn, &zero);
    wk_coro_yield();
    return true;
}

/* A coroutine sleeping in wk_coro_sleep_ms; lives on that coroutine's stack. */
typedef struct sleeper {
    struct event *ev;
    struct sleeper *prev, *next;
} sleeper_t;

static sleeper_t *sleepers;
static bool waking_all;

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
    sleeper_t sl;
    struct timeval tv;
    wk_coro_t *co = current;

    if (co == NULL || ms <= 0 || waking_all)
        return;
    sl.ev = evtimer_new(wk_base, on_sleep_timer, co);
    if (sl.ev == NULL)
        return;
    sl.prev = NULL;
    sl.next = sleepers;
    if (sleepers != NULL)
        sleepers->prev = &sl;
    sleepers = &sl;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(sl.ev, &tv);
    wk_coro_yield();
    if (sl.prev != NULL)
        sl.prev->next = sl.next;
    else
        sleepers = sl.next;
    if (sl.next != NULL)
        sl.next->prev = sl.prev;
    event_free(sl.ev);
}

bool
wk_coro_stopping(void)
{
    return waking_all;
}

/*
 * wk_coro_wake_sleepers --
 *     Orderly exit: every sleeping coroutine wakes now, and later sleeps return at once.
 */
void
wk_coro_wake_sleepers(void)
{
    sleeper_t *sl;

    waking_all = true;
    for (sl = sleepers; sl != NULL; sl = sl->next)
        event_active(sl->ev, EV_TIMEOUT, 1);
}
