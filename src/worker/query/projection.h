/* src/worker/query/projection.h -- (being written) */
#ifndef SRC_WORKER_QUERY_PROJECTION_H
#define SRC_WORKER_QUERY_PROJECTION_H
#endif
