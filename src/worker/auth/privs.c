/*
 * src/worker/auth/privs.c -- action sets, privilege sets and the built-in roles (privs.h).
 *
 * The built-in roles are a table of rows {name, admin only, roles it includes, privileges},
 * each privilege an action list in words (mongod's names), resolved to bits on use.  A
 * privilege whose db is NULL applies to the role's own database.  The lists follow mongod
 * 7.0's builtin_roles for the actions this server knows (actions.def).  Event-loop thread.
 */
#include "privs.h"

#include "../../common/sdb.h"

#include <stdio.h>
#include <string.h>

static const char *const act_names[] = {
#define X(n) #n,
#include "actions.def"
#undef X
};

#define READ_ACTS                                                                                  \
    "changeStream collStats dbHash dbStats find killCursors listCollections listIndexes "          \
    "listSearchIndexes"
#define WRITE_ACTS                                                                                 \
    "convertToCapped createCollection createIndex createSearchIndexes dropCollection dropIndex "   \
    "dropSearchIndex insert remove renameCollectionSameDB update updateSearchIndex"
#define DBADMIN_ACTS                                                                               \
    "bypassDocumentValidation collMod collStats compact convertToCapped createCollection "         \
    "createIndex dbStats dropCollection dropDatabase dropIndex enableProfiler listCollections "    \
    "listIndexes listSearchIndexes planCacheIndexFilter planCacheRead planCacheWrite reIndex "     \
    "renameCollectionSameDB validate"
#define PROFILE_ACTS                                                                               \
    "changeStream collStats convertToCapped createCollection dbHash dbStats dropCollection find "  \
    "killCursors listCollections listIndexes planCacheRead"
#define USERADMIN_ACTS                                                                             \
    "changeCustomData changePassword createRole createUser dropRole dropUser grantRole "           \
    "revokeRole setAuthenticationRestriction viewRole viewUser"
#define MONITOR_ACTS                                                                               \
    "checkFreeMonitoringStatus connPoolStats getCmdLineOpts getDefaultRWConcern getLog "           \
    "getParameter hostInfo inprog listDatabases listSessions netstat replSetGetConfig "            \
    "replSetGetStatus serverStatus top useUUID"
#define HOSTMGR_ACTS                                                                               \
    "applicationMessage connPoolSync cpuProfiler flushRouterConfig fsync invalidateUserCache "     \
    "killAnyCursor killAnySession killop logRotate setParameter shutdown unlock"
#define CLUSTERMGR_ACTS                                                                            \
    "appendOplogNote applicationMessage cleanupOrphaned flushRouterConfig getDefaultRWConcern "    \
    "listSessions replSetGetConfig replSetGetStatus setDefaultRWConcern"
#define AUTHCOLL_ACTS                                                                              \
    "collStats createIndex dbHash dbStats dropIndex find killCursors listCollections "             \
    "listIndexes planCacheRead"
#define RESTORE_ACTS                                                                               \
    "bypassDocumentValidation changeCustomData changePassword collMod convertToCapped "            \
    "createCollection createIndex createRole createUser dropCollection dropRole dropUser "         \
    "grantRole insert revokeRole viewRole viewUser"
#define RESTORE_AUTH_ACTS                                                                          \
    "collStats createCollection createIndex dropCollection find insert remove update"

typedef struct priv_spec {
    wk_res_kind_t kind;
    const char *db; /* NULL: the role's database */
    const char *coll;
    const char *acts;
} priv_spec_t;

typedef struct role_def {
    const char *name;
    bool admin_only;
    const char *sub[7]; /* built-in roles of the same database it includes */
    priv_spec_t p[6];
} role_def_t;

