/*
 * tests/integration/it_hostile_conns.c -- start-up options that must not be ignored, and
 * connections and descriptors running out.
 *
 * --setParameter knows its names and bounds (an unknown name or a bad value exits 2 with
 * mongod's message), --keyFile is refused (exit 2: a single node has no member
 * authentication), a root user name without a password too, the
 * parameters' values show in getParameter, and enableTestCommands=0 removes the test-only
 * commands.  Each case starts its own server (or none, for the refusals).
 *
 * Connections: under a low RLIMIT_NOFILE (fx_server_t.nofile) with more connections opened
 * than the one worker can hold, every connection is either served or closed (never left
 * hanging), the server does not spin (its CPU time over a saturated second, median of
 * three, stays well under half a core), the log says so, and once connections close new
 * clients are served again.  With --maxConns N, connection N+1 is closed at once, logged,
 * and serverStatus connections reports current, available and rejected.
 */
#include "harness.h"

#include <math.h>

#include <poll.h>
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
    run_refused("--keyFile /dev/null", "--keyFile turns on internal (member) authentication");
    run_refused("--keyFile=/dev/null", "--keyFile turns on internal (member) authentication");
    run_refused("--initdbRootUsername root", "needs both a name and a password");
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
    /* getCmdLineOpts shows what was set, as text like mongod */
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ASSERT_STR(&r, "parsed.setParameter.cursorTimeoutMillis", "1234");
    ASSERT_STR(&r, "parsed.setParameter.enableTestCommands", "false");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* ping_raw -- 1 when a ping on raw socket fd is answered, 0 when the server closed it. */
static int
ping_raw(int fd)
{
    bson_t cmd, reply;
    int r;

    bson_init(&cmd);
    BSON_APPEND_INT32(&cmd, "ping", 1);
    BSON_APPEND_UTF8(&cmd, "$db", "admin");
    r = rw_roundtrip(fd, &cmd, &reply);
    bson_destroy(&cmd);
    if (r == 1)
        bson_destroy(&reply);
    ck_assert_msg(r == 0 || r == 1, "a connection neither answered nor closed (hang guard)");
    return r;
}

/* closed_unasked -- the server closes fd without being sent anything (read returns 0). */
static bool
closed_unasked(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    if (poll(&p, 1, RW_TIMEOUT_MS) != 1)
        return false;
    return read(fd, &c, 1) == 0;
}

/* server_cpu_ticks -- user + system clock ticks of the master and its workers. */
static long long
server_cpu_ticks(const fx_server_t *s)
{
    pid_t pids[FX_MAX_WORKERS + 1];
    int n = fx_worker_pids(s, pids, FX_MAX_WORKERS);
    double ms = 0;

    pids[n++] = s->pid;
    for (int i = 0; i < n; i++) {
        double one = fx_cpu_ms(pids[i]);
        if (one > 0)
            ms += one;
    }
    return llround(ms * (double)sysconf(_SC_CLK_TCK) / 1000.0);
}

