/*
 * src/worker/cmd/map_reduce.c -- the mapReduce command: JavaScript map, reduce and finalize.
 *
 * As mongod 7.0 (which runs mapReduce as an aggregation): the source documents are read
 * through a pipeline ($match query, $sort sort, $limit limit); map runs with `this` = each
 * document and collects emit(key, value); the values of one key are reduced with
 * reduce(key, values) -- never for a key with a single value, as the manual says -- and
 * finalize(key, value) runs on each result.  Results are {_id: key, value} in key order.
 * `out` is inline ({results: [...]}), or a collection, written through a pipeline on the
 * results: {replace} (also a plain name) by $out, {merge} by $merge replacing by _id, {reduce}
 * the same after reducing each stored value with the new one (reduce(key, [stored, new]));
 * `db` names another database; the reply is then
 * {result: "coll"} or {result: {db, collection}}.  `scope` holds globals of map, reduce and
 * finalize; jsMode and verbose are accepted and change nothing, as in mongod 7.0;
 * bypassDocumentValidation lets the output skip its collection's validator.
 *
 * Invariants: loop thread only; every script runs for cmd->op (maxTimeMS interrupts it).
 * All memory is the handler's own and released on every path.
 */
#include "../agg/agg.h"
#include "../command.h"
#include "../engine/args.h"
#include "../query/js.h"

#include "../../common/bsoncmp.h"

#include <stdlib.h>
#include <string.h>

typedef struct mr_args {
    const char *coll;
    bson_iter_t map, reduce, finalize, out;
    bool has_finalize;
    bson_t query, sort, scope;
    bool has_sort, has_scope;
    bool bypass; /* bypassDocumentValidation: the output's $out / $merge skip its validator */
    int64_t limit;
} mr_args_t;

typedef struct mr_js {
    wk_js_scope_t *scope;
    wk_js_fn_t *map, *reduce, *finalize;
} mr_js_t;

/* An emitted pair: emits[i] = {k, v}; sorted by key, then by emit order. */
typedef struct emitted {
    bson_iter_t k, v;
    size_t seq;
} emitted_t;

static const char *const known[] = {"mapReduce",
                                    "mapreduce",
                                    "map",
                                    "reduce",
                                    "out",
                                    "query",
                                    "sort",
                                    "limit",
                                    "finalize",
                                    "scope",
                                    "jsMode",
                                    "verbose",
                                    "bypassDocumentValidation",
                                    "collation",
                                    NULL};

/* is_code -- a function argument: code or string. */
static bool
is_code(const bson_iter_t *it)
{
    return BSON_ITER_HOLDS_CODE(it) || BSON_ITER_HOLDS_UTF8(it);
}

/* code_of -- the source text of a code or string argument. */
static const char *
code_of(const bson_iter_t *it, uint32_t *len)
{
    return BSON_ITER_HOLDS_CODE(it) ? bson_iter_code(it, len) : bson_iter_utf8(it, len);
}

/* parse_fn_arg -- map, reduce or finalize. */
static int
parse_fn_arg(wk_cmd_t *cmd, const bson_iter_t *it, const char *key, bson_iter_t *out)
{
    if (!is_code(it))
        return wk_cmdu_type_error(cmd, key, bson_iter_type(it), "[string, javascript]");
    *out = *it;
    return 0;
}

/* parse_field -- one argument of the command. */
static int
parse_field(wk_cmd_t *cmd, const bson_iter_t *it, mr_args_t *a, unsigned *seen)
{
    const char *key = bson_iter_key(it);

    if (strcmp(key, "map") == 0)
        return *seen |= 1, parse_fn_arg(cmd, it, key, &a->map);
    if (strcmp(key, "reduce") == 0)
        return *seen |= 2, parse_fn_arg(cmd, it, key, &a->reduce);
    if (strcmp(key, "finalize") == 0) {
        if (BSON_ITER_HOLDS_NULL(it) || BSON_ITER_HOLDS_UNDEFINED(it))
            return 0;
        a->has_finalize = true;
        return parse_fn_arg(cmd, it, key, &a->finalize);
    }
    if (strcmp(key, "out") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it) && !BSON_ITER_HOLDS_DOCUMENT(it))
            return wk_cmdu_type_error(cmd, key, bson_iter_type(it), "[string, object]");
        a->out = *it;
        return *seen |= 4, 0;
    }
    if (strcmp(key, "query") == 0)
        return wk_cmdu_get_doc(cmd, it, key, &a->query);
    if (strcmp(key, "sort") == 0)
        return a->has_sort = true, wk_cmdu_get_doc(cmd, it, key, &a->sort);
    if (strcmp(key, "scope") == 0)
        return a->has_scope = true, wk_cmdu_get_doc(cmd, it, key, &a->scope);
    if (strcmp(key, "limit") == 0)
        return wk_cmdu_get_i64(cmd, it, key, &a->limit);
    if (strcmp(key, "collation") == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "mapReduce does not support a collation here");
    if (strcmp(key, "bypassDocumentValidation") == 0)
        return a->bypass = wk_cmdu_truthy(it), 0;
    return 0; /* jsMode, verbose: no effect, as in mongod 7.0 */
}

