/*
 * src/worker/query/jsonschema.c -- the $jsonSchema query operator (MongoDB's JSON Schema
 * draft 4 subset used by validators).
 *
 * A schema is parsed into a tree of wk_schema_t: type/bsonType, required, properties,
 * additionalProperties (bool or schema), minimum/maximum (exclusive variants),
 * minLength/maxLength, pattern (PCRE2), enum, items (one schema for every element),
 * minItems/maxItems, uniqueItems, minProperties/maxProperties, title/description (ignored).
 * As in JSON Schema, a keyword that concerns another type is ignored (minimum does not
 * reject a string).  A document matches when the root schema accepts it as an object.
 *
 * Invariants: a parsed schema is immutable; matching is pure and allocates only for regex
 * and uniqueness checks.
 */
#include <math.h>
#include <string.h>

#include "../../common/bsoncmp.h"
#include "../../common/depth.h"
#include "../../common/sdb.h"
#include "expr_int.h"
#include "matcher_int.h"

struct wk_schema {
    uint64_t types; /* bit per bson_type_t; 0 = any */
    bool t_number;
    char **required;
    size_t n_required;
    char **prop_names;
    wk_schema_t **props;
    size_t n_props;
    int addl; /* -1 unset, 0 false, 1 true */
    wk_schema_t *addl_schema;
    bool has_min, has_max, excl_min, excl_max;
    double min, max;
    int64_t min_len, max_len, min_items, max_items, min_props, max_props; /* -1 unset */
    bool has_pattern;
    wk_regex_t pattern;
    bson_value_t *enums;
    size_t n_enum;
    wk_schema_t *items;
    bool unique;
};

void
wk_schema_free(wk_schema_t *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n_required; i++)
        bson_free(s->required[i]);
    bson_free(s->required);
    for (i = 0; i < s->n_props; i++) {
        bson_free(s->prop_names[i]);
        wk_schema_free(s->props[i]);
    }
    bson_free(s->prop_names);
    bson_free(s->props);
    wk_schema_free(s->addl_schema);
    wk_regex_destroy(&s->pattern);
    for (i = 0; i < s->n_enum; i++)
        bson_value_destroy(&s->enums[i]);
    bson_free(s->enums);
    wk_schema_free(s->items);
    bson_free(s);
}

/* add_type -- one type / bsonType name. */
static int
add_type(wk_schema_t *s, const char *name, bool json, sdb_error_t *err)
{
    static const struct {
        const char *name;
        int type;
        bool json;
    } names[] = {
        {"object", 3, true},
        {"array", 4, true},
        {"string", 2, true},
        {"boolean", 8, true},
        {"null", 10, true},
        {"number", -1, true},
        {"double", 1, false},
        {"binData", 5, false},
        {"undefined", 6, false},
        {"objectId", 7, false},
        {"bool", 8, false},
        {"date", 9, false},
        {"regex", 11, false},
        {"dbPointer", 12, false},
        {"javascript", 13, false},
        {"symbol", 14, false},
        {"javascriptWithScope", 15, false},
        {"int", 16, false},
        {"timestamp", 17, false},
        {"long", 18, false},
        {"decimal", 19, false},
        {"minKey", 255, false},
        {"maxKey", 127, false},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].name, name) != 0 || (json && !names[i].json))
            continue;
        if (names[i].type == -1)
            s->t_number = true;
        else if (names[i].type == 255 || names[i].type == 127)
            s->types |= (uint64_t)1 << (names[i].type == 255 ? 62 : 63);
        else
            s->types |= (uint64_t)1 << names[i].type;
        return 0;
    }
    if (json && strcmp(name, "integer") == 0)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$jsonSchema type 'integer' is not currently supported.");
    return sdb_error_set(err, SDB_CODE_BadValue, "Unknown type name alias: %s", name);
}

static int
parse_types(wk_schema_t *s, const bson_iter_t *it, bool json, sdb_error_t *err)
{
    bson_iter_t child;

    if (BSON_ITER_HOLDS_UTF8(it))
        return add_type(s, bson_iter_utf8(it, NULL), json, err);
    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "$jsonSchema keyword '%s' must be "
                             "either a string or an array of strings",
                             json ? "type" : "bsonType");
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "$jsonSchema type names must be "
                                 "strings");
        SDB_RET(add_type(s, bson_iter_utf8(&child, NULL), json, err));
    }
    return 0;
}

static int
parse_count(const bson_iter_t *it, int64_t *out, sdb_error_t *err)
{
    double d;

    if (!BSON_ITER_HOLDS_NUMBER(it))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "$jsonSchema keyword '%s' must be a "
                             "number",
                             bson_iter_key(it));
    d = bson_iter_as_double(it);
    if (d < 0 || d != floor(d))
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$jsonSchema keyword '%s' must be a "
                             "non-negative integer",
                             bson_iter_key(it));
    *out = (int64_t)d;
    return 0;
}

