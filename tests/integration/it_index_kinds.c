/*
 * tests/integration/it_index_kinds.c -- index kinds: partial, sparse, hashed, hidden, and
 * their options, through libmongoc.
 *
 * Partial: a unique index with a partialFilterExpression holds (and constrains) only the
 * documents its filter matches, on insert, on update (into and out of the filter) and on a
 * build over existing records; the operators mongod 7.0 refuses there are refused with its
 * codes and debug print; listIndexes shows the spec as given.  One shared server.
 */
#include "harness.h"

#define DB "ixkinds"

/* write_code -- run a write command; 0 when it wrote without error, else the code of its
 * first write error (or of the command). */
static int64_t
write_code(mongoc_client_t *c, const char *json)
{
    bson_error_t e;
    bson_t r;
    int64_t code;
    bool ok = fx_cmd(c, DB, json, &r, &e);

    code = !ok ? fx_int(&r, "code") : fx_int(&r, "writeErrors.0.code");
    ck_assert_msg(ok || fx_has(&r, "code"), "%s -> %s (%s)", json, fx_to_json(&r), e.message);
    bson_destroy(&r);
    return code;
}

/* found -- how many documents a find command returns (one batch). */
static int
found(mongoc_client_t *c, const char *json)
{
    bson_t r;
    int n;

    CMD_OK(c, DB, json, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    bson_destroy(&r);
    return n;
}

static void
fresh(mongoc_client_t *c, const char *coll)
{
    fx_drop(c, DB, coll);
}

/* A unique partial index constrains only the documents its filter matches: the issue's
 * first complaint (11000 on a valid insert outside the filter). */
START_TEST(test_partial_unique_only_inside)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;

    fresh(c, "p");
    CMD_OK(c, DB,
           "{'createIndexes': 'p', 'indexes': [{'key': {'email': 1}, 'name': 'email_1', "
           "'unique': true, 'partialFilterExpression': {'active': true}}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'p', 'documents': [{'_id': 1, 'email': 'a', "
                                   "'active': false}, {'_id': 2, 'email': 'a'}]}"),
                     0);
    ck_assert_int_eq(
        write_code(c, "{'insert': 'p', 'documents': [{'_id': 3, 'email': 'a', 'active': true}]}"),
        0);
    ck_assert_int_eq(
        write_code(c, "{'insert': 'p', 'documents': [{'_id': 4, 'email': 'a', 'active': true}]}"),
        11000);
    /* an update into the filter meets the constraint; out of it frees the key */
    ck_assert_int_eq(write_code(c, "{'update': 'p', 'updates': [{'q': {'_id': 1}, "
                                   "'u': {'$set': {'active': true}}}]}"),
                     11000);
    ck_assert_int_eq(write_code(c, "{'update': 'p', 'updates': [{'q': {'_id': 3}, "
                                   "'u': {'$set': {'active': 1}}}]}"),
                     0); /* 1 is not true: out of the filter */
    ck_assert_int_eq(write_code(c, "{'update': 'p', 'updates': [{'q': {'_id': 1}, "
                                   "'u': {'$set': {'active': true}}}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'delete': 'p', 'deletes': [{'q': {'_id': 1}, 'limit': 1}]}"),
                     0);
    ck_assert_int_eq(
        write_code(c, "{'insert': 'p', 'documents': [{'_id': 4, 'email': 'a', 'active': true}]}"),
        0);
    /* the index holds only the documents in its filter */
    ck_assert_int_eq(found(c, "{'find': 'p', 'filter': {'active': true}, 'hint': 'email_1'}"), 1);
    ck_assert_int_eq(found(c, "{'find': 'p', 'filter': {'email': 'a', 'active': true}, "
                              "'hint': {'email': 1}}"),
                     1);
    ck_assert_int_eq(found(c, "{'find': 'p', 'filter': {'email': 'a'}}"), 3);
    CMD_OK(c, DB, "{'listIndexes': 'p'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.1", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'email': 1}, 'name': 'email_1', 'unique': "
                                    "true, 'partialFilterExpression': {'active': true}}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* $or, $in, $type, ranges and $exists select the documents a partial index holds, arrays
 * and dotted paths as a query reads them. */
START_TEST(test_partial_operators)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "ops");
    CMD_OK(c, DB,
           "{'createIndexes': 'ops', 'indexes': [{'key': {'u': 1}, 'name': 'u_1', 'unique': "
           "true, 'partialFilterExpression': {'$or': [{'k': {'$gt': 10, '$lte': 20}}, "
           "{'t': {'$type': 'string'}}, {'g': {'$in': [1, 'x']}}, {'n.m': {'$exists': true}}]}}]}",
           &r);
    bson_destroy(&r);
    /* outside the filter: any number of equal keys */
    ck_assert_int_eq(write_code(c, "{'insert': 'ops', 'documents': [{'u': 1, 'k': 5}, {'u': 1, "
                                   "'k': 25}, {'u': 1, 't': 5}, {'u': 1, 'g': 2}, {'u': 1, "
                                   "'n': 3}, {'u': 1, 'k': '15'}]}"),
                     0);
    static const char *const inside[] = {
        "{'u': 2, 'k': 15}",         "{'u': 3, 'k': [1, 12]}",  "{'u': 4, 't': 'str'}",
        "{'u': 5, 'g': 'x'}",        "{'u': 6, 'g': [7, 1.0]}", "{'u': 7, 'n': {'m': null}}",
        "{'u': 8, 'n': [{'m': 1}]}", "{'u': 9, 'k': 20}",
    };
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        char cmd[200];

        snprintf(cmd, sizeof(cmd), "{'insert': 'ops', 'documents': [%s]}", inside[i]);
        ck_assert_int_eq(write_code(c, cmd), 0);
        ck_assert_msg(write_code(c, cmd) == 11000, "%s is in the filter: its copy must collide",
                      inside[i]);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* A build over existing records indexes only the documents in the filter: duplicates outside
 * it do not fail it, duplicates inside do (and leave no index behind). */
