/*
 * src/common/fts/fts.h -- text search (text index version 3): languages, tokens, keys, queries.
 *
 * One header for the pieces both sides of the channel need, so that the master's index keys
 * and the worker's $text matching and scoring can never drift apart (STYLE rule 18):
 *   - languages (fts_lang.c): mongod's text languages by name or ISO code, each with its
 *     Snowball stemmer (Debian's libstemmer) and mongod's stop-word list (fts_stopwords.c);
 *   - tokens (fts_token.c): mongod's UnicodeFTSTokenizer -- words split at Unicode
 *     delimiters, case folded and stripped of diacritics with ICU, stop words dropped,
 *     stemmed; and the phrase normalisation of its UnicodeFTSPhraseMatcher;
 *   - specs and keys (fts_spec.c): the text index spec (weights, default_language,
 *     language_override, compound prefix and suffix fields), the strings of a document it
 *     indexes (mongod's FTSElementIterator, with per-document and per-sub-document language
 *     overrides), their scores (FTSSpec::scoreDocument) and the index keys
 *     [prefix..., term, score, suffix...] (FTSIndexFormat::getKeys; a term past 224 bytes
 *     keyed by those bytes and the MD5 of the whole, as version 3 keys it);
 *   - specs as created (fts_fix.c): createIndexes' normalisation of a text index spec
 *     (FTSSpec::fixSpec) with mongod's errors;
 *   - queries (fts_query.c): $search parsing (terms, "phrases", -negations), matching
 *     (FTSMatcher) and a document's score for a query (what TEXT_OR sums).
 *
 * Invariants: pure functions over caller-owned BSON; any thread of any process (a stemmer is
 * created per call, never shared).  Every allocation is released by the matching *_free.
 */
#ifndef SDB_FTS_H
#define SDB_FTS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../errors.h"

#define SDB_FTS_INDEX_VERSION 3
#define SDB_FTS_MAX_FIELDS 32

/* ---- languages (fts_lang.c) ------------------------------------------------------------ */

typedef struct sdb_fts_lang {
    const char *name;        /* "english": what listIndexes and explain show */
    const char *code;        /* "en" */
    const char *stemmer;     /* libstemmer algorithm; NULL for "none" */
    const char *const *stop; /* mongod's stop words, sorted by strcmp; NULL for none */
} sdb_fts_lang_t;

/* sdb_fts_lang_find -- the language named `name` (a name or an ISO code, any case), NULL if
 * mongod does not know it for text index version 3. */
const sdb_fts_lang_t *sdb_fts_lang_find(const char *name, size_t len);

/* sdb_fts_lang_error -- mongod's BadValue for an unknown language name. */
int sdb_fts_lang_error(sdb_error_t *err, const char *name, size_t len);

/* sdb_fts_is_stop_word -- is `w` (already case folded) a stop word of lang? */
bool sdb_fts_is_stop_word(const sdb_fts_lang_t *lang, const char *w, size_t n);

/* stop-word tables, one per language (fts_stopwords.c, generated) */
#define SDB_FTS_STOP_DECL(l)                                                                       \
    extern const char *const sdb_fts_stop_##l[];                                                   \
    extern const size_t sdb_fts_stop_##l##_n;
SDB_FTS_STOP_DECL(danish)
SDB_FTS_STOP_DECL(dutch)
SDB_FTS_STOP_DECL(english)
SDB_FTS_STOP_DECL(finnish)
SDB_FTS_STOP_DECL(french)
SDB_FTS_STOP_DECL(german)
SDB_FTS_STOP_DECL(hungarian)
SDB_FTS_STOP_DECL(italian)
SDB_FTS_STOP_DECL(norwegian)
SDB_FTS_STOP_DECL(portuguese)
SDB_FTS_STOP_DECL(russian)
SDB_FTS_STOP_DECL(spanish)
SDB_FTS_STOP_DECL(swedish)
SDB_FTS_STOP_DECL(turkish)

/* ---- tokens (fts_token.c) -------------------------------------------------------------- */

