/*
 * tests/integration/it_options.c -- every accepted command option changes the outcome.
 *
 * Issue 10, "nothing accepted that is not honoured": one table per command family lists
 * the options the command accepts; each row runs the command without and with the option
 * against the same freshly seeded database and asserts that the outcome differs as mongod
 * 7.0's does (a reply field, an array length, a probe command's reply afterwards, or an
 * error code).  Options mongod itself accepts and ignores on a standalone are listed at the
 * end of each table with mongod's reason, and are only checked to be accepted.
 *
 * Invariants: one shared server; every run starts with dropDatabase on DB.
 */
#include "harness.h"

#define DB "opts"
#define SEED                                                                                       \
    "{'insert': 'o', 'documents': [{'_id': 1, 'a': 3, 's': 'b'}, {'_id': 2, 'a': 1, 's': 'B'},"    \
    " {'_id': 3, 'a': 2, 's': 'a'}]}|{'createIndexes': 'o', 'indexes': [{'key': {'a': 1},"         \
    " 'name': 'a_1'}]}"
#define VALIDATED                                                                                  \
    "{'create': 'o', 'validator': {'a': {'$exists': true}}}|{'insert': 'o', 'documents':"          \
    " [{'_id': 1, 'a': 1}]}"

enum {
    M_INT,
    M_LEN,
    M_HAS,
    M_NZ,
    M_SUB /* path "a.b=needle": 1 when the string at a.b contains needle */
};

/* opt_row_t -- one option: `without` and `with` differ only by it; after `setup` (commands
 * separated by '|'), each runs and then `probe` (or nothing: the command's own reply) is read
 * at `path` as mode says.  A nonzero err_* means that side fails with that code (top-level,
 * or the first write error). */
typedef struct opt_row {
    const char *option;
    const char *setup, *without, *with, *probe, *path;
    int mode;
    int64_t want_without, want_with;
    int err_without, err_with;
} opt_row_t;

/* error_code -- the command's top-level code, else its first write error's, else 0. */
static int64_t
error_code(const bson_t *reply)
{
    if (fx_has(reply, "ok") && fx_int(reply, "ok") == 0)
        return fx_int(reply, "code");
    if (fx_has(reply, "writeErrors.0.code"))
        return fx_int(reply, "writeErrors.0.code");
    if (fx_has(reply, "writeConcernError.code"))
        return fx_int(reply, "writeConcernError.code");
    return 0;
}

/* run_list -- run every command of `list` (separated by '|'); the last reply stays in *last
 * whether it failed or not (errors of the others fail the test). */
static void
run_list(mongoc_client_t *c, const char *list, bson_t *last)
{
    char buf[2048];
    char *save = NULL, *t, *next;
    bson_t r;

    ck_assert_uint_lt(strlen(list), sizeof(buf));
    memcpy(buf, list, strlen(list) + 1);
    for (t = strtok_r(buf, "|", &save); t != NULL; t = next) {
        bson_error_t e;

        next = strtok_r(NULL, "|", &save);
        if (next == NULL) {
            fx_cmd(c, DB, t, last, &e);
            return;
        }
        CMD_OK(c, DB, t, &r);
        ck_assert_msg(error_code(&r) == 0, "%s: %s", t, fx_to_json(&r));
        bson_destroy(&r);
    }
    bson_init(last);
}

static void
run_setup(mongoc_client_t *c, const char *setup)
{
    char buf[2048];
    char *save = NULL;
    bson_t r;

    CMD_OK(c, DB, "{'dropDatabase': 1}", &r);
    bson_destroy(&r);
    if (setup == NULL)
        return;
    ck_assert_uint_lt(strlen(setup), sizeof(buf));
    memcpy(buf, setup, strlen(setup) + 1);
    for (char *t = strtok_r(buf, "|", &save); t != NULL; t = strtok_r(NULL, "|", &save)) {
        CMD_OK(c, DB, t, &r);
        ck_assert_msg(error_code(&r) == 0, "setup %s: %s", t, fx_to_json(&r));
        bson_destroy(&r);
    }
}

/* contains -- M_SUB: the string at the path before '=' contains what follows it. */
static int64_t
contains(const bson_t *r, const char *spec)
{
    char path[256];
    const char *eq = strchr(spec, '='), *v;

    ck_assert_ptr_nonnull(eq);
    ck_assert_uint_lt((size_t)(eq - spec), sizeof(path));
    memcpy(path, spec, (size_t)(eq - spec));
    path[eq - spec] = '\0';
    v = fx_str(r, path);
    return v != NULL && strstr(v, eq + 1) != NULL ? 1 : 0;
}

static int64_t
measure(const bson_t *r, const opt_row_t *row)
{
    if (row->mode == M_SUB)
        return contains(r, row->path);
    if (row->mode == M_LEN)
        return fx_array_len(r, row->path);
    if (row->mode == M_HAS)
        return fx_has(r, row->path) ? 1 : 0;
    if (row->mode == M_NZ)
        return fx_int(r, row->path) != 0 ? 1 : 0;
    return fx_int(r, row->path);
}

/* run_side -- one side of a row: the command, its error, then the measured value. */
static void
run_side(mongoc_client_t *c, const char *family, const opt_row_t *row, const char *cmd,
         int64_t want, int want_err)
{
    bson_t r, p;
    int64_t code;

    run_setup(c, row->setup);
    run_list(c, cmd, &r);
    code = error_code(&r);
    ck_assert_msg(code == want_err, "%s %s: %s -> code %lld, want %d: %s", family, row->option, cmd,
                  (long long)code, want_err, fx_to_json(&r));
    if (want_err == 0 || row->probe != NULL) {
        if (row->probe != NULL) {
            run_list(c, row->probe, &p);
            ck_assert_msg(measure(&p, row) == want, "%s %s: %s then %s: %s want %lld in %s", family,
                          row->option, cmd, row->probe, row->path, (long long)want, fx_to_json(&p));
            bson_destroy(&p);
        } else {
            ck_assert_msg(measure(&r, row) == want, "%s %s: %s: %s want %lld in %s", family,
                          row->option, cmd, row->path, (long long)want, fx_to_json(&r));
        }
    }
    bson_destroy(&r);
}

static void
run_table(const char *family, const opt_row_t *rows, size_t n)
{
    mongoc_client_t *c = IT_CLIENT();

    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(rows[i].want_without != rows[i].want_with ||
                          rows[i].err_without != rows[i].err_with,
                      "%s %s: a row whose two sides agree proves nothing", family, rows[i].option);
        run_side(c, family, &rows[i], rows[i].without, rows[i].want_without, rows[i].err_without);
        run_side(c, family, &rows[i], rows[i].with, rows[i].want_with, rows[i].err_with);
    }
    mongoc_client_destroy(c);
}

/* run_accepted -- options mongod accepts and ignores on a standalone: only accepted. */
static void
run_accepted(const char *setup, const char *const *cmds, size_t n)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    for (size_t i = 0; i < n; i++) {
        run_setup(c, setup);
        CMD_OK(c, DB, cmds[i], &r);
        ck_assert_msg(error_code(&r) == 0, "%s: %s", cmds[i], fx_to_json(&r));
        bson_destroy(&r);
    }
    mongoc_client_destroy(c);
}

#define ROWS(t) (sizeof(t) / sizeof((t)[0]))
#define FIND(x) "{'find': 'o'" x "}"

