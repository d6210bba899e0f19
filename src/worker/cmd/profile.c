/*
 * src/worker/cmd/profile.c -- {profile: -1|0|1|2, slowms, sampleRate, filter}: the database
 * profiler's settings.
 *
 * The level and the filter belong to the command's database, slowms and sampleRate to the
 * whole server, as in mongod.  This file checks the values (a filter must parse as a query);
 * the master applies them (PROFILE_SET, master/profile.h) so every worker sees them, and its
 * reply, the settings that were in force, is mongod's {was, slowms, sampleRate, filter?}.
 * -1 reads the settings without changing anything.  The profiler itself: worker/profiler.h.
 */
#include "../../common/storeop.h"
#include "../command.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../query/matcher.h"

#include <math.h>
#include <string.h>

/* parse_level -- the command's value: an integral number from -1 to 2. */
static int
parse_level(wk_cmd_t *cmd, int64_t *level)
{
    bson_iter_t it;

    bson_iter_init(&it, cmd->body);
    bson_iter_next(&it);
    if (!BSON_ITER_HOLDS_NUMBER(&it))
        return wk_cmdu_type_error(cmd, "profile", bson_iter_type(&it), "int");
    *level = bson_iter_as_int64(&it);
    if (*level < -1 || *level > 2)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue, "Invalid profiling level: %lld",
                             (long long)*level);
    return 0;
}

/* parse_filter -- filter: a query document (it must parse) or "unset". */
static int
parse_filter(wk_cmd_t *cmd, const bson_iter_t *it, bson_t *req)
{
    wk_matcher_t *m = NULL;
    bson_t f;
    int ret;

    if (BSON_ITER_HOLDS_UTF8(it) && strcmp(bson_iter_utf8(it, NULL), "unset") == 0) {
        BSON_APPEND_UTF8(req, "filter", "unset");
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(it))
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Expected an object, or the string 'unset'.");
    SDB_RET(wk_cmdu_get_doc(cmd, it, "filter", &f));
    ret = wk_matcher_new(&f, &m, &cmd->err);
    wk_matcher_free(m);
    if (ret == 0)
        BSON_APPEND_DOCUMENT(req, "filter", &f);
    return ret;
}

/* parse_options -- slowms, sampleRate and filter into the PROFILE_SET request. */
static int
parse_options(wk_cmd_t *cmd, bson_t *req)
{
    bson_iter_t it;
    double rate;

    if (bson_iter_init_find(&it, cmd->body, "slowms")) {
        if (!BSON_ITER_HOLDS_NUMBER(&it))
            return wk_cmdu_type_error(cmd, "slowms", bson_iter_type(&it), "int");
        BSON_APPEND_INT64(req, "slowms", bson_iter_as_int64(&it));
    }
    if (bson_iter_init_find(&it, cmd->body, "sampleRate")) {
        if (!BSON_ITER_HOLDS_NUMBER(&it))
            return wk_cmdu_type_error(cmd, "sampleRate", bson_iter_type(&it), "double");
        rate = bson_iter_as_double(&it);
        if (!(rate >= 0.0 && rate <= 1.0))
            return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                                 "'sampleRate' must be between 0.0 and 1.0 inclusive");
        BSON_APPEND_INT64(req, "samplePpm", (int64_t)llround(rate * 1e6));
    }
    if (bson_iter_init_find(&it, cmd->body, "filter"))
        SDB_RET(parse_filter(cmd, &it, req));
    return 0;
}

/* word_reply -- mongod's reply from the settings the master replaced. */
static void
word_reply(wk_cmd_t *cmd, const bson_t *was, bool filter_changed)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, was, "was"))
        BSON_APPEND_INT32(cmd->reply, "was", (int32_t)bson_iter_as_int64(&it));
    if (bson_iter_init_find(&it, was, "slowms"))
        BSON_APPEND_INT32(cmd->reply, "slowms", (int32_t)bson_iter_as_int64(&it));
    if (bson_iter_init_find(&it, was, "sampleRate"))
        BSON_APPEND_DOUBLE(cmd->reply, "sampleRate", bson_iter_as_double(&it));
    if (bson_iter_init_find(&it, was, "filter"))
        bson_append_iter(cmd->reply, "filter", -1, &it);
    if (filter_changed)
        BSON_APPEND_UTF8(cmd->reply, "note",
                         "When a filter expression is set, slowms and sampleRate are not used "
                         "for profiling and slow-query log lines.");
}

/*
 * wk_cmd_profile --
 *     {profile: level, slowms?, sampleRate?, filter?} -> {was, slowms, sampleRate, filter?}.
 */
int
wk_cmd_profile(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"slowms", "sampleRate", "filter", NULL};
    bson_t req = BSON_INITIALIZER, was = BSON_INITIALIZER;
    bson_iter_t it;
    int64_t level = -1;
    int ret = 0;

    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(parse_level(cmd, &level));
    BSON_APPEND_UTF8(&req, "db", cmd->db);
    if (level >= 0)
        BSON_APPEND_INT64(&req, "level", level);
    SDB_ERR(parse_options(cmd, &req));
    bson_destroy(&was);
    SDB_ERR(wk_cmdu_store(SDB_OP_PROFILE_SET, &req, &was, &cmd->err));
    word_reply(cmd, &was, bson_iter_init_find(&it, &req, "filter"));
err:
    bson_destroy(&req);
    bson_destroy(&was);
    return ret;
}
