/*
 * src/worker/update/update_apply.c -- applying field update operators to a document tree.
 *
 * Each action's path is resolved against the tree component by component: "$" becomes the
 * array position the query matched, "$[]" fans out to every element and "$[id]" to the
 * elements its arrayFilter accepts; operators that create ($set, $inc, $push, ...) build
 * missing documents on the way (padding arrays with nulls), others stop quietly at a
 * missing field.  Going through a scalar, or naming a field inside an array, is mongod's
 * PathNotViable.  The leaf operators for scalars live here; array operators in
 * update_arrays.c.  Also here: mongod-style value formatting for error messages, and the
 * upsert seed built from a query's equalities.
 *
 * Invariants: the tree is modified in place; on error the caller discards it.
 */
#include "update_int.h"

#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"
#include "../query/expr_int.h"
#include "../query/num.h"

/* ---- formatting values the way mongod's messages do: {_id: 1, a: "x"} ------------------- */

static void fmt_value(const bson_value_t *v, int depth, bson_string_t *s);

/* fmt_children -- the members of a document or array at level `depth`; a message has no
 * error path, so levels past SDB_BSON_DEPTH_EVAL print as "..." instead of recursing. */
static void
fmt_children(const bson_value_t *v, bool array, int depth, bson_string_t *s)
{
    bson_t b;
    bson_iter_t it;
    bool first = true;

    if (depth > SDB_BSON_DEPTH_EVAL) {
        bson_string_append(s, array ? "[ ... ]" : "{ ... }");
        return;
    }
    bson_string_append(s, array ? "[ " : "{");
    if (bson_init_static(&b, v->value.v_doc.data, v->value.v_doc.data_len) &&
        bson_iter_init(&it, &b))
        while (bson_iter_next(&it)) {
            bson_string_append(s, first ? "" : ", ");
            first = false;
            if (!array)
                bson_string_append_printf(s, "%s: ", bson_iter_key(&it));
            fmt_value(bson_iter_value(&it), depth + 1, s);
        }
    bson_string_append(s, array ? (first ? "]" : " ]") : "}");
}

static void
fmt_value(const bson_value_t *v, int depth, bson_string_t *s)
{
    char oid[25];

    switch (v->value_type) {
    case BSON_TYPE_INT32:
        bson_string_append_printf(s, "%d", v->value.v_int32);
        break;
    case BSON_TYPE_INT64:
        bson_string_append_printf(s, "%" PRId64, v->value.v_int64);
        break;
    case BSON_TYPE_DOUBLE:
        if (v->value.v_double == floor(v->value.v_double) && fabs(v->value.v_double) < 1e15)
            bson_string_append_printf(s, "%.1f", v->value.v_double);
        else
            bson_string_append_printf(s, "%.17g", v->value.v_double);
        break;
    case BSON_TYPE_UTF8:
        bson_string_append_printf(s, "\"%s\"", v->value.v_utf8.str);
        break;
    case BSON_TYPE_BOOL:
        bson_string_append(s, v->value.v_bool ? "true" : "false");
        break;
    case BSON_TYPE_NULL:
        bson_string_append(s, "null");
        break;
    case BSON_TYPE_OID:
        bson_oid_to_string(&v->value.v_oid, oid);
        bson_string_append_printf(s, "ObjectId('%s')", oid);
        break;
    case BSON_TYPE_DOCUMENT:
        fmt_children(v, false, depth, s);
        break;
    case BSON_TYPE_ARRAY:
        fmt_children(v, true, depth, s);
        break;
    default:
        bson_string_append(s, wk_value_type_name(v));
        break;
    }
}

void
wk_upd_fmt_elem(const char *key, const bson_value_t *v, bson_string_t *s)
{
    bson_string_append_printf(s, "{%s: ", key);
    fmt_value(v, 1, s);
    bson_string_append(s, "}");
}

char *
wk_upd_fmt_id(const bson_t *doc)
{
    bson_string_t *s = bson_string_new(NULL);
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, "_id"))
        wk_upd_fmt_elem("_id", bson_iter_value(&it), s);
    else
        bson_string_append(s, "{}");
    return bson_string_free(s, false);
}

