/*
 * src/master/daemon.h -- --fork (processManagement.fork): run in the background as mongod does.
 *
 * The master forks once at the very start, before it opens anything or starts a thread (so
 * DESIGN.md's rule 1 holds: nothing can be inherited mid-lock).  The parent prints mongod's
 * "forked process: PID" and waits on a pipe: when the child serves (ms_daemon_ready) the
 * parent prints "child process started successfully, parent exiting" and exits 0; when the
 * child dies first, the parent exits with the child's status.  The child starts a new session
 * and, once ready, points stdin, stdout and stderr at /dev/null (--fork needs --logpath).
 */
#ifndef MS_DAEMON_H
#define MS_DAEMON_H

#include "../common/config.h"

/* ms_daemon_fork -- with --fork: fork; in the parent wait for the child and return the exit
 * code the parent must exit with (*parent set); in the child return 0.  Without --fork, 0.
 * An errno when fork or pipe fails. */
int ms_daemon_fork(const sdb_config_t *cfg, bool *parent);

/* ms_daemon_ready -- child: the server serves: detach stdio and release the parent. */
void ms_daemon_ready(void);

#endif
