/*
 * src/master/ixscan.c -- IXSCAN: index scans over a union of key ranges, with resume.
 *
 * Each range bound is a document of one value per key field in key-pattern order; it is
 * encoded with the index's own per-field directions, so bounds and entries compare with
 * memcmp.  Bounds are in index order (lo sorts before hi once encoded); a range given the
 * other way round is swapped, and a bound with fewer values than the pattern is padded with
 * the lowest (lo) or highest (hi) encoded value; a wildcard field ("$**", "a.$**", alone or
 * among regular fields) takes two values, its path and the value (wildcard.h).  Ranges are
 * visited in index order for dir 1 and in reverse for dir -1.  The reply counts the entries
 * it looked at (keys: explain's totalKeysExamined).  The resume token is the raw WiredTiger
 * key of the last entry returned; a resumed scan skips every entry at or before it in scan order, which is
 * exact for disjoint ranges (the planner's output).
 *
 * Invariants: runs under the shared catalog lock in one snapshot per batch; entry layouts
 * are those of indexes.h (the record id is always the last 8 bytes of key or value).
 */
#include "indexes.h"
#include "ixcover.h"

#include "../common/keyenc.h"
#include "../common/sdb.h"
#include "../common/wildcard.h"
#include "records.h"
#include "storereq.h"

#include <stdlib.h>
#include <string.h>

typedef struct range {
    sdb_keybuf_t lo, hi;
    bool lo_incl, hi_incl;
} range_t;

typedef struct scan {
    const ms_coll_t *c;
    const ms_index_t *ix;
    WT_CURSOR *ic, *rc;   /* index cursor, record cursor */
    int dir;              /* 1 or -1 */
    const uint8_t *after; /* resume token or NULL */
    size_t after_len;
    int64_t limit, max_bytes, n, bytes;
    bson_t *arr;
    uint8_t *last; /* key of the last entry returned */
    size_t last_len;
    bool full;       /* stopped on limit or bytes */
    bool covered;    /* return the entries' key values (ixcover.h), records only when unknown */
    int64_t fetched; /* records read: explain's docsExamined of a covered scan */
    int64_t keys;    /* entries looked at (in range or the one that ends a range): explain's
                   * keysExamined */
} scan_t;

static int
keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);

    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

/* encode_one -- the next value of bound `bi` (while `*have`, in collation `coll`), else the
 * extreme of `high` in a field of direction `desc`. */
static int
encode_one(const struct sdb_collation *coll, bson_iter_t *bi, bool *have, int high, int desc,
           sdb_keybuf_t *kb)
{
    bson_value_t ext;

    if (*have && bson_iter_next(bi))
        /* in the index's collation: a point bound then finds every value the collation
         * calls equal, a superset the worker's matcher narrows (the _id lookup) */
        return sdb_keyenc_value_coll(kb, bson_iter_value(bi), desc, coll);
    *have = false;
    memset(&ext, 0, sizeof(ext));
    ext.value_type = (high != desc) ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
    return sdb_keyenc_value(kb, &ext, desc);
}

/* encode_bound -- encode bound doc `b` for ix; pad with the extreme of `high`.  A wildcard
 * field takes two values, its path (ascending) and the value (wildcard.h). */
static int
encode_bound(const ms_index_t *ix, const bson_t *b, int high, sdb_keybuf_t *kb, sdb_error_t *err)
{
    bson_iter_t kp, bi;
    bool have = bson_iter_init(&bi, b), wild = sdb_wildcard_pattern(ix->key);

    if (!bson_iter_init(&kp, ix->key))
        return SDB_ECORRUPT;
    while (bson_iter_next(&kp)) {
        const char *k = bson_iter_key(&kp);
        size_t n = strlen(k);
        int desc = BSON_ITER_HOLDS_NUMBER(&kp) && bson_iter_as_double(&kp) < 0;

        if (wild && n >= 3 && strcmp(k + n - 3, "$**") == 0)    /* entries are (path, value) */
            SDB_RET(encode_one(NULL, &bi, &have, high, 0, kb)); /* the path: no collation */
        SDB_RET(encode_one(ix->coll, &bi, &have, high, desc, kb));
    }
    SDB_UNUSED(err);
    return 0;
}

