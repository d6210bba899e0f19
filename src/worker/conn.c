/*
 * src/worker/conn.c -- client connections: read whole messages, run them, write replies.
 *
 * Each connection has a persistent read event and its own input buffer.  on_read reads what
 * the socket has, then takes complete messages in order: the length prefix is validated
 * first (under 16 or over 48 MB closes the connection, as mongod does), the message is
 * decoded (wire.c; a message that fails to decode is answered with an error reply) and the
 * request runs on a coroutine (coro.h).  While a request of a connection runs, no further
 * message of that connection starts; when a suspended request finishes, the connection is
 * kicked to continue with what is buffered.  A reply is written with one send(); only what
 * the kernel does not take at once is kept and written on the write event.  A connection
 * that closes while a request runs is freed when the request finishes.  Counters in the
 * global segment are this worker's own slot; conn_current is counted up by accept.c when it
 * admits a connection and down here when it is freed.  TLS (tls.h) sits below the buffers: a
 * new connection first goes through wk_tls_start (TLS or plaintext, then the handshake) on
 * its read event, and afterwards conn_recv / conn_send pick SSL or the socket.  Event-loop
 * thread only.
 */
#include "conn.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "accept.h"
#include "catalog_cache.h"
#include "coro.h"
#include "dispatch.h"
#include "op_registry.h"
#include "tls.h"
#include "wire.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IOBUF_MIN (16 * 1024)
#define IOBUF_KEEP (256 * 1024) /* shrink back to IOBUF_MIN above this once drained */

typedef struct request {
    wk_conn_t *c;
    wk_wire_req_t req;
} request_t;

static int64_t nconns;
static wk_conn_t *conns; /* list head of open connections */

static void on_read(evutil_socket_t fd, short what, void *arg);

/*
 * wk_conn_count --
 *     Open connections in this worker.
 */
int64_t
wk_conn_count(void)
{
    return nconns;
}

static int
iobuf_reserve(wk_iobuf_t *b, size_t want)
{
    size_t cap;

    if (b->off > 0 && (b->off == b->len || b->cap - b->len < want)) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->cap - b->len >= want)
        return 0;
    cap = b->cap < IOBUF_MIN ? IOBUF_MIN : b->cap;
    while (cap - b->len < want)
        cap *= 2;
    b->data = bson_realloc(b->data, cap);
    b->cap = cap;
    return 0;
}

static void
iobuf_consumed(wk_iobuf_t *b)
{
    if (b->off < b->len)
        return;
    b->off = b->len = 0;
    if (b->cap > IOBUF_KEEP) {
        bson_free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

static void
conn_free(wk_conn_t *c)
{
    wk_opreg_conn_close(c->opreg_row);
    event_free(c->ev_read);
    event_free(c->ev_write);
    wk_tls_free(c);
    close(c->fd);
    bson_free(c->in.data);
    bson_free(c->out.data);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    nconns--;
    atomic_fetch_sub(&wk_counters()->conn_current, 1); /* accept.c counted it */
    bson_free(c);
    wk_accept_conn_closed();
}

/* Stop serving c; free it now or, while a request runs, when that request ends. */
static void
conn_close(wk_conn_t *c)
{
    c->closing = true;
    event_del(c->ev_read);
    event_del(c->ev_write);
    if (!c->busy && !c->in_process)
        conn_free(c);
}

/*
 * wk_conn_close_all --
 *     Close every open connection (orderly worker exit; suspended requests are abandoned).
 */
void
wk_conn_close_all(void)
{
    while (conns != NULL)
        conn_free(conns);
}

/* read(2) or its TLS equivalent. */
static ssize_t
conn_recv(wk_conn_t *c, void *buf, size_t len)
{
    return c->ssl != NULL ? wk_tls_read(c, buf, len) : read(c->fd, buf, len);
}

/* send(2) or its TLS equivalent. */
static ssize_t
conn_send(wk_conn_t *c, const void *buf, size_t len)
{
    return c->ssl != NULL ? wk_tls_write(c, buf, len) : send(c->fd, buf, len, MSG_NOSIGNAL);
}

/* Until c carries messages: sniff TLS or plaintext and run the handshake (tls.h), waiting on
 * the event it asks for.  True once c is ready; false to wait (or when c was closed). */
static bool
conn_ready(wk_conn_t *c)
{
    int rc;

    if (c->tls_phase == WK_TLS_PLAIN || c->tls_phase == WK_TLS_OPEN)
        return true;
    rc = wk_tls_start(c);
    if (rc < 0) {
        conn_close(c);
        return false;
    }
    if (rc == WK_TLS_WANT_WRITE)
        event_add(c->ev_write, NULL);
    else
        event_del(c->ev_write);
    return rc == 0;
}

static void
send_out(wk_conn_t *c, uint8_t *out, size_t outlen)
{
    ssize_t n = 0;

    if (out == NULL)
        return;
    atomic_fetch_add(&wk_counters()->bytes_out, outlen);
    if (!c->closing && c->out.off == c->out.len) {
        n = conn_send(c, out, outlen);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            bson_free(out);
            conn_close(c);
            return;
        }
        if (n < 0)
            n = 0;
    }
    if (!c->closing && (size_t)n < outlen) {
        iobuf_reserve(&c->out, outlen - (size_t)n);
        memcpy(c->out.data + c->out.len, out + n, outlen - (size_t)n);
        c->out.len += outlen - (size_t)n;
        event_add(c->ev_write, NULL);
    }
    bson_free(out);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
    wk_conn_t *c = arg;
    ssize_t n;

    (void)fd;
    if (c->tls_phase == WK_TLS_HANDSHAKE) {
        if (conn_ready(c)) /* OpenSSL may hold what the client sent after its Finished */
            event_active(c->ev_read, EV_READ, 0);
        return;
    }
    n = conn_send(c, c->out.data + c->out.off, c->out.len - c->out.off);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        conn_close(c);
        return;
    }
    if (n > 0)
        c->out.off += (size_t)n;
    if (c->out.off == c->out.len) {
        iobuf_consumed(&c->out);
        event_del(c->ev_write);
    }
}