static int
parse_properties(wk_schema_t *s, const bson_iter_t *it, int depth, sdb_error_t *err)
{
    bson_iter_t child;
    wk_schema_t *sub;

    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &child))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "$jsonSchema keyword 'properties' must "
                             "be an object");
    while (bson_iter_next(&child)) {
        SDB_RET(wk_schema_parse(&child, depth + 2, &sub, err));
        s->prop_names = bson_realloc(s->prop_names, sizeof(char *) * (s->n_props + 1));
        s->props = bson_realloc(s->props, sizeof(*s->props) * (s->n_props + 1));
        s->prop_names[s->n_props] = bson_strdup(bson_iter_key(&child));
        s->props[s->n_props++] = sub;
    }
    return 0;
}

static int
parse_list(const bson_iter_t *it, bool strings, wk_schema_t *s, sdb_error_t *err)
{
    bson_iter_t child;

    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child))
        return sdb_error_set(err, SDB_CODE_TypeMismatch,
                             "$jsonSchema keyword '%s' must be an "
                             "array",
                             bson_iter_key(it));
    while (bson_iter_next(&child)) {
        if (strings) {
            if (!BSON_ITER_HOLDS_UTF8(&child))
                return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                     "$jsonSchema keyword 'required' "
                                     "must be an array of strings");
            s->required = bson_realloc(s->required, sizeof(char *) * (s->n_required + 1));
            s->required[s->n_required++] = bson_strdup(bson_iter_utf8(&child, NULL));
        } else {
            s->enums = bson_realloc(s->enums, sizeof(*s->enums) * (s->n_enum + 1));
            bson_value_copy(bson_iter_value(&child), &s->enums[s->n_enum++]);
        }
    }
    if (strings ? s->n_required == 0 : s->n_enum == 0)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "$jsonSchema keyword '%s' cannot be an "
                             "empty array",
                             bson_iter_key(it));
    return 0;
}

/* parse_keyword -- one keyword of a schema object at level `depth`. */
static int
parse_keyword(wk_schema_t *s, const bson_iter_t *it, int depth, sdb_error_t *err)
{
    const char *k = bson_iter_key(it);

    if (strcmp(k, "type") == 0 || strcmp(k, "bsonType") == 0)
        return parse_types(s, it, k[0] == 't', err);
    if (strcmp(k, "required") == 0)
        return parse_list(it, true, s, err);
    if (strcmp(k, "enum") == 0)
        return parse_list(it, false, s, err);
    if (strcmp(k, "properties") == 0)
        return parse_properties(s, it, depth, err);
    if (strcmp(k, "additionalProperties") == 0) {
        if (BSON_ITER_HOLDS_BOOL(it)) {
            s->addl = bson_iter_bool(it);
            return 0;
        }
        return wk_schema_parse(it, depth + 1, &s->addl_schema, err);
    }
    if (strcmp(k, "items") == 0)
        return wk_schema_parse(it, depth + 1, &s->items, err);
    if (strcmp(k, "minimum") == 0 || strcmp(k, "maximum") == 0) {
        if (!BSON_ITER_HOLDS_NUMBER(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "$jsonSchema keyword '%s' must be a "
                                 "number",
                                 k);
        if (k[1] == 'i') {
            s->has_min = true;
            s->min = bson_iter_as_double(it);
        } else {
            s->has_max = true;
            s->max = bson_iter_as_double(it);
        }
        return 0;
    }
    if (strcmp(k, "exclusiveMinimum") == 0 || strcmp(k, "exclusiveMaximum") == 0) {
        if (k[9] == 'i')
            s->excl_min = bson_iter_as_bool(it);
        else
            s->excl_max = bson_iter_as_bool(it);
        return 0;
    }
    if (strcmp(k, "minLength") == 0)
        return parse_count(it, &s->min_len, err);
    if (strcmp(k, "maxLength") == 0)
        return parse_count(it, &s->max_len, err);
    if (strcmp(k, "minItems") == 0)
        return parse_count(it, &s->min_items, err);
    if (strcmp(k, "maxItems") == 0)
        return parse_count(it, &s->max_items, err);
    if (strcmp(k, "minProperties") == 0)
        return parse_count(it, &s->min_props, err);
    if (strcmp(k, "maxProperties") == 0)
        return parse_count(it, &s->max_props, err);
    if (strcmp(k, "uniqueItems") == 0) {
        s->unique = bson_iter_as_bool(it);
        return 0;
    }
    if (strcmp(k, "pattern") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it))
            return sdb_error_set(err, SDB_CODE_TypeMismatch,
                                 "$jsonSchema keyword 'pattern' must "
                                 "be a string");
        s->has_pattern = true;
        return wk_regex_compile(bson_iter_utf8(it, NULL), "", &s->pattern, err);
    }
    if (strcmp(k, "title") == 0 || strcmp(k, "description") == 0)
        return 0;
    return sdb_error_set(err, SDB_CODE_FailedToParse, "Unknown $jsonSchema keyword: %s", k);
}

