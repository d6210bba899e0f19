/*
 * tests/unit/check_config.c -- unit tests for command-line parsing (config.c).
 *
 * sdb_config_parse on argv vectors: defaults, the --setParameter table (names, types,
 * bounds, mongod's number rules), the refused options, --maxConns and its cap from the
 * descriptor limit, and the WiredTiger cache rule.  Refusals print to stderr; only the
 * return value and the parsed fields are asserted.  Each test runs in Check's forked child,
 * so changing RLIMIT_NOFILE there stays there.
 */
#include "../../src/common/config.h"
#include "../../src/common/global.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* parse -- sdb_config_parse on "secantusdb" + the NULL-terminated args; returns its status. */
static int
parse(sdb_config_t *cfg, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    bool exit_now;

    argv[argc++] = "secantusdb";
    for (int i = 0; args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    return sdb_config_parse(argc, argv, cfg, &exit_now);
}

#define PARSE_OK(cfg, ...)                                                                         \
    ck_assert_int_eq(parse((cfg), (const char *const[]){__VA_ARGS__, NULL}), 0)
#define PARSE_BAD(cfg, ...)                                                                        \
    ck_assert_int_eq(parse((cfg), (const char *const[]){__VA_ARGS__, NULL}), 2)

START_TEST(test_defaults)
{
    sdb_config_t cfg;

    PARSE_OK(&cfg, "--port", "0");
    ck_assert_int_eq(cfg.cursor_timeout_ms, 600000);
    ck_assert(cfg.enable_test_commands);
    ck_assert_int_eq(cfg.max_conns, SDB_DEFAULT_MAX_CONNS);
}
END_TEST

START_TEST(test_set_parameter)
{
    sdb_config_t cfg;

    PARSE_OK(&cfg, "--setParameter", "cursorTimeoutMillis=1234",
             "--setParameter=enableTestCommands=0");
    ck_assert_int_eq(cfg.cursor_timeout_ms, 1234);
    ck_assert(!cfg.enable_test_commands);
    PARSE_OK(&cfg, "--setParameter", "enableTestCommands=false", "--setParameter",
             "enableTestCommands=true", "--setParameter",
             "cursorTimeoutMillis=9223372036854775807");
    ck_assert(cfg.enable_test_commands);
    ck_assert_int_eq(cfg.cursor_timeout_ms, INT64_MAX);
    PARSE_OK(&cfg, "--setParameter", "cursorTimeoutMillis=0");
    ck_assert_int_eq(cfg.cursor_timeout_ms, 0);
    ck_assert(cfg.ttl_monitor_enabled);
    ck_assert_int_eq(cfg.ttl_sleep_secs, 60);
    PARSE_OK(&cfg, "--setParameter", "ttlMonitorSleepSecs=1", "--setParameter",
             "ttlMonitorEnabled=false");
    ck_assert_int_eq(cfg.ttl_sleep_secs, 1);
    ck_assert(!cfg.ttl_monitor_enabled);
}
END_TEST

START_TEST(test_set_parameter_refused)
{
    sdb_config_t cfg;

    PARSE_BAD(&cfg, "--setParameter", "noSuchParameter=1");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis=");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis=-1");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis= 5");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis=1e3");
    PARSE_BAD(&cfg, "--setParameter", "cursorTimeoutMillis=9223372036854775808");
    PARSE_BAD(&cfg, "--setParameter", "enableTestCommands=yes");
    PARSE_BAD(&cfg, "--setParameter", "enableTestCommands=2");
    PARSE_BAD(&cfg, "--setParameter");
    PARSE_BAD(&cfg, "--setParameter", "ttlMonitorSleepSecs=0"); /* mongod's gt: 0 */
    PARSE_BAD(&cfg, "--setParameter", "ttlMonitorSleepSecs=2147483648");
}
END_TEST

/* The runtime-settable rows: their live value (global segment) wins over the start-up one,
 * and the bounds speak mongod's words. */
