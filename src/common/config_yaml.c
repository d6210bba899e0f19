/*
 * src/common/config_yaml.c -- mongod's YAML configuration file, as one table of keys.
 *
 * libyaml loads the file into a document tree; a walk over its mappings builds each key's
 * dotted path (net.port) and looks it up in `keys` below, which names the long option of
 * config.c's table the key sets and how its YAML value becomes that option's argument (as
 * is, a switch, one of two words, a translated word).  The option then parses and checks
 * the value exactly as it does on the command line; config.c applies the flags after the
 * file, so a flag overrides its key.  setParameter is a map whose entries go through
 * --setParameter, systemLog.component a tree whose `verbosity` leaves go through
 * --logComponentVerbosity.  Each feature's flags get their keys as rows here (net.tls.* beside
 * its --tls* flags).  Anything else is refused with mongod's words, the key and its line,
 * and exit code 2: an unknown key, a wrong type, a bad value, a duplicate key, malformed
 * YAML, the __rest / __exec expansion directives (mongod's --configExpand, which we lack).
 *
 * getCmdLineOpts' `parsed` comes from the same table: every option given, at the path of
 * its first row, nested and sorted as mongod's option environment prints them.
 *
 * The master reads the file once and keeps its text (sdb_config_t.config_text); it spawns
 * each worker with that text (--configText), so a worker started later, after a respawn, runs
 * with the master's configuration even when the file was edited or removed meanwhile.
 *
 * Invariants: start-up only (main thread) for loading; reading the table is pure.
 */
#include "config_yaml.h"

#include "sdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum {
    Y_INT,       /* an integer, passed as text */
    Y_DOUBLE,    /* a number, passed as text */
    Y_STR,       /* any scalar, passed as text */
    Y_SWITCH,    /* true sets the flag, false leaves it unset (mongod's Switch) */
    Y_CHOICE,    /* the word `on` sets the flag, the word `off` leaves it unset */
    Y_WORDS,     /* a word translated by `on` ("off=0,slowOp=1,all=2") into the value */
    Y_NOOP,      /* a boolean with no effect, as on mongod 7.0 */
    Y_ONLY,      /* only the word `on` is accepted: what we always do */
    Y_PARAMS,    /* a map of --setParameter name: value */
    Y_COMPONENTS /* a tree of log components with `verbosity` leaves */
} ykind_t;

typedef struct ykey {
    const char *path; /* dotted YAML path */
    const char *flag; /* the long option of config.c it sets (NULL for Y_NOOP) */
    ykind_t kind;
    const char *on, *off; /* Y_CHOICE: the two words; Y_WORDS: the translation */
} ykey_t;