int
wk_schema_parse(const bson_iter_t *it, int depth, wk_schema_t **out, sdb_error_t *err)
{
    wk_schema_t *s;
    bson_iter_t child;
    int ret = 0;

    *out = NULL;
    SDB_DEPTH_CHECK(depth, err, "$jsonSchema");
    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &child))
        return sdb_error_set(err, SDB_CODE_TypeMismatch, "$jsonSchema must be an object");
    s = bson_malloc0(sizeof(*s));
    s->addl = -1;
    s->min_len = s->max_len = s->min_items = s->max_items = s->min_props = s->max_props = -1;
    while (bson_iter_next(&child))
        SDB_ERR(parse_keyword(s, &child, depth, err));
    *out = s;
    return 0;
err:
    wk_schema_free(s);
    return ret;
}

/* ---- validation -------------------------------------------------------------------------- */

static bool value_ok(const wk_schema_t *s, const bson_iter_t *it);

static bool
type_ok(const wk_schema_t *s, bson_type_t t)
{
    int bit = t == BSON_TYPE_MINKEY ? 62 : t == BSON_TYPE_MAXKEY ? 63 : (int)t;

    if (s->types == 0 && !s->t_number)
        return true;
    if (s->t_number && (t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE ||
                        t == BSON_TYPE_DECIMAL128))
        return true;
    return bit < 64 && (s->types & ((uint64_t)1 << bit)) != 0;
}

/* utf8_len -- code points in a UTF-8 string. */
static int64_t
utf8_len(const char *p, uint32_t len)
{
    int64_t n = 0;
    uint32_t i;

    for (i = 0; i < len; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static bool
object_ok(const wk_schema_t *s, const bson_iter_t *it)
{
    bson_iter_t child;
    size_t i;
    int64_t count = 0;

    for (i = 0; i < s->n_required; i++)
        if (!bson_iter_recurse(it, &child) || !bson_iter_find(&child, s->required[i]))
            return false;
    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        const char *k = bson_iter_key(&child);
        count++;
        for (i = 0; i < s->n_props; i++)
            if (strcmp(s->prop_names[i], k) == 0)
                break;
        if (i < s->n_props) {
            if (!value_ok(s->props[i], &child))
                return false;
        } else if (s->addl == 0) {
            return false;
        } else if (s->addl_schema != NULL && !value_ok(s->addl_schema, &child)) {
            return false;
        }
    }
    return (s->min_props < 0 || count >= s->min_props) &&
           (s->max_props < 0 || count <= s->max_props);
}

static bool
array_ok(const wk_schema_t *s, const bson_iter_t *it)
{
    bson_iter_t child, other;
    int64_t count = 0, j, k;

    bson_iter_recurse(it, &child);
    while (bson_iter_next(&child)) {
        if (s->items != NULL && !value_ok(s->items, &child))
            return false;
        if (s->unique) {
            bson_iter_recurse(it, &other);
            for (k = 0; k < count && bson_iter_next(&other); k++)
                if (sdb_bson_iter_cmp(&other, &child) == 0)
                    return false;
        }
        count++;
    }
    j = count;
    return (s->min_items < 0 || j >= s->min_items) && (s->max_items < 0 || j <= s->max_items);
}

static bool
value_ok(const wk_schema_t *s, const bson_iter_t *it)
{
    bson_type_t t = bson_iter_type(it);
    const char *str;
    uint32_t len;
    double d;
    size_t i;
    bool found;

    if (!type_ok(s, t))
        return false;
    if (s->n_enum > 0) {
        for (i = 0, found = false; i < s->n_enum && !found; i++)
            found = sdb_bson_value_cmp(bson_iter_value((bson_iter_t *)it), &s->enums[i]) == 0;
        if (!found)
            return false;
    }
    if (BSON_ITER_HOLDS_NUMBER(it)) {
        d = bson_iter_as_double(it);
        if (s->has_min && (s->excl_min ? d <= s->min : d < s->min))
            return false;
        if (s->has_max && (s->excl_max ? d >= s->max : d > s->max))
            return false;
    } else if (t == BSON_TYPE_UTF8) {
        str = bson_iter_utf8(it, &len);
        if ((s->min_len >= 0 && utf8_len(str, len) < s->min_len) ||
            (s->max_len >= 0 && utf8_len(str, len) > s->max_len))
            return false;
        if (s->has_pattern && !wk_regex_match(&s->pattern, str, len))
            return false;
    } else if (t == BSON_TYPE_DOCUMENT) {
        return object_ok(s, it);
    } else if (t == BSON_TYPE_ARRAY) {
        return array_ok(s, it);
    }
    return true;
}

bool
wk_schema_matches(const wk_schema_t *s, const bson_t *doc)
{
    bson_t wrap;
    bson_iter_t it;
    bool r = false;

    bson_init(&wrap);
    bson_append_document(&wrap, "d", 1, doc);
    if (bson_iter_init_find(&it, &wrap, "d"))
        r = value_ok(s, &it);
    bson_destroy(&wrap);
    return r;
}
