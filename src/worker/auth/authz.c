/*
 * src/worker/auth/authz.c -- connection auth state and the per-command authorization check
 * (authz.h).
 *
 * The requirement of a command is a row of cmd_privs.def (resource kind and action words,
 * turned into an action set on use); CUSTOM rows are rules below that derive the namespaces
 * from the arguments, the way mongod's commands do in their own checkAuth: update with an
 * upsert also needs insert, aggregate walks its pipeline (and the sub-pipelines of $lookup,
 * $unionWith and $facet) for the namespaces its stages read or write, explain checks the
 * command it explains.  Event-loop thread only.
 */
#include "authz.h"

#include "../../common/bsontext.h"
#include "../../common/log.h"
#include "../../common/sdb.h"
#include "../conn.h"
#include "../coro.h"
#include "../engine/session.h"
#include "../worker.h"
#include "users.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef enum {
    R_NS,
    R_DB,
    R_CLUSTER,
    R_AUTHED,
    R_CUSTOM
} req_kind_t;

typedef struct cmd_priv {
    const char *name;
    req_kind_t kind;
    const char *acts;
} cmd_priv_t;

static const cmd_priv_t cmd_privs[] = {
#define P(name, kind, acts) {#name, R_##kind, acts},
#include "cmd_privs.def"
#undef P
};

#define FAIL_DELAY_MS 100      /* per failed login on the connection ... */
#define FAIL_DELAY_MAX_MS 1000 /* ... up to this */

/*
 * wk_auth_of --
 *     The connection's auth state, allocated on first use.
 */
wk_auth_t *
wk_auth_of(wk_conn_t *c)
{
    if (c->auth == NULL) {
        c->auth = bson_malloc0(sizeof(wk_auth_t));
        bson_init(&c->auth->roles);
        bson_init(&c->auth->direct_roles);
    }
    return c->auth;
}

/*
 * wk_auth_logout --
 *     Forget the user and any conversation.
 */
void
wk_auth_logout(wk_conn_t *c)
{
    wk_auth_t *a = c->auth;

    if (a == NULL)
        return;
    a->authed = a->full = false;
    a->user[0] = a->db[0] = a->mech[0] = '\0';
    wk_privset_free(&a->privs);
    bson_reinit(&a->roles);
    bson_reinit(&a->direct_roles);
    bson_free(a->conv);
    a->conv = NULL;
}

/*
 * wk_auth_conn_free --
 *     Release the state with its connection.
 */
void
wk_auth_conn_free(wk_conn_t *c)
{
    if (c->auth == NULL)
        return;
    wk_auth_logout(c);
    bson_destroy(&c->auth->roles);
    bson_destroy(&c->auth->direct_roles);
    bson_free(c->auth);
    c->auth = NULL;
}

static const char *
str_field(const bson_t *doc, const char *name)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, name) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "";
}

/*
 * wk_auth_login --
 *     Authenticate the connection as the user of user_doc.
 */
