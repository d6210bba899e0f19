/*
 * tests/integration/it_catalog.c -- collection and database commands.
 *
 * create, drop, dropDatabase, listCollections (filter, nameOnly, cursor reply),
 * listDatabases (sizeOnDisk, empty, nameOnly), listIndexes, renameCollection (dropTarget,
 * errors), collStats and dbStats with the fields mongosh's db.stats() / db.coll.stats()
 * read.  One shared server; each test its own database.
 */
#include "harness.h"

/* list_names -- names in a listCollections / listDatabases reply array, as "a,b,c" sorted by
 * the server's order; returns how many. */
static int
has_name(const bson_t *reply, const char *path, const char *name)
{
    bson_t arr;
    bson_iter_t it;
    int found = 0;
    if (!fx_sub(reply, path, &arr))
        return -1;
    bson_iter_init(&it, &arr);
    while (bson_iter_next(&it)) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        const char *n = fx_str(&d, "name");
        if (n != NULL && strcmp(n, name) == 0)
            found++;
    }
    return found;
}

START_TEST(test_create_and_list_collections)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "cat1", "{'create': 'alpha'}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "cat1", "{'create': 'alpha'}", &r, 48, "NamespaceExists");
    bson_destroy(&r);
    CMD_OK(c, "cat1", "{'insert': 'beta', 'documents': [{'_id': 1}]}", &r); /* implicit */
    bson_destroy(&r);

    CMD_OK(c, "cat1", "{'listCollections': 1}", &r);
    ASSERT_INT(&r, "cursor.id", 0);
    ASSERT_STR(&r, "cursor.ns", "cat1.$cmd.listCollections");
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "alpha"), 1);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "beta"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.type", "collection");
    ASSERT_TYPE(&r, "cursor.firstBatch.0.options", BSON_TYPE_DOCUMENT);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.info.readOnly", BSON_TYPE_BOOL);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.info.uuid", BSON_TYPE_BINARY);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.idIndex", BSON_TYPE_DOCUMENT);
    bson_destroy(&r);

    CMD_OK(c, "cat1", "{'listCollections': 1, 'filter': {'name': 'beta'}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0.name", "beta");
    bson_destroy(&r);

    CMD_OK(c, "cat1", "{'listCollections': 1, 'nameOnly': true}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_t d;
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &d));
    ck_assert_msg(fx_has(&d, "name") && fx_has(&d, "type") && !fx_has(&d, "options") &&
                      !fx_has(&d, "info"),
                  "nameOnly entry: %s", fx_to_json(&d));
    bson_destroy(&r);

    /* the driver helper (which pages through the cursor) agrees */
    mongoc_database_t *db = mongoc_client_get_database(c, "cat1");
    bson_error_t err;
    char **names = mongoc_database_get_collection_names_with_opts(db, NULL, &err);
    ck_assert_msg(names != NULL, "%s", err.message);
    int n = 0;
    for (char **p = names; *p != NULL; p++)
        n++;
    ck_assert_int_eq(n, 2);
    bson_strfreev(names);
    mongoc_database_destroy(db);

    /* an empty database lists nothing */
    CMD_OK(c, "cat_none", "{'listCollections': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_drop_and_drop_database)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "cat2", "{'insert': 'gone', 'documents': [{'_id': 1}, {'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'insert': 'kept', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'drop': 'gone'}", &r);
    ASSERT_STR(&r, "ns", "cat2.gone");
    ASSERT_INT(&r, "nIndexesWas", 1);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'listCollections': 1, 'nameOnly': true}", &r);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "gone"), 0);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "kept"), 1);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'count': 'gone'}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    /* a dropped name can be reused, empty */
    CMD_OK(c, "cat2", "{'insert': 'gone', 'documents': [{'_id': 1}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    /* dropping a missing collection: mongod 7.0 answers ok (earlier: NamespaceNotFound) */
    bson_error_t err;
    if (!fx_cmd(c, "cat2", "{'drop': 'never_was'}", &r, &err)) {
        ASSERT_INT(&r, "code", 26);
        ASSERT_STR(&r, "codeName", "NamespaceNotFound");
    }
    bson_destroy(&r);

    CMD_OK(c, "cat2", "{'dropDatabase': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'listCollections': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listDatabases': 1, 'nameOnly': true}", &r);
    ck_assert_int_eq(has_name(&r, "databases", "cat2"), 0);
    bson_destroy(&r);
    CMD_OK(c, "cat2", "{'find': 'kept'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_list_databases)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "cat3", "{'insert': 'x', 'documents': [{'_id': 1, 'pad': 'some data'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listDatabases': 1}", &r);
    ck_assert_int_eq(has_name(&r, "databases", "cat3"), 1);
    ck_assert_int_eq(has_name(&r, "databases", "never_created_db"), 0);
    ck_assert(fx_has(&r, "totalSize"));
    bson_t dbs;
    bson_iter_t it;
    ck_assert(fx_sub(&r, "databases", &dbs));
    bson_iter_init(&it, &dbs);
    while (bson_iter_next(&it)) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;
        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        ASSERT_TYPE(&d, "name", BSON_TYPE_UTF8);
        ck_assert_msg(BSON_TYPE_INT64 == fx_type(&d, "sizeOnDisk") ||
                          BSON_TYPE_DOUBLE == fx_type(&d, "sizeOnDisk") ||
                          BSON_TYPE_INT32 == fx_type(&d, "sizeOnDisk"),
                      "sizeOnDisk: %s", fx_to_json(&d));
        ASSERT_TYPE(&d, "empty", BSON_TYPE_BOOL);
        if (strcmp(fx_str(&d, "name"), "cat3") == 0)
            ck_assert(!fx_bool(&d, "empty"));
    }
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listDatabases': 1, 'nameOnly': true}", &r);
    bson_t d0;
    ck_assert(fx_sub(&r, "databases.0", &d0));
    ck_assert_msg(fx_has(&d0, "name") && !fx_has(&d0, "sizeOnDisk"), "nameOnly: %s",
                  fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listDatabases': 1, 'filter': {'name': 'cat3'}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "databases"), 1);
    bson_destroy(&r);
    /* admin only */
    CMD_ERR(c, "cat3", "{'listDatabases': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_list_indexes)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r, idx;
    CMD_OK(c, "cat4", "{'insert': 'x', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat4", "{'listIndexes': 'x'}", &r);
    ASSERT_INT(&r, "cursor.id", 0);
    ASSERT_STR(&r, "cursor.ns", "cat4.x");
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0", &idx));
    ck_assert_msg(fx_eq_json(&idx, "{'v': 2, 'key': {'_id': 1}, 'name': '_id_'}"),
                  "the _id index: %s", fx_to_json(&idx));
    bson_destroy(&r);
    CMD_ERR(c, "cat4", "{'listIndexes': 'nope'}", &r, 26, "NamespaceNotFound");
    ASSERT_STR(&r, "errmsg", "ns does not exist: cat4.nope");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_rename_collection)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "cat5", "{'insert': 'a', 'documents': [{'_id': 1}, {'_id': 2}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat5", "{'insert': 'c', 'documents': [{'_id': 9}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'renameCollection': 'cat5.a', 'to': 'cat5.b'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat5", "{'count': 'a'}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    CMD_OK(c, "cat5", "{'count': 'b'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    CMD_OK(c, "cat5", "{'listCollections': 1, 'nameOnly': true}", &r);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "a"), 0);
    ck_assert_int_eq(has_name(&r, "cursor.firstBatch", "b"), 1);
    bson_destroy(&r);
    /* onto an existing collection: refused unless dropTarget */
    CMD_ERR(c, "admin", "{'renameCollection': 'cat5.b', 'to': 'cat5.c'}", &r, 48,
            "NamespaceExists");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'renameCollection': 'cat5.b', 'to': 'cat5.c', 'dropTarget': true}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat5", "{'find': 'c', 'sort': {'_id': 1}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    bson_destroy(&r);
    /* a missing source */
    CMD_ERR(c, "admin", "{'renameCollection': 'cat5.zz', 'to': 'cat5.yy'}", &r, 26,
            "NamespaceNotFound");
    bson_destroy(&r);
    /* across databases works too */
    CMD_OK(c, "admin", "{'renameCollection': 'cat5.c', 'to': 'cat5b.moved'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat5b", "{'count': 'moved'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_coll_stats_and_db_stats)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_OK(c, "cat6",
           "{'insert': 's', 'documents': [{'_id': 1, 'p': 'xxxxxxxxxxxxxxxxxxxx'},"
           " {'_id': 2, 'p': 'yyyyyyyyyyyyyyyyyyyy'}, {'_id': 3, 'p': 'z'}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "cat6", "{'insert': 't', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "cat6", "{'collStats': 's'}", &r);
    ASSERT_STR(&r, "ns", "cat6.s");
    ASSERT_INT(&r, "count", 3);
    ck_assert_int_gt(fx_int(&r, "size"), 40);
    ck_assert(fx_has(&r, "storageSize"));
    ck_assert(fx_has(&r, "avgObjSize"));
    ck_assert(fx_has(&r, "totalIndexSize"));
    ASSERT_INT(&r, "nindexes", 1);
    ASSERT_TYPE(&r, "indexSizes", BSON_TYPE_DOCUMENT);
    ck_assert(fx_has(&r, "indexSizes._id_"));
    bson_destroy(&r);
    CMD_OK(c, "cat6", "{'dbStats': 1}", &r);
    ASSERT_STR(&r, "db", "cat6");
    ASSERT_INT(&r, "collections", 2);
    ASSERT_INT(&r, "objects", 4);
    ck_assert_int_gt(fx_int(&r, "dataSize"), 40);
    ck_assert(fx_has(&r, "storageSize"));
    ASSERT_INT(&r, "indexes", 2);
    ck_assert(fx_has(&r, "indexSize"));
    ck_assert(fx_has(&r, "avgObjSize"));
    bson_destroy(&r);
    /* scale, as db.stats(1024) sends */
    CMD_OK(c, "cat6", "{'dbStats': 1, 'scale': 1024}", &r);
    ASSERT_INT(&r, "objects", 4);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_invalid_names)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;
    CMD_ERR(c, "cat7", "{'create': ''}", &r, 73, "InvalidNamespace");
    bson_destroy(&r);
    CMD_ERR(c, "cat7", "{'insert': '', 'documents': [{'_id': 1}]}", &r, 73, "InvalidNamespace");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = it_tcase(s, "catalog", true);
    tcase_add_test(tc, test_create_and_list_collections);
    tcase_add_test(tc, test_drop_and_drop_database);
    tcase_add_test(tc, test_list_databases);
    tcase_add_test(tc, test_list_indexes);
    tcase_add_test(tc, test_rename_collection);
    tcase_add_test(tc, test_coll_stats_and_db_stats);
    tcase_add_test(tc, test_invalid_names);
    return it_main(s);
}
