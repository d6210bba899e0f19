/*
 * src/master/ixmod.c -- collMod's `index` option: hide, unhide, prepareUnique, unique.
 *
 * collMod {index: {name | keyPattern, hidden, prepareUnique, unique}} changes one index's
 * spec in the catalog cache (the caller persists the row and logs the command in one
 * transaction).  hidden only changes what listIndexes shows and what the planner may use;
 * prepareUnique makes the master refuse new duplicate keys in a non-unique index
 * (indexes.c); unique: true converts such an index: every group of entries with equal keys
 * is a violation (359 CannotConvertIndexToUnique with the _ids of each group, as mongod
 * reports them), otherwise the entries move into a new table in the unique layout (key ->
 * record id) and the old table is dropped.  The reply carries mongod's <option>_old and
 * <option>_new for what changed.
 *
 * Invariants: called with the exclusive catalog lock held (catalog.c's collMod handler), so
 * no write touches the index while its table is converted.
 */
#include "ixmod.h"

#include "../common/bsoncmp.h"
#include "../common/bsontext.h"
#include "../common/keyenc.h"
#include "../common/sdb.h"
#include "store.h"
#include "storereq.h"
#include "tablecfg.h"

#include <string.h>

/* find_index -- the index `req` names by name or keyPattern. */
static int
find_index(const ms_coll_t *c, const bson_t *req, size_t *pos, sdb_error_t *err)
{
    const char *name;
    bson_t key;
    bool has_key;
    size_t n = 0;
    char *str;
    int ret;

    SDB_RET(ms_req_str(req, "name", true, &name, err));
    SDB_RET(ms_req_doc(req, "keyPattern", true, &key, &has_key, err));
    for (size_t i = 0; i < c->nidx; i++) {
        if ((name != NULL && strcmp(c->idx[i].name, name) == 0) ||
            (has_key && sdb_bson_doc_cmp(&key, c->idx[i].key) == 0)) {
            *pos = i;
            n++;
        }
    }
    if (n == 1)
        return 0;
    if (name != NULL)
        return sdb_error_set(err, SDB_CODE_IndexNotFound, "cannot find index %s for ns %s", name,
                             c->ns);
    str = sdb_bson_text_new(&key);
    ret = n == 0 ? sdb_error_set(err, SDB_CODE_IndexNotFound, "cannot find index %s for ns %s", str,
                                 c->ns)
                 : sdb_error_set(err, SDB_CODE_AmbiguousIndexKeyPattern,
                                 "index keyPattern %s matches %zu indexes, must use index name",
                                 str, n);
    bson_free(str);
    return ret;
}

/* spec_set -- ix's spec with `field` set to a bool (appended when new), or removed. */
static void
spec_set(ms_index_t *ix, const char *field, bool set)
{
    bson_t *spec = bson_new();
    bson_iter_t it;
    bool seen = false;

    bson_iter_init(&it, ix->spec);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), field) != 0) {
            bson_append_iter(spec, bson_iter_key(&it), -1, &it);
            continue;
        }
        seen = true;
        if (set)
            bson_append_bool(spec, field, -1, true);
    }
    if (set && !seen)
        bson_append_bool(spec, field, -1, true);
    bson_destroy(ix->spec);
    ix->spec = spec;
}

static bool
spec_flag(const ms_index_t *ix, const char *field)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, ix->spec, field) && bson_iter_as_bool(&it);
}

/* record_id -- append the _id of record rid to arr (as element k). */
static int
append_record_id(WT_CURSOR *rec, int64_t rid, bson_t *arr, uint32_t k)
{
    char key[16];
    const char *kp;
    bson_iter_t it;
    WT_ITEM v;
    bson_t doc;

    rec->set_key(rec, rid);
    SDB_RET(rec->search(rec));
    SDB_RET(rec->get_value(rec, &v));
    if (!bson_init_static(&doc, v.data, v.size) || !bson_iter_init_find(&it, &doc, "_id"))
        return SDB_ECORRUPT;
    bson_uint32_to_string(k, &kp, key, sizeof(key));
    bson_append_iter(arr, kp, -1, &it);
    return 0;
}