static const opt_row_t find_rows[] = {
    {"filter", SEED, FIND(""), FIND(", 'filter': {'a': 1}"), NULL, "cursor.firstBatch.0._id", M_INT,
     1, 2, 0, 0},
    {"projection", SEED, FIND(""), FIND(", 'projection': {'_id': 0}"), NULL,
     "cursor.firstBatch.0._id", M_HAS, 1, 0, 0, 0},
    {"sort", SEED, FIND(""), FIND(", 'sort': {'a': 1}"), NULL, "cursor.firstBatch.0._id", M_INT, 1,
     2, 0, 0},
    {"skip", SEED, FIND(""), FIND(", 'skip': 1"), NULL, "cursor.firstBatch.0._id", M_INT, 1, 2, 0,
     0},
    {"limit", SEED, FIND(""), FIND(", 'limit': 1"), NULL, "cursor.firstBatch", M_LEN, 3, 1, 0, 0},
    {"batchSize", SEED, FIND(""), FIND(", 'batchSize': 2"), NULL, "cursor.firstBatch", M_LEN, 3, 2,
     0, 0},
    {"singleBatch", SEED, FIND(", 'batchSize': 1"), FIND(", 'batchSize': 1, 'singleBatch': true"),
     NULL, "cursor.id", M_NZ, 1, 0, 0, 0},
    {"hint", SEED, FIND(""), FIND(", 'hint': {'a': 1}"), NULL, "cursor.firstBatch.0._id", M_INT, 1,
     2, 0, 0},
    {"min", SEED, FIND(", 'hint': 'a_1'"), FIND(", 'hint': 'a_1', 'min': {'a': 2}"), NULL,
     "cursor.firstBatch.0._id", M_INT, 2, 3, 0, 0},
    {"max", SEED, FIND(", 'hint': 'a_1'"), FIND(", 'hint': 'a_1', 'max': {'a': 2}"), NULL,
     "cursor.firstBatch", M_LEN, 3, 1, 0, 0},
    {"returnKey", SEED, FIND(", 'hint': 'a_1'"), FIND(", 'hint': 'a_1', 'returnKey': true"), NULL,
     "cursor.firstBatch.0._id", M_HAS, 1, 0, 0, 0},
    {"showRecordId", SEED, FIND(""), FIND(", 'showRecordId': true"), NULL,
     "cursor.firstBatch.0.$recordId", M_HAS, 0, 1, 0, 0},
    {"collation", SEED, FIND(", 'filter': {'s': 'b'}"),
     FIND(", 'filter': {'s': 'b'}, 'collation': {'locale': 'en', 'strength': 2}"), NULL,
     "cursor.firstBatch", M_LEN, 1, 2, 0, 0},
    {"let", SEED, FIND(", 'filter': {'$expr': {'$eq': ['$a', '$$x']}}"),
     FIND(", 'filter': {'$expr': {'$eq': ['$a', '$$x']}}, 'let': {'x': 1}"), NULL,
     "cursor.firstBatch.0._id", M_INT, 0, 2, 17276, 0},
    {"tailable", SEED, FIND(""), FIND(", 'tailable': true"), NULL, "cursor.firstBatch", M_LEN, 3, 0,
     0, 2},
    {"awaitData", SEED, FIND(""), FIND(", 'awaitData': true"), NULL, "cursor.firstBatch", M_LEN, 3,
     0, 0, 9},
    {"$_requestResumeToken", SEED, FIND(", 'hint': {'$natural': 1}"),
     FIND(", 'hint': {'$natural': 1}, '$_requestResumeToken': true"), NULL, "cursor.firstBatch",
     M_LEN, 3, 0, 0, 72}, /* not implemented: refused, never ignored */
    {"$_requestResumeToken without a $natural hint", SEED, FIND(""),
     FIND(", '$_requestResumeToken': true"), NULL, "cursor.firstBatch", M_LEN, 3, 0, 0, 2},
    {"$_resumeAfter", SEED, FIND(""), FIND(", '$_resumeAfter': {'$recordId': 1}"), NULL,
     "cursor.firstBatch", M_LEN, 3, 0, 0, 2},
};

/* mongod 7.0 accepts these on a standalone and they change nothing there: oplogReplay is
 * deprecated and ignored since 4.4; allowPartialResults only matters on mongos when a shard
 * is down; readOnce is a storage-cache hint; term is the replication term of internal reads;
 * noCursorTimeout is proved in it_hostile_cursors (the cursor outlives the idle timeout). */
static const char *const find_accepted[] = {
    FIND(", 'oplogReplay': true"),
    FIND(", 'allowPartialResults': true"),
    FIND(", 'readOnce': true"),
    FIND(", 'noCursorTimeout': true"),
};

START_TEST(test_find)
{
    run_table("find", find_rows, ROWS(find_rows));
    run_accepted(SEED, find_accepted, ROWS(find_accepted));
}
END_TEST

/* find's allowDiskUse: a blocking sort over internalQueryMaxBlockingSortMemoryUsageBytes fails
 * with 292 when it is false and completes when it is true or absent (allowDiskUseByDefault,
 * true as in mongod 7.0); the parameter is set low for the test and put back. */
START_TEST(test_find_allow_disk_use)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_error_t e;
    bson_t r;

    run_setup(c, SEED);
    CMD_OK(c, "admin", "{'setParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': 16}",
           &r);
    bson_destroy(&r);
    ck_assert(!fx_cmd(c, DB, FIND(", 'sort': {'s': 1}, 'allowDiskUse': false"), &r, &e));
    ck_assert_msg(fx_int(&r, "code") == 292, "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, FIND(", 'sort': {'s': 1}, 'allowDiskUse': true"), &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    ck_assert_int_eq(fx_int(&r, "cursor.firstBatch.0._id"), 2);
    bson_destroy(&r);
    CMD_OK(c, DB, FIND(", 'sort': {'s': 1}"), &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    bson_destroy(&r);
    CMD_OK(c, "admin",
           "{'setParameter': 1, 'internalQueryMaxBlockingSortMemoryUsageBytes': 104857600}", &r);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

#define INS(x) "{'insert': 'o', 'documents': " x "}"

static const opt_row_t insert_rows[] = {
    {"ordered", SEED, INS("[{'_id': 1}, {'_id': 4}]"),
     INS("[{'_id': 1}, {'_id': 4}], 'ordered': false"), "{'count': 'o'}", "n", M_INT, 3, 4, 11000,
     11000},
    {"bypassDocumentValidation", VALIDATED, INS("[{'_id': 2}]"),
     INS("[{'_id': 2}], 'bypassDocumentValidation': true"), "{'count': 'o'}", "n", M_INT, 1, 2, 121,
     0},
};

START_TEST(test_insert)
{
    run_table("insert", insert_rows, ROWS(insert_rows));
}
END_TEST

#define UPD(x) "{'update': 'o', 'updates': [" x "]}"
#define UPDC(x, y) "{'update': 'o', 'updates': [" x "]" y "}"

static const opt_row_t update_rows[] = {
    {"ordered", SEED,
     UPDC(
         "{'q': {'_id': 1}, 'u': {'$set': {'_id': 9}}}, {'q': {'_id': 2}, 'u': {'$set': {'x': 1}}}",
         ""),
     UPDC(
         "{'q': {'_id': 1}, 'u': {'$set': {'_id': 9}}}, {'q': {'_id': 2}, 'u': {'$set': {'x': 1}}}",
         ", 'ordered': false"),
     "{'count': 'o', 'query': {'x': 1}}", "n", M_INT, 0, 1, 66, 66},
    {"bypassDocumentValidation", VALIDATED, UPD("{'q': {}, 'u': {'$unset': {'a': 1}}}"),
     UPDC("{'q': {}, 'u': {'$unset': {'a': 1}}}", ", 'bypassDocumentValidation': true"),
     "{'count': 'o', 'query': {'a': 1}}", "n", M_INT, 1, 0, 121, 0},
    {"let", SEED, UPD("{'q': {'_id': 1}, 'u': [{'$set': {'x': '$$v'}}]}"),
     UPDC("{'q': {'_id': 1}, 'u': [{'$set': {'x': '$$v'}}]}", ", 'let': {'v': 7}"),
     "{'count': 'o', 'query': {'x': 7}}", "n", M_INT, 0, 1, 17276, 0},
    {"upsert", SEED, UPD("{'q': {'_id': 8}, 'u': {'$set': {'x': 1}}}"),
     UPD("{'q': {'_id': 8}, 'u': {'$set': {'x': 1}}, 'upsert': true}"), NULL, "n", M_INT, 0, 1, 0,
     0},
    {"multi", SEED, UPD("{'q': {}, 'u': {'$set': {'x': 1}}}"),
     UPD("{'q': {}, 'u': {'$set': {'x': 1}}, 'multi': true}"), NULL, "nModified", M_INT, 1, 3, 0,
     0},
    {"arrayFilters", "{'insert': 'o', 'documents': [{'_id': 1, 'r': [1, 2, 3]}]}",
     UPD("{'q': {}, 'u': {'$set': {'r.$[e]': 0}}}"),
     UPD("{'q': {}, 'u': {'$set': {'r.$[e]': 0}}, 'arrayFilters': [{'e': {'$gt': 1}}]}"),
     "{'count': 'o', 'query': {'r': [1, 0, 0]}}", "n", M_INT, 0, 1, 2, 0},
    {"hint", SEED, UPD("{'q': {'a': {'$gte': 1}}, 'u': {'$set': {'x': 1}}}"),
     UPD("{'q': {'a': {'$gte': 1}}, 'u': {'$set': {'x': 1}}, 'hint': {'$natural': 1}}"),
     "{'count': 'o', 'query': {'x': 1, 'a': 3}}", "n", M_INT, 0, 1, 0, 0},
    {"hint (no such index)", SEED, UPD("{'q': {}, 'u': {'$set': {'x': 1}}}"),
     UPD("{'q': {}, 'u': {'$set': {'x': 1}}, 'hint': 'b_1'}"), NULL, "n", M_INT, 1, 0, 0, 2},
    {"collation", SEED, UPD("{'q': {'s': 'b'}, 'u': {'$set': {'x': 1}}, 'multi': true}"),
     UPD("{'q': {'s': 'b'}, 'u': {'$set': {'x': 1}}, 'multi': true, 'collation': {'locale': 'en',"
         " 'strength': 2}}"),
     NULL, "n", M_INT, 1, 2, 0, 0},
    {"c", SEED, UPD("{'q': {'_id': 1}, 'u': [{'$set': {'x': '$$k'}}]}"),
     UPD("{'q': {'_id': 1}, 'u': [{'$set': {'x': '$$k'}}], 'c': {'k': 5}}"),
     "{'count': 'o', 'query': {'x': 5}}", "n", M_INT, 0, 1, 17276, 0},
    {"c on a non-pipeline update", SEED, UPD("{'q': {'_id': 1}, 'u': {'$set': {'x': 1}}}"),
     UPD("{'q': {'_id': 1}, 'u': {'$set': {'x': 1}}, 'c': {'k': 5}}"), NULL, "n", M_INT, 1, 0, 0,
     51198},
    {"upsertSupplied", SEED,
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'upsert': true, 'c': {'new': {'_id': 60,"
         " 'z': 1}}}"),
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'upsert': true, 'upsertSupplied': true,"
         " 'c': {'new': {'_id': 60, 'z': 1}}}"),
     "{'count': 'o', 'query': {'_id': 60, 'z': 1}}", "n", M_INT, 0, 1, 0, 0},
    {"upsertSupplied without upsert", SEED,
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'c': {'new': {'_id': 60}}}"),
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'upsertSupplied': true, 'c': {'new':"
         " {'_id': 60}}}"),
     NULL, "n", M_INT, 0, 0, 0, 9},
    {"upsertSupplied without c.new", SEED,
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'upsert': true}"),
     UPD("{'q': {'_id': 60}, 'u': [{'$set': {'z': 2}}], 'upsert': true, 'upsertSupplied': true}"),
     NULL, "n", M_INT, 1, 0, 0, 9},
};

