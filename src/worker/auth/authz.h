/*
 * src/worker/auth/authz.h -- a connection's authentication state and the authorization
 * check every command passes before it runs.
 *
 * Under --auth (wk_cfg->auth) the dispatcher calls wk_authz_check after resolving the command
 * and its database: a command flagged WK_CMD_F_NO_AUTH runs for anyone; otherwise an
 * unauthenticated client gets 13 "Command X requires authentication" (except createUser and
 * createRole through the localhost exception: a loopback client while no user exists), and
 * an authenticated one needs the actions cmd_privs.def lists for the command on its
 * resource (custom rules for the commands that touch several namespaces: aggregate's
 * $lookup, $unionWith, $graphLookup, $out, $merge, explain, renameCollection, ...), else 13
 * "not authorized on <db> to execute command { ... }".  A command missing from the table
 * runs only for root and __system.
 *
 * The state (wk_auth_t) lives on the connection (conn->auth, allocated on first use, freed
 * with it): the one authenticated user, the privileges its roles resolved to at login (and
 * again before the next command whenever the master reports a change of users or roles: the
 * global segment's auth_version; a dropped user is logged out), the
 * SASL conversation in progress and the count of failed logins (each failure delays the next
 * answer a little longer, sleeping the request's coroutine, never the worker).
 * A cursor belongs to the user that opened it: CURSOR_NEW, CURSOR_GET and CURSOR_KILL carry
 * the user (wk_authz_append_owner / _killer) and the master refuses another user's getMore
 * and killCursors with 13, as mongod's cursor manager.
 * An lsid naming a uid other than the logged-in user's digest is refused with 13 (mongod's
 * makeLogicalSessionId; only __system may impersonate).
 * Event-loop thread only.
 */
#ifndef WK_AUTH_AUTHZ_H
#define WK_AUTH_AUTHZ_H

#include "../../common/lsid.h"
#include "../command.h"
#include "privs.h"
#include "scram.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

struct wk_conn;

typedef struct wk_auth {
    bool authed;
    char user[256];
    char db[64];
    char mech[32];         /* the mechanism it authenticated with */
    wk_privset_t privs;    /* resolved at login */
    bson_t roles;          /* every role the user holds, transitively: [{role, db}] */
    bson_t direct_roles;   /* the user document's roles */
    bool full;             /* root or __system: may run commands the table does not list */
    wk_scram_conv_t *conv; /* SASL conversation in progress, or NULL */
    char conv_db[64];      /* the database its saslStart named */
    bool skip_empty;       /* saslStart's options.skipEmptyExchange */
    int failures;          /* failed logins on this connection */
    uint64_t version;      /* the global segment's auth_version when privs were resolved */
} wk_auth_t;

/* wk_auth_of -- the connection's state, allocated on first use. */
wk_auth_t *wk_auth_of(struct wk_conn *c);

/* wk_auth_conn_free -- release the connection's state (conn.c, when the connection goes). */
void wk_auth_conn_free(struct wk_conn *c);

/* wk_auth_version -- the global segment's auth_version; read it before reading a user
 * document, and pass it to wk_auth_login. */
uint64_t wk_auth_version(void);

/* wk_auth_login -- make user@db (whose document is `user_doc`, read at auth version
 * `version`) the connection's authenticated user: its roles resolved to privileges now. */
int wk_auth_login(struct wk_conn *c, const bson_t *user_doc, const char *mech, uint64_t version,
                  sdb_error_t *err);

/* wk_auth_logout -- forget the authenticated user (and any conversation). */
void wk_auth_logout(struct wk_conn *c);

/* wk_auth_failed -- count a failed login, log it with the peer and sleep the coroutine a
 * little (longer after each failure on this connection). */
void wk_auth_failed(struct wk_conn *c, const char *user, const char *db, const char *mech,
                    const sdb_error_t *why);

/* wk_auth_is_localhost -- whether the connection's peer is a loopback address. */
bool wk_auth_is_localhost(const struct wk_conn *c);

/* wk_authz_check -- the authorization check of cmd (see the banner); 0 or SDB_ECLIENT. */
int wk_authz_check(wk_cmd_t *cmd, const wk_cmd_def_t *def);

/* wk_authz_has_role -- whether the authenticated user holds role@db (transitively). */
bool wk_authz_has_role(struct wk_conn *c, const char *role, const char *db);

/* wk_authz_list_databases -- how listDatabases answers this connection: *filter is set when
 * it must show only the databases the user has a privilege in (mongod's authorizedDatabases:
 * asked for, or implied for a user without the listDatabases action); 13 when the user lacks
 * the action and asked for authorizedDatabases: false. */
int wk_authz_list_databases(wk_cmd_t *cmd, bool *filter);

/* wk_authz_db_visible -- whether listDatabases' filter keeps database db. */
bool wk_authz_db_visible(struct wk_conn *c, const char *db);

/* wk_authz_list_collections -- whether listCollections must show only the collections the
 * user holds a privilege on ({authorizedCollections: true, nameOnly: true} from a user
 * without the listCollections action, as mongod). */
bool wk_authz_list_collections(wk_cmd_t *cmd);

/* wk_authz_coll_visible -- whether that filter keeps db.coll. */
bool wk_authz_coll_visible(struct wk_conn *c, const char *db, const char *coll);

/* wk_authz_uid -- the uid of the connection's user, for its sessions' keys (common/lsid.h):
 * mongod's SHA-256 of "user@db", of "" while nobody is logged in (also without --auth). */
void wk_authz_uid(const struct wk_conn *conn, uint8_t out[SDB_LSID_UID_LEN]);

/* wk_authz_append_owner -- under --auth, the cursor owner a CURSOR_NEW or CURSOR_GET carries
 * (storeop.def): `owner: "user@db"`, "" when nobody is logged in; nothing without --auth. */
void wk_authz_append_owner(struct wk_conn *c, bson_t *req);

/* wk_authz_append_killer -- the same for the CURSOR_KILL of killCursors on db.coll, except
 * that a user holding killAnyCursor (on the cluster or that namespace) may kill anyone's
 * cursor, so it names no owner. */
void wk_authz_append_killer(struct wk_conn *c, const char *db, const char *coll, bson_t *req);

/* wk_auth_initdb -- the Docker-style first start: when --initdbRootUsername (or
 * MONGO_INITDB_ROOT_USERNAME) is set and no user exists, create it with the root role in
 * admin.  Once per worker, on its first command; a racing worker's creation wins. */
int wk_auth_initdb(sdb_error_t *err);

#endif
