/*
 * src/common/ttl.c -- mongod 7.0's rules for TTL indexes (see ttl.h).
 *
 * mongod validates expireAfterSeconds as a 64-bit number read with safeNumberLong
 * (sdb_bson_safe_long), then
 * bounds it to [0, INT32_MAX] for secondary indexes (index_key_validate); a TTL index has a
 * single-field key, and the TTL monitor skips special (hashed, text, geo, wildcard) indexes.
 */
#include "ttl.h"

#include "bsoncmp.h"

#include <string.h>

const char *
sdb_ttl_check_secs(int64_t secs)
{
    if (secs < 0)
        return "TTL index 'expireAfterSeconds' option cannot be less than 0";
    if (secs > INT32_MAX)
        return "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a "
               "lower number";
    return NULL;
}

const char *
sdb_ttl_check_key(const bson_t *key)
{
    if (bson_count_keys(key) != 1)
        return "TTL indexes are single-field indexes, compound indexes do not support TTL";
    return NULL;
}

/* btree_key -- a single-field ascending or descending key that is not _id or a wildcard. */
static bool
btree_key(const bson_t *key)
{
    bson_iter_t it;
    const char *f;
    size_t n;

    if (sdb_ttl_check_key(key) != NULL || !bson_iter_init(&it, key) || !bson_iter_next(&it))
        return false;
    f = bson_iter_key(&it);
    n = strlen(f);
    if (strcmp(f, "_id") == 0 || (n >= 3 && strcmp(f + n - 3, "$**") == 0))
        return false;
    return BSON_ITER_HOLDS_NUMBER(&it) || BSON_ITER_HOLDS_DECIMAL128(&it);
}

bool
sdb_ttl_spec_secs(const bson_t *spec, int64_t *secs)
{
    bson_iter_t it, k;
    const uint8_t *data;
    uint32_t len;
    bson_t key;
    bool nan;

    if (!bson_iter_init_find(&it, spec, SDB_TTL_FIELD) || !sdb_bson_safe_long(&it, secs, &nan) ||
        nan || sdb_ttl_check_secs(*secs) != NULL)
        return false;
    if (!bson_iter_init_find(&k, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&k))
        return false;
    bson_iter_document(&k, &len, &data);
    return bson_init_static(&key, data, len) && btree_key(&key);
}

bool
sdb_ttl_clustered_secs(const bson_t *spec, int64_t *secs)
{
    bson_iter_t it;
    bool nan;

    return bson_iter_init_find(&it, spec, "clustered") && bson_iter_as_bool(&it) &&
           bson_iter_init_find(&it, spec, SDB_TTL_FIELD) && sdb_bson_safe_long(&it, secs, &nan) &&
           !nan && sdb_ttl_check_secs(*secs) == NULL;
}
