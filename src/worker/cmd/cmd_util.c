/*
 * src/worker/cmd/cmd_util.c -- argument checking, the read executor and write plumbing shared by
 * the data commands.
 *
 * The executor asks the master for documents in batches and filters them here, because the
 * worker owns query semantics.  Its position is "the last document handed to the caller":
 * for a collection scan the record id (SCAN resumes strictly after it), for an _id lookup the
 * _id value (the lookup values are sorted in index order, so the remaining ones are those
 * above it).  Both survive in a cursor state document, which is what lets any worker continue
 * a cursor.  A record is replaced in place by UPDATE (same record id), so a scan never meets
 * a document it already passed, which is what keeps a multi-update from applying twice.
 *
 * Invariants: event-loop thread only.  Items point into ex->reply; a new fetch happens only
 * when every item was consumed, so no view handed out (except the last, see unget) outlives
 * its reply.
 */
#include "cmd_util.h"
#include "validation.h"

#include "../../common/bsoncmp.h"
#include "../../common/global.h"
#include "../catalog_cache.h"
#include "../query/collation.h"
#include "../query/expr.h"
#include "../store_client.h"
#include "../worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WK_EXEC_FETCH_FIRST 128u
#define WK_EXEC_FETCH_MAX 4096u
#define WK_EXEC_FETCH_BYTES (8 * 1024 * 1024)

/* ---- argument checking ----------------------------------------------------------------- */

const char *
wk_cmdu_type_name(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_DOUBLE:
        return "double";
    case BSON_TYPE_UTF8:
        return "string";
    case BSON_TYPE_DOCUMENT:
        return "object";
    case BSON_TYPE_ARRAY:
        return "array";
    case BSON_TYPE_BINARY:
        return "binData";
    case BSON_TYPE_UNDEFINED:
        return "undefined";
    case BSON_TYPE_OID:
        return "objectId";
    case BSON_TYPE_BOOL:
        return "bool";
    case BSON_TYPE_DATE_TIME:
        return "date";
    case BSON_TYPE_NULL:
        return "null";
    case BSON_TYPE_REGEX:
        return "regex";
    case BSON_TYPE_DBPOINTER:
        return "dbPointer";
    case BSON_TYPE_CODE:
        return "javascript";
    case BSON_TYPE_SYMBOL:
        return "symbol";
    case BSON_TYPE_CODEWSCOPE:
        return "javascriptWithScope";
    case BSON_TYPE_INT32:
        return "int";
    case BSON_TYPE_TIMESTAMP:
        return "timestamp";
    case BSON_TYPE_INT64:
        return "long";
    case BSON_TYPE_DECIMAL128:
        return "decimal";
    case BSON_TYPE_MINKEY:
        return "minKey";
    case BSON_TYPE_MAXKEY:
        return "maxKey";
    default:
        return "missing";
    }
}

static const char *const generic_args[] = {
    "$db",
    "lsid",
    "txnNumber",
    "autocommit",
    "startTransaction",
    "stmtId",
    "writeConcern",
    "readConcern",
    "$readPreference",
    "$clusterTime",
    "comment",
    "maxTimeMS",
    "apiVersion",
    "apiStrict",
    "apiDeprecationErrors",
    "$audit",
    "$client",
    "$configServerState",
    "clientOperationKey",
    "maxTimeMSOpOnly",
    "databaseVersion",
    "shardVersion",
    "mayBypassWriteBlocking",
    "txnRetryCounter",
    "$configTime",
    "$topologyTime",
    "usesDefaultMaxTimeMS",
    "versionContext",
    "$queryOptions",
    NULL,
};

bool
wk_cmdu_is_generic(const char *field)
{
    for (size_t i = 0; generic_args[i] != NULL; i++)
        if (strcmp(generic_args[i], field) == 0)
            return true;
    return false;
}