static const ykey_t keys[] = {
    {"net.port", "port", Y_INT, NULL, NULL},
    {"net.bindIp", "bind_ip", Y_STR, NULL, NULL},
    {"net.bindIpAll", "bind_ip_all", Y_SWITCH, NULL, NULL},
    {"net.maxIncomingConnections", "maxConns", Y_INT, NULL, NULL},
    {"net.compression.compressors", "networkMessageCompressors", Y_STR, NULL, NULL},
    {"net.tls.mode", "tlsMode", Y_STR, NULL, NULL},
    {"net.tls.certificateKeyFile", "tlsCertificateKeyFile", Y_STR, NULL, NULL},
    {"net.tls.certificateKeyFilePassword", "tlsCertificateKeyFilePassword", Y_STR, NULL, NULL},
    {"net.tls.CAFile", "tlsCAFile", Y_STR, NULL, NULL},
    {"net.tls.CRLFile", "tlsCRLFile", Y_STR, NULL, NULL},
    {"net.tls.allowConnectionsWithoutCertificates", "tlsAllowConnectionsWithoutCertificates",
     Y_SWITCH, NULL, NULL},
    {"net.tls.allowInvalidCertificates", "tlsAllowInvalidCertificates", Y_SWITCH, NULL, NULL},
    {"net.tls.allowInvalidHostnames", "tlsAllowInvalidHostnames", Y_SWITCH, NULL, NULL},
    {"net.tls.disabledProtocols", "tlsDisabledProtocols", Y_STR, NULL, NULL},
    {"storage.dbPath", "dbpath", Y_STR, NULL, NULL},
    {"storage.engine", "storageEngine", Y_STR, NULL, NULL},
    {"storage.wiredTiger.engineConfig.cacheSizeGB", "wiredTigerCacheSizeGB", Y_DOUBLE, NULL, NULL},
    {"storage.journal.enabled", NULL, Y_NOOP, NULL, NULL},
    {"systemLog.destination", "syslog", Y_CHOICE, "syslog", "file"},
    {"systemLog.path", "logpath", Y_STR, NULL, NULL},
    {"systemLog.timeStampFormat", NULL, Y_ONLY, "iso8601-utc", NULL},
    {"systemLog.logAppend", "logappend", Y_SWITCH, NULL, NULL},
    {"systemLog.logRotate", "logRotate", Y_STR, NULL, NULL},
    {"systemLog.verbosity", "verbose", Y_INT, NULL, NULL},
    {"systemLog.quiet", "quiet", Y_SWITCH, NULL, NULL},
    {"systemLog.component", "logComponentVerbosity", Y_COMPONENTS, NULL, NULL},
    {"systemLog.syslogFacility", "syslogFacility", Y_STR, NULL, NULL},
    {"security.authorization", "auth", Y_CHOICE, "enabled", "disabled"},
    {"security.keyFile", "keyFile", Y_STR, NULL, NULL},
    {"security.javascriptEnabled", "noscripting", Y_CHOICE, "false", "true"},
    {"replication.replSetName", "replSet", Y_STR, NULL, NULL},
    {"replication.oplogSizeMB", "oplogSize", Y_INT, NULL, NULL},
    {"processManagement.pidFilePath", "pidfilepath", Y_STR, NULL, NULL},
    {"processManagement.fork", "fork", Y_SWITCH, NULL, NULL},
    {"processManagement.timeZoneInfo", "timeZoneInfo", Y_STR, NULL, NULL},
    {"operationProfiling.mode", "profile", Y_WORDS, "off=0,slowOp=1,all=2", NULL},
    {"operationProfiling.slowOpThresholdMs", "slowms", Y_INT, NULL, NULL},
    {"setParameter", "setParameter", Y_PARAMS, NULL, NULL},
    /* our own keys: the flags mongod does not have */
    {"secantusdb.workers", "workers", Y_INT, NULL, NULL},
    {"secantusdb.initdbRootUsername", "initdbRootUsername", Y_STR, NULL, NULL},
    {"secantusdb.initdbRootPassword", "initdbRootPassword", Y_STR, NULL, NULL},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

typedef struct ywalk {
    sdb_config_t *cfg;
    const char *file;
    yaml_document_t *doc;
} ywalk_t;

static size_t
line_of(const yaml_node_t *n)
{
    return n->start_mark.line + 1;
}

/* refuse -- print mongod's reason with where it is, and the exit code 2. */
static int
refuse(const ywalk_t *w, size_t line, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "Error parsing YAML config file %s at line %zu: ", w->file, line);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\ntry 'secantusdb --help' for more information\n");
    return 2;
}

static const char *
scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* apply -- set the row's option from text; a refusal names the key and line too. */
static int
apply(const ywalk_t *w, const char *flag, const char *path, const char *val, size_t line)
{
    int ret = sdb_config_apply(w->cfg, flag, val);

    if (ret == 0 && (ret = sdb_config_check(w->cfg)) == 0)
        return 0;
    if (ret < 0) /* a row naming no option: a defect of the table */
        return refuse(w, line, "option %s maps to an unknown flag --%s", path, flag);
    return refuse(w, line, "Bad value for option: %s%s", path, "");
}

static bool
is_int(const char *s)
{
    char *end;

    if (*s == '\0')
        return false;
    (void)strtoll(s, &end, 10);
    return *end == '\0';
}

static bool
is_number(const char *s)
{
    char *end;

    if (*s == '\0')
        return false;
    (void)strtod(s, &end);
    return *end == '\0';
}

