/*
 * src/common/config.c -- command-line parsing with mongod's flag names.
 *
 * The option table is data: one row per flag with its kind and destination.  The master
 * parses the user's argv; it spawns workers with the same argv plus `--worker N --fds ...`
 * so both sides hold identical settings.  Called once at start-up on the main thread.
 *
 * Server parameters (--setParameter name=value) are a second table: name, type, field,
 * bounds and, for those settable at runtime too, the word of the global segment where the
 * master publishes the value in force (config.h).  An unknown name, a bad value or a refused option (--keyFile) exits 2 with
 * mongod's message; nothing is accepted and ignored except the rows marked OPT_IGNORE*,
 * whose absence of effect is the same as mongod's on a single node.
 */
#include "config.h"

#include "compressors.h"
#include "config_yaml.h"
#include "global.h"
#include "sdb.h"
#include "tlsopt.h"

#include <bson/bson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
/* glibc's table of syslog facility names (facilitynames), the one mongod's parser reads */
#define SYSLOG_NAMES
#include <syslog.h>

typedef enum {
    OPT_INT,
    OPT_STR,
    OPT_FLAG,
    OPT_IGNORE_ARG,
    OPT_IGNORE,
    OPT_SPECIAL,
    OPT_PARAM,  /* --setParameter name=value: the parameter table below */
    OPT_REFUSED /* an option we must not accept silently: exit 2 with `why` */
} opt_kind_t;

typedef struct opt_def {
    const char *name;
    opt_kind_t kind;
    bool arg;        /* takes a value (--name V or --name=V) */
    size_t off;      /* offset into sdb_config_t */
    size_t size;     /* for strings */
    const char *why; /* OPT_REFUSED: what the option would do that we cannot */
} opt_def_t;

#define OFF(f) offsetof(sdb_config_t, f)
#define SZ(f) sizeof(((sdb_config_t *)0)->f)

static const opt_def_t opts[] = {
    {"port", OPT_INT, true, OFF(port), 0, NULL},
    {"bind_ip", OPT_STR, true, OFF(bind_ip), SZ(bind_ip), NULL},
    {"dbpath", OPT_STR, true, OFF(dbpath), SZ(dbpath), NULL},
    {"workers", OPT_INT, true, OFF(workers), 0, NULL},
    {"logpath", OPT_STR, true, OFF(logpath), SZ(logpath), NULL},
    {"quiet", OPT_FLAG, false, OFF(quiet), 0, NULL},
    {"noscripting", OPT_FLAG, false, OFF(noscripting), 0, NULL},
    {"replSet", OPT_STR, true, OFF(repl_set), SZ(repl_set), NULL},
    {"maxConns", OPT_INT, true, OFF(max_conns), 0, NULL},
    {"worker", OPT_INT, true, OFF(worker_slot), 0, NULL},
    {"fds", OPT_SPECIAL, true, 0, 0, NULL},
    {"wiredTigerCacheSizeGB", OPT_SPECIAL, true, 0, 0, NULL},
    {"networkMessageCompressors", OPT_SPECIAL, true, 0, 0, NULL},
    {"setParameter", OPT_PARAM, true, 0, 0, NULL},
    {"keyFile", OPT_REFUSED, true, 0, 0, "turns on internal (member) authentication"},
    {"auth", OPT_FLAG, false, OFF(auth), 0, NULL},
    {"initdbRootUsername", OPT_STR, true, OFF(initdb_user), SZ(initdb_user), NULL},
    {"initdbRootPassword", OPT_STR, true, OFF(initdb_pwd), SZ(initdb_pwd), NULL},
    {"storageEngine", OPT_SPECIAL, true, 0, 0, NULL}, /* wiredTiger, the only one */
    {"oplogSize", OPT_INT, true, OFF(oplog_size_mb), 0, NULL},
    {"noauth", OPT_IGNORE, false, 0, 0, NULL},
    {"notablescan", OPT_REFUSED, false, 0, 0, "refuses every query that needs a collection scan"},
    {"bind_ip_all", OPT_SPECIAL, false, 0, 0, NULL},
    {"version", OPT_SPECIAL, false, 0, 0, NULL},
    {"tlsMode", OPT_SPECIAL, true, 0, 0, NULL},
    {"tlsCertificateKeyFile", OPT_STR, true, OFF(tls_cert_key_file), SZ(tls_cert_key_file), NULL},
    {"tlsCertificateKeyFilePassword", OPT_STR, true, OFF(tls_cert_key_password),
     SZ(tls_cert_key_password), NULL},
    {"tlsCAFile", OPT_STR, true, OFF(tls_ca_file), SZ(tls_ca_file), NULL},
    {"tlsCRLFile", OPT_STR, true, OFF(tls_crl_file), SZ(tls_crl_file), NULL},
    {"tlsAllowConnectionsWithoutCertificates", OPT_FLAG, false, OFF(tls_allow_no_cert), 0, NULL},
    {"tlsAllowInvalidCertificates", OPT_FLAG, false, OFF(tls_allow_invalid_certs), 0, NULL},
    {"tlsAllowInvalidHostnames", OPT_FLAG, false, OFF(tls_allow_invalid_hostnames), 0, NULL},
    {"tlsDisabledProtocols", OPT_SPECIAL, true, 0, 0, NULL},
    {"help", OPT_SPECIAL, false, 0, 0, NULL},
    /* configuration file and logging (config_yaml.c maps the YAML keys onto these names) */
    {"config", OPT_STR, true, OFF(config_path), SZ(config_path), NULL},
    {"logappend", OPT_FLAG, false, OFF(log_append), 0, NULL},
    {"logRotate", OPT_SPECIAL, true, 0, 0, NULL},
    {"pidfilepath", OPT_STR, true, OFF(pidfile), SZ(pidfile), NULL},
    {"verbose", OPT_SPECIAL, true, 0, 0, NULL},
    {"syslog", OPT_FLAG, false, OFF(syslog), 0, NULL},
    {"syslogFacility", OPT_SPECIAL, true, 0, 0, NULL},
    {"fork", OPT_FLAG, false, OFF(fork), 0, NULL},
    {"profile", OPT_SPECIAL, true, 0, 0, NULL},
    {"slowms", OPT_INT, true, OFF(slow_ms), 0, NULL},
    {"logComponentVerbosity", OPT_SPECIAL, true, 0, 0, NULL},
    /* mongod's time zone database directory: ours is the system's (ICU and libc read it) */
    {"timeZoneInfo", OPT_IGNORE_ARG, true, 0, 0, NULL},
    /* worker role: the master's copy of the --config file (config_yaml.c), read before the
     * flags by config_file_arg */
    {"configText", OPT_IGNORE_ARG, true, 0, 0, NULL},
};

