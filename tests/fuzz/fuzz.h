/*
 * tests/fuzz/fuzz.h -- what the libFuzzer targets of tests/fuzz share.
 *
 * Each fuzz_<module>.c defines LLVMFuzzerTestOneInput for one untrusted-input parser of the
 * worker (wire codec, BSON validation, matcher, update, projection, pipeline).  Targets that
 * take a BSON document first pass the bytes through fuzz_door, the same acceptance check the
 * server applies at its door; what the door refuses is skipped, because past the door the
 * code may trust the bytes -- that is the contract these targets verify.  The parsed object
 * is then applied to the fixed documents of fuzz_docs, and its output is checked to be
 * well-formed BSON (FUZZ_CHECK aborts, which libFuzzer reports as a crash).
 *
 * Built two ways (tests/fuzz/Makefile.inc): with --enable-fuzzing the targets link libFuzzer
 * (-fsanitize=fuzzer); otherwise fuzz_main.c gives them a main() that replays the committed
 * corpus and regression inputs, so `make check` runs every past finding.
 *
 * Invariants: single-threaded; the fixed documents are built once and never freed.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include "../../src/worker/query/matcher.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FUZZ_CHECK -- a property the target verifies: print it and abort (a libFuzzer crash). */
#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c))                                                                                  \
            fuzz_fail(#c, __FILE__, __LINE__);                                                     \
    } while (0)

/* LLVMFuzzerTestOneInput -- one input; every target defines it, returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_fail -- report a broken property and abort. */
void fuzz_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

/* fuzz_door -- true with *doc a static view of data when the server's door check
 * (sdb_bson_check at the command limit, as wire.c applies it) accepts the bytes. */
bool fuzz_door(const uint8_t *data, size_t size, bson_t *doc);

/* fuzz_walk_ok -- the test's own oracle for "the code may iterate these bytes": libbson
 * iterates the document and every document and array nested in it (at most max_depth
 * levels, the top level's fields being level 1) to exactly its terminating NUL. */
bool fuzz_walk_ok(const uint8_t *data, size_t size, int max_depth);

/* fuzz_field -- true with *out a static view of field `key` of doc when it holds a document
 * or an array; *it (may be NULL) is left on the field. */
bool fuzz_field(const bson_t *doc, const char *key, bson_t *out, bson_iter_t *it);

/* fuzz_filter -- field `key` of doc as a query filter: true with *filter a view of it when it
 * is a document or array; *m is its parsed matcher (wk_matcher_free it), NULL when it does
 * not parse or is absent. */
bool fuzz_filter(const bson_t *doc, const char *key, bson_t *filter, wk_matcher_t **m);

/* fuzz_details -- the array position m records on doc for positional $ (zeroed when m is
 * NULL or doc does not match). */
void fuzz_details(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *det);

/* fuzz_collation -- a case-insensitive collation ({locale: "en", strength: 2}) for the
 * targets' second, collated pass; built once. */
const sdb_collation_t *fuzz_collation(void);

/* fuzz_docs -- the fixed documents every parsed filter, update, projection or pipeline is
 * applied to; *n receives their number. */
const bson_t *const *fuzz_docs(size_t *n);

/* fuzz_check_output -- FUZZ_CHECK that a document the code built is well-formed BSON. */
void fuzz_check_output(const bson_t *doc);

#endif
