/*
 * src/master/service.h -- one service thread per worker channel.
 *
 * The thread receives storage requests from its worker's channel, runs them through
 * ms_ops_dispatch with its own WT_SESSION, and sends the replies back with the same request
 * id.  It stops when asked (ms_service_stop) or when the channel reports a dead peer; the
 * main thread then resets the channel and starts a new thread for the replacement worker.
 * Fields of ms_service_t are written by the main thread except where noted.
 *
 * A handler that cannot answer at once (a wait for the journal flush, and later conflicts
 * or awaitData waits) parks its request with ms_service_later and returns; whoever finishes
 * the work calls ms_service_answer from any thread, which queues the reply for the service
 * thread: the reply ring keeps its single producer.  A reply answered after the channel's
 * worker died (the service restarted meanwhile) is dropped.
 */
#ifndef MS_SERVICE_H
#define MS_SERVICE_H

#include "../common/channel.h"
#include "../common/errors.h"
#include "ops.h"

#include <bson/bson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* A parked request (ms_service_later): its reply travels back through the completion queue.
 * Written by the handler's thread, then by the answering thread; read by the service thread
 * once queued. */
typedef struct ms_later {
    struct ms_service *svc;
    uint64_t gen; /* svc->gen when parked: a restarted service drops the answer */
    uint16_t op;
    uint64_t reqid;
    int ret; /* the answer: 0, SDB_ECLIENT (err) or a storage failure */
    bson_t reply;
    sdb_error_t err;
    struct ms_later *next;
} ms_later_t;

typedef struct ms_service {
    int slot;
    sdb_chan_t chan; /* created by the main thread, used by the service thread */
    pthread_t thread;
    bool started;
    atomic_int stop;                 /* main thread writes: finish and exit */
    atomic_int exited;               /* service thread writes: loop has ended */
    _Atomic uint32_t inflight_op;    /* service thread writes: op being served, 0 = idle */
    _Atomic uint64_t inflight_reqid; /* service thread writes */
    /* completion queue of parked requests (created at the first start, kept across restarts) */
    bool done_ready; /* main thread: done_lock and done_fd exist */
    pthread_mutex_t done_lock;
    ms_later_t *done;     /* under done_lock: answered, not yet sent (newest first) */
    int done_fd;          /* eventfd: written after each answer, polled by the service thread */
    _Atomic uint64_t gen; /* main thread bumps at each start */
    int parked;           /* service thread: requests parked and not yet answered */
} ms_service_t;

/* ms_service_start -- start the service thread for svc->chan (already created). */
int ms_service_start(ms_service_t *svc);

/* ms_service_later -- from a handler on the service thread (ctx of ms_ops_dispatch): the
 * request being served is answered later.  The handler returns 0 and leaves `reply` empty;
 * exactly one ms_service_answer follows, from any thread.  NULL when ctx serves no channel
 * (then answer at once). */
ms_later_t *ms_service_later(ms_ctx_t *ctx);

/* ms_service_answer -- any thread: the answer of a parked request (ret as a handler's return,
 * reply fields, err when ret is SDB_ECLIENT); consumes `p`. */
void ms_service_answer(ms_later_t *p, int ret, const bson_t *reply, const sdb_error_t *err);

/* ms_service_stop -- ask the thread to exit, wake it, and join it. */
void ms_service_stop(ms_service_t *svc);

#endif