int
wk_cmdu_check_fields(wk_cmd_t *cmd, const char *const *known)
{
    bson_iter_t it;
    bool first = true;

    if (!bson_iter_init(&it, cmd->body))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidBSON, "invalid command document");
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool ok = false;

        if (first) {
            first = false;
            continue;
        }
        if (wk_cmdu_is_generic(k))
            continue;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(known[i], k) == 0;
        if (!ok)
            return sdb_error_set(&cmd->err, WK_CODE_UNKNOWN_FIELD,
                                 "BSON field '%s.%s' is an unknown field.", cmd->name, k);
    }
    return 0;
}

int
wk_cmdu_type_error(wk_cmd_t *cmd, const char *field, bson_type_t got, const char *expected)
{
    return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                         "BSON field '%s.%s' is the wrong type '%s', expected type '%s'", cmd->name,
                         field, wk_cmdu_type_name(got), expected);
}

int
wk_cmdu_get_doc(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, bson_t *out)
{
    const uint8_t *data;
    uint32_t len;

    if (BSON_ITER_HOLDS_NULL(it)) {
        bson_init(out);
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return wk_cmdu_type_error(cmd, field, bson_iter_type(it), "object");
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(out, data, len))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidBSON, "invalid BSON in '%s'", field);
    return 0;
}

int
wk_cmdu_get_i64(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, int64_t *out)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
        *out = bson_iter_int32(it);
        return 0;
    case BSON_TYPE_INT64:
        *out = bson_iter_int64(it);
        return 0;
    case BSON_TYPE_DOUBLE: {
        double d = bson_iter_double(it);
        if (d != d || d > 9.2e18 || d < -9.2e18 || (double)(int64_t)d != d)
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "Expected an integer, but found %g in: %s", d, field);
        *out = (int64_t)d;
        return 0;
    }
    default:
        return wk_cmdu_type_error(cmd, field, bson_iter_type(it), "long");
    }
}

bool
wk_cmdu_truthy(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_BOOL:
        return bson_iter_bool(it);
    case BSON_TYPE_INT32:
        return bson_iter_int32(it) != 0;
    case BSON_TYPE_INT64:
        return bson_iter_int64(it) != 0;
    case BSON_TYPE_DOUBLE:
        return bson_iter_double(it) != 0.0;
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
        return false;
    default:
        return true;
    }
}

void
wk_cmdu_append_iter_as(bson_t *b, const char *key, const bson_iter_t *it)
{
    bson_append_value(b, key, -1, bson_iter_value((bson_iter_t *)it));
}

int
wk_cmdu_refresh(sdb_error_t *err)
{
    int ret = wk_catalog_refresh();

    if (ret != 0)
        return sdb_error_set(err, SDB_CODE_InternalError, "catalog refresh failed: %s",
                             sdb_strerror(ret));
    return 0;
}

/* ---- the read executor ----------------------------------------------------------------- */

int
wk_cmdu_store(int op, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_init(reply);
    return wk_store_call(op, req, reply, err);
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
    bson_init(&ex->ids);
    bson_init(&ex->reply);
}

int
wk_exec_open(wk_exec_t *ex, const char *ns, const bson_t *filter, sdb_error_t *err)
{
    return wk_exec_open_ex(ex, ns, filter, NULL, err);
}

