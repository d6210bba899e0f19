/*
 * src/common/errors.h -- client-visible errors: MongoDB code, codeName, message, labels.
 *
 * An sdb_error_t is what a command (worker) or a storage operation (master) reports to the
 * client.  Codes come only from error_codes.def, named SDB_CODE_<codeName>.  The message is
 * short and in mongod's wording; detail belongs in the log.  An sdb_error_t owns no heap
 * memory, so it may be copied and dropped freely.
 */
#ifndef SDB_ERRORS_H
#define SDB_ERRORS_H

#include <bson/bson.h>
#include <stdarg.h>

enum {
#define X(code, name) SDB_CODE_##name = code,
#include "error_codes.def"
#undef X
};

#define SDB_ERRMSG_MAX 512

typedef struct sdb_error {
    int code;                 /* 0 = no error */
    char msg[SDB_ERRMSG_MAX]; /* errmsg as mongod words it */
    unsigned labels;          /* SDB_LABEL_* bits */
} sdb_error_t;

#define SDB_LABEL_TRANSIENT_TXN 0x1u    /* TransientTransactionError */
#define SDB_LABEL_UNKNOWN_COMMIT 0x2u   /* UnknownTransactionCommitResult */
#define SDB_LABEL_RETRYABLE_WRITE 0x4u  /* RetryableWriteError */
#define SDB_LABEL_NON_RESUMABLE_CS 0x8u /* NonResumableChangeStreamError */
#define SDB_LABEL_RESUMABLE_CS 0x10u    /* ResumableChangeStreamError */

/* sdb_error_codename -- mongod's codeName for a code ("Location<code>" when it has none). */
const char *sdb_error_codename(int code, char *buf, size_t buflen);

/* sdb_error_set -- record a client error; returns SDB_ECLIENT so callers can `return`. */
int sdb_error_set(sdb_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sdb_error_append -- append errmsg, code, codeName (and errorLabels) to a reply document. */
void sdb_error_append(const sdb_error_t *err, bson_t *reply);

/* sdb_error_is_retriable -- mongod's RetriableError category (a retryable write's error takes
 * RetryableWriteError, a transaction statement's TransientTransactionError, a commit's
 * UnknownTransactionCommitResult). */
bool sdb_error_is_retriable(int code);

/* sdb_error_from_bson -- read {code, errmsg} from a reply (e.g. from the master). */
void sdb_error_from_bson(const bson_t *doc, sdb_error_t *err);

#endif
