/*
 * tests/unit/check_wildcard.c -- wildcard index entries (src/common/wildcard.c).
 *
 * Each entry decodes back to (path, value): every leaf of the document for "$**" (documents
 * walked, arrays expanded, documents in arrays walked with the array's path, nested arrays
 * and empty documents as values, _id left out), only the subtree for "a.$**", and what an
 * inclusion or exclusion wildcardProjection selects (_id only when it names it).  A compound
 * pattern's entries decode to (regulars before, path, value, regulars after); a document
 * with regular fields only has one (MinKey, MinKey) entry, one with neither none, and an
 * array in a regular field is refused with 201.
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

/* ccollect -- a compound entry as the JSON array of its values (directions in ctx). */
typedef struct cout {
    char s[2048];
    int desc[8];
} cout_t;

static int
ccollect(const uint8_t *key, size_t len, void *ctx)
{
    cout_t *o = ctx;
    bson_t d = BSON_INITIALIZER;
    size_t pos = 0;
    char name[8], *json;

    for (int i = 0; pos < len; i++) {
        ck_assert_int_lt(i, 8);
        snprintf(name, sizeof(name), "%d", i);
        ck_assert_int_eq(sdb_keyenc_decode_value(key, len, &pos, o->desc[i], &d, name), 0);
    }
    json = bson_as_relaxed_extended_json(&d, NULL);
    snprintf(o->s + strlen(o->s), sizeof(o->s) - strlen(o->s), "%s%s", o->s[0] ? ";" : "", json);
    bson_free(json);
    bson_destroy(&d);
    return 0;
}

/* ccheck -- the entries of doc for a compound pattern (value directions `desc`), or the
 * error code `code`. */
static void
ccheck(const char *doc_json, const char *pattern, const char *proj, const int *desc, int code,
       const char *want)
{
    bson_t *doc = bson_new_from_json((const uint8_t *)doc_json, -1, NULL);
    bson_t *pat = bson_new_from_json((const uint8_t *)pattern, -1, NULL);
    bson_t *pr = proj != NULL ? bson_new_from_json((const uint8_t *)proj, -1, NULL) : NULL;
    sdb_error_t err;
    cout_t o;
    int ret;

    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    memcpy(o.desc, desc, sizeof(o.desc));
    ck_assert_msg(doc != NULL && pat != NULL, "bad json");
    ck_assert(sdb_wildcard_compound(pat));
    ret = sdb_wildcard_keys(doc, pat, pr, NULL, ccollect, &o, &err);
    ck_assert_int_eq(ret == 0 ? 0 : err.code, code);
    ck_assert_msg(code != 0 || strcmp(o.s, want) == 0, "%s %s: got %s want %s", doc_json, pattern,
                  o.s, want);
    bson_destroy(doc);
    bson_destroy(pat);
    if (pr != NULL)
        bson_destroy(pr);
}

START_TEST(test_compound)
{
    static const int up[8] = {0}, mixed[8] = {0, 0, 1, 1};
    bson_t *single = bson_new_from_json((const uint8_t *)"{\"a.$**\": 1}", -1, NULL);

    ck_assert(!sdb_wildcard_compound(single));
    bson_destroy(single);
    ccheck("{\"t\": 1, \"a\": {\"x\": 2, \"y\": [3, 4]}}", "{\"t\": 1, \"a.$**\": 1}", NULL, up, 0,
           "{ \"0\" : 1, \"1\" : \"a.x\", \"2\" : 2 };{ \"0\" : 1, \"1\" : \"a.y\", \"2\" : 3 };"
           "{ \"0\" : 1, \"1\" : \"a.y\", \"2\" : 4 }");
    /* regulars after the wildcard, descending ones, a missing one as null */
    ccheck("{\"a\": {\"x\": 2}, \"u\": {\"v\": 5}}", "{\"t\": 1, \"a.$**\": -1, \"u.v\": -1}", NULL,
           mixed, 0, "{ \"0\" : null, \"1\" : \"a.x\", \"2\" : 2, \"3\" : 5 }");
    /* regular fields only: one (MinKey, MinKey) entry; neither: none */
    ccheck("{\"t\": \"s\", \"b\": 1}", "{\"t\": 1, \"a.$**\": 1}", NULL, up, 0,
           "{ \"0\" : \"s\", \"1\" : { \"$minKey\" : 1 }, \"2\" : { \"$minKey\" : 1 } }");
    ccheck("{\"b\": 1}", "{\"t\": 1, \"a.$**\": 1}", NULL, up, 0, "");
    /* "$**" with its projection leaving the regular field out */
    ccheck("{\"_id\": 0, \"t\": 1, \"k\": 2}", "{\"$**\": 1, \"t\": 1}", "{\"t\": 0}", up, 0,
           "{ \"0\" : \"k\", \"1\" : 2, \"2\" : 1 }");
    /* an array in (or on the way to) a regular field refuses the document */
    ccheck("{\"t\": [1], \"a\": {\"x\": 1}}", "{\"t\": 1, \"a.$**\": 1}", NULL, up, 201, "");
    ccheck("{\"t\": [{\"v\": 1}]}", "{\"t.v\": 1, \"a.$**\": 1}", NULL, up, 201, "");
}
END_TEST

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
    tcase_add_test(tc, test_compound);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
