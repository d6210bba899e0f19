/*
 * tests/unit/check_store.c -- unit tests for the master's storage layer (src/master/store.c,
 * catalog.c, records.c, indexes.c, ixscan.c, oplog.c, cursors.c, stats.c, ops.c).
 *
 * Each test opens a WiredTiger store in a fresh temporary directory and drives
 * ms_ops_dispatch directly with request bodies written as extended JSON, as a worker would
 * send them: inserts and the DuplicateKey error shape, collection and index scans with
 * resume, the UPDATE/DELETE compare-and-swap, DDL (create, drop, rename, drop database),
 * index builds and unique violations, the cursor table, stats, the oplog and persistence
 * across a close and reopen.  Each test runs in its own process (Check's fork mode).
 */
#include "../../src/common/config.h"
#include "../../src/common/errors.h"
#include "../../src/common/global.h"
#include "../../src/common/log.h"
#include "../../src/common/sdb.h"
#include "../../src/common/storeop.h"
#include "../../src/master/cursors.h"
#include "../../src/master/oplog.h"
#include "../../src/master/ops.h"
#include "../../src/master/sessions.h"
#include "../../src/master/store.h"
#include "../../src/master/storereq.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tdir[64];
static sdb_config_t tcfg;
static sdb_global_t tglobal;
static ms_ctx_t tctx;
static sdb_error_t terr;

static void
store_up(void)
{
    ck_assert_int_eq(ms_store_open(&tcfg, &tglobal), 0);
    ck_assert_int_eq(ms_store_session_open(&tctx.session), 0);
    tctx.slot = 0;
}

static void
store_down(void)
{
    if (tctx.session != NULL)
        tctx.session->close(tctx.session, NULL);
    tctx.session = NULL;
    ck_assert_int_eq(ms_store_close(), 0);
}

static void
setup(void)
{
    sdb_log_init("test", 2, 1);
    snprintf(tdir, sizeof(tdir), "/tmp/check_store.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
    memset(&tcfg, 0, sizeof(tcfg));
    snprintf(tcfg.dbpath, sizeof(tcfg.dbpath), "%s/db", tdir);
    tcfg.cache_mb = 64;
    tcfg.worker_slot = -1;
    memset(&tglobal, 0, sizeof(tglobal));
    store_up();
}

static void
teardown(void)
{
    char cmd[128];

    if (tctx.session != NULL)
        store_down();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tdir);
}

/* run -- dispatch op with a JSON request; reply (initialized here) must be destroyed. */
static int
run(int op, const char *json, bson_t *reply)
{
    bson_error_t e;
    bson_t *req = bson_new_from_json((const uint8_t *)json, -1, &e);
    int ret;

    ck_assert_msg(req != NULL, "bad JSON %s: %s", json, e.message);
    bson_init(reply);
    memset(&terr, 0, sizeof(terr));
    ret = ms_ops_dispatch(&tctx, op, req, reply, &terr);
    bson_destroy(req);
    return ret;
}

/* run_ok -- run and require success; returns the reply (caller destroys). */
static void
run_ok(int op, const char *json, bson_t *reply)
{
    int ret = run(op, json, reply);

    ck_assert_msg(ret == 0, "%s %s -> %d (%d %s)", sdb_storeop_name(op), json, ret, terr.code,
                  terr.msg);
}

static void
run_drop(int op, const char *json)
{
    bson_t r;

    run_ok(op, json, &r);
    bson_destroy(&r);
}

static int64_t
get_int(const bson_t *b, const char *path)
{
    bson_iter_t it, f;

    ck_assert(bson_iter_init(&it, b));
    ck_assert_msg(bson_iter_find_descendant(&it, path, &f), "no %s", path);
    return bson_iter_as_int64(&f);
}

static bool
get_bool(const bson_t *b, const char *path)
{
    bson_iter_t it, f;

    ck_assert(bson_iter_init(&it, b));
    ck_assert_msg(bson_iter_find_descendant(&it, path, &f), "no %s", path);
    return bson_iter_as_bool(&f);
}

static const char *
get_str(const bson_t *b, const char *path)
{
    bson_iter_t it, f;

    ck_assert(bson_iter_init(&it, b));
    ck_assert_msg(bson_iter_find_descendant(&it, path, &f), "no %s", path);
    ck_assert(BSON_ITER_HOLDS_UTF8(&f));
    return bson_iter_utf8(&f, NULL);
}

static int
has(const bson_t *b, const char *path)
{
    bson_iter_t it, f;

    return bson_iter_init(&it, b) && bson_iter_find_descendant(&it, path, &f);
}

static uint32_t
count_of(const bson_t *b, const char *field)
{
    bson_iter_t it, arr;
    uint32_t n = 0;

    ck_assert(bson_iter_init_find(&it, b, field));
    ck_assert(bson_iter_recurse(&it, &arr));
    while (bson_iter_next(&arr))
        n++;
    return n;
}

/* json_of -- canonical-ish JSON of a sub-document, for comparisons (caller frees). */
static char *
json_of(const bson_t *b, const char *path)
{
    bson_iter_t it, f;
    const uint8_t *data;
    uint32_t len;
    bson_t d;

    ck_assert(bson_iter_init(&it, b));
    ck_assert_msg(bson_iter_find_descendant(&it, path, &f), "no %s", path);
    bson_iter_document(&f, &len, &data);
    ck_assert(bson_init_static(&d, data, len));
    return bson_as_relaxed_extended_json(&d, NULL);
}

static void
insert_n(const char *ns, int from, int to)
{
    char buf[256];

    for (int i = from; i < to; i++) {
        snprintf(buf, sizeof(buf), "{\"ns\":\"%s\",\"docs\":[{\"_id\":%d,\"a\":%d,\"s\":\"x%d\"}]}",
                 ns, i, i % 5, i);
        run_drop(SDB_OP_INSERT, buf);
    }
}

