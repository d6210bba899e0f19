/*
 * tests/unit/check_bsonvalid.c -- unit tests for src/common/bsonvalid.c (the door's BSON check).
 *
 * A table of hand-made byte strings (bad lengths, bad terminators, nested malformed documents,
 * negative and huge lengths, every special-sized type) with the code each must get; every
 * element type truncated at every byte of its value; every byte of a document holding every
 * type mutated, where anything the check accepts must iterate completely with libbson (the
 * property code after the door relies on); nesting at and around the command and storage
 * limits, with mongod's messages.  Single-threaded; no server is started.
 */
#include "../../src/common/bsonvalid.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK 0

typedef struct hexcase {
    const char *name;
    const char *hex;
    int code; /* 0: accepted */
} hexcase_t;

/* Each document is written out byte by byte: [int32 length] elements [00]. */
static const hexcase_t hexcases[] = {
    {"four bytes", "05 00 00 00", SDB_CODE_InvalidBSON},
    {"length below 5", "04 00 00 00 00", SDB_CODE_InvalidBSON},
    {"length above the buffer", "06 00 00 00 00", SDB_CODE_InvalidBSON},
    {"negative length", "FF FF FF FF 00", SDB_CODE_InvalidBSON},
    {"huge length", "FF FF FF 7F 00", SDB_CODE_InvalidBSON},
    {"not terminated", "05 00 00 00 01", SDB_CODE_InvalidBSON},
    {"empty", "05 00 00 00 00", OK},
    {"bytes after the EOO", "07 00 00 00 00 00 00", SDB_CODE_InvalidBSON},
    {"int32", "0C 00 00 00 10 61 00 01 00 00 00 00", OK},
    {"int32 short", "0B 00 00 00 10 61 00 01 00 00 00", SDB_CODE_InvalidBSON},
    {"key runs into the EOO", "08 00 00 00 10 61 62 00", SDB_CODE_InvalidBSON},
    {"type without key", "06 00 00 00 10 00", SDB_CODE_InvalidBSON},
    {"bool true", "09 00 00 00 08 61 00 01 00", OK},
    {"bool 2", "09 00 00 00 08 61 00 02 00", SDB_CODE_InvalidBSON},
    {"unknown type 0x14", "09 00 00 00 14 61 00 00 00", SDB_CODE_InvalidBSON},
    {"unknown type 0x80", "09 00 00 00 80 61 00 00 00", SDB_CODE_InvalidBSON},
    {"minkey", "08 00 00 00 FF 61 00 00", OK},
    {"maxkey", "08 00 00 00 7F 61 00 00", OK},
    {"string", "0E 00 00 00 02 61 00 02 00 00 00 78 00 00", OK},
    {"string length 0", "0C 00 00 00 02 61 00 00 00 00 00 00", SDB_CODE_InvalidBSON},
    {"string without NUL", "0E 00 00 00 02 61 00 02 00 00 00 78 79 00", SDB_CODE_InvalidBSON},
    {"string negative length", "0E 00 00 00 02 61 00 FF FF FF FF 78 00 00", SDB_CODE_InvalidBSON},
    {"string huge length", "0E 00 00 00 02 61 00 FF FF FF 7F 78 00 00", SDB_CODE_InvalidBSON},
    {"string eats the EOO", "0E 00 00 00 02 61 00 03 00 00 00 78 00 00", SDB_CODE_InvalidBSON},
    {"nested", "14 00 00 00 03 61 00 0C 00 00 00 10 62 00 01 00 00 00 00 00", OK},
    {"nested NUL is 0x80", "14 00 00 00 03 61 00 0C 00 00 00 10 62 00 01 00 00 00 80 00",
     SDB_CODE_InvalidBSON},
    {"array NUL is 0x80", "14 00 00 00 04 61 00 0C 00 00 00 10 30 00 01 00 00 00 80 00",
     SDB_CODE_InvalidBSON},
    {"nested length 4", "14 00 00 00 03 61 00 04 00 00 00 10 62 00 01 00 00 00 00 00",
     SDB_CODE_InvalidBSON},
    {"nested length past parent", "14 00 00 00 03 61 00 0D 00 00 00 10 62 00 01 00 00 00 00 00",
     SDB_CODE_InvalidBSON},
    {"nested length short by one", "14 00 00 00 03 61 00 0B 00 00 00 10 62 00 01 00 00 00 00 00",
     SDB_CODE_InvalidBSON},
    {"nested negative length", "14 00 00 00 03 61 00 FF FF FF FF 10 62 00 01 00 00 00 00 00",
     SDB_CODE_InvalidBSON},
    {"nested huge length", "14 00 00 00 03 61 00 FF FF FF 7F 10 62 00 01 00 00 00 00 00",
     SDB_CODE_InvalidBSON},
    {"binary", "0F 00 00 00 05 61 00 02 00 00 00 00 78 79 00", OK},
    {"binary negative length", "0F 00 00 00 05 61 00 FF FF FF FF 00 78 79 00",
     SDB_CODE_InvalidBSON},
    {"binary overrun", "0F 00 00 00 05 61 00 03 00 00 00 00 78 79 00", SDB_CODE_InvalidBSON},
    {"binary subtype 2", "13 00 00 00 05 61 00 06 00 00 00 02 02 00 00 00 78 79 00", OK},
    {"binary subtype 2 inner length", "13 00 00 00 05 61 00 06 00 00 00 02 01 00 00 00 78 79 00",
     SDB_CODE_InvalidBSON},
    {"regex", "0C 00 00 00 0B 61 00 61 00 69 00 00", OK},
    {"regex options run into the EOO", "0B 00 00 00 0B 61 00 61 00 69 00", SDB_CODE_InvalidBSON},
    {"dbpointer", "1A 00 00 00 0C 61 00 02 00 00 00 78 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 00",
     OK},
    {"dbpointer short oid",
     "19 00 00 00 0C 61 00 02 00 00 00 78 00 01 02 03 04 05 06 07 08 09 0A 0B 00",
     SDB_CODE_InvalidBSON},
    {"code with scope", "17 00 00 00 0F 61 00 0F 00 00 00 02 00 00 00 78 00 05 00 00 00 00 00", OK},
    {"code with scope total too big",
     "17 00 00 00 0F 61 00 10 00 00 00 02 00 00 00 78 00 05 00 00 00 00 00", SDB_CODE_InvalidBSON},
    {"code with scope total too small",
     "17 00 00 00 0F 61 00 0E 00 00 00 02 00 00 00 78 00 05 00 00 00 00 00", SDB_CODE_InvalidBSON},
    {"code with scope NUL is 0x80",
     "17 00 00 00 0F 61 00 0F 00 00 00 02 00 00 00 78 00 05 00 00 00 80 00", SDB_CODE_InvalidBSON},
    {"code with scope negative string",
     "17 00 00 00 0F 61 00 0F 00 00 00 FF FF FF FF 78 00 05 00 00 00 00 00", SDB_CODE_InvalidBSON},
};

