/*
 * src/master/catalog.c -- the catalog table, its in-memory cache and collection DDL.
 *
 * `table:catalog` maps ns -> {ns, uuid, options, table, indexes: [{...spec, table}]}.  At
 * open every row is loaded into an ms_coll_t (index specs kept without their "table" field,
 * exactly as listIndexes shows them), each collection's record-id counter starts after the
 * largest key in its table, and tables named coll-<n>/index-<n> that no row references
 * (left by a crash between a DDL's steps) are dropped.  Table numbers come from one counter
 * that starts above every number in the WiredTiger metadata, so a name is never reused.
 * A DDL operation creates or drops WiredTiger tables outside any transaction, then writes
 * the catalog row and its "c" oplog entry in one transaction.  A table drop that finds the
 * table busy (a checkpoint, a cursor) is retried from ms_catalog_tick.
 *
 * Invariants: cat_lock (writer-preferring rwlock) guards cat_colls and every ms_coll_t /
 * ms_index_t field except next_rid (atomic); see catalog.h for who holds it how.  The
 * pending-drop list has its own mutex.  Catalog version bumps happen only after a DDL
 * change is committed.
 */
#include "catalog.h"

#include "../common/collation.h"
#include "../common/log.h"
#include "../common/pfilter.h"
#include "../common/sdb.h"
#include "capped.h"
#include "ixbuild.h"
#include "ixmod.h"
#include "oplog.h"
#include "store.h"
#include "storereq.h"
#include "tablecfg.h"
#include "ttl.h"
#include "xact.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define CATALOG_URI "table:catalog"

static pthread_rwlock_t cat_lock;
static pthread_mutex_t mk_mutex = PTHREAD_MUTEX_INITIALIZER;
static WT_SESSION *mk_session; /* the multikey rows' own session (under mk_mutex) */
static pthread_once_t cat_once = PTHREAD_ONCE_INIT;
static ms_coll_t **cat_colls;
static size_t cat_n, cat_cap;
static _Atomic uint64_t cat_ident;
static pthread_mutex_t cat_drop_mu = PTHREAD_MUTEX_INITIALIZER;
static char **cat_pending;
static size_t cat_npending;

static void
lock_init(void)
{
    pthread_rwlockattr_t a;

    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&cat_lock, &a);
    pthread_rwlockattr_destroy(&a);
}

void
ms_catalog_rdlock(void)
{
    pthread_once(&cat_once, lock_init);
    pthread_rwlock_rdlock(&cat_lock);
}

void
ms_catalog_wrlock(void)
{
    pthread_once(&cat_once, lock_init);
    pthread_rwlock_wrlock(&cat_lock);
}

void
ms_catalog_unlock(void)
{
    pthread_rwlock_unlock(&cat_lock);
}

/* ---- cache structures ------------------------------------------------------------------ */

static void
index_free(ms_index_t *ix)
{
    bson_free(ix->name);
    if (ix->spec != NULL)
        bson_destroy(ix->spec);
    if (ix->key != NULL)
        bson_destroy(ix->key);
    sdb_pfilter_free(ix->filter);
    sdb_collation_free(ix->coll);
    bson_free(ix->mkmask);
    memset(ix, 0, sizeof(*ix));
}

static void
coll_free(ms_coll_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nidx; i++)
        index_free(&c->idx[i]);
    bson_free(c->idx);
    bson_free(c->bld); /* the builds own their indexes and notice the drop */
    bson_free(c->ns);
    if (c->options != NULL)
        bson_destroy(c->options);
    ms_capped_free(c->capped);
    bson_free(c);
}

/* index_options -- compile spec.partialFilterExpression and open spec.collation (each NULL
 * when absent).  The worker checks both before a spec is stored; a row written before these
 * checks existed may hold one this version cannot read: it is logged and the index keeps
 * its former behaviour (every document, binary keys) rather than stop the server. */
static void
index_options(const bson_t *spec, const char *name, struct sdb_pfilter **filter,
              struct sdb_collation **coll)
{
    static const char *const fields[] = {"partialFilterExpression", "collation"};
    const uint8_t *data;
    uint32_t len;
    bson_iter_t it;
    sdb_error_t e;
    bson_t d;

    *filter = NULL;
    *coll = NULL;
    memset(&e, 0, sizeof(e));
    for (int i = 0; i < 2; i++) {
        if (!bson_iter_init_find(&it, spec, fields[i]) || !BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &data);
        if (bson_init_static(&d, data, len) &&
            (i == 0 ? sdb_pfilter_new(&d, filter, &e) : sdb_collation_new(&d, coll, &e)) == 0)
            continue;
        sdb_logf(SDB_LOG_W, "INDEX", 22601, "Index option ignored", "%s: %s: %s", name, fields[i],
                 e.msg);
    }
}

int
ms_catalog_index_init(ms_index_t *out, const bson_t *spec, const char *uri)
{
    ms_index_t ix;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    memset(&ix, 0, sizeof(ix));
    if (!bson_iter_init_find(&it, spec, "name") || !BSON_ITER_HOLDS_UTF8(&it))
        return SDB_ECORRUPT;
    ix.name = bson_strdup(bson_iter_utf8(&it, NULL));
    if (!bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_free(ix.name);
        return SDB_ECORRUPT;
    }
    bson_iter_document(&it, &len, &data);
    ix.key = bson_new_from_data(data, len);
    ix.spec = bson_new();
    bson_copy_to_excluding_noinit(spec, ix.spec, "table", "multikeyMasks", NULL);
    ix.nkf = bson_count_keys(ix.key);
    ix.mkmask = bson_malloc0((ix.nkf ? ix.nkf : 1) * sizeof(*ix.mkmask));
    ix.unique = strcmp(ix.name, "_id_") == 0 ||
                (bson_iter_init_find(&it, spec, "unique") && bson_iter_as_bool(&it));
    ix.sparse = bson_iter_init_find(&it, spec, "sparse") && bson_iter_as_bool(&it);
    ix.prepare_unique =
        !ix.unique && bson_iter_init_find(&it, spec, "prepareUnique") && bson_iter_as_bool(&it);
    index_options(spec, ix.name, &ix.filter, &ix.coll);
    snprintf(ix.uri, sizeof(ix.uri), "%s", uri);
    *out = ix;
    return 0;
}

