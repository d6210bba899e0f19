/*
 * src/common/fts/fts_spec.c -- a text index's spec, the strings it indexes, scores and keys.
 *
 * The strings of a document come in mongod's FTSElementIterator order: fields in document
 * order, a field taken when its dotted path is a weight (or with "$**" every string, the
 * weight being that of the first weight path not below it, 1 past the last), sub-documents
 * and arrays walked into, the language changing at each (sub-)document that carries the
 * language_override field.  Each string scores as FTSSpec::_scoreStringV2: per distinct term
 * t of the string (stop words dropped, stemmed), with count c among n tokens and frequency
 * f = 1 + 1/2 + 1/4 + ... (c terms), weight * f * (0.5 * c / n + 0.5), times 1.1 when the
 * whole string is the term (ASCII case-insensitively); a document's term scores are the sum
 * over its strings, in that order.  One index key per distinct term: [prefix values..., term,
 * score, suffix values...] encoded with keyenc.h (prefix/suffix fields per their direction).
 *
 * Invariants: pure functions; any thread; recursion carries its depth (SDB_BSON_DEPTH_EVAL).
 */
#include "fts.h"

#include "../bsontext.h"
#include "../depth.h"
#include "../hash.h"
#include "../keyenc.h"
#include "../sdb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- term tables ----------------------------------------------------------------------- */

typedef struct ent {
    char *t;
    size_t len;
    double count, exp, freq, score;
} ent_t;

typedef struct tab {
    ent_t *v;
    size_t n, cap;
    size_t *slot; /* open addressing: index + 1, 0 = empty */
    size_t nslot;
} tab_t;

static uint64_t
hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static void
tab_rehash(tab_t *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 64;

    bson_free(t->slot);
    t->slot = bson_malloc0(ns * sizeof(*t->slot));
    t->nslot = ns;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = hash_bytes(t->v[i].t, t->v[i].len) & (ns - 1);

        while (t->slot[h] != 0)
            h = (h + 1) & (ns - 1);
        t->slot[h] = i + 1;
    }
}

/* tab_get -- the entry of term w, added (zeroed) when absent. */
static ent_t *
tab_get(tab_t *t, const char *w, size_t n)
{
    size_t h;

    if ((t->n + 1) * 2 > t->nslot)
        tab_rehash(t);
    for (h = hash_bytes(w, n) & (t->nslot - 1); t->slot[h] != 0; h = (h + 1) & (t->nslot - 1)) {
        ent_t *e = &t->v[t->slot[h] - 1];

        if (e->len == n && memcmp(e->t, w, n) == 0)
            return e;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = bson_realloc(t->v, t->cap * sizeof(*t->v));
    }
    t->slot[h] = t->n + 1;
    memset(&t->v[t->n], 0, sizeof(t->v[0]));
    t->v[t->n].t = bson_malloc(n + 1);
    memcpy(t->v[t->n].t, w, n);
    t->v[t->n].t[n] = '\0';
    t->v[t->n].len = n;
    return &t->v[t->n++];
}

static void
tab_free(tab_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        bson_free(t->v[i].t);
    bson_free(t->v);
    bson_free(t->slot);
    memset(t, 0, sizeof(*t));
}

static int
term_cmp(const void *a, const void *b)
{
    const sdb_fts_term_t *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->term, y->term, m);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

void
sdb_fts_terms_free(sdb_fts_terms_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        bson_free(t->v[i].term);
    bson_free(t->v);
    memset(t, 0, sizeof(*t));
}

double
sdb_fts_terms_get(const sdb_fts_terms_t *t, const char *term, size_t len)
{
    sdb_fts_term_t key = {(char *)term, len, 0};
    const sdb_fts_term_t *hit;

    if (t->n == 0)
        return 0;
    hit = bsearch(&key, t->v, t->n, sizeof(*t->v), term_cmp);
    return hit != NULL ? hit->score : 0;
}

/* ---- the spec -------------------------------------------------------------------------- */

bool
sdb_fts_pattern(const bson_t *key_pattern)
{
    bson_iter_t it;

    return key_pattern != NULL && bson_iter_init_find(&it, key_pattern, "_fts");
}

static int
weight_cmp(const void *a, const void *b)
{
    return strcmp(((const sdb_fts_weight_t *)a)->path, ((const sdb_fts_weight_t *)b)->path);
}

