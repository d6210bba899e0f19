/*
 * src/worker/update/update.c -- update specifications: parsing, validation, the public API.
 *
 * wk_update_new classifies the `u` value: an array is a pipeline (update_pipeline.c); a
 * document whose first field starts with '$' is an operator update, parsed here into
 * actions and checked the way mongod checks them (unknown modifiers, operand types, paths
 * that conflict, arrayFilters identifiers that are missing or unused); any other document
 * is a replacement.  wk_update_apply loads the document into a tree, applies the actions
 * (update_apply.c), then enforces _id immutability.  wk_update_upsert_seed builds the
 * document an upsert starts from out of the query's equality predicates.
 *
 * Invariants: an update is immutable after parsing; on error everything built is freed.
 */
#include "update_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"
#include "../query/expr_int.h"

static const struct {
    const char *name;
    wk_upop_t op;
} upops[] = {
    {"$set", WK_UP_SET},
    {"$setOnInsert", WK_UP_SET_ON_INSERT},
    {"$unset", WK_UP_UNSET},
    {"$inc", WK_UP_INC},
    {"$mul", WK_UP_MUL},
    {"$min", WK_UP_MIN},
    {"$max", WK_UP_MAX},
    {"$rename", WK_UP_RENAME},
    {"$currentDate", WK_UP_CURRENT_DATE},
    {"$push", WK_UP_PUSH},
    {"$addToSet", WK_UP_ADD_TO_SET},
    {"$pop", WK_UP_POP},
    {"$pull", WK_UP_PULL},
    {"$pullAll", WK_UP_PULL_ALL},
    {"$bit", WK_UP_BIT},
};

static void
action_clear(wk_uaction_t *a)
{
    size_t i;

    sdb_path_destroy(&a->path);
    sdb_path_destroy(&a->to);
    if (a->arg.value_type != BSON_TYPE_EOD)
        bson_value_destroy(&a->arg);
    for (i = 0; i < a->n_each; i++)
        bson_value_destroy(&a->each[i]);
    bson_free(a->each);
    wk_sort_free(a->sort);
    wk_mnode_free(a->pull);
    bson_free(a->bits);
}

void
wk_update_free(wk_update_t *u)
{
    size_t i;

    if (u == NULL)
        return;
    for (i = 0; i < u->n_acts; i++)
        action_clear(&u->acts[i]);
    bson_free(u->acts);
    for (i = 0; i < u->n_filters; i++) {
        bson_free(u->filters[i].id);
        wk_matcher_free(u->filters[i].m);
    }
    bson_free(u->filters);
    wk_upd_free_pipeline(u);
    if (u->replacement != NULL)
        bson_destroy(u->replacement);
    if (u->vars != NULL)
        bson_destroy(u->vars);
    bson_free(u);
}

bool
wk_update_is_replacement(const wk_update_t *u)
{
    return u->kind == WK_UK_REPLACE;
}

/* path_cmp -- component-wise order of two paths (mongod applies updates in this order). */
static int
path_cmp(const sdb_path_t *a, const sdb_path_t *b)
{
    int i, c;

    for (i = 0; i < a->n && i < b->n; i++)
        if ((c = strcmp(a->parts[i], b->parts[i])) != 0)
            return c;
    return a->n - b->n;
}

static int
action_cmp(const void *x, const void *y)
{
    const wk_uaction_t *a = x, *b = y;

    return path_cmp(&a->path, &b->path);
}

/* check_conflict -- `p` against every path already taken (and $rename targets). */
static int
check_conflict(const wk_update_t *u, const sdb_path_t *p, sdb_error_t *err)
{
    const sdb_path_t *q;
    size_t i;
    int k, shorter;

    for (i = 0; i < u->n_acts * 2; i++) {
        q = i % 2 == 0 ? &u->acts[i / 2].path : &u->acts[i / 2].to;
        if (q->n == 0)
            continue;
        shorter = p->n < q->n ? p->n : q->n;
        for (k = 0; k < shorter; k++)
            if (strcmp(p->parts[k], q->parts[k]) != 0)
                break;
        if (k < shorter)
            continue;
        return sdb_error_set(err, SDB_CODE_ConflictingUpdateOperators,
                             "Updating the path '%s' "
                             "would create a conflict at '%s'",
                             p->dotted, p->n <= q->n ? p->dotted : q->dotted);
    }
    return 0;
}