_Static_assert(sizeof(opts) / sizeof(opts[0]) <= 64, "sdb_config_t.given has 64 bits");

#define LIVE(f) offsetof(sdb_global_t, f)

/* Every parameter is settable at start-up; those with a LIVE field also at runtime (config.h);
 * getParameter reports them all. */
static const sdb_param_t params[] = {
    {"cursorTimeoutMillis", SDB_PARAM_INT64, OFF(cursor_timeout_ms), 0, INT64_MAX, 0},
    {"enableTestCommands", SDB_PARAM_BOOL, OFF(enable_test_commands), 0, 1, 0},
    {"transactionLifetimeLimitSeconds", SDB_PARAM_INT64, OFF(txn_lifetime_s), 1, INT32_MAX, 0},
    {"minSnapshotHistoryWindowInSeconds", SDB_PARAM_INT64, OFF(snapshot_window_s), 0, INT32_MAX, 0},
    {"logicalSessionTimeoutMinutes", SDB_PARAM_INT64, OFF(session_timeout_min), 1, INT32_MAX, 0},
    {"ttlMonitorEnabled", SDB_PARAM_BOOL, OFF(ttl_monitor_enabled), 0, 1,
     LIVE(ttl_monitor_enabled)},
    {"ttlMonitorSleepSecs", SDB_PARAM_INT32, OFF(ttl_sleep_secs), 1, INT32_MAX,
     LIVE(ttl_sleep_secs)},
    {"internalQueryMaxBlockingSortMemoryUsageBytes", SDB_PARAM_INT64, OFF(sort_mem_max), 1,
     INT64_MAX, LIVE(sort_mem_max)},
    {"internalDocumentSourceGroupMaxMemoryBytes", SDB_PARAM_INT64, OFF(group_mem_max), 1, INT64_MAX,
     LIVE(group_mem_max)},
    {"allowDiskUseByDefault", SDB_PARAM_BOOL, OFF(allow_disk_default), 0, 1,
     LIVE(allow_disk_default)},
    {"internalDocumentSourceSetWindowFieldsMaxMemoryBytes", SDB_PARAM_INT64, OFF(window_mem_max), 1,
     INT64_MAX, LIVE(window_mem_max)},
    {"internalDocumentSourceDensifyMaxMemoryBytes", SDB_PARAM_INT64, OFF(densify_mem_max), 1,
     INT64_MAX, LIVE(densify_mem_max)},
    {"scramSHA256IterationCount", SDB_PARAM_INT32, OFF(scram_sha256_iters), 4096, INT32_MAX, 0},
    {"scramIterationCount", SDB_PARAM_INT32, OFF(scram_sha1_iters), 5000, INT32_MAX, 0},
    {"logLevel", SDB_PARAM_INT32, OFF(log_level), 0, 5, LIVE(log.level)},
    {"quiet", SDB_PARAM_BOOL, OFF(quiet), 0, 1, LIVE(log.quiet)},
    {"maxNumActiveUserIndexBuilds", SDB_PARAM_INT32, OFF(ix_max_active), 0, INT32_MAX,
     LIVE(ix_max_active)},
};

_Static_assert(sizeof(params) / sizeof(params[0]) <= 32, "sdb_config_t.params_given has 32 bits");

