/*
 * src/worker/engine/tailable.c -- tailable and awaitData cursors: rules, state flags, waiting.
 *
 * The rules follow mongod 7.0's query_request_helper (awaitData without tailable, a sort
 * other than {$natural: 1}, singleBatch) and its find command (a tailable cursor on a
 * collection that is not capped).  A collection that does not exist answers an empty, closed
 * cursor, as mongod does.  The position check re-reads the saved record id: a scan resumes
 * strictly after it, so when capping deleted it, the documents between it and the oldest
 * survivor may have been lost too, which mongod reports as CappedPositionLost.
 *
 * Invariants: event-loop thread; the wait parks only the calling coroutine
 * (wk_oplog_wait), never the channel.
 */
#include "tailable.h"
#include "args.h"
#include "capped.h"
#include "exec.h"

#include "../../common/sdb.h"
#include "../catalog_cache.h"
#include "../oplog_wait.h"

#include <string.h>

#define TAIL_AWAIT_DEFAULT_MS 1000 /* mongod's awaitData wait without maxTimeMS */
#define TAIL_SLICE_MS 100          /* a parked getMore looks at its client this often */
#define TAIL_OPLOG_NS "local.oplog.rs"

static const uint8_t natural_fwd[] = {
    0x13, 0x00, 0x00, 0x00,                                 /* length 19 */
    0x10, '$',  'n',  'a',  't',  'u', 'r', 'a', 'l', 0x00, /* int32 "$natural" */
    0x01, 0x00, 0x00, 0x00, 0x00,                           /* 1, end */
};

const bson_value_t *
wk_tailable_hint(void)
{
    static bson_value_t v;

    v.value_type = BSON_TYPE_DOCUMENT;
    v.value.v_doc.data = (uint8_t *)natural_fwd;
    v.value.v_doc.data_len = sizeof(natural_fwd);
    return &v;
}

bool
wk_tailable_is_oplog(const char *ns)
{
    return strcmp(ns, TAIL_OPLOG_NS) == 0;
}

/* natural_forward -- the sort is empty or exactly {$natural: 1}. */
static bool
natural_forward(const bson_t *sort)
{
    bson_iter_t it;

    if (bson_empty(sort))
        return true;
    return bson_iter_init(&it, sort) && bson_iter_next(&it) &&
           strcmp(bson_iter_key(&it), "$natural") == 0 && BSON_ITER_HOLDS_NUMBER(&it) &&
           bson_iter_as_double(&it) == 1.0 && !bson_iter_next(&it);
}

/* not_capped -- mongod's error, with CanonicalQuery::toStringShort's description. */
static int
not_capped(wk_cmd_t *cmd, const char *ns, const bson_t *filter, const bson_t *sort,
           const bson_t *projection)
{
    char *f = bson_as_relaxed_extended_json(filter, NULL);
    char *s = bson_as_relaxed_extended_json(sort, NULL);
    char *p = bson_as_relaxed_extended_json(projection, NULL);

    sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                  "error processing query: ns=%s Tree: %s Sort: %s Proj: %s tailable cursor "
                  "requested on non capped collection",
                  ns, f, s, p);
    bson_free(f);
    bson_free(s);
    bson_free(p);
    return SDB_ECLIENT;
}

int
wk_tailable_check(wk_cmd_t *cmd, const char *ns, const bson_t *filter, const bson_t *sort,
                  const bson_t *projection, bool tailable, bool await_data, bool single_batch)
{
    const wk_coll_info_t *ci;

    if (tailable && !natural_forward(sort))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "cannot use tailable option with a sort other than {$natural: 1}");
    if (tailable && single_batch)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "cannot use tailable option with the 'singleBatch' option");
    if (await_data && !tailable)
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "Cannot set 'awaitData' without also setting 'tailable'");
    if (!tailable || wk_tailable_is_oplog(ns))
        return 0;
    SDB_RET(wk_cmdu_refresh(&cmd->err));
    if ((ci = wk_catalog_find(ns)) == NULL || wk_capped_is(ci))
        return 0;
    return not_capped(cmd, ns, filter, sort, projection);
}

int
wk_tailable_refuse_view(wk_cmd_t *cmd)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, cmd->body, "tailable") || !wk_cmdu_truthy(&it))
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidPipelineOperator,
                         "Tailable cursors are not supported in aggregation.");
}

void
wk_tailable_mark(bson_t *state, bool await_data)
{
    BSON_APPEND_BOOL(state, "tailable", true);
    BSON_APPEND_BOOL(state, "awaitData", await_data);
}

bool
wk_tailable_of(const bson_t *state, bool *await_data)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, state, "tailable") || !bson_iter_as_bool(&it))
        return false;
    if (await_data != NULL)
        *await_data = bson_iter_init_find(&it, state, "awaitData") && bson_iter_as_bool(&it);
    return true;
}

/* position_lost -- 136 when the record the cursor last examined no longer exists (175
 * QueryPlanKilled when the whole collection is gone). */
static int
position_lost(const char *ns, const bson_t *state, sdb_error_t *err)
{
    bson_iter_t it;
    bson_t doc;
    int64_t r;
    bool found = false;

    if (!bson_iter_init_find(&it, state, "pos") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &it) || !bson_iter_find(&it, "after"))
        return 0; /* nothing examined yet: the scan starts at the oldest record */
    r = bson_iter_as_int64(&it);
    SDB_RET(wk_cmdu_refresh(err));
    if (!wk_tailable_is_oplog(ns) && wk_catalog_find(ns) == NULL)
        return sdb_error_set(
            err, SDB_CODE_QueryPlanKilled,
            "PlanExecutor error during getMore :: caused by :: collection dropped");
    SDB_RET(wk_cmdu_read_record(NULL, ns, r, &doc, &found, err));
    if (found) {
        bson_destroy(&doc);
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_CappedPositionLost,
                         "CollectionScan died due to position in capped collection being "
                         "deleted. Last seen record id: RecordId(%lld)",
                         (long long)r);
}

int
wk_tailable_begin(wk_cmd_t *cmd, const char *ns, const bson_t *state, bool await_data,
                  int64_t *deadline_ms)
{
    int64_t wait_ms = TAIL_AWAIT_DEFAULT_MS;

    if (cmd->op.deadline_ns != 0 && !await_data)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "cannot set maxTimeMS on getMore command for a non-awaitData cursor");
    if (cmd->op.deadline_ns != 0)
        wait_ms = wk_op_remaining_ms(&cmd->op);
    wk_op_set_time_limit(&cmd->op, 0); /* the budget is the wait's, not the scan's */
    *deadline_ms = sdb_mono_ms() + wait_ms;
    return position_lost(ns, state, &cmd->err);
}

bool
wk_tailable_wait(const wk_op_t *op, uint64_t seen, int64_t deadline_ms)
{
    sdb_error_t ignored;

    for (;;) {
        int64_t left = deadline_ms - sdb_mono_ms();

        if (left <= 0 || wk_op_interrupted(op, &ignored) != 0)
            return false; /* time is up, or nobody waits for the answer any more */
        if (wk_oplog_wait(seen, left < TAIL_SLICE_MS ? left : TAIL_SLICE_MS))
            return true;
    }
}
