/*
 * src/master/spool.c -- a cursor's spooled result: heap when small, else a temporary table.
 *
 * ms_spool_new measures the documents first.  A spool of at most MS_SPOOL_HEAP_ONE bytes
 * that fits under MS_SPOOL_HEAP_CAP (a compare-and-swap reservation on spool_heap) is copied
 * into one buffer, the documents back to back, and handed out by walking their lengths.
 * Any other spool (refused with OutOfDiskSpace when the disk guard says so, disk.h) is written
 * into a new table `table:spool-<n>` (key: record number from 1,
 * value: the document bytes) created with logging off and filled through a bulk cursor,
 * which writes pages straight to the file: the spool passes through neither the log nor the
 * cache on its way in.  A later piece (CURSOR_APPEND) goes in through an ordinary cursor in
 * one transaction per piece (store.h ms_store_batch_begin), so it commits once, not once per
 * document.  A read opens a cursor, positions on the next record number and
 * walks forward; a cursor is never kept open between requests, so a drop from another
 * session finds the table idle (or EBUSY from a checkpoint: ms_catalog_drop_table retries it
 * from the housekeeping tick).  Names come from spool_ident, which ms_spool_sweep raises
 * above every spool table it finds (and drops) at start-up.
 *
 * Measured on the development VM (2 cores, ext4, WiredTiger 3.2.1, 20 MB of 1 KB documents):
 * create 12-18 ms, bulk fill 74 ms, a full read 20 ms (warm), drop 20 ms.  Create and drop
 * leave the service threads: the housekeeping tick (main thread, at most MS_SPOOL_TICK_MS
 * per tick) drops the tables of freed spools and keeps MS_SPOOL_READY empty tables created
 * ahead, so a CURSOR_NEW creates one itself only when a burst used them all.  The fill runs
 * on the service thread of the CURSOR_NEW (which has just received those 20 MB).
 *
 * Invariants: spool_heap and spool_ident are atomics; spool_mu guards only the drop queue and
 * the ready list and is never held across WiredTiger work; a spool itself is used by one
 * thread at a time (spool.h).
 */
#include "spool.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "catalog.h"
#include "disk.h"
#include "store.h"
#include "storereq.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPOOL_PREFIX "table:spool-"
#define SPOOL_CONFIG "key_format=q,value_format=u,log=(enabled=false)"

struct ms_spool {
    int64_t left;       /* documents not handed out yet */
    int64_t heap_bytes; /* reserved against the cap (heap spools only) */
    uint8_t *buf;       /* heap: the documents back to back */
    size_t pos;         /* heap: offset of the next document */
    int64_t next_rec;   /* table: record number of the next document */
    char uri[40];       /* table: "table:spool-<n>"; empty for a heap spool */
};

static _Atomic int64_t spool_heap;
static _Atomic uint64_t spool_ident;
static pthread_mutex_t spool_mu = PTHREAD_MUTEX_INITIALIZER; /* the two lists below */
static char **spool_dead; /* tables of freed spools, waiting for ms_spool_tick */
static size_t spool_ndead;
static char *spool_ready[MS_SPOOL_READY]; /* empty tables created ahead by ms_spool_tick */
static size_t spool_nready;

/* heap_reserve -- take `bytes` of the heap cap; false when they do not fit. */
static bool
heap_reserve(int64_t bytes)
{
    int64_t cur = atomic_load(&spool_heap);

    do {
        if (cur + bytes > MS_SPOOL_HEAP_CAP)
            return false;
    } while (!atomic_compare_exchange_weak(&spool_heap, &cur, cur + bytes));
    return true;
}

/* measure -- count and total bytes of the documents in `docs` (each checked to be one). */
static int
measure(const bson_iter_t *docs, int64_t *n, int64_t *bytes, sdb_error_t *err)
{
    bson_iter_t it = *docs;
    bson_t d;

    *n = *bytes = 0;
    while (bson_iter_next(&it)) {
        SDB_RET(ms_req_iter_doc(&it, "docs", &d, err));
        (*n)++;
        *bytes += d.len;
    }
    return 0;
}

/* heap_fill -- copy the documents into one buffer. */
static void
heap_fill(ms_spool_t *sp, const bson_iter_t *docs)
{
    bson_iter_t it = *docs;
    size_t off = 0;
    const uint8_t *data;
    uint32_t len;

    sp->buf = bson_malloc((size_t)sp->heap_bytes);
    while (bson_iter_next(&it)) {
        bson_iter_document(&it, &len, &data);
        memcpy(sp->buf + off, data, len);
        off += len;
    }
}

