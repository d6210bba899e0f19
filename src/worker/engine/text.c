/*
 * src/worker/engine/text.c -- text indexes for the executor and createIndexes.
 *
 * A text index is the one whose key pattern has _fts (fts/fts.h); a user spec is one whose
 * key has a "text" value, fixed by sdb_fts_fix_spec before it reaches the master.  mongod
 * allows one text index per collection: another one under a different name is
 * 67 'only one text index per collection allowed, found existing text index "<name>"' (the
 * same name goes on to the master's same-index rules).
 *
 * Invariants: event-loop thread; views into the catalog cache are not kept across calls.
 */
#include "text.h"

#include "../../common/fts/fts.h"
#include "../../common/keyenc.h"
#include "../../common/sdb.h"

#include <string.h>

static bool
holds_text(bson_iter_t *it, int depth)
{
    while (bson_iter_next(it)) {
        const char *k = bson_iter_key(it);
        bson_iter_t arr, sub;

        if (strcmp(k, "$text") == 0)
            return true;
        if (depth > 8 ||
            (strcmp(k, "$and") != 0 && strcmp(k, "$or") != 0 && strcmp(k, "$nor") != 0) ||
            !BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &arr))
            continue;
        while (bson_iter_next(&arr))
            if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &sub) &&
                holds_text(&sub, depth + 1))
                return true;
    }
    return false;
}

bool
wk_text_in_filter(const bson_t *filter)
{
    bson_iter_t it;

    return filter != NULL && bson_iter_init(&it, filter) && holds_text(&it, 0);
}

/* spec_key -- the key pattern of an index spec (a view). */
static bool
spec_key(const bson_t *spec, bson_t *key)
{
    bson_iter_t it;
    const uint8_t *d;
    uint32_t len;

    if (!bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return false;
    bson_iter_document(&it, &len, &d);
    return bson_init_static(key, d, len);
}

bool
wk_text_index(const wk_coll_info_t *ci, bson_t *spec)
{
    bson_iter_t it;
    bson_t key;

    if (ci == NULL || !bson_iter_init(&it, &ci->indexes))
        return false;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (bson_init_static(spec, d, len) && spec_key(spec, &key) && sdb_fts_pattern(&key))
            return true;
    }
    return false;
}

static bool
user_text_key(const bson_t *key)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, key))
        return false;
    while (bson_iter_next(&it))
        if ((BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "text") == 0) ||
            strcmp(bson_iter_key(&it), "_fts") == 0)
            return true;
    return false;
}

int
wk_text_fix_spec(bson_t *spec, sdb_error_t *err)
{
    bson_t key, fixed;
    int ret;

    if (!spec_key(spec, &key) || !user_text_key(&key))
        return 0;
    ret = sdb_fts_fix_spec(spec, &fixed, err);
    if (ret == 0) {
        bson_reinit(spec);
        bson_concat(spec, &fixed);
    }
    bson_destroy(&fixed);
    return ret;
}

static const char *
spec_name(const bson_t *spec)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it)
               ? bson_iter_utf8(&it, NULL)
               : "";
}

int
wk_text_check_one(const wk_coll_info_t *ci, const bson_t *specs, sdb_error_t *err)
{
    bson_t have, spec, key;
    bson_iter_t it;
    const char *first = NULL;
    bool exists = wk_text_index(ci, &have);

    if (!bson_iter_init(&it, specs))
        return 0;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;
        const char *other;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (!bson_init_static(&spec, d, len) || !spec_key(&spec, &key) || !sdb_fts_pattern(&key))
            continue;
        other = exists ? spec_name(&have) : first;
        if (other != NULL && strcmp(other, spec_name(&spec)) != 0)
            return sdb_error_set(err, SDB_CODE_CannotCreateIndex,
                                 "only one text index per collection allowed, found existing "
                                 "text index \"%s\"",
                                 other);
        first = spec_name(&spec);
    }
    return 0;
}

/* ---- the TEXT_OR plan ------------------------------------------------------------------ */