static int
spec_key(sdb_fts_spec_t *s)
{
    bson_iter_t it;
    bool passed = false;

    if (!bson_iter_init(&it, &s->key))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        int desc = BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0;

        if (strcmp(k, "_fts") == 0 || strcmp(k, "_ftsx") == 0) {
            passed = true;
        } else if (!passed && s->nbefore < SDB_FTS_MAX_FIELDS) {
            s->before_desc[s->nbefore] = desc;
            s->before[s->nbefore++] = k;
        } else if (passed && s->nafter < SDB_FTS_MAX_FIELDS) {
            s->after_desc[s->nafter] = desc;
            s->after[s->nafter++] = k;
        } else {
            return SDB_ECORRUPT;
        }
    }
    return passed ? 0 : SDB_ECORRUPT;
}

int
sdb_fts_spec_init(sdb_fts_spec_t *s, const bson_t *ix)
{
    bson_iter_t it, w;
    const uint8_t *d;
    uint32_t len;
    bson_t key;

    memset(s, 0, sizeof(*s));
    bson_init(&s->key);
    if (!bson_iter_init_find(&it, ix, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return SDB_ECORRUPT;
    bson_iter_document(&it, &len, &d);
    if (!bson_init_static(&key, d, len))
        return SDB_ECORRUPT;
    bson_destroy(&s->key);
    bson_copy_to(&key, &s->key);
    s->lang = sdb_fts_lang_find("english", 7);
    if (bson_iter_init_find(&it, ix, "default_language") && BSON_ITER_HOLDS_UTF8(&it)) {
        const char *l = bson_iter_utf8(&it, &len);

        if ((s->lang = sdb_fts_lang_find(l, len)) == NULL)
            return SDB_ECORRUPT;
    }
    if (bson_iter_init_find(&it, ix, "language_override") && BSON_ITER_HOLDS_UTF8(&it))
        s->override = bson_strdup(bson_iter_utf8(&it, NULL));
    else
        s->override = bson_strdup("language");
    if (bson_iter_init_find(&it, ix, "weights") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &w)) {
        while (bson_iter_next(&w)) {
            if (strcmp(bson_iter_key(&w), "$**") == 0) {
                s->wildcard = true;
                continue;
            }
            s->weights = bson_realloc(s->weights, (s->nweights + 1) * sizeof(*s->weights));
            s->weights[s->nweights].path = bson_strdup(bson_iter_key(&w));
            s->weights[s->nweights++].w = bson_iter_as_double(&w);
        }
    }
    if (s->nweights > 1)
        qsort(s->weights, s->nweights, sizeof(*s->weights), weight_cmp);
    return spec_key(s);
}

void
sdb_fts_spec_free(sdb_fts_spec_t *s)
{
    for (size_t i = 0; i < s->nweights; i++)
        bson_free(s->weights[i].path);
    bson_free(s->weights);
    bson_free(s->override);
    bson_destroy(&s->key);
    memset(s, 0, sizeof(*s));
    bson_init(&s->key);
}

/* ---- the strings of a document --------------------------------------------------------- */

typedef struct walk {
    const sdb_fts_spec_t *s;
    sdb_fts_string_fn fn;
    void *ctx;
    sdb_error_t *err;
} walk_t;

/* doc_lang -- the language of a (sub-)document: its override field, else the parent's. */
static int
doc_lang(walk_t *w, const bson_t *obj, const sdb_fts_lang_t **lang)
{
    bson_iter_t it;
    const char *l;
    uint32_t n;

    if (!bson_iter_init_find(&it, obj, w->s->override))
        return 0;
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(w->err, SDB_CODE_Location17261,
                             "found language override field in document with non-string type");
    l = bson_iter_utf8(&it, &n);
    if ((*lang = sdb_fts_lang_find(l, n)) == NULL)
        return sdb_error_set(w->err, SDB_CODE_Location17262, "language override unsupported: %s",
                             l);
    return 0;
}

/* lower_bound -- the first weight path not below `path` (with `obj`: path + "."). */
static size_t
lower_bound(const sdb_fts_spec_t *s, const char *path, bool obj)
{
    char *target = obj ? bson_strdup_printf("%s.", path) : bson_strdup(path);
    size_t lo = 0, hi = s->nweights;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (strcmp(s->weights[mid].path, target) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    bson_free(target);
    return lo;
}

static bool
match_prefix(const char *dotted, const char *weight)
{
    size_t n = strlen(dotted);

    return strcmp(weight, dotted) == 0 || (strncmp(weight, dotted, n) == 0 && weight[n] == '.');
}

static int walk_obj(walk_t *w, const bson_t *obj, const sdb_fts_lang_t *lang, const char *parent,
                    bool is_array, int depth);

/* walk_elem -- one element of a frame (FTSElementIterator::advance). */
static int
walk_elem(walk_t *w, bson_iter_t *it, const sdb_fts_lang_t *lang, const char *parent, bool is_array,
          int depth)
{
    const sdb_fts_spec_t *s = w->s;
    const char *name = bson_iter_key(it);
    char *dotted;
    bool objt = BSON_ITER_HOLDS_DOCUMENT(it), possible, exact;
    size_t i;
    double weight;
    int ret = 0;

    if (s->wildcard && strcmp(name, s->override) == 0)
        return 0;
    dotted = parent[0] == '\0' ? bson_strdup(name)
             : is_array        ? bson_strdup(parent)
                               : bson_strdup_printf("%s.%s", parent, name);
    i = lower_bound(s, dotted, objt);
    possible = i < s->nweights;
    if (!s->wildcard && (!possible || !match_prefix(dotted, s->weights[i].path)))
        goto err;
    exact = possible && strcmp(s->weights[i].path, dotted) == 0;
    weight = possible ? s->weights[i].w : 1;
    if (BSON_ITER_HOLDS_UTF8(it) && (exact || s->wildcard)) {
        uint32_t n;
        const char *str = bson_iter_utf8(it, &n);

        ret = w->fn(lang, str, n, weight, w->ctx);
    } else if ((objt && (!exact || s->wildcard)) ||
               (BSON_ITER_HOLDS_ARRAY(it) && (!is_array || s->wildcard))) {
        const uint8_t *d;
        uint32_t len;
        bson_t sub;

        if (objt)
            bson_iter_document(it, &len, &d);
        else
            bson_iter_array(it, &len, &d);
        if (bson_init_static(&sub, d, len))
            ret = walk_obj(w, &sub, lang, dotted, !objt, depth + 1);
    }
err:
    bson_free(dotted);
    return ret;
}

static int
walk_obj(walk_t *w, const bson_t *obj, const sdb_fts_lang_t *lang, const char *parent,
         bool is_array, int depth)
{
    bson_iter_t it;

    if (depth > SDB_BSON_DEPTH_EVAL)
        return sdb_depth_error(w->err, "text index key");
    if (!is_array)
        SDB_RET(doc_lang(w, obj, &lang));
    if (!bson_iter_init(&it, obj))
        return SDB_ECORRUPT;
    while (bson_iter_next(&it))
        SDB_RET(walk_elem(w, &it, lang, parent, is_array, depth));
    return 0;
}

int
sdb_fts_each_string(const sdb_fts_spec_t *s, const bson_t *doc, sdb_fts_string_fn fn, void *ctx,
                    sdb_error_t *err)
{
    walk_t w = {s, fn, ctx, err};

    return walk_obj(&w, doc, s->lang, "", false, 0);
}

/* ---- scores ---------------------------------------------------------------------------- */

typedef struct score_ctx {
    tab_t doc;   /* term -> score over the document */
    tab_t local; /* term -> count, exp, freq over one string */
    unsigned ntokens;
} score_ctx_t;

static int
score_token(const char *t, size_t n, void *arg)
{
    score_ctx_t *sc = arg;
    ent_t *e = tab_get(&sc->local, t, n);

    e->exp = e->exp != 0 ? e->exp * 2 : 1;
    e->count += 1;
    e->freq += 1 / e->exp;
    sc->ntokens++;
    return 0;
}

/* score_string -- FTSSpec::_scoreStringV2 for one string. */
static int
score_string(const sdb_fts_lang_t *lang, const char *s, size_t len, double weight, void *arg)
{
    score_ctx_t *sc = arg;

    sc->ntokens = 0;
    SDB_RET(sdb_fts_tokens(lang, s, len, SDB_FTS_STOP_WORDS, score_token, sc));
    for (size_t i = 0; i < sc->local.n; i++) {
        const ent_t *e = &sc->local.v[i];
        double coeff = (0.5 * e->count / sc->ntokens) + 0.5, adjustment = 1;

        if (len == e->len && strncasecmp(s, e->t, len) == 0)
            adjustment += 0.1;
        tab_get(&sc->doc, e->t, e->len)->score += weight * e->freq * coeff * adjustment;
    }
    tab_free(&sc->local);
    return 0;
}

int
sdb_fts_score_doc(const sdb_fts_spec_t *s, const bson_t *doc, sdb_fts_terms_t *out,
                  sdb_error_t *err)
{
    score_ctx_t sc;
    int ret;

    memset(&sc, 0, sizeof(sc));
    memset(out, 0, sizeof(*out));
    ret = sdb_fts_each_string(s, doc, score_string, &sc, err);
    if (ret == 0 && sc.doc.n > 0) {
        out->v = bson_malloc(sc.doc.n * sizeof(*out->v));
        for (size_t i = 0; i < sc.doc.n; i++) {
            out->v[i].term = sc.doc.v[i].t;
            out->v[i].len = sc.doc.v[i].len;
            out->v[i].score = sc.doc.v[i].score;
            sc.doc.v[i].t = NULL;
        }
        out->n = out->cap = sc.doc.n;
        qsort(out->v, out->n, sizeof(*out->v), term_cmp);
    }
    tab_free(&sc.local);
    tab_free(&sc.doc);
    return ret;
}

/* ---- keys ------------------------------------------------------------------------------ */

/* extra_value -- a prefix or suffix field's value (null when missing); an array anywhere
 * on its path is 133 CannotBuildIndexKeys, as mongod's extractNonFTSKeyElement. */
static int
extra_value(const bson_t *doc, const char *path, bson_value_t *v, sdb_error_t *err)
{
    bson_iter_t it, sub;
    const char *p = path;
    bool found = bson_iter_init(&it, doc);

    v->value_type = BSON_TYPE_NULL;
    while (found) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

        found = false;
        while (bson_iter_next(&it))
            if (strlen(bson_iter_key(&it)) == n && strncmp(bson_iter_key(&it), p, n) == 0) {
                found = true;
                break;
            }
        if (!found)
            return 0;
        if (BSON_ITER_HOLDS_ARRAY(&it)) {
            bson_string_t *s = bson_string_new(NULL);

            sdb_bson_text_doc(s, doc, false);
            sdb_error_set(err, SDB_CODE_CannotBuildIndexKeys,
                          "Field '%s' of text index contains an array in document: %s", path,
                          s->str);
            bson_string_free(s, true);
            return SDB_ECLIENT;
        }
        if (dot == NULL) {
            *v = *bson_iter_value(&it);
            return 0;
        }
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &sub))
            return 0;
        it = sub;
        p = dot + 1;
    }
    return 0;
}

