/*
 * src/worker/cmd/indexes.c -- listIndexes, createIndexes and dropIndexes.
 *
 * listIndexes is answered from the catalog cache (an exhausted cursor over the index specs).
 * createIndexes checks each spec in mongod's words (the fields a spec may have, the key
 * pattern as validateKeyPattern reads it, boolean options, hidden, partialFilterExpression
 * through the matcher and then pfilter.h, hashed and wildcard rules, a compound wildcard
 * pattern's own as mongod 7.0's wildcard_validation.cpp: 72462xx codes), spells out its
 * collation (or gives it the collection's default), normalizes it to {v: 2, key, name, ...}
 * and lets the master build the indexes from the existing records (CREATE_INDEXES), which
 * also reports conflicts (85/86) and unique violations (11000).  dropIndexes accepts a name,
 * "*", a key pattern or a list of names; the _id index can never be dropped.  The search
 * index commands (createSearchIndexes, updateSearchIndex, dropSearchIndex) exist, as in
 * mongod 7.0 without a search index management host, only to refuse in mongod's words.
 *
 * Invariants: event-loop thread; catalog views are not kept across store calls.
 */
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../engine/tablecfg.h"
#include "../engine/text.h"
#include "../engine/ttl.h"
#include "../engine/view.h"
#include "../engine/write.h"

#include "../catalog_cache.h"
#include "../store_client.h"

#include "../../common/bsontext.h"
#include "../../common/collation.h"
#include "../../common/geo/geo_keys.h"
#include "../../common/pfilter.h"

#include <string.h>

/* flag -- a safeBool option of the command (false when absent). */
static bool
flag(const wk_cmd_t *cmd, const char *name)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, cmd->body, name) && wk_cmdu_truthy(&it);
}

/* append_wrapped -- includeIndexBuildInfo's shape: each ready index as {spec: <spec>} (the
 * catalog cache lists only ready indexes, so none has indexBuildInfo, and includeBuildUUIDs
 * leaves them as they are, as in mongod). */
static void
append_wrapped(bson_t *cur, const bson_t *indexes)
{
    bson_iter_t it;
    bson_t arr, d;

    BSON_APPEND_ARRAY_BEGIN(cur, "firstBatch", &arr);
    bson_iter_init(&it, indexes);
    while (bson_iter_next(&it)) {
        bson_append_document_begin(&arr, bson_iter_key(&it), -1, &d);
        wk_cmdu_append_iter_as(&d, "spec", &it);
        bson_append_document_end(&arr, &d);
    }
    bson_append_array_end(cur, &arr);
}

/* wk_cmd_list_indexes -- {listIndexes: coll} -> {cursor: {id: 0, ns, firstBatch: specs}}. */
int
wk_cmd_list_indexes(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"cursor", "includeBuildUUIDs", "includeIndexBuildInfo",
                                         NULL};
    const wk_coll_info_t *ci;
    char ns[WK_NS_MAX];
    bson_t cur;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    if (flag(cmd, "includeBuildUUIDs") && flag(cmd, "includeIndexBuildInfo"))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions,
                              "The 'includeBuildUUIDs' and 'includeIndexBuildInfo' options cannot "
                              "both be true"));
    SDB_ERR(wk_view_refuse_write(cmd, ns));
    SDB_ERR(wk_cmdu_refresh(&cmd->err));
    ci = wk_catalog_find(ns);
    if (ci == NULL || ci->pending)
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_NamespaceNotFound, "ns does not exist: %s", ns));
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "cursor", &cur);
    BSON_APPEND_INT64(&cur, "id", 0);
    BSON_APPEND_UTF8(&cur, "ns", ns);
    if (flag(cmd, "includeIndexBuildInfo"))
        append_wrapped(&cur, &ci->indexes);
    else
        BSON_APPEND_ARRAY(&cur, "firstBatch", &ci->indexes);
    bson_append_document_end(cmd->reply, &cur);
err:
    return ret;
}

/* spec_error -- mongod's "Error in specification" wrapper. */
static int
spec_error(wk_cmd_t *cmd, int code, const bson_t *spec, const char *why)
{
    char *str = sdb_bson_text_new(spec);
    int ret =
        sdb_error_set(&cmd->err, code, "Error in specification %s :: caused by :: %s", str, why);

    bson_free(str);
    return ret;
}

/* wrap_error -- "<head> <spec as mongod prints it, with v: 2> :: caused by :: <err>" around
 * the error already in cmd->err, keeping its code. */
static int
wrap_error(wk_cmd_t *cmd, const char *head, const bson_t *spec)
{
    bson_t shown = BSON_INITIALIZER;
    char *str, *why = bson_strdup(cmd->err.msg);
    int ret;

    bson_concat(&shown, spec);
    if (!bson_has_field(spec, "v"))
        BSON_APPEND_INT32(&shown, "v", 2);
    str = sdb_bson_text_new(&shown);
    ret = sdb_error_set(&cmd->err, cmd->err.code, "%s %s :: caused by :: %s", head, str, why);
    bson_free(str);
    bson_free(why);
    bson_destroy(&shown);
    return ret;
}

/* spec_caused -- mongod's "Error in specification ..." around the error in cmd->err. */
static int
spec_caused(wk_cmd_t *cmd, const bson_t *spec)
{
    return wrap_error(cmd, "Error in specification", spec);
}

/* collation_spec -- the spec's collation spelled out (mongod's full spec), none for
 * "simple", or the collection's default collation when it names none (coll_default, may be
 * NULL); *out is initialized. */
