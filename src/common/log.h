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

typedef enum {
    SDB_LOG_D = 0,
    SDB_LOG_I,
    SDB_LOG_W,
    SDB_LOG_E,
    SDB_LOG_F
} sdb_log_sev_t;

/* sdb_log_init -- set the role tag, the output fd (default 1) and the quiet flag. */
void sdb_log_init(const char *role, int fd, int quiet);

/* sdb_log_set_fd -- redirect output (e.g. after --logpath opens a file). */
void sdb_log_set_fd(int fd);

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
