/*
 * tests/unit/check_changestream.c -- unit tests for change-stream events and resume tokens
 * (src/worker/agg/stage_changestream_event.c, src/common/resume_token.c).
 *
 * Resume tokens: encoding and parsing round-trip, the hex strings sort as the stream does
 * (high-water mark before the events of its time, events by txnOpIndex, an invalidate after
 * its drop), and malformed tokens answer mongod's codes.  Events: synthetic oplog entries in
 * mongod's shape become the events mongod makes of them -- a committed transaction's applyOps
 * one event per operation with lsid, txnNumber and one clusterTime, a $v:2 update its
 * updateDescription (truncatedArrays, disambiguatedPaths), drops and dropDatabase their
 * invalidates, internal namespaces nothing.  Single-threaded; no server is started.
 */
#include "../../src/common/errors.h"
#include "../../src/common/resume_token.h"
#include "../../src/worker/agg/stage_changestream.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void
tok(sdb_rtoken_t *t, uint64_t ts, uint32_t type, uint32_t idx, bool inv)
{
    memset(t, 0, sizeof(*t));
    t->ts = ts;
    t->type = type;
    t->op_index = idx;
    t->from_invalidate = inv;
    t->has_uuid = type == SDB_RTOKEN_EVENT;
    memcpy(t->uuid, uuid, 16);
}

START_TEST(test_token_order_and_round_trip)
{
    sdb_rtoken_t t[6], back;
    char hex[6][SDB_RTOKEN_HEX_MAX];
    sdb_error_t err;

    tok(&t[0], 5ull << 32 | 1, SDB_RTOKEN_HWM, 0, false);
    tok(&t[1], 5ull << 32 | 1, SDB_RTOKEN_EVENT, 0, false);
    tok(&t[2], 5ull << 32 | 1, SDB_RTOKEN_EVENT, 1, false);
    tok(&t[3], 5ull << 32 | 1, SDB_RTOKEN_EVENT, 1, true);
    tok(&t[4], 5ull << 32 | 2, SDB_RTOKEN_HWM, 0, false);
    tok(&t[5], 6ull << 32 | 0, SDB_RTOKEN_EVENT, 0, false);
    for (int i = 0; i < 6; i++) {
        bson_t d = BSON_INITIALIZER;
        bson_iter_t it;

        sdb_rtoken_encode(&t[i], hex[i]);
        ck_assert_msg(strncmp(hex[i], "82", 2) == 0, "%s", hex[i]);
        if (i > 0)
            ck_assert_msg(strcmp(hex[i - 1], hex[i]) < 0, "%s !< %s", hex[i - 1], hex[i]);
        sdb_rtoken_append(&d, "_id", &t[i]);
        ck_assert(bson_iter_init_find(&it, &d, "_id"));
        ck_assert_int_eq(sdb_rtoken_parse(bson_iter_value(&it), &back, &err), 0);
        ck_assert(back.ts == t[i].ts && back.type == t[i].type && back.op_index == t[i].op_index &&
                  back.from_invalidate == t[i].from_invalidate && back.has_uuid == t[i].has_uuid);
        bson_destroy(&d);
    }
}
END_TEST

static int
parse_code(const char *json)
{
    bson_t *d = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it;
    sdb_rtoken_t t;
    sdb_error_t err = {0};

    ck_assert(d != NULL && bson_iter_init_find(&it, d, "t"));
    if (sdb_rtoken_parse(bson_iter_value(&it), &t, &err) == 0)
        err.code = 0;
    bson_destroy(d);
    return err.code;
}

START_TEST(test_token_errors)
{
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": \"zz\"}}"), SDB_CODE_FailedToParse);
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": \"820\"}}"), SDB_CODE_FailedToParse);
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": \"\"}}"), SDB_CODE_Location40649);
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": \"0102\"}}"), SDB_CODE_Location50811);
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": \"8200000000000000012B\"}}"),
                     SDB_CODE_Location50811);
    ck_assert_int_eq(parse_code("{\"t\": {\"_data\": 1}}"), SDB_CODE_Location40647);
    ck_assert_int_eq(parse_code("{\"t\": 1}"), SDB_CODE_Location40647);
}
END_TEST

