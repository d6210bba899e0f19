/*
 * src/worker/query/matcher_eval.c -- evaluation of a parsed filter against documents.
 *
 * Logical nodes combine their children; a path node walks its path (path.c) and asks
 * whether any value reached satisfies its predicate (wk_mnode_matches_value).  Comparison
 * follows mongod: values compare only within one type bracket (MinKey and MaxKey operands
 * excepted), null also matches missing and undefined, NaN equals only NaN, and an array is
 * tried element by element and then as a whole.  $size and $elemMatch look at arrays
 * without expanding them.
 *
 * A regex match that hits its limit (matcher_int.h) is an evaluation error, recorded like
 * $expr's: the first one is kept and fails the command (51156).
 *
 * Invariants: evaluation allocates nothing except in $expr; any thread.
 */
#include "matcher_int.h"

#include <math.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/collation.h"
#include "../../common/sdb.h"

_Static_assert(WK_MN_LT - WK_MN_EQ == SDB_CMP_LT && WK_MN_LTE - WK_MN_EQ == SDB_CMP_LTE &&
                   WK_MN_GT - WK_MN_EQ == SDB_CMP_GT && WK_MN_GTE - WK_MN_EQ == SDB_CMP_GTE,
               "the comparison kinds are in predicate.h's order");

/* coll_str_cmp -- a collation as the predicates' string comparison. */
static int
coll_str_cmp(void *ctx, const char *a, size_t alen, const char *b, size_t blen)
{
    return sdb_collation_str_cmp(ctx, a, alen, b, blen);
}

/* cmp_match -- a comparison predicate (EQ, LT, LTE, GT, GTE) on one value (NULL = missing). */
static bool
cmp_match(wk_mkind_t kind, const bson_value_t *v, const bson_value_t *rhs,
          const sdb_collation_t *coll)
{
    sdb_bson_str_cmp_t sc = {coll_str_cmp, (void *)coll};

    return sdb_pred_cmp((sdb_cmp_op_t)(kind - WK_MN_EQ), v, rhs, coll != NULL ? &sc : NULL);
}

bool
wk_value_eq_match(const bson_value_t *a, const bson_value_t *b)
{
    return cmp_match(WK_MN_EQ, a, b, NULL);
}

/* regex_failed -- a match hit its limit (matcher_int.h): mongod's regex execution error. */
static void
regex_failed(wk_meval_t *ev, int rc)
{
    PCRE2_UCHAR msg[120];

    if (ev == NULL || ev->ret != 0)
        return;
    ev->ret = SDB_ECLIENT;
    if (ev->err == NULL)
        return;
    if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
        bson_strncpy((char *)msg, "unknown error", sizeof(msg));
    sdb_error_set(ev->err, SDB_CODE_Location51156,
                  "Error occurred while executing the regular expression in $regex. Result "
                  "code: %s",
                  (const char *)msg);
}

/* regex_string -- run a regex on a string value (a limit hit is recorded in ev). */
static bool
regex_string(const wk_regex_t *re, const char *s, uint32_t len, wk_meval_t *ev)
{
    int rc = wk_regex_exec(re, s, len);

    if (rc < 0)
        regex_failed(ev, rc);
    return rc > 0;
}

static bool
regex_value_match(const wk_regex_t *re, const bson_iter_t *it, wk_meval_t *ev)
{
    const char *s, *opts;
    uint32_t len;

    if (BSON_ITER_HOLDS_UTF8(it)) {
        s = bson_iter_utf8(it, &len);
        return regex_string(re, s, len, ev);
    }
    if (BSON_ITER_HOLDS_SYMBOL(it)) {
        s = bson_iter_symbol(it, &len);
        return regex_string(re, s, len, ev);
    }
    if (BSON_ITER_HOLDS_REGEX(it)) {
        s = bson_iter_regex(it, &opts);
        return strcmp(s, re->pattern) == 0 && strcmp(opts != NULL ? opts : "", re->options) == 0;
    }
    return false;
}

static bool
in_match(const wk_mnode_t *n, const bson_iter_t *it, wk_meval_t *ev)
{
    const bson_value_t *v;
    size_t i;

    if (it == NULL)
        return n->in_has_null;
    v = bson_iter_value((bson_iter_t *)it);
    for (i = 0; i < n->n_in; i++)
        if (cmp_match(WK_MN_EQ, v, &n->in_vals[i], n->coll))
            return true;
    for (i = 0; i < n->n_in_res; i++)
        if (regex_value_match(&n->in_res[i], it, ev))
            return true;
    return false;
}

static bool
type_match(const wk_mnode_t *n, const bson_iter_t *it)
{
    return it != NULL && sdb_typeset_has(&n->types, bson_iter_type(it));
}

/* value_as_int64 -- an integral number that fits int64 (doubles must be exact). */
static bool
value_as_int64(const bson_iter_t *it, bool truncate, int64_t *out)
{
    double d;

    if (BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it)) {
        *out = bson_iter_as_int64(it);
        return true;
    }
    if (!BSON_ITER_HOLDS_DOUBLE(it))
        return false;
    d = bson_iter_double(it);
    if (isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return false;
    if (!truncate && d != floor(d))
        return false;
    *out = (int64_t)d;
    return true;
}

