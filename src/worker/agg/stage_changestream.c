/*
 * src/worker/agg/stage_changestream.c -- open, read and continue change streams.
 *
 * wk_cs_aggregate parses {$changeStream: spec} and the rest of the pipeline (only the stages
 * mongod allows after it), fixes the resume point (resumeAfter / startAfter a token,
 * startAtOperationTime, else just past the current oplog head), reads a first batch and parks
 * the stream as a cursor whose state is everything needed to continue:
 *   {kind: "changestream", spec: {...}, pipeline: [...], coll?, pos: {_data}}
 * pos is the resume point as mongod reports it (resume_token.h): the last event returned, or
 * the high-water mark of the latest entry read ("resume at ts") when that is later; next is
 * the next oplog entry to read.  A batch scans the oplog from next (SCAN after next - 1),
 * skips events up to pos, turns entries into events, runs the rest of the pipeline on each,
 * and stops when the batch is full, at an invalidate, or at the end of the visible oplog;
 * postBatchResumeToken is then pos.  A getMore that finds nothing waits for the oplog head to move (wk_oplog_wait) until
 * its maxTimeMS (default 1000 ms) is spent, with the cursor checked out, then returns an
 * empty batch whose postBatchResumeToken has still advanced to the head.
 *
 * Invariants: event-loop thread; the stream holds nothing between requests but its cursor
 * state in the master.  Every event's _id must leave the user's pipeline unchanged (280).
 */
#include "stage_changestream.h"

#include "../../common/sdb.h"
#include "../auth/authz.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/failpoint.h"
#include "../engine/session.h"
#include "../engine/view.h"
#include "../oplog_wait.h"
#include "../store_client.h"
#include "agg_int.h"

#include <stdio.h>
#include <string.h>

#define CS_SCAN_LIMIT 256
#define CS_AWAIT_DEFAULT_MS 1000
#define CS_OPLOG_NS "local.oplog.rs"

/* A stream while one request runs. */
typedef struct cs_run {
    wk_cs_t cs;
    bson_t spec;          /* the $changeStream spec */
    bson_t rest;          /* the stages after it (array) */
    wk_agg_pipeline_t *p; /* rest, parsed; NULL when empty */
    sdb_rtoken_t pos;     /* the resume point: postBatchResumeToken */
    uint64_t next_ts;     /* the next oplog entry to read (the scan's start) */
    bool verify;          /* pos is a client's event token not yet seen in the oplog */
    bool invalidated;
    wk_op_t *op;
} cs_run_t;

/* ---- spec ------------------------------------------------------------------------------ */

static const char *const img_names[] = {"default", "updateLookup", "whenAvailable", "required"};

