/*
 * src/worker/cmd/aggregate.h -- what other commands ask of the aggregate command: the explain
 * command its plan, getMore (find.c) the next batch of a streaming aggregate cursor.
 *
 * aggregate.c opens a streaming cursor for a pipeline that only maps and counts documents
 * (agg.h wk_agg_streamable): its state {kind: "aggstream", ...} holds the pipeline, the read
 * position and the results that did not fit in the last batch, so any worker continues it.
 *
 * Event-loop thread; errors as every handler's (cmd->err); a failed getMore leaves the cursor
 * as it was.
 */
#ifndef SRC_WORKER_CMD_AGGREGATE_H
#define SRC_WORKER_CMD_AGGREGATE_H

#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* wk_cmd_aggregate_explain -- the aggregate command in cmd->body explained at `verbosity`
 * (exec.h WK_EXPLAIN_*): at executionStats and above the pipeline's read runs to its end and
 * its counts join the plan. */
int wk_cmd_aggregate_explain(wk_cmd_t *cmd, int verbosity);

/* wk_cmd_aggregate_more -- append the next results of cursor state `st` to the batch array
 * `arr` (*n documents, *bytes bytes so far): at most `want` (<= 0: no count limit) and 16 MiB.
 * *done when nothing remains; otherwise `next` receives the state to check the cursor back in
 * with. */
int wk_cmd_aggregate_more(wk_cmd_t *cmd, const bson_t *st, int64_t want, bson_t *arr, uint32_t *n,
                          size_t *bytes, bson_t *next, bool *done);

#endif
