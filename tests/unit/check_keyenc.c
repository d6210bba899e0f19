/*
 * tests/unit/check_keyenc.c -- unit tests for src/common/keyenc.c (index key encoding).
 *
 * The same ascending table of values as check_bsoncmp.c is encoded, and memcmp order of the
 * encodings must equal sdb_bson_value_cmp order for every pair, ascending and descending;
 * equal numbers of every type must encode identically; decoding must give back an equal
 * value.  Key generation is checked through sdb_keyenc_keys on small documents: compound
 * and descending keys, multikey expansion, missing fields, empty arrays, positional paths
 * and the parallel-arrays error.  Single-threaded; no server is started.
 */
#include "../../src/common/bsoncmp.h"
#include "../../src/common/collation.h"
#include "../../src/common/errors.h"
#include "../../src/common/keyenc.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"
#include "order_table.h"

/* encode -- a value's encoding into a fresh buffer (caller frees). */
static void
encode(const bson_value_t *v, int desc, sdb_keybuf_t *kb)
{
    sdb_keybuf_init(kb);
    ck_assert_int_eq(sdb_keyenc_value(kb, v, desc), 0);
}

static int
kb_cmp(const sdb_keybuf_t *a, const sdb_keybuf_t *b)
{
    size_t m = a->len < b->len ? a->len : b->len;
    int c = m > 0 ? memcmp(a->data, b->data, m) : 0;

    if (c != 0)
        return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

START_TEST(test_table_order)
{
    bson_t arr;
    bson_value_t vals[256];
    sdb_keybuf_t asc[256], desc[256];
    size_t n, i, j;

    build_table(&arr);
    n = table_values(&arr, vals, 256);
    for (i = 0; i < n; i++) {
        encode(&vals[i], 0, &asc[i]);
        encode(&vals[i], 1, &desc[i]);
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            int want = (i > j) - (i < j);

            ck_assert_msg(kb_cmp(&asc[i], &asc[j]) == want, "asc memcmp(#%zu, #%zu) != %d", i, j,
                          want);
            ck_assert_msg(kb_cmp(&desc[i], &desc[j]) == -want, "desc memcmp(#%zu, #%zu)", i, j);
        }
    }
    for (i = 0; i < n; i++) {
        sdb_keybuf_free(&asc[i]);
        sdb_keybuf_free(&desc[i]);
    }
    bson_destroy(&arr);
}
END_TEST

/* check_roundtrip -- decode(encode(v)) compares equal to v and re-encodes identically. */
static void
check_roundtrip(const bson_value_t *v, int desc, size_t idx)
{
    sdb_keybuf_t kb, kb2;
    bson_t out = BSON_INITIALIZER;
    bson_iter_t it;
    size_t pos = 0;

    encode(v, desc, &kb);
    ck_assert_int_eq(sdb_keyenc_decode_value(kb.data, kb.len, &pos, desc, &out, "v"), 0);
    ck_assert_uint_eq(pos, kb.len);
    ck_assert(bson_iter_init_find(&it, &out, "v"));
    ck_assert_msg(sdb_bson_value_cmp(bson_iter_value(&it), v) == 0, "roundtrip #%zu", idx);
    encode(bson_iter_value(&it), desc, &kb2);
    ck_assert_msg(kb_cmp(&kb, &kb2) == 0, "re-encode #%zu", idx);
    sdb_keybuf_free(&kb);
    sdb_keybuf_free(&kb2);
    bson_destroy(&out);
}

/* holds_decimal -- true when v is or contains a decimal128 (decoded as double: inexact). */
static int
holds_decimal(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_DECIMAL128;
}

START_TEST(test_decode_roundtrip)
{
    bson_t arr;
    bson_value_t vals[256];
    size_t n, i;

    build_table(&arr);
    n = table_values(&arr, vals, 256);
    for (i = 0; i < n; i++) {
        if (holds_decimal(&vals[i]))
            continue;
        check_roundtrip(&vals[i], 0, i);
        check_roundtrip(&vals[i], 1, i);
    }
    bson_destroy(&arr);
}
END_TEST