static int
run_bson(int op, const bson_t *req, bson_t *reply)
{
    bson_init(reply);
    memset(&terr, 0, sizeof(terr));
    return ms_ops_dispatch(&tctx, op, req, reply, &terr);
}

/* first_doc -- r and a copy of d of docs[0] in a scan reply. */
static bson_t *
first_doc(const bson_t *reply, int64_t *rid)
{
    bson_iter_t it, f;
    const uint8_t *data;
    uint32_t len;

    *rid = get_int(reply, "docs.0.r");
    ck_assert(bson_iter_init(&it, reply));
    ck_assert(bson_iter_find_descendant(&it, "docs.0.d", &f));
    bson_iter_document(&f, &len, &data);
    return bson_new_from_data(data, len);
}

/* ---- tests ----------------------------------------------------------------------------- */

START_TEST(test_insert_scan)
{
    bson_t r;
    int64_t last;

    run_ok(SDB_OP_INSERT,
           "{\"ns\":\"test.c\",\"docs\":[{\"_id\":1,\"a\":1},{\"_id\":2,\"a\":2},{\"_id\":3}],"
           "\"ordered\":true}",
           &r);
    ck_assert_int_eq(get_int(&r, "n"), 3);
    ck_assert(!has(&r, "writeErrors"));
    bson_destroy(&r);

    run_ok(SDB_OP_SCAN, "{\"ns\":\"test.c\",\"limit\":2}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 2);
    ck_assert(!get_bool(&r, "eof"));
    ck_assert_int_eq(get_int(&r, "docs.0.d._id"), 1);
    last = get_int(&r, "docs.1.r");
    bson_destroy(&r);

    char req[128];
    snprintf(req, sizeof(req),
             "{\"ns\":\"test.c\",\"after\":{\"$numberLong\":\"%lld\"},"
             "\"limit\":10}",
             (long long)last);
    run_ok(SDB_OP_SCAN, req, &r);
    ck_assert_int_eq(count_of(&r, "docs"), 1);
    ck_assert_int_eq(get_int(&r, "docs.0.d._id"), 3);
    ck_assert(get_bool(&r, "eof"));
    bson_destroy(&r);

    run_ok(SDB_OP_SCAN, "{\"ns\":\"test.missing\",\"limit\":10}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 0);
    ck_assert(get_bool(&r, "eof"));
    bson_destroy(&r);

    /* The oplog head moved: one create and three inserts. */
    ck_assert_uint_gt(atomic_load(&tglobal.oplog_head), 0);
    ck_assert_uint_ge(atomic_load(&tglobal.oplog_wake), 4);
}
END_TEST

START_TEST(test_duplicate_id)
{
    bson_t r;
    char *kv;

    insert_n("test.c", 1, 2);
    run_ok(SDB_OP_INSERT,
           "{\"ns\":\"test.c\",\"docs\":[{\"_id\":1,\"b\":1},{\"_id\":5}],\"ordered\":true}", &r);
    ck_assert_int_eq(get_int(&r, "n"), 0);
    ck_assert_int_eq(count_of(&r, "writeErrors"), 1);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.index"), 0);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.code"), 11000);
    ck_assert_str_eq(get_str(&r, "writeErrors.0.errmsg"),
                     "E11000 duplicate key error collection: test.c index: _id_ dup key: "
                     "{ _id: 1 }");
    kv = json_of(&r, "writeErrors.0.keyValue");
    ck_assert_str_eq(kv, "{ \"_id\" : 1 }");
    bson_free(kv);
    kv = json_of(&r, "writeErrors.0.keyPattern");
    ck_assert_str_eq(kv, "{ \"_id\" : 1 }");
    bson_free(kv);
    bson_destroy(&r);

    /* Unordered: the error is reported and the rest goes in. */
    run_ok(
        SDB_OP_INSERT,
        "{\"ns\":\"test.c\",\"docs\":[{\"_id\":7},{\"_id\":1},{\"_id\":\"s\"}],\"ordered\":false}",
        &r);
    ck_assert_int_eq(get_int(&r, "n"), 2);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.index"), 1);
    bson_destroy(&r);

    run_ok(SDB_OP_INSERT, "{\"ns\":\"test.c\",\"docs\":[{\"_id\":\"s\"}]}", &r);
    ck_assert_str_eq(get_str(&r, "writeErrors.0.errmsg"),
                     "E11000 duplicate key error collection: test.c index: _id_ dup key: "
                     "{ _id: \"s\" }");
    bson_destroy(&r);

    /* A numerically equal _id of another type is the same key. */
    run_ok(SDB_OP_INSERT, "{\"ns\":\"test.c\",\"docs\":[{\"_id\":1.0}]}", &r);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.code"), 11000);
    bson_destroy(&r);
}
END_TEST

