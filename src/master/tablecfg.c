/*
 * src/master/tablecfg.c -- the WiredTiger configuration of collection and index tables.
 *
 * See tablecfg.h.  A client's configString is validated by wiredtiger_config_validate for
 * WT_SESSION.create with an event handler that keeps WiredTiger's messages, which the error
 * then carries as mongod's WiredTigerUtil::checkTableCreationOptions does.
 *
 * Invariants: stateless; the event handler's buffer lives on the caller's stack.
 */
#include "tablecfg.h"

#include "../common/sdb.h"
#include "store.h"

#include <errno.h>
#include <string.h>
#include <wiredtiger.h>

typedef struct accum {
    WT_EVENT_HANDLER h; /* first: WiredTiger hands the handler back */
    char msg[512];
    size_t len;
} accum_t;

/* accum_error -- keep WiredTiger's message (". " between several, as mongod joins them). */
static int
accum_error(WT_EVENT_HANDLER *h, WT_SESSION *s, int error, const char *message)
{
    accum_t *a = (accum_t *)h;
    int n;

    (void)s;
    (void)error;
    n = snprintf(a->msg + a->len, sizeof(a->msg) - a->len, ". %s", message);
    if (n > 0)
        a->len = a->len + (size_t)n < sizeof(a->msg) ? a->len + (size_t)n : sizeof(a->msg) - 1;
    return 0;
}

/* config_at -- the configString under doc's <path>.wiredTiger, or NULL. */
static const char *
config_at(const bson_t *doc, const char *path)
{
    char full[128];
    bson_iter_t it;

    if (doc == NULL)
        return NULL;
    snprintf(full, sizeof(full), "%s.wiredTiger.configString", path);
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, full, &it) ||
        !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

int
ms_tablecfg_check(const bson_t *doc, const char *path, sdb_error_t *err)
{
    accum_t a;
    const char *cfg = config_at(doc, path);
    int ret;

    if (cfg == NULL)
        return 0;
    if (strstr(cfg, "type=lsm") != NULL)
        return sdb_error_set(err, SDB_CODE_Location6627201,
                             "Configuration 'type=lsm' is not supported.");
    memset(&a, 0, sizeof(a));
    a.h.handle_error = accum_error;
    ret = wiredtiger_config_validate(NULL, &a.h, "WT_SESSION.create", cfg);
    if (ret == 0)
        return 0;
    return sdb_error_set(err, ret == EINVAL ? SDB_CODE_BadValue : SDB_CODE_UnknownError,
                         "%d: %s%s.", ret, wiredtiger_strerror(ret), a.msg);
}

/* create -- s->create(uri, "<a>,<b>,<fixed>") without the parts that are NULL or empty. */
static int
create(WT_SESSION *s, const char *uri, const char *a, const char *b, const char *fixed,
       sdb_error_t *err)
{
    bson_string_t *cfg = bson_string_new(NULL);
    bool custom = false;
    int ret;

    if (a != NULL && a[0] != '\0') {
        bson_string_append_printf(cfg, "%s,", a);
        custom = true;
    }
    if (b != NULL && b[0] != '\0') {
        bson_string_append_printf(cfg, "%s,", b);
        custom = true;
    }
    bson_string_append(cfg, fixed); /* last: WiredTiger keeps a repeated key's last value */
    ret = s->create(s, uri, cfg->str);
    bson_string_free(cfg, true);
    if (ret == 0 || !custom)
        return ms_store_wt_error(ret, "create table");
    return sdb_error_set(err, ret == EINVAL ? SDB_CODE_BadValue : SDB_CODE_UnknownError, "%d: %s",
                         ret, wiredtiger_strerror(ret));
}

int
ms_tablecfg_create_coll(WT_SESSION *s, const char *uri, const bson_t *options, sdb_error_t *err)
{
    return create(s, uri, config_at(options, "storageEngine"), NULL, "key_format=q,value_format=u",
                  err);
}

int
ms_tablecfg_create_index(WT_SESSION *s, const char *uri, const bson_t *coll_options,
                         const bson_t *spec, sdb_error_t *err)
{
    return create(s, uri, config_at(coll_options, "indexOptionDefaults.storageEngine"),
                  config_at(spec, "storageEngine"), "key_format=u,value_format=u", err);
}
