/*
 * src/worker/cmd/auth.c -- saslStart, saslContinue, authenticate, logout, connectionStatus,
 * and the handshake's saslSupportedMechs and speculativeAuthenticate.
 *
 * A SCRAM conversation is two saslStart/saslContinue steps (auth/scram.h) plus, unless the
 * client asked for options.skipEmptyExchange, a last empty saslContinue; its state is on the
 * connection (auth/authz.h) with conversationId 1, as mongod numbers it.  The user's
 * credentials come from admin.system.users (auth/users.h); an unknown user and a wrong proof
 * both answer 18 "Authentication failed." (mongod never says which), after the failure delay.
 * MONGODB-X509 (the authenticate command, saslStart, or hello's speculativeAuthenticate) logs
 * in the $external user named by the TLS client certificate's verified subject (tls.h).
 * Event-loop thread only.
 */
#include "auth.h"

#include "../../common/log.h"
#include "../../common/sdb.h"
#include "../auth/authz.h"
#include "../auth/users.h"
#include "../conn.h"
#include "../tls.h"
#include "../worker.h"

#include <stdio.h>
#include <string.h>

/* The payload field: binary (drivers) or a string. */
static bool
payload(const bson_t *doc, const uint8_t **data, uint32_t *len)
{
    bson_iter_t it;
    bson_subtype_t st;

    if (!bson_iter_init_find(&it, doc, "payload"))
        return false;
    if (BSON_ITER_HOLDS_BINARY(&it)) {
        bson_iter_binary(&it, &st, len, data);
        return true;
    }
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        *data = (const uint8_t *)bson_iter_utf8(&it, len);
        return true;
    }
    return false;
}

static void
append_step(bson_t *out, bool done, const char *msg)
{
    BSON_APPEND_INT32(out, "conversationId", 1);
    BSON_APPEND_BOOL(out, "done", done);
    BSON_APPEND_BINARY(out, "payload", BSON_SUBTYPE_BINARY, (const uint8_t *)msg,
                       (uint32_t)strlen(msg));
}

static void
log_success(wk_conn_t *c)
{
    bson_t attr = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&attr, "mechanism", c->auth->mech);
    BSON_APPEND_UTF8(&attr, "user", c->auth->user);
    BSON_APPEND_UTF8(&attr, "db", c->auth->db);
    BSON_APPEND_UTF8(&attr, "client", c->peer);
    sdb_log(SDB_LOG_I, "ACCESS", 20250, "Authentication succeeded", &attr);
    bson_destroy(&attr);
}

static int x509_login(wk_cmd_t *cmd, const char *db, const char *user);

/* saslStart with MONGODB-X509: one step, the payload (may be empty) naming the user. */
static int
sasl_x509(wk_cmd_t *cmd, const char *db, const bson_t *spec, bson_t *out)
{
    const uint8_t *data = NULL;
    uint32_t len = 0;
    char user[512];

    if (payload(spec, &data, &len) && len >= sizeof(user))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Invalid X.509 user name");
    snprintf(user, sizeof(user), "%.*s", (int)len, data != NULL ? (const char *)data : "");
    SDB_RET(x509_login(cmd, db, user));
    append_step(out, true, "");
    return 0;
}

