/*
 * src/worker/auth/scram.h -- SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), server side.
 *
 * Credentials are what mongod stores for a user (salt, storedKey, serverKey, iterationCount;
 * never the password): wk_scram_cred_make derives them from a password.  The password a
 * mechanism digests is mongod's: SCRAM-SHA-1 hashes hex(MD5("user:mongo:password")), as
 * drivers do; SCRAM-SHA-256 uses the SASLprep'd password (RFC 4013, ICU's StringPrep).
 *
 * A conversation (wk_scram_conv_t) is the two server steps: the client-first message gives
 * the user name (the caller looks its credentials up), wk_scram_server_first answers with
 * the combined nonce, salt and iteration count, wk_scram_client_final checks the proof and
 * produces the server signature.  PBKDF2, HMAC and the hashes are OpenSSL's.
 *
 * Pure functions; any thread; nothing here touches the store.  Functions returning int
 * return 0 or SDB_ECLIENT with *err set (mongod's codes and wording where it has them).
 */
#ifndef WK_AUTH_SCRAM_H
#define WK_AUTH_SCRAM_H

#include "../../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_SCRAM_KEY_MAX 32 /* SHA-256 */

typedef enum {
    WK_SCRAM_SHA1 = 0,
    WK_SCRAM_SHA256 = 1
} wk_scram_mech_t;

typedef struct wk_scram_cred {
    int64_t iterations;
    uint8_t salt[WK_SCRAM_KEY_MAX];
    size_t salt_len;
    uint8_t stored_key[WK_SCRAM_KEY_MAX];
    uint8_t server_key[WK_SCRAM_KEY_MAX];
} wk_scram_cred_t;

/* wk_scram_mech_name -- "SCRAM-SHA-1" / "SCRAM-SHA-256". */
const char *wk_scram_mech_name(wk_scram_mech_t m);

/* wk_scram_mech_parse -- the mechanism of a name; false when it is not a SCRAM one. */
bool wk_scram_mech_parse(const char *name, wk_scram_mech_t *m);

/* wk_scram_key_len -- the hash size of the mechanism (20 or 32). */
size_t wk_scram_key_len(wk_scram_mech_t m);

/* wk_scram_saslprep -- RFC 4013 SASLprep of a UTF-8 string into out[outlen]; 2 BadValue
 * for prohibited or unassigned characters, as mongod's saslPrep. */
int wk_scram_saslprep(const char *in, char *out, size_t outlen, sdb_error_t *err);

/* wk_scram_password -- the password mechanism m digests for user/pwd (see the banner). */
int wk_scram_password(wk_scram_mech_t m, const char *user, const char *pwd, char *out,
                      size_t outlen, sdb_error_t *err);

/* wk_scram_salted -- Hi(password, salt, i) (PBKDF2 with the mechanism's HMAC) into out. */
int wk_scram_salted(wk_scram_mech_t m, const char *password, const uint8_t *salt, size_t salt_len,
                    int64_t iterations, uint8_t *out);

/* wk_scram_cred_from_salted -- storedKey and serverKey from a salted password. */
void wk_scram_cred_from_salted(wk_scram_mech_t m, const uint8_t *salted, wk_scram_cred_t *c);

/* wk_scram_cred_make -- fresh credentials (random salt of mongod's length) for a prepared
 * password (wk_scram_password). */
int wk_scram_cred_make(wk_scram_mech_t m, const char *password, int64_t iterations,
                       wk_scram_cred_t *c);

/* wk_scram_cred_append -- append {iterationCount, salt, storedKey, serverKey} (base64
 * strings, as mongod stores them) under key. */
void wk_scram_cred_append(bson_t *doc, const char *key, wk_scram_mech_t m,
                          const wk_scram_cred_t *c);

/* wk_scram_cred_parse -- the credentials of mechanism m from a user document's
 * `credentials` field; false when the user has none for m. */
bool wk_scram_cred_parse(const bson_t *user_doc, wk_scram_mech_t m, wk_scram_cred_t *c);

/* Base64 (standard alphabet, padded).  wk_scram_b64_decode returns the decoded length or
 * -1 when `in` is not base64 or does not fit. */
size_t wk_scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
long wk_scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t outlen);

typedef struct wk_scram_conv {
    wk_scram_mech_t mech;
    int step;       /* 0 new, 1 client-first seen, 2 server-first sent, 3 done */
    char user[256]; /* the (unescaped) user name of the client-first message */
    char client_first_bare[512];
    char server_first[512];
    char nonce[256]; /* client nonce + server nonce */
    wk_scram_cred_t cred;
} wk_scram_conv_t;

/* wk_scram_client_first -- parse "n,,n=user,r=nonce" (gs2 header, no channel binding);
 * conv->user receives the user name. */
int wk_scram_client_first(wk_scram_conv_t *conv, wk_scram_mech_t m, const uint8_t *msg, size_t len,
                          sdb_error_t *err);

/* wk_scram_server_first -- the server-first message for credentials `c`, into out[outlen]
 * (NUL-terminated); *outlen_used its length. */
int wk_scram_server_first(wk_scram_conv_t *conv, const wk_scram_cred_t *c, char *out, size_t outlen,
                          sdb_error_t *err);

/* wk_scram_server_first_nonce -- wk_scram_server_first with a given server nonce (tests). */
int wk_scram_server_first_nonce(wk_scram_conv_t *conv, const wk_scram_cred_t *c,
                                const char *server_nonce, char *out, size_t outlen,
                                sdb_error_t *err);

/* wk_scram_client_final -- check "c=biws,r=nonce,p=proof"; 18 AuthenticationFailed for a
 * wrong proof.  On success out receives "v=<server signature>". */
int wk_scram_client_final(wk_scram_conv_t *conv, const uint8_t *msg, size_t len, char *out,
                          size_t outlen, sdb_error_t *err);

#endif
