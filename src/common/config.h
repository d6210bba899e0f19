/*
 * src/common/config.h -- command-line options, with mongod's flag names.
 *
 * The master parses argv once; a worker is started with the master's options plus
 * `--worker N` and the numbers of the inherited fds, so both sides see the same settings.
 * sdb_config_t is plain data, filled once at start-up and read-only afterwards.
 */
#ifndef SDB_CONFIG_H
#define SDB_CONFIG_H

#include <stdbool.h>

#define SDB_VERSION "7.0.0"
#define SDB_DEFAULT_PORT 27017

typedef struct sdb_config {
    int port;           /* --port (0 = pick a free port) */
    char bind_ip[256];  /* --bind_ip (comma-separated; first one is used) */
    char dbpath[1024];  /* --dbpath, ":memory:" for in-memory */
    int workers;        /* --workers (default: number of cores) */
    char logpath[1024]; /* --logpath ("" = stdout) */
    bool quiet;         /* --quiet */
    char repl_set[128]; /* --replSet (accepted; we are always a one-member set) */
    long cache_mb;      /* --wiredTigerCacheSizeGB converted, default 256 */
    /* worker role (set by the master when it spawns a worker) */
    int worker_slot; /* --worker N; -1 in the master */
    int fd_listen, fd_chan, fd_wake_master, fd_wake_worker, fd_global, fd_death;
    char argv_json[4096]; /* the original argv as a JSON array (getCmdLineOpts) */
} sdb_config_t;

/* sdb_config_parse -- parse argv into *cfg.  Returns 0, or 2 after printing a clear message
 * for a bad flag (exit code 2 = fatal config error); *exit_now is set for --help/--version. */
int sdb_config_parse(int argc, char **argv, sdb_config_t *cfg, bool *exit_now);

/* sdb_config_worker_argv -- build argv for spawning worker `slot` (NULL-terminated; caller
 * frees with sdb_config_free_argv). */
char **sdb_config_worker_argv(const sdb_config_t *cfg, const char *exe, int slot);
void sdb_config_free_argv(char **argv);

#endif
