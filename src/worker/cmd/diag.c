/*
 * src/worker/cmd/diag.c -- diagnostic and start-up commands: ping, buildInfo, getCmdLineOpts,
 * serverStatus (its larger sections: cmd/status.c), hostInfo, whatsmyuri, connectionStatus,
 * listCommands, getFreeMonitoringStatus (getParameter and setParameter: cmd/parameters.c;
 * getLog and logRotate: cmd/log.c).
 *
 * Figures come from the global segment (every worker's counters, summed), /proc for this
 * server's memory, and the configuration.  Reply shapes follow mongod 7.0 so mongosh's
 * start-up sequence (buildInfo, getCmdLineOpts, getLog startupWarnings) works unchanged.
 */
#include "../../common/config.h"
#include "../../common/config_yaml.h"
#include "../../common/global.h"
#include "../../common/storeop.h"
#include "../accept.h"
#include "../command.h"
#include "../conn.h"
#include "../tls.h"
#include "../worker.h"
#include "status.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * wk_cmd_ping --
 *     Liveness check.
 */
int
wk_cmd_ping(wk_cmd_t *cmd)
{
    return 0;
}

/*
 * wk_cmd_build_info --
 *     Version and build facts (mongosh reads version, versionArray, modules, openssl).
 */
int
wk_cmd_build_info(wk_cmd_t *cmd)
{
    bson_t *r = cmd->reply, arr, ssl, env, eng;

    BSON_APPEND_UTF8(r, "version", SDB_VERSION);
    BSON_APPEND_UTF8(r, "gitVersion", "secantusdb");
    BSON_APPEND_ARRAY_BEGIN(r, "modules", &arr);
    bson_append_array_end(r, &arr);
    BSON_APPEND_UTF8(r, "allocator", "jemalloc");
    BSON_APPEND_UTF8(r, "javascriptEngine", "none");
    BSON_APPEND_UTF8(r, "sysInfo", "deprecated");
    BSON_APPEND_ARRAY_BEGIN(r, "versionArray", &arr);
    BSON_APPEND_INT32(&arr, "0", 7);
    BSON_APPEND_INT32(&arr, "1", 0);
    BSON_APPEND_INT32(&arr, "2", 0);
    BSON_APPEND_INT32(&arr, "3", 0);
    bson_append_array_end(r, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(r, "openssl", &ssl);
    BSON_APPEND_UTF8(&ssl, "running", OpenSSL_version(OPENSSL_VERSION));
    BSON_APPEND_UTF8(&ssl, "compiled", OPENSSL_VERSION_TEXT);
    bson_append_document_end(r, &ssl);
    BSON_APPEND_DOCUMENT_BEGIN(r, "buildEnvironment", &env);
    BSON_APPEND_UTF8(&env, "distmod", "debian12");
    BSON_APPEND_UTF8(&env, "distarch", "x86_64");
    BSON_APPEND_UTF8(&env, "cc", "gcc");
    BSON_APPEND_UTF8(&env, "ccflags", "");
    BSON_APPEND_UTF8(&env, "cxx", "");
    BSON_APPEND_UTF8(&env, "cxxflags", "");
    BSON_APPEND_UTF8(&env, "linkflags", "");
    BSON_APPEND_UTF8(&env, "target_arch", "x86_64");
    BSON_APPEND_UTF8(&env, "target_os", "linux");
    bson_append_document_end(r, &env);
    BSON_APPEND_INT32(r, "bits", 64);
    BSON_APPEND_BOOL(r, "debug", false);
    BSON_APPEND_INT32(r, "maxBsonObjectSize", 16777216);
    BSON_APPEND_ARRAY_BEGIN(r, "storageEngines", &eng);
    BSON_APPEND_UTF8(&eng, "0", "wiredTiger");
    bson_append_array_end(r, &eng);
    return 0;
}

/* argv as given, with the values of password flags replaced by "<password>" as mongod does. */
static void
append_argv(bson_t *reply)
{
    static const char flag[] = "--tlsCertificateKeyFilePassword";
    bson_t argv, out;
    bson_iter_t it;
    bson_error_t e;
    bool secret = false;
    const char *a;

    if (!bson_init_from_json(&argv, wk_cfg->argv_json, -1, &e))
        return;
    BSON_APPEND_ARRAY_BEGIN(reply, "argv", &out);
    for (bson_iter_init(&it, &argv); bson_iter_next(&it); secret = strcmp(a, flag) == 0) {
        a = bson_iter_utf8(&it, NULL);
        if (strncmp(a, flag, sizeof(flag) - 1) == 0 && a[sizeof(flag) - 1] == '=')
            BSON_APPEND_UTF8(&out, bson_iter_key(&it),
                             "--tlsCertificateKeyFilePassword=<password>");
        else
            BSON_APPEND_UTF8(&out, bson_iter_key(&it), secret ? "<password>" : a);
    }
    bson_append_array_end(reply, &out);
    bson_destroy(&argv);
}

/*
 * wk_cmd_get_cmd_line_opts --
 *     The argv the server was started with and the options given (by flag or --config file),
 *     nested at their YAML paths as mongod shows them (common/config_yaml.h).
 */
int
wk_cmd_get_cmd_line_opts(wk_cmd_t *cmd)
{
    bson_t parsed;

    append_argv(cmd->reply);
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "parsed", &parsed);
    sdb_config_yaml_parsed(wk_cfg, &parsed);
    bson_append_document_end(cmd->reply, &parsed);
    return 0;
}