static const role_def_t roles[] = {
    {"read",
     false,
     {NULL},
     {{WK_RES_DB, NULL, "", READ_ACTS}, {WK_RES_NS, NULL, "system.js", READ_ACTS}}},
    {"readWrite",
     false,
     {NULL},
     {{WK_RES_DB, NULL, "", READ_ACTS " " WRITE_ACTS},
      {WK_RES_NS, NULL, "system.js", READ_ACTS " " WRITE_ACTS}}},
    {"dbAdmin",
     false,
     {NULL},
     {{WK_RES_DB, NULL, "", DBADMIN_ACTS}, {WK_RES_NS, NULL, "system.profile", PROFILE_ACTS}}},
    {"userAdmin", false, {NULL}, {{WK_RES_DB, NULL, "", USERADMIN_ACTS}}},
    {"dbOwner", false, {"readWrite", "dbAdmin", "userAdmin", NULL}, {{0, NULL, NULL, NULL}}},
    {"readAnyDatabase",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "", READ_ACTS},
      {WK_RES_CLUSTER, "", "", "listDatabases"},
      {WK_RES_COLL, "", "system.js", READ_ACTS}}},
    {"readWriteAnyDatabase",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "", READ_ACTS " " WRITE_ACTS},
      {WK_RES_CLUSTER, "", "", "listDatabases"},
      {WK_RES_COLL, "", "system.js", READ_ACTS " " WRITE_ACTS}}},
    {"userAdminAnyDatabase",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "", USERADMIN_ACTS},
      {WK_RES_CLUSTER, "", "", "authSchemaUpgrade invalidateUserCache listDatabases"},
      {WK_RES_NS, "admin", "system.users", AUTHCOLL_ACTS},
      {WK_RES_NS, "admin", "system.roles", AUTHCOLL_ACTS}}},
    {"dbAdminAnyDatabase",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "", DBADMIN_ACTS},
      {WK_RES_CLUSTER, "", "", "listDatabases"},
      {WK_RES_COLL, "", "system.profile", PROFILE_ACTS}}},
    {"clusterMonitor",
     true,
     {NULL},
     {{WK_RES_CLUSTER, "", "", MONITOR_ACTS},
      {WK_RES_ANY_NORMAL, "", "", "collStats dbStats indexStats useUUID"}}},
    {"hostManager",
     true,
     {NULL},
     {{WK_RES_CLUSTER, "", "", HOSTMGR_ACTS}, {WK_RES_ANY_NORMAL, "", "", "killCursors"}}},
    {"clusterManager", true, {NULL}, {{WK_RES_CLUSTER, "", "", CLUSTERMGR_ACTS}}},
    {"clusterAdmin",
     true,
     {"clusterManager", "clusterMonitor", "hostManager", NULL},
     {{WK_RES_ANY_NORMAL, "", "", "dropDatabase"}}},
    {"backup",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "",
       "collStats dbHash dbStats find listCollections listIndexes "
       "listSearchIndexes"},
      {WK_RES_CLUSTER, "", "", "appendOplogNote getParameter listDatabases serverStatus"},
      {WK_RES_COLL, "", "system.js", "collStats dbHash dbStats find listCollections listIndexes"},
      {WK_RES_NS, "admin", "system.users",
       "collStats dbHash dbStats find listCollections "
       "listIndexes"},
      {WK_RES_NS, "admin", "system.roles",
       "collStats dbHash dbStats find listCollections "
       "listIndexes"}}},
    {"restore",
     true,
     {NULL},
     {{WK_RES_ANY_NORMAL, "", "", RESTORE_ACTS},
      {WK_RES_CLUSTER, "", "", "getParameter"},
      {WK_RES_NS, "admin", "system.users", RESTORE_AUTH_ACTS},
      {WK_RES_NS, "admin", "system.roles", RESTORE_AUTH_ACTS},
      {WK_RES_COLL, "", "system.js", RESTORE_AUTH_ACTS}}},
    {"root",
     true,
     {"readWriteAnyDatabase", "dbAdminAnyDatabase", "userAdminAnyDatabase", "clusterAdmin",
      "restore", "backup", NULL},
     {{WK_RES_ANY_NORMAL, "", "", "validate"}}},
    {"__system", true, {NULL}, {{WK_RES_ANY, "", "", "anyAction"}}},
};

/*
 * wk_act_name --
 *     An action's name.
 */
const char *
wk_act_name(int a)
{
    return a >= 0 && a < WK_ACT_COUNT ? act_names[a] : "";
}

/*
 * wk_act_find --
 *     An action's number by name, or -1.
 */
int
wk_act_find(const char *name)
{
    for (int a = 0; a < WK_ACT_COUNT; a++)
        if (strcmp(act_names[a], name) == 0)
            return a;
    return -1;
}

