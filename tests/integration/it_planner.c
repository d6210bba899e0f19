/*
 * tests/integration/it_planner.c -- secondary-index reads return exactly a collection scan's
 * results.
 *
 * Differential: the same few thousand mixed documents (numbers of every type, strings,
 * arrays (multikey), nested documents and arrays of them, nulls, missing fields, NaN, dates,
 * booleans) go into "ix", which has several indexes (ascending, descending-first compound,
 * dotted multikey, unique, sparse, partial), and into "plain", which has none.  For every
 * filter of the table the sorted _id lists of find (batchSize 7, so getMore resumes the
 * index scan many times) on both must be equal.  A dropped index under an open cursor kills
 * its plan (QueryPlanKilled), which shows an equality really reads through the index, and an
 * updateMany over the indexed field applies once per document.  One shared server.
 */
#include "harness.h"

#define DB "planner"
#define NDOCS 3000

static const char *const filters[] = {
    "{'a': 5}",
    "{'a': 5.0}",
    "{'a': {'$numberLong': '5'}}",
    "{'a': {'$numberDecimal': '5'}}",
    "{'a': 5.5}",
    "{'a': 's5'}",
    "{'a': true}",
    "{'a': {'$eq': 7}}",
    "{'a': {'$in': [1, 2, 3, 's4', 5.5, false]}}",
    "{'a': {'$in': [3, 3.0, {'$numberLong': '3'}]}}",
    "{'a': {'$gt': 40}}",
    "{'a': {'$gte': 40}}",
    "{'a': {'$lt': 3}}",
    "{'a': {'$lte': 3}}",
    "{'a': {'$gt': 10, '$lt': 20}}",
    "{'a': {'$gte': 10, '$lte': 10}}",
    "{'a': {'$gt': 's3'}}",
    "{'a': {'$lt': 's2'}}",
    "{'a': {'$lt': {'$numberDouble': 'Infinity'}}}",
    "{'a': {'$gt': {'$numberDouble': '-Infinity'}}}",
    "{'$and': [{'a': {'$gt': 5}}, {'a': {'$lt': 8}}]}",
    "{'a': {'$elemMatch': {'$gt': 5, '$lt': 7}}, 'b': {'$lt': 5}}",
    "{'a': 5, 'b': 3}",
    "{'a': {'$ne': 5}}",
    "{'a': null}",
    "{'a': {'$exists': false}}",
    "{'a': [5, 35]}",
    "{'a': {'$date': '2020-01-01T00:00:00Z'}}",
    "{'b': 3}",
    "{'b': {'$gt': 2}}",
    "{'b': {'$lt': 4}}",
    "{'e': 9}",
    "{'e': {'$in': [9, 's9', 10.5]}}",
    "{'e': {'$gt': 30}}",
    "{'e': {'$lte': 12}}",
    "{'e': {'$gt': 's1', '$lt': 's3'}}",
    "{'c.d': 3}",
    "{'c.d': {'$gt': 15}}",
    "{'c.d': {'$in': [1, 19]}}",
    "{'s': 'k005'}",
    "{'s': {'$gte': 'k050'}}",
    "{'s': {'$lt': 'k010'}}",
    "{'u': {'$gt': 2900}}",
    "{'u': 17}",
    "{'p': 3}",
    "{'a': {'$in': [1, 2]}, 's': {'$gt': 'k090'}}",
    "{'a': {'$gt': 5}, '$or': [{'b': 1}, {'b': 2}]}",
};

