/*
 * src/common/logring.h -- the recent log lines getLog serves, kept in shared memory.
 *
 * Every process (the master and each worker) owns one ring in the global segment (global.h)
 * and is its only writer: log.c appends each line it writes.  A line slot is a seqlock of
 * one writer: seq is zeroed, the text written, then seq set to the line's number + 1 with
 * release order; a reader copies the slot and keeps it only when seq was the same non-zero
 * value before and after.  getLog (any worker) merges the rings by time.  A respawned worker
 * continues its slot's ring where the dead one left it.
 */
#ifndef SDB_LOGRING_H
#define SDB_LOGRING_H

#include <bson/bson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The in-memory ring getLog serves: every process keeps its own recent lines in the global
 * segment (one writer per ring), getLog merges them by time. */
#define SDB_LOGRING_LINES 512
#define SDB_LOGRING_LINE 1024

typedef struct sdb_logring_line {
    _Atomic uint64_t seq; /* 0 while being written, else the line's number + 1 */
    int64_t t_us;         /* wall clock of the line */
    uint32_t len;         /* bytes of text used */
    uint32_t startup;     /* 1: a start-up warning (getLog startupWarnings) */
    char text[SDB_LOGRING_LINE - 24];
} sdb_logring_line_t;

typedef struct sdb_logring {
    _Atomic uint64_t written; /* lines written so far (totalLinesWritten) */
    uint64_t pad[7];
    sdb_logring_line_t lines[SDB_LOGRING_LINES];
} sdb_logring_t;

/* sdb_logring_append -- writer: keep one line (truncated to the slot). Caller serialises the
 * threads of its process. */
void sdb_logring_append(sdb_logring_t *r, const char *text, size_t len, bool startup);

/* sdb_logring_collect -- the newest `max` lines of all `n` rings, oldest first, appended as
 * strings to array `out` (startup: only start-up warnings); *total receives the lines written
 * by every ring. */
void sdb_logring_collect(sdb_logring_t *rings, int n, int max, bool startup, bson_t *out,
                         int64_t *total);

#endif
