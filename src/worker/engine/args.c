/*
 * src/worker/engine/args.c -- checking a command's arguments in mongod's words.
 *
 * Each check answers with mongod's code and message for the same mistake (the IDL's 40415
 * unknown field and 14 wrong type, BadValue for a non-integral number), so that drivers and
 * tests written against mongod see the same errors.  The generic arguments every command
 * accepts are one table.
 *
 * Invariants: event-loop thread only; nothing here keeps state between calls.
 */
#include "args.h"

#include "../catalog_cache.h"
#include "../query/expr.h"
#include "../worker.h"
#include "namespace.h"

#include <stdio.h>
#include <string.h>

const char *
wk_cmdu_type_name(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_DOUBLE:
        return "double";
    case BSON_TYPE_UTF8:
        return "string";
    case BSON_TYPE_DOCUMENT:
        return "object";
    case BSON_TYPE_ARRAY:
        return "array";
    case BSON_TYPE_BINARY:
        return "binData";
    case BSON_TYPE_UNDEFINED:
        return "undefined";
    case BSON_TYPE_OID:
        return "objectId";
    case BSON_TYPE_BOOL:
        return "bool";
    case BSON_TYPE_DATE_TIME:
        return "date";
    case BSON_TYPE_NULL:
        return "null";
    case BSON_TYPE_REGEX:
        return "regex";
    case BSON_TYPE_DBPOINTER:
        return "dbPointer";
    case BSON_TYPE_CODE:
        return "javascript";
    case BSON_TYPE_SYMBOL:
        return "symbol";
    case BSON_TYPE_CODEWSCOPE:
        return "javascriptWithScope";
    case BSON_TYPE_INT32:
        return "int";
    case BSON_TYPE_TIMESTAMP:
        return "timestamp";
    case BSON_TYPE_INT64:
        return "long";
    case BSON_TYPE_DECIMAL128:
        return "decimal";
    case BSON_TYPE_MINKEY:
        return "minKey";
    case BSON_TYPE_MAXKEY:
        return "maxKey";
    default:
        return "missing";
    }
}

static const char *const generic_args[] = {
    "$db",
    "lsid",
    "txnNumber",
    "autocommit",
    "startTransaction",
    "stmtId",
    "writeConcern",
    "readConcern",
    "$readPreference",
    "$clusterTime",
    "comment",
    "maxTimeMS",
    "apiVersion",
    "apiStrict",
    "apiDeprecationErrors",
    "$audit",
    "$client",
    "$configServerState",
    "clientOperationKey",
    "maxTimeMSOpOnly",
    "databaseVersion",
    "shardVersion",
    "mayBypassWriteBlocking",
    "txnRetryCounter",
    "$configTime",
    "$topologyTime",
    "usesDefaultMaxTimeMS",
    "versionContext",
    "$queryOptions",
    NULL,
};

bool
wk_cmdu_is_generic(const char *field)
{
    for (size_t i = 0; generic_args[i] != NULL; i++)
        if (strcmp(generic_args[i], field) == 0)
            return true;
    return false;
}

int
wk_cmdu_check_fields(wk_cmd_t *cmd, const char *const *known)
{
    bson_iter_t it;
    bool first = true;

    if (!bson_iter_init(&it, cmd->body))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidBSON, "invalid command document");
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool ok = false;

        if (first) {
            first = false;
            continue;
        }
        if (wk_cmdu_is_generic(k))
            continue;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(known[i], k) == 0;
        if (!ok)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field '%s.%s' is an unknown field.", cmd->name, k);
    }
    return 0;
}

int
wk_cmdu_check_unsupported(wk_cmd_t *cmd, const char *const *fields)
{
    bson_iter_t it;

    for (size_t i = 0; fields[i] != NULL; i++)
        if (bson_iter_init_find(&it, cmd->body, fields[i]) && wk_cmdu_truthy(&it))
            return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupported,
                                 "%s is not supported by this server", fields[i]);
    return 0;
}

int
wk_cmdu_check_timeseries_ns(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"isTimeseriesNamespace", NULL};

    return wk_cmdu_check_unsupported(cmd, fields);
}