static int
collation_spec(wk_cmd_t *cmd, const bson_t *spec, const bson_t *coll_default, bson_t *out,
               bool *has)
{
    bson_iter_t it;
    bson_t given;
    bool simple;

    bson_init(out);
    *has = false;
    if (!bson_iter_init_find(&it, spec, "collation")) {
        if (coll_default != NULL && !bson_empty(coll_default)) {
            bson_concat(out, coll_default);
            *has = true;
        }
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return spec_error(cmd, SDB_CODE_TypeMismatch, spec,
                          "The field 'collation' must be an object, but got another type");
    SDB_RET(wk_cmdu_get_doc(cmd, &it, "collation", &given));
    if (bson_empty(&given))
        return spec_error(cmd, SDB_CODE_BadValue, spec,
                          "The field 'collation' cannot be an empty object.");
    if (sdb_collation_full_spec(&given, out, &simple, &cmd->err) != 0)
        return wrap_error(
            cmd, "failed to add collation information to index spec for index creation:", spec);
    *has = !simple;
    return 0;
}

/* check_collated -- a collation on an index type that takes none (text, 2d): 67. */
static int
check_collated(wk_cmd_t *cmd, const bson_t *key, bool collated)
{
    bson_iter_t it;

    if (!collated || !bson_iter_init(&it, key))
        return 0;
    while (bson_iter_next(&it)) {
        const char *p = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";

        if (strcmp(p, "text") == 0 || strcmp(p, "2d") == 0)
            return sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                                 "Index type '%s' does not support collation", p);
    }
    return 0;
}

/* check_partial -- partialFilterExpression: a document, not with sparse, that parses as a
 * query (the matcher's errors) and holds only what a partial index may (pfilter.h). */
static int
check_partial(wk_cmd_t *cmd, const bson_t *spec)
{
    bson_iter_t it, sp;
    wk_matcher_t *m = NULL;
    sdb_pfilter_t *f = NULL;
    bson_t filter;

    if (!bson_iter_init_find(&it, spec, "partialFilterExpression"))
        return 0;
    if (bson_iter_init_find(&sp, spec, "sparse") && wk_cmdu_truthy(&sp)) {
        sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                      "cannot mix \"partialFilterExpression\" and \"sparse\" options");
        return spec_caused(cmd, spec);
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
        sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                      "\"partialFilterExpression\" for an index must be a document");
        return spec_caused(cmd, spec);
    }
    SDB_RET(wk_cmdu_get_doc(cmd, &it, "partialFilterExpression", &filter));
    if (wk_matcher_new(&filter, &m, &cmd->err) != 0 ||
        sdb_pfilter_new(&filter, &f, &cmd->err) != 0) {
        wk_matcher_free(m);
        return spec_caused(cmd, spec);
    }
    wk_matcher_free(m);
    sdb_pfilter_free(f);
    return 0;
}

/* The index plugins a key pattern may name (mongod's IndexNames). */
static const char *const plugins[] = {"2d", "2dsphere", "text", "hashed", "columnstore", NULL};

/* key_value_error -- what is wrong with one key pattern value, or NULL; *plugin receives a
 * plugin name it gives. */
static const char *
key_value_error(wk_cmd_t *cmd, const bson_iter_t *it, const char **plugin)
{
    double d;

    *plugin = NULL;
    if (BSON_ITER_HOLDS_NUMBER(it)) {
        d = bson_iter_as_double((bson_iter_t *)it);
        if (d != d)
            return "Values in the index key pattern cannot be NaN.";
        return d == 0.0 ? "Values in the index key pattern cannot be 0." : NULL;
    }
    if (!BSON_ITER_HOLDS_UTF8(it)) {
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "Values in v:2 index key pattern cannot be of type %s. Only numbers > 0, "
                      "numbers < 0, and strings are allowed.",
                      wk_cmdu_type_name(bson_iter_type(it)));
        return cmd->err.msg;
    }
    *plugin = bson_iter_utf8(it, NULL);
    if ((*plugin)[0] == '\0')
        return "Values in the index key pattern cannot be empty strings";
    if (strcmp(*plugin, "geoHaystack") == 0)
        return "GeoHaystack indexes cannot be created in version 5.0 and above";
    for (size_t i = 0; plugins[i] != NULL; i++)
        if (strcmp(plugins[i], *plugin) == 0)
            return NULL;
    bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg), "Unknown index plugin '%s'", *plugin);
    return cmd->err.msg;
}

/* ---- compound wildcard indexes (mongod 7.0's wildcard_validation.cpp rules) ------------ */

/* is_wildcard_name -- "$**" or "<path>.$**". */
static bool
is_wildcard_name(const char *k)
{
    size_t n = strlen(k);

    return n >= 3 && strcmp(k + n - 3, "$**") == 0 && (n == 3 || k[n - 4] == '.');
}

/* first_plugin_wildcard -- mongod's plugin of a key pattern (the first string value or
 * wildcard field name, in order) is "wildcard". */
static bool
first_plugin_wildcard(const bson_t *key)
{
    bson_iter_t it;

    bson_iter_init(&it, key);
    while (bson_iter_next(&it)) {
        if (BSON_ITER_HOLDS_UTF8(&it))
            return false;
        if (is_wildcard_name(bson_iter_key(&it)))
            return true;
    }
    return false;
}

/* path_prefix -- dotted path a is b or an ancestor of it (FieldRef::isPrefixOfOrEqualTo;
 * an empty a is no prefix). */
static bool
path_prefix(const char *a, size_t n, const char *b)
{
    return n > 0 && strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '.');
}

/* cwild_key_error -- a wildcard key pattern's own rules (validateWildcardIndex): one wildcard
 * field, and no regular field at or below its path; NULL when it keeps them. */
