/*
 * src/common/storeop.c -- names of the storage operations, for logs.
 *
 * Generated from storeop.def; pure.
 */
#include "storeop.h"

#include <stddef.h>

/*
 * sdb_storeop_name --
 *     The name of a storage operation number, "?" when unknown.
 */
const char *
sdb_storeop_name(int op)
{
    switch (op) {
#define X(name, num)                                                                               \
    case num:                                                                                      \
        return #name;
#include "storeop.def"
#undef X
    default:
        return "?";
    }
}
