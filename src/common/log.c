/*
 * src/common/log.c -- JSON-line logging in mongod's format.
 *
 * One line per call, written with a single write(2) so lines from the master's threads and
 * from workers sharing the same fd never interleave.  The role tag and pid go into "ctx".
 * The crash handler logs the operation in flight (set with sdb_log_set_inflight) using only
 * async-signal-safe calls, then re-raises the signal with the default action for a core.
 *
 * Once attached to the global segment (sdb_log_attach), every line reads the live settings
 * the master publishes there: quiet, logLevel and the per-component verbosity (debug lines
 * "D1".."D5" are written only when the component's level in force reaches theirs), and the
 * rotation word: when it moved, this process reopens --logpath onto its log fd (dup2, so the
 * fd number never changes) before writing.  The master rotates (sdb_log_rotate: rename or
 * not, reopen, bump the word).  Each line is also kept in this process's ring for getLog
 * (logring.h).  A process-local mutex orders ring appends and reopens between threads.
 * With --syslog (sdb_log_use_syslog) the same JSON line goes to syslog(3) instead, at the
 * priority mongod maps its severity to; the crash handler still writes to the fd.
 */
#include "log.h"

#include "logring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char log_role[32] = "master";
static int log_fd = 1;
static int log_quiet;
static bool log_syslog; /* lines go to syslog(3), not log_fd */
static char log_inflight[256];
static sdb_log_live_t *log_live;        /* the global segment's, once attached */
static char log_path[1024];             /* --logpath, reopened after a rotation */
static uint64_t log_rotations;          /* live->rotations this process has followed */
static sdb_logring_t *log_ring;         /* this process's ring for getLog */
static _Atomic bool log_startup = true; /* warnings now are start-up warnings */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER; /* ring and reopen */

static const char *const sev_name[] = {"D", "I", "W", "E", "F"};
static const char *const debug_name[] = {"D1", "D2", "D3", "D4", "D5"};

static void write_line(const char *sev, const char *component, int id, const char *msg,
                       const bson_t *attr);

/* mongod's log components: dotted name, the tag our lines carry in "c", parent index. */
static const struct {
    const char *name, *tag;
    int parent;
} comps[SDB_LOG_NCOMP] = {
    {"default", "-", 0},
    {"accessControl", "ACCESS", 0},
    {"assert", "ASSERT", 0},
    {"command", "COMMAND", 0},
    {"control", "CONTROL", 0},
    {"executor", "EXECUTOR", 0},
    {"ftdc", "FTDC", 0},
    {"geo", "GEO", 0},
    {"index", "INDEX", 0},
    {"network", "NETWORK", 0},
    {"query", "QUERY", 0},
    {"replication", "REPL", 0},
    {"replication.election", "ELECTION", 11},
    {"replication.heartbeats", "REPL_HB", 11},
    {"replication.initialSync", "INITSYNC", 11},
    {"replication.rollback", "ROLLBACK", 11},
    {"sharding", "SHARDING", 0},
    {"storage", "STORAGE", 0},
    {"storage.journal", "JOURNAL", 17},
    {"storage.recovery", "RECOVERY", 17},
    {"transaction", "TXN", 0},
    {"write", "WRITE", 0},
};

/*
 * sdb_log_component --
 *     A component's index by dotted name or tag.
 */
int
sdb_log_component(const char *name)
{
    int i;

    for (i = 0; i < SDB_LOG_NCOMP; i++)
        if (strcasecmp(comps[i].name, name) == 0 || strcasecmp(comps[i].tag, name) == 0)
            return i;
    return -1;
}

/*
 * sdb_log_component_name --
 *     A component's dotted name.
 */
const char *
sdb_log_component_name(int i)
{
    return i >= 0 && i < SDB_LOG_NCOMP ? comps[i].name : "default";
}

/*
 * sdb_log_init --
 *     Set the role tag, output fd and quiet flag.
 */
void
sdb_log_init(const char *role, int fd, int quiet)
{
    snprintf(log_role, sizeof(log_role), "%s", role);
    log_fd = fd;
    log_quiet = quiet;
}

void
sdb_log_use_syslog(int facility)
{
    openlog(NULL, LOG_PID | LOG_NDELAY, facility); /* NULL: the process name, as mongod's */
    log_syslog = true;
}