static int
parse_range(const ms_index_t *ix, const bson_iter_t *it, range_t *r, sdb_error_t *err)
{
    bson_t rd, lo, hi;
    bool incl;

    sdb_keybuf_init(&r->lo);
    sdb_keybuf_init(&r->hi);
    SDB_RET(ms_req_iter_doc(it, "ranges", &rd, err));
    SDB_RET(ms_req_doc(&rd, "lo", false, &lo, NULL, err));
    SDB_RET(ms_req_doc(&rd, "hi", false, &hi, NULL, err));
    SDB_RET(ms_req_bool(&rd, "loIncl", true, &r->lo_incl, err));
    SDB_RET(ms_req_bool(&rd, "hiIncl", true, &r->hi_incl, err));
    SDB_RET(encode_bound(ix, &lo, 0, &r->lo, err));
    SDB_RET(encode_bound(ix, &hi, 1, &r->hi, err));
    if (keycmp(r->lo.data, r->lo.len, r->hi.data, r->hi.len) > 0) {
        sdb_keybuf_t t = r->lo;
        r->lo = r->hi;
        r->hi = t;
        incl = r->lo_incl;
        r->lo_incl = r->hi_incl;
        r->hi_incl = incl;
    }
    return 0;
}

static int
range_order(const void *a, const void *b)
{
    const range_t *x = a, *y = b;

    return keycmp(x->lo.data, x->lo.len, y->lo.data, y->lo.len);
}

static int emitted(scan_t *sc, const WT_ITEM *k);
static size_t kpart(const scan_t *sc, const WT_ITEM *k);

/* emit -- return the record of the entry under the index cursor (or, covered, its key
 * values); 1 when the batch is full. */
static int
emit(scan_t *sc, const WT_ITEM *k)
{
    WT_ITEM v, d;
    int64_t rid;
    int ret;

    if (sc->ix->unique) {
        SDB_RET(sc->ic->get_value(sc->ic, &v));
        rid = sdb_keyenc_decode_rid(v.data, v.size);
    } else {
        rid = sdb_keyenc_decode_rid(k->data, k->size);
    }
    if (sc->covered) {
        bool ok;
        bson_t kd;

        if (!sc->ix->unique)
            SDB_RET(sc->ic->get_value(sc->ic, &v));
        ok = ms_ixcover_doc(sc->ix, k->data, kpart(sc, k), v.data,
                            v.size - (sc->ix->unique ? 8 : 0), &kd);
        if (ok) {
            ms_records_append_doc(sc->arr, (uint32_t)sc->n++, rid, bson_get_data(&kd), kd.len);
            sc->bytes += (int64_t)kd.len;
        }
        bson_destroy(&kd);
        if (ok)
            return emitted(sc, k);
    }
    sc->fetched++;
    sc->rc->set_key(sc->rc, rid);
    ret = sc->rc->search(sc->rc);
    if (ret == WT_NOTFOUND)
        return 0;
    SDB_RET(ret);
    SDB_RET(sc->rc->get_value(sc->rc, &d));
    ms_records_append_doc(sc->arr, (uint32_t)sc->n++, rid, d.data, d.size);
    sc->bytes += (int64_t)d.size;
    return emitted(sc, k);
}

/* emitted -- remember the entry just returned (the resume token); 1 when the batch is full. */
static int
emitted(scan_t *sc, const WT_ITEM *k)
{
    if (sc->last_len < k->size)
        sc->last = bson_realloc(sc->last, k->size);
    memcpy(sc->last, k->data, k->size);
    sc->last_len = k->size;
    if ((sc->limit > 0 && sc->n >= sc->limit) || sc->bytes >= sc->max_bytes) {
        sc->full = true;
        return 1;
    }
    return 0;
}

/* kpart -- the encoded key part of an entry key (without the record id for non-unique). */
static size_t
kpart(const scan_t *sc, const WT_ITEM *k)
{
    return sc->ix->unique || k->size < 8 ? k->size : k->size - 8;
}

