/*
 * src/master/server.h -- the master process: start-up, signal handling, shutdown.
 */
#ifndef MS_SERVER_H
#define MS_SERVER_H

#include "../common/config.h"

/* ms_server_run -- run the master until SIGTERM/SIGINT or a fatal error; returns the exit
 * code (0 clean, 2 config/init error, 1 crash-loop or storage failure). */
int ms_server_run(const sdb_config_t *cfg, const char *argv0);

#endif