/* violations -- every group of equal keys in a non-unique index: [{ids: [...]}, ...]. */
static int
violations(WT_SESSION *s, const ms_coll_t *c, const ms_index_t *ix, bson_t *out, size_t *n)
{
    WT_CURSOR *cur = NULL, *rec = NULL;
    uint8_t *prev = NULL;
    size_t prev_len = 0, prev_cap = 0;
    int64_t prev_rid = 0;
    uint32_t in_group = 0;
    bson_t group, ids;
    WT_ITEM k;
    char key[16];
    const char *kp;
    int ret = 0, r;

    *n = 0;
    SDB_ERR(s->open_cursor(s, ix->uri, NULL, NULL, &cur));
    SDB_ERR(s->open_cursor(s, c->uri, NULL, NULL, &rec));
    while ((r = cur->next(cur)) == 0) {
        SDB_ERR(cur->get_key(cur, &k));
        if (k.size < 8)
            SDB_ERR(SDB_ECORRUPT);
        int64_t rid = sdb_keyenc_decode_rid(k.data, k.size);
        bool same = in_group > 0 && prev_len == k.size - 8 && memcmp(prev, k.data, prev_len) == 0;
        if (!same && in_group > 1) {
            bson_append_array_end(&group, &ids);
            bson_append_document_end(out, &group);
        }
        if (same && in_group == 1) {
            bson_uint32_to_string((uint32_t)(*n)++, &kp, key, sizeof(key));
            bson_append_document_begin(out, kp, -1, &group);
            BSON_APPEND_ARRAY_BEGIN(&group, "ids", &ids);
            SDB_ERR(append_record_id(rec, prev_rid, &ids, 0));
        }
        if (same)
            SDB_ERR(append_record_id(rec, rid, &ids, in_group));
        in_group = same ? in_group + 1 : 1;
        if (prev_cap < k.size) {
            prev_cap = k.size * 2;
            prev = bson_realloc(prev, prev_cap);
        }
        memcpy(prev, k.data, k.size - 8);
        prev_len = k.size - 8;
        prev_rid = rid;
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
    if (in_group > 1) {
        bson_append_array_end(&group, &ids);
        bson_append_document_end(out, &group);
    }
err:
    if (cur != NULL)
        cur->close(cur);
    if (rec != NULL)
        rec->close(rec);
    bson_free(prev);
    return ret;
}

/* to_unique -- move ix's entries into a new table in the unique layout. */
static int
to_unique(WT_SESSION *s, const ms_coll_t *c, ms_index_t *ix, sdb_error_t *err)
{
    char uri[MS_URI_MAX], old[MS_URI_MAX];
    WT_CURSOR *from = NULL, *to = NULL;
    WT_ITEM k, nk, nv, tv;
    sdb_keybuf_t val;
    int ret = 0, r, in_txn = 0;

    sdb_keybuf_init(&val);

    ms_catalog_new_uri("index", uri, sizeof(uri));
    SDB_ERR(ms_tablecfg_create_index(s, uri, c->options, ix->spec, err));
    SDB_ERR(s->open_cursor(s, ix->uri, NULL, NULL, &from));
    SDB_ERR(s->open_cursor(s, uri, NULL, "overwrite=false", &to));
    SDB_ERR(s->begin_transaction(s, NULL));
    in_txn = 1;
    while ((r = from->next(from)) == 0) {
        SDB_ERR(from->get_key(from, &k));
        SDB_ERR(from->get_value(from, &tv));
        nk.data = k.data;
        nk.size = k.size - 8;
        sdb_keybuf_reset(&val); /* the cover tag, then the record id (indexes.h) */
        if (val.cap < tv.size + 8) {
            val.cap = tv.size + 8;
            val.data = bson_realloc(val.data, val.cap);
        }
        memcpy(val.data, tv.data, tv.size);
        memcpy(val.data + tv.size, (const uint8_t *)k.data + k.size - 8, 8);
        nv.data = val.data;
        nv.size = tv.size + 8;
        to->set_key(to, &nk);
        to->set_value(to, &nv);
        SDB_ERR(to->insert(to));
    }
    if (r != WT_NOTFOUND)
        SDB_ERR(r);
    in_txn = 0;
    SDB_ERR(s->commit_transaction(s, NULL));
    from->close(from);
    to->close(to);
    from = to = NULL;
    sdb_keybuf_free(&val);
    memcpy(old, ix->uri, sizeof(old));
    memcpy(ix->uri, uri, sizeof(ix->uri));
    return ms_catalog_drop_table(s, old);
err:
    sdb_keybuf_free(&val);
    if (in_txn)
        s->rollback_transaction(s, NULL);
    if (from != NULL)
        from->close(from);
    if (to != NULL)
        to->close(to);
    ms_catalog_drop_table(s, uri);
    return ret;
}

/* make_unique -- unique: true on an index with prepareUnique. */
static int
make_unique(WT_SESSION *s, const ms_coll_t *c, ms_index_t *ix, bool dry_run, bson_t *reply,
            sdb_error_t *err)
{
    bson_t v = BSON_INITIALIZER;
    size_t n;
    int ret;

    if (ix->unique)
        return 0;
    if (!spec_flag(ix, "prepareUnique"))
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "Cannot make index unique with 'prepareUnique=false'. Run 'collMod' "
                             "to set it first.");
    if ((ret = violations(s, c, ix, &v, &n)) == 0 && n > 0) {
        BSON_APPEND_ARRAY(reply, "violations", &v);
        ret = sdb_error_set(err, SDB_CODE_CannotConvertIndexToUnique,
                            "Cannot convert the index to unique. Please resolve conflicting "
                            "documents before running collMod again.");
    }
    bson_destroy(&v);
    SDB_RET(ret);
    if (dry_run)
        return 0;
    SDB_RET(to_unique(s, c, ix, err));
    ix->unique = true;
    spec_set(ix, "unique", true);
    spec_set(ix, "prepareUnique", false);
    BSON_APPEND_BOOL(reply, "unique_new", true);
    return 0;
}

