/*
 * src/worker/worker.h -- the worker process: attach to the channel, run the event loop.
 */
#ifndef WK_WORKER_H
#define WK_WORKER_H

#include "../common/config.h"

/* wk_worker_run -- run worker cfg->worker_slot until the master goes away or asks it to
 * stop; returns the exit code (0 orderly, 2 fatal init error). */
int wk_worker_run(const sdb_config_t *cfg);

#endif
