/*
 * src/worker/query/expr_types.c -- type expression operators: $type, $convert, $toBool
 * $toInt $toLong $toDouble $toDecimal $toString $toObjectId $toDate, $isNumber; and the
 * value-to-string coercion the string operators share.
 *
 * $convert follows mongod 7.0's table of conversions: numbers among themselves (with range
 * and NaN checks for the integer targets), strings parsed as base-10 integers, doubles,
 * decimals, ObjectIds and ISO-8601 dates, bools from anything (zero and false are false),
 * dates from longs, doubles, decimals, ObjectIds and timestamps.  A failed conversion is
 * 241 ConversionFailure, which `onError` replaces; a null or missing input gives `onNull`
 * (or null).  The $toX operators are $convert without onError and onNull.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/sdb.h"

void
wk_double_string(double d, char *buf, size_t len)
{
    int prec;

    if (isnan(d)) {
        bson_strncpy(buf, "NaN", len);
        return;
    }
    if (isinf(d)) {
        bson_strncpy(buf, d < 0 ? "-Infinity" : "Infinity", len);
        return;
    }
    for (prec = 15; prec <= 17; prec++) { /* the shortest form that reads back the same */
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* date_string -- a date as ISO-8601 in UTC with milliseconds ("2020-01-01T00:00:00.000Z"). */
static void
date_string(int64_t ms, bson_string_t *s)
{
    int64_t secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    int millis = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;

    gmtime_r(&t, &tm);
    bson_string_append_printf(s, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

int
wk_value_coerce_string(const bson_value_t *v, bson_string_t *s, sdb_error_t *err)
{
    char buf[BSON_DECIMAL128_STRING + 8];

    switch (v->value_type) {
    case BSON_TYPE_EOD:
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
        return 0;
    case BSON_TYPE_UTF8:
        bson_string_append(s, v->value.v_utf8.str);
        return 0;
    case BSON_TYPE_SYMBOL:
        bson_string_append(s, v->value.v_symbol.symbol);
        return 0;
    case BSON_TYPE_CODE:
        bson_string_append(s, v->value.v_code.code);
        return 0;
    case BSON_TYPE_INT32:
        bson_string_append_printf(s, "%d", v->value.v_int32);
        return 0;
    case BSON_TYPE_INT64:
        bson_string_append_printf(s, "%lld", (long long)v->value.v_int64);
        return 0;
    case BSON_TYPE_DOUBLE:
        wk_double_string(v->value.v_double, buf, sizeof(buf));
        bson_string_append(s, buf);
        return 0;
    case BSON_TYPE_DECIMAL128:
        bson_decimal128_to_string(&v->value.v_decimal128, buf);
        bson_string_append(s, buf);
        return 0;
    case BSON_TYPE_DATE_TIME:
        date_string(v->value.v_datetime, s);
        return 0;
    case BSON_TYPE_TIMESTAMP:
        bson_string_append_printf(s, "Timestamp(%u, %u)", v->value.v_timestamp.timestamp,
                                  v->value.v_timestamp.increment);
        return 0;
    default:
        return sdb_error_set(err, SDB_CODE_Location16007,
                             "can't convert from BSON type %s to String", wk_value_type_name(v));
    }
}

static int
op_type(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;
    const char *name;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    name = wk_value_type_name(&v);
    wk_value_utf8(out, name, strlen(name));
    wk_value_clear(&v);
    return 0;
}

/* ---- $convert and the $toX shorthands ------------------------------------------------------ */

/* The target types of $convert, by name and by BSON type number. */
static const struct {
    const char *name;
    bson_type_t type;
} convert_types[] = {
    {"double", BSON_TYPE_DOUBLE}, {"string", BSON_TYPE_UTF8},        {"objectId", BSON_TYPE_OID},
    {"bool", BSON_TYPE_BOOL},     {"date", BSON_TYPE_DATE_TIME},     {"int", BSON_TYPE_INT32},
    {"long", BSON_TYPE_INT64},    {"decimal", BSON_TYPE_DECIMAL128},
};

/* convert_target -- the type `to` names; 0 for a null/missing `to`. */
static int
convert_target(const bson_value_t *to, bson_type_t *type, sdb_error_t *err)
{
    size_t i;
    double d;

    *type = BSON_TYPE_EOD;
    if (wk_value_nullish(to))
        return 0;
    if (to->value_type == BSON_TYPE_UTF8) {
        for (i = 0; i < sizeof(convert_types) / sizeof(convert_types[0]); i++)
            if (strcmp(convert_types[i].name, to->value.v_utf8.str) == 0) {
                *type = convert_types[i].type;
                return 0;
            }
        return sdb_error_set(err, SDB_CODE_BadValue, "Unknown type name: %s", to->value.v_utf8.str);
    }
    if (wk_num_is(to)) {
        d = wk_num_double(to);
        if (d != floor(d))
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "In $convert, numeric 'to' argument is not an integer");
        for (i = 0; i < sizeof(convert_types) / sizeof(convert_types[0]); i++)
            if ((double)convert_types[i].type == d) {
                *type = convert_types[i].type;
                return 0;
            }
        return sdb_error_set(err, SDB_CODE_BadValue, "Invalid type code: %g", d);
    }
    return sdb_error_set(err, SDB_CODE_FailedToParse,
                         "$convert's 'to' argument must be a string or number, but is %s",
                         wk_value_type_name(to));
}

static int
conv_fail(sdb_error_t *err, const char *fmt, const char *a, const char *b)
{
    return sdb_error_set(err, SDB_CODE_ConversionFailure, fmt, a, b);
}

static const char *
type_name_of(bson_type_t t)
{
    bson_value_t v;

    memset(&v, 0, sizeof(v));
    v.value_type = t;
    return wk_value_type_name(&v);
}

/* overflow -- 241 for a value out of the target type's range. */
static int
overflow(const char *shown, sdb_error_t *err)
{
    return conv_fail(err,
                     "Conversion would overflow target type in $convert with no onError "
                     "value: %s%s",
                     shown, "");
}

/* unsupported -- 241 for a pair of types $convert does not convert. */
static int
unsupported(const bson_value_t *v, const char *to, sdb_error_t *err)
{
    return conv_fail(err, "Unsupported conversion from %s to %s in $convert with no onError value",
                     wk_value_type_name(v), to);
}

/* parse_integer -- a base-10 integer string (optional '-') into *out within [lo, hi]. */
static int
parse_integer(const char *s, int64_t lo, int64_t hi, int64_t *out, sdb_error_t *err)
{
    const char *p = s;
    int64_t x = 0;
    bool neg = *p == '-';

    if (neg)
        p++;
    if (*p == '\0')
        return conv_fail(err, "Failed to parse number '%s' in $convert with no onError value: %s",
                         s, "No digits");
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return sdb_error_set(err, SDB_CODE_ConversionFailure,
                                 "Failed to parse number '%s' in $convert with no onError value: "
                                 "Bad digit \"%c\" while parsing %s",
                                 s, *p, s);
        if (__builtin_mul_overflow(x, 10, &x) ||
            __builtin_add_overflow(x, neg ? -(*p - '0') : *p - '0', &x))
            return conv_fail(err,
                             "Failed to parse number '%s' in $convert with no onError value: %s", s,
                             "Overflow");
    }
    if (x < lo || x > hi)
        return conv_fail(err, "Failed to parse number '%s' in $convert with no onError value: %s",
                         s, "Overflow");
    *out = x;
    return 0;
}

