/*
 * src/worker/store_client.c -- synchronous storage calls over this worker's channel.
 *
 * One request is in flight at a time from this worker's event-loop thread: send, then wait
 * for the reply with the same request id (sdb_chan_recv spins briefly, then sleeps on the
 * eventfd).  The reply body lives in the channel's receive buffer only until the next
 * receive, so it is copied into the caller's bson_t.  A dead master or a corrupt channel is
 * worker-fatal.
 */
#include "store_client.h"

#include "../common/channel.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "worker.h"

#include <stdio.h>

static uint64_t next_reqid = 1;

/*
 * wk_store_call --
 *     Run one storage operation on the master.
 */
int
wk_store_call(int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    sdb_msg_hdr_t hdr;
    const void *body;
    bson_t tmp;
    uint64_t reqid = next_reqid++;
    int ret;
    char why[128];

    ret = sdb_chan_send(&wk_chan, (uint16_t)op, 0, reqid, bson_get_data(req), req->len);
    if (ret != 0) {
        snprintf(why, sizeof(why), "channel send failed: %s", sdb_strerror(ret));
        wk_worker_fatal(why);
    }
    ret = sdb_chan_recv(&wk_chan, &hdr, &body, -1);
    if (ret != 0 || hdr.reqid != reqid || !bson_init_static(&tmp, body, hdr.len)) {
        snprintf(why, sizeof(why), "channel receive failed: %s", sdb_strerror(ret));
        wk_worker_fatal(why);
    }
    bson_copy_to(&tmp, reply);
    if (hdr.flags & SDB_MSG_ERROR) {
        sdb_error_from_bson(reply, err);
        return SDB_ECLIENT;
    }
    return 0;
}