/* syslog_priority -- mongod's syslog priority of a line's severity. */
static int
syslog_priority(const char *sev)
{
    switch (sev[0]) {
    case 'I':
        return LOG_INFO;
    case 'W':
        return LOG_WARNING;
    case 'E':
        return LOG_CRIT;
    case 'F':
        return LOG_ALERT;
    default: /* D, D1..D5 */
        return LOG_DEBUG;
    }
}

/*
 * sdb_log_set_fd --
 *     Redirect log output.
 */
void
sdb_log_set_fd(int fd)
{
    log_fd = fd;
}

static bool
quiet_now(void)
{
    return log_live != NULL ? atomic_load_explicit(&log_live->quiet, memory_order_relaxed) != 0
                            : log_quiet != 0;
}

/* reopen_locked -- open log_path again onto log_fd (the old description is closed by dup2). */
static int
reopen_locked(void)
{
    int fd;

    if (log_path[0] == '\0')
        return 0;
    fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    if (dup3(fd, log_fd, O_CLOEXEC) < 0) { /* keep close-on-exec: spawned workers open their own */
        int e = errno;
        close(fd);
        return e;
    }
    close(fd);
    return 0;
}

/* follow_rotation_locked -- after the master rotated the file, write to the new one. */
static void
follow_rotation_locked(void)
{
    uint64_t r;

    if (log_live == NULL)
        return;
    r = atomic_load_explicit(&log_live->rotations, memory_order_acquire);
    if (r != log_rotations) {
        log_rotations = r;
        (void)reopen_locked();
    }
}

/*
 * sdb_log_attach --
 *     Follow the live settings and the rotations of the global segment.
 */
void
sdb_log_attach(sdb_log_live_t *live, const char *path)
{
    pthread_mutex_lock(&log_lock);
    snprintf(log_path, sizeof(log_path), "%s", path);
    log_rotations = atomic_load(&live->rotations);
    log_live = live;
    pthread_mutex_unlock(&log_lock);
}

/*
 * sdb_log_set_ring --
 *     Keep this process's lines in its ring of the global segment.
 */
void
sdb_log_set_ring(struct sdb_logring *ring)
{
    pthread_mutex_lock(&log_lock);
    log_ring = ring;
    pthread_mutex_unlock(&log_lock);
}

/*
 * sdb_log_startup_done --
 *     Later warnings are not start-up warnings.
 */
void
sdb_log_startup_done(void)
{
    log_startup = false;
}

/*
 * sdb_log_debug_on --
 *     The component's verbosity in force (its own, its parent's, logLevel) reaches `level`.
 */
bool
sdb_log_debug_on(int level, const char *component)
{
    int c = sdb_log_component(component);
    int64_t v = -1;

    if (log_live == NULL)
        return false;
    while (c > 0 && v < 0) {
        v = atomic_load_explicit(&log_live->comp[c], memory_order_relaxed);
        c = comps[c].parent;
    }
    if (v < 0)
        v = atomic_load_explicit(&log_live->level, memory_order_relaxed);
    return v >= level;
}

/*
 * sdb_logd --
 *     A debug line, when the verbosity in force asks for it.
 */
void
sdb_logd(int level, const char *component, int id, const char *msg, const bson_t *attr)
{
    if (level < 1 || level > 5 || !sdb_log_debug_on(level, component))
        return;
    write_line(debug_name[level - 1], component, id, msg, attr);
}

/* rotated_name -- <path>.<UTC time as mongod writes it>, with .N added if that exists. */
static void
rotated_name(const char *path, char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    char ts[32];
    struct stat st;
    int n;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H-%M-%S", &tm);
    snprintf(out, len, "%s.%s", path, ts);
    for (n = 1; stat(out, &st) == 0 && n < 1000; n++)
        snprintf(out, len, "%s.%s.%d", path, ts, n);
}

/*
 * sdb_log_rename_old --
 *     Start-up without --logappend: move an existing log file aside.
 */
int
sdb_log_rename_old(const char *path)
{
    char to[1200];
    struct stat st;

    if (path[0] == '\0' || stat(path, &st) != 0)
        return 0;
    rotated_name(path, to, sizeof(to));
    return rename(path, to) == 0 ? 0 : errno;
}

/*
 * sdb_log_rotate --
 *     Master: rename (or not) and reopen the log file, then tell every process.
 */
int
sdb_log_rotate(bool reopen)
{
    char to[1200];
    int ret = 0;

    pthread_mutex_lock(&log_lock);
    if (log_path[0] == '\0' || log_live == NULL) {
        pthread_mutex_unlock(&log_lock);
        return 0; /* stdout: nothing to rotate */
    }
    if (!reopen) {
        rotated_name(log_path, to, sizeof(to));
        if (rename(log_path, to) != 0)
            ret = errno;
    }
    if (ret == 0 && (ret = reopen_locked()) == 0)
        log_rotations = atomic_fetch_add(&log_live->rotations, 1) + 1;
    pthread_mutex_unlock(&log_lock);
    return ret;
}

