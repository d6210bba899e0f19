/*
 * tests/integration/it_cwild.c -- compound wildcard indexes (mongod 7.0), through libmongoc.
 *
 * Creation: the key patterns and wildcardProjections mongod accepts, and those it refuses
 * with its codes (wildcard_validation.cpp's 72462xx, 67 for the rest); listIndexes shows the
 * spec as given.  Keys: validate counts one entry per (wildcard path, value) with the regular
 * values around it, one (MinKey, MinKey) entry for a document with regular fields only, none
 * for a document with neither; an array in a regular field is refused.  Queries: a table of
 * shapes run once as planned and once hinted {$natural: 1}, same documents, with the plan,
 * the index, its keyPattern and the keys examined asserted from explain.  One shared server
 * (a fresh database: each collection is made once).
 */
#include "harness.h"

#define DB "cwild"
#define NDOCS 300
#define IXNAME "tenant_1_attrs.$**_1"

/* write_code -- the code of a write command's first write error, or of the command's
 * failure; 0 when it wrote. */
static int64_t
write_code(mongoc_client_t *c, const char *json)
{
    bson_t r;
    int64_t code;

    fx_cmd(c, DB, json, &r, NULL);
    ck_assert_msg(fx_has(&r, "ok"), "%s: no reply", json);
    code = fx_int(&r, "code") + fx_int(&r, "writeErrors.0.code");
    bson_destroy(&r);
    return code;
}

/* ---- creation ------------------------------------------------------------------------- */

static const struct {
    const char *spec; /* one index spec, JSON */
    int code;         /* 0: created */
    const char *name; /* its codeName */
} creates[] = {
    {"{'key': {'a': 1, 'b.$**': 1}, 'name': 'i1'}", 0, NULL},
    {"{'key': {'a.$**': 1, 'b': 1}, 'name': 'i2'}", 0, NULL},
    {"{'key': {'a': 1, 'b.$**': -1, 'c': 1}, 'name': 'i3'}", 0, NULL},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'i4', 'wildcardProjection': {'a': 0}}", 0, NULL},
    {"{'key': {'$**': 1, 'a': 1}, 'name': 'i5', 'wildcardProjection': {'a': 0}}", 0, NULL},
    {"{'key': {'a': 1, '$**': -1, 'b': 1}, 'name': 'i6', 'wildcardProjection': {'a': 0, 'b': "
     "0}}",
     0, NULL},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'i7', 'wildcardProjection': {'x.y': 1, 'z': 1}}", 0,
     NULL},
    {"{'key': {'a': 1, 'a.$**': 1}, 'name': 'e'}", 7246204, "Location7246204"},
    {"{'key': {'a.b.c': 1, 'a.b.$**': 1}, 'name': 'e'}", 7246204, "Location7246204"},
    {"{'key': {'$**': 1, 'c': 1}, 'name': 'e', 'wildcardProjection': {'a.b': 1, 'a.b.c': 1}}",
     7246200, "Location7246200"},
    {"{'key': {'a.$**': 1, 'b.$**': 1}, 'name': 'e'}", 7246201, "Location7246201"},
    {"{'key': {'a.$**': 1, 'b': 'text'}, 'name': 'e'}", 67, "CannotCreateIndex"},
    {"{'key': {'a.$**': 1, 'b': 'hashed'}, 'name': 'e'}", 67, "CannotCreateIndex"},
    {"{'key': {'a.$**': 1, 'b': '2dsphere'}, 'name': 'e'}", 67, "CannotCreateIndex"},
    {"{'key': {'b': 'hashed', 'a.$**': 1}, 'name': 'e'}", 67, "CannotCreateIndex"},
    {"{'key': {'a.$**': 1, 'b': 1}, 'name': 'e', 'unique': true}", 67, "CannotCreateIndex"},
    {"{'key': {'a.$**': 1, 'b': 1}, 'name': 'e', 'sparse': true}", 67, "CannotCreateIndex"},
    {"{'key': {'a.$**': 1, 'b': 1}, 'name': 'e', 'expireAfterSeconds': 60}", 67,
     "CannotCreateIndex"},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'e'}", 67, "CannotCreateIndex"},
    {"{'key': {'a': 1, 'b.$**': 1}, 'name': 'e', 'wildcardProjection': {'b.c': 1}}", 9,
     "FailedToParse"},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'e', 'wildcardProjection': {'a': 1}}", 7246208,
     "Location7246208"},
    {"{'key': {'a.b': 1, '$**': 1}, 'name': 'e', 'wildcardProjection': {'a': 1}}", 7246208,
     "Location7246208"},
    {"{'key': {'a': 1, '$**': 1, 'c': 1}, 'name': 'e', 'wildcardProjection': {'a': 0, 'b': 0}}",
     7246210, "Location7246210"},
    {"{'key': {'a': 1, '$**': 1, 'c': 1}, 'name': 'e', 'wildcardProjection': {'b': 0, 'c': 0}}",
     7246209, "Location7246209"},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'e', 'wildcardProjection': {'a': 0, 'x': 1}}", 7246211,
     "Location7246211"},
    {"{'key': {'a': 1, '$**': 1}, 'name': 'e', 'wildcardProjection': {'a': 'no'}}", 7246207,
     "Location7246207"},
};