const char *
sdb_fts_key_string(const char *term, size_t len, char *buf, size_t *out_len)
{
    *out_len = len;
    if (len <= SDB_FTS_TERM_PREFIX)
        return term;
    memcpy(buf, term, SDB_FTS_TERM_PREFIX); /* a prefix and the whole's MD5 */
    sdb_hash_md5_hex(term, len, buf + SDB_FTS_TERM_PREFIX);
    *out_len = SDB_FTS_TERM_PREFIX + 32;
    return buf;
}

int
sdb_fts_key_term(const sdb_fts_spec_t *s, const bson_value_t *prefix, const char *term, size_t len,
                 sdb_keybuf_t *kb)
{
    char cut[SDB_FTS_KEY_TERM_MAX];
    bson_value_t t;

    for (size_t i = 0; i < s->nbefore; i++)
        SDB_RET(sdb_keyenc_value(kb, &prefix[i], s->before_desc[i]));
    term = sdb_fts_key_string(term, len, cut, &len);
    t.value_type = BSON_TYPE_UTF8;
    t.value.v_utf8.str = (char *)term;
    t.value.v_utf8.len = (uint32_t)len;
    return sdb_keyenc_value(kb, &t, 0);
}

int
sdb_fts_keys(const bson_t *doc, const bson_t *index_spec,
             int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, sdb_error_t *err)
{
    sdb_fts_spec_t s;
    sdb_fts_terms_t terms = {0};
    bson_value_t before[SDB_FTS_MAX_FIELDS], after[SDB_FTS_MAX_FIELDS], score;
    sdb_keybuf_t kb;
    int ret;

    sdb_keybuf_init(&kb);
    SDB_ERR(sdb_fts_spec_init(&s, index_spec));
    for (size_t i = 0; i < s.nbefore; i++)
        SDB_ERR(extra_value(doc, s.before[i], &before[i], err));
    for (size_t i = 0; i < s.nafter; i++)
        SDB_ERR(extra_value(doc, s.after[i], &after[i], err));
    SDB_ERR(sdb_fts_score_doc(&s, doc, &terms, err));
    score.value_type = BSON_TYPE_DOUBLE;
    for (size_t t = 0; t < terms.n; t++) {
        sdb_keybuf_reset(&kb);
        SDB_ERR(sdb_fts_key_term(&s, before, terms.v[t].term, terms.v[t].len, &kb));
        score.value.v_double = terms.v[t].score;
        SDB_ERR(sdb_keyenc_value(&kb, &score, 0));
        for (size_t i = 0; i < s.nafter; i++)
            SDB_ERR(sdb_keyenc_value(&kb, &after[i], s.after_desc[i]));
        SDB_ERR(fn(kb.data, kb.len, ctx));
    }
err:
    sdb_fts_terms_free(&terms);
    sdb_fts_spec_free(&s);
    sdb_keybuf_free(&kb);
    return ret;
}
