/*
 * src/master/xact.h -- multi-document transactions: the master's table of open transactions.
 *
 * A transaction is a WiredTiger snapshot transaction on a WT_SESSION of its own, looked up by
 * (lsid id, txnNumber), so any worker's channel may carry its next statement (DESIGN.md,
 * "Sessions and transactions"); it belongs to the client, not to a channel (rule 4), and ends
 * by commit, abort, a newer txnNumber on its session, transactionLifetimeLimitSeconds, or the
 * end of its session.
 *
 * Contract: callable from any service thread and from the main thread; the module takes its
 * own locks and never holds them across a call out of this file.
 */
#ifndef MS_XACT_H
#define MS_XACT_H

#include <stdint.h>

/* ms_xact_end_session -- abort the open transaction of session `id` (if any): the session
 * ended, expired or was killed.  Returns how many transactions were aborted. */
int ms_xact_end_session(const uint8_t id[16]);

#endif
