/*
 * tests/integration/it_js.c -- server-side JavaScript end to end through libmongoc: $where,
 * $function, $accumulator and mapReduce with the manual's examples, script errors, mongod's
 * parse errors, maxTimeMS stopping a runaway script while another connection of the same
 * worker is served, and --noscripting.
 *
 * The shared server has 2 workers; the runaway test starts its own with one worker, so both
 * connections share it (the script runs on that worker's loop thread); the --noscripting test
 * starts its own server with that flag.
 */
#include "harness.h"

#include <pthread.h>

#define DB "jstest"

static void
seed_players(mongoc_client_t *c)
{
    bson_t r;

    fx_cmd(c, DB, "{'drop': 'players'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'players', 'documents': ["
           "{'_id': 1, 'name': 'Miss Cheevous', 'scores': [10, 5, 10]},"
           "{'_id': 2, 'name': 'Miss Ann Thrope', 'scores': [10, 10, 10]},"
           "{'_id': 3, 'name': 'Mrs. Eppie Delta ', 'scores': [9, 8, 8]}]}",
           &r);
    bson_destroy(&r);
}

/* The manual's $where example: hex_md5 of the name; `this` and `obj` are the document. */
START_TEST(test_where)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed_players(c);
    CMD_OK(c, DB,
           "{'find': 'players', 'filter': {'$where': {'$code': 'function() { return "
           "(hex_md5(this.name) == \\\"15b0a220baa16331e8d80e15367677ad\\\") }'}}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 2);
    bson_destroy(&r);
    /* an expression string, `obj`, and $where beside other predicates */
    CMD_OK(c, DB,
           "{'find': 'players', 'filter': {'_id': {'$gte': 2}, '$where': 'obj.scores.length == 3 "
           "&& this.scores[0] < 10'}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    ASSERT_INT(&r, "cursor.firstBatch.0._id", 3);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'count': 'players', 'query': {'$where': 'this._id % 2 == 1'}}", &r);
    ASSERT_INT(&r, "n", 2);
    bson_destroy(&r);
    CMD_OK(
        c, DB,
        "{'delete': 'players', 'deletes': [{'q': {'$where': 'this.name.startsWith(\\\"Mrs\\\")'}, "
        "'limit': 0}]}",
        &r);
    ASSERT_INT(&r, "n", 1);
    bson_destroy(&r);
    /* a script error, a syntax error, and $where where mongod refuses it */
    CMD_ERR(c, DB, "{'find': 'players', 'filter': {'$where': 'this.nope.deeper == 1'}}", &r, 139,
            "JSInterpreterFailure");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "TypeError") != NULL, "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'players', 'filter': {'$where': 'this.a >'}}", &r, 139,
            "JSInterpreterFailure");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'find': 'players', 'filter': {'$where': 5}}", &r, 2, "BadValue");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$match': {'$where': 'true'}}]}",
            &r, 2, "BadValue");
    bson_destroy(&r);
    /* runaway recursion is a script error; the worker stays up */
    CMD_ERR(c, DB,
            "{'find': 'players', 'filter': {'$where': 'function() { function f(n) { return f(n + "
            "1) + 1 } return f(0) }'}}",
            &r, 139, "JSInterpreterFailure");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "too much recursion") != NULL, "%s", fx_to_json(&r));
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'players', 'filter': {'_id': 1}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* The manual's $function example, and the values that cross the boundary. */
START_TEST(test_function)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed_players(c);
    CMD_OK(c, DB,
           "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$addFields': {"
           "'isFound': {'$function': {'body': {'$code': 'function(name) { return hex_md5(name) == "
           "\\\"15b0a220baa16331e8d80e15367677ad\\\" }'}, 'args': ['$name'], 'lang': 'js'}},"
           "'message': {'$function': {'body': {'$code': 'function(name, scores) { let total = "
           "Array.sum(scores); return `Hello ${name}.  Your total score is ${total}.` }'}, "
           "'args': ['$name', '$scores'], 'lang': 'js'}}}}, {'$sort': {'_id': 1}}]}",
           &r);
    ck_assert(!fx_bool(&r, "cursor.firstBatch.0.isFound"));
    ck_assert(fx_bool(&r, "cursor.firstBatch.1.isFound"));
    ASSERT_STR(&r, "cursor.firstBatch.0.message", "Hello Miss Cheevous.  Your total score is 25.");
    ASSERT_STR(&r, "cursor.firstBatch.2.message",
               "Hello Mrs. Eppie Delta .  Your total score is 25.");
    bson_destroy(&r);
    /* numbers come back as doubles, NumberInt/NumberLong as int32/int64, dates, ObjectIds */
    CMD_OK(c, DB,
           "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$match': {'_id': 1}}, "
           "{'$project': {'x': {'$function': {'body': 'function(a, l) { return [a + 1, "
           "NumberInt(3), NumberLong(\\\"9007199254740993\\\"), new Date(0), "
           "ObjectId(\\\"5f1a2b3c4d5e6f7a8b9c0d1e\\\"), {q: l.floatApprox > 1e12}] }', "
           "'args': ['$_id', {'$toLong': 1099511627776}], 'lang': 'js'}}}}]}",
           &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.0", BSON_TYPE_DOUBLE);
    ASSERT_INT(&r, "cursor.firstBatch.0.x.0", 2);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.1", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.2", BSON_TYPE_INT64);
    ASSERT_INT(&r, "cursor.firstBatch.0.x.2", 9007199254740993LL);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.3", BSON_TYPE_DATE_TIME);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.4", BSON_TYPE_OID);
    ck_assert(fx_bool(&r, "cursor.firstBatch.0.x.5.q"));
    bson_destroy(&r);
    /* as mongod: a field read as int32 and still integral is written back as int32 */
    CMD_OK(c, DB,
           "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$match': {'_id': 1}}, "
           "{'$project': {'x': {'$function': {'body': 'function(d) { d._id = d._id + 1; d.half = "
           "d._id / 4; return d }', 'args': ['$$ROOT'], 'lang': 'js'}}}}]}",
           &r);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x._id", BSON_TYPE_INT32);
    ASSERT_INT(&r, "cursor.firstBatch.0.x._id", 2);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.scores.0", BSON_TYPE_INT32);
    ASSERT_TYPE(&r, "cursor.firstBatch.0.x.half", BSON_TYPE_DOUBLE);
    bson_destroy(&r);
    /* in $expr of a find */
    CMD_OK(c, DB,
           "{'find': 'players', 'filter': {'$expr': {'$function': {'body': 'function(n) { return "
           "n.length > 14 }', 'args': ['$name'], 'lang': 'js'}}}}",
           &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 2);
    bson_destroy(&r);
    /* mongod's parse and evaluation errors */
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
            "{'body': '$name', 'args': [], 'lang': 'js'}}}}]}",
            &r, 31432, "Location31432");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
            "{'body': 'function() {}', 'args': [], 'lang': 'python'}}}}]}",
            &r, 31419, "Location31419");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
            "{'body': 'function() {}', 'lang': 'js'}}}}]}",
            &r, 31263, "Location31263");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
            "{'body': 'function() {}', 'args': '$name', 'lang': 'js'}}}}]}",
            &r, 31266, "Location31266");
    bson_destroy(&r);
    CMD_ERR(
        c, DB,
        "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
        "{'body': 'function() { throw new Error(\\\"boom\\\") }', 'args': [], 'lang': 'js'}}}}]}",
        &r, 139, "JSInterpreterFailure");
    ck_assert_msg(strstr(fx_str(&r, "errmsg"), "boom") != NULL, "%s", fx_to_json(&r));
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

