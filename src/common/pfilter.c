/*
 * src/common/pfilter.c -- partial-index filters: compile, refuse, evaluate (pfilter.h).
 *
 * A filter document becomes a small tree: AND and OR nodes, and leaves on one dotted path
 * (a comparison, $in, $exists: true, $type).  A leaf matches when some value its path
 * reaches (path.h's traversal, array elements and then the array itself) satisfies its
 * predicate (predicate.h), exactly as the worker's matcher evaluates the same leaf.  An
 * operator a partial index cannot hold is refused with mongod's debug print of it ("$not\n
 *    a $eq 1\n" for $ne), which mongod puts in its 67 CannotCreateIndex message.
 *
 * Invariants: a tree is immutable after sdb_pfilter_new; $and/$or nest at most MAX_DEPTH
 * levels (mongod's internalPartialFilterExpressionMaxDepth), so the recursion is bounded.
 */
#include "pfilter.h"

#include <string.h>

#include "bsontext.h"
#include "path.h"
#include "predicate.h"
#include "sdb.h"

#define MAX_DEPTH 4

typedef enum pf_kind {
    PF_AND,
    PF_OR,
    PF_CMP,
    PF_IN,
    PF_EXISTS,
    PF_TYPE
} pf_kind_t;

typedef struct pf_node {
    pf_kind_t kind;
    sdb_cmp_op_t op;     /* CMP */
    sdb_path_t path;     /* leaves */
    bson_value_t val;    /* CMP operand (owned copy) */
    bson_value_t *in;    /* IN operands (owned copies) */
    size_t n_in;         /* IN */
    sdb_typeset_t types; /* TYPE */
    struct pf_node **kids;
    size_t n_kids;
} pf_node_t;

struct sdb_pfilter {
    pf_node_t *root;
};

static void
node_free(pf_node_t *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        node_free(n->kids[i]);
    for (size_t i = 0; i < n->n_in; i++)
        bson_value_destroy(&n->in[i]);
    if (n->kind == PF_CMP)
        bson_value_destroy(&n->val);
    bson_free(n->in);
    bson_free(n->kids);
    sdb_path_destroy(&n->path);
    bson_free(n);
}

static void
node_add(pf_node_t *parent, pf_node_t *kid)
{
    parent->kids = bson_realloc(parent->kids, (parent->n_kids + 1) * sizeof(*parent->kids));
    parent->kids[parent->n_kids++] = kid;
}

/* ---- mongod's debug print of what is refused ------------------------------------------ */

static void
indent(bson_string_t *s, int level)
{
    for (int i = 0; i < level; i++)
        bson_string_append(s, "    ");
}

/* render_array -- "[ 1, 2]", as mongod prints an $in list. */
static void
render_array(bson_string_t *s, const bson_iter_t *arr)
{
    bson_iter_t el;
    bool first = true;

    bson_string_append(s, "[ ");
    if (BSON_ITER_HOLDS_ARRAY(arr) && bson_iter_recurse(arr, &el)) {
        while (bson_iter_next(&el)) {
            if (!first)
                bson_string_append(s, ", ");
            first = false;
            sdb_bson_text_value(s, bson_iter_value((bson_iter_t *)&el));
        }
    }
    bson_string_append(s, "]");
}

static void render_doc(bson_string_t *s, const bson_t *doc, int level);

/* render_leaf -- one operator on `path` ({$gt: 1} -> "a $gt 1"), one line at `level`. */
static void
render_leaf(bson_string_t *s, const char *path, const char *op, const bson_iter_t *arg, int level)
{
    const char *opts = NULL;
    bson_iter_t sub;

    indent(s, level);
    bson_string_append_printf(s, "%s ", path);
    if (strcmp(op, "$exists") == 0) {
        bson_string_append(s, "exists");
    } else if (strcmp(op, "$in") == 0) {
        bson_string_append(s, "$in ");
        render_array(s, arg);
    } else if (BSON_ITER_HOLDS_REGEX(arg)) {
        bson_string_append_printf(s, "regex /%s/", bson_iter_regex(arg, &opts));
        bson_string_append(s, opts != NULL ? opts : "");
    } else if (strcmp(op, "$regex") == 0 && BSON_ITER_HOLDS_UTF8(arg)) {
        bson_string_append_printf(s, "regex /%s/", bson_iter_utf8(arg, NULL));
    } else if (strcmp(op, "$mod") == 0 && BSON_ITER_HOLDS_ARRAY(arg) &&
               bson_iter_recurse(arg, &sub) && bson_iter_next(&sub)) {
        bson_string_append(s, "mod ");
        sdb_bson_text_value(s, bson_iter_value((bson_iter_t *)&sub));
        bson_string_append(s, " % x == ");
        if (bson_iter_next(&sub))
            sdb_bson_text_value(s, bson_iter_value((bson_iter_t *)&sub));
    } else if (strcmp(op, "$size") == 0) {
        bson_string_append(s, "$size : ");
        sdb_bson_text_value(s, bson_iter_value((bson_iter_t *)arg));
    } else {
        bson_string_append_printf(s, "%s ", op);
        sdb_bson_text_value(s, bson_iter_value((bson_iter_t *)arg));
    }
    bson_string_append(s, "\n");
}

