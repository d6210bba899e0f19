/*
 * src/worker/engine/ttl.c -- TTL index options in mongod 7.0's words (see ttl.h).
 *
 * createIndexes answers as mongod's checks run: the _id index's allowed fields first (197),
 * then validateIndexSpecTTL, whose errors carry the client's spec (". Index spec: {...} ::
 * caused by :: <reason>" for the value, "... compound indexes do not support TTL. Index spec:
 * {...}" for the key).  collMod's index option follows coll_mod.cpp's order: the IDL
 * (unknown fields 40415, types 14), name or keyPattern, a modification, capped collections
 * and the value's bounds (72), then the index lookup (27, 86 for an ambiguous key pattern).
 *
 * Invariants: event-loop thread; catalog views are used within the call only.
 */
#include "ttl.h"
#include "args.h"
#include "capped.h"

#include "../../common/bsoncmp.h"
#include "../../common/sdb.h"
#include "../../common/ttl.h"

#include <string.h>

/* ---- createIndexes --------------------------------------------------------------------- */

/* spec_json -- a spec for a message (caller frees with bson_free). */
static char *
spec_json(const bson_t *spec)
{
    char *json = bson_as_relaxed_extended_json(spec, NULL);

    return json != NULL ? json : bson_strdup("{}");
}

/* is_id_pattern -- the key pattern {_id: 1}. */
static bool
is_id_pattern(const bson_t *spec)
{
    bson_iter_t it, k;

    if (!bson_iter_init_find(&it, spec, "key") || !bson_iter_recurse(&it, &k) ||
        !bson_iter_next(&k) || strcmp(bson_iter_key(&k), "_id") != 0)
        return false;
    return (BSON_ITER_HOLDS_NUMBER(&k) && bson_iter_as_double(&k) == 1.0) && !bson_iter_next(&k);
}

/* value_error -- validateExpireAfterSeconds' reason for the value at `it`, or NULL. */
static const char *
value_error(const bson_iter_t *it, char *buf, size_t len)
{
    int64_t secs;
    bool nan;

    if (!sdb_bson_safe_long(it, &secs, &nan)) {
        snprintf(buf, len,
                 "TTL index '" SDB_TTL_FIELD "' option must be numeric, but received a type of '%s",
                 wk_cmdu_type_name(bson_iter_type(it)));
        return buf;
    }
    if (nan)
        return "TTL index '" SDB_TTL_FIELD "' option must not be NaN";
    return sdb_ttl_check_secs(secs);
}

/* check_spec -- one client spec (a document holding expireAfterSeconds). */
static int
check_spec(wk_cmd_t *cmd, const bson_t *spec, const bson_iter_t *secs)
{
    char buf[160], *json = NULL;
    const char *why;
    bson_iter_t k;
    bson_t key;
    int ret = 0;

    if (is_id_pattern(spec)) {
        json = spec_json(spec);
        ret = sdb_error_set(&cmd->err, SDB_CODE_InvalidIndexSpecificationOption,
                            "The field '" SDB_TTL_FIELD
                            "' is not valid for an _id index specification. Specification: %s",
                            json);
    } else if ((why = value_error(secs, buf, sizeof(buf))) != NULL) {
        json = spec_json(spec);
        ret = sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                            ". Index spec: %s :: caused by :: %s", json, why);
    } else if (bson_iter_init_find(&k, spec, "key") && wk_cmdu_get_doc(cmd, &k, "key", &key) == 0 &&
               (why = sdb_ttl_check_key(&key)) != NULL) {
        json = spec_json(spec);
        ret = sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex, "%s. Index spec: %s", why, json);
    }
    bson_free(json);
    return ret;
}

int
wk_ttl_check_specs(wk_cmd_t *cmd)
{
    bson_iter_t it, el, secs;
    bson_t spec;

    if (!bson_iter_init_find(&it, cmd->body, "indexes") || !bson_iter_recurse(&it, &el))
        return 0;
    while (bson_iter_next(&el)) {
        if (wk_cmdu_get_doc(cmd, &el, "indexes", &spec) != 0 ||
            !bson_iter_init_find(&secs, &spec, SDB_TTL_FIELD))
            continue;
        SDB_RET(check_spec(cmd, &spec, &secs));
    }
    return 0;
}

/* ---- collMod's index option ------------------------------------------------------------ */

/* The fields of collMod's CollModIndex (coll_mod.idl); only expireAfterSeconds is changed here. */
static const char *const index_fields[] = {
    "keyPattern",    "name",   "hidden",         "expireAfterSeconds",
    "prepareUnique", "unique", "forceNonUnique", NULL,
};

/* index_field_error -- IDL's error for a field of collMod.index. */
static int
index_field_error(wk_cmd_t *cmd, const bson_iter_t *it, const char *types)
{
    if (types == NULL)
        return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                             "BSON field 'collMod.index.%s' is an unknown field.",
                             bson_iter_key(it));
    return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                         "BSON field 'collMod.index.%s' is the wrong type '%s', expected %s",
                         bson_iter_key(it), wk_cmdu_type_name(bson_iter_type(it)), types);
}

