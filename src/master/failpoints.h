/*
 * src/master/failpoints.h -- the server's failpoints (configureFailPoint), held by the master.
 *
 * A failpoint must act the same on every worker, so its state lives here, once: its mode
 * (off, alwaysOn, times n, skip n, activation probability), the remaining count, its data
 * document (opaque to the master: the worker interprets it) and how often it fired.  Every
 * change bumps the global segment's failpoint_version so workers re-read the table
 * (FAILPOINT_GET) before the next command; a worker that wants to fire asks
 * (FAILPOINT_FIRE), and the decision and the count-down happen here under one mutex, so
 * {times: n} fires exactly n times across all workers.
 *
 * Contract: the three handlers are storage operations (ops.h): called from any service
 * thread, concurrently; they take the module's mutex.  A bad request leaves the table
 * unchanged.
 */
#ifndef MS_FAILPOINTS_H
#define MS_FAILPOINTS_H

#include "ops.h"

#include <stdbool.h>

/* ms_failpoints_op_set -- FAILPOINT_SET (storeop.def): configure one failpoint. */
int ms_failpoints_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_failpoints_op_get -- FAILPOINT_GET: the table and its version. */
int ms_failpoints_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_failpoints_op_fire -- FAILPOINT_FIRE: consume one activation, atomically. */
int ms_failpoints_op_fire(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_failpoints_fire -- a failpoint the master applies itself (onPrimaryTransactionalWrite,
 * txns.c): consume one activation now; *data (always initialized) receives a copy of its data
 * when it fires.  Any thread. */
bool ms_failpoints_fire(const char *name, bson_t *data);

#endif
