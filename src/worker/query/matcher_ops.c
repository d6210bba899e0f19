/*
 * src/worker/query/matcher_ops.c -- parsing of field predicates and query operators.
 *
 * A field's value is an equality ({a: 5}), a regex ({a: /x/}), or a document whose first
 * key starts with '$' holding operators ({a: {$gt: 1, $lt: 9}}), each becoming its own path
 * node (mongod lets different array elements satisfy different operators).  $ne, $nin and
 * $not become NOT nodes; $all an AND of equalities; $regex/$options combine into one node.
 * The operator table (ops[]) maps names to parsers.  Errors use mongod's codes and wording.
 *
 * Invariants: parsers build a fresh node or return an error having freed what they built.
 */
#include "matcher_int.h"

#include <math.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"

typedef int (*op_parse_fn)(const char *path, size_t len, const char *op, const bson_iter_t *arg,
                           int depth, wk_mnode_t **out, sdb_error_t *err);

/* path_node -- a new node on `path`. */
static wk_mnode_t *
path_node(wk_mkind_t kind, const char *path, size_t len)
{
    wk_mnode_t *n = wk_mnode_new(kind);

    if (len > 0) /* an empty path means the value itself */
        sdb_path_parse(path, len, &n->path, NULL);
    return n;
}

static wk_mnode_t *
negate(wk_mnode_t *kid)
{
    wk_mnode_t *n = wk_mnode_new(WK_MN_NOT);

    wk_mnode_add(n, kid);
    return n;
}

/* is_dbref -- mongod's test for a DBRef among operators: the document holds $ref and $id, or,
 * when `incomplete` is allowed (inside $elemMatch), any of $ref, $id and $db. */
static bool
is_dbref(const bson_iter_t *doc, bool incomplete)
{
    bson_iter_t child;
    bool ref = false, id = false, db = false;

    if (!bson_iter_recurse(doc, &child))
        return false;
    while (bson_iter_next(&child)) {
        const char *k = bson_iter_key(&child);
        ref = ref || strcmp(k, "$ref") == 0;
        id = id || strcmp(k, "$id") == 0;
        db = db || strcmp(k, "$db") == 0;
    }
    return incomplete ? ref || id || db : ref && id;
}

/* is_expression_doc -- a non-empty document whose first key starts with '$' and that is not a
 * DBRef (mongod's isExpressionDocument). */
static bool
is_expression_doc(const bson_iter_t *it, bool incomplete_dbref)
{
    bson_iter_t child;

    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &child) || !bson_iter_next(&child))
        return false;
    return bson_iter_key(&child)[0] == '$' && !is_dbref(it, incomplete_dbref);
}

/* is_operator_doc -- a field's value that holds operators, not a value to compare with. */
static bool
is_operator_doc(const bson_iter_t *it)
{
    return is_expression_doc(it, false);
}

static int
parse_regex_value(const char *path, size_t len, const bson_iter_t *arg, wk_mnode_t **out,
                  sdb_error_t *err)
{
    const char *pattern, *options;
    wk_mnode_t *n = path_node(WK_MN_REGEX, path, len);
    int ret;

    pattern = bson_iter_regex(arg, &options);
    if ((ret = wk_regex_compile(pattern, options != NULL ? options : "", &n->re, err)) != 0) {
        wk_mnode_free(n);
        return ret;
    }
    *out = n;
    return 0;
}

static int
parse_cmp(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
          wk_mnode_t **out, sdb_error_t *err)
{
    static const struct {
        const char *name;
        wk_mkind_t kind;
    } cmps[] = {{"$eq", WK_MN_EQ},   {"$ne", WK_MN_EQ}, {"$lt", WK_MN_LT},
                {"$lte", WK_MN_LTE}, {"$gt", WK_MN_GT}, {"$gte", WK_MN_GTE}};
    wk_mnode_t *n;
    size_t i;

    for (i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
        if (strcmp(op, cmps[i].name) == 0)
            break;
    SDB_ASSERT(i < sizeof(cmps) / sizeof(cmps[0]));
    if (BSON_ITER_HOLDS_REGEX(arg) && cmps[i].kind != WK_MN_EQ)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Can't have RegEx as arg to predicate over "
                             "field '%.*s'.",
                             (int)len, path);
    n = path_node(cmps[i].kind, path, len);
    bson_value_copy(bson_iter_value((bson_iter_t *)arg), &n->val);
    *out = strcmp(op, "$ne") == 0 ? negate(n) : n;
    return 0;
}

