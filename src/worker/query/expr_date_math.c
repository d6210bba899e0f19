/*
 * src/worker/query/expr_date_math.c -- date arithmetic operators: $dateToParts
 * $dateFromParts $dateAdd $dateSubtract $dateDiff $dateTrunc.
 *
 * Everything happens in local time of the `timezone` (expr_dates.c's helpers): a date's parts
 * are read at UTC plus the offset in force, and parts or a truncated local time go back to UTC
 * by the offset in force at that local time.  Units of a day or longer move the calendar
 * (adding a month to January 31st gives the last day of February, as mongod does); shorter
 * units move the instant.  $dateDiff counts unit boundaries crossed between the two local
 * times, weeks starting on `startOfWeek` (Sunday by default); $dateTrunc bins from the
 * reference 2000-01-01T00:00 local (for weeks the first `startOfWeek` on or after it).
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

#define MS_DAY 86400000LL

typedef enum unit {
    U_YEAR,
    U_QUARTER,
    U_MONTH,
    U_WEEK,
    U_DAY,
    U_HOUR,
    U_MINUTE,
    U_SECOND,
    U_MILLI,
} unit_t;

static const struct {
    const char *name;
    unit_t unit;
    int64_t ms; /* the length of the shorter units */
} units[] = {
    {"year", U_YEAR, 0},         {"quarter", U_QUARTER, 0},  {"month", U_MONTH, 0},
    {"week", U_WEEK, 0},         {"day", U_DAY, 0},          {"hour", U_HOUR, 3600000},
    {"minute", U_MINUTE, 60000}, {"second", U_SECOND, 1000}, {"millisecond", U_MILLI, 1},
};

static const char *const weekdays[7][2] = {
    {"sunday", "sun"},   {"monday", "mon"}, {"tuesday", "tue"},  {"wednesday", "wed"},
    {"thursday", "thu"}, {"friday", "fri"}, {"saturday", "sat"},
};

/* eval_unit -- a `unit` argument; *null when nullish. */
static int
eval_unit(const wk_expr_t *e, const wk_expr_t *ux, wk_eval_ctx_t *ctx, size_t *u, bool *null,
          sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(ux, ctx, &v, err));
    *null = wk_value_nullish(&v);
    if (*null)
        goto done;
    if (v.value_type != BSON_TYPE_UTF8) {
        ret = sdb_error_set(err, SDB_CODE_Location5439013,
                            "%s requires 'unit' to be a string, but got %s", e->op->name,
                            wk_value_type_name(&v));
        goto done;
    }
    for (*u = 0; *u < sizeof(units) / sizeof(units[0]); (*u)++)
        if (strcmp(units[*u].name, v.value.v_utf8.str) == 0)
            goto done;
    ret = sdb_error_set(err, SDB_CODE_FailedToParse, "unknown time unit value: %s",
                        v.value.v_utf8.str);
done:
    wk_value_clear(&v);
    return ret;
}

/* eval_start_of_week -- `startOfWeek` (default Sunday) as 0 = Sunday .. 6. */
static int
eval_start_of_week(const wk_expr_t *e, wk_eval_ctx_t *ctx, int *dow, bool *null, sdb_error_t *err)
{
    const wk_expr_t *x = wk_expr_kid(e, "startOfWeek");
    bson_value_t v;
    int ret = 0, i;

    *dow = 0;
    *null = false;
    if (x == NULL)
        return 0;
    SDB_RET(wk_expr_eval_ctx(x, ctx, &v, err));
    *null = wk_value_nullish(&v);
    if (*null)
        goto done;
    if (v.value_type != BSON_TYPE_UTF8) {
        ret = sdb_error_set(err, SDB_CODE_Location5439015,
                            "%s requires 'startOfWeek' to be a string, but got %s", e->op->name,
                            wk_value_type_name(&v));
        goto done;
    }
    for (i = 0; i < 7; i++)
        if (strcasecmp(v.value.v_utf8.str, weekdays[i][0]) == 0 ||
            strcasecmp(v.value.v_utf8.str, weekdays[i][1]) == 0) {
            *dow = i;
            goto done;
        }
    ret = sdb_error_set(
        err, SDB_CODE_Location5439016,
        "%s parameter 'startOfWeek' value cannot be recognized as a day of a week: %s", e->op->name,
        v.value.v_utf8.str);
done:
    wk_value_clear(&v);
    return ret;
}