#define BOOKS_ACC                                                                                  \
    "'init': {'$code': 'function() { return { count: 0, sum: 0 } }'},"                             \
    "'accumulate': {'$code': 'function(state, numCopies) { return { count: state.count + 1, "      \
    "sum: state.sum + numCopies } }'}, 'accumulateArgs': ['$copies'],"                             \
    "'merge': {'$code': 'function(state1, state2) { return { count: state1.count + "               \
    "state2.count, sum: state1.sum + state2.sum } }'}, 'lang': 'js'"

/* The manual's $accumulator example: the average number of copies per author. */
START_TEST(test_accumulator)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    fx_cmd(c, DB, "{'drop': 'books'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'books', 'documents': ["
           "{'_id': 8751, 'title': 'The Banquet', 'author': 'Dante', 'copies': 2},"
           "{'_id': 8752, 'title': 'Divine Comedy', 'author': 'Dante', 'copies': 1},"
           "{'_id': 8645, 'title': 'Eclogues', 'author': 'Dante', 'copies': 2},"
           "{'_id': 7000, 'title': 'The Odyssey', 'author': 'Homer', 'copies': 10},"
           "{'_id': 7020, 'title': 'Iliad', 'author': 'Homer', 'copies': 10}]}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'aggregate': 'books', 'cursor': {}, 'pipeline': [{'$group': {'_id': '$author', "
           "'avgCopies': {'$accumulator': {" BOOKS_ACC ", 'finalize': {'$code': 'function(state) "
           "{ return (state.sum / state.count) }'}}}}}, {'$sort': {'_id': 1}}]}",
           &r);
    ASSERT_STR(&r, "cursor.firstBatch.0._id", "Dante");
    ck_assert_double_eq_tol(fx_double(&r, "cursor.firstBatch.0.avgCopies"), 5.0 / 3.0, 1e-12);
    ASSERT_STR(&r, "cursor.firstBatch.1._id", "Homer");
    ck_assert_double_eq_tol(fx_double(&r, "cursor.firstBatch.1.avgCopies"), 10.0, 1e-12);
    bson_destroy(&r);
    /* without finalize the state is the result; initArgs feed init per group */
    CMD_OK(c, DB,
           "{'aggregate': 'books', 'cursor': {}, 'pipeline': [{'$group': {'_id': '$author', "
           "'s': {'$accumulator': {" BOOKS_ACC ", 'init': {'$code': 'function(a) { return "
           "{count: 0, sum: 0, who: a} }'}, 'initArgs': ['$author']}}}}, {'$sort': {'_id': 1}}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.s.count", 3);
    ASSERT_INT(&r, "cursor.firstBatch.0.s.sum", 5);
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'books', 'cursor': {}, 'pipeline': [{'$group': {'_id': 1, 's': "
            "{'$accumulator': {'init': 'function() {}', 'accumulate': 'function() {}', "
            "'accumulateArgs': [], 'lang': 'js'}}}}]}",
            &r, 4544709, "Location4544709");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'books', 'cursor': {}, 'pipeline': [{'$group': {'_id': 1, 's': "
            "{'$accumulator': {" BOOKS_ACC ", 'accumulateArgs': '$copies'}}}}]}",
            &r, 4544712, "Location4544712");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'books', 'cursor': {}, 'pipeline': [{'$group': {'_id': 1, 's': "
            "{'$accumulator': {" BOOKS_ACC ", 'extra': 1}}}}]}",
            &r, 4544706, "Location4544706");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

#define MR_MAP "'map': {'$code': 'function() { emit(this.cust_id, this.price); }'}"
#define MR_REDUCE                                                                                  \
    "'reduce': {'$code': 'function(keyCustId, valuesPrices) { return Array.sum(valuesPrices); "    \
    "}'}"

static void
seed_orders(mongoc_client_t *c)
{
    bson_t r;

    fx_cmd(c, DB, "{'drop': 'orders'}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'insert': 'orders', 'documents': ["
           "{'_id': 1, 'cust_id': 'Ant O. Knee', 'price': 25, 'items': [{'sku': 'oranges', "
           "'qty': 5}, {'sku': 'apples', 'qty': 5}]},"
           "{'_id': 2, 'cust_id': 'Ant O. Knee', 'price': 70, 'items': [{'sku': 'oranges', "
           "'qty': 8}, {'sku': 'chocolates', 'qty': 5}]},"
           "{'_id': 3, 'cust_id': 'Busby Bee', 'price': 50, 'items': [{'sku': 'oranges', "
           "'qty': 10}, {'sku': 'pears', 'qty': 10}]},"
           "{'_id': 4, 'cust_id': 'Busby Bee', 'price': 25, 'items': [{'sku': 'oranges', "
           "'qty': 10}]},"
           "{'_id': 5, 'cust_id': 'Cam Elot', 'price': 50, 'items': [{'sku': 'chocolates', "
           "'qty': 5}]}]}",
           &r);
    bson_destroy(&r);
}

/* mapReduce inline, with query, sort, limit, scope and finalize (the manual's examples). */
START_TEST(test_map_reduce_inline)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed_orders(c);
    CMD_OK(c, DB, "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE ", 'out': {'inline': 1}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "results"), 3);
    ASSERT_STR(&r, "results.0._id", "Ant O. Knee");
    ASSERT_INT(&r, "results.0.value", 95);
    ASSERT_TYPE(&r, "results.0.value", BSON_TYPE_DOUBLE);
    ASSERT_STR(&r, "results.1._id", "Busby Bee");
    ASSERT_INT(&r, "results.1.value", 75);
    /* one value: reduce is not called, the emitted int stays as emitted (a double: JS number) */
    ASSERT_STR(&r, "results.2._id", "Cam Elot");
    ASSERT_INT(&r, "results.2.value", 50);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'mapReduce': 'orders', "
           "'map': {'$code': 'function() { for (var i = 0; i < this.items.length; i++) "
           "emit(this.items[i].sku, {count: 1, qty: this.items[i].qty * mult}); }'}, "
           "'reduce': {'$code': 'function(k, vals) { var r = {count: 0, qty: 0}; for (var i = 0; "
           "i < vals.length; i++) { r.count += vals[i].count; r.qty += vals[i].qty; } return r; "
           "}'}, "
           "'finalize': {'$code': 'function(k, v) { v.avg = v.qty / v.count; return v; }'}, "
           "'query': {'_id': {'$lte': 4}}, 'sort': {'_id': -1}, 'limit': 3, 'scope': {'mult': 2}, "
           "'out': {'inline': 1}}",
           &r);
    /* orders 4, 3, 2: chocolates, oranges (3 times), pears */
    ck_assert_int_eq(fx_array_len(&r, "results"), 3);
    ASSERT_STR(&r, "results.1._id", "oranges");
    ASSERT_INT(&r, "results.1.value.count", 3);
    ASSERT_INT(&r, "results.1.value.qty", 56);
    ck_assert_double_eq_tol(fx_double(&r, "results.1.value.avg"), 56.0 / 3.0, 1e-9);
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE "}", &r, 40414,
            "Location40414");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'mapReduce': 'orders', 'map': 'function() { emit(this.x.y, 1) }', " MR_REDUCE
            ", 'out': {'inline': 1}}",
            &r, 139, "JSInterpreterFailure");
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

/* mapReduce into collections: replace, merge, reduce, another database. */
START_TEST(test_map_reduce_out)
{
    mongoc_client_t *c = IT_CLIENT();
    bson_t r;

    seed_orders(c);
    fx_cmd(c, "jstest_other", "{'dropDatabase': 1}", &r, NULL);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE ", 'out': 'totals'}", &r);
    ASSERT_STR(&r, "result", "totals");
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'totals', 'sort': {'_id': 1}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 3);
    ASSERT_INT(&r, "cursor.firstBatch.0.value", 95);
    bson_destroy(&r);
    /* replace drops what was there; merge keeps other keys and replaces matching ones */
    CMD_OK(c, DB, "{'insert': 'totals', 'documents': [{'_id': 'zed', 'value': 1}]}", &r);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE ", 'query': {'_id': 1}, "
           "'out': {'merge': 'totals'}}",
           &r);
    bson_destroy(&r);
    CMD_OK(c, DB, "{'find': 'totals', 'sort': {'_id': 1}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 4);
    ASSERT_INT(&r, "cursor.firstBatch.0.value", 25);
    bson_destroy(&r);
    CMD_OK(c, DB,
           "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE ", 'out': {'replace': 'totals'}}", &r);
    bson_destroy(&r);
    ck_assert_int_eq(fx_count(c, DB, "totals", "{}"), 3);
    /* reduce: stored and new values go through reduce again, here in another database */
    for (int i = 0; i < 2; i++) {
        CMD_OK(c, DB,
               "{'mapReduce': 'orders', " MR_MAP ", " MR_REDUCE
               ", 'out': {'reduce': 'totals', 'db': 'jstest_other'}}",
               &r);
        ASSERT_STR(&r, "result.db", "jstest_other");
        ASSERT_STR(&r, "result.collection", "totals");
        bson_destroy(&r);
    }
    CMD_OK(c, "jstest_other", "{'find': 'totals', 'sort': {'_id': 1}}", &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.value", 190);
    ASSERT_INT(&r, "cursor.firstBatch.2.value", 100);
    bson_destroy(&r);
    mongoc_client_destroy(c);
}
END_TEST

typedef struct runaway {
    mongoc_client_t *c;
    bson_t reply;
    int done;
} runaway_t;

/* run_runaway -- a $where that never returns, bounded by maxTimeMS. */
static void *
run_runaway(void *arg)
{
    runaway_t *w = arg;

    fx_cmd(w->c, DB,
           "{'find': 'players', 'filter': {'$where': 'while (true) {}'}, 'maxTimeMS': 3000}",
           &w->reply, NULL);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* A runaway script is stopped by maxTimeMS with 50, and while it runs the same worker serves
 * another connection (the script gives the loop its turns). */
START_TEST(test_runaway_is_stopped)
{
    fx_server_t s;
    mongoc_client_t *a, *b;
    runaway_t w = {0};
    pthread_t th;
    bson_t r;
    int served_meanwhile = 0;

    fx_server_up(&s, 1); /* one worker: both connections share it */
    a = fx_client(&s);
    b = fx_client(&s);
    seed_players(b);
    CMD_ERR(a, DB, "{'find': 'players', 'filter': {'$where': 'while (true) {}'}, 'maxTimeMS': 50}",
            &r, 50, "MaxTimeMSExpired");
    bson_destroy(&r);
    w.c = a;
    ck_assert(pthread_create(&th, NULL, run_runaway, &w) == 0);
    while (!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST)) {
        CMD_OK(b, DB, "{'find': 'players', 'filter': {'_id': 2}}", &r);
        ASSERT_INT(&r, "cursor.firstBatch.0._id", 2);
        bson_destroy(&r);
        if (!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST))
            served_meanwhile++;
    }
    pthread_join(th, NULL);
    ck_assert_msg(served_meanwhile > 0, "no reply while the script ran");
    ck_assert_int_eq(fx_int(&w.reply, "code"), 50);
    bson_destroy(&w.reply);
    /* the worker is healthy: scripts and queries run again */
    CMD_OK(a, DB, "{'find': 'players', 'filter': {'$where': 'this._id == 1'}}", &r);
    ck_assert_int_eq(fx_array_len(&r, "cursor.firstBatch"), 1);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    mongoc_client_destroy(b);
    ck_assert_int_eq(fx_server_stop(&s), 0);
    fx_server_cleanup(&s);
}
END_TEST