START_TEST(test_partial_build)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "b");
    ck_assert_int_eq(write_code(c, "{'insert': 'b', 'documents': [{'_id': 1, 'x': 1, 's': 0}, "
                                   "{'_id': 2, 'x': 1, 's': 9}, {'_id': 3, 'x': 3, 's': 5}, "
                                   "{'_id': 4, 'x': 2, 's': 6}, {'_id': 5, 'x': 2, 's': 7}]}"),
                     0);
    CMD_OK(c, DB,
           "{'createIndexes': 'b', 'indexes': [{'key': {'x': 1}, 'name': 'lo', 'unique': true, "
           "'partialFilterExpression': {'s': {'$lt': 6}}}]}",
           &r);
    ASSERT_INT(&r, "numIndexesAfter", 2);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'b', 'indexes': [{'key': {'x': 1}, 'name': 'hi', 'unique': true, "
            "'partialFilterExpression': {'s': {'$gte': 5}}}]}",
            &r, 11000, "DuplicateKey");
    bson_destroy(&r);
    /* the same key with another filter is another index; with the same filter, the same */
    CMD_OK(c, DB,
           "{'createIndexes': 'b', 'indexes': [{'key': {'x': 1}, 'name': 'mid', 'unique': true, "
           "'partialFilterExpression': {'s': {'$gt': 8}}}]}",
           &r);
    ASSERT_INT(&r, "numIndexesAfter", 3);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'b', 'indexes': [{'key': {'x': 1}, 'name': 'other', "
            "'partialFilterExpression': {'s': {'$gt': 8}}}]}",
            &r, 85, "IndexOptionsConflict");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'b'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* check_refused -- a partial filter mongod refuses: code and the end of its message. */
static void
check_refused(mongoc_client_t *c, const char *filter, int code, const char *name, const char *tail)
{
    char cmd[512];
    const char *msg;
    bson_t r;

    snprintf(cmd, sizeof(cmd),
             "{'createIndexes': 'bad', 'indexes': [{'key': {'k': 1}, 'name': 'k', "
             "'partialFilterExpression': %s}]}",
             filter);
    CMD_ERR(c, DB, cmd, &r, code, name);
    msg = fx_str(&r, "errmsg");
    ck_assert_msg(strlen(msg) >= strlen(tail) &&
                      strcmp(msg + strlen(msg) - strlen(tail), tail) == 0,
                  "%s: errmsg %s should end with %s", filter, msg, tail);
    ck_assert_msg(strncmp(msg, "Error in specification { key: { k: 1 }, name: \"k\", ", 49) == 0,
                  "%s: errmsg %s", filter, msg);
    bson_destroy(&r);
}

START_TEST(test_partial_refused)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "bad");
    check_refused(c, "{'a': {'$ne': 1}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $not\n    a $eq 1\n");
    check_refused(c, "{'a': {'$nin': [1]}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $not\n    a $in [ 1]\n");
    check_refused(c, "{'a': {'$exists': false}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $not\n    a exists\n");
    check_refused(c, "{'a': {'$not': {'$gt': 1}}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $not\n    $and\n        a $gt 1\n");
    check_refused(c, "{'$nor': [{'a': 1}]}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $nor\n    a $eq 1\n");
    check_refused(c, "{'a': {'$regex': 'x'}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: a regex /x/\n");
    check_refused(c, "{'a': {'$mod': [2, 0]}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: a mod 2 % x == 0\n");
    check_refused(c, "{'a': {'$size': 2}}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: a $size : 2\n");
    check_refused(c, "{'$or': [{'a': {'$ne': 1}}]}", 67, "CannotCreateIndex",
                  "Expression not supported in partial index: $not\n    a $eq 1\n");
    check_refused(c, "{'$expr': {'$eq': ['$a', 1]}}", 224, "QueryFeatureNotAllowed",
                  "$expr is not allowed in this context");
    check_refused(c, "{'$and': [{'$and': [{'$and': [{'$and': [{'$and': [{'a': 1}]}]}]}]}]}", 67,
                  "CannotCreateIndex", "partialFilterExpression depth may not exceed 4");
    check_refused(c, "5", 67, "CannotCreateIndex",
                  "\"partialFilterExpression\" for an index must be a document");
    check_refused(c, "{'a': {'$bogus': 1}}", 2, "BadValue", "unknown operator: $bogus");
    CMD_ERR(c, DB,
            "{'createIndexes': 'bad', 'indexes': [{'key': {'k': 1}, 'name': 'k', 'sparse': true, "
            "'partialFilterExpression': {'a': 1}}]}",
            &r, 67, "CannotCreateIndex");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"),
                         "cannot mix \"partialFilterExpression\" and \"sparse\" options") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* what it does take still builds */
    CMD_OK(c, DB,
           "{'createIndexes': 'bad', 'indexes': [{'key': {'k': 1}, 'name': 'k', "
           "'partialFilterExpression': {'a': null, 'b': {'$eq': 1, '$all': [1]}, "
           "'$and': [{'c': {'$type': 'int'}}]}}]}",
           &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* A hinted sparse index returns only the documents that have one of its fields (null
 * counts as having it). */
START_TEST(test_sparse_entries)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "sp");
    ck_assert_int_eq(write_code(c, "{'insert': 'sp', 'documents': [{'_id': 1, 's': 1}, {'_id': "
                                   "2, 's': null}, {'_id': 3}, {'_id': 4, 't': 1}, {'_id': 5, "
                                   "'s': [1, 2]}, {'_id': 6, 'u': {'s': 1}}]}"),
                     0);
    CMD_OK(c, DB,
           "{'createIndexes': 'sp', 'indexes': [{'key': {'s': 1}, 'name': 's_1', 'sparse': "
           "true}, {'key': {'s': 1, 't': -1}, 'name': 'st', 'sparse': true}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(found(c, "{'find': 'sp', 'filter': {}, 'hint': 's_1'}"), 3);
    ck_assert_int_eq(found(c, "{'find': 'sp', 'filter': {}, 'hint': 'st'}"), 4);
    ck_assert_int_eq(found(c, "{'find': 'sp', 'filter': {'_id': {'$gt': 2}}, 'hint': 's_1'}"), 1);
    ck_assert_int_eq(write_code(c, "{'update': 'sp', 'updates': [{'q': {'_id': 1}, 'u': "
                                   "{'$unset': {'s': 1}}}]}"),
                     0);
    ck_assert_int_eq(found(c, "{'find': 'sp', 'filter': {}, 'hint': 's_1'}"), 2);
    mongoc_client_destroy(c);
}
END_TEST

