/*
 * src/common/fts/fts_lang.c -- mongod's text-search languages (text index version 3).
 *
 * One row per language mongod 7.0 accepts in default_language, $language and a document's
 * language override: its name, its ISO 639-1 code (both accepted, in any case, as mongod's
 * case-insensitive map does), its Snowball algorithm in libstemmer, and its stop-word table
 * (fts_stopwords.c; mongod ships none for Romanian).  "none" has neither stemmer nor stop words.
 *
 * Invariants: read-only data; any thread.
 */
#include "fts.h"

#include "../sdb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STOP(l) sdb_fts_stop_##l
#define NOSTOP NULL

static sdb_fts_lang_t langs[] = {
    {"danish", "da", "danish", STOP(danish)},
    {"dutch", "nl", "dutch", STOP(dutch)},
    {"english", "en", "english", STOP(english)},
    {"finnish", "fi", "finnish", STOP(finnish)},
    {"french", "fr", "french", STOP(french)},
    {"german", "de", "german", STOP(german)},
    {"hungarian", "hu", "hungarian", STOP(hungarian)},
    {"italian", "it", "italian", STOP(italian)},
    {"norwegian", "nb", "norwegian", STOP(norwegian)},
    {"portuguese", "pt", "portuguese", STOP(portuguese)},
    {"romanian", "ro", "romanian", NOSTOP},
    {"russian", "ru", "russian", STOP(russian)},
    {"spanish", "es", "spanish", STOP(spanish)},
    {"swedish", "sv", "swedish", STOP(swedish)},
    {"turkish", "tr", "turkish", STOP(turkish)},
    {"none", "none", NULL, NOSTOP},
};

/* stop_count -- the table sizes live in another object: look them up by table. */
static size_t
stop_count(const sdb_fts_lang_t *l)
{
    static const struct {
        const char *const *t;
        const size_t *n;
    } sizes[] = {
        {sdb_fts_stop_danish, &sdb_fts_stop_danish_n},
        {sdb_fts_stop_dutch, &sdb_fts_stop_dutch_n},
        {sdb_fts_stop_english, &sdb_fts_stop_english_n},
        {sdb_fts_stop_finnish, &sdb_fts_stop_finnish_n},
        {sdb_fts_stop_french, &sdb_fts_stop_french_n},
        {sdb_fts_stop_german, &sdb_fts_stop_german_n},
        {sdb_fts_stop_hungarian, &sdb_fts_stop_hungarian_n},
        {sdb_fts_stop_italian, &sdb_fts_stop_italian_n},
        {sdb_fts_stop_norwegian, &sdb_fts_stop_norwegian_n},
        {sdb_fts_stop_portuguese, &sdb_fts_stop_portuguese_n},
        {sdb_fts_stop_russian, &sdb_fts_stop_russian_n},
        {sdb_fts_stop_spanish, &sdb_fts_stop_spanish_n},
        {sdb_fts_stop_swedish, &sdb_fts_stop_swedish_n},
        {sdb_fts_stop_turkish, &sdb_fts_stop_turkish_n},
    };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (sizes[i].t == l->stop)
            return *sizes[i].n;
    return 0;
}

/*
 * sdb_fts_lang_find -- a language by name or code, case-insensitively.
 */
const sdb_fts_lang_t *
sdb_fts_lang_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        const sdb_fts_lang_t *l = &langs[i];

        if ((strlen(l->name) == len && strncasecmp(l->name, name, len) == 0) ||
            (strlen(l->code) == len && strncasecmp(l->code, name, len) == 0))
            return l;
    }
    return NULL;
}

/*
 * sdb_fts_lang_error -- BadValue 'unsupported language: "x" for text index version 3'.
 */
int
sdb_fts_lang_error(sdb_error_t *err, const char *name, size_t len)
{
    return sdb_error_set(err, SDB_CODE_BadValue,
                         "unsupported language: \"%.*s\" for text index version %d", (int)len, name,
                         SDB_FTS_INDEX_VERSION);
}

static int
word_cmp(const void *key, const void *elt)
{
    return strcmp(key, *(const char *const *)elt);
}

/*
 * sdb_fts_is_stop_word -- binary search of the language's sorted table.
 */
bool
sdb_fts_is_stop_word(const sdb_fts_lang_t *lang, const char *w, size_t n)
{
    char buf[64];

    if (lang->stop == NULL || n >= sizeof(buf))
        return false;
    memcpy(buf, w, n);
    buf[n] = '\0';
    return bsearch(buf, lang->stop, stop_count(lang), sizeof(lang->stop[0]), word_cmp) != NULL;
}