/* eval_date -- argument `name` as a date in ms; *null when nullish; `code` otherwise. */
static int
eval_date(const wk_expr_t *e, const char *name, int code, wk_eval_ctx_t *ctx, int64_t *ms,
          bool *null, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, name), ctx, &v, err));
    *null = wk_value_nullish(&v);
    if (!*null && !wk_value_date_ms(&v, ms))
        ret = sdb_error_set(err, code, "%s requires '%s' to be a date, but got %s", e->op->name,
                            name, wk_value_type_name(&v));
    wk_value_clear(&v);
    return ret;
}

/* days_in_month -- of month m (1..12) of year y. */
static int
days_in_month(int64_t y, int m)
{
    return (int)(wk_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) -
                 wk_days_from_civil(y, m, 1));
}

/* add_months -- local time plus n months, the day clamped to the month's last. */
static int64_t
add_months(int64_t local, int64_t n)
{
    int64_t days = local >= 0 ? local / MS_DAY : -((-local + MS_DAY - 1) / MS_DAY);
    int64_t rest = local - days * MS_DAY, y, mi;
    int m, d;

    wk_civil_from_days(days, &y, &m, &d);
    mi = y * 12 + (m - 1) + n;
    y = mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
    m = (int)(mi - y * 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    return wk_days_from_civil(y, m, d) * MS_DAY + rest;
}

/* date_add -- start plus amount units in zone tz; false on overflow. */
static bool
date_add(int64_t start, size_t u, int64_t amount, const wk_tz_t *tz, int64_t *out)
{
    int64_t local, delta;

    if (units[u].ms > 0) {
        if (__builtin_mul_overflow(amount, units[u].ms, &delta))
            return false;
        return !__builtin_add_overflow(start, delta, out);
    }
    if (amount > 1000000000LL || amount < -1000000000LL)
        return false;
    local = start + wk_tz_offset(tz, start);
    switch (units[u].unit) {
    case U_YEAR:
        local = add_months(local, amount * 12);
        break;
    case U_QUARTER:
        local = add_months(local, amount * 3);
        break;
    case U_MONTH:
        local = add_months(local, amount);
        break;
    case U_WEEK:
        local += amount * 7 * MS_DAY;
        break;
    default:
        local += amount * MS_DAY;
        break;
    }
    *out = wk_tz_to_utc(tz, local);
    return true;
}

bool
wk_expr_date_add_utc(int64_t start, const char *unit, int64_t amount, int64_t *out)
{
    wk_tz_t utc;

    memset(&utc, 0, sizeof(utc));
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
        if (strcmp(units[u].name, unit) == 0)
            return date_add(start, u, amount, &utc, out);
    return false;
}

static const char *const add_args[] = {"startDate", "unit", "amount", "timezone", NULL};
static const char *const add_req[] = {"startDate", "unit", "amount", NULL};
static const int add_missing[] = {SDB_CODE_Location5166402, SDB_CODE_Location5166402,
                                  SDB_CODE_Location5166402};

static int
check_add(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, add_args, add_req, SDB_CODE_Location5166400,
                               SDB_CODE_Location5166401, add_missing, err);
}

