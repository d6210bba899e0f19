/*
 * tests/integration/it_agg_spill.c -- blocking aggregation stages past their memory limit,
 * and streaming stages that read only what they return, through libmongoc.
 *
 * The server starts with internalQueryMaxBlockingSortMemoryUsageBytes and
 * internalDocumentSourceGroupMaxMemoryBytes at 64 KiB, so a few thousand small documents
 * are "more than the limit" and the test stays fast; the setParameter command changes them
 * (and allowDiskUseByDefault) at runtime.  $sort and $group over them give the
 * same results with allowDiskUse true (spilled: the TMP_APPEND count of serverStatus
 * storageOps moves) as an in-memory run (the order the data implies, a top-k that fits, the
 * same accumulators through $bucket), and fail with 292 QueryExceededMemoryLimitNoDiskUseAllowed
 * with allowDiskUse false.  Streaming: [$match, $project, $limit] over the whole collection
 * reads only a few documents (storageOps SCAN requests, and SCAN replies are small at first).
 */
#include "harness.h"

#include <sys/time.h>
#include <unistd.h>

#define DB "spilltest"
#define NDOCS 4000

static const char *const small_limits[] = {
    "--setParameter", "internalQueryMaxBlockingSortMemoryUsageBytes=65536", "--setParameter",
    "internalDocumentSourceGroupMaxMemoryBytes=65536", NULL};

static fx_server_t srv;
static bool srv_up;

static void
srv_start(void)
{
    srv_up = fx_server_init(&srv, 2) == 0;
    if (srv_up) {
        srv.extra = small_limits;
        srv_up = fx_server_start(&srv) == 0;
    }
}

static void
srv_stop(void)
{
    if (srv_up && srv.pid > 0)
        fx_server_stop(&srv);
    fx_server_cleanup(&srv);
}

/* seed -- NDOCS documents {_id: i, k: (i * 7919) % 1000, g: i % 37, pad: 40 bytes}. */
static void
seed(mongoc_client_t *c)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "big");
    mongoc_bulk_operation_t *bulk;
    bson_error_t e;
    bson_t reply;

    mongoc_collection_drop(coll, NULL);
    bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
    for (int i = 0; i < NDOCS; i++) {
        bson_t *d = BCON_NEW("_id", BCON_INT32(i), "k", BCON_INT32((i * 7919) % 1000), "g",
                             BCON_INT32(i % 37), "pad",
                             BCON_UTF8("0123456789012345678901234567890123456789"));
        mongoc_bulk_operation_insert(bulk, d);
        bson_destroy(d);
    }
    ck_assert_msg(mongoc_bulk_operation_execute(bulk, &reply, &e) != 0, "%s", e.message);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(coll);
}

/* store_ops -- serverStatus storageOps.<op>. */
static int64_t
store_ops(mongoc_client_t *c, const char *op)
{
    char path[64];
    bson_t r;
    int64_t n;

    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    snprintf(path, sizeof(path), "storageOps.%s", op);
    n = fx_int(&r, path);
    bson_destroy(&r);
    return n;
}

/* run_opts -- run an aggregate with `opts` and collect every result (getMore to the end) into
 * `out`, an array; returns how many. */
static int
run_opts(mongoc_client_t *c, const char *pipeline, const bson_t *opts, bson_t *out)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "big");
    bson_t *pipe = fx_json(pipeline);
    mongoc_cursor_t *cur = mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipe, opts, NULL);
    const bson_t *doc;
    bson_error_t e;
    int n = 0;

    bson_init(out);
    while (mongoc_cursor_next(cur, &doc)) {
        char key[16];
        const char *k;

        bson_uint32_to_string((uint32_t)n++, &k, key, sizeof(key));
        bson_append_document(out, k, -1, doc);
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s: %s", pipeline, e.message);
    mongoc_cursor_destroy(cur);
    bson_destroy(pipe);
    mongoc_collection_destroy(coll);
    return n;
}

/* run_all -- run_opts with allowDiskUse. */
static int
run_all(mongoc_client_t *c, const char *pipeline, bool allow_disk, bson_t *out)
{
    bson_t *opts = BCON_NEW("allowDiskUse", BCON_BOOL(allow_disk));
    int n = run_opts(c, pipeline, opts, out);

    bson_destroy(opts);
    return n;
}

START_TEST(test_sort_spills_with_same_order)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    bson_t a, b, r;
    bson_iter_t ia, ib;
    int na, nb, prev_k = -1, prev_id = -1;

    ck_assert(srv_up);
    seed(c);
    before = store_ops(c, "TMP_APPEND");
    /* 4000 x ~80 bytes is ~5 times the 64 KiB limit: several runs, merged */
    na = run_all(c, "[{'$sort': {'k': 1}}]", true, &a);
    ck_assert_int_eq(na, NDOCS);
    ck_assert_msg(store_ops(c, "TMP_APPEND") > before, "the sort did not spill");
    /* stable: equal keys keep the collection (_id) order, exactly as an unspilled sort */
    bson_iter_init(&ia, &a);
    while (bson_iter_next(&ia)) {
        bson_t d;
        const uint8_t *data;
        uint32_t len;

        bson_iter_document(&ia, &len, &data);
        bson_init_static(&d, data, len);
        int k = (int)fx_int(&d, "k"), id = (int)fx_int(&d, "_id");
        ck_assert_msg(k > prev_k || (k == prev_k && id > prev_id), "out of order at _id %d", id);
        prev_k = k;
        prev_id = id;
    }
    /* the same documents through a sort that fits ($project first makes them small) */
    nb = run_all(c, "[{'$project': {'k': 1}}, {'$sort': {'k': -1}}, {'$limit': 50}]", true, &b);
    ck_assert_int_eq(nb, 50);
    bson_iter_init(&ib, &b);
    bson_iter_next(&ib);
    bson_destroy(&b);
    /* descending with a spill: the reverse of the keys, ties still in input order */
    nb = run_all(c, "[{'$sort': {'k': -1}}, {'$project': {'k': 1}}]", true, &b);
    ck_assert_int_eq(nb, NDOCS);
    ASSERT_INT(&b, "0.k", 999);
    ASSERT_INT(&b, "3999.k", 0);
    ASSERT_INT(&a, "0.k", 0);
    ASSERT_INT(&a, "0._id", 0);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, "
            "'pipeline': [{'$sort': {'k': 1}}]}",
            &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    bson_destroy(&a);
    bson_destroy(&b);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_sort_limit_is_top_k)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    bson_t a, r;

    ck_assert(srv_up);
    seed(c);
    before = store_ops(c, "TMP_APPEND");
    /* a top 10 holds at most 20 documents: no spill, and no 292 without allowDiskUse */
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, "
           "'pipeline': [{'$sort': {'k': -1, '_id': 1}}, {'$skip': 2}, {'$limit': 3}]}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    /* k = 999 at _id 321, 1321, 2321, 3321: skip two of them */
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 2321);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 3321);
    ASSERT_INT(&r, "cursor.firstBatch.2.k", 998);
    bson_destroy(&r);
    ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
    /* equals the spilled full sort's prefix */
    run_all(c, "[{'$sort': {'k': -1, '_id': 1}}]", true, &a);
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, "
           "'pipeline': [{'$sort': {'k': -1, '_id': 1}}, {'$limit': 5}]}",
           &r);
    for (int i = 0; i < 5; i++) {
        char p1[48], p2[48];

        snprintf(p1, sizeof(p1), "%d._id", i);
        snprintf(p2, sizeof(p2), "cursor.firstBatch.%d._id", i);
        ck_assert_int_eq(fx_int(&a, p1), fx_int(&r, p2));
    }
    bson_destroy(&r);
    bson_destroy(&a);
    mongoc_client_destroy(c);
}
END_TEST

