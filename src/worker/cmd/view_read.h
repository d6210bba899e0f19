/*
 * src/worker/cmd/view_read.h -- find, count and distinct on a view, answered by aggregate.
 *
 * Contract: event-loop thread; the functions refresh the catalog cache and may call the
 * store.  On error cmd->err is set and SDB_ECLIENT returned.
 */
#ifndef WK_CMD_VIEW_READ_H
#define WK_CMD_VIEW_READ_H

#include "../command.h"

/* wk_view_find / wk_view_count / wk_view_distinct -- find, count and distinct on the view
 * cmd names, run as an aggregation on it (the reply has the command's own shape). */
int wk_view_find(wk_cmd_t *cmd);
int wk_view_count(wk_cmd_t *cmd);
int wk_view_distinct(wk_cmd_t *cmd);

#endif
