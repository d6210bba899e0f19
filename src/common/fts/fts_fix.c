/*
 * src/common/fts/fts_fix.c -- createIndexes' normalisation of a text index spec.
 *
 * As mongod's FTSSpec::fixSpec (version 3): the "text" fields of the key pattern become the
 * weights (1 each, unless `weights` says otherwise; "$**" means every string) and the key
 * becomes {prefix..., _fts: "text", _ftsx: 1, suffix...}; prefix fields come before the text
 * fields, suffix fields after, every one 1 or -1; default_language defaults to "english",
 * language_override to "language", textIndexVersion to 3.  Fields keep the spec's order; the
 * ones it lacked are appended in that order.  Weights are stored sorted by path, as mongod's
 * std::map writes them, and as whole numbers (mongod stores numberInt()).
 *
 * Invariants: pure function; any thread.
 */
#include "fts.h"

#include "../sdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORD_WEIGHT (1000000000.0 / 10000)

typedef struct wmap {
    sdb_fts_weight_t v[256];
    size_t n;
} wmap_t;

static void
wmap_set(wmap_t *m, const char *path, double w)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0) {
            m->v[i].w = w;
            return;
        }
    if (m->n < sizeof(m->v) / sizeof(m->v[0])) {
        m->v[m->n].path = (char *)path;
        m->v[m->n++].w = w;
    }
}

static int
wcmp(const void *a, const void *b)
{
    return strcmp(((const sdb_fts_weight_t *)a)->path, ((const sdb_fts_weight_t *)b)->path);
}

static bool
is_text(const bson_iter_t *it)
{
    return BSON_ITER_HOLDS_UTF8(it) && strcmp(bson_iter_utf8(it, NULL), "text") == 0;
}

static int
reserved(const char *k, sdb_error_t *err)
{
    if (strcmp(k, "_fts") == 0 || strcmp(k, "_ftsx") == 0)
        return sdb_error_set(err, SDB_CODE_Location17289,
                             "text index with reserved fields _fts/_ftsx not allowed");
    return 0;
}

/* fix_key -- the key pattern with its text fields folded into _fts/_ftsx; weights of 1 for
 * each text field.  Checks the prefix/text/suffix layout. */
static int
fix_key(const bson_t *key, bson_t *out, wmap_t *m, sdb_error_t *err)
{
    bson_iter_t it;
    int part = 0; /* 0 prefix, 1 text, 2 suffix */
    bool added = false;

    bson_iter_init(&it, key);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "_fts") == 0 || strcmp(k, "_ftsx") == 0) {
            if (strcmp(k, "_fts") == 0 && !is_text(&it))
                return sdb_error_set(err, SDB_CODE_Location17271, "expecting _fts:\"text\"");
            if (strcmp(k, "_ftsx") == 0 &&
                (!BSON_ITER_HOLDS_NUMBER(&it) || bson_iter_as_int64(&it) != 1))
                return sdb_error_set(err, SDB_CODE_Location17272, "expecting _ftsx:1");
            bson_append_iter(out, k, -1, &it);
            added = true;
            part = 1;
            continue;
        }
        if (is_text(&it)) {
            if (part == 2)
                return sdb_error_set(err, SDB_CODE_Location17389,
                                     "'text' fields in index must all be adjacent");
            if (!added) {
                BSON_APPEND_UTF8(out, "_fts", "text");
                BSON_APPEND_INT32(out, "_ftsx", 1);
                added = true;
            }
            wmap_set(m, k, 1);
            part = 1;
            continue;
        }
        SDB_RET(reserved(k, err));
        if (!BSON_ITER_HOLDS_NUMBER(&it) ||
            (bson_iter_as_int64(&it) != 1 && bson_iter_as_int64(&it) != -1))
            return sdb_error_set(err, SDB_CODE_Location17273,
                                 "expected value 1 or -1 for non-text key in compound index");
        if (part == 1)
            part = 2;
        bson_append_iter(out, k, -1, &it);
    }
    return 0;
}

/* check_weight_path -- a weight names a field path: not empty, no empty or $ component. */
static int
check_weight_path(const char *p, sdb_error_t *err)
{
    const char *c = p;

    if (strcmp(p, "$**") == 0)
        return 0;
    if (*p == '\0')
        return sdb_error_set(err, SDB_CODE_Location17294, "weight cannot be on an empty field");
    for (;;) {
        const char *dot = strchr(c, '.');
        size_t n = dot != NULL ? (size_t)(dot - c) : strlen(c);

        if (n == 0)
            return sdb_error_set(err, SDB_CODE_Location17291,
                                 "weight cannot have empty path component");
        if (c[0] == '$')
            return sdb_error_set(err, SDB_CODE_Location17292,
                                 "weight cannot have path component with $ prefix");
        if (dot == NULL)
            return 0;
        c = dot + 1;
    }
}