#define ACCS                                                                                       \
    "'n': {'$sum': 1}, 'sum': {'$sum': '$g'}, 'first': {'$first': '$_id'}, "                       \
    "'last': {'$last': '$_id'}, 'mx': {'$max': '$g'}, 'ids': {'$push': '$_id'}"

/* bucket_run -- the same accumulators through $bucket (the in-memory grouping engine, no
 * limit applies to it with allowDiskUse), one bucket per integer value of `field` in [0, n). */
static int
bucket_run(mongoc_client_t *c, const char *field, int n, bson_t *out)
{
    size_t cap = (size_t)n * 8 + 512, len = 0;
    char *pipe = bson_malloc(cap);
    int got;

    len += (size_t)snprintf(pipe + len, cap - len,
                            "[{'$bucket': {'groupBy': '$%s', 'boundaries': [0", field);
    for (int i = 1; i <= n; i++)
        len += (size_t)snprintf(pipe + len, cap - len, ", %d", i);
    snprintf(pipe + len, cap - len, "], 'output': {" ACCS "}}}]");
    got = run_all(c, pipe, true, out);
    bson_free(pipe);
    return got;
}

START_TEST(test_group_spills_with_same_groups)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    bson_t a, b, r;

    ck_assert(srv_up);
    seed(c);
    /* 1,000 groups of 4 do not fit in 64 KiB: the groups past the limit spill */
    before = store_ops(c, "TMP_APPEND");
    ck_assert_int_eq(run_all(c, "[{'$group': {'_id': '$k', " ACCS "}}]", true, &a), 1000);
    ck_assert_msg(store_ops(c, "TMP_APPEND") > before, "the group did not spill");
    before = store_ops(c, "TMP_APPEND");
    ck_assert_int_eq(bucket_run(c, "k", 1000, &b), 1000);
    ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
    ck_assert_msg(bson_equal(&a, &b), "spilled %s\nin memory %s", fx_to_json(&a), fx_to_json(&b));
    ASSERT_INT(&a, "0._id", 0);
    ASSERT_INT(&a, "0.n", 4); /* _id 0, 1000, 2000, 3000 */
    ASSERT_INT(&a, "0.last", 3000);
    ASSERT_INT(&a, "999.first", 321); /* 321 * 7919 % 1000 = 999 */
    bson_destroy(&a);
    bson_destroy(&b);
    /* 37 groups fit (in 96 KiB: their 4,000 pushed ids and 222 accumulator states take about
     * 64 KiB): they are stepped as the documents come, nothing spills */
    CMD_OK(c, "admin", "{'setParameter': 1, 'internalDocumentSourceGroupMaxMemoryBytes': 98304}",
           &r);
    bson_destroy(&r);
    before = store_ops(c, "TMP_APPEND");
    ck_assert_int_eq(run_all(c, "[{'$group': {'_id': '$g', " ACCS "}}]", true, &a), 37);
    ck_assert_int_eq(bucket_run(c, "g", 37, &b), 37);
    ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
    CMD_OK(c, "admin", "{'setParameter': 1, 'internalDocumentSourceGroupMaxMemoryBytes': 65536}",
           &r);
    bson_destroy(&r);
    ck_assert_msg(bson_equal(&a, &b), "%s\n%s", fx_to_json(&a), fx_to_json(&b));
    ASSERT_INT(&a, "0.n", 109); /* 0, 37, ..., 3996 */
    ASSERT_INT(&a, "36.last", 3995);
    bson_destroy(&a);
    bson_destroy(&b);
    /* the $push of 4,000 values passes 64 KiB even in 37 groups */
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': ["
            "{'$group': {'_id': '$g', " ACCS "}}]}",
            &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_streaming_reads_what_it_returns)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    bson_t r;

    ck_assert(srv_up);
    seed(c);
    before = store_ops(c, "SCAN");
    /* $match on a computed value and a $project between: no read limit can be derived, the
     * read still stops once the $limit has its 3 */
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {'batchSize': 2}, 'pipeline': ["
           "{'$match': {'g': {'$lt': 30}}}, {'$project': {'k': 1, 'g': 1}}, "
           "{'$match': {'$expr': {'$gte': ['$k', 0]}}}, {'$limit': 3}]}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 0);
    bson_destroy(&r);
    /* the executor's first SCAN batches are small: a whole read of 4000 would take many */
    ck_assert_int_le(store_ops(c, "SCAN") - before, 2);
    /* $unwind and $addFields stream too; a blocking stage reads everything */
    before = store_ops(c, "SCAN");
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'pipeline': ["
           "{'$addFields': {'arr': ['$k', '$g']}}, {'$unwind': '$arr'}, {'$limit': 4}]}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 4);
    ASSERT_INT(&r, "cursor.firstBatch.1._id", 0);
    ASSERT_INT(&r, "cursor.firstBatch.2._id", 1);
    bson_destroy(&r);
    ck_assert_int_le(store_ops(c, "SCAN") - before, 2);
    mongoc_client_destroy(c);
}
END_TEST

/* run_batched -- run_all with a batchSize (and allowDiskUse's default). */
static int
run_batched(mongoc_client_t *c, const char *pipeline, int batch, bson_t *out)
{
    bson_t *opts = BCON_NEW("batchSize", BCON_INT32(batch));
    int n = run_opts(c, pipeline, opts, out);

    bson_destroy(opts);
    return n;
}

START_TEST(test_streaming_cursor_continues)
{
    mongoc_client_t *c = fx_client(&srv), *other;
    bson_t a, r, *agg, *gm;
    int64_t before, id;
    bson_error_t e;

    ck_assert(srv_up);
    seed(c);
    /* the first batch of an unbounded streaming pipeline reads about one batch */
    before = store_ops(c, "SCAN");
    agg = fx_json("{'aggregate': 'big', 'cursor': {'batchSize': 5}, 'pipeline': ["
                  "{'$project': {'k': 1}}]}");
    fx_append_lsid(agg, 9); /* one session on both connections: the cursor is bound to it */
    ck_assert(fx_cmd_bson(c, DB, agg, &r, &e));
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 5);
    id = fx_int(&r, "cursor.id");
    ck_assert(id != 0);
    bson_destroy(&r);
    ck_assert_int_le(store_ops(c, "SCAN") - before, 2);
    /* getMore continues where it stopped, on another worker too */
    other = fx_client_other_worker(&srv, c);
    gm = BCON_NEW("getMore", BCON_INT64(id), "collection", BCON_UTF8("big"), "batchSize",
                  BCON_INT32(3));
    fx_append_lsid(gm, 9);
    ck_assert_msg(fx_cmd_bson(other, DB, gm, &r, &e), "%s", e.message);
    ck_assert_int_eq(fx_array_len(&r, "cursor.nextBatch"), 3);
    ASSERT_INT(&r, "cursor.nextBatch.0._id", 5);
    ASSERT_INT(&r, "cursor.nextBatch.2._id", 7);
    ck_assert_int_eq(fx_int(&r, "cursor.id"), id);
    bson_destroy(&r);
    bson_destroy(gm);
    bson_destroy(agg);
    mongoc_client_destroy(other);
    /* every result, once, in order, across batches: $skip and $limit count across them */
    ck_assert_int_eq(run_batched(c, "[{'$skip': 10}, {'$limit': 250}]", 100, &a), 250);
    ASSERT_INT(&a, "0._id", 10);
    ASSERT_INT(&a, "249._id", 259);
    bson_destroy(&a);
    /* $unwind gives 3 results per document: a batch can end inside a document's results */
    ck_assert_int_eq(run_batched(c,
                                 "[{'$match': {'_id': {'$lt': 100}}}, "
                                 "{'$addFields': {'u': [1, 2, 3]}}, {'$unwind': '$u'}, "
                                 "{'$project': {'u': 1}}]",
                                 7, &a),
                     300);
    ASSERT_INT(&a, "7._id", 2);
    ASSERT_INT(&a, "7.u", 2);
    ASSERT_INT(&a, "299._id", 99);
    ASSERT_INT(&a, "299.u", 3);
    bson_destroy(&a);
    ck_assert_int_eq(run_batched(c, "[{'$match': {'g': 3}}]", 10, &a), 109);
    bson_destroy(&a);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_limits_are_runtime_parameters)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    bson_t r;

    ck_assert(srv_up);
    seed(c);
    CMD_OK(c, "admin",
           "{'getParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': 1, "
           "'allowDiskUseByDefault': 1}",
           &r);
    ASSERT_INT(&r, "internalQueryMaxBlockingSortMemoryUsageBytes", 65536);
    ck_assert(fx_bool(&r, "allowDiskUseByDefault"));
    bson_destroy(&r);
    /* a limit raised at runtime: the same sort fits, without allowDiskUse */
    CMD_OK(c, "admin",
           "{'setParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': 10485760}", &r);
    bson_destroy(&r);
    before = store_ops(c, "TMP_APPEND");
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, "
           "'pipeline': [{'$sort': {'k': 1}}, {'$count': 'n'}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", NDOCS);
    bson_destroy(&r);
    ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
    CMD_OK(c, "admin", "{'setParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': 65536}",
           &r);
    bson_destroy(&r);
    /* allowDiskUseByDefault off: an aggregate that does not say may not spill */
    CMD_OK(c, "admin", "{'setParameter': 1, 'allowDiskUseByDefault': false}", &r);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'aggregate': 'big', 'cursor': {}, 'pipeline': [{'$sort': {'k': 1}}]}", &r, 292,
            "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': true, "
           "'pipeline': [{'$sort': {'k': 1}}, {'$count': 'n'}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", NDOCS);
    bson_destroy(&r);
    CMD_OK(c, "admin", "{'setParameter': 1, 'allowDiskUseByDefault': true}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* set_limits -- both memory knobs to `bytes`. */
static void
set_limits(mongoc_client_t *c, int64_t bytes)
{
    char cmd[256];
    bson_t r;

    snprintf(cmd, sizeof(cmd),
             "{'setParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': %lld, "
             "'internalDocumentSourceGroupMaxMemoryBytes': %lld}",
             (long long)bytes, (long long)bytes);
    CMD_OK(c, "admin", cmd, &r);
    bson_destroy(&r);
}

/* The blocking stages besides $sort and $group: each spills past the limit with the result it
 * gives in memory, and fails with 292 without allowDiskUse. */
static const char *const spilling[] = {
    "[{'$bucketAuto': {'groupBy': '$k', 'buckets': 7, 'output': {'n': {'$sum': 1}, "
    "'first': {'$first': '$_id'}, 'last': {'$last': '$_id'}}}}]",
    "[{'$bucketAuto': {'groupBy': '$k', 'buckets': 5, 'granularity': 'R5'}}]",
    "[{'$setWindowFields': {'partitionBy': '$g', 'sortBy': {'k': 1}, 'output': {"
    "'num': {'$documentNumber': {}}, 'run': {'$sum': '$k', 'window': {'documents': "
    "['unbounded', 'current']}}}}}, {'$project': {'pad': 0}}]",
    "[{'$facet': {'a': [{'$sort': {'k': 1}}, {'$project': {'k': 1}}], "
    "'b': [{'$group': {'_id': '$g', 'n': {'$sum': 1}}}, {'$sort': {'_id': 1}}]}}]",
};

START_TEST(test_other_blocking_stages_spill)
{
    mongoc_client_t *c = fx_client(&srv);
    int64_t before;
    char cmd[1024];
    bson_t a, b, r;

    ck_assert(srv_up);
    seed(c);
    for (size_t i = 0; i < sizeof(spilling) / sizeof(spilling[0]); i++) {
        set_limits(c, 65536);
        before = store_ops(c, "TMP_APPEND");
        run_all(c, spilling[i], true, &a);
        ck_assert_msg(store_ops(c, "TMP_APPEND") > before, "did not spill: %s", spilling[i]);
        snprintf(cmd, sizeof(cmd),
                 "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': %s}",
                 spilling[i]);
        CMD_ERR(c, DB, cmd, &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
        bson_destroy(&r);
        set_limits(c, 64 * 1024 * 1024);
        before = store_ops(c, "TMP_APPEND");
        run_all(c, spilling[i], false, &b);
        ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
        ck_assert_msg(bson_equal(&a, &b), "%s: spilled differs: %s", spilling[i], fx_to_json(&a));
        bson_destroy(&a);
        bson_destroy(&b);
    }
    set_limits(c, 65536);
    /* the sorter's words for $bucketAuto, as mongod's */
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': "
            "[{'$bucketAuto': {'groupBy': '$k', 'buckets': 2}}]}",
            &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "did not opt in to external sorting") != NULL, "%s",
                  fx_str(&r, "errmsg"));
    bson_destroy(&r);
    /* spilled windows: partition g = 0 holds _id 0, 37, ...; its first document by k */
    run_all(c, spilling[2], true, &a);
    ASSERT_INT(&a, "0.g", 0);
    ASSERT_INT(&a, "0.num", 1);
    ASSERT_INT(&a, "108.num", 109); /* 109 documents in partition 0 */
    ASSERT_INT(&a, "109.g", 1);
    bson_destroy(&a);
    mongoc_client_destroy(c);
}
END_TEST

