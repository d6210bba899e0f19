/*
 * tests/integration/it_query.c -- issue 4's query, projection, sort and update language
 * through libmongoc, checked against mongod 7.0's documented results and errors.
 *
 * Tables of filters (the _ids each must return from one seeded collection: type
 * bracketing, numeric equality across types, null and missing, arrays element-wise and as
 * a whole, MinKey/MaxKey, $type, $regex options, $mod, $all with $elemMatch, $size, numeric
 * path components, $bits*), of commands that must fail with mongod's code and codeName
 * (unknown operators, malformed arguments, errors raised by $expr while evaluating, which
 * fail the whole command, projection mixes), then projections, sorts, updates with their
 * errors and field order, upserts, updateMany over the scanned field, ordered and unordered
 * write errors, findAndModify's lastErrorObject and the 100 MiB in-memory sort limit.  One
 * shared server; each test its own collection.  Keys written "$$x" in JSON become "$x"
 * (libbson's JSON reader would take {"$type": ...} or {"$regex": ...} as extended JSON).
 */
#include "../unit/json_case.h"
#include "harness.h"

#define DB "query"

/* run -- run a JSON command ($$-keys unescaped); returns ok, the reply in *reply. */
static bool
run(mongoc_client_t *c, const char *json, bson_t *reply)
{
    bson_t *raw = fx_json(json), cmd = BSON_INITIALIZER;
    bson_error_t e;
    bool ok;

    unescape(raw, &cmd);
    ok = fx_cmd_bson(c, DB, &cmd, reply, &e);
    bson_destroy(&cmd);
    bson_destroy(raw);
    return ok;
}

/* must -- run a command that must succeed. */
static void
must(mongoc_client_t *c, const char *json, bson_t *reply)
{
    ck_assert_msg(run(c, json, reply), "%s -> %s", json, fx_to_json(reply));
}

/* ids -- the _ids of the first batch at cursor.firstBatch, joined by commas. */
static void
ids(const bson_t *reply, char *out, size_t cap)
{
    bson_t arr;
    bson_iter_t it;
    size_t n = 0;

    out[0] = '\0';
    ck_assert_msg(fx_sub(reply, "cursor.firstBatch", &arr), "no batch: %s", fx_to_json(reply));
    bson_iter_init(&it, &arr);
    while (bson_iter_next(&it) && n + 16 < cap) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;
        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        n += (size_t)snprintf(out + n, cap - n, "%s%lld", n > 0 ? "," : "",
                              (long long)fx_int(&d, "_id"));
    }
    bson_destroy(&arr);
}

/* find_ids -- find(filter) on coll sorted by _id, as a comma-joined list of _ids. */
static void
find_ids(mongoc_client_t *c, const char *coll, const char *filter, char *out, size_t cap)
{
    char json[1024];
    bson_t r;

    snprintf(json, sizeof(json), "{'find': '%s', 'filter': %s, 'sort': {'_id': 1}}", coll, filter);
    must(c, json, &r);
    ids(&r, out, cap);
    bson_destroy(&r);
}

/* ---- filters ------------------------------------------------------------------------ */

static const char *const seed_docs =
    "{'insert': 'cmp', 'documents': ["
    "{'_id': 1, 'a': 1}, {'_id': 2, 'a': 'x'}, {'_id': 3, 'a': {'$numberLong': '1'}},"
    "{'_id': 4, 'a': 1.0}, {'_id': 5, 'a': {'$numberDecimal': '1'}}, {'_id': 6},"
    "{'_id': 7, 'a': null}, {'_id': 8, 'a': [1, 2]}, {'_id': 9, 'a': [[1, 2]]},"
    "{'_id': 10, 'a': {'$minKey': 1}}, {'_id': 11, 'a': {'$maxKey': 1}}, {'_id': 12, 'a': []},"
    "{'_id': 13, 'a': 'Xy\\nab'}, {'_id': 14, 'a': {'b': [{'c': 1}, {'c': 5}]}},"
    "{'_id': 15, 'a': [{'b': 1, 'c': 2}, {'b': 3, 'c': 4}]}, {'_id': 16, 'a': 6}]}";

typedef struct fcase {
    const char *filter;
    const char *ids;
} fcase_t;

