/*
 * src/master/server.c -- the master process: start-up, supervision, shutdown.
 *
 * Start-up order: log, listening socket, global segment (with the runtime parameters'
 * start-up values, params.h), death pipe, per worker slot a channel and a spawned worker,
 * then WiredTiger (store.c), the journal flusher and TTL monitor threads (flush.h, ttl.h)
 * and one service thread per slot; then, under systemd (Type=notify), READY=1 through
 * libsystemd's sd_notify (a no-op without $NOTIFY_SOCKET), and STOPPING=1 at shutdown.
 * The main thread then loops on a signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1 are
 * blocked in every thread and read here, so no code runs in signal context; SIGUSR1 rotates
 * the log as mongod's does, logrotate.h) with a one-second tick for
 * housekeeping.  A worker that exits while its channel is ACTIVE, or by a signal, crashed:
 * its channel is marked dead (waking its service thread), cleaned (rule 4 of DESIGN.md),
 * reset, and a replacement is spawned, with backoff for a slot that keeps crashing.  Exit
 * code 2 from a worker is a fatal configuration error: no respawn.  SIGTERM/SIGINT stop the
 * workers, the service threads, then close WiredTiger cleanly.  This is the only file that
 * decides the master's exit code.
 */
#include "server.h"

#include "../common/channel.h"
#include "../common/global.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "cursors.h"
#include "daemon.h"
#include "disk.h"
#include "flush.h"
#include "ixbuild.h"
#include "logrotate.h"
#include "oplog.h"
#include "ops.h"
#include "params.h"
#include "profile.h"
#include "service.h"
#include "sessions.h"
#include "spawn.h"
#include "store.h"
#include "ttl.h"
#include "xact.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define CRASH_WINDOW_MS 10000
#define CRASH_LIMIT 5

typedef struct slot {
    ms_service_t svc;
    pid_t pid;            /* 0 = not running */
    int crashes;          /* crashes within the current window */
    int64_t window_start; /* ms */
    int64_t respawn_at;   /* ms; 0 = none pending */
    bool fatal;           /* exited with code 2: never respawn */
} slot_t;

typedef struct master {
    const sdb_config_t *cfg;
    char exe[4096];
    int listen_fd;
    int death_rd, death_wr;
    int global_fd;
    sdb_global_t *global;
    slot_t *slots;
    int nslots;
} master_t;

static master_t *the_master; /* for ms_server_panic; set once before any thread starts */

/*
 * ms_server_panic --
 *     Kill every worker and exit without touching WiredTiger.
 */
void
ms_server_panic(const char *why)
{
    int i;

    char full[1200];

    sdb_logf(SDB_LOG_F, "CONTROL", 23091, "Fatal storage error: exiting for recovery", "%s", why);
    if (ms_disk_explain(full, sizeof(full)))
        sdb_logf(SDB_LOG_F, "CONTROL", 23092, "Fatal storage error: cause", "%s", full);
    if (the_master != NULL && the_master->slots != NULL)
        for (i = 0; i < the_master->nslots; i++)
            if (the_master->slots[i].pid > 0)
                kill(the_master->slots[i].pid, SIGKILL);
    _exit(1);
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move an fd above the fixed child numbers (3..8) and make it close-on-exec. */
static int
fd_high(int fd)
{
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 16);

    if (hi < 0)
        return -1;
    close(fd);
    return hi;
}