static void
usage(FILE *f)
{
    fprintf(f, "Usage: secantusdb [options]\n"
               "  --port N          port to listen on (default 27017; 0 = pick a free port and\n"
               "                    print the URI as the first line on stdout)\n"
               "  --bind_ip ADDR    address to listen on (default 127.0.0.1)\n"
               "  --bind_ip_all     listen on all addresses\n"
               "  --dbpath DIR      data directory (default ./data; :memory: = in memory)\n"
               "  --workers N       worker processes (default: number of cores)\n"
               "  --logpath FILE    log file (default: stdout)\n"
               "  --quiet           log warnings and errors only\n"
               "  --noscripting     disable server-side JavaScript\n"
               "  --replSet NAME    replica set name to report (default rs0)\n"
               "  --maxConns N      most connections open at once (default: 80%% of the\n"
               "                    descriptor limit)\n"
               "  --profile N       database profiler level: 0 off, 1 slow operations, 2 all\n"
               "  --slowms MS       an operation slower than this is slow (default 100)\n"
               "  --networkMessageCompressors LIST\n"
               "                    wire compressors to offer (default snappy,zstd,zlib;\n"
               "                    disabled = none)\n"
               "  --setParameter NAME=VALUE\n"
               "                    cursorTimeoutMillis (default 600000), enableTestCommands\n"
               "                    (default 1), transactionLifetimeLimitSeconds (60),\n"
               "                    minSnapshotHistoryWindowInSeconds (300),\n"
               "                    logicalSessionTimeoutMinutes (30), ttlMonitorEnabled\n"
               "                    (true), ttlMonitorSleepSecs (60)\n"
               "  --tlsMode MODE    disabled (default), allowTLS, preferTLS or requireTLS\n"
               "  --tlsCertificateKeyFile FILE  PEM with the server certificate and key\n"
               "  --tlsCertificateKeyFilePassword PW  its key's password\n"
               "  --tlsCAFile FILE  CA certificates: clients must present a certificate they\n"
               "                    signed (see --tlsAllowConnectionsWithoutCertificates)\n"
               "  --tlsCRLFile FILE revoked certificates (needs --tlsCAFile)\n"
               "  --tlsAllowConnectionsWithoutCertificates, --tlsAllowInvalidCertificates,\n"
               "  --tlsAllowInvalidHostnames\n"
               "  --tlsDisabledProtocols LIST  of TLS1_0, TLS1_1, TLS1_2, TLS1_3, or none\n"
               "                    (default TLS1_0)\n"
               "  --version         print the version and exit\n");
}

static int
parse_int(const char *name, const char *s, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < -1 || v > 1000000) {
        fprintf(stderr, "secantusdb: bad value for --%s: '%s'\n", name, s);
        return 2;
    }
    *out = (int)v;
    return 0;
}

/* mongod's start-up refusal of an option value: "BadValue: ..." and the --help hint. */
static int
refuse(const char *what, const char *name, const char *reason)
{
    fprintf(stderr, "BadValue: %s \"%s\"%s%s\ntry 'secantusdb --help' for more information\n", what,
            name, reason != NULL ? ": " : "", reason != NULL ? reason : "");
    return 2;
}

/* A decimal int64 as mongod's NumberParser reads it: no blanks, the whole string. */
static const char *
param_int64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (*s == '\0')
        return "No digits";
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
        return "Did not consume whole string.";
    if (errno == ERANGE)
        return "Overflow";
    *out = (int64_t)v;
    return NULL;
}

/* Parse and bound one value into the parameter's field; NULL, or the reason it is bad. */
static const char *
param_value(sdb_config_t *cfg, const sdb_param_t *p, const char *val, char *why, size_t whylen)
{
    char *field = (char *)cfg + p->off;
    const char *bad;
    int64_t v = 0;

    if (p->type == SDB_PARAM_BOOL) {
        if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0)
            *(bool *)field = true;
        else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0)
            *(bool *)field = false;
        else
            return "Value is not a valid boolean";
        return NULL;
    }
    if ((bad = param_int64(val, &v)) != NULL)
        return bad;
    if ((bad = sdb_config_param_check(p, v, why, whylen)) != NULL)
        return bad;
    *(int64_t *)field = v;
    return NULL;
}

/*
 * sdb_config_param_check --
 *     Whether v is inside p's bounds, in the words of mongod's validators.
 */
const char *
sdb_config_param_check(const sdb_param_t *p, int64_t v, char *why, size_t len)
{
    if (v >= p->min && v <= p->max)
        return NULL;
    if (v < p->min && p->min == 1) /* mongod's `gt: 0` */
        snprintf(why, len, "Invalid value for parameter %s: %lld is not greater than 0", p->name,
                 (long long)v);
    else
        snprintf(why, len, "Invalid value for parameter %s: %lld is not %s %lld", p->name,
                 (long long)v, v < p->min ? "greater than or equal to" : "less than or equal to",
                 (long long)(v < p->min ? p->min : p->max));
    return why;
}

static int find_opt(const char *name);

/* components_of -- logComponentVerbosity's document ({verbosity, storage: {verbosity,
 * journal: {...}}}) into logLevel and the components' levels; NULL or why not. */
static const char *
components_of(sdb_config_t *cfg, bson_iter_t *it, const char *prefix)
{
    char name[128];
    const char *bad;
    int comp;

    while (bson_iter_next(it)) {
        const char *k = bson_iter_key(it);
        int64_t v = BSON_ITER_HOLDS_NUMBER(it) ? bson_iter_as_int64(it) : -9;
        bson_iter_t sub;
        snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", k);
        comp = prefix[0] != '\0' ? sdb_log_component(prefix) : 0;
        if (strcmp(k, "verbosity") == 0) {
            if (v < (comp > 0 ? -1 : 0) || v > 5)
                return "a verbosity is -1 to 5 (0 to 5 at the top)";
            if (comp > 0)
                cfg->log_comp[comp] = (int8_t)v;
            else
                cfg->log_level = v;
        } else if (BSON_ITER_HOLDS_DOCUMENT(it) && sdb_log_component(name) > 0 &&
                   bson_iter_recurse(it, &sub)) {
            if ((bad = components_of(cfg, &sub, name)) != NULL)
                return bad;
        } else {
            return "not a log component with a verbosity";
        }
    }
    return NULL;
}

