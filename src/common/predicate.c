/*
 * src/common/predicate.c -- comparison and $type predicates on one value (predicate.h).
 *
 * A comparison first settles the cases mongod settles before comparing: a null operand
 * (matches null, undefined and missing, never with $lt/$gt), different type brackets (no
 * match, except that every value is above MinKey and below MaxKey), NaN (equal only to NaN);
 * then it compares in MongoDB order (bsoncmp.h), strings by the given comparison.
 *
 * Invariants: no allocation; any thread.
 */
#include "predicate.h"

#include <math.h>
#include <string.h>

#include "sdb.h"

static bool
value_is_nan(const bson_value_t *v)
{
    if (v->value_type == BSON_TYPE_DOUBLE)
        return isnan(v->value.v_double);
    if (v->value_type == BSON_TYPE_DECIMAL128)
        return (v->value.v_decimal128.high & 0x7C00000000000000ull) == 0x7C00000000000000ull;
    return false;
}

static bool
value_is_nullish(const bson_value_t *v)
{
    return v == NULL || v->value_type == BSON_TYPE_NULL || v->value_type == BSON_TYPE_UNDEFINED;
}

bool
sdb_pred_cmp(sdb_cmp_op_t op, const bson_value_t *v, const bson_value_t *rhs,
             const sdb_bson_str_cmp_t *sc)
{
    int c;

    if (rhs->value_type == BSON_TYPE_NULL)
        return op != SDB_CMP_LT && op != SDB_CMP_GT && value_is_nullish(v);
    if (v == NULL)
        return false;
    if (sdb_bson_type_order(v->value_type) != sdb_bson_type_order(rhs->value_type)) {
        if (rhs->value_type == BSON_TYPE_MINKEY)
            return op == SDB_CMP_GT || op == SDB_CMP_GTE;
        if (rhs->value_type == BSON_TYPE_MAXKEY)
            return op == SDB_CMP_LT || op == SDB_CMP_LTE;
        return false;
    }
    if (value_is_nan(v) || value_is_nan(rhs)) {
        bool both = value_is_nan(v) && value_is_nan(rhs);
        return both && op != SDB_CMP_LT && op != SDB_CMP_GT;
    }
    c = sc != NULL ? sdb_bson_value_cmp_str(v, rhs, sc) : sdb_bson_value_cmp(v, rhs);
    switch (op) {
    case SDB_CMP_EQ:
        return c == 0;
    case SDB_CMP_LT:
        return c < 0;
    case SDB_CMP_LTE:
        return c <= 0;
    case SDB_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* type_alias -- a $type alias ("double", "string", ...) to its BSON type, or -1. */
static int
type_alias(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } aliases[] = {
        {"double", 1},      {"string", 2},     {"object", 3},
        {"array", 4},       {"binData", 5},    {"undefined", 6},
        {"objectId", 7},    {"bool", 8},       {"date", 9},
        {"null", 10},       {"regex", 11},     {"dbPointer", 12},
        {"javascript", 13}, {"symbol", 14},    {"javascriptWithScope", 15},
        {"int", 16},        {"timestamp", 17}, {"long", 18},
        {"decimal", 19},    {"minKey", -2},    {"maxKey", -3},
        {"number", -4},
    };
    size_t i;

    for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(name, aliases[i].name) == 0)
            return aliases[i].type;
    return -1;
}

int
sdb_typeset_add(sdb_typeset_t *ts, const bson_iter_t *t, sdb_error_t *err)
{
    int code;

    if (BSON_ITER_HOLDS_UTF8(t)) {
        code = type_alias(bson_iter_utf8(t, NULL));
        if (code == -1)
            return sdb_error_set(err, SDB_CODE_BadValue, "Unknown type name alias: %s",
                                 bson_iter_utf8(t, NULL));
    } else if (BSON_ITER_HOLDS_NUMBER(t)) {
        double d = bson_iter_as_double((bson_iter_t *)t);
        if (d != floor(d) || d < -1 || d > 255)
            return sdb_error_set(err, SDB_CODE_BadValue, "Invalid numerical type code: %g", d);
        code = (int)d;
        if (code == -1 || code == 255)
            code = code == -1 ? -2 : -3;
        else if (code < 1 || code > 19)
            return sdb_error_set(err, SDB_CODE_BadValue, "Invalid numerical type code: %d", code);
    } else {
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "type must be represented as a number or a string");
    }
    if (code == -2)
        ts->minkey = true;
    else if (code == -3)
        ts->maxkey = true;
    else if (code == -4)
        ts->number = true;
    else
        ts->mask |= (uint64_t)1 << code;
    return 0;
}

bool
sdb_typeset_has(const sdb_typeset_t *ts, bson_type_t t)
{
    if (t == BSON_TYPE_MINKEY)
        return ts->minkey;
    if (t == BSON_TYPE_MAXKEY)
        return ts->maxkey;
    if (ts->number && (t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE ||
                       t == BSON_TYPE_DECIMAL128))
        return true;
    return (unsigned)t < 64 && (ts->mask & ((uint64_t)1 << t)) != 0;
}