/* render_op -- one operator, with the $not mongod parses $ne, $nin, $exists: false and $not
 * into. */
static void
render_op(bson_string_t *s, const char *path, const char *op, const bson_iter_t *arg, int level)
{
    bson_iter_t sub;

    if (strcmp(op, "$ne") == 0 || strcmp(op, "$nin") == 0 ||
        (strcmp(op, "$exists") == 0 && !bson_iter_as_bool((bson_iter_t *)arg))) {
        indent(s, level);
        bson_string_append(s, "$not\n");
        render_leaf(s, path, strcmp(op, "$ne") == 0 ? "$eq" : (op[1] == 'n' ? "$in" : op), arg,
                    level + 1);
        return;
    }
    if (strcmp(op, "$not") == 0 && BSON_ITER_HOLDS_DOCUMENT(arg) && bson_iter_recurse(arg, &sub)) {
        indent(s, level);
        bson_string_append(s, "$not\n");
        indent(s, level + 1);
        bson_string_append(s, "$and\n");
        while (bson_iter_next(&sub))
            render_op(s, path, bson_iter_key(&sub), &sub, level + 2);
        return;
    }
    render_leaf(s, path, op, arg, level);
}

/* render_field -- one field of a filter document: equality or its operators. */
static void
render_field(bson_string_t *s, const bson_iter_t *it, int level)
{
    const char *k = bson_iter_key(it);
    bson_iter_t sub, ops;
    bson_t d;
    uint32_t len;
    const uint8_t *data;

    if (strcmp(k, "$and") == 0 || strcmp(k, "$or") == 0 || strcmp(k, "$nor") == 0) {
        indent(s, level);
        bson_string_append_printf(s, "%s\n", k);
        if (bson_iter_recurse(it, &sub))
            while (bson_iter_next(&sub))
                if (BSON_ITER_HOLDS_DOCUMENT(&sub)) {
                    bson_iter_document(&sub, &len, &data);
                    if (bson_init_static(&d, data, len))
                        render_doc(s, &d, level + 1);
                }
        return;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &ops) && bson_iter_next(&ops) &&
        bson_iter_key(&ops)[0] == '$') {
        bson_iter_recurse(it, &ops);
        while (bson_iter_next(&ops))
            render_op(s, k, bson_iter_key(&ops), &ops, level);
        return;
    }
    render_op(s, k, "$eq", it, level);
}

/* render_doc -- a filter document: its one predicate, or "$and" over several. */
static void
render_doc(bson_string_t *s, const bson_t *doc, int level)
{
    bson_iter_t it;

    if (bson_count_keys(doc) != 1) {
        indent(s, level);
        bson_string_append(s, "$and\n");
        level++;
    }
    if (bson_iter_init(&it, doc))
        while (bson_iter_next(&it))
            render_field(s, &it, level);
}

/* refuse_op -- 67 for one operator a partial index cannot hold. */
static int
refuse_op(const char *path, const char *op, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_string_t *s = bson_string_new(NULL);
    int ret;

    render_op(s, path, op, arg, 0);
    ret = sdb_error_set(err, SDB_CODE_CannotCreateIndex,
                        "Expression not supported in partial index: %s", s->str);
    bson_string_free(s, true);
    return ret;
}

/* refuse_field -- 67 for a top-level operator ($nor, ...) a partial index cannot hold. */
static int
refuse_field(const bson_iter_t *it, sdb_error_t *err)
{
    bson_string_t *s = bson_string_new(NULL);
    int ret;

    render_field(s, it, 0);
    ret = sdb_error_set(err, SDB_CODE_CannotCreateIndex,
                        "Expression not supported in partial index: %s", s->str);
    bson_string_free(s, true);
    return ret;
}

/* ---- compile --------------------------------------------------------------------------- */

static int parse_doc(const bson_t *doc, int level, pf_node_t **out, sdb_error_t *err);

static pf_node_t *
leaf(pf_kind_t kind, const char *path)
{
    pf_node_t *n = bson_malloc0(sizeof(*n));

    n->kind = kind;
    if (sdb_path_parse(path, strlen(path), &n->path, NULL) != 0) {
        bson_free(n);
        return NULL;
    }
    return n;
}