/*
 * wk_actset_has --
 *     Whether action a is in the set (anyAction holds every action).
 */
bool
wk_actset_has(const wk_actset_t *s, int a)
{
    if ((s->w[WK_ACT_anyAction / 64] >> (WK_ACT_anyAction % 64)) & 1)
        return true;
    return a >= 0 && a < WK_ACT_COUNT && ((s->w[a / 64] >> (a % 64)) & 1);
}

/*
 * wk_actset_add --
 *     Add action a.
 */
void
wk_actset_add(wk_actset_t *s, int a)
{
    if (a >= 0 && a < WK_ACT_COUNT)
        s->w[a / 64] |= (uint64_t)1 << (a % 64);
}

static void
actset_words(const char *list, wk_actset_t *s)
{
    char word[64];
    const char *p = list;

    memset(s, 0, sizeof(*s));
    while (*p != '\0') {
        size_t n = strcspn(p, " ");
        if (n > 0 && n < sizeof(word)) {
            memcpy(word, p, n);
            word[n] = '\0';
            wk_actset_add(s, wk_act_find(word));
        }
        p += n;
        p += strspn(p, " ");
    }
}

/*
 * wk_privset_add --
 *     Add actions on a resource, merged with an equal resource already in the set.
 */
void
wk_privset_add(wk_privset_t *s, wk_res_kind_t kind, const char *db, const char *coll,
               const wk_actset_t *acts)
{
    wk_priv_t *p;

    for (size_t i = 0; i < s->n; i++) {
        p = &s->v[i];
        if (p->kind == kind && strcmp(p->db, db) == 0 && strcmp(p->coll, coll) == 0) {
            p->acts.w[0] |= acts->w[0];
            p->acts.w[1] |= acts->w[1];
            return;
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = bson_realloc(s->v, s->cap * sizeof(*s->v));
    }
    p = &s->v[s->n++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    snprintf(p->db, sizeof(p->db), "%s", db);
    snprintf(p->coll, sizeof(p->coll), "%s", coll);
    p->acts = *acts;
}

/*
 * wk_privset_merge --
 *     Add every privilege of `from` to `to`.
 */
void
wk_privset_merge(wk_privset_t *to, const wk_privset_t *from)
{
    for (size_t i = 0; i < from->n; i++)
        wk_privset_add(to, from->v[i].kind, from->v[i].db, from->v[i].coll, &from->v[i].acts);
}

static bool
is_normal(const char *coll)
{
    return strncmp(coll, "system.", 7) != 0;
}

/* Whether privilege p's resource covers the resource asked for. */
static bool
covers(const wk_priv_t *p, wk_res_kind_t kind, const char *db, const char *coll)
{
    if (p->kind == WK_RES_ANY)
        return true;
    switch (kind) {
    case WK_RES_CLUSTER:
        return p->kind == WK_RES_CLUSTER;
    case WK_RES_DB:
        return (p->kind == WK_RES_DB && strcmp(p->db, db) == 0) || p->kind == WK_RES_ANY_NORMAL;
    case WK_RES_NS:
        switch (p->kind) {
        case WK_RES_NS:
            return strcmp(p->db, db) == 0 && strcmp(p->coll, coll) == 0;
        case WK_RES_DB:
            return strcmp(p->db, db) == 0 && is_normal(coll);
        case WK_RES_COLL:
            return strcmp(p->coll, coll) == 0;
        case WK_RES_ANY_NORMAL:
            return is_normal(coll);
        default:
            return false;
        }
    default:
        return false;
    }
}

/*
 * wk_privset_allows --
 *     Whether some privilege of the set grants a on the resource.
 */
bool
wk_privset_allows(const wk_privset_t *s, wk_res_kind_t kind, const char *db, const char *coll,
                  int a)
{
    for (size_t i = 0; i < s->n; i++)
        if (wk_actset_has(&s->v[i].acts, a) && covers(&s->v[i], kind, db, coll))
            return true;
    return false;
}

/*
 * wk_privset_any_on_ns --
 *     Whether some privilege grants an action on collection db.coll.
 */
bool
wk_privset_any_on_ns(const wk_privset_t *s, const char *db, const char *coll)
{
    for (size_t i = 0; i < s->n; i++)
        if ((s->v[i].acts.w[0] != 0 || s->v[i].acts.w[1] != 0) &&
            covers(&s->v[i], WK_RES_NS, db, coll))
            return true;
    return false;
}

/*
 * wk_privset_any_in_db --
 *     Whether some privilege applies to a resource of database db.
 */
bool
wk_privset_any_in_db(const wk_privset_t *s, const char *db)
{
    for (size_t i = 0; i < s->n; i++) {
        const wk_priv_t *p = &s->v[i];
        if (p->kind == WK_RES_ANY || p->kind == WK_RES_ANY_NORMAL || p->kind == WK_RES_COLL ||
            ((p->kind == WK_RES_DB || p->kind == WK_RES_NS) && strcmp(p->db, db) == 0))
            return true;
    }
    return false;
}

/*
 * wk_privset_free --
 *     Release the set's array.
 */
void
wk_privset_free(wk_privset_t *s)
{
    bson_free(s->v);
    memset(s, 0, sizeof(*s));
}

static void
append_resource(bson_t *doc, const wk_priv_t *p)
{
    bson_t r;

    BSON_APPEND_DOCUMENT_BEGIN(doc, "resource", &r);
    if (p->kind == WK_RES_CLUSTER) {
        BSON_APPEND_BOOL(&r, "cluster", true);
    } else if (p->kind == WK_RES_ANY) {
        BSON_APPEND_BOOL(&r, "anyResource", true);
    } else {
        BSON_APPEND_UTF8(&r, "db", p->db);
        BSON_APPEND_UTF8(&r, "collection", p->coll);
    }
    bson_append_document_end(doc, &r);
}

/*
 * wk_privset_append --
 *     The privileges as mongod prints them.
 */
void
wk_privset_append(const wk_privset_t *s, bson_t *arr)
{
    char key[24];

    for (size_t i = 0; i < s->n; i++) {
        bson_t d, a;
        uint32_t k = 0;

        snprintf(key, sizeof(key), "%zu", i);
        BSON_APPEND_DOCUMENT_BEGIN(arr, key, &d);
        append_resource(&d, &s->v[i]);
        BSON_APPEND_ARRAY_BEGIN(&d, "actions", &a);
        for (int act = 0; act < WK_ACT_COUNT; act++) {
            char ak[16];
            if (!((s->v[i].acts.w[act / 64] >> (act % 64)) & 1))
                continue;
            snprintf(ak, sizeof(ak), "%u", k++);
            BSON_APPEND_UTF8(&a, ak, act_names[act]);
        }
        bson_append_array_end(&d, &a);
        bson_append_document_end(arr, &d);
    }
}

/* One {db, collection} | {cluster: true} | {anyResource: true} resource document. */
static int
parse_resource(bson_iter_t *r, wk_res_kind_t *kind, char *db, size_t dblen, char *coll, size_t clen,
               sdb_error_t *err)
{
    bool has_db = false, has_coll = false;

    db[0] = coll[0] = '\0';
    while (bson_iter_next(r)) {
        const char *k = bson_iter_key(r);
        if (strcmp(k, "cluster") == 0 && BSON_ITER_HOLDS_BOOL(r) && bson_iter_bool(r)) {
            *kind = WK_RES_CLUSTER;
            return 0;
        }
        if (strcmp(k, "anyResource") == 0 && BSON_ITER_HOLDS_BOOL(r) && bson_iter_bool(r)) {
            *kind = WK_RES_ANY;
            return 0;
        }
        if (strcmp(k, "db") == 0 && BSON_ITER_HOLDS_UTF8(r)) {
            snprintf(db, dblen, "%s", bson_iter_utf8(r, NULL));
            has_db = true;
        } else if (strcmp(k, "collection") == 0 && BSON_ITER_HOLDS_UTF8(r)) {
            snprintf(coll, clen, "%s", bson_iter_utf8(r, NULL));
            has_coll = true;
        } else {
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "resource pattern must contain 'collection' or 'cluster' "
                                 "or 'anyResource'");
        }
    }
    if (!has_db || !has_coll)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "resource pattern must contain 'db' and 'collection'");
    if (db[0] != '\0' && coll[0] != '\0')
        *kind = WK_RES_NS;
    else if (db[0] != '\0')
        *kind = WK_RES_DB;
    else if (coll[0] != '\0')
        *kind = WK_RES_COLL;
    else
        *kind = WK_RES_ANY_NORMAL;
    return 0;
}

