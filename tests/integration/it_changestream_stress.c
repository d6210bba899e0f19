/*
 * tests/integration/it_changestream_stress.c -- a bounded stress test of change streams.
 *
 * Eight writers, each on its own connection, mix single inserts with 2-statement
 * transactions for a fixed time while a change stream and an oplog tailer (a tailable
 * awaitData find on local.oplog.rs) read along.  Afterwards: every acknowledged write was
 * seen exactly once by each reader, each writer's writes in the order they were acknowledged,
 * both readers in the same (oplog) order, and a transaction's two writes together with one
 * clusterTime, or not at all when its commit failed.  The time is fixed; nothing measures
 * speed (that is tests/bench).
 */
#include "harness.h"

#include <pthread.h>

#define DB "st"
#define COLL "w"
#define WRITERS 8
#define RUN_MS 5000
#define MAX_SEEN 400000

/* One event a reader saw. */
typedef struct seen {
    char id[32];
    uint64_t ts; /* clusterTime / oplog ts */
    bool txn;    /* came from a transaction (lsid/txnNumber, or applyOps) */
} seen_t;

typedef struct reader {
    fx_server_t *srv;
    seen_t *v;
    size_t n;
    volatile int stop;
    char err[256];
} reader_t;

typedef struct writer {
    fx_server_t *srv;
    int w;
    int acked[200000]; /* sequence numbers acknowledged, in order */
    bool is_txn[200000];
    int nacked;
    int unknown[1000]; /* transactions whose commit outcome is unknown */
    int nunknown;
    char err[256];
} writer_t;

static int64_t
now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
add_seen(reader_t *r, const char *id, uint64_t ts, bool txn)
{
    if (r->n < MAX_SEEN) {
        snprintf(r->v[r->n].id, sizeof(r->v[r->n].id), "%s", id);
        r->v[r->n].ts = ts;
        r->v[r->n].txn = txn;
        r->n++;
    }
}

static uint64_t
ts_of(const bson_iter_t *it)
{
    uint32_t t, i;

    bson_iter_timestamp(it, &t, &i);
    return ((uint64_t)t << 32) | i;
}

/* ---- the change stream ------------------------------------------------------------------ */

static void
stream_batch(reader_t *r, const bson_t *reply, const char *which)
{
    bson_iter_t it, ev, f;
    char path[64];

    snprintf(path, sizeof(path), "cursor.%s", which);
    if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, path, &ev) ||
        !bson_iter_recurse(&ev, &it))
        return;
    while (bson_iter_next(&it)) {
        bson_t e;
        const uint8_t *d;
        uint32_t len;
        uint64_t ts = 0;
        const char *id = NULL;

        bson_iter_document(&it, &len, &d);
        bson_init_static(&e, d, len);
        if (bson_iter_init_find(&f, &e, "clusterTime"))
            ts = ts_of(&f);
        if (bson_iter_init(&f, &e) && bson_iter_find_descendant(&f, "documentKey._id", &f) &&
            BSON_ITER_HOLDS_UTF8(&f))
            id = bson_iter_utf8(&f, NULL);
        if (id != NULL)
            add_seen(r, id, ts, bson_has_field(&e, "txnNumber") && bson_has_field(&e, "lsid"));
    }
}

static void *
stream_main(void *arg)
{
    reader_t *r = arg;
    mongoc_client_t *c = fx_client(r->srv);
    bson_t reply;
    bson_error_t e;
    char json[256];
    int64_t id;
    int idle = 0;

    if (!fx_cmd(c, DB,
                "{'aggregate': '" COLL "', 'pipeline': [{'$changeStream': {}}], 'cursor': {}}",
                &reply, &e)) {
        snprintf(r->err, sizeof(r->err), "aggregate: %s", fx_to_json(&reply));
        bson_destroy(&reply);
        mongoc_client_destroy(c);
        return NULL;
    }
    stream_batch(r, &reply, "firstBatch");
    id = fx_int(&reply, "cursor.id");
    bson_destroy(&reply);
    __atomic_store_n(&r->stop, r->stop | 2, __ATOMIC_SEQ_CST); /* open */
    while (idle < 3) {
        size_t before = r->n;
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': '" COLL "', "
                 "'maxTimeMS': 300}",
                 (long long)id);
        if (!fx_cmd(c, DB, json, &reply, &e)) {
            snprintf(r->err, sizeof(r->err), "getMore: %s", fx_to_json(&reply));
            bson_destroy(&reply);
            break;
        }
        stream_batch(r, &reply, "nextBatch");
        bson_destroy(&reply);
        /* after the writers stop, read until three batches in a row bring nothing */
        idle = (__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST) & 1) && r->n == before ? idle + 1 : 0;
    }
    mongoc_client_destroy(c);
    return NULL;
}