/* parse_args -- the command's arguments (40414 for a missing map, reduce or out). */
static int
parse_args(wk_cmd_t *cmd, mr_args_t *a)
{
    static const char *const required[] = {"map", "reduce", "out"};
    bson_iter_t it;
    unsigned seen = 0;

    memset(a, 0, sizeof(*a));
    bson_init(&a->query);
    SDB_RET(wk_cmdu_check_fields(cmd, known));
    if (!bson_iter_init(&it, cmd->body) || !bson_iter_next(&it) || !BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                             "collection name has invalid type %s",
                             wk_cmdu_type_name(bson_iter_type(&it)));
    a->coll = bson_iter_utf8(&it, NULL);
    while (bson_iter_next(&it))
        SDB_RET(parse_field(cmd, &it, a, &seen));
    for (int i = 0; i < 3; i++)
        if (!(seen & (1u << i)))
            return sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                                 "BSON field 'MapReduce.%s' is missing but a required field",
                                 required[i]);
    return 0;
}

/* run_pipeline -- run `pipe` on db.coll (input, may be NULL, replaces its documents) for the
 * command; the documents it returns are appended to out. */
static int
run_pipeline(wk_cmd_t *cmd, const char *db, const char *coll, const bson_t *pipe,
             wk_agg_docs_t *input, bool bypass, wk_agg_docs_t *out)
{
    wk_agg_ctx_t ctx;
    wk_agg_pipeline_t *p = NULL;
    int ret = 0;

    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.coll = coll;
    ctx.op = &cmd->op;
    ctx.allow_disk_use = true;
    ctx.bypass_validation = bypass;
    ctx.err_extra = cmd->err_extra;
    SDB_ERR(wk_agg_parse_doc(pipe, &ctx, &p, &cmd->err));
    SDB_ERR(wk_agg_run(p, &ctx, input, out, &cmd->err));
err:
    wk_agg_free(p);
    return ret;
}

/* read_source -- the input documents: $match query, $sort sort, $limit limit. */
static int
read_source(wk_cmd_t *cmd, const mr_args_t *a, wk_agg_docs_t *docs)
{
    bson_t pipe = BSON_INITIALIZER, st;
    int ret;

    BSON_APPEND_DOCUMENT_BEGIN(&pipe, "0", &st);
    BSON_APPEND_DOCUMENT(&st, "$match", &a->query);
    bson_append_document_end(&pipe, &st);
    if (a->has_sort && !bson_empty(&a->sort)) {
        BSON_APPEND_DOCUMENT_BEGIN(&pipe, "1", &st);
        BSON_APPEND_DOCUMENT(&st, "$sort", &a->sort);
        bson_append_document_end(&pipe, &st);
    }
    if (a->limit > 0) {
        BSON_APPEND_DOCUMENT_BEGIN(&pipe, "2", &st);
        BSON_APPEND_INT64(&st, "$limit", a->limit);
        bson_append_document_end(&pipe, &st);
    }
    ret = run_pipeline(cmd, cmd->db, a->coll, &pipe, NULL, false, docs);
    bson_destroy(&pipe);
    return ret;
}

/* compile -- the scope and its three functions. */
static int
compile(wk_cmd_t *cmd, const mr_args_t *a, mr_js_t *js)
{
    const char *src;
    uint32_t len;

    SDB_RET(wk_js_scope_new(a->has_scope ? &a->scope : NULL, &js->scope, &cmd->err));
    src = code_of(&a->map, &len);
    SDB_RET(wk_js_compile(js->scope, src, len, &js->map, &cmd->err));
    src = code_of(&a->reduce, &len);
    SDB_RET(wk_js_compile(js->scope, src, len, &js->reduce, &cmd->err));
    if (a->has_finalize) {
        src = code_of(&a->finalize, &len);
        SDB_RET(wk_js_compile(js->scope, src, len, &js->finalize, &cmd->err));
    }
    return 0;
}

