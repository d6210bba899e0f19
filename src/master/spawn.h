/*
 * src/master/spawn.h -- starting worker processes (fork+exec via posix_spawn).
 *
 * Rule 1 of DESIGN.md: the threaded master never calls a bare fork(); a worker is a fresh
 * exec of this binary with `--worker N --fds ...`, inheriting exactly the listening socket,
 * its channel's memfd and eventfds, the global segment and the death pipe, at fixed fd
 * numbers 3..8.  Main thread only.
 */
#ifndef MS_SPAWN_H
#define MS_SPAWN_H

#include "../common/config.h"

#include <sys/types.h>

typedef struct ms_spawn_fds {
    int listen_fd, chan_fd, wake_master, wake_worker, global_fd, death_fd;
} ms_spawn_fds_t;

/* ms_spawn_worker -- start worker `slot`; *pid receives its pid. */
int ms_spawn_worker(const sdb_config_t *cfg, const char *exe, int slot, const ms_spawn_fds_t *fds,
                    pid_t *pid);

#endif