static const char *
cwild_key_error(wk_cmd_t *cmd, const bson_t *key, int *code)
{
    bson_iter_t it;
    const char *wf = NULL;
    size_t n;

    bson_iter_init(&it, key);
    while (bson_iter_next(&it)) {
        if (!is_wildcard_name(bson_iter_key(&it)))
            continue;
        *code = SDB_CODE_Location7246201;
        if (wf != NULL)
            return "Index Key can contain only one wildcard index field";
        wf = bson_iter_key(&it);
    }
    n = strlen(wf) > 3 ? strlen(wf) - 4 : 0; /* the wildcard's path, "" for $** */
    bson_iter_init(&it, key);
    while (bson_iter_next(&it)) {
        if (is_wildcard_name(bson_iter_key(&it)) || !path_prefix(wf, n, bson_iter_key(&it)))
            continue;
        *code = SDB_CODE_Location7246204;
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "A wildcard index field should not overlap with and index key fields if "
                      "wildcard projection is empty, however '%s' is overlapping with the "
                      "wildcard index field.",
                      bson_iter_key(&it));
        return cmd->err.msg;
    }
    return NULL;
}

/* field_cmp -- FieldRef order: part by part, a path before the paths below it. */
static int
field_cmp(const void *x, const void *y)
{
    const unsigned char *a = *(const unsigned char *const *)x,
                        *b = *(const unsigned char *const *)y;

    for (;; a++, b++) {
        unsigned ca = *a == '.' ? 1 : *a, cb = *b == '.' ? 1 : *b;

        if (ca != cb || ca == 0)
            return (int)ca - (int)cb;
    }
}

#define CWILD_MAX 64

typedef struct cwild_lists {
    const char *reg[CWILD_MAX], *inc[CWILD_MAX], *exc[CWILD_MAX];
    size_t nreg, ninc, nexc;
} cwild_lists_t;

/* cwild_overlap -- two sorted projection paths where one is at or below the other. */
static const char *
cwild_overlap(wk_cmd_t *cmd, const char *const *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (!path_prefix(v[i - 1], strlen(v[i - 1]), v[i]) &&
            !path_prefix(v[i], strlen(v[i]), v[i - 1]))
            continue;
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "Fields in Wildcard Projection cannot overlap, however '%s' is overlapped "
                      "with '%s",
                      v[i - 1], v[i]);
        return cmd->err.msg;
    }
    return NULL;
}

/* cwild_regular_error -- the regular fields against the projection: none at or below an
 * included path (7246208), and an exclusion must exclude every one (7246209/7246210). */
static const char *
cwild_regular_error(wk_cmd_t *cmd, const cwild_lists_t *l, int *code)
{
    size_t i = 0, j = 0;

    while (i < l->nreg && j < l->ninc) {
        if (path_prefix(l->inc[j], strlen(l->inc[j]), l->reg[i])) {
            *code = SDB_CODE_Location7246208;
            bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                          "Index Key and Wildcard Projection cannot contain overlapping fields, "
                          "however '%s' index field is ovverlapping with '%s' wildcardProjection "
                          "path.",
                          l->reg[i], l->inc[j]);
            return cmd->err.msg;
        }
        if (field_cmp(&l->inc[j], &l->reg[i]) < 0)
            j++;
        else
            i++;
    }
    for (i = 0, j = 0; l->nexc > 0 && i < l->nreg;) {
        if (j < l->nexc && path_prefix(l->exc[j], strlen(l->exc[j]), l->reg[i])) {
            i++;
            continue;
        }
        if (j < l->nexc && field_cmp(&l->exc[j], &l->reg[i]) < 0) {
            j++;
            continue;
        }
        *code = j < l->nexc ? SDB_CODE_Location7246209 : SDB_CODE_Location7246210;
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "wildcardProjection paths must exclude all regular index fields, however "
                      "'%s'is not excluded.",
                      l->reg[i]);
        return cmd->err.msg;
    }
    return NULL;
}

/* cwild_projection_error -- a compound wildcard index's wildcardProjection
 * (validateWildcardProjection); NULL when valid.  `proj` is a non-empty document. */
static const char *
cwild_projection_error(wk_cmd_t *cmd, const bson_t *key, bson_iter_t *proj, int *code)
{
    cwild_lists_t l;
    bson_iter_t it;
    const char *why;

    memset(&l, 0, sizeof(l));
    bson_iter_init(&it, key);
    while (bson_iter_next(&it) && l.nreg < CWILD_MAX)
        if (!is_wildcard_name(bson_iter_key(&it)))
            l.reg[l.nreg++] = bson_iter_key(&it);
    while (bson_iter_next(proj)) {
        bson_string_t *v;

        if (!BSON_ITER_HOLDS_NUMBER(proj) && !BSON_ITER_HOLDS_BOOL(proj)) {
            *code = SDB_CODE_Location7246207;
            v = bson_string_new(NULL);
            sdb_bson_text_value(v, bson_iter_value(proj));
            bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                          "Fields in wildcardProjection must be numbers, however '%s: %s' is a "
                          "%s.",
                          bson_iter_key(proj), v->str, wk_cmdu_type_name(bson_iter_type(proj)));
            bson_string_free(v, true);
            return cmd->err.msg;
        }
        if (bson_iter_as_bool(proj) && l.ninc < CWILD_MAX)
            l.inc[l.ninc++] = bson_iter_key(proj);
        else if (!bson_iter_as_bool(proj) && l.nexc < CWILD_MAX)
            l.exc[l.nexc++] = bson_iter_key(proj);
    }
    qsort(l.reg, l.nreg, sizeof(*l.reg), field_cmp);
    qsort(l.inc, l.ninc, sizeof(*l.inc), field_cmp);
    qsort(l.exc, l.nexc, sizeof(*l.exc), field_cmp);
    *code = SDB_CODE_Location7246200;
    if ((why = cwild_overlap(cmd, l.inc, l.ninc)) != NULL ||
        (why = cwild_overlap(cmd, l.exc, l.nexc)) != NULL ||
        (why = cwild_regular_error(cmd, &l, code)) != NULL)
        return why;
    *code = SDB_CODE_Location7246211;
    if (l.ninc > 0 && l.nexc > 0 && !(l.ninc == 1 && strcmp(l.inc[0], "_id") == 0) &&
        !(l.nexc == 1 && strcmp(l.exc[0], "_id") == 0))
        return "Inclusion and exclusion statements cannot combine in the wildcardProjection "
               "with an exception of explicitly including _id field";
    return NULL;
}

