/*
 * src/worker/cmd/collection.c -- create, drop, renameCollection and listCollections.
 *
 * create validates its options in mongod's words (unknown fields, capped without size,
 * validator parse errors, enumerations, clusteredIndex) and passes everything but the
 * command name and the generic arguments to the master as the collection's options, with a
 * collation spelled out in full (none for "simple") and clusteredIndex as mongod stores it;
 * storageEngine and indexOptionDefaults are checked in shape (engine/tablecfg.h) and the
 * master creates the tables with their WiredTiger configString (master/tablecfg.h);
 * creating a collection that already exists is 48 NamespaceExists, as in mongod 7.0 (8.0
 * made it idempotent).  listCollections is answered from the worker's catalog cache: one
 * entry per collection of the database, filtered with the query matcher, sorted by name, in
 * a cursor that is already exhausted (id 0); a clustered collection has no idIndex there.
 * collMod changes validation, capped limits, a view's pipeline, and through `index` an
 * index's hidden / prepareUnique / unique (src/master/ixmod.c does the work).
 *
 * Invariants: event-loop thread; catalog entries are read only between refreshes, and never
 * across a wk_store_call that changes the catalog.
 */
#include "../auth/authz.h"
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"
#include "../engine/tablecfg.h"
#include "../engine/ttl.h"
#include "transaction.h"

#include "../agg/agg.h"
#include "../catalog_cache.h"
#include "../store_client.h"

#include "../../common/bsoncmp.h"
#include "../../common/bsontext.h"
#include "../../common/collation.h"
#include "../../common/ttl.h"

#include <stdlib.h>
#include <string.h>

static const char *const create_fields[] = {
    "capped",
    "size",
    "max",
    "autoIndexId",
    "idIndex",
    "validator",
    "validationLevel",
    "validationAction",
    "indexOptionDefaults",
    "viewOn",
    "pipeline",
    "collation",
    "storageEngine",
    "timeseries",
    "expireAfterSeconds",
    "clusteredIndex",
    "changeStreamPreAndPostImages",
    "encryptedFields",
    "flags",
    "temp",
    NULL,
};

/* check_enum -- mongod's IDL error for a string outside an enumeration. */
static int
check_enum(wk_cmd_t *cmd, const bson_iter_t *it, const char *const *allowed)
{
    const char *v;

    if (!BSON_ITER_HOLDS_UTF8(it))
        return wk_cmdu_type_error(cmd, bson_iter_key(it), bson_iter_type(it), "string");
    v = bson_iter_utf8(it, NULL);
    for (size_t i = 0; allowed[i] != NULL; i++)
        if (strcmp(allowed[i], v) == 0)
            return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                         "Enumeration value '%s' for field '%s.%s' is not a valid value.", v,
                         cmd->name, bson_iter_key(it));
}

/* check_images_option -- changeStreamPreAndPostImages: {enabled: bool}, as mongod's IDL reads
 * it (the master then keeps pre- and post-images of the collection's updates and deletes). */
static int
check_images_option(wk_cmd_t *cmd, const bson_iter_t *it)
{
    bson_iter_t f;
    bool enabled = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, bson_iter_key(it), bson_iter_type(it), "object");
    bson_iter_recurse(it, &f);
    while (bson_iter_next(&f)) {
        if (strcmp(bson_iter_key(&f), "enabled") != 0)
            return sdb_error_set(
                &cmd->err, WK_CODE_UNKNOWN_FIELD,
                "BSON field 'changeStreamPreAndPostImages.%s' is an unknown field.",
                bson_iter_key(&f));
        if (!BSON_ITER_HOLDS_BOOL(&f))
            return wk_cmdu_type_error(cmd, "changeStreamPreAndPostImages.enabled",
                                      bson_iter_type(&f), "bool");
        enabled = true;
    }
    if (!enabled)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'changeStreamPreAndPostImages.enabled' is missing but a "
                             "required field");
    return 0;
}

/* clustered_option -- clusteredIndex: {key: {_id: 1}, unique: true, name?, v?} as mongod 7.0
 * reads it; stored as {v: 2, key, name?, unique: true} (listCollections shows it so). */
