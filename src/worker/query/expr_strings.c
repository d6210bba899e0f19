/*
 * src/worker/query/expr_strings.c -- string expression operators: $concat $substr
 * $substrBytes $substrCP $toLower $toUpper $strcasecmp $strLenBytes $strLenCP $indexOfBytes
 * $indexOfCP $split $trim $ltrim $rtrim $replaceOne $replaceAll, and the regular expression
 * operators $regexFind $regexFindAll $regexMatch.
 *
 * Strings are UTF-8: the *CP operators count code points, the *Bytes ones bytes (refusing to
 * cut a character in half, as mongod does).  $toLower, $toUpper and $strcasecmp change ASCII
 * letters only and, like $substr*, take any value mongod coerces to a string (numbers, dates,
 * null as "").  Regular expressions compile through the matcher's wk_regex_compile (PCRE2,
 * UTF mode, the same options and limits as $regex); a result's `idx` counts code points and
 * an unmatched capture group is null.
 *
 * Invariants: every value produced is owned by the caller; arguments are freed on all paths.
 */
#include "expr_int.h"
#include "matcher_int.h"
#include "num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sdb.h"

/* ---- UTF-8 -------------------------------------------------------------------------------- */

static bool
is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* cp_count -- code points in s[0..len). */
static size_t
cp_count(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += is_cont((unsigned char)s[i]) ? 0 : 1;
    return n;
}

/* cp_offset -- the byte offset of code point `cp` (len when past the end). */
static size_t
cp_offset(const char *s, size_t len, size_t cp)
{
    size_t i;

    for (i = 0; i < len && cp > 0; cp--)
        for (i++; i < len && is_cont((unsigned char)s[i]); i++)
            ;
    return i;
}

static const char *
str_of(const bson_value_t *v, size_t *len)
{
    *len = v->value.v_utf8.len;
    return v->value.v_utf8.str;
}

/* ---- $concat $toLower $toUpper $strcasecmp --------------------------------------------------- */

static int
op_concat(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_string_t *s = bson_string_new(NULL);
    bson_value_t v;
    bool null = false;
    size_t i;
    int ret = 0;

    for (i = 0; i < e->n; i++) {
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        if (wk_value_nullish(&v))
            null = true;
        else if (v.value_type != BSON_TYPE_UTF8)
            ret = sdb_error_set(err, SDB_CODE_Location16702,
                                "$concat only supports strings, not %s", wk_value_type_name(&v));
        else
            bson_string_append(s, v.value.v_utf8.str);
        wk_value_clear(&v);
        SDB_ERR(ret);
    }
    if (null)
        wk_value_null(out);
    else
        wk_value_utf8(out, s->str, s->len);
err:
    bson_string_free(s, true);
    return ret;
}