/* check_same_encoding -- every element of the array "v" encodes to the same bytes. */
static void
check_same_encoding(const char *json)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it, sub;
    sdb_keybuf_t first, kb;
    int n = 0;

    ck_assert_msg(doc != NULL, "bad json %s", json);
    ck_assert(bson_iter_init_find(&it, doc, "v") && bson_iter_recurse(&it, &sub));
    while (bson_iter_next(&sub)) {
        encode(bson_iter_value(&sub), 0, n == 0 ? &first : &kb);
        if (n++ == 0)
            continue;
        ck_assert_msg(kb_cmp(&first, &kb) == 0, "%s: #%d encodes differently", json, n - 1);
        sdb_keybuf_free(&kb);
    }
    sdb_keybuf_free(&first);
    bson_destroy(doc);
}

START_TEST(test_numeric_canonical)
{
    check_same_encoding("{\"v\": [1, {\"$numberLong\": \"1\"}, 1.0, {\"$numberDecimal\": \"1\"},"
                        " {\"$numberDecimal\": \"1.000\"}, {\"$numberDecimal\": \"0.01E2\"}]}");
    check_same_encoding("{\"v\": [0, 0.0, -0.0, {\"$numberDecimal\": \"-0\"},"
                        " {\"$numberDecimal\": \"0E+300\"}]}");
    check_same_encoding("{\"v\": [{\"$numberDouble\": \"NaN\"}, {\"$numberDouble\": \"-NaN\"},"
                        " {\"$numberDecimal\": \"NaN\"}, {\"$numberDecimal\": \"-NaN\"}]}");
    check_same_encoding("{\"v\": [{\"$numberDouble\": \"-Infinity\"},"
                        " {\"$numberDecimal\": \"-Infinity\"}]}");
    check_same_encoding("{\"v\": [{\"$numberLong\": \"-9223372036854775808\"},"
                        " -9223372036854775808.0]}");
    check_same_encoding("{\"v\": [-2.5, {\"$numberDecimal\": \"-2.50\"}]}");
    check_same_encoding("{\"v\": [\"abc\", {\"$symbol\": \"abc\"}]}");
    check_same_encoding("{\"v\": [{\"a\": [1, 2.0]}, {\"a\": [1.0, {\"$numberLong\": \"2\"}]}]}");
}
END_TEST

START_TEST(test_rid)
{
    int64_t rids[] = {INT64_MIN, -1000, -1, 0, 1, 255, 256, 1LL << 40, INT64_MAX};
    sdb_keybuf_t a, b;
    size_t i, n = sizeof(rids) / sizeof(rids[0]);

    sdb_keybuf_init(&a);
    sdb_keybuf_init(&b);
    for (i = 0; i < n; i++) {
        sdb_keybuf_reset(&a);
        sdb_keyenc_rid(&a, rids[i]);
        ck_assert_uint_eq(a.len, 8);
        ck_assert_int_eq(sdb_keyenc_decode_rid(a.data, a.len), rids[i]);
        if (i > 0)
            ck_assert_int_lt(memcmp(b.data, a.data, 8), 0);
        sdb_keybuf_reset(&b);
        sdb_keyenc_rid(&b, rids[i]);
    }
    sdb_keybuf_free(&a);
    sdb_keybuf_free(&b);
}
END_TEST

/* random_value -- a random number, short string, or array/document of such. */
static void
random_value(uint64_t *seed, bson_t *holder, int depth)
{
    uint64_t r = rnd(seed);
    char key[16], text[4];
    bson_value_t v;
    bson_t child;
    int i, n;

    if (depth < 2 && r % 5 == 0) {
        n = (int)(rnd(seed) % 3);
        if (r & 32)
            bson_append_array_begin(holder, "v", -1, &child);
        else
            bson_append_document_begin(holder, "v", -1, &child);
        for (i = 0; i < n; i++) {
            bson_t tmp = BSON_INITIALIZER;
            bson_iter_t it;

            random_value(seed, &tmp, depth + 1);
            ck_assert(bson_iter_init_find(&it, &tmp, "v"));
            if (r & 32)
                snprintf(key, sizeof(key), "%d", i);
            else
                snprintf(key, sizeof(key), "k%d", (r & 64) ? i : n - i);
            bson_append_iter(&child, key, -1, &it);
            bson_destroy(&tmp);
        }
        if (r & 32)
            bson_append_array_end(holder, &child);
        else
            bson_append_document_end(holder, &child);
    } else if (r % 5 == 1) {
        n = (int)(rnd(seed) % 4);
        for (i = 0; i < n; i++)
            text[i] = "\0ab"[rnd(seed) % 3];
        bson_append_utf8(holder, "v", -1, text, n);
    } else {
        random_number(seed, &v);
        bson_append_value(holder, "v", -1, &v);
    }
}