/* events -- the events `entry_json` makes for a stream on db/coll. */
static void
events(const char *db, const char *coll, bool all, bool expanded, const char *entry_json,
       wk_cs_events_t *out)
{
    wk_cs_t cs;
    bson_error_t e;
    bson_t *entry = bson_new_from_json((const uint8_t *)entry_json, -1, &e);

    ck_assert_msg(entry != NULL, "%s: %s", entry_json, e.message);
    memset(&cs, 0, sizeof(cs));
    memset(out, 0, sizeof(*out));
    snprintf(cs.db, sizeof(cs.db), "%s", db);
    snprintf(cs.coll, sizeof(cs.coll), "%s", coll);
    cs.all = all;
    cs.expanded = expanded;
    wk_cs_entry_events(&cs, entry, 7ull << 32 | 3, out);
    bson_destroy(entry);
}

static const char *
str_at(const bson_t *d, const char *path)
{
    bson_iter_t it, f;

    if (!bson_iter_init(&it, d) || !bson_iter_find_descendant(&it, path, &f) ||
        !BSON_ITER_HOLDS_UTF8(&f))
        return NULL;
    return bson_iter_utf8(&f, NULL);
}

static bool
has(const bson_t *d, const char *path)
{
    bson_iter_t it, f;

    return bson_iter_init(&it, d) && bson_iter_find_descendant(&it, path, &f);
}

START_TEST(test_apply_ops)
{
    wk_cs_events_t ev;
    const char *entry =
        "{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"applyOps\": ["
        "{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 1}, \"o2\": {\"_id\": 1}},"
        "{\"op\": \"i\", \"ns\": \"d.other\", \"o\": {\"_id\": 2}, \"o2\": {\"_id\": 2}},"
        "{\"op\": \"d\", \"ns\": \"d.c\", \"o\": {\"_id\": 1}}]},"
        "\"lsid\": {\"id\": {\"$binary\": {\"base64\": \"AAAAAAAAAAAAAAAAAAAAAA==\", "
        "\"subType\": \"04\"}}}, \"txnNumber\": {\"$numberLong\": \"4\"}, "
        "\"wall\": {\"$date\": 1000}}";

    events("d", "c", false, false, entry, &ev);
    ck_assert_int_eq((int)ev.n, 2); /* d.other is not watched */
    ck_assert_str_eq(str_at(ev.v[0].doc, "operationType"), "insert");
    ck_assert_str_eq(str_at(ev.v[1].doc, "operationType"), "delete");
    ck_assert(ev.v[0].tok.ts == ev.v[1].tok.ts);
    ck_assert_int_eq(ev.v[0].tok.op_index, 0);
    ck_assert_int_eq(ev.v[1].tok.op_index, 2);
    for (int i = 0; i < 2; i++)
        ck_assert(has(ev.v[i].doc, "lsid.id") && has(ev.v[i].doc, "txnNumber") &&
                  has(ev.v[i].doc, "clusterTime") && has(ev.v[i].doc, "wallTime"));
    wk_cs_events_free(&ev);
    events("d", "", false, false, entry, &ev); /* the database sees all three */
    ck_assert_int_eq((int)ev.n, 3);
    wk_cs_events_free(&ev);
}
END_TEST

