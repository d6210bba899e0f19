/*
 * src/worker/command.h -- the contract between the dispatcher and command implementations.
 *
 * The dispatcher (dispatch.c) decodes a request, merges OP_MSG document sequences into the
 * body as arrays, looks the command up in commands.def (first field name, case-sensitive),
 * checks generic fields, and calls the handler with a wk_cmd_t.  A handler appends its reply
 * fields to `reply` (which starts empty) and returns 0, or returns SDB_ECLIENT after
 * sdb_error_set(&cmd->err, ...): the dispatcher then discards `reply` and answers
 * {ok: 0, errmsg, code, codeName} plus the fields of cmd->err_extra when the handler set it.  The dispatcher adds `ok: 1`, `$clusterTime` and
 * `operationTime`.  Handlers run on the worker's single event-loop thread and may block in
 * wk_store_call (store_client.h).
 */
#ifndef WK_COMMAND_H
#define WK_COMMAND_H

#include "../common/errors.h"
#include "../common/sdb.h"
#include "op.h"

#include <bson/bson.h>
#include <stdbool.h>

struct wk_conn;

typedef struct wk_cmd {
    struct wk_conn *conn; /* the client connection (conn.h) */
    const char *name;     /* command name as the client spelled it */
    const char *db;       /* $db */
    const bson_t *body;   /* the whole command document, sequences merged as arrays */
    bson_t *reply;        /* handler appends here */
    sdb_error_t err;      /* set on failure */
    bson_t *err_extra;    /* optional: fields appended after codeName on failure (e.g.
                            * keyPattern/keyValue); the dispatcher destroys it */
    bool unacknowledged;  /* w:0 or moreToCome: the reply will be dropped */
    int32_t opcode;       /* wire opcode the command came in (OP_MSG or OP_QUERY) */
    bool streamable;      /* set by the handler: the reply may stream under exhaustAllowed
                           * (awaitable hello; dispatch.h) */
    wk_op_t op;           /* maxTimeMS and the client: interrupt points (op.h) */
} wk_cmd_t;

typedef int (*wk_cmd_fn)(wk_cmd_t *cmd);

#define WK_CMD_F_ADMIN_ONLY 0x1u      /* must run against the admin database */
#define WK_CMD_F_WRITE 0x2u           /* counts as a write (opcounters) */
#define WK_CMD_F_NO_AUTH 0x4u         /* allowed before authentication */
#define WK_CMD_F_HANDSHAKE 0x8u       /* hello/isMaster: allowed over OP_QUERY, never compressed */
#define WK_CMD_F_TEST_ONLY 0x10u      /* exists only with --setParameter enableTestCommands=1 */
#define WK_CMD_F_API_V1 0x40u         /* in Stable API version 1 (apiStrict admits it) */
#define WK_CMD_F_KILLS_SESSIONS 0x20u /* kills sessions: not interrupted by that itself (op.h) */

typedef struct wk_cmd_def {
    const char *name;
    wk_cmd_fn fn;
    unsigned flags;
} wk_cmd_def_t;

/* One prototype per handler, generated from the table. */
#define X(name, fn, flags) int fn(wk_cmd_t *cmd);
#include "commands.def"
#undef X

/* wk_command_lookup -- the table entry for a command name, or NULL (also for a test-only
 * command while enableTestCommands is off: it does not exist then, as in mongod). */
const wk_cmd_def_t *wk_command_lookup(const char *name);

/* wk_command_table -- the whole table (for listCommands); *n receives its length. */
const wk_cmd_def_t *wk_command_table(size_t *n);

/* wk_command_name -- the name the table first lists for def's handler, so aliases compare
 * as one command (findandmodify -> findAndModify). */
const char *wk_command_name(const wk_cmd_def_t *def);

/* wk_command_enabled -- whether a table entry exists on this server (test-only commands
 * need enableTestCommands). */
bool wk_command_enabled(const wk_cmd_def_t *def);

/* wk_cmd_ns -- "db.coll" for a command whose first field is the collection name; returns
 * SDB_ECLIENT with code 73 InvalidNamespace when that field is not a non-empty string. */
int wk_cmd_ns(wk_cmd_t *cmd, char *ns, size_t nslen);

#endif
