/*
 * tests/integration/it_diag.c -- the admin and diagnostic commands of issue 11: validate
 * (clean, and an index corrupted on purpose with mongod's failpoints
 * skipUnindexingDocumentWhenDeleted / skipIndexNewRecords), the database profiler
 * (profile, <db>.system.profile, slowms, filter), serverStatus's sections, currentOp's idle
 * connections, and shutdown's force / timeoutSecs.  One shared server, plus private ones for
 * the shutdown and start-up flag tests.
 */
#include "harness.h"

#include <sys/wait.h>

/* fp -- turn one failpoint on ({indexName}) or off. */
static void
fp(mongoc_client_t *c, const char *name, const char *index)
{
    char json[256];
    bson_t r;

    if (index != NULL)
        snprintf(json, sizeof(json),
                 "{'configureFailPoint': '%s', 'mode': 'alwaysOn', 'data': {'indexName': '%s'}}",
                 name, index);
    else
        snprintf(json, sizeof(json), "{'configureFailPoint': '%s', 'mode': 'off'}", name);
    CMD_OK(c, "admin", json, &r);
    bson_destroy(&r);
}

START_TEST(test_validate_clean)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "vdb",
           "{'insert': 'clean', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2, 'a': [2, 3]}, "
           "{'_id': 3}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb",
           "{'createIndexes': 'clean', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}, "
           "{'key': {'a': 1, 'b': 1}, 'name': 'ab_sparse', 'sparse': true}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'clean'}", &r);
    ASSERT_STR(&r, "ns", "vdb.clean");
    ck_assert_msg(fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ASSERT_TYPE(&r, "uuid", BSON_TYPE_BINARY);
    ASSERT_INT(&r, "nrecords", 3);
    ASSERT_TYPE(&r, "nrecords", BSON_TYPE_INT32);
    ASSERT_INT(&r, "nInvalidDocuments", 0);
    ASSERT_INT(&r, "nIndexes", 3);
    ASSERT_INT(&r, "keysPerIndex._id_", 3);
    ASSERT_INT(&r, "keysPerIndex.a_1", 4); /* {a: [2, 3]} is two keys; {_id: 3} is null */
    ASSERT_INT(&r, "keysPerIndex.ab_sparse", 3);
    ck_assert(fx_bool(&r, "indexDetails.a_1.valid"));
    ck_assert(!fx_bool(&r, "repaired"));
    ck_assert_int_eq(fx_array_len(&r, "errors"), 0);
    ck_assert_int_eq(fx_array_len(&r, "warnings"), 0);
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 0);
    ck_assert_int_eq(fx_array_len(&r, "extraIndexEntries"), 0);
    ck_assert_int_eq(fx_array_len(&r, "corruptRecords"), 0);
    ck_assert(!fx_has(&r, "advice"));
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'clean', 'full': true, 'checkBSONConformance': true}", &r);
    ck_assert(fx_bool(&r, "valid"));
    bson_destroy(&r);
    /* mongod's refusals */
    CMD_ERR(c, "vdb", "{'validate': 'nope'}", &r, 26, "NamespaceNotFound");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'repair': true}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'full': true, 'background': true}", &r, 115,
            "CommandNotSupported");
    bson_destroy(&r);
    CMD_ERR(c, "vdb", "{'validate': 'clean', 'bogus': 1}", &r, 40415, "Location40415");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_validate_corrupted)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    CMD_OK(c, "vdb",
           "{'insert': 'bad', 'documents': [{'_id': 1, 'a': 10}, {'_id': 2, 'a': 20}, "
           "{'_id': 3, 'a': 30}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'createIndexes': 'bad', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}", &r);
    bson_destroy(&r);
    /* a delete that leaves its a_1 entry behind: an extra entry */
    fp(c, "skipUnindexingDocumentWhenDeleted", "a_1");
    CMD_OK(c, "vdb", "{'delete': 'bad', 'deletes': [{'q': {'_id': 2}, 'limit': 1}]}", &r);
    bson_destroy(&r);
    fp(c, "skipUnindexingDocumentWhenDeleted", NULL);
    CMD_OK(c, "vdb", "{'validate': 'bad'}", &r);
    ck_assert_msg(!fx_bool(&r, "valid"), "%s", fx_to_json(&r));
    ck_assert(fx_bool(&r, "indexDetails._id_.valid"));
    ck_assert(!fx_bool(&r, "indexDetails.a_1.valid"));
    ASSERT_INT(&r, "keysPerIndex.a_1", 3);
    ASSERT_INT(&r, "keysPerIndex._id_", 2);
    ck_assert_int_eq(fx_array_len(&r, "extraIndexEntries"), 1);
    ASSERT_STR(&r, "extraIndexEntries.0.indexName", "a_1");
    ASSERT_INT(&r, "extraIndexEntries.0.indexKey.a", 20);
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 0);
    ASSERT_STR(&r, "errors.0", "Detected 1 extra index entries.");
    ck_assert(fx_str(&r, "advice") != NULL);
    bson_destroy(&r);
    /* an insert that writes no a_1 entry: a missing one as well */
    fp(c, "skipIndexNewRecords", "a_1");
    CMD_OK(c, "vdb", "{'insert': 'bad', 'documents': [{'_id': 4, 'a': 40}]}", &r);
    bson_destroy(&r);
    fp(c, "skipIndexNewRecords", NULL);
    CMD_OK(c, "vdb", "{'validate': 'bad', 'full': true}", &r);
    ck_assert(!fx_bool(&r, "valid"));
    ck_assert_int_eq(fx_array_len(&r, "missingIndexEntries"), 1);
    ASSERT_STR(&r, "missingIndexEntries.0.indexName", "a_1");
    ASSERT_INT(&r, "missingIndexEntries.0.indexKey.a", 40);
    ck_assert_int_eq(fx_array_len(&r, "errors"), 2);
    bson_destroy(&r);
    /* the other collections are untouched */
    CMD_OK(c, "vdb", "{'insert': 'fine', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "vdb", "{'validate': 'fine'}", &r);
    ck_assert(fx_bool(&r, "valid"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("diag");
    TCase *tc = it_tcase(s, "diag", true);
    tcase_add_test(tc, test_validate_clean);
    tcase_add_test(tc, test_validate_corrupted);
    return it_main(s);
}
