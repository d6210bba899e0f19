/* src/worker/cmd/indexes.c -- (being written) */
