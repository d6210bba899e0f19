/*
 * tests/integration/it_capped.c -- capped collections: create options, eviction, order.
 *
 * create checks capped/size/max as mongod 7.0 does (51024 bounds, 72 rules, 14 types) and
 * stores {capped: true, size rounded up to 256, max} as listCollections and collStats show;
 * inserts past `max` or `size` remove the oldest documents in insertion order, each removal a
 * "d" oplog entry after the insert's "i" entry; a document larger than the collection fails
 * (2 BadValue); updates and deletes work and keep the totals right; natural order is
 * insertion order forward and {$natural: -1} backward, on any collection.  One shared
 * server with 2 workers.
 */
#include "harness.h"

#include <pthread.h>

#define DB "cappedtest"

static void
drop(mongoc_client_t *c, const char *coll)
{
    fx_drop(c, DB, coll);
}

/* recreate -- drop coll and create it with the create options in `opts` (JSON fields). */
static void
recreate(mongoc_client_t *c, const char *coll, const char *opts)
{
    char cmd[256];
    bson_t r;

    drop(c, coll);
    snprintf(cmd, sizeof(cmd), "{'create': '%s', %s}", coll, opts);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
}

/* ids -- the _ids of find's first batch as "1,2,3". */
static const char *
ids(mongoc_client_t *c, const char *find_json)
{
    static char out[512];
    bson_iter_t it, arr;
    size_t n = 0;
    bson_t r;

    out[0] = '\0';
    CMD_OK(c, DB, find_json, &r);
    if (bson_iter_init(&it, &r) && bson_iter_find_descendant(&it, "cursor.firstBatch", &arr) &&
        bson_iter_recurse(&arr, &it)) {
        while (bson_iter_next(&it)) {
            bson_iter_t f;
            if (bson_iter_recurse(&it, &f) && bson_iter_find(&f, "_id"))
                n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%lld", n ? "," : "",
                                      (long long)bson_iter_as_int64(&f));
        }
    }
    bson_destroy(&r);
    return out;
}

static void
insert_range(mongoc_client_t *c, const char *coll, int from, int to, int pad)
{
    char cmd[4096], padding[2048];
    bson_t r;

    memset(padding, 'x', (size_t)pad);
    padding[pad] = '\0';
    for (int i = from; i <= to; i++) {
        snprintf(cmd, sizeof(cmd), "{'insert': '%s', 'documents': [{'_id': %d, 'p': '%s'}]}", coll,
                 i, padding);
        CMD_OK(c, DB, cmd, &r);
        ASSERT_INT(&r, "n", 1);
        bson_destroy(&r);
    }
}

