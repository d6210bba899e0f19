/*
 * tests/bench/bench_ixbuild.c -- `make bench-ixbuild`: an index build against a bare
 * WiredTiger bulk load of the same keys, in the same run.
 *
 * Loads N documents {_id, a: a permutation of 0..N-1} into a server (one worker) and times
 * createIndexes {a: 1} over them (the build of src/master/ixbuild.c: snapshot batches, entry
 * writes, the side-table replay and the catalog write).  Then, in this process, derives the
 * same entries (sdb_keyenc_keys of the same documents + the encoded record id), sorts them
 * and bulk-loads them into a fresh WiredTiger table through a bulk cursor: the floor no
 * build can beat.  Prints both times and their ratio, best of ROUNDS each; numbers are
 * printed, never asserted.  Usage: bench_ixbuild [--docs N]
 */
#include "../../src/common/keyenc.h"
#include "../integration/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wiredtiger.h>

#define ROUNDS 3

static const char *const quiet[] = {"--quiet", NULL};

typedef struct entries {
    sdb_keybuf_t *e;
    size_t n;
    int64_t rid;
} entries_t;

static void
fill(bson_t *d, long id, long n, void *arg)
{
    (void)arg;
    BSON_APPEND_INT64(d, "a", (id * 7919) % n);
}

/* server_build -- ms for createIndexes a_1 (dropped again after). */
static double
server_build(mongoc_client_t *c)
{
    bson_error_t err;
    bson_t r;
    double t0 = fx_now_ms(), t;

    if (!fx_cmd(c, "bench",
                "{'createIndexes': 'ix', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'}]}", &r,
                &err)) {
        fprintf(stderr, "bench_ixbuild: createIndexes: %s\n", err.message);
        exit(1);
    }
    t = fx_now_ms() - t0;
    bson_destroy(&r);
    fx_cmd(c, "bench", "{'dropIndexes': 'ix', 'index': 'a_1'}", &r, &err);
    bson_destroy(&r);
    return t;
}

static int
add_key(const uint8_t *key, size_t len, void *ctx)
{
    entries_t *es = ctx;
    sdb_keybuf_t *kb = &es->e[es->n++];

    sdb_keybuf_init(kb);
    kb->data = bson_malloc(len + 8);
    kb->cap = len + 8;
    memcpy(kb->data, key, len);
    kb->len = len;
    sdb_keyenc_rid(kb, es->rid);
    return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
    const sdb_keybuf_t *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->data, y->data, m);

    return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

/* bare_bulk -- ms to derive, sort and bulk-load the same n entries into a new table. */
static double
bare_bulk(WT_CONNECTION *conn, long n, int round)
{
    entries_t es = {bson_malloc0((size_t)n * sizeof(sdb_keybuf_t)), 0, 0};
    bson_t *pattern = BCON_NEW("a", BCON_INT32(1));
    WT_SESSION *s;
    WT_CURSOR *cur;
    WT_ITEM k, v = {0};
    char uri[64];
    double t0 = fx_now_ms(), t;

    for (long id = 0; id < n; id++) {
        bson_t *d = BCON_NEW("_id", BCON_INT64(id), "a", BCON_INT64((id * 7919) % n));
        es.rid = id + 1;
        sdb_keyenc_keys(d, pattern, add_key, &es, NULL, NULL);
        bson_destroy(d);
    }
    qsort(es.e, es.n, sizeof(*es.e), entry_cmp);
    snprintf(uri, sizeof(uri), "table:bulk-%d", round);
    conn->open_session(conn, NULL, NULL, &s);
    s->create(s, uri, "key_format=u,value_format=u");
    s->open_cursor(s, uri, NULL, "bulk", &cur);
    for (size_t i = 0; i < es.n; i++) {
        k.data = es.e[i].data;
        k.size = es.e[i].len;
        cur->set_key(cur, &k);
        cur->set_value(cur, &v);
        if (cur->insert(cur) != 0) {
            fprintf(stderr, "bench_ixbuild: bulk insert failed\n");
            exit(1);
        }
    }
    cur->close(cur);
    t = fx_now_ms() - t0;
    s->close(s, NULL);
    for (size_t i = 0; i < es.n; i++)
        sdb_keybuf_free(&es.e[i]);
    bson_free(es.e);
    bson_destroy(pattern);
    return t;
}

int
main(int argc, char **argv)
{
    long n = 200000;
    double build = 0, bulk = 0, t;
    mongoc_client_t *c;
    WT_CONNECTION *conn;
    fx_server_t s;
    char dir[600];

    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--docs") == 0)
            n = atol(argv[++i]);
    mongoc_init();
    if (fx_server_init(&s, 1) != 0)
        return 1;
    s.extra = quiet;
    if (fx_server_start(&s) != 0 || (c = fx_client(&s)) == NULL ||
        fx_load(c, "bench", "ix", n, fill, NULL) != 0)
        return 1;
    if (fx_mkdtemp(dir, sizeof(dir), "sdb-bench-wt") != 0 ||
        wiredtiger_open(dir, NULL, "create,cache_size=512MB", &conn) != 0)
        return 1;
    for (int r = 0; r < ROUNDS; r++) {
        t = server_build(c);
        build = r == 0 || t < build ? t : build;
        t = bare_bulk(conn, n, r);
        bulk = r == 0 || t < bulk ? t : bulk;
    }
    printf("bench_ixbuild: %ld documents, best of %d\n", n, ROUNDS);
    printf("  %-52s %10.1f ms\n", "createIndexes {a: 1} (server build)", build);
    printf("  %-52s %10.1f ms\n", "bare WiredTiger bulk load of the same keys", bulk);
    printf("  %-52s %10.2f\n", "build / bulk load", bulk > 0 ? build / bulk : 0);
    conn->close(conn, NULL);
    mongoc_client_destroy(c);
    fx_server_stop(&s);
    fx_server_cleanup(&s);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_ixbuild: could not remove %s\n", dir);
    mongoc_cleanup();
    return 0;
}
