/*
 * src/worker/cmd/count.c -- count and distinct.
 *
 * count runs the shared executor and counts matches after skip, up to limit (a negative limit
 * counts as its absolute value, as mongod does).  An empty query is answered from the
 * master's STATS record count without reading documents.  distinct walks the key path
 * through every match mongod's way (arrays met along the path are traversed, an array at the
 * end contributes its elements, a missing value contributes nothing), then sorts and
 * de-duplicates the values in MongoDB's comparison order, as mongod's value set does.
 *
 * Invariants: event-loop thread; distinct keeps its own copies of values (executor views die
 * at the next document).
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/read_concern.h"
#include "../engine/view.h"
#include "view_read.h"

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../../common/path.h"
#include "../query/sort.h"
#include "../store_client.h"

#include <stdlib.h>
#include <string.h>

static const char *const count_fields[] = {
    "query",    "limit",    "skip", "hint", "collation", "fields", "encryptionInformation",
    "mirrored", "sampleId", NULL,
};

/* Queryable Encryption's query rewrite: refused (engine/args.h), never ignored. */
static const char *const fle_fields[] = {"encryptionInformation", NULL};

static const char *const distinct_fields[] = {
    "key", "query", "collation", "hint", "encryptionInformation", "mirrored", "sampleId", NULL,
};

/* stats_count -- the record count of ns from STATS (0 when it does not exist). */
static int
stats_count(const char *ns, int64_t *n, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, colls, c;
    int ret = 0;

    *n = 0;
    BSON_APPEND_UTF8(&req, "ns", ns);
    SDB_ERR(wk_cmdu_store(SDB_OP_STATS, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "collections") && bson_iter_recurse(&it, &colls) &&
        bson_iter_next(&colls) && bson_iter_recurse(&colls, &c) && bson_iter_find(&c, "count"))
        *n = bson_iter_as_int64(&c);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* body_hint -- the command's hint (a view into its body, positioned by `it`), or NULL. */
static const bson_value_t *
body_hint(const wk_cmd_t *cmd, bson_iter_t *it)
{
    return bson_iter_init_find(it, cmd->body, "hint") ? bson_iter_value(it) : NULL;
}

/* parse_count -- query, skip, limit. */
static int
parse_count(wk_cmd_t *cmd, bson_t *query, int64_t *skip, int64_t *limit, sdb_collation_t **coll)
{
    bson_iter_t it;

    bson_init(query);
    *skip = *limit = 0;
    SDB_RET(wk_cmdu_check_fields(cmd, count_fields));
    SDB_RET(wk_cmdu_check_unsupported(cmd, fle_fields));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "query") == 0) {
            SDB_RET(wk_cmdu_get_doc(cmd, &it, k, query));
        } else if (strcmp(k, "skip") == 0 && !BSON_ITER_HOLDS_NULL(&it)) {
            SDB_RET(wk_cmdu_get_i64(cmd, &it, k, skip));
            if (*skip < 0)
                return sdb_error_set(&cmd->err, WK_CODE_BAD_LIMIT,
                                     "BSON field 'skip' value must be >= 0, actual value '%lld'",
                                     (long long)*skip);
        } else if (strcmp(k, "limit") == 0 && !BSON_ITER_HOLDS_NULL(&it)) {
            SDB_RET(wk_cmdu_get_i64(cmd, &it, k, limit));
            if (*limit < 0)
                *limit = *limit == INT64_MIN ? INT64_MAX : -*limit;
        } else if (strcmp(k, "collation") == 0 && *coll == NULL) {
            SDB_RET(wk_cmdu_collation_new(&it, k, coll, &cmd->err));
        }
    }
    return 0;
}

