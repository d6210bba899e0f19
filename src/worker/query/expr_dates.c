/*
 * src/worker/query/expr_dates.c -- time zones, calendar fields and the date operators that
 * read them: $year $month $dayOfMonth $hour $minute $second $millisecond $dayOfYear
 * $dayOfWeek $week $isoWeek $isoWeekYear $isoDayOfWeek, $dateToString and $dateFromString.
 *
 * A date is milliseconds since the epoch in UTC; calendar fields come from the proleptic
 * Gregorian calendar through day-number arithmetic (wk_days_from_civil and its inverse).  A
 * `timezone` is an Olson name, whose offset at an instant comes from ICU's time-zone database
 * (ucal), or a fixed UTC offset ("+04:45", "-0330", "+03"); local time is UTC plus the offset
 * in force, and a local time goes back to UTC by the offset in force there (wk_tz_to_utc).
 * Timestamps and ObjectIds are accepted wherever mongod accepts them as dates.  The
 * arithmetic operators ($dateAdd, $dateDiff, $dateTrunc, $dateFromParts, $dateToParts) live
 * in expr_date_math.c on the same helpers.
 *
 * Invariants: every value produced is owned by the caller; opened zones are cached for the
 * life of the (single-threaded) worker, and a wk_tz_t owns its calendar only past the cache.
 */
#include "expr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "../../common/sdb.h"

#define MS_DAY 86400000LL

/* ---- civil days ---------------------------------------------------------------------------- */

int64_t
wk_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
wk_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* iso_week -- the ISO week-numbering year and week of local day number `days`. */
static void
iso_week(int64_t days, int64_t *iso_year, int *week)
{
    int64_t y, thursday = days - ((days + 3) % 7 + 7) % 7 + 3; /* the Thursday of its week */
    int m, d;

    wk_civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *week = (int)((thursday - wk_days_from_civil(y, 1, 1)) / 7 + 1);
}

void
wk_date_parts(int64_t local_ms, wk_date_parts_t *p)
{
    int64_t days = floor_div(local_ms, MS_DAY), ms = local_ms - days * MS_DAY;

    wk_civil_from_days(days, &p->year, &p->month, &p->day);
    p->hour = (int)(ms / 3600000);
    p->minute = (int)(ms / 60000 % 60);
    p->second = (int)(ms / 1000 % 60);
    p->millisecond = (int)(ms % 1000);
    p->day_of_week = (int)(((days + 4) % 7 + 7) % 7) + 1; /* 1970-01-01 was a Thursday */
    p->day_of_year = (int)(days - wk_days_from_civil(p->year, 1, 1)) + 1;
    p->iso_day_of_week = p->day_of_week == 1 ? 7 : p->day_of_week - 1;
    iso_week(days, &p->iso_year, &p->iso_week);
    /* %U: weeks start on Sunday; the days before the year's first Sunday are week 0 */
    p->week = (p->day_of_year - 1 + 7 - (p->day_of_week - 1)) / 7;
}

/* ---- time zones ---------------------------------------------------------------------------- */

/* parse_offset -- "+HH", "+HHMM", "+HH:MM" (or '-') into milliseconds; false if not one. */
static bool
parse_offset(const char *s, int32_t *ms)
{
    size_t n = strlen(s);
    int h, m = 0;

    if (n < 3 || (s[0] != '+' && s[0] != '-'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(i == 3 && s[i] == ':' && n == 6))
            return false;
    if (n != 3 && n != 5 && n != 6)
        return false;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    if (n == 5)
        m = (s[3] - '0') * 10 + (s[4] - '0');
    else if (n == 6)
        m = (s[4] - '0') * 10 + (s[5] - '0');
    *ms = (h * 60 + m) * 60000 * (s[0] == '-' ? -1 : 1);
    return true;
}

/* Opened Olson zones, kept for the life of the process: opening one (a database lookup) costs
 * far more than reading an offset.  The worker is single-threaded and an offset is read in one
 * call (set the instant, read the fields), so sharing a calendar is safe; past TZ_CACHE distinct
 * zones a calendar is opened for the one evaluation and closed after it. */
#define TZ_CACHE 64
static struct {
    char name[128];
    UCalendar *cal;
} tz_cache[TZ_CACHE];
static size_t tz_cached;

/* tz_open_icu -- the calendar of Olson zone `name`, or NULL when ICU does not know it. */
static UCalendar *
tz_open_icu(const char *name)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar id[128], canon[128];
    UBool system = 0;
    UCalendar *cal;
    int32_t len;

    if (strlen(name) >= 127)
        return NULL;
    u_uastrncpy(id, name, 127);
    id[127] = 0;
    len = ucal_getCanonicalTimeZoneID(id, -1, canon, 128, &system, &st);
    if (U_FAILURE(st) || !system || len <= 0)
        return NULL;
    cal = ucal_open(id, -1, "en_US", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || cal == NULL)
        return NULL;
    ucal_setGregorianChange(cal, -1e300, &st); /* proleptic Gregorian */
    return cal;
}

