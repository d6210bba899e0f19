/*
 * src/common/bsoncmp.c -- MongoDB's comparison and sort order for BSON values.
 *
 * Two values compare first by type bracket (sdb_bson_type_order, mongod's canonical type
 * numbers), then within the bracket by value.  Numbers take fast exact paths for int/int,
 * double/double and int/double; any comparison involving decimal128 goes through the
 * canonical exact decimal form (sdb_num_t), which keyenc.c also uses, so that comparison and
 * key encoding agree by construction.  A double becomes exact decimal digits with a small
 * bignum (multiply by 5^k, divide by 10^19): no rounding anywhere.
 *
 * Documents, arrays and CodeWScope scopes are walked with an explicit stack of iterator
 * pairs (cmp_walk_t), never by recursion: a comparison has no error path, so it must give the
 * right order for values of any depth (a value built during evaluation may nest far deeper
 * than anything stored) in a fixed amount of C stack.  Strings may be compared by a caller's
 * function (a collation), at every depth, through the same walk.
 *
 * Invariants: pure functions of their arguments; no global state, so any thread of any
 * process may call them.  The only allocation is the walk's stack past 16 levels, freed
 * before returning.  Inputs must be well-formed BSON; an embedded document that fails to
 * iterate compares as empty.
 */
#include "bsoncmp.h"

#include "sdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIG_WORDS 48                     /* 3072 bits: 2^53 * 5^1074 needs 2548 */
#define POW10_19 10000000000000000000ull /* largest power of ten in a uint64 */
#define POW5_27 7450580596923828125ull   /* largest power of five in a uint64 */

typedef unsigned __int128 u128_t;

/* An unsigned bignum, little-endian 64-bit words; n words in use, w[n-1] != 0 unless n == 0. */
typedef struct big {
    uint64_t w[BIG_WORDS];
    int n;
} big_t;

static int
sign_of(int c)
{
    return (c > 0) - (c < 0);
}

/*
 * sdb_bson_type_order -- mongod's canonical type number: the bracket a type sorts in.
 */
int
sdb_bson_type_order(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_MINKEY:
        return -1;
    case BSON_TYPE_UNDEFINED:
        return 0;
    case BSON_TYPE_EOD: /* missing sorts as null */
    case BSON_TYPE_NULL:
        return 5;
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
        return 10;
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
        return 15;
    case BSON_TYPE_DOCUMENT:
        return 20;
    case BSON_TYPE_ARRAY:
        return 25;
    case BSON_TYPE_BINARY:
        return 30;
    case BSON_TYPE_OID:
        return 35;
    case BSON_TYPE_BOOL:
        return 40;
    case BSON_TYPE_DATE_TIME:
        return 45;
    case BSON_TYPE_TIMESTAMP:
        return 47;
    case BSON_TYPE_REGEX:
        return 50;
    case BSON_TYPE_DBPOINTER:
        return 55;
    case BSON_TYPE_CODE:
        return 60;
    case BSON_TYPE_CODEWSCOPE:
        return 65;
    case BSON_TYPE_MAXKEY:
        return 127;
    default:
        return 126; /* unknown types: just below MaxKey, all equal */
    }
}

/*
 * sdb_bson_is_number -- true for the four numeric types.
 */
int
sdb_bson_is_number(bson_type_t t)
{
    return t == BSON_TYPE_DOUBLE || t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 ||
           t == BSON_TYPE_DECIMAL128;
}

/* ---- canonical exact decimal numbers ------------------------------------------------- */

static void
big_mul_small(big_t *b, uint64_t m)
{
    u128_t carry = 0;
    int i;

    for (i = 0; i < b->n; i++) {
        u128_t p = (u128_t)b->w[i] * m + carry;
        b->w[i] = (uint64_t)p;
        carry = p >> 64;
    }
    if (carry != 0) {
        SDB_ASSERT(b->n < BIG_WORDS);
        b->w[b->n++] = (uint64_t)carry;
    }
}