/* Resident and virtual memory of one pid in kB, from /proc/<pid>/status. */
static void
proc_mem(int pid, int64_t *rss_kb, int64_t *virt_kb)
{
    char path[64], line[256];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *rss_kb += strtoll(line + 6, NULL, 10);
        else if (strncmp(line, "VmSize:", 7) == 0)
            *virt_kb += strtoll(line + 7, NULL, 10);
    }
    fclose(f);
}

/* Memory of the master and all its workers (the children listed by /proc). */
static void
server_mem(int master, int64_t *rss_kb, int64_t *virt_kb)
{
    char path[96];
    FILE *f;
    int pid;

    proc_mem(master, rss_kb, virt_kb);
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", master, master);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        proc_mem(pid, rss_kb, virt_kb);
    fclose(f);
}

static void
append_opcounters(bson_t *r, uint64_t *conn_total, uint64_t *conn_rejected, uint64_t *active)
{
    uint64_t ins = 0, q = 0, up = 0, del = 0, gm = 0, c = 0;
    uint32_t i;
    bson_t oc;

    *conn_total = *conn_rejected = *active = 0;
    for (i = 0; i < wk_global->nworkers; i++) {
        sdb_worker_counters_t *w = &wk_global->workers[i];
        ins += atomic_load(&w->op_insert);
        q += atomic_load(&w->op_query);
        up += atomic_load(&w->op_update);
        del += atomic_load(&w->op_delete);
        gm += atomic_load(&w->op_getmore);
        c += atomic_load(&w->op_command);
        *conn_total += atomic_load(&w->conn_total);
        *conn_rejected += atomic_load(&w->conn_rejected);
        *active += atomic_load(&w->conn_active);
    }
    BSON_APPEND_DOCUMENT_BEGIN(r, "opcounters", &oc);
    BSON_APPEND_INT64(&oc, "insert", (int64_t)ins);
    BSON_APPEND_INT64(&oc, "query", (int64_t)q);
    BSON_APPEND_INT64(&oc, "update", (int64_t)up);
    BSON_APPEND_INT64(&oc, "delete", (int64_t)del);
    BSON_APPEND_INT64(&oc, "getmore", (int64_t)gm);
    BSON_APPEND_INT64(&oc, "command", (int64_t)c);
    bson_append_document_end(r, &oc);
}

/* append_metrics -- metrics.cursor: the master's cursor table counts, and metrics.ttl: its
 * TTL monitor's (global segment). */
