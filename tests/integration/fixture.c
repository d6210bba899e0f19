/*
 * tests/integration/fixture.c -- start, stop and inspect a real secantusdb for a test.
 *
 * The server runs as a child in its own process group (so kill -9 of "the whole server" is
 * one killpg), with PR_SET_PDEATHSIG so it never outlives the test process.  Its stdout
 * goes to a file that we poll for the first line (the URI); nothing needs draining, so a
 * chatty server can never block on a full pipe.  Worker pids are found by scanning
 * /proc/<pid>/stat for children of the master; the worker that owns a connection is found
 * through /proc/net/tcp and /proc/<pid>/fd socket inodes.  Only this process touches the
 * fx_server_t; every wait is a poll with a hang guard, never a timed assertion.
 */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
fx_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
fx_now_ms(void)
{
    return now_s() * 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void
fx_sort_doubles(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
}

void
fx_field_spread(const void *recs, size_t size, int n, size_t off, double *med, double *lo,
                double *hi)
{
    double *v = calloc((size_t)(n > 0 ? n : 1), sizeof(*v));

    for (int i = 0; i < n; i++)
        memcpy(&v[i], (const char *)recs + (size_t)i * size + off, sizeof(double));
    fx_sort_doubles(v, (size_t)n);
    *med = n > 0 ? v[n / 2] : 0;
    *lo = n > 0 ? v[0] : 0;
    *hi = n > 0 ? v[n - 1] : 0;
    free(v);
}

void
fx_print_spread(const fx_row_t *rows, size_t nrows, const void *recs, size_t size, int n)
{
    for (size_t i = 0; i < nrows; i++) {
        double med, lo, hi;
        fx_field_spread(recs, size, n, rows[i].off, &med, &lo, &hi);
        printf("  %-18s %10.3f  [%.3f .. %.3f]\n", rows[i].name, med, lo, hi);
    }
}

double
fx_cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    const char *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the fields after the command name */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

const char *
fx_binary(void)
{
    const char *b = getenv("SDB_BINARY");
    return (b != NULL && *b != '\0') ? b : "./secantusdb";
}

int
fx_mkdtemp(char *buf, size_t len, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    snprintf(buf, len, "%s/%s.XXXXXX", tmp, prefix);
    if (mkdtemp(buf) == NULL) {
        fprintf(stderr, "fixture: mkdtemp %s: %s\n", buf, strerror(errno));
        return -1;
    }
    return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void
fx_rm_rf(const char *path)
{
    if (path != NULL && *path != '\0')
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
fx_server_init(fx_server_t *s, int workers)
{
    memset(s, 0, sizeof(*s));
    if (fx_mkdtemp(s->tmpdir, sizeof(s->tmpdir), "sdb-it") != 0)
        return -1;
    snprintf(s->dbpath, sizeof(s->dbpath), "%s/db", s->tmpdir);
    snprintf(s->out_path, sizeof(s->out_path), "%s/stdout.log", s->tmpdir);
    snprintf(s->err_path, sizeof(s->err_path), "%s/stderr.log", s->tmpdir);
    if (mkdir(s->dbpath, 0700) != 0) {
        fprintf(stderr, "fixture: mkdir %s: %s\n", s->dbpath, strerror(errno));
        return -1;
    }
    s->workers = workers;
    return 0;
}

static off_t
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* read_line_at -- the first complete line of `path` starting at byte `off`, if any. */
static bool
read_line_at(const char *path, off_t off, char *line, size_t len)
{
    bool found = false;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    if (fseeko(f, off, SEEK_SET) == 0 && fgets(line, (int)len, f) != NULL) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n') {
            line[n - 1] = '\0';
            if (n > 1 && line[n - 2] == '\r')
                line[n - 2] = '\0';
            found = true;
        }
    }
    fclose(f);
    return found;
}

static void
dump_file(const char *label, const char *path)
{
    char buf[4096];
    off_t size = file_size(path);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    if (size > (off_t)sizeof(buf) * 2)
        fseeko(f, size - (off_t)sizeof(buf) * 2, SEEK_SET);
    fprintf(stderr, "---- server %s (%s, last 8 KiB) ----\n", label, path);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stderr);
    fprintf(stderr, "---- end of server %s ----\n", label);
    fclose(f);
}

void
fx_server_dump(const fx_server_t *s)
{
    dump_file("stdout", s->out_path);
    dump_file("stderr", s->err_path);
}

