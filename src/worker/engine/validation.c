/*
 * src/worker/engine/validation.c -- mongod's errInfo for a document that failed validation.
 *
 * mongod (5.0+) explains a DocumentValidationFailure with errInfo {failingDocumentId,
 * details}.  The validator is split into clauses, one per (path, operator) pair of its
 * top-level fields (a top-level $and/$or/$nor/$expr/$jsonSchema is one clause); each clause is
 * matched on its own, and a failing one is described as mongod does: {operatorName,
 * specifiedAs, reason, consideredValue, consideredType} (reason "field was missing" when the
 * path is absent).  One clause gives its description as `details`; several give
 * {operatorName: "$and", clausesNotSatisfied: [{index, details}]}.  Logical operators and
 * $jsonSchema are described by operatorName and specifiedAs only (mongod goes deeper).
 *
 * Invariants: event-loop thread; no store calls; the validator already parsed once (the
 * write that failed), so a clause that does not parse on its own is skipped.
 */
#include "validation.h"

#include "../query/matcher.h"
#include "args.h"

#include <string.h>

typedef struct reason {
    const char *op, *text;
} reason_t;

static const reason_t reasons[] = {
    {"$eq", "comparison failed"},
    {"$ne", "comparison succeeded"},
    {"$gt", "comparison failed"},
    {"$gte", "comparison failed"},
    {"$lt", "comparison failed"},
    {"$lte", "comparison failed"},
    {"$type", "type did not match"},
    {"$in", "no matching value found in array"},
    {"$nin", "matching value found in array"},
    {"$exists", "path does not exist"},
    {"$regex", "regular expression did not match"},
    {"$size", "array length was not equal to given size"},
    {"$all", "array did not contain all specified values"},
    {"$mod", "$mod did not evaluate to expected remainder"},
    {"$elemMatch", "array did not satisfy the child predicate"},
    {NULL, NULL},
};

/* clause_t -- one (path, operator) clause of the validator. */
typedef struct clause {
    const char *path; /* the top-level key (a field path or a $-operator) */
    const char *op;   /* "$gt", ..., "$eq" for a literal, or the path itself for $and etc. */
    bson_t spec;      /* {path: {op: arg}} or {path: literal} or {$and: [...]} */
} clause_t;

/* describe -- the details document of one failing clause. */
static void
describe(const clause_t *c, const bson_t *doc, bson_t *d)
{
    bson_iter_t it;
    const char *reason = NULL;
    bool present;

    BSON_APPEND_UTF8(d, "operatorName", c->op);
    BSON_APPEND_DOCUMENT(d, "specifiedAs", &c->spec);
    if (c->path[0] == '$')
        return;
    present = bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, c->path, &it);
    if (strcmp(c->op, "$exists") == 0) {
        BSON_APPEND_UTF8(d, "reason", present ? "path does exist" : "path does not exist");
        return;
    }
    if (!present) {
        BSON_APPEND_UTF8(d, "reason", "field was missing");
        return;
    }
    for (size_t i = 0; reasons[i].op != NULL && reason == NULL; i++)
        if (strcmp(reasons[i].op, c->op) == 0)
            reason = reasons[i].text;
    BSON_APPEND_UTF8(d, "reason", reason != NULL ? reason : "expression did not match");
    wk_cmdu_append_iter_as(d, "consideredValue", &it);
    BSON_APPEND_UTF8(d, "consideredType", wk_cmdu_type_name(bson_iter_type(&it)));
}

/* clause_fails -- does `doc` fail the clause on its own? */
static bool
clause_fails(const clause_t *c, const bson_t *doc)
{
    wk_matcher_t *m = NULL;
    sdb_error_t e;
    bool fails = false;

    if (wk_matcher_new(&c->spec, &m, &e) == 0)
        fails = !wk_matcher_matches(m, doc, NULL);
    wk_matcher_free(m);
    return fails;
}

/* split -- the clauses of the validator (at most `max`); returns how many. */
static size_t
split(const bson_t *validator, clause_t *cl, size_t max)
{
    bson_iter_t it, ops;
    size_t n = 0;

    bson_iter_init(&it, validator);
    while (bson_iter_next(&it) && n < max) {
        const char *k = bson_iter_key(&it);
        bool op_doc = false;

        if (k[0] != '$' && BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &ops) &&
            bson_iter_next(&ops))
            op_doc = bson_iter_key(&ops)[0] == '$';
        if (!op_doc) {
            cl[n].path = k;
            cl[n].op = k[0] == '$' ? k : "$eq";
            bson_init(&cl[n].spec);
            bson_append_iter(&cl[n++].spec, k, -1, &it);
            continue;
        }
        bson_iter_recurse(&it, &ops);
        while (bson_iter_next(&ops) && n < max) {
            bson_t sub;

            cl[n].path = k;
            cl[n].op = bson_iter_key(&ops);
            bson_init(&cl[n].spec);
            BSON_APPEND_DOCUMENT_BEGIN(&cl[n].spec, k, &sub);
            bson_append_iter(&sub, cl[n].op, -1, &ops);
            bson_append_document_end(&cl[n++].spec, &sub);
        }
    }
    return n;
}

#define VALIDATION_MAX_CLAUSES 64

void
wk_validation_info(const uint8_t *validator, uint32_t len, const bson_t *doc, bson_t *out)
{
    clause_t cl[VALIDATION_MAX_CLAUSES];
    size_t n = 0, nfail = 0, first = 0;
    bson_t info, details, arr, one, d, spec;
    bson_iter_t id;
    char key[16];
    const char *k;
    bool fails[VALIDATION_MAX_CLAUSES];

    if (validator != NULL && bson_init_static(&spec, validator, len))
        n = split(&spec, cl, VALIDATION_MAX_CLAUSES);
    for (size_t i = 0; i < n; i++) {
        fails[i] = clause_fails(&cl[i], doc);
        if (fails[i] && nfail++ == 0)
            first = i;
    }
    BSON_APPEND_DOCUMENT_BEGIN(out, "errInfo", &info);
    if (bson_iter_init_find(&id, doc, "_id"))
        wk_cmdu_append_iter_as(&info, "failingDocumentId", &id);
    BSON_APPEND_DOCUMENT_BEGIN(&info, "details", &details);
    if (n == 1 && nfail == 1) {
        describe(&cl[first], doc, &details);
    } else {
        BSON_APPEND_UTF8(&details, "operatorName", "$and");
        BSON_APPEND_ARRAY_BEGIN(&details, "clausesNotSatisfied", &arr);
        for (size_t i = 0, j = 0; i < n; i++) {
            if (!fails[i])
                continue;
            bson_uint32_to_string((uint32_t)j++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &one);
            BSON_APPEND_INT32(&one, "index", (int32_t)i);
            BSON_APPEND_DOCUMENT_BEGIN(&one, "details", &d);
            describe(&cl[i], doc, &d);
            bson_append_document_end(&one, &d);
            bson_append_document_end(&arr, &one);
        }
        bson_append_array_end(&details, &arr);
    }
    bson_append_document_end(&info, &details);
    bson_append_document_end(out, &info);
    for (size_t i = 0; i < n; i++)
        bson_destroy(&cl[i].spec);
}
