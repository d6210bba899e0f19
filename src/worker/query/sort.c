/* src/worker/query/sort.c -- (being written) */
