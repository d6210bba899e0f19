/* src/worker/cmd/update.c -- (being written) */