/* set_param -- one runtime parameter. */
static void
set_param(mongoc_client_t *c, const char *name, int64_t v)
{
    char cmd[256];
    bson_t r;

    snprintf(cmd, sizeof(cmd), "{'setParameter': 1, '%s': %lld}", name, (long long)v);
    CMD_OK(c, "admin", cmd, &r);
    bson_destroy(&r);
}

/* spilled_equals_in_memory -- run `pipeline` with the small limits and allowDiskUse (it must
 * spill), then with every limit at 64 MiB and without allowDiskUse (it must not): the same
 * result.  Returns how many documents. */
static int
spilled_equals_in_memory(mongoc_client_t *c, const char *pipeline)
{
    const int64_t big = 64 * 1024 * 1024;
    int64_t before;
    bson_t a, b;
    int na, nb;

    set_limits(c, 65536);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 16384);
    before = store_ops(c, "TMP_APPEND");
    na = run_all(c, pipeline, true, &a);
    ck_assert_msg(store_ops(c, "TMP_APPEND") > before, "did not spill: %s", pipeline);
    set_limits(c, big);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", big);
    before = store_ops(c, "TMP_APPEND");
    nb = run_all(c, pipeline, false, &b);
    ck_assert_int_eq(store_ops(c, "TMP_APPEND"), before);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(bson_equal(&a, &b), "%s: spilled differs: %.2000s", pipeline, fx_to_json(&a));
    bson_destroy(&a);
    bson_destroy(&b);
    set_limits(c, 65536);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", big);
    return na;
}

