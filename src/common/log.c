/*
 * src/common/log.c -- JSON-line logging in mongod's format.
 *
 * One line per call, written with a single write(2) so lines from the master's threads and
 * from workers sharing the same fd never interleave.  The role tag and pid go into "ctx".
 * The crash handler logs the operation in flight (set with sdb_log_set_inflight) using only
 * async-signal-safe calls, then re-raises the signal with the default action for a core.
 */
#include "log.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char log_role[32] = "master";
static int log_fd = 1;
static int log_quiet;
static char log_inflight[256];

static const char sev_chars[] = {'D', 'I', 'W', 'E', 'F'};

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

/*
 * sdb_log_set_fd --
 *     Redirect log output.
 */
void
sdb_log_set_fd(int fd)
{
    log_fd = fd;
}

/*
 * sdb_log --
 *     Write one JSON log line.
 */
void
sdb_log(sdb_log_sev_t sev, const char *component, int id, const char *msg, const bson_t *attr)
{
    struct timeval tv;
    struct tm tm;
    char ts[64];
    bson_t line, t;
    char ctx[64];
    char *json;
    size_t len;

    if (log_quiet && sev < SDB_LOG_I)
        return;
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
    bson_append_utf8(&line, "s", 1, &sev_chars[sev], 1);
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
    if (write(log_fd, json, len + 1) < 0) {
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

    if (log_quiet && sev < SDB_LOG_I)
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
