/*
 * src/master/params.h -- the runtime-settable server parameters, on the master's side.
 *
 * config.c's parameter table names, for each parameter settable at runtime, the word of the
 * global segment that holds its live value.  The master is that word's only writer: it
 * publishes the start-up value before any worker starts, and SET_PARAMETER (storeop.def)
 * replaces it when a client runs setParameter.  Readers (the TTL monitor, getParameter in
 * any worker) load the word; no lock.
 */
#ifndef MS_PARAMS_H
#define MS_PARAMS_H

#include "../common/config.h"
#include "../common/global.h"
#include "ops.h"

/* ms_params_publish -- write the start-up value of every runtime-settable parameter into g
 * (main thread, before the workers start). */
void ms_params_publish(const sdb_config_t *cfg, sdb_global_t *g);

/* SET_PARAMETER (storeop.def); any service thread. */
int ms_params_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
