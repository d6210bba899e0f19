/*
 * src/worker/auth/scram.c -- SCRAM-SHA-1 and SCRAM-SHA-256, server side (scram.h).
 *
 * Messages are parsed as RFC 5802 lays them out: comma-separated attribute=value pairs in a
 * fixed order.  The proof check is the RFC's: ClientSignature = HMAC(StoredKey, AuthMessage),
 * ClientKey = proof XOR ClientSignature, and H(ClientKey) must equal StoredKey (compared in
 * constant time).  Salt lengths are mongod's (hash size - 4: 16 and 28 bytes); the server
 * nonce is 24 random bytes in base64, as mongod's.  Pure; any thread.
 */
#include "scram.h"

#include "../../common/sdb.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

/*
 * wk_scram_mech_name --
 *     The mechanism's SASL name.
 */
const char *
wk_scram_mech_name(wk_scram_mech_t m)
{
    return m == WK_SCRAM_SHA1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

/*
 * wk_scram_mech_parse --
 *     A SCRAM mechanism from its name.
 */
bool
wk_scram_mech_parse(const char *name, wk_scram_mech_t *m)
{
    if (strcmp(name, "SCRAM-SHA-1") == 0)
        *m = WK_SCRAM_SHA1;
    else if (strcmp(name, "SCRAM-SHA-256") == 0)
        *m = WK_SCRAM_SHA256;
    else
        return false;
    return true;
}

/*
 * wk_scram_key_len --
 *     The hash size of the mechanism.
 */
size_t
wk_scram_key_len(wk_scram_mech_t m)
{
    return m == WK_SCRAM_SHA1 ? 20 : 32;
}

static const EVP_MD *
md(wk_scram_mech_t m)
{
    return m == WK_SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
}

/*
 * wk_scram_saslprep --
 *     RFC 4013 SASLprep through ICU's StringPrep profile.
 */
int
wk_scram_saslprep(const char *in, char *out, size_t outlen, sdb_error_t *err)
{
    UErrorCode st = U_ZERO_ERROR;
    UStringPrepProfile *p = usprep_openByType(USPREP_RFC4013_SASLPREP, &st);
    UChar src[512], dst[1024];
    int32_t n = 0, m;

    if (U_FAILURE(st))
        return sdb_error_set(err, SDB_CODE_InternalError, "SASLprep is unavailable");
    u_strFromUTF8(src, 512, &n, in, -1, &st);
    if (U_SUCCESS(st))
        m = usprep_prepare(p, src, n, dst, 1024, USPREP_DEFAULT, NULL, &st);
    if (U_SUCCESS(st))
        u_strToUTF8(out, (int32_t)outlen, &n, dst, m, &st);
    usprep_close(p);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
        return sdb_error_set(err, SDB_CODE_BadValue, "Error preparing SCRAM-SHA-256 password");
    return 0;
}

/*
 * wk_scram_password --
 *     The password the mechanism digests: mongod's MD5 digest for SHA-1, SASLprep for
 *     SHA-256.
 */
int
wk_scram_password(wk_scram_mech_t m, const char *user, const char *pwd, char *out, size_t outlen,
                  sdb_error_t *err)
{
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0, i;
    EVP_MD_CTX *ctx;

    if (m == WK_SCRAM_SHA256)
        return wk_scram_saslprep(pwd, out, outlen, err);
    if (outlen < 33)
        return sdb_error_set(err, SDB_CODE_InternalError, "password buffer too small");
    ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    EVP_DigestUpdate(ctx, user, strlen(user));
    EVP_DigestUpdate(ctx, ":mongo:", 7);
    EVP_DigestUpdate(ctx, pwd, strlen(pwd));
    EVP_DigestFinal_ex(ctx, dig, &dlen);
    EVP_MD_CTX_free(ctx);
    for (i = 0; i < dlen; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
    return 0;
}

/*
 * wk_scram_salted --
 *     Hi() of RFC 5802: PBKDF2 with the mechanism's HMAC.
 */
int
wk_scram_salted(wk_scram_mech_t m, const char *password, const uint8_t *salt, size_t salt_len,
                int64_t iterations, uint8_t *out)
{
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, (int)iterations,
                          md(m), (int)wk_scram_key_len(m), out) != 1)
        return EINVAL;
    return 0;
}

