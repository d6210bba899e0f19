/*
 * src/master/flush.c -- the journal flush as a group commit on its own thread.
 *
 * FLUSH (storeop.def) waits until the WiredTiger log is on disk, which is an fsync: far too
 * long to hold a channel's service thread.  The FLUSH handler parks its request
 * (ms_service_later) and queues it here; this thread takes the whole queue, calls
 * log_flush("sync=on") once on its own session, and answers every request it took
 * (ms_service_answer, which hands the reply to that channel's service thread).  A write
 * committed before its FLUSH was queued is covered by the next flush that starts after
 * queueing, which is the one that takes it.  While mongod's pauseJournalFlusherThread
 * failpoint is on, the thread holds its batch unflushed (tests use it to make a flush slow).
 *
 * Invariants: `queue` and `stop` under `lock`; the session is this thread's only.
 */
#include "flush.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "failpoints.h"
#include "store.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#define FLUSH_FAILPOINT "pauseJournalFlusherThread"
#define FLUSH_PAUSE_US 10000

/* One queued request (the queue links ms_later_t through a side list). */
typedef struct waiter {
    ms_later_t *p;
    bool checkpoint; /* fsync: the tables too, not only the log */
    struct waiter *next;
} waiter_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static waiter_t *queue; /* under lock, newest first */
static bool running, stop;
static pthread_t thread;
static WT_SESSION *session;

/* answer_all -- answer every waiter of `list` with the flush's status. */
static void
answer_all(waiter_t *list, int ret)
{
    waiter_t *w;
    sdb_error_t err = {0};

    while ((w = list) != NULL) {
        list = w->next;
        ms_service_answer(w->p, ret, NULL, &err);
        bson_free(w);
    }
}

/* flush -- what `list` asks for on session s: a checkpoint when any waiter wants one (it
 * syncs the log too), else the log. */
static int
flush(WT_SESSION *s, const waiter_t *list)
{
    for (const waiter_t *w = list; w != NULL; w = w->next)
        if (w->checkpoint)
            return s->checkpoint(s, NULL);
    return s->log_flush(s, "sync=on");
}

/* paused -- pauseJournalFlusherThread: wait while it is on (or until ms_flush_stop). */
static void
paused(void)
{
    bson_t data;
    bool on;

    for (;;) {
        on = ms_failpoints_fire(FLUSH_FAILPOINT, &data);
        bson_destroy(&data);
        pthread_mutex_lock(&lock);
        on = on && !stop;
        pthread_mutex_unlock(&lock);
        if (!on)
            return;
        usleep(FLUSH_PAUSE_US);
    }
}

static void *
flusher_main(void *arg)
{
    waiter_t *list;
    bool done = false;

    (void)arg;
    while (!done) {
        pthread_mutex_lock(&lock);
        while (queue == NULL && !stop)
            pthread_cond_wait(&cond, &lock);
        list = queue;
        queue = NULL;
        done = stop;
        pthread_mutex_unlock(&lock);
        if (list == NULL)
            continue;
        paused();
        answer_all(list, flush(session, list));
    }
    return NULL;
}

int
ms_flush_start(void)
{
    int ret;

    if (ms_store_in_memory())
        return 0; /* nothing to flush: FLUSH answers at once */
    SDB_RET(ms_store_session_open(&session));
    stop = false;
    if ((ret = pthread_create(&thread, NULL, flusher_main, NULL)) != 0) {
        session->close(session, NULL);
        return ret;
    }
    running = true;
    return 0;
}

void
ms_flush_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stop = true;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    session->close(session, NULL);
    running = false;
}

void
ms_flush_request(ms_later_t *p, WT_SESSION *s, bool checkpoint)
{
    waiter_t *w = bson_malloc0(sizeof(*w));
    bool queued = false;

    w->p = p;
    w->checkpoint = checkpoint;
    pthread_mutex_lock(&lock);
    if (running && !stop) {
        w->next = queue;
        queue = w;
        queued = true;
        pthread_cond_signal(&cond);
    }
    pthread_mutex_unlock(&lock);
    if (!queued) {
        w->next = NULL;
        answer_all(w, flush(s, w));
    }
}
