/*
 * src/common/config.h -- command-line options, with mongod's flag names.
 *
 * The master parses argv once; a worker is started with the master's options plus
 * `--worker N` and the numbers of the inherited fds, so both sides see the same settings.
 * sdb_config_t is plain data, filled once at start-up and read-only afterwards.
 */
#ifndef SDB_CONFIG_H
#define SDB_CONFIG_H

#include "log.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDB_VERSION "7.0.0"
#define SDB_DEFAULT_PORT 27017
#define SDB_DEFAULT_MAX_CONNS 1000000 /* mongod's DEFAULT_MAX_CONN */

typedef struct sdb_config {
    int port;             /* --port (0 = pick a free port) */
    char bind_ip[256];    /* --bind_ip (comma-separated; first one is used) */
    char dbpath[1024];    /* --dbpath, ":memory:" for in-memory */
    int workers;          /* --workers (default: number of cores) */
    char logpath[1024];   /* --logpath ("" = stdout) */
    bool quiet;           /* --quiet */
    bool noscripting;     /* --noscripting: no server-side JavaScript (query/js.h) */
    char repl_set[128];   /* --replSet (accepted; we are always a one-member set) */
    long cache_mb;        /* --wiredTigerCacheSizeGB in MB; default mongod's rule: 50 % of
                         * (memory - 1 GB), at least 256 (config.c default_cache_mb) */
    char compressors[64]; /* --networkMessageCompressors: names, or "disabled"
                           * (compressors.h; default snappy,zstd,zlib) */
    int max_conns;        /* --maxConns (net.maxIncomingConnections), default 1000000; the cap
                         * in force is sdb_config_conn_limit() */
    int oplog_size_mb;    /* --oplogSize (replication.oplogSizeMB): the oplog's size cap in MB;
                           * 0 (not given): 256 MB (master/oplog.h) */
    /* server parameters (--setParameter name=value; the table in config.c) */
    int64_t cursor_timeout_ms;   /* cursorTimeoutMillis, default 600000 (10 minutes) */
    int64_t txn_lifetime_s;      /* transactionLifetimeLimitSeconds, default 60 */
    int64_t snapshot_window_s;   /* minSnapshotHistoryWindowInSeconds, default 300 */
    int64_t session_timeout_min; /* logicalSessionTimeoutMinutes, default 30 */
    bool enable_test_commands;   /* enableTestCommands, default true (README: our users are
                                * test fixtures); off hides configureFailPoint & co. */
    bool ttl_monitor_enabled;    /* ttlMonitorEnabled, default true (also set at runtime) */
    int64_t ttl_sleep_secs;      /* ttlMonitorSleepSecs, default 60 (also set at runtime) */
    int64_t ix_max_active;       /* maxNumActiveUserIndexBuilds, default 3 (also at runtime) */
    int64_t sort_mem_max;        /* internalQueryMaxBlockingSortMemoryUsageBytes, default 100 MiB:
                             * what an aggregation $sort holds before it spills (agg/spill.h) */
    int64_t group_mem_max;       /* internalDocumentSourceGroupMaxMemoryBytes, default 100 MiB: the
                             * same for $group and the other blocking stages */
    bool allow_disk_default;     /* allowDiskUseByDefault, default true (mongod 7.0): an aggregate
                              * without allowDiskUse may spill */
    int64_t window_mem_max;      /* internalDocumentSourceSetWindowFieldsMaxMemoryBytes, default
                              * 100 MiB: what a $setWindowFields partition holds before it spills
                              * (agg/wincache.h) */
    int64_t densify_mem_max;     /* internalDocumentSourceDensifyMaxMemoryBytes, default 100 MiB:
                              * $densify's partition table (6007200 past it) */
    bool auth;                   /* --auth (security.authorization: enabled) */
    char initdb_user[128];       /* --initdbRootUsername / MONGO_INITDB_ROOT_USERNAME: created
                                 * with the root role at first start; implies --auth */
    char initdb_pwd[256];        /* --initdbRootPassword / MONGO_INITDB_ROOT_PASSWORD */
    int64_t scram_sha256_iters;  /* scramSHA256IterationCount, default 15000 */
    int64_t scram_sha1_iters;    /* scramIterationCount, default 10000 */
    /* TLS (--tls*, mongod's names; tlsopt.h checks them, worker/tls.c builds the context) */
    int tls_mode;                     /* SDB_TLS_MODE_* (--tlsMode, default disabled) */
    char tls_cert_key_file[1024];     /* --tlsCertificateKeyFile: PEM with cert and key */
    char tls_cert_key_password[256];  /* --tlsCertificateKeyFilePassword */
    char tls_ca_file[1024];           /* --tlsCAFile: verifies client certificates */
    char tls_crl_file[1024];          /* --tlsCRLFile */
    bool tls_allow_no_cert;           /* --tlsAllowConnectionsWithoutCertificates */
    bool tls_allow_invalid_certs;     /* --tlsAllowInvalidCertificates */
    bool tls_allow_invalid_hostnames; /* --tlsAllowInvalidHostnames */
    uint32_t tls_disabled_protocols;  /* --tlsDisabledProtocols: SDB_TLS_PROTO_* bits */
    /* worker role (set by the master when it spawns a worker) */
    int worker_slot; /* --worker N; -1 in the master */
    int fd_listen, fd_chan, fd_wake_master, fd_wake_worker, fd_global, fd_death;
    char argv_json[4096];  /* the original argv as a JSON array (getCmdLineOpts) */
    uint64_t given;        /* bit k: the k-th option of config.c's table was passed */
    uint32_t params_given; /* bit i: sdb_config_params()[i] was set by --setParameter */
    /* configuration file and logging (config_yaml.h; log.h) */
    char config_path[1024];  /* --config / -f: the YAML file read before the flags */
    char config_text[32768]; /* its text as the master read it (workers get this copy) */
    bool log_append;         /* --logappend: else an existing log file is renamed at start */
    bool log_reopen;         /* --logRotate reopen (default rename) */
    char pidfile[1024]; /* --pidfilepath: the master writes its pid there, removes it at exit */
    int64_t log_level;  /* logLevel / -v / systemLog.verbosity: 0-5 */
    int8_t log_comp[SDB_LOG_NCOMP]; /* systemLog.component.<name>.verbosity, -1 = inherit */
    int profile; /* --profile / operationProfiling.mode: 0 off, 1 slowOp, 2 all */
    bool fork;   /* --fork: run in the background (master/daemon.h) */
    int slow_ms; /* --slowms / operationProfiling.slowOpThresholdMs, default 100 */
    bool syslog; /* --syslog / systemLog.destination: syslog: log through syslog(3) (log.h) */
    int syslog_facility; /* --syslogFacility / systemLog.syslogFacility, default LOG_USER */
} sdb_config_t;

