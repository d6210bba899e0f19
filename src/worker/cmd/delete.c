/* src/worker/cmd/delete.c -- (being written) */