/* Windows over one partition (no partitionBy, or one partition key for half the input) of
 * ~320 KB, twenty times the 16 KiB partition limit: each window kind reads the spilled
 * partition back by position. */
static const char *const one_partition[] = {
    /* [unbounded, current], and the rank functions */
    "[{'$setWindowFields': {'sortBy': {'k': 1}, 'output': {"
    "'run': {'$sum': '$_id', 'window': {'documents': ['unbounded', 'current']}}, "
    "'num': {'$documentNumber': {}}, 'rank': {'$rank': {}}, 'dense': {'$denseRank': {}}}}}, "
    "{'$project': {'pad': 0}}]",
    /* finite documents windows, a two-field sortBy */
    "[{'$setWindowFields': {'sortBy': {'k': 1, '_id': -1}, 'output': {"
    "'avg': {'$avg': '$_id', 'window': {'documents': [-3, 2]}}, "
    "'min': {'$min': '$g', 'window': {'documents': [-5, 5]}}, "
    "'max': {'$max': '$_id', 'window': {'documents': [0, 7]}}, "
    "'first': {'$first': '$_id', 'window': {'documents': [-10, -1]}}, "
    "'last': {'$last': '$_id', 'window': {'documents': [1, 4]}}, "
    "'push': {'$push': '$g', 'window': {'documents': [-2, 0]}}}}}, {'$project': {'pad': 0}}]",
    /* range windows */
    "[{'$setWindowFields': {'sortBy': {'k': 1}, 'output': {"
    "'near': {'$count': {}, 'window': {'range': [-5, 5]}}, "
    "'gsum': {'$sum': '$g', 'window': {'range': ['unbounded', 0]}}}}}, "
    "{'$project': {'pad': 0}}]",
    /* $shift both ways */
    "[{'$setWindowFields': {'sortBy': {'k': -1}, 'output': {"
    "'prev': {'$shift': {'output': '$_id', 'by': -2}}, "
    "'next': {'$shift': {'output': '$_id', 'by': 3, 'default': -1}}}}}, "
    "{'$project': {'pad': 0}}]",
    /* windows over the whole partition, read back from the spill */
    "[{'$setWindowFields': {'sortBy': {'g': 1}, 'output': {"
    "'max': {'$max': '$_id', 'window': {'documents': ['unbounded', 'unbounded']}}, "
    "'first': {'$first': '$_id', 'window': {'documents': ['unbounded', 'unbounded']}}, "
    "'last': {'$last': '$k', 'window': {'documents': ['unbounded', 'unbounded']}}}}}, "
    "{'$project': {'pad': 0}}]",
    /* no sortBy: the input order, every document's window the whole partition */
    "[{'$setWindowFields': {'output': {'t': {'$sum': '$k'}, 'c': {'$count': {}}}}}, "
    "{'$project': {'pad': 0}}]",
    /* the functions with their own evaluators */
    "[{'$setWindowFields': {'sortBy': {'_id': 1}, 'output': {"
    "'ema': {'$expMovingAvg': {'input': '$k', 'N': 5}}, "
    "'der': {'$derivative': {'input': '$k'}, 'window': {'documents': [-1, 0]}}, "
    "'int': {'$integral': {'input': '$k'}, 'window': {'documents': [-2, 0]}}, "
    "'locf': {'$locf': '$k'}}}}, {'$project': {'pad': 0}}]",
    /* partitionBy with one partition of half the input */
    "[{'$setWindowFields': {'partitionBy': {'$mod': ['$g', 2]}, 'sortBy': {'k': 1}, "
    "'output': {'run': {'$sum': '$k', 'window': {'documents': ['unbounded', 'current']}}}}}, "
    "{'$project': {'pad': 0}}]",
};

