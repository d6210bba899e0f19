/*
 * src/worker/engine/exec.c -- the read executor: plan, fetch in batches, match, resume.
 *
 * The executor asks the master for documents in batches and filters them here, because the
 * worker owns query semantics.  Its position is "the last document handed to the caller":
 * for a collection scan the record id (SCAN resumes strictly after it), for an _id lookup the
 * _id value (the lookup values are sorted in index order, so the remaining ones are those
 * above it).  Both survive in a cursor state document, which is what lets any worker continue
 * a cursor.  For a secondary-index scan (SEC) it is an index entry: the resume token of the
 * last consumed reply, or the first in-range entry (exec_plan.h) of the last record met for
 * the first time; a record is handed out only when its first in-range entry lies after the
 * batch's start, and once per executor (a seen set), so neither a multikey record nor a
 * resumed cursor returns a record twice.  A record is replaced in place by UPDATE (same record id), so a scan never meets
 * a document it already passed, which is what keeps a multi-update from applying twice.
 *
 * Invariants: event-loop thread only.  Items point into ex->reply; a new fetch happens only
 * when every item was consumed, so no view handed out (except the last, see unget) outlives
 * its reply.
 */
#include "exec.h"
#include "exec_merge.h"
#include "plan_cache.h"
#include "tailable.h"
#include "text.h"

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../catalog_cache.h"
#include "../store_client.h"

#include <stdlib.h>
#include <string.h>

#define WK_EXEC_FETCH_FIRST 128u
#define WK_EXEC_FETCH_MAX 4096u
#define WK_EXEC_FETCH_BYTES (8 * 1024 * 1024)

int
wk_cmdu_store(int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_init(reply);
    return wk_store_call(op, req, reply, err);
}

int
wk_cmdu_cursor_put(int64_t id, const bson_t *state, bool done, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    int ret;

    BSON_APPEND_INT64(&req, "id", id);
    if (state != NULL && !done)
        BSON_APPEND_DOCUMENT(&req, "state", state);
    BSON_APPEND_BOOL(&req, "done", done);
    ret = wk_cmdu_store(SDB_OP_CURSOR_PUT, &req, &reply, err);
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* cur -- the plan being scanned (SEC): the clause's plan of an $or, else ex->plan. */
static wk_exec_plan_t *
cur(const wk_exec_t *ex)
{
    return ex->nor > 0 ? ex->ors[ex->or_cur] : (wk_exec_plan_t *)&ex->plan;
}

static int
value_cmp_qsort(const void *a, const void *b)
{
    return sdb_bson_value_cmp((const bson_value_t *)a, (const bson_value_t *)b);
}

/* plan_ids -- sort and de-duplicate the _id values; false when one cannot be looked up. */
static bool
plan_ids(const bson_t *values, bson_t *ids)
{
    bson_iter_t it;
    bson_value_t *v = NULL;
    size_t n = 0, cap = 0, out = 0;
    bool ok = true;

    bson_iter_init(&it, values);
    while (bson_iter_next(&it)) {
        bson_type_t t = bson_iter_type(&it);
        if (t == BSON_TYPE_ARRAY || t == BSON_TYPE_REGEX || t == BSON_TYPE_UNDEFINED) {
            ok = false;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = bson_realloc(v, cap * sizeof(*v));
        }
        v[n++] = *bson_iter_value(&it);
    }
    if (ok && n > 1)
        qsort(v, n, sizeof(*v), value_cmp_qsort);
    for (size_t i = 0; ok && i < n; i++) {
        char key[16];
        if (i > 0 && sdb_bson_value_cmp(&v[i - 1], &v[i]) == 0)
            continue;
        bson_snprintf(key, sizeof(key), "%zu", out++);
        bson_append_value(ids, key, -1, &v[i]);
    }
    bson_free(v);
    return ok;
}

void
wk_exec_init(wk_exec_t *ex)
{
    memset(ex, 0, sizeof(*ex));
    wk_exec_plan_init(&ex->plan);
    sdb_keybuf_init(&ex->sec_after);
    sdb_keybuf_init(&ex->sec_next);
    bson_init(&ex->ids);
    bson_init(&ex->reply);
    bson_init(&ex->sort);
    bson_init(&ex->minmax);
}

int
wk_exec_open(wk_exec_t *ex, const char *ns, const bson_t *filter, sdb_error_t *err)
{
    return wk_exec_open_ex(ex, ns, filter, NULL, err);
}

/* natural_dir -- the direction of a {$natural: n} hint; 0 when it is not one. */
static int
natural_dir(const bson_value_t *hint)
{
    bson_iter_t it;

    if (hint->value_type != BSON_TYPE_DOCUMENT ||
        !bson_iter_init_from_data(&it, hint->value.v_doc.data, hint->value.v_doc.data_len) ||
        !bson_iter_find(&it, "$natural") || !BSON_ITER_HOLDS_NUMBER(&it))
        return 0;
    return bson_iter_as_double(&it) < 0 ? -1 : 1;
}

/* hint_needs_index -- {} is no hint and {$natural: n} needs no index. */
static bool
hint_needs_index(const bson_value_t *hint)
{
    bson_t doc;

    if (hint->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&doc, hint->value.v_doc.data, hint->value.v_doc.data_len))
        return true;
    return !bson_empty(&doc) && !bson_has_field(&doc, "$natural");
}