int
wk_auth_login(wk_conn_t *c, const bson_t *user_doc, const char *mech, uint64_t version,
              sdb_error_t *err)
{
    wk_auth_t *a = wk_auth_of(c);
    bson_iter_t it;
    int ret = 0;

    wk_auth_logout(c);
    a->version = version;
    if (bson_iter_init_find(&it, user_doc, "roles")) {
        ret = wk_auth_resolve(&it, &a->privs, &a->roles, err);
        if (BSON_ITER_HOLDS_ARRAY(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t arr;
            bson_iter_array(&it, &len, &data);
            if (bson_init_static(&arr, data, len))
                bson_concat(&a->direct_roles, &arr);
        }
    }
    if (ret != 0) {
        wk_auth_logout(c);
        return ret;
    }
    snprintf(a->user, sizeof(a->user), "%s", str_field(user_doc, "user"));
    snprintf(a->db, sizeof(a->db), "%s", str_field(user_doc, "db"));
    snprintf(a->mech, sizeof(a->mech), "%s", mech);
    a->authed = true;
    a->full = wk_authz_has_role(c, "root", "admin") || wk_authz_has_role(c, "__system", "admin");
    return 0;
}

/*
 * wk_auth_version --
 *     The master's count of user and role changes.
 */
uint64_t
wk_auth_version(void)
{
    return atomic_load(&wk_global->auth_version);
}

/*
 * wk_auth_failed --
 *     Count, log and slow down a failed login.
 */
void
wk_auth_failed(wk_conn_t *c, const char *user, const char *db, const char *mech,
               const sdb_error_t *why)
{
    wk_auth_t *a = wk_auth_of(c);
    int64_t delay;
    bson_t attr = BSON_INITIALIZER, e;
    char name[64];

    a->failures++;
    BSON_APPEND_UTF8(&attr, "mechanism", mech);
    BSON_APPEND_UTF8(&attr, "user", user);
    BSON_APPEND_UTF8(&attr, "db", db);
    BSON_APPEND_UTF8(&attr, "client", c->peer);
    BSON_APPEND_DOCUMENT_BEGIN(&attr, "error", &e);
    BSON_APPEND_INT32(&e, "code", why->code);
    BSON_APPEND_UTF8(&e, "codeName", sdb_error_codename(why->code, name, sizeof(name)));
    BSON_APPEND_UTF8(&e, "errmsg", why->msg);
    bson_append_document_end(&attr, &e);
    BSON_APPEND_INT32(&attr, "failures", a->failures);
    sdb_log(SDB_LOG_I, "ACCESS", 20249, "Authentication failed", &attr);
    bson_destroy(&attr);
    delay = (int64_t)a->failures * FAIL_DELAY_MS;
    wk_coro_sleep_ms(delay > FAIL_DELAY_MAX_MS ? FAIL_DELAY_MAX_MS : delay);
}

/*
 * wk_auth_is_localhost --
 *     Whether the peer is a loopback address ("127.x.x.x:port" or "[::1]:port").
 */
bool
wk_auth_is_localhost(const wk_conn_t *c)
{
    return strncmp(c->peer, "127.", 4) == 0 || strncmp(c->peer, "[::1]", 5) == 0 ||
           strncmp(c->peer, "::1", 3) == 0;
}

/*
 * wk_authz_has_role --
 *     Whether the authenticated user holds role@db.
 */
bool
wk_authz_has_role(wk_conn_t *c, const char *role, const char *db)
{
    return c->auth != NULL && wk_auth_roles_contains(&c->auth->roles, role, db);
}

/* ---- the check ------------------------------------------------------------------------- */

typedef struct check {
    wk_cmd_t *cmd;
    const wk_privset_t *privs;
    bool ok;
} check_t;

/* Need every action of the word list on the resource. */
static void
need(check_t *ck, wk_res_kind_t kind, const char *db, const char *coll, const char *acts)
{
    char word[64];
    const char *p = acts;

    while (ck->ok && *p != '\0') {
        size_t n = strcspn(p, " ");
        if (n > 0 && n < sizeof(word)) {
            memcpy(word, p, n);
            word[n] = '\0';
            if (!wk_privset_allows(ck->privs, kind, db, coll, wk_act_find(word)))
                ck->ok = false;
        }
        p += n;
        p += strspn(p, " ");
    }
}

static void
need_ns(check_t *ck, const char *db, const char *coll, const char *acts)
{
    need(ck, WK_RES_NS, db, coll, acts);
}

/* The collection the command's first field names ("" when it is not a string). */
static const char *
first_coll(const bson_t *body)
{
    bson_iter_t it;

    if (bson_iter_init(&it, body) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "";
}

/* A target that is either a collection name in db or {db, coll} (db defaults to db). */
static void
target(const bson_iter_t *it, const char *db, const char *coll_key, char *tdb, size_t tdblen,
       char *tcoll, size_t tclen)
{
    bson_iter_t f;

    snprintf(tdb, tdblen, "%s", db);
    tcoll[0] = '\0';
    if (BSON_ITER_HOLDS_UTF8(it)) {
        snprintf(tcoll, tclen, "%s", bson_iter_utf8(it, NULL));
        return;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f))
        return;
    while (bson_iter_next(&f)) {
        if (!BSON_ITER_HOLDS_UTF8(&f))
            continue;
        if (strcmp(bson_iter_key(&f), "db") == 0)
            snprintf(tdb, tdblen, "%s", bson_iter_utf8(&f, NULL));
        else if (strcmp(bson_iter_key(&f), coll_key) == 0)
            snprintf(tcoll, tclen, "%s", bson_iter_utf8(&f, NULL));
    }
}

static void check_pipeline(check_t *ck, const char *db, const bson_iter_t *pipeline);

/* Sub-pipeline field `name` of a stage spec document, checked in db. */
static void
check_sub(check_t *ck, const char *db, const bson_iter_t *spec, const char *name)
{
    bson_iter_t f;

    if (BSON_ITER_HOLDS_DOCUMENT(spec) && bson_iter_recurse(spec, &f) && bson_iter_find(&f, name))
        check_pipeline(ck, db, &f);
}

static bool
flag_true(const bson_iter_t *spec, const char *name)
{
    bson_iter_t f;

    return BSON_ITER_HOLDS_DOCUMENT(spec) && bson_iter_recurse(spec, &f) &&
           bson_iter_find(&f, name) && bson_iter_as_bool(&f);
}

/* One stage's namespaces. */
static void
check_stage(check_t *ck, const char *db, const char *name, const bson_iter_t *spec)
{
    char tdb[64], tcoll[256];
    bson_iter_t f;

    if (strcmp(name, "$out") == 0 || strcmp(name, "$merge") == 0) {
        bson_iter_t into = *spec;
        if (strcmp(name, "$merge") == 0 && BSON_ITER_HOLDS_DOCUMENT(spec) &&
            bson_iter_recurse(spec, &f) && bson_iter_find(&f, "into"))
            into = f;
        target(&into, db, "coll", tdb, sizeof(tdb), tcoll, sizeof(tcoll));
        need_ns(ck, tdb, tcoll,
                strcmp(name, "$out") == 0 ? "insert remove" : "insert remove update");
    } else if (strcmp(name, "$lookup") == 0 || strcmp(name, "$graphLookup") == 0) {
        if (BSON_ITER_HOLDS_DOCUMENT(spec) && bson_iter_recurse(spec, &f) &&
            bson_iter_find(&f, "from")) {
            target(&f, db, "coll", tdb, sizeof(tdb), tcoll, sizeof(tcoll));
            need_ns(ck, tdb, tcoll, "find");
        }
        check_sub(ck, db, spec, "pipeline");
    } else if (strcmp(name, "$unionWith") == 0) {
        target(spec, db, "coll", tdb, sizeof(tdb), tcoll, sizeof(tcoll));
        if (tcoll[0] != '\0')
            need_ns(ck, tdb, tcoll, "find");
        check_sub(ck, db, spec, "pipeline");
    } else if (strcmp(name, "$facet") == 0 && BSON_ITER_HOLDS_DOCUMENT(spec) &&
               bson_iter_recurse(spec, &f)) {
        while (bson_iter_next(&f))
            check_pipeline(ck, db, &f);
    } else if (strcmp(name, "$currentOp") == 0 && flag_true(spec, "allUsers")) {
        need(ck, WK_RES_CLUSTER, "", "", "inprog");
    } else if ((strcmp(name, "$listSessions") == 0 || strcmp(name, "$listLocalSessions") == 0) &&
               flag_true(spec, "allUsers")) {
        need(ck, WK_RES_CLUSTER, "", "", "listSessions");
    }
}

static void
check_pipeline(check_t *ck, const char *db, const bson_iter_t *pipeline)
{
    bson_iter_t st, f;

    if (!BSON_ITER_HOLDS_ARRAY(pipeline) || !bson_iter_recurse(pipeline, &st))
        return;
    while (ck->ok && bson_iter_next(&st))
        if (BSON_ITER_HOLDS_DOCUMENT(&st) && bson_iter_recurse(&st, &f) && bson_iter_next(&f))
            check_stage(ck, db, bson_iter_key(&f), &f);
}

/* The first stage's name of a pipeline ("" when none). */
static const char *
first_stage(const bson_iter_t *pipeline)
{
    bson_iter_t st, f;

    if (BSON_ITER_HOLDS_ARRAY(pipeline) && bson_iter_recurse(pipeline, &st) &&
        bson_iter_next(&st) && BSON_ITER_HOLDS_DOCUMENT(&st) && bson_iter_recurse(&st, &f) &&
        bson_iter_next(&f))
        return bson_iter_key(&f);
    return "";
}

static void
check_aggregate(check_t *ck, const bson_t *body, const char *db)
{
    bson_iter_t p;
    const char *coll = first_coll(body), *first;
    bool has_p = bson_iter_init_find(&p, body, "pipeline");

    first = has_p ? first_stage(&p) : "";
    if (strcmp(first, "$changeStream") == 0) {
        if (coll[0] != '\0')
            need_ns(ck, db, coll, "changeStream find");
        else if (strcmp(db, "admin") == 0)
            need(ck, WK_RES_DB, "", "", "changeStream find"); /* every normal collection */
        else
            need(ck, WK_RES_DB, db, "", "changeStream find");
    } else if (strcmp(first, "$collStats") == 0) {
        need_ns(ck, db, coll, "collStats");
    } else if (strcmp(first, "$indexStats") == 0) {
        need_ns(ck, db, coll, "indexStats");
    } else if (strcmp(first, "$listSessions") == 0) {
        /* an initial source: no find on config.system.sessions (check_stage) */
    } else if (coll[0] != '\0') {
        need_ns(ck, db, coll, "find");
    }
    if (has_p)
        check_pipeline(ck, db, &p);
}

static bool has_upsert(const bson_t *body, const char *array);

static void check_body(check_t *ck, const bson_t *body, const char *db, const char *name);

/* grantRole (or revokeRole) on the database of every role of the command's `roles` (a name:
 * a role of db). */
static void
need_role_dbs(check_t *ck, const bson_t *body, const char *db, const char *act)
{
    bson_iter_t it, arr, f;

    if (!bson_iter_init_find(&it, body, "roles") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return;
    while (bson_iter_next(&arr)) {
        const char *rdb = db;
        if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &f) &&
            bson_iter_find(&f, "db") && BSON_ITER_HOLDS_UTF8(&f))
            rdb = bson_iter_utf8(&f, NULL);
        need(ck, WK_RES_DB, rdb, "", act);
    }
}