/* scan_of -- the index the winning plan of an explained find scans ("" for a COLLSCAN). */
static void
scan_of(mongoc_client_t *c, const char *coll, const char *filter, char *out, size_t len)
{
    char cmd[512];
    bson_t r;
    const char *ix;

    snprintf(cmd, sizeof(cmd), "{'explain': {'find': '%s', 'filter': %s}}", coll, filter);
    CMD_OK(c, DB, cmd, &r);
    ix = fx_str(&r, "queryPlanner.winningPlan.inputStage.indexName");
    snprintf(out, len, "%s", ix != NULL ? ix : "");
    bson_destroy(&r);
}

/* The manual's partial and sparse index pages: the planner uses a partial index only when the
 * query implies its filter ({rating: {$gte: 8}} implies {rating: {$gt: 5}}, {$lt: 8} does
 * not), a sparse one only when a matching document must have the field (never for {score:
 * null}, never just for a sort); results are the same either way. */
START_TEST(test_partial_sparse_planner)
{
    static const struct {
        const char *coll, *filter, *index;
        int n;
    } rows[] = {
        {"rest", "{'cuisine': 'Italian', 'rating': {'$gte': 8}}", "cuisine_1_name_1", 1},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$gt': 5}}", "cuisine_1_name_1", 1},
        {"rest", "{'cuisine': 'Italian', 'rating': 6}", "cuisine_1_name_1", 0},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$in': [6, 9]}}", "cuisine_1_name_1", 1},
        {"rest", "{'$and': [{'cuisine': 'Italian'}, {'rating': {'$gt': 7}}]}", "cuisine_1_name_1",
         1},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$lt': 8}}", "", 1},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$in': [1, 9]}}", "", 1},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$gte': 5}}", "", 1},
        {"rest", "{'cuisine': 'Italian', 'rating': {'$gt': 'a'}}", "", 0},
        {"rest", "{'cuisine': 'Italian'}", "", 3},
        {"rest", "{'$or': [{'cuisine': 'Italian', 'rating': {'$gt': 6}}, {'x': 1}]}", "", 1},
        {"scores", "{'score': {'$lt': 90}}", "score_1", 1},
        {"scores", "{'score': 82}", "score_1", 1},
        {"scores", "{'score': null}", "", 1},
        {"scores", "{'score': {'$in': [82, null]}}", "", 2},
        {"scores", "{'score': {'$ne': 82}}", "", 2},
        {"scores", "{'userid': 'nina'}", "", 1},
        {"scores", "{'score': {'$exists': true}}", "score_1", 2},
        {"scores", "{'score': {'$exists': false}}", "", 1},
        {"sp2", "{'a': 1}", "a_1_b_1", 1},
        {"sp2", "{'b': 2}", "", 1},
    };
    mongoc_client_t *c = IT_CLIENT();
    char ix[64], cmd[512];
    bson_t r;

    fresh(c, "rest");
    fresh(c, "scores");
    fresh(c, "sp2");
    ck_assert_int_eq(write_code(c, "{'insert': 'rest', 'documents': [{'_id': 1, 'cuisine': "
                                   "'Italian', 'name': 'A', 'rating': 9}, {'_id': 2, 'cuisine': "
                                   "'Italian', 'name': 'B', 'rating': 3}, {'_id': 3, 'cuisine': "
                                   "'Italian', 'name': 'C'}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'insert': 'scores', 'documents': [{'userid': 'newbie'}, "
                                   "{'userid': 'abby', 'score': 82}, {'userid': 'nina', 'score': "
                                   "90}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'insert': 'sp2', 'documents': [{'_id': 1, 'a': 1}, {'_id': "
                                   "2, 'b': 2}]}"),
                     0);
    CMD_OK(c, DB,
           "{'createIndexes': 'rest', 'indexes': [{'key': {'cuisine': 1, 'name': 1}, 'name': "
           "'cuisine_1_name_1', 'partialFilterExpression': {'rating': {'$gt': 5}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'scores', 'indexes': [{'key': {'score': 1}, 'name': 'score_1', "
           "'sparse': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'sp2', 'indexes': [{'key': {'a': 1, 'b': 1}, 'name': 'a_1_b_1', "
           "'sparse': true}]}",
           &r);
    bson_destroy(&r);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        scan_of(c, rows[i].coll, rows[i].filter, ix, sizeof(ix));
        ck_assert_msg(strcmp(ix, rows[i].index) == 0, "%s: scans '%s', want '%s'", rows[i].filter,
                      ix, rows[i].index);
        snprintf(cmd, sizeof(cmd), "{'find': '%s', 'filter': %s}", rows[i].coll, rows[i].filter);
        ck_assert_msg(found(c, cmd) == rows[i].n, "%s: %d documents, want %d", rows[i].filter,
                      found(c, cmd), rows[i].n);
    }
    /* the manual's sort: the sparse index is not used for it, so "newbie" comes back too */
    ck_assert_int_eq(found(c, "{'find': 'scores', 'filter': {}, 'sort': {'score': -1}}"), 3);
    ck_assert_int_eq(
        found(c, "{'find': 'scores', 'filter': {}, 'sort': {'score': -1}, 'hint': 'score_1'}"), 2);
    mongoc_client_destroy(c);
}
END_TEST