/* sdb_config_parse -- parse argv into *cfg.  Returns 0, or 2 after printing a clear message
 * for a bad flag (exit code 2 = fatal config error); *exit_now is set for --help/--version. */
int sdb_config_parse(int argc, char **argv, sdb_config_t *cfg, bool *exit_now);

/* The server parameters --setParameter sets and getParameter reports: name, type, field of
 * sdb_config_t and bounds (integers only).  All are settable at start-up; those with a
 * `live` field are also settable at runtime (the setParameter command): the master
 * publishes their value in the global segment (global.h) from start-up on, and that value,
 * not sdb_config_t's, is the one in force. */
typedef enum {
    SDB_PARAM_INT64, /* reported as NumberLong (mongod's long long parameters) */
    SDB_PARAM_INT32, /* held as int64_t, reported as NumberInt (mongod's int parameters) */
    SDB_PARAM_BOOL
} sdb_param_type_t;

struct sdb_global;

typedef struct sdb_param {
    const char *name;
    sdb_param_type_t type;
    size_t off;       /* offset of the field in sdb_config_t */
    int64_t min, max; /* inclusive bounds (integers) */
    size_t live;      /* runtime-settable: offset of its _Atomic int64_t in sdb_global_t;
                       * 0: start-up only */
} sdb_param_t;

/* sdb_config_params -- the parameter table; *n receives its length. */
const sdb_param_t *sdb_config_params(size_t *n);

/* sdb_config_param_find -- the row named `name` (length len), or NULL. */
const sdb_param_t *sdb_config_param_find(const char *name, size_t len);

/* sdb_config_param_value -- p's value in force: its live value in *g when p is runtime
 * settable and g is given, else its start-up value in *cfg (bools as 0 / 1). */
int64_t sdb_config_param_value(const sdb_config_t *cfg, const struct sdb_global *g,
                               const sdb_param_t *p);

/* sdb_config_param_check -- NULL when v is inside p's bounds, else mongod's reason (written
 * to why[len]). */
const char *sdb_config_param_check(const sdb_param_t *p, int64_t v, char *why, size_t len);

/* sdb_config_param_append_value -- append v under `key` typed as p's values are: NumberLong,
 * NumberInt or a boolean, as mongod's getParameter does, or as text when `as_text`. */
void sdb_config_param_append_value(const sdb_param_t *p, int64_t v, const char *key, bson_t *out,
                                   bool as_text);

/* sdb_config_param_append -- append parameter p's value in force (sdb_config_param_value) to
 * `out` under its name: typed, or as text when `as_text` (getCmdLineOpts' parsed.setParameter,
 * which passes g NULL: the start-up value). */
void sdb_config_param_append(const sdb_config_t *cfg, const struct sdb_global *g,
                             const sdb_param_t *p, bson_t *out, bool as_text);

/* sdb_config_apply -- apply option `flag` (a long name of config.c's table) with `val` (NULL
 * for a switch) as if given on the command line; the YAML file comes through here
 * (config_yaml.c).  0, 2 after printing why, or -1 when no option has that name. */
int sdb_config_apply(sdb_config_t *cfg, const char *flag, const char *val);

/* sdb_config_check -- the checks across options (port and workers ranges, maxConns); 0 or 2
 * after printing why. */
int sdb_config_check(const sdb_config_t *cfg);

/* sdb_config_opt_append -- append option `flag`'s value as mongod's getCmdLineOpts shows it
 * (typed: int, string, bool, double) under `key`; false when the flag has no value to show. */
bool sdb_config_opt_append(const sdb_config_t *cfg, const char *flag, const char *key, bson_t *out);

/* sdb_config_given -- whether --flag was passed (for getCmdLineOpts' "parsed"). */
bool sdb_config_given(const sdb_config_t *cfg, const char *flag);

/* sdb_config_mem_limit_mb -- memory this server may use in MB: the machine's, or its cgroup
 * limit when lower (mongod's memLimitMB). */
int64_t sdb_config_mem_limit_mb(void);

/* sdb_config_conn_limit -- the connection cap in force, by mongod's rule: --maxConns, but at
 * most 80 % of this process's RLIMIT_NOFILE soft limit.  *fd_soft receives that limit. */
int64_t sdb_config_conn_limit(const sdb_config_t *cfg, int64_t *fd_soft);

/* sdb_config_worker_argv -- build argv for spawning worker `slot` (NULL-terminated; caller
 * frees with sdb_config_free_argv). */
char **sdb_config_worker_argv(const sdb_config_t *cfg, const char *exe, int slot);
void sdb_config_free_argv(char **argv);

#endif
