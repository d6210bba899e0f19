/*
 * src/master/flush.h -- the journal flush (FLUSH: j: true, w: "majority"), off the channels.
 *
 * A FLUSH request parks (service.h) and joins the flusher's queue; the flusher thread, with
 * its own WT_SESSION, flushes the WiredTiger log once for every request queued so far (group
 * commit) and answers them all.  So the service thread of a channel keeps serving that
 * channel's other requests while a flush is on disk, and concurrent j:true writes share one
 * fsync.
 *
 * Contract: ms_flush_start and ms_flush_stop run on the main thread, after the store is open
 * and before it closes (after the service threads stopped); ms_flush_request from service
 * threads.
 */
#ifndef MS_FLUSH_H
#define MS_FLUSH_H

#include "service.h"

#include <stdbool.h>

/* ms_flush_start -- start the flusher thread. */
int ms_flush_start(void);

/* ms_flush_stop -- answer what is queued (after a last flush) and join the thread. */
void ms_flush_stop(void);

/* ms_flush_request -- queue parked request `p`: it is answered {} once the log holds every
 * write committed before this call (with `checkpoint`: once a checkpoint has written every
 * table, for fsync), or with the flush's error.  Without a running flusher the caller's own
 * session flushes now (start-up, tests). */
void ms_flush_request(ms_later_t *p, WT_SESSION *s, bool checkpoint);

#endif
