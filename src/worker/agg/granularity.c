/*
 * src/worker/agg/granularity.c -- $bucketAuto's granularity rounders: the preferred-number
 * series (Renard R5 R10 R20 R40 R80, 1-2-5, E6 E12 E24 E48 E96 E192) and POWERSOF2.
 *
 * A preferred-number series is one decade of base values; a number is scaled by powers of ten
 * until it lies in the decade's span, then rounded up to the first series value above it (or
 * down to the last one below it), exactly as mongod's rounder does it, in doubles for the
 * binary types (the result is a double) and in Decimal128 for decimals (the result is a
 * decimal).  POWERSOF2 rounds to the next power of two above (below) the number; the power is
 * computed as mongod's $pow(2, exponent) would type it: int, long or double for integers and
 * doubles, decimal for decimals.  Zero rounds to itself.  Non-numbers, NaN and negative numbers
 * are refused with mongod's codes (40262/40263/40268 for the series, 40265-40267 for
 * POWERSOF2).
 *
 * Invariants: pure functions over static tables; any thread.
 */
#include "agg_int.h"

#include "../query/dec.h"
#include "../query/num.h"

#include <math.h>
#include <string.h>

static const double r5[] = {10, 16, 25, 40, 63};
static const double r10[] = {100, 125, 160, 200, 250, 315, 400, 500, 630, 800};
static const double r20[] = {100, 112, 125, 140, 160, 180, 200, 224, 250, 280,
                             315, 355, 400, 450, 500, 560, 630, 710, 800, 900};
static const double r40[] = {100, 106, 112, 118, 125, 132, 140, 150, 160, 170, 180, 190, 200,
                             212, 224, 236, 250, 265, 280, 300, 315, 355, 375, 400, 425, 450,
                             475, 500, 530, 560, 600, 630, 670, 710, 750, 800, 850, 900, 950};
static const double r80[] = {103, 109, 115, 122, 128, 136, 145, 155, 165, 175, 185, 195, 206, 218,
                             230, 243, 258, 272, 290, 307, 325, 345, 365, 387, 412, 437, 462, 487,
                             515, 545, 575, 615, 650, 690, 730, 775, 825, 875, 925, 975};
static const double s125[] = {10, 20, 50};
static const double e6[] = {10, 15, 22, 33, 47, 68};
static const double e12[] = {10, 12, 15, 18, 22, 27, 33, 39, 47, 56, 68, 82};
static const double e24[] = {10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30,
                             33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91};
static const double e48[] = {100, 105, 110, 115, 121, 127, 133, 140, 147, 154, 162, 169,
                             178, 187, 196, 205, 215, 226, 237, 249, 261, 274, 287, 301,
                             316, 332, 348, 365, 383, 402, 422, 442, 464, 487, 511, 536,
                             562, 590, 619, 649, 681, 715, 750, 787, 825, 866, 909, 953};
static const double e96[] = {100, 102, 105, 107, 110, 113, 115, 118, 121, 124, 127, 130, 133, 137,
                             140, 143, 147, 150, 154, 158, 162, 165, 169, 174, 178, 182, 187, 191,
                             196, 200, 205, 210, 215, 221, 226, 232, 237, 243, 249, 255, 261, 267,
                             274, 280, 287, 294, 301, 309, 316, 324, 332, 340, 348, 357, 365, 374,
                             383, 392, 402, 412, 422, 432, 442, 453, 464, 475, 487, 499, 511, 523,
                             536, 549, 562, 576, 590, 604, 619, 634, 649, 665, 681, 698, 715, 732,
                             750, 768, 787, 806, 825, 845, 866, 887, 909, 931, 953, 976};
