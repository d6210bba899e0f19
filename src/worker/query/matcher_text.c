/*
 * src/worker/query/matcher_text.c -- the $text predicate of a filter.
 *
 * A $text node is parsed when its matcher is made, against the collection's text index spec
 * that the caller found (wk_match_opts_t.text_index): the spec (weights, languages) and the
 * query ($search, $language, $caseSensitive, $diacriticSensitive) go through
 * src/common/fts/fts.h, the same code the master derives the index keys with, so the match
 * and the score of a document are those the index holds.  As mongod: a filter has at most
 * one $text (2 "Too many text expressions"), never under $nor or inside $elemMatch, and
 * needs a text index (27 "text index required for $text query").  A match records its text
 * score in the match details, where projections and sorts read {$meta: "textScore"}.
 *
 * Invariants: the parsed spec and query are owned by the node; immutable after setup.
 */
#include "matcher_int.h"

#include "../../common/fts/fts.h"
#include "../../common/sdb.h"

#include <string.h>

typedef struct wk_mtext {
    sdb_fts_spec_t spec;
    sdb_fts_query_t q;
} wk_mtext_t;

void
wk_mtext_free(struct wk_mtext *t)
{
    if (t == NULL)
        return;
    sdb_fts_spec_free(&t->spec);
    sdb_fts_query_free(&t->q);
    bson_free(t);
}

/* count -- walk the tree: count $text nodes, refuse them where mongod does (`nor`: below a
 * $nor; `top`: only logical nodes above). */
static int
count(wk_mnode_t *n, bool top, bool nor, int *found, sdb_error_t *err)
{
    bool logical = n->kind == WK_MN_AND || n->kind == WK_MN_OR || n->kind == WK_MN_NOR;

    if (n->kind == WK_MN_TEXT) {
        if (nor)
            return sdb_error_set(err, SDB_CODE_BadValue, "text expression not allowed in nor");
        if (!top)
            return sdb_error_set(err, SDB_CODE_BadValue, "$text is not allowed in this context");
        if (++*found > 1)
            return sdb_error_set(err, SDB_CODE_BadValue, "Too many text expressions");
        return 0;
    }
    for (size_t i = 0; i < n->n_kids; i++)
        SDB_RET(count(n->kids[i], top && logical, nor || n->kind == WK_MN_NOR, found, err));
    return 0;
}

static int
setup(wk_mnode_t *n, const bson_t *ix, sdb_error_t *err)
{
    if (n->kind == WK_MN_TEXT) {
        n->text = bson_malloc0(sizeof(*n->text));
        if (sdb_fts_spec_init(&n->text->spec, ix) != 0)
            return sdb_error_set(err, SDB_CODE_IndexNotFound,
                                 "text index required for $text query");
        return sdb_fts_query_parse(&n->val, n->text->spec.lang, &n->text->q, err);
    }
    for (size_t i = 0; i < n->n_kids; i++)
        SDB_RET(setup(n->kids[i], ix, err));
    return 0;
}

int
wk_mtext_setup(wk_mnode_t *root, const wk_match_opts_t *opts, sdb_error_t *err)
{
    int found = 0;

    SDB_RET(count(root, true, false, &found, err));
    if (found == 0)
        return 0;
    if (opts == NULL || opts->text_index == NULL)
        return sdb_error_set(err, SDB_CODE_IndexNotFound, "text index required for $text query");
    return setup(root, opts->text_index, err);
}

bool
wk_mtext_match(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d, int *ret,
               sdb_error_t *err)
{
    sdb_error_t local;
    bool matched = false;
    double score = 0;
    int r;

    if (n->text == NULL)
        return false;
    r = sdb_fts_query_matches(&n->text->spec, &n->text->q, doc, &matched, &score,
                              err != NULL ? err : &local);
    if (r != 0) {
        if (ret != NULL && *ret == 0)
            *ret = r;
        return false;
    }
    if (matched && d != NULL) {
        d->has_text_score = true;
        d->text_score = score;
    }
    return matched;
}
