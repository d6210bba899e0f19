/*
 * src/worker/auth/users.h -- users and roles as documents in admin.system.users and
 * admin.system.roles, and the resolution of a user's roles into privileges.
 *
 * The documents have mongod's shapes: a user {_id: "db.user", userId: UUID, user, db,
 * credentials: {SCRAM-SHA-1: {...}, SCRAM-SHA-256: {...}}, customData?, roles: [{role, db}],
 * mechanisms}; a role {_id: "db.role", role, db, privileges: [...], roles: [{role, db}]}.
 * They travel through the ordinary storage operations (SCAN, INSERT, UPDATE, DELETE), so
 * the collections are readable and survive restarts like any other; the unique _id index
 * makes two creations of one user race safely.
 *
 * Event-loop thread only (these call the store).  Functions returning int return 0 or
 * SDB_ECLIENT with *err set (or a negative SDB_E*); output documents are initialized in
 * every case and owned by the caller.
 */
#ifndef WK_AUTH_USERS_H
#define WK_AUTH_USERS_H

#include "../../common/errors.h"
#include "privs.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define WK_USERS_NS "admin.system.users"
#define WK_ROLES_NS "admin.system.roles"

/* wk_authdb_get -- the document of ns whose _id is "db.name": *found, a copy in *doc, its
 * record id in *r (r may be NULL). */
int wk_authdb_get(const char *ns, const char *db, const char *name, bson_t *doc, int64_t *r,
                  bool *found, sdb_error_t *err);

/* wk_authdb_each_fn -- called per document; a non-zero return stops the walk and is
 * returned by wk_authdb_each. */
typedef int (*wk_authdb_each_fn)(const bson_t *doc, int64_t r, void *arg);

/* wk_authdb_each -- every document of ns in record order. */
int wk_authdb_each(const char *ns, wk_authdb_each_fn fn, void *arg, sdb_error_t *err);

/* wk_authdb_insert -- insert doc; *dup tells a duplicate _id, committed or in the middle of
 * another insert (WriteConflict): nothing was written. */
int wk_authdb_insert(const char *ns, const bson_t *doc, bool *dup, sdb_error_t *err);

/* wk_authdb_replace -- replace record r (holding `old`) with `doc`. */
int wk_authdb_replace(const char *ns, int64_t r, const bson_t *old, const bson_t *doc,
                      sdb_error_t *err);

/* wk_authdb_delete -- delete record r (holding `old`). */
int wk_authdb_delete(const char *ns, int64_t r, const bson_t *old, sdb_error_t *err);

/* A list of documents read from ns, with their record ids; wk_authdb_docs_free releases it. */
typedef struct wk_authdb_docs {
    bson_t **docs;
    int64_t *rs;
    size_t n, cap;
} wk_authdb_docs_t;

/* wk_authdb_list -- copies of the documents of ns whose `db` field is db (NULL: all), in record
 * order, appended to *out (zeroed before first use). */
int wk_authdb_list(const char *ns, const char *db, wk_authdb_docs_t *out, sdb_error_t *err);

/* wk_authdb_docs_free -- release a list. */
void wk_authdb_docs_free(wk_authdb_docs_t *d);

/* wk_authdb_update_fields -- replace record r (holding `old`) with `old` whose fields named in
 * `repl` take repl's values (new fields appended, in repl's order). */
int wk_authdb_update_fields(const char *ns, int64_t r, const bson_t *old, const bson_t *repl,
                            sdb_error_t *err);

/* wk_authdb_has_users -- whether admin.system.users holds any user (the localhost
 * exception ends with the first one). */
int wk_authdb_has_users(bool *any, sdb_error_t *err);

/* wk_auth_resolve -- the privileges and the transitive roles of a roles array ({role, db}
 * documents, at `roles`): built-in roles from privs.h, the others from admin.system.roles
 * (a role that no longer exists is skipped, as mongod does).  `all` (may be NULL) is an
 * initialized array that receives every role reached, de-duplicated, in {role, db} form. */
int wk_auth_resolve(const bson_iter_t *roles, wk_privset_t *privs, bson_t *all, sdb_error_t *err);

/* wk_auth_role_exists -- whether role@db is built in or defined in admin.system.roles. */
int wk_auth_role_exists(const char *role, const char *db, bool *exists, sdb_error_t *err);

/* wk_auth_role_pair -- the `role` and `db` strings of one array element {role, db} (each NULL
 * when missing or not a string); false when the element is not a document. */
bool wk_auth_role_pair(const bson_iter_t *el, const char **role, const char **db);

/* wk_auth_roles_contains -- whether a [{role, db}] array holds role@db (NULLs: false). */
bool wk_auth_roles_contains(const bson_t *arr, const char *role, const char *db);

#define WK_MECH_SHA1 0x1u
#define WK_MECH_SHA256 0x2u

/* wk_auth_roles_normalize -- a roles argument (role names of database db, or {role, db}
 * documents) into [{role, db}] appended to `out` (an initialized array); 31 RoleNotFound
 * "Could not find role: r@db" for one that does not exist. */
int wk_auth_roles_normalize(const bson_iter_t *roles, const char *db, bson_t *out,
                            sdb_error_t *err);

/* wk_auth_mechs_parse -- a mechanisms argument (absent: both) into WK_MECH_* bits. */
int wk_auth_mechs_parse(const bson_t *body, unsigned *mechs, sdb_error_t *err);

/* wk_auth_credentials_append -- append `credentials` (for each mechanism in mechs, at the
 * iteration counts in force) and the `mechanisms` array for user/pwd. */
int wk_auth_credentials_append(bson_t *doc, const char *user, const char *pwd, unsigned mechs,
                               sdb_error_t *err);

/* wk_auth_user_new -- a new user document (userId a fresh UUID); roles_arr is already
 * normalized; custom (may be NULL) is customData. */
int wk_auth_user_new(const char *db, const char *user, const char *pwd, const bson_t *roles_arr,
                     const bson_iter_t *custom, unsigned mechs, bson_t *out, sdb_error_t *err);

#endif
