/*
 * tests/fuzz/fuzz_matcher.c -- libFuzzer target for the query matcher
 * (src/worker/query/matcher*.c, with $expr's expressions and $jsonSchema behind it).
 *
 * The input is a filter document ({a: {$gt: 1}, $or: [...]}).  What the door accepts is
 * parsed; a filter that parses is evaluated against every fixed document (fuzz.h), both
 * through the error-reporting entry point and the boolean one, which must agree when no
 * error is raised, and the planner's _id extraction runs on it.
 *
 * Invariants: single-threaded; nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/worker/query/matcher.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bson_t *const *docs;
    wk_match_details_t det;
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    bson_t filter, ids;
    size_t n;
    bool matched;

    if (!fuzz_door(data, size, &filter))
        return 0;
    memset(&err, 0, sizeof(err));
    if (wk_matcher_new(&filter, &m, &err) != 0) {
        FUZZ_CHECK(m == NULL && err.code != 0);
        return 0;
    }
    docs = fuzz_docs(&n);
    for (size_t i = 0; i < n; i++) {
        memset(&det, 0, sizeof(det));
        if (wk_matcher_match(m, docs[i], &det, &matched, &err) == 0)
            FUZZ_CHECK(wk_matcher_matches(m, docs[i], NULL) == matched);
        else
            FUZZ_CHECK(!matched && err.code != 0);
    }
    bson_init(&ids);
    if (wk_matcher_id_values(m, &ids))
        fuzz_check_output(&ids);
    bson_destroy(&ids);
    wk_matcher_free(m);
    return 0;
}
