/*
 * src/worker/cmd/roles.c -- createRole, updateRole, dropRole, dropAllRolesFromDatabase,
 * rolesInfo, grantPrivilegesToRole, revokePrivilegesFromRole, grantRolesToRole,
 * revokeRolesFromRole.
 *
 * Custom roles are documents of admin.system.roles (auth/users.h) {_id: "db.role", role, db,
 * privileges, roles}; privileges are checked (auth/privs.h: known actions, well-formed
 * resources) and stored in mongod's printed form.  Built-in roles (auth/privs.c's table)
 * cannot be created, changed or dropped.  A role dropped while users hold it is skipped when
 * their roles resolve, as mongod's resolution skips a missing role.  updateRole and the four
 * grant/revoke commands are one handler (wk_cmd_change_role): a table says which change each
 * makes to the stored role (change_role: read, edit its privileges or roles, write back).
 * Event-loop thread only.
 */
#include "../../common/sdb.h"
#include "../auth/privs.h"
#include "../auth/users.h"
#include "../command.h"
#include "../engine/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_fields[] = {"privileges", "roles", NULL};

static int
role_arg(wk_cmd_t *cmd, const char **name)
{
    bson_iter_t it;

    if (bson_has_field(cmd->body, "authenticationRestrictions"))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "authenticationRestrictions are not supported by this server");
    SDB_RET(wk_cmdu_check_fields(cmd, role_fields));

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.%s' is the wrong type, expected type 'string'",
                             cmd->name, cmd->name);
    *name = bson_iter_utf8(&it, NULL);
    if ((*name)[0] == '\0')
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Role name must not be empty");
    if (wk_role_builtin(*name, cmd->db, NULL) || strcmp(*name, "__system") == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             strcmp(cmd->name, "createRole") == 0
                                 ? "Cannot create roles with the same name as a built-in role"
                                 : "Cannot modify built-in role: %s@%s",
                             *name, cmd->db);
    return 0;
}

static int
required(wk_cmd_t *cmd, const char *field, bson_iter_t *it)
{
    if (!bson_iter_init_find(it, cmd->body, field))
        return sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                             "BSON field '%s.%s' is missing but a required field", cmd->name,
                             field);
    return 0;
}

/* Privileges argument into its printed form (appended to the array `out`). */
static int
privileges_arg(wk_cmd_t *cmd, const bson_iter_t *it, wk_privset_t *set, bson_t *out)
{
    SDB_RET(wk_privset_parse(it, set, &cmd->err));
    wk_privset_append(set, out);
    return 0;
}

/*
 * wk_cmd_create_role --
 *     {createRole: name, privileges, roles}.
 */
int
wk_cmd_create_role(wk_cmd_t *cmd)
{
    const char *name;
    bson_iter_t pit, rit;
    bson_t doc = BSON_INITIALIZER, privs = BSON_INITIALIZER, roles = BSON_INITIALIZER;
    wk_privset_t set = {NULL, 0, 0};
    char id[512];
    bool dup;
    int ret;

    SDB_ERR(role_arg(cmd, &name));
    SDB_ERR(required(cmd, "privileges", &pit));
    SDB_ERR(required(cmd, "roles", &rit));
    SDB_ERR(privileges_arg(cmd, &pit, &set, &privs));
    SDB_ERR(wk_auth_roles_normalize(&rit, cmd->db, &roles, &cmd->err));
    snprintf(id, sizeof(id), "%s.%s", cmd->db, name);
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "role", name);
    BSON_APPEND_UTF8(&doc, "db", cmd->db);
    BSON_APPEND_ARRAY(&doc, "privileges", &privs);
    BSON_APPEND_ARRAY(&doc, "roles", &roles);
    SDB_ERR(wk_authdb_insert(WK_ROLES_NS, &doc, &dup, &cmd->err));
    if (dup)
        ret = sdb_error_set(&cmd->err, SDB_CODE_Location51002, "Role \"%s@%s\" already exists",
                            name, cmd->db);
err:
    wk_privset_free(&set);
    bson_destroy(&roles);
    bson_destroy(&privs);
    bson_destroy(&doc);
    return ret;
}

static int
load_role(wk_cmd_t *cmd, const char *name, bson_t *doc, int64_t *r)
{
    bool found;

    SDB_RET(wk_authdb_get(WK_ROLES_NS, cmd->db, name, doc, r, &found, &cmd->err));
    if (!found)
        return sdb_error_set(&cmd->err, SDB_CODE_RoleNotFound, "Role %s@%s not found", name,
                             cmd->db);
    return 0;
}