START_TEST(test_update_description)
{
    wk_cs_events_t ev;
    const char *entry =
        "{\"op\": \"u\", \"ns\": \"d.c\", \"o\": {\"$v\": 2, \"diff\": {\"d\": {\"gone\": false}, "
        "\"u\": {\"x\": 2}, \"i\": {\"new\": 1}, \"sarr\": {\"a\": true, \"l\": 2}, "
        "\"so\": {\"u\": {\"1\": 5}}, \"sl\": {\"a\": true, \"s0\": {\"u\": {\"k\": 1}}, "
        "\"u3\": 9}}}, \"o2\": {\"_id\": 1}}";
    bson_t ud;
    bson_iter_t it;

    events("d", "c", false, true, entry, &ev);
    ck_assert_int_eq((int)ev.n, 1);
    ck_assert_str_eq(str_at(ev.v[0].doc, "operationType"), "update");
    ck_assert(bson_iter_init_find(&it, ev.v[0].doc, "updateDescription"));
    {
        const uint8_t *d;
        uint32_t len;
        bson_iter_document(&it, &len, &d);
        bson_init_static(&ud, d, len);
    }
    char *json = bson_as_relaxed_extended_json(&ud, NULL);
    ck_assert_msg(strcmp(json, "{ \"updatedFields\" : { \"x\" : 2, \"new\" : 1, \"o.1\" : 5, "
                               "\"l.0.k\" : 1, \"l.3\" : 9 }, \"removedFields\" : [ \"gone\" ], "
                               "\"truncatedArrays\" : [ { \"field\" : \"arr\", \"newSize\" : 2 } "
                               "], \"disambiguatedPaths\" : { \"o.1\" : [ \"o\", \"1\" ] } }") == 0,
                  "%s", json);
    bson_free(json);
    wk_cs_events_free(&ev);
    /* without showExpandedEvents: no disambiguatedPaths; a replacement is "replace" */
    events("d", "c", false, false, entry, &ev);
    ck_assert(!has(ev.v[0].doc, "updateDescription.disambiguatedPaths"));
    wk_cs_events_free(&ev);
    events("d", "c", false, false,
           "{\"op\": \"u\", \"ns\": \"d.c\", \"o\": {\"_id\": 1, \"y\": 1}, \"o2\": {\"_id\": 1}}",
           &ev);
    ck_assert_str_eq(str_at(ev.v[0].doc, "operationType"), "replace");
    ck_assert(has(ev.v[0].doc, "fullDocument.y"));
    wk_cs_events_free(&ev);
}
END_TEST

START_TEST(test_invalidates_and_scope)
{
    wk_cs_events_t ev;

    events("d", "c", false, false, "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"drop\": \"c\"}}",
           &ev);
    ck_assert_int_eq((int)ev.n, 2);
    ck_assert_str_eq(str_at(ev.v[0].doc, "operationType"), "drop");
    ck_assert_str_eq(str_at(ev.v[1].doc, "operationType"), "invalidate");
    ck_assert(ev.v[1].invalidate && ev.v[1].tok.from_invalidate);
    wk_cs_events_free(&ev);
    events("d", "", false, false,
           "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"dropDatabase\": 1}}", &ev);
    ck_assert_int_eq((int)ev.n, 2);
    ck_assert_str_eq(str_at(ev.v[1].doc, "operationType"), "invalidate");
    wk_cs_events_free(&ev);
    events("admin", "", true, false,
           "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"dropDatabase\": 1}}", &ev);
    ck_assert_int_eq((int)ev.n, 1); /* a cluster stream is never invalidated */
    wk_cs_events_free(&ev);
    events("admin", "", true, false, "{\"op\": \"i\", \"ns\": \"config.x\", \"o\": {\"_id\": 1}}",
           &ev);
    ck_assert_int_eq((int)ev.n, 0);
    wk_cs_events_free(&ev);
    events("d", "", false, false, "{\"op\": \"i\", \"ns\": \"d.system.js\", \"o\": {\"_id\": 1}}",
           &ev);
    ck_assert_int_eq((int)ev.n, 0);
    wk_cs_events_free(&ev);
    /* create only with showExpandedEvents */
    events("d", "", false, false,
           "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"create\": \"n\", \"idIndex\": {}}}", &ev);
    ck_assert_int_eq((int)ev.n, 0);
    wk_cs_events_free(&ev);
    events("d", "", false, true,
           "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"create\": \"n\", \"idIndex\": {}}}", &ev);
    ck_assert_int_eq((int)ev.n, 1);
    ck_assert(has(ev.v[0].doc, "operationDescription.idIndex"));
    wk_cs_events_free(&ev);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("changestream");
    TCase *tc = tcase_create("changestream");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_token_order_and_round_trip);
    tcase_add_test(tc, test_token_errors);
    tcase_add_test(tc, test_apply_ops);
    tcase_add_test(tc, test_update_description);
    tcase_add_test(tc, test_invalidates_and_scope);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
