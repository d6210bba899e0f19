/*
 * src/worker/cmd/explain.c -- explain of find, count, distinct, update, delete, findAndModify
 * and aggregate.
 *
 * {explain: {<command>...}, verbosity} plans the inner command with the executor the command
 * itself uses (exec.h wk_exec_open_sorted: the same filter, hint, sort and collation), so the
 * winningPlan is the plan that runs.  At executionStats and allPlansExecution the read is
 * then executed as the command would (skip and limit applied, an index-provided sort stopping
 * at the limit, a sort otherwise counting every match), without writing anything, and the
 * counts come from the executor (nReturned, totalKeysExamined, totalDocsExamined).  The
 * stages above the read follow mongod's classic plans: PROJECTION_* over LIMIT over SKIP, or
 * over SORT when no index gives the order; COUNT, DELETE and UPDATE at the top of their
 * commands; on a view, the aggregation mongod rewrites the read into.  When several index
 * plans raced (exec_race.c), rejectedPlans holds the losers and
 * allPlansExecution every entrant's trial; queryHash names the query's shape.  aggregate is
 * explained by its own handler (explain: true), which reports the executor's plan too.
 *
 * Invariants: event-loop thread; nothing here writes to the store.
 */
#include "aggregate.h"

#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/geo_near.h"
#include "../engine/namespace.h"
#include "../engine/plan_cache.h"
#include "../engine/view.h"

#include "../../common/collation.h"
#include "../query/projection.h"
#include "../worker.h"

#include <string.h>

#define WK_EXPLAIN_SORT_MEM (100 * 1024 * 1024)

enum {
    V_PLANNER = WK_EXPLAIN_QUERY_PLANNER,
    V_EXEC = WK_EXPLAIN_EXEC_STATS,
    V_ALL = WK_EXPLAIN_ALL_PLANS
};

/* xq -- the read an explained command performs. */
typedef struct xq {
    char ns[WK_NS_MAX];
    bson_t filter, sort, projection; /* static views; empty when absent */
    int64_t skip, limit;             /* limit 0 = none */
    const bson_value_t *hint;        /* NULL or &hint_copy */
    bson_value_t hint_copy;          /* owned */
    bson_t *vars;
    bson_t minmax; /* find's {min?, max?} (owned) */
    sdb_collation_t *coll;
    bool coll_given; /* the command named a collation (else the collection's default) */
    const char *top; /* NULL (find), "COUNT", "DELETE", "UPDATE" */
    bool count_fast; /* count without a query: RECORD_STORE_FAST_COUNT */
} xq_t;

static int
doc_field(wk_cmd_t *cmd, const bson_iter_t *it, bson_t *out)
{
    return wk_cmdu_get_doc(cmd, it, bson_iter_key(it), out);
}

/* read_field -- a field of find/count/distinct/update/delete/findAndModify that changes the
 * read; the others change only the reply's shape, or nothing a plan shows. */
static int
read_field(wk_cmd_t *cmd, const bson_iter_t *it, xq_t *q)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "filter") == 0 || strcmp(k, "query") == 0 || strcmp(k, "q") == 0)
        return doc_field(cmd, it, &q->filter);
    if (strcmp(k, "sort") == 0)
        return doc_field(cmd, it, &q->sort);
    if (strcmp(k, "projection") == 0 || strcmp(k, "fields") == 0)
        return doc_field(cmd, it, &q->projection);
    if (strcmp(k, "skip") == 0)
        return wk_cmdu_get_i64(cmd, it, k, &q->skip);
    if (strcmp(k, "limit") == 0) {
        SDB_RET(wk_cmdu_get_i64(cmd, it, k, &q->limit));
        if (q->limit < 0)
            q->limit = -q->limit;
        return 0;
    }
    if (strcmp(k, "min") == 0 || strcmp(k, "max") == 0) {
        bson_t d;

        SDB_RET(doc_field(cmd, it, &d));
        if (!bson_empty(&d))
            BSON_APPEND_DOCUMENT(&q->minmax, k, &d);
        return 0;
    }
    if (strcmp(k, "hint") == 0 && q->hint == NULL) {
        bson_value_copy(bson_iter_value((bson_iter_t *)it), &q->hint_copy);
        q->hint = &q->hint_copy;
    } else if (strcmp(k, "let") == 0 && q->vars == NULL)
        return wk_cmdu_let_vars(cmd, it, &q->vars);
    else if (strcmp(k, "collation") == 0 && !q->coll_given) {
        q->coll_given = true;
        return wk_cmdu_collation_new(it, "collation", &q->coll, &cmd->err);
    }
    return 0;
}