int
wk_tz_open(const char *name, wk_tz_t *tz, sdb_error_t *err)
{
    size_t i;

    memset(tz, 0, sizeof(*tz));
    if (strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0 || strcmp(name, "Z") == 0 ||
        parse_offset(name, &tz->offset_ms))
        return 0;
    for (i = 0; i < tz_cached; i++)
        if (strcmp(tz_cache[i].name, name) == 0) {
            tz->cal = tz_cache[i].cal;
            return 0;
        }
    tz->cal = tz_open_icu(name);
    if (tz->cal == NULL)
        return sdb_error_set(err, SDB_CODE_Location40485,
                             "unrecognized time zone identifier: \"%s\"", name);
    if (tz_cached < TZ_CACHE) {
        bson_strncpy(tz_cache[tz_cached].name, name, sizeof(tz_cache[0].name));
        tz_cache[tz_cached++].cal = tz->cal;
    } else {
        tz->owned = true;
    }
    return 0;
}

void
wk_tz_close(wk_tz_t *tz)
{
    if (tz->cal != NULL && tz->owned)
        ucal_close(tz->cal);
    tz->cal = NULL;
}

int32_t
wk_tz_offset(const wk_tz_t *tz, int64_t utc_ms)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t off;

    if (tz->cal == NULL)
        return tz->offset_ms;
    ucal_setMillis(tz->cal, (UDate)utc_ms, &st);
    off = ucal_get(tz->cal, UCAL_ZONE_OFFSET, &st) + ucal_get(tz->cal, UCAL_DST_OFFSET, &st);
    return U_FAILURE(st) ? 0 : off;
}

int64_t
wk_tz_to_utc(const wk_tz_t *tz, int64_t local_ms)
{
    int64_t guess = local_ms - wk_tz_offset(tz, local_ms);

    return local_ms - wk_tz_offset(tz, guess);
}

int
wk_tz_eval(const wk_expr_t *tzx, wk_eval_ctx_t *ctx, wk_tz_t *tz, bool *null, sdb_error_t *err)
{
    bson_value_t v;
    int ret = 0;

    memset(tz, 0, sizeof(*tz));
    *null = false;
    if (tzx == NULL)
        return 0;
    SDB_RET(wk_expr_eval_ctx(tzx, ctx, &v, err));
    if (wk_value_nullish(&v))
        *null = true;
    else if (v.value_type != BSON_TYPE_UTF8)
        ret = sdb_error_set(err, SDB_CODE_Location40517,
                            "timezone must evaluate to a string, found %s", wk_value_type_name(&v));
    else
        ret = wk_tz_open(v.value.v_utf8.str, tz, err);
    wk_value_clear(&v);
    return ret;
}

/* ---- dates from values --------------------------------------------------------------------- */

bool
wk_value_date_ms(const bson_value_t *v, int64_t *ms)
{
    switch (v->value_type) {
    case BSON_TYPE_DATE_TIME:
        *ms = v->value.v_datetime;
        return true;
    case BSON_TYPE_TIMESTAMP:
        *ms = (int64_t)v->value.v_timestamp.timestamp * 1000;
        return true;
    case BSON_TYPE_OID:
        *ms = (int64_t)bson_oid_get_time_t(&v->value.v_oid) * 1000;
        return true;
    default:
        return false;
    }
}

void
wk_value_date(bson_value_t *out, int64_t ms)
{
    memset(out, 0, sizeof(*out));
    out->value_type = BSON_TYPE_DATE_TIME;
    out->value.v_datetime = ms;
}

/* ---- $year and the other fields ------------------------------------------------------------ */

