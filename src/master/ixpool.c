/*
 * src/master/ixpool.c -- the bounded pool of threads index builds run on (ixpool.h).
 *
 * Jobs wait in a FIFO queue.  A pool thread takes the oldest job while fewer than
 * maxNumActiveUserIndexBuilds jobs run (the live word in the global segment, read at every
 * decision, so setParameter takes effect at the next one), runs it, and goes back for the
 * next; an idle thread waits on `work`.  Threads are started on demand, never more than the
 * limit (nor more than the jobs that could use one), and stay for reuse, as mongod's pool
 * keeps its threads named IndexBuildsCoordinatorMongod-0, -1, ...  At shutdown the limit no
 * longer holds back the queue (every queued job still answers its request) and the threads
 * exit once it is empty.
 *
 * Invariants: every field below under `lock`; `running` counts jobs between take and end.
 */
#include "ixpool.h"

#include "../common/global.h"
#include "store.h"

#include <bson/bson.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

typedef struct job {
    ms_ixpool_fn_t fn;
    void *arg;
    struct job *next;
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER; /* a job queued or a slot freed */
static pthread_cond_t gone = PTHREAD_COND_INITIALIZER; /* a thread exited */
static job_t *head, **tail = &head;
static int queued, running, threads, next_no;
static bool stopping;

/* limit_locked -- how many jobs may run now. */
static int
limit_locked(void)
{
    sdb_global_t *g = ms_store_global();

    if (stopping)
        return INT32_MAX;
    return g != NULL ? (int)atomic_load(&g->ix_max_active) : 3;
}

/* take_locked -- the oldest job when a slot is free, else NULL. */
static job_t *
take_locked(void)
{
    job_t *j = head;

    if (j == NULL || running >= limit_locked())
        return NULL;
    if ((head = j->next) == NULL)
        tail = &head;
    queued--;
    running++;
    return j;
}

static void *
pool_main(void *arg)
{
    int no = (int)(intptr_t)arg;
    job_t *j;

    pthread_mutex_lock(&lock);
    for (;;) {
        if ((j = take_locked()) == NULL) {
            if (stopping && head == NULL)
                break;
            pthread_cond_wait(&work, &lock);
            continue;
        }
        pthread_mutex_unlock(&lock);
        j->fn(j->arg, no);
        bson_free(j);
        pthread_mutex_lock(&lock);
        running--;
        pthread_cond_broadcast(&work); /* its slot may start a waiting job */
    }
    threads--;
    pthread_cond_broadcast(&gone);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* grow_locked -- start threads while queued jobs could run but no idle thread would take
 * them; an errno when none could be started and none exists. */
static int
grow_locked(void)
{
    pthread_attr_t attr;
    pthread_t t;
    int ret = 0;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (threads - running < queued && threads < limit_locked()) {
        if ((ret = pthread_create(&t, &attr, pool_main, (void *)(intptr_t)next_no)) != 0)
            break;
        next_no++;
        threads++;
    }
    pthread_attr_destroy(&attr);
    pthread_cond_broadcast(&work);
    return threads > 0 ? 0 : ret;
}

int
ms_ixpool_submit(ms_ixpool_fn_t fn, void *arg, int *busy)
{
    job_t *j;
    int ret;

    *busy = -1;
    pthread_mutex_lock(&lock);
    if (stopping) {
        pthread_mutex_unlock(&lock);
        return ESHUTDOWN;
    }
    j = bson_malloc0(sizeof(*j));
    j->fn = fn;
    j->arg = arg;
    *tail = j;
    tail = &j->next;
    queued++;
    if (running + queued > limit_locked())
        *busy = running;
    if ((ret = grow_locked()) != 0 && queued == 1) {
        head = NULL; /* j is the only job and no thread exists to take it */
        tail = &head;
        queued--;
        bson_free(j);
    } else {
        ret = 0;
    }
    pthread_mutex_unlock(&lock);
    return ret;
}

void
ms_ixpool_wake(void)
{
    pthread_mutex_lock(&lock);
    (void)grow_locked(); /* a failure leaves the jobs queued for the running threads */
    pthread_mutex_unlock(&lock);
}

void
ms_ixpool_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    (void)grow_locked();
    pthread_cond_broadcast(&work);
    while (threads > 0)
        pthread_cond_wait(&gone, &lock);
    pthread_mutex_unlock(&lock);
}
