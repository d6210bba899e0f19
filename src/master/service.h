/*
 * src/master/service.h -- one service thread per worker channel.
 *
 * The thread receives storage requests from its worker's channel, runs them through
 * ms_ops_dispatch with its own WT_SESSION, and sends the replies back with the same request
 * id.  It stops when asked (ms_service_stop) or when the channel reports a dead peer; the
 * main thread then resets the channel and starts a new thread for the replacement worker.
 * Fields of ms_service_t are written by the main thread except where noted.
 */
#ifndef MS_SERVICE_H
#define MS_SERVICE_H

#include "../common/channel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct ms_service {
    int slot;
    sdb_chan_t chan; /* created by the main thread, used by the service thread */
    pthread_t thread;
    bool started;
    atomic_int stop;                 /* main thread writes: finish and exit */
    atomic_int exited;               /* service thread writes: loop has ended */
    _Atomic uint32_t inflight_op;    /* service thread writes: op being served, 0 = idle */
    _Atomic uint64_t inflight_reqid; /* service thread writes */
} ms_service_t;

/* ms_service_start -- start the service thread for svc->chan (already created). */
int ms_service_start(ms_service_t *svc);

/* ms_service_stop -- ask the thread to exit, wake it, and join it. */
void ms_service_stop(ms_service_t *svc);

#endif
