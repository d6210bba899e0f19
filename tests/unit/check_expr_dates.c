/*
 * tests/unit/check_expr_dates.c -- date operators (src/worker/query/expr_dates.c,
 * expr_date_math.c): calendar fields in UTC, in Olson zones (with daylight saving time) and at
 * fixed offsets, ISO weeks, every $dateToString specifier, $dateFromString with format,
 * onError and onNull, $dateToParts (iso8601), $dateFromParts (carrying), $dateAdd and
 * $dateSubtract (month-end clamping), $dateDiff (startOfWeek), $dateTrunc (binSize), null and
 * missing inputs and mongod's error codes.  Rows follow the manual's examples.
 */
#include "expr_case.h"

#define D                                                                                          \
    "{\"d\": {\"$date\": \"2014-01-01T08:15:39.736Z\"}, \"jan31\": {\"$date\": "                   \
    "\"2021-01-31T10:00:00Z\"}, \"summer\": {\"$date\": \"2021-07-04T03:30:00Z\"}, "               \
    "\"ts\": {\"$timestamp\": {\"t\": 1000, \"i\": 1}}, \"s\": \"x\"}"

static const expr_case_t cases[] = {
    /* fields (the manual's $year .. $week example) */
    {D, "{\"$year\": \"$d\"}", "{\"v\": 2014}", 0},
    {D, "{\"$month\": \"$d\"}", "{\"v\": 1}", 0},
    {D, "{\"$dayOfMonth\": \"$d\"}", "{\"v\": 1}", 0},
    {D, "{\"$hour\": \"$d\"}", "{\"v\": 8}", 0},
    {D, "{\"$minute\": \"$d\"}", "{\"v\": 15}", 0},
    {D, "{\"$second\": \"$d\"}", "{\"v\": 39}", 0},
    {D, "{\"$millisecond\": \"$d\"}", "{\"v\": 736}", 0},
    {D, "{\"$dayOfYear\": \"$d\"}", "{\"v\": 1}", 0},
    {D, "{\"$dayOfWeek\": \"$d\"}", "{\"v\": 4}", 0},
    {D, "{\"$week\": \"$d\"}", "{\"v\": 0}", 0},
    {D, "{\"$isoWeek\": \"$d\"}", "{\"v\": 1}", 0},
    {D, "{\"$isoWeekYear\": \"$d\"}", "{\"v\": 2014}", 0},
    {D, "{\"$isoDayOfWeek\": \"$d\"}", "{\"v\": 3}", 0},
    {D, "{\"$isoWeek\": {\"$$literal\": {\"$date\": \"2016-01-01T00:00:00Z\"}}}", "{\"v\": 53}", 0},
    {D, "{\"$isoWeekYear\": {\"$$literal\": {\"$date\": \"2016-01-01T00:00:00Z\"}}}",
     "{\"v\": 2015}", 0},
    {D, "{\"$year\": [\"$d\"]}", "{\"v\": 2014}", 0},
    {D, "{\"$hour\": {\"date\": \"$d\", \"timezone\": \"America/New_York\"}}", "{\"v\": 3}", 0},
    {D, "{\"$hour\": {\"date\": \"$summer\", \"timezone\": \"America/New_York\"}}", "{\"v\": 23}",
     0},
    {D, "{\"$dayOfMonth\": {\"date\": \"$summer\", \"timezone\": \"America/New_York\"}}",
     "{\"v\": 3}", 0},
    {D, "{\"$minute\": {\"date\": \"$d\", \"timezone\": \"+04:45\"}}", "{\"v\": 0}", 0},
    {D, "{\"$hour\": {\"date\": \"$d\", \"timezone\": \"-0330\"}}", "{\"v\": 4}", 0},
    {D, "{\"$year\": \"$ts\"}", "{\"v\": 1970}", 0},
    {D, "{\"$year\": \"$nope\"}", "{\"v\": null}", 0},
    {D, "{\"$year\": {\"date\": \"$d\", \"timezone\": null}}", "{\"v\": null}", 0},
    {D, "{\"$year\": \"$s\"}", NULL, 16006},
    {D, "{\"$year\": {\"date\": \"$d\", \"timezone\": \"Mars/Base\"}}", NULL, 40485},
    {D, "{\"$year\": {\"date\": \"$d\", \"timezone\": 5}}", NULL, 40517},
    {D, "{\"$year\": {\"date\": \"$d\", \"zone\": \"UTC\"}}", NULL, 40535},
    /* $dateToString */
    /* the manual's %b and %B (new in 7.0), in the +04:30 zone */
    {D,
     "{\"$dateToString\": {\"format\": \"%b %B\", \"date\": \"$d\", \"timezone\": "
     "\"+04:30\"}}",
     "{\"v\": \"Jan January\"}", 0},
    {D, "{\"$dateToString\": {\"date\": \"$d\"}}", "{\"v\": \"2014-01-01T08:15:39.736Z\"}", 0},
    {D, "{\"$dateToString\": {\"format\": \"%Y-%m-%d\", \"date\": \"$d\"}}",
     "{\"v\": \"2014-01-01\"}", 0},
    {D,
     "{\"$dateToString\": {\"format\": \"%H:%M:%S:%L%z\", \"date\": \"$d\", \"timezone\": "
     "\"America/New_York\"}}",
     "{\"v\": \"03:15:39:736-0500\"}", 0},
    {D,
     "{\"$dateToString\": {\"format\": \"%Z\", \"date\": \"$d\", \"timezone\": "
     "\"America/New_York\"}}",
     "{\"v\": \"-300\"}", 0},
    /* the manual's minutesOffset430: a positive offset has no sign */
    {D, "{\"$dateToString\": {\"format\": \"%Z\", \"date\": \"$d\", \"timezone\": \"+04:30\"}}",
     "{\"v\": \"270\"}", 0},
    {D, "{\"$dateToString\": {\"format\": \"%j %w %u %U %V %G %%\", \"date\": \"$d\"}}",
     "{\"v\": \"001 4 3 00 01 2014 %\"}", 0},
    {D, "{\"$dateToString\": {\"date\": \"$d\", \"timezone\": \"+01:00\"}}",
     "{\"v\": \"2014-01-01T09:15:39.736\"}", 0},
    /* ... but the UTC zone itself keeps the Z (mongod's TimeZone::isUtcZone) */
    {D, "{\"$dateToString\": {\"date\": \"$d\", \"timezone\": \"UTC\"}}",
     "{\"v\": \"2014-01-01T08:15:39.736Z\"}", 0},
    {D, "{\"$dateToString\": {\"date\": \"$d\", \"timezone\": \"+00:00\"}}",
     "{\"v\": \"2014-01-01T08:15:39.736Z\"}", 0},
    {D, "{\"$dateToString\": {\"date\": \"$nope\", \"onNull\": \"none\"}}", "{\"v\": \"none\"}", 0},
    {D, "{\"$dateToString\": {\"date\": \"$nope\"}}", "{\"v\": null}", 0},
    {D, "{\"$dateToString\": {\"format\": \"%Q\", \"date\": \"$d\"}}", NULL, 18536},
    {D, "{\"$dateToString\": {\"format\": \"abc%\", \"date\": \"$d\"}}", NULL, 18535},
    {D, "{\"$dateToString\": {\"format\": 1, \"date\": \"$d\"}}", NULL, 18533},
    {D, "{\"$dateToString\": {\"format\": \"%Y\"}}", NULL, 18628},
    {D, "{\"$dateToString\": {\"date\": \"$d\", \"x\": 1}}", NULL, 18534},
    {D, "{\"$dateToString\": {\"date\": \"$s\"}}", NULL, 16006},
    /* $dateFromString */
    {D, "{\"$dateFromString\": {\"dateString\": \"2017-02-08T12:10:40.787\"}}",
     "{\"v\": {\"$date\": \"2017-02-08T12:10:40.787Z\"}}", 0},
    {D,
     "{\"$dateFromString\": {\"dateString\": \"2017-02-08T12:10:40.787\", \"timezone\": "
     "\"America/New_York\"}}",
     "{\"v\": {\"$date\": \"2017-02-08T17:10:40.787Z\"}}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"2017-02-08\"}}",
     "{\"v\": {\"$date\": \"2017-02-08T00:00:00Z\"}}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"2017-02-08T12:10:40+02:00\"}}",
     "{\"v\": {\"$date\": \"2017-02-08T10:10:40Z\"}}", 0},
    /* the manual's $toDate example: a space before the offset */
    {D, "{\"$toDate\": \"2018-03-15 +10:00\"}", "{\"v\": {\"$date\": \"2018-03-14T14:00:00Z\"}}",
     0},
    {D, "{\"$dateFromString\": {\"dateString\": \"2018-03-20 11:00:06 +0500\"}}",
     "{\"v\": {\"$date\": \"2018-03-20T06:00:06Z\"}}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"15-06-2018\", \"format\": \"%d-%m-%Y\"}}",
     "{\"v\": {\"$date\": \"2018-06-15T00:00:00Z\"}}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"2018-W02-3\", \"format\": \"%G-W%V-%u\"}}",
     "{\"v\": {\"$date\": \"2018-01-10T00:00:00Z\"}}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"nope\", \"onError\": \"bad\"}}",
     "{\"v\": \"bad\"}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"$nope\", \"onNull\": 0}}", "{\"v\": 0}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"$nope\"}}", "{\"v\": null}", 0},
    {D, "{\"$dateFromString\": {\"dateString\": \"nope\"}}", NULL, 241},
    {D, "{\"$dateFromString\": {\"dateString\": \"2017-02-30\"}}", NULL, 241},
    {D, "{\"$dateFromString\": {\"dateString\": 5}}", NULL, 241},
    {D, "{\"$dateFromString\": {\"dateString\": 5, \"onError\": 1}}", "{\"v\": 1}", 0},
    {D, "{\"$dateFromString\": {\"format\": \"%Y\"}}", NULL, 40542},
    {D, "{\"$dateFromString\": {\"dateString\": \"x\", \"y\": 1}}", NULL, 40541},
    /* $dateToParts, $dateFromParts */
    {D, "{\"$dateToParts\": {\"date\": \"$d\"}}",
     "{\"v\": {\"year\": 2014, \"month\": 1, \"day\": 1, \"hour\": 8, \"minute\": 15, "
     "\"second\": 39, \"millisecond\": 736}}",
     0},
    {D, "{\"$dateToParts\": {\"date\": \"$d\", \"iso8601\": true}}",
     "{\"v\": {\"isoWeekYear\": 2014, \"isoWeek\": 1, \"isoDayOfWeek\": 3, \"hour\": 8, "
     "\"minute\": 15, \"second\": 39, \"millisecond\": 736}}",
     0},
    {D, "{\"$dateToParts\": {\"date\": \"$d\", \"timezone\": \"America/New_York\"}}",
     "{\"v\": {\"year\": 2014, \"month\": 1, \"day\": 1, \"hour\": 3, \"minute\": 15, "
     "\"second\": 39, \"millisecond\": 736}}",
     0},
    {D, "{\"$dateToParts\": {\"date\": \"$d\", \"iso8601\": 1}}", NULL, 40521},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"month\": 2, \"day\": 8, \"hour\": 12}}",
     "{\"v\": {\"$date\": \"2017-02-08T12:00:00Z\"}}", 0},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"month\": 14, \"day\": 1}}",
     "{\"v\": {\"$date\": \"2018-02-01T00:00:00Z\"}}", 0},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"month\": 3, \"day\": 0}}",
     "{\"v\": {\"$date\": \"2017-02-28T00:00:00Z\"}}", 0},
    {D, "{\"$dateFromParts\": {\"isoWeekYear\": 2017, \"isoWeek\": 6, \"isoDayOfWeek\": 3}}",
     "{\"v\": {\"$date\": \"2017-02-08T00:00:00Z\"}}", 0},
    {D,
     "{\"$dateFromParts\": {\"year\": 2016, \"month\": 12, \"day\": 31, \"hour\": 23, "
     "\"timezone\": \"America/New_York\"}}",
     "{\"v\": {\"$date\": \"2017-01-01T04:00:00Z\"}}", 0},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"month\": null}}", "{\"v\": null}", 0},
    {D, "{\"$dateFromParts\": {\"year\": 0}}", NULL, 40523},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"month\": 1.5}}", NULL, 40515},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"hour\": 40000}}", NULL, 31034},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"isoWeek\": 1}}", NULL, 40489},
    {D, "{\"$dateFromParts\": {\"month\": 1}}", NULL, 40516},
    {D, "{\"$dateFromParts\": {\"year\": 2017, \"x\": 1}}", NULL, 40518},
    /* $dateAdd, $dateSubtract */
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"month\", \"amount\": 1}}",
     "{\"v\": {\"$date\": \"2021-02-28T10:00:00Z\"}}", 0},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"day\", \"amount\": 3}}",
     "{\"v\": {\"$date\": \"2021-02-03T10:00:00Z\"}}", 0},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"hour\", \"amount\": -11}}",
     "{\"v\": {\"$date\": \"2021-01-30T23:00:00Z\"}}", 0},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"quarter\", \"amount\": 1}}",
     "{\"v\": {\"$date\": \"2021-04-30T10:00:00Z\"}}", 0},
    {D, "{\"$dateSubtract\": {\"startDate\": \"$jan31\", \"unit\": \"year\", \"amount\": 1}}",
     "{\"v\": {\"$date\": \"2020-01-31T10:00:00Z\"}}", 0},
    {D,
     "{\"$dateAdd\": {\"startDate\": {\"$$literal\": {\"$date\": \"2021-03-13T12:00:00Z\"}}, "
     "\"unit\": \"day\", \"amount\": 1, \"timezone\": \"America/New_York\"}}",
     "{\"v\": {\"$date\": \"2021-03-14T11:00:00Z\"}}", 0},
    {D, "{\"$dateAdd\": {\"startDate\": \"$nope\", \"unit\": \"day\", \"amount\": 1}}",
     "{\"v\": null}", 0},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"day\", \"amount\": 1.5}}", NULL,
     5166405},
    {D, "{\"$dateAdd\": {\"startDate\": \"$s\", \"unit\": \"day\", \"amount\": 1}}", NULL, 5166403},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"fortnight\", \"amount\": 1}}", NULL,
     9},
    {D, "{\"$dateAdd\": {\"startDate\": \"$jan31\", \"unit\": \"day\"}}", NULL, 5166402},
    /* $dateDiff */
    {D, "{\"$dateDiff\": {\"startDate\": \"$d\", \"endDate\": \"$jan31\", \"unit\": \"year\"}}",
     "{\"v\": {\"$numberLong\": \"7\"}}", 0},
    {D,
     "{\"$dateDiff\": {\"startDate\": \"$jan31\", \"endDate\": {\"$$literal\": {\"$date\": "
     "\"2021-03-01T00:00:00Z\"}}, \"unit\": \"month\"}}",
     "{\"v\": {\"$numberLong\": \"2\"}}", 0},
    {D, "{\"$dateDiff\": {\"startDate\": \"$jan31\", \"endDate\": \"$d\", \"unit\": \"day\"}}",
     "{\"v\": {\"$numberLong\": \"-2587\"}}", 0},
    {D,
     "{\"$dateDiff\": {\"startDate\": {\"$$literal\": {\"$date\": \"2021-01-02T00:00:00Z\"}}, "
     "\"endDate\": {\"$$literal\": {\"$date\": \"2021-01-04T00:00:00Z\"}}, \"unit\": "
     "\"week\"}}",
     "{\"v\": {\"$numberLong\": \"1\"}}", 0},
    {D,
     "{\"$dateDiff\": {\"startDate\": {\"$$literal\": {\"$date\": \"2021-01-02T00:00:00Z\"}}, "
     "\"endDate\": {\"$$literal\": {\"$date\": \"2021-01-04T00:00:00Z\"}}, \"unit\": "
     "\"week\", \"startOfWeek\": \"tuesday\"}}",
     "{\"v\": {\"$numberLong\": \"0\"}}", 0},
    {D,
     "{\"$dateDiff\": {\"startDate\": \"$jan31\", \"endDate\": \"$jan31\", \"unit\": "
     "\"week\", \"startOfWeek\": \"someday\"}}",
     NULL, 5439016},
    {D, "{\"$dateDiff\": {\"startDate\": \"$s\", \"endDate\": \"$jan31\", \"unit\": \"day\"}}",
     NULL, 5166307},
    {D, "{\"$dateDiff\": {\"startDate\": \"$jan31\", \"endDate\": \"$jan31\", \"unit\": 1}}", NULL,
     5439013},
    {D, "{\"$dateDiff\": {\"startDate\": \"$jan31\", \"unit\": \"day\"}}", NULL, 5166304},
    /* $dateTrunc */
    {D, "{\"$dateTrunc\": {\"date\": \"$d\", \"unit\": \"hour\"}}",
     "{\"v\": {\"$date\": \"2014-01-01T08:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$jan31\", \"unit\": \"month\"}}",
     "{\"v\": {\"$date\": \"2021-01-01T00:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"quarter\"}}",
     "{\"v\": {\"$date\": \"2021-07-01T00:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"month\", \"binSize\": 6}}",
     "{\"v\": {\"$date\": \"2021-07-01T00:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"year\", \"binSize\": 5}}",
     "{\"v\": {\"$date\": \"2020-01-01T00:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"week\"}}",
     "{\"v\": {\"$date\": \"2021-07-04T00:00:00Z\"}}", 0},
    {D,
     "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"week\", \"startOfWeek\": "
     "\"monday\"}}",
     "{\"v\": {\"$date\": \"2021-06-28T00:00:00Z\"}}", 0},
    {D,
     "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"day\", \"timezone\": "
     "\"America/New_York\"}}",
     "{\"v\": {\"$date\": \"2021-07-03T04:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"minute\", \"binSize\": 45}}",
     "{\"v\": {\"$date\": \"2021-07-04T03:00:00Z\"}}", 0},
    {D, "{\"$dateTrunc\": {\"date\": \"$summer\", \"unit\": \"day\", \"binSize\": 0}}", NULL,
     5439017},
    {D, "{\"$dateTrunc\": {\"date\": \"$nope\", \"unit\": \"day\"}}", "{\"v\": null}", 0},
    {D, "{\"$dateTrunc\": {\"unit\": \"day\"}}", NULL, 5439008},
};

EXPR_CASE_MAIN(dates, cases)