/* parse_index -- the IDL pass: known fields of the right types; name or keyPattern views. */
static int
parse_index(wk_cmd_t *cmd, const bson_t *index, const char **name, bson_t *kp, bool *has_kp,
            bson_iter_t *secs, bool *has_secs)
{
    bson_iter_t it;
    size_t i;

    bson_iter_init(&it, index);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        for (i = 0; index_fields[i] != NULL && strcmp(index_fields[i], k) != 0; i++)
            ;
        if (index_fields[i] == NULL)
            return index_field_error(cmd, &it, NULL);
        if (strcmp(k, "name") == 0 && !BSON_ITER_HOLDS_UTF8(&it))
            return index_field_error(cmd, &it, "type 'string'");
        if (strcmp(k, "keyPattern") == 0 && !BSON_ITER_HOLDS_DOCUMENT(&it))
            return index_field_error(cmd, &it, "type 'object'");
        if (strcmp(k, SDB_TTL_FIELD) == 0 && !sdb_bson_is_number(bson_iter_type(&it)))
            return index_field_error(cmd, &it, "types '[long, int, decimal, double]'");
        if (strcmp(k, "name") == 0)
            *name = bson_iter_utf8(&it, NULL);
        else if (strcmp(k, "keyPattern") == 0)
            SDB_RET(wk_cmdu_get_doc(cmd, &it, "index.keyPattern", kp));
        else if (strcmp(k, SDB_TTL_FIELD) == 0)
            *secs = it;
        *has_kp |= strcmp(k, "keyPattern") == 0;
        *has_secs |= strcmp(k, SDB_TTL_FIELD) == 0;
    }
    return 0;
}

/* find_index -- the name of the index named `name`, or of the one whose key is kp. */
static int
find_index(wk_cmd_t *cmd, const wk_coll_info_t *ci, const char *name, const bson_t *kp,
           const char **out)
{
    bson_iter_t it, f;
    bson_t spec, key;
    char *json;
    int n = 0;

    bson_iter_init(&it, &ci->indexes);
    while (bson_iter_next(&it)) {
        if (wk_cmdu_get_doc(cmd, &it, "indexes", &spec) != 0 ||
            !bson_iter_init_find(&f, &spec, "name") || !BSON_ITER_HOLDS_UTF8(&f))
            continue;
        if (name != NULL && strcmp(bson_iter_utf8(&f, NULL), name) == 0) {
            *out = bson_iter_utf8(&f, NULL);
            return 0;
        }
        if (name == NULL && bson_iter_init_find(&f, &spec, "key") &&
            wk_cmdu_get_doc(cmd, &f, "key", &key) == 0 && sdb_bson_doc_cmp(&key, kp) == 0 &&
            n++ == 0 && bson_iter_init_find(&f, &spec, "name"))
            *out = bson_iter_utf8(&f, NULL);
    }
    if (n > 1) {
        json = spec_json(kp);
        n = sdb_error_set(&cmd->err, SDB_CODE_AmbiguousIndexKeyPattern,
                          "index keyPattern %s matches %d indexes, must use index name.", json, n);
        bson_free(json);
        return n;
    }
    if (n == 1)
        return 0;
    json = name != NULL ? bson_strdup(name) : spec_json(kp);
    n = sdb_error_set(&cmd->err, SDB_CODE_IndexNotFound, "cannot find index %s for ns %s", json,
                      ci->ns);
    bson_free(json);
    return n;
}

int
wk_ttl_check_coll_mod_secs(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *it,
                           int64_t *secs)
{
    const char *why;
    bool nan;

    if (!sdb_bson_safe_long(it, secs, &nan))
        return index_field_error(cmd, it, "types '[long, int, decimal, double]'");
    if (wk_capped_is(ci))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "TTL indexes are not supported for capped collections.");
    if ((why = sdb_ttl_check_secs(*secs)) != NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "%s", why);
    return 0;
}

int
wk_ttl_coll_mod_index(wk_cmd_t *cmd, const wk_coll_info_t *ci, const bson_iter_t *it, bson_t *index)
{
    const char *name = NULL, *found = NULL;
    bson_t spec, kp;
    bson_iter_t secs, other;
    bool has_kp = false, has_secs = false;
    int64_t v;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, "index", bson_iter_type(it), "object");
    SDB_RET(wk_cmdu_get_doc(cmd, it, "index", &spec));
    SDB_RET(parse_index(cmd, &spec, &name, &kp, &has_kp, &secs, &has_secs));
    if (name != NULL && has_kp)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Cannot specify both key pattern and name.");
    if (name == NULL && !has_kp)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Must specify either index name or key pattern.");
    bson_iter_init(&other, &spec);
    while (bson_iter_next(&other))
        if (strcmp(bson_iter_key(&other), "name") != 0 &&
            strcmp(bson_iter_key(&other), "keyPattern") != 0 &&
            strcmp(bson_iter_key(&other), SDB_TTL_FIELD) != 0)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "collMod option 'index.%s' is not supported by this server",
                                 bson_iter_key(&other));
    if (!has_secs)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "no expireAfterSeconds, hidden, unique, or prepareUnique field");
    SDB_RET(wk_ttl_check_coll_mod_secs(cmd, ci, &secs, &v));
    SDB_RET(find_index(cmd, ci, name, has_kp ? &kp : NULL, &found));
    BSON_APPEND_UTF8(index, "name", found);
    BSON_APPEND_INT64(index, SDB_TTL_FIELD, v);
    return 0;
}