/* count_collection -- {count, query, skip, limit} -> {n}. */
static int
count_collection(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];
    bson_t query;
    int64_t skip, limit, n = 0;
    wk_match_opts_t mo = {NULL, NULL};
    sdb_collation_t *coll = NULL;
    const bson_value_t *hint;
    bson_iter_t hint_it;
    wk_exec_t ex;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = &cmd->op;
    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(parse_count(cmd, &query, &skip, &limit, &coll));
    if (!bson_has_field(cmd->body, "collation")) /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(ns, &coll, NULL, &cmd->err));
    mo.coll = coll;
    hint = body_hint(cmd, &hint_it);
    if (bson_empty(&query) && hint == NULL) {
        SDB_ERR(stats_count(ns, &n, &cmd->err));
        n = n > skip ? n - skip : 0;
    } else { /* a hinted sparse index counts only its entries, as in mongod */
        SDB_ERR(wk_exec_open_hint(&ex, ns, &query, &mo, hint, &cmd->err));
        for (;;) {
            bson_t doc;
            int64_t r;
            bool found;

            if (limit > 0 && n >= limit)
                break;
            SDB_ERR(wk_exec_next(&ex, &doc, &r, NULL, &found, &cmd->err));
            if (!found)
                break;
            if (skip > 0)
                skip--;
            else
                n++;
        }
    }
    if (limit > 0 && n > limit)
        n = limit;
    if (n <= INT32_MAX)
        BSON_APPEND_INT32(cmd->reply, "n", (int32_t)n);
    else
        BSON_APPEND_INT64(cmd->reply, "n", n);
err:
    wk_exec_close(&ex);
    sdb_collation_free(coll);
    return ret;
}

/* ---- distinct -------------------------------------------------------------------------- */

typedef struct values {
    bson_value_t *v;
    size_t n, cap;
} values_t;

static void
values_add(values_t *vs, const bson_value_t *v)
{
    if (vs->n == vs->cap) {
        vs->cap = vs->cap ? vs->cap * 2 : 64;
        vs->v = bson_realloc(vs->v, vs->cap * sizeof(*vs->v));
    }
    bson_value_copy(v, &vs->v[vs->n++]);
}

/* visit -- a value reached along the key path: arrays contribute their elements. */
static bool
visit(void *ctx, const bson_iter_t *it, int32_t arr_idx)
{
    values_t *vs = ctx;
    bson_iter_t el;

    if (it == NULL)
        return false;
    if (BSON_ITER_HOLDS_ARRAY(it)) {
        if (bson_iter_recurse(it, &el))
            while (bson_iter_next(&el))
                values_add(vs, bson_iter_value(&el));
        return false;
    }
    values_add(vs, bson_iter_value((bson_iter_t *)it));
    return false;
}

typedef struct order_ctx {
    const values_t *vs;
    const sdb_collation_t *coll;
} order_ctx_t;

/* order_cmp -- indexes into the values by value, then by position (a stable order, so the
 * first of values equal under a collation is the one kept). */
static int
order_cmp(const void *a, const void *b, void *arg)
{
    const order_ctx_t *o = arg;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int c = sdb_collation_value_cmp(o->coll, &o->vs->v[ia], &o->vs->v[ib]);

    return c != 0 ? c : (ia < ib ? -1 : (ia > ib ? 1 : 0));
}

/* values_reply -- sorted, de-duplicated values as the reply's `values` array. */
static int
values_reply(wk_cmd_t *cmd, values_t *vs, const sdb_collation_t *coll)
{
    order_ctx_t o = {vs, coll};
    size_t *idx = bson_malloc((vs->n + 1) * sizeof(*idx));
    bson_t arr;
    uint32_t out = 0;

    for (size_t i = 0; i < vs->n; i++)
        idx[i] = i;
    if (wk_sort_array_op(idx, vs->n, sizeof(*idx), order_cmp, &o, &cmd->op, &cmd->err) != 0) {
        bson_free(idx);
        return SDB_ECLIENT;
    }
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "values", &arr);
    for (size_t i = 0; i < vs->n; i++) {
        char key[16];
        const char *k;

        if (i > 0 && sdb_collation_value_cmp(coll, &vs->v[idx[i - 1]], &vs->v[idx[i]]) == 0)
            continue;
        bson_uint32_to_string(out++, &k, key, sizeof(key));
        bson_append_value(&arr, k, -1, &vs->v[idx[i]]);
    }
    bson_append_array_end(cmd->reply, &arr);
    bson_free(idx);
    return 0;
}