/* unhex -- the bytes of a spaced hex string; returns their count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned v;

    while (*hex != '\0' && n < cap) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        ck_assert(sscanf(hex, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

START_TEST(test_hex_table)
{
    const hexcase_t *c = &hexcases[_i];
    uint8_t buf[128];
    size_t n = unhex(c->hex, buf, sizeof(buf));
    sdb_error_t err;
    int ret;

    memset(&err, 0, sizeof(err));
    ret = sdb_bson_check(buf, n, SDB_BSON_LEVELS_COMMAND, &err);
    if (c->code == OK)
        ck_assert_msg(ret == 0, "%s: refused: %s", c->name, err.msg);
    else
        ck_assert_msg(ret == SDB_ECLIENT && err.code == c->code, "%s: ret %d code %d (%s)", c->name,
                      ret, err.code, err.msg);
}
END_TEST

/* iterates -- libbson walks doc and every nested document to the end without an error. */
static bool
iterates(const uint8_t *data, uint32_t len)
{
    bson_t doc;
    bson_iter_t it;
    const uint8_t *sub;
    uint32_t sublen;

    if (!bson_init_static(&doc, data, len) || !bson_iter_init(&it, &doc))
        return false;
    while (bson_iter_next(&it)) {
        if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            if (BSON_ITER_HOLDS_DOCUMENT(&it))
                bson_iter_document(&it, &sublen, &sub);
            else
                bson_iter_array(&it, &sublen, &sub);
            if (sub == NULL || !iterates(sub, sublen))
                return false;
        } else if (BSON_ITER_HOLDS_CODEWSCOPE(&it)) {
            bson_iter_codewscope(&it, NULL, &sublen, &sub);
            if (sub == NULL || !iterates(sub, sublen))
                return false;
        }
    }
    return it.err_off == 0;
}