static int
open_listener(master_t *m)
{
    const sdb_config_t *cfg = m->cfg;
    struct addrinfo hints, *res = NULL;
    char port[16], host[256];
    char *comma;
    int fd, one = 1, ret;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    snprintf(host, sizeof(host), "%s", cfg->bind_ip);
    if ((comma = strchr(host, ',')) != NULL)
        *comma = '\0';
    snprintf(port, sizeof(port), "%d", cfg->port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((ret = getaddrinfo(host, port, &hints, &res)) != 0) {
        fprintf(stderr, "secantusdb: cannot resolve --bind_ip %s: %s\n", host, gai_strerror(ret));
        return 2;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return errno;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        ret = errno;
        freeaddrinfo(res);
        close(fd);
        return ret;
    }
    freeaddrinfo(res);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (ss.ss_family == AF_INET6)
        snprintf(m->global->port_str, sizeof(m->global->port_str), "%d",
                 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    else
        snprintf(m->global->port_str, sizeof(m->global->port_str), "%d",
                 ntohs(((struct sockaddr_in *)&ss)->sin_port));
    m->listen_fd = fd_high(fd);
    return m->listen_fd < 0 ? errno : 0;
}

static void
log_listener_error(int err)
{
    bson_t attr, e;

    bson_init(&attr);
    BSON_APPEND_DOCUMENT_BEGIN(&attr, "error", &e);
    BSON_APPEND_INT32(&e, "code", 9001);
    BSON_APPEND_UTF8(&e, "codeName", "SocketException");
    BSON_APPEND_UTF8(&e, "errmsg", err == EADDRINUSE ? "Address already in use" : strerror(err));
    bson_append_document_end(&attr, &e);
    sdb_log(SDB_LOG_E, "NETWORK", 23024, "Error setting up listener", &attr);
    bson_destroy(&attr);
    if (err == EADDRINUSE)
        fprintf(stderr, "secantusdb: address already in use\n");
}

/* Spawn worker i; with_service also starts its service thread (the store must be open). */
static int
start_slot(master_t *m, int i, bool with_service)
{
    slot_t *s = &m->slots[i];
    ms_spawn_fds_t fds;
    int ret;

    if (with_service)
        SDB_RET(ms_service_start(&s->svc));
    fds.listen_fd = m->listen_fd;
    fds.chan_fd = s->svc.chan.memfd;
    fds.wake_master = s->svc.chan.wake_master;
    fds.wake_worker = s->svc.chan.wake_worker;
    fds.global_fd = m->global_fd;
    fds.death_fd = m->death_rd;
    if ((ret = ms_spawn_worker(m->cfg, m->exe, i, &fds, &s->pid)) != 0) {
        sdb_logf(SDB_LOG_E, "CONTROL", 21000, "Cannot spawn worker", "slot %d: %s", i,
                 strerror(ret));
        s->pid = 0;
        return ret;
    }
    return 0;
}

static int
init_slots(master_t *m)
{
    int i;

    m->nslots = m->cfg->workers;
    m->slots = calloc((size_t)m->nslots, sizeof(slot_t));
    if (m->slots == NULL)
        return ENOMEM;
    m->global->nworkers = (uint32_t)m->nslots;
    for (i = 0; i < m->nslots; i++) {
        slot_t *s = &m->slots[i];
        s->svc.slot = i;
        SDB_RET(sdb_chan_create(&s->svc.chan));
        s->svc.chan.memfd = fd_high(s->svc.chan.memfd);
        s->svc.chan.wake_master = fd_high(s->svc.chan.wake_master);
        s->svc.chan.wake_worker = fd_high(s->svc.chan.wake_worker);
        SDB_RET(start_slot(m, i, false));
    }
    return 0;
}

static int
start_services(master_t *m)
{
    int i;

    for (i = 0; i < m->nslots; i++)
        SDB_RET(ms_service_start(&m->slots[i].svc));
    return 0;
}

/* A worker exited: decide whether it crashed, clean its channel, schedule a respawn. */
static void
worker_exited(master_t *m, slot_t *s, int status)
{
    int64_t now = now_ms();
    bool active = atomic_load(&s->svc.chan.shm->state) == SDB_CHAN_ACTIVE;
    bool orderly = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !active;
    uint32_t op = atomic_load(&s->svc.inflight_op);

    s->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        s->fatal = true;
        sdb_logf(SDB_LOG_E, "CONTROL", 21001, "Worker failed to start", "slot %d", s->svc.slot);
    } else if (!orderly) {
        sdb_logf(SDB_LOG_W, "CONTROL", 21002, "Worker crashed",
                 "slot %d, %s %d, storage op in flight: %u", s->svc.slot,
                 WIFSIGNALED(status) ? "signal" : "exit code",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), op);
    }
    ms_service_stop(&s->svc);
    ms_ops_channel_died(s->svc.slot);
    sdb_chan_reset(&s->svc.chan);
    if (s->fatal)
        return;
    if (now - s->window_start > CRASH_WINDOW_MS) {
        s->window_start = now;
        s->crashes = 0;
    }
    s->crashes++;
    s->respawn_at = s->crashes > CRASH_LIMIT ? now + 1000 : now;
}

static void
reap(master_t *m)
{
    int status, i;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (i = 0; i < m->nslots; i++)
            if (m->slots[i].pid == pid)
                worker_exited(m, &m->slots[i], status);
}

