/* src/worker/cmd/find.c -- (being written) */
