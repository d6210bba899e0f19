/*
 * src/worker/cmd/find.c -- find, getMore and killCursors.
 *
 * find plans the read with the shared executor (exec.h).  Without a sort it streams:
 * documents are matched, skipped, projected and batched as the executor yields them; when
 * more remain the executor's position, the filter, the projection and the remaining
 * skip/limit go into the cursor's state document (CURSOR_NEW {state}), so that any worker
 * can rebuild the plan for getMore.  With a sort (or {$natural: -1}) it blocks: every match is collected (only
 * the best skip+limit are kept when a limit is given), sorted in memory (error 292 past
 * internalQueryMaxBlockingSortMemoryUsageBytes when allowDiskUse, or allowDiskUseByDefault
 * without it, is false; with it the sort still runs in memory), and what does not fit in the first batch is projected and
 * spooled into the master (CURSOR_NEW {docs}), which hands it back batch by batch (from its
 * heap or a temporary table, master/spool.h).  noCursorTimeout travels as CURSOR_NEW
 * {noTimeout}: the master never expires such a cursor.  The resumable natural-order scan
 * ($_requestResumeToken, $_resumeAfter) is checked as mongod checks it and then refused
 * (InvalidOptions): resume tokens are not implemented.
 *
 * Batches hold at most batchSize documents (find: 101 by default; getMore: unlimited) and
 * stop growing at 16 MiB, always holding at least one document.  A cursor is reported open
 * only when a document is known to remain (the executor peeks one ahead), or when the batch
 * was cut by batchSize 0.
 *
 * Invariants: event-loop thread; a cursor checked out with CURSOR_GET is always checked back
 * in (CURSOR_PUT) before the handler returns, on error paths too.
 */
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/geo_near.h"
#include "../engine/namespace.h"
#include "../engine/opcount.h"
#include "../engine/read_concern.h"
#include "../engine/session.h"
#include "../engine/tailable.h"
#include "../engine/view.h"
#include "aggregate.h"
#include "view_read.h"

#include "../../common/collation.h"
#include "../../common/geo/geo_keys.h"
#include "../agg/stage_changestream.h"
#include "../auth/authz.h"
#include "../catalog_cache.h"
#include "../oplog_wait.h"
#include "../query/projection.h"
#include "../query/sort.h"
#include "../store_client.h"
#include "../worker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WK_FIND_DEFAULT_BATCH 101
#define WK_SPOOL_DEFAULT_GET 0 /* the master stops a batch at 16 MiB */

typedef struct find_args {
    bson_t filter, projection, sort; /* static views; empty when absent */
    int64_t skip, limit, batch_size; /* limit 0 = none; batch_size -1 = default */
    bool single_batch, allow_disk_use, no_timeout;
    bool tailable, await_data; /* tailable.h */
    bool has_hint;
    bool resume_token, resume_at; /* $_requestResumeToken; $_resumeAfter or $_startAt given */
    bson_iter_t hint;
    bson_t *vars;          /* the command's let variables (bson_new) or NULL */
    bson_t collation;      /* static view (or the collection's default, owned); empty if none */
    sdb_collation_t *coll; /* NULL = simple */
    bson_t minmax;         /* {min?, max?} (owned) */
    bool return_key, show_record_id;
    wk_geo_near_t *near; /* a top-level $near / $nearSphere: the order (engine/geo_near.h) */
} find_args_t;

typedef struct batch {
    bson_t arr;
    uint32_t n;
    size_t bytes;
} batch_t;

/* stream -- what a streaming plan needs to continue. */
typedef struct stream {
    wk_exec_t ex;
    wk_projection_t *proj;
    int64_t skip;  /* still to skip */
    int64_t limit; /* still to return; 0 = no limit */
    bool has_limit;
    bool exhausted; /* nothing remains */
    bool return_key, show_record_id;
    const bson_t *vars; /* the command's variables (let, fixed $$NOW) for computed fields */
} stream_t;

static const char *const find_fields[] = {
    "filter",
    "projection",
    "sort",
    "hint",
    "skip",
    "limit",
    "batchSize",
    "singleBatch",
    "max",
    "min",
    "returnKey",
    "showRecordId",
    "tailable",
    "oplogReplay",
    "noCursorTimeout",
    "awaitData",
    "allowPartialResults",
    "collation",
    "allowDiskUse",
    "let",
    "term",
    "readOnce",
    "allowSpeculativeMajorityRead",
    "$_requestResumeToken",
    "$_resumeAfter",
    "$_startAt",
    "$_isTimeseriesNamespace",
    NULL,
};

/* mongos' time-series buckets flag: refused (engine/args.h), never ignored. */
static const char *const find_unsupported[] = {"$_isTimeseriesNamespace", NULL};

static void
batch_init(batch_t *b)
{
    bson_init(&b->arr);
    b->n = 0;
    b->bytes = 0;
}

static bool
batch_fits(const batch_t *b, const bson_t *doc)
{
    return b->n == 0 || b->bytes + doc->len <= WK_BATCH_MAX_BYTES;
}

static void
batch_add(batch_t *b, const bson_t *doc)
{
    char key[16];
    const char *k;

    bson_uint32_to_string(b->n++, &k, key, sizeof(key));
    BSON_APPEND_DOCUMENT(&b->arr, k, doc);
    b->bytes += doc->len;
}

/* append_cursor -- {cursor: {<which>: [...], id, ns[, atClusterTime]}}; `at` is a snapshot
 * read's time (0 = none). */
static void
append_cursor(bson_t *reply, const char *which, const batch_t *b, int64_t id, const char *ns,
              uint64_t at)
{
    bson_t cur;

    BSON_APPEND_DOCUMENT_BEGIN(reply, "cursor", &cur);
    BSON_APPEND_ARRAY(&cur, which, &b->arr);
    BSON_APPEND_INT64(&cur, "id", id);
    BSON_APPEND_UTF8(&cur, "ns", ns);
    if (at != 0)
        wk_rc_append_ts(&cur, "atClusterTime", at);
    bson_append_document_end(reply, &cur);
}