START_TEST(test_indexes_and_ixscan)
{
    bson_t r;
    char buf[512];
    const char *tok;
    bson_iter_t it;

    insert_n("test.c", 0, 20); /* a = i % 5 */
    run_ok(SDB_OP_CREATE_INDEXES,
           "{\"ns\":\"test.c\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},\"name\":\"a_1\"}]}", &r);
    ck_assert_int_eq(get_int(&r, "numIndexesBefore"), 1);
    ck_assert_int_eq(get_int(&r, "numIndexesAfter"), 2);
    ck_assert(!get_bool(&r, "createdCollectionAutomatically"));
    bson_destroy(&r);

    /* Same spec again: nothing to do.  Same name other key: 86.  Same key other name: 85. */
    run_ok(SDB_OP_CREATE_INDEXES,
           "{\"ns\":\"test.c\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},\"name\":\"a_1\"}]}", &r);
    ck_assert_int_eq(get_int(&r, "numIndexesAfter"), 2);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE_INDEXES,
                         "{\"ns\":\"test.c\",\"indexes\":[{\"key\":{\"b\":1},\"name\":\"a_1\"}]}",
                         &r),
                     SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 86);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE_INDEXES,
                         "{\"ns\":\"test.c\",\"indexes\":[{\"key\":{\"a\":1},\"name\":\"x\"}]}",
                         &r),
                     SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 85);
    bson_destroy(&r);

    /* a in [1, 2]: 8 records, in (a, r) order. */
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"test.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":1},\"hi\":{\"a\":2},"
           "\"loIncl\":true,\"hiIncl\":true}],\"dir\":1,\"limit\":100}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 8);
    ck_assert_int_eq(get_int(&r, "docs.0.d.a"), 1);
    ck_assert_int_eq(get_int(&r, "docs.0.d._id"), 1);
    ck_assert_int_eq(get_int(&r, "docs.7.d.a"), 2);
    ck_assert(get_bool(&r, "eof"));
    bson_destroy(&r);

    /* a in (1, 4) descending, 3 at a time with resume. */
    int total = 0, prev_a = 99;
    tok = NULL;
    char tokhex[256] = "";
    for (int round = 0; round < 10; round++) {
        int n = snprintf(buf, sizeof(buf),
                         "{\"ns\":\"test.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":1},"
                         "\"hi\":{\"a\":4},\"loIncl\":false,\"hiIncl\":false}],\"dir\":-1,"
                         "\"limit\":3%s%s%s}",
                         tokhex[0] ? ",\"after\":{\"$binary\":{\"base64\":\"" : "", tokhex,
                         tokhex[0] ? "\",\"subType\":\"00\"}}" : "");
        ck_assert_int_lt(n, (int)sizeof(buf));
        run_ok(SDB_OP_IXSCAN, buf, &r);
        uint32_t got = count_of(&r, "docs");
        for (uint32_t i = 0; i < got; i++) {
            char p[32];
            snprintf(p, sizeof(p), "docs.%u.d.a", i);
            int a = (int)get_int(&r, p);
            ck_assert_int_le(a, prev_a);
            ck_assert(a == 2 || a == 3);
            prev_a = a;
        }
        total += (int)got;
        if (get_bool(&r, "eof")) {
            bson_destroy(&r);
            break;
        }
        ck_assert(bson_iter_init_find(&it, &r, "resume"));
        bson_subtype_t st;
        uint32_t len;
        const uint8_t *data;
        bson_iter_binary(&it, &st, &len, &data);
        char *b64 = NULL;
        {
            bson_t tmp = BSON_INITIALIZER;
            BSON_APPEND_BINARY(&tmp, "x", BSON_SUBTYPE_BINARY, data, len);
            char *j = bson_as_canonical_extended_json(&tmp, NULL);
            char *s = strstr(j, "\"base64\" : \"");
            ck_assert_ptr_nonnull(s);
            s += strlen("\"base64\" : \"");
            b64 = bson_strndup(s, strcspn(s, "\""));
            bson_free(j);
            bson_destroy(&tmp);
        }
        snprintf(tokhex, sizeof(tokhex), "%s", b64);
        bson_free(b64);
        bson_destroy(&r);
    }
    ck_assert_int_eq(total, 8);
    SDB_UNUSED(tok);
}
END_TEST

START_TEST(test_unique_index)
{
    bson_t r;

    insert_n("test.u", 0, 10); /* a = i % 5: duplicates */
    ck_assert_int_eq(run(SDB_OP_CREATE_INDEXES,
                         "{\"ns\":\"test.u\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},"
                         "\"name\":\"a_1\",\"unique\":true}]}",
                         &r),
                     SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 11000);
    ck_assert(strstr(terr.msg, "E11000 duplicate key error collection: test.u index: a_1 dup "
                               "key: { a: ") == terr.msg);
    bson_destroy(&r);
    /* The failed build left nothing behind. */
    run_ok(SDB_OP_CATALOG, "{}", &r);
    ck_assert_int_eq(count_of(&r, "collections"), 1);
    bson_iter_t it, ix;
    ck_assert(bson_iter_init(&it, &r));
    ck_assert(bson_iter_find_descendant(&it, "collections.0.indexes", &ix));
    bson_destroy(&r);

    /* Unique on s (all distinct) builds; a violating insert is 11000 with keyPattern. */
    run_ok(SDB_OP_CREATE_INDEXES,
           "{\"ns\":\"test.u\",\"indexes\":[{\"v\":2,\"key\":{\"s\":-1},\"name\":\"s_-1\","
           "\"unique\":true}]}",
           &r);
    ck_assert_int_eq(get_int(&r, "numIndexesAfter"), 2);
    bson_destroy(&r);
    run_ok(SDB_OP_INSERT, "{\"ns\":\"test.u\",\"docs\":[{\"_id\":100,\"s\":\"x3\"}]}", &r);
    ck_assert_int_eq(get_int(&r, "n"), 0);
    ck_assert_str_eq(get_str(&r, "writeErrors.0.errmsg"),
                     "E11000 duplicate key error collection: test.u index: s_-1 dup key: "
                     "{ s: \"x3\" }");
    char *kp = json_of(&r, "writeErrors.0.keyPattern");
    ck_assert_str_eq(kp, "{ \"s\" : -1 }");
    bson_free(kp);
    bson_destroy(&r);
    /* The failed insert left no _id entry: _id 100 can be inserted. */
    run_ok(SDB_OP_INSERT, "{\"ns\":\"test.u\",\"docs\":[{\"_id\":100,\"s\":\"new\"}]}", &r);
    ck_assert_int_eq(get_int(&r, "n"), 1);
    bson_destroy(&r);

    /* Drop indexes: by name, by key, "*"; _id_ cannot go. */
    ck_assert_int_eq(run(SDB_OP_DROP_INDEXES, "{\"ns\":\"test.u\",\"index\":\"_id_\"}", &r),
                     SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 72);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_DROP_INDEXES, "{\"ns\":\"test.u\",\"index\":\"nope\"}", &r),
                     SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 27);
    bson_destroy(&r);
    run_ok(SDB_OP_DROP_INDEXES, "{\"ns\":\"test.u\",\"index\":{\"s\":-1}}", &r);
    ck_assert_int_eq(get_int(&r, "nIndexesWas"), 2);
    bson_destroy(&r);
    run_ok(SDB_OP_INSERT, "{\"ns\":\"test.u\",\"docs\":[{\"_id\":101,\"s\":\"x3\"}]}", &r);
    ck_assert_int_eq(get_int(&r, "n"), 1);
    bson_destroy(&r);

    /* Sparse unique: documents without the field have no entry; equal values conflict. */
    run_drop(SDB_OP_CREATE_INDEXES,
             "{\"ns\":\"test.u\",\"indexes\":[{\"v\":2,\"key\":{\"e.f\":1},\"name\":\"e\","
             "\"unique\":true,\"sparse\":true}]}");
    run_ok(SDB_OP_INSERT,
           "{\"ns\":\"test.u\",\"docs\":[{\"_id\":200},{\"_id\":201},{\"_id\":202,\"e\":[{\"f\":1."
           "5}]},"
           "{\"_id\":203,\"e\":{\"f\":1.5}}],\"ordered\":false}",
           &r);
    ck_assert_int_eq(get_int(&r, "n"), 3);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.index"), 3);
    ck_assert_str_eq(get_str(&r, "writeErrors.0.errmsg"),
                     "E11000 duplicate key error collection: test.u index: e dup key: "
                     "{ e.f: 1.5 }");
    bson_destroy(&r);
}
END_TEST

