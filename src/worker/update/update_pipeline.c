/*
 * src/worker/update/update_pipeline.c -- pipeline-style updates: [{$set: ...}, {$unset: ...}].
 *
 * Each stage rewrites the whole document in turn: $set/$addFields evaluate expressions
 * against the current document and set them at (possibly dotted, possibly nested-object)
 * paths, mapping over arrays of documents as aggregation does; $unset removes paths;
 * $project reuses the find projection; $replaceRoot/$replaceWith substitute a computed
 * document.  Afterwards _id must be unchanged (66 ImmutableField); a stage that dropped it
 * gets it back.
 *
 * Invariants: stages are parsed once and immutable; each stage's output is a fresh bson_t.
 */
#include "update_int.h"

#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"
#include "../query/expr_int.h"
#include "../query/projection.h"

/* stage_add -- append a path and its expression (owned by the stage, even on error). */
static int
stage_add(wk_pstage_t *s, const char *dotted, wk_expr_t *e, sdb_error_t *err)
{
    s->paths = bson_realloc(s->paths, sizeof(*s->paths) * (s->n + 1));
    s->exprs = bson_realloc(s->exprs, sizeof(*s->exprs) * (s->n + 1));
    s->exprs[s->n] = e;
    SDB_RET(sdb_path_parse(dotted, strlen(dotted), &s->paths[s->n++], err));
    return 0;
}

/* parse_add_fields -- {path: expr, nested: {path: expr}} flattened to dotted paths; `depth`
 * levels of nesting above this one (each adds a path component, bounded like one). */
static int
parse_add_fields(wk_pstage_t *s, const char *prefix, const bson_iter_t *spec, int depth,
                 sdb_error_t *err)
{
    bson_iter_t it, sub;
    wk_expr_t *e = NULL;
    char *full;
    int ret = 0;

    if (depth >= SDB_DEPTH_PATH_MAX)
        return sdb_error_set(err, SDB_CODE_Overflow, "FieldPath is too long");
    bson_iter_recurse(spec, &it);
    while (bson_iter_next(&it) && ret == 0) {
        const char *k = bson_iter_key(&it);
        if (k[0] == '$')
            return sdb_error_set(err, SDB_CODE_Location16410,
                                 "FieldPath field names may not "
                                 "start with '$'. Consider using $getField or $setField.");
        full = prefix != NULL ? bson_strdup_printf("%s.%s", prefix, k) : bson_strdup(k);
        if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &sub) && bson_iter_next(&sub) &&
            bson_iter_key(&sub)[0] != '$') {
            ret = parse_add_fields(s, full, &it, depth + 1, err);
        } else if ((ret = wk_expr_parse(&it, &e, err)) == 0) {
            ret = stage_add(s, full, e, err);
        }
        bson_free(full);
    }
    return ret;
}

static int
parse_unset(wk_pstage_t *s, const bson_iter_t *arg, sdb_error_t *err)
{
    bson_iter_t it;

    if (BSON_ITER_HOLDS_UTF8(arg)) {
        return stage_add(s, bson_iter_utf8(arg, NULL), NULL, err);
    }
    if (!BSON_ITER_HOLDS_ARRAY(arg))
        return sdb_error_set(err, SDB_CODE_Location31002,
                             "$unset specification must be a "
                             "string or an array");
    bson_iter_recurse(arg, &it);
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_UTF8(&it))
            return sdb_error_set(err, SDB_CODE_Location31120,
                                 "$unset specification must be a "
                                 "string or an array containing only string values");
        SDB_RET(stage_add(s, bson_iter_utf8(&it, NULL), NULL, err));
    }
    return 0;
}

