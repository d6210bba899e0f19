/*
 * src/common/sdb.h -- status conventions shared by every SecantusDB source file.
 *
 * Internal status is an int: 0 on success, a positive errno, or a negative SDB_E* code.
 * Results travel through pointers.  SDB_RET returns early, SDB_ERR jumps to the one `err:`
 * cleanup label (the function must declare `int ret = 0;`), SDB_TRET keeps the first error
 * seen during cleanup.  SDB_ASSERT logs the operation in flight and aborts.
 *
 * Invariants: no process state lives here; this header is safe to include from the master,
 * the workers and the unit tests alike.
 */
#ifndef SDB_SDB_H
#define SDB_SDB_H

#include <stddef.h>
#include <stdint.h>

/* Negative internal status codes (positive values are errno). */
#define SDB_EPEER -1001     /* the other side of a channel is gone */
#define SDB_EAGAIN -1002    /* nothing available right now */
#define SDB_ECORRUPT -1003  /* shared state or a message failed validation */
#define SDB_ETOOBIG -1004   /* a message or document exceeds a limit */
#define SDB_ECLIENT -1005   /* a client-visible error was recorded in an sdb_error_t */
#define SDB_ENOTFOUND -1006 /* the key, record or namespace does not exist */
#define SDB_ECLOSED -1007   /* the channel or connection was closed in an orderly way */

#define SDB_RET(x)                                                                                 \
    do {                                                                                           \
        int sdb_ret_ = (x);                                                                        \
        if (sdb_ret_ != 0)                                                                         \
            return sdb_ret_;                                                                       \
    } while (0)

#define SDB_ERR(x)                                                                                 \
    do {                                                                                           \
        if ((ret = (x)) != 0)                                                                      \
            goto err;                                                                              \
    } while (0)

#define SDB_TRET(x)                                                                                \
    do {                                                                                           \
        int sdb_tret_ = (x);                                                                       \
        if (sdb_tret_ != 0 && ret == 0)                                                            \
            ret = sdb_tret_;                                                                       \
    } while (0)

/* sdb_assert_fail -- log the failed condition and the operation in flight, then abort. */
void sdb_assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

#define SDB_ASSERT(c)                                                                              \
    do {                                                                                           \
        if (!(c))                                                                                  \
            sdb_assert_fail(#c, __FILE__, __LINE__);                                               \
    } while (0)

#define SDB_UNUSED(x) ((void)(x))

/* mongod's name limits, which the worker's request checks and the master's creation check
 * both apply: a database name, and a whole "db.collection" namespace, in bytes. */
#define SDB_NS_DB_MAX 63
#define SDB_NS_LEN_MAX 255

/* sdb_strerror -- a short English description of an internal status code. */
const char *sdb_strerror(int status);

/* sdb_mono_ms -- a monotonic clock in milliseconds (for deadlines, never for dates). */
int64_t sdb_mono_ms(void);

/* sdb_mono_ns -- the same clock in nanoseconds (short spins). */
int64_t sdb_mono_ns(void);

#endif