static int
read_fields(wk_cmd_t *cmd, const bson_t *doc, xq_t *q)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, doc))
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse, "malformed command");
    while (bson_iter_next(&it))
        SDB_RET(read_field(cmd, &it, q));
    return 0;
}

/* one_statement -- the single statement of an explained update or delete. */
static int
one_statement(wk_cmd_t *cmd, const bson_t *inner, const char *arr, xq_t *q)
{
    bson_iter_t it, st;
    bson_t doc;
    const uint8_t *d;
    uint32_t len;
    int n = 0;

    if (!bson_iter_init_find(&it, inner, arr) || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &st))
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "BSON field '%s.%s' is missing but a required field", cmd->name, arr);
    while (bson_iter_next(&st)) {
        if (++n > 1 || !BSON_ITER_HOLDS_DOCUMENT(&st))
            break;
        bson_iter_document(&st, &len, &d);
        if (!bson_init_static(&doc, d, len))
            break;
        SDB_RET(read_fields(cmd, &doc, q));
        if (strcmp(arr, "updates") == 0) {
            bson_iter_t m;

            q->limit = bson_iter_init_find(&m, &doc, "multi") && bson_iter_as_bool(&m) ? 0 : 1;
        }
    }
    if (n != 1)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidLength,
                             "explained write batches must be of size 1");
    return 0;
}

/* parse_inner -- the read of the inner command; *known false for a command explain lacks. */
static int
parse_inner(wk_cmd_t *cmd, const bson_t *inner, xq_t *q, const char **name)
{
    bson_iter_t it;
    uint32_t len;
    const char *coll;

    if (!bson_iter_init(&it, inner) || !bson_iter_next(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                             "explain command requires a nested object");
    *name = bson_iter_key(&it);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, *name, bson_iter_type(&it), "string");
    coll = bson_iter_utf8(&it, &len);
    SDB_RET(wk_ns_join(cmd->db, coll, len, q->ns, sizeof(q->ns), &cmd->err));
    if (strcmp(*name, "find") == 0 || strcmp(*name, "distinct") == 0)
        return read_fields(cmd, inner, q);
    if (strcmp(*name, "count") == 0) {
        q->top = "COUNT";
        SDB_RET(read_fields(cmd, inner, q));
        q->count_fast = bson_empty(&q->filter) && q->hint == NULL && q->skip == 0 && q->limit == 0;
        return 0;
    }
    if (strcmp(*name, "delete") == 0) {
        q->top = "DELETE";
        return one_statement(cmd, inner, "deletes", q);
    }
    if (strcmp(*name, "update") == 0) {
        q->top = "UPDATE";
        return one_statement(cmd, inner, "updates", q);
    }
    if (strcmp(*name, "findAndModify") == 0 || strcmp(*name, "findandmodify") == 0) {
        bson_iter_t r;

        q->top =
            bson_iter_init_find(&r, inner, "remove") && bson_iter_as_bool(&r) ? "DELETE" : "UPDATE";
        SDB_RET(read_fields(cmd, inner, q));
        bson_init(&q->projection); /* the reply's shape, not the read's */
        q->limit = 1;
        return 0;
    }
    return sdb_error_set(&cmd->err, SDB_CODE_CommandNotFound,
                         "Explain failed due to unknown command: %s", *name);
}

/* parsed_query -- mongod's parsedQuery: each predicate {path: {$op: v}} ({path: v} reads as
 * $eq), several under $and. */