/* new_table -- create an empty spool table; its URI into uri. */
static int
new_table(WT_SESSION *s, char *uri, size_t len)
{
    snprintf(uri, len, SPOOL_PREFIX "%" PRIu64, atomic_fetch_add(&spool_ident, 1) + 1);
    return ms_store_wt_error(s->create(s, uri, SPOOL_CONFIG), "create spool");
}

/* take_ready -- a table the housekeeping tick created in advance, if one is left. */
static bool
take_ready(char *uri, size_t len)
{
    char *got = NULL;

    pthread_mutex_lock(&spool_mu);
    if (spool_nready > 0)
        got = spool_ready[--spool_nready];
    pthread_mutex_unlock(&spool_mu);
    if (got == NULL)
        return false;
    snprintf(uri, len, "%s", got);
    bson_free(got);
    return true;
}

/* table_fill -- take (or create) the spool's table and bulk-load the documents into it. */
static int
table_fill(WT_SESSION *s, ms_spool_t *sp, const bson_iter_t *docs)
{
    bson_iter_t it = *docs;
    WT_CURSOR *cur = NULL;
    WT_ITEM v;
    int64_t rec = 0;
    uint32_t len;
    int ret = 0;

    if (!take_ready(sp->uri, sizeof(sp->uri)))
        SDB_RET(new_table(s, sp->uri, sizeof(sp->uri)));
    SDB_ERR(ms_store_wt_error(s->open_cursor(s, sp->uri, NULL, "bulk", &cur), "open spool"));
    memset(&v, 0, sizeof(v));
    while (bson_iter_next(&it)) {
        const uint8_t *data;
        bson_iter_document(&it, &len, &data);
        v.data = data;
        v.size = len;
        cur->set_key(cur, ++rec);
        cur->set_value(cur, &v);
        SDB_ERR(ms_store_wt_error(cur->insert(cur), "fill spool"));
    }
    ret = cur->close(cur);
    cur = NULL;
    SDB_ERR(ms_store_wt_error(ret, "close spool"));
    sp->next_rec = 1;
    return 0;
err:
    if (cur != NULL)
        cur->close(cur);
    ms_catalog_drop_table(s, sp->uri);
    return ret;
}

int
ms_spool_new(WT_SESSION *s, const bson_iter_t *docs, ms_spool_t **out, sdb_error_t *err)
{
    ms_spool_t *sp;
    int64_t n, bytes;
    int ret;

    *out = NULL;
    SDB_RET(measure(docs, &n, &bytes, err));
    if (n == 0)
        return 0;
    sp = bson_malloc0(sizeof(*sp));
    sp->left = n;
    if (bytes <= MS_SPOOL_HEAP_ONE && heap_reserve(bytes)) {
        sp->heap_bytes = bytes;
        heap_fill(sp, docs);
    } else if ((ret = ms_disk_check(s, bytes, err)) != 0 || (ret = table_fill(s, sp, docs)) != 0) {
        bson_free(sp);
        return ret;
    }
    *out = sp;
    return 0;
}

/* heap_to_table -- move a heap spool's documents not handed out yet into a table of its own. */
static int
heap_to_table(WT_SESSION *s, ms_spool_t *sp)
{
    char uri[sizeof(sp->uri)];
    WT_CURSOR *cur = NULL;
    WT_ITEM v;
    size_t pos = sp->pos;
    int64_t rec = 0;
    uint32_t len;
    int ret = 0;

    if (!take_ready(uri, sizeof(uri)))
        SDB_RET(new_table(s, uri, sizeof(uri)));
    SDB_ERR(ms_store_wt_error(s->open_cursor(s, uri, NULL, "bulk", &cur), "open spool"));
    memset(&v, 0, sizeof(v));
    for (int64_t i = 0; i < sp->left; i++) {
        memcpy(&len, sp->buf + pos, 4);
        v.data = sp->buf + pos;
        v.size = BSON_UINT32_FROM_LE(len);
        pos += v.size;
        cur->set_key(cur, ++rec);
        cur->set_value(cur, &v);
        SDB_ERR(ms_store_wt_error(cur->insert(cur), "fill spool"));
    }
    ret = cur->close(cur);
    cur = NULL;
    SDB_ERR(ms_store_wt_error(ret, "close spool"));
    snprintf(sp->uri, sizeof(sp->uri), "%s", uri);
    atomic_fetch_sub(&spool_heap, sp->heap_bytes);
    sp->heap_bytes = 0;
    bson_free(sp->buf);
    sp->buf = NULL;
    sp->pos = 0;
    sp->next_rec = 1;
    return 0;
err:
    if (cur != NULL)
        cur->close(cur);
    ms_catalog_drop_table(s, uri);
    return ret;
}

