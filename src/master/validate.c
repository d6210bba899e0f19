/*
 * src/master/validate.c -- VALIDATE: check a collection's records against every index.
 *
 * One snapshot under the shared catalog lock.  Pass 1 walks the records: a record that is
 * not one well-formed BSON document is corrupt (listed, and its index entries are not
 * derived); for a good one, every index entry the document should have
 * (ms_indexes_doc_entries, the very derivation the writers use) is looked up in the index
 * table; one that is not there is a missing entry.  Each entry found is distinct (a document's
 * keys are distinct, record ids differ, and a unique entry counts only when its value names
 * this record), so when an index holds more entries than pass 1 found, pass 2 walks that index
 * and lists every entry whose record is gone or whose document does not derive it: the extra
 * entries.  The reply carries raw facts; the worker (cmd/validate.c) words mongod's reply.
 *
 * Invariants: read-only; any service thread; lists stop at VALIDATE_LIST_MAX entries each
 * (the counts go on), so a badly broken collection still answers in bounded memory.
 */
#include "validate.h"

#include "../common/bsonvalid.h"
#include "../common/keyenc.h"
#include "../common/log.h"
#include "../common/sdb.h"
#include "catalog.h"
#include "indexes.h"
#include "stats.h"
#include "storereq.h"

#include <string.h>

#define VALIDATE_LIST_MAX 1000

/* What one validation collects. */
typedef struct vstate {
    WT_SESSION *s;
    const ms_coll_t *c;
    WT_CURSOR *rec;      /* the records */
    WT_CURSOR **ix;      /* one cursor per index */
    int64_t *found;      /* per index: entries pass 1 found */
    int64_t *keys;       /* per index: entries in the table */
    bool *bad;           /* per index: an inconsistency touched it */
    int64_t nrecords;    /* records walked */
    int64_t ncorrupt;    /* of those, not valid BSON */
    int64_t nmissing;    /* entries missing */
    int64_t nextra;      /* entries extra */
    bson_t missing;      /* [{indexName, recordId, key}] */
    bson_t extra;        /* [{indexName, recordId, key}] */
    bson_t corrupt;      /* [recordId] */
    size_t cur;          /* index being checked */
    int64_t rid;         /* record being checked */
    const WT_ITEM *want; /* pass 2: the entry looked for among a document's */
    bool seen;           /* pass 2: it was */
    sdb_error_t *err;    /* the request's error */
} vstate_t;

/* list_entry -- append {indexName, recordId, key} to a list of entries. */
static void
list_entry(vstate_t *v, bson_t *list, int64_t n, const WT_ITEM *key, int64_t rid)
{
    const ms_index_t *ix = &v->c->idx[v->cur];
    char buf[16];
    const char *k;
    bson_t d, decoded = BSON_INITIALIZER;

    if (n > VALIDATE_LIST_MAX)
        return;
    bson_uint32_to_string((uint32_t)(n - 1), &k, buf, sizeof(buf));
    BSON_APPEND_DOCUMENT_BEGIN(list, k, &d);
    BSON_APPEND_UTF8(&d, "indexName", ix->name);
    BSON_APPEND_INT64(&d, "recordId", rid);
    if (sdb_keyenc_decode_key(key->data, key->size, ix->key, &decoded) == 0)
        BSON_APPEND_DOCUMENT(&d, "indexKey", &decoded);
    bson_append_document_end(list, &d);
    bson_destroy(&decoded);
}

/* entry_rid -- the record an index entry names (layout: indexes.h). */
static int64_t
entry_rid(const ms_index_t *ix, const WT_ITEM *key, const WT_ITEM *value)
{
    return ix->unique ? sdb_keyenc_decode_rid(value->data, value->size)
                      : sdb_keyenc_decode_rid(key->data, key->size);
}

