/*
 * tests/integration/it_compression.c -- wire compression (OP_COMPRESSED) end to end.
 *
 * hello negotiates the client's compressors in the client's order, keeping only the ones the
 * server offers (--networkMessageCompressors, default snappy,zstd,zlib); a request compressed
 * with snappy, zlib, zstd or noop is answered with an OP_COMPRESSED by the same compressor
 * (checked by decompressing the reply with the real libraries), hello itself never; lying
 * sizes, a decompression bomb and garbage payloads get an error or a closed connection while
 * the worker lives and other connections are served; libmongoc with compressors in its URI
 * does CRUD; with --networkMessageCompressors disabled nothing is negotiated.
 */
#include "harness.h"
#include "rawwire.h"

#include <snappy-c.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define DB "comptest"

static void
put32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

static int32_t
get32(const uint8_t *p)
{
    int32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* squeeze -- compress in[0..n) with compressor id into a malloc'd buffer (the libraries
 * themselves, not the server's code). */
static uint8_t *
squeeze(int id, const uint8_t *in, size_t n, size_t *out_len)
{
    size_t cap = id == 1   ? snappy_max_compressed_length(n)
                 : id == 2 ? compressBound((uLong)n)
                 : id == 3 ? ZSTD_compressBound(n)
                           : n;
    uint8_t *out = malloc(cap + 1);
    uLongf zn = (uLongf)cap;

    *out_len = cap;
    if (id == 0)
        memcpy(out, in, n);
    else if (id == 1)
        ck_assert(snappy_compress((const char *)in, n, (char *)out, out_len) == SNAPPY_OK);
    else if (id == 2) {
        ck_assert(compress2(out, &zn, in, (uLong)n, 6) == Z_OK);
        *out_len = (size_t)zn;
    } else {
        *out_len = ZSTD_compress(out, cap, in, n, 1);
        ck_assert(!ZSTD_isError(*out_len));
    }
    return out;
}

#define TRUE_SIZE INT32_MIN /* wrap's `declared`: the real uncompressed size */

/* wrap -- an OP_COMPRESSED of message msg[0..len) with compressor id; `declared` is the
 * uncompressedSize it claims (TRUE_SIZE: the real one). */
static uint8_t *
wrap(int id, const uint8_t *msg, uint32_t len, int32_t declared, uint32_t *out_len)
{
    size_t plen;
    uint8_t *payload = squeeze(id, msg + 16, len - 16, &plen);
    uint8_t *out = malloc(16 + 9 + plen);

    *out_len = (uint32_t)(16 + 9 + plen);
    put32(out, (int32_t)*out_len);
    put32(out + 4, get32(msg + 4));
    put32(out + 8, 0);
    put32(out + 12, RW_OP_COMPRESSED);
    put32(out + 16, get32(msg + 12));
    put32(out + 20, declared != TRUE_SIZE ? declared : (int32_t)(len - 16));
    out[24] = (uint8_t)id;
    memcpy(out + 25, payload, plen);
    free(payload);
    return out;
}

/* unwrap -- the reply msg: its compressor id (-1 when not compressed) and its OP_MSG body as
 * a copy in *body. */
static int
unwrap(const uint8_t *msg, uint32_t len, bson_t *body)
{
    int32_t opcode = get32(msg + 12), id = -1;
    uint8_t *plain = NULL;
    uint32_t plen = len;
    bson_t view;

    if (opcode == RW_OP_COMPRESSED) {
        int32_t usize = get32(msg + 20);
        const uint8_t *p = msg + 25;
        size_t n = (size_t)len - 25, got = (size_t)usize;
        uLongf zn = (uLongf)usize;

        id = msg[24];
        plain = malloc((size_t)usize + 16);
        memcpy(plain, msg, 16);
        put32(plain, usize + 16);
        put32(plain + 12, get32(msg + 16));
        if (id == 0)
            memcpy(plain + 16, p, n);
        else if (id == 1)
            ck_assert(snappy_uncompress((const char *)p, n, (char *)plain + 16, &got) == SNAPPY_OK);
        else if (id == 2)
            ck_assert(uncompress(plain + 16, &zn, p, (uLong)n) == Z_OK);
        else
            ck_assert((size_t)ZSTD_decompress(plain + 16, (size_t)usize, p, n) == (size_t)usize);
        plen = (uint32_t)usize + 16;
        msg = plain;
    }
    ck_assert(rw_opmsg_body(msg, plen, &view, NULL));
    bson_copy_to(&view, body);
    free(plain);
    return id;
}

/* compressed_cmd -- send command json with compressor id (declared size override), read the
 * reply: 1 answered (*body, *reply_id), 0 closed. */
static int
compressed_cmd(int fd, int id, const char *json, int32_t declared, bson_t *body, int *reply_id)
{
    bson_t *cmd = fx_json(json);
    uint32_t len, clen, rlen;
    uint8_t *msg = rw_opmsg(7, 0, cmd, NULL, NULL, 0, &len), *c, *reply = NULL;
    int got;

    c = wrap(id, msg, len, declared, &clen);
    ck_assert_int_eq(rw_send(fd, c, clen), 0);
    got = rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen);
    ck_assert_int_ge(got, 0);
    if (got == 1)
        *reply_id = unwrap(reply, rlen, body);
    free(reply);
    free(c);
    free(msg);
    bson_destroy(cmd);
    return got;
}