static int
clustered_option(wk_cmd_t *cmd, const bson_iter_t *it, bson_t *opts)
{
    bson_iter_t f;
    bson_t spec, key, out;
    bool has_key = false, has_unique = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, "clusteredIndex", bson_iter_type(it), "object");
    SDB_RET(wk_cmdu_get_doc(cmd, it, "clusteredIndex", &spec));
    bson_iter_init(&f, &spec);
    while (bson_iter_next(&f)) {
        const char *k = bson_iter_key(&f);

        if (strcmp(k, "key") == 0) {
            if (!BSON_ITER_HOLDS_DOCUMENT(&f))
                return wk_cmdu_type_error(cmd, "clusteredIndex.key", bson_iter_type(&f), "object");
            SDB_RET(wk_cmdu_get_doc(cmd, &f, "clusteredIndex.key", &key));
            has_key = true;
        } else if (strcmp(k, "unique") == 0) {
            if (!BSON_ITER_HOLDS_BOOL(&f))
                return wk_cmdu_type_error(cmd, "clusteredIndex.unique", bson_iter_type(&f), "bool");
            if (!bson_iter_bool(&f))
                return sdb_error_set(&cmd->err, SDB_CODE_Location5979700,
                                     "The clusteredIndex option requires unique: true to be "
                                     "specified");
            has_unique = true;
        } else if (strcmp(k, "name") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&f))
                return wk_cmdu_type_error(cmd, "clusteredIndex.name", bson_iter_type(&f), "string");
        } else if (strcmp(k, "v") == 0) {
            if (!BSON_ITER_HOLDS_NUMBER(&f))
                return wk_cmdu_type_error(cmd, "clusteredIndex.v", bson_iter_type(&f), "int");
            if (bson_iter_as_int64(&f) != 2) {
                char *str = sdb_bson_text_new(&spec);
                int ret = sdb_error_set(&cmd->err, SDB_CODE_Location5979704,
                                        "Invalid clusteredIndex specification %s; cannot create "
                                        "a clusteredIndex with v=%lld",
                                        str, (long long)bson_iter_as_int64(&f));
                bson_free(str);
                return ret;
            }
        } else {
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'clusteredIndex.%s' is an unknown field.", k);
        }
    }
    if (!has_key || !has_unique)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'clusteredIndex.%s' is missing but a required field",
                             has_key ? "unique" : "key");
    if (!bson_iter_init(&f, &key) || !bson_iter_next(&f) || strcmp(bson_iter_key(&f), "_id") != 0 ||
        !BSON_ITER_HOLDS_NUMBER(&f) || bson_iter_as_double(&f) != 1.0 || bson_iter_next(&f))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidIndexSpecificationOption,
                             "The clusteredIndex option is only supported for key: {_id: 1}");
    BSON_APPEND_DOCUMENT_BEGIN(opts, "clusteredIndex", &out);
    BSON_APPEND_INT32(&out, "v", 2);
    BSON_APPEND_DOCUMENT(&out, "key", &key);
    if (bson_iter_init_find(&f, &spec, "name"))
        bson_append_iter(&out, "name", -1, &f);
    BSON_APPEND_BOOL(&out, "unique", true);
    bson_append_document_end(opts, &out);
    return 0;
}

/* expire_option -- create's expireAfterSeconds: only with clusteredIndex (the TTL monitor then
 * deletes by _id dates, master/ttl.c), a safeInt64 within the TTL bounds, stored as a long. */
static int
expire_option(wk_cmd_t *cmd, const bson_iter_t *it, bson_t *opts)
{
    const char *why;
    int64_t secs;
    bool nan;

    if (!bson_has_field(cmd->body, "clusteredIndex"))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "'expireAfterSeconds' requires clustering to be enabled");
    if (!BSON_ITER_HOLDS_NUMBER(it) || !sdb_bson_safe_long(it, &secs, &nan) || nan)
        return wk_cmdu_type_error(cmd, "expireAfterSeconds", bson_iter_type(it), "long");
    if ((why = sdb_ttl_check_secs(secs)) != NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "%s", why);
    BSON_APPEND_INT64(opts, "expireAfterSeconds", secs);
    return 0;
}

/* clustered_combinations -- what a clustered collection cannot have, in mongod's words (a
 * capped clustered collection is refused as unsupported here). */
static int
clustered_combinations(wk_cmd_t *cmd, const bson_t *opts)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, opts, "idIndex") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_value(&it)->value.v_doc.data_len > 5)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "The 'clusteredIndex' option is not supported with the 'idIndex' "
                             "option");
    if (bson_iter_init_find(&it, opts, "autoIndexId") && !wk_cmdu_truthy(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_Location6026501,
                             "The 'clusteredIndex' option does not support {autoIndexId: false}");
    if (bson_iter_init_find(&it, opts, "capped") && wk_cmdu_truthy(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "a capped clustered collection is not supported by this server");
    return 0;
}

/* storage_option -- storageEngine, or indexOptionDefaults: {storageEngine?} (IDL: nothing
 * else), checked in shape here and by WiredTiger in the master (engine/tablecfg.h). */
static int
storage_option(wk_cmd_t *cmd, const bson_iter_t *it)
{
    bson_iter_t f;
    bson_t d;

    SDB_RET(wk_cmdu_get_doc(cmd, it, bson_iter_key(it), &d));
    if (strcmp(bson_iter_key(it), "storageEngine") == 0)
        return wk_tablecfg_check(&d, &cmd->err);
    bson_iter_init(&f, &d);
    while (bson_iter_next(&f)) {
        if (strcmp(bson_iter_key(&f), "storageEngine") != 0)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'create.indexOptionDefaults.%s' is an unknown field.",
                                 bson_iter_key(&f));
        if (!BSON_ITER_HOLDS_DOCUMENT(&f))
            return wk_cmdu_type_error(cmd, "indexOptionDefaults.storageEngine", bson_iter_type(&f),
                                      "object");
        SDB_RET(wk_cmdu_get_doc(cmd, &f, "indexOptionDefaults.storageEngine", &d));
        SDB_RET(wk_tablecfg_check(&d, &cmd->err));
    }
    return 0;
}

