/*
 * src/worker/accept.c -- take connections off the shared listening socket, within limits.
 *
 * The listen event is level-triggered: while a connection waits in the backlog, every
 * worker polling the socket wakes.  Two limits decide what happens to a connection:
 *
 * - The connection cap (sdb_config_conn_limit: --maxConns, at most 80 % of the descriptor
 *   limit, as mongod) is server-wide.  The count is every worker's conn_current slot summed
 *   (global.h: each worker writes only its own).  A worker counts the new connection in its
 *   slot first and then sums: two workers racing for the last place may both refuse, but
 *   never both admit past the cap.  A refused connection is closed at once (what the client
 *   already sent is read first so the close is a FIN, not a reset) and logged as mongod
 *   does (22942), unless --quiet.
 *
 * - The descriptor limit: accept4 failing with EMFILE/ENFILE (ENOBUFS/ENOMEM alike) leaves
 *   the connection queued and the socket readable, so retrying would spin.  The worker
 *   removes its listen event (the other workers keep draining the backlog), logs it (23018,
 *   at most once a minute, with the number of pauses since), and resumes when one of its connections closes or after PAUSE_MS.  When
 *   the timer finds the limit still reached, whatever is still queued is what no worker
 *   could take: it is accepted on the reserve descriptor (one kept open on /dev/null for
 *   this) and closed, so those clients see a close instead of hanging.
 *
 * Invariants: event-loop thread only; conn_current of this slot is incremented here on
 * admission and decremented by conn.c when the connection is freed.
 */
#include "accept.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "conn.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_BATCH 64    /* connections taken per wake-up before yielding to the loop */
#define PAUSE_MS 200       /* retry after the descriptor limit paused accepting */
#define LOG_EVERY_MS 60000 /* at most one descriptor-limit line a minute */

static struct event *ev_listen;
static struct event *ev_retry;
static int listen_fd = -1;
static int reserve_fd = -1;
static int64_t conn_limit;
static bool paused;         /* the descriptor limit stopped accepting; ev_retry is pending */
static bool stopped;        /* orderly exit: never accept again */
static int64_t last_log_ms; /* monotonic time of the last 23018 line; 0 = never */
static int64_t pauses;      /* pauses since that line */

static void on_accept(evutil_socket_t fd, short what, void *arg);
static void on_retry(evutil_socket_t fd, short what, void *arg);

/*
 * wk_accept_open --
 *     Every worker's open-connection slot summed.
 */
int64_t
wk_accept_open(void)
{
    uint64_t n = 0;
    uint32_t i;

    for (i = 0; i < wk_global->nworkers; i++)
        n += atomic_load(&wk_global->workers[i].conn_current);
    return (int64_t)n;
}

/*
 * wk_accept_limit --
 *     The server-wide connection cap.
 */
int64_t
wk_accept_limit(void)
{
    return conn_limit;
}

