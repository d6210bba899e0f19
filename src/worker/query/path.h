/* src/worker/query/path.h -- (being written) */
#ifndef SRC_WORKER_QUERY_PATH_H
#define SRC_WORKER_QUERY_PATH_H
#endif
