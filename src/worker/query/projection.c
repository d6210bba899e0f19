/*
 * src/worker/query/projection.c -- find()'s projection: parsing into a field tree, applying it.
 *
 * The spec becomes a tree keyed by path component ("a.b": 1 and {a: {b: 1}} give the same
 * tree).  Leaves include, exclude, compute an aggregation expression, $slice an array, pick
 * the first array element matching an $elemMatch query, or pick the element matched by the
 * filter (positional "a.$").  Inclusion mode copies only listed fields (plus _id unless
 * excluded), in document order, with computed fields after; exclusion mode copies all but
 * the listed ones.  Sub-trees apply to embedded documents and to each document in an array
 * (inclusion drops other array members; exclusion keeps them).
 *
 * Depth: a spec's paths are bounded by sdb_path_parse (200 components), so the tree is; apply
 * descends the document with it and carries the document level, 15 Overflow past
 * SDB_BSON_DEPTH_EVAL (arrays nested in arrays follow the document, not the tree).
 *
 * Invariants: a projection is immutable after parsing; apply allocates only its output.
 */
#include "projection.h"

#include <string.h>

#include "../../common/depth.h"
#include "../../common/path.h"
#include "../../common/sdb.h"
#include "expr.h"
#include "matcher_int.h"
#include "sort.h"

typedef enum pkind {
    PN_SUB,
    PN_INCLUDE,
    PN_EXCLUDE,
    PN_EXPR,
    PN_SLICE,
    PN_ELEM,
    PN_POS
} pkind_t;

typedef struct pnode {
    char *name;
    pkind_t kind;
    wk_expr_t *expr;     /* PN_EXPR (NULL for {$meta: "textScore"}: the match's text score) */
    int64_t skip, limit; /* PN_SLICE; has_skip when given as [skip, limit] */
    bool has_skip;
    wk_mnode_t *elem;    /* PN_ELEM: an ELEM_* node on path "x" */
    struct pnode **kids; /* PN_SUB */
    size_t n;
} pnode_t;

struct wk_projection {
    pnode_t root;
    bool empty;
    bool inclusion;
    bool id_excluded;
    bool has_pos;  /* a positional "a.$" was parsed */
    bool has_elem; /* an $elemMatch was parsed */
};

static void
pnode_clear(pnode_t *n)
{
    size_t i;

    bson_free(n->name);
    wk_expr_free(n->expr);
    wk_mnode_free(n->elem);
    for (i = 0; i < n->n; i++) {
        pnode_clear(n->kids[i]);
        bson_free(n->kids[i]);
    }
    bson_free(n->kids);
    memset(n, 0, sizeof(*n));
}

void
wk_projection_free(wk_projection_t *p)
{
    if (p == NULL)
        return;
    pnode_clear(&p->root);
    bson_free(p);
}

static pnode_t *
pnode_find(const pnode_t *t, const char *name)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->kids[i]->name, name) == 0)
            return t->kids[i];
    return NULL;
}

/* pnode_insert -- the node for `path` below t, created as needed; NULL on a path collision. */
static pnode_t *
pnode_insert(wk_projection_t *p, const sdb_path_t *path, sdb_error_t *err)
{
    pnode_t *t = &p->root, *k;
    int i;

    for (i = 0; i < path->n; i++) {
        k = pnode_find(t, path->parts[i]);
        if (k != NULL && (k->kind != PN_SUB || i + 1 == path->n)) {
            if (k->kind != PN_SUB)
                sdb_error_set(err, SDB_CODE_Location31249,
                              "Path collision at %s remaining "
                              "portion %s",
                              path->dotted, path->parts[i + 1 < path->n ? i + 1 : i]);
            else
                sdb_error_set(err, SDB_CODE_Location31250, "Path collision at %s", path->dotted);
            return NULL;
        }
        if (k == NULL) {
            k = bson_malloc0(sizeof(*k));
            k->name = bson_strdup(path->parts[i]);
            k->kind = PN_SUB;
            t->kids = bson_realloc(t->kids, sizeof(*t->kids) * (t->n + 1));
            t->kids[t->n++] = k;
        }
        t = k;
    }
    return t;
}