/* nonneg -- read a number that mongod's IDL requires to be >= 0. */
static int
nonneg(wk_cmd_t *cmd, const bson_iter_t *it, const char *field, int64_t *out)
{
    SDB_RET(wk_cmdu_get_i64(cmd, it, field, out));
    if (*out < 0)
        return sdb_error_set(&cmd->err, WK_CODE_BAD_LIMIT,
                             "BSON field '%s' value must be >= 0, actual value '%lld'", field,
                             (long long)*out);
    return 0;
}

/* parse_one -- one field of the find command. */
static int
parse_one(wk_cmd_t *cmd, find_args_t *a, const bson_iter_t *it)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "filter") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->filter);
    if (strcmp(k, "projection") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->projection);
    if (strcmp(k, "sort") == 0)
        return wk_cmdu_get_doc(cmd, it, k, &a->sort);
    if (strcmp(k, "skip") == 0)
        return nonneg(cmd, it, k, &a->skip);
    if (strcmp(k, "batchSize") == 0)
        return nonneg(cmd, it, k, &a->batch_size);
    if (strcmp(k, "limit") == 0) /* drivers turn a negative limit into limit + singleBatch */
        return nonneg(cmd, it, k, &a->limit);
    if (strcmp(k, "singleBatch") == 0) {
        a->single_batch = a->single_batch || wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "allowDiskUse") == 0) {
        a->allow_disk_use = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "noCursorTimeout") == 0) {
        a->no_timeout = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "tailable") == 0 || strcmp(k, "awaitData") == 0) {
        *(k[0] == 't' ? &a->tailable : &a->await_data) = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "hint") == 0) {
        a->has_hint = true;
        a->hint = *it;
    }
    if (strcmp(k, "returnKey") == 0 || strcmp(k, "showRecordId") == 0) {
        *(k[0] == 'r' ? &a->return_key : &a->show_record_id) = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "min") == 0 || strcmp(k, "max") == 0) {
        bson_t d;

        SDB_RET(wk_cmdu_get_doc(cmd, it, k, &d));
        if (!bson_empty(&d))
            BSON_APPEND_DOCUMENT(&a->minmax, k, &d);
        return 0;
    }
    if (strcmp(k, "$_requestResumeToken") == 0) {
        a->resume_token = wk_cmdu_truthy(it);
        return 0;
    }
    if (strcmp(k, "$_resumeAfter") == 0 || strcmp(k, "$_startAt") == 0) {
        const uint8_t *data;
        uint32_t len = 0;

        if (BSON_ITER_HOLDS_DOCUMENT(it))
            bson_iter_document(it, &len, &data);
        a->resume_at = a->resume_at || len != 5; /* anything but {} */
        return 0;
    }
    if (strcmp(k, "let") == 0 && a->vars == NULL)
        return wk_cmdu_let_vars(cmd, it, &a->vars);
    if (strcmp(k, "collation") == 0 && a->coll == NULL) {
        SDB_RET(wk_cmdu_collation_new(it, "collation", &a->coll, &cmd->err));
        return wk_cmdu_get_doc(cmd, it, k, &a->collation);
    }
    return 0;
}

/* is_natural1 -- the value is {$natural: 1}. */
static bool
is_natural1(const bson_iter_t *v)
{
    bson_iter_t in;

    return BSON_ITER_HOLDS_DOCUMENT(v) && bson_iter_recurse(v, &in) && bson_iter_next(&in) &&
           strcmp(bson_iter_key(&in), "$natural") == 0 && BSON_ITER_HOLDS_NUMBER(&in) &&
           bson_iter_as_int64(&in) == 1 && !bson_iter_next(&in);
}

/* check_resume -- mongod's checks of the resumable natural-order scan options, then a
 * refusal: resume tokens (postBatchResumeToken, $_resumeAfter) are not implemented, and an
 * option that is accepted must not be ignored. */
static int
check_resume(wk_cmd_t *cmd, const find_args_t *a)
{
    bson_iter_t s;

    if (!a->resume_token && a->resume_at)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "'requestResumeToken' must be true if 'resumeAfter' is specified");
    if (!a->resume_token)
        return 0;
    if (!a->has_hint || !is_natural1(&a->hint))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "hint must be {$natural:1} if 'requestResumeToken' is enabled");
    if (!bson_empty(&a->sort) &&
        !(bson_iter_init(&s, &a->sort) && bson_iter_next(&s) &&
          strcmp(bson_iter_key(&s), "$natural") == 0 && bson_iter_as_int64(&s) == 1))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "sort must be unset or {$natural:1} if 'requestResumeToken' is "
                             "enabled");
    return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                         "$_requestResumeToken is not supported by this server");
}

static int
parse_find(wk_cmd_t *cmd, find_args_t *a)
{
    bson_iter_t it;

    memset(a, 0, sizeof(*a));
    a->allow_disk_use = atomic_load(&wk_global->allow_disk_default) != 0; /* as aggregate */
    bson_init(&a->filter);
    bson_init(&a->projection);
    bson_init(&a->sort);
    bson_init(&a->collation);
    bson_init(&a->minmax);
    a->batch_size = -1;
    SDB_RET(wk_cmdu_check_fields(cmd, find_fields));
    SDB_RET(wk_cmdu_check_unsupported(cmd, find_unsupported));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it))
        SDB_RET(parse_one(cmd, a, &it));
    return check_resume(cmd, a);
}

/* first_batch_size -- batchSize, else 101; never more than the limit; a single batch
 * without batchSize holds up to the whole limit. */
static int64_t
first_batch_size(const find_args_t *a)
{
    int64_t want = a->batch_size < 0 ? WK_FIND_DEFAULT_BATCH : a->batch_size;

    if (a->limit > 0 && a->batch_size < 0 && a->single_batch)
        want = a->limit;
    if (a->limit > 0 && want > a->limit)
        want = a->limit;
    return want;
}