static int
op_date_add(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool sub = strcmp(e->op->name, "$dateSubtract") == 0, n1, n2, n3;
    bson_value_t a;
    int64_t start = 0, amount = 0, res = 0;
    wk_tz_t tz;
    size_t u = 0;
    int ret = 0;

    memset(&tz, 0, sizeof(tz));
    memset(&a, 0, sizeof(a));
    SDB_RET(eval_date(e, "startDate", SDB_CODE_Location5166403, ctx, &start, &n1, err));
    SDB_RET(eval_unit(e, wk_expr_kid(e, "unit"), ctx, &u, &n2, err));
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "amount"), ctx, &a, err));
    SDB_ERR(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &n3, err));
    if (n1 || n2 || n3 || wk_value_nullish(&a)) {
        wk_value_null(out);
        goto err;
    }
    if (!wk_num_is(&a) || !wk_dec_is_integral(wk_dec_from_value(&a)) ||
        !wk_dec_to_int64(wk_dec_from_value(&a), WK_DEC_TRUNC, &amount))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location5166405,
                              "%s expects integer amount of time units", e->op->name));
    if ((sub && amount == INT64_MIN) || !date_add(start, u, sub ? -amount : amount, &tz, &res))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location5166406, "%s overflowed", e->op->name));
    wk_value_date(out, res);
err:
    wk_tz_close(&tz);
    wk_value_clear(&a);
    return ret;
}

/* ---- $dateDiff ----------------------------------------------------------------------------- */

static int64_t
local_days(int64_t local)
{
    return local >= 0 ? local / MS_DAY : -((-local + MS_DAY - 1) / MS_DAY);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* diff -- unit boundaries between local times a and b (b - a). */
static int64_t
diff(int64_t a, int64_t b, size_t u, int sow)
{
    wk_date_parts_t pa, pb;
    int64_t da = local_days(a), db = local_days(b);

    wk_date_parts(a, &pa);
    wk_date_parts(b, &pb);
    switch (units[u].unit) {
    case U_YEAR:
        return pb.year - pa.year;
    case U_QUARTER:
        return (pb.year * 4 + (pb.month - 1) / 3) - (pa.year * 4 + (pa.month - 1) / 3);
    case U_MONTH:
        return (pb.year * 12 + pb.month) - (pa.year * 12 + pa.month);
    case U_WEEK: /* day 3 (1970-01-04) was a Sunday: weeks counted from a start-of-week day */
        return floor_div(db - 3 - sow, 7) - floor_div(da - 3 - sow, 7);
    case U_DAY:
        return db - da;
    default:
        return floor_div(b, units[u].ms) - floor_div(a, units[u].ms);
    }
}

static const char *const diff_args[] = {"startDate", "endDate",     "unit",
                                        "timezone",  "startOfWeek", NULL};
static const char *const diff_req[] = {"startDate", "endDate", "unit", NULL};
static const int diff_missing[] = {SDB_CODE_Location5166303, SDB_CODE_Location5166304,
                                   SDB_CODE_Location5166305};

static int
check_diff(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, diff_args, diff_req, SDB_CODE_Location5166301,
                               SDB_CODE_Location5166302, diff_missing, err);
}

static int
op_date_diff(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    int64_t a = 0, b = 0, la, lb;
    bool n1, n2, n3, n4, n5;
    wk_tz_t tz;
    size_t u = 0;
    int sow = 0, ret = 0;

    memset(&tz, 0, sizeof(tz));
    SDB_RET(eval_date(e, "startDate", SDB_CODE_Location5166307, ctx, &a, &n1, err));
    SDB_RET(eval_date(e, "endDate", SDB_CODE_Location5166308, ctx, &b, &n2, err));
    SDB_RET(eval_unit(e, wk_expr_kid(e, "unit"), ctx, &u, &n3, err));
    SDB_RET(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &n4, err));
    SDB_ERR(eval_start_of_week(e, ctx, &sow, &n5, err));
    if (n1 || n2 || n3 || n4 || (n5 && units[u].unit == U_WEEK)) {
        wk_value_null(out);
        goto err;
    }
    la = a + wk_tz_offset(&tz, a);
    lb = b + wk_tz_offset(&tz, b);
    if (units[u].ms > 0) { /* short units count on the absolute time line */
        la = a;
        lb = b;
    }
    wk_value_int64(out, diff(la, lb, u, sow));
err:
    wk_tz_close(&tz);
    return ret;
}

/* ---- $dateTrunc ---------------------------------------------------------------------------- */

