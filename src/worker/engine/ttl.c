/*
 * src/worker/engine/ttl.c -- TTL index options in mongod 7.0's words (see ttl.h).
 *
 * createIndexes answers as mongod's checks run: the _id index's allowed fields first (197),
 * then validateIndexSpecTTL, whose errors carry the client's spec (". Index spec: {...} ::
 * caused by :: <reason>" for the value, "... compound indexes do not support TTL. Index spec:
 * {...}" for the key).  collMod's index.expireAfterSeconds is checked here (a number, 14;
 * not on a capped collection and within bounds, 72); the rest of collMod's index option
 * (name or keyPattern, hidden, prepareUnique, unique) is cmd/collection.c's, and the index
 * lookup (27, 181 for an ambiguous key pattern) the master's (src/master/ixmod.c).
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