/* ---- the oplog tailer ------------------------------------------------------------------- */

static void
tail_entry(reader_t *r, const bson_t *entry)
{
    bson_iter_t it, ops, f;
    const char *op = NULL, *ns = NULL;
    uint64_t ts = 0;

    if (bson_iter_init_find(&it, entry, "op") && BSON_ITER_HOLDS_UTF8(&it))
        op = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, entry, "ns") && BSON_ITER_HOLDS_UTF8(&it))
        ns = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, entry, "ts"))
        ts = ts_of(&it);
    if (op == NULL || ns == NULL)
        return;
    if (strcmp(op, "i") == 0 && strcmp(ns, DB "." COLL) == 0) {
        if (bson_iter_init(&f, entry) && bson_iter_find_descendant(&f, "o._id", &f) &&
            BSON_ITER_HOLDS_UTF8(&f))
            add_seen(r, bson_iter_utf8(&f, NULL), ts, false);
        return;
    }
    if (strcmp(op, "c") != 0 || !bson_iter_init(&it, entry) ||
        !bson_iter_find_descendant(&it, "o.applyOps", &ops) || !bson_iter_recurse(&ops, &it))
        return;
    while (bson_iter_next(&it)) {
        bson_t one;
        const uint8_t *d;
        uint32_t len;

        bson_iter_document(&it, &len, &d);
        bson_init_static(&one, d, len);
        if (bson_iter_init(&f, &one) && bson_iter_find_descendant(&f, "o._id", &f) &&
            BSON_ITER_HOLDS_UTF8(&f))
            add_seen(r, bson_iter_utf8(&f, NULL), ts, true);
    }
}

static void
tail_batch(reader_t *r, const bson_t *reply, const char *which)
{
    bson_iter_t it, b;
    char path[64];

    snprintf(path, sizeof(path), "cursor.%s", which);
    if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, path, &b) ||
        !bson_iter_recurse(&b, &it))
        return;
    while (bson_iter_next(&it)) {
        bson_t e;
        const uint8_t *d;
        uint32_t len;

        bson_iter_document(&it, &len, &d);
        bson_init_static(&e, d, len);
        tail_entry(r, &e);
    }
}

static void *
tail_main(void *arg)
{
    reader_t *r = arg;
    mongoc_client_t *c = fx_client(r->srv);
    bson_t reply;
    bson_error_t e;
    char json[512];
    int64_t id;
    int idle = 0;

    /* the whole oplog of this fresh server: entries of other namespaces are skipped */
    if (!fx_cmd(c, "local", "{'find': 'oplog.rs', 'tailable': true, 'awaitData': true}", &reply,
                &e)) {
        snprintf(r->err, sizeof(r->err), "find: %s", fx_to_json(&reply));
        bson_destroy(&reply);
        mongoc_client_destroy(c);
        return NULL;
    }
    tail_batch(r, &reply, "firstBatch");
    id = fx_int(&reply, "cursor.id");
    bson_destroy(&reply);
    __atomic_store_n(&r->stop, r->stop | 2, __ATOMIC_SEQ_CST);
    while (idle < 3 && id != 0) {
        size_t before = r->n;
        snprintf(json, sizeof(json),
                 "{'getMore': {'$numberLong': '%lld'}, 'collection': 'oplog.rs', "
                 "'maxTimeMS': 300}",
                 (long long)id);
        if (!fx_cmd(c, "local", json, &reply, &e)) {
            snprintf(r->err, sizeof(r->err), "getMore: %s", fx_to_json(&reply));
            bson_destroy(&reply);
            break;
        }
        tail_batch(r, &reply, "nextBatch");
        id = fx_int(&reply, "cursor.id");
        bson_destroy(&reply);
        idle = (__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST) & 1) && r->n == before ? idle + 1 : 0;
    }
    if (id == 0 && r->err[0] == '\0')
        snprintf(r->err, sizeof(r->err), "the tailable cursor closed");
    mongoc_client_destroy(c);
    return NULL;
}

/* ---- writers ---------------------------------------------------------------------------- */