/* set_mode -- record inclusion/exclusion, reporting a mix. */
static int
set_mode(wk_projection_t *p, bool *decided, bool incl, const char *path, sdb_error_t *err)
{
    if (strcmp(path, "_id") == 0) {
        if (!incl)
            p->id_excluded = true;
        return 0;
    }
    if (*decided && p->inclusion != incl)
        return sdb_error_set(err, incl ? SDB_CODE_Location31253 : SDB_CODE_Location31254,
                             incl ? "Cannot do inclusion on field %s in exclusion projection"
                                  : "Cannot do exclusion on field %s in inclusion projection",
                             path);
    *decided = true;
    p->inclusion = incl;
    return 0;
}

/* set_computed -- an expression or literal on `path`: it makes the projection an inclusion
 * one, and is refused in an exclusion projection (31252 for an operator expression, 31310 for
 * a literal, as mongod). */
static int
set_computed(wk_projection_t *p, bool *decided, const char *path, const bson_iter_t *it,
             bool literal, sdb_error_t *err)
{
    bson_t wrap = BSON_INITIALIZER;
    char *json;
    size_t len;

    if (!*decided || p->inclusion)
        return set_mode(p, decided, true, path, err);
    if (!literal)
        return sdb_error_set(err, SDB_CODE_Location31252,
                             "Cannot use expression other than $meta in exclusion projection");
    bson_append_value(&wrap, bson_iter_key(it), -1, bson_iter_value((bson_iter_t *)it));
    json = bson_as_relaxed_extended_json(&wrap, NULL);
    len = json != NULL ? strlen(json) : 0;
    if (len >= 4) { /* "{ k : v }" -> "k : v" */
        json[len - 2] = '\0';
        sdb_error_set(err, SDB_CODE_Location31310,
                      "Cannot use an expression %s in an exclusion projection", json + 2);
    } else {
        sdb_error_set(err, SDB_CODE_Location31310,
                      "Cannot use an expression in an exclusion projection");
    }
    bson_free(json);
    bson_destroy(&wrap);
    return SDB_ECLIENT;
}

/* parse_slice -- {$slice: n} or {$slice: [skip, limit]}. */
static int
parse_slice(pnode_t *n, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t child;
    int count = 0;

    n->kind = PN_SLICE;
    if (BSON_ITER_HOLDS_NUMBER(arg)) {
        n->limit = bson_iter_as_int64(arg);
        return 0;
    }
    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &child))
        return sdb_error_set(err, SDB_CODE_Location28724,
                             "First argument to $slice must be an "
                             "array");
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_NUMBER(&child))
            return sdb_error_set(err, SDB_CODE_Location28724, "$slice only supports numbers");
        if (count == 0)
            n->skip = bson_iter_as_int64(&child);
        else
            n->limit = bson_iter_as_int64(&child);
        count++;
    }
    if (count != 2)
        return sdb_error_set(err, SDB_CODE_Location28724,
                             "$slice array argument must have two "
                             "elements");
    if (n->limit <= 0)
        return sdb_error_set(err, SDB_CODE_Location28724, "$slice limit must be positive");
    n->has_skip = true;
    return 0;
}

/* parse_leaf_op -- {$slice: ...}, {$elemMatch: ...} or an expression for `path`. */
static int
parse_leaf_op(wk_projection_t *p, bool *decided, const sdb_path_t *path, const bson_iter_t *it,
              sdb_error_t *err)
{
    bson_iter_t child;
    pnode_t *n = pnode_insert(p, path, err);
    const char *op;

    if (n == NULL)
        return SDB_ECLIENT;
    bson_iter_recurse(it, &child);
    bson_iter_next(&child);
    op = bson_iter_key(&child);
    if (strcmp(op, "$meta") == 0 && BSON_ITER_HOLDS_UTF8(&child) &&
        strcmp(bson_iter_utf8(&child, NULL), "textScore") == 0) {
        n->kind = PN_EXPR; /* neither inclusion nor exclusion, as mongod's $meta */
        return 0;
    }
    if (strcmp(op, "$slice") == 0)
        return parse_slice(n, &child, err);
    if (strcmp(op, "$elemMatch") == 0) {
        if (path->n > 1)
            return sdb_error_set(err, SDB_CODE_Location31275,
                                 "Cannot use $elemMatch projection "
                                 "on a nested field.");
        if (p->has_pos)
            return sdb_error_set(err, SDB_CODE_Location31255,
                                 "Cannot specify positional operator and $elemMatch.");
        n->kind = PN_ELEM;
        p->has_elem = true;
        SDB_RET(wk_mparse_op("x", 1, "$elemMatch", &child, 1, &n->elem, err));
        return set_mode(p, decided, true, path->dotted, err);
    }
    n->kind = PN_EXPR;
    SDB_RET(set_computed(p, decided, path->dotted, it, false, err));
    return wk_expr_parse(it, &n->expr, err);
}

