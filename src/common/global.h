/*
 * src/common/global.h -- the global shared segment every process maps.
 *
 * The master creates it (memfd) before spawning workers and publishes read-only values:
 * the catalog version (a worker refreshes its cached catalog when it changes), the oplog
 * head timestamp and its wake-up word, the failpoint version (a worker refreshes its cached
 * failpoints when it changes), the cursor table's counts (serverStatus metrics.cursor), the
 * TTL monitor's counts (metrics.ttl) and the live value of every runtime-settable server
 * parameter (config.h: setParameter asks the master, which writes it here), the profiler's
 * settings (master/profile.h), the respawn count and the index builds running on the master
 * (currentOp).  Each worker owns one counters slot,
 * one diag slot (serverStatus's other counters), one row of running operations and one row
 * of open connections (currentOp), and is the only writer of them; serverStatus sums the
 * slots.  Fields are atomics or seqlocked rows; no locks.
 */
#ifndef SDB_GLOBAL_H
#define SDB_GLOBAL_H

#include "log.h"
#include "logring.h"
#include "lsid.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SDB_GLOBAL_MAGIC 0x53444247u /* "SDBG" */
#define SDB_GLOBAL_VERSION 11u
#define SDB_GLOBAL_KILL_RING 32
#define SDB_MAX_WORKERS 64
#define SDB_GLOBAL_STORE_OPS 64 /* above every SDB_OP_* number */
#define SDB_OPS_PER_WORKER 64   /* running operations a worker lists for currentOp */
#define SDB_OP_CMD_MAX 1024     /* command bytes kept per listed operation */

/* One running operation as currentOp shows it (worker/op_registry.c).  Its worker writes it
 * under the seqlock `seq` (odd while writing); any process reads it and retries on a change. */
typedef struct sdb_op_slot {
    _Atomic uint32_t seq;
    uint32_t active;  /* 1: an operation runs here */
    int64_t opid;     /* what killOp names */
    int64_t start_us; /* wall clock */
    int64_t conn_id;  /* connectionId */
    char client[64];  /* "ip:port" */
    char app[64];     /* client.application.name */
    char ns[128];     /* "db.coll" or "db.$cmd" */
    char op[16];      /* "command", "query", "getmore", "insert", "update", "remove" */
    uint32_t cmd_len; /* bytes of cmd used; 0 when the command did not fit */
    uint8_t cmd[SDB_OP_CMD_MAX];
} sdb_op_slot_t;

/* One open connection as currentOp's idle entries show it (worker/op_registry.c): its worker
 * writes it under the seqlock `seq`; any process reads it. */
typedef struct sdb_conn_slot {
    _Atomic uint32_t seq;
    uint32_t used;   /* 1: a connection is open here */
    int64_t conn_id; /* connectionId */
    char client[64]; /* "ip:port" */
    char app[64];    /* client.application.name */
} sdb_conn_slot_t;

/* One index build running on the master's pool as currentOp shows it (master/ixbuild.c): the
 * build's thread writes it under the seqlock `seq` (odd while writing); workers read it. */
typedef struct sdb_ixbuild_slot {
    _Atomic uint32_t seq;
    uint32_t active; /* 1: a build runs here */
    int64_t opid;    /* the build's own operation (killOp names it too) */
    int64_t start_us;
    int32_t thread;   /* N of desc "IndexBuildsCoordinatorMongod-N" */
    int32_t phase;    /* SDB_IXPHASE_* */
    int64_t done;     /* progress in this phase */
    int64_t total;    /* 0: not known yet */
    char ns[128];     /* "db.coll" */
    uint32_t cmd_len; /* bytes of cmd used: {createIndexes, indexes}; 0 when it did not fit */
    uint8_t cmd[SDB_OP_CMD_MAX];
} sdb_ixbuild_slot_t;

#define SDB_IXBUILDS_LISTED 16 /* builds currentOp lists (more run unlisted) */
#define SDB_IXPHASE_SCAN 0     /* "Index Build: scanning collection" */
#define SDB_IXPHASE_DRAIN 1    /* "Index Build: draining writes received during build" */

#define SDB_CONNS_LISTED 256 /* connections a worker lists for currentOp (the rest are not) */

#define SDB_TOP_NS 256 /* namespaces a worker counts for top */

/* The top counters of one namespace on one worker (worker/top.c): time in microseconds. */
typedef enum {
    SDB_TOP_TOTAL,
    SDB_TOP_READ,
    SDB_TOP_WRITE,
    SDB_TOP_QUERIES,
    SDB_TOP_GETMORE,
    SDB_TOP_INSERT,
    SDB_TOP_UPDATE,
    SDB_TOP_REMOVE,
    SDB_TOP_COMMANDS,
    SDB_TOP__N
} sdb_top_kind_t;

typedef struct sdb_top_entry {
    _Atomic uint32_t used; /* 1 once ns is written (the worker claims and fills it) */
    char ns[124];
    _Atomic uint64_t time[SDB_TOP__N], count[SDB_TOP__N];
} sdb_top_entry_t;

