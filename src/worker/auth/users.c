/*
 * src/worker/auth/users.c -- user and role documents through the store, role resolution
 * (users.h).
 *
 * Lookups scan the collection (a server holds a handful of users and roles; the scan is
 * one storage operation per 8 MiB) and compare _id.  Role resolution walks the role graph
 * breadth first with a visited list, so a cycle in custom roles ends.  Event-loop thread.
 */
#include "users.h"

#include "../../common/log.h"
#include "../../common/sdb.h"
#include "../store_client.h"
#include "../worker.h"
#include "scram.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/*
 * wk_authdb_each --
 *     Every document of ns, in record order.
 */
int
wk_authdb_each(const char *ns, wk_authdb_each_fn fn, void *arg, sdb_error_t *err)
{
    int64_t after = 0;
    bool has_after = false, eof = false;
    int ret = 0;

    while (!eof && ret == 0) {
        bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
        bson_iter_t it, arr, ent;

        BSON_APPEND_UTF8(&req, "ns", ns);
        if (has_after)
            BSON_APPEND_INT64(&req, "after", after);
        BSON_APPEND_INT32(&req, "limit", 0);
        ret = wk_store_call(SDB_OP_SCAN, &req, &reply, err);
        eof = true;
        if (ret == 0 && bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &arr)) {
            while (ret == 0 && bson_iter_next(&arr) && bson_iter_recurse(&arr, &ent)) {
                const uint8_t *data = NULL;
                uint32_t len = 0;
                bson_t d;
                while (bson_iter_next(&ent)) {
                    if (strcmp(bson_iter_key(&ent), "r") == 0)
                        after = bson_iter_as_int64(&ent);
                    else if (strcmp(bson_iter_key(&ent), "d") == 0 &&
                             BSON_ITER_HOLDS_DOCUMENT(&ent))
                        bson_iter_document(&ent, &len, &data);
                }
                has_after = true;
                if (data != NULL && bson_init_static(&d, data, len))
                    ret = fn(&d, after, arg);
            }
            eof = bson_iter_init_find(&it, &reply, "eof") && bson_iter_as_bool(&it);
        }
        bson_destroy(&reply);
        bson_destroy(&req);
    }
    return ret;
}

typedef struct get_arg {
    const char *id;
    bson_t *doc;
    int64_t r;
    bool found;
} get_arg_t;

static int
get_one(const bson_t *doc, int64_t r, void *arg)
{
    get_arg_t *g = arg;
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it) &&
        strcmp(bson_iter_utf8(&it, NULL), g->id) == 0) {
        bson_concat(g->doc, doc);
        g->r = r;
        g->found = true;
        return 1; /* stop */
    }
    return 0;
}

/*
 * wk_authdb_get --
 *     The document whose _id is "db.name".
 */
int
wk_authdb_get(const char *ns, const char *db, const char *name, bson_t *doc, int64_t *r,
              bool *found, sdb_error_t *err)
{
    char id[512];
    get_arg_t g = {id, doc, 0, false};
    int ret;

    bson_init(doc);
    snprintf(id, sizeof(id), "%s.%s", db, name);
    ret = wk_authdb_each(ns, get_one, &g, err);
    *found = g.found;
    if (r != NULL)
        *r = g.r;
    return ret == 1 ? 0 : ret;
}

static int
stop_at_first(const bson_t *doc, int64_t r, void *arg)
{
    (void)doc;
    (void)r;
    *(bool *)arg = true;
    return 1;
}

/*
 * wk_authdb_has_users --
 *     Whether any user exists.
 */
int
wk_authdb_has_users(bool *any, sdb_error_t *err)
{
    int ret;

    *any = false;
    ret = wk_authdb_each(WK_USERS_NS, stop_at_first, any, err);
    return ret == 1 ? 0 : ret;
}

typedef struct list_arg {
    const char *db;
    wk_authdb_docs_t *out;
} list_arg_t;

static int
list_one(const bson_t *doc, int64_t r, void *arg)
{
    list_arg_t *l = arg;
    wk_authdb_docs_t *d = l->out;
    bson_iter_t it;

    if (l->db != NULL && !(bson_iter_init_find(&it, doc, "db") && BSON_ITER_HOLDS_UTF8(&it) &&
                           strcmp(bson_iter_utf8(&it, NULL), l->db) == 0))
        return 0;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->docs = bson_realloc(d->docs, d->cap * sizeof(*d->docs));
        d->rs = bson_realloc(d->rs, d->cap * sizeof(*d->rs));
    }
    d->docs[d->n] = bson_copy(doc);
    d->rs[d->n++] = r;
    return 0;
}

