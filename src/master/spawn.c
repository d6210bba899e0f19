/*
 * src/master/spawn.c -- fork+exec of a worker with exactly the fds it must inherit.
 *
 * posix_spawn with file actions dup2's each inherited descriptor onto a fixed number
 * (3 listen, 4 channel memfd, 5 wake_master, 6 wake_worker, 7 global, 8 death pipe).  The
 * master's originals are kept above fd 8 and close-on-exec, so dup2 never targets the same
 * number (which would leave FD_CLOEXEC set) and nothing else leaks into the worker.  The
 * child's signal mask is reset to empty (the master blocks its signals for signalfd).
 */
#include "spawn.h"

#include "../common/sdb.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>

extern char **environ;

enum {
    FD_LISTEN = 3,
    FD_CHAN,
    FD_WAKE_MASTER,
    FD_WAKE_WORKER,
    FD_GLOBAL,
    FD_DEATH
};

/*
 * ms_spawn_worker --
 *     Start worker `slot` as a new process image.
 */
int
ms_spawn_worker(const sdb_config_t *cfg, const char *exe, int slot, const ms_spawn_fds_t *fds,
                pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    sdb_config_t child = *cfg;
    char **argv;
    int ret = 0;

    child.fd_listen = FD_LISTEN;
    child.fd_chan = FD_CHAN;
    child.fd_wake_master = FD_WAKE_MASTER;
    child.fd_wake_worker = FD_WAKE_WORKER;
    child.fd_global = FD_GLOBAL;
    child.fd_death = FD_DEATH;
    argv = sdb_config_worker_argv(&child, exe, slot);

    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, fds->listen_fd, FD_LISTEN);
    posix_spawn_file_actions_adddup2(&fa, fds->chan_fd, FD_CHAN);
    posix_spawn_file_actions_adddup2(&fa, fds->wake_master, FD_WAKE_MASTER);
    posix_spawn_file_actions_adddup2(&fa, fds->wake_worker, FD_WAKE_WORKER);
    posix_spawn_file_actions_adddup2(&fa, fds->global_fd, FD_GLOBAL);
    posix_spawn_file_actions_adddup2(&fa, fds->death_fd, FD_DEATH);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    ret = posix_spawn(pid, exe, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    sdb_config_free_argv(argv);
    return ret;
}
