/*
 * src/master/params.c -- SET_PARAMETER: runtime-settable server parameters.
 *
 * The worker's setParameter command parses and coerces the client's value; this handler does
 * not trust it: the name must be a runtime-settable row of config.c's table and the value
 * inside its bounds.  The new value replaces the live word in the global segment atomically
 * (the old one goes back as `was`), then the parameter's owner is told (a table: the TTL
 * monitor wakes up, so a shorter interval takes effect at once, as mongod's does).
 *
 * Invariants: the live words have one writer, the master (this file); concurrent SET_PARAMETERs
 * from several service threads are each atomic, the last one wins.
 */
#include "params.h"

#include "../common/sdb.h"
#include "ixpool.h"
#include "store.h"
#include "storereq.h"
#include "ttl.h"

#include <string.h>

/* Who to tell when a live value changes (NULL: nobody reads it but getParameter). */
static const struct {
    const char *name;
    void (*changed)(void);
} owners[] = {
    {"ttlMonitorEnabled", ms_ttl_wake},
    {"ttlMonitorSleepSecs", ms_ttl_wake},
    {"maxNumActiveUserIndexBuilds", ms_ixpool_wake}, /* a raised limit starts waiting builds */
};

static _Atomic int64_t *
live_word(sdb_global_t *g, const sdb_param_t *p)
{
    return (_Atomic int64_t *)((char *)g + p->live);
}

void
ms_params_publish(const sdb_config_t *cfg, sdb_global_t *g)
{
    size_t i, n;
    const sdb_param_t *p = sdb_config_params(&n);

    for (i = 0; i < n; i++)
        if (p[i].live != 0)
            atomic_store(live_word(g, &p[i]), sdb_config_param_value(cfg, NULL, &p[i]));
    for (i = 0; i < SDB_LOG_NCOMP; i++)
        atomic_store(&g->log.comp[i], i == 0 ? -1 : cfg->log_comp[i]);
}

/* set_components -- logComponentVerbosity: {components: {name: -1..5}}, all checked first. */
static int
set_components(sdb_global_t *g, const bson_t *req, sdb_error_t *err)
{
    bson_iter_t it, c;
    int comp;
    int64_t v;

    if (!bson_iter_init_find(&it, req, "components") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &c))
        return sdb_error_set(err, SDB_CODE_BadValue, "logComponentVerbosity needs components");
    while (bson_iter_next(&c)) {
        comp = sdb_log_component(bson_iter_key(&c));
        v = BSON_ITER_HOLDS_INT64(&c) ? bson_iter_int64(&c) : -2;
        if (comp <= 0 || v < -1 || v > 5)
            return sdb_error_set(err, SDB_CODE_BadValue, "Invalid verbosity for log component %s",
                                 bson_iter_key(&c));
    }
    bson_iter_recurse(&it, &c);
    while (bson_iter_next(&c))
        atomic_store(&g->log.comp[sdb_log_component(bson_iter_key(&c))], bson_iter_int64(&c));
    return 0;
}

int
ms_params_op_set(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    sdb_global_t *g = ms_store_global();
    const sdb_param_t *p;
    const char *name, *bad;
    char why[256];
    int64_t v, was;
    size_t i;

    SDB_UNUSED(ctx);
    SDB_RET(ms_req_str(req, "name", false, &name, err));
    if (strcmp(name, "logComponentVerbosity") == 0)
        return set_components(g, req, err);
    SDB_RET(ms_req_int64(req, "value", 0, &v, NULL, err));
    if ((p = sdb_config_param_find(name, strlen(name))) == NULL || p->live == 0)
        return sdb_error_set(err, SDB_CODE_InvalidOptions, "not allowed to change [%s] at runtime",
                             name);
    if ((bad = sdb_config_param_check(p, v, why, sizeof(why))) != NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "%s", bad);
    was = atomic_exchange(live_word(g, p), v);
    BSON_APPEND_INT64(reply, "was", was);
    for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
        if (strcmp(owners[i].name, p->name) == 0)
            owners[i].changed();
    return 0;
}
