/* src/worker/cmd/collection.c -- (being written) */