/* fmt_node -- "{key: value}" of a tree node. */
static char *
fmt_node(const wk_unode_t *n, const char *key)
{
    bson_string_t *s = bson_string_new(NULL);
    bson_value_t v;

    wk_unode_to_value(n, &v);
    wk_upd_fmt_elem(key, &v, s);
    bson_value_destroy(&v);
    return bson_string_free(s, false);
}

/* ---- slots ------------------------------------------------------------------------------- */

void
wk_upd_set_slot(wk_unode_t *container, wk_unode_t *cur, size_t pos, const char *key, wk_unode_t *nn)
{
    bson_value_t null = {.value_type = BSON_TYPE_NULL};

    if (cur != NULL) {
        wk_unode_replace(container, pos, nn);
        return;
    }
    if (container->type == BSON_TYPE_ARRAY) {
        wk_unode_set_key(nn, NULL);
        while (container->n < pos)
            wk_unode_insert(container, container->n, wk_unode_from_value(NULL, &null));
        wk_unode_insert(container, container->n, nn);
        return;
    }
    wk_unode_set_key(nn, key);
    wk_unode_insert(container, container->n, nn);
}

static bool
creates(wk_upop_t op)
{
    return op != WK_UP_UNSET && op != WK_UP_POP && op != WK_UP_PULL && op != WK_UP_PULL_ALL;
}

static bool
node_is_number(const wk_unode_t *n)
{
    return wk_num_is(&(bson_value_t){.value_type = n->type});
}

/* arith -- $inc / $mul on two numbers with mongod's widening; an int64 overflow is BadValue. */
static int
arith(const wk_uctx_t *c, const wk_uaction_t *a, const bson_value_t *x, bson_value_t *r)
{
    char *id;

    if (wk_num_arith(a->op == WK_UP_INC ? WK_NUM_ADD : WK_NUM_MUL, x, &a->arg, r))
        return 0;
    memset(r, 0, sizeof(*r));
    id = wk_upd_fmt_id(c->orig);
    sdb_error_set(c->err, SDB_CODE_BadValue,
                  "Failed to apply %s operations to current value "
                  "((NumberLong)%" PRId64 ") for document %s",
                  a->opname, wk_num_int64(x), id);
    bson_free(id);
    return SDB_ECLIENT;
}

static int
leaf_arith(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *cont, wk_unode_t *cur, size_t pos,
           const char *key)
{
    bson_value_t r;
    char *id;

    if (cur != NULL && !node_is_number(cur)) {
        id = wk_upd_fmt_id(c->orig);
        sdb_error_set(c->err, SDB_CODE_TypeMismatch,
                      "Cannot apply %s to a value of non-numeric "
                      "type. %s has the field '%s' of non-numeric type %s",
                      a->opname, id, key,
                      wk_value_type_name(&(bson_value_t){.value_type = cur->type}));
        bson_free(id);
        return SDB_ECLIENT;
    }
    if (cur == NULL && a->op == WK_UP_INC) {
        bson_value_copy(&a->arg, &r);
    } else if (cur == NULL) {
        memset(&r, 0, sizeof(r));
        if (a->arg.value_type == BSON_TYPE_INT32)
            wk_value_int32(&r, 0);
        else if (a->arg.value_type == BSON_TYPE_INT64)
            wk_value_int64(&r, 0);
        else
            wk_value_double(&r, 0);
    } else {
        SDB_RET(arith(c, a, &cur->v, &r));
    }
    wk_upd_set_slot(cont, cur, pos, key, wk_unode_from_value(key, &r));
    bson_value_destroy(&r);
    return 0;
}