/* top_text -- the operand of the filter's top-level $text. */
static bool
top_text(const bson_t *filter, bson_value_t *v)
{
    bson_iter_t it;

    if (filter == NULL || !bson_iter_init_find(&it, filter, "$text"))
        return false;
    *v = *bson_iter_value(&it);
    return true;
}

/* prefix_value -- the filter's equality on a prefix field ({f: v} or {f: {$eq: v}}). */
static bool
prefix_value(const bson_t *filter, const char *field, bson_value_t *v)
{
    bson_iter_t it, op;

    if (!bson_iter_init_find(&it, filter, field))
        return false;
    if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &op) && bson_iter_next(&op) &&
        bson_iter_key(&op)[0] == '$') {
        if (strcmp(bson_iter_key(&op), "$eq") != 0 || bson_iter_next(&op))
            return false;
        *v = *bson_iter_value(&op);
        return true;
    }
    *v = *bson_iter_value(&it);
    return v->value_type != BSON_TYPE_REGEX && v->value_type != BSON_TYPE_ARRAY;
}

/* term_range -- the encoded range of one term: the term's prefix, then every remaining key
 * field padded as the master pads a bound (MinKey low, MaxKey high, per direction). */
static void
term_range(const sdb_fts_spec_t *s, const bson_value_t *prefix, const char *term, bool high,
           sdb_keybuf_t *kb)
{
    bson_value_t ext;

    memset(&ext, 0, sizeof(ext));
    sdb_fts_key_term(s, prefix, term, strlen(term), kb);
    ext.value_type = high ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY; /* the score: ascending */
    sdb_keyenc_value(kb, &ext, 0);
    for (size_t i = 0; i < s->nafter; i++) {
        ext.value_type = (high != (s->after_desc[i] != 0)) ? BSON_TYPE_MAXKEY : BSON_TYPE_MINKEY;
        sdb_keyenc_value(kb, &ext, s->after_desc[i]);
    }
}

/* add_range -- one term's range, in the plan and in its IXSCAN request. */
static void
add_range(wk_exec_plan_t *p, const sdb_fts_spec_t *s, const bson_value_t *prefix, const char *term)
{
    bson_t range, lo, hi;
    char k[16], buf[SDB_FTS_KEY_TERM_MAX];
    wk_exec_range_t *r;
    size_t klen;
    const char *key =
        sdb_fts_key_string(term, strlen(term), buf, &klen); /* as the master keys it */

    p->r = bson_realloc(p->r, (p->nr + 1) * sizeof(*p->r));
    r = &p->r[p->nr];
    memset(r, 0, sizeof(*r));
    sdb_keybuf_init(&r->lo);
    sdb_keybuf_init(&r->hi);
    term_range(s, prefix, term, false, &r->lo);
    term_range(s, prefix, term, true, &r->hi);
    r->lo_incl = r->hi_incl = true;
    bson_snprintf(k, sizeof(k), "%zu", p->nr++);
    bson_append_document_begin(&p->ranges, k, -1, &range);
    BSON_APPEND_DOCUMENT_BEGIN(&range, "lo", &lo);
    for (size_t i = 0; i < s->nbefore; i++)
        BSON_APPEND_VALUE(&lo, s->before[i], &prefix[i]);
    bson_append_utf8(&lo, "_fts", 4, key, (int)klen);
    bson_append_document_end(&range, &lo);
    BSON_APPEND_DOCUMENT_BEGIN(&range, "hi", &hi);
    for (size_t i = 0; i < s->nbefore; i++)
        BSON_APPEND_VALUE(&hi, s->before[i], &prefix[i]);
    bson_append_utf8(&hi, "_fts", 4, key, (int)klen);
    bson_append_document_end(&range, &hi);
    BSON_APPEND_BOOL(&range, "loIncl", true);
    BSON_APPEND_BOOL(&range, "hiIncl", true);
    bson_append_document_end(&p->ranges, &range);
}