/* --setParameter logComponentVerbosity=<JSON document>, as mongod takes it at start-up. */
static int
set_components(sdb_config_t *cfg, const char *json)
{
    bson_t doc;
    bson_iter_t it;
    const char *bad = "not a JSON document";

    if (bson_init_from_json(&doc, json, -1, NULL)) {
        bad = bson_iter_init(&it, &doc) ? components_of(cfg, &it, "") : bad;
        bson_destroy(&doc);
    }
    if (bad != NULL)
        return refuse("Bad value for parameter", "logComponentVerbosity", bad);
    cfg->given |= (uint64_t)1 << find_opt("logComponentVerbosity");
    cfg->given |= (uint64_t)1 << find_opt("verbose");
    return 0;
}

/* --setParameter name=value: a known name and a good value, or exit 2 as mongod does. */
static int
set_param(sdb_config_t *cfg, const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    const sdb_param_t *p = sdb_config_param_find(arg, nlen);
    const char *bad;
    char name[64], why[256];

    snprintf(name, sizeof(name), "%.*s", (int)nlen, arg);
    if (p == NULL && strcmp(name, "logComponentVerbosity") == 0 && eq != NULL)
        return set_components(cfg, eq + 1);
    if (p == NULL)
        return refuse("Illegal --setParameter parameter:", name, NULL);
    cfg->params_given |= 1u << (size_t)(p - params);
    bad = param_value(cfg, p, eq != NULL ? eq + 1 : "", why, sizeof(why));
    return bad != NULL ? refuse("Bad value for parameter", name, bad) : 0;
}

/*
 * sdb_config_given --
 *     Whether --flag was passed.
 */
bool
sdb_config_given(const sdb_config_t *cfg, const char *flag)
{
    size_t k;

    for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
        if (strcmp(opts[k].name, flag) == 0)
            return (cfg->given & ((uint64_t)1 << k)) != 0;
    return false;
}

/*
 * sdb_config_params --
 *     The server parameter table.
 */
const sdb_param_t *
sdb_config_params(size_t *n)
{
    *n = sizeof(params) / sizeof(params[0]);
    return params;
}

/*
 * sdb_config_param_find --
 *     The parameter row of a name.
 */
const sdb_param_t *
sdb_config_param_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (strlen(params[i].name) == len && strncmp(params[i].name, name, len) == 0)
            return &params[i];
    return NULL;
}

/*
 * sdb_config_param_value --
 *     A parameter's value in force: live (global segment) or from start-up.
 */
int64_t
sdb_config_param_value(const sdb_config_t *cfg, const sdb_global_t *g, const sdb_param_t *p)
{
    const char *field = (const char *)cfg + p->off;

    if (p->live != 0 && g != NULL)
        return atomic_load((_Atomic int64_t *)((char *)g + p->live));
    if (p->type == SDB_PARAM_BOOL)
        return *(const bool *)field ? 1 : 0;
    return *(const int64_t *)field;
}

/*
 * sdb_config_param_append_value --
 *     Append one value typed as the parameter's values are.
 */
void
sdb_config_param_append_value(const sdb_param_t *p, int64_t v, const char *key, bson_t *out,
                              bool as_text)
{
    char text[32];

    if (p->type == SDB_PARAM_BOOL && as_text)
        BSON_APPEND_UTF8(out, key, v != 0 ? "true" : "false");
    else if (p->type == SDB_PARAM_BOOL)
        BSON_APPEND_BOOL(out, key, v != 0);
    else if (as_text) {
        snprintf(text, sizeof(text), "%lld", (long long)v);
        BSON_APPEND_UTF8(out, key, text);
    } else if (p->type == SDB_PARAM_INT32)
        BSON_APPEND_INT32(out, key, (int32_t)v);
    else
        BSON_APPEND_INT64(out, key, v);
}

/*
 * sdb_config_param_append --
 *     Append one parameter's value in force under its name.
 */
void
sdb_config_param_append(const sdb_config_t *cfg, const sdb_global_t *g, const sdb_param_t *p,
                        bson_t *out, bool as_text)
{
    sdb_config_param_append_value(p, sdb_config_param_value(cfg, g, p), p->name, out, as_text);
}

/* --verbose: "vvv" (mongod's form) or a number 0-5 (systemLog.verbosity). */
static int
parse_verbose(sdb_config_t *cfg, const char *val)
{
    size_t n = strspn(val, "v");
    int level;

    if (val[0] != '\0' && val[n] == '\0' && n <= 5) {
        cfg->log_level = (int64_t)n;
        return 0;
    }
    if (parse_int("verbose", val, &level) != 0 || level < 0 || level > 5)
        return refuse("Bad value for", "verbose", "a verbosity is 0 to 5 (or v to vvvvv)");
    cfg->log_level = level;
    return 0;
}

