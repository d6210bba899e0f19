/*
 * src/worker/agg/stage_group.c -- grouping stages: $group, $sortByCount, $bucket.
 *
 * All three compute a key per input document and hand the keys to one grouping engine
 * (wk_agg_group_docs): the documents are ordered by (key, input position) -- keys compare in
 * MongoDB order, so 1, 1.0 and NumberLong(1) are one group -- and each run of equal keys is
 * fed, in input order, to the accumulators.  Groups come out in key order.  A missing _id
 * becomes null.  $group takes its input in chunks (wk_agg_blocking_t) and spills past
 * internalDocumentSourceGroupMaxMemoryBytes: runs ordered by key, merged back and grouped as
 * they stream by (group_state_t), or 292 without allowDiskUse.  $sortByCount is $group {_id: expr, count: {$sum: 1}} then $sort {count: -1};
 * $bucket's key is the lower boundary of the bucket a value falls in, or the default.
 *
 * Invariants: private states are immutable after parsing; the engine consumes its keys.
 */
#include "agg_int.h"

#include "../../common/bsoncmp.h"
#include "../../common/keyenc.h"
#include "../query/sort.h"
#include "spill.h"

#include <stdlib.h>
#include <string.h>

typedef struct group {
    wk_expr_t *id;
    wk_acc_spec_t *accs;
    size_t nacc;
    wk_sort_t *sort; /* $sortByCount: {count: -1} */
} group_t;

typedef struct keyed {
    const bson_value_t *key;
    size_t idx;
} keyed_t;

/* keyed_cmp -- by key only: the sort is stable, so equal keys keep their input order. */
static int
keyed_cmp(const void *a, const void *b, void *arg)
{
    const keyed_t *x = a, *y = b;

    SDB_UNUSED(arg);
    return sdb_bson_value_cmp(x->key, y->key);
}

/* acc_begin -- start the states of a group whose _id is `key`.  As in mongod, the
 * accumulators' initializers (`n` of $firstN and its family, $accumulator's initArgs) see the
 * _id's fields when the _id is a document, else an empty document: never a member's fields. */
static int
acc_begin(const wk_acc_spec_t *accs, size_t nacc, wk_acc_state_t *st, const bson_value_t *key,
          const wk_op_t *op, sdb_error_t *err)
{
    bson_t id_doc;

    if (key->value_type != BSON_TYPE_DOCUMENT || !wk_agg_value_doc(key, &id_doc))
        bson_init(&id_doc);
    memset(st, 0, (nacc ? nacc : 1) * sizeof(*st));
    for (size_t a = 0; a < nacc; a++) {
        st[a].op = op; /* $accumulator's scripts run for it */
        SDB_RET(wk_acc_start(&accs[a], &st[a], &id_doc, err));
    }
    return 0;
}

