/*
 * tests/integration/fixture.h -- start the real secantusdb for a test and drive it.
 *
 * fx_server_start() runs `secantusdb --port 0 --dbpath DIR --workers N` as a child in its own
 * process group, with stdout and stderr captured in files under a temporary directory, and
 * waits (up to FX_START_TIMEOUT_S, a hang guard, not a timed assertion) for the first line
 * of stdout, the URI the server listens on, and then for its N workers.  Clients come from
 * fx_client(), one libmongoc client (one connection) each, with directConnection=true.
 *
 * Invariants: one fx_server_t per server process; only the process that started a server
 * may stop, kill or restart it (it must be that process's child).  The server gets
 * PR_SET_PDEATHSIG so a test process killed by a Check timeout takes its server with it.
 * The binary is $SDB_BINARY, or ./secantusdb relative to the working directory.
 */
#ifndef SDB_TEST_FIXTURE_H
#define SDB_TEST_FIXTURE_H

#include <mongoc/mongoc.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FX_START_TIMEOUT_S 30 /* hang guard for start-up (sanitizer builds are slow) */
#define FX_STOP_TIMEOUT_S 30  /* hang guard for a clean shutdown before SIGKILL */
#define FX_MAX_WORKERS 64

typedef struct fx_server {
    pid_t pid;                /* the master; also its process group id; 0 when not running */
    char tmpdir[512];         /* owned temporary directory: dbpath, stdout, stderr */
    char dbpath[600];         /* --dbpath */
    char out_path[600];       /* captured stdout (the URI line, then the log unless --logpath) */
    char err_path[600];       /* captured stderr */
    char uri[1024];           /* the first stdout line, as printed */
    char host[256];           /* host of the URI */
    int port;                 /* port of the URI */
    int workers;              /* --workers */
    const char *const *extra; /* extra arguments (NULL-terminated) or NULL */
    int nofile;               /* RLIMIT_NOFILE (soft and hard) set before exec; 0 = inherit */
    int last_status;          /* wait status of the last stopped process */
} fx_server_t;

/* fx_binary -- path of the server binary under test. */
const char *fx_binary(void);

/* fx_server_init -- prepare *s with a fresh temporary directory (dbpath inside it).
 * Returns 0, or -1 with a message on stderr. */
int fx_server_init(fx_server_t *s, int workers);

/* fx_server_start -- start the server on s->dbpath and wait for its URI line.
 * Returns 0, or -1 (the server's stdout/stderr are printed). */
int fx_server_start(fx_server_t *s);

/* fx_server_up -- fx_server_init + fx_server_start; aborts the test process on failure. */
void fx_server_up(fx_server_t *s, int workers);

/* fx_server_stop -- SIGTERM, wait for the master to exit; SIGKILL after the hang guard.
 * Returns the wait status (also in s->last_status), or -1 if it was not running. */
int fx_server_stop(fx_server_t *s);

/* fx_server_kill9 -- SIGKILL the whole process group (master and workers) and reap the
 * master; then wait until no process of the group is left. */
void fx_server_kill9(fx_server_t *s);

/* fx_server_cleanup -- stop the server if running and remove the temporary directory. */
void fx_server_cleanup(fx_server_t *s);

/* fx_server_dump -- print the tail of the server's stdout and stderr (for failures). */
void fx_server_dump(const fx_server_t *s);

/* fx_worker_pids -- pids of the master's live child processes (the workers).
 * Returns how many were stored in out[0..max). */
int fx_worker_pids(const fx_server_t *s, pid_t *out, int max);

/* fx_pid_alive -- the process exists and is not a zombie. */
bool fx_pid_alive(pid_t pid);

/* fx_wait_workers -- poll until the master has `n` children none of which is in
 * `exclude[0..nex)`; up to timeout_s (a hang guard).  Returns true when reached. */
bool fx_wait_workers(const fx_server_t *s, int n, const pid_t *exclude, int nex, int timeout_s);

/* fx_client -- a new single-connection client with directConnection=true.  Never NULL. */
mongoc_client_t *fx_client(const fx_server_t *s);

/* fx_client_as -- a new client authenticating as user:pwd against authSource `source` with
 * mechanism mech (NULL: the default); user NULL: no credentials.  Never NULL. */
mongoc_client_t *fx_client_as(const fx_server_t *s, const char *user, const char *pwd,
                              const char *source, const char *mech);

/* fx_tls_client -- a new client over TLS to s trusting CA file `ca`, presenting the client
 * certificate + key file `pem` unless NULL (through mongoc_ssl_opt_t), with `userinfo`
 * ("user:pwd@" or "") and further URI options `opts` ("&k=v...", "" for none).  Never NULL. */
mongoc_client_t *fx_tls_client(const fx_server_t *s, const char *ca, const char *pem,
                               const char *userinfo, const char *opts);

/* fx_client_local_port -- the local TCP port of the (single) connection `c` holds to the
 * server, found by running a ping and diffing this process's sockets; 0 if unknown. */
int fx_client_local_port(const fx_server_t *s, mongoc_client_t *c);

/* fx_conn_owner -- pid of the server process holding the server side of the connection
 * from client port `client_port`, or 0. */
pid_t fx_conn_owner(const fx_server_t *s, int client_port);

