/*
 * src/worker/conn.h -- one client connection: buffers, framing, replies.
 *
 * A connection reads whole wire messages from its socket into its own input buffer (length
 * prefix first; a length over 48 MB or under 16 closes it, as mongod does), decodes each
 * (wire.c) and runs it on a coroutine of its own (coro.h) through the dispatcher
 * (dispatch.c), so a request waiting for the master does not stop the worker's other
 * connections.  Requests of one connection run one at a time, in order.  Replies are
 * written straight to the socket; only what the kernel does not take at once is buffered.
 * Event-loop thread only.
 */
#ifndef WK_CONN_H
#define WK_CONN_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

struct event;
struct ssl_st;

typedef struct wk_iobuf {
    uint8_t *data;
    size_t off, len, cap; /* bytes [off, len) are pending */
} wk_iobuf_t;

typedef struct wk_conn {
    int fd;
    struct event *ev_read;  /* persistent read interest */
    struct event *ev_write; /* added only while output is pending */
    wk_iobuf_t in, out;
    int64_t id;                  /* connectionId */
    char peer[64];               /* "ip:port" of the client */
    bool busy;                   /* a request of this connection is running */
    bool closing;                /* peer gone or fatal error: free when no longer busy */
    bool in_process;             /* process_input is on the stack: it frees a closing conn */
    bool hello_done;             /* first hello/isMaster seen */
    bool internal_client;        /* first hello carried internalClient (failpoints skip it) */
    char app_name[128];          /* client.application.name of the first hello, or "" */
    struct ssl_st *ssl;          /* TLS session (tls.c), or NULL */
    uint8_t tls_phase;           /* WK_TLS_* (tls.h): sniffing, handshake, plaintext, TLS */
    char *tls_subject;           /* verified client certificate subject, or NULL (tls.h) */
    struct wk_conn *prev, *next; /* this worker's list of open connections */
    int opreg_row;               /* its row of currentOp's connection list, -1 for none */
} wk_conn_t;

/* wk_conn_accept -- take ownership of an accepted socket that accept.c admitted (and counted
 * in conn_current). */
void wk_conn_accept(int fd, const char *peer);

/* wk_conn_close_all -- close every connection (orderly worker exit). */
void wk_conn_close_all(void);

/* wk_conn_count -- open connections in this worker. */
int64_t wk_conn_count(void);

#endif
