/*
 * src/master/store.c -- the master's WiredTiger connection and its lifetime.
 *
 * ms_store_open builds the wiredtiger_open configuration from sdb_config_t (home = dbpath,
 * created if missing; ":memory:" runs in_memory with no log), opens the connection and a
 * housekeeping session, then loads the catalog cache (catalog.c) and the oplog clock
 * (oplog.c).  WiredTiger runs recovery itself when the log says it is needed, and takes a
 * checkpoint every 60 seconds (checkpoint=(wait=60)); close leaves a final checkpoint.
 * WiredTiger messages are routed into the JSON log.
 *
 * Invariants: open and close run on the master's main thread with no service thread alive;
 * between them the connection pointer is read-only and WT_CONNECTION is thread-safe.  Each
 * service thread has its own WT_SESSION (ms_store_session_open); the housekeeping session
 * belongs to the main thread only.  The global segment's catalog_version is written here
 * only (ms_store_bump_catalog).
 */
#include "store.h"
#include "server.h"

#include "../common/log.h"
#include "../common/sdb.h"
#include "catalog.h"
#include "cursors.h"
#include "disk.h"
#include "oplog.h"
#include "spool.h"
#include "txns.h"
#include "xact.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_SESSION_MAX 1024

static WT_CONNECTION *store_conn;
static WT_SESSION *store_house;
static sdb_global_t *store_g;
static sdb_global_t store_private_g; /* when the caller has no global segment (unit tests) */
static int store_mem;

static int
on_wt_error(WT_EVENT_HANDLER *h, WT_SESSION *s, int error, const char *message)
{
    SDB_UNUSED(h);
    SDB_UNUSED(s);
    sdb_logf(SDB_LOG_E, "WTERR", 22435, "WiredTiger error", "%d: %s", error, message);
    if (error == WT_PANIC)
        ms_server_panic(message);
    return 0;
}

static int
on_wt_message(WT_EVENT_HANDLER *h, WT_SESSION *s, const char *message)
{
    SDB_UNUSED(h);
    SDB_UNUSED(s);
    sdb_logf(SDB_LOG_I, "WTMSG", 22430, "WiredTiger message", "%s", message);
    return 0;
}

static WT_EVENT_HANDLER store_events = {on_wt_error, on_wt_message, NULL, NULL};

int
ms_store_write_conflict(sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_WriteConflict,
                         "WriteConflict error: this operation conflicted with another operation. "
                         "Please retry your operation or multi-document transaction.");
}

int
ms_store_wt_error(int ret, const char *op)
{
    if (ret != 0)
        sdb_logf(SDB_LOG_E, "STORAGE", 22500, "WiredTiger call failed", "%s: %s", op,
                 wiredtiger_strerror(ret));
    return ret;
}

int
ms_store_batch_begin(WT_SESSION *s, bool *began)
{
    int ret = s->begin_transaction(s, NULL);

    *began = ret == 0;
    return ret == EINVAL ? 0 : ms_store_wt_error(ret, "begin batch"); /* EINVAL: one runs */
}

int
ms_store_batch_end(WT_SESSION *s, bool began, int ret)
{
    if (!began)
        return ret;
    if (ret != 0) {
        (void)s->rollback_transaction(s, NULL);
        return ret;
    }
    return ms_store_wt_error(s->commit_transaction(s, NULL), "commit batch");
}

/* mkdirs -- create dir and its missing parents. */
static int
mkdirs(const char *dir)
{
    char buf[1024];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(buf))
        return EINVAL;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return errno;
        buf[i] = i == n ? '\0' : '/';
    }
    return 0;
}

/* extensions -- WiredTiger's config for its compressor extensions that are installed
 * (snappy, zlib: mongod's block and journal compressors), so a collection's or an index's
 * storageEngine configString can name them as it can with mongod; "" when none is. */
static void
extensions(char *out, size_t size)
{
    static const char *const names[] = {"snappy", "zlib"};
    char path[PATH_MAX];
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/libwiredtiger_%s.so", SDB_WT_EXTDIR, names[i]);
        if (access(path, R_OK) != 0)
            continue;
        len += (size_t)snprintf(out + len, size - len, "%s\"%s\"", len == 0 ? ",extensions=[" : ",",
                                path);
        if (len >= size - 2) { /* cannot happen with the paths above; load none rather than half */
            out[0] = '\0';
            return;
        }
    }
    if (len > 0)
        snprintf(out + len, size - len, "]");
}