/* leads_index -- is `field` the first field of one of ci's plain (ascending/descending)
 * indexes? */
static bool
leads_index(const wk_coll_info_t *ci, const char *field)
{
    bson_iter_t it, k;
    bson_t spec, key;

    if (!bson_iter_init(&it, &ci->indexes))
        return false;
    while (bson_iter_next(&it)) {
        const uint8_t *d;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &d);
        if (bson_init_static(&spec, d, len) && spec_key(&spec, &key) && !sdb_fts_pattern(&key) &&
            bson_iter_init(&k, &key) && bson_iter_next(&k) && BSON_ITER_HOLDS_NUMBER(&k) &&
            strcmp(bson_iter_key(&k), field) == 0)
            return true;
    }
    return false;
}

/* clause_indexed -- every field an $or clause names leads an index (what lets mongod answer
 * the clause with an index scan beside TEXT_OR). */
static bool
clause_indexed(const wk_coll_info_t *ci, bson_iter_t *clause)
{
    bson_iter_t f;
    bool any = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(clause) || !bson_iter_recurse(clause, &f))
        return false;
    while (bson_iter_next(&f)) {
        if (bson_iter_key(&f)[0] == '$' || !leads_index(ci, bson_iter_key(&f)))
            return false;
        any = true;
    }
    return any;
}

/* check_or -- $text inside the top-level $or: mongod needs every other clause indexed
 * (291 NoQueryExecutionPlans otherwise); the clauses are then matched here. */
static int
check_or(const wk_coll_info_t *ci, const bson_t *filter, sdb_error_t *err)
{
    bson_iter_t it, arr, sub;
    bool text = false, indexed = true;

    if (!bson_iter_init_find(&it, filter, "$or") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return 0;
    while (bson_iter_next(&arr)) {
        if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &sub) &&
            bson_iter_find(&sub, "$text"))
            text = true;
        else if (!clause_indexed(ci, &arr))
            indexed = false;
    }
    if (!text || indexed)
        return 0;
    return sdb_error_set(err, SDB_CODE_NoQueryExecutionPlans,
                         "error processing query: planner returned error :: caused by :: "
                         "Failed to produce a solution for TEXT under OR - other non-TEXT "
                         "clauses under OR have to be indexed as well.");
}

int
wk_text_plan(const wk_coll_info_t *ci, const bson_t *filter, wk_exec_plan_t *p, bool *ok,
             sdb_error_t *err)
{
    bson_value_t op, prefix[SDB_FTS_MAX_FIELDS];
    sdb_fts_spec_t s;
    sdb_fts_query_t q;
    bson_t spec;
    int ret = 0;

    *ok = false;
    if (!top_text(filter, &op))
        return check_or(ci, filter, err);
    if (!wk_text_index(ci, &spec))
        return sdb_error_set(err, SDB_CODE_IndexNotFound, "text index required for $text query");
    memset(&q, 0, sizeof(q));
    SDB_ERR(sdb_fts_spec_init(&s, &spec));
    for (size_t i = 0; i < s.nbefore; i++)
        if (!prefix_value(filter, s.before[i], &prefix[i]))
            SDB_ERR(sdb_error_set(err, SDB_CODE_NoQueryExecutionPlans,
                                  "error processing query: planner returned error :: caused "
                                  "by :: failed to use text index to satisfy $text query (if "
                                  "text index is compound, are equality predicates given for "
                                  "all prefix fields?)"));
    SDB_ERR(sdb_fts_query_parse(&op, s.lang, &q, err));
    wk_exec_plan_free(p);
    bson_strncpy(p->name, spec_name(&spec), sizeof(p->name));
    bson_concat(&p->key, &s.key);
    bson_concat(&p->text, &spec);
    p->multikey = p->bounded = true;
    for (size_t i = 0; i < q.bounds.n; i++)
        add_range(p, &s, prefix, q.bounds.v[i]);
    *ok = true;
err:
    sdb_fts_query_free(&q);
    sdb_fts_spec_free(&s);
    return ret;
}