static void
parsed_query(const bson_t *filter, bson_t *out)
{
    bson_t preds = BSON_INITIALIZER, arr;
    bson_iter_t it, ops, one;
    uint32_t n = 0;

    bson_iter_init(&it, filter);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        char key[16];
        bson_t p, o;

        if (k[0] != '$' && BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &ops) &&
            bson_iter_next(&ops) && bson_iter_key(&ops)[0] == '$') {
            bson_iter_recurse(&it, &ops);
            while (bson_iter_next(&ops)) {
                bson_snprintf(key, sizeof(key), "%u", n++);
                bson_append_document_begin(&preds, key, -1, &p);
                bson_append_document_begin(&p, k, -1, &o);
                bson_append_iter(&o, bson_iter_key(&ops), -1, &ops);
                bson_append_document_end(&p, &o);
                bson_append_document_end(&preds, &p);
            }
            continue;
        }
        bson_snprintf(key, sizeof(key), "%u", n++);
        bson_append_document_begin(&preds, key, -1, &p);
        if (k[0] == '$' || BSON_ITER_HOLDS_REGEX(&it)) {
            bson_append_iter(&p, k, -1, &it);
        } else {
            bson_append_document_begin(&p, k, -1, &o);
            bson_append_iter(&o, "$eq", 3, &it);
            bson_append_document_end(&p, &o);
        }
        bson_append_document_end(&preds, &p);
    }
    if (n == 1 && bson_iter_init(&one, &preds) && bson_iter_next(&one) &&
        BSON_ITER_HOLDS_DOCUMENT(&one)) {
        const uint8_t *d;
        uint32_t len;
        bson_t v;

        bson_iter_document(&one, &len, &d);
        if (bson_init_static(&v, d, len))
            bson_concat(out, &v);
    } else if (n > 1) {
        BSON_APPEND_ARRAY_BEGIN(out, "$and", &arr);
        bson_concat(&arr, &preds);
        bson_append_array_end(out, &arr);
    }
    bson_destroy(&preds);
}

/* query_hash -- queryHash (the query's shape) and planCacheKey (with its collation): the
 * plan cache's names of the query (engine/plan_cache.h). */
static void
query_hash(const xq_t *q, bson_t *qp)
{
    bson_string_t *shape = bson_string_new(NULL), *key = bson_string_new(NULL);
    char hash[9];

    wk_plan_cache_key(&q->filter, bson_empty(&q->sort) ? NULL : &q->sort, q->coll, shape, key);
    wk_plan_cache_hash(shape->str, hash);
    BSON_APPEND_UTF8(qp, "queryHash", hash);
    wk_plan_cache_hash(key->str, hash);
    BSON_APPEND_UTF8(qp, "planCacheKey", hash);
    bson_string_free(shape, true);
    bson_string_free(key, true);
}

/* stage_stats -- the counters of a stage above the read. */
static void
stage_stats(bson_t *st, uint64_t nret)
{
    wk_exec_explain_num(st, "nReturned", (int64_t)nret);
    BSON_APPEND_INT32(st, "executionTimeMillisEstimate", 0);
}

/* projection_simple -- mongod's PROJECTION_SIMPLE: only top-level fields included or
 * excluded (numbers or booleans), no dotted path, no operator, no computed value. */
static bool
projection_simple(const bson_t *proj)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, proj))
        return false;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strchr(k, '.') != NULL || k[0] == '$' ||
            !(BSON_ITER_HOLDS_NUMBER(&it) || BSON_ITER_HOLDS_BOOL(&it)))
            return false;
    }
    return true;
}