static int
leaf_bit(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *cont, wk_unode_t *cur, size_t pos,
         const char *key)
{
    bool is64 = cur != NULL && cur->type == BSON_TYPE_INT64;
    int64_t x = 0;
    bson_value_t r;
    size_t i;
    char *id;

    if (cur != NULL && cur->type != BSON_TYPE_INT32 && cur->type != BSON_TYPE_INT64) {
        id = wk_upd_fmt_id(c->orig);
        sdb_error_set(c->err, SDB_CODE_TypeMismatch,
                      "Cannot apply $bit to a value of "
                      "non-integral type.%s has the field %s of non-integer type %s",
                      id, key, wk_value_type_name(&(bson_value_t){.value_type = cur->type}));
        bson_free(id);
        return SDB_ECLIENT;
    }
    if (cur != NULL)
        x = wk_num_int64(&cur->v);
    for (i = 0; i < a->n_bits; i++) {
        is64 = is64 || a->bits[i].is64;
        x = a->bits[i].kind == 0   ? (x & a->bits[i].v)
            : a->bits[i].kind == 1 ? (x | a->bits[i].v)
                                   : (x ^ a->bits[i].v);
    }
    if (is64)
        wk_value_int64(&r, x);
    else
        wk_value_int32(&r, (int32_t)x);
    wk_upd_set_slot(cont, cur, pos, key, wk_unode_from_value(key, &r));
    return 0;
}

static void
leaf_current_date(const wk_uaction_t *a, wk_unode_t *cont, wk_unode_t *cur, size_t pos,
                  const char *key)
{
    struct timeval tv;
    bson_value_t r;

    gettimeofday(&tv, NULL);
    memset(&r, 0, sizeof(r));
    if (a->ts) {
        r.value_type = BSON_TYPE_TIMESTAMP;
        r.value.v_timestamp.timestamp = (uint32_t)tv.tv_sec;
        r.value.v_timestamp.increment = 1;
    } else {
        r.value_type = BSON_TYPE_DATE_TIME;
        r.value.v_datetime = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    }
    wk_upd_set_slot(cont, cur, pos, key, wk_unode_from_value(key, &r));
}

/* leaf -- apply the operator at a resolved slot (cur == NULL: the field is missing). */
static int
leaf(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *cont, wk_unode_t *cur, size_t pos,
     const char *key)
{
    bson_value_t cv, null = {.value_type = BSON_TYPE_NULL};
    int cmp;

    switch (a->op) {
    case WK_UP_SET:
    case WK_UP_SET_ON_INSERT:
        wk_upd_set_slot(cont, cur, pos, key, wk_unode_from_value(key, &a->arg));
        return 0;
    case WK_UP_UNSET:
        if (cur != NULL && cont->type == BSON_TYPE_ARRAY)
            wk_unode_replace(cont, pos, wk_unode_from_value(NULL, &null));
        else if (cur != NULL)
            wk_unode_remove(cont, pos);
        return 0;
    case WK_UP_INC:
    case WK_UP_MUL:
        return leaf_arith(c, a, cont, cur, pos, key);
    case WK_UP_MIN:
    case WK_UP_MAX:
        if (cur != NULL) {
            wk_unode_to_value(cur, &cv);
            cmp = sdb_bson_value_cmp(&a->arg, &cv);
            bson_value_destroy(&cv);
            if ((a->op == WK_UP_MIN && cmp >= 0) || (a->op == WK_UP_MAX && cmp <= 0))
                return 0;
        }
        wk_upd_set_slot(cont, cur, pos, key, wk_unode_from_value(key, &a->arg));
        return 0;
    case WK_UP_CURRENT_DATE:
        leaf_current_date(a, cont, cur, pos, key);
        return 0;
    case WK_UP_BIT:
        return leaf_bit(c, a, cont, cur, pos, key);
    default:
        return wk_upd_leaf_array(c, a, cont, cur, pos, key);
    }
}

/* filter_passes -- does array element `el` pass arrayFilter `id` (len bytes)? */
static bool
filter_passes(const wk_uctx_t *c, const char *id, size_t len, const wk_unode_t *el)
{
    bson_value_t v;
    bson_t doc;
    size_t i;
    bool r = false;

    for (i = 0; i < c->u->n_filters; i++)
        if (strlen(c->u->filters[i].id) == len && strncmp(c->u->filters[i].id, id, len) == 0)
            break;
    if (i == c->u->n_filters)
        return false;
    wk_unode_to_value(el, &v);
    bson_init(&doc);
    bson_append_value(&doc, c->u->filters[i].id, -1, &v);
    r = wk_matcher_matches(c->u->filters[i].m, &doc, NULL);
    bson_destroy(&doc);
    bson_value_destroy(&v);
    return r;
}

static int walk(const wk_uctx_t *c, const wk_uaction_t *a, const sdb_path_t *p, wk_unode_t *cont,
                int i);

