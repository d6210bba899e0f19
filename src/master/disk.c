/*
 * src/master/disk.c -- the free-space guard on the dbpath.
 *
 * A reading is statvfs(dbpath) (bytes available to us) and what WiredTiger may still write
 * without being asked: the dirty bytes of its cache plus a quarter (the next checkpoint or
 * eviction writes them to new blocks before the old ones are freed), the log files it will
 * preallocate (its own "pre-allocated log files to create" statistic, plus the one being
 * filled and one being switched to, each file_max long) and MS_DISK_MARGIN.  Log files are
 * preallocated in full (log=(prealloc=true), fallocate), so a log write never meets ENOSPC
 * inside a file.  A reading is reused for MS_DISK_CACHE_MS while the headroom is large; near
 * the limit every write takes a new one (statvfs and one statistics cursor: microseconds).
 * The guard logs once when it starts refusing and once when space returns.
 *
 * Invariants: disk_path, disk_on and disk_log_max are written once by ms_disk_init before
 * any service thread; the last reading lives in atomics any service thread may refresh (a
 * race only makes two threads take a reading).
 */
#include "disk.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "storereq.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#define DISK_LOG_MIN (1024 * 1024)
#define DISK_LOG_MAX (100 * 1024 * 1024)

static char disk_path[1024];
static bool disk_on;
static int64_t disk_log_max = DISK_LOG_MAX;
static _Atomic int64_t disk_free;    /* bytes available at the last reading */
static _Atomic int64_t disk_need;    /* bytes WiredTiger may still need at the last reading */
static _Atomic int64_t disk_read_ms; /* time of the last reading (ms_now_ms), 0: none */
static _Atomic int disk_full;        /* refusing writes (for the log lines) */

/* fs_stat -- statvfs of the dbpath, or of its nearest existing parent before it exists. */
static int
fs_stat(struct statvfs *st)
{
    char p[sizeof(disk_path)];
    char *slash;

    memcpy(p, disk_path, sizeof(p));
    while (statvfs(p, st) != 0) {
        if (errno != ENOENT || (slash = strrchr(p, '/')) == NULL)
            return errno;
        if (slash == p)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    return 0;
}

/* fs_free -- bytes available on the dbpath's file system; -1 when unknown. */
static int64_t
fs_free(void)
{
    struct statvfs st;

    if (fs_stat(&st) != 0)
        return -1;
    return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

void
ms_disk_init(const char *dbpath)
{
    struct statvfs st;

    disk_on = dbpath != NULL && dbpath[0] != '\0' && strcmp(dbpath, ":memory:") != 0;
    if (!disk_on)
        return;
    snprintf(disk_path, sizeof(disk_path), "%s", dbpath);
    disk_log_max = DISK_LOG_MAX;
    if (fs_stat(&st) == 0) {
        int64_t size = (int64_t)st.f_blocks * (int64_t)st.f_frsize / 64;
        disk_log_max = size < DISK_LOG_MIN   ? DISK_LOG_MIN
                       : size > DISK_LOG_MAX ? DISK_LOG_MAX
                                             : size;
    }
}

int64_t
ms_disk_log_file_max(void)
{
    return disk_log_max;
}

/* too_little -- mongod's OutOfDiskSpace text. */
static int
too_little(sdb_error_t *err, int64_t free, int64_t need)
{
    return sdb_error_set(err, SDB_CODE_OutOfDiskSpace,
                         "available disk space of %" PRId64
                         " bytes is less than required minimum of %" PRId64,
                         free, need);
}

int
ms_disk_preflight(void)
{
    int64_t free, need = 3 * disk_log_max + MS_DISK_MARGIN;
    sdb_error_t err;

    if (!disk_on || (free = fs_free()) < 0 || free >= need)
        return 0;
    too_little(&err, free, need);
    sdb_logf(SDB_LOG_F, "STORAGE", 22530, "Not enough disk space to start", "%s: %s", disk_path,
             err.msg);
    return ENOSPC;
}

/* wt_stat -- one connection statistic (0 when unreadable). */
static int64_t
wt_stat(WT_CURSOR *cur, int key)
{
    const char *desc, *pvalue;
    int64_t v = 0;

    cur->set_key(cur, key);
    if (cur->search(cur) != 0 || cur->get_value(cur, &desc, &pvalue, &v) != 0)
        return 0;
    return v;
}

/* take_reading -- refresh disk_free and disk_need. */
static void
take_reading(WT_SESSION *s)
{
    int64_t dirty = 0, prealloc = 1;
    WT_CURSOR *cur = NULL;

    if (s != NULL && s->open_cursor(s, "statistics:", NULL, NULL, &cur) == 0) {
        dirty = wt_stat(cur, WT_STAT_CONN_CACHE_BYTES_DIRTY);
        prealloc = wt_stat(cur, WT_STAT_CONN_LOG_PREALLOC_MAX);
        cur->close(cur);
    }
    atomic_store(&disk_need, dirty + dirty / 4 + (prealloc + 2) * disk_log_max + MS_DISK_MARGIN);
    atomic_store(&disk_free, fs_free());
    atomic_store(&disk_read_ms, ms_now_ms());
}

/* note_state -- log the moments the guard starts and stops refusing. */
static void
note_state(int full, int64_t free, int64_t need)
{
    if (atomic_exchange(&disk_full, full) == full)
        return;
    if (full)
        sdb_logf(SDB_LOG_W, "STORAGE", 22531, "Disk nearly full: refusing writes",
                 "%s: %" PRId64 " bytes free, %" PRId64 " needed", disk_path, free, need);
    else
        sdb_logf(SDB_LOG_I, "STORAGE", 22532, "Disk space available again: accepting writes",
                 "%s: %" PRId64 " bytes free", disk_path, free);
}

int
ms_disk_check(WT_SESSION *s, int64_t bytes, sdb_error_t *err)
{
    int64_t free, need, last;

    if (!disk_on)
        return 0;
    last = atomic_load(&disk_read_ms);
    if (last == 0 || ms_now_ms() - last >= MS_DISK_CACHE_MS ||
        atomic_load(&disk_free) - atomic_load(&disk_need) < MS_DISK_NEAR)
        take_reading(s);
    free = atomic_load(&disk_free);
    need = atomic_load(&disk_need);
    if (free < 0) /* statvfs failed: nothing to judge by */
        return 0;
    note_state(free < need, free, need);
    need += 2 * (bytes > 0 ? bytes : 0); /* the write itself: its log record and its pages */
    return free < need ? too_little(err, free, need) : 0;
}

bool
ms_disk_explain(char *buf, size_t len)
{
    int64_t free;

    if (!disk_on || (free = fs_free()) < 0 || free >= 3 * disk_log_max + MS_DISK_MARGIN)
        return false;
    snprintf(buf, len, "the disk is full: %" PRId64 " bytes free on %s", free, disk_path);
    return true;
}
