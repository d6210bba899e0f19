/*
 * tests/fuzz/fuzz_common.c -- the door check, the fixed documents and the output check of
 * the fuzz targets (fuzz.h).
 *
 * The fixed documents cover what filters, updates and projections branch on: every scalar
 * type, nested documents, arrays of scalars, of documents and of arrays, dotted-path and
 * numeric-component shapes, and an empty document.  They are parsed from extended JSON once.
 *
 * Invariants: single-threaded (libFuzzer runs one input at a time).
 */
#include "fuzz.h"

#include "../../src/common/bsonvalid.h"
#include "../../src/common/collation.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const doc_json[] = {
    /* Parenthesized: each document is one literal split over lines. */
    ("{\"_id\": 1, \"a\": 1, \"b\": \"x\", \"c\": [1, 2, {\"d\": 3}], \"e\": {\"f\": null, "
     "\"g\": [[1, 2], {\"h\": \"y\"}]}, \"t\": true, \"n\": 2.5, "
     "\"l\": {\"$numberLong\": \"9007199254740993\"}, \"dec\": {\"$numberDecimal\": \"1.5\"}, "
     "\"dt\": {\"$date\": \"2020-01-01T00:00:00Z\"}, \"re\": {\"$regularExpression\": "
     "{\"pattern\": \"^a\", \"options\": \"i\"}}, \"oid\": {\"$oid\": "
     "\"5f0000000000000000000001\"}, \"bin\": {\"$binary\": {\"base64\": \"AAEC\", "
     "\"subType\": \"00\"}}, \"ts\": {\"$timestamp\": {\"t\": 1, \"i\": 2}}, "
     "\"mn\": {\"$minKey\": 1}, \"mx\": {\"$maxKey\": 1}}"),
    ("{\"_id\": 2, \"a\": [{\"b\": 1, \"c\": \"p\"}, {\"b\": [2, 3], \"c\": \"q\"}], "
     "\"arr\": [], \"s\": \"abc\", \"x\": {\"0\": {\"y\": 5}, \"1\": [7, 8]}, "
     "\"k\": [[{\"v\": 1}], [{\"v\": 2}, {\"v\": 3}]], \"m\": -0.0, \"i\": 2147483647}"),
    ("{\"_id\": {\"k\": \"three\"}, \"a\": null, \"b\": [null, \"x\", 1], \"c\": {}, "
     "\"qty\": 5, \"price\": {\"$numberDecimal\": \"10.25\"}, \"tags\": [\"red\", \"blank\"]}"),
    "{}",
};

#define NDOCS (sizeof(doc_json) / sizeof(doc_json[0]))

void
fuzz_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "fuzz: property failed: %s (%s:%d)\n", cond, file, line);
    abort();
}

/* walk -- iterate data[0..len) and every document, array and code-with-scope scope inside it
 * with libbson; true when each one iterates to exactly its own terminating NUL (libbson's
 * bson_validate accepts a nested document whose NUL is misplaced, and its iterator then
 * stops early or fails). */
static bool
walk(const uint8_t *data, uint32_t len, int depth, int max_depth)
{
    bson_iter_t it;
    const uint8_t *sub;
    uint32_t sublen;

    if (depth > max_depth || !bson_iter_init_from_data(&it, data, len))
        return false;
    while (bson_iter_next(&it)) {
        int levels = 1;

        sub = NULL;
        if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
            bson_iter_document(&it, &sublen, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
            bson_iter_array(&it, &sublen, &sub);
        } else if (BSON_ITER_HOLDS_CODEWSCOPE(&it)) {
            uint32_t codelen;

            bson_iter_codewscope(&it, &codelen, &sublen, &sub);
            levels = 2; /* code, then its scope, as mongod counts it */
        } else {
            continue;
        }
        if (sub == NULL || !walk(sub, sublen, depth + levels, max_depth))
            return false;
    }
    return it.off == len - 1;
}

bool
fuzz_walk_ok(const uint8_t *data, size_t size, int max_depth)
{
    return size >= 5 && size <= UINT32_MAX && walk(data, (uint32_t)size, 1, max_depth);
}

bool
fuzz_door(const uint8_t *data, size_t size, bson_t *doc)
{
    sdb_error_t err;

    if (sdb_bson_check(data, size, SDB_BSON_LEVELS_COMMAND, &err) != 0)
        return false;
    FUZZ_CHECK(bson_init_static(doc, data, size));
    return true;
}

bool
fuzz_field(const bson_t *doc, const char *key, bson_t *out, bson_iter_t *it)
{
    bson_iter_t scratch;
    const uint8_t *data;
    uint32_t len;

    if (it == NULL)
        it = &scratch;
    if (!bson_iter_init_find(it, doc, key))
        return false;
    if (BSON_ITER_HOLDS_DOCUMENT(it))
        bson_iter_document(it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(it))
        bson_iter_array(it, &len, &data);
    else
        return false;
    return bson_init_static(out, data, len);
}

bool
fuzz_filter(const bson_t *doc, const char *key, bson_t *filter, wk_matcher_t **m)
{
    sdb_error_t err;

    *m = NULL;
    if (!fuzz_field(doc, key, filter, NULL))
        return false;
    memset(&err, 0, sizeof(err));
    if (wk_matcher_new(filter, m, &err) != 0)
        *m = NULL;
    return true;
}

void
fuzz_details(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *det)
{
    memset(det, 0, sizeof(*det));
    if (m != NULL && !wk_matcher_matches(m, doc, det))
        memset(det, 0, sizeof(*det));
}

const sdb_collation_t *
fuzz_collation(void)
{
    static sdb_collation_t *coll;
    sdb_error_t err;
    bson_t *spec;

    if (coll == NULL) {
        spec = BCON_NEW("locale", BCON_UTF8("en"), "strength", BCON_INT32(2));
        if (sdb_collation_new(spec, &coll, &err) != 0 || coll == NULL) {
            fprintf(stderr, "fuzz: collation: %s\n", err.msg);
            abort();
        }
        bson_destroy(spec);
    }
    return coll;
}

const bson_t *const *
fuzz_docs(size_t *n)
{
    static bson_t *docs[NDOCS];
    bson_error_t e;

    if (docs[0] == NULL) {
        for (size_t i = 0; i < NDOCS; i++) {
            docs[i] = bson_new_from_json((const uint8_t *)doc_json[i], -1, &e);
            if (docs[i] == NULL) {
                fprintf(stderr, "fuzz: fixed document %zu: %s\n", i, e.message);
                abort();
            }
        }
    }
    *n = NDOCS;
    return (const bson_t *const *)docs;
}

void
fuzz_check_output(const bson_t *doc)
{
    const uint8_t *p = bson_get_data(doc);

    /* Structure only: mongod checks no UTF-8 in field names or strings it builds, and a
     * string value (which the door does not check for UTF-8) may become a field name
     * ($rename, projection paths). */
    if (fuzz_walk_ok(p, doc->len, INT_MAX))
        return;
    fprintf(stderr, "fuzz: output of %u bytes is malformed:", doc->len);
    for (uint32_t i = 0; i < doc->len && i < 512; i++)
        fprintf(stderr, "%s%02x", i % 32 ? " " : "\n    ", p[i]);
    fprintf(stderr, "\n");
    fuzz_fail("fuzz_walk_ok(output)", __FILE__, __LINE__);
}
