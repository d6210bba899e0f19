/*
 * tests/integration/it_hostile_input.c -- input a hostile client sends is refused at the door.
 *
 * Issue 7's first two bullets, the part the door owns: a command whose inner subdocument is
 * malformed (its NUL replaced by 0x80, every length still right) inside an aggregate $match,
 * an update's u and an inserted document (body or document sequence) gets 22 InvalidBSON and
 * stores nothing; an inserted document 10,000 levels deep and one 101 levels deep are refused
 * with 15 Overflow (mongod's words) and 100 levels are stored and read back; a command nested
 * deeper than 200 levels gets 15; a $db with a dot or a NUL gets 73 InvalidNamespace and
 * creates nothing; a database differing only in case from an existing one gets 13297.
 *
 * One server with --workers 1, so every connection shares the one worker: each case asserts
 * the code and the effect, that the worker's pid did not change, and that a bystander
 * connection opened before the case answers ping after it.
 */
#include "harness.h"

#define DB "hostile"

/* hostile_up -- unchecked fixture: one worker, so the bystander shares it. */
static void
hostile_up(void)
{
    it_up = fx_server_init(&it_srv, 1) == 0 && fx_server_start(&it_srv) == 0;
}

typedef struct bystander {
    mongoc_client_t *c;
    pid_t worker;
} bystander_t;

/* the_worker -- the pid of the only worker. */
static pid_t
the_worker(void)
{
    pid_t pids[FX_MAX_WORKERS];

    ck_assert_int_eq(fx_worker_pids(&it_srv, pids, FX_MAX_WORKERS), 1);
    return pids[0];
}

/* case_begin -- a bystander connection (pinged, so it is open) and the worker's pid. */
static void
case_begin(bystander_t *b)
{
    bson_t r;

    b->c = IT_CLIENT();
    CMD_OK(b->c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    b->worker = the_worker();
}

/* case_end -- the same worker still runs and the bystander's connection answers. */
static void
case_end(bystander_t *b)
{
    bson_t r;

    CMD_OK(b->c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    ck_assert_msg(the_worker() == b->worker, "the worker was replaced (pid %d gone)",
                  (int)b->worker);
    mongoc_client_destroy(b->c);
}

/* nested -- the raw bytes of {a: {a: ... {}}}: `levels` documents, written without recursion. */
static uint8_t *
nested(int levels, uint32_t *len)
{
    size_t total = 5 + 8 * (size_t)(levels - 1);
    uint8_t *b = calloc(1, total);

    for (int i = 0; i < levels; i++) {
        uint32_t le = (uint32_t)(total - 8 * (size_t)i);

        memcpy(b + 7 * (size_t)i, &le, 4);
        if (i < levels - 1) {
            b[7 * i + 4] = BSON_TYPE_DOCUMENT;
            b[7 * i + 5] = 'a';
        }
    }
    *len = (uint32_t)total;
    return b;
}

/* deep_doc -- {_id: id, a: <nested(levels - 1)>}: a document `levels` levels deep. */
static void
deep_doc(int levels, int id, bson_t *out)
{
    uint32_t len;
    uint8_t *raw = nested(levels - 1, &len);
    bson_t inner;

    bson_init(out);
    BSON_APPEND_INT32(out, "_id", id);
    ck_assert(bson_init_static(&inner, raw, len));
    BSON_APPEND_DOCUMENT(out, "a", &inner);
    free(raw);
}

/* depth_of -- how many levels deep a (shallow enough) document is. */
static int
depth_of(const bson_t *doc)
{
    bson_iter_t it;
    int best = 1;

    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t child;

            if (BSON_ITER_HOLDS_DOCUMENT(&it))
                bson_iter_document(&it, &len, &data);
            else
                bson_iter_array(&it, &len, &data);
            bson_init_static(&child, data, len);
            int d = 1 + depth_of(&child);
            if (d > best)
                best = d;
        }
    }
    return best;
}

/* append_json -- append the JSON document as key. */
static void
append_json(bson_t *b, const char *key, const char *json)
{
    bson_t *d = fx_json(json);

    BSON_APPEND_DOCUMENT(b, key, d);
    bson_destroy(d);
}