/* key_name_error -- what is wrong with one key pattern field name, or NULL. */
static const char *
key_name_error(const char *name, bool wildcard)
{
    const char *p = name;

    if (name[0] == '\0')
        return "Index keys cannot be an empty field.";
    if (strcmp(name, "$**") == 0)
        return NULL;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

        if (n == 0)
            return "Index keys cannot contain an empty field.";
        if (p[0] == '$' &&
            !(p != name &&
              ((n == 3 && strncmp(p, "$id", 3) == 0) || (n == 3 && strncmp(p, "$db", 3) == 0) ||
               (n == 4 && strncmp(p, "$ref", 4) == 0))) &&
            !(wildcard && dot == NULL && strcmp(p, "$**") == 0))
            return "Index key contains an illegal field name: field name starts with '$'.";
        if (dot == NULL)
            return NULL;
        p = dot + 1;
    }
}

/* check_key -- a key pattern as mongod's validateKeyPattern reads it: values non-zero
 * numbers or one known plugin name, field names without empty parts or '$'. */
static int
check_key(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key)
{
    const char *why = NULL, *plugin = NULL, *p;
    bool wildcard = false;
    bson_iter_t it;
    char msg[SDB_ERRMSG_MAX];
    int code;

    if (bson_empty(key))
        return spec_error(cmd, SDB_CODE_CannotCreateIndex, spec, "Index keys cannot be empty.");
    wildcard = first_plugin_wildcard(key);
    if (wildcard && (why = cwild_key_error(cmd, key, &code)) != NULL) {
        bson_strncpy(msg, why, sizeof(msg));
        return spec_error(cmd, code, spec, msg);
    }
    bson_iter_init(&it, key);
    while (why == NULL && bson_iter_next(&it)) {
        why = key_value_error(cmd, &it, &p);
        if (why == NULL && p != NULL && (wildcard || (plugin != NULL && strcmp(p, plugin) != 0)))
            why = "Can't use more than one index plugin for a single index.";
        if (why == NULL && p != NULL)
            plugin = p;
        if (why == NULL)
            why = key_name_error(bson_iter_key(&it), wildcard);
    }
    if (why == NULL && wildcard && bson_has_field(key, "$**") && bson_count_keys(key) > 1 &&
        !bson_has_field(spec, "wildcardProjection"))
        why = "Compound wildcard indexes on all fields must also specify 'wildcardProjection' "
              "option";
    if (why == NULL)
        return 0;
    bson_strncpy(msg, why, sizeof(msg));
    return spec_error(cmd, SDB_CODE_CannotCreateIndex, spec, msg);
}

/* The fields an index specification may have (mongod's allowedFieldNames). */
static const char *const spec_fields[] = {
    "key",
    "name",
    "v",
    "ns",
    "background",
    "unique",
    "sparse",
    "hidden",
    "prepareUnique",
    "collation",
    "storageEngine",
    "partialFilterExpression",
    "expireAfterSeconds",
    "weights",
    "default_language",
    "language_override",
    "textIndexVersion",
    "2dsphereIndexVersion",
    "bits",
    "min",
    "max",
    "coarsestIndexedLevel",
    "finestIndexedLevel",
    "wildcardProjection",
    "dropDups",
    "originalSpec",
    "clustered",
    NULL,
};

/* known_field -- whether some index specification has field k. */
static bool
known_field(const char *k)
{
    for (size_t i = 0; spec_fields[i] != NULL; i++)
        if (strcmp(spec_fields[i], k) == 0)
            return true;
    return false;
}

/* ignore_unknown -- createIndexes' ignoreUnknownIndexOptions: unknown spec fields are dropped
 * instead of refused, as mongod does. */
static bool
ignore_unknown(const wk_cmd_t *cmd)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, cmd->body, "ignoreUnknownIndexOptions") && wk_cmdu_truthy(&it);
}

/* check_fields -- 197 for a field no index specification has (unless ignored). */
static int
check_fields(wk_cmd_t *cmd, const bson_t *spec)
{
    bson_iter_t it;
    char *str, why[SDB_ERRMSG_MAX];

    if (ignore_unknown(cmd))
        return 0;
    bson_iter_init(&it, spec);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);

        if (known_field(k))
            continue;
        str = sdb_bson_text_new(spec);
        bson_snprintf(why, sizeof(why),
                      "The field '%s' is not valid for an index specification. Specification: %s",
                      k, str);
        bson_free(str);
        return spec_error(cmd, SDB_CODE_InvalidIndexSpecificationOption, spec, why);
    }
    return 0;
}

/* check_flags -- the boolean options: numbers or bools (hidden: a bool, and never on the _id
 * index). */