static int
path_not_viable(const wk_uctx_t *c, const char *field, const wk_unode_t *n, const char *key)
{
    char *e = fmt_node(n, key);

    sdb_error_set(c->err, SDB_CODE_PathNotViable, "Cannot create field '%s' in element %s", field,
                  e);
    bson_free(e);
    return SDB_ECLIENT;
}

/* walk_all -- "$[]" / "$[id]": every (accepted) element of an array. */
static int
walk_all(const wk_uctx_t *c, const wk_uaction_t *a, const sdb_path_t *p, wk_unode_t *cont, int i,
         const char *ckey)
{
    const char *comp = p->parts[i];
    size_t k, len = strlen(comp);
    char *e;

    if (cont->type != BSON_TYPE_ARRAY) {
        e = fmt_node(cont, ckey != NULL ? ckey : "");
        sdb_error_set(c->err, SDB_CODE_BadValue,
                      "Cannot apply array updates to non-array "
                      "element %s",
                      e);
        bson_free(e);
        return SDB_ECLIENT;
    }
    for (k = 0; k < cont->n; k++) {
        if (len > 3 && !filter_passes(c, comp + 2, len - 3, cont->kids[k]))
            continue;
        if (i + 1 == p->n)
            SDB_RET(leaf(c, a, cont, cont->kids[k], k, comp));
        else if (wk_unode_is_container(cont->kids[k]))
            SDB_RET(walk(c, a, p, cont->kids[k], i + 1));
        else if (creates(a->op))
            return path_not_viable(c, p->parts[i + 1], cont->kids[k], comp);
    }
    return 0;
}

static int
walk(const wk_uctx_t *c, const wk_uaction_t *a, const sdb_path_t *p, wk_unode_t *cont, int i)
{
    const char *comp = p->parts[i];
    wk_unode_t *cur = NULL, *nn;
    char idx[16];
    int32_t ai;
    size_t pos = 0;

    if (strcmp(comp, "$") == 0) {
        if (c->details == NULL || !c->details->has_elem_index)
            return sdb_error_set(c->err, SDB_CODE_BadValue,
                                 "The positional operator did not "
                                 "find the match needed from the query.");
        bson_snprintf(idx, sizeof(idx), "%d", c->details->elem_index);
        comp = idx;
    } else if (comp[0] == '$' && comp[1] == '[') {
        return walk_all(c, a, p, cont, i, cont->key);
    }
    if (cont->type == BSON_TYPE_ARRAY) {
        ai = sdb_path_index(comp);
        if (ai < 0)
            return creates(a->op)
                       ? path_not_viable(c, comp, cont, cont->key != NULL ? cont->key : "")
                       : 0;
        pos = (size_t)ai;
        cur = pos < cont->n ? cont->kids[pos] : NULL;
    } else {
        cur = wk_unode_find(cont, comp, &pos);
    }
    if (i + 1 == p->n)
        return leaf(c, a, cont, cur,
                    cur != NULL ? pos : (size_t)(cont->type == BSON_TYPE_ARRAY ? pos : cont->n),
                    comp);
    if (cur == NULL) {
        if (!creates(a->op))
            return 0;
        nn = wk_unode_new_doc(comp);
        wk_upd_set_slot(cont, NULL, pos, comp, nn);
        cur = nn;
    }
    if (!wk_unode_is_container(cur))
        return creates(a->op) ? path_not_viable(c, p->parts[i + 1], cur, comp) : 0;
    return walk(c, a, p, cur, i + 1);
}