/* How a change applies to the stored role. */
typedef enum {
    SET_FIELDS,
    ADD_PRIVS,
    DEL_PRIVS,
    ADD_ROLES,
    DEL_ROLES
} change_t;

/* revoke: clear the given actions from the set's equal resources; drop emptied ones. */
static void
privset_remove(wk_privset_t *set, const wk_privset_t *del)
{
    size_t k = 0;

    for (size_t i = 0; i < set->n; i++) {
        wk_priv_t *p = &set->v[i];
        for (size_t j = 0; j < del->n; j++) {
            const wk_priv_t *d = &del->v[j];
            if (d->kind == p->kind && strcmp(d->db, p->db) == 0 && strcmp(d->coll, p->coll) == 0) {
                p->acts.w[0] &= ~d->acts.w[0];
                p->acts.w[1] &= ~d->acts.w[1];
            }
        }
        if (p->acts.w[0] != 0 || p->acts.w[1] != 0)
            set->v[k++] = *p;
    }
    set->n = k;
}

/* The new privileges field of a role (its document `doc`). */
static int
new_privileges(wk_cmd_t *cmd, const bson_t *doc, change_t how, bson_t *out)
{
    wk_privset_t set = {NULL, 0, 0}, arg = {NULL, 0, 0};
    bson_iter_t it;
    int ret = 0;

    if (how != SET_FIELDS && bson_iter_init_find(&it, doc, "privileges"))
        ret = wk_privset_parse(&it, &set, &cmd->err);
    if (ret == 0 && (ret = required(cmd, "privileges", &it)) == 0)
        ret = wk_privset_parse(&it, &arg, &cmd->err);
    if (ret == 0) {
        if (how == DEL_PRIVS)
            privset_remove(&set, &arg);
        else
            wk_privset_merge(&set, &arg);
        wk_privset_append(&set, out);
    }
    wk_privset_free(&arg);
    wk_privset_free(&set);
    return ret;
}

/* The new roles field of a role. */
static int
new_roles(wk_cmd_t *cmd, const bson_t *doc, change_t how, bson_t *out)
{
    bson_t given = BSON_INITIALIZER;
    bson_iter_t it, arr;
    uint32_t n = 0;
    int ret;

    SDB_RET(required(cmd, "roles", &it));
    ret = wk_auth_roles_normalize(&it, cmd->db, &given, &cmd->err);
    if (ret == 0 && how != SET_FIELDS && bson_iter_init_find(&it, doc, "roles") &&
        bson_iter_recurse(&it, &arr)) {
        while (bson_iter_next(&arr)) {
            const char *r, *d;
            char key[16];

            if (!wk_auth_role_pair(&arr, &r, &d))
                continue;
            if (how == DEL_ROLES && wk_auth_roles_contains(&given, r, d))
                continue;
            snprintf(key, sizeof(key), "%u", n++);
            bson_append_iter(out, key, -1, &arr);
        }
    }
    if (ret == 0 && how != DEL_ROLES && bson_iter_init_find(&it, cmd->body, "roles"))
        ret = wk_auth_roles_normalize(&it, cmd->db, out, &cmd->err);
    bson_destroy(&given);
    return ret;
}

/* Read, change and write back one role. */
static int
change_role(wk_cmd_t *cmd, change_t how)
{
    const char *name;
    bson_t doc, repl = BSON_INITIALIZER, privs = BSON_INITIALIZER, roles = BSON_INITIALIZER;
    bool set_privs, set_roles;
    int64_t r;
    int ret;

    bson_init(&doc);
    SDB_ERR(role_arg(cmd, &name));
    set_privs = how == ADD_PRIVS || how == DEL_PRIVS ||
                (how == SET_FIELDS && bson_has_field(cmd->body, "privileges"));
    set_roles = how == ADD_ROLES || how == DEL_ROLES ||
                (how == SET_FIELDS && bson_has_field(cmd->body, "roles"));
    if (how == SET_FIELDS && !set_privs && !set_roles) {
        ret = sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                            "Must specify at least one field to update in updateRole");
        goto err;
    }
    bson_destroy(&doc);
    SDB_ERR(load_role(cmd, name, &doc, &r));
    if (set_privs)
        SDB_ERR(new_privileges(cmd, &doc, how, &privs));
    if (set_roles)
        SDB_ERR(new_roles(cmd, &doc, how, &roles));
    if (set_privs)
        BSON_APPEND_ARRAY(&repl, "privileges", &privs);
    if (set_roles)
        BSON_APPEND_ARRAY(&repl, "roles", &roles);
    ret = wk_authdb_update_fields(WK_ROLES_NS, r, &doc, &repl, &cmd->err);