/* $function and $accumulator scripts that loop forever stop at the command's maxTimeMS with
 * 50 (not at the 60 s per-call limit), wherever an aggregate, a find, an update or a
 * findAndModify runs them, and the worker goes on serving scripts and queries. */
#define LOOP "{'$function': {'body': 'function() { while (true) {} }', 'args': [], 'lang': 'js'}}"

START_TEST(test_runaway_function_is_stopped)
{
    static const char *const pipelines[] = {
        "[{'$addFields': {'x': {'$function': {'body': 'function() { while (true) {} }', "
        "'args': [], 'lang': 'js'}}}}]",
        "[{'$match': {'$expr': {'$function': {'body': 'function(a) { while (true) {} }', "
        "'args': ['$_id'], 'lang': 'js'}}}}]",
        "[{'$group': {'_id': null, 'x': {'$accumulator': {'init': 'function() { return 0; }', "
        "'accumulate': 'function(s, v) { while (true) {} }', 'accumulateArgs': ['$_id'], "
        "'merge': 'function(a, b) { return a; }', 'lang': 'js'}}}}]",
        "[{'$group': {'_id': {'$function': {'body': 'function() { for (;;) {} }', "
        "'args': [], 'lang': 'js'}}}}]",
        "[{'$project': {'x': " LOOP "}}]",
        "[{'$bucket': {'groupBy': " LOOP ", 'boundaries': [0, 10], 'default': 'o'}}]",
        "[{'$bucketAuto': {'groupBy': " LOOP ", 'buckets': 2}}]",
        "[{'$setWindowFields': {'output': {'x': {'$sum': " LOOP "}}}}]",
        "[{'$setWindowFields': {'partitionBy': " LOOP ", 'output': {'x': {'$sum': 1}}}}]",
        "[{'$lookup': {'from': 'players', 'let': {'v': " LOOP "}, 'pipeline': [], 'as': 'o'}}]",
        "[{'$graphLookup': {'from': 'players', 'startWith': " LOOP ", 'connectFromField': 'a', "
        "'connectToField': 'b', 'as': 'o'}}]",
        "[{'$fill': {'output': {'x': {'value': " LOOP "}}}}]",
        "[{'$redact': " LOOP "}]",
    };
    /* the other commands that run scripts: $documents, find's projection and $expr filter, pipeline
     * updates and findAndModify (its update and its projection) */
    static const char *const commands[] = {
        "{'aggregate': 1, 'cursor': {}, 'pipeline': [{'$documents': " LOOP "}], 'maxTimeMS': 200}",
        "{'find': 'players', 'projection': {'x': " LOOP "}, 'maxTimeMS': 200}",
        "{'find': 'players', 'filter': {'$expr': " LOOP "}, 'maxTimeMS': 200}",
        "{'update': 'players', 'updates': [{'q': {}, 'u': [{'$set': {'x': " LOOP "}}], "
        "'multi': true}], 'maxTimeMS': 200}",
        "{'update': 'players', 'updates': [{'q': {'_id': 1}, 'u': [{'$replaceWith': " LOOP
        "}]}], 'maxTimeMS': 200}",
        "{'update': 'players', 'updates': [{'q': {'_id': 1}, 'u': [{'$project': {'x': " LOOP
        "}}]}], 'maxTimeMS': 200}",
        "{'findAndModify': 'players', 'query': {'_id': 1}, 'update': [{'$set': {'x': " LOOP
        "}}], 'maxTimeMS': 200}",
        "{'findAndModify': 'players', 'query': {'_id': 1}, 'update': {'$set': {'y': 1}}, "
        "'fields': {'x': " LOOP "}, 'maxTimeMS': 200}",
    };
    fx_server_t s;
    mongoc_client_t *a;
    char cmd[1024];
    bson_t r;

    fx_server_up(&s, 1);
    a = fx_client(&s);
    seed_players(a);
    for (size_t i = 0; i < sizeof(pipelines) / sizeof(pipelines[0]); i++) {
        snprintf(cmd, sizeof(cmd),
                 "{'aggregate': 'players', 'cursor': {}, 'maxTimeMS': 200, 'pipeline': %s}",
                 pipelines[i]);
        CMD_ERR(a, DB, cmd, &r, 50, "MaxTimeMSExpired");
        bson_destroy(&r);
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        CMD_ERR(a, DB, commands[i], &r, 50, "MaxTimeMSExpired");
        bson_destroy(&r);
    }
    CMD_OK(a, DB,
           "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$match': {'_id': 1}}, "
           "{'$addFields': {'x': {'$function': {'body': 'function(v) { return v * 2; }', "
           "'args': ['$_id'], 'lang': 'js'}}}}]}",
           &r);
    ASSERT_INT(&r, "cursor.firstBatch.0.x", 2);
    bson_destroy(&r);
    mongoc_client_destroy(a);
    ck_assert_int_eq(fx_server_stop(&s), 0);
    fx_server_cleanup(&s);
}
END_TEST