static int
parse_in(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
         wk_mnode_t **out, sdb_error_t *err)
{
    bson_iter_t child;
    wk_mnode_t *n;
    int ret = 0;

    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &child))
        return sdb_error_set(err, SDB_CODE_BadValue, "%s needs an array", op);
    n = path_node(WK_MN_IN, path, len);
    while (bson_iter_next(&child)) {
        if (is_operator_doc(&child))
            SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue, "cannot nest $ under %s", op));
        if (BSON_ITER_HOLDS_REGEX(&child)) {
            const char *options, *pattern = bson_iter_regex(&child, &options);
            n->in_res = bson_realloc(n->in_res, sizeof(*n->in_res) * (n->n_in_res + 1));
            SDB_ERR(wk_regex_compile(pattern, options != NULL ? options : "",
                                     &n->in_res[n->n_in_res], err));
            n->n_in_res++;
            continue;
        }
        if (BSON_ITER_HOLDS_NULL(&child))
            n->in_has_null = true;
        n->in_vals = bson_realloc(n->in_vals, sizeof(*n->in_vals) * (n->n_in + 1));
        bson_value_copy(bson_iter_value(&child), &n->in_vals[n->n_in++]);
    }
    *out = strcmp(op, "$nin") == 0 ? negate(n) : n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

static int
parse_exists(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
             wk_mnode_t **out, sdb_error_t *err)
{
    wk_mnode_t *n = path_node(WK_MN_EXISTS, path, len);
    bool want = bson_iter_as_bool(arg);

    *out = want ? n : negate(n);
    return 0;
}

static int
parse_type(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
           wk_mnode_t **out, sdb_error_t *err)
{
    wk_mnode_t *n = path_node(WK_MN_TYPE, path, len);
    bson_iter_t child;
    int ret = 0;

    if (BSON_ITER_HOLDS_ARRAY(arg) && bson_iter_recurse(arg, &child)) {
        while (bson_iter_next(&child))
            SDB_ERR(sdb_typeset_add(&n->types, &child, err));
    } else {
        SDB_ERR(sdb_typeset_add(&n->types, arg, err));
    }
    *out = n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

/* mod_operand -- one $mod operand as int64 (doubles truncate toward zero). */
static int
mod_operand(const bson_iter_t *it, const char *what, int64_t *v, sdb_error_t *err)
{
    double d;

    if (!BSON_ITER_HOLDS_NUMBER(it))
        return sdb_error_set(err, SDB_CODE_BadValue, "malformed mod, %s not a number", what);
    if (BSON_ITER_HOLDS_DOUBLE(it) || BSON_ITER_HOLDS_DECIMAL128(it)) {
        d = bson_iter_as_double(it);
        if (isnan(d) || isinf(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "malformed mod, %s value is invalid :: "
                                 "caused by :: Out of bounds coercing to integral value",
                                 what);
        *v = (int64_t)d;
        return 0;
    }
    *v = bson_iter_as_int64(it);
    return 0;
}

static int
parse_mod(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
          wk_mnode_t **out, sdb_error_t *err)
{
    bson_iter_t child, d, r;
    wk_mnode_t *n;
    int count = 0;

    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &child))
        return sdb_error_set(err, SDB_CODE_BadValue, "malformed mod, needs to be an array");
    while (bson_iter_next(&child)) {
        if (count == 0)
            d = child;
        else if (count == 1)
            r = child;
        count++;
    }
    if (count < 2)
        return sdb_error_set(err, SDB_CODE_BadValue, "malformed mod, not enough elements");
    if (count > 2)
        return sdb_error_set(err, SDB_CODE_BadValue, "malformed mod, too many elements");
    n = path_node(WK_MN_MOD, path, len);
    if (mod_operand(&d, "divisor", &n->mod_div, err) != 0 ||
        mod_operand(&r, "remainder", &n->mod_rem, err) != 0) {
        wk_mnode_free(n);
        return SDB_ECLIENT;
    }
    if (n->mod_div == 0) {
        wk_mnode_free(n);
        return sdb_error_set(err, SDB_CODE_BadValue, "divisor cannot be 0");
    }
    *out = n;
    return 0;
}

static int
parse_size(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
           wk_mnode_t **out, sdb_error_t *err)
{
    double d;
    wk_mnode_t *n;

    if (!BSON_ITER_HOLDS_NUMBER(arg))
        return sdb_error_set(err, SDB_CODE_BadValue, "$size needs a number");
    d = bson_iter_as_double(arg);
    if (d != floor(d) || isnan(d))
        return sdb_error_set(err, SDB_CODE_BadValue, "$size must be a whole number");
    if (d < 0)
        return sdb_error_set(err, SDB_CODE_BadValue, "$size may not be negative");
    n = path_node(WK_MN_SIZE, path, len);
    n->size = (int64_t)d;
    *out = n;
    return 0;
}