static const double e192[] = {
    100, 101, 102, 104, 105, 106, 107, 109, 110, 111, 113, 114, 115, 117, 118, 120, 121, 123,
    124, 126, 127, 129, 130, 132, 133, 135, 137, 138, 140, 142, 143, 145, 147, 149, 150, 152,
    154, 156, 158, 160, 162, 164, 165, 167, 169, 172, 174, 176, 178, 180, 182, 184, 187, 189,
    191, 193, 196, 198, 200, 203, 205, 208, 210, 213, 215, 218, 221, 223, 226, 229, 232, 234,
    237, 240, 243, 246, 249, 252, 255, 258, 261, 264, 267, 271, 274, 277, 280, 284, 287, 291,
    294, 298, 301, 305, 309, 312, 316, 320, 324, 328, 332, 336, 340, 344, 348, 352, 357, 361,
    365, 370, 374, 379, 383, 388, 392, 397, 402, 407, 412, 417, 422, 427, 432, 437, 442, 448,
    453, 459, 464, 470, 475, 481, 487, 493, 499, 505, 511, 517, 523, 530, 536, 542, 549, 556,
    562, 569, 576, 583, 590, 597, 604, 612, 619, 626, 634, 642, 649, 657, 665, 673, 681, 690,
    698, 706, 715, 723, 732, 741, 750, 759, 768, 777, 787, 796, 806, 816, 825, 835, 845, 856,
    866, 876, 887, 898, 909, 920, 931, 942, 953, 965, 976, 988};

#define SERIES(nm, arr)                                                                            \
    {                                                                                              \
        nm, arr, sizeof(arr) / sizeof(arr[0])                                                      \
    }

static const wk_gran_t rounders[] = {
    SERIES("R5", r5),       SERIES("R10", r10),    SERIES("R20", r20), SERIES("R40", r40),
    SERIES("R80", r80),     SERIES("1-2-5", s125), SERIES("E6", e6),   SERIES("E12", e12),
    SERIES("E24", e24),     SERIES("E48", e48),    SERIES("E96", e96), SERIES("E192", e192),
    {"POWERSOF2", NULL, 0},
};

const wk_gran_t *
wk_gran_find(const char *name)
{
    for (size_t i = 0; i < sizeof(rounders) / sizeof(rounders[0]); i++)
        if (strcmp(rounders[i].name, name) == 0)
            return &rounders[i];
    return NULL;
}

/* check -- a non-negative, non-NaN number (the codes differ between the two rounders). */
static int
check(const wk_gran_t *g, const bson_value_t *v, sdb_error_t *err)
{
    bool p2 = g->series == NULL;
    double d;

    if (!wk_num_is(v))
        return sdb_error_set(err, p2 ? SDB_CODE_Location40265 : SDB_CODE_Location40262,
                             "A granularity rounder can only round numeric values, but found "
                             "type: %s",
                             wk_agg_type_name(v->value_type));
    d = v->value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_double(v->value.v_decimal128)
                                              : wk_num_double(v);
    if (isnan(d))
        return sdb_error_set(err, p2 ? SDB_CODE_Location40266 : SDB_CODE_Location40263,
                             "A granularity rounder cannot round NaN");
    if (d < 0.0)
        return sdb_error_set(err, p2 ? SDB_CODE_Location40267 : SDB_CODE_Location40268,
                             "A granularity rounder can only round non-negative numbers");
    return 0;
}

/* series_double -- mongod's scaling walk in doubles. */
static double
series_double(const wk_gran_t *g, double x, bool up)
{
    const double *s = g->series;
    size_t n = g->n, i;
    double m = 1.0, prev;

    if (up) {
        while (x >= s[n - 1] * m)
            m *= 10.0;
        while (x < s[0] * m) {
            prev = s[0] * m;
            m /= 10.0;
            if (x >= s[n - 1] * m)
                return prev;
        }
        for (i = 0; i < n && !(x < s[i] * m); i++)
            ;
        return s[i] * m;
    }
    while (x <= s[0] * m)
        m /= 10.0;
    while (x > s[n - 1] * m) {
        prev = s[n - 1] * m;
        m *= 10.0;
        if (x <= s[0] * m)
            return prev;
    }
    for (i = 0; i < n && s[i] * m < x; i++)
        ;
    return s[i - 1] * m;
}