/* shape -- the document find returns for doc (record r): its projection, or with returnKey
 * the index key it was found at; then, with showRecordId, its record id as $recordId. */
static int
shape(const wk_exec_t *ex, const bson_t *vars, const wk_projection_t *proj, bool return_key,
      bool show_record_id, const bson_t *doc, int64_t r, const wk_match_details_t *det, bson_t *out,
      sdb_error_t *err)
{
    wk_match_details_t none;

    if (return_key) {
        bson_init(out);
        SDB_RET(wk_exec_key(ex, doc, r, out));
    } else if (proj != NULL) {
        if (det == NULL) { /* a sorted document: re-match it for the positional details */
            memset(&none, 0, sizeof(none));
            wk_matcher_matches(ex->matcher, doc, &none);
            det = &none;
        }
        SDB_RET(wk_projection_apply_op(proj, doc, det, vars, ex->op, out, err));
    } else {
        bson_copy_to(doc, out);
    }
    if (show_record_id)
        BSON_APPEND_INT64(out, "$recordId", r);
    return 0;
}

/* stream_fill -- move up to `want` (0 = unlimited) projected documents into the batch. */
static int
stream_fill(stream_t *s, int64_t want, batch_t *b, sdb_error_t *err)
{
    int ret = 0;

    while (!s->exhausted && (want <= 0 || (int64_t)b->n < want)) {
        wk_match_details_t det;
        bson_t doc, out;
        int64_t r;
        bool found;

        SDB_RET(wk_exec_next(&s->ex, &doc, &r, &det, &found, err));
        if (!found) {
            s->exhausted = true;
            break;
        }
        if (s->skip > 0) {
            s->skip--;
            continue;
        }
        if (s->proj != NULL || s->return_key || s->show_record_id) {
            ret = shape(&s->ex, s->vars, s->proj, s->return_key, s->show_record_id, &doc, r, &det,
                        &out, err);
            if (ret != 0) {
                bson_destroy(&out);
                return ret;
            }
        } else {
            bson_init_static(&out, bson_get_data(&doc), doc.len);
        }
        if (!batch_fits(b, &out)) {
            bson_destroy(&out);
            wk_exec_unget(&s->ex);
            return 0;
        }
        batch_add(b, &out);
        bson_destroy(&out);
        if (s->has_limit && --s->limit == 0)
            s->exhausted = true;
    }
    return 0;
}

/* stream_peek -- after a full batch, learn whether anything remains. */
static int
stream_peek(stream_t *s, sdb_error_t *err)
{
    bson_t doc;
    int64_t r;
    bool found;

    if (s->exhausted)
        return 0;
    SDB_RET(wk_exec_next(&s->ex, &doc, &r, NULL, &found, err));
    if (found)
        wk_exec_unget(&s->ex);
    else
        s->exhausted = true;
    return 0;
}

/* stream_state -- the self-contained description a later getMore continues from. */
static void
stream_state(const stream_t *s, const bson_t *filter, const bson_t *projection, const bson_t *vars,
             const bson_t *collation, bson_t *state)
{
    BSON_APPEND_UTF8(state, "kind", "stream");
    BSON_APPEND_DOCUMENT(state, "filter", filter);
    BSON_APPEND_DOCUMENT(state, "projection", projection);
    if (vars != NULL && !bson_empty(vars))
        BSON_APPEND_DOCUMENT(state, "let", vars);
    if (!bson_empty(collation))
        BSON_APPEND_DOCUMENT(state, "collation", collation);
    BSON_APPEND_INT64(state, "skip", s->skip);
    if (s->return_key)
        BSON_APPEND_BOOL(state, "returnKey", true);
    if (s->show_record_id)
        BSON_APPEND_BOOL(state, "showRecordId", true);
    if (s->has_limit)
        BSON_APPEND_INT64(state, "limit", s->limit);
    if (wk_op_remaining_ms(s->ex.op) > 0) /* mongod's leftover time: getMores share the limit */
        BSON_APPEND_INT64(state, "maxTimeMS", wk_op_remaining_ms(s->ex.op));
    wk_exec_save(&s->ex, state, "pos");
}

/* cursor_new -- park a cursor in the master (noCursorTimeout from a); *id receives its id. */
static int
cursor_new(wk_cmd_t *cmd, const char *ns, const find_args_t *a, const bson_t *state,
           const bson_t *docs, int64_t *id)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    sdb_error_t *err = &cmd->err;
    bson_iter_t it;
    int ret = 0;

    BSON_APPEND_UTF8(&req, "ns", ns);
    wk_session_append_lsid(&cmd->op, &req); /* the cursor's session: engine/session.h */
    wk_op_append_xact(&cmd->op, &req);      /* and transaction */
    wk_authz_append_owner(cmd->conn, &req); /* and user (auth/authz.h) */
    BSON_APPEND_DOCUMENT(&req, "state", state);
    if (docs != NULL)
        BSON_APPEND_ARRAY(&req, "docs", docs);
    if (a->no_timeout)
        BSON_APPEND_BOOL(&req, "noTimeout", true);
    SDB_ERR(wk_cmdu_store(SDB_OP_CURSOR_NEW, &req, &reply, err));
    *id = bson_iter_init_find(&it, &reply, "id") ? bson_iter_as_int64(&it) : 0;