START_TEST(test_update_delete_cas)
{
    bson_t r, req, *old, *new;
    int64_t rid;

    insert_n("test.c", 0, 3);
    run_drop(SDB_OP_CREATE_INDEXES,
             "{\"ns\":\"test.c\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},\"name\":\"a_1\"}]}");
    run_ok(SDB_OP_SCAN, "{\"ns\":\"test.c\",\"limit\":1}", &r);
    old = first_doc(&r, &rid);
    bson_destroy(&r);

    new = BCON_NEW("_id", BCON_INT32(0), "a", BCON_INT32(42));
    bson_init(&req);
    BSON_APPEND_UTF8(&req, "ns", "test.c");
    BSON_APPEND_INT64(&req, "r", rid);
    BSON_APPEND_DOCUMENT(&req, "old", old);
    BSON_APPEND_DOCUMENT(&req, "new", new);
    ck_assert_int_eq(run_bson(SDB_OP_UPDATE, &req, &r), 0);
    ck_assert_int_eq(get_int(&r, "n"), 1);
    bson_destroy(&r);
    /* Same request again: the stored bytes are no longer `old`. */
    ck_assert_int_eq(run_bson(SDB_OP_UPDATE, &req, &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 112);
    bson_destroy(&r);
    bson_destroy(&req);

    /* The index follows: a = 42 finds it, a = 0 does not. */
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"test.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":42},\"hi\":{\"a\":42},"
           "\"loIncl\":true,\"hiIncl\":true}],\"limit\":10}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 1);
    bson_destroy(&r);
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"test.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":0},\"hi\":{\"a\":0},"
           "\"loIncl\":true,\"hiIncl\":true}],\"limit\":10}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 0);
    bson_destroy(&r);

    /* Delete with a stale old: 112; with the current bytes: n = 1; again: n = 0. */
    bson_init(&req);
    BSON_APPEND_UTF8(&req, "ns", "test.c");
    BSON_APPEND_INT64(&req, "r", rid);
    BSON_APPEND_DOCUMENT(&req, "old", old);
    ck_assert_int_eq(run_bson(SDB_OP_DELETE, &req, &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 112);
    bson_destroy(&r);
    bson_destroy(&req);
    bson_init(&req);
    BSON_APPEND_UTF8(&req, "ns", "test.c");
    BSON_APPEND_INT64(&req, "r", rid);
    BSON_APPEND_DOCUMENT(&req, "old", new);
    ck_assert_int_eq(run_bson(SDB_OP_DELETE, &req, &r), 0);
    ck_assert_int_eq(get_int(&r, "n"), 1);
    bson_destroy(&r);
    ck_assert_int_eq(run_bson(SDB_OP_DELETE, &req, &r), 0);
    ck_assert_int_eq(get_int(&r, "n"), 0);
    bson_destroy(&r);
    bson_destroy(&req);
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"test.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":42},\"hi\":{\"a\":42},"
           "\"loIncl\":true,\"hiIncl\":true}],\"limit\":10}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 0);
    bson_destroy(&r);
    /* An update that would duplicate _id 1 is 11000 with keyValue in the reply. */
    run_ok(SDB_OP_SCAN, "{\"ns\":\"test.c\",\"limit\":1}", &r);
    bson_destroy(old);
    old = first_doc(&r, &rid);
    bson_destroy(&r);
    bson_destroy(new);
    new = BCON_NEW("_id", BCON_INT32(2));
    bson_init(&req);
    BSON_APPEND_UTF8(&req, "ns", "test.c");
    BSON_APPEND_INT64(&req, "r", rid);
    BSON_APPEND_DOCUMENT(&req, "old", old);
    BSON_APPEND_DOCUMENT(&req, "new", new);
    ck_assert_int_eq(run_bson(SDB_OP_UPDATE, &req, &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 11000);
    ck_assert(has(&r, "keyValue"));
    bson_destroy(&r);
    bson_destroy(&req);
    bson_destroy(old);
    bson_destroy(new);
}
END_TEST

