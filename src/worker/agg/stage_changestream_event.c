/*
 * src/worker/agg/stage_changestream_event.c -- oplog entries into change events.
 *
 * Entries have mongod's shape (master/oplog.h).  "i", "u" and "d" entries become insert,
 * update (o = {$v: 2, diff}), replace (o = the whole new document) and delete events; "c"
 * entries on "<db>.$cmd" become drop, rename, dropDatabase and, with showExpandedEvents,
 * create, createIndexes, dropIndexes and modify; an applyOps entry (a committed transaction)
 * becomes one event per operation, each with the entry's lsid, txnNumber and clusterTime and
 * its index as txnOpIndex in the resume token.  A stream on a collection ends with an
 * invalidate after its collection is dropped or renamed, a stream on a database after the
 * database is dropped.  Internal databases (admin, config, local) and system collections are
 * never reported.  updateDescription is read from the diff as mongod's change-stream diff
 * parser reads it.  Pure functions of the entry and the stream's options.
 */
#include "stage_changestream.h"

#include <stdio.h>
#include <string.h>

/* ---- event vector ---------------------------------------------------------------------- */

static wk_cs_event_t *
push_event(wk_cs_events_t *e)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->v = bson_realloc(e->v, e->cap * sizeof(*e->v));
    }
    memset(&e->v[e->n], 0, sizeof(e->v[0]));
    e->v[e->n].doc = bson_new();
    return &e->v[e->n++];
}

void
wk_cs_events_free(wk_cs_events_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        if (e->v[i].doc != NULL)
            bson_destroy(e->v[i].doc);
        if (e->v[i].key.value_type != BSON_TYPE_EOD)
            bson_value_destroy(&e->v[i].key);
    }
    bson_free(e->v);
    memset(e, 0, sizeof(*e));
}

/* ---- scope ----------------------------------------------------------------------------- */

static bool
internal_db(const char *db, size_t n)
{
    return (n == 5 && strncmp(db, "admin", 5) == 0) || (n == 6 && strncmp(db, "config", 6) == 0) ||
           (n == 5 && strncmp(db, "local", 5) == 0);
}

/* in_scope -- whether namespace db.coll (coll NULL: the database itself) is watched. */
static bool
in_scope(const wk_cs_t *cs, const char *db, size_t dblen, const char *coll)
{
    if (internal_db(db, dblen) || (coll != NULL && strncmp(coll, "system.", 7) == 0))
        return false;
    if (cs->all)
        return true;
    if (strlen(cs->db) != dblen || strncmp(cs->db, db, dblen) != 0)
        return false;
    if (cs->coll[0] == '\0')
        return true;
    return coll != NULL && strcmp(cs->coll, coll) == 0;
}

/* split -- "db.coll" into its parts; false without a dot. */
static bool
split(const char *ns, size_t *dblen, const char **coll)
{
    const char *dot = strchr(ns, '.');

    if (dot == NULL)
        return false;
    *dblen = (size_t)(dot - ns);
    *coll = dot + 1;
    return true;
}

/* ---- common fields --------------------------------------------------------------------- */

/* An entry's shared facts. */
typedef struct entry_ctx {
    uint64_t ts;
    int64_t wall;
    bson_iter_t lsid, txn;
    bool has_lsid, has_txn;
} entry_ctx_t;

static void
append_ns(bson_t *b, const char *key, const char *db, size_t dblen, const char *coll)
{
    bson_t ns;

    bson_append_document_begin(b, key, -1, &ns);
    bson_append_utf8(&ns, "db", 2, db, (int)dblen);
    if (coll != NULL)
        BSON_APPEND_UTF8(&ns, "coll", coll);
    bson_append_document_end(b, &ns);
}

