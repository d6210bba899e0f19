/*
 * src/worker/cmd/to_capped.c -- convertToCapped and cloneCollectionAsCapped.
 *
 * mongod's algorithm with our storage operations: create the capped target with the
 * source's options (validator, collation, ...) but {capped: true, size} (size rounded up to
 * 256, no max), copy the source's records in natural order with INSERT (the target's cap
 * removes the oldest as it fills, so the newest survive), and for convertToCapped rename the
 * temporary "tmp<5 chars>.convertToCapped.<coll>" over the source (dropTarget).  The oplog
 * shows what mongod's shows: the create, the inserts, the rename.  Only the _id index is
 * carried over, as in mongod.  A failure drops the temporary collection.  cloneCollectionAsCapped's
 * temp: true makes the copy a temp collection (the next start drops it: master/catalog.h).
 *
 * Invariants: event-loop thread.  Writes to the source made while the copy runs may be
 * missed (mongod holds a database lock instead); the copy itself is consistent per batch.
 */
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../engine/namespace.h"

#include "../../common/sdb.h"
#include "../catalog_cache.h"
#include "../store_client.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define COPY_BATCH 1000

/* size_arg -- the required `size` (a number > 0, IDL's safeDouble). */
static int
size_arg(wk_cmd_t *cmd, int64_t *size)
{
    bson_iter_t it;
    double d;

    if (!bson_iter_init_find(&it, cmd->body, "size"))
        return sdb_error_set(&cmd->err, WK_CODE_MISSING_FIELD,
                             "BSON field '%s.size' is missing but a required field", cmd->name);
    if (!BSON_ITER_HOLDS_NUMBER(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "BSON field '%s.size' is the wrong type '%s', expected types '[long, "
                             "int, decimal, double']",
                             cmd->name, wk_cmdu_type_name(bson_iter_type(&it)));
    d = bson_iter_as_double(&it);
    if (!(d > 0))
        return sdb_error_set(&cmd->err, WK_CODE_BAD_LIMIT,
                             "BSON field 'size' value must be > 0, actual value '%g'", d);
    *size = d > 1125899906842624.0 ? 1125899906842624LL : (int64_t)d;
    return 0;
}

/* target_options -- the source's options as a capped collection of `size` bytes (and temp:
 * true when asked for: cloneCollectionAsCapped's temp, dropped at the next start). */
static void
target_options(const wk_coll_info_t *ci, int64_t size, bool temp, bson_t *opts)
{
    bson_iter_t it;

    BSON_APPEND_BOOL(opts, "capped", true);
    size = (size + 0xff) & ~(int64_t)0xff;
    if (size < (1LL << 30))
        BSON_APPEND_INT32(opts, "size", (int32_t)size);
    else
        BSON_APPEND_INT64(opts, "size", size);
    bson_iter_init(&it, &ci->options);
    while (bson_iter_next(&it))
        if (!wk_capped_is_option(bson_iter_key(&it)) &&
            !(temp && strcmp(bson_iter_key(&it), "temp") == 0))
            bson_append_iter(opts, bson_iter_key(&it), -1, &it);
    if (temp)
        BSON_APPEND_BOOL(opts, "temp", true);
}

/* source -- the catalog entry of a collection that must exist and not be a view. */
static int
source(wk_cmd_t *cmd, const char *ns, const wk_coll_info_t **out)
{
    SDB_RET(wk_cmdu_refresh(&cmd->err));
    if ((*out = wk_catalog_find(ns)) == NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_NamespaceNotFound,
                             "source collection %s does not exist", ns);
    if (bson_has_field(&(*out)->options, "viewOn"))
        return sdb_error_set(&cmd->err, SDB_CODE_CommandNotSupportedOnView,
                             "Namespace %s is a view, not a collection", ns);
    return 0;
}

/* insert_batch -- INSERT the batch into `to`; its first write error is the command's. */
static int
insert_batch(wk_cmd_t *cmd, const char *to, const bson_t *docs)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it;
    int ret;

    BSON_APPEND_UTF8(&req, "ns", to);
    BSON_APPEND_ARRAY(&req, "docs", docs);
    BSON_APPEND_BOOL(&req, "ordered", true);
    ret = wk_cmdu_store(SDB_OP_INSERT, &req, &reply, &cmd->err);
    if (ret == 0 && bson_iter_init(&it, &reply) &&
        bson_iter_find_descendant(&it, "writeErrors.0.code", &it)) {
        int32_t code = (int32_t)bson_iter_as_int64(&it);
        const char *msg = "insert failed";
        if (bson_iter_init(&it, &reply) &&
            bson_iter_find_descendant(&it, "writeErrors.0.errmsg", &it) &&
            BSON_ITER_HOLDS_UTF8(&it))
            msg = bson_iter_utf8(&it, NULL);
        ret = sdb_error_set(&cmd->err, code, "%s", msg);
    }
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* next_batch -- SCAN from `from` after *after into docs (an array of the stored bytes). */
static int
next_batch(wk_cmd_t *cmd, const char *from, int64_t *after, bool *has_after, bson_t *docs,
           bool *eof)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it, arr, ent;
    uint32_t n = 0;
    int ret;

    BSON_APPEND_UTF8(&req, "ns", from);
    if (*has_after)
        BSON_APPEND_INT64(&req, "after", *after);
    BSON_APPEND_INT32(&req, "limit", COPY_BATCH);
    ret = wk_cmdu_store(SDB_OP_SCAN, &req, &reply, &cmd->err);
    *eof = true;
    if (ret == 0 && bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &arr)) {
        while (bson_iter_next(&arr) && bson_iter_recurse(&arr, &ent)) {
            char key[16];
            const char *k;
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            while (bson_iter_next(&ent)) {
                if (strcmp(bson_iter_key(&ent), "r") == 0)
                    *after = bson_iter_as_int64(&ent);
                else if (strcmp(bson_iter_key(&ent), "d") == 0)
                    bson_append_iter(docs, k, -1, &ent);
            }
            *has_after = true;
        }
        *eof = bson_iter_init_find(&it, &reply, "eof") && bson_iter_as_bool(&it);
    }
    bson_destroy(&reply);
    bson_destroy(&req);
    return ret;
}

