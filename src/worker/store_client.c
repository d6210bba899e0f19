/*
 * src/worker/store_client.c -- storage calls over this worker's channel, many in flight.
 *
 * A request running on a coroutine (coro.h) sends its storage request, records itself as
 * pending under its request id and yields; the event loop's wake-fd callback
 * (wk_store_on_wake) receives replies, copies each into its pending call and resumes that
 * coroutine.  A call made outside any coroutine (start-up) waits in place, handing any
 * other reply that arrives meanwhile to its own pending call.  The loop relies on the
 * channel's contract: only a receive that found nothing (SDB_EAGAIN) arms the wake fd, so
 * every path ends with one (wk_store_on_wake is also called once at start-up).  The channel's receive buffer
 * is valid only until the next receive, so every reply is copied at once.  A dead master or
 * a corrupt channel is worker-fatal.  Event-loop thread only.
 */
#include "store_client.h"

#include "../common/channel.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "catalog_cache.h"
#include "coro.h"
#include "worker.h"

#include <stdio.h>

typedef struct pending {
    uint64_t reqid;
    wk_coro_t *co; /* NULL for a call waiting in place */
    bson_t reply;
    uint16_t flags;
    bool done;
    struct pending *next;
} pending_t;

static uint64_t next_reqid = 1;
static pending_t *pendings;

static void
fatal(const char *what, int ret)
{
    char why[128];

    snprintf(why, sizeof(why), "channel %s failed: %s", what, sdb_strerror(ret));
    wk_worker_fatal(why);
}

/* Take one received reply: complete its pending call; resume it if it is a coroutine. */
static void
deliver(const sdb_msg_hdr_t *hdr, const void *body)
{
    pending_t **pp, *p;
    bson_t tmp;

    for (pp = &pendings; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->reqid == hdr->reqid)
            break;
    if (*pp == NULL || !bson_init_static(&tmp, body, hdr->len))
        fatal("reply matching", SDB_ECORRUPT);
    p = *pp;
    *pp = p->next;
    bson_copy_to(&tmp, &p->reply);
    p->flags = hdr->flags;
    p->done = true;
    if (p->co != NULL)
        wk_coro_resume(p->co);
}

/*
 * wk_store_on_wake --
 *     The channel's wake fd fired: deliver every complete reply.
 */
void
wk_store_on_wake(void)
{
    sdb_msg_hdr_t hdr;
    const void *body;
    int ret;

    sdb_chan_drain_wake(&wk_chan);
    while ((ret = sdb_chan_recv(&wk_chan, &hdr, &body, 0)) == 0)
        deliver(&hdr, body);
    if (ret != SDB_EAGAIN)
        fatal("receive", ret);
    if (wk_coro_active() == 0)
        wk_catalog_gc();
}

/*
 * wk_store_call --
 *     Run one storage operation on the master.
 */
int
wk_store_call(int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    pending_t p;
    sdb_msg_hdr_t hdr;
    const void *body;
    int ret;

    p.reqid = next_reqid++;
    p.co = wk_coro_self();
    p.done = false;
    p.next = pendings;
    pendings = &p;
    atomic_fetch_add(&wk_global->diag[wk_slot].chan_requests, 1); /* serverStatus.secantusdb */
    atomic_fetch_add(&wk_global->diag[wk_slot].chan_inflight, 1);
    ret = sdb_chan_send(&wk_chan, (uint16_t)op, 0, p.reqid, bson_get_data(req), req->len);
    if (ret != 0)
        fatal("send", ret);
    while (!p.done) {
        if (p.co != NULL) {
            wk_coro_yield();
            continue;
        }
        ret = sdb_chan_recv(&wk_chan, &hdr, &body, -1);
        if (ret != 0)
            fatal("receive", ret);
        deliver(&hdr, body);
    }
    if (p.co == NULL)
        wk_store_on_wake(); /* re-arm: the event loop must be woken for later replies */
    atomic_fetch_sub(&wk_global->diag[wk_slot].chan_inflight, 1);
    bson_steal(reply, &p.reply);
    if (p.flags & SDB_MSG_ERROR) {
        sdb_error_from_bson(reply, err);
        return SDB_ECLIENT;
    }
    return 0;
}
