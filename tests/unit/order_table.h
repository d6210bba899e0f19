/*
 * tests/unit/order_table.h -- the ascending table of BSON values shared by the sort-order
 * tests (check_bsoncmp.c compares it pairwise, check_keyenc.c encodes it).
 *
 * Static helpers only: include it once per test program, after <check.h> and bsoncmp.h.
 * table_build fills an array with values of every type in strictly ascending MongoDB order;
 * table_values points bson_value_t views into it; rnd and random_number make deterministic
 * random numbers of every numeric type for the randomized order checks.
 */
#ifndef TESTS_UNIT_ORDER_TABLE_H
#define TESTS_UNIT_ORDER_TABLE_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* table_key -- the next array index as a string (arrays need keys "0", "1", ...). */
static const char *
table_key(bson_t *arr, char *buf, size_t len)
{
    const char *key;

    bson_uint32_to_string(bson_count_keys(arr), &key, buf, len);
    return key;
}

#define K table_key(arr, kb, sizeof(kb))

static bson_decimal128_t
dec(const char *s)
{
    bson_decimal128_t d;

    ck_assert(bson_decimal128_from_string(s, &d));
    return d;
}

static void
oid_fill(bson_oid_t *o, uint8_t fill, uint8_t last)
{
    memset(o->bytes, fill, 12);
    o->bytes[11] = last;
}

/* build_numbers -- numbers in strictly ascending order, every numeric type mixed. */
static void
build_numbers(bson_t *arr)
{
    char kb[16];
    bson_decimal128_t d;

    bson_append_double(arr, K, -1, NAN);
    bson_append_double(arr, K, -1, -INFINITY);
    d = dec("-1E+6000");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, -1e308);
    bson_append_double(arr, K, -1, -9223372036854777856.0); /* next double below -2^63 */
    bson_append_int64(arr, K, -1, INT64_MIN);
    bson_append_int64(arr, K, -1, INT64_MIN + 1);
    bson_append_int64(arr, K, -1, -9007199254740993LL);
    bson_append_double(arr, K, -1, -9007199254740992.0);
    bson_append_double(arr, K, -1, -1.5);
    bson_append_int32(arr, K, -1, -1);
    d = dec("-0.5");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, -5e-324);
    bson_append_int32(arr, K, -1, 0);
    d = dec("1E-6000");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, 5e-324);
    bson_append_double(arr, K, -1, 1e-300);
    d = dec("0.1");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, 0.1); /* 0.1000000000000000055511... */
    d = dec("0.1000000000000000055511151231257828");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_int64(arr, K, -1, 1);
    d = dec("1.000000000000000000000000000000001");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, 1.5);
    bson_append_int32(arr, K, -1, 2);
    bson_append_double(arr, K, -1, 9007199254740992.0);
    bson_append_int64(arr, K, -1, 9007199254740993LL);
    bson_append_double(arr, K, -1, 9007199254740994.0);
    bson_append_int64(arr, K, -1, INT64_MAX - 1);
    bson_append_int64(arr, K, -1, INT64_MAX);
    bson_append_double(arr, K, -1, 9223372036854775808.0);
    d = dec("9223372036854775809");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, 1e308);
    d = dec("1E+6000");
    bson_append_decimal128(arr, K, -1, &d);
    bson_append_double(arr, K, -1, INFINITY);
}

static void
build_strings_objects(bson_t *arr)
{
    char kb[16];
    bson_t *o;

    bson_append_utf8(arr, K, -1, "", 0);
    bson_append_utf8(arr, K, -1, "\0", 1);
    bson_append_utf8(arr, K, -1, "\0\0", 2);
    bson_append_utf8(arr, K, -1, "\0a", 2);
    bson_append_utf8(arr, K, -1, "a", 1);
    bson_append_utf8(arr, K, -1, "a\0", 2);
    bson_append_utf8(arr, K, -1, "a\0\0", 3);
    bson_append_utf8(arr, K, -1, "a\x01", 2);
    bson_append_utf8(arr, K, -1, "ab", 2);
    bson_append_symbol(arr, K, -1, "abc", 3);
    bson_append_utf8(arr, K, -1, "b", 1);
    bson_append_utf8(arr, K, -1, "\xff", 1);
    /* objects: bracket of the value, then name, then value; prefix smaller */
    const char *objs[] = {
        "{}",
        "{\"b\": null}",
        "{\"a\": 1}",
        "{\"a\": 1, \"b\": null}",
        "{\"a\": 1, \"b\": 1}",
        "{\"a\": 2}",
        "{\"b\": 1}",
        "{\"ba\": 1}",
        "{\"a\": \"x\"}",
        "{\"a\": {}}",
        "{\"a\": {\"a\": 1}}",
        "{\"a\": []}",
        "{\"a\": true}",
    };
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        o = bson_new_from_json((const uint8_t *)objs[i], -1, NULL);
        ck_assert_ptr_nonnull(o);
        bson_append_document(arr, K, -1, o);
        bson_destroy(o);
    }
}

