/*
 * tests/integration/it_hostile_depth.c -- deep nesting never reaches a worker's stack.
 *
 * Issue 7: "recursive parsers and evaluators carry a depth bound".  Each case sends one
 * small hostile command to a server with a single worker (so the bystander shares it):
 * filters, expressions and projections nested 200 levels (the deepest the door admits)
 * answer correctly, and nested 10,000 levels answer 15 Overflow (from the door, bsonvalid.h);
 * dotted paths of 5,000 components answer "FieldPath is too long" (5729100 in a filter, 15
 * Overflow in a sort and an expression, as mongod); a pipeline of 1,000 stages builds
 * documents 1,000 levels deep during evaluation, far past every bound, and $sort, $group and
 * $match compare them correctly, while a pipeline update, $out or $merge that would write
 * such documents answers 15 Overflow.  After every case the master lives, the worker's pid
 * is unchanged and a bystander connection answers ping.
 */
#include "harness.h"

#define DB "depth"

/* nest -- `levels` wrappers {key: inner} around leaf (keys[i % nk]); where arrays[i % nk] the
 * wrapper is {key: [inner]}.  Built from the inside out by copying (a few MB of work for
 * the depths used here); consumes leaf. */
static bson_t *
nest(const char *const *keys, const bool *arrays, size_t nk, int levels, bson_t *leaf)
{
    bson_t *cur = leaf;

    for (int i = levels - 1; i >= 0; i--) {
        bson_t *next = bson_new(), arr;
        const char *k = keys[(size_t)i % nk];

        if (arrays[(size_t)i % nk]) {
            bson_append_array_begin(next, k, -1, &arr);
            bson_append_document(&arr, "0", 1, cur);
            bson_append_array_end(next, &arr);
        } else {
            bson_append_document(next, k, -1, cur);
        }
        bson_destroy(cur);
        cur = next;
    }
    return cur;
}

typedef struct depth_env {
    fx_server_t srv;
    mongoc_client_t *c, *bystander;
    pid_t worker;
} depth_env_t;

static void
env_up(depth_env_t *e)
{
    bson_t reply;

    fx_server_up(&e->srv, 1);
    ck_assert(fx_wait_workers(&e->srv, 1, NULL, 0, 30));
    ck_assert_int_eq(fx_worker_pids(&e->srv, &e->worker, 1), 1);
    e->c = fx_client(&e->srv);
    e->bystander = fx_client(&e->srv);
    CMD_OK(e->c, DB,
           "{\"insert\": \"c\", \"documents\": [{\"_id\": 1, \"a\": 1}, "
           "{\"_id\": 2, \"a\": 2}]}",
           &reply);
    bson_destroy(&reply);
}

/* env_check -- the master and the worker survived; the worker still serves the bystander. */
static void
env_check(depth_env_t *e, const char *what)
{
    pid_t now = 0;
    bson_t reply;

    ck_assert_msg(fx_pid_alive(e->srv.pid), "%s: the master is gone", what);
    ck_assert_msg(fx_worker_pids(&e->srv, &now, 1) == 1 && now == e->worker,
                  "%s: the worker changed (%d -> %d)", what, (int)e->worker, (int)now);
    CMD_OK(e->bystander, "admin", "{\"ping\": 1}", &reply);
    bson_destroy(&reply);
}

static void
env_down(depth_env_t *e)
{
    mongoc_client_destroy(e->c);
    mongoc_client_destroy(e->bystander);
    fx_server_cleanup(&e->srv);
}

/* expect_code -- run cmd; it must fail with `code`, `name` and `msg`, the worker unharmed. */
static void
expect_code(depth_env_t *e, bson_t *cmd, int code, const char *name, const char *msg,
            const char *what)
{
    bson_error_t err;
    bson_t reply;
    bool ok = fx_cmd_bson(e->c, DB, cmd, &reply, &err);

    ck_assert_msg(!ok && fx_has(&reply, "ok"), "%s: want an error reply, got %s (%s)", what,
                  fx_to_json(&reply), err.message);
    ck_assert_msg(fx_int(&reply, "code") == code, "%s: code %lld, want %d: %s", what,
                  (long long)fx_int(&reply, "code"), code, fx_to_json(&reply));
    ASSERT_STR(&reply, "codeName", name);
    ASSERT_STR(&reply, "errmsg", msg);
    bson_destroy(&reply);
    bson_destroy(cmd);
    env_check(e, what);
}