typedef enum date_field {
    F_YEAR,
    F_MONTH,
    F_DAY,
    F_HOUR,
    F_MINUTE,
    F_SECOND,
    F_MILLI,
    F_DOY,
    F_DOW,
    F_WEEK,
    F_ISO_WEEK,
    F_ISO_YEAR,
    F_ISO_DOW,
} date_field_t;

static const struct {
    const char *name;
    date_field_t field;
} date_fields[] = {
    {"$year", F_YEAR},
    {"$month", F_MONTH},
    {"$dayOfMonth", F_DAY},
    {"$hour", F_HOUR},
    {"$minute", F_MINUTE},
    {"$second", F_SECOND},
    {"$millisecond", F_MILLI},
    {"$dayOfYear", F_DOY},
    {"$dayOfWeek", F_DOW},
    {"$week", F_WEEK},
    {"$isoWeek", F_ISO_WEEK},
    {"$isoWeekYear", F_ISO_YEAR},
    {"$isoDayOfWeek", F_ISO_DOW},
};

static int64_t
field_value(const wk_date_parts_t *p, date_field_t f)
{
    switch (f) {
    case F_YEAR:
        return p->year;
    case F_MONTH:
        return p->month;
    case F_DAY:
        return p->day;
    case F_HOUR:
        return p->hour;
    case F_MINUTE:
        return p->minute;
    case F_SECOND:
        return p->second;
    case F_MILLI:
        return p->millisecond;
    case F_DOY:
        return p->day_of_year;
    case F_DOW:
        return p->day_of_week;
    case F_WEEK:
        return p->week;
    case F_ISO_WEEK:
        return p->iso_week;
    case F_ISO_YEAR:
        return p->iso_year;
    case F_ISO_DOW:
        return p->iso_day_of_week;
    }
    return 0;
}

static const char *const field_args[] = {"date", "timezone", NULL};
static const char *const field_req[] = {"date", NULL};
static const int field_missing[] = {SDB_CODE_Location40539};

/* check_field -- {$year: <date>}, {$year: [<date>]} or {$year: {date, timezone}}. */
static int
check_field(const wk_expr_t *e, sdb_error_t *err)
{
    if (e->n == 1 && e->keys[0] == NULL)
        return 0;
    if (e->n != 1 && e->n > 0 && e->keys[0] == NULL)
        return sdb_error_set(err, SDB_CODE_Location40536,
                             "%s accepts exactly one argument if given an array, but was given %zu",
                             e->op->name, e->n);
    return wk_expr_check_named(e, field_args, field_req, SDB_CODE_Location40536,
                               SDB_CODE_Location40535, field_missing, err);
}

static int
op_date_field(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *dx = e->keys[0] == NULL ? e->kids[0] : wk_expr_kid(e, "date");
    bson_value_t v;
    wk_date_parts_t p;
    wk_tz_t tz;
    int64_t ms = 0;
    size_t i;
    bool null;
    int ret = 0;

    for (i = 0; strcmp(date_fields[i].name, e->op->name) != 0; i++)
        ;
    SDB_RET(wk_expr_eval_ctx(dx, ctx, &v, err));
    SDB_ERR(
        wk_tz_eval(e->keys[0] == NULL ? NULL : wk_expr_kid(e, "timezone"), ctx, &tz, &null, err));
    if (wk_value_nullish(&v) || null) {
        wk_value_null(out);
    } else if (!wk_value_date_ms(&v, &ms)) {
        ret = sdb_error_set(err, SDB_CODE_Location16006, "can't convert from BSON type %s to Date",
                            wk_value_type_name(&v));
    } else {
        wk_date_parts(ms + wk_tz_offset(&tz, ms), &p);
        wk_value_int32(out, (int32_t)field_value(&p, date_fields[i].field));
    }
    wk_tz_close(&tz);
err:
    wk_value_clear(&v);
    return ret;
}

/* ---- $dateToString ------------------------------------------------------------------------- */

/* The specifiers each side knows: $dateToString has the month names (%b %B, new in 7.0),
 * $dateFromString does not parse them. */
#define FMT_TO_STRING "bBdGHjLmMSuUVwYzZ%"
#define FMT_FROM_STRING "dGHjLmMSuUVwYzZ%"

