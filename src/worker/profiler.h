/*
 * src/worker/profiler.h -- the database profiler and the slow-operation log.
 *
 * After every command the dispatcher calls wk_profiler_after (opstats.h describes the finished
 * command).  The settings are the master's (global.h profile_*; master/profile.h): the
 * database's level (0 off, 1 slow operations, 2 all), a server-wide slowms and sampleRate,
 * and an optional per-database filter that, when set, replaces the slowms / sampleRate test
 * for both the profiler and the log, as mongod's does.  A profiled operation becomes one
 * document in <db>.system.profile (a 1 MB capped collection created on first use) with
 * mongod's fields; a slow one (millis > slowms, sampled) is logged "Slow query" (id 51803).
 * The profiler's own writes are storage requests, never commands, so they are never
 * profiled themselves.
 *
 * Contract: event-loop thread, on the command's coroutine (the insert waits for the master);
 * a failure to write the profile document is logged, never returned to the client.
 */
#ifndef WK_PROFILER_H
#define WK_PROFILER_H

#include "opstats.h"

/* wk_profiler_after -- profile and / or log one finished command. */
void wk_profiler_after(const wk_op_done_t *d);

/* wk_profiler_level -- the profiling level of database db (the default level of --profile
 * when the profile command never set one) and, when filter is not NULL, its filter (an
 * empty document for none; the caller destroys it). */
int wk_profiler_level(const char *db, bson_t *filter);

#endif