/* Hashed indexes: arrays refused (16766) on insert, update and build; one hashed field, never
 * unique; compound hashed and sparse hashed build; listIndexes shows the spec. */
START_TEST(test_hashed)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;

    fresh(c, "h");
    CMD_OK(c, DB,
           "{'createIndexes': 'h', 'indexes': [{'key': {'h': 'hashed'}, 'name': 'h_hashed'}, "
           "{'key': {'a': 1, 'b.c': 'hashed'}, 'name': 'ab'}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'h', 'documents': [{'_id': 1, 'h': 'x', 'a': [1, "
                                   "2]}, {'_id': 2, 'h': {'x': [1, 2]}}, {'_id': 3}]}"),
                     16766);
    CMD_OK(c, DB, "{'count': 'h'}", &r);
    ASSERT_INT(&r, "n", 0); /* the first document already had an array */
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'h', 'documents': [{'_id': 2, 'h': {'x': [1, 2]}}, "
                                   "{'_id': 3}, {'_id': 4, 'h': 1.5, 'b': {'c': 'y'}}]}"),
                     0);
    CMD_OK(c, DB, "{'insert': 'h', 'documents': [{'_id': 5, 'h': [1]}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 16766);
    ASSERT_STR(&r, "writeErrors.0.errmsg",
               "Error: hashed indexes do not currently support array values. Found array at "
               "path: h");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'h', 'documents': [{'_id': 5, 'b': [{'c': 1}]}]}", &r);
    ASSERT_STR(&r, "writeErrors.0.errmsg",
               "Error: hashed indexes do not currently support array values. Found array at "
               "path: b");
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'update': 'h', 'updates': [{'q': {'_id': 4}, 'u': {'$set': "
                                   "{'h': [2]}}}]}"),
                     16766);
    /* a build over a document with an array fails and leaves nothing */
    ck_assert_int_eq(write_code(c, "{'insert': 'h', 'documents': [{'_id': 6, 'z': [1]}]}"), 0);
    CMD_ERR(c, DB, "{'createIndexes': 'h', 'indexes': [{'key': {'z': 'hashed'}, 'name': 'z'}]}", &r,
            16766, "Location16766");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'h', 'indexes': [{'key': {'y': 'hashed'}, 'name': 'y', 'sparse': "
           "true}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'h', 'indexes': [{'key': {'p': 'hashed', 'q': 'hashed'}, 'name': "
            "'pq'}]}",
            &r, 31303, "Location31303");
    ASSERT_STR(&r, "errmsg",
               "A maximum of one index field is allowed to be hashed but found 2 for 'key' { p: "
               "\"hashed\", q: \"hashed\" }");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'h', 'indexes': [{'key': {'p': 'hashed'}, 'name': 'p', 'unique': "
            "true}]}",
            &r, 16764, "Location16764");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'createIndexes': 'h', 'indexes': [{'key': {'p': 'hash'}, 'name': 'p'}]}", &r,
            67, "CannotCreateIndex");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "Unknown index plugin 'hash'") != NULL, "%s",
                  fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'h'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.2", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'a': 1, 'b.c': 'hashed'}, 'name': 'ab'}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* An index specification with a field mongod does not know is 197; key patterns are checked
 * as mongod checks them. */