typedef struct sdb_worker_counters {
    _Atomic uint64_t op_insert; /* worker writes (its own slot) */
    _Atomic uint64_t op_query;
    _Atomic uint64_t op_update;
    _Atomic uint64_t op_delete;
    _Atomic uint64_t op_getmore;
    _Atomic uint64_t op_command;
    _Atomic uint64_t conn_current; /* open connections: accept.c adds, conn.c subtracts */
    _Atomic uint64_t conn_total;
    _Atomic uint64_t conn_rejected; /* refused past the connection cap or descriptor limit */
    _Atomic uint64_t conn_active;   /* connections with a request running (conn.c) */
    _Atomic uint64_t bytes_in;
    _Atomic uint64_t bytes_out;
    _Atomic uint64_t requests;
    _Atomic uint64_t tls_versions[5]; /* TLS connections by version 1.0-1.3, other (tls.c) */
    uint64_t pad[14];
} sdb_worker_counters_t;

#define SDB_DIAG_COMMANDS 256       /* command table rows metrics.commands counts (commands.def) */
#define SDB_PROFILE_DBS 64          /* databases with a profiling level other than the default */
#define SDB_PROFILE_FILTER_MAX 2048 /* bytes of a profile filter document */

/* opLatencies' classes (worker/diag_count.c). */
typedef enum {
    SDB_LAT_READS,
    SDB_LAT_WRITES,
    SDB_LAT_COMMANDS,
    SDB_LAT_TRANSACTIONS,
    SDB_LAT__N
} sdb_lat_kind_t;

/* The serverStatus counters of one worker beyond opcounters (worker/diag_count.c writes its
 * own slot; serverStatus sums the slots).  comp[id][0]: the compressor (bytes in, out) of
 * compressor id (common/compressors.h), comp[id][1]: its decompressor. */
typedef struct sdb_worker_diag {
    _Atomic uint64_t asserts_regular, asserts_warning, asserts_msg, asserts_user, asserts_tripwire;
    _Atomic uint64_t lat_us[SDB_LAT__N], lat_ops[SDB_LAT__N];
    _Atomic uint64_t doc_deleted, doc_inserted, doc_returned, doc_updated;
    _Atomic uint64_t scan_and_order, write_conflicts, keys_scanned, docs_scanned;
    _Atomic uint64_t cursors_opened;
    _Atomic uint64_t comp[4][2][2];
    _Atomic uint64_t cmd_total[SDB_DIAG_COMMANDS], cmd_failed[SDB_DIAG_COMMANDS];
    _Atomic int64_t pid;            /* the worker's pid (written when it starts) */
    _Atomic uint64_t chan_inflight; /* storage requests waiting for their reply */
    _Atomic uint64_t chan_requests; /* storage requests sent since it started */
} sdb_worker_diag_t;

/* One database's profiling level and filter (master/profile.c writes it under the seqlock
 * `seq`, odd while writing; a worker reads it and retries on a change). */
typedef struct sdb_profile_db {
    _Atomic uint32_t seq;
    uint32_t used; /* 1 once db is written */
    char db[64];
    int32_t level;       /* 0, 1 or 2 */
    uint32_t filter_len; /* 0: no filter */
    uint8_t filter[SDB_PROFILE_FILTER_MAX];
} sdb_profile_db_t;

