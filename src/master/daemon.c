/*
 * src/master/daemon.c -- --fork (processManagement.fork): run in the background as mongod does.
 *
 * fork, then the parent blocks on the read end of a pipe whose write end only the child holds
 * (close-on-exec, so workers never hold it): one byte means ready, end of file means the child
 * died before serving, whose exit status the parent then collects and passes on.  The child
 * calls setsid so the terminal's signals no longer reach it.
 *
 * Invariants: called from the master's main thread before any other thread exists.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1; /* child: the pipe's write end until ready */

/* wait_child -- parent: the child's verdict as the parent's exit code. */
static int
wait_child(pid_t pid, int rd)
{
    char c;
    ssize_t n;
    int st;

    printf("forked process: %d\n", (int)pid);
    fflush(stdout);
    do
        n = read(rd, &c, 1);
    while (n < 0 && errno == EINTR);
    close(rd);
    if (n == 1) {
        printf("child process started successfully, parent exiting\n");
        fflush(stdout);
        return 0;
    }
    if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) != 0)
        return WEXITSTATUS(st);
    fprintf(stderr, "secantusdb: the forked server did not start; see --logpath\n");
    return 1;
}

int
ms_daemon_fork(const sdb_config_t *cfg, bool *parent)
{
    int p[2];
    pid_t pid;

    *parent = false;
    if (!cfg->fork)
        return 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return errno;
    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        close(p[0]);
        close(p[1]);
        return errno;
    }
    if (pid > 0) {
        close(p[1]);
        *parent = true;
        return wait_child(pid, p[0]);
    }
    close(p[0]);
    ready_fd = p[1];
    setsid();
    return 0;
}

void
ms_daemon_ready(void)
{
    int null;

    if (ready_fd < 0)
        return;
    fflush(stdout);
    if ((null = open("/dev/null", O_RDWR)) >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    if (write(ready_fd, "R", 1) != 1) {
        /* the parent is gone: nobody to tell */
    }
    close(ready_fd);
    ready_fd = -1;
}