/* translate -- Y_WORDS: the value `word` stands for in "a=0,b=1", into out. */
static bool
translate(const char *words, const char *word, char *out, size_t len)
{
    size_t wl = strlen(word);
    const char *p = words;

    while (p != NULL && *p != '\0') {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        if (eq == NULL)
            return false;
        if ((size_t)(eq - p) == wl && strncmp(p, word, wl) == 0) {
            size_t vl = comma != NULL ? (size_t)(comma - eq - 1) : strlen(eq + 1);
            snprintf(out, len, "%.*s", (int)vl, eq + 1);
            return true;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

/* leaf -- one scalar value for row k. */
static int
leaf(const ywalk_t *w, const ykey_t *k, const yaml_node_t *v)
{
    const char *s = scalar(v);
    char mapped[32];
    size_t line = line_of(v);

    switch (k->kind) {
    case Y_INT:
        if (!is_int(s))
            return refuse(w, line, "Error parsing option \"%s\" as int in config file: %s", k->path,
                          "not an integer");
        return apply(w, k->flag, k->path, s, line);
    case Y_DOUBLE:
        if (!is_number(s))
            return refuse(w, line, "Error parsing option \"%s\" as double in config file: %s",
                          k->path, "not a number");
        return apply(w, k->flag, k->path, s, line);
    case Y_STR:
        return apply(w, k->flag, k->path, s, line);
    case Y_SWITCH:
    case Y_NOOP:
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return refuse(w, line, "Expected boolean switch but found string: %s for option: %s", s,
                          k->path);
        return k->kind == Y_SWITCH && strcmp(s, "true") == 0
                   ? apply(w, k->flag, k->path, NULL, line)
                   : 0;
    case Y_CHOICE:
        if (strcmp(s, k->on) == 0)
            return apply(w, k->flag, k->path, NULL, line);
        if (strcmp(s, k->off) == 0)
            return 0;
        return refuse(w, line, "Bad value for option %s: %s", k->path, s);
    case Y_ONLY:
        if (strcmp(s, k->on) != 0)
            return refuse(w, line, "Bad value for option %s: %s", k->path, s);
        return 0;
    case Y_WORDS:
        if (!translate(k->on, s, mapped, sizeof(mapped)))
            return refuse(w, line, "Bad value for option %s: %s", k->path, s);
        return apply(w, k->flag, k->path, mapped, line);
    default:
        return refuse(w, line, "Option: %s is a map, but value in YAML config is not a map%s",
                      k->path, "");
    }
}

static int walk_map(const ywalk_t *w, const yaml_node_t *map, const char *prefix);

/* params -- setParameter: {name: scalar, ...} through --setParameter name=value. */
static int
params(const ywalk_t *w, const ykey_t *k, const yaml_node_t *map)
{
    yaml_node_pair_t *p;
    char arg[1024];

    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(w->doc, p->value);
        if (kn->type != YAML_SCALAR_NODE || vn->type != YAML_SCALAR_NODE)
            return refuse(w, line_of(kn),
                          "Option: %s has a map with non scalar values, which is not allowed%s",
                          k->path, "");
        snprintf(arg, sizeof(arg), "%s=%s", scalar(kn), scalar(vn));
        SDB_RET(apply(w, k->flag, k->path, arg, line_of(vn)));
    }
    return 0;
}

/* components -- systemLog.component: nested names whose `verbosity` leaf sets that component
 * (storage: {verbosity: 2, journal: {verbosity: 1}}). */
static int
components(const ywalk_t *w, const ykey_t *k, const yaml_node_t *map, const char *name)
{
    yaml_node_pair_t *p;
    char sub[128], arg[160];

    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(w->doc, p->value);
        const char *key = kn->type == YAML_SCALAR_NODE ? scalar(kn) : "";
        if (strcmp(key, "verbosity") == 0 && name[0] != '\0' && vn->type == YAML_SCALAR_NODE) {
            if (!is_int(scalar(vn)))
                return refuse(w, line_of(vn),
                              "Error parsing option \"%s\" as int in config file: %s",
                              "systemLog.component verbosity", scalar(vn));
            snprintf(arg, sizeof(arg), "%s=%s", name, scalar(vn));
            SDB_RET(apply(w, k->flag, k->path, arg, line_of(vn)));
            continue;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", name, name[0] != '\0' ? "." : "", key);
        if (vn->type != YAML_MAPPING_NODE || sdb_log_component(sub) <= 0)
            return refuse(w, line_of(kn), "Unrecognized option: %s.%s", k->path, sub);
        SDB_RET(components(w, k, vn, sub));
    }
    return 0;
}

/* row -- the table row of a path, or NULL. */
static const ykey_t *
row(const char *path)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].path, path) == 0)
            return &keys[i];
    return NULL;
}

/* value -- the value node of key `path` (its line for errors at kn). */
static int
value(const ywalk_t *w, const char *path, const yaml_node_t *kn, const yaml_node_t *vn)
{
    const ykey_t *k = row(path);

    if (k != NULL && (k->kind == Y_PARAMS || k->kind == Y_COMPONENTS)) {
        if (vn->type != YAML_MAPPING_NODE)
            return refuse(w, line_of(vn),
                          "Option: %s is of type StringMap, but value in YAML config is not a "
                          "map type%s",
                          path, "");
        return k->kind == Y_PARAMS ? params(w, k, vn) : components(w, k, vn, "");
    }
    if (vn->type == YAML_MAPPING_NODE) /* a section: net, storage... or an unknown key */
        return walk_map(w, vn, path);
    if (k == NULL)
        return refuse(w, line_of(kn), "Unrecognized option: %s%s", path, "");
    if (vn->type != YAML_SCALAR_NODE)
        return refuse(w, line_of(vn),
                      "Option: %s takes one value, but value in YAML config is "
                      "a list%s",
                      path, "");
    return leaf(w, k, vn);
}