enum {
    SDB_FTS_STOP_WORDS = 1, /* drop stop words */
    SDB_FTS_CASE = 2,       /* keep case (else case folded) */
    SDB_FTS_DIACRITIC = 4   /* keep diacritics (else stripped) */
};

/* sdb_fts_tokens -- the tokens of s (UTF-8) in lang under `opts`, each handed to fn(word,
 * len, ctx) (valid for the call only).  Returns 0 or fn's first non-zero value. */
int sdb_fts_tokens(const sdb_fts_lang_t *lang, const char *s, size_t len, int opts,
                   int (*fn)(const char *w, size_t n, void *ctx), void *ctx);

/* sdb_fts_fold -- s case folded (unless `keep_case`) and stripped of diacritics (unless
 * `keep_diacritics`), as mongod's phrase matcher compares; *out bson_malloc'd, NUL ended. */
void sdb_fts_fold(const sdb_fts_lang_t *lang, const char *s, size_t len, bool keep_case,
                  bool keep_diacritics, char **out, size_t *outlen);

/* ---- specs, scores and keys (fts_spec.c) ----------------------------------------------- */

typedef struct sdb_fts_weight {
    char *path;
    double w;
} sdb_fts_weight_t;

typedef struct sdb_fts_spec {
    sdb_fts_weight_t *weights; /* sorted by strcmp of path, as mongod's std::map */
    size_t nweights;
    bool wildcard; /* "$**": every string of the document */
    const sdb_fts_lang_t *lang;
    char *override; /* language_override field name */
    const char *before[SDB_FTS_MAX_FIELDS], *after[SDB_FTS_MAX_FIELDS]; /* into `key` */
    int before_desc[SDB_FTS_MAX_FIELDS], after_desc[SDB_FTS_MAX_FIELDS];
    size_t nbefore, nafter;
    bson_t key; /* owned copy of the key pattern */
} sdb_fts_spec_t;

/* sdb_fts_pattern -- is this a text index key pattern (it has an _fts field)? */
bool sdb_fts_pattern(const bson_t *key_pattern);

/* sdb_fts_spec_init -- read a stored (fixed) text index spec (the struct points into itself:
 * never copy it).  SDB_ECORRUPT when it is not
 * one; the spec is then empty (sdb_fts_spec_free is safe either way). */
int sdb_fts_spec_init(sdb_fts_spec_t *s, const bson_t *index_spec);

/* sdb_fts_spec_free -- release what sdb_fts_spec_init allocated. */
void sdb_fts_spec_free(sdb_fts_spec_t *s);

/* A term -> score map (the document's TermFrequencyMap). */
typedef struct sdb_fts_terms {
    struct sdb_fts_term *v;
    size_t n, cap;
} sdb_fts_terms_t;

typedef struct sdb_fts_term {
    char *term;
    size_t len;
    double score;
} sdb_fts_term_t;

void sdb_fts_terms_free(sdb_fts_terms_t *t);

/* sdb_fts_terms_get -- the score of `term` in t (0 when absent). */
double sdb_fts_terms_get(const sdb_fts_terms_t *t, const char *term, size_t len);

/* sdb_fts_score_doc -- every indexed term of doc with its score (FTSSpec::scoreDocument),
 * sorted by term.  17261/17262 (err) for a bad language override in the document. */
int sdb_fts_score_doc(const sdb_fts_spec_t *s, const bson_t *doc, sdb_fts_terms_t *out,
                      sdb_error_t *err);

/* sdb_fts_each_string -- call fn(lang, text, len, weight, ctx) for each string the spec
 * indexes in doc, in mongod's order (FTSElementIterator).  0, fn's value, or 17261/17262. */
typedef int (*sdb_fts_string_fn)(const sdb_fts_lang_t *lang, const char *s, size_t len,
                                 double weight, void *ctx);
int sdb_fts_each_string(const sdb_fts_spec_t *s, const bson_t *doc, sdb_fts_string_fn fn, void *ctx,
                        sdb_error_t *err);

