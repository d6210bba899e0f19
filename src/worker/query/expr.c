/* src/worker/query/expr.c -- (being written) */