/* run_map -- map every document; the emitted {k, v} pairs go to `emits` (an array). */
static int
run_map(wk_cmd_t *cmd, mr_js_t *js, const wk_agg_docs_t *docs, bson_t *emits)
{
    bson_value_t ret;
    bson_iter_t it;
    uint32_t n = 0;
    char key[16];

    for (size_t i = 0; i < docs->n; i++) {
        bson_t one = BSON_INITIALIZER;
        int rc = wk_js_call(js->map, &cmd->op, docs->v[i], NULL, false, &ret, &one, &cmd->err);
        if (rc == 0 && bson_iter_init(&it, &one))
            while (bson_iter_next(&it)) {
                snprintf(key, sizeof(key), "%u", n++);
                bson_append_value(emits, key, -1, bson_iter_value(&it));
            }
        bson_value_destroy(&ret);
        bson_destroy(&one);
        SDB_RET(rc);
    }
    return 0;
}

/* cmp_emitted -- by key (BSON order), then by emit order. */
static int
cmp_emitted(const void *x, const void *y)
{
    const emitted_t *a = x, *b = y;
    int c = sdb_bson_value_cmp(bson_iter_value((bson_iter_t *)&a->k),
                               bson_iter_value((bson_iter_t *)&b->k));

    return c != 0 ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* call_kv -- fn(key, arg) for reduce (arg: the values array) and finalize (arg: the value). */
static int
call_kv(wk_cmd_t *cmd, wk_js_fn_t *fn, const bson_value_t *k, const bson_t *vals,
        const bson_value_t *v, bson_value_t *out)
{
    bson_t args = BSON_INITIALIZER;
    int ret;

    bson_append_value(&args, "0", 1, k);
    if (vals != NULL)
        bson_append_array(&args, "1", 1, vals);
    else
        bson_append_value(&args, "1", 1, v);
    ret = wk_js_call(fn, &cmd->op, NULL, &args, false, out, NULL, &cmd->err);
    bson_destroy(&args);
    return ret;
}

/* reduce_group -- the result of emitted pairs e[0..n) (one key) appended to results. */
static int
reduce_group(wk_cmd_t *cmd, mr_js_t *js, const emitted_t *e, size_t n, bson_t *results,
             uint32_t idx)
{
    bson_value_t red, fin;
    const bson_value_t *k = bson_iter_value((bson_iter_t *)&e[0].k), *v;
    bson_t vals = BSON_INITIALIZER, doc;
    char key[16];
    int ret = 0;

    memset(&red, 0, sizeof(red));
    memset(&fin, 0, sizeof(fin));
    if (n == 1) {
        v = bson_iter_value((bson_iter_t *)&e[0].v);
    } else {
        for (size_t i = 0; i < n; i++) {
            snprintf(key, sizeof(key), "%u", (unsigned)i);
            bson_append_value(&vals, key, -1, bson_iter_value((bson_iter_t *)&e[i].v));
        }
        SDB_ERR(call_kv(cmd, js->reduce, k, &vals, NULL, &red));
        v = &red;
    }
    if (js->finalize != NULL) {
        SDB_ERR(call_kv(cmd, js->finalize, k, NULL, v, &fin));
        v = &fin;
    }
    snprintf(key, sizeof(key), "%u", idx);
    BSON_APPEND_DOCUMENT_BEGIN(results, key, &doc);
    bson_append_value(&doc, "_id", 3, k);
    bson_append_value(&doc, "value", 5, v);
    bson_append_document_end(results, &doc);
err:
    if (red.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&red);
    if (fin.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&fin);
    bson_destroy(&vals);
    return ret;
}

/* run_reduce -- group the emitted pairs by key and reduce each group into results. */
static int
run_reduce(wk_cmd_t *cmd, mr_js_t *js, const bson_t *emits, bson_t *results)
{
    emitted_t *e = NULL;
    size_t n = 0, cap = 0, from = 0;
    bson_iter_t it, pair;
    uint32_t groups = 0;
    int ret = 0;

    if (bson_iter_init(&it, emits))
        while (bson_iter_next(&it)) {
            if (n == cap)
                e = bson_realloc(e, (cap = cap ? cap * 2 : 64) * sizeof(*e));
            bson_iter_recurse(&it, &pair);
            bson_iter_find(&pair, "k");
            e[n].k = pair;
            bson_iter_recurse(&it, &pair);
            bson_iter_find(&pair, "v");
            e[n].v = pair;
            e[n].seq = n;
            n++;
        }
    if (n > 0)
        qsort(e, n, sizeof(*e), cmp_emitted);
    for (size_t i = 1; i <= n; i++)
        if (i == n || sdb_bson_value_cmp(bson_iter_value(&e[i].k), bson_iter_value(&e[from].k))) {
            SDB_ERR(reduce_group(cmd, js, e + from, i - from, results, groups++));
            from = i;
        }
err:
    bson_free(e);
    return ret;
}

/* out_target -- the output collection and database of a non-inline `out`; *mode is "replace",
 * "merge" or "reduce"; false for inline. */
static int
out_target(wk_cmd_t *cmd, const bson_iter_t *out, const char **mode, const char **coll,
           const char **db, bool *inline_out)
{
    bson_iter_t it;

    *inline_out = false;
    *db = NULL;
    *coll = NULL;
    *mode = "replace";
    if (BSON_ITER_HOLDS_UTF8(out)) {
        *coll = bson_iter_utf8(out, NULL);
        return 0;
    }
    bson_iter_recurse(out, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "inline") == 0) {
            *inline_out = true;
        } else if (strcmp(k, "replace") == 0 || strcmp(k, "merge") == 0 ||
                   strcmp(k, "reduce") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                     "'out' has to be a string or an object");
            *mode = k;
            *coll = bson_iter_utf8(&it, NULL);
        } else if (strcmp(k, "db") == 0 && BSON_ITER_HOLDS_UTF8(&it)) {
            *db = bson_iter_utf8(&it, NULL);
        } else if (strcmp(k, "sharded") != 0 && strcmp(k, "nonAtomic") != 0) {
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Unexpected field %s in 'out'", k);
        }
    }
    if (!*inline_out && *coll == NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "'out' requires 'replace', 'merge' or 'reduce' with a collection");
    return 0;
}