/* hint_check -- a hint must be a string or a document (FailedToParse) naming an existing
 * index of ns (BadValue), unless it is {} or {$natural: n} or ns does not exist. */
static int
hint_check(const char *ns, const bson_value_t *hint, sdb_error_t *err)
{
    const wk_coll_info_t *ci;

    if (!hint_needs_index(hint))
        return 0;
    if (hint->value_type != BSON_TYPE_UTF8 && hint->value_type != BSON_TYPE_DOCUMENT)
        return sdb_error_set(err, SDB_CODE_FailedToParse, "hint must be a string or an object");
    SDB_RET(wk_cmdu_refresh(err));
    if ((ci = wk_catalog_find(ns)) == NULL || wk_exec_plan_hint_exists(ci, hint))
        return 0;
    return sdb_error_set(err, SDB_CODE_BadValue,
                         "hint provided does not correspond to an existing index");
}

/* doc_view -- a static view of the document under it. */
static void
doc_view(const bson_iter_t *it, bson_t *out)
{
    const uint8_t *d;
    uint32_t len;

    bson_iter_document(it, &len, &d);
    if (!bson_init_static(out, d, len))
        bson_init(out);
}

/* plan_hint -- the plan a hint asks for; *done false when it asks for nothing we follow.
 * find's min/max (ex->minmax) narrow the hinted index's scan to [min, max). */
static int
plan_hint(wk_exec_t *ex, const wk_coll_info_t *ci, const bson_t *filter, bool binary, bool *done,
          sdb_error_t *err)
{
    bson_iter_t it;
    bson_t min, max;

    ex->dir = natural_dir(&ex->hint);
    *done = ex->dir != 0;
    if (*done) {
        ex->mode = WK_EXEC_SCAN;
        return 0;
    }
    ex->dir = 1;
    SDB_RET(wk_exec_plan_hinted(ci, filter, &ex->hint, binary, ex->has_sort ? &ex->sort : NULL,
                                &ex->plan, done));
    if (*done)
        ex->mode = WK_EXEC_SEC;
    if (bson_empty(&ex->minmax))
        return 0;
    if (!*done)
        return sdb_error_set(err, SDB_CODE_Location51174,
                             "The index chosen is not compatible with min/max");
    bson_init(&min);
    bson_init(&max);
    if (bson_iter_init_find(&it, &ex->minmax, "min") && BSON_ITER_HOLDS_DOCUMENT(&it))
        doc_view(&it, &min);
    if (bson_iter_init_find(&it, &ex->minmax, "max") && BSON_ITER_HOLDS_DOCUMENT(&it))
        doc_view(&it, &max);
    return wk_exec_plan_minmax(&ex->plan, &min, &max, err);
}

/* choose -- the candidate to run: the one a resumed cursor used (want), else the cached winner
 * of this query shape, else the race's winner (then cached). */
static int
choose(wk_exec_t *ex, const bson_t *filter, const sdb_collation_t *coll, wk_exec_plan_t **v,
       size_t n, const char *want, size_t *w, sdb_error_t *err)
{
    bson_string_t *shape;
    const char *hit;

    *w = 0;
    for (size_t i = 0; want != NULL && i < n; i++)
        if (strcmp(v[i]->name, want) == 0) {
            *w = i;
            return 0;
        }
    if (n < 2 || want != NULL)
        return 0;
    shape = bson_string_new(NULL);
    wk_plan_cache_shape(filter, ex->has_sort ? &ex->sort : NULL, shape);
    if (coll != NULL) { /* the plan depends on the collation too */
        bson_t cs = BSON_INITIALIZER;
        char *j;

        sdb_collation_spec(coll, &cs);
        j = bson_as_relaxed_extended_json(&cs, NULL);
        bson_string_append(shape, j);
        bson_free(j);
        bson_destroy(&cs);
    }
    hit = wk_plan_cache_get(ex->ns, shape->str);
    for (size_t i = 0; hit != NULL && i < n; i++)
        if (strcmp(v[i]->name, hit) == 0) {
            *w = i;
            ex->cached = true;
        }
    if (!ex->cached) {
        int ret = wk_exec_race(ex, v, n, w, err);

        if (ret != 0) {
            bson_string_free(shape, true);
            return ret;
        }
        wk_plan_cache_put(ex->ns, shape->str, v[*w]->name);
        wk_plan_cache_note(ex->ns, shape->str, filter, ex->has_sort ? &ex->sort : NULL,
                           (int64_t)(v[*w]->trial.keys + v[*w]->trial.docs));
    }
    bson_string_free(shape, true);
    return 0;
}

/* plan_clustered -- a clustered collection keeps its records in _id order: what would be a
 * collection scan reads through its clustered (_id) index instead, bounded by the filter's
 * _id predicates.  (Not when its _id index has a collation: the scan keeps record order.) */
static int
plan_clustered(wk_exec_t *ex, const wk_coll_info_t *ci, const bson_t *filter)
{
    bson_t h = BSON_INITIALIZER;
    bson_value_t hv;
    bool done = false;
    int ret;

    if (!bson_has_field(&ci->options, "clusteredIndex"))
        return 0;
    BSON_APPEND_INT32(&h, "_id", 1);
    hv.value_type = BSON_TYPE_DOCUMENT;
    hv.value.v_doc.data = (uint8_t *)bson_get_data(&h);
    hv.value.v_doc.data_len = h.len;
    ret = wk_exec_plan_hinted(ci, filter, &hv, true, NULL, &ex->plan, &done);
    if (ret == 0 && done) {
        ex->mode = WK_EXEC_SEC;
        ex->dir = 1;
    }
    bson_destroy(&h);
    return ret;
}

