/*
 * src/master/capped.c -- capped collections: limits, accounting and insert-time trimming.
 *
 * ms_capped_attach reads {capped, size, max} from a collection's options and, given a session,
 * counts the stored records once (catalog load; later the counters move only with committed
 * writes).  ms_capped_commit_insert runs at the end of an insert's transaction: starting from
 * the committed totals plus the new record it walks the table from its lowest record id,
 * removing records and their index entries until the totals fit, then commits every oplog
 * entry at once.  Because writes to one capped collection are serialized by its mutex, the
 * totals the walk starts from are exactly what the table holds.
 *
 * Invariants: every write to a capped collection holds cp->mu from before its transaction
 * begins until it has committed or rolled back and its totals were applied; cp->bytes and
 * cp->count change only under it.  The catalog lock is held (shared) around all of it.
 */
#include "capped.h"

#include "../common/sdb.h"
#include "catalog.h"
#include "indexes.h"
#include "stats.h"
#include "store.h"

#include <string.h>

/* A capped insert's oplog entries: e[0] is the insert, then one delete per removed record. */
typedef struct trim {
    ms_oplog_entry_t *e;
    bson_t **ids; /* o of each delete: {_id} (heap: a bson_t may not move) */
    size_t n, cap;
    int64_t bytes;  /* removed */
    int64_t oldest; /* after the last removed record, or 0 */
} trim_t;

static bool
option_capped(const bson_t *options, int64_t *size, int64_t *max)
{
    bson_iter_t it;

    *size = *max = 0;
    if (!bson_iter_init_find(&it, options, "capped") || !bson_iter_as_bool(&it))
        return false;
    if (bson_iter_init_find(&it, options, "size") && BSON_ITER_HOLDS_NUMBER(&it))
        *size = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, options, "max") && BSON_ITER_HOLDS_NUMBER(&it))
        *max = bson_iter_as_int64(&it);
    return true;
}

int
ms_capped_attach(WT_SESSION *s, ms_coll_t *c)
{
    ms_capped_t *cp;
    int64_t size, max;
    int ret = 0;

    if (!option_capped(c->options, &size, &max)) {
        ms_capped_free(c->capped);
        c->capped = NULL;
        return 0;
    }
    if (c->capped != NULL) { /* collMod: new limits, same totals */
        c->capped->max_size = size;
        c->capped->max_docs = max > 0 ? max : 0;
        return 0;
    }
    cp = bson_malloc0(sizeof(*cp));
    cp->max_size = size;
    cp->max_docs = max > 0 ? max : 0;
    pthread_mutex_init(&cp->mu, NULL);
    if (s != NULL && (ret = ms_stats_walk(s, c->uri, 0, &cp->count, &cp->bytes)) != 0) {
        ms_capped_free(cp);
        return ret;
    }
    c->capped = cp;
    return 0;
}

void
ms_capped_free(ms_capped_t *cp)
{
    if (cp == NULL)
        return;
    pthread_mutex_destroy(&cp->mu);
    bson_free(cp);
}

void
ms_capped_lock(const ms_coll_t *c)
{
    if (c->capped != NULL)
        pthread_mutex_lock(&c->capped->mu);
}

void
ms_capped_unlock(const ms_coll_t *c)
{
    if (c->capped != NULL)
        pthread_mutex_unlock(&c->capped->mu);
}

int
ms_capped_check_insert(const ms_coll_t *c, const bson_t *doc, sdb_error_t *err)
{
    if (c->capped != NULL && (int64_t)doc->len > c->capped->max_size)
        return sdb_error_set(err, SDB_CODE_BadValue, "object to insert exceeds cappedMaxSize");
    return 0;
}

static void
trim_free(trim_t *t)
{
    for (size_t i = 1; i < t->n; i++)
        bson_destroy(t->ids[i]);
    bson_free(t->ids);
    bson_free(t->e);
}