/* big_divmod_small -- b /= d, returning the remainder. */
static uint64_t
big_divmod_small(big_t *b, uint64_t d)
{
    u128_t rem = 0;
    int i;

    for (i = b->n - 1; i >= 0; i--) {
        u128_t cur = (rem << 64) | b->w[i];
        b->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    while (b->n > 0 && b->w[b->n - 1] == 0)
        b->n--;
    return (uint64_t)rem;
}

/* num_finish -- n holds ndigits digits of an integer scaled by 10^scale; normalize. */
static void
num_finish(sdb_num_t *n, int32_t scale)
{
    n->exp10 = (int32_t)n->ndigits + scale;
    while (n->ndigits > 0 && n->digits[n->ndigits - 1] == 0)
        n->ndigits--;
    SDB_ASSERT(n->ndigits > 0);
}

/* num_set_u128 -- n = v * 10^scale for v != 0 (sign class already set). */
static void
num_set_u128(sdb_num_t *n, u128_t v, int32_t scale)
{
    uint8_t tmp[40];
    int k = 0;

    while (v > UINT64_MAX) {
        tmp[k++] = (uint8_t)(v % 10);
        v /= 10;
    }
    for (uint64_t w = (uint64_t)v; w != 0; w /= 10)
        tmp[k++] = (uint8_t)(w % 10); /* 64-bit division: the common case, much cheaper */
    n->ndigits = 0;
    while (k > 0)
        n->digits[n->ndigits++] = tmp[--k];
    num_finish(n, scale);
}

/* num_set_big -- n = b * 10^scale for b != 0; consumes b. */
static void
num_set_big(sdb_num_t *n, big_t *b, int32_t scale)
{
    uint64_t chunks[BIG_WORDS + 8];
    int nc = 0, i, j;

    while (b->n > 0) {
        SDB_ASSERT(nc < (int)(sizeof(chunks) / sizeof(chunks[0])));
        chunks[nc++] = big_divmod_small(b, POW10_19);
    }
    n->ndigits = 0;
    for (i = nc - 1; i >= 0; i--) {
        uint8_t tmp[19];
        uint64_t c = chunks[i];

        for (j = 18; j >= 0; j--) {
            tmp[j] = (uint8_t)(c % 10);
            c /= 10;
        }
        for (j = 0; j < 19; j++) {
            if (n->ndigits == 0 && tmp[j] == 0)
                continue; /* leading zeros of the top chunk */
            SDB_ASSERT(n->ndigits < SDB_NUM_MAXDIG);
            n->digits[n->ndigits++] = tmp[j];
        }
    }
    num_finish(n, scale);
}

/*
 * sdb_num_from_int64 -- canonical form of an integer.
 */
void
sdb_num_from_int64(int64_t i, sdb_num_t *n)
{
    if (i == 0) {
        n->cls = SDB_NUM_ZERO;
        return;
    }
    n->cls = i < 0 ? SDB_NUM_NEG : SDB_NUM_POS;
    num_set_u128(n, i < 0 ? (u128_t)(0 - (uint64_t)i) : (u128_t)i, 0);
}

/*
 * sdb_num_from_double -- canonical form of a double: its exact decimal expansion.
 */
void
sdb_num_from_double(double d, sdb_num_t *n)
{
    uint64_t bits, m;
    int be, e2, tz;
    big_t b;

    if (isnan(d)) {
        n->cls = SDB_NUM_NAN;
        return;
    }
    if (isinf(d)) {
        n->cls = d < 0 ? SDB_NUM_NEGINF : SDB_NUM_POSINF;
        return;
    }
    if (d == 0) {
        n->cls = SDB_NUM_ZERO;
        return;
    }
    memcpy(&bits, &d, sizeof(bits));
    n->cls = (bits >> 63) ? SDB_NUM_NEG : SDB_NUM_POS;
    be = (int)((bits >> 52) & 0x7ff);
    m = bits & ((1ull << 52) - 1);
    if (be == 0) {
        e2 = -1074;
    } else {
        m |= 1ull << 52;
        e2 = be - 1075;
    }
    tz = __builtin_ctzll(m);
    m >>= tz;
    e2 += tz;
    /* value = m * 2^e2, m odd */
    if (e2 >= 0 && e2 < 64 && (m << e2) >> e2 == m) {
        num_set_u128(n, (u128_t)(m << e2), 0);
        return;
    }
    memset(&b, 0, sizeof(b));
    if (e2 >= 0) {
        b.w[e2 / 64] = m << (e2 % 64);
        if (e2 % 64 != 0)
            b.w[e2 / 64 + 1] = m >> (64 - e2 % 64);
        b.n = e2 / 64 + 2;
        while (b.n > 0 && b.w[b.n - 1] == 0)
            b.n--;
        num_set_big(n, &b, 0);
        return;
    }
    /* m * 2^-k == m * 5^k * 10^-k */
    b.w[0] = m;
    b.n = 1;
    for (tz = -e2; tz >= 27; tz -= 27)
        big_mul_small(&b, POW5_27);
    while (tz-- > 0)
        big_mul_small(&b, 5);
    num_set_big(n, &b, e2);
}

/* num_from_decimal -- canonical form of an IEEE 754-2008 decimal128 (BID encoding). */
static void
num_from_decimal(const bson_decimal128_t *d, sdb_num_t *n)
{
    const u128_t max_coef = (u128_t)100000000000000000ull * 100000000000000000ull - 1;
    uint64_t hi = d->high;
    unsigned comb = (unsigned)((hi >> 58) & 0x1f);
    int neg = (int)(hi >> 63);
    int32_t exp = 0;
    u128_t coef = 0;

    if (comb == 0x1f) {
        n->cls = SDB_NUM_NAN;
        return;
    }
    if (comb == 0x1e) {
        n->cls = neg ? SDB_NUM_NEGINF : SDB_NUM_POSINF;
        return;
    }
    if (((hi >> 61) & 3) != 3) { /* the "11" form always exceeds 10^34: non-canonical */
        exp = (int32_t)((hi >> 49) & 0x3fff) - 6176;
        coef = ((u128_t)(hi & 0x1ffffffffffffull) << 64) | d->low;
    }
    if (coef == 0 || coef > max_coef) {
        n->cls = SDB_NUM_ZERO;
        return;
    }
    n->cls = neg ? SDB_NUM_NEG : SDB_NUM_POS;
    num_set_u128(n, coef, exp);
}

/* safe_long -- safeNumberLong of a double: NaN is 0, out-of-range values saturate. */
static int64_t
safe_long(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/*
 * sdb_bson_safe_long -- a number read as safeNumberLong does.
 */
bool
sdb_bson_safe_long(const bson_iter_t *it, int64_t *out, bool *nan)
{
    bson_decimal128_t dec;
    char buf[BSON_DECIMAL128_STRING];
    double d;

    *nan = false;
    switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
        *out = bson_iter_as_int64(it);
        return true;
    case BSON_TYPE_DOUBLE:
        d = bson_iter_double(it);
        break;
    case BSON_TYPE_DECIMAL128:
        bson_iter_decimal128(it, &dec);
        bson_decimal128_to_string(&dec, buf);
        d = strtod(buf, NULL); /* "NaN" and "Infinity" parse too */
        break;
    default:
        return false;
    }
    *nan = isnan(d);
    *out = safe_long(d);
    return true;
}

/*
 * sdb_num_from_value -- canonical form of any numeric BSON value.
 */
void
sdb_num_from_value(const bson_value_t *v, sdb_num_t *n)
{
    switch (v->value_type) {
    case BSON_TYPE_INT32:
        sdb_num_from_int64(v->value.v_int32, n);
        break;
    case BSON_TYPE_INT64:
        sdb_num_from_int64(v->value.v_int64, n);
        break;
    case BSON_TYPE_DOUBLE:
        sdb_num_from_double(v->value.v_double, n);
        break;
    case BSON_TYPE_DECIMAL128:
        num_from_decimal(&v->value.v_decimal128, n);
        break;
    default:
        SDB_ASSERT(!"sdb_num_from_value: not a number");
    }
}

/*
 * sdb_num_cmp -- compare canonical numbers: class, then exponent, then digits.
 */
int
sdb_num_cmp(const sdb_num_t *a, const sdb_num_t *b)
{
    size_t m;
    int r;

    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->cls != SDB_NUM_NEG && a->cls != SDB_NUM_POS)
        return 0;
    if (a->exp10 != b->exp10) {
        r = a->exp10 < b->exp10 ? -1 : 1;
    } else {
        m = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
        r = sign_of(memcmp(a->digits, b->digits, m));
        if (r == 0)
            r = (a->ndigits > b->ndigits) - (a->ndigits < b->ndigits);
    }
    return a->cls == SDB_NUM_NEG ? -r : r;
}

