/*
 * src/master/spool.h -- a cursor's spooled result: in the master's heap when small, else in a
 * temporary WiredTiger table.
 *
 * A blocking plan (sort, $group, ...) hands the master the rest of its result with
 * CURSOR_NEW {docs}.  A spool of at most MS_SPOOL_HEAP_ONE bytes stays in the heap while the
 * heap spools of every cursor together stay under MS_SPOOL_HEAP_CAP; anything else spills
 * into its own table `table:spool-<n>` (record number -> document bytes, not logged), written
 * with a bulk cursor and read back batch by batch.  Freeing the spool queues its table for the
 * housekeeping tick to drop (retried later when WiredTiger says EBUSY); tables left by a crash
 * or a shutdown are dropped at start-up.
 *
 * Ownership: the cursor table (cursors.c) owns each spool and calls these functions without
 * its lock held; a spool is used by one thread at a time (the one that checked its cursor
 * out, or the one dropping it).  Every function that takes a WT_SESSION uses it for the
 * table's WiredTiger work only.  An error leaves no table behind.
 */
#ifndef MS_SPOOL_H
#define MS_SPOOL_H

#include "../common/errors.h"

#include <bson/bson.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_SPOOL_HEAP_ONE (1024 * 1024)      /* a larger spool goes to a table */
#define MS_SPOOL_HEAP_CAP (64 * 1024 * 1024) /* all heap spools together */
#define MS_SPOOL_TICK_MS 200                 /* table drops per housekeeping tick */
#define MS_SPOOL_READY 4                     /* empty tables kept created ahead */

typedef struct ms_spool ms_spool_t;

/* ms_spool_new -- spool the documents of array `docs` (positioned before its first element,
 * every element a document); *out is NULL when the array is empty. */
int ms_spool_new(WT_SESSION *s, const bson_iter_t *docs, ms_spool_t **out, sdb_error_t *err);

/* ms_spool_append -- add the documents of array `docs` (positioned as for ms_spool_new) after
 * the spool's last one (*spp NULL: a new spool); a heap spool moves into a table first.  On
 * error the documents already written stay (the caller drops the cursor). */
int ms_spool_append(WT_SESSION *s, ms_spool_t **spp, const bson_iter_t *docs, sdb_error_t *err);

/* ms_spool_out -- append the next documents to array `arr` (keys "0", "1", ...): at most n
 * (n <= 0: no count limit) and at most max_bytes (always one when one remains). */
int ms_spool_out(WT_SESSION *s, ms_spool_t *sp, int64_t n, size_t max_bytes, bson_t *arr);

/* ms_spool_left -- documents not handed out yet (0 for NULL). */
int64_t ms_spool_left(const ms_spool_t *sp);

/* ms_spool_free -- release the spool; its table, if any, is queued for ms_spool_tick to drop
 * (a drop costs about 20 ms, too long for a service thread).  Any thread. */
void ms_spool_free(ms_spool_t *sp);

/* ms_spool_tick -- drop queued spool tables, then create empty ones ahead (up to
 * MS_SPOOL_READY), for at most about budget_ms; main thread, housekeeping session. */
void ms_spool_tick(WT_SESSION *s, int64_t budget_ms);

/* ms_spool_close -- at close: drop every queued and every ready table (s NULL: forget them;
 * the next start-up's sweep drops them). */
void ms_spool_close(WT_SESSION *s);

/* ms_spool_sweep -- at start-up, before any service thread: drop every spool table a
 * previous run left behind. */
int ms_spool_sweep(WT_SESSION *s);

/* ms_spool_table_take -- an empty spool table (one created ahead, else a new one) for another
 * owner of temporary data (tmptab.h); its URI into uri.  Give it back with
 * ms_spool_table_release. */
int ms_spool_table_take(WT_SESSION *s, char *uri, size_t len);

/* ms_spool_table_release -- queue a table from ms_spool_table_take for the housekeeping tick to
 * drop.  Any thread. */
void ms_spool_table_release(const char *uri);

/* ms_spool_heap_bytes -- bytes of every heap spool together (at most MS_SPOOL_HEAP_CAP). */
int64_t ms_spool_heap_bytes(void);

#endif
