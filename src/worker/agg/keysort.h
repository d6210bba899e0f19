/*
 * src/worker/agg/keysort.h -- a stable sort of documents by one key value that spills past the
 * stage's memory limit: what $bucketAuto (by its groupBy value) and $setWindowFields (by its
 * partition key) put in front of their work, as mongod puts a sorter there.
 *
 * Each added document becomes a record {k: key, d: document}.  The records are held until they
 * pass the limit (spill.h wk_spill_limit, internalDocumentSourceGroupMaxMemoryBytes); then the
 * held ones are sorted by key (stable) and written as one run of the spill, or, without
 * allowDiskUse, the add fails with 292 in mongod's words for the stage.  wk_keysort_next hands
 * the records back in key order (under the collation), equal keys in the order they were
 * added (or by a second order of the documents, wk_keysort_new_then): from memory when nothing spilled, else through the merge of the runs, so at most
 * about the limit plus the merge's read buffers is held at any time.
 *
 * Contract: event-loop thread, one coroutine.  Records from wk_keysort_next are the caller's
 * (wk_keysort_key / wk_keysort_doc read them); an error leaves the sort usable only for
 * wk_keysort_free.
 */
#ifndef SRC_WORKER_AGG_KEYSORT_H
#define SRC_WORKER_AGG_KEYSORT_H

#include "agg.h"

#include "../query/sort.h"

typedef struct wk_keysort wk_keysort_t;

/* wk_keysort_new -- an empty sort for stage `what` ("$bucketAuto": a static string) of ctx. */
wk_keysort_t *wk_keysort_new(const wk_agg_ctx_t *ctx, const char *what);

/* wk_keysort_new_then -- the same, equal keys ordered by `then` (borrowed: it must outlive the
 * sort; NULL: in the order they were added), as mongod's $sort by (key, sortBy). */
wk_keysort_t *wk_keysort_new_then(const wk_agg_ctx_t *ctx, const char *what, const wk_sort_t *then);

/* wk_keysort_add -- add `doc` (borrowed) under `key` (borrowed; missing sorts as null). */
int wk_keysort_add(wk_keysort_t *ks, const bson_value_t *key, const bson_t *doc, sdb_error_t *err);

/* wk_keysort_count -- how many documents were added. */
size_t wk_keysort_count(const wk_keysort_t *ks);

/* wk_keysort_spilled -- whether any run went to the temporary table. */
bool wk_keysort_spilled(const wk_keysort_t *ks);

/* wk_keysort_next -- the next record in key order (*rec NULL at the end); no add after it. */
int wk_keysort_next(wk_keysort_t *ks, bson_t **rec, sdb_error_t *err);

/* wk_keysort_key -- the key of a record (a view into it). */
void wk_keysort_key(const bson_t *rec, bson_value_t *key);

/* wk_keysort_doc -- the document of a record (a static view into it). */
void wk_keysort_doc(const bson_t *rec, bson_t *doc);

/* wk_keysort_free -- release everything, the temporary table too (NULL is fine). */
void wk_keysort_free(wk_keysort_t *ks);

#endif