/* check_option -- type and value checks of one create option. */
static int
check_option(wk_cmd_t *cmd, const bson_iter_t *it, bool *validator)
{
    static const char *const levels[] = {"off", "strict", "moderate", NULL};
    static const char *const actions[] = {"error", "warn", NULL};
    const char *k = bson_iter_key(it);
    wk_matcher_t *m = NULL;
    bson_t v;

    if (strcmp(k, "validator") == 0) {
        SDB_RET(wk_cmdu_get_doc(cmd, it, k, &v));
        SDB_RET(wk_matcher_new(&v, &m, &cmd->err));
        wk_matcher_free(m);
        *validator = !bson_empty(&v);
        return 0;
    }
    if (strcmp(k, "validationLevel") == 0)
        return check_enum(cmd, it, levels);
    if (strcmp(k, "validationAction") == 0)
        return check_enum(cmd, it, actions);
    if ((strcmp(k, "idIndex") == 0 || strcmp(k, "storageEngine") == 0 ||
         strcmp(k, "indexOptionDefaults") == 0 || strcmp(k, "collation") == 0) &&
        !BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, k, bson_iter_type(it), "object");
    if (strcmp(k, "storageEngine") == 0 || strcmp(k, "indexOptionDefaults") == 0)
        return storage_option(cmd, it);
    if (strcmp(k, "viewOn") == 0 && !BSON_ITER_HOLDS_UTF8(it))
        return wk_cmdu_type_error(cmd, k, bson_iter_type(it), "string");
    if (strcmp(k, "pipeline") == 0 && !BSON_ITER_HOLDS_ARRAY(it))
        return wk_cmdu_type_error(cmd, k, bson_iter_type(it), "array");
    if (strcmp(k, "timeseries") == 0 || strcmp(k, "encryptedFields") == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupported,
                             "%s is not supported by this server", k); /* never ignored */
    if (strcmp(k, "changeStreamPreAndPostImages") == 0)
        return check_images_option(cmd, it);
    return 0;
}

/* append_collation -- the create option `collation` spelled out as mongod stores it (every
 * ICU default filled in), or nothing for "simple". */
static int
append_collation(wk_cmd_t *cmd, const bson_iter_t *it, bson_t *opts)
{
    bson_t given, full = BSON_INITIALIZER;
    bool simple;
    int ret;

    SDB_RET(wk_cmdu_get_doc(cmd, it, "collation", &given));
    ret = sdb_collation_full_spec(&given, &full, &simple, &cmd->err);
    if (ret == SDB_ECLIENT && cmd->err.code == SDB_CODE_Location40414)
        sdb_error_set(&cmd->err, SDB_CODE_Location40414,
                      "BSON field 'create.collation.locale' is missing but a required field");
    if (ret == 0 && !simple)
        BSON_APPEND_DOCUMENT(opts, "collation", &full);
    bson_destroy(&full);
    return ret;
}

/* check_view_pipeline -- a view's pipeline must parse and must not write. */
static int
check_view_pipeline(wk_cmd_t *cmd, const char *on, const bson_t *pipeline)
{
    wk_agg_pipeline_t *p = NULL;
    wk_agg_ctx_t ctx;
    int ret = 0;

    memset(&ctx, 0, sizeof(ctx));
    ctx.db = cmd->db;
    ctx.coll = on;
    SDB_ERR(wk_agg_parse_doc(pipeline, &ctx, &p, &cmd->err));
    if (wk_agg_writes(p))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_OptionNotSupportedOnView,
                              "%s cannot be used in a view definition", wk_agg_last_stage_name(p)));
err:
    wk_agg_free(p);
    return ret;
}

/* view_options -- {viewOn, pipeline[, collation]} for create with viewOn (mongod's rules: no
 * other option, a non-empty source name in the same database). */
static int
view_options(wk_cmd_t *cmd, bson_t *opts)
{
    static const char *const allowed[] = {"viewOn", "pipeline", "collation", NULL};
    bson_t pipeline = BSON_INITIALIZER;
    const uint8_t *data;
    uint32_t len;
    bson_iter_t it;
    const char *on;
    int ret = 0;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool ok = wk_cmdu_is_generic(k);

        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok)
            SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                  "Invalid option specified for a view: %s", k));
    }
    bson_iter_init_find(&it, cmd->body, "viewOn");
    on = bson_iter_utf8(&it, NULL);
    if (on[0] == '\0')
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_BadValue, "'viewOn' cannot be empty"));
    BSON_APPEND_UTF8(opts, "viewOn", on);
    if (bson_iter_init_find(&it, cmd->body, "pipeline")) {
        bson_iter_array(&it, &len, &data);
        bson_destroy(&pipeline);
        bson_init_static(&pipeline, data, len);
    }
    SDB_ERR(check_view_pipeline(cmd, on, &pipeline));
    BSON_APPEND_ARRAY(opts, "pipeline", &pipeline);
    if (bson_iter_init_find(&it, cmd->body, "collation"))
        SDB_ERR(append_collation(cmd, &it, opts));
