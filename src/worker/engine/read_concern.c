/*
 * src/worker/engine/read_concern.c -- readConcern: afterClusterTime waits, snapshot reads.
 *
 * The cluster time of this single node is its oplog clock: the last committed write's
 * timestamp (the global segment's oplog head), which follows the wall clock (master/oplog.c
 * hands out (wall second, increment)).  A time is "not beyond the current cluster time" when
 * it is at most the head, the wall clock or the $clusterTime the request gossips (mongod
 * accepts a client's $clusterTime without authentication).  afterClusterTime T then waits
 * until every write at or before T is visible: the head reaches T, or the wall clock passes
 * T's second (the clock can then never hand out T or less again), bounded by maxTimeMS
 * (50 MaxTimeMSExpired).  mongod would write a no-op to move its clock instead; here a
 * later write or the clock's next second ends the wait.
 *
 * Snapshot reads read at atClusterTime (waited for as afterClusterTime is, when it is past
 * the head), or at the head when none is given, on WiredTiger
 * read timestamps (every write commits at its oplog timestamp); the master answers 239
 * SnapshotTooOld for a time older than the history window.
 *
 * Invariants: event-loop thread; nothing here keeps state between calls.
 */
#include "read_concern.h"

#include "../oplog_wait.h"
#include "args.h"

#include <string.h>
#include <time.h>

/* Commands that accept readConcern "snapshot" outside a transaction (mongod 5.0+). */
static const char *const snapshot_cmds[] = {"find", "aggregate", "distinct", NULL};

/* Commands that accept any readConcern and ignore it: a cursor reads as the command that
 * created it did (drivers send a snapshot session's readConcern on getMore too). */
static const char *const cursor_cmds[] = {"getMore", "killCursors", NULL};

typedef struct rc {
    bool present, snapshot;
    uint64_t at, after; /* 0 = absent */
} rc_t;

#define TS_OF(t, i) ((uint64_t)(t) << 32 | (uint32_t)(i))
#define TS_SECS(ts) ((uint32_t)((ts) >> 32))
#define TS_INC(ts) ((uint32_t)(ts))

void
wk_rc_append_ts(bson_t *doc, const char *key, uint64_t ts)
{
    bson_append_timestamp(doc, key, -1, TS_SECS(ts), TS_INC(ts));
}

/* ts_field -- a Timestamp field of the readConcern (14 TypeMismatch otherwise). */
static int
ts_field(wk_cmd_t *cmd, const bson_iter_t *it, uint64_t *out)
{
    uint32_t t, i;

    if (!BSON_ITER_HOLDS_TIMESTAMP(it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field 'readConcern.%s' is the wrong type '%s', expected type "
                             "'timestamp'",
                             bson_iter_key(it), wk_cmdu_type_name(bson_iter_type(it)));
    bson_iter_timestamp(it, &t, &i);
    *out = TS_OF(t, i);
    return 0;
}

/* parse -- the readConcern fields this module needs. */
static int
parse(wk_cmd_t *cmd, rc_t *rc)
{
    bson_iter_t it, f;

    memset(rc, 0, sizeof(*rc));
    if (!bson_iter_init_find(&it, cmd->body, "readConcern") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &f))
        return 0;
    rc->present = true;
    while (bson_iter_next(&f)) {
        const char *k = bson_iter_key(&f);

        if (strcmp(k, "level") == 0 && BSON_ITER_HOLDS_UTF8(&f))
            rc->snapshot = strcmp(bson_iter_utf8(&f, NULL), "snapshot") == 0;
        else if (strcmp(k, "atClusterTime") == 0)
            SDB_RET(ts_field(cmd, &f, &rc->at));
        else if (strcmp(k, "afterClusterTime") == 0)
            SDB_RET(ts_field(cmd, &f, &rc->after));
    }
    return 0;
}

/* gossiped -- the request's $clusterTime.clusterTime, 0 when absent. */
static uint64_t
gossiped(const wk_cmd_t *cmd)
{
    bson_iter_t it, ct;
    uint32_t t, i;

    if (!bson_iter_init_find(&it, cmd->body, "$clusterTime") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &ct) || !bson_iter_find(&ct, "clusterTime") ||
        !BSON_ITER_HOLDS_TIMESTAMP(&ct))
        return 0;
    bson_iter_timestamp(&ct, &t, &i);
    return TS_OF(t, i);
}

/* current -- the current cluster time (see the banner). */
static uint64_t
current(const wk_cmd_t *cmd)
{
    uint64_t now = TS_OF(time(NULL), 0), head = wk_oplog_head(), g = gossiped(cmd);

    if (head > now)
        now = head;
    return g > now ? g : now;
}

static int
beyond(wk_cmd_t *cmd, const char *which, uint64_t ts, uint64_t cur)
{
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                         "readConcern %s value must not be greater than the current clusterTime. "
                         "Requested clusterTime: Timestamp(%u, %u); current clusterTime: "
                         "Timestamp(%u, %u)",
                         which, TS_SECS(ts), TS_INC(ts), TS_SECS(cur), TS_INC(cur));
}

static bool
listed(const char *const *names, const char *name)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* in_transaction -- a statement of a multi-document transaction (autocommit: false): its
 * read concern belongs to the transaction (cmd/transaction.c). */
static bool
in_transaction(const wk_cmd_t *cmd)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, cmd->body, "autocommit");
}

/* wait_after -- park until every write at or before `after` is visible (banner). */
static int
wait_after(wk_cmd_t *cmd, uint64_t after)
{
    while (wk_oplog_head() < after && (uint64_t)time(NULL) <= TS_SECS(after)) {
        int64_t left = wk_op_remaining_ms(&cmd->op);

        SDB_RET(wk_op_interrupted(&cmd->op, &cmd->err));
        wk_oplog_wait_until(after, left > 0 && left < 1000 ? left : 1000);
    }
    return wk_op_interrupted(&cmd->op, &cmd->err);
}

int
wk_rc_check(wk_cmd_t *cmd)
{
    uint64_t cur;
    rc_t rc;

    if (listed(cursor_cmds, cmd->name))
        return 0;
    SDB_RET(parse(cmd, &rc));
    if (!rc.present)
        return 0;
    if (rc.at != 0 && !rc.snapshot)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "readConcern atClusterTime can only be used with level snapshot");
    if (rc.at != 0 && rc.after != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Can not specify both afterClusterTime and atClusterTime");
    if (rc.snapshot && !in_transaction(cmd) && !listed(snapshot_cmds, cmd->name))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Command %s does not support { readConcern: { level: \"snapshot\" } "
                             "} :: caused by :: read concern not supported",
                             cmd->name);
    cur = current(cmd);
    if (rc.at > cur)
        return beyond(cmd, "atClusterTime", rc.at, cur);
    if (rc.after > cur)
        return beyond(cmd, "afterClusterTime", rc.after, cur);
    /* a snapshot past the head waits as afterClusterTime does: nothing at or before it may
     * commit after the read */
    return rc.after != 0 || rc.at != 0 ? wait_after(cmd, rc.after != 0 ? rc.after : rc.at) : 0;
}

uint64_t
wk_rc_snapshot_ts(const wk_cmd_t *cmd)
{
    wk_cmd_t probe = *cmd;
    uint64_t head;
    rc_t rc;

    if (parse(&probe, &rc) != 0 || !rc.snapshot || in_transaction(cmd))
        return 0;
    if (rc.at != 0)
        return rc.at;
    head = wk_oplog_head();
    return head != 0 ? head : TS_OF(time(NULL), 0);
}
