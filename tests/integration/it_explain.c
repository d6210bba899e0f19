/*
 * tests/integration/it_explain.c -- explain shows the plan that runs, with its real counts.
 *
 * The same 2,000 documents go into "ix" (single-field, compound, multikey and unique indexes)
 * and "plain" (none).  For every query shape of the table, find (batchSize 3, so getMore
 * resumes the scans) returns the same documents from both, in the same order when the sort
 * decides it; then explain at executionStats on "ix" must show the expected chain of stages
 * (LIMIT > FETCH > IXSCAN, SORT > FETCH > IXSCAN, COLLSCAN...), the index, nReturned equal
 * to what find returned, and keys and documents examined within the table's bounds: an
 * equality examines its matches (plus the key that ends the range), a sort + limit through
 * an index about limit keys, a multikey range never intersects its two sides.  Then explain
 * of count, distinct, delete, update, findAndModify and aggregate, verbosities, and errors;
 * find's min/max, returnKey and showRecordId.
 * One shared server.
 */
#include "harness.h"

#define DB "explain"
#define NDOCS 2000
#define NKINDS 1000

typedef struct qcase {
    const char *filter, *sort, *hint; /* JSON; sort/hint NULL = none */
    int64_t limit;
    const char *chain;        /* stages from executionStages down, joined by '>' */
    const char *index;        /* the IXSCAN's indexName, or NULL */
    int64_t nret;             /* documents returned */
    int64_t kmin, kmax, docs; /* keysExamined in [kmin, kmax]; docsExamined (-1 = any) */
    bool ordered;             /* the sort fixes the order of every document */
    const char *proj;         /* JSON projection, or NULL */
    bool kinds;               /* on "kinds"/"kplain" (the second data set) */
} qcase_t;