static int parse_level(wk_projection_t *p, bool *decided, const char *prefix, const bson_iter_t *it,
                       sdb_error_t *err);

/* parse_field -- one field of the spec, with its full dotted path. */
static int
parse_field(wk_projection_t *p, bool *decided, const char *dotted, const bson_iter_t *it,
            sdb_error_t *err)
{
    sdb_path_t path;
    bson_iter_t child;
    pnode_t *n;
    size_t len = strlen(dotted);
    bool positional = len >= 2 && strcmp(dotted + len - 2, ".$") == 0;
    int ret = 0;

    SDB_ERR(sdb_path_parse(dotted, positional ? len - 2 : len, &path, err));
    if (sdb_path_has_empty(&path))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location15998,
                              "FieldPath field names may not be "
                              "empty strings."));
    if (path.parts[0][0] == '$')
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16410,
                              "FieldPath field names may not "
                              "start with '$'. Consider using $getField or $setField."));
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child) && bson_iter_next(&child)) {
        if (bson_iter_key(&child)[0] == '$')
            SDB_ERR(parse_leaf_op(p, decided, &path, it, err));
        else
            SDB_ERR(parse_level(p, decided, dotted, it, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location51270,
                              "An empty sub-projection is not a "
                              "valid value. Found empty object at path"));
    } else if (BSON_ITER_HOLDS_NUMBER(it) || BSON_ITER_HOLDS_BOOL(it)) {
        bool incl = bson_iter_as_bool(it);
        if (positional && p->has_pos)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location31276,
                                  "Cannot specify more than one positional projection per query."));
        if (positional && p->has_elem)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location31256,
                                  "Cannot specify positional operator and $elemMatch."));
        p->has_pos = p->has_pos || positional;
        if ((n = pnode_insert(p, &path, err)) == NULL)
            SDB_ERR(SDB_ECLIENT);
        n->kind = positional ? PN_POS : incl ? PN_INCLUDE : PN_EXCLUDE;
        SDB_ERR(set_mode(p, decided, incl || positional, path.dotted, err));
    } else {
        if ((n = pnode_insert(p, &path, err)) == NULL)
            SDB_ERR(SDB_ECLIENT);
        n->kind = PN_EXPR;
        SDB_ERR(set_computed(p, decided, path.dotted, it, true, err));
        SDB_ERR(wk_expr_parse(it, &n->expr, err));
    }
err:
    sdb_path_destroy(&path);
    return ret;
}

static int
parse_level(wk_projection_t *p, bool *decided, const char *prefix, const bson_iter_t *it,
            sdb_error_t *err)
{
    bson_iter_t child;
    char *full;
    int ret = 0;

    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        full = prefix != NULL ? bson_strdup_printf("%s.%s", prefix, bson_iter_key(&child))
                              : bson_strdup(bson_iter_key(&child));
        ret = parse_field(p, decided, full, &child, err);
        bson_free(full);
        SDB_RET(ret);
    }
    return 0;
}

int
wk_projection_new(const bson_t *spec, const bson_t *filter, wk_projection_t **out, sdb_error_t *err)
{
    wk_projection_t *p = bson_malloc0(sizeof(*p));
    bson_iter_t it;
    bool decided = false;
    bson_t wrap;
    int ret = 0;

    *out = NULL;
    p->empty = spec == NULL || bson_empty(spec);
    if (!p->empty) {
        bson_init(&wrap);
        bson_append_document(&wrap, "p", 1, spec);
        bson_iter_init_find(&it, &wrap, "p");
        ret = parse_level(p, &decided, NULL, &it, err);
        bson_destroy(&wrap);
        SDB_ERR(ret);
        if (!decided)
            p->inclusion = !p->id_excluded && pnode_find(&p->root, "_id") != NULL;
    }
    *out = p;
    return 0;
err:
    wk_projection_free(p);
    return ret;
}