int
wk_exec_open_ex(wk_exec_t *ex, const char *ns, const bson_t *filter, const wk_match_opts_t *opts,
                sdb_error_t *err)
{
    bson_t values;
    int ret = 0;

    wk_exec_close(ex);
    bson_init(&values);
    if (strlen(ns) >= sizeof(ex->ns))
        SDB_ERR(
            sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace specified '%s'", ns));
    bson_strncpy(ex->ns, ns, sizeof(ex->ns));
    ex->fetch_limit = WK_EXEC_FETCH_FIRST;
    SDB_ERR(wk_matcher_new_ex(filter, opts, &ex->matcher, err));
    SDB_ERR(wk_cmdu_refresh(err));
    if (wk_catalog_find(ns) == NULL)
        ex->mode = WK_EXEC_EMPTY;
    else if ((opts == NULL || opts->coll == NULL) && /* the _id index is binary */
             wk_matcher_id_values(ex->matcher, &values) && plan_ids(&values, &ex->ids))
        ex->mode = WK_EXEC_IX;
    else
        ex->mode = WK_EXEC_SCAN;
err:
    bson_destroy(&values);
    return ret;
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
    if (ex->mode == WK_EXEC_SCAN) {
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

/* parse_items -- index the {r, d} entries of the current reply. */
static int
parse_items(wk_exec_t *ex, sdb_error_t *err)
{
    bson_iter_t it, docs, ent;

    ex->nitems = ex->idx = 0;
    ex->eof = bson_iter_init_find(&it, &ex->reply, "eof") && bson_iter_as_bool(&it);
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
        ex->nitems++;
    }
    return 0;
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
    } else {
        BSON_APPEND_UTF8(&req, "ns", ex->ns);
        if (ex->has_after)
            BSON_APPEND_INT64(&req, "after", ex->after);
        BSON_APPEND_INT32(&req, "limit", (int32_t)ex->fetch_limit);
        BSON_APPEND_INT32(&req, "maxBytes", WK_EXEC_FETCH_BYTES);
        if (ex->fetch_limit < WK_EXEC_FETCH_MAX)
            ex->fetch_limit *= 2;
    }
    SDB_ERR(wk_cmdu_store(op, &req, &ex->reply, err));
    ex->has_reply = true;
    SDB_ERR(parse_items(ex, err));
    if (ex->nitems == 0)
        ex->eof = true;
err:
    bson_destroy(&req);
    return ret;
}

int
wk_exec_next(wk_exec_t *ex, bson_t *doc, int64_t *r, wk_match_details_t *details, bool *found,
             sdb_error_t *err)
{
    *found = false;
    if (ex->mode == WK_EXEC_EMPTY)
        return 0;
    for (;;) {
        wk_exec_item_t *item;
        bool matched;

        if (ex->idx >= ex->nitems) {
            if (ex->has_reply && ex->eof)
                return 0;
            SDB_RET(fetch(ex, err));
            if (ex->nitems == 0)
                return 0;
        }
        item = &ex->items[ex->idx++];
        ex->docs_examined++;
        if (details != NULL)
            memset(details, 0, sizeof(*details));
        if (!bson_init_static(doc, item->data, item->len))
            continue;
        SDB_RET(wk_matcher_match(ex->matcher, doc, details, &matched, err));
        if (matched) {
            *r = item->r;
            *found = true;
            return 0;
        }
    }
}

void
wk_exec_unget(wk_exec_t *ex)
{
    if (ex->idx > 0)
        ex->idx--;
}

void
wk_exec_save(const wk_exec_t *ex, bson_t *state, const char *key)
{
    bson_t pos;
    bson_iter_t it;

    bson_append_document_begin(state, key, -1, &pos);
    BSON_APPEND_INT32(&pos, "mode", ex->mode);
    if (ex->idx > 0 && ex->mode == WK_EXEC_SCAN) {
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

    SDB_RET(wk_exec_open_ex(ex, ns, filter, opts, err));
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
    wk_matcher_free(ex->matcher);
    bson_destroy(&ex->ids);
    bson_destroy(&ex->reply);
    if (ex->has_last_id)
        bson_value_destroy(&ex->last_id);
    bson_free(ex->items);
    wk_exec_init(ex);
}

int
wk_cmdu_read_record(const char *ns, int64_t r, bson_t *out, bool *found, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, docs, ent;
    int ret = 0;

    *found = false;
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_INT64(&req, "after", r - 1);
    BSON_APPEND_INT32(&req, "limit", 1);
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

/* ---- writes ---------------------------------------------------------------------------- */

int
wk_cmdu_write_concern(wk_cmd_t *cmd, wk_write_concern_t *wc)
{
    bson_iter_t it, sub;

    memset(wc, 0, sizeof(*wc));
    if (!bson_iter_init_find(&it, cmd->body, "writeConcern") || BSON_ITER_HOLDS_NULL(&it))
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return wk_cmdu_type_error(cmd, "writeConcern", bson_iter_type(&it), "object");
    bson_iter_recurse(&it, &sub);
    while (bson_iter_next(&sub)) {
        const char *k = bson_iter_key(&sub);

        if (strcmp(k, "j") == 0 || strcmp(k, "fsync") == 0) {
            if (wk_cmdu_truthy(&sub))
                wc->journal = true;
        } else if (strcmp(k, "w") == 0) {
            if (BSON_ITER_HOLDS_UTF8(&sub) && strcmp(bson_iter_utf8(&sub, NULL), "majority") == 0)
                wc->journal = true;
            else if (BSON_ITER_HOLDS_UTF8(&sub))
                bson_strncpy(wc->tag, bson_iter_utf8(&sub, NULL), sizeof(wc->tag));
            else if (BSON_ITER_HOLDS_NUMBER(&sub))
                wc->w = bson_iter_as_int64(&sub);
            else
                return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                                     "w has to be a number or string");
        }
    }
    return 0;
}

int
wk_cmdu_write_concern_finish(wk_cmd_t *cmd, const wk_write_concern_t *wc)
{
    bson_t req = BSON_INITIALIZER, reply, wce;
    int ret = 0;

    if (wc->journal) {
        ret = wk_cmdu_store(SDB_OP_FLUSH, &req, &reply, &cmd->err);
        bson_destroy(&reply);
    }
    bson_destroy(&req);
    if (ret != 0 || (wc->w <= 1 && wc->tag[0] == '\0'))
        return ret;
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "writeConcernError", &wce);
    if (wc->w > 1) {
        BSON_APPEND_INT32(&wce, "code", WK_CODE_UNSATISFIABLE_WC);
        BSON_APPEND_UTF8(&wce, "codeName", "UnsatisfiableWriteConcern");
        BSON_APPEND_UTF8(&wce, "errmsg", "Not enough data-bearing nodes");
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "No write concern mode named '%s' found in replica set configuration", wc->tag);
        BSON_APPEND_INT32(&wce, "code", WK_CODE_UNKNOWN_REPL_WC);
        BSON_APPEND_UTF8(&wce, "codeName", "UnknownReplWriteConcern");
        BSON_APPEND_UTF8(&wce, "errmsg", msg);
    }
    bson_append_document_end(cmd->reply, &wce);
    return 0;
}