err:
    bson_destroy(&roles);
    bson_destroy(&privs);
    bson_destroy(&repl);
    bson_destroy(&doc);
    return ret;
}

/* Which change each role-editing command makes (commands.def routes all five here). */
static const struct {
    const char *name;
    change_t how;
} role_changes[] = {
    {"updateRole", SET_FIELDS},           /* {updateRole: name, privileges?, roles?} */
    {"grantPrivilegesToRole", ADD_PRIVS}, /* {grantPrivilegesToRole: name, privileges} */
    {"revokePrivilegesFromRole", DEL_PRIVS},
    {"grantRolesToRole", ADD_ROLES}, /* {grantRolesToRole: name, roles} */
    {"revokeRolesFromRole", DEL_ROLES},
};

/*
 * wk_cmd_change_role --
 *     updateRole, grant/revokePrivilegesToRole/FromRole, grant/revokeRolesToRole/FromRole:
 *     read the role, change its privileges or roles as role_changes says, write it back.
 */
int
wk_cmd_change_role(wk_cmd_t *cmd)
{
    for (size_t i = 0; i < sizeof(role_changes) / sizeof(role_changes[0]); i++)
        if (strcmp(cmd->name, role_changes[i].name) == 0)
            return change_role(cmd, role_changes[i].how);
    return sdb_error_set(&cmd->err, SDB_CODE_CommandNotFound, "no such command: '%s'", cmd->name);
}

/*
 * wk_cmd_drop_role --
 *     {dropRole: name}.
 */
int
wk_cmd_drop_role(wk_cmd_t *cmd)
{
    const char *name;
    bson_t doc;
    int64_t r;
    int ret;

    SDB_RET(role_arg(cmd, &name));
    ret = load_role(cmd, name, &doc, &r);
    if (ret == 0)
        ret = wk_authdb_delete(WK_ROLES_NS, r, &doc, &cmd->err);
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_cmd_drop_all_roles_from_database --
 *     {dropAllRolesFromDatabase: 1}: {n}.
 */
int
wk_cmd_drop_all_roles_from_database(wk_cmd_t *cmd)
{
    wk_authdb_docs_t l = {NULL, NULL, 0, 0};
    int32_t n = 0;
    int ret;

    ret = wk_authdb_list(WK_ROLES_NS, cmd->db, &l, &cmd->err);
    for (size_t i = 0; ret == 0 && i < l.n; i++)
        if ((ret = wk_authdb_delete(WK_ROLES_NS, l.rs[i], l.docs[i], &cmd->err)) == 0)
            n++;
    wk_authdb_docs_free(&l);
    if (ret == 0)
        BSON_APPEND_INT32(cmd->reply, "n", n);
    return ret;
}

/* ---- rolesInfo ------------------------------------------------------------------------- */

/* One role as rolesInfo shows it; doc is NULL for a built-in role. */
static int
append_role(wk_cmd_t *cmd, const char *role, const char *db, const bson_t *doc, bool privs,
            bson_t *arr, uint32_t *n)
{
    bson_t r = BSON_INITIALIZER, self = BSON_INITIALIZER, all = BSON_INITIALIZER, sub, e;
    wk_privset_t own = {NULL, 0, 0}, inh = {NULL, 0, 0};
    bson_iter_t it;
    char key[16];
    int ret = 0;

    if (doc != NULL)
        BSON_APPEND_UTF8(&r, "_id",
                         bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it)
                             ? bson_iter_utf8(&it, NULL)
                             : "");
    BSON_APPEND_UTF8(&r, "role", role);
    BSON_APPEND_UTF8(&r, "db", db);
    BSON_APPEND_BOOL(&r, "isBuiltin", doc == NULL);
    if (doc != NULL && bson_iter_init_find(&it, doc, "roles")) {
        bson_append_iter(&r, "roles", -1, &it);
        ret = wk_auth_resolve(&it, &inh, &all, &cmd->err);
    } else {
        BSON_APPEND_ARRAY_BEGIN(&r, "roles", &sub);
        bson_append_array_end(&r, &sub);
    }
    BSON_APPEND_ARRAY(&r, "inheritedRoles", &all);
    if (privs) {
        if (doc == NULL)
            wk_role_builtin(role, db, &own);
        else if (bson_iter_init_find(&it, doc, "privileges"))
            ret = ret != 0 ? ret : wk_privset_parse(&it, &own, &cmd->err);
        wk_privset_merge(&inh, &own);
        BSON_APPEND_ARRAY_BEGIN(&r, "privileges", &sub);
        wk_privset_append(&own, &sub);
        bson_append_array_end(&r, &sub);
        BSON_APPEND_ARRAY_BEGIN(&r, "inheritedPrivileges", &sub);
        wk_privset_append(&inh, &sub);
        bson_append_array_end(&r, &sub);
    }
    (void)e;
    snprintf(key, sizeof(key), "%u", (*n)++);
    BSON_APPEND_DOCUMENT(arr, key, &r);
    wk_privset_free(&own);
    wk_privset_free(&inh);
    bson_destroy(&all);
    bson_destroy(&self);
    bson_destroy(&r);
    return ret;
}