static const fcase_t filters[] = {
    /* type bracketing and numeric equality across int/long/double/decimal */
    {"{'a': {'$$gt': 0}}", "1,3,4,5,8,16"},
    {"{'a': {'$$gt': 'a'}}", "2"},
    {"{'a': 1}", "1,3,4,5,8"},
    {"{'a': {'$numberDecimal': '1.0'}}", "1,3,4,5,8"},
    /* null matches missing and null, not [] */
    {"{'a': null}", "6,7"},
    {"{'a': {'$$ne': null}}", "1,2,3,4,5,8,9,10,11,12,13,14,15,16"},
    {"{'a': {'$$in': [null, 'x']}}", "2,6,7"},
    {"{'a': {'$$nin': [null, 1]}}", "2,9,10,11,12,13,14,15,16"},
    /* arrays: element-wise and whole */
    {"{'a': [1, 2]}", "8,9"},
    {"{'a': []}", "12"},
    {"{'a': {'$$gt': 1, '$$lt': 3}}", "8"},
    {"{'a': {'$$elemMatch': {'$$gt': 1, '$$lt': 3}}}", "8"},
    /* MinKey / MaxKey */
    {"{'a': {'$minKey': 1}}", "10"},
    {"{'a': {'$$gte': {'$maxKey': 1}}}", "11"},
    /* $type */
    {"{'a': {'$$type': 'number'}}", "1,3,4,5,8,16"},
    {"{'a': {'$$type': ['string', 'null']}}", "2,7,13"},
    {"{'a': {'$$type': 'array'}}", "8,9,12,15"},
    {"{'a': {'$$type': 19}}", "5"},
    /* $regex options and BSON regex values; $not with a regex */
    {"{'a': {'$$regex': '^x', '$$options': 'i'}}", "2,13"},
    {"{'a': {'$$regex': '^ab', '$$options': 'm'}}", "13"},
    {"{'a': {'$$regex': 'y.a', '$$options': 's'}}", "13"},
    {"{'a': {'$$regex': 'X y # comment', '$$options': 'x'}}", "13"},
    {"{'a': {'$regularExpression': {'pattern': '^x', 'options': 'i'}}}", "2,13"},
    {"{'a': {'$$not': {'$regularExpression': {'pattern': '^x', 'options': ''}}}}",
     "1,3,4,5,6,7,8,9,10,11,12,13,14,15,16"},
    /* $mod, $size, $all with $elemMatch */
    {"{'a': {'$$mod': [4, 2]}}", "8,16"},
    {"{'a': {'$$size': 2}}", "8,15"},
    {"{'a': {'$$size': 0}}", "12"},
    {"{'a': {'$$all': [{'$$elemMatch': {'b': 3}}]}}", "15"},
    /* dotted paths through arrays, numeric components */
    {"{'a.b': 3}", "15"},
    {"{'a.1.b': 3}", "15"},
    {"{'a.b.1.c': 5}", "14"},
    {"{'a.0': 1}", "8,9"}, /* a.0 of [[1, 2]] is [1, 2], which holds 1 */
    /* bitwise */
    {"{'a': {'$$bitsAllSet': [1, 2]}}", "16"},
    {"{'a': {'$$bitsAllSet': 6}}", "16"},
    {"{'a': {'$$bitsAllClear': [0]}}", "8,16"},
    /* logical and $expr */
    {"{'$$nor': [{'a': 1}, {'a': {'$$exists': false}}]}", "2,7,9,10,11,12,13,14,15,16"},
    {"{'$$expr': {'$$eq': ['$a', 6]}}", "16"},
    {"{'$$expr': {'$$gt': [{'$$size': {'$$ifNull': [{'$$cond': [{'$$isArray': '$a'}, '$a', "
     "null]}, []]}}, 1]}}",
     "8,15"},
};