static int
parse_uri(fx_server_t *s)
{
    if (strncmp(s->uri, "mongodb://", 10) != 0) {
        fprintf(stderr, "fixture: first stdout line is not a mongodb:// URI: \"%s\"\n", s->uri);
        return -1;
    }
    bson_error_t err;
    mongoc_uri_t *u = mongoc_uri_new_with_error(s->uri, &err);
    if (u == NULL) {
        fprintf(stderr, "fixture: bad URI \"%s\": %s\n", s->uri, err.message);
        return -1;
    }
    const mongoc_host_list_t *h = mongoc_uri_get_hosts(u);
    if (h == NULL) {
        mongoc_uri_destroy(u);
        return -1;
    }
    snprintf(s->host, sizeof(s->host), "%s", h->host);
    s->port = h->port;
    mongoc_uri_destroy(u);
    if (s->port <= 0 || s->port > 65535) {
        fprintf(stderr, "fixture: URI \"%s\" has no usable port\n", s->uri);
        return -1;
    }
    return 0;
}

int
fx_server_start(fx_server_t *s)
{
    char workers[16];
    const char *argv[64];
    int argc = 0;
    off_t off = file_size(s->out_path);

    snprintf(workers, sizeof(workers), "%d", s->workers > 0 ? s->workers : 2);
    argv[argc++] = fx_binary();
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--bind_ip";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--dbpath";
    argv[argc++] = s->dbpath;
    argv[argc++] = "--workers";
    argv[argc++] = workers;
    for (int i = 0; s->extra != NULL && s->extra[i] != NULL && argc < 62; i++)
        argv[argc++] = s->extra[i];
    argv[argc] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fixture: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int out = open(s->out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int err = open(s->err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (out < 0 || err < 0)
            _exit(127);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        if (s->nofile > 0) {
            struct rlimit rl = {(rlim_t)s->nofile, (rlim_t)s->nofile};
            close(out);
            close(err);
            if (devnull >= 0)
                close(devnull);
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                _exit(127);
        }
        execv(argv[0], (char *const *)argv);
        dprintf(STDERR_FILENO, "fixture: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    s->pid = pid;

    double deadline = now_s() + FX_START_TIMEOUT_S;
    while (now_s() < deadline) {
        if (read_line_at(s->out_path, off, s->uri, sizeof(s->uri))) {
            if (parse_uri(s) != 0)
                return fx_server_dump(s), -1;
            /* The URI comes before the workers are spawned: let a test that counts worker
             * pids right after start see them all (a hang guard, never an assertion). */
            fx_wait_workers(s, s->workers > 0 ? s->workers : 2, NULL, 0, FX_START_TIMEOUT_S);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            s->last_status = status;
            fprintf(stderr, "fixture: %s exited before printing its URI (status 0x%x)\n", argv[0],
                    status);
            fx_server_dump(s);
            return -1;
        }
        fx_sleep_ms(5);
    }
    fprintf(stderr, "fixture: no URI line from %s within %d s\n", argv[0], FX_START_TIMEOUT_S);
    fx_server_dump(s);
    fx_server_kill9(s);
    return -1;
}

void
fx_server_up(fx_server_t *s, int workers)
{
    if (fx_server_init(s, workers) != 0 || fx_server_start(s) != 0) {
        fprintf(stderr, "fixture: could not start %s\n", fx_binary());
        fx_server_cleanup(s);
        abort();
    }
}

/* proc_stat -- state, ppid and pgrp of `pid` from /proc/<pid>/stat; false if gone. */
static bool
proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    int pp = 0, pg = 0;
    if (rp == NULL || sscanf(rp + 1, " %c %d %d", state, &pp, &pg) != 3)
        return false;
    *ppid = pp;
    *pgrp = pg;
    return true;
}

/* scan_procs -- pids whose ppid (by_pgrp false) or pgrp (true) equals `who`, live only. */
static int
scan_procs(pid_t who, bool by_pgrp, pid_t *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        char st;
        pid_t pp, pg;
        if (!proc_stat((pid_t)pid, &st, &pp, &pg) || st == 'Z' || st == 'X')
            continue;
        if ((by_pgrp ? pg : pp) == who && n < max)
            out[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

bool
fx_pid_alive(pid_t pid)
{
    char st;
    pid_t pp, pg;
    return proc_stat(pid, &st, &pp, &pg) && st != 'Z' && st != 'X';
}

int
fx_worker_pids(const fx_server_t *s, pid_t *out, int max)
{
    if (s->pid <= 0)
        return 0;
    return scan_procs(s->pid, false, out, max);
}

bool
fx_wait_workers(const fx_server_t *s, int n, const pid_t *exclude, int nex, int timeout_s)
{
    double deadline = now_s() + timeout_s;
    for (;;) {
        pid_t pids[FX_MAX_WORKERS];
        int got = fx_worker_pids(s, pids, FX_MAX_WORKERS), fresh = 0;
        for (int i = 0; i < got; i++) {
            bool old = false;
            for (int j = 0; j < nex; j++)
                old = old || pids[i] == exclude[j];
            fresh += !old;
        }
        if (got == n && fresh == n)
            return true;
        if (now_s() >= deadline)
            return false;
        fx_sleep_ms(10);
    }
}

static void
wait_group_gone(pid_t pgid, int timeout_s)
{
    double deadline = now_s() + timeout_s;
    pid_t left[8];
    while (scan_procs(pgid, true, left, 8) > 0 && now_s() < deadline)
        fx_sleep_ms(10);
}

int
fx_server_stop(fx_server_t *s)
{
    if (s->pid <= 0)
        return -1;
    pid_t pid = s->pid;
    int status = 0;
    kill(pid, SIGTERM);
    double deadline = now_s() + FX_STOP_TIMEOUT_S;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (now_s() >= deadline) {
            fprintf(stderr, "fixture: server %d ignored SIGTERM for %d s; SIGKILL\n", (int)pid,
                    FX_STOP_TIMEOUT_S);
            killpg(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        fx_sleep_ms(5);
    }
    wait_group_gone(pid, FX_STOP_TIMEOUT_S);
    s->pid = 0;
    s->last_status = status;
    return status;
}

void
fx_server_kill9(fx_server_t *s)
{
    if (s->pid <= 0)
        return;
    int status = 0;
    killpg(s->pid, SIGKILL);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    wait_group_gone(s->pid, FX_STOP_TIMEOUT_S);
    s->last_status = status;
    s->pid = 0;
}

/* sanitizer_findings -- copy any sanitizer report in the server's stderr to the file named by
 * $SDB_IT_REPORT (set by the harness), so the runner can fail even when the report came
 * from a server that a forked test or a teardown stopped. */
static void
sanitizer_findings(const fx_server_t *s)
{
    static const char *marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                  "runtime error:", "WARNING: ThreadSanitizer"};
    const char *report = getenv("SDB_IT_REPORT");
    FILE *in = fopen(s->err_path, "r");
    if (in == NULL)
        return;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), in) != NULL)
        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
            found = found || strstr(line, marks[i]) != NULL;
    if (found) {
        FILE *out = report != NULL ? fopen(report, "a") : NULL;
        fprintf(out != NULL ? out : stderr, "==== sanitizer report from %s (dbpath %s) ====\n",
                fx_binary(), s->dbpath);
        rewind(in);
        size_t n;
        char buf[4096];
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, n, out != NULL ? out : stderr);
        if (out != NULL)
            fclose(out);
    }
    fclose(in);
}