/* One asked-for role: a name (in cmd->db) or {role, db}; absent roles are left out. */
static int
info_one(wk_cmd_t *cmd, const bson_iter_t *q, bool privs, bson_t *arr, uint32_t *n)
{
    char role[256] = "", db[64];
    bson_iter_t f;
    bson_t doc;
    bool found;
    int ret;

    snprintf(db, sizeof(db), "%s", cmd->db);
    if (BSON_ITER_HOLDS_UTF8(q)) {
        snprintf(role, sizeof(role), "%s", bson_iter_utf8(q, NULL));
    } else if (BSON_ITER_HOLDS_DOCUMENT(q) && bson_iter_recurse(q, &f)) {
        while (bson_iter_next(&f)) {
            if (!BSON_ITER_HOLDS_UTF8(&f))
                continue;
            if (strcmp(bson_iter_key(&f), "role") == 0)
                snprintf(role, sizeof(role), "%s", bson_iter_utf8(&f, NULL));
            else if (strcmp(bson_iter_key(&f), "db") == 0)
                snprintf(db, sizeof(db), "%s", bson_iter_utf8(&f, NULL));
        }
    } else {
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Role names must be either strings or objects");
    }
    if (wk_role_builtin(role, db, NULL))
        return append_role(cmd, role, db, NULL, privs, arr, n);
    SDB_RET(wk_authdb_get(WK_ROLES_NS, db, role, &doc, NULL, &found, &cmd->err));
    ret = found ? append_role(cmd, role, db, &doc, privs, arr, n) : 0;
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_cmd_roles_info --
 *     {rolesInfo: 1 | name | {role, db} | [...], showPrivileges?, showBuiltinRoles?}.
 */
int
wk_cmd_roles_info(wk_cmd_t *cmd)
{
    bson_iter_t q, it, a;
    bson_t arr;
    bool privs, builtin;
    uint32_t n = 0;
    int ret = 0;

    bson_iter_init(&q, cmd->body);
    bson_iter_next(&q);
    privs = bson_iter_init_find(&it, cmd->body, "showPrivileges") && bson_iter_as_bool(&it);
    builtin = bson_iter_init_find(&it, cmd->body, "showBuiltinRoles") && bson_iter_as_bool(&it);
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "roles", &arr);
    if (BSON_ITER_HOLDS_NUMBER(&q) && bson_iter_as_int64(&q) == 1) {
        wk_authdb_docs_t l = {NULL, NULL, 0, 0};
        const char *name;
        for (size_t i = 0; ret == 0 && builtin && (name = wk_role_builtin_name(cmd->db, i)) != NULL;
             i++)
            ret = append_role(cmd, name, cmd->db, NULL, privs, &arr, &n);
        if (ret == 0)
            ret = wk_authdb_list(WK_ROLES_NS, cmd->db, &l, &cmd->err);
        for (size_t i = 0; ret == 0 && i < l.n; i++) {
            bson_iter_t f;
            if (bson_iter_init_find(&f, l.docs[i], "role") && BSON_ITER_HOLDS_UTF8(&f))
                ret =
                    append_role(cmd, bson_iter_utf8(&f, NULL), cmd->db, l.docs[i], privs, &arr, &n);
        }
        wk_authdb_docs_free(&l);
    } else if (BSON_ITER_HOLDS_ARRAY(&q) && bson_iter_recurse(&q, &a)) {
        while (ret == 0 && bson_iter_next(&a))
            ret = info_one(cmd, &a, privs, &arr, &n);
    } else {
        ret = info_one(cmd, &q, privs, &arr, &n);
    }
    bson_append_array_end(cmd->reply, &arr);
    return ret;
}