/* listCollections {authorizedCollections: true, nameOnly: true}: mongod's form any user may
 * run, answered with the collections it holds a privilege on. */
static bool
authorized_names_only(const bson_t *body)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, body, "authorizedCollections") && bson_iter_as_bool(&it) &&
           bson_iter_init_find(&it, body, "nameOnly") && bson_iter_as_bool(&it);
}

/* The CUSTOM rules; acts is the command's row of cmd_privs.def. */
static void
check_custom(check_t *ck, const bson_t *body, const char *db, const char *name, const char *acts)
{
    bson_iter_t it;
    char tdb[64], tcoll[256], sdb[64], scoll[256];
    const char *coll = first_coll(body);

    if (strcmp(name, "aggregate") == 0) {
        check_aggregate(ck, body, db);
    } else if (strcmp(name, "getMore") == 0) {
        need_ns(ck, db, str_field(body, "collection"), "find");
    } else if (strcmp(name, "update") == 0) {
        need_ns(ck, db, coll, has_upsert(body, "updates") ? "update insert" : "update");
    } else if (strcmp(name, "findAndModify") == 0 || strcmp(name, "findandmodify") == 0) {
        bool rm = bson_iter_init_find(&it, body, "remove") && bson_iter_as_bool(&it);
        bool up = bson_iter_init_find(&it, body, "upsert") && bson_iter_as_bool(&it);
        need_ns(ck, db, coll, rm ? "find remove" : up ? "find update insert" : "find update");
    } else if (strcmp(name, "mapReduce") == 0 || strcmp(name, "mapreduce") == 0) {
        need_ns(ck, db, coll, "find");
        if (bson_iter_init_find(&it, body, "out") && !BSON_ITER_HOLDS_DOCUMENT(&it)) {
            target(&it, db, "", tdb, sizeof(tdb), tcoll, sizeof(tcoll));
            need_ns(ck, tdb, tcoll, "insert remove");
        } else if (bson_iter_init_find(&it, body, "out") && !flag_true(&it, "inline")) {
            bson_iter_t f;
            const char *keys[] = {"replace", "merge", "reduce"};
            for (size_t k = 0; k < 3; k++) {
                bson_iter_recurse(&it, &f);
                if (bson_iter_find(&f, keys[k]) && BSON_ITER_HOLDS_UTF8(&f)) {
                    target(&it, db, keys[k], tdb, sizeof(tdb), tcoll, sizeof(tcoll));
                    need_ns(ck, tdb, tcoll, "insert remove update");
                }
            }
        }
    } else if (strcmp(name, "explain") == 0) {
        if (bson_iter_init_find(&it, body, "explain") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t inner;
            bson_iter_t f;
            bson_iter_document(&it, &len, &data);
            if (bson_init_static(&inner, data, len) && bson_iter_init(&f, &inner) &&
                bson_iter_next(&f) && strcmp(bson_iter_key(&f), "explain") != 0)
                check_body(ck, &inner, db, bson_iter_key(&f));
        }
    } else if (strcmp(name, "renameCollection") == 0 ||
               strcmp(name, "cloneCollectionAsCapped") == 0) {
        bool rename = name[0] == 'r';
        const char *to = str_field(body, rename ? "to" : "toCollection");
        const char *dot = strchr(coll, '.');
        if (rename && dot != NULL) {
            snprintf(sdb, sizeof(sdb), "%.*s", (int)(dot - coll), coll);
            snprintf(scoll, sizeof(scoll), "%s", dot + 1);
        } else {
            snprintf(sdb, sizeof(sdb), "%s", db);
            snprintf(scoll, sizeof(scoll), "%s", coll);
        }
        dot = rename ? strchr(to, '.') : NULL;
        if (dot != NULL) {
            snprintf(tdb, sizeof(tdb), "%.*s", (int)(dot - to), to);
            snprintf(tcoll, sizeof(tcoll), "%s", dot + 1);
        } else {
            snprintf(tdb, sizeof(tdb), "%s", db);
            snprintf(tcoll, sizeof(tcoll), "%s", to);
        }
        if (rename && strcmp(sdb, tdb) == 0) {
            need_ns(ck, sdb, scoll, "renameCollectionSameDB");
            need_ns(ck, tdb, tcoll, "renameCollectionSameDB");
        } else {
            need_ns(ck, sdb, scoll, rename ? "find dropCollection" : "find");
            need_ns(ck, tdb, tcoll, "insert createCollection");
        }
    } else if (strcmp(name, "createUser") == 0 || strcmp(name, "createRole") == 0 ||
               strcmp(name, "grantRolesToUser") == 0 || strcmp(name, "grantRolesToRole") == 0) {
        need(ck, WK_RES_DB, db, "", acts);
        need_role_dbs(ck, body, db, "grantRole");
    } else if (strcmp(name, "revokeRolesFromUser") == 0 ||
               strcmp(name, "revokeRolesFromRole") == 0) {
        need(ck, WK_RES_DB, db, "", acts);
        need_role_dbs(ck, body, db, "revokeRole");
    } else if (strcmp(name, "updateRole") == 0) {
        need(ck, WK_RES_DB, db, "", acts);
        need_role_dbs(ck, body, db, "grantRole");
    } else if (strcmp(name, "listCollections") == 0) {
        if (!authorized_names_only(body)) /* else: filtered by the handler */
            need(ck, WK_RES_DB, db, "", acts);
    } else if (strcmp(name, "updateUser") == 0) {
        bool self = ck->cmd->conn->auth != NULL && strcmp(ck->cmd->conn->auth->db, db) == 0 &&
                    strcmp(ck->cmd->conn->auth->user, coll) == 0;
        if (bson_has_field(body, "pwd") && !self)
            need(ck, WK_RES_DB, db, "", "changePassword");
        else if (bson_has_field(body, "pwd"))
            need(ck, WK_RES_DB, db, "", "changeOwnPassword");
        if (bson_has_field(body, "customData"))
            need(ck, WK_RES_DB, db, "", self ? "changeOwnCustomData" : "changeCustomData");
        if (bson_has_field(body, "roles")) {
            need(ck, WK_RES_DB, db, "", "grantRole revokeRole");
            need_role_dbs(ck, body, db, "grantRole");
        }
    } else if (strcmp(name, "usersInfo") == 0) {
        /* asking about oneself needs nothing (mongod's rule); anything else viewUser */
        wk_auth_t *a = ck->cmd->conn->auth;
        bool self = bson_iter_init_find(&it, body, "usersInfo") && BSON_ITER_HOLDS_UTF8(&it) &&
                    a != NULL && strcmp(a->db, db) == 0 &&
                    strcmp(a->user, bson_iter_utf8(&it, NULL)) == 0;
        bool all = bson_iter_init_find(&it, body, "usersInfo") && flag_true(&it, "forAllDBs");
        if (!self)
            need(ck, WK_RES_DB, all ? "" : db, "", "viewUser");
    } else if (strcmp(name, "rolesInfo") == 0) {
        bool own = bson_iter_init_find(&it, body, "rolesInfo") && BSON_ITER_HOLDS_UTF8(&it) &&
                   wk_authz_has_role(ck->cmd->conn, bson_iter_utf8(&it, NULL), db);
        if (!own)
            need(ck, WK_RES_DB, db, "", "viewRole");
    }
}

