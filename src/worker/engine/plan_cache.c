/*
 * src/worker/engine/plan_cache.c -- the winning index of a race, remembered per query shape.
 *
 * Shapes are text: for each predicate its path and operator names, nested operators and
 * $and/$or/$nor clauses in order, then the sort's fields and directions; values never enter
 * them, so {a: 5} and {a: 7} share an entry.  The entries live in the master
 * (master/plancache.h); every request names the worker's catalog version (catalog_cache.h),
 * so an entry holds only while the catalog it was planned on is current.
 *
 * Invariants: event-loop thread only (store calls); no state here.
 */
#include "plan_cache.h"

#include "../../common/collation.h"
#include "../../common/storeop.h"
#include "../catalog_cache.h"
#include "../store_client.h"

#include <stdio.h>
#include <string.h>

static void shape_doc(const bson_t *d, bson_string_t *s, int depth);

/* shape_value -- the shape of one predicate's value. */
static void
shape_value(const bson_iter_t *it, bson_string_t *s, int depth)
{
    bson_iter_t sub;
    const uint8_t *d;
    uint32_t len;
    bson_t doc;

    if (depth > 8) {
        bson_string_append(s, "...");
        return;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &sub) && bson_iter_next(&sub) &&
        bson_iter_key(&sub)[0] == '$') {
        bson_iter_document(it, &len, &d);
        if (bson_init_static(&doc, d, len))
            shape_doc(&doc, s, depth + 1);
    } else if (BSON_ITER_HOLDS_ARRAY(it) && bson_iter_recurse(it, &sub)) {
        bson_string_append(s, "[");
        while (bson_iter_next(&sub)) {
            if (BSON_ITER_HOLDS_DOCUMENT(&sub)) {
                bson_iter_document(&sub, &len, &d);
                if (bson_init_static(&doc, d, len))
                    shape_doc(&doc, s, depth + 1);
            }
            bson_string_append(s, ",");
        }
        bson_string_append(s, "]");
    } else {
        bson_string_append_printf(s, "?%d", (int)bson_iter_type(it));
    }
}

static void
shape_doc(const bson_t *d, bson_string_t *s, int depth)
{
    bson_iter_t it;

    bson_string_append(s, "{");
    if (bson_iter_init(&it, d)) {
        while (bson_iter_next(&it)) {
            bson_string_append_printf(s, "%s:", bson_iter_key(&it));
            if (strcmp(bson_iter_key(&it), "$in") == 0 || strcmp(bson_iter_key(&it), "$nin") == 0)
                bson_string_append(s, "[]"); /* the number of values is not the shape */
            else
                shape_value(&it, s, depth);
            bson_string_append(s, ";");
        }
    }
    bson_string_append(s, "}");
}

void
wk_plan_cache_shape(const bson_t *filter, const bson_t *sort, bson_string_t *s)
{
    bson_iter_t it;

    if (filter != NULL)
        shape_doc(filter, s, 0);
    bson_string_append(s, "|");
    if (sort != NULL && bson_iter_init(&it, sort))
        while (bson_iter_next(&it))
            bson_string_append_printf(
                s, "%s:%d,", bson_iter_key(&it),
                BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0 ? -1 : 1);
}

void
wk_plan_cache_key(const bson_t *filter, const bson_t *sort, const struct sdb_collation *coll,
                  bson_string_t *shape, bson_string_t *key)
{
    wk_plan_cache_shape(filter, sort, shape);
    bson_string_append(key, shape->str);
    if (coll != NULL) {
        bson_t cs = BSON_INITIALIZER;
        char *j;

        sdb_collation_spec(coll, &cs);
        j = bson_as_relaxed_extended_json(&cs, NULL);
        bson_string_append(key, j);
        bson_free(j);
        bson_destroy(&cs);
    }
}

void
wk_plan_cache_hash(const char *shape, char out[9])
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (const char *c = shape; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    snprintf(out, 9, "%08X", h);
}

/* cache_call -- one plan cache request for ns (and key) at this worker's catalog version. */
static int
cache_call(int op, const char *ns, const char *key, bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int ret;

    BSON_APPEND_UTF8(req, "ns", ns);
    if (key != NULL)
        BSON_APPEND_UTF8(req, "key", key);
    BSON_APPEND_INT64(req, "cv", (int64_t)wk_catalog_version());
    bson_init(reply);
    ret = wk_store_call(op, req, reply, err);
    bson_destroy(req);
    return ret;
}

int
wk_plan_cache_get(const char *ns, const char *key, char *index, size_t cap, bool *hit,
                  sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it;
    int ret = cache_call(SDB_OP_PLAN_CACHE_GET, ns, key, &req, &reply, err);

    *hit = ret == 0 && bson_iter_init_find(&it, &reply, "index") && BSON_ITER_HOLDS_UTF8(&it) &&
           strlen(bson_iter_utf8(&it, NULL)) < cap;
    if (*hit)
        bson_strncpy(index, bson_iter_utf8(&it, NULL), cap);
    bson_destroy(&reply);
    return ret;
}

int
wk_plan_cache_put(const char *ns, const char *key, const char *index, int64_t works,
                  const bson_t *entry, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    int ret;

    BSON_APPEND_UTF8(&req, "index", index);
    BSON_APPEND_INT64(&req, "works", works);
    BSON_APPEND_DOCUMENT(&req, "entry", entry);
    ret = cache_call(SDB_OP_PLAN_CACHE_PUT, ns, key, &req, &reply, err);
    bson_destroy(&reply);
    return ret;
}

int
wk_plan_cache_clear(const char *ns, const char *key, int64_t *n, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it;
    int ret;

    BSON_APPEND_BOOL(&req, "clear", true);
    ret = cache_call(SDB_OP_PLAN_CACHE, ns, key, &req, &reply, err);
    *n = ret == 0 && bson_iter_init_find(&it, &reply, "n") ? bson_iter_as_int64(&it) : 0;
    bson_destroy(&reply);
    return ret;
}

int
wk_plan_cache_list(const char *ns, bson_t *reply, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER;

    return cache_call(SDB_OP_PLAN_CACHE, ns, NULL, &req, reply, err);
}