/* plan_secondary -- an index plan (bounded; raced when several), else one scan per $or
 * clause, else a plan that only gives the sort; *sec false when none applies.  `want` is the
 * index a resumed cursor ran (NULL: none). */
static int
plan_secondary(wk_exec_t *ex, const wk_coll_info_t *ci, const bson_t *filter,
               const sdb_collation_t *coll, const char *want, bool *sec, sdb_error_t *err)
{
    wk_exec_plan_t **v = NULL;
    size_t n = 0, w = 0;
    int ret = 0;

    *sec = false;
    SDB_ERR(wk_exec_plan_geo(ci, filter, coll, &ex->plan, sec)); /* a geo region wins */
    if (*sec)
        goto err;
    SDB_ERR(wk_exec_plan_candidates(ci, filter, ex->has_sort ? &ex->sort : NULL, coll, &v, &n));
    if (n == 0 || !v[0]->bounded) {
        SDB_ERR(
            wk_exec_plan_or(ci, filter, ex->has_sort ? &ex->sort : NULL, coll, &ex->ors, &ex->nor));
        if (ex->nor > 0) { /* an $or's scans beat a plan that only gives the sort */
            *sec = true;
            ex->mode = WK_EXEC_SEC;
            if (wk_exec_merge_possible(ex))
                wk_exec_merge_open(ex, coll);
            goto err;
        }
    }
    if (n == 0)
        goto err;
    SDB_ERR(choose(ex, filter, coll, v, n, want, &w, err));
    wk_exec_plan_take(&ex->plan, v[w]);
    bson_free(v[w]);
    v[w] = v[n - 1];
    ex->rejected = v;
    ex->nrejected = n - 1;
    v = NULL;
    *sec = true;
err:
    if (v != NULL)
        wk_exec_plan_list_free(v, n);
    return ret;
}

/* open_plan -- wk_exec_open_hint; `want` WK_EXEC_SCAN forces a collection scan. */
static int
open_plan(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
          const bson_value_t *hint, const bson_t *sort, const bson_t *minmax, int want,
          const char *want_ix, sdb_error_t *err)
{
    const wk_coll_info_t *ci;
    const wk_op_t *op = ex->op;
    uint64_t read_ts = ex->read_ts;
    wk_match_opts_t mo;
    bson_t values;
    bool sec = false, hinted = false;
    int ret = 0;

    wk_exec_close(ex);
    ex->op = op;
    ex->read_ts = read_ts;
    bson_init(&values);
    if (strlen(ns) >= sizeof(ex->ns))
        SDB_ERR(
            sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace specified '%s'", ns));
    bson_strncpy(ex->ns, ns, sizeof(ex->ns));
    ex->fetch_limit = WK_EXEC_FETCH_FIRST;
    ex->dir = 1;
    if (hint != NULL) {
        bson_value_copy(hint, &ex->hint);
        ex->has_hint = true;
    }
    if (sort != NULL && !bson_empty(sort)) {
        bson_destroy(&ex->sort);
        bson_copy_to(sort, &ex->sort);
        ex->has_sort = true;
    }
    if (minmax != NULL && !bson_empty(minmax)) {
        bson_destroy(&ex->minmax);
        bson_copy_to(minmax, &ex->minmax);
        if (hint == NULL || natural_dir(hint) != 0 || !hint_needs_index(hint))
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location51173,
                                  "When using min()/max() a hint of which index to use must be "
                                  "provided"));
    }
    /* A read or write of a collection allows $where, run for this operation. */
    mo = opts != NULL ? *opts : (wk_match_opts_t){0};
    mo.allow_where = true;
    mo.op = op;
    if (wk_text_in_filter(filter)) { /* $text parses against the collection's text index */
        bson_t tspec;

        SDB_ERR(wk_cmdu_refresh(err));
        if (wk_catalog_find(ns) == NULL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_IndexNotFound,
                                  "text index required for $text query (no such collection "
                                  "'%s')",
                                  ns));
        if (wk_text_index(wk_catalog_find(ns), &tspec))
            mo.text_index = &tspec;
        ret = wk_matcher_new_ex(filter, &mo, &ex->matcher, err);
        mo.text_index = NULL;
        SDB_ERR(ret);
    } else {
        SDB_ERR(wk_matcher_new_ex(filter, &mo, &ex->matcher, err));
    }
    SDB_ERR(wk_cmdu_refresh(err));
    if ((ci = wk_catalog_find(ns)) == NULL && wk_tailable_is_oplog(ns)) {
        ex->mode = WK_EXEC_SCAN; /* SCAN reads the oplog, either way */
        if (hint != NULL && natural_dir(hint) < 0)
            ex->dir = -1;
        goto err;
    }
    if (ci == NULL)
        ex->mode = WK_EXEC_EMPTY;
    else if (hint != NULL)
        SDB_ERR(plan_hint(ex, ci, filter, opts == NULL || opts->coll == NULL, &hinted, err));
    if (ci == NULL || hinted)
        goto err;
    if (wk_text_in_filter(filter)) { /* TEXT_OR over the text index's terms (text.h) */
        bool text = false;

        SDB_ERR(wk_text_plan(ci, filter, &ex->plan, &text, err));
        if (text) {
            ex->mode = ex->plan.nr > 0 ? WK_EXEC_SEC : WK_EXEC_EMPTY;
            goto err;
        }
    }
    if (want == WK_EXEC_SCAN)
        ex->mode = WK_EXEC_SCAN;
    else if ((opts == NULL || opts->coll == NULL) && wk_matcher_id_values(ex->matcher, &values) &&
             plan_ids(&values, &ex->ids))
        ex->mode = WK_EXEC_IX;
    else /* under a collation: the indexes that have it, or bounds on no string */
        SDB_ERR(
            plan_secondary(ex, ci, filter, opts != NULL ? opts->coll : NULL, want_ix, &sec, err));
    if (ex->mode != WK_EXEC_IX)
        ex->mode = sec ? WK_EXEC_SEC : WK_EXEC_SCAN;
    if (ex->mode == WK_EXEC_SCAN && plan_clustered(ex, ci, filter) != 0)
        ex->mode = WK_EXEC_SCAN; /* a failed clustered plan leaves the collection scan */
    ret = 0;