/* acc_feed -- step every accumulator with one document. */
static int
acc_feed(const wk_acc_spec_t *accs, size_t nacc, wk_acc_state_t *st, const bson_t *doc,
         const wk_op_t *op, sdb_error_t *err)
{
    int ret = 0;

    for (size_t a = 0; a < nacc && ret == 0; a++) {
        bson_value_t v;

        SDB_RET(wk_agg_eval_op(wk_acc_input(&accs[a]), doc, op, &v, err));
        ret = wk_acc_step(&accs[a], &st[a], &v, err);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    return ret;
}

/* acc_emit -- append the group's document {_id: key, <fields>} to out ($accumulator's
 * finalize may fail). */
static int
acc_emit(const wk_acc_spec_t *accs, size_t nacc, const wk_acc_state_t *st, const bson_value_t *key,
         wk_agg_docs_t *out, sdb_error_t *err)
{
    bson_t *doc = bson_new();
    int ret = 0;

    bson_append_value(doc, "_id", 3, key);
    for (size_t a = 0; a < nacc; a++) {
        bson_value_t v;

        SDB_ERR(wk_acc_finish(&accs[a], &st[a], &v, err));
        wk_agg_append_value(doc, accs[a].field, &v);
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
    }
    wk_agg_docs_push(out, doc);
    doc = NULL;
err:
    if (doc != NULL)
        bson_destroy(doc);
    return ret;
}

/* acc_end -- release the states. */
static void
acc_end(size_t nacc, wk_acc_state_t *st)
{
    for (size_t a = 0; a < nacc; a++)
        wk_acc_reset(&st[a]);
}

/* emit_group -- accumulate docs order[from, to) and append the group's document. */
static int
emit_group(const wk_agg_ctx_t *ctx, const wk_acc_spec_t *accs, size_t nacc, const keyed_t *order,
           size_t from, size_t to, wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    wk_acc_state_t *st = bson_malloc0((nacc ? nacc : 1) * sizeof(*st));
    int ret = 0;

    SDB_ERR(acc_begin(accs, nacc, st, order[from].key, ctx->op, err));
    for (size_t i = from; i < to; i++)
        SDB_ERR(acc_feed(accs, nacc, st, in->v[order[i].idx], ctx->op, err));
    SDB_ERR(acc_emit(accs, nacc, st, order[from].key, out, err));
err:
    acc_end(nacc, st);
    bson_free(st);
    return ret;
}

int
wk_agg_group_docs(const wk_agg_ctx_t *ctx, const wk_acc_spec_t *accs, size_t nacc,
                  bson_value_t *keys, wk_agg_docs_t *in, wk_agg_docs_t *out, sdb_error_t *err)
{
    keyed_t *order = bson_malloc0((in->n ? in->n : 1) * sizeof(*order));
    size_t n = 0, from = 0;
    int ret = 0;

    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i] == NULL)
            continue;
        if (keys[i].value_type == BSON_TYPE_EOD)
            keys[i].value_type = BSON_TYPE_NULL;
        order[n].key = &keys[i];
        order[n++].idx = i;
    }
    SDB_ERR(wk_sort_array_op(order, n, sizeof(*order), keyed_cmp, NULL, ctx->op, err));
    for (size_t i = 1; i <= n; i++) {
        if (i < n && sdb_bson_value_cmp(order[i].key, order[from].key) == 0)
            continue;
        SDB_ERR(wk_op_check(ctx->op, err));
        SDB_ERR(emit_group(ctx, accs, nacc, order, from, i, in, out, err));
        from = i;
    }
err:
    for (size_t i = 0; i < in->n; i++)
        if (keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&keys[i]);
    bson_free(order);
    return ret;
}

/* group_state_t -- a $group taking its input in chunks (wk_agg_blocking_t).
 *
 * Groups live in a hash table keyed by the order-preserving encoding of their key (keyenc.h:
 * values MongoDB calls equal, such as 1 and 1.0, encode equally), each with its accumulator
 * states, which every document of the group steps in input order as it arrives; the document
 * is then let go.  The table's size is estimated (keys, states, and the values $push and the
 * like keep).  Past the memory limit the table stops taking new groups: documents of groups
 * already in it still step them, a document of any other group is held, and the held ones
 * are written, ordered by key (stably), as runs of {k: key, d: document} (spill.h) whenever
 * they pass half the limit.  At the end the table's groups, ordered by key, and the
 * merge of the runs (by key, ties in input order), which hold only other keys, are merged by
 * key: a table group is emitted as it is, a run of equal spilled keys is accumulated as it
 * streams by.  Every group is thus fed exactly its documents in input order, and groups come
 * out in key order, whether or not anything spilled; without allowDiskUse passing the limit is
 * 292. */
typedef struct gentry {
    uint8_t *enc; /* the key's encoding */
    size_t enc_len;
    uint64_t hash;
    bson_value_t key;   /* the first key value seen (the output _id) */
    wk_acc_state_t *st; /* nacc states */
    bool deep;          /* nested too deeply to encode: compared as a value (enc empty) */
} gentry_t;