static int
parse_all(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
          wk_mnode_t **out, sdb_error_t *err)
{
    bson_iter_t child, sub;
    wk_mnode_t *n, *kid = NULL;
    int ret = 0;

    if (!BSON_ITER_HOLDS_ARRAY(arg) || !bson_iter_recurse(arg, &child))
        return sdb_error_set(err, SDB_CODE_BadValue, "$all needs an array");
    n = wk_mnode_new(WK_MN_AND);
    while (bson_iter_next(&child)) {
        if (BSON_ITER_HOLDS_REGEX(&child)) {
            SDB_ERR(parse_regex_value(path, len, &child, &kid, err));
        } else if (is_operator_doc(&child)) {
            bson_iter_recurse(&child, &sub);
            bson_iter_next(&sub);
            if (strcmp(bson_iter_key(&sub), "$elemMatch") != 0)
                SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue, "no $ expressions in $all"));
            SDB_ERR(wk_mparse_op(path, len, "$elemMatch", &sub, depth + 2, &kid, err));
        } else {
            kid = path_node(WK_MN_EQ, path, len);
            bson_value_copy(bson_iter_value(&child), &kid->val);
        }
        wk_mnode_add(n, kid);
    }
    if (n->n_kids == 0) {
        wk_mnode_free(n);
        n = path_node(WK_MN_ALL_EMPTY, path, len);
    }
    *out = n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

/* elem_is_value_form -- $elemMatch's argument holds operators on values, not a query (a
 * document naming any DBRef field is a query on DBRefs). */
static bool
elem_is_value_form(const bson_iter_t *arg)
{
    bson_iter_t child;
    const char *k;

    if (!is_expression_doc(arg, true) || !bson_iter_recurse(arg, &child) || !bson_iter_next(&child))
        return false;
    k = bson_iter_key(&child);
    return strcmp(k, "$and") != 0 && strcmp(k, "$or") != 0 && strcmp(k, "$nor") != 0 &&
           strcmp(k, "$expr") != 0 && strcmp(k, "$where") != 0 && strcmp(k, "$comment") != 0 &&
           strcmp(k, "$jsonSchema") != 0 && strcmp(k, "$alwaysTrue") != 0 &&
           strcmp(k, "$alwaysFalse") != 0 && strcmp(k, "$text") != 0;
}

static int
parse_elem_match(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
                 wk_mnode_t **out, sdb_error_t *err)
{
    wk_mnode_t *n, *kid = NULL;
    const uint8_t *data;
    uint32_t dlen;
    bson_t sub;
    int ret = 0;

    if (!BSON_ITER_HOLDS_DOCUMENT(arg))
        return sdb_error_set(err, SDB_CODE_BadValue, "$elemMatch needs an Object");
    if (elem_is_value_form(arg)) {
        SDB_RET(wk_mparse_ops("", 0, arg, depth + 1, &kid, err));
        n = path_node(WK_MN_ELEM_VAL, path, len);
    } else {
        bson_iter_document(arg, &dlen, &data);
        if (!bson_init_static(&sub, data, dlen))
            return sdb_error_set(err, SDB_CODE_InvalidBSON, "invalid $elemMatch");
        SDB_RET(wk_mparse_doc(&sub, depth + 1, &kid, err));
        n = path_node(WK_MN_ELEM_OBJ, path, len);
    }
    wk_mnode_add(n, kid);
    *out = n;
    return ret;
}

static int
parse_not(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
          wk_mnode_t **out, sdb_error_t *err)
{
    wk_mnode_t *kid = NULL;
    bson_iter_t child;

    if (BSON_ITER_HOLDS_REGEX(arg)) {
        SDB_RET(parse_regex_value(path, len, arg, &kid, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(arg)) {
        if (!bson_iter_recurse(arg, &child) || !bson_iter_next(&child))
            return sdb_error_set(err, SDB_CODE_BadValue, "$not cannot be empty");
        SDB_RET(wk_mparse_ops(path, len, arg, depth + 1, &kid, err));
    } else {
        return sdb_error_set(err, SDB_CODE_BadValue, "$not needs a regex or a document");
    }
    *out = negate(kid);
    return 0;
}

/* bits_from_array -- $bits* given as a list of bit positions. */
static int
bits_from_array(wk_mnode_t *n, const bson_iter_t *arg, const char *op, sdb_error_t *err)
{
    bson_iter_t child;
    double d;

    bson_iter_recurse(arg, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_NUMBER(&child))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "bit positions must be an integer but "
                                 "got: %s",
                                 bson_iter_key(&child));
        d = bson_iter_as_double(&child);
        if (d != floor(d))
            return sdb_error_set(err, SDB_CODE_BadValue, "bit positions must be an integer");
        if (d < 0 || d > 2147483647.0)
            return sdb_error_set(err, SDB_CODE_BadValue, "bit positions must be >= 0");
        n->bits = bson_realloc(n->bits, sizeof(*n->bits) * (n->n_bits + 1));
        n->bits[n->n_bits++] = (uint32_t)d;
    }
    return 0;
}