/* format_check -- every '%' in `fmt` starts a specifier of `known`. */
static int
format_check(const char *fmt, const char *known, sdb_error_t *err)
{
    const char *p;

    for (p = fmt; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '\0')
            return sdb_error_set(err, SDB_CODE_Location18535,
                                 "Unmatched '%%' at end of format string");
        if (strchr(known, p[1]) == NULL)
            return sdb_error_set(err, SDB_CODE_Location18536,
                                 "Invalid format character '%%%c' in format string", p[1]);
        p++;
    }
    return 0;
}

static const char *const month_name[12] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};

/* format_date -- `fmt` for local time `p` with offset `off` (minutes). */
static void
format_date(const char *fmt, const wk_date_parts_t *p, int32_t off_min, bson_string_t *s)
{
    const char *c;
    int a = off_min < 0 ? -off_min : off_min;

    for (c = fmt; *c != '\0'; c++) {
        if (*c != '%') {
            bson_string_append_c(s, *c);
            continue;
        }
        switch (*++c) {
        case 'b':
            bson_string_append_printf(s, "%.3s", month_name[p->month - 1]);
            break;
        case 'B':
            bson_string_append(s, month_name[p->month - 1]);
            break;
        case 'd':
            bson_string_append_printf(s, "%02d", p->day);
            break;
        case 'G':
            bson_string_append_printf(s, "%04lld", (long long)p->iso_year);
            break;
        case 'H':
            bson_string_append_printf(s, "%02d", p->hour);
            break;
        case 'j':
            bson_string_append_printf(s, "%03d", p->day_of_year);
            break;
        case 'L':
            bson_string_append_printf(s, "%03d", p->millisecond);
            break;
        case 'm':
            bson_string_append_printf(s, "%02d", p->month);
            break;
        case 'M':
            bson_string_append_printf(s, "%02d", p->minute);
            break;
        case 'S':
            bson_string_append_printf(s, "%02d", p->second);
            break;
        case 'u':
            bson_string_append_printf(s, "%d", p->iso_day_of_week);
            break;
        case 'U':
            bson_string_append_printf(s, "%02d", p->week);
            break;
        case 'V':
            bson_string_append_printf(s, "%02d", p->iso_week);
            break;
        case 'w':
            bson_string_append_printf(s, "%d", p->day_of_week);
            break;
        case 'Y':
            bson_string_append_printf(s, "%04lld", (long long)p->year);
            break;
        case 'z':
            bson_string_append_printf(s, "%c%02d%02d", off_min < 0 ? '-' : '+', a / 60, a % 60);
            break;
        case 'Z':
            bson_string_append_printf(s, "%d", off_min);
            break;
        default:
            bson_string_append_c(s, '%');
            break;
        }
    }
}

static const char *const dts_args[] = {"date", "format", "timezone", "onNull", NULL};
static const char *const dts_req[] = {"date", NULL};
static const int dts_missing[] = {SDB_CODE_Location18628};

static int
check_date_to_string(const wk_expr_t *e, sdb_error_t *err)
{
    const wk_expr_t *f;

    if (e->n > 0 && e->keys[0] == NULL)
        return sdb_error_set(err, SDB_CODE_Location18629,
                             "$dateToString only supports an object as its argument");
    SDB_RET(wk_expr_check_named(e, dts_args, dts_req, SDB_CODE_Location18629,
                                SDB_CODE_Location18534, dts_missing, err));
    f = wk_expr_kid(e, "format");
    if (f != NULL && f->kind == WK_EX_CONST && f->cst.value_type == BSON_TYPE_UTF8)
        return format_check(f->cst.value.v_utf8.str, FMT_TO_STRING, err);
    return 0;
}

