/*
 * tests/unit/check_namespace.c -- unit tests for src/worker/engine/namespace.c.
 *
 * A table of database names (with their lengths, so embedded NULs count) and the message
 * mongod gives each; collection names joined to a database; full namespaces as
 * renameCollection takes them; the server-owned collections a user may not write.
 * Single-threaded; no server is started.
 */
#include "../../src/common/sdb.h"
#include "../../src/worker/engine/namespace.h"

#include <check.h>
#include <string.h>

typedef struct dbcase {
    const char *name;
    size_t len;
    const char *msg; /* NULL: accepted */
} dbcase_t;

static const dbcase_t dbcases[] = {
    {"test", 4, NULL},
    {"$external", 9, NULL}, /* mongod allows $ in $db; creating one is the master's refusal */
    {"a-b_c", 5, NULL},
    {"zz.b", 4, "'.' is an invalid character in a db name: zz.b"},
    {"yy\0evil", 7, "database names cannot have embedded null characters"},
    {"", 0, "Invalid database name: ''"},
    {"a b", 3, "Invalid database name: 'a b'"},
    {"a/b", 3, "Invalid database name: 'a/b'"},
    {"a\\b", 3, "Invalid database name: 'a\\b'"},
    {"a\"b", 3, "Invalid database name: 'a\"b'"},
    {"d12345678901234567890123456789012345678901234567890123456789012", 63, NULL},
    {"d123456789012345678901234567890123456789012345678901234567890123", 64,
     "db name must be at most 63 characters, found: 64"},
};

START_TEST(test_db_names)
{
    const dbcase_t *c = &dbcases[_i];
    sdb_error_t err;
    int ret;

    memset(&err, 0, sizeof(err));
    ret = wk_ns_db_check(c->name, c->len, &err);
    if (c->msg == NULL) {
        ck_assert_msg(ret == 0, "%s refused: %s", c->name, err.msg);
    } else {
        ck_assert_int_eq(ret, SDB_ECLIENT);
        ck_assert_int_eq(err.code, SDB_CODE_InvalidNamespace);
        ck_assert_str_eq(err.msg, c->msg);
    }
}
END_TEST

START_TEST(test_join)
{
    char ns[32];
    sdb_error_t err;

    ck_assert_int_eq(wk_ns_join("db", "b.c", 3, ns, sizeof(ns), &err), 0);
    ck_assert_str_eq(ns, "db.b.c");
    ck_assert_int_eq(wk_ns_join("db", "c\0evil", 6, ns, sizeof(ns), &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "namespaces cannot have embedded null characters");
    ck_assert_int_eq(wk_ns_join("db", "", 0, ns, sizeof(ns), &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "Invalid namespace specified 'db.'");
    ck_assert_int_eq(wk_ns_join("db", "0123456789012345678901234567890", 31, ns, sizeof(ns), &err),
                     SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_InvalidNamespace);
}
END_TEST

START_TEST(test_full_and_write)
{
    sdb_error_t err;

    ck_assert_int_eq(wk_ns_full_check("db.a.b", 6, "target", &err), 0);
    ck_assert_int_eq(wk_ns_full_check("db.a\0x", 6, "target", &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "namespaces cannot have embedded null characters");
    ck_assert_int_eq(wk_ns_full_check("nodot", 5, "source", &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "Invalid source namespace: nodot");
    ck_assert_int_eq(wk_ns_full_check("db.", 3, "source", &err), SDB_ECLIENT);
    ck_assert_int_eq(wk_ns_full_check("a b.c", 5, "target", &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "Invalid database name: 'a b'");
    ck_assert_int_eq(wk_ns_write_check("db.c", &err), 0);
    ck_assert_int_eq(wk_ns_write_check("db.system.js", &err), 0);
    ck_assert_int_eq(wk_ns_write_check("db.system.views", &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "cannot write to db.system.views");
    ck_assert_int_eq(wk_ns_write_check("db.system.profile", &err), SDB_ECLIENT);
}
END_TEST

static Suite *
namespace_suite(void)
{
    Suite *s = suite_create("namespace");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_db_names, 0, (int)(sizeof(dbcases) / sizeof(dbcases[0])));
    tcase_add_test(tc, test_join);
    tcase_add_test(tc, test_full_and_write);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(namespace_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