static void
peer_name(const struct sockaddr_storage *ss, char *peer, size_t len)
{
    char ip[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(peer, len, "%s:%d", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(peer, len, "%s:%d", ip, ntohs(a->sin_port));
    }
}

/* Close a connection we will not serve (read what it sent so the close is an orderly FIN,
 * not a reset), count and log it as mongod does. */
static void
refuse(int fd, const struct sockaddr_storage *ss, int64_t open)
{
    char buf[4096], remote[64];
    bson_t attr;
    int i;

    for (i = 0; i < 4 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
        continue;
    close(fd);
    atomic_fetch_add(&wk_counters()->conn_rejected, 1);
    if (wk_cfg->quiet)
        return;
    peer_name(ss, remote, sizeof(remote));
    bson_init(&attr);
    BSON_APPEND_UTF8(&attr, "remote", remote);
    BSON_APPEND_INT64(&attr, "connectionCount", open);
    BSON_APPEND_INT64(&attr, "limit", conn_limit);
    sdb_log(SDB_LOG_I, "NETWORK", 22942,
            "Connection refused because there are too many open connections", &attr);
    bson_destroy(&attr);
}

/* Count the connection in this slot, then admit it under the cap or refuse it. */
static void
admit(int fd, const struct sockaddr_storage *ss)
{
    sdb_worker_counters_t *w = wk_counters();
    char peer[64];
    int one = 1;
    int64_t open;

    atomic_fetch_add(&w->conn_current, 1);
    open = wk_accept_open();
    if (open > conn_limit) {
        atomic_fetch_sub(&w->conn_current, 1);
        refuse(fd, ss, open - 1);
        return;
    }
    peer_name(ss, peer, sizeof(peer));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    wk_conn_accept(fd, peer);
}

/* The descriptor limit: stop polling the socket (other workers take the backlog). */
static void
pause_accepting(int err)
{
    struct timeval tv = {0, PAUSE_MS * 1000};
    bson_t attr;

    struct timespec ts;
    int64_t now;

    event_del(ev_listen);
    paused = true;
    evtimer_add(ev_retry, &tv);
    pauses++;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
    if (last_log_ms != 0 && now - last_log_ms < LOG_EVERY_MS)
        return;
    last_log_ms = now;
    bson_init(&attr);
    BSON_APPEND_UTF8(&attr, "localEndpoint", wk_host_port());
    BSON_APPEND_UTF8(&attr, "error", strerror(err));
    BSON_APPEND_INT64(&attr, "workerConnections", wk_conn_count());
    BSON_APPEND_INT64(&attr, "pausesSinceLastLog", pauses);
    BSON_APPEND_UTF8(&attr, "action", "stopped accepting until a descriptor frees up");
    sdb_log(SDB_LOG_W, "NETWORK", 23018, "Error accepting new connection on local endpoint", &attr);
    bson_destroy(&attr);
    pauses = 0;
}

static void
resume_accepting(void)
{
    paused = false;
    evtimer_del(ev_retry);
    if (!stopped)
        event_add(ev_listen, NULL);
}

/* Still at the limit after a pause: close what is queued, through the reserve descriptor. */
static void
shed_backlog(void)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd, n = 0;

    if (reserve_fd < 0)
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (reserve_fd < 0)
        return;
    close(reserve_fd);
    while (n++ < ACCEPT_BATCH && (fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl,
                                               SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        refuse(fd, &ss, wk_accept_open());
        sl = sizeof(ss);
    }
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static bool
out_of_descriptors(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Take up to ACCEPT_BATCH connections; `retry` when the pause timer fired. */
static void
take(bool retry)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, n;

    for (n = 0; n < ACCEPT_BATCH; n++) {
        sl = sizeof(ss);
        fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
            continue;
        if (fd < 0 && out_of_descriptors(errno)) {
            int err = errno;
            if (retry)
                shed_backlog();
            pause_accepting(err);
            return;
        }
        if (fd < 0)
            return; /* EAGAIN: another worker took it, or the queue is empty */
        admit(fd, &ss);
    }
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
    take(false);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
    paused = false;
    if (stopped)
        return;
    take(true);
    if (!paused)
        event_add(ev_listen, NULL);
}

/*
 * wk_accept_conn_closed --
 *     A descriptor freed up: resume accepting if the limit had paused it.
 */
void
wk_accept_conn_closed(void)
{
    if (paused)
        resume_accepting();
}

/*
 * wk_accept_start --
 *     Poll the listening socket; compute the cap; keep a reserve descriptor.
 */
int
wk_accept_start(int fd_listen)
{
    int64_t fd_soft;

    listen_fd = fd_listen;
    conn_limit = sdb_config_conn_limit(wk_cfg, &fd_soft);
    if (wk_slot == 0 && conn_limit < wk_cfg->max_conns &&
        wk_cfg->max_conns != SDB_DEFAULT_MAX_CONNS)
        sdb_logf(SDB_LOG_I, "NETWORK", 22941, " --maxConns too high",
                 "limit %lld (80%% of the descriptor limit %lld)", (long long)conn_limit,
                 (long long)fd_soft);
    atomic_store(&wk_counters()->conn_current, 0);
    atomic_store(&wk_counters()->conn_active, 0);
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_listen = event_new(wk_base, fd_listen, EV_READ | EV_PERSIST, on_accept, NULL);
    ev_retry = evtimer_new(wk_base, on_retry, NULL);
    if (ev_listen == NULL || ev_retry == NULL)
        return ENOMEM;
    return event_add(ev_listen, NULL) == 0 ? 0 : EINVAL;
}

/*
 * wk_accept_stop --
 *     Orderly exit: accept nothing more.
 */
void
wk_accept_stop(void)
{
    stopped = true;
    event_del(ev_listen);
    evtimer_del(ev_retry);
}

/*
 * wk_accept_free --
 *     Free the events and the reserve descriptor.
 */
void
wk_accept_free(void)
{
    if (ev_listen != NULL)
        event_free(ev_listen);
    if (ev_retry != NULL)
        event_free(ev_retry);
    ev_listen = ev_retry = NULL;
    if (reserve_fd >= 0)
        close(reserve_fd);
    reserve_fd = -1;
}