/* stages -- the plan tree, from the top stage down to the executor's read. */
static void
stages(const xq_t *q, const wk_exec_t *ex, const wk_geo_near_t *near, const bson_t *pq,
       bool sort_needed, bool stats, uint64_t nret, bson_t *out)
{
    const char *names[4];
    bson_t levels[5];
    size_t nl = 0;

    if (q->top != NULL)
        names[nl++] = q->top;
    if (!bson_empty(&q->projection))
        names[nl++] = ex->covered && ex->nor == 0 && ex->merge == NULL ? "PROJECTION_COVERED"
                      : ex->covered                       ? "PROJECTION_DEFAULT" /* over an OR */
                      : projection_simple(&q->projection) ? "PROJECTION_SIMPLE"
                                                          : "PROJECTION_DEFAULT";
    if (sort_needed) { /* SKIP over SORT (which keeps skip + limit) */
        if (q->skip > 0 && q->top == NULL)
            names[nl++] = "SKIP";
        names[nl++] = "SORT";
    } else { /* LIMIT over SKIP */
        if (q->limit > 0 && q->top == NULL)
            names[nl++] = "LIMIT";
        if (q->skip > 0 && q->top == NULL)
            names[nl++] = "SKIP";
    }
    for (size_t i = 0; i <= nl; i++) {
        bson_t *b = i == 0 ? out : &levels[i];

        if (i > 0)
            bson_append_document_begin(i == 1 ? out : &levels[i - 1], "inputStage", -1, b);
        if (i == nl) {
            if (near != NULL) /* find's $near (engine/geo_near.h) */
                wk_geo_near_explain(near, stats, nret, b);
            else
                wk_exec_explain(ex, pq, stats, b);
            break;
        }
        BSON_APPEND_UTF8(b, "stage", names[i]);
        if (stats)
            stage_stats(b, strcmp(names[i], "COUNT") == 0 ? 0 : nret);
        if (strncmp(names[i], "PROJECTION_", 11) == 0) {
            BSON_APPEND_DOCUMENT(b, "transformBy", &q->projection);
        } else if (strcmp(names[i], "SORT") == 0) {
            BSON_APPEND_DOCUMENT(b, "sortPattern", &q->sort);
            BSON_APPEND_INT32(b, "memLimit", WK_EXPLAIN_SORT_MEM);
            if (q->limit > 0)
                wk_exec_explain_num(b, "limitAmount", q->limit + q->skip);
            BSON_APPEND_UTF8(b, "type", "simple");
        } else if (strcmp(names[i], "LIMIT") == 0) {
            wk_exec_explain_num(b, "limitAmount", q->limit);
        } else if (strcmp(names[i], "SKIP") == 0) {
            wk_exec_explain_num(b, "skipAmount", q->skip);
        } else if (strcmp(names[i], "COUNT") == 0 && stats) {
            wk_exec_explain_num(b, "nCounted", (int64_t)nret);
            wk_exec_explain_num(b, "nSkipped", q->skip);
        } else if (strcmp(names[i], "DELETE") == 0 && stats) {
            wk_exec_explain_num(b, "nWouldDelete", (int64_t)nret);
        } else if (strcmp(names[i], "UPDATE") == 0 && stats) {
            wk_exec_explain_num(b, "nMatched", (int64_t)nret);
        }
    }
    for (size_t i = nl; i >= 1; i--)
        bson_append_document_end(i == 1 ? out : &levels[i - 1], &levels[i]);
}

/* server_info -- {host, port, version, gitVersion}. */
/* server_parameters -- mongod 7.0's serverParameters section after serverInfo: the memory
 * limits a plan runs under (the live values of those this server has, mongod's defaults for
 * the rest) and the query framework. */
static void
server_parameters(bson_t *reply)
{
    const int64_t dflt = 100 * 1024 * 1024;
    bson_t sp;

    BSON_APPEND_DOCUMENT_BEGIN(reply, "serverParameters", &sp);
    wk_exec_explain_num(&sp, "internalQueryFacetBufferSizeBytes", dflt);
    wk_exec_explain_num(&sp, "internalQueryFacetMaxOutputDocSizeBytes", dflt);
    wk_exec_explain_num(&sp, "internalLookupStageIntermediateDocumentMaxSizeBytes", dflt);
    wk_exec_explain_num(&sp, "internalDocumentSourceGroupMaxMemoryBytes",
                        atomic_load(&wk_global->group_mem_max));
    wk_exec_explain_num(&sp, "internalQueryMaxBlockingSortMemoryUsageBytes",
                        atomic_load(&wk_global->sort_mem_max));
    wk_exec_explain_num(&sp, "internalQueryProhibitBlockingMergeOnMongoS", 0);
    wk_exec_explain_num(&sp, "internalQueryMaxAddToSetBytes", dflt);
    wk_exec_explain_num(&sp, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes",
                        atomic_load(&wk_global->window_mem_max));
    BSON_APPEND_UTF8(&sp, "internalQueryFrameworkControl", "trySbeRestricted");
    bson_append_document_end(reply, &sp);
}

