/*
 * src/worker/query/expr.c -- aggregation expressions: parsing, field paths, variables, values.
 *
 * wk_expr_parse builds a tree (expr_int.h): strings starting with '$' are field paths
 * ("$a.b" is $$CURRENT.a.b; "$$ROOT", "$$CURRENT" and bound variables), documents whose
 * only key starts with '$' are operators (expr_ops.c holds the table), other documents and
 * arrays are built from their members, everything else is a constant.  Field paths follow
 * mongod: a path through an array maps over the array's documents, skipping missing values.
 *
 * Invariants: evaluation is pure; every value it produces is owned by the caller.
 */
#include "expr_int.h"

#include <string.h>
#include <sys/time.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"

/* ---- values -------------------------------------------------------------------------------- */

void
wk_value_null(bson_value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_NULL;
}

void
wk_value_int32(bson_value_t *v, int32_t x)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_INT32;
    v->value.v_int32 = x;
}

void
wk_value_int64(bson_value_t *v, int64_t x)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_INT64;
    v->value.v_int64 = x;
}

void
wk_value_double(bson_value_t *v, double x)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_DOUBLE;
    v->value.v_double = x;
}

void
wk_value_bool(bson_value_t *v, bool x)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_BOOL;
    v->value.v_bool = x;
}

void
wk_value_utf8(bson_value_t *v, const char *s, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->value_type = BSON_TYPE_UTF8;
    v->value.v_utf8.str = bson_strndup(s, len);
    v->value.v_utf8.len = (uint32_t)len;
}

void
wk_value_from_bson(bson_value_t *v, bson_t *b, bson_type_t type)
{
    uint32_t len = 0;

    memset(v, 0, sizeof(*v));
    v->value_type = type;
    v->value.v_doc.data = bson_destroy_with_steal(b, true, &len);
    v->value.v_doc.data_len = len;
}

void
wk_value_clear(bson_value_t *v)
{
    if (v->value_type != BSON_TYPE_EOD)
        bson_value_destroy(v);
    memset(v, 0, sizeof(*v));
}

int
wk_value_cmp(const bson_value_t *a, const bson_value_t *b)
{
    bool am = a->value_type == BSON_TYPE_EOD || a->value_type == BSON_TYPE_UNDEFINED;
    bool bm = b->value_type == BSON_TYPE_EOD || b->value_type == BSON_TYPE_UNDEFINED;

    if (am || bm) {
        if (am && bm)
            return 0;
        if (am)
            return b->value_type == BSON_TYPE_MINKEY ? 1 : -1;
        return a->value_type == BSON_TYPE_MINKEY ? -1 : 1;
    }
    return sdb_bson_value_cmp(a, b);
}

const char *
wk_value_type_name(const bson_value_t *v)
{
    static const char *names[] = {"missing",   "double",     "string",    "object",
                                  "array",     "binData",    "undefined", "objectId",
                                  "bool",      "date",       "null",      "regex",
                                  "dbPointer", "javascript", "symbol",    "javascriptWithScope",
                                  "int",       "timestamp",  "long",      "decimal"};

    if (v->value_type == BSON_TYPE_MINKEY)
        return "minKey";
    if (v->value_type == BSON_TYPE_MAXKEY)
        return "maxKey";
    if ((unsigned)v->value_type < sizeof(names) / sizeof(names[0]))
        return names[v->value_type];
    return "unknown";
}

