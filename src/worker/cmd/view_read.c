/*
 * src/worker/cmd/view_read.c -- find, count and distinct on a view, answered by aggregate.
 *
 * find, count and distinct on a view (engine/view.h says which namespaces are views) are
 * rewritten into an aggregate command on the view (filter -> $match, sort -> $sort, skip,
 * limit, projection -> $project; count ends in $count; distinct unwinds the key and collects
 * it with $addToSet), which is how mongod answers them; the rewritten command runs through
 * wk_cmd_aggregate, so cursors and getMore are those of aggregate and the view's pipeline is
 * put in front by aggregate's own view resolution.
 *
 * Invariants: event-loop thread.
 */
#include "view_read.h"

#include "../engine/args.h"

#include <stdio.h>

/* stage -- append {name: value of `it`} to the pipeline array being built. */
static void
stage(bson_t *arr, uint32_t *n, const char *name, const bson_iter_t *it)
{
    bson_t st;
    char key[16];
    const char *k;

    bson_uint32_to_string((*n)++, &k, key, sizeof(key));
    bson_append_document_begin(arr, k, -1, &st);
    wk_cmdu_append_iter_as(&st, name, it);
    bson_append_document_end(arr, &st);
}

/* run_agg -- run {aggregate: <view>, pipeline, cursor: {batchSize?}, collation?, let?, lsid?,
 * readConcern?} with the request's collation, let, session and read concern, appending its
 * reply to `reply`. */
static int
run_agg(wk_cmd_t *cmd, const bson_t *pipeline, const bson_iter_t *batch, bson_t *reply)
{
    bson_t body = BSON_INITIALIZER, cur;
    bson_iter_t it;
    wk_cmd_t sub = *cmd;
    int ret;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    BSON_APPEND_UTF8(&body, "aggregate", bson_iter_utf8(&it, NULL));
    BSON_APPEND_ARRAY(&body, "pipeline", pipeline);
    BSON_APPEND_DOCUMENT_BEGIN(&body, "cursor", &cur);
    if (batch != NULL)
        wk_cmdu_append_iter_as(&cur, "batchSize", batch);
    bson_append_document_end(&body, &cur);
    if (bson_iter_init_find(&it, cmd->body, "collation"))
        bson_append_iter(&body, "collation", -1, &it);
    if (bson_iter_init_find(&it, cmd->body, "let"))
        bson_append_iter(&body, "let", -1, &it);
    /* the cursor belongs to the request's session and reads at its snapshot, if any */
    if (bson_iter_init_find(&it, cmd->body, "lsid"))
        bson_append_iter(&body, "lsid", -1, &it);
    if (bson_iter_init_find(&it, cmd->body, "readConcern"))
        bson_append_iter(&body, "readConcern", -1, &it);
    sub.name = "aggregate";
    sub.body = &body;
    sub.reply = reply;
    ret = wk_cmd_aggregate(&sub);
    cmd->err = sub.err;
    cmd->err_extra = sub.err_extra;
    bson_destroy(&body);
    return ret;
}

/* first_result -- the first document of an aggregate reply's firstBatch, as a view. */
static bool
first_result(const bson_t *reply, bson_t *doc)
{
    bson_iter_t it, b;
    const uint8_t *data;
    uint32_t len;

    if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, "cursor.firstBatch", &b) ||
        !bson_iter_recurse(&b, &it) || !bson_iter_next(&it) || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &data);
    return bson_init_static(doc, data, len);
}

int
wk_view_find(wk_cmd_t *cmd)
{
    static const char *const opts[][2] = {
        {"filter", "$match"}, {"sort", "$sort"},          {"skip", "$skip"},
        {"limit", "$limit"},  {"projection", "$project"}, {NULL, NULL},
    };
    bson_t arr = BSON_INITIALIZER;
    bson_iter_t it, batch;
    bool has_batch;
    uint32_t n = 0;
    int ret;

    for (size_t i = 0; opts[i][0] != NULL; i++) {
        if (!bson_iter_init_find(&it, cmd->body, opts[i][0]) || BSON_ITER_HOLDS_NULL(&it))
            continue;
        if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &batch) &&
            !bson_iter_next(&batch))
            continue; /* an empty filter, sort or projection */
        if (BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_int64(&it) == 0)
            continue; /* skip 0, limit 0 */
        stage(&arr, &n, opts[i][1], &it);
    }
    has_batch = bson_iter_init_find(&batch, cmd->body, "batchSize");
    ret = run_agg(cmd, &arr, has_batch ? &batch : NULL, cmd->reply);
    bson_destroy(&arr);
    return ret;
}

