/* src/worker/query/expr.h -- (being written) */
#ifndef SRC_WORKER_QUERY_EXPR_H
#define SRC_WORKER_QUERY_EXPR_H
#endif
