/*
 * src/worker/cmd/parameters.c -- getParameter and setParameter.
 *
 * getParameter answers a few fixed facts (featureCompatibilityVersion, ...) and every row of
 * the server parameter table (common/config.h) with the value in force: the live one the
 * master publishes in the global segment for a runtime-settable parameter, else the start-up
 * value.  setParameter checks the whole command first as mongod does (an unknown name 72, a
 * start-up-only one 20 IllegalOperation, a name given twice 72), then sets the parameters in
 * name order, coercing each value as mongod's server parameters do (a number or a numeric
 * string for integers, any value's truth for booleans: 2 BadValue otherwise) and asking the
 * master (SET_PARAMETER), which checks the bounds and publishes the value: every worker sees
 * it at once.  The reply's `was` is the first parameter's previous value.
 * logComponentVerbosity is a document ({verbosity, storage: {verbosity, journal: {...}}}):
 * flattened to dotted component names and sent to the master in one SET_PARAMETER (its top
 * verbosity is logLevel).  {getParameter: {allParameters, showDetails}} answers every
 * parameter, each as {value, settableAtRuntime, settableAtStartup} with showDetails.
 *
 * Invariants: event-loop thread.
 */
#include "../../common/bsoncmp.h"
#include "../../common/config.h"
#include "../../common/global.h"
#include "../../common/log.h"
#include "../../common/storeop.h"
#include "../command.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*param_fn)(bson_t *r, const char *name);

static void
param_fcv(bson_t *r, const char *name)
{
    bson_t d;

    BSON_APPEND_DOCUMENT_BEGIN(r, name, &d);
    BSON_APPEND_UTF8(&d, "version", "7.0");
    bson_append_document_end(r, &d);
}

static void
param_auth_mechs(bson_t *r, const char *name)
{
    bson_t a;

    BSON_APPEND_ARRAY_BEGIN(r, name, &a);
    bson_append_array_end(r, &a);
}

static void
param_session_timeout(bson_t *r, const char *name)
{
    BSON_APPEND_INT32(r, name, 30);
}

static void
param_max_bson(bson_t *r, const char *name)
{
    BSON_APPEND_INT32(r, name, 16777216);
}

/* logComponentVerbosity: {verbosity: logLevel, <component>: {verbosity, <child>: {...}}}, the
 * live levels (-1: the parent's). */
static void
components_under(bson_t *r, const char *parent)
{
    size_t plen = strlen(parent);
    int i;

    for (i = 1; i < SDB_LOG_NCOMP; i++) {
        const char *name = sdb_log_component_name(i), *rest = name;
        bson_t d;
        if (plen > 0 && (strncmp(name, parent, plen) != 0 || name[plen] != '.'))
            continue;
        rest = plen > 0 ? name + plen + 1 : name;
        if (strchr(rest, '.') != NULL)
            continue; /* a grandchild: under its own parent */
        BSON_APPEND_DOCUMENT_BEGIN(r, rest, &d);
        BSON_APPEND_INT32(&d, "verbosity", (int32_t)atomic_load(&wk_global->log.comp[i]));
        components_under(&d, name);
        bson_append_document_end(r, &d);
    }
}

static void
param_log_components(bson_t *r, const char *name)
{
    bson_t d;

    BSON_APPEND_DOCUMENT_BEGIN(r, name, &d);
    BSON_APPEND_INT32(&d, "verbosity", (int32_t)atomic_load(&wk_global->log.level));
    components_under(&d, "");
    bson_append_document_end(r, &d);
}

static const struct {
    const char *name;
    param_fn fn;
    bool runtime; /* set by the setParameter command (below), not the table */
} params[] = {
    {"featureCompatibilityVersion", param_fcv, false},
    {"authenticationMechanisms", param_auth_mechs, false},
    {"localLogicalSessionTimeoutMinutes", param_session_timeout, false},
    {"maxBSONDepth", param_max_bson, false},
    {"logComponentVerbosity", param_log_components, true},
};

