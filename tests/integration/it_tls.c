/*
 * tests/integration/it_tls.c -- TLS with libmongoc clients and raw sockets against the real
 * server.
 *
 * Certificates are made at test time by tests/tls_certs.sh into a temporary directory (a CA,
 * a server certificate for localhost and 127.0.0.1, a client certificate, expired ones and a
 * second CA nobody trusts); nothing secret is committed.  Each case starts its own server with
 * the TLS flags it needs.  Covered: requireTLS with client certificates (verified, missing,
 * expired, from an untrusted CA) and a client that does not trust the server; plaintext
 * against requireTLS, TLS against a server without TLS, garbage and a stalled half handshake:
 * each closes only its own connection, the workers live and another client is served;
 * allowTLS takes both kinds; the start-up refusals (mongod's messages, exit 2); a key file
 * password, --tlsDisabledProtocols and --tlsAllowInvalidCertificates; the same from a YAML
 * --config file (net.tls.*); serverStatus transportSecurity and security.
 */
#include "harness.h"

#include <sys/wait.h>

static char certs[512]; /* the temporary certificate directory, made once in main */

/* cert -- path of a file in the certificate directory (a rotating static buffer). */
static const char *
cert(const char *name)
{
    static char buf[8][700];
    static int k;
    char *p = buf[k++ % 8];

    snprintf(p, sizeof(buf[0]), "%s/%s", certs, name);
    return p;
}

/* tls_client -- a client over TLS trusting `ca`, presenting `pem` unless NULL (fixture.h);
 * it tries once, quickly. */
static mongoc_client_t *
tls_client(const fx_server_t *s, const char *ca, const char *pem)
{
    return fx_tls_client(s, ca, pem, "",
                         "&serverSelectionTimeoutMS=3000&connectTimeoutMS=3000"
                         "&serverSelectionTryOnce=true");
}

/* ping -- whether a ping succeeds on c (e receives the failure). */
static bool
ping(mongoc_client_t *c, bson_error_t *e)
{
    bson_t reply;
    bool ok = fx_cmd(c, "admin", "{\"ping\": 1}", &reply, e);

    bson_destroy(&reply);
    return ok;
}

/* expect_ping -- a TLS client (ca, pem) pings successfully, or fails, as `want`. */
static void
expect_ping(const fx_server_t *s, const char *ca, const char *pem, bool want, const char *why)
{
    mongoc_client_t *c = tls_client(s, ca, pem);
    bson_error_t e;
    bool ok = ping(c, &e);

    ck_assert_msg(ok == want, "%s: ping %s (%s)", why, ok ? "succeeded" : "failed", e.message);
    mongoc_client_destroy(c);
}

/* start -- a server with the TLS flags `extra` (NULL-terminated) and n workers. */
static void
start(fx_server_t *s, int n, const char *const *extra)
{
    ck_assert_int_eq(fx_server_init(s, n), 0);
    s->extra = extra;
    if (fx_server_start(s) != 0) {
        fx_server_dump(s);
        ck_abort_msg("the server did not start");
    }
}

