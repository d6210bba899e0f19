/*
 * tests/integration/it_config.c -- the YAML configuration file, getCmdLineOpts, and logging.
 *
 * Each test writes its YAML file into the server's temporary directory and starts its own
 * server: from the file alone (its port, dbPath and setParameter values are the ones in
 * force), or with the fixture's flags on top (a flag overrides its key: the file names a port
 * this test holds, so the server could not start if the file won).  Bad files (an unknown key,
 * a wrong type, a bad value, malformed YAML, an expansion directive) exit 2 with the key and
 * the line on stderr.  The logging part: logRotate by command and by SIGUSR1 (rename and
 * reopen), getLog's in-memory ring of every process, and logLevel changing what is logged at
 * once in every worker.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* write_file -- text into dir/name; the path goes to out. */
static void
write_file(const char *dir, const char *name, const char *text, char *out, size_t len)
{
    FILE *f;

    snprintf(out, len, "%s/%s", dir, name);
    f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* listen_any -- a listening socket on 127.0.0.1 and a free port; *port receives it. */
static int
listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* start_file_only -- start the binary with `-f file` and nothing else; the file must name
 * net.port `port` on 127.0.0.1.  s was set up by fx_server_init. */
static void
start_file_only(fx_server_t *s, const char *file, int port)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open(s->out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int err = open(s->err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        setpgid(0, 0);
        dup2(out, 1);
        dup2(err, 2);
        execl(fx_binary(), fx_binary(), "-f", file, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    s->pid = pid;
    s->port = port;
    snprintf(s->host, sizeof(s->host), "127.0.0.1");
    snprintf(s->uri, sizeof(s->uri), "mongodb://127.0.0.1:%d/", port);
}

/* run_bad -- the binary with `-f file` must exit 2 with every needle on stderr. */
static void
run_bad(const char *dir, const char *yaml, const char *needle1, const char *needle2)
{
    char file[600], err[600], cmd[1400], buf[4096];
    FILE *f;
    size_t n;
    int st;

    write_file(dir, "bad.yaml", yaml, file, sizeof(file));
    snprintf(err, sizeof(err), "%s/bad.err", dir);
    snprintf(cmd, sizeof(cmd), "'%s' -f '%s' >/dev/null 2>'%s'", fx_binary(), file, err);
    st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status 0x%x, want exit 2", yaml, st);
    f = fopen(err, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(buf, needle1) != NULL, "%s: want \"%s\" in stderr: %s", yaml, needle1,
                  buf);
    ck_assert_msg(needle2 == NULL || strstr(buf, needle2) != NULL, "%s: want \"%s\" in stderr: %s",
                  yaml, needle2, buf);
}

/* assert_keys -- the sub-document at path has exactly these keys, in this order. */
static void
assert_keys(const bson_t *doc, const char *path, const char *want)
{
    bson_t sub;
    bson_iter_t it;
    char got[512] = "";

    ck_assert(fx_sub(doc, path, &sub));
    bson_iter_init(&it, &sub);
    while (bson_iter_next(&it))
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", got[0] ? "," : "",
                 bson_iter_key(&it));
    ck_assert_msg(strcmp(got, want) == 0, "%s: keys %s, want %s", path, got, want);
}

START_TEST(test_file_alone)
{
    fx_server_t s;
    char yaml[2048], file[600], pid_path[600];
    mongoc_client_t *c;
    bson_t r;
    int port;
    struct stat st;

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    close(listen_any(&port)); /* a port free a moment ago */
    snprintf(pid_path, sizeof(pid_path), "%s/sdb.pid", s.tmpdir);
    snprintf(yaml, sizeof(yaml),
             "# as a packaged mongod.conf would say it\n"
             "net:\n"
             "  port: %d\n"
             "  bindIp: 127.0.0.1\n"
             "storage:\n"
             "  dbPath: %s\n"
             "  journal:\n"
             "    enabled: true\n"
             "processManagement:\n"
             "  pidFilePath: %s\n"
             "setParameter:\n"
             "  cursorTimeoutMillis: 4321\n"
             "  ttlMonitorSleepSecs: 7\n"
             "secantusdb:\n"
             "  workers: 1\n",
             port, s.dbpath, pid_path);
    write_file(s.tmpdir, "sdb.yaml", yaml, file, sizeof(file));
    start_file_only(&s, file, port);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{'getParameter': 1, 'cursorTimeoutMillis': 1, 'ttlMonitorSleepSecs': 1}",
           &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 4321);
    ASSERT_INT(&r, "ttlMonitorSleepSecs", 7);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ck_assert_int_eq(fx_array_len(&r, "argv"), 3);
    ASSERT_STR(&r, "argv.1", "-f");
    ASSERT_STR(&r, "argv.2", file);
    ASSERT_STR(&r, "parsed.config", file);
    ASSERT_INT(&r, "parsed.net.port", port);
    ASSERT_TYPE(&r, "parsed.net.port", BSON_TYPE_INT32);
    ASSERT_STR(&r, "parsed.net.bindIp", "127.0.0.1");
    ASSERT_STR(&r, "parsed.storage.dbPath", s.dbpath);
    ASSERT_STR(&r, "parsed.processManagement.pidFilePath", pid_path);
    ASSERT_STR(&r, "parsed.setParameter.cursorTimeoutMillis", "4321");
    ASSERT_INT(&r, "parsed.secantusdb.workers", 1);
    ck_assert(!fx_has(&r, "parsed.systemLog")); /* only what was given */
    assert_keys(&r, "parsed", "config,net,processManagement,secantusdb,setParameter,storage");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    ck_assert_int_eq(stat(pid_path, &st), 0);
    fx_server_stop(&s);
    ck_assert(WIFEXITED(s.last_status) && WEXITSTATUS(s.last_status) == 0);
    ck_assert_msg(stat(pid_path, &st) != 0, "the pid file outlived a clean exit");
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_flags_override_file)
{
    fx_server_t s;
    char yaml[1024], file[600];
    const char *extra[6];
    mongoc_client_t *c;
    bson_t r;
    int port, hold;

    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    hold = listen_any(&port); /* held: the server could not listen if the file's port won */
    snprintf(yaml, sizeof(yaml),
             "net:\n  port: %d\nstorage:\n  dbPath: /nonexistent/dir\n"
             "setParameter:\n  cursorTimeoutMillis: 1234\n  ttlMonitorSleepSecs: 5\n"
             "systemLog:\n  verbosity: 1\n",
             port);
    write_file(s.tmpdir, "sdb.yaml", yaml, file, sizeof(file));
    extra[0] = "--config";
    extra[1] = file;
    extra[2] = "--setParameter";
    extra[3] = "cursorTimeoutMillis=99";
    extra[4] = NULL;
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    ck_assert_int_ne(s.port, port);
    c = fx_client(&s);
    CMD_OK(c, "admin",
           "{'getParameter': 1, 'cursorTimeoutMillis': 1, 'ttlMonitorSleepSecs': 1, 'logLevel': 1}",
           &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 99); /* the flag */
    ASSERT_INT(&r, "ttlMonitorSleepSecs", 5);  /* the file */
    ASSERT_INT(&r, "logLevel", 1);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_INT(&r, "parsed.net.port", 0);
    ASSERT_STR(&r, "parsed.storage.dbPath", s.dbpath);
    ASSERT_STR(&r, "parsed.setParameter.cursorTimeoutMillis", "99");
    ASSERT_STR(&r, "parsed.setParameter.ttlMonitorSleepSecs", "5");
    ASSERT_INT(&r, "parsed.systemLog.verbosity", 1);
    ASSERT_STR(&r, "parsed.config", file);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    close(hold);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_respawn_keeps_config)
{
    fx_server_t s;
    char file[600];
    const char *extra[3];
    pid_t pids[FX_MAX_WORKERS];
    mongoc_client_t *c, *d;
    bson_t r;

    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    write_file(s.tmpdir, "sdb.yaml", "setParameter:\n  cursorTimeoutMillis: 777\n", file,
               sizeof(file));
    extra[0] = "-f";
    extra[1] = file;
    extra[2] = NULL;
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    /* the file goes away (or is edited); a worker crashes; its replacement runs with the
     * configuration the master read, which it was given, not with what is on disk now */
    ck_assert_int_eq(unlink(file), 0);
    ck_assert_int_eq(fx_worker_pids(&s, pids, FX_MAX_WORKERS), 2);
    ck_assert_int_eq(kill(pids[0], SIGKILL), 0);
    ck_assert(fx_wait_workers(&s, 2, pids, 1, 20));
    c = fx_client(&s);
    d = fx_client_other_worker(&s, c);
    CMD_OK(c, "admin", "{'getParameter': 1, 'cursorTimeoutMillis': 1}", &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 777);
    bson_destroy(&r);
    CMD_OK(d, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_STR(&r, "parsed.setParameter.cursorTimeoutMillis", "777");
    ASSERT_STR(&r, "parsed.config", file);
    ck_assert_msg(strstr(fx_to_json(&r), "configText") == NULL, "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(d, "admin", "{'getParameter': 1, 'cursorTimeoutMillis': 1}", &r);
    ASSERT_INT(&r, "cursorTimeoutMillis", 777);
    bson_destroy(&r);
    mongoc_client_destroy(d);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_bad_files)
{
    char dir[512];

    ck_assert_int_eq(fx_mkdtemp(dir, sizeof(dir), "sdb-cfg"), 0);
    run_bad(dir, "net:\n  port: 1\n  foo: 2\n", "Unrecognized option: net.foo", "line 3");
    run_bad(dir, "storage:\n  dbPath: /x\nsystemLog:\n  verbosity: loud\n",
            "\"systemLog.verbosity\" as int", "line 4");
    run_bad(dir, "net:\n  port: 99999\n", "net.port", "line 2");
    run_bad(dir, "net:\n  bindIpAll: maybe\n", "net.bindIpAll", "line 2");
    run_bad(dir, "systemLog:\n  logRotate: sideways\n", "systemLog.logRotate", "line 2");
    run_bad(dir, "net:\n  port: [1\nstorage: {}\n", "Error parsing YAML config file", "line 3");
    run_bad(dir, "net:\n  port:\n    __exec: 'echo 1'\n", "__exec", "line 3");
    run_bad(dir, "setParameter:\n  noSuchParameter: 1\n", "noSuchParameter", "line 2");
    run_bad(dir, "security:\n  keyFile: /dev/null\n", "security.keyFile", "line 2");
    run_bad(dir, "systemLog:\n  destination: syslog\n  path: /tmp/x.log\n",
            "Can only use systemLog.path if systemLog.destination is to a file", NULL);
    run_bad(dir, "systemLog:\n  destination: syslog\n  syslogFacility: nosuch\n",
            "syslogFacility must be set", NULL);
    fx_rm_rf(dir);
}
END_TEST

/* count_files -- files in dir whose name starts with prefix. */
static int
count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* file_has -- whether the file exists and contains needle. */
static bool
file_has(const char *path, const char *needle)
{
    char *buf;
    FILE *f = fopen(path, "r");
    long n;
    bool has;

    if (f == NULL)
        return false;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    n = (long)fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[n] = '\0';
    has = strstr(buf, needle) != NULL;
    free(buf);
    return has;
}

/* wait_file_has -- poll (a hang guard, not a timing assertion) until path contains needle. */
static bool
wait_file_has(const char *path, const char *needle)
{
    for (int i = 0; i < 500; i++) {
        if (file_has(path, needle))
            return true;
        fx_sleep_ms(10);
    }
    return false;
}

/* ping_both -- a ping on a connection of each worker, so both write their debug line. */
static void
ping_both(mongoc_client_t *a, mongoc_client_t *b)
{
    bson_t r;

    CMD_OK(a, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    CMD_OK(b, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
}

/* log_server -- a 2-worker server logging to <tmpdir>/sdb.log with extra flags. */
static void
log_server(fx_server_t *s, char *log, size_t len, const char *const *more)
{
    static const char *extra[8];
    int n = 0;

    ck_assert_int_eq(fx_server_init(s, 2), 0);
    snprintf(log, len, "%s/sdb.log", s->tmpdir);
    extra[n++] = "--logpath";
    extra[n++] = log;
    for (int i = 0; more != NULL && more[i] != NULL && n < 7; i++)
        extra[n++] = more[i];
    extra[n] = NULL;
    s->extra = extra;
}

START_TEST(test_log_rotate_rename)
{
    fx_server_t s;
    char log[700];
    mongoc_client_t *a, *b;
    bson_t r;

    log_server(&s, log, sizeof(log), NULL);
    write_file(s.tmpdir, "sdb.log", "an old line\n", log, sizeof(log)); /* no --logappend */
    ck_assert_int_eq(fx_server_start(&s), 0);
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 1); /* the old file, moved aside */
    ck_assert(!file_has(log, "an old line"));
    a = fx_client(&s);
    b = fx_client_other_worker(&s, a);
    CMD_OK(a, "admin", "{'setParameter': 1, 'logLevel': 2}", &r);
    bson_destroy(&r);

    /* by command: a new file, which both workers write to from their next line on */
    CMD_OK(a, "admin", "{'logRotate': 1}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 2);
    ck_assert(!file_has(log, "About to run the command"));
    ping_both(a, b);
    ck_assert(wait_file_has(log, "\"worker-0-"));
    ck_assert(wait_file_has(log, "\"worker-1-"));
    ck_assert(file_has(log, "About to run the command"));

    /* by SIGUSR1 to the master: again */
    ck_assert_int_eq(kill(s.pid, SIGUSR1), 0);
    for (int i = 0; i < 500 && count_files(s.tmpdir, "sdb.log.") < 3; i++)
        fx_sleep_ms(10);
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 3);
    ck_assert(wait_file_has(log, "Log rotation done"));
    ping_both(a, b);
    ck_assert(wait_file_has(log, "\"worker-0-"));
    ck_assert(wait_file_has(log, "\"worker-1-"));

    CMD_ERR(a, "admin", "{'logRotate': 'nosuchlog'}", &r, 4, "NoSuchKey");
    bson_destroy(&r);
    CMD_OK(a, "admin", "{'logRotate': 'server'}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 4);
    mongoc_client_destroy(b);
    mongoc_client_destroy(a);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_log_rotate_reopen)
{
    fx_server_t s;
    char log[700], moved[760];
    mongoc_client_t *a, *b;
    bson_t r;
    static const char *const more[] = {"--logRotate", "reopen", "--logappend", "-vv", NULL};

    log_server(&s, log, sizeof(log), more);
    write_file(s.tmpdir, "sdb.log", "an old line\n", log, sizeof(log));
    ck_assert_int_eq(fx_server_start(&s), 0);
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 0); /* --logappend: kept */
    a = fx_client(&s);
    b = fx_client_other_worker(&s, a);
    ping_both(a, b);
    ck_assert(wait_file_has(log, "About to run the command")); /* -vv: logLevel 2 */
    ck_assert(file_has(log, "an old line"));
    /* logrotate moves the file, then signals: the path is opened anew */
    snprintf(moved, sizeof(moved), "%s.moved", log);
    ck_assert_int_eq(rename(log, moved), 0);
    CMD_OK(a, "admin", "{'logRotate': 1}", &r);
    bson_destroy(&r);
    ping_both(a, b);
    ck_assert(wait_file_has(log, "\"worker-0-"));
    ck_assert(wait_file_has(log, "\"worker-1-"));
    ck_assert_int_eq(count_files(s.tmpdir, "sdb.log."), 1); /* only ours: nothing renamed */
    ck_assert(!file_has(log, "an old line"));
    mongoc_client_destroy(b);
    mongoc_client_destroy(a);
    fx_server_cleanup(&s);
}
END_TEST

/* log_count -- lines of getLog global containing needle. */
static int
log_count(mongoc_client_t *c, const char *needle, int64_t *total)
{
    bson_t r, log;
    bson_iter_t it;
    int n = 0;

    CMD_OK(c, "admin", "{'getLog': 'global'}", &r);
    ASSERT_TYPE(&r, "totalLinesWritten", BSON_TYPE_INT32);
    *total = fx_int(&r, "totalLinesWritten");
    ck_assert(fx_sub(&r, "log", &log));
    bson_iter_init(&it, &log);
    while (bson_iter_next(&it)) {
        ck_assert(BSON_ITER_HOLDS_UTF8(&it));
        n += strstr(bson_iter_utf8(&it, NULL), needle) != NULL;
    }
    bson_destroy(&r);
    return n;
}

START_TEST(test_get_log_and_log_level)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    bson_t r;
    int64_t total;
    int before;

    fx_server_up(&s, 2);
    a = fx_client(&s);
    b = fx_client_other_worker(&s, a);
    /* the master's start-up lines, from whichever worker answers */
    ck_assert_int_eq(log_count(a, "Waiting for connections", &total), 1);
    ck_assert_int_eq(log_count(b, "Waiting for connections", &total), 1);
    ck_assert_int_ge(total, 2);
    CMD_OK(a, "admin", "{'getLog': '*'}", &r);
    ASSERT_STR(&r, "names.0", "global");
    ASSERT_STR(&r, "names.1", "startupWarnings");
    bson_destroy(&r);
    CMD_ERR(a, "admin", "{'getLog': 'nosuch'}", &r, 96, "OperationFailed");
    bson_destroy(&r);

    /* logLevel 0: no debug lines; 2: every worker logs each command at once; 0 again: none */
    ping_both(a, b);
    ck_assert_int_eq(log_count(a, "About to run the command", &total), 0);
    CMD_OK(a, "admin", "{'setParameter': 1, 'logLevel': 2}", &r);
    ASSERT_INT(&r, "was", 0);
    bson_destroy(&r);
    ping_both(a, b);
    before = log_count(a, "About to run the command", &total);
    ck_assert_int_ge(before, 3); /* both pings and the getLog in between */
    ck_assert_int_ge(log_count(a, "\"worker-1-", &total) + log_count(a, "\"worker-0-", &total), 3);
    CMD_OK(b, "admin", "{'getParameter': 1, 'logLevel': 1}", &r);
    ASSERT_INT(&r, "logLevel", 2);
    bson_destroy(&r);
    CMD_OK(a, "admin", "{'setParameter': 1, 'logLevel': 0}", &r);
    bson_destroy(&r);
    before = log_count(a, "About to run the command", &total);
    ping_both(a, b);
    ck_assert_int_eq(log_count(a, "About to run the command", &total), before);

    /* a component's own verbosity beats logLevel; -1 inherits */
    CMD_OK(a, "admin",
           "{'setParameter': 1, 'logComponentVerbosity': {'command': {'verbosity': 2}, "
           "'storage': {'journal': {'verbosity': 1}}}}",
           &r);
    bson_destroy(&r);
    CMD_OK(b, "admin", "{'getParameter': 1, 'logComponentVerbosity': 1}", &r);
    ASSERT_INT(&r, "logComponentVerbosity.verbosity", 0);
    ASSERT_INT(&r, "logComponentVerbosity.command.verbosity", 2);
    ASSERT_INT(&r, "logComponentVerbosity.storage.verbosity", -1);
    ASSERT_INT(&r, "logComponentVerbosity.storage.journal.verbosity", 1);
    bson_destroy(&r);
    before = log_count(a, "About to run the command", &total);
    ping_both(a, b);
    ck_assert_int_ge(log_count(a, "About to run the command", &total), before + 3);
    CMD_ERR(a, "admin",
            "{'setParameter': 1, 'logComponentVerbosity': {'nosuch': {'verbosity': 1}}}", &r, 2,
            "BadValue");
    bson_destroy(&r);
    CMD_ERR(a, "admin", "{'setParameter': 1, 'logLevel': 6}", &r, 2, "BadValue");
    bson_destroy(&r);

    /* getParameter's details, as mongod shapes them */
    CMD_OK(a, "admin",
           "{'getParameter': {'showDetails': true}, 'logLevel': 1, 'cursorTimeoutMillis': 1}", &r);
    ASSERT_INT(&r, "logLevel.value", 0);
    ck_assert(fx_bool(&r, "logLevel.settableAtRuntime"));
    ck_assert(fx_bool(&r, "logLevel.settableAtStartup"));
    ck_assert(!fx_bool(&r, "cursorTimeoutMillis.settableAtRuntime"));
    bson_destroy(&r);
    CMD_OK(a, "admin", "{'getParameter': {'allParameters': true}}", &r);
    ASSERT_TYPE(&r, "quiet", BSON_TYPE_BOOL);
    ASSERT_TYPE(&r, "logComponentVerbosity", BSON_TYPE_DOCUMENT);
    bson_destroy(&r);
    CMD_ERR(a, "admin", "{'getParameter': {'nosuch': true}, 'logLevel': 1}", &r, 40415,
            "Location40415");
    bson_destroy(&r);
    mongoc_client_destroy(b);
    mongoc_client_destroy(a);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_fork)
{
    char dir[512], yaml[2048], file[600], pid_path[600], log[600], cmd[1400], out[600];
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;
    FILE *f;
    int port, st, pid = 0;

    ck_assert_int_eq(fx_mkdtemp(dir, sizeof(dir), "sdb-fork"), 0);
    close(listen_any(&port));
    snprintf(pid_path, sizeof(pid_path), "%s/sdb.pid", dir);
    snprintf(log, sizeof(log), "%s/sdb.log", dir);
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    snprintf(yaml, sizeof(yaml),
             "net: {port: %d, bindIp: 127.0.0.1}\nstorage: {dbPath: ':memory:'}\n"
             "systemLog: {destination: file, path: %s}\n"
             "processManagement: {fork: true, pidFilePath: %s}\nsecantusdb: {workers: 1}\n",
             port, log, pid_path);
    write_file(dir, "fork.yaml", yaml, file, sizeof(file));
    snprintf(cmd, sizeof(cmd), "'%s' -f '%s' >'%s' 2>&1", fx_binary(), file, out);
    st = system(cmd); /* returns once the background server serves */
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
    ck_assert(file_has(out, "forked process: "));
    ck_assert(file_has(out, "child process started successfully, parent exiting"));
    f = fopen(pid_path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
    fclose(f);
    ck_assert_int_gt(pid, 1);
    memset(&s, 0, sizeof(s));
    snprintf(s.uri, sizeof(s.uri), "mongodb://127.0.0.1:%d/", port);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ck_assert(fx_bool(&r, "parsed.processManagement.fork"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++)
        fx_sleep_ms(10);
    ck_assert_msg(kill(pid, 0) != 0, "the forked server outlived SIGTERM");
    ck_assert(!file_has(pid_path, ""));
    ck_assert(file_has(log, "Now exiting"));

    /* a child that cannot start (its dbPath is under a file): the parent exits with its code */
    snprintf(yaml, sizeof(yaml),
             "net: {port: %d}\nstorage: {dbPath: %s/db}\n"
             "systemLog: {path: %s}\nprocessManagement: {fork: true}\n",
             port, log, log);
    write_file(dir, "fork.yaml", yaml, file, sizeof(file));
    st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", st);
    fx_rm_rf(dir);
}
END_TEST

/* --syslog (systemLog.destination: syslog): the server starts, serves and shows the option,
 * and its log lines leave stdout (they go to syslog(3), which this test does not read: there
 * may be no syslog daemon in a container).  test_bad_files has the refusals (a path with
 * syslog, an unknown facility). */
START_TEST(test_syslog)
{
    static const char *const extra[] = {"--syslog", "--syslogFacility", "local3", NULL};
    mongoc_client_t *c;
    fx_server_t s;
    bson_t r;

    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_STR(&r, "parsed.systemLog.destination", "syslog");
    ASSERT_STR(&r, "parsed.systemLog.syslogFacility", "local3");
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getLog': 'global'}", &r); /* the lines exist, in the ring */
    ck_assert_int_gt(fx_array_len(&r, "log"), 0);
    bson_destroy(&r);
    ck_assert_msg(!file_has(s.out_path, "\"msg\""), "a log line on stdout despite --syslog");
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = it_tcase(s, "file", false);

    tcase_add_test(tc, test_file_alone);
    tcase_add_test(tc, test_flags_override_file);
    tcase_add_test(tc, test_respawn_keeps_config);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_log_rotate_rename);
    tcase_add_test(tc, test_log_rotate_reopen);
    tcase_add_test(tc, test_get_log_and_log_level);
    tcase_add_test(tc, test_fork);
    tcase_add_test(tc, test_syslog);
    return it_main(s);
}