/* send_raw -- send one message on a fresh connection and return the reply's body. */
static void
send_raw(const uint8_t *msg, uint32_t len, bson_t *reply)
{
    int fd = rw_connect(it_srv.host, it_srv.port);
    uint8_t *r = NULL;
    uint32_t rlen = 0;
    bson_t body;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rw_send(fd, msg, len), 0);
    ck_assert_msg(rw_recv(fd, RW_TIMEOUT_MS, &r, &rlen) == 1, "no reply (connection closed?)");
    ck_assert(rw_opmsg_body(r, rlen, &body, NULL));
    bson_init(reply);
    bson_concat(reply, &body);
    free(r);
    /* the connection stays open, as mongod keeps it: a ping on it still answers */
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}"), pr;
    ck_assert_int_eq(rw_roundtrip(fd, ping, &pr), 1);
    ASSERT_INT(&pr, "ok", 1);
    bson_destroy(&pr);
    bson_destroy(ping);
    close(fd);
}

/* expect_error -- the reply is {ok: 0, code, codeName} and errmsg starts with `msg`. */
static void
expect_error(const bson_t *reply, int code, const char *name, const char *msg)
{
    ck_assert_msg(fx_has(reply, "ok") && !fx_bool(reply, "ok"), "not an error: %s",
                  fx_to_json(reply));
    ASSERT_INT(reply, "code", code);
    ASSERT_STR(reply, "codeName", name);
    ck_assert_msg(fx_str(reply, "errmsg") != NULL &&
                      strncmp(fx_str(reply, "errmsg"), msg, strlen(msg)) == 0,
                  "errmsg should start with '%s': %s", msg, fx_to_json(reply));
}

/* The inner {b: 1} of a command, whose NUL the malformed cases replace with 0x80. */
static const uint8_t inner_b1[] = {0x0C, 0, 0, 0, 0x10, 'b', 0, 1, 0, 0, 0, 0};

/* corrupt_inner -- replace the NUL of the one {b: 1} in msg with 0x80 (lengths unchanged). */
static void
corrupt_inner(uint8_t *msg, uint32_t len)
{
    uint8_t *p = memmem(msg, len, inner_b1, sizeof(inner_b1));

    ck_assert(p != NULL);
    ck_assert(memmem(p + 1, len - (size_t)(p + 1 - msg), inner_b1, sizeof(inner_b1)) == NULL);
    p[sizeof(inner_b1) - 1] = 0x80;
}

/* send_corrupt -- the JSON command (with {b: 1} inside) as OP_MSG, corrupted, answered 22. */
static void
send_corrupt(const char *json)
{
    bson_t *cmd = fx_json(json), reply;
    uint32_t len;
    uint8_t *msg = rw_opmsg(7, 0, cmd, NULL, NULL, 0, &len);

    corrupt_inner(msg, len);
    send_raw(msg, len, &reply);
    expect_error(&reply, 22, "InvalidBSON", "");
    bson_destroy(&reply);
    free(msg);
    bson_destroy(cmd);
}

START_TEST(test_malformed_inner_match)
{
    bystander_t b;
    bson_t r;

    case_begin(&b);
    CMD_OK(b.c, DB, "{'insert': 'm', 'documents': [{'_id': 1, 'a': {'b': 1}}]}", &r);
    bson_destroy(&r);
    send_corrupt("{'aggregate': 'm', 'pipeline': [{'$match': {'a': {'b': 1}}}], 'cursor': {}, "
                 "'$db': '" DB "'}");
    send_corrupt("{'find': 'm', 'filter': {'a': {'b': 1}}, '$db': '" DB "'}");
    case_end(&b);
}
END_TEST

