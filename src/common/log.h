/*
 * src/common/log.h -- JSON-line logging in mongod's format.
 *
 * --quiet drops debug-level lines (connection chatter); start-up and shutdown lines stay.
 * Every line is {"t":{"$date":...},"s":"I","c":"NETWORK","id":N,"ctx":"...","msg":"...",
 * "attr":{...}}.  ctx names the process role and slot ("master", "worker-3") and pid.
 * Logging is synchronous and line-atomic (one write(2) per line); safe from any thread.
 */
#ifndef SDB_LOG_H
#define SDB_LOG_H

#include <bson/bson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* mongod's log components (logComponentVerbosity, systemLog.component.<name>.verbosity): the
 * table in log.c, index 0 the default; a child (storage.journal) inherits its parent's level
 * while its own is -1. */
#define SDB_LOG_NCOMP 22

typedef enum {
    SDB_LOG_D = 0,
    SDB_LOG_I,
    SDB_LOG_W,
    SDB_LOG_E,
    SDB_LOG_F
} sdb_log_sev_t;

/* sdb_log_init -- set the role tag, the output fd (default 1) and the quiet flag. */
void sdb_log_init(const char *role, int fd, int quiet);

/* The live logging settings every process reads at each line (published by the master in the
 * global segment, global.h): verbosity, quiet, per-component verbosity and the rotation
 * generation (a change makes each process reopen --logpath before its next line). */
typedef struct sdb_log_live {
    _Atomic int64_t level;               /* logLevel 0-5 */
    _Atomic int64_t quiet;               /* quiet 0 / 1 */
    _Atomic int64_t comp[SDB_LOG_NCOMP]; /* -1 = inherit (never for [0]) */
    _Atomic uint64_t rotations;          /* bumped after each logRotate */
} sdb_log_live_t;

/* sdb_log_use_syslog -- from now on write every line through syslog(3) instead of the fd
 * (--syslog): openlog with the process name (NULL ident), LOG_PID | LOG_NDELAY and
 * `facility`; each line's priority follows mongod's mapping (D* debug, I info, W warning,
 * E crit, F alert).  Call once, after sdb_log_init. */
void sdb_log_use_syslog(int facility);

/* sdb_log_set_fd -- redirect output (e.g. after --logpath opens a file). */
void sdb_log_set_fd(int fd);

/* sdb_log_attach -- follow the live settings in *live from now on; `path` (may be "") is the
 * log file to reopen when live->rotations changes.  Call once after sdb_log_init. */
void sdb_log_attach(sdb_log_live_t *live, const char *path);

/* sdb_log_component -- index of a component by its name ("storage.journal") or its tag
 * ("JOURNAL"), case-insensitive; -1 when unknown. */
int sdb_log_component(const char *name);

/* sdb_log_component_name -- the dotted name of component i (0: "default"). */
const char *sdb_log_component_name(int i);

/* sdb_log_debug_on -- whether a debug line of `level` (1-5) for `component` (a tag) is logged
 * now: the component's verbosity in force (its own, else its parent's, else logLevel). */
bool sdb_log_debug_on(int level, const char *component);

/* sdb_logd -- a debug line ("s":"D1".."D5"), written only when sdb_log_debug_on. */
void sdb_logd(int level, const char *component, int id, const char *msg, const bson_t *attr);

/* sdb_log_rotate -- master: rotate the log file now: rename it to <path>.<UTC time> (unless
 * `reopen`) and open a new one, then bump live->rotations so every worker reopens too.
 * 0, or an errno (the old file stays in use); ENOENT-like EINVAL when there is no file. */
int sdb_log_rotate(bool reopen);

/* sdb_log_rename_old -- start-up without --logappend: rename an existing `path` to
 * <path>.<UTC time> as mongod does.  0 or an errno. */
int sdb_log_rename_old(const char *path);

/* sdb_log_set_ring -- keep every line this process writes in `ring` (its own ring). */
struct sdb_logring;
void sdb_log_set_ring(struct sdb_logring *ring);

/* sdb_log_startup_done -- later warnings are not start-up warnings any more. */
void sdb_log_startup_done(void);

/* sdb_log -- write one line; attr may be NULL. */
void sdb_log(sdb_log_sev_t sev, const char *component, int id, const char *msg, const bson_t *attr);

/* sdb_logf -- write one line whose attr is {"detail": formatted text}. */
void sdb_logf(sdb_log_sev_t sev, const char *component, int id, const char *msg, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* sdb_log_set_inflight -- remember a short description of the operation in flight so that the
 * crash handler and SDB_ASSERT can log it.  The string is copied (truncated); NULL clears. */
void sdb_log_set_inflight(const char *what);

/* sdb_log_install_crash_handler -- log the in-flight operation on SIGSEGV/SIGBUS/SIGABRT/SIGFPE
 * and re-raise for a core dump. */
void sdb_log_install_crash_handler(void);

#endif