/* scan_stages -- inputStages: one IXSCAN per term's range. */
static void
scan_stages(const wk_exec_plan_t *p, bson_t *out)
{
    bson_t arr, ix;

    BSON_APPEND_ARRAY_BEGIN(out, "inputStages", &arr);
    for (size_t i = 0; i < p->nr; i++) {
        char k[16];

        bson_snprintf(k, sizeof(k), "%zu", i);
        bson_append_document_begin(&arr, k, -1, &ix);
        wk_exec_plan_explain(p, &ix);
        bson_append_document_end(&arr, &ix);
    }
    bson_append_array_end(out, &arr);
}

/* text_unscored_explain -- mongod's plan for a $text that wants no score: FETCH over an OR
 * of one IXSCAN per term, or over the IXSCAN when there is one term. */
static void
text_unscored_explain(const wk_exec_t *ex, bool with_stats, bson_t *fetch)
{
    const wk_exec_plan_t *p = &ex->plan;
    bson_t in;

    BSON_APPEND_UTF8(fetch, "stage", "FETCH");
    if (with_stats)
        wk_exec_explain_num(fetch, "docsExamined", (int64_t)ex->docs_examined);
    BSON_APPEND_DOCUMENT_BEGIN(fetch, "inputStage", &in);
    if (p->nr == 1) {
        wk_exec_plan_explain(p, &in);
        if (with_stats)
            wk_exec_explain_num(&in, "keysExamined", (int64_t)ex->keys_examined);
    } else {
        BSON_APPEND_UTF8(&in, "stage", "OR");
        if (with_stats)
            wk_exec_explain_num(&in, "keysExamined", (int64_t)ex->keys_examined);
        scan_stages(p, &in);
    }
    bson_append_document_end(fetch, &in);
}

void
wk_text_explain(const wk_exec_t *ex, const bson_t *filter, bool with_stats, bson_t *out)
{
    const wk_exec_plan_t *p = &ex->plan;
    sdb_fts_query_t q;
    sdb_fts_spec_t s;
    sdb_error_t err;
    bson_value_t op;
    bson_t pq, prefix, orst;

    BSON_APPEND_UTF8(out, "stage", "TEXT_MATCH");
    BSON_APPEND_DOCUMENT_BEGIN(out, "indexPrefix", &prefix);
    bson_append_document_end(out, &prefix);
    BSON_APPEND_UTF8(out, "indexName", p->name);
    memset(&q, 0, sizeof(q));
    BSON_APPEND_DOCUMENT_BEGIN(out, "parsedTextQuery", &pq);
    if (sdb_fts_spec_init(&s, &p->text) == 0 && top_text(filter, &op) &&
        sdb_fts_query_parse(&op, s.lang, &q, &err) == 0)
        sdb_fts_query_bson(&q, &pq);
    bson_append_document_end(out, &pq);
    sdb_fts_query_free(&q);
    sdb_fts_spec_free(&s);
    BSON_APPEND_INT32(out, "textIndexVersion", SDB_FTS_INDEX_VERSION);
    if (with_stats) {
        wk_exec_explain_num(out, "nReturned", (int64_t)ex->n_returned);
        wk_exec_explain_num(out, "docsRejected", (int64_t)(ex->docs_examined - ex->n_returned));
    }
    BSON_APPEND_DOCUMENT_BEGIN(out, "inputStage", &orst);
    if (ex->text_unscored) { /* FETCH over OR over the scans, or over the one scan */
        text_unscored_explain(ex, with_stats, &orst);
        bson_append_document_end(out, &orst);
        return;
    }
    BSON_APPEND_UTF8(&orst, "stage", "TEXT_OR");
    if (with_stats) {
        wk_exec_explain_num(&orst, "docsExamined", (int64_t)ex->docs_examined);
        wk_exec_explain_num(&orst, "keysExamined", (int64_t)ex->keys_examined);
    }
    scan_stages(p, &orst);
    bson_append_document_end(out, &orst);
}