/*
 * wk_authdb_list --
 *     The documents of ns in database db (NULL: all).
 */
int
wk_authdb_list(const char *ns, const char *db, wk_authdb_docs_t *out, sdb_error_t *err)
{
    list_arg_t l = {db, out};

    return wk_authdb_each(ns, list_one, &l, err);
}

/*
 * wk_authdb_docs_free --
 *     Release a list.
 */
void
wk_authdb_docs_free(wk_authdb_docs_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        bson_destroy(d->docs[i]);
    bson_free(d->docs);
    bson_free(d->rs);
    memset(d, 0, sizeof(*d));
}

/*
 * wk_authdb_update_fields --
 *     Replace record r with old's fields updated from repl.
 */
int
wk_authdb_update_fields(const char *ns, int64_t r, const bson_t *old, const bson_t *repl,
                        sdb_error_t *err)
{
    bson_t out = BSON_INITIALIZER;
    bson_iter_t it, f;
    int ret;

    bson_iter_init(&it, old);
    while (bson_iter_next(&it)) {
        if (bson_iter_init_find(&f, repl, bson_iter_key(&it)))
            bson_append_iter(&out, bson_iter_key(&it), -1, &f);
        else
            bson_append_iter(&out, bson_iter_key(&it), -1, &it);
    }
    bson_iter_init(&it, repl);
    while (bson_iter_next(&it))
        if (!bson_has_field(old, bson_iter_key(&it)))
            bson_append_iter(&out, bson_iter_key(&it), -1, &it);
    ret = wk_authdb_replace(ns, r, old, &out, err);
    bson_destroy(&out);
    return ret;
}

/*
 * wk_authdb_insert --
 *     Insert one document; a duplicate _id is reported in *dup.
 */
int
wk_authdb_insert(const char *ns, const bson_t *doc, bool *dup, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, docs;
    bson_iter_t it, we, f;
    int ret;

    *dup = false;
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_ARRAY_BEGIN(&req, "docs", &docs);
    BSON_APPEND_DOCUMENT(&docs, "0", doc);
    bson_append_array_end(&req, &docs);
    BSON_APPEND_BOOL(&req, "ordered", true);
    ret = wk_store_call(SDB_OP_INSERT, &req, &reply, err);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "writeErrors") &&
        bson_iter_recurse(&it, &we) && bson_iter_next(&we) && bson_iter_recurse(&we, &f)) {
        int64_t code = 0;
        const char *msg = "write failed";
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "code") == 0)
                code = bson_iter_as_int64(&f);
            else if (strcmp(bson_iter_key(&f), "errmsg") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                msg = bson_iter_utf8(&f, NULL);
        }
        if (code == SDB_CODE_DuplicateKey || code == SDB_CODE_WriteConflict)
            *dup = true; /* the same _id, committed or being inserted by another worker */
        else
            ret = sdb_error_set(err, (int)code, "%s", msg);
    }
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/*
 * wk_authdb_replace --
 *     Replace record r.
 */