static int
parse_stage(wk_pstage_t *s, const bson_iter_t *st, sdb_error_t *err)
{
    const char *name = bson_iter_key(st);
    bson_iter_t sub;
    bson_t spec;
    const uint8_t *data;
    uint32_t len;
    wk_expr_t *e = NULL;

    if (strcmp(name, "$set") == 0 || strcmp(name, "$addFields") == 0) {
        s->kind = WK_PS_ADD_FIELDS;
        if (!BSON_ITER_HOLDS_DOCUMENT(st))
            return sdb_error_set(err, SDB_CODE_Location40272,
                                 "%s specification stage must be an "
                                 "object",
                                 name);
        return parse_add_fields(s, NULL, st, 0, err);
    }
    if (strcmp(name, "$unset") == 0 || strcmp(name, "$project") == 0) {
        s->kind = name[1] == 'u' ? WK_PS_UNSET : WK_PS_PROJECT;
        if (s->kind == WK_PS_UNSET)
            return parse_unset(s, st, err);
        if (!BSON_ITER_HOLDS_DOCUMENT(st))
            return sdb_error_set(err, SDB_CODE_Location15969,
                                 "$project specification must be an "
                                 "object");
        bson_iter_document(st, &len, &data);
        bson_init_static(&spec, data, len);
        return wk_projection_new(&spec, NULL, &s->proj, err);
    }
    if (strcmp(name, "$replaceRoot") == 0 || strcmp(name, "$replaceWith") == 0) {
        s->kind = WK_PS_REPLACE_ROOT;
        sub = *st;
        if (name[8] == 'R') {
            if (!BSON_ITER_HOLDS_DOCUMENT(st) || !bson_iter_recurse(st, &sub) ||
                !bson_iter_find(&sub, "newRoot"))
                return sdb_error_set(err, SDB_CODE_Location40231,
                                     "no newRoot specified for the "
                                     "$replaceRoot stage");
        }
        SDB_RET(wk_expr_parse(&sub, &e, err));
        return stage_add(s, "x", e, err);
    }
    return sdb_error_set(err, SDB_CODE_InvalidOptions,
                         "%s is not allowed to be used within an "
                         "update",
                         name);
}

int
wk_upd_parse_pipeline(wk_update_t *u, const bson_iter_t *arr, sdb_error_t *err)
{
    bson_iter_t it, st;
    wk_pstage_t *s;

    bson_iter_recurse(arr, &it);
    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &st) ||
            !bson_iter_next(&st) || sdb_iter_count(&it) != 1)
            return sdb_error_set(err, SDB_CODE_Location40323,
                                 "A pipeline stage specification "
                                 "object must contain exactly one field.");
        u->stages = bson_realloc(u->stages, sizeof(*u->stages) * (u->n_stages + 1));
        s = &u->stages[u->n_stages++];
        memset(s, 0, sizeof(*s));
        SDB_RET(parse_stage(s, &st, err));
    }
    return 0;
}

void
wk_upd_free_pipeline(wk_update_t *u)
{
    size_t i, k;

    for (i = 0; i < u->n_stages; i++) {
        for (k = 0; k < u->stages[i].n; k++) {
            sdb_path_destroy(&u->stages[i].paths[k]);
            wk_expr_free(u->stages[i].exprs[k]);
        }
        bson_free(u->stages[i].paths);
        bson_free(u->stages[i].exprs);
        wk_projection_free(u->stages[i].proj);
    }
    bson_free(u->stages);
}

/* ---- applying ------------------------------------------------------------------------------ */

/* pset -- set v (missing removes) at p[i..] below cont, mapping over arrays.  Arrays in
 * arrays map without consuming a component, so `depth` (levels below the root) bounds the
 * recursion: 15 Overflow past SDB_BSON_DEPTH_EVAL. */
static int
pset(wk_unode_t *cont, const sdb_path_t *p, int i, const bson_value_t *v, int depth,
     sdb_error_t *err)
{
    wk_unode_t *cur;
    size_t k, pos = 0;

    SDB_DEPTH_CHECK(depth + 1, err, "document"); /* the level of its members */
    if (cont->type == BSON_TYPE_ARRAY) {
        for (k = 0; k < cont->n; k++) {
            if (!wk_unode_is_container(cont->kids[k]))
                wk_unode_replace(cont, k, wk_unode_new_doc(NULL));
            SDB_RET(pset(cont->kids[k], p, i, v, depth + 1, err));
        }
        return 0;
    }
    cur = wk_unode_find(cont, p->parts[i], &pos);
    if (i + 1 == p->n) {
        if (v->value_type == BSON_TYPE_EOD) {
            if (cur != NULL)
                wk_unode_remove(cont, pos);
        } else {
            wk_upd_set_slot(cont, cur, pos, p->parts[i], wk_unode_from_value(p->parts[i], v));
        }
        return 0;
    }
    if (cur == NULL) {
        if (v->value_type == BSON_TYPE_EOD)
            return 0;
        cur = wk_unode_new_doc(p->parts[i]);
        wk_unode_insert(cont, cont->n, cur);
    } else if (!wk_unode_is_container(cur)) {
        wk_unode_replace(cont, pos, wk_unode_new_doc(NULL));
        cur = cont->kids[pos];
    }
    return pset(cur, p, i + 1, v, depth + 1, err);
}