/* get_options -- {getParameter: {allParameters?, showDetails?}}: mongod's IDL options. */
static int
get_options(wk_cmd_t *cmd, const bson_iter_t *first, bool *all, bool *details)
{
    bson_iter_t o;

    bson_iter_recurse(first, &o);
    while (bson_iter_next(&o)) {
        const char *k = bson_iter_key(&o);
        if (strcmp(k, "allParameters") == 0)
            *all = wk_cmdu_truthy(&o);
        else if (strcmp(k, "showDetails") == 0)
            *details = wk_cmdu_truthy(&o);
        else
            return sdb_error_set(&cmd->err, SDB_CODE_Location40415,
                                 "BSON field 'getParameter.%s' is an unknown field.", k);
    }
    return 0;
}

/* put -- one parameter's value from `fill` (appending under the given key), plain or, with
 * showDetails, as {value, settableAtRuntime, settableAtStartup}. */
static void
put_details(bson_t *reply, const char *name, const bson_t *one, bool runtime, bool startup)
{
    bson_iter_t v;
    bson_t d;

    if (!bson_iter_init(&v, one) || !bson_iter_next(&v))
        return;
    BSON_APPEND_DOCUMENT_BEGIN(reply, name, &d);
    bson_append_iter(&d, "value", 5, &v);
    BSON_APPEND_BOOL(&d, "settableAtRuntime", runtime);
    BSON_APPEND_BOOL(&d, "settableAtStartup", startup);
    bson_append_document_end(reply, &d);
}

/*
 * wk_cmd_get_parameter --
 *     {getParameter: 1, name: 1} or {getParameter: "*"}: the fixed facts above and the
 *     --setParameter table (config.h) with the values this server runs with.
 */
int
wk_cmd_get_parameter(wk_cmd_t *cmd)
{
    bson_iter_t it, f;
    size_t i, n, found = 0;
    const sdb_param_t *set = sdb_config_params(&n);
    bool all = false, details = false;
    bson_t one;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "*") == 0)
        all = true;
    else if (BSON_ITER_HOLDS_DOCUMENT(&it))
        SDB_RET(get_options(cmd, &it, &all, &details));
    for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (all || bson_iter_init_find(&f, cmd->body, params[i].name)) {
            bson_init(&one);
            params[i].fn(details ? &one : cmd->reply, params[i].name);
            if (details)
                put_details(cmd->reply, params[i].name, &one, params[i].runtime, params[i].runtime);
            bson_destroy(&one);
            found++;
        }
    for (i = 0; i < n; i++)
        if (all || bson_iter_init_find(&f, cmd->body, set[i].name)) {
            bson_init(&one);
            sdb_config_param_append(wk_cfg, wk_global, &set[i], details ? &one : cmd->reply, false);
            if (details)
                put_details(cmd->reply, set[i].name, &one, set[i].live != 0, true);
            bson_destroy(&one);
            found++;
        }
    if (found == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "no option found to get");
    return 0;
}

/* ---- setParameter ---------------------------------------------------------------------- */

/* fixed -- one of getParameter's fixed facts: 1 settable at start-up only (if at all), 2 at
 * runtime by its own code (logComponentVerbosity), 0 not one of them. */
static int
fixed(const char *name)
{
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (strcmp(params[i].name, name) == 0)
            return params[i].runtime ? 2 : 1;
    return 0;
}

/* value_text -- an element's value as mongod prints it in a message (caller frees). */
static char *
value_text(const bson_iter_t *it)
{
    bson_t one = BSON_INITIALIZER;
    char *json, *v, *out;
    size_t n;

    bson_append_iter(&one, "v", 1, it);
    json = bson_as_relaxed_extended_json(&one, NULL); /* { "v" : value } */
    bson_destroy(&one);
    v = json != NULL ? strstr(json, "\" : ") : NULL;
    if (v == NULL) {
        bson_free(json);
        return bson_strdup("?");
    }
    v += 4;
    n = strlen(v);
    out = bson_strndup(v, n >= 2 ? n - 2 : n);
    bson_free(json);
    return out;
}