/* every_type -- one element of each type, in the order of the type numbers. */
static void
every_type(bson_t *doc)
{
    bson_oid_t oid;
    bson_decimal128_t dec = {.low = 1, .high = 0x3040000000000000ull};
    bson_t sub, scope;
    uint8_t bin[3] = {1, 2, 3};

    bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
    bson_init(doc);
    BSON_APPEND_DOUBLE(doc, "d", 1.5);
    BSON_APPEND_UTF8(doc, "s", "str");
    BSON_APPEND_DOCUMENT_BEGIN(doc, "o", &sub);
    BSON_APPEND_INT32(&sub, "x", 1);
    bson_append_document_end(doc, &sub);
    BSON_APPEND_ARRAY_BEGIN(doc, "a", &sub);
    BSON_APPEND_INT32(&sub, "0", 1);
    bson_append_array_end(doc, &sub);
    BSON_APPEND_BINARY(doc, "b", BSON_SUBTYPE_BINARY, bin, 3);
    BSON_APPEND_BINARY(doc, "b2", BSON_SUBTYPE_BINARY_DEPRECATED, bin, 3);
    BSON_APPEND_UNDEFINED(doc, "u");
    BSON_APPEND_OID(doc, "i", &oid);
    BSON_APPEND_BOOL(doc, "t", true);
    BSON_APPEND_DATE_TIME(doc, "dt", 12345);
    BSON_APPEND_NULL(doc, "n");
    BSON_APPEND_REGEX(doc, "r", "ab+", "i");
    BSON_APPEND_DBPOINTER(doc, "p", "c", &oid);
    BSON_APPEND_CODE(doc, "c", "f()");
    BSON_APPEND_SYMBOL(doc, "y", "sym");
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "v", 2);
    BSON_APPEND_CODE_WITH_SCOPE(doc, "w", "g()", &scope);
    bson_destroy(&scope);
    BSON_APPEND_INT32(doc, "i32", 7);
    BSON_APPEND_TIMESTAMP(doc, "ts", 1, 2);
    BSON_APPEND_INT64(doc, "i64", 8);
    BSON_APPEND_DECIMAL128(doc, "dec", &dec);
    BSON_APPEND_MINKEY(doc, "mn");
    BSON_APPEND_MAXKEY(doc, "mx");
}

START_TEST(test_every_type_accepted)
{
    bson_t doc;
    sdb_error_t err;

    every_type(&doc);
    ck_assert_msg(sdb_bson_check(bson_get_data(&doc), doc.len, SDB_BSON_LEVELS_COMMAND, &err) == 0,
                  "%s", err.msg);
    ck_assert(iterates(bson_get_data(&doc), doc.len));
    bson_destroy(&doc);
}
END_TEST

/* Each element of every_type, cut short at every byte of its value and re-framed. */
START_TEST(test_every_type_truncated)
{
    bson_t doc;
    bson_iter_t it;
    uint8_t buf[256];
    sdb_error_t err;
    int cuts = 0;

    every_type(&doc);
    ck_assert(bson_iter_init(&it, &doc));
    while (bson_iter_next(&it)) {
        const uint8_t *raw = bson_get_data(&doc);
        size_t start = it.off, vstart = it.d1, vend = it.next_off;

        for (size_t cut = start + 1; cut < vend; cut++) {
            size_t n = 4 + (cut - start) + 1;
            uint32_t le = BSON_UINT32_TO_LE((uint32_t)n);

            if (cut >= vstart || cut == start + 1) {
                memcpy(buf, &le, 4);
                memcpy(buf + 4, raw + start, cut - start);
                buf[n - 1] = 0;
                ck_assert_msg(sdb_bson_check(buf, n, SDB_BSON_LEVELS_COMMAND, &err) ==
                                      SDB_ECLIENT &&
                                  err.code == SDB_CODE_InvalidBSON,
                              "element %s cut at %zu of %zu accepted", bson_iter_key(&it),
                              cut - start, vend - start);
                cuts++;
            }
        }
    }
    ck_assert_int_gt(cuts, 100);
    bson_destroy(&doc);
}
END_TEST