/* --logComponentVerbosity NAME=N: one component's verbosity (systemLog.component.<name>). */
static int
parse_component(sdb_config_t *cfg, const char *val)
{
    const char *eq = strchr(val, '=');
    char name[64];
    int comp, level;

    snprintf(name, sizeof(name), "%.*s", eq != NULL ? (int)(eq - val) : (int)strlen(val), val);
    comp = sdb_log_component(name);
    if (comp <= 0 || eq == NULL)
        return refuse("Unrecognized log component", name, NULL);
    if (parse_int("logComponentVerbosity", eq + 1, &level) != 0 || level < -1 || level > 5)
        return refuse("Bad verbosity for log component", name, "-1 to 5");
    cfg->log_comp[comp] = (int8_t)level;
    return 0;
}

/* --syslogFacility NAME: one of syslog.h's facility names (glibc's table, as mongod). */
static int
parse_facility(sdb_config_t *cfg, const char *val)
{
    for (const CODE *c = facilitynames; c->c_name != NULL; c++) {
        if (strcmp(c->c_name, val) == 0) {
            cfg->syslog_facility = c->c_val;
            return 0;
        }
    }
    fprintf(stderr, "BadValue: ERROR: syslogFacility must be set to a string representing one "
                    "of the possible syslog facilities\n"
                    "try 'secantusdb --help' for more information\n");
    return 2;
}

/* facility_name -- the syslog.h name of a facility value ("user" when unknown). */
static const char *
facility_name(int facility)
{
    for (const CODE *c = facilitynames; c->c_name != NULL; c++)
        if (c->c_val == facility)
            return c->c_name;
    return "user";
}

/* The logging and process-management flags with a value to check. */
static int
parse_logging(sdb_config_t *cfg, const char *name, const char *val)
{
    if (strcmp(name, "logRotate") == 0) {
        if (strcmp(val, "rename") != 0 && strcmp(val, "reopen") != 0)
            return refuse("Unsupported value for logRotate", val, "rename or reopen");
        cfg->log_reopen = strcmp(val, "reopen") == 0;
        return 0;
    }
    if (strcmp(name, "profile") == 0) {
        if (parse_int(name, val, &cfg->profile) != 0 || cfg->profile < 0 || cfg->profile > 2)
            return refuse("Bad value for", "profile", "0 (off), 1 (slowOp) or 2 (all)");
        return 0;
    }
    if (strcmp(name, "verbose") == 0)
        return parse_verbose(cfg, val);
    if (strcmp(name, "logComponentVerbosity") == 0)
        return parse_component(cfg, val);
    return parse_facility(cfg, val);
}

static int
parse_special(sdb_config_t *cfg, const char *name, const char *val, bool *exit_now)
{
    if (strcmp(name, "version") == 0) {
        printf("db version v%s\nBuild Info: {\"version\": \"%s\", \"engine\": \"secantusdb\"}\n",
               SDB_VERSION, SDB_VERSION);
        *exit_now = true;
        return 0;
    }
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        *exit_now = true;
        return 0;
    }
    if (strcmp(name, "bind_ip_all") == 0) {
        snprintf(cfg->bind_ip, sizeof(cfg->bind_ip), "0.0.0.0");
        return 0;
    }
    if (strncmp(name, "tls", 3) == 0)
        return sdb_tlsopt_parse(cfg, name, val);
    if (strcmp(name, "storageEngine") == 0) {
        if (strcmp(val, "wiredTiger") == 0)
            return 0;
        fprintf(stderr, "secantusdb: Cannot start server with an unknown storage engine: %s\n",
                val);
        return 2;
    }
    if (strcmp(name, "networkMessageCompressors") == 0) {
        int bad = 0;
        if (strlen(val) >= sizeof(cfg->compressors) || !sdb_compressors_check(val, &bad)) {
            fprintf(stderr,
                    "secantusdb: Invalid network message compressor specified in configuration: "
                    "%s (snappy, zstd, zlib, noop, or disabled)\n",
                    val + bad);
            return 2;
        }
        snprintf(cfg->compressors, sizeof(cfg->compressors), "%s", val);
        return 0;
    }
    if (strcmp(name, "wiredTigerCacheSizeGB") == 0) {
        char *end;
        double gb = strtod(val, &end);
        if (end == val || *end != '\0' || !(gb >= 0.25 && gb <= 10000)) {
            fprintf(stderr, "secantusdb: bad value for --%s: '%s' (0.25 to 10000)\n", name, val);
            return 2;
        }
        cfg->cache_mb = (long)(gb * 1024);
        return 0;
    }
    if (strcmp(name, "logRotate") == 0 || strcmp(name, "profile") == 0 ||
        strcmp(name, "verbose") == 0 || strcmp(name, "syslogFacility") == 0 ||
        strcmp(name, "logComponentVerbosity") == 0)
        return parse_logging(cfg, name, val);
    /* --fds listen,chan,wake_master,wake_worker,global,death */
    if (sscanf(val, "%d,%d,%d,%d,%d,%d", &cfg->fd_listen, &cfg->fd_chan, &cfg->fd_wake_master,
               &cfg->fd_wake_worker, &cfg->fd_global, &cfg->fd_death) != 6) {
        fprintf(stderr, "secantusdb: bad value for --fds\n");
        return 2;
    }
    return 0;
}