static bool
has_upsert(const bson_t *body, const char *array)
{
    bson_iter_t it, arr;

    if (!bson_iter_init_find(&it, body, array) || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return false;
    while (bson_iter_next(&arr))
        if (flag_true(&arr, "upsert"))
            return true;
    return false;
}

static const cmd_priv_t *
find_priv(const char *name)
{
    for (size_t i = 0; i < sizeof(cmd_privs) / sizeof(cmd_privs[0]); i++)
        if (strcmp(cmd_privs[i].name, name) == 0)
            return &cmd_privs[i];
    return NULL;
}

static void
check_body(check_t *ck, const bson_t *body, const char *db, const char *name)
{
    const cmd_priv_t *p = find_priv(name);
    const wk_cmd_def_t *def = wk_command_lookup(name);

    if (def != NULL && (def->flags & WK_CMD_F_NO_AUTH))
        return;
    if (p == NULL) {
        ck->ok = ck->cmd->conn->auth != NULL && ck->cmd->conn->auth->full;
        return;
    }
    switch (p->kind) {
    case R_NS:
        need_ns(ck, db, first_coll(body), p->acts);
        break;
    case R_DB:
        need(ck, WK_RES_DB, db, "", p->acts);
        break;
    case R_CLUSTER:
        need(ck, WK_RES_CLUSTER, "", "", p->acts);
        break;
    case R_AUTHED:
        break;
    case R_CUSTOM:
        check_custom(ck, body, db, name, p->acts);
        break;
    }
}

/* mongod's text of the command for the error, with a password redacted. */
static int
unauthorized(wk_cmd_t *cmd)
{
    bson_t red = BSON_INITIALIZER;
    char *text;
    int ret;

    bson_iter_t it;

    bson_iter_init(&it, cmd->body); /* in place: mongod's redactForLogging */
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "pwd") == 0)
            BSON_APPEND_UTF8(&red, "pwd", "xxx");
        else
            bson_append_iter(&red, bson_iter_key(&it), -1, &it);
    }
    text = sdb_bson_text_new(&red);
    ret = sdb_error_set(&cmd->err, SDB_CODE_Unauthorized,
                        "not authorized on %s to execute command %s", cmd->db, text);
    bson_free(text);
    bson_destroy(&red);
    return ret;
}