/* set_flag -- hidden or prepareUnique: the spec field and mongod's _old/_new in the reply. */
static void
set_flag(ms_index_t *ix, const char *field, bool want, bson_t *reply, bson_t *logged, bool *changed)
{
    char k[40];
    bool was = spec_flag(ix, field);

    if (was == want)
        return;
    spec_set(ix, field, want);
    bson_snprintf(k, sizeof(k), "%s_old", field);
    BSON_APPEND_BOOL(reply, k, was);
    bson_snprintf(k, sizeof(k), "%s_new", field);
    BSON_APPEND_BOOL(reply, k, want);
    BSON_APPEND_BOOL(logged, field, want);
    *changed = true;
}

int
ms_ixmod_apply_locked(WT_SESSION *s, ms_coll_t *c, const bson_t *req, bool dry_run, bson_t *reply,
                      bson_t *logged, bool *changed, sdb_error_t *err)
{
    bson_iter_t it;
    ms_index_t *ix;
    size_t pos = 0;

    *changed = false;
    SDB_RET(find_index(c, req, &pos, err));
    ix = &c->idx[pos];
    BSON_APPEND_UTF8(logged, "name", ix->name);
    if (bson_iter_init_find(&it, req, "hidden")) {
        if (pos == 0 && bson_iter_as_bool(&it))
            return sdb_error_set(err, SDB_CODE_BadValue, "can't hide _id index");
        if (!dry_run)
            set_flag(ix, "hidden", bson_iter_as_bool(&it), reply, logged, changed);
    }
    if (bson_iter_init_find(&it, req, "prepareUnique") && !dry_run) {
        set_flag(ix, "prepareUnique", bson_iter_as_bool(&it) && !ix->unique, reply, logged,
                 changed);
        ix->prepare_unique = spec_flag(ix, "prepareUnique");
    }
    if (bson_iter_init_find(&it, req, "unique")) {
        SDB_RET(make_unique(s, c, ix, dry_run, reply, err));
        if (ix->unique && !dry_run) {
            ix->prepare_unique = false;
            BSON_APPEND_BOOL(logged, "unique", true);
            *changed = true;
        }
    }
    return 0;
}