/* expect_cb -- pass 1: one entry the record should have in index v->cur. */
static int
expect_cb(const WT_ITEM *key, const WT_ITEM *value, void *arg)
{
    (void)value; /* the stored value may carry a cover tag too (ixcover.h): the rid decides */
    vstate_t *v = arg;
    WT_CURSOR *cur = v->ix[v->cur];
    WT_ITEM got;
    int ret;

    cur->set_key(cur, key);
    ret = cur->search(cur);
    if (ret == 0 && v->c->idx[v->cur].unique) {
        SDB_RET(cur->get_value(cur, &got)); /* its last 8 bytes name the record (indexes.h) */
        if (got.size < 8 || sdb_keyenc_decode_rid(got.data, got.size) != v->rid)
            ret = WT_NOTFOUND; /* the key names another record */
    }
    if (ret == 0) {
        v->found[v->cur]++;
    } else if (ret == WT_NOTFOUND) {
        v->bad[v->cur] = true;
        list_entry(v, &v->missing, ++v->nmissing, key, v->rid);
        ret = 0;
    }
    cur->reset(cur);
    return ret;
}

/* check_record -- pass 1 for one record. */
static int
check_record(vstate_t *v, int64_t rid, const WT_ITEM *val, sdb_error_t *err)
{
    sdb_error_t bad;
    bson_t doc;
    char buf[16];
    const char *k;

    v->nrecords++;
    if (sdb_bson_check(val->data, val->size, SDB_BSON_DEPTH_EVAL, &bad) != 0 ||
        !bson_init_static(&doc, val->data, val->size)) {
        sdb_logf(SDB_LOG_W, "STORAGE", 4835001, "Document corruption details", "%s record %lld: %s",
                 v->c->ns, (long long)rid, bad.msg);
        if (++v->ncorrupt <= VALIDATE_LIST_MAX) {
            bson_uint32_to_string((uint32_t)(v->ncorrupt - 1), &k, buf, sizeof(buf));
            BSON_APPEND_INT64(&v->corrupt, k, rid);
        }
        return 0;
    }
    v->rid = rid;
    for (v->cur = 0; v->cur < v->c->nidx; v->cur++)
        SDB_RET(ms_indexes_doc_entries(&v->c->idx[v->cur], &doc, rid, expect_cb, v, err));
    return 0;
}

/* same_cb -- pass 2: is this entry of the document the one looked for? */
static int
same_cb(const WT_ITEM *key, const WT_ITEM *value, void *arg)
{
    vstate_t *v = arg;

    (void)value;
    if (key->size == v->want->size && memcmp(key->data, v->want->data, key->size) == 0)
        v->seen = true;
    return 0;
}

/* check_entry -- pass 2 for one entry of index v->cur: extra unless its record derives it. */
static int
check_entry(vstate_t *v, const WT_ITEM *key, const WT_ITEM *value, sdb_error_t *err)
{
    const ms_index_t *ix = &v->c->idx[v->cur];
    int64_t rid = entry_rid(ix, key, value);
    WT_ITEM rec;
    bson_t doc;
    int ret;

    v->rec->set_key(v->rec, rid);
    ret = v->rec->search(v->rec);
    v->seen = false;
    v->want = key;
    if (ret == 0) {
        SDB_RET(v->rec->get_value(v->rec, &rec));
        if (sdb_bson_check(rec.data, rec.size, SDB_BSON_DEPTH_EVAL, err) == 0 &&
            bson_init_static(&doc, rec.data, rec.size))
            ret = ms_indexes_doc_entries(ix, &doc, rid, same_cb, v, err);
        else
            v->seen = true; /* a corrupt record: listed already, not this entry's fault */
    } else if (ret == WT_NOTFOUND) {
        ret = 0;
    }
    if (ret == 0 && !v->seen) {
        v->bad[v->cur] = true;
        list_entry(v, &v->extra, ++v->nextra, key, rid);
    }
    v->rec->reset(v->rec);
    return ret;
}

/* extra_cb -- pass 2 over index v->cur: check one entry. */
static int
extra_cb(WT_CURSOR *cur, void *arg)
{
    vstate_t *v = arg;
    WT_ITEM k, val;

    SDB_RET(cur->get_key(cur, &k));
    SDB_RET(cur->get_value(cur, &val));
    return check_entry(v, &k, &val, v->err);
}

