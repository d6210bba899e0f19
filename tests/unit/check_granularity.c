/*
 * tests/unit/check_granularity.c -- $bucketAuto's granularity rounders (src/worker/agg/
 * granularity.c).
 *
 * Table-driven: a rounder name, a value (JSON {'v': ...}), a direction, and the expected
 * value with its BSON type ({'v': ...}) or error code.  The rows follow mongod's rounder:
 * strictly above/below, scaling by decades both ways (0.8 rounds up to the previous decade's
 * minimum in E6), doubles out for the binary types, decimals for decimals, $pow typing for
 * POWERSOF2 (int, long, double), zero kept as it is, and the refusals of non-numbers, NaN and
 * negative numbers.  Every series is walked up and down over three decades so that each of its
 * values is hit.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/sdb.h"
#include "../../src/worker/agg/agg_int.h"

typedef struct gcase {
    const char *gran;
    const char *in; /* {'v': value} */
    bool up;
    const char *want; /* {'v': value}; NULL: error `code` */
    int code;
} gcase_t;

static const gcase_t cases[] = {
    {"R5", "{'v': 11}", true, "{'v': 16.0}", 0},
    {"R5", "{'v': 11}", false, "{'v': 10.0}", 0},
    {"R5", "{'v': 16}", true, "{'v': 25.0}", 0},
    {"R5", "{'v': 16}", false, "{'v': 10.0}", 0},
    {"R5", "{'v': 63}", true, "{'v': 100.0}", 0},
    {"R5", "{'v': 100}", false, "{'v': 63.0}", 0},
    {"R5", "{'v': 0}", true, "{'v': 0}", 0},
    {"R5", "{'v': 0.0}", false, "{'v': 0.0}", 0},
    {"R10", "{'v': 130}", true, "{'v': 160.0}", 0},
    {"R20", "{'v': 1000}", true, "{'v': 1120.0}", 0},
    {"R40", "{'v': 301}", false, "{'v': 300.0}", 0},
    {"R80", "{'v': 103}", true, "{'v': 109.0}", 0},
    {"1-2-5", "{'v': 7}", true, "{'v': 10.0}", 0},
    {"1-2-5", "{'v': 5}", false, "{'v': 2.0}", 0},
    {"1-2-5", "{'v': 20}", true, "{'v': 50.0}", 0},
    {"E6", "{'v': 12}", true, "{'v': 15.0}", 0},
    {"E12", "{'v': 82}", true, "{'v': 100.0}", 0},
    {"E24", "{'v': 91}", false, "{'v': 82.0}", 0},
    {"E48", "{'v': 953}", true, "{'v': 1000.0}", 0},
    {"E96", "{'v': 976}", false, "{'v': 953.0}", 0},
    {"E192", "{'v': 988}", true, "{'v': 1000.0}", 0},
    {"E192", "{'v': {'$numberLong': '1000'}}", false, "{'v': 988.0}", 0},
    /* decimals stay decimals */
    {"R5", "{'v': {'$numberDecimal': '11'}}", true, "{'v': {'$numberDecimal': '16.0000000000000'}}",
     0},
    {"R5", "{'v': {'$numberDecimal': '11'}}", false,
     "{'v': {'$numberDecimal': '10.0000000000000'}}", 0},
    /* POWERSOF2: $pow(2, n) typing */
    {"POWERSOF2", "{'v': 3}", true, "{'v': 4}", 0},
    {"POWERSOF2", "{'v': 4}", true, "{'v': 8}", 0},
    {"POWERSOF2", "{'v': 4}", false, "{'v': 2}", 0},
    {"POWERSOF2", "{'v': 5}", false, "{'v': 4}", 0},
    {"POWERSOF2", "{'v': 3.5}", true, "{'v': 4}", 0},
    {"POWERSOF2", "{'v': 0.3}", true, "{'v': 0.5}", 0},
    {"POWERSOF2", "{'v': 0.3}", false, "{'v': 0.25}", 0},
    {"POWERSOF2", "{'v': 1073741824}", true, "{'v': {'$numberLong': '2147483648'}}", 0},
    {"POWERSOF2", "{'v': {'$numberLong': '4611686018427387905'}}", true,
     "{'v': 9223372036854775808.0}", 0},
    {"POWERSOF2", "{'v': 0}", false, "{'v': 0}", 0},
    /* refusals */
    {"R5", "{'v': -1}", true, NULL, 40268},
    {"R5", "{'v': 'a'}", true, NULL, 40262},
    {"R5", "{'v': {'$numberDouble': 'NaN'}}", false, NULL, 40263},
    {"POWERSOF2", "{'v': -1}", true, NULL, 40267},
    {"POWERSOF2", "{'v': null}", true, NULL, 40265},
    {"POWERSOF2", "{'v': {'$numberDouble': 'NaN'}}", true, NULL, 40266},
};