static int
parse_img(const bson_iter_t *it, const char *field, bool before, int *out, sdb_error_t *err)
{
    const char *s;

    if (!BSON_ITER_HOLDS_UTF8(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '$changeStream.%s' is the wrong type '%s', expected type "
                             "'string'",
                             field, wk_cmdu_type_name(bson_iter_type(it)));
    s = bson_iter_utf8(it, NULL);
    if (before && strcmp(s, "off") == 0) {
        *out = WK_CS_IMG_OFF;
        return 0;
    }
    for (int i = before ? 2 : 0; i < 4; i++)
        if (strcmp(s, img_names[i]) == 0) {
            *out = i;
            return 0;
        }
    return sdb_error_set(
        err, SDB_CODE_BadValue,
        "Enumeration value '%s' for field '$changeStream.%s' is not a valid value.", s, field);
}

static int
parse_bool(const bson_iter_t *it, const char *field, bool *out, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_BOOL(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "BSON field '$changeStream.%s' is the wrong type '%s', expected type "
                             "'bool'",
                             field, wk_cmdu_type_name(bson_iter_type(it)));
    *out = bson_iter_bool(it);
    return 0;
}

/* Where a new stream starts. */
typedef struct cs_start {
    bool resume, start_after, at_time;
    bson_iter_t raw; /* the token given */
    sdb_rtoken_t tok;
    uint64_t at;
} cs_start_t;

static int
parse_field(cs_run_t *r, const bson_iter_t *it, cs_start_t *st, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);
    bool ignored;

    if (strcmp(k, "fullDocument") == 0)
        return parse_img(it, k, false, &r->cs.full_doc, err);
    if (strcmp(k, "fullDocumentBeforeChange") == 0)
        return parse_img(it, k, true, &r->cs.before, err);
    if (strcmp(k, "allChangesForCluster") == 0)
        return parse_bool(it, k, &r->cs.all, err);
    if (strcmp(k, "showExpandedEvents") == 0)
        return parse_bool(it, k, &r->cs.expanded, err);
    if (strcmp(k, "resumeAfter") == 0 || strcmp(k, "startAfter") == 0) {
        if (st->resume || st->start_after)
            return sdb_error_set(err, SDB_CODE_Location50865,
                                 "Do not specify both 'resumeAfter' and 'startAfter' in a "
                                 "$changeStream stage");
        if (k[0] == 'r')
            st->resume = true;
        else
            st->start_after = true;
        st->raw = *it; /* decoded once the options agree (parse_spec) */
        return 0;
    }
    if (strcmp(k, "startAtOperationTime") == 0) {
        uint32_t t, i;
        if (!BSON_ITER_HOLDS_TIMESTAMP(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "BSON field '$changeStream.startAtOperationTime' is the wrong "
                                 "type '%s', expected type 'timestamp'",
                                 wk_cmdu_type_name(bson_iter_type(it)));
        bson_iter_timestamp(it, &t, &i);
        st->at_time = true;
        st->at = ((uint64_t)t << 32) | i;
        return 0;
    }
    if (strcmp(k, "showSystemEvents") == 0 || strcmp(k, "showRawUpdateDescription") == 0) {
        SDB_RET(parse_bool(it, k, &ignored, err));
        if (ignored)
            return sdb_error_set(err, SDB_CODE_BadValue, "'%s' is not supported by this server", k);
        return 0;
    }
    return sdb_error_set(err, WK_CODE_UNKNOWN_FIELD,
                         "BSON field '$changeStream.%s' is an unknown field.", k);
}

/* parse_spec -- the options of {$changeStream: spec}; *st says where it starts. */
static int
parse_spec(cs_run_t *r, cs_start_t *st, sdb_error_t *err)
{
    bson_iter_t it;

    memset(st, 0, sizeof(*st));
    bson_iter_init(&it, &r->spec);
    while (bson_iter_next(&it))
        SDB_RET(parse_field(r, &it, st, err));
    if (st->resume || st->start_after)
        SDB_RET(sdb_rtoken_parse(bson_iter_value(&st->raw), &st->tok, err));
    if ((st->resume || st->start_after) && st->at_time)
        return sdb_error_set(err, SDB_CODE_Location40674,
                             "Only one type of resume option is allowed, but multiple were found");
    if (st->resume && st->tok.from_invalidate)
        return sdb_error_set(err, SDB_CODE_InvalidResumeToken,
                             "Attempting to resume a change stream using 'resumeAfter' is not "
                             "allowed from an invalidate notification");
    if ((st->resume || st->start_after) && r->cs.coll[0] != '\0' && !st->tok.has_uuid &&
        st->tok.type != SDB_RTOKEN_HWM)
        return sdb_error_set(err, SDB_CODE_InvalidResumeToken,
                             "Attempted to resume a single-collection stream, but the resume "
                             "token does not include a UUID");
    return 0;
}

/* check_namespace -- where mongod lets a stream open. */
static int
check_namespace(const cs_run_t *r, sdb_error_t *err)
{
    const wk_cs_t *cs = &r->cs;
    bool admin = strcmp(cs->db, "admin") == 0;
    char ns[WK_NS_MAX];

    if (cs->all && (!admin || cs->coll[0] != '\0'))
        return sdb_error_set(err, SDB_CODE_InvalidOptions,
                             "A $changeStream with 'allChangesForCluster:true' may only be opened "
                             "on the 'admin' database, and with no collection name; found %s.%s",
                             cs->db, cs->coll[0] != '\0' ? cs->coll : "$cmd.aggregate");
    if (admin ? !cs->all : (strcmp(cs->db, "local") == 0 || strcmp(cs->db, "config") == 0))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$changeStream may not be opened on the internal %s database", cs->db);
    if (strncmp(cs->coll, "system.", 7) == 0)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "$changeStream may not be opened on the internal %s.%s collection",
                             cs->db, cs->coll);
    snprintf(ns, sizeof(ns), "%s.%s", cs->db, cs->coll);
    if (cs->coll[0] != '\0' && wk_view_is(ns))
        return sdb_error_set(err, SDB_CODE_CommandNotSupportedOnView,
                             "Namespace %s is a view, not a collection", ns);
    return 0;
}

/* ---- the rest of the pipeline ---------------------------------------------------------- */

static const char *const allowed_stages[] = {
    "$match",       "$project",     "$addFields", "$set", "$unset",
    "$replaceRoot", "$replaceWith", "$redact",    NULL,
};

