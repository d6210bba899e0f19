/*
 * src/worker/engine/view.h -- read-only views: resolution, and refusing writes on them.
 *
 * A view is a catalog entry whose options hold {viewOn, pipeline}.  Reads on a view run the
 * view's pipeline (and those of the views it is defined on) in front of the request, as
 * mongod rewrites them into an aggregation (cmd/view_read.h); writes fail with 166
 * CommandNotSupportedOnView.
 *
 * Contract: event-loop thread; the functions refresh the catalog cache and may call the
 * store.  On error cmd->err (or err) is set and SDB_ECLIENT returned.
 */
#ifndef WK_ENGINE_VIEW_H
#define WK_ENGINE_VIEW_H

#include "../command.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

/* wk_view_is -- is ns a view?  (Refreshes the catalog cache; false on a refresh failure.) */
bool wk_view_is(const char *ns);

/* wk_view_resolve -- when db.coll is a view: *is_view = true, `src` receives the backing
 * collection's name (without the db) and `pipeline` (an initialized array) the stages to run
 * on it, innermost view first.  165 ViewDepthLimitExceeded past 20 levels. */
int wk_view_resolve(const char *db, const char *coll, char *src, size_t srclen, bson_t *pipeline,
                    bool *is_view, sdb_error_t *err);

/* wk_view_refuse_write -- 166 CommandNotSupportedOnView when ns is a view, else 0. */
int wk_view_refuse_write(wk_cmd_t *cmd, const char *ns);

#endif