err:
    bson_destroy(&values);
    return ret;
}

int
wk_exec_open_ex(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
                sdb_error_t *err)
{
    return open_plan(ex, ns, filter, opts, NULL, NULL, NULL, -1, NULL, err);
}

int
wk_exec_open_hint(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
                  const bson_value_t *hint, sdb_error_t *err)
{
    return wk_exec_open_sorted(ex, ns, filter, opts, hint, NULL, err);
}

int
wk_exec_open_sorted(wk_exec_t *ex, const char *ns, const bson_t *filter,
                    const wk_match_opts_t *opts, const bson_value_t *hint, const bson_t *sort,
                    sdb_error_t *err)
{
    return wk_exec_open_find(ex, ns, filter, opts, hint, sort, NULL, err);
}

int
wk_exec_open_find(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
                  const bson_value_t *hint, const bson_t *sort, const bson_t *minmax,
                  sdb_error_t *err)
{
    if (hint != NULL)
        SDB_RET(hint_check(ns, hint, err));
    return open_plan(ex, ns, filter, opts, hint, sort, minmax, -1, NULL, err);
}

int
wk_exec_key(const wk_exec_t *ex, const bson_t *doc, int64_t r, bson_t *out)
{
    const wk_exec_plan_t *p;
    sdb_keybuf_t m;
    bson_iter_t it;
    bool any = false;
    int ret = 0;

    if (ex->mode == WK_EXEC_IX) {
        if (bson_iter_init_find(&it, doc, "_id"))
            bson_append_iter(out, "_id", 3, &it);
        return 0;
    }
    if (ex->mode != WK_EXEC_SEC)
        return 0;
    p = ex->merge != NULL ? wk_exec_merge_last_plan(ex) : cur(ex);
    sdb_keybuf_init(&m);
    ret = wk_exec_plan_first_entry(p, doc, r, &m, &any);
    if (ret == 0 && any)
        ret = sdb_keyenc_decode_key(m.data, m.len, &p->key, out);
    sdb_keybuf_free(&m);
    return ret;
}

void
wk_exec_limit_hint(wk_exec_t *ex, uint64_t n)
{
    if (n > 0 && n < ex->fetch_limit)
        ex->fetch_limit = (uint32_t)n;
    for (size_t i = 0; i < wk_exec_merge_count(ex); i++) /* each merged scan may give them all */
        wk_exec_limit_hint(wk_exec_merge_sub(ex, i), n);
}

bool
wk_exec_sorted(const wk_exec_t *ex)
{
    return ex->mode == WK_EXEC_SEC && ex->nor == 0 && ex->has_sort &&
           (ex->plan.sorted || ex->merge != NULL);
}

/* keybuf_set -- make kb hold a copy of data. */
static void
keybuf_set(sdb_keybuf_t *kb, const uint8_t *data, size_t len)
{
    sdb_keybuf_reset(kb);
    if (kb->cap < len) {
        kb->data = bson_realloc(kb->data, len);
        kb->cap = len;
    }
    memcpy(kb->data, data, len);
    kb->len = len;
}

/* item_id -- position `it` on the _id of an item's document. */
static bool
item_id(const wk_exec_item_t *item, bson_iter_t *it)
{
    return bson_iter_init_from_data(it, item->data, item->len) && bson_iter_find(it, "_id");
}

/* remember_position -- before dropping a reply, keep the position of its last item. */
static void
remember_position(wk_exec_t *ex)
{
    bson_iter_t it;

    if (ex->nitems == 0)
        return;
    if (ex->mode == WK_EXEC_SEC) {
        if (ex->has_sec_next) {
            keybuf_set(&ex->sec_after, ex->sec_next.data, ex->sec_next.len);
            ex->has_sec_after = true;
        }
    } else if (ex->mode == WK_EXEC_SCAN) {
        ex->has_after = true;
        ex->after = ex->items[ex->nitems - 1].r;
    } else if (item_id(&ex->items[ex->nitems - 1], &it)) {
        if (ex->has_last_id)
            bson_value_destroy(&ex->last_id);
        bson_value_copy(bson_iter_value(&it), &ex->last_id);
        ex->has_last_id = true;
    }
}