START_TEST(test_windows_spill_one_partition)
{
    mongoc_client_t *c = fx_client(&srv);
    bson_t r;

    ck_assert(srv_up);
    seed(c);
    CMD_OK(c, "admin",
           "{'getParameter': 1, 'internalDocumentSourceSetWindowFieldsMaxMemoryBytes': 1, "
           "'internalDocumentSourceDensifyMaxMemoryBytes': 1}",
           &r);
    ASSERT_INT(&r, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 104857600);
    ASSERT_INT(&r, "internalDocumentSourceDensifyMaxMemoryBytes", 104857600);
    bson_destroy(&r);
    for (size_t i = 0; i < sizeof(one_partition) / sizeof(one_partition[0]); i++)
        ck_assert_int_eq(spilled_equals_in_memory(c, one_partition[i]), NDOCS);
    /* a spot check of the values themselves: the whole-partition $max, the running sum */
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 16384);
    run_all(c, one_partition[4], true, &r);
    ASSERT_INT(&r, "0.max", NDOCS - 1);
    ASSERT_INT(&r, "3999.max", NDOCS - 1);
    ASSERT_INT(&r, "3999.first", 0); /* g = 0 first, in input order */
    bson_destroy(&r);
    run_all(c, one_partition[0], true, &r);
    ASSERT_INT(&r, "3999.num", NDOCS);
    ASSERT_INT(&r, "3999.run", (int64_t)NDOCS * (NDOCS - 1) / 2);
    ASSERT_INT(&r, "3999.dense", 1000); /* k takes 1000 values */
    bson_destroy(&r);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 64 * 1024 * 1024);
    mongoc_client_destroy(c);
}
END_TEST

/* Without allowDiskUse: a partition past its limit is mongod's 5643011; the sort in front of a
 * sortBy past its own limit is 292 as mongod's $sort. */
START_TEST(test_window_no_disk_use_errors)
{
    mongoc_client_t *c = fx_client(&srv);
    bson_t r;

    ck_assert(srv_up);
    seed(c);
    set_limits(c, 64 * 1024 * 1024);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 16384);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': "
            "[{'$setWindowFields': {'output': {'t': {'$sum': '$k'}}}}]}",
            &r, 5643011, "Location5643011");
    ck_assert_str_eq(fx_str(&r, "errmsg"),
                     "Exceeded max memory. Set 'allowDiskUse: true' to spill to disk");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': "
            "[{'$setWindowFields': {'sortBy': {'k': 1}, 'output': {'r': {'$rank': {}}}}}]}",
            &r, 5643011, "Location5643011");
    bson_destroy(&r);
    /* small partitions fit */
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': "
           "[{'$setWindowFields': {'partitionBy': '$_id', 'output': {'t': {'$sum': '$k'}}}}, "
           "{'$count': 'n'}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", NDOCS);
    bson_destroy(&r);
    set_param(c, "internalDocumentSourceSetWindowFieldsMaxMemoryBytes", 64 * 1024 * 1024);
    set_limits(c, 65536);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, 'pipeline': "
            "[{'$setWindowFields': {'sortBy': {'k': 1}, 'output': {'r': {'$rank': {}}}}}]}",
            &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* $densify: the sort mongod puts in front spills (292 without allowDiskUse), the result being
 * the in-memory one; the partition table is limited by internalDocumentSourceDensifyMax-
 * MemoryBytes (6007200, allowDiskUse or not), which a densify without partitions ignores. */