static int
apply_opt(sdb_config_t *cfg, const opt_def_t *o, const char *val, bool *exit_now)
{
    char *base = (char *)cfg;

    switch (o->kind) {
    case OPT_INT:
        return parse_int(o->name, val, (int *)(base + o->off));
    case OPT_STR:
        if (strlen(val) >= o->size) {
            fprintf(stderr, "secantusdb: value for --%s is too long\n", o->name);
            return 2;
        }
        memcpy(base + o->off, val, strlen(val) + 1);
        return 0;
    case OPT_FLAG:
        *(bool *)(base + o->off) = true;
        return 0;
    case OPT_SPECIAL:
        return parse_special(cfg, o->name, val, exit_now);
    case OPT_PARAM:
        return set_param(cfg, val);
    case OPT_REFUSED:
        fprintf(stderr,
                "secantusdb: --%s %s, which SecantusDB does not have: refusing to start "
                "rather than run without what you asked for\n",
                o->name, o->why);
        return 2;
    default:
        return 0;
    }
}

/* The Docker image's first-start root user: the flags, else MONGO_INITDB_ROOT_USERNAME and
 * _PASSWORD from the environment; both or neither, and either implies --auth. */
static int
initdb_root(sdb_config_t *cfg)
{
    const char *u = getenv("MONGO_INITDB_ROOT_USERNAME"), *p = getenv("MONGO_INITDB_ROOT_PASSWORD");

    if (cfg->initdb_user[0] == '\0' && u != NULL)
        snprintf(cfg->initdb_user, sizeof(cfg->initdb_user), "%s", u);
    if (cfg->initdb_pwd[0] == '\0' && p != NULL)
        snprintf(cfg->initdb_pwd, sizeof(cfg->initdb_pwd), "%s", p);
    if ((cfg->initdb_user[0] == '\0') != (cfg->initdb_pwd[0] == '\0')) {
        fprintf(stderr, "secantusdb: the root user needs both a name and a password "
                        "(--initdbRootUsername and --initdbRootPassword, or "
                        "MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD)\n");
        return 2;
    }
    if (cfg->initdb_user[0] != '\0')
        cfg->auth = true;
    return 0;
}

static void
record_argv(sdb_config_t *cfg, int argc, char **argv)
{
    bson_t arr;
    char key[16];
    char *json;
    int i, n = 0;

    bson_init(&arr);
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--worker") == 0 || strcmp(argv[i], "--fds") == 0 ||
            strcmp(argv[i], "--configText") == 0) {
            i++;
            continue;
        }
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&arr, key, argv[i]);
    }
    json = bson_array_as_json(&arr, NULL);
    snprintf(cfg->argv_json, sizeof(cfg->argv_json), "%s", json ? json : "[]");
    bson_free(json);
    bson_destroy(&arr);
}

/* A cgroup memory limit in bytes (v2, then v1), or -1 when none is set. */
static int64_t
cgroup_limit(void)
{
    static const char *const files[] = {"/sys/fs/cgroup/memory.max",
                                        "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    char line[64];
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        FILE *f = fopen(files[i], "r");
        bool got;
        if (f == NULL)
            continue;
        got = fgets(line, sizeof(line), f) != NULL;
        fclose(f);
        if (got && line[0] >= '0' && line[0] <= '9')
            return strtoll(line, NULL, 10);
        if (got)
            return -1; /* "max": no limit */
    }
    return -1;
}

/*
 * sdb_config_mem_limit_mb --
 *     Memory this server may use: the machine's, or the cgroup limit when lower (as mongod's
 *     ProcessInfo memLimit).
 */
int64_t
sdb_config_mem_limit_mb(void)
{
    int64_t phys = (int64_t)sysconf(_SC_PHYS_PAGES) * (int64_t)sysconf(_SC_PAGESIZE);
    int64_t cg = cgroup_limit();

    if (cg > 0 && cg < phys)
        phys = cg;
    return phys / (1024 * 1024);
}

/* mongod's default WiredTiger cache: 50 % of (memory - 1 GB), at least 256 MB, at most
 * 10,000,000 MB.  The same rule sizes :memory: (where the cache holds all the data), as
 * mongod's in-memory engine sizes inMemorySizeGB. */
static long
default_cache_mb(void)
{
    double mb = ((double)sdb_config_mem_limit_mb() - 1024) * 0.5;

    if (mb < 256)
        mb = 256;
    if (mb > 10000000)
        mb = 10000000;
    return (long)mb;
}

/* The file named by --config FILE, --config=FILE or -f FILE (the last one), or NULL; *text
 * receives the master's copy of it a worker is given (--configText), else NULL. */
static const char *
config_file_arg(int argc, char **argv, const char **text)
{
    const char *file = NULL;
    int i;

    *text = NULL;
    for (i = 1; i < argc; i++)
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc)
            file = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        else if (strcmp(argv[i], "--configText") == 0 && i + 1 < argc)
            *text = argv[++i];
    return file;
}

/* find_opt -- the index of option `name` in the table, or -1. */
static int
find_opt(const char *name)
{
    size_t k;

    for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
        if (strcmp(opts[k].name, name) == 0)
            return (int)k;
    return -1;
}

/*
 * sdb_config_apply --
 *     Apply one option by its long name, as the command line does.
 */
int
sdb_config_apply(sdb_config_t *cfg, const char *flag, const char *val)
{
    int k = find_opt(flag);
    bool exit_now = false;

    if (k < 0)
        return -1;
    if (opts[k].arg && val == NULL) {
        fprintf(stderr, "secantusdb: option '--%s' needs a value\n", flag);
        return 2;
    }
    SDB_RET(apply_opt(cfg, &opts[k], val, &exit_now));
    cfg->given |= (uint64_t)1 << k;
    return 0;
}

