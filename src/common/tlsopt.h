/*
 * src/common/tlsopt.h -- the TLS options (--tlsMode and friends): parsing and consistency.
 *
 * mongod's flag names and start-up checks, shared by the master (which refuses to start on an
 * inconsistent set) and the workers (which read the same sdb_config_t).  No OpenSSL here: the
 * certificate files themselves are loaded by worker/tls.c, which main.c calls once before the
 * master starts so that a bad file exits 2 at once.  Start-up only, main thread.
 */
#ifndef SDB_TLSOPT_H
#define SDB_TLSOPT_H

#include "config.h"

/* --tlsMode, in mongod's order of strictness. */
#define SDB_TLS_MODE_DISABLED 0
#define SDB_TLS_MODE_ALLOW 1   /* plaintext and TLS; the server prefers plaintext */
#define SDB_TLS_MODE_PREFER 2  /* plaintext and TLS */
#define SDB_TLS_MODE_REQUIRE 3 /* TLS only */

/* --tlsDisabledProtocols bits. */
#define SDB_TLS_PROTO_1_0 0x1u
#define SDB_TLS_PROTO_1_1 0x2u
#define SDB_TLS_PROTO_1_2 0x4u
#define SDB_TLS_PROTO_1_3 0x8u
/* mongod disables TLS 1.0 unless --tlsDisabledProtocols says otherwise ("none"). */
#define SDB_TLS_PROTO_DEFAULT_OFF SDB_TLS_PROTO_1_0

/* sdb_tlsopt_parse -- parse the value of --tlsMode or --tlsDisabledProtocols (`name` without
 * the dashes) into cfg; 0, or 2 after printing mongod's BadValue message. */
int sdb_tlsopt_parse(sdb_config_t *cfg, const char *name, const char *val);

/* sdb_tlsopt_check -- mongod's consistency rules over the parsed TLS options (a certificate
 * key file when TLS is on, a CA file with a CRL file, no TLS option while TLS is disabled);
 * 0, or 2 after printing the message. */
int sdb_tlsopt_check(const sdb_config_t *cfg);

/* sdb_tlsopt_mode_name -- "disabled", "allowTLS", "preferTLS" or "requireTLS". */
const char *sdb_tlsopt_mode_name(int mode);

/* sdb_tlsopt_protocols_append -- append a protocol bit set (SDB_TLS_PROTO_*) under `key` as
 * --tlsDisabledProtocols spells it ("TLS1_0,TLS1_1", or "none"). */
void sdb_tlsopt_protocols_append(uint32_t mask, const char *key, bson_t *out);

#endif
