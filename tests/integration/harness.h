/*
 * tests/integration/harness.h -- what every integration test program shares.
 *
 * A shared server per test case (Check "unchecked fixture": started once in the runner
 * process, before the forked test functions, stopped after them), assertion helpers for
 * command replies, and the main() that runs one suite.  Tests that stop, kill or restart a
 * server start their own inside the test function (fx_server_up) so that it is their child.
 */
#ifndef SDB_TEST_HARNESS_H
#define SDB_TEST_HARNESS_H

#include "fixture.h"
#include "rawwire.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fx_server_t it_srv;
static bool it_up;

/* it_shared_up -- unchecked fixture: start the case's shared server (2 workers). */
static void
it_shared_up(void)
{
    it_up = fx_server_init(&it_srv, 2) == 0 && fx_server_start(&it_srv) == 0;
}

/* it_shared_down -- unchecked fixture: stop it (a clean SIGTERM) and remove its files. */
static void
it_shared_down(void)
{
    if (it_up && it_srv.pid > 0) {
        int st = fx_server_stop(&it_srv);
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            fprintf(stderr, "warning: shared server did not exit cleanly (status 0x%x)\n", st);
            fx_server_dump(&it_srv);
        }
    }
    fx_server_cleanup(&it_srv);
}

/* IT_CLIENT -- a client of the shared server, failing the test when it did not start. */
#define IT_CLIENT()                                                                                \
    (ck_assert_msg(it_up, "the shared server did not start (see the log above)"),                  \
     fx_client(&it_srv))

/* CMD_OK -- run a JSON command that must succeed; the reply stays in *reply. */
#define CMD_OK(c, db, json, reply)                                                                 \
    do {                                                                                           \
        bson_error_t e_;                                                                           \
        bool ok_ = fx_cmd((c), (db), (json), (reply), &e_);                                        \
        ck_assert_msg(ok_, "%s -> %s (%s)", (json), fx_to_json(reply), e_.message);                \
    } while (0)

/* CMD_ERR -- run a JSON command that must fail with `code` and `code_name`. */
#define CMD_ERR(c, db, json, reply, code, code_name)                                               \
    do {                                                                                           \
        bson_error_t e_;                                                                           \
        bool ok_ = fx_cmd((c), (db), (json), (reply), &e_);                                        \
        ck_assert_msg(!ok_ && fx_has((reply), "ok"), "%s should fail with %d: got %s (%s)",        \
                      (json), (code), fx_to_json(reply), e_.message);                              \
        ck_assert_msg(fx_int((reply), "code") == (code), "%s: code %lld, want %d: %s", (json),     \
                      (long long)fx_int((reply), "code"), (code), fx_to_json(reply));              \
        ck_assert_msg(fx_str((reply), "codeName") != NULL &&                                       \
                          strcmp(fx_str((reply), "codeName"), (code_name)) == 0,                   \
                      "%s: codeName want %s: %s", (json), (code_name), fx_to_json(reply));         \
        ck_assert_msg(fx_str((reply), "errmsg") != NULL, "%s: no errmsg: %s", (json),              \
                      fx_to_json(reply));                                                          \
    } while (0)

/* ASSERT_STR -- the string at path equals want. */
#define ASSERT_STR(doc, path, want)                                                                \
    ck_assert_msg(fx_str((doc), (path)) != NULL && strcmp(fx_str((doc), (path)), (want)) == 0,     \
                  "%s: want \"%s\" in %s", (path), (want), fx_to_json(doc))

/* ASSERT_INT -- the number at path equals want (any numeric type). */
#define ASSERT_INT(doc, path, want)                                                                \
    ck_assert_msg(fx_has((doc), (path)) && fx_int((doc), (path)) == (int64_t)(want),               \
                  "%s: want %lld in %s", (path), (long long)(want), fx_to_json(doc))

/* ASSERT_TYPE -- the value at path has BSON type `t`. */
#define ASSERT_TYPE(doc, path, t)                                                                  \
    ck_assert_msg(fx_type((doc), (path)) == (t), "%s: want BSON type 0x%x, got 0x%x in %s",        \
                  (path), (unsigned)(t), (unsigned)fx_type((doc), (path)), fx_to_json(doc))

/* it_tcase -- a test case with a generous hang guard (not a timing assertion). */
static TCase *
it_tcase(Suite *s, const char *name, bool shared_server)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    if (shared_server)
        tcase_add_unchecked_fixture(tc, it_shared_up, it_shared_down);
    suite_add_tcase(s, tc);
    return tc;
}

/* it_main -- run the suite; exit status is the number of failures (0 = all passed). */
static int
it_main(Suite *s)
{
    char dir[600], report[700];
    if (fx_mkdtemp(dir, sizeof(dir), "sdb-report") != 0)
        return 1;
    snprintf(report, sizeof(report), "%s/sanitizer.log", dir);
    setenv("SDB_IT_REPORT", report, 1);
    mongoc_init();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    int run = srunner_ntests_run(sr);
    srunner_free(sr);
    mongoc_cleanup();
    /* a sanitizer report from any server this suite ran fails the suite */
    FILE *f = fopen(report, "r");
    if (f != NULL) {
        char buf[4096];
        size_t n;
        fprintf(stderr, "the server reported sanitizer errors:\n");
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, stderr);
        fclose(f);
        run++;
        failed++;
    }
    remove(report);
    rmdir(dir);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