/* check_positional -- at most one positional $, and not first (mongod's wording). */
static int
check_positional(const sdb_path_t *p, sdb_error_t *err)
{
    int k, count = 0;

    for (k = 0; k < p->n; k++)
        count += strcmp(p->parts[k], "$") == 0;
    if (count > 1)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Too many positional (i.e. '$') elements found in path '%s'",
                             p->dotted);
    if (count == 1 && strcmp(p->parts[0], "$") == 0)
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "Cannot have positional (i.e. '$') element in the first position in "
                             "path '%s'",
                             p->dotted);
    return 0;
}

/* check_path -- validate an update path: no empty components, known identifiers, one
 * positional $ at most. */
static int
check_path(const wk_update_t *u, const sdb_path_t *p, sdb_error_t *err)
{
    size_t i, len;
    int k;

    for (k = 0; k < p->n; k++) {
        if (p->parts[k][0] == '\0')
            return sdb_error_set(err, SDB_CODE_EmptyFieldName,
                                 "An update path '%s' contains an "
                                 "empty field name, which is not allowed.",
                                 p->dotted);
        len = strlen(p->parts[k]);
        if (len > 3 && p->parts[k][0] == '$' && p->parts[k][1] == '[' &&
            p->parts[k][len - 1] == ']') {
            for (i = 0; i < u->n_filters; i++)
                if (strlen(u->filters[i].id) == len - 3 &&
                    strncmp(u->filters[i].id, p->parts[k] + 2, len - 3) == 0)
                    break;
            if (i == u->n_filters)
                return sdb_error_set(err, SDB_CODE_BadValue,
                                     "No array filter found for "
                                     "identifier '%.*s' in path '%s'",
                                     (int)(len - 3), p->parts[k] + 2, p->dotted);
        }
    }
    return check_positional(p, err);
}

/* parse_operand -- operator-specific validation of one field's operand. */
static int
parse_operand(wk_uaction_t *a, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t sub;
    const char *t;
    char *elem;
    bson_string_t *s;

    switch (a->op) {
    case WK_UP_INC:
    case WK_UP_MUL:
        if (!BSON_ITER_HOLDS_NUMBER(arg)) {
            s = bson_string_new(NULL);
            wk_upd_fmt_elem(a->path.dotted, bson_iter_value((bson_iter_t *)arg), s);
            elem = bson_string_free(s, false);
            sdb_error_set(err, SDB_CODE_TypeMismatch, "Cannot %s with non-numeric argument: %s",
                          a->op == WK_UP_INC ? "increment" : "multiply", elem);
            bson_free(elem);
            return SDB_ECLIENT;
        }
        return 0;
    case WK_UP_RENAME:
        if (!BSON_ITER_HOLDS_UTF8(arg))
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The 'to' field for $rename must be a "
                                 "string: %s: %s",
                                 a->path.dotted,
                                 wk_value_type_name(bson_iter_value((bson_iter_t *)arg)));
        t = bson_iter_utf8(arg, NULL);
        SDB_RET(sdb_path_parse(t, strlen(t), &a->to, err));
        if (strcmp(t, a->path.dotted) == 0)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The source and target field for "
                                 "$rename must differ: %s: \"%s\"",
                                 a->path.dotted, t);
        if (strchr(a->path.dotted, '$') != NULL)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The source field for $rename may not "
                                 "be dynamic: %s",
                                 a->path.dotted);
        if (strchr(t, '$') != NULL)
            return sdb_error_set(err, SDB_CODE_BadValue,
                                 "The destination field for $rename may "
                                 "not be dynamic: %s",
                                 t);
        return 0;
    case WK_UP_CURRENT_DATE:
        if (BSON_ITER_HOLDS_BOOL(arg))
            return 0;
        if (BSON_ITER_HOLDS_DOCUMENT(arg) && bson_iter_recurse(arg, &sub) &&
            bson_iter_find(&sub, "$type") && BSON_ITER_HOLDS_UTF8(&sub)) {
            t = bson_iter_utf8(&sub, NULL);
            if (strcmp(t, "date") == 0 || strcmp(t, "timestamp") == 0) {
                a->ts = t[0] == 't';
                return 0;
            }
        }
        return sdb_error_set(err, SDB_CODE_BadValue,
                             "The '$type' string field is required to "
                             "be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}");
    case WK_UP_PUSH:
    case WK_UP_ADD_TO_SET:
    case WK_UP_POP:
    case WK_UP_PULL:
    case WK_UP_PULL_ALL:
    case WK_UP_BIT:
        return wk_upd_parse_array_op(a, arg, err);
    default:
        return 0;
    }
}