static int
parse_bits(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
           wk_mnode_t **out, sdb_error_t *err)
{
    wk_mkind_t kind = strcmp(op, "$bitsAllSet") == 0     ? WK_MN_BITS_ALL_SET
                      : strcmp(op, "$bitsAllClear") == 0 ? WK_MN_BITS_ALL_CLEAR
                      : strcmp(op, "$bitsAnySet") == 0   ? WK_MN_BITS_ANY_SET
                                                         : WK_MN_BITS_ANY_CLEAR;
    wk_mnode_t *n = path_node(kind, path, len);
    uint32_t i, blen;
    const uint8_t *bin;
    bson_subtype_t st;
    uint64_t mask;
    double d;
    int ret = 0;

    if (BSON_ITER_HOLDS_ARRAY(arg)) {
        SDB_ERR(bits_from_array(n, arg, op, err));
    } else if (BSON_ITER_HOLDS_BINARY(arg)) {
        bson_iter_binary(arg, &st, &blen, &bin);
        for (i = 0; i < blen * 8; i++)
            if (bin[i / 8] & (1u << (i % 8))) {
                n->bits = bson_realloc(n->bits, sizeof(*n->bits) * (n->n_bits + 1));
                n->bits[n->n_bits++] = i;
            }
    } else if (BSON_ITER_HOLDS_NUMBER(arg)) {
        d = bson_iter_as_double(arg);
        if (d != floor(d) || isnan(d))
            SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue,
                                  "%s cannot represent value as an "
                                  "integer",
                                  op));
        if (d < 0)
            SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue,
                                  "%s bitmask must be a non-negative "
                                  "number",
                                  op));
        mask = (uint64_t)bson_iter_as_int64(arg);
        for (i = 0; i < 64; i++)
            if (mask & ((uint64_t)1 << i)) {
                n->bits = bson_realloc(n->bits, sizeof(*n->bits) * (n->n_bits + 1));
                n->bits[n->n_bits++] = i;
            }
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_BadValue,
                              "%s takes an Array, a number, or a "
                              "BinData but received: %s",
                              op, bson_iter_key(arg)));
    }
    *out = n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

static const struct {
    const char *name;
    op_parse_fn fn;
} ops[] = {
    {"$eq", parse_cmp},
    {"$ne", parse_cmp},
    {"$lt", parse_cmp},
    {"$lte", parse_cmp},
    {"$gt", parse_cmp},
    {"$gte", parse_cmp},
    {"$in", parse_in},
    {"$nin", parse_in},
    {"$exists", parse_exists},
    {"$type", parse_type},
    {"$mod", parse_mod},
    {"$size", parse_size},
    {"$all", parse_all},
    {"$elemMatch", parse_elem_match},
    {"$not", parse_not},
    {"$bitsAllSet", parse_bits},
    {"$bitsAllClear", parse_bits},
    {"$bitsAnySet", parse_bits},
    {"$bitsAnyClear", parse_bits},
};

int
wk_mparse_op(const char *path, size_t len, const char *op, const bson_iter_t *arg, int depth,
             wk_mnode_t **out, sdb_error_t *err)
{
    size_t i;

    SDB_DEPTH_CHECK(depth, err, "query");
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(op, ops[i].name) == 0)
            return ops[i].fn(path, len, op, arg, depth, out, err);
    if (strcmp(op, "$near") == 0 || strcmp(op, "$nearSphere") == 0 ||
        strcmp(op, "$geoWithin") == 0 || strcmp(op, "$geoIntersects") == 0 ||
        strcmp(op, "$within") == 0) {
        wk_geoq_t *q;

        SDB_RET(wk_geoq_parse(op, arg, &q, err));
        *out = path_node(WK_MN_GEO, path, len);
        (*out)->geo = q;
        return 0;
    }
    return sdb_error_set(err, SDB_CODE_BadValue, "unknown operator: %s", op);
}

