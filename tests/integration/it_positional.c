/*
 * tests/integration/it_positional.c -- the positional $ after every kind of array match, DBRef
 * fields in filters, and hinted finds in the hinted index's order.
 *
 * Positional $ (mongod's elemMatchKey): an update, a findAndModify and a find projection see
 * the array element the filter matched -- through $elemMatch (document and value forms),
 * $in, $all, dotted equality, comparisons, regexes, nested arrays of documents and $and; an
 * $or on one path counts as the $in mongod rewrites it to; an $or over several paths and a
 * negation ($ne) record no element, so the update fails with 2 BadValue and the projection
 * with 51246.  Each case starts from one seeded document and compares the whole result.
 * DBRefs: $ref, $id and $db are field names inside $elemMatch and in an embedded DBRef
 * equality; an incomplete DBRef at field level stays an unknown operator, as in mongod.
 * Hints: a find hinted by key pattern or name returns the index's order (ascending,
 * descending, multikey once per document), {$natural: -1} the reverse insertion order, with
 * skip, limit and small batches whose getMores run on a second connection (another worker
 * when the server puts it there); an update, delete or findAndModify of one document takes the
 * first in the hinted order, and a hint naming no index is 2 BadValue.  One shared server.
 */
#include "harness.h"

#define DB "positional"

/* ---- positional updates ----------------------------------------------------------------- */

typedef struct ucase {
    const char *doc;   /* the seeded document, _id 1 */
    const char *q, *u; /* the update statement */
    const char *after; /* the document afterwards, or NULL when the statement fails */
    int code;          /* the write error's code when it fails */
} ucase_t;

static const ucase_t ucases[] = {
    /* the case: $elemMatch on documents */
    {"{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 1, 'v': 2}, {'k': 1, 'v': 2}]}",
     "{'arr': {'$elemMatch': {'k': 1, 'v': 2}}}", "{'$set': {'arr.$.v': 3}}",
     "{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 1, 'v': 3}, {'k': 1, 'v': 2}]}", 0},
    /* $elemMatch on values, also with a negation inside it */
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'a': {'$elemMatch': {'$gt': 5, '$lt': 9}}}",
     "{'$set': {'a.$': 0}}", "{'_id': 1, 'a': [1, 0, 9]}", 0},
    {"{'_id': 1, 'a': [1, 1, 4]}", "{'a': {'$elemMatch': {'$ne': 1}}}", "{'$inc': {'a.$': 1}}",
     "{'_id': 1, 'a': [1, 1, 5]}", 0},
    /* $in, $all, comparison, regex */
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'a': {'$in': [9, 4]}}", "{'$inc': {'a.$': 1}}",
     "{'_id': 1, 'a': [1, 7, 10]}", 0},
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'a': {'$all': [7]}}", "{'$set': {'a.$': 'x'}}",
     "{'_id': 1, 'a': [1, 'x', 9]}", 0},
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'a': {'$gte': 8}}", "{'$set': {'a.$': 'y'}}",
     "{'_id': 1, 'a': [1, 7, 'y']}", 0},
    {"{'_id': 1, 's': ['ab', 'xy', 'xz']}",
     "{'s': {'$regularExpression': {'pattern': '^x', 'options': ''}}}", "{'$set': {'s.$': 'X'}}",
     "{'_id': 1, 's': ['ab', 'X', 'xz']}", 0},
    /* dotted equality, nested arrays (the outer array's element), $and */
    {"{'_id': 1, 'arr': [{'k': 1}, {'k': 2}]}", "{'arr.k': 2}", "{'$set': {'arr.$.v': 'hit'}}",
     "{'_id': 1, 'arr': [{'k': 1}, {'k': 2, 'v': 'hit'}]}", 0},
    {"{'_id': 1, 'g': [{'n': [1]}, {'n': [2, 5]}]}", "{'g.n': 5}", "{'$set': {'g.$.hit': true}}",
     "{'_id': 1, 'g': [{'n': [1]}, {'n': [2, 5], 'hit': true}]}", 0},
    {"{'_id': 1, 'g': [{'n': [1]}, {'n': [2]}, {'n': [3, 8]}]}",
     "{'g.n': {'$elemMatch': {'$gt': 7}}}", "{'$unset': {'g.$': 1}}",
     "{'_id': 1, 'g': [{'n': [1]}, {'n': [2]}, null]}", 0},
    {"{'_id': 1, 'arr': [{'k': 1}, {'k': 2}]}", "{'$and': [{'_id': 1}, {'arr.k': 2}]}",
     "{'$set': {'arr.$.k': 20}}", "{'_id': 1, 'arr': [{'k': 1}, {'k': 20}]}", 0},
    /* $or on one path is mongod's $in; over two paths, or a negation: no element */
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'$or': [{'a': 9}, {'a': 7}]}", "{'$set': {'a.$': 'z'}}",
     "{'_id': 1, 'a': [1, 'z', 9]}", 0},
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'$or': [{'a': 9}, {'b': 1}]}", "{'$set': {'a.$': 'z'}}", NULL,
     2},
    {"{'_id': 1, 'a': [1, 7, 9]}", "{'a': {'$ne': 3}}", "{'$set': {'a.$': 'z'}}", NULL, 2},
    /* DBRefs inside $elemMatch */
    {"{'_id': 1, 'refs': [{'$ref': 'x', '$id': 2}, {'$ref': 'y', '$id': 2}]}",
     "{'refs': {'$elemMatch': {'$ref': 'y', '$id': 2}}}", "{'$set': {'refs.$.seen': true}}",
     "{'_id': 1, 'refs': [{'$ref': 'x', '$id': 2}, {'$ref': 'y', '$id': 2, 'seen': true}]}", 0},
};