START_TEST(test_update)
{
    run_table("update", update_rows, ROWS(update_rows));
}
END_TEST

#define DEL(x) "{'delete': 'o', 'deletes': [" x "]}"

static const opt_row_t delete_rows[] = {
    {"ordered", SEED, DEL("{'q': {'$bad': 1}, 'limit': 0}, {'q': {'_id': 1}, 'limit': 0}"),
     "{'delete': 'o', 'deletes': [{'q': {'$bad': 1}, 'limit': 0}, {'q': {'_id': 1}, 'limit': 0}],"
     " 'ordered': false}",
     "{'count': 'o'}", "n", M_INT, 3, 2, 2, 2},
    {"let", SEED, DEL("{'q': {'$expr': {'$eq': ['$_id', '$$i']}}, 'limit': 0}"),
     "{'delete': 'o', 'deletes': [{'q': {'$expr': {'$eq': ['$_id', '$$i']}}, 'limit': 0}], 'let':"
     " {'i': 1}}",
     "{'count': 'o'}", "n", M_INT, 3, 2, 17276, 0},
    {"limit", SEED, DEL("{'q': {}, 'limit': 0}"), DEL("{'q': {}, 'limit': 1}"), NULL, "n", M_INT, 3,
     1, 0, 0},
    {"hint", SEED, DEL("{'q': {'a': {'$gte': 1}}, 'limit': 1}"),
     DEL("{'q': {'a': {'$gte': 1}}, 'limit': 1, 'hint': {'$natural': 1}}"),
     "{'count': 'o', 'query': {'a': 3}}", "n", M_INT, 1, 0, 0, 0},
    {"collation", SEED, DEL("{'q': {'s': 'b'}, 'limit': 0}"),
     DEL("{'q': {'s': 'b'}, 'limit': 0, 'collation': {'locale': 'en', 'strength': 2}}"), NULL, "n",
     M_INT, 1, 2, 0, 0},
};

START_TEST(test_delete)
{
    run_table("delete", delete_rows, ROWS(delete_rows));
}
END_TEST

#define FAM(x) "{'findAndModify': 'o'" x "}"

static const opt_row_t fam_rows[] = {
    {"query", SEED, FAM(", 'remove': true"), FAM(", 'remove': true, 'query': {'a': 2}"), NULL,
     "value._id", M_INT, 1, 3, 0, 0},
    {"sort", SEED, FAM(", 'remove': true"), FAM(", 'remove': true, 'sort': {'a': 1}"), NULL,
     "value._id", M_INT, 1, 2, 0, 0},
    {"new", SEED, FAM(", 'query': {'_id': 1}, 'update': {'$set': {'a': 9}}"),
     FAM(", 'query': {'_id': 1}, 'update': {'$set': {'a': 9}}, 'new': true"), NULL, "value.a",
     M_INT, 3, 9, 0, 0},
    {"fields", SEED, FAM(", 'remove': true"), FAM(", 'remove': true, 'fields': {'_id': 1}"), NULL,
     "value.a", M_HAS, 1, 0, 0, 0},
    {"upsert", SEED, FAM(", 'query': {'_id': 7}, 'update': {'$set': {'a': 1}}"),
     FAM(", 'query': {'_id': 7}, 'update': {'$set': {'a': 1}}, 'upsert': true"), NULL,
     "lastErrorObject.n", M_INT, 0, 1, 0, 0},
    {"bypassDocumentValidation", VALIDATED, FAM(", 'update': {'$unset': {'a': 1}}"),
     FAM(", 'update': {'$unset': {'a': 1}}, 'bypassDocumentValidation': true"),
     "{'count': 'o', 'query': {'a': 1}}", "n", M_INT, 1, 0, 121, 0},
    {"collation", SEED, FAM(", 'query': {'s': 'B'}, 'remove': true, 'sort': {'_id': 1}"),
     FAM(", 'query': {'s': 'B'}, 'remove': true, 'sort': {'_id': 1}, 'collation': {'locale':"
         " 'en', 'strength': 2}"),
     NULL, "value._id", M_INT, 2, 1, 0, 0},
    {"arrayFilters", "{'insert': 'o', 'documents': [{'_id': 1, 'r': [1, 2, 3]}]}",
     FAM(", 'update': {'$set': {'r.$[e]': 0}}"),
     FAM(", 'update': {'$set': {'r.$[e]': 0}}, 'arrayFilters': [{'e': {'$gt': 1}}]"),
     "{'count': 'o', 'query': {'r': [1, 0, 0]}}", "n", M_INT, 0, 1, 2, 0},
    {"hint", SEED, FAM(", 'query': {'a': {'$gte': 1}}, 'remove': true"),
     FAM(", 'query': {'a': {'$gte': 1}}, 'remove': true, 'hint': {'$natural': 1}"), NULL,
     "value._id", M_INT, 2, 1, 0, 0},
    {"let", SEED, FAM(", 'query': {'$expr': {'$eq': ['$a', '$$x']}}, 'remove': true"),
     FAM(", 'query': {'$expr': {'$eq': ['$a', '$$x']}}, 'remove': true, 'let': {'x': 2}"), NULL,
     "value._id", M_INT, 0, 3, 17276, 0},
};

