/*
 * src/worker/tls.c -- TLS for client connections: context, sniffing, handshake, I/O.
 *
 * The context is built from the options once per process: by main.c's wk_tls_check before the
 * master starts (then freed: only the verdict matters) and by every worker after exec
 * (wk_tls_init), so a worker never inherits OpenSSL state.  A connection's first bytes are
 * peeked, never consumed, so OpenSSL reads the ClientHello itself from the socket.  The
 * handshake is SSL_accept on the non-blocking socket, resumed on each read (or write) event
 * of that connection only, so a slow or silent client holds nothing but its own connection.
 * Client certificates are verified during the handshake (--tlsCAFile); the verified subject
 * is kept on the connection for MONGODB-X509.  Counters: this worker's slot of the global
 * segment (tls_versions, one per protocol version).  Event-loop thread only.
 */
#include "tls.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "../common/tlsopt.h"
#include "conn.h"
#include "worker.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define HEADER_LEN 16 /* a wire message header: what mongod looks at to tell TLS apart */

static SSL_CTX *ctx;
static const sdb_config_t *tls_cfg;
static char server_subject[512];
static int64_t server_not_after_ms;

/* The last OpenSSL error as text (or `fallback`), clearing the queue. */
static const char *
ssl_reason(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(buf, len, "%s", fallback);
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* An X509 name in RFC 2253 form, as mongod prints subjects. */
static void
name_rfc2253(X509_NAME *name, char *out, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;

    out[0] = '\0';
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &data);
        snprintf(out, len, "%.*s", (int)(n < 0 ? 0 : n), data);
    }
    BIO_free(b);
}

/* The password callback: --tlsCertificateKeyFilePassword. */
static int
password_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pw = u;
    int n = (int)strlen(pw);

    (void)rwflag;
    if (n >= size)
        return 0;
    memcpy(buf, pw, (size_t)n);
    return n;
}