/* eval_coerced -- evaluate argument `i` and coerce it to a string. */
static int
eval_coerced(const wk_expr_t *e, size_t i, wk_eval_ctx_t *ctx, bson_string_t *s, sdb_error_t *err)
{
    bson_value_t v;
    int ret;

    SDB_RET(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
    ret = wk_value_coerce_string(&v, s, err);
    wk_value_clear(&v);
    return ret;
}

static int
op_case(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool upper = strcmp(e->op->name, "$toUpper") == 0;
    bson_string_t *s = bson_string_new(NULL);
    uint32_t i;
    int ret = 0;

    SDB_ERR(eval_coerced(e, 0, ctx, s, err));
    for (i = 0; i < s->len; i++) {
        char c = s->str[i];
        if (upper && c >= 'a' && c <= 'z')
            s->str[i] = (char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            s->str[i] = (char)(c + 32);
    }
    wk_value_utf8(out, s->str, s->len);
err:
    bson_string_free(s, true);
    return ret;
}

static int
op_strcasecmp(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_string_t *a = bson_string_new(NULL), *b = bson_string_new(NULL);
    size_t i, n;
    int c = 0, ret = 0;

    SDB_ERR(eval_coerced(e, 0, ctx, a, err));
    SDB_ERR(eval_coerced(e, 1, ctx, b, err));
    n = a->len < b->len ? a->len : b->len;
    for (i = 0; i < n && c == 0; i++) {
        int x = (unsigned char)a->str[i], y = (unsigned char)b->str[i];
        x = x >= 'A' && x <= 'Z' ? x + 32 : x;
        y = y >= 'A' && y <= 'Z' ? y + 32 : y;
        c = x - y;
    }
    if (c == 0)
        c = a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
    wk_value_int32(out, c < 0 ? -1 : c > 0 ? 1 : 0);
err:
    bson_string_free(a, true);
    bson_string_free(b, true);
    return ret;
}

/* ---- lengths and substrings ---------------------------------------------------------------- */

static int
op_strlen(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool cp = strcmp(e->op->name, "$strLenCP") == 0;
    bson_value_t v;
    int ret = 0;

    SDB_RET(wk_expr_eval_ctx(e->kids[0], ctx, &v, err));
    if (v.value_type != BSON_TYPE_UTF8)
        ret = sdb_error_set(err, cp ? SDB_CODE_Location34471 : SDB_CODE_Location34473,
                            "%s requires a string argument, found: %s", e->op->name,
                            wk_value_type_name(&v));
    else
        wk_value_int32(out, (int32_t)(cp ? cp_count(v.value.v_utf8.str, v.value.v_utf8.len)
                                         : v.value.v_utf8.len));
    wk_value_clear(&v);
    return ret;
}

static int
op_substr_bytes(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_string_t *s = bson_string_new(NULL);
    bson_value_t v[3];
    int64_t lower, length;
    size_t end;
    int ret = 0;

    memset(v, 0, sizeof(v));
    SDB_ERR(eval_coerced(e, 0, ctx, s, err));
    SDB_ERR(wk_expr_args(e, ctx, v, err));
    if (!wk_num_is(&v[1]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16034,
                              "%s:  starting index must be a numeric type (is BSON type %s)",
                              e->op->name, wk_value_type_name(&v[1])));
    if (!wk_num_is(&v[2]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16035,
                              "%s:  length must be a numeric type (is BSON type %s)", e->op->name,
                              wk_value_type_name(&v[2])));
    lower = (int64_t)wk_num_double(&v[1]);
    length = (int64_t)wk_num_double(&v[2]);
    if (lower < 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location50752,
                              "%s: starting index must be non-negative (got: %lld)", e->op->name,
                              (long long)lower));
    if ((size_t)lower < s->len && is_cont((unsigned char)s->str[lower]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28656,
                              "%s:  Invalid range, starting index is a UTF-8 continuation byte.",
                              e->op->name));
    if ((size_t)lower >= s->len) {
        wk_value_utf8(out, "", 0);
        goto err;
    }
    end = length < 0 || (uint64_t)length >= s->len - (size_t)lower ? s->len
                                                                   : (size_t)(lower + length);
    if (end < s->len && is_cont((unsigned char)s->str[end]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location28657,
                              "%s:  Invalid range, ending index is in the middle of a UTF-8 "
                              "character.",
                              e->op->name));
    wk_value_utf8(out, s->str + lower, end - (size_t)lower);
err:
    wk_expr_args_free(e, v);
    bson_string_free(s, true);
    return ret;
}

/* int_arg -- a number with an integral value that fits in int32, else false. */
static bool
int_arg(const bson_value_t *v, int64_t *out)
{
    wk_dec_t d;

    if (!wk_num_is(v))
        return false;
    d = wk_dec_from_value(v);
    return wk_dec_is_integral(d) && wk_dec_to_int64(d, WK_DEC_TRUNC, out) && *out >= INT32_MIN &&
           *out <= INT32_MAX;
}

static int
op_substr_cp(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_string_t *s = bson_string_new(NULL);
    char shown[64];
    bson_value_t v[3];
    int64_t start = 0, length = 0;
    size_t b0, b1;
    int ret = 0;

    memset(v, 0, sizeof(v));
    SDB_ERR(eval_coerced(e, 0, ctx, s, err));
    SDB_ERR(wk_expr_args(e, ctx, v, err));
    if (!wk_num_is(&v[1]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34450,
                              "$substrCP: starting index must be a numeric type (is BSON type %s)",
                              wk_value_type_name(&v[1])));
    if (!wk_num_is(&v[2]))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34452,
                              "$substrCP: length must be a numeric type (is BSON type %s)",
                              wk_value_type_name(&v[2])));
    wk_double_string(wk_num_double(&v[1]), shown, sizeof(shown));
    if (!int_arg(&v[1], &start))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34451,
                              "$substrCP: starting index cannot be represented as a 32-bit "
                              "integral value: %s",
                              shown));
    wk_double_string(wk_num_double(&v[2]), shown, sizeof(shown));
    if (!int_arg(&v[2], &length))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34453,
                              "$substrCP: length cannot be represented as a 32-bit integral "
                              "value: %s",
                              shown));
    if (length < 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34454,
                              "$substrCP: length must be a nonnegative integer."));
    if (start < 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location34455,
                              "$substrCP: the starting index must be nonnegative integer."));
    b0 = cp_offset(s->str, s->len, (size_t)start);
    b1 = b0 + cp_offset(s->str + b0, s->len - b0, (size_t)length);
    wk_value_utf8(out, s->str + b0, b1 - b0);
