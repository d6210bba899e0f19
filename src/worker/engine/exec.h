/*
 * src/worker/engine/exec.h -- the read executor shared by the data commands.
 *
 * The executor (wk_exec_t) plans a read of one namespace -- an _id index lookup (IXSCAN on
 * "_id_") when the filter pins _id to equality/$in values, else a secondary-index scan when
 * exec_plan.h finds a usable index (or one per clause of a top-level $or, merged in sort
 * order when each gives the sort: exec_merge.h), a collection scan (SCAN in growing batches)
 * otherwise;
 * a hint overrides the choice (the hinted index in its order, or $natural either way) --
 * applies the matcher and yields matching documents with their record
 * ids.  Its position can be saved into a cursor state document and restored by any worker
 * (wk_exec_save / wk_exec_restore).
 *
 * Every document examined is an interrupt point (wk_op_check on ex->op): the scan gives the
 * worker's loop a turn when its slice is used up and stops with the operation's interrupt
 * error (maxTimeMS, shutdown, a gone client).
 *
 * Invariants: event-loop thread only (these call wk_store_call).  A document yielded by
 * wk_exec_next is a read-only view that stays valid until the next wk_exec_next,
 * wk_exec_unget-then-next, or wk_exec_close; copy it to keep it.  Every function returning int
 * returns 0 or SDB_ECLIENT with *err set (or a negative SDB_E* for internal failures).
 */
#ifndef SRC_WORKER_ENGINE_EXEC_H
#define SRC_WORKER_ENGINE_EXEC_H

#include "../../common/errors.h"
#include "../op.h"
#include "../query/matcher.h"
#include "args.h"
#include "exec_plan.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* wk_cmdu_store -- wk_store_call with *reply always initialized (destroy it in every case). */
int wk_cmdu_store(int op, const bson_t *req, bson_t *reply, sdb_error_t *err);

/* wk_cmdu_cursor_put -- CURSOR_PUT: check a cursor back in with its new state, or drop it when
 * done (getMore of find, aggregate and change-stream cursors). */
int wk_cmdu_cursor_put(int64_t id, const bson_t *state, bool done, sdb_error_t *err);

enum {
    WK_EXEC_EMPTY = 0,
    WK_EXEC_SCAN = 1,
    WK_EXEC_IX = 2,
    WK_EXEC_SEC = 3 /* secondary-index scan (exec_plan.h) */
};

typedef struct wk_exec_item {
    int64_t r;           /* record id */
    const uint8_t *data; /* the document's bytes inside the current store reply */
    uint32_t len;
    int state;    /* SEC: 0 not examined yet, 1 first meeting of the record, 2 already met */
} wk_exec_item_t; /* no bson_t inside: heap arrays of it stay properly aligned */

