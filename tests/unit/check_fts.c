/*
 * tests/unit/check_fts.c -- text search pieces (src/common/fts/): languages, stop words,
 * tokens, scores and $search parsing, with cases from mongod's manual and its FTS tests.
 *
 * Tokens: words split at Unicode delimiters, case folded, stop words dropped, Snowball
 * stems ("running" -> "run", "foxes" -> "fox"), diacritics stripped unless asked to keep
 * them, an apostrophe inside an English word kept.  Scores: mongod's scoreDocument formula
 * computed by hand.  Queries: terms, "phrases" and -negations as FTSQueryImpl parses them.
 * Keys: a term past 224 bytes becomes its prefix and the MD5 of the whole (version 3).
 */
#include "../../src/common/fts/fts.h"
#include "../../src/common/keyenc.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct toks {
    char buf[512];
} toks_t;

static int
collect(const char *w, size_t n, void *arg)
{
    toks_t *t = arg;
    size_t l = strlen(t->buf);

    snprintf(t->buf + l, sizeof(t->buf) - l, "%s%.*s", l ? "|" : "", (int)n, w);
    return 0;
}

static const char *
tokens(const char *lang, const char *s, int opts, toks_t *t)
{
    const sdb_fts_lang_t *l = sdb_fts_lang_find(lang, strlen(lang));

    ck_assert_ptr_nonnull(l);
    t->buf[0] = '\0';
    ck_assert_int_eq(sdb_fts_tokens(l, s, strlen(s), opts, collect, t), 0);
    return t->buf;
}

START_TEST(test_languages)
{
    ck_assert_str_eq(sdb_fts_lang_find("EN", 2)->name, "english");
    ck_assert_str_eq(sdb_fts_lang_find("es", 2)->name, "spanish");
    ck_assert_str_eq(sdb_fts_lang_find("Portuguese", 10)->name, "portuguese");
    ck_assert_str_eq(sdb_fts_lang_find("none", 4)->name, "none");
    ck_assert_ptr_null(sdb_fts_lang_find("klingon", 7));
    ck_assert(sdb_fts_is_stop_word(sdb_fts_lang_find("en", 2), "the", 3));
    ck_assert(sdb_fts_is_stop_word(sdb_fts_lang_find("en", 2), "aren't", 6));
    ck_assert(!sdb_fts_is_stop_word(sdb_fts_lang_find("en", 2), "coffee", 6));
    ck_assert(sdb_fts_is_stop_word(sdb_fts_lang_find("fr", 2), "être", strlen("être")));
    ck_assert(!sdb_fts_is_stop_word(sdb_fts_lang_find("none", 4), "the", 3));
}
END_TEST

START_TEST(test_tokens)
{
    toks_t t;

    ck_assert_str_eq(
        tokens("english", "The quick brown foxes aren't running.", SDB_FTS_STOP_WORDS, &t),
        "quick|brown|fox|run");
    /* without the stop-word filter (the matcher's pass) */
    ck_assert_str_eq(tokens("english", "the Runner", 0, &t), "the|runner");
    /* case and diacritics: folded and stripped unless kept */
    ck_assert_str_eq(tokens("english", "Café", SDB_FTS_STOP_WORDS, &t), "cafe");
    ck_assert_str_eq(tokens("english", "Café", SDB_FTS_DIACRITIC, &t), "café");
    ck_assert_str_eq(tokens("english", "Café", SDB_FTS_CASE | SDB_FTS_DIACRITIC, &t), "Café");
    ck_assert_str_eq(tokens("english", "Café", SDB_FTS_CASE, &t), "Cafe");
    /* an apostrophe splits words outside English */
    ck_assert_str_eq(tokens("french", "l'homme", SDB_FTS_STOP_WORDS, &t), "homm");
    /* hyphens, dashes and punctuation delimit; "none" neither stems nor drops */
    ck_assert_str_eq(tokens("none", "well-known, the dogs!", SDB_FTS_STOP_WORDS, &t),
                     "well|known|the|dogs");
    ck_assert_str_eq(tokens("spanish", "Las casas", SDB_FTS_STOP_WORDS, &t), "cas");
    ck_assert_str_eq(tokens("russian", "Сырники", SDB_FTS_STOP_WORDS, &t), "сырник");
    ck_assert_str_eq(tokens("english", "", SDB_FTS_STOP_WORDS, &t), "");
}
END_TEST

/* spec_of -- a text index spec read from JSON (fields of *s point into s->key: no copies) */
static void
spec_of(sdb_fts_spec_t *s, const char *json)
{
    bson_t *b = bson_new_from_json((const uint8_t *)json, -1, NULL);

    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(sdb_fts_spec_init(s, b), 0);
    bson_destroy(b);
}

