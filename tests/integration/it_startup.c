/*
 * tests/integration/it_startup.c -- the binary's flags, start-up contract and shutdown.
 *
 * --port 0 prints the URI as the first stdout line; --version prints mongod's first line;
 * the log is JSON lines in mongod's format with the "Waiting for connections" line test
 * wrappers wait for; --logpath, --quiet and --dbpath :memory: work; --workers N spawns N
 * workers; a bad flag exits 2; a port in use is reported as mongod reports it; SIGTERM
 * exits 0 with every worker gone.  Each test starts its own server.
 */
#include "harness.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* run_capture -- run the binary with args, stdout+stderr into buf; returns wait status. */
static int
run_capture(const char *const *args, char *buf, size_t len)
{
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = fx_binary();
        for (int i = 0; args[i] != NULL && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t used = 0;
    ssize_t r;
    while ((r = read(pfd[0], buf + used, len - 1 - used)) > 0 && used < len - 1)
        used += (size_t)r;
    buf[used] = '\0';
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static bool
contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* check_log_lines -- every non-empty line of text (after skip lines) is a JSON log object
 * with mongod's fields; returns how many lines matched `needle` (case-insensitive). */
static int
check_log_lines(char *text, int skip, const char *needle, int *nlines)
{
    int matches = 0, lineno = 0;
    *nlines = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), lineno++) {
        if (lineno < skip || *line == '\0')
            continue;
        /* libbson 1.23 cannot parse mongod's "+00:00" offsets in {"$date": ...}: read the
         * date as a plain sub-document instead, so the line is still checked as JSON */
        char *dl = bson_strdup(line);
        for (char *p = strstr(dl, "\"$date\""); p != NULL; p = strstr(p, "\"$date\""))
            p[1] = '_';
        bson_error_t err;
        bson_t *doc = bson_new_from_json((const uint8_t *)dl, -1, &err);
        bson_free(dl);
        ck_assert_msg(doc != NULL, "log line %d is not JSON (%s): %s", lineno, err.message, line);
        static const char *fields[] = {"t", "s", "c", "id", "ctx", "msg"};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            ck_assert_msg(fx_has(doc, fields[i]), "log line %d lacks \"%s\": %s", lineno, fields[i],
                          line);
        ASSERT_TYPE(doc, "t._date", BSON_TYPE_UTF8); /* {"$date": "<ISO-8601>"} */
        ASSERT_TYPE(doc, "s", BSON_TYPE_UTF8);
        ASSERT_TYPE(doc, "msg", BSON_TYPE_UTF8);
        if (contains_ci(fx_str(doc, "msg"), needle))
            matches++;
        (*nlines)++;
        bson_destroy(doc);
    }
    return matches;
}

START_TEST(test_port0_prints_uri_and_serves)
{
    fx_server_t s;
    fx_server_up(&s, 2);
    ck_assert_msg(strncmp(s.uri, "mongodb://", 10) == 0, "URI line: %s", s.uri);
    ck_assert_int_gt(s.port, 0);
    ck_assert_int_ne(s.port, 27017);
    mongoc_client_t *c = fx_client(&s);
    bson_t reply;
    CMD_OK(c, "admin", "{'ping': 1}", &reply);
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_workers_flag_spawns_n_workers)
{
    fx_server_t s;
    fx_server_up(&s, 3);
    ck_assert_msg(fx_wait_workers(&s, 3, NULL, 0, 20), "--workers 3 did not give 3 children");
    pid_t pids[FX_MAX_WORKERS];
    ck_assert_int_eq(fx_worker_pids(&s, pids, FX_MAX_WORKERS), 3);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_version_flag)
{
    char out[4096];
    const char *args[] = {"--version", NULL};
    int st = run_capture(args, out, sizeof(out));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "--version status 0x%x: %s", st, out);
    ck_assert_msg(strncmp(out, "db version v7.0.", 16) == 0, "first line: %s", out);
}
END_TEST

START_TEST(test_bad_flag_exits_2)
{
    char out[4096];
    const char *args[] = {"--no-such-flag", NULL};
    int st = run_capture(args, out, sizeof(out));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x: %s", st, out);
    ck_assert_msg(strstr(out, "mongodb://") == NULL, "printed a URI: %s", out);
}
END_TEST