err:
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* find_stream -- the unsorted plan: first batch, then a streaming cursor if more remain. */
static int
find_stream(wk_cmd_t *cmd, const char *ns, const find_args_t *a, stream_t *s)
{
    int64_t want = first_batch_size(a);
    bson_t state = BSON_INITIALIZER;
    batch_t b;
    int64_t id = 0;
    int ret = 0;

    batch_init(&b);
    s->skip = a->skip;
    s->limit = a->limit;
    s->has_limit = a->limit > 0;
    if (a->batch_size != 0) {
        SDB_ERR(stream_fill(s, want, &b, &cmd->err));
        SDB_ERR(stream_peek(s, &cmd->err));
    }
    if ((!s->exhausted || (a->tailable && s->ex.mode != WK_EXEC_EMPTY)) && !a->single_batch) {
        stream_state(s, &a->filter, &a->projection, a->vars, &a->collation, &state);
        if (a->tailable)
            wk_tailable_mark(&state, a->await_data);
        SDB_ERR(cursor_new(cmd, ns, a, &state, NULL, &id));
    }
    append_cursor(cmd->reply, "firstBatch", &b, id, ns, s->ex.read_ts);
err:
    bson_destroy(&state);
    bson_destroy(&b.arr);
    return ret;
}

/* prune -- keep the best `keep` documents: the least under the sort, or (so == NULL, reverse
 * natural order) the latest read. */
static int
prune(wk_cmd_t *cmd, const wk_sort_t *so, bson_t **docs, size_t *n, size_t keep, size_t *bytes)
{
    size_t drop = *n - keep;

    if (so != NULL) {
        SDB_RET(wk_sort_docs_op(so, docs, *n, &cmd->op, &cmd->err));
        while (*n > keep) {
            *bytes -= docs[*n - 1]->len;
            bson_destroy(docs[--*n]);
        }
        return 0;
    }
    for (size_t i = 0; i < drop; i++) {
        *bytes -= docs[i]->len;
        bson_destroy(docs[i]);
    }
    memmove(docs, docs + drop, keep * sizeof(*docs));
    *n = keep;
    return 0;
}

/* order -- the final order: sorted, or reversed for {$natural: -1} (so == NULL). */
static int
order(wk_cmd_t *cmd, const wk_sort_t *so, bson_t **docs, size_t n)
{
    if (so != NULL) {
        if (cmd->op.stats != NULL) /* an in-memory sort: scanAndOrder (op.h) */
            cmd->op.stats->blocking_sort = true;
        return wk_sort_docs_op(so, docs, n, &cmd->op, &cmd->err);
    }
    for (size_t i = 0; i < n / 2; i++) {
        bson_t *t = docs[i];
        docs[i] = docs[n - 1 - i];
        docs[n - 1 - i] = t;
    }
    return 0;
}

/* near_grows -- a $near with a limit and no sort, hint, min or max: the near read grows discs
 * instead of measuring every document (engine/geo_near.h wk_geo_near_read). */
static bool
near_grows(const find_args_t *a, const wk_sort_t *so)
{
    return a->near != NULL && so == NULL && a->limit > 0 && !a->has_hint &&
           bson_empty(&a->minmax) && wk_geo_near_grows(a->near);
}

/* near_collect -- the nearest skip + limit matches (and maybe more), nearest first. */
static int
near_collect(wk_cmd_t *cmd, const find_args_t *a, wk_exec_t *ex, bson_t ***docs_out, size_t *n_out)
{
    wk_match_opts_t mo = {a->vars, a->coll};
    wk_geo_near_hits_t h;
    char ns[WK_NS_MAX];
    int ret;

    bson_strncpy(ns, ex->ns, sizeof(ns));
    mo.allow_near = true;
    ret = wk_geo_near_read(a->near, ex, ns, &a->filter, &mo, (size_t)(a->skip + a->limit),
                           a->return_key || a->show_record_id, &h, &cmd->err);
    *docs_out = h.docs;
    *n_out = h.n;
    return ret;
}

/* sorted_collect -- every match (copies), keeping only the best `keep` when keep > 0. */
static int
sorted_collect(wk_cmd_t *cmd, const find_args_t *a, wk_exec_t *ex, const wk_sort_t *so,
               bson_t ***docs_out, size_t *n_out)
{
    size_t keep = a->limit > 0 && a->near == NULL ? (size_t)(a->skip + a->limit) : 0;
    size_t n = 0, cap = 0, bytes = 0;
    size_t limit = (size_t)atomic_load(&wk_global->sort_mem_max); /* the live parameter */
    bson_t **docs = NULL;
    int ret = 0;

    if (near_grows(a, so))
        return near_collect(cmd, a, ex, docs_out, n_out);
    for (;;) {
        wk_match_details_t det;
        bson_t doc;
        int64_t r;
        bool found;

        SDB_ERR(wk_exec_next(ex, &doc, &r, &det, &found, &cmd->err));
        if (!found)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            docs = bson_realloc(docs, cap * sizeof(*docs));
        }
        docs[n] = bson_copy(&doc);
        if (a->return_key || a->show_record_id) /* for shape, after the sort */
            BSON_APPEND_INT64(docs[n], "$recordId", r);
        if (det.has_text_score) /* for a {$meta: "textScore"} sort */
            BSON_APPEND_DOUBLE(docs[n], WK_SORT_TEXT_SCORE, det.text_score);
        bytes += docs[n++]->len;
        if (keep > 0 && n > keep && (n >= 2 * keep + 256 || bytes > limit))
            SDB_ERR(prune(cmd, so, docs, &n, keep, &bytes));
        if (bytes > limit && !a->allow_disk_use)
            SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_QueryExceededMemoryLimitNoDiskUseAllowed,
                                  "Sort exceeded memory limit of %lld bytes, but did not opt in "
                                  "to external sorting.",
                                  (long long)limit));
    }
    if (a->near != NULL)
        SDB_ERR(wk_geo_near_order(a->near, docs, n, &cmd->op, &cmd->err));
    if (a->near == NULL || so != NULL)
        SDB_ERR(order(cmd, so, docs, n));
err:
    *docs_out = docs;
    *n_out = n;
    return ret;
}

