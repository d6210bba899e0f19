/*
 * src/worker/auth/privs.h -- privileges: action sets, resources, the built-in roles.
 *
 * A privilege is a resource and a set of actions (actions.def), as in mongod: a namespace
 * {db, collection}, a database's normal collections {db, collection: ""}, one collection
 * name in any database {db: "", collection}, every normal collection {db: "", collection:
 * ""}, {cluster: true} or {anyResource: true}.  "Normal" collections are those whose name
 * does not start with "system." (mongod's rule): a role names system collections explicitly.
 * A privilege set is what a user holds once its roles are resolved (users.h).
 *
 * The built-in roles are one table in privs.c, with mongod's names and privileges.
 * Event-loop thread only (privs.c parses the action lists once, lazily).  A set owns its
 * array: wk_privset_free releases it.
 */
#ifndef WK_AUTH_PRIVS_H
#define WK_AUTH_PRIVS_H

#include "../../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
#define X(n) WK_ACT_##n,
#include "actions.def"
#undef X
    WK_ACT_COUNT
};

typedef struct wk_actset {
    uint64_t w[2];
} wk_actset_t;

typedef enum {
    WK_RES_NS,         /* {db, collection} */
    WK_RES_DB,         /* {db, collection: ""} */
    WK_RES_COLL,       /* {db: "", collection} */
    WK_RES_ANY_NORMAL, /* {db: "", collection: ""} */
    WK_RES_CLUSTER,    /* {cluster: true} */
    WK_RES_ANY         /* {anyResource: true} */
} wk_res_kind_t;

typedef struct wk_priv {
    wk_res_kind_t kind;
    char db[64];
    char coll[256];
    wk_actset_t acts;
} wk_priv_t;

typedef struct wk_privset {
    wk_priv_t *v;
    size_t n, cap;
} wk_privset_t;

/* wk_act_name -- the action's name; wk_act_find -- its number, or -1. */
const char *wk_act_name(int a);
int wk_act_find(const char *name);

/* wk_actset_has / wk_actset_add -- membership and insertion. */
bool wk_actset_has(const wk_actset_t *s, int a);
void wk_actset_add(wk_actset_t *s, int a);

/* wk_privset_add -- add actions on a resource (merged with an equal resource's). */
void wk_privset_add(wk_privset_t *s, wk_res_kind_t kind, const char *db, const char *coll,
                    const wk_actset_t *acts);

/* wk_privset_merge -- add every privilege of `from` to `to`. */
void wk_privset_merge(wk_privset_t *to, const wk_privset_t *from);

/* wk_privset_allows -- whether the set grants action a on the resource (kind NS with db and
 * coll, DB with db, or CLUSTER). */
bool wk_privset_allows(const wk_privset_t *s, wk_res_kind_t kind, const char *db, const char *coll,
                       int a);

/* wk_privset_any_on_ns -- whether some privilege grants an action on db.coll (which
 * collections listCollections' authorizedCollections shows). */
bool wk_privset_any_on_ns(const wk_privset_t *s, const char *db, const char *coll);

/* wk_privset_any_in_db -- whether some privilege applies to a resource of database db (which
 * databases listDatabases shows a user without the listDatabases action). */
bool wk_privset_any_in_db(const wk_privset_t *s, const char *db);

/* wk_privset_free -- release the set's array (the set is empty and reusable after). */
void wk_privset_free(wk_privset_t *s);

/* wk_privset_append -- append the privileges as mongod prints them ([{resource, actions}])
 * to the array being built in arr. */
void wk_privset_append(const wk_privset_t *s, bson_t *arr);

/* wk_privset_parse -- add privileges in mongod's shape (an array of {resource, actions})
 * from `it` (an array); 2 BadValue / 14 TypeMismatch as mongod for a bad one. */
int wk_privset_parse(const bson_iter_t *it, wk_privset_t *s, sdb_error_t *err);

/* wk_role_builtin -- whether role@db is a built-in role (the AnyDatabase and cluster roles
 * exist only in admin); when `out` is given its privileges are added to it. */
bool wk_role_builtin(const char *role, const char *db, wk_privset_t *out);

/* wk_role_builtin_names -- the built-in role names of database db, in turn: returns the
 * i-th, or NULL past the end. */
const char *wk_role_builtin_name(const char *db, size_t i);

#endif