void
fx_server_cleanup(fx_server_t *s)
{
    if (s->pid > 0)
        fx_server_stop(s);
    sanitizer_findings(s);
    if (getenv("SDB_KEEP_TMP") == NULL)
        fx_rm_rf(s->tmpdir);
}

mongoc_client_t *
fx_client(const fx_server_t *s)
{
    bson_error_t err;
    mongoc_uri_t *u = mongoc_uri_new_with_error(s->uri, &err);
    if (u == NULL) {
        fprintf(stderr, "fixture: bad URI %s: %s\n", s->uri, err.message);
        abort();
    }
    mongoc_uri_set_option_as_bool(u, MONGOC_URI_DIRECTCONNECTION, true);
    mongoc_uri_set_option_as_int32(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 10000);
    mongoc_uri_set_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, 10000);
    mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, 60000);
    mongoc_uri_set_option_as_bool(u, MONGOC_URI_SERVERSELECTIONTRYONCE, false);
    mongoc_uri_set_appname(u, "secantusdb-it");
    mongoc_client_t *c = mongoc_client_new_from_uri(u);
    mongoc_uri_destroy(u);
    if (c == NULL) {
        fprintf(stderr, "fixture: mongoc_client_new_from_uri failed for %s\n", s->uri);
        abort();
    }
    mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
    return c;
}

