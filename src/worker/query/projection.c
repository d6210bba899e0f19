/* src/worker/query/projection.c -- (being written) */