/* begin_event -- _id, operationType, clusterTime, wallTime, collectionUUID, lsid, txnNumber. */
static wk_cs_event_t *
begin_event(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, uint32_t idx,
            const char *type, bool from_invalidate, wk_cs_events_t *out)
{
    wk_cs_event_t *ev = push_event(out);
    bson_iter_t it;
    const uint8_t *uuid = NULL;
    bson_subtype_t st;
    uint32_t len = 0;

    ev->tok.ts = ec->ts;
    ev->tok.type = SDB_RTOKEN_EVENT;
    ev->tok.op_index = idx;
    ev->tok.from_invalidate = from_invalidate;
    if (bson_iter_init_find(&it, op, "ui") && BSON_ITER_HOLDS_BINARY(&it)) {
        bson_iter_binary(&it, &st, &len, &uuid);
        if (len == 16) {
            ev->tok.has_uuid = true;
            memcpy(ev->tok.uuid, uuid, 16);
        }
    }
    sdb_rtoken_append(ev->doc, "_id", &ev->tok);
    BSON_APPEND_UTF8(ev->doc, "operationType", type);
    BSON_APPEND_TIMESTAMP(ev->doc, "clusterTime", (uint32_t)(ec->ts >> 32), (uint32_t)ec->ts);
    BSON_APPEND_DATE_TIME(ev->doc, "wallTime", ec->wall);
    if (cs->expanded && ev->tok.has_uuid && !from_invalidate)
        BSON_APPEND_BINARY(ev->doc, "collectionUUID", BSON_SUBTYPE_UUID, ev->tok.uuid, 16);
    if (ec->has_lsid)
        bson_append_iter(ev->doc, "lsid", 4, &ec->lsid);
    if (ec->has_txn)
        bson_append_iter(ev->doc, "txnNumber", 9, &ec->txn);
    return ev;
}

bool
wk_cs_view(const bson_t *b, const char *key, bson_t *out)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    if (!bson_iter_init_find(&it, b, key))
        return false;
    if (BSON_ITER_HOLDS_DOCUMENT(&it))
        bson_iter_document(&it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(&it))
        bson_iter_array(&it, &len, &data);
    else
        return false;
    return bson_init_static(out, data, len);
}

static const char *
get_str(const bson_t *b, const char *key)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, b, key) || !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

/* ---- updateDescription ----------------------------------------------------------------- */

#define UD_DEPTH_MAX 128

/* A path being walked: its components, and which of them are array indexes. */
typedef struct ud_path {
    const char *part[UD_DEPTH_MAX];
    bool index[UD_DEPTH_MAX];
    int n;
} ud_path_t;

typedef struct ud {
    bson_t updated, removed, truncated, disamb;
    uint32_t nremoved, ntrunc;
} ud_t;

static void
path_string(const ud_path_t *p, const char *last, char *buf, size_t cap)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = 0; i <= p->n && off < cap; i++) {
        const char *s = i < p->n ? p->part[i] : last;
        if (s == NULL)
            break;
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i > 0 ? "." : "", s);
    }
}