/* --tlsAllowInvalidCertificates: accept any client certificate (the subject is not used). */
static int
verify_accept_cb(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

/* The server certificate: present, matching its key and valid now (mongod refuses to start
 * with an expired or not yet valid one). */
static int
check_server_cert(SSL_CTX *c, char *why, size_t len)
{
    X509 *cert = SSL_CTX_get0_certificate(c);
    struct tm tm;

    if (cert == NULL || SSL_CTX_check_private_key(c) != 1) {
        ssl_reason(why, len, "the certificate does not match its private key");
        return 2;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0 ||
        X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
        snprintf(why, len, "The provided SSL certificate is expired or not yet valid.");
        return 2;
    }
    name_rfc2253(X509_get_subject_name(cert), server_subject, sizeof(server_subject));
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
        server_not_after_ms = (int64_t)timegm(&tm) * 1000;
    return 0;
}

/* The CA file (client certificates) and the CRL file into the context's store. */
static int
load_trust(SSL_CTX *c, const sdb_config_t *cfg, char *why, size_t len)
{
    STACK_OF(X509_NAME) * names;
    X509_STORE *store = SSL_CTX_get_cert_store(c);
    X509_LOOKUP *lookup;

    if (cfg->tls_ca_file[0] == '\0')
        return 0;
    if (SSL_CTX_load_verify_locations(c, cfg->tls_ca_file, NULL) != 1) {
        char r[256];
        snprintf(why, len, "cannot read certificate authority file: %s: %s", cfg->tls_ca_file,
                 ssl_reason(r, sizeof(r), "no certificate"));
        return 2;
    }
    if ((names = SSL_load_client_CA_file(cfg->tls_ca_file)) != NULL)
        SSL_CTX_set_client_CA_list(c, names);
    if (cfg->tls_crl_file[0] != '\0') {
        lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        if (lookup == NULL ||
            X509_load_crl_file(lookup, cfg->tls_crl_file, X509_FILETYPE_PEM) <= 0) {
            char r[256];
            snprintf(why, len, "cannot read certificate revocation list file: %s: %s",
                     cfg->tls_crl_file, ssl_reason(r, sizeof(r), "no CRL"));
            return 2;
        }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    SSL_CTX_set_verify(
        c, SSL_VERIFY_PEER | (cfg->tls_allow_no_cert ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT),
        cfg->tls_allow_invalid_certs ? verify_accept_cb : NULL);
    return 0;
}

/* Protocol versions: TLS 1.0 to 1.3 less --tlsDisabledProtocols. */
static void
set_protocols(SSL_CTX *c, uint32_t off)
{
    uint64_t opts = 0;

    SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
    if (off & SDB_TLS_PROTO_1_0)
        opts |= SSL_OP_NO_TLSv1;
    if (off & SDB_TLS_PROTO_1_1)
        opts |= SSL_OP_NO_TLSv1_1;
    if (off & SDB_TLS_PROTO_1_2)
        opts |= SSL_OP_NO_TLSv1_2;
    if (off & SDB_TLS_PROTO_1_3)
        opts |= SSL_OP_NO_TLSv1_3;
    SSL_CTX_set_options(c, opts | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

/* Build a context from the options into *out; 0, or 2 with the reason in why. */
static int
build_ctx(const sdb_config_t *cfg, SSL_CTX **out, char *why, size_t len)
{
    static const unsigned char sid_ctx[] = "secantusdb";
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    char r[256];
    int ret = 0;

    if (c == NULL) {
        snprintf(why, len, "cannot create a TLS context: %s", ssl_reason(r, sizeof(r), "?"));
        return 2;
    }
    set_protocols(c, cfg->tls_disabled_protocols);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(c, sid_ctx, sizeof(sid_ctx) - 1);
    SSL_CTX_set_read_ahead(c, 1); /* one read(2) per burst, not two per record */
    SSL_CTX_set_default_passwd_cb(c, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(c, (void *)cfg->tls_cert_key_password);
    if (SSL_CTX_use_certificate_chain_file(c, cfg->tls_cert_key_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, cfg->tls_cert_key_file, SSL_FILETYPE_PEM) != 1) {
        snprintf(why, len, "cannot read PEM key file: %s: %s", cfg->tls_cert_key_file,
                 ssl_reason(r, sizeof(r), "no certificate or key"));
        SDB_ERR(2);
    }
    SDB_ERR(check_server_cert(c, why, len));
    SDB_ERR(load_trust(c, cfg, why, len));
    *out = c;
    return 0;
err:
    SSL_CTX_free(c);
    return ret;
}

/*
 * wk_tls_check --
 *     Load the certificates once at start-up so that a bad one stops the server at once.
 */
int
wk_tls_check(const sdb_config_t *cfg)
{
    SSL_CTX *c = NULL;
    char why[2048];

    if (cfg->tls_mode == SDB_TLS_MODE_DISABLED)
        return 0;
    if (build_ctx(cfg, &c, why, sizeof(why)) != 0) {
        fprintf(stderr, "secantusdb: %s\n", why);
        return 2;
    }
    SSL_CTX_free(c);
    return 0;
}

/*
 * wk_tls_init --
 *     Build this worker's context.
 */
int
wk_tls_init(const sdb_config_t *cfg)
{
    char why[2048];

    tls_cfg = cfg;
    if (cfg->tls_mode == SDB_TLS_MODE_DISABLED)
        return 0;
    if (build_ctx(cfg, &ctx, why, sizeof(why)) != 0) {
        sdb_logf(SDB_LOG_E, "NETWORK", 23248, "Cannot set up TLS", "%s", why);
        return 2;
    }
    return 0;
}

/*
 * wk_tls_shutdown --
 *     Free the context.
 */
void
wk_tls_shutdown(void)
{
    SSL_CTX_free(ctx);
    ctx = NULL;
}

/* Log why a connection is refused, with its peer, as mongod's 22988 does. */
static int
refuse(wk_conn_t *c, const char *why)
{
    sdb_logf(SDB_LOG_I, "NETWORK", 22988,
             "Error receiving request from client. Ending connection from remote",
             "%s (connection %lld): SSLHandshakeFailed: %s", c->peer, (long long)c->id, why);
    return -1;
}

/* Peek at the first bytes: TLS when a header's responseTo is neither 0 nor -1 (mongod's test).
 * With fewer than 16 bytes (a ClientHello is longer and comes in one segment in practice), a
 * server with TLS takes a record that starts 0x16 0x03 for TLS; one without TLS reads on. */
static int
sniff(wk_conn_t *c, bool tls_on, bool *is_tls)
{
    uint8_t h[HEADER_LEN];
    int32_t response_to;
    ssize_t n = recv(c->fd, h, sizeof(h), MSG_PEEK);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return -1;
    if (n < 0)
        return WK_TLS_WANT_READ;
    if (n == HEADER_LEN) {
        memcpy(&response_to, h + 8, 4);
        *is_tls = response_to != 0 && response_to != -1;
    } else
        *is_tls = tls_on && h[0] == 0x16 && (n < 2 || h[1] == 0x03);
    return 0;
}

/* The handshake is done: count the version, keep a verified client subject. */
static void
opened(wk_conn_t *c)
{
    static const int versions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
    X509 *peer = SSL_get1_peer_certificate(c->ssl);
    char subject[512];
    size_t i;
    int v = SSL_version(c->ssl);

    for (i = 0; i < 4 && versions[i] != v; i++)
        ;
    atomic_fetch_add(&wk_counters()->tls_versions[i], 1);
    c->tls_phase = WK_TLS_OPEN;
    if (peer != NULL && SSL_get_verify_result(c->ssl) == X509_V_OK) {
        name_rfc2253(X509_get_subject_name(peer), subject, sizeof(subject));
        c->tls_subject = bson_strdup(subject);
    } else if (peer != NULL)
        sdb_logf(
            SDB_LOG_W, "NETWORK", 23234,
            "SSL peer certificate validation failed, but allowed (tlsAllowInvalidCertificates)",
            "%s: %s", c->peer, X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
    X509_free(peer);
    sdb_logf(SDB_LOG_D, "NETWORK", 22943, "Accepted TLS connection",
             "%s (connection %lld): %s, client certificate subject: %s", c->peer, (long long)c->id,
             SSL_get_version(c->ssl), c->tls_subject != NULL ? c->tls_subject : "none");
}

static int
handshake(wk_conn_t *c)
{
    char r[256], why[512];
    long vr;
    int rc, err;

    ERR_clear_error();
    rc = SSL_accept(c->ssl);
    if (rc == 1) {
        opened(c);
        return 0;
    }
    err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ)
        return WK_TLS_WANT_READ;
    if (err == SSL_ERROR_WANT_WRITE)
        return WK_TLS_WANT_WRITE;
    vr = SSL_get_verify_result(c->ssl);
    if (vr != X509_V_OK)
        snprintf(why, sizeof(why), "SSL peer certificate validation failed: %s",
                 X509_verify_cert_error_string(vr));
    else
        snprintf(why, sizeof(why), "%s",
                 ssl_reason(r, sizeof(r),
                            err == SSL_ERROR_SYSCALL ? "connection closed" : "handshake failed"));
    ERR_clear_error();
    return refuse(c, why);
}

/*
 * wk_tls_start --
 *     Decide TLS or plaintext, then run the handshake as far as the socket allows.
 */
int
wk_tls_start(wk_conn_t *c)
{
    int mode = tls_cfg != NULL ? tls_cfg->tls_mode : SDB_TLS_MODE_DISABLED;
    bool is_tls = false;
    int rc;

    if (c->tls_phase == WK_TLS_SNIFF) {
        if ((rc = sniff(c, mode != SDB_TLS_MODE_DISABLED, &is_tls)) != 0)
            return rc;
        if (is_tls && mode == SDB_TLS_MODE_DISABLED)
            return refuse(c, "SSL handshake received but server is started without SSL support");
        if (!is_tls && mode == SDB_TLS_MODE_REQUIRE)
            return refuse(c, "The server is configured to only allow SSL connections");
        if (!is_tls) {
            c->tls_phase = WK_TLS_PLAIN;
            return 0;
        }
        if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
            return refuse(c, "cannot create a TLS session (out of memory)");
        c->tls_phase = WK_TLS_HANDSHAKE;
    }
    if (c->tls_phase == WK_TLS_HANDSHAKE)
        return handshake(c);
    return 0;
}

/* Map an SSL_read / SSL_write failure to -1 and errno. */
static ssize_t
io_error(wk_conn_t *c, int rc)
{
    int err = SSL_get_error(c->ssl, rc);

    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (err == SSL_ERROR_ZERO_RETURN)
        return 0; /* close_notify: an orderly end */
    errno = ECONNRESET;
    return -1;
}

/*
 * wk_tls_read --
 *     read(2) on an open TLS connection.
 */
ssize_t
wk_tls_read(wk_conn_t *c, void *buf, size_t len)
{
    size_t n = 0;
    int rc;

    ERR_clear_error();
    rc = SSL_read_ex(c->ssl, buf, len, &n);
    return rc == 1 ? (ssize_t)n : io_error(c, rc);
}

/*
 * wk_tls_write --
 *     send(2) on an open TLS connection (partial writes allowed).
 */
ssize_t
wk_tls_write(wk_conn_t *c, const void *buf, size_t len)
{
    size_t n = 0;
    int rc;

    ERR_clear_error();
    rc = SSL_write_ex(c->ssl, buf, len, &n);
    if (rc == 1)
        return (ssize_t)n;
    if (io_error(c, rc) == 0)
        errno = EPIPE; /* the peer said goodbye: nothing more can be written */
    return -1;
}

/*
 * wk_tls_pending --
 *     Bytes waiting inside OpenSSL (decrypted, or read ahead from the socket).
 */
bool
wk_tls_pending(const wk_conn_t *c)
{
    return c->ssl != NULL && SSL_has_pending(c->ssl) == 1;
}

/*
 * wk_tls_free --
 *     Say goodbye (close_notify, best effort) and free the session.
 */
void
wk_tls_free(wk_conn_t *c)
{
    if (c->ssl != NULL) {
        if (c->tls_phase == WK_TLS_OPEN)
            SSL_shutdown(c->ssl);
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    bson_free(c->tls_subject);
    c->tls_subject = NULL;
}

/*
 * wk_tls_peer_subject --
 *     The verified client certificate's subject (RFC 2253), or NULL.
 */
const char *
wk_tls_peer_subject(const wk_conn_t *c)
{
    return c->tls_subject;
}

/*
 * wk_tls_server_status --
 *     transportSecurity: TLS connections by version since start, over every worker.
 */
void
wk_tls_server_status(bson_t *reply)
{
    static const char *const names[] = {"1.0", "1.1", "1.2", "1.3", "unknown"};
    uint64_t sum[5] = {0};
    bson_t ts;
    uint32_t w;
    size_t i;

    for (w = 0; w < wk_global->nworkers; w++)
        for (i = 0; i < 5; i++)
            sum[i] += atomic_load(&wk_global->workers[w].tls_versions[i]);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "transportSecurity", &ts);
    for (i = 0; i < 5; i++)
        BSON_APPEND_INT64(&ts, names[i], (int64_t)sum[i]);
    bson_append_document_end(reply, &ts);
}

/*
 * wk_tls_security_append --
 *     The server certificate's facts for serverStatus' security section.
 */
void
wk_tls_security_append(bson_t *security)
{
    if (ctx == NULL)
        return;
    BSON_APPEND_UTF8(security, "SSLServerSubjectName", server_subject);
    BSON_APPEND_BOOL(security, "SSLServerHasCertificateAuthority", tls_cfg->tls_ca_file[0] != 0);
    BSON_APPEND_DATE_TIME(security, "SSLServerCertificateExpirationDate", server_not_after_ms);
}
