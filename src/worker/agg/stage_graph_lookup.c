/*
 * src/worker/agg/stage_graph_lookup.c -- $graphLookup: a recursive search of a collection.
 *
 * {from, startWith, connectFromField, connectToField, as, maxDepth?, depthField?,
 * restrictSearchWithMatch?}.  For each input document the search starts from the value(s) of
 * startWith (an array is many starting values) and proceeds breadth first, as mongod's does:
 * each round matches the foreign documents whose connectToField equals a value of the
 * frontier ({connectToField: {$in: frontier}} under the query language's rules, so arrays on
 * the foreign side match by element and numbers of different types compare equal), ANDed with
 * restrictSearchWithMatch; a document not seen before (by _id, 40271 when it has none) joins
 * the result with depthField set to its round (a long), and every value reached by its
 * connectFromField (array elements each) joins the next frontier.  Cycles end because a seen
 * document adds nothing; maxDepth bounds the rounds.  Like mongod, a null in the frontier does
 * not match documents lacking connectToField, and null and undefined match only themselves.
 * The result array holds the documents in the order they were found (mongod's order is that of
 * a hash table: unspecified); its size is bounded by 100 MiB (40099).
 *
 * The foreign collection (or view, through wk_agg_run_foreign) is read once per run and
 * matched in memory.
 *
 * Invariants: event-loop thread (the store is read); the private state is immutable after
 * parsing.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../query/matcher.h"

#include <math.h>
#include <string.h>

typedef struct graph {
    char *from, *as, *from_field, *to_field, *depth_field;
    wk_expr_t *start;
    int64_t max_depth; /* -1: none */
    bson_t *restrict_match;
} graph_t;

static void
graph_free(graph_t *g)
{
    if (g == NULL)
        return;
    bson_free(g->from);
    bson_free(g->as);
    bson_free(g->from_field);
    bson_free(g->to_field);
    bson_free(g->depth_field);
    wk_expr_free(g->start);
    if (g->restrict_match != NULL)
        bson_destroy(g->restrict_match);
    bson_free(g);
}

/* parse_max_depth -- a non-negative integral number. */
static int
parse_max_depth(graph_t *g, const bson_iter_t *it, sdb_error_t *err)
{
    const bson_value_t *v = bson_iter_value((bson_iter_t *)it);
    double d;

    if (!BSON_ITER_HOLDS_NUMBER(it) && v->value_type != BSON_TYPE_DECIMAL128)
        return sdb_error_set(err, SDB_CODE_Location40100,
                             "maxDepth must be numeric, found type: %s",
                             wk_agg_type_name(v->value_type));
    if (v->value_type == BSON_TYPE_INT32 || v->value_type == BSON_TYPE_INT64) {
        g->max_depth = bson_iter_as_int64(it);
        d = (double)g->max_depth;
    } else {
        d = v->value_type == BSON_TYPE_DOUBLE ? v->value.v_double : bson_iter_as_double(it);
        g->max_depth = isnan(d)       ? 0
                       : d >= 9.2e18  ? INT64_MAX
                       : d <= -9.2e18 ? INT64_MIN
                                      : (int64_t)d;
    }
    if (g->max_depth < 0)
        return sdb_error_set(err, SDB_CODE_Location40101,
                             "maxDepth requires a nonnegative argument, found: %lld",
                             (long long)g->max_depth);
    if ((double)g->max_depth != d)
        return sdb_error_set(err, SDB_CODE_Location40102,
                             "maxDepth could not be represented as a long long: %lld",
                             (long long)g->max_depth);
    return 0;
}

/* parse_restrict -- a filter the matcher accepts. */
static int
parse_restrict(graph_t *g, const bson_iter_t *it, sdb_error_t *err)
{
    wk_matcher_t *m = NULL;
    const uint8_t *data;
    uint32_t len;
    int ret;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_Location40185,
                             "restrictSearchWithMatch must be an object, found %s",
                             wk_agg_type_name(bson_iter_type(it)));
    bson_iter_document(it, &len, &data);
    if (g->restrict_match != NULL)
        bson_destroy(g->restrict_match);
    g->restrict_match = bson_new_from_data(data, len);
    ret = wk_matcher_new(g->restrict_match, &m, err);
    wk_matcher_free(m);
    if (ret != 0 && err->code != 0) {
        char msg[sizeof(err->msg)];

        snprintf(msg, sizeof(msg), "%s", err->msg);
        sdb_error_set(err, err->code,
                      "Failed to parse 'restrictSearchWithMatch' option to $graphLookup :: caused "
                      "by :: %s",
                      msg);
    }
    return ret;
}

