/*
 * tests/integration/it_hostile_cursors.c -- cursors and a full disk run out cleanly (issue 7).
 *
 * Cursor memory: 200 idle sorted cursors (batchSize 2, no getMore yet) over a 20 MB
 * collection keep the master's RSS under its documented cursor cap above a baseline taken
 * before them (each spool is 20 MB: a heap spool held 4 GB); then every cursor read to the end
 * returns every document in sort order, and the spool tables are gone.  An ASan build runs 20
 * cursors and does not judge RSS (its quarantine keeps freed memory resident).  killCursors
 * drops spool tables, and a restart after kill -9 sweeps the ones left behind.  With
 * cursorTimeoutMillis=1000 idle cursors (streaming, heap and table spools) expire, answer 43
 * CursorNotFound and count in metrics.cursor.timedOut; a noCursorTimeout one stays.
 *
 * Disk full (root only, skipped with a reason otherwise): a 64 MB tmpfs is the dbpath, with a
 * filler file beside the data.  Inserts run until one fails with 14031 OutOfDiskSpace; reads
 * still answer, the master and workers keep their pids and a bystander pings; removing the
 * filler lets writes succeed again; a start on the disk filled to the last byte exits non-zero
 * before printing its URI, with the reason in its log.  The runner mounts the tmpfs and
 * unmounts it after the test, whatever the test did.  Each test starts its own server (it
 * reads the master's /proc entry, kills it or fills its disk).
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NDOCS 20000
#define PAD 1000 /* ~1 KB documents: a 20 MB collection */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define NCURSORS 20 /* ASan runs the same path ten times slower; its RSS is not comparable */
#else
#define NCURSORS 200
#endif
#define SPOOL_HEAP_CAP_MB 64 /* README: the master's in-heap cursor cap */
#define RSS_SLACK_MB 48      /* allocator and channel buffers, WiredTiger metadata */
#define POLL_S 15            /* hang guard of the polls below */

static const char *const small_cache[] = {"--wiredTigerCacheSizeGB", "0.25", NULL};

/* master_rss_kb -- VmRSS of the master process. */
static long
master_rss_kb(const fx_server_t *s)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    ck_assert_int_gt(kb, 0);
    return kb;
}

/* spool_files -- spool tables holding data (over 1 MiB) in the dbpath; the master also keeps
 * a few empty ones created ahead. */
static int
spool_files(const fx_server_t *s)
{
    DIR *d = opendir(s->dbpath);
    struct dirent *e;
    struct stat st;
    char path[1024];
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", s->dbpath, e->d_name);
        n += strncmp(e->d_name, "spool-", 6) == 0 && stat(path, &st) == 0 &&
             st.st_size > 1024 * 1024;
    }
    closedir(d);
    return n;
}

/* wait_spool_files -- poll until the dbpath holds `n` spool files; returns the last count. */
static int
wait_spool_files(const fx_server_t *s, int n)
{
    int got = -1;

    for (int i = 0; i < POLL_S * 10 && (got = spool_files(s)) != n; i++)
        fx_sleep_ms(100);
    return got;
}

/* fill -- n (a multiple of 1000) documents {_id: i, k: a permutation of 0..n-1, pad}. */
static void
fill(mongoc_client_t *c, int n)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(c, "hc", "big");
    char pad[PAD + 1];
    bson_error_t e;

    for (int base = 0; base < n; base += 1000) {
        bson_t *docs[1000];
        for (int i = 0; i < 1000; i++) {
            int id = base + i;
            memset(pad, 'a' + id % 26, PAD);
            pad[PAD] = '\0';
            docs[i] = BCON_NEW("_id", BCON_INT32(id), "k", BCON_INT32((id * 7919) % n), "pad",
                               BCON_UTF8(pad));
        }
        ck_assert_msg(
            mongoc_collection_insert_many(coll, (const bson_t **)docs, 1000, NULL, NULL, &e),
            "insert: %s", e.message);
        for (int i = 0; i < 1000; i++)
            bson_destroy(docs[i]);
    }
    mongoc_collection_destroy(coll);
}

/* open_sorted -- a sorted find with batchSize 2: its cursor id (the rest is spooled). */
static int64_t
open_sorted(mongoc_client_t *c)
{
    bson_t reply;

    CMD_OK(c, "hc", "{\"find\": \"big\", \"sort\": {\"k\": 1}, \"batchSize\": 2}", &reply);
    ASSERT_INT(&reply, "cursor.firstBatch.0.k", 0);
    ASSERT_INT(&reply, "cursor.firstBatch.1.k", 1);
    int64_t id = fx_int(&reply, "cursor.id");
    ck_assert_int_ne(id, 0);
    bson_destroy(&reply);
    return id;
}