typedef struct wk_exec {
    char ns[WK_NS_MAX];
    wk_matcher_t *matcher; /* owned */
    int mode;              /* WK_EXEC_* */
    bson_t ids;            /* IX: the _id values to look up, sorted, de-duplicated */
    bool has_after;        /* SCAN: resume after record id `after` */
    int64_t after;
    int dir;              /* SCAN: 1 record-id order, -1 its reverse ({$natural: -1}) */
    bool has_hint;        /* the plan follows `hint` (find's hint: an index or $natural) */
    bson_value_t hint;    /* owned copy */
    bool has_last_id;     /* IX: resume after _id value last_id */
    bson_value_t last_id; /* owned copy */
    bson_t reply;         /* the current store reply (items point into it) */
    bool has_reply;
    wk_exec_item_t *items;
    size_t nitems, cap, idx;   /* idx: next item to examine */
    bool eof;                  /* the store has nothing after the current reply */
    uint32_t fetch_limit;      /* SCAN batch size; grows up to WK_EXEC_FETCH_MAX */
    uint64_t docs_examined;    /* documents looked at (a multikey record once): totalDocsExamined */
    uint64_t keys_examined;    /* index entries the master looked at: totalKeysExamined */
    uint64_t n_returned;       /* documents wk_exec_next handed out */
    bool has_sort;             /* the plan was asked for `sort` (saved with the position) */
    bson_t sort;               /* owned copy */
    bson_t minmax;             /* find's {min?, max?} (owned; empty = none), saved likewise */
    wk_exec_plan_t plan;       /* SEC: the index, its ranges and the records met */
    wk_exec_plan_t **ors;      /* SEC over a top-level $or: one plan per clause (owned), scanned
                              * in turn; plan stays empty.  NULL otherwise */
    size_t nor, or_cur;        /* ors' count and the one being scanned */
    wk_exec_plan_t **rejected; /* SEC: the candidates that lost the race (owned; explain) */
    size_t nrejected;
    bool cached;                 /* SEC: the plan came from the plan cache, not a race */
    struct wk_exec_merge *merge; /* SEC: SORT_MERGE of the $or's sorted scans (exec_merge.h),
                                  * else NULL */
    bool covered;                /* SEC: the scan returns key documents, no FETCH (wk_exec_cover);
                             * saved with the position */
    sdb_keybuf_t sec_after;      /* SEC: the scan resumes strictly after this entry */
    bool has_sec_after;
    sdb_keybuf_t sec_next; /* SEC: the current reply's resume token */
    bool has_sec_next;
    const wk_op_t *op;  /* the operation (op.h): checked before each document; NULL = none.
                        * Set by the caller after wk_exec_init; open and restore keep it. */
    bool text_unscored; /* explain only: a $text query wants no textScore, so mongod shows
                         * FETCH over OR (or one IXSCAN) below TEXT_MATCH, not TEXT_OR.
                         * Set like `op`; false (TEXT_OR) unless the caller knows. */
    uint64_t read_ts;   /* snapshot read: the oplog time every batch reads at (SCAN/IXSCAN
                        * readTs); 0 = the latest data.  Set like `op`; saved in the position,
                        * so a cursor's getMores read at the same time. */
} wk_exec_t;

/* wk_exec_init -- make `ex` an empty, closed executor (wk_exec_close is then safe). */
void wk_exec_init(wk_exec_t *ex);

/* wk_exec_open -- plan a read of ns with `filter` (NULL = everything).  Parses the filter
 * (its errors come back in err).  The catalog is refreshed here.  `ex` must be initialized or
 * closed; after a failure it still needs wk_exec_close. */
int wk_exec_open(wk_exec_t *ex, const char *ns, const bson_t *filter, sdb_error_t *err);

/* wk_exec_open_ex -- the same with the command's let variables and collation (opts may be
 * NULL; the collation must outlive the executor).  A collation turns off the _id lookup. */
int wk_exec_open_ex(wk_exec_t *ex, const char *ns, const bson_t *filter,
                    const wk_match_opts_t *opts, sdb_error_t *err);

/* wk_exec_open_hint -- wk_exec_open_ex following find's `hint` (NULL = none): a plain
 * ascending/descending index named by name or key pattern is scanned in its order, over the
 * filter's ranges on its first field (every entry with a collation); {$natural: 1 | -1} scans
 * the collection forward or backward.  The hint travels in the saved position, so a restored
 * cursor keeps the order.  A hint must be a string or a document (FailedToParse) naming an
 * existing index (BadValue "hint provided does not correspond to an existing index"), unless it
 * is {} (none) or $natural or the collection does not exist; an index that is not a plain
 * ascending/descending one plans as without a hint. */
int wk_exec_open_hint(wk_exec_t *ex, const char *ns, const bson_t *filter,
                      const wk_match_opts_t *opts, const bson_value_t *hint, sdb_error_t *err);

/* wk_exec_open_sorted -- wk_exec_open_hint also asked for `sort` (NULL = none): an index
 * whose scan yields that order may be chosen, and wk_exec_sorted then says so, so the
 * caller need not sort.  The sort travels in the saved position. */
int wk_exec_open_sorted(wk_exec_t *ex, const char *ns, const bson_t *filter,
                        const wk_match_opts_t *opts, const bson_value_t *hint, const bson_t *sort,
                        sdb_error_t *err);

