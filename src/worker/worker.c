/*
 * src/worker/worker.c -- a worker process: attach, accept, loop, exit.
 *
 * Started by the master as `secantusdb ... --worker N --fds l,c,wm,ww,g,d` (spawn.c).  It
 * asks the kernel to kill it when the master dies (PR_SET_PDEATHSIG) and also watches the
 * death pipe, attaches the global segment and its channel, marks the channel ACTIVE (the
 * dead-man switch: an exit while ACTIVE is a crash), and runs a libevent loop that accepts
 * connections on the shared listening socket (accept.c).  SIGTERM ends the loop in an
 * orderly way: the channel is marked inactive and the process exits 0.  Single-threaded.
 */
#include "worker.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "accept.h"
#include "catalog_cache.h"
#include "conn.h"
#include "coro.h"
#include "query/js.h"
#include "store_client.h"
#include "tls.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

sdb_global_t *wk_global;
int wk_slot;
sdb_chan_t wk_chan;
const sdb_config_t *wk_cfg;
struct event_base *wk_base;
bool wk_stopping;

static char host_port[300];
static pid_t master_pid;

/*
 * wk_worker_fatal --
 *     Log and exit with a crash status; the master respawns this slot.
 */
void
wk_worker_fatal(const char *why)
{
    sdb_logf(SDB_LOG_F, "CONTROL", 21100, "Worker fatal error", "%s", why);
    _exit(3);
}

/*
 * wk_counters --
 *     This worker's counters slot.
 */
sdb_worker_counters_t *
wk_counters(void)
{
    return &wk_global->workers[wk_slot];
}

/*
 * wk_host_port --
 *     "host:port" clients should use for this server.
 */
const char *
wk_host_port(void)
{
    return host_port;
}

/*
 * wk_topology_counter --
 *     topologyVersion.counter: 0 while the server runs, 1 once it is shutting down (as mongod
 *     bumps it), so a driver never mistakes a shutdown error for a stale one.
 */
int64_t
wk_topology_counter(void)
{
    return wk_stopping ? 1 : 0;
}

/*
 * wk_topology_version_append --
 *     {processId, counter: Int64 wk_topology_counter()}.
 */
void
wk_topology_version_append(bson_t *doc)
{
    bson_t tv;
    bson_oid_t pid;

    wk_process_id(&pid);
    BSON_APPEND_DOCUMENT_BEGIN(doc, "topologyVersion", &tv);
    BSON_APPEND_OID(&tv, "processId", &pid);
    BSON_APPEND_INT64(&tv, "counter", wk_topology_counter());
    bson_append_document_end(doc, &tv);
}

/*
 * wk_process_id --
 *     One ObjectId per master start, identical in every worker.
 */
void
wk_process_id(bson_oid_t *oid)
{
    uint32_t t = (uint32_t)(wk_global->start_time_ms / 1000);
    uint32_t p = (uint32_t)master_pid;
    uint32_t ms = (uint32_t)(wk_global->start_time_ms % 1000);
    int i;

    for (i = 0; i < 4; i++)
        oid->bytes[i] = (uint8_t)(t >> (24 - 8 * i));
    for (i = 0; i < 4; i++)
        oid->bytes[4 + i] = (uint8_t)(p >> (24 - 8 * i));
    for (i = 0; i < 4; i++)
        oid->bytes[8 + i] = (uint8_t)(ms >> (24 - 8 * i));
}

/*
 * wk_cluster_time --
 *     The latest oplog timestamp, or the wall clock before any write.
 */
void
wk_cluster_time(uint32_t *t, uint32_t *i)
{
    uint64_t head = atomic_load(&wk_global->oplog_head);

    if (head == 0) {
        *t = (uint32_t)time(NULL);
        *i = 1;
        return;
    }
    *t = (uint32_t)(head >> 32);
    *i = (uint32_t)head;
}

static void
on_death(evutil_socket_t fd, short what, void *arg)
{
    /* EOF on the death pipe: the master is gone. */
    _exit(1);
}

static void
on_chan_wake(evutil_socket_t fd, short what, void *arg)
{
    wk_store_on_wake();
}

#define DRAIN_MS 2000 /* longest an orderly exit waits for running requests */

static struct event *ev_drain;
static int drain_ticks;

/* While stopping: end the loop once no request runs (or the drain time is up). */
static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct timeval tick = {0, 10000};

    if (wk_coro_active() == 0 || ++drain_ticks * 10 >= DRAIN_MS) {
        event_base_loopbreak(wk_base);
        return;
    }
    evtimer_add(ev_drain, &tick);
}