bool
wk_expr_truthy(const bson_value_t *v)
{
    switch (v->value_type) {
    case BSON_TYPE_EOD:
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
        return false;
    case BSON_TYPE_BOOL:
        return v->value.v_bool;
    case BSON_TYPE_INT32:
        return v->value.v_int32 != 0;
    case BSON_TYPE_INT64:
        return v->value.v_int64 != 0;
    case BSON_TYPE_DOUBLE:
        return v->value.v_double != 0.0;
    case BSON_TYPE_DECIMAL128:
        return (v->value.v_decimal128.low != 0 ||
                (v->value.v_decimal128.high & 0x0001FFFFFFFFFFFFull) != 0);
    default:
        return true;
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

static wk_expr_t *
expr_new(wk_ekind_t kind)
{
    wk_expr_t *e = bson_malloc0(sizeof(*e));

    e->kind = kind;
    return e;
}

static void
expr_add(wk_expr_t *e, wk_expr_t *kid, const char *key)
{
    e->kids = bson_realloc(e->kids, sizeof(*e->kids) * (e->n + 1));
    e->keys = bson_realloc(e->keys, sizeof(*e->keys) * (e->n + 1));
    e->kids[e->n] = kid;
    e->keys[e->n] = key != NULL ? bson_strdup(key) : NULL;
    e->n++;
}

void
wk_expr_free(wk_expr_t *e)
{
    size_t i;

    if (e == NULL)
        return;
    if (e->cst.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&e->cst);
    bson_free(e->var);
    sdb_path_destroy(&e->path);
    for (i = 0; i < e->n; i++) {
        wk_expr_free(e->kids[i]);
        bson_free(e->keys[i]);
    }
    bson_free(e->kids);
    bson_free(e->keys);
    bson_free(e);
}

/* parse_field_path -- "$a.b" or "$$var.a.b". */
static int
parse_field_path(const char *s, uint32_t len, wk_expr_t **out, sdb_error_t *err)
{
    wk_expr_t *e;
    const char *dot;
    size_t vlen;
    int ret = 0;

    if (len == 1)
        return sdb_error_set(err, SDB_CODE_Location16872, "'$' by itself is not a valid FieldPath");
    e = expr_new(WK_EX_FIELD);
    if (s[1] == '$') {
        dot = memchr(s + 2, '.', len - 2);
        vlen = dot != NULL ? (size_t)(dot - (s + 2)) : len - 2;
        e->var = bson_strndup(s + 2, vlen);
        if (dot != NULL)
            SDB_ERR(sdb_path_parse(dot + 1, len - 2 - vlen - 1, &e->path, err));
        if (vlen == 0)
            SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse, "empty variable name"));
    } else {
        e->var = bson_strdup("CURRENT");
        SDB_ERR(sdb_path_parse(s + 1, len - 1, &e->path, err));
    }
    if (sdb_path_has_empty(&e->path))
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location15998,
                              "FieldPath field names may not be empty strings."));
    *out = e;
    return 0;
err:
    wk_expr_free(e);
    return ret;
}

/* is_op_doc -- the document at `it` is itself an expression {$op: ...} (its first key starts
 * with '$'), not named arguments: {$year: {$toDate: "..."}}. */
static bool
is_op_doc(const bson_iter_t *it)
{
    bson_iter_t child;

    return bson_iter_recurse(it, &child) && bson_iter_next(&child) &&
           bson_iter_key(&child)[0] == '$';
}

/* is_sort_pattern -- $sortArray's sortBy document is a sort pattern as in $sort ({"a.b": 1}
 * is fine), not an object expression. */
static bool
is_sort_pattern(const char *op, const bson_iter_t *arg)
{
    return strcmp(op, "$sortArray") == 0 && strcmp(bson_iter_key(arg), "sortBy") == 0 &&
           BSON_ITER_HOLDS_DOCUMENT(arg);
}

/* parse_literal -- the value at `it` taken as is. */
static int
parse_literal(const bson_iter_t *it, wk_expr_t **out)
{
    *out = expr_new(WK_EX_CONST);
    bson_value_copy(bson_iter_value((bson_iter_t *)it), &(*out)->cst);
    return 0;
}

/* parse_op -- {$op: args}; opit is an element of a document at level `depth`. */
static int
parse_op(const bson_iter_t *opit, int depth, wk_expr_t **out, sdb_error_t *err)
{
    const char *name = bson_iter_key(opit);
    const wk_expr_op_t *op = wk_expr_find_op(name);
    bson_iter_t child;
    wk_expr_t *e, *kid = NULL;
    int ret = 0;

    if (strcmp(name, "$literal") == 0)
        return parse_literal(opit, out);
    if (op == NULL)
        return sdb_error_set(err, SDB_CODE_InvalidPipelineOperator, "Unrecognized expression '%s'",
                             name);
    e = expr_new(WK_EX_OP);
    e->op = op;
    if (BSON_ITER_HOLDS_ARRAY(opit)) {
        bson_iter_recurse(opit, &child);
        while (bson_iter_next(&child)) {
            SDB_ERR(wk_expr_parse_at(&child, depth + 1, &kid, err));
            expr_add(e, kid, NULL);
        }
    } else if (BSON_ITER_HOLDS_DOCUMENT(opit) && op->max_args == -2 && !is_op_doc(opit)) {
        /* named arguments: {if:, then:, else:} and the like */
        bson_iter_recurse(opit, &child);
        while (bson_iter_next(&child)) {
            if (is_sort_pattern(name, &child))
                SDB_ERR(parse_literal(&child, &kid));
            else
                SDB_ERR(wk_expr_parse_at(&child, depth + 1, &kid, err));
            expr_add(e, kid, bson_iter_key(&child));
        }
    } else {
        SDB_ERR(wk_expr_parse_at(opit, depth, &kid, err));
        expr_add(e, kid, NULL);
    }
    if (op->check != NULL)
        SDB_ERR(op->check(e, err));
    if (op->max_args != -2 &&
        ((int)e->n < op->min_args || (op->max_args >= 0 && (int)e->n > op->max_args))) {
        if (op->min_args == op->max_args)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location16020,
                                  "Expression %s takes exactly %d "
                                  "arguments. %d were passed in.",
                                  name, op->min_args, (int)e->n));
        SDB_ERR(sdb_error_set(err, SDB_CODE_Location16020,
                              "Expression %s takes at least %d "
                              "arguments, and at most %d. %d were passed in.",
                              name, op->min_args, op->max_args, (int)e->n));
    }
    *out = e;
    return 0;
