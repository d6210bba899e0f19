/*
 * src/worker/query/jsonschema.c -- the $jsonSchema query operator (document validation).
 *
 * (Being written: the parser rejects schemas until the keyword set is implemented.)
 *
 * Invariants: a parsed schema is immutable; matching is pure.
 */
#include "matcher_int.h"

#include "../../common/sdb.h"

struct wk_schema {
    int unused;
};

int
wk_schema_parse(const bson_iter_t *it, wk_schema_t **out, sdb_error_t *err)
{
    *out = NULL;
    return sdb_error_set(err, SDB_CODE_NotImplemented, "$jsonSchema is not supported yet");
}

bool
wk_schema_matches(const wk_schema_t *s, const bson_t *doc)
{
    return s != NULL && doc != NULL;
}

void
wk_schema_free(wk_schema_t *s)
{
    bson_free(s);
}