/* parse_in -- $in (or $all) of plain values; a regex in the list is refused. */
static int
parse_list(const char *path, const char *op, const bson_iter_t *arg, pf_node_t **out,
           sdb_error_t *err)
{
    bson_iter_t el;
    pf_node_t *n;

    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &el))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s needs an array", op);
    if ((n = leaf(PF_IN, path)) == NULL)
        return sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long");
    while (bson_iter_next(&el)) {
        if (BSON_ITER_HOLDS_REGEX(&el) || BSON_ITER_HOLDS_DOCUMENT(&el)) {
            node_free(n);
            return refuse_op(path, op, arg, err);
        }
        n->in = bson_realloc(n->in, (n->n_in + 1) * sizeof(*n->in));
        bson_value_copy(bson_iter_value(&el), &n->in[n->n_in++]);
    }
    *out = n;
    return 0;
}

/* parse_op -- one operator on path. */
static int
parse_op(const char *path, const char *op, const bson_iter_t *arg, pf_node_t **out,
         sdb_error_t *err)
{
    static const char *const cmps[] = {"$eq", "$lt", "$lte", "$gt", "$gte", NULL};
    pf_node_t *n;
    bson_iter_t el;
    int ret = 0;

    *out = NULL;
    for (int i = 0; cmps[i] != NULL; i++) {
        if (strcmp(op, cmps[i]) != 0)
            continue;
        if (BSON_ITER_HOLDS_REGEX(arg) && i == 0)
            return refuse_op(path, "$regex", arg, err);
        if ((n = leaf(PF_CMP, path)) == NULL)
            return sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long");
        n->op = (sdb_cmp_op_t)i;
        bson_value_copy(bson_iter_value((bson_iter_t *)arg), &n->val);
        *out = n;
        return 0;
    }
    if (strcmp(op, "$in") == 0)
        return parse_list(path, op, arg, out, err);
    if (strcmp(op, "$exists") == 0 && bson_iter_as_bool((bson_iter_t *)arg)) {
        *out = leaf(PF_EXISTS, path);
        return *out != NULL ? 0 : sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long");
    }
    if (strcmp(op, "$type") == 0) {
        if ((n = leaf(PF_TYPE, path)) == NULL)
            return sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long");
        if (BSON_ITER_HOLDS_ARRAY(arg) && bson_iter_recurse(arg, &el)) {
            while (bson_iter_next(&el) && ret == 0)
                ret = sdb_typeset_add(&n->types, &el, err);
        } else {
            ret = sdb_typeset_add(&n->types, arg, err);
        }
        if (ret != 0) {
            node_free(n);
            return ret;
        }
        *out = n;
        return 0;
    }
    return refuse_op(path, op, arg, err);
}

/* parse_all -- $all of plain values: one equality per value (mongod's AND of $eq). */
static int
parse_all(const char *path, const bson_iter_t *arg, pf_node_t *and, sdb_error_t *err)
{
    bson_iter_t el;
    pf_node_t *n;

    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &el))
        return sdb_error_set(err, SDB_CODE_BadValue, "$all needs an array");
    while (bson_iter_next(&el)) {
        if (BSON_ITER_HOLDS_DOCUMENT(&el) || BSON_ITER_HOLDS_REGEX(&el))
            return refuse_op(path, "$all", arg, err);
        SDB_RET(parse_op(path, "$eq", &el, &n, err));
        node_add(and, n);
    }
    return 0;
}

/* parse_field -- one field of a filter document into `and`. */
static int
parse_field(const bson_iter_t *it, int level, pf_node_t *and, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);
    bson_iter_t ops;
    pf_node_t *n = NULL;

    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &ops) && bson_iter_next(&ops) &&
        bson_iter_key(&ops)[0] == '$') {
        bson_iter_recurse(it, &ops);
        while (bson_iter_next(&ops)) {
            if (strcmp(bson_iter_key(&ops), "$all") == 0) {
                SDB_RET(parse_all(k, &ops, and, err));
                continue;
            }
            SDB_RET(parse_op(k, bson_iter_key(&ops), &ops, &n, err));
            node_add(and, n);
        }
        return 0;
    }
    SDB_RET(parse_op(k, "$eq", it, &n, err));
    node_add(and, n);
    return 0;
}

