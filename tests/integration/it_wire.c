/*
 * tests/integration/it_wire.c -- the wire protocol at its edges, over raw sockets.
 *
 * OP_MSG with and without CRC-32C checksums, document sequences, moreToCome; malformed
 * input (bad length, bad BSON, unknown opcode, unknown required flag bits, garbage, torn
 * messages) answered with an error or a closed connection while other connections keep
 * working and no worker dies; a document just under 16 MiB round trip through libmongoc,
 * and a 17 MiB one rejected with the same connection still usable.  One shared server.
 */
#include "harness.h"

#include <unistd.h>

static int32_t next_id = 1;

/* worker_set -- sorted pids of the shared server's workers, for "nobody died" checks. */
static int
worker_set(pid_t *out)
{
    int n = fx_worker_pids(&it_srv, out, FX_MAX_WORKERS);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            pid_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

/* assert_server_healthy -- an existing client and a new raw connection both work, and the
 * workers are the same processes as before. */
static void
assert_server_healthy(mongoc_client_t *other, const pid_t *before, int nbefore)
{
    bson_t r;
    CMD_OK(other, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}");
    ck_assert_int_eq(rw_roundtrip(fd, ping, &r), 1);
    ASSERT_INT(&r, "ok", 1);
    bson_destroy(&r);
    bson_destroy(ping);
    close(fd);
    pid_t after[FX_MAX_WORKERS];
    int nafter = worker_set(after);
    ck_assert_msg(nafter == nbefore, "worker count changed %d -> %d", nbefore, nafter);
    for (int i = 0; i < nbefore; i++)
        ck_assert_msg(after[i] == before[i], "a worker died (pid %d gone)", (int)before[i]);
}

/* send_expect_error_or_close -- send raw bytes; the server must answer with an error reply
 * (an OP_MSG whose ok is 0) or close the connection; silence until the hang guard fails. */
static void
send_expect_error_or_close(const void *buf, size_t len, const char *what)
{
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    int sent = rw_send(fd, buf, len);
    uint8_t *reply = NULL;
    uint32_t rlen = 0;
    int got = sent == 0 ? rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen) : 0;
    ck_assert_msg(got != -1, "%s: neither answered nor closed", what);
    if (got == 1) {
        bson_t body;
        ck_assert_msg(rw_opmsg_body(reply, rlen, &body, NULL), "%s: reply is not an OP_MSG", what);
        ck_assert_msg(fx_has(&body, "ok") && !fx_bool(&body, "ok") && fx_has(&body, "code") &&
                          fx_has(&body, "errmsg") && fx_has(&body, "codeName"),
                      "%s: reply is not an error: %s", what, fx_to_json(&body));
        free(reply);
    }
    close(fd);
}

START_TEST(test_opmsg_basic_and_checksum)
{
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t *hello = fx_json("{'hello': 1, '$db': 'admin'}");
    for (int pass = 0; pass < 2; pass++) {
        uint32_t flags = pass ? RW_FLAG_CHECKSUM : 0, len, rflags = 0;
        int32_t id = next_id++;
        uint8_t *m = rw_opmsg(id, flags, hello, NULL, NULL, 0, &len);
        ck_assert_int_eq(rw_send(fd, m, len), 0);
        free(m);
        uint8_t *reply;
        uint32_t rlen;
        ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
        int32_t opcode, response_to;
        rw_header(reply, NULL, NULL, &response_to, &opcode);
        ck_assert_int_eq(opcode, RW_OP_MSG);
        ck_assert_int_eq(response_to, id);
        bson_t body;
        /* rw_opmsg_body verifies the reply's checksum when it carries one */
        ck_assert_msg(rw_opmsg_body(reply, rlen, &body, &rflags),
                      "malformed reply (or bad reply checksum) on pass %d", pass);
        ASSERT_INT(&body, "ok", 1);
        ck_assert(fx_bool(&body, "isWritablePrimary"));
        ck_assert_msg((rflags & RW_FLAG_MORE_TO_COME) == 0, "moreToCome on a plain reply");
        free(reply);
    }
    bson_destroy(hello);
    close(fd);
}
END_TEST

