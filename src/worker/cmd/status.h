/*
 * src/worker/cmd/status.h -- serverStatus's sections beyond the basic ones of cmd/diag.c.
 *
 * Each function appends one section of mongod 7.0's serverStatus, with mongod's names and
 * types, from this server's counters: every worker's slot of the global segment summed
 * (opstats.h writes them), and WiredTiger's statistics from the master (WT_STATS).  Which
 * sections a reply carries is decided by wk_status_wanted ({serverStatus: 1, <section>: 0}
 * leaves one out, as mongod does).
 *
 * Contract: event-loop thread, inside the serverStatus command (the wiredTiger and
 * logicalSessionRecordCache sections wait for the master).
 */
#ifndef WK_CMD_STATUS_H
#define WK_CMD_STATUS_H

#include "../command.h"

/* wk_status_wanted -- whether the command asks for section `name` (it does unless it names
 * the section with a false or zero value). */
bool wk_status_wanted(const wk_cmd_t *cmd, const char *name);

void wk_status_network(bson_t *r);
void wk_status_asserts(bson_t *r);
void wk_status_op_latencies(bson_t *r);
/* wk_status_metrics -- metrics' sub-documents document, operation, queryExecutor, commands
 * and the cursor counts totalOpened (appended inside `metrics` and `metrics.cursor`). */
void wk_status_metrics(bson_t *metrics);
void wk_status_metrics_cursor(bson_t *cursor);
int wk_status_wired_tiger(bson_t *r, sdb_error_t *err);
int wk_status_sessions(bson_t *r, sdb_error_t *err);
void wk_status_secantusdb(bson_t *r);

#endif