/* Re-resolve the logged-in user's privileges after a change of users or roles. */
static int
refresh(wk_cmd_t *cmd, wk_auth_t *a)
{
    char user[256], db[64], mech[32];
    bson_t doc;
    bool found;
    uint64_t v = wk_auth_version();
    int ret;

    if (a->version == v)
        return 0;
    snprintf(user, sizeof(user), "%s", a->user);
    snprintf(db, sizeof(db), "%s", a->db);
    snprintf(mech, sizeof(mech), "%s", a->mech);
    ret = wk_authdb_get(WK_USERS_NS, db, user, &doc, NULL, &found, &cmd->err);
    if (ret == 0 && found)
        ret = wk_auth_login(cmd->conn, &doc, mech, v, &cmd->err);
    else if (ret == 0)
        wk_auth_logout(cmd->conn); /* dropped */
    bson_destroy(&doc);
    return ret;
}

/* The localhost exception: createUser / createRole from loopback while no user exists. */
static int
localhost_exception(wk_cmd_t *cmd, bool *allowed)
{
    bool any = true;

    *allowed = false;
    if (!wk_auth_is_localhost(cmd->conn) ||
        (strcmp(cmd->name, "createUser") != 0 && strcmp(cmd->name, "createRole") != 0))
        return 0;
    SDB_RET(wk_authdb_has_users(&any, &cmd->err));
    *allowed = !any;
    return 0;
}