static void
server_info(bson_t *reply)
{
    const char *hp = wk_host_port(), *colon = strrchr(hp, ':');
    bson_t si;

    BSON_APPEND_DOCUMENT_BEGIN(reply, "serverInfo", &si);
    bson_append_utf8(&si, "host", 4, hp, colon != NULL ? (int)(colon - hp) : -1);
    BSON_APPEND_INT32(&si, "port", colon != NULL ? (int32_t)strtol(colon + 1, NULL, 10) : 27017);
    BSON_APPEND_UTF8(&si, "version", SDB_VERSION);
    BSON_APPEND_UTF8(&si, "gitVersion", "secantusdb");
    bson_append_document_end(reply, &si);
    server_parameters(reply);
}

/* near_grows -- a find's $near that reads growing discs, as find runs it (find.c). */
static bool
near_grows(const xq_t *q, const wk_geo_near_t *near)
{
    return near != NULL && q->limit > 0 && bson_empty(&q->sort) && q->hint == NULL &&
           bson_empty(&q->minmax) && wk_geo_near_grows(near);
}

/* near_run -- run that near read; what its scans examined in all into ex's counts. */
static int
near_run(wk_cmd_t *cmd, const xq_t *q, const wk_geo_near_t *near, wk_exec_t *ex, uint64_t *nret)
{
    wk_match_opts_t mo = {q->vars, q->coll};
    wk_geo_near_hits_t h;
    int ret;

    mo.allow_near = true;
    ret = wk_geo_near_read(near, ex, q->ns, &q->filter, &mo, (size_t)(q->skip + q->limit), false,
                           &h, &cmd->err);
    *nret = h.n > (size_t)q->skip ? h.n - (size_t)q->skip : 0;
    if (*nret > (uint64_t)q->limit)
        *nret = (uint64_t)q->limit;
    ex->keys_examined = h.keys;
    ex->docs_examined = h.examined;
    wk_geo_near_hits_free(&h);
    return ret;
}

/* wants_score -- d asks for {$meta: "textScore"} somewhere (a projection or a sort). */
static bool
wants_score(const bson_t *d, int depth)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    bson_t sub;

    if (depth > 32 || !bson_iter_init(&it, d))
        return false;
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "$meta") == 0 && BSON_ITER_HOLDS_UTF8(&it) &&
            strcmp(bson_iter_utf8(&it, NULL), "textScore") == 0)
            return true;
        if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            if (BSON_ITER_HOLDS_ARRAY(&it))
                bson_iter_array(&it, &len, &data);
            else
                bson_iter_document(&it, &len, &data);
            if (bson_init_static(&sub, data, len) && wants_score(&sub, depth + 1))
                return true;
        }
    }
    return false;
}