START_TEST(test_random_consistency)
{
    enum {
        N = 600
    };
    uint64_t seed = 0x243f6a8885a308d3ull;
    bson_t *holders = bson_malloc(N * sizeof(bson_t));
    bson_value_t vals[N];
    sdb_keybuf_t asc[N], desc[N];
    bson_iter_t it;
    int i, j;

    for (i = 0; i < N; i++) {
        bson_init(&holders[i]);
        random_value(&seed, &holders[i], 0);
        ck_assert(bson_iter_init_find(&it, &holders[i], "v"));
        vals[i] = *bson_iter_value(&it);
        encode(&vals[i], 0, &asc[i]);
        encode(&vals[i], 1, &desc[i]);
    }
    for (i = 0; i < N; i++) {
        for (j = 0; j < N; j++) {
            int c = sdb_bson_value_cmp(&vals[i], &vals[j]);

            ck_assert_msg(kb_cmp(&asc[i], &asc[j]) == c, "asc pair %d %d: cmp %d", i, j, c);
            ck_assert_msg(kb_cmp(&desc[i], &desc[j]) == -c, "desc pair %d %d", i, j);
        }
    }
    for (i = 0; i < N; i++) {
        sdb_keybuf_free(&asc[i]);
        sdb_keybuf_free(&desc[i]);
        bson_destroy(&holders[i]);
    }
    bson_free(holders);
}
END_TEST

/* encode_pair -- the compound key (a, b) under directions (da, db). */
static void
encode_pair(const char *json, int da, int db, sdb_keybuf_t *kb)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it;

    ck_assert_msg(doc != NULL, "bad json %s", json);
    sdb_keybuf_init(kb);
    ck_assert(bson_iter_init_find(&it, doc, "a"));
    ck_assert_int_eq(sdb_keyenc_value(kb, bson_iter_value(&it), da), 0);
    ck_assert(bson_iter_init_find(&it, doc, "b"));
    ck_assert_int_eq(sdb_keyenc_value(kb, bson_iter_value(&it), db), 0);
    bson_destroy(doc);
}

/* check_pair_order -- the JSON documents {a, b} are in ascending key order. */
static void
check_pair_order(const char **docs, size_t n, int da, int db)
{
    sdb_keybuf_t prev, cur;
    size_t i;

    for (i = 0; i < n; i++) {
        encode_pair(docs[i], da, db, &cur);
        if (i > 0) {
            ck_assert_msg(kb_cmp(&prev, &cur) < 0, "%s !< %s (dirs %d %d)", docs[i - 1], docs[i],
                          da, db);
            sdb_keybuf_free(&prev);
        }
        prev = cur;
    }
    sdb_keybuf_free(&prev);
}

START_TEST(test_compound_descending)
{
    const char *asc_desc[] = {
        "{\"a\": 1, \"b\": \"z\"}",
        "{\"a\": 1, \"b\": \"ab\"}",
        "{\"a\": 1, \"b\": \"a\\u0000\"}",
        "{\"a\": 1, \"b\": \"a\"}",
        "{\"a\": 1, \"b\": 5}",
        "{\"a\": 1, \"b\": null}",
        "{\"a\": 1.5, \"b\": [1, 2]}",
        "{\"a\": 1.5, \"b\": [1]}",
        "{\"a\": 1.5, \"b\": []}",
        "{\"a\": 2, \"b\": {\"x\": 1, \"y\": 1}}",
        "{\"a\": 2, \"b\": {\"x\": 1}}",
        "{\"a\": \"s\", \"b\": 1}",
    };
    const char *desc_asc[] = {
        "{\"a\": [1, 2], \"b\": 1}",       "{\"a\": [1], \"b\": 1}",
        "{\"a\": {\"x\": [1]}, \"b\": 1}", "{\"a\": {\"x\": []}, \"b\": -1}",
        "{\"a\": {\"x\": []}, \"b\": 7}",  "{\"a\": \"ab\", \"b\": 1}",
        "{\"a\": \"a\", \"b\": 0}",        "{\"a\": \"a\", \"b\": 2}",
        "{\"a\": 10, \"b\": 1}",           "{\"a\": -10, \"b\": 1}",
        "{\"a\": null, \"b\": 1}",
    };

    check_pair_order(asc_desc, sizeof(asc_desc) / sizeof(asc_desc[0]), 0, 1);
    check_pair_order(desc_asc, sizeof(desc_asc) / sizeof(desc_asc[0]), 1, 0);
}
END_TEST