START_TEST(test_find_and_modify)
{
    run_table("findAndModify", fam_rows, ROWS(fam_rows));
}
END_TEST

#define AGG(p, x) "{'aggregate': 'o', 'pipeline': " p ", 'cursor': {}" x "}"

static const opt_row_t agg_rows[] = {
    {"pipeline", SEED, AGG("[]", ""), AGG("[{'$match': {'a': 1}}]", ""), NULL, "cursor.firstBatch",
     M_LEN, 3, 1, 0, 0},
    {"cursor.batchSize", SEED, AGG("[]", ""),
     "{'aggregate': 'o', 'pipeline': [], 'cursor': {'batchSize': 1}}", NULL, "cursor.firstBatch",
     M_LEN, 3, 1, 0, 0},
    {"explain", SEED, AGG("[]", ""), "{'aggregate': 'o', 'pipeline': [], 'explain': true}", NULL,
     "cursor", M_HAS, 1, 0, 0, 0},
    {"hint", SEED, AGG("[]", ""), AGG("[]", ", 'hint': {'a': 1}"), NULL, "cursor.firstBatch.0._id",
     M_INT, 1, 2, 0, 0},
    {"let", SEED, AGG("[{'$match': {'$expr': {'$eq': ['$a', '$$x']}}}]", ""),
     AGG("[{'$match': {'$expr': {'$eq': ['$a', '$$x']}}}]", ", 'let': {'x': 2}"), NULL,
     "cursor.firstBatch.0._id", M_INT, 0, 3, 17276, 0},
    {"collation", SEED, AGG("[{'$match': {'s': 'b'}}]", ""),
     AGG("[{'$match': {'s': 'b'}}]", ", 'collation': {'locale': 'en', 'strength': 2}"), NULL,
     "cursor.firstBatch", M_LEN, 1, 2, 0, 0},
    {"bypassDocumentValidation ($merge)", VALIDATED,
     "{'aggregate': 'o', 'pipeline': [{'$project': {'a': 0}}, {'$addFields': {'_id': 5}},"
     " {'$merge': 'o'}], 'cursor': {}}",
     "{'aggregate': 'o', 'pipeline': [{'$project': {'a': 0}}, {'$addFields': {'_id': 5}},"
     " {'$merge': 'o'}], 'cursor': {}, 'bypassDocumentValidation': true}",
     "{'count': 'o'}", "n", M_INT, 1, 2, 121, 0},
    {"bypassDocumentValidation ($out)", VALIDATED,
     "{'aggregate': 'o', 'pipeline': [{'$project': {'a': 0}}, {'$out': 'o'}], 'cursor': {}}",
     "{'aggregate': 'o', 'pipeline': [{'$project': {'a': 0}}, {'$out': 'o'}], 'cursor': {},"
     " 'bypassDocumentValidation': true}",
     "{'count': 'o', 'query': {'a': 1}}", "n", M_INT, 1, 0, 121, 0},
    {"$out keeps the target's validator",
     VALIDATED "|{'aggregate': 'o', 'pipeline': [{'$out': 'o'}], 'cursor': {}}",
     INS("[{'_id': 3, 'a': 1}]"), INS("[{'_id': 3}]"), NULL, "n", M_INT, 1, 0, 0, 121},
};

START_TEST(test_aggregate)
{
    run_table("aggregate", agg_rows, ROWS(agg_rows));
}
END_TEST

static const opt_row_t count_rows[] = {
    {"query", SEED, "{'count': 'o'}", "{'count': 'o', 'query': {'a': 1}}", NULL, "n", M_INT, 3, 1,
     0, 0},
    {"limit", SEED, "{'count': 'o'}", "{'count': 'o', 'limit': 2}", NULL, "n", M_INT, 3, 2, 0, 0},
    {"skip", SEED, "{'count': 'o'}", "{'count': 'o', 'skip': 2}", NULL, "n", M_INT, 3, 1, 0, 0},
    {"hint",
     "{'insert': 'o', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2}]}|{'createIndexes': 'o',"
     " 'indexes': [{'key': {'a': 1}, 'name': 'a_1', 'sparse': true}]}",
     "{'count': 'o'}", "{'count': 'o', 'hint': 'a_1'}", NULL, "n", M_INT, 2, 1, 0, 0},
    {"collation", SEED, "{'count': 'o', 'query': {'s': 'b'}}",
     "{'count': 'o', 'query': {'s': 'b'}, 'collation': {'locale': 'en', 'strength': 2}}", NULL, "n",
     M_INT, 1, 2, 0, 0},
};

static const opt_row_t distinct_rows[] = {
    {"key", SEED, "{'distinct': 'o', 'key': 'a'}", "{'distinct': 'o', 'key': 'nosuch'}", NULL,
     "values", M_LEN, 3, 0, 0, 0},
    {"query", SEED, "{'distinct': 'o', 'key': 'a'}",
     "{'distinct': 'o', 'key': 'a', 'query': {'a': 1}}", NULL, "values", M_LEN, 3, 1, 0, 0},
    {"collation", SEED, "{'distinct': 'o', 'key': 's'}",
     "{'distinct': 'o', 'key': 's', 'collation': {'locale': 'en', 'strength': 2}}", NULL, "values",
     M_LEN, 3, 2, 0, 0},
    {"hint", SEED, "{'distinct': 'o', 'key': 'a'}", "{'distinct': 'o', 'key': 'a', 'hint': 'b_1'}",
     NULL, "values", M_LEN, 3, 0, 0, 2},
};

START_TEST(test_count_distinct)
{
    run_table("count", count_rows, ROWS(count_rows));
    run_table("distinct", distinct_rows, ROWS(distinct_rows));
}
END_TEST

#define CREATE(x) "{'create': 'o'" x "}"
#define VAL "'validator': {'a': {'$exists': true}}"
#define IDX "'idIndex': {'key': {'_id': 1}, 'name': '_id_', 'v': 2}"

