/*
 * tests/fuzz/fuzz_bson.c -- libFuzzer target for the door check of untrusted BSON
 * (sdb_bson_check, src/common/bsonvalid.c).
 *
 * The input is any byte string, checked as one BSON document at each nesting limit the
 * server uses (and at 1 and 2).  What the check accepts must be what the rest of the code
 * may trust: libbson iterates the document and everything nested in it to exactly its
 * terminating NUL within the limit (fuzz_walk_ok, the test's own oracle), sdb_bson_depth_ok
 * agrees, and libbson's copy, comparison and extended-JSON writer read every value without
 * failing.  What it refuses is refused with 22 InvalidBSON or 15 Overflow.  Acceptance is
 * monotonic in the limit: accepted at a limit, accepted at every larger one.
 *
 * Invariants: single-threaded; nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/common/bsonvalid.h"
#include "../../src/common/sdb.h"

#include <string.h>

/* The limits the server checks with, ascending. */
static const int limits[] = {
    1, 2, SDB_BSON_DEPTH_STORED, SDB_BSON_LEVELS_COMMAND, SDB_BSON_DEPTH_EVAL,
};

/* trusted -- what the code past the door does with an accepted document. */
static void
trusted(const uint8_t *data, size_t size, int limit)
{
    bson_t doc, *copy;
    char *json;

    FUZZ_CHECK(fuzz_walk_ok(data, size, limit));
    FUZZ_CHECK(bson_init_static(&doc, data, size));
    FUZZ_CHECK(sdb_bson_depth_ok(&doc, limit));
    copy = bson_copy(&doc);
    FUZZ_CHECK(copy != NULL && bson_equal(copy, &doc));
    bson_destroy(copy);
    json = bson_as_canonical_extended_json(&doc, NULL);
    bson_free(json); /* NULL for strings that are not UTF-8: a refusal, not a crash */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool accepted = false;
    sdb_error_t err;
    int rc;

    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        memset(&err, 0, sizeof(err));
        rc = sdb_bson_check(data, size, limits[i], &err);
        if (rc == 0) {
            trusted(data, size, limits[i]);
            accepted = true;
        } else {
            FUZZ_CHECK(!accepted);
            FUZZ_CHECK(rc == SDB_ECLIENT);
            FUZZ_CHECK(err.code == SDB_CODE_InvalidBSON || err.code == SDB_CODE_Overflow);
        }
    }
    return 0;
}