/* wk_exec_limit_hint -- the caller will take at most n documents: the first batch asks the
 * master for no more (later batches grow as usual), so a limited read examines about n keys
 * or documents instead of a whole first batch. */
void wk_exec_limit_hint(wk_exec_t *ex, uint64_t n);

/* wk_exec_open_find -- wk_exec_open_sorted with find's min/max ({min?: doc, max?: doc}, NULL
 * or {} = none): the hinted index is scanned over [min, max) in its order (51173 without a
 * hint of an index, 51174 when min/max do not name its fields in order, 51175 when min does
 * not come before max). */
int wk_exec_open_find(wk_exec_t *ex, const char *ns, const bson_t *filter,
                      const wk_match_opts_t *opts, const bson_value_t *hint, const bson_t *sort,
                      const bson_t *minmax, sdb_error_t *err);

/* wk_exec_cover -- after open: make a single-index read covered, as mongod's
 * PROJECTION_COVERED plan, when the index alone answers it: a non-multikey index whose fields
 * hold every field the filter tests (exactly: comparisons and $in with values that are not
 * null, documents or arrays), the sort, and the inclusion projection (_id excluded or a key
 * field).  An $or's scans (OR, SORT_MERGE) are covered when every clause's index passes that
 * test for the whole filter (mongod's PROJECTION_DEFAULT over an unfetched OR).  The master
 * then returns each entry's key values instead of the record (storeop.def IXSCAN covered),
 * so docsExamined stays 0.  No change otherwise. */
void wk_exec_cover(wk_exec_t *ex, const bson_t *filter, const bson_t *projection,
                   const bson_t *sort);

/* wk_exec_cover_set -- mark the read covered (or not), with a SORT_MERGE's scans (a resumed
 * cursor restores what wk_exec_cover decided). */
void wk_exec_cover_set(wk_exec_t *ex, bool covered);

/* wk_exec_key -- append to `out` the index key the plan met doc (record r) at, as find's
 * returnKey shows it: {field: value...} of the scanned index, {_id} for an _id lookup,
 * nothing for a collection scan. */
int wk_exec_key(const wk_exec_t *ex, const bson_t *doc, int64_t r, bson_t *out);

/* wk_exec_sorted -- whether the documents come in the order of the sort given at open. */
bool wk_exec_sorted(const wk_exec_t *ex);

/* wk_exec_explain -- append the plan's stages to `out` as mongod's winningPlan tree below
 * the caller's stages: {stage: "COLLSCAN", filter, direction}, {stage: "FETCH", filter,
 * inputStage: {stage: "IXSCAN", ...}}, {stage: "IDHACK"} or {stage: "EOF"}; with `stats`
 * the executionStages fields counted so far (nReturned, docsExamined, keysExamined...). */
void wk_exec_explain(const wk_exec_t *ex, const bson_t *filter, bool stats, bson_t *out);

/* wk_exec_note_stats -- add what ex examined, and its plan's summary, to its operation's
 * stats (op.h; nothing when it has none).  wk_exec_close calls it. */
void wk_exec_note_stats(const wk_exec_t *ex);

/* wk_exec_explain_num -- append a count as mongod does: int32 when it fits, else int64. */
void wk_exec_explain_num(bson_t *b, const char *key, int64_t v);

/* wk_exec_race -- run each candidate index plan of ex's query for one trial batch (their
 * trial counts filled) and choose the most productive, as mongod's multi-planner
 * (exec_race.c); *winner its index in c. */
int wk_exec_race(const wk_exec_t *ex, wk_exec_plan_t **c, size_t n, size_t *winner,
                 sdb_error_t *err);

/* wk_exec_race_score -- a raced plan's score as mongod's plan ranker computes it (1, plus
 * its productivity, plus the bonuses), $planCacheStats' candidatePlanScores. */
double wk_exec_race_score(const wk_exec_plan_t *p);

/* explain verbosities, in mongod's order */
enum {
    WK_EXPLAIN_QUERY_PLANNER = 0,
    WK_EXPLAIN_EXEC_STATS = 1,
    WK_EXPLAIN_ALL_PLANS = 2
};