#undef LOOP

/* --noscripting: each feature answers mongod's error. */
START_TEST(test_noscripting)
{
    static const char *const extra[] = {"--noscripting", NULL};
    fx_server_t s;
    mongoc_client_t *c;
    bson_t r;

    ck_assert(fx_server_init(&s, 1) == 0);
    s.extra = extra;
    ck_assert(fx_server_start(&s) == 0);
    c = fx_client(&s);
    seed_players(c);
    CMD_ERR(c, DB, "{'find': 'players', 'filter': {'$where': 'true'}}", &r, 6108304,
            "Location6108304");
    ASSERT_STR(&r, "errmsg", "no globalScriptEngine in $where parsing");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$project': {'x': {'$function': "
            "{'body': 'function() { return 1 }', 'args': [], 'lang': 'js'}}}}]}",
            &r, 31264, "Location31264");
    bson_destroy(&r);
    CMD_ERR(c, DB,
            "{'aggregate': 'players', 'cursor': {}, 'pipeline': [{'$group': {'_id': 1, 's': "
            "{'$accumulator': {" BOOKS_ACC "}}}}]}",
            &r, 31264, "Location31264");
    bson_destroy(&r);
    CMD_ERR(c, DB, "{'mapReduce': 'players', " MR_MAP ", " MR_REDUCE ", 'out': {'inline': 1}}", &r,
            31246, "Location31246");
    bson_destroy(&r);
    mongoc_client_destroy(c);
    ck_assert_int_eq(fx_server_stop(&s), 0);
    fx_server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("js");
    TCase *tc = it_tcase(s, "js", true);
    tcase_add_test(tc, test_where);
    tcase_add_test(tc, test_function);
    tcase_add_test(tc, test_accumulator);
    tcase_add_test(tc, test_map_reduce_inline);
    tcase_add_test(tc, test_map_reduce_out);
    tc = it_tcase(s, "own_server", false);
    tcase_add_test(tc, test_runaway_is_stopped);
    tcase_add_test(tc, test_runaway_function_is_stopped);
    tcase_add_test(tc, test_noscripting);
    return it_main(s);
}
