/*
 * src/worker/store_client.h -- how a worker asks the master for a storage operation.
 *
 * wk_store_call sends one request (storeop.def) on this worker's channel and waits for the
 * reply with the same request id (see store_client.c for how waiting works).  The
 * caller owns *reply afterwards (bson_destroy).  A failed operation returns SDB_ECLIENT with
 * *err filled from the master's {code, errmsg} and *reply holding the whole error body (for
 * keyPattern/keyValue).  A dead master is worker-fatal (the worker exits).  Event-loop
 * thread only.
 */
#ifndef WK_STORE_CLIENT_H
#define WK_STORE_CLIENT_H

#include "../common/errors.h"
#include "../common/storeop.h"

#include <bson/bson.h>

/* wk_store_call -- run one storage operation; see above.  On a coroutine it yields until the
 * reply arrives, so other requests of this worker run meanwhile. */
int wk_store_call(int op, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* wk_store_on_wake -- the event loop's callback for the channel's wake fd: deliver replies
 * and resume the coroutines waiting for them. */
void wk_store_on_wake(void);

#endif