/* walk_records -- pass 1 over the whole collection. */
static int
walk_records(vstate_t *v, sdb_error_t *err)
{
    WT_ITEM val;
    int64_t rid;
    int r;

    while ((r = v->rec->next(v->rec)) == 0) {
        SDB_RET(v->rec->get_key(v->rec, &rid));
        SDB_RET(v->rec->get_value(v->rec, &val));
        SDB_RET(check_record(v, rid, &val, err));
    }
    v->rec->reset(v->rec);
    return r == WT_NOTFOUND ? 0 : r;
}

static int
run_locked(vstate_t *v, sdb_error_t *err)
{
    int ret = 0;

    SDB_ERR(v->s->open_cursor(v->s, v->c->uri, NULL, NULL, &v->rec));
    for (size_t i = 0; i < v->c->nidx; i++)
        SDB_ERR(v->s->open_cursor(v->s, v->c->idx[i].uri, NULL, NULL, &v->ix[i]));
    SDB_ERR(walk_records(v, err));
    for (v->cur = 0; v->cur < v->c->nidx; v->cur++) {
        int64_t bytes;

        SDB_ERR(ms_stats_walk(v->s, v->c->idx[v->cur].uri, 0, &v->keys[v->cur], &bytes));
        if (v->keys[v->cur] != v->found[v->cur])
            SDB_ERR(ms_stats_each(v->s, v->c->idx[v->cur].uri, extra_cb, v));
    }
err:
    for (size_t i = 0; i < v->c->nidx; i++)
        if (v->ix[i] != NULL)
            SDB_TRET(v->ix[i]->close(v->ix[i]));
    if (v->rec != NULL)
        SDB_TRET(v->rec->close(v->rec));
    return ret;
}

/* append_reply -- the reply: counts, lists and per-index facts. */
static void
append_reply(const vstate_t *v, bson_t *reply)
{
    bson_t keys, bad;

    BSON_APPEND_INT64(reply, "nrecords", v->nrecords);
    BSON_APPEND_INT64(reply, "nCorrupt", v->ncorrupt);
    BSON_APPEND_INT64(reply, "nMissing", v->nmissing);
    BSON_APPEND_INT64(reply, "nExtra", v->nextra);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "keysPerIndex", &keys);
    for (size_t i = 0; i < v->c->nidx; i++)
        BSON_APPEND_INT64(&keys, v->c->idx[i].name, v->keys[i]);
    bson_append_document_end(reply, &keys);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "indexValid", &bad);
    for (size_t i = 0; i < v->c->nidx; i++)
        BSON_APPEND_BOOL(&bad, v->c->idx[i].name, !v->bad[i]);
    bson_append_document_end(reply, &bad);
    BSON_APPEND_ARRAY(reply, "missing", &v->missing);
    BSON_APPEND_ARRAY(reply, "extra", &v->extra);
    BSON_APPEND_ARRAY(reply, "corrupt", &v->corrupt);
}

int
ms_validate_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns;
    vstate_t v;
    int ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    memset(&v, 0, sizeof(v));
    v.s = ctx->session;
    v.err = err;
    bson_init(&v.missing);
    bson_init(&v.extra);
    bson_init(&v.corrupt);
    ms_catalog_rdlock();
    if ((v.c = ms_catalog_find_locked(ns)) == NULL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_NamespaceNotFound,
                              "Collection '%s' does not exist to validate.", ns));
    v.ix = bson_malloc0(v.c->nidx * sizeof(*v.ix) + 1);
    v.found = bson_malloc0(v.c->nidx * sizeof(*v.found) + 1);
    v.keys = bson_malloc0(v.c->nidx * sizeof(*v.keys) + 1);
    v.bad = bson_malloc0(v.c->nidx * sizeof(*v.bad) + 1);
    SDB_ERR(v.s->begin_transaction(v.s, NULL)); /* one snapshot for both passes */
    ret = run_locked(&v, err);
    SDB_TRET(v.s->rollback_transaction(v.s, NULL));
    if (ret == 0)
        append_reply(&v, reply);
err:
    ms_catalog_unlock();
    bson_free(v.ix);
    bson_free(v.found);
    bson_free(v.keys);
    bson_free(v.bad);
    bson_destroy(&v.missing);
    bson_destroy(&v.extra);
    bson_destroy(&v.corrupt);
    return ret;
}
