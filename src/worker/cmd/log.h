/*
 * src/worker/cmd/log.h -- the log commands (getLog, logRotate: commands.def) and the
 * command-level debug line.
 *
 * Invariants: event-loop thread.
 */
#ifndef WK_CMD_LOG_H
#define WK_CMD_LOG_H

#include "../command.h"

/* wk_log_command -- mongod's D2 COMMAND line "About to run the command" (db, client,
 * commandArgs), written only while the verbosity of COMMAND is 2 or more (logLevel). */
void wk_log_command(const wk_cmd_t *cmd);

#endif
