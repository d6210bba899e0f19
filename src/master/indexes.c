/*
 * src/master/indexes.c -- index entries, unique checks, index builds and drops.
 *
 * Entries: sdb_keyenc_keys_coll derives the distinct keys of a document for a key pattern
 * (in the index's collation; hashed patterns hash, wildcard ones go through wildcard.h, text
 * ones through fts/fts.h, geo ones through geo/geo_keys.h with the index's 2d options); each
 * becomes one WiredTiger entry (layout in indexes.h).  A sparse index skips documents with
 * none of its fields, a partial one those its filter (pfilter.h) does not match, so its
 * unique constraint holds only among the rest.  A prepareUnique index (non-unique layout)
 * refuses a key another record already has, unless the updated document's old image had it.  Unique indexes are opened with
 * overwrite=false, so a second key is WT_DUPLICATE_KEY, answered as mongod's E11000 error
 * with keyPattern and keyValue (decoded from the conflicting key bytes).  Two writers racing
 * for one unique key conflict in WiredTiger (WT_ROLLBACK); the caller retries and the loser
 * then sees the duplicate.
 * Builds (CREATE_INDEXES) over an existing collection, outside a transaction, run on a
 * thread of their own off the exclusive lock (ixbuild.c): while an index builds, the entry
 * writers here log its entry changes to its side table instead (ms_coll_t.bld).  A build
 * inside a transaction, or of a collection this request creates, runs here under the
 * exclusive catalog lock: a second session reads the collection while the service session
 * writes entries in transactions of BUILD_BATCH documents.  Either way the catalog row and
 * the oplog entries are written only after every requested index is built, and a failed
 * request drops every index it started (all or nothing).
 *
 * Invariants: entry writers run inside the caller's transaction under the shared catalog
 * lock; in-place builds and drops hold the exclusive lock.  Index scans live in ixscan.c.
 */
#include "indexes.h"

#include "../common/bsoncmp.h"
#include "../common/bsontext.h"
#include "../common/collation.h"
#include "../common/fts/fts.h"
#include "../common/geo/geo_keys.h"
#include "../common/keyenc.h"
#include "../common/path.h"
#include "../common/pfilter.h"
#include "../common/sdb.h"
#include "../common/wildcard.h"
#include "failpoints.h"
#include "ixbuild.h"
#include "ixcover.h"
#include "store.h"
#include "storereq.h"
#include "tablecfg.h"
#include "xact.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_BATCH 500
#define DROP_ABORT_MSG "dropIndexes command" /* mongod 7.0: an aborted build's reason */

/* ---- entries --------------------------------------------------------------------------- */

static int
field_descending(const bson_iter_t *it)
{
    return BSON_ITER_HOLDS_NUMBER(it) && bson_iter_as_double((bson_iter_t *)it) < 0;
}

/* collation_keys -- a decoded key of a collated index with each top-level string (an ICU
 * sort key, not text) shown as mongod shows it: "CollationKey(0x<hex>)". */
static void
collation_keys(const ms_index_t *ix, const bson_t *raw, bson_t *out)
{
    bson_iter_t it;
    uint32_t n;
    const char *str;

    bson_iter_init(&it, raw);
    while (bson_iter_next(&it)) {
        if (ix->coll == NULL || !BSON_ITER_HOLDS_UTF8(&it)) {
            bson_append_iter(out, bson_iter_key(&it), -1, &it);
            continue;
        }
        bson_string_t *h = bson_string_new("CollationKey(0x");
        str = bson_iter_utf8(&it, &n);
        for (uint32_t i = 0; i < n; i++)
            bson_string_append_printf(h, "%02x", (unsigned)(uint8_t)str[i]);
        bson_string_append(h, ")");
        bson_append_utf8(out, bson_iter_key(&it), -1, h->str, -1);
        bson_string_free(h, true);
    }
}

/* dup_error -- 11000 for `key` (encoded key bytes) in ix. */
static int
dup_error(const ms_coll_t *c, const ms_index_t *ix, const uint8_t *key, size_t len, bson_t *info,
          sdb_error_t *err)
{
    bson_t kv = BSON_INITIALIZER, raw = BSON_INITIALIZER, spec = BSON_INITIALIZER;
    bson_string_t *s = bson_string_new(NULL), *cs = bson_string_new(NULL);
    bson_iter_t it;
    size_t pos = 0;
    int ret;

    if (bson_iter_init(&it, ix->key)) {
        while (bson_iter_next(&it)) {
            if (sdb_keyenc_decode_value(key, len, &pos, field_descending(&it), &raw,
                                        bson_iter_key(&it)) != 0)
                break;
        }
    }
    collation_keys(ix, &raw, &kv);
    sdb_bson_text_doc(s, &kv, false);
    if (ix->coll != NULL) {
        sdb_collation_spec(ix->coll, &spec);
        bson_string_append(cs, " collation: ");
        sdb_bson_text_doc(cs, &spec, false);
    }
    ret = sdb_error_set(err, SDB_CODE_DuplicateKey,
                        "E11000 duplicate key error collection: %s index: %s%s dup key: %s", c->ns,
                        ix->name, cs->str, s->str);
    if (info != NULL) {
        BSON_APPEND_DOCUMENT(info, "keyPattern", ix->key);
        BSON_APPEND_DOCUMENT(info, "keyValue", &kv);
        if (ix->coll != NULL)
            BSON_APPEND_DOCUMENT(info, "collation", &spec);
    }
    bson_string_free(s, true);
    bson_string_free(cs, true);
    bson_destroy(&kv);
    bson_destroy(&raw);
    bson_destroy(&spec);
    return ret;
}