/* reduce_existing -- out: {reduce}: a result whose key the output collection already holds
 * becomes reduce(key, [stored value, new value]), as mongod's reduce mode does. */
static int
reduce_existing(wk_cmd_t *cmd, mr_js_t *js, const char *db, const char *coll, bson_t *results)
{
    wk_agg_docs_t old;
    bson_t pipe = BSON_INITIALIZER, st, m, id, in, vals, merged = BSON_INITIALIZER;
    bson_iter_t it, k, v, ok;
    bson_value_t red;
    uint32_t n = 0;
    char key[16];
    int ret = 0;

    wk_agg_docs_init(&old);
    BSON_APPEND_DOCUMENT_BEGIN(&pipe, "0", &st);
    BSON_APPEND_DOCUMENT_BEGIN(&st, "$match", &m);
    BSON_APPEND_DOCUMENT_BEGIN(&m, "_id", &id);
    BSON_APPEND_ARRAY_BEGIN(&id, "$in", &in);
    if (bson_iter_init(&it, results))
        while (bson_iter_next(&it))
            if (bson_iter_recurse(&it, &k) && bson_iter_find(&k, "_id")) {
                snprintf(key, sizeof(key), "%u", n++);
                bson_append_value(&in, key, -1, bson_iter_value(&k));
            }
    bson_append_array_end(&id, &in);
    bson_append_document_end(&m, &id);
    bson_append_document_end(&st, &m);
    bson_append_document_end(&pipe, &st);
    SDB_ERR(run_pipeline(cmd, db, coll, &pipe, NULL, false, &old));
    n = 0;
    if (bson_iter_init(&it, results))
        while (bson_iter_next(&it)) {
            bson_t doc, out;
            const bson_value_t *stored = NULL;
            uint32_t len;
            const uint8_t *data;
            bson_iter_document(&it, &len, &data);
            bson_init_static(&doc, data, len);
            bson_iter_init_find(&k, &doc, "_id");
            bson_iter_init_find(&v, &doc, "value");
            for (size_t i = 0; i < old.n && stored == NULL; i++)
                if (old.v[i] != NULL && bson_iter_init_find(&ok, old.v[i], "_id") &&
                    sdb_bson_value_cmp(bson_iter_value(&ok), bson_iter_value(&k)) == 0 &&
                    bson_iter_init_find(&ok, old.v[i], "value"))
                    stored = bson_iter_value(&ok);
            snprintf(key, sizeof(key), "%u", n++);
            if (stored == NULL) {
                bson_append_document(&merged, key, -1, &doc);
                continue;
            }
            bson_init(&vals);
            bson_append_value(&vals, "0", 1, stored);
            bson_append_value(&vals, "1", 1, bson_iter_value(&v));
            ret = call_kv(cmd, js->reduce, bson_iter_value(&k), &vals, NULL, &red);
            bson_destroy(&vals);
            SDB_ERR(ret);
            BSON_APPEND_DOCUMENT_BEGIN(&merged, key, &out);
            bson_append_value(&out, "_id", 3, bson_iter_value(&k));
            bson_append_value(&out, "value", 5, &red);
            bson_append_document_end(&merged, &out);
            bson_value_destroy(&red);
        }
    bson_destroy(results);
    bson_copy_to(&merged, results);
err:
    bson_destroy(&merged);
    bson_destroy(&pipe);
    wk_agg_docs_free(&old);
    return ret;
}

