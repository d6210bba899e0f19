/*
 * src/worker/engine/exec_explain.c -- the executor's plan as mongod's explain stages.
 *
 * The stages describe the executor's own state after wk_exec_open* chose its plan, so the
 * plan explain reports is the plan that runs: EOF (no collection), COLLSCAN (mode SCAN, with
 * its direction), IDHACK (one _id value) or FETCH over an IXSCAN of _id_ (several), FETCH
 * over the chosen IXSCAN (mode SEC, exec_plan.h) or over an OR of one IXSCAN per $or clause
 * (a SORT_MERGE of them when their scans give the sort, exec_merge.h), or, covered, the
 * IXSCAN alone below the caller's PROJECTION_COVERED (the OR or SORT_MERGE alone below its
 * PROJECTION_DEFAULT).  The counts come from the executor's
 * counters, which wk_exec_next and the master's IXSCAN replies advance: docsExamined counts
 * each record once, keysExamined the index entries the master looked at.
 *
 * Invariants: event-loop thread only; reads the executor, never changes it.
 */
#include "exec.h"
#include "exec_merge.h"
#include "plan_bounds.h"
#include "plan_cache.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void
wk_exec_explain_num(bson_t *b, const char *key, int64_t v)
{
    if (v >= INT32_MIN && v <= INT32_MAX)
        BSON_APPEND_INT32(b, key, (int32_t)v);
    else
        BSON_APPEND_INT64(b, key, v);
}

/* key_text -- a key pattern as mongod's planSummary writes it: "{ a: 1, b: -1 }". */
static void
key_text(const bson_t *key, char *out, size_t len)
{
    bson_iter_t it;
    size_t at;
    bool first = true;

    at = (size_t)snprintf(out, len, "{");
    if (bson_iter_init(&it, key))
        while (bson_iter_next(&it) && at < len) {
            const char *k = bson_iter_key(&it), *sep = first ? " " : ", ";

            if (BSON_ITER_HOLDS_UTF8(&it))
                at += (size_t)snprintf(out + at, len - at, "%s%s: \"%s\"", sep, k,
                                       bson_iter_utf8(&it, NULL));
            else
                at += (size_t)snprintf(out + at, len - at, "%s%s: %lld", sep, k,
                                       (long long)bson_iter_as_int64(&it));
            first = false;
        }
    if (at < len)
        snprintf(out + at, len - at, " }");
}

void
wk_exec_note_stats(const wk_exec_t *ex)
{
    wk_op_stats_t *st = ex->op != NULL ? ex->op->stats : NULL;
    char key[96];

    if (st == NULL || ex->mode == WK_EXEC_EMPTY)
        return;
    st->keys_examined += ex->keys_examined;
    st->docs_examined += ex->docs_examined;
    if (ex->mode == WK_EXEC_SCAN) {
        snprintf(st->plan_summary, sizeof(st->plan_summary), "COLLSCAN");
    } else if (ex->mode == WK_EXEC_IX) {
        snprintf(st->plan_summary, sizeof(st->plan_summary), "IDHACK");
    } else {
        key_text(ex->nor > 0 ? &ex->ors[0]->key : &ex->plan.key, key, sizeof(key));
        snprintf(st->plan_summary, sizeof(st->plan_summary), "IXSCAN %s", key);
    }
}

/* empty_doc -- {} under key. */
static void
empty_doc(bson_t *b, const char *key)
{
    bson_t none;

    BSON_APPEND_DOCUMENT_BEGIN(b, key, &none);
    bson_append_document_end(b, &none);
}

/* stats -- the common per-stage counters mongod prints at executionStats. */
static void
stats(bson_t *st, uint64_t nreturned, uint64_t works)
{
    wk_exec_explain_num(st, "nReturned", (int64_t)nreturned);
    BSON_APPEND_INT32(st, "executionTimeMillisEstimate", 0);
    wk_exec_explain_num(st, "works", (int64_t)works + 1);
    wk_exec_explain_num(st, "advanced", (int64_t)nreturned);
    wk_exec_explain_num(st, "needTime", (int64_t)(works - nreturned));
    BSON_APPEND_INT32(st, "needYield", 0);
    BSON_APPEND_INT32(st, "saveState", 0);
    BSON_APPEND_INT32(st, "restoreState", 0);
    BSON_APPEND_INT32(st, "isEOF", 1);
}