/* parse_modifier -- one {$op: {path: operand, ...}}. */
static int
parse_modifier(wk_update_t *u, const bson_iter_t *mod, sdb_error_t *err)
{
    const char *name = bson_iter_key(mod);
    bson_iter_t f;
    wk_uaction_t *a;
    size_t i;

    for (i = 0; i < sizeof(upops) / sizeof(upops[0]); i++)
        if (strcmp(name, upops[i].name) == 0)
            break;
    if (i == sizeof(upops) / sizeof(upops[0]))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Unknown modifier: %s. Expected a "
                             "valid update modifier or pipeline-style update specified as an "
                             "array",
                             name);
    if (!BSON_ITER_HOLDS_DOCUMENT(mod))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "Modifiers operate on fields but we "
                             "found type %s instead. For example: {$mod: {<field>: ...}} not "
                             "{%s: %s}",
                             wk_value_type_name(bson_iter_value((bson_iter_t *)mod)), name, "...");
    bson_iter_recurse(mod, &f);
    while (bson_iter_next(&f)) {
        sdb_path_t p;
        if (sdb_path_parse(bson_iter_key(&f), bson_iter_key_len(&f), &p, err) != 0 ||
            check_path(u, &p, err) != 0 || check_conflict(u, &p, err) != 0) {
            sdb_path_destroy(&p);
            return SDB_ECLIENT;
        }
        u->acts = bson_realloc(u->acts, sizeof(*u->acts) * (u->n_acts + 1));
        a = &u->acts[u->n_acts++];
        memset(a, 0, sizeof(*a));
        a->op = upops[i].op;
        a->opname = upops[i].name;
        a->path = p;
        bson_value_copy(bson_iter_value(&f), &a->arg);
        SDB_RET(parse_operand(a, &f, err));
        if (a->op == WK_UP_RENAME) {
            /* check the destination against every path but itself */
            sdb_path_t to = a->to;
            int rc;
            memset(&a->to, 0, sizeof(a->to));
            rc = check_path(u, &to, err) != 0 || check_conflict(u, &to, err) != 0;
            a->to = to;
            if (rc)
                return SDB_ECLIENT;
        }
    }
    return 0;
}

/* parse_array_filters -- [{id: cond}, {"id.f": cond}, ...]. */
static int
parse_array_filters(wk_update_t *u, const bson_t *af, sdb_error_t *err)
{
    wk_match_opts_t mo = {NULL, u->coll};
    bson_iter_t it, f;
    bson_t sub;
    const uint8_t *data;
    uint32_t len;
    char *id;
    const char *k, *dot;
    wk_afilter_t *fl;

    if (af == NULL || !bson_iter_init(&it, af))
        return 0;
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "arrayFilters entries must be "
                                 "objects");
        bson_iter_document(&it, &len, &data);
        bson_init_static(&sub, data, len);
        id = NULL;
        if (bson_iter_init(&f, &sub))
            while (bson_iter_next(&f)) {
                k = bson_iter_key(&f);
                if (k[0] == '$')
                    continue;
                dot = strchr(k, '.');
                if (id == NULL)
                    id = bson_strndup(k, dot != NULL ? (size_t)(dot - k) : strlen(k));
            }
        if (id == NULL)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "Cannot use an expression without "
                                 "a top-level field name in arrayFilters");
        u->filters = bson_realloc(u->filters, sizeof(*u->filters) * (u->n_filters + 1));
        fl = &u->filters[u->n_filters++];
        fl->id = id;
        fl->m = NULL;
        SDB_RET(wk_matcher_new_ex(&sub, &mo, &fl->m, err));
    }
    return 0;
}

