/*
 * src/common/fts/fts_query.c -- $text queries: parsing, matching and scoring.
 *
 * $search is read as mongod's FTSQueryParser + FTSQueryImpl::parse read it: whitespace
 * separates, '"' opens and closes a phrase, '-' right after whitespace negates the next word
 * or phrase (and keeps negating until the next whitespace: "-foo-bar" negates both), a '-'
 * inside a phrase is part of it.  The positive and negated words then go through the
 * tokenizer of the query's language with stop words dropped: the folded forms are the terms
 * the index is scanned for (and the terms the matcher looks for unless the query is case or
 * diacritic sensitive, in which case those come from a second pass in that sensitivity).
 * A document matches as FTSMatcher decides: one of its indexed strings holds a positive term,
 * none holds a negated term, each phrase is a substring of one of them and no negated phrase
 * is (folded per the query's sensitivity).  Its score is the sum, over the scanned terms, of
 * its term scores (fts_spec.c) -- what TEXT_OR adds up from the index keys.
 *
 * Invariants: pure functions; any thread.
 */
#include "fts.h"

#include "../sdb.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void
strs_add(sdb_fts_strs_t *s, const char *w, size_t n)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == n && memcmp(s->v[i], w, n) == 0)
            return;
    s->v = bson_realloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n] = bson_malloc(n + 1);
    memcpy(s->v[s->n], w, n);
    s->v[s->n++][n] = '\0';
}

static bool
strs_has(const sdb_fts_strs_t *s, const char *w, size_t n)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == n && memcmp(s->v[i], w, n) == 0)
            return true;
    return false;
}