/* seed -- collection `coll` holds exactly the document `json`. */
static void
seed(mongoc_client_t *c, const char *coll, const char *json)
{
    char cmd[1024];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'delete': '%s', 'deletes': [{'q': {}, 'limit': 0}]}", coll);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
    snprintf(cmd, sizeof(cmd), "{'insert': '%s', 'documents': [%s]}", coll, json);
    CMD_OK(c, DB, cmd, &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
}

/* assert_doc -- the only document of `coll` is exactly `json`. */
static void
assert_doc(mongoc_client_t *c, const char *coll, const char *json)
{
    char cmd[256];
    bson_t r, first;

    snprintf(cmd, sizeof(cmd), "{'find': '%s'}", coll);
    CMD_OK(c, DB, cmd, &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &first));
    ck_assert_msg(fx_eq_json(&first, json), "have %s, want %s", fx_to_json(&first), json);
    bson_destroy(&first);
    bson_destroy(&r);
}

START_TEST(test_update)
{
    const ucase_t *t = &ucases[_i];
    mongoc_client_t *c = IT_CLIENT();
    char cmd[1024];
    bson_t r;

    seed(c, "u", t->doc);
    snprintf(cmd, sizeof(cmd), "{'update': 'u', 'updates': [{'q': %s, 'u': %s}]}", t->q, t->u);
    CMD_OK(c, DB, cmd, &r);
    if (t->after != NULL) {
        ck_assert_msg(!fx_has(&r, "writeErrors"), "%s: %s", cmd, fx_to_json(&r));
        ASSERT_INT(&r, "nModified", 1);
        bson_destroy(&r);
        assert_doc(c, "u", t->after);
    } else {
        ASSERT_INT(&r, "writeErrors.0.code", t->code);
        ASSERT_STR(&r, "writeErrors.0.errmsg",
                   "The positional operator did not find the match needed from the query.");
        bson_destroy(&r);
        assert_doc(c, "u", t->doc);
    }
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_update_many)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB,
           "{'insert': 'um', 'documents': [{'_id': 1, 'arr': [{'k': 5}, {'k': 1}]}, "
           "{'_id': 2, 'arr': [{'k': 1}, {'k': 9}, {'k': 1}]}, {'_id': 3, 'arr': [{'k': 2}]}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'update': 'um', 'updates': [{'q': {'arr': {'$elemMatch': {'k': 1}}}, "
           "'u': {'$set': {'arr.$.k': 0}}, 'multi': true}]}",
           &r);
    ASSERT_INT(&r, "n", 2);
    ASSERT_INT(&r, "nModified", 2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'um', 'sort': {'_id': 1}}", &r);
    bson_t b;
    ck_assert(fx_sub(&r, "cursor.firstBatch", &b));
    ck_assert_msg(fx_eq_json(&b, "{'0': {'_id': 1, 'arr': [{'k': 5}, {'k': 0}]}, "
                                 "'1': {'_id': 2, 'arr': [{'k': 0}, {'k': 9}, {'k': 1}]}, "
                                 "'2': {'_id': 3, 'arr': [{'k': 2}]}}"),
                  "%s", fx_to_json(&b));
    bson_destroy(&b);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_find_and_modify)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, v;

    seed(c, "fam", "{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 2, 'v': 2}]}");
    CMD_OK(c, DB,
           "{'findAndModify': 'fam', 'query': {'arr': {'$elemMatch': {'k': 2, 'v': {'$gt': 1}}}}, "
           "'update': {'$inc': {'arr.$.v': 10}}, 'new': true}",
           &r);
    ck_assert(fx_sub(&r, "value", &v));
    ck_assert_msg(fx_eq_json(&v, "{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 2, 'v': 12}]}"), "%s",
                  fx_to_json(&v));
    bson_destroy(&v);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'findAndModify': 'fam', 'query': {'$or': [{'arr.k': 2}, {'x': 1}]}, "
            "'update': {'$set': {'arr.$.v': 0}}}",
            &r, 2, "BadValue");
    ASSERT_STR(&r, "errmsg",
               "The positional operator did not find the match needed from the query.");
    bson_destroy(&r);
    assert_doc(c, "fam", "{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 2, 'v': 12}]}");
    mongoc_client_destroy(c);
}
END_TEST