static double
score_of(const sdb_fts_spec_t *s, const char *doc_json, const char *term)
{
    bson_t *d = bson_new_from_json((const uint8_t *)doc_json, -1, NULL);
    sdb_fts_terms_t t;
    sdb_error_t err;
    double v;

    ck_assert_int_eq(sdb_fts_score_doc(s, d, &t, &err), 0);
    v = sdb_fts_terms_get(&t, term, strlen(term));
    sdb_fts_terms_free(&t);
    bson_destroy(d);
    return v;
}

START_TEST(test_scores)
{
    sdb_fts_spec_t s;

    spec_of(&s, "{\"key\": {\"_fts\": \"text\", \"_ftsx\": 1}, "
                "\"weights\": {\"a\": 1, \"b\": 10}, \"default_language\": \"english\", "
                "\"language_override\": \"language\"}");

    /* freq 1 + 1/2 + 1/4, 3 of 4 tokens: 1.75 * (0.5 * 3 / 4 + 0.5) */
    ck_assert(fabs(score_of(&s, "{\"a\": \"coffee coffee coffee shop\"}", "coffe") - 1.53125) <
              1e-12);
    ck_assert(fabs(score_of(&s, "{\"a\": \"coffee coffee coffee shop\"}", "shop") - 0.625) < 1e-12);
    /* the whole string is the term: 1.1; weights multiply; fields add up */
    ck_assert(fabs(score_of(&s, "{\"a\": \"Shop\"}", "shop") - 1.1) < 1e-12);
    ck_assert(fabs(score_of(&s, "{\"b\": \"shop\", \"a\": \"shop\"}", "shop") - 12.1) < 1e-12);
    /* arrays of strings, stop words, unindexed fields */
    ck_assert(fabs(score_of(&s, "{\"a\": [\"the shop\", \"shop\"]}", "shop") - 2.1) < 1e-12);
    ck_assert(score_of(&s, "{\"c\": \"shop\"}", "shop") == 0);
    /* a language override: Spanish stems "casas" to "cas" */
    ck_assert(fabs(score_of(&s, "{\"a\": \"casas\", \"language\": \"es\"}", "cas") - 1.0) < 1e-12);
    sdb_fts_spec_free(&s);
}
END_TEST

static void
parse(const char *search, sdb_fts_query_t *q)
{
    bson_t *op = BCON_NEW("$search", BCON_UTF8(search));
    bson_value_t v;
    sdb_error_t err;

    v.value_type = BSON_TYPE_DOCUMENT;
    v.value.v_doc.data = (uint8_t *)bson_get_data(op);
    v.value.v_doc.data_len = op->len;
    ck_assert_int_eq(sdb_fts_query_parse(&v, NULL, q, &err), 0);
    bson_destroy(op);
}

static const char *
joined(const sdb_fts_strs_t *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->n; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "|" : "", s->v[i]);
    return buf;
}

START_TEST(test_query)
{
    sdb_fts_query_t q;
    char b[256];

    parse("\"coffee shop\" -tea cake-pie", &q);
    ck_assert_str_eq(joined(&q.phrases, b, sizeof(b)), "coffee shop");
    ck_assert_str_eq(joined(&q.negated, b, sizeof(b)), "tea");
    ck_assert_str_eq(joined(&q.bounds, b, sizeof(b)), "cake|coffe|pie|shop");
    sdb_fts_query_free(&q);
    parse("-foo-bar baz - qux -\"x y\"", &q); /* "-foo-bar" negates both; "- qux" does not */
    ck_assert_str_eq(joined(&q.negated, b, sizeof(b)), "foo|bar");
    ck_assert_str_eq(joined(&q.bounds, b, sizeof(b)), "baz|qux");
    ck_assert_str_eq(joined(&q.negated_phrases, b, sizeof(b)), "x y");
    sdb_fts_query_free(&q);
    parse("the and of", &q); /* only stop words: nothing to look for */
    ck_assert_int_eq((int)q.bounds.n, 0);
    sdb_fts_query_free(&q);
}
END_TEST

START_TEST(test_match)
{
    sdb_fts_spec_t s;
    bson_t *d = bson_new_from_json((const uint8_t *)"{\"a\": \"Coffee Shopping\"}", -1, NULL);
    sdb_fts_query_t q;
    sdb_error_t err;
    bool m;
    double sc;

    spec_of(&s, "{\"key\": {\"_fts\": \"text\", \"_ftsx\": 1}, "
                "\"weights\": {\"a\": 1}, \"default_language\": \"english\"}");
    parse("\"COFFEE SHOP\"", &q); /* a phrase is a case-insensitive substring */
    ck_assert_int_eq(sdb_fts_query_matches(&s, &q, d, &m, &sc, &err), 0);
    ck_assert(m);
    ck_assert(fabs(sc - 1.5) < 1e-12); /* coffe 0.75 + shop 0.75 */
    sdb_fts_query_free(&q);
    parse("coffee -shop", &q);
    ck_assert_int_eq(sdb_fts_query_matches(&s, &q, d, &m, &sc, &err), 0);
    ck_assert(!m);
    sdb_fts_query_free(&q);
    parse("tea", &q);
    ck_assert_int_eq(sdb_fts_query_matches(&s, &q, d, &m, &sc, &err), 0);
    ck_assert(!m);
    sdb_fts_query_free(&q);
    bson_destroy(d);
    sdb_fts_spec_free(&s);
}
END_TEST

