/*
 * tests/bench/bench_load.c -- `make bench`: start-up, idle memory and throughput, measured.
 *
 * One run reports: the start-up time of ./secantusdb (spawn to URI line, and spawn to the
 * first answered request on a fresh connection), its idle RSS (master + workers, from
 * /proc/<pid>/status), and ping / insertOne / find-by-_id throughput through libmongoc on 1
 * and 8 connections (one thread and one single-connection client each).  Beside each
 * figure it measures, in the same run, a bare loopback TCP echo server answering messages
 * of the same request and reply sizes on the same number of connections, and prints the
 * ratio server/echo with the goal.  The echo has the server's shape (one epoll loop per
 * server worker, see below) but its clients are raw sockets, not libmongoc: on a small
 * machine the driver's own CPU time (building and parsing BSON, poll before each recv) is
 * part of every server figure and of no echo figure, which caps the ratios well below 1 at
 * 8 connections even for a server that did no work.  Numbers are printed, never asserted.
 *
 * With --compare BASE it measures instead what one change costs: insertOne and insertMany
 * (1,000 documents of about 1 KB) throughput of BASE (e.g. a build of main before the change)
 * and of --server, alternately on fresh dbpaths for CMP_ROUNDS rounds, and prints medians,
 * spreads and the ratio of medians (make bench BENCH_FLAGS='--compare /path/to/secantusdb').
 *
 * Every loop is bounded by an operation count and a time cap; all traffic is on loopback.
 * Usage: bench_load [--server PATH] [--workers N] [--ops N] [--cap-ms N] [--compare BASE]
 */
#include <mongoc/mongoc.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 8

static const char *server_path = "./secantusdb";
static int workers = 0;
static long ops_per_run = 20000; /* per measurement, split over the threads */
static long cap_ms = 3000;       /* per measurement */

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the server under test ------------------------------------------------------------ */

static pid_t server_pid;
static char server_uri[512];
static char tmpdir[256];
static int server_port;

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void
stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    if (tmpdir[0] != '\0')
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int
io_all(int fd, void *buf, size_t len, bool wr)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* opmsg -- an OP_MSG with a kind-0 body; caller frees. */
static uint8_t *
opmsg(const bson_t *body, int32_t response_to, uint32_t *len)
{
    uint32_t total = 16 + 4 + 1 + body->len;
    uint8_t *m = calloc(1, total);
    int32_t h[5] = {(int32_t)total, 1, response_to, 2013, 0};
    memcpy(m, h, 20);
    memcpy(m + 21, bson_get_data(body), body->len);
    *len = total;
    return m;
}

/* roundtrip -- send msg and read one reply; returns the reply's size or -1. */
static int
roundtrip(int fd, const uint8_t *msg, uint32_t len)
{
    uint8_t hdr[16], buf[65536];
    if (io_all(fd, (void *)msg, len, true) != 0 || io_all(fd, hdr, 16, false) != 0)
        return -1;
    int32_t total;
    memcpy(&total, hdr, 4);
    if (total < 16)
        return -1;
    for (int32_t left = total - 16; left > 0;) {
        int32_t chunk = left < (int32_t)sizeof(buf) ? left : (int32_t)sizeof(buf);
        if (io_all(fd, buf, (size_t)chunk, false) != 0)
            return -1;
        left -= chunk;
    }
    return total;
}

