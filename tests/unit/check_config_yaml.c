/*
 * tests/unit/check_config_yaml.c -- unit tests for the YAML configuration file (config_yaml.c).
 *
 * Each test writes a YAML text into a temporary file and runs sdb_config_parse on
 * "--config FILE" plus flags: every key lands in the field its flag sets, a flag overrides
 * its key, and every refusal (unknown key, wrong type, bad value, duplicate key, malformed
 * YAML, expansion directives, options we do not have) returns 2.  Refusals print to stderr;
 * the integration test (it_config.c) checks their wording and line numbers.  getCmdLineOpts'
 * nested `parsed` document is checked here whole.
 */
#include "../../src/common/config.h"
#include "../../src/common/config_yaml.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char yaml_path[64];

/* with_yaml -- write text to a fresh temporary file (removed by the caller's teardown). */
static const char *
with_yaml(const char *text)
{
    FILE *f;
    int fd;

    snprintf(yaml_path, sizeof(yaml_path), "/tmp/check_config_yaml.XXXXXX");
    fd = mkstemp(yaml_path);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return yaml_path;
}

static void
teardown(void)
{
    if (yaml_path[0] != '\0')
        unlink(yaml_path);
}

/* load -- parse "--config <file of text>" followed by the NULL-terminated flags. */
static int
load(sdb_config_t *cfg, const char *text, const char *const *flags)
{
    char *argv[32];
    int argc = 0;
    bool exit_now;

    argv[argc++] = "secantusdb";
    argv[argc++] = "--config";
    argv[argc++] = (char *)with_yaml(text);
    for (int i = 0; flags != NULL && flags[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)flags[i];
    argv[argc] = NULL;
    return sdb_config_parse(argc, argv, cfg, &exit_now);
}

#define LOAD_OK(cfg, text, ...)                                                                    \
    ck_assert_int_eq(load((cfg), (text), (const char *const[]){__VA_ARGS__ NULL}), 0)
#define LOAD_BAD(cfg, text) ck_assert_msg(load((cfg), (text), NULL) == 2, "accepted: %s", (text))

static const char full[] = "# a mongod.conf\n"
                           "net:\n"
                           "  port: 28017\n"
                           "  bindIp: 127.0.0.1,::1\n"
                           "  maxIncomingConnections: 500\n"
                           "  compression:\n"
                           "    compressors: zstd\n"
                           "storage:\n"
                           "  dbPath: /var/lib/x\n"
                           "  journal:\n"
                           "    enabled: true\n"
                           "  wiredTiger:\n"
                           "    engineConfig:\n"
                           "      cacheSizeGB: 0.5\n"
                           "systemLog:\n"
                           "  destination: file\n"
                           "  path: /var/log/x.log\n"
                           "  logAppend: true\n"
                           "  logRotate: reopen\n"
                           "  verbosity: 2\n"
                           "  quiet: false\n"
                           "  component:\n"
                           "    storage:\n"
                           "      journal:\n"
                           "        verbosity: 3\n"
                           "    network:\n"
                           "      verbosity: 1\n"
                           "security:\n"
                           "  authorization: disabled\n"
                           "  javascriptEnabled: false\n"
                           "replication:\n"
                           "  replSetName: rsx\n"
                           "processManagement:\n"
                           "  pidFilePath: /run/x.pid\n"
                           "  fork: false\n"
                           "  timeZoneInfo: /usr/share/zoneinfo\n"
                           "operationProfiling:\n"
                           "  mode: all\n"
                           "  slowOpThresholdMs: 25\n"
                           "setParameter:\n"
                           "  cursorTimeoutMillis: 1234\n"
                           "  enableTestCommands: false\n"
                           "secantusdb:\n"
                           "  workers: 3\n";

START_TEST(test_keys)
{
    sdb_config_t cfg;
    int journal = sdb_log_component("storage.journal"), net = sdb_log_component("network");

    LOAD_OK(&cfg, full, );
    ck_assert_int_eq(cfg.port, 28017);
    ck_assert_str_eq(cfg.bind_ip, "127.0.0.1,::1");
    ck_assert_int_eq(cfg.max_conns, 500);
    ck_assert_str_eq(cfg.compressors, "zstd");
    ck_assert_str_eq(cfg.dbpath, "/var/lib/x");
    ck_assert_int_eq(cfg.cache_mb, 512);
    ck_assert_str_eq(cfg.logpath, "/var/log/x.log");
    ck_assert(cfg.log_append && cfg.log_reopen && !cfg.quiet && cfg.noscripting);
    ck_assert_int_eq(cfg.log_level, 2);
    ck_assert_int_eq(cfg.log_comp[journal], 3);
    ck_assert_int_eq(cfg.log_comp[net], 1);
    ck_assert_int_eq(cfg.log_comp[sdb_log_component("storage")], -1);
    ck_assert_str_eq(cfg.repl_set, "rsx");
    ck_assert_str_eq(cfg.pidfile, "/run/x.pid");
    ck_assert_int_eq(cfg.profile, 2);
    ck_assert_int_eq(cfg.slow_ms, 25);
    ck_assert_int_eq(cfg.cursor_timeout_ms, 1234);
    ck_assert(!cfg.enable_test_commands);
    ck_assert_int_eq(cfg.workers, 3);
    ck_assert(sdb_config_given(&cfg, "port") && !sdb_config_given(&cfg, "fork"));
}
END_TEST

START_TEST(test_flags_override)
{
    sdb_config_t cfg;

    LOAD_OK(&cfg, full, "--port", "0", "--setParameter", "cursorTimeoutMillis=99", "-vvvv",
            "--dbpath=/other", );
    ck_assert_int_eq(cfg.port, 0);
    ck_assert_int_eq(cfg.cursor_timeout_ms, 99);
    ck_assert_int_eq(cfg.log_level, 4);
    ck_assert_str_eq(cfg.dbpath, "/other");
    ck_assert_int_eq(cfg.workers, 3); /* from the file */
    /* -f is --config */
    {
        char *argv[] = {"secantusdb", "-f", (char *)with_yaml("net:\n  port: 1234\n"), NULL};
        bool exit_now;
        ck_assert_int_eq(sdb_config_parse(3, argv, &cfg, &exit_now), 0);
        ck_assert_int_eq(cfg.port, 1234);
    }
}
END_TEST

START_TEST(test_empty_and_comments)
{
    sdb_config_t cfg;

    LOAD_OK(&cfg, "", );
    ck_assert_int_eq(cfg.port, SDB_DEFAULT_PORT);
    LOAD_OK(&cfg, "# nothing but a comment\n", );
    LOAD_OK(&cfg, "net: {port: 5, bindIp: '0.0.0.0'}\n", );
    ck_assert_int_eq(cfg.port, 5);
    ck_assert_str_eq(cfg.bind_ip, "0.0.0.0");
    /* the mongod.conf the official packages install */
    LOAD_OK(&cfg,
            "storage:\n  dbPath: /var/lib/mongodb\nsystemLog:\n  destination: file\n"
            "  logAppend: true\n  path: /var/log/mongodb/mongod.log\n"
            "  timeStampFormat: iso8601-utc\nnet:\n  port: 27017\n"
            "  bindIp: 127.0.0.1\nprocessManagement:\n  timeZoneInfo: /usr/share/zoneinfo\n", );
    ck_assert_str_eq(cfg.dbpath, "/var/lib/mongodb");
    ck_assert(cfg.log_append);
}
END_TEST

START_TEST(test_refusals)
{
    sdb_config_t cfg;

    LOAD_BAD(&cfg, "net:\n  foo: 1\n");             /* unknown key */
    LOAD_BAD(&cfg, "nett:\n  port: 1\n");           /* unknown section */
    LOAD_BAD(&cfg, "net: 5\n");                     /* a section as a value */
    LOAD_BAD(&cfg, "net:\n  port: abc\n");          /* wrong type */
    LOAD_BAD(&cfg, "net:\n  port: 1.5\n");          /* wrong type */
    LOAD_BAD(&cfg, "net:\n  port: [1, 2]\n");       /* a list */
    LOAD_BAD(&cfg, "net:\n  port: 70000\n");        /* bad value */
    LOAD_BAD(&cfg, "net:\n  bindIpAll: yes\n");     /* a switch is true or false */
    LOAD_BAD(&cfg, "net:\n  port: 1\n  port: 2\n"); /* duplicate key */
    LOAD_BAD(&cfg, "net:\n  port: [1\n");           /* malformed */
    LOAD_BAD(&cfg, "- a\n- b\n");                   /* not a map */
    LOAD_BAD(&cfg, "net:\n  port:\n    __exec: 'echo 1'\n");
    LOAD_BAD(&cfg, "__rest: 'http://x'\n");
    LOAD_BAD(&cfg, "systemLog:\n  logRotate: sideways\n");
    LOAD_BAD(&cfg, "systemLog:\n  verbosity: 9\n");
    LOAD_BAD(&cfg, "systemLog:\n  destination: tape\n");
    LOAD_BAD(&cfg, "systemLog:\n  component:\n    nosuch:\n      verbosity: 1\n");
    LOAD_BAD(&cfg, "systemLog:\n  component:\n    storage:\n      verbosity: x\n");
    LOAD_BAD(&cfg, "operationProfiling:\n  mode: some\n");
    LOAD_BAD(&cfg, "processManagement:\n  fork: true\n"); /* without systemLog.path */
    LOAD_BAD(&cfg, "setParameter:\n  noSuchParameter: 1\n");
    LOAD_BAD(&cfg, "setParameter:\n  cursorTimeoutMillis: -5\n");
    LOAD_BAD(&cfg, "setParameter: 5\n");
    LOAD_BAD(&cfg, "secantusdb:\n  workers: 0\n");
    LOAD_BAD(&cfg, "storage:\n  wiredTiger:\n    engineConfig:\n      cacheSizeGB: lots\n");
    LOAD_BAD(&cfg, "security:\n  javascriptEnabled: maybe\n");
    LOAD_BAD(&cfg, "systemLog:\n  timeStampFormat: iso8601-local\n");
    ck_assert_int_eq(load(&cfg, "net:\n  port: 1\n", (const char *const[]){"-f", NULL}), 2);
}
END_TEST

START_TEST(test_component_parameter)
{
    sdb_config_t cfg;
    int journal = sdb_log_component("storage.journal");

    /* as mongod takes it: --setParameter, or setParameter in the file, with a JSON document */
    LOAD_OK(&cfg,
            "setParameter:\n  logComponentVerbosity: '{\"verbosity\": 1, \"storage\": "
            "{\"journal\": {\"verbosity\": 4}}}'\n", );
    ck_assert_int_eq(cfg.log_level, 1);
    ck_assert_int_eq(cfg.log_comp[journal], 4);
    LOAD_OK(&cfg, "", "--setParameter",
            "logComponentVerbosity={\"network\": {\"verbosity\": 2}}", );
    ck_assert_int_eq(cfg.log_comp[sdb_log_component("network")], 2);
    LOAD_BAD(&cfg, "setParameter:\n  logComponentVerbosity: '{\"nosuch\": {\"verbosity\": 1}}'\n");
    LOAD_BAD(&cfg, "setParameter:\n  logComponentVerbosity: '{\"verbosity\": 9}'\n");
    LOAD_BAD(&cfg, "setParameter:\n  logComponentVerbosity: 'not json'\n");
}
END_TEST

START_TEST(test_fork)
{
    sdb_config_t cfg;

    LOAD_OK(&cfg, "processManagement:\n  fork: true\nsystemLog:\n  path: /tmp/x.log\n", );
    ck_assert(cfg.fork);
    LOAD_OK(&cfg, "processManagement:\n  fork: true\n", "--logpath", "/tmp/x.log", );
    ck_assert(cfg.fork);
}
END_TEST

/* systemLog.destination: syslog / --syslog, systemLog.syslogFacility / --syslogFacility; a
 * path with syslog is mongod's BadValue, whichever side gave it. */
START_TEST(test_syslog)
{
    sdb_config_t cfg;

    LOAD_OK(&cfg, "systemLog:\n  destination: syslog\n", );
    ck_assert(cfg.syslog);
    ck_assert_int_eq(cfg.syslog_facility, LOG_USER);
    LOAD_OK(&cfg, "systemLog:\n  destination: syslog\n  syslogFacility: local3\n", );
    ck_assert_int_eq(cfg.syslog_facility, LOG_LOCAL3);
    LOAD_OK(&cfg, "", "--syslog", "--syslogFacility", "daemon", );
    ck_assert(cfg.syslog);
    ck_assert_int_eq(cfg.syslog_facility, LOG_DAEMON);
    LOAD_OK(&cfg, "systemLog:\n  destination: file\n  path: /tmp/x.log\n", );
    ck_assert(!cfg.syslog);
    LOAD_OK(&cfg, "processManagement:\n  fork: true\nsystemLog:\n  destination: syslog\n", );
    ck_assert(cfg.fork && cfg.syslog);
    LOAD_BAD(&cfg, "systemLog:\n  destination: syslog\n  path: /tmp/x.log\n");
    LOAD_BAD(&cfg, "systemLog:\n  destination: syslog\n  syslogFacility: nosuch\n");
    ck_assert_int_eq(
        load(&cfg, "", (const char *const[]){"--syslog", "--logpath", "/tmp/x.log", NULL}), 2);
    ck_assert_int_eq(
        load(&cfg, "systemLog:\n  path: /tmp/x.log\n", (const char *const[]){"--syslog", NULL}), 2);
}
END_TEST

START_TEST(test_missing_file)
{
    char *argv[] = {"secantusdb", "--config", "/nonexistent/secantusdb.conf", NULL};
    sdb_config_t cfg;
    bool exit_now;

    ck_assert_int_eq(sdb_config_parse(3, argv, &cfg, &exit_now), 2);
}
END_TEST

START_TEST(test_parsed)
{
    sdb_config_t cfg;
    bson_t parsed = BSON_INITIALIZER, *want;
    char *got, *exp;
    char json[2048];

    LOAD_OK(&cfg, full, "--port", "0", );
    sdb_config_yaml_parsed(&cfg, &parsed);
    snprintf(json, sizeof(json),
             "{\"config\": \"%s\", \"net\": {\"bindIp\": \"127.0.0.1,::1\", \"compression\": "
             "{\"compressors\": \"zstd\"}, \"maxIncomingConnections\": 500, \"port\": 0}, "
             "\"operationProfiling\": {\"mode\": \"all\", \"slowOpThresholdMs\": 25}, "
             "\"processManagement\": {\"pidFilePath\": \"/run/x.pid\"}, \"replication\": "
             "{\"replSetName\": \"rsx\"}, \"secantusdb\": {\"workers\": 3}, \"security\": "
             "{\"javascriptEnabled\": false}, \"setParameter\": {\"cursorTimeoutMillis\": "
             "\"1234\", \"enableTestCommands\": \"false\"}, \"storage\": {\"dbPath\": "
             "\"/var/lib/x\", \"wiredTiger\": {\"engineConfig\": {\"cacheSizeGB\": 0.5}}}, "
             "\"systemLog\": {\"component\": {\"network\": {\"verbosity\": 1}, \"storage\": "
             "{\"journal\": {\"verbosity\": 3}}}, \"logAppend\": true, \"logRotate\": "
             "\"reopen\", \"path\": \"/var/log/x.log\", \"verbosity\": 2}}",
             yaml_path);
    want = bson_new_from_json((const uint8_t *)json, -1, NULL);
    ck_assert(want != NULL);
    got = bson_as_relaxed_extended_json(&parsed, NULL);
    exp = bson_as_relaxed_extended_json(want, NULL);
    ck_assert_str_eq(got, exp);
    bson_free(got);
    bson_free(exp);
    bson_destroy(want);
    bson_destroy(&parsed);
}
END_TEST

static Suite *
config_yaml_suite(void)
{
    Suite *s = suite_create("config_yaml");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_flags_override);
    tcase_add_test(tc, test_empty_and_comments);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_component_parameter);
    tcase_add_test(tc, test_fork);
    tcase_add_test(tc, test_syslog);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_parsed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(config_yaml_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