int
wk_authdb_replace(const char *ns, int64_t r, const bson_t *old, const bson_t *doc, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    int ret;

    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_INT64(&req, "r", r);
    BSON_APPEND_DOCUMENT(&req, "old", old);
    BSON_APPEND_DOCUMENT(&req, "new", doc);
    ret = wk_store_call(SDB_OP_UPDATE, &req, &reply, err);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/*
 * wk_authdb_delete --
 *     Delete record r.
 */
int
wk_authdb_delete(const char *ns, int64_t r, const bson_t *old, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    int ret;

    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_INT64(&req, "r", r);
    BSON_APPEND_DOCUMENT(&req, "old", old);
    ret = wk_store_call(SDB_OP_DELETE, &req, &reply, err);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/*
 * wk_auth_role_exists --
 *     Whether role@db is built in or a custom role.
 */
int
wk_auth_role_exists(const char *role, const char *db, bool *exists, sdb_error_t *err)
{
    bson_t doc;
    int ret;

    if (wk_role_builtin(role, db, NULL)) {
        *exists = true;
        return 0;
    }
    ret = wk_authdb_get(WK_ROLES_NS, db, role, &doc, NULL, exists, err);
    bson_destroy(&doc);
    return ret;
}

/* The {role, db} names of a roles array appended to the work queue `q` (an array). */
static void
queue_roles(bson_iter_t *arr, bson_t *q, uint32_t *nq)
{
    while (bson_iter_next(arr)) {
        bson_iter_t f;
        const char *role = NULL, *db = NULL;
        char key[16];
        bson_t e;

        if (!BSON_ITER_HOLDS_DOCUMENT(arr) || !bson_iter_recurse(arr, &f))
            continue;
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "role") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                role = bson_iter_utf8(&f, NULL);
            else if (strcmp(bson_iter_key(&f), "db") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                db = bson_iter_utf8(&f, NULL);
        }
        if (role == NULL || db == NULL)
            continue;
        snprintf(key, sizeof(key), "%u", (*nq)++);
        BSON_APPEND_DOCUMENT_BEGIN(q, key, &e);
        BSON_APPEND_UTF8(&e, "role", role);
        BSON_APPEND_UTF8(&e, "db", db);
        bson_append_document_end(q, &e);
    }
}

/*
 * wk_auth_role_pair --
 *     The role and db of one {role, db} element.
 */
bool
wk_auth_role_pair(const bson_iter_t *el, const char **role, const char **db)
{
    bson_iter_t f;

    *role = *db = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(el) || !bson_iter_recurse(el, &f))
        return false;
    while (bson_iter_next(&f)) {
        if (strcmp(bson_iter_key(&f), "role") == 0 && BSON_ITER_HOLDS_UTF8(&f))
            *role = bson_iter_utf8(&f, NULL);
        else if (strcmp(bson_iter_key(&f), "db") == 0 && BSON_ITER_HOLDS_UTF8(&f))
            *db = bson_iter_utf8(&f, NULL);
    }
    return true;
}

/*
 * wk_auth_roles_contains --
 *     Whether a [{role, db}] array holds role@db.
 */
bool
wk_auth_roles_contains(const bson_t *all, const char *role, const char *db)
{
    bson_iter_t it;

    if (role == NULL || db == NULL)
        return false;
    bson_iter_init(&it, all);
    while (bson_iter_next(&it)) {
        const char *r, *d;

        if (wk_auth_role_pair(&it, &r, &d) && r != NULL && d != NULL && strcmp(r, role) == 0 &&
            strcmp(d, db) == 0)
            return true;
    }
    return false;
}

/* Resolve one role: built in, or custom (its privileges, and its roles queued). */
static int
resolve_one(const char *role, const char *db, wk_privset_t *privs, bson_t *q, uint32_t *nq,
            sdb_error_t *err)
{
    bson_t doc;
    bson_iter_t it;
    bool found;
    int ret;

    if (wk_role_builtin(role, db, privs))
        return 0;
    ret = wk_authdb_get(WK_ROLES_NS, db, role, &doc, NULL, &found, err);
    if (ret == 0 && found) {
        if (bson_iter_init_find(&it, &doc, "privileges"))
            ret = wk_privset_parse(&it, privs, err);
        if (ret == 0 && bson_iter_init_find(&it, &doc, "roles") && BSON_ITER_HOLDS_ARRAY(&it)) {
            bson_iter_t arr;
            bson_iter_recurse(&it, &arr);
            queue_roles(&arr, q, nq);
        }
    }
    bson_destroy(&doc);
    return ret;
}

/*
 * wk_auth_resolve --
 *     Privileges and transitive roles of a roles array.
 */
int
wk_auth_resolve(const bson_iter_t *roles, wk_privset_t *privs, bson_t *all, sdb_error_t *err)
{
    bson_t q = BSON_INITIALIZER, seen = BSON_INITIALIZER;
    bson_iter_t arr, it, f;
    uint32_t nq = 0, done = 0, nseen = 0;
    int ret = 0;

    if (BSON_ITER_HOLDS_ARRAY(roles) && bson_iter_recurse(roles, &arr))
        queue_roles(&arr, &q, &nq);
    while (ret == 0 && done < nq) {
        char key[16], role[256], db[64];
        bool has_role = false, has_db = false;
        bson_t e;

        snprintf(key, sizeof(key), "%u", done++);
        if (!bson_iter_init_find(&it, &q, key) || !bson_iter_recurse(&it, &f))
            continue;
        while (bson_iter_next(&f)) { /* copies: resolving appends to q */
            if (strcmp(bson_iter_key(&f), "role") == 0)
                has_role = snprintf(role, sizeof(role), "%s", bson_iter_utf8(&f, NULL)) > 0;
            else
                has_db = snprintf(db, sizeof(db), "%s", bson_iter_utf8(&f, NULL)) > 0;
        }
        if (!has_role || !has_db || wk_auth_roles_contains(&seen, role, db))
            continue;
        snprintf(key, sizeof(key), "%u", nseen++);
        BSON_APPEND_DOCUMENT_BEGIN(&seen, key, &e);
        BSON_APPEND_UTF8(&e, "role", role);
        BSON_APPEND_UTF8(&e, "db", db);
        bson_append_document_end(&seen, &e);
        ret = resolve_one(role, db, privs, &q, &nq, err);
    }
    if (all != NULL)
        bson_concat(all, &seen);
    bson_destroy(&seen);
    bson_destroy(&q);
    return ret;
}