int
wk_view_count(wk_cmd_t *cmd)
{
    bson_t arr = BSON_INITIALIZER, reply = BSON_INITIALIZER, doc, cnt = BSON_INITIALIZER;
    bson_iter_t it;
    uint32_t n = 0;
    int ret = 0;

    if (bson_iter_init_find(&it, cmd->body, "query") && BSON_ITER_HOLDS_DOCUMENT(&it))
        stage(&arr, &n, "$match", &it);
    if (bson_iter_init_find(&it, cmd->body, "skip") && BSON_ITER_HOLDS_NUMBER(&it) &&
        bson_iter_as_int64(&it) > 0)
        stage(&arr, &n, "$skip", &it);
    if (bson_iter_init_find(&it, cmd->body, "limit") && BSON_ITER_HOLDS_NUMBER(&it) &&
        bson_iter_as_int64(&it) != 0) {
        bson_t lim = BSON_INITIALIZER;
        int64_t l = bson_iter_as_int64(&it);

        BSON_APPEND_INT64(&lim, "l", l < 0 ? -l : l);
        bson_iter_init_find(&it, &lim, "l");
        stage(&arr, &n, "$limit", &it);
        bson_destroy(&lim);
    }
    BSON_APPEND_UTF8(&cnt, "c", "n");
    bson_iter_init_find(&it, &cnt, "c");
    stage(&arr, &n, "$count", &it);
    SDB_ERR(run_agg(cmd, &arr, NULL, &reply));
    if (first_result(&reply, &doc) && bson_iter_init_find(&it, &doc, "n"))
        wk_cmdu_append_iter_as(cmd->reply, "n", &it);
    else
        BSON_APPEND_INT32(cmd->reply, "n", 0);
err:
    bson_destroy(&arr);
    bson_destroy(&reply);
    bson_destroy(&cnt);
    return ret;
}

/* distinct_stages -- {$unwind: {path: "$key", preserveNullAndEmptyArrays: false}},
 * {$group: {_id: null, values: {$addToSet: "$key"}}} into `st` (a document {u, g}). */
static void
distinct_stages(const char *key, bson_t *st)
{
    bson_t u, g, v;
    char path[WK_NS_MAX];

    snprintf(path, sizeof(path), "$%s", key);
    BSON_APPEND_DOCUMENT_BEGIN(st, "u", &u);
    BSON_APPEND_UTF8(&u, "path", path);
    BSON_APPEND_BOOL(&u, "preserveNullAndEmptyArrays", false);
    bson_append_document_end(st, &u);
    BSON_APPEND_DOCUMENT_BEGIN(st, "g", &g);
    BSON_APPEND_NULL(&g, "_id");
    BSON_APPEND_DOCUMENT_BEGIN(&g, "values", &v);
    BSON_APPEND_UTF8(&v, "$addToSet", path);
    bson_append_document_end(&g, &v);
    bson_append_document_end(st, &g);
}

int
wk_view_distinct(wk_cmd_t *cmd)
{
    bson_t arr = BSON_INITIALIZER, reply = BSON_INITIALIZER, st = BSON_INITIALIZER, doc;
    bson_iter_t it;
    uint32_t n = 0;
    int ret = 0;

    if (!bson_iter_init_find(&it, cmd->body, "key") || !BSON_ITER_HOLDS_UTF8(&it))
        SDB_ERR(sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                              "BSON field 'distinct.key' is missing but a required field"));
    distinct_stages(bson_iter_utf8(&it, NULL), &st);
    if (bson_iter_init_find(&it, cmd->body, "query") && BSON_ITER_HOLDS_DOCUMENT(&it))
        stage(&arr, &n, "$match", &it);
    bson_iter_init_find(&it, &st, "u");
    stage(&arr, &n, "$unwind", &it);
    bson_iter_init_find(&it, &st, "g");
    stage(&arr, &n, "$group", &it);
    SDB_ERR(run_agg(cmd, &arr, NULL, &reply));
    if (first_result(&reply, &doc) && bson_iter_init_find(&it, &doc, "values"))
        wk_cmdu_append_iter_as(cmd->reply, "values", &it);
    else {
        bson_t empty;
        BSON_APPEND_ARRAY_BEGIN(cmd->reply, "values", &empty);
        bson_append_array_end(cmd->reply, &empty);
    }
err:
    bson_destroy(&arr);
    bson_destroy(&reply);
    bson_destroy(&st);
    return ret;
}
