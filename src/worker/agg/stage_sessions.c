/*
 * src/worker/agg/stage_sessions.c -- $listLocalSessions (the sessions in the server's cache)
 * and $listSessions (those persisted in config.system.sessions).
 *
 * {$listSessions: {allUsers?, users?}} must open a pipeline on config.system.sessions, which
 * the master refreshes from its cache (master/sessions_coll.c); it keeps the collection's
 * documents of the requested users, as $listLocalSessions does with the cache.
 *
 * {$listLocalSessions: {allUsers?: bool, users?: [{user, db}]}} must open an
 * {aggregate: 1} pipeline.  It reads the master's session cache (SESSION_LIST, fed by every
 * worker's wk_session_note) and emits {_id: {id, uid}, lastUse} for each session whose uid
 * is one of the requested users' (SHA-256 of "user@db"), every session with allUsers, and
 * by default those of the current user (the operation's uid, op.h: of "" for nobody).
 *
 * Invariants: event-loop thread (a store call); the parsed state owns its uid list.
 */
#include "agg_int.h"

#include "../../common/storeop.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/session.h"
#include "../store_client.h"

#include <string.h>

typedef struct lls {
    bool all;
    size_t n;
    uint8_t (*uids)[WK_SESSION_UID_LEN];
} lls_t;

/* parse_users -- users: [{user, db}] into uids (`stage` names the stage in errors). */
static int
parse_users(const char *stage, const bson_iter_t *it, lls_t *l, sdb_error_t *err)
{
    bson_iter_t arr, f;

    if (!BSON_ITER_HOLDS_ARRAY(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.users' is the wrong type '%s', "
                             "expected type 'array'",
                             stage, wk_agg_type_name(bson_iter_type(it)));
    bson_iter_recurse(it, &arr);
    while (bson_iter_next(&arr)) {
        const char *user = NULL, *db = NULL;

        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &f))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "%s users must be documents {user, db}", stage);
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "user") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                user = bson_iter_utf8(&f, NULL);
            else if (strcmp(bson_iter_key(&f), "db") == 0 && BSON_ITER_HOLDS_UTF8(&f))
                db = bson_iter_utf8(&f, NULL);
        }
        if (user == NULL || db == NULL)
            return sdb_error_set(err, WK_CODE_MISSING_FIELD,
                                 "BSON field '%s.users.%s' is missing but a required field", stage,
                                 user == NULL ? "user" : "db");
        l->uids = bson_realloc(l->uids, (l->n + 1) * sizeof(*l->uids));
        wk_session_uid(user, db, l->uids[l->n++]);
    }
    return 0;
}

/* parse_options -- {allUsers?, users?} of $listLocalSessions or $listSessions. */
static int
parse_options(const char *stage, const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
              sdb_error_t *err)
{
    lls_t *l;
    bson_iter_t it;
    bool users = false;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "%s options must be specified in an object, but found: %s", stage,
                             wk_agg_type_name(bson_iter_type(spec)));
    l = bson_malloc0(sizeof(*l));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "allUsers") == 0 && BSON_ITER_HOLDS_BOOL(&it)) {
            l->all = bson_iter_bool(&it);
        } else if (strcmp(k, "users") == 0) {
            users = true;
            SDB_ERR(parse_users(stage, &it, l, err));
        } else {
            SDB_ERR(sdb_error_set(err, WK_CODE_UNKNOWN_FIELD,
                                  "BSON field '%s.%s' is an unknown field.", stage, k));
        }
    }
    if (l->all && users)
        SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue,
                              "%s cannot be run with both allUsers and users", stage));
    if (!l->all && !users) { /* the caller's own (op.h) */
        l->uids = bson_malloc(sizeof(*l->uids));
        if (ctx->op != NULL)
            memcpy(l->uids[l->n++], ctx->op->uid, WK_SESSION_UID_LEN);
        else
            wk_session_uid(NULL, NULL, l->uids[l->n++]);
    }
    *priv = l;
    return 0;
err:
    wk_agg_free_list_local_sessions(l);
    return ret;
}

int
wk_agg_parse_list_local_sessions(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                                 sdb_error_t *err)
{
    if (BSON_ITER_HOLDS_DOCUMENT(spec) && ctx->coll != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$listLocalSessions must be run against the database with "
                             "{aggregate: 1}, not a collection");
    return parse_options("$listLocalSessions", spec, ctx, priv, err);
}

int
wk_agg_parse_list_sessions(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                           sdb_error_t *err)
{
    if (ctx->coll == NULL || strcmp(ctx->db, "config") != 0 ||
        strcmp(ctx->coll, "system.sessions") != 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$listSessions may only be run against config.system.sessions");
    return parse_options("$listSessions", spec, ctx, priv, err);
}

/* wanted -- does the session document's _id.uid belong to the requested users? */
static bool
wanted(const lls_t *l, const bson_t *s)
{
    bson_iter_t it;
    bson_subtype_t st;
    const uint8_t *data;
    uint32_t len;

    if (l->all)
        return true;
    if (!bson_iter_init(&it, s) || !bson_iter_find_descendant(&it, "_id.uid", &it) ||
        !BSON_ITER_HOLDS_BINARY(&it))
        return false;
    bson_iter_binary(&it, &st, &len, &data);
    for (size_t i = 0; i < l->n; i++)
        if (len == WK_SESSION_UID_LEN && memcmp(l->uids[i], data, len) == 0)
            return true;
    return false;
}

int
wk_agg_run_list_local_sessions(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,
                               wk_agg_docs_t *out, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply, s;
    bson_iter_t it, arr;
    int ret = 0;

    SDB_UNUSED(ctx);
    SDB_UNUSED(in);
    SDB_ERR(wk_cmdu_store(SDB_OP_SESSION_LIST, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "sessions") && bson_iter_recurse(&it, &arr)) {
        while (bson_iter_next(&arr)) {
            const uint8_t *data;
            uint32_t len;

            if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
                continue;
            bson_iter_document(&arr, &len, &data);
            if (bson_init_static(&s, data, len) && wanted(priv, &s))
                wk_agg_docs_push(out, bson_copy(&s));
        }
    }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

int
wk_agg_run_list_sessions(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                         sdb_error_t *err)
{
    SDB_UNUSED(ctx);
    SDB_UNUSED(err);
    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] != NULL && wanted(priv, in->v[i])) {
            wk_agg_docs_push(out, in->v[i]);
            in->v[i] = NULL;
        }
    }
    return 0;
}

void
wk_agg_free_list_sessions(void *priv)
{
    wk_agg_free_list_local_sessions(priv);
}

void
wk_agg_free_list_local_sessions(void *priv)
{
    lls_t *l = priv;

    if (l == NULL)
        return;
    bson_free(l->uids);
    bson_free(l);
}
