/*
 * src/worker/query/collation.c -- MongoDB collations on ICU collators.
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
 * Invariants: a collation is immutable after wk_collation_new; ucol_strcollUTF8 on a
 * shared const collator is thread-safe (ICU's contract), so any thread may compare.
 */
#include "collation.h"

#include <string.h>
#include <unicode/ucol.h>
#include <unicode/uloc.h>

#include "../../common/bsoncmp.h"
#include "../../common/sdb.h"

struct wk_collation {
    UCollator *ucol;
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
wk_collation_new(const bson_t *spec, wk_collation_t **out, sdb_error_t *err)
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
    return 0;
}

void
wk_collation_free(wk_collation_t *c)
{
    if (c == NULL)
        return;
    ucol_close(c->ucol);
    bson_free(c);
}

int
wk_collation_str_cmp(const wk_collation_t *c, const char *a, size_t alen, const char *b,
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
        return wk_collation_str_cmp(NULL, a, alen, b, blen);
    return r == UCOL_LESS ? -1 : (r == UCOL_GREATER ? 1 : 0);
}

/* str_cmp -- the collator as bsoncmp's string comparison. */
static int
str_cmp(void *ctx, const char *a, size_t alen, const char *b, size_t blen)
{
    return wk_collation_str_cmp(ctx, a, alen, b, blen);
}

int
wk_collation_value_cmp(const wk_collation_t *c, const bson_value_t *a, const bson_value_t *b)
{
    sdb_bson_str_cmp_t sc = {str_cmp, (void *)c};

    if (c == NULL)
        return sdb_bson_value_cmp(a, b);
    return sdb_bson_value_cmp_str(a, b, &sc);
}