/* a_value -- a mixed value for field a / e of document i. */
static void
a_value(bson_t *d, const char *k, int i)
{
    bson_t sub;
    bson_decimal128_t dec;
    char buf[32];

    switch (i % 13) {
    case 0:
        BSON_APPEND_INT32(d, k, i % 50);
        break;
    case 1:
        BSON_APPEND_INT64(d, k, i % 50);
        break;
    case 2:
        BSON_APPEND_DOUBLE(d, k, (i % 50) + 0.5);
        break;
    case 3:
        bson_snprintf(buf, sizeof(buf), "%d", i % 50);
        bson_decimal128_from_string(buf, &dec);
        BSON_APPEND_DECIMAL128(d, k, &dec);
        break;
    case 4:
        bson_snprintf(buf, sizeof(buf), "s%d", i % 10);
        BSON_APPEND_UTF8(d, k, buf);
        break;
    case 5:
        BSON_APPEND_ARRAY_BEGIN(d, k, &sub);
        BSON_APPEND_INT32(&sub, "0", i % 50);
        BSON_APPEND_INT32(&sub, "1", (i * 7) % 50);
        BSON_APPEND_UTF8(&sub, "2", i % 2 ? "s3" : "s7");
        bson_append_array_end(d, &sub);
        break;
    case 6:
        BSON_APPEND_NULL(d, k);
        break;
    case 7:
        break; /* missing */
    case 8:
        BSON_APPEND_DOCUMENT_BEGIN(d, k, &sub);
        BSON_APPEND_INT32(&sub, "x", i % 5);
        bson_append_document_end(d, &sub);
        break;
    case 9:
        BSON_APPEND_BOOL(d, k, i % 2);
        break;
    case 10:
        BSON_APPEND_DATE_TIME(d, k, 1577836800000LL + (i % 3) * 86400000LL);
        break;
    case 11:
        BSON_APPEND_DOUBLE(d, k, i % 4 ? NAN : -INFINITY);
        break;
    default:
        BSON_APPEND_ARRAY_BEGIN(d, k, &sub);
        if (i % 3) {
            bson_t inner;
            BSON_APPEND_ARRAY_BEGIN(&sub, "0", &inner);
            BSON_APPEND_INT32(&inner, "0", i % 5);
            bson_append_array_end(&sub, &inner);
        }
        bson_append_array_end(d, &sub);
        break;
    }
}

/* make_doc -- document i (identical in both collections). */
static void
make_doc(bson_t *d, int i)
{
    bson_t c, el;
    char buf[32];

    BSON_APPEND_INT32(d, "_id", i);
    a_value(d, "a", i);
    a_value(d, "e", i + 5);
    if (i % 4 == 0)
        BSON_APPEND_UTF8(d, "b", "x");
    else if (i % 4 != 1)
        BSON_APPEND_INT32(d, "b", i % 7);
    if (i % 3 == 0) {
        BSON_APPEND_DOCUMENT_BEGIN(d, "c", &c);
        BSON_APPEND_INT32(&c, "d", i % 20);
        bson_append_document_end(d, &c);
    } else if (i % 3 == 1) {
        BSON_APPEND_ARRAY_BEGIN(d, "c", &c);
        for (int j = 0; j < 3; j++) {
            bson_snprintf(buf, sizeof(buf), "%d", j);
            bson_append_document_begin(&c, buf, -1, &el);
            BSON_APPEND_INT32(&el, "d", (i + j * 5) % 20);
            bson_append_document_end(&c, &el);
        }
        bson_append_array_end(d, &c);
    }
    bson_snprintf(buf, sizeof(buf), "k%03d", i % 100);
    BSON_APPEND_UTF8(d, "s", buf);
    BSON_APPEND_INT32(d, "u", i);
    if (i % 2)
        BSON_APPEND_INT32(d, "p", i % 5);
}

static void
fill(mongoc_client_t *c, const char *coll)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_error_t e;

    for (int base = 0; base < NDOCS; base += 500) {
        bson_t docs[500];
        const bson_t *ptrs[500];

        for (int i = 0; i < 500; i++) {
            bson_init(&docs[i]);
            make_doc(&docs[i], base + i);
            ptrs[i] = &docs[i];
        }
        ck_assert_msg(mongoc_collection_insert_many(col, ptrs, 500, NULL, NULL, &e), "%s",
                      e.message);
        for (int i = 0; i < 500; i++)
            bson_destroy(&docs[i]);
    }
    mongoc_collection_destroy(col);
}

/* setup -- both collections, once per server. */
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
    fill(c, "ix");
    fill(c, "plain");
    CMD_OK(c, DB,
           "{'createIndexes': 'ix', 'indexes': ["
           "{'key': {'a': 1}, 'name': 'a_1'},"
           "{'key': {'b': -1, 'a': 1}, 'name': 'b_-1_a_1'},"
           "{'key': {'e': -1, 's': 1}, 'name': 'e_-1_s_1'},"
           "{'key': {'c.d': 1}, 'name': 'c.d_1'},"
           "{'key': {'s': 1}, 'name': 's_1'},"
           "{'key': {'u': 1}, 'name': 'u_1', 'unique': true},"
           "{'key': {'p': 1}, 'name': 'p_1', 'partialFilterExpression': {'p': {'$gt': 2}}},"
           "{'key': {'s': -1}, 'name': 's_-1', 'sparse': true}]}",
           &r);
    bson_destroy(&r);
}

