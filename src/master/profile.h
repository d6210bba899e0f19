/*
 * src/master/profile.h -- the database profiler's settings, held by the master.
 *
 * The profile command may run on any worker and its effect must reach every worker, so the
 * master is the one writer of the settings in the global segment (global.h: profile_*):
 * a server-wide slowms and sampleRate, and per database a level and a filter.  Workers read
 * them for every command (worker/profiler.c).
 *
 * Contract: ms_profile_publish runs once on the main thread before any worker starts;
 * ms_profile_op_set from any service thread (a mutex orders concurrent changes).
 */
#ifndef MS_PROFILE_H
#define MS_PROFILE_H

#include "../common/config.h"
#include "../common/global.h"
#include "ops.h"

/* ms_profile_publish -- the start-up settings (--profile, --slowms). */
void ms_profile_publish(const sdb_config_t *cfg, sdb_global_t *g);

/* ms_profile_op_set -- PROFILE_SET (storeop.def). */
int ms_profile_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
