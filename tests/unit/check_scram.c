/*
 * tests/unit/check_scram.c -- unit tests for SCRAM (src/worker/auth/scram.c) and the
 * privilege sets of the built-in roles (src/worker/auth/privs.c).
 *
 * The SCRAM conversations are the test vectors of RFC 5802 (SCRAM-SHA-1) and RFC 7677
 * (SCRAM-SHA-256): user "user", password "pencil", the RFCs' nonces and salt; the server's
 * side must produce the RFCs' server-first and server-final messages and accept the RFCs'
 * proof, and refuse a changed proof, a changed nonce and malformed messages.  SASLprep
 * follows RFC 4013's examples.  Pure; single-threaded; each test frees what it builds.
 */
#include "../../src/common/sdb.h"
#include "../../src/worker/auth/privs.h"
#include "../../src/worker/auth/scram.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef struct vector {
    wk_scram_mech_t mech;
    const char *client_first, *server_nonce, *salt64, *server_first, *client_final, *server_final;
} vector_t;

static const vector_t vectors[] = {
    {WK_SCRAM_SHA1, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
     "QSXCR+Q6sek8bf92", "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
    {WK_SCRAM_SHA256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
     "W22ZaJ0SNY7soEsUEjb6gQ==",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfM"
     "Hgsqmmiz7AndVQ=",
     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
};

/* The RFC's credentials for password "pencil". */
static void
rfc_cred(const vector_t *v, wk_scram_cred_t *c)
{
    uint8_t salted[WK_SCRAM_KEY_MAX];
    long n;

    memset(c, 0, sizeof(*c));
    n = wk_scram_b64_decode(v->salt64, strlen(v->salt64), c->salt, sizeof(c->salt));
    ck_assert_int_gt(n, 0);
    c->salt_len = (size_t)n;
    c->iterations = 4096;
    ck_assert_int_eq(wk_scram_salted(v->mech, "pencil", c->salt, c->salt_len, 4096, salted), 0);
    wk_scram_cred_from_salted(v->mech, salted, c);
}

/* Run the server's two steps up to the client-final message `final`. */
static int
converse(const vector_t *v, const char *final, char *out, size_t outlen, sdb_error_t *err)
{
    wk_scram_conv_t conv;
    wk_scram_cred_t cred;
    char first[512];

    rfc_cred(v, &cred);
    ck_assert_int_eq(wk_scram_client_first(&conv, v->mech, (const uint8_t *)v->client_first,
                                           strlen(v->client_first), err),
                     0);
    ck_assert_str_eq(conv.user, "user");
    ck_assert_int_eq(
        wk_scram_server_first_nonce(&conv, &cred, v->server_nonce, first, sizeof(first), err), 0);
    ck_assert_str_eq(first, v->server_first);
    return wk_scram_client_final(&conv, (const uint8_t *) final, strlen(final), out, outlen, err);
}

START_TEST(test_rfc_vectors)
{
    const vector_t *v = &vectors[_i];
    sdb_error_t err;
    char out[256];

    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(converse(v, v->client_final, out, sizeof(out), &err), 0);
    ck_assert_str_eq(out, v->server_final);
}
END_TEST

START_TEST(test_forged_proof)
{
    const vector_t *v = &vectors[_i];
    sdb_error_t err;
    char out[256], bad[512];
    size_t n;

    /* one character of the proof changed */
    snprintf(bad, sizeof(bad), "%s", v->client_final);
    n = strlen(bad);
    bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(converse(v, bad, out, sizeof(out), &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_AuthenticationFailed);
    ck_assert_str_eq(err.msg, "Authentication failed.");
    /* the nonce changed */
    snprintf(bad, sizeof(bad), "%s", v->client_final);
    bad[10] = bad[10] == 'x' ? 'y' : 'x';
    ck_assert_int_eq(converse(v, bad, out, sizeof(out), &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_BadValue);
    /* a proof that is not base64, and none at all */
    snprintf(bad, sizeof(bad), "c=biws,%s,p=!!!!", strchr(v->client_final, 'r'));
    *strstr(bad, ",p=") = '\0';
    strncat(bad, ",p=!!!!", sizeof(bad) - strlen(bad) - 1);
    ck_assert_int_eq(converse(v, bad, out, sizeof(out), &err), SDB_ECLIENT);
    *strstr(bad, ",p=") = '\0';
    ck_assert_int_eq(converse(v, bad, out, sizeof(out), &err), SDB_ECLIENT);
}
END_TEST

START_TEST(test_malformed_first)
{
    static const char *const bad[] = {"",
                                      "n,,",
                                      "n,,n=user",
                                      "n,,r=abc",
                                      "p=tls-unique,,n=user,r=abc",
                                      "x,,n=user,r=abc",
                                      "n,,n=,r=abc",
                                      "n,,n=us=ZZer,r=abc",
                                      "n,,n=user,r="};
    wk_scram_conv_t conv;
    sdb_error_t err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(wk_scram_client_first(&conv, WK_SCRAM_SHA256, (const uint8_t *)bad[i],
                                            strlen(bad[i]), &err) == SDB_ECLIENT,
                      "accepted: %s", bad[i]);
        ck_assert_int_eq(err.code, SDB_CODE_BadValue);
    }
    /* escaped names */
    ck_assert_int_eq(wk_scram_client_first(&conv, WK_SCRAM_SHA1,
                                           (const uint8_t *)"n,,n=a=2Cb=3Dc,r=xyz", 20, &err),
                     0);
    ck_assert_str_eq(conv.user, "a,b=c");
}
END_TEST

START_TEST(test_passwords)
{
    char out[256];
    sdb_error_t err;

    /* RFC 4013's examples: a soft hyphen vanishes, a no-break space maps to a space, a
     * control character is prohibited */
    ck_assert_int_eq(wk_scram_saslprep("I\xc2\xad"
                                       "X",
                                       out, sizeof(out), &err),
                     0);
    ck_assert_str_eq(out, "IX");
    ck_assert_int_eq(wk_scram_saslprep("a\xc2\xa0"
                                       "b",
                                       out, sizeof(out), &err),
                     0);
    ck_assert_str_eq(out, "a b");
    ck_assert_int_eq(wk_scram_saslprep("\xc2\xaa", out, sizeof(out), &err), 0);
    ck_assert_str_eq(out, "a");
    ck_assert_int_eq(wk_scram_saslprep("a\x07", out, sizeof(out), &err), SDB_ECLIENT);
    /* SCRAM-SHA-1 digests the password as mongod: hex MD5 of "user:mongo:pencil" */
    ck_assert_int_eq(wk_scram_password(WK_SCRAM_SHA1, "user", "pencil", out, sizeof(out), &err), 0);
    ck_assert_str_eq(out, "1c33006ec1ffd90f9cadcbcc0e118200");
}
END_TEST

START_TEST(test_cred_round_trip)
{
    wk_scram_cred_t c, back;
    bson_t doc = BSON_INITIALIZER, creds;

    ck_assert_int_eq(wk_scram_cred_make(WK_SCRAM_SHA256, "pencil", 4096, &c), 0);
    ck_assert_uint_eq(c.salt_len, 28); /* mongod's: hash size - 4 */
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "credentials", &creds);
    wk_scram_cred_append(&creds, "SCRAM-SHA-256", WK_SCRAM_SHA256, &c);
    bson_append_document_end(&doc, &creds);
    ck_assert(wk_scram_cred_parse(&doc, WK_SCRAM_SHA256, &back));
    ck_assert(!wk_scram_cred_parse(&doc, WK_SCRAM_SHA1, &back)); /* none for SHA-1 */
    ck_assert(wk_scram_cred_parse(&doc, WK_SCRAM_SHA256, &back));
    ck_assert_int_eq(back.iterations, 4096);
    ck_assert_uint_eq(back.salt_len, 28);
    ck_assert_int_eq(memcmp(back.stored_key, c.stored_key, 32), 0);
    ck_assert_int_eq(memcmp(back.server_key, c.server_key, 32), 0);
    bson_destroy(&doc);
}
END_TEST

START_TEST(test_builtin_roles)
{
    wk_privset_t s = {NULL, 0, 0};

    ck_assert(wk_role_builtin("read", "test", &s));
    ck_assert(wk_privset_allows(&s, WK_RES_NS, "test", "c", WK_ACT_find));
    ck_assert(!wk_privset_allows(&s, WK_RES_NS, "test", "c", WK_ACT_insert));
    ck_assert(!wk_privset_allows(&s, WK_RES_NS, "other", "c", WK_ACT_find));
    ck_assert(wk_privset_allows(&s, WK_RES_DB, "test", "", WK_ACT_listCollections));
    ck_assert(!wk_privset_allows(&s, WK_RES_NS, "test", "system.users", WK_ACT_find));
    wk_privset_free(&s);
    ck_assert(!wk_role_builtin("root", "test", NULL)); /* admin only */
    ck_assert(wk_role_builtin("root", "admin", &s));
    ck_assert(wk_privset_allows(&s, WK_RES_NS, "any", "c", WK_ACT_insert));
    ck_assert(wk_privset_allows(&s, WK_RES_CLUSTER, "", "", WK_ACT_shutdown));
    ck_assert(wk_privset_allows(&s, WK_RES_NS, "admin", "system.users", WK_ACT_find));
    ck_assert(wk_privset_allows(&s, WK_RES_DB, "x", "", WK_ACT_createUser));
    wk_privset_free(&s);
    ck_assert(wk_role_builtin("__system", "admin", &s));
    ck_assert(wk_privset_allows(&s, WK_RES_NS, "local", "system.x", WK_ACT_remove));
    wk_privset_free(&s);
}
END_TEST

static Suite *
scram_suite(void)
{
    Suite *s = suite_create("scram");
    TCase *tc = tcase_create("core");
    int nv = (int)(sizeof(vectors) / sizeof(vectors[0]));

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_rfc_vectors, 0, nv);
    tcase_add_loop_test(tc, test_forged_proof, 0, nv);
    tcase_add_test(tc, test_malformed_first);
    tcase_add_test(tc, test_passwords);
    tcase_add_test(tc, test_cred_round_trip);
    tcase_add_test(tc, test_builtin_roles);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(scram_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