/* txn_pair -- a 2-statement transaction; 1 committed, 0 aborted (nothing written), -1 unknown. */
static int
txn_pair(mongoc_client_t *c, mongoc_collection_t *coll, int w, int i, char *err, size_t errlen)
{
    mongoc_client_session_t *s;
    bson_t opts = BSON_INITIALIZER, reply;
    bson_error_t e;
    char id[32];
    int out = 1;

    s = mongoc_client_start_session(c, NULL, &e);
    if (s == NULL || !mongoc_client_session_start_transaction(s, NULL, &e) ||
        !mongoc_client_session_append(s, &opts, &e)) {
        snprintf(err, errlen, "start transaction: %.150s", e.message);
        out = 0;
        goto done;
    }
    for (int part = 0; part < 2 && out == 1; part++) {
        bson_t *doc;
        snprintf(id, sizeof(id), "w%d-%d-%c", w, i, part == 0 ? 'a' : 'b');
        doc = BCON_NEW("_id", BCON_UTF8(id), "w", BCON_INT32(w), "i", BCON_INT32(i));
        if (!mongoc_collection_insert_one(coll, doc, &opts, NULL, &e)) {
            snprintf(err, errlen, "insert in transaction: %.150s", e.message);
            out = 0;
        }
        bson_destroy(doc);
    }
    if (out == 1 && !mongoc_client_session_commit_transaction(s, &reply, &e)) {
        bool unknown = mongoc_error_has_label(&reply, "UnknownTransactionCommitResult");
        snprintf(err, errlen, "commit: %.150s", e.message);
        out = unknown ? -1 : 0;
        bson_destroy(&reply);
    } else if (out == 1) {
        bson_destroy(&reply);
    } else {
        mongoc_client_session_abort_transaction(s, NULL);
    }
done:
    bson_destroy(&opts);
    if (s != NULL)
        mongoc_client_session_destroy(s);
    return out;
}

static void *
writer_main(void *arg)
{
    writer_t *wr = arg;
    mongoc_client_t *c = fx_client(wr->srv);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, COLL);
    int64_t until = now_ms() + RUN_MS;
    bson_error_t e;
    char id[32], err[200];

    for (int i = 0; now_ms() < until && wr->nacked < 199000; i++) {
        if (i % 3 == 2) {
            int r = txn_pair(c, coll, wr->w, i, err, sizeof(err));
            if (r == 1) {
                wr->is_txn[wr->nacked] = true;
                wr->acked[wr->nacked++] = i;
            } else if (r < 0 && wr->nunknown < 1000) {
                wr->unknown[wr->nunknown++] = i;
            } else if (r == 0 && strstr(err, "WriteConflict") == NULL) {
                snprintf(wr->err, sizeof(wr->err), "%s", err);
                break;
            }
            continue;
        }
        snprintf(id, sizeof(id), "w%d-%d", wr->w, i);
        bson_t *doc = BCON_NEW("_id", BCON_UTF8(id), "w", BCON_INT32(wr->w), "i", BCON_INT32(i));
        if (mongoc_collection_insert_one(coll, doc, NULL, NULL, &e)) {
            wr->is_txn[wr->nacked] = false;
            wr->acked[wr->nacked++] = i;
        } else {
            snprintf(wr->err, sizeof(wr->err), "insert: %.200s", e.message);
            bson_destroy(doc);
            break;
        }
        bson_destroy(doc);
    }
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
    return NULL;
}

/* ---- checks ----------------------------------------------------------------------------- */

static int
cmp_id(const void *a, const void *b)
{
    return strcmp(((const seen_t *)a)->id, ((const seen_t *)b)->id);
}

