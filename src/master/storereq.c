/*
 * src/master/storereq.c -- typed readers for storage-operation request bodies.
 *
 * Each reader finds one top-level field, checks its type and returns a borrowed view.  A
 * wrong type is a client error (TypeMismatch) naming the field, a missing required field a
 * BadValue; nothing is allocated, so callers have nothing to free on either path.
 *
 * Invariants: pure functions; callable from any service thread concurrently.
 */
#include "storereq.h"

#include "../common/sdb.h"

#include <string.h>
#include <time.h>

static int
find(const bson_t *req, const char *field, bool optional, bson_iter_t *it, bool *present,
     sdb_error_t *err)
{
    bool found = req != NULL && bson_iter_init_find(it, req, field);

    if (present != NULL)
        *present = found;
    if (!found && !optional)
        return sdb_error_set(err, SDB_CODE_BadValue, "missing required field '%s'", field);
    return 0;
}

int
ms_req_str(const bson_t *req, const char *field, bool optional, const char **out, sdb_error_t *err)
{
    bson_iter_t it;
    bool present;

    *out = NULL;
    SDB_RET(find(req, field, optional, &it, &present, err));
    if (!present)
        return 0;
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "field '%s' must be a string", field);
    *out = bson_iter_utf8(&it, NULL);
    return 0;
}

int
ms_req_int64(const bson_t *req, const char *field, int64_t dflt, int64_t *out, bool *present,
             sdb_error_t *err)
{
    bson_iter_t it;
    bool found;
    double d;

    *out = dflt;
    SDB_RET(find(req, field, true, &it, &found, err));
    if (present != NULL)
        *present = found;
    if (!found)
        return 0;
    switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
        *out = bson_iter_int32(&it);
        return 0;
    case BSON_TYPE_INT64:
        *out = bson_iter_int64(&it);
        return 0;
    case BSON_TYPE_DOUBLE:
        d = bson_iter_double(&it);
        if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return 0;
        }
        break;
    default:
        break;
    }
    return sdb_error_set(err, SDB_CODE_TypeMismatch, "field '%s' must be an integer", field);
}

int
ms_req_bool(const bson_t *req, const char *field, bool dflt, bool *out, sdb_error_t *err)
{
    bson_iter_t it;
    bool found;

    *out = dflt;
    SDB_RET(find(req, field, true, &it, &found, err));
    if (!found)
        return 0;
    if (BSON_ITER_HOLDS_BOOL(&it) || BSON_ITER_HOLDS_NUMBER(&it)) {
        *out = bson_iter_as_bool(&it);
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_TypeMismatch, "field '%s' must be a boolean", field);
}

int
ms_req_doc(const bson_t *req, const char *field, bool optional, bson_t *out, bool *present,
           sdb_error_t *err)
{
    bson_iter_t it;
    bool found;

    SDB_RET(find(req, field, optional, &it, &found, err));
    if (present != NULL)
        *present = found;
    if (!found)
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "field '%s' must be an object", field);
    return ms_req_iter_doc(&it, field, out, err);
}

int
ms_req_array(const bson_t *req, const char *field, bool optional, bson_iter_t *it, bool *present,
             sdb_error_t *err)
{
    bson_iter_t f;
    bool found;

    SDB_RET(find(req, field, optional, &f, &found, err));
    if (present != NULL)
        *present = found;
    if (!found)
        return 0;
    if (!BSON_ITER_HOLDS_ARRAY(&f) || !bson_iter_recurse(&f, it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "field '%s' must be an array", field);
    return 0;
}

int
ms_req_iter_doc(const bson_iter_t *it, const char *what, bson_t *out, sdb_error_t *err)
{
    const uint8_t *data;
    uint32_t len;

    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "'%s' must be an object", what);
    bson_iter_document(it, &len, &data);
    if (!bson_init_static(out, data, len))
        return sdb_error_set(err, SDB_CODE_InvalidBSON, "'%s' is not valid BSON", what);
    return 0;
}

int
ms_req_ns_split(const char *ns, char *dbbuf, size_t dblen, const char **coll, sdb_error_t *err)
{
    const char *dot = strchr(ns, '.');
    size_t n;

    if (dot == NULL || (size_t)(dot - ns) >= dblen)
        return sdb_error_set(err, SDB_CODE_InvalidNamespace, "Invalid namespace specified '%s'",
                             ns);
    n = (size_t)(dot - ns);
    memcpy(dbbuf, ns, n);
    dbbuf[n] = '\0';
    *coll = dot + 1;
    return 0;
}

int64_t
ms_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