static int
start_server(double *uri_ms, double *first_ms)
{
    char dbpath[300], nworkers[16];
    snprintf(tmpdir, sizeof(tmpdir), "%s/sdb-bench.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(dbpath, sizeof(dbpath), "%s/db", tmpdir);
    mkdir(dbpath, 0700);
    snprintf(nworkers, sizeof(nworkers), "%d", workers);
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pfd[1], 1);
        close(pfd[0]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        const char *argv[] = {server_path, "--port",   "0",    "--bind_ip",
                              "127.0.0.1", "--dbpath", dbpath, "--quiet",
                              "--workers", nworkers,   NULL};
        if (workers <= 0)
            argv[8] = NULL;
        execv(server_path, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    server_pid = pid;
    size_t used = 0;
    while (used < sizeof(server_uri) - 1) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        if (poll(&p, 1, 30000) <= 0)
            return -1;
        ssize_t n = read(pfd[0], server_uri + used, 1);
        if (n <= 0)
            return -1;
        if (server_uri[used] == '\n') {
            server_uri[used] = '\0';
            break;
        }
        used++;
    }
    *uri_ms = now_ms() - t0;
    /* keep draining stdout in the background: a thread-free trick, hand it to /dev/null */
    if (fork() == 0) {
        char sink[4096];
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        while (read(pfd[0], sink, sizeof(sink)) > 0) {
        }
        _exit(0);
    }
    close(pfd[0]);
    const char *colon = strrchr(server_uri, ':');
    server_port = colon != NULL ? (int)strtol(colon + 1, NULL, 10) : 0;
    int fd = tcp_connect(server_port);
    if (fd < 0)
        return -1;
    bson_t *hello = BCON_NEW("hello", BCON_INT32(1), "$db", BCON_UTF8("admin"));
    uint32_t len;
    uint8_t *m = opmsg(hello, 0, &len);
    int got = roundtrip(fd, m, len);
    *first_ms = now_ms() - t0;
    free(m);
    bson_destroy(hello);
    close(fd);
    return got > 0 ? 0 : -1;
}

/* direct_uri -- the URI as printed, plus directConnection for the driver. */
static void
direct_uri(void)
{
    char uri[600];
    snprintf(uri, sizeof(uri), "%s%sdirectConnection=true", server_uri,
             strchr(server_uri, '?') != NULL
                 ? "&"
                 : (server_uri[strlen(server_uri) - 1] == '/' ? "?" : "/?"));
    if (strlen(uri) < sizeof(server_uri))
        memcpy(server_uri, uri, strlen(uri) + 1);
}

/* ---- idle memory ----------------------------------------------------------------------- */

static long
rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* children_rss_kb -- RSS of the master's children (the workers); *n gets their count. */
static long
children_rss_kb(pid_t master, int *n)
{
    long total = 0;
    *n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], buf[512];
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t got = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[got] = '\0';
        char *rp = strrchr(buf, ')'), st;
        int ppid = 0;
        if (rp != NULL && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 && ppid == master &&
            st != 'Z') {
            total += rss_kb((pid_t)pid);
            (*n)++;
        }
    }
    if (d != NULL)
        closedir(d);
    return total;
}

/* ---- the bare loopback echo server ------------------------------------------------------ */
/* It answers each length-prefixed message with a message whose size is the request's
 * responseTo field: so request and reply sizes match the real server's.  It is built like
 * the server's workers, so the ratio compares servers of one shape: as many event-loop
 * threads as the server has worker processes, each polling (epoll) the one shared
 * non-blocking listening socket and its own connections; a readable connection gets one
 * read, every complete message in the buffer is answered with one send each.  What it does
 * not do is the server's work: no parsing, no command, no storage hop. */

#define ECHO_BUF (1 << 20)

static int echo_listen_fd;
static int echo_port;

typedef struct echo_conn {
    int fd;
    size_t len;
    uint8_t *buf;
} echo_conn_t;

/* echo_serve -- one read, then answer every complete message; -1 closes the connection. */
static int
echo_serve(echo_conn_t *c, uint8_t *out)
{
    ssize_t n = recv(c->fd, c->buf + c->len, ECHO_BUF - c->len, 0);
    size_t off = 0;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return -1;
    if (n > 0)
        c->len += (size_t)n;
    while (c->len - off >= 16) {
        int32_t hdr[4];
        memcpy(hdr, c->buf + off, 16);
        if (hdr[0] < 16 || hdr[0] > ECHO_BUF)
            return -1;
        if (c->len - off < (size_t)hdr[0])
            break;
        int32_t reply = hdr[2] >= 16 && hdr[2] <= ECHO_BUF ? hdr[2] : 16;
        memcpy(out, &reply, 4);
        if (io_all(c->fd, out, (size_t)reply, true) != 0)
            return -1;
        off += (size_t)hdr[0];
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static void *
echo_loop(void *arg)
{
    (void)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL}, evs[32];
    uint8_t *out = calloc(1, ECHO_BUF);
    epoll_ctl(ep, EPOLL_CTL_ADD, echo_listen_fd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 32, -1);
        for (int i = 0; i < n; i++) {
            echo_conn_t *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd = accept4(echo_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
                if (fd < 0)
                    continue;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = calloc(1, sizeof(*c));
                c->fd = fd;
                c->buf = malloc(ECHO_BUF);
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            } else if (echo_serve(c, out) != 0) {
                close(c->fd);
                free(c->buf);
                free(c);
            }
        }
    }
    return NULL;
}

