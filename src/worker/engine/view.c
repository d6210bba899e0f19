/*
 * src/worker/engine/view.c -- read-only views: resolution, and refusing writes on them.
 *
 * A view is a catalog entry whose options are {viewOn, pipeline} (create with viewOn).
 * wk_view_resolve follows viewOn from view to view (at most 20 levels, mongod's limit) and
 * concatenates their pipelines, innermost first; the aggregate command runs that in front of
 * the request's own pipeline, on the backing collection.  find, count and distinct on a view
 * are rewritten into an aggregate command one layer up (cmd/view_read.c), since running a
 * pipeline is aggregation's, which sits above this folder.
 *
 * Invariants: event-loop thread.  Catalog entries are used only until the next store call
 * (names and pipelines are copied out before the aggregation runs).
 */
#include "view.h"

#include "../catalog_cache.h"
#include "args.h"
#include "exec.h"

#include <stdio.h>
#include <string.h>

#define VIEW_MAX_DEPTH 20

/* view_of -- the {viewOn, pipeline} of a cached entry, or false for a collection. */
static bool
view_of(const wk_coll_info_t *ci, const char **on, bson_iter_t *pipeline)
{
    bson_iter_t it;

    if (ci == NULL || !bson_iter_init_find(&it, &ci->options, "viewOn") ||
        !BSON_ITER_HOLDS_UTF8(&it))
        return false;
    *on = bson_iter_utf8(&it, NULL);
    if (!bson_iter_init_find(pipeline, &ci->options, "pipeline") ||
        !BSON_ITER_HOLDS_ARRAY(pipeline))
        memset(pipeline, 0, sizeof(*pipeline));
    return true;
}

bool
wk_view_is(const char *ns)
{
    const char *on;
    bson_iter_t p;
    sdb_error_t e;

    return wk_cmdu_refresh(&e) == 0 && view_of(wk_catalog_find(ns), &on, &p);
}

/* prepend -- `stages` (an array iterator, or zeroed) followed by the elements of `arr`. */
static void
prepend(const bson_iter_t *stages, bson_t *arr)
{
    bson_t out = BSON_INITIALIZER;
    bson_iter_t it, s;
    uint32_t n = 0;
    char key[16];
    const char *k;

    if (stages->raw != NULL && bson_iter_recurse(stages, &s))
        while (bson_iter_next(&s)) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            bson_append_iter(&out, k, -1, &s);
        }
    bson_iter_init(&it, arr);
    while (bson_iter_next(&it)) {
        bson_uint32_to_string(n++, &k, key, sizeof(key));
        bson_append_iter(&out, k, -1, &it);
    }
    bson_reinit(arr);
    bson_concat(arr, &out);
    bson_destroy(&out);
}

int
wk_view_resolve(const char *db, const char *coll, char *src, size_t srclen, bson_t *pipeline,
                bool *is_view, sdb_error_t *err)
{
    char ns[WK_NS_MAX];
    const char *on;
    bson_iter_t stages;

    *is_view = false;
    snprintf(src, srclen, "%s", coll);
    SDB_RET(wk_cmdu_refresh(err));
    for (int depth = 0;; depth++) {
        snprintf(ns, sizeof(ns), "%s.%s", db, src);
        if (!view_of(wk_catalog_find(ns), &on, &stages))
            return 0;
        if (depth >= VIEW_MAX_DEPTH)
            return sdb_error_set(err, SDB_CODE_ViewDepthLimitExceeded,
                                 "View depth too deep or view cycle detected; maximum depth is "
                                 "%d",
                                 VIEW_MAX_DEPTH);
        *is_view = true;
        prepend(&stages, pipeline);
        snprintf(src, srclen, "%s", on);
    }
}

int
wk_view_refuse_write(wk_cmd_t *cmd, const char *ns)
{
    if (!wk_view_is(ns))
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupportedOnView,
                         "Namespace %s is a view, not a collection", ns);
}