typedef struct entry_ctx {
    WT_CURSOR *cur;
    const ms_index_t *ix;
    int64_t rid;
    int remove;
    sdb_keybuf_t rb; /* encoded rid */
    uint8_t *buf;    /* non-unique entry key */
    size_t cap;
    uint8_t *dup; /* copy of the key that hit a unique violation */
    size_t duplen;
    uint8_t *old; /* prepareUnique on update: the old image's keys, concatenated */
    size_t old_len, old_cap;
    size_t *old_offs; /* where each starts in `old` (nold + 1 offsets) */
    size_t nold;
    ms_indexes_entry_fn visit; /* set: hand each entry to visit instead of writing it */
    void *visit_arg;
    bson_t *values;   /* the document's key values (ixcover.h), or NULL: no cover tag */
    sdb_keybuf_t val; /* the entry value being written: cover tag (+ rid when unique) */
    bool side;        /* the index builds: cur is its side-writes table (ixbuild.h) */
    sdb_keybuf_t rec; /* side mode: the side record being written */
} entry_ctx_t;

/* entry_init -- an empty entry context for index ix and record rid (both derivers start so). */
static void
entry_init(entry_ctx_t *e, const ms_index_t *ix, int64_t rid)
{
    memset(e, 0, sizeof(*e));
    e->ix = ix;
    e->rid = rid;
    sdb_keybuf_init(&e->rb);
    sdb_keybuf_init(&e->val);
}

/* old_key_cb -- remember one key of the document's old image. */
static int
old_key_cb(const uint8_t *key, size_t len, void *arg)
{
    entry_ctx_t *e = arg;

    e->old_offs = bson_realloc(e->old_offs, (e->nold + 2) * sizeof(*e->old_offs));
    e->old_offs[e->nold++] = e->old_len;
    if (e->old_cap < e->old_len + len) {
        e->old_cap = (e->old_len + len) * 2;
        e->old = bson_realloc(e->old, e->old_cap);
    }
    memcpy(e->old + e->old_len, key, len);
    e->old_len += len;
    e->old_offs[e->nold] = e->old_len;
    return 0;
}

/* had_key -- the old image had this key (an update that keeps a key meets no duplicate
 * check: mongod leaves an unchanged key alone, even among duplicates from before). */
static bool
had_key(const entry_ctx_t *e, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < e->nold; i++)
        if (e->old_offs[i + 1] - e->old_offs[i] == len &&
            memcmp(e->old + e->old_offs[i], key, len) == 0)
            return true;
    return false;
}

/* prefix_taken -- does a non-unique index hold `key` (len bytes) for another record than
 * `rid`?  (prepareUnique: such an index refuses new duplicates.)  Leaves the cursor reset. */
static int
prefix_taken(WT_CURSOR *cur, const uint8_t *key, size_t len, int64_t rid, bool *taken)
{
    WT_ITEM k;
    int exact, ret;

    *taken = false;
    k.data = key;
    k.size = len;
    cur->set_key(cur, &k);
    ret = cur->search_near(cur, &exact);
    if (ret == 0 && exact < 0)
        ret = cur->next(cur);
    while (ret == 0) {
        SDB_RET(cur->get_key(cur, &k));
        if (k.size != len + 8 || memcmp(k.data, key, len) != 0)
            break;
        if (sdb_keyenc_decode_rid(k.data, k.size) != rid) {
            *taken = true;
            break;
        }
        ret = cur->next(cur);
    }
    cur->reset(cur);
    return ret == WT_NOTFOUND ? 0 : ret;
}