/* Every byte of every_type set to a few values: whatever the check accepts, libbson iterates. */
START_TEST(test_mutations_iterate)
{
    static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x05, 0x7F, 0x80, 0xFF};
    bson_t doc;
    uint8_t *buf;
    sdb_error_t err;
    int accepted = 0, refused = 0;

    every_type(&doc);
    buf = malloc(doc.len);
    for (uint32_t i = 0; i < doc.len; i++) {
        for (size_t v = 0; v < sizeof(vals) + 1; v++) {
            memcpy(buf, bson_get_data(&doc), doc.len);
            buf[i] = v < sizeof(vals) ? vals[v] : (uint8_t)(buf[i] ^ 0x40);
            if (sdb_bson_check(buf, doc.len, SDB_BSON_LEVELS_COMMAND, &err) == 0) {
                ck_assert_msg(iterates(buf, doc.len), "byte %u = 0x%02x accepted, libbson fails", i,
                              buf[i]);
                accepted++;
            } else {
                ck_assert(err.code == SDB_CODE_InvalidBSON || err.code == SDB_CODE_Overflow);
                refused++;
            }
        }
    }
    ck_assert_int_gt(accepted, 100);
    ck_assert_int_gt(refused, 100);
    free(buf);
    bson_destroy(&doc);
}
END_TEST

/* nested -- {a: {a: ... {}}} with `levels` documents, written directly (no recursion). */
static uint8_t *
nested(int levels, size_t *len)
{
    size_t total = 5 + 8 * (size_t)(levels - 1);
    uint8_t *b = calloc(1, total);

    for (int i = 0; i < levels; i++) {
        uint32_t le = BSON_UINT32_TO_LE((uint32_t)(total - 8 * (size_t)i));

        memcpy(b + 7 * (size_t)i, &le, 4);
        if (i < levels - 1) {
            b[7 * i + 4] = BSON_TYPE_DOCUMENT;
            b[7 * i + 5] = 'a';
        }
    }
    *len = total;
    return b;
}

static int
check_levels(int levels, int max, sdb_error_t *err)
{
    size_t len;
    uint8_t *b = nested(levels, &len);
    int ret = sdb_bson_check(b, len, max, err);

    free(b);
    return ret;
}