static void
build_arrays(bson_t *arr)
{
    char kb[16];
    const char *arrs[] = {
        "{\"v\": []}",     "{\"v\": [null]}", "{\"v\": [1]}",     "{\"v\": [1, null]}",
        "{\"v\": [1, 1]}", "{\"v\": [1.5]}",  "{\"v\": [\"a\"]}", "{\"v\": [{}]}",
        "{\"v\": [[]]}",   "{\"v\": [[1]]}",  "{\"v\": [true]}",
    };
    bson_t *o;
    bson_iter_t it;

    for (size_t i = 0; i < sizeof(arrs) / sizeof(arrs[0]); i++) {
        o = bson_new_from_json((const uint8_t *)arrs[i], -1, NULL);
        ck_assert_ptr_nonnull(o);
        ck_assert(bson_iter_init_find(&it, o, "v"));
        bson_append_iter(arr, K, -1, &it);
        bson_destroy(o);
    }
}

static void
build_rest(bson_t *arr)
{
    char kb[16];
    bson_oid_t oid;
    bson_t *scope;

    bson_append_binary(arr, K, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)"", 0);
    bson_append_binary(arr, K, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)"\x01", 1);
    bson_append_binary(arr, K, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)"\x02", 1);
    bson_append_binary(arr, K, -1, BSON_SUBTYPE_UUID, (const uint8_t *)"\x00", 1);
    bson_append_binary(arr, K, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)"\x00\x00", 2);
    oid_fill(&oid, 0, 0);
    bson_append_oid(arr, K, -1, &oid);
    oid_fill(&oid, 0, 1);
    bson_append_oid(arr, K, -1, &oid);
    oid_fill(&oid, 0xff, 0xff);
    bson_append_oid(arr, K, -1, &oid);
    bson_append_bool(arr, K, -1, false);
    bson_append_bool(arr, K, -1, true);
    bson_append_date_time(arr, K, -1, INT64_MIN);
    bson_append_date_time(arr, K, -1, -1);
    bson_append_date_time(arr, K, -1, 0);
    bson_append_date_time(arr, K, -1, INT64_MAX);
    bson_append_timestamp(arr, K, -1, 0, 0);
    bson_append_timestamp(arr, K, -1, 1, 0);
    bson_append_timestamp(arr, K, -1, 1, 0xffffffffu);
    bson_append_timestamp(arr, K, -1, 0xffffffffu, 0);
    bson_append_regex(arr, K, -1, "a", "");
    bson_append_regex(arr, K, -1, "a", "i");
    bson_append_regex(arr, K, -1, "ab", "");
    bson_append_regex(arr, K, -1, "b", "");
    oid_fill(&oid, 1, 1);
    bson_append_dbpointer(arr, K, -1, "b", &oid);
    bson_append_dbpointer(arr, K, -1, "aa", &oid);
    bson_append_code(arr, K, -1, "");
    bson_append_code(arr, K, -1, "a");
    bson_append_code(arr, K, -1, "b");
    scope = bson_new();
    bson_append_code_with_scope(arr, K, -1, "a", scope);
    BSON_APPEND_INT32(scope, "x", 1);
    bson_append_code_with_scope(arr, K, -1, "a", scope);
    bson_append_code_with_scope(arr, K, -1, "b", scope);
    bson_destroy(scope);
}

/* build_table -- every test value in strictly ascending MongoDB order. */
static void
build_table(bson_t *arr)
{
    char kb[16];

    bson_init(arr);
    bson_append_minkey(arr, K, -1);
    bson_append_undefined(arr, K, -1);
    bson_append_null(arr, K, -1);
    build_numbers(arr);
    build_strings_objects(arr);
    build_arrays(arr);
    build_rest(arr);
    bson_append_maxkey(arr, K, -1);
}

static size_t
table_values(const bson_t *arr, bson_value_t *vals, size_t max)
{
    bson_iter_t it;
    size_t n = 0;

    ck_assert(bson_iter_init(&it, arr));
    while (bson_iter_next(&it)) {
        ck_assert_uint_lt(n, max);
        vals[n++] = *bson_iter_value(&it);
    }
    return n;
}
/* rnd -- xorshift64*, deterministic so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* random_number -- a random int32, int64, double or decimal128, biased to collide. */
static void
random_number(uint64_t *seed, bson_value_t *v)
{
    uint64_t r = rnd(seed);
    int64_t small = (int64_t)(rnd(seed) % 2001) - 1000;
    char text[64];

    switch (r % 7) {
    case 0:
        v->value_type = BSON_TYPE_INT32;
        v->value.v_int32 = (int32_t)small;
        break;
    case 1:
        v->value_type = BSON_TYPE_INT64;
        v->value.v_int64 = (r & 8) ? (int64_t)rnd(seed) : small * (int64_t)(1ull << 52) + small;
        break;
    case 2:
        v->value_type = BSON_TYPE_DOUBLE;
        v->value.v_double = (double)small / 8;
        break;
    case 3: {
        uint64_t bits = rnd(seed);

        v->value_type = BSON_TYPE_DOUBLE;
        memcpy(&v->value.v_double, &bits, sizeof(bits));
        break;
    }
    case 4:
        v->value_type = BSON_TYPE_DOUBLE;
        v->value.v_double = (double)((int64_t)rnd(seed) >> (r % 64));
        break;
    default:
        snprintf(text, sizeof(text), "%lldE%d", (long long)(small * (int64_t)(rnd(seed) % 100000)),
                 (int)(rnd(seed) % 41) - 25);
        v->value_type = BSON_TYPE_DECIMAL128;
        ck_assert(bson_decimal128_from_string(text, &v->value.v_decimal128));
        break;
    }
}

#endif
