/*
 * src/worker/cmd/stats.c -- collStats and dbStats.
 *
 * Both ask the master for STATS (record count, data size, storage size and per-index sizes of
 * every matching collection) and shape mongod's reply, dividing byte counts by `scale`.
 * collStats also shows the WiredTiger configuration each table was created with
 * (wiredTiger.creationString, indexDetails.<name>.creationString), as mongod does.
 * A missing collection reports zeros, as mongod's collStats does; fsUsedSize/fsTotalSize
 * come from statvfs on the data directory (the root file system for :memory:).
 *
 * Invariants: event-loop thread; no state kept between commands.
 */
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"

#include "../catalog_cache.h"
#include "../store_client.h"
#include "../worker.h"

#include <string.h>
#include <sys/statvfs.h>

typedef struct coll_stats {
    int64_t count, size, storage, index_total;
    int32_t nindexes;
    bson_t index_sizes; /* {name: bytes}, scaled */
} coll_stats_t;

/* append_num -- mongod's appendNumber: int when it fits, long otherwise. */
static void
append_num(bson_t *b, const char *key, int64_t v)
{
    if (v >= INT32_MIN && v <= INT32_MAX)
        BSON_APPEND_INT32(b, key, (int32_t)v);
    else
        BSON_APPEND_INT64(b, key, v);
}

/* get_scale -- the scale argument (default 1). */
static int
get_scale(wk_cmd_t *cmd, int64_t *scale)
{
    bson_iter_t it;

    *scale = 1;
    if (!bson_iter_init_find(&it, cmd->body, "scale"))
        return 0;
    SDB_RET(wk_cmdu_get_i64(cmd, &it, "scale", scale));
    if (*scale < 1)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "scale has to be >= 1");
    return 0;
}

/* add_coll -- add one STATS entry to the totals. */
static void
add_coll(coll_stats_t *s, const bson_iter_t *entry, int64_t scale)
{
    bson_iter_t c, ix;

    if (!bson_iter_recurse(entry, &c))
        return;
    while (bson_iter_next(&c)) {
        const char *k = bson_iter_key(&c);

        if (strcmp(k, "count") == 0)
            s->count += bson_iter_as_int64(&c);
        else if (strcmp(k, "size") == 0)
            s->size += bson_iter_as_int64(&c);
        else if (strcmp(k, "storageSize") == 0)
            s->storage += bson_iter_as_int64(&c);
        else if (strcmp(k, "totalIndexSize") == 0)
            s->index_total += bson_iter_as_int64(&c);
        else if (strcmp(k, "indexSizes") == 0 && bson_iter_recurse(&c, &ix))
            while (bson_iter_next(&ix)) {
                s->nindexes++;
                append_num(&s->index_sizes, bson_iter_key(&ix), bson_iter_as_int64(&ix) / scale);
            }
    }
}

/* add_details -- collStats' wiredTiger: {creationString} and indexDetails: {name:
 * {creationString}} from one STATS entry (the WiredTiger configuration each table was
 * created with, the client's storageEngine configString included). */
static void
add_details(const bson_iter_t *entry, bson_t *wt, bson_t *ixd)
{
    bson_iter_t c, ix;
    bson_t d;

    if (bson_iter_recurse(entry, &c) && bson_iter_find(&c, "creationString") &&
        BSON_ITER_HOLDS_UTF8(&c))
        bson_append_iter(wt, NULL, 0, &c);
    if (!bson_iter_recurse(entry, &c) || !bson_iter_find(&c, "indexCreation") ||
        !bson_iter_recurse(&c, &ix))
        return;
    while (bson_iter_next(&ix)) {
        if (!BSON_ITER_HOLDS_UTF8(&ix))
            continue;
        bson_append_document_begin(ixd, bson_iter_key(&ix), -1, &d);
        BSON_APPEND_UTF8(&d, "creationString", bson_iter_utf8(&ix, NULL));
        bson_append_document_end(ixd, &d);
    }
}

/* fetch_stats -- STATS for {ns} or {db}; sums every collection it returns (and, when wt and
 * ixd are given, appends add_details of the first). */
