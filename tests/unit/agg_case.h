/*
 * tests/unit/agg_case.h -- the table-driven harness of the pipeline tests (check_agg.c,
 * check_window.c).
 *
 * A row runs a pipeline over an in-memory input (no collection, no store) and compares the
 * output documents exactly (field order and numeric types included) with the expected list,
 * or expects a parse/run error code.  JSON in the tables uses single quotes (turned into
 * double quotes before parsing); {'$numberLong': '1'} pins a long.
 */
#ifndef TESTS_UNIT_AGG_CASE_H
#define TESTS_UNIT_AGG_CASE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/sdb.h"
#include "../../src/worker/agg/agg.h"

typedef struct acase {
    const char *input;    /* JSON array of documents */
    const char *pipeline; /* JSON array of stages */
    const char *expect;   /* JSON array of documents; NULL: error `code` */
    int code;
} acase_t;

/* parse_json -- a single-quoted JSON array into a document {'v': [...]} (as `arr` view). */
static inline bson_t *
parse_json(const char *json)
{
    size_t n = strlen(json);
    char *buf = malloc(n + 16);
    bson_error_t e;
    bson_t *b;

    memcpy(buf, "{\"v\": ", 6);
    for (size_t i = 0; i < n; i++)
        buf[6 + i] = json[i] == '\'' ? '"' : json[i];
    memcpy(buf + 6 + n, "}", 2);
    b = bson_new_from_json((const uint8_t *)buf, -1, &e);
    ck_assert_msg(b != NULL, "bad JSON %s: %s", json, e.message);
    free(buf);
    return b;
}

static inline void
get_array(const bson_t *wrap, bson_t *arr)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    ck_assert(bson_iter_init_find(&it, wrap, "v") && BSON_ITER_HOLDS_ARRAY(&it));
    bson_iter_array(&it, &len, &data);
    ck_assert(bson_init_static(arr, data, len));
}

/* agg_case_run -- run row `row` of a table and check its output or error. */
static inline void
agg_case_run(const acase_t *c, int row)
{
    bson_t *in_w = parse_json(c->input), *pl_w = parse_json(c->pipeline), in_arr, pl_arr;
    wk_agg_ctx_t ctx = {.db = "test", .coll = "c"};
    wk_agg_pipeline_t *p = NULL;
    wk_agg_docs_t in, out;
    sdb_error_t err;
    bson_iter_t it;
    int ret;

    memset(&err, 0, sizeof(err));
    wk_agg_docs_init(&in);
    wk_agg_docs_init(&out);
    get_array(in_w, &in_arr);
    get_array(pl_w, &pl_arr);
    bson_iter_init(&it, &in_arr);
    while (bson_iter_next(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t d;

        bson_iter_document(&it, &len, &data);
        bson_init_static(&d, data, len);
        wk_agg_docs_push(&in, bson_copy(&d));
    }
    ret = wk_agg_parse_doc(&pl_arr, &ctx, &p, &err);
    if (ret == 0)
        ret = wk_agg_run(p, &ctx, &in, &out, &err);
    if (c->expect == NULL) {
        ck_assert_msg(ret != 0 && err.code == c->code, "row %d: want code %d, got %d (%s)", row,
                      c->code, err.code, err.msg);
    } else {
        bson_t *ex_w = parse_json(c->expect), ex_arr;
        size_t k = 0;

        ck_assert_msg(ret == 0, "row %d: error %d %s", row, err.code, err.msg);
        get_array(ex_w, &ex_arr);
        bson_iter_init(&it, &ex_arr);
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t d;
            char *got, *want;

            bson_iter_document(&it, &len, &data);
            bson_init_static(&d, data, len);
            ck_assert_msg(k < out.n, "row %d: only %zu results", row, out.n);
            got = bson_as_canonical_extended_json(out.v[k], NULL);
            want = bson_as_canonical_extended_json(&d, NULL);
            ck_assert_msg(strcmp(got, want) == 0, "row %d doc %zu: got %s want %s", row, k, got,
                          want);
            bson_free(got);
            bson_free(want);
            k++;
        }
        ck_assert_msg(k == out.n, "row %d: %zu results, want %zu", row, out.n, k);
        bson_destroy(ex_w);
    }
    wk_agg_free(p);
    wk_agg_docs_free(&in);
    wk_agg_docs_free(&out);
    bson_destroy(in_w);
    bson_destroy(pl_w);
}

#endif
