/*
 * src/master/logrotate.h -- log rotation: the logRotate command and SIGUSR1.
 *
 * The master rotates the --logpath file (log.h's sdb_log_rotate: rename to <path>.<UTC time>
 * and open a new file, or reopen the path, as --logRotate says) and bumps the rotation word
 * of the global segment, so every worker reopens the path before its next line.
 */
#ifndef MS_LOGROTATE_H
#define MS_LOGROTATE_H

#include "../common/config.h"
#include "ops.h"

/* ms_logrotate_init -- remember --logRotate's mode (main thread, at start-up). */
void ms_logrotate_init(const sdb_config_t *cfg);

/* ms_logrotate_now -- rotate now and log it; 0 or an errno.  Any thread (log.c locks). */
int ms_logrotate_now(const char *why);

/* LOG_ROTATE (storeop.def); any service thread. */
int ms_logrotate_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