static void
append_metrics(bson_t *r)
{
    bson_t m, cur, open, ttl;

    BSON_APPEND_DOCUMENT_BEGIN(r, "metrics", &m);
    BSON_APPEND_DOCUMENT_BEGIN(&m, "cursor", &cur);
    BSON_APPEND_INT64(&cur, "timedOut", (int64_t)atomic_load(&wk_global->cursor_timed_out));
    BSON_APPEND_DOCUMENT_BEGIN(&cur, "open", &open);
    BSON_APPEND_INT64(&open, "noTimeout", (int64_t)atomic_load(&wk_global->cursor_no_timeout));
    BSON_APPEND_INT64(&open, "pinned", (int64_t)atomic_load(&wk_global->cursor_pinned));
    BSON_APPEND_INT64(&open, "total", (int64_t)atomic_load(&wk_global->cursor_open));
    bson_append_document_end(&cur, &open);
    wk_status_metrics_cursor(&cur);
    bson_append_document_end(&m, &cur);
    wk_status_metrics(&m);
    BSON_APPEND_DOCUMENT_BEGIN(&m, "ttl", &ttl);
    BSON_APPEND_INT64(&ttl, "deletedDocuments", (int64_t)atomic_load(&wk_global->ttl_deleted));
    BSON_APPEND_INT64(&ttl, "passes", (int64_t)atomic_load(&wk_global->ttl_passes));
    BSON_APPEND_INT64(&ttl, "subPasses", (int64_t)atomic_load(&wk_global->ttl_sub_passes));
    bson_append_document_end(&m, &ttl);
    bson_append_document_end(r, &m);
}

/* append_transactions -- transactions: the master's open, active and finished multi-document
 * transactions (global segment), as mongod's serverStatus shows them. */
static void
append_transactions(bson_t *r)
{
    int64_t open = (int64_t)atomic_load(&wk_global->xact_open);
    int64_t active = (int64_t)atomic_load(&wk_global->xact_active);
    bson_t t;

    BSON_APPEND_DOCUMENT_BEGIN(r, "transactions", &t);
    BSON_APPEND_INT64(&t, "currentActive", active);
    BSON_APPEND_INT64(&t, "currentInactive", open > active ? open - active : 0);
    BSON_APPEND_INT64(&t, "currentOpen", open);
    BSON_APPEND_INT64(&t, "totalAborted", (int64_t)atomic_load(&wk_global->xact_aborted));
    BSON_APPEND_INT64(&t, "totalCommitted", (int64_t)atomic_load(&wk_global->xact_committed));
    BSON_APPEND_INT64(&t, "totalStarted", (int64_t)atomic_load(&wk_global->xact_started));
    bson_append_document_end(r, &t);
}

/* append_storage_ops -- storageOps: the storage requests the master has received, by
 * operation (storeop.def), from the global segment: what commands cost in channel round trips. */
static void
append_storage_ops(bson_t *r)
{
    bson_t ops;

    BSON_APPEND_DOCUMENT_BEGIN(r, "storageOps", &ops);
    for (int op = 1; op < SDB_OP__MAX && op < SDB_GLOBAL_STORE_OPS; op++)
        BSON_APPEND_INT64(&ops, sdb_storeop_name(op),
                          (int64_t)atomic_load(&wk_global->store_ops[op]));
    bson_append_document_end(r, &ops);
}

/* append_connections -- connections (and opcounters, which the same pass sums). */
static void
append_connections(wk_cmd_t *cmd, bson_t *r)
{
    bson_t conns, oc = BSON_INITIALIZER;
    uint64_t total, rejected, active;
    int64_t cur = wk_accept_open(), limit = wk_accept_limit();

    append_opcounters(&oc, &total, &rejected, &active);
    if (wk_status_wanted(cmd, "connections")) {
        BSON_APPEND_DOCUMENT_BEGIN(r, "connections", &conns);
        BSON_APPEND_INT32(&conns, "current", (int32_t)cur);
        BSON_APPEND_INT32(&conns, "available", (int32_t)(cur < limit ? limit - cur : 0));
        BSON_APPEND_INT32(&conns, "totalCreated", (int32_t)total);
        BSON_APPEND_INT32(&conns, "rejected", (int32_t)rejected);
        BSON_APPEND_INT32(&conns, "active", (int32_t)active);
        bson_append_document_end(r, &conns);
    }
    if (wk_status_wanted(cmd, "opcounters"))
        bson_concat(r, &oc);
    bson_destroy(&oc);
}

