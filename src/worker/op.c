/*
 * src/worker/op.c -- interrupt points of a running operation: fair turns, shutdown, a gone
 * client, maxTimeMS.
 *
 * wk_op_check first lets the coroutine give the loop a turn when its slice is used up
 * (coro.h); the interrupts are checked after that turn, because that is when the loop may
 * have noticed a closed socket (conn.c marks the connection closing and frees it only once
 * its request has finished, so op->conn stays valid for the whole request) or a SIGTERM
 * (worker.c sets wk_stopping).  The deadline is read from CLOCK_MONOTONIC, only for an
 * operation that has one.  Event-loop thread only.
 */
#include "op.h"

#include "../common/sdb.h"
#include "conn.h"
#include "coro.h"
#include "op_registry.h"
#include "worker.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * wk_op_append_xact --
 *     Name the operation's transaction in a storage request.
 */
void
wk_op_append_xact(const wk_op_t *op, bson_t *req)
{
    bson_t x;

    if (op == NULL || !op->in_xact)
        return;
    BSON_APPEND_DOCUMENT_BEGIN(req, "xact", &x);
    sdb_lsid_append_fields(&x, &op->lsid);
    BSON_APPEND_INT64(&x, "n", op->xact_n);
    bson_append_document_end(req, &x);
}

/*
 * wk_op_parse_max_time --
 *     The command's maxTimeMS in mongod's words.
 */
int
wk_op_parse_max_time(const bson_t *body, int64_t *ms, sdb_error_t *err)
{
    bson_iter_t it;
    int64_t v;

    *ms = 0;
    if (!bson_iter_init_find(&it, body, "maxTimeMS"))
        return 0;
    if (!BSON_ITER_HOLDS_NUMBER(&it) && !BSON_ITER_HOLDS_DECIMAL128(&it))
        return sdb_error_set(err, SDB_CODE_BadValue, "maxTimeMS must be a number");
    if (BSON_ITER_HOLDS_DOUBLE(&it)) {
        double d = bson_iter_double(&it);

        /* safeNumberLong: NaN is 0, out-of-range doubles saturate */
        v = isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
    } else {
        v = bson_iter_as_int64(&it);
    }
    if (v < 0 || v > INT_MAX)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "%lld value for maxTimeMS is out of range [0, %d]", (long long)v,
                             INT_MAX);
    if (BSON_ITER_HOLDS_DOUBLE(&it) && floor(bson_iter_double(&it)) != bson_iter_double(&it))
        return sdb_error_set(err, SDB_CODE_BadValue, "maxTimeMS has non-integral value");
    *ms = v;
    return 0;
}

/*
 * wk_op_init --
 *     Start an operation's clock.
 */
void
wk_op_init(wk_op_t *op, const struct wk_conn *conn, int64_t max_time_ms)
{
    memset(op, 0, sizeof(*op));
    op->conn = conn;
    wk_op_set_time_limit(op, max_time_ms);
}

void
wk_op_set_time_limit(wk_op_t *op, int64_t max_time_ms)
{
    op->deadline_ns = max_time_ms > 0 ? now_ns() + max_time_ms * 1000000 : 0;
}

/*
 * wk_op_remaining_ms --
 *     Time left before the deadline.
 */
int64_t
wk_op_remaining_ms(const wk_op_t *op)
{
    int64_t left;

    if (op == NULL || op->deadline_ns == 0)
        return 0;
    left = (op->deadline_ns - now_ns()) / 1000000;
    return left < 1 ? 1 : left;
}

void
wk_op_set_session(wk_op_t *op, const bson_t *body, const uint8_t uid[SDB_LSID_UID_LEN],
                  bool kill_watch)
{
    const uint8_t *data;
    bson_iter_t it;
    uint32_t len;
    bson_t lsid;

    memcpy(op->uid, uid, SDB_LSID_UID_LEN);
    op->has_lsid = false;
    op->kill_watch = false;
    if (body == NULL || !bson_iter_init_find(&it, body, "lsid") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return;
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&lsid, data, len) ||
        !sdb_lsid_binary_field(&lsid, "id", SDB_LSID_ID_LEN, op->lsid.id))
        return;
    if (!sdb_lsid_binary_field(&lsid, "uid", SDB_LSID_UID_LEN, op->lsid.uid))
        memcpy(op->lsid.uid, uid, SDB_LSID_UID_LEN);
    op->has_lsid = true;
    op->kill_watch = kill_watch;
    op->session_kill_seq = atomic_load(&wk_global->session_kill_seq);
}