/* id_ixscan -- the IXSCAN of _id_ over the looked-up values (mode IX). */
static void
id_ixscan(const wk_exec_t *ex, bool with_stats, bson_t *st)
{
    bson_t kp = BSON_INITIALIZER, paths, arr, b, f;
    bson_iter_t it;
    uint32_t n = 0;

    BSON_APPEND_UTF8(st, "stage", "IXSCAN");
    if (with_stats) {
        stats(st, ex->docs_examined, ex->keys_examined);
        wk_exec_explain_num(st, "keysExamined", (int64_t)ex->keys_examined);
        BSON_APPEND_INT32(st, "seeks", 1);
        BSON_APPEND_INT32(st, "dupsTested", 0);
        BSON_APPEND_INT32(st, "dupsDropped", 0);
    }
    BSON_APPEND_INT32(&kp, "_id", 1);
    BSON_APPEND_DOCUMENT(st, "keyPattern", &kp);
    BSON_APPEND_UTF8(st, "indexName", "_id_");
    BSON_APPEND_BOOL(st, "isMultiKey", false);
    BSON_APPEND_DOCUMENT_BEGIN(st, "multiKeyPaths", &paths);
    BSON_APPEND_ARRAY_BEGIN(&paths, "_id", &arr);
    bson_append_array_end(&paths, &arr);
    bson_append_document_end(st, &paths);
    BSON_APPEND_BOOL(st, "isUnique", true);
    BSON_APPEND_BOOL(st, "isSparse", false);
    BSON_APPEND_BOOL(st, "isPartial", false);
    BSON_APPEND_INT32(st, "indexVersion", 2);
    BSON_APPEND_UTF8(st, "direction", "forward");
    BSON_APPEND_DOCUMENT_BEGIN(st, "indexBounds", &b);
    BSON_APPEND_ARRAY_BEGIN(&b, "_id", &f);
    bson_iter_init(&it, &ex->ids);
    while (bson_iter_next(&it)) {
        wk_ival_t iv = {.lo = *bson_iter_value(&it), .hi = *bson_iter_value(&it)};
        bson_string_t *s = bson_string_new(NULL);
        char key[16];

        iv.lo_incl = iv.hi_incl = true;
        wk_plan_ival_format(&iv, false, s);
        bson_snprintf(key, sizeof(key), "%u", n++);
        BSON_APPEND_UTF8(&f, key, s->str);
        bson_string_free(s, true);
    }
    bson_append_array_end(&b, &f);
    bson_append_document_end(st, &b);
    bson_destroy(&kp);
}

/* ixscan_stage -- one IXSCAN; nret the records it passed up (the whole read's when it is
 * the only scan: its docsExamined). */
static void
ixscan_stage(const wk_exec_plan_t *p, bool with_stats, uint64_t nret, bson_t *st)
{
    wk_exec_plan_explain(p, st);
    if (!with_stats)
        return;
    stats(st, nret, p->keys);
    wk_exec_explain_num(st, "keysExamined", (int64_t)p->keys);
    wk_exec_explain_num(st, "seeks", (int64_t)p->nr);
    wk_exec_explain_num(st, "dupsTested", p->multikey ? (int64_t)p->keys : 0);
    wk_exec_explain_num(st, "dupsDropped",
                        p->multikey && p->keys > nret ? (int64_t)(p->keys - nret) : 0);
}

/* union_stage -- OR (one scan per $or clause, in turn) or SORT_MERGE (the clauses' sorted
 * scans merged): {stage, sortPattern?, inputStages: [an IXSCAN per clause]}. */