/* project_one -- shape a sorted document (its $recordId, when kept, is the record id). */
static int
project_one(const wk_exec_t *ex, const stream_t *s, const bson_t *doc, bson_t *out,
            sdb_error_t *err)
{
    bson_iter_t it;
    bson_t clean = BSON_INITIALIZER;
    int64_t r = 0;
    int ret;

    if (bson_iter_init_find(&it, doc, "$recordId"))
        r = bson_iter_as_int64(&it);
    bson_copy_to_excluding_noinit(doc, &clean, "$recordId", WK_SORT_TEXT_SCORE, NULL);
    ret = shape(ex, s->vars, s->proj, s->return_key, s->show_record_id, &clean, r, NULL, out, err);
    bson_destroy(&clean);
    return ret;
}

/* find_sorted -- the blocking plan: sort, first batch, spool the rest. */
static int
find_sorted(wk_cmd_t *cmd, const char *ns, const find_args_t *a, stream_t *s, const wk_sort_t *so)
{
    int64_t want = first_batch_size(a);
    bson_t **docs = NULL, spool = BSON_INITIALIZER, state = BSON_INITIALIZER;
    size_t n = 0, i, end;
    uint32_t nspool = 0;
    int64_t id = 0;
    batch_t b;
    int ret = 0;

    batch_init(&b);
    SDB_ERR(sorted_collect(cmd, a, &s->ex, so, &docs, &n));
    i = (size_t)a->skip < n ? (size_t)a->skip : n;
    end = a->limit > 0 && (size_t)a->limit < n - i ? i + (size_t)a->limit : n;
    for (; i < end; i++) {
        bson_t out;
        char key[16];
        const char *k;

        SDB_ERR(wk_op_check(&cmd->op, &cmd->err));
        ret = project_one(&s->ex, s, docs[i], &out, &cmd->err);
        if (ret != 0) {
            bson_destroy(&out);
            goto err;
        }
        if (nspool == 0 && (int64_t)b.n < want && batch_fits(&b, &out)) {
            batch_add(&b, &out);
        } else if (a->single_batch) {
            bson_destroy(&out);
            break;
        } else {
            bson_uint32_to_string(nspool++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&spool, k, &out);
        }
        bson_destroy(&out);
    }
    if (nspool > 0) {
        BSON_APPEND_UTF8(&state, "kind", "spool");
        BSON_APPEND_INT64(&state, "remaining", nspool);
        SDB_ERR(cursor_new(cmd, ns, a, &state, &spool, &id));
    }
    append_cursor(cmd->reply, "firstBatch", &b, id, ns, s->ex.read_ts);
err:
    for (i = 0; i < n; i++)
        bson_destroy(docs[i]);
    bson_free(docs);
    bson_destroy(&spool);
    bson_destroy(&state);
    bson_destroy(&b.arr);
    return ret;
}

/* natural_dir -- 1 when the sort is absent or {$natural: 1}, -1 for {$natural: -1}, 0 for
 * a real sort. */
static int
natural_dir(const bson_t *sort)
{
    bson_iter_t it;

    if (bson_empty(sort))
        return 1;
    if (!bson_iter_init(&it, sort) || !bson_iter_next(&it) ||
        strcmp(bson_iter_key(&it), "$natural") != 0)
        return 0;
    return BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0 ? -1 : 1;
}

/* find_collection -- {find, filter, projection, sort, skip, limit, batchSize, ...} ->
 * {cursor: {firstBatch, id, ns}}. */
static int
find_collection(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];
    find_args_t a;
    stream_t s;
    wk_sort_t *so = NULL;
    wk_match_opts_t mo = {NULL, NULL};
    const bson_value_t *hint = NULL;
    bson_value_t natural;
    int dir, ret = 0;

    memset(&a, 0, sizeof(a));
    bson_init(&a.minmax);
    memset(&s, 0, sizeof(s));
    wk_exec_init(&s.ex);
    s.ex.op = &cmd->op;
    s.ex.read_ts = wk_rc_snapshot_ts(cmd); /* readConcern snapshot: engine/read_concern.h */
    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(parse_find(cmd, &a));
    wk_cmdu_clock_vars(&a.vars); /* fixed for the command and its getMores */
    s.vars = a.vars;
    SDB_ERR(wk_geo_near_from_filter(&a.filter, &a.near, &cmd->err));
    if (a.near != NULL)
        SDB_ERR(wk_geo_near_index(a.near, ns, true, &cmd->err));
    if (!bson_has_field(cmd->body, "collation")) /* the collection's default, if any */
        SDB_ERR(wk_cmdu_default_collation(ns, &a.coll, &a.collation, &cmd->err));
    wk_cmdu_opcount(WK_OPC_QUERY, 1);
    if (!bson_empty(&a.projection))
        SDB_ERR(wk_projection_new(&a.projection, &a.filter, &s.proj, &cmd->err));
    if (a.tailable || a.await_data)
        SDB_ERR(wk_tailable_check(cmd, ns, &a.filter, &a.sort, &a.projection, a.tailable,
                                  a.await_data, a.single_batch));
    dir = natural_dir(&a.sort);
    if (dir == 0)
        SDB_ERR(wk_sort_new_ex(&a.sort, a.coll, &so, &cmd->err));
    mo.allow_near = true; /* ordered by distance below (engine/geo_near.h) */
    mo.vars = a.vars;
    mo.coll = a.coll;
    if (a.tailable) {
        hint = wk_tailable_hint();
    } else if (a.has_hint) {
        hint = bson_iter_value(&a.hint);
    } else if (dir < 0) { /* sort {$natural: -1} is a backward scan, streamed */
        natural.value_type = BSON_TYPE_DOCUMENT;
        natural.value.v_doc.data = (uint8_t *)bson_get_data(&a.sort);
        natural.value.v_doc.data_len = a.sort.len;
        hint = &natural;
        dir = 1;
    }
    s.return_key = a.return_key;
    s.show_record_id = a.show_record_id;
    SDB_ERR(wk_exec_open_find(&s.ex, ns, &a.filter, &mo, hint, so != NULL ? &a.sort : NULL,
                              &a.minmax, &cmd->err));
    if (s.proj != NULL && !a.tailable)
        wk_exec_cover(&s.ex, &a.filter, &a.projection, so != NULL ? &a.sort : NULL);
    if (a.limit > 0 && (so == NULL || wk_exec_sorted(&s.ex)) && dir > 0 && a.near == NULL)
        wk_exec_limit_hint(&s.ex, (uint64_t)(a.skip + a.limit));
    if ((so != NULL && !wk_exec_sorted(&s.ex)) || dir < 0 || a.near != NULL)
        SDB_ERR(find_sorted(cmd, ns, &a, &s, so));
    else
        SDB_ERR(find_stream(cmd, ns, &a, &s));