/* parse_regex_ops -- {$regex: ..., $options: ...} inside an operator document. */
static int
parse_regex_ops(const char *path, size_t len, const bson_iter_t *re_it, const bson_iter_t *opt_it,
                wk_mnode_t **out, sdb_error_t *err)
{
    const char *pattern, *options = "";
    wk_mnode_t *n;
    int ret;

    if (re_it == NULL)
        return sdb_error_set(err, SDB_CODE_BadValue, "$options needs a $regex");
    if (opt_it != NULL) {
        if (!BSON_ITER_HOLDS_UTF8(opt_it))
            return sdb_error_set(err, SDB_CODE_BadValue, "$options has to be a string");
        options = bson_iter_utf8(opt_it, NULL);
    }
    if (BSON_ITER_HOLDS_REGEX(re_it)) {
        const char *ro;
        pattern = bson_iter_regex(re_it, &ro);
        if (opt_it != NULL && ro != NULL && ro[0] != '\0')
            return sdb_error_set(err, SDB_CODE_Location51075,
                                 "options set in both $regex and $options");
        if (opt_it == NULL)
            options = ro != NULL ? ro : "";
    } else if (BSON_ITER_HOLDS_UTF8(re_it)) {
        pattern = bson_iter_utf8(re_it, NULL);
    } else {
        return sdb_error_set(err, SDB_CODE_BadValue, "$regex has to be a string");
    }
    n = path_node(WK_MN_REGEX, path, len);
    if ((ret = wk_regex_compile(pattern, options, &n->re, err)) != 0) {
        wk_mnode_free(n);
        return ret;
    }
    *out = n;
    return 0;
}

/* near_distance -- $maxDistance / $minDistance beside a legacy $near in the same object. */
static int
near_distance(wk_mnode_t *n, const bson_iter_t *it, sdb_error_t *err)
{
    for (size_t i = 0; i < n->n_kids; i++)
        if (n->kids[i]->kind == WK_MN_GEO && n->kids[i]->geo->op == WK_GEO_NEAR)
            return wk_geoq_set_distance(n->kids[i]->geo, bson_iter_key(it), it, err);
    return sdb_error_set(err, SDB_CODE_BadValue, "unknown operator: %s", bson_iter_key(it));
}

int
wk_mparse_ops(const char *path, size_t len, const bson_iter_t *opsdoc, int depth, wk_mnode_t **out,
              sdb_error_t *err)
{
    bson_iter_t child, re_it, opt_it, dist0, dist1;
    size_t ndist = 0;
    bool have_re = false, have_opt = false;
    wk_mnode_t *n, *kid = NULL;
    int ret = 0;

    SDB_DEPTH_CHECK(depth, err, "query");
    n = wk_mnode_new(WK_MN_AND);
    bson_iter_recurse(opsdoc, &child);
    while (bson_iter_next(&child)) {
        const char *op = bson_iter_key(&child);
        kid = NULL;
        if (strcmp(op, "$regex") == 0) {
            re_it = child;
            have_re = true;
        } else if (strcmp(op, "$options") == 0) {
            opt_it = child;
            have_opt = true;
        } else if (strcmp(op, "$maxDistance") == 0 || strcmp(op, "$minDistance") == 0) {
            *(ndist++ == 0 ? &dist0 : &dist1) = child; /* a legacy $near's: applied below */
        } else if (strcmp(op, "$comment") != 0) {
            SDB_ERR(wk_mparse_op(path, len, op, &child, depth, &kid, err));
            wk_mnode_add(n, kid);
        }
    }
    if (ndist > 0)
        SDB_ERR(near_distance(n, &dist0, err));
    if (ndist > 1)
        SDB_ERR(near_distance(n, &dist1, err));
    if (have_re || have_opt) {
        SDB_ERR(parse_regex_ops(path, len, have_re ? &re_it : NULL, have_opt ? &opt_it : NULL, &kid,
                                err));
        wk_mnode_add(n, kid);
    }
    *out = n;
    return 0;
err:
    wk_mnode_free(n);
    return ret;
}

int
wk_mparse_field(const char *path, size_t len, const bson_iter_t *it, int depth, wk_mnode_t **out,
                sdb_error_t *err)
{
    wk_mnode_t *n;

    SDB_RET(sdb_path_check(path, len, err)); /* path_node may then parse it without err */
    if (BSON_ITER_HOLDS_REGEX(it))
        return parse_regex_value(path, len, it, out, err);
    if (is_operator_doc(it))
        return wk_mparse_ops(path, len, it, depth + 1, out, err);
    n = path_node(WK_MN_EQ, path, len);
    bson_value_copy(bson_iter_value((bson_iter_t *)it), &n->val);
    *out = n;
    return 0;
}
