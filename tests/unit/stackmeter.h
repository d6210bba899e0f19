/*
 * tests/unit/stackmeter.h -- measure the deepest C stack a function uses.
 *
 * stackmeter_run calls fn(arg) on a thread whose stack (STACKMETER_SIZE, far more than any
 * case needs) was painted with a pattern first; afterwards the lowest overwritten byte gives
 * the high-water mark.  The thread's start-up and glibc's thread block at the top of the
 * stack are measured once with an empty function and subtracted.  The depth tests use it to
 * show that work at the nesting bound (SDB_BSON_DEPTH_EVAL) fits a worker's coroutine stack
 * (CORO_STACK, src/worker/coro.c) with a wide margin, in the plain and the sanitizer builds.
 *
 * Test-only header: static functions; link with -pthread.
 */
#ifndef TESTS_UNIT_STACKMETER_H
#define TESTS_UNIT_STACKMETER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define STACKMETER_SIZE (64u * 1024 * 1024)
#define STACKMETER_PAINT 0xA5

/* The coroutine stack of a worker (src/worker/coro.c CORO_STACK) and the share of it a single
 * recursive parse or evaluation at the bound may use: the request's own frames (dispatch,
 * command, executor) sit below it. */
#define STACKMETER_CORO_STACK (4u * 1024 * 1024)
#define STACKMETER_BUDGET (STACKMETER_CORO_STACK / 4)

typedef struct stackmeter_job {
    void (*fn)(void *);
    void *arg;
} stackmeter_job_t;

static void *
stackmeter_main(void *p)
{
    stackmeter_job_t *job = p;

    if (job->fn != NULL)
        job->fn(job->arg);
    return NULL;
}

/* stackmeter_raw -- bytes of stack touched by running fn(arg) on a fresh painted thread. */
static size_t
stackmeter_raw(void (*fn)(void *), void *arg)
{
    stackmeter_job_t job = {fn, arg};
    pthread_attr_t attr;
    pthread_t t;
    uint8_t *mem, *p;

    mem = mmap(NULL, STACKMETER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return (size_t)-1;
    memset(mem, STACKMETER_PAINT, STACKMETER_SIZE);
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, mem, STACKMETER_SIZE);
    if (pthread_create(&t, &attr, stackmeter_main, &job) != 0) {
        munmap(mem, STACKMETER_SIZE);
        return (size_t)-1;
    }
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    for (p = mem; p < mem + STACKMETER_SIZE && *p == STACKMETER_PAINT; p++)
        ;
    munmap(mem, STACKMETER_SIZE);
    return (size_t)(mem + STACKMETER_SIZE - p);
}

/* stackmeter_run -- the stack fn(arg) itself used, in bytes; printed with `what` so the test
 * log keeps the figures. */
static size_t
stackmeter_run(const char *what, void (*fn)(void *), void *arg)
{
    size_t base = stackmeter_raw(NULL, NULL), used = stackmeter_raw(fn, arg);

    used = used > base ? used - base : 0;
    printf("stack: %-48s %8zu bytes (%.1f%% of the coroutine stack)\n", what, used,
           100.0 * (double)used / STACKMETER_CORO_STACK);
    fflush(stdout);
    return used;
}

#endif