/* series_decimal -- the same walk in Decimal128. */
static wk_dec_t
series_decimal(const wk_gran_t *g, wk_dec_t x, bool up)
{
    wk_dec_t m = wk_dec_from_int64(1), ten = wk_dec_from_int64(10), prev;
    size_t n = g->n, i;
#define AT(k) wk_dec_mul(wk_dec_from_double(g->series[(k)]), m)

    if (up) {
        while (wk_dec_cmp(x, AT(n - 1)) >= 0)
            m = wk_dec_mul(m, ten);
        while (wk_dec_cmp(x, AT(0)) < 0) {
            prev = AT(0);
            m = wk_dec_div(m, ten);
            if (wk_dec_cmp(x, AT(n - 1)) >= 0)
                return prev;
        }
        for (i = 0; i < n && !(wk_dec_cmp(x, AT(i)) < 0); i++)
            ;
        return AT(i);
    }
    while (wk_dec_cmp(x, AT(0)) <= 0)
        m = wk_dec_div(m, ten);
    while (wk_dec_cmp(x, AT(n - 1)) > 0) {
        prev = AT(n - 1);
        m = wk_dec_mul(m, ten);
        if (wk_dec_cmp(x, AT(0)) <= 0)
            return prev;
    }
    for (i = 0; i < n && wk_dec_cmp(AT(i), x) < 0; i++)
        ;
    return AT(i - 1);
#undef AT
}

/* pow2 -- $pow(2, e) typed as mongod types it: int, long, then double; decimal when `dec`. */
static void
pow2(int e, bool dec, bson_value_t *out)
{
    memset(out, 0, sizeof(*out));
    if (dec) {
        wk_dec_t r = wk_dec_from_int64(1), two = wk_dec_from_int64(2);

        for (int i = 0; i < (e < 0 ? -e : e); i++)
            r = e < 0 ? wk_dec_div(r, two) : wk_dec_mul(r, two);
        wk_dec_value(out, r);
    } else if (e >= 0 && e <= 30) {
        out->value_type = BSON_TYPE_INT32;
        out->value.v_int32 = (int32_t)1 << e;
    } else if (e >= 0 && e <= 62) {
        out->value_type = BSON_TYPE_INT64;
        out->value.v_int64 = (int64_t)1 << e;
    } else {
        out->value_type = BSON_TYPE_DOUBLE;
        out->value.v_double = ldexp(1.0, e);
    }
}

/* powers_of_two -- the exponent mongod computes for each type, then 2 to it. */
static void
powers_of_two(const bson_value_t *v, bool up, bson_value_t *out)
{
    int e;

    if (v->value_type == BSON_TYPE_DOUBLE || v->value_type == BSON_TYPE_DECIMAL128) {
        double d = v->value_type == BSON_TYPE_DOUBLE ? v->value.v_double
                                                     : wk_dec_to_double(v->value.v_decimal128);
        e = up ? (int)(floor(log2(d)) + 1.0) : (int)(ceil(log2(d)) - 1.0);
        pow2(e, v->value_type == BSON_TYPE_DECIMAL128, out);
        return;
    }
    {
        uint64_t x = (uint64_t)wk_num_int64(v);
        int lz = __builtin_clzll(x), tz = __builtin_ctzll(x);

        e = up ? 63 - lz + 1 : (lz + tz == 63 ? 63 - lz - 1 : 63 - lz);
        pow2(e, false, out);
    }
}

int
wk_gran_round(const wk_gran_t *g, const bson_value_t *v, bool up, bson_value_t *out,
              sdb_error_t *err)
{
    double d;

    memset(out, 0, sizeof(*out));
    SDB_RET(check(g, v, err));
    d = v->value_type == BSON_TYPE_DECIMAL128 ? wk_dec_to_double(v->value.v_decimal128)
                                              : wk_num_double(v);
    if (d == 0.0 || isinf(d)) { /* mongod's walk would never end on an infinity */
        *out = *v;
        return 0;
    }
    if (g->series == NULL) {
        powers_of_two(v, up, out);
    } else if (v->value_type == BSON_TYPE_DECIMAL128) {
        wk_dec_value(out, series_decimal(g, v->value.v_decimal128, up));
    } else {
        out->value_type = BSON_TYPE_DOUBLE;
        out->value.v_double = series_double(g, d, up);
    }
    return 0;
}