void
wk_cmdu_write_error(bson_t *arr, uint32_t nerr, int32_t index, const sdb_error_t *e,
                    const bson_t *detail)
{
    bson_t we;
    bson_iter_t it;
    char key[16];

    bson_snprintf(key, sizeof(key), "%u", nerr);
    bson_append_document_begin(arr, key, -1, &we);
    BSON_APPEND_INT32(&we, "index", index);
    BSON_APPEND_INT32(&we, "code", e->code);
    if (detail != NULL) {
        if (bson_iter_init_find(&it, detail, "keyPattern"))
            wk_cmdu_append_iter_as(&we, "keyPattern", &it);
        if (bson_iter_init_find(&it, detail, "keyValue"))
            wk_cmdu_append_iter_as(&we, "keyValue", &it);
        if (bson_iter_init_find(&it, detail, "errInfo"))
            wk_cmdu_append_iter_as(&we, "errInfo", &it);
    }
    BSON_APPEND_UTF8(&we, "errmsg", e->msg);
    bson_append_document_end(arr, &we);
}

/* check_id -- mongod's storage checks on an _id value. */
static int
check_id(const bson_iter_t *id, sdb_error_t *err)
{
    bson_iter_t sub;

    switch (bson_iter_type(id)) {
    case BSON_TYPE_ARRAY:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use an array for _id");
    case BSON_TYPE_REGEX:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use a regex for _id");
    case BSON_TYPE_UNDEFINED:
        return sdb_error_set(err, SDB_CODE_BadValue, "can't use a undefined for _id");
    case BSON_TYPE_DOCUMENT:
        bson_iter_recurse(id, &sub);
        while (bson_iter_next(&sub))
            if (bson_iter_key(&sub)[0] == '$')
                return sdb_error_set(err, SDB_CODE_DollarPrefixedFieldName,
                                     "_id fields may not contain '$'-prefixed fields: %s is not "
                                     "valid for storage.",
                                     bson_iter_key(&sub));
        return 0;
    default:
        return 0;
    }
}

