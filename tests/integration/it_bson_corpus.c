/*
 * tests/integration/it_bson_corpus.c -- the BSON corpus of MongoDB's driver specifications
 * against the server: valid BSON is stored byte for byte, invalid BSON is refused at the door.
 *
 * The corpus (the JSON files of tests/spec/bson-corpus, copied unchanged from mongodb/specifications
 * source/bson-corpus/tests) is read at test time from SDB_BSON_CORPUS_DIR, which the Makefile
 * sets to that folder of the source tree.  Every file is a JSON document parsed with libbson.
 *
 * Valid cases: each file's cases go to the server in one insert of {_id: n, d: <the case's
 * canonical_bson>} (n counts through the whole corpus), then come back with a find sorted by
 * _id; the bytes of each stored `d` must equal canonical_bson exactly.  So the server keeps
 * every type and every bit: -0.0, NaN payloads, decimal128, binary subtypes (old binary 0x02,
 * vectors), regex flags, code with scope, DBPointer, Symbol, Undefined, timestamps, and keys
 * with dots and dollars, which mongod 7.0 stores in nested documents.
 *
 * decodeErrors cases: each case's bytes are the body section of a raw OP_MSG on a connection
 * of its own.  What mongod 7.0 answers (OpMsg::parse, then validateBSON in its default,
 * structural mode), and so what the server must answer:
 *  - bytes that do not form a document: 22 InvalidBSON;
 *  - a well-formed document followed by more bytes (top.json's "garbage after envelope"): the
 *    extra bytes are read as the next section, whose kind byte 0xDE is unknown: 40432 (a
 *    second kind-0 section would be 40430);
 *  - invalid UTF-8 (string, code, symbol, DBPointer): not checked at the door (only validate's
 *    full mode checks UTF-8), so the body is a command named "a" like any other: the answer
 *    must be the one a well-formed {a: "x"} gets.
 * Closing the connection instead of answering is accepted for the first two (newer mongod
 * versions do), never for the third.  After each case the same connection (when open) and a fresh one
 * answer ping, and no worker was replaced during the whole run.
 *
 * One shared server with 2 workers.  The corpus has about 700 valid and 75 invalid cases;
 * the whole program takes well under a second.
 */
#include "harness.h"

#include <dirent.h>

#ifndef SDB_BSON_CORPUS_DIR
#error "SDB_BSON_CORPUS_DIR must name tests/spec/bson-corpus (the Makefile sets it)"
#endif

#define DB "bsoncorpus"
#define COLL "corpus"
#define MAX_FILES 64
#define MAX_REPORTS 20 /* mismatches printed in full; all are counted */

/* ---- reading the corpus ---------------------------------------------------------------- */

typedef struct corpus {
    char *names[MAX_FILES]; /* file names, sorted */
    int n;
} corpus_t;

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* corpus_list -- every *.json file of the corpus folder, sorted; fails the test if none. */
static void
corpus_list(corpus_t *c)
{
    DIR *d = opendir(SDB_BSON_CORPUS_DIR);
    struct dirent *e;

    ck_assert_msg(d != NULL, "cannot open %s", SDB_BSON_CORPUS_DIR);
    c->n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            ck_assert_msg(c->n < MAX_FILES, "more than %d corpus files", MAX_FILES);
            c->names[c->n++] = bson_strdup(e->d_name);
        }
    }
    closedir(d);
    ck_assert_msg(c->n > 0, "no corpus files in %s", SDB_BSON_CORPUS_DIR);
    qsort(c->names, (size_t)c->n, sizeof(c->names[0]), cmp_names);
}

static void
corpus_free(corpus_t *c)
{
    for (int i = 0; i < c->n; i++)
        bson_free(c->names[i]);
}