/* parse_string -- one of the string arguments, into *out (a FieldPath unless `from`). */
static int
parse_string(const bson_iter_t *it, char **out, bool path, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, SDB_CODE_Location40103,
                             "expected string as argument for %s, found: %s", k,
                             wk_agg_type_name(bson_iter_type(it)));
    bson_free(*out);
    *out = bson_strdup(bson_iter_utf8(it, NULL));
    return path ? wk_agg_field_path(*out, err) : 0;
}

/* parse_arg -- one field of the specification. */
static int
parse_arg(graph_t *g, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "startWith") == 0) {
        wk_expr_free(g->start);
        g->start = NULL;
        return wk_expr_parse(it, &g->start, err);
    }
    if (strcmp(k, "maxDepth") == 0)
        return parse_max_depth(g, it, err);
    if (strcmp(k, "restrictSearchWithMatch") == 0)
        return parse_restrict(g, it, err);
    if (strcmp(k, "from") == 0 && BSON_ITER_HOLDS_DOCUMENT(it)) {
        bson_iter_t f;
        const char *db = "", *coll = "";

        /* mongod takes {db, coll} only for its tenant-migration oplog view */
        bson_iter_recurse(it, &f);
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "db") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                db = bson_iter_utf8(&f, NULL);
            if (strcmp(bson_iter_key(&f), "coll") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                coll = bson_iter_utf8(&f, NULL);
        }
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$graphLookup with syntax {from: {db:<>, coll:<>},..} is not "
                             "supported for db: %s and coll: %s",
                             db, coll);
    }
    if (strcmp(k, "from") == 0) {
        uint32_t len = 0;

        SDB_RET(parse_string(it, &g->from, false, err));
        bson_iter_utf8(it, &len);
        if (g->from[0] == '\0' || strlen(g->from) != len)
            return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                                 "invalid $graphLookup namespace: %s", g->from);
        return 0;
    }
    if (strcmp(k, "as") == 0)
        return parse_string(it, &g->as, true, err);
    if (strcmp(k, "connectFromField") == 0)
        return parse_string(it, &g->from_field, true, err);
    if (strcmp(k, "connectToField") == 0)
        return parse_string(it, &g->to_field, true, err);
    if (strcmp(k, "depthField") == 0)
        return parse_string(it, &g->depth_field, true, err);
    return sdb_error_set(err, SDB_CODE_Location40104, "Unknown argument to $graphLookup: %s", k);
}

int
wk_agg_parse_graph_lookup(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                          sdb_error_t *err)
{
    graph_t *g;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "the $graphLookup stage specification must be an object, but found %s",
                             wk_agg_type_name(bson_iter_type(spec)));
    bson_iter_recurse(spec, &it);
    if (!bson_iter_find(&it, "from"))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "missing 'from' option to $graphLookup stage specification");
    g = bson_malloc0(sizeof(*g));
    g->max_depth = -1;
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it))
        SDB_ERR(parse_arg(g, &it, err));
    if (g->from == NULL || g->as == NULL || g->start == NULL || g->from_field == NULL ||
        g->to_field == NULL)
        SDB_ERR(
            sdb_error_set(err, SDB_CODE_Location40105,
                          "$graphLookup requires 'from', 'as', 'startWith', 'connectFromField', "
                          "and 'connectToField' to be specified."));
    *priv = g;
    return 0;
err:
    graph_free(g);
    return ret;
}

/* ---- the search ------------------------------------------------------------------------ */

/* A set of values kept in a BSON array (small; linear lookups). */
typedef struct vset {
    bson_t arr;
    uint32_t n;
} vset_t;

static bool
vset_has(const vset_t *s, const bson_value_t *v)
{
    bson_iter_t it;

    bson_iter_init(&it, &s->arr);
    while (bson_iter_next(&it))
        if (sdb_bson_value_cmp(bson_iter_value(&it), v) == 0)
            return true;
    return false;
}

static void
vset_add(vset_t *s, const bson_value_t *v)
{
    char buf[16];
    const char *k;

    if (v->value_type == BSON_TYPE_EOD || vset_has(s, v))
        return;
    bson_uint32_to_string(s->n++, &k, buf, sizeof(buf));
    bson_append_value(&s->arr, k, -1, v);
}

/* add_values -- every value `path[i..]` reaches below `it` (array elements each, arrays on the
 * way traversed) into the set. */