/* to_integer -- a value as an integer within [lo, hi] (int and long targets). */
static int
to_integer(const bson_value_t *v, bson_type_t to, int64_t lo, int64_t hi, int64_t *out,
           sdb_error_t *err)
{
    char buf[BSON_DECIMAL128_STRING + 8];
    double d;

    switch (v->value_type) {
    case BSON_TYPE_BOOL:
        *out = v->value.v_bool;
        return 0;
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
        *out = wk_num_int64(v);
        break;
    case BSON_TYPE_DOUBLE:
        d = v->value.v_double;
        wk_double_string(d, buf, sizeof(buf));
        if (isnan(d) || isinf(d))
            return conv_fail(err,
                             "Attempt to convert %s value to integer type in $convert with no "
                             "onError value: %s",
                             isnan(d) ? "NaN" : "infinity", buf);
        if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
            return overflow(buf, err);
        *out = (int64_t)d;
        break;
    case BSON_TYPE_DECIMAL128:
        bson_decimal128_to_string(&v->value.v_decimal128, buf);
        if (!wk_dec_to_int64(v->value.v_decimal128, WK_DEC_TRUNC, out))
            return overflow(buf, err);
        break;
    case BSON_TYPE_UTF8:
        return parse_integer(v->value.v_utf8.str, lo, hi, out, err);
    case BSON_TYPE_DATE_TIME:
        if (to == BSON_TYPE_INT64) {
            *out = v->value.v_datetime;
            return 0;
        }
        /* fallthrough */
    default:
        return unsupported(v, type_name_of(to), err);
    }
    if (*out < lo || *out > hi) {
        wk_double_string(wk_num_double(v), buf, sizeof(buf));
        return overflow(buf, err);
    }
    return 0;
}