/* parse_logical -- $and / $or: an array of filter documents, one level deeper. */
static int
parse_logical(const bson_iter_t *it, int level, pf_node_t **out, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);
    pf_node_t *n, *kid = NULL;
    bson_iter_t el;
    bson_t d;
    uint32_t len;
    const uint8_t *data;
    int ret = 0;

    if (level + 1 > MAX_DEPTH)
        return sdb_error_set(err, SDB_CODE_CannotCreateIndex,
                             "partialFilterExpression depth may not exceed %d", MAX_DEPTH);
    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &el))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s must be an array", k);
    n = bson_malloc0(sizeof(*n));
    n->kind = strcmp(k, "$or") == 0 ? PF_OR : PF_AND;
    while (bson_iter_next(&el)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&el))
            SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue,
                                  "$or/$and/$nor entries need to be full objects"));
        bson_iter_document(&el, &len, &data);
        if (!bson_init_static(&d, data, len))
            SDB_ERR(SDB_ECORRUPT);
        SDB_ERR(parse_doc(&d, level + 1, &kid, err));
        node_add(n, kid);
    }
    if (n->n_kids == 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue, "%s must be a nonempty array", k));
    *out = n;
    return 0;
err:
    node_free(n);
    return ret;
}

/* parse_doc -- a filter document into an AND node. */
static int
parse_doc(const bson_t *doc, int level, pf_node_t **out, sdb_error_t *err)
{
    pf_node_t *and = bson_malloc0(sizeof(*and)), *kid = NULL;
    bson_iter_t it;
    int ret = 0;

    and->kind = PF_AND;
    if (!bson_iter_init(&it, doc))
        SDB_ERR(SDB_ECORRUPT);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (strcmp(k, "$and") == 0 || strcmp(k, "$or") == 0) {
            SDB_ERR(parse_logical(&it, level, &kid, err));
            node_add(and, kid);
        } else if (strcmp(k, "$comment") == 0) {
            continue;
        } else if (strcmp(k, "$expr") == 0) {
            SDB_ERR(sdb_error_set(err, SDB_CODE_QueryFeatureNotAllowed,
                                  "$expr is not allowed in this context"));
        } else if (strcmp(k, "$where") == 0 || strcmp(k, "$text") == 0) {
            SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue, "%s is not allowed in this context", k));
        } else if (k[0] == '$') {
            SDB_ERR(refuse_field(&it, err));
        } else {
            SDB_ERR(parse_field(&it, level, and, err));
        }
    }
    *out = and;
    return 0;
err:
    node_free(and);
    return ret;
}

int
sdb_pfilter_new(const bson_t *filter, sdb_pfilter_t **out, sdb_error_t *err)
{
    pf_node_t *root;

    *out = NULL;
    SDB_RET(parse_doc(filter, 0, &root, err));
    *out = bson_malloc0(sizeof(**out));
    (*out)->root = root;
    return 0;
}

void
sdb_pfilter_free(sdb_pfilter_t *f)
{
    if (f == NULL)
        return;
    node_free(f->root);
    bson_free(f);
}

/* ---- evaluate -------------------------------------------------------------------------- */

typedef struct visit_ctx {
    const pf_node_t *n;
    const sdb_bson_str_cmp_t *sc;
} visit_ctx_t;

/* visit -- one value the leaf's path reached (NULL = missing): true when it satisfies. */
static bool
visit(void *arg, const bson_iter_t *it, int32_t arr_idx)
{
    const visit_ctx_t *ctx = arg;
    const pf_node_t *n = ctx->n;
    const bson_value_t *v = it != NULL ? bson_iter_value((bson_iter_t *)it) : NULL;

    (void)arr_idx;
    switch (n->kind) {
    case PF_CMP:
        return sdb_pred_cmp(n->op, v, &n->val, ctx->sc);
    case PF_IN:
        for (size_t i = 0; i < n->n_in; i++)
            if (sdb_pred_cmp(SDB_CMP_EQ, v, &n->in[i], ctx->sc))
                return true;
        return false;
    case PF_EXISTS:
        return it != NULL;
    case PF_TYPE:
        return it != NULL && sdb_typeset_has(&n->types, bson_iter_type(it));
    default:
        return false;
    }
}

static bool
node_matches(const pf_node_t *n, const bson_t *doc, const sdb_bson_str_cmp_t *sc)
{
    visit_ctx_t ctx = {n, sc};

    switch (n->kind) {
    case PF_AND:
        for (size_t i = 0; i < n->n_kids; i++)
            if (!node_matches(n->kids[i], doc, sc))
                return false;
        return true;
    case PF_OR:
        for (size_t i = 0; i < n->n_kids; i++)
            if (node_matches(n->kids[i], doc, sc))
                return true;
        return false;
    default:
        return sdb_path_walk(doc, &n->path, 0, true, visit, &ctx);
    }
}

bool
sdb_pfilter_matches(const sdb_pfilter_t *f, const bson_t *doc, const sdb_bson_str_cmp_t *sc)
{
    return f == NULL || node_matches(f->root, doc, sc);
}
