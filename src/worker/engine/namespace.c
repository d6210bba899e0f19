/*
 * src/worker/engine/namespace.c -- the one place a request's names become a namespace.
 *
 * The database checks run in mongod's order: first what its DatabaseName refuses when a
 * request is parsed (a `.`, an embedded NUL, more than 63 bytes, each with its own message),
 * then what validDBName refuses for a command (empty, `/`, `\`, space, `"`: "Invalid database
 * name").  `$` is allowed here, as mongod allows it in `$db` ("$external"); creating a
 * database whose name has one is refused by the master's creation check.  A collection name
 * with an embedded NUL, an empty one, or a namespace longer than the caller's buffer is
 * refused before anything is joined.
 *
 * Invariants: pure functions of their arguments; no allocation.  Names with a NUL inside are
 * printed only up to it.
 */
#include "namespace.h"

#include "../../common/sdb.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* bad_db_char -- one of the characters validDBName refuses among db[0..len). */
static bool
bad_db_char(const char *db, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (db[i] != '\0' && strchr("/\\ \"", db[i]) != NULL)
            return true;
    return false;
}

int
wk_ns_db_check(const char *db, size_t len, sdb_error_t *err)
{
    int n = (int)(len > 256 ? 256 : len);

    if (memchr(db, '.', len) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "'.' is an invalid character in a db name: %.*s", n, db);
    if (memchr(db, '\0', len) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "database names cannot have embedded null characters");
    if (len > SDB_NS_DB_MAX)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "db name must be at most %d characters, found: %zu", SDB_NS_DB_MAX,
                             len);
    if (len == 0 || bad_db_char(db, len))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid database name: '%.*s'", n,
                             db);
    return 0;
}

int
wk_ns_join(const char *db, const char *coll, size_t len, char *ns, size_t nslen, sdb_error_t *err)
{
    if (memchr(coll, '\0', len) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "namespaces cannot have embedded null characters");
    if (len == 0 || (size_t)snprintf(ns, nslen, "%s.%s", db, coll) >= nslen)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace specified '%s.%s'",
                             db, coll);
    return 0;
}

int
wk_ns_full_check(const char *ns, size_t len, const char *which, sdb_error_t *err)
{
    const char *dot = memchr(ns, '.', len);

    if (memchr(ns, '\0', len) != NULL)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace,
                             "namespaces cannot have embedded null characters");
    if (dot == NULL || dot == ns || (size_t)(dot - ns) + 1 == len)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid %s namespace: %s", which, ns);
    return wk_ns_db_check(ns, (size_t)(dot - ns), err);
}

int
wk_ns_write_check(const char *ns, sdb_error_t *err)
{
    const char *dot = strchr(ns, '.');

    if (dot != NULL &&
        (strcmp(dot + 1, "system.profile") == 0 || strcmp(dot + 1, "system.views") == 0))
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "cannot write to %s", ns);
    return 0;
}