static int
fix_weights(const bson_t *spec, wmap_t *m, bson_t *out, sdb_error_t *err)
{
    bson_iter_t it, w;

    if (bson_iter_init_find(&it, spec, "weights")) {
        if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &w)) {
            while (bson_iter_next(&w)) {
                if (!BSON_ITER_HOLDS_NUMBER(&w))
                    return sdb_error_set(err, SDB_CODE_Location17283,
                                         "weight for text index needs numeric type");
                wmap_set(m, bson_iter_key(&w), (double)(int32_t)bson_iter_as_double(&w));
            }
        } else if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "$**") == 0) {
            wmap_set(m, "$**", 1);
        } else {
            return sdb_error_set(err, SDB_CODE_Location17284,
                                 "text index option 'weights' must be an object");
        }
    }
    qsort(m->v, m->n, sizeof(m->v[0]), wcmp);
    bson_init(out);
    for (size_t i = 0; i < m->n; i++) {
        if (!(m->v[i].w > 0 && m->v[i].w < MAX_WORD_WEIGHT))
            return sdb_error_set(err, SDB_CODE_Location16674, "score for word too high");
        SDB_RET(check_weight_path(m->v[i].path, err));
        BSON_APPEND_INT32(out, m->v[i].path, (int32_t)m->v[i].w);
    }
    return 0;
}

static int
check_language(const bson_t *spec, const char **lang, sdb_error_t *err)
{
    bson_iter_t it;
    uint32_t n;

    *lang = "english";
    if (!bson_iter_init_find(&it, spec, "default_language"))
        return 0;
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(err, SDB_CODE_Location17263, "default_language needs a string type");
    *lang = bson_iter_utf8(&it, &n);
    if (sdb_fts_lang_find(*lang, n) == NULL)
        return sdb_error_set(err, SDB_CODE_Location17264, "default_language is not valid");
    return 0;
}

static int
check_override(const bson_t *spec, const char **ov, sdb_error_t *err)
{
    bson_iter_t it;

    *ov = "language";
    if (!bson_iter_init_find(&it, spec, "language_override"))
        return 0;
    *ov = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";
    if (**ov == '\0' || **ov == '$' || strchr(*ov, '.') != NULL)
        return sdb_error_set(err, SDB_CODE_Location17136, "language_override is not valid");
    return 0;
}

static int
check_version(const bson_t *spec, sdb_error_t *err)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, spec, "textIndexVersion"))
        return 0;
    if (!BSON_ITER_HOLDS_NUMBER(&it))
        return sdb_error_set(err, SDB_CODE_Location17293,
                             "text index option 'textIndexVersion' must be a number");
    if (bson_iter_as_int64(&it) != SDB_FTS_INDEX_VERSION)
        return sdb_error_set(err, SDB_CODE_Location17364,
                             "attempt to use unsupported textIndexVersion %d; versions "
                             "supported: %d",
                             (int)bson_iter_as_int64(&it), SDB_FTS_INDEX_VERSION);
    return 0;
}

int
sdb_fts_fix_spec(const bson_t *spec, bson_t *out, sdb_error_t *err)
{
    bson_t key = BSON_INITIALIZER, weights = BSON_INITIALIZER, given;
    bson_iter_t it;
    wmap_t m;
    const char *lang, *ov;
    bool hw = false, hl = false, ho = false;
    const uint8_t *d;
    uint32_t len;
    int ret = 0;

    bson_init(out);
    m.n = 0;
    if (!bson_iter_init_find(&it, spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        SDB_ERR(SDB_ECORRUPT);
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&given, d, len))
        SDB_ERR(SDB_ECORRUPT);
    SDB_ERR(fix_key(&given, &key, &m, err));
    bson_destroy(&weights);
    SDB_ERR(fix_weights(spec, &m, &weights, err));
    SDB_ERR(check_language(spec, &lang, err));
    SDB_ERR(check_override(spec, &ov, err));
    SDB_ERR(check_version(spec, err));
    bson_iter_init(&it, spec);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "key") == 0)
            BSON_APPEND_DOCUMENT(out, "key", &key);
        else if (strcmp(k, "weights") == 0 && (hw = true))
            BSON_APPEND_DOCUMENT(out, "weights", &weights);
        else if (strcmp(k, "default_language") == 0 && (hl = true))
            BSON_APPEND_UTF8(out, k, lang);
        else if (strcmp(k, "language_override") == 0 && (ho = true))
            BSON_APPEND_UTF8(out, k, ov);
        else if (strcmp(k, "textIndexVersion") != 0)
            bson_append_iter(out, k, -1, &it);
    }
    if (!hw)
        BSON_APPEND_DOCUMENT(out, "weights", &weights);
    if (!hl)
        BSON_APPEND_UTF8(out, "default_language", lang);
    if (!ho)
        BSON_APPEND_UTF8(out, "language_override", ov);
    BSON_APPEND_INT32(out, "textIndexVersion", SDB_FTS_INDEX_VERSION);
err:
    bson_destroy(&key);
    bson_destroy(&weights);
    return ret;
}