void
wk_authz_uid(const struct wk_conn *conn, uint8_t out[SDB_LSID_UID_LEN])
{
    const wk_auth_t *a = conn != NULL ? conn->auth : NULL;

    if (a != NULL && a->authed)
        wk_session_uid(a->user, a->db, out);
    else
        wk_session_uid(NULL, NULL, out);
}

/*
 * lsid_uid_check --
 *     An lsid may name a uid (the user digest) only when it is the logged-in user's own
 *     (SHA-256 of "user@db", of "" for nobody), as mongod's makeLogicalSessionId: another
 *     user's needs impersonate, which only __system holds.
 */
static int
lsid_uid_check(wk_cmd_t *cmd, const wk_auth_t *a)
{
    uint8_t mine[WK_SESSION_UID_LEN];
    bson_iter_t it, f;
    bson_subtype_t st;
    const uint8_t *data;
    uint32_t len;

    if (!bson_iter_init_find(&it, cmd->body, "lsid") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &f) || !bson_iter_find(&f, "uid") ||
        (a != NULL && a->authed && wk_authz_has_role(cmd->conn, "__system", "admin")))
        return 0;
    wk_authz_uid(cmd->conn, mine);
    if (BSON_ITER_HOLDS_BINARY(&f)) {
        bson_iter_binary(&f, &st, &len, &data);
        if (len == WK_SESSION_UID_LEN && memcmp(data, mine, len) == 0)
            return 0;
    }
    return sdb_error_set(&cmd->err, SDB_CODE_Unauthorized,
                         "Unauthorized to set user digest in LogicalSessionId");
}

