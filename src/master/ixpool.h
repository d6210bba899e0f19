/*
 * src/master/ixpool.h -- the bounded pool of threads index builds run on.
 *
 * mongod runs user index builds on its IndexBuildsCoordinatorMongod pool and lets at most
 * maxNumActiveUserIndexBuilds of them run at once; a build beyond that waits for a slot.
 * Contract: ms_ixpool_submit from any thread (a service thread under the catalog lock);
 * ms_ixpool_wake after the limit changed (params.c); ms_ixpool_stop on the main thread at
 * shutdown, after whatever makes the queued jobs end quickly (ixbuild.c's `stopping`).
 */
#ifndef MS_IXPOOL_H
#define MS_IXPOOL_H

/* A job: runs on a pool thread; `thread` numbers the thread (desc "...Mongod-<thread>"). */
typedef void (*ms_ixpool_fn_t)(void *arg, int thread);

/* ms_ixpool_submit -- queue fn(arg); it runs when a slot is free.  *busy gets the number of
 * jobs running when it has to wait for a slot, else -1.  An errno (nothing queued) when no
 * thread exists and none can be started. */
int ms_ixpool_submit(ms_ixpool_fn_t fn, void *arg, int *busy);

/* ms_ixpool_wake -- maxNumActiveUserIndexBuilds changed: start what the new limit allows. */
void ms_ixpool_wake(void);

/* ms_ixpool_stop -- run every queued job whatever the limit, then wait for every thread to
 * exit; later submits fail (ESHUTDOWN). */
void ms_ixpool_stop(void);

#endif