static int
open_connection(const sdb_config_t *cfg)
{
    char conf[2048], ext[1024];
    long cache_mb = cfg->cache_mb > 0 ? cfg->cache_mb : 256;
    const char *home;
    int n, ret;

    extensions(ext, sizeof(ext));
    store_mem = cfg->dbpath[0] == '\0' || strcmp(cfg->dbpath, ":memory:") == 0;
    if (store_mem) {
        home = NULL;
        n = snprintf(conf, sizeof(conf),
                     "create,in_memory=true,cache_size=%ldMB,session_max=%d,"
                     "statistics=(fast),log=(enabled=false)%s",
                     cache_mb, STORE_SESSION_MAX, ext);
    } else {
        home = cfg->dbpath;
        if ((ret = mkdirs(home)) != 0) {
            sdb_logf(SDB_LOG_E, "STORAGE", 22501, "Cannot create dbpath", "%s: %s", home,
                     strerror(ret));
            return ret;
        }
        n = snprintf(conf, sizeof(conf),
                     "create,cache_size=%ldMB,session_max=%d,statistics=(fast),"
                     "log=(enabled=true,file_max=%" PRId64 ",prealloc=true,archive=true),"
                     "checkpoint=(wait=60),file_manager=(close_idle_time=600)%s",
                     cache_mb, STORE_SESSION_MAX, ms_disk_log_file_max(), ext);
    }
    if (n < 0 || (size_t)n >= sizeof(conf))
        return EINVAL;
    ret = wiredtiger_open(home, &store_events, conf, &store_conn);
    if (ret != 0) {
        store_conn = NULL;
        return ms_store_wt_error(ret, "wiredtiger_open");
    }
    return 0;
}

int
ms_store_open(const sdb_config_t *cfg, sdb_global_t *g)
{
    int ret = 0;

    store_g = g != NULL ? g : &store_private_g;
    SDB_ERR(open_connection(cfg));
    ret = store_conn->open_session(store_conn, NULL, "isolation=snapshot", &store_house);
    if (ret != 0) {
        store_house = NULL;
        SDB_ERR(ms_store_wt_error(ret, "open_session"));
    }
    SDB_ERR(ms_catalog_load(store_house));
    SDB_ERR(ms_oplog_open(store_house));
    ms_oplog_set_cap((uint64_t)cfg->oplog_size_mb << 20); /* --oplogSize (0: the default) */
    SDB_ERR(ms_txns_open(store_house));
    SDB_ERR(ms_spool_sweep(store_house));
    SDB_ERR(ms_catalog_drop_temp(store_house));
    ms_store_bump_catalog();
    sdb_logf(SDB_LOG_I, "STORAGE", 22502, "WiredTiger opened", "home=%s cache_size=%ldMB",
             store_mem ? ":memory:" : cfg->dbpath, cfg->cache_mb > 0 ? cfg->cache_mb : 256);
    return 0;
err:
    SDB_TRET(ms_store_close());
    return ret;
}

int
ms_store_session_open(WT_SESSION **s)
{
    int ret;

    *s = NULL;
    if (store_conn == NULL)
        return SDB_ECLOSED;
    ret = store_conn->open_session(store_conn, NULL, "isolation=snapshot", s);
    if (ret != 0)
        *s = NULL;
    return ms_store_wt_error(ret, "open_session");
}

int
ms_store_close(void)
{
    int ret = 0;

    ms_cursors_clear();
    ms_xact_clear();
    ms_catalog_free();
    store_house = NULL; /* closed with the connection */
    if (store_conn != NULL) {
        SDB_TRET(ms_store_wt_error(store_conn->close(store_conn, NULL), "close"));
        store_conn = NULL;
    }
    return ret;
}

WT_CONNECTION *
ms_store_conn(void)
{
    return store_conn;
}

sdb_global_t *
ms_store_global(void)
{
    return store_g != NULL ? store_g : &store_private_g;
}

int
ms_store_in_memory(void)
{
    return store_mem;
}

WT_SESSION *
ms_store_house_session(void)
{
    return store_house;
}

void
ms_store_bump_catalog(void)
{
    atomic_fetch_add(&ms_store_global()->catalog_version, 1);
}