/* parse_distinct -- key (required string) and query. */
static int
parse_distinct(wk_cmd_t *cmd, const char **key, bson_t *query, sdb_collation_t **coll)
{
    bson_iter_t it;

    *key = NULL;
    bson_init(query);
    SDB_RET(wk_cmdu_check_fields(cmd, distinct_fields));
    SDB_RET(wk_cmdu_check_unsupported(cmd, fle_fields));
    if (bson_iter_init_find(&it, cmd->body, "collation"))
        SDB_RET(wk_cmdu_collation_new(&it, "collation", coll, &cmd->err));
    if (bson_iter_init_find(&it, cmd->body, "query"))
        SDB_RET(wk_cmdu_get_doc(cmd, &it, "query", query));
    if (!bson_iter_init_find(&it, cmd->body, "key"))
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'distinct.key' is missing but a required field");
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, "key", bson_iter_type(&it), "string");
    *key = bson_iter_utf8(&it, NULL);
    return 0;
}

/* distinct_collection -- {distinct, key, query} -> {values}. */
static int
distinct_collection(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];
    const char *key;
    bson_t query;
    sdb_path_t path;
    values_t vs;
    wk_exec_t ex;
    wk_match_opts_t mo = {NULL, NULL};
    sdb_collation_t *coll = NULL;
    bson_iter_t hint_it;
    int ret = 0;

    memset(&path, 0, sizeof(path));
    memset(&vs, 0, sizeof(vs));
    wk_exec_init(&ex);
    ex.op = &cmd->op;
    ex.read_ts = wk_rc_snapshot_ts(cmd); /* readConcern snapshot: engine/read_concern.h */
    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(parse_distinct(cmd, &key, &query, &coll));
    if (!bson_has_field(cmd->body, "collation")) /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(ns, &coll, NULL, &cmd->err));
    mo.coll = coll;
    SDB_ERR(sdb_path_parse(key, strlen(key), &path, &cmd->err));
    SDB_ERR(wk_exec_open_hint(&ex, ns, &query, &mo, body_hint(cmd, &hint_it), &cmd->err));
    for (;;) {
        bson_t doc;
        int64_t r;
        bool found;

        SDB_ERR(wk_exec_next(&ex, &doc, &r, NULL, &found, &cmd->err));
        if (!found)
            break;
        sdb_path_walk(&doc, &path, 0, false, visit, &vs);
    }
    SDB_ERR(values_reply(cmd, &vs, coll));
    if (ex.read_ts != 0)
        wk_rc_append_ts(cmd->reply, "atClusterTime", ex.read_ts);
err:
    for (size_t i = 0; i < vs.n; i++)
        bson_value_destroy(&vs.v[i]);
    bson_free(vs.v);
    sdb_path_destroy(&path);
    wk_exec_close(&ex);
    sdb_collation_free(coll);
    return ret;
}

/* wk_cmd_count -- on a view, an aggregation (view_read.h); else the collection path above. */
int
wk_cmd_count(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];

    if (wk_cmd_ns(cmd, ns, sizeof(ns)) == 0 && wk_view_is(ns))
        return wk_view_count(cmd);
    return count_collection(cmd);
}

/* wk_cmd_distinct -- on a view, an aggregation (view_read.h); else the collection path above. */
int
wk_cmd_distinct(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];

    if (wk_cmd_ns(cmd, ns, sizeof(ns)) == 0 && wk_view_is(ns))
        return wk_view_distinct(cmd);
    return distinct_collection(cmd);
}
