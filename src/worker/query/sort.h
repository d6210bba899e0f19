/* src/worker/query/sort.h -- (being written) */
#ifndef SRC_WORKER_QUERY_SORT_H
#define SRC_WORKER_QUERY_SORT_H
#endif