static int
entry_cb(const uint8_t *key, size_t len, void *arg)
{
    entry_ctx_t *e = arg;
    WT_CURSOR *cur = e->cur;
    WT_ITEM k, v;
    int ret;

    sdb_keybuf_reset(&e->rb);
    sdb_keyenc_rid(&e->rb, e->rid);
    sdb_keybuf_reset(&e->val);
    if (e->values != NULL && !e->remove)
        ms_ixcover_tag(e->ix, e->values, key, len, &e->val);
    if (e->ix->unique)
        sdb_keyenc_rid(&e->val, e->rid); /* the record id stays the value's last 8 bytes */
    k.data = key;
    k.size = len;
    v.data = e->val.data;
    v.size = e->val.len;
    if (!e->side && !e->ix->unique && e->ix->prepare_unique && !e->remove && e->visit == NULL &&
        !had_key(e, key, len)) {
        bool taken;

        SDB_RET(prefix_taken(cur, key, len, e->rid, &taken));
        if (taken) {
            e->dup = bson_malloc(len > 0 ? len : 1);
            memcpy(e->dup, key, len);
            e->duplen = len;
            return WT_DUPLICATE_KEY;
        }
    }
    if (!e->ix->unique) {
        /* entry = key bytes + rid */
        if (e->cap < len + e->rb.len) {
            e->cap = (len + e->rb.len) * 2;
            e->buf = bson_realloc(e->buf, e->cap);
        }
        memcpy(e->buf, key, len);
        memcpy(e->buf + len, e->rb.data, e->rb.len);
        k.data = e->buf;
        k.size = len + e->rb.len;
    }
    if (e->visit != NULL)
        return e->visit(&k, &v, e->visit_arg);
    if (e->side)
        return ms_ixbuild_side_put(cur, &e->rec, e->remove, e->rid, &k, &v);
    cur->set_key(cur, &k);
    if (e->remove) {
        ret = cur->remove(cur);
        return ret == WT_NOTFOUND ? 0 : ret;
    }
    cur->set_value(cur, &v);
    ret = cur->insert(cur);
    if (ret == WT_DUPLICATE_KEY) {
        /* key is only valid during this call: keep a copy for the error message. */
        e->dup = bson_malloc(len > 0 ? len : 1);
        memcpy(e->dup, key, len);
        e->duplen = len;
    }
    return ret;
}

/* path_present -- whether dotted `path` names at least one value in the document at `it`
 * (descending through arrays of documents, as index keys do). */
static bool
path_present(bson_iter_t *it, const char *path)
{
    const char *dot = strchr(path, '.');
    size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
    bson_iter_t child, arr;

    while (bson_iter_next(it)) {
        if (strlen(bson_iter_key(it)) != n || strncmp(bson_iter_key(it), path, n) != 0)
            continue;
        if (dot == NULL)
            return true;
        if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child))
            return path_present(&child, dot + 1);
        if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &arr))
            return false;
        const char *rest = strchr(dot + 1, '.');
        size_t m = rest != NULL ? (size_t)(rest - dot - 1) : strlen(dot + 1);
        while (bson_iter_next(&arr)) {
            const char *k = bson_iter_key(&arr);
            bool pos = strlen(k) == m && strncmp(k, dot + 1, m) == 0; /* "a.0" */
            if (pos && rest == NULL)
                return true;
            if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &child) &&
                path_present(&child, pos ? rest + 1 : dot + 1))
                return true;
        }
        return false;
    }
    return false;
}

/* sparse_skip -- a sparse index has no entry for a document with none of its key fields. */
static bool
sparse_skip(const ms_index_t *ix, const bson_t *doc)
{
    bson_iter_t kp, d;

    if (!ix->sparse || !bson_iter_init(&kp, ix->key))
        return false;
    while (bson_iter_next(&kp))
        if (bson_iter_init(&d, doc) && path_present(&d, bson_iter_key(&kp)))
            return false;
    return true;
}

static int
coll_str_cmp(void *ctx, const char *a, size_t alen, const char *b, size_t blen)
{
    return sdb_collation_str_cmp(ctx, a, alen, b, blen);
}

/* in_filter -- doc matches ix's partial filter (read under the index's collation). */
static bool
in_filter(const ms_index_t *ix, const bson_t *doc)
{
    sdb_bson_str_cmp_t sc = {coll_str_cmp, ix->coll};

    return sdb_pfilter_matches(ix->filter, doc, ix->coll != NULL ? &sc : NULL);
}

/* wildcard_entries -- a wildcard index's entries of doc (wildcard.h). */
static int
wildcard_entries(const ms_index_t *ix, const bson_t *doc, entry_ctx_t *e, sdb_error_t *err)
{
    bson_t proj;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    bool has =
        bson_iter_init_find(&it, ix->spec, "wildcardProjection") && BSON_ITER_HOLDS_DOCUMENT(&it);

    if (has) {
        bson_iter_document(&it, &len, &data);
        has = bson_init_static(&proj, data, len);
    }
    return sdb_wildcard_keys(doc, ix->key, has ? &proj : NULL, ix->coll, entry_cb, e, err);
}

/* mark_multikey -- OR doc's array prefixes into ix's masks (the fields of a shared-locked
 * index that writers may set, catalog.h); true when a bit was new: the workers' planners then
 * learn it through the catalog version, and the caller persists the row. */