static int
parse_rest(cs_run_t *r, wk_op_t *op, sdb_error_t *err)
{
    wk_agg_ctx_t ctx;
    bson_iter_t it, st;

    if (bson_empty(&r->rest))
        return 0;
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = r->cs.db;
    ctx.coll = r->cs.coll[0] != '\0' ? r->cs.coll : "$cmd.aggregate";
    ctx.op = op;
    SDB_RET(wk_agg_parse_doc(&r->rest, &ctx, &r->p, err));
    bson_iter_init(&it, &r->rest);
    while (bson_iter_next(&it)) {
        const char *name;
        bool ok = false;

        if (!bson_iter_recurse(&it, &st) || !bson_iter_next(&st))
            continue;
        name = bson_iter_key(&st);
        for (int i = 0; allowed_stages[i] != NULL; i++)
            ok = ok || strcmp(name, allowed_stages[i]) == 0;
        if (!ok)
            return sdb_error_set(err, SDB_CODE_IllegalOperation,
                                 "%s is not permitted in a $changeStream pipeline", name);
    }
    return 0;
}

/* fatal -- a ChangeStreamFatalError: the stream cannot go on, and the driver must not
 * resume it. */
static int
fatal(sdb_error_t *err, const char *msg, const bson_t *ev)
{
    bson_iter_t it, d;
    const char *data = "";

    if (bson_iter_init_find(&it, ev, "_id") && bson_iter_recurse(&it, &d) &&
        bson_iter_find(&d, "_data") && BSON_ITER_HOLDS_UTF8(&d))
        data = bson_iter_utf8(&d, NULL);
    sdb_error_set(err, SDB_CODE_ChangeStreamFatalError, "%s{ _data: \"%s\" }", msg, data);
    err->labels |= SDB_LABEL_NON_RESUMABLE_CS;
    return SDB_ECLIENT;
}

/* same_id -- the output still carries the event's _id, byte for byte. */
static bool
same_id(const bson_t *out, const bson_t *ev)
{
    bson_iter_t a, b;

    if (!bson_iter_init_find(&a, out, "_id") || !bson_iter_init_find(&b, ev, "_id") ||
        bson_iter_type(&a) != bson_iter_type(&b))
        return false;
    return a.next_off - a.d1 == b.next_off - b.d1 &&
           memcmp(a.raw + a.d1, b.raw + b.d1, a.next_off - a.d1) == 0;
}

