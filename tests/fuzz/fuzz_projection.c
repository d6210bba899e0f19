/*
 * tests/fuzz/fuzz_projection.c -- libFuzzer target for find()'s projection
 * (src/worker/query/projection.c: inclusion, exclusion, $slice, $elemMatch, positional $,
 * and expressions).
 *
 * The input has the shape of a find command: {filter: ..., projection: ...}.  What the door
 * accepts is parsed (the filter matters to $elemMatch and positional projection); a
 * projection that parses is applied to every fixed document, with the array position the
 * filter records on it when the filter parses and matches.  Every result must be well-formed
 * BSON.
 *
 * Invariants: single-threaded; nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/worker/query/projection.h"

#include <string.h>

/* apply_all -- the projection of every fixed document. */
static void
apply_all(const wk_projection_t *pr, const wk_matcher_t *m)
{
    const bson_t *const *docs;
    wk_match_details_t det;
    sdb_error_t err;
    bson_t out;
    size_t n;

    docs = fuzz_docs(&n);
    for (size_t i = 0; i < n; i++) {
        fuzz_details(m, docs[i], &det);
        memset(&err, 0, sizeof(err));
        if (wk_projection_apply(pr, docs[i], &det, &out, &err) == 0)
            fuzz_check_output(&out);
        else
            FUZZ_CHECK(err.code != 0);
        bson_destroy(&out);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wk_projection_t *pr = NULL;
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    bson_t cmd, filter, spec;
    bool have_filter;

    if (!fuzz_door(data, size, &cmd) || !fuzz_field(&cmd, "projection", &spec, NULL))
        return 0;
    have_filter = fuzz_filter(&cmd, "filter", &filter, &m);
    memset(&err, 0, sizeof(err));
    if (wk_projection_new(&spec, have_filter ? &filter : NULL, &pr, &err) == 0)
        apply_all(pr, m);
    else
        FUZZ_CHECK(pr == NULL && err.code != 0);
    wk_projection_free(pr);
    wk_matcher_free(m);
    return 0;
}