typedef struct keyset {
    const bson_t *pattern;
    char out[2048];
} keyset_t;

static int
collect(const uint8_t *key, size_t len, void *ctx)
{
    keyset_t *ks = ctx;
    bson_t doc = BSON_INITIALIZER;
    bson_iter_t it;
    size_t pos = 0, used;
    char *json;

    ck_assert(bson_iter_init(&it, ks->pattern));
    while (bson_iter_next(&it)) {
        int desc = bson_iter_as_double(&it) < 0;

        ck_assert_int_eq(sdb_keyenc_decode_value(key, len, &pos, desc, &doc, bson_iter_key(&it)),
                         0);
    }
    ck_assert_uint_eq(pos, len);
    json = bson_as_relaxed_extended_json(&doc, NULL);
    used = strlen(ks->out);
    snprintf(ks->out + used, sizeof(ks->out) - used, "%s%s", used > 0 ? "|" : "", json);
    bson_free(json);
    bson_destroy(&doc);
    return 0;
}

/* run_keys -- generate the keys of a document; the keys as "|"-joined JSON in ks->out. */
static int
run_keys(const char *doc_json, const char *pattern_json, keyset_t *ks, int *mk, sdb_error_t *err)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)doc_json, -1, NULL);
    bson_t *pat = bson_new_from_json((const uint8_t *)pattern_json, -1, NULL);
    int ret;

    ck_assert_msg(doc != NULL && pat != NULL, "bad json %s / %s", doc_json, pattern_json);
    ks->pattern = pat;
    ks->out[0] = '\0';
    *mk = -1;
    memset(err, 0, sizeof(*err));
    ret = sdb_keyenc_keys(doc, pat, collect, ks, mk, err);
    bson_destroy(doc);
    bson_destroy(pat);
    return ret;
}

static void
check_keys(const char *doc_json, const char *pattern_json, const char *want, int want_mk)
{
    keyset_t ks;
    sdb_error_t err;
    int mk;

    ck_assert_msg(run_keys(doc_json, pattern_json, &ks, &mk, &err) == 0, "%s %s: %s", doc_json,
                  pattern_json, err.msg);
    ck_assert_msg(strcmp(ks.out, want) == 0, "%s %s: got %s want %s", doc_json, pattern_json,
                  ks.out, want);
    ck_assert_msg(mk == want_mk, "%s %s: multikey %d", doc_json, pattern_json, mk);
}

START_TEST(test_keys_basic)
{
    check_keys("{\"a\": 1, \"b\": \"x\"}", "{\"a\": 1}", "{ \"a\" : 1 }", 0);
    check_keys("{\"b\": 1}", "{\"a\": 1}", "{ \"a\" : null }", 0);
    check_keys("{\"a\": {\"b\": 1}}", "{\"a\": 1}", "{ \"a\" : { \"b\" : 1 } }", 0);
    check_keys("{\"a\": {\"b\": {\"c\": 2.5}}}", "{\"a.b.c\": 1}", "{ \"a.b.c\" : 2.5 }", 0);
    check_keys("{\"a\": 5}", "{\"a.b\": 1}", "{ \"a.b\" : null }", 0);
    check_keys("{\"a\": 1, \"b\": 2}", "{\"b\": -1, \"a\": 1}", "{ \"b\" : 2, \"a\" : 1 }", 0);
    check_keys("{\"a\": {\"$numberLong\": \"9007199254740993\"}}", "{\"a\": 1}",
               "{ \"a\" : 9007199254740993 }", 0);
}
END_TEST

