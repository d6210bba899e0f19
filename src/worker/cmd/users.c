/*
 * src/worker/cmd/users.c -- createUser, updateUser, dropUser, dropAllUsersFromDatabase,
 * usersInfo, grantRolesToUser, revokeRolesFromUser.
 *
 * Users are documents of admin.system.users (auth/users.h): a command reads the document,
 * builds the new one and replaces it (compare-and-swap in the store: a racing change fails
 * with WriteConflict rather than being lost).  A connection already authenticated as a
 * changed user keeps the privileges it resolved at login until it authenticates again.
 * Passwords never reach the store: only SCRAM credentials do (auth/scram.h).
 * Event-loop thread only.
 */
#include "../auth/users.h"
#include "../../common/sdb.h"
#include "../auth/authz.h"
#include "../command.h"
#include "../conn.h"
#include "../engine/args.h"
#include "../query/matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields each command takes besides the generic ones (engine/args.h): others are 40415,
 * as mongod's IDL answers; authenticationRestrictions is refused rather than ignored. */
static const char *const roles_only[] = {"roles", NULL};
static const char *const no_fields[] = {NULL};
static const char *const user_fields[] = {"pwd",        "customData", "roles", "digestPassword",
                                          "mechanisms", NULL};

static int
check_user_fields(wk_cmd_t *cmd, const char *const *known)
{
    if (bson_has_field(cmd->body, "authenticationRestrictions"))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "authenticationRestrictions are not supported by this server");
    return wk_cmdu_check_fields(cmd, known);
}

/* The command's first field as a user name in *name (a non-empty string). */
static int
user_arg(wk_cmd_t *cmd, const char **name)
{
    bson_iter_t it;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.%s' is the wrong type '%s', expected type 'string'",
                             cmd->name, cmd->name, "non-string");
    *name = bson_iter_utf8(&it, NULL);
    if ((*name)[0] == '\0')
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "User name must not be empty");
    return 0;
}

static const char *
str_of(const bson_t *doc, const char *field)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, field) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return NULL;
}

static bool
external(const char *db)
{
    return strcmp(db, "$external") == 0;
}

/* The password rules of createUser/updateUser. */
static int
check_pwd(wk_cmd_t *cmd, const char **pwd, bool required)
{
    bson_iter_t it;

    *pwd = NULL;
    if (bson_iter_init_find(&it, cmd->body, "digestPassword") && !bson_iter_as_bool(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Use of SCRAM-SHA-256 requires undigested passwords");
    if (!bson_iter_init_find(&it, cmd->body, "pwd")) {
        if (required && !external(cmd->db))
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "Must provide a 'pwd' field for all user documents, except "
                                 "those with '$external' as the user's source db");
        return 0;
    }
    if (external(cmd->db))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Cannot set the password for users defined on the '$external' "
                             "database");
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.pwd' is the wrong type, expected type 'string'",
                             cmd->name);
    *pwd = bson_iter_utf8(&it, NULL);
    if ((*pwd)[0] == '\0')
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Password cannot be empty");
    return 0;
}

static int
custom_arg(wk_cmd_t *cmd, bson_iter_t *it, bool *has)
{
    *has = bson_iter_init_find(it, cmd->body, "customData");
    if (*has && !BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.customData' is the wrong type, expected type "
                             "'object'",
                             cmd->name);
    return 0;
}

/*
 * wk_cmd_create_user --
 *     {createUser: name, pwd, roles, customData?, mechanisms?, digestPassword?}.
 */
int
wk_cmd_create_user(wk_cmd_t *cmd)
{
    const char *name, *pwd;
    bson_t roles = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    bson_iter_t it, custom;
    bool has_custom, dup;
    unsigned mechs;
    int ret;

    SDB_ERR(check_user_fields(cmd, user_fields));
    SDB_ERR(user_arg(cmd, &name));
    SDB_ERR(check_pwd(cmd, &pwd, true));
    SDB_ERR(custom_arg(cmd, &custom, &has_custom));
    if (!bson_iter_init_find(&it, cmd->body, "roles")) {
        ret = sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                            "BSON field 'createUser.roles' is missing but a required field");
        goto err;
    }
    SDB_ERR(wk_auth_roles_normalize(&it, cmd->db, &roles, &cmd->err));
    SDB_ERR(wk_auth_mechs_parse(cmd->body, &mechs, &cmd->err));
    if (external(cmd->db)) {
        bson_t creds;
        char id[512];
        bson_iter_t arr;
        snprintf(id, sizeof(id), "%s.%s", cmd->db, name);
        BSON_APPEND_UTF8(&doc, "_id", id);
        BSON_APPEND_UTF8(&doc, "user", name);
        BSON_APPEND_UTF8(&doc, "db", cmd->db);
        BSON_APPEND_DOCUMENT_BEGIN(&doc, "credentials", &creds);
        BSON_APPEND_BOOL(&creds, "external", true);
        bson_append_document_end(&doc, &creds);
        BSON_APPEND_ARRAY(&doc, "roles", &roles);
        if (has_custom)
            bson_append_iter(&doc, "customData", -1, &custom);
        BSON_APPEND_ARRAY_BEGIN(&doc, "mechanisms", &creds);
        BSON_APPEND_UTF8(&creds, "0", "external");
        bson_append_array_end(&doc, &creds);
        (void)arr;
    } else {
        bson_destroy(&doc);
        SDB_ERR(wk_auth_user_new(cmd->db, name, pwd, &roles, has_custom ? &custom : NULL, mechs,
                                 &doc, &cmd->err));
    }
    SDB_ERR(wk_authdb_insert(WK_USERS_NS, &doc, &dup, &cmd->err));
    if (dup)
        ret = sdb_error_set(&cmd->err, SDB_CODE_Location51003, "User \"%s@%s\" already exists",
                            name, cmd->db);