/*
 * sdb_config_opt_append --
 *     One option's value as getCmdLineOpts shows it.
 */
bool
sdb_config_opt_append(const sdb_config_t *cfg, const char *flag, const char *key, bson_t *out)
{
    int k = find_opt(flag);
    const char *base = (const char *)cfg;

    if (k < 0)
        return false;
    if (strcmp(flag, "tlsCertificateKeyFilePassword") == 0 ||
        strcmp(flag, "initdbRootPassword") == 0) { /* never shown, as mongod */
        BSON_APPEND_UTF8(out, key, "<password>");
        return true;
    }
    switch (opts[k].kind) {
    case OPT_INT:
        BSON_APPEND_INT32(out, key, *(const int *)(base + opts[k].off));
        return true;
    case OPT_STR:
        BSON_APPEND_UTF8(out, key, base + opts[k].off);
        return true;
    case OPT_FLAG:
        BSON_APPEND_BOOL(out, key, *(const bool *)(base + opts[k].off));
        return true;
    default:
        break;
    }
    if (strcmp(flag, "wiredTigerCacheSizeGB") == 0)
        BSON_APPEND_DOUBLE(out, key, (double)cfg->cache_mb / 1024);
    else if (strcmp(flag, "networkMessageCompressors") == 0)
        BSON_APPEND_UTF8(out, key, cfg->compressors);
    else if (strcmp(flag, "bind_ip_all") == 0)
        BSON_APPEND_BOOL(out, key, true);
    else if (strcmp(flag, "logRotate") == 0)
        BSON_APPEND_UTF8(out, key, cfg->log_reopen ? "reopen" : "rename");
    else if (strcmp(flag, "syslogFacility") == 0)
        BSON_APPEND_UTF8(out, key, facility_name(cfg->syslog_facility));
    else if (strcmp(flag, "verbose") == 0)
        BSON_APPEND_INT32(out, key, (int32_t)cfg->log_level);
    else if (strcmp(flag, "profile") == 0)
        BSON_APPEND_INT32(out, key, cfg->profile);
    else if (strcmp(flag, "tlsMode") == 0)
        BSON_APPEND_UTF8(out, key, sdb_tlsopt_mode_name(cfg->tls_mode));
    else if (strcmp(flag, "tlsDisabledProtocols") == 0)
        sdb_tlsopt_protocols_append(cfg->tls_disabled_protocols, key, out);
    else
        return false;
    return true;
}

/*
 * sdb_config_parse --
 *     Parse argv into *cfg; 2 after printing a message for a bad flag.
 */
int
sdb_config_parse(int argc, char **argv, sdb_config_t *cfg, bool *exit_now)
{
    int i;
    size_t k;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *cfg_file, *cfg_text;

    memset(cfg, 0, sizeof(*cfg));
    cfg->port = SDB_DEFAULT_PORT;
    snprintf(cfg->compressors, sizeof(cfg->compressors), "%s", SDB_COMPRESSORS_DEFAULT);
    snprintf(cfg->bind_ip, sizeof(cfg->bind_ip), "127.0.0.1");
    snprintf(cfg->dbpath, sizeof(cfg->dbpath), "./data");
    snprintf(cfg->repl_set, sizeof(cfg->repl_set), "rs0");
    cfg->workers = ncpu > 0 ? (int)ncpu : 2;
    cfg->cache_mb = default_cache_mb();
    cfg->max_conns = SDB_DEFAULT_MAX_CONNS;
    cfg->cursor_timeout_ms = 600000;
    cfg->txn_lifetime_s = 60;
    cfg->snapshot_window_s = 300;
    cfg->session_timeout_min = 30;
    cfg->enable_test_commands = true;
    cfg->ttl_monitor_enabled = true;
    cfg->ttl_sleep_secs = 60;
    cfg->ix_max_active = 3;
    cfg->sort_mem_max = cfg->group_mem_max = 100 * 1024 * 1024;
    cfg->window_mem_max = cfg->densify_mem_max = 100 * 1024 * 1024;
    cfg->allow_disk_default = true;
    cfg->scram_sha256_iters = 15000;
    cfg->scram_sha1_iters = 10000;
    cfg->slow_ms = 100;
    cfg->syslog_facility = LOG_USER;
    memset(cfg->log_comp, -1, sizeof(cfg->log_comp));
    cfg->tls_disabled_protocols = SDB_TLS_PROTO_DEFAULT_OFF;
    cfg->worker_slot = -1;
    cfg->fd_listen = cfg->fd_chan = cfg->fd_wake_master = cfg->fd_wake_worker = -1;
    cfg->fd_global = cfg->fd_death = -1;
    *exit_now = false;
    record_argv(cfg, argc, argv);

    /* the file first, then every flag: a flag overrides the file's key */
    if ((cfg_file = config_file_arg(argc, argv, &cfg_text)) != NULL)
        SDB_RET(sdb_config_yaml_load(cfg, cfg_file, cfg_text));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq;
        char name[64];
        size_t nlen;

        if (strcmp(a, "-f") == 0 && i + 1 < argc) { /* mongod's short --config */
            SDB_RET(sdb_config_apply(cfg, "config", argv[++i]));
            continue;
        }
        if (a[0] == '-' && a[1] == 'v' && a[strspn(a + 1, "v") + 1] == '\0') { /* -vvv */
            SDB_RET(sdb_config_apply(cfg, "verbose", a + 1));
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "secantusdb: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        a += 2;
        eq = strchr(a, '=');
        nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof(name))
            nlen = sizeof(name) - 1;
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (strcmp(opts[k].name, name) == 0)
                break;
        if (k == sizeof(opts) / sizeof(opts[0])) {
            fprintf(stderr, "secantusdb: unrecognised option '--%s'\n", name);
            usage(stderr);
            return 2;
        }
        if (opts[k].arg) {
            if (eq != NULL)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                fprintf(stderr, "secantusdb: option '--%s' needs a value\n", name);
                return 2;
            }
        }
        SDB_RET(apply_opt(cfg, &opts[k], val, exit_now));
        cfg->given |= (uint64_t)1 << k;
        if (*exit_now)
            return 0;
    }
    SDB_RET(initdb_root(cfg)); /* after the flags and the file: the environment fills in */
    if (cfg->syslog && cfg->logpath[0] != '\0') { /* mongod: --logpath means destination file */
        fprintf(stderr, "BadValue: Can only use systemLog.path if systemLog.destination is to a "
                        "file\ntry 'secantusdb --help' for more information\n");
        return 2;
    }
    if (cfg->fork && cfg->logpath[0] == '\0' && !cfg->syslog && cfg->worker_slot < 0) {
        fprintf(stderr, "BadValue: --fork has to be used with --logpath or --syslog\n"
                        "try 'secantusdb --help' for more information\n");
        return 2;
    }
    SDB_RET(sdb_config_check(cfg));
    /* across the TLS options: only once every flag and key is in (a file sets one per key) */
    return sdb_tlsopt_check(cfg);
}