START_TEST(test_create_options)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    recreate(c, "opt", "'capped': true, 'size': 1000, 'max': 5");
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'opt'}}", &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.options.capped", BSON_TYPE_BOOL);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.options.capped"));
    ASSERT_INT(&r, "cursor.firstBatch.0.options.size", 1024); /* rounded up to 256 */
    ASSERT_TYPE(&r, "cursor.firstBatch.0.options.size", BSON_TYPE_INT32);
    ASSERT_INT(&r, "cursor.firstBatch.0.options.max", 5);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collStats': 'opt'}", &r);
    ck_assert(fx_bool(&r, "capped"));
    ASSERT_INT(&r, "max", 5);
    ASSERT_INT(&r, "maxSize", 1024);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'opt', 'pipeline': [{'$collStats': {'storageStats': {}}}], "
           "'cursor': {}}",
           &r);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.storageStats.capped"));
    ASSERT_INT(&r, "cursor.firstBatch.0.storageStats.maxSize", 1024);
    ASSERT_INT(&r, "cursor.firstBatch.0.storageStats.max", 5);
    bson_destroy(&r);
    recreate(c, "opt0", "'capped': 1, 'size': 1.5, 'max': 0");
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'opt0'}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.options.size", 256);
    ASSERT_INT(&r, "cursor.firstBatch.0.options.max", 2147483647); /* max <= 0: no limit */
    bson_destroy(&r);

    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true}", &r, 72, "InvalidOptions");
    ASSERT_STR(&r, "errmsg", "the 'size' field is required when 'capped' is true");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true, 'max': 3}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'size': 4096}", &r, 72, "InvalidOptions");
    ASSERT_STR(&r, "errmsg",
               "the 'capped' field needs to be true when either the 'size' or 'max' fields "
               "are present");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': false, 'max': 3}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true, 'size': 0}", &r, 51024, "Location51024");
    ASSERT_STR(&r, "errmsg", "BSON field 'size' value must be >= 1, actual value '0'");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true, 'size': -500}", &r, 51024, "Location51024");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true, 'size': 4096, 'max': 2147483648}", &r, 51024,
            "Location51024");
    ASSERT_STR(&r, "errmsg",
               "BSON field 'max' value must be < 2147483648, actual value '2147483648'");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': true, 'size': 'foo'}", &r, 14, "TypeMismatch");
    ASSERT_STR(&r, "errmsg",
               "BSON field 'create.size' is the wrong type 'string', expected types "
               "'[long, int, decimal, double']");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'capped': 'foo'}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'bad'}}", &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.0"), "created anyway: %s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_evict_max)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    recreate(c, "cm", "'capped': true, 'size': 100000, 'max': 3");
    insert_range(c, "cm", 1, 5, 10);
    ck_assert_str_eq(ids(c, "{'find': 'cm'}"), "3,4,5");
    CMD_OK(c, DB, "{'insert': 'cm', 'documents': [{'_id': 6}, {'_id': 7}, {'_id': 8}, {'_id': 9}]}",
           &r);
    ASSERT_INT(&r, "n", 4);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'cm'}"), "7,8,9");
    ck_assert_int_eq(fx_count(c, DB, "cm", "{}"), 3);
    /* the secondary index lost the evicted documents too */
    CMD_OK(c, DB, "{'createIndexes': 'cm', 'indexes': [{'key': {'p': 1}, 'name': 'p_1'}]}", &r);
    bson_destroy(&r);
    insert_range(c, "cm", 10, 11, 10);
    /* 9, 10, 11 remain: the evicted 3, 4, 5 had the same p and left the index */
    ck_assert_str_eq(ids(c, "{'find': 'cm', 'filter': {'p': 'xxxxxxxxxx'}, 'hint': 'p_1'}"),
                     "10,11");
    ck_assert_str_eq(ids(c, "{'find': 'cm', 'filter': {'_id': 7}}"), "");
    CMD_ERR(c, DB,
            "{'createIndexes': 'cm', 'indexes': [{'key': {'t': 1}, 'name': 't_1', "
            "'expireAfterSeconds': 60}]}",
            &r, 67, "CannotCreateIndex");
    ASSERT_STR(&r, "errmsg", "Cannot create TTL index on a capped collection");
    bson_destroy(&r);
    /* the oplog has each insert, then the delete it caused: ..., i 11, d 8 */
    CMD_OK(c, "local",
           "{'find': 'oplog.rs', 'filter': {'ns': 'cappedtest.cm', 'op': {'$in': ['i', 'd']}}}",
           &r);
    {
        int n = fx_array_len(&r, "cursor.firstBatch");
        char p1[64], p2[64];
        ck_assert_int_eq(n, 19); /* 11 inserts, 8 capped deletes */
        snprintf(p1, sizeof(p1), "cursor.firstBatch.%d", n - 2);
        snprintf(p2, sizeof(p2), "cursor.firstBatch.%d", n - 1);
        bson_t e1, e2;
        ck_assert(fx_sub(&r, p1, &e1) && fx_sub(&r, p2, &e2));
        ASSERT_STR(&e1, "op", "i");
        ASSERT_INT(&e1, "o._id", 11);
        ASSERT_STR(&e2, "op", "d");
        ASSERT_INT(&e2, "o._id", 8);
        ASSERT_TYPE(&e2, "ui", BSON_TYPE_BINARY);
        ck_assert(!fx_has(&e2, "o.p"));
        bson_destroy(&e1);
        bson_destroy(&e2);
    }
    bson_destroy(&r);
    CMD_OK(c, "local", /* newest first, also across getMore */
           "{'find': 'oplog.rs', 'filter': {'ns': 'cappedtest.cm', 'op': {'$in': ['i', 'd']}}, "
           "'sort': {'$natural': -1}, 'batchSize': 1}",
           &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.op", "d");
    ASSERT_INT(&r, "cursor.firstBatch.0.o._id", 8);
    {
        bson_t *gm = BCON_NEW("getMore", BCON_INT64(fx_int(&r, "cursor.id")), "collection",
                              BCON_UTF8("oplog.rs"), "batchSize", BCON_INT32(1));
        bson_t r2;
        bson_error_t e;
        ck_assert_msg(fx_cmd_bson(c, "local", gm, &r2, &e), "%s", fx_to_json(&r2));
        ASSERT_STR(&r2, "cursor.nextBatch.0.op", "i");
        ASSERT_INT(&r2, "cursor.nextBatch.0.o._id", 11);
        bson_destroy(&r2);
        bson_destroy(gm);
    }
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_evict_size)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    /* each document is 1022 bytes: 4 fit in 4096, the 5th evicts the oldest */
    recreate(c, "cs", "'capped': true, 'size': 4096");
    insert_range(c, "cs", 1, 4, 1000);
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "1,2,3,4");
    insert_range(c, "cs", 5, 6, 1000);
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "3,4,5,6");
    CMD_OK(c, DB, "{'collStats': 'cs'}", &r);
    ASSERT_INT(&r, "count", 4);
    ck_assert_int_le(fx_int(&r, "size"), 4096);
    bson_destroy(&r);
    /* a document larger than the whole collection */
    {
        char big[6000];
        char cmd[6200];
        memset(big, 'y', 5000);
        big[5000] = '\0';
        snprintf(cmd, sizeof(cmd), "{'insert': 'cs', 'documents': [{'_id': 99, 'p': '%s'}]}", big);
        CMD_OK(c, DB, cmd, &r);
        ASSERT_INT(&r, "n", 0);
        ASSERT_INT(&r, "writeErrors.0.code", 2);
        ASSERT_STR(&r, "writeErrors.0.errmsg", "object to insert exceeds cappedMaxSize");
        bson_destroy(&r);
    }
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "3,4,5,6");
    /* deletes and growing updates are allowed (7.0); the next insert trims to size again */
    CMD_OK(c, DB, "{'delete': 'cs', 'deletes': [{'q': {'_id': 3}, 'limit': 1}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    insert_range(c, "cs", 7, 7, 1000);
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "4,5,6,7");
    CMD_OK(c, DB,
           "{'update': 'cs', 'updates': [{'q': {'_id': 4}, 'u': {'$set': {'q': '0123456789"
           "0123456789012345678901234567890123456789'}}}]}",
           &r);
    ASSERT_INT(&r, "nModified", 1);
    bson_destroy(&r);
    insert_range(c, "cs", 8, 8, 1000); /* 4 (grown) goes; 4 x 1022 fit again */
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "5,6,7,8");
    /* collMod changes the limits; the next insert trims to them */
    CMD_OK(c, DB, "{'collMod': 'cs', 'cappedSize': 2100, 'cappedMax': 5}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collStats': 'cs'}", &r);
    ASSERT_INT(&r, "maxSize", 2304);
    ASSERT_INT(&r, "max", 5);
    bson_destroy(&r);
    insert_range(c, "cs", 9, 9, 1000);
    ck_assert_str_eq(ids(c, "{'find': 'cs', 'projection': {'_id': 1}}"), "8,9");
    CMD_ERR(c, DB, "{'collMod': 'cs', 'cappedMax': 2147483648}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'plain', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'plain', 'cappedSize': 4096}", &r, 72, "InvalidOptions");
    ASSERT_STR(&r, "errmsg", "Collection must be capped.");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_natural_order)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    drop(c, "nat");
    CMD_OK(c, DB,
           "{'insert': 'nat', 'documents': [{'_id': 5}, {'_id': 1}, {'_id': 9}, {'_id': 3}]}", &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'nat'}"), "5,1,9,3");
    ck_assert_str_eq(ids(c, "{'find': 'nat', 'sort': {'$natural': 1}}"), "5,1,9,3");
    ck_assert_str_eq(ids(c, "{'find': 'nat', 'sort': {'$natural': -1}}"), "3,9,1,5");
    ck_assert_str_eq(ids(c, "{'find': 'nat', 'hint': {'$natural': -1}}"), "3,9,1,5");
    ck_assert_str_eq(ids(c, "{'find': 'nat', 'hint': {'$natural': -1}, 'filter': {'_id': "
                            "{'$gt': 2}}, 'limit': 2}"),
                     "3,9");
    /* a backward cursor continues backward on getMore */
    CMD_OK(c, DB, "{'find': 'nat', 'sort': {'$natural': -1}, 'batchSize': 1}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 3);
    {
        bson_t *gm = BCON_NEW("getMore", BCON_INT64(fx_int(&r, "cursor.id")), "collection",
                              BCON_UTF8("nat"));
        bson_t r2;
        bson_error_t e;
        ck_assert_msg(fx_cmd_bson(c, DB, gm, &r2, &e), "%s", fx_to_json(&r2));
        ASSERT_INT(&r2, "cursor.nextBatch.0._id", 9);
        ASSERT_INT(&r2, "cursor.nextBatch.1._id", 1);
        ASSERT_INT(&r2, "cursor.nextBatch.2._id", 5);
        bson_destroy(&r2);
        bson_destroy(gm);
    }
    bson_destroy(&r);
    recreate(c, "capnat", "'capped': true, 'size': 4096, 'max': 3");
    CMD_OK(c, DB,
           "{'insert': 'capnat', 'documents': [{'_id': 'b'}, {'_id': 'a'}, {'_id': 'd'}, "
           "{'_id': 'c'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'capnat', 'sort': {'$natural': -1}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "c");
    ASSERT_STR(&r, "cursor.firstBatch.1._id", "d");
    ASSERT_STR(&r, "cursor.firstBatch.2._id", "a");
    ck_assert(!fx_has(&r, "cursor.firstBatch.3"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_convert_to_capped)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    drop(c, "conv");
    insert_range(c, "conv", 1, 10, 1000); /* 10 x 1022 bytes */
    CMD_OK(c, DB, "{'createIndexes': 'conv', 'indexes': [{'key': {'p': 1}, 'name': 'p_1'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'convertToCapped': 'conv', 'size': 3000}", &r); /* 3072: the newest 3 */
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'conv', 'projection': {'_id': 1}}"), "8,9,10");
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'conv'}}", &r);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.options.capped"));
    ASSERT_INT(&r, "cursor.firstBatch.0.options.size", 3072);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'conv'}", &r); /* only _id survives, as in mongod */
    ASSERT_STR(&r, "cursor.firstBatch.0.name", "_id_");
    ck_assert(!fx_has(&r, "cursor.firstBatch.1"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': {'$regex': '^tmp'}}}", &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.0"), "temporary left: %s", fx_to_json(&r));
    bson_destroy(&r);
    insert_range(c, "conv", 11, 11, 1000); /* it is capped now */
    ck_assert_str_eq(ids(c, "{'find': 'conv', 'projection': {'_id': 1}}"), "9,10,11");

    CMD_OK(c, DB, "{'cloneCollectionAsCapped': 'conv', 'toCollection': 'conv2', 'size': 2048}", &r);
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'conv2', 'projection': {'_id': 1}}"), "10,11");
    ck_assert_str_eq(ids(c, "{'find': 'conv', 'projection': {'_id': 1}}"), "9,10,11");
    CMD_ERR(c, DB, "{'cloneCollectionAsCapped': 'conv', 'toCollection': 'conv2', 'size': 2048}", &r,
            48, "NamespaceExists");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'aggregate': 'conv', 'pipeline': [{'$out': 'conv2'}], 'cursor': {}}", &r,
            17152, "Location17152");
    ASSERT_STR(&r, "errmsg", "namespace 'cappedtest.conv2' is capped so it can't be used for $out");
    bson_destroy(&r);
    ck_assert_str_eq(ids(c, "{'find': 'conv2', 'projection': {'_id': 1}}"), "10,11");
    CMD_ERR(c, DB, "{'convertToCapped': 'nosuch', 'size': 4096}", &r, 26, "NamespaceNotFound");
    ASSERT_STR(&r, "errmsg", "source collection cappedtest.nosuch does not exist");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'convertToCapped': 'conv'}", &r, 40414, "Location40414");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'convertToCapped': 'conv', 'size': 0}", &r, 51024, "Location51024");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'convertToCapped': 'conv', 'size': 'x'}", &r, 14, "TypeMismatch");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