void
ms_catalog_index_free(ms_index_t *ix)
{
    index_free(ix);
}

int
ms_catalog_index_add_locked(ms_coll_t *c, const bson_t *spec, const char *uri)
{
    ms_index_t ix;

    SDB_RET(ms_catalog_index_init(&ix, spec, uri));
    c->idx = bson_realloc(c->idx, (c->nidx + 1) * sizeof(*c->idx));
    c->idx[c->nidx++] = ix;
    return 0;
}

void
ms_catalog_index_remove_locked(ms_coll_t *c, size_t i)
{
    if (i >= c->nidx)
        return;
    index_free(&c->idx[i]);
    memmove(&c->idx[i], &c->idx[i + 1], (c->nidx - i - 1) * sizeof(*c->idx));
    c->nidx--;
}

static void
cache_add(ms_coll_t *c)
{
    if (cat_n == cat_cap) {
        cat_cap = cat_cap ? cat_cap * 2 : 16;
        cat_colls = bson_realloc(cat_colls, cat_cap * sizeof(*cat_colls));
    }
    cat_colls[cat_n++] = c;
}

static void
cache_remove(ms_coll_t *c)
{
    for (size_t i = 0; i < cat_n; i++) {
        if (cat_colls[i] == c) {
            memmove(&cat_colls[i], &cat_colls[i + 1], (cat_n - i - 1) * sizeof(*cat_colls));
            cat_n--;
            return;
        }
    }
}

ms_coll_t *
ms_catalog_find_locked(const char *ns)
{
    for (size_t i = 0; i < cat_n; i++)
        if (strcmp(cat_colls[i]->ns, ns) == 0)
            return cat_colls[i];
    return NULL;
}

size_t
ms_catalog_count_locked(void)
{
    return cat_n;
}

ms_coll_t *
ms_catalog_at_locked(size_t i)
{
    return i < cat_n ? cat_colls[i] : NULL;
}

void
ms_catalog_free(void)
{
    for (size_t i = 0; i < cat_n; i++)
        coll_free(cat_colls[i]);
    bson_free(cat_colls);
    cat_colls = NULL;
    cat_n = cat_cap = 0;
    pthread_mutex_lock(&cat_drop_mu);
    for (size_t i = 0; i < cat_npending; i++)
        bson_free(cat_pending[i]);
    bson_free(cat_pending);
    cat_pending = NULL;
    cat_npending = 0;
    pthread_mutex_unlock(&cat_drop_mu);
    mk_session = NULL; /* closed with the connection, next */
}

void
ms_catalog_new_uri(const char *kind, char *uri, size_t len)
{
    unsigned long long n = (unsigned long long)atomic_fetch_add(&cat_ident, 1) + 1;

    snprintf(uri, len, "table:%s-%llu", kind, n);
}

/* ---- rows ------------------------------------------------------------------------------ */

/* masks_append -- the index's multikey masks, as the row keeps them. */
static void
masks_append(const ms_index_t *ix, bson_t *spec)
{
    bson_t arr;
    char k[24];

    BSON_APPEND_ARRAY_BEGIN(spec, "multikeyMasks", &arr);
    for (size_t f = 0; f < ix->nkf; f++) {
        snprintf(k, sizeof(k), "%zu", f);
        BSON_APPEND_INT64(&arr, k, (int64_t)__atomic_load_n(&ix->mkmask[f], __ATOMIC_ACQUIRE));
    }
    bson_append_array_end(spec, &arr);
}

/* masks_load -- the masks a row keeps; a row without them (written before they existed) says
 * nothing: every secondary index is then taken as multikey on each whole path. */
static void
masks_load(const bson_t *row_spec, ms_index_t *ix, bool secondary)
{
    bson_iter_t it, arr;
    size_t f = 0;

    if (!bson_iter_init_find(&it, row_spec, "multikeyMasks") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr)) {
        bson_iter_t kp;

        ix->multikey = secondary;
        if (secondary && bson_iter_init(&kp, ix->key))
            for (f = 0; f < ix->nkf && bson_iter_next(&kp); f++) {
                const char *k = bson_iter_key(&kp);
                int dots = 0;

                for (; *k != '\0'; k++)
                    dots += *k == '.';
                ix->mkmask[f] = (uint64_t)1 << (dots < 63 ? dots : 63);
            }
        return;
    }
    while (bson_iter_next(&arr) && f < ix->nkf) {
        ix->mkmask[f] = BSON_ITER_HOLDS_INT64(&arr) ? (uint64_t)bson_iter_int64(&arr) : 0;
        ix->multikey = ix->multikey || ix->mkmask[f] != 0;
        f++;
    }
}

static void
row_build(const ms_coll_t *c, bson_t *b)
{
    bson_t arr, spec;
    char k[24];

    bson_init(b);
    BSON_APPEND_UTF8(b, "ns", c->ns);
    BSON_APPEND_BINARY(b, "uuid", BSON_SUBTYPE_UUID, c->uuid, 16);
    BSON_APPEND_DOCUMENT(b, "options", c->options);
    BSON_APPEND_UTF8(b, "table", c->uri);
    BSON_APPEND_ARRAY_BEGIN(b, "indexes", &arr);
    for (size_t i = 0; i < c->nidx; i++) {
        snprintf(k, sizeof(k), "%zu", i);
        bson_append_document_begin(&arr, k, -1, &spec);
        bson_concat(&spec, c->idx[i].spec);
        BSON_APPEND_UTF8(&spec, "table", c->idx[i].uri);
        masks_append(&c->idx[i], &spec);
        bson_append_document_end(&arr, &spec);
    }
    bson_append_array_end(b, &arr);
}

int
ms_catalog_persist_locked(WT_SESSION *s, const ms_coll_t *c)
{
    WT_CURSOR *cur = NULL;
    WT_ITEM v;
    bson_t b;
    int ret = 0;

    row_build(c, &b);
    SDB_ERR(s->open_cursor(s, CATALOG_URI, NULL, NULL, &cur));
    v.data = bson_get_data(&b);
    v.size = b.len;
    cur->set_key(cur, c->ns);
    cur->set_value(cur, &v);
    SDB_ERR(cur->insert(cur));
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    bson_destroy(&b);
    return ret;
}