START_TEST(test_stdout_log_is_json_with_ready_line)
{
    fx_server_t s;
    fx_server_up(&s, 2);
    mongoc_client_t *c = fx_client(&s);
    bson_t reply;
    CMD_OK(c, "admin", "{'ping': 1}", &reply);
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    ck_assert_int_eq(WEXITSTATUS(fx_server_stop(&s)), 0);
    char *text = slurp(s.out_path);
    ck_assert_ptr_nonnull(text);
    int n = 0;
    int ready = check_log_lines(text, 1, "waiting for connections", &n);
    ck_assert_msg(n > 0, "no log lines after the URI on stdout");
    ck_assert_msg(ready >= 1,
                  "no \"Waiting for connections\" log line (test wrappers wait for it)");
    free(text);
    fx_server_cleanup(&s);
}
END_TEST

/* run_with_flags -- start a server with extra flags, ping it, stop it cleanly. */
static void
run_with_flags(fx_server_t *s, const char *const *extra)
{
    ck_assert_int_eq(fx_server_init(s, 2), 0);
    s->extra = extra;
    ck_assert_int_eq(fx_server_start(s), 0);
    mongoc_client_t *c = fx_client(s);
    bson_t reply;
    CMD_OK(c, "admin", "{'ping': 1}", &reply);
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    int st = fx_server_stop(s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
}

/* assert_only_uri_on_stdout -- with --logpath, stdout holds the URI line and nothing else. */
static void
assert_only_uri_on_stdout(const fx_server_t *s)
{
    char *out = slurp(s->out_path);
    ck_assert_ptr_nonnull(out);
    char *nl = strchr(out, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "stdout should hold only the URI line: %s", out);
    free(out);
}

START_TEST(test_logpath)
{
    fx_server_t s;
    char logpath[700];
    ck_assert_int_eq(fx_mkdtemp(logpath, sizeof(logpath), "sdb-log"), 0);
    char dir[700];
    snprintf(dir, sizeof(dir), "%s", logpath);
    strncat(logpath, "/server.log", sizeof(logpath) - strlen(logpath) - 1);
    const char *extra[] = {"--logpath", logpath, NULL};
    run_with_flags(&s, extra);
    assert_only_uri_on_stdout(&s);
    char *log = slurp(logpath);
    ck_assert_msg(log != NULL && log[0] == '{', "--logpath file missing or not JSON lines");
    int n = 0;
    int ready = check_log_lines(log, 0, "waiting for connections", &n);
    ck_assert_int_gt(n, 0);
    ck_assert_int_ge(ready, 1);
    free(log);
    fx_server_cleanup(&s);
    fx_rm_rf(dir);
}
END_TEST

START_TEST(test_quiet)
{
    fx_server_t s;
    char logpath[700];
    ck_assert_int_eq(fx_mkdtemp(logpath, sizeof(logpath), "sdb-log"), 0);
    char dir[700];
    snprintf(dir, sizeof(dir), "%s", logpath);
    strncat(logpath, "/server.log", sizeof(logpath) - strlen(logpath) - 1);
    const char *extra[] = {"--quiet", "--logpath", logpath, NULL};
    run_with_flags(&s, extra);
    assert_only_uri_on_stdout(&s);
    fx_server_cleanup(&s);
    fx_rm_rf(dir);
}
END_TEST

START_TEST(test_in_memory_dbpath)
{
    fx_server_t s;
    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    snprintf(s.dbpath, sizeof(s.dbpath), ":memory:");
    ck_assert_int_eq(fx_server_start(&s), 0);
    mongoc_client_t *c = fx_client(&s);
    bson_t reply;
    CMD_OK(c, "mem", "{'insert': 'c', 'documents': [{'_id': 1, 'x': 'y'}]}", &reply);
    ASSERT_INT(&reply, "n", 1);
    bson_destroy(&reply);
    CMD_OK(c, "mem", "{'find': 'c', 'filter': {'_id': 1}}", &reply);
    ASSERT_STR(&reply, "cursor.firstBatch.0.x", "y");
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    ck_assert_int_eq(WEXITSTATUS(fx_server_stop(&s)), 0);
    ck_assert_msg(access(":memory:", F_OK) != 0, "created a directory called :memory:");
    /* a restart of an in-memory server starts empty */
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    CMD_OK(c, "mem", "{'count': 'c'}", &reply);
    ASSERT_INT(&reply, "n", 0);
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_sigterm_clean_exit)
{
    fx_server_t s;
    fx_server_up(&s, 2);
    ck_assert(fx_wait_workers(&s, 2, NULL, 0, 20));
    pid_t workers[FX_MAX_WORKERS];
    int nw = fx_worker_pids(&s, workers, FX_MAX_WORKERS);
    mongoc_client_t *c = fx_client(&s);
    bson_t reply;
    CMD_OK(c, "t", "{'insert': 'c', 'documents': [{'_id': 1}]}", &reply);
    bson_destroy(&reply);
    int st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM exit status 0x%x", st);
    ck_assert_int_gt(nw, 0);
    for (int i = 0; i < nw; i++)
        ck_assert_msg(!fx_pid_alive(workers[i]), "worker %d outlived the master", (int)workers[i]);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_port_in_use_reported)
{
    fx_server_t a;
    fx_server_up(&a, 1);
    char port[16];
    snprintf(port, sizeof(port), "%d", a.port);
    char dbpath[700];
    snprintf(dbpath, sizeof(dbpath), "%s/other", a.tmpdir);
    mkdir(dbpath, 0700);
    const char *args[] = {"--port", port,        "--bind_ip", "127.0.0.1", "--dbpath",
                          dbpath,   "--workers", "1",         NULL};
    char out[65536];
    int st = run_capture(args, out, sizeof(out));
    ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 0),
                  "second server on a used port exited 0");
    ck_assert_msg(contains_ci(out, "address already in use"),
                  "no \"Address already in use\" in the output: %s", out);
    fx_server_cleanup(&a);
}
END_TEST