static int
fetch_stats(const char *field, const char *value, coll_stats_t *s, int64_t scale, int32_t *ncolls,
            bson_t *wt, bson_t *ixd, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, colls;
    int ret = 0;

    memset(s, 0, sizeof(*s));
    bson_init(&s->index_sizes);
    *ncolls = 0;
    BSON_APPEND_UTF8(&req, field, value);
    SDB_ERR(wk_cmdu_store(SDB_OP_STATS, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "collections") && bson_iter_recurse(&it, &colls))
        while (bson_iter_next(&colls))
            if (BSON_ITER_HOLDS_DOCUMENT(&colls)) {
                add_coll(s, &colls, scale);
                if (wt != NULL && *ncolls == 0)
                    add_details(&colls, wt, ixd);
                (*ncolls)++;
            }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* wk_cmd_coll_stats -- {collStats: coll, scale} -> {ns, count, size, avgObjSize, ...}. */
int
wk_cmd_coll_stats(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"scale", "verbose", NULL};
    char ns[WK_NS_MAX];
    coll_stats_t s;
    int64_t scale;
    int32_t ncolls;
    bson_t wt = BSON_INITIALIZER, ixd = BSON_INITIALIZER;
    int ret = 0;

    memset(&s, 0, sizeof(s));
    bson_init(&s.index_sizes);
    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(get_scale(cmd, &scale));
    bson_destroy(&s.index_sizes);
    SDB_ERR(fetch_stats("ns", ns, &s, scale, &ncolls, &wt, &ixd, &cmd->err));
    BSON_APPEND_UTF8(cmd->reply, "ns", ns);
    append_num(cmd->reply, "size", s.size / scale);
    append_num(cmd->reply, "count", s.count);
    if (s.count > 0)
        append_num(cmd->reply, "avgObjSize", s.size / s.count);
    append_num(cmd->reply, "storageSize", s.storage / scale);
    append_num(cmd->reply, "freeStorageSize", 0);
    wk_capped_stats(ns, cmd->reply, scale);
    if (ncolls > 0)
        BSON_APPEND_DOCUMENT(cmd->reply, "wiredTiger", &wt);
    append_num(cmd->reply, "nindexes", s.nindexes);
    BSON_APPEND_DOCUMENT(cmd->reply, "indexDetails", &ixd);
    append_num(cmd->reply, "totalIndexSize", s.index_total / scale);
    append_num(cmd->reply, "totalSize", (s.storage + s.index_total) / scale);
    BSON_APPEND_DOCUMENT(cmd->reply, "indexSizes", &s.index_sizes);
    append_num(cmd->reply, "scaleFactor", scale);
err:
    bson_destroy(&s.index_sizes);
    bson_destroy(&wt);
    bson_destroy(&ixd);
    return ret;
}

/* fs_sizes -- used and total bytes of the file system holding the data. */
static void
fs_sizes(int64_t *used, int64_t *total)
{
    const char *path = "/";
    struct statvfs sv;

    *used = *total = 0;
    if (wk_cfg != NULL && wk_cfg->dbpath[0] != '\0' && strcmp(wk_cfg->dbpath, ":memory:") != 0)
        path = wk_cfg->dbpath;
    if (statvfs(path, &sv) != 0)
        return;
    *total = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
    *used = *total - (int64_t)sv.f_bfree * (int64_t)sv.f_frsize;
}

/* wk_cmd_db_stats -- {dbStats: 1, scale} -> {db, collections, views, objects, ...}. */
int
wk_cmd_db_stats(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"scale", "freeStorage", NULL};
    coll_stats_t s;
    int64_t scale, used, total;
    int32_t ncolls = 0;
    bson_iter_t it;
    bool free_storage;
    int ret = 0;

    memset(&s, 0, sizeof(s));
    bson_init(&s.index_sizes);
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(get_scale(cmd, &scale));
    /* freeStorage: the reusable space of the files too (none is tracked: 0, as collStats'
     * freeStorageSize) */
    free_storage = bson_iter_init_find(&it, cmd->body, "freeStorage") && wk_cmdu_truthy(&it);
    bson_destroy(&s.index_sizes);
    SDB_ERR(fetch_stats("db", cmd->db, &s, scale, &ncolls, NULL, NULL, &cmd->err));
    fs_sizes(&used, &total);
    BSON_APPEND_UTF8(cmd->reply, "db", cmd->db);
    append_num(cmd->reply, "collections", ncolls);
    append_num(cmd->reply, "views", 0);
    append_num(cmd->reply, "objects", s.count);
    BSON_APPEND_DOUBLE(cmd->reply, "avgObjSize",
                       s.count > 0 ? (double)s.size / (double)s.count : 0.0);
    BSON_APPEND_DOUBLE(cmd->reply, "dataSize", (double)s.size / (double)scale);
    BSON_APPEND_DOUBLE(cmd->reply, "storageSize", (double)s.storage / (double)scale);
    if (free_storage)
        BSON_APPEND_DOUBLE(cmd->reply, "freeStorageSize", 0.0);
    append_num(cmd->reply, "indexes", s.nindexes);
    BSON_APPEND_DOUBLE(cmd->reply, "indexSize", (double)s.index_total / (double)scale);
    if (free_storage)
        BSON_APPEND_DOUBLE(cmd->reply, "indexFreeStorageSize", 0.0);
    BSON_APPEND_DOUBLE(cmd->reply, "totalSize",
                       (double)(s.storage + s.index_total) / (double)scale);
    if (free_storage)
        BSON_APPEND_DOUBLE(cmd->reply, "totalFreeStorageSize", 0.0);
    append_num(cmd->reply, "scaleFactor", scale);
    BSON_APPEND_DOUBLE(cmd->reply, "fsUsedSize", (double)used / (double)scale);
    BSON_APPEND_DOUBLE(cmd->reply, "fsTotalSize", (double)total / (double)scale);
err:
    bson_destroy(&s.index_sizes);
    return ret;
}
