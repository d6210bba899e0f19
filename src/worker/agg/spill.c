/*
 * src/worker/agg/spill.c -- sorted runs in a master temporary table, merged back (spill.h).
 *
 * All runs of one spill share one table: run i is the records [start_i, end_i), appended with
 * TMP_APPEND in requests of at most SPILL_WRITE_BYTES.  The merge keeps, per run, the reply of
 * its last TMP_READ (a chunk of at most SPILL_READ_BYTES / runs, at least SPILL_READ_MIN)
 * and an iterator into it, and a binary min-heap of the runs by their current document
 * (ties: the lower run, which holds earlier input).  So memory during the merge is about
 * SPILL_READ_BYTES whatever the number of runs.
 *
 * Invariants: event-loop thread; a spill is used by one coroutine; the table id is the
 * master's (tmptab.h) and only this spill sends requests naming it.
 */
#include "spill.h"

#include "../../common/storeop.h"
#include "../engine/exec.h"
#include "../worker.h"

#include <stdatomic.h>
#include <string.h>

#define SPILL_WRITE_BYTES (8 * 1024 * 1024)
#define SPILL_READ_BYTES (32 * 1024 * 1024)
#define SPILL_READ_MIN (16 * 1024)

typedef struct run {
    int64_t next, end;  /* records [next, end) not read yet */
    wk_spill_block_t b; /* the last TMP_READ (reply NULL: none) */
    size_t at;
    const uint8_t *cur; /* the current document, inside reply (NULL: the run ended) */
    uint32_t cur_len;
} run_t;

struct wk_spill {
    const wk_op_t *op;
    int64_t id; /* the temporary table; 0: none yet */
    int64_t next_rec;
    run_t *runs;
    size_t nruns;
    size_t *heap; /* run indexes, a min-heap by current document */
    size_t nheap;
    bool merging;
};

size_t
wk_spill_limit(bool sort)
{
    int64_t v;

    if (wk_global == NULL) /* outside a worker (unit tests): mongod's default */
        return WK_AGG_MEM_MAX;
    v = atomic_load(sort ? &wk_global->sort_mem_max : &wk_global->group_mem_max); /* live */
    return v > 0 ? (size_t)v : 1;
}

int
wk_spill_over(const wk_agg_ctx_t *ctx, size_t bytes, const char *what, bool *over, sdb_error_t *err)
{
    bool sort = strcmp(what, "$sort") == 0;
    size_t limit = wk_spill_limit(sort);

    *over = bytes > limit;
    if (!*over || ctx->allow_disk_use)
        return 0;
    if (sort || strcmp(what, "$bucketAuto") == 0) /* mongod's sorter says it for both */
        return sdb_error_set(err, SDB_CODE_QueryExceededMemoryLimitNoDiskUseAllowed,
                             "Sort exceeded memory limit of %zu bytes, but did not opt in to "
                             "external sorting.",
                             limit);
    return sdb_error_set(err, SDB_CODE_QueryExceededMemoryLimitNoDiskUseAllowed,
                         "Exceeded memory limit for %s, but didn't allow external sort. Pass "
                         "allowDiskUse:true to opt in.",
                         what);
}

wk_spill_t *
wk_spill_new(const wk_op_t *op)
{
    wk_spill_t *sp = bson_malloc0(sizeof(*sp));

    sp->op = op;
    sp->next_rec = 1;
    return sp;
}

/* call -- one TMP_* request; the reply is the caller's to destroy (initialized in every case). */
static int
call(int opn, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    return wk_cmdu_store(opn, req, reply, err);
}

/* append -- send docs[from, to) in one TMP_APPEND. */
static int
append(wk_spill_t *sp, bson_t *const *docs, size_t from, size_t to, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, arr, reply;
    bson_iter_t it;
    uint32_t k = 0;
    int ret;

    BSON_APPEND_INT64(&req, "id", sp->id);
    BSON_APPEND_ARRAY_BEGIN(&req, "docs", &arr);
    for (size_t i = from; i < to; i++) {
        char key[16];
        const char *ks;

        if (docs[i] == NULL)
            continue;
        bson_uint32_to_string(k++, &ks, key, sizeof(key));
        bson_append_document(&arr, ks, -1, docs[i]);
    }
    bson_append_array_end(&req, &arr);
    ret = call(SDB_OP_TMP_APPEND, &req, &reply, err);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "next"))
        sp->next_rec = bson_iter_as_int64(&it);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* open_table -- TMP_NEW, once. */