typedef struct group_state {
    const group_t *g;
    wk_agg_ctx_t *ctx;
    gentry_t *ents; /* the table's groups, in arrival order (sorted by key when pulling) */
    size_t nents, ents_cap;
    size_t *slots; /* open addressing: index + 1 into ents, 0 empty */
    size_t nslots;
    size_t bytes; /* estimated size of the table */
    bool full;    /* the table passed the limit: no new groups */
    sdb_keybuf_t kb;
    wk_agg_docs_t docs; /* held documents of groups not in the table */
    bson_value_t *keys; /* their keys (missing -> null) */
    size_t cap, held_bytes;
    wk_spill_t *spill;
    bool ended;         /* input ended: pulling */
    size_t pos;         /* next table group to emit */
    bson_t *pend;       /* the merged record that starts the next spilled group */
    wk_acc_state_t *st; /* states of the spilled group being accumulated */
} group_state_t;

static int
group_open(const void *priv, wk_agg_ctx_t *ctx, int64_t topk, void **state)
{
    group_state_t *gs = bson_malloc0(sizeof(*gs));
    const group_t *g = priv;

    SDB_UNUSED(topk);
    gs->g = g;
    gs->ctx = ctx;
    gs->st = bson_malloc0((g->nacc ? g->nacc : 1) * sizeof(*gs->st));
    sdb_keybuf_init(&gs->kb);
    *state = gs;
    return 0;
}

/* hash_bytes -- FNV-1a. */
static uint64_t
hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* slot_of -- the slot holding the group encoded as (enc, len, h), or the empty one it goes in;
 * `deep`: a key too deep to encode (enc empty), compared as a value. */