static int
int_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ids -- the sorted _ids find returns from coll with batchSize 7; *n receives the count. */
static int64_t *
ids(mongoc_client_t *c, const char *coll, const bson_t *filter, size_t *n)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, coll);
    bson_t *opts = fx_json("{'batchSize': 7}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, filter, opts, NULL);
    const bson_t *doc;
    bson_error_t e;
    int64_t *out = bson_malloc(sizeof(*out) * (NDOCS + 1));
    size_t k = 0;

    while (mongoc_cursor_next(cur, &doc)) {
        ck_assert_msg(k < NDOCS, "%s returned more than %d documents", coll, NDOCS);
        out[k++] = fx_int(doc, "_id");
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s: %s", coll, e.message);
    qsort(out, k, sizeof(*out), int_cmp);
    *n = k;
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    mongoc_collection_destroy(col);
    return out;
}

START_TEST(test_filters)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t *f;
    size_t ni, np;
    int64_t *xi, *xp;

    setup(c);
    f = fx_json(filters[_i]);
    xi = ids(c, "ix", f, &ni);
    xp = ids(c, "plain", f, &np);
    ck_assert_msg(ni == np, "%s: %zu documents with indexes, %zu without", filters[_i], ni, np);
    for (size_t i = 0; i < ni; i++)
        ck_assert_msg(xi[i] == xp[i], "%s: _id %lld with indexes, %lld without", filters[_i],
                      (long long)xi[i], (long long)xp[i]);
    bson_free(xi);
    bson_free(xp);
    bson_destroy(f);
    mongoc_client_destroy(c);
}
END_TEST

/* an equality on u reads through u_1: dropping it under the open cursor kills the plan */
START_TEST(test_plan_killed)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    int64_t id;

    CMD_OK(c, DB,
           "{'insert': 'pk', 'documents': [{'_id': 1, 'u': 5}, {'_id': 2, 'u': 5},"
           "{'_id': 3, 'u': 5}, {'_id': 4, 'u': 6}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'createIndexes': 'pk', 'indexes': [{'key': {'u': 1}, 'name': 'u_1'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'pk', 'filter': {'u': 5}, 'batchSize': 1}", &r);
    id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'dropIndexes': 'pk', 'index': 'u_1'}", &r);
    bson_destroy(&r);
    {
        char cmd[128];
        bson_snprintf(cmd, sizeof(cmd), "{'getMore': {'$numberLong': '%lld'}, 'collection': 'pk'}",
                      (long long)id);
        CMD_ERR(c, DB, cmd, &r, 175, "QueryPlanKilled");
        bson_destroy(&r);
    }
    /* a collection scan's cursor survives the same drop */
    CMD_OK(c, DB, "{'find': 'pk', 'filter': {'u': 5}, 'batchSize': 1}", &r);
    ck_assert_int_ne(fx_int(&r, "cursor.id"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* updateMany that moves every document forward in the index it reads applies once each */
START_TEST(test_update_once)
{
    mongoc_client_t *c = IT_CLIENT();
    mongoc_collection_t *col = mongoc_client_get_collection(c, DB, "hw");
    bson_t r, d;
    bson_error_t e;

    for (int i = 0; i < 600; i++) {
        bson_init(&d);
        BSON_APPEND_INT32(&d, "_id", i);
        BSON_APPEND_ARRAY_BEGIN(&d, "a", &r);
        BSON_APPEND_INT32(&r, "0", i);
        BSON_APPEND_INT32(&r, "1", i + 1);
        bson_append_array_end(&d, &r);
        ck_assert_msg(mongoc_collection_insert_one(col, &d, NULL, NULL, &e), "%s", e.message);
        bson_destroy(&d);
    }
    CMD_OK(c, DB, "{'createIndexes': 'hw', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'update': 'hw', 'updates': [{'q': {'a': {'$gte': 0}}, "
           "'u': {'$inc': {'a.0': 1000, 'a.1': 1000}}, 'multi': true}]}",
           &r);
    ASSERT_INT(&r, "nModified", 600);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'hw', 'query': {'a': {'$gte': 1000, '$lt': 1601}}}", &r);
    ASSERT_INT(&r, "n", 600);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'hw', 'query': {'a': 1000}}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    mongoc_collection_destroy(col);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("planner");
    TCase *tc = it_tcase(s, "planner", true);

    tcase_add_loop_test(tc, test_filters, 0, (int)(sizeof(filters) / sizeof(filters[0])));
    tcase_add_test(tc, test_plan_killed);
    tcase_add_test(tc, test_update_once);
    return it_main(s);
}