typedef struct sdb_global {
    uint32_t magic;    /* master writes once */
    uint32_t version;  /* master writes once */
    uint32_t nworkers; /* master writes once */
    uint32_t pad0;
    int64_t start_time_ms;              /* master writes once: wall clock at start */
    _Atomic uint64_t catalog_version;   /* master writes */
    _Atomic uint64_t oplog_head;        /* master writes: last committed oplog ts (secs<<32|inc) */
    _Atomic uint32_t oplog_wake;        /* master writes: bumped on every oplog append */
    _Atomic uint64_t next_conn_id;      /* every worker fetch_adds: connection ids */
    _Atomic uint64_t fsync_locks;       /* workers write (cmd/fsync.c): fsync lock count */
    char port_str[16];                  /* master writes once: bound port */
    _Atomic uint64_t failpoint_version; /* master writes: bumped on every failpoint change */
    _Atomic uint64_t cursor_open;       /* master writes (cursors.c): cursors in the table */
    _Atomic uint64_t cursor_no_timeout; /* master writes: of those, noCursorTimeout ones */
    _Atomic uint64_t cursor_pinned;     /* master writes: of those, checked out by a getMore */
    _Atomic uint64_t cursor_timed_out;  /* master writes: cursors expired since start */
    /* master writes (cursors.c): the ids of the last SDB_GLOBAL_KILL_RING cursors killed while
     * a getMore had them checked out, at cursor_kill_seq % SDB_GLOBAL_KILL_RING, so the
     * getMore interrupts itself (worker op.c: CursorKilled) */
    _Atomic uint64_t cursor_kill_seq;
    _Atomic int64_t cursor_killed[SDB_GLOBAL_KILL_RING];
    /* master writes (sessions.c): the keys {id, uid} (sdb_lsid_words) of the last
     * SDB_GLOBAL_KILL_RING sessions killSessions killed (all ones: every session), at session_kill_seq % the ring, so their
     * running operations interrupt themselves (worker op.c: Interrupted) */
    _Atomic uint64_t session_kill_seq;
    _Atomic uint64_t session_killed[SDB_GLOBAL_KILL_RING][SDB_LSID_WORDS];
    _Atomic uint64_t xact_open;      /* master writes (xact.c): open transactions */
    _Atomic uint64_t xact_active;    /* master writes: of those, running a statement */
    _Atomic uint64_t xact_started;   /* master writes: transactions started since start */
    _Atomic uint64_t xact_committed; /* master writes: ... committed */
    _Atomic uint64_t xact_aborted;   /* master writes: ... aborted */
    _Atomic uint64_t ttl_passes;     /* master writes (ttl.c): TTL passes since start */
    _Atomic uint64_t ttl_sub_passes; /* master writes: ... and their sub-passes */
    _Atomic uint64_t ttl_deleted;    /* master writes: documents the TTL monitor deleted */
    /* master writes (params.c): the live values of the runtime-settable parameters, at the
     * offset their row of config.c's table names (bools as 0 / 1) */
    _Atomic int64_t ttl_monitor_enabled; /* ttlMonitorEnabled */
    _Atomic int64_t ttl_sleep_secs;      /* ttlMonitorSleepSecs */
    _Atomic int64_t sort_mem_max;        /* internalQueryMaxBlockingSortMemoryUsageBytes */
    _Atomic int64_t group_mem_max;       /* internalDocumentSourceGroupMaxMemoryBytes */
    _Atomic int64_t allow_disk_default;  /* allowDiskUseByDefault */
    _Atomic int64_t window_mem_max;      /* internalDocumentSourceSetWindowFieldsMaxMemoryBytes */
    _Atomic int64_t densify_mem_max;     /* internalDocumentSourceDensifyMaxMemoryBytes */
    sdb_worker_counters_t workers[SDB_MAX_WORKERS]; /* slot i: worker i writes */
    /* workers write (op_registry.c): the ids of the last SDB_GLOBAL_KILL_RING operations
     * killOp named, at op_kill_seq % the ring (a writer takes its index with fetch_add) */
    _Atomic uint64_t op_kill_seq;
    _Atomic int64_t op_killed[SDB_GLOBAL_KILL_RING];
    sdb_op_slot_t ops[SDB_MAX_WORKERS][SDB_OPS_PER_WORKER]; /* row i: worker i writes */
    sdb_top_entry_t top[SDB_MAX_WORKERS][SDB_TOP_NS];       /* row i: worker i writes */
    /* master writes (service.c): storage requests received, per SDB_OP_* (serverStatus
     * storageOps shows what a command cost in channel round trips) */
    _Atomic uint64_t store_ops[SDB_GLOBAL_STORE_OPS];
    /* master writes (oplog.c): bumped when a committed write touches admin.system.users or
     * admin.system.roles (or any admin command entry), so every worker re-resolves the
     * privileges of its logged-in connections before their next command (auth/authz.h) */
    _Atomic uint64_t auth_version;
    /* master writes (params.c, log.c's sdb_log_rotate): the logging settings in force, which
     * every process reads at each log line (log.h) */
    sdb_log_live_t log;
    /* master writes (master/profile.c): the profiler's server-wide settings (slowms and
     * sampleRate in millionths) and its per-database levels and filters, which workers read
     * for each command (worker/profiler.c) */
    _Atomic int64_t profile_slowms;
    _Atomic int64_t profile_sample_ppm;
    _Atomic int32_t profile_default_level; /* --profile: databases not in `profile` */
    sdb_profile_db_t profile[SDB_PROFILE_DBS];
    sdb_worker_diag_t diag[SDB_MAX_WORKERS]; /* slot i: worker i writes */
    _Atomic uint64_t respawns;               /* master writes (server.c): workers respawned */
    sdb_conn_slot_t conns[SDB_MAX_WORKERS][SDB_CONNS_LISTED]; /* row i: worker i writes */
    /* the recent log lines of each process for getLog (logring.h): ring i (< SDB_MAX_WORKERS)
     * worker i writes, ring SDB_MAX_WORKERS the master */
    sdb_logring_t logring[SDB_MAX_WORKERS + 1];
    /* master writes (params.c): maxNumActiveUserIndexBuilds, the builds that run at once
     * (master/ixpool.c; the others wait for a slot) */
    _Atomic int64_t ix_max_active;
    sdb_ixbuild_slot_t ixbuilds[SDB_IXBUILDS_LISTED]; /* master/ixbuild.c writes */
} sdb_global_t;

/* sdb_global_create -- master: create and map the segment; returns its memfd in *fd. */
int sdb_global_create(sdb_global_t **g, int *fd);

/* sdb_global_attach -- worker: map an inherited memfd and validate it. */
int sdb_global_attach(int fd, sdb_global_t **g);

/* sdb_global_op_killed -- whether killOp named operation opid since the kill ring's
 * op_kill_seq was `from` (any process, any thread: atomics only); false for opid 0. */
bool sdb_global_op_killed(sdb_global_t *g, int64_t opid, uint64_t from);

#endif