err:
    wk_expr_free(e);
    return ret;
}

/* parse_object -- a document: an operator or an object of expressions; the document is at
 * level `depth`. */
static int
parse_object(const bson_iter_t *it, int depth, wk_expr_t **out, sdb_error_t *err)
{
    bson_iter_t child, first;
    wk_expr_t *e, *kid = NULL;
    int ret = 0;

    bson_iter_recurse(it, &child);
    if (bson_iter_next(&child) && bson_iter_key(&child)[0] == '$') {
        first = child;
        if (bson_iter_next(&child))
            return sdb_error_set(err, SDB_CODE_Location15983,
                                 "an expression specification must "
                                 "contain exactly one field, the name of the expression. Found "
                                 "%u fields",
                                 sdb_iter_count(it));
        return parse_op(&first, depth, out, err);
    }
    e = expr_new(WK_EX_OBJECT);
    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        const char *k = bson_iter_key(&child);
        if (k[0] == '$')
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location16410,
                                  "FieldPath field names may not "
                                  "start with '$'. Consider using $getField or $setField."));
        if (strchr(k, '.') != NULL)
            SDB_ERR(sdb_error_set(err, SDB_CODE_Location16412,
                                  "FieldPath field names may not "
                                  "contain '.'."));
        SDB_ERR(wk_expr_parse_at(&child, depth, &kid, err));
        expr_add(e, kid, k);
    }
    *out = e;
    return 0;
err:
    wk_expr_free(e);
    return ret;
}

int
wk_expr_parse(const bson_iter_t *it, wk_expr_t **out, sdb_error_t *err)
{
    return wk_expr_parse_at(it, 0, out, err);
}

int
wk_expr_parse_at(const bson_iter_t *it, int depth, wk_expr_t **out, sdb_error_t *err)
{
    bson_iter_t child;
    wk_expr_t *e, *kid = NULL;
    const char *s;
    uint32_t len;
    int ret = 0;

    *out = NULL;
    if (BSON_ITER_HOLDS_UTF8(it)) {
        s = bson_iter_utf8(it, &len);
        if (len > 0 && s[0] == '$')
            return parse_field_path(s, len, out, err);
    } else if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        SDB_DEPTH_CHECK(depth + 1, err, "expression");
        return parse_object(it, depth + 1, out, err);
    } else if (BSON_ITER_HOLDS_ARRAY(it)) {
        SDB_DEPTH_CHECK(depth + 1, err, "expression");
        e = expr_new(WK_EX_ARRAY);
        bson_iter_recurse(it, &child);
        while (bson_iter_next(&child)) {
            SDB_ERR(wk_expr_parse_at(&child, depth + 1, &kid, err));
            expr_add(e, kid, NULL);
        }
        *out = e;
        return 0;
    }
    e = expr_new(WK_EX_CONST);
    bson_value_copy(bson_iter_value((bson_iter_t *)it), &e->cst);
    *out = e;
    return 0;
err:
    wk_expr_free(e);
    return ret;
}