/*
 * wk_authz_check --
 *     May this connection run this command?
 */
int
wk_authz_check(wk_cmd_t *cmd, const wk_cmd_def_t *def)
{
    static bool initdb_done;
    wk_auth_t *a = cmd->conn->auth;
    check_t ck = {cmd, NULL, true};
    bool allowed;

    if (!wk_cfg->auth)
        return 0;
    if (!initdb_done) {
        sdb_error_t ierr;
        memset(&ierr, 0, sizeof(ierr));
        initdb_done = true;
        if (wk_auth_initdb(&ierr) != 0) /* another worker's creation raced it: its user stands */
            sdb_logf(SDB_LOG_W, "ACCESS", 20259, "Could not create the root user", "%s", ierr.msg);
    }
    if (def->flags & WK_CMD_F_NO_AUTH)
        return 0;
    if (a != NULL && a->authed)
        SDB_RET(refresh(cmd, a));
    SDB_RET(lsid_uid_check(cmd, cmd->conn->auth)); /* refresh may log a dropped user out */
    if (a == NULL || !a->authed) {
        SDB_RET(localhost_exception(cmd, &allowed));
        if (allowed)
            return 0;
        return sdb_error_set(&cmd->err, SDB_CODE_Unauthorized, "Command %s requires authentication",
                             wk_command_name(def));
    }
    ck.privs = &a->privs;
    check_body(&ck, cmd->body, cmd->db, cmd->name);
    return ck.ok ? 0 : unauthorized(cmd);
}