/* check_reader -- exactly once, writer order, transactions together and nothing else. */
static void
check_reader(const char *who, const reader_t *r, writer_t *const *wrs)
{
    seen_t *sorted = malloc(r->n * sizeof(*sorted) + 1);
    int next[WRITERS];
    size_t expected = 0;

    ck_assert_msg(r->err[0] == '\0', "%s: %s", who, r->err);
    /* order: each writer's acknowledged writes in order; a pair back to back, one ts */
    memset(next, 0, sizeof(next));
    for (size_t k = 0; k < r->n; k++) {
        int w, i;
        char part = 0;
        const seen_t *s = &r->v[k];

        ck_assert_msg(sscanf(s->id, "w%d-%d-%c", &w, &i, &part) >= 2 && w >= 0 && w < WRITERS,
                      "%s: unexpected id %s", who, s->id);
        if (k > 0)
            ck_assert_msg(r->v[k - 1].ts <= s->ts, "%s: time went back at %s", who, s->id);
        if (part == 'b') {
            ck_assert_msg(k > 0 && strncmp(r->v[k - 1].id, s->id, strlen(s->id) - 1) == 0 &&
                              r->v[k - 1].ts == s->ts && s->txn && r->v[k - 1].txn,
                          "%s: transaction half %s not right after its other half", who, s->id);
            continue;
        }
        /* the next acknowledged write of w, or an unknown-outcome transaction before it */
        writer_t *wr = wrs[w];
        while (next[w] < wr->nacked && wr->acked[next[w]] < i) {
            bool unknown = false;
            for (int u = 0; u < wr->nunknown; u++)
                unknown = unknown || wr->unknown[u] == wr->acked[next[w]];
            ck_assert_msg(unknown, "%s: w%d-%d acknowledged but not seen before %s", who, w,
                          wr->acked[next[w]], s->id);
            next[w]++;
        }
        if (next[w] < wr->nacked && wr->acked[next[w]] == i) {
            ck_assert_msg(wr->is_txn[next[w]] == (part == 'a'), "%s: %s kind mismatch", who, s->id);
            next[w]++;
        } else {
            bool unknown = false;
            for (int u = 0; u < wr->nunknown; u++)
                unknown = unknown || wr->unknown[u] == i;
            ck_assert_msg(unknown && part == 'a', "%s: %s seen but never acknowledged (or twice)",
                          who, s->id);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        ck_assert_msg(next[w] == wrs[w]->nacked, "%s: writer %d: %d of %d acknowledged writes seen",
                      who, w, next[w], wrs[w]->nacked);
        for (int k = 0; k < wrs[w]->nacked; k++)
            expected += wrs[w]->is_txn[k] ? 2 : 1;
    }
    /* exactly once */
    memcpy(sorted, r->v, r->n * sizeof(*sorted));
    qsort(sorted, r->n, sizeof(*sorted), cmp_id);
    for (size_t k = 1; k < r->n; k++)
        ck_assert_msg(strcmp(sorted[k - 1].id, sorted[k].id) != 0, "%s: %s seen twice", who,
                      sorted[k].id);
    ck_assert_msg(r->n >= expected, "%s: %zu events for %zu acknowledged writes", who, r->n,
                  expected);
    free(sorted);
}

START_TEST(test_stress)
{
    fx_server_t s;
    reader_t stream = {0}, tail = {0};
    writer_t *wrs[WRITERS];
    pthread_t ts, tt, tw[WRITERS];
    mongoc_client_t *c;
    bson_t r;
    int64_t total = 0;

    fx_server_up(&s, 2);
    c = fx_client(&s);
    CMD_OK(c, DB, "{'create': '" COLL "'}", &r);
    bson_destroy(&r);
    stream.srv = tail.srv = &s;
    stream.v = calloc(MAX_SEEN, sizeof(seen_t));
    tail.v = calloc(MAX_SEEN, sizeof(seen_t));
    ck_assert(pthread_create(&ts, NULL, stream_main, &stream) == 0);
    ck_assert(pthread_create(&tt, NULL, tail_main, &tail) == 0);
    while (!(__atomic_load_n(&stream.stop, __ATOMIC_SEQ_CST) & 2) ||
           !(__atomic_load_n(&tail.stop, __ATOMIC_SEQ_CST) & 2)) {
        if (stream.err[0] != '\0' || tail.err[0] != '\0')
            break;
        fx_sleep_ms(10);
    }
    for (int w = 0; w < WRITERS; w++) {
        wrs[w] = calloc(1, sizeof(writer_t));
        wrs[w]->srv = &s;
        wrs[w]->w = w;
        ck_assert(pthread_create(&tw[w], NULL, writer_main, wrs[w]) == 0);
    }
    for (int w = 0; w < WRITERS; w++)
        pthread_join(tw[w], NULL);
    __atomic_store_n(&stream.stop, 3, __ATOMIC_SEQ_CST);
    __atomic_store_n(&tail.stop, 3, __ATOMIC_SEQ_CST);
    pthread_join(ts, NULL);
    pthread_join(tt, NULL);
    for (int w = 0; w < WRITERS; w++) {
        ck_assert_msg(wrs[w]->err[0] == '\0', "writer %d: %s", w, wrs[w]->err);
        total += wrs[w]->nacked;
    }
    fprintf(stderr, "stress: %lld acknowledged writes, stream %zu events, tailer %zu\n",
            (long long)total, stream.n, tail.n);
    check_reader("change stream", &stream, wrs);
    check_reader("oplog tailer", &tail, wrs);
    /* both readers in the same order: the oplog's */
    ck_assert_uint_eq(stream.n, tail.n);
    for (size_t k = 0; k < stream.n; k++)
        ck_assert_msg(strcmp(stream.v[k].id, tail.v[k].id) == 0 && stream.v[k].ts == tail.v[k].ts,
                      "order differs at %zu: %s / %s", k, stream.v[k].id, tail.v[k].id);
    for (int w = 0; w < WRITERS; w++)
        free(wrs[w]);
    free(stream.v);
    free(tail.v);
    mongoc_client_destroy(c);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("changestream_stress");
    TCase *tc = it_tcase(s, "stress", false);

    tcase_add_test(tc, test_stress);
    return it_main(s);
}
