/*
 * src/worker/cmd/validate.c -- {validate: coll, full, repair, background, metadata,
 * checkBSONConformance, enforceFastCount}: check a collection's records against its indexes.
 *
 * The master walks the records and every index in one snapshot (VALIDATE, master/validate.h)
 * and answers raw facts; this file checks the options as mongod 7.0 does and words its reply:
 * ns, uuid, nInvalidDocuments, nNonCompliantDocuments, nrecords, nIndexes, keysPerIndex,
 * indexDetails {name: {valid}}, valid, repaired, warnings, errors, extraIndexEntries,
 * missingIndexEntries, corruptRecords, advice (when invalid).  Every check is a full one: the
 * walk is the same with or without `full`.  repair: true is refused as mongod refuses it on a
 * replica-set member (we present as one); background with full is refused as mongod does.
 */
#include "../../common/storeop.h"
#include "../catalog_cache.h"
#include "../command.h"
#include "../engine/args.h"
#include "../engine/exec.h"

#include <stdio.h>
#include <string.h>

/* options -- the boolean options, with mongod's checks of their combinations. */
static int
options(wk_cmd_t *cmd)
{
    bson_iter_t it;
    bool full = false, background = false, repair = false, metadata = false, fast = false;
    bool bson_given = false, bson_check = false;

    if (bson_iter_init_find(&it, cmd->body, "full"))
        full = wk_cmdu_truthy(&it);
    if (bson_iter_init_find(&it, cmd->body, "background"))
        background = wk_cmdu_truthy(&it);
    if (bson_iter_init_find(&it, cmd->body, "repair"))
        repair = wk_cmdu_truthy(&it);
    if (bson_iter_init_find(&it, cmd->body, "metadata"))
        metadata = wk_cmdu_truthy(&it);
    if (bson_iter_init_find(&it, cmd->body, "enforceFastCount"))
        fast = wk_cmdu_truthy(&it);
    if ((bson_given = bson_iter_init_find(&it, cmd->body, "checkBSONConformance")))
        bson_check = wk_cmdu_truthy(&it);
    if (repair)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Running the validate command with { repair: true } can only be "
                             "performed in standalone mode.");
    /* this server is a replica set member to its clients: mongod fixes multikey metadata
     * only in standalone mode, and so refuses it here too */
    if (bson_iter_init_find(&it, cmd->body, "fixMultikey") && wk_cmdu_truthy(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Running the validate command with { fixMultikey: true } can only "
                             "be performed in standalone mode.");
    if (background && full)
        return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupported,
                             "Running the validate command with both { background: true } and "
                             "{ full: true } is not supported.");
    /* enforceFastCount and checkBSONConformance change nothing on records this server wrote
     * (its count is exact, every record is BSON it checked); their combinations are refused
     * as mongod 7.0 refuses them */
    if (background && fast)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Running the validate command with both { background: true } and "
                             "{ enforceFastCount: true } is not supported.");
    if (bson_given && !bson_check && (full || fast))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Cannot explicitly set 'checkBSONConformance: false' with full "
                             "validation set.");
    if (metadata && (full || background))
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                             "Running the validate command with { metadata: true } is not "
                             "supported with any other options");
    return 0;
}

static int64_t
get_i64(const bson_t *b, const char *field)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, b, field) ? bson_iter_as_int64(&it) : 0;
}

/* append_num -- a count as mongod's appendNumber writes it: int32 when it fits. */
/* keys_per_index -- keysPerIndex: {name: count}. */
static void
keys_per_index(const bson_t *facts, bson_t *out)
{
    bson_iter_t it, in;
    bson_t d;

    BSON_APPEND_DOCUMENT_BEGIN(out, "keysPerIndex", &d);
    if (bson_iter_init_find(&it, facts, "keysPerIndex") && bson_iter_recurse(&it, &in))
        while (bson_iter_next(&in))
            wk_exec_explain_num(&d, bson_iter_key(&in), bson_iter_as_int64(&in));
    bson_append_document_end(out, &d);
}

/* copy_field -- append b's `field` under `as` (an empty array when missing). */
static void
copy_field(const bson_t *b, const char *field, bson_t *out, const char *as)
{
    bson_iter_t it;
    bson_t empty = BSON_INITIALIZER;

    if (bson_iter_init_find(&it, b, field))
        bson_append_iter(out, as, -1, &it);
    else
        BSON_APPEND_ARRAY(out, as, &empty);
    bson_destroy(&empty);
}