err:
    bson_destroy(&pipeline);
    return ret;
}

/* id_index_option -- idIndex as mongod's create checks it before creating anything: not with
 * viewOn or autoIndexId (72), only the _id index's fields (197), key {_id: 1} (2).  The
 * collation match with the collection's is not checked here (yet). */
static int
id_index_option(wk_cmd_t *cmd)
{
    static const char *const allowed[] = {"key", "name", "v", "ns", "collation", NULL};
    bson_iter_t it, f;
    bson_t spec, key;
    char *text;
    int ret = 0;

    if (!bson_iter_init_find(&it, cmd->body, "idIndex") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    SDB_RET(wk_cmdu_get_doc(cmd, &it, "idIndex", &spec));
    text = sdb_bson_text_new(&spec);
    if (bson_has_field(cmd->body, "viewOn") || bson_has_field(cmd->body, "autoIndexId"))
        SDB_ERR(sdb_error_set(
            &cmd->err, SDB_CODE_InvalidOptions, "'idIndex' is not allowed with '%s': %s",
            bson_has_field(cmd->body, "viewOn") ? "viewOn" : "autoIndexId", text));
    bson_iter_init(&f, &spec);
    while (bson_iter_next(&f)) {
        size_t i;

        for (i = 0; allowed[i] != NULL && strcmp(allowed[i], bson_iter_key(&f)) != 0; i++)
            ;
        if (allowed[i] == NULL)
            SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidIndexSpecificationOption,
                                  "The field '%s' is not valid for an _id index specification. "
                                  "Specification: %s",
                                  bson_iter_key(&f), text));
    }
    if (bson_iter_init_find(&f, &spec, "key") && BSON_ITER_HOLDS_DOCUMENT(&f)) {
        SDB_ERR(wk_cmdu_get_doc(cmd, &f, "idIndex.key", &key));
        bson_iter_init(&f, &key);
        if (!bson_iter_next(&f) || strcmp(bson_iter_key(&f), "_id") != 0 ||
            !BSON_ITER_HOLDS_NUMBER(&f) || bson_iter_as_double(&f) != 1.0 || bson_iter_next(&f)) {
            char *k = sdb_bson_text_new(&key);

            ret = sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                "The field 'key' for an _id index must be {_id: 1}, but got %s", k);
            bson_free(k);
        }
    }
err:
    bson_free(text);
    return ret;
}

/* create_options -- the options document for CREATE, checked. */
static int
create_options(wk_cmd_t *cmd, bson_t *opts)
{
    bson_iter_t it;
    bool validator = false, level = false, action = false;

    SDB_RET(wk_cmdu_check_fields(cmd, create_fields));
    SDB_RET(wk_capped_options(cmd, opts)); /* first: mongod's catalog shows them first */
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (wk_cmdu_is_generic(k) || wk_capped_is_option(k))
            continue;
        SDB_RET(check_option(cmd, &it, &validator));
        level = level || strcmp(k, "validationLevel") == 0;
        action = action || strcmp(k, "validationAction") == 0;
        if (strcmp(k, "collation") == 0)
            SDB_RET(append_collation(cmd, &it, opts));
        else if (strcmp(k, "clusteredIndex") == 0)
            SDB_RET(clustered_option(cmd, &it, opts));
        else if (strcmp(k, "expireAfterSeconds") == 0)
            SDB_RET(expire_option(cmd, &it, opts));
        else
            bson_append_iter(opts, k, -1, &it);
    }
    SDB_RET(id_index_option(cmd));
    if (bson_has_field(cmd->body, "viewOn")) {
        bson_reinit(opts);
        return view_options(cmd, opts);
    }
    if (bson_has_field(cmd->body, "pipeline"))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "'pipeline' requires 'viewOn' to also be specified");
    if (bson_has_field(opts, "clusteredIndex"))
        return clustered_combinations(cmd, opts);
    if (validator && !level)
        BSON_APPEND_UTF8(opts, "validationLevel", "strict");
    if (validator && !action)
        BSON_APPEND_UTF8(opts, "validationAction", "error");
    return 0;
}

