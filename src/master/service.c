/*
 * src/master/service.c -- the per-channel service thread of the master.
 *
 * Loop: receive one request (waiting up to 200 ms so a stop request is noticed), validate
 * its BSON body completely (sdb_bson_check: a worker is not trusted with the master's
 * integrity, and the master's index and comparison code recurses over what it stores), dispatch it (ops.c) and send the reply with the same request id.  Errors
 * the operation reports for the client travel as SDB_MSG_ERROR replies carrying {code,
 * errmsg, ...}; storage failures become InternalError.  A dead peer (SDB_EPEER) or corrupt
 * channel ends the loop; the main thread cleans up (server.c).  The thread owns one
 * WT_SESSION for its whole life.  Signals are blocked in this thread (inherited mask).
 */
#include "service.h"

#include "../common/bsonvalid.h"
#include "../common/errors.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "../common/storeop.h"
#include "ops.h"
#include "store.h"

#include <bson/bson.h>
#include <stdio.h>
#include <string.h>

static int
serve_one(ms_service_t *svc, ms_ctx_t *ctx, const sdb_msg_hdr_t *hdr, const void *body)
{
    bson_t req, reply;
    sdb_error_t err;
    uint16_t flags = 0;
    int ret;

    memset(&err, 0, sizeof(err));
    bson_init(&reply);
    atomic_store(&svc->inflight_op, hdr->op);
    atomic_store(&svc->inflight_reqid, hdr->reqid);
    /* A request wraps a worker's documents in at most two levels ({docs: [doc]}). */
    if (sdb_bson_check(body, hdr->len, SDB_BSON_DEPTH_EVAL + 2, &err) != 0) {
        ret = SDB_ECLIENT;
    } else {
        bson_init_static(&req, body, hdr->len); /* cannot fail: checked */
        ret = ms_ops_dispatch(ctx, hdr->op, &req, &reply, &err);
    }
    if (ret != 0) {
        if (ret != SDB_ECLIENT) {
            sdb_logf(SDB_LOG_E, "STORAGE", 22000, "Storage operation failed", "%s: %s",
                     sdb_storeop_name(hdr->op), sdb_strerror(ret));
            sdb_error_set(&err, SDB_CODE_InternalError, "storage operation %s failed: %s",
                          sdb_storeop_name(hdr->op), sdb_strerror(ret));
        }
        BSON_APPEND_INT32(&reply, "code", err.code);
        BSON_APPEND_UTF8(&reply, "errmsg", err.msg);
        flags = SDB_MSG_ERROR;
    }
    ret = sdb_chan_send(&svc->chan, hdr->op, flags, hdr->reqid, bson_get_data(&reply), reply.len);
    bson_destroy(&reply);
    atomic_store(&svc->inflight_op, 0);
    return ret;
}

static void *
service_main(void *arg)
{
    ms_service_t *svc = arg;
    ms_ctx_t ctx;
    sdb_msg_hdr_t hdr;
    const void *body;
    int ret;

    memset(&ctx, 0, sizeof(ctx));
    ctx.slot = svc->slot;
    if ((ret = ms_store_session_open(&ctx.session)) != 0) {
        sdb_logf(SDB_LOG_E, "STORAGE", 22001, "Cannot open a storage session", "%s",
                 sdb_strerror(ret));
        atomic_store(&svc->exited, 1);
        return NULL;
    }
    while (!atomic_load(&svc->stop)) {
        ret = sdb_chan_recv(&svc->chan, &hdr, &body, 200);
        if (ret == SDB_EAGAIN)
            continue;
        if (ret != 0)
            break;
        if (serve_one(svc, &ctx, &hdr, body) != 0)
            break;
    }
    if (ret == SDB_ECORRUPT)
        sdb_logf(SDB_LOG_E, "STORAGE", 22002, "Corrupt channel", "worker slot %d", svc->slot);
    ctx.session->close(ctx.session, NULL);
    atomic_store(&svc->exited, 1);
    return NULL;
}

/*
 * ms_service_start --
 *     Start the service thread for one channel.
 */
int
ms_service_start(ms_service_t *svc)
{
    int ret;

    atomic_store(&svc->stop, 0);
    atomic_store(&svc->exited, 0);
    atomic_store(&svc->inflight_op, 0);
    ret = pthread_create(&svc->thread, NULL, service_main, svc);
    if (ret == 0)
        svc->started = true;
    return ret;
}

/*
 * ms_service_stop --
 *     Stop and join the service thread.
 */
void
ms_service_stop(ms_service_t *svc)
{
    if (!svc->started)
        return;
    atomic_store(&svc->stop, 1);
    sdb_chan_mark_dead(&svc->chan);
    pthread_join(svc->thread, NULL);
    svc->started = false;
}
