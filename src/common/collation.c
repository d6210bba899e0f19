/*
 * src/common/collation.c -- MongoDB collations on ICU collators.
 *
 * A collation document is read field by field (types checked as mongod's IDL does), then an
 * ICU collator is opened for the locale and configured: strength (1 primary .. 5
 * identical, default 3), caseLevel, caseFirst, numericOrdering, alternate/maxVariable,
 * normalization and backwards.  A locale ICU does not know (it falls back to its root
 * rules) is rejected as mongod rejects it.  Values compare in MongoDB's order: first the
 * canonical type bracket, then within strings by the collator, within documents element
 * by element (type, field name bytes, value), within arrays element by element; every
 * other type compares as in src/common/bsoncmp.h.
 *
 * Invariants: a collation is immutable after sdb_collation_new; ucol_strcollUTF8 on a
 * shared const collator is thread-safe (ICU's contract), so any thread may compare.
 */
#include "collation.h"

#include <string.h>
#include <unicode/ucol.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "bsoncmp.h"
#include "sdb.h"

struct sdb_collation {
    UCollator *ucol;
    char *locale; /* as given (mongod requires ICU's canonical form) */
};

typedef struct coll_spec {
    const char *locale;
    int strength;                                      /* 1..5 */
    int case_level, numeric, normalization, backwards; /* -1 unset, 0, 1 */
    const char *case_first, *alternate, *max_variable;
} coll_spec_t;

static int
want_type(const bson_iter_t *it, bson_type_t t, const char *tname, sdb_error_t *err)
{
    if (bson_iter_type(it) == t)
        return 0;
    return sdb_error_set(err, SDB_CODE_TypeMismatch,
                         "BSON field 'collation.%s' is the wrong type, expected type '%s'",
                         bson_iter_key(it), tname);
}

/* read_bool_field -- set *out from a boolean field. */
static int
read_bool_field(const bson_iter_t *it, int *out, sdb_error_t *err)
{
    SDB_RET(want_type(it, BSON_TYPE_BOOL, "bool", err));
    *out = bson_iter_bool(it) ? 1 : 0;
    return 0;
}

/* read_field -- one field of the collation document. */
static int
read_field(const bson_iter_t *it, coll_spec_t *s, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "locale") == 0 || strcmp(k, "caseFirst") == 0 || strcmp(k, "alternate") == 0 ||
        strcmp(k, "maxVariable") == 0 || strcmp(k, "version") == 0) {
        SDB_RET(want_type(it, BSON_TYPE_UTF8, "string", err));
        if (k[0] == 'l')
            s->locale = bson_iter_utf8(it, NULL);
        else if (k[0] == 'c')
            s->case_first = bson_iter_utf8(it, NULL);
        else if (k[0] == 'a')
            s->alternate = bson_iter_utf8(it, NULL);
        else if (k[0] == 'm')
            s->max_variable = bson_iter_utf8(it, NULL);
        return 0;
    }
    if (strcmp(k, "strength") == 0) {
        if (!BSON_ITER_HOLDS_NUMBER(it))
            return want_type(it, BSON_TYPE_INT32, "int", err);
        s->strength = (int)bson_iter_as_int64(it);
        if (s->strength < 1 || s->strength > 5 || bson_iter_as_double(it) != s->strength)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "Field 'strength' must be an integer 1 through 5. Got: %g",
                                 bson_iter_as_double(it));
        return 0;
    }
    if (strcmp(k, "caseLevel") == 0)
        return read_bool_field(it, &s->case_level, err);
    if (strcmp(k, "numericOrdering") == 0)
        return read_bool_field(it, &s->numeric, err);
    if (strcmp(k, "normalization") == 0)
        return read_bool_field(it, &s->normalization, err);
    if (strcmp(k, "backwards") == 0)
        return read_bool_field(it, &s->backwards, err);
    return sdb_error_set(err, SDB_CODE_Location40415,
                         "BSON field 'collation.%s' is an unknown field.", k);
}

