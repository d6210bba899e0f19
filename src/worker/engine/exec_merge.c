/*
 * src/worker/engine/exec_merge.c -- SORT_MERGE: an $or whose clauses' indexes each give the sort.
 *
 * mongod answers a sorted $or without a blocking sort when every clause's index scan yields
 * the requested order: the scans run side by side and a merge hands out the smallest head.
 * Here each clause's plan becomes a sub-executor (its own scan, batches and resume position)
 * that shares the parent's matcher, so each yields the records of its ranges that match the
 * whole filter, once each, in sort order.  The merge peeks every sub's next document
 * (wk_exec_next then wk_exec_unget, so an unconsumed head stays in its sub's position) and
 * hands out the smallest by the sort (ties to the earlier clause).  A record several
 * clauses' ranges hold is handed out by the first of them only: a later clause skips it
 * when an earlier clause's ranges hold one of its entries, a test on the document alone, so
 * a resumed cursor keeps it.  Plans are non-multikey (a record's sort key is then its one
 * value) and the query's collation orders the strings.
 *
 * Invariants: event-loop thread only; the subs borrow ex->matcher (cleared before they are
 * closed); the counters of ex are the sums of the subs'.
 */
#include "exec_merge.h"

#include "../../common/collation.h"
#include "../../common/path.h"

#include <string.h>

struct wk_exec_merge {
    wk_exec_t **sub;
    size_t n;
    const sdb_collation_t *coll; /* the query's (outlives the executor, exec.h) */
    struct head {
        bool valid, done;
        bson_t doc; /* a view into the sub's reply */
        int64_t r;
    } * head;
    size_t last; /* the sub that gave the last document handed out */
};

bool
wk_exec_merge_possible(const wk_exec_t *ex)
{
    if (ex->mode != WK_EXEC_SEC || ex->nor < 2 || !ex->has_sort)
        return false;
    for (size_t i = 0; i < ex->nor; i++)
        if (!ex->ors[i]->sorted || ex->ors[i]->multikey || !bson_empty(&ex->ors[i]->wkey))
            return false;
    return true;
}

void
wk_exec_merge_open(wk_exec_t *ex, const sdb_collation_t *coll)
{
    struct wk_exec_merge *m = bson_malloc0(sizeof(*m));

    m->n = ex->nor;
    m->coll = coll;
    m->sub = bson_malloc0(m->n * sizeof(*m->sub));
    m->head = bson_malloc0(m->n * sizeof(*m->head));
    for (size_t i = 0; i < m->n; i++) {
        wk_exec_t *s = BSON_ALIGNED_ALLOC0(wk_exec_t); /* bson_t inside */

        wk_exec_init(s);
        bson_strncpy(s->ns, ex->ns, sizeof(s->ns));
        s->op = ex->op;
        s->read_ts = ex->read_ts;
        s->matcher = ex->matcher; /* borrowed */
        s->mode = WK_EXEC_SEC;
        s->dir = 1;
        s->fetch_limit = ex->fetch_limit;
        wk_exec_plan_take(&s->plan, ex->ors[i]);
        bson_free(ex->ors[i]);
        m->sub[i] = s;
    }
    bson_free(ex->ors);
    ex->ors = NULL;
    ex->nor = ex->or_cur = 0;
    ex->merge = m;
}

void
wk_exec_merge_free(wk_exec_t *ex)
{
    struct wk_exec_merge *m = ex->merge;

    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        m->sub[i]->matcher = NULL;
        wk_exec_close(m->sub[i]);
        bson_free(m->sub[i]);
    }
    bson_free(m->sub);
    bson_free(m->head);
    bson_free(m);
    ex->merge = NULL;
}

size_t
wk_exec_merge_count(const wk_exec_t *ex)
{
    return ex->merge != NULL ? ex->merge->n : 0;
}

wk_exec_t *
wk_exec_merge_sub(wk_exec_t *ex, size_t i)
{
    return ex->merge->sub[i];
}

const wk_exec_plan_t *
wk_exec_merge_plan(const wk_exec_t *ex, size_t i)
{
    return &ex->merge->sub[i]->plan;
}

const wk_exec_plan_t *
wk_exec_merge_last_plan(const wk_exec_t *ex)
{
    return &ex->merge->sub[ex->merge->last]->plan;
}

/* sort_cmp -- a's order against b's under ex's sort (a missing field as null). */
static int
sort_cmp(const wk_exec_t *ex, const bson_t *a, const bson_t *b)
{
    bson_iter_t s, x, y;
    bson_value_t null = {.value_type = BSON_TYPE_NULL};

    if (!bson_iter_init(&s, &ex->sort))
        return 0;
    while (bson_iter_next(&s)) {
        const char *f = bson_iter_key(&s);
        const bson_value_t *va = sdb_path_lookup(a, f, &x) ? bson_iter_value(&x) : &null;
        const bson_value_t *vb = sdb_path_lookup(b, f, &y) ? bson_iter_value(&y) : &null;
        int c = sdb_collation_value_cmp(ex->merge->coll, va, vb);

        if (c != 0)
            return bson_iter_as_double(&s) < 0 ? -c : c;
    }
    return 0;
}

