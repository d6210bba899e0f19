/*
 * src/common/sdb.c -- status-code helpers and the assertion failure path.
 *
 * Any process, any thread.  sdb_assert_fail logs through log.c (which adds the operation in
 * flight) and aborts so the crash handler can re-raise for a core dump.
 */
#include "sdb.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * sdb_assert_fail --
 *     Log the failed condition and abort.
 */
void
sdb_assert_fail(const char *cond, const char *file, int line)
{
    sdb_logf(SDB_LOG_F, "ASSERT", 23079, "Assertion failure", "%s at %s:%d", cond, file, line);
    abort();
}

/*
 * sdb_strerror --
 *     A short description of an internal status code.
 */
const char *
sdb_strerror(int status)
{
    switch (status) {
    case 0:
        return "success";
    case SDB_EPEER:
        return "peer gone";
    case SDB_EAGAIN:
        return "try again";
    case SDB_ECORRUPT:
        return "corrupt shared state or message";
    case SDB_ETOOBIG:
        return "too big";
    case SDB_ECLIENT:
        return "client error";
    case SDB_ENOTFOUND:
        return "not found";
    case SDB_ECLOSED:
        return "closed";
    default:
        return status > 0 ? strerror(status) : "unknown status";
    }
}

int64_t
sdb_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sdb_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