static void
add_values(const bson_iter_t *it, char **parts, int i, int n, vset_t *s)
{
    bson_iter_t child;

    if (i == n) {
        if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
            while (bson_iter_next(&child))
                vset_add(s, bson_iter_value(&child));
            return;
        }
        vset_add(s, bson_iter_value((bson_iter_t *)it));
        return;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child)) {
        if (bson_iter_find(&child, parts[i]))
            add_values(&child, parts, i + 1, n, s);
    } else if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &child)) {
        while (bson_iter_next(&child))
            if (BSON_ITER_HOLDS_DOCUMENT(&child))
                add_values(&child, parts, i, n, s);
    }
}

/* doc_values -- the values of dotted `path` in doc into the set. */
static void
doc_values(const bson_t *doc, const sdb_path_t *path, vset_t *s)
{
    bson_t wrap = BSON_INITIALIZER;
    bson_iter_t it;

    BSON_APPEND_DOCUMENT(&wrap, "", doc);
    if (bson_iter_init(&it, &wrap) && bson_iter_next(&it))
        add_values(&it, path->parts, 0, path->n, s);
    bson_destroy(&wrap);
}

/* frontier_filter -- {$and: [restrict?, {to: {$in: frontier}}, null/undefined guards]}. */
static void
frontier_filter(const graph_t *g, const vset_t *frontier, bson_t *filter)
{
    bool has_null = false, has_undef = false;
    bson_t and, el, in;
    bson_iter_t it;
    uint32_t n = 0;
    char buf[16];
    const char *k;

    bson_iter_init(&it, &frontier->arr);
    while (bson_iter_next(&it)) {
        has_null |= BSON_ITER_HOLDS_NULL(&it);
        has_undef |= bson_iter_type(&it) == BSON_TYPE_UNDEFINED;
    }
    bson_init(filter);
    BSON_APPEND_ARRAY_BEGIN(filter, "$and", &and);
    if (g->restrict_match != NULL) {
        bson_uint32_to_string(n++, &k, buf, sizeof(buf));
        BSON_APPEND_DOCUMENT(&and, k, g->restrict_match);
    }
    bson_uint32_to_string(n++, &k, buf, sizeof(buf));
    BSON_APPEND_DOCUMENT_BEGIN(&and, k, &el);
    BSON_APPEND_DOCUMENT_BEGIN(&el, g->to_field, &in);
    BSON_APPEND_ARRAY(&in, "$in", &frontier->arr);
    bson_append_document_end(&el, &in);
    bson_append_document_end(&and, &el);
    if (has_null || has_undef) {
        bson_uint32_to_string(n++, &k, buf, sizeof(buf));
        BSON_APPEND_DOCUMENT_BEGIN(&and, k, &el);
        BSON_APPEND_DOCUMENT_BEGIN(&el, g->to_field, &in);
        BSON_APPEND_BOOL(&in, "$exists", true);
        bson_append_document_end(&el, &in);
        bson_append_document_end(&and, &el);
    }
    if (has_null != has_undef) {
        bson_t not ;

        bson_uint32_to_string(n++, &k, buf, sizeof(buf));
        BSON_APPEND_DOCUMENT_BEGIN(&and, k, &el);
        BSON_APPEND_DOCUMENT_BEGIN(&el, g->to_field, &in);
        BSON_APPEND_DOCUMENT_BEGIN(&in, "$not", &not );
        BSON_APPEND_UTF8(&not, "$type", has_null ? "undefined" : "null");
        bson_append_document_end(&in, &not );
        bson_append_document_end(&el, &in);
        bson_append_document_end(&and, &el);
    }
    bson_append_array_end(filter, &and);
}

/* The state of one search: the documents found, their _ids, their total size. */
typedef struct search {
    const graph_t *g;
    const wk_agg_ctx_t *ctx;
    const wk_agg_docs_t *foreign;
    sdb_path_t from_path;
    vset_t ids;
    bson_t found; /* the result array */
    uint32_t nfound;
    size_t bytes;
} search_t;

/* visit -- add foreign document d (found in round `depth`) unless seen; *added when it was. */
static int
visit(search_t *s, const bson_t *d, int64_t depth, vset_t *next, bool *added, sdb_error_t *err)
{
    bson_iter_t id;
    char buf[16];
    const char *k;

    if (!bson_iter_init_find(&id, d, "_id"))
        return sdb_error_set(err, SDB_CODE_Location40271,
                             "Documents in the '%s.%s' namespace must contain an _id for "
                             "de-duplication in $graphLookup",
                             s->ctx->db, s->g->from);
    if (vset_has(&s->ids, bson_iter_value(&id)))
        return 0;
    vset_add(&s->ids, bson_iter_value(&id));
    bson_uint32_to_string(s->nfound++, &k, buf, sizeof(buf));
    if (s->g->depth_field != NULL) {
        bson_value_t dv = {.value_type = BSON_TYPE_INT64, .value.v_int64 = depth};
        bson_t with;

        wk_agg_doc_set(d, s->g->depth_field, &dv, &with);
        BSON_APPEND_DOCUMENT(&s->found, k, &with);
        s->bytes += with.len;
        bson_destroy(&with);
    } else {
        BSON_APPEND_DOCUMENT(&s->found, k, d);
        s->bytes += d->len;
    }
    doc_values(d, &s->from_path, next);
    *added = true;
    if (s->bytes >= WK_AGG_MEM_MAX)
        return sdb_error_set(err, SDB_CODE_Location40099,
                             "$graphLookup reached maximum memory consumption");
    return 0;
}