START_TEST(test_malformed_inner_update)
{
    bystander_t b;
    bson_t r;

    case_begin(&b);
    CMD_OK(b.c, DB, "{'insert': 'u', 'documents': [{'_id': 1, 'x': 0}]}", &r);
    bson_destroy(&r);
    send_corrupt("{'update': 'u', 'updates': [{'q': {'_id': 1}, 'u': {'$set': {'x': {'b': 1}}}}], "
                 "'$db': '" DB "'}");
    send_corrupt("{'update': 'u', 'updates': [{'q': {'_id': 1}, 'u': {'_id': 1, 'x': {'b': 1}}}]"
                 ", '$db': '" DB "'}");
    ck_assert_int_eq(fx_count(b.c, DB, "u", "{'x': 0}"), 1); /* unchanged */
    case_end(&b);
}
END_TEST

START_TEST(test_malformed_inner_insert)
{
    bystander_t b;
    bson_t *body, *doc, reply;
    const bson_t *docs[1];
    uint32_t len;
    uint8_t *msg;

    case_begin(&b);
    send_corrupt("{'insert': 'i', 'documents': [{'_id': 1, 'x': {'b': 1}}], '$db': '" DB "'}");
    /* the same document in a document sequence, as drivers send it */
    body = fx_json("{'insert': 'i', '$db': '" DB "'}");
    doc = fx_json("{'_id': 2, 'x': {'b': 1}}");
    docs[0] = doc;
    msg = rw_opmsg(8, 0, body, "documents", docs, 1, &len);
    corrupt_inner(msg, len);
    send_raw(msg, len, &reply);
    expect_error(&reply, 22, "InvalidBSON", "");
    bson_destroy(&reply);
    free(msg);
    bson_destroy(doc);
    bson_destroy(body);
    ck_assert_int_eq(fx_count(b.c, DB, "i", "{}"), 0);
    case_end(&b);
}
END_TEST

/* insert_seq -- insert one document in a document sequence over a raw socket. */
static void
insert_seq(const char *coll, const bson_t *doc, bson_t *reply)
{
    char json[128];
    bson_t *body;
    const bson_t *docs[1] = {doc};
    uint32_t len;
    uint8_t *msg;

    snprintf(json, sizeof(json), "{'insert': '%s', '$db': '" DB "'}", coll);
    body = fx_json(json);
    msg = rw_opmsg(9, 0, body, "documents", docs, 1, &len);
    send_raw(msg, len, reply);
    free(msg);
    bson_destroy(body);
}

START_TEST(test_insert_10000_levels)
{
    bystander_t b;
    bson_t doc, reply, cmd, arr;

    case_begin(&b);
    deep_doc(10000, 1, &doc);
    insert_seq("d10000", &doc, &reply);
    expect_error(&reply, 15, "Overflow", "BSONObj exceeds maximum nested object depth");
    bson_destroy(&reply);
    /* in the body's documents array too */
    bson_init(&cmd);
    BSON_APPEND_UTF8(&cmd, "insert", "d10000");
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &arr);
    BSON_APPEND_DOCUMENT(&arr, "0", &doc);
    bson_append_array_end(&cmd, &arr);
    BSON_APPEND_UTF8(&cmd, "$db", DB);
    uint32_t len;
    uint8_t *msg = rw_opmsg(10, 0, &cmd, NULL, NULL, 0, &len);
    send_raw(msg, len, &reply);
    expect_error(&reply, 15, "Overflow", "BSONObj exceeds maximum nested object depth");
    bson_destroy(&reply);
    free(msg);
    bson_destroy(&cmd);
    bson_destroy(&doc);
    ck_assert_int_eq(fx_count(b.c, DB, "d10000", "{}"), 0);
    case_end(&b);
}
END_TEST

/* insert_write_error -- insert doc with libmongoc's command path; one write error, index 0. */
static void
insert_write_error(mongoc_client_t *c, const char *coll, const bson_t *doc, const char *msg)
{
    bson_t cmd, arr, reply;
    bson_error_t e;

    bson_init(&cmd);
    BSON_APPEND_UTF8(&cmd, "insert", coll);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &arr);
    BSON_APPEND_DOCUMENT(&arr, "0", doc);
    bson_append_array_end(&cmd, &arr);
    fx_cmd_bson(c, DB, &cmd, &reply, &e);
    ASSERT_INT(&reply, "ok", 1);
    ASSERT_INT(&reply, "n", 0);
    ASSERT_INT(&reply, "writeErrors.0.index", 0);
    ASSERT_INT(&reply, "writeErrors.0.code", 15);
    ASSERT_STR(&reply, "writeErrors.0.errmsg", msg);
    bson_destroy(&reply);
    bson_destroy(&cmd);
}