static bool
mark_multikey(const ms_index_t *ix, const bson_t *doc)
{
    bson_iter_t kp;
    bool grew = false;

    if (!bson_iter_init(&kp, ix->key))
        return false;
    for (size_t f = 0; f < ix->nkf && bson_iter_next(&kp); f++) {
        uint64_t m = sdb_path_array_prefixes(doc, bson_iter_key(&kp));

        if (m == 0 || (__atomic_load_n(&ix->mkmask[f], __ATOMIC_ACQUIRE) & m) == m)
            continue;
        __atomic_fetch_or(&ix->mkmask[f], m, __ATOMIC_ACQ_REL);
        grew = true;
    }
    if (!__atomic_load_n(&ix->multikey, __ATOMIC_ACQUIRE)) {
        __atomic_store_n((bool *)&ix->multikey, true, __ATOMIC_RELEASE);
        grew = true;
    }
    if (grew)
        ms_store_bump_catalog();
    return grew;
}

/* derive -- hand entry_cb every key doc has in ix, by the index's kind (wildcard, text,
 * geo, or a plain key pattern); *multikey is set when an array expanded into several. */
static int
derive(const ms_index_t *ix, const bson_t *doc, entry_ctx_t *e, int *multikey, sdb_error_t *err)
{
    if (sdb_wildcard_pattern(ix->key))
        return wildcard_entries(ix, doc, e, err);
    if (sdb_fts_pattern(ix->key))
        return sdb_fts_keys(doc, ix->spec, entry_cb, e, err); /* text: fts/fts.h */
    if (sdb_geo_pattern_kind(ix->key, NULL) != SDB_GEO_NONE)  /* a 2d index's grid */
        return sdb_geo_keys_spec(doc, ix->key, ix->spec, ix->coll, entry_cb, e, multikey, err);
    return sdb_keyenc_keys_coll(doc, ix->key, ix->coll, entry_cb, e, multikey, err);
}

/* index_doc_to -- add (or remove) doc's entries in one index, or, when `side`, log them to
 * its side-writes table; *grew (may be NULL) set when a multikey mask gained a bit. */
static int
index_doc_to(WT_SESSION *s, const ms_coll_t *c, const ms_index_t *ix, bool side, const bson_t *doc,
             const bson_t *old, int64_t rid, int remove, bson_t *info, bool *grew, sdb_error_t *err)
{
    entry_ctx_t e;
    bson_t values;
    int multikey = 0, ret = 0;

    if (sparse_skip(ix, doc) || !in_filter(ix, doc))
        return 0;
    entry_init(&e, ix, rid);
    e.remove = remove;
    e.side = side;
    sdb_keybuf_init(&e.rec);
    if (!remove && ms_ixcover_values(ix, doc, &values))
        e.values = &values;
    if (old != NULL && ix->prepare_unique && !sdb_wildcard_pattern(ix->key) &&
        !sparse_skip(ix, old) && in_filter(ix, old))
        SDB_ERR(sdb_keyenc_keys_coll(old, ix->key, ix->coll, old_key_cb, &e, NULL, err));
    if (side)
        SDB_ERR(s->open_cursor(s, ix->side, NULL, "append", &e.cur));
    else
        SDB_ERR(s->open_cursor(s, ix->uri, NULL, ix->unique && !remove ? "overwrite=false" : NULL,
                               &e.cur));
    ret = derive(ix, doc, &e, &multikey, err);
    if (multikey && !remove && ret == 0 && mark_multikey(ix, doc) && grew != NULL)
        *grew = true;
    if (ret == WT_DUPLICATE_KEY && e.dup != NULL)
        ret = dup_error(c, ix, e.dup, e.duplen, info, err);
err:
    if (e.cur != NULL)
        SDB_TRET(e.cur->close(e.cur));
    bson_free(e.buf);
    bson_free(e.dup);
    bson_free(e.old);
    bson_free(e.old_offs);
    sdb_keybuf_free(&e.rb);
    sdb_keybuf_free(&e.val);
    sdb_keybuf_free(&e.rec);
    if (!remove)
        bson_destroy(&values);
    return ret;
}

/* index_doc -- index_doc_to, into the side table while ix builds. */
static int
index_doc(WT_SESSION *s, const ms_coll_t *c, const ms_index_t *ix, const bson_t *doc,
          const bson_t *old, int64_t rid, int remove, bson_t *info, bool *grew, sdb_error_t *err)
{
    return index_doc_to(s, c, ix, ix->side[0] != '\0', doc, old, rid, remove, info, grew, err);
}

/* building_docs -- log doc's entry changes for every index c builds (ixbuild.h). */
static int
building_docs(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid, int remove,
              sdb_error_t *err)
{
    for (size_t i = 0; i < c->nbld; i++)
        SDB_RET(index_doc(s, c, c->bld[i], doc, NULL, rid, remove, NULL, NULL, err));
    return 0;
}

int
ms_indexes_build_doc(WT_SESSION *s, const ms_coll_t *c, const ms_index_t *ix, const bson_t *doc,
                     int64_t rid, bson_t *info, sdb_error_t *err)
{
    return index_doc_to(s, c, ix, false, doc, NULL, rid, 0, info, NULL, err);
}

int
ms_indexes_dup_error(const ms_coll_t *c, const ms_index_t *ix, const uint8_t *key, size_t len,
                     bson_t *info, sdb_error_t *err)
{
    return dup_error(c, ix, key, len, info, err);
}

