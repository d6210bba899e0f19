/*
 * src/worker/accept.h -- taking connections off the shared listening socket, within limits.
 *
 * Every worker polls the one listening socket the master opened.  Two limits apply: the
 * server-wide connection cap (--maxConns, default as mongod's from the descriptor limit),
 * and this process's descriptor limit (accept failing with EMFILE/ENFILE).  Past the cap a
 * connection is accepted and closed at once (a log line, serverStatus connections.rejected);
 * at the descriptor limit the worker stops polling the socket so the other workers drain its
 * backlog, logs it once, and resumes when one of its connections closes or a short timer
 * fires.  Event-loop thread only.
 */
#ifndef WK_ACCEPT_H
#define WK_ACCEPT_H

#include <stdint.h>

/* wk_accept_start -- start accepting on fd_listen (adds the listen event to wk_base) and
 * zero this slot's open and active connection counts (a respawned worker inherits none of
 * its predecessor's connections).  0 or errno. */
int wk_accept_start(int fd_listen);

/* wk_accept_stop -- stop accepting for good (orderly exit). */
void wk_accept_stop(void);

/* wk_accept_free -- free the events and the reserve descriptor (after the loop ended). */
void wk_accept_free(void);

/* wk_accept_conn_closed -- conn.c: one of this worker's connections closed and freed its
 * descriptor; resume accepting if the descriptor limit had paused it. */
void wk_accept_conn_closed(void);

/* wk_accept_limit -- the server-wide connection cap in force. */
int64_t wk_accept_limit(void);

/* wk_accept_open -- connections open on the whole server (every worker's slot summed). */
int64_t wk_accept_open(void);

#endif