/* wk_exec_explain_run -- run the read as a command with skip and limit (0 = none) would,
 * for explain's counts: stop at skip + limit unless a sort must see every match
 * (sort_needed); *nret the documents the command would return. */
int wk_exec_explain_run(wk_exec_t *ex, int64_t skip, int64_t limit, bool sort_needed,
                        uint64_t *nret, sdb_error_t *err);

/* wk_exec_explain_stats -- append mongod's executionStats {executionSuccess, nReturned,
 * executionTimeMillis, totalKeysExamined, totalDocsExamined, executionStages,
 * allPlansExecution?} of a read run to its end: `stages` the caller's stage tree (NULL: the
 * executor's own, wk_exec_explain), t0 its start (bson_get_monotonic_time). */
void wk_exec_explain_stats(const wk_exec_t *ex, const bson_t *filter, int64_t nret, int64_t t0,
                           int verbosity, const bson_t *stages, bson_t *out);

/* wk_exec_explain_rejected -- append the losing plans as mongod's rejectedPlans entries. */
void wk_exec_explain_rejected(const wk_exec_t *ex, const bson_t *filter, bson_t *arr);

/* wk_exec_explain_trials -- append mongod's allPlansExecution entries: every raced plan's
 * trial (nReturned, totalKeysExamined, totalDocsExamined, executionStages). */
void wk_exec_explain_trials(const wk_exec_t *ex, const bson_t *filter, bson_t *arr);

/* wk_exec_explain_cache_entry -- after a race: the plan cache entry's $planCacheStats
 * document in mongod 7.0's classic order, but for isActive and works (the master keeps them;
 * they follow planCacheKey): version, queryHash (of `shape`), planCacheKey (of `key`),
 * timeOfCreation, createdFromQuery {query, sort, projection, collation?}, cachedPlan,
 * creationExecStats and candidatePlanScores (winner first), indexFilterSet,
 * estimatedSizeBytes.  `collation` is the query's spec (NULL or empty: none). */
void wk_exec_explain_cache_entry(const wk_exec_t *ex, const bson_t *filter, const bson_t *sort,
                                 const bson_t *collation, const char *shape, const char *key,
                                 bson_t *out);

/* wk_exec_next -- the next matching document: *found false at the end.  `details` may be
 * NULL.  `doc` becomes a static view (see the header invariants). */
int wk_exec_next(wk_exec_t *ex, bson_t *doc, int64_t *r, wk_match_details_t *details, bool *found,
                 sdb_error_t *err);

/* wk_exec_unget -- push back the document the last wk_exec_next returned (it will be
 * returned again; its view stays valid). */
void wk_exec_unget(wk_exec_t *ex);

/* wk_exec_save -- append the executor's position as a sub-document {mode, after?, lastId?,
 * ix?, afterKey?, dir?, hint?} named `key` to `state`. */
void wk_exec_save(const wk_exec_t *ex, bson_t *state, const char *key);

/* wk_exec_restore -- open (as wk_exec_open) and move to a position saved by wk_exec_save.
 * A saved collection scan stays one; a saved index scan whose index is gone or no longer
 * chosen fails with QueryPlanKilled. */
int wk_exec_restore(wk_exec_t *ex, const char *ns, const bson_t *filter, const bson_t *pos,
                    sdb_error_t *err);

/* wk_exec_restore_ex -- wk_exec_restore with options, as wk_exec_open_ex. */
int wk_exec_restore_ex(wk_exec_t *ex, const char *ns, const bson_t *filter,
                       const wk_match_opts_t *opts, const bson_t *pos, sdb_error_t *err);

/* wk_exec_close -- release everything; leaves `ex` as wk_exec_init does (idempotent). */
void wk_exec_close(wk_exec_t *ex);

/* wk_cmdu_read_record -- re-read record r of ns into *out (a copy, initialized when *found);
 * used after a WriteConflict. */
int wk_cmdu_read_record(const wk_op_t *op, const char *ns, int64_t r, bson_t *out, bool *found,
                        sdb_error_t *err);

#endif
