/*
 * tests/integration/it_auth.c -- authentication and authorization (issue 11): SCRAM-SHA-256
 * and SCRAM-SHA-1 through libmongoc, the Docker-style root user, --auth enforcement with the
 * built-in roles and a custom role, the localhost exception, the user and role commands'
 * shapes and errors, hostile SASL input (the worker lives), cursors owned by their user, and
 * logical sessions keyed by (lsid id, user): two users with one lsid id have two sessions.
 *
 * The shared server runs with --auth --initdbRootUsername root --initdbRootPassword secret;
 * the localhost-exception and environment-variable tests start their own.
 */
#include "harness.h"

static const char *const auth_args[] = {"--initdbRootUsername", "root", "--initdbRootPassword",
                                        "secret", NULL};

static void
auth_up(void)
{
    it_up = fx_server_init(&it_srv, 2) == 0;
    it_srv.extra = auth_args;
    it_up = it_up && fx_server_start(&it_srv) == 0;
}

static mongoc_client_t *
root_client(void)
{
    ck_assert_msg(it_up, "the shared server did not start");
    return fx_client_as(&it_srv, "root", "secret", "admin", NULL);
}

/* The reply's errmsg starts with want. */
#define ASSERT_PREFIX(doc, want)                                                                   \
    ck_assert_msg(fx_str((doc), "errmsg") != NULL &&                                               \
                      strncmp(fx_str((doc), "errmsg"), (want), strlen(want)) == 0,                 \
                  "errmsg should start with %s: %s", (want), fx_to_json(doc))