/* check_filters_used -- every arrayFilters identifier must appear in some path. */
static int
check_filters_used(const wk_update_t *u, sdb_error_t *err)
{
    size_t i, j;
    int k;
    char want[300];

    for (i = 0; i < u->n_filters; i++) {
        bson_snprintf(want, sizeof(want), "$[%s]", u->filters[i].id);
        for (j = 0; j < u->n_acts; j++)
            for (k = 0; k < u->acts[j].path.n; k++)
                if (strcmp(u->acts[j].path.parts[k], want) == 0)
                    goto used;
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "The array filter for identifier '%s' "
                             "was not used in the update",
                             u->filters[i].id);
    used:;
    }
    return 0;
}

/* parse_replacement -- a plain document; no $-prefixed top-level fields. */
static int
parse_replacement(wk_update_t *u, const bson_t *doc, sdb_error_t *err)
{
    bson_iter_t it;

    if (bson_iter_init(&it, doc))
        while (bson_iter_next(&it))
            if (bson_iter_key(&it)[0] == '$')
                return sdb_error_set(err, SDB_CODE_DollarPrefixedFieldName,
                                     "The dollar ($) "
                                     "prefixed field '%s' in '%s' is not allowed in the context "
                                     "of an update's replacement document. Consider using an "
                                     "aggregation pipeline with $replaceWith.",
                                     bson_iter_key(&it), bson_iter_key(&it));
    u->kind = WK_UK_REPLACE;
    u->replacement = bson_copy(doc);
    return 0;
}

int
wk_update_new(const bson_iter_t *uit, const bson_t *array_filters, wk_update_t **out,
              sdb_error_t *err)
{
    return wk_update_new_ex(uit, array_filters, NULL, out, err);
}

int
wk_update_new_ex(const bson_iter_t *uit, const bson_t *array_filters, const wk_match_opts_t *opts,
                 wk_update_t **out, sdb_error_t *err)
{
    wk_update_t *u = bson_malloc0(sizeof(*u));
    bson_iter_t it;
    bson_t doc;
    const uint8_t *data;
    uint32_t len;
    int ret = 0;

    *out = NULL;
    if (opts != NULL && opts->vars != NULL && !bson_empty(opts->vars))
        u->vars = bson_copy(opts->vars);
    u->coll = opts != NULL ? opts->coll : NULL;
    u->op = opts != NULL ? opts->op : NULL;
    SDB_ERR(parse_array_filters(u, array_filters, err));
    if (BSON_ITER_HOLDS_ARRAY(uit)) {
        u->kind = WK_UK_PIPELINE;
        SDB_ERR(wk_upd_parse_pipeline(u, uit, err));
    } else if (BSON_ITER_HOLDS_DOCUMENT(uit)) {
        bson_iter_document(uit, &len, &data);
        bson_init_static(&doc, data, len);
        bson_iter_init(&it, &doc);
        if (!bson_iter_next(&it) || bson_iter_key(&it)[0] != '$') {
            SDB_ERR(parse_replacement(u, &doc, err));
        } else {
            u->kind = WK_UK_OPS;
            do
                SDB_ERR(parse_modifier(u, &it, err));
            while (bson_iter_next(&it));
            SDB_ERR(check_filters_used(u, err));
            if (u->n_acts > 1)
                qsort(u->acts, u->n_acts, sizeof(*u->acts), action_cmp);
        }
    } else {
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "Update argument must be either an "
                              "object or an array"));
    }
    if (u->kind != WK_UK_OPS && u->n_filters > 0)
        SDB_ERR(sdb_error_set(err, SDB_CODE_FailedToParse,
                              "arrayFilters may not be specified "
                              "for pipeline-style updates"));
    *out = u;
    return 0;
err:
    wk_update_free(u);
    return ret;
}