static const opt_row_t create_rows[] = {
    {"capped, size, max", NULL, CREATE(""), CREATE(", 'capped': true, 'size': 4096, 'max': 2"),
     INS("[{'_id': 1}, {'_id': 2}, {'_id': 3}]") "|{'count': 'o'}", "n", M_INT, 3, 2, 0, 0},
    {"validator", NULL, CREATE(""), CREATE(", " VAL), INS("[{'_id': 1}]"), "n", M_INT, 1, 0, 0, 0},
    {"validationAction", NULL, CREATE(", " VAL), CREATE(", " VAL ", 'validationAction': 'warn'"),
     INS("[{'_id': 1}]"), "n", M_INT, 0, 1, 0, 0},
    {"validationLevel", NULL, CREATE(", " VAL), CREATE(", " VAL ", 'validationLevel': 'off'"),
     INS("[{'_id': 1}]"), "n", M_INT, 0, 1, 0, 0},
    {"validationLevel moderate", NULL,
     CREATE("") "|" INS("[{'_id': 1}]") "|{'collMod': 'o', " VAL "}",
     CREATE("") "|" INS("[{'_id': 1}]") "|{'collMod': 'o', " VAL ", 'validationLevel': 'moderate'}",
     UPD("{'q': {}, 'u': {'$set': {'x': 1}}}"), "nModified", M_INT, 0, 1, 0, 0},
    {"collation", NULL, CREATE(""), CREATE(", 'collation': {'locale': 'en', 'strength': 2}"),
     INS("[{'_id': 1, 's': 'b'}, {'_id': 2, 's': 'B'}]") "|{'count': 'o', 'query': {'s': 'b'}}",
     "n", M_INT, 1, 2, 0, 0},
    {"viewOn, pipeline", SEED, "{'create': 'v'}",
     "{'create': 'v', 'viewOn': 'o', 'pipeline': [{'$match': {'a': 1}}]}", "{'count': 'v'}", "n",
     M_INT, 0, 1, 0, 0},
    {"clusteredIndex", NULL, CREATE(""),
     CREATE(", 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}"),
     INS("[{'_id': 2}, {'_id': 1}]") "|" FIND(""), "cursor.firstBatch.0._id", M_INT, 2, 1, 0, 0},
    {"timeseries (not supported: refused)", NULL, CREATE(""),
     CREATE(", 'timeseries': {'timeField': 't'}"), NULL, "ok", M_INT, 1, 0, 0, 115},
    {"idIndex with viewOn", SEED, "{'create': 'v', 'viewOn': 'o'}",
     "{'create': 'v', 'viewOn': 'o', " IDX "}", NULL, "ok", M_INT, 1, 0, 0, 72},
    {"idIndex with autoIndexId", NULL, CREATE(", " IDX), CREATE(", " IDX ", 'autoIndexId': true"),
     NULL, "ok", M_INT, 1, 0, 0, 72},
    {"idIndex fields", NULL, CREATE(", " IDX),
     CREATE(", 'idIndex': {'key': {'_id': 1}, 'name': '_id_', 'unique': true}"), NULL, "ok", M_INT,
     1, 0, 0, 197},
    {"idIndex key", NULL, CREATE(", " IDX),
     CREATE(", 'idIndex': {'key': {'_id': -1}, 'name': '_id_'}"), NULL, "ok", M_INT, 1, 0, 0, 2},
};

/* mongod 7.0 accepts these create options and they change nothing on WiredTiger: flags are the
 * MMAPv1 record allocation flags (only shown back by listCollections), and autoIndexId: true is
 * what every collection gets anyway. */
static const char *const create_accepted[] = {
    CREATE(", 'flags': 1"),
    CREATE(", 'autoIndexId': true"),
};

#define CI(x) "{'createIndexes': 'o', 'indexes': [{'key': {'a': 1}, 'name': 'a_1'" x "}]}"

static const opt_row_t index_rows[] = {
    {"unique", "{'insert': 'o', 'documents': [{'_id': 1, 'a': 1}]}", CI(""), CI(", 'unique': true"),
     INS("[{'_id': 2, 'a': 1}]"), "n", M_INT, 1, 0, 0, 0},
    {"sparse", "{'insert': 'o', 'documents': [{'_id': 1, 'a': 1}, {'_id': 2}]}", CI(""),
     CI(", 'sparse': true"), "{'count': 'o', 'hint': 'a_1'}", "n", M_INT, 2, 1, 0, 0},
    {"partialFilterExpression", "{'insert': 'o', 'documents': [{'_id': 1, 'a': 1, 'p': true}]}",
     CI(", 'unique': true"), CI(", 'unique': true, 'partialFilterExpression': {'p': true}"),
     INS("[{'_id': 2, 'a': 1}]"), "n", M_INT, 0, 1, 0, 0},
    {"hidden", SEED "|{'dropIndexes': 'o', 'index': 'a_1'}", CI(""), CI(", 'hidden': true"),
     FIND(", 'hint': 'a_1'"), "ok", M_INT, 1, 0, 0, 0},
    {"collation", "{'insert': 'o', 'documents': [{'_id': 1, 'a': 'x'}]}", CI(", 'unique': true"),
     CI(", 'unique': true, 'collation': {'locale': 'en', 'strength': 2}"),
     INS("[{'_id': 2, 'a': 'X'}]"), "n", M_INT, 1, 0, 0, 0},
    {"v", NULL, CI(""), CI(", 'v': 1"), "{'listIndexes': 'o'}", "cursor.firstBatch.1.v", M_INT, 2,
     1, 0, 0},
    {"v (neither 1 nor 2)", NULL, CI(", 'v': 2"), CI(", 'v': 3"), NULL, "ok", M_INT, 1, 0, 0, 67},
    {"v (type)", NULL, CI(", 'v': 2.0"), CI(", 'v': '2'"), NULL, "ok", M_INT, 1, 0, 0, 14},
    {"v 1 with collation", NULL, CI(", 'v': 2, 'collation': {'locale': 'fr'}"),
     CI(", 'v': 1, 'collation': {'locale': 'fr'}"), NULL, "ok", M_INT, 1, 0, 0, 67},
};

/* mongod 7.0 accepts these index options and they change nothing: background is a creation-time
 * hint (every build is a hybrid build since 4.2) and dropDups is "now ignored" (since 3.0). */
static const char *const index_accepted[] = {
    CI(", 'background': true"),
    CI(", 'dropDups': true"),
};

/* storageEngine: {wiredTiger: {configString}} on create, create's indexOptionDefaults and an
 * index spec reaches WiredTiger's create for the table (collStats shows the table's
 * wiredTiger.creationString and each index's indexDetails.<name>.creationString, as mongod);
 * WiredTiger itself validates the string (22: Invalid argument, BadValue), and the shape is
 * checked as mongod checks it. */
#define WT(x) "{'wiredTiger': {'configString': '" x "'}}"
#define STATS "{'collStats': 'o'}"