/* First step: client-first in, server-first out.  A failure leaves no conversation. */
static int
sasl_start(wk_cmd_t *cmd, const char *db, const bson_t *spec, bson_t *out)
{
    wk_auth_t *a = wk_auth_of(cmd->conn);
    bson_iter_t it, o;
    const char *mech_name = "";
    const uint8_t *data;
    uint32_t len;
    wk_scram_mech_t mech;
    wk_scram_cred_t cred;
    bson_t user;
    bool found = false;
    char msg[512];
    int ret;

    bson_free(a->conv);
    a->conv = NULL;
    if (bson_iter_init_find(&it, spec, "mechanism") && BSON_ITER_HOLDS_UTF8(&it))
        mech_name = bson_iter_utf8(&it, NULL);
    if (strcmp(mech_name, "MONGODB-X509") == 0)
        return sasl_x509(cmd, db, spec, out);
    if (!wk_scram_mech_parse(mech_name, &mech))
        return sdb_error_set(&cmd->err, SDB_CODE_MechanismUnavailable,
                             "Received authentication for mechanism %s which is not enabled",
                             mech_name);
    if (!payload(spec, &data, &len))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Missing required field 'payload'");
    a->conv = bson_malloc0(sizeof(*a->conv));
    snprintf(a->conv_db, sizeof(a->conv_db), "%s", db);
    a->skip_empty = bson_iter_init_find(&it, spec, "options") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
                    bson_iter_recurse(&it, &o) && bson_iter_find(&o, "skipEmptyExchange") &&
                    bson_iter_as_bool(&o);
    ret = wk_scram_client_first(a->conv, mech, data, len, &cmd->err);
    if (ret == 0)
        ret = wk_authdb_get(WK_USERS_NS, db, a->conv->user, &user, NULL, &found, &cmd->err);
    else
        bson_init(&user);
    if (ret == 0 && (!found || !wk_scram_cred_parse(&user, mech, &cred))) {
        sdb_error_set(&cmd->err, SDB_CODE_AuthenticationFailed, "Authentication failed.");
        wk_auth_failed(cmd->conn, a->conv->user, db, mech_name, &cmd->err);
        ret = SDB_ECLIENT;
    }
    if (ret == 0)
        ret = wk_scram_server_first(a->conv, &cred, msg, sizeof(msg), &cmd->err);
    bson_destroy(&user);
    if (ret != 0) {
        bson_free(a->conv);
        a->conv = NULL;
        return ret;
    }
    append_step(out, false, msg);
    return 0;
}

/*
 * wk_cmd_sasl_start --
 *     {saslStart: 1, mechanism, payload, options?}.
 */
int
wk_cmd_sasl_start(wk_cmd_t *cmd)
{
    return sasl_start(cmd, cmd->db, cmd->body, cmd->reply);
}

/* Second step: check the proof and log in; the user document is read again for its roles. */
static int
sasl_prove(wk_cmd_t *cmd, wk_auth_t *a, const uint8_t *data, uint32_t len)
{
    char msg[256], user_name[256], mech[32];
    bson_t user;
    bool found = false;
    uint64_t version = wk_auth_version();
    int ret;

    snprintf(user_name, sizeof(user_name), "%s", a->conv->user);
    snprintf(mech, sizeof(mech), "%s", wk_scram_mech_name(a->conv->mech));
    ret = wk_scram_client_final(a->conv, data, len, msg, sizeof(msg), &cmd->err);
    if (ret == 0)
        ret = wk_authdb_get(WK_USERS_NS, a->conv_db, user_name, &user, NULL, &found, &cmd->err);
    else
        bson_init(&user);
    if (ret == 0 && !found)
        ret = sdb_error_set(&cmd->err, SDB_CODE_AuthenticationFailed, "Authentication failed.");
    if (ret == 0)
        ret = wk_auth_login(cmd->conn, &user, mech, version, &cmd->err);
    bson_destroy(&user);
    if (ret != 0) {
        bson_free(a->conv);
        a->conv = NULL;
        if (cmd->err.code == SDB_CODE_AuthenticationFailed)
            wk_auth_failed(cmd->conn, user_name, cmd->db, mech, &cmd->err);
        return ret;
    }
    log_success(cmd->conn);
    append_step(cmd->reply, a->skip_empty, msg);
    if (a->skip_empty) {
        bson_free(a->conv);
        a->conv = NULL;
    }
    return 0;
}

/*
 * wk_cmd_sasl_continue --
 *     {saslContinue: 1, conversationId, payload}.
 */