/* wk_cmd_create -- {create: name, capped, size, max, validator, ...} -> {}. */
int
wk_cmd_create(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    char ns[WK_NS_MAX];
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns))); /* what it may be created as: the master's check */
    SDB_ERR(create_options(cmd, &opts));
    if (cmd->op.in_xact)
        SDB_ERR(wk_xact_check_create(cmd, ns, &opts));
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_DOCUMENT(&req, "options", &opts);
    wk_op_append_xact(&cmd->op, &req);
    ret = wk_cmdu_store(SDB_OP_CREATE, &req, &reply, &cmd->err);
    if (ret == SDB_ECLIENT && cmd->err.code == SDB_CODE_NamespaceExists)
        sdb_error_set(&cmd->err, SDB_CODE_NamespaceExists, "Collection %s already exists.", ns);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    bson_destroy(&opts);
    return ret;
}

/* wk_cmd_drop -- {drop: name} -> {nIndexesWas, ns}; 26 when it does not exist. */
int
wk_cmd_drop(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"collectionUUID", NULL};
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    char ns[WK_NS_MAX];
    bson_iter_t it;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(wk_cmdu_check_uuid(cmd, ns));
    BSON_APPEND_UTF8(&req, "ns", ns);
    SDB_ERR(wk_cmdu_store(SDB_OP_DROP, &req, &reply, &cmd->err));
    BSON_APPEND_INT32(
        cmd->reply, "nIndexesWas",
        bson_iter_init_find(&it, &reply, "nIndexesWas") ? (int32_t)bson_iter_as_int64(&it) : 1);
    BSON_APPEND_UTF8(cmd->reply, "ns", ns);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* rename_arg -- a full namespace argument of renameCollection. */
static int
rename_arg(wk_cmd_t *cmd, const char *field, const char *which, const char **out)
{
    bson_iter_t it;
    const char *v;
    uint32_t len;

    if (!bson_iter_init_find(&it, cmd->body, field))
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'renameCollection.%s' is missing but a required field",
                             field);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, field, bson_iter_type(&it), "string");
    v = bson_iter_utf8(&it, &len);
    SDB_RET(wk_ns_full_check(v, len, which, &cmd->err));
    if (len >= WK_NS_MAX)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid %s namespace: %s",
                             which, v);
    *out = v;
    return 0;
}

/* wk_cmd_rename_collection -- {renameCollection: "db.a", to: "db.b", dropTarget} -> {}. */
int
wk_cmd_rename_collection(wk_cmd_t *cmd)
{
    /* mongod's expectedSourceUUID/expectedTargetUUID are spelled collectionUUID and
     * dropTarget: <uuid> on the wire; the internal names are unknown fields there too */
    static const char *const fields[] = {"to", "dropTarget", "stayTemp", "collectionUUID", NULL};
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    const char *from = NULL, *to = NULL;
    bool drop_target = false, stay_temp = false;
    bson_iter_t it;
    int ret = 0;

    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    if (bson_iter_init_find(&it, cmd->body, "stayTemp"))
        stay_temp = wk_cmdu_truthy(&it); /* else a temp collection stops being temp */
    SDB_ERR(rename_arg(cmd, "renameCollection", "source", &from));
    SDB_ERR(rename_arg(cmd, "to", "target", &to));
    if (bson_iter_init_find(&it, cmd->body, "dropTarget"))
        drop_target = wk_cmdu_truthy(&it);
    if (strcmp(from, to) == 0)
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_IllegalOperation,
                              "Can't rename a collection to itself"));
    /* collectionUUID is the source's expected UUID, dropTarget: <uuid> the target's (a
     * missing target mismatches too); both 361 as mongod's checkCollectionUUIDMismatch */
    SDB_ERR(wk_cmdu_check_uuid(cmd, from));
    if (drop_target && BSON_ITER_HOLDS_BINARY(&it))
        SDB_ERR(wk_cmdu_check_uuid_field(cmd, to, "dropTarget"));
    if (strchr(strchr(to, '.') + 1, '$') != NULL)
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                              "error with target namespace: Invalid collection name: %s",
                              strchr(to, '.') + 1));
    BSON_APPEND_UTF8(&req, "from", from);
    BSON_APPEND_UTF8(&req, "to", to);
    BSON_APPEND_BOOL(&req, "dropTarget", drop_target);
    BSON_APPEND_BOOL(&req, "stayTemp", stay_temp);
    SDB_ERR(wk_cmdu_store(SDB_OP_RENAME, &req, &reply, &cmd->err));
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* ---- listCollections ------------------------------------------------------------------- */

/* id_index -- the _id index spec of a collection (or the default one). */
static void
append_id_index(const wk_coll_info_t *ci, bson_t *entry)
{
    bson_iter_t ix, f;
    bson_t spec, key;

    bson_iter_init(&ix, &ci->indexes);
    while (bson_iter_next(&ix)) {
        if (BSON_ITER_HOLDS_DOCUMENT(&ix) && bson_iter_recurse(&ix, &f) &&
            bson_iter_find(&f, "name") && BSON_ITER_HOLDS_UTF8(&f) &&
            strcmp(bson_iter_utf8(&f, NULL), "_id_") == 0) {
            wk_cmdu_append_iter_as(entry, "idIndex", &ix);
            return;
        }
    }
    BSON_APPEND_DOCUMENT_BEGIN(entry, "idIndex", &spec);
    BSON_APPEND_INT32(&spec, "v", 2);
    BSON_APPEND_DOCUMENT_BEGIN(&spec, "key", &key);
    BSON_APPEND_INT32(&key, "_id", 1);
    bson_append_document_end(&spec, &key);
    BSON_APPEND_UTF8(&spec, "name", "_id_");
    bson_append_document_end(entry, &spec);
}