/* The body of a request coroutine. */
static void
request_main(void *arg)
{
    request_t *r = arg;
    wk_conn_t *c = r->c;
    uint8_t *out = NULL;
    size_t outlen = 0;

    /* An exhaust reply streams: run the rewritten request again until it stops. */
    while (wk_dispatch_request(c, &r->req, &out, &outlen) && !c->closing && !wk_stopping) {
        send_out(c, out, outlen);
        out = NULL;
        outlen = 0;
    }
    wk_wire_req_destroy(&r->req);
    bson_free(r);
    send_out(c, out, outlen);
    c->busy = false;
    atomic_fetch_sub(&wk_counters()->conn_active, 1);
    if (c->closing && !c->in_process)
        conn_free(c);
    else if (!c->in_process && c->in.off < c->in.len)
        event_active(c->ev_read, EV_TIMEOUT, 0); /* continue with what is buffered */
}

/* Decode one message and start it on a coroutine (or answer its decode error). */
static void
start_message(wk_conn_t *c, const uint8_t *msg, size_t len)
{
    request_t *r = bson_malloc0(sizeof(*r));
    sdb_error_t err;
    uint8_t *out = NULL;
    size_t outlen = 0;
    int32_t reqid, opcode;

    memset(&err, 0, sizeof(err));
    atomic_fetch_add(&wk_counters()->requests, 1);
    atomic_fetch_add(&wk_counters()->bytes_in, len);
    if (wk_wire_decode(msg, len, &r->req, &err) != 0) {
        memcpy(&reqid, msg + 4, 4);
        memcpy(&opcode, msg + 12, 4);
        sdb_logf(SDB_LOG_W, "NETWORK", 22988, "Bad message from client", "%s: %s", c->peer,
                 err.msg);
        wk_wire_req_destroy(&r->req);
        bson_free(r);
        wk_dispatch_error_reply(&err, reqid, opcode, &out, &outlen);
        send_out(c, out, outlen);
        return;
    }
    r->c = c;
    c->busy = true;
    atomic_fetch_add(&wk_counters()->conn_active, 1);
    if (wk_coro_spawn(request_main, r) != 0)
        request_main(r); /* no memory for a stack: run inline, blocking this worker */
}

/* Start buffered messages of c in order until one is still running. */
static void
process_input(wk_conn_t *c)
{
    int32_t msglen;

    c->in_process = true;
    while (!c->closing && !c->busy && !wk_stopping && c->in.len - c->in.off >= 4) {
        if (wk_wire_frame_len(c->in.data + c->in.off, c->in.len - c->in.off, &msglen) != 0) {
            sdb_logf(SDB_LOG_W, "NETWORK", 22989, "Closing connection: bad message length", "%s",
                     c->peer);
            conn_close(c);
            break;
        }
        if (c->in.len - c->in.off < (size_t)msglen) {
            iobuf_reserve(&c->in, (size_t)msglen - (c->in.len - c->in.off));
            break;
        }
        c->in.off += (size_t)msglen;
        start_message(c, c->in.data + c->in.off - msglen, (size_t)msglen);
    }
    c->in_process = false;
    if (c->closing && !c->busy) {
        conn_free(c);
        return;
    }
    if (!c->busy)
        iobuf_consumed(&c->in);
    if (wk_coro_active() == 0)
        wk_catalog_gc();
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
    wk_conn_t *c = arg;
    ssize_t n;

    if (what & EV_READ) {
        if (c->busy && c->in.len - c->in.off > WK_WIRE_MAX_MESSAGE) {
            return; /* enough buffered; the socket backs up until the request ends */
        }
        if (!conn_ready(c))
            return;
        do { /* TLS: also what OpenSSL holds decrypted */
            iobuf_reserve(&c->in, IOBUF_MIN);
            n = conn_recv(c, c->in.data + c->in.len, c->in.cap - c->in.len);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                conn_close(c);
                return;
            }
            if (n > 0)
                c->in.len += (size_t)n;
        } while (n > 0 && c->ssl != NULL && wk_tls_pending(c));
    }
    process_input(c);
}

/*
 * wk_conn_accept --
 *     Take ownership of an accepted socket.
 */
void
wk_conn_accept(int fd, const char *peer)
{
    wk_conn_t *c = bson_malloc0(sizeof(*c));

    c->fd = fd;
    c->ev_read = event_new(wk_base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->ev_write = event_new(wk_base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    c->id = (int64_t)atomic_fetch_add(&wk_global->next_conn_id, 1) + 1;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->opreg_row = wk_opreg_conn_open(c->id, c->peer); /* currentOp's idle entries */
    nconns++;
    c->next = conns;
    if (conns != NULL)
        conns->prev = c;
    conns = c;
    atomic_fetch_add(&wk_counters()->conn_total, 1);
    event_add(c->ev_read, NULL);
}