static bool
mod_match(const wk_mnode_t *n, const bson_iter_t *it)
{
    int64_t x;

    if (it == NULL || !value_as_int64(it, true, &x))
        return false;
    if (n->mod_div == -1)
        return n->mod_rem == 0;
    return x % n->mod_div == n->mod_rem;
}

static bool
bits_match(const wk_mnode_t *n, const bson_iter_t *it)
{
    const uint8_t *bin = NULL;
    uint32_t blen = 0, b;
    bson_subtype_t st;
    int64_t x = 0;
    size_t i;
    bool set;

    if (it == NULL)
        return false;
    if (BSON_ITER_HOLDS_BINARY(it))
        bson_iter_binary(it, &st, &blen, &bin);
    else if (!value_as_int64(it, false, &x))
        return false;
    for (i = 0; i < n->n_bits; i++) {
        b = n->bits[i];
        if (bin != NULL)
            set = b / 8 < blen && (bin[b / 8] >> (b % 8)) & 1;
        else
            set = b < 64 ? (((uint64_t)x >> b) & 1) != 0 : x < 0;
        switch (n->kind) {
        case WK_MN_BITS_ALL_SET:
            if (!set)
                return false;
            break;
        case WK_MN_BITS_ALL_CLEAR:
            if (set)
                return false;
            break;
        case WK_MN_BITS_ANY_SET:
            if (set)
                return true;
            break;
        default:
            if (!set)
                return true;
            break;
        }
    }
    return n->kind == WK_MN_BITS_ALL_SET || n->kind == WK_MN_BITS_ALL_CLEAR;
}

static bool value_match(const wk_mnode_t *n, const bson_iter_t *it, wk_meval_t *ev);

/* elem_match -- $elemMatch: true when some element of the array satisfies it, with the first
 * such element's position in *pos (what mongod records for the positional $). */
static bool
elem_match(const wk_mnode_t *n, const bson_iter_t *it, wk_meval_t *ev, int32_t *pos)
{
    bson_iter_t child;
    const uint8_t *data;
    uint32_t len;
    bson_t sub;
    size_t i;
    bool ok;

    if (it == NULL || !BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child))
        return false;
    for (*pos = 0; bson_iter_next(&child); (*pos)++) {
        if (n->kind == WK_MN_ELEM_OBJ) {
            if (!BSON_ITER_HOLDS_DOCUMENT(&child) && !BSON_ITER_HOLDS_ARRAY(&child))
                continue;
            if (BSON_ITER_HOLDS_DOCUMENT(&child))
                bson_iter_document(&child, &len, &data);
            else
                bson_iter_array(&child, &len, &data);
            if (bson_init_static(&sub, data, len) && wk_mnode_match_doc(n->kids[0], &sub, NULL, ev))
                return true;
            continue;
        }
        ok = true;
        for (i = 0; i < n->n_kids && ok; i++)
            ok = value_match(n->kids[i], &child, ev);
        if (ok)
            return true;
    }
    *pos = -1;
    return false;
}

/* value_match -- a node's predicate on one value; regex limit hits are recorded in ev. */
static bool
value_match(const wk_mnode_t *n, const bson_iter_t *it, wk_meval_t *ev)
{
    int32_t pos;
    size_t i;

    switch (n->kind) {
    case WK_MN_AND:
        for (i = 0; i < n->n_kids; i++)
            if (!value_match(n->kids[i], it, ev))
                return false;
        return true;
    case WK_MN_OR:
        for (i = 0; i < n->n_kids; i++)
            if (value_match(n->kids[i], it, ev))
                return true;
        return false;
    case WK_MN_NOR:
    case WK_MN_NOT:
        for (i = 0; i < n->n_kids; i++)
            if (value_match(n->kids[i], it, ev))
                return false;
        return true;
    case WK_MN_TRUE:
        return true;
    case WK_MN_FALSE:
        return false;
    case WK_MN_EQ:
    case WK_MN_LT:
    case WK_MN_LTE:
    case WK_MN_GT:
    case WK_MN_GTE:
        return cmp_match(n->kind, it != NULL ? bson_iter_value((bson_iter_t *)it) : NULL, &n->val,
                         n->coll);
    case WK_MN_IN:
        return in_match(n, it, ev);
    case WK_MN_EXISTS:
        return it != NULL;
    case WK_MN_TYPE:
        return type_match(n, it);
    case WK_MN_REGEX:
        return it != NULL && regex_value_match(&n->re, it, ev);
    case WK_MN_MOD:
        return mod_match(n, it);
    case WK_MN_SIZE:
        return it != NULL && BSON_ITER_HOLDS_ARRAY(it) && n->size == (int64_t)sdb_iter_count(it);
    case WK_MN_ELEM_OBJ:
    case WK_MN_ELEM_VAL:
        return elem_match(n, it, ev, &pos);
    case WK_MN_BITS_ALL_SET:
    case WK_MN_BITS_ALL_CLEAR:
    case WK_MN_BITS_ANY_SET:
    case WK_MN_BITS_ANY_CLEAR:
        return bits_match(n, it);
    case WK_MN_GEO:
        return wk_geoq_match(n->geo, it);
    default:
        return false;
    }
}

