/*
 * src/worker/dispatch.h -- from a decoded request to an encoded reply.
 *
 * wk_dispatch_request runs one decoded wire request: it checks the opcode rules (OP_QUERY
 * only for the handshake), finds the command in the table, checks generic fields, calls the
 * handler, decorates the reply (ok, $clusterTime, operationTime) and encodes it in the
 * request's framing.  *out is NULL when there is nothing to send (moreToCome).  Runs on the
 * request's coroutine.
 *
 * Exhaust (OP_MSG exhaustAllowed): a handler that may stream (awaitable hello) sets
 * cmd->streamable; when the client allowed it and the reply is ok, the reply carries
 * moreToCome, the request is rewritten for its next iteration (responseTo the reply just
 * sent, topologyVersion the one it reported, as mongod does) and the caller runs it again
 * until the connection closes or a reply goes without moreToCome.
 */
#ifndef WK_DISPATCH_H
#define WK_DISPATCH_H

#include "conn.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* wk_dispatch_request -- run one request; *out (bson_malloc'd) is the reply or NULL.  Returns
 * true when the reply streams (moreToCome): req now holds the next iteration, to be run again
 * after *out is sent. */
bool wk_dispatch_request(wk_conn_t *c, wk_wire_req_t *req, uint8_t **out, size_t *outlen);

/* wk_dispatch_error_reply -- encode an error reply for a request that could not be decoded. */
void wk_dispatch_error_reply(const sdb_error_t *err, int32_t request_id, int32_t opcode,
                             uint8_t **out, size_t *outlen);

#endif