START_TEST(test_densify_spills_and_limit)
{
    const char *pipe = "[{'$densify': {'field': 'k', 'partitionByFields': ['g'], "
                       "'range': {'step': 1, 'bounds': 'partition'}}}, {'$project': {'pad': 0}}]";
    mongoc_client_t *c = fx_client(&srv);
    char cmd[512];
    bson_t r;
    int n;

    ck_assert(srv_up);
    seed(c);
    n = spilled_equals_in_memory(c, pipe);
    ck_assert_msg(n > NDOCS && n <= 37 * 1000, "%d documents", n);
    snprintf(cmd, sizeof(cmd),
             "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, "
             "'pipeline': %s}",
             pipe);
    CMD_ERR(c, DB, cmd, &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    set_limits(c, 64 * 1024 * 1024);
    set_param(c, "internalDocumentSourceDensifyMaxMemoryBytes", 1000);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': true, 'pipeline': "
            "[{'$densify': {'field': 'k', 'partitionByFields': ['_id'], "
            "'range': {'step': 1, 'bounds': 'partition'}}}]}",
            &r, 6007200, "Location6007200");
    ck_assert_str_eq(fx_str(&r, "errmsg"), "$densify exceeded memory limit of 1000");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'pipeline': [{'$densify': {'field': 'k', "
           "'range': {'step': 1, 'bounds': 'full'}}}, {'$count': 'n'}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.n", NDOCS);
    bson_destroy(&r);
    set_param(c, "internalDocumentSourceDensifyMaxMemoryBytes", 104857600);
    set_limits(c, 65536);
    mongoc_client_destroy(c);
}
END_TEST

/* cursors_open -- serverStatus metrics.cursor.open.total. */
static int64_t
cursors_open(mongoc_client_t *c)
{
    bson_t r;
    int64_t n;

    CMD_OK(c, "admin", "{'serverStatus': 1}", &r);
    n = fx_int(&r, "metrics.cursor.open.total");
    bson_destroy(&r);
    return n;
}

/* A blocking result of ~7 MiB (2,500 documents of 3 KB, sorted with a spill) goes into the
 * cursor's spool in pieces (CURSOR_APPEND) as the merge yields it; getMore hands all of it out
 * in order; a pipeline failing after the first pieces were sent leaves no cursor behind. */
START_TEST(test_blocking_result_streams_into_spool)
{
    mongoc_client_t *c = fx_client(&srv);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, "wide");
    mongoc_bulk_operation_t *bulk;
    char pad[3001];
    int64_t before, open;
    bson_error_t e;
    bson_t r, a;
    int prev = -1;

    ck_assert(srv_up);
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    mongoc_collection_drop(coll, NULL);
    bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
    for (int i = 0; i < 2500; i++) {
        bson_t *d = BCON_NEW("_id", BCON_INT32(i), "k", BCON_INT32((i * 7919) % 2500), "s",
                             BCON_UTF8(i == 1234 ? "nope" : "7"), "pad", BCON_UTF8(pad));
        mongoc_bulk_operation_insert(bulk, d);
        bson_destroy(d);
    }
    ck_assert_msg(mongoc_bulk_operation_execute(bulk, &r, &e) != 0, "%s", e.message);
    bson_destroy(&r);
    mongoc_bulk_operation_destroy(bulk);
    before = store_ops(c, "CURSOR_APPEND");
    open = cursors_open(c);
    {
        bson_t *pipe = fx_json("[{'$sort': {'k': 1}}]");
        mongoc_cursor_t *cur =
            mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipe, NULL, NULL);
        const bson_t *doc;
        int n = 0;

        while (mongoc_cursor_next(cur, &doc)) {
            ck_assert_int_eq((int)fx_int(doc, "k"), prev + 1);
            prev = (int)fx_int(doc, "k");
            n++;
        }
        ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s", e.message);
        ck_assert_int_eq(n, 2500);
        mongoc_cursor_destroy(cur);
        bson_destroy(pipe);
    }
    ck_assert_msg(store_ops(c, "CURSOR_APPEND") > before, "the spool was not filled in pieces");
    ck_assert_int_eq(cursors_open(c), open);
    /* _id 1234 (k 1234 * 7919 % 2500 = 2246) fails $toInt after 2,246 results (6.6 MB) went
     * out: the cursor was created with the first piece, and is dropped */
    before = store_ops(c, "CURSOR_NEW");
    CMD_ERR(c, DB,
            "{'aggregate': 'wide', 'cursor': {}, 'pipeline': [{'$sort': {'k': 1}}, "
            "{'$set': {'n': {'$toInt': '$s'}}}]}",
            &r, 241, "ConversionFailure");
    bson_destroy(&r);
    ck_assert_msg(store_ops(c, "CURSOR_NEW") > before, "no piece went out before the error");
    ck_assert_int_eq(cursors_open(c), open);
    /* a small rest is still one CURSOR_NEW */
    before = store_ops(c, "CURSOR_APPEND");
    run_all(c, "[{'$sort': {'k': 1}}, {'$project': {'k': 1}}]", true, &a);
    bson_destroy(&a);
    ck_assert_int_eq(store_ops(c, "CURSOR_APPEND"), before);
    mongoc_collection_drop(coll, NULL);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

/* A leading $sort (after a $match too) that an index provides is read through the index, as
 * find would: no blocking SORT in explain, and it needs no memory, so it passes even without
 * allowDiskUse over the 64 KiB limit, streaming batch by batch. */
START_TEST(test_leading_sort_uses_index)
{
    mongoc_client_t *c = fx_client(&srv);
    const char *json;
    bson_t r, a;
    int prev = -1;

    ck_assert(srv_up);
    seed(c);
    CMD_OK(c, DB, "{'createIndexes': 'big', 'indexes': [{'key': {'k': 1}, 'name': 'k_1'}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'explain': true, 'pipeline': [{'$sort': {'k': 1}}]}",
           &r);
    json = fx_to_json(&r);
    ck_assert_msg(strstr(json, "IXSCAN") != NULL && strstr(json, "\"SORT\"") == NULL, "%s", json);
    ASSERT_STR(&r, "queryPlanner.winningPlan.inputStage.stage", "IXSCAN");
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {}, 'explain': true, 'pipeline': [{'$match': {'g': 3}}, "
           "{'$sort': {'k': -1}}, {'$project': {'k': 1}}]}",
           &r);
    json = fx_to_json(&r);
    ck_assert_msg(strstr(json, "IXSCAN") != NULL && strstr(json, "\"SORT\"") == NULL, "%s", json);
    ASSERT_STR(&r, "stages.0.$cursor.queryPlanner.winningPlan.inputStage.direction", "backward");
    ck_assert_msg(fx_has(&r, "stages.1.$project") && !fx_has(&r, "stages.2"), "%s", json);
    bson_destroy(&r);
    /* 4,000 documents over the 64 KiB limit without allowDiskUse: no blocking sort runs */
    ck_assert_int_eq(run_all(c, "[{'$sort': {'k': 1}}, {'$project': {'k': 1}}]", false, &a), NDOCS);
    ASSERT_INT(&a, "0.k", 0);
    ASSERT_INT(&a, "3999.k", 999);
    bson_destroy(&a);
    ck_assert_int_eq(run_all(c, "[{'$match': {'g': 3}}, {'$sort': {'k': -1}}]", false, &a), 109);
    {
        bson_iter_t it;

        bson_iter_init(&it, &a);
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t d;

            bson_iter_document(&it, &len, &data);
            bson_init_static(&d, data, len);
            ck_assert_int_eq((int)fx_int(&d, "g"), 3);
            ck_assert(prev < 0 || fx_int(&d, "k") <= prev);
            prev = (int)fx_int(&d, "k");
        }
    }
    bson_destroy(&a);
    /* the first batch is cut from the index scan: a cursor stays open after 5 */
    CMD_OK(c, DB,
           "{'aggregate': 'big', 'cursor': {'batchSize': 5}, 'allowDiskUse': false, "
           "'pipeline': [{'$sort': {'k': 1}}]}",
           &r);
    ck_assert(fx_int(&r, "cursor.id") != 0);
    ASSERT_INT(&r, "cursor.firstBatch.4.k", 1);
    bson_destroy(&r);
    /* a sort no index provides still must sort (and may not spill here) */
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'allowDiskUse': false, "
            "'pipeline': [{'$sort': {'g': 1}}]}",
            &r, 292, "QueryExceededMemoryLimitNoDiskUseAllowed");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* $$NOW and $$CLUSTER_TIME are fixed for the whole command: every document of a streaming
 * cursor, over several getMores with the clock moving between them, sees the same values. */
