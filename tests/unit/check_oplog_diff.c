/*
 * tests/unit/check_oplog_diff.c -- unit tests for src/master/oplog_diff.c.
 *
 * The $v:2 diff of two documents is what mongod logs for an operator or pipeline update:
 * changed fields "u", new ones "i", removed ones "d", a sub-document sharing field names a
 * sub-diff "s<f>", an array changed in place or grown or shrunk an array diff with "u<k>",
 * "s<k>" and the new length "l", and a wholly new value a plain update.  Single-threaded.
 */
#include "../../src/master/oplog_diff.h"

#include <check.h>
#include <string.h>

/* diff_json -- the diff of two JSON documents, as canonical relaxed JSON (caller frees). */
static char *
diff_json(const char *a, const char *b)
{
    bson_t *pa = bson_new_from_json((const uint8_t *)a, -1, NULL);
    bson_t *pb = bson_new_from_json((const uint8_t *)b, -1, NULL);
    bson_t o;
    char *s;

    ck_assert(pa != NULL && pb != NULL);
    ms_oplog_update_o(pa, pb, &o);
    s = bson_as_relaxed_extended_json(&o, NULL);
    bson_destroy(&o);
    bson_destroy(pa);
    bson_destroy(pb);
    return s;
}

static void
expect(const char *a, const char *b, const char *want)
{
    char *got = diff_json(a, b);

    ck_assert_msg(strcmp(got, want) == 0, "%s -> %s: got %s, want %s", a, b, got, want);
    bson_free(got);
}

START_TEST(test_fields)
{
    expect("{\"_id\": 1, \"a\": 1, \"b\": 2}", "{\"_id\": 1, \"a\": 5, \"b\": 2, \"c\": 3}",
           "{ \"$v\" : 2, \"diff\" : { \"u\" : { \"a\" : 5 }, \"i\" : { \"c\" : 3 } } }");
    /* $unset: a delete, the fields after it stay where they are */
    expect("{\"_id\": 1, \"a\": 1, \"b\": 2}", "{\"_id\": 1, \"b\": 2}",
           "{ \"$v\" : 2, \"diff\" : { \"d\" : { \"a\" : false } } }");
    expect("{\"_id\": 1, \"a\": 1, \"b\": 2, \"c\": 3}", "{\"_id\": 1, \"b\": 5, \"c\": 3}",
           "{ \"$v\" : 2, \"diff\" : { \"d\" : { \"a\" : false }, \"u\" : { \"b\" : 5 } } }");
    /* a reordered field is re-inserted at the end, and so is what follows it */
    expect("{\"_id\": 1, \"a\": 1, \"b\": 2}", "{\"_id\": 1, \"b\": 2, \"a\": 1}",
           "{ \"$v\" : 2, \"diff\" : { \"i\" : { \"b\" : 2, \"a\" : 1 } } }");
    /* same value, other type: an update */
    expect("{\"_id\": 1, \"a\": 1}", "{\"_id\": 1, \"a\": 1.0}",
           "{ \"$v\" : 2, \"diff\" : { \"u\" : { \"a\" : 1.0 } } }");
}
END_TEST

START_TEST(test_nested)
{
    /* a.k changed, a.m removed: a sub-diff */
    expect("{\"_id\": 1, \"o\": {\"k\": 1, \"m\": 1}}", "{\"_id\": 1, \"o\": {\"k\": 2}}",
           "{ \"$v\" : 2, \"diff\" : { \"so\" : { \"d\" : { \"m\" : false }, \"u\" : { \"k\" : 2 "
           "} } } }");
    /* a wholly new sub-document replaces the old one */
    expect("{\"_id\": 1, \"o\": {\"k\": 1}}", "{\"_id\": 1, \"o\": {\"z\": 1}}",
           "{ \"$v\" : 2, \"diff\" : { \"u\" : { \"o\" : { \"z\" : 1 } } } }");
}
END_TEST

START_TEST(test_arrays)
{
    expect("{\"_id\": 1, \"a\": [1, 2, 3]}", "{\"_id\": 1, \"a\": [1, 2]}",
           "{ \"$v\" : 2, \"diff\" : { \"sa\" : { \"a\" : true, \"l\" : 2 } } }");
    expect("{\"_id\": 1, \"a\": [1, 2]}", "{\"_id\": 1, \"a\": [1, 2, 3]}",
           "{ \"$v\" : 2, \"diff\" : { \"sa\" : { \"a\" : true, \"u2\" : 3 } } }");
    expect("{\"_id\": 1, \"a\": [{\"1\": 1}]}", "{\"_id\": 1, \"a\": [{\"1\": 2}]}",
           "{ \"$v\" : 2, \"diff\" : { \"sa\" : { \"a\" : true, \"s0\" : { \"u\" : { \"1\" : 2 } "
           "} } } }");
    expect("{\"_id\": 1, \"a\": [1, 2, 3]}", "{\"_id\": 1, \"a\": [9]}",
           "{ \"$v\" : 2, \"diff\" : { \"u\" : { \"a\" : [ 9 ] } } }");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("oplog_diff");
    TCase *tc = tcase_create("oplog_diff");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_nested);
    tcase_add_test(tc, test_arrays);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