/* expect_overflow -- 15 Overflow, whichever check (door or evaluator) gives it first. */
static void
expect_overflow(depth_env_t *e, bson_t *cmd, const char *what)
{
    bson_error_t err;
    bson_t reply;
    bool ok = fx_cmd_bson(e->c, DB, cmd, &reply, &err);

    ck_assert_msg(!ok && fx_has(&reply, "ok"), "%s: want an error reply, got %s (%s)", what,
                  fx_to_json(&reply), err.message);
    ASSERT_INT(&reply, "code", 15);
    ASSERT_STR(&reply, "codeName", "Overflow");
    bson_destroy(&reply);
    bson_destroy(cmd);
    env_check(e, what);
}

/* find_with -- {find: "c", <field>: doc} (consumes doc). */
static bson_t *
find_with(const char *field, bson_t *doc)
{
    bson_t *cmd = BCON_NEW("find", "c");

    bson_append_document(cmd, field, -1, doc);
    bson_destroy(doc);
    return cmd;
}

/* The wrappers nest() repeats: {$and: [x]}, {$not: x}, {a: x}, {$add: [x]}. */
static const char *const logical[] = {"$and"};
static const char *const nots[] = {"$not"};
static const char *const as[] = {"a"};
static const char *const add[] = {"$add"};
static const bool in_arr[] = {true};
static const bool no_arr[] = {false};

/* expect_batch -- run cmd; it must succeed with firstBatch equal to want_json. */
static void
expect_batch(depth_env_t *e, bson_t *cmd, const char *want_json, const char *what)
{
    bson_error_t err;
    bson_t reply, batch;

    ck_assert_msg(fx_cmd_bson(e->c, DB, cmd, &reply, &err), "%s: %s (%s)", what, fx_to_json(&reply),
                  err.message);
    ck_assert(fx_sub(&reply, "cursor.firstBatch", &batch));
    ck_assert_msg(fx_eq_json(&batch, want_json), "%s: got %s", what, fx_to_json(&batch));
    bson_destroy(&batch);
    bson_destroy(&reply);
    bson_destroy(cmd);
    env_check(e, what);
}

/* Commands nested 200 levels, the deepest the door admits (mongod's maxBSONDepth), parse and
 * answer correctly: the evaluators' own bound (400) lies above everything the door passes. */
START_TEST(test_filters_at_door_limit)
{
    depth_env_t e;

    env_up(&e);
    /* {find, filter: {$and: [{$and: [... {a: 1}]}]}}: 99 $and, {a: 1} at level 200 */
    expect_batch(&e,
                 find_with("filter", nest(logical, in_arr, 1, 99, BCON_NEW("a", BCON_INT32(1)))),
                 "{\"0\": {\"_id\": 1, \"a\": 1}}", "99 nested $and");
    /* {a: {$not: ... {$eq: 1}}}: 197 $not (odd: a != 1), the operators at level 200 */
    expect_batch(
        &e,
        find_with("filter", nest(as, no_arr, 1, 1,
                                 nest(nots, no_arr, 1, 197, BCON_NEW("$eq", BCON_INT32(1))))),
        "{\"0\": {\"_id\": 2, \"a\": 2}}", "197 nested $not");
    /* {$expr: {$add: [{$add: [... {$add: ["$a", -2]}]}]}}: 98 $add, truthy where a != 2 */
    expect_batch(&e,
                 find_with("filter", nest((const char *const[]){"$expr"}, no_arr, 1, 1,
                                          nest(add, in_arr, 1, 97,
                                               BCON_NEW("$add", "[", "$a", BCON_INT32(-2), "]")))),
                 "{\"0\": {\"_id\": 1, \"a\": 1}}", "98 nested $add");
    /* a projection {a: {a: ... {b: 1}}} of 198 levels: a is a number, so only _id is left */
    expect_batch(&e,
                 find_with("projection", nest(as, no_arr, 1, 198, BCON_NEW("b", BCON_INT32(1)))),
                 "{\"0\": {\"_id\": 1}, \"1\": {\"_id\": 2}}", "a projection 198 deep");
    env_down(&e);
}
END_TEST