static void
hmac(wk_scram_mech_t m, const uint8_t *key, const void *data, size_t len, uint8_t *out)
{
    unsigned int olen = 0;

    HMAC(md(m), key, (int)wk_scram_key_len(m), data, len, out, &olen);
}

static void
hash(wk_scram_mech_t m, const uint8_t *data, size_t len, uint8_t *out)
{
    unsigned int olen = 0;

    EVP_Digest(data, len, out, &olen, md(m), NULL);
}

/*
 * wk_scram_cred_from_salted --
 *     StoredKey = H(HMAC(salted, "Client Key")), ServerKey = HMAC(salted, "Server Key").
 */
void
wk_scram_cred_from_salted(wk_scram_mech_t m, const uint8_t *salted, wk_scram_cred_t *c)
{
    uint8_t client_key[WK_SCRAM_KEY_MAX];

    hmac(m, salted, "Client Key", 10, client_key);
    hash(m, client_key, wk_scram_key_len(m), c->stored_key);
    hmac(m, salted, "Server Key", 10, c->server_key);
}

/*
 * wk_scram_cred_make --
 *     Fresh credentials for a prepared password.
 */
int
wk_scram_cred_make(wk_scram_mech_t m, const char *password, int64_t iterations, wk_scram_cred_t *c)
{
    uint8_t salted[WK_SCRAM_KEY_MAX];

    memset(c, 0, sizeof(*c));
    c->iterations = iterations;
    c->salt_len = wk_scram_key_len(m) - 4;
    if (RAND_bytes(c->salt, (int)c->salt_len) != 1)
        return EIO;
    SDB_RET(wk_scram_salted(m, password, c->salt, c->salt_len, iterations, salted));
    wk_scram_cred_from_salted(m, salted, c);
    OPENSSL_cleanse(salted, sizeof(salted));
    return 0;
}

/*
 * wk_scram_b64_encode --
 *     Standard padded base64; returns the length written.
 */
size_t
wk_scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    if (outlen < 4 * ((len + 2) / 3) + 1) {
        if (outlen > 0)
            out[0] = '\0';
        return 0;
    }
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/*
 * wk_scram_b64_decode --
 *     Decode padded base64; -1 when malformed or too long for out.
 */
long
wk_scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t outlen)
{
    uint8_t tmp[1024];
    int n;
    size_t pad = 0;

    if (len == 0)
        return 0;
    if (len % 4 != 0 || len / 4 * 3 > sizeof(tmp))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/' || (ch == '=' && i >= len - 2)))
            return -1;
    }
    n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    pad = (in[len - 1] == '=') + (in[len - 2] == '=');
    n -= (int)pad;
    if ((size_t)n > outlen)
        return -1;
    memcpy(out, tmp, (size_t)n);
    return n;
}

/*
 * wk_scram_cred_append --
 *     The credentials as mongod stores them.
 */
void
wk_scram_cred_append(bson_t *doc, const char *key, wk_scram_mech_t m, const wk_scram_cred_t *c)
{
    char b[64];
    bson_t d;
    size_t kl = wk_scram_key_len(m);

    BSON_APPEND_DOCUMENT_BEGIN(doc, key, &d);
    BSON_APPEND_INT32(&d, "iterationCount", (int32_t)c->iterations);
    wk_scram_b64_encode(c->salt, c->salt_len, b, sizeof(b));
    BSON_APPEND_UTF8(&d, "salt", b);
    wk_scram_b64_encode(c->stored_key, kl, b, sizeof(b));
    BSON_APPEND_UTF8(&d, "storedKey", b);
    wk_scram_b64_encode(c->server_key, kl, b, sizeof(b));
    BSON_APPEND_UTF8(&d, "serverKey", b);
    bson_append_document_end(doc, &d);
}