/* trunc_local -- local time `t` truncated to bins of `bin` units from the 2000-01-01 reference. */
static int64_t
trunc_local(int64_t t, size_t u, int64_t bin, int sow)
{
    const int64_t ref_days = wk_days_from_civil(2000, 1, 1); /* a Saturday */
    wk_date_parts_t p;
    int64_t n, months, y, ref;

    wk_date_parts(t, &p);
    switch (units[u].unit) {
    case U_YEAR:
    case U_QUARTER:
    case U_MONTH:
        months = (p.year - 2000) * 12 + (p.month - 1);
        if (units[u].unit == U_QUARTER)
            bin *= 3;
        if (units[u].unit == U_YEAR)
            bin *= 12;
        months = floor_div(months, bin) * bin;
        y = 2000 + floor_div(months, 12);
        return wk_days_from_civil(y, months - floor_div(months, 12) * 12 + 1, 1) * MS_DAY;
    case U_WEEK:
        ref = ref_days + ((sow - 6) % 7 + 7) % 7; /* the first start-of-week on or after it */
        n = floor_div(local_days(t) - ref, 7 * bin) * 7 * bin;
        return (ref + n) * MS_DAY;
    case U_DAY:
        n = floor_div(local_days(t) - ref_days, bin) * bin;
        return (ref_days + n) * MS_DAY;
    default:
        ref = ref_days * MS_DAY;
        return ref + floor_div(t - ref, units[u].ms * bin) * units[u].ms * bin;
    }
}

static const char *const trunc_args[] = {"date",     "unit",        "binSize",
                                         "timezone", "startOfWeek", NULL};
static const char *const trunc_req[] = {"date", "unit", NULL};
static const int trunc_missing[] = {SDB_CODE_Location5439008, SDB_CODE_Location5439009};

static int
check_trunc(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, trunc_args, trunc_req, SDB_CODE_Location5439007,
                               SDB_CODE_Location5439006, trunc_missing, err);
}

/* eval_bin -- `binSize` (default 1): a positive integral number. */
static int
eval_bin(const wk_expr_t *e, wk_eval_ctx_t *ctx, int64_t *bin, bool *null, sdb_error_t *err)
{
    const wk_expr_t *x = wk_expr_kid(e, "binSize");
    bson_value_t v;
    int ret = 0;

    *bin = 1;
    *null = false;
    if (x == NULL)
        return 0;
    SDB_RET(wk_expr_eval_ctx(x, ctx, &v, err));
    *null = wk_value_nullish(&v);
    if (!*null && (!wk_num_is(&v) || !wk_dec_is_integral(wk_dec_from_value(&v)) ||
                   !wk_dec_to_int64(wk_dec_from_value(&v), WK_DEC_TRUNC, bin) || *bin <= 0))
        ret = sdb_error_set(err, SDB_CODE_Location5439017,
                            "$dateTrunc requires 'binSize' to be a positive 64-bit integer, but "
                            "got value of type %s",
                            wk_value_type_name(&v));
    wk_value_clear(&v);
    return ret;
}

static int
op_date_trunc(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool n1, n2, n3, n4, n5;
    int64_t d = 0, bin = 1, local;
    wk_tz_t tz;
    size_t u = 0;
    int sow = 0, ret = 0;

    memset(&tz, 0, sizeof(tz));
    SDB_RET(eval_date(e, "date", SDB_CODE_Location5439012, ctx, &d, &n1, err));
    SDB_RET(eval_unit(e, wk_expr_kid(e, "unit"), ctx, &u, &n2, err));
    SDB_RET(eval_bin(e, ctx, &bin, &n3, err));
    SDB_RET(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &n4, err));
    SDB_ERR(eval_start_of_week(e, ctx, &sow, &n5, err));
    if (n1 || n2 || n3 || n4 || (n5 && units[u].unit == U_WEEK)) {
        wk_value_null(out);
        goto err;
    }
    if (units[u].ms > 0 && units[u].ms < 3600000) { /* below an hour: the absolute line */
        wk_value_date(out, trunc_local(d, u, bin, sow));
        goto err;
    }
    local = d + wk_tz_offset(&tz, d);
    wk_value_date(out, wk_tz_to_utc(&tz, trunc_local(local, u, bin, sow)));