/* table_append -- write the documents after the table's last record (a plain cursor: the
 * table is no longer empty, so no bulk load). */
static int
table_append(WT_SESSION *s, ms_spool_t *sp, const bson_iter_t *docs)
{
    bson_iter_t it = *docs;
    WT_CURSOR *cur = NULL;
    WT_ITEM v;
    int64_t rec = sp->next_rec + sp->left - 1, added = 0;
    bool began = false;
    uint32_t len;
    int ret = 0;

    SDB_RET(ms_store_wt_error(s->open_cursor(s, sp->uri, NULL, NULL, &cur), "open spool"));
    SDB_ERR(ms_store_batch_begin(s, &began));
    memset(&v, 0, sizeof(v));
    while (bson_iter_next(&it)) {
        const uint8_t *data;

        bson_iter_document(&it, &len, &data);
        v.data = data;
        v.size = len;
        cur->set_key(cur, ++rec);
        cur->set_value(cur, &v);
        SDB_ERR(ms_store_wt_error(cur->insert(cur), "fill spool"));
        added++;
    }
err:
    SDB_TRET(ms_store_wt_error(cur->close(cur), "close spool"));
    ret = ms_store_batch_end(s, began, ret);
    if (ret == 0) /* a rolled-back batch added nothing */
        sp->left += added;
    return ret;
}

int
ms_spool_append(WT_SESSION *s, ms_spool_t **spp, const bson_iter_t *docs, sdb_error_t *err)
{
    int64_t n, bytes;

    if (*spp == NULL || (*spp)->left == 0) {
        ms_spool_free(*spp);
        *spp = NULL;
        return ms_spool_new(s, docs, spp, err);
    }
    SDB_RET(measure(docs, &n, &bytes, err));
    if (n == 0)
        return 0;
    SDB_RET(ms_disk_check(s, bytes, err));
    if ((*spp)->uri[0] == '\0')
        SDB_RET(heap_to_table(s, *spp));
    return table_append(s, *spp, docs);
}

/* batch_add -- append one document to arr unless the batch is full; false when it is. */
static bool
batch_add(bson_t *arr, const uint8_t *data, uint32_t len, int64_t i, size_t *bytes,
          size_t max_bytes)
{
    char key[24];
    const char *k;
    bson_t d;

    if (i > 0 && *bytes + len > max_bytes)
        return false;
    if (!bson_init_static(&d, data, len))
        return false;
    bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
    bson_append_document(arr, k, -1, &d);
    *bytes += len;
    return true;
}

/* heap_out -- hand out documents from the heap buffer. */
static void
heap_out(ms_spool_t *sp, int64_t n, size_t max_bytes, bson_t *arr)
{
    size_t bytes = 0;
    int64_t i = 0;
    uint32_t len;

    while (sp->left > 0 && (n <= 0 || i < n)) {
        memcpy(&len, sp->buf + sp->pos, 4);
        len = BSON_UINT32_FROM_LE(len);
        if (!batch_add(arr, sp->buf + sp->pos, len, i, &bytes, max_bytes))
            break;
        i++;
        sp->pos += len;
        sp->left--;
    }
}

/* table_out -- hand out documents from the spool's table. */
static int
table_out(WT_SESSION *s, ms_spool_t *sp, int64_t n, size_t max_bytes, bson_t *arr)
{
    WT_CURSOR *cur = NULL;
    size_t bytes = 0;
    int64_t i = 0;
    WT_ITEM v;
    int ret = 0;

    SDB_RET(ms_store_wt_error(s->open_cursor(s, sp->uri, NULL, NULL, &cur), "open spool"));
    cur->set_key(cur, sp->next_rec);
    ret = cur->search(cur);
    while (ret == 0 && sp->left > 0 && (n <= 0 || i < n)) {
        SDB_ERR(cur->get_value(cur, &v));
        if (!batch_add(arr, v.data, (uint32_t)v.size, i, &bytes, max_bytes))
            break;
        i++;
        sp->next_rec++;
        sp->left--;
        if (sp->left > 0 && (n <= 0 || i < n))
            ret = cur->next(cur);
    }
    if (ret == WT_NOTFOUND) { /* the table ended before `left` said: nothing more to give */
        sp->left = 0;
        ret = 0;
    }
err:
    SDB_TRET(cur->close(cur));
    return ms_store_wt_error(ret, "read spool");
}