/*
 * wk_authz_list_databases --
 *     authorizedDatabases as mongod applies it.
 */
int
wk_authz_list_databases(wk_cmd_t *cmd, bool *filter)
{
    wk_auth_t *a = cmd->conn->auth;
    bson_iter_t it;
    bool all, given = bson_iter_init_find(&it, cmd->body, "authorizedDatabases");

    *filter = false;
    if (!wk_cfg->auth)
        return 0;
    all = a != NULL && a->authed &&
          wk_privset_allows(&a->privs, WK_RES_CLUSTER, "", "", WK_ACT_listDatabases);
    if (given && !bson_iter_as_bool(&it) && !all)
        return unauthorized(cmd);
    *filter = given ? bson_iter_as_bool(&it) : !all;
    return 0;
}

/*
 * wk_authz_db_visible --
 *     Whether the filtered listDatabases shows db.
 */
bool
wk_authz_db_visible(wk_conn_t *c, const char *db)
{
    return c->auth != NULL && c->auth->authed && wk_privset_any_in_db(&c->auth->privs, db);
}

/*
 * wk_authz_list_collections --
 *     Whether listCollections must show only the collections the user may act on.
 */
bool
wk_authz_list_collections(wk_cmd_t *cmd)
{
    wk_auth_t *a = cmd->conn->auth;

    return wk_cfg->auth && authorized_names_only(cmd->body) &&
           !(a != NULL && a->authed &&
             wk_privset_allows(&a->privs, WK_RES_DB, cmd->db, "", WK_ACT_listCollections));
}

/*
 * wk_authz_coll_visible --
 *     Whether the filtered listCollections shows db.coll.
 */
bool
wk_authz_coll_visible(wk_conn_t *c, const char *db, const char *coll)
{
    return c->auth != NULL && c->auth->authed && wk_privset_any_on_ns(&c->auth->privs, db, coll);
}

/*
 * wk_authz_append_owner --
 *     The cursor's owner, as the master checks it (a logged-in user's "user@db").
 */
void
wk_authz_append_owner(wk_conn_t *c, bson_t *req)
{
    char who[sizeof(c->auth->user) + sizeof(c->auth->db) + 1] = "";

    if (!wk_cfg->auth || c == NULL)
        return;
    if (c->auth != NULL && c->auth->authed)
        snprintf(who, sizeof(who), "%s@%s", c->auth->user, c->auth->db);
    BSON_APPEND_UTF8(req, "owner", who);
}

/*
 * wk_authz_append_killer --
 *     The owner a killCursors may kill for: none with killAnyCursor (mongod's
 *     checkAuthForKillCursors).
 */
void
wk_authz_append_killer(wk_conn_t *c, const char *db, const char *coll, bson_t *req)
{
    wk_auth_t *a = c != NULL ? c->auth : NULL;

    if (a != NULL && a->authed &&
        (wk_privset_allows(&a->privs, WK_RES_CLUSTER, "", "", WK_ACT_killAnyCursor) ||
         wk_privset_allows(&a->privs, WK_RES_NS, db, coll, WK_ACT_killAnyCursor)))
        return;
    wk_authz_append_owner(c, req);
}
