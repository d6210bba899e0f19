/*
 * src/common/bsoncmp.h -- MongoDB's comparison and sort order for BSON values.
 *
 * Implements the manual's "Comparison/Sort Order": MinKey < null (and missing) < numbers
 * (int32, int64, double, decimal128 compared by value; NaN below every other number and equal
 * to NaN; -0 == 0) < symbol, string (binary byte order; no collation) < object < array <
 * binData (length, then subtype, then bytes) < ObjectId < bool < date < timestamp < regex <
 * MaxKey.  Objects compare field by field (type bracket, then name, then value); arrays
 * element by element.  Pure functions; any thread, any process.
 *
 * Choices where mongod's documentation is silent (mongod's own behaviour is followed):
 *   - undefined is its own bracket between MinKey and null (mongod's canonical type 0);
 *     a missing value (BSON_TYPE_EOD) sorts as null;
 *   - after regex come DBPointer, then Code, then CodeWScope, then MaxKey;
 *   - numbers compare by exact mathematical value across all four types, including
 *     decimal128 against double (mongod rounds the double to 34 digits first, so it may call
 *     decimal 0.1000000000000000055511151231257827 equal to double 0.1; we call it smaller).
 *     Non-canonical decimal128 coefficients (> 10^34 - 1) read as zero, as in the spec.
 *   - code compares as a string; CodeWScope by code, then scope document; DBPointer by
 *     namespace length, then namespace bytes, then ObjectId.
 * Values must be well-formed BSON (validate at the boundary).  Depth: comparisons have no
 * error path, so documents and arrays are compared with an explicit stack rather than by
 * recursion: any depth compares correctly in a fixed amount of C stack; levels past the
 * first 16 take heap memory for the comparison's duration (bson_realloc aborts rather than
 * fail).  Nothing else allocates.
 */
#ifndef SDB_BSONCMP_H
#define SDB_BSONCMP_H

#include <bson/bson.h>
#include <stdint.h>

/* sdb_bson_type_order -- the canonical type bracket of a BSON type (lower sorts first). */
int sdb_bson_type_order(bson_type_t t);

/* sdb_bson_value_cmp -- <0, 0, >0 comparing two values in MongoDB order. */
int sdb_bson_value_cmp(const bson_value_t *a, const bson_value_t *b);

/* A string comparison for sdb_bson_value_cmp_str (a collation): <0, 0, >0. */
typedef struct sdb_bson_str_cmp {
    int (*fn)(void *ctx, const char *a, size_t alen, const char *b, size_t blen);
    void *ctx;
} sdb_bson_str_cmp_t;

/* sdb_bson_value_cmp_str -- sdb_bson_value_cmp with strings and symbols, at any depth,
 * compared by sc (NULL = bytes). */
int sdb_bson_value_cmp_str(const bson_value_t *a, const bson_value_t *b,
                           const sdb_bson_str_cmp_t *sc);

/* sdb_bson_iter_cmp -- same for two iterators positioned on elements. */
int sdb_bson_iter_cmp(const bson_iter_t *a, const bson_iter_t *b);

/* sdb_bson_doc_cmp -- compare two documents as embedded-object values. */
int sdb_bson_doc_cmp(const bson_t *a, const bson_t *b);

/* sdb_bson_is_number -- true for int32, int64, double and decimal128. */
int sdb_bson_is_number(bson_type_t t);

/* sdb_bson_safe_long -- the number at `it` as mongod's safeNumberLong (and IDL's safeInt64)
 * reads it: doubles and decimals truncated toward zero, out-of-range values saturated, NaN
 * as 0 (*nan tells it apart); false when the value is not a number. */
bool sdb_bson_safe_long(const bson_iter_t *it, int64_t *out, bool *nan);

/*
 * A number in canonical exact decimal form, shared with keyenc.c: value = sign *
 * 0.d1 d2 ... dn * 10^exp10 with d1 != 0 and dn != 0 (no leading or trailing zeros), so equal
 * values of any numeric type have identical forms.  Every double is a finite decimal (at most
 * 767 significant digits), every int64 at most 19, every decimal128 at most 34.
 */
#define SDB_NUM_MAXDIG 800

enum {
    SDB_NUM_NAN = 0, /* every NaN, any sign, any type */
    SDB_NUM_NEGINF,
    SDB_NUM_NEG,
    SDB_NUM_ZERO, /* -0.0, 0, decimal 0E-20 ... */
    SDB_NUM_POS,
    SDB_NUM_POSINF
};

typedef struct sdb_num {
    int cls;                        /* SDB_NUM_*; classes sort in this order */
    int32_t exp10;                  /* decimal exponent, meaningful for NEG and POS */
    uint16_t ndigits;               /* digits used, meaningful for NEG and POS */
    uint8_t digits[SDB_NUM_MAXDIG]; /* 0..9 each, most significant first */
} sdb_num_t;

/* sdb_num_from_value -- canonical form of a numeric value (v must satisfy is_number). */
void sdb_num_from_value(const bson_value_t *v, sdb_num_t *n);

/* sdb_num_from_double, sdb_num_from_int64 -- the same for a C value. */
void sdb_num_from_double(double d, sdb_num_t *n);
void sdb_num_from_int64(int64_t i, sdb_num_t *n);

/* sdb_num_cmp -- <0, 0, >0 comparing two canonical numbers (NaN lowest, NaN == NaN). */
int sdb_num_cmp(const sdb_num_t *a, const sdb_num_t *b);

#endif
