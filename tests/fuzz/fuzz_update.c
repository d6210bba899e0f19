/*
 * tests/fuzz/fuzz_update.c -- libFuzzer target for the update language
 * (src/worker/update/: operators, replacements, pipeline updates, arrayFilters, upserts).
 *
 * The input is one update statement as the update command carries it: {q: filter,
 * u: update (document or pipeline array), arrayFilters: [...]}.  What the door accepts is
 * parsed; an update that parses is applied to every fixed document (with the positional
 * match the filter records on it, when the filter parses and matches) and, as an upsert, to
 * the seed document the filter yields.  Every result must be well-formed BSON.
 *
 * Invariants: single-threaded; nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/worker/update/update.h"

#include <string.h>

/* apply -- apply the update to doc and check the result. */
static void
apply(const wk_update_t *up, const bson_t *doc, const wk_match_details_t *det, bool upsert)
{
    sdb_error_t err;
    bool changed = false;
    bson_t out;

    memset(&err, 0, sizeof(err));
    if (wk_update_apply(up, doc, det, upsert, &out, &changed, &err) == 0)
        fuzz_check_output(&out);
    else
        FUZZ_CHECK(err.code != 0);
    bson_destroy(&out);
}

/* apply_all -- every fixed document, then the upsert seed of the filter. */
static void
apply_all(const wk_update_t *up, const bson_t *q, const wk_matcher_t *m)
{
    const bson_t *const *docs;
    wk_match_details_t det;
    sdb_error_t err;
    bson_t seed;
    size_t n;

    docs = fuzz_docs(&n);
    for (size_t i = 0; i < n; i++) {
        fuzz_details(m, docs[i], &det);
        apply(up, docs[i], &det, false);
    }
    memset(&err, 0, sizeof(err));
    bson_init(&seed);
    if (q != NULL && wk_update_upsert_seed(q, &seed, &err) == 0) {
        fuzz_check_output(&seed);
        apply(up, &seed, NULL, true);
    }
    bson_destroy(&seed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wk_matcher_t *m = NULL;
    wk_update_t *up = NULL;
    sdb_error_t err;
    bson_t stmt, q, filters;
    bson_iter_t u;
    bool have_q, have_filters;

    if (!fuzz_door(data, size, &stmt) || !bson_iter_init_find(&u, &stmt, "u"))
        return 0;
    have_q = fuzz_filter(&stmt, "q", &q, &m);
    have_filters = fuzz_field(&stmt, "arrayFilters", &filters, NULL);
    memset(&err, 0, sizeof(err));
    if (wk_update_new(&u, have_filters ? &filters : NULL, &up, &err) == 0)
        apply_all(up, have_q ? &q : NULL, m);
    else
        FUZZ_CHECK(up == NULL && err.code != 0);
    wk_update_free(up);
    wk_matcher_free(m);
    return 0;
}