START_TEST(test_create)
{
    mongoc_client_t *c = IT_CLIENT();
    char cmd[512];
    bson_t r, spec;
    int made = 1;

    for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
        snprintf(cmd, sizeof(cmd), "{'createIndexes': 'mk', 'indexes': [%s]}", creates[i].spec);
        if (creates[i].code == 0) {
            CMD_OK(c, DB, cmd, &r);
            ASSERT_INT(&r, "numIndexesAfter", ++made);
        } else {
            CMD_ERR(c, DB, cmd, &r, creates[i].code, creates[i].name);
        }
        bson_destroy(&r);
    }
    /* listIndexes shows every spec as given */
    CMD_OK(c, DB, "{'listIndexes': 'mk'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), made);
    ck_assert(fx_sub(&r, "cursor.firstBatch.6", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'a': 1, '$**': -1, 'b': 1}, 'name': 'i6', "
                                    "'wildcardProjection': {'a': 0, 'b': 0}}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    ck_assert(fx_sub(&r, "cursor.firstBatch.3", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'a': 1, 'b.$**': -1, 'c': 1}, 'name': 'i3'}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- keys ----------------------------------------------------------------------------- */

/* make_doc -- document i: tenant i % 5 (missing when i % 17 == 0), attrs {color, size (a
 * string when i % 11 == 0), tags [two distinct values], nested.x} (missing when i % 13 == 0);
 * returns how many entries it has in the index. */
static int
make_doc(bson_t *d, int i)
{
    static const char *const colors[] = {"red", "green", "blue"};
    bson_t attrs, tags, nested;
    bool tenant = i % 17 != 0;

    BSON_APPEND_INT32(d, "_id", i);
    if (tenant)
        BSON_APPEND_INT32(d, "tenant", i % 5);
    BSON_APPEND_INT32(d, "other", i % 3);
    if (i % 13 == 0)
        return tenant ? 1 : 0;
    BSON_APPEND_DOCUMENT_BEGIN(d, "attrs", &attrs);
    BSON_APPEND_UTF8(&attrs, "color", colors[i % 3]);
    if (i % 11 == 0)
        BSON_APPEND_UTF8(&attrs, "size", "big");
    else
        BSON_APPEND_INT32(&attrs, "size", i % 10);
    BSON_APPEND_ARRAY_BEGIN(&attrs, "tags", &tags);
    BSON_APPEND_INT32(&tags, "0", i % 4);
    BSON_APPEND_INT32(&tags, "1", 10 + i % 6);
    bson_append_array_end(&attrs, &tags);
    BSON_APPEND_DOCUMENT_BEGIN(&attrs, "nested", &nested);
    BSON_APPEND_INT32(&nested, "x", i % 7);
    bson_append_document_end(&attrs, &nested);
    bson_append_document_end(d, &attrs);
    return 5;
}

/* fill -- the data set in `coll` (indexed with `index`, a JSON spec, when not NULL: before
 * the inserts when `before`, else built over them); returns the index's expected keys. */
static int
fill(mongoc_client_t *c, const char *coll, const char *index, bool before)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_t docs[NDOCS];
    const bson_t *ptrs[NDOCS];
    bson_error_t e;
    char cmd[512];
    bson_t r;
    int keys = 0;

    snprintf(cmd, sizeof(cmd), "{'createIndexes': '%s', 'indexes': [%s]}", coll,
             index != NULL ? index : "");
    if (index != NULL && before) {
        CMD_OK(c, DB, cmd, &r);
        bson_destroy(&r);
    }
    for (int i = 0; i < NDOCS; i++) {
        bson_init(&docs[i]);
        keys += make_doc(&docs[i], i);
        ptrs[i] = &docs[i];
    }
    ck_assert_msg(mongoc_collection_insert_many(col, ptrs, NDOCS, NULL, NULL, &e), "%s", e.message);
    for (int i = 0; i < NDOCS; i++)
        bson_destroy(&docs[i]);
    mongoc_collection_destroy(col);
    if (index != NULL && !before) {
        CMD_OK(c, DB, cmd, &r);
        bson_destroy(&r);
    }
    return keys;
}

/* index_keys -- validate's count of the index's keys (and the collection is valid). */
static int64_t
index_keys(mongoc_client_t *c, const char *coll, const char *name)
{
    char cmd[128];
    bson_t r, per;
    bson_iter_t it;
    int64_t n;

    snprintf(cmd, sizeof(cmd), "{'validate': '%s', 'full': true}", coll);
    CMD_OK(c, DB, cmd, &r);
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ck_assert(fx_sub(&r, "keysPerIndex", &per)); /* (the name has dots: no fx path) */
    ck_assert_msg(bson_iter_init_find(&it, &per, name), "%s", fx_to_json(&r));
    n = bson_iter_as_int64(&it);
    bson_destroy(&per);
    bson_destroy(&r);
    return n;
}

#define CW_SPEC "{'key': {'tenant': 1, 'attrs.$**': 1}, 'name': '" IXNAME "'}"

START_TEST(test_keys)
{
    mongoc_client_t *c = IT_CLIENT();
    int keys = fill(c, "k", CW_SPEC, true);
    bson_t r;

    ck_assert_int_eq(index_keys(c, "k", IXNAME), keys);
    /* a build over the same records makes the same entries */
    ck_assert_int_eq(fill(c, "k2", CW_SPEC, false), keys);
    ck_assert_int_eq(index_keys(c, "k2", IXNAME), keys);
    /* an array in a regular field is refused, and nothing is written */
    ck_assert_int_eq(write_code(c, "{'insert': 'k', 'documents': [{'_id': 'arr', 'tenant': [1, "
                                   "2], 'attrs': {'q': 1}}]}"),
                     201);
    ck_assert_int_eq(fx_count(c, DB, "k", "{'_id': 'arr'}"), 0);
    ck_assert_int_eq(write_code(c, "{'update': 'k', 'updates': [{'q': {'_id': 1}, 'u': {'$set': "
                                   "{'tenant': []}}}]}"),
                     201);
    /* an array inside the wildcard's subtree is fine; an update moves the entries */
    ck_assert_int_eq(write_code(c, "{'update': 'k', 'updates': [{'q': {'_id': 1}, 'u': {'$set': "
                                   "{'attrs': {'l': [1, 2, 3]}}}}]}"),
                     0);
    ck_assert_int_eq(index_keys(c, "k", IXNAME), keys - 5 + 3);
    ck_assert_int_eq(write_code(c, "{'update': 'k', 'updates': [{'q': {'_id': 1}, 'u': {'$unset': "
                                   "{'attrs': 1, 'tenant': 1}}}]}"),
                     0);
    ck_assert_int_eq(index_keys(c, "k", IXNAME), keys - 5);
    ck_assert_int_eq(write_code(c, "{'delete': 'k', 'deletes': [{'q': {}, 'limit': 0}]}"), 0);
    ck_assert_int_eq(index_keys(c, "k", IXNAME), 0);
    /* a build over a record with an array in a regular field fails and leaves nothing */
    ck_assert_int_eq(write_code(c, "{'insert': 'k3', 'documents': [{'_id': 1, 'tenant': [1]}]}"),
                     0);
    CMD_ERR(c, DB, "{'createIndexes': 'k3', 'indexes': [" CW_SPEC "]}", &r, 201,
            "CannotBuildIndexKeys");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'k3'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- queries -------------------------------------------------------------------------- */

static const struct {
    const char *coll, *filter;
    const char *index;   /* the index used, or NULL for a collection scan */
    const char *pattern; /* explain's keyPattern of that scan */
    int keys;            /* totalKeysExamined; -1: not asserted */
} queries[] = {
    {"q", "{'tenant': 2, 'attrs.color': 'red'}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.color': 1}", 19},
    {"q", "{'tenant': {'$in': [1, 3]}, 'attrs.size': {'$gt': 4}}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.size': 1}", 50},
    {"q", "{'tenant': 2, 'attrs.size': {'$gte': 3, '$lte': 7}}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.size': 1}", 25},
    {"q", "{'tenant': 2, 'attrs.size': 'big'}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.size': 1}", 6},
    {"q", "{'tenant': 2, 'attrs.tags': 3}", IXNAME, "{'tenant': 1, '$_path': 1, 'attrs.tags': 1}",
     14},
    {"q", "{'tenant': 0, 'attrs.tags': {'$gte': 2, '$lte': 11}}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.tags': 1}", 79},
    {"q", "{'tenant': 4, 'attrs.nested.x': 4}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.nested.x': 1}", 9},
    {"q", "{'tenant': {'$gte': 3}, 'attrs.color': {'$in': ['red', 'blue']}}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.color': 1}", 525},
    {"q", "{'tenant': null, 'attrs.color': 'green'}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.color': 1}", 7},
    {"q", "{'tenant': 1, 'attrs.color': {'$exists': true}}", IXNAME,
     "{'tenant': 1, '$_path': 1, 'attrs.color': 1}", 55},
    {"q", "{'tenant': 4}", IXNAME, "{'tenant': 1, '$_path': 1}", 260},
    {"q", "{'tenant': {'$gt': 2}, 'other': 1}", IXNAME, "{'tenant': 1, '$_path': 1}", 525},
    {"q", "{'tenant': 2, 'attrs.color': null}", IXNAME, "{'tenant': 1, '$_path': 1}", 265},
    {"q", "{'tenant': 3, 'attrs': {'$exists': false}}", IXNAME, "{'tenant': 1, '$_path': 1}", 266},
    {"q", "{'attrs.color': 'blue'}", NULL, NULL, 0},
    {"q", "{'tenant': null}", NULL, NULL, 0},
    {"q", "{'other': 2}", NULL, NULL, 0},
    {"p", "{'attrs.color': 'red', 'other': 0}", "$**_1_other_1",
     "{'$_path': 1, 'attrs.color': 1, 'other': 1}", 93},
    {"p", "{'tenant': 3, 'other': {'$in': [0, 2]}}", "$**_1_other_1",
     "{'$_path': 1, 'tenant': 1, 'other': 1}", 40},
    {"p", "{'other': 2}", NULL, NULL, 0},
    {"d", "{'tenant': 2, 'attrs.size': {'$gte': 3}, 'other': 1}", "desc",
     "{'tenant': -1, '$_path': 1, 'attrs.size': -1, 'other': 1}", 25},
    {"d", "{'tenant': {'$in': [1, 4]}, 'attrs.color': {'$gt': 'blue'}}", "desc",
     "{'tenant': -1, '$_path': 1, 'attrs.color': -1, 'other': 1}", 71},
    {"d", "{'tenant': {'$lt': 2}, 'attrs.tags': {'$exists': true}}", "desc",
     "{'tenant': -1, '$_path': 1, 'attrs.tags': -1, 'other': 1}", 534},
    {"d", "{'tenant': 3}", "desc", "{'tenant': -1, '$_path': 1}", 266},
    {"p", "{'_id': {'$gt': 5}, 'other': 2}", "_id_", "{'_id': 1}", 294},
};

/* ids -- the _ids a find returns, in _id order, as text. */
static char *
ids(mongoc_client_t *c, const char *coll, const char *filter, const char *hint)
{
    bson_string_t *s = bson_string_new(NULL);
    char cmd[512];
    bson_t r;
    int n;

    snprintf(cmd, sizeof(cmd),
             "{'find': '%s', 'filter': %s, 'sort': {'_id': 1}, 'batchSize': 1000%s%s}", coll,
             filter, hint != NULL ? ", 'hint': " : "", hint != NULL ? hint : "");
    CMD_OK(c, DB, cmd, &r);
    ASSERT_INT(&r, "cursor.id", 0);
    n = fx_array_len(&r, "cursor.firstBatch");
    for (int i = 0; i < n; i++) {
        char path[64];

        snprintf(path, sizeof(path), "cursor.firstBatch.%d._id", i);
        bson_string_append_printf(s, "%lld,", (long long)fx_int(&r, path));
    }
    bson_destroy(&r);
    return bson_string_free(s, false);
}

/* commas -- how many ids an ids() list holds. */
static int64_t
commas(const char *s)
{
    int64_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == ',';
    return n;
}

/* scan_stage -- the IXSCAN (or COLLSCAN) under the winning plan of an explain. */
static bool
scan_stage(const bson_t *plan, bson_t *out)
{
    bson_t in;

    if (fx_str(plan, "stage") != NULL && (strcmp(fx_str(plan, "stage"), "IXSCAN") == 0 ||
                                          strcmp(fx_str(plan, "stage"), "COLLSCAN") == 0)) {
        bson_copy_to(plan, out);
        return true;
    }
    if (!fx_sub(plan, "inputStage", &in))
        return false;
    bool ok = scan_stage(&in, out);
    bson_destroy(&in);
    return ok;
}

/* hinted -- a hint names the index by name or key pattern: the same documents, through it. */
static void
hinted(mongoc_client_t *c)
{
    static const char *const hints[] = {"'" IXNAME "'", "{'tenant': 1, 'attrs.$**': 1}"};
    const char *filter = "{'tenant': {'$in': [0, 4]}, 'attrs.size': {'$lt': 3}}";
    char *want = ids(c, "q", filter, "{'$natural': 1}");
    char cmd[512];
    bson_t r;

    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        char *got = ids(c, "q", filter, hints[i]);

        ck_assert_msg(strcmp(got, want) == 0, "hint %s: %s, want %s", hints[i], got, want);
        bson_free(got);
        snprintf(cmd, sizeof(cmd),
                 "{'explain': {'find': 'q', 'filter': %s, 'hint': %s}, 'verbosity': "
                 "'executionStats'}",
                 filter, hints[i]);
        CMD_OK(c, DB, cmd, &r);
        ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
        ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", IXNAME);
        ASSERT_INT(&r, "executionStats.nReturned", 24);
        ASSERT_INT(&r, "executionStats.totalKeysExamined", 26); /* (one past each range) */
        bson_destroy(&r);
    }
    ck_assert(strlen(want) > 0);
    bson_free(want);
}

/* or_clauses -- each $or clause scans the index (no record read twice, none missed, a
 * clause that finds nothing in the middle included). */
static void
or_clauses(mongoc_client_t *c)
{
    const char *filter = "{'$or': [{'tenant': 1, 'attrs.color': 'red'}, {'tenant': 2, "
                         "'attrs.size': 3}, {'tenant': 1, 'attrs.tags': 1}]}";
    char *want = ids(c, "q", filter, "{'$natural': 1}"), *got = ids(c, "q", filter, NULL);
    char cmd[512];
    bson_t r;

    ck_assert_msg(strcmp(got, want) == 0, "$or: %s, want %s", got, want);
    snprintf(cmd, sizeof(cmd),
             "{'explain': {'find': 'q', 'filter': %s}, 'verbosity': 'executionStats'}", filter);
    CMD_OK(c, DB, cmd, &r);
    ck_assert_msg(strstr(fx_to_json(&r), "\"stage\" : \"OR\"") != NULL, "%s", fx_to_json(&r));
    ASSERT_INT(&r, "executionStats.nReturned", 27);
    ASSERT_INT(&r, "executionStats.totalKeysExamined", 35); /* 18 + 0 + 14, one past each */
    ASSERT_INT(&r, "executionStats.totalDocsExamined", 27);
    bson_destroy(&r);
    bson_free(got);
    bson_free(want);
    /* a clause that finds nothing does not end the $or (a plain index too) */
    CMD_OK(c, DB, "{'createIndexes': 'd', 'indexes': [{'key': {'other': 1}, 'name': 'o'}]}", &r);
    bson_destroy(&r);
    filter = "{'$or': [{'other': 1}, {'other': 99}, {'other': 2}]}";
    want = ids(c, "d", filter, "{'$natural': 1}");
    got = ids(c, "d", filter, NULL);
    ck_assert_msg(strcmp(got, want) == 0, "$or: %s, want %s", got, want);
    bson_free(got);
    bson_free(want);
}

/* distinct_values -- distinct through the index gives what a collection scan gives. */
static void
distinct_values(mongoc_client_t *c)
{
    static const char *const cmds[] = {
        "{'distinct': 'q', 'key': 'tenant', 'query': {'tenant': {'$gt': 1}}%s}",
        "{'distinct': 'q', 'key': 'attrs.size', 'query': {'tenant': 2, 'attrs.size': {'$gte': "
        "2}}%s}",
        "{'distinct': 'q', 'key': 'attrs.tags', 'query': {'tenant': 3}%s}",
    };
    char cmd[512];
    bson_t a, b, va, vb;

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        snprintf(cmd, sizeof(cmd), cmds[i], "");
        CMD_OK(c, DB, cmd, &a);
        snprintf(cmd, sizeof(cmd), cmds[i], ", 'hint': {'$natural': 1}");
        CMD_OK(c, DB, cmd, &b);
        ck_assert(fx_sub(&a, "values", &va) && fx_sub(&b, "values", &vb));
        ck_assert_msg(fx_array_len(&a, "values") > 1 && bson_equal(&va, &vb), "%s: %s", cmds[i],
                      fx_to_json(&a));
        bson_destroy(&va);
        bson_destroy(&vb);
        bson_destroy(&a);
        bson_destroy(&b);
    }
}