int
ms_catalog_persist_multikey(WT_SESSION *s, const ms_coll_t *c)
{
    int ret = 0;

    if (c->creator != NULL) /* its row is in the creator's transaction: so are the bits */
        return ms_catalog_persist_locked(s, c);
    pthread_mutex_lock(&mk_mutex);
    if (mk_session == NULL)
        SDB_ERR(ms_store_conn()->open_session(ms_store_conn(), NULL, "isolation=snapshot",
                                              &mk_session));
    SDB_ERR(mk_session->begin_transaction(mk_session, NULL));
    if ((ret = ms_catalog_persist_locked(mk_session, c)) != 0) {
        mk_session->rollback_transaction(mk_session, NULL);
        goto err;
    }
    ret = mk_session->commit_transaction(mk_session, NULL);
err:
    pthread_mutex_unlock(&mk_mutex);
    return ret;
}

static int
row_remove(WT_SESSION *s, const char *ns)
{
    WT_CURSOR *cur = NULL;
    int ret = 0;

    SDB_ERR(s->open_cursor(s, CATALOG_URI, NULL, NULL, &cur));
    cur->set_key(cur, ns);
    ret = cur->remove(cur);
    if (ret == WT_NOTFOUND)
        ret = 0;
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    return ret;
}

/* max_rid -- the largest record id in a collection table (0 if empty). */
static int
max_rid(WT_SESSION *s, const char *uri, int64_t *out)
{
    WT_CURSOR *cur = NULL;
    int ret = 0;

    *out = 0;
    SDB_ERR(s->open_cursor(s, uri, NULL, NULL, &cur));
    ret = cur->prev(cur);
    if (ret == 0)
        ret = cur->get_key(cur, out);
    else if (ret == WT_NOTFOUND)
        ret = 0;
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    return ret;
}

/* row_parse -- one catalog row into a new ms_coll_t. */
static int
row_parse(WT_SESSION *s, const bson_t *row, ms_coll_t **out)
{
    ms_coll_t *c = bson_malloc0(sizeof(*c));
    bson_iter_t it, arr;
    const uint8_t *data;
    uint32_t len;
    bson_subtype_t st;
    bson_t spec;
    int64_t rid;
    int ret = 0;

    *out = NULL;
    if (!bson_iter_init_find(&it, row, "ns") || !BSON_ITER_HOLDS_UTF8(&it))
        SDB_ERR(SDB_ECORRUPT);
    c->ns = bson_strdup(bson_iter_utf8(&it, NULL));
    if (!bson_iter_init_find(&it, row, "uuid") || !BSON_ITER_HOLDS_BINARY(&it))
        SDB_ERR(SDB_ECORRUPT);
    bson_iter_binary(&it, &st, &len, &data);
    if (len != 16)
        SDB_ERR(SDB_ECORRUPT);
    memcpy(c->uuid, data, 16);
    if (bson_iter_init_find(&it, row, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        c->options = bson_new_from_data(data, len);
    } else {
        c->options = bson_new();
    }
    if (!bson_iter_init_find(&it, row, "table") || !BSON_ITER_HOLDS_UTF8(&it))
        SDB_ERR(SDB_ECORRUPT);
    snprintf(c->uri, sizeof(c->uri), "%s", bson_iter_utf8(&it, NULL));
    if (!bson_iter_init_find(&it, row, "indexes") || !bson_iter_recurse(&it, &arr))
        SDB_ERR(SDB_ECORRUPT);
    while (bson_iter_next(&arr)) {
        bson_iter_t t;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
            SDB_ERR(SDB_ECORRUPT);
        bson_iter_document(&arr, &len, &data);
        if (!bson_init_static(&spec, data, len) || !bson_iter_init_find(&t, &spec, "table") ||
            !BSON_ITER_HOLDS_UTF8(&t))
            SDB_ERR(SDB_ECORRUPT);
        SDB_ERR(ms_catalog_index_add_locked(c, &spec, bson_iter_utf8(&t, NULL)));
        masks_load(&spec, &c->idx[c->nidx - 1], c->nidx > 1);
    }
    SDB_ERR(max_rid(s, c->uri, &rid));
    atomic_store(&c->next_rid, rid + 1);
    SDB_ERR(ms_capped_attach(s, c));
    *out = c;
    return 0;
err:
    coll_free(c);
    return ret;
}

/* ---- load ------------------------------------------------------------------------------ */

static int
uri_referenced(const char *uri)
{
    for (size_t i = 0; i < cat_n; i++) {
        if (strcmp(cat_colls[i]->uri, uri) == 0)
            return 1;
        for (size_t j = 0; j < cat_colls[i]->nidx; j++)
            if (strcmp(cat_colls[i]->idx[j].uri, uri) == 0)
                return 1;
    }
    return 0;
}

/* scan_metadata -- raise the table counter above every existing coll-/index-/ixside- table
 * and drop the ones no catalog row references (an index build's tables until it publishes:
 * a crash during a build leaves the collection as it was before, ixbuild.c). */
static int
scan_metadata(WT_SESSION *s)
{
    static const char *const kinds[] = {"table:coll-", "table:index-", "table:ixside-"};
    WT_CURSOR *cur = NULL;
    char **orphans = NULL;
    size_t norphans = 0;
    const char *key;
    int ret = 0, r;

    SDB_ERR(s->open_cursor(s, "metadata:", NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0) {
        SDB_ERR(cur->get_key(cur, &key));
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            size_t pl = strlen(kinds[k]);
            if (strncmp(key, kinds[k], pl) != 0)
                continue;
            uint64_t n = strtoull(key + pl, NULL, 10);
            if (n > atomic_load(&cat_ident))
                atomic_store(&cat_ident, n);
            if (!uri_referenced(key)) {
                orphans = bson_realloc(orphans, (norphans + 1) * sizeof(*orphans));
                orphans[norphans++] = bson_strdup(key);
            }
        }
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    for (size_t i = 0; i < norphans; i++) {
        if (ret == 0) {
            sdb_logf(SDB_LOG_I, "STORAGE", 22510, "Dropping orphaned table", "%s", orphans[i]);
            SDB_TRET(ms_catalog_drop_table(s, orphans[i]));
        }
        bson_free(orphans[i]);
    }
    bson_free(orphans);
    return ret;
}

/* is_temp -- whether options say temp: true (create's internal option). */
static bool
is_temp(const bson_t *options)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, options, "temp") && bson_iter_as_bool(&it);
}