mongoc_client_t *
fx_client_as(const fx_server_t *s, const char *user, const char *pwd, const char *source,
             const char *mech)
{
    char uri[1024];
    mongoc_client_t *c;

    if (user != NULL)
        snprintf(uri, sizeof(uri),
                 "mongodb://%s:%s@%s:%d/?authSource=%s%s%s&directConnection=true&"
                 "serverSelectionTryOnce=false&serverSelectionTimeoutMS=10000",
                 user, pwd, s->host, s->port, source, mech ? "&authMechanism=" : "",
                 mech ? mech : "");
    else
        snprintf(uri, sizeof(uri), "mongodb://%s:%d/?directConnection=true", s->host, s->port);
    c = mongoc_client_new(uri);
    if (c == NULL) {
        fprintf(stderr, "fixture: bad URI %s\n", uri);
        abort();
    }
    mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
    return c;
}

mongoc_client_t *
fx_tls_client(const fx_server_t *s, const char *ca, const char *pem, const char *userinfo,
              const char *opts)
{
    char uri[2048];
    mongoc_ssl_opt_t ssl = *mongoc_ssl_opt_get_default();
    mongoc_client_t *c;

    snprintf(uri, sizeof(uri),
             "mongodb://%slocalhost:%d/?directConnection=true&tls=true&tlsCAFile=%s%s", userinfo,
             s->port, ca, opts);
    c = mongoc_client_new(uri);
    if (c == NULL) {
        fprintf(stderr, "fixture: bad URI %s\n", uri);
        abort();
    }
    mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
    ssl.ca_file = ca;
    ssl.pem_file = pem;
    mongoc_client_set_ssl_opts(c, &ssl);
    return c;
}

/* ---- sockets: which connection is which -------------------------------------------- */

typedef struct tcp_ent {
    unsigned lport, rport, st;
    unsigned long inode;
} tcp_ent_t;

static int
read_tcp(tcp_ent_t *out, int max)
{
    static const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        char line[512];
        if (f == NULL)
            continue;
        if (fgets(line, sizeof(line), f) == NULL) {
            fclose(f);
            continue;
        }
        while (n < max && fgets(line, sizeof(line), f) != NULL) {
            tcp_ent_t e;
            if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %*s %*s %*s %*d %*d %lu",
                       &e.lport, &e.rport, &e.st, &e.inode) == 4)
                out[n++] = e;
        }
        fclose(f);
    }
    return n;
}

/* pid_has_inode -- does process `pid` hold a socket with this inode? */
static bool
pid_has_inode(pid_t pid, unsigned long inode)
{
    char dir[64], want[64], link[PATH_MAX], target[128];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof(want), "socket:[%lu]", inode);
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, want) == 0;
        }
    }
    closedir(d);
    return found;
}

#define MAX_TCP 4096

/* own_ports -- local ports of this process's established connections to the server. */
static int
own_ports(const fx_server_t *s, int *ports, int max)
{
    static tcp_ent_t ents[MAX_TCP];
    int n = read_tcp(ents, MAX_TCP), k = 0;
    for (int i = 0; i < n && k < max; i++)
        if (ents[i].rport == (unsigned)s->port && ents[i].st == 1 &&
            pid_has_inode(getpid(), ents[i].inode))
            ports[k++] = (int)ents[i].lport;
    return k;
}

int
fx_client_local_port(const fx_server_t *s, mongoc_client_t *c)
{
    int before[256], after[256];
    int nb = own_ports(s, before, 256);
    bson_t reply;
    bson_error_t err;
    fx_cmd(c, "admin", "{'ping': 1}", &reply, &err);
    bson_destroy(&reply);
    int na = own_ports(s, after, 256), found = 0, count = 0;
    for (int i = 0; i < na; i++) {
        bool old = false;
        for (int j = 0; j < nb; j++)
            old = old || after[i] == before[j];
        if (!old) {
            found = after[i];
            count++;
        }
    }
    return count == 1 ? found : 0;
}

pid_t
fx_conn_owner(const fx_server_t *s, int client_port)
{
    static tcp_ent_t ents[MAX_TCP];
    int n = read_tcp(ents, MAX_TCP);
    pid_t procs[FX_MAX_WORKERS + 1];
    int np = fx_worker_pids(s, procs, FX_MAX_WORKERS);
    procs[np++] = s->pid;
    for (int i = 0; i < n; i++) {
        if (ents[i].lport != (unsigned)s->port || ents[i].rport != (unsigned)client_port)
            continue;
        for (int j = 0; j < np; j++)
            if (pid_has_inode(procs[j], ents[i].inode))
                return procs[j];
    }
    return 0;
}