static void
strs_free(sdb_fts_strs_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        bson_free(s->v[i]);
    bson_free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sdb_fts_query_free(sdb_fts_query_t *q)
{
    strs_free(&q->terms);
    strs_free(&q->negated);
    strs_free(&q->phrases);
    strs_free(&q->negated_phrases);
    strs_free(&q->bounds);
    bson_free(q->search);
    bson_free(q->language);
    memset(q, 0, sizeof(*q));
}

/* ---- parsing --------------------------------------------------------------------------- */

typedef struct add_ctx {
    sdb_fts_strs_t *bounds, *active; /* either may be NULL */
} add_ctx_t;

static int
add_word(const char *w, size_t n, void *arg)
{
    add_ctx_t *a = arg;

    if (a->bounds != NULL)
        strs_add(a->bounds, w, n);
    if (a->active != NULL)
        strs_add(a->active, w, n);
    return 0;
}

/* add_terms -- FTSQueryImpl::_addTerms for one sentence. */
static void
add_terms(sdb_fts_query_t *q, const char *sentence, size_t len, bool negated)
{
    sdb_fts_strs_t *active = negated ? &q->negated : &q->terms;
    bool sensitive = q->case_sensitive || q->diacritic_sensitive;
    add_ctx_t a = {negated ? NULL : &q->bounds, sensitive ? NULL : active};

    sdb_fts_tokens(q->lang, sentence, len, SDB_FTS_STOP_WORDS, add_word, &a);
    if (!sensitive)
        return;
    a.bounds = NULL;
    a.active = active;
    sdb_fts_tokens(q->lang, sentence, len,
                   SDB_FTS_STOP_WORDS | (q->case_sensitive ? SDB_FTS_CASE : 0) |
                       (q->diacritic_sensitive ? SDB_FTS_DIACRITIC : 0),
                   add_word, &a);
}

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* parse_search -- split $search into the positive and negative sentences and the phrases. */
static void
parse_search(sdb_fts_query_t *q, bson_string_t *pos, bson_string_t *neg)
{
    const char *s = q->search;
    size_t i = 0, n = strlen(s), quote = 0;
    bool neg_on = false, in_phrase = false, prev_ws = true;

    while (i < n) {
        if (is_ws(s[i])) {
            prev_ws = true;
            i++;
            continue;
        }
        if (s[i] == '-' || s[i] == '"') {
            if (s[i] == '-' && !in_phrase && prev_ws) {
                neg_on = true;
            } else if (s[i] == '"' && in_phrase) {
                strs_add(neg_on ? &q->negated_phrases : &q->phrases, s + quote + 1, i - quote - 1);
                in_phrase = false;
            } else if (s[i] == '"') {
                in_phrase = true;
                if (neg_on && prev_ws)
                    neg_on = false;
                quote = i;
            }
            prev_ws = false;
            i++;
            continue;
        }
        size_t start = i;

        while (i < n && !is_ws(s[i]) && s[i] != '-' && s[i] != '"')
            i++;
        if (!(in_phrase && neg_on)) {
            if (neg_on && prev_ws)
                neg_on = false;
            bson_string_append_printf(neg_on ? neg : pos, "%.*s ", (int)(i - start), s + start);
        }
        prev_ws = false;
    }
}

static int
text_field(const bson_iter_t *it, const char *name, bool *b, sdb_error_t *err)
{
    if (!BSON_ITER_HOLDS_BOOL(it))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s needs a Boolean", name);
    *b = bson_iter_bool(it);
    return 0;
}

int
sdb_fts_query_parse(const bson_value_t *text, const sdb_fts_lang_t *deflang, sdb_fts_query_t *q,
                    sdb_error_t *err)
{
    bson_string_t *pos, *neg;
    bson_iter_t it;
    bson_t op;

    memset(q, 0, sizeof(*q));
    q->lang = deflang != NULL ? deflang : sdb_fts_lang_find("english", 7);
    if (text->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&op, text->value.v_doc.data, text->value.v_doc.data_len))
        return sdb_error_set(err, SDB_CODE_BadValue, "$text expects an object");
    if (!bson_iter_init_find(&it, &op, "$search") || !BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(err, SDB_CODE_BadValue, "$search needs a String");
    q->search = bson_strdup(bson_iter_utf8(&it, NULL));
    q->language = bson_strdup("");
    bson_iter_init(&it, &op);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        uint32_t n;

        if (strcmp(k, "$search") == 0)
            continue;
        if (strcmp(k, "$language") == 0) {
            if (!BSON_ITER_HOLDS_UTF8(&it))
                return sdb_error_set(err, SDB_CODE_BadValue, "$language needs a String");
            bson_free(q->language);
            q->language = bson_strdup(bson_iter_utf8(&it, &n));
            if ((q->lang = sdb_fts_lang_find(q->language, n)) == NULL)
                return sdb_fts_lang_error(err, q->language, n);
        } else if (strcmp(k, "$caseSensitive") == 0) {
            SDB_RET(text_field(&it, k, &q->case_sensitive, err));
        } else if (strcmp(k, "$diacriticSensitive") == 0) {
            SDB_RET(text_field(&it, k, &q->diacritic_sensitive, err));
        } else {
            return sdb_error_set(err, SDB_CODE_BadValue, "extra fields in $text");
        }
    }
    pos = bson_string_new(NULL);
    neg = bson_string_new(NULL);
    parse_search(q, pos, neg);
    add_terms(q, pos->str, pos->len, false);
    add_terms(q, neg->str, neg->len, true);
    bson_string_free(pos, true);
    bson_string_free(neg, true);
    if (q->bounds.n > 1)
        qsort(q->bounds.v, q->bounds.n, sizeof(*q->bounds.v), str_cmp);
    return 0;
}

static void
append_strs(bson_t *out, const char *name, const sdb_fts_strs_t *s)
{
    bson_t arr;
    char **v = bson_malloc((s->n + 1) * sizeof(*v));

    if (s->n > 0) {
        memcpy(v, s->v, s->n * sizeof(*v));
        qsort(v, s->n, sizeof(*v), str_cmp);
    }
    BSON_APPEND_ARRAY_BEGIN(out, name, &arr);
    for (size_t i = 0; i < s->n; i++) {
        char key[16];
        const char *k;

        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        BSON_APPEND_UTF8(&arr, k, v[i]);
    }
    bson_append_array_end(out, &arr);
    bson_free(v);
}