bool
wk_mnode_matches_value(const wk_mnode_t *n, const bson_iter_t *it)
{
    return value_match(n, it, NULL);
}

typedef struct visit_ctx {
    const wk_mnode_t *n;
    int32_t idx;
    wk_meval_t *ev;
} visit_ctx_t;

/* visit -- one value reached by the path.  The position recorded for the positional $ is the
 * one taken in the outermost array the path traversed implicitly; failing that, the element
 * an $elemMatch picked in the array the path ends on (mongod's elemMatchKey). */
static bool
visit(void *vctx, const bson_iter_t *it, int32_t arr_idx)
{
    visit_ctx_t *ctx = vctx;
    int32_t inner = -1;
    bool ok;

    if (ctx->n->kind == WK_MN_ELEM_OBJ || ctx->n->kind == WK_MN_ELEM_VAL)
        ok = elem_match(ctx->n, it, ctx->ev, &inner);
    else
        ok = value_match(ctx->n, it, ctx->ev);
    if (!ok)
        return false;
    ctx->idx = arr_idx >= 0 ? arr_idx : inner;
    return true;
}

/* path_matches -- walk the node's path; true when some value reached satisfies it. */
static bool
path_matches(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d, wk_meval_t *ev)
{
    visit_ctx_t ctx = {n, -1, ev};
    bool expand = n->kind != WK_MN_SIZE && n->kind != WK_MN_ELEM_OBJ && n->kind != WK_MN_ELEM_VAL &&
                  n->kind != WK_MN_GEO; /* [x, y] is one point */

    if (!sdb_path_walk(doc, &n->path, 0, expand, visit, &ctx))
        return false;
    if (d != NULL && ctx.idx >= 0) {
        d->has_elem_index = true;
        d->elem_index = ctx.idx;
    }
    return true;
}

/* eval_expr -- $expr: the expression's truthiness; an evaluation error is recorded in `ev`
 * (the first one wins) and the document does not match. */
static bool
eval_expr(const wk_mnode_t *n, const bson_t *doc, wk_meval_t *ev)
{
    bson_value_t v;
    sdb_error_t err;
    int ret;
    bool r;

    ret = wk_expr_eval_op(n->expr, doc, n->vars, n->op, &v, &err);
    if (ret != 0) {
        if (ev != NULL && ev->ret == 0) {
            ev->ret = ret;
            if (ev->err != NULL)
                *ev->err = err;
        }
        return false;
    }
    r = wk_expr_truthy(&v);
    bson_value_destroy(&v);
    return r;
}

/* eval_where -- $where: the script's answer for doc; an error is recorded as eval_expr's. */
static bool
eval_where(const wk_mnode_t *n, const bson_t *doc, wk_meval_t *ev)
{
    sdb_error_t err;
    bool r = false;
    int ret;

    if ((ret = wk_js_where_match(n->where, doc, &r, &err)) != 0 && ev != NULL && ev->ret == 0) {
        ev->ret = ret;
        if (ev->err != NULL)
            *ev->err = err;
    }
    return ret == 0 && r;
}

/* failed -- has evaluation already failed?  Logical nodes stop at once when so. */
static bool
failed(const wk_meval_t *ev)
{
    return ev != NULL && ev->ret != 0;
}

bool
wk_mnode_match_doc(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d, wk_meval_t *ev)
{
    size_t i;

    switch (n->kind) {
    case WK_MN_AND:
        for (i = 0; i < n->n_kids; i++)
            if (!wk_mnode_match_doc(n->kids[i], doc, d, ev))
                return false;
        return true;
    case WK_MN_OR: /* as mongod: a match under $or records no array position */
        for (i = 0; i < n->n_kids; i++)
            if (wk_mnode_match_doc(n->kids[i], doc, NULL, ev))
                return true;
            else if (failed(ev))
                return false;
        return false;
    case WK_MN_NOR:
    case WK_MN_NOT:
        for (i = 0; i < n->n_kids; i++)
            if (wk_mnode_match_doc(n->kids[i], doc, NULL, ev) || failed(ev))
                return false;
        return true;
    case WK_MN_TRUE:
        return true;
    case WK_MN_FALSE:
        return false;
    case WK_MN_EXPR:
        return eval_expr(n, doc, ev);
    case WK_MN_SCHEMA:
        return wk_schema_matches(n->schema, doc);
    case WK_MN_WHERE:
        return eval_where(n, doc, ev);
    case WK_MN_TEXT:
        return wk_mtext_match(n, doc, d, ev != NULL ? &ev->ret : NULL, ev != NULL ? ev->err : NULL);
    case WK_MN_ALL_EMPTY:
        return false;
    default:
        if (n->path.n == 0)
            return false;
        return path_matches(n, doc, d, ev);
    }
}

bool
wk_mnode_matches_doc(const wk_mnode_t *n, const bson_t *doc, wk_match_details_t *d)
{
    return wk_mnode_match_doc(n, doc, d, NULL);
}