START_TEST(test_now_fixed_across_getmores)
{
    mongoc_client_t *c = fx_client(&srv);
    mongoc_collection_t *coll;
    bson_t *pipe, *opts;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    int64_t now0 = 0;
    uint32_t t0 = 0, i0 = 0;
    bson_error_t e;
    int n = 0;

    ck_assert(srv_up);
    seed(c);
    coll = mongoc_client_get_collection(c, DB, "big");
    pipe = fx_json("[{'$limit': 12}, {'$project': {'now': '$$NOW', 'ct': '$$CLUSTER_TIME', "
                   "'later': {'$gte': ['$$NOW', {'$toDate': {'$numberLong': '0'}}]}}}]");
    opts = BCON_NEW("batchSize", BCON_INT32(3));
    cur = mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipe, opts, NULL);
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        uint32_t t, i;

        ck_assert(bson_iter_init_find(&it, doc, "now") && BSON_ITER_HOLDS_DATE_TIME(&it));
        if (n == 0)
            now0 = bson_iter_date_time(&it);
        ck_assert_int_eq(bson_iter_date_time(&it), now0);
        ck_assert(bson_iter_init_find(&it, doc, "ct") && BSON_ITER_HOLDS_TIMESTAMP(&it));
        bson_iter_timestamp(&it, &t, &i);
        if (n == 0) {
            t0 = t;
            i0 = i;
        }
        ck_assert(t == t0 && i == i0);
        if (++n % 3 == 0) { /* the next getMore runs on a later clock (and cluster time) */
            bson_t r;

            usleep(20 * 1000);
            CMD_OK(c, DB, "{'insert': 'clock', 'documents': [{}]}", &r);
            bson_destroy(&r);
        }
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s", e.message);
    ck_assert_int_eq(n, 12);
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(pipe);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

/* same_clock -- doc's `now` and `ct` are *now0 and (*t0, *i0), which the first document sets. */
static void
same_clock(const bson_t *doc, bool first, int64_t *now0, uint32_t *t0, uint32_t *i0)
{
    bson_iter_t it;
    uint32_t t, i;

    ck_assert(bson_iter_init_find(&it, doc, "now") && BSON_ITER_HOLDS_DATE_TIME(&it));
    if (first)
        *now0 = bson_iter_date_time(&it);
    ck_assert_int_eq(bson_iter_date_time(&it), *now0);
    ck_assert(bson_iter_init_find(&it, doc, "ct") && BSON_ITER_HOLDS_TIMESTAMP(&it));
    bson_iter_timestamp(&it, &t, &i);
    if (first) {
        *t0 = t;
        *i0 = i;
    }
    ck_assert(t == *t0 && i == *i0);
}

/* find and update read $$NOW and $$CLUSTER_TIME once per command too, as mongod: a find's
 * projection (and its let) over getMores with the clock moving between them, and a pipeline
 * update of many documents whose script makes each document take a few milliseconds. */
START_TEST(test_now_fixed_for_find_and_update)
{
    mongoc_client_t *c = fx_client(&srv);
    mongoc_collection_t *coll;
    bson_t *filter, *opts;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    int64_t now0 = 0;
    uint32_t t0 = 0, i0 = 0;
    bson_error_t e;
    bson_t r;
    int n = 0;

    ck_assert(srv_up);
    fx_cmd(c, DB, "{'drop': 'clocked'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'clocked', 'documents': [{'_id': 0}, {'_id': 1}, {'_id': 2}, {'_id': 3}, "
           "{'_id': 4}, {'_id': 5}, {'_id': 6}, {'_id': 7}, {'_id': 8}]}",
           &r);
    bson_destroy(&r);
    coll = mongoc_client_get_collection(c, DB, "clocked");
    filter = fx_json("{'$expr': {'$lte': ['$$t', '$$NOW']}}");
    opts = fx_json("{'batchSize': 3, 'sort': {'_id': 1}, 'let': {'t': '$$NOW'}, "
                   "'projection': {'now': '$$NOW', 'ct': '$$CLUSTER_TIME', 't': '$$t'}}");
    cur = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;

        same_clock(doc, n == 0, &now0, &t0, &i0);
        ck_assert(bson_iter_init_find(&it, doc, "t") && BSON_ITER_HOLDS_DATE_TIME(&it));
        ck_assert_int_eq(bson_iter_date_time(&it), now0); /* let saw the same $$NOW */
        if (++n % 3 == 0) { /* the next getMore runs on a later clock (and cluster time) */
            usleep(20 * 1000);
            CMD_OK(c, DB, "{'insert': 'clock', 'documents': [{}]}", &r);
            bson_destroy(&r);
        }
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &e), "%s", e.message);
    ck_assert_int_eq(n, 9);
    mongoc_cursor_destroy(cur);
    /* each document's update spins 3 ms in a script; all of them still see one clock */
    CMD_OK(c, DB,
           "{'update': 'clocked', 'updates': [{'q': {}, 'multi': true, 'u': [{'$set': {'w': "
           "{'$function': {'body': 'function() { var e = Date.now() + 3; while (Date.now() < e) "
           "{} return 1; }', 'args': [], 'lang': 'js'}}}}, {'$set': {'now': '$$NOW', "
           "'ct': '$$CLUSTER_TIME'}}]}]}",
           &r);
    ASSERT_INT(&r, "nModified", 9);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'clocked', 'sort': {'_id': 1}}", &r);
    {
        bson_iter_t it, arr;
        bson_t d;

        n = 0;
        ck_assert(bson_iter_init_find(&it, &r, "cursor") && bson_iter_recurse(&it, &arr) &&
                  bson_iter_find(&arr, "firstBatch") && bson_iter_recurse(&arr, &it));
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;

            bson_iter_document(&it, &len, &data);
            ck_assert(bson_init_static(&d, data, len));
            same_clock(&d, n++ == 0, &now0, &t0, &i0);
        }
        ck_assert_int_eq(n, 9);
    }
    bson_destroy(&r);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

/* nine -- drop and fill nowclk with documents _id 0..8, each {t: at_ms}. */
static void
nine(mongoc_client_t *c, int64_t at_ms)
{
    char cmd[1024];
    bson_t r;
    int off = 0;

    fx_cmd(c, DB, "{'drop': 'nowclk'}", &r, NULL);
    bson_destroy(&r);
    off = snprintf(cmd, sizeof(cmd), "{'insert': 'nowclk', 'documents': [");
    for (int k = 0; k < 9; k++)
        off += snprintf(cmd + off, sizeof(cmd) - (size_t)off,
                        "%s{'_id': %d, 't': {'$date': {'$numberLong': '%lld'}}}", k ? ", " : "", k,
                        (long long)at_ms);
    snprintf(cmd + off, sizeof(cmd) - (size_t)off, "]}");
    CMD_OK(c, DB, cmd, &r);
    bson_destroy(&r);
}

/* delete and explain (of every command) fix $$NOW once per command without a `let` too, as
 * mongod: nine documents dated a little ahead, each taking 40 ms to match, pass
 * `$$NOW > t` all or none with one $$NOW, never some (as a clock read per document lets the
 * later ones through). */