START_TEST(test_root_scram_both)
{
    const char *mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-1", NULL};
    for (int i = 0; i < 3; i++) {
        ck_assert(it_up);
        mongoc_client_t *c = fx_client_as(&it_srv, "root", "secret", "admin", mechs[i]);
        bson_t r;
        CMD_OK(c, "admin", "{'connectionStatus': 1, 'showPrivileges': true}", &r);
        ASSERT_STR(&r, "authInfo.authenticatedUsers.0.user", "root");
        ASSERT_STR(&r, "authInfo.authenticatedUsers.0.db", "admin");
        ck_assert_int_eq(fx_array_len(&r, "authInfo.authenticatedUsers"), 1);
        ASSERT_STR(&r, "authInfo.authenticatedUserRoles.0.role", "root");
        ck_assert_int_gt(fx_array_len(&r, "authInfo.authenticatedUserPrivileges"), 3);
        bson_destroy(&r);
        CMD_OK(c, "test", "{'insert': 'c', 'documents': [{'x': 1}]}", &r);
        bson_destroy(&r);
        mongoc_client_destroy(c);
    }
    /* the password never shows in getCmdLineOpts */
    mongoc_client_t *c = root_client();
    bson_t r;
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ck_assert_msg(strstr(fx_to_json(&r), "secret") == NULL, "%s", fx_to_json(&r));
    ck_assert(strstr(fx_to_json(&r), "<password>") != NULL);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_wrong_password)
{
    ck_assert(it_up);
    mongoc_client_t *c = fx_client_as(&it_srv, "root", "wrong", "admin", "SCRAM-SHA-256");
    bson_t r;
    bson_error_t e;
    ck_assert(!fx_cmd(c, "admin", "{'ping': 1}", &r, &e));
    ck_assert_msg(strstr(e.message, "Authentication failed") != NULL, "%s", e.message);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    c = fx_client_as(&it_srv, "nosuchuser", "x", "admin", "SCRAM-SHA-1");
    ck_assert(!fx_cmd(c, "admin", "{'ping': 1}", &r, &e));
    ck_assert_msg(strstr(e.message, "Authentication failed") != NULL, "%s", e.message);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_unauthenticated)
{
    ck_assert(it_up);
    mongoc_client_t *c = fx_client_as(&it_srv, NULL, NULL, NULL, NULL);
    bson_t r;
    CMD_OK(c, "admin", "{'hello': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'buildInfo': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'connectionStatus': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "authInfo.authenticatedUsers"), 0);
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'find': 'c'}", &r, 13, "Unauthorized");
    ASSERT_STR(&r, "errmsg", "Command find requires authentication");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'listDatabases': 1}", &r, 13, "Unauthorized");
    ASSERT_STR(&r, "errmsg", "Command listDatabases requires authentication");
    bson_destroy(&r);
    /* not from loopback's exception either: users exist */
    CMD_ERR(c, "admin", "{'createUser': 'x', 'pwd': 'y', 'roles': []}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_read_user_cannot_write)
{
    mongoc_client_t *root = root_client();
    bson_t r;
    CMD_OK(root, "test",
           "{'createUser': 'reader', 'pwd': 'rpw', 'roles': ['read'], 'customData': {'a': 1}}", &r);
    bson_destroy(&r);
    CMD_OK(root, "test", "{'insert': 'rc', 'documents': [{'_id': 1}]}", &r);
    bson_destroy(&r);
    mongoc_client_t *c = fx_client_as(&it_srv, "reader", "rpw", "test", "SCRAM-SHA-256");
    CMD_OK(c, "test", "{'find': 'rc'}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 1);
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'insert': 'rc', 'documents': [{'_id': 2}]}", &r, 13, "Unauthorized");
    ASSERT_PREFIX(&r, "not authorized on test to execute command { insert: \"rc\"");
    bson_destroy(&r);
    CMD_ERR(c, "other", "{'find': 'rc'}", &r, 13, "Unauthorized");
    ASSERT_PREFIX(&r, "not authorized on other to execute command { find: \"rc\"");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'serverStatus': 1}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    /* a pipeline that reads or writes elsewhere is checked too */
    CMD_ERR(c, "test",
            "{'aggregate': 'rc', 'pipeline': [{'$lookup': {'from': {'db': 'other', 'coll': 'x'}, "
            "'localField': 'a', 'foreignField': 'b', 'as': 'j'}}], 'cursor': {}}",
            &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'aggregate': 'rc', 'pipeline': [{'$out': 'copy'}], 'cursor': {}}", &r, 13,
            "Unauthorized");
    bson_destroy(&r);
    CMD_OK(c, "test", "{'aggregate': 'rc', 'pipeline': [{'$unionWith': 'rc'}], 'cursor': {}}", &r);
    bson_destroy(&r);
    /* listDatabases shows it the databases it has privileges in */
    CMD_OK(c, "admin", "{'listDatabases': 1, 'nameOnly': true}", &r);
    ck_assert_int_eq(fx_array_len(&r, "databases"), 1);
    ASSERT_STR(&r, "databases.0.name", "test");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'listDatabases': 1, 'authorizedDatabases': false}", &r, 13,
            "Unauthorized");
    bson_destroy(&r);
    /* a user may always read itself */
    CMD_OK(c, "test", "{'usersInfo': 'reader'}", &r);
    ASSERT_STR(&r, "users.0.user", "reader");
    bson_destroy(&r);
    CMD_OK(c, "test", "{'logout': 1}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "test", "{'find': 'rc'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    mongoc_client_destroy(root);
}
END_TEST

START_TEST(test_users_info_shapes)
{
    mongoc_client_t *root = root_client();
    bson_t r;
    CMD_OK(root, "shapes",
           "{'createUser': 'u1', 'pwd': 'p', 'roles': [{'role': 'readWrite', 'db': 'shapes'}], "
           "'mechanisms': ['SCRAM-SHA-256']}",
           &r);
    bson_destroy(&r);
    CMD_ERR(root, "shapes", "{'createUser': 'u1', 'pwd': 'p', 'roles': []}", &r, 51003,
            "Location51003");
    ASSERT_STR(&r, "errmsg", "User \"u1@shapes\" already exists");
    bson_destroy(&r);
    CMD_ERR(root, "shapes", "{'createUser': 'u2', 'pwd': 'p', 'roles': [], 'frob': 1}", &r, 40415,
            "Location40415");
    ASSERT_STR(&r, "errmsg", "BSON field 'createUser.frob' is an unknown field.");
    bson_destroy(&r);
    CMD_ERR(root, "shapes", "{'createUser': 'u2', 'pwd': 'p'}", &r, 40414, "Location40414");
    ASSERT_STR(&r, "errmsg", "BSON field 'createUser.roles' is missing but a required field");
    bson_destroy(&r);
    CMD_ERR(root, "shapes", "{'createUser': 'u2', 'pwd': 'p', 'roles': ['nosuch']}", &r, 31,
            "RoleNotFound");
    ASSERT_STR(&r, "errmsg", "Could not find role: nosuch@shapes");
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'usersInfo': 'u1'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "users"), 1);
    ASSERT_STR(&r, "users.0._id", "shapes.u1");
    ASSERT_STR(&r, "users.0.user", "u1");
    ASSERT_STR(&r, "users.0.db", "shapes");
    ASSERT_TYPE(&r, "users.0.userId", BSON_TYPE_BINARY);
    ASSERT_STR(&r, "users.0.roles.0.role", "readWrite");
    ASSERT_STR(&r, "users.0.mechanisms.0", "SCRAM-SHA-256");
    ck_assert(!fx_has(&r, "users.0.credentials"));
    bson_destroy(&r);
    CMD_OK(root, "shapes",
           "{'usersInfo': {'user': 'u1', 'db': 'shapes'}, 'showCredentials': true, "
           "'showPrivileges': true}",
           &r);
    ASSERT_INT(&r, "users.0.credentials.SCRAM-SHA-256.iterationCount", 15000);
    ck_assert(!fx_has(&r, "users.0.credentials.SCRAM-SHA-1"));
    ck_assert_int_gt(fx_array_len(&r, "users.0.inheritedPrivileges"), 0);
    ASSERT_STR(&r, "users.0.inheritedRoles.0.role", "readWrite");
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'usersInfo': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "users"), 1);
    bson_destroy(&r);
    CMD_OK(root, "admin", "{'usersInfo': {'forAllDBs': true}}", &r);
    ck_assert_int_ge(fx_array_len(&r, "users"), 2);
    bson_destroy(&r);
    /* the stored document: salted keys, never the password */
    CMD_OK(root, "admin", "{'find': 'system.users', 'filter': {'_id': 'shapes.u1'}}", &r);
    ASSERT_STR(&r, "cursor.firstBatch.0.user", "u1");
    ASSERT_TYPE(&r, "cursor.firstBatch.0.credentials.SCRAM-SHA-256.storedKey", BSON_TYPE_UTF8);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.credentials.SCRAM-SHA-256.salt", BSON_TYPE_UTF8);
    ck_assert(!fx_has(&r, "cursor.firstBatch.0.pwd"));
    ck_assert(strstr(fx_to_json(&r), "\"p\"") == NULL);
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'grantRolesToUser': 'u1', 'roles': ['dbAdmin']}", &r);
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'usersInfo': 'u1'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "users.0.roles"), 2);
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'revokeRolesFromUser': 'u1', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'usersInfo': 'u1'}", &r);
    ASSERT_STR(&r, "users.0.roles.0.role", "dbAdmin");
    ck_assert_int_eq(fx_array_len(&r, "users.0.roles"), 1);
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'updateUser': 'u1', 'pwd': 'newpw', 'customData': {'k': 2}}", &r);
    bson_destroy(&r);
    mongoc_client_t *c = fx_client_as(&it_srv, "u1", "newpw", "shapes", NULL);
    CMD_OK(c, "shapes", "{'listCollections': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    CMD_OK(root, "shapes", "{'dropUser': 'u1'}", &r);
    bson_destroy(&r);
    CMD_ERR(root, "shapes", "{'dropUser': 'u1'}", &r, 11, "UserNotFound");
    bson_destroy(&r);
    CMD_OK(root, "shapes", "{'dropAllUsersFromDatabase': 1}", &r);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    mongoc_client_destroy(root);
}
END_TEST

