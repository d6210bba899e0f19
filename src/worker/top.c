/*
 * src/worker/top.c -- the per-namespace usage counters of the top command (top.h).
 */
#include "top.h"

#include "../common/global.h"
#include "worker.h"

#include <string.h>

/* kind_of -- the operation counter command `name` adds to. */
static sdb_top_kind_t
kind_of(const char *name)
{
    static const struct {
        const char *name;
        sdb_top_kind_t kind;
    } kinds[] = {
        {"find", SDB_TOP_QUERIES},  {"getMore", SDB_TOP_GETMORE}, {"insert", SDB_TOP_INSERT},
        {"update", SDB_TOP_UPDATE}, {"delete", SDB_TOP_REMOVE},
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(name, kinds[i].name) == 0)
            return kinds[i].kind;
    return SDB_TOP_COMMANDS;
}

/* entry_of -- ns's entry in this worker's row, claimed when new; NULL when the row is full. */
static sdb_top_entry_t *
entry_of(const char *ns)
{
    sdb_top_entry_t *row = wk_global->top[wk_slot];
    uint32_t h = 2166136261u;

    for (const char *p = ns; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u; /* FNV-1a */
    for (uint32_t k = 0; k < SDB_TOP_NS; k++) {
        sdb_top_entry_t *e = &row[(h + k) % SDB_TOP_NS];

        if (!atomic_load(&e->used)) {
            snprintf(e->ns, sizeof(e->ns), "%s", ns);
            atomic_store(&e->used, 1);
            return e;
        }
        if (strncmp(e->ns, ns, sizeof(e->ns) - 1) == 0)
            return e;
    }
    return NULL;
}

void
wk_top_count(const char *ns, const char *name, bool write, int64_t us)
{
    sdb_top_entry_t *e = entry_of(ns);
    sdb_top_kind_t kinds[3] = {SDB_TOP_TOTAL, write ? SDB_TOP_WRITE : SDB_TOP_READ, kind_of(name)};

    if (e == NULL)
        return;
    for (int i = 0; i < 3; i++) {
        atomic_fetch_add(&e->time[kinds[i]], (uint64_t)(us > 0 ? us : 0));
        atomic_fetch_add(&e->count[kinds[i]], 1);
    }
}