static const qcase_t cases[] = {
    {"{'a': 5}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 40, 40, 41, 40, false},
    {"{'a': 5, 'b': 3}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1_b_1", 5, 5, 6, 5, false},
    {"{'a': {'$gte': 10, '$lt': 12}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 80, 80, 81, 80, false},
    {"{'a': {'$in': [1, 2, 3]}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 120, 120, 123, 120, false},
    {"{'u': {'$gte': 100, '$lt': 200}}", NULL, NULL, 0, "FETCH>IXSCAN", "u_1", 100, 100, 101, 100,
     false},
    {"{}", "{'u': 1}", NULL, 10, "LIMIT>FETCH>IXSCAN", "u_1", 10, 10, 11, 10, true},
    {"{}", "{'u': -1}", NULL, 10, "LIMIT>FETCH>IXSCAN", "u_1", 10, 10, 11, 10, true},
    {"{'b': 3}", "{'u': -1}", NULL, 10, "LIMIT>FETCH>IXSCAN", "b_1_u_-1", 10, 10, 11, 10, true},
    {"{'b': 3}", "{'u': 1}", NULL, 10, "LIMIT>FETCH>IXSCAN", "b_1_u_-1", 10, 10, 11, 10, true},
    {"{'b': 3}", "{'u': 1}", NULL, 0, "FETCH>IXSCAN", "b_1_u_-1", 286, 286, 287, 286, true},
    {"{'a': 5}", "{'b': 1}", NULL, 0, "FETCH>IXSCAN", "a_1_b_1", 40, 40, 41, 40, false},
    {"{'a': {'$gt': 40}}", "{'u': 1}", NULL, 0, "SORT>FETCH>IXSCAN", "a_1", 360, 360, 361, 360,
     true},
    {"{'m': 3}", NULL, NULL, 0, "FETCH>IXSCAN", "m_1", 200, 200, 201, 200, false},
    {"{'m': {'$gt': 5, '$lt': 8}}", NULL, NULL, 0, "FETCH>IXSCAN", "m_1", 1600, 2800, 2801, 2000,
     false},
    {"{'c': {'$regex': '^s01'}}", NULL, NULL, 0, "FETCH>IXSCAN", "c_1", 200, 200, 202, 200, false},
    {"{'c': {'$gt': 's098'}}", NULL, NULL, 0, "FETCH>IXSCAN", "c_1", 20, 20, 21, 20, false},
    {"{'x': 1}", NULL, NULL, 0, "COLLSCAN", NULL, 0, 0, 0, 2000, false},
    {"{'b': 3}", NULL, "{'a': 1}", 0, "FETCH>IXSCAN", "a_1", 286, 2000, 2000, 2000, false},
    {"{'a': 5}", NULL, "{'$natural': 1}", 0, "COLLSCAN", NULL, 40, 0, 0, 2000, false},
    {"{'_id': 7}", NULL, NULL, 0, "IDHACK", NULL, 1, 1, 2, 1, false},
    {"{'a': 5}", "{'u': 1}", NULL, 5, "SORT>FETCH>IXSCAN", "a_1", 5, 40, 41, 40, true},
    {"{'$or': [{'a': 5}, {'u': {'$lt': 10}}]}", NULL, NULL, 0, "FETCH>OR", NULL, 49, 51, 52, 49,
     false},
    {"{'$or': [{'a': 5}, {'u': {'$lt': 10}}]}", "{'u': 1}", NULL, 0, "SORT>FETCH>OR", NULL, 49, 51,
     52, 49, true},
    {"{'$or': [{'m': 3}, {'m': 4}, {'c': 's001'}]}", NULL, NULL, 0, "FETCH>OR", NULL, 420, 420, 423,
     420, false},
    {"{'$or': [{'a': 5}, {'x': 1}]}", NULL, NULL, 0, "COLLSCAN", NULL, 40, 0, 0, 2000, false},
    /* two ranges: c_1 comes first in the catalog, u_1 wins the race (it ends at once) */
    {"{'c': {'$gte': 's000'}, 'u': {'$lt': 5}}", NULL, NULL, 0, "FETCH>IXSCAN", "u_1", 5, 5, 6, 5,
     false},
    /* the second data set (make_kind): covered plans keep every number's type */
    {"{'p': {'$lt': 30}}", NULL, NULL, 0, "PROJECTION_COVERED>IXSCAN", "p_1_q_1", 30, 30, 31, 0,
     false, "{'p': 1, 'q': 1, '_id': 0}", true},
    {"{'p': {'$gte': 10, '$lt': 20}, 'q': 1}", "{'p': -1}", NULL, 0, "PROJECTION_COVERED>IXSCAN",
     "p_1_q_1", 4, 10, 11, 0, true, "{'q': 1, 'p': 1, '_id': 0}", true},
    {"{'n.v': 3}", NULL, NULL, 0, "PROJECTION_COVERED>IXSCAN", "n.v_1", 100, 100, 101, 0, false,
     "{'n.v': 1, '_id': 0}", true},
    {"{'p': {'$lt': 5}}", NULL, NULL, 0, "PROJECTION_SIMPLE>FETCH>IXSCAN", "p_1_q_1", 5, 5, 6, 5,
     false, "{'p': 1}", true},
    {"{'p': {'$lt': 5}, 'r': 1}", NULL, NULL, 0, "PROJECTION_SIMPLE>FETCH>IXSCAN", "p_1_q_1", 2, 5,
     6, 5, false, "{'p': 1, '_id': 0}", true},
    {"{'a': null}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 22, 22, 23, 22, false, NULL, true},
    {"{'a': {'$in': [null, 3]}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 42, 42, 44, 42, false, NULL,
     true},
    {"{'a': {'$exists': false}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 11, 22, 23, 22, false, NULL,
     true},
    {"{'a': {'$ne': 5}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 980, 980, 990, 980, false, NULL,
     true},
    {"{'a': {'$nin': [5, 6, 7]}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 941, 941, 960, 941, false,
     NULL, true},
    {"{'a': {'$not': {'$gt': 10}}}", NULL, NULL, 0, "FETCH>IXSCAN", "a_1", 239, 239, 241, 239,
     false, NULL, true},
    {"{'e': {'$elemMatch': {'b': 1, 'c': 3}}}", NULL, NULL, 0, "FETCH>IXSCAN", "e.b_1_e.c_1", 57,
     400, 401, 400, false, NULL, true},
    {"{'$or': [{'x': 1}, {'y': 7}]}", "{'z': 1}", NULL, 0, "FETCH>SORT_MERGE", NULL, 200, 200, 202,
     200, true, NULL, true},
    {"{'$or': [{'x': 1}, {'y': 6}, {'x': 3}]}", "{'z': -1}", NULL, 0, "FETCH>SORT_MERGE", NULL, 200,
     300, 303, 300, true, NULL, true},
    {"{'$or': [{'x': 1}, {'y': 7}]}", "{'z': 1}", NULL, 5, "LIMIT>FETCH>SORT_MERGE", NULL, 5, 5, 24,
     -1, true, NULL, true},
    {"{'$or': [{'x': 1}, {'q': 2}]}", "{'z': 1}", NULL, 0, "SORT>COLLSCAN", NULL, 400, 0, 0, 1000,
     true, NULL, true},
    {"{'h': 7}", NULL, NULL, 0, "FETCH>IXSCAN", "h_hashed", 10, 10, 11, 10, false, NULL, true},
    {"{'h': {'$in': [7, 8, 7.0]}, 'q': 1}", NULL, NULL, 0, "FETCH>IXSCAN", "h_hashed", 7, 20, 22,
     20, false, NULL, true},
    {"{'w.x': 3}", NULL, NULL, 0, "FETCH>IXSCAN", "w.$**_1", 50, 50, 51, 50, false, NULL, true},
    {"{'w.y': {'$gt': 't2'}, 'w.x': {'$gte': 0}}", NULL, NULL, 0, "FETCH>IXSCAN", "w.$**_1", 400,
     400, 401, 400, false, NULL, true},
    {"{'w.x': null}", NULL, NULL, 0, "COLLSCAN", NULL, 0, 0, 0, 1000, false, NULL, true},
    {"{'e': {'$elemMatch': {'b': 1}}}", NULL, NULL, 0, "FETCH>IXSCAN", "e.b_1_e.c_1", 400, 400, 401,
     400, false, NULL, true},
    /* {$exists: true} scans a wildcard index's entries at and below the path */
    {"{'w.x': {'$exists': true}}", NULL, NULL, 0, "FETCH>IXSCAN", "w.$**_1", 1000, 1000, 1010, 1000,
     false, NULL, true},
    {"{'w': {'$exists': true}, 'q': 1}", NULL, NULL, 0, "FETCH>IXSCAN", "w.$**_1", 333, 2000, 2010,
     1000, false, NULL, true},
    /* a wildcardProjection ({'g.k': 1}): the paths it includes, and only those */
    {"{'g.k': 2}", NULL, NULL, 0, "FETCH>IXSCAN", "$**_1", 250, 250, 251, 250, false, NULL, true},
    {"{'g.k': {'$exists': true}}", NULL, NULL, 0, "FETCH>IXSCAN", "$**_1", 900, 900, 910, 900,
     false, NULL, true},
    {"{'g.k': {'$gt': 1}, 'g.l': 2}", NULL, NULL, 0, "FETCH>IXSCAN", "$**_1", 84, 450, 460, 450,
     false, NULL, true},
    {"{'g.l': 2}", NULL, NULL, 0, "COLLSCAN", NULL, 167, 0, 0, 1000, false, NULL, true},
    {"{'g': {'$exists': true}}", NULL, NULL, 0, "COLLSCAN", NULL, 1000, 0, 0, 1000, false, NULL,
     true},
    /* an $or whose every clause's index holds the filter's and the projection's fields: no FETCH */
    {"{'$or': [{'k1': 3}, {'k2': {'$lt': 2}}]}", NULL, NULL, 0, "PROJECTION_DEFAULT>OR", NULL, 320,
     348, 352, 0, false, "{'k1': 1, '_id': 0}", true},
    {"{'$or': [{'k1': 3}, {'k2': 4}]}", "{'k2': 1}", NULL, 0, "PROJECTION_DEFAULT>SORT_MERGE", NULL,
     223, 236, 240, 0, false, "{'k2': 1, '_id': 0}", true},
    {"{'$or': [{'k1': 3}, {'k2': {'$in': [0, null]}}]}", NULL, NULL, 0,
     "PROJECTION_SIMPLE>FETCH>OR", NULL, 223, 237, 245, 223, false, "{'k1': 1, '_id': 0}", true},
    {"{'$or': [{'k1': 3}, {'k2': {'$lt': 2}}]}", NULL, NULL, 0, "PROJECTION_SIMPLE>FETCH>OR", NULL,
     320, 348, 352, 320, false, "{'k1': 1, 'p': 1, '_id': 0}", true},
    {"{'$or': [{'x': 1}, {'y': 7}]}", NULL, NULL, 0, "PROJECTION_SIMPLE>FETCH>OR", NULL, 200, 200,
     202, 200, false, "{'z': 1, '_id': 0}", true},
};

static void
make_doc(bson_t *d, int i)
{
    bson_t m;
    char buf[16];

    BSON_APPEND_INT32(d, "_id", i);
    BSON_APPEND_INT32(d, "a", i % 50);
    BSON_APPEND_INT32(d, "b", i % 7);
    bson_snprintf(buf, sizeof(buf), "s%03d", i % 100);
    BSON_APPEND_UTF8(d, "c", buf);
    BSON_APPEND_ARRAY_BEGIN(d, "m", &m);
    BSON_APPEND_INT32(&m, "0", i % 10);
    BSON_APPEND_INT32(&m, "1", i % 10 + 20);
    bson_append_array_end(d, &m);
    BSON_APPEND_INT32(d, "u", i);
}

/* make_kind -- a document of the second data set (index kinds, bounds, covered plans): a
 * missing for i % 97 == 0 and null for i % 89 == 0, p an int32, long or double by i % 3. */
static void
make_kind(bson_t *d, int i)
{
    bson_t sub, arr;
    char buf[16];

    BSON_APPEND_INT32(d, "_id", i);
    if (i % 97 != 0 && i % 89 == 0)
        BSON_APPEND_NULL(d, "a");
    else if (i % 97 != 0)
        BSON_APPEND_INT32(d, "a", i % 50);
    if (i % 3 == 0)
        BSON_APPEND_INT32(d, "p", i);
    else if (i % 3 == 1)
        BSON_APPEND_INT64(d, "p", i);
    else
        BSON_APPEND_DOUBLE(d, "p", (double)i);
    BSON_APPEND_INT32(d, "q", i % 3);
    BSON_APPEND_INT32(d, "r", i % 2);
    BSON_APPEND_INT32(d, "h", i % 100);
    BSON_APPEND_DOCUMENT_BEGIN(d, "w", &sub);
    BSON_APPEND_INT32(&sub, "x", i % 20);
    bson_snprintf(buf, sizeof(buf), "t%d", i % 5);
    BSON_APPEND_UTF8(&sub, "y", buf);
    bson_append_document_end(d, &sub);
    BSON_APPEND_ARRAY_BEGIN(d, "e", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &sub);
    BSON_APPEND_INT32(&sub, "b", i % 5);
    BSON_APPEND_INT32(&sub, "c", i % 7);
    bson_append_document_end(&arr, &sub);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "1", &sub);
    BSON_APPEND_INT32(&sub, "b", (i + 1) % 5);
    BSON_APPEND_INT32(&sub, "c", (i + 2) % 7);
    bson_append_document_end(&arr, &sub);
    bson_append_array_end(d, &arr);
    BSON_APPEND_INT32(d, "x", i % 10);
    BSON_APPEND_INT32(d, "y", i % 10 + 5);
    BSON_APPEND_INT32(d, "z", NKINDS - i);
    BSON_APPEND_DOCUMENT_BEGIN(d, "n", &sub);
    BSON_APPEND_INT32(&sub, "v", i % 10);
    bson_append_document_end(d, &sub);
    BSON_APPEND_INT32(d, "k1", i % 8);
    BSON_APPEND_INT32(d, "k2", i % 9);
    BSON_APPEND_DOCUMENT_BEGIN(d, "g", &sub); /* g.k missing for i % 10 == 9 */
    if (i % 10 != 9)
        BSON_APPEND_INT32(&sub, "k", i % 4);
    BSON_APPEND_INT32(&sub, "l", i % 6);
    bson_append_document_end(d, &sub);
}

static void
fill(mongoc_client_t *c, const char *coll, int n, void (*make)(bson_t *, int))
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_t docs[NDOCS];
    const bson_t *ptrs[NDOCS];
    bson_error_t e;

    for (int i = 0; i < n; i++) {
        bson_init(&docs[i]);
        make(&docs[i], i);
        ptrs[i] = &docs[i];
    }
    ck_assert_msg(mongoc_collection_insert_many(col, ptrs, (size_t)n, NULL, NULL, &e), "%s",
                  e.message);
    for (int i = 0; i < n; i++)
        bson_destroy(&docs[i]);
    mongoc_collection_destroy(col);
}

static void
setup(mongoc_client_t *c)
{
    bson_t r;

    CMD_OK(c, DB, "{'count': 'ix'}", &r);
    if (fx_int(&r, "n") == NDOCS) {
        bson_destroy(&r);
        return;
    }
    bson_destroy(&r);
    fill(c, "ix", NDOCS, make_doc);
    fill(c, "plain", NDOCS, make_doc);
    fill(c, "kinds", NKINDS, make_kind);
    fill(c, "kplain", NKINDS, make_kind);
    CMD_OK(c, DB,
           "{'createIndexes': 'kinds', 'indexes': ["
           "{'key': {'a': 1}, 'name': 'a_1'},"
           "{'key': {'p': 1, 'q': 1}, 'name': 'p_1_q_1'},"
           "{'key': {'h': 'hashed'}, 'name': 'h_hashed'},"
           "{'key': {'w.$**': 1}, 'name': 'w.$**_1'},"
           "{'key': {'e.b': 1, 'e.c': 1}, 'name': 'e.b_1_e.c_1'},"
           "{'key': {'x': 1, 'z': 1}, 'name': 'x_1_z_1'},"
           "{'key': {'y': 1, 'z': 1}, 'name': 'y_1_z_1'},"
           "{'key': {'n.v': 1}, 'name': 'n.v_1'},"
           "{'key': {'$**': 1}, 'name': '$**_1', 'wildcardProjection': {'g.k': 1}},"
           "{'key': {'k1': 1, 'k2': 1}, 'name': 'k1_1_k2_1'},"
           "{'key': {'k2': 1, 'k1': 1}, 'name': 'k2_1_k1_1'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'ix', 'indexes': ["
           "{'key': {'a': 1}, 'name': 'a_1'},"
           "{'key': {'a': 1, 'b': 1}, 'name': 'a_1_b_1'},"
           "{'key': {'b': 1, 'u': -1}, 'name': 'b_1_u_-1'},"
           "{'key': {'c': 1}, 'name': 'c_1'},"
           "{'key': {'m': 1}, 'name': 'm_1'},"
           "{'key': {'u': 1}, 'name': 'u_1', 'unique': true}]}",
           &r);
    bson_destroy(&r);
}

/* find_docs -- the documents find returns (batchSize 3), in order, as canonical extended
 * JSON (so a number's type counts); *n their count. */
static char **
find_docs(mongoc_client_t *c, const char *coll, const qcase_t *q, size_t *n)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_t *filter = fx_json(q->filter), opts = BSON_INITIALIZER;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    bson_error_t e;
    char **out = bson_malloc(sizeof(*out) * (NDOCS + 1));
    size_t k = 0;

    BSON_APPEND_INT32(&opts, "batchSize", 3);
    if (q->sort != NULL) {
        bson_t *s = fx_json(q->sort);
        BSON_APPEND_DOCUMENT(&opts, "sort", s);
        bson_destroy(s);
    }
    if (q->proj != NULL) {
        bson_t *p = fx_json(q->proj);
        BSON_APPEND_DOCUMENT(&opts, "projection", p);
        bson_destroy(p);
    }
    if (q->limit > 0)
        BSON_APPEND_INT64(&opts, "limit", q->limit);
    cur = mongoc_collection_find_with_opts(col, filter, &opts, NULL);
    while (mongoc_cursor_next(cur, &doc)) {
        ck_assert_msg(k < NDOCS, "%s returned more than %d documents", coll, NDOCS);
        out[k++] = bson_as_canonical_extended_json(doc, NULL);
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s %s: %s", coll, q->filter, e.message);
    *n = k;
    mongoc_cursor_destroy(cur);
    bson_destroy(&opts);
    bson_destroy(filter);
    mongoc_collection_destroy(col);
    return out;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* chain_of -- the stage names from `root` down its inputStage links; *leaf the last path. */
static void
chain_of(const bson_t *r, const char *root, char *chain, size_t cn, char *leaf, size_t ln)
{
    char path[512], probe[600];

    bson_strncpy(path, root, sizeof(path));
    chain[0] = '\0';
    for (;;) {
        bson_snprintf(probe, sizeof(probe), "%s.stage", path);
        if (fx_str(r, probe) == NULL)
            break;
        if (chain[0] != '\0')
            bson_strncpy(chain + strlen(chain), ">", cn - strlen(chain));
        bson_strncpy(chain + strlen(chain), fx_str(r, probe), cn - strlen(chain));
        bson_strncpy(leaf, path, ln);
        bson_snprintf(probe, sizeof(probe), "%s.inputStage", path);
        if (!fx_has(r, probe))
            break;
        bson_strncpy(path, probe, sizeof(path));
    }
}

/* explain_case -- explain at executionStats of the case's find on ix. */
static void
explain_case(mongoc_client_t *c, const qcase_t *q, size_t nret)
{
    char cmd[1024], chain[256], leaf[512], p[600];
    bson_t r;

    bson_snprintf(cmd, sizeof(cmd),
                  "{'explain': {'find': '%s', 'filter': %s%s%s%s%s%s%s, 'limit': %lld}, "
                  "'verbosity': 'executionStats'}",
                  q->kinds ? "kinds" : "ix", q->filter, q->sort ? ", 'sort': " : "",
                  q->sort ? q->sort : "", q->hint ? ", 'hint': " : "", q->hint ? q->hint : "",
                  q->proj ? ", 'projection': " : "", q->proj ? q->proj : "", (long long)q->limit);
    CMD_OK(c, DB, cmd, &r);
    chain_of(&r, "executionStats.executionStages", chain, sizeof(chain), leaf, sizeof(leaf));
    ck_assert_msg(strcmp(chain, q->chain) == 0, "%s: stages %s, want %s: %s", q->filter, chain,
                  q->chain, fx_to_json(&r));
    chain_of(&r, "queryPlanner.winningPlan", chain, sizeof(chain), p, sizeof(p));
    ck_assert_msg(strcmp(chain, q->chain) == 0, "%s: winningPlan %s, want %s", q->filter, chain,
                  q->chain);
    if (q->index != NULL) {
        bson_snprintf(p, sizeof(p), "%s.indexName", leaf);
        ASSERT_STR(&r, p, q->index);
    }
    ASSERT_INT(&r, "executionStats.nReturned", nret);
    ck_assert_msg((int64_t)nret == q->nret, "%s: %zu returned, want %lld", q->filter, nret,
                  (long long)q->nret);
    ck_assert_msg(fx_int(&r, "executionStats.totalKeysExamined") >= q->kmin &&
                      fx_int(&r, "executionStats.totalKeysExamined") <= q->kmax,
                  "%s: keysExamined %lld not in [%lld, %lld]", q->filter,
                  (long long)fx_int(&r, "executionStats.totalKeysExamined"), (long long)q->kmin,
                  (long long)q->kmax);
    if (q->docs >= 0)
        ASSERT_INT(&r, "executionStats.totalDocsExamined", q->docs);
    ASSERT_STR(&r, "queryPlanner.namespace", q->kinds ? DB ".kinds" : DB ".ix");
    ck_assert(fx_has(&r, "serverInfo.host") && fx_has(&r, "command.find"));
    bson_destroy(&r);
}

START_TEST(test_shapes)
{
    mongoc_client_t *c = IT_CLIENT();
    const qcase_t *q = &cases[_i];
    size_t ni, np;
    char **xi, **xp;

    setup(c);
    xi = find_docs(c, q->kinds ? "kinds" : "ix", q, &ni);
    xp = find_docs(c, q->kinds ? "kplain" : "plain", q, &np);
    ck_assert_msg(ni == np, "%s: %zu documents with indexes, %zu without", q->filter, ni, np);
    if (!q->ordered) {
        qsort(xi, ni, sizeof(*xi), str_cmp);
        qsort(xp, np, sizeof(*xp), str_cmp);
    }
    for (size_t i = 0; i < ni; i++)
        ck_assert_msg(strcmp(xi[i], xp[i]) == 0, "%s: document %zu is %s with indexes, %s without",
                      q->filter, i, xi[i], xp[i]);
    explain_case(c, q, ni);
    for (size_t i = 0; i < ni; i++) {
        bson_free(xi[i]);
        bson_free(xp[i]);
    }
    bson_free(xi);
    bson_free(xp);
    mongoc_client_destroy(c);
}
END_TEST

/* count, distinct, delete, update, findAndModify: the top stage over the same read, and
 * nothing written */
START_TEST(test_commands)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    setup(c);
    CMD_OK(c, DB, "{'explain': {'count': 'ix', 'query': {'a': 5}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "COUNT");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.indexName", "a_1");
    ASSERT_INT(&r, "executionStats.executionStages.nCounted", 40);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'explain': {'count': 'ix'}}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "RECORD_STORE_FAST_COUNT");
    /* mongod 7.0's sections after the command: serverInfo, then serverParameters */
    ck_assert(fx_has(&r, "serverInfo.version"));
    ASSERT_INT(&r, "serverParameters.internalQueryMaxBlockingSortMemoryUsageBytes", 104857600);
    ASSERT_INT(&r, "serverParameters.internalQueryProhibitBlockingMergeOnMongoS", 0);
    ASSERT_STR(&r, "serverParameters.internalQueryFrameworkControl", "trySbeRestricted");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'ix', 'pipeline': [{'$group': {'_id': '$b'}}], 'cursor': "
           "{}}}",
           &r);
    ck_assert_msg(fx_has(&r, "serverInfo.version") && fx_has(&r, "serverParameters"), "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'explain': {'distinct': 'ix', 'key': 'b', 'query': {'u': {'$lt': 5}}}}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "u_1");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'delete': 'ix', 'deletes': [{'q': {'a': 5}, 'limit': 0}]}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "DELETE");
    ASSERT_INT(&r, "executionStats.executionStages.nWouldDelete", 40);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'update': 'ix', 'updates': [{'q': {'b': 3}, 'u': {'$set': {'z': 1}}}]}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "UPDATE");
    ASSERT_INT(&r, "executionStats.executionStages.nMatched", 1);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'findAndModify': 'ix', 'query': {'b': 3}, 'sort': {'u': -1}, "
           "'remove': true}, 'verbosity': 'queryPlanner'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "DELETE");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.indexName", "b_1_u_-1");
    ck_assert(!fx_has(&r, "executionStats"));
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ix', 'filter': {'a': 5}, 'projection': {'b': 1, '_id': 0}}, "
           "'verbosity': 'queryPlanner'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "PROJECTION_SIMPLE");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ix', 'filter': {'a': 5}, 'projection': {'m.0': 1}}, "
           "'verbosity': 'queryPlanner'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "PROJECTION_DEFAULT");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'ix', 'query': {'a': 5}}", &r); /* explain wrote nothing */
    ASSERT_INT(&r, "n", 40);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'ix', 'query': {'z': 1}}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* aggregate: explain: true and the explain command both report the executor's plan */
