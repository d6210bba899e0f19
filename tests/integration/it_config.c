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
    run_bad(dir, "systemLog:\n  destination: syslog\n", "syslog", "line 2");
    fx_rm_rf(dir);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = it_tcase(s, "file", false);

    tcase_add_test(tc, test_file_alone);
    tcase_add_test(tc, test_flags_override_file);
    tcase_add_test(tc, test_bad_files);
    return it_main(s);
}
