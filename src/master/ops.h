/*
 * src/master/ops.h -- the storage operation table: one handler per SDB_OP_* (storeop.def).
 *
 * A service thread (service.c) calls ms_ops_dispatch for each request received on its
 * channel, with its own WT_SESSION.  A handler validates the request body (workers are not
 * trusted to send well-formed BSON), performs the operation, appends the reply fields to
 * `reply` and returns 0, or returns SDB_ECLIENT with *err set (the service sends an error
 * reply; reply may hold extra fields such as keyPattern/keyValue to include).  Any other
 * non-zero return is a storage failure: logged, and answered as InternalError.  A handler that
 * would wait (FLUSH) parks the request instead (ms_service_later, service.h) and returns 0.
 * Handlers may be called concurrently from several service threads.
 */
#ifndef MS_OPS_H
#define MS_OPS_H

#include "../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

struct ms_service;
struct ms_xact;

typedef struct ms_ctx {
    WT_SESSION *session;    /* the session data operations run on: this service thread's, or
                             * the open transaction's (xact) */
    int slot;               /* worker slot served */
    struct ms_service *svc; /* the channel served (NULL outside a service thread) */
    uint16_t op;            /* the request being served */
    uint64_t reqid;
    bool later;           /* set by ms_service_later: no reply now */
    WT_SESSION *own;      /* this service thread's own session (schema changes, which never
                           * run inside a transaction); set by ms_ops_dispatch */
    struct ms_xact *xact; /* the transaction the operation belongs to (xact.h), or NULL */
} ms_ctx_t;

/* ms_ops_dispatch -- run one storage operation. */
int ms_ops_dispatch(ms_ctx_t *ctx, int op, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* ms_ops_channel_died -- the worker in `slot` died: release what belonged to its channel
 * (cursors it had checked out return to the table; nothing client-owned is dropped). */
void ms_ops_channel_died(int slot);

/* ms_ops_tick -- periodic housekeeping from the master's main loop (idle cursor expiry). */
void ms_ops_tick(void);

#endif