/* drain -- getMore until the cursor ends; every document must be the next k in order, up to
 * n in all. */
static void
drain(mongoc_client_t *c, int64_t id, int n)
{
    int64_t want = 2;

    while (id != 0) {
        bson_t *cmd = BCON_NEW("getMore", BCON_INT64(id), "collection", BCON_UTF8("big"));
        bson_t reply, batch;
        bson_iter_t it, d;
        bson_error_t e;

        ck_assert_msg(fx_cmd_bson(c, "hc", cmd, &reply, &e), "getMore: %s %s", e.message,
                      fx_to_json(&reply));
        ck_assert(fx_sub(&reply, "cursor.nextBatch", &batch));
        ck_assert(bson_iter_init(&it, &batch));
        while (bson_iter_next(&it)) {
            ck_assert(bson_iter_recurse(&it, &d) && bson_iter_find(&d, "k"));
            ck_assert_int_eq(bson_iter_as_int64(&d), want);
            want++;
        }
        id = fx_int(&reply, "cursor.id");
        bson_destroy(&batch);
        bson_destroy(&reply);
        bson_destroy(cmd);
    }
    ck_assert_int_eq(want, n);
}

/* metric -- serverStatus metrics.cursor.<path>. */
static int64_t
metric(mongoc_client_t *c, const char *path)
{
    char full[128];
    bson_t reply;

    CMD_OK(c, "admin", "{\"serverStatus\": 1}", &reply);
    snprintf(full, sizeof(full), "metrics.cursor.%s", path);
    ck_assert_msg(fx_has(&reply, full), "no %s in serverStatus", full);
    int64_t v = fx_int(&reply, full);
    bson_destroy(&reply);
    return v;
}