/* to_double -- a value as a double. */
static int
to_double(const bson_value_t *v, double *out, sdb_error_t *err)
{
    char *end;

    switch (v->value_type) {
    case BSON_TYPE_BOOL:
        *out = v->value.v_bool;
        return 0;
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
        *out = wk_num_double(v);
        if (v->value_type == BSON_TYPE_DECIMAL128 && isinf(*out) &&
            !wk_dec_is_inf(v->value.v_decimal128))
            return overflow("decimal", err);
        return 0;
    case BSON_TYPE_DATE_TIME:
        *out = (double)v->value.v_datetime;
        return 0;
    case BSON_TYPE_UTF8:
        *out = strtod(v->value.v_utf8.str, &end);
        if (v->value.v_utf8.len == 0 || *end != '\0' ||
            isspace((unsigned char)v->value.v_utf8.str[0]) ||
            strchr(v->value.v_utf8.str, 'x') != NULL || strchr(v->value.v_utf8.str, 'X') != NULL)
            return conv_fail(err,
                             "Failed to parse number '%s' in $convert with no onError value: %s",
                             v->value.v_utf8.str, "Did not consume whole string.");
        return 0;
    default:
        return unsupported(v, "double", err);
    }
}

/* to_decimal -- a value as a decimal. */
static int
to_decimal(const bson_value_t *v, wk_dec_t *out, sdb_error_t *err)
{
    switch (v->value_type) {
    case BSON_TYPE_BOOL:
        *out = wk_dec_from_int64(v->value.v_bool);
        return 0;
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
        *out = wk_dec_from_value(v);
        return 0;
    case BSON_TYPE_DATE_TIME:
        *out = wk_dec_from_int64(v->value.v_datetime);
        return 0;
    case BSON_TYPE_UTF8:
        if (!bson_decimal128_from_string(v->value.v_utf8.str, out) ||
            (wk_dec_is_nan(*out) && strcmp(v->value.v_utf8.str, "NaN") != 0))
            return conv_fail(err,
                             "Failed to parse number '%s' in $convert with no onError value: %s",
                             v->value.v_utf8.str, "Failed to parse string to decimal");
        return 0;
    default:
        return unsupported(v, "decimal", err);
    }
}

