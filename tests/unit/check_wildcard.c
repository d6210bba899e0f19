/*
 * tests/unit/check_wildcard.c -- wildcard index entries (src/common/wildcard.c).
 *
 * Each entry decodes back to (path, value): every leaf of the document for "$**" (documents
 * walked, arrays expanded, documents in arrays walked with the array's path, nested arrays
 * and empty documents as values, _id left out), only the subtree for "a.$**", and what an
 * inclusion or exclusion wildcardProjection selects (_id only when it names it).
 */
#include "../../src/common/keyenc.h"
#include "../../src/common/sdb.h"
#include "../../src/common/wildcard.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* E -- the JSON of one entry (path, value). */
#define E(path, value) "{ \"p\" : \"" path "\", \"v\" : " value " }"

typedef struct out {
    char s[2048];
    int desc; /* the pattern's direction: the value's bytes are inverted */
} out_t;

/* collect -- each entry as the relaxed JSON of {p: path, v: value}, ";"-joined. */
static int
collect(const uint8_t *key, size_t len, void *ctx)
{
    out_t *o = ctx;
    bson_t d = BSON_INITIALIZER;
    size_t pos = 0;
    bson_iter_t it;
    char *json;

    ck_assert_int_eq(sdb_keyenc_decode_value(key, len, &pos, 0, &d, "p"), 0);
    ck_assert_int_eq(sdb_keyenc_decode_value(key, len, &pos, o->desc, &d, "v"), 0);
    ck_assert_uint_eq(pos, len);
    bson_iter_init_find(&it, &d, "p");
    json = bson_as_relaxed_extended_json(&d, NULL);
    snprintf(o->s + strlen(o->s), sizeof(o->s) - strlen(o->s), "%s%s", o->s[0] ? ";" : "", json);
    bson_free(json);
    bson_destroy(&d);
    return 0;
}

static void
check(const char *doc_json, const char *pattern, const char *proj, const char *want)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)doc_json, -1, NULL);
    bson_t *pat = bson_new_from_json((const uint8_t *)pattern, -1, NULL);
    bson_t *pr = proj != NULL ? bson_new_from_json((const uint8_t *)proj, -1, NULL) : NULL;
    sdb_error_t err;
    out_t o;

    o.s[0] = '\0';
    o.desc = strstr(pattern, "-1") != NULL;
    ck_assert_msg(doc != NULL && pat != NULL, "bad json");
    ck_assert(sdb_wildcard_pattern(pat));
    ck_assert_int_eq(sdb_wildcard_keys(doc, pat, pr, NULL, collect, &o, &err), 0);
    ck_assert_msg(strcmp(o.s, want) == 0, "%s %s: got %s want %s", doc_json, pattern, o.s, want);
    bson_destroy(doc);
    bson_destroy(pat);
    if (pr != NULL)
        bson_destroy(pr);
}

START_TEST(test_all_fields)
{
    check("{\"_id\": 1, \"a\": 1, \"b\": {\"c\": \"x\", \"d\": {}}}", "{\"$**\": 1}", NULL,
          E("a", "1") ";" E("b.c", "\"x\"") ";" E("b.d", "{  }"));
    check("{\"a\": [1, {\"b\": 2}, [3]]}", "{\"$**\": -1}", NULL,
          E("a", "1") ";" E("a.b", "2") ";" E("a", "[ 3 ]"));
}
END_TEST

START_TEST(test_subtree_and_projection)
{
    check("{\"a\": {\"b\": 1}, \"ab\": 2, \"c\": 3}", "{\"a.$**\": 1}", NULL, E("a.b", "1"));
    check("{\"a\": 5}", "{\"a.$**\": 1}", NULL, E("a", "5"));
    check("{\"_id\": 7, \"a\": 1, \"b\": 2, \"c\": {\"d\": 4, \"e\": 5}}", "{\"$**\": 1}",
          "{\"_id\": 1, \"c.d\": 1}", E("_id", "7") ";" E("c.d", "4"));
    check("{\"_id\": 7, \"a\": 1, \"b\": 2, \"c\": {\"d\": 4, \"e\": 5}}", "{\"$**\": 1}",
          "{\"b\": 0, \"c.e\": 0}", E("a", "1") ";" E("c.d", "4"));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wildcard");
    TCase *tc = tcase_create("keys");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_all_fields);
    tcase_add_test(tc, test_subtree_and_projection);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