/* fp_skip -- mongod's test failpoints skipIndexNewRecords / skipUnindexingDocumentWhenDeleted
 * ({indexName}): when `fp` fires, *skip names the index whose entries this write leaves out,
 * which corrupts that index on purpose (validate's tests).  *skip is NULL otherwise. */
static char *
fp_skip(const char *fp)
{
    bson_t data;
    bson_iter_t it;
    char *name = NULL;

    if (ms_failpoints_fire(fp, &data) && bson_iter_init_find(&it, &data, "indexName") &&
        BSON_ITER_HOLDS_UTF8(&it))
        name = bson_strdup(bson_iter_utf8(&it, NULL));
    bson_destroy(&data);
    return name;
}

static bool
skipped(const char *skip, const ms_index_t *ix)
{
    return skip != NULL && strcmp(skip, ix->name) == 0;
}

/* index_all -- add (or remove) doc's entries in every index but the one failpoint `fp`
 * names. */
static int
index_all(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid, int remove,
          bson_t *info, const char *fp, sdb_error_t *err)
{
    char *skip = fp_skip(fp);
    bool grew = false;
    int ret = 0;

    for (size_t i = 0; i < c->nidx && ret == 0; i++)
        if (!skipped(skip, &c->idx[i]))
            ret = index_doc(s, c, &c->idx[i], doc, NULL, rid, remove, info, &grew, err);
    bson_free(skip);
    if (ret == 0)
        ret = building_docs(s, c, doc, rid, remove, err);
    return ret == 0 && grew ? ms_catalog_persist_multikey(s, c) : ret;
}

int
ms_indexes_insert_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid,
                      bson_t *info, sdb_error_t *err)
{
    return index_all(s, c, doc, rid, 0, info, "skipIndexNewRecords", err);
}

int
ms_indexes_update_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *old, const bson_t *doc,
                      int64_t rid, bson_t *info, sdb_error_t *err)
{
    bool grew = false;

    for (size_t i = 0; i < c->nidx; i++)
        SDB_RET(index_doc(s, c, &c->idx[i], doc, old, rid, 0, info, &grew, err));
    SDB_RET(building_docs(s, c, doc, rid, 0, err));
    return grew ? ms_catalog_persist_multikey(s, c) : 0;
}

int
ms_indexes_remove_doc(WT_SESSION *s, const ms_coll_t *c, const bson_t *doc, int64_t rid,
                      sdb_error_t *err)
{
    return index_all(s, c, doc, rid, 1, NULL, "skipUnindexingDocumentWhenDeleted", err);
}

int
ms_indexes_doc_entries(const ms_index_t *ix, const bson_t *doc, int64_t rid, ms_indexes_entry_fn fn,
                       void *arg, sdb_error_t *err)
{
    entry_ctx_t e;
    int multikey = 0, ret = 0;

    if (sparse_skip(ix, doc) || !in_filter(ix, doc))
        return 0;
    entry_init(&e, ix, rid);
    e.visit = fn;
    e.visit_arg = arg;
    ret = derive(ix, doc, &e, &multikey, err);
    bson_free(e.buf);
    sdb_keybuf_free(&e.rb);
    sdb_keybuf_free(&e.val);
    return ret;
}

int64_t
ms_indexes_table_size(WT_SESSION *s, const char *uri)
{
    char stat_uri[MS_URI_MAX + 16];
    WT_CURSOR *cur = NULL;
    int64_t size = 0;
    const char *desc, *pvalue;

    if (ms_store_in_memory())
        return 0;
    snprintf(stat_uri, sizeof(stat_uri), "statistics:%s", uri);
    if (s->open_cursor(s, stat_uri, NULL, "statistics=(fast)", &cur) != 0)
        return 0;
    cur->set_key(cur, WT_STAT_DSRC_BLOCK_SIZE);
    if (cur->search(cur) != 0 || cur->get_value(cur, &desc, &pvalue, &size) != 0)
        size = 0;
    cur->close(cur);
    return size;
}

/* ---- builds ---------------------------------------------------------------------------- */

/* build_index -- create ix's table (on s) and fill it from every record of c: read by a
 * second session and written on s in transactions of BUILD_BATCH documents, or, inside a
 * transaction (xs not NULL), read and written in xs's transaction, which sees its own
 * uncommitted records. */
