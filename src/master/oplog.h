/*
 * src/master/oplog.h -- the oplog: `table:oplog`, timestamp (secs<<32|inc) -> entry BSON.
 *
 * Entries have mongod's shape {op, ns, ui?, o, o2?, ts, t: 1L, v: 2L, wall}.  A write puts
 * its record and index changes in a WiredTiger transaction and then calls ms_oplog_commit,
 * which takes the oplog clock mutex, stamps the next timestamp, inserts the entry and
 * commits, then publishes the head (global segment oplog_head, oplog_wake++).  Because the
 * timestamp is taken and the commit done under one mutex, commits land in timestamp order and
 * a reader up to oplog_head never sees a hole.  The table is capped by size: ms_oplog_tick
 * deletes the oldest entries beyond the cap.
 *
 * A multi-document transaction enters the oplog at commit as ONE entry, in the same
 * WiredTiger transaction as its data, in mongod's shape: {op: "c", ns: "admin.$cmd",
 * o: {applyOps: [{op, ns, ui, o, o2?}...]}, lsid: {id, uid}, txnNumber: long, stmtId?,
 * prevOpTime: {ts: Timestamp(0, 0), t: -1L}, ts, t, v, wall}; the operations inside applyOps
 * have the same shape as single-write entries (without ts/t/v/wall), in statement order.
 * Change streams unpack it into one event per operation, all with the entry's clusterTime.
 * A transaction whose operations pass 16 MB is written as mongod 7.0 splits it: several
 * consecutive entries in the same WiredTiger transaction, each but the last with
 * o.partialTxn: true, the last with o.count (all operations), chained by prevOpTime.
 */
#ifndef MS_OPLOG_H
#define MS_OPLOG_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_OPLOG_URI "table:oplog"
#define MS_OPLOG_CAP_DEFAULT (256ull << 20)

typedef struct ms_oplog_entry {
    const char *op;       /* "i", "u", "d", "c", "n" */
    const char *ns;       /* "db.coll" or "db.$cmd" */
    const uint8_t *uuid;  /* 16 bytes, or NULL */
    const bson_t *o;      /* required */
    const bson_t *o2;     /* or NULL */
    const bson_t *pre;    /* change-stream pre-image to keep with the entry, or NULL */
    const bson_t *post;   /* change-stream post-image, or NULL (csimages.h) */
    const bson_t *extra;  /* fields appended after o2 (a transaction's lsid, txnNumber,
                          * prevOpTime), or NULL */
    const bson_t *images; /* an applyOps entry's images: [{op: int32 index in applyOps, pre?,
                           * post?}] (csimages.h), or NULL */
    bool chained;         /* append prevOpTime {ts: the previous entry of the same
                           * ms_oplog_commit_n, t: 1L} (a large transaction's chain) */
} ms_oplog_entry_t;

/* ms_oplog_open -- create the table if needed, restore the clock from its last entry and
 * publish it as the head.  Main thread, at open. */
int ms_oplog_open(WT_SESSION *s);

/* ms_oplog_commit -- append e inside the session's running transaction and commit it.  On
 * any failure the transaction has been rolled back (WT_ROLLBACK may be retried).  *ts_out
 * (may be NULL) receives the entry's timestamp. */
int ms_oplog_commit(WT_SESSION *s, const ms_oplog_entry_t *e, uint64_t *ts_out);

/* ms_oplog_commit_n -- ms_oplog_commit for n >= 1 entries written by one transaction (an
 * insert into a capped collection and the deletes it causes): they take consecutive
 * timestamps, in order, and the transaction commits at the first; *ts_out receives it. */
int ms_oplog_commit_n(WT_SESSION *s, const ms_oplog_entry_t *e, size_t n, uint64_t *ts_out);

/* ms_oplog_commit_at -- commit the session's running transaction with commit timestamp ts
 * (an oplog timestamp).  Only for a caller that holds ts from the oplog clock. */
int ms_oplog_commit_at(WT_SESSION *s, uint64_t ts);

/* ms_oplog_set_history_window -- minSnapshotHistoryWindowInSeconds (start-up). */
void ms_oplog_set_history_window(int64_t secs);

/* ms_oplog_oldest -- the oldest timestamp a snapshot read may use (0 before the first tick):
 * an earlier atClusterTime is SnapshotTooOld. */
uint64_t ms_oplog_oldest(void);

/* ms_oplog_head -- the last committed timestamp. */
uint64_t ms_oplog_head(void);

/* ms_oplog_set_cap -- change the size cap in bytes (tests; 0 restores the default). */
void ms_oplog_set_cap(uint64_t bytes);

#define MS_OPLOG_NS "local.oplog.rs"

/* ms_oplog_scan -- SCAN of local.oplog.rs: entries after timestamp `after` (0 = from the
 * start) up to the published head, as {r: ts as int64, d: entry} in `arr`; same limit and
 * maxBytes rules as a collection scan. */
int ms_oplog_scan(WT_SESSION *s, uint64_t after, int64_t limit, int64_t max_bytes, bson_t *arr,
                  bool *eof);

/* ms_oplog_scan_back -- the same walking down ({$natural: -1}): entries below timestamp
 * `before` (0 = from the published head). */
int ms_oplog_scan_back(WT_SESSION *s, uint64_t before, int64_t limit, int64_t max_bytes,
                       bson_t *arr, bool *eof);

/* ms_oplog_tick -- trim the oldest entries beyond the cap (main thread, housekeeping
 * session).  Returns the number of entries deleted. */
uint64_t ms_oplog_tick(WT_SESSION *s);

#endif
