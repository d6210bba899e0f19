/*
 * tests/unit/check_expr_objects.c -- comparison, conditional, object and variable operators
 * (src/worker/query/expr_compare.c, expr_objects.c): $switch and $cond, $ifNull with many
 * arguments, $mergeObjects, $let (scoped, each variable evaluated once, rebinding CURRENT),
 * $literal, $binarySize, $bsonSize, $tsSecond, $tsIncrement, null and missing inputs and
 * mongod's error codes (parse-time ones too).  Rows follow the manual's examples.
 */
#include "expr_case.h"

#define D                                                                                          \
    "{\"a\": 5, \"o\": {\"x\": 1, \"y\": 2}, \"p\": {\"y\": 3, \"z\": 4}, \"s\": \"caf\\u00e9\", " \
    "\"ts\": {\"$timestamp\": {\"t\": 1622731060, \"i\": 7}}, \"b\": {\"$binary\": "               \
    "{\"base64\": \"AQID\", \"subType\": \"00\"}}}"

static const expr_case_t cases[] = {
    /* comparison and conditionals */
    {D, "{\"$cmp\": [\"$a\", 4]}", "{\"v\": 1}", 0},
    {D, "{\"$eq\": [\"$a\", 5.0]}", "{\"v\": true}", 0},
    {D, "{\"$lt\": [\"$nope\", null]}", "{\"v\": true}", 0},
    {D, "{\"$and\": [1, \"a\", true]}", "{\"v\": true}", 0},
    {D, "{\"$or\": [0, null, false]}", "{\"v\": false}", 0},
    {D, "{\"$not\": [0]}", "{\"v\": true}", 0},
    {D, "{\"$cond\": {\"if\": {\"$gt\": [\"$a\", 3]}, \"then\": \"big\", \"else\": \"small\"}}",
     "{\"v\": \"big\"}", 0},
    {D, "{\"$cond\": [false, 1, 2]}", "{\"v\": 2}", 0},
    {D, "{\"$cond\": {\"if\": true, \"then\": 1}}", NULL, 17082},
    {D, "{\"$ifNull\": [\"$nope\", null, \"$a\"]}", "{\"v\": 5}", 0},
    {D, "{\"$ifNull\": [\"$a\", 0]}", "{\"v\": 5}", 0},
    {D, "{\"$ifNull\": [null, \"$nope\"]}", "{}", 0},
    {D, "{\"$ifNull\": [\"$nope\"]}", NULL, 16020},
    {D,
     "{\"$switch\": {\"branches\": [{\"case\": {\"$lt\": [\"$a\", 3]}, \"then\": \"low\"}, "
     "{\"case\": {\"$lt\": [\"$a\", 9]}, \"then\": \"mid\"}], \"default\": \"high\"}}",
     "{\"v\": \"mid\"}", 0},
    {D, "{\"$switch\": {\"branches\": [{\"case\": false, \"then\": 1}], \"default\": 0}}",
     "{\"v\": 0}", 0},
    {D, "{\"$switch\": {\"branches\": [{\"case\": false, \"then\": 1}]}}", NULL, 40066},
    {D, "{\"$switch\": {\"branches\": []}}", NULL, 40068},
    {D, "{\"$switch\": {\"branches\": [{\"case\": true}]}}", NULL, 40065},
    {D, "{\"$switch\": {\"branches\": [{\"then\": 1}]}}", NULL, 40064},
    {D, "{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1, \"x\": 1}]}}", NULL, 40063},
    {D, "{\"$switch\": {\"branches\": [1]}}", NULL, 40062},
    {D, "{\"$switch\": {\"branches\": 1}}", NULL, 40061},
    {D, "{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1}], \"x\": 1}}", NULL, 40067},
    /* $mergeObjects */
    {D, "{\"$mergeObjects\": [\"$o\", \"$p\"]}", "{\"v\": {\"x\": 1, \"y\": 3, \"z\": 4}}", 0},
    {D, "{\"$mergeObjects\": [\"$o\", null, \"$nope\"]}", "{\"v\": {\"x\": 1, \"y\": 2}}", 0},
    {D, "{\"$mergeObjects\": []}", "{\"v\": {}}", 0},
    {D, "{\"$mergeObjects\": [\"$o\", \"$a\"]}", NULL, 40400},
    /* $let and variables */
    {D,
     "{\"$let\": {\"vars\": {\"x\": 2, \"y\": {\"$add\": [\"$a\", 1]}}, \"in\": "
     "{\"$multiply\": [\"$$x\", \"$$y\"]}}}",
     "{\"v\": 12}", 0},
    {D,
     "{\"$let\": {\"vars\": {\"x\": 1}, \"in\": {\"$let\": {\"vars\": {\"x\": {\"$add\": "
     "[\"$$x\", 1]}}, \"in\": \"$$x\"}}}}",
     "{\"v\": 2}", 0},
    {D, "{\"$let\": {\"vars\": {\"CURRENT\": \"$o\"}, \"in\": \"$y\"}}", "{\"v\": 2}", 0},
    {D, "{\"$let\": {\"vars\": {\"x\": 1}, \"in\": \"$$ROOT.a\"}}", "{\"v\": 5}", 0},
    {D, "{\"$let\": {\"vars\": {\"x\": 1}}}", NULL, 16877},
    {D, "{\"$let\": {\"in\": 1}}", NULL, 16876},
    {D, "{\"$let\": {\"vars\": {}, \"in\": 1, \"z\": 2}}", NULL, 16875},
    {D, "{\"$let\": {\"vars\": {\"Bad\": 1}, \"in\": 1}}", NULL, 16870},
    {D, "{\"$let\": {\"vars\": {\"a-b\": 1}, \"in\": 1}}", NULL, 16871},
    {D, "{\"$let\": 5}", NULL, 16874},
    {D, "\"$$REMOVE\"", "{}", 0},
    {D, "{\"$$literal\": \"$a\"}", "{\"v\": \"$a\"}", 0},
    /* sizes and timestamps */
    {D, "{\"$binarySize\": \"$s\"}", "{\"v\": 5}", 0},
    {D, "{\"$binarySize\": \"$b\"}", "{\"v\": 3}", 0},
    {D, "{\"$binarySize\": null}", "{\"v\": null}", 0},
    {D, "{\"$binarySize\": 1}", NULL, 5155800},
    {D, "{\"$bsonSize\": \"$o\"}", "{\"v\": 19}", 0},
    {D, "{\"$bsonSize\": \"$nope\"}", "{\"v\": null}", 0},
    {D, "{\"$bsonSize\": \"$a\"}", NULL, 31393},
    {D, "{\"$tsSecond\": \"$ts\"}", "{\"v\": {\"$numberLong\": \"1622731060\"}}", 0},
    {D, "{\"$tsIncrement\": \"$ts\"}", "{\"v\": {\"$numberLong\": \"7\"}}", 0},
    {D, "{\"$tsSecond\": \"$a\"}", NULL, 5687301},
    {D, "{\"$tsIncrement\": null}", "{\"v\": null}", 0},
};

EXPR_CASE_MAIN(objects, cases)