err:
    wk_expr_args_free(e, v);
    bson_string_free(s, true);
    return ret;
}

/* ---- $indexOfBytes $indexOfCP -------------------------------------------------------------- */

/* index_bound -- argument `i` of $indexOf* as a non-negative integer (`what`: starting,
 * ending). */
static int
index_bound(const wk_expr_t *e, const bson_value_t *v, const char *what, int64_t *out,
            sdb_error_t *err)
{
    char shown[64];

    if (!wk_num_is(v) || !int_arg(v, out)) {
        if (wk_num_is(v))
            wk_double_string(wk_num_double(v), shown, sizeof(shown));
        else
            bson_strncpy(shown, wk_value_type_name(v), sizeof(shown));
        return sdb_error_set(err, SDB_CODE_Location40096,
                             "%s requires an integral %s index, found a value of type: %s, with "
                             "value: %s",
                             e->op->name, what, wk_value_type_name(v), shown);
    }
    if (*out < 0)
        return sdb_error_set(err, SDB_CODE_Location40097,
                             "%s requires a nonnegative %s index, found: %lld", e->op->name, what,
                             (long long)*out);
    return 0;
}

static int
op_index_of_str(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool cp = strcmp(e->op->name, "$indexOfCP") == 0;
    bson_value_t v[4];
    const char *s, *sub, *hit;
    size_t len, sublen, b0, b1, total;
    int64_t start = 0, end = -1;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0])) {
        wk_value_null(out);
        goto err;
    }
    if (v[0].value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, cp ? SDB_CODE_Location40093 : SDB_CODE_Location40091,
                              "%s requires a string as the first argument, found: %s", e->op->name,
                              wk_value_type_name(&v[0])));
    if (v[1].value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, cp ? SDB_CODE_Location40094 : SDB_CODE_Location40092,
                              "%s requires a string as the second argument, found: %s", e->op->name,
                              wk_value_type_name(&v[1])));
    if (e->n > 2)
        SDB_ERR(index_bound(e, &v[2], "starting", &start, err));
    if (e->n > 3)
        SDB_ERR(index_bound(e, &v[3], "ending", &end, err));
    s = str_of(&v[0], &len);
    sub = str_of(&v[1], &sublen);
    total = cp ? cp_count(s, len) : len;
    if ((size_t)start > total || (end >= 0 && end < start)) {
        wk_value_int32(out, -1);
        goto err;
    }
    b0 = cp ? cp_offset(s, len, (size_t)start) : (size_t)start;
    b1 = end < 0 || (size_t)end > total ? len : cp ? cp_offset(s, len, (size_t)end) : (size_t)end;
    hit = b1 - b0 >= sublen ? memmem(s + b0, b1 - b0, sub, sublen) : NULL;
    if (hit == NULL)
        wk_value_int32(out, -1);
    else
        wk_value_int32(out, (int32_t)(cp ? cp_count(s, (size_t)(hit - s)) : (size_t)(hit - s)));
err:
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- $split -------------------------------------------------------------------------------- */

static void
append_str(bson_t *arr, uint32_t *k, const char *s, size_t len)
{
    char key[16];
    const char *kp;

    bson_uint32_to_string((*k)++, &kp, key, sizeof(key));
    bson_append_utf8(arr, kp, -1, s, (int)len);
}

static int
op_split(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_value_t v[2];
    const char *s, *sep, *hit;
    size_t len, seplen;
    uint32_t k = 0;
    bson_t arr;
    int ret = 0;

    SDB_RET(wk_expr_args(e, ctx, v, err));
    if (wk_value_nullish(&v[0]) || wk_value_nullish(&v[1])) {
        wk_value_null(out);
        goto err;
    }
    if (v[0].value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40085,
                              "$split requires an expression that evaluates to a string as a "
                              "first argument, found: %s",
                              wk_value_type_name(&v[0])));
    if (v[1].value_type != BSON_TYPE_UTF8)
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location40086,
                              "$split requires an expression that evaluates to a string as a "
                              "second argument, found: %s",
                              wk_value_type_name(&v[1])));
    s = str_of(&v[0], &len);
    sep = str_of(&v[1], &seplen);
    if (seplen == 0)
        SDB_ERR(
            sdb_error_set(err, SDB_CODE_Location40087, "$split requires a non-empty separator"));
    bson_init(&arr);
    while ((hit = memmem(s, len, sep, seplen)) != NULL) {
        append_str(&arr, &k, s, (size_t)(hit - s));
        len -= (size_t)(hit - s) + seplen;
        s = hit + seplen;
    }
    append_str(&arr, &k, s, len);
    wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
