/*
 * src/master/logrotate.c -- log rotation: the logRotate command and SIGUSR1.
 *
 * Both paths end in ms_logrotate_now: sdb_log_rotate (log.c) renames or reopens the file under
 * the log lock and bumps the global segment's rotation word, which each worker checks before
 * writing a line (it then reopens the path).  A failure leaves the old file in use and is
 * reported: the command answers it, SIGUSR1 logs it.  Without --logpath (stdout) there is
 * nothing to rotate and both succeed, as mongod's console log does.
 *
 * Invariants: the mode is written once at start-up, before any service thread.
 */
#include "logrotate.h"

#include "../common/log.h"
#include "../common/sdb.h"

#include <string.h>

static bool rotate_reopen; /* --logRotate reopen */

void
ms_logrotate_init(const sdb_config_t *cfg)
{
    rotate_reopen = cfg->log_reopen;
}

int
ms_logrotate_now(const char *why)
{
    bson_t attr;
    int ret;

    bson_init(&attr);
    BSON_APPEND_UTF8(&attr, "by", why);
    BSON_APPEND_UTF8(&attr, "logRotate", rotate_reopen ? "reopen" : "rename");
    sdb_log(SDB_LOG_I, "CONTROL", 23166, "Log rotation initiated", &attr);
    bson_destroy(&attr);
    ret = sdb_log_rotate(rotate_reopen);
    if (ret != 0)
        sdb_logf(SDB_LOG_W, "CONTROL", 23168, "Log rotation failed", "%s", strerror(ret));
    else
        sdb_logf(SDB_LOG_I, "CONTROL", 23167, "Log rotation done", "by %s", why);
    return ret;
}

int
ms_logrotate_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int ret;

    SDB_UNUSED(ctx);
    SDB_UNUSED(req);
    SDB_UNUSED(reply);
    if ((ret = ms_logrotate_now("logRotate command")) != 0)
        return sdb_error_set(err, SDB_CODE_OperationFailed, "Log rotation failed: %s",
                             strerror(ret));
    return 0;
}
