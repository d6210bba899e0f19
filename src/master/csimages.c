/*
 * src/master/csimages.c -- the change-stream image table: (ts, op) -> {pre?, post?}.
 *
 * key_format "QI" keeps the images in oplog order, so trimming deletes from the start up to
 * the last trimmed oplog timestamp.  Reads run in their own snapshot.  Invariants: written
 * only inside a write's transaction (ms_oplog_commit) and the oplog trim's transaction.
 */
#include "csimages.h"

#include "../common/sdb.h"
#include "store.h"
#include "storereq.h"

#include <string.h>

int
ms_csimages_open(WT_SESSION *s)
{
    return ms_store_wt_error(s->create(s, MS_CSIMAGES_URI, "key_format=QI,value_format=u"),
                             "create csimages");
}

bool
ms_csimages_enabled(const bson_t *options)
{
    bson_iter_t it, f;

    return options != NULL && bson_iter_init_find(&it, options, "changeStreamPreAndPostImages") &&
           BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &f) &&
           bson_iter_find(&f, "enabled") && BSON_ITER_HOLDS_BOOL(&f) && bson_iter_bool(&f);
}

int
ms_csimages_put(WT_SESSION *s, uint64_t ts, uint32_t op, const bson_t *pre, const bson_t *post)
{
    bson_t v = BSON_INITIALIZER;
    WT_CURSOR *c = NULL;
    WT_ITEM item;
    int ret;

    if (pre != NULL)
        BSON_APPEND_DOCUMENT(&v, "pre", pre);
    if (post != NULL)
        BSON_APPEND_DOCUMENT(&v, "post", post);
    item.data = bson_get_data(&v);
    item.size = v.len;
    if ((ret = s->open_cursor(s, MS_CSIMAGES_URI, NULL, NULL, &c)) == 0) {
        c->set_key(c, ts, op);
        c->set_value(c, &item);
        ret = c->insert(c);
        SDB_TRET(c->close(c));
    }
    bson_destroy(&v);
    return ret;
}

int
ms_csimages_trim(WT_SESSION *s, uint64_t upto)
{
    WT_CURSOR *c = NULL;
    uint64_t ts;
    uint32_t op;
    int ret, r;

    SDB_RET(s->open_cursor(s, MS_CSIMAGES_URI, NULL, NULL, &c));
    while ((r = c->next(c)) == 0) {
        if ((ret = c->get_key(c, &ts, &op)) != 0 || ts > upto)
            break;
        if ((ret = c->remove(c)) != 0)
            break;
    }
    ret = r == WT_NOTFOUND ? 0 : r;
    SDB_TRET(c->close(c));
    return ret;
}

int
ms_csimages_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *s = ctx->session;
    WT_CURSOR *c = NULL;
    int64_t ts, op;
    WT_ITEM v;
    bson_t img;
    int ret, r;

    SDB_RET(ms_req_int64(req, "ts", 0, &ts, NULL, err));
    SDB_RET(ms_req_int64(req, "op", 0, &op, NULL, err));
    SDB_RET(ms_store_wt_error(s->begin_transaction(s, NULL), "csimages read"));
    if ((ret = s->open_cursor(s, MS_CSIMAGES_URI, NULL, NULL, &c)) == 0) {
        c->set_key(c, (uint64_t)ts, (uint32_t)op);
        if ((r = c->search(c)) == 0 && (r = c->get_value(c, &v)) == 0 &&
            bson_init_static(&img, v.data, v.size))
            bson_concat(reply, &img);
        else if (r != WT_NOTFOUND)
            ret = r;
        SDB_TRET(c->close(c));
    }
    SDB_TRET(s->rollback_transaction(s, NULL));
    return ms_store_wt_error(ret, "csimages read");
}
