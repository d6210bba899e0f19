/*
 * src/worker/cmd/db_hash.c -- dbHash: an MD5 of every collection of a database.
 *
 * As mongod: each collection's documents are hashed in _id order (natural order for a
 * capped collection, which mongod reads in insertion order), their raw BSON bytes one after
 * another; the database's md5 hashes the collections' hex digests in name order.  Views and
 * system.profile are left out; `collections` limits the set.  The reply is {host,
 * collections: {name: md5}, capped: [names], uuids: {name: UUID}, md5, timeMillis, fromCache:
 * []}.  MD5 from OpenSSL's EVP interface.
 */
#include "../../common/config.h"
#include "../catalog_cache.h"
#include "../command.h"
#include "../engine/args.h"
#include "../engine/capped.h"
#include "../engine/exec.h"
#include "../worker.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MD5_HEX (2 * 16 + 1)

/* hex -- the digest as lowercase hex. */
static void
hex(const unsigned char *d, unsigned n, char *out)
{
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* hash_coll -- the MD5 of ns's documents in _id (capped: natural) order. */
static int
hash_coll(wk_cmd_t *cmd, const char *ns, bool capped, char out[MD5_HEX])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    bson_value_t hint;
    bson_t key = BSON_INITIALIZER, doc;
    wk_exec_t ex;
    bool found = true;
    int ret = 0;

    wk_exec_init(&ex);
    ex.op = &cmd->op;
    EVP_DigestInit_ex(md, EVP_md5(), NULL);
    if (capped) {
        BSON_APPEND_INT32(&key, "$natural", 1);
    } else {
        BSON_APPEND_INT32(&key, "_id", 1);
    }
    hint.value_type = BSON_TYPE_DOCUMENT;
    hint.value.v_doc.data = (uint8_t *)bson_get_data(&key);
    hint.value.v_doc.data_len = key.len;
    SDB_ERR(wk_exec_open_hint(&ex, ns, NULL, NULL, &hint, &cmd->err));
    for (;;) {
        int64_t r;

        SDB_ERR(wk_exec_next(&ex, &doc, &r, NULL, &found, &cmd->err));
        if (!found)
            break;
        EVP_DigestUpdate(md, bson_get_data(&doc), doc.len);
    }
    EVP_DigestFinal_ex(md, d, &n);
    hex(d, n, out);
err:
    wk_exec_close(&ex);
    EVP_MD_CTX_free(md);
    bson_destroy(&key);
    return ret;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp((*(const wk_coll_info_t *const *)a)->ns, (*(const wk_coll_info_t *const *)b)->ns);
}

/* wanted -- ci is hashed: in db, a collection (not a view, not system.profile, not a
 * transaction's uncommitted one), and in `collections` when that was given. */
static bool
wanted(wk_cmd_t *cmd, const wk_coll_info_t *ci, size_t dblen, const bson_t *only, bool has_only)
{
    const char *coll = ci->ns + dblen + 1;
    bson_iter_t it;

    if (strncmp(ci->ns, cmd->db, dblen) != 0 || ci->ns[dblen] != '.' || ci->pending ||
        bson_has_field(&ci->options, "viewOn") || strcmp(coll, "system.profile") == 0)
        return false;
    if (!has_only)
        return true;
    bson_iter_init(&it, only);
    while (bson_iter_next(&it))
        if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), coll) == 0)
            return true;
    return false;
}

/*
 * wk_cmd_db_hash --
 *     {dbHash: 1, collections?: [names]} -> {host, collections, capped, uuids, md5, ...}.
 */
int
wk_cmd_db_hash(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"collections", NULL};
    const wk_coll_info_t *all, **sel = NULL;
    size_t n = 0, nsel = 0, dblen = strlen(cmd->db);
    struct timespec t0, t1;
    EVP_MD_CTX *md = NULL;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    char digest[MD5_HEX], key[16];
    const char *k;
    bson_t only = BSON_INITIALIZER, colls, capped, uuids;
    bson_iter_t it;
    bool has_only = false;
    const uint8_t *adata;
    uint32_t ncapped = 0, alen;
    int ret = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    if (bson_iter_init_find(&it, cmd->body, "collections")) {
        if (!BSON_ITER_HOLDS_ARRAY(&it))
            SDB_ERR(wk_cmdu_type_error(cmd, "collections", bson_iter_type(&it), "array"));
        bson_iter_array(&it, &alen, &adata);
        bson_init_static(&only, adata, alen);
        has_only = true;
    }
    SDB_ERR(wk_cmdu_refresh(&cmd->err));
    all = wk_catalog_list(&n);
    sel = bson_malloc0((n + 1) * sizeof(*sel));
    for (size_t i = 0; i < n; i++)
        if (wanted(cmd, &all[i], dblen, &only, has_only))
            sel[nsel++] = &all[i];
    if (nsel > 1)
        qsort(sel, nsel, sizeof(*sel), cmp_names);
    md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_md5(), NULL);
    BSON_APPEND_UTF8(cmd->reply, "host", wk_host_port());
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "collections", &colls);
    for (size_t i = 0; i < nsel && ret == 0; i++) {
        char ns[WK_NS_MAX];

        snprintf(ns, sizeof(ns), "%s", sel[i]->ns);
        if ((ret = hash_coll(cmd, ns, wk_capped_is(sel[i]), digest)) == 0) {
            BSON_APPEND_UTF8(&colls, ns + dblen + 1, digest);
            EVP_DigestUpdate(md, digest, strlen(digest));
        }
    }
    bson_append_document_end(cmd->reply, &colls);
    SDB_ERR(ret);
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "capped", &capped);
    for (size_t i = 0; i < nsel; i++)
        if (wk_capped_is(sel[i])) {
            bson_uint32_to_string(ncapped++, &k, key, sizeof(key));
            BSON_APPEND_UTF8(&capped, k, sel[i]->ns + dblen + 1);
        }
    bson_append_array_end(cmd->reply, &capped);
    BSON_APPEND_DOCUMENT_BEGIN(cmd->reply, "uuids", &uuids);
    for (size_t i = 0; i < nsel; i++)
        if (bson_iter_init_find(&it, &sel[i]->uuid_doc, "uuid"))
            bson_append_iter(&uuids, sel[i]->ns + dblen + 1, -1, &it);
    bson_append_document_end(cmd->reply, &uuids);
    EVP_DigestFinal_ex(md, d, &dn);
    hex(d, dn, digest);
    BSON_APPEND_UTF8(cmd->reply, "md5", digest);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    BSON_APPEND_INT64(cmd->reply, "timeMillis",
                      (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
                          (t1.tv_nsec - t0.tv_nsec) / 1000000);
    {
        bson_t fc;
        BSON_APPEND_ARRAY_BEGIN(cmd->reply, "fromCache", &fc);
        bson_append_array_end(cmd->reply, &fc);
    }
err:
    if (md != NULL)
        EVP_MD_CTX_free(md);
    bson_free(sel);
    bson_destroy(&only);
    return ret;
}