int
ms_catalog_load(WT_SESSION *s)
{
    WT_CURSOR *cur = NULL;
    ms_coll_t *c;
    WT_ITEM v;
    bson_t row;
    int ret = 0, r;

    ms_catalog_wrlock();
    SDB_ERR(ms_store_wt_error(s->create(s, CATALOG_URI, "key_format=S,value_format=u"),
                              "create catalog"));
    SDB_ERR(s->open_cursor(s, CATALOG_URI, NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0) {
        SDB_ERR(cur->get_value(cur, &v));
        if (!bson_init_static(&row, v.data, v.size))
            SDB_ERR(SDB_ECORRUPT);
        SDB_ERR(row_parse(s, &row, &c));
        cache_add(c);
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
    SDB_ERR(cur->close(cur));
    cur = NULL;
    SDB_ERR(scan_metadata(s));
err:
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    ms_catalog_unlock();
    if (ret != 0)
        sdb_logf(SDB_LOG_E, "STORAGE", 22511, "Cannot load the catalog", "%s",
                 ret < -31000 ? wiredtiger_strerror(ret) : sdb_strerror(ret));
    return ret;
}

int
ms_catalog_drop_temp(WT_SESSION *s)
{
    int ret = 0;

    ms_catalog_wrlock();
    for (size_t i = 0; i < cat_n && ret == 0;) {
        ms_coll_t *c = cat_colls[i];

        if (strncmp(c->ns, "local.", 6) == 0 || !is_temp(c->options)) {
            i++;
            continue;
        }
        sdb_logf(SDB_LOG_I, "STORAGE", 22513, "Dropping temporary collection", "ns=%s", c->ns);
        ret = ms_catalog_drop_locked(s, c); /* removes it from cat_colls[i] */
    }
    ms_catalog_unlock();
    return ret;
}

/* ---- table drops ----------------------------------------------------------------------- */

int
ms_catalog_drop_table(WT_SESSION *s, const char *uri)
{
    int ret = s->drop(s, uri, "force=true");

    if (ret == EBUSY) {
        pthread_mutex_lock(&cat_drop_mu);
        cat_pending = bson_realloc(cat_pending, (cat_npending + 1) * sizeof(*cat_pending));
        cat_pending[cat_npending++] = bson_strdup(uri);
        pthread_mutex_unlock(&cat_drop_mu);
        return 0;
    }
    return ms_store_wt_error(ret, "drop table");
}

void
ms_catalog_tick(WT_SESSION *s)
{
    size_t kept = 0;

    if (s == NULL)
        return;
    pthread_mutex_lock(&cat_drop_mu);
    for (size_t i = 0; i < cat_npending; i++) {
        int r = s->drop(s, cat_pending[i], "force=true");
        if (r == EBUSY)
            cat_pending[kept++] = cat_pending[i];
        else
            bson_free(cat_pending[i]);
    }
    cat_npending = kept;
    pthread_mutex_unlock(&cat_drop_mu);
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *const system_allowed[] = {
    "system.js",    "system.views",   "system.profile",  "system.users",
    "system.roles", "system.version", "system.sessions", NULL,
};

int
ms_catalog_check_ns(const char *ns, sdb_error_t *err)
{
    char db[128];
    const char *coll;
    size_t dblen;

    if (ms_req_ns_split(ns, db, sizeof(db), &coll, err) != 0)
        return SDB_ECLIENT;
    dblen = strlen(db);
    /* mongod's userAllowedCreateNS, in its order and words */
    if (dblen == 0 || dblen > SDB_NS_DB_MAX || strpbrk(db, "/\\. \"$") != NULL || coll[0] == '\0')
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace: %s", ns);
    if (coll[0] == '.' || strchr(coll, '$') != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid collection name: %s", coll);
    if (strcmp(ns, MS_OPLOG_NS) == 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "%s is the oplog and cannot be written directly", ns);
    if (strncmp(coll, "system.", 7) == 0) {
        for (size_t i = 0; system_allowed[i] != NULL; i++)
            if (strcmp(coll, system_allowed[i]) == 0)
                return 0;
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid system namespace: %s", ns);
    }
    if (strlen(ns) >= MS_NS_MAX)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "Fully qualified namespace is too long. Namespace: %s Max: %d", ns,
                             MS_NS_MAX - 1);
    return 0;
}

/* db_case_clash_locked -- 13297 when ns would create a database whose name differs only in
 * case from an existing one (mongod's DatabaseHolder refuses it: the names would collide on
 * a case-insensitive filesystem, and one would be folded into the other). */
static int
db_case_clash_locked(const char *ns, sdb_error_t *err)
{
    const char *dot = strchr(ns, '.'), *other = NULL;
    size_t n = dot != NULL ? (size_t)(dot - ns) : strlen(ns);

    for (size_t i = 0; i < cat_n; i++) {
        const char *c = cat_colls[i]->ns, *cdot = strchr(c, '.');

        if (cdot == NULL || (size_t)(cdot - c) != n || strncasecmp(c, ns, n) != 0)
            continue;
        if (strncmp(c, ns, n) == 0)
            return 0; /* the database exists: nothing is created */
        other = c;
    }
    if (other == NULL)
        return 0;
    return sdb_error_set(err, SDB_CODE_DatabaseDifferCase,
                         "db already exists with different case already have: [%.*s] trying to "
                         "create [%.*s]",
                         (int)n, other, (int)n, ns);
}

/* ---- DDL ------------------------------------------------------------------------------- */

int
ms_catalog_oplog_cmd(WT_SESSION *s, const char *db, const uint8_t *uuid, const bson_t *o)
{
    char ns[MS_NS_MAX + 8];
    ms_oplog_entry_t e = {"c", ns, uuid, o, NULL};

    snprintf(ns, sizeof(ns), "%s.$cmd", db);
    return ms_oplog_commit(s, &e, NULL);
}

static void
new_uuid(uint8_t uuid[16])
{
    if (getrandom(uuid, 16, 0) != 16) {
        uint64_t a = (uint64_t)ms_now_ms() ^ (uint64_t)rand(), b = (uint64_t)rand() << 17;
        memcpy(uuid, &a, 8);
        memcpy(uuid + 8, &b, 8);
    }
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

/* id_index_spec -- the _id index of a new collection; it takes the collection's default
 * collation (the worker stored it spelled out in the options), as in mongod, and for a
 * clustered collection the clusteredIndex's name. */
static void
id_index_spec(bson_t *spec, const bson_t *options)
{
    bson_iter_t it, ci;
    bson_t key;
    bool clustered = options != NULL && bson_iter_init_find(&ci, options, "clusteredIndex") &&
                     BSON_ITER_HOLDS_DOCUMENT(&ci) && bson_iter_recurse(&ci, &it) &&
                     bson_iter_find(&it, "name") && BSON_ITER_HOLDS_UTF8(&it);

    bson_init(spec);
    BSON_APPEND_INT32(spec, "v", 2);
    BSON_APPEND_DOCUMENT_BEGIN(spec, "key", &key);
    BSON_APPEND_INT32(&key, "_id", 1);
    bson_append_document_end(spec, &key);
    BSON_APPEND_UTF8(spec, "name", clustered ? bson_iter_utf8(&it, NULL) : "_id_");
    if (options != NULL && bson_has_field(options, "clusteredIndex")) {
        /* a clustered collection: its records in _id order (the worker reads them through
         * this index), shown as mongod shows the clustered index */
        BSON_APPEND_BOOL(spec, "unique", true);
        BSON_APPEND_BOOL(spec, "clustered", true);
        if (bson_iter_init_find(&it, options, "expireAfterSeconds")) /* its TTL (ttl.h) */
            bson_append_iter(spec, "expireAfterSeconds", -1, &it);
    }
    if (options != NULL && bson_iter_init_find(&it, options, "collation") &&
        BSON_ITER_HOLDS_DOCUMENT(&it) && !bson_has_field(options, "viewOn"))
        bson_append_iter(spec, "collation", -1, &it);
}

/* create_tables -- make c's collection table and its _id index table (with the client's
 * storageEngine configuration first: tablecfg.h). */
static int
create_tables(WT_SESSION *s, ms_coll_t *c, sdb_error_t *err)
{
    SDB_RET(ms_tablecfg_create_coll(s, c->uri, c->options, err));
    return ms_tablecfg_create_index(s, c->idx[0].uri, c->options, c->idx[0].spec, err);
}

int
ms_catalog_log_ddl_locked(WT_SESSION *s, ms_xact_t *x, const ms_coll_t *c, bool persist,
                          const bson_t *o)
{
    char db[128], ns[MS_NS_MAX + 8];
    ms_oplog_entry_t e = {"c", ns, c->uuid, o, NULL};
    size_t dblen = (size_t)(strchr(c->ns, '.') - c->ns);
    int ret;

    snprintf(db, sizeof(db), "%.*s", (int)dblen, c->ns);
    if (x == NULL) {
        SDB_RET(s->begin_transaction(s, NULL));
        if (persist && (ret = ms_catalog_persist_locked(s, c)) != 0) {
            s->rollback_transaction(s, NULL);
            return ret;
        }
        return ms_catalog_oplog_cmd(s, db, c->uuid, o);
    }
    if (persist)
        SDB_RET(ms_catalog_persist_locked(ms_xact_session(x), c));
    snprintf(ns, sizeof(ns), "%s.$cmd", db);
    ms_xact_add_op(x, &e);
    return 0;
}

int
ms_catalog_create_locked(WT_SESSION *s, ms_xact_t *x, const char *ns, const bson_t *options,
                         ms_coll_t **out, sdb_error_t *err)
{
    char db[128], uri[MS_URI_MAX];
    const char *coll;
    ms_coll_t *c;
    bson_t spec, o;
    int ret = 0;

    *out = NULL;
    SDB_RET(ms_catalog_check_ns(ns, err));
    if (ms_catalog_find_locked(ns) != NULL)
        return sdb_error_set(err, SDB_CODE_NamespaceExists, "Collection %s already exists.", ns);
    SDB_RET(ms_tablecfg_check(options, "storageEngine", err));
    SDB_RET(ms_tablecfg_check(options, "indexOptionDefaults.storageEngine", err));
    SDB_RET(db_case_clash_locked(ns, err));
    SDB_RET(ms_req_ns_split(ns, db, sizeof(db), &coll, err));
    c = bson_malloc0(sizeof(*c));
    c->ns = bson_strdup(ns);
    new_uuid(c->uuid);
    c->options = options != NULL ? bson_copy(options) : bson_new();
    ms_capped_attach(NULL, c); /* a new table is empty */
    ms_catalog_new_uri("coll", c->uri, sizeof(c->uri));
    atomic_store(&c->next_rid, 1);
    id_index_spec(&spec, c->options);
    ms_catalog_new_uri("index", uri, sizeof(uri));
    ret = ms_catalog_index_add_locked(c, &spec, uri);
    bson_init(&o);
    BSON_APPEND_UTF8(&o, "create", coll);
    bson_concat(&o, c->options);
    BSON_APPEND_DOCUMENT(&o, "idIndex", &spec);
    bson_destroy(&spec);
    SDB_ERR(ret);
    SDB_ERR(create_tables(s, c, err));
    SDB_ERR(ms_catalog_log_ddl_locked(s, x, c, true, &o));
    c->creator = x;
    cache_add(c);
    ms_store_bump_catalog();
    *out = c;
    bson_destroy(&o);
    return 0;
err:
    bson_destroy(&o);
    ms_catalog_drop_table(s, c->uri);
    if (c->nidx > 0)
        ms_catalog_drop_table(s, c->idx[0].uri);
    coll_free(c);
    return ret;
}

int
ms_catalog_created_by_other(const ms_coll_t *c, const ms_xact_t *x, sdb_error_t *err)
{
    if (c->creator == NULL || c->creator == x)
        return 0;
    return ms_store_write_conflict(err);
}

void
ms_catalog_settle(WT_SESSION *s, const ms_xact_t *x, bool commit)
{
    bool changed = false;

    ms_catalog_wrlock();
    for (size_t i = cat_n; i > 0; i--) {
        ms_coll_t *c = cat_colls[i - 1];

        if (c->creator != x)
            continue;
        changed = true;
        c->creator = NULL;
        if (commit)
            continue;
        cache_remove(c);
        ms_catalog_drop_table(s, c->uri);
        for (size_t j = 0; j < c->nidx; j++)
            ms_catalog_drop_table(s, c->idx[j].uri);
        coll_free(c);
    }
    if (changed)
        ms_store_bump_catalog();
    ms_catalog_unlock();
}

int
ms_catalog_drop_locked(WT_SESSION *s, ms_coll_t *c)
{
    char db[128];
    const char *coll;
    sdb_error_t e;
    bson_t o;
    int ret = 0;

    SDB_RET(ms_req_ns_split(c->ns, db, sizeof(db), &coll, &e));
    bson_init(&o);
    BSON_APPEND_UTF8(&o, "drop", coll);
    SDB_ERR(s->begin_transaction(s, NULL));
    if ((ret = row_remove(s, c->ns)) != 0) {
        s->rollback_transaction(s, NULL);
        goto err;
    }
    SDB_ERR(ms_catalog_oplog_cmd(s, db, c->uuid, &o));
    cache_remove(c);
    ms_store_bump_catalog();
    SDB_TRET(ms_catalog_drop_table(s, c->uri));
    for (size_t i = 0; i < c->nidx; i++)
        SDB_TRET(ms_catalog_drop_table(s, c->idx[i].uri));
    coll_free(c);
err:
    bson_destroy(&o);
    return ret;
}

int
ms_catalog_open_for_write(WT_SESSION *own, ms_xact_t *x, const char *ns, ms_coll_t **out,
                          sdb_error_t *err)
{
    ms_coll_t *c;
    int ret;

    for (int attempt = 0; attempt < 5; attempt++) {
        ms_catalog_rdlock();
        if ((*out = ms_catalog_find_locked(ns)) != NULL &&
            bson_has_field((*out)->options, "viewOn")) {
            ms_catalog_unlock();
            return sdb_error_set(err, SDB_CODE_CommandNotSupportedOnView,
                                 "Namespace %s is a view, not a collection", ns);
        }
        if (*out != NULL && (ret = ms_catalog_created_by_other(*out, x, err)) != 0) {
            ms_catalog_unlock();
            return ret;
        }
        if (*out != NULL)
            return 0;
        ms_catalog_unlock();
        ms_catalog_wrlock();
        if (ms_catalog_find_locked(ns) == NULL &&
            (ret = ms_catalog_create_locked(own, x, ns, NULL, &c, err)) != 0) {
            ms_catalog_unlock();
            return ret;
        }
        ms_catalog_unlock();
    }
    return ms_store_write_conflict(err);
}

/* ---- operation handlers ---------------------------------------------------------------- */

/* append_mkpaths -- {field: [the prefixes of field that held an array]} of one index, as
 * mongod's multiKeyPaths ({"a.b": ["a"]}). */
static void
append_mkpaths(const ms_index_t *ix, bson_t *out)
{
    bson_iter_t kp;
    bson_t one, arr;

    BSON_APPEND_DOCUMENT_BEGIN(out, ix->name, &one);
    for (size_t f = 0; f < ix->nkf && bson_iter_init(&kp, ix->key); f++) {
        uint64_t m = __atomic_load_n(&ix->mkmask[f], __ATOMIC_ACQUIRE);
        const char *path;
        uint32_t n = 0;

        for (size_t g = 0; g <= f; g++)
            bson_iter_next(&kp);
        path = bson_iter_key(&kp);
        BSON_APPEND_ARRAY_BEGIN(&one, path, &arr);
        for (int b = 0, at = 0; b < 64 && m != 0; b++) {
            size_t len = strcspn(path + at, ".");
            char k[16];

            if (m & ((uint64_t)1 << b)) {
                bson_snprintf(k, sizeof(k), "%u", n++);
                bson_append_utf8(&arr, k, -1, path, (int)(at + len));
            }
            if (path[at + len] == '\0')
                break;
            at += (int)len + 1;
        }
        bson_append_array_end(&one, &arr);
    }
    bson_append_document_end(out, &one);
}

static void
append_coll(bson_t *arr, size_t i, const ms_coll_t *c)
{
    bson_t d, ixs;
    char k[24];

    snprintf(k, sizeof(k), "%zu", i);
    bson_append_document_begin(arr, k, -1, &d);
    BSON_APPEND_UTF8(&d, "ns", c->ns);
    BSON_APPEND_BINARY(&d, "uuid", BSON_SUBTYPE_UUID, c->uuid, 16);
    BSON_APPEND_DOCUMENT(&d, "options", c->options);
    if (c->creator != NULL)
        BSON_APPEND_BOOL(&d, "pending", true); /* a transaction's, not yet committed */
    BSON_APPEND_ARRAY_BEGIN(&d, "indexes", &ixs);
    for (size_t j = 0; j < c->nidx; j++) {
        snprintf(k, sizeof(k), "%zu", j);
        bson_append_document(&ixs, k, -1, c->idx[j].spec);
    }
    bson_append_array_end(&d, &ixs);
    BSON_APPEND_ARRAY_BEGIN(&d, "multikey", &ixs); /* names of the multikey indexes */
    for (size_t j = 0, n = 0; j < c->nidx; j++) {
        if (!__atomic_load_n(&c->idx[j].multikey, __ATOMIC_ACQUIRE))
            continue;
        snprintf(k, sizeof(k), "%zu", n++);
        BSON_APPEND_UTF8(&ixs, k, c->idx[j].name);
    }
    bson_append_array_end(&d, &ixs);
    BSON_APPEND_DOCUMENT_BEGIN(&d, "multikeyPaths", &ixs); /* {index: {field: [prefix...]}} */
    for (size_t j = 0; j < c->nidx; j++)
        if (__atomic_load_n(&c->idx[j].multikey, __ATOMIC_ACQUIRE))
            append_mkpaths(&c->idx[j], &ixs);
    bson_append_document_end(&d, &ixs);
    bson_append_document_end(arr, &d);
}

int
ms_catalog_op_catalog(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t arr;

    ms_catalog_rdlock();
    BSON_APPEND_INT64(reply, "version", (int64_t)atomic_load(&ms_store_global()->catalog_version));
    BSON_APPEND_ARRAY_BEGIN(reply, "collections", &arr);
    for (size_t i = 0; i < cat_n; i++)
        append_coll(&arr, i, cat_colls[i]);
    bson_append_array_end(reply, &arr);
    ms_catalog_unlock();
    return 0;
}

int
ms_catalog_op_create(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns;
    bool has_opts, if_not_exists;
    bson_t opts;
    ms_coll_t *c;
    int ret;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_doc(req, "options", true, &opts, &has_opts, err));
    SDB_RET(ms_req_bool(req, "ifNotExists", false, &if_not_exists, err));
    ms_catalog_wrlock();
    if (if_not_exists && ms_catalog_find_locked(ns) != NULL) {
        ms_catalog_unlock();
        BSON_APPEND_BOOL(reply, "created", false);
        return 0;
    }
    ret = ms_catalog_create_locked(ctx->own, ctx->xact, ns, has_opts ? &opts : NULL, &c, err);
    ms_catalog_unlock();
    if (ret == 0)
        BSON_APPEND_BOOL(reply, "created", true);
    return ret;
}

int
ms_catalog_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns;
    ms_coll_t *c;
    int32_t nidx;
    char why[256];
    int ret;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    ms_catalog_wrlock();
    if ((c = ms_catalog_find_locked(ns)) == NULL) {
        ms_catalog_unlock();
        return sdb_error_set(err, SDB_CODE_NamespaceNotFound, "ns not found");
    }
    nidx = (int32_t)c->nidx;
    snprintf(why, sizeof(why), "Index build aborted: collection %s dropped", ns);
    ms_ixbuild_abort_ns(ns, false, why); /* a build held at a failpoint stops too */
    ret = ms_catalog_drop_locked(ctx->session, c);
    ms_catalog_unlock();
    if (ret == 0)
        BSON_APPEND_INT32(reply, "nIndexesWas", nidx);
    return ret;
}

/* log_drop_database -- the {dropDatabase: 1} entry change streams turn into dropDatabase. */
static int
log_drop_database(WT_SESSION *s, const char *db)
{
    bson_t o = BSON_INITIALIZER;
    int ret;

    BSON_APPEND_INT32(&o, "dropDatabase", 1);
    if ((ret = s->begin_transaction(s, NULL)) == 0)
        ret = ms_catalog_oplog_cmd(s, db, NULL, &o);
    bson_destroy(&o);
    return ret;
}

int
ms_catalog_op_drop_db(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *db;
    size_t dblen, n = 0;
    bson_t arr;
    char k[24];
    int ret = 0;

    SDB_RET(ms_req_str(req, "db", false, &db, err));
    dblen = strlen(db);
    BSON_APPEND_ARRAY_BEGIN(reply, "dropped", &arr);
    ms_catalog_wrlock();
    ms_ixbuild_abort_ns(db, true, "dropDatabase command"); /* mongod 7.0's reason */
    for (size_t i = 0; i < cat_n && ret == 0;) {
        ms_coll_t *c = cat_colls[i];
        if (strncmp(c->ns, db, dblen) != 0 || c->ns[dblen] != '.') {
            i++;
            continue;
        }
        snprintf(k, sizeof(k), "%zu", n++);
        bson_append_utf8(&arr, k, -1, c->ns, -1);
        ret = ms_catalog_drop_locked(ctx->session, c); /* removes cat_colls[i] */
    }
    if (ret == 0 && n > 0)
        ret = log_drop_database(ctx->session, db);
    ms_catalog_unlock();
    bson_append_array_end(reply, &arr);
    return ret;
}

/* rename_locked -- move c to `to` (which does not exist): one transaction rewrites the row
 * under its new key and logs the command; without stay_temp a temp collection stops being
 * temp, as mongod's DurableCatalog::renameCollection. */
static int
rename_locked(WT_SESSION *s, ms_coll_t *c, const char *to, bool drop_target, bool stay_temp)
{
    char db[128];
    const char *coll;
    char *old_ns = c->ns;
    bson_t *old_opts = c->options;
    sdb_error_t e;
    bson_t o;
    int ret = 0;

    SDB_RET(ms_req_ns_split(old_ns, db, sizeof(db), &coll, &e));
    bson_init(&o);
    BSON_APPEND_UTF8(&o, "renameCollection", old_ns);
    BSON_APPEND_UTF8(&o, "to", to);
    BSON_APPEND_BOOL(&o, "stayTemp", stay_temp);
    BSON_APPEND_BOOL(&o, "dropTarget", drop_target);
    SDB_ERR(s->begin_transaction(s, NULL));
    c->ns = bson_strdup(to);
    if (!stay_temp && is_temp(old_opts)) {
        c->options = bson_new();
        bson_copy_to_excluding_noinit(old_opts, c->options, "temp", NULL);
    }
    if ((ret = row_remove(s, old_ns)) == 0)
        ret = ms_catalog_persist_locked(s, c);
    if (ret != 0)
        s->rollback_transaction(s, NULL);
    else
        ret = ms_catalog_oplog_cmd(s, db, c->uuid, &o);
    if (ret != 0) {
        bson_free(c->ns);
        c->ns = old_ns;
        if (c->options != old_opts)
            bson_destroy(c->options);
        c->options = old_opts;
        goto err;
    }
    bson_free(old_ns);
    if (c->options != old_opts)
        bson_destroy(old_opts);
    ms_store_bump_catalog();
err:
    bson_destroy(&o);
    return ret;
}

int
ms_catalog_op_rename(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *from, *to;
    bool drop_target, stay_temp;
    ms_coll_t *c, *t;
    int ret = 0;

    SDB_RET(ms_req_str(req, "from", false, &from, err));
    SDB_RET(ms_req_str(req, "to", false, &to, err));
    SDB_RET(ms_req_bool(req, "dropTarget", false, &drop_target, err));
    SDB_RET(ms_req_bool(req, "stayTemp", false, &stay_temp, err));
    if (ms_catalog_check_ns(to, err) != 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid target namespace: %s", to);
    ms_catalog_wrlock();
    if ((c = ms_catalog_find_locked(from)) == NULL) {
        ret = sdb_error_set(err, SDB_CODE_NamespaceNotFound, "source namespace does not exist");
        goto err;
    }
    if (strcmp(from, to) == 0) {
        ret = sdb_error_set(err, SDB_CODE_IllegalOperation, "Can't rename a collection to itself");
        goto err;
    }
    if ((t = ms_catalog_find_locked(to)) != NULL) {
        if (!drop_target) {
            ret = sdb_error_set(err, SDB_CODE_NamespaceExists, "target namespace exists");
            goto err;
        }
        SDB_ERR(ms_catalog_drop_locked(ctx->session, t));
    }
    SDB_ERR(db_case_clash_locked(to, err));
    SDB_ERR(rename_locked(ctx->session, c, to, drop_target, stay_temp));
err:
    ms_catalog_unlock();
    return ret;
}

/* options_modified -- c's options with the fields of `set` replaced or appended. */
static bson_t *
options_modified(const ms_coll_t *c, const bson_t *set)
{
    bson_t *o = bson_new();
    bson_iter_t it, f;

    bson_iter_init(&it, c->options);
    while (bson_iter_next(&it)) {
        if (bson_iter_init_find(&f, set, bson_iter_key(&it)))
            bson_append_iter(o, bson_iter_key(&it), -1, &f);
        else
            bson_append_iter(o, bson_iter_key(&it), -1, &it);
    }
    bson_iter_init(&it, set);
    while (bson_iter_next(&it))
        if (!bson_has_field(c->options, bson_iter_key(&it)))
            bson_append_iter(o, bson_iter_key(&it), -1, &it);
    return o;
}

/* coll_mod_reply -- collMod's answer to an index change (ttl.h), once it committed. */
static void
coll_mod_reply(const ms_ttl_mod_t *mod, bson_t *reply)
{
    if (mod->had_old)
        BSON_APPEND_INT64(reply, "expireAfterSeconds_old", mod->old_secs);
    BSON_APPEND_INT64(reply, "expireAfterSeconds_new", mod->new_secs);
}

/* coll_mod_index -- collMod's `index` part: hidden, prepareUnique and unique (ixmod.c,
 * applied to the cache at once), then expireAfterSeconds (ttl.h, a new spec in *mod that the
 * caller installs with the row).  `logged` gets {name, changes} for the oplog entry; *ttl
 * says whether *mod holds a change. */
static int
coll_mod_index(WT_SESSION *s, ms_coll_t *c, const bson_t *req, const bson_t *index, bson_t *reply,
               bson_t *logged, bool *changed, ms_ttl_mod_t *mod, bool *ttl, sdb_error_t *err)
{
    bson_t t = BSON_INITIALIZER;
    bson_iter_t secs, name;
    bool dry_run;
    int ret;

    *ttl = false;
    SDB_RET(ms_req_bool(req, "dryRun", false, &dry_run, err));
    SDB_RET(ms_ixmod_apply_locked(s, c, index, dry_run, reply, logged, changed, err));
    if (dry_run || !bson_iter_init_find(&secs, index, "expireAfterSeconds") ||
        !bson_iter_init_find(&name, logged, "name"))
        return 0;
    bson_append_iter(&t, "name", -1, &name);
    bson_append_iter(&t, "expireAfterSeconds", -1, &secs);
    ret = ms_ttl_coll_mod_locked(c, &t, mod, err);
    bson_destroy(&t);
    SDB_RET(ret);
    bson_append_iter(logged, "expireAfterSeconds", -1, &secs);
    *ttl = true;
    return 0;
}

int
ms_catalog_op_coll_mod(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *s = ctx->session;
    char db[128];
    const char *ns, *coll;
    bson_t set, index, o = BSON_INITIALIZER, *nopts = NULL, *old, *old_spec = NULL;
    bson_t logged = BSON_INITIALIZER;
    bool has_set, has_index, ix_changed = false, ttl = false;
    ms_ttl_mod_t mod = {0};
    ms_coll_t *c;
    int ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_doc(req, "set", false, &set, &has_set, err));
    SDB_RET(ms_req_doc(req, "index", true, &index, &has_index, err));
    SDB_RET(ms_req_ns_split(ns, db, sizeof(db), &coll, err));
    ms_catalog_wrlock();
    if ((c = ms_catalog_find_locked(ns)) == NULL) {
        ret = sdb_error_set(err, SDB_CODE_NamespaceNotFound, "ns does not exist");
        goto err;
    }
    if (has_index)
        SDB_ERR(coll_mod_index(s, c, req, &index, reply, &logged, &ix_changed, &mod, &ttl, err));
    BSON_APPEND_UTF8(&o, "collMod", coll);
    bson_concat(&o, &set);
    if (ix_changed || ttl)
        BSON_APPEND_DOCUMENT(&o, "index", &logged);
    nopts = options_modified(c, &set);
    SDB_ERR(s->begin_transaction(s, NULL));
    old = c->options;
    c->options = nopts;
    if (mod.spec != NULL) {
        old_spec = c->idx[mod.pos].spec;
        c->idx[mod.pos].spec = mod.spec;
    }
    if ((ret = ms_catalog_persist_locked(s, c)) != 0)
        s->rollback_transaction(s, NULL);
    else
        ret = ms_catalog_oplog_cmd(s, db, c->uuid, &o);
    if (ret != 0) {
        c->options = old;
        if (mod.spec != NULL)
            c->idx[mod.pos].spec = old_spec;
        goto err;
    }
    nopts = old;               /* freed below */
    mod.spec = old_spec;       /* likewise */
    ms_capped_attach(NULL, c); /* cappedSize / cappedMax */
    ms_store_bump_catalog();
    if (ttl)
        coll_mod_reply(&mod, reply);
err:
    if (ix_changed && ret != 0)
        ms_store_bump_catalog(); /* the cache changed although the row did not */
    ms_catalog_unlock();
    if (nopts != NULL)
        bson_destroy(nopts);
    if (mod.spec != NULL)
        bson_destroy(mod.spec);
    bson_destroy(&o);
    bson_destroy(&logged);
    return ret;
}