/* shown_option -- whether listCollections shows stored create option `it` (mongod's
 * CollectionOptions::toBSON: changeStreamPreAndPostImages only when enabled, temp only when
 * true, storageEngine and indexOptionDefaults only when not empty, never idIndex). */
static bool
shown_option(const bson_iter_t *it)
{
    const char *k = bson_iter_key(it);
    bson_iter_t f;

    if (strcmp(k, "idIndex") == 0)
        return false;
    if (strcmp(k, "temp") == 0)
        return wk_cmdu_truthy(it);
    if (strcmp(k, "changeStreamPreAndPostImages") == 0)
        return BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &f) &&
               bson_iter_find(&f, "enabled") && wk_cmdu_truthy(&f);
    if (strcmp(k, "storageEngine") == 0 || strcmp(k, "indexOptionDefaults") == 0)
        return !BSON_ITER_HOLDS_DOCUMENT(it) || (bson_iter_recurse(it, &f) && bson_iter_next(&f));
    return true;
}

/* build_entry -- one listCollections entry. */
static void
build_entry(const wk_coll_info_t *ci, const char *name, bool name_only, bson_t *entry)
{
    bson_t info, opts;
    bson_iter_t it;
    bool view = bson_has_field(&ci->options, "viewOn");

    BSON_APPEND_UTF8(entry, "name", name);
    BSON_APPEND_UTF8(entry, "type", view ? "view" : "collection");
    if (name_only)
        return;
    BSON_APPEND_DOCUMENT_BEGIN(entry, "options", &opts);
    bson_iter_init(&it, &ci->options);
    while (bson_iter_next(&it))
        if (shown_option(&it))
            bson_append_iter(&opts, NULL, 0, &it);
    bson_append_document_end(entry, &opts);
    BSON_APPEND_DOCUMENT_BEGIN(entry, "info", &info);
    BSON_APPEND_BOOL(&info, "readOnly", view);
    if (view) {
        bson_append_document_end(entry, &info);
        return;
    }
    if (bson_iter_init_find(&it, &ci->uuid_doc, "uuid"))
        wk_cmdu_append_iter_as(&info, "uuid", &it);
    bson_append_document_end(entry, &info);
    if (!bson_has_field(&ci->options, "clusteredIndex")) /* mongod shows none then */
        append_id_index(ci, entry);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp((*(const wk_coll_info_t *const *)a)->ns, (*(const wk_coll_info_t *const *)b)->ns);
}

/* list_parse -- filter and nameOnly. */
static int
list_parse(wk_cmd_t *cmd, bson_t *filter, bool *name_only)
{
    static const char *const fields[] = {
        "filter", "nameOnly", "authorizedCollections", "cursor", "includePendingDrops", NULL};
    bson_iter_t it;

    bson_init(filter);
    *name_only = false;
    SDB_RET(wk_cmdu_check_fields(cmd, fields));
    if (bson_iter_init_find(&it, cmd->body, "filter"))
        SDB_RET(wk_cmdu_get_doc(cmd, &it, "filter", filter));
    if (bson_iter_init_find(&it, cmd->body, "nameOnly"))
        *name_only = wk_cmdu_truthy(&it);
    if (bson_iter_init_find(&it, cmd->body, "cursor") && !BSON_ITER_HOLDS_DOCUMENT(&it))
        return wk_cmdu_type_error(cmd, "cursor", bson_iter_type(&it), "object");
    return 0;
}

/* wk_cmd_list_collections -- {listCollections, filter, nameOnly} -> {cursor: {id: 0, ns,
 * firstBatch}}. */