int
ms_spool_out(WT_SESSION *s, ms_spool_t *sp, int64_t n, size_t max_bytes, bson_t *arr)
{
    if (sp == NULL)
        return 0;
    if (sp->uri[0] == '\0') {
        heap_out(sp, n, max_bytes, arr);
        return 0;
    }
    return table_out(s, sp, n, max_bytes, arr);
}

int64_t
ms_spool_left(const ms_spool_t *sp)
{
    return sp != NULL ? sp->left : 0;
}

int
ms_spool_table_take(WT_SESSION *s, char *uri, size_t len)
{
    return take_ready(uri, len) ? 0 : new_table(s, uri, len);
}

void
ms_spool_table_release(const char *uri)
{
    pthread_mutex_lock(&spool_mu);
    spool_dead = bson_realloc(spool_dead, (spool_ndead + 1) * sizeof(*spool_dead));
    spool_dead[spool_ndead++] = bson_strdup(uri);
    pthread_mutex_unlock(&spool_mu);
}

void
ms_spool_free(ms_spool_t *sp)
{
    if (sp == NULL)
        return;
    if (sp->uri[0] != '\0')
        ms_spool_table_release(sp->uri);
    atomic_fetch_sub(&spool_heap, sp->heap_bytes);
    bson_free(sp->buf);
    bson_free(sp);
}

/* pop_dead -- the next table to drop, or NULL. */
static char *
pop_dead(void)
{
    char *uri = NULL;

    pthread_mutex_lock(&spool_mu);
    if (spool_ndead > 0)
        uri = spool_dead[--spool_ndead];
    pthread_mutex_unlock(&spool_mu);
    return uri;
}

void
ms_spool_tick(WT_SESSION *s, int64_t budget_ms)
{
    int64_t until = ms_now_ms() + budget_ms;
    char uri[40], *dead;
    bool short_of;

    if (s == NULL)
        return;
    while (ms_now_ms() < until && (dead = pop_dead()) != NULL) {
        ms_catalog_drop_table(s, dead); /* EBUSY: the catalog retries it */
        bson_free(dead);
    }
    do {
        pthread_mutex_lock(&spool_mu);
        short_of = spool_nready < MS_SPOOL_READY;
        pthread_mutex_unlock(&spool_mu);
        if (!short_of || ms_now_ms() >= until || new_table(s, uri, sizeof(uri)) != 0)
            break;
        pthread_mutex_lock(&spool_mu);
        spool_ready[spool_nready++] = bson_strdup(uri);
        pthread_mutex_unlock(&spool_mu);
    } while (true);
}

void
ms_spool_close(WT_SESSION *s)
{
    char *dead;

    pthread_mutex_lock(&spool_mu);
    while (spool_nready > 0) {
        spool_dead = bson_realloc(spool_dead, (spool_ndead + 1) * sizeof(*spool_dead));
        spool_dead[spool_ndead++] = spool_ready[--spool_nready];
    }
    pthread_mutex_unlock(&spool_mu);
    while ((dead = pop_dead()) != NULL) {
        if (s != NULL)
            ms_catalog_drop_table(s, dead);
        bson_free(dead);
    }
}

int
ms_spool_sweep(WT_SESSION *s)
{
    WT_CURSOR *cur = NULL;
    char **left = NULL;
    size_t nleft = 0;
    const char *key;
    int ret = 0, r;

    SDB_ERR(s->open_cursor(s, "metadata:", NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0) {
        SDB_ERR(cur->get_key(cur, &key));
        if (strncmp(key, SPOOL_PREFIX, strlen(SPOOL_PREFIX)) != 0)
            continue;
        uint64_t n = strtoull(key + strlen(SPOOL_PREFIX), NULL, 10);
        if (n > atomic_load(&spool_ident))
            atomic_store(&spool_ident, n);
        left = bson_realloc(left, (nleft + 1) * sizeof(*left));
        left[nleft++] = bson_strdup(key);
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    for (size_t i = 0; i < nleft; i++) {
        if (ret == 0)
            SDB_TRET(ms_catalog_drop_table(s, left[i]));
        bson_free(left[i]);
    }
    bson_free(left);
    if (nleft > 0)
        sdb_logf(SDB_LOG_I, "STORAGE", 22520, "Dropped cursor spools left by the last run", "%zu",
                 nleft);
    return ms_store_wt_error(ret, "sweep spools");
}

int64_t
ms_spool_heap_bytes(void)
{
    return atomic_load(&spool_heap);
}