START_TEST(test_aggregate)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    setup(c);
    CMD_OK(c, DB,
           "{'aggregate': 'ix', 'pipeline': [{'$match': {'a': 5}}, {'$group': {'_id': '$b'}}], "
           "'explain': true}",
           &r);
    ASSERT_STR(&r, "stages.0.$cursor.queryPlanner.winningPlan.inputStage.indexName", "a_1");
    ck_assert_msg(fx_has(&r, "stages.1.$group"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'ix', 'pipeline': [{'$match': {'x': 5}}], 'cursor': {}}, "
           "'verbosity': 'queryPlanner'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "COLLSCAN");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'aggregate': 'ix', 'pipeline': [{'$match': {'a': 5}}, {'$count': 'n'}], "
           "'cursor': {}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_INT(&r, "stages.0.$cursor.executionStats.nReturned", 40);
    ASSERT_INT(&r, "stages.0.$cursor.executionStats.totalDocsExamined", 40);
    ASSERT_STR(&r, "stages.0.$cursor.executionStats.executionStages.inputStage.indexName", "a_1");
    bson_destroy(&r);
    /* a view: explained as the aggregation on its backing collection; writes refused */
    CMD_OK(c, DB, "{'create': 'v3', 'viewOn': 'ix', 'pipeline': [{'$match': {'b': 3}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'v3', 'filter': {'a': 5}, 'limit': 2}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "stages.0.$cursor.queryPlanner.namespace", DB ".ix");
    ASSERT_STR(&r, "stages.0.$cursor.queryPlanner.winningPlan.inputStage.indexName", "b_1_u_-1");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'explain': {'delete': 'v3', 'deletes': [{'q': {}, 'limit': 0}]}}", &r, 166,
            "CommandNotSupportedOnView");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* find's min/max (a hinted index's range), returnKey and showRecordId, also over getMore */
