/*
 * src/common/wildcard.c -- wildcard index entries (wildcard.h).
 *
 * The pattern and projection become a list of paths with one mode: "a.$**" is the
 * inclusion {a: 1}; "$**" takes its wildcardProjection, inclusion or exclusion (_id apart:
 * left out unless named with a true value).  Walking the document, each path is decided
 * once: ALL (inside what is selected: every value below goes in), SOME (an ancestor of a
 * selected path, or in an exclusion an ancestor of an excluded one: walk on, values here go
 * in only for an exclusion) or NONE.
 *
 * A compound wildcard index ({tenant: 1, "attrs.$**": 1}, mongod 7.0) has one wildcard field
 * among regular ones: each entry is the regular fields before it, then (path, value), then
 * the regular fields after it, each in its own direction ($_path always ascending), as
 * mongod's WildcardKeyGenerator lays them out.  A regular field keys its one value (null when
 * missing); an array on its path refuses the document (the regular fields of a compound
 * wildcard index are never multikey).  A document with no wildcard entry but some regular
 * field keys (regulars, MinKey, MinKey, regulars), so a query on the regular prefix alone
 * finds it; one with neither has no entry.
 *
 * Invariants: recursion bounded by SDB_BSON_DEPTH_EVAL (15 Overflow beyond); the path
 * buffer grows with bson_string, the regular fields' encodings with their keybufs.
 */
#include "wildcard.h"

#include <string.h>

#include "bsonvalid.h"
#include "depth.h"
#include "keyenc.h"
#include "sdb.h"

#define WC_MAX_PATHS 64
#define WC_MAX_REGULAR 32

typedef enum wc_decision {
    WC_NONE,
    WC_SOME,
    WC_ALL
} wc_decision_t;

typedef struct wc {
    const char *paths[WC_MAX_PATHS];
    size_t npaths;
    bool include; /* inclusion projection (else exclusion, or everything when npaths == 0) */
    bool with_id; /* _id at the root is indexed */
    int desc;
    const sdb_collation_t *coll;
    int (*fn)(const uint8_t *, size_t, void *);
    void *ctx;
    sdb_keybuf_t kb;
    sdb_error_t *err;
    char sub[1024]; /* the path of "<path>.$**" */
    /* a compound wildcard index: its regular fields, before (pre) and after the wildcard */
    const char *reg[WC_MAX_REGULAR];
    int regdesc[WC_MAX_REGULAR];
    bool regpost[WC_MAX_REGULAR];
    size_t nreg;
    sdb_keybuf_t pre, post; /* the document's regular values, encoded */
    bool emitted;           /* some (path, value) entry went out */
} wc_t;

/* wildcard_name -- "$**" or "<path>.$**". */
static bool
wildcard_name(const char *k)
{
    size_t n = strlen(k);

    return n >= 3 && strcmp(k + n - 3, "$**") == 0 && (n == 3 || k[n - 4] == '.');
}

bool
sdb_wildcard_pattern(const bson_t *key_pattern)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, key_pattern))
        return false;
    while (bson_iter_next(&it))
        if (wildcard_name(bson_iter_key(&it)))
            return true;
    return false;
}

bool
sdb_wildcard_compound(const bson_t *key_pattern)
{
    return sdb_wildcard_pattern(key_pattern) && bson_count_keys(key_pattern) > 1;
}

/* prefix_of -- a is b, or a path prefix of it ("a" of "a.b"). */
static bool
prefix_of(const char *a, const char *b)
{
    size_t n = strlen(a);

    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '.');
}

static wc_decision_t
decide(const wc_t *w, const char *path)
{
    bool below = false;

    if (w->npaths == 0)
        return WC_ALL;
    for (size_t i = 0; i < w->npaths; i++) {
        if (prefix_of(w->paths[i], path))
            return w->include ? WC_ALL : WC_NONE;
        below = below || prefix_of(path, w->paths[i]);
    }
    if (w->include)
        return below ? WC_SOME : WC_NONE;
    return below ? WC_SOME : WC_ALL;
}

/* append -- kb += the bytes of `from`. */
static void
append(sdb_keybuf_t *kb, const sdb_keybuf_t *from)
{
    if (from->len == 0)
        return;
    if (kb->cap < kb->len + from->len) {
        kb->cap = (kb->len + from->len) * 2;
        kb->data = bson_realloc(kb->data, kb->cap);
    }
    memcpy(kb->data + kb->len, from->data, from->len);
    kb->len += from->len;
}