static bool
b64_field(bson_iter_t *d, const char *name, uint8_t *out, size_t outlen, size_t *got)
{
    bson_iter_t f = *d;
    const char *s;
    uint32_t len;
    long n;

    if (!bson_iter_find(&f, name) || !BSON_ITER_HOLDS_UTF8(&f))
        return false;
    s = bson_iter_utf8(&f, &len);
    n = wk_scram_b64_decode(s, len, out, outlen);
    if (n < 0)
        return false;
    *got = (size_t)n;
    return true;
}

/*
 * wk_scram_cred_parse --
 *     The credentials of mechanism m in a user document.
 */
bool
wk_scram_cred_parse(const bson_t *user_doc, wk_scram_mech_t m, wk_scram_cred_t *c)
{
    bson_iter_t it, d, f;
    size_t kl = wk_scram_key_len(m), n;

    memset(c, 0, sizeof(*c));
    if (!bson_iter_init_find(&it, user_doc, "credentials") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &d) || !bson_iter_find(&d, wk_scram_mech_name(m)) ||
        !BSON_ITER_HOLDS_DOCUMENT(&d) || !bson_iter_recurse(&d, &f))
        return false;
    d = f;
    if (!bson_iter_find(&f, "iterationCount") || !BSON_ITER_HOLDS_NUMBER(&f))
        return false;
    c->iterations = bson_iter_as_int64(&f);
    if (!b64_field(&d, "salt", c->salt, sizeof(c->salt), &c->salt_len))
        return false;
    if (!b64_field(&d, "storedKey", c->stored_key, sizeof(c->stored_key), &n) || n != kl)
        return false;
    return b64_field(&d, "serverKey", c->server_key, sizeof(c->server_key), &n) && n == kl;
}

/* Unescape a saslname ("=2C" -> ",", "=3D" -> "="); false on a bad escape. */
static bool
unescape_name(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '=') {
            if (i + 2 < len + 0 && strncmp(s + i, "=2C", 3) == 0)
                ch = ',';
            else if (i + 2 < len && strncmp(s + i, "=3D", 3) == 0)
                ch = '=';
            else
                return false;
            i += 2;
        }
        if (o + 1 >= outlen)
            return false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return true;
}

static int
bad_msg(sdb_error_t *err, const char *what)
{
    return sdb_error_set(err, SDB_CODE_BadValue, "Invalid SCRAM %s message", what);
}

/*
 * wk_scram_client_first --
 *     Parse the client-first message.
 */
int
wk_scram_client_first(wk_scram_conv_t *conv, wk_scram_mech_t m, const uint8_t *msg, size_t len,
                      sdb_error_t *err)
{
    const char *s = (const char *)msg, *bare, *comma, *end = s + len;

    memset(conv, 0, sizeof(*conv));
    conv->mech = m;
    if (len < 3 || memchr(s, '\0', len) != NULL)
        return bad_msg(err, "client-first");
    if (s[0] == 'p' || s[0] == 'y')
        return sdb_error_set(err, SDB_CODE_BadValue, "Server does not support channel binding");
    if (s[0] != 'n' || s[1] != ',')
        return bad_msg(err, "client-first");
    comma = memchr(s + 2, ',', len - 2); /* authzid (may be empty) */
    if (comma == NULL)
        return bad_msg(err, "client-first");
    bare = comma + 1;
    if ((size_t)(end - bare) >= sizeof(conv->client_first_bare) || end - bare < 5 ||
        strncmp(bare, "n=", 2) != 0)
        return bad_msg(err, "client-first");
    memcpy(conv->client_first_bare, bare, (size_t)(end - bare));
    conv->client_first_bare[end - bare] = '\0';
    comma = strchr(conv->client_first_bare, ',');
    if (comma == NULL || strncmp(comma + 1, "r=", 2) != 0 || strlen(comma + 3) == 0 ||
        strchr(comma + 3, ',') != NULL || strlen(comma + 3) >= 128)
        return bad_msg(err, "client-first");
    if (!unescape_name(conv->client_first_bare + 2, (size_t)(comma - conv->client_first_bare - 2),
                       conv->user, sizeof(conv->user)) ||
        conv->user[0] == '\0')
        return bad_msg(err, "client-first");
    snprintf(conv->nonce, sizeof(conv->nonce), "%s", comma + 3);
    conv->step = 1;
    return 0;
}

