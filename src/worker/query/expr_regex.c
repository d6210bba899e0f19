/*
 * src/worker/query/expr_regex.c -- the regular expression operators $regexFind,
 * $regexFindAll and $regexMatch.
 *
 * {input, regex, options}: `regex` is a string or a BSON regex (whose own flags exclude
 * `options`).  The pattern compiles through the matcher's wk_regex_compile (PCRE2 in UTF mode,
 * options i m s x u, the same match limits as $regex), once per evaluation.  A match is
 * {match, idx, captures}: idx counts code points, an unmatched group is null.  $regexFindAll
 * moves past an empty match by one code point, as mongod does.  A null or missing input or
 * regex answers null, [] and false.
 *
 * Invariants: every value produced is owned by the caller; compiled patterns and match data
 * are freed on all paths.
 */
#include "expr_int.h"
#include "matcher_int.h"

#include <string.h>

#include "../../common/sdb.h"

static const char *const regex_args[] = {"input", "regex", "options", NULL};
static const char *const regex_required[] = {"input", "regex", NULL};
static const int regex_missing[] = {SDB_CODE_Location31022, SDB_CODE_Location31023};

static int
check_regex(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, regex_args, regex_required, SDB_CODE_Location51103,
                               SDB_CODE_Location31024, regex_missing, err);
}

/* compile -- the pattern and options of `re`/`opts` (already type-checked). */
static int
compile(const wk_expr_t *e, const bson_value_t *re, const bson_value_t *opts, wk_regex_t *out,
        sdb_error_t *err)
{
    const char *pattern, *options = "";
    int ret;

    if (re->value_type == BSON_TYPE_REGEX) {
        pattern = re->value.v_regex.regex;
        options = re->value.v_regex.options;
        if (opts->value_type == BSON_TYPE_UTF8 && opts->value.v_utf8.len > 0 && options[0] != '\0')
            return sdb_error_set(err, SDB_CODE_Location51107,
                                 "%s found regex option(s) specified in both 'regex' and 'option' "
                                 "fields",
                                 e->op->name);
    } else {
        pattern = re->value.v_utf8.str;
        if (strlen(pattern) != re->value.v_utf8.len)
            return sdb_error_set(err, SDB_CODE_Location51109,
                                 "%s: regular expression cannot contain an embedded null byte",
                                 e->op->name);
    }
    if (opts->value_type == BSON_TYPE_UTF8 && opts->value.v_utf8.len > 0) {
        options = opts->value.v_utf8.str;
        if (strlen(options) != opts->value.v_utf8.len)
            return sdb_error_set(err, SDB_CODE_Location51110,
                                 "%s: regular expression options cannot contain an embedded null "
                                 "byte",
                                 e->op->name);
    }
    ret = wk_regex_compile(pattern, options, out, err);
    if (ret != 0 && err->code == SDB_CODE_Location51108)
        return sdb_error_set(err, SDB_CODE_Location51108, "%s invalid flag in regex options: %s",
                             e->op->name, options);
    if (ret != 0 && err->code == SDB_CODE_Location51091)
        return sdb_error_set(err, SDB_CODE_Location51111, "Invalid Regex in %s: %s", e->op->name,
                             err->msg);
    return ret;
}

/* eval_parts -- input, regex and options; *null when input or regex is nullish. */
static int
eval_parts(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t v[3], bool *null, sdb_error_t *err)
{
    size_t i;

    memset(v, 0, sizeof(*v) * 3);
    for (i = 0; i < 3; i++)
        if (wk_expr_kid(e, regex_args[i]) != NULL)
            SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, regex_args[i]), ctx, &v[i], err));
    if (!wk_value_nullish(&v[0]) && v[0].value_type != BSON_TYPE_UTF8)
        return sdb_error_set(err, SDB_CODE_Location51104, "%s needs 'input' to be of type string",
                             e->op->name);
    if (!wk_value_nullish(&v[1]) && v[1].value_type != BSON_TYPE_UTF8 &&
        v[1].value_type != BSON_TYPE_REGEX)
        return sdb_error_set(err, SDB_CODE_Location51105,
                             "%s needs 'regex' to be of type string or regex", e->op->name);
    if (!wk_value_nullish(&v[2]) && v[2].value_type != BSON_TYPE_UTF8)
        return sdb_error_set(err, SDB_CODE_Location51106, "%s needs 'options' to be of type string",
                             e->op->name);
    *null = wk_value_nullish(&v[0]) || wk_value_nullish(&v[1]);
    return 0;
}

