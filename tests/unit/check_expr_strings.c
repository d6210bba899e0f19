/*
 * tests/unit/check_expr_strings.c -- string and regular expression operators
 * (src/worker/query/expr_strings.c, expr_regex.c): UTF-8 code points against bytes, coercion
 * to string, trimming with and without chars, replacement, $split, the regex operators with
 * captures and idx, null and missing inputs, and mongod's error codes (parse-time ones too).
 * Rows follow the manual's examples where it has them.
 */
#include "expr_case.h"

#define D                                                                                          \
    "{\"s\": \"hello world\", \"u\": \"caf\\u00e9 \\u00fcber\", \"n\": 5, \"sp\": \"  pad "        \
    "\\u3000\", \"dt\": {\"$date\": \"2020-01-02T03:04:05.678Z\"}, \"arr\": [1]}"

static const expr_case_t cases[] = {
    /* $concat */
    {D, "{\"$concat\": [\"a\", \"-\", \"$s\"]}", "{\"v\": \"a-hello world\"}", 0},
    {D, "{\"$concat\": [\"a\", \"$nope\"]}", "{\"v\": null}", 0},
    {D, "{\"$concat\": [\"a\", 1]}", NULL, 16702},
    {D, "{\"$concat\": []}", "{\"v\": \"\"}", 0},
    /* case, coercion */
    {D, "{\"$toUpper\": \"$s\"}", "{\"v\": \"HELLO WORLD\"}", 0},
    {D, "{\"$toUpper\": \"$u\"}", "{\"v\": \"CAF\\u00e9 \\u00fcBER\"}", 0},
    {D, "{\"$toLower\": \"ABC\"}", "{\"v\": \"abc\"}", 0},
    {D, "{\"$toLower\": \"$n\"}", "{\"v\": \"5\"}", 0},
    {D, "{\"$toUpper\": null}", "{\"v\": \"\"}", 0},
    {D, "{\"$toUpper\": \"$dt\"}", "{\"v\": \"2020-01-02T03:04:05.678Z\"}", 0},
    {D, "{\"$toUpper\": \"$arr\"}", NULL, 16007},
    {D, "{\"$toUpper\": [\"a\", \"b\"]}", NULL, 16020},
    {D, "{\"$strcasecmp\": [\"Hello\", \"hello\"]}", "{\"v\": 0}", 0},
    {D, "{\"$strcasecmp\": [\"a\", \"B\"]}", "{\"v\": -1}", 0},
    {D, "{\"$strcasecmp\": [\"ab\", \"a\"]}", "{\"v\": 1}", 0},
    {D, "{\"$strcasecmp\": [null, \"\"]}", "{\"v\": 0}", 0},
    /* lengths */
    {D, "{\"$strLenBytes\": \"$u\"}", "{\"v\": 11}", 0},
    {D, "{\"$strLenCP\": \"$u\"}", "{\"v\": 9}", 0},
    {D, "{\"$strLenBytes\": \"\"}", "{\"v\": 0}", 0},
    {D, "{\"$strLenCP\": null}", NULL, 34471},
    {D, "{\"$strLenBytes\": 5}", NULL, 34473},
    /* substrings */
    {D, "{\"$substrBytes\": [\"$s\", 0, 5]}", "{\"v\": \"hello\"}", 0},
    {D, "{\"$substr\": [\"$s\", 6, -1]}", "{\"v\": \"world\"}", 0},
    {D, "{\"$substrBytes\": [\"$s\", 20, 2]}", "{\"v\": \"\"}", 0},
    {D, "{\"$substrBytes\": [\"$u\", 4, 1]}", NULL, 28656},
    {D, "{\"$substrBytes\": [\"$u\", 0, 4]}", NULL, 28657},
    {D, "{\"$substrBytes\": [\"$u\", 0, 5]}", "{\"v\": \"caf\\u00e9\"}", 0},
    {D, "{\"$substrBytes\": [\"$s\", \"a\", 1]}", NULL, 16034},
    {D, "{\"$substrBytes\": [\"$s\", 0, \"a\"]}", NULL, 16035},
    {D, "{\"$substrBytes\": [\"$s\", -1, 1]}", NULL, 50752},
    {D, "{\"$substrBytes\": [null, 0, 1]}", "{\"v\": \"\"}", 0},
    {D, "{\"$substrCP\": [\"$u\", 3, 3]}", "{\"v\": \"\\u00e9 \\u00fc\"}", 0},
    {D, "{\"$substrCP\": [\"$u\", 0, 100]}", "{\"v\": \"caf\\u00e9 \\u00fcber\"}", 0},
    {D, "{\"$substrCP\": [\"$u\", 1.5, 1]}", NULL, 34451},
    {D, "{\"$substrCP\": [\"$u\", \"x\", 1]}", NULL, 34450},
    {D, "{\"$substrCP\": [\"$u\", 0, -1]}", NULL, 34454},
    {D, "{\"$substrCP\": [\"$u\", -1, 1]}", NULL, 34455},
    {D, "{\"$substrCP\": [\"$u\", 0, null]}", NULL, 34452},
    /* $indexOfBytes $indexOfCP */
    {D, "{\"$indexOfBytes\": [\"$s\", \"o\"]}", "{\"v\": 4}", 0},
    {D, "{\"$indexOfBytes\": [\"$s\", \"o\", 5]}", "{\"v\": 7}", 0},
    {D, "{\"$indexOfBytes\": [\"$s\", \"o\", 5, 7]}", "{\"v\": -1}", 0},
    {D, "{\"$indexOfBytes\": [\"$s\", \"z\"]}", "{\"v\": -1}", 0},
    {D, "{\"$indexOfBytes\": [\"$u\", \"b\"]}", "{\"v\": 8}", 0},
    {D, "{\"$indexOfCP\": [\"$u\", \"b\"]}", "{\"v\": 6}", 0},
    {D, "{\"$indexOfCP\": [\"$u\", \"\"]}", "{\"v\": 0}", 0},
    {D, "{\"$indexOfBytes\": [null, \"a\"]}", "{\"v\": null}", 0},
    {D, "{\"$indexOfBytes\": [1, \"a\"]}", NULL, 40091},
    {D, "{\"$indexOfCP\": [\"a\", 1]}", NULL, 40094},
    {D, "{\"$indexOfCP\": [\"a\", \"a\", 1.5]}", NULL, 40096},
    {D, "{\"$indexOfCP\": [\"a\", \"a\", -1]}", NULL, 40097},
    {D, "{\"$indexOfCP\": [\"a\", \"a\", 5]}", "{\"v\": -1}", 0},
    /* $split */
    {D, "{\"$split\": [\"June-15-2013\", \"-\"]}", "{\"v\": [\"June\", \"15\", \"2013\"]}", 0},
    {D, "{\"$split\": [\"abc\", \"x\"]}", "{\"v\": [\"abc\"]}", 0},
    {D, "{\"$split\": [\"-a-\", \"-\"]}", "{\"v\": [\"\", \"a\", \"\"]}", 0},
    {D, "{\"$split\": [null, \"-\"]}", "{\"v\": null}", 0},
    {D, "{\"$split\": [1, \"-\"]}", NULL, 40085},
    {D, "{\"$split\": [\"a\", 1]}", NULL, 40086},
    {D, "{\"$split\": [\"a\", \"\"]}", NULL, 40087},
    /* trimming */
    {D, "{\"$trim\": {\"input\": \"$sp\"}}", "{\"v\": \"pad\"}", 0},
    {D, "{\"$ltrim\": {\"input\": \"$sp\"}}", "{\"v\": \"pad \\u3000\"}", 0},
    {D, "{\"$rtrim\": {\"input\": \"$sp\"}}", "{\"v\": \"  pad\"}", 0},
    {D, "{\"$trim\": {\"input\": \"xxhixyx\", \"chars\": \"xy\"}}", "{\"v\": \"hi\"}", 0},
    {D, "{\"$trim\": {\"input\": \"\\u00e9a\\u00e9\", \"chars\": \"\\u00e9\"}}", "{\"v\": \"a\"}",
     0},
    {D, "{\"$trim\": {\"input\": null}}", "{\"v\": null}", 0},
    {D, "{\"$trim\": {\"input\": 1}}", NULL, 50699},
    {D, "{\"$trim\": {\"input\": \"a\", \"chars\": 1}}", NULL, 50700},
    {D, "{\"$trim\": {\"chars\": \"a\"}}", NULL, 50695},
    {D, "{\"$trim\": {\"input\": \"a\", \"x\": 1}}", NULL, 50694},
    {D, "{\"$trim\": \"a\"}", NULL, 50696},
    /* replacement */
    {D, "{\"$replaceOne\": {\"input\": \"a.b.c\", \"find\": \".\", \"replacement\": \"-\"}}",
     "{\"v\": \"a-b.c\"}", 0},
    {D, "{\"$replaceAll\": {\"input\": \"a.b.c\", \"find\": \".\", \"replacement\": \"--\"}}",
     "{\"v\": \"a--b--c\"}", 0},
    {D, "{\"$replaceAll\": {\"input\": \"ab\", \"find\": \"\", \"replacement\": \"X\"}}",
     "{\"v\": \"XaXbX\"}", 0},
    {D, "{\"$replaceOne\": {\"input\": \"ab\", \"find\": \"z\", \"replacement\": \"X\"}}",
     "{\"v\": \"ab\"}", 0},
    {D, "{\"$replaceOne\": {\"input\": null, \"find\": \"a\", \"replacement\": \"X\"}}",
     "{\"v\": null}", 0},
    {D, "{\"$replaceOne\": {\"input\": 1, \"find\": \"a\", \"replacement\": \"X\"}}", NULL, 51746},
    {D, "{\"$replaceAll\": {\"input\": \"a\", \"find\": 1, \"replacement\": \"X\"}}", NULL, 51745},
    {D, "{\"$replaceAll\": {\"input\": \"a\", \"find\": \"a\"}}", NULL, 51747},
    /* regular expressions */
    {D, "{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"^hel\"}}", "{\"v\": true}", 0},
    {D, "{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"^HEL\", \"options\": \"i\"}}",
     "{\"v\": true}", 0},
    {D,
     "{\"$regexMatch\": {\"input\": \"$s\", \"regex\": {\"$regularExpression\": "
     "{\"pattern\": \"^HEL\", \"options\": \"i\"}}}}",
     "{\"v\": true}", 0},
    {D, "{\"$regexMatch\": {\"input\": \"$nope\", \"regex\": \"a\"}}", "{\"v\": false}", 0},
    {D, "{\"$regexFind\": {\"input\": \"$u\", \"regex\": \"(\\u00fc)(b)(x)?\"}}",
     "{\"v\": {\"match\": \"\\u00fcb\", \"idx\": 5, \"captures\": [\"\\u00fc\", \"b\", null]}}", 0},
    {D, "{\"$regexFind\": {\"input\": \"$s\", \"regex\": \"z\"}}", "{\"v\": null}", 0},
    {D, "{\"$regexFindAll\": {\"input\": \"a1b22\", \"regex\": \"[0-9]+\"}}",
     "{\"v\": [{\"match\": \"1\", \"idx\": 1, \"captures\": []}, {\"match\": \"22\", \"idx\": 3, "
     "\"captures\": []}]}",
     0},
    {D, "{\"$regexFindAll\": {\"input\": \"ab\", \"regex\": \"x*\"}}",
     "{\"v\": [{\"match\": \"\", \"idx\": 0, \"captures\": []}, {\"match\": \"\", \"idx\": 1, "
     "\"captures\": []}, {\"match\": \"\", \"idx\": 2, \"captures\": []}]}",
     0},
    {D, "{\"$regexFindAll\": {\"input\": null, \"regex\": \"a\"}}", "{\"v\": []}", 0},
    {D, "{\"$regexFind\": {\"input\": 1, \"regex\": \"a\"}}", NULL, 51104},
    {D, "{\"$regexFind\": {\"input\": \"a\", \"regex\": 1}}", NULL, 51105},
    {D, "{\"$regexFind\": {\"input\": \"a\", \"regex\": \"a\", \"options\": 1}}", NULL, 51106},
    {D, "{\"$regexFind\": {\"input\": \"a\", \"regex\": \"a\", \"options\": \"q\"}}", NULL, 51108},
    {D, "{\"$regexFind\": {\"input\": \"a\", \"regex\": \"(\"}}", NULL, 51111},
    {D, "{\"$regexFind\": {\"input\": \"a\"}}", NULL, 31023},
    {D, "{\"$regexFind\": {\"regex\": \"a\"}}", NULL, 31022},
    {D, "{\"$regexFind\": {\"input\": \"a\", \"regex\": \"a\", \"bad\": 1}}", NULL, 31024},
};

EXPR_CASE_MAIN(strings, cases)