/* apply_rename -- move the value at a->path to a->to. */
static int
apply_rename(const wk_uctx_t *c, const wk_uaction_t *a, wk_unode_t *root)
{
    wk_unode_t *cont = root, *cur = NULL;
    wk_uaction_t set;
    size_t pos = 0;
    int i, ret;

    for (i = 0; i < a->path.n; i++) {
        if (cont->type == BSON_TYPE_ARRAY)
            return sdb_error_set(c->err, SDB_CODE_BadValue,
                                 "The source field cannot be an array "
                                 "element, '%s' in doc with %s has an array field called '%s'",
                                 a->path.dotted, cont->key, cont->key);
        cur = wk_unode_find(cont, a->path.parts[i], &pos);
        if (cur == NULL)
            return 0;
        if (i + 1 < a->path.n && !wk_unode_is_container(cur))
            return 0;
        if (i + 1 < a->path.n)
            cont = cur;
    }
    for (i = 0, cur = root; i + 1 < a->to.n && cur != NULL; i++) {
        cur = wk_unode_find(cur, a->to.parts[i], NULL);
        if (cur != NULL && cur->type == BSON_TYPE_ARRAY)
            return sdb_error_set(c->err, SDB_CODE_BadValue,
                                 "The destination field cannot be an "
                                 "array element, '%s' in doc with %s has an array field called "
                                 "'%s'",
                                 a->to.dotted, a->to.parts[i], a->to.parts[i]);
    }
    memset(&set, 0, sizeof(set));
    set.op = WK_UP_SET;
    set.opname = "$rename";
    wk_unode_to_value(cont->kids[pos], &set.arg);
    wk_unode_remove(cont, pos);
    ret = walk(c, &set, &a->to, root, 0);
    bson_value_destroy(&set.arg);
    return ret;
}

int
wk_upd_apply_ops(const wk_uctx_t *c, wk_unode_t *root)
{
    const wk_uaction_t *a;
    size_t i;

    for (i = 0; i < c->u->n_acts; i++) {
        a = &c->u->acts[i];
        if (a->op == WK_UP_SET_ON_INSERT && !c->upsert_insert)
            continue;
        if (a->op == WK_UP_RENAME)
            SDB_RET(apply_rename(c, a, root));
        else
            SDB_RET(walk(c, a, &a->path, root, 0));
    }
    return 0;
}

/* ---- upsert seed -------------------------------------------------------------------------- */

/* seed_set -- put v at path p in the seed tree; a path matched twice is an error. */
static int
seed_set(wk_unode_t *root, const sdb_path_t *p, const bson_value_t *v, sdb_error_t *err)
{
    wk_unode_t *cont = root, *cur;
    int i;

    for (i = 0; i < p->n; i++) {
        if (strchr(p->parts[i], '$') != NULL)
            return 0;
        cur = wk_unode_find(cont, p->parts[i], NULL);
        if (cur != NULL && (i + 1 == p->n || cur->type != BSON_TYPE_DOCUMENT))
            return sdb_error_set(err, SDB_CODE_NotSingleValueField,
                                 "cannot infer query fields "
                                 "to set, path '%s' is matched twice",
                                 p->dotted);
        if (i + 1 == p->n) {
            wk_unode_insert(cont, cont->n, wk_unode_from_value(p->parts[i], v));
            return 0;
        }
        if (cur == NULL) {
            cur = wk_unode_new_doc(p->parts[i]);
            wk_unode_insert(cont, cont->n, cur);
        }
        cont = cur;
    }
    return 0;
}

static int
seed_collect(const wk_mnode_t *n, wk_unode_t *root, sdb_error_t *err)
{
    size_t i;

    if (n->kind == WK_MN_AND) {
        for (i = 0; i < n->n_kids; i++)
            SDB_RET(seed_collect(n->kids[i], root, err));
        return 0;
    }
    if (n->path.n == 0)
        return 0;
    if (n->kind == WK_MN_EQ)
        return seed_set(root, &n->path, &n->val, err);
    if (n->kind == WK_MN_IN && n->n_in == 1 && n->n_in_res == 0)
        return seed_set(root, &n->path, &n->in_vals[0], err);
    return 0;
}

int
wk_update_upsert_seed(const bson_t *filter, bson_t *out, sdb_error_t *err)
{
    wk_matcher_t *m = NULL;
    wk_unode_t *root;
    size_t pos;
    int ret = 0;

    bson_init(out);
    SDB_RET(wk_matcher_new(filter, &m, err));
    root = wk_unode_new_doc(NULL);
    SDB_ERR(seed_collect(m->root, root, err));
    if (wk_unode_find(root, "_id", &pos) != NULL && pos > 0) {
        wk_unode_t *id = root->kids[pos];
        memmove(root->kids + 1, root->kids, sizeof(*root->kids) * pos);
        root->kids[0] = id;
    }
    wk_unode_to_bson(root, out);
err:
    wk_unode_free(root);
    wk_matcher_free(m);
    return ret;
}