static void
union_stage(const wk_exec_t *ex, bool with_stats, bson_t *st)
{
    bool merge = ex->merge != NULL;
    size_t n = merge ? wk_exec_merge_count(ex) : ex->nor;
    bson_t arr, one;

    BSON_APPEND_UTF8(st, "stage", merge ? "SORT_MERGE" : "OR");
    if (with_stats) { /* (covered: the records it passed up are what the read returned) */
        stats(st, ex->covered ? ex->n_returned : ex->docs_examined, ex->keys_examined);
        wk_exec_explain_num(st, "dupsTested",
                            (int64_t)(merge ? ex->docs_examined : ex->keys_examined));
        wk_exec_explain_num(st, "dupsDropped", 0);
    }
    if (merge)
        BSON_APPEND_DOCUMENT(st, "sortPattern", &ex->sort);
    BSON_APPEND_ARRAY_BEGIN(st, "inputStages", &arr);
    for (size_t i = 0; i < n; i++) {
        const wk_exec_plan_t *p = merge ? wk_exec_merge_plan(ex, i) : ex->ors[i];
        char key[16];

        bson_snprintf(key, sizeof(key), "%zu", i);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &one);
        ixscan_stage(p, with_stats, p->keys, &one);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(st, &arr);
}

/* fetch_stage -- FETCH {filter?, stats?, inputStage: IXSCAN or OR}. */
static void
fetch_stage(const wk_exec_t *ex, const bson_t *filter, bool with_stats, bson_t *out)
{
    bson_t in;

    BSON_APPEND_UTF8(out, "stage", "FETCH");
    if (filter != NULL && !bson_empty(filter))
        BSON_APPEND_DOCUMENT(out, "filter", filter);
    if (with_stats) {
        stats(out, ex->n_returned, ex->docs_examined);
        wk_exec_explain_num(out, "docsExamined", (int64_t)ex->docs_examined);
        BSON_APPEND_INT32(out, "alreadyHasObj", 0);
    }
    BSON_APPEND_DOCUMENT_BEGIN(out, "inputStage", &in);
    if (ex->mode == WK_EXEC_IX)
        id_ixscan(ex, with_stats, &in);
    else if (ex->nor > 0 || ex->merge != NULL)
        union_stage(ex, with_stats, &in);
    else
        ixscan_stage(&ex->plan, with_stats, ex->docs_examined, &in);
    bson_append_document_end(out, &in);
}

void
wk_exec_explain(const wk_exec_t *ex, const bson_t *filter, bool with_stats, bson_t *out)
{
    if (ex->mode == WK_EXEC_EMPTY) {
        BSON_APPEND_UTF8(out, "stage", "EOF");
        if (with_stats)
            stats(out, 0, 0);
        return;
    }
    if (ex->mode == WK_EXEC_IX && bson_count_keys(&ex->ids) == 1) {
        BSON_APPEND_UTF8(out, "stage", "IDHACK");
        if (with_stats) {
            stats(out, ex->n_returned, ex->docs_examined);
            wk_exec_explain_num(out, "keysExamined", (int64_t)ex->keys_examined);
            wk_exec_explain_num(out, "docsExamined", (int64_t)ex->docs_examined);
        }
        return;
    }
    if (ex->mode == WK_EXEC_SEC && !bson_empty(&ex->plan.text)) {
        wk_text_explain(ex, filter, with_stats, out); /* TEXT_MATCH over TEXT_OR */
        return;
    }
    if (ex->covered && (ex->nor > 0 || ex->merge != NULL)) { /* no FETCH above the OR */
        union_stage(ex, with_stats, out);
        return;
    }
    if (ex->covered) { /* no FETCH: the projection above reads the keys */
        ixscan_stage(&ex->plan, with_stats, ex->n_returned, out);
        return;
    }
    if (ex->mode == WK_EXEC_IX || ex->mode == WK_EXEC_SEC) {
        fetch_stage(ex, filter, with_stats, out);
        return;
    }
    BSON_APPEND_UTF8(out, "stage", "COLLSCAN");
    if (filter != NULL && !bson_empty(filter))
        BSON_APPEND_DOCUMENT(out, "filter", filter);
    if (with_stats) {
        stats(out, ex->n_returned, ex->docs_examined);
        wk_exec_explain_num(out, "docsExamined", (int64_t)ex->docs_examined);
    }
    BSON_APPEND_UTF8(out, "direction", ex->dir < 0 ? "backward" : "forward");
}

