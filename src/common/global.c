/*
 * src/common/global.c -- create and attach the global shared segment (global.h).
 *
 * The master creates the memfd before spawning workers; workers map the inherited fd and
 * validate the magic, version and size before trusting anything in it.
 */
#include "global.h"

#include "sdb.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * sdb_global_create --
 *     Master: create, size and map the global segment.
 */
int
sdb_global_create(sdb_global_t **g, int *fd)
{
    int mfd = memfd_create("secantusdb-global", MFD_CLOEXEC);
    void *p;

    if (mfd < 0)
        return errno;
    if (ftruncate(mfd, (off_t)sizeof(sdb_global_t)) != 0) {
        close(mfd);
        return errno;
    }
    p = mmap(NULL, sizeof(sdb_global_t), PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (p == MAP_FAILED) {
        close(mfd);
        return errno;
    }
    /* a new memfd reads as zeros: no memset, so the pages of rings nobody writes (log rings
     * of absent workers) are never allocated */
    *g = p;
    (*g)->magic = SDB_GLOBAL_MAGIC;
    (*g)->version = SDB_GLOBAL_VERSION;
    *fd = mfd;
    return 0;
}

/*
 * sdb_global_attach --
 *     Worker: map an inherited global segment and validate its header.
 */
int
sdb_global_attach(int fd, sdb_global_t **g)
{
    struct stat st;
    void *p;

    if (fstat(fd, &st) != 0)
        return errno;
    if ((size_t)st.st_size < sizeof(sdb_global_t))
        return SDB_ECORRUPT;
    p = mmap(NULL, sizeof(sdb_global_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return errno;
    *g = p;
    if ((*g)->magic != SDB_GLOBAL_MAGIC || (*g)->version != SDB_GLOBAL_VERSION ||
        (*g)->nworkers > SDB_MAX_WORKERS) {
        munmap(p, sizeof(sdb_global_t));
        *g = NULL;
        return SDB_ECORRUPT;
    }
    return 0;
}

/*
 * sdb_global_op_killed --
 *     Scan the killOp ring from `from` to its head for opid; entries older than the ring's
 *     length are gone, so a build or a command checks often enough not to miss its own.
 */
bool
sdb_global_op_killed(sdb_global_t *g, int64_t opid, uint64_t from)
{
    uint64_t seq;

    if (opid == 0 || g == NULL || (seq = atomic_load(&g->op_kill_seq)) == from)
        return false;
    if (seq - from > SDB_GLOBAL_KILL_RING)
        from = seq - SDB_GLOBAL_KILL_RING;
    for (; from < seq; from++)
        if (atomic_load(&g->op_killed[from % SDB_GLOBAL_KILL_RING]) == opid)
            return true;
    return false;
}