/* ---- applying ------------------------------------------------------------------------------ */

typedef struct papply {
    const wk_projection_t *p;
    const bson_t *root;
    const wk_match_details_t *details;
    const bson_t *vars;     /* the command's variables ($$NOW, let) or NULL */
    const struct wk_op *op; /* a $function's scripts stop at its maxTimeMS; may be NULL */
    sdb_error_t *err;
    bool pos_done; /* below the array the positional $ picked from: "a.$" is a plain include */
} papply_t;

static int apply_doc(const papply_t *a, const pnode_t *t, const bson_iter_t *doc, int depth,
                     bson_t *out);

static void
append_slice(const pnode_t *n, const bson_iter_t *it, const char *key, bson_t *out)
{
    bson_iter_t child;
    bson_t arr;
    int64_t len = sdb_iter_count(it), from, to, i = 0, k = 0;
    char buf[16];
    const char *kp;

    if (n->has_skip) {
        from = n->skip < 0 ? (len + n->skip < 0 ? 0 : len + n->skip) : n->skip;
        to = from + n->limit;
    } else if (n->limit >= 0) {
        from = 0;
        to = n->limit;
    } else {
        from = len + n->limit < 0 ? 0 : len + n->limit;
        to = len;
    }
    bson_append_array_begin(out, key, -1, &arr);
    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        if (i >= from && i < to) {
            bson_uint32_to_string((uint32_t)k++, &kp, buf, sizeof(buf));
            bson_append_value(&arr, kp, -1, bson_iter_value(&child));
        }
        i++;
    }
    bson_append_array_end(out, &arr);
}

/* append_elem_match -- [first element matching the $elemMatch], or nothing. */
static void
append_elem_match(const pnode_t *n, const bson_iter_t *it, const char *key, bson_t *out)
{
    bson_iter_t child, wit;
    bson_t wrap, one, arr;

    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        bson_init(&wrap);
        bson_append_array_begin(&wrap, "x", 1, &one);
        bson_append_value(&one, "0", 1, bson_iter_value(&child));
        bson_append_array_end(&wrap, &one);
        if (bson_iter_init_find(&wit, &wrap, "x") && wk_mnode_matches_value(n->elem, &wit)) {
            bson_destroy(&wrap);
            bson_append_array_begin(out, key, -1, &arr);
            bson_append_value(&arr, "0", 1, bson_iter_value(&child));
            bson_append_array_end(out, &arr);
            return;
        }
        bson_destroy(&wrap);
    }
}

/* pick -- mongod's positional projection at the first array on the "a.b.$" path: of that
 * array as projected so far, only the element the filter's match recorded, as [elem]. */
static int
pick(const papply_t *a, const bson_iter_t *it, const char *key, bson_t *out)
{
    bson_iter_t child;
    bson_t arr;

    if (a->details == NULL || !a->details->has_elem_index)
        return sdb_error_set(a->err, SDB_CODE_Location51246,
                             "Executor error during find command "
                             ":: caused by :: positional operator '.$' couldn't find a matching "
                             "element in the array");
    if (!bson_iter_recurse(it, &child) || !sdb_iter_find_index(&child, a->details->elem_index))
        return sdb_error_set(a->err, SDB_CODE_Location51247,
                             "Executor error during find command "
                             ":: caused by :: positional operator '.$' element mismatch");
    bson_append_array_begin(out, key, -1, &arr);
    bson_append_value(&arr, "0", 1, bson_iter_value(&child));
    bson_append_array_end(out, &arr);
    return 0;
}

/* has_pos -- does the sub-tree hold the positional "a.$"? */
static bool
has_pos(const pnode_t *t)
{
    if (t->kind == PN_POS)
        return true;
    for (size_t i = 0; i < t->n; i++)
        if (has_pos(t->kids[i]))
            return true;
    return false;
}

