/*
 * src/worker/worker.h -- the worker process: attach to the channel, run the event loop.
 *
 * Process-wide state of a worker, set once by wk_worker_run before the loop starts and
 * read-only afterwards: the mapped global segment, this worker's slot, its channel and the
 * configuration.  Everything in a worker runs on the event-loop thread.
 */
#ifndef WK_WORKER_H
#define WK_WORKER_H

#include "../common/channel.h"
#include "../common/config.h"
#include "../common/global.h"

#include <bson/bson.h>

extern sdb_global_t *wk_global;    /* mapped global segment */
extern int wk_slot;                /* this worker's slot */
extern sdb_chan_t wk_chan;         /* this worker's channel to the master */
extern const sdb_config_t *wk_cfg; /* options (same as the master's) */
extern struct event_base *wk_base; /* the event loop */
extern bool wk_stopping;           /* orderly exit under way: start no new request */

/* wk_worker_run -- run worker cfg->worker_slot until the master goes away or asks it to
 * stop; returns the exit code (0 orderly, 2 fatal init error). */
int wk_worker_run(const sdb_config_t *cfg);

/* wk_worker_fatal -- a worker-fatal error (dead master, corrupt channel): log and exit with a
 * crash status so the master respawns a worker.  The only exit in a worker besides
 * wk_worker_run's return. */
void wk_worker_fatal(const char *why) __attribute__((noreturn));

/* wk_counters -- this worker's slot of counters in the global segment. */
sdb_worker_counters_t *wk_counters(void);

/* wk_host_port -- "host:port" this server is reachable at (for hello's me/hosts). */
const char *wk_host_port(void);

/* wk_process_id -- the topologyVersion.processId: one ObjectId per master start. */
void wk_process_id(bson_oid_t *oid);

/* wk_topology_counter -- the topologyVersion counter this server reports now. */
int64_t wk_topology_counter(void);

/* wk_topology_version_append -- append `topologyVersion` (hello replies, and the error
 * replies whose code tells a driver the server changed state, dispatch.c). */
void wk_topology_version_append(bson_t *doc);

/* wk_cluster_time -- the current cluster/operation time as (seconds, increment). */
void wk_cluster_time(uint32_t *t, uint32_t *i);

#endif