START_TEST(test_custom_role)
{
    mongoc_client_t *root = root_client();
    bson_t r;
    CMD_OK(root, "cr",
           "{'createRole': 'insOnly', 'privileges': [{'resource': {'db': 'cr', 'collection': "
           "'a'}, 'actions': ['insert', 'find']}], 'roles': []}",
           &r);
    bson_destroy(&r);
    CMD_ERR(root, "cr", "{'createRole': 'insOnly', 'privileges': [], 'roles': []}", &r, 51002,
            "Location51002");
    bson_destroy(&r);
    CMD_ERR(root, "cr",
            "{'createRole': 'bad', 'privileges': [{'resource': {'db': 'cr', 'collection': ''}, "
            "'actions': ['flyToTheMoon']}], 'roles': []}",
            &r, 9, "FailedToParse");
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'createUser': 'ins', 'pwd': 'p', 'roles': ['insOnly']}", &r);
    bson_destroy(&r);
    mongoc_client_t *c = fx_client_as(&it_srv, "ins", "p", "cr", NULL);
    CMD_OK(c, "cr", "{'insert': 'a', 'documents': [{'x': 1}]}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "cr", "{'insert': 'b', 'documents': [{'x': 1}]}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "cr", "{'delete': 'a', 'deletes': [{'q': {}, 'limit': 0}]}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    CMD_OK(root, "cr", "{'rolesInfo': 'insOnly', 'showPrivileges': true}", &r);
    ASSERT_STR(&r, "roles.0.role", "insOnly");
    ASSERT_STR(&r, "roles.0.db", "cr");
    ck_assert(!fx_bool(&r, "roles.0.isBuiltin"));
    ASSERT_STR(&r, "roles.0.privileges.0.resource.collection", "a");
    ASSERT_STR(&r, "roles.0.privileges.0.actions.0", "find");
    ASSERT_STR(&r, "roles.0.privileges.0.actions.1", "insert");
    bson_destroy(&r);
    CMD_OK(root, "cr",
           "{'grantPrivilegesToRole': 'insOnly', 'privileges': [{'resource': {'db': 'cr', "
           "'collection': 'a'}, 'actions': ['remove']}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(root, "cr",
           "{'revokePrivilegesFromRole': 'insOnly', 'privileges': [{'resource': "
           "{'db': 'cr', 'collection': 'a'}, 'actions': ['find']}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'rolesInfo': 'insOnly', 'showPrivileges': true}", &r);
    ASSERT_STR(&r, "roles.0.privileges.0.actions.0", "insert");
    ASSERT_STR(&r, "roles.0.privileges.0.actions.1", "remove");
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'grantRolesToRole': 'insOnly', 'roles': ['read']}", &r);
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'rolesInfo': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "roles"), 1);
    ASSERT_STR(&r, "roles.0.roles.0.role", "read");
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'rolesInfo': 1, 'showBuiltinRoles': true}", &r);
    ck_assert_int_ge(fx_array_len(&r, "roles"), 6);
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'rolesInfo': 'read', 'showPrivileges': true}", &r);
    ck_assert(fx_bool(&r, "roles.0.isBuiltin"));
    ASSERT_STR(&r, "roles.0.privileges.0.resource.db", "cr");
    bson_destroy(&r);
    CMD_OK(root, "cr", "{'dropRole': 'insOnly'}", &r);
    bson_destroy(&r);
    CMD_ERR(root, "cr", "{'dropRole': 'insOnly'}", &r, 31, "RoleNotFound");
    bson_destroy(&r);
    mongoc_client_destroy(root);
}
END_TEST