/* run_rest -- the user's stages on one event: *out is NULL when filtered out. */
static int
run_rest(cs_run_t *r, bson_t *ev, bson_t **out, sdb_error_t *err)
{
    wk_agg_docs_t in, res;
    wk_agg_ctx_t ctx;
    int ret = 0;

    *out = NULL;
    if (r->p == NULL) {
        *out = bson_copy(ev);
        return 0;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = r->cs.db;
    ctx.coll = r->cs.coll[0] != '\0' ? r->cs.coll : "$cmd.aggregate";
    ctx.op = r->op;
    wk_agg_docs_init(&in);
    wk_agg_docs_init(&res);
    wk_agg_docs_push(&in, bson_copy(ev));
    SDB_ERR(wk_agg_run(r->p, &ctx, &in, &res, err));
    if (res.n == 0 || res.v[0] == NULL)
        goto err;
    if (!same_id(res.v[0], ev)) {
        ret = fatal(err,
                    "Encountered an event whose _id field, which contains the resume token, was "
                    "modified by the pipeline. Modifying the _id field of an event makes it "
                    "impossible to resume the stream from that point. Only transformations that "
                    "retain the unmodified _id field are allowed. Expected: ",
                    ev);
        goto err;
    }
    *out = res.v[0];
    res.v[0] = NULL;
err:
    wk_agg_docs_free(&in);
    wk_agg_docs_free(&res);
    return ret;
}

/* ---- images ---------------------------------------------------------------------------- */

/* lookup -- updateLookup: the document's current version, or null. */
static int
lookup(cs_run_t *r, const wk_cs_event_t *ev, bson_t *full, sdb_error_t *err)
{
    wk_agg_docs_t docs;
    bson_t filter = BSON_INITIALIZER;
    int ret = 0;

    wk_agg_docs_init(&docs);
    BSON_APPEND_VALUE(&filter, "_id", &ev->key);
    SDB_ERR(wk_agg_read(ev->ns, &filter, 1, NULL, NULL, r->op, 0, &docs, err));
    if (docs.n > 0 && docs.v[0] != NULL)
        BSON_APPEND_DOCUMENT(full, "fullDocument", docs.v[0]);
    else
        BSON_APPEND_NULL(full, "fullDocument");
err:
    wk_agg_docs_free(&docs);
    bson_destroy(&filter);
    return ret;
}

static int
image_missing(const char *which, const bson_t *ev, sdb_error_t *err)
{
    char *json = bson_as_relaxed_extended_json(ev, NULL);
    int ret = sdb_error_set(err, SDB_CODE_NoMatchingDocument,
                            "Change stream was configured to require a %s for all update, delete "
                            "and replace events, but the %s was not found for event: %.200s",
                            which, which, json != NULL ? json : "");

    bson_free(json);
    return ret;
}

/* images -- the stored pre- and post-images of the event's oplog entry (CS_IMAGES). */
static int
images(cs_run_t *r, const wk_cs_event_t *ev, bson_t *full, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it;
    bool have_post = false, have_pre = false;
    int ret = 0;

    BSON_APPEND_INT64(&req, "ts", (int64_t)ev->tok.ts);
    BSON_APPEND_INT32(&req, "op", (int32_t)ev->tok.op_index);
    SDB_ERR(wk_cmdu_store(SDB_OP_CS_IMAGES, &req, &reply, err));
    if (ev->want_post) {
        have_post = bson_iter_init_find(&it, &reply, "post") && BSON_ITER_HOLDS_DOCUMENT(&it);
        if (!have_post && r->cs.full_doc == WK_CS_IMG_REQUIRED)
            SDB_ERR(image_missing("post-image", ev->doc, err));
        if (have_post)
            wk_cmdu_append_iter_as(full, "fullDocument", &it);
        else
            BSON_APPEND_NULL(full, "fullDocument");
    }
    if (ev->want_pre) {
        have_pre = bson_iter_init_find(&it, &reply, "pre") && BSON_ITER_HOLDS_DOCUMENT(&it);
        if (!have_pre && r->cs.before == WK_CS_IMG_REQUIRED)
            SDB_ERR(image_missing("pre-image", ev->doc, err));
        if (have_pre)
            wk_cmdu_append_iter_as(ev->doc, "fullDocumentBeforeChange", &it);
        else
            BSON_APPEND_NULL(ev->doc, "fullDocumentBeforeChange");
    }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* ---- batches --------------------------------------------------------------------------- */

/* A batch under construction. */
typedef struct cs_batch {
    bson_t arr;
    uint32_t n;
    size_t bytes;
    int64_t want; /* 0 = no count limit */
} cs_batch_t;

static int
tok_cmp(const sdb_rtoken_t *a, const sdb_rtoken_t *b)
{
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->op_index != b->op_index)
        return a->op_index < b->op_index ? -1 : 1;
    return (int)a->from_invalidate - (int)b->from_invalidate;
}

static void
hwm(uint64_t ts, sdb_rtoken_t *t)
{
    memset(t, 0, sizeof(*t));
    t->ts = ts;
    t->type = SDB_RTOKEN_HWM;
}

/* advance -- every entry up to ts has been read: the resume point is at least the high-water
 * mark of ts (mongod's: resuming there reads ts again, whose events this stream did not
 * return -- a returned event's token sorts after it and then stays the point). */
static void
advance(cs_run_t *r, uint64_t ts)
{
    sdb_rtoken_t h;

    hwm(ts, &h);
    if (tok_cmp(&h, &r->pos) > 0)
        r->pos = h;
}

static bool
batch_full(const cs_batch_t *b)
{
    return (b->want > 0 && (int64_t)b->n >= b->want) || b->bytes >= WK_BATCH_MAX_BYTES;
}

/* place_before_ns -- put the fields of `extra` (an update's fullDocument) before ns, where
 * mongod's events carry fullDocument. */
static void
place_before_ns(bson_t *doc, const bson_t *extra)
{
    bson_t out = BSON_INITIALIZER;
    bson_iter_t it;

    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "ns") == 0)
            bson_concat(&out, extra);
        bson_append_iter(&out, bson_iter_key(&it), -1, &it);
    }
    bson_reinit(doc);
    bson_concat(doc, &out);
    bson_destroy(&out);
}

/* take_event -- fill in images, run the user's stages, add the result: the event is consumed. */
static int
take_event(cs_run_t *r, wk_cs_event_t *ev, cs_batch_t *b, sdb_error_t *err)
{
    bson_t *out = NULL;
    char key[16];
    const char *k;

    bson_t full = BSON_INITIALIZER;
    int ret = 0;

    if (ev->want_lookup)
        ret = lookup(r, ev, &full, err);
    if (ret == 0 && (ev->want_pre || ev->want_post))
        ret = images(r, ev, &full, err);
    if (ret == 0 && !bson_empty(&full))
        place_before_ns(ev->doc, &full);
    bson_destroy(&full);
    SDB_RET(ret);
    SDB_RET(run_rest(r, ev->doc, &out, err));
    r->pos = ev->tok;
    if (ev->invalidate)
        r->invalidated = true;
    if (out == NULL)
        return 0;
    bson_uint32_to_string(b->n++, &k, key, sizeof(key));
    BSON_APPEND_DOCUMENT(&b->arr, k, out);
    b->bytes += out->len;
    bson_destroy(out);
    return 0;
}