err:
    bson_destroy(&doc);
    bson_destroy(&roles);
    return ret;
}

/* Read user name@db for a change: 11 UserNotFound when it does not exist. */
static int
load_user(wk_cmd_t *cmd, const char *name, bson_t *doc, int64_t *r)
{
    bool found;

    SDB_RET(wk_authdb_get(WK_USERS_NS, cmd->db, name, doc, r, &found, &cmd->err));
    if (!found)
        return sdb_error_set(&cmd->err, SDB_CODE_UserNotFound,
                             "Could not find user \"%s\" for db \"%s\"", name, cmd->db);
    return 0;
}

/*
 * wk_cmd_update_user --
 *     {updateUser: name, pwd?, customData?, roles?, mechanisms?}.
 */
int
wk_cmd_update_user(wk_cmd_t *cmd)
{
    const char *name, *pwd;
    bson_t doc, repl = BSON_INITIALIZER, roles = BSON_INITIALIZER;
    bson_iter_t it, custom;
    bool has_custom;
    unsigned mechs;
    int64_t r;
    int ret;

    bson_init(&doc);
    SDB_ERR(check_user_fields(cmd, user_fields));
    SDB_ERR(user_arg(cmd, &name));
    SDB_ERR(check_pwd(cmd, &pwd, false));
    SDB_ERR(custom_arg(cmd, &custom, &has_custom));
    if (pwd == NULL && !has_custom && !bson_has_field(cmd->body, "roles") &&
        !bson_has_field(cmd->body, "mechanisms")) {
        ret = sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                            "Must specify at least one field to update in updateUser");
        goto err;
    }
    if (bson_has_field(cmd->body, "mechanisms") && pwd == NULL) {
        ret = sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                            "mechanisms field must be a subset of previously set mechanisms");
        goto err;
    }
    bson_destroy(&doc);
    SDB_ERR(load_user(cmd, name, &doc, &r));
    if (pwd != NULL) {
        SDB_ERR(wk_auth_mechs_parse(cmd->body, &mechs, &cmd->err));
        SDB_ERR(wk_auth_credentials_append(&repl, name, pwd, mechs, &cmd->err));
    }
    if (has_custom)
        bson_append_iter(&repl, "customData", -1, &custom);
    if (bson_iter_init_find(&it, cmd->body, "roles")) {
        SDB_ERR(wk_auth_roles_normalize(&it, cmd->db, &roles, &cmd->err));
        BSON_APPEND_ARRAY(&repl, "roles", &roles);
    }
    ret = wk_authdb_update_fields(WK_USERS_NS, r, &doc, &repl, &cmd->err);
err:
    bson_destroy(&roles);
    bson_destroy(&repl);
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_cmd_drop_user --
 *     {dropUser: name}.
 */