err:
    wk_exec_close(&s.ex);
    wk_projection_free(s.proj);
    wk_sort_free(so);
    sdb_collation_free(a.coll);
    if (a.collation.len != 0)
        bson_destroy(&a.collation);
    bson_destroy(&a.minmax);
    if (a.vars != NULL)
        bson_destroy(a.vars);
    wk_geo_near_free(a.near);
    return ret;
}

/* ---- getMore --------------------------------------------------------------------------- */

typedef struct getmore_args {
    int64_t id;
    const char *coll;
    int64_t batch_size; /* 0 = unlimited (16 MiB) */
} getmore_args_t;

static const char *const getmore_fields[] = {
    "collection", "batchSize", "term", "lastKnownCommittedOpTime", NULL,
};

static int
parse_getmore(wk_cmd_t *cmd, getmore_args_t *g)
{
    bson_iter_t it;

    memset(g, 0, sizeof(*g));
    SDB_RET(wk_cmdu_check_fields(cmd, getmore_fields));
    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_INT64(&it))
        return wk_cmdu_type_error(cmd, "getMore", bson_iter_type(&it), "long");
    g->id = bson_iter_int64(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "collection") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return wk_cmdu_type_error(cmd, k, bson_iter_type(&it), "string");
            char ns[WK_NS_MAX];
            uint32_t len;

            g->coll = bson_iter_utf8(&it, &len);
            SDB_RET(wk_ns_join(cmd->db, g->coll, len, ns, sizeof(ns), &cmd->err));
        } else if (strcmp(k, "batchSize") == 0) {
            SDB_RET(nonneg(cmd, &it, k, &g->batch_size));
        }
    }
    if (g->coll == NULL)
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'getMore.collection' is missing but a required field");
    return 0;
}

/* more_stream -- continue a streaming plan from its state. */
static int
more_stream(const char *ns, const bson_t *st, int64_t want, const wk_op_t *op, batch_t *b,
            bson_t *next, bool *done, sdb_error_t *err)
{
    bson_t filter = BSON_INITIALIZER, projection = BSON_INITIALIZER, pos = BSON_INITIALIZER;
    bson_t vars = BSON_INITIALIZER, collation = BSON_INITIALIZER;
    wk_match_opts_t mo = {NULL, NULL};
    sdb_collation_t *coll = NULL;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    stream_t s;
    int ret = 0;

    memset(&s, 0, sizeof(s));
    wk_exec_init(&s.ex);
    s.ex.op = op;
    if (bson_iter_init_find(&it, st, "let") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&vars, data, len);
        mo.vars = &vars;
        s.vars = &vars;
    }
    if (bson_iter_init_find(&it, st, "collation") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&collation, data, len);
        SDB_ERR(sdb_collation_new(&collation, &coll, err));
        mo.coll = coll;
    }
    if (bson_iter_init_find(&it, st, "filter") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&filter, data, len);
    }
    if (bson_iter_init_find(&it, st, "projection") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&projection, data, len);
    }
    if (bson_iter_init_find(&it, st, "pos") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&pos, data, len);
    }
    s.skip = bson_iter_init_find(&it, st, "skip") ? bson_iter_as_int64(&it) : 0;
    s.return_key = bson_iter_init_find(&it, st, "returnKey") && bson_iter_as_bool(&it);
    s.show_record_id = bson_iter_init_find(&it, st, "showRecordId") && bson_iter_as_bool(&it);
    s.has_limit = bson_iter_init_find(&it, st, "limit");
    s.limit = s.has_limit ? bson_iter_as_int64(&it) : 0;
    if (s.has_limit && (want == 0 || want > s.limit))
        want = s.limit;
    if (!bson_empty(&projection))
        SDB_ERR(wk_projection_new(&projection, &filter, &s.proj, err));
    SDB_ERR(wk_exec_restore_ex(&s.ex, ns, &filter, &mo, &pos, err));
    SDB_ERR(stream_fill(&s, want, b, err));
    SDB_ERR(stream_peek(&s, err));
    *done = s.exhausted;
    if (!s.exhausted || wk_tailable_of(st, NULL))
        stream_state(&s, &filter, &projection, mo.vars, &collation, next);
err:
    wk_exec_close(&s.ex);
    wk_projection_free(s.proj);
    sdb_collation_free(coll);
    return ret;
}

/* more_spool -- hand out spooled documents (pending ones from an earlier cut batch first). */
static void
more_spool(const bson_t *st, const bson_t *got, int64_t want, batch_t *b, bson_t *next, bool *done)
{
    bson_t pending = BSON_INITIALIZER;
    const bson_t *srcs[2] = {NULL, got};
    bson_t pend_view;
    int64_t remaining = 0;
    uint32_t npend = 0;
    bson_iter_t it;

    if (bson_iter_init_find(&it, st, "remaining"))
        remaining = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, st, "pending") && BSON_ITER_HOLDS_ARRAY(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_iter_array(&it, &len, &data);
        if (bson_init_static(&pend_view, data, len))
            srcs[0] = &pend_view;
    }
    for (int s = 0; s < 2; s++) {
        if (srcs[s] == NULL || !bson_iter_init(&it, srcs[s]))
            continue;
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t doc;

            if (!BSON_ITER_HOLDS_DOCUMENT(&it))
                continue;
            bson_iter_document(&it, &len, &data);
            if (!bson_init_static(&doc, data, len))
                continue;
            if (npend == 0 && (want <= 0 || (int64_t)b->n < want) && batch_fits(b, &doc)) {
                batch_add(b, &doc);
                remaining--;
            } else {
                char key[16];
                const char *k;
                bson_uint32_to_string(npend++, &k, key, sizeof(key));
                BSON_APPEND_DOCUMENT(&pending, k, &doc);
            }
        }
    }
    *done = remaining <= 0 || (b->n == 0 && npend == 0);
    BSON_APPEND_UTF8(next, "kind", "spool");
    BSON_APPEND_INT64(next, "remaining", remaining);
    if (npend > 0)
        BSON_APPEND_ARRAY(next, "pending", &pending);
    bson_destroy(&pending);
}