static int
op_date_to_string(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *fx = wk_expr_kid(e, "format"), *tzx = wk_expr_kid(e, "timezone"),
                    *on_null = wk_expr_kid(e, "onNull");
    bson_value_t d, f;
    bson_string_t *s = NULL;
    wk_date_parts_t p;
    const char *fmt;
    int32_t off;
    wk_tz_t tz;
    int64_t ms = 0;
    bool null;
    int ret = 0;

    memset(&f, 0, sizeof(f));
    memset(&tz, 0, sizeof(tz));
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "date"), ctx, &d, err));
    if (fx != NULL)
        SDB_ERR(wk_expr_eval_ctx(fx, ctx, &f, err));
    if (fx != NULL && !wk_value_nullish(&f) && f.value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location18533,
                              "$dateToString requires that 'format' be a string, found: %s",
                              wk_value_type_name(&f)));
    SDB_ERR(wk_tz_eval(tzx, ctx, &tz, &null, err));
    if (wk_value_nullish(&d)) {
        if (on_null != NULL)
            ret = wk_expr_eval_ctx(on_null, ctx, out, err);
        else
            wk_value_null(out);
        goto err;
    }
    if ((fx != NULL && wk_value_nullish(&f)) || null) {
        wk_value_null(out);
        goto err;
    }
    if (!wk_value_date_ms(&d, &ms))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16006,
                              "can't convert from BSON type %s to Date", wk_value_type_name(&d)));
    /* mongod's default format ends in Z when the zone is UTC itself ("UTC", "GMT", "+00:00"
     * or none given), not for an Olson zone or another offset */
    fmt = fx != NULL                                             ? f.value.v_utf8.str
          : tzx != NULL && (tz.cal != NULL || tz.offset_ms != 0) ? "%Y-%m-%dT%H:%M:%S.%L"
                                                                 : "%Y-%m-%dT%H:%M:%S.%LZ";
    SDB_ERR(format_check(fmt, FMT_TO_STRING, err));
    off = wk_tz_offset(&tz, ms);
    wk_date_parts(ms + off, &p);
    s = bson_string_new(NULL);
    format_date(fmt, &p, off / 60000, s);
    wk_value_utf8(out, s->str, s->len);
err:
    if (s != NULL)
        bson_string_free(s, true);
    wk_tz_close(&tz);
    wk_value_clear(&d);
    wk_value_clear(&f);
    return ret;
}

/* ---- parsing dates ------------------------------------------------------------------------- */

/* digits -- exactly n decimal digits at *p (advanced past them). */
static bool
digits(const char **p, int n, int *out)
{
    int i, x = 0;

    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = x;
    return true;
}

typedef struct parsed {
    int year, month, day, hour, minute, second, milli;
    int iso_year, iso_week, iso_dow, doy;
    bool have_offset, iso, have_doy;
    int32_t offset_ms;
} parsed_t;

/* parse_tz_suffix -- "Z", "+HH:MM", "+HHMM", "+HH" at *p into the parsed offset. */
static bool
parse_tz_suffix(const char **p, parsed_t *r)
{
    int h = 0, m = 0, sign;

    if (**p == 'Z') {
        (*p)++;
        r->have_offset = true;
        r->offset_ms = 0;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (!digits(p, 2, &h))
        return false;
    if (**p == ':')
        (*p)++;
    if (**p >= '0' && **p <= '9' && !digits(p, 2, &m))
        return false;
    r->have_offset = true;
    r->offset_ms = sign * (h * 60 + m) * 60000;
    return true;
}

/* parse_iso -- "YYYY-MM-DD[( |T)HH:MM[:SS[.mmm]]][ ...][Z|+HH:MM]" (mongod takes spaces
 * before the offset, with or without a time: "2018-03-15 +10:00"). */
static bool
parse_iso(const char *s, parsed_t *r)
{
    const char *p = s;
    int frac, n;

    memset(r, 0, sizeof(*r));
    if (!digits(&p, 4, &r->year) || *p++ != '-' || !digits(&p, 2, &r->month) || *p++ != '-' ||
        !digits(&p, 2, &r->day))
        return false;
    if (*p == 'T' || (*p == ' ' && p[1] >= '0' && p[1] <= '9')) { /* " +10:00": no time */
        p++;
        if (!digits(&p, 2, &r->hour) || *p++ != ':' || !digits(&p, 2, &r->minute))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &r->second))
                return false;
            if (*p == '.') {
                for (p++, n = 0, frac = 0; *p >= '0' && *p <= '9'; p++, n++)
                    if (n < 3)
                        frac = frac * 10 + (*p - '0');
                for (; n < 3; n++)
                    frac *= 10;
                r->milli = frac;
            }
        }
    }
    while (*p == ' ')
        p++; /* "2018-03-20 11:00:06 +0500": mongod allows spaces before the offset */
    if (*p != '\0' && !parse_tz_suffix(&p, r))
        return false;
    return *p == '\0';
}

