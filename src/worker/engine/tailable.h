/*
 * src/worker/engine/tailable.h -- tailable and awaitData find cursors.
 *
 * A tailable find is a forward collection scan (natural order) of a capped collection or of
 * local.oplog.rs whose cursor stays open at the end of the data: its position (the last
 * record examined) lives in the master's cursor table like any streaming cursor's, with
 * {tailable: true, awaitData} in its state, so a getMore on any worker continues after it.
 * A getMore first checks that the position still exists (capping may have deleted it:
 * 136 CappedPositionLost, the cursor dies); with awaitData an empty batch parks the getMore's
 * coroutine until the oplog head moves (every committed write moves it, oplog_wait.h) or its
 * maxTimeMS (default 1 s) runs out, then scans again.  find.c owns the scan; this file owns
 * the rules, the state flags and the wait.
 *
 * Contract: event-loop thread; errors go to cmd->err (SDB_ECLIENT).
 */
#ifndef SRC_WORKER_ENGINE_TAILABLE_H
#define SRC_WORKER_ENGINE_TAILABLE_H

#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* wk_tailable_check -- mongod's find rules: awaitData needs tailable (FailedToParse), a
 * tailable cursor takes no sort but {$natural: 1} and no singleBatch (BadValue), and reads
 * only a capped collection (BadValue "error processing query: ... tailable cursor requested
 * on non capped collection"). */
int wk_tailable_check(wk_cmd_t *cmd, const char *ns, const bson_t *filter, const bson_t *sort,
                      const bson_t *projection, bool tailable, bool await_data, bool single_batch);

/* wk_tailable_refuse_view -- a find on a view runs as an aggregation, which has no tailable
 * cursors: 168 InvalidPipelineOperator when the find asks for one, as mongod answers. */
int wk_tailable_refuse_view(wk_cmd_t *cmd);

/* wk_tailable_hint -- {$natural: 1}: the plan of every tailable cursor. */
const bson_value_t *wk_tailable_hint(void);

/* wk_tailable_is_oplog -- ns is local.oplog.rs (capped, outside the catalog). */
bool wk_tailable_is_oplog(const char *ns);

/* wk_tailable_mark -- append {tailable: true, awaitData} to a cursor state. */
void wk_tailable_mark(bson_t *state, bool await_data);

/* wk_tailable_of -- whether a cursor state is tailable (and, when asked, awaitData). */
bool wk_tailable_of(const bson_t *state, bool *await_data);

/* wk_tailable_begin -- the start of a tailable getMore: maxTimeMS only with awaitData
 * (BadValue otherwise; it becomes the wait budget, 1 s without it, and no longer limits
 * the scan), and the saved position must still exist (136 CappedPositionLost).
 * *deadline_ms receives when waiting must stop (sdb_mono_ms clock). */
int wk_tailable_begin(wk_cmd_t *cmd, const char *ns, const bson_t *state, bool await_data,
                      int64_t *deadline_ms);

/* wk_tailable_wait -- park until the oplog head differs from `seen` or the deadline passes
 * or op's client is gone (checked every TAIL_SLICE_MS); whether to scan again. */
bool wk_tailable_wait(const wk_op_t *op, uint64_t seen, int64_t deadline_ms);

#endif