/* Commands nested 10,000 levels (5,000 $and, $not, $add; a projection): 15 Overflow from the
 * door, before anything recurses. */
START_TEST(test_deep_commands)
{
    depth_env_t e;

    env_up(&e);
    expect_overflow(
        &e, find_with("filter", nest(logical, in_arr, 1, 5000, BCON_NEW("a", BCON_INT32(1)))),
        "5,000 nested $and");
    expect_overflow(
        &e,
        find_with("filter", nest(as, no_arr, 1, 1,
                                 nest(nots, no_arr, 1, 5000, BCON_NEW("$eq", BCON_INT32(1))))),
        "5,000 nested $not");
    expect_overflow(
        &e,
        find_with("filter", nest((const char *const[]){"$expr"}, no_arr, 1, 1,
                                 nest(add, in_arr, 1, 5000, BCON_NEW("$literal", BCON_INT32(1))))),
        "5,000 nested $add");
    expect_overflow(
        &e, find_with("projection", nest(as, no_arr, 1, 10000, BCON_NEW("b", BCON_INT32(1)))),
        "a projection 10,000 deep");
    env_down(&e);
}
END_TEST

/* A dotted path of 5,000 components is 15 "FieldPath is too long" (mongod's wording). */
START_TEST(test_long_paths)
{
    char path[2 * 5000 + 2];
    depth_env_t e;

    for (int i = 0; i < 5000; i++)
        memcpy(path + 2 * i, "a.", 2);
    path[2 * 5000 - 1] = '\0';
    env_up(&e);
    /* a filter's path: mongod's 5729100 past 100 components; elsewhere 15 past 200 */
    expect_code(&e, find_with("filter", BCON_NEW(path, BCON_INT32(1))), 5729100, "Location5729100",
                "FieldPath is too long", "filter path");
    expect_code(&e, find_with("sort", BCON_NEW(path, BCON_INT32(1))), 15, "Overflow",
                "FieldPath is too long", "sort path");
    memmove(path + 1, path, sizeof(path) - 1);
    path[0] = '$';
    expect_code(&e,
                BCON_NEW("aggregate", "c", "pipeline", "[", "{", "$project", "{", "x", path, "}",
                         "}", "]", "cursor", "{", "}"),
                15, "Overflow", "FieldPath is too long", "expression path");
    env_down(&e);
}
END_TEST

/* wrap_stages -- append 1,000 stages {$set: {a: {w: "$a"}}} to the array `pl`; each wraps
 * the document one level deeper.  Returns the next array index. */
static uint32_t
wrap_stages(bson_t *pl)
{
    bson_t st;
    char key[16];
    const char *kp;
    uint32_t n = 0;

    for (; n < 1000; n++) {
        bson_uint32_to_string(n, &kp, key, sizeof(key));
        bson_append_document_begin(pl, kp, -1, &st);
        BCON_APPEND(&st, "$set", "{", "a", "{", "w", "$a", "}", "}");
        bson_append_document_end(pl, &st);
    }
    return n;
}

/* deep_pipeline -- {aggregate: "c", pipeline: [1,000 wrapping stages, ...tail]} (documents
 * 1,000 levels deep after them); tail is {"v": [stages]}. */