/* emit -- the entry key (regulars before, path, value, regulars after); path NULL: the
 * (MinKey, MinKey) entry of a document with regular fields only. */
static int
emit(wc_t *w, const char *path, const bson_value_t *v)
{
    bson_value_t p;

    memset(&p, 0, sizeof(p));
    sdb_keybuf_reset(&w->kb);
    append(&w->kb, &w->pre);
    if (path == NULL) {
        p.value_type = BSON_TYPE_MINKEY;
        SDB_RET(sdb_keyenc_value(&w->kb, &p, 0));
        SDB_RET(sdb_keyenc_value(&w->kb, &p, w->desc));
    } else {
        p.value_type = BSON_TYPE_UTF8;
        p.value.v_utf8.str = (char *)path;
        p.value.v_utf8.len = (uint32_t)strlen(path);
        SDB_RET(sdb_keyenc_value(&w->kb, &p, 0));
        SDB_RET(sdb_keyenc_value_coll(&w->kb, v, w->desc, w->coll));
        w->emitted = true;
    }
    append(&w->kb, &w->post);
    return w->fn(w->kb.data, w->kb.len, w->ctx);
}

static int walk_doc(wc_t *w, const uint8_t *data, uint32_t len, bson_string_t *path, int depth);

/* walk_value -- one value at `path` (decided d): walk documents, expand arrays, emit the
 * rest when selected. */
static int
walk_value(wc_t *w, const bson_value_t *v, bson_string_t *path, wc_decision_t d, bool in_array,
           int depth)
{
    bool selected = d == WC_ALL || (d == WC_SOME && !w->include);
    bson_iter_t it;

    if (depth > SDB_BSON_DEPTH_EVAL)
        return sdb_depth_error(w->err, "index key");
    if (v->value_type == BSON_TYPE_DOCUMENT && v->value.v_doc.data_len > 5)
        return walk_doc(w, v->value.v_doc.data, v->value.v_doc.data_len, path, depth + 1);
    if (v->value_type == BSON_TYPE_ARRAY && !in_array && v->value.v_doc.data_len > 5) {
        if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
            return SDB_ECORRUPT;
        while (bson_iter_next(&it))
            SDB_RET(walk_value(w, bson_iter_value(&it), path, d, true, depth + 1));
        return 0;
    }
    return selected ? emit(w, path->str, v) : 0;
}

/* walk_doc -- the fields of a document under `path` ("" at the root). */
static int
walk_doc(wc_t *w, const uint8_t *data, uint32_t len, bson_string_t *path, int depth)
{
    size_t base = path->len;
    bson_iter_t it;
    wc_decision_t d;
    int ret = 0;

    if (!bson_iter_init_from_data(&it, data, len))
        return SDB_ECORRUPT;
    while (ret == 0 && bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (base == 0 && strcmp(k, "_id") == 0 && !w->with_id)
            continue;
        if (base > 0)
            bson_string_append_c(path, '.');
        bson_string_append(path, k);
        d = base == 0 && strcmp(k, "_id") == 0 ? WC_ALL : decide(w, path->str);
        if (d != WC_NONE)
            ret = walk_value(w, bson_iter_value(&it), path, d, false, depth);
        bson_string_truncate(path, (uint32_t)base);
    }
    return ret;
}

/* setup_regular -- note the compound pattern's regular field at `it` (wildcard already seen:
 * after it). */
static void
setup_regular(wc_t *w, const bson_iter_t *it, bool after)
{
    if (w->nreg == WC_MAX_REGULAR)
        return;
    w->reg[w->nreg] = bson_iter_key(it);
    w->regdesc[w->nreg] = BSON_ITER_HOLDS_NUMBER(it) && bson_iter_as_double((bson_iter_t *)it) < 0;
    w->regpost[w->nreg++] = after;
}

