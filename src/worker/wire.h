/* src/worker/wire.h -- (being written) */
#ifndef SRC_WORKER_WIRE_H
#define SRC_WORKER_WIRE_H
#endif