/* choice -- index of `v` in the NULL-terminated `names`; BadValue when absent. */
static int
choice(const char *field, const char *v, const char *const *names, int *out, sdb_error_t *err)
{
    int i;

    for (i = 0; names[i] != NULL; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return sdb_error_set(err, SDB_CODE_FailedToParse,
                         "Enumeration value '%s' for field 'collation.%s' is not a valid value.", v,
                         field);
}

static void
set_attr(UCollator *u, UColAttribute a, int v, UErrorCode *st)
{
    if (v >= 0)
        ucol_setAttribute(u, a, v ? UCOL_ON : UCOL_OFF, st);
}

/* configure -- apply the optional fields to the collator. */
static int
configure(UCollator *u, const coll_spec_t *s, sdb_error_t *err)
{
    static const char *const firsts[] = {"upper", "lower", "off", NULL};
    static const char *const alts[] = {"non-ignorable", "shifted", NULL};
    static const char *const maxv[] = {"punct", "space", NULL};
    static const UColAttributeValue strengths[] = {UCOL_PRIMARY, UCOL_SECONDARY, UCOL_TERTIARY,
                                                   UCOL_QUATERNARY, UCOL_IDENTICAL};
    UErrorCode st = U_ZERO_ERROR;
    int i = 0;

    ucol_setAttribute(u, UCOL_STRENGTH, strengths[s->strength - 1], &st);
    set_attr(u, UCOL_CASE_LEVEL, s->case_level, &st);
    set_attr(u, UCOL_NUMERIC_COLLATION, s->numeric, &st);
    set_attr(u, UCOL_NORMALIZATION_MODE, s->normalization, &st);
    set_attr(u, UCOL_FRENCH_COLLATION, s->backwards, &st);
    if (s->case_first != NULL) {
        SDB_RET(choice("caseFirst", s->case_first, firsts, &i, err));
        ucol_setAttribute(u, UCOL_CASE_FIRST,
                          i == 0 ? UCOL_UPPER_FIRST : (i == 1 ? UCOL_LOWER_FIRST : UCOL_OFF), &st);
    }
    if (s->alternate != NULL) {
        SDB_RET(choice("alternate", s->alternate, alts, &i, err));
        ucol_setAttribute(u, UCOL_ALTERNATE_HANDLING, i == 1 ? UCOL_SHIFTED : UCOL_NON_IGNORABLE,
                          &st);
    }
    if (s->max_variable != NULL) {
        SDB_RET(choice("maxVariable", s->max_variable, maxv, &i, err));
        ucol_setMaxVariable(u, i == 0 ? UCOL_REORDER_CODE_PUNCTUATION : UCOL_REORDER_CODE_SPACE,
                            &st);
    }
    if (U_FAILURE(st))
        return sdb_error_set(err, SDB_CODE_BadValue, "invalid collation: %s", u_errorName(st));
    return 0;
}

/* locale_known -- ICU has data for the locale (or for its language): ucol_open alone cannot
 * tell, since locales whose rules are the root's ("en_US") also report a fallback to root. */
static bool
locale_known(const char *locale)
{
    char lang[ULOC_LANG_CAPACITY];
    UErrorCode st = U_ZERO_ERROR;
    int32_t i, n = uloc_countAvailable();

    if (strcmp(locale, "root") == 0)
        return true;
    uloc_getLanguage(locale, lang, sizeof(lang), &st);
    if (U_FAILURE(st) || lang[0] == '\0')
        return false;
    for (i = 0; i < n; i++) {
        const char *a = uloc_getAvailable(i);
        if (strcmp(a, locale) == 0 || strcmp(a, lang) == 0)
            return true;
    }
    return false;
}

int
sdb_collation_new(const bson_t *spec, sdb_collation_t **out, sdb_error_t *err)
{
    coll_spec_t s = {NULL, 3, -1, -1, -1, -1, NULL, NULL, NULL};
    UErrorCode st = U_ZERO_ERROR;
    UCollator *u;
    bson_iter_t it;
    int ret;

    *out = NULL;
    if (spec == NULL || !bson_iter_init(&it, spec))
        return 0;
    while (bson_iter_next(&it))
        SDB_RET(read_field(&it, &s, err));
    if (s.locale == NULL)
        return sdb_error_set(err, SDB_CODE_Location40414,
                             "BSON field 'locale' is missing but a required field");
    if (strcmp(s.locale, "simple") == 0)
        return 0;
    u = locale_known(s.locale) ? ucol_open(s.locale, &st) : NULL;
    if (u == NULL || U_FAILURE(st)) {
        if (u != NULL)
            ucol_close(u);
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Field 'locale' is invalid in: { locale: \"%s\" }", s.locale);
    }
    if ((ret = configure(u, &s, err)) != 0) {
        ucol_close(u);
        return ret;
    }
    *out = bson_malloc0(sizeof(**out));
    (*out)->ucol = u;
    (*out)->locale = bson_strdup(s.locale);
    return 0;
}

void
sdb_collation_free(sdb_collation_t *c)
{
    if (c == NULL)
        return;
    ucol_close(c->ucol);
    bson_free(c->locale);
    bson_free(c);
}

int
sdb_collation_str_cmp(const sdb_collation_t *c, const char *a, size_t alen, const char *b,
                      size_t blen)
{
    UErrorCode st = U_ZERO_ERROR;
    UCollationResult r;
    int m;

    if (c == NULL) {
        m = memcmp(a, b, alen < blen ? alen : blen);
        return m != 0 ? m : (alen < blen ? -1 : (alen > blen ? 1 : 0));
    }
    r = ucol_strcollUTF8(c->ucol, a, (int32_t)alen, b, (int32_t)blen, &st);
    if (U_FAILURE(st))
        return sdb_collation_str_cmp(NULL, a, alen, b, blen);
    return r == UCOL_LESS ? -1 : (r == UCOL_GREATER ? 1 : 0);
}

/* str_cmp -- the collator as bsoncmp's string comparison. */
static int
str_cmp(void *ctx, const char *a, size_t alen, const char *b, size_t blen)
{
    return sdb_collation_str_cmp(ctx, a, alen, b, blen);
}

int
sdb_collation_value_cmp(const sdb_collation_t *c, const bson_value_t *a, const bson_value_t *b)
{
    sdb_bson_str_cmp_t sc = {str_cmp, (void *)c};

    if (c == NULL)
        return sdb_bson_value_cmp(a, b);
    return sdb_bson_value_cmp_str(a, b, &sc);
}

/* on -- an ICU on/off attribute as a bool. */
static bool
on(const sdb_collation_t *c, UColAttribute a)
{
    UErrorCode st = U_ZERO_ERROR;

    return ucol_getAttribute(c->ucol, a, &st) == UCOL_ON;
}

void
sdb_collation_spec(const sdb_collation_t *c, bson_t *out)
{
    UErrorCode st = U_ZERO_ERROR;
    UColAttributeValue first = ucol_getAttribute(c->ucol, UCOL_CASE_FIRST, &st);
    UColAttributeValue strength = ucol_getAttribute(c->ucol, UCOL_STRENGTH, &st);
    UColAttributeValue alt = ucol_getAttribute(c->ucol, UCOL_ALTERNATE_HANDLING, &st);
    UColReorderCode maxv = ucol_getMaxVariable(c->ucol);
    int level;

    switch (strength) {
    case UCOL_PRIMARY:
        level = 1;
        break;
    case UCOL_SECONDARY:
        level = 2;
        break;
    case UCOL_QUATERNARY:
        level = 4;
        break;
    case UCOL_IDENTICAL:
        level = 5;
        break;
    default:
        level = 3;
        break;
    }
    BSON_APPEND_UTF8(out, "locale", c->locale);
    BSON_APPEND_BOOL(out, "caseLevel", on(c, UCOL_CASE_LEVEL));
    BSON_APPEND_UTF8(out, "caseFirst",
                     first == UCOL_UPPER_FIRST ? "upper"
                                               : (first == UCOL_LOWER_FIRST ? "lower" : "off"));
    BSON_APPEND_INT32(out, "strength", level);
    BSON_APPEND_BOOL(out, "numericOrdering", on(c, UCOL_NUMERIC_COLLATION));
    BSON_APPEND_UTF8(out, "alternate", alt == UCOL_SHIFTED ? "shifted" : "non-ignorable");
    BSON_APPEND_UTF8(out, "maxVariable", maxv == UCOL_REORDER_CODE_SPACE ? "space" : "punct");
    BSON_APPEND_BOOL(out, "normalization", on(c, UCOL_NORMALIZATION_MODE));
    BSON_APPEND_BOOL(out, "backwards", on(c, UCOL_FRENCH_COLLATION));
    BSON_APPEND_UTF8(out, "version", SDB_COLLATION_VERSION);
}

size_t
sdb_collation_key(const sdb_collation_t *c, const char *s, size_t len, uint8_t **buf, size_t *cap)
{
    UChar small[256], *u = small;
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0, n;

    u_strFromUTF8(u, (int32_t)(sizeof(small) / sizeof(small[0])), &ulen, s, (int32_t)len, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR) {
        st = U_ZERO_ERROR;
        u = bson_malloc(((size_t)ulen + 1) * sizeof(UChar));
        u_strFromUTF8(u, ulen + 1, &ulen, s, (int32_t)len, &st);
    }
    if (U_FAILURE(st))
        ulen = 0; /* invalid UTF-8 cannot be stored; an empty key is still a key */
    n = ucol_getSortKey(c->ucol, u, ulen, *buf, (int32_t)*cap);
    if (n > 0 && (size_t)n > *cap) {
        *cap = (size_t)n * 2;
        *buf = bson_realloc(*buf, *cap);
        n = ucol_getSortKey(c->ucol, u, ulen, *buf, (int32_t)*cap);
    }
    if (u != small)
        bson_free(u);
    return n > 0 ? (size_t)n - 1 : 0; /* without the terminating 0 */
}

int
sdb_collation_full_spec(const bson_t *spec, bson_t *out, bool *simple, sdb_error_t *err)
{
    sdb_collation_t *c = NULL;

    SDB_RET(sdb_collation_new(spec, &c, err));
    *simple = c == NULL;
    if (c != NULL)
        sdb_collation_spec(c, out);
    sdb_collation_free(c);
    return 0;
}