/* stop -- stop s; it must exit 0 (a clean SIGTERM, no worker lost on the way). */
static void
stop(fx_server_t *s)
{
    int st = fx_server_stop(s);

    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fx_server_dump(s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    fx_server_cleanup(s);
}

/* closed_after -- send `len` bytes on a new raw connection: the server must close it. */
static void
closed_after(const fx_server_t *s, const void *bytes, size_t len, const char *why)
{
    int fd = rw_connect(s->host, s->port);
    uint8_t *msg = NULL;
    uint32_t mlen = 0;

    ck_assert_int_ge(fd, 0);
    rw_send(fd, bytes, len);
    ck_assert_msg(rw_recv(fd, 10000, &msg, &mlen) == 0, "%s: the connection stayed open", why);
    free(msg);
    close(fd);
}

/* a plaintext hello as an OP_MSG */
static uint8_t *
hello_msg(uint32_t *len)
{
    bson_t *b = fx_json("{\"hello\": 1, \"$db\": \"admin\"}");
    uint8_t *m = rw_opmsg(7, 0, b, NULL, NULL, 0, len);

    bson_destroy(b);
    return m;
}

/* logged -- whether the server's log (its stdout) contains `needle`. */
static bool
logged(const fx_server_t *s, const char *needle)
{
    FILE *f = fopen(s->out_path, "r");
    char *log;
    long size;
    bool found;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    log = calloc(1, (size_t)size + 1);
    ck_assert_int_eq(fread(log, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    found = strstr(log, needle) != NULL;
    free(log);
    return found;
}

/* same_workers -- the worker pids now are those in `before` (nobody crashed). */
static void
same_workers(const fx_server_t *s, const pid_t *before, int n)
{
    pid_t now[8];
    int m = fx_worker_pids(s, now, 8);

    ck_assert_int_eq(m, n);
    for (int i = 0; i < n; i++) {
        bool found = false;
        for (int j = 0; j < m; j++)
            found = found || now[j] == before[i];
        ck_assert_msg(found, "worker %d is gone (crashed or respawned)", (int)before[i]);
    }
}

/* version_count -- serverStatus transportSecurity[version] (the key holds a dot). */
static int64_t
version_count(const bson_t *status, const char *version)
{
    bson_t ts;
    bson_iter_t it;

    ck_assert_msg(fx_sub(status, "transportSecurity", &ts), "no transportSecurity");
    ck_assert_msg(bson_iter_init_find(&it, &ts, version) && BSON_ITER_HOLDS_INT64(&it),
                  "transportSecurity.%s is not a long", version);
    return bson_iter_int64(&it);
}

START_TEST(test_require_tls_client_certs)
{
    const char *extra[] = {
        "--tlsMode",    "requireTLS", "--tlsCertificateKeyFile", cert("server.pem"), "--tlsCAFile",
        cert("ca.pem"), NULL};
    fx_server_t s;
    mongoc_client_t *c;
    bson_t reply;
    pid_t pids[8];
    int n;
    uint32_t len;
    uint8_t *hello;
    bson_error_t e;

    start(&s, 2, extra);
    n = fx_worker_pids(&s, pids, 8);
    c = tls_client(&s, cert("ca.pem"), cert("client.pem"));
    CMD_OK(c, "tls", "{\"insert\": \"t\", \"documents\": [{\"_id\": 1, \"a\": \"x\"}]}", &reply);
    bson_destroy(&reply);
    ck_assert_int_eq(fx_count(c, "tls", "t", "{\"a\": \"x\"}"), 1);
    CMD_OK(c, "admin", "{\"serverStatus\": 1}", &reply);
    ck_assert_msg(version_count(&reply, "1.3") >= 1, "%s", fx_to_json(&reply));
    ASSERT_TYPE(&reply, "transportSecurity.unknown", BSON_TYPE_INT64);
    ASSERT_STR(&reply, "security.SSLServerSubjectName", "O=Secantus,CN=localhost");
    ck_assert(fx_bool(&reply, "security.SSLServerHasCertificateAuthority"));
    ASSERT_TYPE(&reply, "security.SSLServerCertificateExpirationDate", BSON_TYPE_DATE_TIME);
    bson_destroy(&reply);
    /* the verified subject (wk_tls_peer_subject) in RFC 2253 form, as mongod prints it */
    ck_assert(logged(&s, "client certificate subject: CN=client,OU=test,O=Secantus,L=Paris,ST=IDF,"
                         "C=FR"));

    expect_ping(&s, cert("ca.pem"), NULL, false, "no client certificate");
    expect_ping(&s, cert("ca.pem"), cert("client-expired.pem"), false, "expired certificate");
    expect_ping(&s, cert("ca.pem"), cert("rogue-client.pem"), false, "untrusted client CA");
    expect_ping(&s, cert("rogue-ca.pem"), cert("client.pem"), false, "server not trusted");
    hello = hello_msg(&len);
    closed_after(&s, hello, len, "plaintext against requireTLS");
    free(hello);
    closed_after(&s, "\x16\x03\x01\x00\x20garbage-garbage-garbage-garbage!", 37, "garbage");

    /* the first client's connection and the workers came through all of it */
    ck_assert(ping(c, &e));
    same_workers(&s, pids, n);
    mongoc_client_destroy(c);
    stop(&s);
}
END_TEST

/* A client that stops halfway through its handshake, or never starts it, holds only its own
 * connection: with one worker, another TLS client is served meanwhile. */
START_TEST(test_stalled_handshake)
{
    const char *extra[] = {"--tlsMode",
                           "requireTLS",
                           "--tlsCertificateKeyFile",
                           cert("server.pem"),
                           "--tlsCAFile",
                           cert("ca.pem"),
                           "--tlsAllowConnectionsWithoutCertificates",
                           NULL};
    /* a TLS record header announcing a 512-byte ClientHello, and only its first bytes */
    static const uint8_t half[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc,
                                   0x03, 0x03, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    fx_server_t s;
    pid_t pids[8];
    int stalled, silent, n;

    start(&s, 1, extra);
    n = fx_worker_pids(&s, pids, 8);
    stalled = rw_connect(s.host, s.port);
    silent = rw_connect(s.host, s.port);
    ck_assert_int_ge(stalled, 0);
    ck_assert_int_ge(silent, 0);
    ck_assert_int_eq(rw_send(stalled, half, sizeof(half)), 0);
    expect_ping(&s, cert("ca.pem"), NULL, true, "while another handshake stalls");
    expect_ping(&s, cert("ca.pem"), cert("client.pem"), true, "with a certificate, meanwhile");
    close(stalled);
    close(silent);
    expect_ping(&s, cert("ca.pem"), NULL, true, "after the stalled ones left");
    same_workers(&s, pids, n);
    stop(&s);
}
END_TEST

/* allowTLS and preferTLS take plaintext and TLS clients on the same port. */
START_TEST(test_allow_and_prefer)
{
    static const char *const modes[] = {"allowTLS", "preferTLS"};

    for (int i = 0; i < 2; i++) {
        const char *extra[] = {"--tlsMode", modes[i], "--tlsCertificateKeyFile", cert("server.pem"),
                               NULL};
        fx_server_t s;
        bson_t *body = fx_json("{\"ping\": 1, \"$db\": \"admin\"}"), reply;
        int fd;

        start(&s, 2, extra);
        expect_ping(&s, cert("ca.pem"), NULL, true, modes[i]);
        fd = rw_connect(s.host, s.port);
        ck_assert_msg(rw_roundtrip(fd, body, &reply) == 1, "%s: plaintext ping", modes[i]);
        ASSERT_INT(&reply, "ok", 1);
        bson_destroy(&reply);
        bson_destroy(body);
        close(fd);
        stop(&s);
    }
}
END_TEST

/* Without TLS a ClientHello is refused (logged as mongod logs it); plaintext still works. */
START_TEST(test_tls_against_disabled)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_error_t e;

    start(&s, 1, NULL);
    expect_ping(&s, cert("ca.pem"), NULL, false, "TLS against a server without TLS");
    c = fx_client(&s);
    ck_assert_msg(ping(c, &e), "plaintext: %s", e.message);
    mongoc_client_destroy(c);
    ck_assert(logged(&s, "SSL handshake received but server is started without SSL support"));
    stop(&s);
}
END_TEST

/* refused -- the binary with `flags` exits 2 saying `want`. */
static void
refused(const char *flags, const char *want)
{
    char cmd[4096], out[8192] = "";
    FILE *p;
    size_t n;
    int st;

    snprintf(cmd, sizeof(cmd), "'%s' --port 0 --dbpath :memory: --workers 1 %s 2>&1 </dev/null",
             fx_binary(), flags);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    st = pclose(p);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status 0x%x: %s", flags, st, out);
    ck_assert_msg(strstr(out, want) != NULL, "%s: want \"%s\" in: %s", flags, want, out);
    ck_assert_msg(strstr(out, "mongodb://") == NULL, "%s: started: %s", flags, out);
}

START_TEST(test_startup_refusals)
{
    char f[2048];
    FILE *yaml;

    refused("--tlsMode requireTLS", "need tlsCertificateKeyFile or certificateSelector when TLS "
                                    "is enabled");
    refused("--tlsMode bogus", "unsupported value for tlsMode bogus");
    snprintf(f, sizeof(f), "--tlsCAFile %s", cert("ca.pem"));
    refused(f, "need to enable TLS via the sslMode/tlsMode flag when using TLS configuration "
               "parameters");
    snprintf(f, sizeof(f), "--tlsMode requireTLS --tlsCertificateKeyFile %s --tlsCRLFile %s",
             cert("server.pem"), cert("ca.pem"));
    refused(f, "need tlsCAFile with tlsCRLFile");
    snprintf(f, sizeof(f),
             "--tlsMode requireTLS --tlsCertificateKeyFile %s "
             "--tlsDisabledProtocols TLS1_2,TLS9",
             cert("server.pem"));
    refused(f, "Unrecognized disabledProtocols 'TLS9'");
    snprintf(f, sizeof(f), "--tlsMode requireTLS --tlsCertificateKeyFile %s", cert("missing.pem"));
    refused(f, "cannot read PEM key file");
    snprintf(f, sizeof(f), "--tlsMode requireTLS --tlsCertificateKeyFile %s",
             cert("server-expired.pem"));
    refused(f, "The provided SSL certificate is expired or not yet valid.");
    snprintf(f, sizeof(f),
             "--tlsMode requireTLS --tlsCertificateKeyFile %s "
             "--tlsCertificateKeyFilePassword wrong",
             cert("server-pw.pem"));
    refused(f, "cannot read PEM key file");
    snprintf(f, sizeof(f), "--tlsMode requireTLS --tlsCertificateKeyFile %s --tlsCAFile %s",
             cert("server.pem"), cert("missing-ca.pem"));
    refused(f, "cannot read certificate authority file");
    /* the same rule for a file, once all of it is read */
    snprintf(f, sizeof(f), "%s/notls.yaml", certs);
    yaml = fopen(f, "w");
    ck_assert_ptr_nonnull(yaml);
    fputs("net:\n  tls:\n    mode: requireTLS\n    allowInvalidCertificates: true\n", yaml);
    fclose(yaml);
    snprintf(f, sizeof(f), "--config %s/notls.yaml", certs);
    refused(f, "need tlsCertificateKeyFile or certificateSelector when TLS is enabled");
}
END_TEST

/* An encrypted key with its password; TLS 1.3 disabled, so clients get TLS 1.2; getCmdLineOpts
 * never shows the password. */
START_TEST(test_password_and_protocols)
{
    const char *extra[] = {"--tlsMode",
                           "requireTLS",
                           "--tlsCertificateKeyFile",
                           cert("server-pw.pem"),
                           "--tlsCertificateKeyFilePassword",
                           "hunter2",
                           "--tlsDisabledProtocols",
                           "TLS1_3",
                           NULL};
    fx_server_t s;
    mongoc_client_t *c;
    bson_t reply;

    start(&s, 1, extra);
    c = tls_client(&s, cert("ca.pem"), NULL);
    CMD_OK(c, "admin", "{\"serverStatus\": 1}", &reply);
    ck_assert_msg(version_count(&reply, "1.2") == 1 && version_count(&reply, "1.3") == 0, "%s",
                  fx_to_json(&reply));
    ck_assert_msg(!fx_bool(&reply, "security.SSLServerHasCertificateAuthority"), "no CA file");
    bson_destroy(&reply);
    /* getCmdLineOpts shows the options with the password hidden, in argv and parsed */
    CMD_OK(c, "admin", "{\"getCmdLineOpts\": 1}", &reply);
    ck_assert_msg(strstr(fx_to_json(&reply), "hunter2") == NULL, "%s", fx_to_json(&reply));
    ASSERT_STR(&reply, "parsed.net.tls.mode", "requireTLS");
    ASSERT_STR(&reply, "parsed.net.tls.certificateKeyFilePassword", "<password>");
    ASSERT_STR(&reply, "parsed.net.tls.disabledProtocols", "TLS1_3");
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    stop(&s);
}
END_TEST

/* --tlsAllowInvalidCertificates: an expired or untrusted client certificate is accepted. */
START_TEST(test_allow_invalid_certificates)
{
    const char *extra[] = {
        "--tlsMode",   "requireTLS",   "--tlsCertificateKeyFile",       cert("server.pem"),
        "--tlsCAFile", cert("ca.pem"), "--tlsAllowInvalidCertificates", NULL};
    fx_server_t s;

    start(&s, 1, extra);
    expect_ping(&s, cert("ca.pem"), cert("client-expired.pem"), true, "expired, allowed");
    expect_ping(&s, cert("ca.pem"), cert("rogue-client.pem"), true, "untrusted, allowed");
    expect_ping(&s, cert("ca.pem"), NULL, false, "still no certificate at all");
    /* accepted, but not vouched for: no subject for MONGODB-X509 */
    ck_assert(logged(&s, "client certificate subject: none"));
    ck_assert(!logged(&s, "subject: CN=expired-client"));
    stop(&s);
}
END_TEST

/* The same settings from a YAML file (--config, mongod's net.tls keys). */
START_TEST(test_yaml_config)
{
    char yaml[4096], path[700];
    const char *extra[] = {"--config", path, NULL};
    fx_server_t s;
    mongoc_client_t *c;
    bson_t reply;
    uint32_t len;
    uint8_t *hello;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tls.yaml", certs);
    snprintf(yaml, sizeof(yaml),
             "net:\n"
             "  tls:\n"
             "    mode: requireTLS\n"
             "    certificateKeyFile: %s\n"
             "    certificateKeyFilePassword: hunter2\n"
             "    CAFile: %s\n"
             "    allowConnectionsWithoutCertificates: true\n"
             "    disabledProtocols: TLS1_3\n",
             cert("server-pw.pem"), cert("ca.pem"));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(yaml, f);
    fclose(f);
    start(&s, 1, extra);
    c = tls_client(&s, cert("ca.pem"), NULL);
    CMD_OK(c, "admin", "{\"serverStatus\": 1}", &reply);
    ck_assert_msg(version_count(&reply, "1.2") == 1, "%s", fx_to_json(&reply));
    bson_destroy(&reply);
    CMD_OK(c, "admin", "{\"getCmdLineOpts\": 1}", &reply);
    ASSERT_STR(&reply, "parsed.net.tls.mode", "requireTLS");
    ck_assert_msg(strstr(fx_to_json(&reply), "hunter2") == NULL, "%s", fx_to_json(&reply));
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    hello = hello_msg(&len);
    closed_after(&s, hello, len, "plaintext against requireTLS from the file");
    free(hello);
    stop(&s);
}
END_TEST

int
main(void)
{
    char cmd[1400];
    const char *src = getenv("SDB_SRCDIR");
    Suite *s = suite_create("tls");
    TCase *tc = it_tcase(s, "tls", false);
    int rc;

    if (fx_mkdtemp(certs, sizeof(certs), "sdb-tls") != 0)
        return 1;
    snprintf(cmd, sizeof(cmd), "'%s/tests/tls_certs.sh' '%s'", src != NULL ? src : ".", certs);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot make the test certificates (%s)\n", cmd);
        fx_rm_rf(certs);
        return 1;
    }
    tcase_add_test(tc, test_require_tls_client_certs);
    tcase_add_test(tc, test_stalled_handshake);
    tcase_add_test(tc, test_allow_and_prefer);
    tcase_add_test(tc, test_tls_against_disabled);
    tcase_add_test(tc, test_startup_refusals);
    tcase_add_test(tc, test_password_and_protocols);
    tcase_add_test(tc, test_allow_invalid_certificates);
    tcase_add_test(tc, test_yaml_config);
    rc = it_main(s);
    fx_rm_rf(certs);
    return rc;
}