START_TEST(test_find_options)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    setup(c);
    CMD_OK(c, DB,
           "{'find': 'ix', 'filter': {'b': 3}, 'min': {'u': 10}, 'max': {'u': 40}, "
           "'hint': {'u': 1}, 'batchSize': 2, 'singleBatch': true}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.u", 10);
    ASSERT_INT(&r, "cursor.firstBatch.1.u", 17);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ix', 'min': {'u': 10}, 'max': {'u': 40}, 'hint': 'u_1'}, "
           "'verbosity': 'executionStats'}",
           &r);
    ASSERT_INT(&r, "executionStats.nReturned", 30);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.u.0", "[10, 40)");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'ix', 'filter': {'b': 3, 'u': {'$lt': 20}}, 'returnKey': true}", &r);
    ck_assert_msg(fx_has(&r, "cursor.firstBatch.0.b") && fx_has(&r, "cursor.firstBatch.0.u") &&
                      !fx_has(&r, "cursor.firstBatch.0._id"),
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'ix', 'filter': {'_id': 7}, 'showRecordId': true}", &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.$recordId", BSON_TYPE_INT64);
    ASSERT_INT(&r, "cursor.firstBatch.0.u", 7);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'ix', 'min': {'u': 10}}", &r, 51173, "Location51173");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'ix', 'min': {'a': 10}, 'hint': {'u': 1}}", &r, 51174,
            "Location51174");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'ix', 'min': {'u': 10}, 'max': {'u': 5}, 'hint': {'u': 1}}", &r, 51175,
            "Location51175");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* the race: the loser is a rejected plan, every entrant's trial is in allPlansExecution; the
 * winner is cached per query shape (no race next time) until planCacheClear */