/* more_tailable -- a tailable cursor's batch: never done; with awaitData an empty batch waits
 * for the oplog head to move and scans again (tailable.h). */
static int
more_tailable(wk_cmd_t *cmd, const char *ns, const getmore_args_t *g, const bson_t *st, batch_t *b,
              bson_t *next, bool *done)
{
    int64_t deadline;
    uint64_t seen;
    bool await;

    wk_tailable_of(st, &await);
    SDB_RET(wk_tailable_begin(cmd, ns, st, await, &deadline));
    do {
        seen = wk_oplog_head();
        bson_reinit(next);
        SDB_RET(more_stream(ns, st, g->batch_size, &cmd->op, b, next, done, &cmd->err));
    } while (b->n == 0 && await && wk_tailable_wait(&cmd->op, seen, deadline));
    if (b->n == 0 && await) /* the wait ended early: the cursor was killed, or shutdown */
        SDB_RET(wk_op_interrupted(&cmd->op, &cmd->err));
    wk_tailable_mark(next, await);
    *done = false;
    return 0;
}

/* getmore_run -- the checked-out part of getMore: build the batch and the next state. */
static int
getmore_run(wk_cmd_t *cmd, const char *ns, const getmore_args_t *g, const bson_t *got, batch_t *b,
            bson_t *next, bool *done)
{
    bson_t st = BSON_INITIALIZER, docs = BSON_INITIALIZER;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    const char *cns = "", *kind = "";

    if (bson_iter_init_find(&it, got, "ns") && BSON_ITER_HOLDS_UTF8(&it))
        cns = bson_iter_utf8(&it, NULL);
    if (strcmp(cns, ns) != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_Unauthorized,
                             "Requested getMore on namespace '%s', but cursor belongs to a "
                             "different namespace %s",
                             ns, cns);
    if (bson_iter_init_find(&it, got, "state") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        bson_init_static(&st, data, len);
    }
    if (bson_iter_init_find(&it, got, "docs") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_array(&it, &len, &data);
        bson_init_static(&docs, data, len);
    }
    if (wk_tailable_of(&st, NULL))
        return more_tailable(cmd, ns, g, &st, b, next, done);
    if (cmd->op.deadline_ns != 0) /* awaitData cursors are tailable */
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "cannot set maxTimeMS on getMore command for a non-awaitData cursor");
    if (bson_iter_init_find(&it, &st, "maxTimeMS") && BSON_ITER_HOLDS_INT64(&it))
        wk_op_set_time_limit(&cmd->op, bson_iter_int64(&it)); /* the find's leftover time */
    if (bson_iter_init_find(&it, &st, "kind") && BSON_ITER_HOLDS_UTF8(&it))
        kind = bson_iter_utf8(&it, NULL);
    if (strcmp(kind, "stream") == 0)
        return more_stream(ns, &st, g->batch_size, &cmd->op, b, next, done, &cmd->err);
    if (strcmp(kind, "aggstream") == 0) /* cmd/aggregate.h */
        return wk_cmd_aggregate_more(cmd, &st, g->batch_size, &b->arr, &b->n, &b->bytes, next,
                                     done);
    more_spool(&st, &docs, g->batch_size, b, next, done);
    return 0;
}

/* hex_key -- a session key {id, uid} in hex (CURSOR_GET's errmsg) back into bytes; false when
 * malformed. */
static bool
hex_key(const char *hex, sdb_lsid_t *key)
{
    uint8_t *k = (uint8_t *)key;

    for (size_t i = 0; i < sizeof(*key); i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return false;
        k[i] = (uint8_t)v;
    }
    return strlen(hex) == 2 * sizeof(*key);
}

/* word_session_error -- mongod's message for a getMore in the wrong session or transaction
 * (CURSOR_GET's 50736/50737/50738 carry the cursor's session key in hex, 50739/50740/50741 its
 * transaction number). */
static void
word_session_error(wk_cmd_t *cmd, int64_t id)
{
    char mine[128] = "", theirs[128] = "";
    sdb_lsid_t lsid;
    int code = cmd->err.code;
    long long txn = strtoll(cmd->err.msg, NULL, 10);

    if (code == SDB_CODE_Location50739)
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was not created in a transaction, "
                      "in transaction %lld",
                      (long long)id, (long long)cmd->op.xact_n);
    else if (code == SDB_CODE_Location50740)
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was created in transaction %lld, "
                      "without a txnNumber",
                      (long long)id, txn);
    else if (code == SDB_CODE_Location50741)
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was created in transaction %lld, "
                      "in transaction %lld",
                      (long long)id, txn, (long long)cmd->op.xact_n);
    if (code != SDB_CODE_Location50736 && code != SDB_CODE_Location50737 &&
        code != SDB_CODE_Location50738)
        return;
    if (hex_key(cmd->err.msg, &lsid))
        wk_session_lsid_string(&lsid, theirs, sizeof(theirs));
    if (cmd->op.has_lsid)
        wk_session_lsid_string(&cmd->op.lsid, mine, sizeof(mine));
    if (code == SDB_CODE_Location50736)
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was not created in a session, in "
                      "session %s",
                      (long long)id, mine);
    else if (code == SDB_CODE_Location50737)
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was created in session %s, "
                      "without an lsid",
                      (long long)id, theirs);
    else
        sdb_error_set(&cmd->err, code,
                      "Cannot run getMore on cursor %lld, which was created in session %s, in "
                      "session %s",
                      (long long)id, theirs, mine);
}

