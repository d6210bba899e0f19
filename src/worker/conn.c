/*
 * src/worker/conn.c -- client connections: read whole messages, dispatch, write replies.
 *
 * Each connection is a libevent bufferevent.  The read callback takes as many complete
 * messages as the input buffer holds (length prefix validated first: under 16 or over 48 MB
 * closes the connection, as mongod does), decodes each (wire.c) and dispatches it
 * (dispatch.c).  A message that fails to decode is answered with an error reply when its
 * header was sane.  A deferred reply (awaitable hello) parks the connection: reading stops
 * until the timer fires and the command is re-run.  Counters in the global segment are this
 * worker's own slot.  Event-loop thread only.
 */
#include "conn.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "dispatch.h"
#include "wire.h"
#include "worker.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

static int64_t nconns;
static wk_conn_t *conns; /* list head of open connections */

/*
 * wk_conn_count --
 *     Open connections in this worker.
 */
int64_t
wk_conn_count(void)
{
    return nconns;
}

static void
conn_free(wk_conn_t *c)
{
    if (c->defer_timer != NULL)
        event_free(c->defer_timer);
    if (c->defer_cmd != NULL)
        bson_destroy(c->defer_cmd);
    bufferevent_free(c->bev);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    nconns--;
    atomic_fetch_sub(&wk_counters()->conn_current, 1);
    bson_free(c);
}

/*
 * wk_conn_close_all --
 *     Close every open connection (orderly worker exit).
 */
void
wk_conn_close_all(void)
{
    while (conns != NULL)
        conn_free(conns);
}

static void
free_reply(const void *data, size_t len, void *arg)
{
    bson_free((void *)data);
}

static void
send_out(wk_conn_t *c, uint8_t *out, size_t outlen)
{
    if (out == NULL)
        return;
    atomic_fetch_add(&wk_counters()->bytes_out, outlen);
    evbuffer_add_reference(bufferevent_get_output(c->bev), out, outlen, free_reply, NULL);
}

static void
handle_message(wk_conn_t *c, const uint8_t *msg, size_t len)
{
    wk_wire_req_t req;
    sdb_error_t err;
    uint8_t *out = NULL;
    size_t outlen = 0;
    int32_t reqid, opcode;

    memset(&req, 0, sizeof(req));
    memset(&err, 0, sizeof(err));
    atomic_fetch_add(&wk_counters()->requests, 1);
    atomic_fetch_add(&wk_counters()->bytes_in, len);
    if (wk_wire_decode(msg, len, &req, &err) != 0) {
        memcpy(&reqid, msg + 4, 4);
        memcpy(&opcode, msg + 12, 4);
        sdb_logf(SDB_LOG_W, "NETWORK", 22988, "Bad message from client", "%s: %s", c->peer,
                 err.msg);
        wk_dispatch_error_reply(&err, reqid, opcode, &out, &outlen);
        send_out(c, out, outlen);
        return;
    }
    wk_dispatch_request(c, &req, false, &out, &outlen);
    wk_wire_req_destroy(&req);
    send_out(c, out, outlen);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    wk_conn_t *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t head[4];
    int32_t msglen;

    while (!c->closing && c->defer_cmd == NULL) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 4)
            break;
        evbuffer_copyout(in, head, 4);
        if (wk_wire_frame_len(head, 4, &msglen) != 0) {
            sdb_logf(SDB_LOG_W, "NETWORK", 22989, "Closing connection: bad message length", "%s",
                     c->peer);
            conn_free(c);
            return;
        }
        if (avail < (size_t)msglen) {
            bufferevent_setwatermark(bev, EV_READ, (size_t)msglen, 0);
            break;
        }
        bufferevent_setwatermark(bev, EV_READ, 0, 0);
        handle_message(c, evbuffer_pullup(in, msglen), (size_t)msglen);
        evbuffer_drain(in, (size_t)msglen);
    }
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    wk_conn_t *c = arg;

    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(c);
}

/*
 * wk_conn_accept --
 *     Take ownership of an accepted socket.
 */
void
wk_conn_accept(int fd, const char *peer)
{
    wk_conn_t *c = bson_malloc0(sizeof(*c));

    c->bev = bufferevent_socket_new(wk_base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        close(fd);
        bson_free(c);
        return;
    }
    c->id = (int64_t)atomic_fetch_add(&wk_global->next_conn_id, 1) + 1;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    nconns++;
    c->next = conns;
    if (conns != NULL)
        conns->prev = c;
    conns = c;
    atomic_fetch_add(&wk_counters()->conn_current, 1);
    atomic_fetch_add(&wk_counters()->conn_total, 1);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_defer_timer(evutil_socket_t fd, short what, void *arg)
{
    wk_conn_t *c = arg;
    wk_wire_req_t req;
    uint8_t *out = NULL;
    size_t outlen = 0;

    memset(&req, 0, sizeof(req));
    req.request_id = c->defer_request_id;
    req.opcode = c->defer_opcode;
    req.flags = c->defer_flags;
    bson_copy_to(c->defer_cmd, &req.cmd);
    bson_destroy(c->defer_cmd);
    c->defer_cmd = NULL;
    wk_dispatch_request(c, &req, true, &out, &outlen);
    wk_wire_req_destroy(&req);
    send_out(c, out, outlen);
    on_read(c->bev, c); /* anything that arrived meanwhile */
}

/*
 * wk_conn_defer --
 *     Park the current request and re-run it after `ms` milliseconds.
 */
void
wk_conn_defer(wk_conn_t *c, const bson_t *cmd, const char *db, int64_t ms)
{
    struct timeval tv;

    if (c->defer_timer == NULL)
        c->defer_timer = evtimer_new(wk_base, on_defer_timer, c);
    c->defer_cmd = bson_copy(cmd);
    snprintf(c->defer_db, sizeof(c->defer_db), "%s", db);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(c->defer_timer, &tv);
}