START_TEST(test_param_live)
{
    const sdb_param_t *p = sdb_config_param_find("ttlMonitorSleepSecs", 19);
    const sdb_param_t *q = sdb_config_param_find("cursorTimeoutMillis", 19);
    static sdb_global_t g;
    sdb_config_t cfg;
    char why[128];

    ck_assert(p != NULL && p->live != 0 && p->type == SDB_PARAM_INT32);
    ck_assert(q != NULL && q->live == 0);
    ck_assert(sdb_config_param_find("ttlMonitorSleepSec", 18) == NULL);
    PARSE_OK(&cfg, "--setParameter", "ttlMonitorSleepSecs=9");
    ck_assert_int_eq(sdb_config_param_value(&cfg, NULL, p), 9);
    atomic_store(&g.ttl_sleep_secs, 42);
    ck_assert_int_eq(sdb_config_param_value(&cfg, &g, p), 42);
    ck_assert_int_eq(sdb_config_param_value(&cfg, &g, q), 600000); /* start-up only */
    ck_assert(sdb_config_param_check(p, 1, why, sizeof(why)) == NULL);
    ck_assert_str_eq(sdb_config_param_check(p, 0, why, sizeof(why)),
                     "Invalid value for parameter ttlMonitorSleepSecs: 0 is not greater than 0");
    ck_assert_str_eq(sdb_config_param_check(q, -1, why, sizeof(why)),
                     "Invalid value for parameter cursorTimeoutMillis: -1 is not greater than or "
                     "equal to 0");
}
END_TEST

START_TEST(test_refused_options)
{
    sdb_config_t cfg;

    PARSE_BAD(&cfg, "--keyFile", "/dev/null");
    PARSE_BAD(&cfg, "--keyFile=/dev/null");
    PARSE_BAD(&cfg, "--notablescan"); /* would refuse collection scans: never ignored */
    PARSE_BAD(&cfg, "--storageEngine", "inMemory");
    PARSE_OK(&cfg, "--storageEngine", "wiredTiger");
    PARSE_OK(&cfg, "--oplogSize", "5");
    ck_assert_int_eq(cfg.oplog_size_mb, 5); /* the master's oplog cap (master/oplog.h) */
    PARSE_BAD(&cfg, "--oplogSize", "0");
    PARSE_OK(&cfg, "--auth");
    ck_assert(cfg.auth);
    PARSE_BAD(&cfg, "--initdbRootUsername", "root"); /* a name without a password */
    PARSE_OK(&cfg, "--initdbRootUsername", "root", "--initdbRootPassword", "secret");
    ck_assert(cfg.auth); /* implied, as the Docker image does */
    ck_assert_str_eq(cfg.initdb_user, "root");
    PARSE_BAD(&cfg, "--maxConns", "4");
    PARSE_OK(&cfg, "--maxConns", "5");
    ck_assert_int_eq(cfg.max_conns, 5);
    ck_assert(sdb_config_given(&cfg, "maxConns"));
}
END_TEST