/* to_date -- a value as milliseconds since the epoch. */
static int
to_date(const bson_value_t *v, int64_t *out, sdb_error_t *err)
{
    char buf[BSON_DECIMAL128_STRING + 8];
    double d;

    switch (v->value_type) {
    case BSON_TYPE_DATE_TIME:
        *out = v->value.v_datetime;
        return 0;
    case BSON_TYPE_INT64:
        *out = v->value.v_int64;
        return 0;
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
        d = wk_num_double(v);
        wk_double_string(d, buf, sizeof(buf));
        if (isnan(d) || isinf(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
            return overflow(buf, err);
        *out = (int64_t)d;
        return 0;
    case BSON_TYPE_OID:
        *out = (int64_t)bson_oid_get_time_t(&v->value.v_oid) * 1000;
        return 0;
    case BSON_TYPE_TIMESTAMP:
        *out = (int64_t)v->value.v_timestamp.timestamp * 1000;
        return 0;
    case BSON_TYPE_UTF8:
        return wk_date_parse_iso(v->value.v_utf8.str, out, err);
    default:
        return unsupported(v, "date", err);
    }
}

static bool
to_bool(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_BOOL:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
        return wk_expr_truthy(v);
    default:
        return true;
    }
}

/* to_string -- $convert's string forms (bool and objectId besides what coercion knows). */
static int
to_string(const bson_value_t *v, bson_value_t *out, sdb_error_t *err)
{
    bson_string_t *s;
    char hex[25];
    int ret;

    if (v->value_type == BSON_TYPE_BOOL) {
        wk_value_utf8(out, v->value.v_bool ? "true" : "false", v->value.v_bool ? 4 : 5);
        return 0;
    }
    if (v->value_type == BSON_TYPE_OID) {
        bson_oid_to_string(&v->value.v_oid, hex);
        wk_value_utf8(out, hex, 24);
        return 0;
    }
    if (v->value_type != BSON_TYPE_UTF8 && v->value_type != BSON_TYPE_DATE_TIME && !wk_num_is(v))
        return unsupported(v, "string", err);
    s = bson_string_new(NULL);
    ret = wk_value_coerce_string(v, s, err);
    if (ret == 0)
        wk_value_utf8(out, s->str, s->len);
    bson_string_free(s, true);
    return ret;
}

static int
to_oid(const bson_value_t *v, bson_value_t *out, sdb_error_t *err)
{
    if (v->value_type == BSON_TYPE_OID) {
        bson_value_copy(v, out);
        return 0;
    }
    if (v->value_type != BSON_TYPE_UTF8)
        return unsupported(v, "objectId", err);
    if (v->value.v_utf8.len != 24 || !bson_oid_is_valid(v->value.v_utf8.str, 24))
        return sdb_error_set(err, SDB_CODE_ConversionFailure,
                             "Failed to parse objectId '%s' in $convert with no onError value: "
                             "Invalid string length for parsing to OID, expected 24 but found %u",
                             v->value.v_utf8.str, v->value.v_utf8.len);
    memset(out, 0, sizeof(*out));
    out->value_type = BSON_TYPE_OID;
    bson_oid_init_from_string(&out->value.v_oid, v->value.v_utf8.str);
    return 0;
}

int
wk_value_convert(const bson_value_t *v, bson_type_t to, bson_value_t *out, sdb_error_t *err)
{
    int64_t i = 0;
    double d = 0;
    wk_dec_t x;

    memset(out, 0, sizeof(*out));
    switch (to) {
    case BSON_TYPE_DOUBLE:
        SDB_RET(to_double(v, &d, err));
        wk_value_double(out, d);
        return 0;
    case BSON_TYPE_UTF8:
        return to_string(v, out, err);
    case BSON_TYPE_OID:
        return to_oid(v, out, err);
    case BSON_TYPE_BOOL:
        wk_value_bool(out, to_bool(v));
        return 0;
    case BSON_TYPE_DATE_TIME:
        SDB_RET(to_date(v, &i, err));
        out->value_type = BSON_TYPE_DATE_TIME;
        out->value.v_datetime = i;
        return 0;
    case BSON_TYPE_INT32:
        SDB_RET(to_integer(v, to, INT32_MIN, INT32_MAX, &i, err));
        wk_value_int32(out, (int32_t)i);
        return 0;
    case BSON_TYPE_INT64:
        SDB_RET(to_integer(v, to, INT64_MIN, INT64_MAX, &i, err));
        wk_value_int64(out, i);
        return 0;
    case BSON_TYPE_DECIMAL128:
        SDB_RET(to_decimal(v, &x, err));
        wk_dec_value(out, x);
        return 0;
    default:
        return unsupported(v, type_name_of(to), err);
    }
}

static const char *const convert_args[] = {"input", "to", "onError", "onNull", NULL};
static const char *const convert_req[] = {"input", "to", NULL};
static const int convert_missing[] = {SDB_CODE_FailedToParse, SDB_CODE_FailedToParse};

static int
check_convert(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, convert_args, convert_req, SDB_CODE_FailedToParse,
                               SDB_CODE_FailedToParse, convert_missing, err);
}