/* insert_deep -- insert a document `levels` deep with _id `id` in a document sequence. */
static void
insert_deep(const char *coll, int levels, int id, bson_t *reply)
{
    bson_t doc;

    deep_doc(levels, id, &doc);
    insert_seq(coll, &doc, reply);
    bson_destroy(&doc);
}

START_TEST(test_insert_101_and_100_levels)
{
    bystander_t b;
    bson_t doc, reply, got;
    bson_error_t e;

    case_begin(&b);
    deep_doc(101, 1, &doc);
    insert_write_error(b.c, "d101", &doc,
                       "cannot insert document because it exceeds 100 levels of nesting");
    bson_destroy(&doc);
    insert_deep("d101", 101, 2, &reply); /* the same through a document sequence */
    ASSERT_INT(&reply, "n", 0);
    ASSERT_INT(&reply, "writeErrors.0.code", 15);
    bson_destroy(&reply);
    ck_assert_int_eq(fx_count(b.c, DB, "d101", "{}"), 0);

    insert_deep("d100", 100, 3, &reply);
    ASSERT_INT(&reply, "n", 1);
    bson_destroy(&reply);
    ck_assert(fx_cmd(b.c, DB, "{'find': 'd100', 'filter': {'_id': 3}}", &reply, &e));
    ck_assert(fx_sub(&reply, "cursor.firstBatch.0", &got));
    ck_assert_int_eq(depth_of(&got), 100);
    deep_doc(100, 3, &doc);
    ck_assert(bson_equal(&got, &doc));
    bson_destroy(&doc);
    bson_destroy(&got);
    bson_destroy(&reply);
    case_end(&b);
}
END_TEST

/* Updates, replacements, upserts and findAndModify that would store 101 levels: mongod's
 * update words; nothing changes. */
START_TEST(test_update_deepens_past_100)
{
    bystander_t b;
    bson_t doc, reply, cmd, arr, u, set;
    bson_error_t e;
    uint32_t len;
    uint8_t *raw;
    bson_t inner;

    case_begin(&b);
    CMD_OK(b.c, DB, "{'insert': 'up', 'documents': [{'_id': 1, 'x': 0}]}", &reply);
    bson_destroy(&reply);
    raw = nested(100, &len); /* x: 100 levels under a top-level document: 101 */
    ck_assert(bson_init_static(&inner, raw, len));
    for (int kind = 0; kind < 4; kind++) {
        bson_init(&cmd);
        bson_init(&u);
        if (kind == 1) { /* replacement */
            BSON_APPEND_INT32(&u, "_id", 1);
            BSON_APPEND_DOCUMENT(&u, "x", &inner);
        } else {
            BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
            BSON_APPEND_DOCUMENT(&set, "x", &inner);
            bson_append_document_end(&u, &set);
        }
        if (kind == 3) {
            BSON_APPEND_UTF8(&cmd, "findAndModify", "up");
            append_json(&cmd, "query", "{'_id': 1}");
            BSON_APPEND_DOCUMENT(&cmd, "update", &u);
            fx_cmd_bson(b.c, DB, &cmd, &reply, &e);
            expect_error(&reply, 15, "Overflow", "Document exceeds maximum nesting depth of 100");
        } else {
            BSON_APPEND_UTF8(&cmd, "update", "up");
            BSON_APPEND_ARRAY_BEGIN(&cmd, "updates", &arr);
            BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &doc);
            append_json(&doc, "q", kind == 2 ? "{'_id': 2}" : "{'_id': 1}");
            BSON_APPEND_DOCUMENT(&doc, "u", &u);
            BSON_APPEND_BOOL(&doc, "upsert", kind == 2);
            bson_append_document_end(&arr, &doc);
            bson_append_array_end(&cmd, &arr);
            fx_cmd_bson(b.c, DB, &cmd, &reply, &e);
            ASSERT_INT(&reply, "ok", 1);
            ASSERT_INT(&reply, "nModified", 0);
            ASSERT_INT(&reply, "writeErrors.0.index", 0);
            ASSERT_INT(&reply, "writeErrors.0.code", 15);
            ASSERT_STR(&reply, "writeErrors.0.errmsg",
                       "Document exceeds maximum nesting depth of 100");
        }
        bson_destroy(&reply);
        bson_destroy(&u);
        bson_destroy(&cmd);
    }
    free(raw);
    ck_assert_int_eq(fx_count(b.c, DB, "up", "{}"), 1);
    ck_assert_int_eq(fx_count(b.c, DB, "up", "{'x': 0}"), 1);
    case_end(&b);
}
END_TEST