int
wk_cmdu_ensure_id(const bson_t *doc, bson_t *out, sdb_error_t *err)
{
    bson_iter_t it;
    bson_oid_t oid;
    bool have_id;

    bson_init(out);
    have_id = bson_iter_init_find(&it, doc, "_id");
    if (have_id) {
        SDB_RET(check_id(&it, err));
        wk_cmdu_append_iter_as(out, "_id", &it);
    } else {
        bson_oid_init(&oid, NULL);
        BSON_APPEND_OID(out, "_id", &oid);
    }
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "_id") == 0)
            continue;
        bson_append_iter(out, bson_iter_key(&it), (int)bson_iter_key_len(&it), &it);
    }
    if (out->len > WK_BSON_MAX)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "object to insert too large. size in bytes: %u, max size: %d",
                             out->len, WK_BSON_MAX);
    return 0;
}

int
wk_cmdu_validator_load(wk_cmd_t *cmd, const char *ns, bool bypass, wk_validator_t *v)
{
    const wk_coll_info_t *ci;
    bson_iter_t it;
    bson_t doc;

    memset(v, 0, sizeof(*v));
    if (bypass)
        return 0;
    SDB_RET(wk_cmdu_refresh(&cmd->err));
    ci = wk_catalog_find(ns);
    if (ci == NULL || !bson_iter_init_find(&it, &ci->options, "validator") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    if (wk_cmdu_get_doc(cmd, &it, "validator", &doc) != 0 || bson_empty(&doc))
        return 0;
    if (bson_iter_init_find(&it, &ci->options, "validationLevel") && BSON_ITER_HOLDS_UTF8(&it)) {
        if (strcmp(bson_iter_utf8(&it, NULL), "off") == 0)
            return 0;
        v->moderate = strcmp(bson_iter_utf8(&it, NULL), "moderate") == 0;
    }
    if (bson_iter_init_find(&it, &ci->options, "validationAction") && BSON_ITER_HOLDS_UTF8(&it))
        v->warn = strcmp(bson_iter_utf8(&it, NULL), "warn") == 0;
    v->spec = bson_get_data(&doc);
    v->spec_len = doc.len;
    return wk_matcher_new(&doc, &v->m, &cmd->err);
}

int
wk_cmdu_validate(const wk_validator_t *v, const bson_t *old, const bson_t *doc, sdb_error_t *err)
{
    if (v == NULL || v->m == NULL || v->warn || wk_matcher_matches(v->m, doc, NULL))
        return 0;
    if (old != NULL && v->moderate && !wk_matcher_matches(v->m, old, NULL))
        return 0;
    return sdb_error_set(err, SDB_CODE_DocumentValidationFailure, "Document failed validation");
}

void
wk_cmdu_validator_free(wk_validator_t *v)
{
    wk_matcher_free(v->m);
    v->m = NULL;
}

int
wk_cmdu_check_batch(wk_cmd_t *cmd, uint32_t n)
{
    if (n >= 1 && n <= 100000)
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidLength,
                         "Write batch sizes must be between 1 and 100000. Got %u operations.", n);
}

/* value_text -- a value as mongod prints it in messages (relaxed extended JSON). */
static void
value_text(const bson_value_t *v, char *buf, size_t len)
{
    bson_t tmp = BSON_INITIALIZER;
    char *json, *p;
    size_t n;

    BSON_APPEND_VALUE(&tmp, "v", v);
    json = bson_as_relaxed_extended_json(&tmp, NULL);
    p = json != NULL ? strstr(json, " : ") : NULL;
    if (p == NULL) {
        bson_strncpy(buf, "?", len);
    } else {
        p += 3;
        n = strlen(p);
        if (n >= 2 && strcmp(p + n - 2, " }") == 0)
            p[n - 2] = '\0';
        bson_strncpy(buf, p, len);
    }
    bson_free(json);
    bson_destroy(&tmp);
}