START_TEST(test_bad_checksum_rejected)
{
    ck_assert(it_up);
    mongoc_client_t *other = fx_client(&it_srv);
    pid_t before[FX_MAX_WORKERS];
    int nb = worker_set(before);
    bson_t *ins = fx_json("{'insert': 'badcrc', 'documents': [{'_id': 1}], '$db': 'wire'}");
    uint32_t len;
    uint8_t *m = rw_opmsg(next_id++, RW_FLAG_CHECKSUM, ins, NULL, NULL, 0, &len);
    m[len - 1] ^= 0xFF;
    send_expect_error_or_close(m, len, "bad checksum");
    free(m);
    bson_destroy(ins);
    bson_t r;
    CMD_OK(other, "wire", "{'count': 'badcrc'}", &r);
    ASSERT_INT(&r, "n", 0); /* the corrupt message was not executed */
    bson_destroy(&r);
    assert_server_healthy(other, before, nb);
    mongoc_client_destroy(other);
}
END_TEST

START_TEST(test_document_sequence_and_more_to_come)
{
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t *body = fx_json("{'insert': 'seq', '$db': 'wire'}");
    bson_t *docs[3] = {fx_json("{'_id': 1}"), fx_json("{'_id': 2}"), fx_json("{'_id': 3}")};
    uint32_t len;
    int32_t id = next_id++;
    uint8_t *m = rw_opmsg(id, 0, body, "documents", (const bson_t *const *)docs, 3, &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    uint8_t *reply;
    uint32_t rlen;
    ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
    bson_t rb;
    ck_assert(rw_opmsg_body(reply, rlen, &rb, NULL));
    ASSERT_INT(&rb, "ok", 1);
    ASSERT_INT(&rb, "n", 3);
    free(reply);

    /* moreToCome: applied, never answered; the next reply is for the next request */
    bson_t *w0 = fx_json("{'insert': 'seq', '$db': 'wire', 'writeConcern': {'w': 0}}");
    bson_t *d4 = fx_json("{'_id': 4}");
    m = rw_opmsg(next_id++, RW_FLAG_MORE_TO_COME, w0, "documents", (const bson_t *const *)&d4, 1,
                 &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    bson_t *cnt = fx_json("{'count': 'seq', '$db': 'wire'}");
    id = next_id++;
    m = rw_opmsg(id, 0, cnt, NULL, NULL, 0, &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
    int32_t response_to;
    rw_header(reply, NULL, NULL, &response_to, NULL);
    ck_assert_msg(response_to == id, "a reply to the moreToCome message (responseTo %d, want %d)",
                  response_to, id);
    ck_assert(rw_opmsg_body(reply, rlen, &rb, NULL));
    ASSERT_INT(&rb, "n", 4);
    free(reply);
    bson_destroy(cnt);
    bson_destroy(d4);
    bson_destroy(w0);
    for (int i = 0; i < 3; i++)
        bson_destroy(docs[i]);
    bson_destroy(body);
    close(fd);
}
END_TEST

START_TEST(test_bad_lengths)
{
    ck_assert(it_up);
    mongoc_client_t *other = fx_client(&it_srv);
    bson_t r;
    CMD_OK(other, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    pid_t before[FX_MAX_WORKERS];
    int nb = worker_set(before);
    uint8_t hdr[16];
    int32_t v[4];
    /* shorter than a header */
    v[0] = 4, v[1] = 1, v[2] = 0, v[3] = RW_OP_MSG;
    memcpy(hdr, v, 16);
    send_expect_error_or_close(hdr, 16, "messageLength 4");
    /* negative */
    v[0] = -100;
    memcpy(hdr, v, 16);
    send_expect_error_or_close(hdr, 16, "messageLength -100");
    /* over maxMessageSizeBytes (48000000) */
    v[0] = 48000001;
    memcpy(hdr, v, 16);
    send_expect_error_or_close(hdr, 16, "messageLength 48000001");
    v[0] = 0x7fffffff;
    memcpy(hdr, v, 16);
    send_expect_error_or_close(hdr, 16, "messageLength 2^31-1");
    /* a section whose document runs past the end of the message */
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}");
    uint32_t len;
    uint8_t *m = rw_opmsg(next_id++, 0, ping, NULL, NULL, 0, &len);
    int32_t big = 4096;
    memcpy(m + 21, &big, 4);
    send_expect_error_or_close(m, len, "section longer than the message");
    /* a message with bytes after its last section */
    uint8_t *m2 = malloc(len + 8);
    memcpy(m2, m, len);
    memset(m2 + len, 0, 8);
    int32_t len2 = (int32_t)len + 8;
    memcpy(m2, &len2, 4);
    int32_t doclen = (int32_t)ping->len;
    memcpy(m2 + 21, &doclen, 4);
    send_expect_error_or_close(m2, len + 8, "trailing bytes after the sections");
    free(m2);
    free(m);
    bson_destroy(ping);
    assert_server_healthy(other, before, nb);
    mongoc_client_destroy(other);
}
END_TEST

START_TEST(test_bad_bson)
{
    ck_assert(it_up);
    mongoc_client_t *other = fx_client(&it_srv);
    pid_t before[FX_MAX_WORKERS];
    int nb = worker_set(before);
    /* {ping: 1} with an element of unknown type 0x42 */
    static const uint8_t bad_type[] = {0x13, 0, 0, 0, 0x42, 'p', 'i', 'n', 'g', 0,
                                       1,    0, 0, 0, 0,    0,   0,   0,   0};
    /* a document without its terminating zero byte */
    static const uint8_t bad_len[] = {0x10, 0, 0, 0, 0x10, 'p', 'i',  'n',
                                      'g',  0, 1, 0, 0,    0,   0xff, 0xff};
    /* a string element whose length is negative */
    static const uint8_t bad_str[] = {0x14, 0,    0,    0,    0x02, 'p', 'i', 'n', 'g', 0,
                                      0xf0, 0xff, 0xff, 0xff, 'a',  'b', 'c', 0,   0,   0};
    const uint8_t *docs[] = {bad_type, bad_len, bad_str};
    size_t sizes[] = {sizeof(bad_type), sizeof(bad_len), sizeof(bad_str)};
    const char *what[] = {"unknown element type", "truncated document", "negative string length"};
    for (int i = 0; i < 3; i++) {
        size_t total = 16 + 4 + 1 + sizes[i];
        uint8_t *m = calloc(1, total);
        int32_t h[4] = {(int32_t)total, next_id++, 0, RW_OP_MSG};
        memcpy(m, h, 16);
        m[20] = 0;
        memcpy(m + 21, docs[i], sizes[i]);
        send_expect_error_or_close(m, total, what[i]);
        free(m);
    }
    assert_server_healthy(other, before, nb);
    mongoc_client_destroy(other);
}
END_TEST

START_TEST(test_unknown_opcode_and_flags)
{
    ck_assert(it_up);
    mongoc_client_t *other = fx_client(&it_srv);
    pid_t before[FX_MAX_WORKERS];
    int nb = worker_set(before);
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}");
    uint32_t len;
    uint8_t *m = rw_opmsg(next_id++, 0, ping, NULL, NULL, 0, &len);
    int32_t op = 9999;
    memcpy(m + 12, &op, 4);
    send_expect_error_or_close(m, len, "opcode 9999");
    op = 2010; /* OP_COMMAND, removed in 4.2 */
    memcpy(m + 12, &op, 4);
    send_expect_error_or_close(m, len, "opcode 2010 (OP_COMMAND)");
    free(m);
    /* an unknown required flag bit (bits 0-15 must be understood) */
    m = rw_opmsg(next_id++, 1u << 5, ping, NULL, NULL, 0, &len);
    send_expect_error_or_close(m, len, "unknown required flag bit 5");
    free(m);
    /* an unknown section kind */
    m = rw_opmsg(next_id++, 0, ping, NULL, NULL, 0, &len);
    m[20] = 7;
    send_expect_error_or_close(m, len, "section kind 7");
    free(m);
    bson_destroy(ping);
    assert_server_healthy(other, before, nb);
    mongoc_client_destroy(other);
}
END_TEST

START_TEST(test_garbage_and_torn_messages)
{
    ck_assert(it_up);
    mongoc_client_t *other = fx_client(&it_srv);
    pid_t before[FX_MAX_WORKERS];
    int nb = worker_set(before);
    /* 256 KiB of pseudo-random bytes */
    size_t n = 256 * 1024;
    uint8_t *junk = malloc(n);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    int32_t sane = 4000; /* a plausible length so the server reads on */
    memcpy(junk, &sane, 4);
    send_expect_error_or_close(junk, n, "random bytes");
    free(junk);
    /* half a message, then the client goes away */
    for (int i = 0; i < 20; i++) {
        int fd = rw_connect(it_srv.host, it_srv.port);
        ck_assert_int_ge(fd, 0);
        bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}");
        uint32_t len;
        uint8_t *m = rw_opmsg(next_id++, 0, ping, NULL, NULL, 0, &len);
        ck_assert_int_eq(rw_send(fd, m, len / 2), 0);
        close(fd);
        free(m);
        bson_destroy(ping);
    }
    /* a request, then the client closes before reading the reply */
    for (int i = 0; i < 20; i++) {
        int fd = rw_connect(it_srv.host, it_srv.port);
        ck_assert_int_ge(fd, 0);
        bson_t *f = fx_json("{'find': 'nothing', '$db': 'wire'}");
        uint32_t len;
        uint8_t *m = rw_opmsg(next_id++, 0, f, NULL, NULL, 0, &len);
        ck_assert_int_eq(rw_send(fd, m, len), 0);
        close(fd);
        free(m);
        bson_destroy(f);
    }
    assert_server_healthy(other, before, nb);
    mongoc_client_destroy(other);
}
END_TEST

/* big_doc -- {_id: id, data: <binary filling the document to exactly `total` bytes>}. */
static bson_t *
big_doc(const char *id, size_t total)
{
    bson_t *d = bson_new();
    BSON_APPEND_UTF8(d, "_id", id);
    /* overhead of the binary element: type(1) + "data\0"(5) + len(4) + subtype(1) */
    size_t payload = total - d->len - 11;
    uint8_t *bytes = malloc(payload);
    for (size_t i = 0; i < payload; i++)
        bytes[i] = (uint8_t)(i * 2654435761u >> 24);
    BSON_APPEND_BINARY(d, "data", BSON_SUBTYPE_BINARY, bytes, (uint32_t)payload);
    free(bytes);
    ck_assert_int_eq(d->len, total);
    return d;
}

START_TEST(test_16mib_document_round_trip)
{
    mongoc_client_t *c = IT_CLIENT();
    mongoc_collection_t *coll = mongoc_client_get_collection(c, "wire", "big16");
    size_t total = 16u * 1024u * 1024u - 64u;
    bson_t *doc = big_doc("big16", total);
    bson_error_t err;
    ck_assert_msg(mongoc_collection_insert_one(coll, doc, NULL, NULL, &err), "insert: %s",
                  err.message);
    bson_t *filter = fx_json("{'_id': 'big16'}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, NULL, NULL);
    const bson_t *got;
    ck_assert_msg(mongoc_cursor_next(cur, &got), "find: %s",
                  mongoc_cursor_error(cur, &err) ? err.message : "no document");
    ck_assert_int_eq(got->len, doc->len);
    ck_assert_msg(memcmp(bson_get_data(got), bson_get_data(doc), doc->len) == 0,
                  "the 16 MiB document came back different");
    mongoc_cursor_destroy(cur);
    bson_t r;
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    bson_destroy(filter);
    bson_destroy(doc);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(c);
}
END_TEST

START_TEST(test_17mib_document_rejected_connection_usable)
{
    /* libmongoc refuses to send a document over maxBsonObjectSize, so send it by hand: an
     * insert whose kind-1 sequence holds one 17 MiB document (the message, ~17 MiB, is well
     * under maxMessageSizeBytes). */
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    bson_t *body = fx_json("{'insert': 'big17', '$db': 'wire'}");
    bson_t *doc = big_doc("big17", 17u * 1024u * 1024u);
    uint32_t len;
    int32_t id = next_id++;
    uint8_t *m = rw_opmsg(id, 0, body, "documents", (const bson_t *const *)&doc, 1, &len);
    ck_assert_int_eq(rw_send(fd, m, len), 0);
    free(m);
    uint8_t *reply;
    uint32_t rlen;
    int got = rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen);
    ck_assert_msg(got == 1, "the 17 MiB insert must be answered, not %s",
                  got == 0 ? "closed" : "ignored");
    bson_t rb;
    ck_assert(rw_opmsg_body(reply, rlen, &rb, NULL));
    ck_assert_msg(!fx_bool(&rb, "ok") || fx_array_len(&rb, "writeErrors") == 1,
                  "a 17 MiB document must be refused: %s", fx_to_json(&rb));
    ck_assert_msg(fx_int(&rb, "n") == 0, "n: %s", fx_to_json(&rb));
    free(reply);
    /* the same connection still works */
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}"), r;
    ck_assert_int_eq(rw_roundtrip(fd, ping, &r), 1);
    ASSERT_INT(&r, "ok", 1);
    bson_destroy(&r);
    bson_t *cnt = fx_json("{'count': 'big17', '$db': 'wire'}");
    ck_assert_int_eq(rw_roundtrip(fd, cnt, &r), 1);
    ASSERT_INT(&r, "n", 0);
    bson_destroy(&r);
    bson_destroy(cnt);
    bson_destroy(ping);
    bson_destroy(doc);
    bson_destroy(body);
    close(fd);
}
END_TEST