START_TEST(test_negotiation)
{
    int fd = rw_connect(it_srv.host, it_srv.port);
    bson_t *hello = fx_json("{'hello': 1, 'compression': ['zstd', 'foo', 'zlib', 'snappy', "
                            "'noop'], '$db': 'admin'}");
    bson_t r;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rw_roundtrip(fd, hello, &r), 1);
    ck_assert_int_eq(fx_array_len(&r, "compression"), 3);
    ASSERT_STR(&r, "compression.0", "zstd");
    ASSERT_STR(&r, "compression.1", "zlib");
    ASSERT_STR(&r, "compression.2", "snappy");
    bson_destroy(&r);
    bson_destroy(hello);
    /* a client that asks for none gets no compression field */
    hello = fx_json("{'hello': 1, '$db': 'admin'}");
    ck_assert_int_eq(rw_roundtrip(fd, hello, &r), 1);
    ck_assert(!fx_has(&r, "compression"));
    bson_destroy(&r);
    bson_destroy(hello);
    close(fd);
}
END_TEST

START_TEST(test_each_compressor_both_ways)
{
    mongoc_client_t *c = IT_CLIENT();
    int fd = rw_connect(it_srv.host, it_srv.port);
    bson_t r, body;
    int id = -2;

    CMD_OK(c, DB,
           "{'insert': 'z', 'documents': [{'_id': 1, 's': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}]}", &r);
    bson_destroy(&r);
    ck_assert_int_ge(fd, 0);
    for (int k = 0; k <= 3; k++) {
        ck_assert_int_eq(compressed_cmd(fd, k, "{'find': 'z', 'filter': {}, '$db': '" DB "'}",
                                        TRUE_SIZE, &body, &id),
                         1);
        ck_assert_msg(id == k, "compressor %d answered with %d", k, id);
        ASSERT_INT(&body, "cursor.firstBatch.0._id", 1);
        bson_destroy(&body);
    }
    /* hello is never answered compressed (mongod's rule for the handshake) */
    ck_assert_int_eq(compressed_cmd(fd, 1, "{'hello': 1, '$db': 'admin'}", TRUE_SIZE, &body, &id),
                     1);
    ck_assert_int_eq(id, -1);
    ASSERT_INT(&body, "ok", 1);
    bson_destroy(&body);
    close(fd);
    mongoc_client_destroy(c);
}
END_TEST

/* bad_then_alive -- a hostile OP_COMPRESSED (compressor id, declared size) gets an error reply
 * or a closed connection; the server keeps serving a new connection. */
