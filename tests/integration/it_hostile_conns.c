/*
 * tests/integration/it_hostile_conns.c -- start-up options that must not be ignored, and
 * connections and descriptors running out.
 *
 * --setParameter knows its names and bounds (an unknown name or a bad value exits 2 with
 * mongod's message), --keyFile is refused (exit 2) while there is no authentication, the
 * parameters' values show in getParameter, and enableTestCommands=0 removes the test-only
 * commands.  Each case starts its own server (or none, for the refusals).
 */
#include "harness.h"

#include <sys/wait.h>

/* run_refused -- run the binary with `args` (a shell word list appended to it); the exit
 * status must be 2 and stdout+stderr must contain `want`. */
static void
run_refused(const char *args, const char *want)
{
    char cmdline[2048], out[8192];
    size_t used = 0, n;
    FILE *p;
    int st;

    snprintf(cmdline, sizeof(cmdline), "'%s' --port 0 --dbpath :memory: %s 2>&1", fx_binary(),
             args);
    p = popen(cmdline, "r");
    ck_assert_ptr_nonnull(p);
    while (used < sizeof(out) - 1 && (n = fread(out + used, 1, sizeof(out) - 1 - used, p)) > 0)
        used += n;
    out[used] = '\0';
    st = pclose(p);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: want exit 2, status 0x%x: %s", args,
                  st, out);
    ck_assert_msg(strstr(out, want) != NULL, "%s: want \"%s\" in: %s", args, want, out);
}

START_TEST(test_set_parameter_refusals)
{
    run_refused("--setParameter noSuchParameter=1",
                "BadValue: Illegal --setParameter parameter: \"noSuchParameter\"");
    run_refused("--setParameter=noSuchParameter=1",
                "Illegal --setParameter parameter: \"noSuchParameter\"");
    run_refused("--setParameter cursorTimeoutMillis=-1",
                "BadValue: Bad value for parameter \"cursorTimeoutMillis\": Invalid value for "
                "parameter cursorTimeoutMillis: -1 is not greater than or equal to 0");
    run_refused("--setParameter cursorTimeoutMillis=10s",
                "Bad value for parameter \"cursorTimeoutMillis\": Did not consume whole string.");
    run_refused("--setParameter cursorTimeoutMillis=99999999999999999999",
                "Bad value for parameter \"cursorTimeoutMillis\": Overflow");
    run_refused("--setParameter cursorTimeoutMillis=", "No digits");
    run_refused("--setParameter enableTestCommands=yes",
                "Bad value for parameter \"enableTestCommands\": Value is not a valid boolean");
}
END_TEST

START_TEST(test_key_file_refused)
{
    run_refused("--keyFile /dev/null", "--keyFile turns on access control");
}
END_TEST

/* A server started with `extra` (NULL-terminated), for one test. */
static void
server_with(fx_server_t *s, const char *const *extra)
{
    ck_assert_int_eq(fx_server_init(s, 2), 0);
    s->extra = extra;
    ck_assert_msg(fx_server_start(s) == 0, "the server did not start");
}

START_TEST(test_get_parameter_defaults)
{
    fx_server_t s;
    bson_t r;

    server_with(&s, NULL);
    mongoc_client_t *c = fx_client(&s);
    CMD_OK(c, "admin", "{'getParameter': 1, 'cursorTimeoutMillis': 1}", &r);
    ASSERT_TYPE(&r, "cursorTimeoutMillis", BSON_TYPE_INT64);
    ASSERT_INT(&r, "cursorTimeoutMillis", 600000);
    ck_assert(!fx_has(&r, "enableTestCommands"));
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getParameter': '*'}", &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 600000);
    ASSERT_TYPE(&r, "enableTestCommands", BSON_TYPE_BOOL);
    ck_assert(fx_bool(&r, "enableTestCommands"));
    bson_destroy(&r);
    /* on by default: the test-only commands exist */
    CMD_OK(c, "admin", "{'configureFailPoint': 'failCommand', 'mode': 'off'}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_set_parameter_applies)
{
    static const char *const extra[] = {"--setParameter", "cursorTimeoutMillis=1234",
                                        "--setParameter=enableTestCommands=0", NULL};
    fx_server_t s;
    bson_t r;

    server_with(&s, extra);
    mongoc_client_t *c = fx_client(&s);
    CMD_OK(c, "admin", "{'getParameter': 1, 'cursorTimeoutMillis': 1, 'enableTestCommands': 1}",
           &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 1234);
    ASSERT_TYPE(&r, "enableTestCommands", BSON_TYPE_BOOL);
    ck_assert(!fx_bool(&r, "enableTestCommands"));
    bson_destroy(&r);
    /* test-only commands do not exist with enableTestCommands off, as in mongod */
    CMD_ERR(c, "admin", "{'configureFailPoint': 'failCommand', 'mode': 'off'}", &r, 59,
            "CommandNotFound");
    ASSERT_STR(&r, "errmsg", "no such command: 'configureFailPoint'");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'listCommands': 1}", &r);
    ck_assert(fx_has(&r, "commands.ping"));
    ck_assert(!fx_has(&r, "commands.configureFailPoint"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("hostile_conns");
    TCase *tc = it_tcase(s, "options", false);
    tcase_add_test(tc, test_set_parameter_refusals);
    tcase_add_test(tc, test_key_file_refused);
    tcase_add_test(tc, test_get_parameter_defaults);
    tcase_add_test(tc, test_set_parameter_applies);
    return it_main(s);
}