int
wk_cmd_sasl_continue(wk_cmd_t *cmd)
{
    wk_auth_t *a = wk_auth_of(cmd->conn);
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    if (a->conv == NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_ProtocolError, "No SASL session state found");
    if (!bson_iter_init_find(&it, cmd->body, "conversationId") || !BSON_ITER_HOLDS_NUMBER(&it) ||
        bson_iter_as_int64(&it) != 1) {
        bson_free(a->conv);
        a->conv = NULL;
        return sdb_error_set(&cmd->err, SDB_CODE_ProtocolError, "sasl: Mismatched conversation id");
    }
    if (strcmp(a->conv_db, cmd->db) != 0) {
        bson_free(a->conv);
        a->conv = NULL;
        return sdb_error_set(&cmd->err, SDB_CODE_ProtocolError,
                             "Attempt to switch database target during SASL authentication.");
    }
    if (!payload(cmd->body, &data, &len)) {
        bson_free(a->conv);
        a->conv = NULL;
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Missing required field 'payload'");
    }
    if (a->conv->step == 3) { /* the empty exchange after a verified proof */
        bson_free(a->conv);
        a->conv = NULL;
        append_step(cmd->reply, true, "");
        return 0;
    }
    return sasl_prove(cmd, a, data, len);
}

/* MONGODB-X509: the connection's verified client certificate subject names the user, in
 * $external (`user`, when given, must be that subject).  18 answers "Authentication failed."
 * whatever the reason, which goes to the log, as mongod words it there. */
static int
x509_login(wk_cmd_t *cmd, const char *db, const char *user)
{
    const char *subject = wk_tls_peer_subject(cmd->conn);
    const char *why = NULL;
    bson_t doc;
    bool found = false;
    uint64_t version = wk_auth_version();
    int ret;

    if (strcmp(db, "$external") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_ProtocolError,
                             "X.509 authentication must always use the $external database.");
    if (subject == NULL)
        why = "No verified subject name available from client";
    else if (user != NULL && user[0] != '\0' && strcmp(user, subject) != 0)
        why = "There is no x.509 client certificate matching the user.";
    if (why != NULL) {
        sdb_error_set(&cmd->err, SDB_CODE_AuthenticationFailed, "%s", why);
        wk_auth_failed(cmd->conn, user != NULL ? user : "", db, "MONGODB-X509", &cmd->err);
        return sdb_error_set(&cmd->err, SDB_CODE_AuthenticationFailed, "Authentication failed.");
    }
    ret = wk_authdb_get(WK_USERS_NS, db, subject, &doc, NULL, &found, &cmd->err);
    if (ret == 0 && !found) {
        sdb_error_set(&cmd->err, SDB_CODE_UserNotFound, "Could not find user \"%s\" for db \"%s\"",
                      subject, db);
        wk_auth_failed(cmd->conn, subject, db, "MONGODB-X509", &cmd->err);
        ret = sdb_error_set(&cmd->err, SDB_CODE_AuthenticationFailed, "Authentication failed.");
    }
    if (ret == 0)
        ret = wk_auth_login(cmd->conn, &doc, "MONGODB-X509", version, &cmd->err);
    bson_destroy(&doc);
    if (ret == 0)
        log_success(cmd->conn);
    return ret;
}

static const char *
utf8_field(const bson_t *doc, const char *name)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, name) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return NULL;
}

/* {authenticate: 1, mechanism, user?} in db (also as hello's speculativeAuthenticate):
 * *reply receives {dbname, user}. */
static int
authenticate(wk_cmd_t *cmd, const char *db, const bson_t *spec, bson_t *reply)
{
    const char *mech = utf8_field(spec, "mechanism");
    wk_auth_t *a;

    if (mech == NULL || mech[0] == '\0')
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Auth mechanism not specified");
    if (strcmp(mech, "MONGODB-X509") != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_MechanismUnavailable,
                             "Received authentication for mechanism %s which is not enabled", mech);
    SDB_RET(x509_login(cmd, db, utf8_field(spec, "user")));
    a = cmd->conn->auth;
    BSON_APPEND_UTF8(reply, "dbname", a->db);
    BSON_APPEND_UTF8(reply, "user", a->user);
    return 0;
}

/*
 * wk_cmd_authenticate --
 *     {authenticate: 1, mechanism: "MONGODB-X509", user?}: the one mechanism mongod takes
 *     through this command.
 */