/* sorted_scans -- a sort on the regular prefix comes from the index (no SORT stage), in
 * either direction, with the documents a collection scan finds. */
static void
sorted_scans(mongoc_client_t *c)
{
    static const struct {
        const char *filter, *sort;
        int dir;
    } q[] = {
        {"{'tenant': {'$gt': 0}, 'attrs.color': 'red'}", "{'tenant': -1}", -1},
        {"{'tenant': {'$gte': 2}}", "{'tenant': 1}", 1},
        {"{'tenant': {'$lt': 3}, 'attrs.size': {'$exists': true}}", "{'tenant': 1}", 1},
    };
    char cmd[512], path[64];
    bson_t r;

    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        int n, last = q[i].dir < 0 ? 99 : -1;

        snprintf(cmd, sizeof(cmd), "{'find': 'q', 'filter': %s, 'sort': %s, 'batchSize': 1000}",
                 q[i].filter, q[i].sort);
        CMD_OK(c, DB, cmd, &r);
        n = fx_array_len(&r, "cursor.firstBatch");
        ck_assert_int_eq(n, fx_count(c, DB, "q", q[i].filter));
        for (int k = 0; k < n; k++) {
            snprintf(path, sizeof(path), "cursor.firstBatch.%d.tenant", k);
            ck_assert_msg((fx_int(&r, path) - last) * q[i].dir >= 0, "%s: out of order at %d",
                          q[i].filter, k);
            last = (int)fx_int(&r, path);
        }
        bson_destroy(&r);
        snprintf(cmd, sizeof(cmd),
                 "{'explain': {'find': 'q', 'filter': %s, 'sort': %s}, 'verbosity': "
                 "'queryPlanner'}",
                 q[i].filter, q[i].sort);
        CMD_OK(c, DB, cmd, &r);
        ASSERT_STR(&r, "queryPlanner.winningPlan.stage", "FETCH");
        ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
        ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.direction",
                   q[i].dir < 0 ? "backward" : "forward");
        bson_destroy(&r);
    }
}