static int
check_flags(wk_cmd_t *cmd, const bson_t *spec)
{
    static const char *const flags[] = {"background", "unique",        "sparse",
                                        "dropDups",   "prepareUnique", NULL};
    bson_iter_t it;
    char why[SDB_ERRMSG_MAX];

    for (size_t i = 0; flags[i] != NULL; i++) {
        bson_string_t *v;

        if (!bson_iter_init_find(&it, spec, flags[i]) || BSON_ITER_HOLDS_NUMBER(&it) ||
            BSON_ITER_HOLDS_BOOL(&it))
            continue;
        v = bson_string_new(NULL);
        sdb_bson_text_value(v, bson_iter_value((bson_iter_t *)&it));
        bson_snprintf(why, sizeof(why),
                      "The field '%s has value %s: %s, which is not convertible to bool", flags[i],
                      flags[i], v->str);
        bson_string_free(v, true);
        return spec_error(cmd, SDB_CODE_TypeMismatch, spec, why);
    }
    if (!bson_iter_init_find(&it, spec, "hidden"))
        return 0;
    if (!BSON_ITER_HOLDS_BOOL(&it)) {
        bson_snprintf(why, sizeof(why), "The field 'name' must be a bool, but got %s",
                      wk_cmdu_type_name(bson_iter_type(&it)));
        return spec_error(cmd, SDB_CODE_TypeMismatch, spec, why);
    }
    if (bson_iter_bool(&it) && bson_iter_init_find(&it, spec, "name") &&
        strcmp(bson_iter_utf8(&it, NULL), "_id_") == 0)
        return spec_error(cmd, SDB_CODE_BadValue, spec, "can't hide _id index");
    return 0;
}

/* wildcard_error -- what a wildcard index spec may not have, or NULL (mongod's
 * validateWildcardSpec and its wildcardProjection checks); *code gets the code. */
static const char *
wildcard_error(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key, int *code)
{
    static const char *const refused[] = {"unique", "sparse", "expireAfterSeconds", NULL};
    bool wildcard = false, root = false, seen = false, include = true;
    bson_iter_t it, p;

    bson_iter_init(&it, key);
    while (bson_iter_next(&it)) {
        size_t n = strlen(bson_iter_key(&it));

        if (n >= 3 && strcmp(bson_iter_key(&it) + n - 3, "$**") == 0 &&
            !BSON_ITER_HOLDS_UTF8(&it)) {
            wildcard = true;
            root = n == 3;
        }
    }
    *code = SDB_CODE_CannotCreateIndex;
    for (size_t i = 0; wildcard && refused[i] != NULL; i++) {
        if (!bson_iter_init_find(&it, spec, refused[i]) || (i < 2 && !wk_cmdu_truthy(&it)))
            continue;
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "%sIndex type 'wildcard' does not support the '%s' option",
                      i == 2 ? "cannot make a TTL index :: caused by :: " : "", refused[i]);
        return cmd->err.msg;
    }
    if (!bson_iter_init_find(&it, spec, "wildcardProjection"))
        return NULL;
    *code = SDB_CODE_BadValue;
    if (!wildcard)
        return "The field 'wildcardProjection' is only allowed in 'wildcard' indexes";
    *code = SDB_CODE_TypeMismatch;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                      "The field 'wildcardProjection' must be a non-empty object, but got %s",
                      wk_cmdu_type_name(bson_iter_type(&it)));
        return cmd->err.msg;
    }
    *code = SDB_CODE_FailedToParse;
    if (!root)
        return "The field 'wildcardProjection' is only allowed when 'key' is {\"$**\": ±1} or "
               "{\"$**\": \"columnstore\"}";
    if (bson_iter_recurse(&it, &p) && !bson_iter_next(&p))
        return "The 'wildcardProjection' field can't be an empty object";
    bson_iter_recurse(&it, &p);
    if (bson_count_keys(key) > 1) { /* a compound wildcard index's own rules first */
        const char *why = cwild_projection_error(cmd, key, &p, code);

        if (why != NULL)
            return why;
        bson_iter_recurse(&it, &p);
    }
    while (bson_iter_next(&p)) {
        bool on = bson_iter_as_bool(&p);

        if (strcmp(bson_iter_key(&p), "_id") == 0)
            continue;
        if (seen && on != include) {
            *code = on ? SDB_CODE_Location31254 : SDB_CODE_Location31253;
            bson_snprintf(cmd->err.msg, sizeof(cmd->err.msg),
                          "Failed to parse projection: wildcardProjection :: caused by :: Cannot "
                          "do %s on field %s in %s projection",
                          on ? "inclusion" : "exclusion", bson_iter_key(&p),
                          on ? "exclusion" : "inclusion");
            return cmd->err.msg;
        }
        seen = true;
        include = on;
    }
    return NULL;
}

/* check_wildcard -- wildcard_error as mongod reports it. */
static int
check_wildcard(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key)
{
    char why[SDB_ERRMSG_MAX];
    int code;
    const char *w = wildcard_error(cmd, spec, key, &code);

    if (w == NULL)
        return 0;
    bson_strncpy(why, w, sizeof(why));
    return spec_error(cmd, code, spec, why);
}

/* check_hashed -- a hashed key pattern: one hashed field, never unique (mongod's 31303 and
 * 16764, reported as its hashed access method does, without the spec). */
static int
check_hashed(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key)
{
    bson_iter_t it;
    int n = 0;
    char *str;
    int ret;

    bson_iter_init(&it, key);
    while (bson_iter_next(&it))
        n += BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "hashed") == 0;
    if (n == 0)
        return 0;
    if (n > 1) {
        str = sdb_bson_text_new(key);
        ret = sdb_error_set(&cmd->err, SDB_CODE_Location31303,
                            "A maximum of one index field is allowed to be hashed but found %d "
                            "for 'key' %s",
                            n, str);
        bson_free(str);
        return ret;
    }
    if (bson_iter_init_find(&it, spec, "unique") && wk_cmdu_truthy(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_Location16764,
                             "Currently hashed indexes cannot guarantee uniqueness. Use a regular "
                             "index.");
    return 0;
}

/* check_geo -- a 2d field leads its pattern and has 1..32 bits (mongod's 16801, 16803); a
 * 2dsphere index is version 3, the keys geo/geo_keys.h derives.  *sphere: it is 2dsphere. */