/* round -- match the frontier once; the next frontier into `next`. */
static int
round_once(search_t *s, const vset_t *frontier, int64_t depth, vset_t *next, bool *added,
           sdb_error_t *err)
{
    wk_match_opts_t mo = {NULL, s->ctx->collation};
    wk_matcher_t *m = NULL;
    bson_t filter;
    int ret = 0;

    frontier_filter(s->g, frontier, &filter);
    SDB_ERR(wk_matcher_new_ex(&filter, &mo, &m, err));
    for (size_t i = 0; i < s->foreign->n; i++) {
        SDB_ERR(wk_op_check(s->ctx->op, err));
        if (wk_matcher_matches(m, s->foreign->v[i], NULL))
            SDB_ERR(visit(s, s->foreign->v[i], depth, next, added, err));
    }
err:
    wk_matcher_free(m);
    bson_destroy(&filter);
    return ret;
}

/* search_one -- the output document for one input. */
static int
search_one(search_t *s, const bson_t *doc, wk_agg_docs_t *out, sdb_error_t *err)
{
    vset_t frontier, next;
    bson_value_t start;
    bson_t res;
    bool added = true;
    int ret = 0;

    bson_init(&frontier.arr);
    frontier.n = 0;
    bson_init(&next.arr);
    next.n = 0;
    SDB_ERR(wk_agg_eval_op(s->g->start, doc, s->ctx->op, &start, err));
    if (start.value_type == BSON_TYPE_ARRAY) {
        bson_t view;
        bson_iter_t it;

        wk_agg_value_doc(&start, &view);
        bson_iter_init(&it, &view);
        while (bson_iter_next(&it))
            vset_add(&frontier, bson_iter_value(&it));
    } else {
        vset_add(&frontier, &start);
    }
    if (start.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&start);
    for (int64_t depth = 0;
         added && frontier.n > 0 && (s->g->max_depth < 0 || depth <= s->g->max_depth); depth++) {
        added = false;
        SDB_ERR(round_once(s, &frontier, depth, &next, &added, err));
        bson_destroy(&frontier.arr);
        frontier = next;
        bson_init(&next.arr);
        next.n = 0;
    }
    {
        bson_value_t av = {.value_type = BSON_TYPE_ARRAY};

        av.value.v_doc.data = (uint8_t *)bson_get_data(&s->found);
        av.value.v_doc.data_len = s->found.len;
        wk_agg_doc_set(doc, s->g->as, &av, &res);
        wk_agg_docs_push(out, bson_copy(&res));
        bson_destroy(&res);
    }
err:
    bson_destroy(&frontier.arr);
    bson_destroy(&next.arr);
    return ret;
}

int
wk_agg_run_graph_lookup(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                        sdb_error_t *err)
{
    const graph_t *g = priv;
    wk_agg_docs_t foreign;
    search_t s;
    int ret = 0;

    memset(&s, 0, sizeof(s));
    wk_agg_docs_init(&foreign);
    s.g = g;
    s.ctx = ctx;
    s.foreign = &foreign;
    SDB_ERR(sdb_path_parse(g->from_field, strlen(g->from_field), &s.from_path, err));
    SDB_ERR(wk_agg_run_foreign(ctx, g->from, NULL, &foreign, err));
    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] == NULL)
            continue;
        bson_init(&s.ids.arr);
        s.ids.n = 0;
        bson_init(&s.found);
        s.nfound = 0;
        s.bytes = 0;
        ret = search_one(&s, in->v[i], out, err);
        bson_destroy(&s.ids.arr);
        bson_destroy(&s.found);
        SDB_ERR(ret);
    }
err:
    sdb_path_destroy(&s.from_path);
    wk_agg_docs_free(&foreign);
    return ret;
}

void
wk_agg_free_graph_lookup(void *priv)
{
    graph_free(priv);
}