/* build_ix_request -- {ns, index: "_id_", ranges: [point per remaining id], dir, limit}. */
static uint32_t
build_ix_request(wk_exec_t *ex, bson_t *req)
{
    bson_t ranges, range, lo, hi;
    bson_iter_t it;
    uint32_t n = 0;

    BSON_APPEND_UTF8(req, "ns", ex->ns);
    BSON_APPEND_UTF8(req, "index", "_id_");
    BSON_APPEND_ARRAY_BEGIN(req, "ranges", &ranges);
    bson_iter_init(&it, &ex->ids);
    while (bson_iter_next(&it)) {
        const bson_value_t *v = bson_iter_value(&it);
        char key[16];

        if (ex->has_last_id && sdb_bson_value_cmp(v, &ex->last_id) <= 0)
            continue;
        bson_snprintf(key, sizeof(key), "%u", n++);
        bson_append_document_begin(&ranges, key, -1, &range);
        BSON_APPEND_DOCUMENT_BEGIN(&range, "lo", &lo);
        BSON_APPEND_VALUE(&lo, "_id", v);
        bson_append_document_end(&range, &lo);
        BSON_APPEND_DOCUMENT_BEGIN(&range, "hi", &hi);
        BSON_APPEND_VALUE(&hi, "_id", v);
        bson_append_document_end(&range, &hi);
        BSON_APPEND_BOOL(&range, "loIncl", true);
        BSON_APPEND_BOOL(&range, "hiIncl", true);
        bson_append_document_end(&ranges, &range);
    }
    bson_append_array_end(req, &ranges);
    BSON_APPEND_INT32(req, "dir", 1);
    BSON_APPEND_INT32(req, "limit", (int32_t)(n + 1));
    BSON_APPEND_INT32(req, "maxBytes", WK_EXEC_FETCH_BYTES);
    return n;
}

/* build_sec_request -- {ns, index, ranges, dir: 1, after?, limit, maxBytes}. */
static void
build_sec_request(wk_exec_t *ex, bson_t *req)
{
    BSON_APPEND_UTF8(req, "ns", ex->ns);
    BSON_APPEND_UTF8(req, "index", cur(ex)->name);
    BSON_APPEND_ARRAY(req, "ranges", &cur(ex)->ranges);
    BSON_APPEND_INT32(req, "dir", cur(ex)->dir);
    if (ex->has_sec_after)
        BSON_APPEND_BINARY(req, "after", BSON_SUBTYPE_BINARY, ex->sec_after.data,
                           (uint32_t)ex->sec_after.len);
    BSON_APPEND_INT32(req, "limit", (int32_t)ex->fetch_limit);
    BSON_APPEND_INT32(req, "maxBytes", WK_EXEC_FETCH_BYTES);
    if (ex->covered)
        BSON_APPEND_BOOL(req, "covered", true);
    if (ex->fetch_limit < WK_EXEC_FETCH_MAX)
        ex->fetch_limit *= 2;
}

/* parse_items -- index the {r, d} entries of the current reply. */
static int
parse_items(wk_exec_t *ex, sdb_error_t *err)
{
    bson_iter_t it, docs, ent;

    ex->nitems = ex->idx = 0;
    ex->eof = bson_iter_init_find(&it, &ex->reply, "eof") && bson_iter_as_bool(&it);
    ex->has_sec_next = false;
    if (bson_iter_init_find(&it, &ex->reply, "keys")) {
        ex->keys_examined += (uint64_t)bson_iter_as_int64(&it);
        if (ex->mode == WK_EXEC_SEC)
            cur(ex)->keys += (uint64_t)bson_iter_as_int64(&it);
    }
    if (bson_iter_init_find(&it, &ex->reply, "fetched")) /* a covered scan's records */
        ex->docs_examined += (uint64_t)bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, &ex->reply, "resume") && BSON_ITER_HOLDS_BINARY(&it)) {
        const uint8_t *tok;
        uint32_t toklen;

        bson_iter_binary(&it, NULL, &toklen, &tok);
        keybuf_set(&ex->sec_next, tok, toklen);
        ex->has_sec_next = true;
    }
    if (!bson_iter_init_find(&it, &ex->reply, "docs") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &docs))
        return sdb_error_set(err, SDB_CODE_InternalError, "malformed scan reply");
    while (bson_iter_next(&docs)) {
        wk_exec_item_t *item;
        const uint8_t *data;
        uint32_t len;
        int64_t r = 0;
        bool have_d = false;

        if (!BSON_ITER_HOLDS_DOCUMENT(&docs) || !bson_iter_recurse(&docs, &ent))
            return sdb_error_set(err, SDB_CODE_InternalError, "malformed scan reply");
        if (ex->nitems == ex->cap) {
            ex->cap = ex->cap ? ex->cap * 2 : 64;
            ex->items = bson_realloc(ex->items, ex->cap * sizeof(*ex->items));
        }
        item = &ex->items[ex->nitems];
        while (bson_iter_next(&ent)) {
            if (strcmp(bson_iter_key(&ent), "r") == 0) {
                r = bson_iter_as_int64(&ent);
            } else if (strcmp(bson_iter_key(&ent), "d") == 0 && BSON_ITER_HOLDS_DOCUMENT(&ent)) {
                bson_iter_document(&ent, &len, &data);
                item->data = data;
                item->len = len;
                have_d = len >= 5;
            }
        }
        if (!have_d)
            return sdb_error_set(err, SDB_CODE_InternalError, "malformed scan reply");
        item->r = r;
        item->state = 0;
        ex->nitems++;
    }
    return 0;
}