START_TEST(test_keys_multikey)
{
    check_keys("{\"a\": []}", "{\"a\": 1}", "{ \"a\" : { \"$undefined\" : true } }", 1);
    check_keys("{\"a\": []}", "{\"a.b\": 1}", "{ \"a.b\" : null }", 1);
    check_keys("{\"a\": [3, 1, 2, 1]}", "{\"a\": 1}", "{ \"a\" : 1 }|{ \"a\" : 2 }|{ \"a\" : 3 }",
               1);
    check_keys("{\"a\": [3, 1, 2]}", "{\"a\": -1}", "{ \"a\" : 3 }|{ \"a\" : 2 }|{ \"a\" : 1 }", 1);
    check_keys("{\"a\": [1, 1.0, {\"$numberLong\": \"1\"}]}", "{\"a\": 1}", "{ \"a\" : 1 }", 1);
    check_keys("{\"a\": [1, 2], \"b\": 5}", "{\"a\": 1, \"b\": -1}",
               "{ \"a\" : 1, \"b\" : 5 }|{ \"a\" : 2, \"b\" : 5 }", 1);
    check_keys("{\"a\": [{\"b\": 1, \"c\": 2}, {\"b\": 3, \"c\": 4}]}", "{\"a.b\": 1, \"a.c\": 1}",
               "{ \"a.b\" : 1, \"a.c\" : 2 }|{ \"a.b\" : 3, \"a.c\" : 4 }", 1);
    check_keys("{\"a\": [{\"b\": 1}, {\"c\": 2}, 5]}", "{\"a.b\": 1}",
               "{ \"a.b\" : null }|{ \"a.b\" : 1 }", 1);
    check_keys("{\"a\": {\"b\": [1, 2]}}", "{\"a.b\": 1}", "{ \"a.b\" : 1 }|{ \"a.b\" : 2 }", 1);
    check_keys("{\"a\": [{\"b\": [1, 2]}, {\"b\": [3]}]}", "{\"a.b\": 1}",
               "{ \"a.b\" : 1 }|{ \"a.b\" : 2 }|{ \"a.b\" : 3 }", 1);
    check_keys("{\"a\": [{\"b\": [1, 2]}]}", "{\"a.b\": 1, \"a.c\": 1}",
               "{ \"a.b\" : 1, \"a.c\" : null }|{ \"a.b\" : 2, \"a.c\" : null }", 1);
    check_keys("{\"a\": [1, [2, 3]]}", "{\"a\": 1}", "{ \"a\" : 1 }|{ \"a\" : [ 2, 3 ] }", 1);
    check_keys("{\"a\": [{\"b\": 1}, {\"b\": 2}]}", "{\"a\": 1, \"a.b\": 1}",
               "{ \"a\" : { \"b\" : 1 }, \"a.b\" : 1 }|{ \"a\" : { \"b\" : 2 }, \"a.b\" : 2 }", 1);
}
END_TEST

START_TEST(test_keys_positional)
{
    check_keys("{\"a\": [{\"b\": 1}, {\"b\": 2}]}", "{\"a.0.b\": 1}", "{ \"a.0.b\" : 1 }", 0);
    check_keys("{\"a\": [1, 2]}", "{\"a.1\": 1}", "{ \"a.1\" : 2 }", 0);
    check_keys("{\"a\": [[1, 2]]}", "{\"a.0\": 1}", "{ \"a.0\" : [ 1, 2 ] }", 0);
    check_keys("{\"a\": [1]}", "{\"a.5\": 1}", "{ \"a.5\" : null }", 1);
}
END_TEST