int
wk_cmd_drop_user(wk_cmd_t *cmd)
{
    const char *name;
    bson_t doc;
    int64_t r;
    int ret;

    SDB_RET(check_user_fields(cmd, no_fields));
    SDB_RET(user_arg(cmd, &name));
    ret = load_user(cmd, name, &doc, &r);
    if (ret == 0)
        ret = wk_authdb_delete(WK_USERS_NS, r, &doc, &cmd->err);
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_cmd_drop_all_users_from_database --
 *     {dropAllUsersFromDatabase: 1}: {n}.
 */
int
wk_cmd_drop_all_users_from_database(wk_cmd_t *cmd)
{
    wk_authdb_docs_t c = {NULL, NULL, 0, 0};
    int ret;
    int32_t n = 0;

    ret = wk_authdb_list(WK_USERS_NS, cmd->db, &c, &cmd->err);
    for (size_t i = 0; ret == 0 && i < c.n; i++)
        if ((ret = wk_authdb_delete(WK_USERS_NS, c.rs[i], c.docs[i], &cmd->err)) == 0)
            n++;
    wk_authdb_docs_free(&c);
    if (ret == 0)
        BSON_APPEND_INT32(cmd->reply, "n", n);
    return ret;
}

/* Grant (add) or revoke (remove) the roles argument to/from user name. */
static int
change_roles(wk_cmd_t *cmd, bool grant)
{
    const char *name;
    bson_t doc, given = BSON_INITIALIZER, roles = BSON_INITIALIZER, repl = BSON_INITIALIZER;
    bson_iter_t it, cur;
    uint32_t n = 0;
    int64_t r;
    int ret;

    bson_init(&doc);
    SDB_ERR(check_user_fields(cmd, roles_only));
    SDB_ERR(user_arg(cmd, &name));
    if (!bson_iter_init_find(&it, cmd->body, "roles")) {
        ret = sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                            "BSON field '%s.roles' is missing but a required field", cmd->name);
        goto err;
    }
    SDB_ERR(wk_auth_roles_normalize(&it, cmd->db, &given, &cmd->err));
    bson_destroy(&doc);
    SDB_ERR(load_user(cmd, name, &doc, &r));
    if (bson_iter_init_find(&cur, &doc, "roles") && bson_iter_recurse(&cur, &it)) {
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t role;
            char key[16];
            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                continue;
            bson_iter_document(&it, &len, &data);
            bson_init_static(&role, data, len);
            if (!grant &&
                wk_auth_roles_contains(&given, str_of(&role, "role"), str_of(&role, "db")))
                continue;
            snprintf(key, sizeof(key), "%u", n++);
            BSON_APPEND_DOCUMENT(&roles, key, &role);
        }
    }
    if (grant && bson_iter_init_find(&it, cmd->body, "roles")) /* appends the new ones */
        SDB_ERR(wk_auth_roles_normalize(&it, cmd->db, &roles, &cmd->err));
    BSON_APPEND_ARRAY(&repl, "roles", &roles);
    ret = wk_authdb_update_fields(WK_USERS_NS, r, &doc, &repl, &cmd->err);
err:
    bson_destroy(&repl);
    bson_destroy(&roles);
    bson_destroy(&given);
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_cmd_grant_roles_to_user --
 *     {grantRolesToUser: name, roles}.
 */
int
wk_cmd_grant_roles_to_user(wk_cmd_t *cmd)
{
    return change_roles(cmd, true);
}

/*
 * wk_cmd_revoke_roles_from_user --
 *     {revokeRolesFromUser: name, roles}.
 */
int
wk_cmd_revoke_roles_from_user(wk_cmd_t *cmd)
{
    return change_roles(cmd, false);
}

/* ---- usersInfo ------------------------------------------------------------------------- */

typedef struct info_opts {
    bool creds, privs, custom;
    wk_matcher_t *filter;
} info_opts_t;

/* One user as usersInfo shows it. */
static int
append_info(wk_cmd_t *cmd, const bson_t *doc, const info_opts_t *o, bson_t *arr, uint32_t *n)
{
    bson_t u, sub;
    bson_iter_t it;
    char key[16];
    int ret = 0;

    bson_init(&u);
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if ((strcmp(k, "credentials") == 0 && !o->creds) ||
            (strcmp(k, "customData") == 0 && !o->custom))
            continue;
        bson_append_iter(&u, k, -1, &it);
    }
    if (o->privs && bson_iter_init_find(&it, doc, "roles")) {
        wk_privset_t privs = {NULL, 0, 0};
        bson_t all = BSON_INITIALIZER;
        ret = wk_auth_resolve(&it, &privs, &all, &cmd->err);
        BSON_APPEND_ARRAY(&u, "inheritedRoles", &all);
        BSON_APPEND_ARRAY_BEGIN(&u, "inheritedPrivileges", &sub);
        wk_privset_append(&privs, &sub);
        bson_append_array_end(&u, &sub);
        BSON_APPEND_ARRAY_BEGIN(&u, "inheritedAuthenticationRestrictions", &sub);
        bson_append_array_end(&u, &sub);
        wk_privset_free(&privs);
        bson_destroy(&all);
    }
    if (ret == 0 && (o->filter == NULL || wk_matcher_matches(o->filter, &u, NULL))) {
        snprintf(key, sizeof(key), "%u", (*n)++);
        BSON_APPEND_DOCUMENT(arr, key, &u);
    }
    bson_destroy(&u);
    return ret;
}

static int
cmp_id(const void *a, const void *b)
{
    const char *x = str_of(*(bson_t *const *)a, "db"), *y = str_of(*(bson_t *const *)b, "db");
    int c = strcmp(x ? x : "", y ? y : "");

    if (c != 0)
        return c;
    x = str_of(*(bson_t *const *)a, "user");
    y = str_of(*(bson_t *const *)b, "user");
    return strcmp(x ? x : "", y ? y : "");
}