/* coerce -- the value at `it` as parameter p holds it (BSONElement::coerce): any value's truth
 * for a boolean, a number or a decimal string for an integer. */
static int
coerce(wk_cmd_t *cmd, const sdb_param_t *p, const bson_iter_t *it, int64_t *v)
{
    const char *s;
    char *end, *text;
    bool nan;
    int ret;

    if (p->type == SDB_PARAM_BOOL) {
        *v = wk_cmdu_truthy(it) ? 1 : 0;
        return 0;
    }
    if (sdb_bson_safe_long(it, v, &nan))
        return 0;
    if (BSON_ITER_HOLDS_UTF8(it)) {
        s = bson_iter_utf8(it, NULL);
        errno = 0;
        *v = strtoll(s, &end, 10);
        if (*s != '\0' && *end == '\0' && errno == 0 && s[0] != ' ')
            return 0;
    }
    text = value_text(it);
    ret = sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Invalid value for parameter %s: %s: %s",
                        p->name, p->name, text);
    bson_free(text);
    return ret;
}

/* twice -- mongod's error for a parameter given twice (first at `prev`, again at `it`). */
static int
twice(wk_cmd_t *cmd, const bson_iter_t *prev, const bson_iter_t *it)
{
    char *a = value_text(prev), *b = value_text(it);
    int ret = sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                            "attempted to set parameter [%s] twice in the same setParameter "
                            "command, once to value: [%s], and once to value: [%s]",
                            bson_iter_key(it), a, b);

    bson_free(a);
    bson_free(b);
    return ret;
}

/* check_names -- mongod's first pass: every field names a runtime-settable parameter, once. */
static int
check_names(wk_cmd_t *cmd)
{
    const sdb_param_t *p;
    bson_iter_t it, prev;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (wk_cmdu_is_generic(k))
            continue;
        p = sdb_config_param_find(k, strlen(k));
        if (p == NULL && fixed(k) == 0)
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "attempted to set unrecognized parameter [%s], use help:true to "
                                 "see options ",
                                 k);
        if (fixed(k) != 2 && (p == NULL || p->live == 0))
            return sdb_error_set(&cmd->err, SDB_CODE_IllegalOperation,
                                 "not allowed to change [%s] at runtime", k);
        bson_iter_init(&prev, cmd->body);
        while (bson_iter_next(&prev) && bson_iter_key(&prev) != k)
            if (strcmp(bson_iter_key(&prev), k) == 0)
                return twice(cmd, &prev, &it);
    }
    return 0;
}

/* set_one -- coerce and send one parameter; the first one's old value is the reply's was. */
static int
set_one(wk_cmd_t *cmd, const sdb_param_t *p, const bson_iter_t *it, bool first)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t was;
    int64_t v = 0;
    int ret = 0;

    SDB_ERR(coerce(cmd, p, it, &v));
    BSON_APPEND_UTF8(&req, "name", p->name);
    BSON_APPEND_INT64(&req, "value", v);
    SDB_ERR(wk_cmdu_store(SDB_OP_SET_PARAMETER, &req, &reply, &cmd->err));
    if (first && bson_iter_init_find(&was, &reply, "was"))
        sdb_config_param_append_value(p, bson_iter_as_int64(&was), "was", cmd->reply, false);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* flatten -- {verbosity, storage: {verbosity, journal: {...}}} into {"storage": n,
 * "storage.journal": n} (components) and the top verbosity into *level (-2: none). */
