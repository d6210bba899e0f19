/*
 * src/master/service.c -- the per-channel service thread of the master.
 *
 * Loop: receive one request (waiting up to 200 ms so a stop request is noticed), validate
 * its BSON body completely (sdb_bson_check: a worker is not trusted with the master's
 * integrity, and the master's index and comparison code recurses over what it stores),
 * dispatch it (ops.c) and send the reply with the same request id.  Errors the operation
 * reports for the client travel as SDB_MSG_ERROR replies carrying {code, errmsg, ...};
 * storage failures become InternalError.  A dead peer (SDB_EPEER) or corrupt channel ends the
 * loop; the main thread cleans up (server.c).  The thread owns one WT_SESSION for its whole
 * life.  Signals are blocked in this thread (inherited mask).
 *
 * Answering later: the thread never blocks on one slow request (DESIGN.md, "The channel").
 * A handler that would wait (FLUSH's log flush, flush.c) calls ms_service_later, which parks
 * the request (ms_later_t) and tells serve_one to send nothing; the thread goes on serving
 * the channel.  Whoever finishes the work, on any thread, calls ms_service_answer: the answer
 * goes onto the service's completion queue (a mutex-protected list) and its eventfd is
 * written.  Only the service thread sends on the reply ring, so the ring keeps its single
 * producer: it drains the queue before each receive, and while requests are parked it waits
 * on both the channel's wake fd and the queue's eventfd (after a short spin, as the channel
 * does) instead of sleeping in the channel alone.  Each start bumps the service's generation;
 * an answer parked under an older generation (its worker died) is dropped.
 *
 * Every request received is counted in the global segment's store_ops (serverStatus
 * storageOps).
 *
 * Invariants: the reply ring has one producer, this thread; `parked` is this thread's; the
 * queue is the only state other threads touch, under done_lock.
 */
#include "service.h"

#include "../common/bsonvalid.h"
#include "../common/errors.h"
#include "../common/global.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "../common/storeop.h"
#include "ops.h"
#include "store.h"

#include <bson/bson.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SERVICE_WAIT_MS 200
#define SERVICE_SPIN_NS 20000

/* send_reply -- the reply of request (op, reqid): its fields, or an error reply. */
static int
send_reply(ms_service_t *svc, uint16_t op, uint64_t reqid, int ret, bson_t *reply, sdb_error_t *err)
{
    uint16_t flags = 0;

    if (ret != 0) {
        if (ret != SDB_ECLIENT) {
            sdb_logf(SDB_LOG_E, "STORAGE", 22000, "Storage operation failed", "%s: %s",
                     sdb_storeop_name(op), sdb_strerror(ret));
            sdb_error_set(err, SDB_CODE_InternalError, "storage operation %s failed: %s",
                          sdb_storeop_name(op), sdb_strerror(ret));
        }
        BSON_APPEND_INT32(reply, "code", err->code);
        BSON_APPEND_UTF8(reply, "errmsg", err->msg);
        flags = SDB_MSG_ERROR;
    }
    return sdb_chan_send(&svc->chan, op, flags, reqid, bson_get_data(reply), reply->len);
}

static int
serve_one(ms_service_t *svc, ms_ctx_t *ctx, const sdb_msg_hdr_t *hdr, const void *body)
{
    bson_t req, reply;
    sdb_error_t err;
    int ret;

    memset(&err, 0, sizeof(err));
    bson_init(&reply);
    atomic_store(&svc->inflight_op, hdr->op);
    atomic_store(&svc->inflight_reqid, hdr->reqid);
    ctx->op = hdr->op;
    ctx->reqid = hdr->reqid;
    ctx->later = false;
    if (hdr->op < SDB_GLOBAL_STORE_OPS)
        atomic_fetch_add_explicit(&ms_store_global()->store_ops[hdr->op], 1, memory_order_relaxed);
    /* A request wraps a worker's documents in at most two levels ({docs: [doc]}). */
    if (sdb_bson_check(body, hdr->len, SDB_BSON_DEPTH_EVAL + 2, &err) != 0) {
        ret = SDB_ECLIENT;
    } else {
        bson_init_static(&req, body, hdr->len); /* cannot fail: checked */
        ret = ms_ops_dispatch(ctx, hdr->op, &req, &reply, &err);
    }
    if (ctx->later)
        ret = 0; /* parked: ms_service_answer replies */
    else
        ret = send_reply(svc, hdr->op, hdr->reqid, ret, &reply, &err);
    bson_destroy(&reply);
    atomic_store(&svc->inflight_op, 0);
    return ret;
}