/* Respawn due slots; returns non-zero when every slot is fatal or crash-looping. */
static int
respawn_due(master_t *m)
{
    int64_t now = now_ms();
    int i, dead = 0;

    for (i = 0; i < m->nslots; i++) {
        slot_t *s = &m->slots[i];
        if (s->fatal || s->crashes > CRASH_LIMIT * 4)
            dead++;
        if (s->pid == 0 && !s->fatal && s->respawn_at != 0 && s->respawn_at <= now) {
            s->respawn_at = 0;
            if (start_slot(m, i, true) != 0)
                s->respawn_at = now + 1000;
            else
                atomic_fetch_add(&m->global->respawns, 1); /* serverStatus.secantusdb */
        }
    }
    return dead == m->nslots;
}

static void
stop_workers(master_t *m)
{
    int i, status;
    int64_t deadline = now_ms() + 5000;

    for (i = 0; i < m->nslots; i++)
        if (m->slots[i].pid > 0)
            kill(m->slots[i].pid, SIGTERM);
    for (i = 0; i < m->nslots; i++) {
        slot_t *s = &m->slots[i];
        bool killed = false;
        while (s->pid > 0) {
            pid_t r = waitpid(s->pid, &status, WNOHANG);
            if (r == s->pid || r < 0) {
                s->pid = 0;
                break;
            }
            if (now_ms() > deadline && !killed) {
                sdb_logf(SDB_LOG_W, "CONTROL", 21005, "Worker did not stop in time; killing it",
                         "slot %d", i);
                kill(s->pid, SIGKILL);
                killed = true;
            }
            usleep(2000);
        }
        ms_service_stop(&s->svc);
    }
}

static int
main_loop(master_t *m)
{
    sigset_t set;
    struct signalfd_siginfo si;
    struct pollfd pfd;
    int sfd, rc = 0;
    int64_t last_tick = now_ms();

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return 1;
    pfd.fd = sfd;
    pfd.events = POLLIN;
    for (;;) {
        bool stop = false;
        poll(&pfd, 1, 100);
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                stop = true;
            if (si.ssi_signo == SIGUSR1) /* mongod's log rotation signal */
                ms_logrotate_now("SIGUSR1");
        }
        reap(m);
        if (stop)
            break;
        if (respawn_due(m)) {
            sdb_logf(SDB_LOG_E, "CONTROL", 21003, "Every worker slot is failing", "exiting");
            rc = 1;
            break;
        }
        if (now_ms() - last_tick >= 1000) {
            last_tick = now_ms();
            ms_ops_tick();
        }
    }
    close(sfd);
    return rc;
}

static int
open_log(const sdb_config_t *cfg)
{
    int fd = 1;
    int ret = cfg->logpath[0] != '\0' && !cfg->log_append ? sdb_log_rename_old(cfg->logpath) : 0;

    if (ret != 0) { /* without --logappend an old file is moved aside, as mongod does */
        fprintf(stderr, "secantusdb: cannot rename the old log file %s: %s\n", cfg->logpath,
                strerror(ret));
        return -1;
    }
    if (cfg->logpath[0] != '\0') {
        fd = open(cfg->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "secantusdb: cannot open --logpath %s: %s\n", cfg->logpath,
                    strerror(errno));
            return -1;
        }
    }
    sdb_log_init("master", fd, cfg->quiet);
    if (cfg->syslog)
        sdb_log_use_syslog(cfg->syslog_facility);
    return 0;
}

/* pid_file -- --pidfilepath: write the master's pid (create = true) or remove the file. */
static int
pid_file(const sdb_config_t *cfg, bool create)
{
    FILE *f;

    if (cfg->pidfile[0] == '\0')
        return 0;
    if (!create)
        return unlink(cfg->pidfile) == 0 ? 0 : errno;
    if ((f = fopen(cfg->pidfile, "w")) == NULL) {
        fprintf(stderr, "secantusdb: cannot write the pid file %s: %s\n", cfg->pidfile,
                strerror(errno));
        return errno != 0 ? errno : EIO;
    }
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f) == 0 ? 0 : errno;
}

static int
setup(master_t *m)
{
    int pipefd[2];
    ssize_t n;
    int ret;

    n = readlink("/proc/self/exe", m->exe, sizeof(m->exe) - 1);
    if (n <= 0)
        return errno;
    m->exe[n] = '\0';
    SDB_RET(sdb_global_create(&m->global, &m->global_fd));
    m->global_fd = fd_high(m->global_fd);
    m->global->start_time_ms = (int64_t)time(NULL) * 1000;
    if ((ret = open_listener(m)) != 0) {
        if (ret != 2)
            log_listener_error(ret);
        return ret == EADDRINUSE ? 48 : 2;
    }
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return errno;
    m->death_rd = fd_high(pipefd[0]);
    m->death_wr = fd_high(pipefd[1]);
    return 0;
}

