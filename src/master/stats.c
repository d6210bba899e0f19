/*
 * src/master/stats.c -- STATS: counts and sizes of every matching collection.
 *
 * See stats.h for where each number comes from.  A collection matches {ns} exactly or
 * {db} by prefix "db."; with neither, every collection matches.
 *
 * Invariants: read-only; one WiredTiger snapshot per request under the shared catalog lock.
 */
#include "stats.h"

#include "../common/sdb.h"
#include "catalog.h"
#include "indexes.h"
#include "store.h"
#include "storereq.h"

#include <string.h>

int
ms_stats_each(WT_SESSION *s, const char *uri, int (*fn)(WT_CURSOR *cur, void *arg), void *arg)
{
    WT_CURSOR *cur = NULL;
    int ret = 0, r;

    SDB_ERR(s->open_cursor(s, uri, NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0)
        SDB_ERR(fn(cur, arg));
    if (r != WT_NOTFOUND)
        ret = r;
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    return ret;
}

typedef struct walk {
    int with_keys;
    int64_t count, bytes;
} walk_t;

static int
walk_cb(WT_CURSOR *cur, void *arg)
{
    walk_t *w = arg;
    WT_ITEM k, v;

    SDB_RET(cur->get_value(cur, &v));
    w->count++;
    w->bytes += (int64_t)v.size;
    if (w->with_keys) {
        SDB_RET(cur->get_key(cur, &k));
        w->bytes += (int64_t)k.size;
    }
    return 0;
}

int
ms_stats_walk(WT_SESSION *s, const char *uri, int with_keys, int64_t *count, int64_t *bytes)
{
    walk_t w = {with_keys, 0, 0};
    int ret = ms_stats_each(s, uri, walk_cb, &w);

    *count = w.count;
    *bytes = w.bytes;
    return ret;
}

static int
matches(const ms_coll_t *c, const char *db, const char *ns)
{
    size_t n;

    if (ns != NULL)
        return strcmp(c->ns, ns) == 0;
    if (db == NULL)
        return 1;
    n = strlen(db);
    return strncmp(c->ns, db, n) == 0 && c->ns[n] == '.';
}

/* append_creation -- `key`: the configuration WiredTiger created uri with (metadata:create),
 * as mongod's collStats shows it in wiredTiger.creationString; nothing if it has none. */
static void
append_creation(WT_CURSOR *meta, bson_t *b, const char *key, const char *uri)
{
    const char *v;

    meta->set_key(meta, uri);
    if (meta->search(meta) == 0 && meta->get_value(meta, &v) == 0)
        BSON_APPEND_UTF8(b, key, v);
    meta->reset(meta);
}

/* coll_stats -- append one collection's entry to arr. */
static int
coll_stats(WT_SESSION *s, const ms_coll_t *c, bson_t *arr, uint32_t i)
{
    int64_t count, size, n, isize, total = 0, storage;
    WT_CURSOR *meta = NULL;
    bson_t d, sizes, creation;
    const char *key;
    char buf[16];

    SDB_RET(ms_stats_walk(s, c->uri, 0, &count, &size));
    storage = ms_indexes_table_size(s, c->uri);
    bson_uint32_to_string(i, &key, buf, sizeof(buf));
    bson_append_document_begin(arr, key, -1, &d);
    BSON_APPEND_UTF8(&d, "ns", c->ns);
    BSON_APPEND_INT64(&d, "count", count);
    BSON_APPEND_INT64(&d, "size", size);
    BSON_APPEND_INT64(&d, "storageSize", storage > 0 ? storage : size);
    BSON_APPEND_DOCUMENT_BEGIN(&d, "indexSizes", &sizes);
    for (size_t j = 0; j < c->nidx; j++) {
        isize = ms_indexes_table_size(s, c->idx[j].uri);
        if (isize <= 0)
            SDB_RET(ms_stats_walk(s, c->idx[j].uri, 1, &n, &isize));
        BSON_APPEND_INT64(&sizes, c->idx[j].name, isize);
        total += isize;
    }
    bson_append_document_end(&d, &sizes);
    BSON_APPEND_INT64(&d, "totalIndexSize", total);
    SDB_RET(s->open_cursor(s, "metadata:create", NULL, NULL, &meta));
    append_creation(meta, &d, "creationString", c->uri);
    BSON_APPEND_DOCUMENT_BEGIN(&d, "indexCreation", &creation);
    for (size_t j = 0; j < c->nidx; j++)
        append_creation(meta, &creation, c->idx[j].name, c->idx[j].uri);
    bson_append_document_end(&d, &creation);
    bson_append_document_end(arr, &d);
    return meta->close(meta);
}

int
ms_stats_op_stats(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *s = ctx->session;
    const char *db, *ns;
    uint32_t n = 0;
    bson_t arr;
    int ret = 0;

    SDB_RET(ms_req_str(req, "db", true, &db, err));
    SDB_RET(ms_req_str(req, "ns", true, &ns, err));
    BSON_APPEND_ARRAY_BEGIN(reply, "collections", &arr);
    ms_catalog_rdlock();
    if ((ret = s->begin_transaction(s, NULL)) == 0) {
        for (size_t i = 0; i < ms_catalog_count_locked() && ret == 0; i++) {
            const ms_coll_t *c = ms_catalog_at_locked(i);
            if (matches(c, db, ns))
                ret = coll_stats(s, c, &arr, n++);
        }
        SDB_TRET(s->rollback_transaction(s, NULL));
    }
    ms_catalog_unlock();
    bson_append_array_end(reply, &arr);
    return ret;
}
