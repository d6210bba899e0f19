/*
 * src/master/storereq.h -- typed readers for storage-operation request bodies.
 *
 * Workers are not trusted to send well-formed requests: every handler reads its fields
 * through these helpers, which check the BSON type and record a BadValue/TypeMismatch client
 * error naming the field when it is wrong.  Pure functions over a caller-owned bson_t; the
 * views they return (strings, sub-documents) borrow the request's bytes and live as long as
 * the request does.  Any thread.
 */
#ifndef MS_STOREREQ_H
#define MS_STOREREQ_H

#include "../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* ms_req_str -- required (or optional when `optional`: *out = NULL if absent) UTF-8 field. */
int ms_req_str(const bson_t *req, const char *field, bool optional, const char **out,
               sdb_error_t *err);

/* ms_req_int64 -- numeric field (int32, int64 or integral double) or `dflt` when absent;
 * *present tells whether it was there (may be NULL). */
int ms_req_int64(const bson_t *req, const char *field, int64_t dflt, int64_t *out, bool *present,
                 sdb_error_t *err);

/* ms_req_bool -- bool (or number) field, `dflt` when absent. */
int ms_req_bool(const bson_t *req, const char *field, bool dflt, bool *out, sdb_error_t *err);

/* ms_req_doc -- document field as a read-only view in *out; *present = false when absent
 * (error unless `optional`). */
int ms_req_doc(const bson_t *req, const char *field, bool optional, bson_t *out, bool *present,
               sdb_error_t *err);

/* ms_req_array -- array field: positions *it on the array's first element (bson_iter_next). */
int ms_req_array(const bson_t *req, const char *field, bool optional, bson_iter_t *it,
                 bool *present, sdb_error_t *err);

/* ms_req_iter_doc -- the document at an iterator (array element) as a view. */
int ms_req_iter_doc(const bson_iter_t *it, const char *what, bson_t *out, sdb_error_t *err);

/* ms_req_ns_split -- split "db.coll" at the first dot into db (copied, NUL-terminated, into
 * dbbuf of size dblen) and *coll (pointer into ns).  SDB_ECLIENT InvalidNamespace if no dot. */
int ms_req_ns_split(const char *ns, char *dbbuf, size_t dblen, const char **coll, sdb_error_t *err);

/* ms_now_ms -- wall clock in milliseconds since the epoch. */
int64_t ms_now_ms(void);

#endif