/* fix_id -- the updated document with the original _id first; 66 if the update changed it. */
static int
fix_id(const bson_t *cur, const bson_t *out, bson_t *fixed, sdb_error_t *err)
{
    bson_iter_t cid, oid, it;
    char text[256];

    bson_init(fixed);
    if (!bson_iter_init_find(&cid, cur, "_id")) {
        bson_concat(fixed, out);
        return 0;
    }
    if (bson_iter_init_find(&oid, out, "_id") &&
        (bson_iter_type(&oid) != bson_iter_type(&cid) || sdb_bson_iter_cmp(&oid, &cid) != 0)) {
        value_text(bson_iter_value(&oid), text, sizeof(text));
        return sdb_error_set(err, SDB_CODE_ImmutableField,
                             "After applying the update, the (immutable) field '_id' was found "
                             "to have been altered to _id: %s",
                             text);
    }
    wk_cmdu_append_iter_as(fixed, "_id", &cid);
    bson_iter_init(&it, out);
    while (bson_iter_next(&it))
        if (strcmp(bson_iter_key(&it), "_id") != 0)
            bson_append_iter(fixed, bson_iter_key(&it), (int)bson_iter_key_len(&it), &it);
    if (fixed->len > WK_BSON_MAX)
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge,
                             "Resulting document after update is larger than %d", WK_BSON_MAX);
    return 0;
}

/* try_update -- one compare-and-swap attempt; *conflict on WriteConflict. */
static int
try_update(const char *ns, const wk_validator_t *v, const wk_update_t *u, int64_t r,
           const bson_t *cur, const wk_match_details_t *det, bool *conflict, bool *matched,
           bool *modified, bson_t *after, bson_t *detail, sdb_error_t *err)
{
    bson_t out, fixed = BSON_INITIALIZER, req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it;
    bool changed = false;
    int ret = 0;

    *conflict = false;
    ret = wk_update_apply(u, cur, det, false, &out, &changed, err);
    if (ret != 0) {
        bson_destroy(&out);
        goto err;
    }
    bson_destroy(&fixed);
    ret = fix_id(cur, &out, &fixed, err);
    bson_destroy(&out);
    SDB_ERR(ret);
    if (changed && (ret = wk_cmdu_validate(v, cur, &fixed, err)) != 0 && detail != NULL)
        wk_validation_info(v->spec, v->spec_len, &fixed, detail);
    SDB_ERR(ret);
    *matched = true;
    if (changed) {
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_INT64(&req, "r", r);
        BSON_APPEND_DOCUMENT(&req, "old", cur);
        BSON_APPEND_DOCUMENT(&req, "new", &fixed);
        ret = wk_cmdu_store(SDB_OP_UPDATE, &req, &reply, err);
        if (ret != 0 && err->code == SDB_CODE_WriteConflict) {
            *conflict = true;
            ret = 0;
            goto err;
        }
        if (ret != 0 && detail != NULL)
            bson_concat(detail, &reply);
        SDB_ERR(ret);
        *matched = bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) > 0;
        *modified = *matched;
    }
    if (after != NULL && *matched)
        bson_concat(after, changed ? &fixed : cur);
err:
    bson_destroy(&fixed);
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* reread -- after a conflict: the record's current bytes, if it still exists and matches. */
static int
reread(const char *ns, const wk_matcher_t *m, int64_t r, bson_t *cur, wk_match_details_t *det,
       bool *still, sdb_error_t *err)
{
    bool found = false;
    int ret;

    memset(det, 0, sizeof(*det));
    *still = false;
    bson_destroy(cur);
    ret = wk_cmdu_read_record(ns, r, cur, &found, err);
    if (!found)
        bson_init(cur);
    SDB_RET(ret);
    if (found)
        SDB_RET(wk_matcher_match(m, cur, det, still, err));
    return 0;
}