static int
apply_stage(const wk_uctx_t *c, const wk_pstage_t *s, const bson_t *in, bson_t *out)
{
    bson_value_t none = {0}, v;
    wk_unode_t *root;
    size_t k;
    int ret = 0;

    if (s->kind == WK_PS_PROJECT)
        return wk_projection_apply_op(s->proj, in, NULL, c->u->vars, c->u->op, out, c->err);
    if (s->kind == WK_PS_REPLACE_ROOT) {
        bson_init(out);
        SDB_RET(wk_expr_eval_op(s->exprs[0], in, c->u->vars, c->u->op, &v, c->err));
        if (v.value_type != BSON_TYPE_DOCUMENT) {
            ret = sdb_error_set(c->err, SDB_CODE_Location40228,
                                "'replacement document' must "
                                "evaluate to an object, but resulting value was: %s. Type of "
                                "resulting value: '%s'.",
                                wk_value_type_name(&v), wk_value_type_name(&v));
        } else {
            bson_t b;
            if (bson_init_static(&b, v.value.v_doc.data, v.value.v_doc.data_len))
                bson_concat(out, &b);
        }
        if (v.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&v);
        return ret;
    }
    root = wk_unode_from_bson(in);
    for (k = 0; k < s->n && ret == 0; k++) {
        if (s->kind == WK_PS_UNSET) {
            ret = pset(root, &s->paths[k], 0, &none, 0, c->err);
            continue;
        }
        if ((ret = wk_expr_eval_op(s->exprs[k], in, c->u->vars, c->u->op, &v, c->err)) == 0) {
            ret = pset(root, &s->paths[k], 0, &v, 0, c->err);
            if (v.value_type != BSON_TYPE_EOD)
                bson_value_destroy(&v);
        }
    }
    bson_init(out);
    wk_unode_to_bson(root, out);
    wk_unode_free(root);
    return ret;
}

/* restore_id -- _id must survive the pipeline unchanged. */
static int
restore_id(const wk_uctx_t *c, bson_t *doc)
{
    bson_iter_t oid, nid;
    bson_t fixed;
    char *s;

    if (!bson_iter_init_find(&oid, c->orig, "_id"))
        return 0;
    if (bson_iter_init_find(&nid, doc, "_id")) {
        if (bson_iter_type(&oid) == bson_iter_type(&nid) && sdb_bson_iter_cmp(&oid, &nid) == 0)
            return 0;
        s = wk_upd_fmt_id(doc);
        sdb_error_set(c->err, SDB_CODE_ImmutableField,
                      "After applying the update, the "
                      "(immutable) field '_id' was found to have been altered to %.*s",
                      (int)strlen(s) - 2, s + 1);
        bson_free(s);
        return SDB_ECLIENT;
    }
    bson_init(&fixed);
    bson_append_value(&fixed, "_id", 3, bson_iter_value(&oid));
    bson_concat(&fixed, doc);
    bson_destroy(doc);
    bson_init(doc);
    bson_concat(doc, &fixed);
    bson_destroy(&fixed);
    return 0;
}

int
wk_upd_apply_pipeline(const wk_uctx_t *c, bson_t *out)
{
    bson_t docs[2]; /* current and next; never copied by value (bson_t points into itself) */
    size_t i;
    int cur = 0, ret = 0;

    bson_init(&docs[0]);
    bson_concat(&docs[0], c->orig);
    for (i = 0; i < c->u->n_stages; i++) {
        ret = apply_stage(c, &c->u->stages[i], &docs[cur], &docs[1 - cur]);
        bson_destroy(&docs[cur]);
        cur = 1 - cur;
        if (ret == 0 && !sdb_bson_depth_ok(&docs[cur], SDB_BSON_DEPTH_EVAL))
            ret = sdb_depth_doc_error(c->err); /* stop at once: each stage only wraps deeper */
        if (ret != 0)
            break;
    }
    if (ret == 0)
        ret = restore_id(c, &docs[cur]);
    bson_init(out);
    if (ret == 0)
        bson_concat(out, &docs[cur]);
    bson_destroy(&docs[cur]);
    return ret;
}
