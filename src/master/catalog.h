/*
 * src/master/catalog.h -- the catalog: namespaces, their tables, options and index specs.
 *
 * The catalog lives in `table:catalog` (key ns -> BSON {ns, uuid, options, table,
 * indexes: [{...spec, table, multikeyMasks}]}) and is cached in master memory as ms_coll_t
 * structures.  multikeyMasks (one int64 per key field, ms_index_t.mkmask) is the one part of
 * a row written outside DDL: under the shared lock, by ms_catalog_persist_multikey.
 *
 * Locking contract (one process-wide writer-preferring rwlock, the "catalog lock"):
 *   - every data operation (insert, update, delete, scan batch, stats) holds it shared
 *     (ms_catalog_rdlock) for its whole duration, so the ms_coll_t and ms_index_t it looked
 *     up stay valid and no index appears or disappears under a write;
 *   - every DDL operation (create, drop, rename, index build or drop) holds it exclusive
 *     (ms_catalog_wrlock), which also serializes DDL.
 * Never take it twice on one thread (the writer preference would deadlock).  Functions
 * named *_locked expect the lock held in the mode their comment states.  Every catalog
 * change bumps the published catalog version.
 *
 * A collection created inside a multi-document transaction (mongod 7.0 allows create, and
 * createIndexes on such a collection) has its tables at once but its catalog row and "c"
 * operation in the transaction; until the transaction ends it has a `creator`, the workers'
 * catalog marks it pending (hidden from listCollections and listIndexes), other writers meet
 * WriteConflict, and ms_catalog_settle keeps it (commit) or drops it (abort).  Lock order: a
 * transaction's mutex (xact.c) before the catalog lock.
 */
#ifndef MS_CATALOG_H
#define MS_CATALOG_H

#include "../common/errors.h"
#include "../common/sdb.h"
#include "ops.h"

#include <bson/bson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <wiredtiger.h>

#define MS_URI_MAX 48
#define MS_NS_MAX (SDB_NS_LEN_MAX + 1) /* a namespace and its NUL */

typedef struct ms_index {
    char *name;                 /* spec.name */
    bson_t *spec;               /* {v, key, name, ...options} exactly as listIndexes shows it */
    bson_t *key;                /* spec.key (the key pattern) */
    char uri[MS_URI_MAX];       /* "table:index-<n>" */
    bool unique;                /* spec.unique, or the _id index */
    bool sparse;                /* spec.sparse: documents without any key field have no entry */
    bool prepare_unique;        /* spec.prepareUnique: a non-unique index refusing new duplicates */
    struct sdb_pfilter *filter; /* spec.partialFilterExpression compiled (pfilter.h), or NULL */
    struct sdb_collation *coll; /* spec.collation opened (collation.h), or NULL (simple) */
    bool multikey;              /* some document expanded an array into entries (the planner must
                                 * not intersect bounds on a field nor serve a covered
                                 * projection); set once, atomically (__atomic builtins), by any
                                 * writer under the shared lock, and never cleared */
    uint64_t *mkmask;           /* per key field, the path prefixes that held an array
                                 * (path.h sdb_path_array_prefixes; a wildcard index: bit 0 of
                                 * field 0 only), OR-ed atomically by writers under the shared
                                 * lock, never cleared; nkf entries.  Persisted in the catalog
                                 * row (multikeyMasks beside the spec) before the write that
                                 * set a bit commits, so they survive a restart; a row written
                                 * before they existed loads as multikey on every field */
    size_t nkf;
    char side[MS_URI_MAX]; /* while the index builds (ixbuild.c): the side-writes table where
                            * writers log their entry changes; "" once built */
} ms_index_t;

typedef struct ms_coll {
    char *ns;                 /* "db.coll" */
    uint8_t uuid[16];         /* collection UUID (binary subtype 4) */
    bson_t *options;          /* create options (never NULL) */
    char uri[MS_URI_MAX];     /* "table:coll-<n>": record id (q) -> BSON (u) */
    _Atomic int64_t next_rid; /* next record id to hand out */
    ms_index_t *idx;          /* idx[0] is the _id index */
    size_t nidx;
    struct ms_capped *capped; /* limits and totals when options say capped, else NULL */
    struct ms_xact *creator;  /* the open transaction that created it (xact.h), else NULL */
    ms_index_t **bld;         /* indexes being built (ixbuild.c owns each; writers log their
                               * entries to its side table): changed under the exclusive lock */
    size_t nbld;
} ms_coll_t;

/* ms_catalog_load -- create `table:catalog` if needed, load every entry into the cache,
 * initialize record-id counters from the tables, drop orphaned tables.  Main thread, once. */
int ms_catalog_load(WT_SESSION *s);

/* ms_catalog_drop_temp -- drop every collection created with temp: true outside the local
 * database (with its oplog entry), as mongod does when it becomes primary at start-up.  Main
 * thread, once, after the oplog is open. */
int ms_catalog_drop_temp(WT_SESSION *s);

/* ms_catalog_free -- drop the cache (at close). */
void ms_catalog_free(void);

/* ms_catalog_rdlock / ms_catalog_wrlock / ms_catalog_unlock -- take the catalog lock shared
 * (data operations) or exclusive (DDL), and release it (see the contract above). */