/* wk_cmd_get_more -- {getMore: id, collection, batchSize} -> {cursor: {nextBatch, id, ns}}. */
int
wk_cmd_get_more(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, got = BSON_INITIALIZER, next = BSON_INITIALIZER;
    char ns[WK_NS_MAX];
    getmore_args_t g;
    batch_t b;
    bool done = true, checked_out = false;
    int ret = 0;

    batch_init(&b);
    SDB_ERR(parse_getmore(cmd, &g));
    wk_cmdu_opcount(WK_OPC_GETMORE, 1);
    if ((size_t)snprintf(ns, sizeof(ns), "%s.%s", cmd->db, g.coll) >= sizeof(ns))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid namespace"));
    BSON_APPEND_INT64(&req, "id", g.id);
    BSON_APPEND_INT32(&req, "n",
                      g.batch_size > 0 && g.batch_size < INT32_MAX ? (int32_t)g.batch_size
                                                                   : WK_SPOOL_DEFAULT_GET);
    wk_session_append_lsid(&cmd->op, &req); /* only the cursor's session continues it */
    wk_op_append_xact(&cmd->op, &req);      /* and only in its transaction */
    wk_authz_append_owner(cmd->conn, &req); /* and only for its user */
    wk_op_pin_cursor(&cmd->op, g.id);       /* killCursors interrupts this getMore */
    ret = wk_cmdu_store(SDB_OP_CURSOR_GET, &req, &got, &cmd->err);
    if (ret != 0) {
        if (cmd->err.code == SDB_CODE_CursorNotFound)
            sdb_error_set(&cmd->err, SDB_CODE_CursorNotFound, "cursor id %lld not found",
                          (long long)g.id);
        else
            word_session_error(cmd, g.id);
        goto err;
    }
    if (wk_cs_is_state(&got)) { /* a change stream continues itself (stage_changestream.h) */
        ret = wk_cs_getmore(cmd, g.id, ns, &got, g.batch_size);
        goto err;
    }
    checked_out = true;
    SDB_ERR(getmore_run(cmd, ns, &g, &got, &b, &next, &done));
    checked_out = false;
    SDB_ERR(wk_cmdu_cursor_put(g.id, &next, done, &cmd->err));
    append_cursor(cmd->reply, "nextBatch", &b, done ? 0 : g.id, ns, 0);
err:
    if (checked_out) {
        sdb_error_t ignored;
        /* A failed batch leaves the cursor where it was (mongod kills it on a plan error). */
        wk_cmdu_cursor_put(g.id, NULL, cmd->err.code != SDB_CODE_Unauthorized, &ignored);
    }
    bson_destroy(&req);
    bson_destroy(&got);
    bson_destroy(&next);
    bson_destroy(&b.arr);
    return ret;
}

/* ---- killCursors ----------------------------------------------------------------------- */

/* wk_cmd_kill_cursors -- {killCursors: coll, cursors: [id...]} ->
 * {cursorsKilled, cursorsNotFound, cursorsAlive, cursorsUnknown}. */
int
wk_cmd_kill_cursors(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"cursors", NULL};
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, empty = BSON_INITIALIZER;
    bson_iter_t it, ids;
    char ns[WK_NS_MAX];
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    if (!bson_iter_init_find(&it, cmd->body, "cursors"))
        SDB_ERR(sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                              "BSON field 'killCursors.cursors' is missing but a required field"));
    if (!BSON_ITER_HOLDS_ARRAY(&it))
        SDB_ERR(wk_cmdu_type_error(cmd, "cursors", bson_iter_type(&it), "array"));
    bson_iter_recurse(&it, &ids);
    while (bson_iter_next(&ids))
        if (!BSON_ITER_HOLDS_INT64(&ids))
            SDB_ERR(wk_cmdu_type_error(cmd, "cursors.0", bson_iter_type(&ids), "long"));
    BSON_APPEND_VALUE(&req, "ids", bson_iter_value(&it));
    wk_authz_append_killer(cmd->conn, cmd->db, ns + strlen(cmd->db) + 1, &req);
    if (wk_cmdu_store(SDB_OP_CURSOR_KILL, &req, &reply, &cmd->err) != 0) {
        if (cmd->err.code == SDB_CODE_Unauthorized) /* another user's cursor: mongod's words */
            sdb_error_set(&cmd->err, SDB_CODE_Unauthorized, "not authorized to kill cursor on %s",
                          ns);
        SDB_ERR(SDB_ECLIENT);
    }
    if (bson_iter_init_find(&it, &reply, "killed"))
        wk_cmdu_append_iter_as(cmd->reply, "cursorsKilled", &it);
    else
        BSON_APPEND_ARRAY(cmd->reply, "cursorsKilled", &empty);
    if (bson_iter_init_find(&it, &reply, "notFound"))
        wk_cmdu_append_iter_as(cmd->reply, "cursorsNotFound", &it);
    else
        BSON_APPEND_ARRAY(cmd->reply, "cursorsNotFound", &empty);
    BSON_APPEND_ARRAY(cmd->reply, "cursorsAlive", &empty);
    BSON_APPEND_ARRAY(cmd->reply, "cursorsUnknown", &empty);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    bson_destroy(&empty);
    return ret;
}

/* wk_cmd_find -- on a view, an aggregation (view_read.h); else the collection path above. */
int
wk_cmd_find(wk_cmd_t *cmd)
{
    char ns[WK_NS_MAX];

    if (wk_cmd_ns(cmd, ns, sizeof(ns)) == 0 && wk_view_is(ns)) {
        SDB_RET(wk_tailable_refuse_view(cmd));
        return wk_view_find(cmd);
    }
    return find_collection(cmd);
}
