/*
 * src/worker/cmd/failpoint.c -- configureFailPoint: set a failpoint in the master.
 *
 * configureFailPoint validates the mode as mongod does ("off", "alwaysOn", {times}, {skip},
 * {activationProbability}) and stores it in the master (FAILPOINT_SET), which answers how
 * often the failpoint had fired.  The master's table is the truth; how a worker caches it and
 * applies failCommand around each command is engine/failpoint.c's.
 *
 * Invariants: event-loop thread; nothing here keeps state between calls.
 */
#include "../engine/failpoint.h"
#include "../command.h"
#include "../store_client.h"

#include <string.h>

/* mongod's mode forms -> (mode, n, p) as FAILPOINT_SET takes them. */
static int
parse_mode(wk_cmd_t *cmd, int32_t *mode, int64_t *n, double *p)
{
    bson_iter_t it, m;
    const char *s;

    *mode = WK_FP_OFF;
    *n = 0;
    *p = 0.0;
    if (!bson_iter_init_find(&it, cmd->body, "mode"))
        return sdb_error_set(&cmd->err, SDB_CODE_IllegalOperation,
                             "When making a fail point request, 'mode' must be specified");
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        s = bson_iter_utf8(&it, NULL);
        if (strcmp(s, "off") == 0)
            *mode = WK_FP_OFF;
        else if (strcmp(s, "alwaysOn") == 0)
            *mode = WK_FP_ALWAYS;
        else
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "unknown mode: %s", s);
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &m) || !bson_iter_next(&m))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "'mode' must be a string or JSON object");
    if (strcmp(bson_iter_key(&m), "activationProbability") == 0) {
        if (!BSON_ITER_HOLDS_NUMBER(&m))
            return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                                 "'activationProbability' option to 'mode' must be a double");
        *p = bson_iter_as_double(&m);
        if (!(*p >= 0.0 && *p <= 1.0))
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "activationProbability must be between 0.0 and 1.0");
        *mode = WK_FP_PROB;
        return 0;
    }
    *mode = strcmp(bson_iter_key(&m), "times") == 0  ? WK_FP_TIMES
            : strcmp(bson_iter_key(&m), "skip") == 0 ? WK_FP_SKIP
                                                     : WK_FP_OFF;
    if (*mode == WK_FP_OFF)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "'mode' must be one of 'off', 'alwaysOn', 'times', 'skip' and "
                             "'activationProbability'");
    if (!BSON_ITER_HOLDS_NUMBER(&m))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch, "'%s' must be a number",
                             bson_iter_key(&m));
    if ((*n = bson_iter_as_int64(&m)) < 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "'%s' must be positive",
                             bson_iter_key(&m));
    return 0;
}

/*
 * wk_cmd_configure_fail_point --
 *     {configureFailPoint: name, mode, data?} -> {count}: set a failpoint in the master.
 */
int
wk_cmd_configure_fail_point(wk_cmd_t *cmd)
{
    bson_t req, reply;
    bson_iter_t it;
    int32_t mode = WK_FP_OFF;
    int64_t n = 0, count = 0;
    double p = 0.0;
    int ret;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "the failpoint name must be a string");
    SDB_RET(parse_mode(cmd, &mode, &n, &p));
    bson_init(&req);
    BSON_APPEND_UTF8(&req, "name", bson_iter_utf8(&it, NULL));
    BSON_APPEND_INT32(&req, "mode", mode);
    BSON_APPEND_INT64(&req, "n", n);
    BSON_APPEND_DOUBLE(&req, "p", p);
    if (bson_iter_init_find(&it, cmd->body, "data") && !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_destroy(&req);
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch, "'data' must be an object");
    }
    if (bson_iter_init_find(&it, cmd->body, "data"))
        bson_append_iter(&req, "data", -1, &it);
    ret = wk_store_call(SDB_OP_FAILPOINT_SET, &req, &reply, &cmd->err);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "count") && BSON_ITER_HOLDS_NUMBER(&it))
        count = bson_iter_as_int64(&it);
    bson_destroy(&reply);
    bson_destroy(&req);
    if (ret != 0)
        return ret;
    if (count <= INT32_MAX)
        BSON_APPEND_INT32(cmd->reply, "count", (int32_t)count);
    else
        BSON_APPEND_INT64(cmd->reply, "count", count);
    return 0;
}