void
sdb_fts_query_bson(const sdb_fts_query_t *q, bson_t *out)
{
    append_strs(out, "terms", &q->terms);
    append_strs(out, "negatedTerms", &q->negated);
    append_strs(out, "phrases", &q->phrases);
    append_strs(out, "negatedPhrases", &q->negated_phrases);
}

/* ---- matching -------------------------------------------------------------------------- */

typedef struct match_ctx {
    const sdb_fts_query_t *q;
    bool pos, neg;
    const char *phrase; /* phrase pass: the phrase looked for */
    bool found;
} match_ctx_t;

static int
term_seen(const char *w, size_t n, void *arg)
{
    match_ctx_t *m = arg;

    if (strs_has(&m->q->terms, w, n))
        m->pos = true;
    if (strs_has(&m->q->negated, w, n))
        m->neg = true;
    return 0;
}

static int
terms_string(const sdb_fts_lang_t *lang, const char *s, size_t len, double weight, void *arg)
{
    match_ctx_t *m = arg;
    int opts = (m->q->case_sensitive ? SDB_FTS_CASE : 0) |
               (m->q->diacritic_sensitive ? SDB_FTS_DIACRITIC : 0);

    (void)weight;
    return sdb_fts_tokens(lang, s, len, opts, term_seen, m);
}

static int
phrase_string(const sdb_fts_lang_t *lang, const char *s, size_t len, double weight, void *arg)
{
    match_ctx_t *m = arg;
    char *hay, *needle;
    size_t hl, nl;

    (void)weight;
    if (m->found)
        return 0;
    sdb_fts_fold(lang, s, len, m->q->case_sensitive, m->q->diacritic_sensitive, &hay, &hl);
    sdb_fts_fold(lang, m->phrase, strlen(m->phrase), m->q->case_sensitive,
                 m->q->diacritic_sensitive, &needle, &nl);
    m->found = strstr(hay, needle) != NULL;
    bson_free(hay);
    bson_free(needle);
    return 0;
}

static int
phrase_in(const sdb_fts_spec_t *s, const sdb_fts_query_t *q, const bson_t *doc, const char *p,
          bool *found, sdb_error_t *err)
{
    match_ctx_t m = {.q = q, .phrase = p};

    SDB_RET(sdb_fts_each_string(s, doc, phrase_string, &m, err));
    *found = m.found;
    return 0;
}

int
sdb_fts_query_matches(const sdb_fts_spec_t *s, const sdb_fts_query_t *q, const bson_t *doc,
                      bool *matched, double *score, sdb_error_t *err)
{
    match_ctx_t m = {.q = q};
    sdb_fts_terms_t terms;
    bool found;

    *matched = false;
    *score = 0;
    SDB_RET(sdb_fts_each_string(s, doc, terms_string, &m, err));
    if (!m.pos || m.neg)
        return 0;
    for (size_t i = 0; i < q->phrases.n; i++) {
        SDB_RET(phrase_in(s, q, doc, q->phrases.v[i], &found, err));
        if (!found)
            return 0;
    }
    for (size_t i = 0; i < q->negated_phrases.n; i++) {
        SDB_RET(phrase_in(s, q, doc, q->negated_phrases.v[i], &found, err));
        if (found)
            return 0;
    }
    SDB_RET(sdb_fts_score_doc(s, doc, &terms, err));
    for (size_t i = 0; i < q->bounds.n; i++)
        *score += sdb_fts_terms_get(&terms, q->bounds.v[i], strlen(q->bounds.v[i]));
    sdb_fts_terms_free(&terms);
    *matched = true;
    return 0;
}
