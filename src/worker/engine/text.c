/*
 * src/worker/engine/text.c -- text indexes for the executor and createIndexes.
 *
 * A text index is the one whose key pattern has _fts (fts/fts.h); a user spec is one whose
 * key has a "text" value, fixed by sdb_fts_fix_spec before it reaches the master.  mongod
 * allows one text index per collection: another one under a different name is
 * 67 'only one text index per collection allowed, found existing text index "<name>"' (the
 * same name goes on to the master's same-index rules).
 *
 * Invariants: event-loop thread; views into the catalog cache are not kept across calls.
 */
#include "text.h"

#include "../../common/fts/fts.h"
#include "../../common/sdb.h"

#include <string.h>

static bool
holds_text(bson_iter_t *it, int depth)
{
    while (bson_iter_next(it)) {
        const char *k = bson_iter_key(it);
        bson_iter_t arr, sub;

        if (strcmp(k, "$text") == 0)
            return true;
        if (depth > 8 || (strcmp(k, "$and") != 0 && strcmp(k, "$or") != 0 &&
                          strcmp(k, "$nor") != 0) ||
            !BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &arr))
            continue;
        while (bson_iter_next(&arr))
            if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &sub) &&
                holds_text(&sub, depth + 1))
                return true;
    }
    return false;
}

bool
wk_text_in_filter(const bson_t *filter)
{
    bson_iter_t it;

    return filter != NULL && bson_iter_init(&it, filter) && holds_text(&it, 0);
}

/* spec_key -- the key pattern of an index spec (a view). */
static bool
spec_key(const bson_t *spec, bson_t *key)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;

    if (!bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &d);
    return bson_init_static(key, d, len);
}

bool
wk_text_index(const wk_coll_info_t *ci, bson_t *spec)
{
    bson_iter_t it;
    bson_t key;

    if (ci == NULL || !bson_iter_init(&it, &ci->indexes))
        return false;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (bson_init_static(spec, d, len) && spec_key(spec, &key) && sdb_fts_pattern(&key))
            return true;
    }
    return false;
}

static bool
user_text_key(const bson_t *key)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, key))
        return false;
    while (bson_iter_next(&it))
        if ((BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "text") == 0) ||
            strcmp(bson_iter_key(&it), "_fts") == 0)
            return true;
    return false;
}

int
wk_text_fix_spec(bson_t *spec, sdb_error_t *err)
{
    bson_t key, fixed;
    int ret;

    if (!spec_key(spec, &key) || !user_text_key(&key))
        return 0;
    ret = sdb_fts_fix_spec(spec, &fixed, err);
    if (ret == 0) {
        bson_reinit(spec);
        bson_concat(spec, &fixed);
    }
    bson_destroy(&fixed);
    return ret;
}

static const char *
spec_name(const bson_t *spec)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it)
               ? bson_iter_utf8(&it, NULL)
               : "";
}

int
wk_text_check_one(const wk_coll_info_t *ci, const bson_t *specs, sdb_error_t *err)
{
    bson_t have, spec, key;
    bson_iter_t it;
    const char *first = NULL;
    bool exists = wk_text_index(ci, &have);

    if (!bson_iter_init(&it, specs))
        return 0;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;
        const char *other;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (!bson_init_static(&spec, d, len) || !spec_key(&spec, &key) || !sdb_fts_pattern(&key))
            continue;
        other = exists ? spec_name(&have) : first;
        if (other != NULL && strcmp(other, spec_name(&spec)) != 0)
            return sdb_error_set(err, SDB_CODE_CannotCreateIndex,
                                 "only one text index per collection allowed, found existing "
                                 "text index \"%s\"",
                                 other);
        first = spec_name(&spec);
    }
    return 0;
}