/* explain_read -- plan (and at verbosity >= executionStats run) q; fill the reply. */
static int
explain_read(wk_cmd_t *cmd, const xq_t *q, int verbosity, const bson_t *inner)
{
    wk_match_opts_t mo = {q->vars, q->coll};
    bson_t pq = BSON_INITIALIZER, qp, plan, rej;
    wk_exec_t ex;
    wk_geo_near_t *near = NULL;
    bool sort_needed;
    uint64_t nret = 0;
    int64_t t0 = bson_get_monotonic_time();
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = &cmd->op;
    mo.allow_near = q->top == NULL; /* a find: ordered by distance */
    if (mo.allow_near)
        SDB_ERR(wk_geo_near_from_filter(&q->filter, &near, &cmd->err));
    if (near != NULL)
        SDB_ERR(wk_geo_near_index(near, q->ns, true, &cmd->err));
    SDB_ERR(wk_exec_open_find(&ex, q->ns, &q->filter, &mo, q->hint,
                              bson_empty(&q->sort) ? NULL : &q->sort, &q->minmax, &cmd->err));
    ex.text_unscored = !wants_score(&q->projection, 0) && !wants_score(&q->sort, 0);
    if (q->top == NULL) /* find: as find does */
        wk_exec_cover(&ex, &q->filter, &q->projection, bson_empty(&q->sort) ? NULL : &q->sort);
    if (q->limit > 0 && (bson_empty(&q->sort) || wk_exec_sorted(&ex)))
        wk_exec_limit_hint(&ex, (uint64_t)(q->skip + q->limit)); /* as find does */
    sort_needed = !bson_empty(&q->sort) && !wk_exec_sorted(&ex);
    parsed_query(&q->filter, &pq);
    if (verbosity >= V_EXEC && near_grows(q, near))
        SDB_ERR(near_run(cmd, q, near, &ex, &nret));
    else if (verbosity >= V_EXEC && !q->count_fast)
        SDB_ERR(wk_exec_explain_run(&ex, q->skip, q->limit, sort_needed, &nret, &cmd->err));
    BSON_APPEND_UTF8(cmd->reply, "explainVersion", "1");
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "queryPlanner", &qp);
    BSON_APPEND_UTF8(&qp, "namespace", q->ns);
    BSON_APPEND_BOOL(&qp, "indexFilterSet", false);
    BSON_APPEND_DOCUMENT(&qp, "parsedQuery", &pq);
    BSON_APPEND_BOOL(&qp, "maxIndexedOrSolutionsReached", false);
    BSON_APPEND_BOOL(&qp, "maxIndexedAndSolutionsReached", false);
    BSON_APPEND_BOOL(&qp, "maxScansToExplodeReached", false);
    query_hash(q, &qp);
    BSON_APPEND_DOCUMENT_BEGIN(&qp, "winningPlan", &plan);
    if (q->count_fast) {
        BSON_APPEND_UTF8(&plan, "stage", "RECORD_STORE_FAST_COUNT");
    } else {
        stages(q, &ex, near, &pq, sort_needed, false, 0, &plan);
    }
    bson_append_document_end(&qp, &plan);
    BSON_APPEND_ARRAY_BEGIN(&qp, "rejectedPlans", &rej);
    wk_exec_explain_rejected(&ex, &pq, &rej);
    bson_append_array_end(&qp, &rej);
    bson_append_document_end(cmd->reply, &qp);
    if (verbosity >= V_EXEC) {
        bson_t tree = BSON_INITIALIZER;

        if (q->count_fast) {
            BSON_APPEND_UTF8(&tree, "stage", "RECORD_STORE_FAST_COUNT");
            stage_stats(&tree, 0);
        } else {
            stages(q, &ex, near, &pq, sort_needed, true, nret, &tree);
        }
        wk_exec_explain_stats(&ex, &pq, q->top != NULL ? 0 : (int64_t)nret, t0, verbosity, &tree,
                              cmd->reply);
        bson_destroy(&tree);
    }
    BSON_APPEND_DOCUMENT(cmd->reply, "command", inner);
    server_info(cmd->reply);
err:
    bson_destroy(&pq);
    wk_exec_close(&ex);
    wk_geo_near_free(near);
    return ret;
}

/* verbosity_of -- the verbosity field (default allPlansExecution, as mongod). */
static int
verbosity_of(wk_cmd_t *cmd, int *v)
{
    bson_iter_t it;
    const char *s;

    *v = V_ALL;
    if (!bson_iter_init_find(&it, cmd->body, "verbosity"))
        return 0;
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, "verbosity", bson_iter_type(&it), "string");
    s = bson_iter_utf8(&it, NULL);
    if (strcmp(s, "queryPlanner") == 0)
        *v = V_PLANNER;
    else if (strcmp(s, "executionStats") == 0)
        *v = V_EXEC;
    else if (strcmp(s, "allPlansExecution") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Enumeration value '%s' for field 'explain.verbosity' is not a valid "
                             "value.",
                             s);
    return 0;
}

/* explain_aggregate -- the aggregate handler explaining at `verbosity` (it reports and runs
 * the executor's plan of the pipeline's read). */
static int
explain_aggregate(wk_cmd_t *cmd, const bson_t *inner, int verbosity)
{
    bson_t body = BSON_INITIALIZER;
    const bson_t *saved = cmd->body;
    int ret;

    bson_copy_to_excluding_noinit(inner, &body, "explain", "cursor", NULL);
    BSON_APPEND_BOOL(&body, "explain", true);
    BSON_APPEND_UTF8(&body, "$db", cmd->db);
    cmd->body = &body;
    ret = wk_cmd_aggregate_explain(cmd, verbosity);
    if (ret == 0 && !bson_has_field(cmd->reply, "serverInfo"))
        server_info(cmd->reply); /* mongod's aggregate explain has both sections too */
    cmd->body = saved;
    bson_destroy(&body);
    return ret;
}

