/*
 * src/worker/cmd/plan_cache.c -- planCacheClear: forget the remembered winners of races.
 *
 * {planCacheClear: coll, query?, sort?, projection?, collation?} drops the plan cache entries
 * of the collection (engine/plan_cache.h), or only that of the query's shape when a query is
 * given, so the next query races its candidates again.  The cache is the server's (the
 * master keeps it), so every worker's next query of that shape races again.
 *
 * Invariants: event-loop thread.
 */
#include "../engine/plan_cache.h"
#include "../engine/args.h"

#include <string.h>

static const char *const clear_fields[] = {
    "query", "sort", "projection", "collation", NULL,
};

int
wk_cmd_plan_cache_clear(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];
    bson_t query, sort;
    bson_iter_t it;
    bool has_query = false;
    bson_string_t *shape;
    int64_t n;
    int ret;

    bson_init(&query);
    bson_init(&sort);
    SDB_RET(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_RET(wk_cmdu_check_fields(cmd, clear_fields));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "query") == 0) {
            SDB_RET(wk_cmdu_get_doc(cmd, &it, k, &query));
            has_query = true;
        } else if (strcmp(k, "sort") == 0 || strcmp(k, "projection") == 0) {
            bson_t d;

            SDB_RET(wk_cmdu_get_doc(cmd, &it, k, &d));
            if (k[0] == 's')
                bson_init_static(&sort, bson_get_data(&d), d.len);
        }
    }
    SDB_RET(wk_cmdu_refresh(&cmd->err)); /* the cache answers the current catalog only */
    if (!has_query)
        return wk_plan_cache_clear(ns, NULL, &n, &cmd->err);
    shape = bson_string_new(NULL);
    wk_plan_cache_shape(&query, bson_empty(&sort) ? NULL : &sort, shape);
    ret = wk_plan_cache_clear(ns, shape->str, &n, &cmd->err);
    bson_string_free(shape, true);
    return ret;
}
