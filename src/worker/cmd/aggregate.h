/*
 * src/worker/cmd/aggregate.h -- what the explain command asks of the aggregate command.
 *
 * Event-loop thread; errors as every handler's (cmd->err).
 */
#ifndef SRC_WORKER_CMD_AGGREGATE_H
#define SRC_WORKER_CMD_AGGREGATE_H

#include "../command.h"

/* wk_cmd_aggregate_explain -- the aggregate command in cmd->body explained at `verbosity`
 * (exec.h WK_EXPLAIN_*): at executionStats and above the pipeline's read runs to its end and
 * its counts join the plan. */
int wk_cmd_aggregate_explain(wk_cmd_t *cmd, int verbosity);

#endif