ms_later_t *
ms_service_later(ms_ctx_t *ctx)
{
    ms_later_t *p;

    if (ctx->svc == NULL || !ctx->svc->done_ready || (p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    p->svc = ctx->svc;
    p->gen = atomic_load(&ctx->svc->gen);
    p->op = ctx->op;
    p->reqid = ctx->reqid;
    bson_init(&p->reply);
    ctx->later = true;
    ctx->svc->parked++;
    return p;
}

void
ms_service_answer(ms_later_t *p, int ret, const bson_t *reply, const sdb_error_t *err)
{
    ms_service_t *svc = p->svc;
    uint64_t one = 1;

    p->ret = ret;
    if (reply != NULL)
        bson_concat(&p->reply, reply);
    if (err != NULL)
        p->err = *err;
    pthread_mutex_lock(&svc->done_lock);
    p->next = svc->done;
    svc->done = p;
    pthread_mutex_unlock(&svc->done_lock);
    if (write(svc->done_fd, &one, sizeof(one)) < 0) {
        /* a full counter is still readable: the service thread wakes either way */
    }
}

/* send_answers -- send the queued answers of this generation, oldest first. */
static int
send_answers(ms_service_t *svc)
{
    ms_later_t *list, *rev = NULL, *p;
    uint64_t gen = atomic_load(&svc->gen), v;
    int ret = 0;

    if (read(svc->done_fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing was written since the last drain */
    }
    pthread_mutex_lock(&svc->done_lock);
    list = svc->done;
    svc->done = NULL;
    pthread_mutex_unlock(&svc->done_lock);
    while ((p = list) != NULL) {
        list = p->next;
        p->next = rev;
        rev = p;
    }
    while ((p = rev) != NULL) {
        rev = p->next;
        if (p->gen == gen) {
            svc->parked--;
            if (ret == 0)
                ret = send_reply(svc, p->op, p->reqid, p->ret, &p->reply, &p->err);
        }
        bson_destroy(&p->reply);
        free(p);
    }
    return ret;
}

/* receive -- the next request; while requests are parked, wake for their answers too
 * (SDB_EAGAIN then). */
static int
receive(ms_service_t *svc, sdb_msg_hdr_t *hdr, const void **body)
{
    struct pollfd pfd[2];
    int64_t spin_end;
    int ret;

    if (svc->parked == 0)
        return sdb_chan_recv(&svc->chan, hdr, body, SERVICE_WAIT_MS);
    spin_end = sdb_mono_ns() + SERVICE_SPIN_NS;
    do {
        if ((ret = sdb_chan_recv(&svc->chan, hdr, body, 0)) != SDB_EAGAIN)
            return ret; /* a request, or the channel's end */
        pthread_mutex_lock(&svc->done_lock);
        ret = svc->done != NULL ? 0 : SDB_EAGAIN;
        pthread_mutex_unlock(&svc->done_lock);
        if (ret == 0)
            return SDB_EAGAIN;
    } while (sdb_mono_ns() < spin_end);
    /* armed: the worker's next frame writes the wake fd (channel.h, event-loop contract) */
    pfd[0] = (struct pollfd){.fd = sdb_chan_wake_fd(&svc->chan), .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = svc->done_fd, .events = POLLIN};
    if (poll(pfd, 2, SERVICE_WAIT_MS) > 0 && (pfd[0].revents & POLLIN) != 0)
        sdb_chan_drain_wake(&svc->chan);
    return SDB_EAGAIN;
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
    ctx.svc = svc;
    svc->parked = 0;
    if ((ret = ms_store_session_open(&ctx.session)) != 0) {
        sdb_logf(SDB_LOG_E, "STORAGE", 22001, "Cannot open a storage session", "%s",
                 sdb_strerror(ret));
        atomic_store(&svc->exited, 1);
        return NULL;
    }
    while (!atomic_load(&svc->stop)) {
        if ((ret = send_answers(svc)) != 0)
            break;
        ret = receive(svc, &hdr, &body);
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

/* queue_init -- the completion queue, once per service (it outlives restarts). */
static int
queue_init(ms_service_t *svc)
{
    if (svc->done_ready)
        return 0;
    if ((svc->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return errno;
    SDB_RET(pthread_mutex_init(&svc->done_lock, NULL));
    svc->done = NULL;
    svc->done_ready = true;
    return 0;
}

/*
 * ms_service_start --
 *     Start the service thread for one channel.
 */
int
ms_service_start(ms_service_t *svc)
{
    int ret;

    SDB_RET(queue_init(svc));
    atomic_fetch_add(&svc->gen, 1);
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
