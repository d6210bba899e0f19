/*
 * tests/unit/check_ixcover.c -- unit tests for src/master/ixcover.c (the cover tags of index
 * entries) and sdb_path_array_prefixes (src/common/path.c, the multikey paths of a field).
 *
 * A tag must rebuild a document's key values exactly: the one-byte EXACT tag when the key
 * bytes decode to them, the values themselves when they do not (a long or a double the key
 * encodes like an int), nothing for a document with an array on a key path.  The rebuilt
 * document nests dotted paths.  Pure functions: no store is opened.
 */
#include "../../src/common/keyenc.h"
#include "../../src/common/path.h"
#include "../../src/master/ixcover.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static bson_t *
json(const char *j)
{
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)j, -1, &e);

    ck_assert_msg(b != NULL, "%s: %s", j, e.message);
    return b;
}

static int
first_key(const uint8_t *key, size_t len, void *arg)
{
    sdb_keybuf_t *kb = arg;

    if (kb->len == 0) {
        kb->data = bson_realloc(kb->data, len);
        memcpy(kb->data, key, len);
        kb->len = kb->cap = len;
    }
    return 0;
}

/* roundtrip -- the tag of doc's entry under pattern, and the document it rebuilds; `want` the
 * expected document (canonical JSON) or NULL when no tag may be given; *exact the tag kind. */
static void
roundtrip(const char *pattern, const char *doc, const char *want, int tag_kind)
{
    bson_t *kp = json(pattern), *d = json(doc), values, out;
    ms_index_t ix;
    sdb_keybuf_t key, tag;
    bool ok;

    memset(&ix, 0, sizeof(ix));
    ix.key = kp;
    sdb_keybuf_init(&key);
    sdb_keybuf_init(&tag);
    ok = ms_ixcover_values(&ix, d, &values);
    ck_assert_msg(ok == (want != NULL), "%s: values %d", doc, ok);
    if (ok) {
        char *got;

        ck_assert_int_eq(sdb_keyenc_keys(d, kp, first_key, &key, NULL, NULL), 0);
        ms_ixcover_tag(&ix, &values, key.data, key.len, &tag);
        ck_assert_msg(tag.len > 0 && tag.data[0] == tag_kind, "%s: tag %d", doc, tag.data[0]);
        ck_assert(ms_ixcover_doc(&ix, key.data, key.len, tag.data, tag.len, &out));
        got = bson_as_canonical_extended_json(&out, NULL);
        ck_assert_msg(strcmp(got, want) == 0, "%s: rebuilt %s, want %s", doc, got, want);
        bson_free(got);
        bson_destroy(&out);
        ck_assert(!ms_ixcover_doc(&ix, key.data, key.len, tag.data, 0, &out)); /* no tag */
        bson_destroy(&out);
    }
    bson_destroy(&values);
    sdb_keybuf_free(&key);
    sdb_keybuf_free(&tag);
    bson_destroy(kp);
    bson_destroy(d);
}

START_TEST(test_exact_tags)
{
    roundtrip("{\"a\": 1}", "{\"_id\": 1, \"a\": {\"$numberInt\": \"5\"}}",
              "{ \"a\" : { \"$numberInt\" : \"5\" } }", MS_IXCOVER_EXACT);
    roundtrip("{\"a\": 1, \"b.c\": -1}", "{\"a\": \"x\", \"b\": {\"c\": true}}",
              "{ \"a\" : \"x\", \"b\" : { \"c\" : true } }", MS_IXCOVER_EXACT);
    roundtrip("{\"a\": 1}", "{\"b\": 1}", "{ \"a\" : null }", MS_IXCOVER_EXACT);
}
END_TEST

START_TEST(test_value_tags)
{
    roundtrip("{\"a\": 1}", "{\"a\": {\"$numberLong\": \"5\"}}",
              "{ \"a\" : { \"$numberLong\" : \"5\" } }", MS_IXCOVER_VALUES);
    roundtrip("{\"a\": 1, \"b\": 1}", "{\"a\": {\"$numberDouble\": \"5.0\"}, \"b\": 2}",
              "{ \"a\" : { \"$numberDouble\" : \"5.0\" }, \"b\" : { \"$numberInt\" : \"2\" } }",
              MS_IXCOVER_VALUES);
    roundtrip("{\"a\": 1}", "{\"a\": {\"$numberDouble\": \"-0.0\"}}",
              "{ \"a\" : { \"$numberDouble\" : \"-0.0\" } }", MS_IXCOVER_VALUES);
    roundtrip("{\"x.y\": 1, \"x.z\": 1}",
              "{\"x\": {\"y\": {\"$numberDecimal\": \"1.50\"}, \"z\": 1}}",
              "{ \"x\" : { \"y\" : { \"$numberDecimal\" : \"1.50\" }, \"z\" : { \"$numberInt\" : "
              "\"1\" } } }",
              MS_IXCOVER_VALUES);
}
END_TEST

START_TEST(test_no_tags)
{
    roundtrip("{\"a\": 1}", "{\"a\": [1, 2]}", NULL, 0);
    roundtrip("{\"a.b\": 1}", "{\"a\": [{\"b\": 1}]}", NULL, 0);
    roundtrip("{\"a\": \"hashed\"}", "{\"a\": 1}", NULL, 0);
    roundtrip("{\"$**\": 1}", "{\"a\": 1}", NULL, 0);
    roundtrip("{\"a\": 1, \"a.b\": 1}", "{\"a\": {\"b\": 1}}", NULL, 0);
}
END_TEST

static uint64_t
prefixes(const char *doc, const char *path)
{
    bson_t *d = json(doc);
    uint64_t m = sdb_path_array_prefixes(d, path);

    bson_destroy(d);
    return m;
}

START_TEST(test_array_prefixes)
{
    ck_assert_uint_eq(prefixes("{\"a\": 1}", "a"), 0);
    ck_assert_uint_eq(prefixes("{\"a\": [1]}", "a"), 1);
    ck_assert_uint_eq(prefixes("{\"a\": [{\"b\": 1}]}", "a.b"), 1);
    ck_assert_uint_eq(prefixes("{\"a\": {\"b\": [1]}}", "a.b"), 2);
    ck_assert_uint_eq(prefixes("{\"a\": [{\"b\": 1}, {\"b\": [2]}]}", "a.b"), 3);
    ck_assert_uint_eq(prefixes("{\"a\": [{\"c\": 1}]}", "a.b"), 1);
    ck_assert_uint_eq(prefixes("{\"x\": [1]}", "a.b"), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("ixcover");
    TCase *tc = tcase_create("ixcover");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_exact_tags);
    tcase_add_test(tc, test_value_tags);
    tcase_add_test(tc, test_no_tags);
    tcase_add_test(tc, test_array_prefixes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
