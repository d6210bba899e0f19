/* src/worker/conn.h -- (being written) */
#ifndef SRC_WORKER_CONN_H
#define SRC_WORKER_CONN_H
#endif