/* trim_add -- a delete entry {op: "d", o: {_id}} for the removed document. */
static void
trim_add(trim_t *t, const ms_coll_t *c, const bson_t *doc)
{
    bson_iter_t it;

    if (t->n == t->cap) {
        t->cap *= 2;
        t->e = bson_realloc(t->e, t->cap * sizeof(*t->e));
        t->ids = bson_realloc(t->ids, t->cap * sizeof(*t->ids));
    }
    t->ids[t->n] = bson_new();
    if (bson_iter_init_find(&it, doc, "_id"))
        bson_append_iter(t->ids[t->n], "_id", 3, &it);
    t->e[t->n] = (ms_oplog_entry_t){"d", c->ns, c->uuid, NULL, NULL};
    t->n++;
}

/* over -- whether totals still break a limit. */
static bool
over(const ms_capped_t *cp, int64_t bytes, int64_t count)
{
    return bytes > cp->max_size || (cp->max_docs > 0 && count > cp->max_docs);
}

/* trim_oldest -- remove the oldest records (not rid) while the totals are over a limit. */
static int
trim_oldest(WT_SESSION *s, const ms_coll_t *c, int64_t rid, int64_t bytes, int64_t count, trim_t *t,
            sdb_error_t *err)
{
    WT_CURSOR *cur = NULL;
    bool first = true;
    int ret = 0, exact;
    int64_t r;
    WT_ITEM v;
    bson_t doc;

    SDB_RET(s->open_cursor(s, c->uri, NULL, NULL, &cur));
    /* Start at the oldest live record, not the table's start: the records trimmed before
     * leave deleted entries there that a walk from the start would step over every time. */
    while (over(c->capped, bytes, count)) {
        if (first) {
            cur->set_key(cur, c->capped->oldest);
            ret = cur->search_near(cur, &exact);
            if (ret == 0 && exact < 0)
                ret = cur->next(cur);
            first = false;
        } else {
            ret = cur->next(cur);
        }
        if (ret != 0)
            break;
        SDB_ERR(cur->get_key(cur, &r));
        if (r == rid)
            break; /* everything older is gone: the new record stays, as in mongod */
        SDB_ERR(cur->get_value(cur, &v));
        if (!bson_init_static(&doc, v.data, v.size))
            SDB_ERR(SDB_ECORRUPT);
        trim_add(t, c, &doc);
        SDB_ERR(ms_indexes_remove_doc(s, c, &doc, r, err));
        bytes -= (int64_t)v.size;
        t->bytes += (int64_t)v.size;
        t->oldest = r + 1;
        count--;
        SDB_ERR(cur->remove(cur));
    }
    if (ret == WT_NOTFOUND)
        ret = 0;
err:
    SDB_TRET(cur->close(cur));
    return ret;
}

int
ms_capped_commit_insert(WT_SESSION *s, const ms_coll_t *c, int64_t rid, int64_t len,
                        const ms_oplog_entry_t *e, sdb_error_t *err)
{
    ms_capped_t *cp = c->capped;
    trim_t t = {0};
    int ret;

    t.cap = 8;
    t.e = bson_malloc(t.cap * sizeof(*t.e));
    t.ids = bson_malloc(t.cap * sizeof(*t.ids));
    t.e[0] = *e;
    t.n = 1;
    ret = trim_oldest(s, c, rid, cp->bytes + len, cp->count + 1, &t, err);
    if (ret != 0) {
        s->rollback_transaction(s, NULL);
        goto err;
    }
    for (size_t i = 1; i < t.n; i++)
        t.e[i].o = t.ids[i];
    if ((ret = ms_oplog_commit_n(s, t.e, t.n, NULL)) == 0) {
        cp->bytes += len - t.bytes;
        cp->count += 1 - (int64_t)(t.n - 1);
        if (t.oldest > cp->oldest)
            cp->oldest = t.oldest;
    }
err:
    trim_free(&t);
    return ret;
}

void
ms_capped_committed(const ms_coll_t *c, int64_t dbytes, int64_t dcount)
{
    if (c->capped == NULL)
        return;
    c->capped->bytes += dbytes;
    c->capped->count += dcount;
}
