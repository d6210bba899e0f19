/*
 * src/common/storeop.h -- numbering and names of the storage operations (storeop.def).
 *
 * Shared by the worker (which sends them) and the master (which serves them); the request
 * and reply shapes are documented in storeop.def.
 */
#ifndef SDB_STOREOP_H
#define SDB_STOREOP_H

enum {
#define X(name, num) SDB_OP_##name = num,
#include "storeop.def"
#undef X
    SDB_OP__MAX
};

/* sdb_storeop_name -- "INSERT" for SDB_OP_INSERT; "?" for an unknown number. */
const char *sdb_storeop_name(int op);

#endif
