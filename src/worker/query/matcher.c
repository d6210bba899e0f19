/*
 * src/worker/query/matcher.c -- query filters: the tree, top-level parsing and the public API.
 *
 * wk_matcher_new turns a filter document into a tree of wk_mnode_t (matcher_int.h): the
 * document's fields are ANDed; each field either names a path (its value is an equality, a
 * regex, or a document of operators parsed by matcher_ops.c) or is a top-level operator
 * ($and, $or, $nor, $expr, $jsonSchema, $comment, $alwaysTrue, $alwaysFalse).  Evaluation
 * lives in matcher_eval.c.  Also here: PCRE2 regex compilation with MongoDB's options.
 *
 * Invariants: a tree is immutable once built; every error path frees what was built.
 */
#include "matcher_int.h"

#include <string.h>

#include "../../common/depth.h"
#include "../../common/sdb.h"

wk_mnode_t *
wk_mnode_new(wk_mkind_t kind)
{
    wk_mnode_t *n = bson_malloc0(sizeof(*n));

    n->kind = kind;
    return n;
}

void
wk_mnode_free(wk_mnode_t *n)
{
    size_t i;

    if (n == NULL)
        return;
    sdb_path_destroy(&n->path);
    if (n->val.value_type != 0)
        bson_value_destroy(&n->val);
    wk_regex_destroy(&n->re);
    for (i = 0; i < n->n_in; i++)
        bson_value_destroy(&n->in_vals[i]);
    bson_free(n->in_vals);
    for (i = 0; i < n->n_in_res; i++)
        wk_regex_destroy(&n->in_res[i]);
    bson_free(n->in_res);
    bson_free(n->bits);
    wk_expr_free(n->expr);
    wk_schema_free(n->schema);
    wk_mtext_free(n->text);
    wk_js_where_free(n->where);
    wk_geoq_free(n->geo);
    for (i = 0; i < n->n_kids; i++)
        wk_mnode_free(n->kids[i]);
    bson_free(n->kids);
    bson_free(n);
}

void
wk_mnode_add(wk_mnode_t *parent, wk_mnode_t *kid)
{
    parent->kids = bson_realloc(parent->kids, sizeof(*parent->kids) * (parent->n_kids + 1));
    parent->kids[parent->n_kids++] = kid;
}

/* ---- regular expressions ---------------------------------------------------------------- */

int
wk_regex_compile(const char *pattern, const char *options, wk_regex_t *re, sdb_error_t *err)
{
    uint32_t flags = PCRE2_UTF;
    const char *o;
    int ecode = 0;
    PCRE2_SIZE eoff = 0;
    PCRE2_UCHAR msg[256];

    memset(re, 0, sizeof(*re));
    if (strlen(pattern) > WK_REGEX_MAX_PATTERN)
        return sdb_error_set(err, SDB_CODE_BadValue, "Regular expression is too long");
    for (o = options; *o != '\0'; o++) {
        switch (*o) {
        case 'i':
            flags |= PCRE2_CASELESS;
            break;
        case 'm':
            flags |= PCRE2_MULTILINE;
            break;
        case 's':
            flags |= PCRE2_DOTALL;
            break;
        case 'x':
            flags |= PCRE2_EXTENDED;
            break;
        case 'u':
            break;
        default:
            return sdb_error_set(err, SDB_CODE_Location51108, "invalid flag in regex options: %c",
                                 *o);
        }
    }
    re->code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags, &ecode, &eoff, NULL);
    if (re->code == NULL) {
        pcre2_get_error_message(ecode, msg, sizeof(msg));
        return sdb_error_set(err, SDB_CODE_Location51091, "Regular expression is invalid: %s",
                             (const char *)msg);
    }
    re->limits = pcre2_match_context_create(NULL);
    if (re->limits == NULL) {
        wk_regex_destroy(re);
        return sdb_error_set(err, SDB_CODE_Location51091,
                             "Regular expression is invalid: failed to get memory");
    }
    pcre2_set_match_limit(re->limits, WK_REGEX_MATCH_LIMIT);
    pcre2_set_heap_limit(re->limits, WK_REGEX_HEAP_LIMIT_KB);
    re->pattern = bson_strdup(pattern);
    re->options = bson_strdup(options);
    return 0;
}