/* oplog_snapshot -- whether this is a snapshot read of local.oplog.rs, whose record ids are
 * the entries' timestamps (storeop.def SCAN) and which the master scans up to the published
 * head: the executor keeps it at the snapshot's time itself. */
static bool
oplog_snapshot(const wk_exec_t *ex)
{
    return ex->read_ts != 0 && ex->mode == WK_EXEC_SCAN && strcmp(ex->ns, "local.oplog.rs") == 0;
}

/* oplog_at_snapshot -- forward, the first entry after the snapshot's time ends the scan
 * (backward, the scan starts below it: fetch). */
static void
oplog_at_snapshot(wk_exec_t *ex)
{
    size_t kept = 0;

    if (!oplog_snapshot(ex) || ex->dir < 0)
        return;
    while (kept < ex->nitems && (uint64_t)ex->items[kept].r <= ex->read_ts)
        kept++;
    if (kept < ex->nitems)
        ex->eof = true;
    ex->nitems = kept;
}

/* fetch -- replace the consumed reply with the next batch from the store. */
static int
fetch(wk_exec_t *ex, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER;
    int op = SDB_OP_SCAN;
    int ret = 0;

    remember_position(ex);
    bson_destroy(&ex->reply);
    bson_init(&ex->reply);
    /* the reply is re-initialized by wk_cmdu_store below; an empty one is always valid */
    ex->has_reply = false;
    ex->nitems = ex->idx = 0;
    if (ex->mode == WK_EXEC_IX) {
        op = SDB_OP_IXSCAN;
        if (build_ix_request(ex, &req) == 0) {
            ex->has_reply = true;
            ex->eof = true;
            goto err;
        }
    } else if (ex->mode == WK_EXEC_SEC) {
        op = SDB_OP_IXSCAN;
        build_sec_request(ex, &req);
    } else {
        BSON_APPEND_UTF8(&req, "ns", ex->ns);
        if (ex->has_after)
            BSON_APPEND_INT64(&req, "after", ex->after);
        else if (oplog_snapshot(ex) && ex->dir < 0) /* below the snapshot's time */
            BSON_APPEND_INT64(&req, "after", (int64_t)(ex->read_ts + 1));
        if (ex->dir < 0)
            BSON_APPEND_INT32(&req, "dir", -1);
        BSON_APPEND_INT32(&req, "limit", (int32_t)ex->fetch_limit);
        BSON_APPEND_INT32(&req, "maxBytes", WK_EXEC_FETCH_BYTES);
        if (ex->fetch_limit < WK_EXEC_FETCH_MAX)
            ex->fetch_limit *= 2;
    }
    wk_op_append_xact(ex->op, &req);
    if (ex->read_ts != 0) /* a snapshot read: every batch at the same time (storeop.def) */
        bson_append_timestamp(&req, "readTs", -1, (uint32_t)(ex->read_ts >> 32),
                              (uint32_t)ex->read_ts);
    SDB_ERR(wk_cmdu_store(op, &req, &ex->reply, err));
    ex->has_reply = true;
    SDB_ERR(parse_items(ex, err));
    oplog_at_snapshot(ex);
    if (ex->nitems == 0)
        ex->eof = true;
err:
    bson_destroy(&req);
    return ret;
}

/* earlier_clause -- an $or's record that an earlier clause's scan met (and handed out if it
 * matched): skipped without state, so a resumed cursor skips it too. */
static bool
earlier_clause(const wk_exec_t *ex, const bson_t *doc, int64_t r)
{
    for (size_t i = 0; i < ex->or_cur; i++) {
        sdb_keybuf_t m;
        bool any = false;

        sdb_keybuf_init(&m);
        if (wk_exec_plan_first_entry(ex->ors[i], doc, r, &m, &any) != 0)
            any = false;
        sdb_keybuf_free(&m);
        if (any)
            return true;
    }
    return false;
}

/* sec_first -- whether a SEC item meets its record for the first time (see the banner). */
static int
sec_first(wk_exec_t *ex, wk_exec_item_t *item, const bson_t *doc, bool *first)
{
    sdb_keybuf_t m;
    bool any = false;
    int ret;

    if (item->state == 0) {
        sdb_keybuf_init(&m);
        ret = wk_exec_plan_first_entry(cur(ex), doc, item->r, &m, &any);
        if (ret != 0) {
            sdb_keybuf_free(&m);
            return ret;
        }
        if (!any || (ex->has_sec_after &&
                     wk_exec_plan_keycmp(m.data, m.len, ex->sec_after.data, ex->sec_after.len) *
                             ex->plan.dir <=
                         0))
            item->state = 2;
        else
            item->state =
                earlier_clause(ex, doc, item->r) || wk_exec_plan_seen(cur(ex), item->r) ? 2 : 1;
        sdb_keybuf_free(&m);
    }
    *first = item->state == 1;
    return 0;
}