/* $out and $merge write what a pipeline builds: 101 levels are refused there too. */
START_TEST(test_out_merge_past_100)
{
    bystander_t b;
    bson_t reply;
    bson_error_t e;

    case_begin(&b);
    CMD_OK(b.c, DB, "{'insert': 'src', 'documents': [{'_id': 1}]}", &reply);
    bson_destroy(&reply);
    /* x holds 100 levels under the top-level document: 101 */
    for (int stage = 0; stage < 2; stage++) {
        bson_t cmd, pipe, st, add, wrap;
        uint32_t len;
        uint8_t *raw = nested(100, &len);
        bson_t inner;

        ck_assert(bson_init_static(&inner, raw, len));
        bson_init(&cmd);
        BSON_APPEND_UTF8(&cmd, "aggregate", "src");
        BSON_APPEND_ARRAY_BEGIN(&cmd, "pipeline", &pipe);
        BSON_APPEND_DOCUMENT_BEGIN(&pipe, "0", &st);
        BSON_APPEND_DOCUMENT_BEGIN(&st, "$replaceWith", &add);
        BSON_APPEND_INT32(&add, "_id", 1);
        BSON_APPEND_DOCUMENT_BEGIN(&add, "x", &wrap);
        BSON_APPEND_DOCUMENT(&wrap, "$literal", &inner);
        bson_append_document_end(&add, &wrap);
        bson_append_document_end(&st, &add);
        bson_append_document_end(&pipe, &st);
        append_json(&pipe, "1", stage == 0 ? "{'$out': 'outc'}" : "{'$merge': 'mc'}");
        bson_append_array_end(&cmd, &pipe);
        append_json(&cmd, "cursor", "{}");
        fx_cmd_bson(b.c, DB, &cmd, &reply, &e);
        /* $out inserts (mongod's insert words); $merge upserts (its update words) */
        expect_error(&reply, 15, "Overflow",
                     stage == 0 ? "cannot insert document because it exceeds 100 levels"
                                : "Document exceeds maximum nesting depth of 100");
        bson_destroy(&reply);
        bson_destroy(&cmd);
        free(raw);
    }
    ck_assert_int_eq(fx_count(b.c, DB, "outc", "{}"), 0);
    ck_assert_int_eq(fx_count(b.c, DB, "mc", "{}"), 0);
    case_end(&b);
}
END_TEST

/* command_nested -- {ping: 1, x: <levels documents>, $db: admin} sent raw. */
static void
ping_nested(int levels, bson_t *reply)
{
    uint32_t len, mlen;
    uint8_t *raw = nested(levels, &len), *msg;
    bson_t cmd, inner;

    ck_assert(bson_init_static(&inner, raw, len));
    bson_init(&cmd);
    BSON_APPEND_INT32(&cmd, "ping", 1);
    BSON_APPEND_DOCUMENT(&cmd, "x", &inner);
    BSON_APPEND_UTF8(&cmd, "$db", "admin");
    msg = rw_opmsg(11, 0, &cmd, NULL, NULL, 0, &mlen);
    send_raw(msg, mlen, reply);
    free(msg);
    bson_destroy(&cmd);
    free(raw);
}

