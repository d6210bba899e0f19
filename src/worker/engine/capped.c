/*
 * src/worker/engine/capped.c -- capped collection options: create's capped, size and max.
 *
 * mongod 7.0 parses create with IDL first (types in field order, then each field's
 * validator), then applies two rules of its own; the stored options are what
 * CollectionOptions::appendBSON writes.  Each step here follows that order, so the first
 * error a client sees is mongod's first error.  Null means absent, as in IDL.
 *
 * Invariants: event-loop thread; reads only cmd->body.
 */
#include "capped.h"
#include "args.h"

#include "../../common/bsoncmp.h"
#include "../../common/sdb.h"

#include <string.h>

#define CAPPED_SIZE_MAX 1125899906842624LL /* 1 PB */
#define CAPPED_MAX_DOCS_LIMIT 2147483648LL /* 2^31: max must be below it */
#define CAPPED_MAX_DOCS_NONE 0x7fffffffLL  /* what max <= 0 becomes */

typedef struct capped_args {
    bool capped, has_size, has_max;
    int64_t size, max;
} capped_args_t;

bool
wk_capped_is_option(const char *field)
{
    return strcmp(field, "capped") == 0 || strcmp(field, "size") == 0 || strcmp(field, "max") == 0;
}

bool
wk_capped_is(const wk_coll_info_t *ci)
{
    bson_iter_t it;

    return ci != NULL && bson_iter_init_find(&it, &ci->options, "capped") && bson_iter_as_bool(&it);
}

/* types_error -- IDL's error for a field of several allowed types. */
static int
types_error(wk_cmd_t *cmd, const bson_iter_t *it, const char *types)
{
    return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                         "BSON field '%s.%s' is the wrong type '%s', expected types '[%s']",
                         cmd->name, bson_iter_key(it), wk_cmdu_type_name(bson_iter_type(it)),
                         types);
}

/* safe_int64 -- IDL's safeInt64: any number, truncated toward zero. */
static int
safe_int64(wk_cmd_t *cmd, const bson_iter_t *it, int64_t *out)
{
    bool nan;

    if (!sdb_bson_safe_long(it, out, &nan))
        return types_error(cmd, it, "long, int, decimal, double");
    return 0;
}

/* bound_error -- IDL's validator error (51024 for every comparison). */
static int
bound_error(wk_cmd_t *cmd, const char *field, const char *op, long long bound, int64_t v)
{
    return sdb_error_set(&cmd->err, WK_CODE_BAD_LIMIT,
                         "BSON field '%s' value must be %s %lld, actual value '%lld'", field, op,
                         bound, (long long)v);
}

/* parse_field -- one of capped, size, max (IDL: type, then validator). */
static int
parse_field(wk_cmd_t *cmd, const bson_iter_t *it, capped_args_t *a)
{
    const char *k = bson_iter_key(it);

    if (BSON_ITER_HOLDS_NULL(it) || BSON_ITER_HOLDS_UNDEFINED(it))
        return 0;
    if (strcmp(k, "capped") == 0) {
        if (!BSON_ITER_HOLDS_BOOL(it) && !BSON_ITER_HOLDS_NUMBER(it))
            return types_error(cmd, it, "bool, long, int, decimal, double");
        a->capped = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "size") == 0) {
        SDB_RET(safe_int64(cmd, it, &a->size));
        if (a->size < 1)
            return bound_error(cmd, k, ">=", 1, a->size);
        if (a->size > CAPPED_SIZE_MAX)
            return bound_error(cmd, k, "<=", CAPPED_SIZE_MAX, a->size);
        a->has_size = true;
        return 0;
    }
    SDB_RET(safe_int64(cmd, it, &a->max));
    if (a->max >= CAPPED_MAX_DOCS_LIMIT)
        return bound_error(cmd, k, "<", CAPPED_MAX_DOCS_LIMIT, a->max);
    a->has_max = true;
    return 0;
}