mongoc_client_t *
fx_client_other_worker(const fx_server_t *s, mongoc_client_t *a)
{
    int pa = fx_client_local_port(s, a);
    pid_t wa = pa > 0 ? fx_conn_owner(s, pa) : 0;
    for (int tries = 0; tries < 40; tries++) {
        mongoc_client_t *b = fx_client(s);
        int pb = fx_client_local_port(s, b);
        pid_t wb = pb > 0 ? fx_conn_owner(s, pb) : 0;
        if (wa == 0 || wb == 0 || wb != wa)
            return b;
        mongoc_client_destroy(b);
    }
    fprintf(stderr, "note: every connection landed on worker %d\n", (int)wa);
    return fx_client(s);
}

/* ---- commands and replies ------------------------------------------------------------ */

bson_t *
fx_json(const char *json)
{
    size_t n = strlen(json);
    char *buf = bson_malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        buf[i] = json[i] == '\'' ? '"' : json[i];
    bson_error_t err;
    bson_t *b = bson_new_from_json((const uint8_t *)buf, (ssize_t)n, &err);
    if (b == NULL) {
        fprintf(stderr, "fixture: bad test JSON: %s: %s\n", err.message, buf);
        abort();
    }
    bson_free(buf);
    return b;
}

bool
fx_cmd_bson(mongoc_client_t *c, const char *db, const bson_t *cmd, bson_t *reply, bson_error_t *err)
{
    bson_t r;
    bool ok = mongoc_client_command_simple(c, db, cmd, NULL, &r, err);
    bson_copy_to(&r, reply);
    bson_destroy(&r);
    if (!ok && bson_empty(reply))
        return false;
    return fx_bool(reply, "ok");
}

void
fx_append_lsid(bson_t *cmd, uint8_t tag)
{
    uint8_t id[16];
    bson_t lsid;

    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(tag * 31 + i);
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* a version 4 UUID */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    BSON_APPEND_DOCUMENT_BEGIN(cmd, "lsid", &lsid);
    BSON_APPEND_BINARY(&lsid, "id", BSON_SUBTYPE_UUID, id, sizeof(id));
    bson_append_document_end(cmd, &lsid);
}

bool
fx_cmd(mongoc_client_t *c, const char *db, const char *json, bson_t *reply, bson_error_t *err)
{
    bson_t *cmd = fx_json(json);
    bool ok = fx_cmd_bson(c, db, cmd, reply, err);
    bson_destroy(cmd);
    return ok;
}

void
fx_drop(mongoc_client_t *c, const char *db, const char *coll)
{
    char *cmd = bson_strdup_printf("{'drop': '%s'}", coll);
    bson_t r;

    fx_cmd(c, db, cmd, &r, NULL); /* NamespaceNotFound is fine */
    bson_destroy(&r);
    bson_free(cmd);
}

int64_t
fx_count(mongoc_client_t *c, const char *db, const char *coll, const char *filter)
{
    char json[1024];
    bson_t r;
    bson_error_t e;
    int64_t n = -1;

    snprintf(json, sizeof(json), "{'count': '%s', 'query': %s}", coll, filter);
    if (fx_cmd(c, db, json, &r, &e))
        n = fx_int(&r, "n");
    bson_destroy(&r);
    return n;
}

static bool
find_path(const bson_t *doc, const char *path, bson_iter_t *it)
{
    bson_iter_t top;
    if (doc == NULL || !bson_iter_init(&top, doc))
        return false;
    return bson_iter_find_descendant(&top, path, it);
}

bool
fx_has(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find_path(doc, path, &it);
}

bson_type_t
fx_type(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find_path(doc, path, &it) ? bson_iter_type(&it) : BSON_TYPE_EOD;
}