/* SIGTERM/SIGINT: stop accepting, start no new request, let running ones finish (sleepers
 * such as awaitable hello wake at once), then leave the loop. */
static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
    if (wk_stopping)
        return;
    wk_stopping = true;
    wk_accept_stop();
    wk_coro_wake_sleepers();
    ev_drain = evtimer_new(wk_base, on_drain_tick, NULL);
    on_drain_tick(-1, 0, NULL);
}

static int
attach(const sdb_config_t *cfg)
{
    int ret;

    if ((ret = sdb_global_attach(cfg->fd_global, &wk_global)) != 0)
        return ret;
    if ((ret = sdb_chan_attach(&wk_chan, cfg->fd_chan, cfg->fd_wake_master, cfg->fd_wake_worker)) !=
        0)
        return ret;
    atomic_store(&wk_chan.shm->worker_pid, (uint32_t)getpid());
    atomic_store(&wk_chan.shm->state, SDB_CHAN_ACTIVE);
    snprintf(host_port, sizeof(host_port), "%s:%s",
             strcmp(cfg->bind_ip, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->bind_ip,
             wk_global->port_str);
    return 0;
}

static void
open_worker_log(const sdb_config_t *cfg)
{
    char role[32];
    int fd = 1;

    snprintf(role, sizeof(role), "worker-%d", cfg->worker_slot);
    if (cfg->logpath[0] != '\0') {
        fd = open(cfg->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            fd = 2;
    }
    sdb_log_init(role, fd, cfg->quiet);
    if (cfg->syslog)
        sdb_log_use_syslog(cfg->syslog_facility);
}

/*
 * wk_worker_run --
 *     Run one worker until SIGTERM or the master's death.
 */
int
wk_worker_run(const sdb_config_t *cfg)
{
    struct event *ev_death, *ev_term, *ev_int, *ev_chan;
    int ret;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    master_pid = getppid();
    if (master_pid == 1)
        return 1;
    wk_cfg = cfg;
    wk_slot = cfg->worker_slot;
    open_worker_log(cfg);
    sdb_log_install_crash_handler();
    signal(SIGPIPE, SIG_IGN);
    if ((ret = attach(cfg)) != 0) {
        sdb_logf(SDB_LOG_E, "CONTROL", 21101, "Worker cannot attach", "%s", sdb_strerror(ret));
        return 2;
    }
    atomic_store(&wk_global->diag[wk_slot].pid, (int64_t)getpid()); /* serverStatus */
    if (wk_slot < 0 || (uint32_t)wk_slot >= wk_global->nworkers)
        return 2;
    sdb_log_attach(&wk_global->log, cfg->logpath); /* logLevel, quiet, rotations */
    sdb_log_set_ring(&wk_global->logring[wk_slot]);
    wk_base = event_base_new();
    if (wk_base == NULL)
        return 2;
    ev_death = event_new(wk_base, cfg->fd_death, EV_READ, on_death, NULL);
    ev_term = evsignal_new(wk_base, SIGTERM, on_sigterm, NULL);
    ev_int = evsignal_new(wk_base, SIGINT, on_sigterm, NULL);
    ev_chan =
        event_new(wk_base, sdb_chan_wake_fd(&wk_chan), EV_READ | EV_PERSIST, on_chan_wake, NULL);
    event_add(ev_chan, NULL);
    wk_store_on_wake(); /* arm the channel's wake fd (see store_client.c) */
    if ((ret = wk_tls_init(cfg)) != 0)
        return ret;
    if ((ret = wk_accept_start(cfg->fd_listen)) != 0) {
        sdb_logf(SDB_LOG_E, "CONTROL", 21101, "Worker cannot listen", "%s", sdb_strerror(ret));
        return 2;
    }
    event_add(ev_death, NULL);
    event_add(ev_term, NULL);
    event_add(ev_int, NULL);

    event_base_dispatch(wk_base);

    wk_conn_close_all();
    wk_tls_shutdown();
    wk_catalog_free();
    wk_coro_free_pool();
    wk_js_shutdown(); /* query/js.h: SpiderMonkey must not outlive the loop */
    atomic_store(&wk_chan.shm->state, 0);
    wk_accept_free();
    event_free(ev_death);
    event_free(ev_term);
    event_free(ev_int);
    event_free(ev_chan);
    if (ev_drain != NULL)
        event_free(ev_drain);
    event_base_free(wk_base);
    return 0;
}