/* ---- positional projections -------------------------------------------------------------- */

typedef struct pcase {
    const char *filter;
    const char *proj;
    const char *want; /* the projected document, or NULL for error 51246 */
} pcase_t;

#define PDOC                                                                                       \
    "{'_id': 1, 'arr': [{'k': 1, 'v': 1}, {'k': 2, 'v': 2}, {'k': 2, 'v': 3}], 'n': [4, 8, 6]}"

static const pcase_t pcases[] = {
    {"{'arr': {'$elemMatch': {'k': 2, 'v': 3}}}", "{'arr.$': 1}",
     "{'_id': 1, 'arr': [{'k': 2, 'v': 3}]}"},
    {"{'n': {'$elemMatch': {'$gt': 5}}}", "{'n.$': 1, '_id': 0}", "{'n': [8]}"},
    {"{'n': {'$in': [6, 4]}}", "{'n.$': 1}", "{'_id': 1, 'n': [4]}"},
    {"{'arr.k': 2}", "{'arr.$': 1}", "{'_id': 1, 'arr': [{'k': 2, 'v': 2}]}"},
    {"{'arr.k': 2}", "{'arr.v.$': 1}", "{'_id': 1, 'arr': [{'v': 2}]}"},
    {"{'n': {'$gt': 5}}", "{'n.$': 1}", "{'_id': 1, 'n': [8]}"},
    {"{'$or': [{'n': 6}, {'n': 8}]}", "{'n.$': 1}", "{'_id': 1, 'n': [8]}"},
    {"{'$or': [{'n': 6}, {'x': 8}]}", "{'n.$': 1}", NULL},
    {"{'n': {'$ne': 5}}", "{'n.$': 1}", NULL},
};