START_TEST(test_now_fixed_for_delete_and_explain)
{
    static const struct {
        const char *cmd, *passed; /* the command, where it counts what passed the filter */
    } rows[] = {
        {"{'delete': 'nowclk', 'deletes': [{'q': %s, 'limit': 0}]}", "n"},
        {"{'explain': {'find': 'nowclk', 'filter': %s}, 'verbosity': 'executionStats'}",
         "executionStats.nReturned"},
        {"{'explain': {'delete': 'nowclk', 'deletes': [{'q': %s, 'limit': 0}]}, "
         "'verbosity': 'executionStats'}",
         "executionStats.executionStages.nWouldDelete"},
        {"{'explain': {'count': 'nowclk', 'query': %s}, 'verbosity': 'executionStats'}",
         "executionStats.executionStages.nCounted"},
    };
    static const char filter[] =
        "{'$expr': {'$and': [{'$function': {'body': 'function() { var e = Date.now() + 40; "
        "while (Date.now() < e) {} return true; }', 'args': [], 'lang': 'js'}}, "
        "{'$gt': ['$$NOW', '$t']}]}}";
    mongoc_client_t *c = fx_client(&srv);
    char cmd[1024];
    struct timeval tv;
    bson_t r;

    ck_assert(srv_up);
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        int64_t n;

        gettimeofday(&tv, NULL);
        nine(c, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 + 150);
        snprintf(cmd, sizeof(cmd), rows[k].cmd, filter);
        CMD_OK(c, DB, cmd, &r);
        ck_assert_msg(fx_has(&r, rows[k].passed), "%s", fx_to_json(&r));
        n = fx_int(&r, rows[k].passed);
        ck_assert_msg(n == 0 || n == 9, "%s: %lld of 9 passed: %s", rows[k].cmd, (long long)n,
                      fx_to_json(&r));
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* $planCacheStats lists the collection's plan cache entries in mongod 7.0's shape, the one a
 * raced query made with explain's queryHash, active once a second race confirmed it; it must
 * be the first stage. */
START_TEST(test_plan_cache_stats)
{
    mongoc_client_t *c = fx_client(&srv);
    const char *hash;
    bson_t r, a;

    ck_assert(srv_up);
    seed(c);
    CMD_OK(c, DB,
           "{'createIndexes': 'big', 'indexes': [{'key': {'k': 1}, 'name': 'k_1'}, "
           "{'key': {'g': 1}, 'name': 'g_1'}]}",
           &r);
    bson_destroy(&r);
    ck_assert_int_eq(run_all(c, "[{'$planCacheStats': {}}]", true, &a), 0);
    bson_destroy(&a);
    CMD_OK(c, DB, "{'find': 'big', 'filter': {'k': {'$gte': 990}, 'g': 3}}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(run_all(c, "[{'$planCacheStats': {}}]", true, &a), 1);
    ck_assert(!fx_bool(&a, "0.isActive")); /* one race: not trusted yet */
    bson_destroy(&a);
    CMD_OK(c, DB,
           "{'explain': {'find': 'big', 'filter': {'k': {'$gte': 990}, 'g': 3}}, "
           "'verbosity': 'queryPlanner'}",
           &r);
    ck_assert_int_eq(run_all(c, "[{'$planCacheStats': {}}]", true, &a), 1);
    hash = fx_str(&r, "queryPlanner.queryHash");
    ck_assert_ptr_nonnull(hash);
    ASSERT_STR(&a, "0.queryHash", hash);
    ASSERT_STR(&a, "0.planCacheKey", hash);
    ASSERT_STR(&a, "0.version", "1");
    ck_assert(fx_bool(&a, "0.isActive"));
    ck_assert(fx_has(&a, "0.works") && fx_has(&a, "0.timeOfCreation"));
    ASSERT_INT(&a, "0.createdFromQuery.query.k.$gte", 990);
    ASSERT_INT(&a, "0.createdFromQuery.query.g", 3);
    ASSERT_STR(&a, "0.cachedPlan.stage", "FETCH");
    ASSERT_STR(&a, "0.cachedPlan.inputStage.stage", "IXSCAN");
    ck_assert(fx_has(&a, "0.cachedPlan.inputStage.indexName"));
    ck_assert(fx_has(&a, "0.cachedPlan.inputStage.indexBounds"));
    ck_assert(fx_has(&a, "0.creationExecStats.0.executionStages.inputStage.keysExamined"));
    ck_assert(fx_has(&a, "0.creationExecStats.1.totalDocsExamined"));
    ck_assert(fx_double(&a, "0.candidatePlanScores.0") >= fx_double(&a, "0.candidatePlanScores.1"));
    ck_assert(fx_double(&a, "0.candidatePlanScores.1") >= 1.0);
    ck_assert(!fx_bool(&a, "0.indexFilterSet") && fx_has(&a, "0.estimatedSizeBytes"));
    ck_assert(fx_str(&a, "0.host") != NULL);
    bson_destroy(&a);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'big', 'cursor': {}, 'pipeline': [{'$match': {}}, "
            "{'$planCacheStats': {}}]}",
            &r, 40602, "Location40602");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'planCacheClear': 'big'}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(run_all(c, "[{'$planCacheStats': {}}]", true, &a), 0);
    bson_destroy(&a);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("agg_spill");
    TCase *tc = it_tcase(s, "agg_spill", false);
    tcase_add_unchecked_fixture(tc, srv_start, srv_stop);
    tcase_add_test(tc, test_sort_spills_with_same_order);
    tcase_add_test(tc, test_sort_limit_is_top_k);
    tcase_add_test(tc, test_group_spills_with_same_groups);
    tcase_add_test(tc, test_streaming_reads_what_it_returns);
    tcase_add_test(tc, test_streaming_cursor_continues);
    tcase_add_test(tc, test_limits_are_runtime_parameters);
    tcase_add_test(tc, test_other_blocking_stages_spill);
    tcase_add_test(tc, test_blocking_result_streams_into_spool);
    tcase_add_test(tc, test_leading_sort_uses_index);
    tcase_add_test(tc, test_now_fixed_across_getmores);
    tcase_add_test(tc, test_now_fixed_for_find_and_update);
    tcase_add_test(tc, test_now_fixed_for_delete_and_explain);
    tcase_add_test(tc, test_plan_cache_stats);
    tcase_add_test(tc, test_windows_spill_one_partition);
    tcase_add_test(tc, test_window_no_disk_use_errors);
    tcase_add_test(tc, test_densify_spills_and_limit);
    return it_main(s);
}