/* Whether a user document is one of the names asked for (a string, {user, db} or an array of
 * them); names in `db` by default. */
static bool
asked(const bson_iter_t *q, const char *db, const bson_t *doc)
{
    const char *user = str_of(doc, "user"), *udb = str_of(doc, "db");
    bson_iter_t a, f;

    if (user == NULL || udb == NULL)
        return false;
    if (BSON_ITER_HOLDS_UTF8(q))
        return strcmp(bson_iter_utf8(q, NULL), user) == 0 && strcmp(db, udb) == 0;
    if (BSON_ITER_HOLDS_DOCUMENT(q) && bson_iter_recurse(q, &f)) {
        const char *u = NULL, *d = NULL;
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "user") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                u = bson_iter_utf8(&f, NULL);
            else if (strcmp(bson_iter_key(&f), "db") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                d = bson_iter_utf8(&f, NULL);
        }
        return u != NULL && d != NULL && strcmp(u, user) == 0 && strcmp(d, udb) == 0;
    }
    if (BSON_ITER_HOLDS_ARRAY(q) && bson_iter_recurse(q, &a)) {
        while (bson_iter_next(&a))
            if (asked(&a, db, doc))
                return true;
    }
    return false;
}

static int
info_opts(wk_cmd_t *cmd, const bson_iter_t *q, info_opts_t *o)
{
    bson_iter_t it;

    o->creds = bson_iter_init_find(&it, cmd->body, "showCredentials") && bson_iter_as_bool(&it);
    o->privs = bson_iter_init_find(&it, cmd->body, "showPrivileges") && bson_iter_as_bool(&it);
    o->custom = !bson_iter_init_find(&it, cmd->body, "showCustomData") || bson_iter_as_bool(&it);
    o->filter = NULL;
    if (bson_iter_init_find(&it, cmd->body, "showAuthenticationRestrictions") &&
        bson_iter_as_bool(&it) && o->privs)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "showAuthenticationRestrictions may not be used with showPrivileges");
    if (bson_iter_init_find(&it, cmd->body, "filter")) {
        const uint8_t *data;
        uint32_t len;
        bson_t f;
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                                 "BSON field 'usersInfo.filter' is the wrong type, expected "
                                 "type 'object'");
        if (!BSON_ITER_HOLDS_NUMBER(q) && !BSON_ITER_HOLDS_DOCUMENT(q))
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "Filter is only allowed in forms usersInfo: 1 and "
                                 "usersInfo: {forAllDBs: true}");
        bson_iter_document(&it, &len, &data);
        bson_init_static(&f, data, len);
        SDB_RET(wk_matcher_new(&f, &o->filter, &cmd->err));
    }
    return 0;
}

/*
 * wk_cmd_users_info --
 *     {usersInfo: 1 | name | {user, db} | [...] | {forAllDBs: true}, showCredentials?,
 *     showPrivileges?, showCustomData?, filter?}.
 */
int
wk_cmd_users_info(wk_cmd_t *cmd)
{
    bson_iter_t q;
    bson_t arr;
    info_opts_t o = {false, false, true, NULL};
    wk_authdb_docs_t c = {NULL, NULL, 0, 0};
    bool all_dbs = false, whole_db;
    uint32_t n = 0;
    int ret;

    bson_iter_init(&q, cmd->body);
    bson_iter_next(&q);
    whole_db = BSON_ITER_HOLDS_NUMBER(&q) && bson_iter_as_int64(&q) == 1;
    if (BSON_ITER_HOLDS_DOCUMENT(&q)) {
        bson_iter_t f;
        all_dbs =
            bson_iter_recurse(&q, &f) && bson_iter_find(&f, "forAllDBs") && bson_iter_as_bool(&f);
    }
    if (!whole_db && !all_dbs && !BSON_ITER_HOLDS_UTF8(&q) && !BSON_ITER_HOLDS_DOCUMENT(&q) &&
        !BSON_ITER_HOLDS_ARRAY(&q))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "User and role names must be either strings or objects");
    SDB_RET(info_opts(cmd, &q, &o));
    ret = wk_authdb_list(WK_USERS_NS, whole_db ? cmd->db : NULL, &c, &cmd->err);
    if (ret == 0)
        qsort(c.docs, c.n, sizeof(*c.docs), cmp_id);
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "users", &arr);
    for (size_t i = 0; ret == 0 && i < c.n; i++)
        if (whole_db || all_dbs || asked(&q, cmd->db, c.docs[i]))
            ret = append_info(cmd, c.docs[i], &o, &arr, &n);
    bson_append_array_end(cmd->reply, &arr);
    wk_authdb_docs_free(&c);
    wk_matcher_free(o.filter);
    return ret;
}