void
wk_regex_destroy(wk_regex_t *re)
{
    if (re->code != NULL)
        pcre2_code_free(re->code);
    if (re->limits != NULL)
        pcre2_match_context_free(re->limits);
    bson_free(re->pattern);
    bson_free(re->options);
    memset(re, 0, sizeof(*re));
}

int
wk_regex_exec(const wk_regex_t *re, const char *s, size_t len)
{
    pcre2_match_data *md;
    int rc;

    if (re->code == NULL)
        return 0;
    md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (md == NULL)
        return PCRE2_ERROR_NOMEMORY;
    rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, re->limits);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

bool
wk_regex_match(const wk_regex_t *re, const char *s, size_t len)
{
    return wk_regex_exec(re, s, len) > 0;
}

/* ---- $or normalization ------------------------------------------------------------------ */

/* unwrap -- a one-child AND (what a one-field filter document parses to) or OR is its child. */
static wk_mnode_t *
unwrap(wk_mnode_t *n)
{
    wk_mnode_t *kid;

    while ((n->kind == WK_MN_AND || n->kind == WK_MN_OR) && n->n_kids == 1) {
        kid = n->kids[0];
        n->n_kids = 0;
        wk_mnode_free(n);
        n = kid;
    }
    return n;
}

/* in_member -- can this $or branch become one value of an $in: an equality to a non-regex
 * value ({a: 1}, {a: {$eq: 1}}) or a regex match ({a: /x/}, {a: {$regex: "x"}})? */
static bool
in_member(const wk_mnode_t *n)
{
    if (n->path.dotted == NULL)
        return false;
    return (n->kind == WK_MN_EQ && n->val.value_type != BSON_TYPE_REGEX) || n->kind == WK_MN_REGEX;
}

/* in_absorb -- move the value or regex of `kid` (an in_member) into the $in node `in`. */
static void
in_absorb(wk_mnode_t *in, wk_mnode_t *kid)
{
    if (kid->kind == WK_MN_REGEX) {
        in->in_res = bson_realloc(in->in_res, sizeof(*in->in_res) * (in->n_in_res + 1));
        in->in_res[in->n_in_res++] = kid->re;
        memset(&kid->re, 0, sizeof(kid->re));
    } else {
        in->in_has_null = in->in_has_null || kid->val.value_type == BSON_TYPE_NULL;
        in->in_vals = bson_realloc(in->in_vals, sizeof(*in->in_vals) * (in->n_in + 1));
        in->in_vals[in->n_in++] = kid->val;
        memset(&kid->val, 0, sizeof(kid->val));
    }
    wk_mnode_free(kid);
}

/* or_group_in -- mongod's $or-to-$in rewrite: branches that are equalities or regexes on one
 * path (two or more) become one $in on that path, in the first one's place. */
static void
or_group_in(wk_mnode_t *n)
{
    size_t i, j, k;
    wk_mnode_t *in;

    for (i = 0; i < n->n_kids; i++) {
        if (!in_member(n->kids[i]))
            continue;
        in = NULL;
        for (j = i + 1, k = i + 1; j < n->n_kids; j++) {
            wk_mnode_t *kid = n->kids[j];
            if (!in_member(kid) || strcmp(kid->path.dotted, n->kids[i]->path.dotted) != 0) {
                n->kids[k++] = kid;
                continue;
            }
            if (in == NULL) {
                in = wk_mnode_new(WK_MN_IN);
                sdb_path_parse(n->kids[i]->path.dotted, strlen(n->kids[i]->path.dotted), &in->path,
                               NULL);
                in_absorb(in, n->kids[i]);
                n->kids[i] = in;
            }
            in_absorb(in, kid);
        }
        n->n_kids = k;
    }
}

/* or_normalize -- what mongod's optimizer makes of an $or before anything evaluates it, which
 * decides whether the positional $ sees its match: one-child ANDs are their child, nested $or
 * branches join this one, equalities on one path become an $in, and an $or left with a single
 * branch is that branch.  Returns the node that replaces `n`. */