/* write_out -- write results to the output collection: $out replaces it, $merge replaces
 * documents by _id (reduce mode merged the stored values first). */
static int
write_out(wk_cmd_t *cmd, const mr_args_t *a, const char *mode, const char *coll, const char *db,
          const bson_t *results)
{
    wk_agg_docs_t in, none;
    bson_t pipe = BSON_INITIALIZER, st, spec, into;
    bson_iter_t it;
    int ret;

    wk_agg_docs_init(&in);
    wk_agg_docs_init(&none);
    BSON_APPEND_DOCUMENT_BEGIN(&pipe, "0", &st);
    BSON_APPEND_DOCUMENT_BEGIN(&st, strcmp(mode, "replace") == 0 ? "$out" : "$merge", &spec);
    if (strcmp(mode, "replace") == 0) {
        BSON_APPEND_UTF8(&spec, "db", db);
        BSON_APPEND_UTF8(&spec, "coll", coll);
    } else {
        BSON_APPEND_DOCUMENT_BEGIN(&spec, "into", &into);
        BSON_APPEND_UTF8(&into, "db", db);
        BSON_APPEND_UTF8(&into, "coll", coll);
        bson_append_document_end(&spec, &into);
        BSON_APPEND_UTF8(&spec, "whenMatched", "replace");
        BSON_APPEND_UTF8(&spec, "whenNotMatched", "insert");
    }
    bson_append_document_end(&st, &spec);
    bson_append_document_end(&pipe, &st);
    if (bson_iter_init(&it, results))
        while (bson_iter_next(&it)) {
            bson_t d;
            uint32_t len;
            const uint8_t *data;
            bson_iter_document(&it, &len, &data);
            if (bson_init_static(&d, data, len))
                wk_agg_docs_push(&in, bson_copy(&d));
        }
    ret = run_pipeline(cmd, cmd->db, a->coll, &pipe, &in, a->bypass, &none);
    wk_agg_docs_free(&none);
    wk_agg_docs_free(&in);
    bson_destroy(&pipe);
    return ret;
}

/* reply -- {results} inline, else {result: coll} or {result: {db, collection}}. */
static void
reply(wk_cmd_t *cmd, bool inline_out, const char *coll, const char *db, const bson_t *results)
{
    bson_t r;

    if (inline_out) {
        BSON_APPEND_ARRAY(cmd->reply, "results", results);
    } else if (db != NULL) {
        BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "result", &r);
        BSON_APPEND_UTF8(&r, "db", db);
        BSON_APPEND_UTF8(&r, "collection", coll);
        bson_append_document_end(cmd->reply, &r);
    } else {
        BSON_APPEND_UTF8(cmd->reply, "result", coll);
    }
}

int
wk_cmd_map_reduce(wk_cmd_t *cmd)
{
    mr_args_t a;
    mr_js_t js = {0};
    wk_agg_docs_t docs;
    bson_t emits = BSON_INITIALIZER, results = BSON_INITIALIZER;
    const char *mode, *coll, *db;
    bool inline_out;
    int ret = 0;

    wk_agg_docs_init(&docs);
    SDB_ERR(parse_args(cmd, &a));
    SDB_ERR(out_target(cmd, &a.out, &mode, &coll, &db, &inline_out));
    if (!wk_js_enabled())
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_Location31246,
                              "Cannot run server-side javascript without the javascript engine "
                              "enabled"));
    SDB_ERR(read_source(cmd, &a, &docs));
    SDB_ERR(compile(cmd, &a, &js));
    SDB_ERR(run_map(cmd, &js, &docs, &emits));
    SDB_ERR(run_reduce(cmd, &js, &emits, &results));
    if (!inline_out && strcmp(mode, "reduce") == 0)
        SDB_ERR(reduce_existing(cmd, &js, db != NULL ? db : cmd->db, coll, &results));
    if (!inline_out)
        SDB_ERR(write_out(cmd, &a, mode, coll, db != NULL ? db : cmd->db, &results));
    reply(cmd, inline_out, coll, db, &results);
err:
    wk_js_fn_free(js.map);
    wk_js_fn_free(js.reduce);
    wk_js_fn_free(js.finalize);
    wk_js_scope_free(js.scope);
    wk_agg_docs_free(&docs);
    bson_destroy(&emits);
    bson_destroy(&results);
    return ret;
}