static int
build_index(WT_SESSION *s, WT_SESSION *xs, const ms_coll_t *c, const ms_index_t *ix, bson_t *info,
            sdb_error_t *err)
{
    WT_SESSION *rs = NULL, *ws = xs != NULL ? xs : s;
    WT_CURSOR *cur = NULL;
    int64_t rid;
    WT_ITEM v;
    bson_t doc;
    int ret = 0, r, n = 0, in_txn = 0;

    SDB_ERR(ms_tablecfg_create_index(s, ix->uri, c->options, ix->spec, err));
    if (xs == NULL)
        SDB_ERR(ms_store_conn()->open_session(ms_store_conn(), NULL, "isolation=snapshot", &rs));
    SDB_ERR((xs != NULL ? xs : rs)->open_cursor(xs != NULL ? xs : rs, c->uri, NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0) {
        SDB_ERR(cur->get_key(cur, &rid));
        SDB_ERR(cur->get_value(cur, &v));
        if (!bson_init_static(&doc, v.data, v.size))
            SDB_ERR(SDB_ECORRUPT);
        if (!in_txn && xs == NULL) {
            SDB_ERR(s->begin_transaction(s, NULL));
            in_txn = 1;
        }
        SDB_ERR(index_doc(ws, c, ix, &doc, NULL, rid, 0, info, NULL, err)); /* row: at the end */
        if (in_txn && ++n % BUILD_BATCH == 0) {
            in_txn = 0;
            SDB_ERR(s->commit_transaction(s, NULL));
        }
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
    if (in_txn) {
        in_txn = 0;
        SDB_ERR(s->commit_transaction(s, NULL));
    }
err:
    if (in_txn)
        s->rollback_transaction(s, NULL);
    if (xs != NULL && cur != NULL)
        cur->close(cur);
    if (rs != NULL)
        SDB_TRET(rs->close(rs, NULL));
    return ret;
}

/* spec_options -- the spec without v, key, name, ns and background (what "same options"
 * compares). */
static void
spec_options(const bson_t *spec, bson_t *out)
{
    bson_init(out);
    bson_copy_to_excluding_noinit(spec, out, "v", "key", "name", "ns", "background", NULL);
}

static int
same_options(const bson_t *a, const bson_t *b)
{
    bson_t oa, ob;
    int same;

    spec_options(a, &oa);
    spec_options(b, &ob);
    same = sdb_bson_doc_cmp(&oa, &ob) == 0;
    bson_destroy(&oa);
    bson_destroy(&ob);
    return same;
}

/* field_equal -- spec a and b have the same value for `field`, or both lack it. */
static bool
field_equal(const bson_t *a, const bson_t *b, const char *field)
{
    bson_iter_t x, y;
    bool hx = bson_iter_init_find(&x, a, field), hy = bson_iter_init_find(&y, b, field);

    return hx == hy && (!hx || sdb_bson_iter_cmp(&x, &y) == 0);
}

/* same_identity -- mongod's "equivalent" indexes: the same key pattern, collation, partial
 * filter and wildcard projection (two indexes on one key may differ in those). */
static bool
same_identity(const bson_t *key, const bson_t *spec, const ms_index_t *ix)
{
    return sdb_bson_doc_cmp(key, ix->key) == 0 && field_equal(spec, ix->spec, "collation") &&
           field_equal(spec, ix->spec, "partialFilterExpression") &&
           field_equal(spec, ix->spec, "wildcardProjection");
}

/* check_spec -- validate one requested spec against the indexes c has; *exists = 1 when an
 * identical index is already there. */
static int
check_spec(const ms_coll_t *c, const bson_t *spec, int *exists, sdb_error_t *err)
{
    const char *name;
    bson_t key;
    char *a, *b;
    int ret;

    *exists = 0;
    SDB_RET(ms_req_str(spec, "name", false, &name, err));
    SDB_RET(ms_req_doc(spec, "key", false, &key, NULL, err));
    if (name[0] == '\0' || bson_count_keys(&key) == 0)
        return sdb_error_set(err, SDB_CODE_CannotCreateIndex, "Index keys cannot be empty.");
    for (size_t i = 0; i < c->nidx; i++) {
        const ms_index_t *ix = &c->idx[i];
        int same_key = same_identity(&key, spec, ix);
        if (strcmp(ix->name, name) == 0) {
            if (same_key && same_options(spec, ix->spec)) {
                *exists = 1;
                return 0;
            }
            a = sdb_bson_text_new(spec);
            b = sdb_bson_text_new(ix->spec);
            ret = same_key ? sdb_error_set(err, SDB_CODE_IndexOptionsConflict,
                                           "An equivalent index already exists with the same "
                                           "name but different options. Requested index: %s, "
                                           "existing index: %s",
                                           a, b)
                           : sdb_error_set(err, SDB_CODE_IndexKeySpecsConflict,
                                           "An existing index has the same name as the "
                                           "requested index. When index names are not "
                                           "specified, they are auto generated and can cause "
                                           "conflicts. Please refer to our documentation. "
                                           "Requested index: %s, existing index: %s",
                                           a, b);
            bson_free(a);
            bson_free(b);
            return ret;
        }
        if (same_key)
            return sdb_error_set(err, SDB_CODE_IndexOptionsConflict,
                                 "Index already exists with a different name: %s", ix->name);
    }
    return 0;
}

/* add_indexes_locked -- check, build and record every spec of `specs` (exclusive lock): on
 * own, or inside transaction x (tables on own, entries and records in x's transaction). */
static int
add_indexes_locked(WT_SESSION *own, ms_xact_t *x, ms_coll_t *c, bson_iter_t *specs, bson_t *reply,
                   sdb_error_t *err)
{
    size_t before = c->nidx, n;
    char uri[MS_URI_MAX];
    int exists, ret = 0;
    const char *coll = strchr(c->ns, '.') + 1;
    bson_t spec, o;

    while (bson_iter_next(specs)) {
        SDB_ERR(ms_req_iter_doc(specs, "indexes", &spec, err));
        SDB_ERR(check_spec(c, &spec, &exists, err));
        if (exists)
            continue;
        if (x != NULL && c->creator != x)
            SDB_ERR(sdb_error_set(err, SDB_CODE_OperationNotSupportedInTransaction,
                                  "Cannot create new indexes on existing collection %s in a "
                                  "multi-document transaction.",
                                  c->ns));
        ms_catalog_new_uri("index", uri, sizeof(uri));
        SDB_ERR(ms_catalog_index_add_locked(c, &spec, uri));
        SDB_ERR(build_index(own, x != NULL ? ms_xact_session(x) : NULL, c, &c->idx[c->nidx - 1],
                            reply, err));
    }
    for (size_t i = before; i < c->nidx; i++) {
        bson_init(&o);
        BSON_APPEND_UTF8(&o, "createIndexes", coll);
        bson_concat(&o, c->idx[i].spec);
        ret = ms_catalog_log_ddl_locked(own, x, c, i == before, &o);
        bson_destroy(&o);
        SDB_ERR(ret);
    }
    return 0;
err:
    n = c->nidx;
    for (size_t i = n; i > before; i--) {
        ms_catalog_drop_table(own, c->idx[i - 1].uri);
        ms_catalog_index_remove_locked(c, i - 1);
    }
    return ret;
}

/* build_off_lock -- hand the new specs of `req` to a build of their own (ixbuild.h): 0 when
 * parked (or answered), SDB_EAGAIN when this request is answered in place (every index
 * exists, a spec named twice, or no channel to park on). */
static int
build_off_lock(ms_ctx_t *ctx, ms_coll_t *c, const bson_t *req, sdb_error_t *err)
{
    bson_t *specs = NULL;
    bson_iter_t it;
    const char *name, *other;
    size_t n = 0;
    int exists, ret = 0;

    SDB_RET(ms_req_array(req, "indexes", false, &it, NULL, err));
    while (bson_iter_next(&it))
        n++;
    specs = bson_malloc0((n > 0 ? n : 1) * sizeof(*specs)); /* never moved: a bson_t points
                                                              * into itself */
    n = 0;
    SDB_ERR(ms_req_array(req, "indexes", false, &it, NULL, err));
    while (bson_iter_next(&it)) {
        SDB_ERR(ms_req_iter_doc(&it, "indexes", &specs[n], err));
        SDB_ERR(check_spec(c, &specs[n], &exists, err));
        SDB_ERR(ms_req_str(&specs[n], "name", false, &name, err));
        for (size_t i = 0; i < n; i++)
            if (ms_req_str(&specs[i], "name", false, &other, err) == 0 && strcmp(name, other) == 0)
                SDB_ERR(SDB_EAGAIN); /* built in place, which answers as before */
        if (ms_ixbuild_building(c, name) != NULL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_IndexBuildAlreadyInProgress,
                                  "Index build already in progress: %s", name));
        if (!exists)
            n++;
    }
    ret = n == 0 ? SDB_EAGAIN : ms_ixbuild_start(ctx, req, c, specs, n, err);
err:
    bson_free(specs);
    return ret;
}

/* check_table_configs -- every spec's storageEngine configString, validated by WiredTiger
 * before anything is created (tablecfg.h). */
static int
check_table_configs(const bson_iter_t *specs, sdb_error_t *err)
{
    bson_iter_t it = *specs;
    bson_t spec;

    while (bson_iter_next(&it)) {
        SDB_RET(ms_req_iter_doc(&it, "indexes", &spec, err));
        SDB_RET(ms_tablecfg_check(&spec, "storageEngine", err));
    }
    return 0;
}

int
ms_indexes_op_create(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns;
    bson_iter_t specs;
    ms_coll_t *c;
    int created = 0, ret = 0;
    size_t before;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_array(req, "indexes", false, &specs, NULL, err));
    SDB_RET(check_table_configs(&specs, err));
    ms_catalog_wrlock();
    if ((c = ms_catalog_find_locked(ns)) == NULL) {
        SDB_ERR(ms_catalog_create_locked(ctx->own, ctx->xact, ns, NULL, &c, err));
        created = 1;
    }
    SDB_ERR(ms_catalog_created_by_other(c, ctx->xact, err));
    before = c->nidx;
    if (!created && ctx->xact == NULL) {
        if ((ret = build_off_lock(ctx, c, req, err)) != SDB_EAGAIN)
            goto err; /* parked (answered by the build), or refused */
        ret = 0;
    }
    SDB_ERR(add_indexes_locked(ctx->own, ctx->xact, c, &specs, reply, err));
    if (c->nidx != before)
        ms_store_bump_catalog();
    BSON_APPEND_INT32(reply, "numIndexesBefore", (int32_t)before);
    BSON_APPEND_INT32(reply, "numIndexesAfter", (int32_t)c->nidx);
    BSON_APPEND_BOOL(reply, "createdCollectionAutomatically", created);
    if (c->nidx == before)
        BSON_APPEND_UTF8(reply, "note", "all indexes already exist");
err:
    ms_catalog_unlock();
    return ret;
}