static int
parse_one(bson_iter_t *p, wk_privset_t *s, sdb_error_t *err)
{
    bson_iter_t f, r, a;
    wk_res_kind_t kind = WK_RES_NS;
    wk_actset_t acts = {{0, 0}};
    char db[64], coll[256];
    bool has_res = false, has_acts = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(p) || !bson_iter_recurse(p, &f))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "privileges must be an array of objects");
    while (bson_iter_next(&f)) {
        if (strcmp(bson_iter_key(&f), "resource") == 0 && BSON_ITER_HOLDS_DOCUMENT(&f)) {
            bson_iter_recurse(&f, &r);
            SDB_RET(parse_resource(&r, &kind, db, sizeof(db), coll, sizeof(coll), err));
            has_res = true;
        } else if (strcmp(bson_iter_key(&f), "actions") == 0 && BSON_ITER_HOLDS_ARRAY(&f)) {
            bson_iter_recurse(&f, &a);
            while (bson_iter_next(&a)) {
                int act;
                if (!BSON_ITER_HOLDS_UTF8(&a))
                    return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                         "actions must be an array of strings");
                act = wk_act_find(bson_iter_utf8(&a, NULL));
                if (act < 0)
                    return sdb_error_set(err, SDB_CODE_FailedToParse,
                                         "Unrecognized action privilege string: %s",
                                         bson_iter_utf8(&a, NULL));
                wk_actset_add(&acts, act);
            }
            has_acts = true;
        } else {
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "Unrecognized field in privilege document: %s", bson_iter_key(&f));
        }
    }
    if (!has_res || !has_acts)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "privilege documents must contain 'resource' and 'actions'");
    wk_privset_add(s, kind, kind == WK_RES_CLUSTER || kind == WK_RES_ANY ? "" : db,
                   kind == WK_RES_CLUSTER || kind == WK_RES_ANY ? "" : coll, &acts);
    return 0;
}