/* sdb_fts_keys -- every index key of doc for the text index `index_spec`: the encoded prefix
 * values, term, score and suffix values (keyenc.h), one per distinct term, ascending.
 * Errors (err): 201 CannotBuildIndexKeys for an array on a prefix or suffix path, 17261 and
 * 17262 for a bad language override; SDB_ECORRUPT for a spec that is not a text index's. */
int sdb_fts_keys(const bson_t *doc, const bson_t *index_spec,
                 int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, sdb_error_t *err);

/* A term longer than SDB_FTS_TERM_PREFIX bytes is keyed, as text index version 3 keys it
 * (FTSIndexFormat), by its first SDB_FTS_TERM_PREFIX bytes followed by the lowercase hex MD5
 * of the whole term: 256 bytes at most, and distinct long terms stay distinct. */
#define SDB_FTS_TERM_PREFIX 224
#define SDB_FTS_KEY_TERM_MAX (SDB_FTS_TERM_PREFIX + 33) /* with the NUL */

/* sdb_fts_key_string -- the string a text index key holds for term (term itself, or its
 * prefix and MD5 written into buf, SDB_FTS_KEY_TERM_MAX bytes, NUL-terminated); *out_len its
 * length. */
const char *sdb_fts_key_string(const char *term, size_t len, char *buf, size_t *out_len);

/* sdb_fts_key_term -- the start of the index range of one term: the encoded values of the
 * query's equalities on the prefix fields (prefix[i] for before[i]) and the term; the caller
 * appends the bracket bounds of the score. */
struct sdb_keybuf;
int sdb_fts_key_term(const sdb_fts_spec_t *s, const bson_value_t *prefix, const char *term,
                     size_t len, struct sdb_keybuf *kb);

/* ---- createIndexes (fts_fix.c) --------------------------------------------------------- */

/* sdb_fts_fix_spec -- mongod's FTSSpec::fixSpec: `spec` (a createIndexes spec whose key has
 * "text" fields) rewritten with key {prefix..., _fts: "text", _ftsx: 1, suffix...}, weights,
 * default_language, language_override and textIndexVersion 3; *out initialized here.
 * Errors (err): mongod's 17271..17389, 17283/17284, 16674, 1729x, 17263/17264, 17136, 17364. */
int sdb_fts_fix_spec(const bson_t *spec, bson_t *out, sdb_error_t *err);

/* ---- queries (fts_query.c) ------------------------------------------------------------- */

typedef struct sdb_fts_strs {
    char **v;
    size_t n;
} sdb_fts_strs_t;

typedef struct sdb_fts_query {
    const sdb_fts_lang_t *lang;
    bool case_sensitive, diacritic_sensitive;
    sdb_fts_strs_t terms, negated, phrases, negated_phrases; /* terms: for the matcher */
    sdb_fts_strs_t bounds;   /* the index terms scanned (folded), sorted, distinct */
    char *search, *language; /* copies of $search and $language ("" when absent) */
} sdb_fts_query_t;

/* sdb_fts_query_parse -- parse {$search, $language?, $caseSensitive?, $diacriticSensitive?}
 * (`text` is the $text operand); `deflang` is the index's default language (NULL: english).
 * mongod's errors: 2 BadValue for a bad operand or unknown language. */
int sdb_fts_query_parse(const bson_value_t *text, const sdb_fts_lang_t *deflang, sdb_fts_query_t *q,
                        sdb_error_t *err);

/* sdb_fts_query_free -- release a parsed query. */
void sdb_fts_query_free(sdb_fts_query_t *q);

/* sdb_fts_query_matches -- FTSMatcher::matches: a positive term, no negated term, every
 * phrase, no negated phrase.  *score: the text score (sum over the bounds terms of the
 * document's term scores), 0 when it does not match.  Errors as sdb_fts_score_doc. */
int sdb_fts_query_matches(const sdb_fts_spec_t *s, const sdb_fts_query_t *q, const bson_t *doc,
                          bool *matched, double *score, sdb_error_t *err);

/* sdb_fts_query_bson -- explain's parsedTextQuery {terms, negatedTerms, phrases,
 * negatedPhrases}. */
void sdb_fts_query_bson(const sdb_fts_query_t *q, bson_t *out);

#endif