/* A logged-in connection follows changes of its user (made on whichever worker). */
START_TEST(test_privileges_follow_changes)
{
    mongoc_client_t *root = root_client();
    bson_t r;
    CMD_OK(root, "dyn", "{'createUser': 'dyn', 'pwd': 'p', 'roles': ['read']}", &r);
    bson_destroy(&r);
    mongoc_client_t *c = fx_client_as(&it_srv, "dyn", "p", "dyn", NULL);
    CMD_OK(c, "dyn", "{'find': 'x'}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "dyn", "{'insert': 'x', 'documents': [{}]}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_OK(root, "dyn", "{'grantRolesToUser': 'dyn', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    CMD_OK(c, "dyn", "{'insert': 'x', 'documents': [{}]}", &r);
    bson_destroy(&r);
    CMD_OK(root, "dyn", "{'dropUser': 'dyn'}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "dyn", "{'find': 'x'}", &r, 13, "Unauthorized");
    ASSERT_STR(&r, "errmsg", "Command find requires authentication");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    mongoc_client_destroy(root);
}
END_TEST

/* A cursor serves only the user that opened it, as mongod's cursor manager: another user's
 * getMore and killCursors get 13 (the cursor lives on), the owner's work, and root's
 * killAnyCursor kills anyone's; an lsid cannot name another user's uid. */
START_TEST(test_cursor_owner)
{
    mongoc_client_t *root = root_client();
    char gm[128], kill[128], want[128];
    bson_t r;
    CMD_OK(root, "cur", "{'insert': 'x', 'documents': [{'a': 1}, {'a': 2}, {'a': 3}, {'a': 4}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(root, "cur", "{'createUser': 'ca', 'pwd': 'p', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    CMD_OK(root, "cur", "{'createUser': 'cb', 'pwd': 'p', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    mongoc_client_t *a = fx_client_as(&it_srv, "ca", "p", "cur", NULL);
    mongoc_client_t *b = fx_client_as(&it_srv, "cb", "p", "cur", NULL);
    for (int round = 0; round < 2; round++) { /* killed by root, then by its owner */
        CMD_OK(a, "cur", "{'find': 'x', 'batchSize': 1}", &r);
        long long id = (long long)fx_int(&r, "cursor.id");
        ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(&r));
        bson_destroy(&r);
        snprintf(gm, sizeof(gm),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'x', 'batchSize': 1}", id);
        snprintf(kill, sizeof(kill), "{'killCursors': 'x', 'cursors': [{'$numberLong': '%lld'}]}",
                 id);
        snprintf(want, sizeof(want), "cursor id %lld was not created by the authenticated user",
                 id);
        CMD_ERR(b, "cur", gm, &r, 13, "Unauthorized");
        ASSERT_STR(&r, "errmsg", want);
        bson_destroy(&r);
        CMD_ERR(b, "cur", kill, &r, 13, "Unauthorized");
        ASSERT_STR(&r, "errmsg", "not authorized to kill cursor on cur.x");
        bson_destroy(&r);
        if (round == 0) {
            CMD_OK(a, "cur", gm, &r); /* refused to b, still the owner's */
            ASSERT_INT(&r, "cursor.nextBatch.0.a", 2);
            bson_destroy(&r);
        }
        CMD_OK(round == 0 ? root : a, "cur", kill, &r); /* root holds killAnyCursor */
        ASSERT_INT(&r, "cursorsKilled.0", id);
        bson_destroy(&r);
    }
    /* an lsid naming another user's digest (uid) needs impersonate, which no role here has */
    CMD_ERR(a, "cur",
            "{'find': 'x', 'lsid': {'id': {'$binary': {'base64': 'AAAAAAAAAAAAAAAAAAAAAA==', "
            "'subType': '04'}}, 'uid': {'$binary': {'base64': "
            "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'subType': '00'}}}}",
            &r, 13, "Unauthorized");
    ASSERT_STR(&r, "errmsg", "Unauthorized to set user digest in LogicalSessionId");
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    mongoc_client_destroy(root);
}
END_TEST

/* A database's user administrator hands out only its own database's roles. */
START_TEST(test_user_admin_scope)
{
    mongoc_client_t *root = root_client();
    bson_t r;
    CMD_OK(root, "ua", "{'createUser': 'uadmin', 'pwd': 'p', 'roles': ['userAdmin']}", &r);
    bson_destroy(&r);
    mongoc_client_t *c = fx_client_as(&it_srv, "uadmin", "p", "ua", NULL);
    CMD_OK(c, "ua", "{'createUser': 'w', 'pwd': 'p', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "ua",
            "{'createUser': 'esc', 'pwd': 'p', 'roles': [{'role': 'root', 'db': 'admin'}]}", &r, 13,
            "Unauthorized");
    ASSERT_PREFIX(&r,
                  "not authorized on ua to execute command { createUser: \"esc\", pwd: \"xxx\"");
    bson_destroy(&r);
    CMD_ERR(c, "ua", "{'grantRolesToUser': 'w', 'roles': [{'role': 'root', 'db': 'admin'}]}", &r,
            13, "Unauthorized");
    bson_destroy(&r);
    CMD_ERR(c, "ua", "{'insert': 'x', 'documents': [{}]}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_OK(c, "ua", "{'usersInfo': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "users"), 2);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    mongoc_client_destroy(root);
}
END_TEST

/* Raw SASL steps on an unauthenticated connection: errors, and the worker lives. */
START_TEST(test_hostile_sasl)
{
    ck_assert(it_up);
    mongoc_client_t *c = fx_client_as(&it_srv, NULL, NULL, NULL, NULL);
    bson_t r;
    bson_t *cmd;
    bson_error_t e;
    CMD_ERR(c, "admin", "{'saslContinue': 1, 'conversationId': 1, 'payload': ''}", &r, 17,
            "ProtocolError");
    ASSERT_STR(&r, "errmsg", "No SASL session state found");
    bson_destroy(&r);
    /* truncated client-first */
    CMD_ERR(c, "admin", "{'saslStart': 1, 'mechanism': 'SCRAM-SHA-256', 'payload': 'n,,'}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'saslStart': 1, 'mechanism': 'PLAIN', 'payload': 'x'}", &r, 334,
            "MechanismUnavailable");
    bson_destroy(&r);
    /* a real first step, then a forged proof */
    cmd = BCON_NEW(
        "saslStart", BCON_INT32(1), "mechanism", BCON_UTF8("SCRAM-SHA-256"), "payload",
        BCON_BIN(BSON_SUBTYPE_BINARY, (const uint8_t *)"n,,n=root,r=abcdefghijklmnop", 27));
    ck_assert_msg(fx_cmd_bson(c, "admin", cmd, &r, &e), "%s", fx_to_json(&r));
    ASSERT_INT(&r, "conversationId", 1);
    ck_assert(!fx_bool(&r, "done"));
    bson_destroy(&r);
    bson_destroy(cmd);
    CMD_ERR(c, "admin", "{'saslContinue': 1, 'conversationId': 7, 'payload': 'x'}", &r, 17,
            "ProtocolError");
    bson_destroy(&r);
    cmd = BCON_NEW(
        "saslStart", BCON_INT32(1), "mechanism", BCON_UTF8("SCRAM-SHA-256"), "payload",
        BCON_BIN(BSON_SUBTYPE_BINARY, (const uint8_t *)"n,,n=root,r=abcdefghijklmnop", 27));
    ck_assert(fx_cmd_bson(c, "admin", cmd, &r, &e));
    bson_destroy(cmd);
    {
        /* continue with the server's nonce and a proof of zeros */
        uint32_t len;
        bson_subtype_t st;
        const uint8_t *data;
        bson_iter_t it;
        char final[512], nonce[256];
        ck_assert(bson_iter_init_find(&it, &r, "payload"));
        bson_iter_binary(&it, &st, &len, &data);
        ck_assert(len > 2 && len < sizeof(nonce));
        snprintf(nonce, sizeof(nonce), "%.*s", (int)len, (const char *)data);
        *strchr(nonce, ',') = '\0';
        snprintf(final, sizeof(final),
                 "c=biws,%s,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", nonce);
        bson_destroy(&r);
        cmd = BCON_NEW(
            "saslContinue", BCON_INT32(1), "conversationId", BCON_INT32(1), "payload",
            BCON_BIN(BSON_SUBTYPE_BINARY, (const uint8_t *) final, (uint32_t)strlen(final)));
        ck_assert(!fx_cmd_bson(c, "admin", cmd, &r, &e));
        ASSERT_INT(&r, "code", 18);
        ASSERT_STR(&r, "errmsg", "Authentication failed.");
        bson_destroy(cmd);
        bson_destroy(&r);
    }
    CMD_ERR(c, "test", "{'find': 'c'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_hello_mechs)
{
    ck_assert(it_up);
    mongoc_client_t *c = fx_client_as(&it_srv, NULL, NULL, NULL, NULL);
    bson_t r;
    CMD_OK(c, "admin", "{'hello': 1, 'saslSupportedMechs': 'admin.root'}", &r);
    ASSERT_STR(&r, "saslSupportedMechs.0", "SCRAM-SHA-1");
    ASSERT_STR(&r, "saslSupportedMechs.1", "SCRAM-SHA-256");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'hello': 1, 'saslSupportedMechs': 'admin.nobody'}", &r);
    ck_assert(!fx_has(&r, "saslSupportedMechs"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* --auth without users: loopback may create the first user, and only that. */
START_TEST(test_localhost_exception)
{
    static const char *const args[] = {"--auth", NULL};
    fx_server_t s;
    bson_t r;
    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = args;
    ck_assert_int_eq(fx_server_start(&s), 0);
    mongoc_client_t *c = fx_client_as(&s, NULL, NULL, NULL, NULL);
    CMD_ERR(c, "test", "{'find': 'c'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'createUser': 'first', 'pwd': 'pw', 'roles': ['root']}", &r);
    bson_destroy(&r);
    CMD_ERR(c, "admin", "{'createUser': 'second', 'pwd': 'pw', 'roles': ['root']}", &r, 13,
            "Unauthorized");
    ASSERT_STR(&r, "errmsg", "Command createUser requires authentication");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    c = fx_client_as(&s, "first", "pw", "admin", "SCRAM-SHA-1");
    CMD_OK(c, "test", "{'find': 'c'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
}
END_TEST

/* The official image's environment variables create the root user and imply --auth. */
START_TEST(test_initdb_environment)
{
    fx_server_t s;
    bson_t r;
    setenv("MONGO_INITDB_ROOT_USERNAME", "envroot", 1);
    setenv("MONGO_INITDB_ROOT_PASSWORD", "envpw", 1);
    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    ck_assert_int_eq(fx_server_start(&s), 0);
    unsetenv("MONGO_INITDB_ROOT_USERNAME");
    unsetenv("MONGO_INITDB_ROOT_PASSWORD");
    mongoc_client_t *c = fx_client_as(&s, NULL, NULL, NULL, NULL);
    CMD_ERR(c, "test", "{'find': 'c'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    c = fx_client_as(&s, "envroot", "envpw", "admin", NULL);
    CMD_OK(c, "test", "{'find': 'c'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
}
END_TEST

/* The YAML keys: security.authorization and our secantusdb.initdbRoot* ones. */
START_TEST(test_config_file)
{
    fx_server_t s;
    bson_t r;
    char dir[512], path[600], arg[620];
    const char *args[3] = {"--config", arg, NULL};
    FILE *f;

    ck_assert_int_eq(fx_mkdtemp(dir, sizeof(dir), "sdb-authcfg"), 0);
    snprintf(path, sizeof(path), "%s/sdb.conf", dir);
    snprintf(arg, sizeof(arg), "%s", path);
    f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("security:\n  authorization: enabled\nsecantusdb:\n  initdbRootUsername: cfgroot\n"
          "  initdbRootPassword: cfgpw\n",
          f);
    fclose(f);
    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = args;
    ck_assert_int_eq(fx_server_start(&s), 0);
    mongoc_client_t *c = fx_client_as(&s, NULL, NULL, NULL, NULL);
    CMD_ERR(c, "test", "{'find': 'c'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    c = fx_client_as(&s, "cfgroot", "cfgpw", "admin", NULL);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_STR(&r, "parsed.security.authorization", "enabled");
    ck_assert_msg(strstr(fx_to_json(&r), "cfgpw") == NULL, "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    fx_rm_rf(dir);
}
END_TEST

#define SUBJECT "CN=client,OU=test,O=Secantus,L=Paris,ST=IDF,C=FR"

/* A TLS client presenting client.pem of `certs`, with `auth` URI options ("" for none). */
static mongoc_client_t *
tls_client(const fx_server_t *s, const char *certs, const char *userinfo, const char *auth)
{
    char ca[700], pem[700], opts[256];

    snprintf(ca, sizeof(ca), "%s/ca.pem", certs);
    snprintf(pem, sizeof(pem), "%s/client.pem", certs);
    snprintf(opts, sizeof(opts), "&serverSelectionTimeoutMS=10000%s", auth);
    return fx_tls_client(s, ca, pem, userinfo, opts);
}

/* MONGODB-X509: the client certificate's subject is a user of $external. */
START_TEST(test_x509)
{
    char certs[512], cmd[1400], server_pem[700], ca[700];
    const char *src = getenv("SDB_SRCDIR");
    const char *args[] = {"--initdbRootUsername",
                          "root",
                          "--initdbRootPassword",
                          "secret",
                          "--tlsMode",
                          "requireTLS",
                          "--tlsCertificateKeyFile",
                          server_pem,
                          "--tlsCAFile",
                          ca,
                          NULL};
    fx_server_t s;
    bson_t r;

    ck_assert_int_eq(fx_mkdtemp(certs, sizeof(certs), "sdb-x509"), 0);
    snprintf(cmd, sizeof(cmd), "'%s/tests/tls_certs.sh' '%s'", src != NULL ? src : ".", certs);
    ck_assert_msg(system(cmd) == 0, "cannot make certificates: %s", cmd);
    snprintf(server_pem, sizeof(server_pem), "%s/server.pem", certs);
    snprintf(ca, sizeof(ca), "%s/ca.pem", certs);
    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    s.extra = args;
    ck_assert_int_eq(fx_server_start(&s), 0);
    mongoc_client_t *root = tls_client(&s, certs, "root:secret@", "&authSource=admin");
    CMD_OK(root, "$external",
           "{'createUser': '" SUBJECT "', 'roles': [{'role': 'readWrite', 'db': 'x509db'}]}", &r);
    bson_destroy(&r);
    CMD_OK(root, "$external", "{'usersInfo': '" SUBJECT "'}", &r);
    ASSERT_STR(&r, "users.0.mechanisms.0", "external");
    bson_destroy(&r);
    mongoc_client_destroy(root);
    /* the driver's MONGODB-X509 (speculative in its hello) */
    mongoc_client_t *c = tls_client(&s, certs, "", "&authMechanism=MONGODB-X509");
    CMD_OK(c, "x509db", "{'insert': 'c', 'documents': [{'a': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'connectionStatus': 1}", &r);
    ASSERT_STR(&r, "authInfo.authenticatedUsers.0.user", SUBJECT);
    ASSERT_STR(&r, "authInfo.authenticatedUsers.0.db", "$external");
    bson_destroy(&r);
    CMD_ERR(c, "other", "{'find': 'c'}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    /* the commands by hand */
    c = tls_client(&s, certs, "", "");
    CMD_ERR(c, "test", "{'authenticate': 1, 'mechanism': 'MONGODB-X509'}", &r, 17, "ProtocolError");
    ASSERT_STR(&r, "errmsg", "X.509 authentication must always use the $external database.");
    bson_destroy(&r);
    CMD_ERR(c, "$external", "{'authenticate': 1, 'mechanism': 'MONGODB-X509', 'user': 'CN=x'}", &r,
            18, "AuthenticationFailed");
    bson_destroy(&r);
    CMD_OK(c, "$external",
           "{'authenticate': 1, 'mechanism': 'MONGODB-X509', 'user': '" SUBJECT "'}", &r);
    ASSERT_STR(&r, "user", SUBJECT);
    ASSERT_STR(&r, "dbname", "$external");
    bson_destroy(&r);
    CMD_OK(c, "x509db", "{'find': 'c'}", &r);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'logout': 1}", &r);
    bson_destroy(&r);
    CMD_OK(c, "$external", "{'saslStart': 1, 'mechanism': 'MONGODB-X509', 'payload': ''}", &r);
    ck_assert(fx_bool(&r, "done"));
    bson_destroy(&r);
    CMD_OK(c, "x509db", "{'find': 'c'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    fx_rm_rf(certs);
}
END_TEST

/* ---- logical sessions belong to their user ---------------------------------------------
 * mongod keys a session by (lsid.id, uid), uid the SHA-256 of "user@db", so two users (sa,
 * sb) sending the same lsid id have two sessions: transactions, retryable writes, cursors,
 * killSessions / endSessions and the session listings keep them apart. */

/* The one lsid id both users send (each test its own, so their sessions stay apart). */
#define LSID_ID_ONLY "'id': {'$binary': {'base64': 'ERERERERQRGBERERERERQQ==', 'subType': '04'}}"
#define LSID "'lsid': {" LSID_ID_ONLY "}"
#define LSID_L                                                                                     \
    "'lsid': {'id': {'$binary': {'base64': 'IiIiIiIiQiKCIiIiIiIiQg==', 'subType': '04'}}}"
#define LSID_L_MATCH                                                                               \
    "{'$match': {'_id.id': {'$binary': {'base64': 'IiIiIiIiQiKCIiIiIiIiQg==', 'subType': '04'}}}}"

/* users -- root creates sa and sb (readWrite on `db`); *a and *b are their clients. */
static mongoc_client_t *
users(const char *db, mongoc_client_t **a, mongoc_client_t **b)
{
    mongoc_client_t *root = root_client();
    bson_t r;

    CMD_OK(root, db, "{'createUser': 'sa', 'pwd': 'p', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    CMD_OK(root, db, "{'createUser': 'sb', 'pwd': 'p', 'roles': ['readWrite']}", &r);
    bson_destroy(&r);
    *a = fx_client_as(&it_srv, "sa", "p", db, NULL);
    *b = fx_client_as(&it_srv, "sb", "p", db, NULL);
    return root;
}

/* A transaction started by sa under the lsid is not sb's: sb neither continues it (251) nor
 * sees its write, and starts its own transaction of the same number; sa's commit makes only
 * sa's write visible, sb's abort drops sb's. */
START_TEST(test_transactions_apart)
{
    mongoc_client_t *a, *b, *root = users("st", &a, &b);
    bson_t r;

    CMD_OK(root, "st", "{'create': 'x'}", &r);
    bson_destroy(&r);
    CMD_OK(a, "st",
           "{'insert': 'x', 'documents': [{'_id': 'a'}], " LSID ", 'txnNumber': {'$numberLong': "
           "'1'}, 'startTransaction': true, 'autocommit': false}",
           &r);
    bson_destroy(&r);
    CMD_ERR(b, "st",
            "{'find': 'x', " LSID ", 'txnNumber': {'$numberLong': '1'}, 'autocommit': false}", &r,
            251, "NoSuchTransaction");
    bson_destroy(&r);
    CMD_OK(b, "st",
           "{'find': 'x', " LSID ", 'txnNumber': {'$numberLong': '1'}, 'startTransaction': true, "
           "'autocommit': false}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 0); /* not sa's uncommitted write */
    bson_destroy(&r);
    CMD_OK(b, "st",
           "{'insert': 'x', 'documents': [{'_id': 'b'}], " LSID ", 'txnNumber': {'$numberLong': "
           "'1'}, 'autocommit': false}",
           &r);
    bson_destroy(&r);
    CMD_OK(a, "admin",
           "{'commitTransaction': 1, " LSID ", 'txnNumber': {'$numberLong': '1'}, "
           "'autocommit': false}",
           &r);
    bson_destroy(&r);
    CMD_OK(b, "admin",
           "{'abortTransaction': 1, " LSID ", 'txnNumber': {'$numberLong': '1'}, "
           "'autocommit': false}",
           &r);
    bson_destroy(&r);
    CMD_OK(root, "st", "{'find': 'x'}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "a");
    bson_destroy(&r);
    /* retryable writes: sa's txnNumber 5 does not make sb's 3 too old (225) */
    CMD_OK(a, "st",
           "{'insert': 'x', 'documents': [{'_id': 'a5'}], " LSID ", 'txnNumber': {'$numberLong': "
           "'5'}}",
           &r);
    bson_destroy(&r);
    CMD_OK(b, "st",
           "{'insert': 'x', 'documents': [{'_id': 'b3'}], " LSID ", 'txnNumber': {'$numberLong': "
           "'3'}}",
           &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    mongoc_client_destroy(root);
}
END_TEST

/* find_cursor -- c opens a cursor on sk.k under the lsid; gm receives its getMore. */
static void
find_cursor(mongoc_client_t *c, char *gm, size_t len)
{
    bson_t r;
    int64_t id;

    CMD_OK(c, "sk", "{'find': 'k', 'batchSize': 1, " LSID "}", &r);
    id = fx_int(&r, "cursor.id");
    ck_assert_msg(id != 0, "no cursor: %s", fx_to_json(&r));
    bson_destroy(&r);
    snprintf(gm, len,
             "{'getMore': {'$numberLong': '%lld'}, 'collection': 'k', 'batchSize': 1, " LSID "}",
             (long long)id);
}

/* killSessions and endSessions of the lsid reach only the caller's own session: sb's leave
 * sa's cursor alive, sa's own kill it; killSessions [] under --auth kills the caller's. */
START_TEST(test_kill_own_only)
{
    mongoc_client_t *a, *b, *root = users("sk", &a, &b);
    char gm[256];
    bson_t r;

    CMD_OK(root, "sk", "{'insert': 'k', 'documents': [{'a': 1}, {'a': 2}, {'a': 3}, {'a': 4}]}",
           &r);
    bson_destroy(&r);
    find_cursor(a, gm, sizeof(gm));
    CMD_OK(b, "admin", "{'killSessions': [{" LSID_ID_ONLY "}]}", &r);
    bson_destroy(&r);
    CMD_OK(b, "admin", "{'killSessions': []}", &r);
    bson_destroy(&r);
    CMD_OK(b, "admin", "{'endSessions': [{" LSID_ID_ONLY "}]}", &r);
    bson_destroy(&r);
    CMD_OK(a, "sk", gm, &r); /* still there */
    ASSERT_INT(&r, "cursor.nextBatch.0.a", 2);
    bson_destroy(&r);
    CMD_OK(a, "admin", "{'killSessions': [{" LSID_ID_ONLY "}]}", &r);
    bson_destroy(&r);
    CMD_ERR(a, "sk", gm, &r, 43, "CursorNotFound");
    bson_destroy(&r);
    find_cursor(a, gm, sizeof(gm)); /* killSessions [] kills the caller's sessions */
    CMD_OK(a, "admin", "{'killSessions': []}", &r);
    bson_destroy(&r);
    CMD_ERR(a, "sk", gm, &r, 43, "CursorNotFound");
    bson_destroy(&r);
    CMD_ERR(a, "admin", "{'killAllSessions': []}", &r, 13, "Unauthorized");
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    mongoc_client_destroy(root);
}
END_TEST

/* count_sessions -- how many sessions of the lsid id a $listLocalSessions / $listSessions
 * stage `stage` lists to c. */
static int64_t
count_sessions(mongoc_client_t *c, const char *db, const char *coll, const char *stage)
{
    char cmd[512];
    bson_t r;
    int64_t n;

    snprintf(cmd, sizeof(cmd),
             "{'aggregate': %s, 'pipeline': [%s, " LSID_L_MATCH "], 'cursor': {}}", coll, stage);
    CMD_OK(c, db, cmd, &r);
    n = fx_array_len(&r, "cursor.firstBatch");
    bson_destroy(&r);
    return n;
}

/* One lsid id, two users: two sessions, each listed to its user, both with allUsers, one
 * with users: [sa]; the same in config.system.sessions through $listSessions. */
START_TEST(test_list_sessions)
{
    mongoc_client_t *a, *b, *root = users("sl", &a, &b);
    bson_t r;

    CMD_OK(a, "sl", "{'find': 'l', " LSID_L "}", &r);
    bson_destroy(&r);
    CMD_OK(b, "sl", "{'find': 'l', " LSID_L "}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(
        count_sessions(root, "admin", "1", "{'$listLocalSessions': {'allUsers': true}}"), 2);
    ck_assert_int_eq(
        count_sessions(root, "admin", "1",
                       "{'$listLocalSessions': {'users': [{'user': 'sa', 'db': 'sl'}]}}"),
        1);
    ck_assert_int_eq(count_sessions(root, "admin", "1", "{'$listLocalSessions': {}}"), 0);
    ck_assert_int_eq(count_sessions(a, "admin", "1", "{'$listLocalSessions': {}}"), 1);
    CMD_ERR(a, "admin",
            "{'aggregate': 1, 'pipeline': [{'$listLocalSessions': {'allUsers': true}}], "
            "'cursor': {}}",
            &r, 13, "Unauthorized");
    bson_destroy(&r);
    CMD_OK(root, "admin", "{'refreshLogicalSessionCacheNow': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(count_sessions(root, "config", "'system.sessions'",
                                    "{'$listSessions': {'allUsers': true}}"),
                     2);
    ck_assert_int_eq(count_sessions(root, "config", "'system.sessions'",
                                    "{'$listSessions': {'users': [{'user': 'sb', 'db': 'sl'}]}}"),
                     1);
    ck_assert_int_eq(count_sessions(root, "config", "'system.sessions'", "{'$listSessions': {}}"),
                     0);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    mongoc_client_destroy(root);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = it_tcase(s, "shared", false);
    tcase_add_unchecked_fixture(tc, auth_up, it_shared_down);
    tcase_add_test(tc, test_root_scram_both);
    tcase_add_test(tc, test_wrong_password);
    tcase_add_test(tc, test_unauthenticated);
    tcase_add_test(tc, test_read_user_cannot_write);
    tcase_add_test(tc, test_users_info_shapes);
    tcase_add_test(tc, test_custom_role);
    tcase_add_test(tc, test_user_admin_scope);
    tcase_add_test(tc, test_privileges_follow_changes);
    tcase_add_test(tc, test_hostile_sasl);
    tcase_add_test(tc, test_hello_mechs);
    tcase_add_test(tc, test_cursor_owner);
    tcase_add_test(tc, test_transactions_apart);
    tcase_add_test(tc, test_kill_own_only);
    tcase_add_test(tc, test_list_sessions);
    TCase *own = it_tcase(s, "own", false);
    tcase_add_test(own, test_localhost_exception);
    tcase_add_test(own, test_initdb_environment);
    tcase_add_test(own, test_config_file);
    tcase_add_test(own, test_x509);
    return it_main(s);
}
