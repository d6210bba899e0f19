/*
 * src/master/wtstats.c -- WT_STATS: WiredTiger's connection statistics, grouped.
 *
 * A "statistics:" cursor lists every statistic with its description "<category>: <what>"
 * (WiredTiger's wording, which mongod copies into serverStatus.wiredTiger).  The statistics
 * come in category order, so each run of one category becomes one sub-document.  The
 * connection is opened with statistics=(fast) (store.c), which is what mongod does too.
 *
 * Invariants: read-only; no catalog lock (connection statistics only).
 */
#include "wtstats.h"

#include "../common/sdb.h"

#include <stdio.h>
#include <string.h>

int
ms_wtstats_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    WT_SESSION *s = ctx->own != NULL ? ctx->own : ctx->session;
    WT_CURSOR *cur = NULL;
    const char *desc, *pvalue;
    char cat[64] = "";
    int64_t value;
    bson_t group;
    bool open = false;
    int ret = 0, r;

    (void)req;
    (void)err;
    SDB_ERR(s->open_cursor(s, "statistics:", NULL, NULL, &cur));
    while ((r = cur->next(cur)) == 0) {
        const char *sep;
        size_t n;

        SDB_ERR(cur->get_value(cur, &desc, &pvalue, &value));
        if ((sep = strstr(desc, ": ")) == NULL)
            continue;
        n = (size_t)(sep - desc);
        if (!open || strlen(cat) != n || strncmp(cat, desc, n) != 0) {
            if (open)
                bson_append_document_end(reply, &group);
            snprintf(cat, sizeof(cat), "%.*s", (int)n, desc);
            bson_append_document_begin(reply, cat, -1, &group);
            open = true;
        }
        bson_append_int64(&group, sep + 2, -1, value);
    }
    if (r != WT_NOTFOUND)
        ret = r;
err:
    if (open)
        bson_append_document_end(reply, &group);
    if (cur != NULL)
        SDB_TRET(cur->close(cur));
    return ret;
}
