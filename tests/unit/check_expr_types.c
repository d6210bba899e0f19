/*
 * tests/unit/check_expr_types.c -- type operators (src/worker/query/expr_types.c): $type,
 * $convert across mongod's table of type pairs with onError and onNull, the $toX shorthands,
 * $isNumber, range and NaN checks, and mongod's error codes (241 ConversionFailure and the
 * parse-time ones).  Rows follow the manual's examples where it has them.
 */
#include "expr_case.h"

#define D                                                                                          \
    "{\"i\": 5, \"l\": {\"$numberLong\": \"5000000000\"}, \"d\": 2.7, \"s\": \"42\", "             \
    "\"oid\": {\"$oid\": \"5ab9cbfa31c2ab715d42129e\"}, \"dt\": {\"$date\": "                      \
    "\"2018-03-27T04:08:58.000Z\"}, \"t\": true, \"arr\": [1]}"

static const expr_case_t cases[] = {
    {D, "{\"$type\": \"$i\"}", "{\"v\": \"int\"}", 0},
    {D, "{\"$type\": \"$nope\"}", "{\"v\": \"missing\"}", 0},
    {D, "{\"$type\": \"$arr\"}", "{\"v\": \"array\"}", 0},
    {D, "{\"$isNumber\": \"$d\"}", "{\"v\": true}", 0},
    {D, "{\"$isNumber\": \"$s\"}", "{\"v\": false}", 0},
    /* to int / long */
    {D, "{\"$toInt\": \"$d\"}", "{\"v\": 2}", 0},
    {D, "{\"$toInt\": \"$s\"}", "{\"v\": 42}", 0},
    {D, "{\"$toInt\": \"$t\"}", "{\"v\": 1}", 0},
    {D, "{\"$toInt\": \"$l\"}", NULL, 241},
    {D, "{\"$toInt\": \"4.5\"}", NULL, 241},
    {D, "{\"$toInt\": {\"$numberDouble\": \"NaN\"}}", NULL, 241},
    {D, "{\"$toInt\": \"$dt\"}", NULL, 241},
    {D, "{\"$toInt\": null}", "{\"v\": null}", 0},
    {D, "{\"$toLong\": \"$dt\"}", "{\"v\": {\"$numberLong\": \"1522123738000\"}}", 0},
    {D, "{\"$toLong\": \"$i\"}", "{\"v\": {\"$numberLong\": \"5\"}}", 0},
    {D, "{\"$toLong\": \"-9223372036854775808\"}",
     "{\"v\": {\"$numberLong\": \"-9223372036854775808\"}}", 0},
    {D, "{\"$toLong\": \"9223372036854775808\"}", NULL, 241},
    {D, "{\"$toLong\": {\"$numberDecimal\": \"-5.9\"}}", "{\"v\": {\"$numberLong\": \"-5\"}}", 0},
    /* to double / decimal */
    {D, "{\"$toDouble\": \"$i\"}", "{\"v\": 5.0}", 0},
    {D, "{\"$toDouble\": \"2.5e3\"}", "{\"v\": 2500.0}", 0},
    {D, "{\"$toDouble\": \"abc\"}", NULL, 241},
    {D, "{\"$toDouble\": \"$dt\"}", "{\"v\": 1522123738000.0}", 0},
    {D, "{\"$toDouble\": \"$oid\"}", NULL, 241},
    {D, "{\"$toDecimal\": \"$d\"}", "{\"v\": {\"$numberDecimal\": \"2.70000000000000\"}}", 0},
    {D, "{\"$toDecimal\": \"$i\"}", "{\"v\": {\"$numberDecimal\": \"5\"}}", 0},
    {D, "{\"$toDecimal\": \"1.10\"}", "{\"v\": {\"$numberDecimal\": \"1.10\"}}", 0},
    {D, "{\"$toDecimal\": \"$t\"}", "{\"v\": {\"$numberDecimal\": \"1\"}}", 0},
    /* to string */
    {D, "{\"$toString\": \"$d\"}", "{\"v\": \"2.7\"}", 0},
    {D, "{\"$toString\": \"$l\"}", "{\"v\": \"5000000000\"}", 0},
    {D, "{\"$toString\": \"$t\"}", "{\"v\": \"true\"}", 0},
    {D, "{\"$toString\": \"$oid\"}", "{\"v\": \"5ab9cbfa31c2ab715d42129e\"}", 0},
    {D, "{\"$toString\": \"$dt\"}", "{\"v\": \"2018-03-27T04:08:58.000Z\"}", 0},
    {D, "{\"$toString\": {\"$numberDecimal\": \"1.50\"}}", "{\"v\": \"1.50\"}", 0},
    {D, "{\"$toString\": \"$arr\"}", NULL, 241},
    /* to bool */
    {D, "{\"$toBool\": 0}", "{\"v\": false}", 0},
    {D, "{\"$toBool\": 0.5}", "{\"v\": true}", 0},
    {D, "{\"$toBool\": \"\"}", "{\"v\": true}", 0},
    {D, "{\"$toBool\": \"false\"}", "{\"v\": true}", 0},
    {D, "{\"$toBool\": \"$oid\"}", "{\"v\": true}", 0},
    {D, "{\"$toBool\": {\"$numberDecimal\": \"0\"}}", "{\"v\": false}", 0},
    /* to objectId / date */
    {D, "{\"$toObjectId\": \"5ab9cbfa31c2ab715d42129e\"}",
     "{\"v\": {\"$oid\": \"5ab9cbfa31c2ab715d42129e\"}}", 0},
    {D, "{\"$toObjectId\": \"5ab9cbfa\"}", NULL, 241},
    {D, "{\"$toObjectId\": 5}", NULL, 241},
    {D, "{\"$toDate\": \"$oid\"}", "{\"v\": {\"$date\": \"2018-03-27T04:43:38Z\"}}", 0},
    {D, "{\"$toDate\": \"$l\"}", "{\"v\": {\"$date\": \"1970-02-27T20:53:20Z\"}}", 0},
    {D, "{\"$toDate\": \"2018-03-03\"}", "{\"v\": {\"$date\": \"2018-03-03T00:00:00Z\"}}", 0},
    {D, "{\"$toDate\": \"2018-03-20T11:00:06+05:00\"}",
     "{\"v\": {\"$date\": \"2018-03-20T06:00:06Z\"}}", 0},
    {D, "{\"$toDate\": \"$i\"}", NULL, 241},
    {D, "{\"$toDate\": \"not a date\"}", NULL, 241},
    /* $convert */
    {D, "{\"$convert\": {\"input\": \"$s\", \"to\": \"int\"}}", "{\"v\": 42}", 0},
    {D, "{\"$convert\": {\"input\": \"$s\", \"to\": 16}}", "{\"v\": 42}", 0},
    {D, "{\"$convert\": {\"input\": \"x\", \"to\": \"int\", \"onError\": -1}}", "{\"v\": -1}", 0},
    {D, "{\"$convert\": {\"input\": \"$nope\", \"to\": \"int\", \"onNull\": 0}}", "{\"v\": 0}", 0},
    {D, "{\"$convert\": {\"input\": \"$nope\", \"to\": \"int\"}}", "{\"v\": null}", 0},
    {D, "{\"$convert\": {\"input\": 1, \"to\": null}}", "{\"v\": null}", 0},
    {D, "{\"$convert\": {\"input\": \"x\", \"to\": \"int\"}}", NULL, 241},
    {D, "{\"$convert\": {\"input\": 1, \"to\": \"nope\"}}", NULL, 2},
    {D, "{\"$convert\": {\"input\": 1, \"to\": \"nope\", \"onError\": 0}}", NULL, 2},
    {D, "{\"$convert\": {\"input\": 1}}", NULL, 9},
    {D, "{\"$convert\": {\"input\": 1, \"to\": \"int\", \"x\": 1}}", NULL, 9},
};

EXPR_CASE_MAIN(types, cases)