/* planned_from_cache -- run explain `q` (allPlansExecution) on c: true when no race ran (the
 * plan came from the cache); the winner must be u_1 either way. */
static bool
planned_from_cache(mongoc_client_t *c, const char *q)
{
    bson_t r;
    bool cached;

    CMD_OK(c, DB, q, &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "u_1");
    cached = !fx_has(&r, "executionStats.allPlansExecution.0");
    if (!cached)
        ASSERT_INT(&r, "executionStats.allPlansExecution.0.nReturned", 7);
    bson_destroy(&r);
    return cached;
}

START_TEST(test_race_and_cache)
{
    mongoc_client_t *c = IT_CLIENT(), *c2;
    const char *q = "{'explain': {'find': 'ix', 'filter': {'c': {'$gte': 's000'}, "
                    "'u': {'$lt': 7}}}, 'verbosity': 'allPlansExecution'}";
    bson_t r;

    setup(c);
    CMD_OK(c, DB, "{'planCacheClear': 'ix'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, q, &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "u_1");
    ASSERT_STR(&r, "queryPlanner.rejectedPlans.0.inputStage.indexName", "c_1");
    ck_assert_msg(!fx_has(&r, "queryPlanner.rejectedPlans.1"), "%s", fx_to_json(&r));
    ASSERT_INT(&r, "executionStats.allPlansExecution.0.nReturned", 7);
    ck_assert_msg(fx_has(&r, "executionStats.allPlansExecution.1.totalKeysExamined"), "%s",
                  fx_to_json(&r));
    ck_assert(fx_str(&r, "queryPlanner.queryHash") != NULL);
    bson_destroy(&r);
    ck_assert(!planned_from_cache(c, q));    /* the second race activates the entry (mongod's) */
    c2 = fx_client_other_worker(&it_srv, c); /* one cache per collection, for every worker */
    ck_assert(planned_from_cache(c2, q));
    CMD_OK(c2, DB, "{'aggregate': 'ix', 'pipeline': [{'$planCacheStats': {}}], 'cursor': {}}", &r);
    ck_assert_msg(fx_bool(&r, "cursor.firstBatch.0.isActive") && !fx_has(&r, "cursor.firstBatch.1"),
                  "%s", fx_to_json(&r));
    ASSERT_STR(&r, "cursor.firstBatch.0.cachedPlan.inputStage.indexName", "u_1");
    ASSERT_STR(&r, "cursor.firstBatch.0.creationExecStats.0.executionStages.inputStage.indexName",
               "u_1");
    ASSERT_INT(&r, "cursor.firstBatch.0.creationExecStats.0.nReturned", 7);
    ASSERT_STR(&r, "cursor.firstBatch.0.creationExecStats.1.executionStages.inputStage.indexName",
               "c_1");
    ck_assert_msg(fx_double(&r, "cursor.firstBatch.0.candidatePlanScores.0") >
                      fx_double(&r, "cursor.firstBatch.0.candidatePlanScores.1"),
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* planCacheClear of that shape (on the other worker) clears it for every worker */
    CMD_OK(c2, DB, "{'planCacheClear': 'ix', 'query': {'c': {'$gte': 'x'}, 'u': {'$lt': 1}}}", &r);
    bson_destroy(&r);
    ck_assert(!planned_from_cache(c, q));
    ck_assert(!planned_from_cache(c, q));
    ck_assert(planned_from_cache(c, q));
    CMD_OK(c, DB, "{'createIndexes': 'ix', 'indexes': [{'key': {'zz': 1}, 'name': 'zz_1'}]}", &r);
    bson_destroy(&r);
    ck_assert(!planned_from_cache(c2, q)); /* a new index empties the cache: raced again */
    CMD_OK(c, DB, "{'dropIndexes': 'ix', 'index': 'zz_1'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c2);
    CMD_ERR(c, DB, "{'planCacheClear': 'ix', 'bogus': 1}", &r, 40415, "Location40415");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* the kinds' explain details: a hashed index's points are the values' hashes (as mongod's
 * manual gives hash(5) in its hashed zone example), a wildcard scan shows {$_path, path} as its key
 * pattern and bounds, a covered plan examines no document */
START_TEST(test_kind_details)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, kp;
    bson_iter_t it;

    setup(c);
    CMD_OK(c, DB, "{'explain': {'find': 'kinds', 'filter': {'h': 5}}}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.h.0",
               "[4470791281878691347, 4470791281878691347]");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.keyPattern.h", "hashed");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'explain': {'find': 'kinds', 'filter': {'w.x': {'$gt': 17}}}}", &r);
    ck_assert(fx_sub(&r, "queryPlanner.winningPlan.inputStage.keyPattern", &kp));
    ck_assert_msg(bson_iter_init(&it, &kp) && bson_iter_next(&it) &&
                      strcmp(bson_iter_key(&it), "$_path") == 0 && bson_iter_next(&it) &&
                      strcmp(bson_iter_key(&it), "w.x") == 0,
                  "%s", fx_to_json(&r));
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.$_path.0",
               "[\"w.x\", \"w.x\"]");
    bson_destroy(&r);
    /* {$exists: true}: the path and every path below it, any value (mongod's bounds) */
    CMD_OK(c, DB, "{'explain': {'find': 'kinds', 'filter': {'w': {'$exists': true}}}}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.$_path.0", "[\"w\", \"w\"]");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.$_path.1", "[\"w.\", \"w/\")");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexBounds.w.0", "[MinKey, MaxKey]");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'kinds', 'filter': {'p': {'$lt': 10}}, 'projection': {'p': 1, "
           "'_id': 0}}, 'verbosity': 'executionStats'}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "PROJECTION_COVERED");
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
    ASSERT_INT(&r, "executionStats.totalDocsExamined", 0);
    ASSERT_INT(&r, "executionStats.nReturned", 10);
    bson_destroy(&r);
    /* the covered values keep their types across getMore (batchSize 2) */
    CMD_OK(c, DB,
           "{'find': 'kinds', 'filter': {'p': {'$gte': 3, '$lt': 6}}, 'projection': {'p': 1, "
           "'_id': 0}, 'sort': {'p': 1}, 'batchSize': 2}",
           &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.p", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "cursor.firstBatch.1.p", BSON_TYPE_INT64);
    bson_destroy(&r);
    /* returnKey through a SORT_MERGE: the key of the clause's scan that gave the document */
    CMD_OK(c, DB,
           "{'find': 'kinds', 'filter': {'$or': [{'x': 1}, {'y': 7}]}, 'sort': {'z': 1}, "
           "'returnKey': true, 'limit': 1}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.y", 7);
    ASSERT_INT(&r, "cursor.firstBatch.0.z", 8);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* wx_case -- find `filter` on "wx" (a $** index excluding b and c.d) and on "wxplain": the
 * same n documents; explain's winning plan ends in `leaf` ("IXSCAN" or "COLLSCAN"). */
static void
wx_case(mongoc_client_t *c, const char *filter, int64_t n, const char *leaf)
{
    char cmd[512], chain[128], last[512];
    bson_t r;

    for (int k = 0; k < 2; k++) {
        bson_snprintf(cmd, sizeof(cmd), "{'count': '%s', 'query': %s}", k ? "wxplain" : "wx",
                      filter);
        CMD_OK(c, DB, cmd, &r);
        ck_assert_msg(fx_int(&r, "n") == n, "%s: %lld, want %lld", cmd, (long long)fx_int(&r, "n"),
                      (long long)n);
        bson_destroy(&r);
    }
    bson_snprintf(cmd, sizeof(cmd), "{'explain': {'find': 'wx', 'filter': %s}}", filter);
    CMD_OK(c, DB, cmd, &r);
    chain_of(&r, "queryPlanner.winningPlan", chain, sizeof(chain), last, sizeof(last));
    ck_assert_msg(strcmp(chain + strlen(chain) - strlen(leaf), leaf) == 0, "%s: %s, want %s",
                  filter, chain, leaf);
    bson_destroy(&r);
}

/* an exclusion wildcardProjection: the planner uses the index only for paths it keeps, and
 * {$exists: true} only where it keeps everything below the path */
START_TEST(test_wildcard_projection)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    for (int k = 0; k < 2; k++) {
        char cmd[8192];
        int len = bson_snprintf(cmd, sizeof(cmd), "{'insert': '%s', 'documents': [",
                                k ? "wxplain" : "wx");

        for (int i = 0; i < 60; i++)
            len += bson_snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                                 "%s{'_id': %d, 'a': %d, 'b': %d, 'c': {'d': %d%s}}", i ? ", " : "",
                                 i, i % 10, i % 5, i % 3, i % 2 ? ", 'e': 1" : "");
        bson_snprintf(cmd + len, sizeof(cmd) - (size_t)len, "]}");
        CMD_OK(c, DB, cmd, &r);
        bson_destroy(&r);
    }
    CMD_OK(c, DB,
           "{'createIndexes': 'wx', 'indexes': [{'key': {'$**': 1}, 'name': 'wx', "
           "'wildcardProjection': {'b': 0, 'c.d': 0}}]}",
           &r);
    bson_destroy(&r);
    wx_case(c, "{'a': 3}", 6, "IXSCAN");
    wx_case(c, "{'a': {'$exists': true}}", 60, "IXSCAN");
    wx_case(c, "{'c.e': {'$exists': true}}", 30, "IXSCAN");
    wx_case(c, "{'b': 2}", 12, "COLLSCAN");
    wx_case(c, "{'c.d': 1}", 20, "COLLSCAN");
    wx_case(c, "{'c': {'$exists': true}}", 60, "COLLSCAN");  /* c.d is not in the index */
    wx_case(c, "{'_id': {'$gt': 5}, 'b': 1}", 11, "IXSCAN"); /* the _id index, not wx */
    mongoc_client_destroy(c);
}
END_TEST