START_TEST(test_projection)
{
    const pcase_t *t = &pcases[_i];
    mongoc_client_t *c = IT_CLIENT();
    char cmd[1024];
    bson_t r, first;

    seed(c, "p", PDOC);
    snprintf(cmd, sizeof(cmd), "{'find': 'p', 'filter': %s, 'projection': %s}", t->filter, t->proj);
    if (t->want == NULL) {
        CMD_ERR(c, DB, cmd, &r, 51246, "Location51246");
        bson_destroy(&r);
    } else {
        CMD_OK(c, DB, cmd, &r);
        ck_assert(fx_sub(&r, "cursor.firstBatch.0", &first));
        ck_assert_msg(fx_eq_json(&first, t->want), "%s: have %s, want %s", cmd, fx_to_json(&first),
                      t->want);
        bson_destroy(&first);
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* ---- DBRefs ------------------------------------------------------------------------------ */

typedef struct dcase {
    const char *filter;
    int n;    /* matching documents, or -1 for an error */
    int code; /* the error */
} dcase_t;

static const dcase_t dcases[] = {
    {"{'refs': {'$elemMatch': {'$ref': 'users', '$id': 2}}}", 1},
    {"{'refs': {'$elemMatch': {'$ref': 'users', '$id': {'$in': [1, 3]}}}}", 0},
    {"{'refs': {'$elemMatch': {'$id': 1}}}", 2},
    {"{'refs': {'$elemMatch': {'$ref': 'users', '$id': 1, '$db': 'other'}}}", 1},
    {"{'refs': {'$elemMatch': {'$db': 'other'}}}", 1},
    {"{'one': {'$ref': 'users', '$id': 1}}", 1},
    {"{'one.$id': 1}", 2},
    {"{'one.$ref': 'users'}", 2},
    {"{'refs': {'$in': [{'$ref': 'users', '$id': 2}]}}", 1},
    {"{'one': {'$ref': 'users'}}", -1, 2},
};

START_TEST(test_dbref)
{
    const dcase_t *t = &dcases[_i];
    mongoc_client_t *c = IT_CLIENT();
    char cmd[512];
    bson_t r;

    CMD_OK(c, DB, "{'delete': 'd', 'deletes': [{'q': {}, 'limit': 0}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'd', 'documents': ["
           "{'_id': 1, 'one': {'$ref': 'users', '$id': 1}, 'refs': [{'$ref': 'users', '$id': 1}, "
           "{'$ref': 'users', '$id': 2}]}, "
           "{'_id': 2, 'one': {'$ref': 'users', '$id': 1, '$db': 'other'}, "
           "'refs': [{'$ref': 'users', '$id': 1, '$db': 'other'}]}]}",
           &r);
    bson_destroy(&r);
    snprintf(cmd, sizeof(cmd), "{'count': 'd', 'query': %s}", t->filter);
    if (t->n < 0) {
        CMD_ERR(c, DB, cmd, &r, t->code, "BadValue");
        ASSERT_STR(&r, "errmsg", "unknown operator: $ref");
    } else {
        CMD_OK(c, DB, cmd, &r);
        ASSERT_INT(&r, "n", t->n);
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- hinted order ------------------------------------------------------------------------ */

#define NH 200

/* seed_hinted -- documents _id i, a = 37 i mod 200 (every value once), m = [i % 10,
 * 50 + i % 7], c = i % 2; indexes {a: 1}, a_desc {a: -1}, {m: 1}. */
static void
seed_hinted(mongoc_client_t *c)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, "h");
    bson_error_t e;
    bson_t d, arr, r;

    for (int i = 0; i < NH; i++) {
        bson_init(&d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_INT32(&d, "a", (37 * i) % NH);
        BSON_APPEND_ARRAY_BEGIN(&d, "m", &arr);
        BSON_APPEND_INT32(&arr, "0", i % 10);
        BSON_APPEND_INT32(&arr, "1", 50 + i % 7);
        bson_append_array_end(&d, &arr);
        BSON_APPEND_INT32(&d, "c", i % 2);
        ck_assert_msg(mongoc_collection_insert_one(col, &d, NULL, NULL, &e), "%s", e.message);
        bson_destroy(&d);
    }
    mongoc_collection_destroy(col);
    CMD_OK(c, DB,
           "{'createIndexes': 'h', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}, "
           "{'key': {'a': -1}, 'name': 'a_desc'}, {'key': {'m': 1}, 'name': 'm_1'}]}",
           &r);
    bson_destroy(&r);
}

/* collect -- run the find `json` on a, then getMore (batch 7) on b to the end; the values
 * of `field` in order go to out.  Returns how many. */
static int
collect(mongoc_client_t *a, mongoc_client_t *b, const char *json, const char *field, int *out,
        int max)
{
    bson_t r, batch;
    bson_iter_t it, d;
    int n = 0, rounds = 0;
    int64_t id;
    const char *arr = "cursor.firstBatch";
    bson_t *find = fx_json(json);
    bson_error_t ferr;

    fx_append_lsid(find, 3); /* one session on both clients: the cursor is bound to it */
    ck_assert_msg(fx_cmd_bson(a, DB, find, &r, &ferr), "find: %s", fx_to_json(&r));
    bson_destroy(find);
    for (;;) {
        ck_assert(fx_sub(&r, arr, &batch));
        bson_iter_init(&it, &batch);
        while (bson_iter_next(&it)) {
            ck_assert(bson_iter_recurse(&it, &d) && bson_iter_find(&d, field));
            ck_assert_int_lt(n, max);
            out[n++] = bson_iter_int32(&d);
        }
        bson_destroy(&batch);
        id = fx_int(&r, "cursor.id");
        bson_destroy(&r);
        if (id == 0)
            break;
        ck_assert_int_lt(rounds++, 2 * NH);
        bson_t *gm = bson_new();
        BSON_APPEND_INT64(gm, "getMore", id);
        BSON_APPEND_UTF8(gm, "collection", "h");
        BSON_APPEND_INT32(gm, "batchSize", 7);
        fx_append_lsid(gm, 3);
        bson_error_t e;
        ck_assert_msg(fx_cmd_bson(b, DB, gm, &r, &e), "getMore: %s %s", e.message, fx_to_json(&r));
        bson_destroy(gm);
        arr = "cursor.nextBatch";
    }
    return n;
}

START_TEST(test_hint_order)
{
    mongoc_client_t *a = IT_CLIENT();
    mongoc_client_t *b = fx_client_other_worker(&it_srv, a);
    int v[NH + 1], n, i;

    seed_hinted(a);
    /* by key pattern, ascending: a = 0, 1, ..., 199 */
    n = collect(a, b, "{'find': 'h', 'hint': {'a': 1}, 'batchSize': 7}", "a", v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], i);
    /* by name and by pattern, descending */
    n = collect(a, b, "{'find': 'h', 'hint': 'a_desc', 'batchSize': 7}", "a", v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], NH - 1 - i);
    n = collect(a, b, "{'find': 'h', 'hint': {'a': -1}, 'batchSize': 3}", "a", v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], NH - 1 - i);
    /* $natural: -1 is the reverse insertion order */
    n = collect(a, b, "{'find': 'h', 'hint': {'$natural': -1}, 'batchSize': 7}", "_id", v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], NH - 1 - i);
    /* a range on the hinted field, with skip and limit */
    n = collect(a, b,
                "{'find': 'h', 'filter': {'a': {'$gte': 50}}, 'hint': {'a': 1}, 'skip': 5, "
                "'limit': 30, 'batchSize': 4}",
                "a", v, NH + 1);
    ck_assert_int_eq(n, 30);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(v[i], 55 + i);
    /* a filter on another field keeps the index's order */
    n = collect(a, b, "{'find': 'h', 'filter': {'c': 1}, 'hint': 'a_desc', 'batchSize': 7}", "a", v,
                NH + 1);
    ck_assert_int_eq(n, NH / 2);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(v[i], NH - 1 - 2 * i); /* 37 i is odd exactly when i is */
    /* multikey: each document once, at its lowest key (i % 10), ties in insertion order */
    n = collect(a, b, "{'find': 'h', 'hint': {'m': 1}, 'batchSize': 7}", "_id", v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], (i % (NH / 10)) * 10 + i / (NH / 10));
    /* a sort still decides the order */
    n = collect(a, b, "{'find': 'h', 'hint': {'a': 1}, 'sort': {'_id': -1}, 'batchSize': 7}", "_id",
                v, NH + 1);
    ck_assert_int_eq(n, NH);
    for (i = 0; i < NH; i++)
        ck_assert_int_eq(v[i], NH - 1 - i);
    mongoc_client_destroy(b);
    mongoc_client_destroy(a);
}
END_TEST