/*
 * wk_auth_roles_normalize --
 *     Role names or {role, db} documents into [{role, db}], each checked to exist.
 */
int
wk_auth_roles_normalize(const bson_iter_t *roles, const char *db, bson_t *out, sdb_error_t *err)
{
    bson_iter_t arr, f;
    uint32_t n = 0;

    if (!BSON_ITER_HOLDS_ARRAY(roles) || !bson_iter_recurse(roles, &arr))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "roles must be an array");
    bson_iter_init(&f, out);
    while (bson_iter_next(&f))
        n++;
    while (bson_iter_next(&arr)) {
        char role[256] = "", rdb[64] = "", key[16];
        bool exists;
        bson_t e;

        if (BSON_ITER_HOLDS_UTF8(&arr)) {
            snprintf(role, sizeof(role), "%s", bson_iter_utf8(&arr, NULL));
            snprintf(rdb, sizeof(rdb), "%s", db);
        } else if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &f)) {
            while (bson_iter_next(&f)) {
                if (!BSON_ITER_HOLDS_UTF8(&f))
                    continue;
                if (strcmp(bson_iter_key(&f), "role") == 0)
                    snprintf(role, sizeof(role), "%s", bson_iter_utf8(&f, NULL));
                else if (strcmp(bson_iter_key(&f), "db") == 0)
                    snprintf(rdb, sizeof(rdb), "%s", bson_iter_utf8(&f, NULL));
            }
            if (role[0] == '\0' || rdb[0] == '\0')
                return sdb_error_set(err, SDB_CODE_BadValue,
                                     "Role names must be either strings or objects with a "
                                     "\"role\" and \"db\" field");
        } else {
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "Role names must be either strings or objects");
        }
        SDB_RET(wk_auth_role_exists(role, rdb, &exists, err));
        if (!exists)
            return sdb_error_set(err, SDB_CODE_RoleNotFound, "Could not find role: %s@%s", role,
                                 rdb);
        if (wk_auth_roles_contains(out, role, rdb))
            continue;
        snprintf(key, sizeof(key), "%u", n++);
        BSON_APPEND_DOCUMENT_BEGIN(out, key, &e);
        BSON_APPEND_UTF8(&e, "role", role);
        BSON_APPEND_UTF8(&e, "db", rdb);
        bson_append_document_end(out, &e);
    }
    return 0;
}

/*
 * wk_auth_mechs_parse --
 *     The mechanisms argument.
 */
int
wk_auth_mechs_parse(const bson_t *body, unsigned *mechs, sdb_error_t *err)
{
    bson_iter_t it, arr;

    *mechs = WK_MECH_SHA1 | WK_MECH_SHA256;
    if (!bson_iter_init_find(&it, body, "mechanisms"))
        return 0;
    if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field 'mechanisms' is the wrong type, expected type 'array'");
    *mechs = 0;
    while (bson_iter_next(&arr)) {
        const char *m = BSON_ITER_HOLDS_UTF8(&arr) ? bson_iter_utf8(&arr, NULL) : "";
        if (strcmp(m, "SCRAM-SHA-1") == 0)
            *mechs |= WK_MECH_SHA1;
        else if (strcmp(m, "SCRAM-SHA-256") == 0)
            *mechs |= WK_MECH_SHA256;
        else
            return sdb_error_set(err, SDB_CODE_BadValue, "Unknown auth mechanism '%s'", m);
    }
    if (*mechs == 0)
        return sdb_error_set(err, SDB_CODE_BadValue, "mechanisms field must not be empty");
    return 0;
}

/*
 * wk_auth_credentials_append --
 *     credentials and mechanisms for user/pwd.
 */
