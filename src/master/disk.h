/*
 * src/master/disk.h -- the free-space guard on the dbpath.
 *
 * WiredTiger panics when a write meets ENOSPC (a checkpoint, an eviction, the log server
 * preallocating its next file), so the master refuses writes while the dbpath's free space is
 * below what WiredTiger may still need: the dirty bytes in its cache (the next checkpoint
 * writes them), the log files it preallocates and a margin.  A refused write is 14031
 * OutOfDiskSpace in mongod's wording; reads, deletes and drops still run, and writes work
 * again as soon as space returns.  The log file size scales with the file system
 * (ms_disk_log_file_max), so a small volume keeps most of its space for data.
 *
 * Thread safety: ms_disk_init and ms_disk_preflight run on the master's main thread before
 * any service thread; ms_disk_check may be called from any thread (atomics only).  Nothing is
 * checked for an in-memory store.
 */
#ifndef MS_DISK_H
#define MS_DISK_H

#include "../common/errors.h"

#include <stdint.h>
#include <wiredtiger.h>

#define MS_DISK_MARGIN (4 * 1024 * 1024) /* beyond what WiredTiger is known to need */
#define MS_DISK_CACHE_MS 100             /* a free-space reading is reused this long ... */
#define MS_DISK_NEAR (64 * 1024 * 1024)  /* ... unless headroom was below this */

/* ms_disk_init -- remember the dbpath (NULL: in memory, no checks) and size the log files
 * from its file system. */
void ms_disk_init(const char *dbpath);

/* ms_disk_log_file_max -- WiredTiger's log file_max in bytes: 1/64 of the file system,
 * between 1 MiB and 100 MiB. */
int64_t ms_disk_log_file_max(void);

/* ms_disk_preflight -- at start-up, before listening: refuse (log the reason, return
 * ENOSPC) when the dbpath's free space is below what opening WiredTiger needs. */
int ms_disk_preflight(void);

/* ms_disk_check -- may a write of about `bytes` bytes run?  0, or SDB_ECLIENT with err set
 * to 14031 OutOfDiskSpace.  s reads WiredTiger's statistics (no transaction open on it). */
int ms_disk_check(WT_SESSION *s, int64_t bytes, sdb_error_t *err);

/* ms_disk_explain -- after a WiredTiger failure: when the dbpath is (nearly) full, write a
 * sentence saying so into buf and return true. */
bool ms_disk_explain(char *buf, size_t len);

#endif