/* peek -- make sub i's head known (valid, or done at its end). */
static int
peek(wk_exec_t *ex, size_t i, sdb_error_t *err)
{
    struct head *h = &ex->merge->head[i];
    wk_exec_t *s = ex->merge->sub[i];
    bool found;

    if (h->valid || h->done)
        return 0;
    SDB_RET(wk_exec_next(s, &h->doc, &h->r, NULL, &found, err));
    if (!found) {
        h->done = true;
        return 0;
    }
    wk_exec_unget(s); /* consumed only when handed out: the position keeps it */
    if (!s->covered)  /* (a covered scan examines no document) */
        s->docs_examined--;
    s->n_returned--;
    h->valid = true;
    return 0;
}

/* earlier -- an earlier clause's ranges hold the record (that clause hands it out). */
static bool
earlier(const wk_exec_t *ex, size_t i, const bson_t *doc, int64_t r)
{
    for (size_t j = 0; j < i; j++) {
        sdb_keybuf_t m;
        bool any = false;

        sdb_keybuf_init(&m);
        if (wk_exec_plan_first_entry(&ex->merge->sub[j]->plan, doc, r, &m, &any) != 0)
            any = false;
        sdb_keybuf_free(&m);
        if (any)
            return true;
    }
    return false;
}

/* totals -- the subs' counters summed into ex. */
static void
totals(wk_exec_t *ex)
{
    ex->docs_examined = ex->keys_examined = 0;
    for (size_t i = 0; i < ex->merge->n; i++) {
        ex->docs_examined += ex->merge->sub[i]->docs_examined;
        ex->keys_examined += ex->merge->sub[i]->keys_examined;
    }
}

int
wk_exec_merge_next(wk_exec_t *ex, bson_t *doc, int64_t *r, bool *found, sdb_error_t *err)
{
    struct wk_exec_merge *m = ex->merge;
    int ret = 0;

    *found = false;
    for (;;) {
        size_t best = m->n;
        bool got;

        for (size_t i = 0; i < m->n; i++) {
            SDB_ERR(peek(ex, i, err));
            if (m->head[i].valid &&
                (best == m->n || sort_cmp(ex, &m->head[i].doc, &m->head[best].doc) < 0))
                best = i;
        }
        if (best == m->n)
            break;
        m->head[best].valid = false;
        SDB_ERR(wk_exec_next(m->sub[best], doc, r, NULL, &got, err)); /* the head, again */
        if (!got || earlier(ex, best, doc, *r))
            continue;
        *found = true;
        ex->n_returned++;
        m->last = best;
        break;
    }
err:
    totals(ex);
    return ret;
}

void
wk_exec_merge_unget(wk_exec_t *ex)
{
    struct wk_exec_merge *m = ex->merge;

    wk_exec_unget(m->sub[m->last]); /* peeked again next time: the same document */
    if (!m->sub[m->last]->covered)
        m->sub[m->last]->docs_examined--;
    m->sub[m->last]->n_returned--;
    m->head[m->last].valid = false;
    if (ex->n_returned > 0)
        ex->n_returned--;
}

void
wk_exec_merge_save(const wk_exec_t *ex, bson_t *pos)
{
    bson_t arr;

    BSON_APPEND_ARRAY_BEGIN(pos, "merge", &arr);
    for (size_t i = 0; i < ex->merge->n; i++) {
        char key[16];

        bson_snprintf(key, sizeof(key), "%zu", i);
        wk_exec_save(ex->merge->sub[i], &arr, key);
    }
    bson_append_array_end(pos, &arr);
}

bool
wk_exec_merge_restore(wk_exec_t *ex, const bson_t *pos)
{
    bson_iter_t it, arr, one;
    size_t i = 0;

    if (!bson_iter_init_find(&it, pos, "merge") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return false;
    while (bson_iter_next(&arr) && i < ex->merge->n) {
        wk_exec_t *s = ex->merge->sub[i++];
        const uint8_t *tok;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &one) ||
            !bson_iter_find(&one, "ix") || !BSON_ITER_HOLDS_UTF8(&one) ||
            strcmp(bson_iter_utf8(&one, NULL), s->plan.name) != 0)
            return false;
        if (!bson_iter_recurse(&arr, &one) || !bson_iter_find(&one, "afterKey") ||
            !BSON_ITER_HOLDS_BINARY(&one))
            continue;
        bson_iter_binary(&one, NULL, &len, &tok);
        sdb_keybuf_reset(&s->sec_after);
        if (s->sec_after.cap < len) {
            s->sec_after.data = bson_realloc(s->sec_after.data, len);
            s->sec_after.cap = len;
        }
        memcpy(s->sec_after.data, tok, len);
        s->sec_after.len = len;
        s->has_sec_after = true;
    }
    return i == ex->merge->n;
}