/* coll_case -- find `filter` (sort, limit) under collation `coll` (NULL = none): the count on
 * "ci" (indexed) and "cplain" must be n, and explain's winning plan must end in `leaf`
 * (IXSCAN of `index`, or COLLSCAN). */
static void
coll_case(mongoc_client_t *c, const char *filter, const char *sort, int limit, const char *coll,
          int64_t n, const char *chain, const char *index)
{
    char cmd[768], got[256], leaf[512], path[600];
    const char *colls[2] = {"ci", "cplain"};
    bson_t r;

    for (int k = 0; k < 2; k++) {
        bson_snprintf(cmd, sizeof(cmd),
                      "{'find': '%s', 'filter': %s, 'sort': %s, 'limit': %d, 'collation': %s, "
                      "'batchSize': 1000}",
                      colls[k], filter, sort, limit, coll ? coll : "{'locale': 'simple'}");
        CMD_OK(c, DB, cmd, &r);
        ck_assert_msg(fx_array_len(&r, "cursor.firstBatch") == n, "%s on %s: %d, want %lld", cmd,
                      colls[k], fx_array_len(&r, "cursor.firstBatch"), (long long)n);
        if (strcmp(sort, "{}") != 0 && k == 0)
            bson_strncpy(path, fx_str(&r, "cursor.firstBatch.0.s"), sizeof(path));
        else if (strcmp(sort, "{}") != 0)
            ASSERT_STR(&r, "cursor.firstBatch.0.s", path);
        bson_destroy(&r);
    }
    bson_snprintf(cmd, sizeof(cmd),
                  "{'explain': {'find': 'ci', 'filter': %s, 'sort': %s, 'limit': %d%s%s}, "
                  "'verbosity': 'executionStats'}",
                  filter, sort, limit, coll ? ", 'collation': " : "", coll ? coll : "");
    CMD_OK(c, DB, cmd, &r);
    chain_of(&r, "queryPlanner.winningPlan", got, sizeof(got), leaf, sizeof(leaf));
    ck_assert_msg(strcmp(got, chain) == 0, "%s: %s, want %s: %s", cmd, got, chain, fx_to_json(&r));
    if (index != NULL) {
        bson_snprintf(path, sizeof(path), "%s.indexName", leaf);
        ASSERT_STR(&r, path, index);
    }
    bson_destroy(&r);
}

