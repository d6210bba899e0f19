/*
 * src/common/errors.c -- client-visible errors: code table lookups and reply fields.
 *
 * The code -> codeName table is generated from error_codes.def.  Pure functions; any
 * thread, any process.
 */
#include "errors.h"

#include "sdb.h"

#include <stdio.h>
#include <string.h>

typedef struct code_name {
    int code;
    const char *name;
} code_name_t;

static const code_name_t code_names[] = {
#define X(code, name) {code, #name},
#include "error_codes.def"
#undef X
};

/*
 * sdb_error_codename --
 *     mongod's codeName for a code; codes without a name are "Location<code>".
 */
const char *
sdb_error_codename(int code, char *buf, size_t buflen)
{
    size_t i;

    for (i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
        if (code_names[i].code == code && strncmp(code_names[i].name, "Location", 8) != 0)
            return code_names[i].name;
    snprintf(buf, buflen, "Location%d", code);
    return buf;
}

/*
 * sdb_error_set --
 *     Record a client error; returns SDB_ECLIENT so callers can return it directly.
 */
int
sdb_error_set(sdb_error_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    err->labels = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return SDB_ECLIENT;
}

/*
 * sdb_error_append --
 *     Append errmsg, code, codeName and errorLabels (when any) to a reply document.
 */
void
sdb_error_append(const sdb_error_t *err, bson_t *reply)
{
    char buf[32];
    bson_t labels;
    int n = 0;
    char key[16];

    BSON_APPEND_UTF8(reply, "errmsg", err->msg);
    BSON_APPEND_INT32(reply, "code", err->code);
    BSON_APPEND_UTF8(reply, "codeName", sdb_error_codename(err->code, buf, sizeof(buf)));
    if (err->labels == 0)
        return;
    BSON_APPEND_ARRAY_BEGIN(reply, "errorLabels", &labels);
    if (err->labels & SDB_LABEL_TRANSIENT_TXN) {
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&labels, key, "TransientTransactionError");
    }
    if (err->labels & SDB_LABEL_UNKNOWN_COMMIT) {
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&labels, key, "UnknownTransactionCommitResult");
    }
    if (err->labels & SDB_LABEL_RETRYABLE_WRITE) {
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&labels, key, "RetryableWriteError");
    }
    if (err->labels & SDB_LABEL_NON_RESUMABLE_CS) {
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&labels, key, "NonResumableChangeStreamError");
    }
    if (err->labels & SDB_LABEL_RESUMABLE_CS) {
        snprintf(key, sizeof(key), "%d", n++);
        BSON_APPEND_UTF8(&labels, key, "ResumableChangeStreamError");
    }
    bson_append_array_end(reply, &labels);
}

/*
 * sdb_error_from_bson --
 *     Read {code, errmsg} from a reply document into *err.
 */
void
sdb_error_from_bson(const bson_t *doc, sdb_error_t *err)
{
    bson_iter_t it;

    err->code = SDB_CODE_InternalError;
    err->labels = 0;
    snprintf(err->msg, sizeof(err->msg), "unknown error");
    if (bson_iter_init_find(&it, doc, "code") && BSON_ITER_HOLDS_NUMBER(&it))
        err->code = (int)bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "errmsg") && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(err->msg, sizeof(err->msg), "%s", bson_iter_utf8(&it, NULL));
}

/* mongod's RetriableError category. */
static const int retriable_codes[] = {
    SDB_CODE_InterruptedAtShutdown, SDB_CODE_InterruptedDueToReplStateChange,
    SDB_CODE_NotWritablePrimary,    SDB_CODE_NotPrimaryNoSecondaryOk,
    SDB_CODE_NotPrimaryOrSecondary, SDB_CODE_PrimarySteppedDown,
    SDB_CODE_ShutdownInProgress,    SDB_CODE_HostNotFound,
    SDB_CODE_HostUnreachable,       SDB_CODE_NetworkTimeout,
    SDB_CODE_SocketException,       SDB_CODE_ExceededTimeLimit,
};

bool
sdb_error_is_retriable(int code)
{
    for (size_t i = 0; i < sizeof(retriable_codes) / sizeof(retriable_codes[0]); i++)
        if (retriable_codes[i] == code)
            return true;
    return false;
}