int
wk_cmd_list_collections(wk_cmd_t *cmd)
{
    const wk_coll_info_t *all, **sel = NULL;
    wk_matcher_t *m = NULL;
    bson_t filter, cur, batch;
    size_t n = 0, nsel = 0, dblen = strlen(cmd->db);
    uint32_t out = 0;
    bool name_only, authorized_only;
    char cns[WK_NS_MAX];
    int ret = 0;

    SDB_ERR(list_parse(cmd, &filter, &name_only));
    authorized_only = wk_authz_list_collections(cmd); /* under --auth: auth/authz.h */
    SDB_ERR(wk_matcher_new(&filter, &m, &cmd->err));
    SDB_ERR(wk_cmdu_refresh(&cmd->err));
    all = wk_catalog_list(&n);
    sel = bson_malloc0((n + 1) * sizeof(*sel));
    for (size_t i = 0; i < n; i++)
        if (strncmp(all[i].ns, cmd->db, dblen) == 0 && all[i].ns[dblen] == '.' && !all[i].pending &&
            (!authorized_only || wk_authz_coll_visible(cmd->conn, cmd->db, all[i].ns + dblen + 1)))
            sel[nsel++] = &all[i];
    if (nsel > 1)
        qsort(sel, nsel, sizeof(*sel), cmp_names);
    snprintf(cns, sizeof(cns), "%s.$cmd.listCollections", cmd->db);
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "cursor", &cur);
    BSON_APPEND_INT64(&cur, "id", 0);
    BSON_APPEND_UTF8(&cur, "ns", cns);
    BSON_APPEND_ARRAY_BEGIN(&cur, "firstBatch", &batch);
    for (size_t i = 0; i < nsel; i++) {
        bson_t entry = BSON_INITIALIZER;
        char key[16];
        const char *k;

        build_entry(sel[i], sel[i]->ns + dblen + 1, name_only, &entry);
        if (wk_matcher_matches(m, &entry, NULL)) {
            bson_uint32_to_string(out++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&batch, k, &entry);
        }
        bson_destroy(&entry);
    }
    bson_append_array_end(&cur, &batch);
    bson_append_document_end(cmd->reply, &cur);
err:
    bson_free(sel);
    wk_matcher_free(m);
    return ret;
}

/* ---- collMod --------------------------------------------------------------------------- */

static const char *const collmod_fields[] = {
    "validator",      "validationLevel", "validationAction",   "viewOn",
    "pipeline",       "index",           "expireAfterSeconds", "changeStreamPreAndPostImages",
    "clusteredIndex", "timeseries",      "cappedSize",         "cappedMax",
    "dryRun",         "collectionUUID",  "recordPreImages",    NULL,
};

/* collmod_index -- collMod's `index`: {keyPattern | name, hidden, prepareUnique, unique,
 * expireAfterSeconds} checked as mongod does (expireAfterSeconds by engine/ttl.h), copied
 * into `index` for the master (src/master/ixmod.c and ttl.c apply it). */
static int
collmod_index(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *ix, bson_t *index)
{
    static const char *const bools[] = {"hidden", "prepareUnique", "unique", NULL};
    bool has_name, has_key, any = false;
    bson_iter_t it;
    bson_t spec;
    char field[64];
    int64_t secs = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(ix))
        return wk_cmdu_type_error(cmd, "index", bson_iter_type(ix), "object");
    SDB_RET(wk_cmdu_get_doc(cmd, ix, "index", &spec));
    bson_iter_init(&it, &spec);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool known = strcmp(k, "keyPattern") == 0 || strcmp(k, "name") == 0;

        for (size_t i = 0; bools[i] != NULL && !known; i++) {
            if (strcmp(k, bools[i]) != 0)
                continue;
            known = any = true;
            bson_snprintf(field, sizeof(field), "index.%s", k);
            if (!BSON_ITER_HOLDS_BOOL(&it))
                return wk_cmdu_type_error(cmd, field, bson_iter_type(&it), "bool");
        }
        if (strcmp(k, "expireAfterSeconds") == 0) {
            SDB_RET(wk_ttl_check_coll_mod_secs(cmd, ci, &it, &secs));
            known = any = true;
        }
        if (!known)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field 'collMod.index.%s' is an unknown field.", k);
    }
    has_name = bson_iter_init_find(&it, &spec, "name");
    if (has_name && !BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, "index.name", bson_iter_type(&it), "string");
    has_key = bson_iter_init_find(&it, &spec, "keyPattern");
    if (has_key && !BSON_ITER_HOLDS_DOCUMENT(&it))
        return wk_cmdu_type_error(cmd, "index.keyPattern", bson_iter_type(&it), "object");
    if (!has_name && !has_key)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Must specify either index name or key pattern.");
    if (has_name && has_key)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Cannot specify both key pattern and name.");
    if (!any)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "no expireAfterSeconds, hidden, unique, or prepareUnique field");
    if (bson_iter_init_find(&it, &spec, "unique") && !bson_iter_bool(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "'Unique: false' option is not supported");
    bson_iter_init(&it, &spec);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "expireAfterSeconds") == 0)
            BSON_APPEND_INT64(index, "expireAfterSeconds", secs);
        else
            bson_append_iter(index, bson_iter_key(&it), -1, &it);
    }
    return 0;
}

/* collmod_collection -- the `set` of a collMod on a collection (the validation and capped
 * options), and its `index` change (collmod_index). */