static const opt_row_t storage_rows[] = {
    {"create storageEngine", NULL, CREATE(""),
     CREATE(", 'storageEngine': " WT("app_metadata=(sdbt=1)")), STATS,
     "wiredTiger.creationString=sdbt=1", M_SUB, 0, 1, 0, 0},
    {"create storageEngine shown", NULL, CREATE(""),
     CREATE(", 'storageEngine': " WT("app_metadata=(sdbt=1)")),
     "{'listCollections': 1, 'filter': {'name': 'o'}}",
     "cursor.firstBatch.0.options.storageEngine.wiredTiger.configString=sdbt", M_SUB, 0, 1, 0, 0},
    {"create storageEngine refused by WiredTiger", NULL, CREATE(", 'storageEngine': " WT("")),
     CREATE(", 'storageEngine': " WT("no_such_key=1")), NULL, "ok", M_INT, 1, 0, 0, 2},
    {"create storageEngine unknown compressor", NULL, CREATE(", 'storageEngine': " WT("")),
     CREATE(", 'storageEngine': " WT("block_compressor=nosuch")), NULL, "ok", M_INT, 1, 0, 0, 2},
    {"create storageEngine zlib", NULL, CREATE(""),
     CREATE(", 'storageEngine': " WT("block_compressor=zlib")), STATS,
     "wiredTiger.creationString=block_compressor=zlib", M_SUB, 0, 1, 0, 0},
    {"index storageEngine snappy", NULL, CI(""),
     CI(", 'storageEngine': " WT("block_compressor=snappy")), STATS,
     "indexDetails.a_1.creationString=block_compressor=snappy", M_SUB, 0, 1, 0, 0},
    {"create storageEngine type=lsm", NULL, CREATE(", 'storageEngine': " WT("")),
     CREATE(", 'storageEngine': " WT("type=lsm")), NULL, "ok", M_INT, 1, 0, 0, 6627201},
    {"create storageEngine engine", NULL, CREATE(", 'storageEngine': {'wiredTiger': {}}"),
     CREATE(", 'storageEngine': {'mmapv1': {}}"), NULL, "ok", M_INT, 1, 0, 0, 72},
    {"create storageEngine engine options", NULL, CREATE(", 'storageEngine': {'wiredTiger': {}}"),
     CREATE(", 'storageEngine': {'wiredTiger': 1}"), NULL, "ok", M_INT, 1, 0, 0, 2},
    {"create storageEngine wiredTiger field", NULL, CREATE(", 'storageEngine': {'wiredTiger': {}}"),
     CREATE(", 'storageEngine': {'wiredTiger': {'other': 'x'}}"), NULL, "ok", M_INT, 1, 0, 0, 72},
    {"create storageEngine configString type", NULL, CREATE(", 'storageEngine': " WT("")),
     CREATE(", 'storageEngine': {'wiredTiger': {'configString': 1}}"), NULL, "ok", M_INT, 1, 0, 0,
     14},
    {"indexOptionDefaults", NULL, CREATE("") "|" CI(""),
     CREATE(", 'indexOptionDefaults': {'storageEngine': " WT("app_metadata=(sdbi=1)") "}") "|" CI(
         ""),
     STATS, "indexDetails.a_1.creationString=sdbi=1", M_SUB, 0, 1, 0, 0},
    {"indexOptionDefaults on the _id index", NULL, CREATE(""),
     CREATE(", 'indexOptionDefaults': {'storageEngine': " WT("app_metadata=(sdbi=1)") "}"), STATS,
     "indexDetails._id_.creationString=sdbi=1", M_SUB, 0, 1, 0, 0},
    {"indexOptionDefaults refused by WiredTiger", NULL,
     CREATE(", 'indexOptionDefaults': {'storageEngine': " WT("") "}"),
     CREATE(", 'indexOptionDefaults': {'storageEngine': " WT("no_such_key=1") "}"), NULL, "ok",
     M_INT, 1, 0, 0, 2},
    {"indexOptionDefaults field", NULL, CREATE(", 'indexOptionDefaults': {}"),
     CREATE(", 'indexOptionDefaults': {'unique': true}"), NULL, "ok", M_INT, 1, 0, 0, 40415},
    {"index storageEngine", NULL, CI(""), CI(", 'storageEngine': " WT("app_metadata=(sdbx=1)")),
     STATS, "indexDetails.a_1.creationString=sdbx=1", M_SUB, 0, 1, 0, 0},
    {"index storageEngine over existing data", SEED "|{'dropIndexes': 'o', 'index': 'a_1'}", CI(""),
     CI(", 'storageEngine': " WT("app_metadata=(sdbx=1)")), STATS,
     "indexDetails.a_1.creationString=sdbx=1", M_SUB, 0, 1, 0, 0},
    {"index storageEngine shown", NULL, CI(""),
     CI(", 'storageEngine': " WT("app_metadata=(sdbx=1)")), "{'listIndexes': 'o'}",
     "cursor.firstBatch.1.storageEngine", M_HAS, 0, 1, 0, 0},
    {"index storageEngine refused by WiredTiger", NULL, CI(", 'storageEngine': " WT("")),
     CI(", 'storageEngine': " WT("no_such_key=1")), NULL, "ok", M_INT, 1, 0, 0, 2},
    {"index storageEngine empty", NULL, CI(", 'storageEngine': " WT("")),
     CI(", 'storageEngine': {}"), NULL, "ok", M_INT, 1, 0, 0, 67},
    {"index storageEngine type", NULL, CI(", 'storageEngine': " WT("")), CI(", 'storageEngine': 1"),
     NULL, "ok", M_INT, 1, 0, 0, 67},
};

START_TEST(test_storage_engine)
{
    run_table("storageEngine", storage_rows, ROWS(storage_rows));
}
END_TEST

/* Options mongod knows that this server refuses rather than ignores (time series, Queryable
 * Encryption, mongos-to-shard internals: 115 naming the option), options of later versions
 * than 7.0 (40415), and the rest of the sweep: commitQuorum against one member,
 * ignoreUnknownIndexOptions, listIndexes' includeIndexBuildInfo, mapReduce's
 * bypassDocumentValidation, dbStats' freeStorage. */
#define MR(x)                                                                                      \
    "{'mapReduce': 'o', 'map': 'function() { emit(this._id, this.a); }', 'reduce': 'function(k, "  \
    "v)"                                                                                           \
    " { return Array.sum(v); }', 'out': 'mr'" x "}"
#define MR_VALIDATED SEED "|{'create': 'mr', 'validator': {'value': {'$gt': 5}}}"

static const opt_row_t sweep_rows[] = {
    {"create encryptedFields", NULL, CREATE(""), CREATE(", 'encryptedFields': {'fields': []}"),
     NULL, "ok", M_INT, 1, 0, 0, 115},
    {"create expireAfterSeconds without clusteredIndex", NULL,
     CREATE(", 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}, 'expireAfterSeconds': 1"),
     CREATE(", 'expireAfterSeconds': 1"), NULL, "ok", M_INT, 1, 0, 0, 72},
    {"create expireAfterSeconds bounds", NULL,
     CREATE(", 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}, 'expireAfterSeconds': 0"),
     CREATE(", 'clusteredIndex': {'key': {'_id': 1}, 'unique': true}, 'expireAfterSeconds': -1"),
     NULL, "ok", M_INT, 1, 0, 0, 72},
    {"create recordIdsReplicated (8.0)", NULL, CREATE(""), CREATE(", 'recordIdsReplicated': true"),
     NULL, "ok", M_INT, 1, 0, 0, 40415},
    {"aggregate fromMongos", SEED, AGG("[]", ""), AGG("[]", ", 'fromMongos': true"), NULL, "ok",
     M_INT, 1, 0, 0, 115},
    {"aggregate needsMerge", SEED, AGG("[]", ""), AGG("[]", ", 'needsMerge': true"), NULL, "ok",
     M_INT, 1, 0, 0, 115},
    {"aggregate exchange", SEED, AGG("[]", ""), AGG("[]", ", 'exchange': {'policy': 'broadcast'}"),
     NULL, "ok", M_INT, 1, 0, 0, 115},
    {"aggregate runtimeConstants", SEED, AGG("[]", ""),
     AGG("[]", ", 'runtimeConstants': {'localNow': {'$date': 0}}"), NULL, "ok", M_INT, 1, 0, 0,
     115},
    {"aggregate encryptionInformation", SEED, AGG("[]", ""),
     AGG("[]", ", 'encryptionInformation': {'type': 1}"), NULL, "ok", M_INT, 1, 0, 0, 115},
    {"aggregate querySettings (8.0)", SEED, AGG("[]", ""), AGG("[]", ", 'querySettings': {}"), NULL,
     "ok", M_INT, 1, 0, 0, 40415},
    {"aggregate includeQueryStatsMetrics (7.1)", SEED, AGG("[]", ""),
     AGG("[]", ", 'includeQueryStatsMetrics': true"), NULL, "ok", M_INT, 1, 0, 0, 40415},
    {"find querySettings (8.0)", SEED, FIND(""), FIND(", 'querySettings': {}"), NULL, "ok", M_INT,
     1, 0, 0, 40415},
    {"find $_isTimeseriesNamespace", SEED, FIND(""), FIND(", '$_isTimeseriesNamespace': true"),
     NULL, "ok", M_INT, 1, 0, 0, 115},
    {"count encryptionInformation", SEED, "{'count': 'o'}",
     "{'count': 'o', 'encryptionInformation': {'type': 1}}", NULL, "ok", M_INT, 1, 0, 0, 115},
    {"distinct encryptionInformation", SEED, "{'distinct': 'o', 'key': 'a'}",
     "{'distinct': 'o', 'key': 'a', 'encryptionInformation': {'type': 1}}", NULL, "ok", M_INT, 1, 0,
     0, 115},
    {"insert isTimeseriesNamespace", SEED, INS("[{'_id': 9}]"),
     INS("[{'_id': 9}], 'isTimeseriesNamespace': true"), NULL, "ok", M_INT, 1, 0, 0, 115},
    {"createIndexes commitQuorum", NULL,
     CI("") "|{'createIndexes': 'o', 'indexes': [{'key':"
            " {'b': 1}, 'name': 'b_1'}], 'commitQuorum': 'votingMembers'}",
     "{'createIndexes': 'o', 'indexes': [{'key': {'b': 1}, 'name': 'b_1'}], 'commitQuorum': 2}",
     NULL, "ok", M_INT, 1, 0, 0, 278},
    {"createIndexes commitQuorum (tag)", NULL,
     "{'createIndexes': 'o', 'indexes': [{'key': {'b': 1}, 'name': 'b_1'}], 'commitQuorum': 1}",
     "{'createIndexes': 'o', 'indexes': [{'key': {'b': 1}, 'name': 'b_1'}], 'commitQuorum': 'dc1'}",
     NULL, "ok", M_INT, 1, 0, 0, 79},
    {"createIndexes ignoreUnknownIndexOptions", NULL, CI(", 'foo': 1"),
     "{'createIndexes': 'o', 'indexes': [{'key': {'a': 1}, 'name': 'a_1', 'foo': 1}],"
     " 'ignoreUnknownIndexOptions': true}",
     NULL, "numIndexesAfter", M_INT, 0, 2, 197, 0},
    {"listIndexes includeIndexBuildInfo", SEED, "{'listIndexes': 'o'}",
     "{'listIndexes': 'o', 'includeIndexBuildInfo': true}", NULL, "cursor.firstBatch.1.spec.name",
     M_HAS, 0, 1, 0, 0},
    {"listIndexes includeBuildUUIDs with includeIndexBuildInfo", SEED,
     "{'listIndexes': 'o', 'includeBuildUUIDs': true}",
     "{'listIndexes': 'o', 'includeBuildUUIDs': true, 'includeIndexBuildInfo': true}", NULL,
     "cursor.firstBatch", M_LEN, 2, 0, 0, 72},
    {"mapReduce bypassDocumentValidation", MR_VALIDATED, MR(""),
     MR(", 'bypassDocumentValidation': true"), "{'count': 'mr'}", "n", M_INT, 0, 3, 121, 0},
    {"validate enforceFastCount", SEED, "{'validate': 'o', 'background': true}",
     "{'validate': 'o', 'background': true, 'enforceFastCount': true}", NULL, "valid", M_HAS, 1, 0,
     0, 72},
    {"validate checkBSONConformance", SEED, "{'validate': 'o', 'full': true}",
     "{'validate': 'o', 'full': true, 'checkBSONConformance': false}", NULL, "valid", M_HAS, 1, 0,
     0, 72},
    {"dbStats freeStorage", SEED, "{'dbStats': 1}", "{'dbStats': 1, 'freeStorage': 1}", NULL,
     "totalFreeStorageSize", M_HAS, 0, 1, 0, 0},
};