int
wk_expr_check_var_name(const char *name, sdb_error_t *err)
{
    const unsigned char *p = (const unsigned char *)name;

    if (*p == '\0')
        return sdb_error_set(err, SDB_CODE_Location16869, "empty variable names are not allowed");
    if (!((*p >= 'a' && *p <= 'z') || *p >= 0x80))
        return sdb_error_set(err, SDB_CODE_Location16870,
                             "'%s' starts with an invalid character for a user variable name",
                             name);
    for (p++; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p >= 0x80))
            return sdb_error_set(err, SDB_CODE_Location16871,
                                 "'%s' contains an invalid character for a variable name: '%c'",
                                 name, *p);
    return 0;
}

const wk_expr_t *
wk_expr_kid(const wk_expr_t *e, const char *name)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        if (e->keys[i] != NULL && strcmp(e->keys[i], name) == 0)
            return e->kids[i];
    return NULL;
}

/* ---- evaluation --------------------------------------------------------------------------- */

/* path_get -- the value at path[from..] below `it`, mapping over arrays; missing = EOD.
 * Arrays nested in arrays map without consuming a component, so `depth` (levels below the
 * variable) bounds them: 15 Overflow past SDB_BSON_DEPTH_EVAL. */
static int
path_get(const bson_iter_t *it, const sdb_path_t *p, int from, int depth, bson_value_t *out,
         sdb_error_t *err)
{
    bson_iter_t child;
    bson_value_t v;
    bson_t arr;
    char key[16];
    const char *kp;
    uint32_t k = 0;
    int ret = 0;

    memset(out, 0, sizeof(*out));
    SDB_DEPTH_CHECK(depth, err, "document");
    if (from >= p->n) {
        bson_value_copy(bson_iter_value((bson_iter_t *)it), out);
        return 0;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(it)) {
        if (bson_iter_recurse(it, &child) && bson_iter_find(&child, p->parts[from]))
            return path_get(&child, p, from + 1, depth + 1, out, err);
        return 0;
    }
    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child))
        return 0;
    bson_init(&arr);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&child) && !BSON_ITER_HOLDS_ARRAY(&child))
            continue;
        SDB_ERR(path_get(&child, p, from, depth + 1, &v, err));
        if (v.value_type == BSON_TYPE_EOD)
            continue;
        bson_uint32_to_string(k++, &kp, key, sizeof(key));
        bson_append_value(&arr, kp, -1, &v);
        bson_value_destroy(&v);
    }
    wk_value_from_bson(out, &arr, BSON_TYPE_ARRAY);
    return 0;
err:
    bson_destroy(&arr);
    return ret;
}

/* builtin_var -- $$NOW, $$CLUSTER_TIME and $$REMOVE into *tmp; false for other names. */
static bool
builtin_var(const char *name, bson_value_t *tmp)
{
    struct timeval tv;

    memset(tmp, 0, sizeof(*tmp));
    if (strcmp(name, "REMOVE") == 0)
        return true;
    if (strcmp(name, "DESCEND") == 0 || strcmp(name, "PRUNE") == 0 || strcmp(name, "KEEP") == 0) {
        /* $redact's verdicts: the lower-case names, which the stage compares against */
        tmp->value_type = BSON_TYPE_UTF8;
        tmp->value.v_utf8.str = (char *)(name[0] == 'D'   ? "descend"
                                         : name[0] == 'P' ? "prune"
                                                          : "keep");
        tmp->value.v_utf8.len = (uint32_t)strlen(tmp->value.v_utf8.str);
        return true;
    }
    if (strcmp(name, "NOW") != 0 && strcmp(name, "CLUSTER_TIME") != 0)
        return false;
    bson_gettimeofday(&tv);
    if (name[0] == 'N') {
        tmp->value_type = BSON_TYPE_DATE_TIME;
        tmp->value.v_datetime = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    } else {
        tmp->value_type = BSON_TYPE_TIMESTAMP;
        tmp->value.v_timestamp.timestamp = (uint32_t)tv.tv_sec;
        tmp->value.v_timestamp.increment = 1;
    }
    return true;
}

/* find_var -- the value of variable `name`: bound names first, then the command's `let`
 * variables, then $$ROOT/$$CURRENT (a view of the root in *tmp) and the builtins. */
