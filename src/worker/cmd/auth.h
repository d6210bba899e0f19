/*
 * src/worker/cmd/auth.h -- what the handshake borrows from the authentication commands.
 *
 * hello (cmd/hello.c) answers saslSupportedMechs and speculativeAuthenticate through these,
 * so the SASL steps live in one place (cmd/auth.c).  Event-loop thread only.
 */
#ifndef WK_CMD_AUTH_H
#define WK_CMD_AUTH_H

#include "../command.h"

/* wk_auth_hello -- append saslSupportedMechs (when the hello asks and the user exists) and
 * the speculativeAuthenticate reply (when it asks and the first step succeeds; a failed one
 * is only left out, as mongod does) to the hello reply. */
int wk_auth_hello(wk_cmd_t *cmd);

#endif