/* uuid_of -- the 16 bytes of a collection's UUID, or NULL. */
static const uint8_t *
uuid_of(const wk_coll_info_t *ci)
{
    const uint8_t *data;
    bson_subtype_t st;
    uint32_t len;
    bson_iter_t it;

    if (ci == NULL || !bson_iter_init_find(&it, &ci->uuid_doc, "uuid") ||
        !BSON_ITER_HOLDS_BINARY(&it))
        return NULL;
    bson_iter_binary(&it, &st, &len, &data);
    return len == 16 ? data : NULL;
}

/* uuid_owner -- the name (in ns's database) of the collection holding `uuid`, or NULL. */
static const char *
uuid_owner(const char *ns, const uint8_t *uuid)
{
    const char *dot = strchr(ns, '.');
    size_t n, dblen = dot != NULL ? (size_t)(dot - ns) + 1 : 0;
    const wk_coll_info_t *all = wk_catalog_list(&n);

    for (size_t i = 0; i < n && dblen > 0; i++) {
        const uint8_t *u = uuid_of(&all[i]);

        if (u != NULL && memcmp(u, uuid, 16) == 0 && strncmp(all[i].ns, ns, dblen) == 0)
            return all[i].ns + dblen;
    }
    return NULL;
}

int
wk_cmdu_check_uuid(wk_cmd_t *cmd, const char *ns)
{
    return wk_cmdu_check_uuid_field(cmd, ns, "collectionUUID");
}

int
wk_cmdu_check_uuid_field(wk_cmd_t *cmd, const char *ns, const char *field)
{
    const uint8_t *want, *have;
    const char *dot = strchr(ns, '.'), *actual;
    bson_subtype_t st;
    uint32_t len;
    bson_iter_t it;

    if (!bson_iter_init_find(&it, cmd->body, field))
        return 0;
    if (!BSON_ITER_HOLDS_BINARY(&it))
        return wk_cmdu_type_error(cmd, field, bson_iter_type(&it), "uuid");
    bson_iter_binary(&it, &st, &len, &want);
    if (st != BSON_SUBTYPE_UUID || len != 16)
        return wk_cmdu_type_error(cmd, field, bson_iter_type(&it), "uuid");
    SDB_RET(wk_cmdu_refresh(&cmd->err));
    have = uuid_of(wk_catalog_find(ns));
    if (have != NULL && memcmp(have, want, 16) == 0)
        return 0;
    if (cmd->err_extra == NULL)
        cmd->err_extra = bson_new();
    /* ns's database, not cmd->db: renameCollection runs on admin */
    bson_append_utf8(cmd->err_extra, "db", 2, ns, dot != NULL ? (int)(dot - ns) : (int)strlen(ns));
    BSON_APPEND_BINARY(cmd->err_extra, "collectionUUID", BSON_SUBTYPE_UUID, want, 16);
    BSON_APPEND_UTF8(cmd->err_extra, "expectedCollection", dot != NULL ? dot + 1 : ns);
    if ((actual = uuid_owner(ns, want)) != NULL)
        BSON_APPEND_UTF8(cmd->err_extra, "actualCollection", actual);
    else
        BSON_APPEND_NULL(cmd->err_extra, "actualCollection");
    return sdb_error_set(&cmd->err, SDB_CODE_CollectionUUIDMismatch,
                         "Collection UUID does not match that specified");
}

int
wk_cmdu_type_error(wk_cmd_t *cmd, const char *field, bson_type_t got, const char *expected)
{
    return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                         "BSON field '%s.%s' is the wrong type '%s', expected type '%s'", cmd->name,
                         field, wk_cmdu_type_name(got), expected);
}

int
wk_cmdu_get_doc(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;

    if (BSON_ITER_HOLDS_NULL(it)) {
        bson_init(out);
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, field, bson_iter_type(it), "object");
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(out, data, len))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidBSON, "invalid BSON in '%s'", field);
    return 0;
}

int
wk_cmdu_get_i64(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, int64_t *out)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
        *out = bson_iter_int32(it);
        return 0;
    case BSON_TYPE_INT64:
        *out = bson_iter_int64(it);
        return 0;
    case BSON_TYPE_DOUBLE: {
        double d = bson_iter_double(it);
        if (d != d || d > 9.2e18 || d < -9.2e18 || (double)(int64_t)d != d)
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "Expected an integer, but found %g in: %s", d, field);
        *out = (int64_t)d;
        return 0;
    }
    default:
        return wk_cmdu_type_error(cmd, field, bson_iter_type(it), "long");
    }
}