static void
bad_then_alive(int id, int32_t declared)
{
    int fd = rw_connect(it_srv.host, it_srv.port), rid = -2;
    mongoc_client_t *c;
    bson_t body, r;

    ck_assert_int_ge(fd, 0);
    if (compressed_cmd(fd, id, "{'ping': 1, '$db': 'admin'}", declared, &body, &rid) == 1) {
        ck_assert_msg(fx_int(&body, "ok") == 0, "compressor %d, size %d accepted: %s", id,
                      (int)declared, fx_to_json(&body));
        ASSERT_INT(&body, "code", 17); /* ProtocolError */
        bson_destroy(&body);
    }
    close(fd);
    c = IT_CLIENT();
    CMD_OK(c, "admin", "{'ping': 1}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}

START_TEST(test_hostile_payloads)
{
    pid_t before[FX_MAX_WORKERS], after[FX_MAX_WORKERS];
    int nb = fx_worker_pids(&it_srv, before, FX_MAX_WORKERS), na;

    for (int k = 0; k <= 3; k++) {
        bad_then_alive(k, 1000);       /* declared size larger than the payload inflates to */
        bad_then_alive(k, 5);          /* smaller */
        bad_then_alive(k, 47999990);   /* a bomb: far more than the payload holds */
        bad_then_alive(k, 0x7fffffff); /* past maxMessageSizeBytes: refused before allocating */
        bad_then_alive(k, -1);         /* negative */
    }
    /* an unknown compressor id */
    {
        int fd = rw_connect(it_srv.host, it_srv.port), rid;
        bson_t body;
        bson_t *cmd = fx_json("{'ping': 1, '$db': 'admin'}");
        uint32_t len, clen, rlen;
        uint8_t *msg = rw_opmsg(9, 0, cmd, NULL, NULL, 0, &len),
                *w = wrap(0, msg, len, TRUE_SIZE, &clen);
        uint8_t *reply = NULL;

        w[24] = 9;
        ck_assert_int_eq(rw_send(fd, w, clen), 0);
        if (rw_recv(fd, RW_TIMEOUT_MS, &reply, &rlen) == 1) {
            rid = unwrap(reply, rlen, &body);
            ck_assert_int_eq(rid, -1);
            ASSERT_INT(&body, "ok", 0);
            bson_destroy(&body);
        }
        free(reply);
        free(w);
        free(msg);
        bson_destroy(cmd);
        close(fd);
    }
    /* no worker died on the way */
    na = fx_worker_pids(&it_srv, after, FX_MAX_WORKERS);
    ck_assert_int_eq(na, nb);
    ck_assert(memcmp(before, after, (size_t)nb * sizeof(pid_t)) == 0);
}
END_TEST

START_TEST(test_driver_with_compressors)
{
    char uri[1200];
    mongoc_client_t *c;
    bson_t r;

    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"snappy", "zlib", "zstd"};
        snprintf(uri, sizeof(uri), "%s%scompressors=%s", it_srv.uri,
                 strchr(it_srv.uri, '?') != NULL ? "&" : "?", names[i]);
        c = mongoc_client_new(uri);
        ck_assert(c != NULL);
        CMD_OK(c, DB, "{'insert': 'd', 'documents': [{'v': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}]}",
               &r);
        bson_destroy(&r);
        CMD_OK(c, DB, "{'count': 'd'}", &r);
        ASSERT_INT(&r, "n", i + 1);
        bson_destroy(&r);
        mongoc_client_destroy(c);
    }
}
END_TEST

START_TEST(test_disabled)
{
    static const char *const extra[] = {"--networkMessageCompressors", "disabled", NULL};
    fx_server_t s;
    bson_t *hello = fx_json("{'hello': 1, 'compression': ['zstd', 'snappy'], '$db': 'admin'}");
    bson_t r;
    int fd;

    ck_assert_int_eq(fx_server_init(&s, 1), 0);
    s.extra = extra;
    ck_assert_int_eq(fx_server_start(&s), 0);
    fd = rw_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rw_roundtrip(fd, hello, &r), 1);
    ck_assert_int_eq(fx_array_len(&r, "compression"), 0);
    bson_destroy(&r);
    close(fd);
    bson_destroy(hello);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("compression");
    TCase *tc = it_tcase(s, "shared", true);
    TCase *own = it_tcase(s, "own", false);

    tcase_add_test(tc, test_negotiation);
    tcase_add_test(tc, test_each_compressor_both_ways);
    tcase_add_test(tc, test_hostile_payloads);
    tcase_add_test(tc, test_driver_with_compressors);
    tcase_add_test(own, test_disabled);
    return it_main(s);
}
