/*
 * src/worker/cmd/database.c -- dropDatabase and listDatabases.
 *
 * A database exists while it holds a collection, so listDatabases derives the list from the
 * master's STATS over every collection: one entry per database name with its size on disk
 * (record and index storage), filtered with the query matcher, sorted by name.
 *
 * Invariants: event-loop thread; no state kept between commands.
 */
#include "../auth/authz.h"
#include "../engine/args.h"
#include "../engine/exec.h"
#include "../engine/write.h"

#include "../store_client.h"

#include <stdlib.h>
#include <string.h>

/* wk_cmd_drop_database -- {dropDatabase: 1} -> {dropped: db}. */
int
wk_cmd_drop_database(wk_cmd_t *cmd)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    wk_write_concern_t wc;
    int ret = 0;

    SDB_ERR(wk_cmdu_write_concern(cmd, &wc));
    BSON_APPEND_UTF8(&req, "db", cmd->db);
    SDB_ERR(wk_cmdu_store(SDB_OP_DROP_DB, &req, &reply, &cmd->err));
    BSON_APPEND_UTF8(cmd->reply, "dropped", cmd->db);
    SDB_ERR(wk_cmdu_write_concern_finish(cmd, &wc));
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

typedef struct db_entry {
    char name[WK_NS_MAX];
    int64_t size;
} db_entry_t;

typedef struct db_list {
    db_entry_t *v;
    size_t n, cap;
} db_list_t;

/* db_add -- account `size` bytes to the database of namespace ns. */
static void
db_add(db_list_t *l, const char *ns, int64_t size)
{
    const char *dot = strchr(ns, '.');
    size_t len = dot != NULL ? (size_t)(dot - ns) : strlen(ns);

    if (len == 0 || len >= WK_NS_MAX)
        return;
    for (size_t i = 0; i < l->n; i++) {
        if (strlen(l->v[i].name) == len && strncmp(l->v[i].name, ns, len) == 0) {
            l->v[i].size += size;
            return;
        }
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = bson_realloc(l->v, l->cap * sizeof(*l->v));
    }
    memcpy(l->v[l->n].name, ns, len);
    l->v[l->n].name[len] = '\0';
    l->v[l->n].size = size;
    l->n++;
}

static int
db_cmp(const void *a, const void *b)
{
    return strcmp(((const db_entry_t *)a)->name, ((const db_entry_t *)b)->name);
}

/* gather -- per-database sizes from STATS over every collection. */
static int
gather(db_list_t *l, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    bson_iter_t it, colls, c;
    int ret = 0;

    SDB_ERR(wk_cmdu_store(SDB_OP_STATS, &req, &reply, err));
    if (bson_iter_init_find(&it, &reply, "collections") && bson_iter_recurse(&it, &colls)) {
        while (bson_iter_next(&colls)) {
            const char *ns = NULL;
            int64_t size = 0;

            if (!BSON_ITER_HOLDS_DOCUMENT(&colls) || !bson_iter_recurse(&colls, &c))
                continue;
            while (bson_iter_next(&c)) {
                const char *k = bson_iter_key(&c);
                if (strcmp(k, "ns") == 0 && BSON_ITER_HOLDS_UTF8(&c))
                    ns = bson_iter_utf8(&c, NULL);
                else if (strcmp(k, "storageSize") == 0 || strcmp(k, "totalIndexSize") == 0)
                    size += bson_iter_as_int64(&c);
            }
            if (ns != NULL)
                db_add(l, ns, size);
        }
    }
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), db_cmp);
err:
    bson_destroy(&req);
    bson_destroy(&reply);
    return ret;
}

/* wk_cmd_list_databases -- {listDatabases: 1, nameOnly, filter} ->
 * {databases: [{name, sizeOnDisk, empty}], totalSize, totalSizeMb}. */
int
wk_cmd_list_databases(wk_cmd_t *cmd)
{
    static const char *const fields[] = {"nameOnly", "filter", "authorizedDatabases", NULL};
    db_list_t l = {NULL, 0, 0};
    wk_matcher_t *m = NULL;
    bson_t filter = BSON_INITIALIZER, arr;
    bson_iter_t it;
    bool name_only = false;
    int64_t total = 0;
    uint32_t out = 0;
    bool authorized_only;
    int ret = 0;

    SDB_ERR(wk_cmdu_check_fields(cmd, fields));
    SDB_ERR(wk_authz_list_databases(cmd, &authorized_only)); /* under --auth: auth/authz.h */
    if (bson_iter_init_find(&it, cmd->body, "filter"))
        SDB_ERR(wk_cmdu_get_doc(cmd, &it, "filter", &filter));
    if (bson_iter_init_find(&it, cmd->body, "nameOnly"))
        name_only = wk_cmdu_truthy(&it);
    SDB_ERR(wk_matcher_new(&filter, &m, &cmd->err));
    SDB_ERR(gather(&l, &cmd->err));
    BSON_APPEND_ARRAY_BEGIN(cmd->reply, "databases", &arr);
    for (size_t i = 0; i < l.n; i++) {
        bson_t e = BSON_INITIALIZER;
        char key[16];
        const char *k;

        BSON_APPEND_UTF8(&e, "name", l.v[i].name);
        if (!name_only) {
            BSON_APPEND_DOUBLE(&e, "sizeOnDisk", (double)l.v[i].size);
            BSON_APPEND_BOOL(&e, "empty", false);
        }
        if (wk_matcher_matches(m, &e, NULL) &&
            (!authorized_only || wk_authz_db_visible(cmd->conn, l.v[i].name))) {
            bson_uint32_to_string(out++, &k, key, sizeof(key));
            BSON_APPEND_DOCUMENT(&arr, k, &e);
            total += l.v[i].size;
        }
        bson_destroy(&e);
    }
    bson_append_array_end(cmd->reply, &arr);
    if (!name_only) {
        BSON_APPEND_DOUBLE(cmd->reply, "totalSize", (double)total);
        BSON_APPEND_INT64(cmd->reply, "totalSizeMb", total / (1024 * 1024));
    }
err:
    wk_matcher_free(m);
    bson_free(l.v);
    return ret;
}