err:
    wk_tz_close(&tz);
    return ret;
}

/* ---- $dateToParts $dateFromParts ----------------------------------------------------------- */

static const char *const tp_args[] = {"date", "timezone", "iso8601", NULL};
static const char *const tp_req[] = {"date", NULL};
static const int tp_missing[] = {SDB_CODE_Location40522};

static int
check_to_parts(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, tp_args, tp_req, SDB_CODE_Location40524, SDB_CODE_Location40520,
                               tp_missing, err);
}

static int
op_date_to_parts(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *isox = wk_expr_kid(e, "iso8601");
    bson_value_t iso;
    wk_date_parts_t p;
    int64_t d = 0;
    bool n1, n2;
    wk_tz_t tz;
    bson_t b;
    int ret = 0;

    memset(&iso, 0, sizeof(iso));
    memset(&tz, 0, sizeof(tz));
    SDB_RET(eval_date(e, "date", SDB_CODE_Location16006, ctx, &d, &n1, err));
    SDB_RET(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &n2, err));
    if (isox != NULL)
        SDB_ERR(wk_expr_eval_ctx(isox, ctx, &iso, err));
    if (!wk_value_nullish(&iso) && iso.value_type != BSON_TYPE_BOOL)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40521,
                              "iso8601 must evaluate to a bool, found %s",
                              wk_value_type_name(&iso)));
    if (n1 || n2 || (isox != NULL && wk_value_nullish(&iso))) {
        wk_value_null(out);
        goto err;
    }
    wk_date_parts(d + wk_tz_offset(&tz, d), &p);
    bson_init(&b);
    if (iso.value_type == BSON_TYPE_BOOL && iso.value.v_bool) {
        bson_append_int32(&b, "isoWeekYear", -1, (int32_t)p.iso_year);
        bson_append_int32(&b, "isoWeek", -1, p.iso_week);
        bson_append_int32(&b, "isoDayOfWeek", -1, p.iso_day_of_week);
    } else {
        bson_append_int32(&b, "year", -1, (int32_t)p.year);
        bson_append_int32(&b, "month", -1, p.month);
        bson_append_int32(&b, "day", -1, p.day);
    }
    bson_append_int32(&b, "hour", -1, p.hour);
    bson_append_int32(&b, "minute", -1, p.minute);
    bson_append_int32(&b, "second", -1, p.second);
    bson_append_int32(&b, "millisecond", -1, p.millisecond);
    wk_value_from_bson(out, &b, BSON_TYPE_DOCUMENT);
err:
    wk_tz_close(&tz);
    wk_value_clear(&iso);
    return ret;
}

static const char *const fp_args[] = {"year",    "month",        "day",         "hour",
                                      "minute",  "second",       "millisecond", "isoWeekYear",
                                      "isoWeek", "isoDayOfWeek", "timezone",    NULL};

static int
check_from_parts(const wk_expr_t *e, sdb_error_t *err)
{
    bool nat = wk_expr_kid(e, "year") != NULL || wk_expr_kid(e, "month") != NULL ||
               wk_expr_kid(e, "day") != NULL;
    bool iso = wk_expr_kid(e, "isoWeekYear") != NULL || wk_expr_kid(e, "isoWeek") != NULL ||
               wk_expr_kid(e, "isoDayOfWeek") != NULL;

    SDB_RET(wk_expr_check_named(e, fp_args, NULL, SDB_CODE_Location40519, SDB_CODE_Location40518,
                                NULL, err));
    if (nat && iso)
        return sdb_error_set(err, SDB_CODE_Location40489,
                             "$dateFromParts does not allow mixing natural dates with ISO dates");
    if (wk_expr_kid(e, "year") == NULL && wk_expr_kid(e, "isoWeekYear") == NULL)
        return sdb_error_set(err, SDB_CODE_Location40516,
                             "$dateFromParts requires either 'year' or 'isoWeekYear' to be "
                             "present");
    return 0;
}

