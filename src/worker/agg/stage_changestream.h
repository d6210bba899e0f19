/*
 * src/worker/agg/stage_changestream.h -- $changeStream: change events read from the oplog.
 *
 * A change stream is an aggregate whose first stage is $changeStream.  The worker reads the
 * master's oplog (SCAN of local.oplog.rs, which never shows entries past the published head,
 * so a reader never sees a hole), turns each entry into events (stage_changestream_event.c),
 * runs the rest of the pipeline on every event and returns them in batches.  The cursor lives
 * in the master's cursor table with state {kind: "changestream", ...: the stream's options,
 * the rest of the pipeline and its resume point}, so any worker continues it.  An awaitData
 * getMore that finds nothing parks its coroutine on wk_oplog_wait (oplog_wait.h) up to
 * maxTimeMS (1 s by default), then reads again.  Every batch carries postBatchResumeToken.
 *
 * Contract: event-loop thread, in a command coroutine.
 */
#ifndef WK_STAGE_CHANGESTREAM_H
#define WK_STAGE_CHANGESTREAM_H

#include "../../common/resume_token.h"
#include "../command.h"
#include "agg.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define WK_CS_DB_MAX 64
#define WK_CS_COLL_MAX 256

enum {
    WK_CS_IMG_OFF,
    WK_CS_IMG_LOOKUP,
    WK_CS_IMG_WHEN_AVAILABLE,
    WK_CS_IMG_REQUIRED
};

/* wk_cs_t -- what a stream watches and how it renders events (parsed from its spec). */
typedef struct wk_cs {
    char db[WK_CS_DB_MAX];     /* the command's database */
    char coll[WK_CS_COLL_MAX]; /* "" for a database or cluster stream */
    bool all;                  /* allChangesForCluster */
    bool expanded;             /* showExpandedEvents */
    int full_doc;              /* WK_CS_IMG_OFF (default) .. REQUIRED */
    int before;                /* fullDocumentBeforeChange: OFF, WHEN_AVAILABLE, REQUIRED */
} wk_cs_t;

/* wk_cs_event_t -- one event and its position. */
typedef struct wk_cs_event {
    bson_t *doc;      /* owned */
    sdb_rtoken_t tok; /* its resume token */
    bool invalidate;  /* the stream ends after it */
    bool want_pre;    /* update/replace/delete: fullDocumentBeforeChange wanted */
    bool want_post;   /* update: fullDocument from the stored post-image */
    bool want_lookup; /* update: fullDocument by updateLookup */
    bson_value_t key; /* documentKey _id (owned) for updateLookup */
    char ns[WK_CS_DB_MAX + WK_CS_COLL_MAX + 2];
} wk_cs_event_t;

typedef struct wk_cs_events {
    wk_cs_event_t *v;
    size_t n, cap;
} wk_cs_events_t;

/* wk_cs_entry_events -- append the events oplog entry `entry` (timestamp ts) makes for the
 * stream, in order (an applyOps entry yields one per operation, a drop or rename of the
 * watched collection or a dropDatabase of the watched database an invalidate after it). */
void wk_cs_entry_events(const wk_cs_t *cs, const bson_t *entry, uint64_t ts, wk_cs_events_t *out);

/* wk_cs_events_free -- release every event and the vector. */
void wk_cs_events_free(wk_cs_events_t *e);

/* wk_cs_view -- a static view of the document or array field `key` of b; false when absent. */
bool wk_cs_view(const bson_t *b, const char *key, bson_t *out);

/* wk_cs_first_stage -- whether the pipeline array `it` points at starts with $changeStream. */
bool wk_cs_first_stage(const bson_iter_t *pipeline);

/* wk_cs_check_position -- 40602 when $changeStream appears past the first stage (mongod's
 * position rule; the stage table does not know $changeStream, which aggregate runs itself). */
int wk_cs_check_position(const bson_iter_t *pipeline, sdb_error_t *err);

/* wk_cs_aggregate -- the aggregate command of a change stream: coll is NULL for
 * {aggregate: 1}; appends {cursor: {firstBatch, postBatchResumeToken, id, ns}} to the reply. */
int wk_cs_aggregate(wk_cmd_t *cmd, const char *coll, const bson_iter_t *pipeline,
                    int64_t batch_size);

/* wk_cs_is_state -- whether a CURSOR_GET reply is a change stream's cursor. */
bool wk_cs_is_state(const bson_t *got);

/* wk_cs_getmore -- getMore of a checked-out change-stream cursor: builds the reply and checks
 * the cursor back in (or drops it once invalidated or after a fatal error). */
int wk_cs_getmore(wk_cmd_t *cmd, int64_t id, const char *ns, const bson_t *got, int64_t batch_size);

#endif