/* index_details -- indexDetails: {name: {valid}} from the master's indexValid. */
static void
index_details(const bson_t *facts, bson_t *out, int32_t *n)
{
    bson_iter_t it, in;
    bson_t all, one;

    *n = 0;
    BSON_APPEND_DOCUMENT_BEGIN(out, "indexDetails", &all);
    if (bson_iter_init_find(&it, facts, "indexValid") && bson_iter_recurse(&it, &in))
        while (bson_iter_next(&in)) {
            (*n)++;
            bson_append_document_begin(&all, bson_iter_key(&in), -1, &one);
            BSON_APPEND_BOOL(&one, "valid", bson_iter_as_bool(&in));
            bson_append_document_end(&all, &one);
        }
    bson_append_document_end(out, &all);
}

/* add_error -- append one "Detected <n> <what>." line when n > 0. */
static void
add_error(bson_t *errs, uint32_t *i, int64_t n, const char *what)
{
    char msg[128], buf[16];
    const char *k;

    if (n <= 0)
        return;
    snprintf(msg, sizeof(msg), "Detected %lld %s", (long long)n, what);
    bson_uint32_to_string((*i)++, &k, buf, sizeof(buf));
    BSON_APPEND_UTF8(errs, k, msg);
}

/* errors_of -- mongod's error strings for the inconsistencies found. */
static void
errors_of(const bson_t *facts, bson_t *out)
{
    bson_t errs;
    uint32_t i = 0;

    BSON_APPEND_ARRAY_BEGIN(out, "errors", &errs);
    add_error(&errs, &i, get_i64(facts, "nCorrupt"), "invalid documents. See logs.");
    add_error(&errs, &i, get_i64(facts, "nExtra"), "extra index entries.");
    add_error(&errs, &i, get_i64(facts, "nMissing"), "missing index entries.");
    bson_append_array_end(out, &errs);
}

/* word_reply -- mongod 7.0's validate reply from the master's facts. */
static void
word_reply(wk_cmd_t *cmd, const char *ns, const bson_t *facts)
{
    const wk_coll_info_t *ci = wk_catalog_find(ns);
    bson_t *r = cmd->reply, warnings = BSON_INITIALIZER;
    bson_iter_t it;
    bool valid = get_i64(facts, "nMissing") == 0 && get_i64(facts, "nExtra") == 0 &&
                 get_i64(facts, "nCorrupt") == 0;
    int32_t nidx;

    BSON_APPEND_UTF8(r, "ns", ns);
    if (ci != NULL && bson_iter_init_find(&it, &ci->uuid_doc, "uuid"))
        bson_append_iter(r, "uuid", -1, &it);
    wk_exec_explain_num(r, "nInvalidDocuments", get_i64(facts, "nCorrupt"));
    wk_exec_explain_num(r, "nNonCompliantDocuments", 0);
    wk_exec_explain_num(r, "nrecords", get_i64(facts, "nrecords"));
    if (bson_iter_init_find(&it, facts, "indexValid") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t tmp = BSON_INITIALIZER;
        index_details(facts, &tmp, &nidx);
        BSON_APPEND_INT32(r, "nIndexes", nidx);
        keys_per_index(facts, r);
        bson_concat(r, &tmp);
        bson_destroy(&tmp);
    }
    BSON_APPEND_BOOL(r, "valid", valid);
    BSON_APPEND_BOOL(r, "repaired", false);
    BSON_APPEND_ARRAY(r, "warnings", &warnings);
    errors_of(facts, r);
    copy_field(facts, "extra", r, "extraIndexEntries");
    copy_field(facts, "missing", r, "missingIndexEntries");
    copy_field(facts, "corrupt", r, "corruptRecords");
    if (!valid)
        BSON_APPEND_UTF8(r, "advice",
                         "A corrupt namespace has been detected. See "
                         "http://dochub.mongodb.org/core/data-recovery for recovery steps.");
    bson_destroy(&warnings);
}

/*
 * wk_cmd_validate --
 *     {validate: coll, ...} -> mongod's validate reply.
 */
int
wk_cmd_validate(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"full",
                                         "repair",
                                         "background",
                                         "metadata",
                                         "checkBSONConformance",
                                         "enforceFastCount",
                                         "fixMultikey",
                                         NULL};
    char ns[WK_NS_MAX];
    bson_t req = BSON_INITIALIZER, facts = BSON_INITIALIZER;
    const wk_coll_info_t *ci;
    bson_iter_t it;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(options(cmd));
    SDB_ERR(wk_cmdu_refresh(&cmd->err));
    ci = wk_catalog_find(ns);
    if (ci != NULL && bson_iter_init_find(&it, &ci->options, "viewOn"))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupportedOnView,
                              "Cannot validate a view: %s", ns));
    BSON_APPEND_UTF8(&req, "ns", ns);
    bson_destroy(&facts);
    SDB_ERR(wk_cmdu_store(SDB_OP_VALIDATE, &req, &facts, &cmd->err));
    word_reply(cmd, ns, &facts);
err:
    bson_destroy(&req);
    bson_destroy(&facts);
    return ret;
}