/* A command blocked for a minute (failCommand blockConnection) while SIGTERM arrives: the
 * worker wakes it, lets it finish (the client gets its reply) and exits on its own; the
 * master never has to kill it.
 * Under the sanitizer build the fixture also fails on any leak report at the worker's exit. */
static void *
blocked_ping(void *arg)
{
    bson_t r;
    bson_error_t e;
    bool ok = fx_cmd(arg, "admin", "{'ping': 1}", &r, &e);

    bson_destroy(&r);
    return ok ? arg : NULL; /* non-NULL: the ping was answered */
}

START_TEST(test_sigterm_drains_running_requests)
{
    fx_server_t s;
    pthread_t t;
    bson_t r;

    fx_server_up(&s, 1);
    mongoc_client_t *c = fx_client(&s);
    mongoc_client_t *d = fx_client(&s);
    CMD_OK(c, "admin",
           "{'configureFailPoint': 'failCommand', 'mode': 'alwaysOn', 'data': "
           "{'failCommands': ['ping'], 'blockConnection': true, 'blockTimeMS': 60000}}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_ping, d), 0);
    fx_sleep_ms(300);
    int st = fx_server_stop(&s);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
    void *answered = NULL;
    pthread_join(t, &answered);
    ck_assert_msg(answered != NULL, "the request running at SIGTERM was not answered");
    char *log = slurp(s.out_path);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "did not stop in time") == NULL, "a worker had to be killed");
    free(log);
    mongoc_client_destroy(d);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("startup");
    TCase *tc = it_tcase(s, "flags", false);
    tcase_add_test(tc, test_port0_prints_uri_and_serves);
    tcase_add_test(tc, test_workers_flag_spawns_n_workers);
    tcase_add_test(tc, test_version_flag);
    tcase_add_test(tc, test_bad_flag_exits_2);
    tcase_add_test(tc, test_stdout_log_is_json_with_ready_line);
    tcase_add_test(tc, test_logpath);
    tcase_add_test(tc, test_quiet);
    tcase_add_test(tc, test_in_memory_dbpath);
    tcase_add_test(tc, test_sigterm_clean_exit);
    tcase_add_test(tc, test_sigterm_drains_running_requests);
    tcase_add_test(tc, test_port_in_use_reported);
    return it_main(s);
}