/*
 * wk_scram_server_first_nonce --
 *     The server-first message with a given server nonce.
 */
int
wk_scram_server_first_nonce(wk_scram_conv_t *conv, const wk_scram_cred_t *c,
                            const char *server_nonce, char *out, size_t outlen, sdb_error_t *err)
{
    char salt[64];
    size_t nl = strlen(conv->nonce);

    if (conv->step != 1)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Invalid SCRAM authentication step");
    snprintf(conv->nonce + nl, sizeof(conv->nonce) - nl, "%s", server_nonce);
    wk_scram_b64_encode(c->salt, c->salt_len, salt, sizeof(salt));
    snprintf(conv->server_first, sizeof(conv->server_first), "r=%s,s=%s,i=%lld", conv->nonce, salt,
             (long long)c->iterations);
    snprintf(out, outlen, "%s", conv->server_first);
    conv->cred = *c;
    conv->step = 2;
    return 0;
}

/*
 * wk_scram_server_first --
 *     The server-first message with a random server nonce.
 */
int
wk_scram_server_first(wk_scram_conv_t *conv, const wk_scram_cred_t *c, char *out, size_t outlen,
                      sdb_error_t *err)
{
    uint8_t rnd[24];
    char nonce[40];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return sdb_error_set(err, SDB_CODE_InternalError, "no random bytes for the nonce");
    wk_scram_b64_encode(rnd, sizeof(rnd), nonce, sizeof(nonce));
    return wk_scram_server_first_nonce(conv, c, nonce, out, outlen, err);
}

static int
auth_failed(sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_AuthenticationFailed, "Authentication failed.");
}

/*
 * wk_scram_client_final --
 *     Check the client-final message's proof; the server-final message on success.
 */
int
wk_scram_client_final(wk_scram_conv_t *conv, const uint8_t *msg, size_t len, char *out,
                      size_t outlen, sdb_error_t *err)
{
    char buf[1024], auth_msg[2048], sig64[64];
    const char *p;
    uint8_t proof[WK_SCRAM_KEY_MAX], csig[WK_SCRAM_KEY_MAX], ckey[WK_SCRAM_KEY_MAX];
    uint8_t stored[WK_SCRAM_KEY_MAX], ssig[WK_SCRAM_KEY_MAX];
    size_t kl = wk_scram_key_len(conv->mech), nl = strlen(conv->nonce), wo;
    long n;

    if (conv->step != 2)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Invalid SCRAM authentication step");
    if (len >= sizeof(buf) || memchr(msg, '\0', len) != NULL)
        return bad_msg(err, "client-final");
    memcpy(buf, msg, len);
    buf[len] = '\0';
    if (strncmp(buf, "c=biws,r=", 9) != 0)
        return bad_msg(err, "client-final");
    if (strncmp(buf + 9, conv->nonce, nl) != 0 || buf[9 + nl] != ',')
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Unmatched SCRAM nonce received from client in second step");
    p = strstr(buf + 9 + nl, ",p=");
    if (p == NULL || strchr(p + 3, ',') != NULL)
        return bad_msg(err, "client-final");
    wo = (size_t)(p - buf);
    n = wk_scram_b64_decode(p + 3, strlen(p + 3), proof, sizeof(proof));
    if (n != (long)kl)
        return auth_failed(err);
    snprintf(auth_msg, sizeof(auth_msg), "%s,%s,%.*s", conv->client_first_bare, conv->server_first,
             (int)wo, buf);
    hmac(conv->mech, conv->cred.stored_key, auth_msg, strlen(auth_msg), csig);
    for (size_t i = 0; i < kl; i++)
        ckey[i] = proof[i] ^ csig[i];
    hash(conv->mech, ckey, kl, stored);
    conv->step = 3;
    if (CRYPTO_memcmp(stored, conv->cred.stored_key, kl) != 0)
        return auth_failed(err);
    hmac(conv->mech, conv->cred.server_key, auth_msg, strlen(auth_msg), ssig);
    wk_scram_b64_encode(ssig, kl, sig64, sizeof(sig64));
    snprintf(out, outlen, "v=%s", sig64);
    return 0;
}