#define WK_CAS_RETRIES 1000

int
wk_cmdu_update_one(const char *ns, const wk_validator_t *v, const wk_matcher_t *m,
                   const wk_update_t *u, int64_t r, const bson_t *doc,
                   const wk_match_details_t *details, bool *matched, bool *modified, bson_t *before,
                   bson_t *after, bson_t *detail, sdb_error_t *err)
{
    wk_match_details_t det;
    bson_t cur;
    bool conflict = false, still;
    int ret = 0;

    *matched = *modified = false;
    memset(&det, 0, sizeof(det));
    if (details != NULL)
        det = *details;
    bson_copy_to(doc, &cur);
    for (int i = 0; i < WK_CAS_RETRIES; i++) {
        SDB_ERR(
            try_update(ns, v, u, r, &cur, &det, &conflict, matched, modified, after, detail, err));
        if (!conflict) {
            if (before != NULL && *matched)
                bson_concat(before, &cur);
            goto err;
        }
        *matched = false;
        SDB_ERR(reread(ns, m, r, &cur, &det, &still, err));
        if (!still)
            goto err;
    }
    ret = sdb_error_set(err, SDB_CODE_WriteConflict, "Write conflict during plan execution");
err:
    bson_destroy(&cur);
    return ret;
}

int
wk_cmdu_upsert(const char *ns, const wk_validator_t *v, const bson_t *q, const wk_update_t *u,
               bson_t *out, bson_t *detail, sdb_error_t *err)
{
    bson_t seed, applied, req = BSON_INITIALIZER, reply = BSON_INITIALIZER, arr;
    bson_iter_t it, we;
    bool changed;
    int ret = 0;

    bson_init(out);
    /* zeroed so that we can tell whether the seed was initialized on a failure */
    memset(&seed, 0, sizeof(seed));
    ret = wk_update_upsert_seed(q, &seed, err);
    if (ret != 0) {
        if (seed.flags != 0)
            bson_destroy(&seed);
        goto err;
    }
    ret = wk_update_apply(u, &seed, NULL, true, &applied, &changed, err);
    bson_destroy(&seed);
    if (ret == 0) {
        bson_destroy(out);
        ret = wk_cmdu_ensure_id(&applied, out, err);
    }
    bson_destroy(&applied);
    SDB_ERR(ret);
    if ((ret = wk_cmdu_validate(v, NULL, out, err)) != 0 && detail != NULL)
        wk_validation_info(v->spec, v->spec_len, out, detail);
    SDB_ERR(ret);
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_ARRAY_BEGIN(&req, "docs", &arr);
    BSON_APPEND_DOCUMENT(&arr, "0", out);
    bson_append_array_end(&req, &arr);
    BSON_APPEND_BOOL(&req, "ordered", true);
    SDB_ERR(wk_cmdu_store(SDB_OP_INSERT, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "writeErrors") && bson_iter_recurse(&it, &we) &&
        bson_iter_next(&we) && BSON_ITER_HOLDS_DOCUMENT(&we)) {
        const uint8_t *data;
        uint32_t len;
        bson_t e;

        bson_iter_document(&we, &len, &data);
        if (bson_init_static(&e, data, len)) {
            sdb_error_from_bson(&e, err);
            if (detail != NULL)
                bson_concat(detail, &e);
        }
        ret = SDB_ECLIENT;
    }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

int
wk_cmdu_delete_one(const char *ns, const wk_matcher_t *m, int64_t r, const bson_t *doc,
                   bool *deleted, bson_t *old, sdb_error_t *err)
{
    wk_match_details_t det;
    bson_t cur, req, reply = BSON_INITIALIZER;
    bson_iter_t it;
    bool still;
    int ret = 0;

    *deleted = false;
    bson_copy_to(doc, &cur);
    for (int i = 0; i < WK_CAS_RETRIES; i++) {
        bson_init(&req);
        BSON_APPEND_UTF8(&req, "ns", ns);
        BSON_APPEND_INT64(&req, "r", r);
        BSON_APPEND_DOCUMENT(&req, "old", &cur);
        bson_destroy(&reply);
        ret = wk_cmdu_store(SDB_OP_DELETE, &req, &reply, err);
        bson_destroy(&req);
        if (ret == 0) {
            *deleted = bson_iter_init_find(&it, &reply, "n") && bson_iter_as_int64(&it) > 0;
            if (*deleted && old != NULL)
                bson_concat(old, &cur);
            goto err;
        }
        if (err->code != SDB_CODE_WriteConflict)
            goto err;
        ret = 0;
        SDB_ERR(reread(ns, m, r, &cur, &det, &still, err));
        if (!still)
            goto err;
    }
    ret = sdb_error_set(err, SDB_CODE_WriteConflict, "Write conflict during plan execution");
err:
    bson_destroy(&reply);
    bson_destroy(&cur);
    return ret;
}

/* ---- opcounters ------------------------------------------------------------------------ */

void
wk_cmdu_opcount(int which, uint64_t n)
{
    sdb_worker_counters_t *c;

    if (wk_global == NULL || wk_slot < 0 || wk_slot >= SDB_MAX_WORKERS || n == 0)
        return;
    c = &wk_global->workers[wk_slot];
    switch (which) {
    case WK_OPC_INSERT:
        atomic_fetch_add(&c->op_insert, n);
        break;
    case WK_OPC_QUERY:
        atomic_fetch_add(&c->op_query, n);
        break;
    case WK_OPC_UPDATE:
        atomic_fetch_add(&c->op_update, n);
        break;
    case WK_OPC_DELETE:
        atomic_fetch_add(&c->op_delete, n);
        break;
    case WK_OPC_GETMORE:
        atomic_fetch_add(&c->op_getmore, n);
        break;
    default:
        break;
    }
}

int
wk_cmd_ns(wk_cmd_t *cmd, char *ns, size_t nslen)
{
    bson_iter_t it;
    const char *coll;
    uint32_t len;

    if (!bson_iter_init(&it, cmd->body) || !bson_iter_next(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                             "collection name has invalid type %s",
                             wk_cmdu_type_name(bson_iter_type(&it)));
    coll = bson_iter_utf8(&it, &len);
    if (len == 0 || strlen(coll) != len ||
        (size_t)snprintf(ns, nslen, "%s.%s", cmd->db, coll) >= nslen)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace,
                             "Invalid namespace specified '%s.%s'", cmd->db, coll);
    return 0;
}

int
wk_cmdu_let_vars(wk_cmd_t *cmd, const bson_iter_t *let, bson_t **vars)
{
    bson_t empty = BSON_INITIALIZER, doc;
    bson_iter_t it;
    int ret = 0;

    *vars = bson_new();
    SDB_ERR(wk_cmdu_get_doc(cmd, let, "let", &doc));
    bson_iter_init(&it, &doc);
    while (bson_iter_next(&it)) {
        wk_expr_t *e = NULL;
        bson_value_t v;

        SDB_ERR(wk_expr_parse(&it, &e, &cmd->err));
        ret = wk_expr_eval_vars(e, &empty, *vars, &v, &cmd->err);
        wk_expr_free(e);
        if (ret != 0)
            goto err;
        if (v.value_type != BSON_TYPE_EOD) {
            bson_append_value(*vars, bson_iter_key(&it), -1, &v);
            bson_value_destroy(&v);
        }
    }
err:
    bson_destroy(&empty);
    return ret;
}

int
wk_cmdu_collation_new(const bson_iter_t *it, const char *field, wk_collation_t **out,
                      sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;
    bson_t spec;

    *out = NULL;
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '%s' is the wrong type '%s', expected type 'object'",
                             field, wk_cmdu_type_name(bson_iter_type(it)));
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(&spec, data, len))
        return sdb_error_set(err, SDB_CODE_BadValue, "invalid collation document");
    return wk_collation_new(&spec, out, err);
}