/* fx_client_other_worker -- a new client that another worker than a's serves, when one
 * turns up within a few connections (else a note on stderr and any new client).  Tests use
 * it to show that a cursor or a setting crosses workers.  Never NULL. */
mongoc_client_t *fx_client_other_worker(const fx_server_t *s, mongoc_client_t *a);

/* fx_cmd -- run `cmd` (JSON, relaxed extended JSON) against `db`; the server's reply is
 * always stored in *reply (initialised; caller destroys).  Returns the reply's ok as bool;
 * false also on a network error (then *reply is empty and err is set). */
bool fx_cmd(mongoc_client_t *c, const char *db, const char *json, bson_t *reply, bson_error_t *err);

/* fx_drop -- drop db.coll, whether it exists or not (a test's fresh start). */
void fx_drop(mongoc_client_t *c, const char *db, const char *coll);

/* fx_cmd_bson -- fx_cmd with a BSON command. */
bool fx_cmd_bson(mongoc_client_t *c, const char *db, const bson_t *cmd, bson_t *reply,
                 bson_error_t *err);

/* fx_count -- documents of db.coll matching the JSON filter (count command); -1 on error. */
int64_t fx_count(mongoc_client_t *c, const char *db, const char *coll, const char *filter);

/* fx_append_lsid -- append an explicit session, {lsid: {id: UUID}}, whose id is derived from
 * `tag`: commands sent through several clients with the same tag belong to one session (a
 * cursor continues only in the session that created it, as in mongod). */
void fx_append_lsid(bson_t *cmd, uint8_t tag);

/* fx_json -- parse relaxed extended JSON into a new bson_t (aborts on a parse error). */
bson_t *fx_json(const char *json);

/* Reply inspection helpers: dotted paths (e.g. "cursor.firstBatch"). */
bool fx_has(const bson_t *doc, const char *path);
int64_t fx_int(const bson_t *doc, const char *path);      /* any numeric type; 0 if absent */
double fx_double(const bson_t *doc, const char *path);    /* any numeric type; 0 if absent */
const char *fx_str(const bson_t *doc, const char *path);  /* UTF-8 value or NULL */
bson_type_t fx_type(const bson_t *doc, const char *path); /* BSON_TYPE_EOD if absent */
bool fx_bool(const bson_t *doc, const char *path);        /* bool, or numeric != 0 */
/* fx_array_len -- number of elements of the array or document at path; -1 if not one. */
int fx_array_len(const bson_t *doc, const char *path);
/* fx_sub -- copy the document or array at path into *out (initialised); false if absent. */
bool fx_sub(const bson_t *doc, const char *path, bson_t *out);
/* fx_eq_json -- the document equals the JSON one exactly (field order and types). */
bool fx_eq_json(const bson_t *doc, const char *json);
/* fx_to_json -- a relaxed JSON rendering for messages (static buffer, truncated). */
const char *fx_to_json(const bson_t *doc);

/* fx_mkdtemp -- a new empty temporary directory under $TMPDIR (path in buf). */
int fx_mkdtemp(char *buf, size_t len, const char *prefix);
/* fx_rm_rf -- remove a directory tree (best effort). */
void fx_rm_rf(const char *path);
/* fx_sleep_ms -- sleep (used only between polls). */
void fx_sleep_ms(int ms);
/* fx_now_ms -- CLOCK_MONOTONIC in milliseconds (latency samples, hang guards). */
double fx_now_ms(void);
/* fx_sort_doubles -- sort samples ascending (for medians and percentiles). */
void fx_sort_doubles(double *v, size_t n);
/* fx_field_spread -- median, min and max of the double at byte offset `off` of n records of
 * `size` bytes each (benchmark rounds). */
void fx_field_spread(const void *recs, size_t size, int n, size_t off, double *med, double *lo,
                     double *hi);

/* One printed figure of a benchmark: its label and the offset of its double in a record. */
typedef struct fx_row {
    const char *name;
    size_t off;
} fx_row_t;

/* fx_print_spread -- one line per row: "name  median  [min .. max]" over n records. */
void fx_print_spread(const fx_row_t *rows, size_t nrows, const void *recs, size_t size, int n);
/* fx_cpu_ms -- user + system CPU time a process has used so far (/proc/<pid>/stat), in ms;
 * -1 when it cannot be read. */
double fx_cpu_ms(pid_t pid);

/* fx_load -- insert documents _id 0..n-1 into db.coll in batches of 1000; fill appends each
 * document's other fields (after _id).  Returns 0, or -1 with the error on stderr. */
int fx_load(mongoc_client_t *c, const char *db, const char *coll, long n,
            void (*fill)(bson_t *doc, long id, long n, void *arg), void *arg);

/* fx_drain_ms -- a find of every document of db.coll (pipeline NULL) or the aggregate
 * `pipeline` (JSON) on it, every result read: the milliseconds it took (*count: how many), or
 * -1 with the error on stderr. */
double fx_drain_ms(mongoc_client_t *c, const char *db, const char *coll, const char *pipeline,
                   long *count);
/* fx_median_ms -- the median of `rounds` (1..16) fx_drain_ms, or -1 when one failed. */
double fx_median_ms(mongoc_client_t *c, const char *db, const char *coll, const char *pipeline,
                    int rounds, long *count);

#endif