/* token_not_found -- an event past the resume token came first: the token's event is not in
 * this stream (mongod's check on resumeAfter / startAfter an event). */
static int
token_not_found(const bson_t *ev, sdb_error_t *err)
{
    return fatal(err, "cannot resume stream; the resume token was not found. ", ev);
}

/* entry -- the events of one oplog entry after r->pos; *cut when the batch filled first. */
static int
entry(cs_run_t *r, const bson_t *d, uint64_t ts, cs_batch_t *b, bool *cut, sdb_error_t *err)
{
    wk_cs_events_t evs = {0};
    int ret = 0;

    *cut = false;
    wk_cs_entry_events(&r->cs, d, ts, &evs);
    for (size_t i = 0; i < evs.n && !r->invalidated; i++) {
        int c = tok_cmp(&evs.v[i].tok, &r->pos);
        if (c == 0 && r->verify)
            r->verify = false; /* the resume token's own event: the stream resumes right */
        if (c <= 0)
            continue;
        if (r->verify)
            SDB_ERR(token_not_found(evs.v[i].doc, err));
        if (batch_full(b)) {
            *cut = true;
            break;
        }
        SDB_ERR(take_event(r, &evs.v[i], b, err));
    }
    if (*cut) {
        r->next_ts = ts; /* read this entry again, past pos */
    } else if (!r->invalidated) {
        r->next_ts = ts + 1;
        advance(r, ts);
    }
err:
    wk_cs_events_free(&evs);
    return ret;
}

/* scan_once -- one SCAN of the oplog from r->next_ts; *eof when the visible end was reached. */
static int
scan_once(cs_run_t *r, cs_batch_t *b, bool *eof, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, d;
    uint64_t head = wk_oplog_head();
    bson_iter_t it, docs, e;
    bool cut = false;
    int ret = 0;

    *eof = false;
    BSON_APPEND_UTF8(&req, "ns", CS_OPLOG_NS);
    BSON_APPEND_INT64(&req, "after", (int64_t)(r->next_ts - 1));
    BSON_APPEND_INT32(&req, "limit", CS_SCAN_LIMIT);
    SDB_ERR(wk_cmdu_store(SDB_OP_SCAN, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &docs))
        while (!cut && !r->invalidated && bson_iter_next(&docs)) {
            const uint8_t *data;
            uint32_t len;
            int64_t ts = 0;

            if (!bson_iter_recurse(&docs, &e))
                continue;
            while (bson_iter_next(&e)) {
                if (strcmp(bson_iter_key(&e), "r") == 0)
                    ts = bson_iter_as_int64(&e);
                else if (BSON_ITER_HOLDS_DOCUMENT(&e)) {
                    bson_iter_document(&e, &len, &data);
                    if (bson_init_static(&d, data, len))
                        SDB_ERR(entry(r, &d, (uint64_t)ts, b, &cut, err));
                }
            }
            SDB_ERR(wk_op_check(r->op, err));
        }
    if (!cut && !r->invalidated && bson_iter_init_find(&it, &reply, "eof") &&
        bson_iter_as_bool(&it)) {
        *eof = true;
        advance(r, head); /* everything up to the head has been read */
        if (r->next_ts <= head)
            r->next_ts = head + 1;
    }
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

#define CS_WAIT_SLICE_MS 100 /* a waiting getMore looks at its client and cursor this often */

/* fill -- read until the batch has something (or is full), the stream ends, or, with
 * await_ms > 0, the wait for new entries runs out. */
static int
fill(cs_run_t *r, cs_batch_t *b, int64_t await_ms, sdb_error_t *err)
{
    int64_t until = sdb_mono_ms() + await_ms;
    bool eof = false;

    for (;;) {
        uint64_t seen = wk_oplog_head();

        SDB_RET(scan_once(r, b, &eof, err));
        if (r->invalidated || batch_full(b) || (eof && b->n > 0))
            return 0;
        if (!eof)
            continue;
        if (await_ms <= 0 || sdb_mono_ms() >= until)
            return 0;
        for (int64_t left; !wk_oplog_wait(seen, (left = until - sdb_mono_ms()) < CS_WAIT_SLICE_MS
                                                    ? left
                                                    : CS_WAIT_SLICE_MS);) {
            SDB_RET(wk_op_interrupted(r->op, err));
            if (sdb_mono_ms() >= until)
                return 0;
        }
        SDB_RET(wk_op_interrupted(r->op, err));
    }
}

/* ---- state ----------------------------------------------------------------------------- */

static void
state_build(const cs_run_t *r, bson_t *st)
{
    BSON_APPEND_UTF8(st, "kind", "changestream");
    BSON_APPEND_DOCUMENT(st, "spec", &r->spec);
    BSON_APPEND_ARRAY(st, "pipeline", &r->rest);
    if (r->cs.coll[0] != '\0')
        BSON_APPEND_UTF8(st, "coll", r->cs.coll);
    sdb_rtoken_append(st, "pos", &r->pos);
    BSON_APPEND_INT64(st, "next", (int64_t)r->next_ts);
    if (r->verify)
        BSON_APPEND_BOOL(st, "verify", true);
}

static void
run_free(cs_run_t *r)
{
    bson_destroy(&r->spec);
    bson_destroy(&r->rest);
    wk_agg_free(r->p);
    r->p = NULL;
}

/* run_init -- the stream of `spec` and `rest` on db / coll (coll may be NULL). */
static int
run_init(cs_run_t *r, const char *db, const char *coll, const bson_t *spec, const bson_t *rest,
         cs_start_t *st, wk_op_t *op, sdb_error_t *err)
{
    memset(r, 0, sizeof(*r));
    bson_copy_to(spec, &r->spec);
    bson_copy_to(rest, &r->rest);
    r->op = op;
    snprintf(r->cs.db, sizeof(r->cs.db), "%s", db);
    snprintf(r->cs.coll, sizeof(r->cs.coll), "%s", coll != NULL ? coll : "");
    SDB_RET(parse_spec(r, st, err));
    SDB_RET(check_namespace(r, err));
    return parse_rest(r, op, err);
}

/* append_reply -- {cursor: {firstBatch|nextBatch, postBatchResumeToken, id, ns}}. */
static void
append_reply(bson_t *reply, const char *which, const cs_batch_t *b, const sdb_rtoken_t *pbrt,
             int64_t id, const char *ns)
{
    bson_t cur;

    BSON_APPEND_DOCUMENT_BEGIN(reply, "cursor", &cur);
    BSON_APPEND_ARRAY(&cur, which, &b->arr);
    sdb_rtoken_append(&cur, "postBatchResumeToken", pbrt);
    BSON_APPEND_INT64(&cur, "id", id);
    BSON_APPEND_UTF8(&cur, "ns", ns);
    bson_append_document_end(reply, &cur);
}

/* ---- aggregate ------------------------------------------------------------------------- */

bool
wk_cs_first_stage(const bson_iter_t *pipeline)
{
    bson_iter_t it, st;

    if (!BSON_ITER_HOLDS_ARRAY(pipeline) || !bson_iter_recurse(pipeline, &it) ||
        !bson_iter_next(&it) || !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &st) ||
        !bson_iter_next(&st))
        return false;
    return strcmp(bson_iter_key(&st), "$changeStream") == 0;
}