START_TEST(test_pipelined_requests)
{
    /* several requests written back to back before reading: answered in order */
    ck_assert(it_up);
    int fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_int_ge(fd, 0);
    enum {
        N = 16
    };
    int32_t ids[N];
    size_t cap = 0, used = 0;
    uint8_t *all = NULL;
    for (int i = 0; i < N; i++) {
        char json[128];
        snprintf(json, sizeof(json),
                 "{'insert': 'pipe', '$db': 'wire', 'documents': [{'_id': %d}]}", i);
        bson_t *b = fx_json(json);
        uint32_t len;
        ids[i] = next_id++;
        uint8_t *m = rw_opmsg(ids[i], 0, b, NULL, NULL, 0, &len);
        if (used + len > cap) {
            cap = (used + len) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + used, m, len);
        used += len;
        free(m);
        bson_destroy(b);
    }
    ck_assert_int_eq(rw_send(fd, all, used), 0);
    free(all);
    for (int i = 0; i < N; i++) {
        uint8_t *reply;
        uint32_t rlen;
        ck_assert_int_eq(rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen), 1);
        int32_t response_to;
        rw_header(reply, NULL, NULL, &response_to, NULL);
        ck_assert_int_eq(response_to, ids[i]);
        bson_t rb;
        ck_assert(rw_opmsg_body(reply, rlen, &rb, NULL));
        ASSERT_INT(&rb, "n", 1);
        free(reply);
    }
    close(fd);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = it_tcase(s, "wire", true);
    tcase_add_test(tc, test_opmsg_basic_and_checksum);
    tcase_add_test(tc, test_bad_checksum_rejected);
    tcase_add_test(tc, test_document_sequence_and_more_to_come);
    tcase_add_test(tc, test_bad_lengths);
    tcase_add_test(tc, test_bad_bson);
    tcase_add_test(tc, test_unknown_opcode_and_flags);
    tcase_add_test(tc, test_garbage_and_torn_messages);
    tcase_add_test(tc, test_16mib_document_round_trip);
    tcase_add_test(tc, test_17mib_document_rejected_connection_usable);
    tcase_add_test(tc, test_pipelined_requests);
    return it_main(s);
}