static int
op_convert(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *on_error = wk_expr_kid(e, "onError"), *on_null = wk_expr_kid(e, "onNull");
    bson_value_t in, to;
    bson_type_t type;
    int ret = 0;

    memset(&to, 0, sizeof(to));
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "input"), ctx, &in, err));
    SDB_ERR(wk_expr_eval_ctx(wk_expr_kid(e, "to"), ctx, &to, err));
    SDB_ERR(convert_target(&to, &type, err));
    if (wk_value_nullish(&in)) {
        if (on_null != NULL)
            ret = wk_expr_eval_ctx(on_null, ctx, out, err);
        else
            wk_value_null(out);
    } else if (type == BSON_TYPE_EOD) {
        wk_value_null(out);
    } else if ((ret = wk_value_convert(&in, type, out, err)) != 0 &&
               err->code == SDB_CODE_ConversionFailure && on_error != NULL) {
        ret = wk_expr_eval_ctx(on_error, ctx, out, err);
    }
err:
    wk_value_clear(&in);
    wk_value_clear(&to);
    return ret;
}

/* op_to -- $toBool, $toInt, ...: $convert to the type the name says, no onError. */
static int
op_to(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static const struct {
        const char *name;
        bson_type_t type;
    } names[] = {
        {"$toBool", BSON_TYPE_BOOL},          {"$toInt", BSON_TYPE_INT32},
        {"$toLong", BSON_TYPE_INT64},         {"$toDouble", BSON_TYPE_DOUBLE},
        {"$toDecimal", BSON_TYPE_DECIMAL128}, {"$toString", BSON_TYPE_UTF8},
        {"$toObjectId", BSON_TYPE_OID},       {"$toDate", BSON_TYPE_DATE_TIME},
    };
    bson_value_t v;
    size_t i;
    int ret = 0;

    for (i = 0; strcmp(names[i].name, e->op->name) != 0; i++)
        ;
    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (wk_value_nullish(&v))
        wk_value_null(out);
    else
        ret = wk_value_convert(&v, names[i].type, out, err);
    wk_value_clear(&v);
    return ret;
}

static int
op_is_number(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    wk_value_bool(out, wk_num_is(&v));
    wk_value_clear(&v);
    return 0;
}

const wk_expr_op_t wk_expr_ops_types[] = {
    {"$type", 1, 1, op_type},
    {"$convert", 0, -2, op_convert, check_convert},
    {"$toBool", 1, 1, op_to, NULL},
    {"$toInt", 1, 1, op_to, NULL},
    {"$toLong", 1, 1, op_to, NULL},
    {"$toDouble", 1, 1, op_to, NULL},
    {"$toDecimal", 1, 1, op_to, NULL},
    {"$toString", 1, 1, op_to, NULL},
    {"$toObjectId", 1, 1, op_to, NULL},
    {"$toDate", 1, 1, op_to, NULL},
    {"$isNumber", 1, 1, op_is_number, NULL},
    {NULL, 0, 0, NULL},
};