static size_t
slot_of(const group_state_t *gs, const uint8_t *enc, size_t len, uint64_t h,
        const bson_value_t *deep)
{
    size_t mask = gs->nslots - 1, i = (size_t)h & mask;

    while (gs->slots[i] != 0) {
        const gentry_t *e = &gs->ents[gs->slots[i] - 1];

        if (deep != NULL
                ? e->deep && sdb_bson_value_cmp(&e->key, deep) == 0
                : !e->deep && e->hash == h && e->enc_len == len && memcmp(e->enc, enc, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

/* grow_slots -- double the slot array and place every group again. */
static void
grow_slots(group_state_t *gs)
{
    bson_free(gs->slots);
    gs->nslots = gs->nslots ? gs->nslots * 2 : 64;
    gs->slots = bson_malloc0(gs->nslots * sizeof(*gs->slots));
    for (size_t i = 0; i < gs->nents; i++) {
        gentry_t *e = &gs->ents[i];

        gs->slots[slot_of(gs, e->enc, e->enc_len, e->hash, e->deep ? &e->key : NULL)] = i + 1;
    }
}

/* value_bytes -- about what a value holds. */
static size_t
value_bytes(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_UTF8:
        return v->value.v_utf8.len;
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        return v->value.v_doc.data_len;
    case BSON_TYPE_BINARY:
        return v->value.v_binary.data_len;
    default:
        return 0;
    }
}

/* state_vals -- how many values the states keep ($push, $addToSet, the N-family, quantiles). */
static size_t
state_vals(const wk_acc_state_t *st, size_t nacc, size_t *last_bytes)
{
    size_t n = 0;

    *last_bytes = 0;
    for (size_t a = 0; a < nacc; a++) {
        n += st[a].nvals + st[a].ndbl;
        if (st[a].nvals > 0)
            *last_bytes += value_bytes(&st[a].vals[st[a].nvals - 1]);
    }
    return n;
}

/* table_feed -- step group `e` with doc and count what its states grew by. */
static int
table_feed(group_state_t *gs, gentry_t *e, const bson_t *doc, sdb_error_t *err)
{
    size_t last, before = state_vals(e->st, gs->g->nacc, &last), after;

    SDB_RET(acc_feed(gs->g->accs, gs->g->nacc, e->st, doc, gs->ctx->op, err));
    after = state_vals(e->st, gs->g->nacc, &last);
    if (after > before)
        gs->bytes += (after - before) * (sizeof(bson_value_t) + last);
    return 0;
}

/* table_add -- a new group for key (owned, consumed) whose first document is doc. */
static int
table_add(group_state_t *gs, size_t slot, bson_value_t *key, const bson_t *doc, gentry_t **out,
          sdb_error_t *err)
{
    const group_t *g = gs->g;
    gentry_t *e;

    if (gs->nents == gs->ents_cap) {
        gs->ents_cap = gs->ents_cap ? gs->ents_cap * 2 : 64;
        gs->ents = bson_realloc(gs->ents, gs->ents_cap * sizeof(*gs->ents));
    }
    e = &gs->ents[gs->nents++];
    memset(e, 0, sizeof(*e));
    e->enc = bson_malloc(gs->kb.len ? gs->kb.len : 1);
    memcpy(e->enc, gs->kb.data, gs->kb.len);
    e->enc_len = gs->kb.len;
    e->hash = hash_bytes(e->enc, e->enc_len);
    e->deep = gs->kb.len == 0;
    e->key = *key;
    key->value_type = BSON_TYPE_EOD;
    e->st = bson_malloc0((g->nacc ? g->nacc : 1) * sizeof(*e->st));
    gs->slots[slot] = gs->nents;
    gs->bytes += sizeof(*e) + 2 * e->enc_len + g->nacc * sizeof(*e->st) + 2 * sizeof(size_t);
    *out = e;
    return acc_begin(g->accs, g->nacc, e->st, &e->key, gs->ctx->op, err);
}

/* free_keys -- destroy the held keys. */
static void
free_keys(group_state_t *gs)
{
    for (size_t i = 0; i < gs->docs.n; i++)
        if (gs->keys[i].value_type != BSON_TYPE_EOD)
            bson_value_destroy(&gs->keys[i]);
}

/* group_spill -- order the held documents by key and write them as one run. */
static int
group_spill(group_state_t *gs, sdb_error_t *err)
{
    size_t n = gs->docs.n;
    keyed_t *order = bson_malloc0((n ? n : 1) * sizeof(*order));
    bson_t **recs = bson_malloc0((n ? n : 1) * sizeof(*recs));
    int ret = 0;

    for (size_t i = 0; i < n; i++) {
        order[i].key = &gs->keys[i];
        order[i].idx = i;
    }
    SDB_ERR(wk_sort_array_op(order, n, sizeof(*order), keyed_cmp, NULL, gs->ctx->op, err));
    for (size_t i = 0; i < n; i++) {
        recs[i] = bson_new();
        bson_append_value(recs[i], "k", 1, order[i].key);
        bson_append_document(recs[i], "d", 1, gs->docs.v[order[i].idx]);
    }
    if (gs->spill == NULL)
        gs->spill = wk_spill_new(gs->ctx->op);
    SDB_ERR(wk_spill_run(gs->spill, recs, n, err));
    free_keys(gs);
    wk_agg_docs_free(&gs->docs);
    gs->held_bytes = 0;
err:
    for (size_t i = 0; i < n; i++)
        if (recs[i] != NULL)
            bson_destroy(recs[i]);
    bson_free(recs);
    bson_free(order);
    return ret;
}

/* hold -- keep doc (moved in) and its key (consumed) for the next run. */
static int
hold(group_state_t *gs, bson_t *doc, bson_value_t *key, sdb_error_t *err)
{
    if (gs->docs.n == gs->cap) {
        gs->cap = gs->cap ? gs->cap * 2 : 64;
        gs->keys = bson_realloc(gs->keys, gs->cap * sizeof(*gs->keys));
    }
    gs->keys[gs->docs.n] = *key;
    key->value_type = BSON_TYPE_EOD;
    gs->held_bytes += doc->len;
    wk_agg_docs_push(&gs->docs, doc);
    if (gs->held_bytes > wk_spill_limit(false) / 2)
        return group_spill(gs, err);
    return 0;
}

/* take_doc -- group one document (moved in). */
static int
take_doc(group_state_t *gs, bson_t *doc, sdb_error_t *err)
{
    bson_value_t key;
    gentry_t *e = NULL;
    size_t slot;
    bool over, deep;
    int ret = 0;

    SDB_ERR(wk_agg_eval_op(gs->g->id, doc, gs->ctx->op, &key, err));
    if (key.value_type == BSON_TYPE_EOD)
        key.value_type = BSON_TYPE_NULL;
    sdb_keybuf_reset(&gs->kb);
    deep = sdb_keyenc_value(&gs->kb, &key, 0) != 0; /* past the encoder's depth */
    if (deep)
        sdb_keybuf_reset(&gs->kb);
    if (gs->nents * 2 >= gs->nslots)
        grow_slots(gs);
    slot = slot_of(gs, gs->kb.data, gs->kb.len, hash_bytes(gs->kb.data, gs->kb.len),
                   deep ? &key : NULL);
    if (gs->slots[slot] != 0 || !gs->full) {
        if (gs->slots[slot] != 0)
            e = &gs->ents[gs->slots[slot] - 1];
        else
            SDB_ERR(table_add(gs, slot, &key, doc, &e, err));
        SDB_ERR(table_feed(gs, e, doc, err));
        SDB_ERR(wk_spill_over(gs->ctx, gs->bytes, "$group", &over, err));
        gs->full = over;
    } else {
        ret = hold(gs, doc, &key, err);
        doc = NULL;
    }
err:
    if (key.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&key);
    if (doc != NULL)
        bson_destroy(doc);
    return ret;
}

/* group_push -- take a chunk. */
static int
group_push(void *state, wk_agg_docs_t *in, sdb_error_t *err)
{
    group_state_t *gs = state;

    for (size_t i = 0; i < in->n; i++) {
        bson_t *doc = in->v[i];

        SDB_RET(wk_op_check(gs->ctx->op, err));
        if (doc == NULL)
            continue;
        in->v[i] = NULL;
        SDB_RET(take_doc(gs, doc, err));
    }
    return 0;
}

static int
rec_cmp(const bson_t *a, const bson_t *b, void *arg)
{
    bson_iter_t x, y;

    SDB_UNUSED(arg);
    bson_iter_init_find(&x, a, "k");
    bson_iter_init_find(&y, b, "k");
    return sdb_bson_value_cmp(bson_iter_value(&x), bson_iter_value(&y));
}

/* rec_parts -- the key and document of a merged record (views into it). */
static void
rec_parts(const bson_t *rec, bson_value_t *key, bson_t *doc)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    bson_iter_init_find(&it, rec, "k");
    *key = *bson_iter_value(&it);
    bson_iter_init_find(&it, rec, "d");
    bson_iter_document(&it, &len, &data);
    bson_init_static(doc, data, len);
}

/* next_spilled -- accumulate the group that starts at gs->pend into out. */
static int
next_spilled(group_state_t *gs, wk_agg_docs_t *out, sdb_error_t *err)
{
    const group_t *g = gs->g;
    bson_value_t key, k2;
    bson_t doc, *rec = NULL;
    int ret = 0;

    rec_parts(gs->pend, &key, &doc);
    SDB_ERR(acc_begin(g->accs, g->nacc, gs->st, &key, gs->ctx->op, err));
    SDB_ERR(acc_feed(g->accs, g->nacc, gs->st, &doc, gs->ctx->op, err));
    for (;;) {
        SDB_ERR(wk_op_check(gs->ctx->op, err));
        SDB_ERR(wk_spill_merge_next(gs->spill, rec_cmp, NULL, &rec, err));
        if (rec == NULL)
            break;
        rec_parts(rec, &k2, &doc);
        if (sdb_bson_value_cmp(&key, &k2) != 0)
            break;
        SDB_ERR(acc_feed(g->accs, g->nacc, gs->st, &doc, gs->ctx->op, err));
        bson_destroy(rec);
        rec = NULL;
    }
    SDB_ERR(acc_emit(g->accs, g->nacc, gs->st, &key, out, err));
err:
    acc_end(g->nacc, gs->st);
    bson_destroy(gs->pend);
    gs->pend = rec;
    return ret;
}

/* next_group -- emit the next group in key order (a table one or a spilled one). */
static int
next_group(group_state_t *gs, wk_agg_docs_t *out, bool *got, sdb_error_t *err)
{
    const group_t *g = gs->g;
    bool table = gs->pos < gs->nents;

    *got = false;
    if (gs->pend == NULL && gs->spill != NULL)
        SDB_RET(wk_spill_merge_next(gs->spill, rec_cmp, NULL, &gs->pend, err));
    if (gs->pend != NULL && table) {
        bson_value_t key;
        bson_t doc;

        rec_parts(gs->pend, &key, &doc);
        table = sdb_bson_value_cmp(&gs->ents[gs->pos].key, &key) < 0;
    }
    if (table) {
        gentry_t *e = &gs->ents[gs->pos++];
        int ret = acc_emit(g->accs, g->nacc, e->st, &e->key, out, err);

        acc_end(g->nacc, e->st);
        *got = true;
        return ret;
    }
    if (gs->pend == NULL)
        return 0;
    *got = true;
    return next_spilled(gs, out, err);
}

/* ent_cmp -- key order: the encodings' memcmp order (keyenc.h), values when one is deep. */
static int
ent_cmp(const void *a, const void *b, void *arg)
{
    const gentry_t *x = a, *y = b;
    size_t n = x->enc_len < y->enc_len ? x->enc_len : y->enc_len;
    int c;

    SDB_UNUSED(arg);
    if (x->deep || y->deep)
        return sdb_bson_value_cmp(&x->key, &y->key);
    c = memcmp(x->enc, y->enc, n);
    return c != 0 ? c : (x->enc_len > y->enc_len) - (x->enc_len < y->enc_len);
}

static int
group_pull(void *state, wk_agg_docs_t *out, size_t max, bool *done, sdb_error_t *err)
{
    group_state_t *gs = state;
    size_t n = 0;
    bool got = true;

    if (!gs->ended) {
        gs->ended = true;
        if (gs->docs.n > 0)
            SDB_RET(group_spill(gs, err));
        SDB_RET(wk_sort_array_op(gs->ents, gs->nents, sizeof(*gs->ents), ent_cmp, NULL, gs->ctx->op,
                                 err));
    }
    while ((max == 0 || n < max) && got) {
        SDB_RET(wk_op_check(gs->ctx->op, err));
        SDB_RET(next_group(gs, out, &got, err));
        n += got;
    }
    *done = !got;
    return 0;
}

static void
group_close(void *state)
{
    group_state_t *gs = state;

    for (size_t i = 0; i < gs->nents; i++) {
        gentry_t *e = &gs->ents[i];

        if (i >= gs->pos)
            acc_end(gs->g->nacc, e->st);
        bson_free(e->st);
        bson_free(e->enc);
        if (e->key.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&e->key);
    }
    bson_free(gs->ents);
    bson_free(gs->slots);
    sdb_keybuf_free(&gs->kb);
    free_keys(gs);
    wk_agg_docs_free(&gs->docs);
    bson_free(gs->keys);
    if (gs->pend != NULL)
        bson_destroy(gs->pend);
    wk_spill_free(gs->spill);
    bson_free(gs->st);
    bson_free(gs);
}

const wk_agg_blocking_t wk_agg_group_blocking = {group_open, group_push, group_pull, group_close};

/* run_keyed -- group `in` by g's key expression. */
static int
run_keyed(const group_t *g, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
          sdb_error_t *err)
{
    return wk_agg_blocking_run(&wk_agg_group_blocking, g, ctx, in, out, err);
}

static void
group_free(group_t *g)
{
    if (g == NULL)
        return;
    wk_expr_free(g->id);
    for (size_t i = 0; i < g->nacc; i++)
        wk_acc_spec_destroy(&g->accs[i]);
    bson_free(g->accs);
    wk_sort_free(g->sort);
    bson_free(g);
}

/* add_acc -- parse one output field of $group or $bucket. */
static int
add_acc(group_t *g, const char *stage, const bson_iter_t *it, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strchr(k, '.') != NULL)
        return sdb_error_set(err, SDB_CODE_Location40235, "The field name '%s' cannot contain '.'",
                             k);
    if (k[0] == '$')
        return sdb_error_set(err, SDB_CODE_Location40236,
                             "The field name '%s' cannot be an operator name", k);
    g->accs = bson_realloc(g->accs, (g->nacc + 1) * sizeof(*g->accs));
    SDB_RET(wk_acc_parse(stage, it, &g->accs[g->nacc], err));
    g->nacc++;
    return 0;
}

/* ---- $group ---------------------------------------------------------------------------- */

int
wk_agg_parse_group(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv, sdb_error_t *err)
{
    group_t *g;
    bson_iter_t it;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!BSON_ITER_HOLDS_DOCUMENT(spec))
        return sdb_error_set(err, SDB_CODE_Location15947,
                             "a group's fields must be specified in an object");
    g = bson_malloc0(sizeof(*g));
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "_id") == 0) {
            if (g->id != NULL)
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location15948,
                                      "a group's _id may only be specified once"));
            SDB_ERR(wk_expr_parse(&it, &g->id, err));
        } else {
            SDB_ERR(add_acc(g, "$group", &it, err));
        }
    }
    if (g->id == NULL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location15955,
                              "a group specification must include an _id"));
    *priv = g;
    return 0;