static bson_t *
deep_pipeline(const char *tail_json)
{
    bson_t *cmd = BCON_NEW("aggregate", "c", "cursor", "{", "}"), pl;
    bson_t *tail = fx_json(tail_json);
    bson_iter_t it;
    char key[16];
    const char *kp;
    uint32_t n;

    bson_append_array_begin(cmd, "pipeline", -1, &pl);
    n = wrap_stages(&pl);
    ck_assert(bson_iter_init_find(&it, tail, "v") && BSON_ITER_HOLDS_ARRAY(&it));
    bson_iter_recurse(&it, &it);
    while (bson_iter_next(&it)) {
        bson_uint32_to_string(n++, &kp, key, sizeof(key));
        bson_append_value(&pl, kp, -1, bson_iter_value(&it));
    }
    bson_append_array_end(cmd, &pl);
    bson_destroy(tail);
    return cmd;
}

/* Values built 1,000 levels deep during evaluation compare correctly: $sort orders them by
 * the number at the bottom, $group keeps them apart, $match compares them whole. */
START_TEST(test_deep_built_values)
{
    depth_env_t e;

    env_up(&e);
    expect_batch(&e,
                 deep_pipeline("{\"v\": [{\"$sort\": {\"a\": -1}}, {\"$project\": {\"a\": 0}}]}"),
                 "{\"0\": {\"_id\": 2}, \"1\": {\"_id\": 1}}", "$sort");
    expect_batch(&e,
                 deep_pipeline("{\"v\": [{\"$group\": {\"_id\": \"$a\", \"n\": {\"$sum\": 1}}}, "
                               "{\"$count\": \"groups\"}]}"),
                 "{\"0\": {\"groups\": 2}}", "$group");
    expect_batch(
        &e,
        deep_pipeline("{\"v\": [{\"$match\": {\"$expr\": {\"$eq\": [\"$a\", \"$$ROOT.a\"]}, "
                      "\"a\": {\"$gt\": {}}}}, {\"$count\": \"n\"}]}"),
        "{\"0\": {\"n\": 2}}", "$match");
    env_down(&e);
}
END_TEST

/* Documents built past the bound are never written: a pipeline update of 1,000 wrapping
 * stages and an aggregation's $out of such documents answer 15 Overflow (mongod's "cannot
 * convert document to BSON"), and the master, whose own checks recurse, never sees them. */
START_TEST(test_deep_writes)
{
    bson_t *upd = BCON_NEW("update", "c"), arr, st, u, reply;
    bson_error_t err;
    depth_env_t e;

    env_up(&e);
    bson_append_array_begin(upd, "updates", -1, &arr);
    bson_append_document_begin(&arr, "0", 1, &st);
    BCON_APPEND(&st, "q", "{", "_id", BCON_INT32(1), "}");
    bson_append_array_begin(&st, "u", 1, &u);
    wrap_stages(&u);
    bson_append_array_end(&st, &u);
    bson_append_document_end(&arr, &st);
    bson_append_array_end(upd, &arr);
    ck_assert(fx_cmd_bson(e.c, DB, upd, &reply, &err));
    ASSERT_INT(&reply, "writeErrors.0.code", 15);
    ASSERT_STR(&reply, "writeErrors.0.errmsg",
               "cannot convert document to BSON because it exceeds the limit of 400 levels of "
               "nesting");
    ASSERT_INT(&reply, "nModified", 0);
    bson_destroy(&reply);
    bson_destroy(upd);
    env_check(&e, "update");
    expect_overflow(&e, deep_pipeline("{\"v\": [{\"$out\": \"o\"}]}"), "$out");
    expect_overflow(&e,
                    deep_pipeline("{\"v\": [{\"$merge\": {\"into\": \"c\", \"whenMatched\": "
                                  "\"replace\"}}]}"),
                    "$merge");
    env_down(&e);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("hostile_depth");
    TCase *tc = it_tcase(s, "depth", false);
    tcase_add_test(tc, test_filters_at_door_limit);
    tcase_add_test(tc, test_deep_commands);
    tcase_add_test(tc, test_long_paths);
    tcase_add_test(tc, test_deep_built_values);
    tcase_add_test(tc, test_deep_writes);
    return it_main(s);
}