int
wk_exec_next(wk_exec_t *ex, bson_t *doc, int64_t *r, wk_match_details_t *details, bool *found,
             sdb_error_t *err)
{
    *found = false;
    if (ex->mode == WK_EXEC_EMPTY)
        return 0;
    if (ex->merge != NULL)
        return wk_exec_merge_next(ex, doc, r, found, err);
    for (;;) {
        wk_exec_item_t *item;
        bool matched;

        if (ex->idx >= ex->nitems && ex->has_reply && ex->eof && ex->or_cur + 1 < ex->nor) {
            ex->or_cur++; /* the next $or clause's scan, from its start */
            ex->has_sec_after = ex->has_reply = ex->eof = false;
            ex->nitems = ex->idx = 0;
        }
        if (ex->idx >= ex->nitems) {
            if (ex->has_reply && ex->eof)
                return 0;
            SDB_RET(fetch(ex, err));
            if (ex->nitems == 0) /* (eof now: an $or's next clause, or the end) */
                continue;
        }
        SDB_RET(wk_op_check(ex->op, err));
        item = &ex->items[ex->idx++];
        if (details != NULL)
            memset(details, 0, sizeof(*details));
        if (!bson_init_static(doc, item->data, item->len))
            continue;
        if (ex->mode == WK_EXEC_SEC) {
            bool first;

            SDB_RET(sec_first(ex, item, doc, &first));
            if (!first)
                continue;
        }
        if (!ex->covered) /* (an unget document is examined again: mongod's count too) */
            ex->docs_examined++;
        SDB_RET(wk_matcher_match(ex->matcher, doc, details, &matched, err));
        if (matched) {
            *r = item->r;
            *found = true;
            ex->n_returned++;
            return 0;
        }
    }
}

void
wk_exec_unget(wk_exec_t *ex)
{
    if (ex->merge != NULL)
        wk_exec_merge_unget(ex);
    else if (ex->idx > 0)
        ex->idx--;
}

/* save_sec -- {ix, afterKey?}: the first entry of the last record met first in this reply,
 * else the start of this reply. */
static void
save_sec(const wk_exec_t *ex, bson_t *pos)
{
    sdb_keybuf_t m;
    bool any = false;

    BSON_APPEND_UTF8(pos, "ix", cur(ex)->name);
    if (ex->nor > 0)
        BSON_APPEND_INT64(pos, "or", (int64_t)ex->or_cur);
    sdb_keybuf_init(&m);
    for (size_t i = ex->idx; i > 0 && !any; i--) {
        const wk_exec_item_t *item = &ex->items[i - 1];
        bson_t doc;

        if (item->state == 1 && bson_init_static(&doc, item->data, item->len) &&
            wk_exec_plan_first_entry(cur(ex), &doc, item->r, &m, &any) != 0)
            any = false;
    }
    if (any)
        BSON_APPEND_BINARY(pos, "afterKey", BSON_SUBTYPE_BINARY, m.data, (uint32_t)m.len);
    else if (ex->has_sec_after)
        BSON_APPEND_BINARY(pos, "afterKey", BSON_SUBTYPE_BINARY, ex->sec_after.data,
                           (uint32_t)ex->sec_after.len);
    sdb_keybuf_free(&m);
}

void
wk_exec_save(const wk_exec_t *ex, bson_t *state, const char *key)
{
    bson_t pos;
    bson_iter_t it;

    bson_append_document_begin(state, key, -1, &pos);
    BSON_APPEND_INT32(&pos, "mode", ex->mode);
    if (ex->read_ts != 0)
        bson_append_timestamp(&pos, "readTs", -1, (uint32_t)(ex->read_ts >> 32),
                              (uint32_t)ex->read_ts);
    if (ex->has_hint)
        BSON_APPEND_VALUE(&pos, "hint", &ex->hint);
    if (ex->has_sort)
        BSON_APPEND_DOCUMENT(&pos, "sort", &ex->sort);
    if (!bson_empty(&ex->minmax))
        BSON_APPEND_DOCUMENT(&pos, "minmax", &ex->minmax);
    if (ex->merge != NULL) {
        wk_exec_merge_save(ex, &pos);
    } else if (ex->mode == WK_EXEC_SEC) {
        save_sec(ex, &pos);
        if (ex->covered)
            BSON_APPEND_BOOL(&pos, "covered", true);
    } else if (ex->idx > 0 && ex->mode == WK_EXEC_SCAN) {
        BSON_APPEND_INT64(&pos, "after", ex->items[ex->idx - 1].r);
    } else if (ex->idx > 0 && ex->mode == WK_EXEC_IX) {
        if (item_id(&ex->items[ex->idx - 1], &it))
            BSON_APPEND_VALUE(&pos, "lastId", bson_iter_value(&it));
    } else if (ex->has_after) {
        BSON_APPEND_INT64(&pos, "after", ex->after);
    } else if (ex->has_last_id) {
        BSON_APPEND_VALUE(&pos, "lastId", &ex->last_id);
    }
    bson_append_document_end(state, &pos);
}

int
wk_exec_restore(wk_exec_t *ex, const char *ns, const bson_t *filter, const bson_t *pos,
                sdb_error_t *err)
{
    return wk_exec_restore_ex(ex, ns, filter, NULL, pos, err);
}