/* corpus_load -- one corpus file parsed from JSON (caller destroys). */
static bson_t *
corpus_load(const char *name)
{
    char path[1024];
    bson_error_t err;
    bson_json_reader_t *r;
    bson_t *doc = bson_new();
    int rc;

    snprintf(path, sizeof(path), "%s/%s", SDB_BSON_CORPUS_DIR, name);
    r = bson_json_reader_new_from_file(path, &err);
    ck_assert_msg(r != NULL, "%s: %s", path, err.message);
    rc = bson_json_reader_read(r, doc, &err);
    ck_assert_msg(rc == 1, "%s: not one JSON document (%s)", path, rc < 0 ? err.message : "empty");
    bson_json_reader_destroy(r);
    return doc;
}

/* hex_bytes -- the bytes a hex string spells (caller frees); fails the test on bad hex. */
static uint8_t *
hex_bytes(const char *hex, size_t *len, const char *what)
{
    size_t n = strlen(hex);
    uint8_t *out;

    ck_assert_msg(n % 2 == 0, "%s: odd hex length", what);
    out = bson_malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        ck_assert_msg(sscanf(hex + 2 * i, "%2x", &v) == 1, "%s: bad hex", what);
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return out;
}

/* hex_of -- a printable hex string of bytes (caller frees). */
static char *
hex_of(const uint8_t *p, size_t n)
{
    char *s = bson_malloc(2 * n + 1);

    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02X", p[i]);
    s[2 * n] = '\0';
    return s;
}

/* One case of a file's "valid" or "decodeErrors" array. */
typedef struct kase {
    char desc[256];
    uint8_t *bytes;
    size_t len;
} kase_t;

/* file_cases -- the cases of array `key` in file doc, with the hex field `field` decoded;
 * *n is their number (0 when the file has no such array).  Caller frees with cases_free. */
static kase_t *
file_cases(const bson_t *doc, const char *file, const char *key, const char *field, int *n)
{
    bson_iter_t it, arr, cs;
    kase_t *out = NULL;
    int cap = 0;

    *n = 0;
    if (!bson_iter_init_find(&it, doc, key))
        return NULL;
    ck_assert_msg(BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr), "%s: %s", file, key);
    while (bson_iter_next(&arr)) {
        kase_t *k;
        char what[400];
        ck_assert(BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &cs));
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            out = bson_realloc(out, (size_t)cap * sizeof(*out));
        }
        k = &out[(*n)++];
        memset(k, 0, sizeof(*k));
        snprintf(k->desc, sizeof(k->desc), "(no description)");
        while (bson_iter_next(&cs)) {
            if (strcmp(bson_iter_key(&cs), "description") == 0 && BSON_ITER_HOLDS_UTF8(&cs))
                snprintf(k->desc, sizeof(k->desc), "%s", bson_iter_utf8(&cs, NULL));
        }
        snprintf(what, sizeof(what), "%s: %s", file, k->desc);
        ck_assert(bson_iter_recurse(&arr, &cs));
        ck_assert_msg(bson_iter_find(&cs, field) && BSON_ITER_HOLDS_UTF8(&cs), "%s: no %s", what,
                      field);
        k->bytes = hex_bytes(bson_iter_utf8(&cs, NULL), &k->len, what);
    }
    return out;
}

static void
cases_free(kase_t *k, int n)
{
    for (int i = 0; i < n; i++)
        bson_free(k[i].bytes);
    bson_free(k);
}

/* ---- valid cases: stored unchanged ------------------------------------------------------ */

