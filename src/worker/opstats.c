/*
 * src/worker/opstats.c -- serverStatus counters of finished commands (opstats.h).
 *
 * Classes follow mongod: opLatencies.reads are find, getMore, aggregate, count and distinct,
 * writes are insert, update, delete and findAndModify, transactions are the statements of a
 * multi-document transaction and its commit or abort, commands the rest.  asserts.user counts
 * the commands that failed with a client-visible error (mongod's uassert), asserts.regular
 * the internal errors.  metrics.document counts from the write replies (n, nModified) and
 * the cursor batches; metrics.queryExecutor from the executors' own counts (op.h).
 */
#include "opstats.h"

#include "../common/global.h"
#include "worker.h"

#include <string.h>

static sdb_worker_diag_t *
slot(void)
{
    return &wk_global->diag[wk_slot];
}

int64_t
wk_opstats_nreturned(const bson_t *reply)
{
    bson_iter_t it, batch;
    int64_t n = 0;

    if (!bson_iter_init(&it, reply) ||
        (!bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
         (!bson_iter_init(&it, reply) ||
          !bson_iter_find_descendant(&it, "cursor.nextBatch", &batch))) ||
        !BSON_ITER_HOLDS_ARRAY(&batch) || !bson_iter_recurse(&batch, &it))
        return -1;
    while (bson_iter_next(&it))
        n++;
    return n;
}

/* is_fn -- the command's handler is one of fns. */
static bool
is_fn(const wk_cmd_def_t *def, const wk_cmd_fn *fns, size_t n)
{
    for (size_t i = 0; def != NULL && i < n; i++)
        if (def->fn == fns[i])
            return true;
    return false;
}

static sdb_lat_kind_t
lat_kind(const wk_op_done_t *d)
{
    static const wk_cmd_fn reads[] = {wk_cmd_find, wk_cmd_get_more, wk_cmd_aggregate, wk_cmd_count,
                                      wk_cmd_distinct};
    static const wk_cmd_fn writes[] = {wk_cmd_insert, wk_cmd_update, wk_cmd_delete,
                                       wk_cmd_find_and_modify};
    static const wk_cmd_fn xact[] = {wk_cmd_commit_transaction, wk_cmd_abort_transaction};

    if (d->cmd->op.in_xact || is_fn(d->def, xact, 2))
        return SDB_LAT_TRANSACTIONS;
    if (is_fn(d->def, reads, sizeof(reads) / sizeof(reads[0])))
        return SDB_LAT_READS;
    if (is_fn(d->def, writes, sizeof(writes) / sizeof(writes[0])))
        return SDB_LAT_WRITES;
    return SDB_LAT_COMMANDS;
}

/* cmd_index -- the row metrics.commands counts def under: its name's first row (aliases
 * count as one command), the last row for an unknown command. */
static size_t
cmd_index(const wk_cmd_def_t *def)
{
    size_t n, i;
    const wk_cmd_def_t *t = wk_command_table(&n);

    for (i = 0; def != NULL && i < n && i < SDB_DIAG_COMMANDS - 1; i++)
        if (t[i].fn == def->fn)
            return i;
    return SDB_DIAG_COMMANDS - 1;
}

static int64_t
reply_num(const bson_t *reply, const char *field)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, reply, field) && BSON_ITER_HOLDS_NUMBER(&it)
               ? bson_iter_as_int64(&it)
               : 0;
}

/* count_documents -- metrics.document and metrics.cursor.totalOpened. */
static void
count_documents(sdb_worker_diag_t *w, const wk_op_done_t *d)
{
    bson_iter_t it;

    if (d->nreturned > 0)
        atomic_fetch_add(&w->doc_returned, (uint64_t)d->nreturned);
    if (d->ret != 0 || d->def == NULL)
        return;
    if (d->def->fn == wk_cmd_insert)
        atomic_fetch_add(&w->doc_inserted, (uint64_t)reply_num(d->reply, "n"));
    else if (d->def->fn == wk_cmd_update)
        atomic_fetch_add(&w->doc_updated, (uint64_t)reply_num(d->reply, "nModified"));
    else if (d->def->fn == wk_cmd_delete)
        atomic_fetch_add(&w->doc_deleted, (uint64_t)reply_num(d->reply, "n"));
    if (d->def->fn != wk_cmd_get_more && bson_iter_init(&it, d->reply) &&
        bson_iter_find_descendant(&it, "cursor.id", &it) && bson_iter_as_int64(&it) != 0)
        atomic_fetch_add(&w->cursors_opened, 1);
}

void
wk_opstats_count(const wk_op_done_t *d)
{
    sdb_worker_diag_t *w = slot();
    sdb_lat_kind_t k = lat_kind(d);
    size_t i = cmd_index(d->def);

    if (d->ret != 0 && d->cmd->err.code == SDB_CODE_InternalError)
        atomic_fetch_add(&w->asserts_regular, 1);
    else if (d->ret != 0)
        atomic_fetch_add(&w->asserts_user, 1);
    atomic_fetch_add(&w->cmd_total[i], 1);
    if (d->ret != 0)
        atomic_fetch_add(&w->cmd_failed[i], 1);
    if (d->def != NULL) {
        atomic_fetch_add(&w->lat_us[k], (uint64_t)(d->micros > 0 ? d->micros : 0));
        atomic_fetch_add(&w->lat_ops[k], 1);
    }
    atomic_fetch_add(&w->keys_scanned, d->st->keys_examined);
    atomic_fetch_add(&w->docs_scanned, d->st->docs_examined);
    if (d->st->blocking_sort)
        atomic_fetch_add(&w->scan_and_order, 1);
    atomic_fetch_add(&w->write_conflicts, d->st->write_conflicts);
    count_documents(w, d);
}

void
wk_opstats_compression(int id, bool decompress, size_t in, size_t out)
{
    if (id < 0 || id > 3 || wk_global == NULL) /* NULL: the wire codec outside a worker */
        return;
    atomic_fetch_add(&slot()->comp[id][decompress][0], in);
    atomic_fetch_add(&slot()->comp[id][decompress][1], out);
}
