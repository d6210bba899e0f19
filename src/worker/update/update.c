/*
 * src/worker/update/update.c -- update specifications (temporary stub: operators land next).
 *
 * Invariants: none yet.
 */
#include "update.h"

#include "../../common/sdb.h"

struct wk_update {
    int unused;
};

int
wk_update_new(const bson_iter_t *u, const bson_t *array_filters, wk_update_t **out,
              sdb_error_t *err)
{
    *out = NULL;
    return sdb_error_set(err, SDB_CODE_NotImplemented, "update is not implemented yet");
}

bool
wk_update_is_replacement(const wk_update_t *u)
{
    return false;
}

int
wk_update_apply(const wk_update_t *u, const bson_t *doc, const wk_match_details_t *details,
                bool upsert_insert, bson_t *out, bool *changed, sdb_error_t *err)
{
    bson_init(out);
    *changed = false;
    return sdb_error_set(err, SDB_CODE_NotImplemented, "update is not implemented yet");
}

int
wk_update_upsert_seed(const bson_t *filter, bson_t *out, sdb_error_t *err)
{
    bson_init(out);
    return 0;
}

void
wk_update_free(wk_update_t *u)
{
    bson_free(u);
}