/* clone_capped -- create `to` as a capped copy of `from` (which ci describes). */
static int
clone_capped(wk_cmd_t *cmd, const wk_coll_info_t *ci, const char *from, const char *to,
             int64_t size, bool temp)
{
    bson_t req = BSON_INITIALIZER, reply, opts = BSON_INITIALIZER;
    int64_t after = 0;
    bool has_after = false, eof = false;
    int ret = 0;

    target_options(ci, size, temp, &opts);
    BSON_APPEND_UTF8(&req, "ns", to);
    BSON_APPEND_DOCUMENT(&req, "options", &opts);
    ret = wk_cmdu_store(SDB_OP_CREATE, &req, &reply, &cmd->err);
    bson_destroy(&reply);
    while (ret == 0 && !eof) {
        bson_t docs = BSON_INITIALIZER;
        ret = next_batch(cmd, from, &after, &has_after, &docs, &eof);
        if (ret == 0 && !bson_empty(&docs))
            ret = insert_batch(cmd, to, &docs);
        bson_destroy(&docs);
    }
    bson_destroy(&opts);
    bson_destroy(&req);
    return ret;
}

/* drop_quietly -- drop ns, keeping cmd->err as it is. */
static void
drop_quietly(const char *ns)
{
    bson_t req = BSON_INITIALIZER, reply;
    sdb_error_t ignored;

    BSON_APPEND_UTF8(&req, "ns", ns);
    wk_cmdu_store(SDB_OP_DROP, &req, &reply, &ignored);
    bson_destroy(&reply);
    bson_destroy(&req);
}

/* tmp_name -- "<db>.tmp<5 random>.convertToCapped.<coll>". */
static int
tmp_name(wk_cmd_t *cmd, const char *coll, char *out, size_t len)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[5];
    char tag[6];

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 7, sizeof(r));
    for (size_t i = 0; i < 5; i++)
        tag[i] = alnum[r[i] % (sizeof(alnum) - 1)];
    tag[5] = '\0';
    if ((size_t)snprintf(out, len, "%s.tmp%s.convertToCapped.%s", cmd->db, tag, coll) >= len)
        return sdb_error_set(&cmd->err, SDB_CODE_InvalidNamespace, "Invalid namespace");
    return 0;
}

/* wk_cmd_convert_to_capped -- {convertToCapped: coll, size} -> {}. */
int
wk_cmd_convert_to_capped(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"size", NULL};
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    char ns[WK_NS_MAX], tmp[WK_NS_MAX];
    const wk_coll_info_t *ci;
    int64_t size;
    int ret = 0;

    SDB_ERR(wk_cmd_ns(cmd, ns, sizeof(ns)));
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(size_arg(cmd, &size));
    SDB_ERR(source(cmd, ns, &ci));
    SDB_ERR(tmp_name(cmd, strchr(ns, '.') + 1, tmp, sizeof(tmp)));
    if ((ret = clone_capped(cmd, ci, ns, tmp, size, false)) != 0) {
        drop_quietly(tmp);
        goto err;
    }
    BSON_APPEND_UTF8(&req, "from", tmp);
    BSON_APPEND_UTF8(&req, "to", ns);
    BSON_APPEND_BOOL(&req, "dropTarget", true);
    if ((ret = wk_cmdu_store(SDB_OP_RENAME, &req, &reply, &cmd->err)) != 0)
        drop_quietly(tmp);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* wk_cmd_clone_collection_as_capped -- {cloneCollectionAsCapped: from, toCollection, size}. */
int
wk_cmd_clone_collection_as_capped(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"toCollection", "size", "temp", NULL};
    char from[WK_NS_MAX], to[WK_NS_MAX];
    const wk_coll_info_t *ci;
    bson_iter_t it;
    uint32_t len;
    int64_t size;
    bool temp;
    int ret = 0;

    SDB_RET(wk_cmd_ns(cmd, from, sizeof(from)));
    SDB_RET(wk_cmdu_check_fields(cmd, fields));
    if (!bson_iter_init_find(&it, cmd->body, "toCollection") || !BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch,
                             "'toCollection' must be of type String");
    bson_iter_utf8(&it, &len);
    SDB_RET(wk_ns_join(cmd->db, bson_iter_utf8(&it, NULL), len, to, sizeof(to), &cmd->err));
    SDB_RET(size_arg(cmd, &size));
    temp = bson_iter_init_find(&it, cmd->body, "temp") && wk_cmdu_truthy(&it);
    SDB_RET(source(cmd, from, &ci));
    if (wk_catalog_find(to) != NULL)
        return sdb_error_set(&cmd->err, SDB_CODE_NamespaceExists,
                             "cloneCollectionAsCapped failed - destination collection %s already "
                             "exists. source collection: %s",
                             to, from);
    if ((ret = clone_capped(cmd, ci, from, to, size, temp)) != 0)
        drop_quietly(to);
    return ret;
}
