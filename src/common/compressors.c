/*
 * src/common/compressors.c -- the wire compressors' ids, names and enabled lists.
 */
#include "compressors.h"

#include <string.h>

static const char *const names[] = {
    [SDB_COMPRESSOR_NOOP] = "noop",
    [SDB_COMPRESSOR_SNAPPY] = "snappy",
    [SDB_COMPRESSOR_ZLIB] = "zlib",
    [SDB_COMPRESSOR_ZSTD] = "zstd",
};

#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))

const char *
sdb_compressor_name(int id)
{
    return id >= 0 && id < NNAMES ? names[id] : NULL;
}

int
sdb_compressor_id(const char *name, int len)
{
    for (int i = 0; i < NNAMES; i++)
        if ((int)strlen(names[i]) == len && strncmp(names[i], name, (size_t)len) == 0)
            return i;
    return -1;
}

/* next_id -- the id of the list item at *p (-1: unknown), *p moved past it and its comma. */
static int
next_id(const char **p)
{
    const char *end = strchr(*p, ',');
    int len = end != NULL ? (int)(end - *p) : (int)strlen(*p), id = sdb_compressor_id(*p, len);

    *p += len;
    if (**p == ',')
        (*p)++;
    return id;
}

bool
sdb_compressors_check(const char *list, int *bad)
{
    const char *p = list;

    if (strcmp(list, "disabled") == 0)
        return true;
    while (*p != '\0') {
        const char *item = p;

        if (next_id(&p) < 0) {
            if (bad != NULL)
                *bad = (int)(item - list);
            return false;
        }
    }
    return true;
}

bool
sdb_compressors_has(const char *list, int id)
{
    const char *p = list;

    if (id == SDB_COMPRESSOR_NOOP)
        return true;
    if (strcmp(list, "disabled") == 0)
        return false;
    while (*p != '\0')
        if (next_id(&p) == id)
            return true;
    return false;
}