static int
start_echo(int nthreads)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    echo_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (echo_listen_fd < 0 || bind(echo_listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(echo_listen_fd, 64) != 0 ||
        getsockname(echo_listen_fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    echo_port = ntohs(a.sin_port);
    for (int i = 0; i < (nthreads > 0 ? nthreads : 1); i++) {
        pthread_t t;
        pthread_create(&t, NULL, echo_loop, NULL);
        pthread_detach(t);
    }
    return 0;
}

/* ---- workloads --------------------------------------------------------------------------- */

typedef enum {
    OP_PING,
    OP_INSERT,
    OP_FIND
} op_t;
static const char *op_names[] = {"ping", "insertOne", "find _id"};
static const double op_goals[] = {0.9, 0.6, 0.7};

typedef struct job {
    op_t op;
    int thread;
    long ops;        /* to do */
    double deadline; /* now_ms() cap */
    long done;       /* done */
    long errors;
    bool echo;        /* run against the echo server */
    uint32_t req_len; /* echo: request size */
    uint32_t rep_len; /* echo: reply size */
} job_t;

static atomic_long next_insert_id;
#define FIND_DOCS 1000

static const char *payload = "secantusdb-bench-payload-0123456789abcdef";

static void *
run_server_job(void *arg)
{
    job_t *j = arg;
    mongoc_client_t *c = mongoc_client_new(server_uri);
    mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
    mongoc_collection_t *coll =
        mongoc_client_get_collection(c, "bench", j->op == OP_FIND ? "find" : "ins");
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bson_t *find_opts = BCON_NEW("limit", BCON_INT64(1), "singleBatch", BCON_BOOL(true));
    bson_error_t err;
    unsigned seed = (unsigned)j->thread * 7919u + 1;
    for (long i = 0; i < j->ops && (i & 63 || now_ms() < j->deadline); i++) {
        bool ok;
        if (j->op == OP_PING) {
            ok = mongoc_client_command_simple(c, "admin", ping, NULL, NULL, &err);
        } else if (j->op == OP_INSERT) {
            bson_t *doc = BCON_NEW("_id", BCON_INT64(atomic_fetch_add(&next_insert_id, 1)), "a",
                                   BCON_INT64(i), "s", BCON_UTF8(payload));
            ok = mongoc_collection_insert_one(coll, doc, NULL, NULL, &err);
            bson_destroy(doc);
        } else {
            seed = seed * 1103515245u + 12345u;
            bson_t *filter = BCON_NEW("_id", BCON_INT64((int64_t)((seed >> 8) % FIND_DOCS)));
            mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, find_opts, NULL);
            const bson_t *doc;
            ok = mongoc_cursor_next(cur, &doc) && !mongoc_cursor_error(cur, &err);
            mongoc_cursor_destroy(cur);
            bson_destroy(filter);
        }
        if (ok)
            j->done++;
        else
            j->errors++;
    }
    bson_destroy(ping);
    bson_destroy(find_opts);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
    return NULL;
}

static void *
run_echo_job(void *arg)
{
    job_t *j = arg;
    int fd = tcp_connect(echo_port);
    if (fd < 0) {
        j->errors++;
        return NULL;
    }
    uint8_t *msg = calloc(1, j->req_len);
    int32_t h[4] = {(int32_t)j->req_len, 1, (int32_t)j->rep_len, 2013};
    memcpy(msg, h, 16);
    for (long i = 0; i < j->ops && (i & 63 || now_ms() < j->deadline); i++) {
        if (roundtrip(fd, msg, j->req_len) > 0)
            j->done++;
        else
            j->errors++;
    }
    free(msg);
    close(fd);
    return NULL;
}

/* measure -- ops/s over `threads` connections. */
static double
measure(op_t op, int threads, bool echo, uint32_t req_len, uint32_t rep_len, long *errors)
{
    job_t jobs[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    double t0 = now_ms();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){.op = op,
                          .thread = i,
                          .ops = ops_per_run / threads,
                          .deadline = t0 + (double)cap_ms,
                          .echo = echo,
                          .req_len = req_len,
                          .rep_len = rep_len};
        pthread_create(&t[i], NULL, echo ? run_echo_job : run_server_job, &jobs[i]);
    }
    long done = 0;
    *errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        done += jobs[i].done;
        *errors += jobs[i].errors;
    }
    double secs = (now_ms() - t0) / 1e3;
    return secs > 0 ? (double)done / secs : 0;
}