/* find_drop_target -- resolve DROP_INDEXES' `index` to one position (or all for "*"). */
static int
find_drop_target(const ms_coll_t *c, const bson_t *req, size_t *pos, int *all, sdb_error_t *err)
{
    bson_iter_t it;
    bson_t key;
    char *str;
    int ret;

    *all = 0;
    if (!bson_iter_init_find(&it, req, "index"))
        return sdb_error_set(err, SDB_CODE_BadValue, "missing required field 'index'");
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        const char *name = bson_iter_utf8(&it, NULL);
        if (strcmp(name, "*") == 0) {
            *all = 1;
            return 0;
        }
        for (*pos = 0; *pos < c->nidx; (*pos)++)
            if (strcmp(c->idx[*pos].name, name) == 0)
                return *pos == 0
                           ? sdb_error_set(err, SDB_CODE_InvalidOptions, "cannot drop _id index")
                           : 0;
        return sdb_error_set(err, SDB_CODE_IndexNotFound, "index not found with name [%s]", name);
    }
    SDB_RET(ms_req_iter_doc(&it, "index", &key, err));
    for (*pos = 0; *pos < c->nidx; (*pos)++)
        if (sdb_bson_doc_cmp(&key, c->idx[*pos].key) == 0)
            return *pos == 0 ? sdb_error_set(err, SDB_CODE_InvalidOptions, "cannot drop _id index")
                             : 0;
    str = sdb_bson_text_new(&key);
    ret = sdb_error_set(err, SDB_CODE_IndexNotFound, "can't find index with key: %s", str);
    bson_free(str);
    return ret;
}