/* part_value -- a part of $dateFromParts (default `dflt`); *null when nullish. */
static int
part_value(const wk_expr_t *e, const char *name, int64_t dflt, bool year, wk_eval_ctx_t *ctx,
           int64_t *out, bool *null, sdb_error_t *err)
{
    const wk_expr_t *x = wk_expr_kid(e, name);
    bson_value_t v;
    char buf[64];
    int ret = 0;

    *out = dflt;
    if (x == NULL)
        return 0;
    SDB_RET(wk_expr_eval_ctx(x, ctx, &v, err));
    if (wk_value_nullish(&v)) {
        *null = true;
    } else if (!wk_num_is(&v) || !wk_dec_is_integral(wk_dec_from_value(&v)) ||
               !wk_dec_to_int64(wk_dec_from_value(&v), WK_DEC_TRUNC, out)) {
        wk_double_string(wk_num_double(&v), buf, sizeof(buf));
        ret = sdb_error_set(err, SDB_CODE_Location40515,
                            "'%s' must evaluate to an integer, found %s with value %s", name,
                            wk_value_type_name(&v), wk_num_is(&v) ? buf : "?");
    } else if (year && (*out < 1 || *out > 9999)) {
        ret = sdb_error_set(err, SDB_CODE_Location40523,
                            "'%s' must evaluate to an integer in the range 1 to 9999, found %lld",
                            name, (long long)*out);
    } else if (!year && (*out < -32768 || *out > 32767)) {
        ret = sdb_error_set(err, SDB_CODE_Location31034,
                            "'%s' must evaluate to a value in the range [-32768, 32767]; value "
                            "%lld is not in range",
                            name, (long long)*out);
    }
    wk_value_clear(&v);
    return ret;
}

static int
op_date_from_parts(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static const char *const nat[3] = {"year", "month", "day"};
    static const char *const iso[3] = {"isoWeekYear", "isoWeek", "isoDayOfWeek"};
    static const char *const time_parts[4] = {"hour", "minute", "second", "millisecond"};
    bool is_iso = wk_expr_kid(e, "isoWeekYear") != NULL, null = false, tznull;
    int64_t d[3], t[4], days, local, jan4;
    wk_tz_t tz;
    size_t i;
    int ret = 0;

    memset(&tz, 0, sizeof(tz));
    for (i = 0; i < 3; i++)
        SDB_RET(part_value(e, is_iso ? iso[i] : nat[i], 1, i == 0, ctx, &d[i], &null, err));
    for (i = 0; i < 4; i++)
        SDB_RET(part_value(e, time_parts[i], 0, false, ctx, &t[i], &null, err));
    SDB_RET(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &tznull, err));
    if (null || tznull) {
        wk_value_null(out);
        goto done;
    }
    if (is_iso) {
        jan4 = wk_days_from_civil(d[0], 1, 4);
        days = jan4 - ((jan4 + 3) % 7 + 7) % 7 + (d[1] - 1) * 7 + (d[2] - 1);
    } else { /* months and days out of range carry into the next unit, as mongod's do */
        int64_t mi = d[0] * 12 + d[1] - 1;
        int64_t y = floor_div(mi, 12);
        days = wk_days_from_civil(y, mi - y * 12 + 1, 1) + d[2] - 1;
    }
    local = days * MS_DAY + t[0] * 3600000 + t[1] * 60000 + t[2] * 1000 + t[3];
    wk_value_date(out, wk_tz_to_utc(&tz, local));
done:
    wk_tz_close(&tz);
    return ret;
}

const wk_expr_op_t wk_expr_ops_date_math[] = {
    {"$dateAdd", 0, -2, op_date_add, check_add},
    {"$dateSubtract", 0, -2, op_date_add, check_add},
    {"$dateDiff", 0, -2, op_date_diff, check_diff},
    {"$dateTrunc", 0, -2, op_date_trunc, check_trunc},
    {"$dateToParts", 0, -2, op_date_to_parts, check_to_parts},
    {"$dateFromParts", 0, -2, op_date_from_parts, check_from_parts},
    {NULL, 0, 0, NULL, NULL},
};