/* append_number -- mongod's BSONObjBuilder::appendNumber(long long): an int when small. */
static void
append_number(bson_t *b, const char *k, int64_t v)
{
    if (v < (1LL << 30) && v > -(1LL << 30))
        BSON_APPEND_INT32(b, k, (int32_t)v);
    else
        BSON_APPEND_INT64(b, k, v);
}

int
wk_capped_options(wk_cmd_t *cmd, bson_t *opts)
{
    capped_args_t a;
    bson_iter_t it;

    memset(&a, 0, sizeof(a));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it))
        if (wk_capped_is_option(bson_iter_key(&it)))
            SDB_RET(parse_field(cmd, &it, &a));
    if (a.capped && !a.has_size)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "the 'size' field is required when 'capped' is true");
    if ((a.has_size || a.has_max) && !a.capped)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "the 'capped' field needs to be true when either the 'size' or "
                             "'max' fields are present");
    if (!a.capped)
        return 0;
    BSON_APPEND_BOOL(opts, "capped", true);
    append_number(opts, "size", (a.size + 0xff) & ~(int64_t)0xff);
    if (a.has_max)
        append_number(opts, "max", a.max <= 0 ? CAPPED_MAX_DOCS_NONE : a.max);
    return 0;
}

int
wk_capped_check_ttl(wk_cmd_t *cmd, const char *ns, const bson_t *specs)
{
    bson_iter_t it, f;

    SDB_RET(wk_cmdu_refresh(&cmd->err));
    if (!wk_capped_is(wk_catalog_find(ns)) || !bson_iter_init(&it, specs))
        return 0;
    while (bson_iter_next(&it))
        if (bson_iter_recurse(&it, &f) && bson_iter_find(&f, "expireAfterSeconds"))
            return sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                                 "Cannot create TTL index on a capped collection");
    return 0;
}

/* coll_mod_value -- mongod's checkAndAdjustCappedSize / checkAndAdjustCappedMaxDocs. */
static int
coll_mod_value(wk_cmd_t *cmd, bool is_size, int64_t v, bson_t *set)
{
    if (is_size && v < 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "size has to be >= 0");
    if (is_size && v > CAPPED_SIZE_MAX)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "size cannot exceed 1 PB");
    if (!is_size && v >= CAPPED_MAX_DOCS_LIMIT)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "max in a capped collection has to be < 2^31 or not set");
    if (is_size)
        append_number(set, "size", (v + 0xff) & ~(int64_t)0xff);
    else
        append_number(set, "max", v <= 0 ? CAPPED_MAX_DOCS_NONE : v);
    return 0;
}

int
wk_capped_coll_mod(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *it, bson_t *set)
{
    int64_t v;

    if (BSON_ITER_HOLDS_NULL(it) || BSON_ITER_HOLDS_UNDEFINED(it))
        return 0;
    SDB_RET(safe_int64(cmd, it, &v));
    if (!wk_capped_is(ci))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "Collection must be capped.");
    return coll_mod_value(cmd, strcmp(bson_iter_key(it), "cappedSize") == 0, v, set);
}

int
wk_capped_refuse_out(const char *ns, sdb_error_t *err)
{
    SDB_RET(wk_cmdu_refresh(err));
    if (!wk_capped_is(wk_catalog_find(ns)))
        return 0;
    return sdb_error_set(err, SDB_CODE_Location17152,
                         "namespace '%s' is capped so it can't be used for $out", ns);
}

void
wk_capped_stats(const char *ns, bson_t *out, int64_t scale)
{
    const wk_coll_info_t *ci = wk_catalog_refresh() == 0 ? wk_catalog_find(ns) : NULL;
    bson_iter_t it;
    bool capped = wk_capped_is(ci);

    BSON_APPEND_BOOL(out, "capped", capped);
    if (!capped)
        return;
    if (bson_iter_init_find(&it, &ci->options, "max"))
        append_number(out, "max", bson_iter_as_int64(&it));
    if (bson_iter_init_find(&it, &ci->options, "size"))
        append_number(out, "maxSize", bson_iter_as_int64(&it) / (scale > 0 ? scale : 1));
}