static wk_mnode_t *
or_normalize(wk_mnode_t *n)
{
    wk_mnode_t **kids = n->kids, *kid;
    size_t i, j, count = n->n_kids;

    n->kids = NULL;
    n->n_kids = 0;
    for (i = 0; i < count; i++) {
        kid = unwrap(kids[i]);
        if (kid->kind != WK_MN_OR) {
            wk_mnode_add(n, kid);
            continue;
        }
        for (j = 0; j < kid->n_kids; j++)
            wk_mnode_add(n, kid->kids[j]);
        kid->n_kids = 0;
        wk_mnode_free(kid);
    }
    bson_free(kids);
    or_group_in(n);
    return unwrap(n);
}

/* ---- top-level parsing ------------------------------------------------------------------ */

/* parse_logical -- $and / $or / $nor: a non-empty array of filter documents. */
static int
parse_logical(const char *op, const bson_iter_t *it, wk_mkind_t kind, int depth, wk_mnode_t **out,
              sdb_error_t *err)
{
    bson_iter_t child;
    wk_mnode_t *n = NULL, *kid = NULL;
    bson_t sub;
    const uint8_t *data;
    uint32_t len;
    int ret = 0;

    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s must be an array", op);
    n = wk_mnode_new(kind);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&child))
            SDB_ERR(
                sdb_error_set(err, SDB_CODE_BadValue, "%s argument's entries must be objects", op));
        bson_iter_document(&child, &len, &data);
        if (!bson_init_static(&sub, data, len))
            SDB_ERR(sdb_error_set(err, SDB_CODE_InvalidBSON, "invalid BSON in %s", op));
        SDB_ERR(wk_mparse_doc(&sub, depth + 2, &kid, err));
        wk_mnode_add(n, kid);
    }
    if (n->n_kids == 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue, "%s argument must be a non-empty array", op));
    *out = kind == WK_MN_OR ? or_normalize(n) : n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