/* wire_sizes -- request and reply sizes of one op, measured with a raw OP_MSG. */
static void
wire_sizes(op_t op, uint32_t *req, uint32_t *rep)
{
    bson_t *body;
    if (op == OP_PING)
        body = BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("admin"));
    else if (op == OP_INSERT)
        body = BCON_NEW("insert", BCON_UTF8("sizes"), "documents", "[", "{", "_id", BCON_INT64(-1),
                        "a", BCON_INT64(1), "s", BCON_UTF8(payload), "}", "]", "ordered",
                        BCON_BOOL(true), "$db", BCON_UTF8("bench"));
    else
        body =
            BCON_NEW("find", BCON_UTF8("find"), "filter", "{", "_id", BCON_INT64(1), "}", "limit",
                     BCON_INT64(1), "singleBatch", BCON_BOOL(true), "$db", BCON_UTF8("bench"));
    int fd = tcp_connect(server_port);
    uint32_t len;
    uint8_t *m = opmsg(body, 0, &len);
    int got = fd >= 0 ? roundtrip(fd, m, len) : -1;
    *req = len;
    *rep = got > 0 ? (uint32_t)got : len;
    free(m);
    bson_destroy(body);
    if (fd >= 0)
        close(fd);
}

static void
prefill(void)
{
    mongoc_client_t *c = mongoc_client_new(server_uri);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, "bench", "find");
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
    for (int i = 0; i < FIND_DOCS; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT64(i), "a", BCON_INT64(i), "s", BCON_UTF8(payload));
        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
    }
    bson_error_t err;
    if (!mongoc_bulk_operation_execute(bulk, NULL, &err))
        fprintf(stderr, "bench: prefill failed: %s\n", err.message);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}

/* ---- --compare: the same write load against two binaries, alternately -------------------- */

#define CMP_ROUNDS 7
#define CMP_DOC_BYTES 1000  /* the string that makes each document about 1 KB */
#define CMP_MANY_DOCS 1000  /* documents per insertMany */
#define CMP_ONE_OPS 3000    /* insertOne calls per figure (capped by cap_ms) */
#define CMP_MANY_BATCHES 20 /* insertMany calls per figure (capped by cap_ms) */

/* cmp_doc -- {_id, a, s: 1000 bytes}: about 1 KB. */
static bson_t *
cmp_doc(int64_t id, const char *big)
{
    return BCON_NEW("_id", BCON_INT64(id), "a", BCON_INT64(id), "s", BCON_UTF8(big));
}

/* cmp_load -- documents per second inserted by insertOne (many == false) or by insertMany of
 * CMP_MANY_DOCS documents, on one connection of the running server. */
static double
cmp_load(bool many, const char *big)
{
    mongoc_client_t *c = mongoc_client_new(server_uri);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, "bench", many ? "many" : "one");
    bson_t *docs[CMP_MANY_DOCS];
    bson_error_t err;
    long done = 0, calls = many ? CMP_MANY_BATCHES : CMP_ONE_OPS;
    int64_t id = 0;
    double t0 = now_ms();

    mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
    for (long i = 0; i < calls && now_ms() < t0 + (double)cap_ms; i++) {
        if (!many) {
            bson_t *d = cmp_doc(id++, big);
            done += mongoc_collection_insert_one(coll, d, NULL, NULL, &err) ? 1 : 0;
            bson_destroy(d);
            continue;
        }
        for (int k = 0; k < CMP_MANY_DOCS; k++)
            docs[k] = cmp_doc(id++, big);
        if (mongoc_collection_insert_many(coll, (const bson_t **)docs, CMP_MANY_DOCS, NULL, NULL,
                                          &err))
            done += CMP_MANY_DOCS;
        for (int k = 0; k < CMP_MANY_DOCS; k++)
            bson_destroy(docs[k]);
    }
    double secs = (now_ms() - t0) / 1e3;
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
    return secs > 0 ? (double)done / secs : 0;
}

static int
cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* cmp_median -- median of v[0..n) (sorts v). */
static double
cmp_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* compare_main -- each round starts each binary on a fresh dbpath (order alternating between
 * rounds) and measures insertOne and insertMany of 1 KB documents; prints medians, the spread
 * (min..max) and the ratio of medians, this binary over the base. */