START_TEST(test_queries)
{
    mongoc_client_t *c = IT_CLIENT();
    char cmd[512];

    fill(c, "q", CW_SPEC, false);
    fill(c, "d", "{'key': {'tenant': -1, 'attrs.$**': -1, 'other': 1}, 'name': 'desc'}", false);
    fill(c, "p",
         "{'key': {'$**': 1, 'other': 1}, 'name': '$**_1_other_1', 'wildcardProjection': "
         "{'other': 0}}",
         true);
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        char *got = ids(c, queries[i].coll, queries[i].filter, NULL);
        char *want = ids(c, queries[i].coll, queries[i].filter, "{'$natural': 1}");
        bson_t r, plan, scan, kp;

        ck_assert_msg(strcmp(got, want) == 0, "%s: %s, collection scan %s", queries[i].filter, got,
                      want);
        ck_assert_msg(strlen(want) > 0 || queries[i].index == NULL, "%s matches nothing",
                      queries[i].filter);
        /* count: each record once, however many entries it has */
        ck_assert_int_eq(fx_count(c, DB, queries[i].coll, queries[i].filter), commas(want));
        bson_free(got);
        bson_free(want);
        snprintf(cmd, sizeof(cmd),
                 "{'explain': {'find': '%s', 'filter': %s}, 'verbosity': 'executionStats'}",
                 queries[i].coll, queries[i].filter);
        CMD_OK(c, DB, cmd, &r);
        ck_assert(fx_sub(&r, "queryPlanner.winningPlan", &plan));
        ck_assert_msg(scan_stage(&plan, &scan), "%s", fx_to_json(&r));
        if (queries[i].index == NULL) {
            ASSERT_STR(&scan, "stage", "COLLSCAN");
        } else {
            ASSERT_STR(&scan, "stage", "IXSCAN");
            ASSERT_STR(&scan, "indexName", queries[i].index);
            ck_assert(fx_sub(&scan, "keyPattern", &kp));
            ck_assert_msg(fx_eq_json(&kp, queries[i].pattern), "%s: %s", queries[i].filter,
                          fx_to_json(&scan));
            bson_destroy(&kp);
        }
        if (queries[i].keys >= 0)
            ASSERT_INT(&r, "executionStats.totalKeysExamined", queries[i].keys);
        bson_destroy(&scan);
        bson_destroy(&plan);
        bson_destroy(&r);
    }
    hinted(c);
    or_clauses(c);
    distinct_values(c);
    sorted_scans(c);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("cwild");
    TCase *tc = it_tcase(s, "cwild", true);

    tcase_add_test(tc, test_create);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_queries);
    return it_main(s);
}