/* drop_one_locked -- remove c->idx[i]: catalog row and oplog entry, then the table. */
static int
drop_one_locked(WT_SESSION *s, ms_coll_t *c, size_t i)
{
    char uri[MS_URI_MAX];
    bson_t o;
    int ret;

    bson_init(&o);
    BSON_APPEND_UTF8(&o, "dropIndexes", strchr(c->ns, '.') + 1);
    BSON_APPEND_UTF8(&o, "index", c->idx[i].name);
    snprintf(uri, sizeof(uri), "%s", c->idx[i].uri);
    ms_catalog_index_remove_locked(c, i);
    ret = ms_catalog_log_ddl_locked(s, NULL, c, true, &o);
    bson_destroy(&o);
    if (ret == 0)
        ret = ms_catalog_drop_table(s, uri);
    return ret;
}

/* building_target -- the name of the index still building that DROP_INDEXES' `index` names
 * (a name or a key pattern), or NULL. */
static const char *
building_target(const ms_coll_t *c, const bson_t *req)
{
    sdb_error_t e;
    bson_iter_t it;
    bson_t key;

    if (!bson_iter_init_find(&it, req, "index"))
        return NULL;
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        const ms_index_t *ix = ms_ixbuild_building(c, bson_iter_utf8(&it, NULL));
        return ix != NULL ? ix->name : NULL;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it) || ms_req_iter_doc(&it, "index", &key, &e) != 0)
        return NULL;
    for (size_t i = 0; i < c->nbld; i++)
        if (sdb_bson_doc_cmp(&key, c->bld[i]->key) == 0)
            return c->bld[i]->name;
    return NULL;
}

int
ms_indexes_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *building;
    ms_coll_t *c;
    size_t pos = 0;
    int all, ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    ms_catalog_wrlock();
    if ((c = ms_catalog_find_locked(ns)) == NULL) {
        ret = sdb_error_set(err, SDB_CODE_NamespaceNotFound, "ns not found");
        goto err;
    }
    if ((building = building_target(c, req)) != NULL) { /* mongod 7.0 aborts its build */
        BSON_APPEND_INT32(reply, "nIndexesWas", (int32_t)(c->nidx + c->nbld));
        ms_ixbuild_abort_locked(c, building, DROP_ABORT_MSG);
        ms_store_bump_catalog();
        goto err;
    }
    SDB_ERR(find_drop_target(c, req, &pos, &all, err));
    if (all)
        ms_ixbuild_abort_locked(c, NULL, DROP_ABORT_MSG);
    BSON_APPEND_INT32(reply, "nIndexesWas", (int32_t)c->nidx);
    if (all) {
        while (c->nidx > 1)
            SDB_ERR(drop_one_locked(ctx->session, c, c->nidx - 1));
    } else {
        SDB_ERR(drop_one_locked(ctx->session, c, pos));
    }
    ms_store_bump_catalog();
err:
    ms_catalog_unlock();
    return ret;
}