/*
 * sdb_log --
 *     Write one JSON log line.
 */
void
sdb_log(sdb_log_sev_t sev, const char *component, int id, const char *msg, const bson_t *attr)
{
    if (quiet_now() && sev < SDB_LOG_I)
        return;
    write_line(sev_name[sev], component, id, msg, attr);
}

/* write_line -- build, keep in the ring and write one line with severity `sev`. */
static void
write_line(const char *sev, const char *component, int id, const char *msg, const bson_t *attr)
{
    struct timeval tv;
    struct tm tm;
    char ts[64];
    bson_t line, t;
    char ctx[64];
    char *json;
    size_t len;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    len = strlen(ts);
    snprintf(ts + len, sizeof(ts) - len, ".%03dZ", (int)(tv.tv_usec / 1000));
    snprintf(ctx, sizeof(ctx), "%s-%d", log_role, (int)getpid());

    bson_init(&line);
    BSON_APPEND_DOCUMENT_BEGIN(&line, "t", &t);
    BSON_APPEND_UTF8(&t, "$date", ts);
    bson_append_document_end(&line, &t);
    BSON_APPEND_UTF8(&line, "s", sev);
    BSON_APPEND_UTF8(&line, "c", component);
    BSON_APPEND_INT32(&line, "id", id);
    BSON_APPEND_UTF8(&line, "ctx", ctx);
    BSON_APPEND_UTF8(&line, "msg", msg);
    if (attr != NULL)
        BSON_APPEND_DOCUMENT(&line, "attr", attr);
    json = bson_as_relaxed_extended_json(&line, &len);
    bson_destroy(&line);
    if (json == NULL)
        return;
    /* libbson puts spaces after separators; mongod's lines are compact but parsers accept
     * both.  Append the newline in the same write. */
    json = bson_realloc(json, len + 2);
    json[len] = '\n';
    pthread_mutex_lock(&log_lock);
    follow_rotation_locked();
    if (log_ring != NULL)
        sdb_logring_append(log_ring, json, len, log_startup && sev[0] == 'W');
    pthread_mutex_unlock(&log_lock);
    if (log_syslog)
        syslog(syslog_priority(sev), "%.*s", (int)len, json);
    else if (write(log_fd, json, len + 1) < 0) {
        /* nowhere to report a failed log write */
    }
    bson_free(json);
}

/*
 * sdb_logf --
 *     Write one line whose attr is {"detail": formatted text}.
 */
void
sdb_logf(sdb_log_sev_t sev, const char *component, int id, const char *msg, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    bson_t attr;

    if (quiet_now() && sev < SDB_LOG_I)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    bson_init(&attr);
    BSON_APPEND_UTF8(&attr, "detail", buf);
    if (sev >= SDB_LOG_F && log_inflight[0] != '\0')
        BSON_APPEND_UTF8(&attr, "inflight", log_inflight);
    sdb_log(sev, component, id, msg, &attr);
    bson_destroy(&attr);
}

/*
 * sdb_log_set_inflight --
 *     Remember the operation in flight for crash reports (NULL clears).
 */
void
sdb_log_set_inflight(const char *what)
{
    if (what == NULL) {
        log_inflight[0] = '\0';
        return;
    }
    snprintf(log_inflight, sizeof(log_inflight), "%s", what);
}

static void
write_str(const char *s)
{
    if (write(log_fd, s, strlen(s)) < 0) {
        /* best effort inside a signal handler */
    }
}

static void
crash_handler(int sig)
{
    char num[16];
    int i = (int)sizeof(num) - 1;
    int v = sig;

    num[i] = '\0';
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && i > 0);
    write_str("{\"s\":\"F\",\"c\":\"CONTROL\",\"id\":4757800,\"ctx\":\"");
    write_str(log_role);
    write_str("\",\"msg\":\"Got signal\",\"attr\":{\"signal\":");
    write_str(num + i);
    write_str(",\"inflight\":\"");
    write_str(log_inflight);
    write_str("\"}}\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

/*
 * sdb_log_install_crash_handler --
 *     Log the in-flight operation on fatal signals, then re-raise for a core dump.
 */
void
sdb_log_install_crash_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = crash_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
}
