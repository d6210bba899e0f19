/* src/worker/query/matcher.h -- (being written) */
#ifndef SRC_WORKER_QUERY_MATCHER_H
#define SRC_WORKER_QUERY_MATCHER_H
#endif