START_TEST(test_hint_writes)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, DB,
           "{'insert': 'hw', 'documents': [{'_id': 1, 'a': 5}, {'_id': 2, 'a': 9}, "
           "{'_id': 3, 'a': 1}, {'_id': 4, 'a': 7}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'createIndexes': 'hw', 'indexes': [{'key': {'a': -1}, 'name': 'a_desc'}]}", &r);
    bson_destroy(&r);
    /* one document: the first in the hinted index's order */
    CMD_OK(c, DB,
           "{'update': 'hw', 'updates': [{'q': {}, 'u': {'$set': {'top': true}}, "
           "'hint': {'a': -1}}]}",
           &r);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'hw', 'query': {'_id': 2, 'top': true}}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'findAndModify': 'hw', 'query': {'a': {'$lt': 9}}, 'hint': 'a_desc', "
           "'update': {'$set': {'next': true}}}",
           &r);
    ASSERT_INT(&r, "value._id", 4);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'delete': 'hw', 'deletes': [{'q': {}, 'limit': 1, 'hint': {'$natural': -1}}]}",
           &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'hw', 'query': {'_id': 4}}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    /* a hint that names no index */
    CMD_OK(c, DB,
           "{'update': 'hw', 'updates': [{'q': {}, 'u': {'$set': {'x': 1}}, 'hint': 'nope'}]}", &r);
    ASSERT_INT(&r, "writeErrors.0.code", 2);
    ASSERT_STR(&r, "writeErrors.0.errmsg",
               "hint provided does not correspond to an existing index");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'hw', 'hint': {'b': 1}}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'findAndModify': 'hw', 'hint': {'b': 1}, 'remove': true}", &r, 2, "BadValue");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_hint_aggregate_count)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, b;

    CMD_OK(c, DB,
           "{'insert': 'hr', 'documents': [{'_id': 1, 'a': 5, 's': 1}, {'_id': 2, 'a': 9}, "
           "{'_id': 3, 'a': 1, 's': 2}, {'_id': 4, 'a': 7}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'createIndexes': 'hr', 'indexes': [{'key': {'a': -1}, 'name': 'a_desc'}, "
           "{'key': {'s': 1}, 'name': 's_1', 'sparse': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'hr', 'pipeline': [{'$match': {'a': {'$gt': 1}}}, "
           "{'$project': {'a': 1}}], 'hint': 'a_desc', 'cursor': {}}",
           &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch", &b));
    ck_assert_msg(fx_eq_json(&b, "{'0': {'_id': 2, 'a': 9}, '1': {'_id': 4, 'a': 7}, "
                                 "'2': {'_id': 1, 'a': 5}}"),
                  "%s", fx_to_json(&b));
    bson_destroy(&b);
    bson_destroy(&r);
    /* a hinted sparse index counts the documents it holds, as the manual warns */
    CMD_OK(c, DB, "{'count': 'hr', 'query': {}, 'hint': 's_1'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'hr', 'query': {}}", &r);
    ASSERT_INT(&r, "n", 4);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'count': 'hr', 'hint': 'nope'}", &r, 2, "BadValue");
    bson_destroy(&r);
    /* a hidden index cannot be hinted */
    CMD_OK(c, DB,
           "{'createIndexes': 'hr', 'indexes': [{'key': {'h': 1}, 'name': 'h_1', 'hidden': true}]}",
           &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'hr', 'hint': 'h_1'}", &r, 2, "BadValue");
    ASSERT_STR(&r, "errmsg", "hint provided does not correspond to an existing index");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'aggregate': 'hr', 'pipeline': [], 'hint': {'z': 1}, 'cursor': {}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'distinct': 'hr', 'key': 'a', 'hint': 5}", &r, 9, "FailedToParse");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("positional");
    TCase *tc = it_tcase(s, "positional", true);

    tcase_add_loop_test(tc, test_update, 0, (int)(sizeof(ucases) / sizeof(ucases[0])));
    tcase_add_test(tc, test_update_many);
    tcase_add_test(tc, test_find_and_modify);
    tcase_add_loop_test(tc, test_projection, 0, (int)(sizeof(pcases) / sizeof(pcases[0])));
    tcase_add_loop_test(tc, test_dbref, 0, (int)(sizeof(dcases) / sizeof(dcases[0])));
    tcase_add_test(tc, test_hint_order);
    tcase_add_test(tc, test_hint_writes);
    tcase_add_test(tc, test_hint_aggregate_count);
    return it_main(s);
}