/*
 * sdb_config_check --
 *     The checks across options, after the flags (and after each key of the file).
 */
int
sdb_config_check(const sdb_config_t *cfg)
{
    if (cfg->port < 0 || cfg->port > 65535 || cfg->workers < 1 || cfg->workers > SDB_MAX_WORKERS) {
        fprintf(stderr, "secantusdb: --port must be 0-65535 and --workers 1-%d\n", SDB_MAX_WORKERS);
        return 2;
    }
    if (cfg->max_conns < 5) {
        fprintf(stderr, "BadValue: maxConns has to be at least 5\n"
                        "try 'secantusdb --help' for more information\n");
        return 2;
    }
    if (cfg->oplog_size_mb < 0 || (cfg->oplog_size_mb == 0 && sdb_config_given(cfg, "oplogSize"))) {
        fprintf(stderr, "BadValue: bad --oplogSize, arg must be greater than 0\n"
                        "try 'secantusdb --help' for more information\n");
        return 2;
    }
    return 0;
}

/*
 * sdb_config_conn_limit --
 *     mongod's cap: min(--maxConns, 80 % of the soft descriptor limit).
 */
int64_t
sdb_config_conn_limit(const sdb_config_t *cfg, int64_t *fd_soft)
{
    struct rlimit rl;
    int64_t by_fds = INT64_MAX;

    *fd_soft = -1;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        *fd_soft = (int64_t)rl.rlim_cur;
        by_fds = (int64_t)((double)rl.rlim_cur * 0.8);
    }
    return by_fds < cfg->max_conns ? by_fds : cfg->max_conns;
}

/*
 * sdb_config_worker_argv --
 *     argv for spawning worker `slot`: the user's flags plus --worker and --fds.
 */
char **
sdb_config_worker_argv(const sdb_config_t *cfg, const char *exe, int slot)
{
    bson_t arr;
    bson_iter_t it;
    char **argv;
    size_t n = 0, cap = 8;
    char buf[128];

    argv = bson_malloc0(sizeof(char *) * cap);
    argv[n++] = bson_strdup(exe);
    if (bson_init_from_json(&arr, cfg->argv_json, -1, NULL)) {
        bson_iter_init(&it, &arr);
        if (bson_iter_next(&it)) /* skip argv[0] */
            while (bson_iter_next(&it)) {
                if (n + 6 >= cap) {
                    cap *= 2;
                    argv = bson_realloc(argv, sizeof(char *) * cap);
                }
                argv[n++] = bson_strdup(bson_iter_utf8(&it, NULL));
            }
        bson_destroy(&arr);
    }
    if (n + 8 >= cap) {
        cap += 10;
        argv = bson_realloc(argv, sizeof(char *) * cap);
    }
    if (cfg->config_path[0] != '\0') { /* the file as the master read it */
        argv[n++] = bson_strdup("--configText");
        argv[n++] = bson_strdup(cfg->config_text);
    }
    argv[n++] = bson_strdup("--worker");
    snprintf(buf, sizeof(buf), "%d", slot);
    argv[n++] = bson_strdup(buf);
    argv[n++] = bson_strdup("--fds");
    snprintf(buf, sizeof(buf), "%d,%d,%d,%d,%d,%d", cfg->fd_listen, cfg->fd_chan,
             cfg->fd_wake_master, cfg->fd_wake_worker, cfg->fd_global, cfg->fd_death);
    argv[n++] = bson_strdup(buf);
    argv[n] = NULL;
    return argv;
}

/*
 * sdb_config_free_argv --
 *     Free an argv built by sdb_config_worker_argv.
 */
void
sdb_config_free_argv(char **argv)
{
    size_t i;

    for (i = 0; argv[i] != NULL; i++)
        bson_free(argv[i]);
    bson_free(argv);
}