/* apply_replacement -- the replacement document, keeping the original _id. */
static int
apply_replacement(const wk_uctx_t *c, bson_t *out)
{
    bson_iter_t oid, nid, it;

    bson_init(out);
    if (bson_iter_init_find(&oid, c->orig, "_id")) {
        if (bson_iter_init_find(&nid, c->u->replacement, "_id")) {
            if (sdb_bson_iter_cmp(&oid, &nid) != 0 ||
                bson_iter_type(&oid) != bson_iter_type(&nid)) {
                char *s = wk_upd_fmt_id(c->u->replacement);
                sdb_error_set(c->err, SDB_CODE_ImmutableField,
                              "After applying the update, the "
                              "(immutable) field '_id' was found to have been altered to %.*s",
                              (int)strlen(s) - 2, s + 1);
                bson_free(s);
                return SDB_ECLIENT;
            }
            bson_concat(out, c->u->replacement);
            return 0;
        }
        bson_append_value(out, "_id", 3, bson_iter_value(&oid));
    }
    if (bson_iter_init(&it, c->u->replacement))
        while (bson_iter_next(&it))
            bson_append_value(out, bson_iter_key(&it), -1, bson_iter_value(&it));
    return 0;
}

/* check_id_unchanged -- operator updates may not modify _id. */
static int
check_id_unchanged(const wk_uctx_t *c, const bson_t *out)
{
    bson_iter_t oid, nid;

    if (!bson_iter_init_find(&oid, c->orig, "_id"))
        return 0;
    if (bson_iter_init_find(&nid, out, "_id") && bson_iter_type(&oid) == bson_iter_type(&nid) &&
        sdb_bson_iter_cmp(&oid, &nid) == 0)
        return 0;
    return sdb_error_set(c->err, SDB_CODE_ImmutableField,
                         "Performing an update on the path "
                         "'_id' would modify the immutable field '_id'");
}

/* check_top_dollar -- an operator update may not create or change a top-level field whose
 * name starts with '$' in an existing document (upserted documents are validated as inserts,
 * which allow them); untouched ones may stay. */
static int
check_top_dollar(const wk_uctx_t *c, const bson_t *out)
{
    bson_iter_t it, old;
    const char *k;

    if (c->upsert_insert || !bson_iter_init(&it, out))
        return 0;
    while (bson_iter_next(&it)) {
        k = bson_iter_key(&it);
        if (k[0] != '$')
            continue;
        if (bson_iter_init_find(&old, c->orig, k) && bson_iter_type(&old) == bson_iter_type(&it) &&
            sdb_bson_iter_cmp(&old, &it) == 0)
            continue;
        return sdb_error_set(c->err, SDB_CODE_DollarPrefixedFieldName,
                             "The dollar ($) prefixed field '%s' in '%s' is not allowed in the "
                             "context of an update's replacement document. Consider using an "
                             "aggregation pipeline with $replaceWith.",
                             k, k);
    }
    return 0;
}

int
wk_update_apply(const wk_update_t *u, const bson_t *doc, const wk_match_details_t *details,
                bool upsert_insert, bson_t *out, bool *changed, sdb_error_t *err)
{
    wk_uctx_t c = {u, doc, details, upsert_insert, err};
    wk_unode_t *root;
    int ret = 0;

    *changed = false;
    if (u->kind == WK_UK_REPLACE) {
        SDB_RET(apply_replacement(&c, out));
    } else if (u->kind == WK_UK_PIPELINE) {
        SDB_RET(wk_upd_apply_pipeline(&c, out));
    } else {
        root = wk_unode_from_bson(doc);
        ret = wk_upd_apply_ops(&c, root);
        bson_init(out);
        if (ret == 0)
            wk_unode_to_bson(root, out);
        wk_unode_free(root);
        SDB_RET(ret);
        SDB_RET(check_id_unchanged(&c, out));
        SDB_RET(check_top_dollar(&c, out));
    }
    if (!sdb_bson_depth_ok(out, SDB_BSON_DEPTH_EVAL)) /* built past the bound: never stored */
        return sdb_depth_doc_error(err);
    *changed =
        out->len != doc->len || memcmp(bson_get_data(out), bson_get_data(doc), doc->len) != 0;
    return 0;
}