/* setup -- the paths and mode from the pattern and projection, and the regular fields. */
static void
setup(wc_t *w, const bson_t *key_pattern, const bson_t *projection)
{
    bson_iter_t it;
    const char *k = NULL;

    w->include = true;
    bson_iter_init(&it, key_pattern);
    while (bson_iter_next(&it)) {
        if (k != NULL || !wildcard_name(bson_iter_key(&it))) {
            setup_regular(w, &it, k != NULL);
            continue;
        }
        k = bson_iter_key(&it);
        w->desc = BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) < 0;
    }
    if (k == NULL)
        return;
    if (strcmp(k, "$**") != 0) { /* "a.b.$**": the subtree at a.b */
        size_t n = strlen(k) - 4;

        if (n >= sizeof(w->sub))
            n = sizeof(w->sub) - 1;
        memcpy(w->sub, k, n);
        w->sub[n] = '\0';
        w->paths[w->npaths++] = w->sub;
        return;
    }
    if (projection == NULL || !bson_iter_init(&it, projection))
        return;
    while (bson_iter_next(&it) && w->npaths < WC_MAX_PATHS) {
        bool on = bson_iter_as_bool(&it);

        if (strcmp(bson_iter_key(&it), "_id") == 0) {
            w->with_id = on;
            continue;
        }
        w->include = on;
        w->paths[w->npaths++] = bson_iter_key(&it);
    }
}

/* regular_value -- the value at dotted `path` of doc (*found false: missing); an array on
 * the path (or at it) sets *array. */
static int
regular_value(const bson_t *doc, const char *path, bson_value_t *out, bool *found, bool *array)
{
    bson_iter_t it, child;
    const char *p = path;

    *found = *array = false;
    if (!bson_iter_init(&it, doc))
        return SDB_ECORRUPT;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        bool hit = false;

        while (!hit && bson_iter_next(&it))
            hit = strlen(bson_iter_key(&it)) == n && strncmp(bson_iter_key(&it), p, n) == 0;
        if (!hit)
            return 0;
        if (BSON_ITER_HOLDS_ARRAY(&it)) {
            *array = true;
            return 0;
        }
        if (dot == NULL) {
            *out = *bson_iter_value(&it);
            *found = true;
            return 0;
        }
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &child))
            return 0;
        it = child;
        p = dot + 1;
    }
}

/* regular_keys -- encode doc's regular values into w->pre and w->post; *any when one is
 * present.  An array refuses the document. */
static int
regular_keys(wc_t *w, const bson_t *doc, bool *any)
{
    bson_value_t v;
    bool found, array;

    *any = false;
    for (size_t i = 0; i < w->nreg; i++) {
        SDB_RET(regular_value(doc, w->reg[i], &v, &found, &array));
        if (array)
            return sdb_error_set(w->err, SDB_CODE_CannotBuildIndexKeys,
                                 "Cannot index an array in the regular field '%s' of a compound "
                                 "wildcard index",
                                 w->reg[i]);
        if (!found) {
            memset(&v, 0, sizeof(v));
            v.value_type = BSON_TYPE_NULL;
        }
        *any = *any || found;
        SDB_RET(
            sdb_keyenc_value_coll(w->regpost[i] ? &w->post : &w->pre, &v, w->regdesc[i], w->coll));
    }
    return 0;
}

int
sdb_wildcard_keys(const bson_t *doc, const bson_t *key_pattern, const bson_t *projection,
                  const sdb_collation_t *coll, int (*fn)(const uint8_t *key, size_t len, void *ctx),
                  void *ctx, sdb_error_t *err)
{
    bson_string_t *path = bson_string_new(NULL);
    wc_t w;
    bool any = false;
    int ret;

    memset(&w, 0, sizeof(w));
    w.coll = coll;
    w.fn = fn;
    w.ctx = ctx;
    w.err = err;
    sdb_keybuf_init(&w.kb);
    sdb_keybuf_init(&w.pre);
    sdb_keybuf_init(&w.post);
    setup(&w, key_pattern, projection);
    ret = regular_keys(&w, doc, &any);
    if (ret == 0)
        ret = walk_doc(&w, bson_get_data(doc), doc->len, path, 0);
    if (ret == 0 && !w.emitted && any)
        ret = emit(&w, NULL, NULL);
    sdb_keybuf_free(&w.kb);
    sdb_keybuf_free(&w.pre);
    sdb_keybuf_free(&w.post);
    bson_string_free(path, true);
    return ret;
}

bool
sdb_wildcard_path_indexed(const bson_t *key_pattern, const bson_t *projection, const char *path)
{
    wc_t w;
    wc_decision_t d;

    memset(&w, 0, sizeof(w));
    if (!sdb_wildcard_pattern(key_pattern))
        return false;
    setup(&w, key_pattern, projection);
    if (prefix_of("_id", path))
        return w.with_id;
    d = decide(&w, path);
    return d == WC_ALL || (d == WC_SOME && !w.include);
}
