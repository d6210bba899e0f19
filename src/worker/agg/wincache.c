/*
 * src/worker/agg/wincache.c -- a $setWindowFields partition held up to its limit and spilled
 * past it, read back by position (wincache.h).
 *
 * `mem` holds positions [spilled, count); each spill writes all of `mem` as the next run of
 * one spill (spill.h), so position i < spilled is record first + i of its table, the runs
 * being numbered one after the other.  A read of a spilled position loads the block of
 * records from it on (at most WINCACHE_BLOCK_BYTES) into the older of two block slots unless
 * a slot already holds it; a get returns one of two alternating views, so the last two
 * documents returned stay valid.
 *
 * Invariants: event-loop thread; one coroutine uses a cache; bytes counts only `mem`.
 */
#include "wincache.h"

#include "agg_int.h"
#include "spill.h"

#include "../worker.h"

#include <stdatomic.h>
#include <string.h>

#define WINCACHE_BLOCK_BYTES (1024 * 1024)

typedef struct block {
    wk_spill_block_t b; /* positions [from, from + b.n) (b.reply NULL: an empty slot) */
    size_t from;
    uint64_t used; /* when it was last read (LRU) */
} block_t;

struct wk_wincache {
    const wk_agg_ctx_t *ctx;
    wk_agg_docs_t mem; /* positions [spilled, count) */
    size_t bytes, spilled, count;
    wk_spill_t *spill;
    int64_t first; /* the record of position 0 */
    block_t blocks[2];
    uint64_t clock;
    bson_t views[2];
    unsigned nview;
};

size_t
wk_wincache_limit(void)
{
    int64_t v;

    if (wk_global == NULL) /* outside a worker (unit tests): mongod's default */
        return WK_AGG_MEM_MAX;
    v = atomic_load(&wk_global->window_mem_max); /* the live parameter */
    return v > 0 ? (size_t)v : 1;
}

wk_wincache_t *
wk_wincache_new(const wk_agg_ctx_t *ctx)
{
    /* aligned: the views are bson_t, which wants BSON_ALIGNOF (128) */
    wk_wincache_t *c = bson_aligned_alloc0(BSON_ALIGNOF(wk_wincache_t), sizeof(*c));

    c->ctx = ctx;
    wk_agg_docs_init(&c->mem);
    return c;
}

/* spill_mem -- write every held document as the next run and let them go. */
static int
spill_mem(wk_wincache_t *c, sdb_error_t *err)
{
    if (c->spill == NULL)
        c->spill = wk_spill_new(c->ctx->op);
    SDB_RET(wk_spill_run(c->spill, c->mem.v, c->mem.n, err));
    if (c->spilled == 0)
        c->first = wk_spill_run_first(c->spill, 0);
    SDB_ASSERT(wk_spill_run_first(c->spill, wk_spill_runs(c->spill) - 1) ==
               c->first + (int64_t)c->spilled);
    c->spilled += c->mem.n;
    wk_agg_docs_free(&c->mem);
    wk_agg_docs_init(&c->mem);
    c->bytes = 0;
    return 0;
}

int
wk_wincache_add(wk_wincache_t *c, bson_t *doc, sdb_error_t *err)
{
    size_t limit = wk_wincache_limit();

    c->bytes += doc->len;
    c->count++;
    wk_agg_docs_push(&c->mem, doc);
    if (c->bytes < limit)
        return 0;
    if (!c->ctx->allow_disk_use)
        return sdb_error_set(err, SDB_CODE_Location5643011,
                             "Exceeded max memory. Set 'allowDiskUse: true' to spill to disk");
    return spill_mem(c, err);
}

size_t
wk_wincache_count(const wk_wincache_t *c)
{
    return c->count;
}

bool
wk_wincache_spilled(const wk_wincache_t *c)
{
    return c->spill != NULL;
}

/* spilled_doc -- position i (< spilled) through the block cache. */
static int
spilled_doc(wk_wincache_t *c, size_t i, const uint8_t **data, uint32_t *len, sdb_error_t *err)
{
    block_t *b = NULL;

    for (size_t k = 0; k < 2; k++)
        if (c->blocks[k].b.reply != NULL && i >= c->blocks[k].from &&
            i < c->blocks[k].from + c->blocks[k].b.n)
            b = &c->blocks[k];
    if (b == NULL) { /* the least recently read slot (never the one the last get used) */
        b = c->blocks[0].used <= c->blocks[1].used ? &c->blocks[0] : &c->blocks[1];
        b->from = i;
        SDB_RET(wk_spill_read(c->spill, c->first + (int64_t)i, c->first + (int64_t)c->spilled,
                              WINCACHE_BLOCK_BYTES, &b->b, err));
        if (b->b.n == 0)
            return sdb_error_set(err, SDB_CODE_InternalError, "temporary table record %zu missing",
                                 i);
    }
    b->used = ++c->clock;
    *data = b->b.data[i - b->from];
    *len = b->b.lens[i - b->from];
    return 0;
}

int
wk_wincache_get(wk_wincache_t *c, size_t i, const bson_t **doc, sdb_error_t *err)
{
    const uint8_t *data = NULL;
    uint32_t len = 0;
    bson_t *view;

    SDB_ASSERT(i < c->count);
    if (i >= c->spilled) {
        *doc = c->mem.v[i - c->spilled];
        return 0;
    }
    SDB_RET(spilled_doc(c, i, &data, &len, err));
    view = &c->views[c->nview++ & 1];
    if (!bson_init_static(view, data, len))
        return sdb_error_set(err, SDB_CODE_InternalError, "bad temporary table record");
    *doc = view;
    return 0;
}

void
wk_wincache_free(wk_wincache_t *c)
{
    if (c == NULL)
        return;
    wk_agg_docs_free(&c->mem);
    wk_spill_free(c->spill);
    for (size_t k = 0; k < 2; k++)
        wk_spill_block_free(&c->blocks[k].b);
    bson_free(c);
}