/* mongod's maxBSONDepth: 200 levels below the command document pass, 201 get 15. */
START_TEST(test_command_depth)
{
    bystander_t b;
    bson_t reply;

    case_begin(&b);
    ping_nested(200, &reply); /* the command's x adds 200 levels below the top */
    ASSERT_INT(&reply, "ok", 1);
    bson_destroy(&reply);
    ping_nested(201, &reply);
    expect_error(&reply, 15, "Overflow", "BSONObj exceeds maximum nested object depth");
    bson_destroy(&reply);
    ping_nested(5000, &reply);
    expect_error(&reply, 15, "Overflow", "BSONObj exceeds maximum nested object depth");
    bson_destroy(&reply);
    case_end(&b);
}
END_TEST

/* db_names -- the names listDatabases reports, joined with ',' (in its order). */
static void
db_names(mongoc_client_t *c, char *out, size_t len)
{
    bson_t r, dbs;
    bson_iter_t it, d;

    CMD_OK(c, "admin", "{'listDatabases': 1, 'nameOnly': true}", &r);
    ck_assert(fx_sub(&r, "databases", &dbs));
    out[0] = '\0';
    bson_iter_init(&it, &dbs);
    while (bson_iter_next(&it))
        if (bson_iter_recurse(&it, &d) && bson_iter_find(&d, "name"))
            snprintf(out + strlen(out), len - strlen(out), "%s,", bson_iter_utf8(&d, NULL));
    bson_destroy(&dbs);
    bson_destroy(&r);
}

/* insert_in_db -- {insert: coll, documents: [{_id: 1}], $db: db[0..dblen)} sent raw. */
static void
insert_in_db(const char *db, int dblen, const char *coll, int collen, bson_t *reply)
{
    bson_t cmd, arr, doc;
    uint32_t len;
    uint8_t *msg;

    bson_init(&cmd);
    bson_append_utf8(&cmd, "insert", 6, coll, collen);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &doc);
    BSON_APPEND_INT32(&doc, "_id", 1);
    bson_append_document_end(&arr, &doc);
    bson_append_array_end(&cmd, &arr);
    bson_append_utf8(&cmd, "$db", 3, db, dblen);
    msg = rw_opmsg(12, 0, &cmd, NULL, NULL, 0, &len);
    send_raw(msg, len, reply);
    free(msg);
    bson_destroy(&cmd);
}

/* A $db with a dot or a NUL, or a collection name with a NUL, is 73 and creates nothing:
 * before, "zz.b" + "c" landed in zz's collection b.c and "yy\0evil" in yy. */
START_TEST(test_db_names_never_folded)
{
    static const struct {
        const char *db, *coll;
        int dblen, collen;
        const char *msg;
    } cases[] = {
        {"zz.b", "c", 4, 1, "'.' is an invalid character in a db name: zz.b"},
        {"yy\0evil", "c", 7, 1, "database names cannot have embedded null characters"},
        {"yy", "c\0evil", 2, 6, "namespaces cannot have embedded null characters"},
        {"", "c", 0, 1, "Invalid database name: ''"},
        {"a b", "c", 3, 1, "Invalid database name: 'a b'"},
        {"a/b", "c", 3, 1, "Invalid database name: 'a/b'"},
        {"d123456789012345678901234567890123456789012345678901234567890123", "c", 64, 1,
         "db name must be at most 63 characters, found: 64"},
    };
    bystander_t b;
    bson_t reply;
    char before[4096], after[4096];

    case_begin(&b);
    db_names(b.c, before, sizeof(before));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        insert_in_db(cases[i].db, cases[i].dblen, cases[i].coll, cases[i].collen, &reply);
        expect_error(&reply, 73, "InvalidNamespace", cases[i].msg);
        bson_destroy(&reply);
    }
    db_names(b.c, after, sizeof(after));
    ck_assert_str_eq(after, before);
    ck_assert_int_eq(fx_count(b.c, "zz", "b.c", "{}"), 0);
    ck_assert_int_eq(fx_count(b.c, "yy", "c", "{}"), 0);
    /* 63 bytes is a database name */
    insert_in_db("d12345678901234567890123456789012345678901234567890123456789012", 63, "c", 1,
                 &reply);
    ASSERT_INT(&reply, "n", 1);
    bson_destroy(&reply);
    case_end(&b);
}
END_TEST

