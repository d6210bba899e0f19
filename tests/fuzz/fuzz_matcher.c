/*
 * tests/fuzz/fuzz_matcher.c -- libFuzzer target for the query matcher
 * (src/worker/query/matcher*.c, with $expr's expressions and $jsonSchema behind it).
 *
 * The input is a filter document ({a: {$gt: 1}, $or: [...]}).  What the door accepts is
 * parsed twice: plain, and with `let` variables ($$x, $$s for $expr) and a case-insensitive
 * collation (ICU compares the filter's strings, UTF-8 or not).  A filter that parses is
 * evaluated against every fixed document (fuzz.h), both through the error-reporting entry
 * point and the boolean one, which must agree when no error is raised, and the planner's
 * _id extraction runs on it.
 *
 * Invariants: single-threaded; the variables and the collation are built once, never changed.
 */
#include "fuzz.h"

#include "../../src/worker/query/matcher.h"

#include <string.h>

/* pass -- parse the filter with opts and evaluate it on every fixed document. */
static void
pass(const bson_t *filter, const wk_match_opts_t *opts)
{
    const bson_t *const *docs;
    wk_match_details_t det;
    wk_matcher_t *m = NULL;
    sdb_error_t err;
    bson_t ids;
    size_t n;
    bool matched;

    memset(&err, 0, sizeof(err));
    if (wk_matcher_new_ex(filter, opts, &m, &err) != 0) {
        FUZZ_CHECK(m == NULL && err.code != 0);
        return;
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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bson_t *vars;
    wk_match_opts_t opts;
    bson_t filter;

    if (!fuzz_door(data, size, &filter))
        return 0;
    if (vars == NULL)
        vars = BCON_NEW("x", BCON_INT32(1), "s", BCON_UTF8("ABC"));
    pass(&filter, NULL);
    memset(&opts, 0, sizeof(opts)); /* fields not set here (op, text_index) are absent */
    opts.vars = vars;
    opts.coll = fuzz_collation();
    pass(&filter, &opts);
    return 0;
}