START_TEST(test_spec_checks)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_ERR(c, DB,
            "{'createIndexes': 'sc', 'indexes': [{'key': {'u': 1}, 'bogus': true, 'name': "
            "'u_1'}]}",
            &r, 197, "InvalidIndexSpecificationOption");
    ASSERT_STR(&r, "errmsg",
               "Error in specification { key: { u: 1 }, bogus: true, name: \"u_1\" } :: caused "
               "by :: The field 'bogus' is not valid for an index specification. Specification: "
               "{ key: { u: 1 }, bogus: true, name: \"u_1\" }");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'createIndexes': 'sc', 'indexes': [{'key': {'z': 0}, 'name': 'z_0'}]}", &r, 67,
            "CannotCreateIndex");
    ASSERT_STR(&r, "errmsg",
               "Error in specification { key: { z: 0 }, name: \"z_0\" } :: caused by :: Values "
               "in the index key pattern cannot be 0.");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'createIndexes': 'sc', 'indexes': [{'key': {'$x': 1}, 'name': 'dx'}]}", &r, 67,
            "CannotCreateIndex");
    ASSERT_STR(&r, "errmsg",
               "Error in specification { key: { $x: 1 }, name: \"dx\" } :: caused by :: Index "
               "key contains an illegal field name: field name starts with '$'.");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'sc', 'indexes': [{'key': {'a': 1}, 'name': 'a', 'unique': 'x'}]}",
            &r, 14, "TypeMismatch");
    bson_destroy(&r);
    /* option pairs mongod's validateIndexSpec refuses after the fields themselves */
    CMD_ERR(c, DB,
            "{'createIndexes': 'sc', 'indexes': [{'key': {'w': 1}, 'name': 'w', 'weights': "
            "{'w': 2}}]}",
            &r, 67, "CannotCreateIndex");
    ASSERT_STR(&r, "errmsg",
               "Error in specification { key: { w: 1 }, name: \"w\", weights: { w: 2 } } :: "
               "caused by :: Invalid index specification { key: { w: 1 }, name: \"w\", weights: "
               "{ w: 2 } }; the field 'weights' can only be specified with text indexes");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'sc', 'indexes': [{'key': {'p': 1}, 'name': 'p', 'unique': true, "
            "'prepareUnique': true}]}",
            &r, 67, "CannotCreateIndex");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'sc', 'indexes': [{'key': {'t': 'text', 'w': 1}, 'name': 't', "
           "'weights': {'t': 2}}, {'key': {'p': 1}, 'name': 'p', 'unique': false, "
           "'prepareUnique': true}]}",
           &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* hidden at creation and through collMod; the _id index cannot be hidden; a hidden index
 * cannot be hinted. */
START_TEST(test_hidden)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "hd");
    ck_assert_int_eq(write_code(c, "{'insert': 'hd', 'documents': [{'_id': 1, 'a': 1}]}"), 0);
    CMD_OK(c, DB,
           "{'createIndexes': 'hd', 'indexes': [{'key': {'a': 1}, 'name': 'a_1', 'hidden': "
           "true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'hd'}", &r);
    ck_assert(fx_bool(&r, "cursor.firstBatch.1.hidden"));
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'hd', 'filter': {'a': 1}, 'hint': 'a_1'}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'hd', 'index': {'name': 'a_1', 'hidden': false}}", &r);
    ck_assert(fx_has(&r, "hidden_old") && fx_bool(&r, "hidden_old"));
    ck_assert(fx_has(&r, "hidden_new") && !fx_bool(&r, "hidden_new"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'hd'}", &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.1.hidden"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    ck_assert_int_eq(found(c, "{'find': 'hd', 'filter': {'a': 1}, 'hint': 'a_1'}"), 1);
    CMD_OK(c, DB, "{'collMod': 'hd', 'index': {'keyPattern': {'a': 1}, 'hidden': true}}", &r);
    ck_assert(fx_bool(&r, "hidden_new"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'hd', 'index': {'keyPattern': {'a': 1}, 'hidden': true}}", &r);
    ck_assert_msg(!fx_has(&r, "hidden_new"), "no change, no report: %s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'hd', 'index': {'name': '_id_', 'hidden': true}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'hd', 'index': {'name': 'nope', 'hidden': true}}", &r, 27,
            "IndexNotFound");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'hd', 'index': {'name': 'a_1'}}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'hd', 'index': {'name': 'a_1', 'hidden': 1}}", &r, 14,
            "TypeMismatch");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'hd', 'indexes': [{'key': {'b': 1}, 'name': 'b', 'hidden': 1}]}", &r,
            14, "TypeMismatch");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* prepareUnique refuses new duplicates; unique: true converts the index once no duplicates
 * are left, reporting them (359) until then. */