static int
collmod_collection(wk_cmd_t *cmd, const wk_coll_info_t *ci, bson_t *set, bson_t *index)
{
    bson_iter_t it;
    bool validator = false;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (wk_cmdu_is_generic(k) || strcmp(k, "collectionUUID") == 0 || strcmp(k, "dryRun") == 0)
            continue;
        if (strcmp(k, "viewOn") == 0 || strcmp(k, "pipeline") == 0)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "option only supported on a view: %s", k);
        if (strcmp(k, "cappedSize") == 0 || strcmp(k, "cappedMax") == 0) {
            SDB_RET(wk_capped_coll_mod(cmd, ci, &it, set));
            continue;
        }
        if (strcmp(k, "index") == 0) {
            SDB_RET(collmod_index(cmd, ci, &it, index));
            continue;
        }
        if (strcmp(k, "validator") != 0 && strcmp(k, "validationLevel") != 0 &&
            strcmp(k, "validationAction") != 0 && strcmp(k, "changeStreamPreAndPostImages") != 0)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "collMod option '%s' is not supported by this server", k);
        SDB_RET(check_option(cmd, &it, &validator));
        bson_append_iter(set, k, -1, &it);
    }
    if (bson_has_field(set, "validator")) {
        if (!bson_has_field(set, "validationLevel") &&
            !bson_has_field(&ci->options, "validationLevel"))
            BSON_APPEND_UTF8(set, "validationLevel", "strict");
        if (!bson_has_field(set, "validationAction") &&
            !bson_has_field(&ci->options, "validationAction"))
            BSON_APPEND_UTF8(set, "validationAction", "error");
    }
    return 0;
}

/* collmod_view -- the `set` of a collMod on a view: viewOn and pipeline, both required. */
static int
collmod_view(wk_cmd_t *cmd, bson_t *set)
{
    bson_iter_t it, on, pl;
    bson_t pipeline;
    const uint8_t *data;
    uint32_t len;
    bool validator = false;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (wk_cmdu_is_generic(k) || strcmp(k, "collectionUUID") == 0)
            continue;
        if (strcmp(k, "viewOn") != 0 && strcmp(k, "pipeline") != 0)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "option not supported on a view: %s", k);
        SDB_RET(check_option(cmd, &it, &validator));
    }
    if (!bson_iter_init_find(&on, cmd->body, "viewOn") ||
        !bson_iter_init_find(&pl, cmd->body, "pipeline"))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Must specify both 'viewOn' and 'pipeline' when modifying a view "
                             "and auth is enabled");
    bson_iter_array(&pl, &len, &data);
    bson_init_static(&pipeline, data, len);
    SDB_RET(check_view_pipeline(cmd, bson_iter_utf8(&on, NULL), &pipeline));
    bson_append_iter(set, "viewOn", -1, &on);
    bson_append_iter(set, "pipeline", -1, &pl);
    return 0;
}

/* collmod_reply -- the master's <option>_old / _new into the reply, or its violations into
 * the error (359). */
static void
collmod_reply(wk_cmd_t *cmd, const bson_t *reply, int ret)
{
    bson_iter_t it;
    size_t n;

    if (!bson_iter_init(&it, reply))
        return;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        n = strlen(k);
        if (ret == 0 && n > 4 && (strcmp(k + n - 4, "_old") == 0 || strcmp(k + n - 4, "_new") == 0))
            bson_append_iter(cmd->reply, k, -1, &it);
        if (ret != 0 && strcmp(k, "violations") == 0) {
            if (cmd->err_extra == NULL)
                cmd->err_extra = bson_new();
            bson_append_iter(cmd->err_extra, k, -1, &it);
        }
    }
}

/* wk_cmd_coll_mod -- {collMod: name, validator, validationLevel, validationAction,
 * index: {name | keyPattern, hidden, prepareUnique, unique, expireAfterSeconds}, dryRun} on a
 * collection (-> mongod's <option>_old / _new for an index change), {collMod: name, viewOn,
 * pipeline} on a view -> {}; 26 when the namespace does not exist. */
int
wk_cmd_coll_mod(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, set = BSON_INITIALIZER;
    bson_t index = BSON_INITIALIZER;
    bson_iter_t it;
    const wk_coll_info_t *ci;
    char ns[WK_NS_MAX];
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, collmod_fields));
    SDB_ERR(wk_cmdu_check_uuid(cmd, ns));
    SDB_ERR(wk_cmdu_refresh(&cmd->err));
    if ((ci = wk_catalog_find(ns)) == NULL)
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_NamespaceNotFound, "ns does not exist"));
    if (bson_has_field(&ci->options, "viewOn"))
        SDB_ERR(collmod_view(cmd, &set));
    else
        SDB_ERR(collmod_collection(cmd, ci, &set, &index));
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_DOCUMENT(&req, "set", &set);
    if (!bson_empty(&index))
        BSON_APPEND_DOCUMENT(&req, "index", &index);
    if (bson_iter_init_find(&it, cmd->body, "dryRun"))
        BSON_APPEND_BOOL(&req, "dryRun", wk_cmdu_truthy(&it));
    ret = wk_cmdu_store(SDB_OP_COLL_MOD, &req, &reply, &cmd->err);
    collmod_reply(cmd, &reply, ret);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    bson_destroy(&set);
    bson_destroy(&index);
    return ret;
}