err:
    group_free(g);
    return ret;
}

int
wk_agg_run_group(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                 sdb_error_t *err)
{
    return run_keyed(priv, ctx, in, out, err);
}

void
wk_agg_free_group(void *priv)
{
    group_free(priv);
}

/* ---- $sortByCount ---------------------------------------------------------------------- */

int
wk_agg_parse_sort_by_count(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,
                           sdb_error_t *err)
{
    bson_t acc = BSON_INITIALIZER, sort = BSON_INITIALIZER, one;
    bson_iter_t it, probe;
    group_t *g;
    int ret = 0;

    SDB_UNUSED(ctx);
    if (!(BSON_ITER_HOLDS_UTF8(spec) && bson_iter_utf8(spec, NULL)[0] == '$') &&
        !(BSON_ITER_HOLDS_DOCUMENT(spec) && bson_iter_recurse(spec, &probe) &&
          bson_iter_next(&probe) && bson_iter_key(&probe)[0] == '$'))
        return sdb_error_set(err, SDB_CODE_Location40147,
                             "the sortByCount field must be defined as a $-prefixed path or an "
                             "expression");
    g = bson_malloc0(sizeof(*g));
    SDB_ERR(wk_expr_parse(spec, &g->id, err));
    BSON_APPEND_DOCUMENT_BEGIN(&acc, "count", &one);
    BSON_APPEND_INT32(&one, "$sum", 1);
    bson_append_document_end(&acc, &one);
    bson_iter_init(&it, &acc);
    bson_iter_next(&it);
    SDB_ERR(add_acc(g, "$sortByCount", &it, err));
    BSON_APPEND_INT32(&sort, "count", -1);
    SDB_ERR(wk_sort_new(&sort, &g->sort, err));
    *priv = g;
    g = NULL;
err:
    group_free(g);
    bson_destroy(&acc);
    bson_destroy(&sort);
    return ret;
}

int
wk_agg_run_sort_by_count(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in, wk_agg_docs_t *out,
                         sdb_error_t *err)
{
    const group_t *g = priv;

    SDB_RET(run_keyed(g, ctx, in, out, err));
    return wk_sort_docs_op(g->sort, out->v, out->n, ctx->op, err);
}

void
wk_agg_free_sort_by_count(void *priv)
{
    group_free(priv);
}