/* session_killed -- killSessions killed op's session (or every session) since op began. */
static bool
session_killed(const wk_op_t *op)
{
    uint64_t seq, from = op->session_kill_seq, mine[SDB_LSID_WORDS];

    if (!op->kill_watch || (seq = atomic_load(&wk_global->session_kill_seq)) == from)
        return false;
    if (seq - from > SDB_GLOBAL_KILL_RING)
        from = seq - SDB_GLOBAL_KILL_RING;
    sdb_lsid_words(&op->lsid, mine);
    for (; from < seq; from++) {
        bool same = true, all = true;

        for (int i = 0; i < SDB_LSID_WORDS; i++) {
            uint64_t w = atomic_load(&wk_global->session_killed[from % SDB_GLOBAL_KILL_RING][i]);

            same = same && w == mine[i];
            all = all && w == UINT64_MAX;
        }
        if (same || all)
            return true;
    }
    return false;
}

void
wk_op_pin_cursor(wk_op_t *op, int64_t id)
{
    op->cursor_id = id;
    op->kill_seq = atomic_load(&wk_global->cursor_kill_seq);
}

/* cursor_killed -- the master killed op's checked-out cursor since it was pinned. */
static bool
cursor_killed(const wk_op_t *op)
{
    uint64_t seq, from = op->kill_seq;

    if (op->cursor_id == 0 || (seq = atomic_load(&wk_global->cursor_kill_seq)) == from)
        return false;
    if (seq - from > SDB_GLOBAL_KILL_RING)
        from = seq - SDB_GLOBAL_KILL_RING; /* older kills are overwritten: look at all */
    for (; from < seq; from++)
        if (atomic_load(&wk_global->cursor_killed[from % SDB_GLOBAL_KILL_RING]) == op->cursor_id)
            return true;
    return false;
}

/*
 * wk_op_interrupted --
 *     Shutdown, a gone client or an expired deadline, without yielding.
 */
int
wk_op_interrupted(const wk_op_t *op, sdb_error_t *err)
{
    if (wk_stopping)
        return sdb_error_set(err, SDB_CODE_InterruptedAtShutdown, "interrupted at shutdown");
    if (op == NULL)
        return 0;
    if (op->conn != NULL && op->conn->closing)
        return sdb_error_set(err, SDB_CODE_ClientDisconnect,
                             "operation was interrupted because a client disconnected");
    if (op->deadline_ns != 0 && now_ns() >= op->deadline_ns)
        return sdb_error_set(err, SDB_CODE_MaxTimeMSExpired, "operation exceeded time limit");
    if (cursor_killed(op))
        return sdb_error_set(err, SDB_CODE_CursorKilled, "operation was interrupted");
    if (session_killed(op) || wk_opreg_killed(op))
        return sdb_error_set(err, SDB_CODE_Interrupted, "operation was interrupted");
    return 0;
}

/*
 * wk_op_is_interruption --
 *     mongod's Interruption category.
 */
bool
wk_op_is_interruption(int code)
{
    static const int codes[] = {
        SDB_CODE_Interrupted,       SDB_CODE_InterruptedAtShutdown, SDB_CODE_MaxTimeMSExpired,
        SDB_CODE_ExceededTimeLimit, SDB_CODE_ClientDisconnect,      SDB_CODE_CursorKilled,
    };

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == code)
            return true;
    return false;
}

/*
 * wk_op_check --
 *     An interrupt point: give the loop its turn when due, then check the interrupts.
 */
int
wk_op_check(const wk_op_t *op, sdb_error_t *err)
{
    wk_coro_checkpoint();
    return wk_op_interrupted(op, err);
}