START_TEST(test_cursor_memory)
{
    static int64_t ids[NCURSORS];
    fx_server_t s;
    mongoc_client_t *c;
    bson_t reply;
    char kill[128];
    long base_kb, idle_kb;

    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    s.extra = small_cache;
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    fill(c, NDOCS);
    /* Warm-up: one spool made and killed, so channel buffers count in the baseline. */
    snprintf(kill, sizeof(kill),
             "{\"killCursors\": \"big\", \"cursors\": [{\"$numberLong\": \"%lld\"}]}",
             (long long)open_sorted(c));
    CMD_OK(c, "hc", kill, &reply);
    bson_destroy(&reply);
    fx_sleep_ms(1500);
    base_kb = master_rss_kb(&s);
    int64_t t0 = bson_get_monotonic_time();
    for (int i = 0; i < NCURSORS; i++)
        ids[i] = open_sorted(c);
    printf("open: %lld ms\n", (long long)(bson_get_monotonic_time() - t0) / 1000);
    idle_kb = master_rss_kb(&s);
    printf("master RSS: baseline %ld MB, with %d idle 20 MB spools %ld MB (cap %d MB)\n",
           base_kb / 1024, NCURSORS, idle_kb / 1024, SPOOL_HEAP_CAP_MB);
#ifdef SANITIZED
    printf("not asserting the RSS bound: ASan keeps freed memory resident (quarantine)\n");
#else
    ck_assert_msg(idle_kb < base_kb + (SPOOL_HEAP_CAP_MB + RSS_SLACK_MB) * 1024,
                  "master RSS grew from %ld to %ld kB", base_kb, idle_kb);
#endif
    ck_assert_int_eq(metric(c, "open.total"), NCURSORS);
    ck_assert_int_eq(spool_files(&s), NCURSORS);
    t0 = bson_get_monotonic_time();
    for (int i = 0; i < NCURSORS; i++)
        drain(c, ids[i], NDOCS);
    printf("drain: %lld ms\n", (long long)(bson_get_monotonic_time() - t0) / 1000);
    ck_assert_int_eq(metric(c, "open.total"), 0);
    ck_assert_int_eq(wait_spool_files(&s, 0), 0);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

START_TEST(test_kill_and_crash_drop_spools)
{
    fx_server_t s;
    mongoc_client_t *c;
    bson_t reply;
    char kill[256];
    int64_t a, b;

    fx_server_up(&s, 2);
    c = fx_client(&s);
    fill(c, NDOCS);
    a = open_sorted(c);
    b = open_sorted(c);
    ck_assert_int_eq(spool_files(&s), 2);
    ck_assert_int_eq(metric(c, "open.total"), 2);
    snprintf(kill, sizeof(kill),
             "{\"killCursors\": \"big\", \"cursors\": [{\"$numberLong\": \"%lld\"}]}",
             (long long)a);
    CMD_OK(c, "hc", kill, &reply);
    ASSERT_INT(&reply, "cursorsKilled.0", a);
    bson_destroy(&reply);
    ck_assert_int_eq(wait_spool_files(&s, 1), 1);
    ck_assert_int_eq(metric(c, "open.total"), 1);
    /* The killed cursor is gone, the other one still reads to the end. */
    snprintf(kill, sizeof(kill),
             "{\"getMore\": {\"$numberLong\": \"%lld\"}, \"collection\": \"big\"}", (long long)a);
    CMD_ERR(c, "hc", kill, &reply, 43, "CursorNotFound");
    bson_destroy(&reply);
    drain(c, b, NDOCS);
    ck_assert_int_eq(wait_spool_files(&s, 0), 0);

    /* A crash leaves spools behind; the next start drops them. */
    open_sorted(c);
    ck_assert_int_eq(spool_files(&s), 1);
    mongoc_client_destroy(c);
    fx_server_kill9(&s);
    ck_assert_int_eq(spool_files(&s), 1);
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    CMD_OK(c, "admin", "{\"ping\": 1}", &reply);
    bson_destroy(&reply);
    ck_assert_int_eq(wait_spool_files(&s, 0), 0);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* getmore_code -- 0 when a getMore on id succeeds, else its error code. */
static int64_t
getmore_code(mongoc_client_t *c, int64_t id)
{
    bson_t *cmd = BCON_NEW("getMore", BCON_INT64(id), "collection", BCON_UTF8("big"));
    bson_t reply;
    bson_error_t e;
    int64_t code = fx_cmd_bson(c, "hc", cmd, &reply, &e) ? 0 : fx_int(&reply, "code");

    bson_destroy(&reply);
    bson_destroy(cmd);
    return code;
}

START_TEST(test_cursor_timeout)
{
    static const char *const extra[] = {"--setParameter", "cursorTimeoutMillis=1000", NULL};
    int64_t stream, spool, heap, keep;
    mongoc_client_t *c;
    fx_server_t s;
    bson_t reply;

    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    c = fx_client(&s);
    fill(c, 2000); /* 2 MB: a sorted cursor's spool goes to a table */
    CMD_OK(c, "hc", "{\"find\": \"big\", \"batchSize\": 2}", &reply);
    stream = fx_int(&reply, "cursor.id");
    bson_destroy(&reply);
    spool = open_sorted(c);
    CMD_OK(c, "hc", "{\"find\": \"big\", \"sort\": {\"k\": 1}, \"limit\": 5, \"batchSize\": 2}",
           &reply);
    heap = fx_int(&reply, "cursor.id"); /* 3 small documents left: a heap spool */
    bson_destroy(&reply);
    CMD_OK(c, "hc",
           "{\"find\": \"big\", \"sort\": {\"k\": 1}, \"batchSize\": 2, \"noCursorTimeout\": true}",
           &reply);
    keep = fx_int(&reply, "cursor.id");
    bson_destroy(&reply);
    ck_assert(stream != 0 && heap != 0 && keep != 0);
    ck_assert_int_eq(metric(c, "open.total"), 4);
    ck_assert_int_eq(metric(c, "open.noTimeout"), 1);
    ck_assert_int_eq(metric(c, "open.pinned"), 0);
    ck_assert_int_eq(metric(c, "timedOut"), 0);
    ck_assert_int_eq(spool_files(&s), 2);

    for (int i = 0; i < POLL_S * 10 && metric(c, "timedOut") < 3; i++)
        fx_sleep_ms(100);
    ck_assert_int_eq(metric(c, "timedOut"), 3);
    ck_assert_int_eq(metric(c, "open.total"), 1);
    ck_assert_int_eq(getmore_code(c, stream), 43);
    ck_assert_int_eq(getmore_code(c, spool), 43);
    ck_assert_int_eq(getmore_code(c, heap), 43);
    ck_assert_int_eq(wait_spool_files(&s, 1), 1); /* the timed-out spool's table is dropped */
    drain(c, keep, 2000);                         /* noCursorTimeout: still there */
    ck_assert_int_eq(metric(c, "open.total"), 0);
    ck_assert_int_eq(metric(c, "open.noTimeout"), 0);
    ck_assert_int_eq(wait_spool_files(&s, 0), 0);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

/* ---- disk full ------------------------------------------------------------------------- */

#define DISK_MB 64
#define FILLER_MB 8
#define BATCH_DOCS 64
#define DOC_BYTES 4000

static char disk_dir[512];
static bool disk_mounted;

/* disk_up -- unchecked fixture (runner process): mount the small tmpfs when root. */
static void
disk_up(void)
{
    char opts[32];

    if (geteuid() != 0 || fx_mkdtemp(disk_dir, sizeof(disk_dir), "sdb-fulldisk") != 0)
        return;
    snprintf(opts, sizeof(opts), "size=%dm", DISK_MB);
    disk_mounted = mount("tmpfs", disk_dir, "tmpfs", 0, opts) == 0;
    if (!disk_mounted)
        fprintf(stderr, "mount tmpfs on %s: %s\n", disk_dir, strerror(errno));
}

/* disk_down -- unchecked fixture: unmount (the test's server may take a moment to die). */
static void
disk_down(void)
{
    if (disk_mounted) {
        for (int i = 0; i < POLL_S * 10 && umount(disk_dir) != 0; i++)
            fx_sleep_ms(100);
        if (umount2(disk_dir, MNT_DETACH) != 0 && errno != EINVAL)
            fprintf(stderr, "umount %s: %s\n", disk_dir, strerror(errno));
    }
    if (disk_dir[0] != '\0')
        rmdir(disk_dir);
}

/* write_filler -- a file of `mb` MiB (mb < 0: until the disk is full); bytes written. */
static int64_t
write_filler(const char *path, int mb)
{
    static char block[1024 * 1024];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int64_t total = 0;
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    memset(block, 'f', sizeof(block));
    for (int i = 0; mb < 0 || i < mb; i++) {
        size_t want = sizeof(block);
        while (want > 0 && (n = write(fd, block, want)) > 0) {
            want -= (size_t)n;
            total += n;
        }
        if (want > 0)
            break;
    }
    if (mb < 0) /* the last bytes, below one block */
        while ((n = write(fd, block, 4096)) > 0 || (n < 0 && errno == EINTR))
            total += n > 0 ? n : 0;
    close(fd);
    return total;
}

/* insert_batch -- insert BATCH_DOCS 4 KB documents; 0 or the error code of the reply. */
static int64_t
insert_batch(mongoc_client_t *c, int batch)
{
    static uint8_t pad[DOC_BYTES];
    bson_t cmd = BSON_INITIALIZER, docs, reply;
    bson_error_t e;
    int64_t code = 0;

    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = (uint8_t)((i * 2654435761u + (unsigned)batch * 40503u) >> 13);
    BSON_APPEND_UTF8(&cmd, "insert", "fill");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < BATCH_DOCS; i++) {
        char key[16];
        bson_t d;
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_DOCUMENT_BEGIN(&docs, key, &d);
        BSON_APPEND_INT32(&d, "_id", batch * BATCH_DOCS + i);
        BSON_APPEND_BINARY(&d, "pad", BSON_SUBTYPE_BINARY, pad, sizeof(pad));
        bson_append_document_end(&docs, &d);
    }
    bson_append_array_end(&cmd, &docs);
    if (!fx_cmd_bson(c, "hc", &cmd, &reply, &e))
        code = fx_has(&reply, "code") ? fx_int(&reply, "code") : -1;
    else if (fx_has(&reply, "writeErrors"))
        code = fx_int(&reply, "writeErrors.0.code");
    if (code == 14031)
        printf("full disk answers: %s\n", fx_to_json(&reply));
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return code;
}

/* fill_until_refused -- insert batches until one fails; returns its code and the batches
 * that went in. */
static int64_t
fill_until_refused(mongoc_client_t *c, int *batches)
{
    int64_t code = 0;

    while (*batches < DISK_MB * 1024 * 1024 / (BATCH_DOCS * DOC_BYTES) &&
           (code = insert_batch(c, *batches)) == 0)
        (*batches)++;
    return code;
}

/* count_fill -- documents in hc.fill (a read). */
static int64_t
count_fill(mongoc_client_t *c)
{
    bson_t reply;

    CMD_OK(c, "hc", "{\"count\": \"fill\"}", &reply);
    int64_t n = fx_int(&reply, "n");
    bson_destroy(&reply);
    return n;
}

/* file_has -- the file contains `needle`. */
static bool
file_has(const char *path, const char *needle)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, needle) != NULL;
}