/* insert_cases -- one insert of {_id: first + i, d: case i} for every case; all must succeed. */
static void
insert_cases(mongoc_client_t *c, const char *file, const kase_t *k, int n, int first)
{
    bson_t cmd, docs, one, d, reply;
    bson_error_t err;
    bson_iter_t it;
    char key[16];
    const char *kp;

    bson_init(&cmd);
    BSON_APPEND_UTF8(&cmd, "insert", COLL);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "documents", &docs);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(bson_init_static(&d, k[i].bytes, k[i].len),
                      "%s: %s: canonical_bson is not "
                      "a document",
                      file, k[i].desc);
        bson_uint32_to_string((uint32_t)i, &kp, key, sizeof(key));
        bson_append_document_begin(&docs, kp, -1, &one);
        BSON_APPEND_INT32(&one, "_id", first + i);
        BSON_APPEND_DOCUMENT(&one, "d", &d);
        bson_append_document_end(&docs, &one);
    }
    bson_append_array_end(&cmd, &docs);
    bool ok = fx_cmd_bson(c, DB, &cmd, &reply, &err);
    if (bson_iter_init_find(&it, &reply, "writeErrors")) {
        bson_t we;
        ck_assert(fx_sub(&reply, "writeErrors.0", &we));
        int at = (int)fx_int(&we, "index");
        ck_abort_msg("%s: %s: not stored: %s", file, at >= 0 && at < n ? k[at].desc : "?",
                     fx_to_json(&we));
    }
    ck_assert_msg(ok, "%s: insert failed: %s (%s)", file, fx_to_json(&reply), err.message);
    ck_assert_msg(fx_int(&reply, "n") == n, "%s: %d inserted, want %d", file,
                  (int)fx_int(&reply, "n"), n);
    bson_destroy(&reply);
    bson_destroy(&cmd);
}

/* check_stored -- read _id first..first+n-1 back; returns how many `d` differ from the case's
 * bytes (each printed, up to *reports). */
static int
check_stored(mongoc_client_t *c, const char *file, const kase_t *k, int n, int first, int *reports)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(c, DB, COLL);
    bson_t *filter =
        BCON_NEW("_id", "{", "$gte", BCON_INT32(first), "$lt", BCON_INT32(first + n), "}");
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
    const bson_t *doc;
    bson_error_t err;
    int i = 0, bad = 0;

    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        const uint8_t *data;
        uint32_t len;

        ck_assert_msg(i < n, "%s: more documents than inserted", file);
        ck_assert_msg(fx_int(doc, "_id") == first + i, "%s: _id %d missing (got %s)", file,
                      first + i, fx_to_json(doc));
        ck_assert_msg(bson_iter_init_find(&it, doc, "d") && BSON_ITER_HOLDS_DOCUMENT(&it),
                      "%s: %s: no document d in %s", file, k[i].desc, fx_to_json(doc));
        bson_iter_document(&it, &len, &data);
        if (len != k[i].len || memcmp(data, k[i].bytes, len) != 0) {
            if ((*reports)++ < MAX_REPORTS) {
                char *want = hex_of(k[i].bytes, k[i].len), *got = hex_of(data, len);
                fprintf(stderr, "%s: %s: stored bytes differ\n  want %s\n  got  %s\n", file,
                        k[i].desc, want, got);
                bson_free(want);
                bson_free(got);
            }
            bad++;
        }
        i++;
    }
    ck_assert_msg(!mongoc_cursor_error(cur, &err), "%s: find: %s", file, err.message);
    ck_assert_msg(i == n, "%s: %d documents read back, want %d", file, i, n);
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(coll);
    return bad;
}

START_TEST(test_valid_stored_unchanged)
{
    mongoc_client_t *c = IT_CLIENT();
    corpus_t corpus;
    int next = 0, bad = 0, reports = 0;
    bson_t r;

    fx_cmd(c, DB, "{'drop': '" COLL "'}", &r, NULL);
    bson_destroy(&r);
    corpus_list(&corpus);
    for (int f = 0; f < corpus.n; f++) {
        bson_t *doc = corpus_load(corpus.names[f]);
        int n;
        kase_t *k = file_cases(doc, corpus.names[f], "valid", "canonical_bson", &n);
        if (n > 0) {
            insert_cases(c, corpus.names[f], k, n, next);
            bad += check_stored(c, corpus.names[f], k, n, next, &reports);
            next += n;
        }
        cases_free(k, n);
        bson_destroy(doc);
    }
    corpus_free(&corpus);
    fprintf(stderr, "bson corpus: %d valid cases stored and read back\n", next);
    ck_assert_msg(next > 0, "the corpus has no valid cases");
    ck_assert_msg(bad == 0, "%d of %d valid cases were not stored unchanged (see above)", bad,
                  next);
    mongoc_client_destroy(c);
}
END_TEST