static size_t
cp_count(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) == 0x80 ? 0 : 1;
    return n;
}

/* append_match -- {match, idx, captures} of the match in `md` on `s` into `b`. */
static void
append_match(bson_t *b, const char *key, pcre2_match_data *md, const char *s)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t i, n = pcre2_get_ovector_count(md), groups;
    char k[16];
    const char *kp;
    bson_t doc, caps;

    groups = n;
    bson_append_document_begin(b, key, -1, &doc);
    bson_append_utf8(&doc, "match", 5, s + ov[0], (int)(ov[1] - ov[0]));
    bson_append_int32(&doc, "idx", 3, (int32_t)cp_count(s, ov[0]));
    bson_append_array_begin(&doc, "captures", 8, &caps);
    for (i = 1; i < groups; i++) {
        bson_uint32_to_string(i - 1, &kp, k, sizeof(k));
        if (ov[2 * i] == PCRE2_UNSET)
            bson_append_null(&caps, kp, -1);
        else
            bson_append_utf8(&caps, kp, -1, s + ov[2 * i], (int)(ov[2 * i + 1] - ov[2 * i]));
    }
    bson_append_array_end(&doc, &caps);
    bson_append_document_end(b, &doc);
}

/* run -- find matches of `re` in s: one for find/match, all for findAll; result into *out. */
static int
run(const wk_expr_t *e, const wk_regex_t *re, const char *s, size_t len, bson_value_t *out,
    sdb_error_t *err)
{
    bool all = strcmp(e->op->name, "$regexFindAll") == 0,
         match = strcmp(e->op->name, "$regexMatch") == 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    PCRE2_SIZE start = 0, *ov;
    uint32_t k = 0;
    char key[16];
    const char *kp;
    bson_t arr, one;
    int rc, ret = 0;

    bson_init(&arr);
    for (;;) {
        rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, md, re->limits);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location51156,
                                  "%s: error matching the regular expression (%d)", e->op->name,
                                  rc));
        if (match) {
            wk_value_bool(out, true);
            goto err;
        }
        bson_uint32_to_string(k++, &kp, key, sizeof(key));
        append_match(&arr, kp, md, s);
        if (!all)
            break;
        ov = pcre2_get_ovector_pointer(md);
        start = ov[1];
        if (ov[1] == ov[0]) { /* an empty match: step one code point */
            if (start >= len)
                break;
            for (start++; start < len && ((unsigned char)s[start] & 0xc0) == 0x80; start++)
                ;
        }
        if (start > len)
            break;
    }
    if (match) {
        wk_value_bool(out, false);
    } else if (all) {
        wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
        pcre2_match_data_free(md);
        return 0;
    } else if (k == 0) {
        wk_value_null(out);
    } else {
        bson_iter_t it;
        bson_t inner;
        const uint8_t *data;
        uint32_t dlen;
        if (bson_iter_init_find(&it, &arr, "0")) {
            bson_iter_document(&it, &dlen, &data);
            bson_init_static(&inner, data, dlen);
            bson_copy_to(&inner, &one);
            wk_value_from_bson(out, &one, BSON_TYPE_DOCUMENT);
        }
    }
err:
    bson_destroy(&arr);
    pcre2_match_data_free(md);
    return ret;
}

static int
op_regex(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[3];
    wk_regex_t re;
    bool null = false;
    bson_t empty;
    int ret = 0;

    memset(&re, 0, sizeof(re));
    SDB_ERR(eval_parts(e, ctx, v, &null, err));
    if (null) {
        if (strcmp(e->op->name, "$regexMatch") == 0) {
            wk_value_bool(out, false);
        } else if (strcmp(e->op->name, "$regexFindAll") == 0) {
            bson_init(&empty);
            wk_value_from_bson(out, &empty, BSON_TYPE_ARRAY);
        } else {
            wk_value_null(out);
        }
        goto err;
    }
    SDB_ERR(compile(e, &v[1], &v[2], &re, err));
    SDB_ERR(run(e, &re, v[0].value.v_utf8.str, v[0].value.v_utf8.len, out, err));
err:
    wk_regex_destroy(&re);
    wk_value_clear(&v[0]);
    wk_value_clear(&v[1]);
    wk_value_clear(&v[2]);
    return ret;
}

const wk_expr_op_t wk_expr_ops_regex[] = {
    {"$regexFind", 0, -2, op_regex, check_regex},
    {"$regexFindAll", 0, -2, op_regex, check_regex},
    {"$regexMatch", 0, -2, op_regex, check_regex},
    {NULL, 0, 0, NULL, NULL},
};