/*
 * ms_server_run --
 *     Run the master until it is told to stop; returns the process exit code.
 */
int
ms_server_run(const sdb_config_t *cfg, const char *argv0)
{
    static master_t m;
    sigset_t set;
    bson_t attr;
    int ret;
    bool parent;

    SDB_UNUSED(argv0);
    ret = ms_daemon_fork(cfg, &parent); /* --fork: first, before any fd or thread exists */
    if (ret != 0 || parent)
        return parent ? ret : 2;
    m.cfg = cfg;
    the_master = &m;
    if (open_log(cfg) != 0 || pid_file(cfg, true) != 0)
        return 2;
    sdb_log_install_crash_handler();
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread we and WT start */

    ms_cursors_set_timeout(cfg->cursor_timeout_ms);
    ms_oplog_set_history_window(cfg->snapshot_window_s);
    ms_xact_set_lifetime(cfg->txn_lifetime_s);
    ms_sessions_set_timeout(cfg->session_timeout_min);
    ms_disk_init(cfg->dbpath);
    if (ms_disk_preflight() != 0) /* before listening: a full disk refuses to start */
        return 2;
    if ((ret = setup(&m)) != 0)
        return ret == 48 ? 48 : 2;
    ms_params_publish(cfg, m.global); /* before any worker can read them */
    ms_profile_publish(cfg, m.global);
    sdb_log_attach(&m.global->log, cfg->logpath);
    sdb_log_set_ring(&m.global->logring[SDB_MAX_WORKERS]);
    ms_logrotate_init(cfg);
    if (cfg->port == 0) {
        printf("mongodb://%s:%s/\n",
               strcmp(cfg->bind_ip, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->bind_ip,
               m.global->port_str);
        fflush(stdout);
    }
    /* Workers start before WiredTiger opens (its start-up calibrates a clock for ~200 ms):
     * connections are accepted and the handshake answered at once, and the first storage
     * request waits in its ring until the service threads start below. */
    if ((ret = init_slots(&m)) != 0) {
        sdb_logf(SDB_LOG_F, "CONTROL", 21004, "Cannot start workers", "%s", sdb_strerror(ret));
        stop_workers(&m);
        return 2;
    }
    bson_init(&attr);
    BSON_APPEND_INT32(&attr, "port", (int32_t)strtol(m.global->port_str, NULL, 10));
    BSON_APPEND_UTF8(&attr, "ssl", "off");
    sdb_log(SDB_LOG_I, "NETWORK", 23016, "Waiting for connections", &attr);
    bson_destroy(&attr);
    if ((ret = ms_store_open(cfg, m.global)) != 0) {
        sdb_logf(SDB_LOG_F, "STORAGE", 28595, "Cannot open the storage engine", "%s",
                 sdb_strerror(ret));
        stop_workers(&m);
        return 2;
    }
    if ((ret = ms_flush_start()) != 0 || (ret = ms_ttl_start()) != 0 ||
        (ret = start_services(&m)) != 0) {
        sdb_logf(SDB_LOG_F, "CONTROL", 21004, "Cannot start service threads", "%s",
                 sdb_strerror(ret));
        stop_workers(&m);
        ms_ttl_stop();
        ms_flush_stop();
        ms_store_close();
        return 2;
    }

    sdb_log_startup_done();
    ms_daemon_ready(); /* --fork: the parent may exit now */
    sd_notifyf(0, "READY=1\nMAINPID=%d\nSTATUS=Waiting for connections on port %s", (int)getpid(),
               m.global->port_str);
    ret = main_loop(&m);
    sd_notify(0, "STOPPING=1");
    sdb_logf(SDB_LOG_I, "CONTROL", 23138, "Shutting down", "exit code %d", ret);
    stop_workers(&m);
    ms_ttl_stop();
    ms_ixbuild_stop(); /* interrupts the builds: their answers go nowhere now */
    ms_flush_stop();   /* after the service threads: no FLUSH is queued any more */
    ms_store_close();
    close(m.listen_fd);
    pid_file(cfg, false);
    sdb_logf(SDB_LOG_I, "CONTROL", 20565, "Now exiting", "exit code %d", ret);
    return ret;
}