START_TEST(test_disk_full)
{
    char filler[700], full[700], logpath[700];
    pid_t workers[2], after[2];
    mongoc_client_t *c, *by;
    int batches = 0, refused_at;
    fx_server_t s;
    bson_t reply;

    if (geteuid() != 0) {
        printf("SKIP test_disk_full: mounting a small tmpfs as the dbpath needs root\n");
        return;
    }
    ck_assert_msg(disk_mounted, "the tmpfs could not be mounted (see above)");
    ck_assert_int_eq(fx_server_init(&s, 2), 0);
    snprintf(s.dbpath, sizeof(s.dbpath), "%s/db", disk_dir);
    snprintf(filler, sizeof(filler), "%s/filler", disk_dir);
    snprintf(full, sizeof(full), "%s/filler-all", disk_dir);
    ck_assert_int_eq(fx_server_start(&s), 0);
    pid_t master = s.pid;
    ck_assert(fx_wait_workers(&s, 2, NULL, 0, POLL_S));
    ck_assert_int_eq(fx_worker_pids(&s, workers, 2), 2);
    c = fx_client(&s);
    by = fx_client(&s);
    ck_assert_int_eq(write_filler(filler, FILLER_MB), FILLER_MB * 1024 * 1024);

    ck_assert_int_eq(fill_until_refused(c, &batches), 14031);
    refused_at = batches;
    printf("disk full after %d batches of %d KB\n", batches, BATCH_DOCS * DOC_BYTES / 1024);
    ck_assert_int_gt(batches, 0);
    ck_assert_int_eq(count_fill(c), (int64_t)batches * BATCH_DOCS); /* reads still work */
    CMD_OK(by, "admin", "{\"ping\": 1}", &reply);
    bson_destroy(&reply);
    ck_assert_int_eq(insert_batch(c, batches), 14031); /* still full: still refused */
    ck_assert_int_eq(s.pid, master);
    ck_assert(fx_pid_alive(master));
    ck_assert_int_eq(fx_worker_pids(&s, after, 2), 2);
    ck_assert(after[0] + after[1] == workers[0] + workers[1]);

    /* Space returns: writes work again. */
    ck_assert_int_eq(unlink(filler), 0);
    ck_assert_int_eq(insert_batch(c, batches), 0);
    batches++;
    ck_assert_int_eq(count_fill(c), (int64_t)batches * BATCH_DOCS);
    ck_assert_int_eq(fill_until_refused(c, &batches), 14031);
    ck_assert_int_gt(batches, refused_at);
    CMD_OK(by, "admin", "{\"ping\": 1}", &reply);
    bson_destroy(&reply);
    mongoc_client_destroy(c);
    mongoc_client_destroy(by);
    ck_assert_int_eq(fx_server_stop(&s), 0); /* a clean exit: the guard left room to close */

    /* A start on a disk filled to the last byte refuses, before its URI, saying why. */
    write_filler(full, -1);
    snprintf(logpath, sizeof(logpath), "%s/full-start.log", s.tmpdir);
    snprintf(s.out_path, sizeof(s.out_path), "%s/full-start.out", s.tmpdir);
    const char *const extra[] = {"--logpath", logpath, NULL};
    s.extra = extra;
    ck_assert_int_ne(fx_server_start(&s), 0);
    ck_assert(WIFEXITED(s.last_status) && WEXITSTATUS(s.last_status) != 0);
    ck_assert_msg(file_has(logpath, "available disk space of"), "no reason in the log");
    ck_assert(!file_has(s.out_path, "mongodb://"));
    unlink(full);
    fx_server_cleanup(&s);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("hostile_cursors");
    TCase *tc = it_tcase(s, "memory", false);

    tcase_set_timeout(tc, 900); /* hang guard: 200 sorts of 20 MB on a small, busy machine */
    tcase_add_test(tc, test_cursor_memory);
    tc = it_tcase(s, "spools", false);
    tcase_add_test(tc, test_kill_and_crash_drop_spools);
    tcase_add_test(tc, test_cursor_timeout);
    tc = it_tcase(s, "disk", false);
    tcase_add_unchecked_fixture(tc, disk_up, disk_down);
    tcase_add_test(tc, test_disk_full);
    return s;
}

int
main(void)
{
    return it_main(suite());
}