START_TEST(test_keys_errors)
{
    keyset_t ks;
    sdb_error_t err;
    int mk;

    ck_assert_int_eq(run_keys("{\"a\": [1], \"b\": [2]}", "{\"a\": 1, \"b\": 1}", &ks, &mk, &err),
                     SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_CannotIndexParallelArrays);
    ck_assert_str_eq(err.msg, "cannot index parallel arrays [b] [a]");
    ck_assert_str_eq(ks.out, "");
    ck_assert_int_eq(run_keys("{\"x\": {\"a\": [1]}, \"y\": {\"a\": []}}",
                              "{\"x.a\": 1, \"y.a\": 1}", &ks, &mk, &err),
                     SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "cannot index parallel arrays [a] [a]");
    ck_assert_int_eq(run_keys("{\"a\": [{\"0\": 1}]}", "{\"a.0\": 1}", &ks, &mk, &err),
                     SDB_ECLIENT);
    ck_assert_int_eq(run_keys("{\"a\": 1}", "{}", &ks, &mk, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_CannotCreateIndex);
    /* a single array shared by two fields is not parallel */
    ck_assert_int_eq(run_keys("{\"a\": [1, 2]}", "{\"a\": 1, \"a.b\": 1}", &ks, &mk, &err), 0);
}
END_TEST

/* A pattern with a hashed field: one key, the hashed field keyed by mongod's hash64 as a
 * long, no array anywhere on a path (16766 naming the path up to the array). */
START_TEST(test_keys_hashed)
{
    keyset_t ks;
    sdb_error_t err;
    int mk;

    check_keys("{\"a\": 42}", "{\"a\": \"hashed\"}", "{ \"a\" : -944302157085130861 }", 0);
    check_keys("{\"a\": 42.5, \"b\": \"x\"}", "{\"b\": 1, \"a\": \"hashed\"}",
               "{ \"b\" : \"x\", \"a\" : -944302157085130861 }", 0);
    check_keys("{\"a\": {\"b\": {\"c\": 42}}}", "{\"a.b.c\": \"hashed\"}",
               "{ \"a.b.c\" : -944302157085130861 }", 0);
    ck_assert_int_eq(run_keys("{\"a\": [42]}", "{\"a\": \"hashed\"}", &ks, &mk, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Location16766);
    ck_assert_str_eq(err.msg, "Error: hashed indexes do not currently support array values. "
                              "Found array at path: a");
    ck_assert_int_eq(run_keys("{\"a\": [{\"b\": 1}], \"c\": 1}", "{\"c\": \"hashed\", \"a.b\": 1}",
                              &ks, &mk, &err),
                     SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "Error: hashed indexes do not currently support array values. "
                              "Found array at path: a");
    ck_assert_int_eq(run_keys("{\"a\": {\"b\": [1]}}", "{\"a\": \"hashed\"}", &ks, &mk, &err),
                     0); /* an array inside the hashed value is part of it */
}
END_TEST

/* collect_raw -- keep the (one) key's bytes in the keybuf ctx. */
static int
collect_raw(const uint8_t *key, size_t len, void *ctx)
{
    sdb_keybuf_t *kb = ctx;

    sdb_keybuf_reset(kb);
    kb->len = 0;
    while (kb->cap < len + 1) {
        kb->cap = kb->cap != 0 ? kb->cap * 2 : 64;
        kb->data = bson_realloc(kb->data, kb->cap);
    }
    memcpy(kb->data, key, len);
    kb->len = len;
    return 0;
}

/* enc_str -- a string's encoding under a collation into kb (reset first). */
static void
enc_str(sdb_keybuf_t *kb, const char *s, const sdb_collation_t *coll, int desc)
{
    bson_value_t v;

    v.value_type = BSON_TYPE_UTF8;
    v.value.v_utf8.str = (char *)s;
    v.value.v_utf8.len = (uint32_t)strlen(s);
    sdb_keybuf_reset(kb);
    ck_assert_int_eq(sdb_keyenc_value_coll(kb, &v, desc, coll), 0);
}

/* Under a collation, strings key as ICU sort keys: equal under the collation means equal
 * bytes, the byte order is the collation's (also descending and inside documents). */
START_TEST(test_keys_collation)
{
    bson_t *spec = BCON_NEW("locale", "en", "strength", BCON_INT32(2));
    sdb_collation_t *coll = NULL;
    sdb_keybuf_t a, b;
    sdb_error_t err;
    int mk;

    ck_assert_int_eq(sdb_collation_new(spec, &coll, &err), 0);
    sdb_keybuf_init(&a);
    sdb_keybuf_init(&b);
    enc_str(&a, "Alice", coll, 0);
    enc_str(&b, "ALICE", coll, 0);
    ck_assert_int_eq(kb_cmp(&a, &b), 0);
    enc_str(&b, "Alicé", coll, 0);
    ck_assert_int_lt(kb_cmp(&a, &b), 0); /* an accent is a secondary difference */
    enc_str(&a, "a", coll, 0);
    enc_str(&b, "B", coll, 0);
    ck_assert_int_lt(kb_cmp(&a, &b), 0); /* binary order would put "B" first */
    enc_str(&a, "a", coll, 1);
    enc_str(&b, "B", coll, 1);
    ck_assert_int_gt(kb_cmp(&a, &b), 0);
    enc_str(&a, "a", NULL, 0);
    enc_str(&b, "B", NULL, 0);
    ck_assert_int_gt(kb_cmp(&a, &b), 0);
    /* keys of documents: strings inside sub-documents are collated too */
    {
        bson_t *d1 = bson_new_from_json((const uint8_t *)"{\"k\": {\"x\": \"ABC\"}}", -1, NULL);
        bson_t *d2 = bson_new_from_json((const uint8_t *)"{\"k\": {\"x\": \"abc\"}}", -1, NULL);
        bson_t *pat = bson_new_from_json((const uint8_t *)"{\"k\": 1}", -1, NULL);
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(sdb_keyenc_keys_coll(d1, pat, coll, collect_raw, &a, &mk, &err), 0);
        ck_assert_int_eq(sdb_keyenc_keys_coll(d2, pat, coll, collect_raw, &b, &mk, &err), 0);
        ck_assert_int_eq(kb_cmp(&a, &b), 0);
        bson_destroy(d1);
        bson_destroy(d2);
        bson_destroy(pat);
    }
    sdb_keybuf_free(&a);
    sdb_keybuf_free(&b);
    sdb_collation_free(coll);
    bson_destroy(spec);
}
END_TEST

static int
count_key(const uint8_t *key, size_t len, void *ctx)
{
    (*(int *)ctx)++;
    return 0;
}

/* Values nested past SDB_BSON_DEPTH_EVAL (400) are refused by a check, not the stack: the
 * encoder answers SDB_ETOOBIG, key generation 15 Overflow; a value at the bound encodes and
 * decodes back. */
START_TEST(test_depth)
{
    static const deep_level_t docs[] = {{BSON_TYPE_DOCUMENT, "a"}};
    static const deep_level_t arrs[] = {{BSON_TYPE_ARRAY, "0"}};
    bson_t *leaf = BCON_NEW("x", BCON_INT32(1)), *pat = BCON_NEW("a", BCON_INT32(1));
    bson_t *far = deep_build(docs, 1, 10000, leaf), *over = deep_build(docs, 1, 402, leaf);
    bson_t *at = deep_build(docs, 1, 401, leaf), *inner = deep_build(arrs, 1, 10000, leaf);
    bson_t back = BSON_INITIALIZER, wrap = BSON_INITIALIZER, arr = BSON_INITIALIZER;
    bson_value_t v;
    sdb_keybuf_t kb;
    sdb_error_t err;
    size_t pos = 0;
    int n = 0;

    sdb_keybuf_init(&kb);
    bson_append_array(&arr, "a", 1, inner); /* {a: [[[...[1]...]]]} */
    deep_value(far, &v);
    ck_assert_int_eq(sdb_keyenc_value(&kb, &v, 0), SDB_ETOOBIG);
    sdb_keybuf_reset(&kb);
    deep_value(over, &v); /* 401 documents: the innermost at depth 400 past the value */
    ck_assert_int_eq(sdb_keyenc_value(&kb, &v, 1), SDB_ETOOBIG);
    sdb_keybuf_reset(&kb);
    deep_value(at, &v);
    ck_assert_int_eq(sdb_keyenc_value(&kb, &v, 1), 0);
    ck_assert_int_eq(sdb_keyenc_decode_value(kb.data, kb.len, &pos, 1, &back, "a"), 0);
    ck_assert_uint_eq(pos, kb.len);
    bson_append_value(&wrap, "a", 1, &v);
    ck_assert_int_eq(sdb_bson_doc_cmp(&back, &wrap), 0);
    ck_assert_int_eq(sdb_keyenc_keys(far, pat, count_key, &n, NULL, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_int_eq(sdb_keyenc_keys(&arr, pat, count_key, &n, NULL, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(sdb_keyenc_keys(at, pat, count_key, &n, NULL, &err), 0);
    ck_assert_int_eq(n, 1);
    sdb_keybuf_free(&kb);
    bson_destroy(&back);
    bson_destroy(&wrap);
    bson_destroy(leaf);
    bson_destroy(pat);
    bson_destroy(far);
    bson_destroy(over);
    bson_destroy(at);
    bson_destroy(inner);
    bson_destroy(&arr);
}
END_TEST

START_TEST(test_decode_corrupt)
{
    const uint8_t bad[][3] = {{0x30, 'a', 0x00}, {0x24, 0x80, 0x00}, {0xee, 0, 0}};
    bson_t out = BSON_INITIALIZER;
    size_t pos, i;

    for (i = 0; i < 3; i++) {
        pos = 0;
        ck_assert_int_eq(sdb_keyenc_decode_value(bad[i], 3, &pos, 0, &out, "v"), SDB_ECORRUPT);
        ck_assert_uint_eq(pos, 0);
    }
    bson_destroy(&out);
}
END_TEST

/* keep_first -- a keys callback that copies the (only) key into a keybuf. */
static int
keep_first(const uint8_t *key, size_t len, void *ctx)
{
    sdb_keybuf_t *kb = ctx;

    ck_assert_uint_eq(kb->len, 0);
    kb->data = bson_realloc(kb->data, len);
    memcpy(kb->data, key, len);
    kb->len = kb->cap = len;
    return 0;
}

START_TEST(test_decode_key_and_brackets)
{
    bson_t *doc = bson_new_from_json(
        (const uint8_t *)"{\"a\": \"x\", \"b\": {\"c\": -2.5}, \"d\": [true]}", -1, NULL);
    bson_t *pat = bson_new_from_json(
        (const uint8_t *)"{\"a\": 1, \"b.c\": -1, \"d\": {\"$numberDecimal\": \"-1\"}}", -1, NULL);
    bson_t out = BSON_INITIALIZER, arr;
    bson_value_t vals[256];
    sdb_keybuf_t kb, lo, hi;
    sdb_error_t err;
    char *json;
    size_t n, i;
    int mk, desc;

    sdb_keybuf_init(&kb);
    ck_assert_int_eq(sdb_keyenc_keys(doc, pat, keep_first, &kb, &mk, &err), 0);
    sdb_keyenc_rid(&kb, 42);
    ck_assert_int_eq(sdb_keyenc_decode_key(kb.data, kb.len, pat, &out), 0);
    ck_assert_int_eq(sdb_keyenc_decode_rid(kb.data, kb.len), 42);
    json = bson_as_relaxed_extended_json(&out, NULL);
    ck_assert_str_eq(json, "{ \"a\" : \"x\", \"b.c\" : -2.5, \"d\" : true }");
    bson_free(json);
    sdb_keybuf_free(&kb);
    /* every number lies inside the number bracket's bounds, every other value outside */
    build_table(&arr);
    n = table_values(&arr, vals, 256);
    for (desc = 0; desc < 2; desc++) {
        sdb_keybuf_init(&lo);
        sdb_keybuf_init(&hi);
        sdb_keyenc_bracket(&lo, BSON_TYPE_INT32, desc, desc);
        sdb_keyenc_bracket(&hi, BSON_TYPE_DECIMAL128, !desc, desc);
        for (i = 0; i < n; i++) {
            int inside = sdb_bson_is_number(vals[i].value_type);

            encode(&vals[i], desc, &kb);
            int in = desc ? kb_cmp(&lo, &kb) < 0 && kb_cmp(&kb, &hi) <= 0
                          : kb_cmp(&lo, &kb) <= 0 && kb_cmp(&kb, &hi) < 0;

            ck_assert_msg(in == inside, "#%zu desc %d", i, desc);
            sdb_keybuf_free(&kb);
        }
        sdb_keybuf_free(&lo);
        sdb_keybuf_free(&hi);
    }
    bson_destroy(&arr);
    bson_destroy(&out);
    bson_destroy(doc);
    bson_destroy(pat);
}
END_TEST

static Suite *
keyenc_suite(void)
{
    Suite *s = suite_create("keyenc");
    TCase *tc = tcase_create("encoding");
    TCase *tk = tcase_create("keys");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_order);
    tcase_add_test(tc, test_decode_roundtrip);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_numeric_canonical);
    tcase_add_test(tc, test_rid);
    tcase_add_test(tc, test_compound_descending);
    tcase_add_test(tc, test_decode_corrupt);
    tcase_add_test(tc, test_random_consistency);
    suite_add_tcase(s, tc);
    tcase_set_timeout(tk, 30);
    tcase_add_test(tk, test_keys_basic);
    tcase_add_test(tk, test_keys_multikey);
    tcase_add_test(tk, test_keys_positional);
    tcase_add_test(tk, test_keys_errors);
    tcase_add_test(tk, test_keys_hashed);
    tcase_add_test(tk, test_keys_collation);
    tcase_add_test(tk, test_decode_key_and_brackets);
    suite_add_tcase(s, tk);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(keyenc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