static int apply_array(const papply_t *a, const pnode_t *t, const bson_iter_t *it, const char *key,
                       int depth, bson_t *out);

/* apply_positional_array -- an array met on the positional path above its end: project it
 * (the path below is then a plain include), then pick the recorded element of the result. */
static int
apply_positional_array(const papply_t *a, const pnode_t *t, const bson_iter_t *it, const char *key,
                       int depth, bson_t *out)
{
    papply_t below = *a;
    bson_t tmp = BSON_INITIALIZER;
    bson_iter_t arr;
    int ret;

    below.pos_done = true;
    ret = apply_array(&below, t, it, key, depth, &tmp);
    if (ret == 0 && bson_iter_init(&arr, &tmp) && bson_iter_next(&arr))
        ret = pick(a, &arr, key, out);
    bson_destroy(&tmp);
    return ret;
}

/* apply_array -- a sub-tree applied to each member of an array at level `depth`. */
static int
apply_array(const papply_t *a, const pnode_t *t, const bson_iter_t *it, const char *key, int depth,
            bson_t *out)
{
    bson_iter_t child;
    bson_t arr, sub;
    char buf[16];
    const char *kp;
    uint32_t k = 0;
    int ret = 0;

    SDB_DEPTH_CHECK(depth + 1, a->err, "document"); /* the level of its members */
    bson_append_array_begin(out, key, -1, &arr);
    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child) && ret == 0) {
        bson_uint32_to_string(k, &kp, buf, sizeof(buf));
        if (BSON_ITER_HOLDS_DOCUMENT(&child)) {
            bson_append_document_begin(&arr, kp, -1, &sub);
            ret = apply_doc(a, t, &child, depth + 1, &sub);
            bson_append_document_end(&arr, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(&child)) {
            ret = apply_array(a, t, &child, kp, depth + 1, &arr);
        } else if (!a->p->inclusion) {
            bson_append_value(&arr, kp, -1, bson_iter_value(&child));
        } else {
            continue;
        }
        k++;
    }
    bson_append_array_end(out, &arr);
    return ret;
}