typedef struct keys {
    uint8_t key[1024];
    size_t len, n;
} keys_t;

static int
one_key(const uint8_t *key, size_t len, void *arg)
{
    keys_t *k = arg;

    ck_assert_uint_lt(len, sizeof(k->key));
    memcpy(k->key, key, len);
    k->len = len;
    k->n++;
    return 0;
}

/* encoded -- the key encoding of string s (the term part of a text index key). */
static void
encoded(const char *str, sdb_keybuf_t *kb)
{
    bson_value_t v = {.value_type = BSON_TYPE_UTF8};

    v.value.v_utf8.str = (char *)str;
    v.value.v_utf8.len = (uint32_t)strlen(str);
    sdb_keybuf_init(kb);
    ck_assert_int_eq(sdb_keyenc_value(kb, &v, 0), 0);
}

/* a term longer than 224 bytes is keyed as text index version 3 keys it: its first 224 bytes
 * and the lowercase hex MD5 of the whole term (MD5s computed independently); 224 bytes stay
 * whole */
START_TEST(test_long_terms)
{
    const char *idx = "{\"key\": {\"_fts\": \"text\", \"_ftsx\": 1}, \"weights\": {\"a\": 1}, "
                      "\"default_language\": \"none\", \"textIndexVersion\": 3}";
    bson_t *spec = bson_new_from_json((const uint8_t *)idx, -1, NULL);
    char word[301], want[300], json[400];
    sdb_keybuf_t kb, exp;
    sdb_fts_spec_t s;
    sdb_error_t err;
    keys_t k;

    spec_of(&s, idx);
    memset(word, 'a', 300);
    word[300] = '\0';
    memset(want, 'a', 224);
    bson_snprintf(want + 224, sizeof(want) - 224, "4e5475d125a33c6190718e75adc1b704");
    sdb_keybuf_init(&kb);
    ck_assert_int_eq(sdb_fts_key_term(&s, NULL, word, 300, &kb), 0);
    encoded(want, &exp);
    ck_assert(kb.len == exp.len && memcmp(kb.data, exp.data, kb.len) == 0);
    sdb_keybuf_free(&exp);
    /* the master's keys of a document holding the word: that term, then the score */
    bson_snprintf(json, sizeof(json), "{\"a\": \"%s\"}", word);
    {
        bson_t *d = bson_new_from_json((const uint8_t *)json, -1, NULL);

        memset(&k, 0, sizeof(k));
        ck_assert_int_eq(sdb_fts_keys(d, spec, one_key, &k, &err), 0);
        ck_assert_uint_eq(k.n, 1);
        ck_assert(k.len > kb.len && memcmp(k.key, kb.data, kb.len) == 0);
        bson_destroy(d);
    }
    /* 300 bytes of two-byte characters: the cut is at a byte, as mongod's substr */
    sdb_keybuf_reset(&kb);
    for (int i = 0; i < 150; i++)
        memcpy(word + 2 * i, "\xc3\xa9", 2);
    ck_assert_int_eq(sdb_fts_key_term(&s, NULL, word, 300, &kb), 0);
    memcpy(want, word, 224);
    bson_snprintf(want + 224, sizeof(want) - 224, "4f82f6345b456851ef2bf6554de1ad02");
    encoded(want, &exp);
    ck_assert(kb.len == exp.len && memcmp(kb.data, exp.data, kb.len) == 0);
    sdb_keybuf_free(&exp);
    /* exactly 224 bytes: the term itself */
    sdb_keybuf_reset(&kb);
    memset(word, 'b', 224);
    word[224] = '\0';
    ck_assert_int_eq(sdb_fts_key_term(&s, NULL, word, 224, &kb), 0);
    encoded(word, &exp);
    ck_assert(kb.len == exp.len && memcmp(kb.data, exp.data, kb.len) == 0);
    sdb_keybuf_free(&exp);
    sdb_keybuf_free(&kb);
    sdb_fts_spec_free(&s);
    bson_destroy(spec);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("fts");
    TCase *tc = tcase_create("fts");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_languages);
    tcase_add_test(tc, test_tokens);
    tcase_add_test(tc, test_scores);
    tcase_add_test(tc, test_query);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_long_terms);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