START_TEST(test_filters)
{
    mongoc_client_t *c = IT_CLIENT();
    const fcase_t *f = &filters[_i];
    char got[512];
    bson_t r;

    if (!run(c, "{'count': 'cmp'}", &r) || fx_int(&r, "n") == 0) {
        bson_destroy(&r);
        must(c, seed_docs, &r);
        ASSERT_INT(&r, "n", 16);
    }
    bson_destroy(&r);
    find_ids(c, "cmp", f->filter, got, sizeof(got));
    ck_assert_msg(strcmp(got, f->ids) == 0, "%s: got [%s], want [%s]", f->filter, got, f->ids);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

typedef struct ecase {
    const char *cmd;
    int code;
    const char *name;
    const char *msg; /* NULL: not checked */
} ecase_t;

static const ecase_t errors[] = {
    {"{'find': 'e', 'filter': {'a': {'$$foo': 1}}}", 2, "BadValue", "unknown operator: $foo"},
    {"{'find': 'e', 'filter': {'$$foo': 1}}", 2, "BadValue", "unknown top level operator: $foo"},
    {"{'find': 'e', 'filter': {'a': {'$$mod': [0, 1]}}}", 2, "BadValue", "divisor cannot be 0"},
    {"{'find': 'e', 'filter': {'a': {'$$mod': [1]}}}", 2, "BadValue",
     "malformed mod, not enough elements"},
    {"{'find': 'e', 'filter': {'a': {'$$mod': [1, 2, 3]}}}", 2, "BadValue",
     "malformed mod, too many elements"},
    {"{'find': 'e', 'filter': {'a': {'$$mod': 5}}}", 2, "BadValue",
     "malformed mod, needs to be an array"},
    {"{'find': 'e', 'filter': {'a': {'$$size': -1}}}", 2, "BadValue", NULL},
    {"{'find': 'e', 'filter': {'a': {'$$regex': 'x', '$$options': 'z'}}}", 51108, "Location51108",
     NULL},
    {"{'find': 'e', 'filter': {'a': {'$$not': 1}}}", 2, "BadValue", NULL},
    {"{'find': 'e', 'filter': {'a': {'$$type': 'nope'}}}", 2, "BadValue", NULL},
    {"{'find': 'e', 'filter': {'a': {'$$bitsAllSet': [-1]}}}", 2, "BadValue", NULL},
    {"{'find': 'e', 'filter': {'$$and': []}}", 2, "BadValue", NULL},
    /* errors raised while evaluating $expr fail the whole command */
    {"{'find': 'e', 'filter': {'$$expr': {'$$divide': ['$a', 0]}}}", 16608, "Location16608", NULL},
    {"{'find': 'e', 'filter': {'$$expr': {'$$eq': ['$$nope', 1]}}}", 17276, "Location17276", NULL},
    {"{'find': 'e', 'filter': {'$$expr': {'$$add': ['$a', 'x']}}}", 16554, "Location16554", NULL},
    {"{'count': 'e', 'query': {'$$expr': {'$$divide': ['$a', 0]}}}", 16608, "Location16608", NULL},
    {"{'distinct': 'e', 'key': 'a', 'query': {'$$expr': {'$$divide': ['$a', 0]}}}", 16608,
     "Location16608", NULL},
    {"{'findAndModify': 'e', 'query': {'$$expr': {'$$divide': ['$a', 0]}}, 'remove': true}", 16608,
     "Location16608", NULL},
    {"{'aggregate': 'e', 'pipeline': [{'$$match': {'$$expr': {'$$divide': ['$a', 0]}}}], "
     "'cursor': {}}",
     16608, "Location16608", NULL},
    /* projections */
    {"{'find': 'e', 'projection': {'a': 1, 'b': 0}}", 31254, "Location31254",
     "Cannot do exclusion on field b in inclusion projection"},
    {"{'find': 'e', 'projection': {'a': 0, 'b': 1}}", 31253, "Location31253",
     "Cannot do inclusion on field b in exclusion projection"},
    {"{'find': 'e', 'projection': {'a': 0, 'b': {'$$add': [1, 2]}}}", 31252, "Location31252", NULL},
    {"{'find': 'e', 'filter': {'a': 1}, 'projection': {'a.$': 1, 'b.$': 1}}", 31276,
     "Location31276", NULL},
    /* sort and limits */
    {"{'find': 'e', 'sort': {'a': 2}}", 15975, "Location15975", NULL},
    {"{'find': 'e', 'skip': -1}", 51024, "Location51024", NULL},
};

START_TEST(test_errors)
{
    mongoc_client_t *c = IT_CLIENT();
    const ecase_t *e = &errors[_i];
    bson_t r;

    if (!run(c, "{'count': 'e'}", &r) || fx_int(&r, "n") == 0) {
        bson_destroy(&r);
        must(c, "{'insert': 'e', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2, 'a': 2}]}", &r);
    }
    bson_destroy(&r);
    ck_assert_msg(!run(c, e->cmd, &r), "%s should fail: %s", e->cmd, fx_to_json(&r));
    ck_assert_msg(fx_int(&r, "code") == e->code, "%s: want %d, got %s", e->cmd, e->code,
                  fx_to_json(&r));
    ASSERT_STR(&r, "codeName", e->name);
    if (e->msg != NULL)
        ck_assert_msg(fx_str(&r, "errmsg") != NULL && strstr(fx_str(&r, "errmsg"), e->msg),
                      "%s: want \"%s\" in %s", e->cmd, e->msg, fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- projection, sort, skip, limit -------------------------------------------------- */

/* first_doc -- run a find and render its first document as relaxed JSON into out. */
static void
first_doc(mongoc_client_t *c, const char *json, char *out, size_t cap)
{
    bson_t r, d;
    char *s;

    must(c, json, &r);
    ck_assert_msg(fx_sub(&r, "cursor.firstBatch.0", &d), "%s: empty: %s", json, fx_to_json(&r));
    s = bson_as_relaxed_extended_json(&d, NULL);
    snprintf(out, cap, "%s", s);
    bson_free(s);
    bson_destroy(&d);
    bson_destroy(&r);
}

typedef struct pcase {
    const char *find;
    const char *want;
} pcase_t;

static const pcase_t projections[] = {
    {"{'find': 'p', 'projection': {'b.c': 1}}", "{ \"_id\" : 1, \"b\" : { \"c\" : 1 } }"},
    {"{'find': 'p', 'projection': {'_id': 0, 'b.c': 0, 'arr': 0, 'e': 0}}",
     "{ \"b\" : { \"d\" : 2 }, \"s\" : \"q\" }"},
    {"{'find': 'p', 'projection': {'arr': {'$$slice': 2}, '_id': 0, 's': 1}}",
     "{ \"arr\" : [ 1, 5 ], \"s\" : \"q\" }"},
    {"{'find': 'p', 'projection': {'arr': {'$$slice': -1}, '_id': 0, 's': 1}}",
     "{ \"arr\" : [ 3 ], \"s\" : \"q\" }"},
    {"{'find': 'p', 'projection': {'arr': {'$$slice': [-2, 1]}, '_id': 0, 's': 1}}",
     "{ \"arr\" : [ 5 ], \"s\" : \"q\" }"},
    {"{'find': 'p', 'projection': {'arr': {'$$slice': [1, 5]}, 'b': 0, 'e': 0}}",
     "{ \"_id\" : 1, \"arr\" : [ 5, 3 ], \"s\" : \"q\" }"},
    {"{'find': 'p', 'projection': {'e': {'$$elemMatch': {'x': 2}}}}",
     "{ \"_id\" : 1, \"e\" : [ { \"x\" : 2, \"y\" : 2 } ] }"},
    {"{'find': 'p', 'filter': {'arr': {'$$gt': 4}}, 'projection': {'arr.$': 1}}",
     "{ \"_id\" : 1, \"arr\" : [ 5 ] }"},
    {"{'find': 'p', 'projection': {'n': {'$$add': [1, 2]}, 'len': {'$$size': '$arr'}, 'l': "
     "'lit', 'u': {'$$toUpper': '$s'}}}",
     "{ \"_id\" : 1, \"n\" : 3, \"len\" : 3, \"l\" : \"lit\", \"u\" : \"Q\" }"},
};

START_TEST(test_projections)
{
    mongoc_client_t *c = IT_CLIENT();
    char got[512];
    bson_t r;

    if (!run(c, "{'count': 'p'}", &r) || fx_int(&r, "n") == 0) {
        bson_destroy(&r);
        must(c,
             "{'insert': 'p', 'documents': [{'_id': 1, 'arr': [1, 5, 3], 'b': {'c': 1, 'd': 2}, "
             "'e': [{'x': 1, 'y': 1}, {'x': 2, 'y': 2}], 's': 'q'}]}",
             &r);
    }
    bson_destroy(&r);
    first_doc(c, projections[_i].find, got, sizeof(got));
    ck_assert_msg(strcmp(got, projections[_i].want) == 0, "%s: got %s, want %s",
                  projections[_i].find, got, projections[_i].want);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_sort_skip_limit)
{
    mongoc_client_t *c = IT_CLIENT();
    char got[256];
    bson_t r;

    must(
        c,
        "{'insert': 's', 'documents': [{'_id': 1, 'a': [1, 5, 3]}, {'_id': 2, 'a': 'str'}, "
        "{'_id': 3, 'a': []}, {'_id': 4}, {'_id': 5, 'a': 2.5, 'b': 1}, {'_id': 6, 'a': {'k': 1}}, "
        "{'_id': 7, 'a': null, 'b': 2}, {'_id': 8, 'a': {'$minKey': 1}}]}",
        &r);
    bson_destroy(&r);
    /* ascending by the smallest element, descending by the largest; [] before null/missing */
    must(c, "{'find': 's', 'sort': {'a': 1, '_id': 1}}", &r);
    ids(&r, got, sizeof(got));
    ck_assert_str_eq(got, "8,3,4,7,1,5,2,6");
    bson_destroy(&r);
    must(c, "{'find': 's', 'sort': {'a': -1, '_id': 1}}", &r);
    ids(&r, got, sizeof(got));
    ck_assert_str_eq(got, "6,2,1,5,4,7,3,8");
    bson_destroy(&r);
    /* several keys; missing sorts as null */
    must(c, "{'find': 's', 'sort': {'b': -1, '_id': -1}}", &r);
    ids(&r, got, sizeof(got));
    ck_assert_str_eq(got, "7,5,8,6,4,3,2,1");
    bson_destroy(&r);
    /* skip and limit; drivers send a negative limit as limit + singleBatch (one batch, a
     * closed cursor); the find command itself refuses a negative one */
    must(c, "{'find': 's', 'sort': {'_id': 1}, 'skip': 2, 'limit': 3}", &r);
    ids(&r, got, sizeof(got));
    ck_assert_str_eq(got, "3,4,5");
    bson_destroy(&r);
    must(c, "{'find': 's', 'sort': {'_id': 1}, 'limit': 2, 'singleBatch': true}", &r);
    ids(&r, got, sizeof(got));
    ck_assert_str_eq(got, "1,2");
    ASSERT_INT(&r, "cursor.id", 0);
    bson_destroy(&r);
    ck_assert(!run(c, "{'find': 's', 'limit': -2}", &r));
    ASSERT_INT(&r, "code", 51024);
    ASSERT_STR(&r, "errmsg", "BSON field 'limit' value must be >= 0, actual value '-2'");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_sort_memory_limit)
{
    mongoc_client_t *c = IT_CLIENT();
    size_t big = 1024 * 1024;
    char *pad = bson_malloc(big + 1);
    bson_t r;

    memset(pad, 'x', big);
    pad[big] = '\0';
    for (int i = 0; i < 110; i++) {
        bson_t *cmd =
            BCON_NEW("insert", BCON_UTF8("big"), "documents", "[", "{", "_id", BCON_INT32(i), "k",
                     BCON_INT32((i * 7) % 110), "pad", BCON_UTF8(pad), "}", "]");
        bson_error_t e;
        ck_assert_msg(fx_cmd_bson(c, DB, cmd, &r, &e), "insert: %s", fx_to_json(&r));
        bson_destroy(&r);
        bson_destroy(cmd);
    }
    bson_free(pad);
    ck_assert(!run(c, "{'find': 'big', 'sort': {'k': 1}, 'allowDiskUse': false}", &r));
    ASSERT_INT(&r, "code", 292);
    ASSERT_STR(&r, "codeName", "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    must(c, "{'find': 'big', 'sort': {'k': 1}, 'projection': {'pad': 0}, 'limit': 2}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.1.k", 1);
    bson_destroy(&r);
    must(c, "{'find': 'big', 'sort': {'k': -1}, 'projection': {'pad': 0}, 'allowDiskUse': true}",
         &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.k", 109);
    bson_destroy(&r);
    must(c, "{'drop': 'big'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- updates ------------------------------------------------------------------------ */

typedef struct ucase {
    const char *u;    /* the update statement's u (and options), JSON fields */
    const char *want; /* the document after, or NULL: writeErrors.0.code == code */
    int code;
} ucase_t;

#define UDOC "{'_id': 1, 'a': 1, 'b': {'c': 1}, 's': 'x', 'arr': [1, 2, 3]}"

static const ucase_t updates[] = {
    /* $set appends new fields (in name order), keeps existing ones in place */
    {"'u': {'$$set': {'z': 1, 'y': 2, 'a': 9}}",
     "{ \"_id\" : 1, \"a\" : 9, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 1, 2, 3 ], "
     "\"y\" : 2, \"z\" : 1 }",
     0},
    /* $rename moves the field to the end */
    {"'u': {'$$rename': {'a': 'q'}}",
     "{ \"_id\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 1, 2, 3 ], \"q\" : 1 }", 0},
    {"'u': {'$$unset': {'b': ''}, '$$inc': {'a': 2}, '$$mul': {'n': 3}}",
     "{ \"_id\" : 1, \"a\" : 3, \"s\" : \"x\", \"arr\" : [ 1, 2, 3 ], \"n\" : 0 }", 0},
    {"'u': {'$$min': {'a': 0}, '$$max': {'b.c': 7}}",
     "{ \"_id\" : 1, \"a\" : 0, \"b\" : { \"c\" : 7 }, \"s\" : \"x\", \"arr\" : [ 1, 2, 3 ] }", 0},
    {"'u': {'$$push': {'arr': {'$$each': [9, 0], '$$sort': 1, '$$slice': -3, '$$position': 0}}}",
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 2, 3, 9 ] }", 0},
    {"'u': {'$$addToSet': {'arr': {'$$each': [2, 7]}}, '$$pop': {'x': 1}}",
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 1, 2, 3, 7 ] }",
     0},
    {"'u': {'$$pull': {'arr': {'$$gte': 2}}, '$$bit': {'a': {'or': 6}}}",
     "{ \"_id\" : 1, \"a\" : 7, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 1 ] }", 0},
    {"'u': {'$$pullAll': {'arr': [1, 3]}, '$$pop': {'s2': -1}}",
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 2 ] }", 0},
    {"'u': {'$$inc': {'arr.$[]': 10}}",
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 11, 12, 13 ] }",
     0},
    {"'u': {'$$set': {'arr.$[e]': 0}}, 'arrayFilters': [{'e': {'$$gte': 2}}]",
     "{ \"_id\" : 1, \"a\" : 1, \"b\" : { \"c\" : 1 }, \"s\" : \"x\", \"arr\" : [ 1, 0, 0 ] }", 0},
    {"'u': [{'$$set': {'t': {'$$add': ['$a', 1]}}}, {'$$unset': ['b', 'arr']}]",
     "{ \"_id\" : 1, \"a\" : 1, \"s\" : \"x\", \"t\" : 2 }", 0},
    {"'u': {'x': 1}", "{ \"_id\" : 1, \"x\" : 1 }", 0},
    /* mongod's errors */
    {"'u': {'$$set': {'a': 1}, '$$inc': {'a': 1}}", NULL, 40},
    {"'u': {'$$set': {'b': 1, 'b.c': 2}}", NULL, 40},
    {"'u': {'$$set': {'_id': 2}}", NULL, 66},
    {"'u': {'_id': 2, 'x': 1}", NULL, 66},
    {"'u': {'$$inc': {'s': 1}}", NULL, 14},
    {"'u': {'$$inc': {'a': 'x'}}", NULL, 14},
    {"'u': {'$$set': {'s.t': 1}}", NULL, 28},
    {"'u': {'$$set': {'arr.x': 1}}", NULL, 28},
    {"'u': {'x': 1, '$$set': {'y': 1}}", NULL, 52},
    {"'u': {'$$set': {'$$x': 1}}", NULL, 52},
    {"'u': {'$$foo': {'a': 1}}", NULL, 9},
    {"'u': {'$$set': {'arr.$[e]': 0}}", NULL, 2},
    {"'u': {'$$set': {'a': 0}}, 'arrayFilters': [{'e': {'$$gte': 2}}]", NULL, 9},
    {"'u': {'$$push': {'s': 1}}", NULL, 2},
    {"'u': [{'$$match': {}}]", NULL, 72},
};

START_TEST(test_updates)
{
    mongoc_client_t *c = IT_CLIENT();
    const ucase_t *u = &updates[_i];
    char coll[32], json[1024], got[512];
    bson_t r;

    snprintf(coll, sizeof(coll), "u%d", _i);
    snprintf(json, sizeof(json), "{'insert': '%s', 'documents': [" UDOC "]}", coll);
    must(c, json, &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'update': '%s', 'updates': [{'q': {'_id': 1}, %s}]}", coll,
             u->u);
    must(c, json, &r);
    if (u->want == NULL) {
        ck_assert_msg(fx_int(&r, "writeErrors.0.code") == u->code, "%s: want %d: %s", u->u, u->code,
                      fx_to_json(&r));
        ASSERT_INT(&r, "writeErrors.0.index", 0);
        ASSERT_INT(&r, "nModified", 0);
    } else {
        ck_assert_msg(!fx_has(&r, "writeErrors"), "%s: %s", u->u, fx_to_json(&r));
        ASSERT_INT(&r, "n", 1);
        snprintf(json, sizeof(json), "{'find': '%s'}", coll);
        first_doc(c, json, got, sizeof(got));
        ck_assert_msg(strcmp(got, u->want) == 0, "%s: got %s, want %s", u->u, got, u->want);
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_update_too_large)
{
    mongoc_client_t *c = IT_CLIENT();
    size_t big = 6 * 1024 * 1024;
    char *pad = bson_malloc(big + 1);
    bson_t r, *cmd;
    bson_error_t e;

    memset(pad, 'x', big);
    pad[big] = '\0';
    cmd = BCON_NEW("insert", BCON_UTF8("large"), "documents", "[", "{", "_id", BCON_INT32(1), "p0",
                   BCON_UTF8(pad), "}", "]");
    ck_assert(fx_cmd_bson(c, DB, cmd, &r, &e));
    bson_destroy(&r);
    bson_destroy(cmd);
    /* 6 + 6 + 6 MiB: each command fits, the document after the update does not */
    cmd = BCON_NEW("update", BCON_UTF8("large"), "updates", "[", "{", "q", "{", "_id",
                   BCON_INT32(1), "}", "u", "{", "$set", "{", "p1", BCON_UTF8(pad), "p2",
                   BCON_UTF8(pad), "}", "}", "}", "]");
    ck_assert(fx_cmd_bson(c, DB, cmd, &r, &e));
    ASSERT_INT(&r, "writeErrors.0.code", 10334);
    ASSERT_INT(&r, "nModified", 0);
    bson_destroy(&r);
    bson_destroy(cmd);
    bson_free(pad);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_upserts)
{
    mongoc_client_t *c = IT_CLIENT();
    char got[512];
    bson_t r;

    /* equality fields of the filter seed the new document; $setOnInsert applies */
    must(c,
         "{'update': 'ups', 'updates': [{'q': {'_id': 5, 'k': 5, 'j': {'$$gt': 1}, 'x.y': 3, "
         "'$$and': [{'m': {'$$eq': 2}}]}, 'u': {'$$set': {'z': 1}, '$$setOnInsert': {'w': 1}}, "
         "'upsert': true}]}",
         &r);
    ASSERT_INT(&r, "n", 1);
    ASSERT_INT(&r, "nModified", 0);
    ASSERT_INT(&r, "upserted.0.index", 0);
    ASSERT_INT(&r, "upserted.0._id", 5);
    bson_destroy(&r);
    first_doc(c, "{'find': 'ups', 'filter': {'_id': 5}}", got, sizeof(got));
    ck_assert_str_eq(got, "{ \"_id\" : 5, \"k\" : 5, \"x\" : { \"y\" : 3 }, \"m\" : 2, \"w\" : 1, "
                          "\"z\" : 1 }");
    /* an existing match: $setOnInsert does nothing */
    must(c,
         "{'update': 'ups', 'updates': [{'q': {'_id': 5}, 'u': {'$$set': {'z': 2}, "
         "'$$setOnInsert': {'w': 9}}, 'upsert': true}]}",
         &r);
    ASSERT_INT(&r, "nModified", 1);
    ck_assert(!fx_has(&r, "upserted"));
    bson_destroy(&r);
    /* upserted lists each statement's index and generated _id */
    must(c,
         "{'update': 'ups', 'updates': [{'q': {'_id': 5}, 'u': {'$$inc': {'z': 1}}}, "
         "{'q': {'k': 10}, 'u': {'$$set': {'a': 1}}, 'upsert': true}, "
         "{'q': {'k': 11}, 'u': {'v': 1}, 'upsert': true}]}",
         &r);
    ASSERT_INT(&r, "n", 3);
    ASSERT_INT(&r, "nModified", 1);
    ASSERT_INT(&r, "upserted.0.index", 1);
    ASSERT_TYPE(&r, "upserted.0._id", BSON_TYPE_OID);
    ASSERT_INT(&r, "upserted.1.index", 2);
    ASSERT_TYPE(&r, "upserted.1._id", BSON_TYPE_OID);
    bson_destroy(&r);
    /* a $-prefixed top-level field is fine in an upserted document */
    must(c,
         "{'update': 'ups', 'updates': [{'q': {'_id': 6}, 'u': {'$$set': {'$$d': 1}}, "
         "'upsert': true}]}",
         &r);
    ASSERT_INT(&r, "upserted.0._id", 6);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_update_many_once)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t cmd = BSON_INITIALIZER, docs, r;
    bson_error_t e;

    BSON_APPEND_UTF8(&cmd, "insert", "hw");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < 500; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%d", i);
        bson_t d;
        BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_INT32(&d, "x", i);
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    ck_assert(fx_cmd_bson(c, DB, &cmd, &r, &e));
    bson_destroy(&r);
    bson_destroy(&cmd);
    /* the updated field is the scanned one, and documents grow (they may move) */
    must(c,
         "{'update': 'hw', 'updates': [{'q': {'x': {'$$gte': 0}}, 'u': {'$$inc': {'x': 1000}, "
         "'$$set': {'pad': 'ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp'}}, "
         "'multi': true}]}",
         &r);
    ASSERT_INT(&r, "n", 500);
    ASSERT_INT(&r, "nModified", 500);
    bson_destroy(&r);
    must(c, "{'count': 'hw', 'query': {'x': {'$$gte': 1000, '$$lt': 1500}}}", &r);
    ASSERT_INT(&r, "n", 500);
    bson_destroy(&r);
    /* the same through _id, which the planner reads through its index */
    must(c,
         "{'update': 'hw', 'updates': [{'q': {'_id': {'$$gte': 0}}, 'u': {'$$inc': {'x': 1}}, "
         "'multi': true}]}",
         &r);
    ASSERT_INT(&r, "nModified", 500);
    bson_destroy(&r);
    must(c, "{'count': 'hw', 'query': {'x': {'$$gte': 1001, '$$lt': 1501}}}", &r);
    ASSERT_INT(&r, "n", 500);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_ordered_unordered)
{
    mongoc_client_t *c = IT_CLIENT();
    const char *stmts = "[{'q': {'_id': 1}, 'u': {'$$set': {'_id': 9}}}, "
                        "{'q': {'_id': 2}, 'u': {'$$inc': {'x': 1}}}, "
                        "{'q': {'_id': 3}, 'u': {'$$inc': {'s': 1}}}, "
                        "{'q': {'_id': 4}, 'u': {'$$inc': {'x': 1}}}]";
    char json[1024];
    bson_t r;

    must(c,
         "{'insert': 'ord', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, 'x': 1}, "
         "{'_id': 3, 's': 'a'}, {'_id': 4, 'x': 1}]}",
         &r);
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'update': 'ord', 'updates': %s}", stmts);
    must(c, json, &r);
    ASSERT_INT(&r, "n", 0);
    ASSERT_INT(&r, "writeErrors.0.index", 0);
    ASSERT_INT(&r, "writeErrors.0.code", 66);
    ck_assert(!fx_has(&r, "writeErrors.1"));
    bson_destroy(&r);
    snprintf(json, sizeof(json), "{'update': 'ord', 'updates': %s, 'ordered': false}", stmts);
    must(c, json, &r);
    ASSERT_INT(&r, "n", 2);
    ASSERT_INT(&r, "nModified", 2);
    ASSERT_INT(&r, "writeErrors.0.index", 0);
    ASSERT_INT(&r, "writeErrors.0.code", 66);
    ASSERT_INT(&r, "writeErrors.1.index", 2);
    ASSERT_INT(&r, "writeErrors.1.code", 14);
    ck_assert(!fx_has(&r, "writeErrors.2"));
    bson_destroy(&r);
    /* a filter error in a delete statement is that statement's write error */
    must(c,
         "{'delete': 'ord', 'deletes': [{'q': {'_id': 2}, 'limit': 1}, {'q': {'$$foo': 1}, "
         "'limit': 1}, {'q': {'_id': 4}, 'limit': 1}], 'ordered': false}",
         &r);
    ASSERT_INT(&r, "n", 2);
    ASSERT_INT(&r, "writeErrors.0.index", 1);
    ASSERT_INT(&r, "writeErrors.0.code", 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_and_modify_shapes)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    must(c, "{'insert': 'fam', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, 'x': 2}]}", &r);
    bson_destroy(&r);
    must(c, "{'findAndModify': 'fam', 'query': {'_id': 1}, 'update': {'$$inc': {'x': 1}}}", &r);
    ASSERT_INT(&r, "lastErrorObject.n", 1);
    ck_assert(fx_type(&r, "lastErrorObject.updatedExisting") == BSON_TYPE_BOOL);
    ck_assert(fx_bool(&r, "lastErrorObject.updatedExisting"));
    ck_assert(!fx_has(&r, "lastErrorObject.upserted"));
    ASSERT_INT(&r, "value.x", 1);
    bson_destroy(&r);
    must(c,
         "{'findAndModify': 'fam', 'query': {'_id': 1}, 'update': {'$$inc': {'x': 1}}, 'new': "
         "true, 'fields': {'_id': 0}}",
         &r);
    ASSERT_INT(&r, "value.x", 3);
    ck_assert(!fx_has(&r, "value._id"));
    bson_destroy(&r);
    must(c, "{'findAndModify': 'fam', 'query': {'_id': 7}, 'update': {'$$set': {'y': 1}}}", &r);
    ASSERT_INT(&r, "lastErrorObject.n", 0);
    ck_assert(!fx_bool(&r, "lastErrorObject.updatedExisting"));
    ASSERT_TYPE(&r, "value", BSON_TYPE_NULL);
    bson_destroy(&r);
    must(c,
         "{'findAndModify': 'fam', 'query': {'_id': 8}, 'update': {'$$set': {'y': 1}}, "
         "'upsert': true, 'new': true}",
         &r);
    ASSERT_INT(&r, "lastErrorObject.n", 1);
    ck_assert(!fx_bool(&r, "lastErrorObject.updatedExisting"));
    ASSERT_INT(&r, "lastErrorObject.upserted", 8);
    ASSERT_INT(&r, "value.y", 1);
    bson_destroy(&r);
    must(c, "{'findAndModify': 'fam', 'query': {'_id': 2}, 'remove': true}", &r);
    ASSERT_INT(&r, "lastErrorObject.n", 1);
    ck_assert(!fx_has(&r, "lastErrorObject.updatedExisting"));
    ASSERT_INT(&r, "value.x", 2);
    bson_destroy(&r);
    ck_assert(!run(c,
                   "{'findAndModify': 'fam', 'query': {'_id': 1}, 'update': {'$$set': {'_id': "
                   "5}}}",
                   &r));
    ASSERT_INT(&r, "code", 66);
    ASSERT_STR(&r, "codeName", "ImmutableField");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("query");
    TCase *tc = it_tcase(s, "query", true);

    tcase_add_loop_test(tc, test_filters, 0, (int)(sizeof(filters) / sizeof(filters[0])));
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(errors) / sizeof(errors[0])));
    tcase_add_loop_test(tc, test_projections, 0,
                        (int)(sizeof(projections) / sizeof(projections[0])));
    tcase_add_test(tc, test_sort_skip_limit);
    tcase_add_test(tc, test_sort_memory_limit);
    tcase_add_loop_test(tc, test_updates, 0, (int)(sizeof(updates) / sizeof(updates[0])));
    tcase_add_test(tc, test_update_too_large);
    tcase_add_test(tc, test_upserts);
    tcase_add_test(tc, test_update_many_once);
    tcase_add_test(tc, test_ordered_unordered);
    tcase_add_test(tc, test_find_and_modify_shapes);
    return it_main(s);
}
