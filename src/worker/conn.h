/*
 * src/worker/conn.h -- one client connection: buffers, framing, replies.
 *
 * A connection reads whole wire messages from its socket (length prefix first; a length over
 * 48 MB or under 16 closes it), decodes them (wire.c), runs them through the dispatcher
 * (dispatch.c) and writes the encoded reply.  A handler may defer its reply
 * (awaitable hello): the connection then stops reading until wk_conn_send_deferred or
 * the connection closes.  Event-loop thread only.
 */
#ifndef WK_CONN_H
#define WK_CONN_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

struct event;
struct bufferevent;

typedef struct wk_conn {
    struct bufferevent *bev;
    int64_t id;    /* connectionId */
    char peer[64]; /* "ip:port" of the client */
    bool closing;
    /* deferred reply (awaitable hello) */
    struct event *defer_timer;
    int32_t defer_request_id;
    int32_t defer_opcode;
    uint32_t defer_flags;
    bson_t *defer_cmd; /* copy of the deferred command */
    char defer_db[128];
    bool hello_done;       /* first hello/isMaster seen */
    char client_meta[256]; /* driver name/version for the log */
    struct wk_conn *prev, *next; /* this worker's list of open connections */
} wk_conn_t;

/* wk_conn_accept -- take ownership of an accepted socket. */
void wk_conn_accept(int fd, const char *peer);

/* wk_conn_defer -- answer the current request later: re-dispatch `cmd` after `ms`
 * milliseconds with `rerun` set. The connection reads nothing else meanwhile. */
void wk_conn_defer(wk_conn_t *c, const bson_t *cmd, const char *db, int64_t ms);

/* wk_conn_close_all -- close every connection (orderly worker exit). */
void wk_conn_close_all(void);

/* wk_conn_close_all -- close every connection (orderly worker exit). */
void wk_conn_close_all(void);

/* wk_conn_count -- open connections in this worker. */
int64_t wk_conn_count(void);

#endif