static int
check_geo(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key, bool *sphere)
{
    int field = -1, kind = sdb_geo_pattern_kind(key, &field);
    bson_iter_t it;

    *sphere = kind == SDB_GEO_2DSPHERE;
    if (kind == SDB_GEO_2D && field != 0)
        return sdb_error_set(&cmd->err, SDB_CODE_Location16801, "2d has to be first in index");
    if (kind == SDB_GEO_2D && bson_iter_init_find(&it, spec, "bits") &&
        !(bson_iter_as_double(&it) > 0 && bson_iter_as_double(&it) <= 32))
        return sdb_error_set(&cmd->err, SDB_CODE_Location16803,
                             "bits in geo index must be between 1 and 32");
    if (*sphere && bson_iter_init_find(&it, spec, "2dsphereIndexVersion") &&
        !(BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_double(&it) == 3))
        return sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                             "unsupported geo index version: only 2dsphereIndexVersion 3 is "
                             "supported");
    return 0;
}

/* check_storage -- the spec's storageEngine as mongod's index catalog checks it (a
 * non-empty document, then engine/tablecfg.h); the master has WiredTiger validate the
 * configString and creates the index's table with it. */
static int
check_storage(wk_cmd_t *cmd, const bson_t *spec)
{
    bson_iter_t it;
    bson_t se;

    if (!bson_iter_init_find(&it, spec, "storageEngine"))
        return 0;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                             "\"storageEngine\" options must be a document if present");
    SDB_RET(wk_cmdu_get_doc(cmd, &it, "storageEngine", &se));
    if (bson_empty(&se))
        return sdb_error_set(&cmd->err, SDB_CODE_CannotCreateIndex,
                             "Empty \"storageEngine\" options are invalid. Please remove the "
                             "field or include valid options.");
    return wk_tablecfg_check(&se, &cmd->err);
}

/* check_version -- the spec's v as mongod's validateIndexSpec reads it: a number (14) that is
 * an int (2), 1 or 2 (67 otherwise), and v 1 never with a collation (67); *v gets it (2 when
 * absent). */
static int
check_version(wk_cmd_t *cmd, const bson_t *spec, int32_t *v)
{
    bson_iter_t it;
    char why[SDB_ERRMSG_MAX];
    char *str;
    double d;

    *v = 2;
    if (!bson_iter_init_find(&it, spec, "v"))
        return 0;
    if (!BSON_ITER_HOLDS_NUMBER(&it)) {
        bson_snprintf(why, sizeof(why), "The field 'v' must be a number, but got %s",
                      wk_cmdu_type_name(bson_iter_type(&it)));
        return spec_error(cmd, SDB_CODE_TypeMismatch, spec, why);
    }
    d = bson_iter_as_double(&it);
    if (d != (double)(int32_t)d || d < INT32_MIN || d > INT32_MAX)
        return spec_error(cmd, SDB_CODE_BadValue, spec,
                          "Index version must be representable as a 32-bit integer");
    *v = (int32_t)d;
    str = sdb_bson_text_new(spec);
    if (*v != 1 && *v != 2)
        bson_snprintf(why, sizeof(why),
                      "Invalid index specification %s; cannot create an index with v=%d", str, *v);
    else if (*v == 1 && bson_has_field(spec, "collation"))
        bson_snprintf(why, sizeof(why),
                      "Invalid index specification %s; cannot create an index with the "
                      "'collation' option and v=1",
                      str);
    else
        why[0] = '\0';
    bson_free(str);
    return why[0] != '\0' ? spec_error(cmd, SDB_CODE_CannotCreateIndex, spec, why) : 0;
}

/* check_combos -- mongod's validateIndexSpec refusals of option pairs (67): weights on an
 * index that is not text, unique with prepareUnique. */
static int
check_combos(wk_cmd_t *cmd, const bson_t *spec, const bson_t *key)
{
    bson_iter_t it;
    bool text = false;
    const char *what = NULL;
    char why[SDB_ERRMSG_MAX];
    char *str;

    if (bson_iter_init(&it, key))
        while (bson_iter_next(&it))
            text = text ||
                   (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "text") == 0);
    if (!text && bson_has_field(spec, "weights"))
        what = "the field 'weights' can only be specified with text indexes";
    else if (bson_iter_init_find(&it, spec, "unique") && bson_iter_as_bool(&it) &&
             bson_iter_init_find(&it, spec, "prepareUnique") && bson_iter_as_bool(&it))
        what = "cannot create an index with the 'unique' option and the 'prepareUnique' option";
    if (what == NULL)
        return 0;
    str = sdb_bson_text_new(spec);
    bson_snprintf(why, sizeof(why), "Invalid index specification %s; %s", str, what);
    bson_free(str);
    return spec_error(cmd, SDB_CODE_CannotCreateIndex, spec, why);
}

/* normalize_spec -- {v: 2, key, name, ...rest} from one client spec; the collation spelled
 * out (or the collection's default, coll_default, when it names none). */