static int
compare_main(const char *base)
{
    const char *bins[2] = {base, server_path};
    double one[2][CMP_ROUNDS], many[2][CMP_ROUNDS];
    char big[CMP_DOC_BYTES + 1];

    memset(big, 'x', CMP_DOC_BYTES);
    big[CMP_DOC_BYTES] = '\0';
    for (int r = 0; r < CMP_ROUNDS; r++) {
        for (int k = 0; k < 2; k++) {
            int b = (r % 2) ? 1 - k : k;
            double uri_ms, first_ms;
            server_path = bins[b];
            if (start_server(&uri_ms, &first_ms) != 0) {
                fprintf(stderr, "bench: could not start %s\n", bins[b]);
                stop_server();
                return 1;
            }
            direct_uri();
            one[b][r] = cmp_load(false, big);
            many[b][r] = cmp_load(true, big);
            stop_server();
        }
    }
    printf("door validation cost: %d rounds, 1 connection, documents of ~1 KB, workers %d\n",
           CMP_ROUNDS, workers);
    printf("%-32s %12s %22s\n", "load / binary", "median doc/s", "spread (min..max)");
    const char *loads[2] = {"insertOne", "insertMany (1000 docs)"};
    double med[2][2];
    for (int l = 0; l < 2; l++) {
        for (int b = 0; b < 2; b++) {
            double *v = l == 0 ? one[b] : many[b];
            med[l][b] = cmp_median(v, CMP_ROUNDS);
            printf("%-22s %-9s %12.0f %10.0f..%-10.0f\n", loads[l], b == 0 ? "base" : "this",
                   med[l][b], v[0], v[CMP_ROUNDS - 1]);
        }
        printf("%-22s ratio this/base: %.3f\n", loads[l],
               med[l][0] > 0 ? med[l][1] / med[l][0] : 0);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *compare = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            server_path = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops_per_run = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--cap-ms") == 0 && i + 1 < argc)
            cap_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--compare") == 0 && i + 1 < argc)
            compare = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--server PATH] [--workers N] [--ops N] [--cap-ms N] "
                    "[--compare BASE]\n",
                    argv[0]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    mongoc_init();
    if (compare != NULL) {
        int rc = compare_main(compare);
        mongoc_cleanup();
        return rc;
    }
    double uri_ms = 0, first_ms = 0;
    if (start_server(&uri_ms, &first_ms) != 0) {
        fprintf(stderr, "bench: could not start %s\n", server_path);
        stop_server();
        return 1;
    }
    direct_uri();

    usleep(300 * 1000); /* let the workers settle before reading RSS */
    int nworkers = 0;
    long master_kb = rss_kb(server_pid), workers_kb = children_rss_kb(server_pid, &nworkers);

    printf("secantusdb bench: %s, %d workers, %ld cores, %ld ops per figure (cap %ld ms)\n",
           server_path, nworkers, sysconf(_SC_NPROCESSORS_ONLN), ops_per_run, cap_ms);
    printf("start-up: URI printed after %.1f ms; first request answered after %.1f ms "
           "(goal <= 50 ms)\n",
           uri_ms, first_ms);
    printf("idle RSS: master %.1f MB + %d workers %.1f MB = %.1f MB (goal <= 30 MB)\n",
           master_kb / 1024.0, nworkers, workers_kb / 1024.0, (master_kb + workers_kb) / 1024.0);

    if (start_echo(nworkers) != 0) {
        fprintf(stderr, "bench: echo server failed\n");
        stop_server();
        return 1;
    }
    prefill();
    printf("%-10s %5s %8s %8s %12s %12s %7s %6s\n", "op", "conns", "req B", "reply B",
           "server op/s", "echo op/s", "ratio", "goal");
    static const int conns[] = {1, 8};
    for (int op = OP_PING; op <= OP_FIND; op++) {
        uint32_t req, rep;
        wire_sizes((op_t)op, &req, &rep);
        for (int k = 0; k < 2; k++) {
            long e1 = 0, e2 = 0;
            double srv = measure((op_t)op, conns[k], false, req, rep, &e1);
            double echo = measure((op_t)op, conns[k], true, req, rep, &e2);
            printf("%-10s %5d %8u %8u %12.0f %12.0f %7.2f %6.2f%s\n", op_names[op], conns[k], req,
                   rep, srv, echo, echo > 0 ? srv / echo : 0, op_goals[op],
                   e1 + e2 > 0 ? "  (errors!)" : "");
            if (e1 > 0)
                fprintf(stderr, "bench: %ld failed %s operations\n", e1, op_names[op]);
        }
    }
    fflush(stdout);
    stop_server();
    mongoc_cleanup();
    return 0;
}