static int
find_var(const char *name, wk_eval_ctx_t *ctx, bson_value_t *tmp, const bson_value_t **base,
         sdb_error_t *err)
{
    const wk_var_frame_t *f;
    bson_iter_t it;

    for (f = ctx->frames; f != NULL; f = f->up)
        if (strcmp(f->name, name) == 0) {
            *base = f->val;
            return 0;
        }
    if (ctx->vars != NULL && bson_iter_init_find(&it, ctx->vars, name)) {
        /* the iterator's value lives in this frame: copy the (shallow) view out */
        *tmp = *bson_iter_value(&it);
        *base = tmp;
        return 0;
    }
    memset(tmp, 0, sizeof(*tmp));
    *base = tmp;
    if (strcmp(name, "ROOT") == 0 || strcmp(name, "CURRENT") == 0) {
        tmp->value_type = BSON_TYPE_DOCUMENT;
        tmp->value.v_doc.data = (uint8_t *)bson_get_data(ctx->root);
        tmp->value.v_doc.data_len = ctx->root->len;
        return 0;
    }
    if (builtin_var(name, tmp))
        return 0;
    return sdb_error_set(err, SDB_CODE_Location17276, "Use of undefined variable: %s", name);
}

/* eval_field -- a field path on a variable. */
static int
eval_field(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    const bson_value_t *base = NULL;
    bson_value_t tmp;
    bson_t wrap;
    bson_iter_t it;
    int ret = 0;

    memset(out, 0, sizeof(*out));
    SDB_RET(find_var(e->var, ctx, &tmp, &base, err));
    if (base->value_type == BSON_TYPE_EOD)
        return 0;
    if (e->path.n == 0) {
        bson_value_copy(base, out);
        return 0;
    }
    /* wrap the base value as {"": value} so path_get can start from an iterator */
    bson_init(&wrap);
    bson_append_value(&wrap, "", 0, base);
    if (bson_iter_init(&it, &wrap) && bson_iter_next(&it))
        ret = path_get(&it, &e->path, 0, 0, out, err);
    bson_destroy(&wrap);
    return ret;
}

/* eval_composite -- an object or array of expressions. */
static int
eval_composite(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    bson_t b;
    bson_value_t v;
    char key[16];
    const char *kp;
    size_t i;
    int ret = 0;

    bson_init(&b);
    for (i = 0; i < e->n; i++) {
        SDB_ERR(wk_expr_eval_ctx(e->kids[i], ctx, &v, err));
        if (e->kind == WK_EX_OBJECT) {
            if (v.value_type != BSON_TYPE_EOD)
                bson_append_value(&b, e->keys[i], -1, &v);
        } else {
            bson_uint32_to_string((uint32_t)i, &kp, key, sizeof(key));
            if (v.value_type == BSON_TYPE_EOD)
                bson_append_null(&b, kp, -1);
            else
                bson_append_value(&b, kp, -1, &v);
        }
        wk_value_clear(&v);
    }
    wk_value_from_bson(out, &b, e->kind == WK_EX_OBJECT ? BSON_TYPE_DOCUMENT : BSON_TYPE_ARRAY);
    return 0;
err:
    bson_destroy(&b);
    return ret;
}

int
wk_expr_eval_ctx(const wk_expr_t *e, wk_eval_ctx_t *ctx, bson_value_t *out, sdb_error_t *err)
{
    memset(out, 0, sizeof(*out));
    switch (e->kind) {
    case WK_EX_CONST:
        bson_value_copy(&e->cst, out);
        return 0;
    case WK_EX_FIELD:
        return eval_field(e, ctx, out, err);
    case WK_EX_OBJECT:
    case WK_EX_ARRAY:
        return eval_composite(e, ctx, out, err);
    case WK_EX_OP:
        return e->op->fn(e, ctx, out, err);
    }
    return 0;
}

int
wk_expr_eval(const wk_expr_t *e, const bson_t *root, bson_value_t *out, sdb_error_t *err)
{
    return wk_expr_eval_vars(e, root, NULL, out, err);
}

int
wk_expr_eval_vars(const wk_expr_t *e, const bson_t *root, const bson_t *vars, bson_value_t *out,
                  sdb_error_t *err)
{
    return wk_expr_eval_op(e, root, vars, NULL, out, err);
}

int
wk_expr_eval_op(const wk_expr_t *e, const bson_t *root, const bson_t *vars, const struct wk_op *op,
                bson_value_t *out, sdb_error_t *err)
{
    wk_eval_ctx_t ctx = {root, NULL, vars, op};
    int ret;

    if ((ret = wk_expr_eval_ctx(e, &ctx, out, err)) != 0)
        wk_value_clear(out);
    return ret;
}