/* scan_fwd -- ascending walk of one range; returns 1 when the batch is full. */
static int
scan_fwd(scan_t *sc, const range_t *r)
{
    WT_CURSOR *ic = sc->ic;
    uint8_t *past = bson_malloc(r->lo.len + 9);
    WT_ITEM k = {.data = r->lo.data, .size = r->lo.len};
    int ret, exact, c;

    memcpy(past, r->lo.data, r->lo.len);
    memset(past + r->lo.len, 0xff, 9); /* above every entry whose key part equals lo */
    if (!r->lo_incl) { /* seek past them, as mongod's scan does, instead of reading them */
        k.data = past;
        k.size = r->lo.len + 9;
    }
    if (sc->after != NULL && keycmp(sc->after, sc->after_len, k.data, k.size) > 0) {
        k.data = sc->after;
        k.size = sc->after_len;
    }
    ic->set_key(ic, &k);
    ret = ic->search_near(ic, &exact);
    if (ret == 0 && exact < 0)
        ret = ic->next(ic);
    for (; ret == 0; ret = ic->next(ic)) {
        if ((ret = ic->get_key(ic, &k)) != 0)
            break;
        if (sc->after != NULL && keycmp(k.data, k.size, sc->after, sc->after_len) <= 0)
            continue;
        sc->keys++;
        c = keycmp(k.data, kpart(sc, &k), r->lo.data, r->lo.len);
        if (c < 0 || (c == 0 && !r->lo_incl))
            continue;
        c = keycmp(k.data, kpart(sc, &k), r->hi.data, r->hi.len);
        if (c > 0 || (c == 0 && !r->hi_incl)) {
            ret = WT_NOTFOUND;
            break;
        }
        if ((ret = emit(sc, &k)) != 0)
            break;
    }
    bson_free(past);
    return ret == WT_NOTFOUND ? 0 : ret;
}

/* scan_back -- descending walk of one range; returns 1 when the batch is full. */
static int
scan_back(scan_t *sc, const range_t *r)
{
    WT_CURSOR *ic = sc->ic;
    uint8_t *top = bson_malloc(r->hi.len + 9);
    WT_ITEM k = {.data = top, .size = r->hi.len + 9};
    int ret, exact, c;

    memcpy(top, r->hi.data, r->hi.len);
    memset(top + r->hi.len, 0xff, 9); /* above every entry whose key part equals hi */
    if (!r->hi_incl)
        k.size = r->hi.len; /* below them: an exclusive hi skips them unread */
    if (sc->after != NULL && keycmp(sc->after, sc->after_len, top, k.size) < 0) {
        k.data = sc->after;
        k.size = sc->after_len;
    }
    ic->set_key(ic, &k);
    ret = ic->search_near(ic, &exact);
    if (ret == 0 && exact > 0)
        ret = ic->prev(ic);
    for (; ret == 0; ret = ic->prev(ic)) {
        if ((ret = ic->get_key(ic, &k)) != 0)
            break;
        if (sc->after != NULL && keycmp(k.data, k.size, sc->after, sc->after_len) >= 0)
            continue;
        sc->keys++;
        c = keycmp(k.data, kpart(sc, &k), r->hi.data, r->hi.len);
        if (c > 0 || (c == 0 && !r->hi_incl))
            continue;
        c = keycmp(k.data, kpart(sc, &k), r->lo.data, r->lo.len);
        if (c < 0 || (c == 0 && !r->lo_incl)) {
            ret = WT_NOTFOUND;
            break;
        }
        if ((ret = emit(sc, &k)) != 0)
            break;
    }
    bson_free(top);
    return ret == WT_NOTFOUND ? 0 : ret;
}

/* run_scan -- walk every range in scan order inside one snapshot. */
static int
run_scan(WT_SESSION *s, bool in_xact, const bson_t *req, scan_t *sc, range_t *ranges, size_t nr,
         sdb_error_t *err)
{
    int ret = 0;

    if (!in_xact) /* else: the transaction's snapshot (xact.h) */
        SDB_RET(ms_records_begin_read(s, req, err));
    SDB_ERR(s->open_cursor(s, sc->ix->uri, NULL, NULL, &sc->ic));
    SDB_ERR(s->open_cursor(s, sc->c->uri, NULL, NULL, &sc->rc));
    for (size_t i = 0; i < nr && ret == 0; i++)
        ret = sc->dir > 0 ? scan_fwd(sc, &ranges[i]) : scan_back(sc, &ranges[nr - 1 - i]);
    if (ret == 1)
        ret = 0;
err:
    if (sc->ic != NULL)
        SDB_TRET(sc->ic->close(sc->ic));
    if (sc->rc != NULL)
        SDB_TRET(sc->rc->close(sc->rc));
    if (!in_xact)
        SDB_TRET(s->rollback_transaction(s, NULL));
    return ret;
}

