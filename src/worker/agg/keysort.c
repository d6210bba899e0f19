/*
 * src/worker/agg/keysort.c -- documents sorted by one key value, spilling past the limit
 * (keysort.h).
 *
 * Held records are a vector of {k, d} documents and their byte count; a spill writes them
 * sorted as one run (spill.h) and frees them.  The order is the collation's order of the k
 * values; the sort of each run is stable and the merge breaks ties by run, so equal keys come
 * back in the order they were added.
 *
 * Invariants: event-loop thread; one coroutine uses a sort; no add after the first next.
 */
#include "keysort.h"

#include "agg_int.h"
#include "spill.h"

#include "../../common/collation.h"

#include <string.h>

struct wk_keysort {
    const wk_agg_ctx_t *ctx;
    const char *what;
    const wk_sort_t *then; /* ties on the key: this order of the documents (NULL: added) */
    wk_agg_docs_t held;    /* records not spilled yet (no NULL slots) */
    size_t bytes, count, pos;
    wk_spill_t *spill;
    bool reading;
};

wk_keysort_t *
wk_keysort_new(const wk_agg_ctx_t *ctx, const char *what)
{
    return wk_keysort_new_then(ctx, what, NULL);
}

wk_keysort_t *
wk_keysort_new_then(const wk_agg_ctx_t *ctx, const char *what, const wk_sort_t *then)
{
    wk_keysort_t *ks = bson_malloc0(sizeof(*ks));

    ks->ctx = ctx;
    ks->what = what;
    ks->then = then;
    wk_agg_docs_init(&ks->held);
    return ks;
}

void
wk_keysort_key(const bson_t *rec, bson_value_t *key)
{
    bson_iter_t it;

    memset(key, 0, sizeof(*key));
    key->value_type = BSON_TYPE_NULL;
    if (bson_iter_init_find(&it, rec, "k"))
        *key = *bson_iter_value(&it);
}

void
wk_keysort_doc(const bson_t *rec, bson_t *doc)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    if (bson_iter_init_find(&it, rec, "d") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(doc, data, len);
    } else {
        bson_init(doc);
    }
}

/* rec_cmp -- records by key under the collation, then by `then` (spill.h wk_spill_cmp_fn). */
static int
rec_cmp(const bson_t *a, const bson_t *b, void *arg)
{
    const wk_keysort_t *ks = arg;
    bson_value_t x, y;

    bson_t da, db;
    int c;

    wk_keysort_key(a, &x);
    wk_keysort_key(b, &y);
    c = sdb_collation_value_cmp(ks->ctx->collation, &x, &y);
    if (c != 0 || ks->then == NULL)
        return c;
    wk_keysort_doc(a, &da);
    wk_keysort_doc(b, &db);
    return wk_sort_cmp(ks->then, &da, &db);
}

/* held_cmp -- rec_cmp for the array sort. */
static int
held_cmp(const void *a, const void *b, void *arg)
{
    return rec_cmp(*(bson_t *const *)a, *(bson_t *const *)b, arg);
}

/* sort_held -- stable sort of the held records. */
static int
sort_held(wk_keysort_t *ks, sdb_error_t *err)
{
    return wk_sort_array_op(ks->held.v, ks->held.n, sizeof(*ks->held.v), held_cmp, ks, ks->ctx->op,
                            err);
}

/* spill_held -- sort the held records, write them as one run and let them go. */
static int
spill_held(wk_keysort_t *ks, sdb_error_t *err)
{
    SDB_RET(sort_held(ks, err));
    if (ks->spill == NULL)
        ks->spill = wk_spill_new(ks->ctx->op);
    SDB_RET(wk_spill_run(ks->spill, ks->held.v, ks->held.n, err));
    wk_agg_docs_free(&ks->held);
    ks->bytes = 0;
    return 0;
}

int
wk_keysort_add(wk_keysort_t *ks, const bson_value_t *key, const bson_t *doc, sdb_error_t *err)
{
    bson_t *rec = bson_new();
    bool over;

    SDB_ASSERT(!ks->reading);
    if (key == NULL || key->value_type == BSON_TYPE_EOD)
        BSON_APPEND_NULL(rec, "k");
    else
        BSON_APPEND_VALUE(rec, "k", key);
    BSON_APPEND_DOCUMENT(rec, "d", doc);
    ks->bytes += rec->len;
    ks->count++;
    wk_agg_docs_push(&ks->held, rec);
    SDB_RET(wk_spill_over(ks->ctx, ks->bytes, ks->what, &over, err));
    if (over)
        SDB_RET(spill_held(ks, err));
    return 0;
}

size_t
wk_keysort_count(const wk_keysort_t *ks)
{
    return ks->count;
}

bool
wk_keysort_spilled(const wk_keysort_t *ks)
{
    return ks->spill != NULL;
}

int
wk_keysort_next(wk_keysort_t *ks, bson_t **rec, sdb_error_t *err)
{
    *rec = NULL;
    if (!ks->reading) {
        ks->reading = true;
        if (ks->spill != NULL && ks->held.n > 0)
            SDB_RET(spill_held(ks, err));
        else if (ks->spill == NULL)
            SDB_RET(sort_held(ks, err));
    }
    if (ks->spill != NULL)
        return wk_spill_merge_next(ks->spill, rec_cmp, ks, rec, err);
    if (ks->pos < ks->held.n) {
        *rec = ks->held.v[ks->pos];
        ks->held.v[ks->pos++] = NULL;
    }
    return 0;
}

void
wk_keysort_free(wk_keysort_t *ks)
{
    if (ks == NULL)
        return;
    wk_agg_docs_free(&ks->held);
    wk_spill_free(ks->spill);
    bson_free(ks);
}