/*
 * wk_privset_parse --
 *     Privileges in mongod's shape into the set.
 */
int
wk_privset_parse(const bson_iter_t *it, wk_privset_t *s, sdb_error_t *err)
{
    bson_iter_t a;

    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &a))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "privileges must be an array");
    while (bson_iter_next(&a))
        SDB_RET(parse_one(&a, s, err));
    return 0;
}

static const role_def_t *
find_role(const char *role, const char *db)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(roles[i].name, role) == 0)
            return roles[i].admin_only && strcmp(db, "admin") != 0 ? NULL : &roles[i];
    return NULL;
}

/*
 * wk_role_builtin --
 *     Whether role@db is built in; adds its privileges to out when given.
 */
bool
wk_role_builtin(const char *role, const char *db, wk_privset_t *out)
{
    const role_def_t *r = find_role(role, db);

    if (r == NULL)
        return false;
    if (out == NULL)
        return true;
    for (size_t i = 0; i < sizeof(r->sub) / sizeof(r->sub[0]) && r->sub[i] != NULL; i++)
        wk_role_builtin(r->sub[i], db, out);
    for (size_t i = 0; i < sizeof(r->p) / sizeof(r->p[0]) && r->p[i].acts != NULL; i++) {
        wk_actset_t acts;
        actset_words(r->p[i].acts, &acts);
        wk_privset_add(out, r->p[i].kind, r->p[i].db != NULL ? r->p[i].db : db, r->p[i].coll,
                       &acts);
    }
    return true;
}

/*
 * wk_role_builtin_name --
 *     The i-th built-in role of database db, or NULL.
 */
const char *
wk_role_builtin_name(const char *db, size_t i)
{
    for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
        if (roles[k].admin_only && strcmp(db, "admin") != 0)
            continue;
        if (strcmp(roles[k].name, "__system") == 0)
            continue;
        if (i-- == 0)
            return roles[k].name;
    }
    return NULL;
}