int
wk_cs_check_position(const bson_iter_t *pipeline, sdb_error_t *err)
{
    bson_iter_t it, st;
    int i = 0;

    if (!BSON_ITER_HOLDS_ARRAY(pipeline) || !bson_iter_recurse(pipeline, &it))
        return 0;
    for (; bson_iter_next(&it); i++)
        if (i > 0 && BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &st) &&
            bson_iter_next(&st) && strcmp(bson_iter_key(&st), "$changeStream") == 0)
            return sdb_error_set(err, SDB_CODE_Location40602,
                                 "$changeStream is only valid as the first stage in a pipeline");
    return 0;
}

/* split_pipeline -- the $changeStream spec and the array of the stages after it. */
static int
split_pipeline(const bson_iter_t *pipeline, bson_t *spec, bson_t *rest, sdb_error_t *err)
{
    bson_iter_t it, st;
    uint32_t n = 0;
    char key[16];
    const char *k;

    bson_init(rest);
    bson_iter_recurse(pipeline, &it);
    bson_iter_next(&it);
    bson_iter_recurse(&it, &st);
    bson_iter_next(&st);
    if (!BSON_ITER_HOLDS_DOCUMENT(&st)) {
        bson_init(spec);
        return sdb_error_set(err, SDB_CODE_Location50808,
                             "$changeStream stage expects a document as argument");
    }
    {
        const uint8_t *data;
        uint32_t len;
        bson_iter_document(&st, &len, &data);
        bson_init_static(spec, data, len);
    }
    while (bson_iter_next(&it)) {
        bson_uint32_to_string(n++, &k, key, sizeof(key));
        bson_append_iter(rest, k, -1, &it);
    }
    return 0;
}