static int
open_table(wk_spill_t *sp, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it;
    int ret;

    if (sp->id != 0)
        return 0;
    ret = call(SDB_OP_TMP_NEW, &req, &reply, err);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "id"))
        sp->id = bson_iter_as_int64(&it);
    bson_destroy(&reply);
    bson_destroy(&req);
    if (ret == 0 && sp->id == 0)
        ret = sdb_error_set(err, SDB_CODE_InternalError, "no temporary table");
    return ret;
}

int
wk_spill_run(wk_spill_t *sp, bson_t *const *docs, size_t n, sdb_error_t *err)
{
    size_t from = 0, bytes = 0;
    run_t *r;

    SDB_ASSERT(!sp->merging);
    SDB_RET(open_table(sp, err));
    sp->runs = bson_realloc(sp->runs, (sp->nruns + 1) * sizeof(*sp->runs));
    r = &sp->runs[sp->nruns++];
    memset(r, 0, sizeof(*r));
    r->next = sp->next_rec;
    for (size_t i = 0; i < n; i++) {
        if (docs[i] == NULL)
            continue;
        if (bytes > 0 && bytes + docs[i]->len > SPILL_WRITE_BYTES) {
            SDB_RET(wk_op_check(sp->op, err));
            SDB_RET(append(sp, docs, from, i, err));
            from = i;
            bytes = 0;
        }
        bytes += docs[i]->len;
    }
    if (from < n)
        SDB_RET(append(sp, docs, from, n, err));
    r->end = sp->next_rec;
    return 0;
}

size_t
wk_spill_runs(const wk_spill_t *sp)
{
    return sp->nruns;
}

int64_t
wk_spill_run_first(const wk_spill_t *sp, size_t run)
{
    SDB_ASSERT(run < sp->nruns);
    return sp->runs[run].next;
}

int
wk_spill_read(wk_spill_t *sp, int64_t from, int64_t end, size_t max_bytes, wk_spill_block_t *b,
              sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, rep;
    bson_iter_t it, a;
    int ret;

    if (b->reply != NULL)
        bson_destroy(b->reply);
    b->reply = NULL;
    b->n = 0;
    SDB_RET(wk_op_check(sp->op, err));
    BSON_APPEND_INT64(&req, "id", sp->id);
    BSON_APPEND_INT64(&req, "from", from);
    BSON_APPEND_INT64(&req, "n", end - from);
    BSON_APPEND_INT64(&req, "maxBytes",
                      (int64_t)(max_bytes < SPILL_READ_MIN ? SPILL_READ_MIN : max_bytes));
    ret = call(SDB_OP_TMP_READ, &req, &rep, err);
    bson_destroy(&req);
    if (ret == 0)
        b->reply = bson_copy(&rep);
    bson_destroy(&rep);
    SDB_RET(ret);
    if (!bson_iter_init_find(&it, b->reply, "docs") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &a))
        return sdb_error_set(err, SDB_CODE_InternalError, "bad temporary table reply");
    while (bson_iter_next(&a)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&a))
            return sdb_error_set(err, SDB_CODE_InternalError, "bad temporary table record");
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 64;
            b->data = bson_realloc(b->data, b->cap * sizeof(*b->data));
            b->lens = bson_realloc(b->lens, b->cap * sizeof(*b->lens));
        }
        bson_iter_document(&a, &b->lens[b->n], &b->data[b->n]);
        b->n++;
    }
    return 0;
}

void
wk_spill_block_free(wk_spill_block_t *b)
{
    if (b->reply != NULL)
        bson_destroy(b->reply);
    bson_free(b->data);
    bson_free(b->lens);
    memset(b, 0, sizeof(*b));
}