/* ---- decodeErrors: refused at the door -------------------------------------------------- */

/* What the server must do with one invalid body (see the banner). */
typedef enum expect {
    EXPECT_INVALID_BSON,   /* 22, or the connection closed */
    EXPECT_SECOND_SECTION, /* the code of the section after a good body, or closed */
    EXPECT_AS_COMMAND      /* answered exactly as the control command {a: "x"} */
} expect_t;

static int32_t next_req = 1;

/* raw_opmsg -- an OP_MSG whose body section is `len` raw bytes (caller frees). */
static uint8_t *
raw_opmsg(const uint8_t *body, size_t len, uint32_t *total)
{
    uint32_t n = (uint32_t)(16 + 4 + 1 + len);
    int32_t fields[4] = {(int32_t)n, next_req++, 0, RW_OP_MSG};
    uint8_t *m = bson_malloc(n);

    memcpy(m, fields, 16);
    memset(m + 16, 0, 5); /* flagBits 0, section kind 0 */
    memcpy(m + 21, body, len);
    *total = n;
    return m;
}

/* send_body -- send raw body bytes on fd; 1 with the reply body in *reply (initialised),
 * 0 if the server closed the connection, -1 on a hang or a malformed reply. */
static int
send_body(int fd, const uint8_t *body, size_t len, bson_t *reply)
{
    uint32_t mlen, rlen;
    uint8_t *m = raw_opmsg(body, len, &mlen), *r;
    bson_t b;
    int got;

    bson_init(reply);
    got = rw_send(fd, m, mlen);
    bson_free(m);
    if (got != 0)
        return 0;
    got = rw_recv(fd, RW_TIMEOUT_MS, &r, &rlen);
    if (got != 1)
        return got;
    got = rw_opmsg_body(r, rlen, &b, NULL) ? 1 : -1;
    if (got == 1)
        bson_concat(reply, &b);
    free(r);
    return got;
}

/* classify -- what mongod does with these body bytes; *code is the code it answers. */
static expect_t
classify(const kase_t *k, int32_t control_code, int32_t *code)
{
    bson_t doc;
    uint32_t stated;

    if (strstr(k->desc, "UTF-8") != NULL) {
        *code = control_code;
        return EXPECT_AS_COMMAND;
    }
    *code = 22;
    if (k->len < 5)
        return EXPECT_INVALID_BSON;
    memcpy(&stated, k->bytes, 4);
    if (stated >= 5 && stated < k->len && bson_init_static(&doc, k->bytes, stated) &&
        bson_validate(&doc, BSON_VALIDATE_NONE, NULL)) {
        /* a good body, then a section of kind bytes[stated]: a second body, or unknown */
        *code = k->bytes[stated] == 0 ? 40430 : 40432;
        return EXPECT_SECOND_SECTION;
    }
    return EXPECT_INVALID_BSON;
}

/* ping_ok -- a ping on fd is answered ok: 1. */
static bool
ping_ok(int fd)
{
    bson_t *ping = fx_json("{'ping': 1, '$db': 'admin'}");
    bson_t reply;
    bool ok = rw_roundtrip(fd, ping, &reply) == 1 && fx_int(&reply, "ok") == 1;

    bson_destroy(&reply);
    bson_destroy(ping);
    return ok;
}

