/*
 * src/master/csimages.h -- pre- and post-images for change streams (`table:csimages`).
 *
 * A collection created or modified with changeStreamPreAndPostImages: {enabled: true} has
 * the stored document before an update or delete (pre) and the document after an update
 * (post) written here, keyed by (oplog timestamp, operation index), in the same WiredTiger
 * transaction as the write and its oplog entry (ms_oplog_commit), so an image exists exactly
 * when its oplog entry does.  Trimmed with the oplog.  Change streams read them with
 * CS_IMAGES for fullDocument whenAvailable/required and fullDocumentBeforeChange.
 *
 * Contract: ms_csimages_put runs inside the caller's transaction; the rest are storage
 * operations and housekeeping on any master thread with its own session.
 */
#ifndef MS_CSIMAGES_H
#define MS_CSIMAGES_H

#include "ops.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_CSIMAGES_URI "table:csimages"

/* ms_csimages_open -- create the table if needed (main thread, at open). */
int ms_csimages_open(WT_SESSION *s);

/* ms_csimages_enabled -- whether collection options ask for images. */
bool ms_csimages_enabled(const bson_t *options);

/* ms_csimages_put -- store {pre?, post?} for (ts, op) in the running transaction. */
int ms_csimages_put(WT_SESSION *s, uint64_t ts, uint32_t op, const bson_t *pre, const bson_t *post);

/* ms_csimages_trim -- delete the images of entries up to ts (in the running transaction). */
int ms_csimages_trim(WT_SESSION *s, uint64_t upto);

/* ms_csimages_op_get -- CS_IMAGES {ts, op} -> {pre?, post?}. */
int ms_csimages_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
