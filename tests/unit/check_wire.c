/*
 * tests/unit/check_wire.c -- unit tests for the wire codec (src/worker/wire.c).
 *
 * Messages are built by hand with a small byte builder so that every malformation can be
 * expressed; valid ones are also checked against the codec's own encoders (round trips).
 * A mutation loop feeds thousands of damaged messages to the decoder, which must return an
 * error or a valid request and never touch memory outside the buffer (run under ASan).
 *
 * Invariants: pure, single-threaded; each test frees what it builds.
 */
#include "../../src/common/bsonvalid.h"
#include "../../src/common/sdb.h"
#include "../../src/worker/wire.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- a byte builder -------------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf_t;

static void
b_put(buf_t *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void
b_i32(buf_t *b, int32_t v)
{
    uint32_t le = BSON_UINT32_TO_LE((uint32_t)v);

    b_put(b, &le, 4);
}

static void
b_u8(buf_t *b, uint8_t v)
{
    b_put(b, &v, 1);
}

static void
b_doc(buf_t *b, const bson_t *d)
{
    b_put(b, bson_get_data(d), d->len);
}

static void
b_set_i32(buf_t *b, size_t off, int32_t v)
{
    uint32_t le = BSON_UINT32_TO_LE((uint32_t)v);

    memcpy(b->p + off, &le, 4);
}

/* b_header -- start a message; b_finish fixes its length (and appends a CRC when asked). */
static void
b_header(buf_t *b, int32_t reqid, int32_t opcode)
{
    memset(b, 0, sizeof(*b));
    b_i32(b, 0);
    b_i32(b, reqid);
    b_i32(b, 0);
    b_i32(b, opcode);
}

static void
b_finish(buf_t *b, int crc)
{
    if (crc) {
        b_set_i32(b, 0, (int32_t)(b->len + 4));
        b_i32(b, (int32_t)wk_wire_crc32c(0, b->p, b->len));
    } else {
        b_set_i32(b, 0, (int32_t)b->len);
    }
}

/* b_seq -- a kind-1 section holding n copies of doc under identifier id. */
static void
b_seq(buf_t *b, const char *id, const bson_t *const *docs, int n)
{
    size_t start;
    int i;

    b_u8(b, 1);
    start = b->len;
    b_i32(b, 0);
    b_put(b, id, strlen(id) + 1);
    for (i = 0; i < n; i++)
        b_doc(b, docs[i]);
    b_set_i32(b, start, (int32_t)(b->len - start));
}

static int
decode(const buf_t *b, wk_wire_req_t *req, sdb_error_t *err)
{
    memset(err, 0, sizeof(*err));
    return wk_wire_decode(b->p, b->len, req, err);
}

static void
expect_error(const buf_t *b, int code, const char *needle)
{
    wk_wire_req_t req;
    sdb_error_t err;

    ck_assert_int_eq(decode(b, &req, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, code);
    if (needle != NULL)
        ck_assert_msg(strstr(err.msg, needle) != NULL, "'%s' lacks '%s'", err.msg, needle);
    ck_assert_uint_eq(req.cmd.len, 5); /* empty, nothing to free */
    wk_wire_req_destroy(&req);
}

/* msg_with_seqs -- {insert: "c", $db: "test"} + documents: [3 docs] (+ checksum). */
static void
msg_with_seqs(buf_t *b, int crc)
{
    bson_t *body = BCON_NEW("insert", "c", "$db", "test");
    bson_t *d0 = BCON_NEW("_id", BCON_INT32(0)), *d1 = BCON_NEW("_id", BCON_INT32(1), "x", "y");
    bson_t *d2 = BCON_NEW("_id", "{", "a", BCON_INT32(1), "}");
    const bson_t *docs[] = {d0, d1, d2};

    b_header(b, 77, WK_WIRE_OP_MSG);
    b_i32(b, crc ? 1 : 0);
    b_u8(b, 0);
    b_doc(b, body);
    b_seq(b, "documents", docs, 3);
    b_finish(b, crc);
    bson_destroy(body);
    bson_destroy(d0);
    bson_destroy(d1);
    bson_destroy(d2);
}

/* ---- CRC and framing ------------------------------------------------------------------- */

START_TEST(test_crc32c)
{
    uint8_t zeros[32] = {0}, ones[32], data[1000];
    uint32_t whole, part;
    size_t i, cut;

    memset(ones, 0xFF, sizeof(ones));
    ck_assert_uint_eq(wk_wire_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(wk_wire_crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
    ck_assert_uint_eq(wk_wire_crc32c(0, ones, 32), 0x62A8AB43u);
    ck_assert_uint_eq(wk_wire_crc32c(0, NULL, 0), 0);
    for (i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    whole = wk_wire_crc32c(0, data, sizeof(data));
    for (cut = 0; cut <= 17; cut++) {
        /* unaligned starts and split buffers agree with one pass */
        part = wk_wire_crc32c(0, data, cut);
        ck_assert_uint_eq(wk_wire_crc32c(part, data + cut, sizeof(data) - cut), whole);
    }
}
END_TEST

START_TEST(test_frame_len)
{
    uint8_t b[4] = {0};
    int32_t n = 0;

    ck_assert_int_eq(wk_wire_frame_len(b, 3, &n), SDB_EAGAIN);
    ck_assert_int_eq(wk_wire_frame_len(b, 0, &n), SDB_EAGAIN);
    b_set_i32(&(buf_t){.p = b}, 0, 15);
    ck_assert_int_eq(wk_wire_frame_len(b, 4, &n), SDB_ECORRUPT);
    b_set_i32(&(buf_t){.p = b}, 0, 16);
    ck_assert_int_eq(wk_wire_frame_len(b, 4, &n), 0);
    ck_assert_int_eq(n, 16);
    b_set_i32(&(buf_t){.p = b}, 0, WK_WIRE_MAX_MESSAGE);
    ck_assert_int_eq(wk_wire_frame_len(b, 4, &n), 0);
    b_set_i32(&(buf_t){.p = b}, 0, WK_WIRE_MAX_MESSAGE + 1);
    ck_assert_int_eq(wk_wire_frame_len(b, 4, &n), SDB_ECORRUPT);
    b_set_i32(&(buf_t){.p = b}, 0, -20);
    ck_assert_int_eq(wk_wire_frame_len(b, 4, &n), SDB_ECORRUPT);
}
END_TEST

/* ---- round trips ----------------------------------------------------------------------- */

START_TEST(test_roundtrip_msg)
{
    bson_t *doc = BCON_NEW("ping", BCON_INT32(1), "$db", "admin", "a", "[", BCON_DOUBLE(1.5), "]");
    wk_wire_req_t req;
    sdb_error_t err;
    uint8_t *out;
    size_t outlen;
    uint32_t flags;

    for (flags = 0; flags <= WK_WIRE_MSG_CHECKSUM; flags++) {
        ck_assert_int_eq(wk_wire_encode_msg(doc, 12, 34, flags, &out, &outlen), 0);
        ck_assert_uint_eq(outlen, 16 + 5 + doc->len + (flags ? 4 : 0));
        ck_assert_int_eq(wk_wire_decode(out, outlen, &req, &err), 0);
        ck_assert_int_eq(req.request_id, 12);
        ck_assert_int_eq(req.opcode, WK_WIRE_OP_MSG);
        ck_assert_uint_eq(req.flags, flags);
        ck_assert(req.checksum_present == (flags != 0));
        ck_assert(!req.more_to_come);
        ck_assert(bson_equal(&req.cmd, doc));
        ck_assert_str_eq(req.ns, "");
        wk_wire_req_destroy(&req);
        wk_wire_req_destroy(&req); /* twice is harmless */
        bson_free(out);
    }
    bson_destroy(doc);
}
END_TEST

START_TEST(test_encode_reply)
{
    bson_t *doc = BCON_NEW("ismaster", BCON_BOOL(true), "ok", BCON_DOUBLE(1));
    uint8_t *out;
    size_t outlen;
    int32_t v;
    int64_t cursor;
    bson_t got;

    ck_assert_int_eq(wk_wire_encode_reply(doc, 5, 9, &out, &outlen), 0);
    ck_assert_uint_eq(outlen, 36 + doc->len);
#define FIELD(off) (memcpy(&v, out + (off), 4), (int32_t)BSON_UINT32_FROM_LE((uint32_t)v))
    ck_assert_int_eq(FIELD(0), (int32_t)outlen);
    ck_assert_int_eq(FIELD(4), 5);
    ck_assert_int_eq(FIELD(8), 9);
    ck_assert_int_eq(FIELD(12), WK_WIRE_OP_REPLY);
    ck_assert_int_eq(FIELD(16), 8);
    memcpy(&cursor, out + 20, 8);
    ck_assert_int_eq(cursor, 0);
    ck_assert_int_eq(FIELD(28), 0);
    ck_assert_int_eq(FIELD(32), 1);
#undef FIELD
    ck_assert(bson_init_static(&got, out + 36, outlen - 36));
    ck_assert(bson_equal(&got, doc));
    bson_free(out);
    bson_destroy(doc);
}
END_TEST

/* ---- OP_MSG ---------------------------------------------------------------------------- */

START_TEST(test_doc_sequences)
{
    wk_wire_req_t req;
    sdb_error_t err;
    bson_iter_t it, arr;
    buf_t b;
    int crc, n;

    for (crc = 0; crc <= 1; crc++) {
        msg_with_seqs(&b, crc);
        ck_assert_int_eq(decode(&b, &req, &err), 0);
        ck_assert_int_eq(req.request_id, 77);
        ck_assert(req.checksum_present == crc);
        ck_assert(bson_iter_init(&it, &req.cmd));
        ck_assert(bson_iter_next(&it));
        ck_assert_str_eq(bson_iter_key(&it), "insert");
        ck_assert(bson_iter_next(&it) && bson_iter_next(&it));
        ck_assert_str_eq(bson_iter_key(&it), "documents");
        ck_assert(BSON_ITER_HOLDS_ARRAY(&it));
        ck_assert(bson_iter_recurse(&it, &arr));
        for (n = 0; bson_iter_next(&arr); n++) {
            char key[16];
            bson_iter_t id;
            snprintf(key, sizeof(key), "%d", n);
            ck_assert_str_eq(bson_iter_key(&arr), key);
            ck_assert(BSON_ITER_HOLDS_DOCUMENT(&arr));
            ck_assert(bson_iter_recurse(&arr, &id) && bson_iter_find(&id, "_id"));
        }
        ck_assert_int_eq(n, 3);
        wk_wire_req_destroy(&req);
        free(b.p);
    }
}
END_TEST

START_TEST(test_doc_sequence_errors)
{
    bson_t *body = BCON_NEW("update", "c", "$db", "test", "updates", "[", "]");
    bson_t *d = BCON_NEW("q", "{", "}");
    const bson_t *docs[] = {d, d};
    wk_wire_req_t req;
    sdb_error_t err;
    bson_iter_t it;
    buf_t b;

    /* Sequence named like a body field. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_seq(&b, "updates", docs, 2);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_Location40433, "Duplicate field");
    free(b.p);
    /* Two sequences with one name; also: sequences may come before the body. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_seq(&b, "deletes", docs, 1);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_seq(&b, "deletes", docs, 2);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_Location40431, "Duplicate document sequence");
    free(b.p);
    /* Empty sequence before the body: an empty array. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_seq(&b, "deletes", docs, 0);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_finish(&b, 0);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    ck_assert(bson_iter_init_find(&it, &req.cmd, "deletes") && BSON_ITER_HOLDS_ARRAY(&it));
    wk_wire_req_destroy(&req);
    /* Two bodies. */
    b_u8(&b, 0);
    b_doc(&b, body);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_Location40430, "Multiple body");
    free(b.p);
    /* No body. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_seq(&b, "deletes", docs, 1);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_Location40587, "must have a body");
    free(b.p);
    /* Unknown section kind; kind 2 is mongod's security token (multitenancy only). */
    for (int kind = 2; kind <= 3; kind++) {
        b_header(&b, 1, WK_WIRE_OP_MSG);
        b_i32(&b, 0);
        b_u8(&b, 0);
        b_doc(&b, body);
        b_u8(&b, (uint8_t)kind);
        b_doc(&b, d);
        b_finish(&b, 0);
        if (kind == 2)
            expect_error(&b, SDB_CODE_Unauthorized, "Security Token");
        else
            expect_error(&b, SDB_CODE_Location40432, "Unknown section kind 3");
        free(b.p);
    }
    /* A sequence whose size overruns the message, and one without an identifier NUL. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_u8(&b, 1);
    b_i32(&b, 100);
    b_put(&b, "abc", 3);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_ProtocolError, "sequence size");
    b_set_i32(&b, b.len - 7, 7);
    expect_error(&b, SDB_CODE_ProtocolError, "not terminated");
    free(b.p);
    /* An identifier that is not UTF-8 would make the merged command invalid BSON. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_seq(&b,
          "docu\xa1"
          "ents",
          docs, 1);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_InvalidBSON, "UTF-8");
    free(b.p);
    bson_destroy(body);
    bson_destroy(d);
}
END_TEST

START_TEST(test_checksum)
{
    wk_wire_req_t req;
    sdb_error_t err;
    buf_t b;

    msg_with_seqs(&b, 1);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    wk_wire_req_destroy(&req);
    /* Change a value inside the body ("test" -> "tesu"): still valid BSON, bad CRC. */
    b.p[40] ^= 1;
    expect_error(&b, SDB_CODE_ProtocolError, "checksum");
    b.p[40] ^= 1;
    b.p[b.len - 1] ^= 0x80;
    expect_error(&b, SDB_CODE_ProtocolError, "checksum");
    free(b.p);
    /* checksumPresent with no room for a checksum. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 1);
    b_u8(&b, 0);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_ProtocolError, NULL);
    free(b.p);
}
END_TEST

START_TEST(test_flags)
{
    bson_t *body = BCON_NEW("ping", BCON_INT32(1), "$db", "admin");
    wk_wire_req_t req;
    sdb_error_t err;
    uint8_t *out;
    size_t outlen;
    int bit;

    for (bit = 0; bit < 32; bit++) {
        uint32_t f = 1u << bit;
        ck_assert_int_eq(wk_wire_encode_msg(body, 1, 0, f, &out, &outlen), 0);
        if (bit >= 2 && bit < 16) {
            ck_assert_int_eq(wk_wire_decode(out, outlen, &req, &err), SDB_ECLIENT);
            ck_assert_int_eq(err.code, SDB_CODE_ProtocolError);
            ck_assert_ptr_nonnull(strstr(err.msg, "illegal flags"));
        } else {
            ck_assert_int_eq(wk_wire_decode(out, outlen, &req, &err), 0);
            ck_assert(req.more_to_come == (bit == 1));
            ck_assert(req.exhaust_allowed == (bit == 16));
            ck_assert(req.checksum_present == (bit == 0));
            ck_assert_uint_eq(req.flags, f);
            wk_wire_req_destroy(&req);
        }
        bson_free(out);
    }
    bson_destroy(body);
}
END_TEST

START_TEST(test_bad_bson)
{
    bson_t *inner = BCON_NEW("a", BCON_INT32(1));
    bson_t *body = bson_new();
    buf_t b;
    size_t at;

    BSON_APPEND_DOCUMENT(body, "sub", inner);
    BSON_APPEND_UTF8(body, "$db", "x");
    /* A nested document whose length lies. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    at = b.len;
    b_doc(&b, body);
    b_finish(&b, 0);
    b_set_i32(&b, at + 4 + 1 + 4, 6); /* type, "sub\0", then the sub-document length */
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    b_set_i32(&b, at + 4 + 1 + 4, 12);
    b.p[at + 4] = 0x60; /* an unknown element type */
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    free(b.p);
    /* A top-level length that does not end where the document does. */
    b_header(&b, 1, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    at = b.len;
    b_doc(&b, body);
    b_finish(&b, 0);
    b_set_i32(&b, at, (int32_t)body->len - 1);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    b_set_i32(&b, at, (int32_t)body->len + 1);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    b_set_i32(&b, at, 4);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    b_set_i32(&b, at, 17 * 1024 * 1024);
    expect_error(&b, SDB_CODE_BSONObjectTooLarge, NULL);
    free(b.p);
    bson_destroy(body);
    bson_destroy(inner);
}
END_TEST

/* ---- other opcodes --------------------------------------------------------------------- */

static void
query_msg(buf_t *b, const char *ns, const bson_t *q, const bson_t *fields)
{
    b_header(b, 3, WK_WIRE_OP_QUERY);
    b_i32(b, 4); /* flags: slaveOk */
    b_put(b, ns, strlen(ns) + 1);
    b_i32(b, 0);
    b_i32(b, -1);
    b_doc(b, q);
    if (fields != NULL)
        b_doc(b, fields);
    b_finish(b, 0);
}

START_TEST(test_op_query)
{
    bson_t *wrapped = BCON_NEW("$query", "{", "isMaster", BCON_INT32(1), "client", "{", "}", "}",
                               "$readPreference", "{", "mode", "secondaryPreferred", "}");
    bson_t *want = BCON_NEW("isMaster", BCON_INT32(1), "client", "{", "}", "$readPreference", "{",
                            "mode", "secondaryPreferred", "}");
    bson_t *plain = BCON_NEW("hello", BCON_INT32(1), "helloOk", BCON_BOOL(true));
    bson_t *legacy = BCON_NEW("query", "{", "ismaster", BCON_INT32(1), "}");
    bson_t *want2 = BCON_NEW("ismaster", BCON_INT32(1));
    bson_t *fields = BCON_NEW("x", BCON_INT32(1));
    wk_wire_req_t req;
    sdb_error_t err;
    char longns[300];
    buf_t b;

    query_msg(&b, "admin.$cmd", wrapped, NULL);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    ck_assert_int_eq(req.opcode, WK_WIRE_OP_QUERY);
    ck_assert_str_eq(req.ns, "admin.$cmd");
    ck_assert_int_eq(req.query_flags, 4);
    ck_assert_int_eq(req.number_to_return, -1);
    ck_assert_uint_eq(req.flags, 0);
    ck_assert(bson_equal(&req.cmd, want));
    wk_wire_req_destroy(&req);
    free(b.p);
    query_msg(&b, "admin.$cmd", plain, fields);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    ck_assert(bson_equal(&req.cmd, plain));
    wk_wire_req_destroy(&req);
    b_put(&b, "x", 1);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_ProtocolError, "trailing");
    free(b.p);
    query_msg(&b, "test.$cmd", legacy, NULL);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    ck_assert(bson_equal(&req.cmd, want2));
    wk_wire_req_destroy(&req);
    free(b.p);
    memset(longns, 'n', sizeof(longns) - 1);
    longns[sizeof(longns) - 1] = '\0';
    query_msg(&b, longns, plain, NULL);
    expect_error(&b, SDB_CODE_ProtocolError, "ns");
    free(b.p);
    /* An ns with no terminator at all. */
    b_header(&b, 3, WK_WIRE_OP_QUERY);
    b_i32(&b, 0);
    b_put(&b, "admin", 5);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_ProtocolError, "ns");
    free(b.p);
    bson_destroy(wrapped);
    bson_destroy(want);
    bson_destroy(plain);
    bson_destroy(legacy);
    bson_destroy(want2);
    bson_destroy(fields);
}
END_TEST

START_TEST(test_unknown_opcode)
{
    static const int32_t ops[] = {1, 2001, 2002, 2005, 2006, 2010, 0, -1, 2014};
    bson_t *doc = BCON_NEW("ping", BCON_INT32(1));
    buf_t b;
    size_t i;

    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        b_header(&b, 1, ops[i]);
        b_i32(&b, 0);
        b_doc(&b, doc);
        b_finish(&b, 0);
        expect_error(&b, SDB_CODE_ProtocolError, "Unsupported opcode");
        free(b.p);
    }
    bson_destroy(doc);
}
END_TEST

/* compressed -- wrap a whole message in OP_COMPRESSED with compressor `cid`. */
static void
compressed(buf_t *out, const buf_t *in, uint8_t cid, int32_t size_delta)
{
    int32_t op;

    memcpy(&op, in->p + 12, 4);
    b_header(out, 55, WK_WIRE_OP_COMPRESSED);
    b_i32(out, (int32_t)BSON_UINT32_FROM_LE((uint32_t)op));
    b_i32(out, (int32_t)(in->len - 16) + size_delta);
    b_u8(out, cid);
    b_put(out, in->p + 16, in->len - 16);
    b_finish(out, 0);
}

START_TEST(test_op_compressed)
{
    wk_wire_req_t req;
    sdb_error_t err;
    buf_t inner, b, b2;
    bson_iter_t it;

    msg_with_seqs(&inner, 0);
    compressed(&b, &inner, 0, 0);
    ck_assert_int_eq(decode(&b, &req, &err), 0);
    ck_assert_int_eq(req.opcode, WK_WIRE_OP_MSG);
    ck_assert_int_eq(req.request_id, 55);
    ck_assert(bson_iter_init_find(&it, &req.cmd, "documents"));
    wk_wire_req_destroy(&req);
    compressed(&b2, &b, 0, 0);
    expect_error(&b2, SDB_CODE_ProtocolError, "Nested");
    free(b2.p);
    free(b.p);
    compressed(&b, &inner, 1, 0); /* a raw payload is not snappy's format */
    expect_error(&b, SDB_CODE_ProtocolError, "snappy");
    free(b.p);
    compressed(&b, &inner, 9, 0); /* no such compressor */
    expect_error(&b, SDB_CODE_ProtocolError, "compressor");
    free(b.p);
    /* each compressor's reply wrapping decodes back to the same message */
    for (int id = 0; id <= 3; id++) {
        uint8_t *m = bson_malloc(inner.len);
        size_t mlen = inner.len;

        memcpy(m, inner.p, inner.len);
        wk_wire_compress(id, &m, &mlen);
        ck_assert_int_eq((int32_t)sdb_le32(m + 12), WK_WIRE_OP_COMPRESSED);
        ck_assert_int_eq(m[24], id);
        ck_assert_int_eq(decode(&(buf_t){m, mlen, mlen}, &req, &err), 0);
        ck_assert_int_eq(req.compressor, id);
        ck_assert(bson_iter_init_find(&it, &req.cmd, "documents"));
        wk_wire_req_destroy(&req);
        bson_free(m);
    }
    compressed(&b, &inner, 0, 1);
    expect_error(&b, SDB_CODE_ProtocolError, "uncompressedSize");
    free(b.p);
    compressed(&b, &inner, 0, -1000);
    expect_error(&b, SDB_CODE_ProtocolError, "uncompressedSize");
    free(b.p);
    free(inner.p);
}
END_TEST

/* ---- lengths and fuzzing --------------------------------------------------------------- */

START_TEST(test_truncated_and_oversized)
{
    wk_wire_req_t req;
    sdb_error_t err;
    buf_t b;
    size_t n;

    msg_with_seqs(&b, 1);
    for (n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.p, n);
        /* As received (header says more) and with the header patched to the prefix. */
        ck_assert_int_eq(wk_wire_decode(copy, n, &req, &err), SDB_ECLIENT);
        if (n >= 4) {
            b_set_i32(&(buf_t){.p = copy}, 0, (int32_t)n);
            ck_assert_int_eq(wk_wire_decode(copy, n, &req, &err), SDB_ECLIENT);
        }
        wk_wire_req_destroy(&req);
        free(copy);
    }
    ck_assert_int_eq(wk_wire_decode(b.p, b.len + 1, &req, &err), SDB_ECLIENT); /* len mismatch */
    ck_assert_int_eq(wk_wire_decode(NULL, 0, &req, &err), SDB_ECLIENT);
    ck_assert_int_eq(wk_wire_decode(b.p, (size_t)WK_WIRE_MAX_MESSAGE + 1, &req, &err), SDB_ECLIENT);
    ck_assert_ptr_nonnull(strstr(err.msg, "length"));
    free(b.p);
}
END_TEST

static uint64_t
rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* mutate -- damage a copy of src in one of several ways; returns the new length. */
static size_t
mutate(uint8_t *dst, const buf_t *src, uint64_t *s)
{
    size_t len = src->len, i, n = 1 + rng(s) % 4;
    static const int32_t magic[] = {0, -1, 1, 4, 5, 16, 0x7FFFFFFF, (int32_t)0x80000000};

    memcpy(dst, src->p, len);
    for (i = 0; i < n; i++) {
        size_t at = (size_t)(rng(s) % len);
        switch (rng(s) % 5) {
        case 0:
            dst[at] ^= (uint8_t)(1u << (rng(s) % 8));
            break;
        case 1:
            dst[at] = (uint8_t)rng(s);
            break;
        case 2:
            if (at + 4 <= len)
                b_set_i32(&(buf_t){.p = dst}, at, magic[rng(s) % 8]);
            break;
        case 3:
            len = at + 1 > 16 ? at + 1 : len; /* truncate */
            break;
        default:
            if (at + 4 <= len)
                b_set_i32(&(buf_t){.p = dst}, at, (int32_t)(rng(s) % 64));
            break;
        }
    }
    if (rng(s) % 4 != 0 && len >= 4)
        b_set_i32(&(buf_t){.p = dst}, 0, (int32_t)len); /* keep the header consistent */
    return len;
}

START_TEST(test_fuzz_mutations)
{
    bson_t *q = BCON_NEW("$query", "{", "hello", BCON_INT32(1), "}", "$readPreference", "{", "mode",
                         "primary", "}");
    buf_t seeds[4];
    wk_wire_req_t req;
    sdb_error_t err;
    uint64_t s = 0x1234567;
    int i, ok = 0, rc;

    msg_with_seqs(&seeds[0], 0);
    msg_with_seqs(&seeds[1], 1);
    query_msg(&seeds[2], "admin.$cmd", q, q);
    compressed(&seeds[3], &seeds[0], 0, 0);
    for (i = 0; i < 200000; i++) {
        const buf_t *src = &seeds[rng(&s) % 4];
        uint8_t *m = malloc(src->len);
        size_t len = mutate(m, src, &s);
        rc = wk_wire_decode(m, len, &req, &err);
        ck_assert(rc == 0 || rc == SDB_ECLIENT);
        if (rc == 0) {
            /* the door's promise: complete and bounded (keys are not UTF-8 checked, as in
             * mongod, so libbson's bson_validate, which checks keys, is not the measure) */
            ck_assert(sdb_bson_check(bson_get_data(&req.cmd), req.cmd.len,
                                     SDB_BSON_LEVELS_COMMAND + 2, &err) == 0);
            ok++;
        } else {
            ck_assert_int_ne(err.code, 0);
        }
        wk_wire_req_destroy(&req);
        free(m);
    }
    ck_assert_int_gt(ok, 0); /* some mutations are harmless */
    for (i = 0; i < 4; i++)
        free(seeds[i].p);
    bson_destroy(q);
}
END_TEST

START_TEST(test_destroy_zeroed)
{
    wk_wire_req_t req;

    memset(&req, 0, sizeof(req));
    wk_wire_req_destroy(&req);
    ck_assert_uint_eq(req.cmd.len, 0);
}
END_TEST

/* corrupt_last -- replace the NUL of the last {a: 1} in b with 0x80 (every length unchanged). */
static void
corrupt_last(buf_t *b)
{
    static const uint8_t a1[] = {0x0C, 0, 0, 0, 0x10, 'a', 0, 1, 0, 0, 0, 0};
    uint8_t *hit = NULL;

    for (uint8_t *p = b->p; (p = memmem(p, b->len - (size_t)(p - b->p), a1, sizeof(a1))) != NULL;
         p++)
        hit = p;
    ck_assert_ptr_nonnull(hit);
    hit[sizeof(a1) - 1] = 0x80;
}

/* A nested document whose NUL is wrong is InvalidBSON wherever it sits: a sequence document,
 * the body, OP_QUERY's fields, the inner message of OP_COMPRESSED; nesting past mongod's
 * limit is Overflow. */
START_TEST(test_nested_malformed_and_deep)
{
    bson_t *q = BCON_NEW("isMaster", BCON_INT32(1)),
           *f = BCON_NEW("x", "{", "a", BCON_INT32(1), "}");
    bson_t *body = BCON_NEW("find", "c", "filter", "{", "a", BCON_INT32(1), "}", "$db", "t");
    bson_t deep = BSON_INITIALIZER, *kids = calloc(SDB_BSON_LEVELS_COMMAND, sizeof(bson_t));
    buf_t b, c;

    msg_with_seqs(&b, 0);
    corrupt_last(&b);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    compressed(&c, &b, 0, 0);
    expect_error(&c, SDB_CODE_InvalidBSON, NULL);
    free(b.p);
    free(c.p);
    query_msg(&b, "admin.$cmd", q, f);
    corrupt_last(&b);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    free(b.p);
    b_header(&b, 5, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    b_doc(&b, body);
    b_finish(&b, 0);
    corrupt_last(&b);
    expect_error(&b, SDB_CODE_InvalidBSON, NULL);
    free(b.p);
    /* {ping: 1, x: {x: ...}} with SDB_BSON_LEVELS_COMMAND levels below x: one too many */
    BSON_APPEND_INT32(&deep, "ping", 1);
    bson_append_document_begin(&deep, "x", 1, &kids[0]);
    for (int i = 1; i < SDB_BSON_LEVELS_COMMAND; i++)
        bson_append_document_begin(&kids[i - 1], "x", 1, &kids[i]);
    for (int i = SDB_BSON_LEVELS_COMMAND - 1; i > 0; i--)
        bson_append_document_end(&kids[i - 1], &kids[i]);
    bson_append_document_end(&deep, &kids[0]);
    b_header(&b, 6, WK_WIRE_OP_MSG);
    b_i32(&b, 0);
    b_u8(&b, 0);
    b_doc(&b, &deep);
    b_finish(&b, 0);
    expect_error(&b, SDB_CODE_Overflow, "BSONObj exceeds maximum nested object depth");
    free(b.p);
    bson_destroy(&deep);
    free(kids);
    bson_destroy(body);
    bson_destroy(f);
    bson_destroy(q);
}
END_TEST

static Suite *
wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("codec");
    TCase *tf = tcase_create("fuzz");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_crc32c);
    tcase_add_test(tc, test_frame_len);
    tcase_add_test(tc, test_roundtrip_msg);
    tcase_add_test(tc, test_encode_reply);
    tcase_add_test(tc, test_doc_sequences);
    tcase_add_test(tc, test_doc_sequence_errors);
    tcase_add_test(tc, test_checksum);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_bad_bson);
    tcase_add_test(tc, test_op_query);
    tcase_add_test(tc, test_unknown_opcode);
    tcase_add_test(tc, test_op_compressed);
    tcase_add_test(tc, test_truncated_and_oversized);
    tcase_add_test(tc, test_destroy_zeroed);
    tcase_add_test(tc, test_nested_malformed_and_deep);
    suite_add_tcase(s, tc);
    tcase_set_timeout(tf, 120);
    tcase_add_test(tf, test_fuzz_mutations);
    suite_add_tcase(s, tf);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(wire_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