/* apply_field -- one existing field (of a document at level `depth`) under its node. */
static int
apply_field(const papply_t *a, const pnode_t *n, const bson_iter_t *it, int depth, bson_t *out)
{
    const char *key = bson_iter_key(it);
    bson_t sub;
    int ret = 0;

    switch (n->kind) {
    case PN_INCLUDE:
        bson_append_value(out, key, -1, bson_iter_value((bson_iter_t *)it));
        break;
    case PN_EXCLUDE:
    case PN_EXPR:
        break;
    case PN_SLICE:
        if (BSON_ITER_HOLDS_ARRAY(it))
            append_slice(n, it, key, out);
        else
            bson_append_value(out, key, -1, bson_iter_value((bson_iter_t *)it));
        break;
    case PN_ELEM:
        if (BSON_ITER_HOLDS_ARRAY(it))
            append_elem_match(n, it, key, out);
        break;
    case PN_POS:
        if (!a->pos_done && BSON_ITER_HOLDS_ARRAY(it))
            return pick(a, it, key, out);
        bson_append_value(out, key, -1, bson_iter_value((bson_iter_t *)it));
        break;
    case PN_SUB:
        if (BSON_ITER_HOLDS_DOCUMENT(it)) {
            bson_append_document_begin(out, key, -1, &sub);
            ret = apply_doc(a, n, it, depth + 1, &sub);
            bson_append_document_end(out, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(it) && !a->pos_done && has_pos(n)) {
            ret = apply_positional_array(a, n, it, key, depth + 1, out);
        } else if (BSON_ITER_HOLDS_ARRAY(it)) {
            ret = apply_array(a, n, it, key, depth + 1, out);
        } else if (!a->p->inclusion) {
            bson_append_value(out, key, -1, bson_iter_value((bson_iter_t *)it));
        }
        break;
    }
    return ret;
}

/* has_expr -- does the sub-tree compute any field? */
static bool
has_expr(const pnode_t *t)
{
    size_t i;

    if (t->kind == PN_EXPR)
        return true;
    for (i = 0; i < t->n; i++)
        if (has_expr(t->kids[i]))
            return true;
    return false;
}

/* append_computed -- computed fields (and sub-trees holding them) absent from the document. */
static int
append_computed(const papply_t *a, const pnode_t *t, const bson_iter_t *doc, bson_t *out)
{
    bson_iter_t child;
    bson_value_t v;
    bson_t sub;
    size_t i;
    int ret = 0;

    for (i = 0; i < t->n && ret == 0; i++) {
        const pnode_t *k = t->kids[i];
        bool present =
            doc != NULL && bson_iter_recurse(doc, &child) && bson_iter_find(&child, k->name);
        if (k->kind == PN_EXPR && k->expr == NULL) { /* {$meta: "textScore"} */
            bson_iter_t sc;

            if (a->details != NULL && a->details->has_text_score)
                BSON_APPEND_DOUBLE(out, k->name, a->details->text_score);
            else if (bson_iter_init_find(&sc, a->root, WK_SORT_TEXT_SCORE)) /* aggregation */
                BSON_APPEND_DOUBLE(out, k->name, bson_iter_as_double(&sc));
            else
                return sdb_error_set(a->err, SDB_CODE_Location40218,
                                     "query requires text score metadata, but it is not "
                                     "available");
        } else if (k->kind == PN_EXPR) {
            SDB_RET(wk_expr_eval_op(k->expr, a->root, a->vars, a->op, &v, a->err));
            if (v.value_type != BSON_TYPE_EOD)
                bson_append_value(out, k->name, -1, &v);
            bson_value_destroy(&v);
        } else if (k->kind == PN_SUB && has_expr(k) && !present) {
            bson_append_document_begin(out, k->name, -1, &sub);
            ret = append_computed(a, k, NULL, &sub);
            bson_append_document_end(out, &sub);
        }
    }
    return ret;
}

/* apply_doc -- the document `doc` (at level `depth`, 0 for the top) under node t.  Recursion
 * follows the document, so `depth` bounds it: 15 Overflow past SDB_BSON_DEPTH_EVAL. */
static int
apply_doc(const papply_t *a, const pnode_t *t, const bson_iter_t *doc, int depth, bson_t *out)
{
    bool top = depth == 0;
    bson_iter_t child;
    const pnode_t *n;
    const char *key;

    SDB_DEPTH_CHECK(depth + 1, a->err, "document"); /* the level of its members */
    bson_iter_recurse(doc, &child);
    while (bson_iter_next(&child)) {
        key = bson_iter_key(&child);
        n = pnode_find(t, key);
        if (n == NULL) {
            if (!a->p->inclusion || (top && strcmp(key, "_id") == 0 && !a->p->id_excluded) ||
                (top && strcmp(key, WK_SORT_TEXT_SCORE) == 0)) /* an aggregation's $text score */
                bson_append_value(out, key, -1, bson_iter_value(&child));
            continue;
        }
        if (top && strcmp(key, "_id") == 0 && n->kind == PN_INCLUDE && !a->p->inclusion)
            n = NULL;
        if (n != NULL)
            SDB_RET(apply_field(a, n, &child, depth, out));
        else
            bson_append_value(out, key, -1, bson_iter_value(&child));
    }
    return append_computed(a, t, doc, out); /* exclusion: only {$meta} computes */
}

int
wk_projection_apply(const wk_projection_t *p, const bson_t *doc, const wk_match_details_t *details,
                    bson_t *out, sdb_error_t *err)
{
    return wk_projection_apply_op(p, doc, details, NULL, NULL, out, err);
}

int
wk_projection_apply_op(const wk_projection_t *p, const bson_t *doc,
                       const wk_match_details_t *details, const bson_t *vars,
                       const struct wk_op *op, bson_t *out, sdb_error_t *err)
{
    papply_t a = {p, doc, details, vars, op, err, false};
    bson_iter_t it;
    bson_t wrap;
    int ret;

    bson_init(out);
    if (p->empty) {
        bson_concat(out, doc);
        return 0;
    }
    bson_init(&wrap);
    bson_append_document(&wrap, "d", 1, doc);
    bson_iter_init_find(&it, &wrap, "d");
    ret = apply_doc(&a, &p->root, &it, 0, out);
    bson_destroy(&wrap);
    return ret;
}