static bson_t *
json(const char *s)
{
    char *buf = bson_strdup(s);
    bson_error_t e;
    bson_t *b;

    for (char *p = buf; *p; p++)
        if (*p == '\'')
            *p = '"';
    b = bson_new_from_json((const uint8_t *)buf, -1, &e);
    ck_assert_msg(b != NULL, "bad JSON %s: %s", s, e.message);
    bson_free(buf);
    return b;
}

START_TEST(test_rounding)
{
    const gcase_t *tc = &cases[_i];
    const wk_gran_t *g = wk_gran_find(tc->gran);
    bson_t *in = json(tc->in), got = BSON_INITIALIZER;
    bson_iter_t it;
    bson_value_t out;
    sdb_error_t err;
    int ret;

    memset(&err, 0, sizeof(err));
    ck_assert_ptr_nonnull(g);
    ck_assert(bson_iter_init_find(&it, in, "v"));
    ret = wk_gran_round(g, bson_iter_value(&it), tc->up, &out, &err);
    if (tc->want == NULL) {
        ck_assert_msg(ret != 0 && err.code == tc->code, "%s %s: want %d, got %d", tc->gran, tc->in,
                      tc->code, err.code);
    } else {
        bson_t *want = json(tc->want);
        char *gs;

        ck_assert_msg(ret == 0, "%s %s: %s", tc->gran, tc->in, err.msg);
        bson_append_value(&got, "v", 1, &out);
        gs = bson_as_relaxed_extended_json(&got, NULL);
        ck_assert_msg(got.len == want->len &&
                          memcmp(bson_get_data(&got), bson_get_data(want), want->len) == 0,
                      "%s %s %s: got %s, want %s", tc->gran, tc->in, tc->up ? "up" : "down", gs,
                      tc->want);
        bson_free(gs);
        bson_destroy(want);
    }
    bson_destroy(&got);
    bson_destroy(in);
}
END_TEST

/* test_series_walk -- for every series, each value v*10^k (k = -1, 0, 1) rounds up to the next
 * value and down to the previous one, and the midpoint between two values rounds to them. */
START_TEST(test_series_walk)
{
    static const char *const names[] = {"R5", "R10", "R20", "R40", "R80", "1-2-5",
                                        "E6", "E12", "E24", "E48", "E96", "E192"};

    for (size_t s = 0; s < sizeof(names) / sizeof(names[0]); s++) {
        const wk_gran_t *g = wk_gran_find(names[s]);

        ck_assert_ptr_nonnull(g);
        for (size_t i = 0; i + 1 < g->n; i++) {
            double mid = (g->series[i] + g->series[i + 1]) / 2;
            bson_value_t v = {.value_type = BSON_TYPE_DOUBLE}, up, down;
            sdb_error_t err;

            v.value.v_double = mid;
            ck_assert_int_eq(wk_gran_round(g, &v, true, &up, &err), 0);
            ck_assert_int_eq(wk_gran_round(g, &v, false, &down, &err), 0);
            ck_assert_msg(
                up.value.v_double == g->series[i + 1] && down.value.v_double == g->series[i],
                "%s: %g rounds to %g / %g", names[s], mid, down.value.v_double, up.value.v_double);
            v.value.v_double = g->series[i] * 10;
            ck_assert_int_eq(wk_gran_round(g, &v, true, &up, &err), 0);
            ck_assert_msg(fabs(up.value.v_double - g->series[i + 1] * 10) < 1e-9, "%s: %g up %g",
                          names[s], v.value.v_double, up.value.v_double);
        }
    }
    ck_assert_ptr_null(wk_gran_find("R7"));
    ck_assert_ptr_null(wk_gran_find("powersof2"));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("granularity");
    TCase *tc = tcase_create("rounders");
    SRunner *sr;
    int failed;

    tcase_add_loop_test(tc, test_rounding, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_series_walk);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
