/*
 * tests/unit/check_sort.c -- sort order (src/worker/query/sort.c).
 *
 * Each row sorts a list of documents under a spec and compares the resulting _id order:
 * arrays by their smallest (ascending) or largest (descending) element, empty arrays before
 * null, missing as null, mixed types in MongoDB order, stability, compound keys.  The
 * checked array sort (wk_sort_array_op) keeps equal elements in their order.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/worker/query/sort.h"

typedef struct scase {
    const char *spec;
    const char *docs; /* a JSON array of documents with integer _id */
    const char *ids;  /* expected _id order, e.g. "3,1,2"; NULL: error `code` */
    int code;
} scase_t;

static const scase_t cases[] = {
    {"{\"a\": 1}", "[{\"_id\": 1, \"a\": 3}, {\"_id\": 2, \"a\": 1}, {\"_id\": 3, \"a\": 2}]",
     "2,3,1", 0},
    {"{\"a\": -1}", "[{\"_id\": 1, \"a\": 3}, {\"_id\": 2, \"a\": 1}, {\"_id\": 3, \"a\": 2}]",
     "1,3,2", 0},
    {"{\"a\": 1}",
     "[{\"_id\": 1, \"a\": [5, 0]}, {\"_id\": 2, \"a\": 1}, {\"_id\": 3, \"a\": [2]}]", "1,2,3", 0},
    {"{\"a\": -1}",
     "[{\"_id\": 1, \"a\": [5, 0]}, {\"_id\": 2, \"a\": 6}, {\"_id\": 3, \"a\": [2]}]", "2,1,3", 0},
    {"{\"a\": 1}", "[{\"_id\": 1, \"a\": null}, {\"_id\": 2, \"a\": []}, {\"_id\": 3}]", "2,1,3",
     0},
    {"{\"a\": 1}",
     "[{\"_id\": 1, \"a\": \"x\"}, {\"_id\": 2, \"a\": 5}, {\"_id\": 3, \"a\": {}}, "
     "{\"_id\": 4, \"a\": true}, {\"_id\": 5}]",
     "5,2,1,3,4", 0},
    {"{\"a\": 1, \"b\": -1}",
     "[{\"_id\": 1, \"a\": 1, \"b\": 1}, {\"_id\": 2, \"a\": 1, \"b\": 2}, "
     "{\"_id\": 3, \"a\": 0, \"b\": 0}]",
     "3,2,1", 0},
    {"{\"a\": 1}",
     "[{\"_id\": 1, \"a\": 1}, {\"_id\": 2, \"a\": 1}, {\"_id\": 3, \"a\": 0}, "
     "{\"_id\": 4, \"a\": 1}]",
     "3,1,2,4", 0},
    {"{\"a.b\": 1}",
     "[{\"_id\": 1, \"a\": [{\"b\": 9}, {\"b\": 2}]}, {\"_id\": 2, \"a\": {\"b\": 3}}]", "1,2", 0},
    {"{\"a.b\": -1}",
     "[{\"_id\": 1, \"a\": [{\"b\": 9}, {\"b\": 2}]}, {\"_id\": 2, \"a\": {\"b\": 3}}]", "1,2", 0},
    {"{\"a\": 1}", "[{\"_id\": 1, \"a\": 2.5}, {\"_id\": 2, \"a\": {\"$numberLong\": \"2\"}}]",
     "2,1", 0},
    {"{\"a\": 2}", "[]", NULL, 15975},
    {"{\"a\": \"x\"}", "[]", NULL, 15975},
};

START_TEST(test_table)
{
    const scase_t *c = &cases[_i];
    bson_error_t e;
    bson_t *spec = bson_new_from_json((const uint8_t *)c->spec, -1, &e);
    bson_t *arr = bson_new_from_json((const uint8_t *)c->docs, -1, &e);
    bson_t *docs[16], sub;
    bson_iter_t it, id;
    wk_sort_t *s = NULL;
    sdb_error_t err = {0};
    size_t n = 0, i;
    char got[64] = "";
    const uint8_t *data;
    uint32_t len;
    int rc;

    ck_assert_ptr_nonnull(spec);
    ck_assert_ptr_nonnull(arr);
    rc = wk_sort_new(spec, &s, &err);
    if (c->ids == NULL) {
        ck_assert_msg(rc != 0 && err.code == c->code, "%s: code %d", c->spec, err.code);
        goto done;
    }
    ck_assert_int_eq(rc, 0);
    bson_iter_init(&it, arr);
    while (bson_iter_next(&it) && n < 16) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&sub, data, len);
        docs[n++] = bson_copy(&sub);
    }
    ck_assert_int_eq(wk_sort_docs_op(s, docs, n, NULL, &err), 0); /* the checked sort, same order */
    for (i = 0; i < n; i++) {
        char num[8];
        ck_assert(bson_iter_init_find(&id, docs[i], "_id"));
        bson_snprintf(num, sizeof(num), "%s%d", i ? "," : "", bson_iter_int32(&id));
        strncat(got, num, sizeof(got) - strlen(got) - 1);
        if (i > 0)
            ck_assert_int_le(wk_sort_cmp(s, docs[i - 1], docs[i]), 0);
    }
    ck_assert_msg(strcmp(got, c->ids) == 0, "%s: got %s want %s", c->spec, got, c->ids);
    for (i = 0; i < n; i++)
        bson_destroy(docs[i]);
done:
    wk_sort_free(s);
    bson_destroy(spec);
    bson_destroy(arr);
}
END_TEST

/* wk_sort_array_op (the checked sort of group keys and distinct values) is a stable sort. */
typedef struct pair {
    int key, seq;
} pair_t;

static int
pair_cmp(const void *a, const void *b, void *arg)
{
    const pair_t *x = a, *y = b;

    (void)arg;
    return x->key < y->key ? -1 : x->key > y->key;
}

START_TEST(test_array_op_stable)
{
    enum {
        N = 5000
    };
    static pair_t v[N];
    sdb_error_t err = {0};

    srandom(7);
    for (int i = 0; i < N; i++) {
        v[i].key = (int)(random() % 50);
        v[i].seq = i;
    }
    /* outside a worker's coroutine the interrupt points neither yield nor fail */
    ck_assert_int_eq(wk_sort_array_op(v, N, sizeof(v[0]), pair_cmp, NULL, NULL, &err), 0);
    for (int i = 1; i < N; i++) {
        ck_assert_int_le(v[i - 1].key, v[i].key);
        if (v[i - 1].key == v[i].key)
            ck_assert_int_lt(v[i - 1].seq, v[i].seq);
    }
}
END_TEST

static Suite *
sort_suite(void)
{
    Suite *s = suite_create("sort");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_array_op_stable);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(sort_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
