/*
 * tests/integration/it_views.c -- views, collMod and the logical session cache.
 *
 * create with viewOn/pipeline stores a view that listCollections shows as type "view" with
 * options {viewOn, pipeline}; find, count, distinct and aggregate on it run its pipeline
 * first (also through a view on a view); writes and index commands on it fail with 166;
 * drop removes it.  collMod sets a validator that later writes obey (121 with errInfo in
 * findAndModify and in insert's writeErrors), rejects unsupported options (72), unknown
 * indexes (27) and unknown namespaces (26), and changes a view's pipeline.  $listLocalSessions lists the session the
 * client used, and endSessions removes it.  One shared server with 2 workers.
 */
#include "harness.h"

#define DB "viewtest"

static void
seed(mongoc_client_t *c)
{
    bson_t r;

    fx_cmd(c, DB, "{'drop': 'src'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'src', 'documents': [{'_id': 1, 'x': 1, 't': ['a', 'b']}, "
           "{'_id': 2, 'x': 2, 't': ['b']}, {'_id': 3, 'x': 3, 't': 'c'}]}",
           &r);
    bson_destroy(&r);
}

START_TEST(test_view_reads)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    CMD_OK(c, DB, "{'create': 'v', 'viewOn': 'src', 'pipeline': [{'$match': {'_id': {'$gt': 1}}}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'create': 'vv', 'viewOn': 'v', 'pipeline': [{'$project': {'x': 1}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'v'}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.type", "view");
    ASSERT_STR(&r, "cursor.firstBatch.0.options.viewOn", "src");
    ASSERT_TYPE(&r, "cursor.firstBatch.0.options.pipeline", BSON_TYPE_ARRAY);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'v'}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'v', 'query': {'x': 3}}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'v', 'filter': {}, 'sort': {'_id': -1}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 3);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 2);
    ck_assert(!fx_has(&r, "cursor.firstBatch.2"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'vv', 'filter': {'x': 2}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 2);
    ck_assert(!fx_has(&r, "cursor.firstBatch.0.t"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'distinct': 'v', 'key': 't'}", &r);
    ASSERT_TYPE(&r, "values", BSON_TYPE_ARRAY);
    ck_assert(fx_has(&r, "values.1") && !fx_has(&r, "values.2")); /* b, c */
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'v', 'pipeline': [{'$group': {'_id': null, 's': {'$sum': '$x'}}}], "
           "'cursor': {}}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.s", 5);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_view_writes_and_drop)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    fx_cmd(c, DB, "{'create': 'w', 'viewOn': 'src', 'pipeline': []}", &r, NULL);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'insert': 'w', 'documents': [{'_id': 9}]}", &r, 166,
            "CommandNotSupportedOnView");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'update': 'w', 'updates': [{'q': {}, 'u': {'$set': {'y': 1}}}]}", &r, 166,
            "CommandNotSupportedOnView");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'delete': 'w', 'deletes': [{'q': {}, 'limit': 0}]}", &r, 166,
            "CommandNotSupportedOnView");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'createIndexes': 'w', 'indexes': [{'key': {'x': 1}, 'name': 'x_1'}]}", &r, 166,
            "CommandNotSupportedOnView");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'viewOn': 'src', 'pipeline': [{'$out': 'o'}]}", &r, 167,
            "OptionNotSupportedOnView");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'create': 'bad', 'viewOn': 'src', 'capped': true}", &r, 72, "InvalidOptions");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'w', 'viewOn': 'src', 'pipeline': [{'$match': {'x': 1}}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'w'}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'drop': 'w'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'w'}}", &r);
    ck_assert(!fx_has(&r, "cursor.firstBatch.0"));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'src'}", &r);
    ASSERT_INT(&r, "n", 3);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_coll_mod_validator)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed(c);
    CMD_OK(c, DB, "{'collMod': 'src', 'validator': {'x': {'$type': 'string'}}}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listCollections': 1, 'filter': {'name': 'src'}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.options.validationLevel", "strict");
    ASSERT_STR(&r, "cursor.firstBatch.0.options.validationAction", "error");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'findAndModify': 'src', 'query': {'_id': 1}, 'update': {'$set': {'x': 5}}}",
            &r, 121, "DocumentValidationFailure");
    ASSERT_INT(&r, "errInfo.failingDocumentId", 1);
    ASSERT_STR(&r, "errInfo.details.operatorName", "$type");
    ASSERT_STR(&r, "errInfo.details.reason", "type did not match");
    bson_destroy(&r);
    fx_cmd(c, DB, "{'insert': 'src', 'documents': [{'_id': 7, 'x': 7}]}", &r, NULL);
    ASSERT_INT(&r, "writeErrors.0.code", 121);
    ASSERT_INT(&r, "writeErrors.0.errInfo.failingDocumentId", 7);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'src', 'documents': [{'_id': 8, 'x': 'ok'}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'collMod': 'src', 'validationLevel': 'off'}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'insert': 'src', 'documents': [{'_id': 9, 'x': 9}]}", &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'src', 'index': {'name': 'x_1', 'hidden': true}}", &r, 27,
            "IndexNotFound"); /* hiding works (it_index_kinds.c); this index does not exist */
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'nope', 'validator': {}}", &r, 26, "NamespaceNotFound");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'collMod': 'src', 'bogus': 1}", &r, 40415, "Location40415");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_list_local_sessions)
{
    mongoc_client_t *c = IT_CLIENT();
    const char *lsid = "{'id': {'$binary': {'base64': 'q83vEjRWeJCrze8SNFZ4kA==', "
                       "'subType': '04'}}}";
    char cmd[512];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'ping': 1, 'lsid': %s}", lsid);
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {'allUsers': true}}, "
           "{'$match': {'_id.id': {'$binary': {'base64': 'q83vEjRWeJCrze8SNFZ4kA==', "
           "'subType': '04'}}}}], 'cursor': {}}",
           &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.lastUse", BSON_TYPE_DATE_TIME);
    ASSERT_TYPE(&r, "cursor.firstBatch.0._id.uid", BSON_TYPE_BINARY);
    bson_destroy(&r);
    snprintf(cmd, sizeof(cmd), "{'endSessions': [%s]}", lsid);
    CMD_OK(c, "admin", cmd, &r);
    bson_destroy(&r);
    CMD_OK(c, "admin",
           "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {}}, "
           "{'$match': {'_id.id': {'$binary': {'base64': 'q83vEjRWeJCrze8SNFZ4kA==', "
           "'subType': '04'}}}}], 'cursor': {}}",
           &r);
    ck_assert_msg(!fx_has(&r, "cursor.firstBatch.0"), "still listed: %s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'aggregate': 'src', 'pipeline': [{'$listLocalSessions': {}}], 'cursor': {}}",
            &r, 73, "InvalidNamespace");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("views");
    TCase *tc = it_tcase(s, "views", true);
    tcase_add_test(tc, test_view_reads);
    tcase_add_test(tc, test_view_writes_and_drop);
    tcase_add_test(tc, test_coll_mod_validator);
    tcase_add_test(tc, test_list_local_sessions);
    return it_main(s);
}