/* append_mem -- mem: the master's and every worker's memory. */
static void
append_mem(bson_t *r)
{
    int64_t rss = 0, virt = 0;
    bson_t mem;

    server_mem((int)getppid(), &rss, &virt);
    BSON_APPEND_DOCUMENT_BEGIN(r, "mem", &mem);
    BSON_APPEND_INT32(&mem, "bits", 64);
    BSON_APPEND_INT32(&mem, "resident", (int32_t)(rss / 1024));
    BSON_APPEND_INT32(&mem, "virtual", (int32_t)(virt / 1024));
    BSON_APPEND_BOOL(&mem, "supported", true);
    bson_append_document_end(r, &mem);
}

static void
append_storage_engine(bson_t *r)
{
    bson_t se;

    BSON_APPEND_DOCUMENT_BEGIN(r, "storageEngine", &se);
    BSON_APPEND_UTF8(&se, "name", "wiredTiger");
    BSON_APPEND_BOOL(&se, "supportsCommittedReads", true);
    BSON_APPEND_BOOL(&se, "persistent", strcmp(wk_cfg->dbpath, ":memory:") != 0);
    bson_append_document_end(r, &se);
}

/* append_security -- security: TLS's facts (tls.h). */
static void
append_security(bson_t *r)
{
    bson_t sec;

    BSON_APPEND_DOCUMENT_BEGIN(r, "security", &sec);
    wk_tls_security_append(&sec);
    bson_append_document_end(r, &sec);
}

/*
 * wk_cmd_server_status --
 *     Process facts and mongod's sections (cmd/status.h); {<section>: 0} leaves one out.
 */
int
wk_cmd_server_status(wk_cmd_t *cmd)
{
    bson_t *r = cmd->reply;
    char host[256];
    int64_t now = now_ms(), up = now - wk_global->start_time_ms;

    gethostname(host, sizeof(host));
    BSON_APPEND_UTF8(r, "host", host);
    BSON_APPEND_UTF8(r, "version", SDB_VERSION);
    BSON_APPEND_UTF8(r, "process", "mongod");
    BSON_APPEND_INT64(r, "pid", (int64_t)getppid());
    BSON_APPEND_DOUBLE(r, "uptime", (double)(up / 1000));
    BSON_APPEND_INT64(r, "uptimeMillis", up);
    BSON_APPEND_INT64(r, "uptimeEstimate", up / 1000);
    BSON_APPEND_DATE_TIME(r, "localTime", now);
    if (wk_status_wanted(cmd, "asserts"))
        wk_status_asserts(r);
    append_connections(cmd, r);
    if (wk_status_wanted(cmd, "logicalSessionRecordCache"))
        SDB_RET(wk_status_sessions(r, &cmd->err));
    if (wk_status_wanted(cmd, "network"))
        wk_status_network(r);
    if (wk_status_wanted(cmd, "opLatencies"))
        wk_status_op_latencies(r);
    if (wk_status_wanted(cmd, "secantusdb"))
        wk_status_secantusdb(r);
    if (wk_status_wanted(cmd, "storageEngine"))
        append_storage_engine(r);
    if (wk_status_wanted(cmd, "storageOps"))
        append_storage_ops(r);
    if (wk_status_wanted(cmd, "transactions"))
        append_transactions(r);
    if (wk_status_wanted(cmd, "wiredTiger"))
        SDB_RET(wk_status_wired_tiger(r, &cmd->err));
    if (wk_status_wanted(cmd, "mem"))
        append_mem(r);
    if (wk_status_wanted(cmd, "metrics"))
        append_metrics(r);
    wk_tls_server_status(r);
    if (wk_status_wanted(cmd, "security"))
        append_security(r);
    return 0;
}

/*
 * wk_cmd_host_info --
 *     Facts about the machine.
 */
