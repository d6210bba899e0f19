/*
 * src/common/fts/fts_token.c -- mongod's text tokenizer (UnicodeFTSTokenizer, version 3).
 *
 * A word is a run of code points that are not delimiters; delimiters are the code points
 * with the Unicode properties White_Space, Dash, Hyphen, Quotation_Mark,
 * Terminal_Punctuation, Pattern_Syntax or STerm (ICU's tables), except that in English an
 * apostrophe belongs to the word ("don't").  Each word is case folded (simple folding per
 * code point, Turkic for Turkish), checked against the stop words in that form, stemmed
 * (Snowball, via libstemmer) in the requested case, and then stripped of diacritics (NFD
 * decomposition with ICU, dropping the code points with the Diacritic property) unless the
 * query is diacritic sensitive -- the order mongod applies them in.
 *
 * Invariants: any thread; a stemmer is created and freed per call (libstemmer's are not
 * shareable); buffers are bson_malloc'd and freed before returning.
 */
#include "fts.h"

#include "../sdb.h"

#include <libstemmer.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf8.h>

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf_t;

static void
sb_put_cp(sbuf_t *b, UChar32 c)
{
    if (b->n + U8_MAX_LENGTH + 1 > b->cap) {
        b->cap = (b->n + U8_MAX_LENGTH + 1) * 2;
        b->p = bson_realloc(b->p, b->cap);
    }
    U8_APPEND_UNSAFE((uint8_t *)b->p, b->n, c);
    b->p[b->n] = '\0';
}

static bool
is_delim(UChar32 c, bool english)
{
    if (english && c == '\'')
        return false;
    return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || u_hasBinaryProperty(c, UCHAR_DASH) ||
           u_hasBinaryProperty(c, UCHAR_HYPHEN) || u_hasBinaryProperty(c, UCHAR_QUOTATION_MARK) ||
           u_hasBinaryProperty(c, UCHAR_TERMINAL_PUNCTUATION) ||
           u_hasBinaryProperty(c, UCHAR_PATTERN_SYNTAX) || u_hasBinaryProperty(c, UCHAR_S_TERM);
}

static UChar32
fold_cp(UChar32 c, bool turkish)
{
    return u_foldCase(c, turkish ? U_FOLD_CASE_EXCLUDE_SPECIAL_I : U_FOLD_CASE_DEFAULT);
}

/* strip_cp -- append c without its diacritics. */
static void
strip_cp(sbuf_t *b, UChar32 c)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfd;
    UChar d[32];
    int32_t n, i = 0;

    if (c < 0x80) {
        sb_put_cp(b, c);
        return;
    }
    nfd = unorm2_getNFDInstance(&st);
    n = U_SUCCESS(st) ? unorm2_getDecomposition(nfd, c, d, 32, &st) : -1;
    if (n <= 0 || U_FAILURE(st)) {
        if (!u_hasBinaryProperty(c, UCHAR_DIACRITIC))
            sb_put_cp(b, c);
        return;
    }
    while (i < n) {
        UChar32 x;

        U16_NEXT(d, i, n, x);
        if (!u_hasBinaryProperty(x, UCHAR_DIACRITIC))
            sb_put_cp(b, x);
    }
}

/* transform -- s with case folded and/or diacritics stripped into b (reset first). */
static void
transform(sbuf_t *b, const char *s, size_t len, bool fold, bool strip, bool turkish)
{
    size_t i = 0;

    b->n = 0;
    sb_put_cp(b, 0); /* make p non-NULL and NUL ended even for "" */
    b->n = 0;
    while (i < len) {
        UChar32 c;

        U8_NEXT((const uint8_t *)s, i, len, c);
        if (c < 0)
            c = 0xFFFD;
        if (fold)
            c = fold_cp(c, turkish);
        if (strip)
            strip_cp(b, c);
        else
            sb_put_cp(b, c);
    }
}

void
sdb_fts_fold(const sdb_fts_lang_t *lang, const char *s, size_t len, bool keep_case,
             bool keep_diacritics, char **out, size_t *outlen)
{
    sbuf_t b = {0};

    transform(&b, s, len, !keep_case, !keep_diacritics, strcmp(lang->name, "turkish") == 0);
    *out = b.p;
    *outlen = b.n;
}

typedef struct tok {
    const sdb_fts_lang_t *lang;
    struct sb_stemmer *stemmer;
    bool turkish;
    int opts;
    sbuf_t lower, stemmed, final;
} tok_t;

/* word -- one word of the input: the steps of UnicodeFTSTokenizer::moveNext. */
static int
word(tok_t *t, const char *w, size_t n, int (*fn)(const char *, size_t, void *), void *ctx)
{
    const char *cur;
    size_t curlen;

    transform(&t->lower, w, n, true, false, t->turkish);
    if ((t->opts & SDB_FTS_STOP_WORDS) && sdb_fts_is_stop_word(t->lang, t->lower.p, t->lower.n))
        return 0;
    cur = (t->opts & SDB_FTS_CASE) ? w : t->lower.p;
    curlen = (t->opts & SDB_FTS_CASE) ? n : t->lower.n;
    if (t->stemmer != NULL) {
        const sb_symbol *st = sb_stemmer_stem(t->stemmer, (const sb_symbol *)cur, (int)curlen);

        if (st != NULL) {
            size_t sl = (size_t)sb_stemmer_length(t->stemmer);

            t->stemmed.n = 0;
            sb_put_cp(&t->stemmed, 0);
            if (t->stemmed.cap < sl + 1) {
                t->stemmed.cap = sl + 1;
                t->stemmed.p = bson_realloc(t->stemmed.p, t->stemmed.cap);
            }
            memcpy(t->stemmed.p, st, sl);
            t->stemmed.p[sl] = '\0';
            t->stemmed.n = sl;
            cur = t->stemmed.p;
            curlen = sl;
        }
    }
    if (!(t->opts & SDB_FTS_DIACRITIC)) {
        transform(&t->final, cur, curlen, false, true, t->turkish);
        cur = t->final.p;
        curlen = t->final.n;
    }
    return fn(cur, curlen, ctx);
}

/*
 * sdb_fts_tokens -- split s into words at delimiters and hand each processed word to fn.
 */
int
sdb_fts_tokens(const sdb_fts_lang_t *lang, const char *s, size_t len, int opts,
               int (*fn)(const char *w, size_t n, void *ctx), void *ctx)
{
    tok_t t;
    bool english = strcmp(lang->name, "english") == 0;
    size_t i = 0, start = 0;
    bool in_word = false;
    int ret = 0;

    memset(&t, 0, sizeof(t));
    t.lang = lang;
    t.opts = opts;
    t.turkish = strcmp(lang->name, "turkish") == 0;
    if (lang->stemmer != NULL)
        t.stemmer = sb_stemmer_new(lang->stemmer, "UTF_8");
    while (i < len) {
        size_t at = i;
        UChar32 c;

        U8_NEXT((const uint8_t *)s, i, len, c);
        if (c >= 0 && is_delim(c, english)) {
            if (in_word)
                SDB_ERR(word(&t, s + start, at - start, fn, ctx));
            in_word = false;
        } else if (!in_word) {
            in_word = true;
            start = at;
        }
    }
    if (in_word)
        SDB_ERR(word(&t, s + start, len - start, fn, ctx));
err:
    if (t.stemmer != NULL)
        sb_stemmer_delete(t.stemmer);
    bson_free(t.lower.p);
    bson_free(t.stemmed.p);
    bson_free(t.final.p);
    return ret;
}