/* check_decode_error -- send one case and check the answer; returns whether it was closed. */
static bool
check_decode_error(const char *file, const kase_t *k, int32_t control_code)
{
    int32_t want;
    expect_t e = classify(k, control_code, &want);
    int fd = rw_connect(it_srv.host, it_srv.port);
    bson_t reply;
    int got;

    ck_assert_int_ge(fd, 0);
    got = send_body(fd, k->bytes, k->len, &reply);
    ck_assert_msg(got >= 0, "%s: %s: no answer (hang or malformed reply)", file, k->desc);
    ck_assert_msg(got == 1 || e != EXPECT_AS_COMMAND,
                  "%s: %s: the connection was closed, but mongod answers this as command 'a'", file,
                  k->desc);
    if (got == 1) {
        ck_assert_msg(fx_has(&reply, "ok") && fx_int(&reply, "ok") == 0 &&
                          fx_int(&reply, "code") == want,
                      "%s: %s: want an error with code %d, got %s", file, k->desc, (int)want,
                      fx_to_json(&reply));
        ck_assert_msg(ping_ok(fd), "%s: %s: the connection does not answer ping afterwards", file,
                      k->desc);
    }
    bson_destroy(&reply);
    close(fd);
    fd = rw_connect(it_srv.host, it_srv.port);
    ck_assert_msg(fd >= 0 && ping_ok(fd), "%s: %s: a fresh connection does not answer ping", file,
                  k->desc);
    close(fd);
    return got == 0;
}

/* control_code -- the code of the answer to a well-formed body {a: "x"} (no such command). */
static int32_t
control_code(void)
{
    bson_t *body = fx_json("{'a': 'x'}");
    bson_t reply;
    int fd = rw_connect(it_srv.host, it_srv.port);
    int32_t code;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send_body(fd, bson_get_data(body), body->len, &reply), 1);
    ck_assert_msg(fx_int(&reply, "ok") == 0 && fx_int(&reply, "code") != 0 &&
                      fx_int(&reply, "code") != 22,
                  "{a: 'x'} should fail as an unknown command: %s", fx_to_json(&reply));
    code = (int32_t)fx_int(&reply, "code");
    bson_destroy(&reply);
    bson_destroy(body);
    close(fd);
    return code;
}

/* same_workers -- the workers now are exactly the processes in before[0..nb). */
static bool
same_workers(const pid_t *before, int nb)
{
    pid_t now[FX_MAX_WORKERS];
    int n = fx_worker_pids(&it_srv, now, FX_MAX_WORKERS);

    for (int i = 0; i < n; i++) {
        bool known = false;
        for (int j = 0; j < nb && !known; j++)
            known = now[i] == before[j];
        if (!known)
            return false;
    }
    return n == nb;
}

START_TEST(test_decode_errors_refused)
{
    pid_t before[FX_MAX_WORKERS];
    corpus_t corpus;
    int total = 0, closed = 0, nb;
    int32_t ctrl;

    ck_assert_msg(it_up, "the shared server did not start");
    nb = fx_worker_pids(&it_srv, before, FX_MAX_WORKERS);
    ctrl = control_code();
    corpus_list(&corpus);
    for (int f = 0; f < corpus.n; f++) {
        bson_t *doc = corpus_load(corpus.names[f]);
        int n;
        kase_t *k = file_cases(doc, corpus.names[f], "decodeErrors", "bson", &n);
        for (int i = 0; i < n; i++)
            closed += check_decode_error(corpus.names[f], &k[i], ctrl);
        total += n;
        cases_free(k, n);
        bson_destroy(doc);
    }
    corpus_free(&corpus);
    fprintf(stderr, "bson corpus: %d decodeErrors cases refused (%d by closing)\n", total, closed);
    ck_assert_msg(total > 0, "the corpus has no decodeErrors cases");
    ck_assert_msg(nb > 0 && same_workers(before, nb),
                  "a worker was replaced while the invalid bodies were sent");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("bson_corpus");
    TCase *tc = it_tcase(s, "corpus", true);

    tcase_add_test(tc, test_valid_stored_unchanged);
    tcase_add_test(tc, test_decode_errors_refused);
    return it_main(s);
}