/* history_check -- 286 when the oplog no longer holds the point a stream starts from. */
static int
history_check(uint64_t from, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, docs, e;
    int ret = 0;

    BSON_APPEND_UTF8(&req, "ns", CS_OPLOG_NS);
    BSON_APPEND_INT64(&req, "after", 0);
    BSON_APPEND_INT32(&req, "limit", 1);
    SDB_ERR(wk_cmdu_store(SDB_OP_SCAN, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &docs) &&
        bson_iter_next(&docs) && bson_iter_recurse(&docs, &e) && bson_iter_find(&e, "r") &&
        from > 0 && (uint64_t)bson_iter_as_int64(&e) > from)
        ret = sdb_error_set(err, SDB_CODE_ChangeStreamHistoryLost,
                            "Resume of change stream was not possible, as the resume point may "
                            "no longer be in the oplog.");
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* start_point -- r->pos for a new stream. */
static int
start_point(cs_run_t *r, const cs_start_t *st, sdb_error_t *err)
{
    if (st->at_time)
        hwm(st->at > 0 ? st->at : 1, &r->pos);
    else if (st->resume || st->start_after) {
        r->pos = st->tok;
        r->verify = st->tok.type == SDB_RTOKEN_EVENT && !st->tok.from_invalidate;
    } else {
        hwm(wk_oplog_head() + 1, &r->pos); /* from the next write on */
        r->next_ts = r->pos.ts;
        return 0;
    }
    r->next_ts = r->pos.ts;
    if (st->start_after && st->tok.from_invalidate)
        r->next_ts = st->tok.ts + 1; /* past the invalidating entry */
    return history_check(r->pos.ts, err);
}

/* cursor_new -- park the stream; *id its cursor id. */
static int
cursor_new(const cs_run_t *r, wk_cmd_t *cmd, const char *ns, int64_t *id, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, st = BSON_INITIALIZER;
    bson_iter_t it;
    int ret = 0;

    state_build(r, &st);
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_DOCUMENT(&req, "state", &st);
    wk_session_append_lsid(&cmd->op, &req); /* the cursor's session: engine/session.h */
    wk_authz_append_owner(cmd->conn, &req); /* and user (auth/authz.h) */
    SDB_ERR(wk_cmdu_store(SDB_OP_CURSOR_NEW, &req, &reply, err));
    *id = bson_iter_init_find(&it, &reply, "id") ? bson_iter_as_int64(&it) : 0;
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    bson_destroy(&st);
    return ret;
}

int
wk_cs_aggregate(wk_cmd_t *cmd, const char *coll, const bson_iter_t *pipeline, int64_t batch_size)
{
    bson_t spec, rest;
    cs_start_t st;
    cs_run_t r;
    cs_batch_t b = {.n = 0, .bytes = 0, .want = batch_size};
    char ns[WK_NS_MAX];
    int64_t id = 0;
    int ret = 0;

    bson_init(&b.arr);
    memset(&r, 0, sizeof(r));
    bson_init(&r.spec);
    bson_init(&r.rest);
    snprintf(ns, sizeof(ns), "%s.%s", cmd->db, coll != NULL ? coll : "$cmd.aggregate");
    ret = split_pipeline(pipeline, &spec, &rest, &cmd->err);
    if (ret == 0) {
        run_free(&r);
        ret = run_init(&r, cmd->db, coll, &spec, &rest, &st, &cmd->op, &cmd->err);
    }
    bson_destroy(&rest);
    SDB_ERR(ret);
    SDB_ERR(start_point(&r, &st, &cmd->err));
    if (batch_size != 0)
        SDB_ERR(fill(&r, &b, 0, &cmd->err));
    if (!r.invalidated)
        SDB_ERR(cursor_new(&r, cmd, ns, &id, &cmd->err));
    append_reply(cmd->reply, "firstBatch", &b, &r.pos, id, ns);
err:
    run_free(&r);
    bson_destroy(&b.arr);
    return ret;
}

/* ---- getMore --------------------------------------------------------------------------- */

/* Codes after which a driver may resume a stream: mongod labels them
 * ResumableChangeStreamError on a change stream's getMore. */
static const int resumable_codes[] = {
    SDB_CODE_HostUnreachable,
    SDB_CODE_HostNotFound,
    SDB_CODE_NetworkTimeout,
    SDB_CODE_ShutdownInProgress,
    SDB_CODE_PrimarySteppedDown,
    SDB_CODE_ExceededTimeLimit,
    SDB_CODE_SocketException,
    SDB_CODE_NotWritablePrimary,
    SDB_CODE_InterruptedAtShutdown,
    SDB_CODE_InterruptedDueToReplStateChange,
    SDB_CODE_NotPrimaryNoSecondaryOk,
    SDB_CODE_NotPrimaryOrSecondary,
    SDB_CODE_StaleShardVersion,
    SDB_CODE_StaleEpoch,
    SDB_CODE_StaleConfig,
    SDB_CODE_RetryChangeStream,
    SDB_CODE_FailedToSatisfyReadPreference,
};

static void
label_resumable(sdb_error_t *err)
{
    for (size_t i = 0; i < sizeof(resumable_codes) / sizeof(resumable_codes[0]); i++)
        if (err->code == resumable_codes[i])
            err->labels |= SDB_LABEL_RESUMABLE_CS;
}

bool
wk_cs_is_state(const bson_t *got)
{
    bson_iter_t it, k;

    return bson_iter_init_find(&it, got, "state") && bson_iter_recurse(&it, &k) &&
           bson_iter_find(&k, "kind") && BSON_ITER_HOLDS_UTF8(&k) &&
           strcmp(bson_iter_utf8(&k, NULL), "changestream") == 0;
}

/* restore -- the stream a cursor state describes. */
static int
restore(cs_run_t *r, const char *db, const bson_t *state, wk_op_t *op, sdb_error_t *err)
{
    bson_t spec = BSON_INITIALIZER, rest = BSON_INITIALIZER;
    bson_iter_t it;
    cs_start_t st;
    const char *coll = NULL;

    wk_cs_view(state, "spec", &spec);
    wk_cs_view(state, "pipeline", &rest);
    if (bson_iter_init_find(&it, state, "coll") && BSON_ITER_HOLDS_UTF8(&it))
        coll = bson_iter_utf8(&it, NULL);
    SDB_RET(run_init(r, db, coll, &spec, &rest, &st, op, err));
    r->verify = bson_iter_init_find(&it, state, "verify") && bson_iter_as_bool(&it);
    if (!bson_iter_init_find(&it, state, "pos"))
        return sdb_error_set(err, SDB_CODE_InternalError,
                             "change stream cursor without a position");
    SDB_RET(sdb_rtoken_parse(bson_iter_value(&it), &r->pos, err));
    r->next_ts =
        bson_iter_init_find(&it, state, "next") ? (uint64_t)bson_iter_as_int64(&it) : r->pos.ts;
    return 0;
}

/* await_ms -- getMore's maxTimeMS is how long an awaitData cursor waits (default 1 s); the
 * command itself is then not limited by it. */
static int64_t
await_ms(wk_cmd_t *cmd)
{
    int64_t ms = wk_op_remaining_ms(&cmd->op);

    if (cmd->op.deadline_ns == 0)
        ms = CS_AWAIT_DEFAULT_MS;
    wk_op_set_time_limit(&cmd->op, 0);
    return ms;
}

int
wk_cs_getmore(wk_cmd_t *cmd, int64_t id, const char *ns, const bson_t *got, int64_t batch_size)
{
    bson_t state = BSON_INITIALIZER, next = BSON_INITIALIZER;
    cs_batch_t b = {.n = 0, .bytes = 0, .want = batch_size};
    bson_iter_t it;
    const char *cns = "";
    int64_t wait = await_ms(cmd);
    sdb_error_t ignored;
    cs_run_t r;
    int ret = 0;

    memset(&r, 0, sizeof(r));
    bson_init(&r.spec);
    bson_init(&r.rest);
    bson_init(&b.arr);
    if (bson_iter_init_find(&it, got, "ns") && BSON_ITER_HOLDS_UTF8(&it))
        cns = bson_iter_utf8(&it, NULL);
    if (strcmp(cns, ns) != 0) {
        wk_cmdu_cursor_put(id, NULL, false, &ignored);
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_Unauthorized,
                              "Requested getMore on namespace '%s', but cursor belongs to a "
                              "different namespace %s",
                              ns, cns));
    }
    wk_cs_view(got, "state", &state);
    run_free(&r);
    ret = wk_failpoint_getmore(&cmd->err);
    if (ret == 0)
        ret = restore(&r, cmd->db, &state, &cmd->op, &cmd->err);
    if (ret == 0)
        ret = fill(&r, &b, wait, &cmd->err);
    if (ret != 0) {
        /* A fatal error ends the stream, as mongod kills the cursor; others keep it. */
        wk_cmdu_cursor_put(id, NULL, cmd->err.code == SDB_CODE_ChangeStreamFatalError, &ignored);
        label_resumable(&cmd->err);
        goto err;
    }
    state_build(&r, &next);
    SDB_ERR(wk_cmdu_cursor_put(id, &next, r.invalidated, &cmd->err));
    append_reply(cmd->reply, "nextBatch", &b, &r.pos, r.invalidated ? 0 : id, ns);
err:
    run_free(&r);
    bson_destroy(&b.arr);
    bson_destroy(&next);
    return ret;
}
