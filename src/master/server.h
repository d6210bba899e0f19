/*
 * src/master/server.h -- the master process: start-up, signal handling, shutdown.
 */
#ifndef MS_SERVER_H
#define MS_SERVER_H

#include "../common/config.h"

/* ms_server_run -- run the master until SIGTERM/SIGINT or a fatal error; returns the exit
 * code (0 clean, 2 config/init error, 1 crash-loop or storage failure). */
int ms_server_run(const sdb_config_t *cfg, const char *argv0);

/* ms_server_panic -- WT_PANIC or corrupt master state: kill every worker and exit at once
 * (exit code 1) without touching WiredTiger; recovery at the next start repairs the rest.
 * Callable from any master thread. */
void ms_server_panic(const char *why) __attribute__((noreturn));

#endif