int
wk_auth_credentials_append(bson_t *doc, const char *user, const char *pwd, unsigned mechs,
                           sdb_error_t *err)
{
    bson_t creds, arr;
    char prepared[1024];
    uint32_t n = 0;

    BSON_APPEND_DOCUMENT_BEGIN(doc, "credentials", &creds);
    for (int m = WK_SCRAM_SHA1; m <= WK_SCRAM_SHA256; m++) {
        wk_scram_cred_t c;
        int64_t iters = m == WK_SCRAM_SHA1 ? wk_cfg->scram_sha1_iters : wk_cfg->scram_sha256_iters;
        int ret;

        if (!(mechs & (m == WK_SCRAM_SHA1 ? WK_MECH_SHA1 : WK_MECH_SHA256)))
            continue;
        ret = wk_scram_password(m, user, pwd, prepared, sizeof(prepared), err);
        if (ret == 0)
            ret = wk_scram_cred_make(m, prepared, iters, &c);
        if (ret != 0) {
            bson_append_document_end(doc, &creds);
            return ret;
        }
        wk_scram_cred_append(&creds, wk_scram_mech_name(m), m, &c);
    }
    bson_append_document_end(doc, &creds);
    BSON_APPEND_ARRAY_BEGIN(doc, "mechanisms", &arr);
    if (mechs & WK_MECH_SHA1) {
        BSON_APPEND_UTF8(&arr, "0", "SCRAM-SHA-1");
        n++;
    }
    if (mechs & WK_MECH_SHA256)
        BSON_APPEND_UTF8(&arr, n == 0 ? "0" : "1", "SCRAM-SHA-256");
    bson_append_array_end(doc, &arr);
    return 0;
}

/*
 * wk_auth_user_new --
 *     A new user document in mongod's shape.
 */
int
wk_auth_user_new(const char *db, const char *user, const char *pwd, const bson_t *roles_arr,
                 const bson_iter_t *custom, unsigned mechs, bson_t *out, sdb_error_t *err)
{
    char id[512];
    uint8_t uuid[16];
    bson_t tmp = BSON_INITIALIZER;
    int ret;

    bson_init(out);
    snprintf(id, sizeof(id), "%s.%s", db, user);
    if (RAND_bytes(uuid, sizeof(uuid)) != 1)
        return sdb_error_set(err, SDB_CODE_InternalError, "no random bytes for the userId");
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
    BSON_APPEND_UTF8(out, "_id", id);
    BSON_APPEND_BINARY(out, "userId", BSON_SUBTYPE_UUID, uuid, sizeof(uuid));
    BSON_APPEND_UTF8(out, "user", user);
    BSON_APPEND_UTF8(out, "db", db);
    ret = wk_auth_credentials_append(&tmp, user, pwd, mechs, err);
    if (ret == 0) {
        bson_iter_t it;
        bson_iter_init_find(&it, &tmp, "credentials");
        bson_append_iter(out, "credentials", -1, &it);
        BSON_APPEND_ARRAY(out, "roles", roles_arr);
        if (custom != NULL)
            bson_append_iter(out, "customData", -1, custom);
        bson_iter_init_find(&it, &tmp, "mechanisms");
        bson_append_iter(out, "mechanisms", -1, &it);
    }
    bson_destroy(&tmp);
    return ret;
}

/*
 * wk_auth_initdb --
 *     Create the configured root user at first start.
 */
int
wk_auth_initdb(sdb_error_t *err)
{
    bson_t roles = BSON_INITIALIZER, doc, e;
    bool any, dup;
    int ret;

    if (wk_cfg->initdb_user[0] == '\0')
        return 0;
    SDB_RET(wk_authdb_has_users(&any, err));
    if (any)
        return 0;
    BSON_APPEND_DOCUMENT_BEGIN(&roles, "0", &e);
    BSON_APPEND_UTF8(&e, "role", "root");
    BSON_APPEND_UTF8(&e, "db", "admin");
    bson_append_document_end(&roles, &e);
    ret = wk_auth_user_new("admin", wk_cfg->initdb_user, wk_cfg->initdb_pwd, &roles, NULL,
                           WK_MECH_SHA1 | WK_MECH_SHA256, &doc, err);
    if (ret == 0)
        ret = wk_authdb_insert(WK_USERS_NS, &doc, &dup, err); /* dup: another worker's */
    if (ret == 0 && !dup)
        sdb_logf(SDB_LOG_I, "ACCESS", 20258, "Created the root user", "{\"user\": \"%s\"}",
                 wk_cfg->initdb_user);
    bson_destroy(&doc);
    bson_destroy(&roles);
    return ret;
}