/* parse_format -- s against a format of %Y %m %d %H %M %S %L %j %G %V %u %z %Z %% and
 * literal characters. */
static bool
parse_format(const char *s, const char *fmt, parsed_t *r)
{
    const char *p = s, *f;
    int sign, x;

    memset(r, 0, sizeof(*r));
    r->month = r->day = 1;
    for (f = fmt; *f != '\0'; f++) {
        if (*f != '%') {
            if (*p++ != *f)
                return false;
            continue;
        }
        f++;
        switch (*f) {
        case 'Y':
            if (!digits(&p, 4, &r->year))
                return false;
            break;
        case 'G':
            if (!digits(&p, 4, &r->iso_year))
                return false;
            r->iso = true;
            break;
        case 'm':
            if (!digits(&p, 2, &r->month))
                return false;
            break;
        case 'd':
            if (!digits(&p, 2, &r->day))
                return false;
            break;
        case 'H':
            if (!digits(&p, 2, &r->hour))
                return false;
            break;
        case 'M':
            if (!digits(&p, 2, &r->minute))
                return false;
            break;
        case 'S':
            if (!digits(&p, 2, &r->second))
                return false;
            break;
        case 'L':
            if (!digits(&p, 3, &r->milli))
                return false;
            break;
        case 'j':
            if (!digits(&p, 3, &r->doy))
                return false;
            r->have_doy = true;
            break;
        case 'V':
            if (!digits(&p, 2, &r->iso_week))
                return false;
            r->iso = true;
            break;
        case 'u':
            if (!digits(&p, 1, &r->iso_dow))
                return false;
            r->iso = true;
            break;
        case 'z':
            if (!parse_tz_suffix(&p, r))
                return false;
            break;
        case 'Z':
            sign = *p == '-' ? -1 : 1;
            if (*p == '+' || *p == '-')
                p++;
            for (x = 0; *p >= '0' && *p <= '9'; p++)
                x = x * 10 + (*p - '0');
            r->have_offset = true;
            r->offset_ms = sign * x * 60000;
            break;
        case '%':
            if (*p++ != '%')
                return false;
            break;
        default:
            return false;
        }
    }
    return *p == '\0';
}

/* parsed_local -- the local milliseconds a parse names; false when a field is out of range. */
static bool
parsed_local(const parsed_t *r, int64_t *ms)
{
    int64_t days;

    if (r->iso) {
        int64_t jan4 = wk_days_from_civil(r->iso_year, 1, 4);
        int64_t week1 = jan4 - ((jan4 + 3) % 7 + 7) % 7; /* the Monday of ISO week 1 */
        days = week1 + (int64_t)(r->iso_week - 1) * 7 + (r->iso_dow > 0 ? r->iso_dow - 1 : 0);
    } else if (r->have_doy) {
        days = wk_days_from_civil(r->year, 1, 1) + r->doy - 1;
    } else {
        if (r->month < 1 || r->month > 12 || r->day < 1 || r->day > 31)
            return false;
        days = wk_days_from_civil(r->year, r->month, r->day);
        {
            int64_t y;
            int m, d;
            wk_civil_from_days(days, &y, &m, &d);
            if (m != r->month) /* February 30th and the like */
                return false;
        }
    }
    if (r->hour > 23 || r->minute > 59 || r->second > 59)
        return false;
    *ms = days * MS_DAY + r->hour * 3600000LL + r->minute * 60000LL + r->second * 1000LL + r->milli;
    return true;
}

int
wk_date_parse_iso(const char *s, int64_t *ms, sdb_error_t *err)
{
    parsed_t r;

    if (!parse_iso(s, &r) || !parsed_local(&r, ms))
        return sdb_error_set(err, SDB_CODE_ConversionFailure,
                             "Error parsing date string '%s'; the string is not a valid date", s);
    *ms -= r.offset_ms;
    return 0;
}

static const char *const dfs_args[] = {"dateString", "format", "timezone",
                                       "onError",    "onNull", NULL};
static const char *const dfs_req[] = {"dateString", NULL};
static const int dfs_missing[] = {SDB_CODE_Location40542};

static int
check_date_from_string(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, dfs_args, dfs_req, SDB_CODE_Location40540, SDB_CODE_Location40541,
                               dfs_missing, err);
}