/* a collated index serves a query with its collation (string bounds and sort through ICU
 * sort keys), and a query with another or none only for bounds without strings */
START_TEST(test_collation)
{
    static const char *const words[] = {"apple", "Apple", "APPLE", "banana", "Banana"};
    const char *en2 = "{'locale': 'en', 'strength': 2}";
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    for (int k = 0; k < 2; k++) {
        char cmd[16384];
        int n = bson_snprintf(cmd, sizeof(cmd), "{'insert': '%s', 'documents': [",
                              k == 0 ? "ci" : "cplain");

        for (int i = 0; i < 200; i++)
            n +=
                bson_snprintf(cmd + n, sizeof(cmd) - (size_t)n, "%s{'_id': %d, 's': '%s', 't': %d}",
                              i ? ", " : "", i, words[i % 5], i);
        bson_snprintf(cmd + n, sizeof(cmd) - (size_t)n, "]}");
        CMD_OK(c, DB, cmd, &r);
        bson_destroy(&r);
    }
    CMD_OK(c, DB,
           "{'createIndexes': 'ci', 'indexes': [{'key': {'s': 1}, 'name': 's_en2', "
           "'collation': {'locale': 'en', 'strength': 2}}, {'key': {'t': 1}, 'name': 't_1'}]}",
           &r);
    bson_destroy(&r);
    coll_case(c, "{'s': 'apple'}", "{}", 0, en2, 120, "FETCH>IXSCAN", "s_en2");
    coll_case(c, "{'s': {'$gt': 'b'}}", "{}", 0, en2, 80, "FETCH>IXSCAN", "s_en2");
    coll_case(c, "{'s': 'apple'}", "{}", 0, NULL, 40, "COLLSCAN", NULL);
    coll_case(c, "{'s': 'apple'}", "{}", 0, "{'locale': 'fr', 'strength': 2}", 120, "COLLSCAN",
              NULL);
    coll_case(c, "{'t': {'$lt': 10}}", "{}", 0, en2, 10, "FETCH>IXSCAN", "t_1");
    coll_case(c, "{}", "{'s': -1, 't': 1}", 0, en2, 200, "SORT>COLLSCAN", NULL);
    coll_case(c, "{'t': {'$lt': 30}}", "{'s': 1}", 3, en2, 3, "SORT>FETCH>IXSCAN", "t_1");
    coll_case(c, "{'s': {'$gte': 'a'}}", "{'s': 1}", 5, en2, 5, "LIMIT>FETCH>IXSCAN", "s_en2");
    coll_case(c, "{'s': {'$gte': 'a'}}", "{'s': 1}", 5, NULL, 5, "SORT>COLLSCAN", NULL);
    CMD_OK(c, DB,
           "{'explain': {'find': 'ci', 'filter': {'s': 'APPLE'}, 'collation': {'locale': 'en', "
           "'strength': 2}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.collation.locale", "en");
    ASSERT_INT(&r, "queryPlanner.winningPlan.inputStage.collation.strength", 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* mk_explain -- explain of `filter` on mk: the IXSCAN of mk_index must show isMultiKey and
 * multiKeyPaths {field: [want...]} ("" = none). */
static void
mk_explain(mongoc_client_t *c, const char *filter, const char *field, bool multi, const char *want)
{
    char cmd[512];
    bson_iter_t it, arr;
    bson_t r, paths;

    bson_snprintf(cmd, sizeof(cmd),
                  "{'explain': {'find': 'mk', 'filter': %s}, 'verbosity': 'queryPlanner'}", filter);
    CMD_OK(c, DB, cmd, &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
    ck_assert_msg(fx_bool(&r, "queryPlanner.winningPlan.inputStage.isMultiKey") == multi,
                  "%s: isMultiKey should be %d: %s", filter, multi, fx_to_json(&r));
    ck_assert(fx_sub(&r, "queryPlanner.winningPlan.inputStage.multiKeyPaths", &paths));
    ck_assert_msg(bson_iter_init_find(&it, &paths, field) && BSON_ITER_HOLDS_ARRAY(&it) &&
                      bson_iter_recurse(&it, &arr),
                  "%s: %s", field, fx_to_json(&r));
    if (want[0] == '\0')
        ck_assert_msg(!bson_iter_next(&arr), "%s: %s", filter, fx_to_json(&r));
    else
        ck_assert_msg(bson_iter_next(&arr) && BSON_ITER_HOLDS_UTF8(&arr) &&
                          strcmp(bson_iter_utf8(&arr, NULL), want) == 0 && !bson_iter_next(&arr),
                      "%s: want [%s]: %s", filter, want, fx_to_json(&r));
    bson_destroy(&paths);
    bson_destroy(&r);
}

/* multikey flags and paths are catalog state: they survive a restart (no index turns
 * multikey just because the server restarted), and an index that turns multikey later is
 * remembered too; the plan stays exact ({a.b: {$gt, $lt}} intersected only where no array) */
START_TEST(test_multikey_restart)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;
    int st;

    fx_server_up(&s, 2);
    c = fx_client(&s);
    CMD_OK(c, DB,
           "{'insert': 'mk', 'documents': [{'_id': 1, 'a': {'b': 1}, 's': 1, 'x': {'y': 2}}, "
           "{'_id': 2, 'a': [{'b': 2}, {'b': 9}], 's': 2, 'x': {'y': [1, 5]}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'mk', 'indexes': [{'key': {'a.b': 1}, 'name': 'ab'}, "
           "{'key': {'s': 1}, 'name': 's'}, {'key': {'x.y': 1}, 'name': 'xy'}, "
           "{'key': {'t': 1}, 'name': 't'}]}",
           &r);
    bson_destroy(&r);
    for (int round = 0; round < 3; round++) {
        mk_explain(c, "{'a.b': 2}", "a.b", true, "a");
        mk_explain(c, "{'s': 2}", "s", false, "");
        mk_explain(c, "{'x.y': 5}", "x.y", true, "x.y");
        mk_explain(c, "{'t': 5}", "t", round > 0, round > 0 ? "t" : "");
        /* a range on a multikey path: both sides hold through different elements */
        ck_assert_int_eq(fx_count(c, DB, "mk", "{'a.b': {'$gt': 3, '$lt': 5}}"), 1);
        ck_assert_int_eq(fx_count(c, DB, "mk", "{'x.y': {'$gt': 2, '$lt': 4}}"), 1);
        ck_assert_int_eq(fx_count(c, DB, "mk", "{'s': {'$gt': 1, '$lt': 3}}"), 1);
        if (round == 0) { /* t turns multikey after the build, through an insert */
            CMD_OK(c, DB, "{'insert': 'mk', 'documents': [{'_id': 3, 't': [1, 2]}]}", &r);
            bson_destroy(&r);
        }
        mongoc_client_destroy(c);
        st = fx_server_stop(&s);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
        ck_assert_msg(fx_server_start(&s) == 0, "restart %d failed", round);
        c = fx_client(&s);
    }
    mongoc_client_destroy(c);
    st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_ERR(c, DB, "{'explain': {'insert': 'ix', 'documents': [{}]}}", &r, 59, "CommandNotFound");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'explain': {'find': 'ix'}, 'verbosity': 'loud'}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'explain': 1}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'explain': {'delete': 'ix', 'deletes': [{'q': {}, 'limit': 0}, {'q': {}, "
            "'limit': 0}]}}",
            &r, 16, "InvalidLength");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'explain': {'find': 'ix', 'hint': 'nope'}}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'explain': {'find': 'none', 'filter': {'a': 1}}}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "EOF");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("explain");
    TCase *tc = it_tcase(s, "explain", true);

    tcase_add_loop_test(tc, test_shapes, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_aggregate);
    tcase_add_test(tc, test_find_options);
    tcase_add_test(tc, test_race_and_cache);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_multikey_restart);
    tcase_add_test(tc, test_collation);
    tcase_add_test(tc, test_kind_details);
    tcase_add_test(tc, test_wildcard_projection);
    return it_main(s);
}