START_TEST(test_sweep)
{
    mongoc_client_t *c;
    bson_t r;

    run_table("sweep", sweep_rows, ROWS(sweep_rows));
    c = IT_CLIENT(); /* the unknown field ignoreUnknownIndexOptions let through is not kept */
    run_setup(c, NULL);
    CMD_OK(c, DB,
           "{'createIndexes': 'o', 'indexes': [{'key': {'a': 1}, 'name': 'a_1', 'foo': 1}],"
           " 'ignoreUnknownIndexOptions': true}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'listIndexes': 'o'}", &r);
    ck_assert_msg(fx_has(&r, "cursor.firstBatch.1.key") && !fx_has(&r, "cursor.firstBatch.1.foo"),
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* collMod: the images themselves (kept once changeStreamPreAndPostImages is enabled) are proved
 * in it_changestream, and index.expireAfterSeconds (the TTL monitor deleting by the new value)
 * in it_ttl; here the option reaches the catalog, shown only when enabled as mongod shows it. */
#define MOD(x) "{'collMod': 'o'" x "}"

static const opt_row_t collmod_rows[] = {
    {"validator", SEED, MOD(""), MOD(", " VAL), INS("[{'_id': 9}]"), "n", M_INT, 1, 0, 0, 0},
    {"validationAction", SEED, MOD(", " VAL), MOD(", " VAL ", 'validationAction': 'warn'"),
     INS("[{'_id': 9}]"), "n", M_INT, 0, 1, 0, 0},
    {"validationLevel", SEED, MOD(", " VAL), MOD(", " VAL ", 'validationLevel': 'off'"),
     INS("[{'_id': 9}]"), "n", M_INT, 0, 1, 0, 0},
    {"index.hidden", SEED, MOD(", 'index': {'name': 'a_1', 'hidden': false}"),
     MOD(", 'index': {'name': 'a_1', 'hidden': true}"), FIND(", 'hint': 'a_1'"), "ok", M_INT, 1, 0,
     0, 0},
    {"dryRun", SEED "|" MOD(", 'index': {'name': 'a_1', 'prepareUnique': true}"),
     MOD(", 'index': {'name': 'a_1', 'unique': true}"),
     MOD(", 'index': {'name': 'a_1', 'unique': true}, 'dryRun': true"), "{'listIndexes': 'o'}",
     "cursor.firstBatch.1.unique", M_HAS, 1, 0, 0, 0},
    {"changeStreamPreAndPostImages", SEED,
     MOD(", 'changeStreamPreAndPostImages': {'enabled': false}"),
     MOD(", 'changeStreamPreAndPostImages': {'enabled': true}"),
     "{'listCollections': 1, 'filter': {'name': 'o'}}",
     "cursor.firstBatch.0.options.changeStreamPreAndPostImages", M_HAS, 0, 1, 0, 0},
    {"cappedSize, cappedMax", "{'create': 'o', 'capped': true, 'size': 4096}", MOD(""),
     MOD(", 'cappedMax': 2"), INS("[{'_id': 1}, {'_id': 2}, {'_id': 3}]") "|{'count': 'o'}", "n",
     M_INT, 3, 2, 0, 0},
};

/* The generic arguments: writeConcern's w beyond this one member is refused as mongod refuses
 * it on a standalone; j and w "majority" flush the journal (it_durability); wtimeout only
 * bounds the wait for other members, so on one node it never fires (mongod's standalone
 * neither).  maxTimeMS, comment and readConcern are proved in it_admin, it_sessions and
 * it_snapshot.  $readPreference is parsed as mongod's ReadPreferenceSetting::fromInnerBSON
 * parses it (bad mode 2, missing mode 4, wrong types 14, tags with primary 2,
 * maxStalenessSeconds below 90 160); every valid mode reads this node, as on a standalone. */
#define RP(x) FIND(", '$readPreference': " x)

static const opt_row_t generic_rows[] = {
    {"writeConcern.w", SEED, INS("[{'_id': 5}], 'writeConcern': {'w': 1}"),
     INS("[{'_id': 5}], 'writeConcern': {'w': 2}"), NULL, "n", M_INT, 1, 1, 0, 100},
    {"writeConcern.w (tag)", SEED, INS("[{'_id': 5}], 'writeConcern': {'w': 'majority'}"),
     INS("[{'_id': 5}], 'writeConcern': {'w': 'dc1'}"), NULL, "n", M_INT, 1, 1, 0, 79},
    {"$readPreference.mode", SEED, RP("{'mode': 'nearest'}"), RP("{'mode': 'closest'}"), NULL,
     "cursor.firstBatch", M_LEN, 3, 0, 0, 2},
    {"$readPreference.mode (missing)", SEED, RP("{'mode': 'secondary'}"), RP("{'tags': []}"), NULL,
     "cursor.firstBatch", M_LEN, 3, 0, 0, 4},
    {"$readPreference.mode (type)", SEED, RP("{'mode': 'primary'}"), RP("{'mode': 1}"), NULL,
     "cursor.firstBatch", M_LEN, 3, 0, 0, 14},
    {"$readPreference (type)", SEED, RP("{'mode': 'primary'}"), RP("'primary'"), NULL,
     "cursor.firstBatch", M_LEN, 3, 0, 0, 14},
    {"$readPreference.tags", SEED, RP("{'mode': 'secondaryPreferred', 'tags': [{'dc': 'a'}]}"),
     RP("{'mode': 'primary', 'tags': [{'dc': 'a'}]}"), NULL, "cursor.firstBatch", M_LEN, 3, 0, 0,
     2},
    {"$readPreference.tags (default set)", SEED, RP("{'mode': 'primary', 'tags': [{}]}"),
     RP("{'mode': 'primary', 'tags': [{}, {}]}"), NULL, "cursor.firstBatch", M_LEN, 3, 0, 0, 2},
    {"$readPreference.maxStalenessSeconds", SEED,
     RP("{'mode': 'secondary', 'maxStalenessSeconds': 90}"),
     RP("{'mode': 'secondary', 'maxStalenessSeconds': 89}"), NULL, "cursor.firstBatch", M_LEN, 3, 0,
     0, 160},
    {"$readPreference.maxStalenessSeconds (primary)", SEED,
     RP("{'mode': 'nearest', 'maxStalenessSeconds': 120}"),
     RP("{'mode': 'primary', 'maxStalenessSeconds': 120}"), NULL, "cursor.firstBatch", M_LEN, 3, 0,
     0, 2},
};

START_TEST(test_catalog)
{
    run_table("create", create_rows, ROWS(create_rows));
    run_accepted(NULL, create_accepted, ROWS(create_accepted));
    run_table("createIndexes", index_rows, ROWS(index_rows));
    run_accepted(NULL, index_accepted, ROWS(index_accepted));
    run_table("collMod", collmod_rows, ROWS(collmod_rows));
    run_table("generic", generic_rows, ROWS(generic_rows));
}
END_TEST

/* collectionUUID (drop, collMod, createIndexes, dropIndexes, aggregate): the command runs
 * only on the collection with that UUID; otherwise 361 names the collection that has it. */
static const char *const uuid_cmds[] = {
    "{'aggregate': 'o', 'pipeline': [], 'cursor': {}}",
    "{'collMod': 'o'}",
    "{'createIndexes': 'o', 'indexes': [{'key': {'b': 1}, 'name': 'b_1'}]}",
    "{'dropIndexes': 'o', 'index': 'a_1'}",
    "{'drop': 'o'}",
};

/* eq_str -- the string at path equals want (false when absent). */
static bool
eq_str(const bson_t *doc, const char *path, const char *want)
{
    const char *got = fx_str(doc, path);

    return got != NULL && strcmp(got, want) == 0;
}

/* add_uuid -- append `field`: the UUID of collection `of` to b; returns b. */
static bson_t *
add_uuid(mongoc_client_t *c, bson_t *b, const char *field, const char *of)
{
    bson_t r, info;
    bson_iter_t it;
    const uint8_t *u;
    uint32_t len;
    bson_subtype_t st;
    char filter[128];

    snprintf(filter, sizeof(filter),
             "{'listCollections': 1, 'filter': {'name': '%s'}, 'nameOnly': false}", of);
    CMD_OK(c, DB, filter, &r);
    ck_assert(fx_sub(&r, "cursor.firstBatch.0.info", &info));
    ck_assert(bson_iter_init_find(&it, &info, "uuid") && BSON_ITER_HOLDS_BINARY(&it));
    bson_iter_binary(&it, &st, &len, &u);
    BSON_APPEND_BINARY(b, field, st, u, len);
    bson_destroy(&info);
    bson_destroy(&r);
    return b;
}

/* with_uuid_at -- cmd (JSON) with `field` set to the UUID of collection `of`. */
static bson_t *
with_uuid_at(mongoc_client_t *c, const char *cmd, const char *field, const char *of)
{
    return add_uuid(c, fx_json(cmd), field, of);
}

/* with_uuid -- cmd (JSON) with collectionUUID set to the UUID of collection `of`. */
static bson_t *
with_uuid(mongoc_client_t *c, const char *cmd, const char *of)
{
    return with_uuid_at(c, cmd, "collectionUUID", of);
}

START_TEST(test_collection_uuid)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_error_t e;
    bson_t r;

    for (size_t i = 0; i < ROWS(uuid_cmds); i++) {
        bson_t *right, *wrong;

        run_setup(c, SEED "|{'create': 'o2'}");
        right = with_uuid(c, uuid_cmds[i], "o");
        wrong = with_uuid(c, uuid_cmds[i], "o2");
        ck_assert_msg(!fx_cmd_bson(c, DB, wrong, &r, &e), "%s", fx_to_json(&r));
        ck_assert_msg(fx_int(&r, "code") == 361 &&
                          eq_str(&r, "codeName", "CollectionUUIDMismatch") &&
                          eq_str(&r, "expectedCollection", "o") &&
                          eq_str(&r, "actualCollection", "o2") && eq_str(&r, "db", DB),
                      "%s: %s", uuid_cmds[i], fx_to_json(&r));
        bson_destroy(&r);
        ck_assert_msg(fx_cmd_bson(c, DB, right, &r, &e), "%s: %s", uuid_cmds[i], e.message);
        bson_destroy(&r);
        bson_destroy(right);
        bson_destroy(wrong);
    }
    mongoc_client_destroy(c);
}
END_TEST

/* check_mismatch -- cmd (on admin) fails with 361 naming `expected` and `actual` in DB. */
static void
check_mismatch(mongoc_client_t *c, bson_t *cmd, const char *expected, const char *actual)
{
    bson_error_t e;
    bson_t r;

    ck_assert_msg(!fx_cmd_bson(c, "admin", cmd, &r, &e), "%s", fx_to_json(&r));
    ck_assert_msg(fx_int(&r, "code") == 361 && eq_str(&r, "codeName", "CollectionUUIDMismatch") &&
                      eq_str(&r, "expectedCollection", expected) &&
                      eq_str(&r, "actualCollection", actual) && eq_str(&r, "db", DB),
                  "%s", fx_to_json(&r));
    bson_destroy(&r);
    bson_destroy(cmd);
}

/* renameCollection: collectionUUID is the source's expected UUID and dropTarget: <uuid> the
 * target's (mongod's RenameCollectionOptions expectedSourceUUID / expectedTargetUUID, which
 * are not wire fields: 40415 there). */
#define REN(x) "{'renameCollection': 'opts.o', 'to': 'opts.o2'" x "}"

START_TEST(test_rename_uuid)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_error_t e;
    bson_t r, *cmd;

    run_setup(c, SEED "|{'create': 'o2'}");
    check_mismatch(c, with_uuid(c, REN(", 'dropTarget': true"), "o2"), "o", "o2");
    check_mismatch(c, with_uuid_at(c, REN(""), "dropTarget", "o"), "o2", "o");
    cmd = with_uuid_at(c, REN(""), "dropTarget", "o");
    CMD_OK(c, DB, "{'drop': 'o2'}", &r);
    bson_destroy(&r);
    check_mismatch(c, cmd, "o2", "o"); /* no target: any expected target UUID mismatches */
    run_setup(c, SEED "|{'create': 'o2'}");
    cmd = with_uuid(c, REN(""), "o");
    ck_assert_msg(!fx_cmd_bson(c, "admin", cmd, &r, &e), "target exists: %s", fx_to_json(&r));
    ck_assert_int_eq(fx_int(&r, "code"), 48);
    bson_destroy(&r);
    cmd = add_uuid(c, cmd, "dropTarget", "o2");
    ck_assert_msg(fx_cmd_bson(c, "admin", cmd, &r, &e), "%s", e.message);
    bson_destroy(&r);
    bson_destroy(cmd);
    CMD_OK(c, DB, "{'count': 'o2'}", &r);
    ck_assert_int_eq(fx_int(&r, "n"), 3);
    bson_destroy(&r);
    cmd = fx_json(REN(", 'expectedSourceUUID': 1"));
    ck_assert(!fx_cmd_bson(c, "admin", cmd, &r, &e));
    ck_assert_int_eq(fx_int(&r, "code"), 40415);
    bson_destroy(&r);
    bson_destroy(cmd);
    mongoc_client_destroy(c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = it_tcase(s, "options", true);

    tcase_add_test(tc, test_find);
    tcase_add_test(tc, test_find_allow_disk_use);
    tcase_add_test(tc, test_insert);
    tcase_add_test(tc, test_update);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_find_and_modify);
    tcase_add_test(tc, test_aggregate);
    tcase_add_test(tc, test_count_distinct);
    tcase_add_test(tc, test_catalog);
    tcase_add_test(tc, test_storage_engine);
    tcase_add_test(tc, test_sweep);
    tcase_add_test(tc, test_collection_uuid);
    tcase_add_test(tc, test_rename_uuid);
    return it_main(s);
}