int64_t
fx_int(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    if (!find_path(doc, path, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
        return 0;
    return bson_iter_as_int64(&it);
}

double
fx_double(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    if (!find_path(doc, path, &it))
        return 0;
    switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
        return bson_iter_double(&it);
    case BSON_TYPE_INT32:
        return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
        return (double)bson_iter_int64(&it);
    default:
        return 0;
    }
}

const char *
fx_str(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    if (!find_path(doc, path, &it) || !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

bool
fx_bool(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    if (!find_path(doc, path, &it))
        return false;
    if (BSON_ITER_HOLDS_BOOL(&it))
        return bson_iter_bool(&it);
    if (BSON_ITER_HOLDS_NUMBER(&it))
        return bson_iter_as_int64(&it) != 0 || fx_double(doc, path) != 0;
    return false;
}

bool
fx_sub(const bson_t *doc, const char *path, bson_t *out)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    if (!find_path(doc, path, &it))
        return false;
    if (BSON_ITER_HOLDS_DOCUMENT(&it))
        bson_iter_document(&it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(&it))
        bson_iter_array(&it, &len, &data);
    else
        return false;
    return bson_init_static(out, data, len);
}

int
fx_array_len(const bson_t *doc, const char *path)
{
    bson_t sub;
    bson_iter_t it;
    int n = 0;
    if (!fx_sub(doc, path, &sub) || !bson_iter_init(&it, &sub))
        return -1;
    while (bson_iter_next(&it))
        n++;
    return n;
}

bool
fx_eq_json(const bson_t *doc, const char *json)
{
    bson_t *want = fx_json(json);
    bool eq = doc != NULL && doc->len == want->len &&
              memcmp(bson_get_data(doc), bson_get_data(want), doc->len) == 0;
    bson_destroy(want);
    return eq;
}

const char *
fx_to_json(const bson_t *doc)
{
    static char buf[2048];
    if (doc == NULL)
        return "(null)";
    char *j = bson_as_relaxed_extended_json(doc, NULL);
    snprintf(buf, sizeof(buf), "%s", j != NULL ? j : "(invalid BSON)");
    if (j != NULL && strlen(j) >= sizeof(buf))
        memcpy(buf + sizeof(buf) - 5, "...", 4);
    bson_free(j);
    return buf;
}

int
fx_load(mongoc_client_t *c, const char *db, const char *coll, long n,
        void (*fill)(bson_t *doc, long id, long n, void *arg), void *arg)
{
    for (long done = 0; done < n;) {
        bson_t cmd = BSON_INITIALIZER, docs, reply;
        bson_error_t err;
        long batch = n - done < 1000 ? n - done : 1000;
        bool ok;

        BSON_APPEND_UTF8(&cmd, "insert", coll);
        BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
        for (long i = 0; i < batch; i++) {
            char key[16];
            bson_t d;

            snprintf(key, sizeof(key), "%ld", i);
            BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
            BSON_APPEND_INT64(&d, "_id", done + i);
            fill(&d, done + i, n, arg);
            bson_append_document_end(&docs, &d);
        }
        bson_append_array_end(&cmd, &docs);
        ok = fx_cmd_bson(c, db, &cmd, &reply, &err);
        bson_destroy(&cmd);
        bson_destroy(&reply);
        if (!ok) {
            fprintf(stderr, "fx_load: insert into %s.%s failed: %s\n", db, coll, err.message);
            return -1;
        }
        done += batch;
    }
    return 0;
}

double
fx_drain_ms(mongoc_client_t *c, const char *db, const char *coll, const char *pipeline, long *count)
{
    mongoc_collection_t *cl = mongoc_client_get_collection(c, db, coll);
    bson_t *filter = bson_new(), *pl = NULL;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    bson_error_t err;
    double t0 = fx_now_ms(), ms;

    *count = 0;
    if (pipeline != NULL) {
        pl = fx_json(pipeline);
        cur = mongoc_collection_aggregate(cl, MONGOC_QUERY_NONE, pl, NULL, NULL);
    } else {
        cur = mongoc_collection_find_with_opts(cl, filter, NULL, NULL);
    }
    while (mongoc_cursor_next(cur, &doc))
        (*count)++;
    ms = fx_now_ms() - t0;
    if (mongoc_cursor_error(cur, &err)) {
        fprintf(stderr, "fx_drain_ms: %s\n", err.message);
        ms = -1;
    }
    mongoc_cursor_destroy(cur);
    if (pl != NULL)
        bson_destroy(pl);
    bson_destroy(filter);
    mongoc_collection_destroy(cl);
    return ms;
}

double
fx_median_ms(mongoc_client_t *c, const char *db, const char *coll, const char *pipeline, int rounds,
             long *count)
{
    double t[16];

    if (rounds < 1 || rounds > 16)
        return -1;
    for (int r = 0; r < rounds; r++)
        if ((t[r] = fx_drain_ms(c, db, coll, pipeline, count)) < 0)
            return -1;
    fx_sort_doubles(t, (size_t)rounds);
    return t[rounds / 2];
}