int
wk_cmd_authenticate(wk_cmd_t *cmd)
{
    return authenticate(cmd, cmd->db, cmd->body, cmd->reply);
}

/*
 * wk_cmd_logout --
 *     Forget the connection's user.
 */
int
wk_cmd_logout(wk_cmd_t *cmd)
{
    wk_auth_logout(cmd->conn);
    return 0;
}

static void
append_user(bson_t *arr, uint32_t i, const char *user, const char *db)
{
    char key[16];
    bson_t d;

    snprintf(key, sizeof(key), "%u", i);
    BSON_APPEND_DOCUMENT_BEGIN(arr, key, &d);
    BSON_APPEND_UTF8(&d, "user", user);
    BSON_APPEND_UTF8(&d, "db", db);
    bson_append_document_end(arr, &d);
}

/*
 * wk_cmd_connection_status --
 *     authInfo: the authenticated user, its roles and, with showPrivileges, the privileges
 *     they grant.
 */
int
wk_cmd_connection_status(wk_cmd_t *cmd)
{
    wk_auth_t *a = cmd->conn->auth;
    bool authed = a != NULL && a->authed;
    bson_t ai, arr;
    bson_iter_t it;

    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "authInfo", &ai);
    BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUsers", &arr);
    if (authed)
        append_user(&arr, 0, a->user, a->db);
    bson_append_array_end(&ai, &arr);
    if (authed)
        BSON_APPEND_ARRAY(&ai, "authenticatedUserRoles", &a->direct_roles);
    else {
        BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUserRoles", &arr);
        bson_append_array_end(&ai, &arr);
    }
    if (bson_iter_init_find(&it, cmd->body, "showPrivileges") && bson_iter_as_bool(&it)) {
        BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUserPrivileges", &arr);
        if (authed)
            wk_privset_append(&a->privs, &arr);
        bson_append_array_end(&ai, &arr);
    }
    bson_append_document_end(cmd->reply, &ai);
    return 0;
}

/* saslSupportedMechs: "db.user" -> the user's mechanisms, when it exists. */
static int
supported_mechs(wk_cmd_t *cmd, const char *name)
{
    const char *dot = strchr(name, '.');
    char db[64];
    bson_t user;
    bson_iter_t it;
    bool found = false;
    int ret;

    if (dot == NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "UserName must contain a '.' separated database.user pair");
    snprintf(db, sizeof(db), "%.*s", (int)(dot - name), name);
    ret = wk_authdb_get(WK_USERS_NS, db, dot + 1, &user, NULL, &found, &cmd->err);
    if (ret == 0 && found && bson_iter_init_find(&it, &user, "mechanisms"))
        bson_append_iter(cmd->reply, "saslSupportedMechs", -1, &it);
    bson_destroy(&user);
    return ret;
}

/*
 * wk_auth_hello --
 *     The handshake's authentication fields.
 */
int
wk_auth_hello(wk_cmd_t *cmd)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, cmd->body, "saslSupportedMechs") && BSON_ITER_HOLDS_UTF8(&it))
        SDB_RET(supported_mechs(cmd, bson_iter_utf8(&it, NULL)));
    if (bson_iter_init_find(&it, cmd->body, "speculativeAuthenticate") &&
        BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t spec, out = BSON_INITIALIZER;
        bson_iter_t f;
        const char *db = "admin";
        sdb_error_t err = cmd->err;

        bson_iter_document(&it, &len, &data);
        if (!bson_init_static(&spec, data, len))
            return 0;
        if (bson_iter_init_find(&f, &spec, "db") && BSON_ITER_HOLDS_UTF8(&f))
            db = bson_iter_utf8(&f, NULL);
        if ((bson_has_field(&spec, "saslStart") && sasl_start(cmd, db, &spec, &out) == 0) ||
            (bson_has_field(&spec, "authenticate") && authenticate(cmd, db, &spec, &out) == 0))
            BSON_APPEND_DOCUMENT(cmd->reply, "speculativeAuthenticate", &out);
        cmd->err = err; /* a failed speculative step is only left out */
        bson_destroy(&out);
    }
    return 0;
}
