/*
 * src/main.c -- the one binary's entry point: choose the master or the worker role.
 *
 * `secantusdb [options]` runs the master; the master re-executes this binary with
 * `--worker N` (plus inherited fd numbers) to start worker N.  This file is the only one
 * allowed to reference both sides' entry points; it holds no other logic.
 */
#include "common/config.h"
#include "common/log.h"
#include "master/server.h"
#include "worker/tls.h"
#include "worker/worker.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    static sdb_config_t cfg;
    bool exit_now = false;
    int rc = sdb_config_parse(argc, argv, &cfg, &exit_now);
    if (rc != 0 || exit_now)
        return rc;
    if (cfg.worker_slot >= 0)
        return wk_worker_run(&cfg);
    if ((rc = wk_tls_check(&cfg)) != 0) /* a bad certificate stops the start at once */
        return rc;
    return ms_server_run(&cfg, argv[0]);
}
