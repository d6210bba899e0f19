/*
 * src/master/xact.c -- multi-document transactions: the master's table of open transactions.
 *
 * The table of open transactions is built on top of this file (xact.h).  Until a statement
 * can start one, no transaction is ever open, so ending a session aborts nothing.
 */
#include "xact.h"

int
ms_xact_end_session(const uint8_t id[16])
{
    (void)id;
    return 0;
}