static int
normalize_spec(wk_cmd_t *cmd, const bson_iter_t *elem, const bson_t *coll_default, bson_t *out)
{
    bson_t spec, key, coll;
    bson_iter_t it;
    bool have_key = false, have_name = false, have_coll, sphere;
    int32_t version;
    int ret;

    if (!BSON_ITER_HOLDS_DOCUMENT(elem))
        return wk_cmdu_type_error(cmd, "indexes.0", bson_iter_type(elem), "object");
    SDB_RET(wk_cmdu_get_doc(cmd, elem, "indexes.0", &spec));
    SDB_RET(check_fields(cmd, &spec));
    if (bson_iter_init_find(&it, &spec, "key")) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            return spec_error(cmd, SDB_CODE_TypeMismatch, &spec,
                              "The field 'key' must be an object");
        SDB_RET(wk_cmdu_get_doc(cmd, &it, "key", &key));
        SDB_RET(check_key(cmd, &spec, &key));
        have_key = true;
    }
    if (bson_iter_init_find(&it, &spec, "name")) {
        if (!BSON_ITER_HOLDS_UTF8(&it) || bson_iter_utf8(&it, NULL)[0] == '\0')
            return spec_error(cmd, SDB_CODE_TypeMismatch, &spec,
                              "The field 'name' must be a non-empty string");
        have_name = true;
    }
    if (!have_key)
        return spec_error(cmd, SDB_CODE_FailedToParse, &spec,
                          "The 'key' field is a required property of an index specification");
    if (!have_name)
        return spec_error(cmd, SDB_CODE_FailedToParse, &spec,
                          "The 'name' field is a required property of an index specification");
    SDB_RET(check_version(cmd, &spec, &version));
    SDB_RET(check_flags(cmd, &spec));
    SDB_RET(check_storage(cmd, &spec));
    SDB_RET(check_partial(cmd, &spec));
    SDB_RET(check_hashed(cmd, &spec, &key));
    SDB_RET(check_wildcard(cmd, &spec, &key));
    SDB_RET(check_geo(cmd, &spec, &key, &sphere));
    SDB_RET(check_combos(cmd, &spec, &key));
    SDB_RET(collation_spec(cmd, &spec, coll_default, &coll, &have_coll));
    ret = check_collated(cmd, &key, have_coll);
    BSON_APPEND_INT32(out, "v", version); /* 1 only when asked for, as mongod keeps it */
    BSON_APPEND_DOCUMENT(out, "key", &key);
    bson_iter_init_find(&it, &spec, "name");
    wk_cmdu_append_iter_as(out, "name", &it);
    bson_iter_init(&it, &spec);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "v") != 0 && strcmp(k, "key") != 0 && strcmp(k, "name") != 0 &&
            strcmp(k, "ns") != 0 && strcmp(k, "collation") != 0 && known_field(k))
            bson_append_iter(out, k, -1, &it);
    }
    if (have_coll)
        BSON_APPEND_DOCUMENT(out, "collation", &coll);
    if (sphere && !bson_has_field(&spec, "2dsphereIndexVersion"))
        BSON_APPEND_INT32(out, "2dsphereIndexVersion", 3); /* as mongod shows it */
    bson_destroy(&coll);
    return ret != 0 ? ret : wk_text_fix_spec(out, &cmd->err); /* text: as mongod stores it */
}

/* build_specs -- the normalized specs array; 2 BadValue when there are none. */
static int
build_specs(wk_cmd_t *cmd, const bson_t *coll_default, bson_t *arr)
{
    bson_iter_t it, el;
    uint32_t n = 0;

    if (!bson_iter_init_find(&it, cmd->body, "indexes"))
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field 'createIndexes.indexes' is missing but a required field");
    if (!BSON_ITER_HOLDS_ARRAY(&it))
        return wk_cmdu_type_error(cmd, "indexes", bson_iter_type(&it), "array");
    bson_iter_recurse(&it, &el);
    while (bson_iter_next(&el)) {
        bson_t spec = BSON_INITIALIZER;
        char key[16];
        const char *k;
        int ret = normalize_spec(cmd, &el, coll_default, &spec);

        if (ret == 0) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(arr, k, &spec);
        }
        bson_destroy(&spec);
        SDB_RET(ret);
    }
    if (n == 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "Must specify at least one index to create");
    return 0;
}

/* default_collation -- the collection's default collation (its options' collation, stored
 * spelled out), empty when it has none or does not exist yet. */
static int
default_collation(wk_cmd_t *cmd, const char *ns, bson_t *out)
{
    const wk_coll_info_t *ci;
    bson_iter_t it;

    SDB_RET(wk_cmdu_refresh(&cmd->err));
    ci = wk_catalog_find(ns);
    if (ci != NULL && bson_iter_init_find(&it, &ci->options, "collation") &&
        BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t d;

        SDB_RET(wk_cmdu_get_doc(cmd, &it, "collation", &d));
        bson_concat(out, &d);
    }
    return 0;
}

/* check_commit_quorum -- commitQuorum against this one-member set, as mongod's
 * checkIfCommitQuorumCanBeSatisfied: a number of nodes up to 1, "majority", "votingMembers"
 * (every build here commits on this node alone); more nodes 278, another tag 79. */
static int
check_commit_quorum(wk_cmd_t *cmd)
{
    bson_iter_t it;
    const char *mode;

    if (!bson_iter_init_find(&it, cmd->body, "commitQuorum"))
        return 0;
    if (BSON_ITER_HOLDS_NUMBER(&it)) {
        if (bson_iter_as_int64(&it) < 0)
            return sdb_error_set(&cmd->err, SDB_CODE_FailedToParse,
                                 "commitQuorum has to be a non-negative number");
        if (bson_iter_as_int64(&it) > 1)
            return sdb_error_set(&cmd->err, SDB_CODE_UnsatisfiableCommitQuorum,
                                 "Commit quorum cannot be satisfied with the current replica set "
                                 "configuration");
        return 0;
    }
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return wk_cmdu_type_error(cmd, "commitQuorum", bson_iter_type(&it), "[int, string]");
    mode = bson_iter_utf8(&it, NULL);
    if (strcmp(mode, "majority") == 0 || strcmp(mode, "votingMembers") == 0)
        return 0;
    return sdb_error_set(&cmd->err, SDB_CODE_UnknownReplWriteConcern,
                         "No write concern mode named '%s' found in replica set configuration",
                         mode);
}

/* wk_cmd_create_indexes -- {createIndexes: coll, indexes: [spec...]} ->
 * {numIndexesBefore, numIndexesAfter, createdCollectionAutomatically | note}. */