bool
wk_cmdu_truthy(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_BOOL:
        return bson_iter_bool(it);
    case BSON_TYPE_INT32:
        return bson_iter_int32(it) != 0;
    case BSON_TYPE_INT64:
        return bson_iter_int64(it) != 0;
    case BSON_TYPE_DOUBLE:
        return bson_iter_double(it) != 0.0;
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
        return false;
    default:
        return true;
    }
}

void
wk_cmdu_append_iter_as(bson_t *b, const char *key, const bson_iter_t *it)
{
    bson_append_value(b, key, -1, bson_iter_value((bson_iter_t *)it));
}

int
wk_cmdu_refresh(sdb_error_t *err)
{
    int ret = wk_catalog_refresh();

    if (ret != 0)
        return sdb_error_set(err, SDB_CODE_InternalError, "catalog refresh failed: %s",
                             sdb_strerror(ret));
    return 0;
}

int
wk_cmd_ns(wk_cmd_t *cmd, char *ns, size_t nslen)
{
    bson_iter_t it;
    const char *coll;
    uint32_t len;

    if (!bson_iter_init(&it, cmd->body) || !bson_iter_next(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                             "collection name has invalid type %s",
                             wk_cmdu_type_name(bson_iter_type(&it)));
    coll = bson_iter_utf8(&it, &len);
    return wk_ns_join(cmd->db, coll, len, ns, nslen, &cmd->err);
}

int
wk_cmdu_let_vars(wk_cmd_t *cmd, const bson_iter_t *let, bson_t **vars)
{
    bson_t empty = BSON_INITIALIZER, doc;
    bson_iter_t it;
    int ret = 0;

    *vars = bson_new();
    wk_cmdu_clock_vars(vars); /* a let expression reads the command's $$NOW too */
    SDB_ERR(wk_cmdu_get_doc(cmd, let, "let", &doc));
    bson_iter_init(&it, &doc);
    while (bson_iter_next(&it)) {
        wk_expr_t *e = NULL;
        bson_value_t v;

        SDB_ERR(wk_expr_parse(&it, &e, &cmd->err));
        ret = wk_expr_eval_vars(e, &empty, *vars, &v, &cmd->err);
        wk_expr_free(e);
        if (ret != 0)
            goto err;
        if (v.value_type != BSON_TYPE_EOD) {
            bson_append_value(*vars, bson_iter_key(&it), -1, &v);
            bson_value_destroy(&v);
        }
    }
err:
    bson_destroy(&empty);
    return ret;
}

void
wk_cmdu_clock_vars(bson_t **vars)
{
    struct timeval tv;
    uint32_t t, i;

    if (*vars == NULL)
        *vars = bson_new();
    if (bson_has_field(*vars, "NOW"))
        return;
    bson_gettimeofday(&tv);
    wk_cluster_time(&t, &i);
    BSON_APPEND_DATE_TIME(*vars, "NOW", (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    BSON_APPEND_TIMESTAMP(*vars, "CLUSTER_TIME", t, i);
}

int
wk_cmdu_collation_new(const bson_iter_t *it, const char *field, sdb_collation_t **out,
                      sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t spec;

    *out = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '%s' is the wrong type '%s', expected type 'object'",
                             field, wk_cmdu_type_name(bson_iter_type(it)));
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(&spec, data, len))
        return sdb_error_set(err, SDB_CODE_BadValue, "invalid collation document");
    return sdb_collation_new(&spec, out, err);
}

int
wk_cmdu_default_collation(const char *ns, sdb_collation_t **out, bson_t *spec, sdb_error_t *err)
{
    const wk_coll_info_t *ci;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    bson_t d;

    *out = NULL;
    SDB_RET(wk_cmdu_refresh(err));
    ci = wk_catalog_find(ns);
    if (ci == NULL || bson_has_field(&ci->options, "viewOn") ||
        !bson_iter_init_find(&it, &ci->options, "collation") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&d, data, len))
        return SDB_ECORRUPT;
    if (spec != NULL)
        bson_concat(spec, &d);
    return sdb_collation_new(&d, out, err);
}