/* mongod's maxBSONDepth 200: 199 and 200 nested documents below the top pass, 201 fail. */
START_TEST(test_command_depth)
{
    sdb_error_t err;

    ck_assert_int_eq(check_levels(1 + 199, SDB_BSON_LEVELS_COMMAND, &err), 0);
    ck_assert_int_eq(check_levels(1 + 200, SDB_BSON_LEVELS_COMMAND, &err), 0);
    ck_assert_int_eq(check_levels(1 + 201, SDB_BSON_LEVELS_COMMAND, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_msg(strncmp(err.msg, "BSONObj exceeds maximum nested object depth", 43) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(check_levels(10000, SDB_BSON_LEVELS_COMMAND, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_int_eq(check_levels(100000, 1 << 30, &err), SDB_ECLIENT); /* clamped */
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
}
END_TEST

/* A malformed document below the limit is InvalidBSON, one past it Overflow (checked first). */
START_TEST(test_depth_then_malformed)
{
    size_t len;
    uint8_t *b = nested(50, &len);
    sdb_error_t err;

    b[7 * 49 + 4] = 0x80; /* the innermost {}'s NUL */
    ck_assert_int_eq(sdb_bson_check(b, len, SDB_BSON_LEVELS_COMMAND, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_InvalidBSON);
    ck_assert_int_eq(sdb_bson_check(b, len, 10, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    free(b);
}
END_TEST

/* Stored documents: 100 levels are stored, 101 refused with mongod's insert/update words. */
START_TEST(test_stored_depth)
{
    size_t len;
    uint8_t *b;
    bson_t doc;
    sdb_error_t err;

    b = nested(100, &len);
    ck_assert(bson_init_static(&doc, b, len));
    ck_assert_int_eq(sdb_bson_check_stored(&doc, false, &err), 0);
    ck_assert(sdb_bson_depth_ok(&doc, SDB_BSON_DEPTH_STORED));
    ck_assert(!sdb_bson_depth_ok(&doc, 99));
    free(b);
    b = nested(101, &len);
    ck_assert(bson_init_static(&doc, b, len));
    ck_assert(!sdb_bson_depth_ok(&doc, SDB_BSON_DEPTH_STORED));
    ck_assert_int_eq(sdb_bson_check_stored(&doc, false, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_str_eq(err.msg, "cannot insert document because it exceeds 100 levels of nesting");
    ck_assert_int_eq(sdb_bson_check_stored(&doc, true, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    ck_assert_str_eq(err.msg, "Document exceeds maximum nesting depth of 100");
    free(b);
}
END_TEST

/* Arrays count like documents; a code-with-scope's scope counts two levels, as in mongod. */
START_TEST(test_depth_kinds)
{
    bson_t doc = BSON_INITIALIZER, a, b, scope = BSON_INITIALIZER;
    sdb_error_t err;

    BSON_APPEND_ARRAY_BEGIN(&doc, "x", &a);
    BSON_APPEND_ARRAY_BEGIN(&a, "0", &b);
    bson_append_array_end(&a, &b);
    bson_append_array_end(&doc, &a);
    ck_assert_int_eq(sdb_bson_check(bson_get_data(&doc), doc.len, 3, &err), 0);
    ck_assert_int_eq(sdb_bson_check(bson_get_data(&doc), doc.len, 2, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_reinit(&doc);
    BSON_APPEND_CODE_WITH_SCOPE(&doc, "w", "f()", &scope);
    ck_assert_int_eq(sdb_bson_check(bson_get_data(&doc), doc.len, 3, &err), 0);
    ck_assert_int_eq(sdb_bson_check(bson_get_data(&doc), doc.len, 2, &err), SDB_ECLIENT);
    ck_assert_int_eq(err.code, SDB_CODE_Overflow);
    bson_destroy(&doc);
    bson_destroy(&scope);
}
END_TEST

/* UTF-8 is not checked (mongod's door does not); the error names the element, escaped. */
START_TEST(test_utf8_and_context)
{
    uint8_t buf[64];
    size_t n = unhex("0E 00 00 00 02 61 00 02 00 00 00 FF 00 00", buf, sizeof(buf));
    sdb_error_t err;

    ck_assert_int_eq(sdb_bson_check(buf, n, SDB_BSON_LEVELS_COMMAND, &err), 0);
    n = unhex("0A 00 00 00 08 FE 27 00 05 00", buf, sizeof(buf));
    ck_assert_int_eq(sdb_bson_check(buf, n, SDB_BSON_LEVELS_COMMAND, &err), SDB_ECLIENT);
    ck_assert_str_eq(err.msg, "BSON bool is neither false nor true in element with field name "
                              "'\\xfe\\x27'");
}
END_TEST

static Suite *
bsonvalid_suite(void)
{
    Suite *s = suite_create("bsonvalid");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_hex_table, 0, (int)(sizeof(hexcases) / sizeof(hexcases[0])));
    tcase_add_test(tc, test_every_type_accepted);
    tcase_add_test(tc, test_every_type_truncated);
    tcase_add_test(tc, test_mutations_iterate);
    tcase_add_test(tc, test_command_depth);
    tcase_add_test(tc, test_depth_then_malformed);
    tcase_add_test(tc, test_stored_depth);
    tcase_add_test(tc, test_depth_kinds);
    tcase_add_test(tc, test_utf8_and_context);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(bsonvalid_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