START_TEST(test_param_table)
{
    size_t n, i, seen = 0;
    const sdb_param_t *p = sdb_config_params(&n);
    sdb_config_t cfg;
    bson_t out;
    bson_iter_t it;

    PARSE_OK(&cfg, "--setParameter", "cursorTimeoutMillis=77");
    bson_init(&out);
    for (i = 0; i < n; i++)
        sdb_config_param_append(&cfg, NULL, &p[i], &out, false);
    ck_assert(bson_iter_init_find(&it, &out, "cursorTimeoutMillis"));
    ck_assert(BSON_ITER_HOLDS_INT64(&it) && bson_iter_int64(&it) == 77);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "enableTestCommands"));
    ck_assert(BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it));
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "transactionLifetimeLimitSeconds"));
    ck_assert(bson_iter_as_int64(&it) == 60);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "minSnapshotHistoryWindowInSeconds"));
    ck_assert(bson_iter_as_int64(&it) == 300);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "logicalSessionTimeoutMinutes"));
    ck_assert(bson_iter_as_int64(&it) == 30);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "ttlMonitorEnabled"));
    ck_assert(BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it));
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "ttlMonitorSleepSecs")); /* mongod's int */
    ck_assert(BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == 60);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "internalQueryMaxBlockingSortMemoryUsageBytes"));
    ck_assert(BSON_ITER_HOLDS_INT64(&it) && bson_iter_int64(&it) == 104857600);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "internalDocumentSourceGroupMaxMemoryBytes"));
    ck_assert(BSON_ITER_HOLDS_INT64(&it) && bson_iter_int64(&it) == 104857600);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "allowDiskUseByDefault"));
    ck_assert(BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it));
    seen++;
    ck_assert(
        bson_iter_init_find(&it, &out, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes"));
    ck_assert(BSON_ITER_HOLDS_INT64(&it) && bson_iter_int64(&it) == 104857600);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "internalDocumentSourceDensifyMaxMemoryBytes"));
    ck_assert(BSON_ITER_HOLDS_INT64(&it) && bson_iter_int64(&it) == 104857600);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "scramSHA256IterationCount")); /* mongod's int */
    ck_assert(BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == 15000);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "scramIterationCount"));
    ck_assert(BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == 10000);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "logLevel")); /* mongod's int, live */
    ck_assert(BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == 0);
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "quiet"));
    ck_assert(BSON_ITER_HOLDS_BOOL(&it) && !bson_iter_bool(&it));
    seen++;
    ck_assert(bson_iter_init_find(&it, &out, "maxNumActiveUserIndexBuilds")); /* mongod's int */
    ck_assert(BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == 3);
    seen++;
    ck_assert_uint_eq(bson_count_keys(&out), n);
    ck_assert_uint_eq(seen, n);
    bson_destroy(&out);
    /* as text, for getCmdLineOpts; and which ones were given */
    bson_init(&out);
    for (i = 0; i < n; i++)
        sdb_config_param_append(&cfg, NULL, &p[i], &out, true);
    ck_assert(bson_iter_init_find(&it, &out, "cursorTimeoutMillis"));
    ck_assert_str_eq(bson_iter_utf8(&it, NULL), "77");
    ck_assert(bson_iter_init_find(&it, &out, "enableTestCommands"));
    ck_assert_str_eq(bson_iter_utf8(&it, NULL), "true");
    bson_destroy(&out);
    ck_assert_uint_eq(cfg.params_given, 1u);
    ck_assert(sdb_config_given(&cfg, "setParameter"));
    ck_assert(!sdb_config_given(&cfg, "maxConns"));
}
END_TEST

START_TEST(test_conn_limit)
{
    struct rlimit rl;
    sdb_config_t cfg;
    int64_t soft;

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = 100;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    PARSE_OK(&cfg, "--port", "0");
    ck_assert_int_eq(sdb_config_conn_limit(&cfg, &soft), 80);
    ck_assert_int_eq(soft, 100);
    PARSE_OK(&cfg, "--maxConns", "10");
    ck_assert_int_eq(sdb_config_conn_limit(&cfg, &soft), 10);
    PARSE_OK(&cfg, "--maxConns", "500");
    ck_assert_int_eq(sdb_config_conn_limit(&cfg, &soft), 80);
}
END_TEST

START_TEST(test_cache_size)
{
    sdb_config_t cfg;
    int64_t mem = sdb_config_mem_limit_mb();
    long want = (long)((double)(mem - 1024) * 0.5);

    PARSE_OK(&cfg, "--port", "0");
    ck_assert_int_eq(cfg.cache_mb, want < 256 ? 256 : want);
    PARSE_OK(&cfg, "--wiredTigerCacheSizeGB", "0.5");
    ck_assert_int_eq(cfg.cache_mb, 512);
    PARSE_OK(&cfg, "--wiredTigerCacheSizeGB=2");
    ck_assert_int_eq(cfg.cache_mb, 2048);
    PARSE_BAD(&cfg, "--wiredTigerCacheSizeGB", "0.1");
    PARSE_BAD(&cfg, "--wiredTigerCacheSizeGB", "20000");
    PARSE_BAD(&cfg, "--wiredTigerCacheSizeGB", "1GB");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_set_parameter);
    tcase_add_test(tc, test_set_parameter_refused);
    tcase_add_test(tc, test_refused_options);
    tcase_add_test(tc, test_param_table);
    tcase_add_test(tc, test_param_live);
    tcase_add_test(tc, test_conn_limit);
    tcase_add_test(tc, test_cache_size);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