int
wk_exec_restore_ex(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
                   const bson_t *pos, sdb_error_t *err)
{
    bson_iter_t it;
    const bson_value_t *hint = NULL;
    bson_t sort, minmax;
    const char *want_ix;
    bool has_sort = false, has_minmax = false;
    int mode = -1;

    if (bson_iter_init_find(&it, pos, "mode") && BSON_ITER_HOLDS_INT32(&it))
        mode = bson_iter_int32(&it);
    if (bson_iter_init_find(&it, pos, "hint"))
        hint = bson_iter_value(&it);
    if (bson_iter_init_find(&it, pos, "sort") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *d;
        uint32_t len;

        bson_iter_document(&it, &len, &d);
        has_sort = bson_init_static(&sort, d, len);
    }
    if (bson_iter_init_find(&it, pos, "minmax") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *d;
        uint32_t len;

        bson_iter_document(&it, &len, &d);
        has_minmax = bson_init_static(&minmax, d, len);
    }
    if (bson_iter_init_find(&it, pos, "readTs") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
        uint32_t t, i;

        bson_iter_timestamp(&it, &t, &i);
        ex->read_ts = (uint64_t)t << 32 | i;
    }
    want_ix = bson_iter_init_find(&it, pos, "ix") && BSON_ITER_HOLDS_UTF8(&it)
                  ? bson_iter_utf8(&it, NULL)
                  : NULL;
    SDB_RET(open_plan(ex, ns, filter, opts, hint, has_sort ? &sort : NULL,
                      has_minmax ? &minmax : NULL, mode == WK_EXEC_SCAN ? WK_EXEC_SCAN : -1,
                      want_ix, err));
    if (bson_iter_init_find(&it, pos, "or") && ex->mode == WK_EXEC_SEC && ex->nor > 0 &&
        bson_iter_as_int64(&it) >= 0 && (uint64_t)bson_iter_as_int64(&it) < ex->nor)
        ex->or_cur = (size_t)bson_iter_as_int64(&it);
    if (mode == WK_EXEC_SEC && ex->merge != NULL) {
        if (!wk_exec_merge_restore(ex, pos))
            return sdb_error_set(err, SDB_CODE_QueryPlanKilled,
                                 "query plan killed :: index dropped");
        return 0;
    }
    if (mode == WK_EXEC_SEC &&
        (ex->mode != WK_EXEC_SEC || !bson_iter_init_find(&it, pos, "ix") ||
         !BSON_ITER_HOLDS_UTF8(&it) || strcmp(bson_iter_utf8(&it, NULL), cur(ex)->name) != 0))
        return sdb_error_set(err, SDB_CODE_QueryPlanKilled, "query plan killed :: index dropped");
    ex->covered = ex->mode == WK_EXEC_SEC && ex->nor == 0 &&
                  bson_iter_init_find(&it, pos, "covered") && bson_iter_as_bool(&it);
    if (bson_iter_init_find(&it, pos, "afterKey") && BSON_ITER_HOLDS_BINARY(&it) &&
        ex->mode == WK_EXEC_SEC) {
        const uint8_t *tok;
        uint32_t toklen;

        bson_iter_binary(&it, NULL, &toklen, &tok);
        keybuf_set(&ex->sec_after, tok, toklen);
        ex->has_sec_after = true;
    }
    if (bson_iter_init_find(&it, pos, "after") && ex->mode == WK_EXEC_SCAN) {
        ex->has_after = true;
        ex->after = bson_iter_as_int64(&it);
    }
    if (bson_iter_init_find(&it, pos, "lastId") && ex->mode == WK_EXEC_IX) {
        bson_value_copy(bson_iter_value(&it), &ex->last_id);
        ex->has_last_id = true;
    }
    return 0;
}

void
wk_exec_close(wk_exec_t *ex)
{
    wk_exec_note_stats(ex); /* the profiler's counts (op.h) */
    wk_exec_merge_free(ex);
    wk_matcher_free(ex->matcher);
    if (ex->has_hint)
        bson_value_destroy(&ex->hint);
    bson_destroy(&ex->ids);
    bson_destroy(&ex->reply);
    bson_destroy(&ex->sort);
    bson_destroy(&ex->minmax);
    if (ex->has_last_id)
        bson_value_destroy(&ex->last_id);
    bson_free(ex->items);
    wk_exec_plan_free(&ex->plan);
    for (size_t i = 0; i < ex->nor; i++) {
        wk_exec_plan_free(ex->ors[i]);
        bson_free(ex->ors[i]);
    }
    bson_free(ex->ors);
    wk_exec_plan_list_free(ex->rejected, ex->nrejected);
    sdb_keybuf_free(&ex->sec_after);
    sdb_keybuf_free(&ex->sec_next);
    wk_exec_init(ex);
}

int
wk_cmdu_read_record(const wk_op_t *op, const char *ns, int64_t r, bson_t *out, bool *found,
                    sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, docs, ent;
    int ret = 0;

    *found = false;
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_INT64(&req, "after", r - 1);
    BSON_APPEND_INT32(&req, "limit", 1);
    wk_op_append_xact(op, &req);
    SDB_ERR(wk_cmdu_store(SDB_OP_SCAN, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &docs) &&
        bson_iter_next(&docs) && bson_iter_recurse(&docs, &ent) && bson_iter_find(&ent, "r") &&
        bson_iter_as_int64(&ent) == r && bson_iter_recurse(&docs, &ent) &&
        bson_iter_find(&ent, "d") && BSON_ITER_HOLDS_DOCUMENT(&ent)) {
        const uint8_t *data;
        uint32_t len;
        bson_t view;

        bson_iter_document(&ent, &len, &data);
        if (bson_init_static(&view, data, len)) {
            bson_copy_to(&view, out);
            *found = true;
        }
    }
err:
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}