err:
    wk_expr_args_free(e, v);
    return ret;
}

/* ---- $trim $ltrim $rtrim ------------------------------------------------------------------- */

/* The default characters: mongod's whitespace, ASCII and Unicode. */
static const char *const trim_default[] = {
    "\0",           " ",
    "\t",           "\n",
    "\v",           "\f",
    "\r",           "\xc2\xa0",
    "\xe1\x9a\x80", "\xe2\x80\x80",
    "\xe2\x80\x81", "\xe2\x80\x82",
    "\xe2\x80\x83", "\xe2\x80\x84",
    "\xe2\x80\x85", "\xe2\x80\x86",
    "\xe2\x80\x87", "\xe2\x80\x88",
    "\xe2\x80\x89", "\xe2\x80\x8a",
    "\xe2\x80\xa8", "\xe2\x80\xa9",
    "\xe2\x80\xaf", "\xe2\x81\x9f",
    "\xe3\x80\x80",
};

/* cp_len -- the byte length of the code point starting at s[0] (at most `left`). */
static size_t
cp_len(const char *s, size_t left)
{
    size_t n = 1;

    while (n < left && is_cont((unsigned char)s[n]))
        n++;
    return n;
}

/* in_set -- is the code point s[0..n) one of `chars` (a string of code points), or of the
 * default set when chars is NULL? */
static bool
in_set(const char *s, size_t n, const char *chars, size_t clen)
{
    size_t i, m;

    if (chars == NULL) {
        for (i = 0; i < sizeof(trim_default) / sizeof(trim_default[0]); i++)
            if ((n == 1 && s[0] == '\0' && i == 0) ||
                (i > 0 && strlen(trim_default[i]) == n && memcmp(trim_default[i], s, n) == 0))
                return true;
        return false;
    }
    for (i = 0; i < clen; i += m) {
        m = cp_len(chars + i, clen - i);
        if (m == n && memcmp(chars + i, s, n) == 0)
            return true;
    }
    return false;
}

/* last_cp -- the byte length of the last code point of s[0..len). */
static size_t
last_cp(const char *s, size_t len)
{
    size_t i = len - 1;

    while (i > 0 && is_cont((unsigned char)s[i]))
        i--;
    return len - i;
}

static const char *const trim_allowed[] = {"input", "chars", NULL};
static const char *const trim_required[] = {"input", NULL};
static const int trim_missing[] = {SDB_CODE_Location50695};

static int
check_trim(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, trim_allowed, trim_required, SDB_CODE_Location50696,
                               SDB_CODE_Location50694, trim_missing, err);
}

/* trim_arg -- evaluate `name`; false with *null when nullish; a non-string is `code`. */
static int
trim_arg(const wk_expr_t *e, const char *name, int code, wk_eval_ctx_t *ctx, bson_value_t *v,
         sdb_error_t *err)
{
    SDB_RET(wk_expr_eval_ctx(wk_expr_kid(e, name), ctx, v, err));
    if (wk_value_nullish(v) || v->value_type == BSON_TYPE_UTF8)
        return 0;
    sdb_error_set(err, code, "%s requires %s to be a string, got %s instead.", e->op->name,
                  strcmp(name, "input") == 0 ? "its input" : "'chars'", wk_value_type_name(v));
    wk_value_clear(v);
    return SDB_ECLIENT;
}

static int
op_trim(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bool left = strcmp(e->op->name, "$rtrim") != 0, right = strcmp(e->op->name, "$ltrim") != 0;
    bson_value_t in, ch;
    const char *s, *chars = NULL;
    size_t len, clen = 0, n;
    int ret = 0;

    memset(&ch, 0, sizeof(ch));
    SDB_RET(trim_arg(e, "input", SDB_CODE_Location50699, ctx, &in, err));
    if (wk_expr_kid(e, "chars") != NULL)
        SDB_ERR(trim_arg(e, "chars", SDB_CODE_Location50700, ctx, &ch, err));
    if (wk_value_nullish(&in) || (wk_expr_kid(e, "chars") != NULL && wk_value_nullish(&ch))) {
        wk_value_null(out);
        goto err;
    }
    s = str_of(&in, &len);
    if (ch.value_type == BSON_TYPE_UTF8)
        chars = str_of(&ch, &clen);
    while (left && len > 0) {
        n = cp_len(s, len);
        if (!in_set(s, n, chars, clen))
            break;
        s += n;
        len -= n;
    }
    while (right && len > 0) {
        n = last_cp(s, len);
        if (!in_set(s + len - n, n, chars, clen))
            break;
        len -= n;
    }
    wk_value_utf8(out, s, len);
err:
    wk_value_clear(&in);
    wk_value_clear(&ch);
    return ret;
}