/* load -- TMP_READ the run's next records into r->b. */
static int
load(wk_spill_t *sp, run_t *r, sdb_error_t *err)
{
    size_t budget = SPILL_READ_BYTES / (sp->nruns ? sp->nruns : 1);

    SDB_RET(wk_spill_read(sp, r->next, r->end, budget, &r->b, err));
    r->at = 0;
    if (r->b.n == 0) /* the table ended early: nothing more in this run */
        r->next = r->end;
    return 0;
}

/* advance -- make run r's current document its next one (cur NULL at its end). */
static int
advance(wk_spill_t *sp, run_t *r, sdb_error_t *err)
{
    r->cur = NULL;
    while (r->b.reply == NULL || r->at >= r->b.n) {
        if (r->b.reply != NULL)
            bson_destroy(r->b.reply);
        r->b.reply = NULL;
        if (r->next >= r->end)
            return 0;
        SDB_RET(load(sp, r, err));
    }
    r->cur = r->b.data[r->at];
    r->cur_len = r->b.lens[r->at++];
    r->next++;
    return 0;
}

/* less -- whether run a's current document goes before run b's. */
static bool
less(const wk_spill_t *sp, size_t a, size_t b, wk_spill_cmp_fn cmp, void *arg)
{
    bson_t x, y;
    int c;

    bson_init_static(&x, sp->runs[a].cur, sp->runs[a].cur_len);
    bson_init_static(&y, sp->runs[b].cur, sp->runs[b].cur_len);
    c = cmp(&x, &y, arg);

    return c < 0 || (c == 0 && a < b);
}

/* sift_down -- restore the heap below position i. */
static void
sift_down(wk_spill_t *sp, size_t i, wk_spill_cmp_fn cmp, void *arg)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;

        if (l < sp->nheap && less(sp, sp->heap[l], sp->heap[m], cmp, arg))
            m = l;
        if (l + 1 < sp->nheap && less(sp, sp->heap[l + 1], sp->heap[m], cmp, arg))
            m = l + 1;
        if (m == i)
            return;
        size_t t = sp->heap[i];
        sp->heap[i] = sp->heap[m];
        sp->heap[m] = t;
        i = m;
    }
}

/* merge_start -- load every run's first document and build the heap. */
static int
merge_start(wk_spill_t *sp, wk_spill_cmp_fn cmp, void *arg, sdb_error_t *err)
{
    sp->merging = true;
    sp->heap = bson_malloc((sp->nruns ? sp->nruns : 1) * sizeof(*sp->heap));
    for (size_t i = 0; i < sp->nruns; i++) {
        SDB_RET(advance(sp, &sp->runs[i], err));
        if (sp->runs[i].cur != NULL)
            sp->heap[sp->nheap++] = i;
    }
    for (size_t i = sp->nheap / 2; i-- > 0;)
        sift_down(sp, i, cmp, arg);
    return 0;
}

int
wk_spill_merge_next(wk_spill_t *sp, wk_spill_cmp_fn cmp, void *arg, bson_t **out, sdb_error_t *err)
{
    run_t *r;

    *out = NULL;
    if (!sp->merging)
        SDB_RET(merge_start(sp, cmp, arg, err));
    if (sp->nheap == 0)
        return 0;
    r = &sp->runs[sp->heap[0]];
    *out = bson_new_from_data(r->cur, r->cur_len);
    if (*out == NULL)
        return sdb_error_set(err, SDB_CODE_InternalError, "bad temporary table record");
    SDB_RET(advance(sp, r, err));
    if (r->cur == NULL)
        sp->heap[0] = sp->heap[--sp->nheap];
    sift_down(sp, 0, cmp, arg);
    return 0;
}

void
wk_spill_free(wk_spill_t *sp)
{
    if (sp == NULL)
        return;
    if (sp->id != 0) {
        bson_t req = BSON_INITIALIZER, reply;
        sdb_error_t e;

        memset(&e, 0, sizeof(e));
        BSON_APPEND_INT64(&req, "id", sp->id);
        (void)call(SDB_OP_TMP_DROP, &req, &reply, &e);
        bson_destroy(&reply);
        bson_destroy(&req);
    }
    for (size_t i = 0; i < sp->nruns; i++) {
        wk_spill_block_free(&sp->runs[i].b);
    }
    bson_free(sp->runs);
    bson_free(sp->heap);
    bson_free(sp);
}