/* parse_toplevel -- one $-prefixed field of a filter document. */
static int
parse_toplevel(const char *key, const bson_iter_t *it, int depth, wk_mnode_t **out,
               sdb_error_t *err)
{
    bson_iter_t sub;
    int ret = 0;

    *out = NULL;
    if (strcmp(key, "$and") == 0)
        return parse_logical(key, it, WK_MN_AND, depth, out, err);
    if (strcmp(key, "$or") == 0)
        return parse_logical(key, it, WK_MN_OR, depth, out, err);
    if (strcmp(key, "$nor") == 0)
        return parse_logical(key, it, WK_MN_NOR, depth, out, err);
    if (strcmp(key, "$comment") == 0)
        return 0;
    if (strcmp(key, "$ref") == 0 || strcmp(key, "$id") == 0 || strcmp(key, "$db") == 0) {
        /* DBRef fields are field names: equality on them, as in {$elemMatch: {$ref: "c"}} */
        *out = wk_mnode_new(WK_MN_EQ);
        sdb_path_parse(key, strlen(key), &(*out)->path, NULL);
        bson_value_copy(bson_iter_value((bson_iter_t *)it), &(*out)->val);
        return 0;
    }
    if (strcmp(key, "$alwaysTrue") == 0 || strcmp(key, "$alwaysFalse") == 0) {
        if (!BSON_ITER_HOLDS_NUMBER(it) || bson_iter_as_int64(it) != 1)
            return sdb_error_set(err, SDB_CODE_FailedToParse, "%s must be an integer value of 1",
                                 key);
        *out = wk_mnode_new(key[7] == 'T' ? WK_MN_TRUE : WK_MN_FALSE);
        return 0;
    }
    if (strcmp(key, "$expr") == 0) {
        *out = wk_mnode_new(WK_MN_EXPR);
        SDB_ERR(wk_expr_parse_at(it, depth, &(*out)->expr, err));
        return 0;
    }
    if (strcmp(key, "$jsonSchema") == 0) {
        if (!BSON_ITER_HOLDS_DOCUMENT(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch, "$jsonSchema must be an object");
        *out = wk_mnode_new(WK_MN_SCHEMA);
        sub = *it;
        SDB_ERR(wk_schema_parse(&sub, depth + 1, &(*out)->schema, err));
        return 0;
    }
    if (strcmp(key, "$where") == 0) { /* compiled by wk_matcher_new_ex, where allowed */
        *out = wk_mnode_new(WK_MN_WHERE);
        bson_value_copy(bson_iter_value((bson_iter_t *)it), &(*out)->val);
        return 0;
    }
    if (strcmp(key, "$text") == 0) { /* parsed by wk_mtext_setup, against the text index */
        *out = wk_mnode_new(WK_MN_TEXT);
        bson_value_copy(bson_iter_value((bson_iter_t *)it), &(*out)->val);
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_BadValue, "unknown top level operator: %s", key);
err:
    wk_mnode_free(*out);
    *out = NULL;
    return ret;
}

/* path_too_long -- mongod refuses a filter path of more components than a stored document
 * may nest (5729100), before anything walks it. */
static bool
path_too_long(const char *path)
{
    int n = 1;

    for (; *path != '\0'; path++)
        if (*path == '.' && ++n > SDB_BSON_DEPTH_STORED)
            return true;
    return false;
}

int
wk_mparse_doc(const bson_t *filter, int depth, wk_mnode_t **out, sdb_error_t *err)
{
    bson_iter_t it;
    wk_mnode_t *n, *kid = NULL;
    int ret = 0;

    *out = NULL;
    if (depth == 0)
        depth = 1;
    SDB_DEPTH_CHECK(depth, err, "query");
    n = wk_mnode_new(WK_MN_AND);
    if (filter != NULL && bson_iter_init(&it, filter)) {
        while (bson_iter_next(&it)) {
            const char *key = bson_iter_key(&it);
            kid = NULL;
            if (key[0] == '$')
                SDB_ERR(parse_toplevel(key, &it, depth, &kid, err));
            else if (path_too_long(key))
                SDB_ERR(sdb_error_set(err, SDB_CODE_Location5729100, "FieldPath is too long"));
            else
                SDB_ERR(wk_mparse_field(key, bson_iter_key_len(&it), &it, depth, &kid, err));
            if (kid != NULL)
                wk_mnode_add(n, kid);
        }
    }
    *out = n;
    return 0;
err:
    wk_mnode_free(n);
    *out = NULL;
    return ret;
}

/* ---- public API -------------------------------------------------------------------------- */

/* binary_dbref_field -- a DBRef's $ref or $db, which mongod compares without collation. */
static bool
binary_dbref_field(const wk_mnode_t *n)
{
    return n->path.n == 1 &&
           (strcmp(n->path.parts[0], "$ref") == 0 || strcmp(n->path.parts[0], "$db") == 0);
}

/* bind -- give every node of the tree the matcher's variables and collation. */
static void
bind(wk_mnode_t *n, const bson_t *vars, const sdb_collation_t *coll, const struct wk_op *op)
{
    size_t i;

    n->vars = vars;
    n->op = op;
    n->coll = binary_dbref_field(n) ? NULL : coll;
    for (i = 0; i < n->n_kids; i++)
        bind(n->kids[i], vars, coll, op);
}

/* setup_where -- compile every $where of the tree for opts' operation, or refuse it where the
 * command allows none. */
static int
setup_where(wk_mnode_t *n, const wk_match_opts_t *opts, sdb_error_t *err)
{
    size_t i;

    if (n->kind == WK_MN_WHERE) {
        if (opts == NULL || !opts->allow_where)
            return sdb_error_set(err, SDB_CODE_BadValue, "$where is not allowed in this context");
        return wk_js_where_new(&n->val, opts->op, &n->where, err);
    }
    for (i = 0; i < n->n_kids; i++)
        SDB_RET(setup_where(n->kids[i], opts, err));
    return 0;
}

/* check_near -- at most one $near / $nearSphere, at the top level (under ANDs only), and only
 * where the command orders by it (find); elsewhere mongod's 5626500. */
static int
check_near(const wk_mnode_t *n, const wk_match_opts_t *opts, bool nested, int *count,
           sdb_error_t *err)
{
    if (n->kind == WK_MN_GEO && n->geo->op == WK_GEO_NEAR) {
        if (opts == NULL || !opts->allow_near)
            return sdb_error_set(
                err, SDB_CODE_Location5626500,
                "$geoNear, $near, and $nearSphere are not allowed in this context, as these "
                "operators require sorting geospatial data. If you do not need sort, consider "
                "using $geoWithin instead. Check out https://dochub.mongodb.org/core/"
                "near-sort-operation and https://dochub.mongodb.org/core/"
                "nearSphere-sort-operationfor more details.");
        if (nested)
            return sdb_error_set(err, SDB_CODE_BadValue, "geoNear must be top-level expr");
        if (++*count > 1)
            return sdb_error_set(err, SDB_CODE_BadValue, "Too many geoNear expressions");
    }
    for (size_t i = 0; i < n->n_kids; i++)
        SDB_RET(check_near(n->kids[i], opts, nested || n->kind != WK_MN_AND, count, err));
    return 0;
}

int
wk_matcher_new(const bson_t *filter, wk_matcher_t **out, sdb_error_t *err)
{
    return wk_matcher_new_ex(filter, NULL, out, err);
}

int
wk_matcher_new_ex(const bson_t *filter, const wk_match_opts_t *opts, wk_matcher_t **out,
                  sdb_error_t *err)
{
    wk_mnode_t *root = NULL;
    int nnear = 0;

    *out = NULL;
    SDB_RET(wk_mparse_doc(filter, 0, &root, err));
    if (check_near(root, opts, false, &nnear, err) != 0 || setup_where(root, opts, err) != 0 ||
        wk_mtext_setup(root, opts, err) != 0) {
        wk_mnode_free(root);
        return SDB_ECLIENT;
    }
    *out = bson_malloc0(sizeof(**out));
    (*out)->root = root;
    if (opts != NULL && opts->vars != NULL && !bson_empty(opts->vars))
        (*out)->vars = bson_copy(opts->vars);
    if (opts != NULL && ((*out)->vars != NULL || opts->coll != NULL || opts->op != NULL))
        bind(root, (*out)->vars, opts->coll, opts->op);
    return 0;
}

bool
wk_matcher_matches(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *details)
{
    if (details != NULL) {
        details->has_elem_index = false;
        details->elem_index = 0;
    }
    return wk_mnode_matches_doc(m->root, doc, details);
}

int
wk_matcher_match(const wk_matcher_t *m, const bson_t *doc, wk_match_details_t *details,
                 bool *matched, sdb_error_t *err)
{
    wk_meval_t ev = {0, err};

    if (details != NULL) {
        details->has_elem_index = false;
        details->elem_index = 0;
    }
    *matched = wk_mnode_match_doc(m->root, doc, details, &ev);
    if (ev.ret != 0)
        *matched = false;
    return ev.ret;
}

void
wk_matcher_free(wk_matcher_t *m)
{
    if (m == NULL)
        return;
    wk_mnode_free(m->root);
    if (m->vars != NULL)
        bson_destroy(m->vars);
    bson_free(m);
}

/* id_node_values -- append the values of an _id equality / $in node; false if not one. */
static bool
id_node_values(const wk_mnode_t *n, bson_t *arr, uint32_t *k)
{
    char key[16];
    const char *kp;
    size_t i;

    if (n->path.n != 1 || strcmp(n->path.parts[0], "_id") != 0)
        return false;
    if (n->kind == WK_MN_EQ) {
        if (n->val.value_type == BSON_TYPE_ARRAY || n->val.value_type == BSON_TYPE_NULL ||
            n->val.value_type == BSON_TYPE_UNDEFINED)
            return false;
        bson_uint32_to_string((*k)++, &kp, key, sizeof(key));
        bson_append_value(arr, kp, -1, &n->val);
        return true;
    }
    if (n->kind != WK_MN_IN || n->n_in_res > 0 || n->in_has_null)
        return false;
    for (i = 0; i < n->n_in; i++)
        if (n->in_vals[i].value_type == BSON_TYPE_ARRAY)
            return false;
    for (i = 0; i < n->n_in; i++) {
        bson_uint32_to_string((*k)++, &kp, key, sizeof(key));
        bson_append_value(arr, kp, -1, &n->in_vals[i]);
    }
    return true;
}

bool
wk_matcher_id_values(const wk_matcher_t *m, bson_t *values_array_out)
{
    const wk_mnode_t *root = m->root;
    uint32_t k = 0;
    size_t i;

    while (root->kind == WK_MN_AND && root->n_kids == 1 && root->kids[0]->kind == WK_MN_AND)
        root = root->kids[0];
    if (root->kind != WK_MN_AND)
        return id_node_values(root, values_array_out, &k);
    for (i = 0; i < root->n_kids; i++) {
        const wk_mnode_t *kid = root->kids[i];
        if (kid->kind == WK_MN_AND && kid->n_kids == 1)
            kid = kid->kids[0];
        if (id_node_values(kid, values_array_out, &k))
            return true;
    }
    return false;
}