void ms_catalog_rdlock(void);
void ms_catalog_wrlock(void);
void ms_catalog_unlock(void);

/* ms_catalog_find_locked -- the collection for ns, or NULL.  Lock held (either mode). */
ms_coll_t *ms_catalog_find_locked(const char *ns);

/* ms_catalog_count_locked / ms_catalog_at_locked -- iterate the cache (lock held). */
size_t ms_catalog_count_locked(void);
ms_coll_t *ms_catalog_at_locked(size_t i);

/* ms_catalog_open_for_write -- take the shared lock and find ns, creating it first (with
 * default options, on `own`, for transaction x when x is not NULL) when missing.  On success
 * the shared lock is HELD and *out is valid until ms_catalog_unlock; on error no lock is held.
 * 112 WriteConflict when another open transaction created ns. */
int ms_catalog_open_for_write(WT_SESSION *own, struct ms_xact *x, const char *ns, ms_coll_t **out,
                              sdb_error_t *err);

/* ms_catalog_created_by_other -- 112 WriteConflict when c was created by an open transaction
 * other than x (lock held). */
int ms_catalog_created_by_other(const ms_coll_t *c, const struct ms_xact *x, sdb_error_t *err);

/* ms_catalog_settle -- transaction x ended: keep the collections it created (commit) or drop
 * them and their tables on `s` (abort).  Takes the exclusive lock. */
void ms_catalog_settle(WT_SESSION *s, const struct ms_xact *x, bool commit);

/* ms_catalog_check_ns -- mongod's namespace rules (InvalidNamespace 73). */
int ms_catalog_check_ns(const char *ns, sdb_error_t *err);

/* ms_catalog_create_locked -- create ns (exclusive lock held): tables (on s), the _id index,
 * the catalog row and a "c" oplog entry, committed on s; or, for transaction x, the row in
 * x's transaction and the "c" operation among its writes (creator x).  48 NamespaceExists if
 * present. */
int ms_catalog_create_locked(WT_SESSION *s, struct ms_xact *x, const char *ns,
                             const bson_t *options, ms_coll_t **out, sdb_error_t *err);

/* ms_catalog_drop_locked -- drop a collection and its index tables (exclusive lock held);
 * `c` is freed. */
int ms_catalog_drop_locked(WT_SESSION *s, ms_coll_t *c);

/* ms_catalog_persist_multikey -- c's multikey masks grew under the shared lock: rewrite its
 * catalog row in a transaction of its own, committed now (serialized by a mutex; the row of
 * a collection a transaction created is written in that transaction, on s), so the bits are
 * durable before the write that set them commits.  A bit persisted for a write that then
 * aborts only makes the planner careful. */
int ms_catalog_persist_multikey(WT_SESSION *s, const ms_coll_t *c);

/* ms_catalog_persist_locked -- rewrite c's catalog row inside the session's running
 * transaction (exclusive lock held); the caller bumps the catalog version once the DDL has
 * committed (ms_store_bump_catalog). */
int ms_catalog_persist_locked(WT_SESSION *s, const ms_coll_t *c);

/* ms_catalog_log_ddl_locked -- record a change of c (exclusive lock held): its catalog row
 * (when `persist`) and the "c" oplog entry {ns: "<db>.$cmd", ui, o}, committed on s; or, for
 * transaction x, the row in x's transaction and the operation among its writes. */
int ms_catalog_log_ddl_locked(WT_SESSION *s, struct ms_xact *x, const ms_coll_t *c, bool persist,
                              const bson_t *o);

/* ms_catalog_new_uri -- a fresh table URI "table:<kind>-<n>". */
void ms_catalog_new_uri(const char *kind, char *uri, size_t len);

/* ms_catalog_drop_table -- drop a WiredTiger table now, or later (ms_catalog_tick) if busy. */
int ms_catalog_drop_table(WT_SESSION *s, const char *uri);

/* ms_catalog_tick -- retry deferred table drops (main thread, housekeeping session). */
void ms_catalog_tick(WT_SESSION *s);

/* ms_catalog_index_add_locked -- append an index to c (exclusive lock held); the spec is
 * copied.  ms_catalog_index_remove_locked removes idx[i] (its table is not dropped). */
int ms_catalog_index_add_locked(ms_coll_t *c, const bson_t *spec, const char *uri);

/* ms_catalog_index_init -- fill *ix from spec (copied) and uri, outside any collection (an
 * index being built, ixbuild.c); ms_catalog_index_free releases what it holds. */
int ms_catalog_index_init(ms_index_t *ix, const bson_t *spec, const char *uri);
void ms_catalog_index_free(ms_index_t *ix);
void ms_catalog_index_remove_locked(ms_coll_t *c, size_t i);

/* ms_catalog_oplog_cmd -- commit the session's running transaction with a "c" oplog entry
 * {ns: "<db>.$cmd", ui?, o}. */
int ms_catalog_oplog_cmd(WT_SESSION *s, const char *db, const uint8_t *uuid, const bson_t *o);

/* Operation handlers (storeop.def). */
int ms_catalog_op_catalog(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_catalog_op_create(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_catalog_op_drop(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_catalog_op_drop_db(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_catalog_op_rename(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);
int ms_catalog_op_coll_mod(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