START_TEST(test_ddl)
{
    bson_t r;

    run_ok(SDB_OP_CREATE, "{\"ns\":\"db1.a\",\"options\":{\"capped\":false}}", &r);
    ck_assert(get_bool(&r, "created"));
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE, "{\"ns\":\"db1.a\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 48);
    bson_destroy(&r);
    run_ok(SDB_OP_CREATE, "{\"ns\":\"db1.a\",\"ifNotExists\":true}", &r);
    ck_assert(!get_bool(&r, "created"));
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE, "{\"ns\":\"db1.a$b\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 73);
    ck_assert_str_eq(terr.msg, "Invalid collection name: a$b"); /* mongod's userAllowedCreateNS */
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE, "{\"ns\":\"bad db.a\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 73);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_CREATE, "{\"ns\":\"db1.system.foo\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 73);
    bson_destroy(&r);

    insert_n("db1.a", 0, 5);
    uint64_t v0 = atomic_load(&tglobal.catalog_version);
    run_drop(SDB_OP_RENAME, "{\"from\":\"db1.a\",\"to\":\"db1.b\",\"dropTarget\":false}");
    ck_assert_uint_gt(atomic_load(&tglobal.catalog_version), v0);
    run_ok(SDB_OP_SCAN, "{\"ns\":\"db1.b\",\"limit\":100}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 5);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_RENAME, "{\"from\":\"db1.a\",\"to\":\"db1.c\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 26);
    bson_destroy(&r);
    insert_n("db1.c", 0, 1);
    ck_assert_int_eq(run(SDB_OP_RENAME, "{\"from\":\"db1.b\",\"to\":\"db1.c\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 48);
    bson_destroy(&r);
    run_drop(SDB_OP_RENAME, "{\"from\":\"db1.b\",\"to\":\"db1.c\",\"dropTarget\":true}");
    run_ok(SDB_OP_SCAN, "{\"ns\":\"db1.c\",\"limit\":100}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 5);
    bson_destroy(&r);

    run_ok(SDB_OP_DROP, "{\"ns\":\"db1.c\"}", &r);
    ck_assert_int_eq(get_int(&r, "nIndexesWas"), 1);
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_DROP, "{\"ns\":\"db1.c\"}", &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 26);
    ck_assert_str_eq(terr.msg, "ns not found");
    bson_destroy(&r);

    insert_n("db2.x", 0, 1);
    insert_n("db2.y", 0, 1);
    insert_n("db3.x", 0, 1);
    run_ok(SDB_OP_DROP_DB, "{\"db\":\"db2\"}", &r);
    ck_assert_int_eq(count_of(&r, "dropped"), 2);
    bson_destroy(&r);
    run_ok(SDB_OP_CATALOG, "{}", &r);
    ck_assert_int_eq(count_of(&r, "collections"), 1); /* db3.x */
    ck_assert_str_eq(get_str(&r, "collections.0.ns"), "db3.x");
    bson_destroy(&r);
}
END_TEST

/* A session idle for logicalSessionTimeoutMinutes expires and takes its cursors with it; a
 * cursor of no session, or of a live one, stays; a cursor continues only in its session. */
#define LSID_A "{\"$binary\":{\"base64\":\"AAECAwQFRgcICQoLDA0ODw==\",\"subType\":\"04\"}}"
#define LSID_B "{\"$binary\":{\"base64\":\"EBESExQVRhcYGRobHB0eHw==\",\"subType\":\"04\"}}"
#define UID_0                                                                                      \
    "{\"$binary\":{\"base64\":\"47DEQpj8HBSa+/"                                                    \
    "TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"subType\":\"00\"}}"

/* The session keys the storage requests carry: {id, uid} (common/lsid.h). */
#define KEY_A "{\"id\":" LSID_A ",\"uid\":" UID_0 "}"
#define KEY_B "{\"id\":" LSID_B ",\"uid\":" UID_0 "}"

static int64_t
new_cursor(const char *lsid)
{
    char req[512];
    bson_t r;
    int64_t id;

    snprintf(req, sizeof(req), "{\"ns\":\"test.s\",\"state\":{}%s%s}", lsid ? ",\"lsid\":" : "",
             lsid ? lsid : "");
    run_ok(SDB_OP_CURSOR_NEW, req, &r);
    id = get_int(&r, "id");
    bson_destroy(&r);
    return id;
}

/* get_code -- CURSOR_GET of id (in session lsid or none): 0 or the error code; checks it in. */
static int
get_code(int64_t id, const char *lsid)
{
    char req[512];
    bson_t r;
    int ret;

    snprintf(req, sizeof(req), "{\"id\":{\"$numberLong\":\"%lld\"},\"n\":1%s%s}", (long long)id,
             lsid ? ",\"lsid\":" : "", lsid ? lsid : "");
    ret = run(SDB_OP_CURSOR_GET, req, &r);
    bson_destroy(&r);
    if (ret != 0)
        return terr.code;
    snprintf(req, sizeof(req), "{\"id\":{\"$numberLong\":\"%lld\"},\"done\":false}", (long long)id);
    run_drop(SDB_OP_CURSOR_PUT, req);
    return 0;
}

START_TEST(test_session_expiry)
{
    int64_t now = ms_now_ms(), in_a, in_b, none;
    bson_t r;

    ms_sessions_set_timeout(1); /* logicalSessionTimeoutMinutes=1 */
    run_drop(SDB_OP_SESSION_NOTE, "{\"sessions\":[{\"id\":" LSID_A ",\"uid\":" UID_0 "}]}");
    in_a = new_cursor(KEY_A);
    in_b = new_cursor(KEY_B);
    none = new_cursor(NULL);
    /* the binding: only the cursor's own session continues it */
    ck_assert_int_eq(get_code(in_a, KEY_B), 50738);
    ck_assert_int_eq(get_code(in_a, NULL), 50737);
    ck_assert_int_eq(get_code(none, KEY_A), 50736);
    ck_assert_int_eq(get_code(in_a, KEY_A), 0);
    ck_assert_int_eq(get_code(none, NULL), 0);
    /* idle less than the timeout: kept */
    ck_assert_uint_eq(ms_sessions_expire(now + 59 * 1000), 0);
    ck_assert_int_eq(get_code(in_a, KEY_A), 0);
    /* idle longer: the session and its cursors are gone, nothing else */
    ck_assert_uint_eq(ms_sessions_expire(now + 61 * 1000), 1);
    ck_assert_int_eq(get_code(in_a, KEY_A), 43);
    ck_assert_int_eq(get_code(in_b, KEY_B), 0);
    ck_assert_int_eq(get_code(none, NULL), 0);
    run_ok(SDB_OP_SESSION_LIST, "{}", &r);
    ck_assert_int_eq(count_of(&r, "sessions"), 0);
    bson_destroy(&r);
    /* killing a session (killSessions) takes its cursors; it stays listed */
    run_drop(SDB_OP_SESSION_NOTE, "{\"sessions\":[{\"id\":" LSID_B ",\"uid\":" UID_0 "}]}");
    run_ok(SDB_OP_SESSION_KILL, "{\"ids\":[" KEY_B "]}", &r);
    ck_assert_int_eq(get_int(&r, "killed"), 1);
    bson_destroy(&r);
    ck_assert_int_eq(get_code(in_b, KEY_B), 43);
    ck_assert_int_eq(get_code(none, NULL), 0);
    run_ok(SDB_OP_SESSION_LIST, "{}", &r);
    ck_assert_int_eq(count_of(&r, "sessions"), 1);
    bson_destroy(&r);
    ms_sessions_set_timeout(30);
}
END_TEST

START_TEST(test_cursors)
{
    bson_t r;
    char req[128];
    int64_t id;

    run_ok(SDB_OP_CURSOR_NEW,
           "{\"ns\":\"test.c\",\"state\":{\"pos\":1},\"docs\":[{\"a\":1},{\"a\":2},{\"a\":3}]}",
           &r);
    id = get_int(&r, "id");
    ck_assert_int_gt(id, 0);
    bson_destroy(&r);

    snprintf(req, sizeof(req), "{\"id\":{\"$numberLong\":\"%lld\"},\"n\":2}", (long long)id);
    run_ok(SDB_OP_CURSOR_GET, req, &r);
    ck_assert_str_eq(get_str(&r, "ns"), "test.c");
    ck_assert_int_eq(get_int(&r, "state.pos"), 1);
    ck_assert_int_eq(count_of(&r, "docs"), 2);
    ck_assert_int_eq(get_int(&r, "docs.1.a"), 2);
    bson_destroy(&r);
    ck_assert_uint_eq(atomic_load(&ms_store_global()->cursor_open), 1);
    ck_assert_uint_eq(atomic_load(&ms_store_global()->cursor_pinned), 1); /* metrics.cursor */
    /* Checked out: a second GET is CursorInUse. */
    ck_assert_int_eq(run(SDB_OP_CURSOR_GET, req, &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 143);
    bson_destroy(&r);
    /* The worker died: the cursor is back in the table. */
    ms_ops_channel_died(0);
    ck_assert_uint_eq(atomic_load(&ms_store_global()->cursor_pinned), 0);
    run_ok(SDB_OP_CURSOR_GET, req, &r);
    ck_assert_int_eq(count_of(&r, "docs"), 1);
    ck_assert_int_eq(get_int(&r, "docs.0.a"), 3);
    bson_destroy(&r);
    snprintf(req, sizeof(req),
             "{\"id\":{\"$numberLong\":\"%lld\"},\"state\":{\"pos\":2},"
             "\"done\":false}",
             (long long)id);
    run_drop(SDB_OP_CURSOR_PUT, req);
    snprintf(req, sizeof(req), "{\"id\":{\"$numberLong\":\"%lld\"},\"n\":5}", (long long)id);
    run_ok(SDB_OP_CURSOR_GET, req, &r);
    ck_assert_int_eq(get_int(&r, "state.pos"), 2);
    ck_assert_int_eq(count_of(&r, "docs"), 0);
    bson_destroy(&r);

    snprintf(req, sizeof(req), "{\"ids\":[{\"$numberLong\":\"%lld\"},{\"$numberLong\":\"7\"}]}",
             (long long)id);
    run_ok(SDB_OP_CURSOR_KILL, req, &r);
    ck_assert_int_eq(get_int(&r, "killed.0"), id);
    ck_assert_int_eq(get_int(&r, "notFound.0"), 7);
    bson_destroy(&r);
    snprintf(req, sizeof(req), "{\"id\":{\"$numberLong\":\"%lld\"},\"n\":5}", (long long)id);
    ck_assert_int_eq(run(SDB_OP_CURSOR_GET, req, &r), SDB_ECLIENT);
    ck_assert_int_eq(terr.code, 43);
    bson_destroy(&r);

    /* Idle expiry. */
    run_drop(SDB_OP_CURSOR_NEW, "{\"ns\":\"test.c\",\"state\":{}}");
    ck_assert_uint_eq(ms_cursors_count(), 1);
    ck_assert_uint_eq(ms_cursors_expire(ms_now_ms()), 0);
    ck_assert_uint_eq(ms_cursors_expire(ms_now_ms() + MS_CURSOR_IDLE_MS + 1000), 1);
    ck_assert_uint_eq(ms_cursors_count(), 0);
    ck_assert_uint_eq(atomic_load(&ms_store_global()->cursor_open), 0);
    ck_assert_uint_eq(atomic_load(&ms_store_global()->cursor_timed_out), 1);
}
END_TEST

START_TEST(test_stats_flush)
{
    bson_t r;

    insert_n("s1.a", 0, 10);
    insert_n("s1.b", 0, 3);
    insert_n("s2.a", 0, 1);
    run_ok(SDB_OP_STATS, "{\"db\":\"s1\"}", &r);
    ck_assert_int_eq(count_of(&r, "collections"), 2);
    ck_assert_int_eq(get_int(&r, "collections.0.count"), 10);
    ck_assert_int_gt(get_int(&r, "collections.0.size"), 10 * 20);
    ck_assert_int_gt(get_int(&r, "collections.0.storageSize"), 0);
    ck_assert_int_gt(get_int(&r, "collections.0.indexSizes._id_"), 0);
    ck_assert_int_gt(get_int(&r, "collections.0.totalIndexSize"), 0);
    bson_destroy(&r);
    run_ok(SDB_OP_STATS, "{\"ns\":\"s1.b\"}", &r);
    ck_assert_int_eq(count_of(&r, "collections"), 1);
    ck_assert_int_eq(get_int(&r, "collections.0.count"), 3);
    bson_destroy(&r);
    run_drop(SDB_OP_FLUSH, "{}");
    ck_assert_int_eq(run(99, "{}", &r), SDB_ECLIENT);
    bson_destroy(&r);
}
END_TEST

START_TEST(test_reopen)
{
    bson_t r;
    uint64_t head;

    insert_n("p.c", 0, 5);
    run_drop(SDB_OP_CREATE_INDEXES,
             "{\"ns\":\"p.c\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},\"name\":\"a_1\","
             "\"unique\":false}]}");
    head = atomic_load(&tglobal.oplog_head);
    store_down();
    memset(&tglobal, 0, sizeof(tglobal));
    store_up();
    ck_assert_uint_eq(atomic_load(&tglobal.oplog_head), head);
    run_ok(SDB_OP_CATALOG, "{}", &r);
    ck_assert_int_eq(count_of(&r, "collections"), 1);
    ck_assert_str_eq(get_str(&r, "collections.0.indexes.1.name"), "a_1");
    ck_assert(!has(&r, "collections.0.indexes.1.table"));
    bson_destroy(&r);
    insert_n("p.c", 5, 6);
    run_ok(SDB_OP_SCAN, "{\"ns\":\"p.c\",\"limit\":100}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 6);
    ck_assert_int_eq(get_int(&r, "docs.5.d._id"), 5);
    ck_assert_int_gt(get_int(&r, "docs.5.r"), get_int(&r, "docs.4.r"));
    bson_destroy(&r);
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"p.c\",\"index\":\"a_1\",\"ranges\":[{\"lo\":{\"a\":{\"$minKey\":1}},"
           "\"hi\":{\"a\":{\"$maxKey\":1}},\"loIncl\":true,\"hiIncl\":true}],\"limit\":100}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 6);
    bson_destroy(&r);
    ck_assert_uint_gt(atomic_load(&tglobal.oplog_head), head);
}
END_TEST

START_TEST(test_oplog_read)
{
    bson_t r;
    char req[160];
    int64_t last;

    insert_n("o.c", 0, 3);
    run_ok(SDB_OP_SCAN, "{\"ns\":\"local.oplog.rs\",\"limit\":2}", &r);
    ck_assert_int_eq(count_of(&r, "docs"), 2);
    ck_assert(!get_bool(&r, "eof"));
    ck_assert_str_eq(get_str(&r, "docs.0.d.op"), "c"); /* create */
    ck_assert_str_eq(get_str(&r, "docs.0.d.ns"), "o.$cmd");
    ck_assert_str_eq(get_str(&r, "docs.0.d.o.create"), "c");
    ck_assert_str_eq(get_str(&r, "docs.1.d.op"), "i");
    ck_assert_str_eq(get_str(&r, "docs.1.d.ns"), "o.c");
    ck_assert_int_eq(get_int(&r, "docs.1.d.o._id"), 0);
    ck_assert_int_eq(get_int(&r, "docs.1.d.v"), 2);
    ck_assert_int_gt(get_int(&r, "docs.1.r"), get_int(&r, "docs.0.r"));
    last = get_int(&r, "docs.1.r");
    bson_destroy(&r);
    snprintf(req, sizeof(req),
             "{\"ns\":\"local.oplog.rs\",\"after\":{\"$numberLong\":\"%lld\"},\"limit\":10}",
             (long long)last);
    run_ok(SDB_OP_SCAN, req, &r);
    ck_assert_int_eq(count_of(&r, "docs"), 2);
    ck_assert(get_bool(&r, "eof"));
    ck_assert_int_eq(get_int(&r, "docs.1.d.o._id"), 2);
    ck_assert_uint_eq((uint64_t)get_int(&r, "docs.1.r"), atomic_load(&tglobal.oplog_head));
    bson_destroy(&r);
    ck_assert_int_eq(run(SDB_OP_INSERT, "{\"ns\":\"local.oplog.rs\",\"docs\":[{\"_id\":1}]}", &r),
                     0);
    ck_assert_int_eq(get_int(&r, "writeErrors.0.code"), 73);
    bson_destroy(&r);
}
END_TEST

START_TEST(test_oplog_cap)
{
    insert_n("o.c", 0, 200);
    ms_oplog_set_cap(4096);
    ck_assert_uint_gt(ms_oplog_tick(ms_store_house_session()), 0);
    ck_assert_uint_eq(ms_oplog_tick(ms_store_house_session()), 0);
    ms_oplog_set_cap(0);
    ms_ops_tick();
}
END_TEST

START_TEST(test_in_memory)
{
    bson_t r;

    store_down();
    snprintf(tcfg.dbpath, sizeof(tcfg.dbpath), ":memory:");
    store_up();
    insert_n("m.c", 0, 3);
    run_ok(SDB_OP_STATS, "{}", &r);
    ck_assert_int_eq(get_int(&r, "collections.0.count"), 3);
    ck_assert_int_gt(get_int(&r, "collections.0.indexSizes._id_"), 0);
    bson_destroy(&r);
    run_drop(SDB_OP_FLUSH, "{}");
}
END_TEST

typedef struct racer {
    int t;
    int ok, dup, other;
} racer_t;

/* racer_main -- insert _id = t*1000+i, u = i for i < 300 on its own session. */
static void *
racer_main(void *arg)
{
    racer_t *rc = arg;
    ms_ctx_t ctx = {NULL, rc->t};

    if (ms_store_session_open(&ctx.session) != 0) {
        rc->other = -1;
        return NULL;
    }
    for (int i = 0; i < 300; i++) {
        bson_t *req = BCON_NEW("ns", BCON_UTF8("test.race"), "docs", "[", "{", "_id",
                               BCON_INT32(rc->t * 1000 + i), "u", BCON_INT32(i), "}", "]");
        sdb_error_t e = {0};
        bson_t reply = BSON_INITIALIZER;
        bson_iter_t it;
        int ret = ms_ops_dispatch(&ctx, SDB_OP_INSERT, req, &reply, &e);
        if (ret != 0)
            rc->other++;
        else if (bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) == 1)
            rc->ok++;
        else if (has(&reply, "writeErrors.0.code") &&
                 get_int(&reply, "writeErrors.0.code") == 11000)
            rc->dup++;
        else
            rc->other++;
        bson_destroy(&reply);
        bson_destroy(req);
    }
    ctx.session->close(ctx.session, NULL);
    return NULL;
}

START_TEST(test_concurrent_unique)
{
    pthread_t th[4];
    racer_t rc[4];
    int ok = 0, dup = 0;
    bson_t r;

    run_drop(SDB_OP_CREATE_INDEXES,
             "{\"ns\":\"test.race\",\"indexes\":[{\"v\":2,\"key\":{\"u\":1},\"name\":\"u_1\","
             "\"unique\":true}]}");
    for (int t = 0; t < 4; t++) {
        rc[t] = (racer_t){t + 1, 0, 0, 0};
        ck_assert_int_eq(pthread_create(&th[t], NULL, racer_main, &rc[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        ck_assert_int_eq(rc[t].other, 0);
        ok += rc[t].ok;
        dup += rc[t].dup;
    }
    ck_assert_int_eq(ok, 300);
    ck_assert_int_eq(dup, 900);
    run_ok(SDB_OP_STATS, "{\"ns\":\"test.race\"}", &r);
    ck_assert_int_eq(get_int(&r, "collections.0.count"), 300);
    bson_destroy(&r);
    run_ok(SDB_OP_IXSCAN,
           "{\"ns\":\"test.race\",\"index\":\"u_1\",\"ranges\":[{\"lo\":{\"u\":{\"$minKey\":1}},"
           "\"hi\":{\"u\":{\"$maxKey\":1}}}],\"limit\":1000}",
           &r);
    ck_assert_int_eq(count_of(&r, "docs"), 300);
    bson_destroy(&r);
}
END_TEST

/* count_tables -- WiredTiger tables whose name starts with prefix. */
static int
count_tables(WT_SESSION *s, const char *prefix)
{
    WT_CURSOR *c;
    const char *key;
    int n = 0;

    ck_assert_int_eq(s->open_cursor(s, "metadata:", NULL, NULL, &c), 0);
    while (c->next(c) == 0) {
        ck_assert_int_eq(c->get_key(c, &key), 0);
        if (strncmp(key, prefix, strlen(prefix)) == 0)
            n++;
    }
    c->close(c);
    return n;
}

START_TEST(test_drop_with_other_sessions)
{
    ms_ctx_t other = {NULL, 1};
    bson_t r, req;

    /* Another service thread's session has used (and cached cursors on) the tables. */
    ck_assert_int_eq(ms_store_session_open(&other.session), 0);
    run_drop(SDB_OP_CREATE_INDEXES,
             "{\"ns\":\"test.d\",\"indexes\":[{\"v\":2,\"key\":{\"a\":1},\"name\":\"a_1\"}]}");
    bson_init(&req);
    BCON_APPEND(&req, "ns", BCON_UTF8("test.d"), "docs", "[", "{", "_id", BCON_INT32(1), "a",
                BCON_INT32(1), "}", "]");
    bson_init(&r);
    ck_assert_int_eq(ms_ops_dispatch(&other, SDB_OP_INSERT, &req, &r, &terr), 0);
    bson_destroy(&r);
    bson_destroy(&req);
    ck_assert_int_eq(count_tables(tctx.session, "table:coll-"), 1);
    ck_assert_int_eq(count_tables(tctx.session, "table:index-"), 2);
    run_drop(SDB_OP_DROP, "{\"ns\":\"test.d\"}");
    ms_ops_tick();
    ck_assert_int_eq(count_tables(tctx.session, "table:coll-"), 0);
    ck_assert_int_eq(count_tables(tctx.session, "table:index-"), 0);
    other.session->close(other.session, NULL);
}
END_TEST

static Suite *
store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("ops");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_insert_scan);
    tcase_add_test(tc, test_duplicate_id);
    tcase_add_test(tc, test_indexes_and_ixscan);
    tcase_add_test(tc, test_unique_index);
    tcase_add_test(tc, test_update_delete_cas);
    tcase_add_test(tc, test_ddl);
    tcase_add_test(tc, test_cursors);
    tcase_add_test(tc, test_session_expiry);
    tcase_add_test(tc, test_stats_flush);
    tcase_add_test(tc, test_reopen);
    tcase_add_test(tc, test_oplog_read);
    tcase_add_test(tc, test_oplog_cap);
    tcase_add_test(tc, test_in_memory);
    tcase_add_test(tc, test_concurrent_unique);
    tcase_add_test(tc, test_drop_with_other_sessions);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(store_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