START_TEST(test_prepare_unique)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fresh(c, "pu");
    ck_assert_int_eq(write_code(c, "{'insert': 'pu', 'documents': [{'_id': 1, 'x': 1}, {'_id': 2, "
                                   "'x': 1}, {'_id': 3, 'x': 2}]}"),
                     0);
    CMD_OK(c, DB, "{'createIndexes': 'pu', 'indexes': [{'key': {'x': 1}, 'name': 'x_1'}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'pu', 'index': {'name': 'x_1', 'unique': true}}", &r, 72,
            "InvalidOptions");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'pu', 'index': {'keyPattern': {'x': 1}, 'prepareUnique': true}}",
           &r);
    ck_assert(!fx_bool(&r, "prepareUnique_old") && fx_bool(&r, "prepareUnique_new"));
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'pu', 'documents': [{'_id': 4, 'x': 2}]}"), 11000);
    /* an update that keeps the key of an old duplicate is no new duplicate */
    ck_assert_int_eq(
        write_code(c, "{'update': 'pu', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'y': 1}}}]}"),
        0);
    ck_assert_int_eq(write_code(c, "{'insert': 'pu', 'documents': [{'_id': 4, 'x': 3}]}"), 0);
    ck_assert_int_eq(
        write_code(c, "{'update': 'pu', 'updates': [{'q': {'_id': 4}, 'u': {'$set': {'x': 2}}}]}"),
        11000);
    CMD_ERR(c, DB, "{'collMod': 'pu', 'index': {'name': 'x_1', 'unique': true}}", &r, 359,
            "CannotConvertIndexToUnique");
    ck_assert_msg(fx_array_len(&r, "violations") == 1 && fx_int(&r, "violations.0.ids.0") == 1 &&
                      fx_int(&r, "violations.0.ids.1") == 2 &&
                      fx_array_len(&r, "violations.0.ids") == 2,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'pu', 'index': {'name': 'x_1', 'unique': true}, 'dryRun': true}",
            &r, 359, "CannotConvertIndexToUnique");
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'delete': 'pu', 'deletes': [{'q': {'_id': 2}, 'limit': 1}]}"),
                     0);
    CMD_OK(c, DB, "{'collMod': 'pu', 'index': {'name': 'x_1', 'unique': true}, 'dryRun': true}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'pu'}", &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.1.unique"), "dryRun changes nothing: %s",
                  fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'pu', 'index': {'name': 'x_1', 'unique': true}}", &r);
    ck_assert(fx_bool(&r, "unique_new"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'pu'}", &r);
    ck_assert_msg(fx_bool(&r, "cursor.firstBatch.1.unique") &&
                      !fx_has(&r, "cursor.firstBatch.1.prepareUnique"),
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'pu', 'documents': [{'_id': 9, 'x': 1}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    ASSERT_STR(&r, "writeErrors.0.errmsg",
               "E11000 duplicate key error collection: ixkinds.pu index: x_1 dup key: { x: 1 }");
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'pu', 'documents': [{'_id': 9, 'x': 9}]}"), 0);
    ck_assert_int_eq(found(c, "{'find': 'pu', 'filter': {'x': {'$gte': 1}}, 'hint': 'x_1'}"), 4);
    mongoc_client_destroy(c);
}
END_TEST

#define S2_FULL                                                                                    \
    "{ locale: \"en\", caseLevel: false, caseFirst: \"off\", strength: 2, numericOrdering: "       \
    "false, alternate: \"non-ignorable\", maxVariable: \"punct\", normalization: false, "          \
    "backwards: false, version: \"57.1\" }"
#define S2_JSON                                                                                    \
    "{'locale': 'en', 'caseLevel': false, 'caseFirst': 'off', 'strength': 2, "                     \
    "'numericOrdering': false, 'alternate': 'non-ignorable', 'maxVariable': 'punct', "             \
    "'normalization': false, 'backwards': false, 'version': '57.1'}"

/* A unique index with a case-insensitive collation refuses "ALICE" beside "Alice" (the
 * issue's complaint), on insert, update and build; accents still differ at strength 2;
 * listIndexes shows the collation in full; the partial filter is read under it too. */
START_TEST(test_collation_unique)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;
    const char *msg;

    fresh(c, "cu");
    CMD_OK(c, DB,
           "{'createIndexes': 'cu', 'indexes': [{'key': {'s': 1}, 'name': 's_1', 'unique': true, "
           "'collation': {'locale': 'en', 'strength': 2}}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'cu', 'documents': [{'_id': 1, 's': 'Alice'}]}"), 0);
    CMD_OK(c, DB, "{'insert': 'cu', 'documents': [{'_id': 2, 's': 'ALICE'}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 11000);
    msg = fx_str(&r, "writeErrors.0.errmsg");
    ck_assert_msg(strncmp(msg,
                          "E11000 duplicate key error collection: ixkinds.cu index: s_1 "
                          "collation: " S2_FULL " dup key: { s: \"CollationKey(0x",
                          strlen("E11000 duplicate key error collection: ixkinds.cu index: s_1 "
                                 "collation: " S2_FULL " dup key: { s: \"CollationKey(0x")) == 0,
                  "%s", msg);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'cu', 'documents': [{'_id': 3, 's': 'Alicé'}]}"), 0);
    ck_assert_int_eq(write_code(c, "{'update': 'cu', 'updates': [{'q': {'_id': 3}, 'u': {'$set': "
                                   "{'s': 'alice'}}}]}"),
                     11000);
    ck_assert_int_eq(write_code(c, "{'update': 'cu', 'updates': [{'q': {'_id': 1}, 'u': {'$set': "
                                   "{'s': 'ALICE'}}}]}"),
                     0); /* its own key under another case */
    CMD_OK(c, DB, "{'listIndexes': 'cu'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.1.collation", &spec));
    ck_assert_msg(fx_eq_json(&spec, S2_JSON), "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    /* a build over case-duplicates fails */
    fresh(c, "cb");
    ck_assert_int_eq(write_code(c, "{'insert': 'cb', 'documents': [{'s': 'x'}, {'s': 'X'}]}"), 0);
    CMD_ERR(c, DB,
            "{'createIndexes': 'cb', 'indexes': [{'key': {'s': 1}, 'name': 's_1', 'unique': "
            "true, 'collation': {'locale': 'en', 'strength': 2}}]}",
            &r, 11000, "DuplicateKey");
    bson_destroy(&r);
    /* without a collation the same build succeeds */
    CMD_OK(c, DB,
           "{'createIndexes': 'cb', 'indexes': [{'key': {'s': 1}, 'name': 's_1', 'unique': "
           "true, 'collation': {'locale': 'simple'}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'cb'}", &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.1.collation"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    /* the partial filter compares under the index's collation */
    CMD_OK(c, DB,
           "{'createIndexes': 'cu', 'indexes': [{'key': {'u': 1}, 'name': 'u_1', 'unique': true, "
           "'collation': {'locale': 'en', 'strength': 2}, 'partialFilterExpression': {'k': "
           "'x'}}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'cu', 'documents': [{'_id': 10, 'u': 1, 'k': 'X', "
                                   "'s': 'a'}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'insert': 'cu', 'documents': [{'_id': 11, 'u': 1, 'k': 'x', "
                                   "'s': 'b'}]}"),
                     11000);
    /* errors */
    CMD_ERR(c, DB,
            "{'createIndexes': 'cu', 'indexes': [{'key': {'t': 1}, 'name': 't', 'collation': "
            "{'locale': 'zz_nope'}}]}",
            &r, 2, "BadValue");
    ck_assert_msg(
        strstr(fx_str(&r, "errmsg"),
               "failed to add collation information to index spec for index creation: "
               "{ key: { t: 1 }, name: \"t\", collation: { locale: \"zz_nope\" }, v: 2 "
               "} :: caused by :: Field 'locale' is invalid in: { locale: \"zz_nope\" }") != NULL,
        "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'cu', 'indexes': [{'key': {'t': 1}, 'name': 't', 'collation': {}}]}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ids_of -- the _ids a command's first batch returns, as "1,2" (sorted by the command). */
static void
ids_of(mongoc_client_t *c, const char *json, char *out, size_t len)
{
    bson_t r, batch;
    bson_iter_t it, d;
    size_t n = 0;

    out[0] = '\0';
    CMD_OK(c, DB, json, &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch", &batch));
    bson_iter_init(&it, &batch);
    while (bson_iter_next(&it) && n + 12 < len) {
        bson_iter_recurse(&it, &d);
        if (bson_iter_find(&d, "_id"))
            n += (size_t)snprintf(out + n, len - n, "%s%d", n > 0 ? "," : "",
                                  (int)bson_iter_as_int64(&d));
    }
    bson_destroy(&batch);
    bson_destroy(&r);
}

/* A collection's default collation is stored in full, given to its _id index and to indexes
 * that name none, and used by reads and writes that name none. */
START_TEST(test_collation_default)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;
    char ids[64];

    fresh(c, "cd");
    CMD_OK(c, DB, "{'create': 'cd', 'collation': {'locale': 'en', 'strength': 2}}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'cd'}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0.options.collation", &spec));
    ck_assert_msg(fx_eq_json(&spec, S2_JSON), "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0.idIndex.collation", &spec));
    ck_assert_msg(fx_eq_json(&spec, S2_JSON), "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'cd', 'documents': [{'_id': 1, 's': 'a'}, {'_id': "
                                   "2, 's': 'A'}, {'_id': 3, 's': 'b'}, {'_id': 4, 's': 'á'}]}"),
                     0);
    CMD_OK(c, DB,
           "{'createIndexes': 'cd', 'indexes': [{'key': {'s': 1}, 'name': 'inherits'}, {'key': "
           "{'s': 1}, 'name': 'plain', 'collation': {'locale': 'simple'}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'cd'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0.collation", &spec)); /* _id_ */
    bson_destroy(&spec);
    ck_assert(fx_sub(&r, "cursor.firstBatch.1.collation", &spec));
    ck_assert_msg(fx_eq_json(&spec, S2_JSON), "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.2.collation"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    ids_of(c, "{'find': 'cd', 'filter': {'s': 'A'}, 'sort': {'_id': 1}}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2");
    ids_of(c,
           "{'find': 'cd', 'filter': {'s': 'A'}, 'sort': {'_id': 1}, 'collation': "
           "{'locale': 'simple'}}",
           ids, sizeof(ids));
    ck_assert_str_eq(ids, "2");
    ids_of(c,
           "{'find': 'cd', 'filter': {'s': 'A'}, 'sort': {'_id': 1}, 'collation': "
           "{'locale': 'en', 'strength': 1}}",
           ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2,4");
    /* explain plans with the collection's default too, as the find does (it planned simple) */
    scan_of(c, "cd", "{'s': 'A'}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "inherits");
    CMD_OK(c, DB,
           "{'explain': {'count': 'cd', 'query': {'s': 'A'}}, 'verbosity': 'executionStats'}", &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.inputStage.indexName", "inherits");
    ck_assert_int_eq(fx_int(&r, "executionStats.executionStages.nCounted"), 2);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'explain': {'find': 'cd', 'filter': {'s': 'A'}, 'collation': {'locale': 'simple'}}}",
           &r);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.indexName", "plain");
    bson_destroy(&r);
    ids_of(c,
           "{'aggregate': 'cd', 'pipeline': [{'$match': {'s': 'a'}}, {'$sort': {'_id': 1}}], "
           "'cursor': {}}",
           ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2");
    CMD_OK(c, DB, "{'count': 'cd', 'query': {'s': 'A'}}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'distinct': 'cd', 'key': 's', 'query': {'s': {'$in': ['a', 'B']}}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "values"), 2); /* 'a' and 'A' are one value */
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'update': 'cd', 'updates': [{'q': {'s': 'A'}, 'u': {'$set': {'x': 1}}, 'multi': "
           "true}]}",
           &r);
    ASSERT_INT(&r, "nModified", 2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'findAndModify': 'cd', 'query': {'s': 'B'}, 'update': {'$set': {'y': 1}}}", &r);
    ASSERT_INT(&r, "value._id", 3);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'cd', 'deletes': [{'q': {'s': 'A'}, 'limit': 0}]}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    /* the _id index compares by the collection's collation too */
    ck_assert_int_eq(write_code(c, "{'insert': 'cd', 'documents': [{'_id': 'k'}]}"), 0);
    ck_assert_int_eq(write_code(c, "{'insert': 'cd', 'documents': [{'_id': 'K'}]}"), 11000);
    CMD_OK(c, DB, "{'find': 'cd', 'filter': {'_id': 'K'}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "k"); /* found under the default collation */
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'cd', 'filter': {'_id': 'k'}, 'collation': {'locale': 'simple'}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "k"); /* the _id index lookup, by bytes */
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'cd', 'filter': {'_id': 'K'}, 'collation': {'locale': 'simple'}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'cx', 'collation': {}}", &r, 40414, "Location40414");
    ASSERT_STR(&r, "errmsg",
               "BSON field 'create.collation.locale' is missing but a required field");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* A clustered collection: created with clusteredIndex (mongod's checks), listed as mongod
 * lists it, its _id index named as given and clustered, its documents read back in _id
 * order whatever the insertion order, _id unique and found by _id. */
START_TEST(test_clustered)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;
    char ids[64];

    fresh(c, "cl");
    CMD_OK(c, DB,
           "{'create': 'cl', 'clusteredIndex': {'key': {'_id': 1}, 'unique': true, 'name': 'test "
           "index'}}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'cl'}}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0.options.clusteredIndex", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'_id': 1}, 'name': 'test index', 'unique': "
                                    "true}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.0.idIndex"), "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'cl'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'_id': 1}, 'name': 'test index', 'unique': "
                                    "true, 'clustered': true}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'cl', 'documents': [{'_id': 5}, {'_id': 1}, {'_id': "
                                   "3}, {'_id': 4}, {'_id': 2}]}"),
                     0);
    ids_of(c, "{'find': 'cl', 'filter': {}, 'batchSize': 2}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2");
    ids_of(c, "{'find': 'cl', 'filter': {}}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2,3,4,5");
    ids_of(c, "{'find': 'cl', 'filter': {'_id': {'$gte': 3}}}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "3,4,5");
    ids_of(c, "{'aggregate': 'cl', 'pipeline': [], 'cursor': {}}", ids, sizeof(ids));
    ck_assert_str_eq(ids, "1,2,3,4,5");
    ck_assert_int_eq(write_code(c, "{'insert': 'cl', 'documents': [{'_id': 3}]}"), 11000);
    ck_assert_int_eq(found(c, "{'find': 'cl', 'filter': {'_id': 4}}"), 1);
    /* mongod's checks */
    CMD_ERR(c, DB, "{'create': 'cl2', 'clusteredIndex': {'key': {'_id': 1}, 'unique': false}}", &r,
            5979700, "Location5979700");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'cl2', 'clusteredIndex': {'key': {'a': 1}, 'unique': true}}", &r,
            197, "InvalidIndexSpecificationOption");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'cl2', 'clusteredIndex': {'key': {'_id': 1}}}", &r, 40414,
            "Location40414");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'create': 'cl2', 'clusteredIndex': {'key': {'_id': 1}, 'unique': true, 'x': 1}}", &r,
            40415, "Location40415");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'create': 'cl2', 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'cl2'}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.name", "_id_");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* Wildcard indexes build over existing documents and are kept by writes (their entries are
 * checked in check_wildcard); their specs are checked as mongod checks them. */