static int
flatten(wk_cmd_t *cmd, const bson_iter_t *doc, const char *prefix, bson_t *components,
        int64_t *level)
{
    bson_iter_t c;
    char name[128];
    int64_t v;
    bool nan;

    bson_iter_recurse(doc, &c);
    while (bson_iter_next(&c)) {
        const char *k = bson_iter_key(&c);
        snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", k);
        if (strcmp(k, "verbosity") == 0) {
            if (!sdb_bson_safe_long(&c, &v, &nan) || v < -1 || v > 5 ||
                (prefix[0] == '\0' && v < 0))
                return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                     "Invalid verbosity value for component %s",
                                     prefix[0] ? prefix : "default");
            if (prefix[0] == '\0')
                *level = v;
            else
                BSON_APPEND_INT64(components, prefix, v);
        } else if (BSON_ITER_HOLDS_DOCUMENT(&c) && sdb_log_component(name) > 0) {
            SDB_RET(flatten(cmd, &c, name, components, level));
        } else if (BSON_ITER_HOLDS_NUMBER(&c) && sdb_log_component(name) > 0) {
            if (!sdb_bson_safe_long(&c, &v, &nan) || v < -1 || v > 5)
                return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                     "Invalid verbosity value for component %s", name);
            BSON_APPEND_INT64(components, name, v);
        } else {
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Invalid component name %s", name);
        }
    }
    return 0;
}

/* set_components -- setParameter logComponentVerbosity: the levels, then logLevel if given. */
static int
set_components(wk_cmd_t *cmd, const bson_iter_t *it, bool report_was)
{
    bson_t req = BSON_INITIALIZER, comps = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    int64_t level = -2;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Invalid value for parameter logComponentVerbosity: it must be an "
                             "object");
    SDB_ERR(flatten(cmd, it, "", &comps, &level));
    if (report_was) {
        param_log_components(cmd->reply, "was");
    }
    BSON_APPEND_UTF8(&req, "name", "logComponentVerbosity");
    BSON_APPEND_DOCUMENT(&req, "components", &comps);
    SDB_ERR(wk_cmdu_store(SDB_OP_SET_PARAMETER, &req, &reply, &cmd->err));
    if (level >= 0) {
        bson_reinit(&req);
        bson_destroy(&reply);
        BSON_APPEND_UTF8(&req, "name", "logLevel");
        BSON_APPEND_INT64(&req, "value", level);
        SDB_ERR(wk_cmdu_store(SDB_OP_SET_PARAMETER, &req, &reply, &cmd->err));
    }
err:
    bson_destroy(&req);
    bson_destroy(&comps);
    bson_destroy(&reply);
    return ret;
}

typedef struct given {
    const sdb_param_t *p;
    bson_iter_t it;
} given_t;

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const given_t *)a)->p->name, ((const given_t *)b)->p->name);
}

/*
 * wk_cmd_set_parameter --
 *     {setParameter: 1, <name>: <value>...} -> {was: <first one's old value>}.
 */
int
wk_cmd_set_parameter(wk_cmd_t *cmd)
{
    size_t i, n, ng = 0;
    const sdb_param_t *p = sdb_config_params(&n);
    given_t *g = bson_malloc0((n + 1) * sizeof(*g));
    bson_iter_t comp;
    size_t comps = 0;
    int ret = 0;

    SDB_ERR(check_names(cmd));
    for (i = 0; i < n; i++)
        if (p[i].live != 0 && bson_iter_init_find(&g[ng].it, cmd->body, p[i].name))
            g[ng++].p = &p[i];
    qsort(g, ng, sizeof(*g), by_name); /* mongod sets them in name order (a std::map) */
    if (bson_iter_init_find(&comp, cmd->body, "logComponentVerbosity")) {
        SDB_ERR(set_components(cmd, &comp, ng == 0));
        comps = 1;
    }
    for (i = 0; i < ng; i++)
        SDB_ERR(set_one(cmd, g[i].p, &g[i].it, i == 0));
    if (ng + comps == 0)
        ret = sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                            "no option found to set, use help:true to see options ");
err:
    bson_free(g);
    return ret;
}
