/* src/worker/query/path.c -- (being written) */
