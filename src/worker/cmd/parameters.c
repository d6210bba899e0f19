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
 *
 * Invariants: event-loop thread.
 */
#include "../../common/bsoncmp.h"
#include "../../common/config.h"
#include "../../common/global.h"
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

static const struct {
    const char *name;
    param_fn fn;
} params[] = {
    {"featureCompatibilityVersion", param_fcv},
    {"authenticationMechanisms", param_auth_mechs},
    {"localLogicalSessionTimeoutMinutes", param_session_timeout},
    {"maxBSONDepth", param_max_bson},
};

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
    bool all = false;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "*") == 0)
        all = true;
    else if (BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "getParameter options are not supported");
    for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (all || bson_iter_init_find(&f, cmd->body, params[i].name)) {
            params[i].fn(cmd->reply, params[i].name);
            found++;
        }
    for (i = 0; i < n; i++)
        if (all || bson_iter_init_find(&f, cmd->body, set[i].name)) {
            sdb_config_param_append(wk_cfg, wk_global, &set[i], cmd->reply, false);
            found++;
        }
    if (found == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "no option found to get");
    return 0;
}

/* ---- setParameter ---------------------------------------------------------------------- */

/* fixed -- one of getParameter's fixed facts (settable at start-up only, if at all). */
static bool
fixed(const char *name)
{
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (strcmp(params[i].name, name) == 0)
            return true;
    return false;
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
        if (p == NULL && !fixed(k))
            return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                                 "attempted to set unrecognized parameter [%s], use help:true to "
                                 "see options ",
                                 k);
        if (p == NULL || p->live == 0)
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
    int ret = 0;

    SDB_ERR(check_names(cmd));
    for (i = 0; i < n; i++)
        if (p[i].live != 0 && bson_iter_init_find(&g[ng].it, cmd->body, p[i].name))
            g[ng++].p = &p[i];
    qsort(g, ng, sizeof(*g), by_name); /* mongod sets them in name order (a std::map) */
    for (i = 0; i < ng; i++)
        SDB_ERR(set_one(cmd, g[i].p, &g[i].it, i == 0));
    if (ng == 0)
        ret = sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                            "no option found to set, use help:true to see options ");
err:
    bson_free(g);
    return ret;
}