int
wk_cmd_host_info(wk_cmd_t *cmd)
{
    bson_t *r = cmd->reply, sys, os, extra;
    struct utsname u;
    char host[256];
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    int64_t mem_mb = (int64_t)pages * psize / (1024 * 1024);

    uname(&u);
    gethostname(host, sizeof(host));
    BSON_APPEND_DOCUMENT_BEGIN(r, "system", &sys);
    BSON_APPEND_DATE_TIME(&sys, "currentTime", now_ms());
    BSON_APPEND_UTF8(&sys, "hostname", host);
    BSON_APPEND_INT32(&sys, "cpuAddrSize", 64);
    BSON_APPEND_INT64(&sys, "memSizeMB", mem_mb);
    BSON_APPEND_INT64(&sys, "memLimitMB", sdb_config_mem_limit_mb());
    BSON_APPEND_INT32(&sys, "numCores", (int32_t)sysconf(_SC_NPROCESSORS_ONLN));
    BSON_APPEND_INT32(&sys, "numPhysicalCores", (int32_t)sysconf(_SC_NPROCESSORS_ONLN));
    BSON_APPEND_UTF8(&sys, "cpuArch", u.machine);
    BSON_APPEND_BOOL(&sys, "numaEnabled", false);
    bson_append_document_end(r, &sys);
    BSON_APPEND_DOCUMENT_BEGIN(r, "os", &os);
    BSON_APPEND_UTF8(&os, "type", "Linux");
    BSON_APPEND_UTF8(&os, "name", u.sysname);
    BSON_APPEND_UTF8(&os, "version", u.release);
    bson_append_document_end(r, &os);
    BSON_APPEND_DOCUMENT_BEGIN(r, "extra", &extra);
    BSON_APPEND_UTF8(&extra, "versionString", u.version);
    BSON_APPEND_INT64(&extra, "pageSize", psize);
    bson_append_document_end(r, &extra);
    return 0;
}

/*
 * wk_cmd_whatsmyuri --
 *     The client's own address as the server sees it.
 */
int
wk_cmd_whatsmyuri(wk_cmd_t *cmd)
{
    BSON_APPEND_UTF8(cmd->reply, "you", cmd->conn->peer);
    return 0;
}

/*
 * wk_cmd_connection_status --
 *     Authentication state: no users are authenticated (authentication is not enabled).
 */
int
wk_cmd_connection_status(wk_cmd_t *cmd)
{
    bson_t ai, a;
    bson_iter_t it;

    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "authInfo", &ai);
    BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUsers", &a);
    bson_append_array_end(&ai, &a);
    BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUserRoles", &a);
    bson_append_array_end(&ai, &a);
    if (bson_iter_init_find(&it, cmd->body, "showPrivileges") && bson_iter_as_bool(&it)) {
        BSON_APPEND_ARRAY_BEGIN(&ai, "authenticatedUserPrivileges", &a);
        bson_append_array_end(&ai, &a);
    }
    bson_append_document_end(cmd->reply, &ai);
    return 0;
}

/*
 * wk_cmd_list_commands --
 *     Every command in the table with its basic properties.
 */
int
wk_cmd_list_commands(wk_cmd_t *cmd)
{
    size_t n, i;
    const wk_cmd_def_t *t = wk_command_table(&n);
    bson_t all, one;

    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "commands", &all);
    for (i = 0; i < n; i++) {
        if (!wk_command_enabled(&t[i]))
            continue;
        BSON_APPEND_DOCUMENT_BEGIN(&all, t[i].name, &one);
        BSON_APPEND_UTF8(&one, "help", "");
        BSON_APPEND_BOOL(&one, "requiresAuth", !(t[i].flags & WK_CMD_F_NO_AUTH));
        BSON_APPEND_BOOL(&one, "secondaryOk", true);
        BSON_APPEND_BOOL(&one, "adminOnly", (t[i].flags & WK_CMD_F_ADMIN_ONLY) != 0);
        bson_append_document_end(&all, &one);
    }
    bson_append_document_end(cmd->reply, &all);
    return 0;
}

/*
 * wk_cmd_get_free_monitoring_status --
 *     Free monitoring does not exist here: report it disabled, as mongod 7.0 does once the
 *     service was decommissioned.
 */
int
wk_cmd_get_free_monitoring_status(wk_cmd_t *cmd)
{
    BSON_APPEND_UTF8(cmd->reply, "state", "disabled");
    return 0;
}