/* ---- value comparison ------------------------------------------------------------------ */

static int
cmp_double(double x, double y)
{
    if (x < y)
        return -1;
    if (x > y)
        return 1;
    if (x == y)
        return 0;
    if (isnan(x))
        return isnan(y) ? 0 : -1;
    return 1;
}

/* cmp_int_double -- exact comparison of an int64 with a double. */
static int
cmp_int_double(int64_t l, double d)
{
    double t, frac;
    int64_t ti;

    if (isnan(d))
        return 1;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    t = trunc(d);
    ti = (int64_t)t; /* exact: t is integral and in range */
    if (l != ti)
        return l < ti ? -1 : 1;
    frac = d - t; /* exact: the fractional part of a double is a double */
    return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

static int
is_int(bson_type_t t)
{
    return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64;
}

static int64_t
int_of(const bson_value_t *v)
{
    return v->value_type == BSON_TYPE_INT32 ? v->value.v_int32 : v->value.v_int64;
}

static int
cmp_numbers(const bson_value_t *a, const bson_value_t *b)
{
    bson_type_t ta = a->value_type, tb = b->value_type;
    sdb_num_t na, nb;

    if (is_int(ta) && is_int(tb)) {
        int64_t x = int_of(a), y = int_of(b);
        return (x > y) - (x < y);
    }
    if (ta == BSON_TYPE_DOUBLE && tb == BSON_TYPE_DOUBLE)
        return cmp_double(a->value.v_double, b->value.v_double);
    if (is_int(ta) && tb == BSON_TYPE_DOUBLE)
        return cmp_int_double(int_of(a), b->value.v_double);
    if (ta == BSON_TYPE_DOUBLE && is_int(tb))
        return -cmp_int_double(int_of(b), a->value.v_double);
    sdb_num_from_value(a, &na);
    sdb_num_from_value(b, &nb);
    return sdb_num_cmp(&na, &nb);
}

/* cmp_bytes -- memcmp on the common prefix, then the shorter is smaller. */
static int
cmp_bytes(const void *a, size_t al, const void *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m > 0 ? memcmp(a, b, m) : 0;

    if (c != 0)
        return sign_of(c);
    return (al > bl) - (al < bl);
}

/* cmp_strings -- strings and symbols: bytes, or the caller's comparison (a collation). */
static int
cmp_strings(const bson_value_t *a, const bson_value_t *b, const sdb_bson_str_cmp_t *sc)
{
    const char *as =
        a->value_type == BSON_TYPE_SYMBOL ? a->value.v_symbol.symbol : a->value.v_utf8.str;
    const char *bs =
        b->value_type == BSON_TYPE_SYMBOL ? b->value.v_symbol.symbol : b->value.v_utf8.str;
    size_t al = a->value_type == BSON_TYPE_SYMBOL ? a->value.v_symbol.len : a->value.v_utf8.len;
    size_t bl = b->value_type == BSON_TYPE_SYMBOL ? b->value.v_symbol.len : b->value.v_utf8.len;

    return sc != NULL ? sc->fn(sc->ctx, as, al, bs, bl) : cmp_bytes(as, al, bs, bl);
}

/* cmp_rare -- the brackets past Date: timestamp, regex, DBPointer, code, CodeWScope. */
static int
cmp_rare(int order, const bson_value_t *a, const bson_value_t *b)
{
    int r;

    switch (order) {
    case 47:
        if (a->value.v_timestamp.timestamp != b->value.v_timestamp.timestamp)
            return a->value.v_timestamp.timestamp < b->value.v_timestamp.timestamp ? -1 : 1;
        return (a->value.v_timestamp.increment > b->value.v_timestamp.increment) -
               (a->value.v_timestamp.increment < b->value.v_timestamp.increment);
    case 50:
        if ((r = sign_of(strcmp(a->value.v_regex.regex, b->value.v_regex.regex))) != 0)
            return r;
        return sign_of(strcmp(a->value.v_regex.options ? a->value.v_regex.options : "",
                              b->value.v_regex.options ? b->value.v_regex.options : ""));
    case 55:
        if (a->value.v_dbpointer.collection_len != b->value.v_dbpointer.collection_len)
            return a->value.v_dbpointer.collection_len < b->value.v_dbpointer.collection_len ? -1
                                                                                             : 1;
        if ((r = cmp_bytes(a->value.v_dbpointer.collection, a->value.v_dbpointer.collection_len,
                           b->value.v_dbpointer.collection, b->value.v_dbpointer.collection_len)) !=
            0)
            return r;
        return sign_of(memcmp(a->value.v_dbpointer.oid.bytes, b->value.v_dbpointer.oid.bytes, 12));
    case 60:
        return cmp_bytes(a->value.v_code.code, a->value.v_code.code_len, b->value.v_code.code,
                         b->value.v_code.code_len);
    case 65: /* the code; the scope documents are compared by the walk */
        return cmp_bytes(a->value.v_codewscope.code, a->value.v_codewscope.code_len,
                         b->value.v_codewscope.code, b->value.v_codewscope.code_len);
    default:
        return 0;
    }
}

/* cmp_scalar -- two values of the same bracket `order`, as far as they go without descending:
 * everything but the members of documents, arrays and CodeWScope scopes. */
static int
cmp_scalar(int order, const bson_value_t *a, const bson_value_t *b, const sdb_bson_str_cmp_t *sc)
{
    switch (order) {
    case 10:
        return cmp_numbers(a, b);
    case 15:
        return cmp_strings(a, b, sc);
    case 30:
        if (a->value.v_binary.data_len != b->value.v_binary.data_len)
            return a->value.v_binary.data_len < b->value.v_binary.data_len ? -1 : 1;
        if (a->value.v_binary.subtype != b->value.v_binary.subtype)
            return a->value.v_binary.subtype < b->value.v_binary.subtype ? -1 : 1;
        return cmp_bytes(a->value.v_binary.data, a->value.v_binary.data_len, b->value.v_binary.data,
                         b->value.v_binary.data_len);
    case 35:
        return sign_of(memcmp(a->value.v_oid.bytes, b->value.v_oid.bytes, 12));
    case 40:
        return (a->value.v_bool > b->value.v_bool) - (a->value.v_bool < b->value.v_bool);
    case 45:
        return (a->value.v_datetime > b->value.v_datetime) -
               (a->value.v_datetime < b->value.v_datetime);
    default:
        return cmp_rare(order, a, b); /* MinKey, undefined, null, MaxKey: 0 */
    }
}

/*
 * The walk: documents, arrays and CodeWScope scopes are compared with an explicit stack of
 * iterator pairs instead of recursion, so values of any depth compare without touching more
 * than a fixed amount of the C stack.  The first CMP_STACK_INLINE levels live in the
 * caller's frame; deeper values grow a heap array (bson_realloc aborts rather than fail).
 */
#define CMP_STACK_INLINE 16

typedef struct cmp_level {
    bson_iter_t a, b;
    bool ma, mb; /* iterators usable (the bytes parsed) */
    int names;   /* objects and scopes compare field names; arrays do not */
} cmp_level_t;

typedef struct cmp_walk {
    cmp_level_t inline_levels[CMP_STACK_INLINE];
    cmp_level_t *levels;
    size_t n, cap;
} cmp_walk_t;

/* walk_push -- open a level on two embedded documents (or arrays, names == 0). */
static void
walk_push(cmp_walk_t *w, const uint8_t *ad, uint32_t al, const uint8_t *bd, uint32_t bl, int names)
{
    cmp_level_t *l;

    if (w->n == w->cap) {
        w->cap *= 2;
        if (w->levels == w->inline_levels) {
            w->levels = bson_malloc(w->cap * sizeof(*w->levels));
            memcpy(w->levels, w->inline_levels, sizeof(w->inline_levels));
        } else {
            w->levels = bson_realloc(w->levels, w->cap * sizeof(*w->levels));
        }
    }
    l = &w->levels[w->n++];
    l->ma = bson_iter_init_from_data(&l->a, ad, al);
    l->mb = bson_iter_init_from_data(&l->b, bd, bl);
    l->names = names;
}

/* walk_open -- descend into two values of bracket `order` when they nest; true if it did. */
static bool
walk_open(cmp_walk_t *w, int order, const bson_value_t *a, const bson_value_t *b)
{
    if (order == 20 || order == 25) {
        walk_push(w, a->value.v_doc.data, a->value.v_doc.data_len, b->value.v_doc.data,
                  b->value.v_doc.data_len, order == 20);
        return true;
    }
    if (order == 65) {
        walk_push(w, a->value.v_codewscope.scope_data, a->value.v_codewscope.scope_len,
                  b->value.v_codewscope.scope_data, b->value.v_codewscope.scope_len, 1);
        return true;
    }
    return false;
}

/* walk_step -- compare the next pair of elements of the innermost level: <0 / >0 decides,
 * 0 means equal so far (a level may have been opened or closed). */
static int
walk_step(cmp_walk_t *w, const sdb_bson_str_cmp_t *sc)
{
    cmp_level_t *l = &w->levels[w->n - 1];
    const bson_value_t *va, *vb;
    int oa, ob, r;

    l->ma = l->ma && bson_iter_next(&l->a);
    l->mb = l->mb && bson_iter_next(&l->b);
    if (!l->ma || !l->mb) {
        r = (l->ma > l->mb) - (l->ma < l->mb);
        w->n--;
        return r;
    }
    oa = sdb_bson_type_order(bson_iter_type(&l->a));
    ob = sdb_bson_type_order(bson_iter_type(&l->b));
    if (oa != ob)
        return oa < ob ? -1 : 1;
    if (l->names && (r = sign_of(strcmp(bson_iter_key(&l->a), bson_iter_key(&l->b)))) != 0)
        return r;
    va = bson_iter_value(&l->a);
    vb = bson_iter_value(&l->b);
    if ((r = cmp_scalar(oa, va, vb, sc)) != 0)
        return r;
    walk_open(w, oa, va, vb);
    return 0;
}

/* cmp_values -- MongoDB order of two values, descending iteratively. */
static int
cmp_values(const bson_value_t *a, const bson_value_t *b, const sdb_bson_str_cmp_t *sc)
{
    int oa = sdb_bson_type_order(a->value_type), ob = sdb_bson_type_order(b->value_type);
    cmp_walk_t w;
    int r;

    if (oa != ob)
        return oa < ob ? -1 : 1;
    if ((r = cmp_scalar(oa, a, b, sc)) != 0)
        return r;
    w.levels = w.inline_levels;
    w.n = 0;
    w.cap = CMP_STACK_INLINE;
    if (!walk_open(&w, oa, a, b))
        return 0;
    while (w.n > 0 && (r = walk_step(&w, sc)) == 0)
        ;
    if (w.levels != w.inline_levels)
        bson_free(w.levels);
    return r;
}

/*
 * sdb_bson_value_cmp -- bracket first, then the bracket's own order.
 */
int
sdb_bson_value_cmp(const bson_value_t *a, const bson_value_t *b)
{
    return cmp_values(a, b, NULL);
}

/*
 * sdb_bson_value_cmp_str -- the same with strings (and symbols) compared by sc.
 */
int
sdb_bson_value_cmp_str(const bson_value_t *a, const bson_value_t *b, const sdb_bson_str_cmp_t *sc)
{
    return cmp_values(a, b, sc);
}

/*
 * sdb_bson_iter_cmp -- compare the values two iterators are positioned on.
 */
int
sdb_bson_iter_cmp(const bson_iter_t *a, const bson_iter_t *b)
{
    bson_iter_t ia = *a, ib = *b;

    return sdb_bson_value_cmp(bson_iter_value(&ia), bson_iter_value(&ib));
}

/*
 * sdb_bson_doc_cmp -- compare two documents as embedded-object values.
 */
int
sdb_bson_doc_cmp(const bson_t *a, const bson_t *b)
{
    bson_value_t va, vb;

    va.value_type = vb.value_type = BSON_TYPE_DOCUMENT;
    va.value.v_doc.data = (uint8_t *)bson_get_data(a);
    va.value.v_doc.data_len = a->len;
    vb.value.v_doc.data = (uint8_t *)bson_get_data(b);
    vb.value.v_doc.data_len = b->len;
    return cmp_values(&va, &vb, NULL);
}