static bool
numeric(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* note_path -- record disambiguatedPaths[path] when a field name in it is numeric or dotted. */
static void
note_path(ud_t *ud, const ud_path_t *p, const char *last, bool last_index, const char *dotted)
{
    bool ambiguous = false;
    bson_t arr;
    char key[16];
    const char *k;

    for (int i = 0; i <= p->n; i++) {
        const char *s = i < p->n ? p->part[i] : last;
        bool ix = i < p->n ? p->index[i] : last_index;
        if (!ix && (numeric(s) || strchr(s, '.') != NULL))
            ambiguous = true;
    }
    if (!ambiguous)
        return;
    bson_append_array_begin(&ud->disamb, dotted, -1, &arr);
    for (int i = 0; i <= p->n; i++) {
        const char *s = i < p->n ? p->part[i] : last;
        bool ix = i < p->n ? p->index[i] : last_index;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
        if (ix)
            bson_append_int32(&arr, k, -1, (int32_t)strtol(s, NULL, 10));
        else
            bson_append_utf8(&arr, k, -1, s, -1);
    }
    bson_append_array_end(&ud->disamb, &arr);
}

static void ud_walk(const bson_t *diff, ud_path_t *p, ud_t *ud);

/* ud_value -- one updated (or inserted) field. */
static void
ud_updated(ud_t *ud, ud_path_t *p, const char *name, bool index, const bson_iter_t *v)
{
    char dotted[4096];

    path_string(p, name, dotted, sizeof(dotted));
    bson_append_iter(&ud->updated, dotted, -1, v);
    note_path(ud, p, name, index, dotted);
}

static void
ud_child(ud_t *ud, ud_path_t *p, const char *name, bool index, const bson_iter_t *v)
{
    bson_t sub;
    const uint8_t *data;
    uint32_t len;

    if (!BSON_ITER_HOLDS_DOCUMENT(v) || p->n >= UD_DEPTH_MAX)
        return;
    bson_iter_document(v, &len, &data);
    if (!bson_init_static(&sub, data, len))
        return;
    p->part[p->n] = name;
    p->index[p->n] = index;
    p->n++;
    ud_walk(&sub, p, ud);
    p->n--;
}

/* ud_array -- an array diff {a: true, l?, u<k>, s<k>}. */
static void
ud_array(const bson_t *diff, ud_path_t *p, ud_t *ud)
{
    bson_iter_t it;
    char dotted[4096], key[16];
    const char *k;

    bson_iter_init(&it, diff);
    while (bson_iter_next(&it)) {
        const char *name = bson_iter_key(&it);
        if (strcmp(name, "l") == 0) {
            bson_t t;
            path_string(p, NULL, dotted, sizeof(dotted));
            bson_uint32_to_string(ud->ntrunc++, &k, key, sizeof(key));
            bson_append_document_begin(&ud->truncated, k, -1, &t);
            BSON_APPEND_UTF8(&t, "field", dotted);
            BSON_APPEND_INT32(&t, "newSize", (int32_t)bson_iter_as_int64(&it));
            bson_append_document_end(&ud->truncated, &t);
        } else if (name[0] == 'u' && numeric(name + 1)) {
            ud_updated(ud, p, name + 1, true, &it);
        } else if (name[0] == 's' && numeric(name + 1)) {
            ud_child(ud, p, name + 1, true, &it);
        }
    }
}

static void
ud_walk(const bson_t *diff, ud_path_t *p, ud_t *ud)
{
    bson_iter_t it, f;
    char dotted[4096], key[16];
    const char *k;

    if (bson_iter_init_find(&it, diff, "a") && BSON_ITER_HOLDS_BOOL(&it)) {
        ud_array(diff, p, ud);
        return;
    }
    bson_iter_init(&it, diff);
    while (bson_iter_next(&it)) {
        const char *name = bson_iter_key(&it);
        if ((strcmp(name, "u") == 0 || strcmp(name, "i") == 0) && bson_iter_recurse(&it, &f)) {
            while (bson_iter_next(&f))
                ud_updated(ud, p, bson_iter_key(&f), false, &f);
        } else if (strcmp(name, "d") == 0 && bson_iter_recurse(&it, &f)) {
            while (bson_iter_next(&f)) {
                path_string(p, bson_iter_key(&f), dotted, sizeof(dotted));
                bson_uint32_to_string(ud->nremoved++, &k, key, sizeof(key));
                bson_append_utf8(&ud->removed, k, -1, dotted, -1);
                note_path(ud, p, bson_iter_key(&f), false, dotted);
            }
        } else if (name[0] == 's') {
            ud_child(ud, p, name + 1, false, &it);
        }
    }
}

/* append_update_description -- updateDescription of a $v:2 `o`. */
static void
append_update_description(const wk_cs_t *cs, const bson_t *o, bson_t *ev)
{
    ud_path_t p = {.n = 0};
    ud_t ud;
    bson_t diff, d;

    bson_init(&ud.updated);
    bson_init(&ud.removed);
    bson_init(&ud.truncated);
    bson_init(&ud.disamb);
    ud.nremoved = ud.ntrunc = 0;
    if (wk_cs_view(o, "diff", &diff))
        ud_walk(&diff, &p, &ud);
    BSON_APPEND_DOCUMENT_BEGIN(ev, "updateDescription", &d);
    BSON_APPEND_DOCUMENT(&d, "updatedFields", &ud.updated);
    BSON_APPEND_ARRAY(&d, "removedFields", &ud.removed);
    BSON_APPEND_ARRAY(&d, "truncatedArrays", &ud.truncated);
    if (cs->expanded)
        BSON_APPEND_DOCUMENT(&d, "disambiguatedPaths", &ud.disamb);
    bson_append_document_end(ev, &d);
    bson_destroy(&ud.updated);
    bson_destroy(&ud.removed);
    bson_destroy(&ud.truncated);
    bson_destroy(&ud.disamb);
}

/* ---- CRUD ------------------------------------------------------------------------------ */

static void
crud_event(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, uint32_t idx,
           wk_cs_events_t *out)
{
    const char *opname = get_str(op, "op"), *ns = get_str(op, "ns"), *coll, *type;
    bson_t o, o2, key;
    bson_iter_t it;
    size_t dblen;
    wk_cs_event_t *ev;
    bool is_update;

    if (opname == NULL || ns == NULL || !split(ns, &dblen, &coll) ||
        !in_scope(cs, ns, dblen, coll) || !wk_cs_view(op, "o", &o))
        return;
    if (strcmp(opname, "i") == 0)
        type = "insert";
    else if (strcmp(opname, "d") == 0)
        type = "delete";
    else if (strcmp(opname, "u") == 0)
        type = bson_iter_init_find(&it, &o, "$v") ? "update" : "replace";
    else
        return;
    is_update = strcmp(type, "update") == 0;
    ev = begin_event(cs, ec, op, idx, type, false, out);
    snprintf(ev->ns, sizeof(ev->ns), "%s", ns);
    if (strcmp(opname, "i") == 0 || strcmp(type, "replace") == 0)
        BSON_APPEND_DOCUMENT(ev->doc, "fullDocument", &o);
    append_ns(ev->doc, "ns", ns, dblen, coll);
    if (!wk_cs_view(op, strcmp(opname, "d") == 0 ? "o" : "o2", &key))
        wk_cs_view(op, "o", &key);
    bson_init(&o2);
    if (bson_iter_init_find(&it, &key, "_id")) {
        bson_append_iter(&o2, "_id", 3, &it);
        bson_value_copy(bson_iter_value(&it), &ev->key);
    }
    BSON_APPEND_DOCUMENT(ev->doc, "documentKey", &o2);
    bson_destroy(&o2);
    if (is_update)
        append_update_description(cs, &o, ev->doc);
    ev->want_pre = strcmp(opname, "i") != 0 && cs->before != WK_CS_IMG_OFF;
    ev->want_post = is_update && cs->full_doc >= WK_CS_IMG_WHEN_AVAILABLE;
    ev->want_lookup = is_update && cs->full_doc == WK_CS_IMG_LOOKUP;
}

/* ---- commands -------------------------------------------------------------------------- */

static void
invalidate(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, uint32_t idx,
           wk_cs_events_t *out)
{
    wk_cs_event_t *ev = begin_event(cs, ec, op, idx, "invalidate", true, out);

    ev->invalidate = true;
}

/* ddl_event -- create / createIndexes / dropIndexes / modify with operationDescription. */
static void
ddl_event(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, const char *db, size_t dblen,
          const char *coll, const char *type, const bson_t *o, wk_cs_events_t *out)
{
    wk_cs_event_t *ev;
    bson_t desc, arr, spec;
    bson_iter_t it;

    if (!cs->expanded || !in_scope(cs, db, dblen, coll))
        return;
    ev = begin_event(cs, ec, op, 0, type, false, out);
    append_ns(ev->doc, "ns", db, dblen, coll);
    BSON_APPEND_DOCUMENT_BEGIN(ev->doc, "operationDescription", &desc);
    if (strcmp(type, "createIndexes") == 0 || strcmp(type, "dropIndexes") == 0) {
        bson_init(&spec);
        bson_iter_init(&it, o);
        bson_iter_next(&it); /* the command name */
        while (bson_iter_next(&it))
            bson_append_iter(&spec,
                             strcmp(type, "dropIndexes") == 0 &&
                                     strcmp(bson_iter_key(&it), "index") == 0
                                 ? "name"
                                 : bson_iter_key(&it),
                             -1, &it);
        BSON_APPEND_ARRAY_BEGIN(&desc, "indexes", &arr);
        BSON_APPEND_DOCUMENT(&arr, "0", &spec);
        bson_append_array_end(&desc, &arr);
        bson_destroy(&spec);
    } else {
        bson_iter_init(&it, o);
        bson_iter_next(&it);
        while (bson_iter_next(&it))
            bson_append_iter(&desc, bson_iter_key(&it), -1, &it);
    }
    bson_append_document_end(ev->doc, &desc);
}

/* rename_event -- rename of o.renameCollection to o.to; invalidates a stream on the source. */
static void
rename_event(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, const bson_t *o,
             wk_cs_events_t *out)
{
    const char *from = get_str(o, "renameCollection"), *to = get_str(o, "to"), *fc, *tc;
    size_t fl, tl;
    wk_cs_event_t *ev;
    bson_t desc;
    bson_iter_t it;

    if (from == NULL || to == NULL || !split(from, &fl, &fc) || !split(to, &tl, &tc))
        return;
    if (!in_scope(cs, from, fl, fc) && (cs->coll[0] != '\0' || !in_scope(cs, to, tl, tc)))
        return;
    ev = begin_event(cs, ec, op, 0, "rename", false, out);
    append_ns(ev->doc, "ns", from, fl, fc);
    append_ns(ev->doc, "to", to, tl, tc);
    if (cs->expanded) {
        BSON_APPEND_DOCUMENT_BEGIN(ev->doc, "operationDescription", &desc);
        append_ns(&desc, "to", to, tl, tc);
        if (bson_iter_init_find(&it, o, "dropTarget"))
            bson_append_iter(&desc, "dropTarget", -1, &it);
        bson_append_document_end(ev->doc, &desc);
    }
    if (cs->coll[0] != '\0')
        invalidate(cs, ec, op, 0, out);
}

static void crud_or_cmd(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, uint32_t idx,
                        wk_cs_events_t *out);

/* apply_ops -- a committed transaction: one event per operation, txnOpIndex = position. */
static void
apply_ops(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *o, wk_cs_events_t *out)
{
    bson_iter_t it, ops;
    uint32_t idx = 0;

    if (!bson_iter_init_find(&it, o, "applyOps") || !bson_iter_recurse(&it, &ops))
        return;
    while (bson_iter_next(&ops)) {
        const uint8_t *data;
        uint32_t len;
        bson_t op;

        if (!BSON_ITER_HOLDS_DOCUMENT(&ops))
            continue;
        bson_iter_document(&ops, &len, &data);
        if (bson_init_static(&op, data, len))
            crud_or_cmd(cs, ec, &op, idx, out);
        idx++;
    }
}

static void
cmd_events(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, wk_cs_events_t *out)
{
    const char *ns = get_str(op, "ns"), *coll, *name;
    bson_t o;
    bson_iter_t it;
    size_t dblen;
    wk_cs_event_t *ev;

    if (ns == NULL || !split(ns, &dblen, &coll) || !wk_cs_view(op, "o", &o) ||
        !bson_iter_init(&it, &o) || !bson_iter_next(&it))
        return;
    name = bson_iter_key(&it);
    if (strcmp(name, "applyOps") == 0) {
        apply_ops(cs, ec, &o, out);
        return;
    }
    if (strcmp(name, "renameCollection") == 0) {
        rename_event(cs, ec, op, &o, out);
        return;
    }
    if (strcmp(name, "dropDatabase") == 0) {
        if (!in_scope(cs, ns, dblen, NULL) || cs->coll[0] != '\0')
            return;
        ev = begin_event(cs, ec, op, 0, "dropDatabase", false, out);
        append_ns(ev->doc, "ns", ns, dblen, NULL);
        if (!cs->all)
            invalidate(cs, ec, op, 0, out);
        return;
    }
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return;
    coll = bson_iter_utf8(&it, NULL);
    if (strcmp(name, "drop") == 0) {
        if (!in_scope(cs, ns, dblen, coll))
            return;
        ev = begin_event(cs, ec, op, 0, "drop", false, out);
        append_ns(ev->doc, "ns", ns, dblen, coll);
        if (cs->coll[0] != '\0')
            invalidate(cs, ec, op, 0, out);
    } else if (strcmp(name, "create") == 0) {
        ddl_event(cs, ec, op, ns, dblen, coll, "create", &o, out);
    } else if (strcmp(name, "createIndexes") == 0) {
        ddl_event(cs, ec, op, ns, dblen, coll, "createIndexes", &o, out);
    } else if (strcmp(name, "dropIndexes") == 0) {
        ddl_event(cs, ec, op, ns, dblen, coll, "dropIndexes", &o, out);
    } else if (strcmp(name, "collMod") == 0) {
        ddl_event(cs, ec, op, ns, dblen, coll, "modify", &o, out);
    }
}

static void
crud_or_cmd(const wk_cs_t *cs, const entry_ctx_t *ec, const bson_t *op, uint32_t idx,
            wk_cs_events_t *out)
{
    const char *opname = get_str(op, "op");

    if (opname == NULL)
        return;
    if (strcmp(opname, "c") == 0)
        cmd_events(cs, ec, op, out);
    else
        crud_event(cs, ec, op, idx, out);
}

void
wk_cs_entry_events(const wk_cs_t *cs, const bson_t *entry, uint64_t ts, wk_cs_events_t *out)
{
    entry_ctx_t ec;
    bson_iter_t it;

    memset(&ec, 0, sizeof(ec));
    ec.ts = ts;
    if (bson_iter_init_find(&it, entry, "wall") && BSON_ITER_HOLDS_DATE_TIME(&it))
        ec.wall = bson_iter_date_time(&it);
    ec.has_lsid = bson_iter_init_find(&ec.lsid, entry, "lsid");
    ec.has_txn = bson_iter_init_find(&ec.txn, entry, "txnNumber");
    crud_or_cmd(cs, &ec, entry, 0, out);
}