/* date_from_string -- the date `s` names under `fmt` (NULL: ISO forms) in zone `tz`. */
static int
date_from_string(const char *s, const char *fmt, const wk_tz_t *tz, bool tz_given, int64_t *ms,
                 sdb_error_t *err)
{
    parsed_t r;
    bool ok = fmt != NULL ? parse_format(s, fmt, &r) : parse_iso(s, &r);

    if (!ok || !parsed_local(&r, ms))
        return sdb_error_set(err, SDB_CODE_ConversionFailure, "Error parsing date string '%s'%s%s",
                             s, fmt != NULL ? " with format " : "", fmt != NULL ? fmt : "");
    if (r.have_offset && tz_given)
        return sdb_error_set(err, SDB_CODE_ConversionFailure,
                             "you cannot pass in a date/time string with GMT offset together "
                             "with a timezone argument");
    *ms = r.have_offset ? *ms - r.offset_ms : wk_tz_to_utc(tz, *ms);
    return 0;
}

static int
op_date_from_string(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const wk_expr_t *fx = wk_expr_kid(e, "format"), *on_error = wk_expr_kid(e, "onError"),
                    *on_null = wk_expr_kid(e, "onNull");
    bson_value_t s, f;
    wk_tz_t tz;
    int64_t ms = 0;
    bool null;
    int ret = 0;

    memset(&f, 0, sizeof(f));
    memset(&tz, 0, sizeof(tz));
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, "dateString"), ctx, &s, err));
    if (fx != NULL)
        SDB_ERR(wk_expr_eval_ctx(fx, ctx, &f, err));
    if (fx != NULL && !wk_value_nullish(&f) && f.value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40684,
                              "$dateFromString requires that 'format' be a string, found: %s",
                              wk_value_type_name(&f)));
    if (f.value_type == BSON_TYPE_UTF8)
        SDB_ERR(format_check(f.value.v_utf8.str, FMT_FROM_STRING, err));
    SDB_ERR(wk_tz_eval(wk_expr_kid(e, "timezone"), ctx, &tz, &null, err));
    if (wk_value_nullish(&s)) {
        if (on_null != NULL)
            ret = wk_expr_eval_ctx(on_null, ctx, out, err);
        else
            wk_value_null(out);
        goto err;
    }
    if ((fx != NULL && wk_value_nullish(&f)) || null) {
        wk_value_null(out);
        goto err;
    }
    if (s.value_type != BSON_TYPE_UTF8)
        ret = sdb_error_set(err, SDB_CODE_ConversionFailure,
                            "$dateFromString requires that 'dateString' be a string, found: %s",
                            wk_value_type_name(&s));
    else
        ret = date_from_string(s.value.v_utf8.str,
                               f.value_type == BSON_TYPE_UTF8 ? f.value.v_utf8.str : NULL, &tz,
                               wk_expr_kid(e, "timezone") != NULL, &ms, err);
    if (ret == 0)
        wk_value_date(out, ms);
    else if (err->code == SDB_CODE_ConversionFailure && on_error != NULL)
        ret = wk_expr_eval_ctx(on_error, ctx, out, err);
err:
    wk_tz_close(&tz);
    wk_value_clear(&s);
    wk_value_clear(&f);
    return ret;
}

const wk_expr_op_t wk_expr_ops_dates[] = {
    {"$year", 0, -2, op_date_field, check_field},
    {"$month", 0, -2, op_date_field, check_field},
    {"$dayOfMonth", 0, -2, op_date_field, check_field},
    {"$hour", 0, -2, op_date_field, check_field},
    {"$minute", 0, -2, op_date_field, check_field},
    {"$second", 0, -2, op_date_field, check_field},
    {"$millisecond", 0, -2, op_date_field, check_field},
    {"$dayOfYear", 0, -2, op_date_field, check_field},
    {"$dayOfWeek", 0, -2, op_date_field, check_field},
    {"$week", 0, -2, op_date_field, check_field},
    {"$isoWeek", 0, -2, op_date_field, check_field},
    {"$isoWeekYear", 0, -2, op_date_field, check_field},
    {"$isoDayOfWeek", 0, -2, op_date_field, check_field},
    {"$dateToString", 0, -2, op_date_to_string, check_date_to_string},
    {"$dateFromString", 0, -2, op_date_from_string, check_date_from_string},
    {NULL, 0, 0, NULL, NULL},
};