static const ms_index_t *
index_named(const ms_coll_t *c, const char *name)
{
    for (size_t i = 0; i < c->nidx; i++)
        if (strcmp(c->idx[i].name, name) == 0)
            return &c->idx[i];
    /* "_id_" always reaches the _id index, also a clustered one that has another name */
    return strcmp(name, "_id_") == 0 && c->nidx > 0 ? &c->idx[0] : NULL;
}

/* parse_ranges -- the request's ranges, encoded for ix and sorted. */
static int
parse_ranges(const bson_t *req, const ms_index_t *ix, range_t **out, size_t *nout, sdb_error_t *err)
{
    bson_iter_t it;
    range_t *r = NULL;
    size_t n = 0;
    int ret = 0;

    *out = NULL;
    *nout = 0;
    SDB_RET(ms_req_array(req, "ranges", false, &it, NULL, err));
    while (bson_iter_next(&it)) {
        r = bson_realloc(r, (n + 1) * sizeof(*r));
        if ((ret = parse_range(ix, &it, &r[n++], err)) != 0)
            break;
    }
    if (ret == 0 && n > 1)
        qsort(r, n, sizeof(*r), range_order);
    *out = r;
    *nout = n;
    return ret;
}

static void
free_ranges(range_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sdb_keybuf_free(&r[i].lo);
        sdb_keybuf_free(&r[i].hi);
    }
    bson_free(r);
}

/* scan_params -- dir, resume token, limit and maxBytes. */
static int
scan_params(const bson_t *req, scan_t *sc, sdb_error_t *err)
{
    int64_t dir;
    bson_iter_t it;
    bson_subtype_t st;
    uint32_t len;

    SDB_RET(ms_req_int64(req, "dir", 1, &dir, NULL, err));
    sc->dir = dir < 0 ? -1 : 1;
    SDB_RET(ms_req_int64(req, "limit", 0, &sc->limit, NULL, err));
    SDB_RET(ms_req_int64(req, "maxBytes", MS_BATCH_BYTES_DEFAULT, &sc->max_bytes, NULL, err));
    SDB_RET(ms_req_bool(req, "covered", false, &sc->covered, err));
    if (bson_iter_init_find(&it, req, "after") && !BSON_ITER_HOLDS_NULL(&it)) {
        if (!BSON_ITER_HOLDS_BINARY(&it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch, "field 'after' must be binary");
        bson_iter_binary(&it, &st, &len, &sc->after);
        sc->after_len = len;
    }
    return 0;
}

int
ms_indexes_op_ixscan(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns, *name;
    range_t *ranges = NULL;
    size_t nr = 0;
    scan_t sc;
    bson_t arr;
    int ret = 0;

    memset(&sc, 0, sizeof(sc));
    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_str(req, "index", false, &name, err));
    SDB_RET(scan_params(req, &sc, err));
    sc.arr = &arr;
    BSON_APPEND_ARRAY_BEGIN(reply, "docs", &arr);
    ms_catalog_rdlock();
    if ((sc.c = ms_catalog_find_locked(ns)) != NULL) {
        if ((sc.ix = index_named(sc.c, name)) == NULL) {
            ret =
                sdb_error_set(err, SDB_CODE_IndexNotFound, "index not found with name [%s]", name);
            goto err;
        }
        SDB_ERR(parse_ranges(req, sc.ix, &ranges, &nr, err));
        SDB_ERR(run_scan(ctx->session, ctx->xact != NULL, req, &sc, ranges, nr, err));
    }
err:
    ms_catalog_unlock();
    bson_append_array_end(reply, &arr);
    if (ret == 0) {
        BSON_APPEND_BOOL(reply, "eof", !sc.full);
        BSON_APPEND_INT64(reply, "keys", sc.keys);
        if (sc.covered)
            BSON_APPEND_INT64(reply, "fetched", sc.fetched);
        if (sc.last != NULL)
            BSON_APPEND_BINARY(reply, "resume", BSON_SUBTYPE_BINARY, sc.last,
                               (uint32_t)sc.last_len);
    }
    free_ranges(ranges, nr);
    bson_free(sc.last);
    return ret;
}