/* view_stage -- append the stage {op: v} to a pipeline array. */
static void
view_stage(bson_t *arr, uint32_t *n, const char *op, const bson_value_t *v)
{
    char key[16];
    bson_t st;

    bson_snprintf(key, sizeof(key), "%u", (*n)++);
    BSON_APPEND_DOCUMENT_BEGIN(arr, key, &st);
    BSON_APPEND_VALUE(&st, op, v);
    bson_append_document_end(arr, &st);
}

/* doc_value -- v as a view of document d. */
static const bson_value_t *
doc_value(const bson_t *d, bson_value_t *v)
{
    v->value_type = BSON_TYPE_DOCUMENT;
    v->value.v_doc.data = (uint8_t *)bson_get_data(d);
    v->value.v_doc.data_len = d->len;
    return v;
}

/* explain_view -- a read of a view explained as the aggregation mongod rewrites it into
 * ($match, $sort, $skip, $limit, $project, or $count for count); writes are refused (166). */
static int
explain_view(wk_cmd_t *cmd, const xq_t *q, int verbosity)
{
    bson_t body = BSON_INITIALIZER, arr, cur;
    const char *dot = strchr(q->ns, '.');
    bson_value_t v;
    uint32_t n = 0;
    int ret;

    if (q->top != NULL && strcmp(q->top, "COUNT") != 0)
        return wk_view_refuse_write(cmd, q->ns);
    BSON_APPEND_UTF8(&body, "aggregate", dot != NULL ? dot + 1 : q->ns);
    BSON_APPEND_ARRAY_BEGIN(&body, "pipeline", &arr);
    view_stage(&arr, &n, "$match", doc_value(&q->filter, &v));
    if (!bson_empty(&q->sort))
        view_stage(&arr, &n, "$sort", doc_value(&q->sort, &v));
    v.value_type = BSON_TYPE_INT64;
    v.value.v_int64 = q->skip;
    if (q->skip > 0)
        view_stage(&arr, &n, "$skip", &v);
    v.value.v_int64 = q->limit;
    if (q->limit > 0)
        view_stage(&arr, &n, "$limit", &v);
    if (!bson_empty(&q->projection))
        view_stage(&arr, &n, "$project", doc_value(&q->projection, &v));
    v.value_type = BSON_TYPE_UTF8;
    v.value.v_utf8.str = (char *)"count";
    v.value.v_utf8.len = 5;
    if (q->top != NULL)
        view_stage(&arr, &n, "$count", &v);
    bson_append_array_end(&body, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&body, "cursor", &cur);
    bson_append_document_end(&body, &cur);
    ret = explain_aggregate(cmd, &body, verbosity);
    bson_destroy(&body);
    return ret;
}

int
wk_cmd_explain(wk_cmd_t *cmd)
{
    bson_iter_t it;
    bson_t inner;
    const uint8_t *d;
    uint32_t len;
    const char *name = NULL;
    xq_t q;
    int verbosity, ret = 0;

    memset(&q, 0, sizeof(q));
    bson_init(&q.filter);
    bson_init(&q.sort);
    bson_init(&q.projection);
    bson_init(&q.minmax);
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        SDB_ERR(wk_cmdu_type_error(cmd, "explain", bson_iter_type(&it), "object"));
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&inner, d, len))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_FailedToParse, "malformed explain"));
    SDB_ERR(verbosity_of(cmd, &verbosity));
    if (bson_iter_init(&it, &inner) && bson_iter_next(&it) &&
        strcmp(bson_iter_key(&it), "aggregate") == 0) {
        SDB_ERR(explain_aggregate(cmd, &inner, verbosity)); /* its own fixed clock */
    } else {
        SDB_ERR(parse_inner(cmd, &inner, &q, &name));
        if (!q.coll_given && !wk_view_is(q.ns)) /* as the command itself: the default */
            SDB_ERR(wk_cmdu_default_collation(q.ns, &q.coll, NULL, &cmd->err));
        wk_cmdu_clock_vars(&q.vars); /* one $$NOW / $$CLUSTER_TIME for the command, let or not */
        ret = wk_view_is(q.ns) ? explain_view(cmd, &q, verbosity)
                               : explain_read(cmd, &q, verbosity, &inner);
    }
err:
    if (q.hint != NULL)
        bson_value_destroy(&q.hint_copy);
    bson_destroy(&q.minmax);
    sdb_collation_free(q.coll);
    if (q.vars != NULL)
        bson_destroy(q.vars);
    return ret;
}