/* walk_map -- every key of one mapping, under `prefix`. */
static int
walk_map(const ywalk_t *w, const yaml_node_t *map, const char *prefix)
{
    yaml_node_pair_t *p, *q;
    char path[512];

    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(w->doc, p->value);
        const char *key;
        if (kn->type != YAML_SCALAR_NODE || scalar(kn)[0] == '\0')
            return refuse(w, line_of(kn), "Found empty key in YAML config file%s%s", "", "");
        key = scalar(kn);
        if (strcmp(key, "__rest") == 0 || strcmp(key, "__exec") == 0)
            return refuse(w, line_of(kn),
                          "the %s expansion directive is not supported (mongod's "
                          "--configExpand; SecantusDB reads plain values only): %s",
                          key, prefix[0] != '\0' ? prefix : "(top level)");
        for (q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *prev = yaml_document_get_node(w->doc, q->key);
            if (prev->type == YAML_SCALAR_NODE && strcmp(scalar(prev), key) == 0)
                return refuse(w, line_of(kn), "Duplicate key in YAML config file: %s%s", key, "");
        }
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", key);
        SDB_RET(value(w, path, kn, vn));
    }
    return 0;
}

/* read_all -- the file's bytes into cfg->config_text (the copy workers are given). */
static int
read_all(sdb_config_t *cfg, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "Error reading config file: %s: %s\n", path, strerror(errno));
        return 2;
    }
    n = fread(cfg->config_text, 1, sizeof(cfg->config_text), f);
    fclose(f);
    if (n == sizeof(cfg->config_text) || memchr(cfg->config_text, '\0', n) != NULL) {
        fprintf(stderr, "Error reading config file: %s: larger than %zu bytes or not text\n", path,
                sizeof(cfg->config_text) - 1);
        return 2;
    }
    cfg->config_text[n] = '\0';
    return 0;
}

/*
 * sdb_config_yaml_load --
 *     Read mongod's YAML configuration file into *cfg.
 */
int
sdb_config_yaml_load(sdb_config_t *cfg, const char *path, const char *text)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    ywalk_t w = {cfg, path, &doc};
    int ret = 0;

    if (text == NULL) {
        SDB_RET(read_all(cfg, path));
        text = cfg->config_text;
    } else if (text != cfg->config_text) {
        snprintf(cfg->config_text, sizeof(cfg->config_text), "%s", text);
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr,
                "Error parsing YAML config file %s at line %zu, column %zu: %s%s%s\n"
                "try 'secantusdb --help' for more information\n",
                path, parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                parser.problem != NULL ? parser.problem : "malformed YAML",
                parser.context != NULL ? " " : "", parser.context != NULL ? parser.context : "");
        yaml_parser_delete(&parser);
        return 2;
    }
    root = yaml_document_get_root_node(&doc);
    if (root != NULL && root->type != YAML_MAPPING_NODE &&
        !(root->type == YAML_SCALAR_NODE && scalar(root)[0] == '\0'))
        ret = refuse(&w, line_of(root), "%s%s", "the file is not a map of options", "");
    else if (root != NULL && root->type == YAML_MAPPING_NODE)
        ret = walk_map(&w, root, "");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return ret;
}

/* ---- getCmdLineOpts' parsed ----------------------------------------------------------- */

typedef struct item {
    char path[192];
    const ykey_t *k; /* NULL: "config" */
    int comp;        /* Y_COMPONENTS: the component */
} item_t;

static int
by_path(const void *a, const void *b)
{
    return strcmp(((const item_t *)a)->path, ((const item_t *)b)->path);
}