int
wk_cmd_create_indexes(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"indexes",
                                         "commitQuorum",
                                         "ignoreUnknownIndexOptions",
                                         "isTimeseriesNamespace",
                                         "collectionUUID",
                                         NULL};
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER, specs = BSON_INITIALIZER;
    bson_t coll_default = BSON_INITIALIZER;
    wk_write_concern_t wc;
    char ns[WK_NS_MAX];
    bson_iter_t it;
    int64_t before = 0, after = 0;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(wk_cmdu_check_timeseries_ns(cmd));
    SDB_ERR(check_commit_quorum(cmd));
    SDB_ERR(wk_cmdu_check_uuid(cmd, ns));
    SDB_ERR(wk_view_refuse_write(cmd, ns));
    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    SDB_ERR(default_collation(cmd, ns, &coll_default));
    SDB_ERR(build_specs(cmd, &coll_default, &specs));
    SDB_ERR(wk_text_check_one(wk_catalog_find(ns), &specs, &cmd->err));
    SDB_ERR(wk_ttl_check_specs(cmd));
    SDB_ERR(wk_capped_check_ttl(cmd, ns, &specs));
    BSON_APPEND_UTF8(&req, "ns", ns);
    BSON_APPEND_ARRAY(&req, "indexes", &specs);
    wk_op_append_xact(&cmd->op, &req);
    BSON_APPEND_INT64(&req, "opid", cmd->op.opid); /* killOp reaches the build through these */
    BSON_APPEND_INT64(&req, "killSeq", (int64_t)cmd->op.op_kill_seq);
    SDB_ERR(wk_cmdu_store(SDB_OP_CREATE_INDEXES, &req, &reply, &cmd->err));
    if (bson_iter_init_find(&it, &reply, "numIndexesBefore"))
        before = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, &reply, "numIndexesAfter"))
        after = bson_iter_as_int64(&it);
    BSON_APPEND_INT32(cmd->reply, "numIndexesBefore", (int32_t)before);
    BSON_APPEND_INT32(cmd->reply, "numIndexesAfter", (int32_t)after);
    if (before == after) {
        BSON_APPEND_UTF8(cmd->reply, "note", "all indexes already exist");
    } else {
        BSON_APPEND_BOOL(cmd->reply, "createdCollectionAutomatically",
                         bson_iter_init_find(&it, &reply, "createdCollectionAutomatically") &&
                             bson_iter_as_bool(&it));
    }
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    bson_destroy(&specs);
    bson_destroy(&coll_default);
    return ret;
}

/* is_id_index -- "_id_" or {_id: 1}. */
static bool
is_id_index(const bson_iter_t *it)
{
    bson_iter_t k;

    if (BSON_ITER_HOLDS_UTF8(it))
        return strcmp(bson_iter_utf8(it, NULL), "_id_") == 0;
    if (BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &k) && bson_iter_next(&k) &&
        strcmp(bson_iter_key(&k), "_id") == 0 && !bson_iter_next(&k))
        return true;
    return false;
}

/* drop_one -- DROP_INDEXES for one name, "*" or pattern; *was gets nIndexesWas. */
static int
drop_one(wk_cmd_t *cmd, const char *ns, const bson_iter_t *index, int64_t *was)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it;
    int ret = 0;

    if (!BSON_ITER_HOLDS_UTF8(index) && !BSON_ITER_HOLDS_DOCUMENT(index))
        SDB_ERR(wk_cmdu_type_error(cmd, "index", bson_iter_type(index), "[string, object, array]"));
    if (is_id_index(index))
        SDB_ERR(sdb_error_set(&cmd->err, SDB_CODE_InvalidOptions, "cannot drop _id index"));
    BSON_APPEND_UTF8(&req, "ns", ns);
    wk_cmdu_append_iter_as(&req, "index", index);
    SDB_ERR(wk_cmdu_store(SDB_OP_DROP_INDEXES, &req, &reply, &cmd->err));
    if (bson_iter_init_find(&it, &reply, "nIndexesWas"))
        *was = bson_iter_as_int64(&it);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* wk_cmd_drop_indexes -- {dropIndexes: coll, index: name | "*" | pattern | [names]} ->
 * {nIndexesWas[, msg]}. */
int
wk_cmd_drop_indexes(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"index", "collectionUUID", "isTimeseriesNamespace", NULL};
    char ns[WK_NS_MAX];
    bson_iter_t it, el;
    int64_t was = 0, w;
    bool first = true;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(wk_cmdu_check_timeseries_ns(cmd));
    SDB_ERR(wk_cmdu_check_uuid(cmd, ns));
    SDB_ERR(wk_view_refuse_write(cmd, ns));
    if (!bson_iter_init_find(&it, cmd->body, "index"))
        SDB_ERR(sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                              "BSON field 'dropIndexes.index' is missing but a required field"));
    if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_recurse(&it, &el);
        while (bson_iter_next(&el)) {
            SDB_ERR(drop_one(cmd, ns, &el, &w));
            was = first ? w : was;
            first = false;
        }
    } else {
        SDB_ERR(drop_one(cmd, ns, &it, &was));
    }
    BSON_APPEND_INT32(cmd->reply, "nIndexesWas", (int32_t)was);
    if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "*") == 0)
        BSON_APPEND_UTF8(cmd->reply, "msg", "non-_id indexes dropped for collection");
err:
    return ret;
}

/* wk_cmd_search_indexes -- createSearchIndexes, updateSearchIndex, dropSearchIndex: always
 * CommandNotSupported, as mongod 7.0 answers when searchIndexManagementHostAndPort is unset
 * (drivers' index-management tests expect "Atlas" in the message). */
int
wk_cmd_search_indexes(wk_cmd_t *cmd)
{
    return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupported,
                         "Search index commands are only supported with Atlas.");
}
