/*
 * tests/unit/check_tlsopt.c -- unit tests for the TLS options (tlsopt.c).
 *
 * sdb_tlsopt_parse on --tlsMode and --tlsDisabledProtocols values, sdb_tlsopt_check on
 * mongod's consistency rules, and one argv through sdb_config_parse to see the flags land in
 * sdb_config_t.  Refusals print to stderr; only the status and the fields are asserted.
 */
#include "../../src/common/config.h"
#include "../../src/common/tlsopt.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_modes)
{
    static const char *const names[] = {"disabled", "allowTLS", "preferTLS", "requireTLS"};
    sdb_config_t cfg;

    memset(&cfg, 0, sizeof(cfg));
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsMode", names[i]), 0);
        ck_assert_int_eq(cfg.tls_mode, i);
        ck_assert_str_eq(sdb_tlsopt_mode_name(i), names[i]);
    }
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsMode", "requireSSL"), 2);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsMode", ""), 2);
    ck_assert_int_eq(cfg.tls_mode, SDB_TLS_MODE_REQUIRE); /* a refusal changes nothing */
}
END_TEST

START_TEST(test_protocols)
{
    sdb_config_t cfg;

    memset(&cfg, 0, sizeof(cfg));
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "TLS1_0,TLS1_1"), 0);
    ck_assert_uint_eq(cfg.tls_disabled_protocols, SDB_TLS_PROTO_1_0 | SDB_TLS_PROTO_1_1);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "TLS1_3"), 0);
    ck_assert_uint_eq(cfg.tls_disabled_protocols, SDB_TLS_PROTO_1_3);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "none"), 0);
    ck_assert_uint_eq(cfg.tls_disabled_protocols, 0);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "TLS1_2,"), 2);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "tls1_2"), 2);
    ck_assert_int_eq(sdb_tlsopt_parse(&cfg, "tlsDisabledProtocols", "TLS1_2,none"), 2);
}
END_TEST

START_TEST(test_checks)
{
    sdb_config_t cfg;

    memset(&cfg, 0, sizeof(cfg));
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 0); /* disabled, nothing given */
    cfg.tls_mode = SDB_TLS_MODE_PREFER;
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 2); /* no certificate key file */
    snprintf(cfg.tls_cert_key_file, sizeof(cfg.tls_cert_key_file), "server.pem");
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 0);
    snprintf(cfg.tls_crl_file, sizeof(cfg.tls_crl_file), "crl.pem");
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 2); /* a CRL without a CA */
    snprintf(cfg.tls_ca_file, sizeof(cfg.tls_ca_file), "ca.pem");
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 0);
    cfg.tls_mode = SDB_TLS_MODE_DISABLED; /* the same files without TLS */
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 2);
    memset(&cfg, 0, sizeof(cfg));
    cfg.tls_allow_no_cert = true;
    ck_assert_int_eq(sdb_tlsopt_check(&cfg), 2);
}
END_TEST

START_TEST(test_argv)
{
    char *argv[] = {"secantusdb",
                    "--tlsMode=requireTLS",
                    "--tlsCertificateKeyFile",
                    "s.pem",
                    "--tlsCAFile",
                    "ca.pem",
                    "--tlsAllowInvalidCertificates",
                    "--tlsDisabledProtocols",
                    "none",
                    NULL};
    char *off[] = {"secantusdb", "--tlsDisabledProtocols", "none", NULL};
    static sdb_config_t cfg;
    bool exit_now;

    ck_assert_int_eq(sdb_config_parse(9, argv, &cfg, &exit_now), 0);
    ck_assert_int_eq(cfg.tls_mode, SDB_TLS_MODE_REQUIRE);
    ck_assert_str_eq(cfg.tls_cert_key_file, "s.pem");
    ck_assert_str_eq(cfg.tls_ca_file, "ca.pem");
    ck_assert(cfg.tls_allow_invalid_certs && !cfg.tls_allow_no_cert);
    ck_assert_uint_eq(cfg.tls_disabled_protocols, 0);
    ck_assert_int_eq(sdb_config_parse(1, argv, &cfg, &exit_now), 0);
    ck_assert_int_eq(cfg.tls_mode, SDB_TLS_MODE_DISABLED);
    ck_assert_uint_eq(cfg.tls_disabled_protocols, SDB_TLS_PROTO_DEFAULT_OFF);
    /* a TLS option without --tlsMode is refused even when it says "none" */
    ck_assert_int_eq(sdb_config_parse(3, off, &cfg, &exit_now), 2);
}
END_TEST

/* The suite: parsing, then the rules, then a whole argv. */
static Suite *
tlsopt_suite(void)
{
    Suite *s = suite_create("tlsopt");
    TCase *tc = tcase_create("tlsopt");

    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_protocols);
    tcase_add_test(tc, test_checks);
    tcase_add_test(tc, test_argv);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(tlsopt_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