/* untranslate -- Y_WORDS backwards: append the word standing for `num` in "a=0,b=1". */
static bool
untranslate(const char *words, const char *num, const char *key, bson_t *out)
{
    const char *p = words;

    while (p != NULL && *p != '\0') {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        size_t vl;
        if (eq == NULL)
            return false;
        vl = comma != NULL ? (size_t)(comma - eq - 1) : strlen(eq + 1);
        if (vl == strlen(num) && strncmp(eq + 1, num, vl) == 0) {
            bson_append_utf8(out, key, -1, p, (int)(eq - p));
            return true;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

/* put -- one leaf value, typed as mongod's option is. */
static void
put(const sdb_config_t *cfg, const item_t *it, const char *key, bson_t *out)
{
    size_t i, n;
    const sdb_param_t *p;
    bson_t sub;
    char word[32];

    if (it->k == NULL) {
        BSON_APPEND_UTF8(out, key, cfg->config_path);
        return;
    }
    switch (it->k->kind) {
    case Y_PARAMS:
        p = sdb_config_params(&n);
        BSON_APPEND_DOCUMENT_BEGIN(out, key, &sub);
        for (i = 0; i < n; i++)
            if (cfg->params_given & (1u << i))
                sdb_config_param_append(cfg, NULL, &p[i], &sub, true);
        bson_append_document_end(out, &sub);
        return;
    case Y_COMPONENTS:
        BSON_APPEND_INT32(out, key, cfg->log_comp[it->comp]);
        return;
    case Y_CHOICE:
        if (strcmp(it->k->on, "true") == 0 || strcmp(it->k->on, "false") == 0)
            BSON_APPEND_BOOL(out, key, strcmp(it->k->on, "true") == 0);
        else
            BSON_APPEND_UTF8(out, key, it->k->on);
        return;
    case Y_WORDS: /* the word whose number the option holds */
        snprintf(word, sizeof(word), "%d", cfg->profile);
        if (untranslate(it->k->on, word, key, out))
            return;
        BSON_APPEND_UTF8(out, key, word);
        return;
    default:
        sdb_config_opt_append(cfg, it->k->flag, key, out);
    }
}

/* first_row -- whether k is the first row setting its flag (where getCmdLineOpts shows it). */
static bool
first_row(const ykey_t *k)
{
    const ykey_t *e;

    for (e = keys; e < k; e++)
        if (e->flag != NULL && strcmp(e->flag, k->flag) == 0)
            return false;
    return true;
}

/* emit -- items[0..n) share the first `skip` characters of their paths: nest the rest. */
static void
emit(const sdb_config_t *cfg, const item_t *items, size_t n, size_t skip, bson_t *out)
{
    size_t i = 0;

    while (i < n) {
        const char *name = items[i].path + skip;
        size_t len = strcspn(name, "."), j = i + 1;
        char key[192];
        bson_t sub;

        while (j < n && strncmp(items[j].path + skip, name, len) == 0 &&
               (items[j].path[skip + len] == '.' || items[j].path[skip + len] == '\0'))
            j++;
        snprintf(key, sizeof(key), "%.*s", (int)len, name);
        if (name[len] == '\0') {
            put(cfg, &items[i], key, out);
        } else {
            BSON_APPEND_DOCUMENT_BEGIN(out, key, &sub);
            emit(cfg, items + i, j - i, skip + len + 1, &sub);
            bson_append_document_end(out, &sub);
        }
        i = j;
    }
}

/* collect -- the given options as items; returns how many (at most max). */
static size_t
collect(const sdb_config_t *cfg, item_t *items, size_t max)
{
    size_t i, n = 0;
    int c;

    if (cfg->config_path[0] != '\0') {
        snprintf(items[n].path, sizeof(items[n].path), "config");
        items[n++].k = NULL;
    }
    for (i = 0; i < NKEYS && n < max; i++) {
        const ykey_t *k = &keys[i];
        if (k->flag == NULL || !first_row(k) || !sdb_config_given(cfg, k->flag))
            continue;
        if (k->kind == Y_PARAMS && cfg->params_given == 0)
            continue;
        if (k->kind != Y_COMPONENTS) {
            snprintf(items[n].path, sizeof(items[n].path), "%s", k->path);
            items[n++].k = k;
            continue;
        }
        for (c = 1; c < SDB_LOG_NCOMP && n < max; c++)
            if (cfg->log_comp[c] >= 0) {
                snprintf(items[n].path, sizeof(items[n].path), "%s.%s.verbosity", k->path,
                         sdb_log_component_name(c));
                items[n].k = k;
                items[n++].comp = c;
            }
    }
    return n;
}

/*
 * sdb_config_yaml_parsed --
 *     getCmdLineOpts' parsed: every option given, nested at its YAML path.
 */
void
sdb_config_yaml_parsed(const sdb_config_t *cfg, bson_t *parsed)
{
    item_t items[NKEYS + SDB_LOG_NCOMP + 1];
    size_t n;

    memset(items, 0, sizeof(items));
    n = collect(cfg, items, sizeof(items) / sizeof(items[0]));
    qsort(items, n, sizeof(items[0]), by_path);
    emit(cfg, items, n, 0, parsed);
}