/* plan_tree -- FETCH {filter} over one candidate's IXSCAN; with stats, its trial's counts. */
static void
plan_tree(const wk_exec_plan_t *p, const bson_t *filter, bool with_stats, bson_t *out)
{
    bson_t in;

    BSON_APPEND_UTF8(out, "stage", "FETCH");
    if (filter != NULL && !bson_empty(filter))
        BSON_APPEND_DOCUMENT(out, "filter", filter);
    if (with_stats) {
        stats(out, p->trial.advanced, p->trial.docs);
        wk_exec_explain_num(out, "docsExamined", (int64_t)p->trial.docs);
        BSON_APPEND_INT32(out, "alreadyHasObj", 0);
    }
    BSON_APPEND_DOCUMENT_BEGIN(out, "inputStage", &in);
    wk_exec_plan_explain(p, &in);
    if (with_stats) {
        stats(&in, p->trial.docs, p->trial.keys);
        wk_exec_explain_num(&in, "keysExamined", (int64_t)p->trial.keys);
        wk_exec_explain_num(&in, "seeks", (int64_t)p->nr);
    }
    bson_append_document_end(out, &in);
}

void
wk_exec_explain_rejected(const wk_exec_t *ex, const bson_t *filter, bson_t *arr)
{
    for (size_t i = 0; ex->mode == WK_EXEC_SEC && i < ex->nrejected; i++) {
        char key[16];
        bson_t d;

        bson_snprintf(key, sizeof(key), "%zu", i);
        BSON_APPEND_DOCUMENT_BEGIN(arr, key, &d);
        plan_tree(ex->rejected[i], filter, false, &d);
        bson_append_document_end(arr, &d);
    }
}

/* trials -- every raced plan's trial (the winner first), as allPlansExecution entries. */
static void
trials(const wk_exec_t *ex, const bson_t *filter, bson_t *arr)
{
    uint32_t n = 0;

    for (size_t i = 0; i <= ex->nrejected; i++) {
        const wk_exec_plan_t *p = i == 0 ? &ex->plan : ex->rejected[i - 1];
        char key[16];
        bson_t d, st;

        bson_snprintf(key, sizeof(key), "%u", n++);
        BSON_APPEND_DOCUMENT_BEGIN(arr, key, &d);
        wk_exec_explain_num(&d, "nReturned", (int64_t)p->trial.advanced);
        BSON_APPEND_INT32(&d, "executionTimeMillisEstimate", 0);
        wk_exec_explain_num(&d, "totalKeysExamined", (int64_t)p->trial.keys);
        wk_exec_explain_num(&d, "totalDocsExamined", (int64_t)p->trial.docs);
        BSON_APPEND_DOCUMENT_BEGIN(&d, "executionStages", &st);
        plan_tree(p, filter, true, &st);
        bson_append_document_end(&d, &st);
        bson_append_document_end(arr, &d);
    }
}

void
wk_exec_explain_trials(const wk_exec_t *ex, const bson_t *filter, bson_t *arr)
{
    if (ex->mode == WK_EXEC_SEC && ex->nrejected > 0 && !ex->cached)
        trials(ex, filter, arr);
}