typedef struct writer {
    int base;
} writer_t;

static void *
writer_thread(void *arg)
{
    writer_t *w = arg;
    mongoc_client_t *c = fx_client(&it_srv);
    char cmd[128];
    bson_t r;

    for (int i = 0; i < 150; i++) {
        snprintf(cmd, sizeof(cmd), "{'insert': 'conc', 'documents': [{'_id': %d}]}", w->base + i);
        if (!fx_cmd(c, DB, cmd, &r, NULL) || fx_int(&r, "n") != 1)
            w->base = -1;
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
    return NULL;
}

START_TEST(test_concurrent_writers)
{
    mongoc_client_t *c = IT_CLIENT();
    writer_t w[4];
    pthread_t th[4];
    bson_t r;

    recreate(c, "conc", "'capped': true, 'size': 1000000, 'max': 40");
    for (int i = 0; i < 4; i++) {
        w[i].base = i * 1000;
        pthread_create(&th[i], NULL, writer_thread, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(w[i].base >= 0, "writer %d saw a failed insert", i);
    }
    /* writers on two workers took turns: exactly max remain, the last 40 inserted */
    ck_assert_int_eq(fx_count(c, DB, "conc", "{}"), 40);
    CMD_OK(c, DB, "{'collStats': 'conc'}", &r);
    ASSERT_INT(&r, "count", 40);
    bson_destroy(&r);
    CMD_OK(c, "local",
           "{'aggregate': 'oplog.rs', 'pipeline': [{'$match': {'ns': 'cappedtest.conc', 'op': "
           "'d'}}, {'$count': 'n'}], 'cursor': {}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", 600 - 40);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_restart_keeps_totals)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;

    fx_server_up(&s, 1);
    c = fx_client(&s);
    CMD_OK(c, DB, "{'create': 'rk', 'capped': true, 'size': 100000, 'max': 2}", &r);
    bson_destroy(&r);
    insert_range(c, "rk", 1, 2, 5);
    mongoc_client_destroy(c);
    ck_assert_int_eq(WEXITSTATUS(fx_server_stop(&s)), 0);
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    insert_range(c, "rk", 3, 3, 5); /* the counts were rebuilt at start: 1 goes */
    ck_assert_str_eq(ids(c, "{'find': 'rk'}"), "2,3");
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("capped");
    TCase *tc = it_tcase(s, "capped", true);
    tcase_add_test(tc, test_create_options);
    tcase_add_test(tc, test_evict_max);
    tcase_add_test(tc, test_evict_size);
    tcase_add_test(tc, test_natural_order);
    tcase_add_test(tc, test_convert_to_capped);
    tcase_add_test(tc, test_concurrent_writers);
    tcase_add_test(tc, test_restart_keeps_totals);
    return it_main(s);
}