/* ---- $replaceOne $replaceAll --------------------------------------------------------------- */

static const char *const replace_args[] = {"input", "find", "replacement", NULL};
static const int replace_missing[] = {SDB_CODE_Location51749, SDB_CODE_Location51748,
                                      SDB_CODE_Location51747};

static int
check_replace(const wk_expr_t *e, sdb_error_t *err)
{
    return wk_expr_check_named(e, replace_args, replace_args, SDB_CODE_Location51751,
                               SDB_CODE_Location51750, replace_missing, err);
}

static int
op_replace(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    static const int codes[3] = {SDB_CODE_Location51746, SDB_CODE_Location51745,
                                 SDB_CODE_Location51744};
    bool all = strcmp(e->op->name, "$replaceAll") == 0, null = false;
    bson_string_t *r = NULL;
    bson_value_t v[3];
    const char *s, *find, *hit;
    size_t len, flen, i;
    int ret = 0;

    memset(v, 0, sizeof(v));
    for (i = 0; i < 3; i++) {
        SDB_ERR(wk_expr_eval_ctx(wk_expr_kid(e, replace_args[i]), ctx, &v[i], err));
        if (wk_value_nullish(&v[i]))
            null = true;
        else if (v[i].value_type != BSON_TYPE_UTF8)
            SDB_ERR(sdb_error_set(err, codes[i], "%s requires that '%s' be a string, found: %s",
                                  e->op->name, replace_args[i], wk_value_type_name(&v[i])));
    }
    if (null) {
        wk_value_null(out);
        goto err;
    }
    s = str_of(&v[0], &len);
    find = str_of(&v[1], &flen);
    r = bson_string_new(NULL);
    while ((hit = flen == 0 ? s : memmem(s, len, find, flen)) != NULL) {
        bson_string_append_printf(r, "%.*s%s", (int)(hit - s), s, v[2].value.v_utf8.str);
        if (flen == 0) { /* an empty `find` matches before every code point and at the end */
            if (len == 0 || !all)
                break;
            i = cp_len(s, len);
            bson_string_append_printf(r, "%.*s", (int)i, s);
            s += i;
            len -= i;
            continue;
        }
        len -= (size_t)(hit - s) + flen;
        s = hit + flen;
        if (!all)
            break;
    }
    bson_string_append_printf(r, "%.*s", (int)len, s);
    wk_value_utf8(out, r->str, r->len);
err:
    if (r != NULL)
        bson_string_free(r, true);
    for (i = 0; i < 3; i++)
        wk_value_clear(&v[i]);
    return ret;
}

const wk_expr_op_t wk_expr_ops_strings[] = {
    {"$concat", 0, -1, op_concat, NULL},
    {"$toUpper", 1, 1, op_case, NULL},
    {"$toLower", 1, 1, op_case, NULL},
    {"$strcasecmp", 2, 2, op_strcasecmp, NULL},
    {"$strLenBytes", 1, 1, op_strlen, NULL},
    {"$strLenCP", 1, 1, op_strlen, NULL},
    {"$substr", 3, 3, op_substr_bytes, NULL},
    {"$substrBytes", 3, 3, op_substr_bytes, NULL},
    {"$substrCP", 3, 3, op_substr_cp, NULL},
    {"$indexOfBytes", 2, 4, op_index_of_str, NULL},
    {"$indexOfCP", 2, 4, op_index_of_str, NULL},
    {"$split", 2, 2, op_split, NULL},
    {"$trim", 0, -2, op_trim, check_trim},
    {"$ltrim", 0, -2, op_trim, check_trim},
    {"$rtrim", 0, -2, op_trim, check_trim},
    {"$replaceOne", 0, -2, op_replace, check_replace},
    {"$replaceAll", 0, -2, op_replace, check_replace},
    {NULL, 0, 0, NULL, NULL},
};