START_TEST(test_wildcard)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, spec;

    fresh(c, "wc");
    ck_assert_int_eq(write_code(c, "{'insert': 'wc', 'documents': [{'_id': 1, 'a': {'b': [1, "
                                   "{'c': 'x'}]}, 'd': 2}]}"),
                     0);
    CMD_OK(c, DB,
           "{'createIndexes': 'wc', 'indexes': [{'key': {'$**': 1}, 'name': 'all', "
           "'wildcardProjection': {'a': 1}}, {'key': {'a.b.$**': -1}, 'name': 'ab', "
           "'partialFilterExpression': {'d': {'$gt': 1}}}]}",
           &r);
    ASSERT_INT(&r, "numIndexesAfter", 3);
    bson_destroy(&r);
    ck_assert_int_eq(write_code(c, "{'insert': 'wc', 'documents': [{'_id': 2, 'a': [[1], {}], "
                                   "'d': 3}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'update': 'wc', 'updates': [{'q': {'_id': 1}, 'u': {'$set': "
                                   "{'a.b': 9}}}]}"),
                     0);
    ck_assert_int_eq(write_code(c, "{'delete': 'wc', 'deletes': [{'q': {}, 'limit': 0}]}"), 0);
    CMD_OK(c, DB, "{'listIndexes': 'wc'}", &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.1", &spec));
    ck_assert_msg(fx_eq_json(&spec, "{'v': 2, 'key': {'$**': 1}, 'name': 'all', "
                                    "'wildcardProjection': {'a': 1}}"),
                  "%s", fx_to_json(&spec));
    bson_destroy(&spec);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'wc', 'indexes': [{'key': {'$**': 1}, 'name': 'u', 'unique': "
            "true}]}",
            &r, 67, "CannotCreateIndex");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"),
                         "Index type 'wildcard' does not support the 'unique' option") != NULL,
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'wc', 'indexes': [{'key': {'a.$**': 1}, 'name': 'p', "
            "'wildcardProjection': {'a': 1}}]}",
            &r, 9, "FailedToParse");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'wc', 'indexes': [{'key': {'a': 1}, 'name': 'p', "
            "'wildcardProjection': {'a': 1}}]}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'wc', 'indexes': [{'key': {'$**': 1}, 'name': 'p', "
            "'wildcardProjection': {'a': 1, 'b': 0}}]}",
            &r, 31253, "Location31253");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'createIndexes': 'wc', 'indexes': [{'key': {'$**': 1}, 'name': 'p', "
            "'wildcardProjection': {}}]}",
            &r, 9, "FailedToParse");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("index_kinds");
    TCase *tc = it_tcase(s, "partial", true);

    tcase_add_test(tc, test_partial_unique_only_inside);
    tcase_add_test(tc, test_partial_operators);
    tcase_add_test(tc, test_partial_build);
    tcase_add_test(tc, test_partial_refused);
    tcase_add_test(tc, test_sparse_entries);
    tcase_add_test(tc, test_partial_sparse_planner);
    tcase_add_test(tc, test_hashed);
    tcase_add_test(tc, test_spec_checks);
    tcase_add_test(tc, test_hidden);
    tcase_add_test(tc, test_prepare_unique);
    tcase_add_test(tc, test_collation_unique);
    tcase_add_test(tc, test_collation_default);
    tcase_add_test(tc, test_clustered);
    tcase_add_test(tc, test_wildcard);
    return it_main(s);
}