/* Creating a database whose name differs only in case from an existing one: 13297. */
START_TEST(test_db_case_clash)
{
    bystander_t b;
    bson_t reply;
    char before[4096], after[4096];
    const char *msg = "db already exists with different case already have: [CaseDb] trying to "
                      "create [casedb]";

    case_begin(&b);
    CMD_OK(b.c, "CaseDb", "{'insert': 'c', 'documents': [{'_id': 1}]}", &reply);
    bson_destroy(&reply);
    db_names(b.c, before, sizeof(before));
    CMD_ERR(b.c, "casedb", "{'create': 'c'}", &reply, 13297, "DatabaseDifferCase");
    ASSERT_STR(&reply, "errmsg", msg);
    bson_destroy(&reply);
    CMD_OK(b.c, "casedb", "{'insert': 'c', 'documents': [{'_id': 1}]}", &reply);
    ASSERT_INT(&reply, "n", 0);
    ASSERT_INT(&reply, "writeErrors.0.code", 13297);
    ASSERT_STR(&reply, "writeErrors.0.errmsg", msg);
    bson_destroy(&reply);
    CMD_ERR(b.c, "admin", "{'renameCollection': 'CaseDb.c', 'to': 'casedb.c'}", &reply, 13297,
            "DatabaseDifferCase");
    bson_destroy(&reply);
    db_names(b.c, after, sizeof(after));
    ck_assert_str_eq(after, before);
    ck_assert_int_eq(fx_count(b.c, "CaseDb", "c", "{}"), 1);
    /* the database that exists takes more collections */
    CMD_OK(b.c, "CaseDb", "{'create': 'd'}", &reply);
    bson_destroy(&reply);
    case_end(&b);
}
END_TEST

/* system.views and system.profile are the server's: user writes get 73, as mongod's
 * userAllowedWriteNS answers. */
START_TEST(test_system_writes)
{
    bystander_t b;
    bson_t reply;

    case_begin(&b);
    CMD_ERR(b.c, DB, "{'insert': 'system.views', 'documents': [{'_id': 'x'}]}", &reply, 73,
            "InvalidNamespace");
    ASSERT_STR(&reply, "errmsg", "cannot write to " DB ".system.views");
    bson_destroy(&reply);
    CMD_ERR(b.c, DB, "{'delete': 'system.profile', 'deletes': [{'q': {}, 'limit': 0}]}", &reply, 73,
            "InvalidNamespace");
    bson_destroy(&reply);
    CMD_ERR(b.c, DB, "{'create': 'a$b'}", &reply, 73, "InvalidNamespace");
    ASSERT_STR(&reply, "errmsg", "Invalid collection name: a$b");
    bson_destroy(&reply);
    CMD_ERR(b.c, DB, "{'create': 'system.foo'}", &reply, 73, "InvalidNamespace");
    ASSERT_STR(&reply, "errmsg", "Invalid system namespace: " DB ".system.foo");
    bson_destroy(&reply);
    ck_assert_int_eq(fx_count(b.c, DB, "system.views", "{}"), 0);
    case_end(&b);
}
END_TEST

static Suite *
hostile_suite(void)
{
    Suite *s = suite_create("hostile_input");
    TCase *tc = it_tcase(s, "door", false);

    tcase_add_unchecked_fixture(tc, hostile_up, it_shared_down);
    tcase_add_test(tc, test_malformed_inner_match);
    tcase_add_test(tc, test_malformed_inner_update);
    tcase_add_test(tc, test_malformed_inner_insert);
    tcase_add_test(tc, test_insert_10000_levels);
    tcase_add_test(tc, test_insert_101_and_100_levels);
    tcase_add_test(tc, test_update_deepens_past_100);
    tcase_add_test(tc, test_out_merge_past_100);
    tcase_add_test(tc, test_command_depth);
    tcase_add_test(tc, test_db_names_never_folded);
    tcase_add_test(tc, test_db_case_clash);
    tcase_add_test(tc, test_system_writes);
    return s;
}

int
main(void)
{
    return it_main(hostile_suite());
}
