/*
 * src/worker/engine/tablecfg.c -- the shape of a storageEngine option, checked in mongod's words.
 *
 * See tablecfg.h.  Order and wording follow mongod 7.0: each engine's value must be a document
 * (BadValue), the engine must be registered (InvalidOptions), WiredTiger's options hold only
 * configString (InvalidOptions), a string (TypeMismatch) without an embedded NUL
 * (FailedToParse).
 *
 * Invariants: stateless.
 */
#include "tablecfg.h"

#include "../../common/sdb.h"

#include <string.h>

/* check_wired_tiger -- {configString: <string>} and nothing else. */
static int
check_wired_tiger(const bson_iter_t *engine, sdb_error_t *err)
{
    bson_iter_t f;
    uint32_t len;
    const char *v;

    bson_iter_recurse(engine, &f);
    while (bson_iter_next(&f)) {
        if (strcmp(bson_iter_key(&f), "configString") != 0)
            return sdb_error_set(err, SDB_CODE_InvalidOptions, "'%s' is not a supported option.",
                                 bson_iter_key(&f));
        if (!BSON_ITER_HOLDS_UTF8(&f))
            return sdb_error_set(err, SDB_CODE_TypeMismatch, "'configString' must be a string.");
        v = bson_iter_utf8(&f, &len);
        if (strlen(v) != len)
            return sdb_error_set(err, SDB_CODE_FailedToParse, "malformed 'configString' value.");
    }
    return 0;
}

int
wk_tablecfg_check(const bson_t *se, sdb_error_t *err)
{
    bson_iter_t it;

    bson_iter_init(&it, se);
    while (bson_iter_next(&it)) {
        const char *name = bson_iter_key(&it);

        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "'storageEngine.%s' has to be an embedded document.", name);
        if (strcmp(name, "wiredTiger") != 0)
            return sdb_error_set(err, SDB_CODE_InvalidOptions,
                                 "%s is not a registered storage engine for this server", name);
        SDB_RET(check_wired_tiger(&it, err));
    }
    return 0;
}