/* log_has -- the server's captured stdout (its log) contains `needle`. */
static bool
log_has(const fx_server_t *s, const char *needle)
{
    FILE *f = fopen(s->out_path, "r");
    char line[8192];
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* status_conns -- serverStatus connections.<field> asked over raw socket fd. */
static int64_t
status_conns(int fd, const char *field)
{
    bson_t cmd, reply;
    char path[64];
    int64_t v;

    bson_init(&cmd);
    BSON_APPEND_INT32(&cmd, "serverStatus", 1);
    BSON_APPEND_UTF8(&cmd, "$db", "admin");
    ck_assert_int_eq(rw_roundtrip(fd, &cmd, &reply), 1);
    bson_destroy(&cmd);
    snprintf(path, sizeof(path), "connections.%s", field);
    ck_assert_msg(fx_has(&reply, path), "no %s in %s", path, fx_to_json(&reply));
    v = fx_int(&reply, path);
    bson_destroy(&reply);
    return v;
}

/* served_again -- poll (hang guard) until a new connection's ping is answered. */
static bool
served_again(const fx_server_t *s)
{
    for (int tries = 0; tries < 100; tries++) {
        int fd = rw_connect(s->host, s->port);
        int r = fd >= 0 ? ping_raw(fd) : 0;
        if (fd >= 0)
            close(fd);
        if (r == 1)
            return true;
        fx_sleep_ms(100);
    }
    return false;
}

#define FD_LIMIT 64 /* the server's RLIMIT_NOFILE: the cap is 51, one worker holds fewer */
#define FD_CONNS 90

/* one_worker -- the pid of the server's only worker. */
static pid_t
one_worker(const fx_server_t *s)
{
    pid_t pids[FX_MAX_WORKERS];

    ck_assert(fx_wait_workers(s, 1, NULL, 0, FX_START_TIMEOUT_S));
    ck_assert_int_eq(fx_worker_pids(s, pids, FX_MAX_WORKERS), 1);
    return pids[0];
}

/* median3 -- the median of three numbers. */
static long long
median3(long long a, long long b, long long c)
{
    if ((a <= b && b <= c) || (c <= b && b <= a))
        return b;
    if ((b <= a && a <= c) || (c <= a && a <= b))
        return a;
    return c;
}

START_TEST(test_descriptor_limit)
{
    fx_server_t s;
    int fds[FD_CONNS], served = 0, closed = 0, bystander = -1;
    long long ticks[3];
    long hz = sysconf(_SC_CLK_TCK);

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.nofile = FD_LIMIT;
    ck_assert_msg(fx_server_start(&s) == 0, "the server did not start under a low fd limit");
    pid_t worker = one_worker(&s);
    for (int i = 0; i < FD_CONNS; i++) {
        fds[i] = rw_connect(s.host, s.port);
        ck_assert_int_ge(fds[i], 0);
    }
    /* every connection is answered or closed; none hangs */
    for (int i = 0; i < FD_CONNS; i++) {
        if (ping_raw(fds[i]) == 1) {
            served++;
            if (bystander < 0)
                bystander = fds[i];
        } else {
            closed++;
            close(fds[i]);
            fds[i] = -1;
        }
    }
    ck_assert_msg(served >= 30 && closed >= 1, "served %d, closed %d", served, closed);
    ck_assert_msg(log_has(&s, "Error accepting new connection on local endpoint") &&
                      log_has(&s, "Too many open files"),
                  "no descriptor-limit line in the log");
    /* saturated: new clients keep coming and are closed, the server does not spin, and a
     * bystander connection on the same worker is answered */
    for (int w = 0; w < 3; w++) {
        long long t0 = server_cpu_ticks(&s);
        for (int k = 0; k < 5; k++) {
            int fd = rw_connect(s.host, s.port);
            ck_assert_int_ge(fd, 0);
            ck_assert_msg(closed_unasked(fd), "an excess connection was not closed");
            close(fd);
        }
        ck_assert_int_eq(ping_raw(bystander), 1);
        fx_sleep_ms(1000);
        ticks[w] = server_cpu_ticks(&s) - t0;
    }
    long long median = median3(ticks[0], ticks[1], ticks[2]);
    printf("descriptor limit: server CPU while saturated %lld of %ld ticks a second "
           "(median of 3)\n",
           median, hz);
    ck_assert_msg(median * 2 < hz, "the server used %lld of %ld ticks a second while saturated",
                  median, hz);
    /* descriptors free up: new clients are served again, by the same worker */
    for (int i = 0; i < FD_CONNS; i++)
        if (fds[i] >= 0 && fds[i] != bystander)
            close(fds[i]);
    ck_assert(served_again(&s));
    mongoc_client_t *cl = fx_client(&s);
    bson_t r;
    CMD_OK(cl, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(cl);
    ck_assert_int_eq(ping_raw(bystander), 1);
    ck_assert_int_eq(one_worker(&s), worker);
    /* the default cap is mongod's: 80 % of the descriptor limit */
    ck_assert_int_eq(status_conns(bystander, "current") + status_conns(bystander, "available"),
                     FD_LIMIT * 8 / 10);
    close(bystander);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_max_conns)
{
    static const char *const extra[] = {"--maxConns", "5", NULL};
    fx_server_t s;
    int fds[5];

    server_with(&s, extra);
    pid_t before[FX_MAX_WORKERS], after[FX_MAX_WORKERS];
    ck_assert(fx_wait_workers(&s, 2, NULL, 0, FX_START_TIMEOUT_S));
    ck_assert_int_eq(fx_worker_pids(&s, before, FX_MAX_WORKERS), 2);
    for (int i = 0; i < 5; i++) {
        fds[i] = rw_connect(s.host, s.port);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_int_eq(ping_raw(fds[i]), 1);
    }
    int extra_fd = rw_connect(s.host, s.port);
    ck_assert_int_ge(extra_fd, 0);
    ck_assert_msg(closed_unasked(extra_fd), "connection 6 of --maxConns 5 was not closed");
    close(extra_fd);
    ck_assert_int_eq(status_conns(fds[0], "current"), 5);
    ck_assert_int_eq(status_conns(fds[0], "available"), 0);
    ck_assert_int_ge(status_conns(fds[0], "rejected"), 1);
    ck_assert_int_ge(status_conns(fds[0], "totalCreated"), 5);
    /* active: connections with a request running (serverStatus itself, and a blocked ping) */
    ck_assert_int_eq(status_conns(fds[0], "active"), 1);
    bson_t *fp = fx_json("{'configureFailPoint': 'failCommand', 'mode': {'times': 1}, 'data': "
                         "{'failCommands': ['ping'], 'blockConnection': true, 'blockTimeMS': "
                         "3000}, '$db': 'admin'}");
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}"), reply;
    uint32_t len;
    ck_assert_int_eq(rw_roundtrip(fds[1], fp, &reply), 1);
    bson_destroy(&reply);
    uint8_t *msg = rw_opmsg(7, 0, ping, NULL, NULL, 0, &len);
    ck_assert_int_eq(rw_send(fds[2], msg, len), 0);
    free(msg);
    fx_sleep_ms(200); /* let the ping arrive and block (for 3 s: a hang guard, not a bound) */
    ck_assert_int_eq(status_conns(fds[0], "active"), 2);
    ck_assert_int_eq(rw_recv(fds[2], RW_TIMEOUT_MS, &msg, &len), 1);
    free(msg);
    bson_destroy(fp);
    bson_destroy(ping);
    ck_assert(log_has(&s, "Connection refused because there are too many open connections"));
    /* a place frees up: the next client is served */
    close(fds[4]);
    ck_assert(served_again(&s));
    ck_assert_int_eq(ping_raw(fds[0]), 1);
    ck_assert_int_eq(fx_worker_pids(&s, after, FX_MAX_WORKERS), 2);
    ck_assert(after[0] + after[1] == before[0] + before[1] &&
              (after[0] == before[0] || after[0] == before[1]));
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_max_conns_refused)
{
    run_refused("--maxConns 4", "BadValue: maxConns has to be at least 5");
}
END_TEST

START_TEST(test_cache_size)
{
    static const char *const two_gb[] = {"--wiredTigerCacheSizeGB", "2", NULL};
    fx_server_t s;
    bson_t r;

    /* default: mongod's rule from the memory limit hostInfo reports */
    server_with(&s, NULL);
    mongoc_client_t *c = fx_client(&s);
    CMD_OK(c, "admin", "{'hostInfo': 1}", &r);
    int64_t mem_mb = fx_int(&r, "system.memLimitMB");
    bson_destroy(&r);
    int64_t want_mb = (mem_mb - 1024) / 2 > 256 ? (mem_mb - 1024) / 2 : 256;
    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    ASSERT_TYPE(&r, "wiredTiger.cache.maximum bytes configured", BSON_TYPE_INT64);
    int64_t got = fx_int(&r, "wiredTiger.cache.maximum bytes configured");
    ck_assert_msg(got / (1024 * 1024) - want_mb <= 1 && want_mb - got / (1024 * 1024) <= 1,
                  "cache %lld bytes, want about %lld MB (memLimitMB %lld)", (long long)got,
                  (long long)want_mb, (long long)mem_mb);
    bson_destroy(&r);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);

    /* explicit: the flag reaches WiredTiger (the master's log) and serverStatus */
    server_with(&s, two_gb);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    ASSERT_INT(&r, "wiredTiger.cache.maximum bytes configured", 2048LL * 1024 * 1024);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'getCmdLineOpts': 1}", &r);
    ck_assert(fx_double(&r, "parsed.storage.wiredTiger.engineConfig.cacheSizeGB") == 2.0);
    ck_assert(!fx_has(&r, "parsed.setParameter"));
    ck_assert(!fx_has(&r, "parsed.net.maxIncomingConnections"));
    bson_destroy(&r);
    mongoc_client_destroy(c);
    ck_assert(log_has(&s, "cache_size=2048MB"));
    fx_server_cleanup(&s);
    run_refused("--wiredTigerCacheSizeGB 0.1", "--wiredTigerCacheSizeGB");
    run_refused("--wiredTigerCacheSizeGB 1x", "--wiredTigerCacheSizeGB");
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
    tcase_add_test(tc, test_max_conns_refused);
    tcase_add_test(tc, test_cache_size);
    tc = it_tcase(s, "connections", false);
    tcase_add_test(tc, test_descriptor_limit);
    tcase_add_test(tc, test_max_conns);
    return it_main(s);
}