void
wk_exec_explain_cache_entry(const wk_exec_t *ex, const bson_t *filter, const bson_t *sort,
                            const bson_t *collation, const char *shape, const char *key,
                            bson_t *out)
{
    bson_t q, plan, arr;
    char hash[9];
    struct timeval tv;

    BSON_APPEND_UTF8(out, "version", "1");
    wk_plan_cache_hash(shape, hash);
    BSON_APPEND_UTF8(out, "queryHash", hash);
    wk_plan_cache_hash(key, hash);
    BSON_APPEND_UTF8(out, "planCacheKey", hash);
    bson_gettimeofday(&tv);
    BSON_APPEND_DATE_TIME(out, "timeOfCreation", (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    BSON_APPEND_DOCUMENT_BEGIN(out, "createdFromQuery", &q);
    if (filter != NULL)
        BSON_APPEND_DOCUMENT(&q, "query", filter);
    else
        empty_doc(&q, "query");
    if (sort != NULL)
        BSON_APPEND_DOCUMENT(&q, "sort", sort);
    else
        empty_doc(&q, "sort");
    empty_doc(&q, "projection");
    if (collation != NULL && !bson_empty(collation))
        BSON_APPEND_DOCUMENT(&q, "collation", collation);
    bson_append_document_end(out, &q);
    BSON_APPEND_DOCUMENT_BEGIN(out, "cachedPlan", &plan);
    plan_tree(&ex->plan, filter, false, &plan);
    bson_append_document_end(out, &plan);
    BSON_APPEND_ARRAY_BEGIN(out, "creationExecStats", &arr);
    trials(ex, filter, &arr);
    bson_append_array_end(out, &arr);
    BSON_APPEND_ARRAY_BEGIN(out, "candidatePlanScores", &arr);
    for (size_t i = 0; i <= ex->nrejected; i++) {
        char k[16];

        bson_snprintf(k, sizeof(k), "%zu", i);
        BSON_APPEND_DOUBLE(&arr, k, wk_exec_race_score(i == 0 ? &ex->plan : ex->rejected[i - 1]));
    }
    bson_append_array_end(out, &arr);
    BSON_APPEND_BOOL(out, "indexFilterSet", false);
    BSON_APPEND_INT64(out, "estimatedSizeBytes", (int64_t)out->len + 16);
}

void
wk_exec_explain_stats(const wk_exec_t *ex, const bson_t *filter, int64_t nret, int64_t t0,
                      int verbosity, const bson_t *stages, bson_t *out)
{
    bson_t es, plan, arr;

    BSON_APPEND_DOCUMENT_BEGIN(out, "executionStats", &es);
    BSON_APPEND_BOOL(&es, "executionSuccess", true);
    wk_exec_explain_num(&es, "nReturned", nret);
    wk_exec_explain_num(&es, "executionTimeMillis", (bson_get_monotonic_time() - t0) / 1000);
    wk_exec_explain_num(&es, "totalKeysExamined", (int64_t)ex->keys_examined);
    wk_exec_explain_num(&es, "totalDocsExamined", (int64_t)ex->docs_examined);
    if (stages != NULL) {
        BSON_APPEND_DOCUMENT(&es, "executionStages", stages);
    } else {
        BSON_APPEND_DOCUMENT_BEGIN(&es, "executionStages", &plan);
        wk_exec_explain(ex, filter, true, &plan);
        bson_append_document_end(&es, &plan);
    }
    if (verbosity == WK_EXPLAIN_ALL_PLANS) {
        BSON_APPEND_ARRAY_BEGIN(&es, "allPlansExecution", &arr);
        wk_exec_explain_trials(ex, filter, &arr);
        bson_append_array_end(&es, &arr);
    }
    bson_append_document_end(out, &es);
}

int
wk_exec_explain_run(wk_exec_t *ex, int64_t skip, int64_t limit, bool sort_needed, uint64_t *nret,
                    sdb_error_t *err)
{
    uint64_t matched = 0, n = 0;

    for (;;) {
        bson_t doc;
        int64_t r;
        bool found;

        SDB_RET(wk_exec_next(ex, &doc, &r, NULL, &found, err));
        if (!found)
            break;
        matched++;
        if (sort_needed || (int64_t)matched <= skip)
            continue;
        n++;
        if (limit > 0 && (int64_t)n >= limit)
            break;
    }
    if (sort_needed) { /* the sort keeps skip + limit of every match */
        n = (int64_t)matched > skip ? matched - (uint64_t)skip : 0;
        if (limit > 0 && n > (uint64_t)limit)
            n = (uint64_t)limit;
    }
    *nret = n;
    return 0;
}
